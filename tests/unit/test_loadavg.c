// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/loadavg.h"
#include "jobtrace/util.h"

#define PROC_FIXTURES FIXTURES "/cpu/proc/"
#define NSEC_PER_SEC 1000000000ULL

static int open_root(const char *root)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), PROC_FIXTURES "%s", root);
	fd = util__open_dir(path);
	if (fd < 0)
		fail_msg("cannot open fixture %s: %s", path, strerror(-fd));
	return fd;
}

static __u64 clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */

struct load_case {
	const char *root;
	int err;
	double load1, load5, load15;
	__u32 nr_running, nr_threads;
	__s32 last_pid;
	int uptime_err;
	__u64 uptime_ns, idle_ns;
};

static const struct load_case fixture_cases[] = {
	{ "x86-2cpu", 0, 0.06, 0.04, 0.01, 1, 87, 3754, 0, 314460000000ULL, 604430000000ULL },
	/* Idle sums 128 CPUs, so it passes uptime; last_pid is PID_MAX_LIMIT - 1. */
	{ "128cpu", 0, 123.45, 99.99, 1024.0, 257, 40960, 4194303, 0, 31536000990000000ULL,
	  3822304512070000000ULL },
	{ "no-newline", -ENODATA, 0, 0, 0, 0, 0, 0, -ENODATA, 0, 0 },
	{ "cut-number", -ENODATA, 0, 0, 0, 0, 0, 0, -ENODATA, 0, 0 },
	{ "empty", -ENODATA, 0, 0, 0, 0, 0, 0, -ENODATA, 0, 0 },
	{ "linux-2.4", -ENOENT, 0, 0, 0, 0, 0, 0, -ENOENT, 0, 0 },
};

static void check_load(const char *name, int err, const struct loadavg *la,
		       const struct load_case *c)
{
	if (err != c->err)
		fail_msg("%s: got %d, want %d", name, err, c->err);
	/* Exact: both sides are the nearest double to the same decimal. */
	if (la->load1 != c->load1 || la->load5 != c->load5 || la->load15 != c->load15 ||
	    la->nr_running != c->nr_running || la->nr_threads != c->nr_threads ||
	    la->last_pid != c->last_pid)
		fail_msg("%s: got %.2f %.2f %.2f %u/%u %d, want %.2f %.2f %.2f %u/%u %d", name,
			 la->load1, la->load5, la->load15, la->nr_running, la->nr_threads,
			 la->last_pid, c->load1, c->load5, c->load15, c->nr_running, c->nr_threads,
			 c->last_pid);
}

static void check_uptime(const char *name, int err, const struct uptime *up,
			 const struct load_case *c)
{
	if (err != c->uptime_err)
		fail_msg("%s uptime: got %d, want %d", name, err, c->uptime_err);
	if (up->uptime_ns != c->uptime_ns || up->idle_ns != c->idle_ns)
		fail_msg("%s: uptime %llu idle %llu, want %llu %llu", name,
			 (unsigned long long)up->uptime_ns, (unsigned long long)up->idle_ns,
			 (unsigned long long)c->uptime_ns, (unsigned long long)c->idle_ns);
}

static void test_fixture_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(fixture_cases); i++) {
		const struct load_case *c = &fixture_cases[i];
		int fd = open_root(c->root);
		struct loadavg la;
		struct uptime up;

		check_load(c->root, loadavg__read(fd, &la), &la, c);
		check_uptime(c->root, uptime__read(fd, &up), &up, c);
		close(fd);
	}
}

/* Hand-made lines, parsed from an exact-size copy so ASan sees over-reads. */
static const struct {
	const char *name;
	const char *buf;
	struct load_case want; /* root unused */
} load_inline[] = {
	{ "zeros", "0.00 0.00 0.00 0/1 0\n", { .nr_threads = 1 } },
	{ "last pid -1", "0.00 0.00 0.00 1/1 -1\n",
	  { .nr_running = 1, .nr_threads = 1, .last_pid = -1 } },
	{ "last pid INT32_MIN", "0.00 0.00 0.00 1/1 -2147483648\n",
	  { .nr_running = 1, .nr_threads = 1, .last_pid = INT32_MIN } },
	{ "last pid past int", "0.00 0.00 0.00 1/1 2147483648\n", { .err = -ERANGE } },
	{ "threads past u32", "0.00 0.00 0.00 1/4294967296 1\n", { .err = -ERANGE } },
	{ "no decimals", "1 2 3 4/5 6\n",
	  { .load1 = 1, .load5 = 2, .load15 = 3, .nr_running = 4, .nr_threads = 5,
	    .last_pid = 6 } },
	{ "three decimals are cut", "0.129 0.04 0.01 1/87 3754\n",
	  { .load1 = 0.12, .load5 = 0.04, .load15 = 0.01, .nr_running = 1, .nr_threads = 87,
	    .last_pid = 3754 } },
	{ "missing pid", "0.06 0.04 0.01 1/87\n", { .err = -EPROTO } },
	{ "missing slash", "0.06 0.04 0.01 1 87 3754\n", { .err = -EPROTO } },
	{ "two spaces", "0.06  0.04 0.01 1/87 3754\n", { .err = -EPROTO } },
	{ "trailing blank", "0.06 0.04 0.01 1/87 3754 \n", { .err = -EPROTO } },
	{ "decimal comma", "0,06 0,04 0,01 1/87 3754\n", { .err = -EPROTO } },
	{ "second line", "0.06 0.04 0.01 1/87 3754\n0.06\n", { .err = -EPROTO } },
	{ "only a newline", "\n", { .err = -EPROTO } },
	{ "negative load", "-0.06 0.04 0.01 1/87 3754\n", { .err = -EPROTO } },
};

static void test_loadavg_inline(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(load_inline); i++) {
		size_t len = strlen(load_inline[i].buf);
		char *copy = malloc(len);
		struct loadavg la;
		int err;

		assert_non_null(copy);
		memcpy(copy, load_inline[i].buf, len);
		memset(&la, 0xa5, sizeof(la));
		err = loadavg__parse(copy, len, &la);
		free(copy);
		check_load(load_inline[i].name, err, &la, &load_inline[i].want);
	}
}

static const struct {
	const char *name;
	const char *buf;
	int err;
	__u64 uptime_ns, idle_ns;
} uptime_inline[] = {
	{ "just booted", "0.00 0.00\n", 0, 0, 0 },
	{ "one tick", "0.01 0.03\n", 0, 10000000, 30000000 },
	{ "integer seconds", "5 7\n", 0, 5 * NSEC_PER_SEC, 7 * NSEC_PER_SEC },
	{ "nanosecond digits", "1.123456789999 0.5\n", 0, 1123456789, 500000000 },
	{ "largest in ns", "18446744073.70 0.00\n", 0, 18446744073700000000ULL, 0 },
	{ "past 2^64 ns", "18446744073.71 0.00\n", -ERANGE, 0, 0 },
	{ "seconds past 2^64", "99999999999999999999.00 0.00\n", -ERANGE, 0, 0 },
	{ "one number", "314.46\n", -EPROTO, 0, 0 },
	{ "three numbers", "314.46 604.43 1.00\n", -EPROTO, 0, 0 },
	{ "tab separator", "314.46\t604.43\n", -EPROTO, 0, 0 },
	{ "no newline", "314.46 604.43", -ENODATA, 0, 0 },
	{ "empty", "", -ENODATA, 0, 0 },
};

static void test_uptime_inline(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(uptime_inline); i++) {
		size_t len = strlen(uptime_inline[i].buf);
		char *copy = malloc(len ? len : 1);
		struct uptime up;
		int err;

		assert_non_null(copy);
		memcpy(copy, uptime_inline[i].buf, len);
		err = uptime__parse(copy, len, &up);
		free(copy);
		if (err != uptime_inline[i].err || up.uptime_ns != uptime_inline[i].uptime_ns ||
		    up.idle_ns != uptime_inline[i].idle_ns)
			fail_msg("%s: got %d %llu %llu, want %d %llu %llu", uptime_inline[i].name,
				 err, (unsigned long long)up.uptime_ns,
				 (unsigned long long)up.idle_ns, uptime_inline[i].err,
				 (unsigned long long)uptime_inline[i].uptime_ns,
				 (unsigned long long)uptime_inline[i].idle_ns);
	}
}

/* ------------------------------------------------------------------------ */

static void test_boot_time_table(void **state)
{
	static const struct {
		const char *root;
		int err;
		enum boot_time_source source;
		__u64 btime_s;	 /* for BOOT_TIME_BTIME */
		__u64 uptime_ns; /* for BOOT_TIME_UPTIME: now - this */
	} cases[] = {
		{ "x86-2cpu", 0, BOOT_TIME_BTIME, 1700000000, 0 },
		{ "linux-2.4", 0, BOOT_TIME_BTIME, 1062191376, 0 },
		{ "no-btime", 0, BOOT_TIME_UPTIME, 0, 100 * NSEC_PER_SEC },
		{ "128cpu", 0, BOOT_TIME_BTIME, 1720000000, 0 },
		{ "empty", -ENODATA, 0, 0, 0 }, /* stat and uptime both empty */
		{ "arm64", -ENOENT, 0, 0, 0 },	/* neither file */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int fd = open_root(cases[i].root);
		__u64 before = clock_ns(CLOCK_REALTIME), after;
		struct boot_time bt;
		int err = boot_time__read(fd, &bt);

		after = clock_ns(CLOCK_REALTIME);
		close(fd);
		if (err != cases[i].err)
			fail_msg("%s: got %d, want %d", cases[i].root, err, cases[i].err);
		if (err)
			continue;
		assert_int_equal(bt.source, cases[i].source);
		if (bt.source == BOOT_TIME_BTIME) {
			assert_int_equal(bt.boot_time_ns, cases[i].btime_s * NSEC_PER_SEC);
		} else {
			assert_true(bt.boot_time_ns >= before - cases[i].uptime_ns);
			assert_true(bt.boot_time_ns <= after - cases[i].uptime_ns);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* This machine's own /proc. */

static void test_live(void **state)
{
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	int fd = util__open_dir("/proc");
	__u64 boot0, boot1, real;
	struct loadavg la;
	struct uptime up;
	struct boot_time bt;
	double diff;

	assert_true(fd >= 0);
	assert_int_equal(loadavg__read(fd, &la), 0);
	assert_true(la.nr_running >= 1); /* this test */
	assert_true(la.nr_running <= la.nr_threads);
	assert_true(la.last_pid > 0);
	assert_true(la.load1 >= 0 && la.load5 >= 0 && la.load15 >= 0);
	assert_true(isfinite(la.load1) && isfinite(la.load5) && isfinite(la.load15));

	/* /proc/uptime is CLOCK_BOOTTIME, truncated to 10 ms. */
	boot0 = clock_ns(CLOCK_BOOTTIME);
	assert_int_equal(uptime__read(fd, &up), 0);
	boot1 = clock_ns(CLOCK_BOOTTIME);
	real = clock_ns(CLOCK_REALTIME);
	if (up.uptime_ns + 10000000 < boot0 || up.uptime_ns > boot1)
		fail_msg("uptime %llu outside [%llu, %llu]", (unsigned long long)up.uptime_ns,
			 (unsigned long long)boot0 - 10000000, (unsigned long long)boot1);
	/* No CPU idles longer than the machine has been up. */
	assert_true(up.idle_ns <= (__u64)conf * (boot1 + NSEC_PER_SEC));

	/*
	 * btime is the boot instant rounded down to a second; now - uptime is
	 * it to within the 10 ms of uptime (and a little for the clock reads).
	 */
	assert_int_equal(boot_time__read(fd, &bt), 0);
	assert_int_equal(bt.source, BOOT_TIME_BTIME);
	diff = ((double)real - (double)up.uptime_ns - (double)bt.boot_time_ns) / 1e9;
	if (diff < -0.05 || diff >= 1.05)
		fail_msg("now - uptime - btime = %.3f s", diff);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_table),
		cmocka_unit_test(test_loadavg_inline),
		cmocka_unit_test(test_uptime_inline),
		cmocka_unit_test(test_boot_time_table),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
