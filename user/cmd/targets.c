// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The jobs a front names (watch, top): shared so that both follow a --pid
 * or a --cgroup the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/cli.h"
#include "jobtrace/collector.h"
#include "jobtrace/targets.h"

int targets__check_cgroups(const char *cmd, const char *const *paths, size_t n,
			   struct cgroup_hier *out)
{
	for (size_t i = 0; i < n; i++) {
		struct cgroup_hier h;
		char rel[256];
		__u64 cgid;
		int err;

		err = cgroupfs__of_path(paths[i], &h, rel, sizeof(rel), &cgid);
		if (err) {
			fprintf(stderr, "jobtrace: %s is not a cgroup directory: %s\n", paths[i],
				err == -EINVAL ? "not on a cgroup filesystem with a controller" :
						 strerror(-err));
			return EXIT_USAGE;
		}
		if (i && (h.hierarchy_id != out->hierarchy_id))
			return cli__usage_error(cmd, "%s", "every --cgroup must be in one hierarchy");
		*out = h;
	}
	return 0;
}
