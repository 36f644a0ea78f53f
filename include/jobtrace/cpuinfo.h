/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /proc/cpuinfo (what each online CPU is), cpufreq (how fast it runs) and
 * the CPU topology (how many cores and sockets the online CPUs make).
 *
 * cpuinfo is free-form and per-architecture: x86 has vendor_id, cpu family,
 * model, model name, cpu MHz, bogomips; arm64 has BogoMIPS, CPU implementer
 * and CPU part and no model name or MHz; powerpc has "clock". A key the
 * architecture lacks leaves its field empty or 0: that is not an error.
 * s390 has no "processor : N" blocks: its CPUs are its "processor N: ..."
 * summary lines and "cpu number : N" blocks ("cpu MHz dynamic", and
 * "physical id" and "cpu cores" since 5.x).
 */
#ifndef JOBTRACE_CPUINFO_H
#define JOBTRACE_CPUINFO_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct sysfs_dir;

/* x86 brand strings are at most 48 bytes; longer values are cut here. */
#define CPUINFO_STR_MAX 64

struct cpuinfo_cpu {
	__u32 processor;	/* "processor": the kernel's CPU number */
	__u32 family;		/* "cpu family" (x86) */
	__u32 model;		/* "model" when numeric (x86) */
	__u32 implementer;	/* "CPU implementer" (arm, arm64), e.g. 0x41 */
	__u32 part;		/* "CPU part" (arm, arm64), e.g. 0xd0c */
	__u64 cpu_khz;		/* "cpu MHz" (x86) or "clock" (powerpc), in kHz */
	double bogomips;	/* "bogomips" / "BogoMIPS" */
	__u32 physical_id;	/* "physical id" (x86): its package, when has_physical_id */
	__u32 cpu_cores;	/* "cpu cores" (x86): cores in that package; 0 if absent */
	bool has_physical_id;
	char vendor_id[CPUINFO_STR_MAX];
	char model_name[CPUINFO_STR_MAX];
};

struct cpuinfo {
	struct cpuinfo_cpu *cpus; /* one per "processor" block (s390: CPU), in file order */
	size_t nr_cpus;
	__u64 avg_khz;		/* mean cpu_khz over the CPUs that report one; else 0 */
	bool truncated;		/* an unterminated last line was ignored */
};

/*
 * Parses @len bytes of /proc/cpuinfo. @out owns a heap array afterwards
 * (cpuinfo__free). Returns 0, -ENODATA when there is no complete
 * "processor" (or s390 "cpu number") line, -ENOMEM. On error @out holds
 * nothing to free.
 */
int cpuinfo__parse(const char *buf, size_t len, struct cpuinfo *out);

/* Reads "cpuinfo" under @proc_dirfd and parses it. */
int cpuinfo__read(int proc_dirfd, struct cpuinfo *out);

/* NULL-safe and idempotent. */
void cpuinfo__free(struct cpuinfo *ci);

/* The block of CPU @processor, or NULL. */
const struct cpuinfo_cpu *cpuinfo__find(const struct cpuinfo *ci, __u32 processor);

/*
 * A sysfs CPU list ("0-3,8", or affected_cpus' "0 1 2"), optionally ending in
 * one '\n', into a sorted array without duplicates (free() it; NULL when
 * empty). CPU numbers must be below CPULIST_MAX_CPUS. Returns 0, -EPROTO,
 * -ERANGE or -ENOMEM.
 */
#define CPULIST_MAX_CPUS 65536
int cpulist__parse(const char *buf, size_t len, __u32 **cpus, size_t *nr);

enum cpufreq_source {
	CPUFREQ_SRC_NONE,	/* nothing known: cur/min/max are 0 */
	CPUFREQ_SRC_POLICY,	/* devices/system/cpu/cpufreq/policyN */
	CPUFREQ_SRC_CPU_DIR,	/* devices/system/cpu/cpuN/cpufreq (pre-policy kernels) */
	CPUFREQ_SRC_CPUINFO,	/* cpuinfo MHz: cur only, min = max = 0 */
};

struct cpufreq_cpu {
	__u32 cpu;
	enum cpufreq_source source;
	__u64 cur_khz;
	__u64 min_khz;		/* scaling_min_freq: the governor's floor */
	__u64 max_khz;		/* scaling_max_freq: the governor's ceiling */
};

struct cpufreq {
	struct cpufreq_cpu *cpus; /* online CPUs, sorted by cpu */
	size_t nr_cpus;
	__u64 avg_cur_khz;	/* mean cur_khz over CPUs that have one; else 0 */
};

/*
 * Per-CPU frequency of every online CPU (devices/system/cpu/online under
 * @sys_dirfd, a /sys root; without that file, the cpuN directories whose
 * online file does not say 0; without those, @ci's CPUs). Each
 * CPU takes the first source that has it: its cpufreq policy, its cpuN/cpufreq
 * directory, then @ci's MHz (@ci may be NULL). A machine without cpufreq is a
 * normal result, not an error. Returns 0, -ENOENT when no CPU list is
 * known, -ENOMEM. Free with cpufreq__free().
 */
int cpufreq__read(int sys_dirfd, const struct cpuinfo *ci, struct cpufreq *out);
/* The same over a sysfs_dir (sysfs_attr.h): a real sys root, or an image of one. */
int cpufreq__read_dir(const struct sysfs_dir *sys, const struct cpuinfo *ci, struct cpufreq *out);
/* cpufreq__read() over an image of a sys root ("path\0content\0" records). */
int cpufreq__parse(const void *img, size_t len, const struct cpuinfo *ci, struct cpufreq *out);

/* NULL-safe and idempotent. */
void cpufreq__free(struct cpufreq *f);

enum cpu_topology_source {
	CPU_TOPOLOGY_SRC_NONE,	  /* not known: the count is 0 */
	CPU_TOPOLOGY_SRC_SYSFS,	  /* devices/system/cpu/cpuN/topology */
	CPU_TOPOLOGY_SRC_CPUINFO, /* cpuinfo's "physical id" and "cpu cores" (x86) */
};

struct cpu_topology {
	__u32 online_cpus;    /* the CPUs counted over; 0 when no list was found */
	__u32 physical_cores; /* 0: unknown */
	__u32 sockets;	      /* 0: unknown */
	enum cpu_topology_source cores_source;
	enum cpu_topology_source sockets_source;
};

/*
 * Physical cores and sockets of the online CPUs, found as cpufreq__read()
 * finds them (cpu0 has no online file: it is online).
 *
 * Cores: the distinct sets in each online CPU's topology/core_cpus_list, or
 * thread_siblings_list on kernels before 5.3. Sockets: the distinct
 * topology/physical_package_id values. If any online CPU lacks its file (no
 * topology directory: old or virtual platforms) or holds no valid value (a
 * package id of -1), sysfs does not know, and x86 cpuinfo is asked: "cpu
 * cores" summed over the distinct "physical id"s (which count a package's
 * cores whether online or not), and the number of those ids. @ci may be NULL.
 * Unknown stays 0: not an error. Returns 0 or -ENOMEM.
 */
int cpu_topology__read(int sys_dirfd, const struct cpuinfo *ci, struct cpu_topology *out);
int cpu_topology__read_dir(const struct sysfs_dir *sys, const struct cpuinfo *ci,
			   struct cpu_topology *out);
/* cpu_topology__read() over an image of a sys root. */
int cpu_topology__parse(const void *img, size_t len, const struct cpuinfo *ci,
			struct cpu_topology *out);

#ifdef __cplusplus
}
#endif

#endif
