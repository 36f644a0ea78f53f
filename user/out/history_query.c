// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace history`'s reading: the files of a history directory in time
 * order, their lines filtered by time, job, user, command, failure and
 * OOM kill, printed as stored (--json) or one line per job or process.
 * Two passes when a process filter is given: the first finds the jobs
 * with a matching process, the second prints them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobtrace/history.h"
#include "jobtrace/json.h"
#include "jobtrace/sink.h"

/* A local date and time, with or without its date (then today's). */
static int parse_clock(const char *s, double *out)
{
	static const char *const full[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
					     "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M" };
	static const char *const clock[] = { "%H:%M:%S", "%H:%M" };
	time_t now = time(NULL), t;
	struct tm tm, want;
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
	/*
	 * A day the month does not have (2026-02-30) or a leap second was
	 * taken as a later time, mktime()'s normalising: not a date given.
	 * The hour may move (a clock set forward skips one), the day may not.
	 */
	want = tm;
	if (tm.tm_sec > 59)
		return -EINVAL;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1 || tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon ||
	    tm.tm_year != want.tm_year)
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
	/* inf is no time (nan was refused already, and inf let every line through). */
	if (errno || end == s || v != v || v - v != 0)
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

/* A job line printed in one pass: whether it is kept is known at the end. */
struct held_job {
	size_t at; /* where in the pass's output it goes */
	size_t from, to; /* its text in the held jobs' */
	char *key;
	size_t klen;
};

/* Printed in one pass (a process filter), held up to this much: past it, two passes. */
#ifndef ONE_PASS_MAX_BYTES
#define ONE_PASS_MAX_BYTES (64U << 20)
#endif

struct reader {
	const struct history_query *q;
	FILE *out;
	bool pass2; /* printing */
	bool one; /* pass 1 prints into @out (memory) and holds the job lines */
	bool too_big; /* @one held more than ONE_PASS_MAX_BYTES */
	struct keyset jobs; /* with a matching process (pass 1) */
	struct history_records *hr; /* short exit lines made whole */
	FILE *held; /* @one: the job lines' text */
	struct held_job *hj;
	size_t nhj, hj_cap;
};

/*
 * A JSON string value equal to @want, @want as the records' JSON has it
 * (query_forms()): the stored bytes are compared, escapes and all.
 */
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

/* @key (a "key": as it stands in a line) followed by @val (NULL: by anything) in @l. */
static bool has_pair(const char *l, size_t len, const char *key, const char *val, bool quoted)
{
	size_t kl = strlen(key), vl = val ? strlen(val) : 0;
	const char *p = l, *end = l + len;

	while ((p = memmem(p, (size_t)(end - p), key, kl))) {
		p += kl;
		if (!val)
			return true;
		if (quoted && p < end && *p == '"' && (size_t)(end - p) > vl + 1 &&
		    !memcmp(p + 1, val, vl) && p[vl + 1] == '"')
			return true;
		if (!quoted && (size_t)(end - p) >= vl && !memcmp(p, val, vl))
			return true;
	}
	return false;
}

/*
 * Whether @l can match @q at all, by looking for the bytes a match needs
 * ("exit_code": or "signal": for --failed, "comm":"NAME", ...) before the
 * walk over its keys: most of a filtered query's lines are not kept, and
 * the walk was most of its CPU. A line that has them is walked as before
 * (an args string may hold them too).
 */
static bool exit_may_match(const struct history_query *q, const char *l, size_t len)
{
	if (q->failed && !has_pair(l, len, "\"exit_code\":", NULL, false) &&
	    !has_pair(l, len, "\"signal\":", NULL, false))
		return false;
	if (q->oom && !has_pair(l, len, "\"oom_killed\":", "true", false))
		return false;
	if (q->command && !has_pair(l, len, "\"comm\":", q->command, true))
		return false;
	if (q->job && !has_pair(l, len, "\"job\":", q->job, true))
		return false;
	if (q->user && !has_pair(l, len, "\"user\":", q->user, true) &&
	    !has_pair(l, len, "\"uid\":", q->user, false))
		return false;
	return true;
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
	if (!exit_may_match(q, l, len))
		return false;
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

/*
 * A JSON string as run's report writes the name it holds: unescaped, then
 * escaped for a terminal (text__escape(): q"uote, nl\x0ax), not as JSON
 * has it (q\"uote, nl\nx). Padded to @width columns.
 */
static void print_str(FILE *out, const char *v, size_t len, int width)
{
	char buf[4096];
	size_t n, cols, i;

	if (is_null(v, len) || len < 2 || *v != '"') {
		fprintf(out, "%-*s", width, "-");
		return;
	}
	/* Printable ASCII, no escape: the same either way, as nearly every name is. */
	for (i = 1; i + 1 < len && v[i] >= 0x20 && v[i] < 0x7f && v[i] != '\\'; i++)
		;
	if (i + 1 == len) {
		fprintf(out, "%-*.*s", width, (int)(len - 2), v + 1);
		return;
	}
	n = history__json_unescape(v, len, buf, sizeof(buf));
	for (cols = text__escape(out, buf, n); cols < (size_t)width; cols++)
		fputc(' ', out);
}

static double num_of(const char *v)
{
	return v && *v != 'n' ? strtod(v, NULL) : 0;
}

static void print_exit(FILE *out, const char *l, size_t len)
{
	enum { JOB, END, PID, COMM, SIGNAL, CODE, CPU, USER, OOM, N };
	static const char *const keys[N] = { "job",	   "end_time",	"pid", "comm",
					     "signal",	   "exit_code", "cpu", "user",
					     "oom_killed" };
	const char *v[N];
	size_t vl[N], cl;
	double cpu_s = 0;
	const char *cpu;

	/* One walk over the line: an hour of a busy host is a few hundred thousand of them. */
	history__json_top(l, len, keys, N, v, vl);
	cpu = v[CPU] ? history__json_get(v[CPU], vl[CPU], "total_s", &cl) : NULL;
	/* A short line (jobtrace-records(5), HISTORY FILES): its "time" is its end. */
	print_time(out, v[END] ? num_of(v[END]) : num(l, len, "time"));
	fprintf(out, " %7.0f ", num_of(v[PID]));
	print_str(out, v[COMM], vl[COMM], 16);
	/* The OOM killer's SIGKILL said as run's report says it, not as a kill -9's. */
	if (v[OOM] && vl[OOM] == 4 && !memcmp(v[OOM], "true", 4))
		fprintf(out, " %-10s", "OOM-killed");
	else if (!is_null(v[SIGNAL], vl[SIGNAL]))
		fprintf(out, " sig %-6.*s", (int)vl[SIGNAL], v[SIGNAL]);
	else
		fprintf(out, " exit %-5.0f", v[CODE] ? num_of(v[CODE]) : 0.0);
	/*
	 * A whole line has total_s. A short one has total_ns only where it is
	 * not user_s + system_s (history_short.c), as it never is from the
	 * BPF source: else the total is their sum.
	 */
	if (cpu)
		cpu_s = num_of(cpu);
	else if (v[CPU] && history__json_get(v[CPU], vl[CPU], "total_ns", &cl))
		cpu_s = num(v[CPU], vl[CPU], "total_ns") / 1e9;
	else if (v[CPU])
		cpu_s = num(v[CPU], vl[CPU], "user_s") + num(v[CPU], vl[CPU], "system_s");
	fprintf(out, " %9.3f ", cpu_s);
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

/*
 * A job line read in the one pass: its text held, with the place in the
 * output where it goes, until the pass knows whether one of its processes
 * matched (a process may come after its job's line when a key is used
 * again). 0, 1 when more is held than ONE_PASS_MAX_BYTES, -ENOMEM.
 */
static int hold_job(struct reader *r, const char *l, size_t len, const char *key, size_t klen)
{
	struct held_job *h;
	long at, from;

	if (r->nhj == r->hj_cap) {
		size_t cap = r->hj_cap ? r->hj_cap * 2 : 64;
		struct held_job *n = realloc(r->hj, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->hj = n;
		r->hj_cap = cap;
	}
	at = ftell(r->out);
	from = ftell(r->held);
	if (r->q->json)
		fprintf(r->held, "%.*s\n", (int)len, l);
	else if (!r->q->processes)
		print_job(r->held, l, len);
	h = &r->hj[r->nhj];
	*h = (struct held_job){ .at = (size_t)at, .from = (size_t)from,
				.to = (size_t)ftell(r->held), .key = strndup(key, klen),
				.klen = klen };
	if (at < 0 || from < 0 || !h->key || ferror(r->held))
		return -ENOMEM;
	r->nhj++;
	if (h->to + h->at > ONE_PASS_MAX_BYTES) {
		r->too_big = true;
		return 1;
	}
	return 0;
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
			int err;

			v = history__json_get(l, len, "job", &vl);
			err = v ? keyset__add(&r->jobs, v, vl) : 0;
			if (err || !r->one)
				return err;
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
		if (r->one && ftell(r->out) > (long)ONE_PASS_MAX_BYTES) {
			r->too_big = true;
			return 1;
		}
		return 0;
	}
	if (!str_is(type, type ? tl : 0, "job") || (!r->pass2 && !r->one))
		return 0;
	v = history__json_get(l, len, "job.key", &vl);
	if (!v || (q->job && !str_is(v, vl, q->job)))
		return 0;
	if (r->one)
		return hold_job(r, l, len, v, vl);
	if (proc_filtered(q) && !keyset__has(&r->jobs, v, vl))
		return 0;
	if (q->json && fprintf(r->out, "%.*s\n", (int)len, l) < 0)
		return -EIO;
	if (!q->json && !q->processes)
		print_job(r->out, l, len);
	return 0;
}

/* What the one pass printed, the job lines of the jobs kept in their places, to @out. */
static int print_held(struct reader *r, const char *buf, size_t len, const char *held,
		      FILE *out)
{
	size_t done = 0;

	for (size_t i = 0; i < r->nhj; i++) {
		const struct held_job *h = &r->hj[i];

		if (!keyset__has(&r->jobs, h->key, h->klen))
			continue;
		if (fwrite(buf + done, 1, h->at - done, out) != h->at - done ||
		    fwrite(held + h->from, 1, h->to - h->from, out) != h->to - h->from)
			return -EIO;
		done = h->at;
	}
	return fwrite(buf + done, 1, len - done, out) == len - done ? 0 : -EIO;
}

/*
 * With a process filter, the jobs kept are those with a matching process:
 * one pass prints into memory and holds the job lines until it knows
 * (reading and decompressing the range twice was most of such a query's
 * time); past ONE_PASS_MAX_BYTES printed (a filter that keeps most of a
 * long range) it is given up for two passes, the first finding the jobs.
 * 1 when given up, 0, or a negative errno.
 */
static int query_one_pass(int dirfd, const char *dir, struct reader *r, FILE *out)
{
	char *buf = NULL, *held = NULL;
	size_t len = 0, hlen = 0;
	int err;

	r->one = true;
	r->out = open_memstream(&buf, &len);
	r->held = open_memstream(&held, &hlen);
	err = r->out && r->held ? 0 : -ENOMEM;
	if (!err)
		err = history__read_range(dirfd, dir, r->q->since, r->q->until, on_line, r);
	if (r->out && fflush(r->out) && !err)
		err = -ENOMEM;
	if (r->held && fflush(r->held) && !err)
		err = -ENOMEM;
	if (r->too_big)
		err = 1;
	else if (err >= 0)
		err = print_held(r, buf, len, held, out);
	/* Its writer of whole lines writes to @r->out, closed here. */
	history_records__free(r->hr);
	r->hr = history_records__new();
	if (!r->hr && err >= 0)
		err = -ENOMEM;
	if (r->out)
		fclose(r->out);
	if (r->held)
		fclose(r->held);
	free(buf);
	free(held);
	for (size_t i = 0; i < r->nhj; i++)
		free(r->hj[i].key);
	free(r->hj);
	r->hj = NULL;
	r->nhj = r->hj_cap = 0;
	r->out = out;
	r->held = NULL;
	r->one = false;
	return err;
}

/* @s escaped as the records' writer escapes a JSON string, quotes left out; NULL: no memory. */
static char *json_form(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	json__escape(f, s, strlen(s));
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct query_forms {
	char *job, *user, *command;
};

/*
 * @q's names as the records' JSON strings have them (@out, its strings in
 * @f): a comm, a user or a job key with a quote, a backslash, a newline or
 * a byte that is not UTF-8 is stored escaped (q\"uote, nl\nx, \ufffd), and
 * the filters compare the stored bytes; asked as it is named, it is found.
 */
static int query_forms(const struct history_query *q, struct history_query *out,
		       struct query_forms *f)
{
	*out = *q;
	*f = (struct query_forms){ 0 };
	if ((q->job && !(out->job = f->job = json_form(q->job))) ||
	    (q->user && !(out->user = f->user = json_form(q->user))) ||
	    (q->command && !(out->command = f->command = json_form(q->command))))
		return -ENOMEM;
	return 0;
}

static void query_forms__free(struct query_forms *f)
{
	free(f->job);
	free(f->user);
	free(f->command);
}

int history__query(int dirfd, const char *dir, const struct history_query *query, FILE *out)
{
	struct history_query jq;
	const struct history_query *q = &jq;
	struct query_forms forms;
	struct reader r = { .q = q, .out = out };
	int err = query_forms(query, &jq, &forms);

	if (!err)
		r.hr = history_records__new();
	if (err || !r.hr) {
		query_forms__free(&forms);
		return -ENOMEM;
	}
	if (!q->json && q->processes)
		fprintf(out, "%-19s %7s %-16s %-10s %9s %-10s %s\n", "END", "PID", "COMMAND",
			"STATUS", "CPU_S", "USER", "JOB");
	else if (!q->json)
		fprintf(out, "%-19s  %-19s %9s %6s %9s %s\n", "START", "END", "PROCESSES", "FAILED",
			"CPU_S", "JOB");
	if (proc_filtered(q)) {
		err = query_one_pass(dirfd, dir, &r, out);
		if (err <= 0)
			goto out;
		/* Too much to hold: pass 1 finds the jobs, pass 2 prints. */
		keyset__free(&r.jobs);
		r.jobs = (struct keyset){ 0 };
		err = history__read_range(dirfd, dir, q->since, q->until, on_line, &r);
	}
	r.pass2 = true;
	if (!err)
		err = history__read_range(dirfd, dir, q->since, q->until, on_line, &r);
out:
	keyset__free(&r.jobs);
	history_records__free(r.hr);
	query_forms__free(&forms);
	return err;
}

struct range {
	double since, until;
	history_line_fn fn;
	void *ctx;
	unsigned int past_run; /* lines in a row this far past @until */
	bool past; /* read far enough past @until in this file */
	struct history_read_stats *st; /* the file's */
};

/*
 * Lines come in the order of their pass, each stamped with its own time
 * (an exit with its exit, an interval with its end), so a line past
 * @until may be followed by one within it, but not by much: this long
 * past @until, for this many lines in a row, the rest of the file is not
 * read. Not at one line: a stamp a clock stepped forward, or a corrupt
 * one (1e11), made `--until now` print nothing of the records after it,
 * in its file and every later one. The files after are skipped by their
 * names' times alone (history__read_range()).
 */
#define PAST_UNTIL_S 120.0
#define PAST_UNTIL_LINES 64

static int in_range(void *ctx, const char *l, size_t len)
{
	struct range *r = ctx;
	double t;

	/* Not one of serve's (hand-made, spliced): read as it is, it printed as junk. */
	if (!history__line_valid(l, len, &t)) {
		r->st->lines_malformed++;
		return 0;
	}

	if (r->until > 0 && t > r->until + PAST_UNTIL_S) {
		if (++r->past_run < PAST_UNTIL_LINES)
			return 0;
		r->past = true;
		return 1;
	}
	r->past_run = 0;
	if (t < r->since || (r->until > 0 && t > r->until))
		return 0;
	return r->fn(r->ctx, l, len);
}

int history__read_range(int dirfd, const char *dir, double since, double until,
			history_line_fn fn, void *ctx)
{
	struct range r = { since, until, fn, ctx, 0, false, NULL };
	struct history_file *files;
	int n = history__list(dirfd, &files), err = 0;

	if (n < 0) {
		fprintf(stderr, "jobtrace: cannot list %s: %s\n", dir, strerror(-n));
		return n;
	}
	for (int i = 0; i < n && !err; i++) {
		struct history_read_stats st = {};

		/* A file holds what came from its start to the next file's. */
		if (until > 0 && (double)files[i].start > until)
			break;
		if (i + 1 < n && (double)files[i + 1].start < since - 1)
			continue;
		r.st = &st;
		err = history__read_file(dirfd, files[i].name, files[i].zst, in_range, &r, &st);
		/* Said, not lost quietly: the lines after them were read. */
		if (st.lines_too_long)
			fprintf(stderr,
				"jobtrace: %s/%s: %" PRIu64
				" line%s longer than 4 MiB skipped (not one serve writes)\n",
				dir, files[i].name, st.lines_too_long,
				st.lines_too_long == 1 ? "" : "s");
		if (st.lines_malformed)
			fprintf(stderr,
				"jobtrace: %s/%s: %" PRIu64
				" malformed line%s skipped (not JSON as serve writes it, or no "
				"finite \"time\")\n",
				dir, files[i].name, st.lines_malformed,
				st.lines_malformed == 1 ? "" : "s");
		if (r.past) {
			/* This file is read far enough; a later one may start before @until. */
			r.past = false;
			r.past_run = 0;
			err = 0;
			continue;
		}
		r.past_run = 0;
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
	const char *svg, *html;
	struct history_records *hr;
	struct sink *s; /* made at the job's first line */
	int open_err;
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
	/*
	 * The files are made (an existing one emptied) only once there is a
	 * picture to put in them: a job that is not there leaves whatever
	 * the paths name as it was.
	 */
	if (!p->s) {
		p->s = sink_svg__new(p->svg, p->html);
		if (!p->s) {
			p->open_err = -errno;
			return 1;
		}
	}
	p->records += !job;
	p->jobs += job;
	/* A sink's failure is said by the sink; the other jobs' pictures go on. */
	history_records__feed(p->hr, l, len, p->s);
	return 0;
}

int history__pictures(int dirfd, const char *dir, const struct history_query *q, const char *svg,
		      const char *html)
{
	struct pictures p = { .svg = svg, .html = html };
	struct history_query jq;
	struct query_forms forms;
	int err = query_forms(q, &jq, &forms);

	p.job = jq.job;
	p.hr = err ? NULL : history_records__new();
	err = p.hr ? history__read_range(dirfd, dir, q->since, q->until, picture_line, &p) :
		     -ENOMEM;
	/* The sink could not be made: it said why. */
	if (p.open_err)
		err = p.open_err;
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
	if (!err && p.s && p.s->err)
		err = p.s->err;
	history_records__free(p.hr);
	sink__free(p.s);
	query_forms__free(&forms);
	return err;
}
