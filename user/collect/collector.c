// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The collector: its source picked and opened, its sinks, the fronts' fds
 * and signals, its jobs, run's root. The records from the source are in
 * collector_records.c, the loop in collector_loop.c, the samples in
 * collector_sample.c, the jobs' ends in collector_end.c. See
 * include/jobtrace/collector.h.
 *
 * A job's CPU at a sample is the kernel's total for its exited threads plus
 * what the live iterator reads of its live ones. The totals are read first,
 * then the live tasks: a thread that closes in between is missed once, never
 * counted twice, so the sum can only lag. The collector keeps each job's
 * cumulative figures monotone; intervals are their differences, so they add
 * up to the final report exactly, none negative.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "jobtrace/args_table.h"
#include "jobtrace/cgroup_names.h"
#include "jobtrace/cgroupfs.h"
#include "jobtrace/collector.h"
#include "jobtrace/host.h"
#include "jobtrace/job_table.h"
#include "jobtrace/meminfo.h"
#include "jobtrace/ns.h"
#include "jobtrace/repair.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#include "collector_priv.h"

void **collector__source_priv(struct collector *c)
{
	return &c->source_priv;
}

__u64 *collector__malformed_counter(struct collector *c)
{
	return &c->records_malformed;
}

const char *collector__source_name(const struct collector *c)
{
	return c->ops->name;
}

int collector__set_mode(struct collector_opts *opts, const char *mode)
{
	if (!mode || !strcmp(mode, "auto")) {
		opts->ops = NULL;
		opts->fallback_proc = true;
	} else if (!strcmp(mode, "bpf")) {
		opts->ops = &source_bpf_ops;
		opts->fallback_proc = false;
	} else if (!strcmp(mode, "proc")) {
		opts->ops = &source_proc_ops;
		opts->fallback_proc = false;
	} else if (!strcmp(mode, "rusage")) {
		opts->ops = &source_rusage_ops;
		opts->fallback_proc = false;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* Errors that say BPF cannot be used here, rather than that jobtrace is wrong. */
static bool bpf_unavailable(int err)
{
	return err == -EPERM || err == -EACCES || err == -ENOSYS || err == -ENOTSUP ||
	       err == -EOPNOTSUPP || err == -ENOENT;
}

/*
 * The one place that picks the event source: the one asked for, or BPF and,
 * where it cannot load (no CAP_BPF/CAP_PERFMON, no BTF, a container that
 * forbids bpf(2)), the proc connector, saying so: the report says it too.
 * run goes on where the connector is refused as well (a kernel that keeps it
 * to CAP_NET_ADMIN, a container): to the rusage source, which cannot fail,
 * so a job run can start is never refused for want of a way to watch it.
 */
static int collector__open_source(struct collector *c)
{
	bool auto_mode = c->opts.fallback_proc;
	int err = c->ops->open(c, &c->source_opts);

	if (!err || !auto_mode)
		return err;
	if (c->ops == &source_bpf_ops && (bpf_unavailable(err) || c->opts.fallback_rusage)) {
		fprintf(stderr, "jobtrace: BPF is not available (%s): falling back to proc mode "
				"(the netlink proc connector and /proc), which can miss short-lived "
				"children's CPU; see WITHOUT BPF in jobtrace(8)\n",
			strerror(-err));
		c->ops = &source_proc_ops;
		err = c->ops->open(c, &c->source_opts);
		if (!err)
			return 0;
	}
	if (!c->opts.fallback_rusage)
		return err;
	fprintf(stderr, "jobtrace: the proc connector is not available either (%s): running the "
			"job in rusage mode (jobtrace as its parent and subreaper: its status and "
			"its tree's CPU exact, its process counts unknown); see WITHOUT BPF in "
			"jobtrace(8)\n",
		strerror(-err));
	c->ops = &source_rusage_ops;
	return c->ops->open(c, &c->source_opts);
}

struct collector *collector__new(const struct collector_opts *opts)
{
	struct collector *c = calloc(1, sizeof(*c));
	struct meminfo mi;
	sigset_t mask;
	int err;

	if (!c)
		return NULL;
	c->opts = *opts;
	c->opts.follow_hier = NULL; /* read here only */
	collector__source_opts(opts, &c->source_opts);
	if (opts->grouping.group == COLLECTOR_GROUP_CGROUP)
		c->hier = &c->opts.grouping.hier;
	/* The kernel names a v1 cgroup only where host mode groups by that hierarchy. */
	if (opts->events)
		cgroup_names__init(&c->cgnames, c->hier);
	if (c->hier)
		cgroupfs__name(c->hier, c->hier_name, sizeof(c->hier_name));
	c->ops = opts->ops ? opts->ops : &source_bpf_ops;
	c->epfd = c->timerfd = c->sigfd = -1;
	c->page_size = (__u64)sysconf(_SC_PAGESIZE);
	c->proc_fd = util__open_dir("/proc");
	/* Unknown (no /proc/self/ns): taken for the host's, as the proc source takes it. */
	c->host_pidns = ns__initial(NS_PID) != 0;
	c->sys_fd = util__open_dir("/sys");
	if (c->proc_fd >= 0 && !meminfo__read(c->proc_fd, &mi))
		c->mem_total_bytes = mi.total_bytes;
	host_sampler__init(&c->hs, c->proc_fd, c->sys_fd);
	c->hs.want = HOST_WANT_INTERVAL;
	c->start_ns = util__now_ns();
	repair__init(&c->repair, REPAIR_PERIOD_NS, c->start_ns);
	collector__take_clocks(c);
	oom_resolver__init(&c->oom);
	/*
	 * The host's base is read where the jobs found at the attach begin
	 * their first interval (start_ns, before the attach): the host's first
	 * record spans the same time as theirs, so theirs cannot outrun it.
	 */
	if (opts->host_records) {
		collector__take_host(c, c->start_ns);
		collector__emit_host(c);
	}
	/*
	 * The loop takes its signals from a signalfd: block them now, before
	 * run forks its command (which restores @old_mask before it execs).
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &c->old_mask);
	err = collector__open_source(c);
	if (err) {
		collector__free(c);
		errno = -err;
		return NULL;
	}
	c->source_open = true;
	return c;
}

void collector__free(struct collector *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsinks; i++)
		sink__free(c->sinks[i]);
	if (c->source_open)
		c->ops->close(c);
	job_table__free(&c->jt);
	args_table__free(&c->args);
	cgroup_names__fini(&c->cgnames);
	oom_resolver__fini(&c->oom);
	repair__free(&c->repair);
	host__free(&c->hsamp[0]);
	host__free(&c->hsamp[1]);
	if (c->sys_fd >= 0)
		close(c->sys_fd);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->timerfd >= 0)
		close(c->timerfd);
	if (c->sigfd >= 0)
		close(c->sigfd);
	sigprocmask(SIG_SETMASK, &c->old_mask, NULL);
	if (c->proc_fd >= 0)
		close(c->proc_fd);
	free(c);
}

int collector__add_sink(struct collector *c, struct sink *s)
{
	if (!s)
		return -ENOMEM;
	if (c->nsinks == MAX_SINKS) {
		sink__free(s);
		return -E2BIG;
	}
	c->sinks[c->nsinks++] = s;
	if (s->ops->live)
		c->want_live = true;
	return 0;
}

/* ---- a front's fds, signals and interval ---- */

int collector__add_fd(struct collector *c, int fd, __u32 events, collector_fd_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (c->nfds == MAX_FDS)
		return -EMFILE;
	if (c->epfd >= 0 && epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	c->fds[c->nfds++] = (struct extra_fd){ .fd = fd, .events = events, .fn = fn, .ctx = ctx };
	return 0;
}

int collector__set_fd_events(struct collector *c, int fd, __u32 events)
{
	for (size_t i = 0; i < c->nfds; i++) {
		struct epoll_event ev = { .events = events, .data.fd = fd };

		if (c->fds[i].fd != fd)
			continue;
		if (c->epfd >= 0 && epoll_ctl(c->epfd, EPOLL_CTL_MOD, fd, &ev))
			return -errno;
		c->fds[i].events = events;
		return 0;
	}
	return -ENOENT;
}

int collector__remove_fd(struct collector *c, int fd)
{
	for (size_t i = 0; i < c->nfds; i++) {
		if (c->fds[i].fd != fd)
			continue;
		if (c->epfd >= 0)
			epoll_ctl(c->epfd, EPOLL_CTL_DEL, fd, NULL);
		c->fds[i] = c->fds[--c->nfds];
		return 0;
	}
	return -ENOENT;
}

int collector__add_signal(struct collector *c, int signo, void (*fn)(void *ctx, int signo),
			  void *ctx)
{
	sigset_t mask;

	if (c->nsigs == MAX_SIGNALS || c->epfd >= 0)
		return c->nsigs == MAX_SIGNALS ? -E2BIG : -EBUSY;
	sigemptyset(&mask);
	sigaddset(&mask, signo);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	c->sigs[c->nsigs++] = (struct extra_signal){ .signo = signo, .fn = fn, .ctx = ctx };
	return 0;
}

int collector__arm_timer(struct collector *c)
{
	__u64 tick = c->root_job ? RUN_TICK_NS : WATCH_TICK_NS;
	struct itimerspec its = {};

	if (c->interval_ns && c->interval_ns < tick)
		tick = c->interval_ns;
	c->tick_ns = tick;
	its.it_interval.tv_sec = (time_t)(tick / 1000000000ULL);
	its.it_interval.tv_nsec = (long)(tick % 1000000000ULL);
	its.it_value = its.it_interval;
	return timerfd_settime(c->timerfd, 0, &its, NULL) ? -errno : 0;
}

int collector__set_interval(struct collector *c, double seconds)
{
	if (!(seconds > 0))
		return -EINVAL;
	c->opts.interval_s = seconds;
	c->interval_ns = (__u64)(seconds * 1e9);
	c->next_interval_ns = util__now_ns() + c->interval_ns;
	return c->timerfd >= 0 ? collector__arm_timer(c) : 0;
}

double collector__interval(const struct collector *c)
{
	return c->opts.interval_s;
}

void collector__stop(struct collector *c)
{
	c->stopping = true;
}

void collector__sample_soon(struct collector *c)
{
	c->sample_soon = true;
}

/* ---- the job table ---- */

struct cjob *collector__find_job(struct collector *c, __u64 id)
{
	return job_table__find(&c->jt, id);
}

struct cjob *collector__add_job(struct collector *c, __u64 id, const char *key,
				enum cjob_end end_rule)
{
	struct cjob *j = job_table__add(&c->jt, id, key, end_rule);

	/* What the source cannot see is known from the start: intervals write it as null too. */
	if (j) {
		j->job.unknown = c->ops->unknown;
		j->job.sampled = (__u16)c->ops->sampled;
		j->job.host_mem_bytes = c->mem_total_bytes;
		/* No task yet, none begun or joined: the bound of its CPU starts from there. */
		j->reported_tasks_known = c->ops->live_per_task;
	}
	return j;
}

/* ---- run's root ---- */

int collector__set_root(struct collector *c, struct cjob *j, pid_t pid)
{
	int err;

	err = c->ops->add_root(c, j->id, pid);
	if (err)
		return err;
	c->root_job = j;
	c->root_pid = pid;
	c->children_left = true;
	j->job.root_pid = pid;
	/*
	 * What its cgroups allot it, read now, where it is known: the child
	 * waits for its go, alive, in the cgroups it starts in (run's own).
	 * At the first sample a short command may be exiting already, and an
	 * exiting task has no cgroups to read in a v1 hierarchy.
	 */
	collector__read_alloc(j, pid);
	return 0;
}

const sigset_t *collector__child_sigmask(const struct collector *c)
{
	return &c->old_mask;
}

int collector__attach_existing(struct collector *c)
{
	int err = c->ops->attach_existing(c);

	if (!err)
		c->attached_ns = util__now_ns();
	return err;
}

void collector__stats(struct collector *c, struct collector_stats *out)
{
	struct collector_stats s = c->stats;

	c->ops->counters(c, &s.kernel);
	s.records_malformed = c->records_malformed;
	s.sink_errors = 0;
	s.first_sink_error = 0;
	s.first_sink_path = NULL;
	for (size_t i = 0; i < c->nsinks; i++) {
		const struct sink *sk = c->sinks[i];

		/* A sink that dropped records and wrote again still lost them. */
		if (sk->err || sk->dropped) {
			s.sink_errors++;
			if (!s.first_sink_error) {
				s.first_sink_error = sk->err ? sk->err : sk->drop_err;
				s.first_sink_path = sk->path ? sk->path : sk->ops->name;
			}
		}
	}
	*out = s;
}
