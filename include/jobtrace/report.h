/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_REPORT_H
#define JOBTRACE_REPORT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdio.h>

#include "jobtrace/job.h"

#define REPORT_DEFAULT_TOP 10

/* The job report for a person, and as one JSON object; 0 or -errno. */
int report__write_text(FILE *f, const struct job *job, size_t top);
int report__write_json(FILE *f, const struct job *job, size_t top);
/* The members of the JSON report, into an object @w has open (JSON lines embed them). */
struct json_writer;
void report__json_fields(struct json_writer *w, const struct job *job, size_t top);
/* "complete" and "incomplete" (the reasons, job__incomplete()) of @job so far. */
void report__json_complete(struct json_writer *w, const struct job *job);
/* "killed by the OOM killer: memory limit 64.0 MiB of memory:/x, its RSS 69.6 MiB" */
void report__oom_words(FILE *f, const struct job_oom *o);
/* "oom_killed" and "oom" {global, hierarchy, cgroup, limit_bytes, rss_bytes} (null: none). */
void report__json_oom(struct json_writer *w, const struct job_oom *o);
/* The same from the reasons' bits (job__incomplete_mask()). */
void report__json_incomplete(struct json_writer *w, __u32 mask);

/* "12.3 MiB" style, into @buf. */
const char *report__bytes(char *buf, size_t size, __u64 bytes);
/* memory.peak_rss_source: "mm_hiwater", "signal_maxrss", "mixed", "children_maxrss", "sampled". */
const char *report__peak_rss_source(const struct job *job);

#ifdef __cplusplus
}
#endif

#endif
