/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one hash table of the collector's tables (user/lib/hmap.c): chained
 * and intrusive, as the kernel's hlist. An entry embeds a struct hmap_node
 * holding its key's 64-bit hash (well mixed: util__fnv1a() or a
 * multiplicative hash); the table never sees the key, so a lookup walks
 * one chain and the caller compares keys. It grows to one entry per bucket
 * on average, so chains stay short.
 */
#ifndef JOBTRACE_HMAP_H
#define JOBTRACE_HMAP_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

struct hmap_node {
	struct hmap_node *next;
	uint64_t hash;
};

struct hmap {
	struct hmap_node **buckets;
	size_t nbuckets, n;
};

/* The entry of type @type whose member @member is the node @node. */
#define hmap__entry(node, type, member) ((type *)((char *)(node) - offsetof(type, member)))

/* Room for one more entry (the first time, @min_buckets, a power of two). 0 or -ENOMEM. */
int hmap__reserve(struct hmap *h, size_t min_buckets);
/* Adds @node with @hash; after hmap__reserve(). */
void hmap__add(struct hmap *h, struct hmap_node *node, uint64_t hash);
/*
 * The link to the first node of @hash's chain (NULL when the table is
 * empty): follow (*link)->next, comparing (*link)->hash then the key, to
 * find an entry, and pass the link that points at it to hmap__unlink().
 */
struct hmap_node **hmap__chain(const struct hmap *h, uint64_t hash);
/* Takes the node *@link points at out of the table. */
void hmap__unlink(struct hmap *h, struct hmap_node **link);
/* Calls @fn on every node (which it may free), then frees the buckets. */
void hmap__free(struct hmap *h, void (*fn)(struct hmap_node *node));

#ifdef __cplusplus
}
#endif

#endif
