/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by bpf/lineage.bpf.c and user space: the job-lineage maps and
 * the exit record on the ring buffer. This is an ABI: fixed-width fields,
 * explicit padding, every size asserted. Records that leave the process
 * start with a version and a type.
 */
#ifndef JOBTRACE_LINEAGE_H
#define JOBTRACE_LINEAGE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define JT_ABI_VERSION 1
#define JT_COMM_LEN 16

enum jt_record_type {
	JT_REC_EXIT = 1,
};

/* Where a process's peak RSS came from (see jt_exit_event.peak_rss_source). */
enum jt_rss_source {
	JT_RSS_NONE = 0,
	JT_RSS_MM_HIWATER = 1, /* the exiting mm's own high-water mark */
	JT_RSS_SIGNAL_MAXRSS = 2, /* signal->maxrss: includes the pre-exec image */
};

/*
 * What a thread leaves behind when it is gone: its exact CPU, the kernel's
 * tick-sampled split of it, and its own I/O. Summed per process (jt_proc),
 * per job (jt_job_totals.exited) and sent in the exit record.
 */
struct jt_acct {
	__u64 cpu_ns; /* sum_exec_runtime */
	__u64 utime_ns;
	__u64 stime_ns;
	__u64 read_bytes; /* storage I/O */
	__u64 write_bytes;
	__u64 read_chars; /* read(2)/write(2)-level I/O */
	__u64 write_chars;
};

/*
 * A process (thread group) is named by its tgid and its leader's
 * start_boottime: pids are reused, the pair is not.
 */
struct jt_proc_key {
	__u32 tgid;
	__u32 pad;
	__u64 start_ns;
};

/*
 * Per-thread state, kept in BPF task storage: it lives and dies with the
 * task_struct, so pid reuse cannot mix two tasks. Written by user space only
 * for a job's root (through a pidfd); everything else joins at fork.
 */
struct jt_task {
	__u64 job_id;
	__u64 cpu_base_ns; /* sum_exec_runtime already folded into the job */
	__u64 peak_rss_pages; /* set at a group-dead exit when the mm is still there */
	__u32 exit_status; /* wait(2) status, set at a group-dead exit */
	__u8 group_dead; /* this thread's exit ended its process */
	__u8 exiting;
	__u8 rss_source; /* enum jt_rss_source */
	__u8 pad;
};

/* Per-process entry of the `procs` map: lineage recorded once, at fork. */
struct jt_proc {
	__u64 job_id;
	struct jt_proc_key parent; /* the forking process, never updated */
	struct jt_acct acct; /* its exited threads */
	__u32 threads; /* threads ever started in it, the main one included */
	__u32 pad;
	char comm[JT_COMM_LEN];
};

/*
 * A job's shared state (map `jobs`, indexed by job id): what must be one
 * number across CPUs. A slot whose root_tgid is 0 holds no job.
 */
struct jt_job {
	__u32 root_tgid;
	__u32 pad;
	__s64 alive; /* processes alive now */
	__u64 max_alive;
	__s64 outlived_root; /* alive when the root exited; -1 until then */
};

/*
 * A job's additive totals, one copy per CPU (map `job_totals`), so that the
 * hot paths never bounce a shared cache line between CPUs. Updated in the
 * kernel as events happen: a lost ring record loses no totals.
 */
struct jt_job_totals {
	__u64 procs_started;
	__u64 procs_exited;
	__u64 threads_started; /* threads beyond each process's first */
	__u64 execs;
	__u64 exit_ok;
	__u64 exit_error;
	__u64 exit_signal;
	__u64 cpu_ns; /* on-CPU time: exited threads exactly, live ones to their last switch */
	struct jt_acct exited; /* exited threads only */
	__u64 peak_rss_bytes; /* the largest process (a max, not a sum) */
	__u64 events_sent;
	__u64 events_lost; /* ring buffer full: records lost, totals kept */
	__u64 untracked; /* tasks that could not join: task storage allocation failed */
	__u64 procs_map_full; /* processes counted but missing from the procs map */
};

#ifndef __bpf__
/* A job as user space reads it: jt_job and the per-CPU totals, merged. */
struct jt_job_stats {
	__u32 root_tgid;
	__u32 pad0;
	__s64 alive;
	__u64 max_alive;
	__s64 outlived_root;
	__u64 procs_started;
	__u64 procs_exited;
	__u64 threads_started;
	__u64 execs;
	__u64 exit_ok;
	__u64 exit_error;
	__u64 exit_signal;
	__u64 cpu_ns;
	struct jt_acct exited;
	__u64 peak_rss_bytes;
	__u64 events_sent;
	__u64 events_lost;
	__u64 untracked;
	__u64 procs_map_full;
};
#endif

/* Global counters, one slot per CPU (map `counters`). */
struct jt_counters {
	__u64 events_sent;
	__u64 events_lost;
	__u64 untracked;
	__u64 procs_map_full;
	__u64 jobs_missing; /* a tracked task whose job entry was gone */
};

/* The exit record: one per process (thread group), sent when it is gone. */
struct jt_exit_event {
	__u16 version; /* JT_ABI_VERSION */
	__u16 type; /* JT_REC_EXIT */
	__u32 size; /* sizeof(struct jt_exit_event) */
	__u64 job_id;
	__u32 pid; /* tgid */
	__u32 ppid; /* the parent at fork, not after reparenting */
	__u64 start_ns; /* CLOCK_BOOTTIME */
	__u64 parent_start_ns;
	__u64 exit_ns; /* CLOCK_BOOTTIME */
	__u32 exit_status; /* wait(2) status */
	__u32 threads;
	struct jt_acct acct; /* all its threads */
	__u64 peak_rss_bytes;
	__u8 peak_rss_source; /* enum jt_rss_source */
	__u8 is_root;
	__u8 pad[6];
	char comm[JT_COMM_LEN];
};

_Static_assert(sizeof(struct jt_acct) == 56, "jt_acct ABI");
_Static_assert(sizeof(struct jt_proc_key) == 16, "jt_proc_key ABI");
_Static_assert(sizeof(struct jt_task) == 32, "jt_task ABI");
_Static_assert(sizeof(struct jt_proc) == 104, "jt_proc ABI");
_Static_assert(sizeof(struct jt_job) == 32, "jt_job ABI");
_Static_assert(sizeof(struct jt_job_totals) == 160, "jt_job_totals ABI");
_Static_assert(sizeof(struct jt_counters) == 40, "jt_counters ABI");
_Static_assert(sizeof(struct jt_exit_event) == 144, "jt_exit_event ABI");

#ifndef __bpf__
/* User-space side: the loader and reader of the lineage maps (user/lineage.c). */
#include <stdbool.h>
#include <sys/types.h>

struct lineage;

typedef int (*lineage_exit_fn)(void *ctx, const struct jt_exit_event *e);

struct lineage_opts {
	__u32 max_procs; /* procs map entries; 0: the kernel's pid_max */
	__u32 max_jobs; /* jobs map slots; job ids are 1 .. max_jobs - 1; 0: 64 */
	__u32 ring_bytes; /* ring buffer size, rounded up to a power of two; 0: 1 MiB */
	bool verbose; /* pass libbpf's messages (the verifier log) through */
	lineage_exit_fn on_exit; /* called for every exit record, in order */
	void *ctx;
};

/*
 * Checks privileges and BTF, loads and attaches the programs. NULL with
 * errno set on failure, after printing one line that says what is wrong
 * and what to do.
 */
struct lineage *lineage__open(const struct lineage_opts *opts);
void lineage__free(struct lineage *lt);

/* Makes @root (which must not have forked yet) the root of job @job_id (a slot). */
int lineage__add_job(struct lineage *lt, __u64 job_id, pid_t root);
int lineage__remove_job(struct lineage *lt, __u64 job_id);
int lineage__job_stats(struct lineage *lt, __u64 job_id, struct jt_job_stats *out);
/* The global counters, summed over CPUs. */
int lineage__counters(struct lineage *lt, struct jt_counters *out);

/* The ring buffer's epoll-able fd, and a non-blocking read of all pending records. */
int lineage__ring_fd(const struct lineage *lt);
int lineage__consume(struct lineage *lt);

/* Calls @fn for each live process of job @job_id in the procs map. */
int lineage__for_each_proc(struct lineage *lt, __u64 job_id,
			   int (*fn)(void *ctx, const struct jt_proc_key *key,
				     const struct jt_proc *proc),
			   void *ctx);
int lineage__forget_proc(struct lineage *lt, const struct jt_proc_key *key);

static inline void jt_acct__add(struct jt_acct *dst, const struct jt_acct *src)
{
	dst->cpu_ns += src->cpu_ns;
	dst->utime_ns += src->utime_ns;
	dst->stime_ns += src->stime_ns;
	dst->read_bytes += src->read_bytes;
	dst->write_bytes += src->write_bytes;
	dst->read_chars += src->read_chars;
	dst->write_chars += src->write_chars;
}

/* Decodes a ring record into @out; -EPROTO when its header does not match. */
int lineage__decode_exit(const void *data, size_t size, struct jt_exit_event *out);

/* Sizes the loader would use on this machine: pid_max, or @fallback. */
__u32 lineage__pid_max(__u32 fallback);
#endif /* __bpf__ */

#endif /* JOBTRACE_LINEAGE_H */
