// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <limits.h>
#include <unistd.h>

#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

struct num_case {
	const char *in;
	int s_err;
	long long s;
	int u_err;
	unsigned long long u;
};

static const struct num_case num_cases[] = {
	{ "42\n", 0, 42, 0, 42 },
	{ "  7 \n", 0, 7, 0, 7 },
	{ "-5000\n", 0, -5000, -EINVAL, 0 }, /* a sensor below 0 °C */
	{ "-1\n", 0, -1, -EINVAL, 0 },	     /* SPEED_UNKNOWN must not become 2^64-1 */
	{ "+3", 0, 3, -EINVAL, 0 },
	{ "9223372036854775807", 0, LLONG_MAX, 0, 9223372036854775807ULL },
	{ "9223372036854775808", -EINVAL, 0, 0, 9223372036854775808ULL },
	{ "18446744073709551616", -EINVAL, 0, -EINVAL, 0 },
	{ "", -EINVAL, 0, -EINVAL, 0 },
	{ "\n", -EINVAL, 0, -EINVAL, 0 },
	{ "12abc", -EINVAL, 0, -EINVAL, 0 },
	{ "1 2", -EINVAL, 0, -EINVAL, 0 },
	{ "enabled\n", -EINVAL, 0, -EINVAL, 0 },
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(num_cases); i++) {
		const struct num_case *c = &num_cases[i];
		long long s = 0;
		unsigned long long u = 0;
		int err;

		err = sysfs_attr__parse_s64(c->in, &s);
		if (err != c->s_err || (!err && s != c->s))
			fail_msg("s64 '%s': err %d value %lld", c->in, err, s);
		err = sysfs_attr__parse_u64(c->in, &u);
		if (err != c->u_err || (!err && u != c->u))
			fail_msg("u64 '%s': err %d value %llu", c->in, err, u);
	}
}

static void test_read(void **state)
{
	int fd = util__open_dir(FIXTURES "/sys/hwmon/class/hwmon");
	char buf[16];
	long long v;

	assert_true(fd >= 0);
	assert_int_equal(sysfs_attr__read_s64(fd, "hwmon0/temp1_input", &v), 0);
	assert_int_equal(v, 45000);
	assert_int_equal(sysfs_attr__read_str(fd, "hwmon0/name", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "coretemp"); /* newline removed */
	assert_int_equal(sysfs_attr__read_str(fd, "hwmon0/temp1_label", buf, 8), -EFBIG);
	assert_int_equal(sysfs_attr__read_s64(fd, "hwmon0/nosuch", &v), -ENOENT);
	assert_int_equal(sysfs_attr__read_s64(fd, "hwmon10/temp1_input", &v), -EISDIR);
	assert_int_equal(sysfs_attr__read_s64(fd, "hwmon10/temp2_input", &v), -EINVAL);
	/* The fixture's stand-in for a dead sensor really gives EIO. */
	assert_int_equal(sysfs_attr__read_s64(fd, "hwmon10/temp3_input", &v), -EIO);
	close(fd);
}

static int collect(const char *name, void *ctx)
{
	char *names = ctx;

	strcat(names, name);
	strcat(names, ",");
	return 0;
}

/* An image reads as the tree it stands for; nothing past its end, no name twice. */
static void test_image(void **state)
{
	static const char img[] = "a/x\0" "1\n\0"
				  "a/sub/y\0" "-2\n\0"
				  "a/sub/z\0" "text\n\0"
				  "b\0" "18446744073709551615";
	struct sysfs_dir root, a, sub, none;
	char names[128] = "", buf[8];
	unsigned long long u;
	long long v;
	char *copy = malloc(sizeof(img) - 1);

	/* No NUL after the last record: its content runs to the end. */
	assert_non_null(copy);
	memcpy(copy, img, sizeof(img) - 1);
	sysfs_dir__from_image(&root, copy, sizeof(img) - 1);
	assert_int_equal(sysfs_dir__list(&root, collect, names), 0);
	assert_string_equal(names, "a,b,");
	assert_int_equal(sysfs_dir__read_u64(&root, "b", &u), 0);
	assert_true(u == 18446744073709551615ULL);
	assert_int_equal(sysfs_dir__open(&root, "a", &a), 0);
	names[0] = '\0';
	assert_int_equal(sysfs_dir__list(&a, collect, names), 0);
	assert_string_equal(names, "x,sub,");
	assert_int_equal(sysfs_dir__read_s64(&a, "sub/y", &v), 0);
	assert_int_equal(v, -2);
	assert_int_equal(sysfs_dir__open(&a, "sub", &sub), 0);
	assert_int_equal(sysfs_dir__read_str(&sub, "z", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "text");
	/* As util__read_file_at(): a value longer than the buffer is -EFBIG. */
	assert_int_equal(sysfs_dir__read(&sub, "z", buf, 4), -EFBIG);
	assert_int_equal(sysfs_dir__read(&sub, "w", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(sysfs_dir__open(&root, "b", &none), -ENOTDIR);
	assert_int_equal(sysfs_dir__open(&root, "c", &none), -ENOENT);
	assert_int_equal(sysfs_dir__open(&root, "a/su", &none), -ENOENT);
	sysfs_dir__close(&sub);
	sysfs_dir__close(&a);
	/* A path cut short by the end of the image is no file. */
	sysfs_dir__from_image(&root, copy, 2);
	assert_int_equal(sysfs_dir__read(&root, "a/", buf, sizeof(buf)), -ENOENT);
	names[0] = '\0';
	assert_int_equal(sysfs_dir__list(&root, collect, names), 0);
	assert_string_equal(names, "");
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
