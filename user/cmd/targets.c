// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The jobs a front names (watch, top): shared so that both follow a --pid
 * or a --cgroup the same way, and inspect refuses a thread's id as they do.
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
#include "jobtrace/options.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/targets.h"

int targets__check_cgroups(const char *cmd, const char *const *paths, size_t n,
			   struct cgroup_hier *out)
{
	__u64 cgids[JT_MAX_TARGETS];

	if (n > JT_MAX_TARGETS)
		return cli__usage_error(cmd, "at most %d --cgroup", JT_MAX_TARGETS);
	for (size_t i = 0; i < n; i++) {
		struct cgroup_hier h;
		char rel[256];
		int err;

		err = cgroupfs__of_path(paths[i], &h, rel, sizeof(rel), &cgids[i]);
		if (err) {
			fprintf(stderr, "jobtrace: %s is not a cgroup directory: %s\n", paths[i],
				err == -EINVAL ? "not on a cgroup filesystem with a controller" :
						 strerror(-err));
			return EXIT_USAGE;
		}
		if (i && (h.hierarchy_id != out->hierarchy_id))
			return cli__usage_error(cmd, "%s", "every --cgroup must be in one hierarchy");
		/*
		 * One cgroup, one job: twice, the second job of it would see
		 * nothing and report at once, as a second --pid of a pid would.
		 * Compared as the cgroup's id (its directory's inode, unique in
		 * the one hierarchy), so "/a/b", "/a/b/", a relative path and
		 * a symbolic link to it are the same cgroup.
		 */
		for (size_t j = 0; j < i; j++) {
			if (cgids[j] != cgids[i])
				continue;
			if (!strcmp(paths[j], paths[i]))
				return cli__usage_error(cmd, "--cgroup %s is given twice", paths[i]);
			return cli__usage_error(cmd, "--cgroup %s is given twice: it is the cgroup "
						"of --cgroup %s", paths[i], paths[j]);
		}
		*out = h;
	}
	return 0;
}

pid_t targets__process_of(int proc_fd, pid_t pid)
{
	struct proc_status st;

	/*
	 * /proc/TID opens for any thread, though no listing shows it. A pid
	 * whose status cannot be read is left to the caller's own read.
	 */
	if (proc_pid__read_status(proc_fd, pid, &st) || st.tgid <= 0 || st.tgid == pid)
		return 0;
	return st.tgid;
}

int targets__check_pids(const char *cmd, const pid_t *pids, size_t n)
{
	int proc_fd, ret = 0;

	/* Unreadable: the collector's own read of each pid says why. */
	proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		return 0;
	for (size_t i = 0; i < n && !ret; i++) {
		/* Followed, a thread makes a job of nothing that "ends" at once. */
		pid_t tgid = targets__process_of(proc_fd, pids[i]);

		if (!tgid)
			continue;
		fprintf(stderr, "jobtrace: pid %d is a thread of process %d: %s --pid %d\n",
			(int)pids[i], (int)tgid, cmd, (int)tgid);
		ret = 1;
	}
	close(proc_fd);
	return ret;
}
