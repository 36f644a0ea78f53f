// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve --control for users other than root: `jobtrace run` as uid 65534
 * through a running serve (exact BPF figures, no privileges), what such a
 * user may not do on the socket, idle clients that must not lock Slurm's
 * steps out, report files one per key, and run's fallback without serve.
 * As root, serve in the harness's directory, which every user may enter;
 * the users are setresuid'd children. Ground truth: churn's --truth,
 * the statuses the test chose, the processes the test forked.
 * Needs root and BPF; fails, never skips.
 */
#include "testutil.h"

#include <dirent.h>
#include <poll.h>
#include <sys/un.h>

#include "harness.h"
#include "jobtrace/control.h"
#include "jobtrace/util.h"

#define NOBODY HARNESS_NOBODY

static char sock[600], reports[600], out[600];
static pid_t serve_pid;

static double now_s(void)
{
	return (double)harness__mono_ns() / 1e9;
}

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

static int connect_sock(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(sock) >= sizeof(addr.sun_path))
		fail_msg("socket path too long: %s", sock);
	memcpy(addr.sun_path, sock, strlen(sock) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Sends @req on @fd and reads the reply's first line (and what came with it) into @reply. */
static void ask(int fd, const char *req, char *reply, size_t size)
{
	size_t got = 0;

	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	reply[0] = '\0';
	while (got < size - 1 && !memchr(reply, '\n', got)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10000) != 1)
			break;
		n = recv(fd, reply + got, size - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		reply[got] = '\0';
	}
}

/* Root's LIST: how many jobs, and how many with keys that start with @prefix. */
static size_t list_root(const char *prefix, size_t *matching)
{
	char buf[1 << 16], *line, *save = NULL;
	size_t got = 0, n = 0, lines = 0;
	int fd = connect_sock();

	assert_true(fd >= 0);
	assert_int_equal(send(fd, "LIST\n", 5, MSG_NOSIGNAL), 5);
	*matching = 0;
	for (;;) {
		ssize_t r;

		buf[got] = '\0';
		lines = 0;
		for (char *p = buf; (p = strchr(p, '\n')); p++)
			lines++;
		if (sscanf(buf, "OK %zu", &n) == 1 && lines == n + 1)
			break;
		r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		assert_true(r > 0);
		got += (size_t)r;
	}
	close(fd);
	strtok_r(buf, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save)))
		*matching += !strncmp(line, prefix, strlen(prefix));
	return n;
}

/* One request on a fresh connection, as root. */
static void ask_root(const char *req, char *reply, size_t size)
{
	int fd = connect_sock();

	assert_true(fd >= 0);
	ask(fd, req, reply, size);
	close(fd);
}

/*
 * The requests @reqs on one connection as uid @uid; each reply's first line
 * into @replies (a forked child does the asking: the test stays root).
 */
static void ask_as(int uid, const char *const *reqs, size_t n, char replies[][256])
{
	int pfd[2];
	pid_t p;

	assert_int_equal(pipe(pfd), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		char reply[256];
		int fd;

		close(pfd[0]);
		if (as_user(&uid))
			_exit(126);
		fd = connect_sock();
		for (size_t i = 0; i < n; i++) {
			reply[0] = '\0';
			if (fd >= 0)
				ask(fd, reqs[i], reply, sizeof(reply));
			reply[strcspn(reply, "\n")] = '\0';
			if (write(pfd[1], reply, sizeof(reply)) != sizeof(reply))
				_exit(1);
		}
		_exit(0);
	}
	harness__track(p, 0); /* waited for below, killed by the teardown if not */
	close(pfd[1]);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(read(pfd[0], replies[i], 256), 256);
	close(pfd[0]);
	assert_int_equal(wait_exit(p, 30), 0);
}

/* as_user, for a paused process: a change of uid clears the death signal, set it again. */
static int as_user_paused(const void *arg)
{
	return as_user(arg) || prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* A process of @uid (root when < 0) that waits until the test kills and reaps it. */
static pid_t sleeper_of(int uid)
{
	return harness__fork_paused(uid >= 0 ? as_user_paused : NULL, &uid);
}

/* churn as nobody through serve: every process counted, in bpf mode, by serve. */
static void test_nobody_run_through_serve_is_exact(void **state)
{
	char report[700], truth[700], err[700];
	char *argv[] = { H.jobtrace, "run", "--json", "-o", report, "--control", sock, "--",
			 H.churn, "--children", "2000", "--orphans", "10", "--fail", "7", "--kill",
			 "3", "--threads", "4", "--truth", truth, NULL };
	json_t *r, *t, *cmd;
	struct stat sb;
	DIR *d;
	struct dirent *de;
	double t0;
	int rc;

	snprintf(report, sizeof(report), "%s/churn.json", out);
	snprintf(truth, sizeof(truth), "%s/churn.truth.json", out);
	snprintf(err, sizeof(err), "%s/churn.err", out);
	t0 = now_s();
	rc = wait_exit(spawn_as(NOBODY, argv, NULL, err), 120);
	printf("  nobody: run -- churn --children 2000 ... through serve: %.3f s, status %d\n",
	       now_s() - t0, rc);
	assert_int_equal(rc, 0);
	/* The report is nobody's own file: serve never wrote it, run did. */
	assert_int_equal(stat(report, &sb), 0);
	assert_int_equal(sb.st_uid, NOBODY);
	r = harness__json(report);
	t = harness__json(truth);
	assert_string_equal(json_string_value(json_object_get(r, "mode")), "bpf");
	assert_string_equal(json_string_value(json_object_get(r, "via")), "serve");
	printf("  nobody: %.0f started, %.0f exited, ok/err/sig %.0f/%.0f/%.0f | truth %.0f, "
	       "%.0f/%.0f/%.0f\n",
	       harness__num(r, "processes.started"), harness__num(r, "processes.exited"),
	       harness__num(r, "processes.exit_ok"), harness__num(r, "processes.exit_error"),
	       harness__num(r, "processes.exit_signal"), harness__num(t, "processes"),
	       harness__num(t, "exit_ok"), harness__num(t, "exit_error"),
	       harness__num(t, "exit_signal"));
	assert_int_equal(harness__num(r, "processes.started"), harness__num(t, "processes"));
	assert_int_equal(harness__num(r, "processes.exited"), harness__num(t, "processes"));
	assert_int_equal(harness__num(r, "processes.alive"), 0);
	assert_int_equal(harness__num(r, "processes.exit_ok"), harness__num(t, "exit_ok"));
	assert_int_equal(harness__num(r, "processes.exit_error"), harness__num(t, "exit_error"));
	assert_int_equal(harness__num(r, "processes.exit_signal"), harness__num(t, "exit_signal"));
	assert_int_equal(harness__num(r, "threads.started"), harness__num(t, "threads"));
	assert_int_equal(harness__num(r, "events.lost"), 0);
	assert_int_equal(harness__num(r, "job.exit_code"), 0);
	cmd = json_object_get(json_object_get(r, "job"), "command");
	assert_string_equal(json_string_value(json_array_get(cmd, 0)), H.churn);
	json_decref(r);
	json_decref(t);
	/* A user's reports go back to it alone: nothing of nobody's in serve's --reports. */
	d = opendir(reports);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, ":65534:"))
			fail_msg("serve wrote nobody's report %s/%s", reports, de->d_name);
	closedir(d);
	assert_false(harness__has(err, "falling back"));
}

/* The job's own status, the text report saying where the figures come from, signals passed on. */
static void test_nobody_status_text_and_signals(void **state)
{
	char err[700];
	char *exit4[] = { H.jobtrace, "run", "--control", sock, "--", "sh", "-c", "exit 4", NULL };
	char *killed[] = { H.jobtrace, "run", "--control", sock, "--", "sh", "-c", "kill -9 $$",
			   NULL };
	char *sleeper[] = { H.jobtrace, "run", "--control", sock, "--", "sleep", "30", NULL };
	char *missing[] = { H.jobtrace, "run", "--control", sock, "--", "/nonexistent/cmd", NULL };
	pid_t p;

	snprintf(err, sizeof(err), "%s/exit4.err", out);
	assert_int_equal(wait_exit(spawn_as(NOBODY, exit4, NULL, err), 30), 4);
	assert_true(harness__has(err, "mode       bpf, counted by jobtrace serve"));
	/* Named by its command, as run's own report is: serve took it from the root's exec. */
	assert_true(harness__has(err, "jobtrace: sh -c exit 4 (root pid "));
	assert_true(harness__has(err, "exited with status 4"));
	assert_true(harness__has(err, "processes  1 started, 1 exited"));
	assert_int_equal(wait_exit(spawn_as(NOBODY, killed, NULL, err), 30), 128 + 9);
	assert_true(harness__has(err, "killed by signal 9"));
	/* kill(2) on run reaches the command; the report is still written. */
	p = spawn_as(NOBODY, sleeper, NULL, err);
	harness__sleep_ms(500);
	kill(p, SIGTERM);
	assert_int_equal(wait_exit(p, 30), 128 + SIGTERM);
	assert_true(harness__has(err, "counted by jobtrace serve"));
	assert_int_equal(wait_exit(spawn_as(NOBODY, missing, NULL, err), 30), 127);
	assert_true(harness__has(err, "command not found"));
}

/*
 * -o that cannot be written, through serve: the words run's and watch's own
 * outputs use (sink__strerror()), not strerror()'s "Too many levels of
 * symbolic links" for a link jobtrace refuses to follow.
 */
static void test_output_refused_through_serve(void **state)
{
	char link[700], err[700];
	char *run[] = { H.jobtrace, "run", "--control", sock, "-o", link, "--", "true", NULL };

	snprintf(link, sizeof(link), "%s/out.link", out);
	snprintf(err, sizeof(err), "%s/link.err", out);
	unlink(link);
	assert_int_equal(symlink("target", link), 0);
	assert_int_equal(wait_exit(harness__spawn(run, NULL, err), 30), 125);
	if (!harness__has(err, "cannot write the report to") ||
	    !harness__has(err, "it is a symbolic link, which jobtrace does not follow"))
		fail_msg("run -o LINK through serve said: %s", harness__slurp(err));
	unlink(link);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * run through serve is quick: no BPF load, and serve judges the job's end
 * when run asks for its report, not at its next one-second tick (which
 * alone would make the median about 500 ms). Its jobs also fill nobody's
 * share of ended jobs that serve keeps (test_nobody_is_refused counts them).
 */
static void test_run_through_serve_is_prompt(void **state)
{
	char *argv[] = { H.jobtrace, "run", "--control", sock, "--", "/bin/true", NULL };
	char err[700];
	double t[15];

	snprintf(err, sizeof(err), "%s/true.err", out);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		double t0 = now_s();

		assert_int_equal(wait_exit(spawn_as(NOBODY, argv, NULL, err), 30), 0);
		t[i] = now_s() - t0;
		assert_true(harness__has(err, "counted by jobtrace serve"));
	}
	qsort(t, ARRAY_SIZE(t), sizeof(t[0]), cmp_double);
	printf("  nobody: run -- /bin/true through serve, %zu in a row: median %.1f ms, "
	       "max %.1f ms\n",
	       ARRAY_SIZE(t), t[ARRAY_SIZE(t) / 2] * 1e3, t[ARRAY_SIZE(t) - 1] * 1e3);
	assert_true(t[ARRAY_SIZE(t) / 2] < 0.25);
}

/* What nobody may not do: another user's process, root's keys, another client's job or report. */
static void test_nobody_is_refused(void **state)
{
	char req[7][700], replies[7][256], reply[1024], path[700];
	const char *reqs[7];
	pid_t root_proc = sleeper_of(-1), own = sleeper_of(NOBODY), task = sleeper_of(NOBODY);
	json_t *r;

	harness__sleep_ms(100);
	/* As the SPANK plugin does: root makes nobody's task a step's job. */
	snprintf(req[0], sizeof(req[0]), "REGISTER slurm:9.0 %d\n", task);
	ask_root(req[0], reply, sizeof(reply));
	assert_string_equal(reply, "OK slurm:9.0\n");

	snprintf(req[0], sizeof(req[0]), "REGISTER run:%d:a %d\n", NOBODY, root_proc);
	snprintf(req[1], sizeof(req[1]), "REGISTER slurm:9.1 %d\n", own);
	snprintf(req[2], sizeof(req[2]), "REGISTER run:%d:b %d\n", NOBODY, task);
	snprintf(req[3], sizeof(req[3]), "END slurm:9.0\n");
	snprintf(req[4], sizeof(req[4]), "REGISTER run:%d:c %d\n", NOBODY, own);
	snprintf(req[5], sizeof(req[5]), "END run:%d:c %s\n", NOBODY, reports);
	/* An allocation is Slurm's word, passed on by slurmstepd: not a user's claim. */
	snprintf(req[6], sizeof(req[6]), "REGISTER run:%d:d %d alloc=slurm cpus=64\n", NOBODY,
		 own);
	for (size_t i = 0; i < 7; i++)
		reqs[i] = req[i];
	ask_as(NOBODY, reqs, 7, replies);
	for (size_t i = 0; i < 7; i++)
		printf("  nobody: %.*s -> %s\n", (int)strcspn(req[i], "\n"), req[i], replies[i]);
	assert_non_null(strstr(replies[0], "ERR process"));
	assert_non_null(strstr(replies[0], "is not yours"));
	assert_non_null(strstr(replies[1], "ERR key slurm:9.1 is not yours"));
	/* The step's task is nobody's, but the step keeps it. */
	assert_non_null(strstr(replies[2], "in a job another client made"));
	assert_string_equal(replies[3], "ERR job slurm:9.0 is not yours");
	/* Its own process, under its own key: yes; a report file where it says: no. */
	snprintf(reply, sizeof(reply), "OK run:%d:c", NOBODY);
	assert_string_equal(replies[4], reply);
	assert_string_equal(replies[5], "ERR only root may name a report directory");
	assert_string_equal(replies[6], "ERR only root may give an allocation");

	/*
	 * LIST shows nobody its own jobs only; root sees every one. The job
	 * run:65534:b, made for a process it could not take, ends empty at
	 * serve's next tick (a second): then it is one of the ended ones.
	 */
	harness__sleep_ms(1500);
	{
		size_t mine, all = list_root("run:65534:", &mine);
		char want[64];

		reqs[0] = "LIST\n";
		ask_as(NOBODY, reqs, 1, replies);
		snprintf(want, sizeof(want), "OK %zu", mine);
		printf("  LIST: root sees %zu jobs, nobody %s\n", all, replies[0]);
		assert_string_equal(replies[0], want);
		/*
		 * More than 20 of nobody's jobs have ended by now: serve keeps its
		 * newest CONTROL_USER_KEEP_ENDED and the open one, and root's step.
		 */
		assert_int_equal(mine, CONTROL_USER_KEEP_ENDED + 1);
		assert_true(all > mine);
	}
	kill(task, SIGKILL);
	kill(own, SIGKILL);
	kill(root_proc, SIGKILL);
	waitpid(task, NULL, 0);
	waitpid(own, NULL, 0);
	waitpid(root_proc, NULL, 0);
	/* The step's report holds its task, which nobody could not take away. */
	ask_root("END slurm:9.0\n", reply, sizeof(reply));
	assert_true(!strncmp(reply, "REPORT ", 7));
	snprintf(path, sizeof(path), "%s/slurm:9.0.json", reports);
	for (int i = 0; i < 100 && access(path, F_OK); i++)
		harness__sleep_ms(50);
	r = harness__json(path);
	assert_int_equal(harness__num(r, "processes.started"), 1);
	assert_int_equal(harness__num(r, "processes.exit_signal"), 1);
	assert_int_equal(harness__num(r, "processes.moved_out"), 0);
	json_decref(r);
}

/*
 * uid @uid opens @n connections and sends nothing (or, with @trickle, a
 * byte every 700 ms and never a newline). Through @status_fd: how many
 * serve took and how many it refused at once; then how many it closed
 * within @wait_s seconds, and after how long.
 */
static pid_t holder(int uid, int n, bool trickle, int wait_s, int status_fd)
{
	pid_t p = fork();

	assert_true(p >= 0);
	if (p == 0) {
		int fds[16], taken = 0, refused = 0, closed = 0;
		double t0;
		char buf[128];

		if (as_user(&uid))
			_exit(126);
		for (int i = 0; i < n; i++)
			fds[i] = connect_sock();
		/* A refused connection is told at once ("ERR too many connections") and closed. */
		harness__sleep_ms(150);
		for (int i = 0; i < n; i++) {
			char c;

			if (fds[i] < 0 || recv(fds[i], &c, 1, MSG_DONTWAIT) >= 0) {
				if (fds[i] >= 0)
					close(fds[i]);
				fds[i] = -1;
				refused++;
			} else {
				taken++;
			}
		}
		snprintf(buf, sizeof(buf), "%d %d\n", taken, refused);
		if (write(status_fd, buf, strlen(buf)) < 0)
			_exit(1);
		t0 = now_s();
		while (closed < taken && now_s() - t0 < wait_s) {
			harness__sleep_ms(trickle ? 700 : 100);
			for (int i = 0; i < n; i++) {
				char c;

				if (fds[i] < 0)
					continue;
				if (trickle)
					send(fds[i], "X", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
				if (recv(fds[i], &c, 1, MSG_DONTWAIT) == 0) {
					close(fds[i]);
					fds[i] = -1;
					closed++;
				}
			}
		}
		snprintf(buf, sizeof(buf), "%d %.1f\n", closed, now_s() - t0);
		if (write(status_fd, buf, strlen(buf)) < 0)
			_exit(1);
		_exit(0);
	}
	harness__track(p, 0);
	return p;
}

static void read_status(FILE *f, int *a, double *b)
{
	if (fscanf(f, "%d %lf", a, b) != 2)
		fail_msg("a holder said nothing");
}

/* Idle clients of users cannot lock root (Slurm) out, and are dropped. */
static void test_idle_clients_dropped(void **state)
{
	/* nobody tries 10 (8 taken), five others 8 each: 48 in all; a seventh gets none. */
	static const int uids[] = { NOBODY, 65533, 65532, 65531, 65530, 65529, 65528 };
	static const int tries[] = { 10, 8, 8, 8, 8, 8, 1 };
	pid_t holders[ARRAY_SIZE(uids)], target;
	FILE *status[ARRAY_SIZE(uids)];
	int taken_all = 0, taken, closed;
	char req[128], reply[256];
	double refused, secs, t0 = now_s();

	for (size_t i = 0; i < ARRAY_SIZE(uids); i++) {
		int pfd[2];

		assert_int_equal(pipe(pfd), 0);
		holders[i] = holder(uids[i], tries[i], uids[i] == 65533, CONTROL_IDLE_S + 5,
				    pfd[1]);
		close(pfd[1]);
		status[i] = fdopen(pfd[0], "r");
		assert_non_null(status[i]);
		/* One at a time: each count is that user's, against the ones before. */
		read_status(status[i], &taken, &refused);
		printf("  uid %d: %d connections taken, %.0f refused\n", uids[i], taken, refused);
		if (i == 0)
			assert_int_equal(taken, CONTROL_USER_CLIENTS);
		else if (i + 1 < ARRAY_SIZE(uids))
			assert_int_equal(taken, tries[i]);
		else
			assert_int_equal(taken, 0); /* all users hold CONTROL_USERS_CLIENTS */
		assert_int_equal(taken + (int)refused, tries[i]);
		taken_all += taken;
	}
	assert_int_equal(taken_all, CONTROL_USERS_CLIENTS);
	/* They all still hold their slots: root (slurmstepd) registers a task at once. */
	assert_true(now_s() - t0 < CONTROL_IDLE_S);
	target = sleeper_of(-1);
	harness__sleep_ms(50);
	snprintf(req, sizeof(req), "REGISTER slurm:8.0 %d\n", target);
	ask_root(req, reply, sizeof(reply));
	assert_string_equal(reply, "OK slurm:8.0\n");
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	/* Every idle client is closed after CONTROL_IDLE_S, the trickling one too. */
	for (size_t i = 0; i < ARRAY_SIZE(uids); i++) {
		read_status(status[i], &closed, &secs);
		printf("  uid %d: %d closed by serve after %.1f s\n", uids[i], closed, secs);
		assert_int_equal(closed, i == 0 ? CONTROL_USER_CLIENTS : i + 1 < ARRAY_SIZE(uids) ?
						 tries[i] : 0);
		assert_true(secs <= CONTROL_IDLE_S + 2.5);
		fclose(status[i]);
		assert_int_equal(wait_exit(holders[i], 30), 0);
	}
	ask_root("END slurm:8.0\n", reply, sizeof(reply));
	assert_true(!strncmp(reply, "REPORT ", 7));
}

/*
 * A report past the socket's buffer (208 KiB here), to a client that does
 * not read when it comes (stopped: run under Ctrl-Z): serve sends it as
 * the socket takes it. It was cut where the buffer filled, the client
 * dropped ("no report ...: Connection reset by peer", exit 125): a user's
 * report, which no file of serve's keeps, lost.
 */
#define BIG_COMMANDS 3000

static void test_big_report_to_a_stopped_client(void **state)
{
	char report[700], err[700], dir[700], done[700], script[1500];
	char *argv[] = { H.jobtrace, "run", "--json", "--top", "100000", "-o", report,
			 "--control", sock, "--", "/bin/sh", "-c", script, NULL };
	json_t *r;
	pid_t run;
	int rc;

	snprintf(report, sizeof(report), "%s/big.json", out);
	snprintf(err, sizeof(err), "%s/big.err", out);
	snprintf(dir, sizeof(dir), "%s/big-cmds", out);
	snprintf(done, sizeof(done), "%s/big.done", out);
	/* BIG_COMMANDS names of /bin/true: a line each in the report's top. */
	assert_int_equal(mkdir(dir, 0755), 0);
	for (int i = 0; i < BIG_COMMANDS; i++) {
		char link[800];

		snprintf(link, sizeof(link), "%s/true-%04d", dir, i);
		assert_int_equal(symlink("/bin/true", link), 0);
	}
	snprintf(script, sizeof(script), "for c in %s/true-*; do \"$c\"; done; : > %s", dir, done);
	run = spawn_as(NOBODY, argv, NULL, err);
	/* Stopped while its job runs, the report comes to a client that reads nothing. */
	harness__sleep_ms(300);
	kill(run, SIGSTOP);
	for (int i = 0; i < 1200 && access(done, F_OK); i++)
		harness__sleep_ms(50);
	assert_int_equal(access(done, F_OK), 0);
	harness__sleep_ms(1500); /* the job over, its report sent and not read */
	kill(run, SIGCONT);
	rc = wait_exit(run, 60);
	if (rc != 0)
		fail_msg("run exited %d:\n%s", rc, harness__read(err));
	r = harness__json(report);
	printf("  a report of %zu commands to a client stopped 1.5 s past the job's end: whole\n",
	       json_array_size(json_object_get(r, "commands")));
	assert_true(json_array_size(json_object_get(r, "commands")) >= BIG_COMMANDS);
	json_decref(r);
}

/* slurm:7.0 and nobody:7.0 are two reports, each in a file of its own key. */
static void test_report_names_unique(void **state)
{
	static const char *const keys[] = { "slurm:7.0", "nobody:7.0", "a/b:7.0" };
	static const char *const files[] = { "slurm:7.0.json", "nobody:7.0.json",
					     "a%2Fb:7.0.json" };
	char req[128], reply[1024], path[700];
	pid_t p[ARRAY_SIZE(keys)];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		p[i] = sleeper_of(-1);
		harness__sleep_ms(50);
		snprintf(req, sizeof(req), "REGISTER %s %d\n", keys[i], p[i]);
		ask_root(req, reply, sizeof(reply));
		assert_true(!strncmp(reply, "OK ", 3));
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *r;

		kill(p[i], SIGKILL);
		waitpid(p[i], NULL, 0);
		snprintf(req, sizeof(req), "END %s\n", keys[i]);
		ask_root(req, reply, sizeof(reply));
		assert_true(!strncmp(reply, "REPORT ", 7));
		snprintf(path, sizeof(path), "%s/%s", reports, files[i]);
		r = harness__json(path);
		assert_string_equal(json_string_value(json_object_get(json_object_get(r, "job"),
								       "key")),
				    keys[i]);
		assert_int_equal(harness__num(r, "job.root_pid"), p[i]);
		json_decref(r);
	}
	snprintf(path, sizeof(path), "%s/7.0.json", reports);
	assert_int_not_equal(access(path, F_OK), 0);
}

/*
 * A FIFO at the name serve writes a report through (in a reports directory
 * others may write): serve's open() waited for a reader, its loop stopped.
 * The report is written all the same, and serve answers.
 */
static void test_fifo_at_report_tmp(void **state)
{
	char fifo[700], req[128], reply[1024], path[700];
	pid_t p = sleeper_of(-1);
	json_t *r;

	snprintf(fifo, sizeof(fifo), "%s/.jobtrace-%d.tmp", reports, (int)serve_pid);
	assert_int_equal(mkfifo(fifo, 0666), 0);
	harness__sleep_ms(50);
	snprintf(req, sizeof(req), "REGISTER slurm:6.0 %d\n", p);
	ask_root(req, reply, sizeof(reply));
	assert_true(!strncmp(reply, "OK ", 3));
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	ask_root("END slurm:6.0\n", reply, sizeof(reply));
	if (strncmp(reply, "REPORT ", 7))
		fail_msg("END with a FIFO at the report's temporary name: '%s'", reply);
	snprintf(path, sizeof(path), "%s/slurm:6.0.json", reports);
	r = harness__json(path);
	assert_int_equal(harness__num(r, "job.root_pid"), p);
	json_decref(r);
	unlink(fifo); /* gone already: the report took its name */
}

/*
 * run as nobody went past serve to a source of its own: it tried BPF (and
 * was told what it lacks) and ran the command, whose status it exits with.
 * Which lower tier ran (proc or rusage) depends on the machine, not on serve.
 */
static void assert_fell_back(const char *err, int rc)
{
	assert_false(harness__has(err, "counted by jobtrace serve"));
	assert_true(harness__has(err, "CAP_BPF"));
	assert_int_equal(rc, 4);
}

/* Without a serve, or told not to use it, run runs the command all the same. */
static void test_fallback_without_serve(void **state)
{
	char absent[700], err[700], notsock[700];
	char *no_serve[] = { H.jobtrace, "run", "--control", absent, "--", "sh", "-c", "exit 4",
			     NULL };
	char *forced[] = { H.jobtrace, "run", "--mode", "serve", "--control", absent, "--",
			   "sh", "-c", "exit 4", NULL };
	char *own_mode[] = { H.jobtrace, "run", "--mode", "bpf", "--control", sock, "--", "true",
			     NULL };
	char *own_opt[] = { H.jobtrace, "run", "--events", "/dev/null", "--control", sock, "--",
			    "true", NULL };
	char *forced_opt[] = { H.jobtrace, "run", "--mode", "serve", "--pss", "--control", sock,
			       "--", "true", NULL };
	char *in_pidns[] = { "unshare", "--pid", "--fork", H.jobtrace, "run", "--control", sock,
			     "--", "sh", "-c", "exit 4", NULL };
	int fd, rc;

	snprintf(absent, sizeof(absent), "%s/absent.sock", H.tmpdir);
	snprintf(notsock, sizeof(notsock), "%s/not-a-socket", H.tmpdir);
	snprintf(err, sizeof(err), "%s/fallback.err", out);
	assert_fell_back(err, wait_exit(spawn_as(NOBODY, no_serve, NULL, err), 60));
	/* $JOBTRACE_CONTROL naming a file that is not a socket: the same. */
	fd = open(notsock, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	setenv("JOBTRACE_CONTROL", notsock, 1);
	no_serve[2] = "--top";
	no_serve[3] = "3";
	rc = wait_exit(spawn_as(NOBODY, no_serve, NULL, err), 60);
	setenv("JOBTRACE_CONTROL", H.no_serve, 1);
	assert_fell_back(err, rc);
	/* --mode serve fails rather than fall back, and the command never ran. */
	assert_int_equal(wait_exit(spawn_as(NOBODY, forced, NULL, err), 30), 125);
	assert_true(harness__has(err, "cannot run the job through serve"));
	assert_int_equal(wait_exit(spawn_as(-1, forced_opt, NULL, err), 30), 2);
	assert_true(harness__has(err, "--mode serve cannot give --pss"));
	/* In a pid namespace of its own, its child's pid means nothing to serve: refused. */
	assert_int_equal(wait_exit(spawn_as(-1, in_pidns, NULL, err), 30), 4);
	assert_false(harness__has(err, "counted by jobtrace serve"));
	assert_true(harness__has(err, "exited with status 4"));
	/* Root with a serve running: --mode bpf and --events take run's own source. */
	assert_int_equal(wait_exit(spawn_as(-1, own_mode, NULL, err), 30), 0);
	assert_true(harness__has(err, "  mode       bpf\n"));
	assert_int_equal(wait_exit(spawn_as(-1, own_opt, NULL, err), 30), 0);
	assert_true(harness__has(err, "  mode       bpf\n"));
}

static int setup(void **state)
{
	char log[700];

	if (geteuid() != 0) {
		fprintf(stderr, "FAIL: these tests start serve and switch users: they need root\n");
		return -1;
	}
	/* A directory every user may enter; out/ is every user's to write. */
	if (harness__setup("ctluser"))
		return -1;
	snprintf(sock, sizeof(sock), "%s/ctl.sock", H.tmpdir);
	snprintf(reports, sizeof(reports), "%s/reports", H.tmpdir);
	snprintf(out, sizeof(out), "%s/out", H.tmpdir);
	if (mkdir(reports, 0755) || mkdir(out, 0777) || chmod(out, 01777))
		return -1;
	snprintf(log, sizeof(log), "%s/serve.log", H.tmpdir);
	{
		char *argv[] = { H.jobtrace, "serve", "--control", sock, "--reports", reports,
				 "-o", "/dev/null", NULL };

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
		cmocka_unit_test(test_nobody_run_through_serve_is_exact),
		cmocka_unit_test(test_nobody_status_text_and_signals),
		cmocka_unit_test(test_output_refused_through_serve),
		cmocka_unit_test(test_run_through_serve_is_prompt),
		cmocka_unit_test(test_nobody_is_refused),
		cmocka_unit_test(test_idle_clients_dropped),
		cmocka_unit_test(test_report_names_unique),
		cmocka_unit_test(test_fifo_at_report_tmp),
		cmocka_unit_test(test_big_report_to_a_stopped_client),
		cmocka_unit_test(test_fallback_without_serve),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
