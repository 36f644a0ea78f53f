/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a job was given: the CPUs and the memory its cgroups allot, v1 or
 * v2, as Slurm's seff and Princeton's jobstats compare a job's use with.
 *
 *   CPUs:   the CPU bandwidth limit, quota / period (v2 cpu.max, v1
 *           cpu.cfs_quota_us and cpu.cfs_period_us), the smallest of the
 *           cgroup's and its ancestors'; and the cpuset (v2
 *           cpuset.cpus.effective, v1 cpuset.effective_cpus or cpuset.cpus)
 *           when it holds fewer CPUs than the host has or than the quota
 *           gives. The smaller of the two, and never more than the host's
 *           online CPUs.
 *   memory: the smallest memory limit of the cgroup and its ancestors
 *           (v2 memory.max, v1 memory.limit_in_bytes).
 *
 * A cgroup with none of these has no allocation: said, never made up.
 * Parsers over buffers; readers over directory fds, so tests feed fixtures.
 */
#ifndef JOBTRACE_CGROUP_ALLOC_H
#define JOBTRACE_CGROUP_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CGROUP_ALLOC_PATH_LEN 256

struct cgroup_alloc {
	bool cpus_known;
	double cpus;	    /* may be fractional: a quota of 1.5 CPUs */
	char cpus_from[32]; /* "cpu.max", "cpu.cfs_quota_us", "cpuset.cpus.effective", ... */
	char cpus_cgroup[CGROUP_ALLOC_PATH_LEN]; /* where that limit is set */
	/*
	 * Where @cpus is a quota: its period and burst, in seconds (0 for a
	 * cpuset's CPUs), and the CPUs the job can run on at once (its cpuset's,
	 * else the host's online ones). The quota is given whole in each period,
	 * so over a few periods a job can run more than @cpus x its wall time:
	 * job__cpu_efficiency() divides by what the periods could give.
	 */
	double cpus_period_s, cpus_burst_s;
	unsigned int cpus_max;
	bool memory_known;
	__u64 memory_bytes;
	char memory_from[32]; /* "memory.max", "memory.limit_in_bytes" */
	char memory_cgroup[CGROUP_ALLOC_PATH_LEN];
};

/* A process's cgroup in one hierarchy: the hierarchy's root, open, and the path in it. */
struct cgroup_alloc_place {
	int root_fd;	  /* -1: this hierarchy is not there */
	const char *path; /* "/a/b" */
};

/* CPUs in a list ("0-3,8,10-11\n"): 0, or -EINVAL. */
int cgroup_alloc__count_cpus(const char *buf, unsigned int *n);
/* v2 cpu.max ("max 100000", "150000 100000"): 0, or -EINVAL. */
int cgroup_alloc__parse_cpu_max(const char *buf, bool *limited, double *cpus);
/* v1 cpu.cfs_quota_us ("-1": none) over cpu.cfs_period_us: 0, or -EINVAL. */
int cgroup_alloc__parse_cfs(const char *quota, const char *period, bool *limited, double *cpus);
/*
 * The allocation of a process whose cgroups are @cpu (the cpu controller's
 * hierarchy), @cpuset and @memory (the same place three times on v2), on a
 * host of @online_cpus. Never fails: what cannot be read is not known.
 */
void cgroup_alloc__read(const struct cgroup_alloc_place *cpu,
			const struct cgroup_alloc_place *cpuset,
			const struct cgroup_alloc_place *memory, unsigned int online_cpus,
			struct cgroup_alloc *out);
/*
 * The same for process @pid, its cgroups from /proc/PID/cgroup: 0, or
 * -errno; -ESRCH when it is gone or exiting (a zombie included): an
 * exiting task shows "/" in every v1 hierarchy, not its cgroups, and their
 * limits are then not known, never none.
 */
int cgroup_alloc__of_pid(int pid, struct cgroup_alloc *out);

#ifdef __cplusplus
}
#endif

#endif
