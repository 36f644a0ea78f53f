/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A snapshot of every process, made by walking the numeric dirs of a proc
 * root and reading each PID/stat. Processes come and go during the walk: a
 * pid whose stat is gone by the time we read it is counted, not reported.
 */
#ifndef JOBTRACE_PROC_WALK_H
#define JOBTRACE_PROC_WALK_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "jobtrace/proc_pid.h"

struct sysfs_dir;

struct proc_walk_entry {
	int32_t pid;
	int32_t ppid;
	uint64_t cpu_ns;		/* utime + stime */
	uint64_t rss_bytes;
	uint64_t vm_bytes;		/* (23) vsize */
	uint64_t starttime_ticks;	/* with pid, tells a reused pid apart */
	uint32_t num_threads;
	uint32_t comm_len;
	uint32_t flags;			/* (9) flags: PROC_PF_KTHREAD, a kernel thread */
	char state;
	char comm[PROC_COMM_MAX];
};

/*
 * The one process-tree walk: a parent-to-children index over any array of
 * processes (this walk of /proc, the BPF iterator's ps snapshot), and a
 * depth-first walk over it. @ids gives the pid and parent pid of record @i.
 */
typedef void (*proc_tree_ids_fn)(const void *recs, size_t i, int32_t *pid, int32_t *ppid);

struct proc_tree_node {
	int32_t pid;
	int32_t ppid;
	size_t idx;	/* of the record */
};

struct proc_tree {
	struct proc_tree_node *by_ppid;	/* by (ppid, pid): children of one pid are a run */
	struct proc_tree_node *by_pid;	/* by pid */
	size_t n;
};

/* 0 or -ENOMEM; *@t is empty on error. proc_tree__free() is NULL-safe. */
int proc_tree__build(struct proc_tree *t, const void *recs, size_t n, proc_tree_ids_fn ids);
void proc_tree__free(struct proc_tree *t);

/* The node of @pid, or NULL. */
const struct proc_tree_node *proc_tree__find(const struct proc_tree *t, int32_t pid);

/* Children of @pid, by pid: *@n nodes from the returned pointer (NULL when none). */
const struct proc_tree_node *proc_tree__children(const struct proc_tree *t, int32_t pid,
						 size_t *n);

/* Called per node with its record, parents before children; @depth 0 at the start. */
typedef int (*proc_tree_visit_fn)(size_t idx, size_t depth, void *ctx);

/*
 * Depth-first from @root (a node of @t), children in pid order; or, with a
 * NULL @root, from every root in pid order: a node whose parent is not in
 * the tree, or that is its own parent (pid 0's idle task), then from the
 * lowest pid of each parent cycle no root reaches. Every node is visited
 * once at most (with a NULL @root, exactly once), so a pid loop or a
 * duplicate pid cannot spin or repeat; no recursion, so a chain of any
 * length is fine.
 * Returns 0, -ENOMEM, or the first non-zero return of @visit, which stops it.
 */
int proc_tree__walk(const struct proc_tree *t, const struct proc_tree_node *root,
		    proc_tree_visit_fn visit, void *ctx);

struct proc_walk {
	struct proc_walk_entry *entries;	/* sorted by pid */
	size_t n;
	size_t cap;
	size_t vanished;	/* listed by readdir, gone before its stat was read */
	size_t unreadable;	/* stat present but not parseable (or -EACCES): skipped */
	struct proc_tree tree;	/* over @entries */
	/* @entries in @tree's (ppid, pid) order, for proc_walk__children(). */
	const struct proc_walk_entry **by_ppid;
};

/* Per-state counts, the way ApMon reports process states. */
struct proc_state_counts {
	size_t running;		/* R */
	size_t sleeping;	/* S */
	size_t disk_sleep;	/* D */
	size_t zombie;		/* Z */
	size_t stopped;		/* T */
	size_t tracing_stop;	/* t (T before 2.6.33) */
	size_t idle;		/* I, kernel threads since 4.14 */
	size_t dead;		/* X, and x of 2.6.33-3.13 */
	size_t parked;		/* P, 3.9-3.13 */
	size_t other;		/* K, W and anything a future kernel adds */
	size_t total;
};

/*
 * Walks @proc_fd (an open proc root) into *@out. @ticks_per_sec and
 * @page_size convert stat's units; pass sysconf(_SC_CLK_TCK) and
 * sysconf(_SC_PAGESIZE). Returns 0 or a negative errno; on error *@out is NULL.
 */
int proc_walk__snapshot(int proc_fd, long ticks_per_sec, long page_size, struct proc_walk **out);
/*
 * The same over a proc root as a struct sysfs_dir (sysfs_attr.h): a real
 * one, or an image of "PID/stat" records, which a test or a fuzzer builds.
 */
int proc_walk__snapshot_dir(const struct sysfs_dir *proc, long ticks_per_sec, long page_size,
			    struct proc_walk **out);
/*
 * One process, @pid, read as proc_walk__snapshot() reads each: 0, -ESRCH when
 * it is gone, or another negative errno.
 */
int proc_walk__read_entry(int proc_fd, int pid, long ticks_per_sec, long page_size,
			  struct proc_walk_entry *out);
/*
 * The pids a readdir of @proc_fd lists, in its order, into a malloc'd array
 * (the caller frees *@pids, even for none). 0 or a negative errno.
 */
int proc_walk__pids(int proc_fd, int **pids, size_t *n);
int proc_walk__pids_dir(const struct sysfs_dir *proc, int **pids, size_t *n);
void proc_walk__free(struct proc_walk *w);

/* The entry of @pid, or NULL. */
const struct proc_walk_entry *proc_walk__find(const struct proc_walk *w, int pid);

/*
 * Children of @pid in the snapshot, sorted by pid: *@n entries from the
 * returned pointer (NULL when there are none). Pid 0 gives the roots the
 * kernel made (init, kthreadd).
 */
const struct proc_walk_entry *const *proc_walk__children(const struct proc_walk *w, int pid,
							  size_t *n);

void proc_walk__count_states(const struct proc_walk *w, struct proc_state_counts *out);

/*
 * Prints the process tree, one "pid comm" per line, indented two spaces a
 * level, comm escaped for a terminal. Roots are the entries whose parent is
 * not in the snapshot (or that are their own parent), in pid order. 0 or -ENOMEM.
 */
int proc_walk__print_tree(const struct proc_walk *w, FILE *f);

#ifdef __cplusplus
}
#endif

#endif
