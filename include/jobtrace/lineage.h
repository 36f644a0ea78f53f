/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF loader of bpf/lineage.bpf.c (user/bpf/lineage.c): its options,
 * and the loading, reading and decoding of the lineage maps and ring. The
 * collector's BPF source (user/collect/source_bpf.c) is its user; the
 * records both sides share are include/jobtrace/lineage_abi.h.
 */
#ifndef JOBTRACE_LINEAGE_H
#define JOBTRACE_LINEAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "jobtrace/lineage_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lineage;

typedef int (*lineage_exit_fn)(void *ctx, const struct jt_exit_event *e);
typedef int (*lineage_exec_fn)(void *ctx, const struct jt_exec_event *e);
typedef int (*lineage_fork_fn)(void *ctx, const struct jt_fork_event *e);

struct lineage_opts {
	__u32 max_procs; /* procs map entries; 0: the kernel's pid_max */
	__u32 max_jobs; /* jobs map entries; 0: 4096 */
	__u32 ring_bytes; /* ring buffer size, rounded up to a power of two; 0: 1 MiB */
	enum jt_group group; /* how jobs are made */
	/*
	 * A v1 hierarchy is named by its controller: the loader takes the
	 * controller's subsystem id from the kernel's BTF, and the *_ssid
	 * here (its line in /proc/cgroups, cgroupfs__find()) only where that
	 * BTF has no enum cgroup_subsys_id.
	 */
	__s32 cgrp_ssid; /* JT_GROUP_CGROUP: -1 for v2, else the v1 controller's line */
	char cgrp_controller[32]; /* JT_GROUP_CGROUP: "" for v2, else the v1 controller */
	__s32 hierarchy_id; /* JT_GROUP_CGROUP: that hierarchy's id (0 for v2) */
	bool follow_cgroups; /* watch --cgroup: cgroup moves join and leave jobs */
	__s32 watch_ssid; /* follow_cgroups: the watched cgroups' hierarchy, -1 v2, else v1 */
	char watch_controller[32]; /* follow_cgroups: "" for v2, else the v1 controller */
	bool capture_args; /* exec records with argv */
	bool fork_records; /* a record per new process (serve --stream); run and watch need none */
	bool attach; /* load the attach iterator (watch): it costs ~0.1 s of verifying */
	bool adopt; /* load the adopt iterator (serve --control): ~0.7 s of verifying */
	bool verbose; /* pass libbpf's messages (the verifier log) through */
	lineage_exit_fn on_exit; /* called for every exit record, in order */
	lineage_exec_fn on_exec; /* called for every exec record */
	lineage_fork_fn on_fork; /* called for every fork record */
	void *ctx;
	/* Counts records that failed to decode (a version or size mismatch). */
	__u64 *malformed;
};

/*
 * Checks privileges and BTF, loads and attaches the programs. NULL with
 * errno set on failure, after printing one line that says what is wrong
 * and what to do.
 */
struct lineage *lineage__open(const struct lineage_opts *opts);
void lineage__free(struct lineage *lt);

/* Makes @root (which must not have forked yet) the root of a new job @job_id. */
int lineage__add_job(struct lineage *lt, __u64 job_id, pid_t root);
/*
 * A job with no root (watch): its processes are found by the attach
 * iterator and joined at fork; @cgroup_hierarchy >= 0 makes its membership
 * follow the cgroups of that hierarchy.
 */
int lineage__add_empty_job(struct lineage *lt, __u64 job_id, __s32 cgroup_hierarchy);
/*
 * watch --pid: @pid and its descendants form job @job_id. @start_ns (within
 * @slack_ns: /proc gives clock ticks) tells it from a later process with its pid.
 */
int lineage__add_attach_root(struct lineage *lt, __u64 job_id, pid_t pid, __u64 start_ns,
			     __u64 slack_ns);
/*
 * serve --control: the running process @pid (started at @start_ns, within
 * @slack_ns) leaves its job, threads and all, and joins @job_id, made with
 * lineage__add_empty_job(); its descendants from now on join it too. The
 * first process adopted is the job's root. -ESRCH when it is gone or ending;
 * with JT_ADOPT_NOT_ADOPTED in @flags, -EBUSY when it is in an adopted job.
 */
int lineage__adopt(struct lineage *lt, __u64 job_id, pid_t pid, __u64 start_ns, __u64 slack_ns,
		   __u64 flags);
/*
 * serve --control ATTACH: as lineage__adopt(), @pid with its descendants
 * already running (counted existing at the attach); with JT_ADOPT_UID in
 * @flags only those whose real uid is @uid, the others and their subtrees
 * left where they are and counted in @left_out. @fn sees each process
 * adopted. The root's errors are lineage__adopt()'s, and then nothing moved.
 */
int lineage__adopt_tree(struct lineage *lt, __u64 job_id, pid_t pid, __u64 start_ns,
			__u64 slack_ns, __u64 flags, uid_t uid,
			int (*fn)(void *ctx, const struct jt_attach_rec *r), void *ctx,
			unsigned long *left_out);
/* watch --cgroup: the cgroup with kernfs id @cgid (and below) forms job @job_id. */
int lineage__add_watch_cgroup(struct lineage *lt, __u64 job_id, __u64 cgid, __s32 hierarchy_id);
/*
 * Tags the tasks already running that belong to a job: two passes of the
 * attach iterator (see bpf/lineage.bpf.c). @fn, when set, sees each task tagged.
 */
int lineage__attach_existing(struct lineage *lt,
			     int (*fn)(void *ctx, const struct jt_attach_rec *r), void *ctx);
/* Every live task of every job, one record each, from the live iterator. */
int lineage__read_live(struct lineage *lt, int (*fn)(void *ctx, const struct jt_live_rec *r),
		       void *ctx);
int lineage__remove_job(struct lineage *lt, __u64 job_id);
/* The kernel's totals for a job (exited threads only: add the live records). */
int lineage__job_stats(struct lineage *lt, __u64 job_id, struct jt_job_stats *out);
/* Calls @fn for every job in the kernel's map. */
int lineage__for_each_job(struct lineage *lt, int (*fn)(void *ctx, __u64 job_id), void *ctx);
/* The global counters, summed over CPUs. */
int lineage__counters(struct lineage *lt, struct jt_counters *out);
/*
 * The memory cgroup whose limit the OOM kill of process @key hit (its exit
 * record says JT_F_OOM_LIMIT), as the kernel saw it at the kill, taken from
 * the map: 0, or -ENOENT when not there.
 */
int lineage__oom_cgroup(struct lineage *lt, const struct jt_proc_key *key,
			struct jt_oom_cgroup *out);

/*
 * The repair sweep's view: every entry of the procs map (@fn sees its key and
 * job) but those outside user space's pid namespace (JT_F_OUTSIDE_NS), which
 * no live read shows alive or dead; and the removal of one found gone: 0
 * when this call removed it (its job counts it gone, once), -ENOENT when its
 * exit took it first.
 */
int lineage__for_each_proc(struct lineage *lt,
			   int (*fn)(void *ctx, const struct jt_proc_key *key, __u64 job_id),
			   void *ctx);
int lineage__drop_proc(struct lineage *lt, const struct jt_proc_key *key, __u64 *job_id);

/* The ring buffer's epoll-able fd, and a non-blocking read of all pending records. */
int lineage__ring_fd(const struct lineage *lt);
int lineage__consume(struct lineage *lt);


/* Decodes a ring record into @out; -EPROTO when its header does not match. */
int lineage__decode_exit(const void *data, size_t size, struct jt_exit_event *out);
int lineage__decode_exec(const void *data, size_t size, struct jt_exec_event *out);
int lineage__decode_fork(const void *data, size_t size, struct jt_fork_event *out);

/* Sizes the loader would use on this machine: pid_max, or @fallback. */
__u32 lineage__pid_max(__u32 fallback);

#ifdef __cplusplus
}
#endif

#endif /* JOBTRACE_LINEAGE_H */
