// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Host mode's --group-by, as the fronts that watch every process of the
 * host (watch --all, top, serve) check it; the collector chooses the
 * grouping from it (collector__group_by(), user/collect/collector_group.c).
 */
#include <string.h>

#include "jobtrace/cli.h"
#include "jobtrace/hostmode.h"

bool hostmode__valid_grouping(const char *g)
{
	return !strcmp(g, "cgroup") || !strcmp(g, "cgroup2") || !strcmp(g, "tree") ||
	       !strcmp(g, "session") || !strcmp(g, "user") || !strncmp(g, "cgroup1:", 8);
}

int hostmode__check_grouping(const char *cmd, const char *g)
{
	if (hostmode__valid_grouping(g))
		return 0;
	return cli__usage_error(cmd, "--group-by takes cgroup, cgroup2, cgroup1:CONTROLLER, "
				     "tree, session or user, not '%s'",
				g);
}

