// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel-side limits in host mode: a job map too small for the host's jobs
 * and a ring too small for its exits are counted and reported, and the
 * collector keeps going. Loads the real programs; under CI=true a machine
 * without BPF fails instead of skipping.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "testutil.h"
#include "harness.h"

static char out_path[300]; /* every report of the tests, under the harness's tmpdir */

/* Runs @argv to its end, its output to /dev/null; its wait status. */
static int run_quiet(char *const argv[])
{
	return harness__wait(harness__spawn(argv, NULL, NULL));
}

/*
 * Starts a collector @argv whose report goes to -o, its messages to
 * /dev/null: a busy host's warnings are not what these tests read.
 */
static pid_t start_quiet(char *const argv[])
{
	return harness__spawn(argv, NULL, NULL);
}

/*
 * Counts the "job" lines; *max is the largest @field (a dotted path) among
 * them, and *best (when asked) that line.
 */
static size_t job_lines(const char *path, const char *field, double *max, json_t **best)
{
	json_t *jobs = harness__lines(path, "job"), *r;
	size_t i;

	*max = 0;
	json_array_foreach(jobs, i, r) {
		double v = harness__num(r, field);

		if (v > *max || (best && !*best)) {
			*max = v;
			if (best) {
				json_decref(*best);
				*best = json_incref(r);
			}
		}
	}
	i = json_array_size(jobs);
	json_decref(jobs);
	return i;
}

/*
 * --max-jobs 2, grouped by tree: the test makes itself a subreaper and
 * starts four sleepers, each a tree of its own (a child of a subreaper
 * starts one), so the host has more trees than that. The jobs that fit are
 * reported; the ones that did not are counted.
 */
static void test_jobs_map_full(void **state)
{
	char *argv[] = { H.jobtrace, "watch", "--all", "--group-by", "tree", "--max-jobs", "2",
			 "--duration", "1", "--json", "-o", out_path, NULL };
	pid_t sleepers[4];
	double full;
	int st;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	for (size_t i = 0; i < 4; i++) {
		sleepers[i] = fork();
		assert_true(sleepers[i] >= 0);
		if (sleepers[i] == 0) {
			pause();
			_exit(0);
		}
	}
	st = run_quiet(argv);
	for (size_t i = 0; i < 4; i++) {
		kill(sleepers[i], SIGKILL);
		waitpid(sleepers[i], NULL, 0);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(job_lines(out_path, "limits.jobs_map_full", &full, NULL) >= 1);
	assert_true(full > 0);
}

/*
 * A 4 KiB ring under a churn of 3,000 exits in host mode: records are lost,
 * counted, and the churn's job's totals stay exact.
 */
static void test_ring_full_in_host_mode(void **state)
{
	char *argv[] = { H.jobtrace, "watch", "--all", "--group-by", "tree", "--ring-kb", "4",
			 "--json", "-o", out_path, NULL };
	char *wl[] = { H.churn, "--children", "3000", NULL };
	json_t *job = NULL;
	double lost;
	pid_t w;
	int st;

	w = start_quiet(argv);
	sleep(1); /* loaded and attached: a generous wait, not a measurement */
	/* SIGSTOP the collector so the ring overflows while churn runs. */
	assert_int_equal(kill(w, SIGSTOP), 0);
	st = run_quiet(wl);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(kill(w, SIGCONT), 0);
	sleep(2); /* the churn's job ends at the next check */
	assert_int_equal(kill(w, SIGTERM), 0);
	st = harness__wait(w);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(job_lines(out_path, "events.lost", &lost, &job) >= 1);
	print_message("  lost %.0f records with a 4 KiB ring\n", lost);
	assert_true(lost > 1000);
	/* Totals live in the kernel: the job that lost them still counts every churn child. */
	assert_true(json_number_value(json_object_get(json_object_get(job, "processes"),
						      "started")) >= 3000);
	assert_true(json_is_false(json_object_get(json_object_get(job, "events"), "complete")));
	json_decref(job);
}

static bool incomplete_for(json_t *r, const char *why)
{
	json_t *v;
	size_t i;

	if (!json_is_false(json_object_get(r, "complete")))
		return false;
	json_array_foreach(json_object_get(r, "incomplete"), i, v)
		if (!strcmp(json_string_value(v), why))
			return true;
	return false;
}

#define SLEEPERS "for i in $(seq 100); do sleep 1 & done; wait"

/*
 * run, --max-procs 64, a shell with 100 sleepers alive at once: the ones
 * that did not fit are counted, every process still counts (101 started,
 * all exited, none left alive), the report says incomplete and why.
 */
static void test_run_procs_map_full(void **state)
{
	char *argv[] = { H.jobtrace, "run", "--max-procs", "64", "--json", "-o", out_path, "--",
			 "/bin/sh", "-c", SLEEPERS, NULL };
	json_t *r;
	int st = run_quiet(argv);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	r = harness__json(out_path);
	print_message("  run: %.0f did not fit\n", harness__num(r, "limits.procs_map_full"));
	assert_true(harness__num(r, "limits.procs_map_full") >= 100 + 1 - 64);
	assert_int_equal(harness__num(r, "processes.started"), 101 + 1); /* sh, seq, 100 sleeps */
	assert_int_equal(harness__num(r, "processes.exited"), 102);
	assert_int_equal(harness__num(r, "processes.alive"), 0);
	assert_true(incomplete_for(r, "procs_map_full"));
	json_decref(r);
}

/* The same under watch --pid: the watched shell's job says the same. */
static void test_watch_pid_procs_map_full(void **state)
{
	char pid_arg[16];
	char *argv[] = { H.jobtrace, "watch", "--pid", pid_arg, "--max-procs", "64", "--json", "-o",
			 out_path, NULL };
	double full;
	json_t *job = NULL;
	pid_t sh, w;
	int st;

	sh = fork();
	assert_true(sh >= 0);
	if (sh == 0) {
		sleep(1); /* attached before the sleepers start */
		execl("/bin/sh", "sh", "-c", SLEEPERS, NULL);
		_exit(99);
	}
	snprintf(pid_arg, sizeof(pid_arg), "%d", sh);
	w = start_quiet(argv);
	assert_int_equal(waitpid(sh, &st, 0), sh);
	st = harness__wait(w); /* its one job ended: watch ends */
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(job_lines(out_path, "limits.procs_map_full", &full, &job), 1);
	assert_true(full >= 100 + 1 - 64);
	assert_int_equal(json_number_value(json_object_get(json_object_get(job, "processes"),
							   "alive")), 0);
	assert_true(incomplete_for(job, "procs_map_full"));
	json_decref(job);
}

/* Host mode with --max-procs 64: the host alone has more; it keeps going and says so. */
static void test_host_procs_map_full(void **state)
{
	char *argv[] = { H.jobtrace, "watch", "--all", "--max-procs", "64", "--duration", "2",
			 "--json", "-o", out_path, NULL };
	char *wl[] = { H.churn, "--children", "300", NULL };
	double full;
	pid_t w;
	int st;

	w = start_quiet(argv);
	sleep(1);
	st = run_quiet(wl);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = harness__wait(w);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(job_lines(out_path, "limits.procs_map_full", &full, NULL) >= 1);
	print_message("  host: %.0f did not fit in one job\n", full);
	assert_true(full > 0);
}

/*
 * run with a 4 KiB ring, the collector stopped while its command churns
 * 2,000 children: exit records are lost and counted, the totals stay exact
 * (they live in the kernel), the report is marked incomplete. The command
 * waits 500 ms before its first fork, and run is stopped once it has
 * started it: with run's start now under 50 ms, a stop at a fixed 300 ms
 * came after a quick churn had ended (0 lost, a fresh-clone CI).
 */
static void test_run_ring_full(void **state)
{
	char *argv[] = { H.jobtrace, "run", "--ring-kb", "4", "--json", "-o", out_path, "--",
			 H.churn, "--delay-ms", "500", "--children", "2000", NULL };
	char children[64], buf[256], comm[64], name[32];
	bool started = false;
	json_t *r;
	pid_t w;
	int st;

	w = start_quiet(argv);
	/*
	 * Stopped once its command has exec'd: run forks others too (briefly),
	 * and forked is not yet started (run lets its command exec once it
	 * is registered: a run stopped before that holds the churn back with
	 * it, 0 records lost once in two runs here). The churn then waits
	 * 500 ms before its first fork.
	 */
	snprintf(children, sizeof(children), "/proc/%d/task/%d/children", w, w);
	for (__u64 dl = harness__mono_ns() + HARNESS_WAIT_S * 1000000000ULL; !started;) {
		FILE *f = fopen(children, "r");
		char *tok, *save;

		if (!f || !fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		if (f)
			fclose(f);
		for (tok = strtok_r(buf, " \n", &save); tok && !started;
		     tok = strtok_r(NULL, " \n", &save)) {
			snprintf(comm, sizeof(comm), "/proc/%s/comm", tok);
			f = fopen(comm, "r");
			started = f && fgets(name, sizeof(name), f) && !strcmp(name, "churn\n");
			if (f)
				fclose(f);
		}
		if (harness__mono_ns() > dl)
			fail_msg("run never started its command");
		harness__sleep_ms(1);
	}
	assert_int_equal(kill(w, SIGSTOP), 0);
	sleep(2);
	assert_int_equal(kill(w, SIGCONT), 0);
	st = harness__wait(w);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	r = harness__json(out_path);
	print_message("  run: %.0f exit records lost\n", harness__num(r, "events.lost"));
	assert_true(harness__num(r, "events.lost") > 0);
	assert_int_equal(harness__num(r, "processes.started"), 2001);
	assert_int_equal(harness__num(r, "processes.exited"), 2001);
	assert_int_equal(harness__num(r, "processes.alive"), 0);
	assert_true(incomplete_for(r, "events_lost"));
	json_decref(r);
}

/* The "job" line of @key in out_path, or NULL. */
static json_t *job_line_of(const char *key)
{
	char line[1 << 16];
	json_t *found = NULL;
	FILE *f = fopen(out_path, "r");

	while (f && !found && fgets(line, sizeof(line), f)) {
		json_t *r = json_loads(line, 0, NULL);
		json_t *j = json_object_get(r, "job");

		if (r && !strcmp(json_string_value(json_object_get(r, "type")), "job") &&
		    json_is_string(json_object_get(j, "key")) &&
		    !strcmp(json_string_value(json_object_get(j, "key")), key))
			found = json_incref(r);
		json_decref(r);
	}
	if (f)
		fclose(f);
	return found;
}

static json_t *wait_job_line(const char *key, int limit_s)
{
	json_t *r;

	for (int i = 0; i < limit_s * 10; i++) {
		r = job_line_of(key);
		if (r)
			return r;
		harness__sleep_ms(100);
	}
	fail_msg("no job line for %s within %d s", key, limit_s);
	return NULL;
}

/*
 * Starts watch @argv and waits for an interval line of @key: attached, and
 * the job has its slot. Returns its pid, or 0 (watch killed) when another
 * job took the slot.
 */
static pid_t watch_holding(char *const argv[], const char *key)
{
	pid_t w = start_quiet(argv);

	for (int i = 0; i < 100; i++) {
		char line[1 << 16];
		FILE *f = fopen(out_path, "r");
		bool seen = false;

		harness__sleep_ms(100);
		while (f && fgets(line, sizeof(line), f))
			seen |= strstr(line, "{\"type\":\"interval\",") && strstr(line, key);
		if (f)
			fclose(f);
		if (seen)
			return w;
	}
	print_message("  no interval line for %s: another job took its slot; again\n", key);
	kill(w, SIGKILL);
	harness__wait(w);
	return 0;
}

/* What test_job_made_late_is_incomplete leaves when an assertion stops it. */
static struct {
	pid_t holder;
} late;
static char cga[512], cgb[512];

static int late_teardown(void **state)
{
	if (late.holder) {
		kill(late.holder, SIGKILL);
		waitpid(late.holder, NULL, 0);
	}
	harness__kill_running(); /* the watch */
	rmdir(cga);
	rmdir(cgb);
	return 0;
}

#define LOST_CHILDREN 200
#define KEPT_CHILDREN 50

/*
 * --max-jobs 2, grouped by cgroup2, where every other process of the host
 * sits in the root cgroup: the root's job and the test's cgroup A fill the
 * map. Cgroup B churns LOST_CHILDREN children with no room for its job;
 * then A empties, its job ends and frees its slot, and B churns
 * KEPT_CHILDREN more, which make B's job. B's report counts only those: it
 * must say it is incomplete (jobs_map_full) and how many tasks it lost,
 * while A's report, which lost nothing, stays complete.
 */
static void test_job_made_late_is_incomplete(void **state)
{
	/* --duration: a failed assertion must not leave it running. */
	char *argv[] = { H.jobtrace, "watch", "--all", "--group-by", "cgroup2", "--max-jobs", "2",
			 "-i", "0.2", "--duration", "90", "--json", "-o", out_path, NULL };
	char name_a[64], name_b[64], procs_a[600], procs_b[600];
	char key_a[600], key_b[600], n1[16], n2[16];
	int go[2], ready[2], st;
	pid_t holder, worker, w;
	json_t *a, *b;

	late.holder = 0;
	char c;

	cga[0] = cgb[0] = '\0';
	snprintf(name_a, sizeof(name_a), "jobtrace-limits-%d-a", getpid());
	snprintf(name_b, sizeof(name_b), "jobtrace-limits-%d-b", getpid());
	snprintf(key_a, sizeof(key_a), "cgroup:/%s", name_a);
	snprintf(key_b, sizeof(key_b), "cgroup:/%s", name_b);
	snprintf(n1, sizeof(n1), "%d", LOST_CHILDREN);
	snprintf(n2, sizeof(n2), "%d", KEPT_CHILDREN);
	harness__cgroup_make(name_a);
	harness__cgroup_path(cga, sizeof(cga), name_a, NULL);
	harness__cgroup_make(name_b);
	harness__cgroup_path(cgb, sizeof(cgb), name_b, NULL);
	harness__cgroup_path(procs_a, sizeof(procs_a), name_a, "cgroup.procs");
	harness__cgroup_path(procs_b, sizeof(procs_b), name_b, "cgroup.procs");

	/* A's one process, there before the attach: A holds the second slot. */
	holder = harness__fork_paused(harness__join_cgroup, procs_a);
	late.holder = holder;
	/* Another test's cgroup2 cgroup may take the slot at the attach: try again then. */
	for (int tries = 0; !(w = watch_holding(argv, key_a)); tries++)
		if (tries == 2)
			fail_msg("%s never had a slot in the job map", key_a);

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	worker = fork();
	assert_true(worker >= 0);
	if (worker == 0) {
		char *first[] = { H.churn, "--children", n1, NULL };
		char *then[] = { H.churn, "--children", n2, NULL };

		if (harness__join_cgroup(procs_b))
			_exit(4);
		if (WEXITSTATUS(run_quiet(first)) != 0)
			_exit(1);
		/* Wait without forking: nothing of B is made while the test frees A's slot. */
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(WEXITSTATUS(run_quiet(then)) != 0 ? 3 : 0);
	}
	/* The worker's ends only: a worker that failed is an EOF here, not a hang. */
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) != 1) {
		waitpid(worker, &st, 0);
		fail_msg("the worker in %s failed (exit %d)", cgb, WEXITSTATUS(st));
	}
	/* A empties: its job ends and its slot is freed. */
	kill(holder, SIGKILL);
	assert_int_equal(waitpid(holder, &st, 0), holder);
	late.holder = 0;
	a = wait_job_line(key_a, 20);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(worker, &st, 0), worker);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	b = wait_job_line(key_b, 20);
	kill(w, SIGTERM);
	st = harness__wait(w);

	/* Today's bug: B's job said complete while it saw a fifth of its processes. */
	assert_true(incomplete_for(b, "jobs_map_full"));
	print_message("  %s: %.0f started, %.0f lost to the full job map\n", key_b,
		      harness__num(b, "processes.started"),
		      harness__num(b, "limits.lost_to_full_job_map"));
	/* The second churn, root and children, is all B's job saw. */
	assert_int_equal(harness__num(b, "processes.started"), KEPT_CHILDREN + 1);
	/* The worker's move, the first churn's root and its children. */
	assert_true(harness__num(b, "limits.lost_to_full_job_map") >= LOST_CHILDREN + 1);
	/* A lost nothing: the flag is per job, not a blanket one. */
	assert_true(json_is_true(json_object_get(a, "complete")));
	assert_int_equal(harness__num(a, "limits.lost_to_full_job_map"), 0);
	close(ready[0]);
	close(go[1]);
	json_decref(a);
	json_decref(b);
}

static int setup(void **state)
{
	if (harness__setup("limits"))
		return -1;
	snprintf(out_path, sizeof(out_path), "%s/report", H.tmpdir);
	/* A kernel test that cannot run is a failure, never a skip. */
	if (geteuid() != 0) {
		fprintf(stderr, "FAIL: test_limits: needs root to load BPF\n");
		return -1;
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
		cmocka_unit_test(test_jobs_map_full),
		cmocka_unit_test(test_ring_full_in_host_mode),
		cmocka_unit_test(test_run_procs_map_full),
		cmocka_unit_test(test_watch_pid_procs_map_full),
		cmocka_unit_test(test_host_procs_map_full),
		cmocka_unit_test(test_run_ring_full),
		cmocka_unit_test_teardown(test_job_made_late_is_incomplete, late_teardown),
	};

	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
