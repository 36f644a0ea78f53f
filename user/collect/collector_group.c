// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How the jobs are made, the collector's decision: host mode's grouping
 * (watch --all, top, serve: which hierarchy, by where the host's processes
 * are), and the loader's options built from what a front asked
 * (struct collector_opts), which no front sees.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/collector.h"
#include "jobtrace/lineage.h"
#include "jobtrace/util.h"

#include "collector_priv.h"

/* Host mode's grouping, from --group-by; tree when cgroups are not in use. */
int collector__group_by(const char *group_by, struct collector_grouping *out)
{
	const char *g = group_by ? group_by : "cgroup";
	struct cgroup_hier *h = &out->hier;
	char *why = out->why;
	size_t why_size = sizeof(out->why);
	int err;

	why[0] = '\0';
	if (!strcmp(g, "tree")) {
		out->group = COLLECTOR_GROUP_TREE;
		return 0;
	}
	/* The kernel's sessions: a login's or a terminal's work, as ps -s and loginctl see it. */
	if (!strcmp(g, "session")) {
		out->group = COLLECTOR_GROUP_SESSION;
		return 0;
	}
	/* Who the work is for: a job per real uid. */
	if (!strcmp(g, "user")) {
		out->group = COLLECTOR_GROUP_USER;
		return 0;
	}
	if (!strcmp(g, "cgroup")) {
		int proc_fd = util__open_dir("/proc");

		err = proc_fd < 0 ? -errno : cgroupfs__choose_host(proc_fd, h, why, why_size);
		if (proc_fd >= 0)
			close(proc_fd);
		if (err == -ENOENT) {
			/* Every process sits in the root cgroup: cgroups would make one job. */
			out->group = COLLECTOR_GROUP_TREE;
			return 0;
		}
	} else {
		err = cgroupfs__find_mounted(!strcmp(g, "cgroup2") ? NULL : g + 8, h);
	}
	if (err) {
		fprintf(stderr, "jobtrace: no cgroup hierarchy for --group-by %s: %s\n", g,
			err == -ENOENT ? "not mounted" : strerror(-err));
		return err;
	}
	out->group = COLLECTOR_GROUP_CGROUP;
	return 0;
}

const char *collector__group_name(const struct collector_grouping *g, char *buf, size_t size)
{
	switch (g->group) {
	case COLLECTOR_GROUP_TREE:
		return "tree";
	case COLLECTOR_GROUP_SESSION:
		return "session";
	case COLLECTOR_GROUP_USER:
		return "user";
	case COLLECTOR_GROUP_CGROUP:
		return cgroupfs__name(&g->hier, buf, size);
	default:
		return "";
	}
}

void collector__source_opts(const struct collector_opts *o, struct lineage_opts *lo)
{
	static const enum jt_group groups[] = {
		[COLLECTOR_GROUP_LINEAGE] = JT_GROUP_LINEAGE, [COLLECTOR_GROUP_CGROUP] = JT_GROUP_CGROUP,
		[COLLECTOR_GROUP_TREE] = JT_GROUP_TREE,	      [COLLECTOR_GROUP_SESSION] = JT_GROUP_SESSION,
		[COLLECTOR_GROUP_USER] = JT_GROUP_USER,
	};

	memset(lo, 0, sizeof(*lo));
	lo->ring_bytes = o->source.ring_bytes;
	lo->max_procs = o->source.max_procs;
	lo->max_jobs = o->source.max_jobs;
	lo->verbose = o->source.verbose;
	lo->attach = o->source.attach;
	lo->adopt = o->source.adopt;
	lo->fork_records = o->source.fork_records;
	lo->group = groups[o->grouping.group];
	if (o->grouping.group == COLLECTOR_GROUP_CGROUP) {
		lo->cgrp_ssid = o->grouping.hier.ssid;
		snprintf(lo->cgrp_controller, sizeof(lo->cgrp_controller), "%s",
			 o->grouping.hier.controller);
		lo->hierarchy_id = o->grouping.hier.hierarchy_id;
	}
	if (o->follow_hier) {
		lo->follow_cgroups = true;
		lo->watch_ssid = o->follow_hier->ssid;
		snprintf(lo->watch_controller, sizeof(lo->watch_controller), "%s",
			 o->follow_hier->controller);
	}
	/*
	 * Arguments name the failed processes in every report, not only in
	 * --events; --no-args: none (a command line can hold a secret).
	 */
	lo->capture_args = !o->source.no_args;
}
