/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Cgroup hierarchies as the kernel names them: which mount is which
 * hierarchy, its id (the first column of /proc/PID/cgroup, 0 for v2) and,
 * for v1, the controller and its line in /proc/cgroups. That line was the
 * controller's subsystem id, which the BPF side finds a task's cgroup by,
 * until 6.12 left some controllers out of the file: the loader takes the
 * id from the kernel's BTF (kernel_btf__cgroup_ssid()), the line only
 * where that BTF has none. Parsers are pure over buffers; the live helpers
 * read /proc/self/mountinfo and /proc/cgroups.
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
	int ssid; /* -1 for v2; else the v1 controller's line in /proc/cgroups (see above) */
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
 * Where a host's processes are, per hierarchy: the distinct cgroups below
 * the root that hold at least one process. Fed one /proc/PID/cgroup at a
 * time (cgroupfs__tally_add), so a test feeds it fixtures.
 */
struct cgroup_tally {
	const char *controller; /* NULL: v2; else the v1 controller it counts */
	char **paths; /* a process's path in that hierarchy, each once it is sorted */
	size_t n, cap;
	size_t processes; /* processes seen in a cgroup below the root */
};
struct proc_cgroup;
/* Notes @cg's cgroup in @t's hierarchy, unless it is the root. 0 or -ENOMEM. */
int cgroupfs__tally_add(struct cgroup_tally *t, const struct proc_cgroup *cg);
/* The distinct cgroups noted (sorts the list). */
size_t cgroupfs__tally_distinct(struct cgroup_tally *t);
void cgroupfs__tally_free(struct cgroup_tally *t);

/*
 * Host mode's default grouping, by where the processes are: of the v2
 * hierarchy and the v1 hierarchies of cpu, memory and pids that are
 * mounted, the one whose processes sit in the most distinct cgroups below
 * its root (v2 first on a tie); an empty cgroup made somewhere counts for
 * nothing. @why (room for @why_size) says which and why, for stderr.
 * -ENOENT when every process sits in the root of every hierarchy: group by
 * tree then. @proc_fd: an open /proc.
 */
int cgroupfs__choose_host(int proc_fd, struct cgroup_hier *out, char *why, size_t why_size);
/* "cgroup2" or "cgroup1:cpu", for reports. */
const char *cgroupfs__name(const struct cgroup_hier *h, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
