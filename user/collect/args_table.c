// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Arguments of live processes: a chained hash on (pid, start time). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/args_table.h"

#define MIN_BUCKETS 1024

static size_t hash(__u32 pid, __u64 start_ns, size_t nbuckets)
{
	__u64 h = (pid * 0x9e3779b97f4a7c15ULL) ^ (start_ns * 0xc2b2ae3d27d4eb4fULL);

	return (size_t)(h >> 17) & (nbuckets - 1);
}

static struct args_entry **slot(const struct args_table *t, __u32 pid, __u64 start_ns)
{
	struct args_entry **p;

	if (!t->nbuckets)
		return NULL;
	p = &t->buckets[hash(pid, start_ns, t->nbuckets)];
	while (*p && !((*p)->pid == pid && (*p)->start_ns == start_ns))
		p = &(*p)->next;
	return p;
}

static int grow(struct args_table *t)
{
	size_t n = t->nbuckets ? t->nbuckets * 2 : MIN_BUCKETS;
	struct args_entry **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct args_entry *a = t->buckets[i], *next;

		for (; a; a = next) {
			size_t h = hash(a->pid, a->start_ns, n);

			next = a->next;
			a->next = b[h];
			b[h] = a;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
	return 0;
}

int args_table__put(struct args_table *t, __u32 pid, __u64 start_ns, const char *args,
		    size_t len, bool truncated)
{
	struct args_entry **s, *a;

	if (len > 0xffff)
		return -E2BIG;
	/* At most one entry per bucket on average: chains stay short. */
	if (t->n >= t->nbuckets && grow(t))
		return -ENOMEM;
	a = malloc(sizeof(*a) + len);
	if (!a)
		return -ENOMEM;
	a->pid = pid;
	a->start_ns = start_ns;
	a->len = (__u16)len;
	a->truncated = truncated;
	memcpy(a->data, args, len);
	s = slot(t, pid, start_ns);
	if (*s) {
		a->next = (*s)->next;
		free(*s);
	} else {
		a->next = NULL;
		t->n++;
	}
	*s = a;
	return 0;
}

struct args_entry *args_table__take(struct args_table *t, __u32 pid, __u64 start_ns)
{
	struct args_entry **s = slot(t, pid, start_ns), *a;

	if (!s || !*s)
		return NULL;
	a = *s;
	*s = a->next;
	t->n--;
	return a;
}

const struct args_entry *args_table__find(const struct args_table *t, __u32 pid, __u64 start_ns)
{
	struct args_entry **s = slot(t, pid, start_ns);

	return s ? *s : NULL;
}

void args_table__free(struct args_table *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct args_entry *a = t->buckets[i], *next;

		for (; a; a = next) {
			next = a->next;
			free(a);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}
