// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Arguments of live processes: a hash on (pid, start time). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/args_table.h"

#define MIN_BUCKETS 1024

static __u64 hash(__u32 pid, __u64 start_ns)
{
	return (pid * 0x9e3779b97f4a7c15ULL) ^ (start_ns * 0xc2b2ae3d27d4eb4fULL);
}

/* The link to @pid's entry (*link NULL: none), or NULL when the table is empty. */
static struct hmap_node **slot(const struct args_table *t, __u32 pid, __u64 start_ns)
{
	__u64 h = hash(pid, start_ns);
	struct hmap_node **p = hmap__chain(&t->map, h);

	while (p && *p) {
		const struct args_entry *a = hmap__entry(*p, struct args_entry, node);

		if ((*p)->hash == h && a->pid == pid && a->start_ns == start_ns)
			break;
		p = &(*p)->next;
	}
	return p;
}

int args_table__put(struct args_table *t, __u32 pid, __u64 start_ns, const char *args,
		    size_t len, bool truncated, const char *exe, size_t exe_size)
{
	size_t exe_len = exe ? strnlen(exe, exe_size) : 0;
	struct hmap_node **s;
	struct args_entry *a;

	if (len > 0xffff || exe_len > 0xffff)
		return -E2BIG;
	if (hmap__reserve(&t->map, MIN_BUCKETS))
		return -ENOMEM;
	a = malloc(sizeof(*a) + len + exe_len + 1);
	if (!a)
		return -ENOMEM;
	a->pid = pid;
	a->start_ns = start_ns;
	a->len = (__u16)len;
	a->truncated = truncated;
	memcpy(a->data, args, len);
	a->exe_len = (__u16)exe_len;
	memcpy(a->data + len, exe ? exe : "", exe_len);
	a->data[len + exe_len] = '\0';
	/* A later exec replaces what the earlier one left. */
	s = slot(t, pid, start_ns);
	if (*s) {
		struct hmap_node *old = *s;

		hmap__unlink(&t->map, s);
		free(hmap__entry(old, struct args_entry, node));
	}
	hmap__add(&t->map, &a->node, hash(pid, start_ns));
	return 0;
}

struct args_entry *args_table__take(struct args_table *t, __u32 pid, __u64 start_ns)
{
	struct hmap_node **s = slot(t, pid, start_ns), *n;

	if (!s || !*s)
		return NULL;
	n = *s;
	hmap__unlink(&t->map, s);
	return hmap__entry(n, struct args_entry, node);
}

const struct args_entry *args_table__find(const struct args_table *t, __u32 pid, __u64 start_ns)
{
	struct hmap_node **s = slot(t, pid, start_ns);

	return s && *s ? hmap__entry(*s, struct args_entry, node) : NULL;
}

static void entry_free(struct hmap_node *n)
{
	free(hmap__entry(n, struct args_entry, node));
}

void args_table__free(struct args_table *t)
{
	hmap__free(&t->map, entry_free);
}
