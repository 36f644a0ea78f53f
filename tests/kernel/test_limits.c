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
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
