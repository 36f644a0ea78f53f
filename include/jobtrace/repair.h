/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The repair sweep: every so often, the processes the event source counts
 * alive (the procs map, proc mode's table) are checked against the live
 * task list a sample has just read. One that no live task has backed in two
 * sweeps in a row ended unseen (its exit was missed: tagged as it began to
 * exit, an overflow, a fault): the source drops it and fixes its job's
 * count, and the job counts a repair. Two sweeps, not one: a process that
 * ends between the live read and the walk of the map is in the map for an
 * instant after its task is gone, and its own exit takes it.
 */
#ifndef JOBTRACE_REPAIR_H
#define JOBTRACE_REPAIR_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>

#include "jobtrace/lineage_abi.h"

struct collector;
struct source_ops;

/* A set of processes by (tgid, start time): open addressing, grown as needed. */
struct repair_set {
	struct jt_proc_key *slots; /* tgid 0: empty */
	size_t cap, n;
};

struct repair {
	struct repair_set live; /* processes the live read of this sweep saw */
	struct repair_set suspects; /* held but not live at the last sweep */
	__u64 period_ns, next_ns;
	bool collecting; /* the current live read is a sweep's */
	bool failed; /* a set could not grow: this sweep is abandoned */
	__u64 sweeps, repaired;
	size_t live_last; /* processes the last sweep's live read saw: the next one's room */
};

void repair__init(struct repair *r, __u64 period_ns, __u64 now_ns);
void repair__free(struct repair *r);
/* Is a sweep due at @now_ns? Then the live read that follows is collected for it. */
bool repair__begin(struct repair *r, __u64 now_ns);
void repair__note_live(struct repair *r, __u32 tgid, __u64 start_ns);
/* The live read failed: no sweep on a partial view. */
void repair__abort(struct repair *r);
/*
 * Walks what the source holds (@ops->for_each_proc) and drops what two
 * sweeps in a row found without a live task; @fn sees each drop's job.
 * Returns how many were dropped, or a negative errno.
 */
int repair__finish(struct repair *r, struct collector *c, const struct source_ops *ops,
		   void (*fn)(void *ctx, __u64 job_id), void *ctx);

#ifdef __cplusplus
}
#endif

#endif
