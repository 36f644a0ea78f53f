// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The text sink: a line per job each interval, a line for the host, and
 * the report of each job when it ends, as `time` writes to standard error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/json.h"
#include "jobtrace/report.h"
#include "jobtrace/sink.h"

static int text_interval(struct sink *s, const struct interval_record *r)
{
	const struct cjob *j = r->job;
	double pct;
	char b1[32], b2[32];

	fputs("jobtrace: ", s->f);
	text__escape(s->f, j->job.key, strlen(j->job.key));
	if (j->job.unknown & JOB_UNKNOWN_COUNTS)
		fprintf(s->f, ": %.1f s: %" PRIu64 " alive (sampled), started and exited unknown, "
			      "CPU now ",
			(double)(r->t1_ns - j->job.start_ns) / 1e9, (uint64_t)r->alive);
	else
		fprintf(s->f, ": %.1f s: %" PRIu64 " alive, %" PRIu64 " started, %" PRIu64
			      " exited (%" PRIu64 " failed), CPU now ",
			(double)(r->t1_ns - j->job.start_ns) / 1e9, (uint64_t)r->alive,
			(uint64_t)r->d.started, (uint64_t)r->d.exited,
			(uint64_t)(r->d.exit_error + r->d.exit_signal));
	if (interval_record__cpu_pct(r, &pct))
		fprintf(s->f, "%.0f%%", pct);
	else
		fputs("-", s->f); /* too short to give a rate (collector.h) */
	fprintf(s->f, ", RSS %s", report__bytes(b1, sizeof(b1), r->rss_bytes));
	if (r->pss)
		fprintf(s->f, ", PSS %s", report__bytes(b2, sizeof(b2), r->pss_bytes));
	fprintf(s->f, ", %" PRIu64 " open files\n", (uint64_t)r->open_files);
	return sink__check(s);
}

static int text_host(struct sink *s, const struct host_record *r)
{
	char b1[32], b2[32];

	/* "-" for what the samples could not tell, as the job lines do. */
	fputs("jobtrace: host: CPU ", s->f);
	if (r->cpu_busy_pct >= 0)
		fprintf(s->f, "%.0f%%", r->cpu_busy_pct);
	else
		fputs("-", s->f);
	if (r->unknown & HOST_RECORD_NO_MEM)
		fputs(" busy, memory - used of -", s->f);
	else
		fprintf(s->f, " busy, memory %s used of %s",
			report__bytes(b1, sizeof(b1), r->mem_used_bytes),
			report__bytes(b2, sizeof(b2), r->mem_total_bytes));
	if (r->unknown & HOST_RECORD_NO_LOAD)
		fputs(", load -", s->f);
	else
		fprintf(s->f, ", load %.2f", r->load1);
	if (r->forks_per_s >= 0)
		fprintf(s->f, ", %.0f forks/s\n", r->forks_per_s);
	else
		fputs(", - forks/s\n", s->f);
	return sink__check(s);
}

/* Host mode has thousands of jobs: a line each. */
static void text_job_line(FILE *f, const struct cjob *j)
{
	const struct jt_job_stats *st = &j->job.stats;
	const char *why[JOB_MAX_INCOMPLETE];
	char b1[32];
	size_t n;

	fputs("jobtrace: ", f);
	text__escape(f, j->job.key, strlen(j->job.key));
	fprintf(f, ": %s, %" PRIu64 " started, %" PRIu64 " exited (%" PRIu64 " failed), %.3f s CPU, "
		   "%s peak RSS, %" PRIu64 " lost",
		job__running(&j->job) ? "running" : "ended", (uint64_t)st->procs_started,
		(uint64_t)st->procs_exited, (uint64_t)(st->exit_error + st->exit_signal),
		(double)st->cpu_ns / 1e9, report__bytes(b1, sizeof(b1), st->peak_rss_bytes),
		(uint64_t)st->events_lost);
	n = job__incomplete(&j->job, why, JOB_MAX_INCOMPLETE);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "; incomplete: ", why[i]);
	fputc('\n', f);
}

static int text_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	int err;

	if (s->compact)
		text_job_line(s->f, j);
	else if ((err = report__write_text(s->f, &j->job, s->top)) && !s->err && !s->whole)
		s->err = err;
	/* The job is complete; this file misses what it could not take (a full disk). */
	if (s->dropped)
		fprintf(s->f,
			"jobtrace: %" PRIu64 " earlier records to this output were dropped (%s)\n",
			(uint64_t)s->dropped, strerror(-s->drop_err));
	return sink__check(s);
}


static const struct sink_ops text_ops = {
	.name = "text",
	.interval = text_interval,
	.host = text_host,
	.job_end = text_job_end,
	.flush = sink__flush,
};

struct sink *sink_text__new(FILE *f, size_t top)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ops = &text_ops;
	s->f = f;
	s->top = top;
	return s;
}
