// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The command line as a script sees it: what every command says and exits
 * with when its standard output cannot be written (a full disk, a reader
 * that went away), and `help COMMAND`.
 */
#include "harness.h"

#define EXIT_FAILURE_OWN 125

struct result {
	int status; /* exit status; 128 + N when signal N killed it */
	char err[4096]; /* its standard error */
};

/*
 * Runs jobtrace with @argv (after "jobtrace") and its stdout on @out_fd;
 * when @read_one, reads one byte of @read_fd and closes it, as `| head -c1`.
 */
static void run_with_stdout(char *const argv[], int out_fd, int read_fd, bool read_one,
			    struct result *r)
{
	char *args[16] = { H.jobtrace };
	int errp[2], st;
	ssize_t n, len = 0;
	pid_t pid;

	for (int i = 0; argv[i] && i < 14; i++)
		args[i + 1] = argv[i];
	assert_int_equal(pipe(errp), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out_fd, 1);
		dup2(errp[1], 2);
		if (read_fd >= 0)
			close(read_fd);
		execv(H.jobtrace, args);
		_exit(127);
	}
	close(errp[1]);
	if (read_one) {
		char c;

		assert_int_equal(read(read_fd, &c, 1), 1);
		close(read_fd);
	}
	while ((n = read(errp[0], r->err + len, sizeof(r->err) - 1 - (size_t)len)) > 0)
		len += n;
	r->err[len] = '\0';
	close(errp[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect_write_error(char *const argv[], const struct result *r, const char *cause)
{
	char want[256];
	const char *line;

	snprintf(want, sizeof(want), "jobtrace: cannot write to standard output: %s\n", cause);
	line = strstr(r->err, want);
	if (r->status != EXIT_FAILURE_OWN || !line || strstr(line + strlen(want), "cannot write"))
		fail_msg("jobtrace %s %s: exit %d, stderr:\n%s", argv[0], argv[1] ? argv[1] : "",
			 r->status, r->err);
	/* Nothing after it, and no second message in another command's words. */
	assert_string_equal(line, want);
	assert_null(strstr(r->err, "cannot write the"));
}

/* Every command, --help and version included: one message, exit 125. */
static void test_full_disk(void **state)
{
	static char *const cmds[][5] = {
		{ "version" },
		{ "--help" },
		{ "help" },
		{ "run", "--help" },
		{ "ps" },
		{ "ps", "--json" },
		{ "ps", "--proc", "--tree" },
		{ "system", "--json", "-i", "0.1" },
		{ "system", "-i", "0.1" },
		{ "inspect", "1" },
		{ "connections", "--kind", "all" },
	};
	int full = open("/dev/full", O_WRONLY);
	struct result r;

	assert_true(full >= 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		run_with_stdout(cmds[i], full, -1, false, &r);
		expect_write_error(cmds[i], &r, "No space left on device");
	}
	close(full);
}

/* A reader that went away ended it as SIGPIPE's default would: no word, 128 + SIGPIPE. */
static void expect_quiet_pipe_end(char *const argv[], const struct result *r, int status)
{
	if (r->status != status || strstr(r->err, "cannot write") || strstr(r->err, "Broken pipe"))
		fail_msg("jobtrace %s %s: exit %d (want %d), stderr:\n%s", argv[0],
			 argv[1] ? argv[1] : "", r->status, status, r->err);
}

/*
 * A reader that is gone (`jobtrace ps | head`): every command ends quietly,
 * as a shell user expects of any command in a pipe, with SIGPIPE's status
 * (which a shell does not report); run with its job's own status.
 */
static void test_closed_pipe(void **state)
{
	static char *const small[][3] = { { "version" }, { "--help" }, { "ps", "--help" } };
	static char *const long_runs[][9] = {
		{ "ps", "--json" },
		{ "top", "-b", "-d", "0.2" },
		{ "watch", "--all", "--json", "-i", "0.2" },
		{ "system", "--json", "-i", "0.1" },
	};
	static char *const run_seq[] = { "run", "--json", "-o", "-", "--", "/bin/sh", "-c",
					 "seq 1 200000; exit 3", NULL };
	struct result r;
	int p[2];

	/* The reader closed before anything was written. */
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		assert_int_equal(pipe(p), 0);
		close(p[0]);
		run_with_stdout(small[i], p[1], -1, false, &r);
		close(p[1]);
		expect_quiet_pipe_end(small[i], &r, 128 + SIGPIPE);
	}
	/*
	 * `jobtrace ps --json | head -c1` and the commands that write until
	 * stopped, made deterministic: a one-page pipe that the output
	 * overfills, so jobtrace is still writing when the reader takes one
	 * byte and leaves.
	 */
	for (size_t i = 0; i < sizeof(long_runs) / sizeof(long_runs[0]); i++) {
		assert_int_equal(pipe(p), 0);
		assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 0);
		run_with_stdout(long_runs[i], p[1], p[0], true, &r);
		close(p[1]);
		expect_quiet_pipe_end(long_runs[i], &r, 128 + SIGPIPE);
	}
	/* run: the job's output and the report share the pipe; the job's status stands. */
	assert_int_equal(pipe(p), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 0);
	run_with_stdout(run_seq, p[1], p[0], true, &r);
	close(p[1]);
	/* seq dies of SIGPIPE, the shell goes on to exit 3: the job's status, not 125. */
	expect_quiet_pipe_end(run_seq, &r, 3);
}

/*
 * jobtrace takes SIGPIPE as EPIPE, but the job `run` starts must still die
 * of it as it would without jobtrace: `yes | head` ends by SIGPIPE (141).
 */
static void test_job_keeps_sigpipe(void **state)
{
	static char *const argv[] = { "run", "--", "bash", "-c",
				      "yes | head -c1 >/dev/null; exit ${PIPESTATUS[0]}", NULL };
	int devnull = open("/dev/null", O_WRONLY);
	struct result r;

	run_with_stdout(argv, devnull, -1, false, &r);
	close(devnull);
	if (r.status != 128 + SIGPIPE)
		fail_msg("exit %d, stderr:\n%s", r.status, r.err);
}

/* Runs jobtrace with @argv; its stdout into @out (NUL-terminated), stderr into @r. */
static void run_capture(char *const argv[], char *out, size_t size, struct result *r)
{
	FILE *f = tmpfile();
	size_t n;

	assert_non_null(f);
	run_with_stdout(argv, fileno(f), -1, false, r);
	rewind(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
}

/* `help CMD` is CMD's own --help for every command; an unknown one is a usage error. */
static void test_help_command(void **state)
{
	static char *const names[] = { "run",         "ps",      "system", "inspect",
				       "connections", "history", "report" };
	static char help[8192], own[8192];
	struct result r;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *const via_help[] = { "help", names[i], NULL };
		char *const via_flag[] = { names[i], "--help", NULL };
		char want[64];

		run_capture(via_help, help, sizeof(help), &r);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.err, "");
		run_capture(via_flag, own, sizeof(own), &r);
		assert_int_equal(r.status, 0);
		assert_string_equal(help, own);
		snprintf(want, sizeof(want), "Usage: jobtrace %s ", names[i]);
		if (strncmp(help, want, strlen(want)))
			fail_msg("help %s printed:\n%s", names[i], help);
	}

	char *const nosuch[] = { "help", "nosuch", NULL };
	run_capture(nosuch, help, sizeof(help), &r);
	assert_int_equal(r.status, 2);
	assert_string_equal(help, "");
	assert_non_null(strstr(r.err, "unknown command 'nosuch'"));

	char *const two[] = { "help", "ps", "run", NULL };
	run_capture(two, help, sizeof(help), &r);
	assert_int_equal(r.status, 2);
	assert_string_equal(help, "");

	/* `help` alone, and `help help`, are the overview. */
	char *const alone[] = { "help", NULL };
	char *const help_help[] = { "help", "help", NULL };
	run_capture(alone, help, sizeof(help), &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(help, "help [COMMAND]"));
	run_capture(help_help, own, sizeof(own), &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(help, own);
}

static int setup(void **state)
{
	return harness__setup("cli");
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_disk),
		cmocka_unit_test(test_closed_pipe),
		cmocka_unit_test(test_job_keeps_sigpipe),
		cmocka_unit_test(test_help_command),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
