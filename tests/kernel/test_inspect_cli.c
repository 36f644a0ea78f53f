// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace inspect` and `jobtrace connections` as a user runs them: JSON
 * that parses whatever a process named itself, a gone pid among live ones,
 * a thread's id among them, bad arguments, and an unprivileged user looking
 * at root's processes.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "harness.h"

#include "jobtrace/util.h"

static char out_path[300], err_path[300];

/* Runs argv with stdout and stderr in files; returns the exit status. */
static int run(char *const argv[])
{
	return harness__exit_code(argv, out_path, err_path);
}

static json_t *stdout_json(void)
{
	return harness__json(out_path);
}

/* A harness_prep_fn: a name with quotes, a newline and a byte that is not UTF-8. */
static int name_hostile(const void *unused)
{
	return prctl(PR_SET_NAME, "q\"x\n\xff)");
}

static void test_json_and_gone_pid(void **state)
{
	char self[16], child[16], gone[16];
	pid_t pid = harness__fork_paused(name_hostile, NULL), dead = fork();
	json_t *r;

	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	snprintf(self, sizeof(self), "%d", getpid());
	snprintf(child, sizeof(child), "%d", pid);
	snprintf(gone, sizeof(gone), "%d", dead);

	char *argv[] = { H.jobtrace, "inspect", "--json", self, gone, child, NULL };
	/* The gone pid fails the run (exit 1) and the two live ones are still there. */
	assert_int_equal(run(argv), 1);
	r = stdout_json();
	assert_int_equal(json_array_size(r), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "pid")),
			 getpid());
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "ppid")),
			 getppid());
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 1), "comm")),
			    "q\"x\n\xef\xbf\xbd)");
	json_decref(r);
	assert_non_null(strstr(harness__slurp(err_path), "no process with pid"));

	/* Text output keeps the hostile name on one line. */
	char *text[] = { H.jobtrace, "inspect", child, NULL };
	assert_int_equal(run(text), 0);
	assert_non_null(strstr(harness__slurp(out_path), "q\"x\\x0a\\xff)\n"));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int tid_pipe[2] = { -1, -1 };

/* A second thread of this test: says its id, then waits for the test's end. */
static void *say_tid(void *unused)
{
	pid_t tid = gettid();

	if (write(tid_pipe[1], &tid, sizeof(tid)) != sizeof(tid))
		abort();
	for (;;)
		pause();
	return NULL;
}

/* @text in the file @dir/@name. */
static void put_file(const char *dir, const char *name, const char *text)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/*
 * A thread's id: /proc/TID opens as a process's does, and inspect showed
 * the thread as if it were a process (its own pid, the process's memory
 * and files). Now it says which process to name, as watch and top --pid
 * do, exits 1 as for a gone pid, and still shows the other pids. With
 * --proc-root the Tgid is the tree's: pid 4250 of a tree that says it is
 * a thread of 4242 is refused, whatever this host's 4250 is.
 */
static void test_thread_pid(void **state)
{
	char self[16], tid_s[16], message[128], root[300], dir[320];
	pthread_t t;
	pid_t tid;
	json_t *r;

	assert_int_equal(pipe(tid_pipe), 0);
	assert_int_equal(pthread_create(&t, NULL, say_tid, NULL), 0);
	assert_int_equal(read(tid_pipe[0], &tid, sizeof(tid)), sizeof(tid));
	assert_int_not_equal(tid, getpid());
	snprintf(self, sizeof(self), "%d", getpid());
	snprintf(tid_s, sizeof(tid_s), "%d", (int)tid);
	snprintf(message, sizeof(message), "jobtrace: pid %d is a thread of process %d: inspect %d\n",
		 (int)tid, getpid(), getpid());

	char *json[] = { H.jobtrace, "inspect", "--json", tid_s, self, NULL };
	assert_int_equal(run(json), 1);
	if (!strstr(harness__slurp(err_path), message))
		fail_msg("stderr lacks '%s':\n%s", message, harness__slurp(err_path));
	r = stdout_json();
	assert_int_equal(json_array_size(r), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "pid")),
			 getpid());
	json_decref(r);
	/* The text output, and -i: refused before the interval's wait, not after. */
	char *text[] = { H.jobtrace, "inspect", "-i", "0.1", tid_s, NULL };
	assert_int_equal(run(text), 1);
	assert_non_null(strstr(harness__slurp(err_path), message));
	assert_string_equal(harness__slurp(out_path), "");

	harness__path(root, sizeof(root), "thread-root");
	snprintf(dir, sizeof(dir), "%s/4250", root);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	put_file(dir, "status", "Name:\tnginx-aio\nState:\tS (sleeping)\nTgid:\t4242\n"
				"Pid:\t4250\nPPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
				"Threads:\t2\n");
	put_file(dir, "stat", "4250 (nginx-aio) S 1 4242 4242 34817 4242 4194368 10 0 0 0 300 "
			      "200 0 0 20 0 4 0 123456789100 1234567168 2500\n");
	char *fixture[] = { H.jobtrace, "inspect", "--proc-root", root, "4250", NULL };
	assert_int_equal(run(fixture), 1);
	if (!strstr(harness__slurp(err_path),
		    "jobtrace: pid 4250 is a thread of process 4242: inspect 4242\n"))
		fail_msg("--proc-root: stderr:\n%s", harness__slurp(err_path));
	close(tid_pipe[0]);
	close(tid_pipe[1]);
}

static void test_bad_arguments(void **state)
{
	static const struct {
		const char *args[4];
		const char *msg;
	} cases[] = {
		{ { NULL }, "needs a PID" },
		{ { "abc" }, "'abc' is not a process id" },
		{ { "0" }, "'0' is not a process id" },
		{ { "--frob", "1" }, "unknown option '--frob'" },
		{ { "-i", "0", "1" }, "--interval takes seconds" },
		{ { "-i" }, "option '-i' needs a value" },
		/* -e is run's and watch's --events: inspect's --environ has no letter. */
		{ { "-e", "1" }, "say --environ" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *argv[8] = { H.jobtrace, "inspect" };
		const char *err;

		for (int a = 0; a < 4 && cases[i].args[a]; a++)
			argv[2 + a] = (char *)cases[i].args[a];
		assert_int_equal(run(argv), 2);
		err = harness__slurp(err_path);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: stderr '%s' lacks '%s'", i, err, cases[i].msg);
	}
}

/* Nobody inspecting root's process: what needs ptrace access is unavailable, the rest is there. */
static void test_unprivileged(void **state)
{
	char self[16];
	json_t *r, *p, *un;
	double pct;

	if (geteuid() != 0)
		fail_msg("this test needs root to drop to nobody");
	snprintf(self, sizeof(self), "%d", getpid());
	char *argv[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			 H.jobtrace, "inspect", "--json", "--environ", self, NULL };
	assert_int_equal(run(argv), 0);
	r = stdout_json();
	p = json_array_get(r, 0);
	assert_int_equal(json_integer_value(json_object_get(p, "pid")), getpid());
	assert_true(json_is_null(json_object_get(p, "io")));
	assert_true(json_is_null(json_object_get(p, "open_files")));
	un = json_object_get(p, "unavailable");
	assert_string_equal(json_string_value(json_object_get(un, "io")), "Permission denied");
	assert_string_equal(json_string_value(json_object_get(un, "environ")), "Permission denied");
	/* World-readable parts are all there. */
	assert_true(json_integer_value(json_object_get(json_object_get(p, "memory"), "rss_bytes")) > 0);
	/* Of MemTotal, which the CLI reads itself. */
	pct = json_number_value(json_object_get(json_object_get(p, "memory"), "percent"));
	assert_true(pct > 0 && pct < 100);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "uids"), "real")), 0);
	assert_true(json_is_object(json_object_get(p, "rlimits")));
	json_decref(r);
}

/*
 * `jobtrace connections` as root finds this test's listener and its fd; as
 * nobody it still lists the socket, with no owner and the unreadable count.
 */
static void test_connections(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char *root[] = { H.jobtrace, "connections", "--json", "--kind", "tcp4", NULL };
	char *nobody[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			   H.jobtrace, "connections", "--json", NULL };
	char *bad[] = { H.jobtrace, "connections", "--kind", "tcp7", NULL };
	socklen_t slen = sizeof(sa);
	/* CLOEXEC: jobtrace, forked from here, must not hold it too. */
	int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool found_root = false, found_nobody = false;
	size_t i;
	json_t *r, *c;

	assert_int_equal(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(sock, 1), 0);
	assert_int_equal(getsockname(sock, (struct sockaddr *)&sa, &slen), 0);

	assert_int_equal(run(root), 0);
	r = stdout_json();
	json_array_foreach(json_object_get(r, "connections"), i, c) {
		if (json_integer_value(json_object_get(c, "lport")) != ntohs(sa.sin_port))
			continue;
		found_root = true;
		assert_int_equal(json_integer_value(json_object_get(c, "pid")), getpid());
		assert_int_equal(json_integer_value(json_object_get(c, "fd")), sock);
		assert_string_equal(json_string_value(json_object_get(c, "status")), "LISTEN");
	}
	assert_true(found_root);
	json_decref(r);

	assert_int_equal(run(nobody), 0);
	r = stdout_json();
	assert_true(json_integer_value(json_object_get(r, "processes_unreadable")) > 0);
	json_array_foreach(json_object_get(r, "connections"), i, c) {
		if (json_integer_value(json_object_get(c, "lport")) != ntohs(sa.sin_port))
			continue;
		found_nobody = true;
		assert_true(json_is_null(json_object_get(c, "pid")));
	}
	assert_true(found_nobody);
	json_decref(r);

	assert_int_equal(run(bad), 2);
	assert_non_null(strstr(harness__slurp(err_path), "unknown --kind 'tcp7'"));
	close(sock);
}

static int setup(void **state)
{
	if (harness__setup("inspect-cli"))
		return -1;
	snprintf(out_path, sizeof(out_path), "%s/stdout", H.tmpdir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", H.tmpdir);
	return access(H.jobtrace, X_OK);
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_and_gone_pid),
		cmocka_unit_test(test_thread_pid),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_unprivileged),
		cmocka_unit_test(test_connections),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
