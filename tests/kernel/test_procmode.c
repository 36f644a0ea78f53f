// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * jobtrace without BPF (--mode proc: the netlink proc connector and /proc),
 * end to end against truth the test knows: churn's own counts and its
 * getrusage() totals. Also the fallback: with BPF made unavailable for a
 * real reason (capabilities dropped by capsh, a kernel "without" BTF) run
 * picks proc mode and says so. Needs root (the proc connector needs
 * CAP_NET_ADMIN); under CI=true a machine without it fails, never skips.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "testutil.h"

#define WAIT_S 60 /* waits only, never an assertion on speed */

static char jobtrace[512];
static char churn[512];
static char tmpdir[] = "/tmp/jobtrace-procmode-XXXXXX";
static pid_t running[8];

static void running_set(pid_t pid, pid_t old)
{
	for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
		if (running[i] == old) {
			running[i] = pid;
			return;
		}
	}
	fail_msg("too many processes running");
}

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
	unlink(buf);
}

/* Starts @argv with stdout to @out and stderr to @err (NULL: /dev/null). */
static pid_t spawn_io(char *const argv[], const char *out, const char *err)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (o < 0 || e < 0)
			_exit(98);
		dup2(o, 1);
		dup2(e, 2);
		execvp(argv[0], argv);
		_exit(99);
	}
	running_set(pid, 0);
	return pid;
}

static int wait_for(pid_t pid)
{
	unsigned long long deadline = mono_ns() + WAIT_S * 1000000000ULL;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			running_set(0, pid);
			return st;
		}
		assert_int_equal(r, 0);
		if (mono_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			running_set(0, pid);
			fail_msg("pid %d still running after %d s: killed", pid, WAIT_S);
		}
		sleep_ms(5);
	}
}

/* Runs @argv to its end; its exit code (a signal fails the test). */
static int exit_code_of(char *const argv[], const char *out, const char *err)
{
	int st = wait_for(spawn_io(argv, out, err));

	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static char *slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static json_t *load_json(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);

	if (!j)
		fail_msg("%s: not JSON: %s (line %d)", path, e.text, e.line);
	return j;
}

/* The last line of a JSON-lines file whose "type" is "job". */
static json_t *load_job_line(const char *path)
{
	json_t *last = NULL;
	char line[65536];
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);

		if (j && json_is_string(json_object_get(j, "type")) &&
		    !strcmp(json_string_value(json_object_get(j, "type")), "job")) {
			json_decref(last);
			last = j;
		} else {
			json_decref(j);
		}
	}
	fclose(f);
	if (!last)
		fail_msg("%s has no job record", path);
	return last;
}

static double num(json_t *root, const char *path)
{
	char buf[128], *save = NULL, *tok;
	json_t *v = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		v = json_object_get(v, tok);
		if (!v)
			fail_msg("record has no %s", path);
	}
	if (!json_is_number(v))
		fail_msg("%s is not a number", path);
	return json_number_value(v);
}

static const char *mode_of(json_t *report)
{
	const char *m = json_string_value(json_object_get(report, "mode"));

	if (!m)
		fail_msg("the report has no top-level \"mode\"");
	return m;
}

/* The counts of a run report equal churn's truth, none lost. */
static void assert_counts_match(json_t *r, json_t *truth)
{
	assert_int_equal(num(r, "processes.started"), num(truth, "processes"));
	assert_int_equal(num(r, "processes.exited"), num(truth, "processes"));
	assert_int_equal(num(r, "processes.alive"), 0);
	assert_int_equal(num(r, "processes.exit_ok"), num(truth, "exit_ok"));
	assert_int_equal(num(r, "processes.exit_error"), num(truth, "exit_error"));
	assert_int_equal(num(r, "processes.exit_signal"), num(truth, "exit_signal"));
	/* churn's execs, and run's child exec'ing the command. */
	assert_int_equal(num(r, "processes.execs"), num(truth, "execs") + 1);
	assert_int_equal(num(r, "events.lost"), 0);
	assert_int_equal(num(r, "events.received"), num(truth, "processes"));
}

/* churn's children and grandchildren, statuses as chosen, at a modest rate: all seen. */
static void test_run_proc_counts(void **state)
{
	char report[600], truth[600];
	char *argv[] = { jobtrace, "run",	"--mode",   "proc",   "--json",	 "-o",
			 report,   "--",	churn,	    "--children", "400", "--fail",
			 "40",	   "--kill",	"12",	    "--exec", "25",	 "--orphans",
			 "10",	   "--threads", "3",	    "--burn-us", "500",	 "--truth",
			 truth,	   NULL };
	json_t *r, *t;

	tmp_path(report, sizeof(report), "counts.json");
	tmp_path(truth, sizeof(truth), "counts.truth");
	assert_int_equal(exit_code_of(argv, NULL, NULL), 0);
	r = load_json(report);
	t = load_json(truth);
	assert_string_equal(mode_of(r), "proc");
	assert_counts_match(r, t);
	assert_int_equal(num(r, "threads.started"), num(t, "threads"));
	json_decref(r);
	json_decref(t);
}

/*
 * CPU of children that burn >= 50 ms each. The job's total against churn's
 * getrusage (self and children, exact): within 2 %. Each child's own
 * record, read from its zombie, within 20 ms (two ticks) of what it burned.
 */
static void test_run_proc_cpu_long_lived(void **state)
{
	char report[600], truth[600], events[600];
	char *argv[] = { jobtrace,    "run",	    "--mode", "proc", "--json", "-o",
			 report,      "--events",   events,   "--",	  churn,    "--children",
			 "12",	      "--burn-us",  "60000",  "--truth", truth,   NULL };
	double want_ns, got_ns, sum_children_ns = 0;
	size_t burners = 0, unread = 0;
	json_t *r, *t;
	FILE *f;
	char line[65536];

	tmp_path(report, sizeof(report), "cpu.json");
	tmp_path(truth, sizeof(truth), "cpu.truth");
	tmp_path(events, sizeof(events), "cpu.events");
	assert_int_equal(exit_code_of(argv, NULL, NULL), 0);
	r = load_json(report);
	t = load_json(truth);
	assert_string_equal(mode_of(r), "proc");
	want_ns = num(t, "cpu_ns");
	got_ns = num(r, "cpu.total_ns");
	print_message("  proc mode CPU %.1f ms, churn's getrusage %.1f ms (%+.2f %%)\n",
		      got_ns / 1e6, want_ns / 1e6, 100.0 * (got_ns - want_ns) / want_ns);
	assert_true(got_ns >= want_ns * 0.98 && got_ns <= want_ns * 1.02);

	f = fopen(events, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *e = json_loads(line, 0, NULL);

		assert_non_null(e);
		if (!json_is_true(json_object_get(e, "is_root"))) {
			double c = num(e, "cpu.total_ns");

			sum_children_ns += c;
			/*
			 * --burn-us 60000: each child burns 60 ms, then exits. Read
			 * from its zombie: 60 ms give or take a tick. Reaped by churn
			 * before we could read it: the last sample's, here 0 (the
			 * documented loss; the job's total above still has it).
			 */
			if (c == 0) {
				unread++;
			} else {
				assert_true(c >= 60e6 - 10e6 && c <= 60e6 + 20e6);
			}
			burners++;
		}
		json_decref(e);
	}
	fclose(f);
	assert_int_equal(burners, 12);
	print_message("  per-child records: %zu of 12 read from the zombie, %.1f ms in all for "
		      "12 x 60 ms burned\n",
		      burners - unread, sum_children_ns / 1e6);
	/*
	 * churn reaps each child at once, so its reap races our read: measured
	 * 2 to 6 of 12 read on a 2-CPU host. At least one must be, or the
	 * zombie path is not tested at all.
	 */
	assert_true(unread < 12);
	json_decref(r);
	json_decref(t);
}

/* watch --mode proc --pid: attaches to a running tree and follows it to its end. */
static void test_watch_proc_pid(void **state)
{
	char log_path[600], out[600], err[600], pid_s[32];
	char *churn_argv[] = { churn,	 "--children", "3000", "--burn-us", "200", "--fail",
			       "30",	 "--log",      log_path, NULL };
	char *watch_argv[] = { jobtrace, "watch", "--mode", "proc", "--pid", pid_s,
			       "--json", "-o",	  out,	    NULL };
	unsigned long long deadline = mono_ns() + WAIT_S * 1000000000ULL;
	json_t *job;
	struct stat sb;
	pid_t cp, wp;
	int st;

	tmp_path(log_path, sizeof(log_path), "watch.log");
	tmp_path(out, sizeof(out), "watch.out");
	tmp_path(err, sizeof(err), "watch.err");
	cp = spawn_io(churn_argv, NULL, NULL);
	while (stat(log_path, &sb) || sb.st_size == 0) {
		if (mono_ns() > deadline)
			fail_msg("churn never logged a child");
		sleep_ms(5);
	}
	snprintf(pid_s, sizeof(pid_s), "%d", cp);
	wp = spawn_io(watch_argv, NULL, err);
	st = wait_for(cp);
	assert_true(WIFEXITED(st));
	st = wait_for(wp);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("watch failed (0x%x): %s", st, slurp(err));
	job = load_job_line(out);
	assert_string_equal(mode_of(job), "proc");
	assert_true(num(job, "processes.existing_at_attach") >= 1);
	/* Each process was there at the attach or started after it, and each ended. */
	assert_int_equal(num(job, "processes.started") + num(job, "processes.existing_at_attach"),
			 num(job, "processes.exited"));
	assert_int_equal(num(job, "processes.alive"), 0);
	assert_int_equal(num(job, "events.lost"), 0);
	assert_true(num(job, "processes.exited") > 1);
	assert_int_equal(num(job, "job.root_pid"), cp);
	json_decref(job);
}

static void test_mode_bpf_and_bad_mode(void **state)
{
	char report[600], err[600];
	char *bpf_argv[] = { jobtrace, "run", "--mode", "bpf", "--json", "-o", report, "--",
			     "true", NULL };
	char *bad_run[] = { jobtrace, "run", "--mode", "ebpf", "--", "true", NULL };
	char *bad_watch[] = { jobtrace, "watch", "--mode", "kprobe", "--pid", "1", NULL };
	char *proc_cgroup[] = { jobtrace, "watch", "--mode", "proc", "--all", NULL };
	json_t *r;

	tmp_path(report, sizeof(report), "bpf.json");
	tmp_path(err, sizeof(err), "bad.err");
	assert_int_equal(exit_code_of(bpf_argv, NULL, NULL), 0);
	r = load_json(report);
	assert_string_equal(mode_of(r), "bpf");
	json_decref(r);
	assert_int_equal(exit_code_of(bad_run, NULL, err), 2);
	assert_non_null(strstr(slurp(err), "--mode takes bpf, proc, rusage or auto, not 'ebpf'"));
	assert_int_equal(exit_code_of(bad_watch, NULL, err), 2);
	assert_non_null(strstr(slurp(err), "'kprobe'"));
	assert_int_equal(exit_code_of(proc_cgroup, NULL, err), 2);
	assert_non_null(strstr(slurp(err), "--mode proc follows --pid only"));
}

/* Capabilities dropped (a real cause): run falls back to proc, says so, counts right. */
static void test_fallback_without_caps(void **state)
{
	char report[600], truth[600], err[600], cmd[4096];
	char *argv[] = { "capsh", "--drop=cap_bpf,cap_perfmon,cap_sys_admin", "--", "-c", cmd,
			 NULL };
	json_t *r, *t;
	const char *said;

	tmp_path(report, sizeof(report), "fallback.json");
	tmp_path(truth, sizeof(truth), "fallback.truth");
	tmp_path(err, sizeof(err), "fallback.err");
	if (access("/usr/sbin/capsh", X_OK) && access("/sbin/capsh", X_OK))
		fail_msg("capsh (libcap2-bin) is needed to drop capabilities");
	snprintf(cmd, sizeof(cmd), "exec %s run --json -o %s -- %s --children 100 --fail 7 --truth %s",
		 jobtrace, report, churn, truth);
	assert_int_equal(exit_code_of(argv, NULL, err), 0);
	said = slurp(err);
	assert_non_null(strstr(said, "missing privileges"));
	assert_non_null(strstr(said, "falling back to proc mode"));
	r = load_json(report);
	t = load_json(truth);
	assert_string_equal(mode_of(r), "proc");
	assert_counts_match(r, t);
	json_decref(r);
	json_decref(t);
}

/* A kernel without BTF (the loader's stand-in for one): the same fallback. */
static void test_fallback_without_btf(void **state)
{
	char report[600], err[600];
	char *argv[] = { "env", "JOBTRACE_VMLINUX_BTF=/nonexistent/vmlinux", jobtrace, "run",
			 "--json", "-o", report, "--", "sh", "-c", "exit 3", NULL };
	char *forced[] = { "env", "JOBTRACE_VMLINUX_BTF=/nonexistent/vmlinux", jobtrace, "run",
			   "--mode", "bpf", "--", "true", NULL };
	json_t *r;

	tmp_path(report, sizeof(report), "nobtf.json");
	tmp_path(err, sizeof(err), "nobtf.err");
	assert_int_equal(exit_code_of(argv, NULL, err), 3);
	assert_non_null(strstr(slurp(err), "falling back to proc mode"));
	r = load_json(report);
	assert_string_equal(mode_of(r), "proc");
	assert_int_equal(num(r, "processes.exit_error"), 1);
	json_decref(r);
	/* --mode bpf is a demand: no fallback, a failure. */
	assert_int_not_equal(exit_code_of(forced, NULL, err), 0);
	assert_null(strstr(slurp(err), "falling back"));
}

static int setup(void **state)
{
	const char *out = getenv("OUTPUT") ? getenv("OUTPUT") : ".output";
	char probe_report[600];
	char *probe[] = { jobtrace, "run", "--mode", "proc", "-o", probe_report, "--", "true",
			  NULL };
	int st;

	snprintf(jobtrace, sizeof(jobtrace), "%s/jobtrace", out);
	snprintf(churn, sizeof(churn), "%s/churn", out);
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(probe_report, sizeof(probe_report), "%s/probe", tmpdir);
	st = wait_for(spawn_io(probe, NULL, NULL));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	fprintf(stderr, "FAIL: jobtrace cannot listen to the proc connector here (exit status "
			"%d): the proc-mode tests need root (CAP_NET_ADMIN)%s\n",
		WIFEXITED(st) ? WEXITSTATUS(st) : -1, getenv("CI") ? " (CI=true)" : "");
	return -1;
}

static int test_teardown(void **state)
{
	for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
		if (running[i]) {
			kill(running[i], SIGKILL);
			waitpid(running[i], NULL, 0);
			running[i] = 0;
		}
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_run_proc_counts, test_teardown),
		cmocka_unit_test_teardown(test_run_proc_cpu_long_lived, test_teardown),
		cmocka_unit_test_teardown(test_watch_proc_pid, test_teardown),
		cmocka_unit_test_teardown(test_mode_bpf_and_bad_mode, test_teardown),
		cmocka_unit_test_teardown(test_fallback_without_caps, test_teardown),
		cmocka_unit_test_teardown(test_fallback_without_btf, test_teardown),
	};

	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
