/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the text (report.c) and JSON (report_json.c) reports share: a job's times. */
#ifndef JOBTRACE_REPORT_PRIV_H
#define JOBTRACE_REPORT_PRIV_H

#include "jobtrace/job.h"

static inline double seconds(__u64 ns)
{
	return (double)ns / 1e9;
}

static inline __u64 wall_ns(const struct job *job)
{
	return job->end_ns > job->start_ns ? job->end_ns - job->start_ns : 0;
}

static inline __u64 root_wall_ns(const struct job *job)
{
	return job->root_end_ns > job->start_ns ? job->root_end_ns - job->start_ns : 0;
}

#endif
