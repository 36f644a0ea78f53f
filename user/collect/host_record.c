// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The host record of an interval, from two host samples: a pure function. */
#include "jobtrace/collector.h"
#include "jobtrace/host.h"

/* The increase of a counter since boot per second; unknown (-1) if it went back (a reboot). */
static double per_s(__u64 prev, __u64 cur, double dt)
{
	return cur >= prev ? (double)(cur - prev) / dt : -1;
}

void host_record__from_samples(const struct host_sample *prev, const struct host_sample *cur,
			       const struct host_rates *rates, struct host_record *r)
{
	*r = (struct host_record){
		.t0_ns = prev->mono_ns,
		.t1_ns = cur->mono_ns,
		.cpu_busy_pct = -1,
		.forks_per_s = -1,
		.ctxt_per_s = -1,
		.sample = cur,
		.rates = rates,
	};
	/*
	 * A file that could not be read leaves its part of the sample zeroed:
	 * a figure from it would read as a real 0 (no memory, no CPUs).
	 */
	if (cur->have & HOST_HAVE_STAT) {
		r->ncpus = (unsigned int)cur->stat.nr_cpus;
		r->procs_running = cur->stat.procs_running;
		r->procs_blocked = cur->stat.procs_blocked;
	} else {
		r->unknown |= HOST_RECORD_NO_STAT;
	}
	/* Available unknown (a file cut after MemTotal): the memory figures are, not 0. */
	if (cur->have & HOST_HAVE_MEMINFO && cur->mem.avail_src != MEMINFO_AVAIL_NONE) {
		r->mem_total_bytes = cur->mem.total_bytes;
		r->mem_available_bytes = cur->mem.available_bytes;
		r->mem_used_bytes = cur->mem.used_bytes;
		r->swap_total_bytes = cur->mem.swap_total_bytes;
		r->swap_used_bytes = cur->mem.swap_used_bytes;
	} else {
		r->unknown |= HOST_RECORD_NO_MEM;
	}
	if (cur->have & HOST_HAVE_LOADAVG) {
		r->load1 = cur->load.load1;
		r->load5 = cur->load.load5;
		r->load15 = cur->load.load15;
	} else {
		r->unknown |= HOST_RECORD_NO_LOAD;
	}
	/*
	 * A rate needs /proc/stat in both samples: against a zeroed one, the
	 * counters since boot would read as all happening in this interval.
	 */
	if (prev->have & cur->have & HOST_HAVE_STAT && cur->mono_ns > prev->mono_ns) {
		double dt = (double)(cur->mono_ns - prev->mono_ns) / 1e9;
		struct cpu_percent pct;

		/* No tick between the two (samples close together): unknown, not 0%. */
		if (proc_stat__cpu_percent(&prev->stat.total, &cur->stat.total, &pct)) {
			r->cpu_busy_pct = pct.busy;
			r->cpu_user_pct = pct.user + pct.nice;
			r->cpu_system_pct = pct.system + pct.irq + pct.softirq;
			r->cpu_iowait_pct = pct.iowait;
		}
		r->forks_per_s = per_s(prev->stat.processes, cur->stat.processes, dt);
		r->ctxt_per_s = per_s(prev->stat.ctxt, cur->stat.ctxt, dt);
	}
}

__u64 host_record__forks(__u64 raw, __u64 last, bool have_last, __u64 jobs_started)
{
	/* Never back either: a raised counter waits for the kernel's to pass it. */
	if (have_last && raw < last + jobs_started)
		return last + jobs_started;
	return raw;
}
