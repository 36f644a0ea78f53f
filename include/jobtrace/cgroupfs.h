/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Cgroup hierarchies as the kernel names them: which mount is which
 * hierarchy, its id (the first column of /proc/PID/cgroup, 0 for v2) and,
 * for v1, the controller's subsystem id (its line in /proc/cgroups), so the
 * BPF side can find a task's cgroup in it. Parsers are pure over buffers;
 * the live helpers read /proc/self/mountinfo and /proc/cgroups.
 */
#ifndef JOBTRACE_CGROUPFS_H
#define JOBTRACE_CGROUPFS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct cgroup_hier {
	int hierarchy_id; /* 0 for v2 */
	int ssid; /* -1 for v2; else the v1 controller's subsystem id */
	char controller[32]; /* "" for v2 */
	char mount[256]; /* where it is mounted */
};

/*
 * Finds in @mountinfo (the text of /proc/PID/mountinfo) the mount of the v2
 * hierarchy (@controller NULL) or of the v1 hierarchy that has @controller,
 * and in @cgroups (the text of /proc/cgroups) its ids. -ENOENT when it is
 * not mounted.
 */
int cgroupfs__find(const char *mountinfo, size_t mlen, const char *cgroups, size_t clen,
		   const char *controller, struct cgroup_hier *out);
/* cgroupfs__find() over this process's /proc/self/mountinfo and /proc/cgroups. */
int cgroupfs__find_mounted(const char *controller, struct cgroup_hier *out);
/*
 * The hierarchy @path lies in, and the path inside it ("/a/b"). -ENOTDIR
 * or -EINVAL when @path is not a cgroup directory.
 */
int cgroupfs__of_path(const char *path, struct cgroup_hier *out, char *rel, size_t rel_size,
		      __u64 *cgid);
/* The path inside @h of the cgroup with kernfs id @cgid; -ENOENT when it is gone. */
int cgroupfs__path_of_id(const struct cgroup_hier *h, __u64 cgid, char *buf, size_t size);
/*
 * Host mode's default grouping: the v2 hierarchy where processes live in
 * it (a pure-v2 host, or a hybrid one whose v2 side is used), else the
 * first v1 hierarchy of cpu, memory, pids that holds more than its root.
 * -ENOENT when no hierarchy has more than its root: group by tree then.
 */
int cgroupfs__choose_host(struct cgroup_hier *out);
/* "cgroup2" or "cgroup1:cpu", for reports. */
const char *cgroupfs__name(const struct cgroup_hier *h, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
