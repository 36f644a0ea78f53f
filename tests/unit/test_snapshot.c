// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Folding iterator records into processes, state letters, and ps output. */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>

#include "testutil.h"

#include "jobtrace/loadavg.h"
#include "jobtrace/ps.h"
#include "jobtrace/snapshot.h"

static struct jt_task_rec rec(__u32 pid, __u32 tgid, __u32 ppid, const char *comm, __u64 cpu)
{
	struct jt_task_rec r = {
		.version = JT_SNAP_VERSION,
		.size = sizeof(r),
		.pid = pid,
		.tgid = tgid,
		.ppid = ppid,
		.nr_threads = 1,
		.cpu_ns = cpu,
		.is_leader = pid == tgid,
		.rss_pages = 10,
		.vm_pages = 100,
		.start_ns = 5000000000ULL,
	};

	memcpy(r.comm, comm, strnlen(comm, sizeof(r.comm)));
	return r;
}

static void test_state_letters(void **state)
{
	static const struct {
		__u32 state;
		__s32 exit_state;
		char want;
	} cases[] = {
		{ 0x0, 0, 'R' },     { 0x1, 0, 'S' },	 { 0x2, 0, 'D' },   { 0x4, 0, 'T' },
		{ 0x8, 0, 't' },     { 0x402, 0, 'I' }, { 0x0, 0x20, 'Z' }, { 0x0, 0x10, 'X' },
		{ 0x40, 0, 'P' },    /* TASK_FREEZABLE (0x2000) does not hide the sleep */
		{ 0x2001, 0, 'S' },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got = snapshot__state_char(cases[i].state, cases[i].exit_state);

		if (got != cases[i].want)
			fail_msg("state %#x exit %#x: got %c, want %c", cases[i].state,
				 cases[i].exit_state, got, cases[i].want);
	}
}

static void test_threads_fold_into_processes(void **state)
{
	/* Out of order on purpose, with a thread before its leader. */
	struct jt_task_rec recs[] = {
		rec(12, 10, 1, "worker", 300), rec(10, 10, 1, "server", 1000),
		rec(1, 1, 0, "init", 50),      rec(11, 10, 1, "worker", 200),
		rec(20, 20, 10, "child", 7),
	};
	struct ps_snapshot s;
	const struct ps_entry *p;

	recs[1].dead_threads_cpu_ns = 4000; /* threads that already exited */
	recs[1].nr_threads = 3;
	recs[1].host_tgid = 123456; /* read from a pid namespace */
	recs[1].ns_tgid = 3; /* and lives in one deeper still */
	assert_int_equal(snapshot__from_records(recs, 5, 4096, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.tasks, 5);
	assert_int_equal(s.procs[0].pid, 1);
	assert_int_equal(s.procs[1].pid, 10);
	assert_int_equal(s.procs[2].pid, 20);
	p = snapshot__find(&s, 10);
	assert_non_null(p);
	assert_int_equal(p->cpu_ns, 1000 + 4000 + 300 + 200);
	assert_int_equal(p->threads, 3);
	assert_int_equal(p->host_pid, 123456);
	assert_int_equal(p->ns_pid, 3);
	assert_int_equal(p->rss_bytes, 10 * 4096);
	assert_int_equal(p->vm_bytes, 100 * 4096);
	assert_string_equal(p->comm, "server");
	assert_null(snapshot__find(&s, 11)); /* a thread is not a process */
	snapshot__free(&s);
	snapshot__free(&s);
	snapshot__free(NULL);
}

static void test_foreign_records_are_refused(void **state)
{
	struct jt_task_rec r = rec(1, 1, 0, "x", 0);
	struct ps_snapshot s;

	r.version = JT_SNAP_VERSION + 1;
	assert_int_equal(snapshot__from_records(&r, 1, 4096, &s), -EPROTO);
	assert_int_equal(snapshot__from_records(NULL, 0, 4096, &s), 0);
	assert_int_equal(s.n, 0);
	snapshot__free(&s);
}

/* Appends @r and @len bytes of @args to @buf at *@off, as the iterator writes them. */
static void put_rec(char *buf, size_t *off, struct jt_task_rec r, enum jt_args_state st,
		    const char *args, size_t len)
{
	r.args = (__u8)st;
	r.args_len = st == JT_ARGS_READ ? (__u32)len : 0;
	memcpy(buf + *off, &r, sizeof(r));
	if (r.args_len)
		memcpy(buf + *off + sizeof(r), args, r.args_len);
	*off += JT_TASK_REC_NEXT(r.args_len);
}

/*
 * Arguments after a leader's record: parsed as /proc/PID/cmdline is (NULs
 * inside, odd bytes kept), an empty one known (a kernel thread's), the
 * processes the iterator left to /proc unknown and counted; a record cut
 * inside its arguments, or claiming more than JT_ARGS_MAX, is refused.
 */
static void test_stream_with_args(void **state)
{
	static const char odd[] = "/bin/x\0a\xff\xfe" "b\0\0new\nline"; /* an empty arg too */
	static char buf[4 * sizeof(struct jt_task_rec) + 64 + JT_ARGS_MAX], big[JT_ARGS_MAX + 1];
	struct jt_task_rec thread = rec(11, 10, 1, "w", 5);
	const struct ps_entry *p;
	struct ps_snapshot s;
	size_t off = 0;

	put_rec(buf, &off, rec(10, 10, 1, "x", 1), JT_ARGS_READ, odd, sizeof(odd));
	put_rec(buf, &off, thread, JT_ARGS_NONE, NULL, 0);
	put_rec(buf, &off, rec(2, 2, 0, "kthreadd", 0), JT_ARGS_READ, NULL, 0);
	put_rec(buf, &off, rec(20, 20, 10, "title", 0), JT_ARGS_TITLE, NULL, 0);
	assert_int_equal(off % 8, 0);
	assert_int_equal(snapshot__from_stream(buf, off, 4096, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.tasks, 4);
	assert_int_equal(s.args_iterated, 2);
	assert_int_equal(s.args_left, 1);
	p = snapshot__find(&s, 10);
	assert_true(p->args_known);
	assert_int_equal(p->cpu_ns, 6);
	assert_int_equal(p->cmdline.argc, 4);
	assert_false(p->cmdline.rewritten);
	assert_string_equal(p->cmdline.argv[1], "a\xff\xfe" "b");
	assert_string_equal(p->cmdline.argv[2], "");
	assert_string_equal(p->cmdline.argv[3], "new\nline");
	p = snapshot__find(&s, 2);
	assert_true(p->args_known);
	assert_int_equal(p->cmdline.argc, 0);
	assert_false(snapshot__find(&s, 20)->args_known);
	snapshot__free(&s);

	/* Cut inside the arguments, or past what the iterator ever writes. */
	assert_int_equal(snapshot__from_stream(buf, JT_TASK_REC_NEXT(sizeof(odd)) - 8, 4096, &s),
			 -EPROTO);
	off = 0;
	put_rec(buf, &off, rec(10, 10, 1, "x", 1), JT_ARGS_READ, big, sizeof(big));
	assert_int_equal(snapshot__from_stream(buf, off, 4096, &s), -EPROTO);
}

/*
 * A list long enough to be formatted in two parts side by side (on two
 * CPUs or more) is the bytes one writer makes of each process, joined by
 * commas: nothing lost, doubled or out of order where the parts meet.
 */
static void test_ps_json_parts_same_bytes(void **state)
{
	enum { N = 3001 };
	static const char odd[] = "/bin/x\0a\xff\"b\0\0new\nline";
	static char buf[N * (sizeof(struct jt_task_rec) + 32)];
	struct ps_options o = { .json = true, .boot_epoch_ns = 1700000000000000000ULL };
	struct capture whole, one;
	struct ps_snapshot s;
	size_t off = 0, at;

	for (__u32 i = 0; i < N; i++) {
		struct jt_task_rec r = rec(100 + 2 * i, 100 + 2 * i, i % 7, "p\"q", i * 123456789ULL);

		r.uid = i % 3 ? 0 : 1000 + i;
		r.start_ns = 5000000000ULL + i * 1000003ULL;
		if (i % 5 == 4)
			put_rec(buf, &off, r, JT_ARGS_TITLE, NULL, 0); /* "args": null */
		else
			put_rec(buf, &off, r, JT_ARGS_READ, odd, i % 5 == 3 ? 0 : sizeof(odd));
	}
	assert_int_equal(snapshot__from_stream(buf, off, 4096, &s), 0);
	assert_int_equal(s.n, N);
	snprintf(s.procs[N - 1].user, sizeof(s.procs[N - 1].user), "%s", "us\ter");
	capture__open(&whole);
	assert_int_equal(ps__write(whole.f, &s, &o), 0);
	capture__close(&whole);
	assert_true(whole.len > 2 && whole.buf[0] == '[');
	at = 1;
	for (size_t i = 0; i < s.n; i++) {
		struct ps_snapshot single = { .procs = &s.procs[i], .n = 1 };
		size_t len;

		capture__open(&one);
		assert_int_equal(ps__write(one.f, &single, &o), 0);
		capture__close(&one);
		/* "[{...}]\n": the object alone. */
		len = one.len - 3;
		if (i)
			assert_int_equal(whole.buf[at++], ',');
		assert_true(at + len <= whole.len);
		if (memcmp(whole.buf + at, one.buf + 1, len))
			fail_msg("process %zu (pid %d) differs: %.*s", i, s.procs[i].pid, (int)len,
				 whole.buf + at);
		at += len;
		capture__free(&one);
	}
	assert_int_equal(whole.len - at, 2);
	assert_memory_equal(whole.buf + at, "]\n", 2);
	capture__free(&whole);
	snapshot__free(&s);
}

static struct ps_snapshot tree_snapshot(void)
{
	struct jt_task_rec recs[] = {
		rec(1, 1, 0, "init", 0),      rec(5, 5, 1, "sh", 0),	 rec(9, 9, 5, "make", 0),
		rec(30, 30, 9, "cc\"1\n", 0), rec(31, 31, 9, "ld", 0), rec(40, 40, 1, "sshd", 0),
		rec(50, 50, 777, "orphan", 0), /* its parent is not in the snapshot */
	};
	struct ps_snapshot s;

	assert_int_equal(snapshot__from_records(recs, 7, 4096, &s), 0);
	return s;
}

static void test_ps_json_subtree(void **state)
{
	struct ps_snapshot s = tree_snapshot();
	struct ps_options o = { .json = true, .pid = 5, .boot_epoch_ns = 1000000000000000000ULL };
	struct capture cap;
	json_error_t err;
	json_t *a;

	capture__open(&cap);
	assert_int_equal(ps__write(cap.f, &s, &o), 0);
	capture__close(&cap);
	a = json_loads(cap.buf, 0, &err);
	if (!a)
		fail_msg("invalid JSON: %s", err.text);
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 4); /* sh, make, cc"1, ld */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "pid")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 2), "ppid")), 9);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 2), "comm")),
			    "cc\"1\n");
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "state")),
			    "R");
	assert_true(fabs(json_number_value(json_object_get(json_array_get(a, 0), "start_time")) -
			 1000000005.0) < 1e-3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "rss_bytes")),
			 40960);
	json_decref(a);
	capture__free(&cap);

	o.pid = 4242;
	capture__open(&cap);
	assert_int_equal(ps__write(cap.f, &s, &o), -ESRCH);
	capture__close(&cap);
	capture__free(&cap);
	snapshot__free(&s);
}

static void test_ps_text_tree(void **state)
{
	struct ps_snapshot s = tree_snapshot();
	struct ps_options o = { .tree = true };
	struct capture cap;
	const char *out;

	capture__open(&cap);
	assert_int_equal(ps__write(cap.f, &s, &o), 0);
	out = capture__close(&cap);
	/* Children under their parent, two spaces a level, names escaped. */
	assert_non_null(strstr(out, "  init\n"));
	assert_non_null(strstr(out, "    sh\n"));
	assert_non_null(strstr(out, "      make\n"));
	assert_non_null(strstr(out, "        cc\"1\\x0a\n"));
	assert_true(strstr(out, "  make") < strstr(out, "cc\"1"));
	assert_true(strstr(out, "cc\"1") < strstr(out, "  ld"));
	/* A process whose parent is gone is a root of its own. */
	assert_non_null(strstr(out, "  orphan\n"));
	assert_null(strstr(out, "    orphan"));
	capture__free(&cap);
	snapshot__free(&s);
}

/* `ps --proc` over a fixture tree: uid, vm size and kernel threads from /proc's own fields. */
static void test_from_proc_fixture(void **state)
{
	int proc_fd = open(FIXTURES "/ps/proc", O_RDONLY | O_DIRECTORY);
	long page = sysconf(_SC_PAGESIZE);
	const struct ps_entry *p;
	struct ps_snapshot s;

	assert_true(proc_fd >= 0);
	assert_int_equal(snapshot__from_proc(proc_fd, &s), 0);
	close(proc_fd);
	/* 4301's status is gone: it exited between its stat and its status. */
	assert_int_equal(s.n, 6);
	assert_int_equal(s.vanished, 1);
	assert_null(snapshot__find(&s, 4301));

	p = snapshot__find(&s, 1);
	assert_false(p->kthread);
	assert_int_equal(p->uid, 0);
	assert_int_equal(p->vm_bytes, 22589440);
	assert_int_equal(p->rss_bytes, 3318 * page);
	/* kthreadd and its worker carry PF_KTHREAD; modprobe, also kthreadd's child, does not. */
	assert_true(snapshot__find(&s, 2)->kthread);
	assert_true(snapshot__find(&s, 3)->kthread);
	assert_int_equal(snapshot__find(&s, 3)->vm_bytes, 0);
	p = snapshot__find(&s, 88);
	assert_int_equal(p->ppid, 2);
	assert_false(p->kthread);
	assert_int_equal(p->vm_bytes, 8392704);
	/* The real uid (1000), not the effective one (1001), as the iterator reports. */
	p = snapshot__find(&s, 4242);
	assert_string_equal(p->comm, "(a) (b))");
	assert_int_equal(p->uid, 1000);
	assert_int_equal(p->vm_bytes, 1234567168);
	assert_false(p->kthread);
	/* A status cut mid-line leaves the uid unknown, and the rest of the entry. */
	p = snapshot__find(&s, 4300);
	assert_int_equal(p->uid, PS_UID_UNKNOWN);
	assert_int_equal(p->vm_bytes, 4096000);
	snapshot__free(&s);
}

/* An unknown uid is null in JSON, not 4294967295. */
static void test_ps_json_unknown_uid(void **state)
{
	struct jt_task_rec recs[] = { rec(7, 7, 1, "x", 0), rec(8, 8, 1, "y", 0) };
	struct ps_options o = { .json = true };
	struct ps_snapshot s;
	struct capture cap;
	json_t *a;

	recs[1].uid = 65534;
	assert_int_equal(snapshot__from_records(recs, 2, 4096, &s), 0);
	s.procs[0].uid = PS_UID_UNKNOWN;
	capture__open(&cap);
	assert_int_equal(ps__write(cap.f, &s, &o), 0);
	capture__close(&cap);
	a = json_loads(cap.buf, 0, NULL);
	assert_non_null(a);
	assert_true(json_is_null(json_object_get(json_array_get(a, 0), "uid")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 1), "uid")), 65534);
	json_decref(a);
	capture__free(&cap);
	snapshot__free(&s);
}

/*
 * The iterator saw 1, 2 and 88; /proc lists more. The others are read from
 * /proc and marked, except one born after the iterator ran (4242), one gone
 * by now (4301), and one /proc cannot parse (4302), which is counted.
 */
static void test_fill_from_proc(void **state)
{
	struct jt_task_rec recs[] = { rec(88, 88, 2, "modprobe", 0), rec(1, 1, 0, "systemd", 0),
				      rec(2, 2, 0, "kthreadd", 0) };
	int proc_fd = open(FIXTURES "/ps/proc", O_RDONLY | O_DIRECTORY);
	const struct ps_entry *p;
	struct ps_snapshot s;
	struct capture cap;
	json_t *a;

	assert_true(proc_fd >= 0);
	assert_int_equal(snapshot__from_records(recs, 3, 4096, &s), 0);
	/* The iterator ran 100 s after boot: 4242 started later. */
	assert_int_equal(snapshot__fill_from_proc(&s, proc_fd, 100000000000ULL), 0);
	close(proc_fd);
	assert_int_equal(s.filled_from_proc, 2);
	assert_int_equal(s.missing_from_proc, 1);
	assert_int_equal(s.n, 5);
	for (size_t i = 1; i < s.n; i++)
		assert_true(s.procs[i - 1].pid < s.procs[i].pid);
	assert_false(snapshot__find(&s, 1)->from_proc);
	assert_int_equal(snapshot__find(&s, 1)->vm_bytes, 100 * 4096); /* the iterator's, kept */
	p = snapshot__find(&s, 3);
	assert_true(p->from_proc);
	assert_true(p->kthread);
	p = snapshot__find(&s, 4300);
	assert_true(p->from_proc);
	assert_int_equal(p->vm_bytes, 4096000);
	assert_int_equal(p->host_pid, 0); /* a copied tree cannot tell the host's pid */
	assert_null(snapshot__find(&s, 4242));
	assert_null(snapshot__find(&s, 4301));
	assert_null(snapshot__find(&s, 4302));

	/* JSON tells which source each came from. */
	capture__open(&cap);
	assert_int_equal(ps__write(cap.f, &s, &(struct ps_options){ .json = true }), 0);
	capture__close(&cap);
	a = json_loads(cap.buf, 0, NULL);
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "source")),
			    "bpf-iter");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 2), "pid")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 2), "source")),
			    "proc");
	json_decref(a);
	capture__free(&cap);
	snapshot__free(&s);
}

/*
 * A /proc of fixture processes (1, 2, 3, 88, 4300) and a loadavg whose
 * total of tasks is @kernel_tasks: the kernel's count, as
 * snapshot__fill_from_proc reads it. @dir is the caller's, removed by
 * counted_proc_rm().
 */
static const int counted_pids[] = { 1, 2, 3, 88, 4300 };

static int counted_proc(char *dir, unsigned int kernel_tasks)
{
	char path[256], target[512];
	FILE *f;
	int fd;

	assert_non_null(mkdtemp(dir));
	/* Copies: /proc readers refuse a symbolic link. */
	for (size_t i = 0; i < sizeof(counted_pids) / sizeof(counted_pids[0]); i++) {
		snprintf(path, sizeof(path), "%s/%d", dir, counted_pids[i]);
		assert_int_equal(mkdir(path, 0755), 0);
		for (int k = 0; k < 2; k++) {
			const char *name = k ? "status" : "stat";
			char buf[4096];
			size_t n;

			snprintf(target, sizeof(target), FIXTURES "/ps/proc/%d/%s", counted_pids[i],
				 name);
			f = fopen(target, "r");
			assert_non_null(f);
			n = fread(buf, 1, sizeof(buf), f);
			fclose(f);
			snprintf(target, sizeof(target), "%s/%s", path, name);
			f = fopen(target, "w");
			assert_non_null(f);
			assert_int_equal(fwrite(buf, 1, n, f), n);
			assert_int_equal(fclose(f), 0);
		}
	}
	snprintf(path, sizeof(path), "%s/loadavg", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "0.10 0.20 0.30 1/%u 4400\n", kernel_tasks);
	assert_int_equal(fclose(f), 0);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	return fd;
}

static void counted_proc_rm(const char *dir)
{
	char path[512];

	for (size_t i = 0; i < sizeof(counted_pids) / sizeof(counted_pids[0]); i++) {
		snprintf(path, sizeof(path), "%s/%d/stat", dir, counted_pids[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%d/status", dir, counted_pids[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%d", dir, counted_pids[i]);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/loadavg", dir);
	unlink(path);
	rmdir(dir);
}

/*
 * The iterator showed 2, 3 and 88, not pid 1 (as 6.18's never does here).
 * Pid 1 is read alone; with it the tasks number 4, the kernel's count: no
 * walk of /proc, so 4300, which the counts say is not there, is not looked
 * for (a real kernel would have counted it).
 */
static void test_fill_skips_walk_when_counts_agree(void **state)
{
	struct jt_task_rec recs[] = { rec(2, 2, 0, "kthreadd", 0), rec(3, 3, 2, "kworker", 0),
				      rec(88, 88, 2, "modprobe", 0) };
	char dir[] = "/tmp/jt-counted-XXXXXX";
	int proc_fd = counted_proc(dir, 4);
	const struct ps_entry *p;
	struct ps_snapshot s;

	assert_int_equal(snapshot__from_records(recs, 3, 4096, &s), 0);
	assert_int_equal(snapshot__fill_from_proc(&s, proc_fd, 100000000000ULL), 0);
	close(proc_fd);
	counted_proc_rm(dir);
	assert_false(s.walked_proc);
	assert_int_equal(s.kernel_tasks, 4);
	assert_int_equal(s.filled_from_proc, 1);
	assert_int_equal(s.n, 4);
	p = snapshot__find(&s, 1);
	assert_non_null(p);
	assert_true(p->from_proc);
	assert_string_equal(p->comm, "systemd");
	assert_int_equal(s.procs[0].pid, 1); /* still sorted */
	assert_null(snapshot__find(&s, 4300));
	snapshot__free(&s);
}

/*
 * The counts agree after the iterator, but a task began (last_pid moved)
 * or one ended (nr_threads moved) since the line read before it: a birth
 * and an exit could add up to a process the iterator missed, so /proc is
 * walked, and 4300 is found. The same line before and after: no walk.
 */
static void test_fill_walks_when_tasks_came_and_went(void **state)
{
	struct jt_task_rec recs[] = { rec(2, 2, 0, "kthreadd", 0), rec(3, 3, 2, "kworker", 0),
				      rec(88, 88, 2, "modprobe", 0) };
	const struct loadavg befores[] = {
		{ .nr_threads = 4, .last_pid = 4399 }, /* a task began */
		{ .nr_threads = 5, .last_pid = 4400 }, /* a task ended */
		{ .nr_threads = 4, .last_pid = 4400 }, /* neither */
	};

	for (size_t i = 0; i < sizeof(befores) / sizeof(befores[0]); i++) {
		char dir[] = "/tmp/jt-counted-XXXXXX";
		int proc_fd = counted_proc(dir, 4);
		struct ps_snapshot s;
		bool quiet = i == 2;

		assert_int_equal(snapshot__from_records(recs, 3, 4096, &s), 0);
		assert_int_equal(snapshot__fill_from_proc_since(&s, proc_fd, 100000000000ULL,
								&befores[i]),
				 0);
		close(proc_fd);
		counted_proc_rm(dir);
		assert_int_equal(s.walked_proc, !quiet);
		assert_non_null(snapshot__find(&s, 1));
		if (quiet)
			assert_null(snapshot__find(&s, 4300));
		else
			assert_true(snapshot__find(&s, 4300)->from_proc);
		snapshot__free(&s);
	}
}

/*
 * The same, but the kernel counts one task more than the iterator and pid 1
 * make: a process the iterator missed (4300) is found by the walk, marked
 * as read from /proc, and pid 1 is listed once.
 */
static void test_fill_walks_when_counts_differ(void **state)
{
	struct jt_task_rec recs[] = { rec(2, 2, 0, "kthreadd", 0), rec(3, 3, 2, "kworker", 0),
				      rec(88, 88, 2, "modprobe", 0) };
	char dir[] = "/tmp/jt-counted-XXXXXX";
	int proc_fd = counted_proc(dir, 5);
	const struct ps_entry *p;
	struct ps_snapshot s;

	assert_int_equal(snapshot__from_records(recs, 3, 4096, &s), 0);
	assert_int_equal(snapshot__fill_from_proc(&s, proc_fd, 100000000000ULL), 0);
	close(proc_fd);
	counted_proc_rm(dir);
	assert_true(s.walked_proc);
	assert_int_equal(s.kernel_tasks, 5);
	assert_int_equal(s.filled_from_proc, 2);
	assert_int_equal(s.n, 5);
	for (size_t i = 1; i < s.n; i++)
		assert_true(s.procs[i - 1].pid < s.procs[i].pid);
	assert_true(snapshot__find(&s, 1)->from_proc);
	p = snapshot__find(&s, 4300);
	assert_non_null(p);
	assert_true(p->from_proc);
	assert_int_equal(p->vm_bytes, 4096000);
	assert_false(snapshot__find(&s, 88)->from_proc);
	snapshot__free(&s);
}

/* -o: names and aliases, in the order given; a bad name is pointed at. */
static void test_ps_columns_parse(void **state)
{
	struct ps_options o = {};
	const char *bad = NULL;
	size_t len = 0;

	assert_int_equal(ps__add_columns(&o, "pid,user,start,args", &bad, &len), 0);
	assert_int_equal(ps__add_columns(&o, "command ucomm", &bad, &len), 0);
	assert_int_equal(o.ncols, 6);
	assert_int_equal(o.cols[0], PS_COL_PID);
	assert_int_equal(o.cols[1], PS_COL_USER);
	assert_int_equal(o.cols[2], PS_COL_START);
	assert_int_equal(o.cols[3], PS_COL_ARGS);
	assert_int_equal(o.cols[4], PS_COL_ARGS);
	assert_int_equal(o.cols[5], PS_COL_COMM);
	assert_true(ps__wants(&o, PS_COL_USER));
	assert_false(ps__wants(&o, PS_COL_RSS));
	assert_int_equal(ps__add_columns(&o, "pid,pidx,comm", &bad, &len), -EINVAL);
	assert_int_equal(len, 4);
	assert_memory_equal(bad, "pidx", 4);
	/* The default table shows no USER or ARGS: nothing to read for them. */
	o.ncols = 0;
	assert_false(ps__wants(&o, PS_COL_USER));
	assert_false(ps__wants(&o, PS_COL_ARGS));
	assert_true(ps__wants(&o, PS_COL_COMM));
}

/*
 * The table with -o: USER (the uid where it has no name), START as ps(1)
 * writes it (HH:MM today, Mon DD this year, the year before), ARGS escaped
 * argument by argument, [comm] where there are none.
 */
static void test_ps_text_columns(void **state)
{
	static const char argv1[] = "sh\0-c\0echo 'a b'\n\"x\"\0";
	struct jt_task_rec recs[] = { rec(7, 7, 1, "sh", 0), rec(8, 8, 1, "kw", 0),
				      rec(9, 9, 1, "old", 0) };
	/* 2026-12-06 12:00 UTC; boot at 2026-12-06 00:00 UTC. */
	struct ps_options o = { .now = 1796558400, .boot_epoch_ns = 1796515200ULL * 1000000000ULL };
	struct ps_snapshot s;
	struct capture cap;
	const char *bad, *out;
	size_t len;

	setenv("TZ", "UTC", 1);
	tzset();
	recs[0].start_ns = (9ULL * 3600 + 5 * 60) * 1000000000ULL; /* 09:05 today */
	recs[1].uid = 4242;
	assert_int_equal(snapshot__from_records(recs, 3, 4096, &s), 0);
	s.procs[2].start_boot_ns = 0; /* at boot, midnight */
	memcpy(s.procs[0].user, "root", 5);
	assert_int_equal(proc_pid__parse_cmdline(argv1, sizeof(argv1) - 1, &s.procs[0].cmdline), 0);
	s.procs[0].args_known = true;
	s.procs[1].args_known = true; /* an empty cmdline: a kernel thread's */
	assert_int_equal(ps__add_columns(&o, "pid,user,start,args", &bad, &len), 0);
	capture__open(&cap);
	assert_int_equal(ps__write(cap.f, &s, &o), 0);
	out = capture__close(&cap);
	assert_non_null(strstr(out, "    PID USER      START  ARGS\n"));
	assert_non_null(strstr(out, "      7 root      09:05  sh -c echo 'a b'\\x0a\"x\"\n"));
	assert_non_null(strstr(out, "      8 4242      00:00  [kw]\n"));
	assert_non_null(strstr(out, "      9 0         00:00  [old]\n"));
	capture__free(&cap);

	/* Another day this year, another year. */
	o.now += 3 * 86400;
	capture__open(&cap);
	assert_int_equal(ps__write(cap.f, &s, &o), 0);
	out = capture__close(&cap);
	assert_non_null(strstr(out, "      7 root     Dec 06  sh"));
	capture__free(&cap);
	o.now += 40 * 86400;
	capture__open(&cap);
	assert_int_equal(ps__write(cap.f, &s, &o), 0);
	out = capture__close(&cap);
	assert_non_null(strstr(out, "      7 root       2026  sh"));
	capture__free(&cap);

	/* JSON has them all, whatever -o says: username null where there is no name. */
	o.json = true;
	capture__open(&cap);
	assert_int_equal(ps__write(cap.f, &s, &o), 0);
	capture__close(&cap);
	{
		json_t *a = json_loads(cap.buf, 0, NULL), *args;

		assert_non_null(a);
		assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0),
								      "username")),
				    "root");
		assert_true(json_is_null(json_object_get(json_array_get(a, 1), "username")));
		args = json_object_get(json_array_get(a, 0), "args");
		assert_int_equal(json_array_size(args), 3);
		assert_string_equal(json_string_value(json_array_get(args, 2)), "echo 'a b'\n\"x\"");
		assert_int_equal(json_array_size(json_object_get(json_array_get(a, 1), "args")), 0);
		assert_true(json_is_null(json_object_get(json_array_get(a, 2), "args")));
		json_decref(a);
	}
	capture__free(&cap);
	snapshot__free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ps_columns_parse),
		cmocka_unit_test(test_ps_text_columns),
		cmocka_unit_test(test_state_letters),
		cmocka_unit_test(test_threads_fold_into_processes),
		cmocka_unit_test(test_foreign_records_are_refused),
		cmocka_unit_test(test_stream_with_args),
		cmocka_unit_test(test_ps_json_subtree),
		cmocka_unit_test(test_ps_text_tree),
		cmocka_unit_test(test_from_proc_fixture),
		cmocka_unit_test(test_ps_json_unknown_uid),
		cmocka_unit_test(test_fill_from_proc),
		cmocka_unit_test(test_ps_json_parts_same_bytes),
		cmocka_unit_test(test_fill_skips_walk_when_counts_agree),
		cmocka_unit_test(test_fill_walks_when_counts_differ),
		cmocka_unit_test(test_fill_walks_when_tasks_came_and_went),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
