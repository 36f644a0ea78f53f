/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the three parts of a process snapshot share (include/jobtrace/snapshot.h
 * is the API): the iterator and its parser (snapshot.c), the /proc side
 * (snapshot_proc.c) and the readers that share a pass (snapshot_pool.c).
 */
#ifndef JOBTRACE_SNAPSHOT_PRIV_H
#define JOBTRACE_SNAPSHOT_PRIV_H

#include <stdbool.h>

#include "jobtrace/snapshot.h"

struct iter_pool;

struct snapshot_iter {
	struct snapshot_bpf *skel; /* NULL when a pinned iterator was reused */
	struct bpf_link *link;
	int link_fd;
	bool args; /* dump_task_args: arguments after each leader's record */
	int readers_fd; /* its `readers` map: -1 not looked up yet, -2 none */
	unsigned int max_readers; /* 0: one a CPU */
	unsigned int others_running; /* tasks besides the caller running, as it last said */
	struct iter_pool *pool; /* the threads reading other shares; NULL: one reader */
	char *buf; /* a read buffer, one for each reader of the pool */
};

/*
 * The read buffer: a few of the iterator's own (8 pages a read()) and at
 * least one record with the most arguments. Reused for every read, so the
 * records are parsed while in the cache, and the 5,000 processes of a ps
 * --json (800 KB) never fault a buffer of their size in page by page.
 */
#define ITER_BUF_BYTES (128 * 1024)
_Static_assert(ITER_BUF_BYTES >= 2 * JT_TASK_REC_NEXT(JT_ARGS_MAX), "a record fits");

/* Entries in pid order (qsort(), bsearch()). */
int snapshot__by_pid(const void *a, const void *b);

/*
 * One reader's pass: the records of @share (every task where count is 1)
 * parsed into @out as they are read, through @buf (ITER_BUF_BYTES).
 */
int snapshot__read_pass(int link_fd, char *buf, const struct jt_iter_share *share,
			struct ps_snapshot *out);

/* The readers of @it's other shares, started where the machine has them (snapshot_pool.c). */
void snapshot_pool__start(struct snapshot_iter *it);
void snapshot_pool__free(struct iter_pool *pool);
/* How many readers @pool has, the caller's share 0 included. */
unsigned int snapshot_pool__readers(const struct iter_pool *pool);
/* A pass read by @pool's readers into @out: 0, a negative errno, or 1 (read it alone). */
int snapshot_pool__read(struct iter_pool *pool, struct ps_snapshot *out);

#endif
