// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup_names: ids to paths over a fixture tree standing in for a
 * hierarchy (a directory's inode is its id, as kernfs makes it), so the
 * cache's promises can be checked: a path found once is kept after the
 * directory goes, an id not found is not looked up again, a slot taken by
 * another id names that one.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "jobtrace/cgroup_names.h"

static char root[] = "/tmp/jt-cgnames-XXXXXX";

static __u64 ino_of(const char *rel)
{
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(stat(path, &sb), 0);
	return (__u64)sb.st_ino;
}

static void make_dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void test_names_and_cache(void **state)
{
	struct cgroup_hier h = { .hierarchy_id = 4, .ssid = 2 };
	struct cgroup_names *cn = malloc(sizeof(*cn));
	char path[512];
	__u64 a, b, c, top;

	assert_non_null(cn);
	assert_non_null(mkdtemp(root));
	snprintf(h.mount, sizeof(h.mount), "%s", root);
	make_dir("/a");
	make_dir("/a/b");
	/* Made now: a fixture filesystem, unlike kernfs, reuses a removed inode's number. */
	make_dir("/c");
	a = ino_of("/a");
	b = ino_of("/a/b");
	c = ino_of("/c");
	top = ino_of("");
	cgroup_names__init(cn, &h);
	assert_int_equal(cgroup_names__hierarchy(cn), 4);
	assert_null(cgroup_names__get(cn, 0));
	assert_string_equal(cgroup_names__get(cn, b), "/a/b");
	assert_string_equal(cgroup_names__get(cn, top), "/");
	assert_int_equal(cn->misses, 2);
	/* Removed: the name found before stays, and costs no lookup. */
	snprintf(path, sizeof(path), "%s/a/b", root);
	assert_int_equal(rmdir(path), 0);
	assert_string_equal(cgroup_names__get(cn, b), "/a/b");
	assert_int_equal(cn->misses, 2);
	/* Gone before it was asked for: NULL, and remembered as gone. */
	snprintf(path, sizeof(path), "%s/c", root);
	assert_int_equal(rmdir(path), 0);
	assert_null(cgroup_names__get(cn, c));
	assert_null(cgroup_names__get(cn, c));
	assert_int_equal(cn->misses, 3);
	/* An id sharing a's slot takes it; a is then looked up again, and found. */
	cn->slots[(a + CGROUP_NAMES_SLOTS) & (CGROUP_NAMES_SLOTS - 1)].id = a + CGROUP_NAMES_SLOTS;
	assert_string_equal(cgroup_names__get(cn, a), "/a");
	assert_int_equal(cn->misses, 4);
	assert_int_equal(cn->lookups, 6); /* id 0 is no lookup */
	cgroup_names__fini(cn);
	cgroup_names__fini(NULL);
	free(cn);
	snprintf(path, sizeof(path), "%s/a", root);
	rmdir(path);
	rmdir(root);
}

/* Without a hierarchy nothing is named, and nothing breaks. */
static void test_no_hierarchy(void **state)
{
	struct cgroup_names *cn = calloc(1, sizeof(*cn));

	assert_non_null(cn);
	cn->have_hier = false;
	assert_null(cgroup_names__get(cn, 42));
	assert_int_equal(cgroup_names__hierarchy(cn), -1);
	cgroup_names__fini(cn);
	free(cn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_cache),
		cmocka_unit_test(test_no_hierarchy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
