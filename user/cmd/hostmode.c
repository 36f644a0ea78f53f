// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Host mode, shared by the fronts that watch every process of the host
 * (watch --all, top, serve): which hierarchy makes the jobs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/cli.h"
#include "jobtrace/hostmode.h"
#include "jobtrace/util.h"

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

/* Host mode's hierarchy, from --group-by; tree when cgroups are not in use. */
int hostmode__grouping(const char *group_by, struct cgroup_hier *h, struct lineage_opts *lo,
		       char *why, size_t why_size)
{
	const char *g = group_by ? group_by : "cgroup";
	char *mi = NULL, *cg = NULL;
	ssize_t mlen, clen;
	int err;

	if (why_size)
		why[0] = '\0';
	if (!strcmp(g, "tree")) {
		lo->group = JT_GROUP_TREE;
		return 0;
	}
	/* The kernel's sessions: a login's or a terminal's work, as ps -s and loginctl see it. */
	if (!strcmp(g, "session")) {
		lo->group = JT_GROUP_SESSION;
		return 0;
	}
	/* Who the work is for: a job per real uid. */
	if (!strcmp(g, "user")) {
		lo->group = JT_GROUP_USER;
		return 0;
	}
	if (!strcmp(g, "cgroup")) {
		int proc_fd = util__open_dir("/proc");

		err = proc_fd < 0 ? -errno : cgroupfs__choose_host(proc_fd, h, why, why_size);
		if (proc_fd >= 0)
			close(proc_fd);
		if (err == -ENOENT) {
			/* Every process sits in the root cgroup: cgroups would make one job. */
			lo->group = JT_GROUP_TREE;
			return 0;
		}
	} else {
		mlen = util__read_file_alloc(AT_FDCWD, "/proc/self/mountinfo", 1 << 22, &mi);
		clen = util__read_file_alloc(AT_FDCWD, "/proc/cgroups", 1 << 20, &cg);
		err = mlen < 0 ? (int)mlen : clen < 0 ? (int)clen :
			cgroupfs__find(mi, (size_t)mlen, cg, (size_t)clen,
				       !strcmp(g, "cgroup2") ? NULL : g + 8, h);
		free(mi);
		free(cg);
	}
	if (err) {
		fprintf(stderr, "jobtrace: no cgroup hierarchy for --group-by %s: %s\n", g,
			err == -ENOENT ? "not mounted" : strerror(-err));
		return err;
	}
	lo->group = JT_GROUP_CGROUP;
	lo->cgrp_ssid = h->ssid;
	lo->hierarchy_id = h->hierarchy_id;
	return 0;
}

const char *hostmode__group_name(const struct lineage_opts *lo, const char *hierarchy)
{
	switch (lo->group) {
	case JT_GROUP_TREE:
		return "tree";
	case JT_GROUP_SESSION:
		return "session";
	case JT_GROUP_USER:
		return "user";
	default:
		return hierarchy;
	}
}
