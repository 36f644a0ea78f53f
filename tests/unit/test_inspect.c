// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * inspect: one process in full, first over the fixture proc tree (every
 * value known), then over live processes this test set up itself: nice,
 * affinity, I/O priority, limits, environment, files, a listening socket,
 * threads and children.
 */
#include "testutil.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/inspect_proc.h"
#include "jobtrace/util.h"

static struct inspect_options fixture_opts(void)
{
	struct inspect_options o = {
		.maps = true,
		.environ = true,
		.live = false,
		.ticks_per_sec = 100,
		.page_size = 4096,
		.boot_epoch_ns = 1700000000ull * 1000000000ull,
		.mem_total_bytes = 1ull << 30,
	};

	return o;
}

static json_t *to_json(const struct inspect_proc *p, const struct inspect_options *o)
{
	struct json_writer w;
	struct capture c;
	json_error_t jerr;
	json_t *root;

	capture__open(&c);
	json__init(&w, c.f, false);
	inspect__write_json(&w, p, o);
	assert_int_equal(json__finish(&w), 0);
	capture__close(&c);
	/* The fixture has a 2^64 - 1 counter, past jansson's integers: read numbers as doubles. */
	root = json_loads(c.buf, JSON_DECODE_INT_AS_REAL, &jerr);
	if (!root)
		fail_msg("not JSON (%s): %s", jerr.text, c.buf);
	capture__free(&c);
	return root;
}

static json_t *get(json_t *root, const char *path)
{
	char key[64];
	const char *dot;
	json_t *v = root;

	while (v && *path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", (int)(dot ? dot - path : (long)strlen(path)),
			 path);
		if (json_is_array(v))
			v = json_array_get(v, strtoul(key, NULL, 10));
		else
			v = json_object_get(v, key);
		path = dot ? dot + 1 : "";
	}
	return v;
}

static long long geti(json_t *root, const char *path)
{
	json_t *v = get(root, path);

	if (!json_is_number(v))
		fail_msg("%s is not a number", path);
	return (long long)json_number_value(v);
}

static const char *gets_(json_t *root, const char *path)
{
	json_t *v = get(root, path);

	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	return json_string_value(v);
}

static void test_fixture_json(void **state)
{
	struct inspect_options o = fixture_opts();
	struct inspect_proc p;
	json_t *r;
	int proc_fd = util__open_dir(FIXTURES "/proc");

	assert_true(proc_fd >= 0);
	assert_int_equal(inspect__collect(proc_fd, 4242, &o, &p), 0);
	r = to_json(&p, &o);

	assert_int_equal(geti(r, "pid"), 4242);
	assert_int_equal(geti(r, "ppid"), 1);
	assert_string_equal(gets_(r, "name"), "(a) (b))");
	assert_string_equal(gets_(r, "state"), "R");
	assert_string_equal(gets_(r, "status"), "running");
	assert_string_equal(gets_(r, "exe"), "/usr/sbin/nginx");
	assert_string_equal(gets_(r, "cwd"), "/home/u/build");
	assert_string_equal(gets_(r, "terminal"), "pts/1");
	/* (22) starttime 123456789012 ticks at 100/s after the boot given. */
	assert_true(fabs(json_real_value(get(r, "create_time")) - 2934567890.12) < 1e-3);
	assert_int_equal(geti(r, "uids.real"), 1000);
	assert_int_equal(geti(r, "uids.effective"), 1001);
	assert_int_equal(geti(r, "uids.fs"), 1001);
	assert_int_equal(geti(r, "gids.saved"), 1000);
	assert_int_equal(geti(r, "nice"), 0);
	assert_true(json_is_null(get(r, "ionice"))); /* not this host's pid: no syscalls */
	assert_true(json_real_value(get(r, "cpu_times.user")) == 1234.56);
	assert_true(json_real_value(get(r, "cpu_times.system")) == 78.9);
	assert_true(json_is_null(get(r, "cpu_percent")));
	assert_int_equal(json_array_size(get(r, "cpu_affinity")), 3);
	assert_int_equal(geti(r, "cpu_affinity.2"), 3);
	assert_int_equal(geti(r, "page_faults.minor"), 987654321);
	assert_int_equal(geti(r, "num_ctx_switches.involuntary"), 7);

	assert_int_equal(json_array_size(get(r, "threads")), 2);
	assert_int_equal(geti(r, "threads.1.tid"), 4250);
	assert_string_equal(gets_(r, "threads.1.comm"), "nginx-aio");
	assert_true(json_real_value(get(r, "threads.1.user_s")) == 3.0);
	assert_int_equal(json_array_size(get(r, "children")), 1);
	assert_int_equal(geti(r, "children.0"), 4243);

	assert_int_equal(geti(r, "memory.hugetlb_bytes"), 4096 * 1024);
	assert_int_equal(geti(r, "io.write_chars"), 6);
	assert_int_equal(geti(r, "io.write_bytes"), 8192);
	assert_int_equal(geti(r, "num_fds"), 4);
	/* The fixture's fds are a terminal and a socket: no regular file. */
	assert_int_equal(json_array_size(get(r, "open_files")), 0);
	assert_int_equal(json_array_size(get(r, "connections")), 1);
	assert_int_equal(geti(r, "connections.0.fd"), 3);
	assert_string_equal(gets_(r, "connections.0.family"), "inet");
	assert_string_equal(gets_(r, "connections.0.laddr"), "127.0.0.1");
	assert_int_equal(geti(r, "connections.0.lport"), 8080);
	assert_string_equal(gets_(r, "connections.0.status"), "LISTEN");

	assert_int_equal(geti(r, "rlimits.nofile.soft"), 1024);
	assert_int_equal(geti(r, "rlimits.nofile.hard"), 524288);
	assert_int_equal(geti(r, "rlimits.cpu.soft"), -1);
	assert_string_equal(gets_(r, "cgroup"), "/user.slice/app:with:colons");
	assert_int_equal(json_array_size(get(r, "environ")), 4);
	assert_string_equal(gets_(r, "environ.1"), "MOTD=line one\nline two");
	assert_int_equal(json_array_size(get(r, "memory_maps")), 5);
	assert_string_equal(gets_(r, "memory_maps.3.path"), "/tmp/my file");
	assert_true(json_is_true(get(r, "memory_maps.3.deleted")));
	assert_int_equal(geti(r, "memory_maps.2.swap_bytes"), 1280 * 1024);
	/* Everything asked for was read. */
	assert_int_equal(json_object_size(get(r, "unavailable")), 0);

	json_decref(r);
	inspect_proc__free(&p);
	inspect_proc__free(&p);
	inspect_proc__free(NULL);
	close(proc_fd);
}

static void test_fixture_text(void **state)
{
	struct inspect_options o = fixture_opts();
	struct inspect_proc p;
	struct capture c;
	int proc_fd = util__open_dir(FIXTURES "/proc");

	assert_int_equal(inspect__collect(proc_fd, 4242, &o, &p), 0);
	capture__open(&c);
	inspect__write_text(c.f, &p, &o);
	capture__close(&c);
	assert_non_null(strstr(c.buf, "pid 4242  (a) (b))\n"));
	assert_non_null(strstr(c.buf, "terminal pts/1"));
	assert_non_null(strstr(c.buf, "/home/u/build (deleted)\n"));
	assert_non_null(strstr(c.buf, "inet/stream 127.0.0.1:8080 LISTEN\n"));
	assert_non_null(strstr(c.buf, "nofile"));
	/* An environment value's newline and bad bytes are escaped, not printed raw. */
	assert_non_null(strstr(c.buf, "MOTD=line one\\x0aline two\n"));
	assert_non_null(strstr(c.buf, "BYTES=\\xff\\xfe\"q\"\n"));
	capture__free(&c);
	inspect_proc__free(&p);
	close(proc_fd);
}

/* Fixture processes that are not whole: a zombie, a pid that is not there. */
static void test_fixture_odd(void **state)
{
	struct inspect_options o = fixture_opts();
	struct inspect_proc p;
	int proc_fd = util__open_dir(FIXTURES "/proc");

	assert_int_equal(inspect__collect(proc_fd, 31338, &o, &p), -ESRCH);
	inspect_proc__free(&p);
	/* 4243 is a zombie: stat and status, no memory map to ask about. Still a report. */
	assert_int_equal(inspect__collect(proc_fd, 4243, &o, &p), 0);
	assert_int_equal(p.stat.state, 'Z');
	assert_false(p.asked[INSPECT_MAPS]);
	assert_false(p.asked[INSPECT_SMAPS]);
	assert_int_equal(p.err[INSPECT_STATUS], 0);
	inspect_proc__free(&p);
	close(proc_fd);
}

/*
 * A process whose status cannot be read (only its stat is there): the keys
 * status (and statm, smaps_rollup) feed are still there, null, and
 * unavailable says why, so a consumer, and schema/inspect.schema.json, see
 * one shape whatever was read.
 */
static void test_fixture_no_status(void **state)
{
	struct inspect_options o = fixture_opts();
	char root[] = "/tmp/jt-inspect-nostatus-XXXXXX", path[128], cmd[512];
	static const char *const nulls[] = { "username", "uids", "gids", "num_ctx_switches" };
	struct inspect_proc p;
	json_t *r;
	int proc_fd;

	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/77", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(cmd, sizeof(cmd), "cp %s/proc/77/stat %s/77/stat", FIXTURES, root);
	assert_int_equal(system(cmd), 0);
	proc_fd = util__open_dir(root);
	assert_true(proc_fd >= 0);
	assert_int_equal(inspect__collect(proc_fd, 77, &o, &p), 0);
	assert_int_not_equal(p.err[INSPECT_STATUS], 0);
	r = to_json(&p, &o);
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++) {
		json_t *v = json_object_get(r, nulls[i]);

		if (!v || !json_is_null(v))
			fail_msg("%s: %s, not null", nulls[i], v ? "a value" : "missing");
	}
	assert_non_null(json_object_get(get(r, "unavailable"), "status"));
	/* No statm, status or smaps_rollup either: every memory key there, null. */
	assert_int_equal(json_object_size(get(r, "memory")), 16);
	{
		const char *key;
		json_t *v;

		json_object_foreach(get(r, "memory"), key, v)
			if (!json_is_null(v))
				fail_msg("memory.%s: a value, not null", key);
	}
	json_decref(r);
	inspect_proc__free(&p);
	close(proc_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* ---- live ---- */

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_BE 2
#define LONG_NAME "jt-a-rather-long-program-name"

static char tmpdir[] = "/tmp/jt-inspect-XXXXXX";
/* Processes a live test started: killed by the teardown even when an assertion failed. */
static pid_t spawned[4];

static void track(pid_t pid)
{
	for (size_t i = 0; i < ARRAY_SIZE(spawned); i++) {
		if (!spawned[i]) {
			spawned[i] = pid;
			return;
		}
	}
	fail_msg("too many children");
}

static int kill_spawned(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(spawned); i++) {
		if (spawned[i] > 0) {
			kill(spawned[i], SIGKILL);
			waitpid(spawned[i], NULL, WNOHANG);
		}
		spawned[i] = 0;
	}
	return 0;
}

/* The lowest CPU this test may run on: a cpuset need not include CPU 0. */
static int first_cpu(void)
{
	cpu_set_t set;

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &set))
			return c;
	}
	fail_msg("no CPU in the affinity mask");
	return -1;
}

/*
 * A child that sets up what inspect must find, then execs sleep through a
 * symlink whose name is longer than comm: nice 7, one CPU only, best-effort
 * I/O level 6, nofile 100/200 (set by the parent), a file open for append at fd 5 (10 bytes
 * written), a listening socket at fd 6, a set environment, cwd @tmpdir.
 */
static pid_t spawn_sleeper(int file, int sock)
{
	char *const envp[] = { "A=1", "B=two\nlines", "C=\xff\xfe\"", NULL };
	struct rlimit nofile = { 100, 200 };
	char link[PATH_MAX];
	int ready[2];
	int cpu = first_cpu();
	pid_t pid;
	char c;

	snprintf(link, sizeof(link), "%s/" LONG_NAME, tmpdir);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Off the test's stdout: a runner reading it must not wait on this child. */
		if (null < 0 || dup2(null, 1) != 1 || dup2(null, 2) != 2 ||
		    setpriority(PRIO_PROCESS, 0, 7) || sched_setaffinity(0, sizeof(one), &one) ||
		    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_BE << 13 | 6) ||
		    dup2(file, 5) != 5 ||
		    dup2(sock, 6) != 6 || chdir(tmpdir))
			_exit(126);
		execve(link, (char *const[]){ link, "1000", NULL }, envp);
		_exit(127);
	}
	track(pid);
	close(ready[1]);
	/* EOF: the exec closed the write end (or the child died). */
	assert_int_equal(read(ready[0], &c, 1), 0);
	close(ready[0]);
	/*
	 * The write end closes, and the new comm is set, early in the exec;
	 * the new argv (cmdline) only once the loader has built the stack. Wait
	 * for both (5 s at most): a read in between sees the old name.
	 */
	for (int i = 0; i < 500; i++) {
		char path[64], comm[32] = "", args[PATH_MAX] = "";
		ssize_t n, na;

		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		n = util__read_file_at(AT_FDCWD, path, comm, sizeof(comm));
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		na = util__read_file_at(AT_FDCWD, path, args, sizeof(args));
		if (n > 0 && !strcmp(comm, "jt-a-rather-lon\n") && na > 0 &&
		    strstr(args, LONG_NAME))
			break;
		usleep(10000);
	}
	/* From outside: valgrind refuses a child's own setrlimit of its hard limit. */
	assert_int_equal(prlimit(pid, RLIMIT_NOFILE, &nofile, NULL), 0);
	return pid;
}

static void test_live_sleeper(void **state)
{
	struct inspect_options o = { .live = true, .ticks_per_sec = sysconf(_SC_CLK_TCK),
				     .page_size = sysconf(_SC_PAGESIZE), .environ = true };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t slen = sizeof(sa);
	char path[PATH_MAX], link[PATH_MAX];
	const struct proc_fd_entry *fe = NULL;
	struct inspect_proc p;
	struct stat st;
	int file, sock, proc_fd, status;
	pid_t pid;

	snprintf(link, sizeof(link), "%s/" LONG_NAME, tmpdir);
	assert_int_equal(symlink("/bin/sleep", link), 0);
	snprintf(path, sizeof(path), "%s/log", tmpdir);
	file = open(path, O_CREAT | O_WRONLY | O_APPEND, 0600);
	assert_true(file >= 0);
	assert_int_equal(write(file, "0123456789", 10), 10);
	sock = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(sock, 1), 0);
	assert_int_equal(getsockname(sock, (struct sockaddr *)&sa, &slen), 0);
	assert_int_equal(fstat(sock, &st), 0);

	pid = spawn_sleeper(file, sock);
	proc_fd = util__open_dir("/proc");
	assert_int_equal(inspect__collect(proc_fd, pid, &o, &p), 0);

	assert_int_equal(p.stat.ppid, getpid());
	/* comm is cut at 15 bytes; the name comes back whole from argv[0]. */
	assert_string_equal(p.stat.comm, "jt-a-rather-lon");
	assert_string_equal(p.name, LONG_NAME);
	assert_int_equal(p.cmdline.argc, 2);
	assert_string_equal(p.cmdline.argv[0], link);
	assert_int_equal(p.environ.argc, 3);
	assert_string_equal(p.environ.argv[1], "B=two\nlines");
	assert_string_equal(p.environ.argv[2], "C=\xff\xfe\"");
	assert_string_equal(p.cwd.path, tmpdir);
	assert_non_null(strstr(p.exe.path, "sleep"));
	assert_int_equal(p.stat.nice, 7);
	assert_int_equal(p.ncpus, 1);
	assert_int_equal(p.cpus[0], first_cpu());
	assert_int_equal(p.err[INSPECT_IONICE], 0);
	assert_int_equal(p.ioprio_class, IOPRIO_CLASS_BE);
	assert_int_equal(p.ioprio_level, 6);
	assert_int_equal(p.limits.lim[RLIMIT_NOFILE].soft, 100);
	assert_int_equal(p.limits.lim[RLIMIT_NOFILE].hard, 200);
	assert_int_equal(p.status.uid_real, getuid());
	assert_int_equal(p.status.gid_effective, getegid());

	for (size_t i = 0; i < p.fds.n; i++) {
		if (p.fds.v[i].fd == 5)
			fe = &p.fds.v[i];
	}
	assert_non_null(fe);
	assert_string_equal(fe->target, path);
	assert_int_equal(fe->pos, 10);
	assert_string_equal(proc_fd__mode(fe->flags), "a");

	assert_int_equal(p.err[INSPECT_CONNS], 0);
	assert_int_equal(p.conns.n, 1);
	assert_int_equal(p.conns.v[0].inode, st.st_ino);
	assert_string_equal(p.conns.v[0].laddr, "127.0.0.1");
	assert_int_equal(p.conns.v[0].lport, ntohs(sa.sin_port));
	assert_int_equal(p.conns.v[0].state, 10); /* TCP_LISTEN */

	assert_int_equal(p.nthreads, 1);
	assert_int_equal(p.threads[0].tid, pid);
	assert_int_equal(p.nchildren, 0);
	inspect_proc__free(&p);

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* Reaped: gone, the one failure inspect reports as a whole. */
	assert_int_equal(inspect__collect(proc_fd, pid, &o, &p), -ESRCH);
	inspect_proc__free(&p);
	close(file);
	close(sock);
	unlink(path);
	unlink(link);
	close(proc_fd);
}

static void *named_idle(void *arg)
{
	pthread_setname_np(pthread_self(), "jt-worker");
	*(pid_t *)arg = (pid_t)syscall(SYS_gettid);
	pause();
	return NULL;
}

#define GRANDCHILDREN 40

/* A child with a second thread and children of its own, and that burns CPU. */
static void test_live_threads_children_cpu(void **state)
{
	struct inspect_options o = { .live = true, .ticks_per_sec = sysconf(_SC_CLK_TCK),
				     .page_size = sysconf(_SC_PAGESIZE), .interval_ms = 300 };
	struct inspect_proc p;
	int ready[2], proc_fd = util__open_dir("/proc");
	pid_t pid, ids[1 + GRANDCHILDREN];

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static volatile pid_t tid;
		pthread_t t;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "jt-inspect-a");
		pthread_create(&t, NULL, named_idle, (void *)&tid);
		for (int i = 1; i <= GRANDCHILDREN; i++) {
			ids[i] = fork();
			if (ids[i] == 0) {
				/* Dies with its parent, so a failed test leaves nothing behind. */
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				pause();
				_exit(0);
			}
		}
		while (!tid)
			sched_yield();
		ids[0] = tid;
		if (write(ready[1], ids, sizeof(ids)) != sizeof(ids))
			_exit(1);
		/* Burn CPU until killed. */
		for (volatile unsigned long x = 0;; x++)
			;
	}
	track(pid);
	close(ready[1]);
	assert_int_equal(read(ready[0], ids, sizeof(ids)), sizeof(ids));
	close(ready[0]);

	assert_int_equal(inspect__collect(proc_fd, pid, &o, &p), 0);
	assert_int_equal(p.nthreads, 2);
	/*
	 * In tid order: the leader first unless the pids wrapped between it
	 * and its thread (pid_max 32768 here, the suite forks thousands).
	 */
	{
		size_t lead = p.threads[0].tid == pid ? 0 : 1;

		assert_true(p.threads[0].tid < p.threads[1].tid);
		assert_int_equal(p.threads[lead].tid, pid);
		assert_string_equal(p.threads[lead].comm, "jt-inspect-a");
		assert_int_equal(p.threads[1 - lead].tid, ids[0]);
		assert_string_equal(p.threads[1 - lead].comm, "jt-worker");
	}
	/* Forked in pid order unless pids wrapped: compare as sets. */
	assert_int_equal(p.nchildren, GRANDCHILDREN);
	for (int i = 1; i <= GRANDCHILDREN; i++) {
		bool found = false;

		for (size_t j = 0; j < p.nchildren; j++)
			found |= p.children[j] == ids[i];
		if (!found)
			fail_msg("child %d not among the children", ids[i]);
	}
	/* A busy loop over 300 ms: well above idle, at most one CPU (plus tick rounding). */
	assert_int_equal(p.err[INSPECT_CPU_PERCENT], 0);
	if (p.cpu_percent < 10 || p.cpu_percent > 115)
		fail_msg("cpu_percent %.1f for a busy loop", p.cpu_percent);
	inspect_proc__free(&p);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(proc_fd);
}

/*
 * A rate over an interval shorter than a tick or two: a busy thread read
 * one tick more at the second sample showed 588% of one CPU over 1 ms.
 * Never more than its one thread can use.
 */
static void test_short_interval_rate_possible(void **state)
{
	struct inspect_options o = { .live = true, .ticks_per_sec = sysconf(_SC_CLK_TCK),
				     .page_size = sysconf(_SC_PAGESIZE), .interval_ms = 1 };
	int proc_fd = util__open_dir("/proc");
	double most = 0;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (volatile unsigned long x = 0;; x++)
			;
	}
	track(pid);
	for (int i = 0; i < 40; i++) {
		struct inspect_proc p;

		assert_int_equal(inspect__collect(proc_fd, pid, &o, &p), 0);
		assert_int_equal(p.err[INSPECT_CPU_PERCENT], 0);
		if (p.cpu_percent > most)
			most = p.cpu_percent;
		inspect_proc__free(&p);
	}
	print_message("one busy thread, 40 rates over 1 ms: at most %.1f%%\n", most);
	assert_true(most <= 100.0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(proc_fd);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_json),
		cmocka_unit_test(test_fixture_text),
		cmocka_unit_test(test_fixture_odd),
		cmocka_unit_test(test_fixture_no_status),
		cmocka_unit_test_teardown(test_live_sleeper, kill_spawned),
		cmocka_unit_test_teardown(test_live_threads_children_cpu, kill_spawned),
		cmocka_unit_test_teardown(test_short_interval_rate_possible, kill_spawned),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
