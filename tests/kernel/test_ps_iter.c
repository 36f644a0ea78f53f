// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The task iterator against /proc on this machine, with processes whose
 * truth the test knows: it forks them, gives them threads and names.
 */
#include <pthread.h>
#include <pwd.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>

#include "harness.h"

#include "jobtrace/loadavg.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/proc_walk.h"
#include "jobtrace/snapshot.h"
#include "jobtrace/util.h"

#define NCHILD 20

static pid_t children[NCHILD];

static void *idle_thread(void *arg)
{
	pause();
	return NULL;
}

static void spawn_children(void)
{
	int ready[2], proc_fd;
	char c;

	assert_int_equal(pipe(ready), 0);
	for (int i = 0; i < NCHILD; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			char name[16];
			pthread_t t;

			snprintf(name, sizeof(name), "snap-%d", i);
			prctl(PR_SET_NAME, name);
			/* A failed assertion must not leave them holding run.sh's pipe. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			/* Every fourth child has two extra threads. */
			if (i % 4 == 0) {
				pthread_create(&t, NULL, idle_thread, NULL);
				pthread_create(&t, NULL, idle_thread, NULL);
			}
			if (write(ready[1], "r", 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
		children[i] = pid;
	}
	for (int i = 0; i < NCHILD; i++)
		assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	close(ready[1]);
	/* Between its write and pause() a child is still running ('R'): wait for the sleep. */
	proc_fd = util__open_dir("/proc");
	assert_true(proc_fd >= 0);
	for (int i = 0; i < NCHILD; i++) {
		struct proc_stat_fields st;
		int tries = 0;

		do {
			if (tries)
				usleep(1000);
			assert_int_equal(proc_pid__read_stat(proc_fd, children[i], &st), 0);
		} while (st.state != 'S' && ++tries < 5000);
		assert_int_equal(st.state, 'S');
	}
	close(proc_fd);
}

static void reap_children(void)
{
	for (int i = 0; i < NCHILD; i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
}

/* A process the kernel will not let even root introspect (a guarded supervisor). */
static bool guarded(pid_t pid)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	return readlink(path, buf, sizeof(buf)) < 0 && errno == EACCES;
}

static void test_iterator_sees_what_proc_sees(void **state)
{
	struct snapshot_iter *it = snapshot_iter__open(true, false, false);
	struct ps_snapshot bpf, proc;
	int proc_fd, missing = 0;

	assert_non_null(it);
	spawn_children();
	assert_int_equal(snapshot_iter__read(it, &bpf), 0);
	proc_fd = util__open_dir("/proc");
	assert_true(proc_fd >= 0);
	assert_int_equal(snapshot__from_proc(proc_fd, &proc), 0);
	close(proc_fd);

	/* The processes the test made: exact fields in both sources. */
	for (int i = 0; i < NCHILD; i++) {
		const struct ps_entry *b = snapshot__find(&bpf, children[i]);
		const struct ps_entry *p = snapshot__find(&proc, children[i]);
		char name[16];

		snprintf(name, sizeof(name), "snap-%d", i);
		assert_non_null(b);
		assert_non_null(p);
		assert_string_equal(b->comm, name);
		assert_string_equal(p->comm, name);
		assert_int_equal(b->ppid, getpid());
		assert_int_equal(p->ppid, getpid());
		assert_int_equal(b->threads, i % 4 == 0 ? 3 : 1);
		assert_int_equal(p->threads, i % 4 == 0 ? 3 : 1);
		assert_int_equal(b->state, 'S');
		assert_true(b->rss_bytes > 0);
		/* Start times agree to /proc's clock-tick resolution. */
		assert_true(b->start_boot_ns + 20000000ULL >= p->start_boot_ns &&
			    p->start_boot_ns + 20000000ULL >= b->start_boot_ns);
	}
	/* Everything else: alive in both, unless it came or went in between. */
	for (size_t i = 0; i < proc.n; i++) {
		pid_t pid = proc.procs[i].pid;

		if (snapshot__find(&bpf, pid) || kill(pid, 0) != 0)
			continue;
		if (guarded(pid)) {
			print_message("  pid %d is guarded from introspection: not iterated\n", pid);
			continue;
		}
		if (proc.procs[i].start_boot_ns + 1000000000ULL > util__boottime_ns())
			continue; /* born after the iterator ran */
		print_message("  pid %d (%s) is in /proc, not in the iterator\n", pid,
			      proc.procs[i].comm);
		missing++;
	}
	assert_int_equal(missing, 0);
	assert_true(bpf.read_ns > 0);
	reap_children();
	snapshot__free(&bpf);
	snapshot__free(&proc);
	snapshot_iter__free(it);
}

/*
 * A process the iterator missed is still listed. One of the test's children
 * is taken out of a real snapshot, as a kernel that hid it would leave it
 * (6.18 here hides pid 1): the tasks counted then differ from the kernel's
 * count, and the walk of /proc finds it. Pid 1, where the iterator does not
 * show it, is read alone either way. With nothing taken out, the counts
 * agree and /proc is not walked, unless a task began or ended between the
 * counts read before and after the iterator (then it is walked, and that
 * is not an error).
 */
static void test_missed_process_found(void **state)
{
	struct snapshot_iter *it = snapshot_iter__open(true, false, false);
	struct ps_entry *victim;
	const struct ps_entry *p;
	struct ps_snapshot s;
	int proc_fd, tries;
	__u64 before;

	assert_non_null(it);
	spawn_children();
	proc_fd = util__open_dir("/proc");
	assert_true(proc_fd >= 0);
	before = util__boottime_ns();
	assert_int_equal(snapshot_iter__read(it, &s), 0);
	victim = (struct ps_entry *)snapshot__find(&s, children[4]);
	assert_non_null(victim);
	s.tasks -= victim->threads; /* three: its records are gone too */
	proc_cmdline__free(&victim->cmdline);
	memmove(victim, victim + 1, (size_t)(s.procs + s.n - victim - 1) * sizeof(*victim));
	s.n--;
	assert_null(snapshot__find(&s, children[4]));
	assert_int_equal(snapshot__fill_from_proc(&s, proc_fd, before), 0);
	assert_true(s.walked_proc);
	assert_true(s.kernel_tasks > s.tasks);
	p = snapshot__find(&s, children[4]);
	assert_non_null(p);
	assert_true(p->from_proc);
	assert_int_equal(p->threads, 3);
	assert_string_equal(p->comm, "snap-4");
	assert_false(snapshot__find(&s, children[5])->from_proc);
	assert_non_null(snapshot__find(&s, 1));
	snapshot__free(&s);

	for (tries = 0; tries < 50; tries++) {
		struct loadavg load;

		assert_int_equal(loadavg__read(proc_fd, &load), 0);
		before = util__boottime_ns();
		assert_int_equal(snapshot_iter__read(it, &s), 0);
		assert_int_equal(snapshot__fill_from_proc_since(&s, proc_fd, before, &load), 0);
		assert_non_null(snapshot__find(&s, 1));
		for (int i = 0; i < NCHILD; i++)
			assert_non_null(snapshot__find(&s, children[i]));
		if (!s.walked_proc)
			break;
		snapshot__free(&s);
		usleep(20000);
	}
	if (tries == 50)
		print_message("  the host's task count moved between every read: /proc walked\n");
	else
		snapshot__free(&s);
	close(proc_fd);
	reap_children();
	snapshot_iter__free(it);
}

/* `jobtrace ps --json --pid` prints that subtree as an array with the keys. */
static void test_ps_cli(void **state)
{
	char cmd[600], *buf;
	int code;

	spawn_children();
	snprintf(cmd, sizeof(cmd), "%s ps --json --pid %d", H.jobtrace, (int)getpid());
	buf = harness__sh_out(cmd, &code);
	assert_int_equal(code, 0);
	for (int i = 0; i < NCHILD; i++) {
		char needle[64];

		snprintf(needle, sizeof(needle), "{\"pid\":%d,\"ppid\":%d,\"comm\":\"snap-%d\"",
			 children[i], (int)getpid(), i);
		if (!strstr(buf, needle))
			fail_msg("missing %s in %s", needle, buf);
	}
	assert_non_null(strstr(buf, "\"cpu_s\":"));
	assert_non_null(strstr(buf, "\"rss_bytes\":"));
	assert_non_null(strstr(buf, "\"start_time\":"));
	assert_non_null(strstr(buf, "\"state\":\"S\""));
	free(buf);
	reap_children();

	/* A pid that is gone is a clear error. */
	snprintf(cmd, sizeof(cmd), "%s ps --pid %d 2>&1", H.jobtrace, children[0]);
	buf = harness__sh_out(cmd, &code);
	assert_int_equal(code, 1);
	assert_non_null(strstr(buf, "no process with pid"));
	free(buf);
}

/* `jobtrace ps ARGS`, which must exit 0: its JSON. */
static json_t *ps_json(const char *args)
{
	char cmd[600], *out;
	json_t *a;
	int code;

	snprintf(cmd, sizeof(cmd), "%s ps %s", H.jobtrace, args);
	out = harness__sh_out(cmd, &code);
	assert_int_equal(code, 0);
	a = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(a);
	return a;
}

/* A harness_prep_fn: maps 64 MiB it never touches, then drops to nobody. */
static int map_and_drop(const void *unused)
{
	if (mmap(NULL, 64 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		return -1;
	return setgid(65534) || setuid(65534) ? -1 : 0;
}

/*
 * `ps --proc` gives what the iterator gives: the uid the child took, its
 * virtual size to the byte (both are total_vm pages), and the kernel's own
 * PF_KTHREAD for every process both sources see.
 */
static void test_proc_fields_match_iterator(void **state)
{
	struct snapshot_iter *it = snapshot_iter__open(true, false, false);
	pid_t pid = harness__fork_paused(map_and_drop, NULL);
	const struct ps_entry *b, *p;
	struct ps_snapshot bpf, proc;
	char args[64];
	size_t kthreads = 0;
	json_t *a, *o;
	int proc_fd;

	assert_non_null(it);
	assert_int_equal(snapshot_iter__read(it, &bpf), 0);
	proc_fd = util__open_dir("/proc");
	assert_true(proc_fd >= 0);
	assert_int_equal(snapshot__from_proc(proc_fd, &proc), 0);
	close(proc_fd);
	b = snapshot__find(&bpf, pid);
	p = snapshot__find(&proc, pid);
	assert_non_null(b);
	assert_non_null(p);
	assert_int_equal(b->uid, 65534);
	assert_int_equal(p->uid, 65534);
	assert_true(p->vm_bytes >= 64 << 20);
	assert_int_equal(p->vm_bytes, b->vm_bytes);
	for (size_t i = 0; i < proc.n; i++) {
		b = snapshot__find(&bpf, proc.procs[i].pid);
		if (!b || b->start_boot_ns / 1000000000ULL !=
				  proc.procs[i].start_boot_ns / 1000000000ULL)
			continue; /* not iterated, or a reused pid */
		if (b->kthread != proc.procs[i].kthread)
			fail_msg("pid %d (%s): kernel thread %d in /proc, %d in the iterator",
				 b->pid, b->comm, proc.procs[i].kthread, b->kthread);
		kthreads += b->kthread;
	}
	assert_true(kthreads > 0);
	assert_true(snapshot__find(&proc, 2)->kthread); /* kthreadd */

	/* The same through the command, as JSON. */
	snprintf(args, sizeof(args), "--proc --json --pid %d", (int)pid);
	a = ps_json(args);
	o = json_array_get(a, 0);
	assert_int_equal(json_integer_value(json_object_get(o, "pid")), pid);
	assert_int_equal(json_integer_value(json_object_get(o, "uid")), 65534);
	assert_int_equal(json_integer_value(json_object_get(o, "vm_bytes")),
			 snapshot__find(&bpf, pid)->vm_bytes);
	assert_true(json_is_false(json_object_get(o, "kernel_thread")));
	json_decref(a);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	snapshot__free(&bpf);
	snapshot__free(&proc);
	snapshot_iter__free(it);
}

/*
 * Runs `jobtrace ps ARGS` as pid 1 of a new pid namespace with its own
 * /proc, next to a child (pid 2 there) named "ns-child". Its stdout and
 * stderr go to @out and @err; returns jobtrace's host pid, which the test
 * knows because fork() in the namespace's parent returns it.
 */
static pid_t ps_in_pid_ns(const char *arg, int out, int err)
{
	int report[2], st;
	pid_t p, host_pid = 0;

	assert_int_equal(pipe(report), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		pid_t g;

		if (unshare(CLONE_NEWPID | CLONE_NEWNS))
			_exit(100);
		g = fork();
		if (g == 0) {
			/* Our own /proc, as `unshare --pid --fork --mount-proc` makes. */
			if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			    mount("proc", "/proc", "proc", 0, NULL))
				_exit(101);
			int named[2];
			char c;

			if (pipe(named))
				_exit(104);
			if (fork() == 0) {
				prctl(PR_SET_NAME, "ns-child");
				if (write(named[1], "n", 1) != 1)
					_exit(1);
				pause();
				_exit(0);
			}
			if (read(named[0], &c, 1) != 1)
				_exit(105);
			dup2(out, 1);
			dup2(err, 2);
			execl(H.jobtrace, "jobtrace", "ps", "--json", "-v", arg, (char *)NULL);
			_exit(127);
		}
		if (g < 0 || write(report[1], &g, sizeof(g)) != sizeof(g) ||
		    waitpid(g, &st, 0) != g)
			_exit(102);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 103);
	}
	close(report[1]);
	assert_int_equal(read(report[0], &host_pid, sizeof(host_pid)), sizeof(host_pid));
	close(report[0]);
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	return host_pid;
}

static char *read_all(int fd)
{
	static char buf[1 << 16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/*
 * Inside a pid namespace, ps prints the namespace's pids, as its /proc
 * does: jobtrace is 1, its parent (outside) 0, the child it sees 2 with
 * parent 1; host_pid is the number the host knows jobtrace by.
 */
static void test_pid_namespace(void **state)
{
	const char *args[] = { "--no-pin", "--proc" };

	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		FILE *out = tmpfile(), *err = tmpfile();
		json_t *a, *o;
		pid_t host;

		assert_non_null(out);
		assert_non_null(err);
		host = ps_in_pid_ns(args[i], fileno(out), fileno(err));
		a = json_loads(read_all(fileno(out)), 0, NULL);
		if (!a)
			fail_msg("%s: not JSON: %s", args[i], read_all(fileno(out)));
		/* The iterator must be what ran for the first: no silent /proc fallback. */
		assert_non_null(strstr(read_all(fileno(err)),
				       i == 0 ? "from bpf-iter" : "from proc"));
		assert_int_equal(json_array_size(a), 2);
		o = json_array_get(a, 0);
		assert_int_equal(json_integer_value(json_object_get(o, "pid")), 1);
		assert_int_equal(json_integer_value(json_object_get(o, "ppid")), 0);
		assert_string_equal(json_string_value(json_object_get(o, "comm")), "jobtrace");
		/* /proc inside the namespace cannot tell the host's number. */
		if (i == 0)
			assert_int_equal(json_integer_value(json_object_get(o, "host_pid")), host);
		else
			assert_true(json_is_null(json_object_get(o, "host_pid")));
		o = json_array_get(a, 1);
		assert_int_equal(json_integer_value(json_object_get(o, "pid")), 2);
		assert_int_equal(json_integer_value(json_object_get(o, "ppid")), 1);
		assert_string_equal(json_string_value(json_object_get(o, "comm")), "ns-child");
		if (i == 0)
			assert_true(json_integer_value(json_object_get(o, "host_pid")) > 2);
		json_decref(a);
		fclose(out);
		fclose(err);
	}
}

/* The pids a readdir of /proc lists now, sorted. */
static size_t proc_pids(int *pids, size_t max)
{
	int proc_fd = util__open_dir("/proc"), *got;
	size_t n;

	assert_true(proc_fd >= 0);
	assert_int_equal(proc_walk__pids(proc_fd, &got, &n), 0);
	close(proc_fd);
	assert_true(n <= max);
	memcpy(pids, got, n * sizeof(*got));
	free(got);
	return n;
}

static bool has_pid(const int *pids, size_t n, int pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/*
 * Every pid /proc lists before and after `jobtrace ps --json` is in its
 * output; those the iterator itself does not show (pid 1 in some sandboxes)
 * are there with "source":"proc", and the table says so on standard error.
 */
static void test_ps_lists_every_proc_pid(void **state)
{
	static int before[65536], after[65536];
	struct snapshot_iter *it = snapshot_iter__open(true, false, false);
	size_t nb, na, unseen = 0;
	struct ps_snapshot raw;
	char cmd[600], *buf;
	json_t *a;
	int code;

	assert_non_null(it);
	nb = proc_pids(before, 65536);
	assert_int_equal(snapshot_iter__read(it, &raw), 0);
	a = ps_json("--json");
	na = proc_pids(after, 65536);
	for (size_t i = 0; i < nb; i++) {
		json_t *o = NULL, *v;
		size_t k;

		if (!has_pid(after, na, before[i]))
			continue; /* exited meanwhile */
		json_array_foreach(a, k, v) {
			if (json_integer_value(json_object_get(v, "pid")) == before[i])
				o = v;
		}
		if (!o)
			fail_msg("pid %d is in /proc and not in jobtrace ps", before[i]);
		if (snapshot__find(&raw, before[i]))
			continue;
		unseen++;
		print_message("  pid %d: not iterated, read from /proc\n", before[i]);
		assert_string_equal(json_string_value(json_object_get(o, "source")), "proc");
	}
	json_decref(a);
	snapshot__free(&raw);
	snapshot_iter__free(it);

	/* The table names them on standard error. */
	snprintf(cmd, sizeof(cmd), "%s ps 2>&1 >/dev/null", H.jobtrace);
	buf = harness__sh_out(cmd, &code);
	assert_true(strlen(buf) < 4095);
	assert_int_equal(code, 0);
	if (unseen)
		assert_non_null(strstr(buf, "the task iterator did not show, read from /proc: "));
	else
		assert_string_equal(buf, "");
	free(buf);
}

/* A harness_prep_fn: the command runs as nobody. */
static int drop_to_nobody(const void *unused)
{
	return setgid(HARNESS_NOBODY) || setuid(HARNESS_NOBODY) ? -1 : 0;
}

/*
 * --format pid,user,start,args: a process the test started as nobody, with
 * arguments holding a space, a quote and a newline, shows its user's name,
 * today's HH:MM, and its arguments escaped on one line; --format orders the
 * columns as given; a column that does not exist is a usage error.
 */
static void test_ps_user_start_args(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "sleep 60; exit 0", "a b", "q\"uote", "new\nline",
			 NULL };
	char cmd[700], want[400], hhmm[2][16], path[64], cmdline[256], *out;
	struct passwd *pw = getpwuid(HARNESS_NOBODY);
	const char *row, *user;
	time_t t0 = time(NULL), t1;
	struct tm tm;
	pid_t pid;
	int code, tries = 0;
	ssize_t n = 0;

	pid = harness__spawn_prep(argv, NULL, NULL, drop_to_nobody, NULL);
	/* Until the exec is done, its cmdline is the test's. */
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	do {
		int fd = open(path, O_RDONLY);

		if (tries++)
			harness__sleep_ms(5);
		n = fd >= 0 ? read(fd, cmdline, sizeof(cmdline)) : -1;
		if (fd >= 0)
			close(fd);
	} while ((n < 8 || memcmp(cmdline, "/bin/sh", 8)) && tries < 2000);
	assert_memory_equal(cmdline, "/bin/sh", 8);

	snprintf(cmd, sizeof(cmd), "%s ps --format pid,user,start,args --pid %d", H.jobtrace, pid);
	out = harness__sh_out(cmd, &code);
	t1 = time(NULL);
	assert_int_equal(code, 0);
	assert_non_null(strstr(out, "    PID USER      START  ARGS\n"));
	snprintf(want, sizeof(want), "%7d ", pid);
	row = strstr(out, want);
	if (!row)
		fail_msg("no row for %d in:\n%s", pid, out);
	user = pw ? pw->pw_name : "65534";
	row += strlen(want);
	if (strncmp(row, user, strlen(user)))
		fail_msg("USER is not %s: %s", user, row);
	/* Started between t0 and t1: its minute is one of theirs. */
	strftime(hhmm[0], sizeof(hhmm[0]), "%H:%M", localtime_r(&t0, &tm));
	strftime(hhmm[1], sizeof(hhmm[1]), "%H:%M", localtime_r(&t1, &tm));
	row = strchr(row + strlen(user), ':') - 2;
	if (strncmp(row, hhmm[0], 5) && strncmp(row, hhmm[1], 5))
		fail_msg("START is not %s or %s: %s", hhmm[0], hhmm[1], row);
	/* The newline escaped: the row is one line (sh's child, sleep, has the next). */
	snprintf(want, sizeof(want), "  /bin/sh -c sleep 60; exit 0 a b q\"uote new\\x0aline\n");
	if (strncmp(row + 5, want, strlen(want)))
		fail_msg("ARGS is not %s: %s", want, row + 5);
	free(out);

	/* --format orders the columns as given; twice appends, as ps -o. */
	snprintf(cmd, sizeof(cmd), "%s ps --format args --format uid,pid --pid %d", H.jobtrace, pid);
	out = harness__sh_out(cmd, &code);
	assert_int_equal(code, 0);
	assert_non_null(strstr(out, "ARGS               UID     PID\n"));
	snprintf(want, sizeof(want), "/bin/sh -c sleep 60; exit 0 a b q\"uote new\\x0aline 65534 %7d\n",
		 pid);
	assert_non_null(strstr(out, want));
	free(out);

	/* JSON has the same, unescaped, under inspect's and --events' names. */
	snprintf(cmd, sizeof(cmd), "--json --pid %d", pid);
	{
		json_t *a = ps_json(cmd), *o = json_array_get(a, 0);

		assert_string_equal(json_string_value(json_object_get(o, "username")), user);
		assert_int_equal(json_array_size(json_object_get(o, "args")), 6);
		assert_string_equal(json_string_value(json_array_get(json_object_get(o, "args"), 5)),
				    "new\nline");
		json_decref(a);
	}
	kill(pid, SIGKILL);
	harness__wait(pid);

	/* A column that does not exist: exit 2, and the valid ones named. */
	snprintf(cmd, sizeof(cmd), "%s ps --format pid,nope 2>&1", H.jobtrace);
	out = harness__sh_out(cmd, &code);
	assert_int_equal(code, 2);
	assert_non_null(strstr(out, "no column 'nope'"));
	assert_non_null(strstr(out, "pid, ppid, user, uid, s, thr, cpu, rss, vsz, start, comm, args"));
	free(out);
	/* Nor is an empty list the default table in disguise. */
	snprintf(cmd, sizeof(cmd), "%s ps --format '' 2>&1", H.jobtrace);
	out = harness__sh_out(cmd, &code);
	assert_int_equal(code, 2);
	assert_non_null(strstr(out, "--format takes a list of columns"));
	free(out);
}

static int setup(void **state)
{
	return harness__setup("ps-iter");
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iterator_sees_what_proc_sees),
		cmocka_unit_test(test_ps_cli),
		cmocka_unit_test(test_proc_fields_match_iterator),
		cmocka_unit_test(test_pid_namespace),
		cmocka_unit_test(test_ps_lists_every_proc_pid),
		cmocka_unit_test(test_missed_process_found),
		cmocka_unit_test(test_ps_user_start_args),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
