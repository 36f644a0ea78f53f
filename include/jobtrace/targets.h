/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The jobs a front names on its command line (watch, top; inspect's pids),
 * checked before anything loads; the collector follows them (collector__follow_pid(),
 * collector__follow_cgroup()).
 */
#ifndef JOBTRACE_TARGETS_H
#define JOBTRACE_TARGETS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <sys/types.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/collector.h"

/*
 * --cgroup paths, checked before anything loads: each is a cgroup
 * directory, all in one hierarchy, which fills @h (collector_opts.follow_hier),
 * and no cgroup is named twice, however spelled. Prints why not;
 * EXIT_USAGE then, else 0.
 */
int targets__check_cgroups(const char *cmd, const char *const *paths, size_t n,
			   struct cgroup_hier *h);

/*
 * --pid values, checked before anything loads: each is a process, not one
 * of its threads (/proc/TID opens as /proc/PID does). Prints which process
 * to name instead; 1 then (as a pid that does not exist), else 0.
 */
int targets__check_pids(const char *cmd, const pid_t *pids, size_t n);

/*
 * The process @pid is a thread of, by the Tgid of @proc_fd's PID/status
 * (a --proc-root tree's, where one is given); 0 when @pid is a process
 * itself or its status cannot be read.
 */
pid_t targets__process_of(int proc_fd, pid_t pid);

#ifdef __cplusplus
}
#endif

#endif
