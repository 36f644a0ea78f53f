// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one hash table (user/lib/hmap.c) under the job index and the
 * arguments table: every entry found through growth, entries that share a
 * hash told apart by their keys, unlinking from the middle of a chain, and
 * the free that hands every entry back.
 */
#include "testutil.h"

#include "jobtrace/hmap.h"
#include "jobtrace/util.h"

struct item {
	struct hmap_node node;
	unsigned int key;
};

#define ITEMS 5000

static struct item *find(const struct hmap *h, unsigned int key, uint64_t hash,
			 struct hmap_node ***link)
{
	struct hmap_node **p = hmap__chain(h, hash);

	for (; p && *p; p = &(*p)->next) {
		struct item *it = hmap__entry(*p, struct item, node);

		if ((*p)->hash == hash && it->key == key) {
			if (link)
				*link = p;
			return it;
		}
	}
	return NULL;
}

static uint64_t hash_of(unsigned int key)
{
	return util__fnv1a(UTIL_FNV1A_BASIS, &key, sizeof(key));
}

static void test_empty(void **state)
{
	struct hmap h = {};

	assert_null(hmap__chain(&h, 1));
	assert_null(find(&h, 1, 1, NULL));
	hmap__free(&h, NULL);
}

/* Every entry stays findable through each doubling; no chain averages more than one. */
static void test_grows_and_finds(void **state)
{
	static struct item items[ITEMS];
	struct hmap h = {};

	for (unsigned int i = 0; i < ITEMS; i++) {
		items[i].key = i;
		assert_int_equal(hmap__reserve(&h, 16), 0);
		hmap__add(&h, &items[i].node, hash_of(i));
		assert_true(h.n <= h.nbuckets);
	}
	assert_int_equal(h.n, ITEMS);
	for (unsigned int i = 0; i < ITEMS; i++)
		assert_ptr_equal(find(&h, i, hash_of(i), NULL), &items[i]);
	assert_null(find(&h, ITEMS, hash_of(ITEMS), NULL));
	hmap__free(&h, NULL);
	assert_int_equal(h.nbuckets, 0);
}

/* One hash for all: the keys tell them apart, and any of the chain can leave. */
static void test_same_hash_and_unlink(void **state)
{
	struct item items[4] = { { .key = 10 }, { .key = 11 }, { .key = 12 }, { .key = 13 } };
	struct hmap_node **link = NULL;
	struct hmap h = {};

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(hmap__reserve(&h, 2), 0);
		hmap__add(&h, &items[i].node, 42);
	}
	for (size_t i = 0; i < 4; i++)
		assert_ptr_equal(find(&h, items[i].key, 42, NULL), &items[i]);
	assert_non_null(find(&h, 12, 42, &link));
	hmap__unlink(&h, link);
	assert_int_equal(h.n, 3);
	assert_null(find(&h, 12, 42, NULL));
	assert_ptr_equal(find(&h, 11, 42, NULL), &items[1]);
	assert_ptr_equal(find(&h, 13, 42, NULL), &items[3]);
	hmap__free(&h, NULL);
}

static size_t freed;

static void count_free(struct hmap_node *n)
{
	free(hmap__entry(n, struct item, node));
	freed++;
}

static void test_free_hands_back_every_entry(void **state)
{
	struct hmap h = {};

	for (unsigned int i = 0; i < 100; i++) {
		struct item *it = calloc(1, sizeof(*it));

		assert_non_null(it);
		it->key = i;
		assert_int_equal(hmap__reserve(&h, 4), 0);
		hmap__add(&h, &it->node, hash_of(i));
	}
	freed = 0;
	hmap__free(&h, count_free);
	assert_int_equal(freed, 100);
	assert_int_equal(h.n, 0);
}

/* FNV-1a's published vectors: the one hash is the real one. */
static void test_fnv1a_vectors(void **state)
{
	assert_true(util__fnv1a(UTIL_FNV1A_BASIS, "", 0) == 0xcbf29ce484222325ULL);
	assert_true(util__fnv1a(UTIL_FNV1A_BASIS, "a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(util__fnv1a(UTIL_FNV1A_BASIS, "foobar", 6) == 0x85944171f73967e8ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_grows_and_finds),
		cmocka_unit_test(test_same_hash_and_unlink),
		cmocka_unit_test(test_free_hands_back_every_entry),
		cmocka_unit_test(test_fnv1a_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
