/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * OOM kills, attributed: the kernel marks the process the OOM killer chose
 * (jt_exit_event.flags JT_F_OOM_KILLED, with its memory cgroup's id and its
 * RSS then, and where it could tell the memory cgroup whose limit was hit);
 * this names that cgroup and its limit (include/jobtrace/memcg.h), or says
 * the host ran out.
 */
#ifndef JOBTRACE_OOM_H
#define JOBTRACE_OOM_H

#include <stdbool.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/job.h"
#include "jobtrace/lineage_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where memory cgroups live on this host: found once, when the first kill asks. */
struct oom_resolver {
	bool tried, have;
	struct cgroup_hier hier;
	char name[32]; /* "cgroup1:memory", "cgroup2" */
	int root_fd;
};

void oom_resolver__init(struct oom_resolver *r);
void oom_resolver__fini(struct oom_resolver *r);
/*
 * The OOM kill exit record @e says, attributed, into @out: false (and @out
 * zeroed) when @e is no OOM kill. @seen: what the kernel held of the cgroup
 * @e names with JT_F_OOM_LIMIT (its limit and path at the kill), or NULL.
 * Without it, a memory cgroup gone by then, or a host without one, leaves
 * the limit not known (not a global OOM).
 */
bool oom_resolver__attribute(struct oom_resolver *r, const struct jt_exit_event *e,
			     const struct jt_oom_cgroup *seen, struct job_oom *out);

#ifdef __cplusplus
}
#endif

#endif
