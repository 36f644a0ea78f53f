// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process snapshots: the task iterator (bpf/snapshot.bpf.c), or a /proc walk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "jobtrace/kernel_btf.h"
#include "jobtrace/loadavg.h"
#include "jobtrace/proc_walk.h"
#include "jobtrace/loader.h"
#include "jobtrace/snapshot.h"
#include "jobtrace/util.h"
#include "snapshot.skel.h"
#include "snapshot_compat.skel.h"

#define EXIT_DEAD 0x10
#define EXIT_ZOMBIE 0x20
#define TASK_REPORT 0x7f
#define TASK_IDLE 0x402 /* TASK_UNINTERRUPTIBLE | TASK_NOLOAD */

#define BPFFS "/sys/fs/bpf"
#define PIN_DIR BPFFS "/jobtrace"
#define PIN_PREFIX "tasks-"
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

struct snapshot_iter {
	struct snapshot_bpf *skel; /* NULL when a pinned iterator was reused */
	struct bpf_link *link;
	int link_fd;
	bool args; /* dump_task_args: arguments after each leader's record */
	int readers_fd; /* its `readers` map: -1 not looked up yet, -2 none */
	unsigned int max_readers; /* 0: one a CPU */
	unsigned int others_running; /* tasks besides the caller running, as it last said */
	struct iter_pool *pool; /* the threads reading other shares; NULL: one reader */
	char *buf; /* a read buffer, one for each reader of the pool */
};

static void pool_start(struct snapshot_iter *it);
static void pool_free(struct iter_pool *pool);

char snapshot__state_char(__u32 state, __s32 exit_state)
{
	/* The kernel's own task_state_index(): the highest reported bit wins. */
	static const char letters[] = "RSDTtXZP";
	__u32 bits = (state | (__u32)exit_state) & TASK_REPORT;
	int idx = 0;

	if (state == TASK_IDLE)
		return 'I';
	while (bits) {
		idx++;
		bits >>= 1;
	}
	return letters[idx];
}

static int by_pid(const void *a, const void *b)
{
	const struct ps_entry *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

const struct ps_entry *snapshot__find(const struct ps_snapshot *s, pid_t pid)
{
	struct ps_entry key = { .pid = pid };

	return bsearch(&key, s->procs, s->n, sizeof(key), by_pid);
}

void snapshot__free(struct ps_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		proc_cmdline__free(&s->procs[i].cmdline);
	free(s->procs);
	s->procs = NULL;
	s->n = 0;
}

/* Distinct uids a snapshot remembers the names of; a host has few. */
#define USER_CACHE 64

int snapshot__read_users(struct ps_snapshot *s)
{
	struct {
		uid_t uid;
		char name[33];
	} cache[USER_CACHE];
	size_t ncached = 0, next = 0;
	char buf[4096];

	for (size_t i = 0; i < s->n; i++) {
		struct ps_entry *p = &s->procs[i];
		struct passwd pw, *res = NULL;
		size_t k;

		p->user[0] = '\0';
		if (p->uid == PS_UID_UNKNOWN)
			continue;
		for (k = 0; k < ncached && cache[k].uid != p->uid; k++)
			;
		if (k == ncached) {
			/* Full: the oldest goes; a lookup costs a read of /etc/passwd (or NSS). */
			k = ncached < USER_CACHE ? ncached++ : next++ % USER_CACHE;
			cache[k].uid = p->uid;
			cache[k].name[0] = '\0';
			if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &res) == 0 && res)
				snprintf(cache[k].name, sizeof(cache[k].name), "%s", pw.pw_name);
		}
		memcpy(p->user, cache[k].name, sizeof(p->user));
	}
	return 0;
}

int snapshot__read_args(struct ps_snapshot *s, int proc_fd)
{
	/*
	 * One read of a page answers almost every process: open, read,
	 * close. The reader for any /proc file adds an fstat and the read
	 * that finds the end: two syscalls more a process, of five, for the
	 * 5,000 of a ps --json. A longer command line is read again, whole.
	 */
	char buf[4096];

	for (size_t i = 0; i < s->n; i++) {
		struct ps_entry *p = &s->procs[i];
		ssize_t n;
		int err;

		if (p->args_known)
			continue; /* copied by the iterator */
		proc_cmdline__free(&p->cmdline);
		n = proc_pid__read_args(proc_fd, p->pid, buf, sizeof(buf));
		if (n >= 0 && (size_t)n < sizeof(buf))
			err = proc_pid__parse_cmdline(buf, (size_t)n, &p->cmdline);
		else if (n < 0)
			err = (int)n;
		else
			err = proc_pid__read_cmdline(proc_fd, p->pid, &p->cmdline);
		if (err == -ENOMEM)
			return err;
		p->args_known = err == 0;
	}
	return 0;
}

/* The entry of @r, a leader's record, with its arguments at @args (JT_ARGS_READ). */
static int entry_from_rec(const struct jt_task_rec *r, const char *args, __u64 page_size,
			  struct ps_entry *p, struct ps_snapshot *out)
{
	memset(p, 0, sizeof(*p));
	p->pid = (pid_t)r->tgid;
	p->ppid = (pid_t)r->ppid;
	p->host_pid = (pid_t)r->host_tgid;
	p->ns_pid = (pid_t)r->ns_tgid;
	p->uid = r->uid;
	p->state = snapshot__state_char(r->state, r->exit_state);
	p->kthread = r->kthread;
	p->threads = r->nr_threads;
	p->cpu_ns = r->cpu_ns + r->dead_threads_cpu_ns;
	p->rss_bytes = r->rss_pages * page_size;
	p->vm_bytes = r->vm_pages * page_size;
	p->start_boot_ns = r->start_ns;
	memcpy(p->comm, r->comm, sizeof(r->comm));
	p->comm[sizeof(r->comm)] = '\0';
	if (r->args == JT_ARGS_READ) {
		/* The bytes /proc/PID/cmdline gives, through the same parser. */
		int err = proc_pid__parse_cmdline(args, r->args_len, &p->cmdline);

		if (err)
			return err;
		p->args_known = true;
		out->args_iterated++;
	} else if (r->args != JT_ARGS_NONE) {
		out->args_left++;
	}
	return 0;
}

/*
 * Where the record at @off of @buf (@len bytes) ends, copied out into *@r
 * (the stream's alignment is the reader's buffer's, not promised to be a
 * record's) with *@args the bytes that follow it: the next record's
 * offset; 0 where the record is not whole in @buf yet; -EPROTO for a
 * foreign one.
 */
static ssize_t rec_at(const char *buf, size_t len, size_t off, struct jt_task_rec *r,
		      const char **args)
{
	size_t next;

	if (len - off < sizeof(*r))
		return 0;
	memcpy(r, buf + off, sizeof(*r));
	if (r->version != JT_SNAP_VERSION || r->size != sizeof(*r))
		return -EPROTO;
	if (r->args != JT_ARGS_READ)
		r->args_len = 0;
	if (r->args_len > JT_ARGS_MAX)
		return -EPROTO;
	next = off + JT_TASK_REC_NEXT(r->args_len);
	if (next > len)
		return 0;
	*args = buf + off + sizeof(*r);
	return (ssize_t)next;
}

/* A thread whose process had no entry yet when its record came. */
struct stray_cpu {
	pid_t tgid;
	__u64 cpu_ns;
};

/*
 * Records folded into a snapshot as they arrive, a read at a time: the
 * iterator's output is never held whole, and each read's records are
 * parsed while they are still in the cache.
 */
struct snap_parse {
	struct ps_snapshot *out;
	struct jt_iter_share share; /* the tasks of this reader's */
	size_t cap; /* of out->procs */
	struct stray_cpu *strays;
	size_t nstrays, strays_cap;
	bool sorted;
	__u64 page_size;
};

static void parse_begin(struct snap_parse *ps, struct ps_snapshot *out, __u64 page_size)
{
	memset(out, 0, sizeof(*out));
	memset(ps, 0, sizeof(*ps));
	ps->out = out;
	ps->share.count = 1;
	ps->sorted = true;
	ps->page_size = page_size;
}

/* A thread's CPU added to its process, or kept until every process is in. */
static int add_thread(struct snap_parse *ps, const struct jt_task_rec *r)
{
	struct ps_snapshot *out = ps->out;
	struct ps_entry *p = NULL;
	pid_t tgid = (pid_t)r->tgid;

	/* Tids follow their leader's in the walk but after a pid wrap. */
	if (out->n && out->procs[out->n - 1].pid == tgid)
		p = &out->procs[out->n - 1];
	else if (ps->sorted && out->n && out->procs[out->n - 1].pid > tgid)
		p = (struct ps_entry *)snapshot__find(out, tgid);
	if (p) {
		p->cpu_ns += r->cpu_ns;
		return 0;
	}
	if (ps->nstrays == ps->strays_cap &&
	    util__grow(&ps->strays, &ps->strays_cap, sizeof(*ps->strays), 16, UTIL_NO_MAX))
		return -ENOMEM;
	ps->strays[ps->nstrays++] = (struct stray_cpu){ tgid, r->cpu_ns };
	return 0;
}

/*
 * The whole records at the start of @buf folded in: how many bytes they
 * take (a record cut by the end of @buf is left for the next call), or a
 * negative errno.
 */
static ssize_t parse_feed(struct snap_parse *ps, const char *buf, size_t len)
{
	struct ps_snapshot *out = ps->out;
	struct jt_task_rec r;
	const char *args;
	size_t off = 0;
	ssize_t next;
	int err;

	while ((next = rec_at(buf, len, off, &r, &args)) > 0) {
		off = (size_t)next;
		/*
		 * Another reader's: the program always leaves them out, but a
		 * process must never be counted twice, whatever the kernel did.
		 */
		if (ps->share.count > 1 && r.host_tgid % ps->share.count != ps->share.index)
			continue;
		out->tasks++;
		if (!r.is_leader) {
			err = add_thread(ps, &r);
			if (err)
				return err;
			continue;
		}
		if (out->n == ps->cap &&
		    util__grow(&out->procs, &ps->cap, sizeof(*out->procs), 1024, UTIL_NO_MAX))
			return -ENOMEM;
		err = entry_from_rec(&r, args, ps->page_size, &out->procs[out->n], out);
		if (err)
			return err;
		out->n++;
		if (out->n > 1 && out->procs[out->n - 2].pid >= out->procs[out->n - 1].pid)
			ps->sorted = false;
	}
	return next < 0 ? next : (ssize_t)off;
}

/* Sorted by pid, every thread's CPU in its process's. */
static void parse_end(struct snap_parse *ps)
{
	struct ps_snapshot *out = ps->out;

	/* The iterator walks tids in order, so this is a check more than a sort. */
	if (!ps->sorted)
		qsort(out->procs, out->n, sizeof(*out->procs), by_pid);
	for (size_t i = 0; i < ps->nstrays; i++) {
		struct ps_entry *p = (struct ps_entry *)snapshot__find(out, ps->strays[i].tgid);

		if (p)
			p->cpu_ns += ps->strays[i].cpu_ns;
	}
	free(ps->strays);
	ps->strays = NULL;
}

int snapshot__from_stream(const void *stream, size_t len, __u64 page_size,
			  struct ps_snapshot *out)
{
	struct snap_parse ps;
	ssize_t n;

	parse_begin(&ps, out, page_size);
	n = parse_feed(&ps, stream, len);
	if (n >= 0 && (size_t)n != len)
		n = -EPROTO; /* cut */
	parse_end(&ps);
	if (n < 0) {
		snapshot__free(out);
		return (int)n;
	}
	return 0;
}

int snapshot__from_records(const struct jt_task_rec *recs, size_t n, __u64 page_size,
			   struct ps_snapshot *out)
{
	return snapshot__from_stream(recs, n * sizeof(*recs), page_size, out);
}

/*
 * A ps entry from a /proc walk entry. The uid is the real one, as the
 * iterator reports it: (1) of status's Uid line. -ESRCH when the process
 * went away between its stat and its status.
 */
static int entry_from_walk(int proc_fd, const struct proc_walk_entry *e, long ticks,
			   struct ps_entry *p)
{
	size_t len = e->comm_len < sizeof(p->comm) - 1 ? e->comm_len : sizeof(p->comm) - 1;
	struct proc_status st;
	int err;

	memset(p, 0, sizeof(*p));
	p->pid = e->pid;
	p->ppid = e->ppid;
	p->state = e->state;
	p->threads = e->num_threads;
	p->cpu_ns = e->cpu_ns;
	p->rss_bytes = e->rss_bytes;
	p->vm_bytes = e->vm_bytes;
	/* (22) starttime is in clock ticks since boot. */
	p->start_boot_ns = e->starttime_ticks * (1000000000ULL / (unsigned long long)ticks);
	memcpy(p->comm, e->comm, len);
	p->comm[len] = '\0';
	/* (9) flags: the kernel's own mark, not a guess from the parent. */
	p->kthread = !!(e->flags & PROC_PF_KTHREAD);
	err = proc_pid__read_status(proc_fd, e->pid, &st);
	if (err == -ESRCH)
		return err;
	/* Unreadable or odd: the rest of the entry is still good. */
	p->uid = err ? PS_UID_UNKNOWN : st.uid_real;
	p->ns_pid = err ? 0 : st.ns_pid;
	return 0;
}

bool snapshot__proc_is_ours(int proc_fd)
{
	char self[32], want[32];
	ssize_t n;

	n = readlinkat(proc_fd, "self", self, sizeof(self) - 1);
	if (n < 0)
		return false;
	self[n] = '\0';
	snprintf(want, sizeof(want), "%d", (int)getpid());
	return !strcmp(self, want);
}

/*
 * Whether the pids under @proc_fd are the initial namespace's: its "self" is
 * us and we are in the initial pid namespace (PROC_PID_INIT_INO, fixed since
 * 3.8). Elsewhere, a container's /proc or a copied tree, the host's pids
 * cannot be known from /proc.
 */
static bool proc_has_host_pids(int proc_fd)
{
	char ns[64];
	ssize_t n;

	if (!snapshot__proc_is_ours(proc_fd))
		return false;
	n = readlinkat(proc_fd, "self/ns/pid", ns, sizeof(ns) - 1);
	if (n < 0)
		return false;
	ns[n] = '\0';
	return !strcmp(ns, "pid:[4026531836]");
}

int snapshot__from_proc(int proc_fd, struct ps_snapshot *out)
{
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	__u64 start = util__now_ns();
	struct proc_walk *w = NULL;
	size_t n = 0;
	bool host;
	int err;

	memset(out, 0, sizeof(*out));
	err = proc_walk__snapshot(proc_fd, ticks, page, &w);
	if (err)
		return err;
	out->procs = calloc(w->n ? w->n : 1, sizeof(*out->procs));
	if (!out->procs) {
		proc_walk__free(w);
		return -ENOMEM;
	}
	out->vanished = w->vanished;
	out->unreadable = w->unreadable;
	host = proc_has_host_pids(proc_fd);
	for (size_t i = 0; i < w->n; i++) {
		if (entry_from_walk(proc_fd, &w->entries[i], ticks, &out->procs[n])) {
			out->vanished++;
			continue;
		}
		if (host)
			out->procs[n].host_pid = out->procs[n].pid;
		out->procs[n].from_proc = true;
		n++;
	}
	out->n = n;
	out->tasks = n;
	out->source = "proc";
	proc_walk__free(w);
	out->read_ns = util__now_ns() - start;
	return 0;
}

/*
 * @pid read from /proc and added past the sorted head of @s, unless it is
 * gone, or born at or after @before_boot_ns (the iterator could not have
 * seen it). 0 whether or not it was added; a negative errno only where @s
 * cannot grow.
 */
static int fill_one(struct ps_snapshot *s, size_t *cap, int proc_fd, int pid, bool host,
		    __u64 before_boot_ns)
{
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct proc_walk_entry e;
	struct ps_entry p;
	int err;

	err = proc_walk__read_entry(proc_fd, pid, ticks, page, &e);
	if (!err)
		err = entry_from_walk(proc_fd, &e, ticks, &p);
	if (err == -ESRCH)
		return 0; /* gone since: it would not be in either source now */
	if (err) {
		s->missing_from_proc++;
		return 0;
	}
	/* Born after the iterator ran: not a process it failed to see. */
	if (p.start_boot_ns >= before_boot_ns)
		return 0;
	if (s->n == *cap) {
		err = util__grow(&s->procs, cap, sizeof(*s->procs), 16, UTIL_NO_MAX);
		if (err)
			return err;
	}
	p.from_proc = true;
	if (host)
		p.host_pid = p.pid;
	s->procs[s->n++] = p;
	s->filled_from_proc++;
	return 0;
}

/*
 * Whether the kernel counts as many tasks as @s holds: the iterator's
 * records and the threads of each process read from /proc besides.
 * /proc/loadavg's total is every task of the host (nr_threads), read after
 * the iterator: a fork or an exit in between makes them differ, and the
 * caller then walks /proc, as it would have anyway. With @before, the same
 * line read just before the iterator, they must also show that no task
 * began (last_pid: every task takes a pid of the initial namespace) and
 * none ended meanwhile: otherwise births and exits could add up to exactly
 * a process the iterator did not show. In a nested pid namespace the
 * iterator sees fewer than the host's total: never equal.
 */
static bool counts_agree(struct ps_snapshot *s, int proc_fd, const struct loadavg *before)
{
	struct loadavg load;
	size_t tasks = s->tasks;

	if (loadavg__read(proc_fd, &load))
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (s->procs[i].from_proc)
			tasks += s->procs[i].threads ? s->procs[i].threads : 1;
	s->kernel_tasks = load.nr_threads;
	if (before && (before->nr_threads != load.nr_threads || before->last_pid != load.last_pid))
		return false;
	return tasks == load.nr_threads;
}

int snapshot__fill_from_proc(struct ps_snapshot *s, int proc_fd, __u64 before_boot_ns)
{
	return snapshot__fill_from_proc_since(s, proc_fd, before_boot_ns, NULL);
}

int snapshot__fill_from_proc_since(struct ps_snapshot *s, int proc_fd, __u64 before_boot_ns,
				   const struct loadavg *before)
{
	size_t npids, cap = s->n, head = s->n;
	bool host;
	int *pids, err = 0;

	host = proc_has_host_pids(proc_fd);
	/*
	 * Some kernels never show pid 1 to a task iterator, whatever it
	 * asks (6.18 here: a task_iter_hides() of its own hides all of
	 * process 1's threads, even from an iterator of that one tid). Read
	 * alone, it is an open or two; then the task counts say whether
	 * anything else is missing, and a walk of all of /proc (a fifth of a
	 * ps --json at 5,000 processes) is needed only when they differ.
	 */
	if (!snapshot__find(s, 1)) {
		err = fill_one(s, &cap, proc_fd, 1, host, before_boot_ns);
		if (err)
			return err;
	}
	if (counts_agree(s, proc_fd, before))
		goto sort;
	s->walked_proc = true;
	err = proc_walk__pids(proc_fd, &pids, &npids);
	if (err)
		goto sort; /* pid 1, if read, still goes to its place */
	/*
	 * /proc lists pids in ascending order, as the iterator's entries are
	 * (and stay: entries are appended past @head): one merge-like pass
	 * over both, not a binary search of 5,000 scattered entries a pid
	 * (perf: most of this function's time when it walks).
	 */
	for (size_t i = 0, j = 0; i < npids; i++) {
		if (i && pids[i] < pids[i - 1])
			j = 0; /* out of order after all: from the start again */
		while (j < head && s->procs[j].pid < pids[i])
			j++;
		if (j < head && s->procs[j].pid == pids[i])
			continue;
		/* Pid 1, read above, is appended past @head too. */
		if (pids[i] == 1 && s->n > head && s->procs[head].pid == 1)
			continue;
		err = fill_one(s, &cap, proc_fd, pids[i], host, before_boot_ns);
		if (err)
			break;
	}
	free(pids);
sort:
	/*
	 * Usually one entry came (pid 1): moved to its place, not a qsort
	 * of 5,000 entries of 150 bytes.
	 */
	if (s->n == head + 1) {
		struct ps_entry p = s->procs[head];
		size_t at = head;

		while (at && s->procs[at - 1].pid > p.pid)
			at--;
		memmove(&s->procs[at + 1], &s->procs[at], (head - at) * sizeof(p));
		s->procs[at] = p;
	} else if (s->n > head) {
		qsort(s->procs, s->n, sizeof(*s->procs), by_pid);
	}
	return err;
}

/*
 * The pin's name carries a digest of the BPF object (the build's, made with
 * the skeleton), so a pin left by another build of jobtrace is never read
 * as ours; and which program it is: "args" for the iterator that copies
 * arguments.
 */
static void pin_path(char *buf, size_t size, bool args)
{
	snprintf(buf, size, "%s/%s%s%s", PIN_DIR, PIN_PREFIX, args ? "args-" : "",
		 JT_SKEL_DIGEST_snapshot);
}

static int ensure_pin_dir(void)
{
	struct statfs st;

	if (statfs(BPFFS, &st) || st.f_type != (typeof(st.f_type))BPF_FS_MAGIC) {
		if (mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
			return -errno;
	}
	if (mkdir(PIN_DIR, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Removes pins of other builds (another hash): they would only ever be dead weight. */
static void remove_stale_pins(const char *keep)
{
	const char *hash = strrchr(keep, '-') + 1;
	char path[512];
	struct dirent *de;
	DIR *d = opendir(PIN_DIR);

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *h = strrchr(de->d_name, '-');

		if (strncmp(de->d_name, PIN_PREFIX, strlen(PIN_PREFIX)) || !h ||
		    !strcmp(h + 1, hash))
			continue;
		snprintf(path, sizeof(path), "%s/%s", PIN_DIR, de->d_name);
		unlink(path);
	}
	closedir(d);
}

/*
 * Whether the kernel runs dump_task_args: sleepable iterators and
 * bpf_copy_from_user_task() came together in 5.18, and the helper's
 * function is in the kernel's BTF from then on. @rdonly_cast: whether it
 * has bpf_rdonly_cast() (6.2), which the programs read tasks through.
 */
static bool kernel_copies_args(bool *rdonly_cast)
{
	struct kernel_btf vmlinux;
	bool has;

	*rdonly_cast = false;
	if (getenv("JOBTRACE_BPF_COMPAT") || kernel_btf__open(&vmlinux, "/sys/kernel/btf/vmlinux"))
		return false;
	has = kernel_btf__find(&vmlinux, "bpf_copy_from_user_task", BTF_KIND_FUNC) > 0;
	*rdonly_cast = kernel_btf__find(&vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	kernel_btf__close(&vmlinux);
	return has;
}

/*
 * The snapshot programs as built for kernels without bpf_rdonly_cast()
 * (before 6.2; bpf/core_fixes.bpf.h): the same maps and programs, so the
 * one skeleton drives either object.
 */
static struct snapshot_bpf *snapshot_open(bool rdonly_cast)
{
	struct snapshot_bpf *obj;
	int err;

	if (rdonly_cast)
		return snapshot_bpf__open();
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return NULL;
	err = snapshot_bpf__create_skeleton(obj);
	if (!err) {
		obj->skeleton->data =
			(void *)snapshot_compat_bpf__elf_bytes(&obj->skeleton->data_sz);
		err = bpf_object__open_skeleton(obj->skeleton, NULL);
	}
	if (err) {
		snapshot_bpf__destroy(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}

struct snapshot_iter *snapshot_iter__open(bool verbose, bool use_pin, bool args)
{
	struct snapshot_iter *it = calloc(1, sizeof(*it));
	struct bpf_program *prog;
	bool rdonly_cast;
	char path[512];
	int err;

	if (!it)
		return NULL;
	loader__log_init(verbose);
	it->link_fd = -1;
	it->readers_fd = -1;
	/* A pinned args iterator says by itself that the kernel runs it. */
	if (args && use_pin && !getenv("JOBTRACE_BPF_COMPAT")) {
		pin_path(path, sizeof(path), true);
		it->link_fd = bpf_obj_get(path);
		if (it->link_fd >= 0) {
			it->args = true;
			pool_start(it);
			return it;
		}
	}
	/*
	 * Without arguments asked for, a pinned plain iterator answers before
	 * the kernel's BTF is parsed at all (a fifth of a text ps): the parse
	 * only tells what to load.
	 */
	if (use_pin && !args) {
		pin_path(path, sizeof(path), false);
		it->link_fd = bpf_obj_get(path);
		if (it->link_fd >= 0)
			return it;
	}
	it->args = kernel_copies_args(&rdonly_cast) && args;
retry_plain:
	pin_path(path, sizeof(path), it->args);
	if (use_pin && !it->args && args) {
		/* Loading costs a parse of the kernel's BTF; a pinned iterator does not. */
		it->link_fd = bpf_obj_get(path);
		if (it->link_fd >= 0)
			return it;
	}
	it->skel = snapshot_open(rdonly_cast);
	if (!it->skel) {
		err = -errno;
		goto err_free;
	}
	prog = it->args ? it->skel->progs.dump_task_args : it->skel->progs.dump_task;
	/* One program loaded: the other would fail to on a kernel without iter.s. */
	bpf_program__set_autoload(it->skel->progs.dump_task, prog == it->skel->progs.dump_task);
	bpf_program__set_autoload(it->skel->progs.dump_task_args,
				  prog == it->skel->progs.dump_task_args);
	/*
	 * The plain iterator never touches the scratch: one slot, not sixteen;
	 * nor the readers' shares, a map older kernels (before 5.11) lack.
	 */
	if (!it->args) {
		bpf_map__set_max_entries(it->skel->maps.args_slots, 1);
		bpf_map__set_autocreate(it->skel->maps.readers, false);
	}
	err = snapshot_bpf__load(it->skel);
	if (!err) {
		it->link = bpf_program__attach_iter(prog, NULL);
		err = it->link ? 0 : -errno;
	}
	if (err && it->args) {
		/*
		 * A kernel whose BTF has the helper but whose verifier refuses
		 * the sleepable program (a backport, a locked-down LSM): the
		 * plain iterator, and the command lines from /proc.
		 */
		if (verbose)
			fprintf(stderr, "jobtrace: the task iterator with arguments cannot load "
					"(%s): the plain one instead\n", strerror(-err));
		bpf_link__destroy(it->link);
		it->link = NULL;
		snapshot_bpf__destroy(it->skel);
		it->skel = NULL;
		it->args = false;
		goto retry_plain;
	}
	if (err)
		goto err_free;
	it->link_fd = bpf_link__fd(it->link);
	if (use_pin) {
		err = ensure_pin_dir();
		if (!err) {
			remove_stale_pins(path);
			err = bpf_link__pin(it->link, path);
		}
		if (err && verbose)
			fprintf(stderr, "jobtrace: cannot pin the task iterator at %s (%s): the "
					"next run loads it again\n", path, strerror(-err));
	}
	pool_start(it);
	return it;

err_free:
	if (verbose)
		fprintf(stderr, "jobtrace: the task iterator cannot load (%s): reading /proc instead\n",
			strerror(-err));
	snapshot_iter__free(it);
	errno = -err;
	return NULL;
}

bool snapshot_iter__has_args(const struct snapshot_iter *it)
{
	return it->args;
}

void snapshot_iter__free(struct snapshot_iter *it)
{
	if (!it)
		return;
	pool_free(it->pool);
	if (it->skel) {
		bpf_link__destroy(it->link);
		snapshot_bpf__destroy(it->skel);
	} else {
		if (it->link_fd >= 0)
			close(it->link_fd);
		if (it->readers_fd >= 0)
			close(it->readers_fd);
	}
	free(it->buf);
	free(it);
}

/*
 * The read buffer: a few of the iterator's own (8 pages a read()) and at
 * least one record with the most arguments. Reused for every read, so the
 * records are parsed while in the cache, and the 5,000 processes of a ps
 * --json (800 KB) never fault a buffer of their size in page by page.
 */
#define ITER_BUF_BYTES (128 * 1024)
_Static_assert(ITER_BUF_BYTES >= 2 * JT_TASK_REC_NEXT(JT_ARGS_MAX), "a record fits");

/*
 * One reader's pass: the records of @share (every task where count is 1)
 * parsed into @out as they are read, through @buf (ITER_BUF_BYTES).
 */
static int read_pass(int link_fd, char *buf, const struct jt_iter_share *share,
		     struct ps_snapshot *out)
{
	struct snap_parse ps;
	size_t len = 0;
	ssize_t n;
	int fd, err = 0;

	memset(out, 0, sizeof(*out));
	fd = bpf_iter_create(link_fd);
	if (fd < 0)
		return -errno;
	parse_begin(&ps, out, (__u64)sysconf(_SC_PAGESIZE));
	ps.share = *share;
	for (;;) {
		n = read(fd, buf + len, ITER_BUF_BYTES - len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			break;
		}
		if (n == 0) {
			if (len)
				err = -EPROTO; /* the pass ended inside a record */
			break;
		}
		len += (size_t)n;
		n = parse_feed(&ps, buf, len);
		if (n < 0) {
			err = (int)n;
			break;
		}
		/* A record cut by the end of this read: its start goes first. */
		memmove(buf, buf + n, len - (size_t)n);
		len -= (size_t)n;
	}
	close(fd);
	parse_end(&ps);
	if (err)
		snapshot__free(out);
	return err;
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* 6.9: a pidfd of a thread, not of its process */
#endif

/*
 * @share stored for the calling thread in the `readers` map at @map_fd:
 * the program gives this thread only its share's records from then on.
 * *@pidfd, the key, for share_clear(). -EINVAL before 6.9 (no pidfd of a
 * thread).
 */
static int share_set(int map_fd, const struct jt_iter_share *share, int *pidfd)
{
	int fd, err;

	fd = (int)syscall(SYS_pidfd_open, gettid(), PIDFD_THREAD);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(map_fd, &fd, share, BPF_ANY)) {
		err = -errno;
		close(fd);
		return err;
	}
	*pidfd = fd;
	return 0;
}

/* The thread of @pidfd a reader of every task again. */
static void share_clear(int map_fd, int pidfd)
{
	bpf_map_delete_elem(map_fd, &pidfd);
	close(pidfd);
}

/*
 * The `readers` map of the program behind @link_fd (a pinned iterator's:
 * the link leads to the program and the program to its maps), so that the
 * shares are the program's own, never a map pinned beside it by another
 * load. A negative errno where it has none.
 */
static int readers_of_link(int link_fd)
{
	struct bpf_link_info link = {};
	struct bpf_prog_info prog = {};
	__u32 ids[8], len = sizeof(link);
	int prog_fd, fd, err = -ENOENT;

	if (bpf_obj_get_info_by_fd(link_fd, &link, &len))
		return -errno;
	prog_fd = bpf_prog_get_fd_by_id(link.prog_id);
	if (prog_fd < 0)
		return -errno;
	prog.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	prog.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(prog);
	if (bpf_obj_get_info_by_fd(prog_fd, &prog, &len))
		err = -errno;
	close(prog_fd);
	for (__u32 i = 0; err == -ENOENT && i < prog.nr_map_ids && i < 8; i++) {
		struct bpf_map_info map = {};

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		len = sizeof(map);
		if (!bpf_obj_get_info_by_fd(fd, &map, &len) &&
		    map.type == BPF_MAP_TYPE_TASK_STORAGE && !strcmp(map.name, "readers"))
			return fd;
		close(fd);
	}
	return err;
}

/* Where shares cannot be set: one reader from now on. */
static void no_shares(struct snapshot_iter *it)
{
	if (!it->skel && it->readers_fd >= 0)
		close(it->readers_fd);
	it->readers_fd = -2;
}

/* How many readers a pass of @it takes: one a CPU we may run on, 1 without shares. */
static unsigned int readers_for(struct snapshot_iter *it)
{
	unsigned int n = JT_ITER_MAX_READERS;
	cpu_set_t cpus;
	int fd;

	if (!it->args)
		return 1;
	if (!sched_getaffinity(0, sizeof(cpus), &cpus) && (unsigned int)CPU_COUNT(&cpus) < n)
		n = (unsigned int)CPU_COUNT(&cpus);
	if (it->max_readers && it->max_readers < n)
		n = it->max_readers;
	if (n < 2)
		return 1;
	if (it->readers_fd == -1) {
		fd = it->skel ? bpf_map__fd(it->skel->maps.readers) : readers_of_link(it->link_fd);
		it->readers_fd = fd >= 0 ? fd : -2;
	}
	return it->readers_fd >= 0 ? n : 1;
}

/* A reader of a pass and what it read. */
struct iter_reader {
	struct iter_pool *pool;
	struct jt_iter_share share;
	char *buf;
	struct ps_snapshot snap;
	int err;
	int claim; /* who reads the share this pass: CLAIM_FREE, CLAIM_THREAD, CLAIM_CALLER */
	bool done; /* read by its thread this pass (err says how) */
	bool started; /* its thread runs */
	pthread_t thread;
};

/*
 * A share is read by whichever takes it first: its thread when it wakes,
 * or the caller once done with its own, where that thread has not begun
 * (its CPU busy with another task). Waiting for a thread the scheduler had
 * not run made a shared pass slower than one reader on a loaded host.
 */
enum { CLAIM_FREE, CLAIM_THREAD, CLAIM_CALLER };

static bool claim(struct iter_reader *r, int who)
{
	int free_ = CLAIM_FREE;

	return __atomic_compare_exchange_n(&r->claim, &free_, who, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/*
 * The threads that read the other shares of a pass beside the caller,
 * started with the iterator and kept until it is freed: started at each
 * pass, their clone()s would take pids between ps's two reads of the
 * kernel's task count (which then never agree: a walk of all /proc), and
 * a new thread took a millisecond to get a CPU of its own.
 */
struct iter_pool {
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	unsigned int pass; /* bumped for each pass */
	unsigned int finished; /* shares read by threads this pass */
	unsigned int ready; /* threads past their start, waiting for a pass */
	bool stop;
	unsigned int n; /* readers, the caller's share 0 included */
	int link_fd, readers_fd;
	cpu_set_t allowed; /* the CPUs this process may run on */
	int cpu[JT_ITER_MAX_READERS]; /* each reader's this pass; -1: wherever */
	struct iter_reader r[JT_ITER_MAX_READERS];
};

/*
 * The calling thread kept on @cpu (>= 0). A sleepable iterator's program
 * runs with migration disabled, and runs most of a pass: two readers woken
 * on one CPU stayed there, taking turns, as slow as one (12 ms against 6).
 */
static void pin_to(int cpu)
{
	cpu_set_t one;

	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one); /* else where the kernel puts it */
}

/*
 * This pass's CPUs: the caller's where it runs now, so that it does not
 * move, and for each other reader one of the others it may run on.
 */
static void pick_cpus(struct iter_pool *pool)
{
	int here = sched_getcpu(), c = 0;

	pool->cpu[0] = here;
	for (unsigned int k = 1; k < pool->n; k++) {
		while (c < CPU_SETSIZE && (!CPU_ISSET(c, &pool->allowed) || c == here))
			c++;
		pool->cpu[k] = c < CPU_SETSIZE ? c++ : -1;
	}
	if (here < 0 || !CPU_ISSET(here, &pool->allowed))
		pool->cpu[0] = -1;
}

static void *reader_thread(void *arg)
{
	struct iter_reader *r = arg;
	struct iter_pool *pool = r->pool;
	unsigned int seen = 0;
	int pidfd = -1;
	bool shared = !share_set(pool->readers_fd, &r->share, &pidfd);

	pthread_mutex_lock(&pool->lock);
	pool->ready++;
	pthread_cond_signal(&pool->done);
	for (;;) {
		while (!pool->stop && pool->pass == seen)
			pthread_cond_wait(&pool->go, &pool->lock);
		if (pool->stop)
			break;
		seen = pool->pass;
		pthread_mutex_unlock(&pool->lock);
		/* Without its share set, it would read every task: the caller reads the share. */
		if (!shared || !claim(r, CLAIM_THREAD)) {
			pthread_mutex_lock(&pool->lock);
			continue;
		}
		pin_to(pool->cpu[r->share.index]);
		r->err = read_pass(pool->link_fd, r->buf, &r->share, &r->snap);
		/* Free to run anywhere between passes, and to stop when told. */
		if (pool->cpu[r->share.index] >= 0)
			sched_setaffinity(0, sizeof(pool->allowed), &pool->allowed);
		pthread_mutex_lock(&pool->lock);
		r->done = true;
		pool->finished++;
		pthread_cond_signal(&pool->done);
	}
	pthread_mutex_unlock(&pool->lock);
	if (pidfd >= 0)
		share_clear(pool->readers_fd, pidfd);
	return NULL;
}

static void pool_free(struct iter_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = true;
	pthread_cond_broadcast(&pool->go);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned int k = 1; k < pool->n; k++)
		if (pool->r[k].started)
			pthread_join(pool->r[k].thread, NULL);
	pthread_cond_destroy(&pool->go);
	pthread_cond_destroy(&pool->done);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

/*
 * @it's readers, where a pass takes several (readers_for) and this kernel
 * lets a thread be given a share (tried here, on the calling thread).
 * Without them (it->pool NULL), one reader reads every task.
 */
static void pool_start(struct snapshot_iter *it)
{
	struct jt_iter_share probe = { .index = 0, .count = 1 };
	unsigned int n = readers_for(it), started = 0;
	struct iter_pool *pool;
	int pidfd;

	if (n < 2)
		return;
	if (share_set(it->readers_fd, &probe, &pidfd)) {
		no_shares(it);
		return;
	}
	share_clear(it->readers_fd, pidfd);
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return;
	if (!it->buf)
		it->buf = malloc((size_t)JT_ITER_MAX_READERS * ITER_BUF_BYTES);
	if (!it->buf) {
		free(pool);
		return;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->go, NULL);
	pthread_cond_init(&pool->done, NULL);
	pool->n = n;
	if (sched_getaffinity(0, sizeof(pool->allowed), &pool->allowed)) {
		CPU_ZERO(&pool->allowed); /* no pinning */
	}
	pool->link_fd = it->link_fd;
	pool->readers_fd = it->readers_fd;
	for (unsigned int k = 0; k < n; k++) {
		struct iter_reader *r = &pool->r[k];

		r->pool = pool;
		r->share = (struct jt_iter_share){ .index = k, .count = n };
		r->buf = it->buf + (size_t)k * ITER_BUF_BYTES;
		/* One that cannot start: its share is the caller's to read. */
		if (k)
			r->started = !pthread_create(&r->thread, NULL, reader_thread, r);
	}
	/*
	 * Back once every thread waits for a pass: one still starting is a
	 * task running when ps reads /proc/loadavg, which then said no CPU
	 * was free and the pass was never shared.
	 */
	pthread_mutex_lock(&pool->lock);
	for (unsigned int k = 1; k < n; k++)
		started += pool->r[k].started;
	while (pool->ready < started)
		pthread_cond_wait(&pool->done, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
	it->pool = pool;
}

/*
 * The readers' snapshots, each sorted by pid, merged into @out; each
 * process is in one share alone. The merge runs backwards, the highest pid
 * first, into share 0's array grown to hold them all: a place it fills is
 * past every entry of share 0 not yet taken, so no second array is needed
 * (5,000 entries are 800 KB of fresh pages to fault in). Entries move,
 * command lines with them; the other readers' arrays are freed.
 */
static int merge_shares(struct iter_reader *r, unsigned int n, struct ps_snapshot *out)
{
	size_t left[JT_ITER_MAX_READERS], total = 0;
	struct ps_entry *procs;

	for (unsigned int k = 0; k < n; k++) {
		left[k] = r[k].snap.n;
		total += left[k];
	}
	procs = realloc(r[0].snap.procs, (total ? total : 1) * sizeof(*procs));
	if (!procs)
		return -ENOMEM;
	r[0].snap.procs = procs;
	for (size_t i = total; i-- > 0;) {
		const struct ps_entry *from = NULL;
		unsigned int best = n;

		for (unsigned int k = 0; k < n; k++) {
			const struct ps_entry *p;

			if (!left[k])
				continue;
			p = k ? &r[k].snap.procs[left[k] - 1] : &procs[left[0] - 1];
			if (!from || p->pid > from->pid) {
				from = p;
				best = k;
			}
		}
		left[best]--;
		if (from != &procs[i])
			procs[i] = *from;
	}
	memset(out, 0, sizeof(*out));
	out->procs = procs;
	out->n = total;
	for (unsigned int k = 0; k < n; k++) {
		out->tasks += r[k].snap.tasks;
		out->args_iterated += r[k].snap.args_iterated;
		out->args_left += r[k].snap.args_left;
		if (k)
			free(r[k].snap.procs);
		r[k].snap.procs = NULL;
		r[k].snap.n = 0;
	}
	return 0;
}

/*
 * A pass by the pool: the caller reads share 0, and any share whose thread
 * did not start or could not be given it; the threads the others. 1 where
 * the caller's share cannot be set (it then reads every task alone), else
 * 0 or a negative errno.
 */
static int read_shared(struct iter_pool *pool, struct ps_snapshot *out)
{
	struct iter_reader *r = pool->r;
	unsigned int n = pool->n, taken = 0;
	int pidfd, err = 0;

	if (share_set(pool->readers_fd, &r[0].share, &pidfd))
		return 1;
	pick_cpus(pool);
	pin_to(pool->cpu[0]);
	pthread_mutex_lock(&pool->lock);
	pool->pass++;
	pool->finished = 0;
	for (unsigned int k = 1; k < n; k++) {
		r[k].done = false;
		r[k].claim = CLAIM_FREE;
	}
	pthread_cond_broadcast(&pool->go);
	pthread_mutex_unlock(&pool->lock);
	r[0].err = read_pass(pool->link_fd, r[0].buf, &r[0].share, &r[0].snap);
	/*
	 * The shares no thread has begun, read here (its buffer is free
	 * again); then only the threads that took theirs are waited for.
	 */
	for (unsigned int k = 1; k < n; k++) {
		if (!claim(&r[k], CLAIM_CALLER)) {
			taken++;
			continue;
		}
		if (bpf_map_update_elem(pool->readers_fd, &pidfd, &r[k].share, BPF_EXIST))
			err = 1;
		else
			r[k].err = read_pass(pool->link_fd, r[0].buf, &r[k].share, &r[k].snap);
	}
	pthread_mutex_lock(&pool->lock);
	while (pool->finished < taken)
		pthread_cond_wait(&pool->done, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
	if (pool->cpu[0] >= 0)
		sched_setaffinity(0, sizeof(pool->allowed), &pool->allowed);
	/* Each share read once, by its thread or here; else all of it again, alone. */
	for (unsigned int k = 1; k < n; k++)
		if (!r[k].done && r[k].claim != CLAIM_CALLER)
			err = 1;
	share_clear(pool->readers_fd, pidfd);
	for (unsigned int k = 0; k < n && !err; k++)
		err = r[k].err;
	if (!err)
		err = merge_shares(r, n, out);
	for (unsigned int k = 0; k < n; k++) {
		snapshot__free(&r[k].snap);
		r[k].err = 0;
	}
	if (!err)
		out->readers = n;
	return err;
}

/* The CPUs this thread may run on; 1 where that cannot be told. */
static unsigned int cpus_allowed(void)
{
	cpu_set_t cpus;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) || CPU_COUNT(&cpus) < 1)
		return 1;
	return (unsigned int)CPU_COUNT(&cpus);
}

int snapshot_iter__read(struct snapshot_iter *it, struct ps_snapshot *out)
{
	struct jt_iter_share all = { .index = 0, .count = 1 };
	unsigned int cpus = cpus_allowed();
	__u64 start = util__now_ns();
	bool shared;
	int err;

	if (!it->buf) {
		it->buf = malloc(ITER_BUF_BYTES);
		if (!it->buf)
			return -ENOMEM;
	}
	/* Each reader a CPU no other task holds, the caller's included. */
	shared = it->pool && it->others_running + it->pool->n <= cpus;
	err = shared ? read_shared(it->pool, out) : 1;
	if (err == 1) {
		err = read_pass(it->link_fd, it->buf, &all, out);
		out->readers = 1;
	}
	if (err)
		return err;
	out->cpus_busy = it->others_running + 1 >= cpus;
	out->source = "bpf-iter";
	out->read_ns = util__now_ns() - start;
	return 0;
}

void snapshot_iter__others_running(struct snapshot_iter *it, unsigned int n)
{
	it->others_running = n;
}

void snapshot_iter__set_readers(struct snapshot_iter *it, unsigned int n)
{
	it->max_readers = n > JT_ITER_MAX_READERS ? JT_ITER_MAX_READERS : n;
	pool_free(it->pool);
	it->pool = NULL;
	pool_start(it);
}
