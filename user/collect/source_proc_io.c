// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Proc mode's I/O: each process's own, from figures that are not.
 *
 * /proc/PID/io of a whole process holds its threads' I/O and, from its reap
 * of each child on, that child's whole figures: wait_task_zombie() adds the
 * zombie's ioac and its signal's (its dead threads' and what it reaped in
 * turn) to the reaper's signal->ioac. A child whose exit we handled has a
 * record of its own, so its parent's figure would count it a second time,
 * its grandparent's a third.
 *
 * A process's own I/O is therefore its whole figure less what the records
 * of its children counted (io_charged), and, for one found at the attach,
 * less what it had then (io_base: what it and the children it had reaped
 * did before). A zombie child found at the attach is charged to its parent
 * as one counted, as its figures are not the job's either. What a child's
 * record and those of its subtree counted is its whole figure as we last
 * read it: read from its zombie at its exit, that is to the byte what its
 * reaper gets. A zombie read missed (the parent reaped first) leaves the
 * child's record with the last sample's figures and the rest in its
 * parent's own: each process off by that, the job's sum exact where the
 * reaper is a member (or run, which reads its own children before it reaps
 * them). A child whose exit we never saw (lost messages) has no record and
 * is charged to no one: it counts in its parent.
 *
 * A child's figures join those of the process that reaps it: at its exit,
 * the parent its zombie's stat names (the kernel's real_parent), else the
 * exit message's (4.18 on; the same one), charged with them at once. A
 * child that has ended and is not reaped yet is charged all the same, and
 * kept here until it is seen gone (source_proc__io_settle() when its parent
 * ends, a prune when the table grows): a parent that ends first hands it
 * to its own reaper (exit_notify() reparents it before the parent's exit
 * message is sent), and its charge moves with it, to a member that reaps
 * (a subreaper in the job) or out of the job. An autoreaped child (its
 * parent ignores SIGCHLD) is released before its exit message, which names
 * no parent then: no one gets its figures, and no one is charged.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/proc_pid.h"

#include "source_proc_priv.h"

static __u64 sub0(__u64 a, __u64 b)
{
	return a > b ? a - b : 0;
}

static __u64 max64(__u64 a, __u64 b)
{
	return a > b ? a : b;
}

static void pio_add(struct pio *d, const struct pio *a)
{
	d->read_bytes += a->read_bytes;
	d->write_bytes += a->write_bytes;
	d->rchar += a->rchar;
	d->wchar += a->wchar;
}

static void pio_sub(struct pio *d, const struct pio *a)
{
	d->read_bytes = sub0(d->read_bytes, a->read_bytes);
	d->write_bytes = sub0(d->write_bytes, a->write_bytes);
	d->rchar = sub0(d->rchar, a->rchar);
	d->wchar = sub0(d->wchar, a->wchar);
}

void source_proc__io_read(struct pproc *p, const struct proc_io *io)
{
	p->io_whole.read_bytes = io->read_bytes;
	p->io_whole.write_bytes = io->write_bytes;
	p->io_whole.rchar = io->rchar;
	p->io_whole.wchar = io->wchar;
}

/* @p joins at the attach: what it did until now, read just before, is not the job's. */
void source_proc__io_joined(struct pproc *p)
{
	p->io_base = p->io_whole;
}

/*
 * @p's own I/O so far. Between a child's exit and its reap the child is
 * charged and not yet in @p's figure: the difference is short by it (never
 * below 0) until the reap, never over.
 */
void source_proc__io_own(const struct pproc *p, struct pio *out)
{
	out->read_bytes =
	    sub0(p->io_whole.read_bytes, p->io_base.read_bytes + p->io_charged.read_bytes);
	out->write_bytes =
	    sub0(p->io_whole.write_bytes, p->io_base.write_bytes + p->io_charged.write_bytes);
	out->rchar = sub0(p->io_whole.rchar, p->io_base.rchar + p->io_charged.rchar);
	out->wchar = sub0(p->io_whole.wchar, p->io_base.wchar + p->io_charged.wchar);
}

/*
 * What @p's reaper gets and the records counted apart (its own, its
 * base, its charges): its whole figure unless the own figure was cut at 0.
 */
static void io_counted(const struct pproc *p, struct pio *out)
{
	out->read_bytes =
	    max64(p->io_whole.read_bytes, p->io_base.read_bytes + p->io_charged.read_bytes);
	out->write_bytes =
	    max64(p->io_whole.write_bytes, p->io_base.write_bytes + p->io_charged.write_bytes);
	out->rchar = max64(p->io_whole.rchar, p->io_base.rchar + p->io_charged.rchar);
	out->wchar = max64(p->io_whole.wchar, p->io_base.wchar + p->io_charged.wchar);
}

/* ---- the children charged and not yet seen reaped ---- */

static struct pcharge **charge_bucket(struct proc_src *s, __u32 tgid)
{
	return &s->charges[(tgid * 2654435761U) & (CHARGE_BUCKETS - 1)];
}

static bool same_start(const struct proc_src *s, __u64 a, __u64 b)
{
	/* starttime is cut to a tick; a fork's time is the event's, a little later. */
	return (a > b ? a - b : b - a) <= 2 * s->tick_ns;
}

/* Is @c's process still there (a zombie not yet released)? Its parent now in @ppid. */
static bool still_there(struct proc_src *s, const struct pcharge *c, __u32 *ppid)
{
	struct proc_stat_fields st;

	if (proc_pid__read_stat(s->proc_fd, (int)c->tgid, &st) ||
	    !same_start(s, source_proc__start_ns_of(s, &st), c->start_ns))
		return false;
	*ppid = (__u32)st.ppid;
	return true;
}

/*
 * Takes *@pp out of the table. @uncharge: its parent never got its
 * figures after all (it went elsewhere): they are the parent's to count.
 */
static void charge_drop(struct proc_src *s, struct pcharge **pp, bool uncharge)
{
	struct pcharge *c = *pp;
	struct pproc *parent = source_proc__find(s, c->parent_tgid);

	/* Its pid may name another process by now: that one was never charged. */
	if (parent && parent->start_ns == c->parent_start_ns && parent->npending) {
		if (uncharge)
			pio_sub(&parent->io_charged, &c->io);
		parent->npending--;
	}
	*pp = c->next;
	free(c);
	s->ncharges--;
}

/*
 * Those gone are reaped, their parents' for good: the table keeps the
 * others. kill(0) asks without a /proc read; a pid reused meanwhile is
 * kept until its parent ends, where the start time is checked.
 */
static void charges_prune(struct proc_src *s)
{
	for (size_t b = 0; b < CHARGE_BUCKETS; b++) {
		struct pcharge **pp = &s->charges[b];

		while (*pp) {
			if (kill((pid_t)(*pp)->tgid, 0) && errno == ESRCH)
				charge_drop(s, pp, false);
			else
				pp = &(*pp)->next;
		}
	}
	s->charges_prune_at =
	    2 * s->ncharges > CHARGES_PRUNE_MIN ? 2 * s->ncharges : CHARGES_PRUNE_MIN;
}

/*
 * @p has ended (its zombie read, if it could be): its children charged and
 * not seen reaped are either gone (reaped by it: charged for good), still
 * its own (its main thread ended before its other threads, which may reap
 * them yet: charged too), or handed to its reaper, where the charge goes.
 */
void source_proc__io_settle(struct proc_src *s, struct pproc *p)
{
	for (size_t b = 0; p->npending && b < CHARGE_BUCKETS; b++) {
		struct pcharge **pp = &s->charges[b];

		while (*pp) {
			struct pcharge *c = *pp;
			struct pproc *to;
			__u32 ppid;

			if (c->parent_tgid != p->tgid || c->parent_start_ns != p->start_ns) {
				pp = &c->next;
			} else if (!still_there(s, c, &ppid) || ppid == p->tgid) {
				charge_drop(s, pp, false);
			} else if ((to = source_proc__find(s, ppid)) && to != p) {
				pio_sub(&p->io_charged, &c->io);
				p->npending--;
				pio_add(&to->io_charged, &c->io);
				to->npending++;
				c->parent_tgid = to->tgid;
				c->parent_start_ns = to->start_ns;
				pp = &c->next;
			} else {
				charge_drop(s, pp, true);
			}
		}
	}
}

/* Charges @parent with @io, the figures of its child @tgid, which it has not reaped yet. */
static void charge_pending(struct proc_src *s, struct pproc *parent, __u32 tgid, __u64 start_ns,
			   const struct pio *io)
{
	struct pcharge *c, **b;

	pio_add(&parent->io_charged, io);
	/* No room to follow its reap: it stays charged, the likely end anyway. */
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->tgid = tgid;
	c->parent_tgid = parent->tgid;
	c->parent_start_ns = parent->start_ns;
	c->start_ns = start_ns;
	c->io = *io;
	b = charge_bucket(s, tgid);
	c->next = *b;
	*b = c;
	parent->npending++;
	if (++s->ncharges >= s->charges_prune_at)
		charges_prune(s);
}

/*
 * @p ended and its record is counted: its figures go to @parent_tgid, who
 * reaps it (0: no one). @gone: already reaped.
 */
void source_proc__io_charge(struct proc_src *s, struct pproc *p, __u32 parent_tgid, bool gone)
{
	struct pproc *parent = parent_tgid ? source_proc__find(s, parent_tgid) : NULL;
	struct pio io;

	if (!parent || parent == p || p->reaped_by_us)
		return;
	io_counted(p, &io);
	if (gone)
		pio_add(&parent->io_charged, &io);
	else
		charge_pending(s, parent, p->tgid, p->start_ns, &io);
}

/*
 * The attach found @tgid, a zombie child of member @parent, ended before
 * and not reaped yet: what the reap will add to @parent's figures is not
 * the job's. Read after @parent's base: one reaped between the two reads
 * (its figures gone from /proc) counts in its parent's, a window of a few reads.
 */
void source_proc__io_charge_zombie(struct proc_src *s, struct pproc *parent, __u32 tgid,
				   __u64 start_ns)
{
	struct proc_io io;
	struct pio whole;

	if (proc_pid__read_io(s->proc_fd, (int)tgid, &io))
		return;
	whole = (struct pio){ .read_bytes = io.read_bytes, .write_bytes = io.write_bytes,
			      .rchar = io.rchar, .wchar = io.wchar };
	charge_pending(s, parent, tgid, start_ns, &whole);
}

/*
 * run: we reap @tgid ourselves (the root, or an orphan the job left us):
 * its figures reach no member, so a member charged with it is not.
 */
void source_proc__io_reaped_by_us(struct proc_src *s, __u32 tgid)
{
	struct proc_stat_fields st;
	__u64 start;

	if (proc_pid__read_stat(s->proc_fd, (int)tgid, &st))
		return;
	start = source_proc__start_ns_of(s, &st);
	for (struct pcharge **pp = charge_bucket(s, tgid); *pp; pp = &(*pp)->next) {
		if ((*pp)->tgid == tgid && same_start(s, (*pp)->start_ns, start)) {
			charge_drop(s, pp, true);
			return;
		}
	}
}

/*
 * @p is gone without an exit record (lost messages): its own I/O counts in
 * its reaper's figure, and so what its children's records counted goes on
 * to be taken off there.
 */
void source_proc__io_gone_unseen(struct proc_src *s, struct pproc *p)
{
	struct pproc *parent;

	source_proc__io_settle(s, p);
	parent = source_proc__find(s, p->ppid);
	if (parent && parent != p && !p->reaped_by_us)
		pio_add(&parent->io_charged, &p->io_charged);
}

void source_proc__io_free(struct proc_src *s)
{
	for (size_t b = 0; b < CHARGE_BUCKETS; b++) {
		struct pcharge *c = s->charges[b], *next;

		for (; c; c = next) {
			next = c->next;
			free(c);
		}
		s->charges[b] = NULL;
	}
	s->ncharges = 0;
}
