/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel tests' shared harness: where jobtrace and its workloads are, a
 * temporary directory, spawning and waiting with a deadline (a wait, never
 * an assertion on speed), reading reports, and probes of what this machine
 * permits (BPF, the proc connector, for root and for another user), so a
 * test asserts the behaviour for the machine's answer, never one machine's.
 *
 * Header-only, included once per test binary after testutil.h.
 */
#ifndef JOBTRACE_TEST_HARNESS_H
#define JOBTRACE_TEST_HARNESS_H

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include <jansson.h>

#include "testutil.h"

#define HARNESS_WAIT_S 120
#define HARNESS_NOBODY 65534

struct harness {
	char jobtrace[512];
	char churn[512];
	char nobpf[512]; /* tests/nobpf.c: runs a command with bpf(2) refused */
	char tmpdir[256];
	bool ci;
	pid_t running[16];
};

static struct harness H;

static inline unsigned long long harness__mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static inline void harness__sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Paths under $OUTPUT, and a temporary directory every user may enter (runs as nobody). */
static inline int harness__setup(const char *name)
{
	const char *out = getenv("OUTPUT") ? getenv("OUTPUT") : ".output";
	char cwd[256];

	H.ci = getenv("CI") && !strcmp(getenv("CI"), "true");
	/* Absolute: a command run as another user, or from another directory, finds them. */
	if (out[0] != '/' && getcwd(cwd, sizeof(cwd))) {
		snprintf(H.jobtrace, sizeof(H.jobtrace), "%s/%s/jobtrace", cwd, out);
		snprintf(H.churn, sizeof(H.churn), "%s/%s/churn", cwd, out);
		snprintf(H.nobpf, sizeof(H.nobpf), "%s/%s/nobpf", cwd, out);
	} else {
		snprintf(H.jobtrace, sizeof(H.jobtrace), "%s/jobtrace", out);
		snprintf(H.churn, sizeof(H.churn), "%s/churn", out);
		snprintf(H.nobpf, sizeof(H.nobpf), "%s/nobpf", out);
	}
	snprintf(H.tmpdir, sizeof(H.tmpdir), "/tmp/jobtrace-%s-XXXXXX", name);
	if (!mkdtemp(H.tmpdir))
		return -1;
	return chmod(H.tmpdir, 0777);
}

static inline int harness__teardown(void)
{
	char cmd[400];

	for (size_t i = 0; i < sizeof(H.running) / sizeof(H.running[0]); i++) {
		if (H.running[i] > 0) {
			kill(H.running[i], SIGKILL);
			waitpid(H.running[i], NULL, 0);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", H.tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* @name under the temporary directory, removed first. */
static inline const char *harness__path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", H.tmpdir, name);
	unlink(buf);
	return buf;
}

static inline void harness__track(pid_t pid, pid_t old)
{
	for (size_t i = 0; i < sizeof(H.running) / sizeof(H.running[0]); i++) {
		if (H.running[i] == old) {
			H.running[i] = pid;
			return;
		}
	}
	fail_msg("too many processes running");
}

/* Starts @argv with stdout to @out and stderr to @err (NULL: /dev/null). */
static inline pid_t harness__spawn(char *const argv[], const char *out, const char *err)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);
		int e = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);

		if (o < 0 || e < 0)
			_exit(98);
		dup2(o, 1);
		dup2(e, 2);
		execvp(argv[0], argv);
		_exit(99);
	}
	harness__track(pid, 0);
	return pid;
}

/* As harness__spawn, under $OUTPUT/nobpf: bpf(2) refused to the command and all it runs. */
static inline pid_t harness__spawn_no_bpf(char *const argv[], const char *out, const char *err)
{
	char *wrapped[64];
	size_t n = 0;

	wrapped[n++] = H.nobpf;
	for (size_t i = 0; argv[i] && n < 63; i++)
		wrapped[n++] = argv[i];
	wrapped[n] = NULL;
	return harness__spawn(wrapped, out, err);
}

/* Its wait status; killed (and the test failed) past HARNESS_WAIT_S. */
static inline int harness__wait(pid_t pid)
{
	unsigned long long deadline = harness__mono_ns() + HARNESS_WAIT_S * 1000000000ULL;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			harness__track(0, pid);
			return st;
		}
		assert_int_equal(r, 0);
		if (harness__mono_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			harness__track(0, pid);
			fail_msg("pid %d still running after %d s: killed", pid, HARNESS_WAIT_S);
		}
		harness__sleep_ms(5);
	}
}

/* Runs @argv to its end; its exit code (a death by signal fails the test). */
static inline int harness__exit_code(char *const argv[], const char *out, const char *err)
{
	int st = harness__wait(harness__spawn(argv, out, err));

	if (!WIFEXITED(st))
		fail_msg("%s was killed by signal %d", argv[0], WTERMSIG(st));
	return WEXITSTATUS(st);
}

/* A file's text (the first 256 KiB), NUL-terminated, in a buffer reused by the next call. */
static inline const char *harness__slurp(const char *path)
{
	static char buf[262144];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static inline bool harness__has(const char *path, const char *needle)
{
	return strstr(harness__slurp(path), needle) != NULL;
}

static inline json_t *harness__json(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);

	if (!j)
		fail_msg("%s: not JSON: %s (line %d)", path, e.text, e.line);
	return j;
}

/* The value at a dotted path ("processes.started"); NULL when a part is missing. */
static inline json_t *harness__get(json_t *o, const char *path)
{
	char part[128];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		o = json_object_get(o, part);
		path += n + (path[n] == '.');
	}
	return o;
}

static inline double harness__num(json_t *o, const char *path)
{
	json_t *v = harness__get(o, path);

	if (!json_is_number(v))
		fail_msg("%s is not a number", path);
	return json_number_value(v);
}

/* Present and null: unknown, said as such (a missing key fails). */
static inline bool harness__is_null(json_t *o, const char *path)
{
	json_t *v = harness__get(o, path);

	if (!v)
		fail_msg("%s is missing", path);
	return json_is_null(v);
}

static inline const char *harness__str(json_t *o, const char *path)
{
	json_t *v = harness__get(o, path);

	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	return json_string_value(v);
}

/* ---- what this machine permits ---- */

/*
 * Joins the proc connector's group and asks it to listen, as jobtrace's
 * proc mode does, in a child that is first moved to a new network
 * namespace (@new_netns) and made @uid without capabilities (@uid >= 0):
 * 0 when permitted, else the errno that said no.
 */
static inline int harness__probe_connector(int uid, bool new_netns)
{
	int fds[2], err = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
		struct {
			struct nlmsghdr nlh;
			struct cn_msg msg;
			enum proc_cn_mcast_op op;
		} __attribute__((packed)) req = {};
		int s, e = 0;

		close(fds[0]);
		if (new_netns && unshare(CLONE_NEWNET))
			e = errno;
		if (!e && uid >= 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			e = errno;
		s = e ? -1 : socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
		if (!e && s < 0)
			e = errno;
		if (!e && bind(s, (struct sockaddr *)&sa, sizeof(sa)))
			e = errno;
		req.nlh.nlmsg_len = sizeof(req);
		req.nlh.nlmsg_type = NLMSG_DONE;
		req.msg.id.idx = CN_IDX_PROC;
		req.msg.id.val = CN_VAL_PROC;
		req.msg.len = sizeof(req.op);
		req.op = PROC_CN_MCAST_LISTEN;
		if (!e && send(s, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
			e = errno;
		if (write(fds[1], &e, sizeof(e)) != (ssize_t)sizeof(e))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &err, sizeof(err)) != (ssize_t)sizeof(err))
		err = EIO;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return err;
}

/* Can jobtrace load its BPF programs here, as root? (run --mode bpf of /bin/true) */
static inline bool harness__bpf_loads(void)
{
	char *argv[] = { H.jobtrace, "run", "--mode", "bpf", "--", "/bin/true", NULL };
	int st = harness__wait(harness__spawn(argv, NULL, NULL));

	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/*
 * The event source run picks on its own for a user with these answers:
 * BPF where it loads, else the connector where it may listen, else rusage.
 */
static inline const char *harness__expected_mode(bool bpf, int connector_err)
{
	return bpf ? "bpf" : connector_err == 0 ? "proc" : "rusage";
}

#endif
