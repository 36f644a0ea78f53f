// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The top view's model: a row per job from the interval records, the host's
 * summary from the host record, each live process's CPU from the live
 * records (per tgid, the threads summed) and each job's last exits from the
 * process records. Its frames, as lines of text with a kind each, are made
 * by top_frame.c.
 *
 * A frame shows a snapshot taken when the sink asks for one, of the rows,
 * the host and the live processes, so a paused screen stays as it was,
 * expanded tree included, while the records keep coming in.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/job.h"
#include "jobtrace/top.h"
#include "jobtrace/util.h"

#include "top_priv.h"

/* ---- rows ---- */

static struct top_row *row_find(struct top_model *m, __u64 id, size_t *index)
{
	if (m->last_row && m->last_row->id == id && !index)
		return m->last_row;
	for (size_t i = 0; i < m->nrows; i++) {
		if (m->rows[i]->id == id) {
			if (index)
				*index = i;
			m->last_row = m->rows[i];
			return m->rows[i];
		}
	}
	return NULL;
}

static struct top_row *row_get(struct top_model *m, const struct cjob *j)
{
	struct top_row *r = row_find(m, j->id, NULL);

	if (r)
		return r;
	if (m->nrows == m->rows_cap) {
		size_t cap = m->rows_cap ? 2 * m->rows_cap : 64;
		struct top_row **rows = realloc(m->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		m->rows = rows;
		m->rows_cap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->id = j->id;
	snprintf(r->key, sizeof(r->key), "%s", j->job.key);
	m->rows[m->nrows++] = r;
	m->last_row = r;
	return r;
}

/* @ir's length in ns as interval_record__cpu_pct() takes it (a stream's: the epoch's). */
static __u64 interval_ns(const struct interval_record *ir)
{
	return ir->t1_ns > ir->t0_ns		 ? ir->t1_ns - ir->t0_ns :
	       ir->t1_epoch_ns > ir->t0_epoch_ns ? ir->t1_epoch_ns - ir->t0_epoch_ns :
						   0;
}

/*
 * A job's last interval when it ended at a tick: it comes after the host
 * record of the tick, with job_end, before the frame is drawn. It is the
 * frame's, the interval the job ended in: its processes count there, in
 * the row and in the header's exits, and the later frames, while the row
 * is kept, show it did nothing. Its CPU does not: the job had no task left
 * at the tick's sample, and what it brings is what its intervals held back
 * as over what the CPUs could give them (collector__emit_intervals()); on
 * the frame already at that bound, it would exceed the host's CPUs.
 */
static void row_end_in_frame(struct top_model *m, struct top_row *r,
			     const struct interval_record *ir)
{
	double dt = m->closed_dt;

	r->have_interval = true;
	r->started_ps += (double)ir->d.started / dt;
	r->exited_ps += (double)ir->d.exited / dt;
	r->failed += ir->d.exit_error + ir->d.exit_signal;
	r->io_bps += (double)(ir->d.read_bytes + ir->d.write_bytes) / dt;
	m->host.exits_ps += (double)ir->d.exited / dt;
}

int top_model__interval(struct top_model *m, const struct interval_record *ir)
{
	double cpu_pct;
	const struct job_command *top[1];
	struct top_row *r = row_get(m, ir->job);

	if (!r)
		return -ENOMEM;
	r->last_interval_ns = ir->t1_ns;
	r->alive = ir->alive;
	r->rss_bytes = ir->rss_bytes;
	if (job__top_commands(&ir->job->job, top, 1))
		snprintf(r->command, sizeof(r->command), "%s", top[0]->comm);
	if (m->frame_due && m->closed_dt > 0) {
		row_end_in_frame(m, r, ir);
		return 0;
	}
	/* Every job's exits count for the host's: the header's exits/s (top_model__host()). */
	m->interval_exited += ir->d.exited;
	r->frame.started += ir->d.started;
	r->frame.exited += ir->d.exited;
	r->frame.failed += ir->d.exit_error + ir->d.exit_signal;
	r->frame.io_bytes += ir->d.read_bytes + ir->d.write_bytes;
	/*
	 * Live and exited threads both: a child that lived a millisecond
	 * counts. Within what the job's tasks and the CPUs could give over
	 * the interval; one too short to give a rate (collector.h) has its
	 * CPU whole, bounded with the frame's.
	 */
	if (interval_record__cpu_pct(ir, &cpu_pct))
		r->frame.cpu_ns += cpu_pct / 100.0 * (double)interval_ns(ir);
	else
		r->frame.cpu_ns += (double)ir->d.cpu_ns;
	if (!r->frame.intervals || ir->t0_ns < r->frame.t0_ns)
		r->frame.t0_ns = ir->t0_ns;
	if (!r->frame.intervals || ir->t1_ns > r->frame.t1_ns)
		r->frame.t1_ns = ir->t1_ns;
	/* The bound of the frame's CPU: the largest of its intervals', none if one had none. */
	if (!r->frame.intervals++ || !ir->cpu_cap)
		r->frame.cpu_cap = ir->cpu_cap;
	else if (r->frame.cpu_cap && ir->cpu_cap > r->frame.cpu_cap)
		r->frame.cpu_cap = ir->cpu_cap;
	return 0;
}

int top_model__process(struct top_model *m, const struct proc_record *pr)
{
	const struct jt_exit_event *e = pr->e;
	struct top_row *r = row_get(m, pr->job);
	struct top_exit *x;

	if (!r)
		return -ENOMEM;
	x = &r->exits[r->nexits++ % TOP_EXITS];
	x->pid = e->pid;
	x->status = (int)e->exit_status;
	memcpy(x->comm, e->comm, JT_COMM_LEN);
	x->comm[JT_COMM_LEN] = '\0';
	x->cpu_ns = e->acct.cpu_ns;
	x->duration_s = (double)(e->exit_ns - e->start_ns) / 1e9;
	return 0;
}

void top_model__job_end(struct top_model *m, const struct cjob *j)
{
	struct top_row *r = row_find(m, j->id, NULL);

	/*
	 * Marked ended, it stays for TOP_KEEP_ENDED snapshots, then goes. Its
	 * rates stay those of frames, as every row's: the frame it ended in
	 * has what its last interval did, the later ones nothing. Averages
	 * over its life would be over another span than the header's: a job
	 * of 0.3 s showed its starts over 0.3 s beside the host's forks over
	 * the frame's second, more than all of them, and again at every
	 * frame it was kept.
	 */
	if (!r)
		return;
	/*
	 * A job reported as it stands (top stopped by a signal: the
	 * collector reports every open job) has processes alive, beyond
	 * those whose exits it missed: it did not end. Marked so, the last
	 * frame said "end", RSS 0, of a job still running, where watch's
	 * report of the same stop says "still running". Asked as that report
	 * asks it.
	 */
	if (job__running(&j->job))
		return;
	r->ended = true;
	m->ended_unseen = true;
	r->alive = 0;
	r->rss_bytes = 0;
}

void top_model__drop_silent(struct top_model *m)
{
	/*
	 * Every open job has an interval at every host record, stamped as it
	 * is: a row without one had its serve killed (no job line came). As
	 * it is to a millisecond: a replayed host line's stamp is %.15g's (10
	 * us), a short interval line's has every nanosecond (history).
	 */
	for (size_t i = 0; i < m->nrows;) {
		struct top_row *r = m->rows[i];

		if (!r->ended && r->have_interval && m->host.valid &&
		    r->last_interval_ns + 1000000 < m->host_t1_ns) {
			free(r);
			m->rows[i] = m->rows[--m->nrows];
			m->last_row = NULL;
			continue;
		}
		i++;
	}
}

/* Rows of jobs ended TOP_KEEP_ENDED snapshots ago leave; the others count one more. */
static void rows_age(struct top_model *m)
{
	for (size_t i = 0; i < m->nrows;) {
		struct top_row *r = m->rows[i];

		if (r->ended && r->ended_snaps >= TOP_KEEP_ENDED) {
			free(r);
			m->rows[i] = m->rows[--m->nrows];
			m->last_row = NULL;
			continue;
		}
		if (r->ended)
			r->ended_snaps++;
		i++;
	}
}

/*
 * The rows' rates over the frame's interval, the header's: what each job's
 * intervals since the last host record said, divided by the host's
 * interval. A job made during the frame has its first interval start where
 * the kernel made it, and its starts over that fraction of the frame (50
 * in 0.2 s: 250/s) could exceed the host's forks over the whole frame
 * (110/s) though every one of them is among the host's; a job that ended
 * in it, likewise its last. Over the same interval the rows' START/s and
 * EXIT/s add up to no more than the header's forks/s and exits/s, and
 * their CPU% is of the same span as the header's. An interval that began
 * before the frame (a job the collector found late, stamped where the
 * kernel made it) gives its rates over its own length: over the frame's,
 * what it did before the frame would count in it. A row none of whose
 * intervals fell in the frame did nothing in it: an ended job's, kept on
 * screen, shows 0.
 */
static void rows_over_frame(struct top_model *m, double frame_s)
{
	for (size_t i = 0; i < m->nrows; i++) {
		struct top_row *r = m->rows[i];
		double span_s = (double)(r->frame.t1_ns - r->frame.t0_ns) / 1e9;
		double dt = r->frame.t1_ns > r->frame.t0_ns && span_s > frame_s ? span_s : frame_s;

		if (r->frame.intervals)
			r->have_interval = true;
		r->started_ps = (double)r->frame.started / dt;
		r->exited_ps = (double)r->frame.exited / dt;
		r->failed = r->frame.failed;
		r->cpu_pct = 100.0 * r->frame.cpu_ns / 1e9 / dt;
		if (r->frame.cpu_cap && r->cpu_pct > 100.0 * r->frame.cpu_cap)
			r->cpu_pct = 100.0 * r->frame.cpu_cap;
		r->io_bps = (double)r->frame.io_bytes / dt;
		memset(&r->frame, 0, sizeof(r->frame));
	}
}

int top_model__host(struct top_model *m, const struct host_record *hr)
{
	struct top_host *h = &m->host;
	double dt = hr->t1_ns > hr->t0_ns ? (double)(hr->t1_ns - hr->t0_ns) / 1e9 : 0;

	h->valid = true;
	h->unknown = hr->unknown;
	h->cpu_busy_pct = hr->cpu_busy_pct;
	h->cpu_user_pct = hr->cpu_user_pct;
	h->cpu_system_pct = hr->cpu_system_pct;
	h->cpu_iowait_pct = hr->cpu_iowait_pct;
	h->ncpus = hr->ncpus;
	h->mem_total = hr->mem_total_bytes;
	h->mem_used = hr->mem_used_bytes;
	h->mem_avail = hr->mem_available_bytes;
	h->swap_total = hr->swap_total_bytes;
	h->swap_used = hr->swap_used_bytes;
	h->load1 = hr->load1;
	h->load5 = hr->load5;
	h->load15 = hr->load15;
	h->forks_ps = hr->forks_per_s;
	/*
	 * The jobs' exits since the last host record: host mode has every
	 * process. Too short an interval to give a rate (none the collector
	 * sends) keeps them, the rows' too, for the next.
	 */
	m->closed_dt = 0;
	if (dt * 1e9 >= (double)INTERVAL_RATE_MIN_NS) {
		h->exits_ps = (double)m->interval_exited / dt;
		m->interval_exited = 0;
		rows_over_frame(m, dt);
		m->closed_dt = dt;
	}
	h->running = hr->procs_running;
	h->blocked = hr->procs_blocked;
	h->lost = hr->events_lost;
	h->t1_epoch_s = (double)hr->t1_epoch_ns / 1e9;
	m->host_t1_ns = hr->t1_ns;
	h->interval_s = dt;
	/* The host record closes an interval's records: a frame is due. */
	m->frame_due = true;
	return 0;
}

/* ---- live processes ---- */

/* A live process in the model's table (m->procs); the snapshot copies its top_proc. */
struct live_proc {
	struct hmap_node node;
	struct top_proc p;
};

#define PROCS_MIN_BUCKETS 1024

static __u64 tgid_hash(__u32 tgid)
{
	return tgid * 0x9e3779b97f4a7c15ULL;
}

/* The link to @tgid's entry (*link NULL: none), or NULL when the table is empty. */
static struct hmap_node **proc_link(const struct top_model *m, __u32 tgid)
{
	__u64 h = tgid_hash(tgid);
	struct hmap_node **p = hmap__chain(&m->procs, h);

	for (; p && *p; p = &(*p)->next) {
		if ((*p)->hash == h && hmap__entry(*p, struct live_proc, node)->p.tgid == tgid)
			break;
	}
	return p;
}

static struct top_proc *proc_find(const struct top_model *m, __u32 tgid)
{
	struct hmap_node **p = proc_link(m, tgid);

	return p && *p ? &hmap__entry(*p, struct live_proc, node)->p : NULL;
}

/* @tgid's entry, made (zeroed but for its tgid) when it has none; NULL: no memory. */
static struct top_proc *proc_get(struct top_model *m, __u32 tgid, bool *made)
{
	struct top_proc *p = proc_find(m, tgid);
	struct live_proc *lp;

	*made = !p;
	if (p)
		return p;
	if (hmap__reserve(&m->procs, PROCS_MIN_BUCKETS))
		return NULL;
	lp = calloc(1, sizeof(*lp));
	if (!lp)
		return NULL;
	lp->p.tgid = tgid;
	hmap__add(&m->procs, &lp->node, tgid_hash(tgid));
	return &lp->p;
}

static void live_proc_free(struct hmap_node *n)
{
	free(hmap__entry(n, struct live_proc, node));
}

int top_model__live(struct top_model *m, const struct live_record *lr)
{
	const struct jt_live_rec *r = lr->r;
	struct top_proc *p;
	bool made;

	p = proc_get(m, r->tgid, &made);
	if (!p)
		return -ENOMEM;
	if (made) {
		/* New since the last sample: its CPU since it joined is all in this one. */
		p->job_id = lr->job->id;
		p->prev_ns = m->prev_sample_ns;
	}
	if (p->job_id != lr->job->id) {
		/* Moved to another job: its CPU so far is its old job's. */
		p->job_id = lr->job->id;
		p->prev_ns = 0;
	}
	if (p->cur_ns != lr->sampled_ns) {
		if (p->cur_ns) {
			p->prev_ns = p->cur_ns;
			p->prev_cpu = p->cur_cpu;
		}
		p->cur_ns = lr->sampled_ns;
		p->cur_cpu = 0;
		p->threads = 0;
	}
	p->cur_cpu += r->cpu_ns;
	p->threads++;
	if (r->is_leader) {
		p->rss_bytes = r->rss_pages * (__u64)m->page_size;
		p->have_stat = lr->have_stat;
		p->ppid = lr->ppid;
		snprintf(p->comm, sizeof(p->comm), "%s", lr->comm);
	}
	if (lr->sampled_ns > m->last_sample_ns) {
		if (m->last_sample_ns)
			m->prev_sample_ns = m->last_sample_ns;
		m->last_sample_ns = lr->sampled_ns;
	}
	return 0;
}

/* @p's CPU between its last two samples, in % of one CPU; -1: unknown. */
static double proc_cpu_pct(const struct top_proc *p)
{
	if (!p->prev_ns || p->cur_ns <= p->prev_ns)
		return -1;
	/* A thread that ended takes its CPU out of the sum: never below 0. */
	if (p->cur_cpu <= p->prev_cpu)
		return 0;
	return 100.0 * (double)(p->cur_cpu - p->prev_cpu) / (double)(p->cur_ns - p->prev_ns);
}

/*
 * Whether @p is busier than @r's busiest so far. Among equals the lowest
 * pid, as htop breaks a tie in any column: an idle job (every process at
 * 0 %, as most are most of the time) is named by its first process, the
 * command that was started (pids wrap, but seldom inside one job), not by
 * whichever child the table walks first, and the name holds from one
 * refresh to the next. One whose rate is not known yet names no job.
 */
static bool busier(const struct top_proc *p, const struct top_row *r)
{
	if (p->cpu_pct < 0)
		return false;
	return p->cpu_pct > r->busiest_pct ||
	       (p->cpu_pct == r->busiest_pct && p->tgid < r->busiest);
}

/*
 * After a sample: processes it did not see are gone; the others get their
 * CPU rate, and each job its busiest process.
 */
static void procs_sweep(struct top_model *m)
{
	if (m->swept_ns == m->last_sample_ns || !m->procs.nbuckets)
		return;
	m->swept_ns = m->last_sample_ns;
	for (size_t i = 0; i < m->nrows; i++) {
		m->rows[i]->busiest = 0;
		m->rows[i]->busiest_pct = -1;
	}
	for (size_t b = 0; b < m->procs.nbuckets; b++) {
		struct hmap_node **link = &m->procs.buckets[b];

		while (*link) {
			struct hmap_node *n = *link;
			struct top_proc *p = &hmap__entry(n, struct live_proc, node)->p;
			struct top_row *r;

			if (p->cur_ns != m->last_sample_ns) {
				hmap__unlink(&m->procs, link);
				live_proc_free(n);
				continue;
			}
			link = &n->next;
			p->cpu_pct = proc_cpu_pct(p);
			r = row_find(m, p->job_id, NULL);
			if (r && busier(p, r)) {
				r->busiest = p->tgid;
				r->busiest_pct = p->cpu_pct;
			}
		}
	}
}

bool top_model__settle(struct top_model *m)
{
	bool due = m->frame_due;

	procs_sweep(m);
	m->frame_due = false;
	return due;
}

/* ---- the snapshot ---- */

/*
 * The command shown for a row: its top command by CPU among its exits, else
 * its busiest live process's comm, taken when that process changes.
 */
static void row_command(struct top_model *m, struct top_row *r)
{
	const struct top_proc *p;

	if (r->command[0] || !r->busiest || r->comm_pid == r->busiest)
		return;
	r->comm_pid = r->busiest;
	p = proc_find(m, r->busiest);
	if (!p || !p->have_stat)
		r->live_comm[0] = '\0';
	else
		snprintf(r->live_comm, sizeof(r->live_comm), "%s", p->comm);
}

static int snap_procs(struct top_model *m)
{
	size_t n = 0;

	if (m->procs.n > m->snap_procs_cap) {
		struct top_proc *p = realloc(m->snap_procs, m->procs.n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		m->snap_procs = p;
		m->snap_procs_cap = m->procs.n;
	}
	for (size_t b = 0; b < m->procs.nbuckets; b++) {
		for (const struct hmap_node *x = m->procs.buckets[b]; x; x = x->next)
			m->snap_procs[n++] = hmap__entry(x, const struct live_proc, node)->p;
	}
	m->nsnap_procs = n;
	return 0;
}

void top_model__snapshot(struct top_model *m, double interval_s, time_t now)
{
	size_t ended = 0;

	rows_age(m);
	if (m->nrows > m->snap_cap) {
		struct top_row *snap = realloc(m->snap, m->nrows * sizeof(*snap));

		if (!snap)
			return;
		m->snap = snap;
		m->snap_cap = m->nrows;
	}
	if (snap_procs(m))
		return;
	for (size_t i = 0; i < m->nrows; i++) {
		/* What the filter matches is what the screen shows. */
		row_command(m, m->rows[i]);
		m->snap[i] = *m->rows[i];
		ended += m->rows[i]->ended;
	}
	m->nsnap = m->nrows;
	m->nsnap_ended = ended;
	m->ended_unseen = false;
	m->snap_host = m->host;
	m->snap_interval_s = interval_s;
	m->snap_time = now;
	m->snap_gen++;
}

bool top_model__ended_unseen(const struct top_model *m)
{
	return m->ended_unseen;
}

double top_model__host_time(const struct top_model *m, double *interval_s)
{
	*interval_s = m->host.interval_s;
	return m->host.valid ? m->host.t1_epoch_s : 0;
}

void top_model__set_interval(struct top_model *m, double interval_s)
{
	m->snap_interval_s = interval_s;
}
/* ---- the model ---- */

struct top_model *top_model__new(void)
{
	struct top_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->page_size = sysconf(_SC_PAGESIZE);
	m->snap_time = time(NULL);
	return m;
}

void top_model__free(struct top_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nrows; i++)
		free(m->rows[i]);
	free(m->rows);
	hmap__free(&m->procs, live_proc_free);
	free(m->snap);
	free(m->snap_procs);
	free(m->tree);
	free(m->lines);
	free(m);
}
