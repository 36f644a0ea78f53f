// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The metrics sink: the records into the store (metrics.c), which
 * metrics_write.c writes as the Prometheus text format 0.0.4 or
 * OpenMetrics 1.0.0 and the HTTP side (metrics_http.c) serves.
 * jobtrace-metrics(7) lists every family.
 */
#include <stdlib.h>

#include "jobtrace/metrics.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

/* ---- the sink ---- */

struct sink_metrics {
	struct sink base;
	struct metrics *m;
};

static struct metrics *store_of(struct sink *s)
{
	return ((struct sink_metrics *)s)->m;
}

static int sm_interval(struct sink *s, const struct interval_record *r)
{
	return metrics__interval(store_of(s), r);
}

static int sm_process(struct sink *s, const struct proc_record *r)
{
	return metrics__process(store_of(s), r);
}

static int sm_host(struct sink *s, const struct host_record *r)
{
	metrics__host(store_of(s), r);
	return 0;
}

static int sm_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	metrics__counters(store_of(s), st);
	return metrics__job_end(store_of(s), j);
}

static int sm_flush(struct sink *s)
{
	metrics__expire(store_of(s), util__now_ns());
	return 0;
}

static void sm_free(struct sink *s)
{
	metrics__free(store_of(s));
}

static const struct sink_ops sink_metrics_ops = {
	.name = "metrics",
	.process = sm_process,
	.interval = sm_interval,
	.host = sm_host,
	.job_end = sm_job_end,
	.flush = sm_flush,
	.free = sm_free,
};

struct sink *sink_metrics__new(struct metrics *m)
{
	struct sink_metrics *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = &sink_metrics_ops;
	s->base.path = "/metrics";
	s->m = m;
	return &s->base;
}

struct metrics *sink_metrics__store(struct sink *s)
{
	return store_of(s);
}
