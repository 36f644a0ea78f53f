// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Host mode names a job by its cgroup's path, found from the kernfs id the
 * BPF side keys it by. Against cgroups the test makes (v2, under
 * /sys/fs/cgroup/unified, and the v1 hierarchy host mode would choose):
 * every id resolves to its own path, nested, many siblings, a name with
 * spaces and quotes (the kernel refuses a newline); a removed cgroup's id resolves to nothing.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "jobtrace/cgroupfs.h"
#include "jobtrace/util.h"

#define SIBLINGS 300

static void find_hier(const char *controller, struct cgroup_hier *h)
{
	char *mi = NULL, *cg = NULL;
	ssize_t ml = util__read_file_alloc(AT_FDCWD, "/proc/self/mountinfo", 1 << 22, &mi);
	ssize_t cl = util__read_file_alloc(AT_FDCWD, "/proc/cgroups", 1 << 20, &cg);

	assert_true(ml > 0 && cl > 0);
	if (cgroupfs__find(mi, (size_t)ml, cg, (size_t)cl, controller, h))
		fail_msg("no %s hierarchy mounted", controller ? controller : "cgroup2");
	free(mi);
	free(cg);
}

static __u64 ino_of(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return (__u64)sb.st_ino;
}

static void check_hier(const struct cgroup_hier *h)
{
	char top[512], path[1024], got[1024], want[1024];
	double t0, t1;

	snprintf(top, sizeof(top), "%s/jt-test-ids-%d", h->mount, getpid());
	assert_int_equal(mkdir(top, 0755), 0);
	snprintf(path, sizeof(path), "%s/a b\"c", top);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/a b\"c/deep", top);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(cgroupfs__path_of_id(h, ino_of(path), got, sizeof(got)), 0);
	snprintf(want, sizeof(want), "/jt-test-ids-%d/a b\"c/deep", getpid());
	assert_string_equal(got, want);
	for (int i = 0; i < SIBLINGS; i++) {
		snprintf(path, sizeof(path), "%s/s%d", top, i);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	t0 = util__now_ns() / 1e9;
	for (int i = 0; i < SIBLINGS; i++) {
		snprintf(path, sizeof(path), "%s/s%d", top, i);
		assert_int_equal(cgroupfs__path_of_id(h, ino_of(path), got, sizeof(got)), 0);
		snprintf(want, sizeof(want), "/jt-test-ids-%d/s%d", getpid(), i);
		assert_string_equal(got, want);
	}
	t1 = util__now_ns() / 1e9;
	printf("%s: %d ids resolved in %.1f ms\n", h->controller[0] ? h->controller : "cgroup2",
	       SIBLINGS, (t1 - t0) * 1e3);
	/* The root is "/". */
	assert_int_equal(cgroupfs__path_of_id(h, ino_of(h->mount), got, sizeof(got)), 0);
	assert_string_equal(got, "/");
	/* Gone: no path, and no other cgroup's. */
	snprintf(path, sizeof(path), "%s/s0", top);
	{
		__u64 id = ino_of(path);

		assert_int_equal(rmdir(path), 0);
		assert_int_not_equal(cgroupfs__path_of_id(h, id, got, sizeof(got)), 0);
	}
	for (int i = 1; i < SIBLINGS; i++) {
		snprintf(path, sizeof(path), "%s/s%d", top, i);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/a b\"c/deep", top);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a b\"c", top);
	rmdir(path);
	assert_int_equal(rmdir(top), 0);
}

static void test_v2_ids(void **state)
{
	struct cgroup_hier h;

	find_hier(NULL, &h);
	check_hier(&h);
}

static void test_v1_ids(void **state)
{
	struct cgroup_hier h;

	find_hier("pids", &h);
	check_hier(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_ids),
		cmocka_unit_test(test_v1_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
