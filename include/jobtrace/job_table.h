/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The collector's jobs: every job in a list, the open ones also in an index
 * by id (host mode has thousands, and every exit record looks its job up).
 */
#ifndef JOBTRACE_JOB_TABLE_H
#define JOBTRACE_JOB_TABLE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "jobtrace/collector.h"

struct job_table {
	struct cjob **jobs; /* open jobs, and the fronts' own jobs after they end */
	size_t n, cap;
	struct hmap index; /* open jobs by id, through their index_node */
};

/* A new open job (the table owns it); NULL with errno set. */
struct cjob *job_table__add(struct job_table *t, __u64 id, const char *key,
			    enum cjob_end end_rule);
/* The open job @id, or NULL. */
struct cjob *job_table__find(const struct job_table *t, __u64 id);
/* @j has ended: it leaves the index (a later job may take its id). */
void job_table__close(struct job_table *t, struct cjob *j);
/* Frees the ended jobs the kernel made (host mode); the fronts' own stay. */
void job_table__prune(struct job_table *t);
void job_table__free(struct job_table *t);

#ifdef __cplusplus
}
#endif

#endif
