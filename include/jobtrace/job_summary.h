/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `jobtrace report DIR`: the reports serve wrote in a directory (its
 * --reports, one file per job and, for a Slurm step on several nodes, per
 * node: slurm:12.0@node3.json), merged per Slurm job (slurm:12, every step,
 * every node) into one summary with a line per report and the efficiency
 * over all of them, as seff gives it for a job:
 *
 *   cpu    = the CPU seconds of the reports / the sum of allocated CPUs x wall
 *            seconds of each (those with allocated CPUs);
 *   memory = the sum of each report's largest process's peak RSS / the sum of
 *            the memory allocated to each (those with allocated memory).
 *
 * A job that is no Slurm step is a group of its own (its key). The reports
 * are read as jobtrace's writer makes them (one JSON object, one line).
 */
#ifndef JOBTRACE_JOB_SUMMARY_H
#define JOBTRACE_JOB_SUMMARY_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

/* One report file, as the summary reads it; a figure < 0 (or !*_known): null in it. */
struct summary_report {
	char file[256];
	char key[256]; /* job.key: "slurm:12.0@n1" */
	char group[256]; /* its job: "slurm:12"; another key, less its "@NODE" */
	char step[64]; /* "0", "batch"; "" for a key that is no Slurm step's */
	char node[64]; /* job.node; "" when the report has none */
	double wall_s, cpu_s;
	bool cpus_known, memory_known;
	double cpus;
	__u64 memory_bytes;
	char source[16]; /* allocation.source; "" none */
	__u64 peak_rss_bytes;
	double eff_cpu, eff_memory; /* < 0: null */
	double cpu_alloc_s; /* efficiency.cpu_allocated_s, what eff_cpu divides by; < 0: null */
	__u64 started, failed, oom_killed;
	int exit_code; /* -1: null */
	int signal; /* 0: none */
};

struct job_summary {
	struct summary_report *reports; /* sorted by group, step, node */
	size_t n, cap;
	size_t unreadable; /* *.json files that are no report */
};

/*
 * Reads every *.json of @dir (those of group @only, when not NULL: "12" or
 * "slurm:12" for a Slurm job). 0, or a negative errno (@dir cannot be read).
 */
int job_summary__read_dir(struct job_summary *s, const char *dir, const char *only);
/* One report's text (@buf, @len bytes) into @r; 0, or -EINVAL when it is none. */
int job_summary__parse(const char *buf, size_t len, struct summary_report *r);
/* Adds @r (copied); 0 or -ENOMEM. Sorts at the next write. */
int job_summary__add(struct job_summary *s, const struct summary_report *r);
int job_summary__write_text(FILE *f, struct job_summary *s);
int job_summary__write_json(FILE *f, struct job_summary *s);
void job_summary__free(struct job_summary *s);

#ifdef __cplusplus
}
#endif

#endif
