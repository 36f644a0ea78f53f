// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A snapshot of all processes from the numeric dirs of a proc root. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/json.h"
#include "jobtrace/proc_walk.h"
#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

/* A readdir name that is a pid: digits only, no sign, no leading zero, fits an int. */
static int name_to_pid(const char *s)
{
	long v = 0;

	if (*s < '1' || *s > '9')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
		if (v > INT32_MAX)
			return 0;
	}
	return (int)v;
}

/* ticks * 1e9 / hz without overflowing for any uptime we will see. */
static uint64_t ticks_to_ns(uint64_t ticks, uint64_t hz)
{
	return ticks / hz * 1000000000ull + ticks % hz * 1000000000ull / hz;
}

static void entry_fill(struct proc_walk_entry *e, const struct proc_stat_fields *st, uint64_t hz,
		       uint64_t page_size)
{
	memset(e, 0, sizeof(*e));
	e->pid = st->pid;
	e->ppid = st->ppid;
	e->state = st->state;
	e->flags = st->flags;
	e->cpu_ns = ticks_to_ns(st->utime_ticks + st->stime_ticks, hz);
	e->rss_bytes = st->rss_pages > 0 ? (uint64_t)st->rss_pages * page_size : 0;
	e->vm_bytes = st->vsize_bytes;
	e->starttime_ticks = st->starttime_ticks;
	e->num_threads = st->num_threads > 0 && st->num_threads <= UINT32_MAX ?
				 (uint32_t)st->num_threads : 0;
	memcpy(e->comm, st->comm, sizeof(e->comm));
	e->comm_len = st->comm_len;
}

static int walk_append(struct proc_walk *w, const struct proc_stat_fields *st, uint64_t hz,
		       uint64_t page_size)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		void *p = reallocarray(w->entries, cap, sizeof(*w->entries));

		if (!p)
			return -ENOMEM;
		w->entries = p;
		w->cap = cap;
	}
	entry_fill(&w->entries[w->n++], st, hz, page_size);
	return 0;
}

int proc_walk__read_entry(int proc_fd, int pid, long ticks_per_sec, long page_size,
			  struct proc_walk_entry *out)
{
	struct proc_stat_fields st;
	int err;

	if (ticks_per_sec <= 0 || page_size <= 0)
		return -EINVAL;
	err = proc_pid__read_stat(proc_fd, pid, &st);
	if (err)
		return err;
	entry_fill(out, &st, (uint64_t)ticks_per_sec, (uint64_t)page_size);
	return 0;
}

struct pid_list {
	int *pids;
	size_t n, cap;
};

static int add_pid(const char *name, void *ctx)
{
	struct pid_list *pl = ctx;
	int pid = name_to_pid(name);

	if (!pid)
		return 0;
	if (pl->n == pl->cap) {
		int err = util__grow(&pl->pids, &pl->cap, sizeof(*pl->pids), 512, UTIL_NO_MAX);

		if (err)
			return err;
	}
	pl->pids[pl->n++] = pid;
	return 0;
}

int proc_walk__pids_dir(const struct sysfs_dir *proc, int **pids, size_t *n)
{
	struct pid_list pl = { 0 };
	int err = sysfs_dir__list(proc, add_pid, &pl);

	if (err) {
		free(pl.pids);
		pl.pids = NULL;
		pl.n = 0;
	}
	*pids = pl.pids;
	*n = pl.n;
	return err;
}

int proc_walk__pids(int proc_fd, int **pids, size_t *n)
{
	struct sysfs_dir proc;

	sysfs_dir__from_fd(&proc, proc_fd);
	return proc_walk__pids_dir(&proc, pids, n);
}

static int cmp_pid(const void *a, const void *b)
{
	const struct proc_walk_entry *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int node_by_pid(const void *a, const void *b)
{
	const struct proc_tree_node *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int node_by_ppid(const void *a, const void *b)
{
	const struct proc_tree_node *x = a, *y = b;

	if (x->ppid != y->ppid)
		return (x->ppid > y->ppid) - (x->ppid < y->ppid);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

int proc_tree__build(struct proc_tree *t, const void *recs, size_t n, proc_tree_ids_fn ids)
{
	memset(t, 0, sizeof(*t));
	t->by_pid = calloc(n ? n : 1, sizeof(*t->by_pid));
	t->by_ppid = calloc(n ? n : 1, sizeof(*t->by_ppid));
	if (!t->by_pid || !t->by_ppid) {
		proc_tree__free(t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		ids(recs, i, &t->by_pid[i].pid, &t->by_pid[i].ppid);
		t->by_pid[i].idx = i;
	}
	t->n = n;
	memcpy(t->by_ppid, t->by_pid, n * sizeof(*t->by_pid));
	/* qsort() wants a non-NULL base even for no elements: both are allocated. */
	qsort(t->by_pid, n, sizeof(*t->by_pid), node_by_pid);
	qsort(t->by_ppid, n, sizeof(*t->by_ppid), node_by_ppid);
	return 0;
}

void proc_tree__free(struct proc_tree *t)
{
	if (!t)
		return;
	free(t->by_pid);
	free(t->by_ppid);
	memset(t, 0, sizeof(*t));
}

const struct proc_tree_node *proc_tree__find(const struct proc_tree *t, int32_t pid)
{
	struct proc_tree_node key = { .pid = pid };

	if (!t->n)
		return NULL;
	return bsearch(&key, t->by_pid, t->n, sizeof(*t->by_pid), node_by_pid);
}

const struct proc_tree_node *proc_tree__children(const struct proc_tree *t, int32_t pid,
						 size_t *n)
{
	size_t lo = 0, hi = t->n, first;

	/* Lower bound of ppid == @pid in the (ppid, pid) order. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->by_ppid[mid].ppid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < t->n && t->by_ppid[lo].ppid == pid)
		lo++;
	*n = lo - first;
	return *n ? &t->by_ppid[first] : NULL;
}

struct tree_item {
	const struct proc_tree_node *node;
	size_t depth;
};

/*
 * Depth-first from @start with an explicit stack. @seen marks the records
 * visited so far: each is visited once, so a pid that appears twice (a
 * fixture, or a reused pid between two reads) cannot make a loop of its
 * children, whatever the parent links say.
 */
static int tree_walk_from(const struct proc_tree *t, const struct proc_tree_node *start,
			  proc_tree_visit_fn visit, void *ctx, bool *seen,
			  struct tree_item **stack, size_t *cap)
{
	size_t top = 0;
	int err;

	if (seen[start->idx])
		return 0;
	if (*cap == 0) {
		err = util__grow(stack, cap, sizeof(**stack), 64, UTIL_NO_MAX);
		if (err)
			return err;
	}
	seen[start->idx] = true;
	(*stack)[top++] = (struct tree_item){ start, 0 };
	while (top) {
		struct tree_item it = (*stack)[--top];
		const struct proc_tree_node *kids;
		size_t nk;

		err = visit(it.node->idx, it.depth, ctx);
		if (err)
			return err;
		kids = proc_tree__children(t, it.node->pid, &nk);
		/* Pushed last to first, so that the lowest pid is visited first. */
		for (size_t k = nk; k-- > 0;) {
			/* pid 0's idle task is its own parent; a cycle comes back. */
			if (seen[kids[k].idx])
				continue;
			if (top == *cap) {
				err = util__grow(stack, cap, sizeof(**stack), 64, UTIL_NO_MAX);
				if (err)
					return err;
			}
			seen[kids[k].idx] = true;
			(*stack)[top++] = (struct tree_item){ &kids[k], it.depth + 1 };
		}
	}
	return 0;
}

int proc_tree__walk(const struct proc_tree *t, const struct proc_tree_node *root,
		    proc_tree_visit_fn visit, void *ctx)
{
	struct tree_item *stack = NULL;
	size_t cap = 0;
	bool *seen;
	int err = 0;

	seen = calloc(t->n ? t->n : 1, sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	if (root) {
		err = tree_walk_from(t, root, visit, ctx, seen, &stack, &cap);
		goto out;
	}
	for (size_t i = 0; i < t->n && !err; i++) {
		const struct proc_tree_node *nd = &t->by_pid[i];

		if (nd->ppid == nd->pid || !proc_tree__find(t, nd->ppid))
			err = tree_walk_from(t, nd, visit, ctx, seen, &stack, &cap);
	}
	/*
	 * What no root reached is a parent cycle (2 -> 3 -> 2), which only a
	 * doctored or torn read can show: each cycle starts at its lowest pid,
	 * so every process is listed, once.
	 */
	for (size_t i = 0; i < t->n && !err; i++) {
		if (!seen[t->by_pid[i].idx])
			err = tree_walk_from(t, &t->by_pid[i], visit, ctx, seen, &stack, &cap);
	}
out:
	free(stack);
	free(seen);
	return err;
}

static void walk_ids(const void *recs, size_t i, int32_t *pid, int32_t *ppid)
{
	const struct proc_walk_entry *e = &((const struct proc_walk_entry *)recs)[i];

	*pid = e->pid;
	*ppid = e->ppid;
}

static int walk_index(struct proc_walk *w)
{
	int err;

	/* readdir of /proc is in pid order, of a fixture tree in no order. */
	if (w->n)
		qsort(w->entries, w->n, sizeof(*w->entries), cmp_pid);
	err = proc_tree__build(&w->tree, w->entries, w->n, walk_ids);
	if (err)
		return err;
	w->by_ppid = calloc(w->n ? w->n : 1, sizeof(*w->by_ppid));
	if (!w->by_ppid)
		return -ENOMEM;
	for (size_t i = 0; i < w->n; i++)
		w->by_ppid[i] = &w->entries[w->tree.by_ppid[i].idx];
	return 0;
}

struct snap {
	const struct sysfs_dir *proc;
	struct proc_walk *w;
	uint64_t hz, page_size;
};

static int snap_add(const char *name, void *ctx)
{
	struct snap *sn = ctx;
	/* 52 fields of at most 20 digits and a 63-byte comm fit twice over. */
	char path[32], buf[4096];
	struct proc_stat_fields st;
	int pid = name_to_pid(name);
	ssize_t n;

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "%d/stat", pid);
	n = sysfs_dir__read(sn->proc, path, buf, sizeof(buf));
	/* A numeric name that is a file, not a pid directory, is no process. */
	if (n == -ENOTDIR)
		return 0;
	if (n == -ENOENT || n == -ESRCH) {
		sn->w->vanished++;
		return 0;
	}
	/* One odd process must not cost the whole snapshot. */
	if (n < 0 || proc_pid__parse_stat(buf, (size_t)n, &st)) {
		sn->w->unreadable++;
		return 0;
	}
	return walk_append(sn->w, &st, sn->hz, sn->page_size);
}

int proc_walk__snapshot_dir(const struct sysfs_dir *proc, long ticks_per_sec, long page_size,
			    struct proc_walk **out)
{
	struct snap sn = { .proc = proc };
	int err;

	*out = NULL;
	if (ticks_per_sec <= 0 || page_size <= 0)
		return -EINVAL;
	sn.w = calloc(1, sizeof(*sn.w));
	if (!sn.w)
		return -ENOMEM;
	sn.hz = (uint64_t)ticks_per_sec;
	sn.page_size = (uint64_t)page_size;
	err = sysfs_dir__list(proc, snap_add, &sn);
	if (!err)
		err = walk_index(sn.w);
	if (err) {
		proc_walk__free(sn.w);
		return err;
	}
	*out = sn.w;
	return 0;
}

int proc_walk__snapshot(int proc_fd, long ticks_per_sec, long page_size, struct proc_walk **out)
{
	struct sysfs_dir proc;

	sysfs_dir__from_fd(&proc, proc_fd);
	return proc_walk__snapshot_dir(&proc, ticks_per_sec, page_size, out);
}

void proc_walk__free(struct proc_walk *w)
{
	if (!w)
		return;
	proc_tree__free(&w->tree);
	free(w->by_ppid);
	free(w->entries);
	free(w);
}

const struct proc_walk_entry *proc_walk__find(const struct proc_walk *w, int pid)
{
	struct proc_walk_entry key = { .pid = pid };

	if (!w->n)
		return NULL;
	return bsearch(&key, w->entries, w->n, sizeof(*w->entries), cmp_pid);
}

const struct proc_walk_entry *const *proc_walk__children(const struct proc_walk *w, int pid,
							  size_t *n)
{
	const struct proc_tree_node *kids = proc_tree__children(&w->tree, pid, n);

	/* w->by_ppid is parallel to the tree's (ppid, pid) order. */
	return kids ? (const struct proc_walk_entry *const *)&w->by_ppid[kids - w->tree.by_ppid]
		    : NULL;
}

void proc_walk__count_states(const struct proc_walk *w, struct proc_state_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < w->n; i++) {
		switch (w->entries[i].state) {
		case 'R':
			out->running++;
			break;
		case 'S':
			out->sleeping++;
			break;
		case 'D':
			out->disk_sleep++;
			break;
		case 'Z':
			out->zombie++;
			break;
		case 'T':
			out->stopped++;
			break;
		case 't':
			out->tracing_stop++;
			break;
		case 'I':
			out->idle++;
			break;
		case 'X':
		case 'x':
			out->dead++;
			break;
		case 'P':
			out->parked++;
			break;
		default:
			out->other++;
			break;
		}
		out->total++;
	}
}

struct print_ctx {
	const struct proc_walk *w;
	FILE *f;
};

static int print_one(size_t idx, size_t depth, void *ctx)
{
	const struct print_ctx *pc = ctx;
	const struct proc_walk_entry *e = &pc->w->entries[idx];
	FILE *f = pc->f;

	fprintf(f, "%*s%d ", (int)(2 * depth), "", e->pid);
	text__escape(f, e->comm, e->comm_len);
	fputc('\n', f);
	return 0;
}

int proc_walk__print_tree(const struct proc_walk *w, FILE *f)
{
	struct print_ctx pc = { w, f };

	return proc_tree__walk(&w->tree, NULL, print_one, &pc);
}
