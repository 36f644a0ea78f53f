// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace serve --listen` scraped by a real Prometheus server: a churn
 * job in its own cgroup v2 (host mode makes it a job) runs to its end, and
 * what Prometheus stored of it is asked through its HTTP API: processes
 * started are exactly churn's own count, CPU seconds what the cgroup's
 * cpu.stat says it ran. /metrics is also fetched directly in both formats,
 * gzipped and not, and promtool checks the live text. And 20 jobs shorter
 * than Prometheus's scrape interval, run between two scrapes: the host
 * counter Prometheus stored grew by at least their processes, and each has
 * its series, exact and with _created, in jobtrace's own OpenMetrics text.
 * Needs root, BPF, a cgroup v2 where root may make cgroups, and Debian's
 * prometheus package; under CI=true a machine without them fails instead
 * of skipping.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "testutil.h"
#include "harness.h"

#define WAIT_S 40 /* waits only, never an assertion on speed */
#define CHILDREN 200
#define CG_PREFIX "jt-test-prom-"
#define PROMETHEUS "/usr/bin/prometheus"

#define SHORT_JOBS 200
#define SCRAPE_S 5 /* the short-jobs test's scrape interval, as the issue has it */

static char cg_name[64];
/* The cgroup of short job @i, in @buf (80 bytes). */
static const char *short_cg(int i, char *buf)
{
	snprintf(buf, 80, "%s-s%02d", cg_name, i);
	return buf;
}

/* Starts @argv, its output to @log; in cgroup @cg when not NULL. */
static pid_t spawn(char *const argv[], const char *log, const char *cg)
{
	if (cg)
		return harness__cgroup_spawn(cg, argv, log, log);
	return harness__spawn(argv, log, log);
}

/*
 * Stops @pid (@sig, then SIGKILL after @timeout_s) and returns its wait
 * status. Not a failure when it must be killed: Prometheus may take its
 * time to stop, and a command's status is what the caller asserts.
 */
static int stop(pid_t pid, int sig, int timeout_s)
{
	unsigned long long deadline = harness__mono_ms() + (unsigned long long)timeout_s * 1000;
	int st = 0;

	if (sig)
		kill(pid, sig);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (harness__mono_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		harness__sleep_ms(20);
	}
	harness__track(0, pid);
	return st;
}

/* A port nobody listens on now (the kernel's choice of an ephemeral one). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/*
 * A tiny HTTP/1.0 client: @method @path on 127.0.0.1:@port, with the
 * header lines @extra ("Name: value\r\n" each, or NULL); returns the status
 * (0: no connection), the response's headers and body (malloc'd, NUL after
 * its *@body_len bytes, which may hold NULs: gzip).
 */
static int http_raw(int port, const char *method, const char *path, const char *extra,
		    char **headers, char **body, size_t *body_len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char req[4096], *buf = NULL, *sep;
	size_t len = 0, cap = 0;
	int fd, status = 0;
	ssize_t n;

	*headers = *body = NULL;
	*body_len = 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return 0;
	}
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s\r\n", method, path,
		 extra ? extra : "");
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		n = read(fd, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return 0;
	buf[len] = '\0';
	sep = strstr(buf, "\r\n\r\n");
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || !sep) {
		free(buf);
		return 0;
	}
	*body_len = len - (size_t)(sep + 4 - buf);
	*body = malloc(*body_len + 1);
	assert_non_null(*body);
	memcpy(*body, sep + 4, *body_len + 1);
	*sep = '\0';
	*headers = buf;
	return status;
}

/* As http_raw, with an Accept header when @accept is not NULL; a body of text. */
static int http(int port, const char *method, const char *path, const char *accept,
		char **headers, char **body)
{
	char extra[512] = "";
	size_t len;

	if (accept)
		snprintf(extra, sizeof(extra), "Accept: %s\r\n", accept);
	return http_raw(port, method, path, extra, headers, body, &len);
}

/* @len bytes of gzip, gunzipped by zlib (malloc'd, NUL-terminated); fails on anything else. */
static char *gunzip(const void *z, size_t len, size_t *out_len)
{
	z_stream zs = {};
	size_t cap = 1 << 16;
	char *out = malloc(cap + 1);
	int zerr;

	assert_non_null(out);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)z;
	zs.avail_in = (uInt)len;
	do {
		if (zs.total_out == cap) {
			cap *= 2;
			out = realloc(out, cap + 1);
			assert_non_null(out);
		}
		zs.next_out = (Bytef *)out + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		zerr = inflate(&zs, Z_NO_FLUSH);
		if (zerr != Z_OK && zerr != Z_STREAM_END)
			fail_msg("the body does not gunzip: zlib %d", zerr);
	} while (zerr != Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);
	*out_len = zs.total_out;
	out[*out_len] = '\0';
	inflateEnd(&zs);
	return out;
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

/* The "# TYPE" lines of an exposition, in order: its families, whatever their values. */
static char *families(const char *text)
{
	size_t cap = strlen(text) + 1, o = 0;
	char *out = malloc(cap);

	assert_non_null(out);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);

		if (!strncmp(l, "# TYPE ", 7)) {
			memcpy(out + o, l, n);
			o += n;
		}
	}
	out[o] = '\0';
	return out;
}

/* jobtrace's /metrics as text 0.0.4; NULL when it does not answer 200. */
static char *metrics_text(int port)
{
	char *h, *b;
	int status = http(port, "GET", "/metrics", NULL, &h, &b);

	free(h);
	if (status != 200) {
		free(b);
		return NULL;
	}
	return b;
}

/*
 * Prometheus's instant query @q: the first result's value; NAN when there
 * is none. @ts, when given, gets the sample's time (seconds since the epoch).
 */
static double prom_query_ts(int port, const char *q, double *ts)
{
	char path[2048], *h, *b;
	size_t o;
	json_t *root, *v;
	double val = NAN;

	o = (size_t)snprintf(path, sizeof(path), "/api/v1/query?query=");
	for (const unsigned char *s = (const unsigned char *)q; *s && o + 4 < sizeof(path); s++) {
		if (isalnum(*s) || strchr("_.-", *s))
			path[o++] = (char)*s;
		else
			o += (size_t)snprintf(path + o, sizeof(path) - o, "%%%02X", *s);
	}
	path[o] = '\0';
	if (http(port, "GET", path, NULL, &h, &b) != 200) {
		free(h);
		free(b);
		return NAN;
	}
	root = json_loads(b, 0, NULL);
	assert_non_null(root);
	v = json_array_get(json_object_get(json_object_get(root, "data"), "result"), 0);
	if (ts)
		*ts = json_number_value(json_array_get(json_object_get(v, "value"), 0));
	v = json_array_get(json_object_get(v, "value"), 1);
	if (json_is_string(v))
		val = strtod(json_string_value(v), NULL);
	json_decref(root);
	free(h);
	free(b);
	return val;
}

static double prom_query(int port, const char *q)
{
	return prom_query_ts(port, q, NULL);
}

/* The value of the sample @series in an exposition; NAN when absent: equal to nothing. */
static double sample(const char *text, const char *series)
{
	return harness__sample(text, series, NAN);
}

static void write_config(const char *path, int target_port, int interval_s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	/*
	 * No honor_labels: jobtrace's series name their job with job_key, so
	 * the scrape's own job and instance labels are Prometheus's, as it wants.
	 */
	fprintf(f,
		"global:\n"
		"  scrape_interval: %ds\n"
		"  scrape_timeout: 1s\n"
		"scrape_configs:\n"
		"  - job_name: jobtrace\n"
		"    static_configs:\n"
		"      - targets: ['127.0.0.1:%d']\n",
		interval_s, target_port);
	assert_int_equal(fclose(f), 0);
}

/* Polls @fn until it returns true, at most WAIT_S seconds. */
#define WAIT_UNTIL(cond, what)                                                 \
	do {                                                                   \
		unsigned long long deadline_ = harness__mono_ms() + WAIT_S * 1000ULL;  \
		while (!(cond)) {                                              \
			if (harness__mono_ms() > deadline_)                             \
				fail_msg("timed out waiting for %s", what);    \
			harness__sleep_ms(200);                                         \
		}                                                              \
	} while (0)

/*
 * gzip when asked: the same exposition (its families; values move between
 * two fetches), Content-Encoding said, Vary on both; and jobtrace's build
 * and own process in it.
 */
static void check_gzip(int jport)
{
	const char *om = "Accept: application/openmetrics-text\r\n";
	char extra[200], *plain, *zipped, *fam_plain, *fam_zipped, *ph, *zh, *b;
	size_t plen, zlen, ulen;

	for (int o = 0; o < 2; o++) {
		snprintf(extra, sizeof(extra), "%s", o ? om : "");
		assert_int_equal(http_raw(jport, "GET", "/metrics", extra, &ph, &plain, &plen),
				 200);
		assert_null(strstr(ph, "Content-Encoding"));
		assert_non_null(strstr(ph, "Vary: Accept, Accept-Encoding"));
		snprintf(extra, sizeof(extra), "%sAccept-Encoding: gzip\r\n", o ? om : "");
		assert_int_equal(http_raw(jport, "GET", "/metrics", extra, &zh, &zipped, &zlen),
				 200);
		assert_non_null(strstr(zh, "Content-Encoding: gzip"));
		assert_non_null(strstr(zh, "Vary: Accept, Accept-Encoding"));
		b = gunzip(zipped, zlen, &ulen);
		assert_int_equal(strlen(b), ulen); /* text, no NUL inside */
		fam_plain = families(plain);
		fam_zipped = families(b);
		assert_true(strlen(fam_plain) > 1000);
		assert_string_equal(fam_zipped, fam_plain);
		print_message("  /metrics %s: %zu bytes, gzipped %zu (1:%.1f), same %d families\n",
			      o ? "OpenMetrics" : "text", plen, zlen, (double)ulen / (double)zlen,
			      count_lines(fam_plain, "# TYPE "));
		assert_true(zlen * 3 < ulen);
		assert_non_null(strstr(b, "\njobtrace_build_info{version=\""));
		assert_non_null(strstr(b, "\nprocess_open_fds "));
		assert_true(sample(b, "process_resident_memory_bytes") > 0);
		free(fam_plain);
		free(fam_zipped);
		free(plain);
		free(zipped);
		free(ph);
		free(zh);
		free(b);
	}
}

static void test_prometheus_scrapes_job(void **state)
{
	char conf[600], data[600], plog[600], jlog[600], truth[600], mfile[700];
	char laddr[64], webaddr[80], conf_arg[700], data_arg[700], series[400], q[600];
	char *h = NULL, *b = NULL;
	(void)h;
	int pport = free_port(), jport = free_port(), st;
	double usage_ns, want_started, got, om_cpu;
	pid_t prom, js, ch;
	json_t *t;
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/prometheus.yml", H.tmpdir);
	snprintf(data, sizeof(data), "%s/data", H.tmpdir);
	snprintf(plog, sizeof(plog), "%s/prometheus.log", H.tmpdir);
	snprintf(jlog, sizeof(jlog), "%s/jobtrace.log", H.tmpdir);
	snprintf(truth, sizeof(truth), "%s/churn.truth", H.tmpdir);
	snprintf(mfile, sizeof(mfile), "%s/metrics.txt", H.tmpdir);
	write_config(conf, jport, 1);
	snprintf(conf_arg, sizeof(conf_arg), "--config.file=%s", conf);
	snprintf(data_arg, sizeof(data_arg), "--storage.tsdb.path=%s", data);
	snprintf(webaddr, sizeof(webaddr), "--web.listen-address=127.0.0.1:%d", pport);
	snprintf(laddr, sizeof(laddr), "127.0.0.1:%d", jport);

	{
		char *argv[] = { H.jobtrace, "serve", "--listen", laddr, "-i", "1",
				 "-g", "cgroup2", NULL };

		js = spawn(argv, jlog, NULL);
	}
	{
		char *argv[] = { PROMETHEUS, conf_arg, data_arg, webaddr, "--log.level=warn", NULL };

		prom = spawn(argv, plog, NULL);
	}
	WAIT_UNTIL((b = metrics_text(jport)) != NULL, "jobtrace's /metrics");
	free(b);
	WAIT_UNTIL(prom_query(pport, "up{job=\"jobtrace\"}") == 1, "Prometheus to scrape jobtrace");

	harness__cgroup_make(cg_name);
	{
		char *argv[] = { H.churn, "--children", "200", "--burn-us", "2000",
				 "--truth", truth, NULL };

		ch = spawn(argv, NULL, cg_name);
	}
	st = stop(ch, 0, WAIT_S);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	usage_ns = harness__cgroup_usage_ns(cg_name); /* every process of the cgroup is gone: final */
	t = harness__json(truth);
	/* churn's root was forked outside and moved in; its children started inside. */
	want_started = (double)json_integer_value(json_object_get(t, "processes")) - 1;
	json_decref(t);
	assert_true(want_started == CHILDREN);

	/*
	 * jobtrace's own figures: the count reaches churn's, then, the job over
	 * (two empty samples at most), it has stayed there, none alive.
	 */
	snprintf(series, sizeof(series), "jobtrace_job_processes_started_total{job_key=\"cgroup:/%s\"}",
		 cg_name);
	for (unsigned long long deadline = harness__mono_ms() + WAIT_S * 1000ULL;; harness__sleep_ms(200)) {
		b = metrics_text(jport);
		if (b && sample(b, series) >= want_started)
			break;
		free(b);
		if (harness__mono_ms() > deadline)
			fail_msg("timed out waiting for the job's count in jobtrace's /metrics");
	}
	free(b);
	harness__sleep_ms(2500);
	b = metrics_text(jport);
	assert_non_null(b);
	print_message("  jobtrace: started %.0f, churn %.0f\n", sample(b, series), want_started);
	assert_true(sample(b, series) == want_started);
	snprintf(series, sizeof(series), "jobtrace_job_processes{job_key=\"cgroup:/%s\"}", cg_name);
	assert_true(sample(b, series) == 0);
	snprintf(series, sizeof(series),
		 "jobtrace_job_cpu_seconds_total{job_key=\"cgroup:/%s\",mode=\"user\"}", cg_name);
	got = sample(b, series);
	snprintf(series, sizeof(series),
		 "jobtrace_job_cpu_seconds_total{job_key=\"cgroup:/%s\",mode=\"system\"}", cg_name);
	got += sample(b, series);
	print_message("  jobtrace /metrics: CPU %.6f s, cpu.stat %.6f s (%+.3f%%)\n", got,
		      usage_ns / 1e9, 100 * (got * 1e9 - usage_ns) / usage_ns);
	assert_true(fabs(got * 1e9 - usage_ns) <= 0.005 * usage_ns);
	/* promtool on the live text. */
	f = fopen(mfile, "w");
	assert_non_null(f);
	fputs(b, f);
	fclose(f);
	free(b);
	{
		char cmd[800];

		snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s'", mfile);
		assert_int_equal(system(cmd), 0);
	}

	/* What Prometheus stored: the same figures, a few scrapes on. */
	snprintf(q, sizeof(q), "jobtrace_job_processes_started_total{job_key=\"cgroup:/%s\"}", cg_name);
	WAIT_UNTIL(prom_query(pport, q) == want_started, "Prometheus to hold the job's final count");
	harness__sleep_ms(2500);
	assert_true(prom_query(pport, q) == want_started);
	snprintf(q, sizeof(q), "sum(jobtrace_job_cpu_seconds_total{job_key=\"cgroup:/%s\"})", cg_name);
	om_cpu = prom_query(pport, q);
	print_message("  Prometheus: started %.0f (churn %.0f), CPU %.6f s (cpu.stat %.6f s)\n",
		      want_started, want_started, om_cpu, usage_ns / 1e9);
	assert_true(fabs(om_cpu - got) < 1e-6); /* what jobtrace said, stored as it said it */
	assert_true(fabs(om_cpu * 1e9 - usage_ns) <= 0.005 * usage_ns);
	/* The scrape's own job label was not forced onto our series. */
	snprintf(q, sizeof(q), "count(jobtrace_job_processes_started_total{exported_job!=\"\"})");
	assert_true(isnan(prom_query(pport, q)));

	/* /metrics directly: both formats, and what else is refused. */
	assert_int_equal(http(jport, "GET", "/metrics",
			      "application/openmetrics-text;version=1.0.0,text/plain;q=0.5", &h,
			      &b),
			 200);
	assert_non_null(strstr(h, "Content-Type: application/openmetrics-text; version=1.0.0"));
	assert_true(strlen(b) > 6 && !strcmp(b + strlen(b) - 6, "# EOF\n"));
	assert_non_null(strstr(b, "# TYPE jobtrace_job_processes_started counter\n"));
	free(h);
	free(b);
	assert_int_equal(http(jport, "GET", "/metrics", NULL, &h, &b), 200);
	assert_non_null(strstr(h, "Content-Type: text/plain; version=0.0.4"));
	assert_null(strstr(b, "# EOF"));
	assert_non_null(strstr(b, "# TYPE jobtrace_job_processes_started_total counter\n"));
	free(h);
	free(b);
	check_gzip(jport);
	assert_int_equal(http(jport, "GET", "/", NULL, &h, &b), 404);
	free(h);
	free(b);
	assert_int_equal(http(jport, "POST", "/metrics", NULL, &h, &b), 405);
	free(h);
	free(b);

	st = stop(js, SIGTERM, 10);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	stop(prom, SIGTERM, 10);
	harness__cgroup_remove(cg_name);
}

/* The wall clock in seconds, as Prometheus stamps its samples. */
static double real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until_real(double t)
{
	double d = t - real_s();

	if (d > 0)
		harness__sleep_ms((long)(d * 1000) + 1);
}

/* Prometheus scrapes a target at a fixed offset in its interval: the first scrape after @t. */
static double next_scrape(double last, double t)
{
	return last + SCRAPE_S * (floor((t - last) / SCRAPE_S) + 1);
}

/* jobtrace's /metrics as OpenMetrics (what carries _created); fails when not 200. */
static char *metrics_om(int port)
{
	char *h, *b;
	int status = http(port, "GET", "/metrics", "application/openmetrics-text", &h, &b);

	free(h);
	if (status != 200)
		fail_msg("/metrics answered %d", status);
	return b;
}

/*
 * Of every job series of jobtrace_job_processes_started_total in @after,
 * what it grew by since @before (all of it for a series @before lacks).
 */
static double started_growth(const char *before, const char *after, int *nseries)
{
	static const char prefix[] = "jobtrace_job_processes_started_total{";
	double sum = 0;

	*nseries = 0;
	for (const char *l = after; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *sp;
		char series[600];

		if (strncmp(l, prefix, sizeof(prefix) - 1))
			continue;
		sp = strstr(l, "} ");
		assert_non_null(sp);
		assert_true((size_t)(sp + 1 - l) < sizeof(series));
		memcpy(series, l, (size_t)(sp + 1 - l));
		series[sp + 1 - l] = '\0';
		sum += strtod(sp + 2, NULL) - harness__sample(before, series, 0);
		(*nseries)++;
	}
	return sum;
}

/*
 * Issue 16's "done when" for Prometheus: 200 jobs of 0.1-0.5 s, each in a
 * cgroup of its own and each between two scrapes of a real Prometheus
 * scraping every 5 s (no honor_labels), so that it never sees one of them
 * running. The job-less host counter it stored, queried just before the
 * jobs and two scrapes after, grew by at least their processes (every
 * process of the host counts there: others may add); jobtrace's own
 * OpenMetrics text has every job's series with its exact count and its
 * _created sample, and its host counter grew by exactly what its job
 * series did (nothing counted twice or lost between the two).
 */
static void test_prometheus_short_jobs(void **state)
{
	char conf[600], data[600], plog[600], jlog[600], truth[600];
	char laddr[64], webaddr[80], conf_arg[700], data_arg[700], series[400], cgn[80];
	const char *allq = "jobtrace_processes_started_total{job=\"jobtrace\"}";
	const char *all_ts = "timestamp(jobtrace_processes_started_total{job=\"jobtrace\"})";
	int pport = free_port(), jport = free_port(), st, straddled = 0, nseries;
	double procs[SHORT_JOBS], t0[SHORT_JOBS], t1[SHORT_JOBS], truth_total = 0, last, t;
	double before, before_ts, after, after_ts, boundary, seen_all, jobs_sum, growth, all_growth;
	char *before_text, *after_text, *b;
	unsigned long long start_ms = harness__mono_ms();
	pid_t prom, js, ch;
	json_t *tj;

	snprintf(conf, sizeof(conf), "%s/prometheus-short.yml", H.tmpdir);
	snprintf(data, sizeof(data), "%s/data-short", H.tmpdir);
	snprintf(plog, sizeof(plog), "%s/prometheus-short.log", H.tmpdir);
	snprintf(jlog, sizeof(jlog), "%s/jobtrace-short.log", H.tmpdir);
	write_config(conf, jport, SCRAPE_S);
	snprintf(conf_arg, sizeof(conf_arg), "--config.file=%s", conf);
	snprintf(data_arg, sizeof(data_arg), "--storage.tsdb.path=%s", data);
	snprintf(webaddr, sizeof(webaddr), "--web.listen-address=127.0.0.1:%d", pport);
	snprintf(laddr, sizeof(laddr), "127.0.0.1:%d", jport);
	{
		char *argv[] = { H.jobtrace, "serve", "--listen", laddr, "-i", "1",
				 "-g", "cgroup2", NULL };

		js = spawn(argv, jlog, NULL);
	}
	{
		char *argv[] = { PROMETHEUS, conf_arg, data_arg, webaddr, "--log.level=warn",
				 NULL };

		prom = spawn(argv, plog, NULL);
	}
	/* Made before the first scrape: an empty cgroup is no job, and no time of a window. */
	for (int i = 0; i < SHORT_JOBS; i++)
		harness__cgroup_make(short_cg(i, cgn));
	WAIT_UNTIL((b = metrics_text(jport)) != NULL, "jobtrace's /metrics");
	free(b);
	WAIT_UNTIL(!isnan(last = prom_query(pport, "timestamp(up{job=\"jobtrace\"})")),
		   "Prometheus's first scrape of jobtrace");

	/* Just after a scrape, its sample stored: "before", then the jobs in its window. */
	t = next_scrape(last, real_s());
	sleep_until_real(t + 0.3);
	WAIT_UNTIL(prom_query(pport, all_ts) > t - 1, "Prometheus to store a scrape");
	before = prom_query_ts(pport, allq, NULL);
	before_ts = prom_query(pport, all_ts);
	before_text = metrics_om(jport);
	boundary = next_scrape(last, before_ts + 1);
	for (int i = 0; i < SHORT_JOBS; i++) {
		char children[16], delay[16];
		char *argv[] = { H.churn, "--children", children, "--delay-ms", delay,
				 "--truth", truth, NULL };

		/* 1 to 4 children after a sleep of 0.1 to 0.4 s: short jobs, light on the CPU. */
		snprintf(children, sizeof(children), "%d", 1 + i % 4);
		snprintf(delay, sizeof(delay), "%d", 100 + 100 * (i % 4));
		snprintf(truth, sizeof(truth), "%s/short-%d.truth", H.tmpdir, i);
		/* One that might not end before the next scrape waits past it. */
		if (real_s() + 0.8 > boundary - 0.3) {
			sleep_until_real(boundary + 0.3);
			boundary += SCRAPE_S;
		}
		t0[i] = real_s();
		ch = spawn(argv, NULL, short_cg(i, cgn));
		st = stop(ch, 0, WAIT_S);
		t1[i] = real_s();
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		if (t1[i] > boundary)
			straddled++;
		tj = harness__json(truth);
		procs[i] = (double)json_integer_value(json_object_get(tj, "processes"));
		json_decref(tj);
		assert_true(procs[i] == 2 + i % 4);
		truth_total += procs[i];
	}

	/*
	 * jobtrace's own text: each job at its exact count (churn's root was
	 * forked outside its cgroup and moved in; its children started inside).
	 */
	for (unsigned long long deadline = harness__mono_ms() + WAIT_S * 1000ULL;;
	     harness__sleep_ms(200)) {
		int done = 0;

		b = metrics_om(jport);
		for (int i = 0; i < SHORT_JOBS; i++) {
			snprintf(series, sizeof(series),
				 "jobtrace_job_processes_started_total{job_key=\"cgroup:/%s\"}",
				 short_cg(i, cgn));
			done += sample(b, series) == procs[i] - 1;
		}
		free(b);
		if (done == SHORT_JOBS)
			break;
		if (harness__mono_ms() > deadline)
			fail_msg("timed out: %d of %d jobs at their count in /metrics", done,
				 SHORT_JOBS);
	}
	seen_all = real_s();
	/* Two scrapes past that: Prometheus holds what jobtrace said of every job. */
	t = next_scrape(last, seen_all) + SCRAPE_S;
	sleep_until_real(t + 0.3);
	WAIT_UNTIL(prom_query(pport, all_ts) > t - 1, "Prometheus's second scrape after the jobs");
	after = prom_query(pport, allq);
	after_ts = prom_query(pport, all_ts);
	after_text = metrics_om(jport);

	print_message("  %d jobs, %.0f processes (churn's truth), %d ran across a scrape\n",
		      SHORT_JOBS, truth_total, straddled);
	print_message("  Prometheus: jobtrace_processes_started_total %.0f at %.1f, %.0f at %.1f: "
		      "+%.0f (the jobs' %.0f, the rest of the host's %.0f)\n",
		      before, before_ts, after, after_ts, after - before, truth_total,
		      after - before - truth_total);
	assert_true(after - before >= truth_total);
	snprintf(series, sizeof(series),
		 "sum(jobtrace_job_processes_started_total{job_key=~\"cgroup:/%s-s.*\"})", cg_name);
	print_message("  Prometheus: the jobs' own series sum to %.0f (their processes less "
		      "churn's roots: %.0f)\n",
		      prom_query(pport, series), truth_total - SHORT_JOBS);
	assert_true(prom_query(pport, series) == truth_total - SHORT_JOBS);

	jobs_sum = 0;
	for (int i = 0; i < SHORT_JOBS; i++) {
		double created;

		short_cg(i, cgn);
		snprintf(series, sizeof(series),
			 "jobtrace_job_processes_started_total{job_key=\"cgroup:/%s\"}", cgn);
		assert_true(sample(after_text, series) == procs[i] - 1);
		jobs_sum += sample(after_text, series);
		snprintf(series, sizeof(series),
			 "jobtrace_job_processes_started_created{job_key=\"cgroup:/%s\"}", cgn);
		created = sample(after_text, series);
		/* When it began counting: its first interval, within the job's run. */
		if (!(created >= t0[i] - 1.5 && created <= t1[i] + 0.5))
			fail_msg("%s: _created %.3f, the job ran %.3f to %.3f", cgn, created, t0[i],
				 t1[i]);
	}
	growth = started_growth(before_text, after_text, &nseries);
	all_growth = sample(after_text, "jobtrace_processes_started_total") -
		     sample(before_text, "jobtrace_processes_started_total");
	print_message("  jobtrace /metrics: the %d jobs %.0f processes; all jobs +%.0f, "
		      "jobtrace_processes_started_total +%.0f (%d job series)\n",
		      SHORT_JOBS, jobs_sum, growth, all_growth, nseries);
	assert_true(jobs_sum == truth_total - SHORT_JOBS);
	assert_true(all_growth == growth);
	assert_true(all_growth >= jobs_sum);
	free(before_text);
	free(after_text);

	st = stop(js, SIGTERM, 10);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	stop(prom, SIGTERM, 10);
	for (int i = 0; i < SHORT_JOBS; i++)
		harness__cgroup_remove(short_cg(i, cgn));
	print_message("  wall %.1f s\n", (double)(harness__mono_ms() - start_ms) / 1000);
}

/* A job's process counts in one exposition; NAN where a sample is absent. */
struct job_counts {
	double started, existing, moved_in, exited, moved_out, alive;
};

static double job_sample(const char *text, const char *family, const char *key,
			 const char *label)
{
	char series[400];

	snprintf(series, sizeof(series), "%s{job_key=\"%s\"%s%s}", family, key, label ? "," : "",
		 label ? label : "");
	return sample(text, series);
}

static struct job_counts job_counts(const char *text, const char *key)
{
	return (struct job_counts){
		.started = job_sample(text, "jobtrace_job_processes_started_total", key, NULL),
		.existing = job_sample(text, "jobtrace_job_processes_existing_at_attach_total", key,
				       NULL),
		.moved_in = job_sample(text, "jobtrace_job_processes_moved_total", key,
				       "direction=\"in\""),
		.exited = job_sample(text, "jobtrace_job_processes_exited_total", key,
				     "reason=\"ok\"") +
			  job_sample(text, "jobtrace_job_processes_exited_total", key,
				     "reason=\"error\"") +
			  job_sample(text, "jobtrace_job_processes_exited_total", key,
				     "reason=\"signal\""),
		.moved_out = job_sample(text, "jobtrace_job_processes_moved_total", key,
					"direction=\"out\""),
		.alive = job_sample(text, "jobtrace_job_processes", key, NULL),
	};
}

/* /metrics until @key's counts are @want, in OpenMetrics; fails past WAIT_S. */
static struct job_counts wait_counts(int port, const char *key, struct job_counts want)
{
	unsigned long long deadline = harness__mono_ms() + WAIT_S * 1000ULL;
	struct job_counts c;

	for (;; harness__sleep_ms(200)) {
		char *b = metrics_om(port);

		c = job_counts(b ? b : "", key);
		free(b);
		if (!memcmp(&c, &want, sizeof(c)))
			return c;
		if (harness__mono_ms() > deadline)
			fail_msg("timed out: %s started %.0f existing %.0f in %.0f, exited %.0f "
				 "out %.0f alive %.0f; want %.0f %.0f %.0f, %.0f %.0f %.0f",
				 key, c.started, c.existing, c.moved_in, c.exited, c.moved_out,
				 c.alive, want.started, want.existing, want.moved_in, want.exited,
				 want.moved_out, want.alive);
	}
}

static void write_pid(const char *procs, pid_t pid)
{
	FILE *f = fopen(procs, "w");

	assert_non_null(f);
	fprintf(f, "%d\n", pid);
	assert_int_equal(fclose(f), 0);
}

#define MOVED_KIDS 5

/*
 * A process forked outside a followed cgroup and moved in (as the
 * reviewer's cgroup job had one: 439 started, 440 exited), which starts
 * MOVED_KIDS children that exit and one that the test moves out again:
 * /metrics names the one that came and the one that went, so that started
 * + existing_at_attach + moved{in} = exited + moved{out} + processes, at
 * each point the test knows the truth of, and the per-job counts are the
 * test's own.
 */
static void test_moved_balance(void **state)
{
	char log[600], laddr[64], cg[96], procs[600], home[1024], own[256] = "", key[128];
	int jport = free_port(), go[2], said[2], st;
	pid_t js, c, g;
	char *b;
	FILE *f;

	snprintf(log, sizeof(log), "%s/jobtrace-moved.log", H.tmpdir);
	snprintf(laddr, sizeof(laddr), "127.0.0.1:%d", jport);
	snprintf(cg, sizeof(cg), "%s-mv", cg_name);
	snprintf(key, sizeof(key), "cgroup:/%s", cg);
	harness__cgroup_make(cg);
	harness__cgroup_path(procs, sizeof(procs), cg, "cgroup.procs");
	/* Where the test runs, which the process moved out goes back to. */
	f = fopen("/proc/self/cgroup", "r");
	assert_non_null(f);
	while (fgets(own, sizeof(own), f) && strncmp(own, "0::", 3))
		;
	fclose(f);
	assert_true(!strncmp(own, "0::/", 4));
	own[strcspn(own, "\n")] = '\0';
	harness__cgroup_path(home, sizeof(home), own + 4, "cgroup.procs");
	{
		char *argv[] = { H.jobtrace, "serve", "--listen", laddr, "-i", "1",
				 "-g", "cgroup2", NULL };

		js = spawn(argv, log, NULL);
	}
	WAIT_UNTIL((b = metrics_text(jport)) != NULL, "jobtrace's /metrics");
	free(b);

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(said), 0);
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		char x;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		close(said[0]);
		if (read(go[0], &x, 1) != 1)
			_exit(1);
		for (int i = 0; i < MOVED_KIDS; i++) {
			pid_t k = fork();

			if (k == 0)
				_exit(0);
			if (k < 0 || waitpid(k, NULL, 0) != k)
				_exit(1);
		}
		g = fork();
		if (g == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			pause();
			_exit(0);
		}
		if (g < 0 || write(said[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		pause();
		_exit(0);
	}
	close(go[0]);
	close(said[1]);
	/* Forked in the test's cgroup, then moved in: the job's one moved in. */
	write_pid(procs, c);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(read(said[0], &g, sizeof(g)), (ssize_t)sizeof(g));
	/* Started in the job, then moved out: its one moved out. */
	write_pid(home, g);
	{
		struct job_counts want = { .started = MOVED_KIDS + 1, .existing = 0, .moved_in = 1,
					   .exited = MOVED_KIDS, .moved_out = 1, .alive = 1 };
		struct job_counts n = wait_counts(jport, key, want);

		print_message("  alive: started %.0f + existing %.0f + in %.0f = exited %.0f + "
			      "out %.0f + alive %.0f\n",
			      n.started, n.existing, n.moved_in, n.exited, n.moved_out, n.alive);
		assert_true(n.started + n.existing + n.moved_in ==
			    n.exited + n.moved_out + n.alive);
	}
	kill(c, SIGKILL);
	assert_int_equal(waitpid(c, &st, 0), c);
	kill(g, SIGKILL); /* reaped by init: its parent is gone */
	{
		struct job_counts want = { .started = MOVED_KIDS + 1, .existing = 0, .moved_in = 1,
					   .exited = MOVED_KIDS + 1, .moved_out = 1, .alive = 0 };
		struct job_counts n = wait_counts(jport, key, want);

		print_message("  ended: started %.0f + existing %.0f + in %.0f = exited %.0f + "
			      "out %.0f + alive %.0f\n",
			      n.started, n.existing, n.moved_in, n.exited, n.moved_out, n.alive);
		assert_true(n.started + n.existing + n.moved_in ==
			    n.exited + n.moved_out + n.alive);
	}
	b = metrics_om(jport);
	assert_non_null(b);
	/* Over every job, the moves counted at least this job's. */
	assert_true(sample(b, "jobtrace_processes_moved_total{direction=\"in\"}") >= 1);
	assert_true(sample(b, "jobtrace_processes_moved_total{direction=\"out\"}") >= 1);
	assert_true(sample(b, "jobtrace_processes_existing_at_attach_total") >= 0);
	free(b);
	close(go[1]);
	close(said[0]);
	assert_int_equal(stop(js, SIGTERM, 20), 0);
	harness__cgroup_remove(cg);
}

/* A port in use is told plainly, exit 1; a malformed address is a usage error. */
static void test_listen_errors(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char addr[64], log[600], want[128];
	const char *buf;
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), st;

	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(log, sizeof(log), "%s/inuse.log", H.tmpdir);
	{
		char *argv[] = { H.jobtrace, "serve", "--listen", addr, NULL };

		st = stop(spawn(argv, log, NULL), 0, 20);
	}
	close(fd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	buf = harness__slurp(log);
	assert_true(buf[0] != '\0');
	snprintf(want, sizeof(want), "jobtrace: cannot listen on %s: Address already in use\n",
		 addr);
	assert_string_equal(buf, want);
	{
		char *argv[] = { H.jobtrace, "serve", "--listen", "9100", NULL };

		st = stop(spawn(argv, log, NULL), 0, 20);
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
}

static int setup(void **state)
{
	snprintf(cg_name, sizeof(cg_name), "%s%d", CG_PREFIX, getpid());
	assert_int_equal(harness__setup("prom"), 0);
	if (!harness__cgroup2_root() || geteuid() != 0) {
		fprintf(stderr, "FAIL: the Prometheus test needs root and a cgroup2 mount\n");
		return -1;
	}
	if (access(PROMETHEUS, X_OK) || system("command -v promtool >/dev/null 2>&1")) {
		/* A kernel test that cannot run is a failure, never a skip. */
		fprintf(stderr, "FAIL: %s or promtool is missing (Debian's prometheus package)%s\n",
			PROMETHEUS, H.ci ? " (CI=true)" : "");
		return -1;
	}
	return 0;
}

static int test_teardown(void **state)
{
	harness__kill_running();
	char cgn[80];

	if (harness__cgroup2_root()) {
		harness__cgroup_remove(cg_name);
		snprintf(cgn, sizeof(cgn), "%s-mv", cg_name);
		harness__cgroup_remove(cgn);
		for (int i = 0; i < SHORT_JOBS; i++)
			harness__cgroup_remove(short_cg(i, cgn));
	}
	return 0;
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_prometheus_scrapes_job, test_teardown),
		cmocka_unit_test_teardown(test_prometheus_short_jobs, test_teardown),
		cmocka_unit_test_teardown(test_moved_balance, test_teardown),
		cmocka_unit_test_teardown(test_listen_errors, test_teardown),
	};

	/* JT_TEST=PATTERN runs the matching tests only, to rerun one that failed. */
	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
