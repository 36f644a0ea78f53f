// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The jobs a front names (watch, top): shared so that both follow a --pid
 * or a --cgroup the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/cli.h"
#include "jobtrace/collector.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/targets.h"

int targets__check_cgroups(const char *cmd, const char *const *paths, size_t n,
			   struct cgroup_hier *out, struct lineage_opts *lo)
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
		lo->follow_cgroups = true;
		lo->watch_ssid = h.ssid;
	}
	return 0;
}

/* Its start time tells it from a later process with its pid. */
int targets__add_pid(struct collector *c, __u64 id, pid_t pid, int proc_fd, const char *mode)
{
	const struct source_ops *ops = collector__ops(c);
	__u64 tick_ns = 1000000000ULL / (__u64)sysconf(_SC_CLK_TCK);
	struct proc_stat_fields st;
	char key[32];
	struct cjob *j;
	int err;

	err = proc_pid__read_stat(proc_fd, pid, &st);
	if (err) {
		fprintf(stderr, "jobtrace: no process %d: %s\n", pid,
			err == -ENOENT ? "it does not exist (or has ended)" : strerror(-err));
		return err;
	}
	snprintf(key, sizeof(key), "pid:%d", pid);
	j = collector__add_job(c, id, key, CJOB_END_EMPTY);
	if (!j)
		return -ENOMEM;
	j->job.mode = mode;
	j->job.attached = true;
	j->job.root_pid = pid;
	err = ops->add_empty(c, id, -1);
	if (!err)
		err = ops->add_attach_root(c, id, pid, st.starttime_ticks * tick_ns, 2 * tick_ns);
	if (err)
		fprintf(stderr, "jobtrace: cannot set up the job of pid %d: %s\n", pid,
			strerror(-err));
	return err;
}

int targets__add_cgroup(struct collector *c, __u64 id, const char *path,
			const struct cgroup_hier *h, const char *mode)
{
	const struct source_ops *ops = collector__ops(c);
	char key[300], rel[256];
	struct cjob *j;
	__u64 cgid;
	int err;

	err = cgroupfs__of_path(path, (struct cgroup_hier *)h, rel, sizeof(rel), &cgid);
	if (err)
		return err;
	snprintf(key, sizeof(key), "cgroup:%s", rel);
	j = collector__add_job(c, id, key, CJOB_END_CGROUP_GONE);
	if (!j)
		return -ENOMEM;
	j->cgroup = strdup(rel);
	j->job.cgroup = j->cgroup;
	j->job.mode = mode;
	j->job.attached = true;
	j->job.hierarchy = cgroupfs__name(h, j->hierarchy, sizeof(j->hierarchy));
	j->cgroup_dirfd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	err = ops->add_empty(c, id, h->hierarchy_id);
	if (!err)
		err = ops->add_watch_cgroup(c, id, cgid, h->hierarchy_id);
	if (err)
		fprintf(stderr, "jobtrace: cannot set up the job of cgroup %s: %s\n", path,
			strerror(-err));
	return err;
}
