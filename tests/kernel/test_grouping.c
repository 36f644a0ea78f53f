// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `watch --all --group-by session` and `--group-by user`: a job per kernel
 * session, or per real uid, against truth the test knows. It makes its own
 * sessions (a child that calls setsid(2) and forks workers that end with
 * chosen statuses; one process that calls setsid mid-run after using CPU;
 * a session running before the attach) and its own users (uids nothing
 * else on the host has, entered by setuid, setreuid and setresuid), reaps
 * them, and holds each job to exactly those processes, their statuses and
 * their CPU: getrusage() of what it reaped, less what each mover ran
 * before its move (its own thread clock, the kernel's sum_exec_runtime),
 * which belongs to the job it left.
 * Needs root and BPF; a machine without them fails the suite.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "testutil.h"
#include "harness.h"

#define WAIT_S 60 /* waits only: generous, never an assertion on speed */
#define NWORKERS 4
/*
 * CPU against getrusage: 1 %, as run's tests hold a job to, with 1 ms of
 * room for what falls between a setsid caller's clock read and the hook
 * (the setsid syscall itself, microseconds).
 */
#define CPU_PCT 1.0
#define CPU_SLACK_NS 1000000.0

/* Exit codes of session A's workers; -1: killed by SIGTERM. */
static const int worker_exit[NWORKERS] = { 0, 3, -1, 0 };
#define LEADER_EXIT 2 /* session A's leader */
#define MOVER_EXIT 5

/* What the test's children tell it, in memory they share. */
struct truth {
	unsigned long long before_ns; /* a setsid caller's CPU before its setsid */
	unsigned long long mover_before_ns;
	unsigned long long mover_total_ns; /* the mover's CPU, as its reaper's getrusage says */
	unsigned long long burn_ns; /* the attach test's worker: its CPU after the release */
	unsigned long long second_before_ns; /* the user test's mover, before its second move */
	pid_t workers[NWORKERS];
	pid_t mover;
	int bad; /* a child saw something other than what it made */
};

static struct truth *T;

static unsigned long long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void burn_ms(int ms)
{
	unsigned long long end = thread_cpu_ns() + (unsigned long long)ms * 1000000ULL;

	while (thread_cpu_ns() < end)
		;
}

/* The CPU of every child reaped so far (getrusage's user + system), in ns. */
static unsigned long long children_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return ((unsigned long long)ru.ru_utime.tv_sec + (unsigned long long)ru.ru_stime.tv_sec) *
		       1000000000ULL +
	       ((unsigned long long)ru.ru_utime.tv_usec + (unsigned long long)ru.ru_stime.tv_usec) *
		       1000ULL;
}

/* A child that starts a session: its CPU so far is the old session's. */
static void start_session(unsigned long long *before_ns)
{
	*before_ns = thread_cpu_ns();
	if (setsid() < 0)
		_exit(90);
}

/* ---- the watcher ---- */

struct watcher {
	pid_t pid;
	char out[600], events[600], err[600];
};

/*
 * Room for a job per session or user of a busy host: a host holding more
 * sessions than the default 4,096 (another workload's thousands of
 * setsid children) filled the job map, and the test's own sessions went
 * untracked. The limit's own behaviour is test_limits'.
 */
static void watcher_start(struct watcher *w, const char *group_by)
{
	char *argv[] = { H.jobtrace, "watch",	 "--all",  "--group-by", (char *)group_by,
			 "--json",   "-o",	 w->out,   "--events",	 w->events,
			 "--max-jobs", "65536", NULL };
	char said[64];

	harness__path(w->out, sizeof(w->out), "watch.out");
	harness__path(w->events, sizeof(w->events), "watch.events");
	harness__path(w->err, sizeof(w->err), "watch.err");
	w->pid = harness__spawn(argv, NULL, w->err);
	if (harness__wait_text(w->err, "jobtrace: attached", WAIT_S * 1000) < 0)
		fail_msg("jobtrace watch never said it was attached; it said: %s",
			 harness__slurp(w->err));
	snprintf(said, sizeof(said), "grouped by %s", group_by);
	if (!harness__has(w->err, said))
		fail_msg("watch did not say it groups by %s: %s", group_by, harness__slurp(w->err));
}

/* Waits for each of the jobs @kind:@ids to be reported (they ended), then stops watch. */
static void watcher_stop(struct watcher *w, const char *kind, const unsigned int *ids, int n)
{
	char key[64];
	int st;

	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "\"key\":\"%s:%u\"", kind, ids[i]);
		if (harness__wait_text(w->out, key, WAIT_S * 1000) < 0)
			fail_msg("no job record %s; watch said: %s", key, harness__slurp(w->err));
	}
	kill(w->pid, SIGINT);
	st = harness__wait_s(w->pid, WAIT_S);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("watch --all ended with status 0x%x: %s", st, harness__slurp(w->err));
}

/* ---- the records ---- */

/* The one job record @kind:@id; two fail (a job is reported once, when it ends). */
static json_t *job_of(json_t *recs, const char *kind, unsigned int id)
{
	char key[64];
	json_t *r, *found = NULL;
	size_t i;

	snprintf(key, sizeof(key), "%s:%u", kind, id);
	json_array_foreach(recs, i, r)
	{
		const char *k = json_string_value(harness__get(r, "job.key"));

		if (!k || strcmp(k, key))
			continue;
		if (found)
			fail_msg("job %s reported twice", key);
		found = r;
	}
	if (!found)
		fail_msg("no job %s", key);
	return found;
}

/* The process record of @pid; it must be filed under the job @kind:@id. */
static json_t *process_in(json_t *events, pid_t pid, const char *kind, unsigned int id)
{
	char key[64];
	json_t *r;
	size_t i;

	snprintf(key, sizeof(key), "%s:%u", kind, id);
	json_array_foreach(events, i, r)
	{
		if (harness__num(r, "pid") != pid)
			continue;
		if (strcmp(harness__str(r, "job"), key))
			fail_msg("pid %d is in job %s, not %s", pid, harness__str(r, "job"), key);
		return r;
	}
	fail_msg("no process record for pid %d", pid);
	return NULL;
}

/* How many process records name the job @kind:@id. */
static int processes_of(json_t *events, const char *kind, unsigned int id)
{
	char key[64];
	json_t *r;
	size_t i;
	int n = 0;

	snprintf(key, sizeof(key), "%s:%u", kind, id);
	json_array_foreach(events, i, r)
	{
		n += !strcmp(harness__str(r, "job"), key);
	}
	return n;
}

static json_t *session_job(json_t *recs, pid_t sid)
{
	return job_of(recs, "session", (unsigned int)sid);
}

static json_t *process_of(json_t *events, pid_t pid, pid_t sid)
{
	return process_in(events, pid, "session", (unsigned int)sid);
}

static int processes_in(json_t *events, pid_t sid)
{
	return processes_of(events, "session", (unsigned int)sid);
}

static void assert_exit(json_t *proc, int code)
{
	if (code < 0) {
		assert_true(harness__is_null(proc, "exit_code"));
		assert_int_equal(harness__num(proc, "signal"), SIGTERM);
	} else {
		assert_int_equal(harness__num(proc, "exit_code"), code);
		assert_true(harness__is_null(proc, "signal"));
	}
}

static void assert_cpu(json_t *r, const char *path, double want_ns, const char *what)
{
	double got = harness__num(r, path), tol = want_ns * CPU_PCT / 100.0;

	if (tol < CPU_SLACK_NS)
		tol = CPU_SLACK_NS;
	print_message("  %s: %.6f s reported, %.6f s by getrusage, %+.3f ms\n", what, got / 1e9,
		      want_ns / 1e9, (got - want_ns) / 1e6);
	if (got > want_ns + tol || got < want_ns - tol)
		fail_msg("%s: CPU off by %.3f ms (limit %.3f ms)", what, (got - want_ns) / 1e6,
			 tol / 1e6);
}

/* The process counts of a job record, in one call. */
static void assert_counts(json_t *job, int started, int existing, int moved_in, int moved_out,
			  int ok, int error, int signalled)
{
	assert_int_equal(harness__num(job, "processes.started"), started);
	assert_int_equal(harness__num(job, "processes.existing_at_attach"), existing);
	assert_int_equal(harness__num(job, "processes.moved_in"), moved_in);
	assert_int_equal(harness__num(job, "processes.moved_out"), moved_out);
	assert_int_equal(harness__num(job, "processes.exited"), ok + error + signalled);
	assert_int_equal(harness__num(job, "processes.exit_ok"), ok);
	assert_int_equal(harness__num(job, "processes.exit_error"), error);
	assert_int_equal(harness__num(job, "processes.exit_signal"), signalled);
	assert_int_equal(harness__num(job, "processes.alive"), 0);
	assert_int_equal(harness__num(job, "events.lost"), 0);
	assert_int_equal(harness__num(job, "limits.untracked_tasks"), 0);
}

/* ---- the sessions ---- */

/* Session A: its leader forks workers that burn CPU and end as worker_exit says. */
static void session_a(void)
{
	int st;

	start_session(&T->before_ns);
	for (int i = 0; i < NWORKERS; i++) {
		pid_t pid = fork();

		if (pid < 0)
			_exit(91);
		if (pid == 0) {
			burn_ms(20 * (i + 1));
			if (worker_exit[i] < 0) {
				signal(SIGTERM, SIG_DFL);
				raise(SIGTERM);
			}
			_exit(worker_exit[i]);
		}
		T->workers[i] = pid;
	}
	for (int i = 0; i < NWORKERS; i++) {
		if (waitpid(T->workers[i], &st, 0) != T->workers[i])
			T->bad = 1;
		else if (worker_exit[i] < 0 ? !WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM :
					      !WIFEXITED(st) || WEXITSTATUS(st) != worker_exit[i])
			T->bad = 1;
	}
	burn_ms(10);
	_exit(LEADER_EXIT);
}

/*
 * Session O: its leader forks the mover, which burns CPU in O's session,
 * calls setsid and burns more in its own, then ends with MOVER_EXIT.
 */
static void session_o(void)
{
	unsigned long long before = children_cpu_ns();
	pid_t mover;
	int st;

	start_session(&T->before_ns);
	mover = fork();
	if (mover < 0)
		_exit(91);
	if (mover == 0) {
		burn_ms(60);
		start_session(&T->mover_before_ns);
		burn_ms(40);
		_exit(MOVER_EXIT);
	}
	T->mover = mover;
	if (waitpid(mover, &st, 0) != mover || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != MOVER_EXIT)
		T->bad = 1;
	T->mover_total_ns = children_cpu_ns() - before;
	burn_ms(15);
	_exit(0);
}

/* Forks @fn as a child of the test; its status, and the CPU of its tree in @tree_ns. */
static int run_child(void (*fn)(void), pid_t *pid, unsigned long long *tree_ns)
{
	unsigned long long before = children_cpu_ns();
	int st;

	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0)
		fn();
	harness__track(*pid, 0); /* killed at the teardown should the test fail first */
	st = harness__wait_s(*pid, WAIT_S);
	*tree_ns = children_cpu_ns() - before;
	return st;
}

/*
 * Two sessions made after the attach: every process of each is in its
 * job and in no other, with its status, and each job's CPU is what its
 * processes ran in that session; the mover's CPU is split at its setsid.
 */
static void test_session_jobs(void **state)
{
	unsigned long long a_tree, o_tree, a_before, o_before;
	struct watcher w;
	json_t *recs, *events, *job;
	unsigned int sids[3];
	pid_t a, o;
	int st;

	watcher_start(&w, "session");
	st = run_child(session_a, &a, &a_tree);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == LEADER_EXIT);
	assert_int_equal(T->bad, 0);
	a_before = T->before_ns;
	st = run_child(session_o, &o, &o_tree);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(T->bad, 0);
	o_before = T->before_ns;
	sids[0] = (unsigned int)a;
	sids[1] = (unsigned int)o;
	sids[2] = (unsigned int)T->mover;
	watcher_stop(&w, "session", sids, 3);

	recs = harness__lines(w.out, "job");
	events = harness__lines(w.events, "exit");

	/* A: the leader moved in by its setsid, its workers started there. */
	job = session_job(recs, a);
	assert_counts(job, NWORKERS, 0, 1, 0, 2, 2, 1);
	assert_int_equal(processes_in(events, a), NWORKERS + 1);
	assert_exit(process_of(events, a, a), LEADER_EXIT);
	for (int i = 0; i < NWORKERS; i++)
		assert_exit(process_of(events, T->workers[i], a), worker_exit[i]);
	assert_cpu(job, "cpu.total_ns", (double)(a_tree - a_before), "session A");

	/* O: its leader, and the mover until its setsid. */
	job = session_job(recs, o);
	assert_counts(job, 1, 0, 1, 1, 1, 0, 0);
	assert_int_equal(processes_in(events, o), 1);
	assert_exit(process_of(events, o, o), 0);
	assert_cpu(job, "cpu.total_ns",
		   (double)(o_tree - o_before - (T->mover_total_ns - T->mover_before_ns)),
		   "session O (its leader, and the mover's 60 ms before setsid)");

	/* The mover's own session: what it ran from its setsid on. */
	job = session_job(recs, T->mover);
	assert_counts(job, 0, 0, 1, 0, 0, 1, 0);
	assert_int_equal(processes_in(events, T->mover), 1);
	assert_exit(process_of(events, T->mover, T->mover), MOVER_EXIT);
	assert_cpu(job, "cpu.total_ns", (double)(T->mover_total_ns - T->mover_before_ns),
		   "the mover's session (its 40 ms after setsid)");
	assert_cpu(process_of(events, T->mover, T->mover), "cpu.total_ns",
		   (double)(T->mover_total_ns - T->mover_before_ns), "the mover's own record");

	json_decref(events);
	json_decref(recs);
}

/*
 * A session running before the attach: the attach iterator places its
 * leader and its worker in its job, counted existing; what the worker
 * burns after the attach is the job's.
 */
static void test_session_found_at_attach(void **state)
{
	unsigned long long before = children_cpu_ns(), tree_ns;
	int go[2], ready[2], st;
	struct watcher w;
	json_t *recs, *events, *job;
	unsigned int sid;
	pid_t p, q;
	char c;

	/* Close-on-exec: watch, started meanwhile, must not hold the write end open. */
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		close(go[1]);
		close(ready[0]);
		start_session(&T->before_ns);
		q = fork();
		if (q == 0) {
			unsigned long long t0;

			if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 0)
				_exit(92);
			t0 = thread_cpu_ns();
			burn_ms(30);
			T->burn_ns = thread_cpu_ns() - t0;
			_exit(4);
		}
		if (q < 0 || waitpid(q, &st, 0) != q || !WIFEXITED(st) || WEXITSTATUS(st) != 4)
			_exit(93);
		T->workers[0] = q;
		_exit(0);
	}
	harness__track(p, 0);
	close(go[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);

	watcher_start(&w, "session");
	close(go[1]); /* the worker's read sees the end: it burns and exits */
	st = harness__wait_s(p, WAIT_S);
	tree_ns = children_cpu_ns() - before;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	q = T->workers[0];
	sid = (unsigned int)p;
	watcher_stop(&w, "session", &sid, 1);

	recs = harness__lines(w.out, "job");
	events = harness__lines(w.events, "exit");
	job = session_job(recs, p);
	assert_counts(job, 0, 2, 0, 0, 1, 1, 0);
	assert_int_equal(processes_in(events, p), 2);
	assert_exit(process_of(events, p, p), 0);
	assert_exit(process_of(events, q, p), 4);
	/* At least the worker's burn; at most the tree's whole CPU. */
	print_message("  session found at the attach: %.6f s, worker's burn %.6f s, tree %.6f s\n",
		      harness__num(job, "cpu.total_ns") / 1e9, T->burn_ns / 1e9, tree_ns / 1e9);
	assert_true(harness__num(job, "cpu.total_ns") >= (double)T->burn_ns);
	assert_true(harness__num(job, "cpu.total_ns") <= (double)tree_ns + CPU_SLACK_NS);
	json_decref(events);
	json_decref(recs);
}

/* ---- users ---- */

/* Four uids no one else on the host has: X, Y, Z, W (base + 0..3), by the test's pid. */
static uid_t uid_base;

/* User X: its first process enters by setuid(2) and forks workers that end 0 and 6. */
static void user_x(void)
{
	int st;

	T->before_ns = thread_cpu_ns();
	if (setuid(uid_base))
		_exit(90);
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();

		if (pid < 0)
			_exit(91);
		if (pid == 0) {
			burn_ms(20);
			_exit(i ? 6 : 0);
		}
		T->workers[i] = pid;
	}
	for (int i = 0; i < 2; i++)
		if (waitpid(T->workers[i], &st, 0) != T->workers[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != (i ? 6 : 0))
			T->bad = 1;
	burn_ms(10);
	_exit(0);
}

/* The mover: root's CPU, then Y's by setreuid(2), then Z's by setresuid(2). */
static void user_mover(void)
{
	burn_ms(10);
	T->before_ns = thread_cpu_ns();
	if (setreuid(uid_base + 1, (uid_t)-1)) /* root still: its euid stays 0 */
		_exit(90);
	burn_ms(30);
	T->second_before_ns = thread_cpu_ns();
	if (setresuid(uid_base + 2, uid_base + 2, uid_base + 2))
		_exit(90);
	burn_ms(20);
	_exit(MOVER_EXIT);
}

/*
 * Users the test makes: each uid's job holds exactly the processes that
 * had it, with their statuses and the CPU they ran with it; a process that
 * changes its real uid twice leaves a job behind that ends empty, its CPU
 * there what it ran between the two calls. A process of a fourth uid,
 * running before the attach, is found there.
 */
static void test_user_jobs(void **state)
{
	unsigned long long x_tree, m_tree, x_before, w_tree, before;
	unsigned int ids[4];
	int go[2], ready[2], st;
	struct watcher w;
	json_t *recs, *events, *job;
	pid_t p, x, m;
	char c;

	uid_base = 2000000000U + (uid_t)(getpid() % 100000) * 4;
	for (int i = 0; i < 4; i++)
		ids[i] = uid_base + (unsigned int)i;
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	before = children_cpu_ns();
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		close(go[1]);
		close(ready[0]);
		if (setuid(uid_base + 3) || write(ready[1], "r", 1) != 1 || read(go[0], &c, 1))
			_exit(92);
		burn_ms(10);
		_exit(3);
	}
	harness__track(p, 0);
	close(go[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);

	watcher_start(&w, "user");
	close(go[1]);
	st = harness__wait_s(p, WAIT_S);
	w_tree = children_cpu_ns() - before;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	st = run_child(user_x, &x, &x_tree);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(T->bad, 0);
	x_before = T->before_ns;
	st = run_child(user_mover, &m, &m_tree);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == MOVER_EXIT);
	watcher_stop(&w, "user", ids, 4);

	recs = harness__lines(w.out, "job");
	events = harness__lines(w.events, "exit");

	/* X: its first process moved in by setuid, its workers started there. */
	job = job_of(recs, "user", ids[0]);
	assert_counts(job, 2, 0, 1, 0, 2, 1, 0);
	assert_int_equal(processes_of(events, "user", ids[0]), 3);
	assert_exit(process_in(events, x, "user", ids[0]), 0);
	assert_exit(process_in(events, T->workers[0], "user", ids[0]), 0);
	assert_exit(process_in(events, T->workers[1], "user", ids[0]), 6);
	assert_cpu(job, "cpu.total_ns", (double)(x_tree - x_before), "user X");

	/* Y: the mover between its two calls; it ended there with no process. */
	job = job_of(recs, "user", ids[1]);
	assert_counts(job, 0, 0, 1, 1, 0, 0, 0);
	assert_int_equal(processes_of(events, "user", ids[1]), 0);
	assert_cpu(job, "cpu.total_ns", (double)(T->second_before_ns - T->before_ns),
		   "user Y (the mover's 30 ms between setreuid and setresuid)");

	/* Z: the mover from its setresuid on. */
	job = job_of(recs, "user", ids[2]);
	assert_counts(job, 0, 0, 1, 0, 0, 1, 0);
	assert_int_equal(processes_of(events, "user", ids[2]), 1);
	assert_exit(process_in(events, m, "user", ids[2]), MOVER_EXIT);
	assert_cpu(job, "cpu.total_ns", (double)(m_tree - T->second_before_ns),
		   "user Z (the mover's 20 ms after setresuid)");

	/* W: running before the attach, found by it. */
	job = job_of(recs, "user", ids[3]);
	assert_counts(job, 0, 1, 0, 0, 0, 1, 0);
	assert_exit(process_in(events, p, "user", ids[3]), 3);
	assert_true(harness__num(job, "cpu.total_ns") >= 10e6);
	assert_true(harness__num(job, "cpu.total_ns") <= (double)w_tree + CPU_SLACK_NS);
	json_decref(events);
	json_decref(recs);
}

static int test_teardown(void **state)
{
	harness__kill_running();
	memset(T, 0, sizeof(*T));
	return 0;
}

static int setup(void **state)
{
	T = mmap(NULL, sizeof(*T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (T == MAP_FAILED)
		return -1;
	return harness__group_setup("session", false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_session_jobs, test_teardown),
		cmocka_unit_test_teardown(test_session_found_at_attach, test_teardown),
		cmocka_unit_test_teardown(test_user_jobs, test_teardown),
	};

	/* JT_TEST=PATTERN runs the matching tests only, to rerun one that failed. */
	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, harness__group_teardown);
}
