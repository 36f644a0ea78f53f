// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * End-to-end tests of --apmon: a UDP receiver here, on a loopback port of
 * its own, decodes what `jobtrace run`, `watch --all` and `serve` send and
 * checks it against truth it knows: the job's CPU as `run --json` reports
 * it for the same run, a cgroup's own cpu.stat, /proc/meminfo, /proc/uptime.
 * Needs root and BPF; under CI=true a machine without them fails the suite.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "testutil.h"
#include "harness.h"

#define WAIT_S 60 /* waits only: generous, never an assertion on speed */
#define MAX_DGRAMS 4096
#define CG_PREFIX "jt-test-apmon-"

static char host[256];

/* ---- datagrams, decoded from ApMon's layout ---- */

struct dparam {
	char name[64];
	uint32_t type;
	double num;
};

struct dgram {
	char header[64], cluster[64], node[512];
	uint32_t instance, seq, n;
	struct dparam p[96];
};

struct rx {
	int fd;
	unsigned short port;
	struct dgram *d;
	size_t n;
};

static uint32_t get32(const unsigned char *b, size_t *o, size_t len)
{
	uint32_t v;

	if (*o + 4 > len)
		fail_msg("datagram cut at byte %zu of %zu", *o, len);
	memcpy(&v, b + *o, 4);
	*o += 4;
	return ntohl(v);
}

static void getstr(const unsigned char *b, size_t *o, size_t len, char *out, size_t size)
{
	uint32_t n = get32(b, o, len);
	size_t padded = (n + 3) & ~3U;

	if (*o + padded > len || n >= size)
		fail_msg("string of %u bytes at %zu in a %zu-byte datagram", n, *o, len);
	memcpy(out, b + *o, n);
	out[n] = '\0';
	for (size_t i = n; i < padded; i++)
		assert_int_equal(b[*o + i], 0);
	*o += padded;
}

static void decode(const unsigned char *b, size_t len, struct dgram *d)
{
	size_t o = 0;

	memset(d, 0, sizeof(*d));
	getstr(b, &o, len, d->header, sizeof(d->header));
	d->instance = get32(b, &o, len);
	d->seq = get32(b, &o, len);
	getstr(b, &o, len, d->cluster, sizeof(d->cluster));
	getstr(b, &o, len, d->node, sizeof(d->node));
	d->n = get32(b, &o, len);
	assert_true(d->n <= sizeof(d->p) / sizeof(d->p[0]));
	for (uint32_t i = 0; i < d->n; i++) {
		uint64_t hi, lo;

		getstr(b, &o, len, d->p[i].name, sizeof(d->p[i].name));
		d->p[i].type = get32(b, &o, len);
		/* jobtrace sends every number as REAL64, as apmon.py does. */
		if (d->p[i].type != 5)
			fail_msg("%s has type code %u, not 5 (REAL64)", d->p[i].name, d->p[i].type);
		hi = get32(b, &o, len);
		lo = get32(b, &o, len);
		hi = hi << 32 | lo;
		memcpy(&d->p[i].num, &hi, 8);
	}
	/* No timestamp: the receiver's clock, as ApMon's default. */
	assert_int_equal(o, len);
}

static void rx_open(struct rx *r)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int rcvbuf = 8 << 20;

	memset(r, 0, sizeof(*r));
	r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(r->fd >= 0);
	setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	assert_int_equal(bind(r->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(r->fd, (struct sockaddr *)&sin, &len), 0);
	r->port = ntohs(sin.sin_port);
	r->d = calloc(MAX_DGRAMS, sizeof(*r->d));
	assert_non_null(r->d);
}

/* Takes what arrives within @ms; every datagram at most ApMon's 1440 bytes. */
static void rx_drain(struct rx *r, int ms)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	unsigned char buf[65536];

	while (poll(&p, 1, ms) == 1) {
		ssize_t n = recv(r->fd, buf, sizeof(buf), 0);

		assert_true(n > 0);
		if (n > 1440)
			fail_msg("a datagram of %zd bytes: over ApMon's 1440", n);
		assert_true(r->n < MAX_DGRAMS);
		decode(buf, (size_t)n, &r->d[r->n++]);
		ms = 0 < ms && ms < 50 ? ms : 50;
	}
}

static void rx_close(struct rx *r)
{
	close(r->fd);
	free(r->d);
}

static const struct dparam *param(const struct dgram *d, const char *name)
{
	for (uint32_t i = 0; i < d->n; i++)
		if (!strcmp(d->p[i].name, name))
			return &d->p[i];
	return NULL;
}

static double pnum(const struct dgram *d, const char *name)
{
	const struct dparam *p = param(d, name);

	if (!p)
		fail_msg("datagram %u (%s/%s) has no %s", d->seq, d->cluster, d->node, name);
	return p->num;
}

/* Header, instance and sequence: one sender, numbers 1, 2, 3, ... with none lost. */
static void assert_stream(const struct rx *r, const char *header)
{
	assert_true(r->n > 0);
	for (size_t i = 0; i < r->n; i++) {
		assert_string_equal(r->d[i].header, header);
		assert_int_equal(r->d[i].instance, r->d[0].instance);
		assert_int_equal(r->d[i].seq, i + 1);
	}
	/* apmon.py's instance id: (pid % 32768) << 16, our address's last octet (127.0.0.1). */
	assert_int_equal((r->d[0].instance >> 8) & 0xff, 1);
}

/* ---- the host's truth ---- */

static double meminfo_mb(const char *key)
{
	char line[256];
	unsigned long long kb;
	FILE *f = fopen("/proc/meminfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':' &&
		    sscanf(line + strlen(key) + 1, "%llu", &kb) == 1) {
			fclose(f);
			return (double)kb / 1024;
		}
	}
	fclose(f);
	fail_msg("/proc/meminfo has no %s", key);
	return 0;
}

/* The system parameters, against /proc read here. */
static size_t assert_system(const struct rx *r)
{
	double uptime_s = 0, idle;
	size_t n = 0;
	FILE *f = fopen("/proc/uptime", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lf %lf", &uptime_s, &idle), 2);
	fclose(f);
	for (size_t i = 0; i < r->n; i++) {
		const struct dgram *d = &r->d[i];

		if (strcmp(d->cluster, "ApMon_SysMon"))
			continue;
		assert_string_equal(d->node, host);
		/* A set may be split: the first datagram of one has the CPU and memory. */
		if (!param(d, "total_mem"))
			continue;
		n++;
		assert_true(fabs(pnum(d, "total_mem") - meminfo_mb("MemTotal")) < 0.01);
		assert_true(pnum(d, "mem_used") > 0 && pnum(d, "mem_used") < pnum(d, "total_mem"));
		assert_true(pnum(d, "mem_usage") > 0 && pnum(d, "mem_usage") < 100);
		assert_true(fabs(pnum(d, "total_swap") - meminfo_mb("SwapTotal")) < 0.01);
		assert_int_equal(pnum(d, "no_CPUs"), sysconf(_SC_NPROCESSORS_ONLN));
		assert_true(pnum(d, "cpu_usage") >= 0 && pnum(d, "cpu_usage") <= 100);
		/* Shares of one total (steal and guest are not sent): at most 100. */
		assert_true(pnum(d, "cpu_usr") + pnum(d, "cpu_nice") + pnum(d, "cpu_sys") +
				    pnum(d, "cpu_idle") + pnum(d, "cpu_iowait") <= 100.001);
		assert_true(pnum(d, "cpu_idle") + pnum(d, "cpu_iowait") + pnum(d, "cpu_usage") >
			    99.999);
		assert_true(pnum(d, "load1") >= 0 && pnum(d, "load1") < 1000);
		assert_true(pnum(d, "load15") >= 0);
		/* In days, as ApMon; taken within the last minute. */
		assert_true(pnum(d, "uptime") <= uptime_s / 86400 + 1e-9);
		assert_true(pnum(d, "uptime") > (uptime_s - 60) / 86400);
	}
	return n;
}

/* ---- processes ---- */

/*
 * Waits for @pid, taking datagrams meanwhile (harness__wait would leave
 * them to overflow the socket's buffer); returns its wait status.
 */
static int wait_rx(pid_t pid, struct rx *r)
{
	unsigned long long deadline = harness__mono_ns() + WAIT_S * 1000000000ULL;
	int st;

	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		assert_int_equal(w, 0);
		if (harness__mono_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			harness__track(0, pid);
			fail_msg("pid %d still running after %d s: killed", pid, WAIT_S);
		}
		if (r)
			rx_drain(r, 20);
		else
			poll(NULL, 0, 20);
	}
	harness__track(0, pid);
	if (r)
		rx_drain(r, 300);
	return st;
}

/* A log's text, "" while its command has not made it yet; kept until the next call. */
static const char *slurp(const char *path)
{
	static char *text;

	free(text);
	text = harness__read(path);
	return text;
}

/* The last line of a JSON-lines file (the job record), or its one object. */
static json_t *load_last(const char *path)
{
	char *line = NULL, *last = NULL;
	size_t cap = 0;
	json_error_t err;
	FILE *f = fopen(path, "r");
	json_t *j;

	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		free(last);
		last = strdup(line);
	}
	fclose(f);
	free(line);
	j = last ? json_loads(last, 0, &err) : NULL;
	free(last);
	if (!j)
		fail_msg("%s: no last line, or it is not JSON", path);
	return j;
}

/* ---- the tests ---- */

/* run -i: job parameters each interval and at the end, the system's each interval. */
static void test_run_intervals(void **state)
{
	char report[512], err[512], dest[64], node[600], port[16];
	char *argv[] = { H.jobtrace, "run", "--json", "-o", report, "--apmon", dest,
			 "--apmon-cluster", "test\"cluster", "-i", "0.2", "--", H.churn,
			 "--children", "240", "--burn-us", "6000", "--concurrency", "2", "--fail",
			 "5", NULL };
	const struct dgram *last = NULL;
	double prev_cpu = -1, prev_run = -1;
	size_t jobs = 0, with_memory = 0;
	struct rx r;
	json_t *rep;
	int st;

	rx_open(&r);
	snprintf(port, sizeof(port), "%u", r.port);
	snprintf(dest, sizeof(dest), "127.0.0.1:%u  s3cret", r.port);
	harness__path(report, sizeof(report), "run.jsonl");
	harness__path(err, sizeof(err), "run.err");
	st = wait_rx(harness__spawn(argv, NULL, err), &r);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st))
		fail_msg("jobtrace run exited %d: %s", WEXITSTATUS(st), slurp(err));
	assert_stream(&r, "v:2.2.2p:s3cret");
	rep = load_last(report);
	snprintf(node, sizeof(node), "%s:run:%d", host,
		 (int)harness__num(rep, "job.root_pid"));
	for (size_t i = 0; i < r.n; i++) {
		const struct dgram *d = &r.d[i];

		if (strcmp(d->cluster, "test\"cluster"))
			continue;
		assert_string_equal(d->node, node);
		jobs++;
		last = d;
		/* Cumulative: CPU and run time never go back. */
		assert_true(pnum(d, "cpu_time") >= prev_cpu);
		assert_true(pnum(d, "run_time") > prev_run);
		prev_cpu = pnum(d, "cpu_time");
		prev_run = pnum(d, "run_time");
		assert_true(pnum(d, "cpu_usage") >= 0 && pnum(d, "cpu_usage") < 250);
		assert_true(pnum(d, "procs_started") >= 1);
		/* An interval's: its live members' memory and files. */
		if (param(d, "rss") && pnum(d, "rss") > 0 &&
		    pnum(d, "virtualmem") > pnum(d, "rss") && pnum(d, "open_files") >= 3)
			with_memory++;
	}
	print_message("  %zu datagrams, %zu of the job; final cpu_time %.6f s, report %.6f s\n",
		      r.n, jobs, last ? pnum(last, "cpu_time") : -1,
		      harness__num(rep, "cpu.total_s"));
	/* The churn burns > 1.4 s of CPU, over 0.7 s at least: intervals of 0.2 s came. */
	assert_true(jobs >= 3);
	/* The last is the job's end: the report's own figures. */
	assert_true(fabs(pnum(last, "cpu_time") - harness__num(rep, "cpu.total_s")) < 1e-6);
	assert_true(fabs(pnum(last, "run_time") - harness__num(rep, "job.wall_s")) < 0.05);
	assert_int_equal(pnum(last, "exit_code"), 0);
	assert_int_equal(pnum(last, "procs_started"), harness__num(rep, "processes.started"));
	assert_int_equal(pnum(last, "procs_failed"),
			 harness__num(rep, "processes.exit_error") +
				 harness__num(rep, "processes.exit_signal"));
	assert_true(pnum(last, "procs_failed") >= 5);
	assert_true(with_memory >= 2);
	assert_true(assert_system(&r) >= 2);
	json_decref(rep);
	rx_close(&r);
}

/* Without -i: one datagram at the end, default cluster; nothing of the system. */
static void test_run_end_only(void **state)
{
	char report[512], dest[64], node[600];
	char *argv[] = { H.jobtrace, "run", "--json", "-o", report, "--apmon", dest, "--", H.churn,
			 "--children", "50", "--burn-us", "2000", NULL };
	double usage;
	struct rx r;
	json_t *rep;
	int st;

	rx_open(&r);
	snprintf(dest, sizeof(dest), "127.0.0.1:%u", r.port);
	harness__path(report, sizeof(report), "end.json");
	st = wait_rx(harness__spawn(argv, NULL, NULL), &r);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	rep = load_last(report);
	assert_int_equal(r.n, 1);
	assert_stream(&r, "v:2.2.2p:");
	assert_string_equal(r.d[0].cluster, "jobtrace_jobs");
	snprintf(node, sizeof(node), "%s:run:%d", host, (int)harness__num(rep, "job.root_pid"));
	assert_string_equal(r.d[0].node, node);
	assert_true(fabs(pnum(&r.d[0], "cpu_time") - harness__num(rep, "cpu.total_s")) < 1e-6);
	assert_true(pnum(&r.d[0], "cpu_time") > 0.05);
	usage = 100 * harness__num(rep, "cpu.total_s") / harness__num(rep, "job.wall_s");
	assert_true(fabs(pnum(&r.d[0], "cpu_usage") - usage) < 1);
	json_decref(rep);
	rx_close(&r);
}

/* Nobody listens: the run is the job's, its status its own; the loss is said once. */
static void test_run_no_receiver(void **state)
{
	char dest[64], err[512];
	char *argv[] = { H.jobtrace, "run", "-i", "0.2", "--apmon", dest, "--", "/bin/sh", "-c",
			 "sleep 0.7; exit 3", NULL };
	struct rx r;
	int st;

	rx_open(&r);
	snprintf(dest, sizeof(dest), "127.0.0.1:%u", r.port);
	rx_close(&r); /* the port is free: each datagram earns an ICMP refusal */
	harness__path(err, sizeof(err), "norx.err");
	st = wait_rx(harness__spawn(argv, NULL, err), NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_non_null(strstr(slurp(err), "exited with status 3"));
}

/* The job record of @key among the job lines of @path. */
static json_t *job_line(const char *path, const char *key)
{
	json_t *all = harness__lines(path, "job"), *r, *found = NULL;
	size_t i;

	json_array_foreach(all, i, r)
	{
		if (!strcmp(harness__str(r, "job.key"), key))
			found = json_incref(r);
	}
	json_decref(all);
	if (!found)
		fail_msg("%s has no job line for %s", path, key);
	return found;
}

/*
 * watch --all: a cgroup of the test is a job; its CPU is its cpu.stat's.
 * Its run_time never goes back and ends at the job's wall time: an
 * interval's ran past the job's end, to the tick after its last exit, and
 * the end's then said less (run_time 6.1531 then 5.7616).
 */
static void test_watch_all(void **state)
{
	char dest[64], err[512], node[700], report[512], key[300];
	char name[64];
	char *argv[] = { H.jobtrace, "watch", "--all", "--group-by", "cgroup2", "-i", "0.5", "--duration",
			 "4", "--apmon", dest, "--json", "-o", report, NULL };
	char *work[] = { H.churn, "--children", "150", "--burn-us", "5000", NULL };
	const struct dgram *last = NULL;
	unsigned long long usage_us = 0;
	double prev_run = -1, wall;
	size_t jobs = 0;
	json_t *job;
	pid_t w, c;
	struct rx r;
	int st;

	rx_open(&r);
	snprintf(dest, sizeof(dest), "127.0.0.1:%u", r.port);
	snprintf(name, sizeof(name), CG_PREFIX "%d", getpid());
	harness__cgroup_make(name);
	harness__path(err, sizeof(err), "watch.err");
	harness__path(report, sizeof(report), "watch.jsonl");
	w = harness__spawn(argv, NULL, err);
	/* Its attach line says the host's processes are tagged. */
	for (unsigned long long dl = harness__mono_ns() + WAIT_S * 1000000000ULL;
	     !strstr(slurp(err), "jobtrace: attached");) {
		if (harness__mono_ns() > dl || waitpid(w, &st, WNOHANG) == w)
			fail_msg("watch did not attach: %s", slurp(err));
		rx_drain(&r, 50);
	}
	c = harness__cgroup_spawn(name, work, "-", "-");
	st = wait_rx(c, &r);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	usage_us = (unsigned long long)(harness__cgroup_usage_ns(name) / 1000);
	st = wait_rx(w, &r);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st))
		fail_msg("watch exited %d: %s", WEXITSTATUS(st), slurp(err));
	harness__cgroup_remove(name);
	assert_stream(&r, "v:2.2.2p:");
	snprintf(node, sizeof(node), "%s:cgroup:/%s", host, name);
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	job = job_line(report, key);
	wall = harness__num(job, "job.wall_s");
	for (size_t i = 0; i < r.n; i++) {
		if (strcmp(r.d[i].cluster, "jobtrace_jobs") || strcmp(r.d[i].node, node))
			continue;
		last = &r.d[i];
		jobs++;
		if (pnum(last, "run_time") < prev_run)
			fail_msg("%s: run_time went from %.4f back to %.4f (wall_s %.4f)", node,
				 prev_run, pnum(last, "run_time"), wall);
		prev_run = pnum(last, "run_time");
	}
	if (!last)
		fail_msg("no datagram for %s among %zu", node, r.n);
	print_message("  %s: %zu datagrams, cpu_time %.6f s, cpu.stat %.6f s, run_time %.6f s, "
		      "wall_s %.6f s\n",
		      node, jobs, pnum(last, "cpu_time"), usage_us / 1e6, pnum(last, "run_time"),
		      wall);
	/* The last is the job's end: its report's wall time, which no datagram passed. */
	assert_true(fabs(pnum(last, "run_time") - wall) < 1e-6);
	json_decref(job);
	assert_true(usage_us > 100000);
	assert_true(fabs(pnum(last, "cpu_time") - usage_us / 1e6) < 0.005 * usage_us / 1e6 + 0.01);
	assert_true(assert_system(&r) >= 3);
	rx_close(&r);
}

/*
 * No job's run_time goes back, from one of its datagrams to the next (its
 * end's included). A job's end (the one datagram with peak_rss) closes it:
 * the next of its name is another job's, made of the same cgroup later (a
 * test beside this one ran two jobs of 0.3 s in one cgroup: 0.3025, then
 * 0.3023).
 */
static void assert_run_time_monotone(const struct rx *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct dgram *d = &r->d[i];

		if (strcmp(d->cluster, "jobtrace_jobs") || param(d, "peak_rss"))
			continue;
		for (size_t k = i + 1; k < r->n; k++) {
			const struct dgram *e = &r->d[k];

			if (strcmp(e->cluster, d->cluster) || strcmp(e->node, d->node))
				continue;
			if (pnum(e, "run_time") < pnum(d, "run_time"))
				fail_msg("%s: run_time went from %.4f back to %.4f", d->node,
					 pnum(d, "run_time"), pnum(e, "run_time"));
			break;
		}
	}
}

/*
 * serve: the system parameters every interval, to two destinations; the
 * host's jobs, a cgroup of the test's among them, whose run_time, as every
 * job's, never goes back (its last interval ran to the tick after its last
 * exit, and its end then said less).
 */
static void test_serve(void **state)
{
	char d1[64], d2[64], err[512], name[64], node[700];
	char *argv[] = { H.jobtrace, "serve", "-i", "0.5", "--duration", "4", "--group-by",
			 "cgroup2", "--apmon", d1, "--apmon", d2, NULL };
	char *work[] = { H.churn, "--children", "20", "--burn-us", "5000", NULL };
	struct rx a, b;
	size_t jobs = 0, ours = 0;
	pid_t s, c;
	int st;

	rx_open(&a);
	rx_open(&b);
	snprintf(d1, sizeof(d1), "127.0.0.1:%u", a.port);
	snprintf(d2, sizeof(d2), "127.0.0.1:%u pw2", b.port);
	snprintf(name, sizeof(name), CG_PREFIX "%d", getpid());
	harness__cgroup_make(name);
	harness__path(err, sizeof(err), "serve.err");
	s = harness__spawn(argv, NULL, err);
	for (unsigned long long dl = harness__mono_ns() + WAIT_S * 1000000000ULL;
	     !strstr(slurp(err), "jobtrace: serving");) {
		if (harness__mono_ns() > dl || waitpid(s, &st, WNOHANG) == s)
			fail_msg("serve did not start: %s", slurp(err));
		rx_drain(&a, 50);
	}
	c = harness__cgroup_spawn(name, work, "-", "-");
	st = wait_rx(c, &a);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = wait_rx(s, &a);
	harness__cgroup_remove(name);
	rx_drain(&b, 100);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st))
		fail_msg("serve exited %d: %s", WEXITSTATUS(st), slurp(err));
	assert_stream(&a, "v:2.2.2p:");
	assert_stream(&b, "v:2.2.2p:pw2");
	assert_true(assert_system(&a) >= 2);
	assert_int_equal(assert_system(&a), assert_system(&b));
	/* Host mode: the host's own jobs (this test among them) go too. */
	snprintf(node, sizeof(node), "%s:cgroup:/%s", host, name);
	for (size_t i = 0; i < a.n; i++) {
		jobs += !strcmp(a.d[i].cluster, "jobtrace_jobs");
		ours += !strcmp(a.d[i].cluster, "jobtrace_jobs") && !strcmp(a.d[i].node, node);
	}
	print_message("  %zu job datagrams, %zu of %s\n", jobs, ours, node);
	assert_true(ours > 0);
	assert_run_time_monotone(&a);
	rx_close(&a);
	rx_close(&b);
}

/* A bad destination is a usage error, before anything loads. */
static void test_cli_errors(void **state)
{
	static const char *bad[] = { "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:port", ":8884",
				     "[::1", "127.0.0.1 1234567890123456789012345678901234567" };
	static const char *cmds[] = { "run", "watch", "serve" };
	char err[512];

	harness__path(err, sizeof(err), "cli.err");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *cmd = cmds[i % 3];
		char *argv[] = { H.jobtrace, (char *)cmd, "--apmon", (char *)bad[i],
				 !strcmp(cmd, "run") ? "--" : "--all", "/bin/true", NULL };
		int st;

		if (!strcmp(cmd, "serve"))
			argv[4] = NULL;
		else if (!strcmp(cmd, "watch"))
			argv[5] = NULL;
		st = wait_rx(harness__spawn(argv, NULL, err), NULL);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) != 2)
			fail_msg("%s --apmon '%s' exited %d: %s", cmd, bad[i], WEXITSTATUS(st),
				 slurp(err));
		assert_non_null(strstr(slurp(err), "jobtrace: --apmon takes HOST[:PORT]"));
	}
}

static int setup(void **state)
{
	assert_int_equal(harness__setup("apmon"), 0);
	if (gethostname(host, sizeof(host) - 1))
		strcpy(host, "localhost");
	if (!harness__cgroup2_root()) {
		fprintf(stderr,
			"FAIL: no cgroup2 filesystem is mounted: the apmon tests need one\n");
		return -1;
	}
	/* A kernel test that cannot run is a failure, never a skip. */
	return harness__require_bpf();
}

static int test_teardown(void **state)
{
	char name[64];

	harness__kill_running();
	snprintf(name, sizeof(name), CG_PREFIX "%d", getpid());
	harness__cgroup_remove(name);
	return 0;
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_run_intervals, test_teardown),
		cmocka_unit_test_teardown(test_run_end_only, test_teardown),
		cmocka_unit_test_teardown(test_run_no_receiver, test_teardown),
		cmocka_unit_test_teardown(test_watch_all, test_teardown),
		cmocka_unit_test_teardown(test_serve, test_teardown),
		cmocka_unit_test_teardown(test_cli_errors, test_teardown),
	};

	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
