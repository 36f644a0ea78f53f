/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A memory cgroup's limit and what happened at it, v1 or v2, read from its
 * directory: which limit an OOM kill hit, and what a job was allotted.
 * Pure parsers over a buffer, and a reader over a directory fd, so a test
 * can feed fixture trees.
 *
 *   v2: memory.max ("max" or bytes), memory.events.local ("max N", "oom N",
 *       "oom_kill N": at this cgroup, not its children), memory.events
 *   v1: memory.limit_in_bytes (a huge number for none), memory.failcnt
 *       (charges that failed at this limit), memory.oom_control ("oom_kill N")
 */
#ifndef JOBTRACE_MEMCG_H
#define JOBTRACE_MEMCG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct memcg_state {
	bool v2;
	bool limited; /* a limit below "none" */
	__u64 limit_bytes;
	__u64 limit_hits; /* v2: events.local max; v1: failcnt */
	__u64 ooms;	  /* v2: events.local oom (an OOM at this limit); v1: 0, not told */
	__u64 oom_kills;  /* processes the OOM killer took here (v2 local; v1 oom_control) */
};

/* v1 says "no limit" with PAGE_COUNTER_MAX pages in bytes; anything this big is none. */
#define MEMCG_V1_UNLIMITED (1ULL << 62)

/* "max\n" or a number of bytes: 0, or -EINVAL. */
int memcg__parse_limit(const char *buf, bool *limited, __u64 *bytes);
/* The value of @key in "key value" lines (memory.events, memory.oom_control): 0 or -ENOENT. */
int memcg__parse_keyed(const char *buf, const char *key, __u64 *value);
/* The memory cgroup at @dirfd: 0, or -ENOENT when it has no memory controller files. */
int memcg__read(int dirfd, struct memcg_state *out);
/*
 * The cgroup whose limit an OOM kill in cgroup @rel (a path inside the
 * hierarchy whose root is open at @root_fd) hit: @rel itself or its
 * nearest ancestor with a limit that was hit (v2: its events say max or
 * oom; v1: its failcnt), else the nearest with a limit. Its path goes to
 * @hit_rel and its state to @hit. -ENOENT: no cgroup on the way has a
 * limit (the host ran out: a global OOM).
 */
int memcg__limit_hit(int root_fd, const char *rel, char *hit_rel, size_t size,
		     struct memcg_state *hit);

#ifdef __cplusplus
}
#endif

#endif
