// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The arguments the sleepable task iterator copies (bpf/snapshot.bpf.c,
 * dump_task_args) against /proc/PID/cmdline, for processes whose arguments
 * the test chose: odd bytes and empty arguments, a long argv the iterator
 * copies, one past JT_ARGS_MAX it leaves to /proc, one rewritten in place
 * (setproctitle), a zombie, and a kernel thread. And `jobtrace ps --json`
 * writes the same bytes for them with the iterator's arguments as with
 * /proc's (JOBTRACE_BPF_COMPAT=1: the plain iterator, every cmdline read).
 * Read by several threads at once, each copying its share's arguments,
 * every process is there once, with /proc's arguments, loaded or pinned.
 */
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "harness.h"

#include "jobtrace/proc_pid.h"
#include "jobtrace/snapshot.h"
#include "jobtrace/util.h"

enum { ODD, MID, LONG, TITLE, ZOMBIE, NPROC };

static pid_t pids[NPROC];
static char mid_arg[12000], long_arg[3][8000];

/* Until its exec is done, a child's cmdline is the test's: wait for /bin/sh's. */
static void wait_exec(pid_t pid)
{
	char path[64], buf[16];
	int tries = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	do {
		int fd = open(path, O_RDONLY);

		if (tries++)
			harness__sleep_ms(5);
		n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
		if (fd >= 0)
			close(fd);
	} while ((n < 8 || memcmp(buf, "/bin/sh", 8)) && tries < 2000);
	assert_memory_equal(buf, "/bin/sh", 8);
}

/*
 * A harness_prep_fn: overwrites its own argument area, the NUL at its end
 * included, as setproctitle(3) does; /proc then reads on into the
 * environment. (48) arg_start and (49) arg_end of its stat say where.
 */
static int rewrite_args(const void *unused)
{
	unsigned long start = 0, end = 0;
	char buf[4096], *p;
	int fd = open("/proc/self/stat", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (n <= 0)
		return -1;
	close(fd);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* The space before field k is the (k - 2)th after the ")". */
	for (int field = 3; p && field <= 48; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%lu %lu", &start, &end) != 2 || start >= end)
		return -1;
	memset((char *)start, 'T', end - start);
	return 0;
}

static void spawn_all(void)
{
	char *odd[] = { "/bin/sh", "-c", "sleep 60; exit 0", "", "caf\xc3\xa9", "\xff\xfe bad",
			"tab\there", "new\nline", "\x01\x7f", "", NULL };
	char *mid[] = { "/bin/sh", "-c", "sleep 60; exit 0", mid_arg, NULL };
	char *lng[] = { "/bin/sh", "-c", "sleep 60; exit 0", long_arg[0], long_arg[1],
			long_arg[2], NULL };

	memset(mid_arg, 'm', sizeof(mid_arg) - 1);
	for (int i = 0; i < 3; i++)
		memset(long_arg[i], 'a' + i, sizeof(long_arg[i]) - 1);
	pids[ODD] = harness__spawn(odd, NULL, NULL);
	pids[MID] = harness__spawn(mid, NULL, NULL);
	pids[LONG] = harness__spawn(lng, NULL, NULL);
	wait_exec(pids[ODD]);
	wait_exec(pids[MID]);
	wait_exec(pids[LONG]);
	pids[TITLE] = harness__fork_paused(rewrite_args, NULL);
	pids[ZOMBIE] = fork();
	assert_true(pids[ZOMBIE] >= 0);
	if (pids[ZOMBIE] == 0)
		_exit(0);
	/* A zombie once its exit is done: its state letter in /proc says so. */
	for (int tries = 0;; tries++) {
		int proc_fd = util__open_dir("/proc");
		struct proc_stat_fields st;

		assert_int_equal(proc_pid__read_stat(proc_fd, pids[ZOMBIE], &st), 0);
		close(proc_fd);
		if (st.state == 'Z')
			break;
		assert_true(tries < 2000);
		harness__sleep_ms(5);
	}
}

static void reap_all(void)
{
	for (int i = 0; i < NPROC; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

/* @got, an entry's arguments, is /proc/PID/cmdline's, byte for byte. */
static void assert_cmdline_equal(pid_t pid, const struct proc_cmdline *got)
{
	int proc_fd = util__open_dir("/proc");
	struct proc_cmdline want;

	assert_int_equal(proc_pid__read_cmdline(proc_fd, pid, &want), 0);
	close(proc_fd);
	if (got->argc != want.argc)
		fail_msg("pid %d: %zu arguments, /proc has %zu", pid, got->argc, want.argc);
	assert_int_equal(got->rewritten, want.rewritten);
	for (size_t i = 0; i < want.argc; i++) {
		assert_int_equal(got->arg_len[i], want.arg_len[i]);
		assert_memory_equal(got->argv[i], want.argv[i], want.arg_len[i]);
	}
	proc_cmdline__free(&want);
}

static void test_iterator_args_are_proc_cmdline(void **state)
{
	struct snapshot_iter *it = snapshot_iter__open(true, false, true);
	const struct ps_entry *e;
	struct ps_snapshot s;
	int proc_fd;

	assert_non_null(it);
	if (!snapshot_iter__has_args(it)) {
		/* Before 5.18: the plain iterator, and every cmdline from /proc. */
		print_message("  this kernel has no sleepable task iterator: nothing to compare\n");
		snapshot_iter__free(it);
		return;
	}
	spawn_all();
	assert_int_equal(snapshot_iter__read(it, &s), 0);
	assert_true(s.args_iterated > 0);
	/* What the iterator copied, as /proc reads it. */
	for (int i = 0; i < NPROC; i++) {
		e = snapshot__find(&s, pids[i]);
		assert_non_null(e);
		if (i == LONG || i == TITLE) {
			if (e->args_known)
				fail_msg("pid %d: the iterator copied what it must leave to /proc",
					 pids[i]);
			continue;
		}
		if (!e->args_known)
			fail_msg("pid %d: the iterator did not copy its arguments", pids[i]);
		assert_cmdline_equal(pids[i], &e->cmdline);
	}
	assert_int_equal(snapshot__find(&s, pids[ODD])->cmdline.argc, 10);
	assert_int_equal(snapshot__find(&s, pids[MID])->cmdline.arg_len[3], sizeof(mid_arg) - 1);
	assert_int_equal(snapshot__find(&s, pids[ZOMBIE])->cmdline.argc, 0);
	e = snapshot__find(&s, 2); /* kthreadd: no arguments, and known to have none */
	assert_non_null(e);
	assert_true(e->kthread && e->args_known);
	assert_int_equal(e->cmdline.argc, 0);
	assert_true(s.args_left >= 2);

	/* The rest from /proc, so that every process has its arguments. */
	proc_fd = util__open_dir("/proc");
	assert_int_equal(snapshot__read_args(&s, proc_fd), 0);
	close(proc_fd);
	for (int i = 0; i < NPROC; i++) {
		e = snapshot__find(&s, pids[i]);
		assert_true(e->args_known);
		assert_cmdline_equal(pids[i], &e->cmdline);
	}
	/* The rewritten area read on into the environment, to its first NUL: one string. */
	e = snapshot__find(&s, pids[TITLE]);
	assert_int_equal(e->cmdline.argc, 1);
	assert_true(e->cmdline.arg_len[0] > 1 && e->cmdline.argv[0][0] == 'T');
	assert_int_equal(snapshot__find(&s, pids[LONG])->cmdline.argc, 6);
	reap_all();
	snapshot__free(&s);
	snapshot_iter__free(it);
}

/*
 * How many readers may share a pass here: one a CPU to run on, where
 * pidfds of threads (6.9+) tell the program its readers apart.
 */
static unsigned int can_share(void)
{
	cpu_set_t cpus;
	int fd;

	if (sched_getaffinity(0, sizeof(cpus), &cpus))
		return 1;
	fd = (int)syscall(SYS_pidfd_open, gettid(), O_EXCL /* PIDFD_THREAD */);
	if (fd < 0)
		return 1;
	close(fd);
	return (unsigned int)CPU_COUNT(&cpus);
}

enum { NPAR = 40 };

/*
 * NPAR shells with odd arguments of their own, and the test's others: an
 * even and an odd tgid, whichever reader's share each falls in.
 */
static void spawn_par(pid_t *par)
{
	for (int i = 0; i < NPAR; i++) {
		char tag[32], odd[32];
		char *argv[] = { "/bin/sh", "-c", "sleep 60; exit 0", tag, "", odd, "new\nline",
				 NULL };

		snprintf(tag, sizeof(tag), "par-%d", i);
		snprintf(odd, sizeof(odd), "\xff%c\t%d", 'a' + i % 26, i);
		/* Not the harness's: it tracks 16 processes at most. */
		par[i] = fork();
		assert_true(par[i] >= 0);
		if (par[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			execv(argv[0], argv);
			_exit(127);
		}
	}
	for (int i = 0; i < NPAR; i++)
		wait_exec(par[i]);
}

/*
 * One snapshot as @readers readers read it: each entry once, in pid order,
 * the test's processes with /proc's arguments, and the readers it says
 * (all of them where the machine can share a pass).
 */
static void check_shared_read(struct snapshot_iter *it, unsigned int readers, const pid_t *par)
{
	unsigned int cpus = can_share();
	const struct ps_entry *e;
	struct ps_snapshot s;

	snapshot_iter__set_readers(it, readers);
	assert_int_equal(snapshot_iter__read(it, &s), 0);
	assert_int_equal(s.readers, readers < cpus ? readers : cpus);
	for (size_t i = 1; i < s.n; i++)
		if (s.procs[i - 1].pid >= s.procs[i].pid)
			fail_msg("pid %d after pid %d", s.procs[i].pid, s.procs[i - 1].pid);
	for (int i = 0; i < NPAR + NPROC; i++) {
		pid_t pid = i < NPAR ? par[i] : pids[i - NPAR];

		e = snapshot__find(&s, pid);
		if (!e)
			fail_msg("pid %d: not read by %u readers", pid, readers);
		if (i - NPAR == LONG || i - NPAR == TITLE) {
			assert_false(e->args_known); /* left to /proc, whoever read it */
			continue;
		}
		if (!e->args_known)
			fail_msg("pid %d: %u readers did not copy its arguments", pid, readers);
		assert_cmdline_equal(pid, &e->cmdline);
	}
	assert_int_equal(snapshot__find(&s, par[7])->cmdline.argc, 7);
	assert_int_equal(snapshot__find(&s, par[7])->cmdline.arg_len[4], 0);
	/* The test itself: its process once, with the reader threads it runs now. */
	e = snapshot__find(&s, getpid());
	assert_non_null(e);
	assert_int_equal(e->threads, s.readers);
	snapshot__free(&s);
}

static void test_shared_pass_args_are_proc_cmdline(void **state)
{
	struct snapshot_iter *it = snapshot_iter__open(true, false, true), *pinned;
	pid_t par[NPAR];

	assert_non_null(it);
	if (!snapshot_iter__has_args(it)) {
		print_message("  this kernel has no sleepable task iterator: nothing to compare\n");
		snapshot_iter__free(it);
		return;
	}
	if (can_share() < 2)
		print_message("  one CPU, or no pidfd of a thread (before 6.9): one reader\n");
	spawn_all();
	spawn_par(par);
	check_shared_read(it, 2, par);
	check_shared_read(it, 1, par);
	check_shared_read(it, JT_ITER_MAX_READERS, par);
	snapshot_iter__free(it);

	/* A pinned iterator: its readers' map found through the link, not loaded. */
	it = snapshot_iter__open(true, true, true);
	assert_non_null(it);
	snapshot_iter__free(it); /* the pin stays */
	pinned = snapshot_iter__open(true, true, true);
	assert_non_null(pinned);
	check_shared_read(pinned, 2, par);
	snapshot_iter__free(pinned);
	for (int i = 0; i < NPAR; i++) {
		kill(par[i], SIGKILL);
		waitpid(par[i], NULL, 0);
	}
	reap_all();
}

/* The "args":[...] of @pid's object in `jobtrace ps --json` output @out. */
static char *args_json(const char *out, pid_t pid)
{
	char key[32];
	const char *o, *a, *end;

	snprintf(key, sizeof(key), "{\"pid\":%d,", (int)pid);
	o = strstr(out, key);
	if (!o)
		fail_msg("no pid %d in %s", pid, out);
	a = strstr(o, "\"args\":");
	assert_non_null(a);
	/* None of the test's arguments holds a ']'. */
	end = strpbrk(a, "]}");
	assert_non_null(end);
	return strndup(a, (size_t)(end - a + 1));
}

/*
 * Through the command: the same JSON bytes for the test's processes from
 * the iterator's arguments and from /proc's.
 */
static void test_ps_json_args_same_bytes(void **state)
{
	char cmd[600], *fast, *slow;
	int code;

	spawn_all();
	snprintf(cmd, sizeof(cmd), "%s ps --json --pid %d", H.jobtrace, (int)getpid());
	fast = harness__sh_out(cmd, &code);
	assert_int_equal(code, 0);
	snprintf(cmd, sizeof(cmd), "JOBTRACE_BPF_COMPAT=1 %s ps --json --pid %d", H.jobtrace,
		 (int)getpid());
	slow = harness__sh_out(cmd, &code);
	assert_int_equal(code, 0);
	for (int i = 0; i < NPROC; i++) {
		char *a = args_json(fast, pids[i]), *b = args_json(slow, pids[i]);

		if (strcmp(a, b))
			fail_msg("pid %d: iterator %.200s, /proc %.200s", pids[i], a, b);
		free(a);
		free(b);
	}
	/* The odd bytes as the JSON writer escapes them, and the zombie's none. */
	{
		char *a = args_json(fast, pids[ODD]);

		if (!strstr(a, "\"new\\nline\""))
			fail_msg("odd args: %s", a);
		free(a);
	}
	reap_all();
	free(fast);
	free(slow);
}

static int setup(void **state)
{
	return harness__setup("ps-args");
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iterator_args_are_proc_cmdline),
		cmocka_unit_test(test_shared_pass_args_are_proc_cmdline),
		cmocka_unit_test(test_ps_json_args_same_bytes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
