// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Live figures that cannot be absurd (issue 16, item 3): with 5,000
 * processes started before the attach and a churn forking and burning CPU,
 * `top -b`, `watch --all --json` and serve's /metrics run side by side, and
 * no figure of theirs exceeds what the host can do:
 *
 * - a job's CPU% is at most 100 x the online CPUs (+2% for the clocks);
 * - a job's starts/s are at most the host's forks/s over the same interval:
 *   the host record of the same tick (watch), the header of the same frame
 *   (top), the host's fork counter between two scrapes (/metrics), all with
 *   the same 2% (the host's counters are read just after the jobs'), and
 *   the kernel's own `processes` counter of /proc/stat, which the test
 *   samples itself every 20 ms, over the interval widened by 50 ms (watch);
 * - a job's storage I/O in an interval is at most what the host's disks
 *   moved over the whole run (/proc/diskstats) plus what is dirty in memory
 *   at its end (a write counts when its page is dirtied) plus slack for
 *   writes cancelled before writeback: a process found at the attach, which
 *   wrote PRE_IO_MIB before it, must not bring that into its first interval;
 * - watch's intervals of every job add up to its `job` record: counts
 *   exactly, CPU within 0.1%.
 *
 * The worst figure of each kind is printed beside its bound. Needs root and
 * BPF; a machine without them fails, it never skips.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>

#include "harness.h"

#define WAIT_S 60 /* deadlines for hangs, never speed assertions */
#define HOLD 5000 /* processes started before the attach */
#define RUN_S 6 /* how long the three commands run side by side */
#define FRAMES 12 /* top's refreshes at 0.5 s */
#define CLOCK_SLACK 1.02 /* the clocks the figures are read by */
#define IO_SLACK_BYTES (64ULL << 20) /* writes cancelled before writeback (deleted files) */

static double ncpus;

/* ---- the worst figure of each kind ---- */

struct worst {
	const char *kind;
	double ratio; /* figure / bound; above 1 fails */
	double bound;
	char what[400];
};

enum { W_CPU, W_STARTS_HOST, W_STARTS_STAT, W_IO, W_SUM_CPU, W_ALL_STARTS, W_ALL_CPU, W_NKINDS };

static struct worst worst[W_NKINDS] = {
	[W_CPU] = { "CPU% of a job vs 100 x CPUs" },
	[W_STARTS_HOST] = { "starts/s of a job vs the host's forks/s (same tick)" },
	[W_STARTS_STAT] = { "starts of a watch interval vs /proc/stat's processes" },
	[W_IO] = { "I/O of a job in an interval vs the disks' over the run" },
	[W_SUM_CPU] = { "watch: intervals' CPU sum vs the job record (0.1%)" },
	[W_ALL_STARTS] = { "every job's starts of a frame or tick vs the host's forks (exact)" },
	[W_ALL_CPU] = { "every job's CPU of a frame or tick vs 100 x CPUs (exact)" },
};
static unsigned long violations;

__attribute__((format(printf, 4, 5))) static void note(int kind, double value, double bound,
						       const char *fmt, ...)
{
	double ratio = bound > 0 ? value / bound : value > 0 ? INFINITY : 0;
	struct worst *w = &worst[kind];
	va_list ap;

	if (ratio > 1) {
		char msg[400];

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		print_message("  OVER: %s: %.6g > %.6g\n", msg, value, bound);
		violations++;
	}
	/* On a tie (all exact: 0), the biggest figure is the one worth showing. */
	if (w->what[0] && (ratio < w->ratio || (ratio == w->ratio && bound <= w->bound)))
		return;
	w->ratio = ratio;
	w->bound = bound;
	va_start(ap, fmt);
	vsnprintf(w->what, sizeof(w->what), fmt, ap);
	va_end(ap);
	snprintf(w->what + strlen(w->what), sizeof(w->what) - strlen(w->what),
		 ": %.6g (bound %.6g)", value, bound);
}

/* ---- the host's truth ---- */

static double realtime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* /proc/stat's `processes`: every fork (and clone) since boot. */
static double stat_forks(void)
{
	const char *p = strstr(harness__slurp("/proc/stat"), "\nprocesses ");

	assert_non_null(p);
	return strtod(p + 11, NULL);
}

/* Bytes every block device moved since boot: (6) sectors read, (10) written, of 512 bytes. */
static double disk_bytes(void)
{
	char line[512];
	double sum = 0;
	FILE *f = fopen("/proc/diskstats", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long rd, wr;

		/* Partitions and stacked devices count twice: the bound only grows. */
		if (sscanf(line, "%*u %*u %*s %*u %*u %llu %*u %*u %*u %llu", &rd, &wr) == 2)
			sum += 512.0 * (double)(rd + wr);
	}
	fclose(f);
	return sum;
}

/* Dirty and Writeback of /proc/meminfo, in bytes: written, not yet on a disk. */
static double dirty_bytes(void)
{
	const char *m = harness__slurp("/proc/meminfo"), *p;
	double sum = 0;

	p = strstr(m, "\nDirty:");
	if (p)
		sum += strtod(p + 7, NULL) * 1024;
	p = strstr(m, "\nWriteback:");
	if (p)
		sum += strtod(p + 11, NULL) * 1024;
	return sum;
}

/* The test's own samples of /proc/stat's fork counter, by CLOCK_REALTIME. */
struct fork_sample {
	double t, forks;
};

static struct fork_sample samples[8192];
static size_t nsamples;

static void sample_forks(void)
{
	if (nsamples < sizeof(samples) / sizeof(samples[0]))
		samples[nsamples++] = (struct fork_sample){ realtime_s(), stat_forks() };
}

/*
 * The forks over at least [@t0, @t1]: from the last sample before @t0 to
 * the first after @t1, each @margin s further out (the record's times are
 * labels of reads a few ms later). -1 when the samples do not cover it.
 */
static double forks_over(double t0, double t1, double margin)
{
	double a = -1, b = -1;

	for (size_t i = 0; i < nsamples; i++) {
		if (samples[i].t <= t0 - margin)
			a = samples[i].forks;
		if (samples[i].t >= t1 + margin && b < 0)
			b = samples[i].forks;
	}
	return a < 0 || b < 0 ? -1 : b - a;
}

/* ---- /metrics ---- */

static int listen_port(const char *log)
{
	static const char said[] = "/metrics on http://127.0.0.1:";
	char *text = harness__read(log); /* "" until serve has made it */
	const char *p = strstr(text, said);
	int port = p ? atoi(p + strlen(said)) : 0;

	free(text);
	return port;
}

/* GET /metrics as text 0.0.4: the body (to free), NULL when it did not answer 200. */
static char *scrape(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap + 1), *body;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), status = 0;
	ssize_t n;

	assert_non_null(buf);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		close(fd);
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	close(fd);
	buf[len] = '\0';
	body = strstr(buf, "\r\n\r\n");
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || status != 200 || !body) {
		free(buf);
		return NULL;
	}
	body = strdup(body + 4);
	free(buf);
	return body;
}

/* The sum of every sample of @family whose labels hold @label (NULL: all); -1 when none. */
static double family_sum(const char *text, const char *family, const char *label)
{
	size_t n = strlen(family);
	double sum = -1;

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *end = strchr(l, '\n'), *sp;

		if (strncmp(l, family, n) || (l[n] != '{' && l[n] != ' '))
			continue;
		sp = l[n] == '{' ? strstr(l, "} ") : l + n;
		if (!sp || (end && sp > end))
			continue;
		if (label) {
			const char *at = strstr(l, label);

			if (!at || at > sp)
				continue;
		}
		sum = (sum < 0 ? 0 : sum) + strtod(sp + (*sp == '}' ? 2 : 1), NULL);
	}
	return sum;
}

/* The jobs of a scrape, as their label (job_key="..."), one per row of @out. */
static size_t job_labels(const char *text, char (*out)[320], size_t max)
{
	static const char fam[] = "jobtrace_job_processes_started_total{";
	size_t n = 0;

	for (const char *l = strstr(text, fam); l && n < max; l = strstr(l + 1, fam)) {
		const char *s = l + sizeof(fam) - 1, *e = strstr(s, "} ");

		if (!e || (size_t)(e - s) >= sizeof(out[0]))
			continue;
		snprintf(out[n++], sizeof(out[0]), "%.*s", (int)(e - s), s);
	}
	return n;
}

#define MAX_JOBS 512

static void check_scrapes(char **text, size_t n, double io_bound)
{
	static char labels[MAX_JOBS][320];

	for (size_t k = 1; k < n; k++) {
		const char *a = text[k - 1], *b = text[k];
		/* The span the host's counters covered, by its clock: all CPUs' time, idle too. */
		double cpu_all = family_sum(b, "jobtrace_node_cpu_seconds_total", NULL) -
				 family_sum(a, "jobtrace_node_cpu_seconds_total", NULL);
		double forks = family_sum(b, "jobtrace_node_forks_total", NULL) -
			       family_sum(a, "jobtrace_node_forks_total", NULL);
		double span = cpu_all / ncpus;
		size_t nl = job_labels(b, labels, MAX_JOBS);

		double all = family_sum(b, "jobtrace_processes_started_total", NULL) -
			     family_sum(a, "jobtrace_processes_started_total", NULL);

		assert_true(span > 0);
		print_message("  scrapes %zu-%zu: %.2f s by the host's CPU counters, %.0f forks, "
			      "%.0f started in every job\n",
			      k - 1, k, span, forks, all);
		note(W_STARTS_HOST, all, forks * CLOCK_SLACK + 2,
		     "/metrics, scrapes %zu-%zu, jobtrace_processes_started_total vs "
		     "jobtrace_node_forks_total", k - 1, k);
		for (size_t i = 0; i < nl; i++) {
			const char *l = labels[i];
			double s0 = family_sum(a, "jobtrace_job_processes_started_total", l);
			double s1 = family_sum(b, "jobtrace_job_processes_started_total", l);
			double c0 = family_sum(a, "jobtrace_job_cpu_seconds_total", l);
			double c1 = family_sum(b, "jobtrace_job_cpu_seconds_total", l);
			double i0 = family_sum(a, "jobtrace_job_io_bytes_total", l);
			double i1 = family_sum(b, "jobtrace_job_io_bytes_total", l);

			/* Jobs in both only: a new one's counters start where it was made. */
			if (s0 < 0 || c0 < 0)
				continue;
			note(W_CPU, 100 * (c1 - c0) / span, 100 * ncpus * CLOCK_SLACK,
			     "/metrics %s, scrapes %zu-%zu, CPU%%", l, k - 1, k);
			note(W_STARTS_HOST, s1 - s0, forks * CLOCK_SLACK + 2,
			     "/metrics %s, scrapes %zu-%zu, starts vs jobtrace_node_forks_total", l,
			     k - 1, k);
			if (i0 >= 0)
				note(W_IO, i1 - i0, io_bound,
				     "/metrics %s, scrapes %zu-%zu, I/O bytes", l, k - 1, k);
		}
	}
}

/* ---- top -b ---- */

/* 1234, 12.3k, 1.2M as top prints them. */
static double top_count(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	return *end == 'k' ? v * 1e3 : *end == 'M' ? v * 1e6 : v;
}

/* 512B, 34K, 1.2G as top prints them. */
static double top_bytes(const char *s)
{
	static const char units[] = "BKMGTP";
	char *end;
	double v = strtod(s, &end);
	const char *u = *end ? strchr(units, *end) : NULL;

	return u ? v * pow(1024, (double)(u - units)) : v;
}

/* The precision a count is printed with: half a unit of its last digit. */
static double top_count_ulp(const char *s)
{
	double scale = strchr(s, 'k') ? 1e3 : strchr(s, 'M') ? 1e6 : 1;
	const char *dot = strchr(s, '.');

	return (dot ? 0.05 : 0.5) * scale;
}

#define TOP_WIDTH 200
/* The JOB column's width at -w TOP_WIDTH, as user/out/top_model.c lays it out. */
#define TOP_JOB_WIDTH (TOP_WIDTH - (6 + 8 + 7 + 5 + 7 + 7 + 7 + 1) - 15 - 1)

static size_t check_top(const char *out, double io_bound)
{
	const char *frame = out;
	size_t frames = 0;

	while ((frame = strstr(frame, "jobtrace top - "))) {
		const char *next = strstr(frame + 1, "jobtrace top - ");
		const char *forks_at = strstr(frame, "Tasks forks "), *l;
		char forks_s[32] = "";
		double forks, dt = 0.5, all_starts, all_cpu;
		unsigned int cpus = 0;
		const char *c = strstr(frame, " CPUs)");

		frames++;
		if (!forks_at || (next && forks_at > next)) {
			frame++;
			continue; /* "waiting for the first interval..." */
		}
		/* The header's "(N CPUs)" is the host record's count: the bound's. */
		if (c && (!next || c < next)) {
			while (c > frame && *c != '(')
				c--;
			cpus = (unsigned int)atoi(c + 1);
			assert_int_equal(cpus, (unsigned int)ncpus);
		}
		sscanf(frame, "jobtrace top - %*s every %lf", &dt);
		assert_int_equal(sscanf(forks_at, "Tasks forks %31[^/]/s", forks_s), 1);
		forks = top_count(forks_s) + top_count_ulp(forks_s);
		all_starts = all_cpu = 0;
		l = strstr(frame, "\nJOB ");
		for (l = l ? strchr(l + 1, '\n') : NULL; l && l[1] && l[1] != '\n';
		     l = strchr(l + 1, '\n')) {
			char name[TOP_JOB_WIDTH + 1], alive[16], st[16], ex[16], fl[16], cpu[16],
				rss[16], io[16];

			if (next && l > next)
				break;
			if (strlen(l + 1) < TOP_JOB_WIDTH + 2)
				break;
			snprintf(name, sizeof(name), "%.*s", TOP_JOB_WIDTH, l + 1);
			for (size_t k = strlen(name); k && name[k - 1] == ' '; k--)
				name[k - 1] = '\0';
			if (sscanf(l + 1 + TOP_JOB_WIDTH, "%15s %15s %15s %15s %15s %15s %15s",
				   alive, st, ex, fl, cpu, rss, io) != 7)
				fail_msg("top: a row that does not parse: %.200s", l + 1);
			note(W_CPU, strtod(cpu, NULL), 100 * ncpus * CLOCK_SLACK + 0.05,
			     "top frame %zu, %s, CPU%%", frames, name);
			/*
			 * An ended job's rates are over its life, not this frame's
			 * interval. The others' are over the header's: theirs add up
			 * to no more than the host's, but for the printing.
			 */
			if (strcmp(alive, "end")) {
				note(W_STARTS_HOST, top_count(st), forks + top_count_ulp(st),
				     "top frame %zu, %s, START/s vs the header's forks/s", frames,
				     name);
				all_starts += top_count(st) - top_count_ulp(st);
				all_cpu += strtod(cpu, NULL) - 0.05;
			}
			/* IO/s of the frame's interval: bytes over dt, printed to 2-3 digits. */
			note(W_IO, top_bytes(io) * dt / 1.05, io_bound,
			     "top frame %zu, %s, IO/s x interval", frames, name);
		}
		note(W_ALL_STARTS, all_starts, forks,
		     "top frame %zu, every live job's START/s vs the header's forks/s", frames);
		note(W_ALL_CPU, all_cpu, 100 * ncpus,
		     "top frame %zu, every live job's CPU%% vs 100 x CPUs", frames);
		frame++;
	}
	return frames;
}

/* ---- watch --all --json ---- */

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

static const char *const exact[] = {
	"processes.started",	 "processes.exited",	 "processes.exit_ok",
	"processes.exit_error",	 "processes.exit_signal", "processes.execs",
	"processes.existing_at_attach", "processes.moved_in", "processes.moved_out",
	"threads.started",
};
#define NEXACT (sizeof(exact) / sizeof(exact[0]))

/* The host record of the tick that ended at @t1 (epoch s), NULL if none. */
static json_t *host_of_tick(json_t *hosts, double t1)
{
	json_t *h, *best = NULL;
	double best_d = 0.05;
	size_t i;

	json_array_foreach(hosts, i, h)
	{
		double d = fabs(harness__num(h, "start") + harness__num(h, "interval_s") - t1);

		if (d < best_d) {
			best_d = d;
			best = h;
		}
	}
	return best;
}

static size_t check_watch(const char *path, double io_bound, size_t *njobs)
{
	json_t *recs = harness__lines(path, NULL), *hosts = harness__lines(path, "host");
	json_t *jobs = harness__lines(path, "job"), *job, *r, *tick;
	size_t i, k, nint = 0;

	assert_true(json_array_size(hosts) >= 3);
	json_array_foreach(hosts, i, r)
	{
		assert_int_equal(harness__num(r, "cpu.count"), ncpus);
	}
	json_array_foreach(recs, i, r)
	{
		double t0, dt, started, stat, host_forks;
		json_t *h;

		if (strcmp(str(r, "type"), "interval"))
			continue;
		nint++;
		t0 = harness__num(r, "start");
		dt = harness__num(r, "interval_s");
		started = harness__num(r, "processes.started");
		/* null: an interval too short to give a rate (collector.h). */
		if (!harness__is_null(r, "cpu.rate_pct"))
			note(W_CPU, harness__num(r, "cpu.rate_pct"), 100 * ncpus * CLOCK_SLACK,
			     "watch interval %zu of %s (%.3f s), cpu.rate_pct", nint, str(r, "job"),
			     dt);
		else
			assert_true(dt < 0.0105);
		h = host_of_tick(hosts, t0 + dt);
		if (h) {
			host_forks = harness__num(h, "processes.forks_per_s");
			note(W_STARTS_HOST, dt > 0 ? started / dt : 0,
			     host_forks * CLOCK_SLACK + 2 / harness__num(h, "interval_s"),
			     "watch interval %zu of %s (%.3f s), started/s vs the host record's "
			     "forks_per_s (%.3f s)",
			     nint, str(r, "job"), dt, harness__num(h, "interval_s"));
		}
		stat = forks_over(t0, t0 + dt, 0.05);
		if (stat >= 0)
			note(W_STARTS_STAT, started, stat,
			     "watch interval %zu of %s (%.3f s), started vs /proc/stat's processes "
			     "over it (+-50 ms)",
			     nint, str(r, "job"), dt);
		note(W_IO, harness__num(r, "io.read_bytes") + harness__num(r, "io.write_bytes"),
		     io_bound, "watch interval %zu of %s, io bytes", nint, str(r, "job"));
	}

	/*
	 * Every job's intervals of a tick together: starts no more than the
	 * host's forks in it, CPU no more than its CPUs' time (the records'
	 * thousandths aside).
	 */
	json_array_foreach(hosts, k, tick)
	{
		double t1 = harness__num(tick, "start") + harness__num(tick, "interval_s");
		double hdt = harness__num(tick, "interval_s"), starts = 0, cpu_s = 0;

		json_array_foreach(recs, i, r)
		{
			/* Stamped as the host record is: a job's last, at its end, is not. */
			if (strcmp(str(r, "type"), "interval") ||
			    fabs(harness__num(r, "start") + harness__num(r, "interval_s") - t1) >
				    1e-5)
				continue;
			starts += harness__num(r, "processes.started");
			cpu_s += harness__num(r, "cpu.total_ns") / 1e9;
		}
		note(W_ALL_STARTS, starts,
		     (harness__num(tick, "processes.forks_per_s") + 0.0005) * (hdt + 0.0005) + 0.5,
		     "watch tick %zu (%.3f s), every job's starts vs the host record's forks", k,
		     hdt);
		note(W_ALL_CPU, cpu_s, ncpus * (hdt + 0.0005),
		     "watch tick %zu (%.3f s), every job's CPU seconds vs the CPUs'", k, hdt);
	}

	/* Every job's intervals add up to its record. */
	*njobs = json_array_size(jobs);
	json_array_foreach(jobs, k, job)
	{
		const char *key = harness__str(job, "job.key");
		double sum[NEXACT] = { 0 }, cpu = 0, want_cpu = harness__num(job, "cpu.total_ns");

		json_array_foreach(recs, i, r)
		{
			if (strcmp(str(r, "type"), "interval") || strcmp(str(r, "job"), key))
				continue;
			for (size_t e = 0; e < NEXACT; e++)
				sum[e] += harness__num(r, exact[e]);
			cpu += harness__num(r, "cpu.total_ns");
		}
		for (size_t e = 0; e < NEXACT; e++)
			if (sum[e] != harness__num(job, exact[e]))
				fail_msg("watch: %s's intervals sum %s to %.0f, its job record "
					 "says %.0f",
					 key, exact[e], sum[e], harness__num(job, exact[e]));
		note(W_SUM_CPU, fabs(cpu - want_cpu), want_cpu * 0.001 + 1,
		     "watch: %s's intervals' CPU %.0f ns vs its record's %.0f ns, difference", key,
		     cpu, want_cpu);
	}
	json_decref(recs);
	json_decref(hosts);
	json_decref(jobs);
	return nint;
}

/* ---- the test ---- */

#define PRE_IO_MIB 128 /* written before the attach: above the slack and a quiet run's disks */

/*
 * A harness_prep_fn: writes PRE_IO_MIB to @path and syncs it, before the
 * attach, so the process found there has that much storage I/O behind it
 * (its write_bytes), none of it the job's; unlinked, as it is on the disk.
 */
static int write_before_attach(const void *path)
{
	static char mib[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), err = 0;

	if (fd < 0)
		return -1;
	memset(mib, 'x', sizeof(mib));
	for (int i = 0; i < PRE_IO_MIB && !err; i++)
		err = write(fd, mib, sizeof(mib)) != (ssize_t)sizeof(mib);
	if (!err)
		err = fdatasync(fd);
	close(fd);
	unlink(path);
	return err ? -1 : 0;
}

static pid_t spawn_ready(char *const argv[], const char *out)
{
	pid_t pid = harness__spawn(argv, out, "-");

	if (harness__wait_text(out, "ready", WAIT_S * 1000) < 0)
		fail_msg("%s never said ready", argv[0]);
	return pid;
}

static void test_no_figure_exceeds_the_host(void **state)
{
	char hold_out[600], top_out[600], watch_out[600], watch_err[600], serve_err[600];
	char hold_n[16], dur[16], frames[16], width[16], io_path[600];
	char *hold_argv[] = { H.churn, "--hold", hold_n, NULL };
	char *churn_argv[] = { H.churn, "--children", "100000000", "--burn-us", "100", NULL };
	char *top_argv[] = { H.jobtrace, "top", "-b", "-d", "0.5", "-n", frames, "-w", width,
			     NULL };
	char *watch_argv[] = { H.jobtrace, "watch", "--all", "--json", "--interval", "0.5",
			       "--duration", dur, "-o", watch_out, NULL };
	char *serve_argv[] = { H.jobtrace, "serve", "--listen", "127.0.0.1:0", "-i", "0.5", NULL };
	char *scrapes[8] = { NULL };
	size_t nscrapes = 0, ntop, nint, njobs;
	pid_t hold, churn, top, watch, serve, io_holder;
	double disk0, io_bound;
	unsigned long long t_end, next_scrape;
	int port = 0, st, watch_st = 0, top_st = 0;
	bool watch_st_set = false, top_st_set = false;

	snprintf(hold_n, sizeof(hold_n), "%d", HOLD);
	snprintf(dur, sizeof(dur), "%d", RUN_S);
	snprintf(frames, sizeof(frames), "%d", FRAMES);
	snprintf(width, sizeof(width), "%d", TOP_WIDTH);
	io_holder = harness__fork_paused(write_before_attach,
					 harness__path(io_path, sizeof(io_path), "pre-io"));
	disk0 = disk_bytes();
	hold = spawn_ready(hold_argv, harness__path(hold_out, sizeof(hold_out), "hold.out"));
	churn = harness__spawn(churn_argv, NULL, "-");
	harness__sleep_ms(300);

	harness__path(watch_out, sizeof(watch_out), "watch.jsonl");
	sample_forks();
	serve = harness__spawn(serve_argv, NULL,
			       harness__path(serve_err, sizeof(serve_err), "serve.err"));
	watch = harness__spawn(watch_argv, NULL,
			       harness__path(watch_err, sizeof(watch_err), "watch.err"));
	top = harness__spawn(top_argv, harness__path(top_out, sizeof(top_out), "top.out"), "-");

	/* Sample /proc/stat every 20 ms; scrape once serve is up, then every 1.2 s. */
	t_end = harness__mono_ns() + (RUN_S + 40) * 1000000000ULL;
	next_scrape = 0;
	while (!watch_st_set || !top_st_set) {
		unsigned long long now = harness__mono_ns();

		if (!watch_st_set && waitpid(watch, &watch_st, WNOHANG) == watch)
			watch_st_set = true;
		if (!top_st_set && waitpid(top, &top_st, WNOHANG) == top)
			top_st_set = true;
		sample_forks();
		if (!port)
			port = listen_port(serve_err);
		if (port && now >= next_scrape && nscrapes < 6) {
			char *t = scrape(port);

			/* Counters are there from the first tick on: the host's and the jobs'. */
			if (t && strstr(t, "jobtrace_node_forks_total") &&
			    strstr(t, "jobtrace_job_processes_started_total{"))
				scrapes[nscrapes++] = t;
			else
				free(t);
			next_scrape = now + 1200000000ULL;
		}
		if (now > t_end)
			fail_msg("top or watch still running after %d s", RUN_S + 40);
		harness__sleep_ms(20);
	}
	harness__track(0, watch);
	harness__track(0, top);
	if (!WIFEXITED(watch_st) || WEXITSTATUS(watch_st))
		fail_msg("watch failed (status 0x%x): %s", watch_st, harness__slurp(watch_err));
	if (!WIFEXITED(top_st) || WEXITSTATUS(top_st))
		fail_msg("top failed (status 0x%x)", top_st);
	sample_forks();
	kill(serve, SIGTERM);
	st = harness__wait_s(serve, WAIT_S);
	assert_true(WIFEXITED(st));
	kill(churn, SIGKILL);
	harness__wait_s(churn, WAIT_S);
	kill(hold, SIGKILL);
	harness__wait_s(hold, WAIT_S);
	kill(io_holder, SIGKILL);
	waitpid(io_holder, NULL, 0);

	io_bound = disk_bytes() - disk0 + dirty_bytes() + (double)IO_SLACK_BYTES;
	print_message("  I/O bound: %.1f MiB (the disks' over the run, dirty memory, slack)\n",
		      io_bound / 1048576);
	if (nscrapes < 3)
		fail_msg("only %zu scrapes of /metrics; serve said: %s", nscrapes,
			 harness__slurp(serve_err));
	check_scrapes(scrapes, nscrapes, io_bound);
	ntop = check_top(harness__slurp(top_out), io_bound);
	if (ntop != FRAMES)
		fail_msg("top wrote %zu frames, not %d:\n%s", ntop, FRAMES,
			 harness__slurp(top_out));
	nint = check_watch(watch_out, io_bound, &njobs);
	print_message("  %zu top frames, %zu watch intervals of %zu jobs, %zu scrapes, %zu "
		      "/proc/stat samples\n",
		      ntop, nint, njobs, nscrapes, nsamples);
	for (int k = 0; k < W_NKINDS; k++)
		print_message("  worst %s: %s (%.1f%% of it)\n", worst[k].kind,
			      worst[k].what[0] ? worst[k].what : "none", 100 * worst[k].ratio);
	for (size_t i = 0; i < nscrapes; i++)
		free(scrapes[i]);
	if (violations)
		fail_msg("%lu figures exceed what the host can do (OVER lines above)", violations);
}

static int test_teardown(void **state)
{
	harness__kill_running();
	return 0;
}

static int setup(void **state)
{
	ncpus = (double)sysconf(_SC_NPROCESSORS_ONLN);
	return harness__group_setup("capacity", false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_no_figure_exceeds_the_host, test_teardown),
	};

	return cmocka_run_group_tests(tests, setup, harness__group_teardown);
}
