// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The collector's one hash table: see include/jobtrace/hmap.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/hmap.h"

/* The high bits: a multiplicative hash puts its entropy there. */
static size_t bucket_of(uint64_t hash, size_t nbuckets)
{
	return (size_t)(hash >> 17) & (nbuckets - 1);
}

int hmap__reserve(struct hmap *h, size_t min_buckets)
{
	size_t n = h->nbuckets ? h->nbuckets * 2 : min_buckets;
	struct hmap_node **b;

	if (h->n < h->nbuckets)
		return 0;
	b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < h->nbuckets; i++) {
		struct hmap_node *x = h->buckets[i], *next;

		for (; x; x = next) {
			size_t k = bucket_of(x->hash, n);

			next = x->next;
			x->next = b[k];
			b[k] = x;
		}
	}
	free(h->buckets);
	h->buckets = b;
	h->nbuckets = n;
	return 0;
}

void hmap__add(struct hmap *h, struct hmap_node *node, uint64_t hash)
{
	size_t k = bucket_of(hash, h->nbuckets);

	node->hash = hash;
	node->next = h->buckets[k];
	h->buckets[k] = node;
	h->n++;
}

struct hmap_node **hmap__chain(const struct hmap *h, uint64_t hash)
{
	return h->nbuckets ? &h->buckets[bucket_of(hash, h->nbuckets)] : NULL;
}

void hmap__unlink(struct hmap *h, struct hmap_node **link)
{
	*link = (*link)->next;
	h->n--;
}

void hmap__free(struct hmap *h, void (*fn)(struct hmap_node *node))
{
	for (size_t i = 0; fn && i < h->nbuckets; i++) {
		struct hmap_node *x = h->buckets[i], *next;

		for (; x; x = next) {
			next = x->next;
			fn(x);
		}
	}
	free(h->buckets);
	memset(h, 0, sizeof(*h));
}
