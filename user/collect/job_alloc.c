// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a job was given, from its two sources: the batch system's allocation
 * (a Slurm step's, sent by the SPANK plugin) and its cgroups' limits. seff
 * divides by Slurm's; where Slurm said nothing (a step with no --mem), a
 * cgroup limit is the next truth. Neither: not known, never made up.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "jobtrace/job.h"

bool job__allocation(const struct job *job, struct job_alloc_view *out, char *from, size_t size)
{
	const struct job_sched_alloc *s = job__sched(job);
	const struct cgroup_alloc *c = job__cgroup_alloc(job);
	bool sched = s->system[0] != '\0';

	memset(out, 0, sizeof(*out));
	if (!sched && !c)
		return false;
	out->source = "cgroup";
	if (sched && s->cpus_known) {
		out->cpus_known = true;
		out->cpus = s->cpus;
		snprintf(from, size, "%s:step", s->system);
		out->cpus_from = from;
		out->source = s->system;
	} else if (c && c->cpus_known) {
		out->cpus_known = true;
		out->cpus = c->cpus;
		out->cpus_from = c->cpus_from;
		out->cpus_cgroup = c->cpus_cgroup;
		out->cpus_period_s = c->cpus_period_s;
		out->cpus_burst_s = c->cpus_burst_s;
		out->cpus_max = c->cpus_max;
	}
	if (sched && s->memory_known) {
		out->memory_known = true;
		out->memory_bytes = s->memory_bytes;
		snprintf(from + size, size, "%s:%s", s->system, s->memory_from);
		out->memory_from = from + size;
		out->source = s->system;
	} else if (c && c->memory_known) {
		out->memory_known = true;
		out->memory_bytes = c->memory_bytes;
		out->memory_from = c->memory_from;
		out->memory_cgroup = c->memory_cgroup;
	}
	if (sched && !out->cpus_known && !out->memory_known)
		out->source = s->system; /* the batch system gave nothing: its word, not a cgroup's */
	return true;
}

static __u64 wall_ns(const struct job *job)
{
	return job->end_ns > job->start_ns ? job->end_ns - job->start_ns : 0;
}

double job__cpu_allocated_s(const struct job_alloc_view *a, double wall_s)
{
	double alloc_s, quota_s, periods, bound_s;

	if (!a->cpus_known || a->cpus <= 0 || !(wall_s > 0))
		return -1;
	alloc_s = a->cpus * wall_s;
	if (!(a->cpus_period_s > 0))
		return alloc_s;
	/*
	 * CFS bandwidth hands out the quota afresh at each period's start, not
	 * at quota/period CPUs every moment: a wall time of W touches at most
	 * ceil(W / period) + 1 periods (it need not start at one), and the
	 * burst may add what earlier periods left. 0.082 s of CPU ran in 0.151
	 * s under "50000 100000" on 2 CPUs: 109 % of 0.5 CPUs x 0.151 s, 55 %
	 * of the 0.15 s three periods give. Never past the CPUs it can run on.
	 */
	quota_s = a->cpus * a->cpus_period_s;
	periods = ceil(wall_s / a->cpus_period_s) + 1;
	bound_s = quota_s * periods + (a->cpus_burst_s > 0 ? a->cpus_burst_s : 0);
	if (a->cpus_max && bound_s > a->cpus_max * wall_s)
		bound_s = a->cpus_max * wall_s;
	return bound_s > alloc_s ? bound_s : alloc_s;
}

double job__cpu_efficiency(const struct job *job, const struct job_alloc_view *a)
{
	double alloc_s = job__cpu_allocated_s(a, (double)wall_ns(job) / 1e9);

	if (alloc_s <= 0 || (job->unknown & JOB_UNKNOWN_CPU))
		return -1;
	return (double)job->stats.cpu_ns / 1e9 / alloc_s;
}

double job__memory_efficiency(const struct job *job, const struct job_alloc_view *a)
{
	if (!a->memory_known || !a->memory_bytes)
		return -1;
	/*
	 * An RSS past the limit counts pages the limit does not: file pages
	 * another cgroup brought in first stay charged there (a 100 MiB file
	 * read earlier, mapped under a 64 MiB limit: an RSS of 113 MiB, the
	 * cgroup's own peak 20 MiB). Over the limit it is no share of it.
	 */
	if (job->stats.peak_rss_bytes > a->memory_bytes)
		return job__oom_at_limit(job, a) ? 1.0 : -1;
	return (double)job->stats.peak_rss_bytes / (double)a->memory_bytes;
}

/*
 * The kernel's word that the job's charged memory reached its allocation:
 * a process the OOM killer chose where the kernel named the limit hit, at
 * the kill, as this one (a Slurm step's --mem is the bytes of its cgroup's
 * limit; a cgroup's own, the same cgroup too). Not a limit found after the
 * kill (the nearest above: a host-wide OOM in a limited cgroup is no hit
 * of its limit). The failures list keeps OOM kills first.
 */
bool job__oom_at_limit(const struct job *job, const struct job_alloc_view *a)
{
	if (!a->memory_known || !a->memory_bytes)
		return false;
	for (size_t i = 0; i < job->nfailed; i++) {
		const struct job_oom *o = &job->failed[i].oom;

		if (!o->killed || o->global || !o->limit_known || !o->limit_seen ||
		    o->limit_bytes != a->memory_bytes)
			continue;
		if (!a->memory_cgroup || !strcmp(a->memory_cgroup, o->cgroup))
			return true;
	}
	return false;
}

const char *job__node(const struct job *job, char *buf, size_t size)
{
	struct utsname u;

	if (job__sched(job)->node[0])
		return job__sched(job)->node;
	if (uname(&u))
		return NULL;
	snprintf(buf, size, "%s", u.nodename);
	return buf;
}
