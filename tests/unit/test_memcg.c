// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Memory cgroups' limits and the limit an OOM kill hit: parsers, then fixture trees. */
#include <fcntl.h>
#include <unistd.h>

#include "testutil.h"

#include "jobtrace/memcg.h"

static void test_parse_limit(void **state)
{
	static const struct {
		const char *text;
		int err;
		bool limited;
		__u64 bytes;
	} cases[] = {
	    {"max\n", 0, false, 0},
	    {"max", 0, false, 0},
	    {"67108864\n", 0, true, 67108864},
	    {"0\n", 0, true, 0},
	    /* v1's "none": PAGE_COUNTER_MAX pages, in bytes. */
	    {"9223372036854771712\n", 0, false, 0},
	    {"-1\n", -EINVAL, false, 0},
	    {"maximum\n", -EINVAL, false, 0},
	    {"12 MiB\n", -EINVAL, false, 0},
	    {"", -EINVAL, false, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool limited = !cases[i].limited;
		__u64 bytes = 1;

		assert_int_equal(memcg__parse_limit(cases[i].text, &limited, &bytes), cases[i].err);
		if (cases[i].err)
			continue;
		assert_int_equal(limited, cases[i].limited);
		assert_int_equal(bytes, cases[i].bytes);
	}
}

static void test_parse_keyed(void **state)
{
	const char *events = "low 0\nhigh 3\nmax 12\noom 1\noom_kill 2\noom_group_kill 0\n";
	__u64 v = 0;

	assert_int_equal(memcg__parse_keyed(events, "max", &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(memcg__parse_keyed(events, "oom", &v), 0);
	assert_int_equal(v, 1);
	/* "oom" is not "oom_kill", nor the other way round. */
	assert_int_equal(memcg__parse_keyed(events, "oom_kill", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(memcg__parse_keyed(events, "oom_group", &v), -ENOENT);
	assert_int_equal(memcg__parse_keyed("", "max", &v), -ENOENT);
	assert_int_equal(memcg__parse_keyed("max x\n", "max", &v), -EINVAL);
}

static void test_limit_hit(void **state)
{
	static const struct {
		const char *tree, *rel;
		int err;
		const char *hit;
		__u64 limit, oom_kills;
	} cases[] = {
	    /* v2: the kill was in jobs/task, the refusal at jobs' limit. */
	    {"v2", "/jobs/task", 0, "/jobs", 67108864, 0},
	    {"v2", "/jobs", 0, "/jobs", 67108864, 0},
	    /* No limit on the way up: the host ran out (a global OOM). */
	    {"v2", "/free/x", -ENOENT, NULL, 0, 0},
	    /* v1: failcnt says lim's limit refused charges; its oom_control counts the kill. */
	    {"v1", "/lim/child", 0, "/lim", 67108864, 1},
	    /* A limit that was never hit is still the only one there is. */
	    {"v1", "/quiet/c", 0, "/quiet", 104857600, 0},
	    /* A cgroup gone since: its ancestors still answer (here, none limited). */
	    {"v1", "/gone/x", -ENOENT, NULL, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char root[256], hit[256] = "";
		struct memcg_state st = {};
		int fd;

		snprintf(root, sizeof(root), FIXTURES "/memcg/%s", cases[i].tree);
		fd = open(root, O_RDONLY | O_DIRECTORY);
		assert_true(fd >= 0);
		assert_int_equal(memcg__limit_hit(fd, cases[i].rel, hit, sizeof(hit), &st),
				 cases[i].err);
		close(fd);
		if (cases[i].err)
			continue;
		assert_string_equal(hit, cases[i].hit);
		assert_true(st.limited);
		assert_int_equal(st.limit_bytes, cases[i].limit);
		assert_int_equal(st.oom_kills, cases[i].oom_kills);
		assert_int_equal(st.v2, !strcmp(cases[i].tree, "v2"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_limit),
	    cmocka_unit_test(test_parse_keyed),
	    cmocka_unit_test(test_limit_hit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
