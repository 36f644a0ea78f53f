// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace history`'s reading: the files of a history directory in time
 * order, their lines filtered by time, job, user, command, failure and
 * OOM kill, printed as stored (--json) or one line per job or process.
 * Two passes when a process filter is given: the first finds the jobs
 * with a matching process, the second prints them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobtrace/history.h"
#include "jobtrace/sink.h"

/* A local date and time, with or without its date (then today's). */
static int parse_clock(const char *s, double *out)
{
	static const char *const full[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
					     "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M" };
	static const char *const clock[] = { "%H:%M:%S", "%H:%M" };
	time_t now = time(NULL), t;
	struct tm tm;
	const char *end;

	for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, full[i], &tm);
		if (end && !*end)
			goto found;
	}
	for (size_t i = 0; i < sizeof(clock) / sizeof(clock[0]); i++) {
		struct tm today;

		memset(&tm, 0, sizeof(tm));
		end = strptime(s, clock[i], &tm);
		if (!end || *end || !localtime_r(&now, &today))
			continue;
		tm.tm_year = today.tm_year;
		tm.tm_mon = today.tm_mon;
		tm.tm_mday = today.tm_mday;
		goto found;
	}
	return -EINVAL;
found:
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*out = (double)t;
	return 0;
}

int history__parse_time(const char *s, double *out)
{
	double now = (double)time(NULL), v, mul = 1;
	char *end;

	if (!strcmp(s, "now")) {
		*out = now;
		return 0;
	}
	if (strchr(s, ':'))
		return parse_clock(s, out);
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v != v)
		return -EINVAL;
	if (*end && end[1])
		return -EINVAL;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		return -EINVAL;
	}
	if (*s == '-') {
		*out = now + v * mul;
		return 0;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

struct keyset {
	char **keys;
	size_t n, cap;
};

static bool keyset__has(const struct keyset *k, const char *key, size_t len)
{
	for (size_t i = 0; i < k->n; i++)
		if (strlen(k->keys[i]) == len && !memcmp(k->keys[i], key, len))
			return true;
	return false;
}

static int keyset__add(struct keyset *k, const char *key, size_t len)
{
	char **nk;

	if (keyset__has(k, key, len))
		return 0;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		nk = realloc(k->keys, k->cap * sizeof(*nk));
		if (!nk)
			return -ENOMEM;
		k->keys = nk;
	}
	k->keys[k->n] = strndup(key, len);
	if (!k->keys[k->n])
		return -ENOMEM;
	k->n++;
	return 0;
}

static void keyset__free(struct keyset *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->keys[i]);
	free(k->keys);
}

struct reader {
	const struct history_query *q;
	FILE *out;
	bool pass2; /* printing */
	struct keyset jobs; /* with a matching process (pass 1) */
	struct history_records *hr; /* short exit lines made whole */
};

/* A JSON string value equal to @want (no escapes in what is compared). */
static bool str_is(const char *v, size_t len, const char *want)
{
	size_t n = strlen(want);

	return v && len == n + 2 && *v == '"' && !memcmp(v + 1, want, n);
}

static double num(const char *line, size_t len, const char *path)
{
	size_t vl;
	const char *v = history__json_get(line, len, path, &vl);

	return v && *v != 'n' ? strtod(v, NULL) : 0;
}

static bool is_null(const char *v, size_t len)
{
	return !v || (len == 4 && !memcmp(v, "null", 4));
}

static bool proc_filtered(const struct history_query *q)
{
	return q->user || q->command || q->failed || q->oom;
}

static bool exit_matches(const struct history_query *q, const char *l, size_t len)
{
	enum { JOB, USER, UID, COMM, CODE, SIGNAL, OOM, N };
	static const char *const keys[N] = { "job",	  "user",   "uid",	 "comm",
					     "exit_code", "signal", "oom_killed" };
	const char *v[N];
	size_t vl[N];

	if (!q->job && !proc_filtered(q))
		return true;
	/* One walk over the line for every filter: a day's query reads millions. */
	history__json_top(l, len, keys, N, v, vl);
	if (q->job && !str_is(v[JOB], vl[JOB], q->job))
		return false;
	/* A user by name, or by uid. */
	if (q->user && !str_is(v[USER], vl[USER], q->user) &&
	    (is_null(v[UID], vl[UID]) || strlen(q->user) != vl[UID] ||
	     memcmp(v[UID], q->user, vl[UID])))
		return false;
	if (q->command && !str_is(v[COMM], vl[COMM], q->command))
		return false;
	if (q->failed && is_null(v[SIGNAL], vl[SIGNAL]) &&
	    (is_null(v[CODE], vl[CODE]) || (vl[CODE] == 1 && *v[CODE] == '0')))
		return false;
	if (q->oom && (!v[OOM] || vl[OOM] != 4 || memcmp(v[OOM], "true", 4)))
		return false;
	return true;
}

static void print_time(FILE *out, double t)
{
	time_t s = (time_t)t;
	struct tm tm;
	char buf[32];

	if (!localtime_r(&s, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, sizeof(buf), "%.0f", t);
	fputs(buf, out);
}

/* A JSON string's characters as they are (escapes kept): keys and names have none. */
static void print_str(FILE *out, const char *v, size_t len, int width)
{
	if (is_null(v, len))
		fprintf(out, "%-*s", width, "-");
	else
		fprintf(out, "%-*.*s", width, (int)(len - 2), v + 1);
}

static double num_of(const char *v)
{
	return v && *v != 'n' ? strtod(v, NULL) : 0;
}

static void print_exit(FILE *out, const char *l, size_t len)
{
	enum { JOB, END, PID, COMM, SIGNAL, CODE, CPU, USER, N };
	static const char *const keys[N] = { "job",	   "end_time",	"pid", "comm",
					     "signal",	   "exit_code", "cpu", "user" };
	const char *v[N];
	size_t vl[N], cl;
	const char *cpu;

	/* One walk over the line: an hour of a busy host is a few hundred thousand of them. */
	history__json_top(l, len, keys, N, v, vl);
	cpu = v[CPU] ? history__json_get(v[CPU], vl[CPU], "total_s", &cl) : NULL;
	/* A short line (jobtrace-records(5), HISTORY FILES): its "time" is its end. */
	print_time(out, v[END] ? num_of(v[END]) : num(l, len, "time"));
	fprintf(out, " %7.0f ", num_of(v[PID]));
	print_str(out, v[COMM], vl[COMM], 16);
	if (!is_null(v[SIGNAL], vl[SIGNAL]))
		fprintf(out, " sig %-4.*s", (int)vl[SIGNAL], v[SIGNAL]);
	else
		fprintf(out, " exit %-3.0f", v[CODE] ? num_of(v[CODE]) : 0.0);
	if (cpu)
		fprintf(out, " %9.3f ", num_of(cpu));
	else
		fprintf(out, " %9.3f ",
			v[CPU] ? num(v[CPU], vl[CPU], "total_ns") / 1e9 : 0.0);
	print_str(out, v[USER], vl[USER], 10);
	fputc(' ', out);
	print_str(out, v[JOB], vl[JOB], 0);
	fputc('\n', out);
}

static void print_job(FILE *out, const char *l, size_t len)
{
	double end = num(l, len, "time"), wall = num(l, len, "job.wall_s");
	const char *v;
	size_t vl;

	print_time(out, end - wall);
	fputs("  ", out);
	print_time(out, end);
	fprintf(out, " %9.0f %6.0f %9.3f ", num(l, len, "processes.started"),
		num(l, len, "processes.exit_error") + num(l, len, "processes.exit_signal"),
		num(l, len, "cpu.total_s"));
	v = history__json_get(l, len, "job.key", &vl);
	print_str(out, v, vl, 0);
	fputc('\n', out);
}

static int on_line(void *ctx, const char *l, size_t len)
{
	struct reader *r = ctx;
	const struct history_query *q = r->q;
	const char *type, *v;
	size_t tl, vl;

	type = history__json_get(l, len, "type", &tl);
	if (str_is(type, type ? tl : 0, "exit")) {
		if (!exit_matches(q, l, len))
			return 0;
		if (!r->pass2) {
			v = history__json_get(l, len, "job", &vl);
			return v ? keyset__add(&r->jobs, v, vl) : 0;
		}
		if (q->json) {
			int ret = history_records__expand(r->hr, l, len, r->out);

			if (ret < 0)
				return ret;
			if (!ret && fprintf(r->out, "%.*s\n", (int)len, l) < 0)
				return -EIO;
		}
		if (!q->json && q->processes)
			print_exit(r->out, l, len);
		return 0;
	}
	if (!str_is(type, type ? tl : 0, "job") || !r->pass2)
		return 0;
	v = history__json_get(l, len, "job.key", &vl);
	if (!v || (q->job && !str_is(v, vl, q->job)))
		return 0;
	if (proc_filtered(q) && !keyset__has(&r->jobs, v, vl))
		return 0;
	if (q->json && fprintf(r->out, "%.*s\n", (int)len, l) < 0)
		return -EIO;
	if (!q->json && !q->processes)
		print_job(r->out, l, len);
	return 0;
}

int history__query(int dirfd, const char *dir, const struct history_query *q, FILE *out)
{
	struct reader r = { .q = q, .out = out };
	int err = 0;

	r.hr = history_records__new();
	if (!r.hr)
		return -ENOMEM;
	if (!q->json && q->processes)
		fprintf(out, "%-19s %7s %-16s %-8s %9s %-10s %s\n", "END", "PID", "COMMAND",
			"STATUS", "CPU_S", "USER", "JOB");
	else if (!q->json)
		fprintf(out, "%-19s  %-19s %9s %6s %9s %s\n", "START", "END", "PROCESSES", "FAILED",
			"CPU_S", "JOB");
	/* Pass 1 finds the jobs a process filter keeps; without one it is not needed. */
	for (int pass = proc_filtered(q) ? 0 : 1; pass < 2 && !err; pass++) {
		r.pass2 = pass == 1;
		err = history__read_range(dirfd, dir, q->since, q->until, on_line, &r);
	}
	keyset__free(&r.jobs);
	history_records__free(r.hr);
	return err;
}

struct range {
	double since, until;
	history_line_fn fn;
	void *ctx;
	bool past; /* read far enough past @until */
};

/*
 * Lines come in the order of their pass, each stamped with its own time
 * (an exit with its exit, an interval with its end), so a line past
 * @until may be followed by one within it, but not by much: this long
 * past @until, the rest of the file and the files after are not read.
 */
#define PAST_UNTIL_S 120.0

static int in_range(void *ctx, const char *l, size_t len)
{
	struct range *r = ctx;
	double t = num(l, len, "time");

	if (r->until > 0 && t > r->until + PAST_UNTIL_S) {
		r->past = true;
		return 1;
	}
	if (t < r->since || (r->until > 0 && t > r->until))
		return 0;
	return r->fn(r->ctx, l, len);
}

int history__read_range(int dirfd, const char *dir, double since, double until,
			history_line_fn fn, void *ctx)
{
	struct range r = { since, until, fn, ctx, false };
	struct history_file *files;
	int n = history__list(dirfd, &files), err = 0;

	if (n < 0) {
		fprintf(stderr, "jobtrace: cannot list %s: %s\n", dir, strerror(-n));
		return n;
	}
	for (int i = 0; i < n && !err; i++) {
		/* A file holds what came from its start to the next file's. */
		if (until > 0 && (double)files[i].start > until)
			break;
		if (i + 1 < n && (double)files[i + 1].start < since - 1)
			continue;
		err = history__read_file(dirfd, files[i].name, files[i].zst, in_range, &r);
		if (r.past) {
			err = 0;
			break;
		}
		if (err < 0 && err != -EIO && err != -ENOMEM) {
			fprintf(stderr, "jobtrace: cannot read %s/%s: %s\n", dir, files[i].name,
				strerror(-err));
			/* One bad file does not hide the others. */
			err = 0;
		}
	}
	free(files);
	return err;
}

struct pictures {
	const char *job;
	struct history_records *hr;
	struct sink *s;
	unsigned long long records, jobs;
};

static int picture_line(void *ctx, const char *l, size_t len)
{
	struct pictures *p = ctx;
	const char *type = NULL, *v;
	size_t tl = 0, vl;
	bool job;

	type = history__json_get(l, len, "type", &tl);
	job = str_is(type, type ? tl : 0, "job");
	if (!job && !str_is(type, type ? tl : 0, "exit"))
		return 0;
	v = history__json_get(l, len, job ? "job.key" : "job", &vl);
	if (!str_is(v, v ? vl : 0, p->job))
		return 0;
	p->records += !job;
	p->jobs += job;
	/* A sink's failure is said by the sink; the other jobs' pictures go on. */
	history_records__feed(p->hr, l, len, p->s);
	return 0;
}

int history__pictures(int dirfd, const char *dir, const struct history_query *q, const char *svg,
		      const char *html)
{
	struct pictures p = { .job = q->job };
	int err;

	p.s = sink_svg__new(svg, html);
	if (!p.s)
		return -errno;
	p.hr = history_records__new();
	err = p.hr ? history__read_range(dirfd, dir, q->since, q->until, picture_line, &p) :
		     -ENOMEM;
	if (!err && history_records__open_jobs(p.hr)) {
		fprintf(stderr,
			"jobtrace: %s has no job line for %s after its last records (serve was "
			"stopped, or the range ends first): its picture is what its %llu records "
			"sum to\n",
			dir, q->job, p.records);
		err = history_records__end_open(p.hr, p.s);
	}
	if (!err && !p.records && !p.jobs) {
		fprintf(stderr, "jobtrace: no record of the job %s in %s\n", q->job, dir);
		err = -ENOENT;
	}
	if (!err && p.s->err)
		err = p.s->err;
	history_records__free(p.hr);
	sink__free(p.s);
	return err;
}
