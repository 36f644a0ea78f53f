// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process snapshots: the task iterator (bpf/snapshot.bpf.c), or a /proc walk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "jobtrace/kernel_btf.h"
#include "jobtrace/loader.h"
#include "jobtrace/snapshot.h"
#include "jobtrace/util.h"
#include "snapshot.skel.h"
#include "snapshot_compat.skel.h"
#include "snapshot_priv.h"

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

int snapshot__by_pid(const void *a, const void *b)
{
	const struct ps_entry *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

const struct ps_entry *snapshot__find(const struct ps_snapshot *s, pid_t pid)
{
	struct ps_entry key = { .pid = pid };

	return bsearch(&key, s->procs, s->n, sizeof(key), snapshot__by_pid);
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
		qsort(out->procs, out->n, sizeof(*out->procs), snapshot__by_pid);
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
			snapshot_pool__start(it);
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
	snapshot_pool__start(it);
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
	snapshot_pool__free(it->pool);
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

int snapshot__read_pass(int link_fd, char *buf, const struct jt_iter_share *share,
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
	shared = it->pool && it->others_running + snapshot_pool__readers(it->pool) <= cpus;
	err = shared ? snapshot_pool__read(it->pool, out) : 1;
	if (err == 1) {
		err = snapshot__read_pass(it->link_fd, it->buf, &all, out);
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
	snapshot_pool__free(it->pool);
	it->pool = NULL;
	snapshot_pool__start(it);
}
