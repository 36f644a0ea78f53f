/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The jobs a front names on its command line (watch, top): a process and
 * its descendants (--pid), a cgroup and below (--cgroup).
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
 * directory, all in one hierarchy, which fills @h and @lo's cgroup fields.
 * Prints why not; EXIT_USAGE then, else 0.
 */
int targets__check_cgroups(const char *cmd, const char *const *paths, size_t n,
			   struct cgroup_hier *h, struct lineage_opts *lo);
/* --pid P: P and its descendants, as job @id, its report's mode @mode. Prints why not. */
int targets__add_pid(struct collector *c, __u64 id, pid_t pid, int proc_fd, const char *mode);
/* --cgroup PATH: the cgroup and below, present and future, until it is removed. */
int targets__add_cgroup(struct collector *c, __u64 id, const char *path,
			const struct cgroup_hier *h, const char *mode);

#ifdef __cplusplus
}
#endif

#endif
