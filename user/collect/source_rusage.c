// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event source of last resort, for run alone: a user who may neither
 * load BPF nor join the proc connector (a kernel that keeps it to
 * CAP_NET_ADMIN, a container) still gets the job run and a report that is
 * true, if thinner.
 *
 * jobtrace is the command's parent and a child subreaper, so every process
 * of the tree is reaped by its own parent or, orphaned, by us. Once nothing
 * is left to reap, getrusage(RUSAGE_CHILDREN) holds the whole tree's CPU,
 * the largest process's maxrss and its storage I/O in 512-byte blocks,
 * exactly as the kernel summed them at each wait (a process whose parent
 * never waits, SIGCHLD ignored, is in no one's sum). The statuses of what
 * we reap ourselves (the root, the orphans) are counted by the collector's
 * reaper. What no one here can know (how many processes ran, their exits,
 * execs, threads, the syscalls' bytes) is declared in .unknown, and the
 * reports write it as null, never as 0.
 *
 * The live view is a walk of /proc for our descendants, at most every
 * RUSAGE_POLL_NS: their number (the most seen is processes.max_alive,
 * marked sampled), memory and CPU so far. The totals are read before the
 * walk, so a process reaped in between is missed once, never counted twice.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/collector.h"
#include "jobtrace/source.h"
#include "jobtrace/proc_walk.h"
#include "jobtrace/util.h"

/* The walk reads every /proc/PID/stat of the host: a few a second, not at every tick. */
#define RUSAGE_POLL_NS (250ULL * 1000 * 1000)

struct rusage_src {
	int proc_fd;
	pid_t self;
	__u64 job_id;
	pid_t root;
	bool have_job;
	long ticks_per_sec;
	long page_size;
	__u64 max_alive; /* the most live descendants a walk saw */
	__u64 last_walk_ns;
	/* The last walk's live descendants, for the samples between two walks. */
	struct jt_live_rec *live;
	size_t nlive, cap;
};

static struct rusage_src *src_of(struct collector *c)
{
	return *collector__source_priv(c);
}

static int rusage_open(struct collector *c, const struct lineage_opts *opts)
{
	struct rusage_src *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->self = getpid();
	s->proc_fd = util__open_dir("/proc"); /* none: no live view, the totals stand */
	s->ticks_per_sec = sysconf(_SC_CLK_TCK);
	s->page_size = sysconf(_SC_PAGESIZE);
	*collector__source_priv(c) = s;
	return 0;
}

static void rusage_close(struct collector *c)
{
	struct rusage_src *s = src_of(c);

	if (!s)
		return;
	if (s->proc_fd >= 0)
		close(s->proc_fd);
	free(s->live);
	free(s);
	*collector__source_priv(c) = NULL;
}

/* No records come: the loop wakes for the timer and SIGCHLD alone. */
static int rusage_fd(struct collector *c)
{
	return -1;
}

static int rusage_consume(struct collector *c)
{
	return 0;
}

static int rusage_add_root(struct collector *c, __u64 job_id, pid_t root)
{
	struct rusage_src *s = src_of(c);

	if (s->have_job)
		return -EBUSY;
	s->job_id = job_id;
	s->root = root;
	s->have_job = true;
	return 0;
}

static int rusage_add_empty(struct collector *c, __u64 job_id, __s32 cgroup_hierarchy)
{
	return -EOPNOTSUPP;
}

static int rusage_add_attach_root(struct collector *c, __u64 job_id, pid_t pid, __u64 start_ns,
				  __u64 slack_ns)
{
	return -EOPNOTSUPP;
}

static int rusage_add_watch_cgroup(struct collector *c, __u64 job_id, __u64 cgid,
				   __s32 hierarchy)
{
	return -EOPNOTSUPP;
}

static int rusage_attach_existing(struct collector *c)
{
	return -EOPNOTSUPP;
}

/* Is any child of ours left, reaped or not? WNOWAIT: the collector's reaper takes them. */
static bool children_left(void)
{
	siginfo_t si = {};

	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 || errno != ECHILD;
}

static __u64 tv_ns(const struct timeval *tv)
{
	return (__u64)tv->tv_sec * 1000000000ULL + (__u64)tv->tv_usec * 1000ULL;
}

static int rusage_job_stats(struct collector *c, __u64 job_id, struct jt_job_stats *out)
{
	struct rusage_src *s = src_of(c);
	struct rusage ru;

	if (!s->have_job || job_id != s->job_id)
		return -ENOENT;
	if (getrusage(RUSAGE_CHILDREN, &ru))
		return -errno;
	*out = (struct jt_job_stats){
		.root_tgid = (__u32)s->root,
		.cgroup_hierarchy = -1,
		/* Not a count: whether anything is left for us to reap (the job's end). */
		.alive = children_left() ? 1 : 0,
		.max_alive = s->max_alive,
		.user_ns = tv_ns(&ru.ru_utime),
		.system_ns = tv_ns(&ru.ru_stime),
		.peak_rss_bytes = (__u64)ru.ru_maxrss * 1024,
	};
	out->cpu_ns = out->user_ns + out->system_ns;
	/* The kernel sums each process's read_bytes/write_bytes >> 9 at its wait. */
	out->exited.read_bytes = (__u64)ru.ru_inblock * 512;
	out->exited.write_bytes = (__u64)ru.ru_oublock * 512;
	return 0;
}

static int rusage_for_each_job(struct collector *c, int (*fn)(void *ctx, __u64 job_id),
			       void *ctx)
{
	struct rusage_src *s = src_of(c);

	return s->have_job ? fn(ctx, s->job_id) : 0;
}

struct walk_ctx {
	struct rusage_src *s;
	const struct proc_walk *w;
	size_t n;
};

static int on_descendant(size_t idx, size_t depth, void *ctx)
{
	struct walk_ctx *wc = ctx;
	struct rusage_src *s = wc->s;
	const struct proc_walk_entry *e = &wc->w->entries[idx];
	struct jt_live_rec *r;

	/* Ourselves (the walk's start), and zombies: they are ours to reap, not alive. */
	if (depth == 0 || e->state == 'Z' || e->state == 'X')
		return 0;
	if (wc->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct jt_live_rec *p = realloc(s->live, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->live = p;
		s->cap = cap;
	}
	r = &s->live[wc->n++];
	*r = (struct jt_live_rec){
		.job_id = s->job_id,
		.tgid = (__u32)e->pid,
		.tid = (__u32)e->pid,
		.reader_tgid = (__u32)e->pid,
		.start_ns = e->starttime_ticks * (1000000000ULL / (__u64)s->ticks_per_sec),
		/* Its whole life is the job's: it was born in it. The split is unknown. */
		.cpu_ns = e->cpu_ns,
		.utime_ns = e->cpu_ns,
		.rss_pages = e->rss_bytes / (__u64)s->page_size,
		.vm_pages = e->vm_bytes / (__u64)s->page_size,
		.is_leader = 1,
	};
	return 0;
}

/* Our live descendants into s->live; keeps the last walk's on failure. */
static int walk(struct rusage_src *s)
{
	struct proc_walk *w;
	const struct proc_tree_node *me;
	struct walk_ctx wc = { .s = s };
	int err;

	err = proc_walk__snapshot(s->proc_fd, s->ticks_per_sec, s->page_size, &w);
	if (err)
		return err;
	wc.w = w;
	me = proc_tree__find(&w->tree, s->self);
	err = me ? proc_tree__walk(&w->tree, me, on_descendant, &wc) : 0;
	if (!err) {
		s->nlive = wc.n;
		if (wc.n > s->max_alive)
			s->max_alive = wc.n;
	}
	proc_walk__free(w);
	return err;
}

static int rusage_read_live(struct collector *c,
			    int (*fn)(void *ctx, const struct jt_live_rec *r), void *ctx)
{
	struct rusage_src *s = src_of(c);
	__u64 now = util__now_ns();

	if (!s->have_job || s->proc_fd < 0)
		return 0;
	if (!children_left()) {
		s->nlive = 0;
		return 0;
	}
	/*
	 * Between two walks the last one stands, without its CPU: what a
	 * process had then may since have been reaped into the totals, and
	 * must not be counted twice.
	 */
	if (now - s->last_walk_ns >= RUSAGE_POLL_NS || !s->last_walk_ns) {
		s->last_walk_ns = now;
		walk(s);
	} else {
		for (size_t i = 0; i < s->nlive; i++)
			s->live[i].cpu_ns = s->live[i].utime_ns = 0;
	}
	for (size_t i = 0; i < s->nlive; i++) {
		int err = fn(ctx, &s->live[i]);

		if (err)
			return err;
	}
	return 0;
}

static int rusage_remove_job(struct collector *c, __u64 job_id)
{
	return 0;
}

/* Nothing can be lost: there is no stream of records. */
static int rusage_counters(struct collector *c, struct jt_counters *out)
{
	*out = (struct jt_counters){};
	return 0;
}

const struct source_ops source_rusage_ops = {
	.name = "rusage",
	.open = rusage_open,
	.close = rusage_close,
	.fd = rusage_fd,
	.consume = rusage_consume,
	.add_root = rusage_add_root,
	.add_empty = rusage_add_empty,
	.add_attach_root = rusage_add_attach_root,
	.add_watch_cgroup = rusage_add_watch_cgroup,
	.attach_existing = rusage_attach_existing,
	.job_stats = rusage_job_stats,
	.for_each_job = rusage_for_each_job,
	.read_live = rusage_read_live,
	.remove_job = rusage_remove_job,
	.counters = rusage_counters,
	.unknown = JOB_UNKNOWN_COUNTS | JOB_UNKNOWN_CHARS | JOB_UNKNOWN_RECORDS | JOB_UNKNOWN_OOM,
	.sampled = JOB_SAMPLED_MAX_ALIVE,
	.polled = true,
};
