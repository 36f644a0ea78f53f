// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A job's live members: see include/jobtrace/job_live.h. */
#include "jobtrace/job_live.h"

double job_live__cpu_rate(const struct job_live *prev, const struct job_live *cur)
{
	__u64 dt = cur->sampled_ns - prev->sampled_ns;
	__s64 dcpu;

	if (!prev->sampled_ns || cur->sampled_ns <= prev->sampled_ns)
		return -1;
	/*
	 * Exited CPU is exact; live CPU is what /proc says of the members now.
	 * A member that exited between the samples moves its CPU from the live
	 * sum to the exited one: the total stays right to the clock tick.
	 */
	dcpu = (__s64)(cur->cpu_ns + cur->exited_cpu_ns) - (__s64)(prev->cpu_ns + prev->exited_cpu_ns);
	if (dcpu < 0)
		dcpu = 0;
	return 100.0 * (double)dcpu / (double)dt;
}
