/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A job as user space sees it: the kernel's totals for it, its root's fate,
 * and what the exit records add (a per-command breakdown).
 */
#ifndef JOBTRACE_JOB_H
#define JOBTRACE_JOB_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "jobtrace/job_live.h"
#include "jobtrace/cgroup_alloc.h"
#include "jobtrace/hmap.h"
#include "jobtrace/lineage_abi.h"

struct job_command {
	struct hmap_node node; /* in job.commands, hashed on comm */
	char comm[JT_COMM_LEN + 1]; /* NUL-terminated copy; may hold any bytes */
	__u64 processes;
	__u64 cpu_ns;
	__u64 peak_rss_bytes;
	__u64 exit_error; /* non-zero exits and deaths by signal */
};

/* A process of the job that failed, kept for the report (the first few). */
#define JOB_MAX_FAILED 10
#define JOB_FAILED_ARGS 160
/*
 * A process the OOM killer took, attributed: the memory cgroup whose limit
 * it hit and that limit, or a global OOM (no limit on the way: the host ran
 * out), and its RSS when it was chosen.
 */
#define JOB_OOM_CGROUP_LEN 256
struct job_oom {
	bool killed; /* the OOM killer chose it: not a kill -9 */
	bool global; /* no memory cgroup limit above it: the host ran out */
	bool limit_known; /* @cgroup and @limit_bytes say which limit it hit */
	/*
	 * The kernel named that limit at the kill; not set where it was found
	 * after (the nearest limit above the cgroup, hit at some time or not).
	 */
	bool limit_seen;
	bool rss_known;
	__u64 limit_bytes;
	__u64 rss_bytes;
	char hierarchy[32]; /* "cgroup1:memory", "cgroup2" */
	char cgroup[JOB_OOM_CGROUP_LEN]; /* the path in it, "/x" */
};

struct job_failure {
	__u32 pid;
	__u32 status; /* wait(2) status */
	char comm[JT_COMM_LEN + 1];
	char args[JOB_FAILED_ARGS]; /* argv joined by spaces, cut; "" when unknown */
	__u32 uid; /* its real uid at exit; JT_ID_UNKNOWN: not known */
	struct job_oom oom;
};

/*
 * What a job's source cannot know (rusage mode: jobtrace is the job's parent
 * and subreaper, and nothing more): those figures are written as null, never
 * as 0. Set by the collector from source_ops.unknown when the job ends.
 */
enum job_unknown {
	JOB_UNKNOWN_COUNTS = 1 << 0, /* processes started/exited/alive, exit classes, execs, threads */
	JOB_UNKNOWN_CHARS = 1 << 1, /* rchar/wchar (read/write syscalls' bytes) */
	JOB_UNKNOWN_RECORDS = 1 << 2, /* no per-process records: events sent/received/lost */
	JOB_UNKNOWN_CPU = 1 << 3, /* descendants were left unreaped: the tree's CPU is partial */
	JOB_UNKNOWN_OOM = 1 << 4, /* no OOM kill is marked in this mode (proc, rusage) */
};

/* Figures read by polling /proc rather than from the kernel's own accounting. */
enum job_sampled {
	JOB_SAMPLED_MAX_ALIVE = 1 << 0, /* processes.max_alive: the most a /proc walk saw */
};

/*
 * Where a job's peak RSS (stats.peak_rss_bytes) came from, where its source
 * says (source_ops.peak_rss_from); else from its exit records, as their
 * peak_rss_source says.
 */
enum job_rss_from {
	JOB_RSS_FROM_RECORDS = 0,
	JOB_RSS_FROM_CHILDREN = 1, /* run: the children's ru_maxrss, the kernel's, of all reaped */
	JOB_RSS_FROM_SAMPLES = 2, /* the largest RSS a /proc sample saw: listed as sampled */
};

/*
 * What a batch system gave the job on this node: a Slurm step's CPUs and
 * memory, as its SPANK plugin read them from slurmstepd (REGISTER's alloc=).
 * Kept beside the cgroups' limits (struct cgroup_alloc), never mixed into
 * them: each figure says where it came from.
 */
struct job_sched_alloc {
	char system[16]; /* "slurm"; "": none given */
	bool cpus_known;
	double cpus; /* the step's CPUs on this node */
	bool memory_known;
	__u64 memory_bytes;
	char memory_from[8]; /* "step": the step's own; "job": the job's, the step having none */
	char node[64]; /* the node's name there (slurmd's NodeName); "": not given */
};

/*
 * The allocation a report divides by, a figure at a time: the batch
 * system's where it gave one, else the cgroups' limit; @from names the
 * source of each ("slurm:step", "cpu.max", ...), @cgroup where a cgroup's.
 */
struct job_alloc_view {
	const char *source; /* "slurm" when any figure is the batch system's, else "cgroup" */
	bool cpus_known;
	double cpus;
	const char *cpus_from, *cpus_cgroup; /* cgroup: NULL for the batch system's */
	/* A cgroup quota's period and burst (s), the CPUs it can run on at once; 0: none. */
	double cpus_period_s, cpus_burst_s;
	unsigned int cpus_max;
	bool memory_known;
	__u64 memory_bytes;
	const char *memory_from, *memory_cgroup;
};

/*
 * The kernel's global counters (struct jt_counters) that a job's report
 * names, read at its end: three of its nine, kept in every job of a serve.
 */
struct job_counters {
	__u64 jobs_missing, jobs_map_full, exec_records_lost;
};

/* The processes jobtrace reaped itself (run's root, and orphans reparented to it). */
struct job_reaped {
	__u64 processes, exit_ok, exit_error, exit_signal;
};

struct job {
	__u64 id;
	const char *key; /* the job's name in records: "run", "pid:1234", "cgroup:/a/b" */
	const char *cgroup; /* its cgroup path, when grouped by cgroup */
	const char *mode; /* "run", "watch", "host" */
	const char *source; /* the event source: "bpf", "proc" (source_ops.name) */
	const char *via; /* "serve": counted by a jobtrace serve, asked through its control socket */
	const char *hierarchy; /* "cgroup2", "cgroup1:cpu", or NULL */
	char *const *argv; /* the command, borrowed */
	/*
	 * The 4-byte fields and the flags together, with no hole between them:
	 * serve keeps a job per cgroup (10,000 in its bench), each in a cjob.
	 */
	int argc;
	pid_t root_pid; /* the host's tgid where the kernel told it, else as the front numbered it */
	pid_t root_ns_pid; /* the front's number for it where that differs (a pid namespace); 0 */
	int root_status; /* wait(2) status, valid when root_exited */
	__u32 root_uid; /* its real uid then: the report names other users */
	bool attached; /* watch: its CPU before the attach is not counted */
	bool root_exited;
	bool have_root_uid; /* the root's exit record came, with a uid */
	/* What its cgroups allot was read: job__cgroup_alloc(), below. */
	bool alloc_read;
	__u64 start_ns; /* CLOCK_MONOTONIC */
	__u64 root_end_ns;
	__u64 end_ns;
	struct jt_job_stats stats; /* the kernel's totals, last read */
	struct job_counters counters; /* the kernel's global counters, last read */
	__u64 records; /* exit records received */
	__u64 records_rss_from_mm; /* peak RSS from the mm's own high-water mark */
	/* Sampled from /proc; NULL when not asked for. */
	const struct job_live *live; /* members alive when the report was made */
	const char *workdir_path;
	const struct workdir_usage *workdir;
	__u64 host_mem_bytes; /* the host's memory, for its share of it; 0: unknown */
	/*
	 * What its cgroups allot it (read where it runs); alloc_read (above)
	 * false: not read. @alloc is made only where a limit was found (NULL:
	 * none): serve keeps thousands of jobs, most of them unlimited, and the
	 * two paths in it are 600 bytes. Read it through job__cgroup_alloc().
	 */
	struct cgroup_alloc *alloc;
	/* The batch system's, where a client gave it (NULL: none); job__sched() reads it. */
	struct job_sched_alloc *sched;
	/* Per-command table on comm (user/lib/hmap.c); entries are struct job_command. */
	struct hmap commands;
	/* Up to JOB_MAX_FAILED of them, made at the first failure and grown by doubling: most
	 * jobs have none or one, and serve keeps thousands of jobs. NULL: none yet. */
	struct job_failure *failed;
	/* The two counts in one 8-byte word, as serve keeps thousands of jobs. */
	__u32 ncommands, nfailed;
	__u64 records_malformed; /* ring records that did not decode (all jobs) */
	__u64 add_errors; /* records that could not be folded in (no memory) */
	__u64 stale; /* processes counted alive that were gone: exits missed */
	__u64 repairs; /* such processes the repair sweep found and removed */
	/*
	 * The most by which the kernel's counts could not be true: processes
	 * gone beyond those that came, or alive below 0; at least 1 where alive
	 * at once exceeded all that came (job__check_counts()). 0: none seen.
	 */
	__u64 inconsistent;
	unsigned int unknown; /* enum job_unknown */
	/* In the 4 bytes one unsigned int took: serve keeps thousands of jobs. */
	__u16 sampled; /* enum job_sampled */
	__u8 peak_rss_from; /* enum job_rss_from */
	/* Its report gives its share of host_mem_bytes (run's; watch's never has). */
	bool mem_share;
	/*
	 * run's: counted in every mode, reported where COUNTS is unknown. Made
	 * at the first process jobtrace reaps (NULL: none): serve keeps a job
	 * per cgroup and reaps none of them. Read it through job__reaped().
	 */
	struct job_reaped *reaped;
};

/* Counts a process jobtrace reaped, by its wait(2) status (no memory: job.add_errors). */
void job__note_reaped(struct job *job, int wait_status);
/* What jobtrace reaped of @job; never NULL (all 0 where it reaped none). */
const struct job_reaped *job__reaped(const struct job *job);

void job__init(struct job *job, __u64 id, char *const *argv, int argc);
void job__free(struct job *job);

/*
 * Keeps what @job's cgroups allot it, read: a copy only when @a has a
 * limit. 0 or -ENOMEM (then not read).
 */
int job__set_cgroup_alloc(struct job *job, const struct cgroup_alloc *a);
/* The cgroups' limits: NULL when not read, all unknown when read and none set. */
const struct cgroup_alloc *job__cgroup_alloc(const struct job *job);
/* Keeps a copy of the batch system's allocation; 0 or -ENOMEM. */
int job__set_sched(struct job *job, const struct job_sched_alloc *s);
/* The batch system's allocation; never NULL (system "" where none was given). */
const struct job_sched_alloc *job__sched(const struct job *job);
/* Folds an exit record of this job into the per-command table. */
int job__add_exit(struct job *job, const struct jt_exit_event *e);
/*
 * Fills @out (room for @max) with the commands sorted by CPU, most first
 * (ties by process count, then name); returns how many.
 */
size_t job__top_commands(const struct job *job, const struct job_command **out, size_t max);

/*
 * Keeps a failed process (non-zero exit or a signal) for the report, with
 * its arguments (@args: NUL-separated argv, @len bytes; NULL when unknown),
 * while there is room.
 */
/*
 * Keeps @e in the job's list of failures when it failed: OOM kills first
 * (@oom, NULL when not one), then other deaths by a signal, then non-zero
 * exits, each in the order they came; a full list gives an exit code's
 * place to a death.
 */
void job__note_failure(struct job *job, const struct jt_exit_event *e, const char *args,
		       size_t len, const struct job_oom *oom);

/* Records the exit records lost, for this job: 0 when the report is complete. */
__u64 job__events_lost(const struct job *job);

/*
 * Why the report misses something ("events_lost", "procs_map_full", ...):
 * fills @out (room for @max) and returns how many; 0: the report is complete.
 */
#define JOB_MAX_INCOMPLETE 12
size_t job__incomplete(const struct job *job, const char **out, size_t max);
/* The same reasons as bits (bit i: the i-th name), as the stream carries them. */
__u32 job__incomplete_mask(const struct job *job);
/*
 * Holds @job's counts, just read from its source, to what can be true: alive
 * never below 0, max_alive never above the processes that came (started,
 * existing at the attach, moved in). What had to be clamped, or exits beyond
 * the processes that came, is kept in job->inconsistent, which makes the
 * report incomplete (counts_inconsistent): never a negative count, nor one
 * printed as 2^64 - 1.
 */
void job__check_counts(struct job *job);
/* The names of @mask's reasons, in job__incomplete()'s order. */
size_t job__incomplete_names(__u32 mask, const char **out, size_t max);

/*
 * What @job was given (user/collect/job_alloc.c): false when nothing was
 * read (no cgroup read, no batch system's). @from (2 x @size bytes) holds
 * the names "slurm:step", "slurm:job" the view points to.
 */
bool job__allocation(const struct job *job, struct job_alloc_view *out, char *from, size_t size);
/*
 * CPU seconds over the CPU seconds allocated in the wall time (job__cpu_allocated_s());
 * < 0: not known.
 */
double job__cpu_efficiency(const struct job *job, const struct job_alloc_view *a);
/*
 * The CPU seconds @a allots over @wall_s: allocated CPUs x wall seconds, or,
 * for a quota, what its periods could give (never less): the quota comes
 * whole in each period the wall time touches, so a job of a few periods
 * can run more than CPUs x wall. < 0: not known.
 */
double job__cpu_allocated_s(const struct job_alloc_view *a, double wall_s);
/*
 * The largest process's peak RSS over the memory allocated; < 0: not known,
 * as where that RSS is past the limit (it counts pages charged elsewhere),
 * but for a job the OOM killer found at that very limit (job__oom_at_limit()):
 * its memory reached the whole allocation, 1.
 */
double job__memory_efficiency(const struct job *job, const struct job_alloc_view *a);
/*
 * A process of @job killed by the OOM killer at @a's memory limit, as the
 * kernel named it at the kill: the same bytes and cgroup.
 */
bool job__oom_at_limit(const struct job *job, const struct job_alloc_view *a);
/* The node the job ran on: the batch system's name for it, else this host's name. */
const char *job__node(const struct job *job, char *buf, size_t size);

/*
 * Has @job processes left, as its report stands: those its live read saw,
 * or those the kernel counts alive beyond the ones whose exits were missed
 * (job->stale). The kernel's count has the processes outside jobtrace's
 * pid namespace, which no live read sees (outside_ns). Every output that
 * says "running" or "ended" of a job asks this, so that two of them never
 * disagree about one job.
 */
bool job__running(const struct job *job);

/* A wait(2) status as a shell reports it: the code, or 128 + the signal. */
int job__exit_code(int wait_status);
/*
 * A watched job's status, for a front that exits with it (watch): its root's
 * (job__exit_code) once the root's end was seen; else, for a job with no
 * root (a cgroup) or whose root was still running or its exit record lost,
 * 1 when any of its processes failed (a non-zero exit or a signal), else 0.
 */
int job__status(const struct job *job);

#ifdef __cplusplus
}
#endif

#endif
