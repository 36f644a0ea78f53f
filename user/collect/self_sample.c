// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The process collector Prometheus client libraries carry, for serve's own
 * pid: the figures Prometheus's procfs reads (stat's times, vsize and rss,
 * /proc/stat's btime, the fd directory, limits' "Max open files"), taken
 * here through the parsers every other command uses, so that the metrics
 * writer never reads /proc itself.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "jobtrace/proc_limits.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/proc_stat.h"
#include "jobtrace/self_sample.h"

int self_sample__read(int proc_fd, int pid, struct self_sample *out)
{
	struct proc_stat_fields ps;
	struct proc_limits lim;
	struct proc_stat st;
	long page = sysconf(_SC_PAGESIZE);
	int err, fds;

	memset(out, 0, sizeof(*out));
	err = proc_pid__read_stat(proc_fd, pid, &ps);
	if (err)
		return err;
	err = proc_stat__read(proc_fd, &st);
	if (err)
		return err;
	/* Prometheus's procfs: StartTime() is btime + starttime / USER_HZ, as here. */
	out->start_time_ns =
		st.btime_s * 1000000000ULL + proc_stat__ticks_to_ns(ps.starttime_ticks);
	proc_stat__free(&st);
	out->cpu_ns = proc_stat__ticks_to_ns(ps.utime_ticks + ps.stime_ticks);
	out->vsize_bytes = ps.vsize_bytes;
	if (ps.rss_pages > 0)
		out->rss_bytes = (__u64)ps.rss_pages * (__u64)(page > 0 ? page : 4096);
	fds = proc_pid__count_fds(proc_fd, pid);
	if (fds > 0 && !proc_limits__read(proc_fd, pid, &lim) && lim.lim[RLIMIT_NOFILE].known) {
		/* The walk holds an fd of its own while it counts: not one @pid keeps. */
		out->open_fds = (__u64)fds - (pid == getpid());
		out->max_fds = lim.lim[RLIMIT_NOFILE].soft;
		out->have_fds = true;
	}
	return 0;
}
