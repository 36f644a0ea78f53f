/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Host mode (watch --all, top, serve): every process of the host, in jobs. */
#ifndef JOBTRACE_HOSTMODE_H
#define JOBTRACE_HOSTMODE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/lineage.h"

/* --group-by's values: cgroup, cgroup2, cgroup1:CONTROLLER, tree, session, user. */
bool hostmode__valid_grouping(const char *group_by);
/* --group-by's argument for @cmd: 0, or EXIT_USAGE after the message. */
int hostmode__check_grouping(const char *cmd, const char *group_by);
/*
 * Sets @lo's grouping from --group-by (NULL: "cgroup", the hierarchy where
 * the host's processes are, else tree) and fills @h when jobs are cgroups.
 * The default's choice and its reason go to @why (room for @why_size; ""
 * when --group-by chose), for the front to say once it is attached. Prints
 * why it failed; a negative errno then.
 */
int hostmode__grouping(const char *group_by, struct cgroup_hier *h, struct lineage_opts *lo,
		       char *why, size_t why_size);
/* What makes the jobs, said on stderr: tree, session, user, or @hierarchy's name (cgroups). */
const char *hostmode__group_name(const struct lineage_opts *lo, const char *hierarchy);

#ifdef __cplusplus
}
#endif

#endif
