// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A snapshot of all processes from the numeric dirs of a proc root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/json.h"
#include "jobtrace/proc_walk.h"
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

int proc_walk__pids(int proc_fd, int **pids, size_t *n)
{
	size_t cap = 0;
	struct dirent *de;
	int pid, err;
	DIR *d;

	*pids = NULL;
	*n = 0;
	d = util__opendir_at(proc_fd, ".");
	if (!d)
		return -errno;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			err = -errno;
			break;
		}
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		pid = name_to_pid(de->d_name);
		if (!pid)
			continue;
		if (*n == cap) {
			err = util__grow(pids, &cap, sizeof(**pids), 512, UTIL_NO_MAX);
			if (err)
				break;
		}
		(*pids)[(*n)++] = pid;
	}
	closedir(d);
	if (err) {
		free(*pids);
		*pids = NULL;
		*n = 0;
	}
	return err;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct proc_walk_entry *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_ppid_pid(const void *a, const void *b)
{
	const struct proc_walk_entry *x = *(const struct proc_walk_entry *const *)a;
	const struct proc_walk_entry *y = *(const struct proc_walk_entry *const *)b;

	if (x->ppid != y->ppid)
		return (x->ppid > y->ppid) - (x->ppid < y->ppid);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int walk_index(struct proc_walk *w)
{
	w->by_ppid = calloc(w->n ? w->n : 1, sizeof(*w->by_ppid));
	if (!w->by_ppid)
		return -ENOMEM;
	/* qsort() wants a non-NULL base even for no elements. */
	if (w->n == 0)
		return 0;
	/* readdir of /proc is in pid order, of a fixture tree in no order. */
	qsort(w->entries, w->n, sizeof(*w->entries), cmp_pid);
	for (size_t i = 0; i < w->n; i++)
		w->by_ppid[i] = &w->entries[i];
	qsort(w->by_ppid, w->n, sizeof(*w->by_ppid), cmp_ppid_pid);
	return 0;
}

int proc_walk__snapshot(int proc_fd, long ticks_per_sec, long page_size, struct proc_walk **out)
{
	struct proc_stat_fields st;
	struct proc_walk *w;
	struct dirent *de;
	int pid, err;
	DIR *d;

	*out = NULL;
	if (ticks_per_sec <= 0 || page_size <= 0)
		return -EINVAL;
	d = util__opendir_at(proc_fd, ".");
	if (!d)
		return -errno;
	w = calloc(1, sizeof(*w));
	if (!w) {
		err = -ENOMEM;
		goto close_dir;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			err = -errno;
			break;
		}
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		pid = name_to_pid(de->d_name);
		if (!pid)
			continue;
		err = proc_pid__read_stat(proc_fd, pid, &st);
		if (err == -ESRCH) {
			w->vanished++;
			continue;
		}
		/* One odd process must not cost the whole snapshot. */
		if (err) {
			w->unreadable++;
			continue;
		}
		err = walk_append(w, &st, (uint64_t)ticks_per_sec, (uint64_t)page_size);
		if (err)
			break;
	}
	if (!err)
		err = walk_index(w);
	if (err) {
		proc_walk__free(w);
		goto close_dir;
	}
	*out = w;
close_dir:
	closedir(d);
	return err;
}

void proc_walk__free(struct proc_walk *w)
{
	if (!w)
		return;
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
	size_t lo = 0, hi = w->n, first;

	/* Lower bound of ppid == @pid in the (ppid, pid) order. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->by_ppid[mid]->ppid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < w->n && w->by_ppid[lo]->ppid == pid)
		lo++;
	*n = lo - first;
	return *n ? (const struct proc_walk_entry *const *)&w->by_ppid[first] : NULL;
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

struct tree_item {
	const struct proc_walk_entry *e;
	size_t depth;
};

int proc_walk__print_tree(const struct proc_walk *w, FILE *f)
{
	struct tree_item *stack;
	size_t top = 0;

	/*
	 * Depth-first with an explicit stack: a chain of thousands of
	 * processes must not overflow ours. Each entry has one parent, so it
	 * is pushed at most once and n slots suffice.
	 */
	stack = calloc(w->n ? w->n : 1, sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	for (size_t i = w->n; i-- > 0;) {
		const struct proc_walk_entry *e = &w->entries[i];

		if (e->ppid == e->pid || !proc_walk__find(w, e->ppid))
			stack[top++] = (struct tree_item){ e, 0 };
	}
	while (top) {
		struct tree_item it = stack[--top];
		const struct proc_walk_entry *const *kids;
		size_t nk;

		fprintf(f, "%*s%d ", (int)(2 * it.depth), "", it.e->pid);
		text__escape(f, it.e->comm, it.e->comm_len);
		fputc('\n', f);
		kids = proc_walk__children(w, it.e->pid, &nk);
		for (size_t k = nk; k-- > 0;) {
			if (kids[k] != it.e)
				stack[top++] = (struct tree_item){ kids[k], it.depth + 1 };
		}
	}
	free(stack);
	return 0;
}
