// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace inspect` and `jobtrace connections` as a user runs them: JSON
 * that parses whatever a process named itself, a gone pid among live ones,
 * bad arguments, and an unprivileged user looking at root's processes.
 */
#include <netinet/in.h>
#include <sys/prctl.h>

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
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_unprivileged),
		cmocka_unit_test(test_connections),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
