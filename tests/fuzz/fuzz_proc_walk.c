// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Pick 0: proc_walk__snapshot_dir() over an image of a proc root ("PID/stat"
 * records), then its tree printed. Pick 1: proc_tree__build() and
 * proc_tree__walk() over raw (pid, ppid) pairs, 8 bytes each: cycles,
 * duplicate pids, self-parents and deep chains. Every walk must visit each
 * record at most once, and stop.
 */
#include "jobtrace/proc_walk.h"
#include "jobtrace/sysfs_attr.h"

#include "fuzz.h"

struct fuzz_walk_seen {
	unsigned char *seen;
	size_t n, visits;
};

static int fuzz_walk_visit(size_t idx, size_t depth, void *ctx)
{
	struct fuzz_walk_seen *s = ctx;

	if (idx >= s->n || s->seen[idx] || depth >= s->n)
		abort();
	s->seen[idx] = 1;
	s->visits++;
	return 0;
}

static void fuzz_walk_pair_ids(const void *recs, size_t i, int32_t *pid, int32_t *ppid)
{
	const unsigned char *p = (const unsigned char *)recs + 8 * i;

	memcpy(pid, p, 4);
	memcpy(ppid, p + 4, 4);
}

static void fuzz_walk_tree(const struct proc_tree *t)
{
	struct fuzz_walk_seen s = { .n = t->n };
	size_t nk;

	s.seen = calloc(t->n ? t->n : 1, 1);
	if (!s.seen)
		abort();
	if (proc_tree__walk(t, NULL, fuzz_walk_visit, &s) || s.visits > t->n)
		abort();
	/* From one node too, as `ps --pid` walks a subtree. */
	if (t->n) {
		memset(s.seen, 0, t->n);
		s.visits = 0;
		if (proc_tree__walk(t, &t->by_pid[t->n / 2], fuzz_walk_visit, &s))
			abort();
		if (proc_tree__find(t, t->by_pid[0].pid) == NULL)
			abort();
		proc_tree__children(t, t->by_pid[0].pid, &nk);
	}
	free(s.seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 2);
	char *buf = fuzz__copy(data, size);
	struct proc_state_counts c;
	struct proc_walk *w;
	struct proc_tree t;
	struct sysfs_dir d;
	FILE *f;

	if (pick == 0) {
		sysfs_dir__from_image(&d, buf, size);
		if (!proc_walk__snapshot_dir(&d, 100, 4096, &w)) {
			fuzz_walk_tree(&w->tree);
			proc_walk__count_states(w, &c);
			f = fopen("/dev/null", "w");
			if (!f || proc_walk__print_tree(w, f))
				abort();
			fclose(f);
			proc_walk__free(w);
		}
	} else if (pick == 1) {
		if (proc_tree__build(&t, buf, size / 8, fuzz_walk_pair_ids))
			abort();
		fuzz_walk_tree(&t);
		proc_tree__free(&t);
	}
	free(buf);
	return 0;
}
