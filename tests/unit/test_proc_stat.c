// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <fcntl.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/proc_stat.h"
#include "jobtrace/util.h"

#define PROC_FIXTURES FIXTURES "/cpu/proc/"

static const char *const column_names[CPU_TIMES_NR_FIELDS] = {
	"user", "nice",	   "system", "idle",  "iowait",
	"irq",	"softirq", "steal",  "guest", "guest_nice",
};

static void times_to_array(const struct cpu_times *t, __u64 v[CPU_TIMES_NR_FIELDS])
{
	v[0] = t->user_ticks;
	v[1] = t->nice_ticks;
	v[2] = t->system_ticks;
	v[3] = t->idle_ticks;
	v[4] = t->iowait_ticks;
	v[5] = t->irq_ticks;
	v[6] = t->softirq_ticks;
	v[7] = t->steal_ticks;
	v[8] = t->guest_ticks;
	v[9] = t->guest_nice_ticks;
}

static void assert_times(const char *what, const struct cpu_times *t,
			 const __u64 want[CPU_TIMES_NR_FIELDS])
{
	__u64 got[CPU_TIMES_NR_FIELDS];

	times_to_array(t, got);
	for (int i = 0; i < CPU_TIMES_NR_FIELDS; i++) {
		if (got[i] != want[i])
			fail_msg("%s %s: got %llu, want %llu", what, column_names[i],
				 (unsigned long long)got[i], (unsigned long long)want[i]);
	}
}

static int read_root(const char *root, struct proc_stat *st)
{
	char path[256];
	int dirfd, err;

	snprintf(path, sizeof(path), PROC_FIXTURES "%s", root);
	dirfd = util__open_dir(path);
	if (dirfd < 0)
		fail_msg("cannot open fixture %s: %s", path, strerror(-dirfd));
	err = proc_stat__read(dirfd, st);
	close(dirfd);
	return err;
}

/* ------------------------------------------------------------------------ */
/* Fixture files, each asserted field by field. */

#define MAX_CHECKED_CPUS 4

struct stat_case {
	const char *root;
	int err;
	__u32 total_nr_fields;
	__u64 total[CPU_TIMES_NR_FIELDS];
	size_t nr_cpus;
	struct {
		__u32 cpu;
		__u32 nr_fields;
		__u64 t[CPU_TIMES_NR_FIELDS];
	} cpus[MAX_CHECKED_CPUS]; /* the first ones, in order */
	unsigned int has;
	__u64 intr, ctxt, btime, processes, running, blocked, softirq;
	bool truncated;
};

#define HAS_ALL                                                                              \
	(PROC_STAT_HAS_INTR | PROC_STAT_HAS_CTXT | PROC_STAT_HAS_BTIME |                      \
	 PROC_STAT_HAS_PROCESSES | PROC_STAT_HAS_PROCS_RUNNING | PROC_STAT_HAS_PROCS_BLOCKED | \
	 PROC_STAT_HAS_SOFTIRQ)

static const struct stat_case stat_cases[] = {
	{
		.root = "x86-2cpu",
		.total_nr_fields = 10,
		.total = { 10132, 25, 4466, 605981, 1203, 0, 318, 57, 0, 0 },
		.nr_cpus = 2,
		.cpus = { { 0, 10, { 5021, 13, 2201, 302950, 598, 0, 201, 30, 0, 0 } },
			  { 1, 10, { 5111, 12, 2265, 303031, 605, 0, 117, 27, 0, 0 } } },
		.has = HAS_ALL,
		.intr = 812345, .ctxt = 1523467, .btime = 1700000000, .processes = 48211,
		.running = 2, .blocked = 1, .softirq = 402113,
	},
	{
		/* Four columns, and the lines 2.6 added are absent, not zero-valued. */
		.root = "linux-2.4",
		.total_nr_fields = 4,
		.total = { 2255, 34, 2290, 22625563 },
		.nr_cpus = 2,
		.cpus = { { 0, 4, { 1132, 34, 1441, 11311718 } },
			  { 1, 4, { 1123, 0, 849, 11313845 } } },
		.has = PROC_STAT_HAS_INTR | PROC_STAT_HAS_CTXT | PROC_STAT_HAS_BTIME |
		       PROC_STAT_HAS_PROCESSES,
		.intr = 114930548, .ctxt = 1990473, .btime = 1062191376, .processes = 2915,
	},
	{
		.root = "linux-2.6.10",
		.total_nr_fields = 7,
		.total = { 40213, 1021, 9876, 7654321, 4321, 123, 456 },
		.nr_cpus = 2,
		.cpus = { { 0, 7, { 20100, 500, 4938, 3827160, 2160, 61, 228 } },
			  { 1, 7, { 20113, 521, 4938, 3827161, 2161, 62, 228 } } },
		.has = HAS_ALL & ~PROC_STAT_HAS_SOFTIRQ,
		.intr = 3562217, .ctxt = 9876543, .btime = 1104537600, .processes = 12345,
		.running = 1,
	},
	{
		/* CPUs 2, 4, 5 and 7 offline: indexes keep their gaps. */
		.root = "offline",
		.total_nr_fields = 10,
		.total = { 9000, 0, 3000, 80000, 400, 0, 100, 0, 0, 0 },
		.nr_cpus = 4,
		.cpus = { { 0, 10, { 2000, 0, 700, 18000, 100, 0, 30 } },
			  { 1, 10, { 2100, 0, 650, 18500, 90, 0, 20 } },
			  { 3, 10, { 1900, 0, 600, 17900, 80, 0, 25 } },
			  { 6, 10, { 1500, 0, 550, 16000, 70, 0, 15 } } },
		.has = HAS_ALL,
		.intr = 450000, .ctxt = 4000000, .btime = 1710000000, .processes = 9000,
		.running = 4, .softirq = 100,
	},
	{
		.root = "kvm-host",
		.total_nr_fields = 10,
		.total = { 60000, 2000, 10000, 125000, 1000, 0, 2000, 0, 40000, 1500 },
		.nr_cpus = 2,
		.cpus = { { 0, 10, { 30000, 1000, 5000, 62500, 500, 0, 1000, 0, 20000, 750 } },
			  { 1, 10, { 30000, 1000, 5000, 62500, 500, 0, 1000, 0, 20000, 750 } } },
		.has = HAS_ALL,
		.ctxt = 1, .btime = 1700000001, .processes = 2, .running = 1,
	},
	{
		/* The last line has no '\n': it may be cut, so it is not believed. */
		.root = "no-newline",
		.total_nr_fields = 10,
		.total = { 10132, 25, 4466, 605981, 1203, 0, 318, 57, 0, 0 },
		.nr_cpus = 2,
		.cpus = { { 0, 10, { 5021, 13, 2201, 302950, 598, 0, 201, 30, 0, 0 } },
			  { 1, 10, { 5111, 12, 2265, 303031, 605, 0, 117, 27, 0, 0 } } },
		.has = HAS_ALL & ~PROC_STAT_HAS_SOFTIRQ,
		.intr = 812345, .ctxt = 1523467, .btime = 1700000000, .processes = 48211,
		.running = 2, .blocked = 1,
		.truncated = true,
	},
	{
		/* Cut inside cpu1's system column ("22" of 2265): cpu1 is dropped. */
		.root = "cut-number",
		.total_nr_fields = 10,
		.total = { 10132, 25, 4466, 605981, 1203, 0, 318, 57, 0, 0 },
		.nr_cpus = 1,
		.cpus = { { 0, 10, { 5021, 13, 2201, 302950, 598, 0, 201, 30, 0, 0 } } },
		.truncated = true,
	},
	{ .root = "empty", .err = -ENODATA },
	{ .root = ".", .err = -ENOENT }, /* a directory without a stat file */
};

static void test_fixture_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(stat_cases); i++) {
		const struct stat_case *c = &stat_cases[i];
		struct proc_stat st;
		char what[64];
		int err = read_root(c->root, &st);

		if (err != c->err)
			fail_msg("%s: got %d, want %d", c->root, err, c->err);
		if (err)
			continue;
		snprintf(what, sizeof(what), "%s total", c->root);
		assert_times(what, &st.total, c->total);
		assert_int_equal(st.total_nr_fields, c->total_nr_fields);
		if (st.nr_cpus != c->nr_cpus)
			fail_msg("%s: %zu cpus, want %zu", c->root, st.nr_cpus, c->nr_cpus);
		for (size_t j = 0; j < c->nr_cpus && j < MAX_CHECKED_CPUS; j++) {
			snprintf(what, sizeof(what), "%s cpus[%zu]", c->root, j);
			if (st.cpus[j].cpu != c->cpus[j].cpu)
				fail_msg("%s: cpu %u, want %u", what, st.cpus[j].cpu,
					 c->cpus[j].cpu);
			assert_int_equal(st.cpus[j].nr_fields, c->cpus[j].nr_fields);
			assert_times(what, &st.cpus[j].times, c->cpus[j].t);
		}
		if (st.has != c->has)
			fail_msg("%s: has %#x, want %#x", c->root, st.has, c->has);
		assert_int_equal(st.intr_total, c->intr);
		assert_int_equal(st.ctxt, c->ctxt);
		assert_int_equal(st.btime_s, c->btime);
		assert_int_equal(st.processes, c->processes);
		assert_int_equal(st.procs_running, c->running);
		assert_int_equal(st.procs_blocked, c->blocked);
		assert_int_equal(st.softirq_total, c->softirq);
		if (st.truncated != c->truncated)
			fail_msg("%s: truncated %d, want %d", c->root, st.truncated, c->truncated);
		proc_stat__free(&st);
		assert_null(st.cpus);
	}
}

/*
 * 128 CPUs, generated by tests/fixtures/cpu/gen-128cpu.py with these formulas.
 * The file (18 KB) is larger than proc_stat__read()'s first buffer.
 */
static void test_128_cpus(void **state)
{
	__u64 sum[CPU_TIMES_NR_FIELDS] = { 0 }, total[CPU_TIMES_NR_FIELDS];
	struct proc_stat st;

	assert_int_equal(read_root("128cpu", &st), 0);
	assert_int_equal(st.nr_cpus, 128);
	for (__u32 i = 0; i < 128; i++) {
		const __u64 want[CPU_TIMES_NR_FIELDS] = {
			100000 + 37 * i, i % 5, 20000 + 11 * i, 5000000 - 13 * i, 300 + i, 0,
			700 + 2 * i, i % 3, 0, 0,
		};
		__u64 got[CPU_TIMES_NR_FIELDS];
		char what[32];

		assert_int_equal(st.cpus[i].cpu, i);
		snprintf(what, sizeof(what), "cpu%u", i);
		assert_times(what, &st.cpus[i].times, want);
		times_to_array(&st.cpus[i].times, got);
		for (int k = 0; k < CPU_TIMES_NR_FIELDS; k++)
			sum[k] += got[k];
	}
	assert_times("128cpu total", &st.total, sum);
	times_to_array(&st.total, total);
	assert_int_equal(total[0], 13100736);
	assert_int_equal(st.intr_total, 123562);
	assert_int_equal(st.ctxt, 98765432101ULL);
	assert_int_equal(st.procs_running, 129);
	assert_ptr_equal(proc_stat__find_cpu(&st, 127), &st.cpus[127]);
	assert_null(proc_stat__find_cpu(&st, 128));
	proc_stat__free(&st);
}

static void test_find_cpu_with_gaps(void **state)
{
	static const struct {
		__u32 cpu;
		__u64 user; /* 0: not online */
	} cases[] = { { 0, 2000 }, { 1, 2100 }, { 2, 0 }, { 3, 1900 }, { 4, 0 },
		      { 5, 0 },	   { 6, 1500 }, { 7, 0 }, { 64, 0 } };
	struct proc_stat st;
	__u64 user_sum = 0;

	assert_int_equal(read_root("offline", &st), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct proc_stat_cpu *c = proc_stat__find_cpu(&st, cases[i].cpu);

		if (!cases[i].user) {
			if (c)
				fail_msg("cpu%u is offline but was found", cases[i].cpu);
			continue;
		}
		if (!c)
			fail_msg("cpu%u not found", cases[i].cpu);
		assert_int_equal(c->cpu, cases[i].cpu);
		assert_int_equal(c->times.user_ticks, cases[i].user);
		user_sum += c->times.user_ticks;
	}
	/* Offline CPUs' past time stays in the aggregate only. */
	assert_int_equal(user_sum, 7500);
	assert_true(st.total.user_ticks > user_sum);
	proc_stat__free(&st);
}

/* ------------------------------------------------------------------------ */
/* Small hand-made buffers, parsed from an exact-size heap copy so that ASan
 * catches any read past @len. */

struct inline_case {
	const char *name;
	const char *buf;
	size_t len; /* 0: strlen(buf) */
	int err;
	size_t nr_cpus;
	__u32 first_cpu;
	__u32 total_nr_fields;
	__u64 total_user;
	unsigned int has;
	bool truncated;
};

#define BUF(s) .name = s, .buf
#define PARSED(nf, user) .total_nr_fields = nf, .total_user = user

static const struct inline_case inline_cases[] = {
	{ BUF("minimal") = "cpu  1 2 3 4\n", PARSED(4, 1) },
	{ BUF("single space after cpu") = "cpu 7 2 3 4\n", PARSED(4, 7) },
	{ BUF("three columns") = "cpu  1 2 3\n", .err = -EPROTO },
	{ BUF("letter in a number") = "cpu  1 2 x3 4\n", .err = -EPROTO },
	{ BUF("number then letters") = "cpu  1 2 3k 4\n", .err = -EPROTO },
	{ BUF("negative") = "cpu  -1 2 3 4\n", .err = -EPROTO },
	{ BUF("future 12 columns") = "cpu  1 2 3 4 5 6 7 8 9 10 11 12\n", PARSED(10, 1) },
	{ BUF("u64 max") = "cpu  18446744073709551615 0 0 0\n", PARSED(4, UINT64_MAX) },
	{ BUF("u64 max + 1") = "cpu  18446744073709551616 0 0 0\n", .err = -ERANGE },
	{ BUF("no aggregate line") = "cpu0 1 2 3 4\nctxt 5\n", .err = -ENODATA },
	{ BUF("aggregate cut short") = "cpu  10132 25 44", .err = -ENODATA },
	{ BUF("duplicate cpu") = "cpu  1 2 3 4\ncpu0 1 2 3 4\ncpu0 1 2 3 4\n", .err = -EPROTO },
	{ BUF("out of order is sorted") = "cpu  3 0 0 0\ncpu9 1 0 0 0\ncpu4 2 0 0 0\n",
	  PARSED(4, 3), .nr_cpus = 2, .first_cpu = 4 },
	{ BUF("ctxt without a number") = "cpu  1 2 3 4\nctxt\n", .err = -EPROTO },
	{ BUF("ctxt with a suffix") = "cpu  1 2 3 4\nctxt 12k\n", .err = -EPROTO },
	{ BUF("ctxt overflow") = "cpu  1 2 3 4\nctxt 99999999999999999999\n", .err = -ERANGE },
	{ BUF("cpuX is not a cpu line") = "cpu  1 2 3 4\ncpufreq 9 9 9 9\n", PARSED(4, 1) },
	{ BUF("len stops before ctxt") = "cpu  1 2 3 4\nctxt 99\n", .len = 13, PARSED(4, 1) },
	{ BUF("len stops inside ctxt") = "cpu  1 2 3 4\nctxt 99\n", .len = 19, PARSED(4, 1),
	  .truncated = true },
	{ BUF("len covers ctxt") = "cpu  1 2 3 4\nctxt 99\n", .len = 21, PARSED(4, 1),
	  .has = PROC_STAT_HAS_CTXT },
	{ BUF("tabs and trailing blanks") = "cpu\t1\t2 3 4  \nbtime 5 \n", PARSED(4, 1),
	  .has = PROC_STAT_HAS_BTIME },
	{ BUF("blank line and unknown keys") = "\npage 1 2\ncpu  1 2 3 4\nswap 0 0\n",
	  PARSED(4, 1) },
	{ BUF("zero length") = "", .err = -ENODATA },
};

static void test_inline_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(inline_cases); i++) {
		const struct inline_case *c = &inline_cases[i];
		size_t len = c->len ? c->len : strlen(c->buf);
		char *copy = malloc(len ? len : 1);
		struct proc_stat st;
		int err;

		assert_non_null(copy);
		memcpy(copy, c->buf, len);
		err = proc_stat__parse(copy, len, &st);
		free(copy);
		if (err != c->err)
			fail_msg("%s: got %d, want %d", c->name, err, c->err);
		if (err) {
			assert_null(st.cpus);
			continue;
		}
		if (st.nr_cpus != c->nr_cpus)
			fail_msg("%s: %zu cpus, want %zu", c->name, st.nr_cpus, c->nr_cpus);
		if (c->nr_cpus && st.cpus[0].cpu != c->first_cpu)
			fail_msg("%s: first cpu %u, want %u", c->name, st.cpus[0].cpu,
				 c->first_cpu);
		assert_int_equal(st.total_nr_fields, c->total_nr_fields);
		if (st.total.user_ticks != c->total_user)
			fail_msg("%s: user %llu, want %llu", c->name,
				 (unsigned long long)st.total.user_ticks,
				 (unsigned long long)c->total_user);
		if (st.has != c->has)
			fail_msg("%s: has %#x, want %#x", c->name, st.has, c->has);
		if (st.truncated != c->truncated)
			fail_msg("%s: truncated %d, want %d", c->name, st.truncated, c->truncated);
		proc_stat__free(&st);
	}
	proc_stat__free(NULL);
}

/* ------------------------------------------------------------------------ */
/* Percentages. */

#define PCT_EPS 1e-9

struct percent_case {
	const char *name;
	struct cpu_times prev, now;
	struct cpu_percent want;
};

static const struct percent_case percent_cases[] = {
	{
		"plain",
		{},
		{ .user_ticks = 250, .system_ticks = 100, .idle_ticks = 600, .softirq_ticks = 50 },
		{ .user = 25, .system = 10, .idle = 60, .softirq = 5, .busy = 40 },
	},
	{
		"every column",
		{ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 11, 21, 31, 41, 51, 61, 71, 81, 6, 11 },
		/* total = 10 + 20 + ... + 80 = 360; guest (5, 10) is not added again */
		{ 1000.0 / 360, 2000.0 / 360, 3000.0 / 360, 4000.0 / 360, 5000.0 / 360,
		  6000.0 / 360, 7000.0 / 360, 8000.0 / 360, 500.0 / 360, 1000.0 / 360,
		  (10 + 20 + 30 + 60 + 70 + 80) * 100.0 / 360 },
	},
	{
		"no time passed",
		{ 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 },
		{ 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 },
		{},
	},
	{
		"everything went backwards",
		{ 900, 900, 900, 900, 900, 900, 900, 900, 900, 900 },
		{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 },
		{},
	},
	{
		/* A guest used 400 of the 600 user ticks: not 1000 of 1400. */
		"guest inside user",
		{ .user_ticks = 1000, .guest_ticks = 400 },
		{ .user_ticks = 1600, .idle_ticks = 400, .guest_ticks = 800 },
		{ .user = 60, .idle = 40, .guest = 40, .busy = 60 },
	},
	{
		"guest_nice inside nice",
		{},
		{ .nice_ticks = 300, .idle_ticks = 700, .guest_nice_ticks = 300 },
		{ .nice = 30, .idle = 70, .guest_nice = 30, .busy = 30 },
	},
	{
		/* Rounded separately, guest can pass user by a tick: capped. */
		"guest rounded above user",
		{ .user_ticks = 100 },
		{ .user_ticks = 150, .idle_ticks = 50, .guest_ticks = 60 },
		{ .user = 50, .idle = 50, .guest = 50, .busy = 50 },
	},
	{
		/* psutil #1210: a steal reset must not pin busy at 100%. */
		"steal reset",
		{ .user_ticks = 100, .idle_ticks = 100, .steal_ticks = 100000 },
		{ .user_ticks = 150, .idle_ticks = 150, .steal_ticks = 10 },
		{ .user = 50, .idle = 50, .busy = 50 },
	},
	{
		"iowait went down",
		{ .system_ticks = 10, .idle_ticks = 10, .iowait_ticks = 500 },
		{ .system_ticks = 30, .idle_ticks = 90, .iowait_ticks = 480 },
		{ .system = 20, .idle = 80, .busy = 20 },
	},
	{
		"only iowait",
		{},
		{ .iowait_ticks = 7 },
		{ .iowait = 100 },
	},
	{
		/* Near 2^64: deltas, not absolute values, must drive the result. */
		"huge counters",
		{ .user_ticks = UINT64_MAX - 300, .idle_ticks = UINT64_MAX - 300 },
		{ .user_ticks = UINT64_MAX - 200, .idle_ticks = UINT64_MAX },
		{ .user = 25, .idle = 75, .busy = 25 },
	},
};

static void assert_percent(const char *name, const struct cpu_percent *got,
			   const struct cpu_percent *want)
{
	static const char *const names[] = {
		"user", "nice", "system", "idle", "iowait", "irq",
		"softirq", "steal", "guest", "guest_nice", "busy",
	};
	const double g[] = { got->user,	 got->nice,    got->system,	got->idle,
			     got->iowait, got->irq,	got->softirq,	got->steal,
			     got->guest,  got->guest_nice, got->busy };
	const double w[] = { want->user,   want->nice,	     want->system,  want->idle,
			     want->iowait, want->irq,	     want->softirq, want->steal,
			     want->guest,  want->guest_nice, want->busy };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(fabs(g[i] - w[i]) <= PCT_EPS))
			fail_msg("%s: %s %.12f, want %.12f", name, names[i], g[i], w[i]);
	}
}

static void test_percent_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(percent_cases); i++) {
		const struct percent_case *c = &percent_cases[i];
		struct cpu_percent got;

		bool shares = c->want.busy + c->want.idle + c->want.iowait != 0;

		memset(&got, 0xa5, sizeof(got)); /* every field must be written */
		/* No tick between the two (no time, or all gone back): no shares, said so. */
		if (proc_stat__cpu_percent(&c->prev, &c->now, &got) != shares)
			fail_msg("%s: said %s", c->name, shares ? "no shares" : "shares");
		assert_percent(c->name, &got, &c->want);
		if (fabs(got.busy + got.idle + got.iowait - 100.0) > PCT_EPS &&
		    got.busy + got.idle + got.iowait != 0)
			fail_msg("%s: busy + idle + iowait = %f", c->name,
				 got.busy + got.idle + got.iowait);
	}
}

/* The same as "steal reset", end to end from two fixture samples. */
static void test_percent_from_backwards_samples(void **state)
{
	const struct cpu_percent want = { .user = 25, .system = 10, .idle = 60, .softirq = 5,
					  .busy = 40 };
	struct proc_stat a, b;
	struct cpu_percent p;

	assert_int_equal(read_root("backwards-0", &a), 0);
	assert_int_equal(read_root("backwards-1", &b), 0);
	assert_true(b.total.steal_ticks < a.total.steal_ticks);
	assert_true(b.total.iowait_ticks < a.total.iowait_ticks);
	proc_stat__cpu_percent(&a.total, &b.total, &p);
	assert_percent("backwards total", &p, &want);
	for (size_t i = 0; i < b.nr_cpus; i++) {
		const struct proc_stat_cpu *prev = proc_stat__find_cpu(&a, b.cpus[i].cpu);

		assert_non_null(prev);
		proc_stat__cpu_percent(&prev->times, &b.cpus[i].times, &p);
		assert_percent("backwards per cpu", &p, &want);
	}
	proc_stat__free(&a);
	proc_stat__free(&b);
}

/* Since boot on the KVM host: guest time is a share of user, not extra. */
static void test_percent_guest_fixture(void **state)
{
	const struct cpu_percent want = { .user = 30, .nice = 1, .system = 5, .idle = 62.5,
					  .iowait = 0.5, .softirq = 1, .guest = 20,
					  .guest_nice = 0.75, .busy = 37 };
	const struct cpu_times zero = { 0 };
	struct proc_stat st;
	struct cpu_percent p;

	assert_int_equal(read_root("kvm-host", &st), 0);
	proc_stat__cpu_percent(&zero, &st.total, &p);
	assert_percent("kvm-host", &p, &want);
	proc_stat__free(&st);
}

static void test_ticks_to_ns(void **state)
{
	const __u64 hz = (__u64)proc_stat__clk_tck();
	const __u64 cases[] = {
		0, 1, hz - 1, hz, hz + 1, 123456789, 18446744073ULL * hz - 1, 18446744073ULL * hz,
		18446744073ULL * hz + hz - 1, 18446744074ULL * hz, UINT64_MAX / 2, UINT64_MAX,
	};

	assert_int_equal(hz, sysconf(_SC_CLK_TCK));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned __int128 exact = (unsigned __int128)cases[i] * 1000000000u / hz;
		__u64 want = exact > UINT64_MAX ? UINT64_MAX : (__u64)exact;
		__u64 got = proc_stat__ticks_to_ns(cases[i]);

		if (got != want)
			fail_msg("%llu ticks: got %llu ns, want %llu", (unsigned long long)cases[i],
				 (unsigned long long)got, (unsigned long long)want);
	}
	if (hz == 100)
		assert_int_equal(proc_stat__ticks_to_ns(150), 1500000000ULL);
}

/* ------------------------------------------------------------------------ */
/* This machine's own /proc/stat. */

static void test_live(void **state)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN), conf = sysconf(_SC_NPROCESSORS_CONF);
	__u64 sum[CPU_TIMES_NR_FIELDS] = { 0 }, total[CPU_TIMES_NR_FIELDS];
	struct proc_stat a, b;
	struct cpu_percent p;
	struct timespec real, boot;
	double boot_s;
	int dirfd = util__open_dir("/proc");

	assert_true(dirfd >= 0);
	assert_int_equal(proc_stat__read(dirfd, &a), 0);
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);

	assert_false(a.truncated);
	assert_int_equal(a.nr_cpus, online);
	assert_int_equal(a.total_nr_fields, 10);
	assert_int_equal(a.has, HAS_ALL);
	for (size_t i = 0; i < a.nr_cpus; i++) {
		__u64 v[CPU_TIMES_NR_FIELDS];

		assert_int_equal(a.cpus[i].nr_fields, 10);
		assert_true(a.cpus[i].cpu < (__u32)conf);
		if (i)
			assert_true(a.cpus[i - 1].cpu < a.cpus[i].cpu);
		times_to_array(&a.cpus[i].times, v);
		for (int k = 0; k < CPU_TIMES_NR_FIELDS; k++)
			sum[k] += v[k];
	}
	/*
	 * Each line is rounded to ticks on its own, and time moves while the
	 * kernel prints: allow a couple of ticks per CPU. With every possible
	 * CPU online the aggregate has nothing else in it.
	 */
	times_to_array(&a.total, total);
	for (int k = 0; k < CPU_TIMES_NR_FIELDS; k++) {
		__u64 tol = 2 * (__u64)a.nr_cpus + 2;

		if (total[k] + tol < sum[k] || (online == conf && total[k] > sum[k] + tol))
			fail_msg("%s: total %llu vs per-cpu sum %llu", column_names[k],
				 (unsigned long long)total[k], (unsigned long long)sum[k]);
	}
	assert_true(a.procs_running >= 1); /* this test is running */
	assert_true(a.processes >= 1);
	assert_true(a.ctxt > 0 && a.intr_total > 0);

	/* btime is whole seconds of the same boot instant CLOCK_BOOTTIME counts from. */
	boot_s = (double)real.tv_sec - (double)boot.tv_sec +
		 ((double)real.tv_nsec - (double)boot.tv_nsec) / 1e9;
	if (fabs((double)a.btime_s - boot_s) > 1.0)
		fail_msg("btime %llu, realtime - boottime %.3f", (unsigned long long)a.btime_s,
			 boot_s);

	assert_int_equal(proc_stat__read(dirfd, &b), 0);
	proc_stat__cpu_percent(&a.total, &b.total, &p);
	if (p.busy + p.idle + p.iowait != 0.0)
		assert_true(fabs(p.busy + p.idle + p.iowait - 100.0) < 1e-6);
	assert_true(p.guest <= p.user + PCT_EPS);
	proc_stat__free(&a);
	proc_stat__free(&b);
	close(dirfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_table),
		cmocka_unit_test(test_128_cpus),
		cmocka_unit_test(test_find_cpu_with_gaps),
		cmocka_unit_test(test_inline_table),
		cmocka_unit_test(test_percent_table),
		cmocka_unit_test(test_percent_from_backwards_samples),
		cmocka_unit_test(test_percent_guest_fixture),
		cmocka_unit_test(test_ticks_to_ns),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
