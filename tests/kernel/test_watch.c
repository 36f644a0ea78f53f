// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * End-to-end tests of `jobtrace watch` (a pid, cgroups, the whole host), of
 * the per-process --events records and of the interval records, against
 * truth the test knows: churn logs every child's pid and status and writes
 * its totals, and the kernel's own cgroup v2 cpu.stat says what a cgroup ran.
 * Needs root, BPF and a cgroup v2 hierarchy where root may make cgroups;
 * under CI=true a machine without them fails the suite instead of skipping.
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <jansson.h>

#include "testutil.h"
#include "harness.h"

#define WAIT_S 60 /* waits only: generous, never an assertion on speed */
/*
 * Test cgroups are jt-test-watch-PID-NAME: tests running side by side do not
 * share them, and one whose PID is gone is a leftover of a run that failed.
 */
#define CG_PREFIX "jt-test-watch-"

static char cg2root_saved[256]; /* H.cg2root while the v1 test points it elsewhere */
static long pid_max;

/* ---- processes ---- */

/* A running `jobtrace watch`, its standard error on a pipe. */
struct watcher {
	pid_t pid;
	int err_fd;
	char err[16384];
	size_t len;
	unsigned long long attached_ns; /* when the test read the "attached" line */
};

/* Reads what is there of the watcher's stderr, waiting up to @ms; false at EOF. */
static bool watcher_read(struct watcher *w, int ms)
{
	struct pollfd p = { .fd = w->err_fd, .events = POLLIN };
	char scratch[4096];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return true;
	n = read(w->err_fd, scratch, sizeof(scratch));
	if (n <= 0)
		return false;
	/* Keep the start, where the attach line and the first errors are. */
	if ((size_t)n > sizeof(w->err) - 1 - w->len)
		n = (ssize_t)(sizeof(w->err) - 1 - w->len);
	memcpy(w->err + w->len, scratch, (size_t)n);
	w->len += (size_t)n;
	w->err[w->len] = '\0';
	return true;
}

/* Starts jobtrace watch with @args and waits for its "attached" line. */
static void watcher_start(struct watcher *w, const char *const *args)
{
	char *argv[64];
	int n = 0, p[2];
	struct harness_onto err;
	unsigned long long deadline = harness__mono_ns() + WAIT_S * 1000000000ULL;

	argv[n++] = H.jobtrace;
	argv[n++] = "watch";
	for (; *args; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	memset(w, 0, sizeof(*w));
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	err = (struct harness_onto){ p[1], 2 };
	w->pid = harness__spawn_prep(argv, NULL, NULL, harness__onto, &err);
	close(p[1]);
	w->err_fd = p[0];
	while (!strstr(w->err, "jobtrace: attached")) {
		if (!watcher_read(w, 100) || harness__mono_ns() > deadline) {
			kill(w->pid, SIGKILL);
			harness__wait(w->pid);
			fail_msg("jobtrace watch never said it was attached; it said: %s", w->err);
		}
	}
	w->attached_ns = harness__mono_ns();
}

/* Waits for the watcher to exit on its own (its jobs ended); returns its exit code. */
static int watcher_finish(struct watcher *w)
{
	unsigned long long deadline = harness__mono_ns() + WAIT_S * 1000000000ULL;
	int st;

	while (watcher_read(w, 100)) {
		if (harness__mono_ns() > deadline) {
			kill(w->pid, SIGKILL);
			harness__wait(w->pid);
			fail_msg("jobtrace watch did not exit after its jobs ended; it said: %s",
				 w->err);
		}
	}
	close(w->err_fd);
	st = harness__wait_s(w->pid, WAIT_S);
	if (!WIFEXITED(st))
		fail_msg("jobtrace watch died (status 0x%x); it said: %s", st, w->err);
	if (WEXITSTATUS(st))
		print_message("  jobtrace watch said: %s", w->err);
	return WEXITSTATUS(st);
}

/* ---- JSON ---- */

static const char *str(json_t *root, const char *key)
{
	return json_string_value(json_object_get(root, key));
}

/*
 * Every line of @path as JSON, in one array; a line that does not parse
 * fails the test, and so does one that is not an object: str() reads keys.
 */
static json_t *load_lines(const char *path)
{
	json_t *all = harness__lines(path, NULL), *r;
	size_t i;

	json_array_foreach(all, i, r)
	{
		if (!json_is_object(r))
			fail_msg("%s line %zu is not a JSON object", path, i + 1);
	}
	return all;
}

static json_t *job_record(json_t *recs, const char *key)
{
	json_t *r, *found = NULL;
	size_t i;

	json_array_foreach(recs, i, r)
	{
		if (strcmp(str(r, "type"), "job") ||
		    strcmp(str(json_object_get(r, "job"), "key"), key))
			continue;
		if (found)
			fail_msg("two job records for %s", key);
		found = r;
	}
	if (!found)
		fail_msg("no job record for %s", key);
	return found;
}

static size_t count_type(json_t *recs, const char *type, const char *job)
{
	json_t *r;
	size_t i, n = 0;

	json_array_foreach(recs, i, r)
	{
		if (!strcmp(str(r, "type"), type) && (!job || !strcmp(str(r, "job"), job)))
			n++;
	}
	return n;
}

/* ---- churn's log and --events ---- */

struct log_entry {
	int pid;
	long index;
	int exit_code; /* -1: killed by signal */
	int signal;
	unsigned long long mono_ns;
};

static struct log_entry *load_log(const char *path, size_t *n)
{
	struct log_entry *v = NULL, e;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	*n = 0;
	while (fscanf(f, "%d %ld %d %d %llu", &e.pid, &e.index, &e.exit_code, &e.signal,
		      &e.mono_ns) == 5) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[(*n)++] = e;
	}
	assert_true(feof(f));
	fclose(f);
	return v;
}

/*
 * --events records by pid. A process is its pid and its start time: a pid
 * the kernel gave out again (other work on the host forks too) is another
 * process; the same process twice fails the test.
 */
static json_t **index_events(json_t *ev)
{
	json_t **by_pid = calloc((size_t)pid_max + 1, sizeof(*by_pid)), *r, *o;
	size_t i, k;

	assert_non_null(by_pid);
	json_array_foreach(ev, i, r)
	{
		double pid = harness__num(r, "pid");

		assert_string_equal(str(r, "type"), "exit");
		assert_true(pid > 0 && pid <= pid_max);
		if (!by_pid[(long)pid])
			by_pid[(long)pid] = json_array();
		json_array_foreach(by_pid[(long)pid], k, o)
		{
			if (fabs(harness__num(o, "start_time") - harness__num(r, "start_time")) <
			    1e-6)
				fail_msg("process %.0f has two --events records:\n%s\n%s", pid,
					 json_dumps(o, JSON_COMPACT), json_dumps(r, JSON_COMPACT));
		}
		json_array_append(by_pid[(long)pid], r);
	}
	return by_pid;
}

static void free_index(json_t **by_pid)
{
	for (long i = 0; i <= pid_max; i++)
		json_decref(by_pid[i]);
	free(by_pid);
}

/*
 * The record of the process with @pid that was alive at @epoch_s (a child
 * logs just before it exits); NULL if none. The slack covers the two clocks'
 * conversions to epoch time.
 */
static json_t *event_of(json_t **by_pid, int pid, double epoch_s)
{
	json_t *found = NULL, *r;
	size_t i;

	if (pid <= 0 || pid > pid_max || !by_pid[pid])
		return NULL;
	json_array_foreach(by_pid[pid], i, r)
	{
		if (harness__num(r, "start_time") - 0.05 <= epoch_s &&
		    epoch_s <= harness__num(r, "end_time") + 0.05) {
			if (found)
				fail_msg("two processes with pid %d at %.6f", pid, epoch_s);
			found = r;
		}
	}
	return found;
}

/* Seconds since the epoch of a CLOCK_MONOTONIC time, as --events gives times. */
static double epoch_of_mono(unsigned long long ns)
{
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	return (double)rt.tv_sec + rt.tv_nsec / 1e9 -
	       ((double)harness__mono_ns() - (double)ns) / 1e9;
}

/* Does the process record say what churn's log says of how the child ended? */
static void assert_status(json_t *r, const struct log_entry *e)
{
	json_t *code = json_object_get(r, "exit_code"), *sig = json_object_get(r, "signal");

	if (e->exit_code >= 0) {
		if (!json_is_integer(code) || json_integer_value(code) != e->exit_code ||
		    !json_is_null(sig))
			fail_msg(
			    "pid %d (child %ld) exited %d; --events says exit_code %s signal %s",
			    e->pid, e->index, e->exit_code, json_dumps(code, JSON_ENCODE_ANY),
			    json_dumps(sig, JSON_ENCODE_ANY));
	} else {
		if (!json_is_integer(sig) || json_integer_value(sig) != e->signal ||
		    !json_is_null(code))
			fail_msg("pid %d (child %ld) died of signal %d; --events says exit_code %s "
				 "signal %s",
				 e->pid, e->index, e->signal, json_dumps(code, JSON_ENCODE_ANY),
				 json_dumps(sig, JSON_ENCODE_ANY));
	}
	assert_false(json_is_true(json_object_get(r, "core_dumped")));
}

/* Every child logged after @after_ns has its record, with its status; returns how many. */
static size_t assert_log_in_events(const struct log_entry *log, size_t n, json_t **by_pid,
				   unsigned long long after_ns)
{
	size_t checked = 0;

	for (size_t i = 0; i < n; i++) {
		json_t *r;

		if (log[i].mono_ns <= after_ns)
			continue;
		r = event_of(by_pid, log[i].pid, epoch_of_mono(log[i].mono_ns));
		if (!r)
			fail_msg("child %ld (pid %d), ended %.3f s after the attach, has no "
				 "--events record",
				 log[i].index, log[i].pid, (log[i].mono_ns - after_ns) / 1e9);
		assert_status(r, &log[i]);
		checked++;
	}
	return checked;
}

/* The statuses the --events records give add up to the job's counts. */
static void assert_events_match_job(json_t *ev, json_t *job)
{
	size_t i, ok = 0, error = 0, sig = 0;
	json_t *r;

	json_array_foreach(ev, i, r)
	{
		json_t *code = json_object_get(r, "exit_code");

		if (json_is_null(code))
			sig++;
		else if (json_integer_value(code) == 0)
			ok++;
		else
			error++;
	}
	assert_int_equal(json_array_size(ev), harness__num(job, "processes.exited"));
	assert_int_equal(ok, harness__num(job, "processes.exit_ok"));
	assert_int_equal(error, harness__num(job, "processes.exit_error"));
	assert_int_equal(sig, harness__num(job, "processes.exit_signal"));
}

/* ---- cgroup v2 ---- */

static void assert_cpu_near(const char *what, double got_ns, double want_ns, double pct)
{
	double err = want_ns > 0 ? 100.0 * (got_ns - want_ns) / want_ns : 100.0;

	print_message("  %s: jobtrace %.6f s, truth %.6f s, error %+.3f%%\n", what, got_ns / 1e9,
		      want_ns / 1e9, err);
	assert_true(want_ns > 0);
	if (fabs(err) > pct)
		fail_msg("%s: CPU off by %.3f%% (limit %.2f%%)", what, err, pct);
}

/* ---- the intervals ---- */

/*
 * Two epoch stamps of one instant, as the JSON lines write them: "time" and
 * "start" to %.15g's 10 us at today's epoch.
 */
#define EPOCH_EPS_S 2e-5

/*
 * The interval records of @key against its job record, in time and in the
 * file: one after another from the job's start to its end, none past its
 * end nor after its job line, their interval_s adding up to its wall_s.
 */
static void assert_intervals_span_job(json_t *recs, const char *key)
{
	json_t *job = job_record(recs, key), *r;
	double end = harness__num(job, "time"), wall = harness__num(job, "job.wall_s");
	double sum = 0, first_start = 0, last_end = 0;
	bool job_seen = false;
	size_t i, n = 0;

	json_array_foreach(recs, i, r)
	{
		double t, start;

		if (r == job)
			job_seen = true;
		if (strcmp(str(r, "type"), "interval") || strcmp(str(r, "job"), key))
			continue;
		n++;
		t = harness__num(r, "time");
		start = harness__num(r, "start");
		if (job_seen)
			fail_msg("%s: interval %zu (to %.5f) comes after its job line", key, n, t);
		if (t > end + EPOCH_EPS_S)
			fail_msg("%s: interval %zu ends %.6f s past the job's end (%.5f; wall_s "
				 "%.6f)",
				 key, n, t - end, end, wall);
		if (n == 1)
			first_start = start;
		else if (fabs(start - last_end) > EPOCH_EPS_S)
			fail_msg("%s: interval %zu starts %.6f s from where the one before ended",
				 key, n, start - last_end);
		last_end = t;
		sum += harness__num(r, "interval_s");
	}
	if (!n)
		return;
	print_message("  %s: %zu intervals span %.6f s, wall_s %.6f; the last ends %+.6f s "
		      "from the job\n",
		      key, n, sum, wall, last_end - end);
	if (fabs(last_end - end) > EPOCH_EPS_S)
		fail_msg("%s: its last interval ends %.6f s before the job does", key,
			 end - last_end);
	if (fabs(first_start - (end - wall)) > EPOCH_EPS_S)
		fail_msg("%s: its first interval starts %.6f s from the job's start", key,
			 first_start - (end - wall));
	/* interval_s and wall_s to the nanosecond: each rounded by half of one. */
	if (fabs(sum - wall) > 1e-9 * ((double)n + 1))
		fail_msg("%s: its intervals span %.9f s, its wall_s is %.9f", key, sum, wall);
}

/*
 * The interval records of @key add up to its job record, exactly, and span
 * its life (assert_intervals_span_job()); returns how many.
 */
static size_t assert_intervals_add_up(json_t *recs, const char *key, double cpu_pct)
{
	static const char *const exact[] = {
		"processes.started",
		"processes.exited",
		"processes.exit_ok",
		"processes.exit_error",
		"processes.exit_signal",
		"processes.execs",
		"processes.existing_at_attach",
		"processes.moved_in",
		"processes.moved_out",
		"threads.started",
	};
	double sum[sizeof(exact) / sizeof(exact[0])] = { 0 }, cpu = 0;
	json_t *job = job_record(recs, key), *r;
	size_t i, n = 0;

	json_array_foreach(recs, i, r)
	{
		if (strcmp(str(r, "type"), "interval") || strcmp(str(r, "job"), key))
			continue;
		n++;
		for (size_t k = 0; k < sizeof(exact) / sizeof(exact[0]); k++) {
			double v = harness__num(r, exact[k]);

			if (v < 0 || v > 1e15)
				fail_msg("interval %zu of %s: %s is %.0f", n, key, exact[k], v);
			sum[k] += v;
		}
		if (harness__num(r, "cpu.total_ns") < 0 || harness__num(r, "cpu.total_ns") > 1e15 ||
		    harness__num(r, "cpu.user_s") < 0 || harness__num(r, "cpu.system_s") < 0)
			fail_msg("interval %zu of %s has a negative CPU time", n, key);
		cpu += harness__num(r, "cpu.total_ns");
	}
	for (size_t k = 0; k < sizeof(exact) / sizeof(exact[0]); k++) {
		/* run's report has no existing_at_attach: nothing was there before it. */
		double want = strcmp(str(json_object_get(job, "job"), "mode"), "run") ||
				      strcmp(exact[k], "processes.existing_at_attach")
				  ? harness__num(job, exact[k])
				  : 0;

		if (sum[k] != want)
			fail_msg("%s: intervals sum %s to %.0f, the job record says %.0f", key,
				 exact[k], sum[k], want);
	}
	assert_cpu_near("intervals' sum vs the job's cpu", cpu, harness__num(job, "cpu.total_ns"),
			cpu_pct);
	assert_intervals_span_job(recs, key);
	return n;
}

/* ---- the tests ---- */

/*
 * watch --pid on a job already forking at full speed: every child that ends
 * after the attach is reported once, with the status it really had.
 */
static void test_watch_pid_attach_mid_churn(void **state)
{
	char log_path[600], truth[600], out[600], ev_path[600];
	char *churn_argv[] = { H.churn,	"--children", "20000",	 "--varied", "--burn-us", "50",
			       "--log", log_path,     "--truth", truth,	     NULL };
	char pid_s[32];
	const char *args[] = { "--pid", pid_s, "--json", "-o", out, "--events", ev_path, NULL };
	unsigned long long deadline = harness__mono_ns() + WAIT_S * 1000000000ULL;
	struct log_entry *log;
	struct watcher w;
	json_t *recs, *ev, *job, **by_pid, *t, *root;
	char key[64];
	struct stat sb;
	size_t nlog, checked;
	pid_t cp;
	int st;

	harness__path(log_path, sizeof(log_path), "pid.log");
	harness__path(truth, sizeof(truth), "pid.truth");
	harness__path(out, sizeof(out), "pid.out");
	harness__path(ev_path, sizeof(ev_path), "pid.events");
	cp = harness__spawn(churn_argv, NULL, NULL);
	/* Attach once children are being forked and are ending. */
	while (stat(log_path, &sb) || sb.st_size == 0) {
		if (harness__mono_ns() > deadline)
			fail_msg("churn never logged a child");
		harness__sleep_ms(5);
	}
	snprintf(pid_s, sizeof(pid_s), "%d", cp);
	watcher_start(&w, args);
	st = harness__wait_s(cp, WAIT_S);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(watcher_finish(&w), 0);

	recs = load_lines(out);
	ev = load_lines(ev_path);
	by_pid = index_events(ev);
	log = load_log(log_path, &nlog);
	t = harness__json(truth);
	assert_int_equal(nlog, 20000);
	assert_int_equal(harness__num(t, "processes"), 20001);

	checked = assert_log_in_events(log, nlog, by_pid, w.attached_ns);
	print_message("  %zu of %zu children ended after the attach line; %zu --events "
		      "records\n",
		      checked, nlog, json_array_size(ev));
	assert_true(checked > 0);

	snprintf(key, sizeof(key), "pid:%d", cp);
	job = job_record(recs, key);
	assert_int_equal(harness__num(job, "events.lost"), 0);
	assert_true(json_is_true(json_object_get(json_object_get(job, "events"), "complete")));
	assert_int_equal(harness__num(job, "processes.exited"), json_array_size(ev));
	assert_true(harness__num(job, "processes.existing_at_attach") >= 1);
	/* Each process was there at the attach or started after it, and each ended. */
	assert_int_equal(harness__num(job, "processes.started") +
			     harness__num(job, "processes.existing_at_attach"),
			 harness__num(job, "processes.exited"));
	assert_int_equal(harness__num(job, "processes.alive"), 0);
	assert_events_match_job(ev, job);
	/* churn itself: found at the attach, the job's root, exit 0. */
	/* churn itself: its pid was its own all along, so one record has it. */
	assert_non_null(by_pid[cp]);
	assert_int_equal(json_array_size(by_pid[cp]), 1);
	root = json_array_get(by_pid[cp], 0);
	assert_non_null(root);
	assert_true(json_is_true(json_object_get(root, "is_root")));
	assert_true(json_is_true(json_object_get(root, "existing_at_attach")));
	assert_int_equal(harness__num(root, "exit_code"), 0);
	assert_string_equal(str(root, "job"), key);
	/* The job record says the same of its root. */
	assert_int_equal(harness__num(job, "job.root_pid"), cp);
	assert_int_equal(harness__num(job, "job.exit_code"), 0);
	assert_true(json_is_null(json_object_get(json_object_get(job, "job"), "signal")));
	assert_int_equal(harness__num(job, "processes.outlived_root"), 0);
	free(log);
	free_index(by_pid);
	json_decref(t);
	json_decref(ev);
	json_decref(recs);
}

/* run --events: one valid JSON line per process, each child with its own status. */
static void test_run_events_statuses(void **state)
{
	char log_path[600], truth[600], report[600], ev_path[600];
	char *argv[] = { H.jobtrace, "run",    "--json",	"-o",	      report, "--events",
			 ev_path,  "--",     H.churn,	"--children", "500",  "--varied",
			 "--log",  log_path, "--truth", truth,	      NULL };
	struct log_entry *log;
	json_t *ev, **by_pid, *t, *r, *e;
	size_t nlog, i;

	harness__path(log_path, sizeof(log_path), "run.log");
	harness__path(truth, sizeof(truth), "run.truth");
	harness__path(report, sizeof(report), "run.json");
	harness__path(ev_path, sizeof(ev_path), "run.events");
	assert_int_equal(harness__exit_code_s(argv, NULL, NULL, WAIT_S), 0);
	ev = load_lines(ev_path);
	by_pid = index_events(ev);
	log = load_log(log_path, &nlog);
	t = harness__json(truth);
	r = harness__json(report);

	assert_int_equal(nlog, 500);
	assert_int_equal(assert_log_in_events(log, nlog, by_pid, 0), 500);
	assert_int_equal(json_array_size(ev), harness__num(t, "processes"));
	assert_int_equal(harness__num(t, "exit_signal"), 500 / 13);
	assert_events_match_job(ev, r);
	assert_int_equal(harness__num(r, "processes.exit_error"), harness__num(t, "exit_error"));
	json_array_foreach(ev, i, e)
	{
		assert_string_equal(str(e, "job"), "run");
		assert_true(json_is_array(json_object_get(e, "args")) ||
			    json_is_null(json_object_get(e, "args")));
		assert_true(harness__num(e, "cpu.total_ns") >= 0);
		assert_true(fabs(harness__num(e, "cpu.user_s") + harness__num(e, "cpu.system_s") -
				 harness__num(e, "cpu.total_s")) < 1e-6);
		assert_false(json_is_true(json_object_get(e, "existing_at_attach")));
	}
	free(log);
	free_index(by_pid);
	json_decref(r);
	json_decref(t);
	json_decref(ev);
}

#define NCG 3
static char cg_names[NCG][64];

/*
 * Three cgroup jobs with threads, noise outside them: each job's counts are
 * churn's, and its CPU is what the cgroup's own cpu.stat says it ran.
 * @host: watch every process grouped by cgroup2 instead of naming the cgroups.
 */
static void cgroup_jobs(bool host)
{
	char out[600], truth[NCG][600], noise_truth[600], paths[NCG][512], key[300];
	char *noise_argv[] = { H.churn, "--children", "2000",	 "--burn-us",
			       "100", "--truth",    noise_truth, NULL };
	const char *args[16];
	unsigned long long deadline;
	struct watcher w;
	pid_t pids[NCG], noise;
	double usage[NCG];
	json_t *recs;
	int n = 0, st;

	for (int i = 0; i < NCG; i++) {
		harness__cgroup_make(cg_names[i]);
		harness__cgroup_path(paths[i], sizeof(paths[i]), cg_names[i], NULL);
		snprintf(truth[i], sizeof(truth[i]), "%s/cg-%d.truth", H.tmpdir, i);
		unlink(truth[i]);
	}
	harness__path(noise_truth, sizeof(noise_truth), "noise.truth");
	harness__path(out, sizeof(out), host ? "host.out" : "cgroup.out");
	if (host) {
		args[n++] = "--all";
		args[n++] = "--group-by";
		args[n++] = "cgroup2";
	} else {
		for (int i = 0; i < NCG; i++) {
			args[n++] = "--cgroup";
			args[n++] = paths[i];
		}
	}
	args[n++] = "--json";
	args[n++] = "-o";
	args[n++] = out;
	args[n] = NULL;
	watcher_start(&w, args);

	noise = harness__spawn(noise_argv, NULL, NULL);
	for (int i = 0; i < NCG; i++) {
		char *argv[] = { H.churn, "--children",	    "300",    "--threads",
				 "4",	"--thread-burn-ms", "30",     "--burn-us",
				 "500", "--truth",	    truth[i], NULL };

		pids[i] = harness__cgroup_spawn(cg_names[i], argv, NULL, "-");
	}
	for (int i = 0; i < NCG; i++) {
		st = harness__wait_s(pids[i], WAIT_S);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	st = harness__wait_s(noise, WAIT_S);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Every process of the cgroups is gone: their CPU is final. */
	for (int i = 0; i < NCG; i++)
		usage[i] = harness__cgroup_usage_ns(cg_names[i]);

	if (host) {
		/*
		 * Each cgroup's job reports once its last process is gone, while
		 * watch runs on: its record reaches the file then, not at the exit.
		 */
		char *buf = NULL;
		size_t len = 0;
		int found = 0;

		deadline = harness__mono_ns() + WAIT_S * 1000000000ULL;
		while (found < NCG) {
			FILE *f = fopen(out, "r");

			found = 0;
			free(buf);
			buf = NULL;
			if (f && getdelim(&buf, &len, '\0', f) > 0) {
				for (int i = 0; i < NCG; i++) {
					snprintf(key, sizeof(key), "\"key\":\"cgroup:/%s\"",
						 cg_names[i]);
					found += strstr(buf, key) != NULL;
				}
			}
			if (f)
				fclose(f);
			if (found < NCG && harness__mono_ns() > deadline)
				fail_msg("host mode reported %d of the %d cgroup jobs", found, NCG);
			if (found < NCG)
				harness__sleep_ms(100);
		}
		free(buf);
		assert_int_equal(kill(w.pid, SIGTERM), 0);
		assert_int_equal(watcher_finish(&w), 0);
		for (int i = 0; i < NCG; i++)
			harness__cgroup_remove(cg_names[i]);
	} else {
		/* A --cgroup job ends when its cgroup is removed; watch then exits. */
		for (int i = 0; i < NCG; i++)
			harness__cgroup_remove(cg_names[i]);
		assert_int_equal(watcher_finish(&w), 0);
	}

	recs = load_lines(out);
	for (int i = 0; i < NCG; i++) {
		json_t *t = harness__json(truth[i]);
		json_t *job;
		char what[64];

		snprintf(key, sizeof(key), "cgroup:/%s", cg_names[i]);
		job = job_record(recs, key);
		assert_string_equal(str(json_object_get(job, "job"), "cgroup"), key + 7);
		assert_string_equal(str(json_object_get(job, "job"), "hierarchy"), "cgroup2");
		/* churn's root moved in (it was forked outside); its children started inside. */
		assert_int_equal(harness__num(job, "processes.moved_in"), 1);
		assert_int_equal(harness__num(job, "processes.started"),
				 harness__num(t, "processes") - 1);
		assert_int_equal(harness__num(job, "processes.existing_at_attach"), 0);
		assert_int_equal(harness__num(job, "processes.moved_out"), 0);
		assert_int_equal(harness__num(job, "processes.exited"),
				 harness__num(t, "processes"));
		assert_int_equal(harness__num(job, "processes.exit_ok"),
				 harness__num(t, "exit_ok"));
		assert_int_equal(harness__num(job, "processes.alive"), 0);
		assert_int_equal(harness__num(job, "threads.started"), 4);
		assert_int_equal(harness__num(job, "processes.execs"), 1);
		assert_int_equal(harness__num(job, "events.lost"), 0);
		snprintf(what, sizeof(what), "cgroup %c vs cpu.stat", 'a' + i);
		assert_cpu_near(what, harness__num(job, "cpu.total_ns"), usage[i], 0.5);
		json_decref(t);
	}
	json_decref(recs);
}

static void test_watch_cgroups(void **state)
{
	cgroup_jobs(false);
}

static void test_watch_all_by_cgroup2(void **state)
{
	cgroup_jobs(true);
}

/*
 * The most any interval of @key said of its CPU rate, over @n intervals.
 * A null rate (under 10 ms) is left out.
 */
/*
 * The highest rate among @key's intervals, their number in *@n, and in
 * *@mean the rate of those with a rate taken together (their CPU over
 * their time): the highest can be no lower, whatever the machine's load.
 */
static double most_rate(json_t *recs, const char *key, size_t *n, double *mean)
{
	double most = 0, cpu_ns = 0, wall_s = 0;
	json_t *r;
	size_t i;

	*n = 0;
	json_array_foreach(recs, i, r)
	{
		if (strcmp(str(r, "type"), "interval") || strcmp(str(r, "job"), key))
			continue;
		++*n;
		if (harness__is_null(r, "cpu.rate_pct"))
			continue;
		cpu_ns += harness__num(r, "cpu.total_ns");
		wall_s += harness__num(r, "interval_s");
		if (harness__num(r, "cpu.rate_pct") > most)
			most = harness__num(r, "cpu.rate_pct");
	}
	*mean = wall_s > 0 ? cpu_ns / 1e7 / wall_s : 0;
	return most;
}

/*
 * A shell loop, one thread busy all along, at -i 0.1: the kernel brings a
 * running thread's CPU up to date at its ticks, so the CPU read at a sample
 * lags by up to one (4 ms at HZ=250), and an interval after a late read
 * held up to 116 % of one CPU. No interval's rate says more than its one
 * task can have run; the intervals add up to the report. Two such loops:
 * up to two CPUs, so the bound is the tasks', not one.
 */
static void test_run_rate_within_tasks(void **state)
{
	char out[600], key[] = "run";
	char *one[] = { H.jobtrace, "run", "--json", "-i", "0.1", "-o", out, "--", "/bin/sh", "-c",
			"i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done", NULL };
	char *two[] = { H.jobtrace, "run", "--json", "-i", "0.1", "-o", out, "--", "/bin/sh", "-c",
			"for t in 1 2; do (i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done) & "
			"done; wait",
			NULL };
	double most, mean;
	json_t *recs;
	size_t n;

	harness__path(out, sizeof(out), "rate-one.out");
	for (int round = 0; round < 3; round++) {
		assert_int_equal(harness__exit_code_s(one, NULL, NULL, WAIT_S), 0);
		recs = load_lines(out);
		most = most_rate(recs, key, &n, &mean);
		print_message("  one loop: %zu intervals, rates at most %.2f%%, %.2f%% in all\n", n,
			      most, mean);
		assert_true(n >= 3);
		if (most > 100.0)
			fail_msg("one busy thread: an interval's rate is %.2f%%", most);
		/*
		 * Not squashed below what it ran: some interval at least as busy
		 * as all of them together (how busy is the host's load to say).
		 */
		assert_true(most >= 0.95 * mean && mean > 0);
		assert_intervals_add_up(recs, key, 0.1);
		json_decref(recs);
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	harness__path(out, sizeof(out), "rate-two.out");
	assert_int_equal(harness__exit_code_s(two, NULL, NULL, WAIT_S), 0);
	recs = load_lines(out);
	most = most_rate(recs, key, &n, &mean);
	print_message("  two loops: %zu intervals, rates at most %.2f%%, %.2f%% in all\n", n, most,
		      mean);
	/* Three tasks at most (the shell and its two); two CPUs here. */
	if (most > 200.0)
		fail_msg("two busy threads on %ld CPUs: an interval's rate is %.2f%%",
			 sysconf(_SC_NPROCESSORS_ONLN), most);
	/*
	 * Not held to one task: where the two loops ran on two CPUs at once
	 * (above 100 % in all, as a quiet host gives), some interval says so.
	 * A starved host's loops take turns, and any bound holds them.
	 */
	assert_true(most >= 0.95 * mean && mean > 0);
	if (mean > 100.0)
		assert_true(most > 100.0);
	assert_intervals_add_up(recs, key, 0.1);
	json_decref(recs);
}

/* run --json -i: the interval records add up to the job record. */
static void test_run_intervals_add_up(void **state)
{
	char out[600], truth[600];
	char *argv[] = { H.jobtrace, "run", "--json", "-i", "0.1", "-o", out, "--", H.churn,
			 "--children", "3000", "--threads", "8", "--thread-burn-ms", "20",
			 "--burn-us", "200", "--varied", "--truth", truth, NULL };
	json_t *recs, *t, *job;
	size_t n;

	harness__path(out, sizeof(out), "iv-run.out");
	harness__path(truth, sizeof(truth), "iv-run.truth");
	assert_int_equal(harness__exit_code_s(argv, NULL, NULL, WAIT_S), 0);
	recs = load_lines(out);
	t = harness__json(truth);
	job = job_record(recs, "run");
	n = assert_intervals_add_up(recs, "run", 0.1);
	print_message("  %zu intervals, %zu host records\n", n, count_type(recs, "host", NULL));
	assert_true(n >= 3);
	/* One per interval, not one per wakeup of a busy ring: the wall time bounds them. */
	assert_true((double)n <= harness__num(job, "job.wall_s") / 0.1 + 2);
	assert_true((double)count_type(recs, "host", NULL) <=
		    harness__num(job, "job.wall_s") / 0.1 + 1);
	assert_int_equal(harness__num(job, "processes.started"), harness__num(t, "processes"));
	assert_int_equal(harness__num(job, "processes.exit_signal"),
			 harness__num(t, "exit_signal"));
	assert_int_equal(harness__num(job, "threads.started"), 8);
	json_decref(t);
	json_decref(recs);
}

/* The same for watch --pid --interval, attached before churn forks. */
static void test_watch_intervals_add_up(void **state)
{
	char out[600], truth[600], log_path[600], pid_s[32], key[64];
	char *churn_argv[] = { H.churn,	"--children",	    "3000",	  "--threads",
			       "8",	"--thread-burn-ms", "20",	  "--burn-us",
			       "200",	"--varied",	    "--delay-ms", "1500",
			       "--log", log_path,	    "--truth",	  truth,
			       NULL };
	const char *args[] = { "--pid", pid_s, "--json", "--interval", "0.2", "-o", out, NULL };
	struct log_entry *log;
	struct watcher w;
	json_t *recs, *t, *job;
	size_t n, nlog;
	pid_t cp;
	int st;

	harness__path(out, sizeof(out), "iv-watch.out");
	harness__path(truth, sizeof(truth), "iv-watch.truth");
	harness__path(log_path, sizeof(log_path), "iv-watch.log");
	cp = harness__spawn(churn_argv, NULL, NULL);
	snprintf(pid_s, sizeof(pid_s), "%d", cp);
	watcher_start(&w, args);
	st = harness__wait_s(cp, WAIT_S);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(watcher_finish(&w), 0);

	recs = load_lines(out);
	t = harness__json(truth);
	log = load_log(log_path, &nlog);
	snprintf(key, sizeof(key), "pid:%d", cp);
	job = job_record(recs, key);
	n = assert_intervals_add_up(recs, key, 0.1);
	print_message("  %zu intervals\n", n);
	assert_true(n >= 3);
	assert_true((double)n <= harness__num(job, "job.wall_s") / 0.2 + 2);
	assert_int_equal(harness__num(job, "processes.exited"), harness__num(t, "processes"));
	assert_int_equal(harness__num(job, "processes.exit_ok"), harness__num(t, "exit_ok"));
	assert_int_equal(harness__num(job, "processes.exit_error"), harness__num(t, "exit_error"));
	assert_int_equal(harness__num(job, "processes.exit_signal"),
			 harness__num(t, "exit_signal"));
	assert_int_equal(nlog, 3000);
	if (log[0].mono_ns > w.attached_ns) {
		/* Attached while churn slept: only churn itself was there before. */
		assert_int_equal(harness__num(job, "processes.existing_at_attach"), 1);
		assert_int_equal(harness__num(job, "processes.started"),
				 harness__num(t, "processes") - 1);
		assert_int_equal(harness__num(job, "threads.started"), 8);
	} else {
		print_message("  the attach took longer than churn's 1.5 s sleep\n");
	}
	free(log);
	json_decref(t);
	json_decref(recs);
}

/*
 * Storage I/O shows in the interval it is done in, not only when its
 * process ends: one process writes 5 x 8 MiB with fsync, 0.3 s apart; the
 * intervals before its end already hold most of it, and they add up to the
 * report's write_bytes.
 */
static void test_interval_io_while_running(void **state)
{
	char out[600], file[600], script[1400];
	char *argv[] = { H.jobtrace, "run", "--json", "-i", "0.2", "-o", out, "--", "/usr/bin/python3",
			 "-c", script, NULL };
	double sum = 0, before_end = 0, total;
	json_t *recs, *r, *job;
	size_t i, n = 0, nint;

	harness__path(out, sizeof(out), "io.out");
	harness__path(file, sizeof(file), "io.data");
	/* One process, alive throughout, writing 8 MiB every 0.3 s. */
	snprintf(script, sizeof(script),
		 "import os, time\n"
		 "for i in range(5):\n"
		 "    with open('%.500s', 'wb') as f:\n"
		 "        f.write(bytes(8 << 20)); f.flush(); os.fsync(f.fileno())\n"
		 "    time.sleep(0.3)\n"
		 "os.unlink('%.500s')\n",
		 file, file);
	assert_int_equal(harness__exit_code_s(argv, NULL, NULL, WAIT_S), 0);
	recs = load_lines(out);
	job = job_record(recs, "run");
	total = harness__num(job, "io.write_bytes");
	nint = count_type(recs, "interval", "run");
	json_array_foreach(recs, i, r)
	{
		if (strcmp(str(r, "type"), "interval"))
			continue;
		n++;
		sum += harness__num(r, "io.write_bytes");
		if (n < nint)
			before_end += harness__num(r, "io.write_bytes");
	}
	print_message("  %.0f of %.0f bytes written before the last interval\n", before_end, total);
	assert_true(total >= 5.0 * 8388608);
	assert_true(sum == total);
	assert_true(before_end >= 3.0 * 8388608);
	json_decref(recs);
}

/*
 * A host job's wall time is the kernel's, from its making (the process
 * moving into its cgroup) to its last exit, not the samples': a churn of
 * 0.2 s seen by a 1 s sampler reports its own wall time, to the exec and
 * exit around churn's own clock (churn's truth), not 0 and not 1 s.
 */
static void test_host_job_wall_is_kernels(void **state)
{
	char name[64], out[600], key[300], truth[600];
	const char *args[] = { "--all", "--group-by", "cgroup2", "--interval", "1", "--duration",
			       "3", "--json", "-o", out, NULL };
	char *burn[] = { H.churn, "--children", "20", "--burn-us", "10000", "--truth", truth,
			 NULL };
	struct watcher w;
	json_t *recs, *t;
	double wall, want;
	int st;

	snprintf(name, sizeof(name), "%s%d-wall", CG_PREFIX, getpid());
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	harness__cgroup_make(name);
	harness__path(out, sizeof(out), "wall.out");
	harness__path(truth, sizeof(truth), "wall.truth");
	watcher_start(&w, args);
	harness__sleep_ms(1300);
	st = harness__wait_s(harness__cgroup_spawn(name, burn, NULL, "-"), WAIT_S);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(watcher_finish(&w), 0);
	harness__cgroup_remove(name);
	recs = load_lines(out);
	t = harness__json(truth);
	wall = harness__num(json_object_get(job_record(recs, key), "job"), "wall_s");
	want = harness__num(t, "wall_ns") / 1e9;
	print_message("  job.wall_s %.4f s, churn's own %.4f s\n", wall, want);
	assert_true(wall >= want);
	/* The exec before churn's clock starts and its exit after: milliseconds, given room. */
	assert_true(wall - want < 0.15);
	json_decref(t);
	json_decref(recs);
}

/* How many processes the cgroup.procs at @procs lists. */
static int cgroup_holds(const char *procs)
{
	char *text = harness__read(procs);
	int n = 0;

	for (const char *p = text; p && *p; p++)
		n += *p == '\n';
	free(text);
	return n;
}

/*
 * A stop between two ticks reports every job open, those the kernel made
 * since the last sample too: a v2 cgroup joined by a sleeping shell after
 * watch attached, watch stopped as soon as the shell's sleep is in it,
 * before the next of watch's 1 s reads of its jobs. Its job was left out
 * (the stop judged the jobs it had read, and the read again that found
 * this one left it open); it now reports as running, with its process.
 */
static void test_stop_reports_jobs_made_since_sample(void **state)
{
	char name[64], out[600], key[300], procs[600];
	const char *args[] = { "--all", "--group-by", "cgroup2", "--interval", "60", "--json",
			       "-o", out, NULL };
	char *sleeper[] = { "/bin/sh", "-c", "sleep 30", NULL };
	struct watcher w;
	json_t *recs, *r;
	pid_t pid;

	snprintf(name, sizeof(name), "%s%d-stop", CG_PREFIX, getpid());
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	harness__cgroup_make(name);
	harness__cgroup_path(procs, sizeof(procs), name, "cgroup.procs");
	harness__path(out, sizeof(out), "stop.out");
	watcher_start(&w, args);
	pid = harness__cgroup_spawn(name, sleeper, NULL, "-");
	/*
	 * Until the shell and its sleep are in it, then the stop at once:
	 * watch reads its jobs at every 1 s tick, whatever -i says, and a
	 * tick between the two would find the job without the fix.
	 */
	for (int i = 0; cgroup_holds(procs) < 2 && i < 3000; i++)
		harness__sleep_ms(2);
	assert_int_equal(cgroup_holds(procs), 2);
	assert_int_equal(kill(w.pid, SIGTERM), 0);
	assert_int_equal(watcher_finish(&w), 0);
	kill(pid, SIGKILL);
	harness__wait(pid);
	harness__cgroup_remove(name);
	recs = load_lines(out);
	r = job_record(recs, key);
	print_message("  %s at the stop: %.0f alive, %.0f moved in, %.0f started\n", key,
		      harness__num(r, "processes.alive"), harness__num(r, "processes.moved_in"),
		      harness__num(r, "processes.started"));
	/* The shell, moved in; its sleep, forked there: both alive at the stop. */
	assert_int_equal(harness__num(r, "processes.alive"), 2);
	assert_int_equal(harness__num(r, "processes.moved_in"), 1);
	assert_int_equal(harness__num(r, "processes.started"), 1);
	json_decref(recs);
}

/*
 * Host mode's intervals end where a job does: a v2 cgroup's job of about
 * 1.3 s (a sleep, then 0.3 s of CPU), its last exit between two of the
 * 0.5 s ticks. Its last interval closes at that exit, its intervals span
 * its wall time and come before its job line, and the host line of the
 * tick that found it over comes after it. Before, its last interval ran to
 * that tick, up to 0.5 s past the end its job line gives, after it in
 * time, and the intervals spanned more than its wall time.
 */
static void test_host_intervals_end_with_job(void **state)
{
	char name[64], out[600], key[300], needle[320];
	const char *args[] = { "--all", "--group-by", "cgroup2", "--interval", "0.5", "--json",
			       "-o", out, NULL };
	char *work[] = { H.churn, "--children", "1", "--burn-us", "300000", "--delay-ms", "1000",
			 NULL };
	struct watcher w;
	json_t *recs, *job, *r;
	double end;
	size_t i, n;
	int st;

	snprintf(name, sizeof(name), "%s%d-ends", CG_PREFIX, getpid());
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	snprintf(needle, sizeof(needle), "\"key\":\"%s\"", key);
	harness__cgroup_make(name);
	harness__path(out, sizeof(out), "ends.out");
	watcher_start(&w, args);
	harness__sleep_ms(300);
	st = harness__wait_s(harness__cgroup_spawn(name, work, NULL, "-"), WAIT_S);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (harness__wait_text(out, needle, WAIT_S * 1000) < 0)
		fail_msg("no job line for %s in %d s", key, WAIT_S);
	/* Host mode runs until stopped; its status is the host's processes', not checked. */
	assert_int_equal(kill(w.pid, SIGINT), 0);
	watcher_finish(&w);
	harness__cgroup_remove(name);
	recs = load_lines(out);
	job = job_record(recs, key);
	end = harness__num(job, "time");
	n = assert_intervals_add_up(recs, key, 0.5);
	assert_true(n >= 2);
	/* Its records are the tick's that found it over: no later tick's host line before them. */
	json_array_foreach(recs, i, r)
	{
		if (r == job)
			break;
		if (!strcmp(str(r, "type"), "host") && harness__num(r, "time") > end + EPOCH_EPS_S)
			fail_msg("the host line of %.5f, %.6f s after %s ended, comes before its "
				 "job line",
				 harness__num(r, "time"), harness__num(r, "time") - end, key);
	}
	json_decref(recs);
}

/* The process's own write_bytes (/proc/self/io): storage I/O it caused so far. */
static unsigned long long self_write_bytes(void)
{
	char key[64];
	unsigned long long v, found = 0;
	FILE *f = fopen("/proc/self/io", "r");

	while (f && fscanf(f, "%63s %llu", key, &v) == 2)
		if (!strcmp(key, "write_bytes:"))
			found = v;
	if (f)
		fclose(f);
	return found;
}

/* Writes @mib MiB to @path and fsyncs it: storage I/O this process is charged with. */
static int write_mib(const char *path, int mib)
{
	static char buf[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	for (int i = 0; i < mib; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return -1;
	return fsync(fd) || close(fd) ? -1 : 0;
}

/*
 * A process that did I/O before the attach: the job counts only what it
 * does after it, in its intervals and its report, to the byte of what the
 * process's own /proc/self/io says it did in between (the truth it sends).
 */
static void test_attach_io_excludes_before(void **state)
{
	char out[600], file[600], pid_s[32];
	const char *args[] = { "--pid", pid_s, "--json", "--interval", "0.2", "-o", out, NULL };
	unsigned long long truth[2];
	int ready[2], go[2];
	double sum = 0;
	struct watcher w;
	json_t *recs, *r, *job;
	size_t i;
	pid_t p;

	harness__path(out, sizeof(out), "attach-io.out");
	harness__path(file, sizeof(file), "attach-io.data");
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		unsigned long long at_attach;
		char c;

		close(ready[0]);
		close(go[1]);
		/* 32 MiB before the attach, then 8 MiB after it. */
		if (write_mib(file, 32))
			_exit(97);
		at_attach = self_write_bytes();
		if (write(ready[1], &at_attach, sizeof(at_attach)) != sizeof(at_attach) ||
		    read(go[0], &c, 1) != 1 || write_mib(file, 8))
			_exit(98);
		at_attach = self_write_bytes() - at_attach;
		if (write(ready[1], &at_attach, sizeof(at_attach)) != sizeof(at_attach))
			_exit(99);
		unlink(file);
		_exit(0);
	}
	harness__track(p, 0);
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &truth[0], sizeof(truth[0])), sizeof(truth[0]));
	snprintf(pid_s, sizeof(pid_s), "%d", p);
	watcher_start(&w, args);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(read(ready[0], &truth[1], sizeof(truth[1])), sizeof(truth[1]));
	close(go[1]);
	close(ready[0]);
	assert_int_equal(watcher_finish(&w), 0);
	assert_true(WIFEXITED(harness__wait_s(p, WAIT_S)));
	recs = load_lines(out);
	snprintf(pid_s, sizeof(pid_s), "pid:%d", p);
	job = job_record(recs, pid_s);
	print_message("  before the attach %llu bytes, after it %llu; the job says %.0f\n",
		      truth[0], truth[1], harness__num(job, "io.write_bytes"));
	assert_true(truth[0] >= 32ULL << 20);
	assert_true(harness__num(job, "io.write_bytes") == (double)truth[1]);
	json_array_foreach(recs, i, r) if (!strcmp(str(r, "type"), "interval")) sum +=
	    harness__num(r, "io.write_bytes");
	assert_true(sum == (double)truth[1]);
	json_decref(recs);
}

/*
 * A job still running when watch stops (--duration) is reported as it
 * stands: its storage I/O is its live process's so far, the running total
 * its intervals are differences of, so they add up to it; the syscall bytes
 * a live read cannot give are null, not 0. Before, the job line said the
 * I/O of exited processes only: 0 here, against the intervals' 16 MiB.
 */
static void test_live_job_io_at_stop(void **state)
{
	char out[600], file[600], pid_s[32];
	const char *args[] = { "--pid", pid_s, "--json", "--interval", "0.5", "--duration", "2.5",
			       "-o", out, NULL };
	unsigned long long truth;
	int ready[2], go[2];
	double sum = 0;
	struct watcher w;
	json_t *recs, *r, *job, *io;
	size_t i;
	pid_t p;

	harness__path(out, sizeof(out), "live-io.out");
	harness__path(file, sizeof(file), "live-io.data");
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		unsigned long long before;
		char c;

		close(ready[0]);
		close(go[1]);
		/* 16 MiB after the attach, then alive until the test kills it. */
		before = self_write_bytes();
		if (read(go[0], &c, 1) != 1 || write_mib(file, 16))
			_exit(98);
		before = self_write_bytes() - before;
		unlink(file);
		if (write(ready[1], &before, sizeof(before)) != sizeof(before))
			_exit(99);
		for (;;)
			pause();
	}
	harness__track(p, 0);
	close(ready[1]);
	close(go[0]);
	snprintf(pid_s, sizeof(pid_s), "%d", p);
	watcher_start(&w, args);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(read(ready[0], &truth, sizeof(truth)), sizeof(truth));
	close(go[1]);
	close(ready[0]);
	watcher_finish(&w);
	kill(p, SIGKILL);
	harness__wait_s(p, WAIT_S);
	recs = load_lines(out);
	snprintf(pid_s, sizeof(pid_s), "pid:%d", p);
	job = job_record(recs, pid_s);
	json_array_foreach(recs, i, r) if (!strcmp(str(r, "type"), "interval")) sum +=
	    harness__num(r, "io.write_bytes");
	print_message("  the process wrote %llu bytes; its intervals sum to %.0f, the job says "
		      "%.0f\n",
		      truth, sum, harness__num(job, "io.write_bytes"));
	assert_true(truth >= 16ULL << 20);
	assert_true(harness__num(job, "processes.alive") >= 1);
	assert_true(harness__num(job, "io.write_bytes") == sum);
	assert_true(harness__num(job, "io.write_bytes") >= (double)truth);
	io = json_object_get(job, "io");
	assert_true(json_is_null(json_object_get(io, "read_chars")));
	assert_true(json_is_null(json_object_get(io, "write_chars")));
	json_decref(recs);
}

static char *volatile live_peak_mem;

/* This process's VmRSS in bytes, from /proc/self/status; 0: not read. */
static unsigned long long self_rss_bytes(void)
{
	char *st = harness__read("/proc/self/status");
	const char *p = st ? strstr(st, "\nVmRSS:") : NULL;
	unsigned long long kib = p ? strtoull(p + 7, NULL, 10) : 0;

	free(st);
	return kib << 10;
}

/*
 * A job reported as it stands (--duration) whose one process holds 32 MiB
 * it wrote and has not exited: no exit record gives its peak, but its RSS
 * is a floor of it, and the report's peak RSS (largest process) is at
 * least those 32 MiB, said as sampled. It said 0 B, beside the
 * live RSS of 32 MiB in the same report.
 */
static void test_live_job_peak_at_stop(void **state)
{
	char out[600], pid_s[32];
	const char *args[] = { "--pid", pid_s, "--json", "--duration", "2", "-o", out, NULL };
	unsigned long long truth;
	int ready[2];
	struct watcher w;
	json_t *recs, *job, *sampled;
	bool said = false;
	size_t i;
	pid_t p;

	harness__path(out, sizeof(out), "live-peak.out");
	assert_int_equal(pipe(ready), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		size_t n = 32 << 20;
		char *mem = malloc(n);

		close(ready[0]);
		if (!mem)
			_exit(98);
		memset(mem, 1, n);
		/* Kept where the compiler cannot see it unread: the pages stay written. */
		live_peak_mem = mem;
		truth = self_rss_bytes();
		if (write(ready[1], &truth, sizeof(truth)) != sizeof(truth))
			_exit(99);
		for (;;)
			pause();
	}
	harness__track(p, 0);
	close(ready[1]);
	assert_int_equal(read(ready[0], &truth, sizeof(truth)), sizeof(truth));
	close(ready[0]);
	snprintf(pid_s, sizeof(pid_s), "%d", p);
	watcher_start(&w, args);
	watcher_finish(&w);
	kill(p, SIGKILL);
	harness__wait_s(p, WAIT_S);
	recs = load_lines(out);
	snprintf(pid_s, sizeof(pid_s), "pid:%d", p);
	job = job_record(recs, pid_s);
	print_message("  the process read its RSS as %llu; the job's peak RSS %.0f (%s), "
		      "live %.0f\n",
		      truth, harness__num(job, "memory.peak_rss_bytes"),
		      str(json_object_get(job, "memory"), "peak_rss_source"),
		      harness__num(job, "live.rss_bytes"));
	assert_true(truth >= 32ULL << 20);
	assert_true(harness__num(job, "processes.alive") >= 1);
	/*
	 * At least the 32 MiB it wrote: the kernel's RSS counters are per-CPU
	 * batched, so a read of them may trail /proc's VmRSS by some pages.
	 */
	assert_true(harness__num(job, "memory.peak_rss_bytes") >= (double)(32ULL << 20));
	assert_string_equal(str(json_object_get(job, "memory"), "peak_rss_source"), "sampled");
	sampled = json_object_get(job, "sampled");
	for (i = 0; i < json_array_size(sampled); i++)
		said |= !strcmp(json_string_value(json_array_get(sampled, i)),
				"memory.peak_rss_bytes");
	assert_true(said);
	json_decref(recs);
}

/*
 * A v1 hierarchy (a v1-only or hybrid host): a cgroup @name (room for
 * @name_size) of the pids controller, made; its path in @path. The cgroup
 * helpers work under whichever root H.cg2root names: it points at the v1
 * mount until test_teardown.
 */
static void make_pids_v1_cgroup(char *name, size_t name_size, char *path, size_t path_size)
{
	char line[1024], dev[256], dir[256], type[64], opts[512];
	FILE *f;

	memcpy(cg2root_saved, H.cg2root, sizeof(cg2root_saved));
	H.cg2root[0] = '\0';
	f = fopen("/proc/self/mounts", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %255s %63s %511s", dev, dir, type, opts) == 4 &&
		    !strcmp(type, "cgroup") && strstr(opts, "pids") && !H.cg2root[0])
			snprintf(H.cg2root, sizeof(H.cg2root), "%s", dir);
	}
	if (f)
		fclose(f);
	if (!H.cg2root[0]) {
		if (getenv("CI"))
			fail_msg("no v1 pids hierarchy mounted: this project's machines have one");
		skip();
	}
	snprintf(name, name_size, "%s%d-v1", CG_PREFIX, getpid());
	harness__cgroup_make(name);
	harness__cgroup_path(path, path_size, name, NULL);
}

/*
 * watch -v says which subsystem id it reads a task's pids cgroup by, and
 * from where: it must be the kernel's own, which libbpf's parse of the
 * kernel's BTF gives here (not the loader's reader, not a number written
 * in this test), whatever the lines of /proc/cgroups.
 */
static void assert_pids_ssid_from_btf(const struct watcher *w)
{
	struct btf *b = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	char want[128];
	int id = -1;

	assert_non_null(b);
	t = btf__type_by_id(b, btf__find_by_name_kind(b, "cgroup_subsys_id", BTF_KIND_ENUM));
	e = t ? btf_enum(t) : NULL;
	for (int i = 0; e && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(b, e[i].name_off), "pids_cgrp_id"))
			id = e[i].val;
	btf__free(b);
	assert_true(id >= 0);
	snprintf(want, sizeof(want), "jobtrace: cgroup1:pids is subsystem %d (the kernel's BTF)\n",
		 id);
	if (!strstr(w->err, want))
		fail_msg("jobtrace watch -v did not say \"%s\"; it said: %s", want, w->err);
}

/*
 * Writes to @path this host's /proc/cgroups without its first controller
 * but pids, as 6.12 and later write it for a kernel built without that
 * controller's v1 files (kernel/cgroup/cgroup-v1.c,
 * proc_cgroupstats_show()): every line after it is one below its
 * subsystem id, and jobtrace reads it with JOBTRACE_PROC_CGROUPS.
 */
static void proc_cgroups_left_out(const char *path)
{
	char line[256];
	bool dropped = false;
	FILE *in = fopen("/proc/cgroups", "r"), *out = fopen(path, "w");

	assert_non_null(in);
	assert_non_null(out);
	while (fgets(line, sizeof(line), in)) {
		if (!dropped && line[0] != '#' && strncmp(line, "pids\t", 5)) {
			dropped = true;
			continue;
		}
		fputs(line, out);
	}
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_true(dropped);
	assert_int_equal(setenv("JOBTRACE_PROC_CGROUPS", path, 1), 0);
}

/*
 * --cgroup on a cgroup of the v1 pids controller follows it as on v2: the
 * churn root moves in, its children are started in it, and the report
 * names the hierarchy.
 */
static void test_watch_cgroup_v1(void **state)
{
	char out[600], truth[600], path[512], name[64], key[128];
	char *churn_argv[] = { H.churn, "--children", "400", "--truth", truth, NULL };
	const char *args[] = { "--cgroup", path, "--json", "-o", out, "-v", NULL };
	json_t *recs, *t, *job;
	struct watcher w;
	pid_t cp;
	int st;

	make_pids_v1_cgroup(name, sizeof(name), path, sizeof(path));
	harness__path(out, sizeof(out), "v1.out");
	harness__path(truth, sizeof(truth), "v1.truth");
	watcher_start(&w, args);
	assert_pids_ssid_from_btf(&w);
	cp = harness__cgroup_spawn(name, churn_argv, NULL, "-");
	st = harness__wait_s(cp, WAIT_S);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(watcher_finish(&w), 0);
	recs = load_lines(out);
	t = harness__json(truth);
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	job = job_record(recs, key);
	assert_string_equal(str(json_object_get(job, "job"), "hierarchy"), "cgroup1:pids");
	assert_int_equal(harness__num(job, "processes.moved_in"), 1);
	assert_int_equal(harness__num(job, "processes.started"), harness__num(t, "processes") - 1);
	assert_int_equal(harness__num(job, "processes.exited"), harness__num(t, "processes"));
	json_decref(t);
	json_decref(recs);
}

/*
 * The same where /proc/cgroups leaves a controller out before pids, as
 * since 6.12, and churn is in the cgroup before watch attaches: the attach
 * finds it by its cgroup in the pids hierarchy, task->cgroups->subsys[ssid],
 * and ssid taken from the line would be the controller before pids (the
 * job empty: nothing found, nothing started).
 */
static void test_watch_cgroup_v1_lines_left_out(void **state)
{
	char out[600], truth[600], cgroups[600], path[512], name[64], key[128];
	char *churn_argv[] = { H.churn, "--children", "400", "--delay-ms", "1500",
			       "--truth", truth, NULL };
	const char *args[] = { "--cgroup", path, "--json", "-o", out, "-v", NULL };
	unsigned long long spawned_ns;
	json_t *recs, *t, *job;
	struct watcher w;
	pid_t cp;
	int st;

	make_pids_v1_cgroup(name, sizeof(name), path, sizeof(path));
	harness__path(out, sizeof(out), "v1-left-out.out");
	harness__path(truth, sizeof(truth), "v1-left-out.truth");
	harness__path(cgroups, sizeof(cgroups), "v1-left-out.cgroups");
	spawned_ns = harness__mono_ns();
	cp = harness__cgroup_spawn(name, churn_argv, NULL, "-");
	proc_cgroups_left_out(cgroups);
	watcher_start(&w, args);
	unsetenv("JOBTRACE_PROC_CGROUPS");
	assert_pids_ssid_from_btf(&w);
	st = harness__wait_s(cp, WAIT_S);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(watcher_finish(&w), 0);
	recs = load_lines(out);
	t = harness__json(truth);
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	job = job_record(recs, key);
	assert_string_equal(str(json_object_get(job, "job"), "hierarchy"), "cgroup1:pids");
	/* churn itself, asleep in the cgroup, whenever the attach came. */
	assert_true(harness__num(job, "processes.existing_at_attach") >= 1);
	if (w.attached_ns < spawned_ns + 1500 * 1000000ULL) {
		/* Attached while churn slept: its children all started in the job. */
		assert_int_equal(harness__num(job, "processes.existing_at_attach"), 1);
		assert_int_equal(harness__num(job, "processes.started"),
				 harness__num(t, "processes") - 1);
	} else {
		print_message("  the attach took longer than churn's 1.5 s sleep\n");
	}
	assert_int_equal(harness__num(job, "processes.exited"), harness__num(t, "processes"));
	json_decref(t);
	json_decref(recs);
}

/*
 * Host mode grouped by the v1 pids hierarchy (-g cgroup1:pids) where
 * /proc/cgroups leaves a controller out before pids: a process forked in
 * the cgroup joins its job by task->cgroups->subsys[ssid], which from the
 * line would be another controller's cgroup (churn's children in another
 * job). The job's record is written once its last process is gone.
 */
static void test_watch_all_by_cgroup1_lines_left_out(void **state)
{
	char out[600], truth[600], cgroups[600], path[512], name[64], key[128];
	char *churn_argv[] = { H.churn, "--children", "400", "--truth", truth, NULL };
	const char *args[] = { "--all", "-g", "cgroup1:pids", "--json", "-o", out, "-v", NULL };
	unsigned long long deadline = harness__mono_ns() + WAIT_S * 1000000000ULL;
	json_t *recs, *t, *job;
	struct watcher w;
	char *buf = NULL;
	size_t len = 0;
	pid_t cp;
	int st;

	make_pids_v1_cgroup(name, sizeof(name), path, sizeof(path));
	harness__path(out, sizeof(out), "v1-all.out");
	harness__path(truth, sizeof(truth), "v1-all.truth");
	harness__path(cgroups, sizeof(cgroups), "v1-all.cgroups");
	proc_cgroups_left_out(cgroups);
	watcher_start(&w, args);
	unsetenv("JOBTRACE_PROC_CGROUPS");
	assert_pids_ssid_from_btf(&w);
	cp = harness__cgroup_spawn(name, churn_argv, NULL, "-");
	st = harness__wait_s(cp, WAIT_S);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(key, sizeof(key), "\"key\":\"cgroup:/%s\"", name);
	for (;;) {
		FILE *f = fopen(out, "r");
		bool found = f && getdelim(&buf, &len, '\0', f) > 0 && strstr(buf, key);

		if (f)
			fclose(f);
		if (found)
			break;
		if (harness__mono_ns() > deadline)
			fail_msg("host mode by cgroup1:pids never reported cgroup:/%s", name);
		harness__sleep_ms(100);
	}
	free(buf);
	assert_int_equal(kill(w.pid, SIGTERM), 0);
	assert_int_equal(watcher_finish(&w), 0);
	recs = load_lines(out);
	t = harness__json(truth);
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	job = job_record(recs, key);
	assert_string_equal(str(json_object_get(job, "job"), "hierarchy"), "cgroup1:pids");
	assert_int_equal(harness__num(job, "processes.moved_in"), 1);
	assert_int_equal(harness__num(job, "processes.started"), harness__num(t, "processes") - 1);
	assert_int_equal(harness__num(job, "processes.exited"), harness__num(t, "processes"));
	json_decref(t);
	json_decref(recs);
}

/*
 * Host mode on a busy host: one interval (and one host record) per
 * --interval, however often the ring wakes the collector up. A churn of
 * many one-process jobs' exits runs for most of the watch.
 */
static void test_watch_all_interval_count(void **state)
{
	char out[600];
	const char *args[] = { "--all", "--group-by", "tree", "--interval", "0.5", "--duration",
			       "2.5", "--json", "-o", out, NULL };
	char *churn_argv[] = { H.churn, "--children", "8000", "--concurrency", "4", NULL };
	struct watcher w;
	json_t *recs;
	size_t hosts;
	pid_t cp;
	int st;

	harness__path(out, sizeof(out), "count.out");
	watcher_start(&w, args);
	cp = harness__spawn(churn_argv, NULL, NULL);
	st = harness__wait_s(cp, WAIT_S);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(watcher_finish(&w), 0);
	recs = load_lines(out);
	hosts = count_type(recs, "host", NULL);
	print_message("  %zu host records in 2.5 s at 0.5 s\n", hosts);
	/*
	 * 2.5 s at 0.5 s: five at most, never one per batch of records (what
	 * is asked here). Four or five on a quiet host; a loaded one gave 2,
	 * its ticks late, so the floor asks only that the timer gave some.
	 */
	assert_true(hosts >= 1 && hosts <= 5);
	json_decref(recs);
}

/*
 * A job the collector first sees mid-interval (a cgroup made and filled
 * after the attach, by a process that burns CPU without ending, so no exit
 * record names it before a sample does): its first interval starts no later
 * than the job did, so no interval's CPU rate exceeds what the host's CPUs
 * can give, and the intervals still add up to its report.
 */
static void test_first_interval_rate(void **state)
{
	char name[64], out[600], key[300];
	const char *args[] = { "--all", "--group-by", "cgroup2", "--interval", "1", "--duration",
			       "4.5", "--json", "-o", out, NULL };
	char *burn[] = { H.churn, "--children", "1", "--burn-us", "1500000", NULL };
	double ncpus = (double)sysconf(_SC_NPROCESSORS_ONLN), spawned_s, first_start = 0;
	struct timespec rt;
	struct watcher w;
	json_t *recs, *r;
	size_t i, n = 0;
	int st;

	snprintf(name, sizeof(name), "%s%d-rate", CG_PREFIX, getpid());
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	harness__cgroup_make(name);
	harness__path(out, sizeof(out), "rate.out");
	watcher_start(&w, args);
	harness__sleep_ms(1300);
	clock_gettime(CLOCK_REALTIME, &rt);
	spawned_s = (double)rt.tv_sec + (double)rt.tv_nsec / 1e9;
	st = harness__wait_s(harness__cgroup_spawn(name, burn, NULL, "-"), WAIT_S);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(watcher_finish(&w), 0);
	harness__cgroup_remove(name);
	recs = load_lines(out);
	json_array_foreach(recs, i, r)
	{
		double rate;

		if (strcmp(str(r, "type"), "interval") || strcmp(str(r, "job"), key))
			continue;
		/* null: too short to give a rate (under 10 ms, collector.h), a job's last. */
		if (harness__is_null(r, "cpu.rate_pct")) {
			assert_true(harness__num(r, "interval_s") < 0.0105);
			rate = 0;
		} else {
			rate = harness__num(r, "cpu.rate_pct");
		}
		print_message("  interval %zu: %.3f s from %.3f, CPU %.0f%%\n", n,
			      harness__num(r, "interval_s"), harness__num(r, "start") - spawned_s,
			      rate);
		if (!n++)
			first_start = harness__num(r, "start");
		if (rate > 100.0 * ncpus * 1.02)
			fail_msg("interval %zu of %s: CPU %.0f%% on %.0f CPUs", n, key, rate, ncpus);
	}
	assert_true(n >= 2);
	/*
	 * The first interval starts where the kernel made the job (the burner
	 * moving into the cgroup, just after spawned_s), or where the last
	 * sample was, at worst: never where the collector first saw it.
	 */
	assert_true(first_start <= spawned_s + 0.25);
	assert_true(first_start >= spawned_s - 1.05);
	assert_intervals_add_up(recs, key, 0.5);
	json_decref(recs);
}

/*
 * Threaded work in a cgroup: jobtrace's CPU is the cgroup's; getrusage()
 * (churn's truth, a subreaper's tree) is shown beside them.
 */
static void test_threaded_cpu_vs_cgroup(void **state)
{
	char name[64], out[600], truth[3][600], path[512], key[300];
	const char *args[] = { "--cgroup", path, "--json", "-o", out, NULL };
	double rusage_ns = 0, usage, threads = 0, procs = 0;
	struct watcher w;
	json_t *recs, *job;
	pid_t pids[3];
	int st;

	snprintf(name, sizeof(name), "%s%d-threads", CG_PREFIX, getpid());
	harness__cgroup_make(name);
	harness__cgroup_path(path, sizeof(path), name, NULL);
	harness__path(out, sizeof(out), "threads.out");
	watcher_start(&w, args);
	for (int i = 0; i < 3; i++) {
		char *argv[] = { H.churn,	    "--children",	"50", "--threads",
				 "16",	    "--thread-burn-ms", "50", "--subreaper",
				 "--truth", truth[i],		NULL };

		snprintf(truth[i], sizeof(truth[i]), "%s/threads-%d.truth", H.tmpdir, i);
		unlink(truth[i]);
		pids[i] = harness__cgroup_spawn(name, argv, NULL, "-");
	}
	for (int i = 0; i < 3; i++) {
		json_t *t;

		st = harness__wait_s(pids[i], WAIT_S);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		t = harness__json(truth[i]);
		rusage_ns += harness__num(t, "cpu_ns");
		threads += harness__num(t, "threads");
		procs += harness__num(t, "processes");
		json_decref(t);
	}
	usage = harness__cgroup_usage_ns(name);
	harness__cgroup_remove(name);
	assert_int_equal(watcher_finish(&w), 0);

	recs = load_lines(out);
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	job = job_record(recs, key);
	assert_int_equal(harness__num(job, "threads.started"), threads);
	assert_int_equal(harness__num(job, "processes.exited"), procs);
	assert_int_equal(harness__num(job, "processes.moved_in"), 3);
	print_message("  getrusage (churn's truth): %.6f s, %+.3f%% from cpu.stat\n",
		      rusage_ns / 1e9, 100.0 * (rusage_ns - usage) / usage);
	assert_cpu_near("threaded churn vs cpu.stat", harness__num(job, "cpu.total_ns"), usage,
			0.5);
	assert_true(harness__num(job, "cpu.total_s") >= 3 * 16 * 0.05);
	json_decref(recs);
}

/* The user/system split, against getrusage()'s. */
static void test_user_system_split(void **state)
{
	char report[600], truth[600];
	char *argv[] = { H.jobtrace, "run",	  "--json",	"-o",	report,
			 "--",	   H.churn,	  "--children", "2000", "--burn-us",
			 "100",	   "--subreaper", "--truth",	truth,	NULL };
	json_t *r, *t;
	double total, slack;

	harness__path(report, sizeof(report), "split.json");
	harness__path(truth, sizeof(truth), "split.truth");
	assert_int_equal(harness__exit_code_s(argv, NULL, NULL, WAIT_S), 0);
	r = harness__json(report);
	t = harness__json(truth);
	total = harness__num(r, "cpu.total_s");
	slack = 0.02 * total + 0.010;
	print_message("  user %.6f s (getrusage %.6f), system %.6f s (getrusage %.6f)\n",
		      harness__num(r, "cpu.user_s"), harness__num(t, "user_ns") / 1e9,
		      harness__num(r, "cpu.system_s"), harness__num(t, "system_ns") / 1e9);
	assert_true(fabs(harness__num(r, "cpu.user_s") - harness__num(t, "user_ns") / 1e9) <=
		    slack);
	assert_true(fabs(harness__num(r, "cpu.system_s") - harness__num(t, "system_ns") / 1e9) <=
		    slack);
	json_decref(r);
	json_decref(t);
}


/* What a user may get wrong gets a clear refusal, before anything runs. */
static void test_cli_errors(void **state)
{
	char out[600], err[600], marker[600], script[700], pid_s[32];
	char *badout[] = { H.jobtrace, "run",  "-o", "/nonexistent/dir/r", "--", "/bin/sh",
			   "-c",     script, NULL };
	char *stdout_json[] = { H.jobtrace, "run", "--json", "-o", "-", "--", "/bin/true", NULL };
	char *nopid[] = { H.jobtrace, "watch", "--pid", pid_s, NULL };
	char *nothing[] = { H.jobtrace, "watch", NULL };
	char *bogus[] = { H.jobtrace, "watch", "--bogus", NULL };
	char *line = NULL;
	size_t cap = 0;
	json_error_t jerr;
	json_t *r;
	FILE *f;
	int pid;

	harness__path(out, sizeof(out), "cli.out");
	harness__path(err, sizeof(err), "cli.err");
	harness__path(marker, sizeof(marker), "marker");
	snprintf(script, sizeof(script), "touch '%s'", marker);

	/* A report that cannot be written: the job never runs. */
	assert_int_not_equal(harness__exit_code_s(badout, out, err, WAIT_S), 0);
	assert_true(harness__has(err, "/nonexistent/dir/r"));
	assert_int_equal(access(marker, F_OK), -1);

	/* -o -: the JSON report on standard output, one line. */
	assert_int_equal(harness__exit_code_s(stdout_json, out, err, WAIT_S), 0);
	f = fopen(out, "r");
	assert_non_null(f);
	assert_true(getline(&line, &cap, f) > 0);
	r = json_loads(line, 0, &jerr);
	if (!r)
		fail_msg("stdout is not JSON (%s): %.200s", jerr.text, line);
	assert_int_equal(harness__num(r, "processes.started"), 1);
	assert_int_equal(getline(&line, &cap, f), -1);
	fclose(f);
	free(line);
	json_decref(r);

	/* A pid that does not exist. */
	for (pid = 999999; kill(pid, 0) == 0 || errno != ESRCH; pid++)
		;
	snprintf(pid_s, sizeof(pid_s), "%d", pid);
	assert_int_equal(harness__exit_code_s(nopid, out, err, WAIT_S), 1);
	assert_true(harness__has(err, pid_s));

	assert_int_equal(harness__exit_code_s(nothing, out, err, WAIT_S), 2);
	assert_true(harness__has(err, "nothing to watch"));
	assert_int_equal(harness__exit_code_s(bogus, out, err, WAIT_S), 2);
	assert_true(harness__has(err, "--bogus"));
}

/* ---- watch's exit status ---- */

/*
 * `sh -c SCRIPT`, which waits for the file @go (made by the test once watch
 * is attached: a root that ended before the attach could not be watched),
 * then runs @then. Returns its pid.
 */
static pid_t spawn_after_go(const char *go, const char *then)
{
	static char script[2048];
	char *argv[] = { "/bin/sh", "-c", script, NULL };

	snprintf(script, sizeof(script), "while [ ! -e '%s' ]; do sleep 0.05; done; %s", go,
		 then);
	return harness__spawn(argv, NULL, NULL);
}

static void go(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	close(fd);
}

/* watch --pid ROOT exits with @then's status as a shell reports it. */
static void assert_watch_pid_status(const char *then, int want)
{
	char go_path[600], pid_s[32];
	const char *args[] = { "--pid", pid_s, "-o", "/dev/null", NULL };
	struct watcher w;
	pid_t sh;
	int got;

	harness__path(go_path, sizeof(go_path), "go");
	sh = spawn_after_go(go_path, then);
	snprintf(pid_s, sizeof(pid_s), "%d", sh);
	watcher_start(&w, args);
	go(go_path);
	harness__wait_s(sh, WAIT_S);
	got = watcher_finish(&w);
	if (got != want)
		fail_msg("watch --pid of `%s` exited %d, want %d; it said: %s", then, got, want,
			 w.err);
}

/* As run: a --pid job's status is its root's, 128 + N for a death by signal N. */
static void test_watch_exit_status_pid(void **state)
{
	assert_watch_pid_status("sleep 1; exit 7", 7);
	assert_watch_pid_status("kill -KILL $$", 128 + SIGKILL);
	/* The root's own 0 is the job's, whatever its children did (as run, as a shell). */
	assert_watch_pid_status("/bin/false; exit 0", 0);
}

/* Several jobs: the first failed one in command-line order gives the status. */
static void test_watch_exit_status_first_failed(void **state)
{
	char go_path[600], p[3][32];
	const char *args[] = { "--pid", p[0], "--pid", p[1], "--pid", p[2], "-o", "/dev/null",
			       NULL };
	static const char *const then[] = { "exit 0", "exit 5", "exit 9" };
	struct watcher w;
	pid_t sh[3];
	int got;

	harness__path(go_path, sizeof(go_path), "go");
	for (int i = 0; i < 3; i++) {
		sh[i] = spawn_after_go(go_path, then[i]);
		snprintf(p[i], sizeof(p[i]), "%d", sh[i]);
	}
	watcher_start(&w, args);
	go(go_path);
	for (int i = 0; i < 3; i++)
		harness__wait_s(sh[i], WAIT_S);
	got = watcher_finish(&w);
	if (got != 5)
		fail_msg("watch of jobs exiting 0, 5 and 9 exited %d, want 5; it said: %s", got,
			 w.err);
}

/*
 * A --cgroup job has no root: 1 when any of its processes failed (churn's
 * --fail children exit 3, its --kill ones die of SIGKILL), else 0.
 */
static void test_watch_exit_status_cgroup(void **state)
{
	char path[512];
	const char *args[] = { "--cgroup", path, "-o", "/dev/null", NULL };
	char *failing[] = { H.churn, "--children", "50", "--fail", "3", "--kill", "2", NULL };
	char *clean[] = { H.churn, "--children", "50", NULL };
	char *const *runs[] = { failing, clean };
	struct watcher w;
	int st, got;

	for (int i = 0; i < 2; i++) {
		harness__cgroup_make(cg_names[0]);
		harness__cgroup_path(path, sizeof(path), cg_names[0], NULL);
		watcher_start(&w, args);
		st = harness__wait_s(harness__cgroup_spawn(cg_names[0], runs[i], NULL, "-"),
				     WAIT_S);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		harness__cgroup_remove(cg_names[0]);
		got = watcher_finish(&w);
		if (got != (i == 0 ? 1 : 0))
			fail_msg("watch --cgroup of a churn %s failures exited %d; it said: %s",
				 i == 0 ? "with" : "without", got, w.err);
	}
}

/*
 * Stopped by a signal while its root still runs: no root status yet, so the
 * job's is whether a process failed so far (here /bin/false did): 1.
 */
static void test_watch_exit_status_interrupted(void **state)
{
	char go_path[600], done[600], then[700], pid_s[32];
	const char *args[] = { "--pid", pid_s, "-o", "/dev/null", NULL };
	struct watcher w;
	pid_t sh;
	int got;

	harness__path(go_path, sizeof(go_path), "go");
	harness__path(done, sizeof(done), "failed");
	snprintf(then, sizeof(then), "/bin/false; touch '%s'; sleep 60", done);
	sh = spawn_after_go(go_path, then);
	snprintf(pid_s, sizeof(pid_s), "%d", sh);
	watcher_start(&w, args);
	go(go_path);
	while (access(done, F_OK))
		harness__sleep_ms(20);
	assert_int_equal(kill(w.pid, SIGINT), 0);
	got = watcher_finish(&w);
	kill(sh, SIGKILL);
	harness__wait_s(sh, WAIT_S);
	if (got != 1)
		fail_msg("watch stopped after a failure exited %d, want 1; it said: %s", got,
			 w.err);
}

/* Cgroups of an earlier run of this file that failed: their runner is gone. */
static void remove_leftover_cgroups(void)
{
	DIR *d = opendir(harness__cgroup2_root());
	struct dirent *de;
	int pid;

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, CG_PREFIX, strlen(CG_PREFIX)) ||
		    sscanf(de->d_name + strlen(CG_PREFIX), "%d-", &pid) != 1)
			continue;
		if (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		harness__cgroup_remove(de->d_name);
	}
	if (d)
		closedir(d);
}

static int setup(void **state)
{
	FILE *f;

	assert_int_equal(harness__setup("watch"), 0);
	f = fopen("/proc/sys/kernel/pid_max", "r");
	if (!f || fscanf(f, "%ld", &pid_max) != 1)
		pid_max = 1L << 22;
	if (f)
		fclose(f);

	/* cgroup2: /sys/fs/cgroup on a unified host, .../unified on a hybrid one. */
	if (!harness__cgroup2_root()) {
		fprintf(stderr,
			"FAIL: no cgroup2 filesystem is mounted: the watch tests need one\n");
		return -1;
	}

	for (int i = 0; i < NCG; i++)
		snprintf(cg_names[i], sizeof(cg_names[i]), "%s%d-%c", CG_PREFIX, getpid(), 'a' + i);
	remove_leftover_cgroups();

	/* A kernel test that cannot run is a failure, never a skip. */
	return harness__require_bpf();
}

/* After each test: what a failed one left running is killed, its cgroups removed. */
static int test_teardown(void **state)
{
	char name[64];

	harness__kill_running();
	unsetenv("JOBTRACE_PROC_CGROUPS");
	for (int i = 0; i < NCG; i++)
		harness__cgroup_remove(cg_names[i]);
	snprintf(name, sizeof(name), "%s%d-threads", CG_PREFIX, getpid());
	harness__cgroup_remove(name);
	/* The v1 test points the helpers at its hierarchy: its cgroup, then back. */
	if (cg2root_saved[0]) {
		snprintf(name, sizeof(name), "%s%d-v1", CG_PREFIX, getpid());
		harness__cgroup_remove(name);
		memcpy(H.cg2root, cg2root_saved, sizeof(H.cg2root));
		cg2root_saved[0] = '\0';
	}
	return 0;
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_watch_pid_attach_mid_churn, test_teardown),
		cmocka_unit_test_teardown(test_run_events_statuses, test_teardown),
		cmocka_unit_test_teardown(test_watch_cgroups, test_teardown),
		cmocka_unit_test_teardown(test_watch_all_by_cgroup2, test_teardown),
		cmocka_unit_test_teardown(test_host_intervals_end_with_job, test_teardown),
		cmocka_unit_test_teardown(test_run_intervals_add_up, test_teardown),
		cmocka_unit_test_teardown(test_run_rate_within_tasks, test_teardown),
		cmocka_unit_test_teardown(test_watch_intervals_add_up, test_teardown),
		cmocka_unit_test_teardown(test_watch_cgroup_v1, test_teardown),
		cmocka_unit_test_teardown(test_watch_cgroup_v1_lines_left_out, test_teardown),
		cmocka_unit_test_teardown(test_watch_all_by_cgroup1_lines_left_out, test_teardown),
		cmocka_unit_test_teardown(test_watch_all_interval_count, test_teardown),
		cmocka_unit_test_teardown(test_first_interval_rate, test_teardown),
		cmocka_unit_test_teardown(test_attach_io_excludes_before, test_teardown),
		cmocka_unit_test_teardown(test_live_job_io_at_stop, test_teardown),
		cmocka_unit_test_teardown(test_live_job_peak_at_stop, test_teardown),
		cmocka_unit_test_teardown(test_host_job_wall_is_kernels, test_teardown),
		cmocka_unit_test_teardown(test_stop_reports_jobs_made_since_sample, test_teardown),
		cmocka_unit_test_teardown(test_interval_io_while_running, test_teardown),
		cmocka_unit_test_teardown(test_threaded_cpu_vs_cgroup, test_teardown),
		cmocka_unit_test_teardown(test_user_system_split, test_teardown),
		cmocka_unit_test_teardown(test_cli_errors, test_teardown),
		cmocka_unit_test_teardown(test_watch_exit_status_pid, test_teardown),
		cmocka_unit_test_teardown(test_watch_exit_status_first_failed, test_teardown),
		cmocka_unit_test_teardown(test_watch_exit_status_cgroup, test_teardown),
		cmocka_unit_test_teardown(test_watch_exit_status_interrupted, test_teardown),
	};

	/* JT_TEST=PATTERN runs the matching tests only, to rerun one that failed. */
	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
