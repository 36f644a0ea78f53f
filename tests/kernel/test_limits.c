// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel-side limits in host mode: a job map too small for the host's jobs
 * and a ring too small for its exits are counted and reported, and the
 * collector keeps going. Loads the real programs; under CI=true a machine
 * without BPF fails instead of skipping.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "testutil.h"

static char jobtrace[512];
static char churn[512];
static char out_path[] = "/tmp/jobtrace-limits-XXXXXX";

static int run_quiet(char *const argv[])
{
	int status = -1;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(99);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/*
 * Counts the "job" lines; *max is the largest obj.key among them, and
 * *best (when asked) that line.
 */
static size_t job_lines(const char *path, const char *obj, const char *key, double *max,
			json_t **best)
{
	char line[1 << 16];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	*max = 0;
	while (fgets(line, sizeof(line), f)) {
		json_error_t err;
		json_t *r = json_loads(line, 0, &err), *v;

		if (!r)
			fail_msg("not JSON: %s (%s)", line, err.text);
		if (!strcmp(json_string_value(json_object_get(r, "type")), "job")) {
			n++;
			v = json_object_get(json_object_get(r, obj), key);
			assert_true(json_is_number(v));
			if (json_number_value(v) > *max || (best && !*best)) {
				*max = json_number_value(v);
				if (best) {
					json_decref(*best);
					*best = json_incref(r);
				}
			}
		}
		json_decref(r);
	}
	fclose(f);
	return n;
}

/*
 * --max-jobs 2, grouped by tree: the test makes itself a subreaper and
 * starts four sleepers, each a tree of its own (a child of a subreaper
 * starts one), so the host has more trees than that. The jobs that fit are
 * reported; the ones that did not are counted.
 */
static void test_jobs_map_full(void **state)
{
	char *argv[] = { jobtrace, "watch", "--all", "--group-by", "tree", "--max-jobs", "2",
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
	assert_true(job_lines(out_path, "limits", "jobs_map_full", &full, NULL) >= 1);
	assert_true(full > 0);
}

/*
 * A 4 KiB ring under a churn of 3,000 exits in host mode: records are lost,
 * counted, and the churn's job's totals stay exact.
 */
static void test_ring_full_in_host_mode(void **state)
{
	char *argv[] = { jobtrace, "watch", "--all", "--group-by", "tree", "--ring-kb", "4",
			 "--json", "-o", out_path, NULL };
	char *wl[] = { churn, "--children", "3000", NULL };
	json_t *job = NULL;
	double lost;
	pid_t w;
	int st;

	w = fork();
	assert_true(w >= 0);
	if (w == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(99);
	}
	sleep(1); /* loaded and attached: a generous wait, not a measurement */
	/* SIGSTOP the collector so the ring overflows while churn runs. */
	assert_int_equal(kill(w, SIGSTOP), 0);
	st = run_quiet(wl);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(kill(w, SIGCONT), 0);
	sleep(2); /* the churn's job ends at the next check */
	assert_int_equal(kill(w, SIGTERM), 0);
	assert_int_equal(waitpid(w, &st, 0), w);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(job_lines(out_path, "events", "lost", &lost, &job) >= 1);
	print_message("  lost %.0f records with a 4 KiB ring\n", lost);
	assert_true(lost > 1000);
	/* Totals live in the kernel: the job that lost them still counts every churn child. */
	assert_true(json_number_value(json_object_get(json_object_get(job, "processes"),
						      "started")) >= 3000);
	assert_true(json_is_false(json_object_get(json_object_get(job, "events"), "complete")));
	json_decref(job);
}

/* The one report of run --json at out_path. */
static json_t *run_report(void)
{
	json_error_t err;
	json_t *r = json_load_file(out_path, 0, &err);

	if (!r)
		fail_msg("%s: not JSON (%s)", out_path, err.text);
	return r;
}

static double field(json_t *r, const char *obj, const char *key)
{
	json_t *v = json_object_get(json_object_get(r, obj), key);

	if (!json_is_number(v))
		fail_msg("%s.%s is not a number", obj, key);
	return json_number_value(v);
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
	char *argv[] = { jobtrace, "run", "--max-procs", "64", "--json", "-o", out_path, "--",
			 "/bin/sh", "-c", SLEEPERS, NULL };
	json_t *r;
	int st = run_quiet(argv);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	r = run_report();
	print_message("  run: %.0f did not fit\n", field(r, "limits", "procs_map_full"));
	assert_true(field(r, "limits", "procs_map_full") >= 100 + 1 - 64);
	assert_int_equal(field(r, "processes", "started"), 101 + 1); /* sh, seq, 100 sleeps */
	assert_int_equal(field(r, "processes", "exited"), 102);
	assert_int_equal(field(r, "processes", "alive"), 0);
	assert_true(incomplete_for(r, "procs_map_full"));
	json_decref(r);
}

/* The same under watch --pid: the watched shell's job says the same. */
static void test_watch_pid_procs_map_full(void **state)
{
	char pid_arg[16];
	char *argv[] = { jobtrace, "watch", "--pid", pid_arg, "--max-procs", "64", "--json", "-o",
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
	w = fork();
	assert_true(w >= 0);
	if (w == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(99);
	}
	assert_int_equal(waitpid(sh, &st, 0), sh);
	assert_int_equal(waitpid(w, &st, 0), w); /* its one job ended: watch ends */
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(job_lines(out_path, "limits", "procs_map_full", &full, &job), 1);
	assert_true(full >= 100 + 1 - 64);
	assert_int_equal(json_number_value(json_object_get(json_object_get(job, "processes"),
							   "alive")), 0);
	assert_true(incomplete_for(job, "procs_map_full"));
	json_decref(job);
}

/* Host mode with --max-procs 64: the host alone has more; it keeps going and says so. */
static void test_host_procs_map_full(void **state)
{
	char *argv[] = { jobtrace, "watch", "--all", "--max-procs", "64", "--duration", "2",
			 "--json", "-o", out_path, NULL };
	char *wl[] = { churn, "--children", "300", NULL };
	double full;
	pid_t w;
	int st;

	w = fork();
	assert_true(w >= 0);
	if (w == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(99);
	}
	sleep(1);
	st = run_quiet(wl);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(waitpid(w, &st, 0), w);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(job_lines(out_path, "limits", "procs_map_full", &full, NULL) >= 1);
	print_message("  host: %.0f did not fit in one job\n", full);
	assert_true(full > 0);
}

/*
 * run with a 4 KiB ring, the collector stopped while its command churns
 * 2,000 children: exit records are lost and counted, the totals stay exact
 * (they live in the kernel), the report is marked incomplete.
 */
static void test_run_ring_full(void **state)
{
	char *argv[] = { jobtrace, "run", "--ring-kb", "4", "--json", "-o", out_path, "--", churn,
			 "--children", "2000", NULL };
	json_t *r;
	pid_t w;
	int st;

	w = fork();
	assert_true(w >= 0);
	if (w == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(99);
	}
	usleep(300 * 1000);
	assert_int_equal(kill(w, SIGSTOP), 0);
	sleep(2);
	assert_int_equal(kill(w, SIGCONT), 0);
	assert_int_equal(waitpid(w, &st, 0), w);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	r = run_report();
	print_message("  run: %.0f exit records lost\n", field(r, "events", "lost"));
	assert_true(field(r, "events", "lost") > 0);
	assert_int_equal(field(r, "processes", "started"), 2001);
	assert_int_equal(field(r, "processes", "exited"), 2001);
	assert_int_equal(field(r, "processes", "alive"), 0);
	assert_true(incomplete_for(r, "events_lost"));
	json_decref(r);
}

/* Where cgroup2 is mounted: /sys/fs/cgroup, or .../unified on a hybrid host. */
static bool cgroup2_root(char *buf, size_t size)
{
	char line[1024], dev[256], dir[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %255s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(buf, size, "%s", dir);
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static void cg_enter(const char *cg, pid_t pid)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", pid);
	assert_int_equal(fclose(f), 0);
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
		usleep(100 * 1000);
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
	pid_t w = fork();

	assert_true(w >= 0);
	if (w == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(99);
	}
	for (int i = 0; i < 100; i++) {
		char line[1 << 16];
		FILE *f = fopen(out_path, "r");
		bool seen = false;

		usleep(100 * 1000);
		while (f && fgets(line, sizeof(line), f))
			seen |= strstr(line, "{\"type\":\"interval\",") && strstr(line, key);
		if (f)
			fclose(f);
		if (seen)
			return w;
	}
	print_message("  no interval line for %s: another job took its slot; again\n", key);
	kill(w, SIGKILL);
	waitpid(w, NULL, 0);
	return 0;
}

/* What test_job_made_late_is_incomplete leaves when an assertion stops it. */
static struct {
	pid_t holder, watch;
} late;
static char cga[512], cgb[512];

static int late_teardown(void **state)
{
	if (late.holder) {
		kill(late.holder, SIGKILL);
		waitpid(late.holder, NULL, 0);
	}
	if (late.watch) {
		kill(late.watch, SIGKILL);
		waitpid(late.watch, NULL, 0);
	}
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
	char *argv[] = { jobtrace, "watch", "--all", "--group-by", "cgroup2", "--max-jobs", "2",
			 "-i", "0.2", "--duration", "90", "--json", "-o", out_path, NULL };
	char root[256], key_a[600], key_b[600], n1[16], n2[16];
	int go[2], ready[2], st;
	pid_t holder, worker, w;
	json_t *a, *b;

	late.holder = late.watch = 0;
	char c;

	if (!cgroup2_root(root, sizeof(root)))
		fail_msg("no cgroup2 filesystem is mounted");
	snprintf(cga, sizeof(cga), "%s/jobtrace-limits-%d-a", root, getpid());
	snprintf(cgb, sizeof(cgb), "%s/jobtrace-limits-%d-b", root, getpid());
	snprintf(key_a, sizeof(key_a), "cgroup:%s", cga + strlen(root));
	snprintf(key_b, sizeof(key_b), "cgroup:%s", cgb + strlen(root));
	snprintf(n1, sizeof(n1), "%d", LOST_CHILDREN);
	snprintf(n2, sizeof(n2), "%d", KEPT_CHILDREN);
	assert_int_equal(mkdir(cga, 0755), 0);
	assert_int_equal(mkdir(cgb, 0755), 0);

	/* A's one process, there before the attach: A holds the second slot. */
	holder = fork();
	assert_true(holder >= 0);
	if (holder == 0) {
		pause();
		_exit(0);
	}
	late.holder = holder;
	cg_enter(cga, holder);
	/* Another test's cgroup2 cgroup may take the slot at the attach: try again then. */
	for (int tries = 0; !(w = watch_holding(argv, key_a)); tries++)
		if (tries == 2)
			fail_msg("%s never had a slot in the job map", key_a);
	late.watch = w;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	worker = fork();
	assert_true(worker >= 0);
	if (worker == 0) {
		char *first[] = { churn, "--children", n1, NULL };
		char *then[] = { churn, "--children", n2, NULL };

		cg_enter(cgb, getpid());
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
	assert_int_equal(waitpid(w, &st, 0), w);
	late.watch = 0;

	/* Today's bug: B's job said complete while it saw a fifth of its processes. */
	assert_true(incomplete_for(b, "jobs_map_full"));
	print_message("  %s: %.0f started, %.0f lost to the full job map\n", key_b,
		      field(b, "processes", "started"), field(b, "limits", "lost_to_full_job_map"));
	/* The second churn, root and children, is all B's job saw. */
	assert_int_equal(field(b, "processes", "started"), KEPT_CHILDREN + 1);
	/* The worker's move, the first churn's root and its children. */
	assert_true(field(b, "limits", "lost_to_full_job_map") >= LOST_CHILDREN + 1);
	/* A lost nothing: the flag is per job, not a blanket one. */
	assert_true(json_is_true(json_object_get(a, "complete")));
	assert_int_equal(field(a, "limits", "lost_to_full_job_map"), 0);
	close(ready[0]);
	close(go[1]);
	json_decref(a);
	json_decref(b);
}

static int setup(void **state)
{
	const char *out = getenv("OUTPUT") ? getenv("OUTPUT") : ".output";
	int fd;

	snprintf(jobtrace, sizeof(jobtrace), "%s/jobtrace", out);
	snprintf(churn, sizeof(churn), "%s/churn", out);
	fd = mkstemp(out_path);
	if (fd < 0)
		return -1;
	close(fd);
	if (geteuid() != 0) {
		if (getenv("CI"))
			return -1; /* CI must load BPF: fail, never skip */
		fprintf(stderr, "test_limits: needs root to load BPF\n");
		exit(0);
	}
	return 0;
}

static int teardown(void **state)
{
	unlink(out_path);
	return 0;
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
