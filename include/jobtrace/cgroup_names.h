/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Cgroup paths for the ids the records carry (jt_exit_event.cgroup_id,
 * jt_fork_event.cgroup_id), remembered per id: a host's processes live in
 * a few hundred cgroups, and a kernfs id is never given to another cgroup,
 * so a name once found (or found missing: the cgroup was removed) stays
 * right. The table is bounded: a new id takes its slot from an old one.
 */
#ifndef JOBTRACE_CGROUP_NAMES_H
#define JOBTRACE_CGROUP_NAMES_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <linux/types.h>

#include "jobtrace/cgroupfs.h"

#define CGROUP_NAMES_SLOTS 1024 /* a power of two */

struct cgroup_name_slot {
	__u64 id; /* 0: empty */
	char *path; /* NULL: looked up and not found */
};

struct cgroup_names {
	struct cgroup_hier hier; /* where the ids are */
	bool have_hier;
	__u64 lookups, misses; /* lookups, and those that asked cgroupfs */
	struct cgroup_name_slot slots[CGROUP_NAMES_SLOTS];
};

/* Names ids of hierarchy @h (copied); NULL: the v2 hierarchy, if one is mounted. */
void cgroup_names__init(struct cgroup_names *cn, const struct cgroup_hier *h);
/* The path of cgroup @id inside its hierarchy ("/a/b"); NULL when not known or gone. */
const char *cgroup_names__get(struct cgroup_names *cn, __u64 id);
/* The hierarchy's id as /proc/PID/cgroup numbers it (0 for v2); -1 without one. */
int cgroup_names__hierarchy(const struct cgroup_names *cn);
void cgroup_names__fini(struct cgroup_names *cn);

#ifdef __cplusplus
}
#endif

#endif
