/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel tests' shared harness: where jobtrace and its workloads are, a
 * temporary directory, spawning and waiting with a deadline (a wait, never
 * an assertion on speed), reading reports (JSON, JSON lines, a command's
 * output), cgroups the test makes and the kernel's own count of what ran
 * in them, and probes of what this machine permits (BPF, the proc
 * connector, for root and for another user), so a test asserts the
 * behaviour for the machine's answer, never one machine's.
 *
 * Header-only, included once per test binary after testutil.h.
 */
#ifndef JOBTRACE_TEST_HARNESS_H
#define JOBTRACE_TEST_HARNESS_H

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include <jansson.h>

#include "jobtrace/cn_proc.h"
#include "testutil.h"

#define HARNESS_WAIT_S 120
#define HARNESS_NOBODY 65534

struct harness {
	char jobtrace[512];
	char churn[512];
	char nobpf[512]; /* tests/nobpf.c: runs a command with bpf(2) refused */
	char tmpdir[256];
	char no_serve[300]; /* $JOBTRACE_CONTROL: a socket path nothing listens on */
	char cg2root[256]; /* where cgroup v2 is mounted, once harness__cgroup2_root() found it */
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

/* Milliseconds: the unit of a network test's deadlines (poll(2), a scrape's timeout). */
static inline unsigned long long harness__mono_ms(void)
{
	return harness__mono_ns() / 1000000;
}

static inline void harness__sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * run and watch with no --mode ask a serve on this host first (its control
 * socket: --control, else $JOBTRACE_CONTROL, else /run/jobtrace/control.sock)
 * and, where one answers, count the job through it: on a host that runs
 * serve, a test of run's own sources would meet that serve and test it
 * instead. $JOBTRACE_CONTROL names @dir/no-serve.sock, where nothing
 * listens, for the test and all it runs; a test that wants a serve starts
 * its own and names its socket (--control, or $JOBTRACE_CONTROL again).
 * Where nothing listens, run and watch go on with their own sources at
 * once, saying so only under -v.
 */
static inline int harness__no_serve(char *buf, size_t size, const char *dir)
{
	snprintf(buf, size, "%s/no-serve.sock", dir);
	return setenv("JOBTRACE_CONTROL", buf, 1);
}

/*
 * Paths under $OUTPUT, a temporary directory every user may enter (runs as
 * nobody), and no serve of the host's to answer (harness__no_serve()).
 */
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
	if (harness__no_serve(H.no_serve, sizeof(H.no_serve), H.tmpdir))
		return -1;
	return chmod(H.tmpdir, 0777);
}

/*
 * Kills and reaps what the test started and has not waited for: a test
 * that failed half-way must not leave its workload to the next one.
 */
static inline void harness__kill_running(void)
{
	for (size_t i = 0; i < sizeof(H.running) / sizeof(H.running[0]); i++) {
		if (H.running[i] > 0) {
			kill(H.running[i], SIGKILL);
			waitpid(H.running[i], NULL, 0);
		}
		H.running[i] = 0;
	}
}

static inline int harness__teardown(void)
{
	char cmd[400];

	harness__kill_running();
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

/*
 * A step of the child between its fork and its exec (join a cgroup, enter a
 * namespace): what the command must already be in when it starts. Nonzero:
 * the child exits 97 and the command never runs.
 */
typedef int (*harness_prep_fn)(const void *arg);

/*
 * Starts @argv with stdout to @out and stderr to @err (NULL: /dev/null),
 * after @prep(@arg) when @prep is given. The same path for both is one
 * file written in order, as 2>&1: opened twice, each would overwrite the other.
 * "-" leaves the test's own: what a command says lands in the test's log
 * when no assertion reads it (opening /dev/stderr would truncate that log).
 */
static inline pid_t harness__spawn_prep(char *const argv[], const char *out, const char *err,
					harness_prep_fn prep, const void *arg)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		bool keep_o = out && !strcmp(out, "-"), keep_e = err && !strcmp(err, "-");
		int o = 1, e;

		/*
		 * A process group of its own. In the suite's, a process that a
		 * test stops (SIGSTOP: a hung serve, a reader that falls behind)
		 * got SIGHUP and SIGCONT from the kernel whenever that group
		 * became orphaned (another test's process exiting): serve took the
		 * SIGHUP as a reload and ran on, and test_stream_jobs waited 35 s
		 * for a silence that never came (make test, 3 runs of 3). Its own
		 * group has its parent, the test, outside it, in the same session:
		 * not orphaned while the test lives.
		 */
		setpgid(0, 0);

		if (!keep_o)
			o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (keep_e)
			e = 2;
		else if (out && err && !strcmp(out, err))
			e = dup(o);
		else
			e = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (o < 0 || e < 0)
			_exit(98);
		if (!keep_o)
			dup2(o, 1);
		if (!keep_e)
			dup2(e, 2);
		if (prep && prep(arg))
			_exit(97);
		execvp(argv[0], argv);
		_exit(99);
	}
	harness__track(pid, 0);
	return pid;
}

/*
 * A harness_prep_fn: the rest of the child runs as pid 1 of a new pid
 * namespace with its own /proc (unshare --pid --fork --mount-proc), and
 * the pid the test waits for exits with its status.
 */
static inline int harness__enter_pid_ns(const void *unused)
{
	int st;
	pid_t inner;

	if (unshare(CLONE_NEWPID | CLONE_NEWNS))
		_exit(90);
	inner = fork();
	if (inner < 0)
		_exit(91);
	if (inner > 0) {
		if (waitpid(inner, &st, 0) != inner)
			_exit(92);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		_exit(93);
	return 0;
}

/*
 * A harness_prep_fn's argument: descriptor @fd put at @onto (1, 2) in the
 * child, over what harness__spawn_prep opened there. For a pipe whose
 * other end the test reads or has closed: no path names it.
 */
struct harness_onto {
	int fd, onto;
};

static inline int harness__onto(const void *arg)
{
	const struct harness_onto *o = arg;

	return dup2(o->fd, o->onto) < 0 ? -1 : 0;
}

/* Starts @argv with stdout to @out and stderr to @err (NULL: /dev/null). */
static inline pid_t harness__spawn(char *const argv[], const char *out, const char *err)
{
	return harness__spawn_prep(argv, out, err, NULL, NULL);
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

/*
 * Forks a process in a state the test chose: it runs @prep (names itself,
 * maps memory, drops to another user), says it is ready and waits, for the
 * test to look at it. The test kills and reaps it (it is not tracked); it
 * dies with the test (PR_SET_PDEATHSIG) should the test fail first. A
 * @prep that fails fails the test, rather than leave it waiting.
 */
static inline pid_t harness__fork_paused(harness_prep_fn prep, const void *arg)
{
	int ready[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((prep && prep(arg)) || write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		fail_msg("pid %d failed to make itself ready", pid);
	}
	close(ready[0]);
	return pid;
}

/*
 * Its wait status; killed (and the test failed) past @seconds: a deadline
 * for a hang, never an assertion on speed. A test whose commands end in a
 * known span says so with a shorter one, so a hang fails it sooner.
 */
static inline int harness__wait_s(pid_t pid, int seconds)
{
	unsigned long long deadline = harness__mono_ns();
	int st;

	deadline += (unsigned long long)seconds * 1000000000ULL;

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
			fail_msg("pid %d still running after %d s: killed", pid, seconds);
		}
		harness__sleep_ms(5);
	}
}

/* Its wait status; killed (and the test failed) past HARNESS_WAIT_S. */
static inline int harness__wait(pid_t pid)
{
	return harness__wait_s(pid, HARNESS_WAIT_S);
}

/* Runs @argv to its end, within @seconds; its exit code (a death by signal fails the test). */
static inline int harness__exit_code_s(char *const argv[], const char *out, const char *err,
				       int seconds)
{
	int st = harness__wait_s(harness__spawn(argv, out, err), seconds);

	if (!WIFEXITED(st))
		fail_msg("%s was killed by signal %d", argv[0], WTERMSIG(st));
	return WEXITSTATUS(st);
}

/* Runs @argv to its end; its exit code (a death by signal fails the test). */
static inline int harness__exit_code(char *const argv[], const char *out, const char *err)
{
	return harness__exit_code_s(argv, out, err, HARNESS_WAIT_S);
}

/*
 * Runs @cmd with sh -c and returns all it printed, whatever its length (to
 * free); its exit code in *@code, 128 + N when signal N killed it, as a
 * shell says. For a command line with its own redirections and pipes.
 */
static inline char *harness__sh_out(const char *cmd, int *code)
{
	FILE *p = popen(cmd, "r");
	char chunk[4096], *buf = NULL;
	size_t len = 0, cap = 0, n;
	int st;

	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		if (len + n + 1 > cap) {
			cap = 2 * (len + n + 1);
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	st = pclose(p);
	if (code)
		*code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (!buf)
		return strdup("");
	buf[len] = '\0';
	return buf;
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

/*
 * A file's whole text, malloc'd (to free), "" when it is not there yet:
 * for a file a running command still writes (its log, a report on a
 * tmpfs of megabytes), which harness__slurp would cut or fail on.
 */
static inline char *harness__read(const char *path)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_non_null(buf);
	while (fd >= 0 && (n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	if (fd >= 0)
		close(fd);
	buf[len] = '\0';
	return buf;
}

/*
 * Waits up to @ms for @needle in @path, which a running command writes:
 * the milliseconds it took, -1 when it never came. The caller decides
 * whether a late answer fails, and says what the file held.
 */
static inline long harness__wait_text(const char *path, const char *needle, long ms)
{
	unsigned long long t0 = harness__mono_ns();

	for (;;) {
		char *text = harness__read(path);
		bool found = strstr(text, needle) != NULL;
		long took = (long)((harness__mono_ns() - t0) / 1000000);

		free(text);
		if (found)
			return took;
		if (took >= ms)
			return -1;
		harness__sleep_ms(20);
	}
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

/*
 * The value of the sample @series (name and labels, as exposed) in a
 * Prometheus exposition @text; @absent when no line has it, which each
 * test chooses so that an absent sample fails its own comparison.
 */
static inline double harness__sample(const char *text, const char *series, double absent)
{
	size_t n = strlen(series);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, series, n) && l[n] == ' ')
			return strtod(l + n + 1, NULL);
	return absent;
}

/*
 * The records of a JSON-lines file (watch, --events, a stream) whose "type"
 * is @type, NULL for all, in order, as a new array. A line that is not JSON
 * fails: a record cut or interleaved must not pass as one fewer.
 */
static inline json_t *harness__lines(const char *path, const char *type)
{
	json_t *all = json_array();
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	/* getline: a record has no length limit (a job's list of failed processes). */
	while (getline(&line, &cap, f) > 0) {
		json_error_t e;
		json_t *r = json_loads(line, 0, &e);

		if (!r)
			fail_msg("%s: a line is not JSON: %s: %.300s", path, e.text, line);
		if (!type || !strcmp(json_string_value(json_object_get(r, "type")) ?: "", type))
			json_array_append(all, r);
		json_decref(r);
	}
	free(line);
	fclose(f);
	return all;
}

/*
 * ---- cgroup v2: jobs the test makes, whose truth the kernel keeps ----
 *
 * A cgroup @name is a directory under the v2 mount; its cpu.stat is the
 * kernel's own count of what its processes ran, truth no collector wrote.
 */

/* Where cgroup v2 is mounted (the first cgroup2 of /proc/self/mounts), or NULL. */
static inline const char *harness__cgroup2_root(void)
{
	char line[1024], dev[256], dir[256], type[64];
	FILE *f;

	if (H.cg2root[0])
		return H.cg2root;
	f = fopen("/proc/self/mounts", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %255s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "cgroup2") && !H.cg2root[0])
			snprintf(H.cg2root, sizeof(H.cg2root), "%s", dir);
	}
	if (f)
		fclose(f);
	return H.cg2root[0] ? H.cg2root : NULL;
}

/* cgroup @name's directory, or its @file when @file is given. */
static inline const char *harness__cgroup_path(char *buf, size_t size, const char *name,
					       const char *file)
{
	/* Never a path under "/": a test that did not check for the mount fails here. */
	if (!harness__cgroup2_root())
		fail_msg("no cgroup2 filesystem is mounted");
	snprintf(buf, size, "%s/%s%s%s", H.cg2root, name, file ? "/" : "", file ? file : "");
	return buf;
}

/*
 * Removes cgroup @name when it is there: its processes killed first, as a
 * failed earlier run may have left them; a cgroup that stays fails.
 */
static inline void harness__cgroup_remove(const char *name)
{
	char path[512], procs[512], line[32];
	FILE *f;

	harness__cgroup_path(path, sizeof(path), name, NULL);
	if (access(path, F_OK))
		return;
	harness__cgroup_path(procs, sizeof(procs), name, "cgroup.procs");
	for (int tries = 0; rmdir(path) && errno == EBUSY && tries < 100; tries++) {
		f = fopen(procs, "r");
		while (f && fgets(line, sizeof(line), f))
			kill(atoi(line), SIGKILL);
		if (f)
			fclose(f);
		harness__sleep_ms(20);
	}
	if (!access(path, F_OK))
		fail_msg("cannot remove cgroup %s: %s", path, strerror(errno));
}

/* Makes cgroup @name afresh; its kernfs id (the directory's inode), as BPF names it. */
static inline __u64 harness__cgroup_make(const char *name)
{
	char path[512];
	struct stat sb;

	harness__cgroup_remove(name);
	harness__cgroup_path(path, sizeof(path), name, NULL);
	if (mkdir(path, 0755) || stat(path, &sb))
		fail_msg("cannot make cgroup %s: %s", path, strerror(errno));
	return (__u64)sb.st_ino;
}

/* A harness_prep_fn: the child moves itself into the cgroup whose cgroup.procs is @procs. */
static inline int harness__join_cgroup(const void *procs)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, pid, (size_t)n) == n;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * As harness__spawn, the command in cgroup @name before its exec: all it
 * runs and all it forks are counted there, none of it before it joined.
 */
static inline pid_t harness__cgroup_spawn(const char *name, char *const argv[], const char *out,
					  const char *err)
{
	char procs[512];

	harness__cgroup_path(procs, sizeof(procs), name, "cgroup.procs");
	return harness__spawn_prep(argv, out, err, harness__join_cgroup, procs);
}

/* What cgroup @name's processes ran, by the kernel's count (cpu.stat usage_usec), in ns. */
static inline double harness__cgroup_usage_ns(const char *name)
{
	char path[512], key[64];
	unsigned long long v;
	FILE *f;

	harness__cgroup_path(path, sizeof(path), name, "cpu.stat");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (!strcmp(key, "usage_usec")) {
			fclose(f);
			return (double)v * 1000;
		}
	}
	fclose(f);
	fail_msg("%s has no usage_usec", path);
	return 0;
}

/* ---- what this machine permits ---- */

/* @fn(@arg) in a child: what it returns (0 or an errno), or EIO where the child said nothing. */
static inline int harness__in_child(int (*fn)(void *arg), void *arg)
{
	int fds[2], err = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int e;

		close(fds[0]);
		e = fn(arg);
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

/* Becomes the uid at @arg (an int), as setpriv does: 0, or the errno that said no. */
static inline int harness__become_child(void *arg)
{
	int uid = *(int *)arg;

	return setgroups(0, NULL) || setgid(uid) || setuid(uid) ? errno : 0;
}

/*
 * May this process become @uid, as setpriv --reuid --regid --clear-groups
 * does (setgroups, setgid, setuid, in a child)? 0, else the errno that said
 * no. Root always may; the root of a user namespace that maps no other uid
 * (unshare --user --map-root-user) may not: it has no such user to run as.
 */
static inline int harness__probe_become(int uid)
{
	return harness__in_child(harness__become_child, &uid);
}

/* How long the kernel has to answer a listen request (it answers at once). */
#define HARNESS_CN_ACK_MS 5000

/*
 * The answer to the listen request that a connector socket @s sent with
 * cn_msg.ack @nonce (cn_proc__listen()): the kernel's ack carries @nonce + 1
 * (cn_proc_ack) and its error, 0 when it listens. Once in the group the
 * socket gets every listener's events and acks too: skipped. An overrun
 * (ENOBUFS) may have taken ours: asked again. ETIMEDOUT when none came.
 */
static inline int harness__connector_ack(int s, __u32 nonce)
{
	unsigned long long deadline = harness__mono_ms() + HARNESS_CN_ACK_MS;
	char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		long long left = (long long)deadline - (long long)harness__mono_ms();
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		ssize_t got;
		int n;

		if (left <= 0)
			return ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		got = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
		if (got < 0 && errno == ENOBUFS) {
			int err = cn_proc__listen(s, nonce);

			if (err)
				return -err;
			continue;
		}
		if (got < 0)
			continue; /* EAGAIN, EINTR */
		for (n = (int)got; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			size_t room = nlh->nlmsg_len - NLMSG_LENGTH(0);
			struct proc_event ev = {};
			struct cn_msg msg;

			if (room < sizeof(msg))
				continue;
			memcpy(&msg, NLMSG_DATA(nlh), sizeof(msg));
			room -= sizeof(msg);
			if (msg.id.idx != CN_IDX_PROC || msg.ack != nonce + 1 ||
			    room < offsetof(struct proc_event, event_data.ack.err) + sizeof(__u32))
				continue;
			memcpy(&ev, (char *)NLMSG_DATA(nlh) + sizeof(msg),
			       room < sizeof(ev) ? room : sizeof(ev));
			if (ev.what == PROC_EVENT_NONE)
				return (int)ev.event_data.ack.err;
		}
	}
}

/*
 * Joins the proc connector's group and asks it to listen, as jobtrace's
 * proc mode does, in a child that is first moved to a new network
 * namespace (@new_netns) and made @uid without capabilities (@uid >= 0):
 * 0 when the kernel listens, else the errno that said no. In a pid or user
 * namespace the kernel ignores the request without a word, and jobtrace
 * refuses proc mode there by cn_proc__in_initial_ns(): the probe asks the
 * same function (EOPNOTSUPP, as jobtrace). Then the kernel's own answer,
 * its ack: a request it ignored for a reason jobtrace does not know yet is
 * ETIMEDOUT here, and the test that expected proc mode says so.
 */
struct harness_connector_probe {
	int uid;
	bool new_netns;
};

static inline int harness__connector_child(void *arg)
{
	const struct harness_connector_probe *p = arg;
	int uid = p->uid;
	bool new_netns = p->new_netns;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	/* Ours among the group's acks; never 0, the ack field of every event. */
	__u32 nonce = (__u32)getpid();
	int s, e = 0, sz = 8 << 20;

	if (new_netns && unshare(CLONE_NEWNET))
		e = errno;
	if (!e && uid >= 0)
		e = harness__become_child(&uid);
	if (!e && !cn_proc__in_initial_ns())
		e = EOPNOTSUPP;
	s = e ? -1 : socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (!e && s < 0)
		e = errno;
	/* Room for the group's traffic until our ack comes (as root: past rmem_max). */
	if (!e && setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (!e && bind(s, (struct sockaddr *)&sa, sizeof(sa)))
		e = errno;
	if (!e)
		e = -cn_proc__listen(s, nonce);
	if (!e)
		e = harness__connector_ack(s, nonce);
	return e;
}

static inline int harness__probe_connector(int uid, bool new_netns)
{
	struct harness_connector_probe p = { .uid = uid, .new_netns = new_netns };

	return harness__in_child(harness__connector_child, &p);
}

/* Can jobtrace load its BPF programs here, as root? (run --mode bpf of /bin/true) */
static inline bool harness__bpf_loads(void)
{
	char *argv[] = { H.jobtrace, "run", "--mode", "bpf", "--", "/bin/true", NULL };
	int st = harness__wait(harness__spawn(argv, NULL, NULL));

	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/*
 * A group setup's BPF check: a kernel test that cannot run is a failure,
 * never a skip. 0 when jobtrace loads its programs (run --mode bpf, as run's
 * own choice would fall back and pass), else -1, having said why.
 */
static inline int harness__require_bpf(void)
{
	char *probe[] = { H.jobtrace, "run", "--mode", "bpf", "--", "/bin/true", NULL };
	int st = harness__wait(harness__spawn(probe, NULL, NULL));

	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	fprintf(stderr,
		"FAIL: jobtrace cannot load its BPF programs here (exit status %d): "
		"the kernel tests need root and a kernel with BTF%s\n",
		WIFEXITED(st) ? WEXITSTATUS(st) : -1, H.ci ? " (CI=true)" : "");
	return -1;
}

/*
 * A kernel test's group setup: harness__setup(@name), cgroup v2 mounted where
 * @need_cgroup2, and BPF that loads. 0, or -1 having said why: a kernel test
 * that cannot run is a failure, never a skip.
 */
static inline int harness__group_setup(const char *name, bool need_cgroup2)
{
	if (harness__setup(name)) {
		fprintf(stderr, "FAIL: cannot make the temporary directory /tmp/jobtrace-%s-*: %s\n",
			name, strerror(errno));
		return -1;
	}
	if (need_cgroup2 && !harness__cgroup2_root()) {
		fprintf(stderr, "FAIL: no cgroup2 filesystem is mounted\n");
		return -1;
	}
	return harness__require_bpf();
}

/* The group teardown of a test that set up with harness__group_setup(): cmocka's signature. */
static inline int harness__group_teardown(void **state)
{
	return harness__teardown();
}

/*
 * The event source run picks on its own for a user with these answers:
 * BPF where it loads, else the connector where it may listen, else rusage.
 */
static inline const char *harness__expected_mode(bool bpf, int connector_err)
{
	return bpf ? "bpf" : connector_err == 0 ? "proc" : "rusage";
}

/*
 * serve with @argv, its stderr to @log, once its control socket @sock is
 * there (10 s at most): its pid, or -1 with the reason on stderr.
 */
static inline pid_t harness__serve_start(char *const argv[], const char *sock, const char *log)
{
	pid_t pid = harness__spawn(argv, NULL, log);

	for (int i = 0; i < 200; i++) {
		if (!access(sock, F_OK))
			return pid;
		harness__sleep_ms(50);
	}
	fprintf(stderr, "FAIL: jobtrace serve --control made no socket (see %s)\n", log);
	return -1;
}

/*
 * SIGTERM to serve, which must then end clean: status 0 and no sanitizer
 * finding in @log (a finding is an exit status too). 0, or -1 with its log.
 */
static inline int harness__serve_stop(pid_t pid, const char *log)
{
	int st;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	st = harness__wait_s(pid, 30);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && !harness__has(log, "Sanitizer") &&
	    !harness__has(log, "runtime error"))
		return 0;
	fprintf(stderr, "FAIL: serve ended with status 0x%x; its log:\n%s\n", st,
		harness__slurp(log));
	return -1;
}

#endif
