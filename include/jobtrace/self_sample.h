/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * jobtrace's own process, as Prometheus client libraries export theirs
 * (process_cpu_seconds_total, process_resident_memory_bytes, ...): read
 * through the /proc parsers, for a front to hand to the metrics store.
 */
#ifndef JOBTRACE_SELF_SAMPLE_H
#define JOBTRACE_SELF_SAMPLE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>

#include <linux/types.h>

struct self_sample {
	__u64 cpu_ns; /* (14) utime + (15) stime */
	__u64 rss_bytes; /* (24) rss, in pages, times the page size */
	__u64 vsize_bytes; /* (23) vsize */
	__u64 start_time_ns; /* CLOCK_REALTIME: btime + (22) starttime */
	__u64 open_fds;
	__u64 max_fds; /* the soft RLIMIT_NOFILE; PROC_LIMIT_INFINITY when unlimited */
	bool have_fds; /* fd and limits were read (open_fds, max_fds) */
};

/*
 * Process @pid under the proc root @proc_fd (a directory fd, which the
 * count of @pid's fds includes when @pid is the caller). 0, or the first
 * error of stat or /proc/stat (-ESRCH: gone); fd and limits are best
 * effort, have_fds says whether they came.
 */
int self_sample__read(int proc_fd, int pid, struct self_sample *out);

#ifdef __cplusplus
}
#endif

#endif
