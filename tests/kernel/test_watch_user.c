// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace watch --pid` as uid 65534 through a running serve --control: a
 * tree of nobody's that runs already is followed with exact figures (what
 * it forks after the attach as started, what was there as existing at the
 * attach), a root-owned pid is refused, and Ctrl-C gives the report as it
 * stands and leaves serve healthy. As root, serve in the harness's
 * directory, which every user may enter; the users are setresuid'd
 * children. Ground truth: the test's own workload (a shell that waits on a
 * FIFO the test opens once watch is attached) and churn --truth.
 * Needs root and BPF; fails, never skips.
 */
#include "testutil.h"

#include <poll.h>
#include <sys/un.h>

#include "harness.h"
#include "jobtrace/util.h"

#define NOBODY HARNESS_NOBODY

static char sock[600], out[600];
static pid_t serve_pid;

/* A child's step before its exec: become uid/gid *@arg, with no groups. */
static int as_user(const void *arg)
{
	int uid = *(const int *)arg;

	return setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid);
}

/* @argv as uid @uid (root when < 0); stdout, stderr to files. */
static pid_t spawn_as(int uid, char *const argv[], const char *out_path, const char *err_path)
{
	return harness__spawn_prep(argv, out_path, err_path, uid >= 0 ? as_user : NULL, &uid);
}

/* Its exit code within @seconds, 128 + N when signal N killed it, as a shell says. */
static int wait_exit(pid_t p, int seconds)
{
	int st = harness__wait_s(p, seconds);

	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Root's LIST, whole, into @buf. */
static void list_root(char *buf, size_t size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t got = 0, n = 0, lines;

	memcpy(addr.sun_path, sock, strlen(sock) + 1);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(send(fd, "LIST\n", 5, MSG_NOSIGNAL), 5);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		buf[got] = '\0';
		lines = 0;
		for (char *q = buf; (q = strchr(q, '\n')); q++)
			lines++;
		if (sscanf(buf, "OK %zu", &n) == 1 && lines == n + 1)
			break;
		assert_int_equal(poll(&p, 1, 10000), 1);
		r = recv(fd, buf + got, size - 1 - got, 0);
		assert_true(r > 0);
		got += (size_t)r;
	}
	close(fd);
}

/*
 * nobody's tree, running before the attach: a shell (the root) with a
 * sleeper it forked, that waits on @fifo, then runs churn with @churn_args
 * (forked, not exec'd) and, when @end, kills the sleeper and exits 0 (else
 * waits for it). What the shell runs after the gate is what the attach
 * could not have seen.
 */
static pid_t nobody_tree(const char *fifo, const char *churn_args, bool end)
{
	char script[1500];
	char *argv[] = { "sh", "-c", script, NULL };

	snprintf(script, sizeof(script), "sleep 300 & s=$!; read go < '%s'; %s %s; %s", fifo,
		 H.churn, churn_args, end ? "kill $s; wait $s; exit 0" : "wait $s");
	return spawn_as(NOBODY, argv, NULL, NULL);
}

/* The first child of @parent (its sleeper), or 0. */
static pid_t first_child(pid_t parent)
{
	char path[64];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", parent, parent);
	f = fopen(path, "r");
	if (f && fscanf(f, "%d", &pid) != 1)
		pid = 0;
	if (f)
		fclose(f);
	return pid;
}

/* The tree's sleeper is running: the tree has its two processes before the attach. */
static void wait_for_child(pid_t parent)
{
	for (int i = 0; i < 400; i++) {
		if (first_child(parent) > 0)
			return;
		harness__sleep_ms(10);
	}
	fail_msg("pid %d forked no child", parent);
}

/* Lets the tree's shell past its gate. */
static void open_gate(const char *fifo)
{
	int fd = open(fifo, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "go\n", 3), 3);
	close(fd);
}

static void make_fifo(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", out, name);
	unlink(buf);
	assert_int_equal(mkfifo(buf, 0666), 0);
	assert_int_equal(chmod(buf, 0666), 0);
}

/*
 * Through serve as on its own source, watch exits with its job's status
 * (the root's 7). The root exits once watch has attached, not after a
 * fixed 2 s: under CI's load the attach once came later, to a pid gone.
 */
static void test_nobody_watch_through_serve_exit_status(void **state)
{
	char err[700], pid_s[16], fifo[700], gate[800];
	char *sh[] = { "/bin/sh", "-c", gate, NULL };
	char *watch[] = { H.jobtrace, "watch", "-o", "/dev/null", "--control", sock, "--pid",
			  pid_s, NULL };
	pid_t root, w;

	make_fifo(fifo, sizeof(fifo), "status.fifo");
	snprintf(gate, sizeof(gate), "read go < '%s'; exit 7", fifo);
	snprintf(err, sizeof(err), "%s/status.err", out);
	root = spawn_as(NOBODY, sh, NULL, NULL);
	snprintf(pid_s, sizeof(pid_s), "%d", root);
	w = spawn_as(NOBODY, watch, NULL, err);
	if (harness__wait_text(err, "attached: watching 1 job through serve", 20000) < 0) {
		kill(root, SIGKILL);
		kill(w, SIGKILL);
		fail_msg("watch did not attach in 20 s; it said:\n%s", harness__slurp(err));
	}
	open_gate(fifo);
	assert_int_equal(wait_exit(root, 30), 7);
	assert_int_equal(wait_exit(w, 30), 7);
}

/* What existed at the attach is existing_at_attach; what was forked after, started. */
static void test_nobody_watch_through_serve_is_exact(void **state)
{
	char fifo[700], report[700], truth[700], err[700], churn_args[900], pid_s[16];
	char *watch[] = { H.jobtrace, "watch", "--json", "-o", report, "--control", sock, "--pid",
			  pid_s, NULL };
	json_t *lines, *r, *t;
	pid_t tree, w;

	make_fifo(fifo, sizeof(fifo), "exact.fifo");
	snprintf(report, sizeof(report), "%s/exact.jsonl", out);
	snprintf(truth, sizeof(truth), "%s/exact.truth.json", out);
	snprintf(err, sizeof(err), "%s/exact.err", out);
	snprintf(churn_args, sizeof(churn_args),
		 "--children 1000 --orphans 10 --fail 7 --kill 3 --threads 4 --truth %s", truth);
	tree = nobody_tree(fifo, churn_args, true);
	wait_for_child(tree);
	snprintf(pid_s, sizeof(pid_s), "%d", tree);
	w = spawn_as(NOBODY, watch, NULL, err);
	assert_true(harness__wait_text(err, "attached: watching 1 job through serve", 20000) >= 0);
	open_gate(fifo);
	assert_int_equal(wait_exit(tree, 120), 0);
	assert_int_equal(wait_exit(w, 60), 0);
	lines = harness__lines(report, "job");
	assert_int_equal(json_array_size(lines), 1);
	r = json_array_get(lines, 0);
	t = harness__json(truth);
	printf("  nobody: watch --pid (sh, sleep; then churn) through serve: %.0f existing, "
	       "%.0f started, %.0f exited, ok/err/sig %.0f/%.0f/%.0f | truth %.0f + sh, sleep\n",
	       harness__num(r, "processes.existing_at_attach"),
	       harness__num(r, "processes.started"),
	       harness__num(r, "processes.exited"), harness__num(r, "processes.exit_ok"),
	       harness__num(r, "processes.exit_error"), harness__num(r, "processes.exit_signal"),
	       harness__num(t, "processes"));
	assert_string_equal(harness__str(r, "mode"), "bpf");
	assert_string_equal(harness__str(r, "via"), "serve");
	/* The shell and its sleeper were there; churn and all it forked came after. */
	assert_int_equal(harness__num(r, "processes.existing_at_attach"), 2);
	assert_int_equal(harness__num(r, "processes.started"), harness__num(t, "processes"));
	assert_int_equal(harness__num(r, "processes.exited"), harness__num(t, "processes") + 2);
	assert_int_equal(harness__num(r, "processes.alive"), 0);
	/* The shell exits 0; the sleeper dies of the shell's SIGTERM. */
	assert_int_equal(harness__num(r, "processes.exit_ok"), harness__num(t, "exit_ok") + 1);
	assert_int_equal(harness__num(r, "processes.exit_error"), harness__num(t, "exit_error"));
	assert_int_equal(harness__num(r, "processes.exit_signal"),
			 harness__num(t, "exit_signal") + 1);
	assert_int_equal(harness__num(r, "threads.started"), harness__num(t, "threads"));
	assert_int_equal(harness__num(r, "events.lost"), 0);
	assert_int_equal(harness__num(r, "job.root_pid"), tree);
	assert_false(harness__has(err, "falling back"));
	json_decref(lines);
	json_decref(t);
}

/* A root-owned pid: serve refuses it; --mode serve fails, auto never reports through serve. */
static void test_nobody_cannot_watch_roots_pid(void **state)
{
	char err[700], pid_s[16], list[1 << 14], mine[64];
	char *forced[] = { H.jobtrace, "watch", "--mode", "serve", "--control", sock, "--pid",
			   pid_s, "--duration", "1", NULL };
	char *automatic[] = { H.jobtrace, "watch", "-v", "--control", sock, "--pid", pid_s,
			      "--duration", "1", NULL };
	pid_t root_proc = harness__fork_paused(NULL, NULL);

	snprintf(pid_s, sizeof(pid_s), "%d", root_proc);
	snprintf(err, sizeof(err), "%s/refused.err", out);
	assert_int_equal(wait_exit(spawn_as(NOBODY, forced, NULL, err), 30), 125);
	printf("  nobody: watch --mode serve --pid %d (root's): %s", root_proc,
	       harness__slurp(err));
	assert_true(harness__has(err, "cannot watch through serve"));
	assert_true(harness__has(err, "is not yours"));
	/* Automatic: serve refuses, watch takes its own source (whatever this machine allows). */
	wait_exit(spawn_as(NOBODY, automatic, NULL, err), 60);
	assert_true(harness__has(err, "not through serve"));
	assert_false(harness__has(err, "watching 1 job through serve"));
	assert_false(harness__has(err, "counted by jobtrace serve"));
	/* Nothing of it was left open at serve. */
	list_root(list, sizeof(list));
	snprintf(mine, sizeof(mine), "watch:%d:%d.", NOBODY, root_proc);
	assert_null(strstr(list, mine));
	kill(root_proc, SIGKILL);
	waitpid(root_proc, NULL, 0);
}

/*
 * A pid that does not exist, as nobody, serve running or not: exit 1 and
 * "no process", as root gets. Serve refused it and watch went on to its
 * own sources, which nobody may not load: 125 and their privileges' story.
 */
static void test_nobody_watch_gone_pid(void **state)
{
	char err[700], pid_s[16];
	char *automatic[] = { H.jobtrace, "watch", "--control", sock, "--pid", pid_s, NULL };
	char *no_serve[] = { H.jobtrace, "watch", "--control", "/nonexistent.sock", "--pid", pid_s,
			     NULL };
	pid_t gone = harness__fork_paused(NULL, NULL);

	kill(gone, SIGKILL);
	waitpid(gone, NULL, 0);
	snprintf(pid_s, sizeof(pid_s), "%d", gone);
	snprintf(err, sizeof(err), "%s/gone.err", out);
	assert_int_equal(wait_exit(spawn_as(NOBODY, automatic, NULL, err), 30), 1);
	if (!harness__has(err, "no process"))
		fail_msg("nobody, watch --pid %d (gone): %s", gone, harness__slurp(err));
	assert_int_equal(wait_exit(spawn_as(NOBODY, no_serve, NULL, err), 30), 1);
	if (!harness__has(err, "no process"))
		fail_msg("nobody, no serve, watch --pid %d (gone): %s", gone, harness__slurp(err));
}

/* Ctrl-C: the report as it stands, the job released, serve healthy after. */
static void test_nobody_ctrl_c_reports_as_it_stands(void **state)
{
	char fifo[700], report[700], truth[700], err[700], churn_args[900], pid_s[16];
	char list[1 << 14], line[128], *after;
	char *watch[] = { H.jobtrace, "watch", "--control", sock, "--pid", pid_s, NULL };
	char *run[] = { H.jobtrace, "run", "--control", sock, "--", "sh", "-c", "exit 3", NULL };
	json_t *t;
	pid_t tree, w, sleeper;

	make_fifo(fifo, sizeof(fifo), "ctrlc.fifo");
	snprintf(report, sizeof(report), "%s/ctrlc.txt", out);
	snprintf(truth, sizeof(truth), "%s/ctrlc.truth.json", out);
	snprintf(err, sizeof(err), "%s/ctrlc.err", out);
	snprintf(churn_args, sizeof(churn_args), "--children 50 --truth %s", truth);
	/* The sleeper outlives the test's interest: the job is still open at Ctrl-C. */
	tree = nobody_tree(fifo, churn_args, false);
	wait_for_child(tree);
	sleeper = first_child(tree);
	snprintf(pid_s, sizeof(pid_s), "%d", tree);
	w = spawn_as(NOBODY, watch, report, err);
	assert_true(harness__wait_text(err, "attached: watching 1 job through serve", 20000) >= 0);
	/* churn runs after the attach; the shell then waits on its sleeper. */
	open_gate(fifo);
	for (int i = 0; i < 3000 && access(truth, F_OK); i++)
		harness__sleep_ms(10);
	t = harness__json(truth);
	/* Its exits reach serve's sample: the report counts what ended before the Ctrl-C. */
	harness__sleep_ms(300);
	kill(w, SIGINT);
	assert_int_equal(wait_exit(w, 30), 0);
	printf("  nobody: watch --pid, Ctrl-C while it runs:\n%s", harness__slurp(report));
	assert_true(harness__has(report, "mode       bpf, counted by jobtrace serve"));
	assert_true(harness__has(report, "attached   2 processes were running at the attach"));
	snprintf(line, sizeof(line), "processes  %.0f started, %.0f exited",
		 harness__num(t, "processes"), harness__num(t, "processes"));
	assert_true(harness__has(report, line));
	assert_true(harness__has(report, "2 still alive"));
	assert_true(harness__has(report, "so far: the tree is still running"));
	assert_false(harness__has(report, "is still running after 0.000 s"));
	json_decref(t);
	/* serve forgot the job for the client: released, still counting its live processes. */
	list_root(list, sizeof(list));
	snprintf(line, sizeof(line), "watch:%d:%d.", NOBODY, tree);
	after = strstr(list, line);
	assert_non_null(after);
	assert_non_null(strstr(after, " released "));
	/* serve is healthy: a run through it works. */
	assert_int_equal(wait_exit(spawn_as(NOBODY, run, NULL, err), 30), 3);
	assert_true(harness__has(err, "counted by jobtrace serve"));
	kill(sleeper, SIGKILL);
	assert_int_equal(wait_exit(tree, 30), 128 + SIGKILL);
}

static int setup(void **state)
{
	char log[700];

	if (geteuid() != 0) {
		fprintf(stderr, "FAIL: these tests start serve and switch users: they need root\n");
		return -1;
	}
	if (harness__setup("watchuser"))
		return -1;
	snprintf(sock, sizeof(sock), "%s/ctl.sock", H.tmpdir);
	snprintf(out, sizeof(out), "%s/out", H.tmpdir);
	if (mkdir(out, 0777) || chmod(out, 01777))
		return -1;
	snprintf(log, sizeof(log), "%s/serve.log", H.tmpdir);
	{
		char *argv[] = { H.jobtrace, "serve", "--control", sock, "-o", "/dev/null", NULL };

		serve_pid = harness__serve_start(argv, sock, log);
	}
	return serve_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char log[700];
	int ret;

	snprintf(log, sizeof(log), "%s/serve.log", H.tmpdir);
	ret = harness__serve_stop(serve_pid, log);
	if (getenv("KEEP_DIR")) {
		fprintf(stderr, "the scratch directory stays: %s\n", H.tmpdir);
		return ret;
	}
	return harness__teardown() ? -1 : ret;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nobody_watch_through_serve_is_exact),
		cmocka_unit_test(test_nobody_watch_through_serve_exit_status),
		cmocka_unit_test(test_nobody_cannot_watch_roots_pid),
		cmocka_unit_test(test_nobody_watch_gone_pid),
		cmocka_unit_test(test_nobody_ctrl_c_reports_as_it_stands),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
