// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The /proc side of a process snapshot: a walk of /proc where the task
 * iterator cannot be used, and the processes /proc shows that the
 * iterator did not (an LSM can hide a task from it), read one by one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/loadavg.h"
#include "jobtrace/proc_walk.h"
#include "jobtrace/snapshot.h"
#include "jobtrace/util.h"
#include "snapshot_priv.h"

/*
 * A ps entry from a /proc walk entry. The uid is the real one, as the
 * iterator reports it: (1) of status's Uid line. -ESRCH when the process
 * went away between its stat and its status.
 */
static int entry_from_walk(int proc_fd, const struct proc_walk_entry *e, long ticks,
			   struct ps_entry *p)
{
	size_t len = e->comm_len < sizeof(p->comm) - 1 ? e->comm_len : sizeof(p->comm) - 1;
	struct proc_status st;
	int err;

	memset(p, 0, sizeof(*p));
	p->pid = e->pid;
	p->ppid = e->ppid;
	p->state = e->state;
	p->threads = e->num_threads;
	p->cpu_ns = e->cpu_ns;
	p->rss_bytes = e->rss_bytes;
	p->vm_bytes = e->vm_bytes;
	/* (22) starttime is in clock ticks since boot. */
	p->start_boot_ns = e->starttime_ticks * (1000000000ULL / (unsigned long long)ticks);
	memcpy(p->comm, e->comm, len);
	p->comm[len] = '\0';
	/* (9) flags: the kernel's own mark, not a guess from the parent. */
	p->kthread = !!(e->flags & PROC_PF_KTHREAD);
	err = proc_pid__read_status(proc_fd, e->pid, &st);
	if (err == -ESRCH)
		return err;
	/* Unreadable or odd: the rest of the entry is still good. */
	p->uid = err ? PS_UID_UNKNOWN : st.uid_real;
	p->ns_pid = err ? 0 : st.ns_pid;
	return 0;
}

bool snapshot__proc_is_ours(int proc_fd)
{
	char self[32], want[32];
	ssize_t n;

	n = readlinkat(proc_fd, "self", self, sizeof(self) - 1);
	if (n < 0)
		return false;
	self[n] = '\0';
	snprintf(want, sizeof(want), "%d", (int)getpid());
	return !strcmp(self, want);
}

/*
 * Whether the pids under @proc_fd are the initial namespace's: its "self" is
 * us and we are in the initial pid namespace (PROC_PID_INIT_INO, fixed since
 * 3.8). Elsewhere, a container's /proc or a copied tree, the host's pids
 * cannot be known from /proc.
 */
static bool proc_has_host_pids(int proc_fd)
{
	char ns[64];
	ssize_t n;

	if (!snapshot__proc_is_ours(proc_fd))
		return false;
	n = readlinkat(proc_fd, "self/ns/pid", ns, sizeof(ns) - 1);
	if (n < 0)
		return false;
	ns[n] = '\0';
	return !strcmp(ns, "pid:[4026531836]");
}

int snapshot__from_proc(int proc_fd, struct ps_snapshot *out)
{
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	__u64 start = util__now_ns();
	struct proc_walk *w = NULL;
	size_t n = 0;
	bool host;
	int err;

	memset(out, 0, sizeof(*out));
	err = proc_walk__snapshot(proc_fd, ticks, page, &w);
	if (err)
		return err;
	out->procs = calloc(w->n ? w->n : 1, sizeof(*out->procs));
	if (!out->procs) {
		proc_walk__free(w);
		return -ENOMEM;
	}
	out->vanished = w->vanished;
	out->unreadable = w->unreadable;
	host = proc_has_host_pids(proc_fd);
	for (size_t i = 0; i < w->n; i++) {
		if (entry_from_walk(proc_fd, &w->entries[i], ticks, &out->procs[n])) {
			out->vanished++;
			continue;
		}
		if (host)
			out->procs[n].host_pid = out->procs[n].pid;
		out->procs[n].from_proc = true;
		n++;
	}
	out->n = n;
	out->tasks = n;
	out->source = "proc";
	proc_walk__free(w);
	out->read_ns = util__now_ns() - start;
	return 0;
}

/*
 * @pid read from /proc and added past the sorted head of @s, unless it is
 * gone, or born at or after @before_boot_ns (the iterator could not have
 * seen it). 0 whether or not it was added; a negative errno only where @s
 * cannot grow.
 */
static int fill_one(struct ps_snapshot *s, size_t *cap, int proc_fd, int pid, bool host,
		    __u64 before_boot_ns)
{
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct proc_walk_entry e;
	struct ps_entry p;
	int err;

	err = proc_walk__read_entry(proc_fd, pid, ticks, page, &e);
	if (!err)
		err = entry_from_walk(proc_fd, &e, ticks, &p);
	if (err == -ESRCH)
		return 0; /* gone since: it would not be in either source now */
	if (err) {
		s->missing_from_proc++;
		return 0;
	}
	/* Born after the iterator ran: not a process it failed to see. */
	if (p.start_boot_ns >= before_boot_ns)
		return 0;
	if (s->n == *cap) {
		err = util__grow(&s->procs, cap, sizeof(*s->procs), 16, UTIL_NO_MAX);
		if (err)
			return err;
	}
	p.from_proc = true;
	if (host)
		p.host_pid = p.pid;
	s->procs[s->n++] = p;
	s->filled_from_proc++;
	return 0;
}

/*
 * Whether the kernel counts as many tasks as @s holds: the iterator's
 * records and the threads of each process read from /proc besides.
 * /proc/loadavg's total is every task of the host (nr_threads), read after
 * the iterator: a fork or an exit in between makes them differ, and the
 * caller then walks /proc, as it would have anyway. With @before, the same
 * line read just before the iterator, they must also show that no task
 * began (last_pid: every task takes a pid of the initial namespace) and
 * none ended meanwhile: otherwise births and exits could add up to exactly
 * a process the iterator did not show. In a nested pid namespace the
 * iterator sees fewer than the host's total: never equal.
 */
static bool counts_agree(struct ps_snapshot *s, int proc_fd, const struct loadavg *before)
{
	struct loadavg load;
	size_t tasks = s->tasks;

	if (loadavg__read(proc_fd, &load))
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (s->procs[i].from_proc)
			tasks += s->procs[i].threads ? s->procs[i].threads : 1;
	s->kernel_tasks = load.nr_threads;
	if (before && (before->nr_threads != load.nr_threads || before->last_pid != load.last_pid))
		return false;
	return tasks == load.nr_threads;
}

int snapshot__fill_from_proc(struct ps_snapshot *s, int proc_fd, __u64 before_boot_ns)
{
	return snapshot__fill_from_proc_since(s, proc_fd, before_boot_ns, NULL);
}

int snapshot__fill_from_proc_since(struct ps_snapshot *s, int proc_fd, __u64 before_boot_ns,
				   const struct loadavg *before)
{
	size_t npids, cap = s->n, head = s->n;
	bool host;
	int *pids, err = 0;

	host = proc_has_host_pids(proc_fd);
	/*
	 * Some kernels never show pid 1 to a task iterator, whatever it
	 * asks (6.18 here: a task_iter_hides() of its own hides all of
	 * process 1's threads, even from an iterator of that one tid). Read
	 * alone, it is an open or two; then the task counts say whether
	 * anything else is missing, and a walk of all of /proc (a fifth of a
	 * ps --json at 5,000 processes) is needed only when they differ.
	 */
	if (!snapshot__find(s, 1)) {
		err = fill_one(s, &cap, proc_fd, 1, host, before_boot_ns);
		if (err)
			return err;
	}
	if (counts_agree(s, proc_fd, before))
		goto sort;
	s->walked_proc = true;
	err = proc_walk__pids(proc_fd, &pids, &npids);
	if (err)
		goto sort; /* pid 1, if read, still goes to its place */
	/*
	 * /proc lists pids in ascending order, as the iterator's entries are
	 * (and stay: entries are appended past @head): one merge-like pass
	 * over both, not a binary search of 5,000 scattered entries a pid
	 * (perf: most of this function's time when it walks).
	 */
	for (size_t i = 0, j = 0; i < npids; i++) {
		if (i && pids[i] < pids[i - 1])
			j = 0; /* out of order after all: from the start again */
		while (j < head && s->procs[j].pid < pids[i])
			j++;
		if (j < head && s->procs[j].pid == pids[i])
			continue;
		/* Pid 1, read above, is appended past @head too. */
		if (pids[i] == 1 && s->n > head && s->procs[head].pid == 1)
			continue;
		err = fill_one(s, &cap, proc_fd, pids[i], host, before_boot_ns);
		if (err)
			break;
	}
	free(pids);
sort:
	/*
	 * Usually one entry came (pid 1): moved to its place, not a qsort
	 * of 5,000 entries of 150 bytes.
	 */
	if (s->n == head + 1) {
		struct ps_entry p = s->procs[head];
		size_t at = head;

		while (at && s->procs[at - 1].pid > p.pid)
			at--;
		memmove(&s->procs[at + 1], &s->procs[at], (head - at) * sizeof(p));
		s->procs[at] = p;
	} else if (s->n > head) {
		qsort(s->procs, s->n, sizeof(*s->procs), snapshot__by_pid);
	}
	return err;
}
