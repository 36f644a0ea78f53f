// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The metrics store and its writer over scripted records: each family's
 * HELP and TYPE once, counters that add up the intervals and never go back
 * (across intervals, a job's end, its key seen again), the keep-then-drop
 * rule with injected times, label values from hostile job keys (quotes,
 * backslashes, newlines, invalid UTF-8), both formats, the Accept and
 * Accept-Encoding negotiation, gzip that gunzips to the same text, the
 * build info and process_* families (serve's own process, sampled from the
 * live /proc/self), and promtool's own verdict on the text.
 */
#include <fcntl.h>
#include <math.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "testutil.h"

#include "jobtrace/host.h"
#include "jobtrace/metrics.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"
#include "jobtrace/version.h"

#define SEC 1000000000ULL

static struct cjob *new_job(__u64 id, const char *key)
{
	struct cjob *j = calloc(1, sizeof(*j) + CJOB_KEY_SIZE); /* and its key's room */

	assert_non_null(j);
	j->job.key = TEST_CJOB_KEY(j);
	j->id = id;
	snprintf(TEST_CJOB_KEY(j), CJOB_KEY_SIZE, "%s", key);
	return j;
}

/* One interval of @j: @started processes, @cpu_ms of user CPU, 1/4 of it again as system. */
static void interval(struct sink *s, const struct cjob *j, __u64 t1, __u64 started,
		     __u64 cpu_ms, __u64 alive, __u64 rss)
{
	struct interval_record r = {
		.job = j,
		.t0_ns = t1 - SEC,
		.t1_ns = t1,
		.alive = alive,
		.rss_bytes = rss,
	};

	r.d.started = started;
	r.d.exited = started;
	r.d.exit_ok = started - started / 3;
	r.d.exit_error = started / 3;
	r.d.user_ns = cpu_ms * 1000000ULL;
	r.d.system_ns = cpu_ms * 250000ULL;
	r.d.cpu_ns = r.d.user_ns + r.d.system_ns;
	r.d.threads = 2 * started;
	r.d.read_bytes = 4096 * started;
	r.d.write_bytes = 512 * started;
	assert_int_equal(s->ops->interval(s, &r), 0);
}

static void job_end(struct sink *s, struct cjob *j, __u64 end_ns, __u64 peak)
{
	struct collector_stats st = {};

	j->job.end_ns = end_ns;
	j->job.stats.peak_rss_bytes = peak;
	st.jobs_ended = 1;
	st.records_late = 2;
	assert_int_equal(s->ops->job_end(s, j, &st), 0);
}

static char *expose(const struct metrics *m, enum metrics_format fmt)
{
	struct capture cap;

	capture__open(&cap);
	assert_int_equal(metrics__write(m, cap.f, fmt), 0);
	return (char *)capture__close(&cap);
}

/* The value of the sample that starts with @series ("name{labels}"); -1 when absent. */
static double value_of(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, series, n) && l[n] == ' ')
			return strtod(l + n + 1, NULL);
	}
	return -1;
}

static int count_lines(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	int c = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, prefix, n))
			c++;
	return c;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * No two samples have one name and one label set: Prometheus refuses an
 * exposition with such a pair whole (promtool check metrics lets it by).
 * A sample's series is its line up to the last space, before the value.
 */
static void check_unique_series(const char *text)
{
	size_t n = 0, cap = 64;
	char **series = malloc(cap * sizeof(*series));

	assert_non_null(series);
	for (const char *l = text, *nl; *l; l = nl + 1) {
		const char *sp;

		nl = strchr(l, '\n');
		assert_non_null(nl);
		if (*l == '#')
			continue;
		sp = memrchr(l, ' ', (size_t)(nl - l));
		assert_non_null(sp);
		if (n == cap) {
			cap *= 2;
			series = realloc(series, cap * sizeof(*series));
			assert_non_null(series);
		}
		series[n] = strndup(l, (size_t)(sp - l));
		assert_non_null(series[n]);
		n++;
	}
	if (n)
		qsort(series, n, sizeof(*series), cmp_str);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(series[i - 1], series[i]))
			fail_msg("a series twice: %s", series[i]);
	for (size_t i = 0; i < n; i++)
		free(series[i]);
	free(series);
}

/*
 * Every sample belongs to the family the last TYPE line declared (text:
 * the same name; OpenMetrics: a counter's samples add _total), no family
 * is declared twice, each has HELP and TYPE once, and no series is
 * written twice.
 */
static void check_structure(const char *text, enum metrics_format fmt, int *nfamilies)
{
	char fam[256] = "", type[32] = "", names[128][128];
	const char *l = text, *nl;
	int nf = 0, nhelp = 0;

	for (; *l; l = nl + 1) {
		char line[1024];
		size_t len;

		nl = strchr(l, '\n');
		assert_non_null(nl); /* every line ends */
		len = (size_t)(nl - l);
		assert_true(len < sizeof(line));
		memcpy(line, l, len);
		line[len] = '\0';
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line + 7, "%255s %31s", fam, type), 2);
			for (int i = 0; i < nf; i++)
				assert_string_not_equal(names[i], fam);
			assert_true(nf < 128);
			snprintf(names[nf++], sizeof(names[0]), "%s", fam);
			if (fmt == METRICS_OPENMETRICS && !strcmp(type, "counter"))
				assert_null(strstr(fam, "_total")); /* the family is named without it */
			if (fmt == METRICS_TEXT && !strcmp(type, "counter"))
				assert_non_null(strstr(fam, "_total"));
		} else if (!strncmp(line, "# HELP ", 7)) {
			nhelp++;
		} else if (!strncmp(line, "# UNIT ", 7)) {
			char uf[256], unit[32], suffix[40];

			assert_int_equal(fmt, METRICS_OPENMETRICS);
			assert_int_equal(sscanf(line + 7, "%255s %31s", uf, unit), 2);
			snprintf(suffix, sizeof(suffix), "_%s", unit);
			assert_true(strlen(uf) > strlen(suffix));
			assert_string_equal(uf + strlen(uf) - strlen(suffix), suffix);
		} else if (!strcmp(line, "# EOF")) {
			assert_int_equal(fmt, METRICS_OPENMETRICS);
			assert_int_equal(nl[1], '\0'); /* the last line */
		} else {
			char name[256], want[270], created[270];
			bool om_counter = fmt == METRICS_OPENMETRICS && !strcmp(type, "counter");

			assert_int_not_equal(line[0], '#');
			assert_int_equal(sscanf(line, "%255[a-zA-Z0-9_:]", name), 1);
			snprintf(want, sizeof(want), "%s%s", fam, om_counter ? "_total" : "");
			/* OpenMetrics: a counter's point may say when it began, right after. */
			snprintf(created, sizeof(created), "%s_created", fam);
			if (om_counter && !strcmp(name, created))
				continue;
			assert_string_equal(name, want);
		}
	}
	assert_int_equal(nhelp, nf);
	if (fmt == METRICS_OPENMETRICS)
		assert_int_equal(count_lines(text, "# EOF"), 1);
	check_unique_series(text);
	*nfamilies = nf;
}

static void test_families_once(void **state)
{
	struct sink *s = sink_metrics__new(metrics__new(300));
	struct cjob *a = new_job(1, "cgroup:/system.slice/a.service");
	struct cjob *b = new_job(2, "cgroup:/system.slice/b.service");
	struct host_record h = { .load1 = 0.5, .mem_total_bytes = 1 << 30 };
	int nf_text, nf_om;
	char *text, *om;

	interval(s, a, 10 * SEC, 3, 10, 2, 1 << 20);
	interval(s, b, 10 * SEC, 6, 20, 1, 1 << 21);
	assert_int_equal(s->ops->host(s, &h), 0);
	text = expose(sink_metrics__store(s), METRICS_TEXT);
	om = expose(sink_metrics__store(s), METRICS_OPENMETRICS);
	check_structure(text, METRICS_TEXT, &nf_text);
	check_structure(om, METRICS_OPENMETRICS, &nf_om);
	assert_int_equal(nf_text, nf_om);
	assert_int_equal(count_lines(text, "# HELP jobtrace_job_cpu_seconds_total "), 1);
	assert_int_equal(count_lines(om, "# TYPE jobtrace_job_cpu_seconds counter"), 1);
	assert_int_equal(count_lines(om, "# UNIT jobtrace_job_cpu_seconds seconds"), 1);
	/* Two jobs, two modes: four samples under the one family. */
	assert_int_equal(count_lines(text, "jobtrace_job_cpu_seconds_total{"), 4);
	assert_int_equal(count_lines(om, "jobtrace_job_cpu_seconds_total{"), 4);
	assert_int_equal(value_of(om, "jobtrace_job_processes_started_total"
				      "{job_key=\"cgroup:/system.slice/b.service\"}"),
			 6);
	assert_true(value_of(text, "jobtrace_node_load1") == 0.5);
	/* Without --pss there is no pss sample, rather than a false 0. */
	assert_int_equal(count_lines(text, "jobtrace_job_memory_bytes{"), 2);
	free(text);
	free(om);
	free(a);
	free(b);
	sink__free(s);
}

static void test_monotonic_keep_drop(void **state)
{
	struct metrics *m = metrics__new(60);
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, "cgroup:/jobs/a");
	struct jt_exit_event e = { .peak_rss_bytes = 7 << 20 };
	struct proc_record pr = { .e = &e, .job = a };
	const char *started = "jobtrace_job_processes_started_total{job_key=\"cgroup:/jobs/a\"}";
	const char *user = "jobtrace_job_cpu_seconds_total{job_key=\"cgroup:/jobs/a\",mode=\"user\"}";
	const char *alive = "jobtrace_job_processes{job_key=\"cgroup:/jobs/a\"}";
	const char *peak = "jobtrace_job_peak_rss_bytes{job_key=\"cgroup:/jobs/a\"}";
	double last = 0;
	char *t;

	/* Deltas add up: 3, 5, 0, 7 started; 10 ms of user CPU each time. */
	const __u64 deltas[] = { 3, 5, 0, 7 };
	for (size_t i = 0; i < 4; i++) {
		interval(s, a, (i + 1) * SEC, deltas[i], 10, 4, 3 << 20);
		t = expose(m, METRICS_TEXT);
		assert_true(value_of(t, started) >= last);
		last = value_of(t, started);
		free(t);
	}
	assert_int_equal(s->ops->process(s, &pr), 0);
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, started) == 15);
	assert_true(value_of(t, user) == 0.04);
	assert_true(value_of(t, alive) == 4);
	assert_true(value_of(t, peak) == 7 << 20); /* a process's peak above the live sum */
	assert_non_null(strstr(t, "jobtrace_job_cpu_seconds_total{job_key=\"cgroup:/jobs/a\","
				  "mode=\"user\"} 0.040000000\n"));
	free(t);

	/* The end: the totals stay, the job has no process left, the kernel's peak counts. */
	job_end(s, a, 100 * SEC, 9 << 20);
	metrics__expire(m, 100 * SEC + 59 * SEC);
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, started) == 15);
	assert_true(value_of(t, user) == 0.04);
	assert_true(value_of(t, alive) == 0);
	assert_true(value_of(t, peak) == 9 << 20);
	assert_true(value_of(t, "jobtrace_jobs_ended_total") == 1);
	assert_true(value_of(t, "jobtrace_records_late_total") == 2);
	free(t);
	assert_int_equal(metrics__jobs(m), 1);

	/* keep_s after the end: the series go. */
	metrics__expire(m, 160 * SEC);
	assert_int_equal(metrics__jobs(m), 0);
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, started) < 0);
	assert_null(strstr(t, "cgroup:/jobs/a"));
	/* The family is still declared, empty. */
	assert_int_equal(count_lines(t, "# TYPE jobtrace_job_processes_started_total counter"), 1);
	/* A loss counter never goes back either. */
	assert_true(value_of(t, "jobtrace_jobs_ended_total") == 1);
	free(t);
	free(a);
	sink__free(s);
}

/*
 * Jobs that end at different times go each keep_s after its own end,
 * whatever order the scrapes come in; one seen again after its end is
 * open, and goes keep_s after its next end, not its first.
 */
static void test_expire_each_at_its_time(void **state)
{
	struct metrics *m = metrics__new(60);
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, "cgroup:/a"), *b = new_job(2, "cgroup:/b"),
		    *c = new_job(3, "cgroup:/c"), *d = new_job(4, "cgroup:/d");

	interval(s, a, SEC, 1, 1, 1, 0);
	interval(s, b, SEC, 1, 1, 1, 0);
	interval(s, c, SEC, 1, 1, 1, 0);
	interval(s, d, SEC, 1, 1, 1, 0);
	metrics__expire(m, 1000 * SEC); /* none ended: none goes */
	assert_int_equal(metrics__jobs(m), 4);
	job_end(s, b, 50 * SEC, 0);
	job_end(s, a, 10 * SEC, 0); /* ended before b, told after it */
	job_end(s, c, 20 * SEC, 0);
	metrics__expire(m, 69 * SEC);
	assert_int_equal(metrics__jobs(m), 4);
	metrics__expire(m, 70 * SEC); /* a's keep is over */
	assert_int_equal(metrics__jobs(m), 3);
	/* c is seen again: open, it stays past 20 + 60 s; it ends anew at 100 s. */
	interval(s, c, 30 * SEC, 1, 1, 1, 0);
	metrics__expire(m, 85 * SEC);
	assert_int_equal(metrics__jobs(m), 3);
	metrics__expire(m, 110 * SEC); /* b's keep is over */
	assert_int_equal(metrics__jobs(m), 2);
	job_end(s, c, 100 * SEC, 0);
	metrics__expire(m, 159 * SEC);
	assert_int_equal(metrics__jobs(m), 2);
	metrics__expire(m, 160 * SEC);
	assert_int_equal(metrics__jobs(m), 1);
	/* A shorter keep applies to what is held already. */
	job_end(s, d, 200 * SEC, 0);
	metrics__set_keep(m, 5);
	metrics__expire(m, 204 * SEC);
	assert_int_equal(metrics__jobs(m), 1);
	metrics__expire(m, 205 * SEC);
	assert_int_equal(metrics__jobs(m), 0);
	free(a);
	free(b);
	free(c);
	free(d);
	sink__free(s);
}

/* A key seen again within keep_s (a cgroup made anew) continues its counters. */
static void test_key_again_continues(void **state)
{
	struct metrics *m = metrics__new(300);
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, "cgroup:/x"), *a2 = new_job(9, "cgroup:/x");
	const char *started = "jobtrace_job_processes_started_total{job_key=\"cgroup:/x\"}";
	char *t;

	interval(s, a, SEC, 4, 1, 1, 0);
	job_end(s, a, 2 * SEC, 0);
	interval(s, a2, 3 * SEC, 2, 1, 1, 0);
	metrics__expire(m, 400 * SEC); /* a2 is open: nothing goes */
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, started) == 6);
	assert_int_equal(count_lines(t, "jobtrace_job_processes_started_total{"), 1);
	free(t);
	free(a);
	free(a2);
	sink__free(s);
}

static void test_counters_never_go_back(void **state)
{
	struct metrics *m = metrics__new(300);
	struct collector_stats st = {};
	struct host_record h = { .events_lost = 3 };
	char *t;

	st.kernel.events_lost = 10;
	st.kernel.jobs_map_full = 4;
	metrics__counters(m, &st);
	st.kernel.events_lost = 2; /* an older figure, read late */
	metrics__counters(m, &st);
	metrics__host(m, &h);
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, "jobtrace_events_lost_total") == 10);
	assert_true(value_of(t, "jobtrace_jobs_map_full_total") == 4);
	free(t);
	metrics__free(m);
}

/* /proc/stat's iowait can fall (NO_HZ): the counter holds, never read as a reset. */
static void test_cpu_modes_never_go_back(void **state)
{
	struct metrics *m = metrics__new(300);
	struct host_sample hs = { .have = HOST_HAVE_STAT };
	struct host_record h = { .sample = &hs };
	const char *iowait = "jobtrace_node_cpu_seconds_total{mode=\"iowait\"}";
	const char *user = "jobtrace_node_cpu_seconds_total{mode=\"user\"}";
	long hz = sysconf(_SC_CLK_TCK);
	char *t;

	hs.stat.total.iowait_ticks = 500;
	hs.stat.total.user_ticks = 100;
	metrics__host(m, &h);
	hs.stat.total.iowait_ticks = 497; /* fell back */
	hs.stat.total.user_ticks = 150;
	metrics__host(m, &h);
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, iowait) == 500.0 / (double)hz);
	assert_true(value_of(t, user) == 150.0 / (double)hz);
	free(t);
	hs.stat.total.iowait_ticks = 520; /* past it again: on from there */
	metrics__host(m, &h);
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, iowait) == 520.0 / (double)hz);
	free(t);
	metrics__free(m);
}

/*
 * A job that ends between two host records brings its starts before the
 * host's fork counter is read again: a scrape then must not show the jobs
 * starting more than the host forked (test_capacity saw it on a busy host).
 */
static void test_forks_cover_jobs_between_ticks(void **state)
{
	struct metrics *m = metrics__new(300);
	struct host_sample hs = { .have = HOST_HAVE_STAT };
	struct host_record h = { .sample = &hs };
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, "cgroup:/a");
	char *t;

	hs.stat.processes = 1000;
	metrics__host(m, &h);
	interval(s, a, 10 * SEC, 7, 1, 0, 0); /* its end, between the host's ticks */
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, "jobtrace_job_processes_started_total{job_key=\"cgroup:/a\"}") ==
		    7);
	assert_true(value_of(t, "jobtrace_node_forks_total") == 1007);
	free(t);
	/* The next host record, raised by the collector to cover them, takes over. */
	hs.stat.processes = 1009;
	metrics__host(m, &h);
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, "jobtrace_node_forks_total") == 1009);
	free(t);
	free(a);
	sink__free(s); /* and the metrics it holds */
}

static void test_utf8_clean(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "plain", 5, "plain" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
		{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" }, /* U+1F600 */
		{ "a\xff" "b", 3, "a\xef\xbf\xbd" "b" },
		{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong '/' */
		{ "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* a surrogate */
		{ "\xf4\x90\x80\x80", 4,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* past U+10FFFF */
		{ "x\xe2\x82", 3, "x\xef\xbf\xbd\xef\xbf\xbd" }, /* cut short */
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = metrics__utf8_clean(cases[i].in, cases[i].len, out);

		assert_int_equal(n, strlen(cases[i].out));
		assert_string_equal(out, cases[i].out);
	}
}

static const char hostile[] = "cgroup:/a\"b\\c\nd\xff\xfe/\xc3\xa9/}{,=\"";
static const char hostile_escaped[] =
	"job_key=\"cgroup:/a\\\"b\\\\c\\nd\xef\xbf\xbd\xef\xbf\xbd/\xc3\xa9/}{,=\\\"\"";

static void test_hostile_keys(void **state)
{
	struct metrics *m = metrics__new(300);
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, hostile);
	char want[512];
	char *t, *om;
	int nf;

	interval(s, a, SEC, 3, 5, 1, 4096);
	t = expose(m, METRICS_TEXT);
	om = expose(m, METRICS_OPENMETRICS);
	snprintf(want, sizeof(want), "jobtrace_job_processes_started_total{%s} 3\n",
		 hostile_escaped);
	assert_non_null(strstr(t, want));
	assert_non_null(strstr(om, want));
	/* No raw newline inside a label: every line parses as a sample of its family. */
	check_structure(t, METRICS_TEXT, &nf);
	check_structure(om, METRICS_OPENMETRICS, &nf);
	free(t);
	free(om);
	free(a);
	sink__free(s);
}

static void test_negotiate(void **state)
{
	static const struct {
		const char *accept;
		enum metrics_format want;
	} cases[] = {
		{ NULL, METRICS_TEXT },
		{ "", METRICS_TEXT },
		{ "*/*", METRICS_TEXT },
		{ "text/plain;version=0.0.4", METRICS_TEXT },
		/* What Prometheus 2.x sends. */
		{ "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		  "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		  METRICS_OPENMETRICS },
		/* The higher q wins (Prometheus's scrape_protocols with 0.0.4 first). */
		{ "text/plain;q=0.9, Application/OpenMetrics-Text; version=1.0.0; q=0.5",
		  METRICS_TEXT },
		{ "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5",
		  METRICS_TEXT },
		{ "application/openmetrics-text;q=0.1,text/plain;q=1", METRICS_TEXT },
		{ "text/plain;q=0.5, application/openmetrics-text; q=0.6", METRICS_OPENMETRICS },
		/* Equal: the one listed first. */
		{ "application/openmetrics-text, text/plain", METRICS_OPENMETRICS },
		{ "text/plain, application/openmetrics-text", METRICS_TEXT },
		{ "*/*;q=0.2, application/openmetrics-text;q=0.3", METRICS_OPENMETRICS },
		/* Not OpenMetrics: a longer name, a q that is not one. */
		{ "application/openmetrics-textfoo", METRICS_TEXT },
		{ "application/openmetrics-text;q=2", METRICS_TEXT },
		{ "application/openmetrics-text;q=x", METRICS_TEXT },
		{ "application/openmetrics-text;q=0", METRICS_TEXT },
		{ "application/openmetrics-text; q=0.000, text/plain", METRICS_TEXT },
		{ "application/openmetrics-text;q=0.01", METRICS_OPENMETRICS },
		{ "application/openmetrics-text;q=1.000", METRICS_OPENMETRICS },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (metrics__negotiate(cases[i].accept) != cases[i].want)
			fail_msg("'%s': %s", cases[i].accept ? cases[i].accept : "(none)",
				 cases[i].want == METRICS_TEXT ? "OpenMetrics, not text" :
								 "text, not OpenMetrics");
	assert_non_null(strstr(metrics__content_type(METRICS_OPENMETRICS),
			       "application/openmetrics-text; version=1.0.0"));
	assert_non_null(strstr(metrics__content_type(METRICS_TEXT), "version=0.0.4"));
}

/* promtool's exit status on @text; -1 when promtool is not installed. */
static int promtool_check(const char *text)
{
	FILE *p;
	int st;

	if (system("command -v promtool >/dev/null 2>&1"))
		return -1;
	p = popen("promtool check metrics >/dev/null 2>&1", "w");
	assert_non_null(p);
	fputs(text, p);
	st = pclose(p);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* An exit of @uid in @j: @status as wait(2) says it, @user_ms of user CPU and as much system. */
static void user_exit(struct sink *s, const struct cjob *j, __u32 uid, int status, __u64 user_ms)
{
	struct jt_exit_event e = { .uid = uid, .gid = 0, .exit_status = (__u32)status };
	struct proc_record r = { .e = &e, .job = j };

	e.user_ns = e.system_ns = user_ms * 1000000ULL;
	assert_int_equal(s->ops->process(s, &r), 0);
}

static void test_promtool(void **state)
{
	struct metrics *m = metrics__new(300);
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, hostile), *b = new_job(2, "tree:1234:bash");
	struct host_record h = { .load1 = 1.25, .mem_total_bytes = 1 << 30 };
	struct collector_stats st = {};
	struct self_sample self = { .cpu_ns = 1500000000ULL, .rss_bytes = 1 << 24,
				    .vsize_bytes = 1 << 26, .start_time_ns = 1700000000ULL * SEC,
				    .open_fds = 12, .max_fds = 1024, .have_fds = true };
	int rc;
	char *t;

	interval(s, a, SEC, 3, 5, 1, 4096);
	interval(s, b, SEC, 1, 5, 1, 4096);
	user_exit(s, a, 0, 0, 3);
	job_end(s, b, 2 * SEC, 1 << 20);
	s->ops->host(s, &h);
	/* Every family, process_* and the build info too. */
	metrics__self(m, &self);
	st.kernel.events_lost = 5;
	metrics__counters(m, &st);
	t = expose(m, METRICS_TEXT);
	rc = promtool_check(t);
	if (rc < 0) {
		free(t);
		free(a);
		free(b);
		sink__free(s);
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			fail_msg("promtool is missing (the prometheus package)");
		skip();
	}
	assert_int_equal(rc, 0);
	/* The check can fail: a counter without _total and a camelCase name do not pass. */
	assert_int_not_equal(promtool_check("# HELP fooBar_count x\n# TYPE fooBar_count counter\n"
					    "fooBar_count 1\n"),
			     0);
	free(t);
	free(a);
	free(b);
	sink__free(s);
}

/*
 * Short jobs in increase(): every job's processes together, in counters
 * that no job's end or expiry takes away, equal the sum of what the jobs'
 * intervals said; and in OpenMetrics each per-job counter says when it
 * began (_created: its first interval's start), so a series first scraped
 * at its final value is read as counted from then.
 */
static void test_all_jobs_and_created(void **state)
{
	struct metrics *m = metrics__new(0);
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, "cgroup:/short-a"), *b = new_job(2, "cgroup:/short-b");
	const char *all = "jobtrace_processes_started_total";
	__u64 mono_to_real = util__realtime_ns() - util__now_ns();
	double created, want;
	char *t, series[400];

	interval(s, a, 10 * SEC, 300, 40, 0, 0);
	interval(s, b, 11 * SEC, 1, 4, 0, 0);
	interval(s, b, 12 * SEC, 6, 4, 0, 0);
	job_end(s, a, 10 * SEC, 1 << 20);
	job_end(s, b, 12 * SEC, 1 << 20);
	t = expose(m, METRICS_OPENMETRICS);
	/* a began at its first interval's start, 9 s on the monotonic clock. */
	snprintf(series, sizeof(series), "jobtrace_job_processes_started_created{job_key=\"%s\"}",
		 a->job.key);
	created = value_of(t, series);
	want = (double)(9 * SEC + mono_to_real) / 1e9;
	assert_true(fabs(created - want) < 0.01);
	free(t);
	/* Both gone (keep 0): the per-job series go, the totals over all jobs stay. */
	metrics__expire(m, 13 * SEC);
	assert_int_equal(metrics__jobs(m), 0);
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, all) == 307);
	assert_true(value_of(t, "jobtrace_processes_exited_total{reason=\"ok\"}") ==
		    300 - 100 + 1 - 0 + 6 - 2);
	assert_true(value_of(t, "jobtrace_processes_exited_total{reason=\"error\"}") == 100 + 2);
	assert_true(value_of(t, "jobtrace_processes_cpu_seconds_total{mode=\"user\"}") == 0.048);
	assert_int_equal(count_lines(t, "jobtrace_processes_started_created"), 0);
	free(t);
	t = expose(m, METRICS_OPENMETRICS);
	assert_true(value_of(t, all) == 307);
	assert_int_equal(count_lines(t, "jobtrace_processes_started_created "), 1);
	free(t);
	free(a);
	free(b);
	sink__free(s);
}

/*
 * Per user from the exit records: CPU by mode and exits by reason, the
 * label the name (root) or the uid in digits when it has none, beside
 * the uid, proc mode's unknown uid in no series, and past the cap one
 * counter of what was left out, never a new series.
 */
#define ROOT "{user=\"root\",uid=\"0\","
static void test_users(void **state)
{
	struct metrics *m = metrics__new(300);
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, "cgroup:/users");
	int nusers;
	char *t;

	user_exit(s, a, 0, 0, 10);
	user_exit(s, a, 0, 1 << 8, 20); /* exit 1 */
	user_exit(s, a, 0, 9, 5); /* SIGKILL */
	user_exit(s, a, 4000001, 0, 1);
	user_exit(s, a, JT_ID_UNKNOWN, 0, 1000);
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, "jobtrace_user_cpu_seconds_total" ROOT "mode=\"user\"}") == 0.035);
	assert_true(value_of(t, "jobtrace_user_processes_exited_total" ROOT "reason=\"ok\"}") == 1);
	assert_true(value_of(t, "jobtrace_user_processes_exited_total" ROOT "reason=\"error\"}") ==
		    1);
	assert_true(value_of(t, "jobtrace_user_processes_exited_total" ROOT "reason=\"signal\"}") ==
		    1);
	assert_true(value_of(t, "jobtrace_user_cpu_seconds_total{user=\"4000001\",uid=\"4000001\","
				"mode=\"system\"}") == 0.001);
	assert_int_equal(count_lines(t, "jobtrace_user_cpu_seconds_total{"), 4);
	assert_true(value_of(t, "jobtrace_user_exits_dropped_total") == 0);
	free(t);
	t = expose(m, METRICS_OPENMETRICS);
	assert_int_equal(count_lines(t, "jobtrace_user_processes_exited_created" ROOT), 3);
	check_structure(t, METRICS_OPENMETRICS, &nusers);
	free(t);
	/* 256 users in all, then 3 exits of 3 more: counted, no series of their own. */
	for (__u32 uid = 5000000; uid < 5000000 + 254; uid++)
		user_exit(s, a, uid, 0, 1);
	for (__u32 uid = 6000000; uid < 6000003; uid++)
		user_exit(s, a, uid, 0, 1);
	user_exit(s, a, 0, 0, 1); /* one already seen still counts */
	t = expose(m, METRICS_TEXT);
	assert_int_equal(count_lines(t, "jobtrace_user_cpu_seconds_total{"), 2 * 256);
	assert_true(value_of(t, "jobtrace_user_exits_dropped_total") == 3);
	assert_true(value_of(t, "jobtrace_user_processes_exited_total" ROOT "reason=\"ok\"}") == 2);
	check_structure(t, METRICS_TEXT, &nusers);
	free(t);
	free(a);
	sink__free(s);
}
#undef ROOT

/*
 * Names as a passwd can give them: 1000 has none (its label the digits
 * "1000"), 2000 is a user named "1000", 3000 and 3001 are two entries of
 * one name.
 */
static bool clashing_names(unsigned int uid, char *buf, size_t size)
{
	switch (uid) {
	case 2000:
		snprintf(buf, size, "1000");
		return true;
	case 3000:
	case 3001:
		snprintf(buf, size, "alice");
		return true;
	default:
		return false;
	}
}

/*
 * Two uids whose user label is the same (a name twice in passwd, a user
 * named as another's uid) are still two series each, told apart by their
 * uid, and each keeps its own counts.
 */
static void test_users_same_name(void **state)
{
	struct metrics *m = metrics__new(300);
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, "cgroup:/users");
	const __u32 uids[] = { 1000, 2000, 3000, 3001 };
	int nf;
	char *t;

	metrics__set_user_name(m, clashing_names);
	for (size_t i = 0; i < 4; i++)
		user_exit(s, a, uids[i], 0, 10 * (i + 1));
	user_exit(s, a, 3001, 1 << 8, 1);
	for (int fmt = METRICS_TEXT; fmt <= METRICS_OPENMETRICS; fmt++) {
		t = expose(m, (enum metrics_format)fmt);
		check_structure(t, (enum metrics_format)fmt, &nf);
		assert_int_equal(count_lines(t, "jobtrace_user_cpu_seconds_total{"), 2 * 4);
		assert_int_equal(count_lines(t, "jobtrace_user_processes_exited_total{"), 3 * 4);
		free(t);
	}
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, "jobtrace_user_cpu_seconds_total{user=\"1000\",uid=\"1000\","
				"mode=\"user\"}") == 0.01);
	assert_true(value_of(t, "jobtrace_user_cpu_seconds_total{user=\"1000\",uid=\"2000\","
				"mode=\"user\"}") == 0.02);
	assert_true(value_of(t, "jobtrace_user_cpu_seconds_total{user=\"alice\",uid=\"3000\","
				"mode=\"user\"}") == 0.03);
	assert_true(value_of(t, "jobtrace_user_cpu_seconds_total{user=\"alice\",uid=\"3001\","
				"mode=\"user\"}") == 0.041);
	assert_true(value_of(t, "jobtrace_user_processes_exited_total{user=\"alice\",uid=\"3000\","
				"reason=\"error\"}") == 0);
	assert_true(value_of(t, "jobtrace_user_processes_exited_total{user=\"alice\",uid=\"3001\","
				"reason=\"error\"}") == 1);
	free(t);
	free(a);
	sink__free(s);
}

/* The OOM killer's kills, per job and over every job, as the intervals count them. */
static void test_oom_kills(void **state)
{
	struct metrics *m = metrics__new(300);
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, "cgroup:/mem-a"), *b = new_job(2, "cgroup:/mem-b");
	struct interval_record r = { .job = a, .t0_ns = 9 * SEC, .t1_ns = 10 * SEC };
	char *t;

	r.d.started = r.d.exited = 3;
	r.d.exit_signal = 2;
	r.d.oom_kills = 1; /* one kill -9, one OOM kill */
	assert_int_equal(s->ops->interval(s, &r), 0);
	interval(s, b, 10 * SEC, 4, 1, 0, 0);
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, "jobtrace_job_oom_kills_total{job_key=\"cgroup:/mem-a\"}") == 1);
	assert_true(value_of(t, "jobtrace_job_oom_kills_total{job_key=\"cgroup:/mem-b\"}") == 0);
	assert_true(value_of(t, "jobtrace_processes_oom_kills_total") == 1);
	assert_true(value_of(t, "jobtrace_processes_exited_total{reason=\"signal\"}") == 2);
	free(t);
	free(a);
	free(b);
	sink__free(s);
}

/* @family's sample of job @key (no key: the totals), with @label when given; -1 when absent. */
static double sample_of(const char *t, const char *family, const char *key, const char *label)
{
	char series[400];

	if (key)
		snprintf(series, sizeof(series), "%s{job_key=\"%s\"%s%s}", family, key,
			 label ? "," : "", label ? label : "");
	else if (label)
		snprintf(series, sizeof(series), "%s{%s}", family, label);
	else
		snprintf(series, sizeof(series), "%s", family);
	return value_of(t, series);
}

/*
 * started + existing_at_attach + moved{in}, less exited + moved{out}, of job
 * @key (NULL: over every job); each of them present, or the test fails.
 */
static double came_less_gone(const char *t, const char *key)
{
	const char *pre = key ? "jobtrace_job_processes" : "jobtrace_processes";
	static const char *const came[][2] = { { "_started_total", NULL },
					       { "_existing_at_attach_total", NULL },
					       { "_moved_total", "direction=\"in\"" } };
	static const char *const gone[][2] = { { "_exited_total", "reason=\"ok\"" },
					       { "_exited_total", "reason=\"error\"" },
					       { "_exited_total", "reason=\"signal\"" },
					       { "_moved_total", "direction=\"out\"" } };
	char family[128];
	double sum = 0, v;

	for (size_t i = 0; i < 3 + 4; i++) {
		const char *const *f = i < 3 ? came[i] : gone[i - 3];

		snprintf(family, sizeof(family), "%s%s", pre, f[0]);
		v = sample_of(t, family, key, f[1]);
		if (v < 0)
			fail_msg("no sample of %s{%s} for %s", family, f[1] ? f[1] : "",
				 key ? key : "all jobs");
		sum += i < 3 ? v : -v;
	}
	return sum;
}

/*
 * The reviewer's cgroup job: 439 processes started in it, one moved in
 * (forked outside, then written to cgroup.procs), 440 exits. Its series
 * and the totals over all jobs name the one that moved in, the one that
 * moved out of another job and the processes found at an attach, so that
 * started + existing_at_attach + moved{in} = exited + moved{out} +
 * processes, job by job and over every job, in both formats.
 */
static void test_moved_and_existing(void **state)
{
	const enum metrics_format fmts[] = { METRICS_TEXT, METRICS_OPENMETRICS };
	struct metrics *m = metrics__new(300);
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, "cgroup:/moved-a"), *b = new_job(2, "cgroup:/moved-b");
	struct interval_record r = { .job = a, .t0_ns = 9 * SEC, .t1_ns = 10 * SEC };
	const char *alive = "jobtrace_job_processes";
	char *t;

	r.d.started = 439;
	r.d.moved_in = 1;
	r.d.exited = r.d.exit_ok = 440;
	assert_int_equal(s->ops->interval(s, &r), 0);
	/* b: 3 found at the attach, 2 started, one moved out; 2 alive, 2 exited. */
	r = (struct interval_record){ .job = b, .t0_ns = 9 * SEC, .t1_ns = 10 * SEC, .alive = 2 };
	r.d.existing = 3;
	r.d.started = 2;
	r.d.moved_out = 1;
	r.d.exited = r.d.exit_error = 2;
	assert_int_equal(s->ops->interval(s, &r), 0);
	for (size_t f = 0; f < 2; f++) {
		bool om = fmts[f] == METRICS_OPENMETRICS;
		int nf;

		t = expose(m, fmts[f]);
		check_structure(t, fmts[f], &nf);
		check_unique_series(t);
		assert_true(came_less_gone(t, a->job.key) == sample_of(t, alive, a->job.key, NULL));
		assert_true(came_less_gone(t, b->job.key) == sample_of(t, alive, b->job.key, NULL));
		assert_true(sample_of(t, alive, b->job.key, NULL) == 2);
		assert_true(sample_of(t, "jobtrace_job_processes_moved_total", a->job.key,
				      "direction=\"in\"") == 1);
		assert_true(sample_of(t, "jobtrace_job_processes_existing_at_attach_total", b->job.key,
				      NULL) == 3);
		/* Over every job: the jobs' alive is what came and has not gone. */
		assert_true(came_less_gone(t, NULL) == 2);
		if (om) {
			const char *type = "# TYPE jobtrace_job_processes_moved counter";

			assert_int_equal(count_lines(t, type), 1);
			assert_int_equal(count_lines(t, "jobtrace_job_processes_moved_created{"),
					 4);
			assert_int_equal(count_lines(t, "jobtrace_processes_moved_created{"), 2);
			assert_int_equal(count_lines(t, "jobtrace_job_processes_existing_at_attach_"
							"created{"),
					 2);
			assert_int_equal(count_lines(t, "jobtrace_processes_existing_at_attach_"
							"created "),
					 1);
		}
		free(t);
	}
	free(a);
	free(b);
	sink__free(s);
}

/*
 * A Slurm step's allocation and efficiency as gauges: Slurm's CPUs, a
 * cgroup's memory limit where Slurm gave none (named by source); a job
 * with no allocation has none of these series, never a 0.
 */
static void test_allocation_gauges(void **state)
{
	struct metrics *m = metrics__new(300);
	struct sink *s = sink_metrics__new(m);
	struct cjob *a = new_job(1, "slurm:7.0"), *b = new_job(2, "cgroup:/free");
	int nf;
	char *t;

	struct job_sched_alloc sched = { .system = "slurm", .cpus_known = true, .cpus = 2 };
	struct cgroup_alloc limit = {
		.memory_known = true, .memory_bytes = 256ULL << 20, .memory_cgroup = "/slurm/job_7",
	};

	assert_int_equal(job__set_sched(&a->job, &sched), 0);
	assert_int_equal(job__set_cgroup_alloc(&a->job, &limit), 0);
	a->job.start_ns = 6 * SEC;
	a->job.stats.cpu_ns = 2 * SEC;
	a->job.stats.peak_rss_bytes = 64ULL << 20;
	assert_int_equal(job__set_cgroup_alloc(&b->job, &(struct cgroup_alloc){}), 0); /* no limit */
	interval(s, a, 8 * SEC, 1, 10, 1, 1 << 20);
	interval(s, b, 8 * SEC, 1, 10, 1, 1 << 20);
	t = expose(m, METRICS_TEXT);
	assert_true(value_of(t, "jobtrace_job_allocated_cpus{job_key=\"slurm:7.0\",source=\"slurm\"}") ==
		    2);
	assert_true(value_of(t, "jobtrace_job_allocated_memory_bytes{job_key=\"slurm:7.0\","
				"source=\"cgroup\"}") == 256 << 20);
	/* 2 s of CPU over 2 CPUs x 2 s so far */
	assert_true(value_of(t, "jobtrace_job_cpu_efficiency_ratio{job_key=\"slurm:7.0\"}") == 0.5);
	assert_true(value_of(t, "jobtrace_job_memory_efficiency_ratio{job_key=\"slurm:7.0\"}") ==
		    0.25);
	assert_int_equal(count_lines(t, "jobtrace_job_allocated_cpus{"), 1);
	assert_int_equal(count_lines(t, "jobtrace_job_cpu_efficiency_ratio{"), 1);
	check_structure(t, METRICS_TEXT, &nf);
	free(t);
	/* At its end: over its whole wall time. */
	a->job.stats.cpu_ns = 3 * SEC;
	job_end(s, a, 9 * SEC, 64ULL << 20);
	t = expose(m, METRICS_OPENMETRICS);
	assert_true(value_of(t, "jobtrace_job_cpu_efficiency_ratio{job_key=\"slurm:7.0\"}") == 0.5);
	assert_non_null(strstr(t, "# UNIT jobtrace_job_cpu_efficiency_ratio ratio\n"));
	check_structure(t, METRICS_OPENMETRICS, &nf);
	free(t);
	job__free(&a->job);
	job__free(&b->job);
	free(a);
	free(b);
	sink__free(s);
}

static void test_wants_gzip(void **state)
{
	static const struct {
		const char *ae;
		bool want;
	} cases[] = {
		{ NULL, false },
		{ "", false },
		{ "identity", false },
		{ "gzip", true }, /* what Prometheus sends */
		{ "GZip", true },
		{ "x-gzip", true },
		{ "deflate, gzip;q=1.0, *;q=0.5", true },
		{ "br,  gzip ; q=0.2", true },
		{ "gzip;q=0", false },
		{ "gzip; q=0.000, identity", false },
		{ "*", true },
		{ "*;q=0", false },
		{ "gzip;q=0, *", false }, /* named and refused: "*" is every other coding */
		{ "gzipx, br", false },
		{ "br, deflate", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (metrics__wants_gzip(cases[i].ae) != cases[i].want)
			fail_msg("Accept-Encoding \"%s\": want %d", cases[i].ae ?: "(none)",
				 cases[i].want);
	}
}

/* @len bytes of gzip in @z, gunzipped with zlib's own inflate (malloc'd, *@out_len bytes). */
static char *gunzip(const void *z, size_t len, size_t *out_len)
{
	z_stream zs = {};
	size_t cap = 1 << 16;
	char *out = malloc(cap);
	int zerr;

	assert_non_null(out);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK); /* gzip only, not zlib or raw */
	zs.next_in = (Bytef *)z;
	zs.avail_in = (uInt)len;
	do {
		if (zs.total_out == cap) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		zs.next_out = (Bytef *)out + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		zerr = inflate(&zs, Z_NO_FLUSH);
		assert_true(zerr == Z_OK || zerr == Z_STREAM_END);
	} while (zerr != Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0); /* one member, nothing after it */
	*out_len = zs.total_out;
	inflateEnd(&zs);
	return out;
}

/*
 * 1,000 jobs, as in jobtrace-metrics(7)'s figures: both formats gzipped and gunzipped
 * again are the same bytes, and much smaller on the way.
 */
static void test_gzip_roundtrip(void **state)
{
	struct metrics *m = metrics__new(300);
	struct sink *s = sink_metrics__new(m);
	const enum metrics_format fmts[] = { METRICS_TEXT, METRICS_OPENMETRICS };
	struct cjob *j = new_job(1, "");

	for (int i = 0; i < 1000; i++) {
		snprintf(TEST_CJOB_KEY(j), CJOB_KEY_SIZE, "cgroup:/jobs.slice/job-%04d.scope", i);
		interval(s, j, SEC, (__u64)i % 50 + 1, (__u64)i, 1, 1 << 20);
	}
	for (size_t f = 0; f < 2; f++) {
		char *t = expose(m, fmts[f]), *back;
		size_t len = strlen(t), zlen, blen;
		__u64 t0 = util__now_ns(), t1;
		void *z;

		assert_int_equal(metrics_http__gzip(t, len, &z, &zlen), 0);
		t1 = util__now_ns();
		back = gunzip(z, zlen, &blen);
		assert_int_equal(blen, len);
		assert_memory_equal(back, t, len);
		assert_true(zlen * 5 < len);
		{
			/* From a file to a file, as a scrape's body goes: the same bytes. */
			int in = memfd_create("t", 0), out = memfd_create("t.gz", 0);
			size_t flen, fblen;
			char *fz, *fback;

			assert_true(in >= 0 && out >= 0);
			assert_int_equal(write(in, t, len), (ssize_t)len);
			assert_int_equal(metrics_http__gzip_fd(in, len, out, &flen), 0);
			assert_int_equal(lseek(out, 0, SEEK_END), (off_t)flen);
			fz = malloc(flen);
			assert_int_equal(pread(out, fz, flen, 0), (ssize_t)flen);
			fback = gunzip(fz, flen, &fblen);
			assert_int_equal(fblen, len);
			assert_memory_equal(fback, t, len);
			free(fback);
			free(fz);
			close(in);
			close(out);
		}
		print_message("  %s, 1,000 jobs: %zu bytes, gzip %zu (%.1f%%, 1:%.1f), %.1f ms\n",
			      fmts[f] == METRICS_TEXT ? "text 0.0.4" : "OpenMetrics", len, zlen,
			      100.0 * (double)zlen / (double)len, (double)len / (double)zlen,
			      (double)(t1 - t0) / 1e6);
		free(back);
		free(z);
		free(t);
	}
	/* Nothing in: a valid, empty member. */
	{
		void *z;
		size_t zlen, blen;
		char *back;

		assert_int_equal(metrics_http__gzip("", 0, &z, &zlen), 0);
		back = gunzip(z, zlen, &blen);
		assert_int_equal(blen, 0);
		free(back);
		free(z);
	}
	free(j);
	sink__free(s);
}

/*
 * jobtrace_build_info, always; process_* only once a front handed in a
 * sample (no false zeros), under the names of Prometheus's client
 * libraries, with +Inf for an unlimited fd limit.
 */
static void test_build_info_and_process(void **state)
{
	struct metrics *m = metrics__new(300);
	struct self_sample self = { .cpu_ns = 2250000000ULL, .rss_bytes = 15 << 20,
				    .vsize_bytes = 80 << 20,
				    .start_time_ns = 1700000000ULL * SEC + 5,
				    .open_fds = 37, .max_fds = 1048576, .have_fds = true };
	char want[256];
	char *t;
	int nf;

	t = expose(m, METRICS_TEXT);
	snprintf(want, sizeof(want), "jobtrace_build_info{version=\"%s\",", JOBTRACE_VERSION);
	assert_non_null(strstr(t, want));
	assert_int_equal(count_lines(t, "# TYPE jobtrace_build_info gauge"), 1);
	assert_int_equal(count_lines(t, "process_"), 0);
	free(t);

	metrics__self(m, &self);
	t = expose(m, METRICS_TEXT);
	check_structure(t, METRICS_TEXT, &nf);
	assert_true(value_of(t, "process_cpu_seconds_total") == 2.25);
	assert_true(value_of(t, "process_resident_memory_bytes") == 15 << 20);
	assert_true(value_of(t, "process_virtual_memory_bytes") == 80 << 20);
	assert_non_null(strstr(t, "\nprocess_start_time_seconds 1700000000.000000005\n"));
	assert_true(value_of(t, "process_open_fds") == 37);
	assert_true(value_of(t, "process_max_fds") == 1048576);
	assert_int_equal(count_lines(t, "# TYPE process_cpu_seconds_total counter"), 1);
	free(t);
	t = expose(m, METRICS_OPENMETRICS);
	check_structure(t, METRICS_OPENMETRICS, &nf);
	assert_int_equal(count_lines(t, "# TYPE process_cpu_seconds counter"), 1);
	/* The CPU counter counts from the process's start. */
	assert_non_null(strstr(t, "\nprocess_cpu_seconds_created 1700000000.000000005\n"));
	free(t);

	self.max_fds = UINT64_MAX;
	self.have_fds = true;
	metrics__self(m, &self);
	t = expose(m, METRICS_TEXT);
	assert_non_null(strstr(t, "\nprocess_max_fds +Inf\n"));
	free(t);
	self.have_fds = false; /* no fd directory to read: no fd families, rather than 0 */
	metrics__self(m, &self);
	t = expose(m, METRICS_TEXT);
	assert_int_equal(count_lines(t, "process_open_fds"), 0);
	assert_int_equal(count_lines(t, "process_max_fds"), 0);
	assert_true(value_of(t, "process_cpu_seconds_total") == 2.25);
	free(t);
	metrics__free(m);
}

/* The sampler over this test's own live /proc/self: what getrlimit and the fds opened say. */
static void test_self_sample_live(void **state)
{
	int proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC), extra[5];
	struct self_sample a, b;
	struct rlimit rl;
	__u64 now = util__realtime_ns();

	assert_true(proc_fd >= 0);
	assert_int_equal(self_sample__read(proc_fd, getpid(), &a), 0);
	for (int i = 0; i < 5; i++)
		extra[i] = dup(proc_fd);
	assert_int_equal(self_sample__read(proc_fd, getpid(), &b), 0);
	for (int i = 0; i < 5; i++)
		close(extra[i]);
	assert_true(a.have_fds && b.have_fds);
	assert_int_equal(b.open_fds, a.open_fds + 5);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	/* Valgrind keeps fds of its own: it lowers what getrlimit() says, not the kernel's limit. */
	if (RUNNING_ON_VALGRIND)
		assert_true(a.max_fds >= rl.rlim_cur);
	else
		assert_true(a.max_fds == (rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur));
	assert_true(a.rss_bytes > 0 && a.vsize_bytes >= a.rss_bytes);
	/* Started before now, and not before the 1 h a unit test could ever take. */
	assert_true(a.start_time_ns <= now + SEC && a.start_time_ns + 3600 * SEC > now);
	assert_true(b.cpu_ns >= a.cpu_ns);
	assert_int_equal(self_sample__read(proc_fd, 0x3fffffff, &a), -ESRCH);
	close(proc_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families_once),
		cmocka_unit_test(test_allocation_gauges),
		cmocka_unit_test(test_oom_kills),
		cmocka_unit_test(test_moved_and_existing),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_users_same_name),
		cmocka_unit_test(test_monotonic_keep_drop),
		cmocka_unit_test(test_expire_each_at_its_time),
		cmocka_unit_test(test_key_again_continues),
		cmocka_unit_test(test_counters_never_go_back),
		cmocka_unit_test(test_cpu_modes_never_go_back),
		cmocka_unit_test(test_forks_cover_jobs_between_ticks),
		cmocka_unit_test(test_utf8_clean),
		cmocka_unit_test(test_hostile_keys),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_promtool),
		cmocka_unit_test(test_all_jobs_and_created),
		cmocka_unit_test(test_wants_gzip),
		cmocka_unit_test(test_gzip_roundtrip),
		cmocka_unit_test(test_build_info_and_process),
		cmocka_unit_test(test_self_sample_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
