// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The numbers of /metrics without printf (metrics_text.c) are printf's,
 * byte for byte: "%llu" of every length and its edges, nanoseconds as
 * "%llu.%09llu" seconds, "%.17g" of whole numbers (its own digits) and of
 * everything else (printf's), NaN, the infinities and -0 included. And an
 * exposition larger than the writer's buffer, with keys that need escaping
 * and a key longer than a line usually is, comes out whole.
 */
#include <math.h>

#include "testutil.h"

#include "jobtrace/metrics.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

static void check_u64(__u64 v)
{
	char want[METRICS_NUM_MAX + 1], got[METRICS_NUM_MAX + 1];
	size_t n = metrics__format_u64(got, v);

	assert_true(n < sizeof(got));
	got[n] = '\0';
	snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
	if (strcmp(got, want))
		fail_msg("%llu: metrics__format_u64 wrote %s", (unsigned long long)v, got);
}

static void check_ns(__u64 ns)
{
	char want[METRICS_NUM_MAX + 1], got[METRICS_NUM_MAX + 1];
	size_t n = metrics__format_ns(got, ns);

	assert_true(n < sizeof(got));
	got[n] = '\0';
	snprintf(want, sizeof(want), "%llu.%09llu", (unsigned long long)(ns / 1000000000ULL),
		 (unsigned long long)(ns % 1000000000ULL));
	if (strcmp(got, want))
		fail_msg("%llu ns: metrics__format_ns wrote %s, printf %s", (unsigned long long)ns,
			 got, want);
}

static void check_double(double v)
{
	char want[64], got[METRICS_NUM_MAX + 1];
	size_t n = metrics__format_double(got, v);

	assert_true(n < sizeof(got));
	got[n] = '\0';
	snprintf(want, sizeof(want), "%.17g", v);
	if (strcmp(got, want))
		fail_msg("%a: metrics__format_double wrote %s, %%.17g %s", v, got, want);
}

static void test_u64_is_printf(void **state)
{
	__u64 x = 0x9e3779b97f4a7c15ULL, p = 1;

	for (__u64 v = 0; v < (__u64)testutil__cases(200000); v++)
		check_u64(v);
	for (int i = 0; i < 20; i++, p *= 10)
		for (int d = -2; d <= 2; d++)
			check_u64(p + (__u64)d), check_u64(p * 9 + (__u64)d);
	check_u64(UINT64_MAX), check_u64(UINT64_MAX - 1), check_u64((__u64)INT64_MAX + 1);
	for (long i = 0; i < testutil__cases(200000); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		check_u64(x), check_u64(x >> (x % 64));
	}
}

static void test_ns_is_printf(void **state)
{
	__u64 x = 0x9e3779b97f4a7c15ULL, p = 1;

	for (__u64 ns = 0; ns < (__u64)testutil__cases(200000); ns++)
		check_ns(ns);
	for (int i = 0; i < 20; i++, p *= 10)
		for (int d = -2; d <= 2; d++)
			check_ns(p + (__u64)d), check_ns(p * 7 + (__u64)d);
	check_ns(UINT64_MAX), check_ns(999999999), check_ns(1000000000), check_ns(1000000001);
	for (long i = 0; i < testutil__cases(200000); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* An epoch time in ns (_created), a CPU total, any value. */
		check_ns(1796550000000000000ULL + x % 100000000000000000ULL);
		check_ns(x % 1000000000000ULL), check_ns(x >> (x % 64));
	}
}

static void test_double_is_g17(void **state)
{
	static const double fixed[] = {
		0, -0.0, 1, -1, 2, 4, 64, 0.5, 0.1, 1.0 / 3, 0.1 + 0.2, 2.5, 1e-5, 1e-300, -1e-300,
		4.9e-324, 1e16, 1e16 + 2, 9007199254740992.0, 9007199254740993.0, 99999999999999984.0,
		1e17, 1e17 + 16, -1e17, 1.5e17, 1e18, 1e300, -1e300, 1.7976931348623157e308,
		123456789012345678.0, 0.99999999999999989, NAN, -NAN, INFINITY, -INFINITY,
	};
	__u64 x = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check_double(fixed[i]);
	for (long v = -100000; v <= testutil__cases(100000); v++)
		check_double((double)v), check_double(v / 8.0);
	for (int e = -20; e <= 20; e++)
		for (int m = 1; m <= 99; m++)
			check_double(m * pow(10, e)), check_double(-m * pow(10, e) / 7);
	for (long i = 0; i < testutil__cases(200000); i++) {
		double d;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* Whole numbers of every length, across 10^17 where the exponent starts. */
		check_double((double)(x >> (x % 64))), check_double(-(double)(x >> (x % 64)));
		/* Any bit pattern: subnormals, NaNs with payloads, the largest. */
		memcpy(&d, &x, sizeof(d));
		check_double(d);
		check_double(ldexp((double)(x >> 11) / 9007199254740992.0 + 1, (int)(x % 140) - 70));
	}
}

/*
 * Jobs enough for an exposition many times the writer's buffer, one key
 * with every character a label escapes, one of CJOB_KEY_SIZE - 1 of them
 * (the longest line there is): each line whole, in order, escaped.
 */
static void test_large_exposition(void **state)
{
	struct metrics *m = metrics__new(60);
	struct sink *s = sink_metrics__new(m);
	char want[2 * CJOB_KEY_SIZE + 64];
	struct capture cap;
	const char *text;
	int jobs = 0;

	assert_non_null(s);
	for (int i = 0; i < 2002; i++) {
		struct cjob *j = calloc(1, sizeof(*j) + CJOB_KEY_SIZE);
		struct interval_record r = { .t0_ns = 1000000000ULL, .t1_ns = 2000000000ULL };

		assert_non_null(j);
		j->job.key = TEST_CJOB_KEY(j);
		j->id = (__u64)i + 1;
		if (i == 0)
			snprintf(TEST_CJOB_KEY(j), CJOB_KEY_SIZE, "cgroup:/a\"b\\c\nd");
		else if (i == 1)
			memset(TEST_CJOB_KEY(j), '"', CJOB_KEY_SIZE - 1);
		else
			snprintf(TEST_CJOB_KEY(j), CJOB_KEY_SIZE, "cgroup:/job%05d", i);
		r.job = j;
		r.alive = 1;
		r.d.user_ns = 1000000007ULL * (__u64)i;
		assert_int_equal(s->ops->interval(s, &r), 0);
		free(j);
	}
	capture__open(&cap);
	assert_int_equal(metrics__write(m, cap.f, METRICS_TEXT), 0);
	text = capture__close(&cap);
	assert_true(strlen(text) > 10 * 32 * 1024);
	assert_non_null(strstr(text, "jobtrace_job_cpu_seconds_total{job_key=\"cgroup:/a\\\"b\\\\c\\nd\","
				     "mode=\"user\"} 0.000000000\n"));
	snprintf(want, sizeof(want), "jobtrace_job_processes{job_key=\"");
	for (int i = 0; i < CJOB_KEY_SIZE - 1; i++)
		strcat(want, "\\\"");
	strcat(want, "\"} 1\n");
	assert_non_null(strstr(text, want));
	for (int i = 2; i < 2002; i++) {
		snprintf(want, sizeof(want),
			 "jobtrace_job_cpu_seconds_total{job_key=\"cgroup:/job%05d\",mode=\"user\"} "
			 "%llu.%09llu\n",
			 i, 1000000007ULL * (unsigned long long)i / 1000000000ULL,
			 1000000007ULL * (unsigned long long)i % 1000000000ULL);
		jobs += strstr(text, want) != NULL;
	}
	assert_int_equal(jobs, 2000);
	assert_non_null(strstr(text, "# TYPE jobtrace_build_info gauge\njobtrace_build_info{"));
	capture__free(&cap);
	sink__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_is_printf),
		cmocka_unit_test(test_ns_is_printf),
		cmocka_unit_test(test_double_is_g17),
		cmocka_unit_test(test_large_exposition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
