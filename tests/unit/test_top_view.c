// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The top view's model, and the whole sink in batch mode, driven with
 * scripted records: interval records with known deltas, host records, live
 * records of processes with known CPU, process records with chosen exit
 * statuses. The frame's text is checked against what the records say: the
 * rates, the order for every column, the filter, an expanded job's tree and
 * last exits, hostile names, a job that ends, a paused (frozen) tree.
 * The process tree comes from a table of the test's own, not /proc.
 */
#include <ctype.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "jobtrace/collector.h"
#include "jobtrace/job.h"
#include "jobtrace/sink.h"
#include "jobtrace/top.h"

#define T0 1000000000000ULL /* a CLOCK_MONOTONIC time to start from */
#define WIDTH 120
#define NOW 1700000000 /* the snapshot's wall time: the title is not checked */

/* ---- the processes, as the collector reads them from /proc ---- */

struct fake_proc {
	__u32 pid, ppid;
	const char *comm;
};

static struct fake_proc procs[8];
static size_t nprocs;

static void proc_set(__u32 pid, __u32 ppid, const char *comm)
{
	procs[nprocs++] = (struct fake_proc){ pid, ppid, comm };
}

/* ---- records ---- */

static struct cjob *job_new(__u64 id, const char *key)
{
	struct cjob *j = calloc(1, sizeof(*j) + CJOB_KEY_SIZE); /* and its key's room */

	assert_non_null(j);
	j->job.key = TEST_CJOB_KEY(j);
	j->id = id;
	snprintf(TEST_CJOB_KEY(j), CJOB_KEY_SIZE, "%s", key);
	job__init(&j->job, id, NULL, 0);
	j->job.key = TEST_CJOB_KEY(j);
	return j;
}

static void job_free(struct cjob *j)
{
	job__free(&j->job);
	free(j);
}

/* An exit folded into the job's commands, as the collector does: the row's COMMAND. */
static void job_command(struct cjob *j, const char *comm, __u64 cpu_ns)
{
	struct jt_exit_event e = { .job_id = j->id, .pid = 9999, .acct.cpu_ns = cpu_ns };

	memcpy(e.comm, comm, strnlen(comm, sizeof(e.comm)));
	assert_int_equal(job__add_exit(&j->job, &e), 0);
}

static void send_interval(struct top_model *m, struct cjob *j, __u64 t0, double dt_s,
			  const struct cjob_cum *d, __u64 alive, __u64 rss)
{
	struct interval_record r = { .job = j, .t0_ns = t0, .t1_ns = t0 + (__u64)(dt_s * 1e9),
				     .d = *d, .alive = alive, .rss_bytes = rss };

	assert_int_equal(top_model__interval(m, &r), 0);
}

static void send_host(struct top_model *m, __u64 t0, double dt_s, double forks_ps)
{
	struct host_record h = { .t0_ns = t0, .t1_ns = t0 + (__u64)(dt_s * 1e9),
				 .cpu_busy_pct = 25, .ncpus = 2, .forks_per_s = forks_ps,
				 .mem_total_bytes = 1ULL << 30 };

	assert_int_equal(top_model__host(m, &h), 0);
}

static void send_live(struct top_model *m, struct cjob *j, __u32 tgid, __u32 tid, __u64 cpu_ns,
		      __u64 sampled_ns)
{
	struct jt_live_rec r = { .job_id = j->id, .tgid = tgid, .tid = tid, .cpu_ns = cpu_ns,
				 .is_leader = tgid == tid, .rss_pages = 256 };
	struct live_record lr = { .r = &r, .job = j, .sampled_ns = sampled_ns };

	for (size_t i = 0; r.is_leader && i < nprocs; i++) {
		if (procs[i].pid == tgid) {
			lr.have_stat = true;
			lr.ppid = procs[i].ppid;
			snprintf(lr.comm, sizeof(lr.comm), "%s", procs[i].comm);
		}
	}
	assert_int_equal(top_model__live(m, &lr), 0);
}

static void send_exit(struct top_model *m, struct cjob *j, __u32 pid, const char *comm,
		      int status, __u64 cpu_ns)
{
	struct jt_exit_event e = { .job_id = j->id, .pid = pid, .exit_status = (__u32)status,
				   .start_ns = 5000000000ULL, .exit_ns = 6250000000ULL,
				   .acct.cpu_ns = cpu_ns };
	struct proc_record r = { .e = &e, .job = j };

	memcpy(e.comm, comm, strnlen(comm, sizeof(e.comm)));
	assert_int_equal(top_model__process(m, &r), 0);
}

/* ---- the frame ---- */

static struct top_view view(enum top_col sort, bool reverse, const char *filter, __u64 expanded)
{
	return (struct top_view){ .sort = sort, .reverse = reverse, .filter = filter,
				  .expanded_id = expanded, .width = WIDTH };
}

static const struct top_line *frame(struct top_model *m, const struct top_view *v, size_t *n)
{
	assert_int_equal(top_model__frame(m, v), 0);
	return top_model__lines(m, n);
}

static bool is_row(const struct top_line *l)
{
	return l->kind == TOP_LINE_ROW || l->kind == TOP_LINE_ROW_FAILED;
}

/* The index of @id's row, or -1. */
static long row_of(const struct top_line *lines, size_t n, __u64 id)
{
	for (size_t i = 0; i < n; i++) {
		if (is_row(&lines[i]) && lines[i].row_id == id)
			return (long)i;
	}
	return -1;
}

/* The fields of a row split at blanks (the test's keys and commands have none). */
struct fields {
	char buf[TOP_LINE_LEN];
	char *f[16];
	size_t n;
};

static void split(const char *text, struct fields *out)
{
	char *save = NULL;

	snprintf(out->buf, sizeof(out->buf), "%s", text);
	out->n = 0;
	for (char *p = strtok_r(out->buf, " ", &save); p && out->n < 16;
	     p = strtok_r(NULL, " ", &save))
		out->f[out->n++] = p;
}

/* The host line that starts with @prefix. */
static const char *host_line(const struct top_line *lines, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++) {
		if (lines[i].kind == TOP_LINE_HOST && !strncmp(lines[i].text, prefix, strlen(prefix)))
			return lines[i].text;
	}
	fail_msg("no host line '%s'", prefix);
	return NULL;
}

static struct top_model *model_new(void)
{
	struct top_model *m = top_model__new();

	assert_non_null(m);
	nprocs = 0;
	return m;
}

/* ---- the tests ---- */

/* CPU% is d.cpu_ns / dt, START/s and EXIT/s the counts over dt, FAIL error + signal. */
static void test_row_figures(void **state)
{
	struct top_model *m = model_new();
	struct cjob *j = job_new(11, "cgroup:/figures");
	struct cjob_cum d = { .cpu_ns = 1234567000, .started = 10, .exited = 3, .exit_error = 2,
			      .exit_signal = 1, .exit_ok = 0, .read_bytes = 3072,
			      .write_bytes = 1024 };
	struct top_view v = view(TOP_COL_CPU, false, NULL, 0);
	const struct top_line *lines;
	struct fields f;
	size_t n;
	long i;

	job_command(j, "make", 1000);
	send_interval(m, j, T0, 2.0, &d, 4, 10ULL << 20);
	send_host(m, T0, 2.0, 7);
	assert_true(top_model__settle(m));
	assert_false(top_model__settle(m)); /* one frame per host record */
	top_model__snapshot(m, 2.0, NOW);
	lines = frame(m, &v, &n);
	i = row_of(lines, n, 11);
	assert_true(i >= 0);
	assert_int_equal(lines[i].kind, TOP_LINE_ROW_FAILED);
	split(lines[i].text, &f);
	assert_int_equal(f.n, 9);
	assert_string_equal(f.f[0], "cgroup:/figures");
	assert_string_equal(f.f[1], "4"); /* ALIVE */
	assert_string_equal(f.f[2], "5"); /* START/s: 10 over 2 s */
	assert_string_equal(f.f[3], "1.5"); /* EXIT/s: 3 over 2 s */
	assert_string_equal(f.f[4], "3"); /* FAIL: 2 non-zero + 1 signal */
	assert_string_equal(f.f[5], "61.7"); /* 1.234567 s of CPU over 2 s */
	assert_string_equal(f.f[6], "10M");
	assert_string_equal(f.f[7], "2.0K"); /* 4 KiB over 2 s */
	assert_string_equal(f.f[8], "make");
	/* The header: the jobs' exits over the host's interval, the host's forks. */
	assert_non_null(strstr(host_line(lines, n, "Tasks"), "forks 7/s  exits 1.5/s"));
	assert_non_null(strstr(host_line(lines, n, "CPU"), "CPU  25.0%"));
	/* The column head marks the sort. */
	assert_non_null(strstr(lines[i - 1].text, "CPU%v"));
	top_model__free(m);
	job_free(j);
}

/*
 * Replay: a row with no interval at the last host record (its serve was
 * killed, no job line came) goes; one with its interval stays, and so
 * does an ended row.
 */
static void test_drop_silent(void **state)
{
	struct top_model *m = model_new();
	struct cjob *a = job_new(21, "cgroup:/a"), *b = job_new(22, "cgroup:/b");
	struct cjob_cum d = { .started = 1 };
	struct top_view v = view(TOP_COL_JOB, false, NULL, 0);
	const struct top_line *lines;
	size_t n;

	(void)state;
	send_interval(m, a, T0, 1.0, &d, 1, 0);
	send_interval(m, b, T0, 1.0, &d, 1, 0);
	send_host(m, T0, 1.0, 0);
	top_model__drop_silent(m);
	top_model__snapshot(m, 1.0, NOW);
	lines = frame(m, &v, &n);
	assert_true(row_of(lines, n, 21) >= 0);
	assert_true(row_of(lines, n, 22) >= 0);
	/* The next tick has a's interval, not b's. */
	send_interval(m, a, T0 + 1000000000ULL, 1.0, &d, 1, 0);
	send_host(m, T0 + 1000000000ULL, 1.0, 0);
	top_model__drop_silent(m);
	top_model__snapshot(m, 1.0, NOW);
	lines = frame(m, &v, &n);
	assert_true(row_of(lines, n, 21) >= 0);
	assert_int_equal(row_of(lines, n, 22), -1);
	top_model__free(m);
	job_free(a);
	job_free(b);
}

/* Four jobs with a different order for every column. */
#define NJOBS 4
static const struct {
	const char *key, *comm;
	__u64 alive, started, exited, failed, cpu, rss, io;
} sorted_jobs[NJOBS] = {
	{ "job-a", "zsh", 1, 4, 2, 3, 2, 3, 1 },
	{ "job-b", "awk", 2, 3, 4, 1, 1, 4, 3 },
	{ "job-c", "make", 3, 1, 3, 4, 3, 2, 4 },
	{ "job-d", "cc", 4, 2, 1, 2, 4, 1, 2 },
};

/* The expected order, most first for numbers, A to Z for names: indexes into sorted_jobs. */
static const int sort_order[TOP_NCOLS][NJOBS] = {
	[TOP_COL_JOB] = { 0, 1, 2, 3 },	    [TOP_COL_ALIVE] = { 3, 2, 1, 0 },
	[TOP_COL_STARTED] = { 0, 1, 3, 2 }, [TOP_COL_EXITED] = { 1, 2, 0, 3 },
	[TOP_COL_FAILED] = { 2, 0, 3, 1 },  [TOP_COL_CPU] = { 3, 2, 0, 1 },
	[TOP_COL_RSS] = { 1, 0, 2, 3 },	    [TOP_COL_IO] = { 2, 1, 3, 0 },
	[TOP_COL_COMMAND] = { 1, 3, 2, 0 },
};

static struct top_model *sorted_model(struct cjob **jobs)
{
	struct top_model *m = model_new();

	for (int k = 0; k < NJOBS; k++) {
		struct cjob_cum d = {
			.started = sorted_jobs[k].started,
			.exited = sorted_jobs[k].exited,
			.exit_error = sorted_jobs[k].failed,
			.cpu_ns = sorted_jobs[k].cpu * 100000000ULL,
			.read_bytes = sorted_jobs[k].io << 10,
		};

		jobs[k] = job_new(100 + (__u64)k, sorted_jobs[k].key);
		job_command(jobs[k], sorted_jobs[k].comm, 1000);
		send_interval(m, jobs[k], T0, 1.0, &d, sorted_jobs[k].alive, sorted_jobs[k].rss << 20);
	}
	send_host(m, T0, 1.0, 0);
	assert_true(top_model__settle(m));
	top_model__snapshot(m, 1.0, NOW);
	return m;
}

static void test_sort_every_column(void **state)
{
	struct cjob *jobs[NJOBS];
	struct top_model *m = sorted_model(jobs);

	for (int c = 0; c < TOP_NCOLS; c++) {
		for (int rev = 0; rev < 2; rev++) {
			struct top_view v = view((enum top_col)c, rev, NULL, 0);
			const struct top_line *lines;
			size_t n, seen = 0;

			lines = frame(m, &v, &n);
			for (size_t i = 0; i < n; i++) {
				int want = sort_order[c][rev ? NJOBS - 1 - seen : seen];

				if (!is_row(&lines[i]))
					continue;
				if (lines[i].row_id != 100 + (__u64)want)
					fail_msg("sort %d reverse %d: row %zu is '%s', not %s", c, rev,
						 seen, lines[i].text, sorted_jobs[want].key);
				seen++;
			}
			assert_int_equal(seen, NJOBS);
		}
	}
	for (int k = 0; k < NJOBS; k++)
		job_free(jobs[k]);
	top_model__free(m);
}

/* The filter keeps exactly the rows whose job or command holds the text, any case. */
static void test_filter(void **state)
{
	static const struct {
		const char *filter;
		const char *want; /* the jobs kept, by letter */
	} cases[] = {
		{ "job-b", "b" }, { "MAK", "c" }, { "job-", "abcd" }, { "", "abcd" },
		{ "zz", "" },	  { "C", "cd" }, /* job-c's key, d's command "cc" */
	};
	struct cjob *jobs[NJOBS];
	struct top_model *m = sorted_model(jobs);

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct top_view v = view(TOP_COL_JOB, false, cases[k].filter, 0);
		const struct top_line *lines;
		char got[NJOBS + 1] = "";
		size_t n, g = 0;

		lines = frame(m, &v, &n);
		for (size_t i = 0; i < n; i++) {
			if (is_row(&lines[i]))
				got[g++] = (char)('a' + (lines[i].row_id - 100));
		}
		got[g] = '\0';
		if (strcmp(got, cases[k].want))
			fail_msg("filter '%s' kept '%s', not '%s'", cases[k].filter, got,
				 cases[k].want);
	}
	for (int k = 0; k < NJOBS; k++)
		job_free(jobs[k]);
	top_model__free(m);
}

static bool text_has(const struct top_line *l, const char *s)
{
	return strstr(l->text, s) != NULL;
}

/* A job of two live processes (one with two threads) and three exits. */
static void tree_records(struct top_model *m, struct cjob *j)
{
	struct cjob_cum d = { .started = 5, .exited = 3 };

	proc_set(101, 1, "parent");
	proc_set(102, 101, "child");
	/* The first sample: the base of the rates. */
	send_live(m, j, 101, 101, 100000000, T0);
	send_live(m, j, 102, 102, 0, T0);
	send_live(m, j, 102, 103, 50000000, T0);
	top_model__settle(m);
	/* A second later: 101 ran 0.5 s, 102's threads 0.25 s and 0.5 s. */
	send_live(m, j, 101, 101, 600000000, T0 + 1000000000);
	send_live(m, j, 102, 102, 250000000, T0 + 1000000000);
	send_live(m, j, 102, 103, 550000000, T0 + 1000000000);
	send_exit(m, j, 200, "true", 0, 2000000);
	send_exit(m, j, 201, "false", 3 << 8, 1000000);
	send_exit(m, j, 202, "sleep", SIGKILL, 0);
	send_interval(m, j, T0, 1.0, &d, 2, 0);
	send_host(m, T0, 1.0, 5);
	assert_true(top_model__settle(m));
}

static void test_expanded(void **state)
{
	struct top_model *m = model_new();
	struct cjob *j = job_new(7, "cgroup:/tree");
	struct top_view v = view(TOP_COL_CPU, false, NULL, 7);
	const struct top_line *lines;
	struct fields f;
	size_t n;
	long i;

	tree_records(m, j);
	top_model__snapshot(m, 1.0, NOW);
	lines = frame(m, &v, &n);
	i = row_of(lines, n, 7);
	assert_true(i >= 0);
	/* No exits folded into the job's commands: its busiest live process names it. */
	split(lines[i].text, &f);
	assert_string_equal(f.f[f.n - 1], "child");
	assert_int_equal(n, (size_t)i + 1 + 2 + 3);
	/* The tree: the parent first, its child under it, each with its CPU over the second. */
	assert_int_equal(lines[i + 1].kind, TOP_LINE_PROC);
	assert_true(text_has(&lines[i + 1], " `- 101 parent "));
	split(lines[i + 1].text, &f);
	assert_string_equal(f.f[f.n - 2], "50.0");
	assert_string_equal(f.f[f.n - 1], "1.0M"); /* 256 pages of 4 KiB */
	assert_int_equal(lines[i + 2].kind, TOP_LINE_PROC);
	assert_true(text_has(&lines[i + 2], "   `- 102 child (2 threads) "));
	split(lines[i + 2].text, &f);
	assert_string_equal(f.f[f.n - 2], "75.0");
	/* The last exits, the most recent first, with their status. */
	assert_int_equal(lines[i + 3].kind, TOP_LINE_EXIT_FAILED);
	assert_true(text_has(&lines[i + 3], " x 202 sleep, after 1.250 s: killed: Killed "));
	assert_int_equal(lines[i + 4].kind, TOP_LINE_EXIT_FAILED);
	assert_true(text_has(&lines[i + 4], " x 201 false, after 1.250 s: exit 3 "));
	assert_true(text_has(&lines[i + 4], " 0.001s"));
	assert_int_equal(lines[i + 5].kind, TOP_LINE_EXIT);
	assert_true(text_has(&lines[i + 5], " x 200 true, after 1.250 s: exit 0 "));
	assert_true(text_has(&lines[i + 5], " 0.002s"));
	/* Folded, the job is one row again. */
	v.expanded_id = 0;
	frame(m, &v, &n);
	assert_int_equal(n, (size_t)i + 1);
	top_model__free(m);
	job_free(j);
}

/* Only the last TOP_EXITS exits are kept, the most recent first. */
static void test_exits_ring(void **state)
{
	struct top_model *m = model_new();
	struct cjob *j = job_new(8, "ring");
	struct cjob_cum d = { .exited = TOP_EXITS + 3 };
	struct top_view v = view(TOP_COL_CPU, false, NULL, 8);
	const struct top_line *lines;
	char want[32];
	size_t n;
	long i;

	for (__u32 k = 0; k < TOP_EXITS + 3; k++)
		send_exit(m, j, 300 + k, "w", 0, 0);
	send_interval(m, j, T0, 1.0, &d, 0, 0);
	send_host(m, T0, 1.0, 0);
	top_model__settle(m);
	top_model__snapshot(m, 1.0, NOW);
	lines = frame(m, &v, &n);
	i = row_of(lines, n, 8);
	assert_int_equal(n, (size_t)i + 1 + TOP_EXITS);
	for (int k = 0; k < TOP_EXITS; k++) {
		snprintf(want, sizeof(want), " x %d w,", 300 + TOP_EXITS + 2 - k);
		assert_true(text_has(&lines[i + 1 + k], want));
	}
	top_model__free(m);
	job_free(j);
}

/* The COMMAND of job @id's row in a new snapshot. */
static const char *row_command_of(struct top_model *m, __u64 id, struct fields *f)
{
	struct top_view v = view(TOP_COL_JOB, false, NULL, 0);
	const struct top_line *lines;
	size_t n;
	long i;

	top_model__snapshot(m, 1.0, NOW);
	lines = frame(m, &v, &n);
	i = row_of(lines, n, id);
	assert_true(i >= 0);
	split(lines[i].text, f);
	return f->f[f->n - 1];
}

/*
 * Second @s of test_busiest_tie: a sample of processes 300 to 303 sent in
 * the order @pids gives, each with 5 ms of CPU so far, 303 with @more_ns
 * more; from the second sample on, the job's interval and the host record
 * that close the second before it.
 */
static void tie_second(struct top_model *m, struct cjob *j, const __u32 *pids, __u64 s,
		       __u64 more_ns)
{
	struct cjob_cum d = { .started = 4 };
	__u64 t = T0 + s * 1000000000;

	for (size_t k = 0; k < 4; k++)
		send_live(m, j, pids[k], pids[k], 5000000 + (pids[k] == 303 ? more_ns : 0), t);
	if (s) {
		send_interval(m, j, t - 1000000000, 1.0, &d, 4, 0);
		send_host(m, t - 1000000000, 1.0, 0);
	}
	top_model__settle(m);
}

/*
 * A job's busiest live process names it (no exits folded): among equals,
 * every one idle as most are most of the time, the lowest pid, whatever
 * order the records came in or the table keeps them in; a busier process
 * wins over a lower pid, and the name goes back when it is idle again.
 */
static void test_busiest_tie(void **state)
{
	static const __u32 orders[][4] = {
		{ 300, 301, 302, 303 },
		{ 303, 302, 301, 300 },
		{ 302, 300, 303, 301 },
	};
	static const char *const names[] = { "p300", "p301", "p302", "p303" };
	struct fields f;

	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		struct top_model *m = model_new();
		struct cjob *j = job_new(9, "cgroup:/idle");

		for (__u32 k = 0; k < 4; k++)
			proc_set(300 + k, 1, names[k]);
		/* Two samples a second apart with the same CPU: all four at 0 %. */
		tie_second(m, j, orders[o], 0, 0);
		tie_second(m, j, orders[o], 1, 0);
		assert_string_equal(row_command_of(m, 9, &f), "p300");
		/* The next second 303 runs 10 ms: it names the job. */
		tie_second(m, j, orders[o], 2, 10000000);
		assert_string_equal(row_command_of(m, 9, &f), "p303");
		/* Idle again: the lowest pid again. */
		tie_second(m, j, orders[o], 3, 10000000);
		assert_string_equal(row_command_of(m, 9, &f), "p300");
		top_model__free(m);
		job_free(j);
	}
}

/* Paused, the screen takes no snapshot: its expanded tree stays as it was. */
static void test_paused_tree_frozen(void **state)
{
	struct top_model *m = model_new();
	struct cjob *j = job_new(7, "cgroup:/tree");
	struct cjob_cum d = { .started = 1, .exited = 1 };
	struct top_view v = view(TOP_COL_CPU, false, NULL, 7);
	const struct top_line *lines;
	size_t n;
	long i;

	tree_records(m, j);
	top_model__snapshot(m, 1.0, NOW);
	frame(m, &v, &n);
	/* The next second: 102 is gone, 104 came, 101 reparented nothing; paused. */
	proc_set(104, 101, "newcomer");
	send_live(m, j, 101, 101, 700000000, T0 + 2000000000);
	send_live(m, j, 104, 104, 10000000, T0 + 2000000000);
	send_interval(m, j, T0 + 1000000000, 1.0, &d, 2, 0);
	send_host(m, T0 + 1000000000, 1.0, 5);
	assert_true(top_model__settle(m));
	v.paused = true;
	lines = frame(m, &v, &n);
	i = row_of(lines, n, 7);
	assert_true(text_has(&lines[i + 1], "`- 101 parent "));
	assert_true(text_has(&lines[i + 1], " 50.0 "));
	assert_true(text_has(&lines[i + 2], "`- 102 child (2 threads) "));
	assert_int_equal(lines[i + 3].kind, TOP_LINE_EXIT_FAILED);
	/* Unpaused: the new snapshot has 104 and not 102, and 101's new rate. */
	v.paused = false;
	top_model__snapshot(m, 1.0, NOW);
	lines = frame(m, &v, &n);
	i = row_of(lines, n, 7);
	assert_true(text_has(&lines[i + 1], "`- 101 parent "));
	assert_true(text_has(&lines[i + 1], " 10.0 "));
	assert_true(text_has(&lines[i + 2], "`- 104 newcomer "));
	assert_int_equal(lines[i + 3].kind, TOP_LINE_EXIT_FAILED);
	for (size_t k = 0; k < n; k++)
		assert_null(strstr(lines[k].text, "102 child"));
	top_model__free(m);
	job_free(j);
}

static void assert_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p > 0x7e)
			fail_msg("byte 0x%02x in '%s'", *p, s);
	}
}

/*
 * A job key and comms with quotes, newlines, escape sequences, invalid
 * UTF-8 and a bidi override (U+202E), the key very long: escaped, cut, and
 * every column after the job's stays where a plain row has it.
 */
static void test_hostile_names(void **state)
{
	static const char head[] = "cgroup:/\"q'\n\x1b[2J\xff\xfe";
	char key[300];
	struct top_model *m = model_new();
	struct cjob *plain, *bad;
	struct cjob_cum d = { .cpu_ns = 500000000, .started = 2, .exited = 1 };
	struct top_view v = view(TOP_COL_JOB, false, NULL, 2);
	const struct top_line *lines;
	size_t n, w;
	long ip, ib;

	memset(key, 'k', sizeof(key));
	memcpy(key, head, sizeof(head) - 1);
	memcpy(key + sizeof(key) - 12, "\xe2\x80\xae" "evil\n\"'\\", 11);
	key[sizeof(key) - 1] = '\0';
	plain = job_new(1, "plain");
	bad = job_new(2, key);
	job_command(plain, "cmd", 1);
	job_command(bad, "cmd", 1);
	proc_set(501, 1, "\xe2\x80\xae" "gnp.exe\n");
	send_live(m, bad, 501, 501, 0, T0);
	top_model__settle(m);
	send_live(m, bad, 501, 501, 100000000, T0 + 1000000000);
	send_exit(m, bad, 502, "a\nb\x1b[31m\xc3(\"", 1 << 8, 0);
	send_interval(m, plain, T0, 1.0, &d, 1, 1 << 20);
	send_interval(m, bad, T0, 1.0, &d, 1, 1 << 20);
	send_host(m, T0, 1.0, 0);
	top_model__settle(m);
	top_model__snapshot(m, 1.0, NOW);
	lines = frame(m, &v, &n);
	for (size_t i = 0; i < n; i++)
		assert_printable(lines[i].text);
	ip = row_of(lines, n, 1);
	ib = row_of(lines, n, 2);
	assert_true(ip >= 0 && ib >= 0);
	/* The name is cut to its column, its end kept, escapes whole. */
	w = WIDTH - 48 - 15 - 1;
	assert_memory_equal(lines[ib].text, "..", 2);
	assert_int_equal(lines[ib].text[w], ' ');
	assert_non_null(strstr(lines[ib].text, "kkk\\xe2\\x80\\xaeevil\\x0a\"'\\\\ "));
	/* Past the job column, the hostile row reads as the plain one. */
	assert_string_equal(lines[ib].text + w, lines[ip].text + w);
	/* The process and the exit: escaped, on one line each. */
	assert_true(text_has(&lines[ib + 1], "`- 501 \\xe2\\x80\\xaegnp.exe\\x0a "));
	assert_true(text_has(&lines[ib + 2], " x 502 a\\x0ab\\x1b[31m\\xc3(\", after"));
	top_model__free(m);
	job_free(plain);
	job_free(bad);
}

/* ---- the whole sink, in batch mode ---- */

static void count_jobs(const char *frame_text, const char *key, int *found)
{
	*found = 0;
	for (const char *p = frame_text; (p = strstr(p, key)); p++)
		(*found)++;
}

/*
 * A job that ends is on the next frame marked ended, and the exits of its
 * last interval (sent with its end, found between ticks: after the host
 * record before it) count in the next header's exits/s.
 */
static void test_batch_job_end(void **state)
{
	struct capture cap;
	struct top_opts o = { .batch = true, .width = WIDTH, .sort = TOP_COL_CPU,
			      .interval_s = 2 };
	struct cjob *a = job_new(1, "job-ends"), *b = job_new(2, "job-stays");
	struct cjob_cum d1 = { .exited = 2 }, d_last = { .exited = 4 };
	struct interval_record r;
	struct host_record h = { .ncpus = 1, .cpu_busy_pct = -1 };
	struct sink *s;
	const char *out;
	const char *second;
	int found;

	nprocs = 0;
	capture__open(&cap);
	o.out = cap.f;
	s = sink_top__new(&o);
	assert_non_null(s);
	/* A tick: both jobs' intervals, the host's, the frame. */
	r = (struct interval_record){ .job = a, .t0_ns = T0, .t1_ns = T0 + 2000000000, .d = d1 };
	assert_int_equal(s->ops->interval(s, &r), 0);
	r.job = b;
	assert_int_equal(s->ops->interval(s, &r), 0);
	h.t0_ns = T0;
	h.t1_ns = T0 + 2000000000;
	assert_int_equal(s->ops->host(s, &h), 0);
	assert_int_equal(s->ops->flush(s), 0);
	/* Job a ends: its last interval, then its end, 6 exits over its 2.1 s. */
	r = (struct interval_record){ .job = a, .t0_ns = T0 + 2000000000,
				      .t1_ns = T0 + 2100000000, .d = d_last };
	assert_int_equal(s->ops->interval(s, &r), 0);
	a->cum.exited = 6;
	a->cum.exit_error = 3;
	a->job.start_ns = T0;
	a->job.end_ns = T0 + 2100000000;
	assert_int_equal(s->ops->job_end(s, a, NULL), 0);
	assert_int_equal(s->ops->flush(s), 0); /* no host record: no frame */
	/* The next tick: b's interval (2 exits) and the host's. */
	r = (struct interval_record){ .job = b, .t0_ns = T0 + 2000000000,
				      .t1_ns = T0 + 4000000000, .d = d1 };
	assert_int_equal(s->ops->interval(s, &r), 0);
	h.t0_ns = T0 + 2000000000;
	h.t1_ns = T0 + 4000000000;
	assert_int_equal(s->ops->host(s, &h), 0);
	assert_int_equal(s->ops->flush(s), 0);
	sink__free(s);
	out = capture__close(&cap);

	second = strstr(out, "\n\njobtrace top");
	assert_non_null(second);
	/* The first frame: both jobs, (2 + 2) exits over 2 s. */
	assert_non_null(strstr(out, "exits 2/s"));
	assert_true(strstr(out, "exits 2/s") < second);
	/* In both frames: running in the first, ended in the second. */
	count_jobs(out, "job-ends", &found);
	assert_int_equal(found, 2);
	assert_true(strstr(out, "job-ends") < second);
	/*
	 * The second: (4 + 2) exits over 2 s; b, and a marked ended with what
	 * its last interval did, over the frame as the header's: 4 exits in
	 * the frame's 2 s, none failed in it (its 3 failures were before).
	 */
	assert_non_null(strstr(second, "exits 3/s"));
	assert_non_null(strstr(second, "job-stays"));
	assert_non_null(strstr(second, " 1 jobs (1 ended) "));
	{
		struct fields f;
		const char *row = strstr(second, "job-ends");

		assert_non_null(row);
		split(row, &f);
		assert_true(f.n >= 6);
		assert_string_equal(f.f[1], "end"); /* ALIVE */
		assert_string_equal(f.f[3], "2"); /* EXIT/s: 4 / 2 */
		assert_string_equal(f.f[4], "0"); /* FAIL */
	}
	/* Two frames, each ending in a blank line, nothing after. */
	assert_null(strstr(second + 2, "\n\njobtrace top"));
	assert_int_equal(out[strlen(out) - 1], '\n');
	assert_int_equal(out[strlen(out) - 2], '\n');
	capture__free(&cap);
	job_free(a);
	job_free(b);
}

/* FAIL of @key's rows over every frame of @out. */
static long fails_over_frames(const char *out, const char *key)
{
	long sum = 0;

	for (const char *p = out; (p = strstr(p, key)); p++) {
		struct fields f;
		char line[TOP_LINE_LEN];

		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
		split(line, &f);
		assert_true(f.n >= 5);
		sum += atol(f.f[4]);
	}
	return sum;
}

/*
 * top -b --pid's last frame, for a job whose end came after the last
 * frame: drawn over a host record since that frame, never without. Job a
 * fails 3 processes in the first frame; its last interval (4 ms, nothing
 * in it) and its end come after. With no host record over that time (top
 * stopped under 10 ms after the tick), the last frame drew the first's
 * rows and header again: FAIL 3 twice over the frames, of 3 failures. With
 * one, the last frame has the job ended and what it did then: nothing.
 */
static void test_batch_final_frame(void **state)
{
	for (int with_host = 0; with_host < 2; with_host++) {
		struct capture cap;
		struct top_opts o = { .batch = true, .width = WIDTH, .sort = TOP_COL_CPU,
				      .interval_s = 1 };
		struct cjob *a = job_new(1, "job-fails");
		struct cjob_cum d = { .started = 3, .exited = 3, .exit_error = 3 };
		struct interval_record r;
		struct host_record h = { .ncpus = 1, .cpu_busy_pct = -1, .t0_ns = T0,
					 .t1_ns = T0 + 1000000000 };
		struct sink *s;
		const char *out, *last;

		capture__open(&cap);
		o.out = cap.f;
		s = sink_top__new(&o);
		assert_non_null(s);
		r = (struct interval_record){ .job = a, .t0_ns = T0, .t1_ns = T0 + 1000000000,
					      .d = d, .alive = 1 };
		assert_int_equal(s->ops->interval(s, &r), 0);
		assert_int_equal(s->ops->host(s, &h), 0);
		assert_int_equal(s->ops->flush(s), 0);
		/* Its end, 4 ms after the tick: a last interval with nothing in it. */
		r = (struct interval_record){ .job = a, .t0_ns = T0 + 1000000000,
					      .t1_ns = T0 + 1004000000 };
		assert_int_equal(s->ops->interval(s, &r), 0);
		a->job.start_ns = T0;
		a->job.end_ns = T0 + 1004000000;
		assert_int_equal(s->ops->job_end(s, a, NULL), 0);
		assert_int_equal(s->ops->flush(s), 0);
		assert_true(sink_top__final_due(s));
		if (with_host) {
			h.t0_ns = T0 + 1000000000;
			h.t1_ns = T0 + 1020000000;
			assert_int_equal(s->ops->host(s, &h), 0);
		}
		sink_top__final(s);
		sink__free(s);
		out = capture__close(&cap);
		print_message("%s a host record:\n%s", with_host ? "with" : "without", out);
		/* Each failure in one frame only. */
		assert_int_equal(fails_over_frames(out, "job-fails"), 3);
		last = strstr(out, "\n\njobtrace top");
		if (!with_host) {
			assert_null(last);
		} else {
			struct fields f;
			const char *row;

			assert_non_null(last);
			assert_non_null(strstr(last, " 0 jobs (1 ended) "));
			row = strstr(last, "job-fails");
			assert_non_null(row);
			split(row, &f);
			assert_string_equal(f.f[1], "end"); /* ALIVE */
			assert_string_equal(f.f[2], "0"); /* START/s */
			assert_string_equal(f.f[3], "0"); /* EXIT/s */
		}
		capture__free(&cap);
		job_free(a);
	}
}

/*
 * Following given jobs (--pid, --cgroup), the header has no host's exits
 * ("?"): the jobs' alone beside the host's forks read as a host whose
 * processes never end. The rows keep theirs. In host mode, the jobs' sum.
 */
static void test_header_exits_jobs_given(void **state)
{
	for (int given = 0; given < 2; given++) {
		struct top_model *m = model_new();
		struct top_view v = view(TOP_COL_CPU, false, NULL, 0);
		struct cjob *a = job_new(1, "job-given");
		const struct top_line *lines;
		struct fields f;
		size_t n;
		long i;

		v.jobs_given = given;
		send_interval(m, a, T0, 1, &(struct cjob_cum){ .started = 4, .exited = 4 }, 1,
			      4096);
		send_host(m, T0, 1, 500);
		top_model__settle(m);
		top_model__snapshot(m, 1, NOW);
		lines = frame(m, &v, &n);
		assert_non_null(strstr(host_line(lines, n, "Tasks "),
				       given ? " exits ?/s " : " exits 4/s "));
		i = row_of(lines, n, a->id);
		assert_true(i >= 0);
		split(lines[i].text, &f);
		assert_string_equal(f.f[3], "4"); /* EXIT/s */
		top_model__free(m);
		job_free(a);
	}
}

/*
 * A job reported as it stands (top stopped by a signal: the collector
 * reports every job still open) still has processes: its row is not
 * ended, and no last frame says it is. Before, the last frame said
 * "0 jobs (1 ended)", ALIVE end, RSS 0, of a job whose processes ran on.
 * One whose processes counted alive are those whose exits were missed
 * (stale) did end.
 */
static void test_job_reported_running(void **state)
{
	for (int stale = 0; stale < 2; stale++) {
		struct top_model *m = model_new();
		struct top_view v = view(TOP_COL_CPU, false, NULL, 0);
		struct cjob *a = job_new(1, "job-runs");
		const struct top_line *lines;
		struct fields f;
		size_t n;
		long i;

		send_interval(m, a, T0, 1, &(struct cjob_cum){ .started = 2 }, 2, 8192);
		send_host(m, T0, 1, 10);
		top_model__settle(m);
		top_model__snapshot(m, 1, NOW);
		a->job.stats.alive = 2;
		a->job.stale = stale ? 2 : 0;
		top_model__job_end(m, a);
		assert_int_equal(top_model__ended_unseen(m), stale);
		send_host(m, T0 + 1000000000, 1, 10);
		top_model__settle(m);
		top_model__snapshot(m, 1, NOW);
		lines = frame(m, &v, &n);
		i = row_of(lines, n, a->id);
		assert_true(i >= 0);
		split(lines[i].text, &f);
		assert_string_equal(f.f[1], stale ? "end" : "2");
		assert_non_null(strstr(lines[0].text, stale ? " 0 jobs (1 ended) " :
							      " 1 jobs (0 ended) "));
		top_model__free(m);
		job_free(a);
	}
}

/*
 * A job that starts and ends between two refreshes (its only interval and
 * its end come between two host records) is on the next TOP_KEEP_ENDED
 * frames, marked ended, then gone: a short job is seen, and rows do not
 * pile up. The first says what it did in that frame, the others nothing.
 */
static void test_short_job_kept(void **state)
{
	struct top_model *m = model_new();
	struct top_view v = view(TOP_COL_CPU, false, NULL, 0);
	struct cjob *a = job_new(1, "job-short"), *b = job_new(2, "job-long");
	struct cjob_cum d = { .started = 300, .exited = 300, .exit_error = 7 };
	const struct top_line *lines;
	size_t n;

	send_interval(m, b, T0, 1, &(struct cjob_cum){ .cpu_ns = 1000000 }, 1, 4096);
	send_host(m, T0, 1, 10);
	top_model__settle(m);
	top_model__snapshot(m, 1, NOW);
	lines = frame(m, &v, &n);
	assert_int_equal(row_of(lines, n, a->id), -1);
	/* Between the refreshes: a whole job. */
	send_interval(m, a, T0 + 1100000000ULL, 0.3, &d, 0, 0);
	a->cum = (struct cjob_mono){
		.started = d.started, .exited = d.exited, .exit_error = d.exit_error,
	};
	a->job.start_ns = T0 + 1100000000ULL;
	a->job.end_ns = T0 + 1400000000ULL;
	top_model__job_end(m, a);
	for (int k = 0; k < TOP_KEEP_ENDED + 1; k++) {
		long i;

		send_interval(m, b, T0 + (__u64)(k + 1) * 1000000000ULL, 1,
			      &(struct cjob_cum){ .cpu_ns = 1000000 }, 1, 4096);
		send_host(m, T0 + (__u64)(k + 1) * 1000000000ULL, 1, 10);
		top_model__settle(m);
		top_model__snapshot(m, 1, NOW);
		lines = frame(m, &v, &n);
		i = row_of(lines, n, a->id);
		if (k < TOP_KEEP_ENDED) {
			struct fields f;

			assert_true(i >= 0);
			assert_int_equal(lines[i].kind, k ? TOP_LINE_ROW : TOP_LINE_ROW_FAILED);
			split(lines[i].text, &f);
			assert_string_equal(f.f[1], "end");
			/* START/s: 300 in the frame's 1 s (not 1000/s over 0.3 s), then none. */
			assert_string_equal(f.f[2], k ? "0" : "300");
			assert_string_equal(f.f[4], k ? "0" : "7");
			assert_non_null(strstr(lines[0].text, " 1 jobs (1 ended) "));
		} else {
			assert_int_equal(i, -1);
			assert_non_null(strstr(lines[0].text, " 1 jobs (0 ended) "));
		}
		assert_true(row_of(lines, n, b->id) >= 0);
	}
	top_model__free(m);
	job_free(a);
	job_free(b);
}

/*
 * A job made during a frame: its interval starts where the kernel made it,
 * 0.2 s before the frame's end, the host's a second before. Its starts are
 * over the frame as the host's forks are: the rows' START/s add up to no
 * more than the header's forks/s (50 over 0.2 s would be 250/s, above the
 * host's 110). One found late, its interval begun before the frame, has
 * its rates over that interval: what it did before the frame is not the
 * frame's.
 */
static void test_new_job_rates_over_frame(void **state)
{
	struct top_model *m = model_new();
	struct top_view v = view(TOP_COL_CPU, false, NULL, 0);
	struct cjob *a = job_new(1, "job-old"), *b = job_new(2, "job-new"),
		    *c = job_new(3, "job-late");
	const struct top_line *lines;
	struct fields f;
	double sum = 0;
	size_t n;
	long i;

	/* The first frame too: the new job's 50 in 0.5 s are 50/s of the frame's second. */
	send_interval(m, a, T0, 1, &(struct cjob_cum){ .started = 20 }, 1, 4096);
	send_interval(m, b, T0 + 500000000ULL, 0.5, &(struct cjob_cum){ .started = 50 }, 10,
		      4096);
	send_host(m, T0, 1, 70);
	assert_true(top_model__settle(m));
	top_model__snapshot(m, 1, NOW);
	lines = frame(m, &v, &n);
	i = row_of(lines, n, b->id);
	assert_true(i >= 0);
	split(lines[i].text, &f);
	assert_string_equal(f.f[2], "50");
	send_interval(m, a, T0 + 1000000000ULL, 1,
		      &(struct cjob_cum){ .started = 60, .exited = 60 }, 1, 4096);
	send_interval(m, b, T0 + 1800000000ULL, 0.2,
		      &(struct cjob_cum){ .started = 50, .exited = 40, .cpu_ns = 300000000 }, 10,
		      4096);
	send_interval(m, c, T0 + 500000000ULL, 1.5, &(struct cjob_cum){ .cpu_ns = 300000000 }, 1,
		      4096);
	send_host(m, T0 + 1000000000ULL, 1, 110);
	assert_true(top_model__settle(m));
	top_model__snapshot(m, 1, NOW);
	lines = frame(m, &v, &n);
	i = row_of(lines, n, b->id);
	assert_true(i >= 0);
	split(lines[i].text, &f);
	assert_string_equal(f.f[2], "50"); /* START/s: 50 over the frame's 1 s */
	assert_string_equal(f.f[3], "40"); /* EXIT/s */
	assert_string_equal(f.f[5], "30.0"); /* CPU%: 0.3 s over 1 s */
	sum += strtod(f.f[2], NULL);
	i = row_of(lines, n, a->id);
	assert_true(i >= 0);
	split(lines[i].text, &f);
	assert_string_equal(f.f[2], "60");
	sum += strtod(f.f[2], NULL);
	assert_true(sum <= 110);
	i = row_of(lines, n, c->id);
	assert_true(i >= 0);
	split(lines[i].text, &f);
	assert_string_equal(f.f[5], "20.0"); /* CPU%: 0.3 s over its 1.5 s, not the frame's 1 s */
	/* The header's exits: the rows' 100 over the same second. */
	assert_non_null(strstr(host_line(lines, n, "Tasks"), "forks 110/s  exits 100/s"));
	top_model__free(m);
	job_free(a);
	job_free(b);
	job_free(c);
}

/* ---- an ended job's row against the header ---- */

/* A host record with its CPU busy @busy_pct of @ncpus, forks @forks_ps. */
static void send_host_busy(struct top_model *m, __u64 t0, double dt_s, double forks_ps,
			   double busy_pct, unsigned int ncpus)
{
	struct host_record h = { .t0_ns = t0, .t1_ns = t0 + (__u64)(dt_s * 1e9),
				 .cpu_busy_pct = busy_pct, .ncpus = ncpus,
				 .forks_per_s = forks_ps, .mem_total_bytes = 1ULL << 30 };

	assert_int_equal(top_model__host(m, &h), 0);
}

/* A row's figures as the frame prints them (the test's keys have no blanks). */
struct row_figs {
	char alive[16];
	double started, exited, failed, cpu;
};

static void row_figs(const struct top_line *lines, size_t n, __u64 id, struct row_figs *out)
{
	long i = row_of(lines, n, id);
	struct fields f;

	if (i < 0)
		fail_msg("no row of job %llu", (unsigned long long)id);
	split(lines[i].text, &f);
	assert_true(f.n >= 6);
	snprintf(out->alive, sizeof(out->alive), "%s", f.f[1]);
	out->started = strtod(f.f[2], NULL);
	out->exited = strtod(f.f[3], NULL);
	out->failed = strtod(f.f[4], NULL);
	out->cpu = strtod(f.f[5], NULL);
}

/*
 * Every row's START/s, EXIT/s and CPU% together, ended rows included, are
 * no more than the header's forks/s, exits/s and busy% of all its CPUs:
 * the rows count what the host counted over the same interval.
 */
static void assert_rows_within_host(const struct top_line *lines, size_t n)
{
	double st = 0, ex = 0, cpu = 0, forks, exits, busy;
	unsigned int ncpus;
	const char *tasks = host_line(lines, n, "Tasks"), *cpu_line = host_line(lines, n, "CPU");
	const char *c = strchr(cpu_line, '(');

	assert_int_equal(sscanf(tasks, "Tasks forks %lf/s  exits %lf/s", &forks, &exits), 2);
	assert_int_equal(sscanf(cpu_line, "CPU %lf%%", &busy), 1);
	assert_non_null(c);
	assert_int_equal(sscanf(c, "(%u CPUs)", &ncpus), 1);
	for (size_t i = 0; i < n; i++) {
		struct fields f;

		if (!is_row(&lines[i]))
			continue;
		split(lines[i].text, &f);
		st += strtod(f.f[2], NULL);
		ex += strtod(f.f[3], NULL);
		cpu += strtod(f.f[5], NULL);
	}
	if (st > forks + 1e-9 || ex > exits + 1e-9 || cpu > busy * ncpus + 1e-9) {
		for (size_t i = 0; i < n; i++)
			print_message("%s\n", lines[i].text);
		fail_msg("rows: %g starts/s, %g exits/s, %g%% CPU; host: %g forks/s, %g exits/s, "
			 "%g%% of %u CPUs", st, ex, cpu, forks, exits, busy, ncpus);
	}
}

static struct top_line *frame_now(struct top_model *m, size_t *n)
{
	static struct top_line lines[64];
	struct top_view v = view(TOP_COL_CPU, false, NULL, 0);
	const struct top_line *l;

	top_model__settle(m);
	top_model__snapshot(m, 1, NOW);
	l = frame(m, &v, n);
	assert_true(*n <= 64);
	memcpy(lines, l, *n * sizeof(*l));
	return lines;
}

/*
 * The frame: a short job ends during a frame, another at the tick
 * that closes one (its last interval, empty, and its end come after the
 * host record, as the collector sends them). Each frame's host figures are
 * what the jobs did in it, as a host with only these jobs would count.
 * In the frame a job ended in, its row says what it did in that frame (its
 * last interval's counts over the frame), not averages over its life, and
 * in the frames it is kept after, nothing (0): in every frame the rows add
 * up to no more than the header.
 */
static void test_ended_rows_are_the_frame(void **state)
{
	struct top_model *m = model_new();
	struct cjob *a = job_new(1, "job-root"), *e = job_new(2, "job-short"),
		    *t = job_new(3, "job-tick");
	const __u64 s = 1000000000ULL;
	struct top_line *lines;
	struct row_figs rf;
	size_t n;

	/* Frame 1: the short job runs 0.5 s, 100 starts, 98 exits, 0.4 s of CPU. */
	send_interval(m, a, T0, 1,
		      &(struct cjob_cum){ .started = 20, .exited = 20, .cpu_ns = s / 10 }, 5, 4096);
	send_interval(m, e, T0 + s / 2, 0.5,
		      &(struct cjob_cum){ .started = 100, .exited = 98, .cpu_ns = 4 * s / 10 }, 3,
		      4096);
	send_interval(m, t, T0, 1,
		      &(struct cjob_cum){ .started = 10, .exited = 10, .cpu_ns = s / 10 }, 1, 4096);
	send_host_busy(m, T0, 1, 130, 30, 2); /* 0.6 s of CPU of 2 s */
	lines = frame_now(m, &n);
	assert_rows_within_host(lines, n);
	row_figs(lines, n, e->id, &rf);
	assert_float_equal(rf.started, 100, 1e-9);

	/* Frame 2: it ends 0.3 s in (its last interval: 41 starts, 43 exits, 4 failed). */
	send_interval(m, e, T0 + s, 0.3,
		      &(struct cjob_cum){ .started = 41, .exited = 43, .exit_error = 3,
					  .exit_signal = 1, .cpu_ns = 3 * s / 10 },
		      0, 0);
	e->cum = (struct cjob_mono){ .started = 141, .exited = 141, .exit_error = 3,
				     .exit_signal = 1, .cpu_ns = 7 * s / 10 };
	e->job.start_ns = T0 + s / 2;
	e->job.end_ns = T0 + s + 3 * s / 10;
	top_model__job_end(m, e);
	send_interval(m, a, T0 + s, 1,
		      &(struct cjob_cum){ .started = 27, .exited = 25, .cpu_ns = s / 10 }, 5, 4096);
	send_interval(m, t, T0 + s, 1,
		      &(struct cjob_cum){ .started = 4, .exited = 4, .exit_error = 2, .cpu_ns = s / 5 },
		      0, 0);
	send_host_busy(m, T0 + s, 1, 72, 30, 2);
	/*
	 * job-tick ends at this tick: its last interval and its end come
	 * after the host record. That interval's exit (a failure, read after
	 * the tick's sample) is the frame's, the row's and the header's; its
	 * CPU, what its intervals held back as over the CPUs, is not.
	 */
	send_interval(m, t, T0 + 2 * s, 0,
		      &(struct cjob_cum){ .exited = 1, .exit_error = 1, .cpu_ns = s / 20 }, 0, 0);
	t->cum = (struct cjob_mono){ .started = 14, .exited = 15, .exit_error = 3,
				     .cpu_ns = 3 * s / 10 + s / 20 };
	/* A life of 1.01 s: its averages differ from its last second's. */
	t->job.start_ns = T0 + s - s / 100;
	t->job.end_ns = T0 + 2 * s;
	top_model__job_end(m, t);
	lines = frame_now(m, &n);
	assert_non_null(strstr(lines[0].text, " 1 jobs (2 ended) "));
	assert_rows_within_host(lines, n);
	/* The short job: its last interval, over the frame's second. */
	row_figs(lines, n, e->id, &rf);
	assert_string_equal(rf.alive, "end");
	assert_float_equal(rf.started, 41, 1e-9);
	assert_float_equal(rf.exited, 43, 1e-9);
	assert_float_equal(rf.failed, 4, 1e-9);
	assert_float_equal(rf.cpu, 30, 1e-9);
	/* The job that ended at the tick: its intervals of this frame. */
	row_figs(lines, n, t->id, &rf);
	assert_string_equal(rf.alive, "end");
	assert_float_equal(rf.started, 4, 1e-9);
	assert_float_equal(rf.exited, 5, 1e-9);
	assert_float_equal(rf.failed, 3, 1e-9);
	assert_float_equal(rf.cpu, 20, 1e-9);
	assert_non_null(strstr(host_line(lines, n, "Tasks"), "forks 72/s  exits 73/s"));

	/* The frames they are kept on after: ended, nothing done in them. */
	for (int k = 2; k < 2 + TOP_KEEP_ENDED; k++) {
		send_interval(m, a, T0 + (__u64)k * s, 1,
			      &(struct cjob_cum){ .started = 5, .exited = 5, .cpu_ns = s / 10 }, 5,
			      4096);
		send_host_busy(m, T0 + (__u64)k * s, 1, 5, 5, 2);
		lines = frame_now(m, &n);
		assert_rows_within_host(lines, n);
		if (k == 1 + TOP_KEEP_ENDED) {
			assert_int_equal(row_of(lines, n, e->id), -1);
			assert_int_equal(row_of(lines, n, t->id), -1);
			continue;
		}
		for (int x = 0; x < 2; x++) {
			row_figs(lines, n, x ? t->id : e->id, &rf);
			assert_string_equal(rf.alive, "end");
			assert_float_equal(rf.started, 0, 1e-9);
			assert_float_equal(rf.exited, 0, 1e-9);
			assert_float_equal(rf.failed, 0, 1e-9);
			assert_float_equal(rf.cpu, 0, 1e-9);
		}
	}
	top_model__free(m);
	job_free(a);
	job_free(e);
	job_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_figures),
		cmocka_unit_test(test_drop_silent),
		cmocka_unit_test(test_short_job_kept),
		cmocka_unit_test(test_new_job_rates_over_frame),
		cmocka_unit_test(test_sort_every_column),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_expanded),
		cmocka_unit_test(test_busiest_tie),
		cmocka_unit_test(test_exits_ring),
		cmocka_unit_test(test_paused_tree_frozen),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_batch_job_end),
		cmocka_unit_test(test_batch_final_frame),
		cmocka_unit_test(test_job_reported_running),
		cmocka_unit_test(test_header_exits_jobs_given),
		cmocka_unit_test(test_ended_rows_are_the_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
