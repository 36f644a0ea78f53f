/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A job as user space sees it: the kernel's totals for it, its root's fate,
 * and what the exit records add (a per-command breakdown).
 */
#ifndef JOBTRACE_JOB_H
#define JOBTRACE_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "jobtrace/job_live.h"
#include "jobtrace/lineage.h"

struct job_command {
	char comm[JT_COMM_LEN + 1]; /* NUL-terminated copy; may hold any bytes */
	__u64 processes;
	__u64 cpu_ns;
	__u64 peak_rss_bytes;
	__u64 exit_error; /* non-zero exits and deaths by signal */
};

struct job {
	__u64 id;
	char *const *argv; /* the command, borrowed */
	int argc;
	pid_t root_pid;
	bool root_exited;
	int root_status; /* wait(2) status, valid when root_exited */
	__u64 start_ns; /* CLOCK_MONOTONIC */
	__u64 root_end_ns;
	__u64 end_ns;
	struct jt_job_stats stats; /* the kernel's totals, last read */
	struct jt_counters counters; /* the kernel's global counters, last read */
	__u64 records; /* exit records received */
	__u64 records_rss_from_mm; /* peak RSS from the mm's own high-water mark */
	__u64 stale; /* procs entries whose process was found gone */
	/* Sampled from /proc; NULL when not asked for. */
	const struct job_live *live; /* members alive when the report was made */
	const char *workdir_path;
	const struct workdir_usage *workdir;
	__u64 host_mem_bytes; /* for memory % of host; 0: unknown */
	/* Per-command table, open addressing on comm. */
	struct job_command *commands;
	size_t ncommands;
	size_t capacity;
};

void job__init(struct job *job, __u64 id, char *const *argv, int argc);
void job__free(struct job *job);
/* Folds an exit record of this job into the per-command table. */
int job__add_exit(struct job *job, const struct jt_exit_event *e);
/*
 * Fills @out (room for @max) with the commands sorted by CPU, most first
 * (ties by process count, then name); returns how many.
 */
size_t job__top_commands(const struct job *job, const struct job_command **out, size_t max);

/* CPU split the way getrusage() splits it: tick-sampled shares of the exact total. */
void job__cpu_split(const struct jt_job_stats *s, __u64 *user_ns, __u64 *system_ns);

/* Records the exit records lost, for this job: 0 when the report is complete. */
__u64 job__events_lost(const struct job *job);

/* A wait(2) status as a shell reports it: the code, or 128 + the signal. */
int job__exit_code(int wait_status);

#endif
