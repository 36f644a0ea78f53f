// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The collector's jobs: see include/jobtrace/job_table.h. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/job_table.h"
#include "jobtrace/util.h"

static __u64 id_hash(__u64 id)
{
	return id * 0x9e3779b97f4a7c15ULL;
}

/* The link to open job @id (*link NULL: none), or NULL when no job is open. */
static struct hmap_node **index_link(const struct job_table *t, __u64 id)
{
	__u64 h = id_hash(id);
	struct hmap_node **p = hmap__chain(&t->index, h);

	while (p && *p && !((*p)->hash == h && hmap__entry(*p, struct cjob, index_node)->id == id))
		p = &(*p)->next;
	return p;
}

static void cjob_free(struct cjob *j)
{
	if (!j)
		return;
	job__free(&j->job);
	free((struct workdir_usage *)j->job.workdir); /* the cjob's: collector_end.c */
	if (j->hierarchy_owned)
		free((char *)j->job.hierarchy);
	if (j->cgroup_dirfd >= 0)
		close(j->cgroup_dirfd);
	free(j);
}

static int index_add(struct job_table *t, struct cjob *j)
{
	int err = hmap__reserve(&t->index, 64);

	if (!err)
		hmap__add(&t->index, &j->index_node, id_hash(j->id));
	return err;
}

struct cjob *job_table__add(struct job_table *t, __u64 id, const char *key,
			    enum cjob_end end_rule)
{
	size_t len = strnlen(key, CJOB_KEY_SIZE - 1);
	struct cjob *j;
	int err;

	/* util__grow() always grows: only a full array may ask (else 2^24 after 20 jobs). */
	err = t->n < t->cap ? 0 : util__grow(&t->jobs, &t->cap, sizeof(*t->jobs), 16, 1U << 24);
	if (err) {
		errno = -err;
		return NULL;
	}
	/*
	 * Its key in the job's own allocation, past its end: serve keeps
	 * 10,000 jobs, and a key of its own was a chunk of malloc's each.
	 */
	j = calloc(1, sizeof(*j) + len + 1);
	if (!j)
		return NULL;
	j->id = id;
	j->cgroup_dirfd = -1;
	j->end_rule = (__u8)end_rule;
	job__init(&j->job, id, NULL, 0);
	j->job.key = memcpy(j + 1, key, len); /* calloc'd: its NUL is there */
	j->job.start_ns = util__now_ns();
	j->live.cpu_rate_pct = -1;
	j->reported_ns = j->job.start_ns;
	err = index_add(t, j);
	if (err) {
		cjob_free(j);
		errno = -err;
		return NULL;
	}
	t->jobs[t->n++] = j;
	return j;
}

struct cjob *job_table__find(const struct job_table *t, __u64 id)
{
	struct hmap_node **p = index_link(t, id);

	return p && *p ? hmap__entry(*p, struct cjob, index_node) : NULL;
}

void job_table__close(struct job_table *t, struct cjob *j)
{
	struct hmap_node **p = hmap__chain(&t->index, id_hash(j->id));

	/* By address: this job leaves, whatever else its chain holds. */
	while (p && *p && *p != &j->index_node)
		p = &(*p)->next;
	if (p && *p)
		hmap__unlink(&t->index, p);
}

/* Jobs freed at once past which their memory goes back to the system. */
#define PRUNE_TRIM_JOBS 256

void job_table__prune(struct job_table *t)
{
	size_t n = 0, freed;

	for (size_t i = 0; i < t->n; i++) {
		struct cjob *j = t->jobs[i];

		if (j->ended && JT_JOB_KIND(j->id) != JT_JOB_USER)
			cjob_free(j);
		else
			t->jobs[n++] = j;
	}
	freed = t->n - n;
	t->n = n;
	/*
	 * Host mode runs for months: a burst of thousands of short jobs (a
	 * test suite's subreaper) would otherwise leave the collector at that
	 * burst's size for good, its memory free inside malloc's heap but
	 * never returned. A quarter-full array halves, and a big prune trims.
	 */
	if (t->cap > 64 && t->n < t->cap / 4) {
		struct cjob **a = reallocarray(t->jobs, t->cap / 2, sizeof(*t->jobs));

		if (a) {
			t->jobs = a;
			t->cap /= 2;
		}
	}
	if (freed >= PRUNE_TRIM_JOBS)
		malloc_trim(0);
}

void job_table__free(struct job_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		cjob_free(t->jobs[i]);
	free(t->jobs);
	hmap__free(&t->index, NULL);
	memset(t, 0, sizeof(*t));
}
