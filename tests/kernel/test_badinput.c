// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Hostile and broken input, command by command: each row of the table is a
 * command line, where its output goes, the exit status it must end with and
 * the message it must say. Then the probe's defects, each with the input
 * that showed it: a FIFO in a --proc-root tree, /proc/stat without its
 * counter lines, a tree of unreadable stat files, a closed stderr under
 * `run`, and SIGINT/SIGTERM at every long-running command.
 *
 * Runs $OUTPUT/jobtrace; `make test` points OUTPUT at the ASan+UBSan build.
 */
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/util.h"
#include "testutil.h"
#include "harness.h"

enum out_kind {
	OUT_NULL,	/* /dev/null */
	OUT_FULL,	/* /dev/full: every write is ENOSPC */
	OUT_CLOSED,	/* a pipe whose reader has gone: EPIPE */
	OUT_FILE,	/* a file the test reads back */
};

struct result {
	int status;		/* exit status; 128 + N when signal N ended it */
	double wall_s;
	char out[1 << 16];	/* stdout, for OUT_FILE */
	char err[1 << 14];	/* stderr */
};

static double seconds_since(unsigned long long t0)
{
	return (double)(harness__mono_ns() - t0) / 1e9;
}

/* The start of a file's text, as much as @size keeps (harness__slurp's buffer is reused). */
static void slurp_into(char *buf, size_t size, const char *path)
{
	const char *text = harness__slurp(path);
	size_t n = strnlen(text, size - 1);

	memcpy(buf, text, n);
	buf[n] = '\0';
}

/*
 * Runs jobtrace with @argv (after "jobtrace"), stdout to @out, stderr
 * captured; sends @sig after @sig_after_s (0: none) and kills it at
 * @limit_s, which fails the test: nothing here may hang.
 */
static void run_jt(char *const argv[], enum out_kind out, int sig, double sig_after_s,
		   double limit_s, struct result *r)
{
	char *args[32] = { H.jobtrace };
	char errpath[600], outpath[600];
	const char *opath = NULL;
	struct harness_onto closed = { -1, 1 };
	unsigned long long t0;
	bool signalled = false;
	int st, p[2] = { -1, -1 };
	pid_t pid;

	for (int i = 0; argv[i] && i < 30; i++)
		args[i + 1] = argv[i];
	snprintf(errpath, sizeof(errpath), "%s/stderr", H.tmpdir);
	snprintf(outpath, sizeof(outpath), "%s/stdout", H.tmpdir);
	switch (out) {
	case OUT_FULL:
		opath = "/dev/full";
		break;
	case OUT_CLOSED:
		assert_int_equal(pipe(p), 0);
		close(p[0]);
		closed.fd = p[1];
		break;
	case OUT_FILE:
		opath = outpath;
		break;
	default:
		opath = NULL; /* /dev/null */
	}
	t0 = harness__mono_ns();
	pid = harness__spawn_prep(args, opath, errpath, out == OUT_CLOSED ? harness__onto : NULL,
				  &closed);
	if (out == OUT_CLOSED)
		close(p[1]);
	for (;;) {
		double el;

		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		el = seconds_since(t0);
		if (sig && !signalled && el >= sig_after_s) {
			kill(pid, sig);
			signalled = true;
		}
		if (el > limit_s) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			harness__track(0, pid);
			fail_msg("jobtrace %s %s: still running after %.0f s", argv[0],
				 argv[1] ? argv[1] : "", limit_s);
		}
		harness__sleep_ms(10);
	}
	harness__track(0, pid);
	r->wall_s = seconds_since(t0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp_into(r->err, sizeof(r->err), errpath);
	r->out[0] = '\0';
	if (out == OUT_FILE)
		slurp_into(r->out, sizeof(r->out), outpath);
}

/* @rel under the temporary directory, as it is: the fixtures are there. */
static void tmp_path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", H.tmpdir, rel);
}

static void write_file(const char *rel, const char *text)
{
	char path[600];
	FILE *f;

	tmp_path(path, sizeof(path), rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_dir(const char *rel)
{
	char path[600];

	tmp_path(path, sizeof(path), rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void make_fifo(const char *rel)
{
	char path[600];

	tmp_path(path, sizeof(path), rel);
	assert_int_equal(mkfifo(path, 0644), 0);
}

/*
 * The fixture trees. bad/: process 1's stat is a directory, 2's garbage,
 * 3's a FIFO (as its status and net/tcp): root reads through permissions,
 * so these are what "unreadable" can mean to it. sys/: a /proc/stat with
 * cpu lines alone and a FIFO for diskstats; an empty /sys.
 */
static int setup(void **state)
{
	assert_int_equal(harness__setup("badinput"), 0);
	/*
	 * Root's alone, as mkdtemp makes it: serve refuses to make its stream
	 * in a directory any user may write (the harness opens its own to all).
	 */
	assert_int_equal(chmod(H.tmpdir, 0700), 0);
	make_dir("bad");
	make_dir("bad/1");
	make_dir("bad/1/stat");
	make_dir("bad/2");
	write_file("bad/2/stat", "garbage\n");
	make_dir("bad/3");
	make_fifo("bad/3/stat");
	make_fifo("bad/3/status");
	make_dir("bad/net");
	make_fifo("bad/net/tcp");
	make_dir("proc");
	write_file("proc/stat", "cpu  100 0 50 1000 0 0 0 0 0 0\n"
				"cpu0 100 0 50 1000 0 0 0 0 0 0\n"
				"softirq 77 0 0 0 0 0 0 0 0 0 0\n");
	write_file("proc/uptime", "1000.00 900.00\n");
	make_fifo("proc/diskstats");
	make_fifo("proc/meminfo");
	make_dir("sys");
	return 0;
}

static int teardown(void **state)
{
	return harness__teardown();
}

struct bad_case {
	char *argv[12];
	enum out_kind out;
	int status;
	const char *message; /* in stderr */
};

#define T(p) "@" p /* an argument under the test's tmpdir; "%": a pid that has exited */

/* A pid that no process has: a child of ours, reaped. */
static pid_t dead_pid(void)
{
	pid_t p = fork();

	assert_true(p >= 0);
	if (p == 0)
		_exit(0);
	assert_int_equal(waitpid(p, NULL, 0), p);
	return p;
}

/*
 * The table. Usage errors exit 2 with "Try 'jobtrace CMD --help'"; a thing
 * that is not there (a pid, a root) exits 1; a write that fails exits 125,
 * jobtrace's own failure, as env(1) and timeout(1) do.
 */
static const struct bad_case cases[] = {
	/* Unknown flags. */
	{ { "run", "--bogus", "--", "true" }, OUT_NULL, 2, "unknown option '--bogus'" },
	{ { "watch", "--bogus" }, OUT_NULL, 2, "unknown option '--bogus'" },
	{ { "serve", "--bogus" }, OUT_NULL, 2, "unknown option '--bogus'" },
	{ { "top", "-b", "--bogus" }, OUT_NULL, 2, "unknown option '--bogus'" },
	{ { "tail", "--bogus" }, OUT_NULL, 2, "unknown option '--bogus'" },
	{ { "ps", "--bogus" }, OUT_NULL, 2, "unknown option '--bogus'" },
	{ { "system", "--bogus" }, OUT_NULL, 2, "unknown option '--bogus'" },
	{ { "inspect", "--bogus", "1" }, OUT_NULL, 2, "unknown option '--bogus'" },
	{ { "connections", "--bogus" }, OUT_NULL, 2, "unknown option '--bogus'" },
	{ { "nosuch" }, OUT_NULL, 2, "unknown command 'nosuch'" },
	{ { NULL }, OUT_NULL, 2, "no command given" },
	/* Bad numbers. */
	{ { "run", "-i", "abc", "--", "true" }, OUT_NULL, 2, "--interval takes seconds" },
	{ { "run", "--top", "-1", "--", "true" }, OUT_NULL, 2, "--top takes a number" },
	{ { "run", "--ring-kb", "99999999999999999999", "--", "true" }, OUT_NULL, 2,
	  "--ring-kb takes a size" },
	{ { "watch", "--pid", "abc" }, OUT_NULL, 2, "--pid takes a process id, not 'abc'" },
	{ { "watch", "-i", "1e999", "--all" }, OUT_NULL, 2, "--interval takes seconds" },
	{ { "serve", "-i", "nan" }, OUT_NULL, 2, "--interval takes seconds" },
	{ { "top", "-b", "-n", "abc" }, OUT_NULL, 2, "--iterations takes a number" },
	{ { "top", "-b", "-d", "0" }, OUT_NULL, 2, "--delay takes seconds" },
	{ { "tail", "-n", "abc" }, OUT_NULL, 2, "--count takes a number" },
	{ { "ps", "--pid", "0x10" }, OUT_NULL, 2, "--pid takes a process id" },
	/* Decimal digits alone: no blank, hex, infinity or sign, as strtod would take. */
	{ { "run", "-i", " 1", "--", "true" }, OUT_NULL, 2, "--interval takes seconds" },
	{ { "run", "-i", "0x10", "--", "true" }, OUT_NULL, 2, "--interval takes seconds" },
	{ { "run", "--top", "+3", "--", "true" }, OUT_NULL, 2, "--top takes a number" },
	{ { "inspect", "-i", "0x1", "1" }, OUT_NULL, 2, "--interval takes seconds" },
	{ { "inspect", " 1" }, OUT_NULL, 2, "' 1' is not a process id" },
	{ { "system", "-i", "inf" }, OUT_NULL, 2, "--interval takes seconds" },
	/* An empty path names no file: a usage error, not jobtrace's failure (125). */
	{ { "run", "-o", "", "--", "true" }, OUT_NULL, 2, "--output needs a path, not ''" },
	{ { "run", "-e", "", "--", "true" }, OUT_NULL, 2, "--events needs a path, not ''" },
	{ { "watch", "--svg", "", "--pid", "1" }, OUT_NULL, 2, "--svg needs a path, not ''" },
	{ { "serve", "--stream", "" }, OUT_NULL, 2, "--stream needs a path, not ''" },
	{ { "history", "--job", "x", "--html", "", T("none") }, OUT_NULL, 2,
	  "--html needs a path, not ''" },
	/* Two outputs in one file would overwrite each other; "-" and a device may be shared. */
	{ { "run", "--json", "-o", T("same.out"), "-e", T("same.out"), "--", "true" }, OUT_NULL, 2,
	  "--output and --events name one file" },
	{ { "watch", "--svg", T("same.svg"), "--html", T("./same.svg"), "--pid", "1" }, OUT_NULL,
	  2, "--svg and --html name one file" },
	{ { "history", "--job", "x", "--svg", T("h.svg"), "--html", T("h.svg"), T("none") },
	  OUT_NULL, 2, "--svg and --html name one file" },
	{ { "run", "-o", "-", "-e", "-", "--", "true" }, OUT_NULL, 0, NULL },
	{ { "run", "-o", "/dev/null", "-e", "/dev/null", "--", "true" }, OUT_NULL, 0, NULL },
	/* --replay's DIR is taken: the word after it is the unexpected one. */
	{ { "top", "--replay", "-b", T("none"), "extra" }, OUT_NULL, 2,
	  "unexpected argument 'extra'" },
	{ { "top", "-b", "extra" }, OUT_NULL, 2, "unexpected argument 'extra'" },
	/* One pid, one job: a second --pid of it is a mistake, never an empty job. */
	{ { "watch", "--pid", "1", "--pid", "1" }, OUT_NULL, 2, "--pid 1 is given twice" },
	{ { "top", "-b", "-n", "1", "-p", "1", "-p", "1" }, OUT_NULL, 2, "--pid 1 is given twice" },
	{ { "ps", "--format", "pid,bogus" }, OUT_NULL, 2,
	  "--format: no column 'bogus'; the columns are pid," },
	/*
	 * One meaning per letter: a letter that meant something else once is a
	 * usage error naming the spelling now, never read the new way.
	 */
	{ { "run", "-n", "--", "true" }, OUT_NULL, 2, "-n is no option of run: say --no-wait" },
	{ { "run", "-w", "/tmp", "--", "true" }, OUT_NULL, 2, "-w is no option of run: say --workdir" },
	{ { "watch", "--all", "-d", "1" }, OUT_NULL, 2, "-d is no option of watch: say --duration" },
	{ { "serve", "-d", "1" }, OUT_NULL, 2, "-d is no option of serve: say --duration" },
	{ { "tail", "-d", "1" }, OUT_NULL, 2, "-d is no option of tail: say --duration" },
	{ { "top", "-b", "-o", "cpu" }, OUT_NULL, 2, "-o is no option of top: say --sort" },
	{ { "ps", "-o", "pid" }, OUT_NULL, 2, "-o is no option of ps: say --format" },
	{ { "ps", "-t" }, OUT_NULL, 2, "-t is no option of ps: say --tree" },
	/* ps lists one tree: a second --pid silently replaced the first. */
	{ { "ps", "-p", "1", "-p", "2" }, OUT_NULL, 2, "--pid is given twice" },
	{ { "system", "-i", "-1" }, OUT_NULL, 2, "--interval takes seconds" },
	{ { "inspect", "12abc" }, OUT_NULL, 2, "'12abc' is not a process id" },
	{ { "connections", "--kind", "bogus" }, OUT_NULL, 2, "unknown --kind 'bogus'" },
	/* A missing command or target. */
	{ { "run" }, OUT_NULL, 2, "no command given" },
	{ { "run", "--", "/nonexistent/cmd" }, OUT_NULL, 127, "/nonexistent/cmd: command not found" },
	{ { "watch" }, OUT_NULL, 2, "nothing to watch" },
	{ { "inspect" }, OUT_NULL, 2, "inspect needs a PID" },
	/* A pid that does not exist: one the test forked and reaped. */
	{ { "watch", "--pid", "%" }, OUT_NULL, 1, "no process %" },
	{ { "top", "-b", "-n", "1", "--pid", "%" }, OUT_NULL, 1, "no process %" },
	{ { "ps", "--pid", "%" }, OUT_NULL, 1, "no process with pid %" },
	{ { "inspect", "%" }, OUT_NULL, 1, "no process with pid %" },
	/* A stream or root that is not there. */
	{ { "tail", "-n", "1", "--stream", T("nostream") }, OUT_NULL, 1, "cannot read the stream" },
	{ { "ps", "--proc-root", T("none") }, OUT_NULL, 1, "cannot open" },
	{ { "system", "--proc-root", T("none") }, OUT_NULL, 1, "cannot open the proc root" },
	{ { "inspect", "--proc-root", T("none"), "1" }, OUT_NULL, 1, "cannot open" },
	{ { "connections", "--proc-root", T("none") }, OUT_NULL, 1, "cannot open" },
	/* Unreadable /proc files: a directory, garbage, a FIFO (must not block). */
	{ { "ps", "--proc-root", T("bad") }, OUT_NULL, 1, "no process under" },
	{ { "ps", "--json", "--proc-root", T("bad") }, OUT_NULL, 1,
	  "3 processes under" },
	{ { "inspect", "--proc-root", T("bad"), "1" }, OUT_NULL, 1,
	  "cannot read process 1: Is a directory" },
	{ { "inspect", "--proc-root", T("bad"), "2" }, OUT_NULL, 1, "cannot read process 2" },
	{ { "inspect", "--proc-root", T("bad"), "3" }, OUT_NULL, 1, "cannot read process 3" },
	{ { "connections", "--proc-root", T("bad") }, OUT_NULL, 1, "cannot read the sockets" },
	/* A full disk for -o and for stdout. */
	{ { "run", "-o", "/dev/full", "--", "true" }, OUT_NULL, 125,
	  "cannot write to /dev/full: No space left on device" },
	{ { "run", "-o", "/dev/full", "--", "sh", "-c", "exit 3" }, OUT_NULL, 3,
	  "cannot write to /dev/full: No space left on device" },
	/* The output that failed, by its name: the events', not the report's. */
	{ { "run", "-e", "/dev/full", "--", "true" }, OUT_NULL, 125,
	  "cannot write to /dev/full: No space left on device" },
	{ { "top", "-b", "-n", "1" }, OUT_FULL, 125,
	  "cannot write to standard output: No space left on device" },
	{ { "ps", "--proc" }, OUT_FULL, 125, "cannot write to standard output: No space left" },
	{ { "system", "-i", "0" }, OUT_FULL, 125, "cannot write to standard output: No space" },
	{ { "connections" }, OUT_FULL, 125, "cannot write to standard output: No space" },
	{ { "inspect", "1" }, OUT_FULL, 125, "cannot write to standard output: No space" },
	/*
	 * A closed pipe (the reader went away): quiet, as SIGPIPE's default
	 * would end it (141, which a shell does not report); run with its
	 * job's own status. NULL: nothing may be said of the pipe.
	 */
	{ { "top", "-b", "-n", "1" }, OUT_CLOSED, 128 + SIGPIPE, NULL },
	{ { "ps" }, OUT_CLOSED, 128 + SIGPIPE, NULL },
	{ { "system", "-i", "0" }, OUT_CLOSED, 128 + SIGPIPE, NULL },
	{ { "connections" }, OUT_CLOSED, 128 + SIGPIPE, NULL },
	{ { "inspect", "1" }, OUT_CLOSED, 128 + SIGPIPE, NULL },
	{ { "run", "-j", "-o", "-", "--", "true" }, OUT_CLOSED, 0, NULL },
	{ { "run", "-j", "-o", "-", "--", "sh", "-c", "exit 5" }, OUT_CLOSED, 5, NULL },
	/*
	 * The records stream (its JSON writer said EIO for any failure, and run
	 * then exited 125), and -o naming standard output (its own file, which
	 * dropped records with a word on stderr).
	 */
	{ { "run", "--events", "-", "--", "sh", "-c", "true; true; true" }, OUT_CLOSED, 0, NULL },
	{ { "run", "-o", "/dev/stdout", "--", "true" }, OUT_CLOSED, 0, NULL },
	{ { "run", "--svg", "-", "--", "true" }, OUT_CLOSED, 0, NULL },
	{ { "run", "--events", "-", "--", "true" }, OUT_FULL, 125,
	  "cannot write to standard output: No space left on device" },
	/* A file option's value that is an option: no file named so is made. */
	{ { "run", "-o", "--json", "--", "true" }, OUT_NULL, 2, "--output takes a path" },
	{ { "run", "-e", "--", "true" }, OUT_NULL, 2, "--events takes a path" },
	{ { "version", "extra" }, OUT_NULL, 2, "version takes nothing after it" },
	{ { "--help", "extra" }, OUT_NULL, 2, "unknown command 'extra'" },
	/* A picture on standard output beside another output there: SVG inside JSON lines. */
	{ { "run", "--json", "-o", "-", "--svg", "-", "--", "true" }, OUT_NULL, 2,
	  "--output and --svg both write to standard output" },
	{ { "run", "--svg", "/dev/stdout", "--html", "-", "--", "true" }, OUT_NULL, 2,
	  "--svg and --html both write to standard output" },
	{ { "watch", "--all", "--svg", "-" }, OUT_NULL, 2,
	  "--svg -: the report goes to standard output" },
	{ { "run", "--html", "/dev/stderr", "--", "true" }, OUT_NULL, 2,
	  "--html /dev/stderr: the report goes to standard error" },
};

static void test_table(void **state)
{
	static struct result r;
	char paths[12][600], pid[16], message[256];

	snprintf(pid, sizeof(pid), "%d", (int)dead_pid());
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_case *c = &cases[i];
		const char *pct = c->message ? strchr(c->message, '%') : NULL;
		char *argv[12] = {};

		for (size_t a = 0; a < 11 && c->argv[a]; a++) {
			argv[a] = c->argv[a];
			if (argv[a][0] == '@') {
				tmp_path(paths[a], sizeof(paths[a]), argv[a] + 1);
				argv[a] = paths[a];
			} else if (!strcmp(argv[a], "%")) {
				argv[a] = pid;
			}
		}
		run_jt(argv, c->out, 0, 0, 90, &r);
		if (!c->message) {
			if (r.status != c->status || strstr(r.err, "Broken pipe") ||
			    strstr(r.err, "cannot write"))
				fail_msg("row %zu, jobtrace %s %s: exit %d (want %d, quietly), "
					 "stderr:\n%s",
					 i, argv[0], argv[1] ? argv[1] : "", r.status, c->status,
					 r.err);
			continue;
		}
		snprintf(message, sizeof(message), "%.*s%s%s", pct ? (int)(pct - c->message) : 0,
			 c->message, pct ? pid : "", pct ? pct + 1 : c->message);
		if (r.status != c->status || !strstr(r.err, message) ||
		    strncmp(r.err, "jobtrace: ", 10))
			fail_msg("row %zu, jobtrace %s %s %s: exit %d (want %d), stderr:\n%s\n"
				 "want: %s", i, argv[0] ? argv[0] : "", argv[1] ? argv[1] : "",
				 argv[2] ? argv[2] : "", r.status, c->status, r.err, message);
		/* A usage error says where to look. */
		if (c->status == 2 && !strstr(r.err, "--help"))
			fail_msg("row %zu: no usage hint:\n%s", i, r.err);
	}
}

/* @pid's (3) state and (20) num_threads from /proc; 0 when it cannot be read. */
static char proc_state(pid_t pid, long *threads)
{
	char path[64], buf[512], *p;
	char state = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* ") S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
	 * cutime cstime priority nice num_threads" */
	if (p && sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			       "%*d %*d %ld", &state, threads) != 2)
		state = 0;
	return state;
}

static char zombie_go[640];

/*
 * Ends its process with 4 once the test has seen watch attached (60 s at
 * most). _exit: a fork of an ASan-built test that ran exit()'s handlers
 * would report the test's heap as leaked and end with 1, not 4.
 */
static void *exit_later(void *unused)
{
	for (int i = 0; i < 6000 && access(zombie_go, F_OK); i++)
		harness__sleep_ms(10);
	_exit(4);
}

/*
 * A zombie: one whose threads have all ended is a pid that has ended
 * (watch and top say so and exit 1; a job of it would report nothing, its
 * exit unseen); a leader that left by pthread_exit() while a thread runs
 * on is a live process, watched to its end and its status.
 */
static void test_zombie_pids(void **state)
{
	static struct result r;
	char pid[16], message[96];
	char *watch[] = { "watch", "--pid", pid, NULL };
	char *top[] = { "top", "-b", "-n", "1", "--pid", pid, NULL };
	char *argv[5], errpath[640];
	long threads = 0;
	pid_t z, l, w;
	int st;

	z = fork();
	assert_true(z >= 0);
	if (z == 0)
		_exit(0);
	for (int i = 0; i < 1000 && proc_state(z, &threads) != 'Z'; i++)
		harness__sleep_ms(10);
	assert_int_equal(proc_state(z, &threads), 'Z');
	snprintf(pid, sizeof(pid), "%d", (int)z);
	snprintf(message, sizeof(message), "jobtrace: no process %d: it has ended", (int)z);
	run_jt(watch, OUT_NULL, 0, 0, 60, &r);
	if (r.status != 1 || !strstr(r.err, message))
		fail_msg("watch --pid of a zombie: exit %d, stderr:\n%s", r.status, r.err);
	run_jt(top, OUT_NULL, 0, 0, 60, &r);
	if (r.status != 1 || !strstr(r.err, message))
		fail_msg("top --pid of a zombie: exit %d, stderr:\n%s", r.status, r.err);
	assert_int_equal(waitpid(z, NULL, 0), z);

	tmp_path(zombie_go, sizeof(zombie_go), "zombie.go");
	unlink(zombie_go);
	l = fork();
	assert_true(l >= 0);
	if (l == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, exit_later, NULL))
			_exit(90);
		pthread_exit(NULL);
	}
	harness__track(l, 0);
	for (int i = 0; i < 1000 && proc_state(l, &threads) != 'Z'; i++)
		harness__sleep_ms(10);
	assert_int_equal(proc_state(l, &threads), 'Z');
	assert_int_equal(threads, 2);
	snprintf(pid, sizeof(pid), "%d", (int)l);
	/* The thread ends the process only once watch has attached: a slow load must not miss it. */
	snprintf(errpath, sizeof(errpath), "%s/zombie.err", H.tmpdir);
	argv[0] = H.jobtrace;
	memcpy(&argv[1], watch, sizeof(watch));
	w = harness__spawn(argv, NULL, errpath);
	if (harness__wait_text(errpath, "jobtrace: attached", 60000) < 0)
		fail_msg("watch --pid of a leader gone before its thread did not attach:\n%s",
			 harness__slurp(errpath));
	assert_int_equal(close(open(zombie_go, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
	st = harness__wait_s(w, 60);
	/* watch exits with its job's status, as run: the thread's exit(4). */
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 4)
		fail_msg("watch --pid of a leader gone before its thread: status %#x, stderr:\n%s",
			 st, harness__slurp(errpath));
	assert_int_equal(waitpid(l, &st, 0), l);
	harness__track(0, l);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 4);
}

static int thread_pipe = -1;

/* A second thread of its process: says its own id, then waits to be killed. */
static void *say_tid(void *unused)
{
	pid_t tid = gettid();

	if (write(thread_pipe, &tid, sizeof(tid)) != sizeof(tid))
		_exit(91);
	for (;;)
		pause();
	return NULL;
}

/*
 * A thread's id given as --pid: /proc/TID opens as a process's does, and
 * watch reported an empty job that had "ended", exit 0. Now an error
 * naming the process, as a pid that does not exist: exit 1.
 */
static void test_thread_pid(void **state)
{
	static struct result r;
	char tid_s[16], message[128];
	char *watch[] = { "watch", "--pid", tid_s, NULL };
	char *top[] = { "top", "-b", "-n", "1", "--pid", tid_s, NULL };
	char *const *cmds[] = { watch, top };
	int p[2];
	pid_t proc, tid;

	assert_int_equal(pipe(p), 0);
	proc = fork();
	assert_true(proc >= 0);
	if (proc == 0) {
		pthread_t t;

		close(p[0]);
		thread_pipe = p[1];
		if (pthread_create(&t, NULL, say_tid, NULL))
			_exit(90);
		for (;;)
			pause();
	}
	harness__track(proc, 0);
	close(p[1]);
	assert_int_equal(read(p[0], &tid, sizeof(tid)), sizeof(tid));
	close(p[0]);
	assert_int_not_equal(tid, proc);
	snprintf(tid_s, sizeof(tid_s), "%d", (int)tid);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		snprintf(message, sizeof(message),
			 "jobtrace: pid %d is a thread of process %d: %s --pid %d\n", (int)tid,
			 (int)proc, cmds[i][0], (int)proc);
		run_jt(cmds[i], OUT_NULL, 0, 0, 60, &r);
		if (r.status != 1 || !strstr(r.err, message))
			fail_msg("%s --pid of a thread: exit %d, stderr:\n%s", cmds[i][0], r.status,
				 r.err);
	}
	kill(proc, SIGKILL);
	assert_int_equal(waitpid(proc, NULL, 0), proc);
	harness__track(0, proc);
}

/*
 * One cgroup named twice by --cgroup, however spelled: as it is, with a
 * trailing slash, through "..", relative to the working directory, through
 * a symbolic link. Each was taken, two jobs of one cgroup; now a usage
 * error, as --pid given twice is. Two cgroups are still two jobs.
 */
static void test_cgroup_twice(void **state)
{
	static struct result r;
	char name_a[64], name_b[64], a[512], b[512], slash[520], dots[600], rel[1024], link[600];
	char cwd[512];
	const char *twice[] = { a, slash, dots, rel, link };
	int depth = 0;

	if (!harness__cgroup2_root()) {
		if (H.ci)
			fail_msg("no cgroup2 filesystem is mounted");
		printf("  no cgroup2 filesystem is mounted: --cgroup is not tried\n");
		skip();
	}
	snprintf(name_a, sizeof(name_a), "jt-test-badinput-%d-a", (int)getpid());
	snprintf(name_b, sizeof(name_b), "jt-test-badinput-%d-b", (int)getpid());
	harness__cgroup_make(name_a);
	harness__cgroup_make(name_b);
	harness__cgroup_path(a, sizeof(a), name_a, NULL);
	harness__cgroup_path(b, sizeof(b), name_b, NULL);
	snprintf(slash, sizeof(slash), "%s/", a);
	snprintf(dots, sizeof(dots), "%s/../%s", b, name_a);
	/* From the working directory jobtrace inherits: up to / and down again. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	for (const char *c = cwd; *c; c++)
		depth += *c == '/' && c[1];
	rel[0] = '\0';
	for (int i = 0; i < depth; i++)
		strcat(rel, "../");
	strcat(rel, a + 1);
	harness__path(link, sizeof(link), "cgroup-link");
	assert_int_equal(symlink(a, link), 0);

	for (size_t i = 0; i < ARRAY_SIZE(twice); i++) {
		char duration[] = "0.5", want[1200];
		char *watch[] = { "watch", "--duration", duration, "--cgroup", a, "--cgroup",
				  (char *)twice[i], NULL };
		char *top[] = { "top", "-b", "-n", "1", "--cgroup", (char *)twice[i], "-c", a, NULL };

		if (i == 0)
			snprintf(want, sizeof(want), "jobtrace: --cgroup %s is given twice\n", a);
		else
			snprintf(want, sizeof(want),
				 "jobtrace: --cgroup %s is given twice: it is the cgroup of --cgroup "
				 "%s\n", twice[i], a);
		run_jt(watch, OUT_NULL, 0, 0, 30, &r);
		if (r.status != 2 || !strstr(r.err, want) || !strstr(r.err, "jobtrace watch --help"))
			fail_msg("watch --cgroup %s --cgroup %s: exit %d, stderr:\n%s", a, twice[i],
				 r.status, r.err);
		/* top names them the other way round. */
		if (i == 0)
			snprintf(want, sizeof(want), "jobtrace: --cgroup %s is given twice\n", a);
		else
			snprintf(want, sizeof(want),
				 "jobtrace: --cgroup %s is given twice: it is the cgroup of --cgroup "
				 "%s\n", a, twice[i]);
		run_jt(top, OUT_NULL, 0, 0, 30, &r);
		if (r.status != 2 || !strstr(r.err, want))
			fail_msg("top --cgroup %s -c %s: exit %d, stderr:\n%s", twice[i], a, r.status,
				 r.err);
	}
	/* Two cgroups, side by side: no usage error. */
	char *two[] = { "top", "-b", "-n", "1", "--cgroup", a, "--cgroup", b, NULL };
	run_jt(two, OUT_NULL, 0, 0, 30, &r);
	if (r.status == 2 || strstr(r.err, "twice"))
		fail_msg("top --cgroup %s --cgroup %s: exit %d, stderr:\n%s", a, b, r.status, r.err);
	unlink(link);
	harness__cgroup_remove(name_a);
	harness__cgroup_remove(name_b);
}

/*
 * watch --pid of a process that ends after watch has checked it and before
 * the attach: strace holds watch's close of /proc/P/stat for 8 s once its
 * read is done (-P follows the fd), and the test kills P then, leaving it a
 * zombie. The attach finds nothing of it; before, watch exited 0 with an
 * empty job (started 0, exit_code null).
 */
static void test_pid_ends_during_attach(void **state)
{
	char pid[16], statpath[64], log[640], errpath[640], message[128], asan[1024];
	char *argv[] = { "/usr/bin/strace", "-f", "-qq", "-o", log, "-P", statpath,
			 "-e", "trace=read,close", "-e", "inject=close:delay_exit=8000000:when=1",
			 "-E", asan, H.jobtrace, "watch", "--pid", pid, "-o", "/dev/null", NULL };
	long threads = 0;
	pid_t z, w;
	int st;

	if (access(argv[0], X_OK))
		fail_msg("%s is missing (make deps installs it)", argv[0]);
	/*
	 * strace is the test's tool: where ptrace is refused (Yama, a seccomp'd
	 * container), the window cannot be made.
	 */
	if (system("/usr/bin/strace -o /dev/null /bin/true >/dev/null 2>&1")) {
		printf("  strace cannot trace here (ptrace refused): the attach race is not provoked\n");
		skip();
	}
	z = fork();
	assert_true(z >= 0);
	if (z == 0) {
		pause();
		_exit(0);
	}
	harness__track(z, 0);
	snprintf(pid, sizeof(pid), "%d", (int)z);
	/*
	 * An ASan jobtrace (make test-kernel-san) keeps its options, but not its
	 * leak check: LeakSanitizer cannot run under ptrace, and says so fatally.
	 */
	snprintf(asan, sizeof(asan), "ASAN_OPTIONS=%s%sdetect_leaks=0",
		 getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "",
		 getenv("ASAN_OPTIONS") ? ":" : "");
	snprintf(statpath, sizeof(statpath), "/proc/%d/stat", (int)z);
	snprintf(log, sizeof(log), "%s/attach-race.strace", H.tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/attach-race.err", H.tmpdir);
	w = harness__spawn(argv, NULL, errpath);
	/* strace writes the read's line when it returns: the close is then held. */
	if (harness__wait_text(log, "read(", 60000) < 0)
		fail_msg("watch never read %s:\n%s", statpath, harness__slurp(errpath));
	assert_int_equal(kill(z, SIGKILL), 0);
	for (int i = 0; i < 1000 && proc_state(z, &threads) != 'Z'; i++)
		harness__sleep_ms(10);
	assert_int_equal(proc_state(z, &threads), 'Z');
	st = harness__wait_s(w, 60);
	snprintf(message, sizeof(message), "jobtrace: no process %d: it ended while jobtrace attached",
		 (int)z);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 1 || !harness__has(errpath, message))
		fail_msg("watch --pid of a process gone during the attach: status %#x, stderr:\n%s",
			 st, harness__slurp(errpath));
	assert_int_equal(waitpid(z, NULL, 0), z);
	harness__track(0, z);
}

/* A FIFO in a --proc-root tree returned at once, and the missing lines are null. */
static void test_system_fifo_and_missing_lines(void **state)
{
	static const char *const nulls[] = { "ctx_switches", "interrupts", "forks",
					     "procs_running", "procs_blocked" };
	static struct result r;
	char proc[600], sys[600];
	char *argv[] = { "system", "--json", "-i", "0.2", "--proc-root", proc, "--sys-root", sys,
			 NULL };
	json_error_t jerr;
	json_t *root, *cpu, *load, *warnings, *w;
	bool disk_warned = false, mem_warned = false;
	size_t k;

	tmp_path(proc, sizeof(proc), "proc");
	tmp_path(sys, sizeof(sys), "sys");
	run_jt(argv, OUT_FILE, 0, 0, 20, &r);
	if (r.status != 0)
		fail_msg("exit %d:\n%s", r.status, r.err);
	root = json_loads(r.out, 0, &jerr);
	if (!root)
		fail_msg("not JSON (%s):\n%s", jerr.text, r.out);
	cpu = json_object_get(root, "cpu");
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++) {
		if (!json_is_null(json_object_get(cpu, nulls[i])))
			fail_msg("cpu.%s is not null without its /proc/stat line", nulls[i]);
	}
	/* What the file had is still there. */
	assert_int_equal(json_integer_value(json_object_get(cpu, "soft_interrupts")), 77);
	assert_true(json_is_null(json_object_get(cpu, "ctx_switches_per_s")));
	assert_true(json_is_null(json_object_get(cpu, "forks_per_s")));
	/* No btime: the boot time is the clock minus the uptime, and says so. */
	load = json_object_get(root, "load");
	assert_string_equal(json_string_value(json_object_get(load, "boot_time_source")), "uptime");
	/* The FIFOs are warned about, and the disks are not a total of 0. */
	assert_true(json_is_null(json_object_get(root, "disk_total")));
	warnings = json_object_get(root, "warnings");
	json_array_foreach(warnings, k, w) {
		const char *src = json_string_value(json_object_get(w, "source"));

		disk_warned |= src && strstr(src, "diskstats");
		mem_warned |= src && strstr(src, "meminfo");
	}
	assert_true(disk_warned);
	assert_true(mem_warned);
	json_decref(root);

	/* The text form shows an unknown count as '?', not 0. */
	char *text[] = { "system", "-i", "0.2", "--proc-root", proc, "--sys-root", sys, NULL };
	run_jt(text, OUT_FILE, 0, 0, 20, &r);
	assert_int_equal(r.status, 0);
	if (!strstr(r.out, "? running, ? blocked") || strstr(r.out, "context switches") ||
	    !strstr(r.out, "estimated: no btime"))
		fail_msg("text:\n%s", r.out);
}

/*
 * `history --job X --svg F --html G` of a job the history does not have:
 * F and G are left as they were. It removed both, even a file that was
 * there before the run (and as root, a device at the path).
 */
static void test_history_pictures_keep_paths(void **state)
{
	static struct result r;
	char hist[600], keep[600], dev[600], fifo[600], fresh[600];
	char *both[] = { "history", "--job", "nope", "--svg", keep, "--html", dev, hist, NULL };
	char *other[] = { "history", "--job", "nope", "--svg", fifo, "--html", fresh, hist, NULL };
	struct stat st;

	make_dir("hist");
	tmp_path(hist, sizeof(hist), "hist");
	write_file("keep.svg", "precious\n");
	tmp_path(keep, sizeof(keep), "keep.svg");
	/* A null device of the test's own, as /dev/null is one. */
	tmp_path(dev, sizeof(dev), "null.html");
	assert_int_equal(mknod(dev, S_IFCHR | 0666, makedev(1, 3)), 0);
	make_fifo("keep.fifo");
	tmp_path(fifo, sizeof(fifo), "keep.fifo");
	tmp_path(fresh, sizeof(fresh), "fresh.html");

	run_jt(both, OUT_NULL, 0, 0, 20, &r);
	if (r.status != 1 || !strstr(r.err, "jobtrace: no record of the job nope in "))
		fail_msg("exit %d, stderr:\n%s", r.status, r.err);
	assert_string_equal(harness__slurp(keep), "precious\n");
	assert_int_equal(lstat(dev, &st), 0);
	assert_true(S_ISCHR(st.st_mode));

	run_jt(other, OUT_NULL, 0, 0, 20, &r);
	if (r.status != 1 || !strstr(r.err, "jobtrace: no record of the job nope in "))
		fail_msg("exit %d, stderr:\n%s", r.status, r.err);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	/* Nothing to draw: nothing made. */
	assert_int_equal(lstat(fresh, &st), -1);
}

/*
 * serve --reports of a path that is not a directory: refused with its
 * cause before anything is made. It was checked once BPF had loaded and
 * the stream was made, and said "is not a directory" of a missing path.
 */
static void test_serve_reports_checked_first(void **state)
{
	static const struct {
		const char *rel, *cause;
	} bad[] = {
		{ "reports.none", "No such file or directory" },
		{ "bad/2/stat", "Not a directory" },
	};
	static struct result r;
	char sock[600], stream[600], reports[600], want[700];
	char *argv[] = { "serve", "--control", sock, "--stream", stream, "--reports", reports, NULL };
	struct stat st;

	tmp_path(sock, sizeof(sock), "reports.sock");
	tmp_path(stream, sizeof(stream), "reports.stream");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		tmp_path(reports, sizeof(reports), bad[i].rel);
		snprintf(want, sizeof(want), "jobtrace: --reports %s: %s\n", reports, bad[i].cause);
		run_jt(argv, OUT_NULL, 0, 0, 60, &r);
		if (r.status != 2 || !strstr(r.err, want))
			fail_msg("serve --reports %s: exit %d, stderr:\n%s", bad[i].rel, r.status,
				 r.err);
		/* Nothing made: neither the stream nor the socket. */
		assert_int_equal(lstat(stream, &st), -1);
		assert_int_equal(lstat(sock, &st), -1);
	}
}

/* `ps --tree` over a parent cycle lists all of it; deep chains stay linear. */
static void test_ps_tree_shapes(void **state)
{
	static const int chain[][2] = { { 1, 0 }, { 2, 4 }, { 3, 2 }, { 4, 3 }, { 5, 6 }, { 6, 5 } };
	static struct result r;
	char root[600], rel[64], line[256];
	char *argv[] = { "ps", "--tree", "--proc-root", root, NULL };

	make_dir("cyc");
	for (size_t i = 0; i < ARRAY_SIZE(chain); i++) {
		snprintf(rel, sizeof(rel), "cyc/%d", chain[i][0]);
		make_dir(rel);
		snprintf(rel, sizeof(rel), "cyc/%d/stat", chain[i][0]);
		snprintf(line, sizeof(line),
			 "%d (c%d) S %d 1 1 0 -1 4194304 0 0 0 0 1 1 0 0 20 0 1 0 100 4096 1 "
			 "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
			 chain[i][0], chain[i][0], chain[i][1]);
		write_file(rel, line);
		snprintf(rel, sizeof(rel), "cyc/%d/status", chain[i][0]);
		write_file(rel, "Uid:\t0\t0\t0\t0\n");
	}
	tmp_path(root, sizeof(root), "cyc");
	run_jt(argv, OUT_FILE, 0, 0, 20, &r);
	assert_int_equal(r.status, 0);
	for (size_t i = 0; i < ARRAY_SIZE(chain); i++) {
		const char *hit;

		snprintf(line, sizeof(line), " c%d\n", chain[i][0]);
		hit = strstr(r.out, line);
		if (!hit || strstr(hit + 1, line))
			fail_msg("c%d not listed exactly once:\n%s", chain[i][0], r.out);
	}
}

/*
 * The probe: `jobtrace run -i 0.2 -- sh -c 'sleep 2; exit 5' 2>&1 >/dev/null
 * | head -c 10` exited 141 with the job left unsupervised. Its stderr (the
 * report's stream) is a closed pipe here: jobtrace must see the job to its
 * end and exit with its status.
 */
static void test_run_closed_stderr(void **state)
{
	/*
	 * And a job that exits 0, text and JSON: the report's failed write
	 * was EIO to run (stderr keeps nothing to retry), which made it 125.
	 */
	const char *jobs[][2] = { { "sleep 2; exit 5", "-i" }, { "sleep 0.3", "-i" },
				  { "sleep 0.3", "--json" } };

	for (size_t i = 0; i < ARRAY_SIZE(jobs); i++) {
		char *args[] = { H.jobtrace, "run", (char *)jobs[i][1], "0.2", "--", "sh", "-c",
				 (char *)jobs[i][0], NULL };
		struct harness_onto closed = { -1, 2 };
		int p[2], st, want = strstr(jobs[i][0], "exit 5") ? 5 : 0;
		unsigned long long t0;
		pid_t pid;
		double wall;

		/* --json takes no value: "0.2" is then the command, so drop it. */
		if (!strcmp(jobs[i][1], "--json"))
			memmove(&args[3], &args[4], 5 * sizeof(args[0]));
		assert_int_equal(pipe(p), 0);
		close(p[0]);
		closed.fd = p[1];
		t0 = harness__mono_ns();
		pid = harness__spawn_prep(args, NULL, NULL, harness__onto, &closed);
		close(p[1]);
		st = harness__wait(pid);
		wall = seconds_since(t0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != want)
			fail_msg("%s %s: exit %d (signal %d), want the job's %d", jobs[i][1],
				 jobs[i][0], WIFEXITED(st) ? WEXITSTATUS(st) : -1,
				 WIFSIGNALED(st) ? WTERMSIG(st) : 0, want);
		/* Supervised to the end: it did not return before the job did. */
		assert_true(wall >= (want ? 1.9 : 0.25));
	}
}

/*
 * SIGINT and SIGTERM end every long-running command cleanly: exit 0 (run:
 * the job's own death by that signal; watch: its job's status so far), the report written, and for serve a
 * stream marked closed, which `tail --until-closed` then reads to its end.
 */
static void test_signals(void **state)
{
	static struct result r;
	char stream[600];
	const int sigs[] = { SIGINT, SIGTERM };

	tmp_path(stream, sizeof(stream), "sig.stream");
	for (size_t s = 0; s < ARRAY_SIZE(sigs); s++) {
		int sig = sigs[s];
		char *run[] = { "run", "-j", "-o", "-", "--", "sleep", "30", NULL };
		char *watch[] = { "watch", "--pid", "1", "-j", NULL };
		char *top[] = { "top", "-b", "-d", "0.2", NULL };
		char *serve[] = { "serve", "-i", "0.5", "--stream", stream, NULL };
		char *tail_closed[] = { "tail", "--json", "--stream", stream, "--until-closed", NULL };
		char *tail_open[] = { "tail", "--json", "--stream", stream, NULL };

		/* run passes the signal to the job and reports it: exit 128 + sig. */
		run_jt(run, OUT_FILE, sig, 1.5, 30, &r);
		if (r.status != 128 + sig || !strstr(r.out, "\"signal\":") ||
		    !strstr(r.out, "\"root_pid\""))
			fail_msg("run, signal %d: exit %d, out:\n%s\nerr:\n%s", sig, r.status, r.out,
				 r.err);
		/*
		 * watch stops cleanly too; pid 1 still runs, so its job's status
		 * is whether any of its processes failed meanwhile (this host is
		 * busy with others' work): 1 exactly when its record counts one.
		 */
		run_jt(watch, OUT_FILE, sig, 2, 90, &r);
		if (r.status != (strstr(r.out, "\"exit_error\":0,\"exit_signal\":0") ? 0 : 1) ||
		    !strstr(r.out, "\"job\""))
			fail_msg("watch, signal %d: exit %d, out:\n%.2000s\nerr:\n%s", sig, r.status,
				 r.out, r.err);
		/* Late enough for a frame on a busy machine under ASan. */
		run_jt(top, OUT_FILE, sig, 4, 90, &r);
		if (r.status != 0 || !r.out[0])
			fail_msg("top -b, signal %d: exit %d, err:\n%s", sig, r.status, r.err);
		run_jt(serve, OUT_NULL, sig, 2, 90, &r);
		if (r.status != 0)
			fail_msg("serve, signal %d: exit %d, err:\n%s", sig, r.status, r.err);
		/* Marked closed: --until-closed returns at once with what it held. */
		run_jt(tail_closed, OUT_FILE, 0, 0, 10, &r);
		if (r.status != 0)
			fail_msg("tail --until-closed after serve stopped: exit %d, err:\n%s",
				 r.status, r.err);
		/* tail itself, waiting on a stream, stops cleanly on the signal too. */
		run_jt(tail_open, OUT_NULL, sig, 1, 10, &r);
		if (r.status != 0)
			fail_msg("tail, signal %d: exit %d, err:\n%s", sig, r.status, r.err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_zombie_pids),
		cmocka_unit_test(test_pid_ends_during_attach),
		cmocka_unit_test(test_thread_pid),
		cmocka_unit_test(test_cgroup_twice),
		cmocka_unit_test(test_system_fifo_and_missing_lines),
		cmocka_unit_test(test_history_pictures_keep_paths),
		cmocka_unit_test(test_serve_reports_checked_first),
		cmocka_unit_test(test_ps_tree_shapes),
		cmocka_unit_test(test_run_closed_stderr),
		cmocka_unit_test(test_signals),
	};

	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
