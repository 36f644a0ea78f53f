/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* /proc/loadavg, /proc/uptime and the boot time derived from them. */
#ifndef JOBTRACE_LOADAVG_H
#define JOBTRACE_LOADAVG_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <linux/types.h>

struct loadavg {
	double load1, load5, load15;	/* the kernel prints two decimals */
	__u32 nr_running;		/* runnable threads right now */
	__u32 nr_threads;		/* all threads (scheduling entities) */
	__s32 last_pid;			/* last PID allocated in the reader's namespace */
};

/*
 * Parses the single line of /proc/loadavg ("0.06 0.04 0.01 1/87 3754\n").
 * Returns 0, -ENODATA when there is no complete ('\n'-terminated) line,
 * -EPROTO when it is malformed, -ERANGE on a number out of range.
 */
int loadavg__parse(const char *buf, size_t len, struct loadavg *out);
int loadavg__read(int proc_dirfd, struct loadavg *out);

struct uptime {
	__u64 uptime_ns;	/* CLOCK_BOOTTIME: includes suspend; 10 ms resolution */
	__u64 idle_ns;		/* summed over all possible CPUs: can exceed uptime_ns */
};

/* "314.46 604.43\n"; the same errors as loadavg__parse(). */
int uptime__parse(const char *buf, size_t len, struct uptime *out);
int uptime__read(int proc_dirfd, struct uptime *out);

enum boot_time_source {
	BOOT_TIME_BTIME = 1,	/* /proc/stat btime */
	BOOT_TIME_UPTIME,	/* CLOCK_REALTIME now - /proc/uptime */
};

struct boot_time {
	__u64 boot_time_ns;	/* since the epoch */
	enum boot_time_source source;
};

/*
 * When the machine booted, by the wall clock: /proc/stat's btime under
 * @proc_dirfd, else the current realtime minus that root's uptime. Returns 0
 * or the error that made both fail; -ERANGE if the clock is before the uptime.
 */
int boot_time__read(int proc_dirfd, struct boot_time *out);

#ifdef __cplusplus
}
#endif

#endif
