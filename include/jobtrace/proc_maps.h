/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /proc/PID/smaps summed per mapped path, as psutil's memory_maps(grouped=True)
 * gives it. Costly: the kernel walks every page table of the process to write
 * the file, so it is only read when asked for.
 */
#ifndef JOBTRACE_PROC_MAPS_H
#define JOBTRACE_PROC_MAPS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The name given to mappings without a path (anonymous memory). */
#define PROC_MAPS_ANON "[anon]"

struct proc_map_group {
	char *path;		/* "/usr/lib/libc.so.6", "[heap]", "[stack]" or PROC_MAPS_ANON */
	size_t path_len;	/* any bytes but '\n'; " (deleted)" removed */
	bool deleted;
	uint64_t mappings;	/* how many VMAs were summed */
	uint64_t size_bytes;
	uint64_t rss_bytes;
	uint64_t pss_bytes;
	uint64_t shared_clean_bytes;
	uint64_t shared_dirty_bytes;
	uint64_t private_clean_bytes;
	uint64_t private_dirty_bytes;
	uint64_t referenced_bytes;
	uint64_t anonymous_bytes;
	uint64_t swap_bytes;
};

struct proc_maps {
	struct proc_map_group *v;	/* in order of first appearance */
	size_t n, cap;
};

/*
 * Parses a whole smaps file. -ESRCH for an empty one (no mm: a kernel
 * thread or zombie), -EINVAL for anything the kernel does not write,
 * including a file cut mid-line; nothing is left half filled.
 */
int proc_maps__parse(const char *buf, size_t len, struct proc_maps *out);
int proc_maps__read(int proc_fd, int pid, struct proc_maps *out);
/* NULL-safe; leaves @m empty. */
void proc_maps__free(struct proc_maps *m);

#ifdef __cplusplus
}
#endif

#endif
