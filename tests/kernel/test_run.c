// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * End-to-end tests of `jobtrace run`: the real BPF programs, the real CLI,
 * workloads whose truth the test knows (churn writes it), compared with the
 * JSON report. Needs root and BPF; under CI=true a machine without them
 * fails the suite instead of skipping it.
 */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"

static char jobtrace[512];
static char churn[512];
static char tmpdir[] = "/tmp/jobtrace-test-XXXXXX";
static char report_path[600];
static char truth_path[600];
static char no_serve[600];

static int run_cli(char *const argv[], char *log);
static bool log_has(const char *log, const char *needle);

/* Runs @argv with stdout/stderr to @log; returns the wait status. */
static int spawn_wait(char *const argv[], const char *log, pid_t *pid_out, bool wait_it)
{
	int status = -1;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(99);
	}
	if (pid_out)
		*pid_out = pid;
	if (wait_it)
		assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* jobtrace run --json -o REPORT [extra...] -- churn [churn args...] --truth TRUTH */
static int run_churn(const char *const *extra, const char *const *args, json_t **report,
		     json_t **truth)
{
	char *argv[64];
	int n = 0, status;
	json_error_t err;

	argv[n++] = jobtrace;
	argv[n++] = "run";
	argv[n++] = "--json";
	argv[n++] = "-o";
	argv[n++] = report_path;
	for (; extra && *extra; extra++)
		argv[n++] = (char *)*extra;
	argv[n++] = "--";
	argv[n++] = churn;
	for (; args && *args; args++)
		argv[n++] = (char *)*args;
	argv[n++] = "--truth";
	argv[n++] = truth_path;
	argv[n] = NULL;
	unlink(report_path);
	unlink(truth_path);
	status = spawn_wait(argv, NULL, NULL, true);
	*report = json_load_file(report_path, 0, &err);
	if (!*report)
		fail_msg("report %s: %s (line %d)", report_path, err.text, err.line);
	if (truth) {
		*truth = json_load_file(truth_path, 0, &err);
		if (!*truth)
			fail_msg("truth %s: %s", truth_path, err.text);
	}
	return status;
}

/* A number at a dotted path, e.g. "processes.started". */
static double num(json_t *root, const char *path)
{
	char buf[128], *save = NULL, *tok;
	json_t *v = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		v = json_object_get(v, tok);
		if (!v)
			fail_msg("report has no %s", path);
	}
	if (!json_is_number(v))
		fail_msg("%s is not a number", path);
	return json_number_value(v);
}

static void assert_counts_match_truth(json_t *r, json_t *t)
{
	assert_int_equal(num(r, "processes.started"), num(t, "processes"));
	assert_int_equal(num(r, "processes.exited"), num(t, "processes"));
	assert_int_equal(num(r, "processes.exit_ok"), num(t, "exit_ok"));
	assert_int_equal(num(r, "processes.exit_error"), num(t, "exit_error"));
	assert_int_equal(num(r, "processes.exit_signal"), num(t, "exit_signal"));
	assert_int_equal(num(r, "threads.started"), num(t, "threads"));
	/* churn's own exec counts too. */
	assert_int_equal(num(r, "processes.execs"), num(t, "execs") + 1);
	assert_int_equal(num(r, "events.lost"), 0);
	assert_int_equal(num(r, "events.received"), num(t, "processes"));
	assert_int_equal(num(r, "limits.untracked_tasks"), 0);
	assert_int_equal(num(r, "limits.procs_map_full"), 0);
}

static void assert_cpu_within(json_t *r, json_t *t, double pct)
{
	double got = num(r, "cpu.total_ns"), want = num(t, "cpu_ns");
	double err = want > 0 ? 100.0 * (got - want) / want : 100.0;

	print_message("  cpu: reported %.6f s, getrusage %.6f s, error %+.3f%%\n", got / 1e9,
		      want / 1e9, err);
	assert_true(want > 0);
	if (err > pct || err < -pct)
		fail_msg("CPU off by %.3f%% (limit %.1f%%)", err, pct);
	assert_true(fabs(num(r, "cpu.user_s") + num(r, "cpu.system_s") - num(r, "cpu.total_s")) <
		    1e-6);
}

/* Thousands of children, as fast as the machine forks them. */
static void test_many_short_children(void **state)
{
	const char *args[] = {"--children", "4000", "--concurrency", "64",
			      "--burn-us",  "100",  "--subreaper",   NULL};
	json_t *r, *t;
	int st = run_churn(NULL, args, &r, &t);

	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(num(t, "processes"), 4001);
	assert_counts_match_truth(r, t);
	assert_cpu_within(r, t, 1.0);
	assert_true(num(r, "processes.max_alive") >= 2);
	assert_true(num(r, "processes.max_alive") <= 66);
	json_decref(r);
	json_decref(t);
}

/*
 * The object built for kernels before 6.2 (no bpf_rdonly_cast(): reads
 * through the task pointers themselves) loads here too (--mode bpf: no
 * fallback) and counts the same churn as exactly: forks, threads, execs,
 * failures and orphans.
 */
static void test_compat_object(void **state)
{
	const char *extra[] = { "--mode", "bpf", NULL };
	const char *args[] = { "--children", "1000", "--threads", "4", "--exec", "50", "--fail", "20",
			       "--orphans", "20", "--burn-us", "100", "--subreaper", NULL };
	json_t *r, *t;
	int st;

	assert_int_equal(setenv("JOBTRACE_BPF_COMPAT", "1", 1), 0);
	st = run_churn(extra, args, &r, &t);
	unsetenv("JOBTRACE_BPF_COMPAT");
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_counts_match_truth(r, t);
	assert_cpu_within(r, t, 1.0);
	json_decref(r);
	json_decref(t);
}

/* Orphans double-fork away, are reparented, and still count; we wait for them. */
static void test_orphans_outlive_root(void **state)
{
	const char *args[] = {"--orphans", "40", "--orphan-ms", "400", NULL};
	json_t *r, *t;
	int st = run_churn(NULL, args, &r, &t);

	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_counts_match_truth(r, t);
	assert_int_equal(num(r, "processes.started"), 1 + 40 + 40);
	assert_int_equal(num(r, "processes.outlived_root"), 40);
	assert_int_equal(num(r, "processes.alive"), 0);
	/* The report waited for the orphans' 400 ms sleep. */
	assert_true(num(r, "job.wall_s") >= 0.4);
	assert_true(num(r, "job.root_wall_s") < num(r, "job.wall_s"));
	json_decref(r);
	json_decref(t);
}

/*
 * The root never lived longer than its tree. A tree of the root alone
 * ended when the root did: the two walls are one figure. Where the root's
 * time is only the wait's (rusage) or the tree's end a sample's (proc),
 * still no longer. Before, the root's end was when jobtrace reaped it, up
 * to tens of ms after the kernel's exit that ended the tree.
 */
static void test_root_wall_within_tree(void **state)
{
	static const char *const modes[] = { "bpf", "proc", "rusage" };
	json_error_t err;
	json_t *r;

	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		char *argv[] = { jobtrace, "run", "--json", "-o", report_path, "--mode",
				 (char *)modes[m], "--", "/bin/true", NULL };

		for (int i = 0; i < 8; i++) {
			double wall, root_wall;

			unlink(report_path);
			assert_int_equal(run_cli(argv, NULL), 0);
			r = json_load_file(report_path, 0, &err);
			if (!r)
				fail_msg("report %s: %s", report_path, err.text);
			wall = num(r, "job.wall_s");
			root_wall = num(r, "job.root_wall_s");
			if (root_wall > wall || (m == 0 && root_wall != wall))
				fail_msg("--mode %s, run %d: root_wall_s %.9f, wall_s %.9f", modes[m],
					 i, root_wall, wall);
			json_decref(r);
		}
	}
}

/* --no-wait reports at the root's exit, with the orphans still alive. */
static void test_no_wait_returns_at_root_exit(void **state)
{
	const char *extra[] = {"--no-wait", NULL};
	const char *args[] = {"--orphans", "10", "--orphan-ms", "2000", NULL};
	json_t *r;
	int st = run_churn(extra, args, &r, NULL);

	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(num(r, "processes.started"), 21);
	assert_int_equal(num(r, "processes.outlived_root"), 10);
	assert_int_equal(num(r, "processes.alive"), 10);
	assert_int_equal(num(r, "processes.exited"), 11);
	/*
	 * The ten orphans, 2 s each, were still alive at the report: it came
	 * at the root's exit, not theirs, however slow a loaded host made it.
	 */
	assert_true(num(r, "job.wall_s") > 0 && num(r, "job.root_wall_s") <= num(r, "job.wall_s"));
	json_decref(r);
}

static json_t *command_named(json_t *r, const char *comm)
{
	json_t *cmds = json_object_get(r, "commands"), *c;
	size_t i;

	json_array_foreach(cmds, i, c)
	{
		if (!strcmp(json_string_value(json_object_get(c, "comm")), comm))
			return c;
	}
	return NULL;
}

/* Exec'd children are counted under the name they exec'd. */
static void test_exec_children(void **state)
{
	const char *args[] = {"--exec", "60", "--children", "5", "--subreaper", NULL};
	json_t *r, *t, *c;
	int st = run_churn(NULL, args, &r, &t);

	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_counts_match_truth(r, t);
	c = command_named(r, "true");
	assert_non_null(c);
	assert_int_equal(num(c, "processes"), 60);
	c = command_named(r, "churn");
	assert_non_null(c);
	assert_int_equal(num(c, "processes"), 6);
	json_decref(r);
	json_decref(t);
}

/* Threads are not processes; their CPU is. */
static void test_threads_are_not_processes(void **state)
{
	const char *args[] = {"--threads", "6", "--thread-burn-ms", "50", "--subreaper", NULL};
	json_t *r, *t;
	int st = run_churn(NULL, args, &r, &t);

	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_counts_match_truth(r, t);
	assert_int_equal(num(r, "processes.started"), 2);
	assert_int_equal(num(r, "threads.started"), 6);
	assert_true(num(r, "cpu.total_s") >= 0.3);
	assert_cpu_within(r, t, 1.0);
	json_decref(r);
	json_decref(t);
}

/*
 * A second thread that execs becomes its process's leader and the old
 * leader ends (de_thread()): the old leader's CPU, 20 ms in each of 40
 * processes, stays the job's. A process's leader keeps its state in its
 * procs entry only while it has one thread (state_of() in
 * bpf/lineage.bpf.c); left there, the old leader would close as nobody's
 * and its CPU would be lost.
 */
static void test_exec_from_a_thread(void **state)
{
	const char *args[] = {"--thread-execs", "40", "--burn-us", "20000", "--subreaper", NULL};
	json_t *r, *t, *c;
	int st = run_churn(NULL, args, &r, &t);

	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_counts_match_truth(r, t);
	assert_int_equal(num(r, "threads.started"), 40);
	c = command_named(r, "true");
	assert_non_null(c);
	assert_int_equal(num(c, "processes"), 40);
	assert_true(num(r, "cpu.total_s") >= 0.8);
	assert_cpu_within(r, t, 1.0);
	json_decref(r);
	json_decref(t);
}

static void test_exit_classes(void **state)
{
	const char *args[] = {"--fail", "7", "--kill", "5", "--children", "3", NULL};
	json_t *r, *t;
	int st = run_churn(NULL, args, &r, &t);

	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_counts_match_truth(r, t);
	assert_int_equal(num(r, "processes.exit_error"), 7);
	assert_int_equal(num(r, "processes.exit_signal"), 5);
	assert_int_equal(num(r, "processes.exit_ok"), 4);
	json_decref(r);
	json_decref(t);
}

static void test_peak_rss(void **state)
{
	const char *args[] = {"--rss-mib", "96", NULL};
	json_t *r, *t;
	int st = run_churn(NULL, args, &r, &t);
	double peak;

	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	peak = num(r, "memory.peak_rss_bytes");
	print_message("  peak rss %.1f MiB, getrusage children maxrss %.1f MiB\n", peak / 1048576,
		      num(t, "children_maxrss_kib") / 1024);
	assert_true(peak >= 96.0 * 1048576);
	assert_true(peak <= 96.0 * 1048576 + 16.0 * 1048576);
	/* The kernel's own maxrss of the same child, within its per-CPU slack. */
	assert_true(fabs(peak / 1024 - num(t, "children_maxrss_kib")) <= 2048);
	json_decref(r);
	json_decref(t);
}

/*
 * Whose each process was: the exit records say the real uid and gid it
 * ended with, and the user's name. The test chooses them: a shell of
 * root's runs one of nobody's (65534:65534, setpriv) and one of 4321:77, a
 * uid this host's user database does not name.
 */
static void test_exit_records_say_whose(void **state)
{
	char events[700], err[700];
	char *argv[] = {
	    jobtrace,
	    "run",
	    "--mode",
	    "bpf",
	    "-o",
	    "/dev/null",
	    "--events",
	    events,
	    "--",
	    "/bin/sh",
	    "-c",
	    "setpriv --reuid 65534 --regid 65534 --clear-groups /bin/sh -c 'exit 3'; "
	    "setpriv --reuid 4321 --regid 77 --clear-groups /bin/sh -c 'exit 4'; exit 0",
	    NULL};
	json_t *all, *r;
	int st, seen = 0;
	size_t i;

	snprintf(events, sizeof(events), "%s/whose.jsonl", tmpdir);
	snprintf(err, sizeof(err), "%s/whose.err", tmpdir);
	st = spawn_wait(argv, err, NULL, true);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("run ended with 0x%x: %s", st, harness__slurp(err));
	all = harness__lines(events, "exit");
	json_array_foreach(all, i, r)
	{
		if (json_is_true(harness__get(r, "is_root"))) {
			assert_int_equal(num(r, "uid"), 0);
			assert_int_equal(num(r, "gid"), 0);
			assert_string_equal(harness__str(r, "user"), "root");
			seen++;
		} else if (num(r, "exit_code") == 3) {
			assert_int_equal(num(r, "uid"), 65534);
			assert_int_equal(num(r, "gid"), 65534);
			assert_non_null(
			    harness__str(r, "user")); /* nobody, as the database names it */
			seen++;
		} else if (num(r, "exit_code") == 4) {
			assert_int_equal(num(r, "uid"), 4321);
			assert_int_equal(num(r, "gid"), 77);
			assert_true(harness__is_null(r, "user"));
			seen++;
		}
	}
	assert_int_equal(seen, 3);
	json_decref(all);
}

/* The first argument of @r's args, or NULL. */
static const char *arg0(json_t *r)
{
	json_t *a = harness__get(r, "args");

	return json_is_array(a) ? json_string_value(json_array_get(a, 0)) : NULL;
}

/*
 * What each process ran: exe is the resolved path of the file its last
 * exec ran (/bin/sh's realpath however it was named: absolute, relative,
 * or the one env found on PATH), and a process that never exec'd has its
 * nearest exec'd ancestor's exe and args, through a subshell that never
 * exec'd either: the shell's, not null.
 */
static void test_exit_records_say_what_ran(void **state)
{
	char events[700], err[700];
	char *argv[] = {jobtrace, "run", "--mode", "bpf", "-o", "/dev/null", "--events", events,
			"--", "/bin/sh", "-c",
			"/usr/bin/env true; cd /bin && ./sh -c 'exit 5'; ( ( exit 3 ); exit 0 ); exit 0",
			NULL};
	char sh[PATH_MAX];
	json_t *all, *r;
	int st, seen = 0;
	size_t i;

	assert_non_null(realpath("/bin/sh", sh));
	snprintf(events, sizeof(events), "%s/what.jsonl", tmpdir);
	snprintf(err, sizeof(err), "%s/what.err", tmpdir);
	st = spawn_wait(argv, err, NULL, true);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("run ended with 0x%x: %s", st, harness__slurp(err));
	all = harness__lines(events, "exit");
	json_array_foreach(all, i, r)
	{
		const char *exe = harness__str(r, "exe"), *comm = harness__str(r, "comm");
		bool inherited = json_is_true(harness__get(r, "args_inherited"));

		assert_non_null(exe);
		if (json_is_true(harness__get(r, "is_root"))) {
			assert_string_equal(exe, sh);
			seen++;
		} else if (!strcmp(comm, "true")) {
			/* env exec'd it from PATH: the last exec's path. */
			assert_true(strlen(exe) > 5 && !strcmp(exe + strlen(exe) - 5, "/true"));
			assert_false(inherited);
			seen++;
		} else if (num(r, "exit_code") == 5) {
			assert_string_equal(exe, sh); /* not "./sh", as execve() was given it */
			assert_string_equal(arg0(r), "./sh");
			seen++;
		} else if (num(r, "exit_code") == 3) {
			/* A subshell of a subshell: the root shell's, two generations up. */
			assert_true(inherited);
			assert_string_equal(exe, sh);
			assert_string_equal(arg0(r), "/bin/sh");
			assert_int_equal(json_array_size(harness__get(r, "args")), 3);
			seen++;
		} else if (inherited) {
			assert_string_equal(exe, sh); /* the outer subshell */
			assert_string_equal(arg0(r), "/bin/sh");
			seen++;
		}
	}
	assert_int_equal(seen, 5);
	json_decref(all);
}

/*
 * --no-args: no process's command line or program path anywhere, a
 * failure's own included (a command line can hold a secret); the counts
 * are whole.
 */
static void test_no_args(void **state)
{
	char events[700], err[700], report[700];
	char *argv[] = {jobtrace, "run", "--mode", "bpf", "--no-args", "--json", "-o", report,
			"--events", events, "--", "/bin/sh", "-c",
			"/bin/sh -c 'exit 3' jt-secret-arg; exit 0", NULL};
	json_t *all, *r;
	const char *text;
	int st;
	size_t i;

	snprintf(events, sizeof(events), "%s/noargs.jsonl", tmpdir);
	snprintf(report, sizeof(report), "%s/noargs.json", tmpdir);
	snprintf(err, sizeof(err), "%s/noargs.err", tmpdir);
	st = spawn_wait(argv, err, NULL, true);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("run ended with 0x%x: %s", st, harness__slurp(err));
	all = harness__lines(events, "exit");
	assert_int_equal(json_array_size(all), 2);
	json_array_foreach(all, i, r)
	{
		assert_true(harness__is_null(r, "args"));
		assert_true(harness__is_null(r, "exe"));
	}
	json_decref(all);
	/* Once: the job's command, which is run's own (what its user typed). */
	text = strstr(harness__slurp(report), "jt-secret-arg");
	assert_non_null(text);
	assert_null(strstr(text + 1, "jt-secret-arg"));
	text = harness__slurp(report);
	assert_non_null(strstr(text, "\"exit_error\":1"));
}

/* A name full of quotes, backslashes, newlines and invalid UTF-8 survives. */
static void test_hostile_name_is_valid_json(void **state)
{
	const char *args[] = {"--hostile", NULL};
	json_t *r, *t, *c;
	int st = run_churn(NULL, args, &r, &t);

	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* json_load_file() has already checked the JSON and its UTF-8. */
	c = command_named(r, "q\"b\\n\nx\xef\xbf\xbd\xef\xbf\xbd");
	assert_non_null(c);
	assert_int_equal(num(c, "processes"), 1);
	json_decref(r);
	json_decref(t);
}

/* Storage I/O is cached away; the syscall-level bytes are exact. */
static void test_io_bytes(void **state)
{
	char *argv[] = {jobtrace,  "run",	"--json",
			"-o",	   report_path, "--",
			"/bin/sh", "-c",	"head -c 3000000 /dev/zero > /dev/null",
			NULL};
	json_error_t err;
	json_t *r;
	int st = spawn_wait(argv, NULL, NULL, true);

	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	r = json_load_file(report_path, 0, &err);
	assert_non_null(r);
	assert_true(num(r, "io.write_chars") >= 3000000);
	assert_true(num(r, "io.write_chars") < 3000000 + 65536);
	assert_true(num(r, "io.read_chars") >= 3000000);
	json_decref(r);
}

/* ApMon's job parameters for members alive at report time, and the work directory. */
static void test_live_members_and_workdir(void **state)
{
	char wd[700], file[800];
	const char *extra[] = {"--no-wait", "--pss", "--workdir", wd, NULL};
	const char *args[] = {"--orphans", "6", "--orphan-ms", "1500", NULL};
	json_t *r, *live, *w;
	struct stat sb;
	int st, fd;

	snprintf(wd, sizeof(wd), "%s/wd", tmpdir);
	assert_int_equal(mkdir(wd, 0755), 0);
	snprintf(file, sizeof(file), "%s/data", wd);
	fd = open(file, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);

	st = run_churn(extra, args, &r, NULL);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	live = json_object_get(r, "live");
	assert_true(json_is_object(live));
	assert_int_equal(num(live, "processes"), 6);
	/*
	 * Read as the kernel's /proc/PID/status reads it (6.2+: the counters
	 * without their per-CPU parts, up to 32 pages a CPU each): a sleeping
	 * orphan, faulting in little after its fork, can show under 100 KiB,
	 * and six of them read 600 KiB or less once in CI. Some, not a size.
	 */
	assert_true(num(live, "rss_bytes") > 0);
	assert_true(num(live, "pss_bytes") > 0);
	assert_true(num(live, "pss_bytes") <= num(live, "rss_bytes"));
	assert_true(num(live, "uss_bytes") <= num(live, "pss_bytes"));
	assert_true(num(live, "open_files") >= 6 * 3);
	assert_true(num(live, "mem_pct") > 0 && num(live, "mem_pct") < 1);
	assert_string_equal(json_string_value(json_object_get(live, "mem_basis")), "pss");
	w = json_object_get(r, "workdir");
	assert_true(json_is_object(w));
	assert_int_equal(num(w, "files"), 1);
	assert_int_equal(stat(wd, &sb), 0);
	assert_int_equal(num(w, "apparent_bytes"),
			 10 + sb.st_size); /* the file and its directory */
	assert_true(num(w, "fs_total_bytes") > num(w, "fs_free_bytes"));
	json_decref(r);
}

/*
 * A reader that cannot keep up loses ring records: the report says so and by
 * how much, and the totals, kept in the kernel, stay exact.
 */
/* Polls until @pid's child runs @comm (run has exec'd its command); false after 10 s. */
static bool child_runs(pid_t pid, const char *comm)
{
	char path[64], buf[256], c[64];

	for (int i = 0; i < 1000; i++) {
		FILE *f;
		int child;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
		f = fopen(path, "r");
		while (f && fscanf(f, "%d", &child) == 1) {
			FILE *g;

			snprintf(buf, sizeof(buf), "/proc/%d/comm", child);
			g = fopen(buf, "r");
			if (g && fgets(c, sizeof(c), g) && !strncmp(c, comm, strlen(comm))) {
				fclose(g);
				fclose(f);
				return true;
			}
			if (g)
				fclose(g);
		}
		if (f)
			fclose(f);
		usleep(10000);
	}
	return false;
}

static void test_lost_records_keep_totals(void **state)
{
	char *argv[] = {jobtrace, "run",	 "--json",  "-o",	  report_path, "--ring-kb",
			"4",	  "--",		 churn,	    "--delay-ms", "300",       "--children",
			"3000",	  "--subreaper", "--truth", truth_path,	  NULL};
	json_error_t err;
	json_t *r, *t;
	pid_t pid;
	int st;

	unlink(report_path);
	unlink(truth_path);
	spawn_wait(argv, NULL, &pid, false);
	/*
	 * Stop the reader once churn runs (still in its delay), and keep it
	 * stopped until churn has forked and reaped every child and written
	 * its truth: on a loaded machine as on a quiet one, all 3000 exit
	 * records meet a 4 KiB ring nobody reads.
	 */
	assert_true(child_runs(pid, "churn"));
	assert_int_equal(kill(pid, SIGSTOP), 0);
	for (int i = 0; i < 6000 && access(truth_path, R_OK); i++)
		usleep(10000);
	assert_int_equal(kill(pid, SIGCONT), 0);
	assert_int_equal(access(truth_path, R_OK), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	r = json_load_file(report_path, 0, &err);
	t = json_load_file(truth_path, 0, &err);
	assert_non_null(r);
	assert_non_null(t);
	print_message("  lost %.0f of %.0f records with a 4 KiB ring\n", num(r, "events.lost"),
		      num(t, "processes"));
	assert_true(num(r, "events.lost") > 1000);
	assert_true(json_is_false(json_object_get(json_object_get(r, "events"), "complete")));
	/* Every record is either received or counted lost. */
	assert_int_equal(num(r, "events.received") + num(r, "events.lost"), num(t, "processes"));
	assert_int_equal(num(r, "processes.started"), num(t, "processes"));
	assert_int_equal(num(r, "processes.exited"), num(t, "processes"));
	assert_int_equal(num(r, "processes.exit_ok"), num(t, "exit_ok"));
	assert_cpu_within(r, t, 1.0);
	json_decref(r);
	json_decref(t);
}

/*
 * --json without -o: the report is a line of its own on standard error, even
 * after a command whose output did not end its line; and -o is opened before
 * the command runs, so a bad path fails at once and the command never runs.
 */
static void test_json_report_own_line(void **state)
{
	char log[700], marker[700], line[1 << 16], first[64] = "";
	char *argv[] = {jobtrace, "run", "--json", "--", "/bin/sh", "-c", "printf unended >&2",
			NULL};
	char *bad[] = {jobtrace,	 "run",	 "-o", "/nonexistent/dir/report", "--",
		       "/usr/bin/touch", marker, NULL};
	json_error_t err;
	json_t *r = NULL;
	FILE *f;

	snprintf(log, sizeof(log), "%s/own-line.log", tmpdir);
	snprintf(marker, sizeof(marker), "%s/marker", tmpdir);
	assert_int_equal(run_cli(argv, log), 0);
	f = fopen(log, "r");
	assert_non_null(f);
	assert_non_null(fgets(first, sizeof(first), f));
	assert_string_equal(first, "unended\n");
	assert_non_null(fgets(line, sizeof(line), f));
	r = json_loads(line, 0, &err);
	assert_non_null(r);
	assert_null(fgets(line, sizeof(line), f)); /* one line, the last */
	fclose(f);
	json_decref(r);

	assert_int_equal(run_cli(bad, log), 125);
	assert_true(log_has(log, "cannot write the report to /nonexistent/dir/report"));
	assert_int_equal(access(marker, F_OK), -1);
}

/* A kernel without BTF gets a message that says so. */
/*
 * No BTF: --mode bpf fails and says why; the default falls back to proc
 * mode, says so, and the job still runs and reports.
 */
static void test_no_btf(void **state)
{
	char log[700];
	char *forced[] = {"/usr/bin/env",
			  "JOBTRACE_VMLINUX_BTF=/nonexistent/vmlinux",
			  jobtrace,
			  "run",
			  "--mode",
			  "bpf",
			  "--",
			  "/bin/true",
			  NULL};
	char *fallback[] = {"/usr/bin/env",
			    "JOBTRACE_VMLINUX_BTF=/nonexistent/vmlinux",
			    jobtrace,
			    "run",
			    "--",
			    "/bin/sh",
			    "-c",
			    "exit 3",
			    NULL};

	snprintf(log, sizeof(log), "%s/log", tmpdir);
	assert_int_equal(run_cli(forced, log), 125);
	assert_true(log_has(log, "this kernel has no BTF"));
	assert_true(log_has(log, "CONFIG_DEBUG_INFO_BTF"));
	assert_int_equal(run_cli(fallback, log), 3);
	assert_true(log_has(log, "falling back to proc mode"));
	assert_true(log_has(log, "mode       proc"));
}

static void run_status(const char *script, int *status, json_t **r)
{
	char *argv[] = {jobtrace, "run",     "--json", "-o",	       report_path,
			"--",	  "/bin/sh", "-c",     (char *)script, NULL};
	json_error_t err;

	unlink(report_path);
	*status = spawn_wait(argv, NULL, NULL, true);
	*r = json_load_file(report_path, 0, &err);
	assert_non_null(*r);
}

/* jobtrace exits with the job's own status, and the report says how it ended. */
static void test_root_status_passes_through(void **state)
{
	json_t *r;
	int st;

	run_status("exit 7", &st, &r);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);
	assert_int_equal(num(r, "job.exit_code"), 7);
	assert_true(json_is_null(json_object_get(json_object_get(r, "job"), "signal")));
	assert_int_equal(num(r, "processes.exit_error"), 1);
	json_decref(r);

	run_status("kill -TERM $$", &st, &r);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 128 + SIGTERM);
	assert_int_equal(num(r, "job.signal"), SIGTERM);
	assert_true(json_is_null(json_object_get(json_object_get(r, "job"), "exit_code")));
	assert_int_equal(num(r, "processes.exit_signal"), 1);
	json_decref(r);
}

/* SIGTERM sent to jobtrace reaches the job, and the report is still written. */
static void test_signal_is_forwarded(void **state)
{
	char *argv[] = {jobtrace, "run",	"--json", "-o", report_path,
			"--",	  "/bin/sleep", "30",	  NULL};
	struct timespec ts = {0, 300 * 1000 * 1000};
	json_error_t err;
	json_t *r;
	pid_t pid;
	int st;

	unlink(report_path);
	spawn_wait(argv, NULL, &pid, false);
	nanosleep(&ts, NULL);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 128 + SIGTERM);
	r = json_load_file(report_path, 0, &err);
	assert_non_null(r);
	assert_int_equal(num(r, "job.signal"), SIGTERM);
	assert_true(num(r, "job.wall_s") < 10);
	json_decref(r);
}

static int run_cli(char *const argv[], char *log)
{
	int st = spawn_wait(argv, log, NULL, true);

	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static bool log_has(const char *log, const char *needle)
{
	char buf[4096] = "";
	FILE *f = fopen(log, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, needle) != NULL;
}

/* Each error a user may hit has its own message and status. */
static void test_errors(void **state)
{
	char log[700], noexec[700];
	char *missing[] = {jobtrace, "run", "--", "/nonexistent/cmd", NULL};
	char *notexec[] = {jobtrace, "run", "--", noexec, NULL};
	char *nocmd[] = {jobtrace, "run", NULL};
	char *badflag[] = {jobtrace, "run", "--frobnicate", "--", "/bin/true", NULL};
	char *badnum[] = {jobtrace, "run", "--top", "lots", "--", "/bin/true", NULL};
	char *badsub[] = {jobtrace, "frob", NULL};
	int fd;

	snprintf(log, sizeof(log), "%s/log", tmpdir);
	snprintf(noexec, sizeof(noexec), "%s/noexec.sh", tmpdir);
	fd = open(noexec, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(run_cli(missing, log), 127);
	assert_true(log_has(log, "command not found"));
	assert_int_equal(run_cli(notexec, log), 126);
	assert_true(log_has(log, "Permission denied"));
	assert_int_equal(run_cli(nocmd, log), 2);
	assert_true(log_has(log, "no command given"));
	assert_int_equal(run_cli(badflag, log), 2);
	assert_true(log_has(log, "unknown option '--frobnicate'"));
	assert_int_equal(run_cli(badnum, log), 2);
	assert_true(log_has(log, "--top takes a number"));
	assert_int_equal(run_cli(badsub, log), 2);
	assert_true(log_has(log, "unknown command 'frob'"));
}

/* Without privileges: --mode bpf names the capabilities; the default falls back. */
static void test_no_privileges(void **state)
{
	char log[700];
	char *forced[] = {"/usr/bin/setpriv",
			  "--reuid=65534",
			  "--regid=65534",
			  "--clear-groups",
			  "--inh-caps=-all",
			  jobtrace,
			  "run",
			  "--mode",
			  "bpf",
			  "--",
			  "/bin/true",
			  NULL};
	char *fallback[] = {"/usr/bin/setpriv",
			    "--reuid=65534",
			    "--regid=65534",
			    "--clear-groups",
			    "--inh-caps=-all",
			    jobtrace,
			    "run",
			    "--",
			    "/bin/sh",
			    "-c",
			    "exit 4",
			    NULL};

	if (access(forced[0], X_OK) != 0)
		fail_msg("setpriv (util-linux) is needed for this test");
	snprintf(log, sizeof(log), "%s/log", tmpdir);
	assert_int_equal(run_cli(forced, log), 125);
	assert_true(log_has(log, "CAP_BPF"));
	assert_true(log_has(log, "CAP_PERFMON"));
	/*
	 * The default falls back and always runs the job: to proc mode where
	 * this kernel lets uid 65534 join the proc connector, else to rusage
	 * mode. Which one is the machine's answer, probed, not assumed
	 * (test_modes.c runs both branches on every machine).
	 */
	assert_int_equal(run_cli(fallback, log), 4);
	assert_true(log_has(log, "CAP_BPF"));
	assert_true(log_has(log, "falling back to proc mode"));
	if (harness__probe_connector(HARNESS_NOBODY, false) == 0)
		assert_false(log_has(log, "rusage mode"));
	else
		assert_true(log_has(log, "running the job in rusage mode"));
}

static int setup(void **state)
{
	const char *out = getenv("OUTPUT") ? getenv("OUTPUT") : ".output";
	char *probe[] = {jobtrace, "run", "--", "/bin/true", NULL};
	bool ci = getenv("CI") && !strcmp(getenv("CI"), "true");
	int st;

	snprintf(jobtrace, sizeof(jobtrace), "%s/jobtrace", out);
	snprintf(churn, sizeof(churn), "%s/churn", out);
	assert_non_null(mkdtemp(tmpdir));
	/* The probe below, and every run here, runs the job itself, never through a serve. */
	assert_int_equal(harness__no_serve(no_serve, sizeof(no_serve), tmpdir), 0);
	snprintf(report_path, sizeof(report_path), "%s/report.json", tmpdir);
	snprintf(truth_path, sizeof(truth_path), "%s/truth.json", tmpdir);

	st = spawn_wait(probe, NULL, NULL, true);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	/* A kernel test that cannot run is a failure, never a skip. */
	fprintf(stderr,
		"FAIL: jobtrace cannot load its BPF programs here (exit status %d): "
		"the kernel tests need root and a kernel with BTF%s\n",
		WIFEXITED(st) ? WEXITSTATUS(st) : -1, ci ? " (CI=true)" : "");
	return -1;
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
	    cmocka_unit_test(test_many_short_children),
	    cmocka_unit_test(test_compat_object),
	    cmocka_unit_test(test_orphans_outlive_root),
	    cmocka_unit_test(test_root_wall_within_tree),
	    cmocka_unit_test(test_no_wait_returns_at_root_exit),
	    cmocka_unit_test(test_exec_children),
	    cmocka_unit_test(test_threads_are_not_processes),
	    cmocka_unit_test(test_exec_from_a_thread),
	    cmocka_unit_test(test_exit_classes),
	    cmocka_unit_test(test_exit_records_say_whose),
	    cmocka_unit_test(test_exit_records_say_what_ran),
	    cmocka_unit_test(test_no_args),
	    cmocka_unit_test(test_peak_rss),
	    cmocka_unit_test(test_hostile_name_is_valid_json),
	    cmocka_unit_test(test_io_bytes),
	    cmocka_unit_test(test_live_members_and_workdir),
	    cmocka_unit_test(test_root_status_passes_through),
	    cmocka_unit_test(test_signal_is_forwarded),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_no_privileges),
	    cmocka_unit_test(test_lost_records_keep_totals),
	    cmocka_unit_test(test_no_btf),
	    cmocka_unit_test(test_json_report_own_line),
	};

	/* JT_TEST=PATTERN runs the matching tests only, to rerun one that failed. */
	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
