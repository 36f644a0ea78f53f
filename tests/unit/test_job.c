// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The job table, its aggregation, and the report writers over it. */
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>

#include <jansson.h>

#include "testutil.h"

#include "jobtrace/job.h"
#include "jobtrace/lineage.h"
#include "jobtrace/util.h"
#include "jobtrace/report.h"
#include "jobtrace/sink.h"

static struct jt_exit_event exit_event(__u64 job_id, const char *comm, __u64 cpu_ns,
				       __u64 rss, __u32 status)
{
	struct jt_exit_event e = {
		.version = JT_ABI_VERSION,
		.type = JT_REC_EXIT,
		.size = sizeof(e),
		.job_id = job_id,
		.acct.cpu_ns = cpu_ns,
		.peak_rss_bytes = rss,
		.exit_status = status,
		.peak_rss_source = JT_RSS_MM_HIWATER,
	};

	/* Up to JT_COMM_LEN bytes, no NUL needed: the kernel's comm may fill it. */
	memcpy(e.comm, comm, strnlen(comm, sizeof(e.comm)));
	return e;
}

static void test_commands_aggregate_and_sort(void **state)
{
	char *argv[] = { "make", NULL };
	const struct job_command *top[8];
	struct job job;
	struct jt_exit_event e;

	job__init(&job, 7, argv, 1);
	e = exit_event(7, "cc1", 3000, 100 << 20, 0);
	assert_int_equal(job__add_exit(&job, &e), 0);
	e = exit_event(7, "cc1", 5000, 150 << 20, 1 << 8);
	assert_int_equal(job__add_exit(&job, &e), 0);
	e = exit_event(7, "sh", 100, 1 << 20, 0);
	assert_int_equal(job__add_exit(&job, &e), 0);
	e = exit_event(7, "ld", 4000, 50 << 20, SIGKILL);
	assert_int_equal(job__add_exit(&job, &e), 0);
	/* Another job's record is refused, not folded in. */
	e = exit_event(8, "cc1", 1, 1, 0);
	assert_int_equal(job__add_exit(&job, &e), -ENOENT);

	assert_int_equal(job.records, 4);
	assert_int_equal(job.ncommands, 3);
	assert_int_equal(job__top_commands(&job, top, 8), 3);
	assert_string_equal(top[0]->comm, "cc1");
	assert_int_equal(top[0]->processes, 2);
	assert_int_equal(top[0]->cpu_ns, 8000);
	assert_int_equal(top[0]->peak_rss_bytes, 150 << 20);
	assert_int_equal(top[0]->exit_error, 1);
	assert_string_equal(top[1]->comm, "ld");
	assert_int_equal(top[1]->exit_error, 1);
	assert_string_equal(top[2]->comm, "sh");
	assert_int_equal(job__top_commands(&job, top, 1), 1);
	assert_string_equal(top[0]->comm, "cc1");
	job__free(&job);
	job__free(&job); /* idempotent */
	job__free(NULL);
}

/* Thousands of distinct names: the table grows and loses none. */
static void test_command_table_grows(void **state)
{
	const struct job_command **top;
	struct jt_exit_event e;
	struct job job;
	__u64 total = 0;
	char name[32];
	size_t n;

	job__init(&job, 1, NULL, 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "w%d", i % 2500);
		e = exit_event(1, name, (__u64)i, 0, 0);
		assert_int_equal(job__add_exit(&job, &e), 0);
	}
	assert_int_equal(job.ncommands, 2500);
	top = calloc(3000, sizeof(*top));
	assert_non_null(top);
	n = job__top_commands(&job, top, 3000);
	assert_int_equal(n, 2500);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(top[i]->processes, 2);
		if (i)
			assert_true(top[i - 1]->cpu_ns >= top[i]->cpu_ns);
		total += top[i]->cpu_ns;
	}
	assert_int_equal(total, 4999ULL * 5000 / 2);
	free(top);
	job__free(&job);
}

/* A comm of 16 bytes with no NUL, and one with bytes no name should have. */
static void test_full_and_hostile_comm(void **state)
{
	const struct job_command *top[2];
	struct jt_exit_event e;
	struct job job;

	job__init(&job, 1, NULL, 0);
	e = exit_event(1, "", 2, 0, 0);
	memcpy(e.comm, "0123456789abcdef", 16);
	job__add_exit(&job, &e);
	e = exit_event(1, "a\"\\\n\xff", 1, 0, 0);
	job__add_exit(&job, &e);
	assert_int_equal(job__top_commands(&job, top, 2), 2);
	assert_string_equal(top[0]->comm, "0123456789abcdef");
	assert_string_equal(top[1]->comm, "a\"\\\n\xff");
	job__free(&job);
}

struct split_case {
	__u64 total, utime, stime, want_user, want_system;
};

static void test_cpu_split(void **state)
{
	static const struct split_case cases[] = {
		{ 1000, 0, 0, 1000, 0 }, /* no tick seen: all user, as cputime_adjust */
		{ 1000, 500, 0, 1000, 0 },
		{ 1000, 0, 500, 0, 1000 },
		{ 1000, 300, 100, 750, 250 },
		{ 999, 1, 2, 333, 666 },
		{ 0, 10, 10, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		__u64 sy = jt_cputime_system(cases[i].total, cases[i].utime, cases[i].stime);

		assert_int_equal(cases[i].total - sy, cases[i].want_user);
		assert_int_equal(sy, cases[i].want_system);
	}
	/* Past 2^32 on every side: scaled, never overflowed. */
	assert_int_equal(jt_cputime_system(40000000000ULL, 30000000000ULL, 10000000000ULL),
			 10000000000ULL);
	assert_int_equal(jt_cputime_system(1ULL << 62, 1ULL << 40, 1ULL << 40), 1ULL << 61);
}

/* The split as it was computed before jt_bits_over_32(): one bit a step. */
static __u64 cputime_system_by_steps(__u64 total, __u64 utime, __u64 stime)
{
	__u64 ticks = utime + stime;
	int shift = 0;

	if (stime == 0 || total == 0)
		return 0;
	if (utime == 0)
		return total;
	while (total >> 32) {
		total >>= 1;
		shift++;
	}
	while (stime >> 32) {
		stime >>= 1;
		ticks >>= 1;
	}
	if (ticks == 0)
		return total << shift;
	return (stime * total / ticks) << shift;
}

/* Every bit length, and values on each side of each power of two, as the steps gave. */
static void test_cpu_split_bits(void **state)
{
	__u64 seed = 0x9e3779b97f4a7c15ULL;

	assert_int_equal(jt_bits_over_32(0), 0);
	for (int b = 0; b < 64; b++) {
		__u64 p = 1ULL << b;
		__u64 vs[] = { p, p - 1, p + 1, p | (p >> 1), p | (p - 1) };

		for (size_t k = 0; k < ARRAY_SIZE(vs); k++) {
			__u64 v = vs[k], len = 0;

			for (__u64 x = v; x; x >>= 1)
				len++;
			assert_int_equal(jt_bits_over_32(v), len > 32 ? len - 32 : 0);
		}
	}
	for (int i = 0; i < 200000; i++) {
		__u64 r[3];

		for (int k = 0; k < 3; k++) {
			/* xorshift64, each value cut to a random bit length */
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			r[k] = seed >> (seed % 64);
		}
		/* utime + stime as the kernel keeps them: no overflow of their sum */
		r[1] >>= 1;
		r[2] >>= 1;
		assert_int_equal(jt_cputime_system(r[0], r[1], r[2]),
				 cputime_system_by_steps(r[0], r[1], r[2]));
	}
}

static void test_exit_codes(void **state)
{
	assert_int_equal(job__exit_code(0), 0);
	assert_int_equal(job__exit_code(3 << 8), 3);
	assert_int_equal(job__exit_code(255 << 8), 255);
	assert_int_equal(job__exit_code(SIGKILL), 128 + SIGKILL);
	assert_int_equal(job__exit_code(SIGSEGV | 0x80), 128 + SIGSEGV);
}

static void fill_job(struct job *job, char **argv, int argc)
{
	struct jt_exit_event e;

	job__init(job, 1, argv, argc);
	job->root_pid = 4242;
	job->root_exited = true;
	job->root_status = 2 << 8;
	job->start_ns = 1000000000ULL;
	job->root_end_ns = 3500000000ULL;
	job->end_ns = 4000000000ULL;
	job->stats = (struct jt_job_stats){
		.root_tgid = 4242,
		.procs_started = 12,
		.procs_exited = 12,
		.threads_started = 3,
		.execs = 5,
		.exit_ok = 9,
		.exit_error = 2,
		.exit_signal = 1,
		.max_alive = 4,
		.outlived_root = 2,
		.cpu_ns = 2000000000ULL,
		.user_ns = 1500000000ULL, /* split per process, in the kernel */
		.system_ns = 500000000ULL,
		.exited.utime_ns = 300,
		.exited.stime_ns = 100,
		.peak_rss_bytes = 3 << 20,
		.exited.read_bytes = 4096,
		.exited.write_bytes = 8192,
		.exited.read_chars = 100,
		.exited.write_chars = 200,
		.events_sent = 10,
		.events_lost = 2,
	};
	e = exit_event(1, "a\"b\\c\nd\xff", 1500000000ULL, 3 << 20, 0);
	job__add_exit(job, &e);
	for (int i = 0; i < 9; i++) {
		e = exit_event(1, "sh", 10, 1 << 20, 0);
		job__add_exit(job, &e);
	}
}

/*
 * The failures a report lists: OOM kills first, then other deaths by a
 * signal, then non-zero exits, each in the order they came; a full list
 * gives an exit code's place to a death, never the other way round.
 */
static void test_failures_deaths_first(void **state)
{
	struct job_oom oom = { .killed = true, .limit_known = true, .limit_bytes = 64 << 20 };
	struct jt_exit_event e;
	struct job job;

	job__init(&job, 1, NULL, 0);
	/* More exit codes than the list holds: the first JOB_MAX_FAILED stay. */
	for (__u32 pid = 100; pid < 100 + JOB_MAX_FAILED + 3; pid++) {
		e = exit_event(1, "false", 10, 1 << 20, 1 << 8);
		e.pid = pid;
		job__note_failure(&job, &e, NULL, 0, NULL);
	}
	assert_int_equal(job.nfailed, JOB_MAX_FAILED);
	e = exit_event(1, "sleep", 10, 1 << 20, SIGTERM);
	e.pid = 200;
	job__note_failure(&job, &e, NULL, 0, NULL);
	e = exit_event(1, "alloc", 10, 70 << 20, SIGKILL);
	e.pid = 300;
	job__note_failure(&job, &e, NULL, 0, &oom);
	e = exit_event(1, "kill9", 10, 1 << 20, SIGKILL);
	e.pid = 201;
	job__note_failure(&job, &e, NULL, 0, NULL);
	/* A success is no failure. */
	e = exit_event(1, "true", 10, 1 << 20, 0);
	job__note_failure(&job, &e, NULL, 0, NULL);

	assert_int_equal(job.nfailed, JOB_MAX_FAILED);
	assert_int_equal(job.failed[0].pid, 300);
	assert_true(job.failed[0].oom.killed);
	assert_int_equal(job.failed[0].oom.limit_bytes, 64 << 20);
	assert_int_equal(job.failed[1].pid, 200);
	assert_int_equal(job.failed[2].pid, 201);
	assert_false(job.failed[2].oom.killed);
	/* Then the exit codes that still fit, first come first. */
	for (size_t i = 3; i < JOB_MAX_FAILED; i++)
		assert_int_equal(job.failed[i].pid, 100 + i - 3);
	job__free(&job);
}

/* watch's status of a job: its root's when seen, else whether anything failed. */
static void test_job_status(void **state)
{
	static const struct {
		bool root_exited;
		int root_status;
		__u64 exit_error, exit_signal;
		int want;
	} cases[] = {
		{ true, 7 << 8, 0, 0, 7 },	  /* the root's code */
		{ true, SIGKILL, 0, 0, 137 },	  /* 128 + its signal */
		{ true, 0, 5, 1, 0 },		  /* the root's 0 wins over its children, as run */
		{ false, 0, 0, 0, 0 },		  /* no root seen, nothing failed */
		{ false, 0, 2, 0, 1 },		  /* a cgroup with failures */
		{ false, 0, 0, 1, 1 },		  /* ... or a death by signal */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct job j = {};

		j.root_exited = cases[i].root_exited;
		j.root_status = cases[i].root_status;
		j.stats.exit_error = cases[i].exit_error;
		j.stats.exit_signal = cases[i].exit_signal;
		if (job__status(&j) != cases[i].want)
			fail_msg("case %zu: status %d, want %d", i, job__status(&j), cases[i].want);
	}
}

static void test_report_json(void **state)
{
	char *argv[] = { "sh", "-c", "echo \"hi\"\n\xfe", NULL };
	struct capture cap;
	json_error_t err;
	struct job job;
	json_t *r, *v;

	fill_job(&job, argv, 3);
	capture__open(&cap);
	assert_int_equal(report__write_json(cap.f, &job, 10), 0);
	capture__close(&cap);

	r = json_loads(cap.buf, 0, &err);
	if (!r)
		fail_msg("invalid JSON: %s in %s", err.text, cap.buf);
	v = json_object_get(json_object_get(r, "job"), "command");
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(json_string_value(json_array_get(v, 2)), "echo \"hi\"\n\xef\xbf\xbd");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "job"), "root_pid")),
			 4242);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(r, "job"), "exit_code")), 2);
	assert_true(json_is_null(json_object_get(json_object_get(r, "job"), "signal")));
	assert_true(fabs(json_number_value(json_object_get(json_object_get(r, "job"), "wall_s")) -
			 3.0) < 1e-9);
	v = json_object_get(r, "processes");
	assert_int_equal(json_integer_value(json_object_get(v, "started")), 12);
	assert_int_equal(json_integer_value(json_object_get(v, "outlived_root")), 2);
	assert_int_equal(json_integer_value(json_object_get(v, "max_alive")), 4);
	assert_int_equal(json_integer_value(json_object_get(v, "exit_signal")), 1);
	v = json_object_get(r, "cpu");
	assert_true(fabs(json_number_value(json_object_get(v, "user_s")) - 1.5) < 1e-9);
	assert_true(fabs(json_number_value(json_object_get(v, "system_s")) - 0.5) < 1e-9);
	assert_true(fabs(json_number_value(json_object_get(v, "total_s")) - 2.0) < 1e-9);
	v = json_object_get(r, "events");
	assert_int_equal(json_integer_value(json_object_get(v, "lost")), 2);
	assert_true(json_is_false(json_object_get(v, "complete")));
	v = json_object_get(r, "commands");
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "comm")),
			    "a\"b\\c\nd\xef\xbf\xbd");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(v, 1), "processes")), 9);
	json_decref(r);
	capture__free(&cap);
	job__free(&job);
}

/*
 * Counts that cannot be true (an exit counted twice: a job made again while
 * its old processes lived, in a pid namespace) are held to what can be and
 * counted; good counts pass untouched. Never a negative alive, never 2^64 - 1.
 */
static void test_check_counts(void **state)
{
	static const struct {
		__u64 started, existing, moved_in, exited, moved_out, max_alive;
		__s64 alive;
		__u64 want_max_alive, want_inconsistent;
		__s64 want_alive;
	} cases[] = {
		/* What the issue saw: 856 started, 882 exited, alive -26, max_alive 2^64 - 1. */
		{ 856, 0, 0, 882, 0, UINT64_MAX, -26, 856, 26, 0 },
		{ 856, 0, 0, 882, 0, 18, -26, 18, 26, 0 },
		{ 10, 3, 2, 12, 1, 7, 2, 7, 0, 2 },
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
		/* Moved out beyond what came. */
		{ 1, 0, 0, 0, 3, 1, -2, 1, 2, 0 },
		/* Alive at once beyond all that came. */
		{ 4, 0, 0, 4, 0, 9, 0, 4, 1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct job job;

		job__init(&job, 1, NULL, 0);
		job.stats.procs_started = cases[i].started;
		job.stats.existing = cases[i].existing;
		job.stats.moved_in = cases[i].moved_in;
		job.stats.procs_exited = cases[i].exited;
		job.stats.moved_out = cases[i].moved_out;
		job.stats.max_alive = cases[i].max_alive;
		job.stats.alive = cases[i].alive;
		job__check_counts(&job);
		assert_int_equal(job.stats.alive, cases[i].want_alive);
		assert_int_equal(job.stats.max_alive, cases[i].want_max_alive);
		assert_int_equal(job.inconsistent, cases[i].want_inconsistent);
		/* Untouched: the kernel's totals are reported as they are. */
		assert_int_equal(job.stats.procs_exited, cases[i].exited);
		job__free(&job);
	}
}

/* An inconsistency makes the report incomplete, and says by how much. */
static void test_report_counts_inconsistent(void **state)
{
	char *argv[] = { "sh", NULL };
	const char *why[JOB_MAX_INCOMPLETE];
	struct capture cap;
	json_error_t err;
	struct job job;
	json_t *r;
	size_t n;

	job__init(&job, 1, argv, 1);
	job.stats.procs_started = 856;
	job.stats.procs_exited = 882;
	job.stats.exit_ok = 882;
	job.stats.alive = -26;
	job.stats.max_alive = UINT64_MAX;
	job.stats.outlived_root = -1;
	job__check_counts(&job);
	n = job__incomplete(&job, why, JOB_MAX_INCOMPLETE);
	assert_int_equal(n, 1);
	assert_string_equal(why[0], "counts_inconsistent");
	capture__open(&cap);
	assert_int_equal(report__write_json(cap.f, &job, 10), 0);
	capture__close(&cap);
	assert_null(strstr(cap.buf, "18446744073709551615"));
	r = json_loads(cap.buf, 0, &err);
	if (!r)
		fail_msg("invalid JSON: %s in %s", err.text, cap.buf);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "processes"),
							    "alive")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "processes"),
							    "max_alive")), 856);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "limits"),
							    "counts_inconsistent")), 26);
	assert_true(json_is_false(json_object_get(r, "complete")));
	json_decref(r);
	capture__free(&cap);
	job__free(&job);
}

/* A job with processes outside jobtrace's pid namespace says so. */
static void test_outside_pid_namespace_incomplete(void **state)
{
	const char *why[JOB_MAX_INCOMPLETE];
	struct job job;

	job__init(&job, 1, NULL, 0);
	assert_int_equal(job__incomplete(&job, why, JOB_MAX_INCOMPLETE), 0);
	job.stats.outside_ns = 3;
	assert_int_equal(job__incomplete(&job, why, JOB_MAX_INCOMPLETE), 1);
	assert_string_equal(why[0], "outside_pid_namespace");
	job__free(&job);
}

/* What watch --all's line of @j says ("running" or "ended"), and its full report, into @line. */
static void compact_and_full(const struct cjob *j, const char **line, const char **full,
			     struct capture *c1, struct capture *c2)
{
	struct collector_stats st = {};
	struct sink *s;

	capture__open(c1);
	s = sink_text__new(c1->f, 10);
	assert_non_null(s);
	s->compact = true;
	assert_int_equal(s->ops->job_end(s, j, &st), 0);
	sink__free(s);
	*line = capture__close(c1);
	capture__open(c2);
	assert_int_equal(report__write_text(c2->f, &j->job, 10), 0);
	*full = capture__close(c2);
}

/*
 * watch --all's line of a job and the job's full report say the same of
 * it: running or ended. A job with a process outside jobtrace's pid
 * namespace, which the live read never sees but the kernel counts alive
 * (outside_ns), is running in both; one whose only processes counted alive
 * were gone (their exits missed: stale) has ended in both; one whose live
 * read found a process is running in both.
 */
static void test_running_one_answer(void **state)
{
	struct cjob *j = calloc(1, sizeof(*j) + CJOB_KEY_SIZE);
	const struct {
		__s64 alive;
		__u64 stale, live;
		bool running;
	} cases[] = {
		{ .alive = 1, .running = true }, /* outside the pid namespace: no live one */
		{ .alive = 2, .stale = 2, .running = false },
		{ .alive = 3, .stale = 2, .running = true },
		{ .alive = 0, .live = 1, .running = true },
		{ .alive = 0, .running = false },
	};

	assert_non_null(j);
	j->job.key = TEST_CJOB_KEY(j);
	snprintf(TEST_CJOB_KEY(j), CJOB_KEY_SIZE, "cgroup:/outside");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct capture c1, c2;
		const char *line, *full;

		job__init(&j->job, 1, NULL, 0);
		j->job.key = TEST_CJOB_KEY(j);
		j->job.start_ns = 1000000000ULL;
		j->job.end_ns = 4000000000ULL;
		j->job.stats.procs_started = 4;
		j->job.stats.procs_exited = 4 - (__u64)cases[i].alive;
		j->job.stats.alive = cases[i].alive;
		j->job.stats.outside_ns = 1;
		j->job.stale = cases[i].stale;
		j->live.processes = cases[i].live;
		/* As the collector's job_figures() sets it: the live read's, where it saw any. */
		j->job.live = cases[i].live ? &j->live : NULL;
		assert_true(job__running(&j->job) == cases[i].running);
		compact_and_full(j, &line, &full, &c1, &c2);
		if (cases[i].running) {
			assert_non_null(strstr(line, "cgroup:/outside: running, "));
			assert_non_null(strstr(full, "job cgroup:/outside is still running after"));
			assert_non_null(strstr(full, "s so far: the tree is still running\n"));
		} else {
			assert_non_null(strstr(line, "cgroup:/outside: ended, "));
			assert_non_null(strstr(full, "job cgroup:/outside ended after"));
			assert_non_null(strstr(full, "s until the whole tree ended\n"));
		}
		capture__free(&c1);
		capture__free(&c2);
		job__free(&j->job);
	}
	free(j);
}

/* In a pid namespace the root has two numbers: the host's, and run's own beside it. */
static void test_report_root_ns_pid(void **state)
{
	char *argv[] = { "sh", NULL };
	struct capture cap;
	json_error_t err;
	struct job job;
	json_t *r;

	fill_job(&job, argv, 1);
	job.root_ns_pid = 2;
	capture__open(&cap);
	assert_int_equal(report__write_text(cap.f, &job, 10), 0);
	capture__close(&cap);
	assert_non_null(strstr(cap.buf, "(root pid 4242, 2 in its pid namespace) exited"));
	capture__free(&cap);
	capture__open(&cap);
	assert_int_equal(report__write_json(cap.f, &job, 10), 0);
	capture__close(&cap);
	r = json_loads(cap.buf, 0, &err);
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "job"), "root_pid")),
			 4242);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(r, "job"), "root_ns_pid")), 2);
	json_decref(r);
	capture__free(&cap);
	/* Outside a namespace there is one number, and no second field. */
	job.root_ns_pid = 0;
	capture__open(&cap);
	assert_int_equal(report__write_json(cap.f, &job, 10), 0);
	capture__close(&cap);
	r = json_loads(cap.buf, 0, &err);
	assert_non_null(r);
	assert_null(json_object_get(json_object_get(r, "job"), "root_ns_pid"));
	json_decref(r);
	capture__free(&cap);
	job__free(&job);
}

/*
 * A root's figures are null where there is no root (a host-mode job) or it
 * has not ended: no root_wall_s of 0, no core_dumped of false, which a
 * reader would take for a root that lived no time and dumped no core.
 */
static void test_report_root_unknown(void **state)
{
	static const struct {
		pid_t root_pid;
		bool exited;
		int status;
		const char *root_wall, *core; /* "null", or the JSON value */
	} cases[] = {
		{ 0, false, 0, "null", "null" }, /* a host-mode job: no root */
		{ 4242, false, 0, "null", "null" }, /* its root still running at the report */
		{ 4242, true, 2 << 8, "2.5", "false" },
		{ 4242, true, 11 | 0x80, "2.5", "true" },
	};
	char *argv[] = { "sh", NULL };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct capture cap;
		json_error_t err;
		struct job job;
		json_t *r, *j;
		char *got;

		fill_job(&job, argv, 1);
		job.root_pid = cases[i].root_pid;
		job.root_exited = cases[i].exited;
		job.root_status = cases[i].status;
		if (!cases[i].exited)
			job.root_end_ns = 0;
		capture__open(&cap);
		assert_int_equal(report__write_json(cap.f, &job, 10), 0);
		capture__close(&cap);
		r = json_loads(cap.buf, 0, &err);
		assert_non_null(r);
		j = json_object_get(r, "job");
		got = json_dumps(json_object_get(j, "root_wall_s"), JSON_ENCODE_ANY);
		if (strcmp(got, cases[i].root_wall))
			fail_msg("case %zu: root_wall_s %s, want %s", i, got, cases[i].root_wall);
		free(got);
		got = json_dumps(json_object_get(j, "core_dumped"), JSON_ENCODE_ANY);
		if (strcmp(got, cases[i].core))
			fail_msg("case %zu: core_dumped %s, want %s", i, got, cases[i].core);
		free(got);
		json_decref(r);
		capture__free(&cap);
		job__free(&job);
	}
}

static void test_report_text(void **state)
{
	char *argv[] = { "sh", "-c", "x\n\x1b[2J", NULL };
	struct capture cap;
	struct job job;
	const char *out;

	fill_job(&job, argv, 3);
	capture__open(&cap);
	assert_int_equal(report__write_text(cap.f, &job, 10), 0);
	out = capture__close(&cap);
	assert_non_null(strstr(out, "jobtrace: sh -c x\\x0a\\x1b[2J (root pid 4242) exited with "
				    "status 2 after 2.500 s\n"));
	assert_non_null(strstr(out, "12 started, 12 exited, 2 outlived the root, 4 alive at most"));
	assert_non_null(strstr(out, "9 ok, 2 non-zero, 1 killed by a signal"));
	assert_non_null(strstr(out, "1.500 s user, 0.500 s system, 2.000 s total"));
	assert_non_null(strstr(out, "3.0 MiB peak RSS"));
	assert_non_null(strstr(out, "a\"b\\\\c\\x0ad\\xff"));
	assert_non_null(strstr(out, "this report is incomplete: 2 of 12 exit records were lost"));
	/* No raw control byte from a name reaches the terminal. */
	assert_null(strchr(out, '\x1b'));
	capture__free(&cap);

	job.stats.events_lost = 0;
	job.root_status = SIGKILL;
	capture__open(&cap);
	assert_int_equal(report__write_text(cap.f, &job, 0), 0);
	out = capture__close(&cap);
	assert_non_null(strstr(out, "was killed by signal 9 (Killed)"));
	assert_null(strstr(out, "incomplete"));
	assert_null(strstr(out, "COMMAND"));
	capture__free(&cap);
	job__free(&job);
}

/*
 * A failed process of another user than the job's own (its root's uid at
 * exit) says whose it was, by name or by uid; one of the job's user does
 * not, nor does any before the root's record says who that is.
 */
static void test_report_failed_users(void **state)
{
	char *argv[] = { "sh", NULL };
	struct jt_exit_event e;
	struct capture cap;
	struct passwd *pw = getpwuid(65534);
	char want[128];
	struct job job;
	const char *out;

	fill_job(&job, argv, 1);
	e = exit_event(1, "mine", 10, 1 << 20, 3 << 8);
	e.pid = 501;
	job__note_failure(&job, &e, NULL, 0, NULL);
	e = exit_event(1, "theirs", 10, 1 << 20, 4 << 8);
	e.pid = 502;
	e.uid = 65534;
	job__note_failure(&job, &e, NULL, 0, NULL);
	e = exit_event(1, "unnamed", 10, 1 << 20, SIGTERM);
	e.pid = 503;
	e.uid = 4000001;
	job__note_failure(&job, &e, NULL, 0, NULL);
	capture__open(&cap);
	assert_int_equal(report__write_text(cap.f, &job, 0), 0);
	out = capture__close(&cap);
	assert_null(strstr(out, "(as "));
	capture__free(&cap);

	e = exit_event(1, "sh", 10, 1 << 20, 2 << 8);
	e.is_root = 1;
	assert_int_equal(job__add_exit(&job, &e), 0);
	capture__open(&cap);
	assert_int_equal(report__write_text(cap.f, &job, 0), 0);
	out = capture__close(&cap);
	assert_non_null(strstr(out, "mine\n"));
	snprintf(want, sizeof(want), "theirs  (as %s)\n", pw ? pw->pw_name : "uid 65534");
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "unnamed  (as uid 4000001)\n"));
	capture__free(&cap);
	job__free(&job);
}

static void test_bytes_format(void **state)
{
	char b[32];

	assert_string_equal(report__bytes(b, sizeof(b), 0), "0 B");
	assert_string_equal(report__bytes(b, sizeof(b), 1023), "1023 B");
	assert_string_equal(report__bytes(b, sizeof(b), 1536), "1.5 KiB");
	assert_string_equal(report__bytes(b, sizeof(b), 5ULL << 30), "5.0 GiB");
	assert_string_equal(report__bytes(b, sizeof(b), UINT64_MAX), "16.0 EiB");
}

static void test_decode_rejects_foreign_records(void **state)
{
	struct jt_exit_event e = exit_event(1, "x", 1, 1, 0), out;

	assert_int_equal(lineage__decode_exit(&e, sizeof(e), &out), 0);
	assert_int_equal(out.acct.cpu_ns, 1);
	assert_int_equal(lineage__decode_exit(&e, sizeof(e) - 1, &out), -EPROTO);
	e.version = JT_ABI_VERSION + 1;
	assert_int_equal(lineage__decode_exit(&e, sizeof(e), &out), -EPROTO);
	e.version = JT_ABI_VERSION;
	e.type = 99;
	assert_int_equal(lineage__decode_exit(&e, sizeof(e), &out), -EPROTO);
}

/*
 * The figures efficiency divides by: Slurm's where it gave them, a cgroup's
 * limit for what it did not, nothing where neither; each names its source.
 */
static void test_allocation_sources(void **state)
{
	struct job_alloc_view a;
	char from[2][16];
	struct job job;
	struct cgroup_alloc ca = {};
	struct job_sched_alloc sa = {};

	job__init(&job, 1, NULL, 0);
	job.start_ns = 1000000000ULL;
	job.end_ns = 3000000000ULL; /* 2 s */
	job.stats.cpu_ns = 2000000000ULL;
	job.stats.peak_rss_bytes = 64ULL << 20;
	/* Nothing read: no allocation at all. */
	assert_false(job__allocation(&job, &a, from[0], sizeof(from[0])));
	/* A cgroup read with no limit: said, not made up. */
	assert_int_equal(job__set_cgroup_alloc(&job, &ca), 0);
	assert_true(job.alloc_read);
	assert_null(job.alloc); /* nothing limited: nothing kept */
	assert_true(job__allocation(&job, &a, from[0], sizeof(from[0])));
	assert_string_equal(a.source, "cgroup");
	assert_false(a.cpus_known);
	assert_false(a.memory_known);
	assert_true(job__cpu_efficiency(&job, &a) < 0);
	/* Slurm's CPUs, no memory of Slurm's: the cgroup's memory limit, named as such. */
	ca.memory_known = true;
	ca.memory_bytes = 512ULL << 20;
	snprintf(ca.memory_from, sizeof(ca.memory_from), "memory.limit_in_bytes");
	snprintf(ca.memory_cgroup, sizeof(ca.memory_cgroup), "/slurm/job_1");
	assert_int_equal(job__set_cgroup_alloc(&job, &ca), 0);
	snprintf(sa.system, sizeof(sa.system), "slurm");
	sa.cpus_known = true;
	sa.cpus = 2;
	assert_int_equal(job__set_sched(&job, &sa), 0);
	assert_true(job__allocation(&job, &a, from[0], sizeof(from[0])));
	assert_string_equal(a.source, "slurm");
	assert_string_equal(a.cpus_from, "slurm:step");
	assert_null(a.cpus_cgroup);
	assert_string_equal(a.memory_from, "memory.limit_in_bytes");
	assert_string_equal(a.memory_cgroup, "/slurm/job_1");
	assert_true(fabs(job__cpu_efficiency(&job, &a) - 0.5) < 1e-9);
	assert_true(fabs(job__memory_efficiency(&job, &a) - 0.125) < 1e-9);
	/* Slurm's memory too: Slurm's word first, even where no cgroup limit is found. */
	free(job.alloc);
	job.alloc = NULL;
	job.alloc_read = false;
	sa.memory_known = true;
	sa.memory_bytes = 256ULL << 20;
	snprintf(sa.memory_from, sizeof(sa.memory_from), "job");
	assert_int_equal(job__set_sched(&job, &sa), 0);
	assert_true(job__allocation(&job, &a, from[0], sizeof(from[0])));
	assert_string_equal(a.memory_from, "slurm:job");
	assert_true(fabs(job__memory_efficiency(&job, &a) - 0.25) < 1e-9);
	job__free(&job);
}

/*
 * A quota's CPU efficiency over a wall time of a few periods: CFS gives the
 * quota whole at each period's start, so 0.082 s ran in 0.151 s under 0.5
 * CPUs (as run measured it under "50000 100000" on 2 CPUs). Over 0.5 CPUs x
 * 0.151 s that is 109 %, which the kernel's quota cannot have let happen;
 * over what the three periods the wall can touch give (0.15 s), 55 %.
 */
static void test_efficiency_over_quota_periods(void **state)
{
	struct job_alloc_view a = { .cpus_known = true, .cpus = 0.5, .cpus_period_s = 0.1,
				    .cpus_max = 2 };
	struct job job;
	double eff;

	job__init(&job, 1, NULL, 0);
	job.start_ns = 1000000000ULL;
	job.end_ns = job.start_ns + 151000000ULL;
	job.stats.cpu_ns = 82000000ULL;
	eff = job__cpu_efficiency(&job, &a);
	assert_true(eff > 0 && eff <= 1.0);
	assert_true(fabs(job__cpu_allocated_s(&a, 0.151) - 0.15) < 1e-9);
	/* A burst adds what earlier periods left. */
	a.cpus_burst_s = 0.05;
	assert_true(fabs(job__cpu_allocated_s(&a, 0.151) - 0.2) < 1e-9);
	a.cpus_burst_s = 0;
	/* Never past what the CPUs it can run on give: one CPU over 0.05 s. */
	a.cpus_max = 1;
	assert_true(fabs(job__cpu_allocated_s(&a, 0.05) - 0.05) < 1e-9);
	/* A long job: hardly more than CPUs x wall, never less. */
	a.cpus_max = 2;
	assert_true(job__cpu_allocated_s(&a, 100.0) >= 50.0);
	assert_true(job__cpu_allocated_s(&a, 100.0) <= 50.0 + 0.1);
	/* Whole CPUs (a cpuset, Slurm's): CPUs x wall, as before. */
	a.cpus_period_s = 0;
	assert_true(fabs(job__cpu_allocated_s(&a, 0.151) - 0.0755) < 1e-12);
	job__free(&job);
}

/*
 * A peak RSS past the memory limit counts pages charged outside it (a file
 * another cgroup read first): no share of the limit, so not known, never
 * past 100 %. At the limit exactly: 100 %.
 */
static void test_memory_efficiency_past_the_limit(void **state)
{
	struct job_alloc_view a = { .memory_known = true, .memory_bytes = 64ULL << 20 };
	struct job job;

	job__init(&job, 1, NULL, 0);
	job.stats.peak_rss_bytes = 113ULL << 20;
	assert_true(job__memory_efficiency(&job, &a) < 0);
	job.stats.peak_rss_bytes = 64ULL << 20;
	assert_true(fabs(job__memory_efficiency(&job, &a) - 1.0) < 1e-12);
	job__free(&job);
}

/*
 * Killed by the OOM killer at its own limit, its largest RSS past the limit
 * (shared pages charged elsewhere): it reached the whole allocation, 100 %,
 * where the RSS alone said not known. Not for a kill at another limit (an
 * ancestor's, of other bytes or another cgroup), nor for the host's OOM,
 * nor where the limit was found after the kill, not named by the kernel.
 */
static void test_memory_efficiency_oom_at_the_limit(void **state)
{
	struct job_alloc_view a = { .memory_known = true, .memory_bytes = 64ULL << 20,
				    .memory_cgroup = "/jobs/a" };
	struct jt_exit_event e = { .pid = 300, .exit_status = 9 };
	struct job_oom oom = { .killed = true, .limit_known = true, .rss_known = true,
			       .limit_bytes = 64ULL << 20, .rss_bytes = 70ULL << 20,
			       .hierarchy = "cgroup2", .cgroup = "/jobs/a" };
	static const struct {
		__u64 limit_bytes;
		const char *cgroup;
		bool global, seen, at_limit;
	} cases[] = {
		{ 64ULL << 20, "/jobs/a", false, true, true },
		{ 128ULL << 20, "/jobs", false, true, false },
		{ 64ULL << 20, "/jobs/b", false, true, false },
		{ 0, "", true, false, false },
		/* The limit found after the kill, not named by the kernel: a host's OOM may be it. */
		{ 64ULL << 20, "/jobs/a", false, false, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct job job;

		job__init(&job, 1, NULL, 0);
		job.stats.peak_rss_bytes = 70ULL << 20;
		assert_true(job__memory_efficiency(&job, &a) < 0);
		oom.limit_bytes = cases[i].limit_bytes;
		oom.global = cases[i].global;
		oom.limit_known = !cases[i].global;
		oom.limit_seen = cases[i].seen;
		snprintf(oom.cgroup, sizeof(oom.cgroup), "%s", cases[i].cgroup);
		job__note_failure(&job, &e, NULL, 0, &oom);
		assert_int_equal(job.nfailed, 1);
		assert_int_equal(job__oom_at_limit(&job, &a), cases[i].at_limit);
		if (cases[i].at_limit)
			assert_true(fabs(job__memory_efficiency(&job, &a) - 1.0) < 1e-12);
		else
			assert_true(job__memory_efficiency(&job, &a) < 0);
		/* Slurm's --mem names no cgroup: its bytes are the limit's. */
		a.memory_cgroup = NULL;
		assert_int_equal(job__oom_at_limit(&job, &a), cases[i].seen &&
								     oom.limit_bytes == a.memory_bytes);
		a.memory_cgroup = "/jobs/a";
		job__free(&job);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_efficiency_past_the_limit),
		cmocka_unit_test(test_memory_efficiency_oom_at_the_limit),
		cmocka_unit_test(test_efficiency_over_quota_periods),
		cmocka_unit_test(test_commands_aggregate_and_sort),
		cmocka_unit_test(test_command_table_grows),
		cmocka_unit_test(test_full_and_hostile_comm),
		cmocka_unit_test(test_cpu_split),
		cmocka_unit_test(test_cpu_split_bits),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_job_status),
		cmocka_unit_test(test_failures_deaths_first),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_report_text),
		cmocka_unit_test(test_report_root_ns_pid),
		cmocka_unit_test(test_check_counts),
		cmocka_unit_test(test_report_counts_inconsistent),
		cmocka_unit_test(test_outside_pid_namespace_incomplete),
		cmocka_unit_test(test_running_one_answer),
		cmocka_unit_test(test_report_root_unknown),
		cmocka_unit_test(test_report_failed_users),
		cmocka_unit_test(test_bytes_format),
		cmocka_unit_test(test_decode_rejects_foreign_records),
		cmocka_unit_test(test_allocation_sources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
