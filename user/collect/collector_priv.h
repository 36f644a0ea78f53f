/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The collector's state, shared by its own files (collector.c: the source,
 * the sinks, the fronts' fds; collector_records.c: the source's records;
 * collector_loop.c: the loop; collector_end.c: the jobs' ends;
 * collector_sample.c: the samples; collector_follow.c: what the fronts ask
 * to follow). Not
 * for fronts, sinks or sources: they use include/jobtrace/collector.h.
 */
#ifndef JOBTRACE_COLLECTOR_PRIV_H
#define JOBTRACE_COLLECTOR_PRIV_H

#include <signal.h>

#include "jobtrace/args_table.h"
#include "jobtrace/cgroup_names.h"
#include "jobtrace/cgroupfs.h"
#include "jobtrace/collector.h"
#include "jobtrace/oom.h"
#include "jobtrace/host.h"
#include "jobtrace/job_table.h"
#include "jobtrace/repair.h"
#include "jobtrace/source.h"
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
	struct lineage_opts source_opts; /* the loader's, from @opts (collector__source_opts()) */
	const struct cgroup_hier *hier; /* host mode by cgroup: opts.grouping's hierarchy */
	const struct source_ops *ops;
	void *source_priv;
	bool source_open;
	struct sink *sinks[MAX_SINKS];
	size_t nsinks;

	struct job_table jt;

	struct args_table args; /* of live processes, for their exit records */

	int epfd, timerfd, sigfd, proc_fd;
	/*
	 * In the host's pid namespace: /proc numbers processes as the kernel's
	 * records do. Elsewhere a host pid names another process there, or none.
	 */
	bool host_pidns;
	__u64 start_ns; /* CLOCK_MONOTONIC */
	__u64 last_sample_ns;
	unsigned int online_cpus; /* at the last sample; 0: not known */
	bool live_complete; /* the last sample's live read saw every task */
	__u64 attached_ns; /* when collector__attach_existing() was done; 0: no attach */
	bool stopping;
	bool sample_soon; /* collector__sample_soon(): judge the ends at this turn */
	__u64 tick_ns; /* the loop's timer */
	__u64 page_size;
	__u64 mem_total_bytes; /* /proc/meminfo's MemTotal at the start; 0: unknown */
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
	bool host_taken; /* hsamp[hcur] was read with the jobs' last sample, not yet recorded */
	/*
	 * The host's fork counter as recorded (never below the jobs' starts:
	 * collector__take_host()), and the jobs' starts read since it was.
	 */
	__u64 host_forks, jobs_started_since_host;
	/*
	 * The CPU the last intervals of jobs ended since the last tick's
	 * intervals brought: the open jobs' share of the next tick's CPUs'
	 * time is less by as much. ends_counted: this pass's ends were
	 * counted already, at its tick (collector__emit_intervals()).
	 */
	__u64 ends_cpu_ns;
	bool ends_counted;
	bool ends_read; /* this pass read the over jobs' figures again: collector__read_ends() */
	/* The stop's last pass: every job open reports, those its read again finds too. */
	bool final_pass;
	/*
	 * Jobs that ended without records the kernel had sent (counted lost in
	 * their reports), the latest few: a record of one that comes later is
	 * counted here, not made a job of its own (collector__on_exit()).
	 */
	struct late_job {
		__u64 id;
		__u64 last_exit_ns; /* the job's last exit, the kernel's CLOCK_BOOTTIME stamp */
		__u64 missing;
	} late_jobs[16];
	unsigned int late_next;
	bool have_host_forks;

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
	struct oom_resolver oom; /* which memory limit an OOM kill hit */
};

/* A CLOCK_BOOTTIME stamp of the kernel's, on the CLOCK_MONOTONIC the jobs' times use. */
static inline __u64 collector__mono_of_boottime(__u64 boot_ns)
{
	/* The time suspended; read in this order it may come out a hair below 0. */
	__s64 gap = (__s64)(util__boottime_ns() - util__now_ns());

	return (__s64)boot_ns > gap ? (__u64)((__s64)boot_ns - gap) : 0;
}

/*
 * What @j's cgroups allot it, read once, from its process @pid as /proc
 * numbers it; left unread, for a later try, where @pid is gone or exiting
 * (its cgroups no longer said: cgroup_alloc__of_pid()).
 */
void collector__read_alloc(struct cjob *j, int pid);
/* The job of a record: an open one, or (host mode) one the kernel made, now named. */
struct cjob *collector__job_of_record(struct collector *c, __u64 id);
/* The clocks' offsets the next pass's records are stamped with (collector_loop.c). */
void collector__take_clocks(struct collector *c);
/* The loop's timer, at the tick the front's interval and the mode ask for. */
int collector__arm_timer(struct collector *c);
/*
 * Reads every job's totals, then (@host) the host's counters, then the live
 * tasks; updates each job's cumulative figures.
 */
int collector__sample_jobs(struct collector *c, bool host);
/* The job's interval since the last one it reported, up to @t1, all of it; then a new base. */
void collector__emit_interval(struct collector *c, struct cjob *j, __u64 t1);
/* Every open job's interval up to @t1, their CPU within what the CPUs could give. */
void collector__emit_intervals(struct collector *c, __u64 t1);
/* Judges, on the sample just taken, which open jobs are over (@all: every one): cjob.over. */
void collector__judge_ends(struct collector *c, bool all);
/*
 * Where any job was judged over: every record in, then every job's figures
 * read again (and @host, the host's counters with them), before their ends
 * (collector__end_jobs()) report them, and before the tick's intervals make
 * room for what the ends send. Once a pass. True when any job is over.
 */
bool collector__read_ends(struct collector *c, bool host);
/* Reports the jobs judged over; true when the collector should stop. */
bool collector__end_jobs(struct collector *c);
/* Reads the host's counters now, as the sample at @now; collector__emit_host() records them. */
void collector__take_host(struct collector *c, __u64 now);
/* The host record of the interval the last host sample ended (the first only sets the base). */
void collector__emit_host(struct collector *c);

/* The loader's options from what the front asked (user/collect/collector_group.c). */
void collector__source_opts(const struct collector_opts *o, struct lineage_opts *lo);

/*
 * The most tasks of @j that can have run since its last interval record
 * (collector_sample.c); false where that is not known.
 */
bool collector__tasks_bound(const struct collector *c, const struct cjob *j,
			    const struct cjob_cum *now, __u64 *out);

#endif
