// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace report DIR`: reports of two nodes' serves in one directory
 * (tests/fixtures/job_summary: a step on n1 and n2, a batch step without
 * an allocation, another job, a .json file that is no report) merged per
 * Slurm job, with the efficiency over all of them.
 */
#include "testutil.h"

#include <jansson.h>
#include <math.h>

#include "jobtrace/job_summary.h"

#define DIR_ FIXTURES "/job_summary"

/* @s as JSON, parsed; @s is freed. */
static json_t *summary_as_json(struct job_summary *s)
{
	struct capture c;
	json_error_t e;
	json_t *j;

	capture__open(&c);
	assert_int_equal(job_summary__write_json(c.f, s), 0);
	j = json_loads(capture__close(&c), 0, &e);
	assert_non_null(j);
	free(c.buf);
	job_summary__free(s);
	return j;
}

static json_t *summary_json(const char *only)
{
	struct job_summary s = {};

	assert_int_equal(job_summary__read_dir(&s, DIR_, only), 0);
	return summary_as_json(&s);
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void test_two_nodes_one_job(void **state)
{
	json_t *j = summary_json("12"), *job, *eff, *r;

	assert_int_equal(json_array_size(json_object_get(j, "jobs")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "unreadable_files")), 1);
	job = json_array_get(json_object_get(j, "jobs"), 0);
	assert_string_equal(json_string_value(json_object_get(job, "job")), "slurm:12");
	assert_int_equal(json_integer_value(json_object_get(job, "reports_count")), 3);
	assert_int_equal(json_integer_value(json_object_get(job, "nodes_count")), 2);
	assert_true(fabs(num(job, "cpu_s") - 5.5) < 1e-9);
	/* Only the two reports with CPUs allocated: 5 s of 2 x 4 + 2 x 2 = 12 CPU s. */
	assert_true(fabs(num(job, "allocated_cpu_s") - 12) < 1e-9);
	eff = json_object_get(job, "efficiency");
	assert_true(fabs(num(eff, "cpu") - 5.0 / 12) < 1e-9);
	assert_true(fabs(num(eff, "memory") - 0.625) < 1e-9); /* (64 + 256) MiB of 2 x 256 */
	assert_int_equal(json_integer_value(json_object_get(job, "processes_failed")), 2);
	assert_int_equal(json_integer_value(json_object_get(job, "oom_killed")), 1);
	/* Steps, then nodes: 0 on n1, 0 on n2, batch on n1. */
	r = json_array_get(json_object_get(job, "reports"), 1);
	assert_string_equal(json_string_value(json_object_get(r, "node")), "n2");
	assert_string_equal(json_string_value(json_object_get(r, "step")), "0");
	assert_int_equal(json_integer_value(json_object_get(r, "signal")), 9);
	assert_true(json_is_null(json_object_get(r, "exit_code")));
	r = json_array_get(json_object_get(job, "reports"), 2);
	assert_string_equal(json_string_value(json_object_get(r, "step")), "batch");
	assert_true(json_is_null(json_object_get(r, "allocation")));
	json_decref(j);
}

/* Every job, by job id as a number (9 before 12); one with no allocation says null. */
static void test_every_job(void **state)
{
	json_t *j = summary_json(NULL), *jobs = json_object_get(j, "jobs"), *eff;

	assert_int_equal(json_array_size(jobs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(jobs, 0), "job")),
			    "slurm:9");
	eff = json_object_get(json_array_get(jobs, 0), "efficiency");
	assert_true(json_is_null(json_object_get(eff, "cpu")));
	assert_true(json_is_null(json_object_get(eff, "memory")));
	json_decref(j);
	j = summary_json("slurm:77");
	assert_int_equal(json_array_size(json_object_get(j, "jobs")), 0);
	json_decref(j);
}

/*
 * A step of 0.151 s under a quota of half a CPU that ran 0.082 s of CPU: its
 * report divided by what the quota's periods could give (0.15 s, 54.7 %),
 * not by 0.5 x 0.151 s (109 %). The job's efficiency over its one report is
 * the report's own, not past 100 %.
 */
static void test_quota_report_efficiency(void **state)
{
	static const char report[] =
		"{\"job\":{\"key\":\"slurm:5.0\",\"node\":\"n1\",\"wall_s\":0.151},"
		"\"cpu\":{\"total_s\":0.082},\"allocation\":{\"source\":\"cgroup\",\"cpus\":0.5},"
		"\"efficiency\":{\"cpu\":0.546666666666667,\"memory\":null}}";
	struct job_summary s = {};
	struct summary_report r;
	struct capture c;
	json_error_t e;
	json_t *j, *job;

	assert_int_equal(job_summary__parse(report, strlen(report), &r), 0);
	assert_int_equal(job_summary__add(&s, &r), 0);
	capture__open(&c);
	assert_int_equal(job_summary__write_json(c.f, &s), 0);
	j = json_loads(capture__close(&c), 0, &e);
	assert_non_null(j);
	job = json_array_get(json_object_get(j, "jobs"), 0);
	assert_true(fabs(num(json_object_get(job, "efficiency"), "cpu") - r.eff_cpu) < 1e-9);
	assert_true(fabs(num(job, "allocated_cpu_s") - 0.15) < 1e-9);
	json_decref(j);
	free(c.buf);
	job_summary__free(&s);
}

/*
 * The summary of two reports of one job, as JSON: its "jobs" entry in
 * *@job, the document to free in the return.
 */
static json_t *summary_of_two(const char *const reports[2], json_t **job)
{
	struct job_summary s = {};
	struct summary_report r;
	json_t *j;

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(job_summary__parse(reports[i], strlen(reports[i]), &r), 0);
		assert_int_equal(job_summary__add(&s, &r), 0);
	}
	j = summary_as_json(&s);
	*job = json_array_get(json_object_get(j, "jobs"), 0);
	return j;
}

/*
 * Two reports under a 0.5-CPU quota, one of a step that used no CPU: its
 * efficiency (0) cannot tell what it was divided by, and the summary took
 * CPUs x wall (0.0755 s) where the report divided by 0.15 s, its periods'.
 * A report now says what it divided by (efficiency.cpu_allocated_s): the
 * job's denominator is 0.15 + 0.15 s, its efficiency 0.082 / 0.30.
 */
static void test_zero_cpu_report_allocated(void **state)
{
	static const char *const reports[] = {
		"{\"job\":{\"key\":\"slurm:9.0@n1\",\"node\":\"n1\",\"wall_s\":0.151},"
		"\"cpu\":{\"total_s\":0.082},\"allocation\":{\"source\":\"cgroup\",\"cpus\":0.5},"
		"\"efficiency\":{\"cpu\":0.546666666666667,\"cpu_allocated_s\":0.15,"
		"\"memory\":null}}",
		"{\"job\":{\"key\":\"slurm:9.0@n2\",\"node\":\"n2\",\"wall_s\":0.151},"
		"\"cpu\":{\"total_s\":0},\"allocation\":{\"source\":\"cgroup\",\"cpus\":0.5},"
		"\"efficiency\":{\"cpu\":0,\"cpu_allocated_s\":0.15,\"memory\":null}}",
	};
	json_t *job, *j = summary_of_two(reports, &job);

	assert_true(fabs(num(job, "allocated_cpu_s") - 0.30) < 1e-9);
	assert_true(fabs(num(json_object_get(job, "efficiency"), "cpu") - 0.082 / 0.30) < 1e-9);
	json_decref(j);
}

/*
 * A report whose largest process's RSS passed its limit (efficiency.memory
 * null: pages charged elsewhere) adds nothing to the job's memory
 * efficiency; the other report's share stays the job's, not past 100 %.
 */
static void test_rss_past_limit_report(void **state)
{
	static const char *const reports[] = {
		"{\"job\":{\"key\":\"slurm:6.0@n1\",\"node\":\"n1\",\"wall_s\":1},"
		"\"cpu\":{\"total_s\":0.5},\"memory\":{\"peak_rss_bytes\":201326592},"
		"\"allocation\":{\"source\":\"cgroup\",\"memory_bytes\":67108864},"
		"\"efficiency\":{\"cpu\":null,\"memory\":null}}",
		"{\"job\":{\"key\":\"slurm:6.0@n2\",\"node\":\"n2\",\"wall_s\":1},"
		"\"cpu\":{\"total_s\":0.5},\"memory\":{\"peak_rss_bytes\":33554432},"
		"\"allocation\":{\"source\":\"cgroup\",\"memory_bytes\":67108864},"
		"\"efficiency\":{\"cpu\":null,\"memory\":0.5}}",
	};
	json_t *job, *j = summary_of_two(reports, &job);

	assert_true(fabs(num(json_object_get(job, "efficiency"), "memory") - 0.5) < 1e-9);
	json_decref(j);
}

/*
 * The same RSS past the limit, in a report that says the job reached its
 * limit (OOM-killed there: efficiency.memory 1): the whole limit counts,
 * (64 + 32) MiB of (64 + 64), not the other report's share alone.
 */
static void test_oom_at_limit_report(void **state)
{
	static const char *const reports[] = {
		"{\"job\":{\"key\":\"slurm:6.0@n1\",\"node\":\"n1\",\"wall_s\":1},"
		"\"cpu\":{\"total_s\":0.5},\"memory\":{\"peak_rss_bytes\":201326592},"
		"\"allocation\":{\"source\":\"cgroup\",\"memory_bytes\":67108864},"
		"\"efficiency\":{\"cpu\":null,\"memory\":1}}",
		"{\"job\":{\"key\":\"slurm:6.0@n2\",\"node\":\"n2\",\"wall_s\":1},"
		"\"cpu\":{\"total_s\":0.5},\"memory\":{\"peak_rss_bytes\":33554432},"
		"\"allocation\":{\"source\":\"cgroup\",\"memory_bytes\":67108864},"
		"\"efficiency\":{\"cpu\":null,\"memory\":0.5}}",
	};
	json_t *job, *j = summary_of_two(reports, &job);

	assert_true(fabs(num(json_object_get(job, "efficiency"), "memory") - 0.75) < 1e-9);
	json_decref(j);
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"{}",
		"{\"job\":{\"key\":\"slurm:1.0\"}}", /* no wall, no CPU */
		"{\"job\":{\"key\":7,\"wall_s\":1},\"cpu\":{\"total_s\":1}}",
	};
	struct summary_report r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(job_summary__parse(bad[i], strlen(bad[i]), &r), -EINVAL);
	assert_int_equal(job_summary__read_dir(&(struct job_summary){}, "/nonexistent/x", NULL),
			 -ENOENT);
}

static void test_text(void **state)
{
	struct job_summary s = {};
	struct capture c;
	const char *t;

	assert_int_equal(job_summary__read_dir(&s, DIR_, "12"), 0);
	capture__open(&c);
	assert_int_equal(job_summary__write_text(c.f, &s), 0);
	t = capture__close(&c);
	assert_non_null(strstr(t, "slurm:12: 3 reports on 2 nodes"));
	assert_non_null(strstr(t, "efficiency CPU 41.7% (5.000 s of 12.000 allocated CPU s), "
				  "memory 62.5% (320.0 MiB of 512.0 MiB"));
	assert_non_null(strstr(t, "\n  n2               0 "));
	free(c.buf);
	job_summary__free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_nodes_one_job),
		cmocka_unit_test(test_every_job),
		cmocka_unit_test(test_quota_report_efficiency),
		cmocka_unit_test(test_zero_cpu_report_allocated),
		cmocka_unit_test(test_rss_past_limit_report),
		cmocka_unit_test(test_oom_at_limit_report),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
