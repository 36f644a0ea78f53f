// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Memory cgroups: a limit and what happened at it (include/jobtrace/memcg.h).
 * The kernel counts a failed charge at the cgroup whose limit refused it
 * (v1's failcnt, v2's "max" and "oom" events, local to that cgroup), not at
 * the cgroup of the process that was killed: so the limit an OOM kill hit
 * is found by walking up from the victim's cgroup to the first limit that
 * was hit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/memcg.h"
#include "jobtrace/util.h"

int memcg__parse_limit(const char *buf, bool *limited, __u64 *bytes)
{
	char *end;
	unsigned long long v;

	if (!strncmp(buf, "max", 3) && (buf[3] == '\n' || buf[3] == '\0')) {
		*limited = false;
		*bytes = 0;
		return 0;
	}
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || buf[0] == '-')
		return -EINVAL;
	*limited = v < MEMCG_V1_UNLIMITED;
	*bytes = *limited ? v : 0;
	return 0;
}

int memcg__parse_keyed(const char *buf, const char *key, __u64 *value)
{
	size_t klen = strlen(key);

	for (const char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char *end;

		if (strncmp(p, key, klen) || p[klen] != ' ')
			continue;
		errno = 0;
		*value = strtoull(p + klen + 1, &end, 10);
		if (errno || end == p + klen + 1)
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}

/* A counter of a "key value" file; 0 where the file or the key is not there. */
static __u64 keyed(int dirfd, const char *file, const char *key)
{
	char buf[1024];
	__u64 v = 0;

	if (util__read_file_at(dirfd, file, buf, sizeof(buf)) < 0 ||
	    memcg__parse_keyed(buf, key, &v))
		return 0;
	return v;
}

int memcg__read(int dirfd, struct memcg_state *out)
{
	char buf[64];
	ssize_t n;
	int err;

	memset(out, 0, sizeof(*out));
	n = util__read_file_at(dirfd, "memory.max", buf, sizeof(buf));
	if (n >= 0) {
		out->v2 = true;
		err = memcg__parse_limit(buf, &out->limited, &out->limit_bytes);
		if (err)
			return err;
		/* .local: at this cgroup; kernels before 5.7 have the hierarchical file only. */
		if (!faccessat(dirfd, "memory.events.local", F_OK, 0)) {
			out->limit_hits = keyed(dirfd, "memory.events.local", "max");
			out->ooms = keyed(dirfd, "memory.events.local", "oom");
			out->oom_kills = keyed(dirfd, "memory.events.local", "oom_kill");
		} else {
			out->limit_hits = keyed(dirfd, "memory.events", "max");
			out->ooms = keyed(dirfd, "memory.events", "oom");
			out->oom_kills = keyed(dirfd, "memory.events", "oom_kill");
		}
		return 0;
	}
	n = util__read_file_at(dirfd, "memory.limit_in_bytes", buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ENOENT : (int)n;
	err = memcg__parse_limit(buf, &out->limited, &out->limit_bytes);
	if (err)
		return err;
	if (util__read_file_at(dirfd, "memory.failcnt", buf, sizeof(buf)) >= 0)
		out->limit_hits = strtoull(buf, NULL, 10);
	out->oom_kills = keyed(dirfd, "memory.oom_control", "oom_kill");
	return 0;
}

int memcg__limit_hit(int root_fd, const char *rel, char *hit_rel, size_t size,
		     struct memcg_state *hit)
{
	char path[4096], first[4096] = "";
	struct memcg_state st, first_st;
	bool have_first = false;

	if (strlen(rel) >= sizeof(path))
		return -ENAMETOOLONG;
	strcpy(path, rel);
	for (;;) {
		/* "/a/b" is "a/b" under the root; "/" is the root itself, "." */
		const char *at = path[0] == '/' ? path + 1 : path;
		int fd = openat(root_fd, *at ? at : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char *slash;

		if (fd >= 0) {
			int err = memcg__read(fd, &st);

			close(fd);
			if (!err && st.limited && (st.limit_hits || st.ooms)) {
				snprintf(hit_rel, size, "%s", path[0] ? path : "/");
				*hit = st;
				return 0;
			}
			if (!err && st.limited && !have_first) {
				have_first = true;
				snprintf(first, sizeof(first), "%s", path[0] ? path : "/");
				first_st = st;
			}
		}
		if (!path[0] || !strcmp(path, "/"))
			break;
		slash = strrchr(path, '/');
		if (!slash)
			path[0] = '\0';
		else if (slash == path)
			strcpy(path, "/");
		else
			*slash = '\0';
	}
	if (!have_first)
		return -ENOENT;
	snprintf(hit_rel, size, "%s", first);
	*hit = first_st;
	return 0;
}
