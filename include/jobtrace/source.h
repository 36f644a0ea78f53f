/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The collector's event sources (user/collect/source_*.c) and what they
 * call back: the contract between the collector and a source, private to
 * the two. A front picks a source by name (collector__set_mode()) and says
 * what to follow through include/jobtrace/collector.h; it never calls a
 * source's ops.
 */
#ifndef JOBTRACE_SOURCE_H
#define JOBTRACE_SOURCE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <sys/types.h>

#include "jobtrace/collector.h"
#include "jobtrace/lineage.h"

/*
 * The event source, as quark's queue ops: the collector calls these and
 * never the BPF loader directly, so a BPF-free source (the proc connector)
 * can stand in later.
 */
struct source_ops {
	const char *name; /* "bpf" */
	int (*open)(struct collector *c, const struct lineage_opts *opts);
	void (*close)(struct collector *c);
	int (*fd)(struct collector *c); /* epoll-able; readable when records wait */
	int (*consume)(struct collector *c); /* hands pending records to the collector */
	/*
	 * run: jobtrace is about to reap its child @pid, a zombie (waitid with
	 * WNOWAIT found it): the last moment its /proc entry can be read. May be NULL.
	 */
	void (*reaping)(struct collector *c, pid_t pid);
	int (*add_root)(struct collector *c, __u64 job_id, pid_t root);
	int (*add_empty)(struct collector *c, __u64 job_id, __s32 cgroup_hierarchy);
	int (*add_attach_root)(struct collector *c, __u64 job_id, pid_t pid, __u64 start_ns,
			       __u64 slack_ns);
	int (*add_watch_cgroup)(struct collector *c, __u64 job_id, __u64 cgid, __s32 hierarchy);
	int (*attach_existing)(struct collector *c);
	int (*job_stats)(struct collector *c, __u64 job_id, struct jt_job_stats *out);
	int (*for_each_job)(struct collector *c, int (*fn)(void *ctx, __u64 job_id), void *ctx);
	int (*read_live)(struct collector *c, int (*fn)(void *ctx, const struct jt_live_rec *r),
			 void *ctx);
	int (*remove_job)(struct collector *c, __u64 job_id);
	/*
	 * Where job @job_id's peak RSS, as job_stats() gave it last, came from
	 * (enum job_rss_from); NULL: from its exit records.
	 */
	int (*peak_rss_from)(struct collector *c, __u64 job_id);
	int (*counters)(struct collector *c, struct jt_counters *out);
	/*
	 * The memory cgroup whose limit the OOM kill of process @key hit (its
	 * exit record says JT_F_OOM_LIMIT), as the kernel saw it then, taken:
	 * asked once per record. NULL: the source has none.
	 */
	int (*oom_cgroup)(struct collector *c, const struct jt_proc_key *key,
			  struct jt_oom_cgroup *out);
	/*
	 * The repair sweep (user/collect/repair.c); NULL: none. Every process
	 * the source counts alive, and the removal of one that is gone: 0 when
	 * removed and its job's count fixed, -ENOENT when its exit came first.
	 */
	int (*for_each_proc)(struct collector *c,
			     int (*fn)(void *ctx, const struct jt_proc_key *key, __u64 job_id),
			     void *ctx);
	int (*drop_proc)(struct collector *c, const struct jt_proc_key *key, __u64 *job_id);
	/*
	 * serve --control: a running process and its future tree join @job_id
	 * (@flags: JT_ADOPT_*); may be NULL.
	 */
	int (*adopt)(struct collector *c, __u64 job_id, pid_t pid, __u64 start_ns, __u64 slack_ns,
		     __u64 flags);
	/*
	 * ATTACH: as adopt, with the descendants already running (counted
	 * existing; JT_ADOPT_UID: only @uid's, the others in @left_out); may be NULL.
	 */
	int (*adopt_tree)(struct collector *c, __u64 job_id, pid_t pid, __u64 start_ns,
			  __u64 slack_ns, __u64 flags, uid_t uid, unsigned long *left_out);
	/*
	 * What the source cannot know (enum job_unknown in job.h: the reports
	 * write those figures as null) and reads by polling /proc (enum
	 * job_sampled). A source with @polled is sampled on every tick of
	 * the loop, not only once run's root is gone: its live view is a walk.
	 */
	unsigned int unknown;
	unsigned int sampled;
	bool polled;
	/*
	 * Its exit records come through a ring in the order they were
	 * reserved: one not yet committed holds back those after it, which
	 * the kernel has counted sent (collector__read_ends() waits for them).
	 */
	bool ring_ordered;
	/*
	 * read_live() gives a record per task, threads apart (not one per
	 * process): the tasks it counts bound the CPU a job can use.
	 */
	bool live_per_task;
};

extern const struct source_ops source_bpf_ops;
extern const struct source_ops source_proc_ops; /* netlink proc connector + /proc: no BPF */
/*
 * run's last resort, for a user who may neither load BPF nor join the proc
 * connector: jobtrace as the job's parent and subreaper, getrusage() of the
 * reaped tree, /proc walks of its live descendants. run alone can use it.
 */
extern const struct source_ops source_rusage_ops;

/* For the source: the collector's handlers of records and its private slot. */
int collector__on_exit(struct collector *c, const struct jt_exit_event *e);
int collector__on_exec(struct collector *c, const struct jt_exec_event *e);
int collector__on_fork(struct collector *c, const struct jt_fork_event *e);
/* A process found running at the attach: its arguments from /proc, for its exit record. */
int collector__on_attach(struct collector *c, const struct jt_attach_rec *r);
/* A source that removed a process gone unseen (proc mode's resync): the job counts a repair. */
void collector__on_repair(struct collector *c, __u64 job_id);
void **collector__source_priv(struct collector *c);
__u64 *collector__malformed_counter(struct collector *c);

#ifdef __cplusplus
}
#endif

#endif
