// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <sys/utsname.h>
#include <unistd.h>

#include "jobtrace/hostinfo.h"
#include "jobtrace/util.h"

#define HOSTFIX FIXTURES "/hostinfo/"

#define X16 "xxxxxxxxxxxxxxxx"
#define X64 X16 X16 X16 X16
#define X256 X64 X64 X64 X64

static const char *const field_names[HOSTINFO_NR_FIELDS] = {
	"hostname", "osrelease", "version", "ostype", "arch", "domainname",
};

struct want {
	const char *s; /* NULL: unknown */
	size_t len;    /* of @s when it holds a NUL; 0: strlen(s) */
	int err;
};

/* One field's value and error against @w; @name says which case failed. */
static void check_value(const char *name, int f, const struct hostinfo_value *v, int err,
			const struct want *w)
{
	size_t len = w->s ? (w->len ? w->len : strlen(w->s)) : 0;

	if (err != w->err)
		fail_msg("%s %s: error %d, want %d", name, field_names[f], err, w->err);
	if (v->known != !!w->s)
		fail_msg("%s %s: known %d, want %d", name, field_names[f], v->known, !!w->s);
	if (!w->s) {
		/* Unknown leaves nothing behind for a writer to print by mistake. */
		if (v->len || v->bytes[0])
			fail_msg("%s %s: unknown but %zu bytes", name, field_names[f], v->len);
		return;
	}
	if (v->len != len || memcmp(v->bytes, w->s, len) || v->bytes[len] != '\0')
		fail_msg("%s %s: %zu bytes \"%.*s\", want %zu \"%s\"", name, field_names[f], v->len,
			 (int)v->len, v->bytes, len, w->s);
}

/* ------------------------------------------------------------ one value */

struct parse_case {
	const char *name;
	const char *buf;
	size_t len; /* 0: strlen(buf) */
	struct want want;
};

static const struct parse_case parse_cases[] = {
	{ "line", "vm\n", 0, { "vm", 0, 0 } },
	{ "no newline", "vm", 0, { "vm", 0, 0 } },
	{ "empty line", "\n", 0, { "", 0, 0 } },
	{ "empty file", "", 0, { NULL, 0, -ENODATA } },
	/* Only the one '\n' the kernel adds goes: the value's own stay. */
	{ "two newlines", "a\n\n", 0, { "a\n", 0, 0 } },
	{ "inner newline", "a\nb\n", 0, { "a\nb", 0, 0 } },
	{ "trailing space", "(none) \n", 0, { "(none) ", 0, 0 } },
	{ "NUL", "a\0b\n", 4, { "a\0b", 3, 0 } },
	{ "largest", X256 "\n", 0, { X256, 0, 0 } },
	{ "largest, no newline", X256, 0, { X256, 0, 0 } },
	{ "too long", X256 "x", 0, { NULL, 0, -EFBIG } },
	{ "too long with newline", X256 "x\n", 0, { NULL, 0, -EFBIG } },
};

static void test_parse_value(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct hostinfo_value v;
		int err;

		memset(&v, 0xa5, sizeof(v)); /* every byte is overwritten, error or not */
		err = hostinfo__parse_value(c->buf, c->len ? c->len : strlen(c->buf), &v);
		check_value(c->name, HOSTINFO_HOSTNAME, &v, err, &c->want);
	}
}

/* -------------------------------------------------------- fixture roots */

struct read_case {
	const char *root;
	bool live;	  /* pretend the root is this machine's /proc */
	bool from_uname;  /* the platform is uname(2)'s machine, not want[PLATFORM] */
	struct want want[HOSTINFO_NR_FIELDS];
};

static const struct read_case read_cases[] = {
	{ "modern", false, false, {
		[HOSTINFO_HOSTNAME] = { "vm", 0, 0 },
		[HOSTINFO_KERNEL_VERSION] = { "6.18.44-fc-v669", 0, 0 },
		[HOSTINFO_KERNEL_BUILD] = { "#1 SMP PREEMPT_DYNAMIC @0", 0, 0 },
		[HOSTINFO_OS_TYPE] = { "Linux", 0, 0 },
		[HOSTINFO_PLATFORM] = { "x86_64", 0, 0 },
		/* "(none)": not set, which is no error */
		[HOSTINFO_DOMAINNAME] = { NULL, 0, 0 },
	} },
	/* arch is there: the file answers, live or not. */
	{ "modern", true, false, {
		[HOSTINFO_HOSTNAME] = { "vm", 0, 0 },
		[HOSTINFO_KERNEL_VERSION] = { "6.18.44-fc-v669", 0, 0 },
		[HOSTINFO_KERNEL_BUILD] = { "#1 SMP PREEMPT_DYNAMIC @0", 0, 0 },
		[HOSTINFO_OS_TYPE] = { "Linux", 0, 0 },
		[HOSTINFO_PLATFORM] = { "x86_64", 0, 0 },
		[HOSTINFO_DOMAINNAME] = { NULL, 0, 0 },
	} },
	{ "no-newline", false, false, {
		[HOSTINFO_HOSTNAME] = { "build-07", 0, 0 },
		[HOSTINFO_KERNEL_VERSION] = { "6.1.0-28-arm64", 0, 0 },
		[HOSTINFO_KERNEL_BUILD] = { "#1 SMP Debian 6.1.119-1 (2024-11-22)", 0, 0 },
		[HOSTINFO_OS_TYPE] = { "Linux", 0, 0 },
		[HOSTINFO_PLATFORM] = { "aarch64", 0, 0 },
		[HOSTINFO_DOMAINNAME] = { "corp.example", 0, 0 },
	} },
	/* No arch: another host's tree gets no answer from this machine. */
	{ "old-kernel", false, false, {
		[HOSTINFO_HOSTNAME] = { "node12.cluster", 0, 0 },
		[HOSTINFO_KERNEL_VERSION] = { "4.19.0-27-amd64", 0, 0 },
		[HOSTINFO_KERNEL_BUILD] = { "#1 SMP Debian 4.19.316-1 (2024-06-25)", 0, 0 },
		[HOSTINFO_OS_TYPE] = { "Linux", 0, 0 },
		[HOSTINFO_PLATFORM] = { NULL, 0, -ENOENT },
		[HOSTINFO_DOMAINNAME] = { NULL, 0, 0 },
	} },
	/* ... but the live /proc of an older kernel does: uname(2). */
	{ "old-kernel", true, true, {
		[HOSTINFO_HOSTNAME] = { "node12.cluster", 0, 0 },
		[HOSTINFO_KERNEL_VERSION] = { "4.19.0-27-amd64", 0, 0 },
		[HOSTINFO_KERNEL_BUILD] = { "#1 SMP Debian 4.19.316-1 (2024-06-25)", 0, 0 },
		[HOSTINFO_OS_TYPE] = { "Linux", 0, 0 },
		[HOSTINFO_DOMAINNAME] = { NULL, 0, 0 },
	} },
	{ "empty", false, false, {
		[HOSTINFO_HOSTNAME] = { NULL, 0, -ENODATA },
		[HOSTINFO_KERNEL_VERSION] = { "5.10.0", 0, 0 },
		[HOSTINFO_KERNEL_BUILD] = { NULL, 0, -ENODATA },
		[HOSTINFO_OS_TYPE] = { "", 0, 0 },
		[HOSTINFO_PLATFORM] = { "riscv64", 0, 0 },
		[HOSTINFO_DOMAINNAME] = { "", 0, 0 },
	} },
	{ "hostile", false, false, {
		[HOSTINFO_HOSTNAME] = { "q\"b\\\\s\xff\x01\x1b[2Jx\ny", 0, 0 },
		[HOSTINFO_KERNEL_VERSION] = { "a\0b", 3, 0 },
		[HOSTINFO_KERNEL_BUILD] = { "\n", 0, 0 },
		[HOSTINFO_OS_TYPE] = { "Linux", 0, 0 },
		[HOSTINFO_PLATFORM] = { "x86_64\r", 0, 0 },
		[HOSTINFO_DOMAINNAME] = { "(none) ", 0, 0 },
	} },
	{ "too-long", false, false, {
		[HOSTINFO_HOSTNAME] = { NULL, 0, -EFBIG },
		[HOSTINFO_KERNEL_VERSION] = { "6.18.44", 0, 0 },
		[HOSTINFO_KERNEL_BUILD] = { NULL, 0, -ENOENT },
		[HOSTINFO_OS_TYPE] = { "Linux", 0, 0 },
		[HOSTINFO_PLATFORM] = { NULL, 0, -ENOENT },
		[HOSTINFO_DOMAINNAME] = { X256, 0, 0 },
	} },
	{ "none", false, false, {
		[HOSTINFO_HOSTNAME] = { NULL, 0, -ENOENT },
		[HOSTINFO_KERNEL_VERSION] = { NULL, 0, -ENOENT },
		[HOSTINFO_KERNEL_BUILD] = { NULL, 0, -ENOENT },
		[HOSTINFO_OS_TYPE] = { NULL, 0, -ENOENT },
		[HOSTINFO_PLATFORM] = { NULL, 0, -ENOENT },
		[HOSTINFO_DOMAINNAME] = { NULL, 0, -ENOENT },
	} },
};

static void test_read_fixtures(void **state)
{
	struct utsname u;

	assert_int_equal(uname(&u), 0);
	for (size_t i = 0; i < ARRAY_SIZE(read_cases); i++) {
		const struct read_case *c = &read_cases[i];
		struct want w[HOSTINFO_NR_FIELDS];
		struct hostinfo hi;
		char name[64], path[256];
		int fd;

		memcpy(w, c->want, sizeof(w));
		if (c->from_uname)
			w[HOSTINFO_PLATFORM] = (struct want){ u.machine, 0, 0 };
		snprintf(name, sizeof(name), "%s%s", c->root, c->live ? " (live)" : "");
		snprintf(path, sizeof(path), HOSTFIX "%s", c->root);
		fd = util__open_dir(path);
		if (fd < 0)
			fail_msg("cannot open %s: %s", path, strerror(-fd));
		memset(&hi, 0xa5, sizeof(hi));
		hostinfo__read(fd, c->live, &hi);
		close(fd);
		for (int f = 0; f < HOSTINFO_NR_FIELDS; f++)
			check_value(name, f, &hi.v[f], hi.err[f], &w[f]);
		if (hi.platform_from_uname != c->from_uname)
			fail_msg("%s: platform_from_uname %d", name, hi.platform_from_uname);
		/* A value read without its newline may be cut: flagged, still kept. */
		for (int f = 0; f < HOSTINFO_NR_FIELDS; f++) {
			char file[400], last = '\n';
			bool cut;
			FILE *fp;

			snprintf(file, sizeof(file), "%s/%s", path, hostinfo__path(f));
			fp = fopen(file, "r");
			if (fp) {
				int ch;

				while ((ch = fgetc(fp)) != EOF)
					last = (char)ch;
				fclose(fp);
			}
			cut = fp && hi.v[f].known && last != '\n';
			if (hi.cut[f] != cut)
				fail_msg("%s: %s cut %d", name, field_names[f], hi.cut[f]);
		}
	}
}

static void test_paths(void **state)
{
	for (int f = 0; f < HOSTINFO_NR_FIELDS; f++) {
		char want[64];

		snprintf(want, sizeof(want), "sys/kernel/%s", field_names[f]);
		assert_string_equal(hostinfo__path(f), want);
	}
	assert_null(hostinfo__path(HOSTINFO_NR_FIELDS));
	/* Every kernel has these three; version and domainname are not asked for. */
	assert_true(hostinfo__required(HOSTINFO_HOSTNAME));
	assert_true(hostinfo__required(HOSTINFO_KERNEL_VERSION));
	assert_true(hostinfo__required(HOSTINFO_OS_TYPE));
	assert_false(hostinfo__required(HOSTINFO_PLATFORM));
	assert_false(hostinfo__required(HOSTINFO_KERNEL_BUILD));
	assert_false(hostinfo__required(HOSTINFO_DOMAINNAME));
	assert_false(hostinfo__required(HOSTINFO_NR_FIELDS));
}

/* This machine: the files agree with gethostname(2) and uname(2). */
static void test_live(void **state)
{
	char host[HOSTINFO_VALUE_MAX + 1] = "";
	struct hostinfo hi;
	struct utsname u;
	int fd = util__open_dir("/proc");

	assert_true(fd >= 0);
	hostinfo__read(fd, true, &hi);
	close(fd);
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	assert_int_equal(uname(&u), 0);
	for (int f = 0; f < HOSTINFO_NR_FIELDS; f++)
		if (f != HOSTINFO_DOMAINNAME && (!hi.v[f].known || hi.err[f]))
			fail_msg("live %s: unknown (%s)", field_names[f], strerror(-hi.err[f]));
	assert_string_equal(hi.v[HOSTINFO_HOSTNAME].bytes, host);
	assert_string_equal(hi.v[HOSTINFO_HOSTNAME].bytes, u.nodename);
	/* The kernel ends each value with a newline: nothing live looks cut. */
	for (int f = 0; f < HOSTINFO_NR_FIELDS; f++)
		assert_false(hi.cut[f]);
	assert_string_equal(hi.v[HOSTINFO_KERNEL_VERSION].bytes, u.release);
	assert_string_equal(hi.v[HOSTINFO_KERNEL_BUILD].bytes, u.version);
	assert_string_equal(hi.v[HOSTINFO_OS_TYPE].bytes, u.sysname);
	/* From sys/kernel/arch or, on an older kernel, uname(2) itself. */
	assert_string_equal(hi.v[HOSTINFO_PLATFORM].bytes, u.machine);
	if (!strcmp(u.domainname, "(none)"))
		assert_false(hi.v[HOSTINFO_DOMAINNAME].known);
	else
		assert_string_equal(hi.v[HOSTINFO_DOMAINNAME].bytes, u.domainname);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_value),
		cmocka_unit_test(test_read_fixtures),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
