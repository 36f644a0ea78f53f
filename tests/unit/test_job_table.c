// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The collector's job table: host mode adds and ends jobs for as long as it
 * runs, so the table must take any number of jobs over its life, find each
 * open one by id, and forget the ended ones the kernel made.
 */
#include "testutil.h"

#include "jobtrace/job_table.h"

#define JOBS 50000

/* The array grew on every add (doubling each time) and refused new jobs after about 20. */
static void test_many_jobs_over_a_life(void **state)
{
	struct job_table t = {};

	for (__u64 i = 0; i < JOBS; i++) {
		__u64 id = (JT_JOB_CGROUP << JT_JOB_KIND_SHIFT | (i + 1));
		struct cjob *j = job_table__add(&t, id, "cgroup:/x", CJOB_END_EMPTY);

		assert_non_null(j);
		assert_ptr_equal(job_table__find(&t, id), j);
		/* Most end soon after they start: close and prune as the collector does. */
		if (i % 10) {
			job_table__close(&t, j);
			j->ended = true;
			job_table__prune(&t);
			assert_null(job_table__find(&t, id));
		}
	}
	/* One in ten is still open; the array is only as big as what it holds needs. */
	assert_int_equal(t.n, JOBS / 10);
	assert_true(t.cap < 2 * t.n + 16);
	for (__u64 i = 0; i < JOBS; i += 10)
		assert_non_null(job_table__find(&t, (JT_JOB_CGROUP << JT_JOB_KIND_SHIFT | (i + 1))));
	job_table__free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_jobs_over_a_life),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
