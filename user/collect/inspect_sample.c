// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What `jobtrace inspect` reads about one process: every /proc source of the
 * pid, each part with its own error, and the syscalls that only apply to a
 * live pid (ioprio_get, getpwuid). The writers are user/out/inspect_out.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/cpuinfo.h"
#include "jobtrace/inspect_proc.h"
#include "jobtrace/meminfo.h"
#include "jobtrace/proc_walk.h"
#include "jobtrace/util.h"

/* A process has at most pid_max threads; this bounds what one inspect reads. */
#define INSPECT_MAX_THREADS (1u << 22)

/* include/uapi/linux/ioprio.h */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_LEVEL_MASK 7

/*
 * comm is cut at 15 bytes; psutil then takes the program's own name from
 * argv[0] when it starts with comm. A kernel thread's comm is never cut so.
 */
static void derive_name(struct inspect_proc *p)
{
	const struct proc_stat_fields *s = &p->stat;
	size_t n = s->comm_len;
	const char *base;

	memcpy(p->name, s->comm, n + 1);
	if (n != 15 || proc_stat__is_kthread(s) || p->cmdline.argc == 0 || p->cmdline.rewritten)
		return;
	base = strrchr(p->cmdline.argv[0], '/');
	base = base ? base + 1 : p->cmdline.argv[0];
	if (strncmp(base, s->comm, n) == 0 && strlen(base) < sizeof(p->name))
		strcpy(p->name, base);
}

static void read_username(struct inspect_proc *p)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	p->username[0] = '\0';
	if (getpwuid_r(p->status.uid_real, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(p->username, sizeof(p->username), "%s", pw.pw_name);
}

/*
 * status once for both its numbers and Cpus_allowed_list, which it carries
 * as text: one read, so the two agree.
 */
static void read_status(int proc_fd, struct inspect_proc *p)
{
	char path[32], *buf;
	const char *val;
	size_t vlen;
	ssize_t n;
	int err;

	p->asked[INSPECT_STATUS] = p->asked[INSPECT_AFFINITY] = true;
	snprintf(path, sizeof(path), "%d/status", p->pid);
	n = util__read_file_alloc(proc_fd, path, 1u << 20, &buf);
	if (n < 0) {
		p->err[INSPECT_STATUS] = p->err[INSPECT_AFFINITY] =
			n == -ENOENT ? -ESRCH : (int)n;
		return;
	}
	p->err[INSPECT_STATUS] = proc_pid__parse_status(buf, (size_t)n, &p->status);
	err = proc_kv__find(buf, (size_t)n, "Cpus_allowed_list", &val, &vlen);
	if (!err)
		err = cpulist__parse(val, vlen, &p->cpus, &p->ncpus);
	else if (err == -ENOENT)
		err = -EOPNOTSUPP; /* before 2.6.26 */
	p->err[INSPECT_AFFINITY] = err;
	free(buf);
}

static int read_ionice(struct inspect_proc *p)
{
	long v = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, p->pid);

	if (v < 0)
		return -errno;
	p->ioprio_class = (int)(v >> IOPRIO_CLASS_SHIFT);
	/* Levels are 0-7; bits 3-12 carry hints since 6.5. */
	p->ioprio_level = (int)(v & IOPRIO_LEVEL_MASK);
	return 0;
}

static int by_tid(const void *a, const void *b)
{
	const struct inspect_thread *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static int by_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return (x > y) - (x < y);
}

static int by_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int read_threads(int proc_fd, struct inspect_proc *p)
{
	char path[32];
	struct dirent *de;
	size_t cap = 0;
	int err = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%d/task", p->pid);
	d = util__opendir_at(proc_fd, path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	for (;;) {
		struct proc_stat_fields st;
		struct inspect_thread *t;
		char *end;
		long tid;

		errno = 0;
		de = readdir(d);
		if (!de) {
			/* proc_task_readdir() says ENOENT once the process is gone. */
			err = errno == ENOENT ? -ESRCH : -errno;
			break;
		}
		tid = strtol(de->d_name, &end, 10);
		if (de->d_name[0] == '.' || *end || tid <= 0 || tid > INT32_MAX)
			continue;
		if (proc_pid__read_task_stat(proc_fd, p->pid, (int)tid, &st))
			continue; /* the thread exited while we looked */
		if (p->nthreads == cap) {
			err = util__grow(&p->threads, &cap, sizeof(*p->threads), 8,
					 INSPECT_MAX_THREADS);
			if (err)
				break;
		}
		t = &p->threads[p->nthreads++];
		t->tid = (int)tid;
		t->state = st.state;
		t->processor = st.processor;
		t->utime_ticks = st.utime_ticks;
		t->stime_ticks = st.stime_ticks;
		memcpy(t->comm, st.comm, sizeof(t->comm));
		t->comm_len = st.comm_len;
	}
	closedir(d);
	if (p->nthreads > 1)
		qsort(p->threads, p->nthreads, sizeof(*p->threads), by_tid);
	return err;
}

/* Appends the pids of one task's "children" file (CONFIG_PROC_CHILDREN). */
static int add_children(int proc_fd, struct inspect_proc *p, int tid, size_t *cap)
{
	char path[64], *buf;
	ssize_t n;
	int err;

	snprintf(path, sizeof(path), "%d/task/%d/children", p->pid, tid);
	n = util__read_file_alloc(proc_fd, path, 64u << 20, &buf);
	if (n < 0)
		return (int)n;
	err = proc_pid__parse_children(buf, &p->children, &p->nchildren, cap);
	free(buf);
	return err;
}

/* Without CONFIG_PROC_CHILDREN: every process whose parent is @pid. */
static int children_by_walk(int proc_fd, struct inspect_proc *p, size_t *cap)
{
	const struct proc_walk_entry *const *kids;
	struct proc_walk *w;
	size_t n;
	int err;

	err = proc_walk__snapshot(proc_fd, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), &w);
	if (err)
		return err;
	kids = proc_walk__children(w, p->pid, &n);
	for (size_t i = 0; i < n && !err; i++) {
		/* A child that started before its parent is a reused pid, not a child. */
		if (kids[i]->starttime_ticks < p->stat.starttime_ticks)
			continue;
		if (p->nchildren == *cap)
			err = util__grow(&p->children, cap, sizeof(*p->children), 8, UTIL_NO_MAX);
		if (!err)
			p->children[p->nchildren++] = kids[i]->pid;
	}
	proc_walk__free(w);
	return err;
}

static int read_children(int proc_fd, struct inspect_proc *p)
{
	size_t cap = 0;
	int err = 0;

	/* Without the thread list there is nothing to ask; say why instead of "none". */
	if (p->err[INSPECT_THREADS])
		return p->err[INSPECT_THREADS];
	for (size_t i = 0; i < p->nthreads && !err; i++) {
		err = add_children(proc_fd, p, p->threads[i].tid, &cap);
		/* The leader's file absent while it lives: no CONFIG_PROC_CHILDREN. */
		if (err == -ENOENT && p->threads[i].tid == p->pid) {
			char path[32];
			struct stat st;

			snprintf(path, sizeof(path), "%d/task/%d", p->pid, p->pid);
			if (fstatat(proc_fd, path, &st, 0))
				return -ESRCH;
			p->nchildren = 0;
			return children_by_walk(proc_fd, p, &cap);
		}
		if (err == -ENOENT || err == -ESRCH)
			err = 0; /* that thread exited */
	}
	if (p->nchildren > 1)
		qsort(p->children, p->nchildren, sizeof(*p->children), by_int);
	return err;
}

/* The sockets among the open fds, looked up in the process's own network namespace. */
static int read_conns(int proc_fd, struct inspect_proc *p)
{
	__u64 *inodes = NULL;
	size_t n = 0;
	char path[32];
	int net_fd, err;

	for (size_t i = 0; i < p->fds.n; i++)
		n += p->fds.v[i].kind == PROC_FD_SOCKET;
	if (!n)
		return 0;
	inodes = malloc(n * sizeof(*inodes));
	if (!inodes)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < p->fds.n; i++) {
		if (p->fds.v[i].kind == PROC_FD_SOCKET)
			inodes[n++] = p->fds.v[i].inode;
	}
	if (n > 1)
		qsort(inodes, n, sizeof(*inodes), by_u64);
	snprintf(path, sizeof(path), "%d/net", p->pid);
	net_fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (net_fd < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
	} else {
		err = netsock__read_conns(net_fd, inodes, n, &p->conns);
		close(net_fd);
	}
	free(inodes);
	return err;
}

static unsigned long long proc_cpu_ticks(const struct proc_stat_fields *s)
{
	return s->utime_ticks + s->stime_ticks;
}

/* CPU used over o->interval_ms, in % of one CPU, from two reads of stat. */
static int measure_cpu(int proc_fd, struct inspect_proc *p, const struct inspect_options *o)
{
	struct timespec ts = { o->interval_ms / 1000, (long)(o->interval_ms % 1000) * 1000000 };
	struct proc_stat_fields now;
	unsigned long long t0, t1;
	int err;

	t0 = util__now_ns();
	p->stat.nfields = 0;
	err = proc_pid__read_stat(proc_fd, p->pid, &p->stat);
	if (err)
		return err;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	err = proc_pid__read_stat(proc_fd, p->pid, &now);
	t1 = util__now_ns();
	if (err)
		return err;
	/* Same pid, another process: the first one exited meanwhile. */
	if (now.starttime_ticks != p->stat.starttime_ticks)
		return -ESRCH;
	p->cpu_percent = 100.0 * (double)(proc_cpu_ticks(&now) - proc_cpu_ticks(&p->stat)) /
			 (double)o->ticks_per_sec / ((double)(t1 - t0) / 1e9);
	/*
	 * Ticks are 1/CLK_TCK s each (10 ms): over a short interval one more
	 * tick read in the second sample made a rate no process can have (a
	 * busy thread at 588% over -i 0.001). No more than its threads, or
	 * the CPUs, can give; at best a tick's resolution over the interval.
	 */
	{
		long online = sysconf(_SC_NPROCESSORS_ONLN);
		int64_t threads = now.num_threads > p->stat.num_threads ? now.num_threads :
									  p->stat.num_threads;
		double most = 100.0 * (double)(threads > 0 ? threads : 1);

		if (online > 0 && most > 100.0 * (double)online)
			most = 100.0 * (double)online;
		if (p->cpu_percent > most)
			p->cpu_percent = most;
	}
	p->stat = now;
	return 0;
}

/*
 * A part that said ESRCH may mean the process exited while we read it, and
 * then the parts read before describe a process that is no more, or the pid
 * now names another: answer -ESRCH for the whole, as psutil's oneshot does.
 * A zombie says ESRCH for its fds and stays: its stat is unchanged.
 */
static int still_there(int proc_fd, const struct inspect_proc *p)
{
	struct proc_stat_fields now;
	bool suspect = p->fds.vanished > 0;
	int err;

	for (int i = 0; i < INSPECT_PARTS; i++)
		suspect |= p->asked[i] && p->err[i] == -ESRCH;
	if (!suspect)
		return 0;
	err = proc_pid__read_stat(proc_fd, p->pid, &now);
	if (err)
		return err;
	return now.starttime_ticks == p->stat.starttime_ticks ? 0 : -ESRCH;
}

void inspect__read_host(int proc_fd, struct inspect_options *o)
{
	struct meminfo mi;
	char buf[16384];
	ssize_t n;

	o->ticks_per_sec = sysconf(_SC_CLK_TCK);
	o->page_size = sysconf(_SC_PAGESIZE);
	o->boot_epoch_ns = util__realtime_ns() - util__boottime_ns();
	/* MemTotal is all the memory percent needs: not vmstat or zoneinfo too. */
	n = util__read_file_at(proc_fd, "meminfo", buf, sizeof(buf));
	if (n > 0 && !meminfo__parse(buf, (size_t)n, &mi))
		o->mem_total_bytes = mi.total_bytes;
}

#define PART(p, part, call)                      \
	do {                                     \
		(p)->asked[part] = true;         \
		(p)->err[part] = (call);         \
	} while (0)

int inspect__collect(int proc_fd, int pid, const struct inspect_options *o,
		     struct inspect_proc *p)
{
	bool has_mm;
	int err;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	if (o->interval_ms) {
		err = measure_cpu(proc_fd, p, o);
		p->asked[INSPECT_CPU_PERCENT] = true;
		if (err)
			return err;
	} else {
		err = proc_pid__read_stat(proc_fd, pid, &p->stat);
		if (err)
			return err;
	}
	/* A kernel thread or a zombie has no memory map: nothing to ask smaps. */
	has_mm = !proc_stat__is_kthread(&p->stat) && p->stat.state != 'Z' &&
		 p->stat.state != 'X';
	read_status(proc_fd, p);
	PART(p, INSPECT_STATM, proc_pid__read_statm(proc_fd, pid, &p->statm));
	if (has_mm)
		PART(p, INSPECT_SMAPS, proc_pid__read_smaps_rollup(proc_fd, pid, &p->smaps));
	PART(p, INSPECT_IO, proc_pid__read_io(proc_fd, pid, &p->io));
	PART(p, INSPECT_EXE, proc_pid__read_exe(proc_fd, pid, &p->exe));
	PART(p, INSPECT_CWD, proc_pid__read_cwd(proc_fd, pid, &p->cwd));
	PART(p, INSPECT_CMDLINE, proc_pid__read_cmdline(proc_fd, pid, &p->cmdline));
	if (o->environ)
		PART(p, INSPECT_ENVIRON, proc_pid__read_environ(proc_fd, pid, &p->environ));
	PART(p, INSPECT_CGROUP, proc_pid__read_cgroup(proc_fd, pid, &p->cgroup));
	PART(p, INSPECT_LIMITS, proc_limits__read(proc_fd, pid, &p->limits));
	PART(p, INSPECT_FDS, proc_fd__list(proc_fd, pid, &p->fds));
	/* Sockets are found through the fds: without them, the same reason. */
	PART(p, INSPECT_CONNS, p->err[INSPECT_FDS] ? p->err[INSPECT_FDS] : read_conns(proc_fd, p));
	if (o->maps && has_mm)
		PART(p, INSPECT_MAPS, proc_maps__read(proc_fd, pid, &p->maps));
	if (o->live)
		PART(p, INSPECT_IONICE, read_ionice(p));
	PART(p, INSPECT_THREADS, read_threads(proc_fd, p));
	PART(p, INSPECT_CHILDREN, read_children(proc_fd, p));

	err = still_there(proc_fd, p);
	if (err)
		return err;
	if (!p->err[INSPECT_STATUS])
		read_username(p);
	derive_name(p);
	proc_pid__tty_name(p->stat.tty_nr, p->tty, sizeof(p->tty));
	return 0;
}

void inspect_proc__free(struct inspect_proc *p)
{
	if (!p)
		return;
	proc_cmdline__free(&p->cmdline);
	proc_cmdline__free(&p->environ);
	proc_cgroup__free(&p->cgroup);
	proc_fd_list__free(&p->fds);
	netsock_conns__free(&p->conns);
	proc_maps__free(&p->maps);
	free(p->cpus);
	free(p->threads);
	free(p->children);
	memset(p, 0, sizeof(*p));
}
