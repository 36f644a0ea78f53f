// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Cgroup hierarchies: see include/jobtrace/cgroupfs.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#define MAX_WALK_DEPTH 32

/* Does the comma list @opts hold @word? */
static bool has_option(const char *opts, size_t len, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i < len;) {
		size_t n = 0;

		while (i + n < len && opts[i + n] != ',')
			n++;
		if (n == wl && !memcmp(opts + i, word, wl))
			return true;
		i += n + 1;
	}
	return false;
}

/* The @n-th space-separated field of @line (0-based); its length in *len. */
static const char *field(const char *line, size_t llen, int n, size_t *len)
{
	size_t i = 0;

	for (int k = 0; k <= n; k++) {
		size_t start;

		while (i < llen && line[i] == ' ')
			i++;
		start = i;
		while (i < llen && line[i] != ' ')
			i++;
		if (k == n) {
			*len = i - start;
			return i > start ? line + start : NULL;
		}
	}
	return NULL;
}

/* The line (from 0) and the hierarchy of @controller in /proc/cgroups. */
static int find_subsys(const char *cgroups, size_t clen, const char *controller, int *ssid,
		       int *hierarchy)
{
	int idx = 0;

	for (size_t i = 0; i < clen;) {
		const char *line = cgroups + i;
		char name[64], copy[128];
		size_t ll = 0;
		int h, n;

		while (i + ll < clen && line[ll] != '\n')
			ll++;
		i += ll + 1;
		if (!ll || line[0] == '#')
			continue;
		/*
		 * sscanf() on the line itself would read past @clen (the buffer
		 * need not end in a NUL) and take a number from the next line
		 * when this one has none: scan a terminated copy of the line.
		 */
		n = (int)(ll < sizeof(copy) ? ll : sizeof(copy) - 1);
		memcpy(copy, line, (size_t)n);
		copy[n] = '\0';
		/*
		 * "name hierarchy num_cgroups enabled", in subsystem id order,
		 * but since 6.12 without the controllers built without v1
		 * files (kernel/cgroup/cgroup-v1.c, proc_cgroupstats_show()):
		 * the line is the id only where none was left out before it.
		 */
		n = sscanf(copy, "%63s %d", name, &h);
		if (n == 2 && !strcmp(name, controller)) {
			*ssid = idx;
			*hierarchy = h;
			return 0;
		}
		idx++;
	}
	return -ENOENT;
}

int cgroupfs__find(const char *mountinfo, size_t mlen, const char *cgroups, size_t clen,
		   const char *controller, struct cgroup_hier *out)
{
	memset(out, 0, sizeof(*out));
	out->ssid = -1;
	for (size_t i = 0; i < mlen;) {
		const char *line = mountinfo + i, *dash, *fstype, *mnt, *opts;
		size_t ll = 0, flen, mntlen, olen;

		while (i + ll < mlen && line[ll] != '\n')
			ll++;
		i += ll + 1;
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPEROPTS" */
		dash = memmem(line, ll, " - ", 3);
		if (!dash)
			continue;
		fstype = field(dash + 3, ll - (size_t)(dash + 3 - line), 0, &flen);
		opts = field(dash + 3, ll - (size_t)(dash + 3 - line), 2, &olen);
		mnt = field(line, ll, 4, &mntlen);
		if (!fstype || !mnt || mntlen >= sizeof(out->mount))
			continue;
		if (!controller) {
			if (flen != 7 || memcmp(fstype, "cgroup2", 7))
				continue;
		} else {
			if (flen != 6 || memcmp(fstype, "cgroup", 6) || !opts ||
			    !has_option(opts, olen, controller))
				continue;
		}
		memcpy(out->mount, mnt, mntlen);
		out->mount[mntlen] = '\0';
		if (!controller)
			return 0;
		snprintf(out->controller, sizeof(out->controller), "%s", controller);
		return find_subsys(cgroups, clen, controller, &out->ssid, &out->hierarchy_id);
	}
	return -ENOENT;
}

static int read_tables(char **mi, ssize_t *mlen, char **cg, ssize_t *clen)
{
	/*
	 * JOBTRACE_PROC_CGROUPS lets a test stand in a kernel whose
	 * /proc/cgroups leaves some controllers out, as 6.12 and later do.
	 */
	const char *cgroups = getenv("JOBTRACE_PROC_CGROUPS");

	*mlen = util__read_file_alloc(AT_FDCWD, "/proc/self/mountinfo", 1 << 22, mi);
	if (*mlen < 0)
		return (int)*mlen;
	*clen = util__read_file_alloc(AT_FDCWD, cgroups ? cgroups : "/proc/cgroups", 1 << 20, cg);
	if (*clen < 0) {
		free(*mi);
		*mi = NULL;
		return (int)*clen;
	}
	return 0;
}

static int find_live(const char *controller, struct cgroup_hier *out)
{
	char *mi = NULL, *cg = NULL;
	ssize_t mlen = 0, clen = 0;
	int err;

	err = read_tables(&mi, &mlen, &cg, &clen);
	if (err)
		return err;
	err = cgroupfs__find(mi, (size_t)mlen, cg, (size_t)clen, controller, out);
	free(mi);
	free(cg);
	return err;
}

int cgroupfs__find_mounted(const char *controller, struct cgroup_hier *out)
{
	return find_live(controller, out);
}

int cgroupfs__of_path(const char *path, struct cgroup_hier *out, char *rel, size_t rel_size,
		      __u64 *cgid)
{
	static const char *const v1[] = { "cpu", "cpuacct", "memory", "pids", "cpuset", "blkio",
					  "io", "freezer", "devices", "hugetlb", "perf_event",
					  "net_cls", "net_prio" };
	char real[PATH_MAX];
	struct statfs sf;
	struct stat sb;
	size_t ml;

	if (!realpath(path, real))
		return -errno;
	if (statfs(real, &sf) || stat(real, &sb))
		return -errno;
	if (!S_ISDIR(sb.st_mode))
		return -ENOTDIR;
	*cgid = (__u64)sb.st_ino;
	if (sf.f_type == CGROUP2_SUPER_MAGIC) {
		if (find_live(NULL, out))
			return -EINVAL;
	} else if (sf.f_type == CGROUP_SUPER_MAGIC) {
		bool found = false;

		for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]) && !found; i++) {
			ml = 0;
			if (find_live(v1[i], out))
				continue;
			ml = strlen(out->mount);
			found = !strncmp(real, out->mount, ml) && (real[ml] == '/' || !real[ml]);
		}
		if (!found)
			return -EINVAL; /* a named hierarchy (name=systemd) has no controller */
	} else {
		return -EINVAL;
	}
	ml = strlen(out->mount);
	if (strncmp(real, out->mount, ml))
		return -EINVAL;
	snprintf(rel, rel_size, "%s", real[ml] ? real + ml : "/");
	return 0;
}

/* Depth-first search under @dirfd for a directory with inode @cgid. */
static int walk_find(int dirfd, __u64 cgid, char *buf, size_t size, size_t len, int depth)
{
	struct dirent *de;
	DIR *d;
	int err = -ENOENT;

	if (depth > MAX_WALK_DEPTH)
		return -ENOENT;
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return -errno;
	}
	while (err == -ENOENT && (de = readdir(d))) {
		struct stat sb;
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW))
			continue;
		if (len + 1 + strlen(de->d_name) + 1 > size)
			continue;
		snprintf(buf + len, size - len, "/%s", de->d_name);
		if ((__u64)sb.st_ino == cgid) {
			err = 0;
			break;
		}
		fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			err = walk_find(fd, cgid, buf, size, strlen(buf), depth + 1);
		if (err)
			buf[len] = '\0';
	}
	closedir(d);
	return err;
}

/*
 * The cgroup whose kernfs id is @cgid, opened through a file handle (as
 * kernfs exports it: FILEID_KERNFS, the 64-bit id) and named by its
 * /proc/self/fd link: one lookup, where a walk of the hierarchy costs a
 * stat per cgroup, per job named (host mode names thousands).
 */
#define FILEID_KERNFS_TYPE 0xfe
static int path_by_handle(const struct cgroup_hier *h, __u64 cgid, char *buf, size_t size)
{
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + sizeof(__u64)];
	} u;
	size_t mlen = strlen(h->mount);
	char link[64], path[PATH_MAX];
	int mfd, fd, err = 0;
	ssize_t n;

	u.fh.handle_bytes = sizeof(__u64);
	u.fh.handle_type = FILEID_KERNFS_TYPE;
	memcpy(u.fh.f_handle, &cgid, sizeof(cgid));
	mfd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	fd = open_by_handle_at(mfd, &u.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		err = -errno;
	close(mfd);
	if (err)
		return err;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (n < 0)
		return err;
	path[n] = '\0';
	/* Inside the hierarchy's mount, or not ours (another mount of it: walk instead). */
	if ((size_t)n < mlen || strncmp(path, h->mount, mlen) ||
	    (path[mlen] != '/' && path[mlen] != '\0'))
		return -EXDEV;
	if (snprintf(buf, size, "%s", path[mlen] ? path + mlen : "/") >= (int)size)
		return -ENOSPC;
	return 0;
}

int cgroupfs__path_of_id(const struct cgroup_hier *h, __u64 cgid, char *buf, size_t size)
{
	struct stat sb;
	int fd;

	if (size < 2)
		return -ENOSPC;
	if (stat(h->mount, &sb))
		return -errno;
	if ((__u64)sb.st_ino == cgid) {
		snprintf(buf, size, "/");
		return 0;
	}
	if (!path_by_handle(h, cgid, buf, size))
		return 0;
	/* No handle (no CAP_DAC_READ_SEARCH, an old kernel): find it by a walk. */
	fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf[0] = '\0';
	return walk_find(fd, cgid, buf, size, 0, 0);
}

/* A process's path in @t's hierarchy: the "0::" line, or the line that has its controller. */
static const char *path_in(const struct cgroup_tally *t, const struct proc_cgroup *cg)
{
	size_t clen = t->controller ? strlen(t->controller) : 0;

	if (!t->controller)
		return cg->unified_path;
	for (size_t i = 0; i < cg->n; i++) {
		const char *c = cg->entries[i].controllers;

		if (!cg->entries[i].hierarchy_id)
			continue;
		/* "cpu,cpuacct" has cpu; "cpuacct" alone does not. */
		for (const char *p = c; (p = strstr(p, t->controller)); p += clen)
			if ((p == c || p[-1] == ',') && (p[clen] == ',' || !p[clen]))
				return cg->entries[i].path;
	}
	return NULL;
}

int cgroupfs__tally_add(struct cgroup_tally *t, const struct proc_cgroup *cg)
{
	const char *path = path_in(t, cg);
	int err;

	if (!path || !strcmp(path, "/") || !*path)
		return 0;
	if (t->n == t->cap) {
		err = util__grow(&t->paths, &t->cap, sizeof(*t->paths), 64, 1U << 24);
		if (err)
			return err;
	}
	t->paths[t->n] = strdup(path);
	if (!t->paths[t->n])
		return -ENOMEM;
	t->n++;
	t->processes++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t cgroupfs__tally_distinct(struct cgroup_tally *t)
{
	size_t d = 0;

	if (!t->n)
		return 0;
	qsort(t->paths, t->n, sizeof(*t->paths), cmp_str);
	for (size_t i = 0; i < t->n; i++)
		d += !i || strcmp(t->paths[i], t->paths[i - 1]);
	return d;
}

void cgroupfs__tally_free(struct cgroup_tally *t)
{
	for (size_t i = 0; t && i < t->n; i++)
		free(t->paths[i]);
	if (t)
		free(t->paths);
}

#define HOST_CANDIDATES 4

int cgroupfs__choose_host(int proc_fd, struct cgroup_hier *out, char *why, size_t why_size)
{
	static const char *const names[HOST_CANDIDATES] = { NULL, "cpu", "memory", "pids" };
	struct cgroup_tally t[HOST_CANDIDATES] = {};
	struct cgroup_hier h[HOST_CANDIDATES];
	bool mounted[HOST_CANDIDATES];
	size_t distinct[HOST_CANDIDATES] = {}, best = HOST_CANDIDATES, n;
	struct dirent *de;
	DIR *d;
	int fd, err = 0;

	for (size_t i = 0; i < HOST_CANDIDATES; i++) {
		t[i].controller = names[i];
		mounted[i] = !find_live(names[i], &h[i]);
	}
	fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (!err && (de = readdir(d))) {
		struct proc_cgroup cg;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		/* A process gone since the listing is no one's. */
		if (*end || pid <= 0 || proc_pid__read_cgroup(proc_fd, (int)pid, &cg))
			continue;
		for (size_t i = 0; !err && i < HOST_CANDIDATES; i++)
			if (mounted[i])
				err = cgroupfs__tally_add(&t[i], &cg);
		proc_cgroup__free(&cg);
	}
	closedir(d);
	for (size_t i = 0; i < HOST_CANDIDATES; i++) {
		distinct[i] = err ? 0 : cgroupfs__tally_distinct(&t[i]);
		if (distinct[i] && (best == HOST_CANDIDATES || distinct[i] > distinct[best]))
			best = i;
	}
	if (!err && best < HOST_CANDIDATES) {
		char name[64];

		*out = h[best];
		n = (size_t)snprintf(why, why_size, "grouping by %s: its processes are in %zu "
						  "cgroups below its root",
				      cgroupfs__name(out, name, sizeof(name)), distinct[best]);
		for (size_t i = 0; i < HOST_CANDIDATES && n < why_size; i++)
			if (i != best && mounted[i])
				n += (size_t)snprintf(why + n, why_size - n, "; %s's in %zu",
						      cgroupfs__name(&h[i], name, sizeof(name)),
						      distinct[i]);
	} else if (!err) {
		snprintf(why, why_size, "grouping by process tree: every process is in the root "
					"cgroup of every hierarchy");
		err = -ENOENT;
	}
	for (size_t i = 0; i < HOST_CANDIDATES; i++)
		cgroupfs__tally_free(&t[i]);
	return err;
}

const char *cgroupfs__name(const struct cgroup_hier *h, char *buf, size_t size)
{
	if (h->ssid < 0)
		snprintf(buf, size, "cgroup2");
	else
		snprintf(buf, size, "cgroup1:%s", h->controller);
	return buf;
}
