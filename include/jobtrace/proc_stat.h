/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /proc/stat: system-wide and per-CPU time, and the kernel's activity counters.
 *
 * CPU times are kept in the ticks the kernel prints (USER_HZ, see
 * proc_stat__clk_tck()), not converted: they are exact integers, two samples
 * subtract without rounding, and proc_stat__cpu_percent() needs no tick rate.
 * proc_stat__ticks_to_ns() converts when a caller wants time.
 */
#ifndef JOBTRACE_PROC_STAT_H
#define JOBTRACE_PROC_STAT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The ten columns of a "cpu"/"cpuN" line, in the kernel's order. */
#define CPU_TIMES_NR_FIELDS 10

struct cpu_times {
	__u64 user_ticks;	/* (1) includes guest_ticks */
	__u64 nice_ticks;	/* (2) includes guest_nice_ticks */
	__u64 system_ticks;	/* (3) */
	__u64 idle_ticks;	/* (4) */
	__u64 iowait_ticks;	/* (5) since 2.5.41; can go backwards (NO_HZ) */
	__u64 irq_ticks;	/* (6) since 2.5.41 */
	__u64 softirq_ticks;	/* (7) since 2.5.41 */
	__u64 steal_ticks;	/* (8) since 2.6.11 */
	__u64 guest_ticks;	/* (9) since 2.6.24 */
	__u64 guest_nice_ticks; /* (10) since 2.6.33 */
};

struct proc_stat_cpu {
	__u32 cpu;		/* N of "cpuN": the kernel's CPU number, not a position */
	__u32 nr_fields;	/* columns the kernel printed (4..10); the rest are 0 */
	struct cpu_times times;
};

/* Which of the optional scalar lines were present (struct proc_stat.has). */
enum proc_stat_has {
	PROC_STAT_HAS_INTR = 1u << 0,
	PROC_STAT_HAS_CTXT = 1u << 1,
	PROC_STAT_HAS_BTIME = 1u << 2,
	PROC_STAT_HAS_PROCESSES = 1u << 3,
	PROC_STAT_HAS_PROCS_RUNNING = 1u << 4, /* since 2.5.45 */
	PROC_STAT_HAS_PROCS_BLOCKED = 1u << 5, /* since 2.5.45 */
	PROC_STAT_HAS_SOFTIRQ = 1u << 6,       /* since 2.6.31 */
};

struct proc_stat {
	/*
	 * The "cpu" line sums every *possible* CPU, while "cpuN" lines exist
	 * for *online* CPUs only: after a CPU goes offline, total exceeds
	 * the sum of the per-CPU lines by that CPU's past time.
	 */
	struct cpu_times total;
	__u32 total_nr_fields;

	/* Online CPUs, sorted by cpu; numbering can have gaps. Heap-owned. */
	struct proc_stat_cpu *cpus;
	size_t nr_cpus;

	__u64 intr_total;	/* first number of "intr" */
	__u64 ctxt;		/* context switches since boot */
	__u64 btime_s;		/* boot time, seconds since the epoch */
	__u64 processes;	/* forks since boot */
	__u64 procs_running;
	__u64 procs_blocked;	/* waiting for I/O */
	__u64 softirq_total;	/* first number of "softirq" */
	unsigned int has;	/* enum proc_stat_has bits */

	/*
	 * The buffer ended without '\n': that last partial line was ignored,
	 * since a number cut short parses as a wrong but plausible value.
	 */
	bool truncated;
};

/*
 * Parses @len bytes of /proc/stat (no NUL needed). @out is overwritten and owns
 * a heap array afterwards: release it with proc_stat__free(). Returns 0,
 * -ENODATA when there is no complete "cpu" line (empty or cut file), -EPROTO
 * on a malformed line, -ERANGE on a number past 64 bits, -ENOMEM. On error
 * @out holds nothing to free.
 */
int proc_stat__parse(const char *buf, size_t len, struct proc_stat *out);

/* Reads "stat" under @proc_dirfd (a /proc root) and parses it. */
int proc_stat__read(int proc_dirfd, struct proc_stat *out);

/* Frees the per-CPU array; NULL-safe and idempotent. */
void proc_stat__free(struct proc_stat *st);

/* The per-CPU entry for CPU @cpu, or NULL when it was not online. */
const struct proc_stat_cpu *proc_stat__find_cpu(const struct proc_stat *st, __u32 cpu);

/* Ticks per second of the time columns (sysconf(_SC_CLK_TCK), USER_HZ). */
long proc_stat__clk_tck(void);

/* @ticks in nanoseconds; saturates at UINT64_MAX instead of wrapping. */
__u64 proc_stat__ticks_to_ns(__u64 ticks);

/*
 * Shares of the interval between two samples, in percent (0..100). user and
 * nice include guest and guest_nice, as the kernel counts them; guest and
 * guest_nice are reported as the part of user/nice they are. busy is
 * everything but idle and iowait.
 */
struct cpu_percent {
	double user, nice, system, idle, iowait, irq, softirq, steal;
	double guest, guest_nice;
	double busy;
};

/*
 * Fills @out from the deltas @now - @prev. A column that went backwards
 * (hot-plug, NO_HZ iowait, a hypervisor resetting steal) counts as 0. False
 * when the total delta is 0 (no tick between the two reads): no shares at
 * all, every one 0, never 0% busy and 0% idle as a figure.
 */
bool proc_stat__cpu_percent(const struct cpu_times *prev, const struct cpu_times *now,
			    struct cpu_percent *out);

#ifdef __cplusplus
}
#endif

#endif
