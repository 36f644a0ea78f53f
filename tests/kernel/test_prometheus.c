// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace serve --listen` scraped by a real Prometheus server: a churn
 * job in its own cgroup v2 (host mode makes it a job) runs to its end, and
 * what Prometheus stored of it is asked through its HTTP API: processes
 * started are exactly churn's own count, CPU seconds what the cgroup's
 * cpu.stat says it ran. /metrics is also fetched directly in both formats,
 * and promtool checks the live text. Needs root, BPF, a cgroup v2 where
 * root may make cgroups, and Debian's prometheus package; under CI=true a
 * machine without them fails instead of skipping.
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

#include "testutil.h"
#include "harness.h"

#define WAIT_S 40 /* waits only, never an assertion on speed */
#define CHILDREN 200
#define CG_PREFIX "jt-test-prom-"
#define PROMETHEUS "/usr/bin/prometheus"

static char cg_name[64];

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
 * A tiny HTTP/1.0 client: @method @path on 127.0.0.1:@port; returns the
 * status (0: no connection), the response's headers and body (malloc'd).
 */
static int http(int port, const char *method, const char *path, const char *accept,
		char **headers, char **body)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char req[4096], *buf = NULL, *sep;
	size_t len = 0, cap = 0;
	int fd, status = 0;
	ssize_t n;

	*headers = *body = NULL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return 0;
	}
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s%s%s\r\n", method, path,
		 accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "");
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
	*body = strdup(sep + 4);
	*sep = '\0';
	*headers = buf;
	return status;
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

/* Prometheus's instant query @q: the first result's value; NAN when there is none. */
static double prom_query(int port, const char *q)
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
	v = json_array_get(json_object_get(v, "value"), 1);
	if (json_is_string(v))
		val = strtod(json_string_value(v), NULL);
	json_decref(root);
	free(h);
	free(b);
	return val;
}

/* The value of the sample @series in an exposition; NAN when absent: equal to nothing. */
static double sample(const char *text, const char *series)
{
	return harness__sample(text, series, NAN);
}

static void write_config(const char *path, int target_port)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	/*
	 * No honor_labels: jobtrace's series name their job with job_key, so
	 * the scrape's own job and instance labels are Prometheus's, as it wants.
	 */
	fprintf(f,
		"global:\n"
		"  scrape_interval: 1s\n"
		"  scrape_timeout: 1s\n"
		"scrape_configs:\n"
		"  - job_name: jobtrace\n"
		"    static_configs:\n"
		"      - targets: ['127.0.0.1:%d']\n",
		target_port);
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
	write_config(conf, jport);
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
	if (harness__cgroup2_root())
		harness__cgroup_remove(cg_name);
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
		cmocka_unit_test_teardown(test_listen_errors, test_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
