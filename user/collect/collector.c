// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The collector: the job table, the samplers, the loop, and the records it
 * hands to sinks. See include/jobtrace/collector.h.
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
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/args_table.h"
#include "jobtrace/cgroup_names.h"
#include "jobtrace/cgroupfs.h"
#include "jobtrace/collector.h"
#include "jobtrace/host.h"
#include "jobtrace/job_table.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/proc_stat.h"
#include "jobtrace/repair.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#define RUN_TICK_NS (100ULL * 1000 * 1000) /* run: how often the tree's end is checked */
#define WATCH_TICK_NS (1000ULL * 1000 * 1000) /* watch: how often jobs' ends are checked */
#define MAX_SINKS 8
#define MAX_FDS 64 /* a front's own fds: a terminal, a listening socket and its clients */
#define MAX_SIGNALS 4
/*
 * How often the repair sweep runs, on the samples: a process gone unseen is
 * removed two sweeps after it went, within a few seconds.
 */
#define REPAIR_PERIOD_NS (2000ULL * 1000 * 1000)

struct extra_fd {
	int fd;
	__u32 events;
	collector_fd_fn fn;
	void *ctx;
};

struct extra_signal {
	int signo;
	void (*fn)(void *ctx, int signo);
	void *ctx;
};

struct collector {
	struct collector_opts opts;
	const struct source_ops *ops;
	void *source_priv;
	bool source_open;
	struct sink *sinks[MAX_SINKS];
	size_t nsinks;

	struct job_table jt;

	struct args_table args; /* of live processes, for their exit records */

	int epfd, timerfd, sigfd, proc_fd;
	__u64 start_ns; /* CLOCK_MONOTONIC */
	__u64 last_sample_ns;
	__u64 boot_to_epoch_ns; /* realtime - boottime, at the start */
	bool stopping;
	__u64 tick_ns; /* the loop's timer */
	__u64 page_size;
	sigset_t old_mask; /* before the loop's signals were blocked, for run's child */
	int signals; /* SIGINT/SIGTERM/SIGHUP/SIGQUIT seen */

	/* run: the command */
	struct cjob *root_job;
	pid_t root_pid;
	bool children_left;

	/* host records: two samples, the current one and the base of its rates */
	struct host_sampler hs;
	struct host_sample hsamp[2];
	int hcur, sys_fd;
	bool have_prev_host;

	__u64 records_malformed;
	struct collector_stats stats;
	char hier_name[64];

	/* a front's own fds and signals, in the same loop */
	struct extra_fd fds[MAX_FDS];
	size_t nfds;
	struct extra_signal sigs[MAX_SIGNALS];
	size_t nsigs;
	__u64 interval_ns, next_interval_ns;
	bool want_live; /* a sink takes live-task records */

	struct repair repair; /* the sweep for exits that were missed */
	struct jt_counters warned; /* the kernel's counters when we last said so on stderr */
	struct cgroup_names cgnames; /* the records' cgroup ids, named (events only) */
};

void **collector__source_priv(struct collector *c)
{
	return &c->source_priv;
}

__u64 *collector__malformed_counter(struct collector *c)
{
	return &c->records_malformed;
}

const struct source_ops *collector__ops(const struct collector *c)
{
	return c->ops;
}

double collector__epoch_of_boottime(const struct collector *c, __u64 boot_ns)
{
	return (double)(boot_ns + c->boot_to_epoch_ns) / 1e9;
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
 */
static int collector__open_source(struct collector *c)
{
	int err = c->ops->open(c, &c->opts.source);

	if (!err || !c->opts.fallback_proc || c->ops != &source_bpf_ops || !bpf_unavailable(err))
		return err;
	fprintf(stderr, "jobtrace: BPF is not available (%s): falling back to proc mode (the "
			"netlink proc connector and /proc), which can miss short-lived children's "
			"CPU; see 'Without BPF' in README.md\n",
		strerror(-err));
	c->ops = &source_proc_ops;
	return c->ops->open(c, &c->opts.source);
}

struct collector *collector__new(const struct collector_opts *opts)
{
	struct collector *c = calloc(1, sizeof(*c));
	sigset_t mask;
	int err;

	if (!c)
		return NULL;
	c->opts = *opts;
	/* The kernel names a v1 cgroup only where host mode groups by that hierarchy. */
	if (opts->events)
		cgroup_names__init(&c->cgnames, opts->source.group == JT_GROUP_CGROUP ?
							 opts->hier : NULL);
	if (opts->hier)
		cgroupfs__name(opts->hier, c->hier_name, sizeof(c->hier_name));
	c->ops = opts->ops ? opts->ops : &source_bpf_ops;
	c->epfd = c->timerfd = c->sigfd = -1;
	c->page_size = (__u64)sysconf(_SC_PAGESIZE);
	c->proc_fd = util__open_dir("/proc");
	c->sys_fd = util__open_dir("/sys");
	host_sampler__init(&c->hs, c->proc_fd, c->sys_fd);
	c->hs.want = HOST_WANT_INTERVAL;
	c->start_ns = util__now_ns();
	repair__init(&c->repair, REPAIR_PERIOD_NS, c->start_ns);
	c->boot_to_epoch_ns = util__realtime_ns() - util__boottime_ns();
	/* Arguments name the failed processes in every report, not only in --events. */
	c->opts.source.capture_args = true;
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

static int arm_timer(struct collector *c)
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
	return c->timerfd >= 0 ? arm_timer(c) : 0;
}

double collector__interval(const struct collector *c)
{
	return c->opts.interval_s;
}

void collector__stop(struct collector *c)
{
	c->stopping = true;
}

/* ---- the job table ---- */

struct cjob *collector__find_job(struct collector *c, __u64 id)
{
	return job_table__find(&c->jt, id);
}

struct cjob *collector__add_job(struct collector *c, __u64 id, const char *key,
				enum cjob_end end_rule)
{
	return job_table__add(&c->jt, id, key, end_rule);
}

/* The name of a job the kernel made (host mode), from its id. */
static void host_job_key(struct collector *c, __u64 id, char *buf, size_t size)
{
	__u64 v = JT_JOB_VALUE(id);
	char comm[32] = "";
	char path[64];
	char path_buf[256];

	switch (JT_JOB_KIND(id)) {
	case JT_JOB_CGROUP:
		/* A cgroup removed already keeps its number: better than no name. */
		if (c->opts.hier && !cgroupfs__path_of_id(c->opts.hier, v, path_buf, sizeof(path_buf)))
			snprintf(buf, size, "cgroup:%s", path_buf);
		else
			snprintf(buf, size, "cgroup:#%" PRIu64, (uint64_t)v);
		return;
	case JT_JOB_TREE:
		snprintf(path, sizeof(path), "%u/comm", (unsigned int)(v & ((1U << 22) - 1)));
		if (c->proc_fd >= 0 && util__read_file_at(c->proc_fd, path, comm, sizeof(comm)) > 0)
			comm[strcspn(comm, "\n")] = '\0';
		snprintf(buf, size, "tree:%u%s%s", (unsigned int)(v & ((1U << 22) - 1)),
			 comm[0] ? ":" : "", comm);
		return;
	default:
		snprintf(buf, size, "job:%" PRIu64, (uint64_t)id);
	}
}

/* Host-mode jobs appear in the kernel first: the table learns them here. */
static struct cjob *job_of_record(struct collector *c, __u64 id)
{
	struct cjob *j = collector__find_job(c, id);
	char key[300];

	/* The front makes its own jobs (and serve --control its adopted ones). */
	if (j || JT_JOB_KIND(id) == JT_JOB_USER || JT_JOB_KIND(id) == JT_JOB_ADOPTED)
		return j;
	host_job_key(c, id, key, sizeof(key));
	j = collector__add_job(c, id, key, CJOB_END_EMPTY);
	if (!j)
		return NULL;
	j->job.mode = "host";
	j->job.attached = true;
	if (JT_JOB_KIND(id) == JT_JOB_CGROUP && !strncmp(key, "cgroup:/", 8))
		j->cgroup = strdup(key + 7);
	j->job.cgroup = j->cgroup;
	j->job.hierarchy = c->hier_name[0] ? c->hier_name : NULL;
	return j;
}

int collector__on_exec(struct collector *c, const struct jt_exec_event *e)
{
	/* Without memory this process's arguments stay unknown; nothing else is lost. */
	args_table__put(&c->args, e->pid, e->start_ns, e->args, e->args_len, e->truncated);
	/* Only a sink that publishes execs (the stream) may make a job appear here. */
	for (size_t i = 0; c->opts.events && i < c->nsinks; i++) {
		struct exec_record r = { .e = e };
		struct sink *s = c->sinks[i];

		if (!s->ops->exec || s->err)
			continue;
		r.job = job_of_record(c, e->job_id);
		if (r.job)
			s->ops->exec(s, &r);
	}
	return 0;
}

/* Only serve asks for fork records (lineage_opts.fork_records): they go to the sinks alone. */
int collector__on_fork(struct collector *c, const struct jt_fork_event *e)
{
	struct fork_record r = { .e = e, .job = job_of_record(c, e->job_id) };

	if (!r.job) {
		c->stats.records_unknown_job++;
		return 0;
	}
	if (c->opts.events) {
		r.cgroup = cgroup_names__get(&c->cgnames, e->cgroup_id);
		r.cgroup_hierarchy = cgroup_names__hierarchy(&c->cgnames);
	}
	for (size_t i = 0; c->opts.events && i < c->nsinks; i++) {
		struct sink *s = c->sinks[i];

		if (s->ops->fork && !s->err)
			s->ops->fork(s, &r);
	}
	return 0;
}

int collector__on_attach(struct collector *c, const struct jt_attach_rec *r)
{
	char path[32], buf[JT_ARGS_LEN + 1];
	ssize_t n;
	int fd;

	/*
	 * Its exec was before the attach: /proc has what the exec record would
	 * have, under the number our pid namespace gives it (none: not ours to see).
	 */
	if (!r->new_process || c->proc_fd < 0 || !r->reader_tgid)
		return 0;
	snprintf(path, sizeof(path), "%u/cmdline", r->reader_tgid);
	fd = openat(c->proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* gone already, or a kernel thread's: its arguments stay unknown */
	/* As the exec record: the first JT_ARGS_LEN bytes, and whether there were more. */
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n > 0)
		args_table__put(&c->args, r->tgid, r->start_ns, buf,
				(size_t)n > JT_ARGS_LEN ? JT_ARGS_LEN : (size_t)n, n > JT_ARGS_LEN);
	return 0;
}

int collector__on_exit(struct collector *c, const struct jt_exit_event *e)
{
	struct args_entry *own = args_table__take(&c->args, e->pid, e->start_ns);
	struct proc_record r = { .e = e };
	struct cjob *j = job_of_record(c, e->job_id);
	const struct args_entry *parent;
	if (!j) {
		c->stats.records_unknown_job++;
		free(own);
		return 0;
	}
	if (job__add_exit(&j->job, e))
		c->stats.add_exit_errors++;
	/*
	 * watch --pid: the root's record is how its status is known (run
	 * learns its command's from waitpid). Its exit time, boottime in the
	 * record, becomes CLOCK_MONOTONIC as the job's other times are.
	 */
	if (e->is_root && j != c->root_job && !j->job.root_exited) {
		j->job.root_exited = true;
		j->job.root_status = (int)e->exit_status;
		j->job.root_end_ns = e->exit_ns - (util__boottime_ns() - util__now_ns());
	}
	if (own) {
		r.args = own->data;
		r.args_len = own->len;
		r.args_truncated = own->truncated;
	} else {
		/* It never exec'd: it ran its parent's program, with its arguments. */
		parent = args_table__find(&c->args, e->ppid, e->parent_start_ns);
		if (parent) {
			r.args = parent->data;
			r.args_len = parent->len;
			r.args_truncated = parent->truncated;
			r.args_inherited = true;
		}
	}
	job__note_failure(&j->job, e, r.args, r.args_len);
	if (c->opts.events) {
		r.job = j;
		r.cgroup = cgroup_names__get(&c->cgnames, e->cgroup_id);
		r.cgroup_hierarchy = cgroup_names__hierarchy(&c->cgnames);
		r.start_epoch_s = collector__epoch_of_boottime(c, e->start_ns);
		r.end_epoch_s = collector__epoch_of_boottime(c, e->exit_ns);
		for (size_t i = 0; i < c->nsinks; i++) {
			struct sink *s = c->sinks[i];

			if (s->ops->process && !s->err)
				s->ops->process(s, &r);
		}
	}
	free(own);
	return 0;
}

/* ---- sampling ---- */

struct live_ctx {
	struct collector *c;
	struct cjob *last_job; /* a job's tasks come in runs: skip the lookup */
	__u64 now;
	bool sweep; /* the repair sweep takes this read's processes */
};

static int on_live(void *ctx, const struct jt_live_rec *r)
{
	struct live_ctx *lc = ctx;
	struct collector *c = lc->c;
	struct cjob *j = lc->last_job && lc->last_job->id == r->job_id ? lc->last_job :
										job_of_record(c, r->job_id);
	__u64 page = c->page_size;

	/* Any live task backs its process, of a job the table knows or not. */
	if (lc->sweep)
		repair__note_live(&c->repair, r->tgid, r->start_ns);
	if (!j)
		return 0;
	lc->last_job = j;
	if (c->want_live) {
		struct live_record lr = { .r = r, .job = j, .sampled_ns = lc->now };

		for (size_t i = 0; i < c->nsinks; i++) {
			struct sink *s = c->sinks[i];

			if (s->ops->live && !s->err)
				s->ops->live(s, &lr);
		}
	}
	j->live_tasks++;
	j->live_cpu_ns += r->cpu_ns;
	j->live_system_ns += jt_cputime_system(r->cpu_ns, r->utime_ns, r->stime_ns);
	j->live_read_bytes += r->read_bytes;
	j->live_write_bytes += r->write_bytes;
	if (r->is_leader) {
		j->live.processes++;
		j->live.rss_bytes += r->rss_pages * page;
		j->live.vm_bytes += r->vm_pages * page;
		j->live.open_files += r->open_fds;
		/* /proc numbers it as our pid namespace does: the host's tgid may be another's. */
		if (c->opts.pss && c->proc_fd >= 0 && r->reader_tgid) {
			struct proc_smaps_rollup sr;

			if (!proc_pid__read_smaps_rollup(c->proc_fd, (int)r->reader_tgid, &sr)) {
				j->live.pss_bytes += sr.pss_bytes;
				j->live.uss_bytes += sr.uss_bytes;
				j->live.swap_bytes += sr.swap_bytes;
			}
		}
	}
	return 0;
}

static int on_kernel_job(void *ctx, __u64 id)
{
	job_of_record(ctx, id);
	return 0;
}

void collector__on_repair(struct collector *c, __u64 job_id)
{
	struct cjob *j = collector__find_job(c, job_id);

	c->stats.repairs++;
	if (j)
		j->job.repairs++;
}

/* The sweep dropped a process of @job_id: the kernel's count fell after we read it. */
static void on_swept(void *ctx, __u64 job_id)
{
	struct collector *c = ctx;
	struct cjob *j = collector__find_job(c, job_id);

	collector__on_repair(c, job_id);
	if (j && !j->ended) {
		if (j->job.stats.alive > 0)
			j->job.stats.alive--;
		j->job.stats.procs_exited++;
	}
}

/*
 * A limit reached is said once on stderr as it happens, not only in the
 * reports at the end: host mode runs for days. Each counter is named again
 * when it has doubled since.
 */
static void warn_limits(struct collector *c)
{
	struct jt_counters k, *w = &c->warned;
	bool bpf = c->ops == &source_bpf_ops;

	if (c->ops->counters(c, &k))
		return;
	if (k.events_lost > 2 * w->events_lost) {
		fprintf(stderr, "jobtrace: %llu %s lost so far (%s): the jobs affected are marked "
				"incomplete\n",
			(unsigned long long)k.events_lost, bpf ? "exit records" : "proc connector messages",
			bpf ? "the ring buffer was full; raise --ring-kb" :
			      "the socket's queue overflowed; members are resynced from /proc");
		w->events_lost = k.events_lost;
	}
	if (k.procs_map_full > 2 * w->procs_map_full) {
		fprintf(stderr, "jobtrace: the process map is full: %llu processes counted without "
				"their lineage (raise --max-procs)\n",
			(unsigned long long)k.procs_map_full);
		w->procs_map_full = k.procs_map_full;
	}
	if (k.jobs_map_full > 2 * w->jobs_map_full) {
		fprintf(stderr, "jobtrace: the job map is full: %llu processes of new jobs went "
				"untracked (raise --max-jobs)\n",
			(unsigned long long)k.jobs_map_full);
		w->jobs_map_full = k.jobs_map_full;
	}
	if (k.untracked > 2 * w->untracked) {
		fprintf(stderr, "jobtrace: %llu tasks could not be tracked (no room for their job, "
				"or task storage allocation failed)\n",
			(unsigned long long)k.untracked);
		w->untracked = k.untracked;
	}
}

/* Reads every job's totals, then the live tasks; updates each job's cumulative figures. */
static int sample_jobs(struct collector *c)
{
	__u64 now = util__now_ns();
	struct live_ctx lc = { .c = c, .now = now, .sweep = repair__begin(&c->repair, now) };
	int err;

	if (c->opts.source.group != JT_GROUP_LINEAGE)
		c->ops->for_each_job(c, on_kernel_job, c);
	for (size_t i = 0; i < c->jt.n; i++) {
		struct cjob *j = c->jt.jobs[i];

		if (j->ended)
			continue;
		c->ops->job_stats(c, j->id, &j->job.stats);
		j->live_tasks = j->live_cpu_ns = j->live_system_ns = 0;
		j->live_read_bytes = j->live_write_bytes = 0;
		j->prev_live = j->live;
		memset(&j->live, 0, sizeof(j->live));
		j->live.pss = c->opts.pss;
	}
	err = c->ops->read_live(c, on_live, &lc);
	if (lc.sweep && err)
		repair__abort(&c->repair);
	else if (lc.sweep)
		repair__finish(&c->repair, c, c->ops, on_swept, c);
	if (lc.sweep)
		warn_limits(c);
	for (size_t i = 0; i < c->jt.n; i++) {
		struct cjob *j = c->jt.jobs[i];
		const struct jt_job_stats *s = &j->job.stats;
		struct cjob_cum m = {
			.cpu_ns = s->cpu_ns + j->live_cpu_ns,
			.system_ns = s->system_ns + j->live_system_ns,
			.started = s->procs_started,
			.exited = s->procs_exited,
			.exit_ok = s->exit_ok,
			.exit_error = s->exit_error,
			.exit_signal = s->exit_signal,
			.execs = s->execs,
			.threads = s->threads_started,
			.read_bytes = s->exited.read_bytes + j->live_read_bytes,
			.write_bytes = s->exited.write_bytes + j->live_write_bytes,
			.existing = s->existing,
			.moved_in = s->moved_in,
			.moved_out = s->moved_out,
		};
		struct cjob_cum *p = &j->cum;

		if (j->ended)
			continue;
		/* Monotone: a thread that closed between the two reads lags one sample. */
		if (m.cpu_ns < p->cpu_ns)
			m.cpu_ns = p->cpu_ns;
		/*
		 * A live thread's I/O counts from its start, so a thread found at
		 * the attach brings what it did before; and what a thread did
		 * before it moved stays in its live figure. Both only make the
		 * sum lead for a while; it is kept monotone like the CPU.
		 */
		if (m.read_bytes < p->read_bytes)
			m.read_bytes = p->read_bytes;
		if (m.write_bytes < p->write_bytes)
			m.write_bytes = p->write_bytes;
		if (m.system_ns < p->system_ns)
			m.system_ns = p->system_ns;
		if (m.system_ns > m.cpu_ns - p->user_ns)
			m.system_ns = m.cpu_ns - p->user_ns;
		m.user_ns = m.cpu_ns - m.system_ns;
		j->live.sampled_ns = now;
		j->live.cpu_ns = m.cpu_ns - s->cpu_ns;
		j->live.exited_cpu_ns = s->cpu_ns;
		j->live.cpu_rate_pct = job_live__cpu_rate(&j->prev_live, &j->live);
		*p = m;
	}
	c->last_sample_ns = now;
	return err;
}

/* The job's interval since the last one it reported, up to @t1; then a new base. */
static void emit_interval(struct collector *c, struct cjob *j, __u64 t1)
{
	const struct cjob_cum *prev = &j->reported;
	struct interval_record r = {
		.job = j,
		.t0_ns = j->reported_ns,
		.t1_ns = t1,
		.alive = j->live.processes,
		.rss_bytes = j->live.rss_bytes,
		.pss_bytes = j->live.pss_bytes,
		.vm_bytes = j->live.vm_bytes,
		.open_files = j->live.open_files,
		.pss = c->opts.pss,
	};
	const struct cjob_cum *n = &j->cum;

#define D(f) r.d.f = n->f - prev->f
	D(cpu_ns);
	D(user_ns);
	D(system_ns);
	D(started);
	D(exited);
	D(exit_ok);
	D(exit_error);
	D(exit_signal);
	D(execs);
	D(threads);
	D(read_bytes);
	D(write_bytes);
	D(existing);
	D(moved_in);
	D(moved_out);
#undef D
	for (size_t i = 0; i < c->nsinks; i++) {
		struct sink *s = c->sinks[i];

		if (s->ops->interval && !s->err)
			s->ops->interval(s, &r);
	}
	j->reported = j->cum;
	j->reported_ns = t1;
}

/*
 * The host each interval: the same sampler `jobtrace system` uses, so the
 * record carries its rates (network, disks) besides the summary here.
 */
static void sample_host(struct collector *c, __u64 now)
{
	struct host_sample *prev = &c->hsamp[c->hcur ^ 1], *cur = &c->hsamp[c->hcur];
	struct host_rates rates = {};
	struct host_record r;
	struct jt_counters k;

	if (c->proc_fd < 0)
		return;
	host__free(cur);
	if (host_sample__take(&c->hs, cur))
		return;
	cur->mono_ns = now;
	if (!c->have_prev_host) {
		/* The first sample only sets the base of the rates. */
		c->have_prev_host = true;
		c->hcur ^= 1;
		return;
	}
	host_record__from_samples(prev, cur, host_sample__rates(prev, cur, &rates) ? NULL : &rates,
				  &r);
	if (!c->ops->counters(c, &k))
		r.events_lost = k.events_lost;
	for (size_t i = 0; i < c->nsinks; i++) {
		struct sink *s = c->sinks[i];

		if (s->ops->host && !s->err)
			s->ops->host(s, &r);
	}
	host_rates__free(&rates);
	c->hcur ^= 1;
}

/* ---- ends of jobs ---- */

static bool cgroup_gone(const struct cjob *j)
{
	struct stat sb;

	/* A removed cgroup's directory stays open here, empty of its files. */
	return j->cgroup_dirfd >= 0 && fstatat(j->cgroup_dirfd, "cgroup.procs", &sb, 0) != 0 &&
	       errno == ENOENT;
}

/* Is @j over, by its rule? Reads what the last sample left. */
static bool job_over(struct collector *c, struct cjob *j)
{
	const struct jt_job_stats *s = &j->job.stats;
	bool empty = j->live_tasks == 0;

	/* Missed exits are called only on samples in a row that saw nothing. */
	if (!empty)
		j->idle_samples = 0;

	switch (j->end_rule) {
	case CJOB_END_ROOT:
		if (!j->job.root_exited)
			return false;
		if (c->opts.run_no_wait)
			return s->outlived_root >= 0; /* the root's record is in the ring */
		if (s->alive <= 0)
			return true;
		if (c->children_left || !empty)
			return false;
		break;
	case CJOB_END_EMPTY:
		if (!empty)
			return false;
		if (s->alive <= 0)
			return true;
		break;
	case CJOB_END_CGROUP_GONE:
		if (!cgroup_gone(j))
			return false;
		if (!empty)
			return false;
		if (s->alive <= 0)
			return true;
		break;
	}
	/*
	 * The kernel counts processes alive that no live task backs: an exit
	 * was missed (a task tagged in the instant it began to exit). Two
	 * samples in a row say so before the job is called over.
	 */
	if (++j->idle_samples < 2)
		return false;
	j->job.stale = (__u64)s->alive;
	return true;
}

static void job_end(struct collector *c, struct cjob *j)
{
	struct jt_job_stats *s = &j->job.stats;

	j->job.end_ns = util__now_ns();
	j->job.source = c->ops->name;
	/*
	 * The front named the root by its number in our pid namespace; the
	 * kernel's records carry the host's. Both are reported where they differ.
	 */
	if (j->job.root_pid && !j->job.root_ns_pid && s->root_tgid &&
	    (pid_t)s->root_tgid != j->job.root_pid) {
		j->job.root_ns_pid = j->job.root_pid;
		j->job.root_pid = (pid_t)s->root_tgid;
	}
	/* The report's CPU: exited threads and, with --no-wait, the live ones so far. */
	s->cpu_ns = j->cum.cpu_ns;
	s->user_ns = j->cum.user_ns;
	s->system_ns = j->cum.system_ns;
	if (j->live.processes)
		j->job.live = &j->live;
	if (j->job.workdir_path) {
		/* After the job: the report has the directory as the job left it. */
		int err = workdir__usage(j->job.workdir_path, &j->workdir);

		if (err)
			fprintf(stderr, "jobtrace: cannot measure %s: %s\n", j->job.workdir_path,
				strerror(-err));
		else
			j->job.workdir = &j->workdir;
	}
	j->job.records_malformed = c->records_malformed;
	j->job.add_errors = c->stats.add_exit_errors;
	c->ops->counters(c, &j->job.counters);
	collector__stats(c, &c->stats);
	/* The last interval closes the sum: the intervals add up to this report. */
	if (c->opts.interval_s > 0)
		emit_interval(c, j, j->job.end_ns);
	for (size_t i = 0; i < c->nsinks; i++) {
		struct sink *sk = c->sinks[i];

		if (sk->ops->job_end && !sk->err)
			sk->ops->job_end(sk, j, &c->stats);
	}
	j->ended = true;
	c->stats.jobs_ended++;
	job_table__close(&c->jt, j);
	/* Its entries go: a later process of the same cgroup or tree starts a new job. */
	if (JT_JOB_KIND(j->id) != JT_JOB_USER)
		c->ops->remove_job(c, j->id);
}

/* Reports the jobs that are over; true when the collector should stop. */
static bool end_jobs(struct collector *c, bool all)
{
	bool any_over = false, any_left = false;

	for (size_t i = 0; i < c->jt.n; i++) {
		struct cjob *j = c->jt.jobs[i];

		if (j->ended)
			continue;
		j->over = all || job_over(c, j);
		any_over |= j->over;
	}
	if (any_over) {
		/* Every record of the jobs is in, and their figures fresh, before the reports. */
		c->ops->consume(c);
		sample_jobs(c);
	}
	for (size_t i = 0; i < c->jt.n; i++) {
		struct cjob *j = c->jt.jobs[i];

		if (j->ended)
			continue;
		if (j->over)
			job_end(c, j);
		else
			any_left = true;
	}
	if (any_over)
		job_table__prune(&c->jt);
	if (c->root_job)
		return c->root_job->ended;
	return c->opts.stop_when_jobs_end && !any_left;
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
	return 0;
}

/* We are the job's subreaper: reap everything, note the root's status. */
static void reap(struct collector *c)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0)
			return;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			c->children_left = false; /* ECHILD */
			return;
		}
		if (c->root_job && pid == c->root_pid) {
			c->root_job->job.root_exited = true;
			c->root_job->job.root_status = status;
			c->root_job->job.root_end_ns = util__now_ns();
		}
	}
}

const sigset_t *collector__child_sigmask(const struct collector *c)
{
	return &c->old_mask;
}

int collector__attach_existing(struct collector *c)
{
	return c->ops->attach_existing(c);
}

/* ---- the loop ---- */

static int loop_setup(struct collector *c)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGCHLD);
	for (size_t i = 0; i < c->nsigs; i++)
		sigaddset(&mask, c->sigs[i].signo);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	c->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->epfd < 0 || c->timerfd < 0 || c->sigfd < 0)
		return -errno;
	err = arm_timer(c);
	if (err)
		return err;
	ev.data.fd = c->ops->fd(c);
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	ev.data.fd = c->timerfd;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->timerfd, &ev))
		return -errno;
	ev.data.fd = c->sigfd;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->sigfd, &ev))
		return -errno;
	for (size_t i = 0; i < c->nfds; i++) {
		ev.events = c->fds[i].events;
		ev.data.fd = c->fds[i].fd;
		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->fds[i].fd, &ev))
			return -errno;
	}
	return 0;
}

/*
 * A signal typed at the terminal reaches the whole foreground process group,
 * the job included; one sent with kill(2) reaches only us, so pass it on.
 */
static void on_signals(struct collector *c)
{
	struct signalfd_siginfo si;

	while (read(c->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		bool front = false;

		if (si.ssi_signo == SIGCHLD)
			continue;
		for (size_t i = 0; i < c->nsigs; i++) {
			if (c->sigs[i].signo == (int)si.ssi_signo) {
				c->sigs[i].fn(c->sigs[i].ctx, (int)si.ssi_signo);
				front = true;
			}
		}
		if (front)
			continue;
		c->signals++;
		if (c->root_job) {
			if (!c->root_job->job.root_exited && si.ssi_code <= 0)
				kill(c->root_pid, (int)si.ssi_signo);
		} else {
			c->stopping = true;
		}
	}
}

static void on_front_fd(struct collector *c, int fd, __u32 events)
{
	for (size_t i = 0; i < c->nfds; i++) {
		if (c->fds[i].fd == fd) {
			c->fds[i].fn(c->fds[i].ctx, fd, events);
			return;
		}
	}
}

static void flush_sinks(struct collector *c)
{
	for (size_t i = 0; i < c->nsinks; i++)
		if (c->sinks[i]->ops->flush)
			c->sinks[i]->ops->flush(c->sinks[i]);
}

int collector__run(struct collector *c)
{
	__u64 deadline = 0;
	bool done, ticked, sampled;
	int err;

	c->interval_ns = (__u64)(c->opts.interval_s * 1e9);
	err = loop_setup(c);
	if (err)
		return err;
	if (c->opts.duration_s > 0)
		deadline = c->start_ns + (__u64)(c->opts.duration_s * 1e9);
	sample_jobs(c);
	if (c->opts.host_records)
		sample_host(c, util__now_ns());
	c->next_interval_ns = util__now_ns() + c->interval_ns;

	while (!c->stopping) {
		struct epoll_event events[16];
		__u64 now, expirations;
		int n;

		n = epoll_wait(c->epfd, events, 16, -1);
		if (n < 0 && errno != EINTR)
			return -errno;
		ticked = false;
		for (int i = 0; i < n; i++) {
			if (events[i].data.fd == c->sigfd) {
				on_signals(c);
			} else if (events[i].data.fd == c->timerfd) {
				while (read(c->timerfd, &expirations, sizeof(expirations)) > 0)
					;
				ticked = true;
			} else {
				on_front_fd(c, events[i].data.fd, events[i].events);
			}
		}
		c->ops->consume(c);
		if (c->root_job)
			reap(c);
		now = util__now_ns();
		if (deadline && now >= deadline)
			break;
		/*
		 * Intervals are the timer's: a tick half a tick early is the
		 * interval's, and a wakeup for records is never one.
		 */
		sampled = false;
		if (c->interval_ns && ticked && now + c->tick_ns / 2 >= c->next_interval_ns) {
			sample_jobs(c);
			sampled = true;
			for (size_t i = 0; i < c->jt.n; i++) {
				if (!c->jt.jobs[i]->ended)
					emit_interval(c, c->jt.jobs[i], now);
			}
			if (c->opts.host_records)
				sample_host(c, now);
			while (c->next_interval_ns <= now + c->tick_ns / 2)
				c->next_interval_ns += c->interval_ns;
		} else if (c->root_job ? c->root_job->job.root_exited : ticked) {
			/*
			 * Samples walk every task: watch takes them on its timer, not
			 * on every batch of records a busy host wakes it for; run
			 * needs them only once its root is gone, and then at once.
			 */
			sample_jobs(c);
			sampled = true;
		}
		/* A second interrupt: stop waiting for what outlives the root. */
		if (c->root_job && c->signals >= 2 && c->root_job->job.root_exited)
			break;
		/* Ends are judged on fresh samples only: "two empty samples in a row" counts samples. */
		done = sampled && end_jobs(c, false);
		/*
		 * What this pass wrote reaches the files now: host mode runs for
		 * days, and a job's report or a process record must not wait in
		 * a buffer until the next interval, or the exit.
		 */
		flush_sinks(c);
		if (done)
			return 0;
	}
	/* Stopped (a signal, --duration): every job still open reports as it stands. */
	end_jobs(c, true);
	/* Now, not in collector__free(): a write that fails must reach the stats. */
	flush_sinks(c);
	return 0;
}

void collector__stats(struct collector *c, struct collector_stats *out)
{
	struct collector_stats s = c->stats;

	c->ops->counters(c, &s.kernel);
	s.records_malformed = c->records_malformed;
	s.sink_errors = 0;
	s.first_sink_error = 0;
	for (size_t i = 0; i < c->nsinks; i++) {
		if (c->sinks[i]->err) {
			s.sink_errors++;
			if (!s.first_sink_error)
				s.first_sink_error = c->sinks[i]->err;
		}
	}
	*out = s;
}
