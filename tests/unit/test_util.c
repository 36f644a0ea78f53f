// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <fcntl.h>
#include <unistd.h>

#include "jobtrace/util.h"

/* A scratch directory per test run, removed by teardown. */
struct scratch {
	char path[64];
	int fd;
};

static int scratch_setup(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	strcpy(s->path, "/tmp/jobtrace-test-util-XXXXXX");
	if (!mkdtemp(s->path)) {
		free(s);
		return -1;
	}
	s->fd = util__open_dir(s->path);
	if (s->fd < 0) {
		rmdir(s->path);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int scratch_teardown(void **state)
{
	struct scratch *s = *state;

	unlinkat(s->fd, "f", 0);
	close(s->fd);
	rmdir(s->path);
	free(s);
	return 0;
}

/* Writes @len bytes of a repeating pattern, so a misplaced chunk shows. */
static void write_pattern(int dirfd, size_t len)
{
	int fd = openat(dirfd, "f", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char chunk[4096];
	size_t done = 0;

	assert_true(fd >= 0);
	while (done < len) {
		size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		for (size_t i = 0; i < n; i++)
			chunk[i] = (char)('a' + (done + i) % 26);
		assert_int_equal(write(fd, chunk, n), (ssize_t)n);
		done += n;
	}
	close(fd);
}

struct alloc_case {
	const char *what;
	size_t file_len;
	size_t max;
	ssize_t want; /* length, or a negative errno */
};

static const struct alloc_case alloc_cases[] = {
	{ "empty file", 0, 100, 0 },
	{ "small file", 10, 100, 10 },
	{ "exactly max", 100, 100, 100 },
	{ "one past max", 101, 100, -EFBIG },
	{ "max 0, empty", 0, 0, 0 },
	{ "max 0, one byte", 1, 0, -EFBIG },
	/* Past the first 16 KiB buffer: the buffer grows, the bytes stay in order. */
	{ "grows to 100 KiB", 100000, 1 << 20, 100000 },
	{ "exactly a large max", 70000, 70000, 70000 },
	{ "one past a large max", 70001, 70000, -EFBIG },
	{ "far past a large max", 300000, 70000, -EFBIG },
};

static void test_read_file_alloc_cases(void **state)
{
	struct scratch *s = *state;

	for (size_t i = 0; i < ARRAY_SIZE(alloc_cases); i++) {
		const struct alloc_case *c = &alloc_cases[i];
		char *buf = (char *)1;
		ssize_t n;

		write_pattern(s->fd, c->file_len);
		n = util__read_file_alloc(s->fd, "f", c->max, &buf);
		if (n != c->want)
			fail_msg("%s: got %zd, want %zd", c->what, n, c->want);
		if (c->want < 0) {
			assert_null(buf);
			continue;
		}
		assert_non_null(buf);
		assert_int_equal(buf[n], '\0');
		for (ssize_t j = 0; j < n; j++)
			if (buf[j] != (char)('a' + j % 26))
				fail_msg("%s: byte %zd is wrong", c->what, j);
		free(buf);
	}
}

static void test_read_file_alloc_missing(void **state)
{
	struct scratch *s = *state;
	char *buf = (char *)1;

	assert_int_equal(util__read_file_alloc(s->fd, "no-such-file", 100, &buf), -ENOENT);
	assert_null(buf);
}

/* A /proc file reports st_size 0; it must still be read whole. */
static void test_read_file_alloc_proc(void **state)
{
	char *buf;
	ssize_t n = util__read_file_alloc(AT_FDCWD, "/proc/self/status", 1 << 20, &buf);

	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "\nPid:"));
	free(buf);
}

static void test_grow(void **state)
{
	size_t cap = 0;
	int *v = NULL;

	/* From nothing to @first, then doubling, clamped at @max, then E2BIG. */
	assert_int_equal(util__grow(&v, &cap, sizeof(*v), 4, 10), 0);
	assert_int_equal(cap, 4);
	v[3] = 7;
	assert_int_equal(util__grow(&v, &cap, sizeof(*v), 4, 10), 0);
	assert_int_equal(cap, 8);
	assert_int_equal(v[3], 7);
	assert_int_equal(util__grow(&v, &cap, sizeof(*v), 4, 10), 0);
	assert_int_equal(cap, 10);
	assert_int_equal(util__grow(&v, &cap, sizeof(*v), 4, 10), -E2BIG);
	assert_int_equal(cap, 10);
	assert_int_equal(v[3], 7);
	free(v);
}

static void test_opendir_at(void **state)
{
	int fd = util__open_dir("/proc");
	DIR *d;

	assert_true(fd >= 0);
	d = util__opendir_at(fd, "self");
	assert_non_null(d);
	closedir(d);
	/* The caller's fd is still its own. */
	d = util__opendir_at(fd, ".");
	assert_non_null(d);
	closedir(d);
	assert_null(util__opendir_at(fd, "no-such-dir"));
	assert_int_equal(errno, ENOENT);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_opendir_at),
		cmocka_unit_test_setup_teardown(test_read_file_alloc_cases, scratch_setup,
						scratch_teardown),
		cmocka_unit_test_setup_teardown(test_read_file_alloc_missing, scratch_setup,
						scratch_teardown),
		cmocka_unit_test(test_read_file_alloc_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
