// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The host record of an interval, from two host samples: a pure function. */
#include "jobtrace/collector.h"
#include "jobtrace/host.h"

void host_record__from_samples(const struct host_sample *prev, const struct host_sample *cur,
			       const struct host_rates *rates, struct host_record *r)
{
	*r = (struct host_record){
		.t0_ns = prev->mono_ns,
		.t1_ns = cur->mono_ns,
		.cpu_busy_pct = -1,
		.sample = cur,
		.rates = rates,
		.ncpus = (unsigned int)cur->stat.nr_cpus,
		.procs_running = cur->stat.procs_running,
		.procs_blocked = cur->stat.procs_blocked,
		.mem_total_bytes = cur->mem.total_bytes,
		.mem_available_bytes = cur->mem.available_bytes,
		.mem_used_bytes = cur->mem.used_bytes,
		.swap_total_bytes = cur->mem.swap_total_bytes,
		.swap_used_bytes = cur->mem.swap_used_bytes,
		.load1 = cur->load.load1,
		.load5 = cur->load.load5,
		.load15 = cur->load.load15,
	};
	if (cur->mono_ns > prev->mono_ns) {
		double dt = (double)(cur->mono_ns - prev->mono_ns) / 1e9;
		struct cpu_percent pct;

		proc_stat__cpu_percent(&prev->stat.total, &cur->stat.total, &pct);
		r->cpu_busy_pct = pct.busy;
		r->cpu_user_pct = pct.user + pct.nice;
		r->cpu_system_pct = pct.system + pct.irq + pct.softirq;
		r->cpu_iowait_pct = pct.iowait;
		/* Counters since boot: one that went back (another boot) gives no rate. */
		if (cur->stat.processes >= prev->stat.processes)
			r->forks_per_s = (double)(cur->stat.processes - prev->stat.processes) / dt;
		if (cur->stat.ctxt >= prev->stat.ctxt)
			r->ctxt_per_s = (double)(cur->stat.ctxt - prev->stat.ctxt) / dt;
	}
}

__u64 host_record__forks(__u64 raw, __u64 last, bool have_last, __u64 jobs_started)
{
	/* Never back either: a raised counter waits for the kernel's to pass it. */
	if (have_last && raw < last + jobs_started)
		return last + jobs_started;
	return raw;
}
