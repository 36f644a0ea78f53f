/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The live members of a job, as the collector samples them (the live
 * iterator, and smaps_rollup for PSS): what ApMon reported for a job (run
 * time, CPU now, memory, open files, the work directory), done right: CPU
 * as a rate over an interval, not a lifetime average; memory as PSS, which
 * counts a shared page once, where summed RSS counts it per process.
 */
#ifndef JOBTRACE_JOB_LIVE_H
#define JOBTRACE_JOB_LIVE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdio.h>

#include "jobtrace/lineage_abi.h"
#include "jobtrace/workdir.h"

struct job_live {
	__u64 sampled_ns; /* CLOCK_MONOTONIC */
	__u64 processes; /* live members read */
	__u64 vanished; /* members that exited while being read */
	__u64 cpu_ns; /* live members' CPU since they joined (exact, from the iterator) */
	__u64 exited_cpu_ns; /* the kernel's exact CPU of exited threads */
	__u64 rss_bytes; /* summed: shared pages count once per process */
	__u64 vm_bytes;
	__u64 pss_bytes; /* with pss: shared pages split between their users */
	__u64 uss_bytes;
	__u64 swap_bytes;
	__u64 open_files;
	bool pss; /* smaps_rollup was read */
	double cpu_rate_pct; /* CPU now, % of one CPU, over the last interval; < 0: unknown */
};

/* @cur's CPU rate since @prev, in % of one CPU; -1 when it cannot be told. */
double job_live__cpu_rate(const struct job_live *prev, const struct job_live *cur);

#ifdef __cplusplus
}
#endif

#endif
