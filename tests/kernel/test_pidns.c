// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * jobtrace in a pid namespace (a container) and under pid reuse, against
 * truth the test knows: it made the namespace (so jobtrace is its pid 1 and
 * the command its pid 2), it forced a pid to be reused by writing
 * /proc/sys/kernel/ns_last_pid, and its workload chose each child's exit
 * status and CPU. Needs root and BPF; under CI=true a machine without them
 * fails the suite instead of skipping.
 *
 * This binary is its own workload: `test_pidns --reuse-workload TRUTH` forks
 * a child that burns 200 ms and exits 3, then makes the next child get the
 * same pid, burn 40 ms and exit 5, and writes "PID TRIES" to TRUTH.
 * `test_pidns --container-workload CGROUP_PROCS TRUTH LINGER_S` is a
 * container: see container_workload(). `test_pidns --host-workload PIDFILE
 * STOP` is a tree of the host that a namespace cannot see: see
 * host_workload().
 */

#include "harness.h"

#define WAIT_S 30 /* a deadline for hangs, never an assertion on speed */
#define REUSE_TRIES 1000 /* other forks on the host may take the pid first */

static char self[512];
static char report_path[600], events_path[600], truth_path[600], log_path[600];
static char stream_path[256];

static double mono_s(void)
{
	return (double)harness__mono_ns() / 1e9;
}

/* ---- the workload ---- */

static void burn_cpu_ms(long ms)
{
	struct timespec ts;

	do
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	while (ts.tv_sec * 1000L + ts.tv_nsec / 1000000L < ms);
}

/* The next fork in the writer's pid namespace gets @pid + 1 (if it is free). */
static int set_last_pid(pid_t pid)
{
	char buf[32];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	int n, ok;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	ok = write(fd, buf, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -EIO;
}

static int reuse_workload(const char *truth)
{
	pid_t a, b = -1;
	int tries = 0;
	FILE *f;

	a = fork();
	if (a == 0) {
		burn_cpu_ms(200);
		_exit(3);
	}
	if (a < 0 || waitpid(a, NULL, 0) != a)
		return 1;
	while (b != a && tries < REUSE_TRIES) {
		tries++;
		if (set_last_pid(a - 1))
			return 1;
		b = fork();
		if (b == 0) {
			if (getpid() != a)
				_exit(0); /* another fork took it: a miss, counted in TRIES */
			burn_cpu_ms(40);
			_exit(5);
		}
		if (b < 0 || waitpid(b, NULL, 0) != b)
			return 1;
	}
	f = fopen(truth, "w");
	if (!f)
		return 1;
	fprintf(f, "%d %d\n", (int)a, tries);
	fclose(f);
	return b == a ? 0 : 1;
}

/* Appends "HOST NS CODE" for this process to @truth, in one write. */
static int truth_line(const char *truth, int code)
{
	char self_link[32] = "", line[96];
	int fd = open(truth, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644), n, ok;

	/* The host's /proc (not remounted): its "self" is our number on the host. */
	if (fd < 0 || readlink("/proc/self", self_link, sizeof(self_link) - 1) <= 0)
		return -1;
	n = snprintf(line, sizeof(line), "%s %d %d\n", self_link, (int)getpid(), code);
	ok = write(fd, line, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -1;
}

/*
 * A container: moves itself into the cgroup whose cgroup.procs is @procs,
 * then makes a pid namespace. Its pid 1 forks two children that exit 7 and
 * 8 and itself exits 6. Each of the three writes to @truth, when it starts,
 * its host pid, its pid in the namespace and the status it will exit with,
 * and lingers before it ends (long enough for ps to see it): @linger
 * seconds, or, a path, until that file exists (60 s at most).
 */
static void linger(const char *how)
{
	if (how[0] != '/') {
		usleep((useconds_t)(atof(how) * 1e6));
		return;
	}
	for (int i = 0; i < 6000 && access(how, F_OK); i++)
		usleep(10000);
}

static int container_workload(const char *procs, const char *truth, const char *linger_how)
{
	char line[32];
	int fd, n, st;
	pid_t init, kids[2];

	fd = open(procs, O_WRONLY | O_CLOEXEC);
	n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		return 97;
	close(fd);
	if (unshare(CLONE_NEWPID))
		return 90;
	init = fork();
	if (init < 0)
		return 91;
	if (init == 0) {
		if (truth_line(truth, 6))
			_exit(92);
		for (int i = 0; i < 2; i++) {
			kids[i] = fork();
			if (kids[i] == 0) {
				if (truth_line(truth, 7 + i))
					_exit(92);
				linger(linger_how);
				_exit(7 + i);
			}
		}
		for (int i = 0; i < 2; i++)
			if (kids[i] < 0 || waitpid(kids[i], NULL, 0) != kids[i])
				_exit(93);
		linger(linger_how);
		_exit(6);
	}
	if (waitpid(init, &st, 0) != init || !WIFEXITED(st) || WEXITSTATUS(st) != 6)
		return 94;
	return 0;
}

/*
 * A tree of the host, outside any namespace the test makes: its own tree
 * (a double fork leaves it to init or the nearest subreaper, which start a
 * tree with each child), whose pid goes to @pidfile. It forks a child every
 * 20 ms that lives 500 ms, so that at every sample of a collector some of
 * its children live, until @stop exists or @pidfile is gone (the test's
 * directory removed), 60 s at most: a test that died leaves nothing
 * running for long.
 */
static int host_workload(const char *pidfile, const char *stop)
{
	char tmp[700], line[32];
	pid_t first = getpid(), mid;
	int fd, n;

	mid = fork();
	if (mid < 0)
		return 1;
	if (mid > 0)
		return 0;
	if (fork() != 0)
		_exit(0);
	/* Reparented first: a child forked before would be in the test's own tree. */
	while (getppid() == first || getppid() == mid)
		usleep(1000);
	snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
	n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n || close(fd) || rename(tmp, pidfile))
		_exit(1);
	for (int i = 0; i < 3000 && access(stop, F_OK) && !access(pidfile, F_OK); i++) {
		pid_t c = fork();

		if (c == 0) {
			usleep(500000);
			_exit(0);
		}
		usleep(20000);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (wait(NULL) > 0)
		;
	_exit(0);
}

/* ---- spawning, in a new pid namespace or not ---- */

/*
 * Runs @argv with its output in log_path: with @newns as pid 1 of a new pid
 * namespace. Returns the pid to wait for.
 */
static pid_t spawn(char *const argv[], bool newns)
{
	return harness__spawn_prep(argv, log_path, log_path, newns ? harness__enter_pid_ns : NULL, NULL);
}

/* Waits for @pid up to WAIT_S; a hang is killed and fails the test. */
static int wait_deadline(pid_t pid)
{
	return harness__wait_s(pid, WAIT_S);
}

static int run_wait(char *const argv[], bool newns, double *elapsed_s)
{
	double t0 = mono_s();
	int st = wait_deadline(spawn(argv, newns));

	if (elapsed_s)
		*elapsed_s = mono_s() - t0;
	return st;
}

/* ---- reading what jobtrace wrote ---- */

static void read_truth(pid_t *pid, int *tries)
{
	FILE *f = fopen(truth_path, "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d %d", pid, tries), 2);
	fclose(f);
}

/* ---- tests ---- */

/*
 * The reproduction: with --no-wait, run returns when its root does,
 * though a child outlives it, and says so.
 */
static void test_no_wait_in_pid_namespace(void **state)
{
	char *argv[] = { H.jobtrace, "run", "--no-wait", "--pss", "--json", "-o", report_path, "--",
			 "/bin/sh", "-c", "sleep 3 & exit 0", NULL };
	double elapsed;
	json_t *r, *job;
	int st;

	st = run_wait(argv, true, &elapsed);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	r = harness__json(report_path);
	job = json_object_get(r, "job");
	assert_int_equal(harness__num(r, "processes.outlived_root"), 1);
	/* The report was made while the sleep still ran: run did not wait for it. */
	assert_int_equal(harness__num(r, "processes.alive"), 1);
	assert_true(elapsed < WAIT_S);
	/* The live sleep's PSS, read from /proc by the number this namespace gives it. */
	assert_true(harness__num(r, "live.pss_bytes") > 0);
	/* jobtrace is the namespace's pid 1, its command pid 2; the host numbers it apart. */
	assert_int_equal(harness__num(job, "root_ns_pid"), 2);
	assert_true(harness__num(job, "root_pid") > 2);
	json_decref(r);
}

/* Intervals inside the namespace see the live members, their memory and files. */
static void test_intervals_in_pid_namespace(void **state)
{
	char *argv[] = { H.jobtrace, "run", "--interval", "0.3", "--json", "-o", report_path, "--",
			 "/bin/sh", "-c", "sleep 1.5 & exit 0", NULL };
	json_t *iv, *jobs, *rec;
	double exited = 0;
	bool saw_live = false;
	size_t i;
	int st;

	st = run_wait(argv, true, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	iv = harness__lines(report_path, "interval");
	jobs = harness__lines(report_path, "job");
	assert_true(json_array_size(iv) >= 3);
	json_array_foreach(iv, i, rec) {
		exited += harness__num(rec, "processes.exited");
		if (harness__num(rec, "processes.alive") >= 1 &&
		    harness__num(rec, "memory.rss_bytes") > 0 && harness__num(rec, "open_files") > 0)
			saw_live = true;
	}
	assert_true(saw_live);
	/* The intervals add up to the report: the root and the sleep. */
	assert_int_equal(exited, 2);
	assert_int_equal(json_array_size(jobs), 1);
	assert_int_equal(harness__num(json_array_get(jobs, 0), "processes.outlived_root"), 1);
	json_decref(iv);
	json_decref(jobs);
}

/* The two records that share @pid at @field ("pid" or "ns_pid"), in order of start. */
static void two_sharing(json_t *procs, const char *field, pid_t pid, json_t **first,
			json_t **second)
{
	json_t *rec;
	size_t i, n = 0;

	*first = *second = NULL;
	json_array_foreach(procs, i, rec) {
		json_t *v = json_object_get(rec, field);

		if (!json_is_integer(v) || json_integer_value(v) != pid)
			continue;
		n++;
		if (!*first)
			*first = rec;
		else
			*second = rec;
	}
	assert_int_equal(n, 2);
	if (harness__num(*first, "start_time") > harness__num(*second, "start_time")) {
		rec = *first;
		*first = *second;
		*second = rec;
	}
}

/* Two processes with one pid are two records, each with its own status and CPU. */
static void assert_kept_apart(json_t *a, json_t *b)
{
	assert_true(harness__num(b, "start_time") > harness__num(a, "start_time"));
	assert_int_equal(harness__num(a, "exit_code"), 3);
	assert_int_equal(harness__num(b, "exit_code"), 5);
	/* a burnt 200 ms of CPU, b 40 ms: merged, one of them would hold both. */
	assert_true(harness__num(a, "cpu.total_s") >= 0.2);
	assert_true(harness__num(b, "cpu.total_s") >= 0.04);
	assert_true(harness__num(b, "cpu.total_s") < 0.15);
	assert_int_equal(harness__num(a, "ppid"), harness__num(b, "ppid"));
}

static void test_pid_reuse_in_pid_namespace(void **state)
{
	char *argv[] = { H.jobtrace, "run", "--json", "-o", report_path, "--events", events_path,
			 "--", self, "--reuse-workload", truth_path, NULL };
	json_t *procs, *a, *b, *r;
	pid_t pid;
	int st, tries;

	st = run_wait(argv, true, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	read_truth(&pid, &tries);
	procs = harness__lines(events_path, "exit");
	two_sharing(procs, "ns_pid", pid, &a, &b);
	assert_kept_apart(a, b);
	/* In the namespace they shared a number; the host gave them two. */
	assert_true(harness__num(a, "pid") != harness__num(b, "pid"));
	r = harness__json(report_path);
	assert_int_equal(harness__num(r, "processes.exit_error"), 2);
	assert_int_equal(harness__num(r, "processes.started"), tries + 2);
	assert_int_equal(harness__num(r, "processes.exited"), tries + 2);
	json_decref(r);
	json_decref(procs);
}

static void test_pid_reuse_on_host(void **state)
{
	char *argv[] = { H.jobtrace, "run", "--json", "-o", report_path, "--events", events_path,
			 "--", self, "--reuse-workload", truth_path, NULL };
	json_t *procs, *a, *b, *r;
	pid_t pid;
	int st, tries;

	st = run_wait(argv, false, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	read_truth(&pid, &tries);
	procs = harness__lines(events_path, "exit");
	two_sharing(procs, "pid", pid, &a, &b);
	assert_kept_apart(a, b);
	assert_null(json_object_get(a, "ns_pid"));
	r = harness__json(report_path);
	assert_int_equal(harness__num(r, "processes.exit_error"), 2);
	assert_int_equal(harness__num(r, "processes.exited"), harness__num(r, "processes.started"));
	json_decref(r);
	json_decref(procs);
}

/*
 * The probe: a member ends, an unrelated long process takes its pid;
 * run must end with its own tree, not with the stranger. False when the
 * test could not give the member's pid to its stranger: another process of
 * the host took it first (a churning neighbour's long-lived child holds it
 * for good), and the probe is to be made again with another member.
 */
static bool reused_pid_try(const char *mode)
{
	char pidfile[700], script[2560];
	char *argv[] = { H.jobtrace, "run", "--mode", (char *)mode, "--json", "-o", report_path,
			 "--", "/bin/sh", "-c", script, NULL };
	double t0, elapsed, end;
	pid_t run, member = 0, stranger = -1;
	json_t *r;
	int st, tries = 0;

	harness__path(pidfile, sizeof(pidfile), "member.pid");
	snprintf(script, sizeof(script), "sh -c 'echo $$ > %s.tmp; mv %s.tmp %s'; sleep 2", pidfile,
		 pidfile, pidfile);
	t0 = mono_s();
	run = spawn(argv, false);
	for (end = t0 + WAIT_S; !member && mono_s() < end; usleep(5000)) {
		FILE *f = fopen(pidfile, "r");

		if (f) {
			if (fscanf(f, "%d", &member) != 1)
				member = 0;
			fclose(f);
		}
	}
	assert_true(member > 0);
	/* Reaped by the root: its pid is free for anyone. */
	while (kill(member, 0) == 0 && mono_s() < end)
		usleep(2000);
	while (stranger != member && tries++ < REUSE_TRIES) {
		assert_int_equal(set_last_pid(member - 1), 0);
		stranger = fork();
		assert_true(stranger >= 0);
		if (stranger == 0) {
			execl("/bin/sleep", "sleep", "20", (char *)NULL);
			_exit(99);
		}
		if (stranger != member) {
			kill(stranger, SIGKILL);
			waitpid(stranger, NULL, 0);
		}
	}
	st = wait_deadline(run);
	elapsed = mono_s() - t0;
	if (stranger == member) {
		kill(stranger, SIGKILL);
		waitpid(stranger, NULL, 0);
	}
	if (stranger != member) {
		fprintf(stderr, "pid %d went to another process of the host %d times of %d: "
				"again with another\n", (int)member, tries - 1, REUSE_TRIES);
		return false;
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* The tree lasts 2 s; the stranger 20 s. */
	assert_true(elapsed < 15.0);
	r = harness__json(report_path);
	/* sh, its child sh, mv and sleep: not the stranger. */
	assert_int_equal(harness__num(r, "processes.started"), 4);
	assert_int_equal(harness__num(r, "processes.exited"), 4);
	assert_int_equal(harness__num(r, "processes.alive"), 0);
	json_decref(r);
	return true;
}

static void reused_pid_does_not_hold(const char *mode)
{
	int tries = 0;

	while (!reused_pid_try(mode))
		if (++tries == 3)
			fail_msg("3 members' pids in a row went to other processes of the host");
}

static void test_reused_pid_does_not_hold_bpf(void **state)
{
	reused_pid_does_not_hold("bpf");
}

static void test_reused_pid_does_not_hold_proc(void **state)
{
	reused_pid_does_not_hold("proc");
}

/* watch --pid takes the namespace's number and reports the host's beside it. */
static void test_watch_pid_in_pid_namespace(void **state)
{
	char script[2048], go[640];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	json_t *jobs, *job;
	pid_t pid;
	int st;

	/*
	 * exec: jobtrace becomes the namespace's pid 1; the watched shell is
	 * pid 2. The shell waits for the test to see watch attached: a watch
	 * that takes longer to load than its job lives (a loaded machine) finds
	 * the job over, and its children never seen.
	 */
	snprintf(go, sizeof(go), "%s/go", H.tmpdir);
	unlink(go);
	snprintf(script, sizeof(script),
		 "sh -c 'while [ ! -e %s ]; do sleep 0.05; done; sh -c \"exit 6\"; exit 5' & "
		 "exec %s watch --pid $! --json -o %s",
		 go, H.jobtrace, report_path);
	pid = spawn(argv, true);
	if (harness__wait_text(log_path, "attached: watching", WAIT_S * 1000) < 0)
		fail_msg("watch never said it attached: %s", harness__slurp(log_path));
	assert_int_equal(close(open(go, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
	st = wait_deadline(pid);
	assert_true(WIFEXITED(st));
	/* watch exits with its job's status, as run: the watched shell's 5. */
	assert_int_equal(WEXITSTATUS(st), 5);
	jobs = harness__lines(report_path, "job");
	assert_int_equal(json_array_size(jobs), 1);
	job = json_array_get(jobs, 0);
	assert_int_equal(harness__num(job, "job.root_ns_pid"), 2);
	assert_true(harness__num(job, "job.root_pid") > 2);
	assert_int_equal(harness__num(job, "job.exit_code"), 5);
	/* The shell's 5 and its child's 6, both after the attach. */
	assert_int_equal(harness__num(job, "processes.exit_error"), 2);
	json_decref(jobs);
}

/* The proc connector is silent in a pid namespace: proc mode says so, not "0 processes". */
static void test_proc_mode_refused_in_pid_namespace(void **state)
{
	char *argv[] = { H.jobtrace, "run", "--mode", "proc", "--", "/bin/true", NULL };
	int st = run_wait(argv, true, NULL);

	assert_true(WIFEXITED(st));
	assert_int_not_equal(WEXITSTATUS(st), 0);
	assert_true(harness__has(log_path, "proc mode cannot work in a pid or user namespace"));
}

/* Processes that came into a record's job (or interval), and that left it. */
static double came_in(json_t *rec)
{
	return harness__num(rec, "processes.started") +
	       harness__num(rec, "processes.existing_at_attach") +
	       harness__num(rec, "processes.moved_in");
}

static double went_out(json_t *rec)
{
	return harness__num(rec, "processes.exited") + harness__num(rec, "processes.moved_out");
}

/*
 * What must hold whatever was lost: no more processes gone than ever came,
 * none alive below 0, at most as many alive at once as came. A job record
 * is checked alone; intervals, which count what happened in them, by their
 * running sum per job (@sums: key -> [came, went], cleared at the job's
 * record), which adds up to the report.
 */
static void assert_counts_possible(json_t *rec, json_t *sums, int round)
{
	bool job = !strcmp(harness__str(rec, "type"), "job");
	const char *key = job ? harness__str(rec, "job.key") : harness__str(rec, "job");
	json_t *sum = json_object_get(sums, key);
	double in = came_in(rec), out = went_out(rec);
	bool ok;

	if (!sum) {
		sum = json_pack("[ff]", 0.0, 0.0);
		json_object_set_new(sums, key, sum);
	}
	if (job) {
		ok = in >= out && harness__num(rec, "processes.alive") >= 0 &&
		     harness__num(rec, "processes.max_alive") <= in;
		json_object_del(sums, key);
	} else {
		in += json_real_value(json_array_get(sum, 0));
		out += json_real_value(json_array_get(sum, 1));
		json_array_set_new(sum, 0, json_real(in));
		json_array_set_new(sum, 1, json_real(out));
		ok = in >= out;
	}
	if (!ok)
		fail_msg("round %d: counts that cannot be (%.0f came, %.0f gone so far): %.600s",
			 round, in, out, json_dumps(rec, JSON_COMPACT));
}

/* "incomplete" of @rec holds @reason. */
static bool says_incomplete(json_t *rec, const char *reason)
{
	json_t *why = json_object_get(rec, "incomplete"), *v;
	size_t i;

	json_array_foreach(why, i, v)
		if (!strcmp(json_string_value(v) ?: "", reason))
			return true;
	return false;
}

/*
 * Starts host_workload() (in cgroup @cg where not NULL), its pid in @pidfile,
 * until @stop is made; returns the pid of its tree's root.
 */
static pid_t host_tree_start(char *pidfile, char *stop, const char *cg)
{
	char *wl[] = { self, "--host-workload", pidfile, stop, NULL };
	pid_t host_tree = 0;
	double end;
	int st;

	st = wait_deadline(cg ? harness__cgroup_spawn(cg, wl, NULL, NULL) :
				harness__spawn(wl, NULL, NULL));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	for (end = mono_s() + WAIT_S; !host_tree && mono_s() < end; usleep(5000)) {
		FILE *f = fopen(pidfile, "r");

		if (f) {
			if (fscanf(f, "%d", &host_tree) != 1)
				host_tree = 0;
			fclose(f);
		}
	}
	assert_true(host_tree > 0);
	return host_tree;
}

/*
 * test_schema's test_lost_records inside a pid namespace, with a tree of
 * the host beside it that the namespace cannot see: watch --all by tree
 * with a 4 KiB ring, stopped while a churn in the namespace forks 3000
 * children, then let go. The tracepoints see the host's tree; the task
 * iterators, which walk only the reader's namespace, do not. No record may
 * count more exits than starts, the host's tree is one job until watch
 * ends (never called over while its children live), and its records say
 * what the namespace hides instead of "complete".
 */
static void test_host_mode_in_pid_namespace(void **state)
{
	char pidfile[700], stop[700], lines[700], err[700], script[4096], key[64];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	pid_t host_tree = 0;
	double end;
	int st;

	harness__path(pidfile, sizeof(pidfile), "host-tree.pid");
	harness__path(stop, sizeof(stop), "host-tree.stop");
	harness__path(lines, sizeof(lines), "host.jsonl");
	harness__path(err, sizeof(err), "host.err");
	host_tree = host_tree_start(pidfile, stop, NULL);
	snprintf(key, sizeof(key), "tree:%d", (int)host_tree);
	/* The namespace's pid 1 is this shell; watch, churn and all it runs live in it. */
	snprintf(script, sizeof(script),
		 "%s watch --all --group-by tree --ring-kb 4 --json -i 0.2 -o %s 2>%s & w=$!; "
		 "i=0; until grep -q attached %s; do i=$((i+1)); [ $i -lt 600 ] || exit 3; "
		 "sleep 0.05; done; "
		 "kill -STOP $w; %s --children 3000 >/dev/null || exit 4; kill -CONT $w; "
		 "sleep 1.5; kill -TERM $w; wait $w",
		 H.jobtrace, lines, err, err, H.churn);
	for (int round = 0; round < 3; round++) {
		json_t *recs, *rec, *sums = json_object();
		size_t i, host_jobs = 0;

		st = run_wait(argv, true, NULL);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail_msg("round %d: status %d: %s", round, st, harness__slurp(err));
		recs = harness__lines(lines, NULL);
		json_array_foreach(recs, i, rec) {
			const char *type = json_string_value(json_object_get(rec, "type")) ?: "";
			bool job = !strcmp(type, "job");

			if (!job && strcmp(type, "interval"))
				continue;
			assert_counts_possible(rec, sums, round);
			if (strcmp(harness__str(rec, job ? "job.key" : "job"), key))
				continue;
			/* Its tree ran before the attach, outside: not all of it is counted. */
			if (json_is_true(json_object_get(rec, "complete")) ||
			    !says_incomplete(rec, "outside_pid_namespace"))
				fail_msg("round %d: the host's tree called complete: %.600s", round,
					 json_dumps(rec, JSON_COMPACT));
			host_jobs += job;
		}
		/* Ended once, by watch's own end: its children lived all along. */
		if (host_jobs != 1)
			fail_msg("round %d: the host's tree %s ended %zu times, not once", round,
				 key, host_jobs);
		json_decref(sums);
		json_decref(recs);
	}
	assert_int_equal(close(open(stop, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
	for (end = mono_s() + WAIT_S; kill(host_tree, 0) == 0 && mono_s() < end;)
		usleep(10000);
}

/*
 * watch --all's line of a job (text: a line a job) says "running" or
 * "ended" as the job's report does: of the host's tree, whose children
 * (forked on the host after the attach, each alive 0.5 s) no live read in
 * the namespace sees but the kernel counts alive, "running" at watch's
 * stop, where its JSON record of the same stop has processes alive. It
 * said "ended", asking the live read alone.
 */
static void test_host_mode_line_running_in_pid_namespace(void **state)
{
	char pidfile[700], stop[700], text[700], lines[700], err[700], script[8192], want[96];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	const char *out, *line;
	json_t *recs, *rec, *mine = NULL;
	pid_t host_tree = 0;
	size_t i;
	double end;
	int st;

	harness__path(pidfile, sizeof(pidfile), "line-tree.pid");
	harness__path(stop, sizeof(stop), "line-tree.stop");
	harness__path(text, sizeof(text), "line.txt");
	harness__path(lines, sizeof(lines), "line.jsonl");
	harness__path(err, sizeof(err), "line.err");
	host_tree = host_tree_start(pidfile, stop, NULL);
	/*
	 * Both attached, the host's tree forks on for a second; then both
	 * stop. A process of the namespace holds the number the host gives
	 * the tree's root (the namespace numbers its own from 1): jobtrace
	 * read the name of the job's root from /proc by that number, which
	 * in the namespace is another process, and named the host's tree
	 * after it ("tree:PID:sleep"), or after whatever held that number
	 * when each watch named it: one watch's line was of another key
	 * than the other's record (a full make test, once).
	 */
	snprintf(script, sizeof(script),
		 "echo %d > /proc/sys/kernel/ns_last_pid || exit 6; sleep 30 & s=$!; "
		 "[ $s = %d ] || exit 7; "
		 "%s watch --all --group-by tree -o %s 2>%s.t & t=$!; "
		 "%s watch --all --group-by tree --json -o %s 2>%s.j & j=$!; "
		 "i=0; until grep -q attached %s.t && grep -q attached %s.j; do "
		 "i=$((i+1)); [ $i -lt 600 ] || exit 3; sleep 0.05; done; "
		 "sleep 1; kill -TERM $t $j; wait $t || exit 4; wait $j || exit 5; kill $s",
		 (int)host_tree - 1, (int)host_tree, H.jobtrace, text, err, H.jobtrace, lines, err,
		 err, err);
	st = run_wait(argv, true, NULL);
	assert_int_equal(close(open(stop, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("status %d", st);
	recs = harness__lines(lines, "job");
	snprintf(want, sizeof(want), "tree:%d", (int)host_tree);
	json_array_foreach(recs, i, rec)
		if (!strcmp(harness__str(rec, "job.key"), want))
			mine = rec;
	assert_non_null(mine);
	assert_true(says_incomplete(mine, "outside_pid_namespace"));
	assert_true(harness__num(mine, "processes.alive") > 0);
	out = harness__slurp(text);
	snprintf(want, sizeof(want), "jobtrace: tree:%d: ", (int)host_tree);
	line = strstr(out, want);
	/*
	 * Seen twice in a full make test at load (the second in CI: the file
	 * held watch's two notices and no job's line at all), never alone:
	 * what watch wrote, whole, to know why. To stderr: cmocka cuts its
	 * messages at 1 KiB, which left the second one's stderr unread.
	 */
	if (!line) {
		char err_t[720];

		snprintf(err_t, sizeof(err_t), "%s.t", err);
		fprintf(stderr,
			"no line of tree:%d in watch's text output (%s):\n%s\nits JSON "
			"record: %s\nits stderr:\n%s\n",
			(int)host_tree, text, out, json_dumps(mine, JSON_COMPACT),
			harness__slurp(err_t));
		fail_msg("no line of tree:%d in watch's text output (the whole above)",
			 (int)host_tree);
	}
	print_message("  %.*s\n", (int)strcspn(line, "\n"), line);
	assert_true(!strncmp(line + strlen(want), "running, ", 9));
	json_decref(recs);
	for (end = mono_s() + WAIT_S; kill(host_tree, 0) == 0 && mono_s() < end;)
		usleep(10000);
}

/*
 * watch --cgroup in a pid namespace, of a cgroup whose processes are the
 * host's: the attach walks the namespace's tasks alone and never found
 * the host's tree in it, so the children it forked there after the
 * attach (each alive 0.5 s) were lost: 0 started, where watch --all
 * counted them. They are the cgroup's job's now, and it says it is not
 * whole (outside_pid_namespace).
 */
static void test_watch_cgroup_outside_pid_namespace(void **state)
{
	char pidfile[700], stop[700], lines[700], err[700], script[8192], cg[64], path[512];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	json_t *recs, *rec, *mine = NULL;
	pid_t host_tree = 0;
	size_t i;
	double end;
	int st;

	snprintf(cg, sizeof(cg), "jt-pidns-cg-%d", (int)getpid());
	harness__cgroup_make(cg);
	harness__cgroup_path(path, sizeof(path), cg, NULL);
	harness__path(pidfile, sizeof(pidfile), "cg-tree.pid");
	harness__path(stop, sizeof(stop), "cg-tree.stop");
	harness__path(lines, sizeof(lines), "cg.jsonl");
	harness__path(err, sizeof(err), "cg.err");
	host_tree = host_tree_start(pidfile, stop, cg);
	snprintf(script, sizeof(script),
		 "%s watch --cgroup %s --json -o %s 2>%s & w=$!; "
		 "i=0; until grep -q attached %s; do i=$((i+1)); [ $i -lt 600 ] || exit 3; "
		 "sleep 0.05; done; sleep 1; kill -TERM $w; wait $w || exit 4",
		 H.jobtrace, path, lines, err, err);
	st = run_wait(argv, true, NULL);
	assert_int_equal(close(open(stop, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("status %d: %s", st, harness__slurp(err));
	recs = harness__lines(lines, "job");
	json_array_foreach(recs, i, rec)
		mine = rec;
	assert_non_null(mine);
	print_message("  %s: %g started, %g alive, complete %s\n", harness__str(mine, "job.key"),
		      harness__num(mine, "processes.started"), harness__num(mine, "processes.alive"),
		      json_is_true(json_object_get(mine, "complete")) ? "true" : "false");
	/* A child every 20 ms for the second it watched. */
	assert_true(harness__num(mine, "processes.started") >= 10);
	assert_false(json_is_true(json_object_get(mine, "complete")));
	assert_true(says_incomplete(mine, "outside_pid_namespace"));
	json_decref(recs);
	for (end = mono_s() + WAIT_S; kill(host_tree, 0) == 0 && mono_s() < end;)
		usleep(10000);
	harness__cgroup_remove(cg);
}

/* ---- containers: a pid namespace in a cgroup of the test's own ---- */

struct ctruth {
	int host, ns, code;
};

/* The container workload's truth: its three processes. */
static size_t load_ctruth(struct ctruth *t, size_t max)
{
	FILE *f = fopen(truth_path, "r");
	size_t n = 0;

	if (!f)
		return 0;
	while (n < max && fscanf(f, "%d %d %d", &t[n].host, &t[n].ns, &t[n].code) == 3)
		n++;
	fclose(f);
	return n;
}

/* Makes v2 cgroup @name afresh: its cgroup.procs in @procs, its kernfs id returned. */
static __u64 cgroup_make(const char *name, char *procs, size_t size)
{
	harness__cgroup_path(procs, size, name, "cgroup.procs");
	return harness__cgroup_make(name);
}

/* The record of @array whose @field is @value; fails when there is none or several. */
static json_t *only_with(json_t *array, const char *field, long value)
{
	json_t *rec, *found = NULL;
	size_t i, n = 0;

	json_array_foreach(array, i, rec) {
		json_t *v = json_object_get(rec, field);

		if (json_is_integer(v) && json_integer_value(v) == value) {
			found = rec;
			n++;
		}
	}
	if (n != 1)
		fail_msg("%zu records with %s %ld, not 1", n, field, value);
	return found;
}

/* A container's process as a record shows it: host pid, its own, its cgroup. */
static void assert_placed(json_t *rec, const struct ctruth *t, const char *cg_path, __u64 cgid)
{
	assert_int_equal(harness__num(rec, "ns_pid"), t->ns);
	assert_string_equal(json_string_value(json_object_get(rec, "cgroup")) ?: "(null)",
			    cg_path);
	assert_int_equal(harness__num(rec, "cgroup_id"), cgid);
}

/* Starts @argv with standard output to @out, standard error to its own @name.err. */
static pid_t spawn_to(char *const argv[], const char *out, const char *name)
{
	char err[600];

	snprintf(err, sizeof(err), "%s/%s.err", H.tmpdir, name);
	return harness__spawn(argv, out, err);
}

/*
 * run on the host, its command a container: every process of the namespace
 * has a record with the host's pid, the namespace's pid and the cgroup the
 * test made, by path and by id.
 */
static void container_run_events(const char *mode)
{
	char name[64], cg_path[80], procs[600];
	char *argv[] = { H.jobtrace, "run", "--mode", (char *)mode, "--json", "-o", report_path,
			 "--events", events_path, "--", self, "--container-workload", procs,
			 truth_path, "0.3", NULL };
	struct ctruth t[4];
	json_t *recs, *rec, *root = NULL;
	size_t i, n;
	__u64 cgid;
	int st;

	snprintf(name, sizeof(name), "jt-test-pidns-%d-%s", getpid(), mode);
	snprintf(cg_path, sizeof(cg_path), "/%s", name);
	cgid = cgroup_make(name, procs, sizeof(procs));
	unlink(truth_path);
	st = run_wait(argv, false, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	n = load_ctruth(t, 4);
	assert_int_equal(n, 3);
	recs = harness__lines(events_path, "exit");
	for (i = 0; i < n; i++) {
		rec = only_with(recs, "pid", t[i].host);
		assert_true(t[i].host != t[i].ns);
		assert_int_equal(harness__num(rec, "exit_code"), t[i].code);
		assert_placed(rec, &t[i], cg_path, cgid);
	}
	/* The namespace's pid 1 and its two children, numbered there from 1. */
	assert_int_equal(t[0].ns, 1);
	/* The command itself lives on the host (no ns_pid); it moved in after its fork. */
	json_array_foreach(recs, i, rec)
		if (json_is_true(json_object_get(rec, "is_root")))
			root = rec;
	assert_non_null(root);
	assert_null(json_object_get(root, "ns_pid"));
	if (!strcmp(mode, "bpf"))
		assert_string_equal(json_string_value(json_object_get(root, "cgroup")) ?: "(null)",
				    cg_path);
	json_decref(recs);
	harness__cgroup_remove(name);
}

static void test_container_run_events_bpf(void **state)
{
	container_run_events("bpf");
}

/* proc mode on the host: NSpid of /proc/PID/status and /proc/PID/cgroup give the same. */
static void test_container_run_events_proc(void **state)
{
	container_run_events("proc");
}

/* ps shows a container's processes with their own pids beside the host's, from both sources. */
static void test_ps_shows_ns_pid(void **state)
{
	char name[64], procs[600], pidarg[16], out[700], want[64], done[640];
	char *wl[] = { self, "--container-workload", procs, truth_path, done, NULL };
	char *ps_iter[] = { H.jobtrace, "ps", "--json", "--no-pin", "--pid", pidarg, NULL };
	char *ps_proc[] = { H.jobtrace, "ps", "--json", "--proc", "--pid", pidarg, NULL };
	char *ps_text[] = { H.jobtrace, "ps", "--no-pin", "--pid", pidarg, NULL };
	char **variants[] = { ps_iter, ps_proc };
	struct ctruth t[4];
	double end = mono_s() + WAIT_S;
	pid_t w;
	size_t n = 0;
	int st;

	snprintf(name, sizeof(name), "jt-test-pidns-%d-ps", getpid());
	cgroup_make(name, procs, sizeof(procs));
	harness__path(out, sizeof(out), "ps.out");
	/* Its processes live until the three ps have run: each loads BPF, slow on a loaded host. */
	harness__path(done, sizeof(done), "ps.done");
	unlink(done);
	unlink(truth_path);
	w = spawn_to(wl, "/dev/null", "workload");
	while ((n = load_ctruth(t, 4)) < 3 && mono_s() < end)
		usleep(10000);
	assert_int_equal(n, 3);
	snprintf(pidarg, sizeof(pidarg), "%d", t[0].host);
	for (size_t v = 0; v < 2; v++) {
		json_t *all;

		st = wait_deadline(spawn_to(variants[v], out, "ps"));
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
		all = harness__json(out);
		for (size_t i = 0; i < n; i++) {
			json_t *rec = only_with(all, "pid", t[i].host);

			assert_int_equal(harness__num(rec, "ns_pid"), t[i].ns);
		}
		json_decref(all);
	}
	st = wait_deadline(spawn_to(ps_text, out, "ps"));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(harness__slurp(out)[0] != '\0');
	snprintf(want, sizeof(want), "[ns pid %d]", t[2].ns);
	assert_true(harness__has(out, want));
	assert_int_equal(close(open(done, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
	st = wait_deadline(w);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	harness__cgroup_remove(name);
}

/*
 * serve --stream in host mode by v2 cgroups, read by tail --json: a
 * container's fork and exit records carry its pids there and its cgroup.
 */
static void test_stream_records_in_container(void **state)
{
	char name[64], cg_path[80], procs[600], out[700], key[100];
	char *serve_argv[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", "--stream",
			       stream_path, NULL };
	char *tail_argv[] = { H.jobtrace, "tail", "--json", "--until-closed", "--stream",
			      stream_path, NULL };
	char *wl[] = { self, "--container-workload", procs, truth_path, "0.2", NULL };
	const char *types[] = { "fork", "exit" };
	struct ctruth t[4];
	pid_t serve, tail;
	__u64 cgid;
	size_t n;
	int st;

	snprintf(name, sizeof(name), "jt-test-pidns-%d-stream", getpid());
	snprintf(cg_path, sizeof(cg_path), "/%s", name);
	snprintf(key, sizeof(key), "cgroup:%s", cg_path);
	harness__path(out, sizeof(out), "tail.jsonl");
	cgid = cgroup_make(name, procs, sizeof(procs));
	unlink(truth_path);
	unlink(stream_path);
	serve = spawn_to(serve_argv, "/dev/null", "serve");
	for (int i = 0; i < 1000 && access(stream_path, R_OK); i++)
		usleep(10000);
	assert_int_equal(access(stream_path, R_OK), 0);
	tail = spawn_to(tail_argv, out, "tail");
	usleep(300000); /* it has opened the stream */
	st = wait_deadline(spawn_to(wl, "/dev/null", "workload"));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	usleep(1000000); /* a few collector passes */
	kill(serve, SIGTERM);
	st = wait_deadline(serve);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = wait_deadline(tail);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	n = load_ctruth(t, 4);
	assert_int_equal(n, 3);
	for (size_t k = 0; k < 2; k++) {
		json_t *recs = harness__lines(out, types[k]);

		for (size_t i = 0; i < n; i++) {
			json_t *rec = only_with(recs, "pid", t[i].host);

			assert_string_equal(json_string_value(json_object_get(rec, "job")), key);
			assert_int_equal(harness__num(rec, "cgroup_hierarchy"), 0);
			assert_placed(rec, &t[i], cg_path, cgid);
		}
		json_decref(recs);
	}
	harness__cgroup_remove(name);
}

static int setup(void **state)
{
	char *probe[] = { H.jobtrace, "run", "--mode", "bpf", "--", "/bin/true", NULL };
	ssize_t n;
	int st;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_int_equal(harness__setup("pidns"), 0);
	snprintf(report_path, sizeof(report_path), "%s/report.json", H.tmpdir);
	snprintf(events_path, sizeof(events_path), "%s/events.jsonl", H.tmpdir);
	snprintf(truth_path, sizeof(truth_path), "%s/truth", H.tmpdir);
	snprintf(log_path, sizeof(log_path), "%s/log", H.tmpdir);
	snprintf(stream_path, sizeof(stream_path), "/dev/shm/jt-test-pidns-%d", getpid());
	if (!harness__cgroup2_root()) {
		fprintf(stderr, "FAIL: no cgroup2 filesystem is mounted: the container tests "
				"need one\n");
		return -1;
	}

	st = run_wait(probe, true, NULL);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	/* A kernel test that cannot run is a failure, never a skip. */
	fprintf(stderr, "FAIL: jobtrace cannot load its BPF programs in a new pid namespace (exit "
			"status %d): these tests need root and a kernel with BTF%s\n",
		WIFEXITED(st) ? WEXITSTATUS(st) : -1, H.ci ? " (CI=true)" : "");
	return -1;
}

static int teardown(void **state)
{
	char lock[300];

	unlink(stream_path);
	snprintf(lock, sizeof(lock), "%s.lock", stream_path);
	unlink(lock);
	return harness__teardown();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_wait_in_pid_namespace),
		cmocka_unit_test(test_intervals_in_pid_namespace),
		cmocka_unit_test(test_pid_reuse_in_pid_namespace),
		cmocka_unit_test(test_pid_reuse_on_host),
		cmocka_unit_test(test_reused_pid_does_not_hold_bpf),
		cmocka_unit_test(test_reused_pid_does_not_hold_proc),
		cmocka_unit_test(test_watch_pid_in_pid_namespace),
		cmocka_unit_test(test_proc_mode_refused_in_pid_namespace),
		cmocka_unit_test(test_host_mode_in_pid_namespace),
		cmocka_unit_test(test_host_mode_line_running_in_pid_namespace),
		cmocka_unit_test(test_watch_cgroup_outside_pid_namespace),
		cmocka_unit_test(test_container_run_events_bpf),
		cmocka_unit_test(test_container_run_events_proc),
		cmocka_unit_test(test_ps_shows_ns_pid),
		cmocka_unit_test(test_stream_records_in_container),
	};

	if (argc == 3 && !strcmp(argv[1], "--reuse-workload"))
		return reuse_workload(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "--host-workload"))
		return host_workload(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "--container-workload"))
		return container_workload(argv[2], argv[3], argv[4]);
	/* JT_TEST=PATTERN runs the matching tests only, to rerun one that failed. */
	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
