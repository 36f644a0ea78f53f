// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What `watch --all` groups the host by when no --group-by is given: it
 * follows where the host's processes are, and says so. The answer is the
 * whole host's, so this binary runs alone (tests/run.sh's QUIET_TESTS): a
 * test beside it that puts a process in a cgroup of its own changes the
 * counts the choice is made from, and the test would measure that test.
 * Needs root, BPF and a cgroup v2 hierarchy where root may make cgroups;
 * under CI=true a machine without them fails the suite instead of skipping.
 */
#include <unistd.h>

#include "testutil.h"
#include "harness.h"

/* The line watch --all prints about the grouping it chose, into @buf. */
static void default_grouping_line(char *buf, size_t size)
{
	char cmd[700], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s watch --all --duration 0.2 -o /dev/null 2>&1", H.jobtrace);
	p = popen(cmd, "r");
	assert_non_null(p);
	buf[0] = '\0';
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "jobtrace: grouping by "))
			snprintf(buf, size, "%s", line);
	assert_int_equal(pclose(p), 0);
	if (!buf[0])
		fail_msg("watch --all did not say which grouping it chose, and why");
}

static char cg_name[64];

/*
 * An empty cgroup made under the v2 mount (on a hybrid host, the whole v2
 * side) does not move the host's jobs into one cgroup:/: the choice and its
 * counts are the same with it as without it.
 */
static void test_default_grouping_ignores_empty_cgroups(void **state)
{
	char before[512], after[512];

	default_grouping_line(before, sizeof(before));
	harness__cgroup_make(cg_name);
	default_grouping_line(after, sizeof(after));
	harness__cgroup_remove(cg_name);
	print_message("  %s", before);
	assert_string_equal(before, after);
}

static int setup(void **state)
{
	snprintf(cg_name, sizeof(cg_name), "jt-test-host-grouping-%d-empty", getpid());
	if (harness__group_setup("host-grouping", true))
		return -1;
	harness__cgroup_remove(cg_name);
	return 0;
}

static int teardown(void **state)
{
	harness__cgroup_remove(cg_name);
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_grouping_ignores_empty_cgroups),
	};

	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
