/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The arguments and the exec'd path of live processes, from their exec
 * records, kept until
 * their exit record takes them: keyed by (pid, start time), so a reused pid
 * is another process. Its size follows the processes alive, not the ones
 * ever seen.
 */
#ifndef JOBTRACE_ARGS_TABLE_H
#define JOBTRACE_ARGS_TABLE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "jobtrace/hmap.h"

struct args_entry {
	struct hmap_node node; /* keyed by (pid, start_ns) */
	__u32 pid;
	__u16 len;
	__u8 truncated;
	__u16 exe_len; /* 0: the path is not known */
	__u64 start_ns;
	/* argv, NUL-separated as in /proc/PID/cmdline, then the path and a NUL */
	char data[];
};

/* The path @a's process exec'd, NUL-terminated (args_entry.exe_len bytes before it). */
static inline const char *args_entry__exe(const struct args_entry *a)
{
	return a->data + a->len;
}

struct args_table {
	struct hmap map;
};

/*
 * Keeps (a copy of) @len bytes of argv and the path @exe (up to its NUL
 * or @exe_size bytes; NULL: not known) for the process; a later exec
 * replaces both.
 */
int args_table__put(struct args_table *t, __u32 pid, __u64 start_ns, const char *args,
		    size_t len, bool truncated, const char *exe, size_t exe_size);
/* Removes and returns the process's entry (the caller frees it), or NULL. */
struct args_entry *args_table__take(struct args_table *t, __u32 pid, __u64 start_ns);
/* The process's entry, left in place, or NULL. */
const struct args_entry *args_table__find(const struct args_table *t, __u32 pid, __u64 start_ns);
void args_table__free(struct args_table *t);

#ifdef __cplusplus
}
#endif

#endif
