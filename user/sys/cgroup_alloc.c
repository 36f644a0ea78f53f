// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A job's allocation from its cgroups (include/jobtrace/cgroup_alloc.h).
 * A limit set on an ancestor binds its descendants too, so each limit is
 * the smallest on the way from the process's cgroup up to the root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/cgroup_alloc.h"
#include "jobtrace/cgroupfs.h"
#include "jobtrace/memcg.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

int cgroup_alloc__count_cpus(const char *buf, unsigned int *n)
{
	const char *p = buf;

	*n = 0;
	while (*p && *p != '\n') {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;

		if (end == p)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			b = strtoul(p + 1, &end, 10);
			if (end == p + 1 || b < a)
				return -EINVAL;
			p = end;
		}
		*n += (unsigned int)(b - a + 1);
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	return 0;
}

int cgroup_alloc__parse_cpu_max(const char *buf, bool *limited, double *cpus)
{
	unsigned long long quota, period;
	char q[32];

	if (sscanf(buf, "%31s %llu", q, &period) != 2 || !period)
		return -EINVAL;
	if (!strcmp(q, "max")) {
		*limited = false;
		*cpus = 0;
		return 0;
	}
	if (sscanf(q, "%llu", &quota) != 1)
		return -EINVAL;
	*limited = true;
	*cpus = (double)quota / (double)period;
	return 0;
}

int cgroup_alloc__parse_cfs(const char *quota, const char *period, bool *limited, double *cpus)
{
	long long q;
	unsigned long long p;

	if (sscanf(quota, "%lld", &q) != 1 || sscanf(period, "%llu", &p) != 1 || !p)
		return -EINVAL;
	*limited = q > 0;
	*cpus = q > 0 ? (double)q / (double)p : 0;
	return 0;
}

/* @path's parent in place: "/a/b" -> "/a" -> "/"; false at the root. */
static bool up(char *path)
{
	char *slash = strrchr(path, '/');

	if (!path[0] || !strcmp(path, "/"))
		return false;
	if (!slash || slash == path)
		strcpy(path, "/");
	else
		*slash = '\0';
	return true;
}

static int open_at(const struct cgroup_alloc_place *pl, const char *path)
{
	const char *at = path[0] == '/' ? path + 1 : path;

	return openat(pl->root_fd, *at ? at : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* A quota's period or burst, "N" microseconds, in seconds; 0 where it cannot be read. */
static double usec_at(int fd, const char *file, int field)
{
	unsigned long long v[2] = { 0, 0 };
	char a[64], q[32];

	if (util__read_file_at(fd, file, a, sizeof(a)) < 0)
		return 0;
	/* cpu.max is "QUOTA PERIOD": its period the second field. */
	if (field == 1 ? sscanf(a, "%31s %llu", q, &v[1]) != 2 : sscanf(a, "%llu", &v[0]) != 1)
		return 0;
	return (double)v[field] / 1e6;
}

/* The CPU bandwidth limit of one cgroup: 0 when it has one (@cpus, its @period_s, @from). */
static int cpu_limit_at(int fd, double *cpus, double *period_s, double *burst_s,
			const char **from)
{
	char a[64], b[64];
	bool limited;

	if (util__read_file_at(fd, "cpu.max", a, sizeof(a)) >= 0) {
		if (cgroup_alloc__parse_cpu_max(a, &limited, cpus) || !limited)
			return -ENOENT;
		*from = "cpu.max";
		*period_s = usec_at(fd, "cpu.max", 1);
		*burst_s = usec_at(fd, "cpu.max.burst", 0);
		return 0;
	}
	if (util__read_file_at(fd, "cpu.cfs_quota_us", a, sizeof(a)) < 0 ||
	    util__read_file_at(fd, "cpu.cfs_period_us", b, sizeof(b)) < 0 ||
	    cgroup_alloc__parse_cfs(a, b, &limited, cpus) || !limited)
		return -ENOENT;
	*from = "cpu.cfs_quota_us";
	*period_s = usec_at(fd, "cpu.cfs_period_us", 0);
	*burst_s = usec_at(fd, "cpu.cfs_burst_us", 0);
	return 0;
}

static void read_cpu(const struct cgroup_alloc_place *pl, struct cgroup_alloc *out)
{
	char path[CGROUP_ALLOC_PATH_LEN];

	if (pl->root_fd < 0 || snprintf(path, sizeof(path), "%s", pl->path) >= (int)sizeof(path))
		return;
	do {
		const char *from;
		double cpus, period_s = 0, burst_s = 0;
		int fd = open_at(pl, path);

		if (fd < 0)
			continue;
		if (!cpu_limit_at(fd, &cpus, &period_s, &burst_s, &from) &&
		    (!out->cpus_known || cpus < out->cpus)) {
			out->cpus_known = true;
			out->cpus = cpus;
			out->cpus_period_s = period_s;
			out->cpus_burst_s = burst_s;
			snprintf(out->cpus_from, sizeof(out->cpus_from), "%s", from);
			snprintf(out->cpus_cgroup, sizeof(out->cpus_cgroup), "%s", path);
		}
		close(fd);
	} while (up(path));
}

/*
 * The cpuset's CPUs bound the CPU too: where they are fewer than the host's,
 * or fewer than a quota (a cpuset of every CPU under a quota of more).
 */
static void read_cpuset(const struct cgroup_alloc_place *pl, unsigned int online,
			struct cgroup_alloc *out)
{
	static const char *const files[] = {"cpuset.cpus.effective", "cpuset.effective_cpus",
					    "cpuset.cpus"};
	unsigned int n;
	char buf[4096];
	int fd;

	if (pl->root_fd < 0 || (fd = open_at(pl, pl->path)) < 0)
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (util__read_file_at(fd, files[i], buf, sizeof(buf)) < 0 ||
		    cgroup_alloc__count_cpus(buf, &n) || !n)
			continue;
		if (n < out->cpus_max)
			out->cpus_max = n;
		if (out->cpus_known ? n < out->cpus : n < online) {
			out->cpus_known = true;
			out->cpus = n;
			/* Whole CPUs, not a quota: no period lends more than them. */
			out->cpus_period_s = out->cpus_burst_s = 0;
			snprintf(out->cpus_from, sizeof(out->cpus_from), "%s", files[i]);
			snprintf(out->cpus_cgroup, sizeof(out->cpus_cgroup), "%s", pl->path);
		}
		break;
	}
	close(fd);
}

static void read_memory(const struct cgroup_alloc_place *pl, struct cgroup_alloc *out)
{
	char path[CGROUP_ALLOC_PATH_LEN];

	if (pl->root_fd < 0 || snprintf(path, sizeof(path), "%s", pl->path) >= (int)sizeof(path))
		return;
	do {
		struct memcg_state st;
		int fd = open_at(pl, path);

		if (fd < 0)
			continue;
		if (!memcg__read(fd, &st) && st.limited &&
		    (!out->memory_known || st.limit_bytes < out->memory_bytes)) {
			out->memory_known = true;
			out->memory_bytes = st.limit_bytes;
			snprintf(out->memory_from, sizeof(out->memory_from), "%s",
				 st.v2 ? "memory.max" : "memory.limit_in_bytes");
			snprintf(out->memory_cgroup, sizeof(out->memory_cgroup), "%s", path);
		}
		close(fd);
	} while (up(path));
}

void cgroup_alloc__read(const struct cgroup_alloc_place *cpu,
			const struct cgroup_alloc_place *cpuset,
			const struct cgroup_alloc_place *memory, unsigned int online_cpus,
			struct cgroup_alloc *out)
{
	memset(out, 0, sizeof(*out));
	out->cpus_max = online_cpus;
	read_cpu(cpu, out);
	read_cpuset(cpuset, online_cpus, out);
	/*
	 * CFS bandwidth may exceed the CPUs there are ("800000 100000" on a
	 * 2-CPU host): the job can still run on no more than the online CPUs,
	 * and an allotment above them would divide its CPU efficiency by a
	 * number of CPUs it could never use. The quota stays the source, since
	 * it is what makes this an allocation at all.
	 */
	if (out->cpus_known && online_cpus && out->cpus > online_cpus) {
		out->cpus = online_cpus;
		out->cpus_period_s = out->cpus_burst_s = 0;
	}
	read_memory(memory, out);
}

/*
 * Where the hierarchies are: found once a minute, not at every job (a host
 * in tree mode makes many jobs a second, and each lookup parses mountinfo).
 * Index: cpu, cpuset, memory, v2.
 */
#define HIER_TTL_NS (60ULL * 1000000000ULL)
static const struct cgroup_hier *hier_of(const char *controller)
{
	static const char *const names[4] = {"cpu", "cpuset", "memory", NULL};
	static struct {
		struct cgroup_hier h;
		bool found;
	} cache[4];
	static unsigned long long taken_ns;
	unsigned long long now = util__now_ns();
	int i = 3;

	if (!taken_ns || now - taken_ns > HIER_TTL_NS) {
		for (int k = 0; k < 4; k++)
			cache[k].found = !cgroupfs__find_mounted(names[k], &cache[k].h);
		taken_ns = now;
	}
	for (int k = 0; controller && k < 3; k++)
		if (!strcmp(controller, names[k]))
			i = k;
	return cache[i].found ? &cache[i].h : NULL;
}

/* The place of @pid's cgroup in the hierarchy of @controller (NULL: v2). */
static void place_of(const struct proc_cgroup *cg, const char *controller,
		     struct cgroup_alloc_place *pl)
{
	const struct cgroup_hier *hp = hier_of(controller);
	struct cgroup_hier h;

	pl->root_fd = -1;
	if (!hp)
		return;
	h = *hp;
	for (size_t i = 0; i < cg->n; i++) {
		const struct proc_cgroup_entry *e = &cg->entries[i];

		if ((int)e->hierarchy_id != h.hierarchy_id)
			continue;
		pl->path = e->path;
		pl->root_fd = open(h.mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return;
	}
}

/*
 * Whether @pid was alive, not exiting, when its /proc/PID/cgroup was read
 * before this: the kernel shows an exiting task (PF_EXITING, from the
 * start of exit(2) to its reaping) in the root cgroup, "/", of every v1
 * hierarchy, whatever cgroup it was in. The flag is never cleared: not set
 * now, it was not set at the read.
 */
static int still_alive(int pid)
{
	struct proc_stat_fields st;
	char path[64], buf[4096];
	ssize_t n;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = util__read_file_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	err = proc_pid__parse_stat(buf, (size_t)n, &st);
	if (err)
		return err;
	/* (9) flags */
	return st.flags & PROC_PF_EXITING ? -ESRCH : 0;
}

int cgroup_alloc__of_pid(int pid, struct cgroup_alloc *out)
{
	static const char *const ctrl[3] = {"cpu", "cpuset", "memory"};
	struct cgroup_alloc_place pl[3];
	struct proc_cgroup cg = {};
	char path[64], *text = NULL;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	ssize_t n;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	n = util__read_file_alloc(AT_FDCWD, path, 1 << 20, &text);
	if (n < 0)
		return (int)n;
	err = still_alive(pid);
	if (!err)
		err = proc_pid__parse_cgroup(text, (size_t)n, &cg);
	if (err) {
		free(text);
		return err;
	}
	for (int i = 0; i < 3; i++) {
		place_of(&cg, ctrl[i], &pl[i]);
		/* v2 holds every controller it enables in one hierarchy. */
		if (pl[i].root_fd < 0)
			place_of(&cg, NULL, &pl[i]);
	}
	cgroup_alloc__read(&pl[0], &pl[1], &pl[2], online > 0 ? (unsigned int)online : 1, out);
	for (int i = 0; i < 3; i++)
		if (pl[i].root_fd >= 0)
			close(pl[i].root_fd);
	proc_cgroup__free(&cg);
	free(text);
	return 0;
}
