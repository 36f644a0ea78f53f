/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Host mode (watch --all, top, serve): every process of the host, in jobs;
 * --group-by as the fronts check it. collector__group_by() chooses.
 */
#ifndef JOBTRACE_HOSTMODE_H
#define JOBTRACE_HOSTMODE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>

/* --group-by's values: cgroup, cgroup2, cgroup1:CONTROLLER, tree, session, user. */
bool hostmode__valid_grouping(const char *group_by);
/* --group-by's argument for @cmd: 0, or EXIT_USAGE after the message. */
int hostmode__check_grouping(const char *cmd, const char *group_by);

#ifdef __cplusplus
}
#endif

#endif
