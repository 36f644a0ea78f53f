// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The top view: a sink that keeps a row per job from the interval records,
 * the host's summary from the host record, each live process's CPU from the
 * live records (per tgid, the threads summed) and each job's last exits from
 * the process records, and draws a frame after each host record: with
 * ncurses on a terminal, or as plain text in batch mode (top -b's habit).
 *
 * A frame is built as lines of text with a kind each (header, row, process,
 * exit); the terminal and batch mode print the same lines, the terminal with
 * attributes and clipped to its size. What a frame shows is a snapshot of
 * the rows taken when it is made, so a paused screen stays as it was while
 * the records keep coming in.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "jobtrace/job.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/sink.h"
#include "jobtrace/top.h"
#include "jobtrace/util.h"

#define TOP_EXITS 8 /* the last exits kept per job, for its expanded view */
#define TOP_KEY_LEN 300 /* as struct cjob's key */
#define TOP_LINE 512
#define TOP_MAX_TREE 256 /* processes an expanded job shows */
#define TOP_INPUT 64

struct top_exit {
	__u32 pid;
	int status; /* wait(2) status */
	char comm[JT_COMM_LEN + 1];
	__u64 cpu_ns;
	double duration_s;
};

struct top_row {
	__u64 id;
	char key[TOP_KEY_LEN];
	__u64 alive, failed;
	double started_ps, exited_ps, cpu_pct, io_bps;
	__u64 rss_bytes;
	char command[JT_COMM_LEN + 1]; /* the job's top command by CPU, of its exits */
	__u32 busiest; /* its live process with the most CPU over the last sample */
	double busiest_pct;
	__u32 comm_pid; /* whose comm live_comm holds: read again only when busiest changes */
	char live_comm[JT_COMM_LEN + 1];
	struct top_exit exits[TOP_EXITS]; /* a ring: exits[nexits % TOP_EXITS] is next */
	__u64 nexits;
	bool have_interval;
};

/* A live process: its threads' CPU summed at the last two samples. */
struct top_proc {
	__u32 tgid;
	__u32 threads;
	__u64 job_id;
	__u64 cur_ns, prev_ns; /* the samples' CLOCK_MONOTONIC; prev 0: unknown */
	__u64 cur_cpu, prev_cpu;
	__u64 rss_bytes;
	double cpu_pct; /* < 0: unknown */
};

struct top_host {
	bool valid;
	double cpu_busy_pct, cpu_user_pct, cpu_system_pct, cpu_iowait_pct;
	unsigned int ncpus;
	__u64 mem_total, mem_used, mem_avail, swap_total, swap_used;
	double load1, load5, load15;
	double forks_ps, exits_ps;
	__u64 running, blocked, lost;
};

enum line_kind { L_TITLE, L_HOST, L_COLHEAD, L_ROW, L_ROW_FAILED, L_PROC, L_EXIT, L_EXIT_FAILED };

struct top_line {
	enum line_kind kind;
	__u64 row_id; /* L_ROW*: the job, for the selection */
	char text[TOP_LINE];
};

enum input_mode { IN_NONE, IN_FILTER, IN_DELAY };

struct top_sink {
	struct sink sink; /* first: the collector's handle is this */
	struct top_opts o;
	long page_size;
	int proc_fd;

	/* What the records say, updated as they come. */
	struct top_row **rows;
	size_t nrows, rows_cap;
	struct top_row *last_row; /* records of one job come in runs */
	struct top_proc *procs; /* open addressing on tgid; tgid 0: empty */
	size_t procs_cap, nprocs;
	__u64 last_sample_ns, swept_ns, prev_sample_ns;
	struct top_host host;
	__u64 interval_exited;
	bool frame_due;
	unsigned long frames;

	/* What the screen shows: a snapshot at the last frame (kept while paused). */
	struct top_row *snap;
	size_t nsnap, snap_cap;
	struct top_host snap_host;
	double snap_interval_s;
	time_t snap_time;

	/* The screen's state. */
	enum top_col sort;
	bool reverse;
	char filter[TOP_INPUT];
	__u64 sel_id; /* the selected job, followed across sorts */
	size_t sel; /* its index among the rows shown */
	size_t scroll; /* the first row shown */
	__u64 expanded_id; /* 0: none */
	bool paused, help;
	enum input_mode input;
	char input_buf[TOP_INPUT];
	char message[128];

	/* The terminal. */
	SCREEN *screen;
	FILE *term_out;
	bool colour;
	struct top_line *lines;
	size_t nlines, lines_cap;
};

static struct top_sink *top_of(struct sink *s)
{
	return (struct top_sink *)s;
}

static const char *const col_names[TOP_NCOLS] = {
	[TOP_COL_JOB] = "job",	       [TOP_COL_ALIVE] = "alive", [TOP_COL_STARTED] = "started",
	[TOP_COL_EXITED] = "exited",   [TOP_COL_FAILED] = "failed", [TOP_COL_CPU] = "cpu",
	[TOP_COL_RSS] = "rss",	       [TOP_COL_IO] = "io",	  [TOP_COL_COMMAND] = "command",
};

int top__col_of_name(const char *name, enum top_col *out)
{
	for (int i = 0; i < TOP_NCOLS; i++) {
		if (!strcasecmp(name, col_names[i])) {
			*out = (enum top_col)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- rows ---- */

static struct top_row *row_find(struct top_sink *t, __u64 id, size_t *index)
{
	if (t->last_row && t->last_row->id == id && !index)
		return t->last_row;
	for (size_t i = 0; i < t->nrows; i++) {
		if (t->rows[i]->id == id) {
			if (index)
				*index = i;
			t->last_row = t->rows[i];
			return t->rows[i];
		}
	}
	return NULL;
}

static struct top_row *row_get(struct top_sink *t, const struct cjob *j)
{
	struct top_row *r = row_find(t, j->id, NULL);

	if (r)
		return r;
	if (t->nrows == t->rows_cap) {
		size_t cap = t->rows_cap ? 2 * t->rows_cap : 64;
		struct top_row **rows = realloc(t->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		t->rows = rows;
		t->rows_cap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->id = j->id;
	snprintf(r->key, sizeof(r->key), "%s", j->key);
	t->rows[t->nrows++] = r;
	t->last_row = r;
	return r;
}

static int top_interval(struct sink *s, const struct interval_record *ir)
{
	struct top_sink *t = top_of(s);
	double dt = (double)(ir->t1_ns - ir->t0_ns) / 1e9;
	const struct job_command *top[1];
	struct top_row *r = row_get(t, ir->job);

	if (!r)
		return -ENOMEM;
	if (dt <= 0)
		dt = 1e-9;
	r->have_interval = true;
	r->alive = ir->alive;
	r->started_ps = (double)ir->d.started / dt;
	r->exited_ps = (double)ir->d.exited / dt;
	r->failed = ir->d.exit_error + ir->d.exit_signal;
	/* Live and exited threads both: a child that lived a millisecond counts. */
	r->cpu_pct = 100.0 * (double)ir->d.cpu_ns / 1e9 / dt;
	r->io_bps = (double)(ir->d.read_bytes + ir->d.write_bytes) / dt;
	r->rss_bytes = ir->rss_bytes;
	if (job__top_commands(&ir->job->job, top, 1))
		snprintf(r->command, sizeof(r->command), "%s", top[0]->comm);
	t->interval_exited += ir->d.exited;
	return 0;
}

static int top_process(struct sink *s, const struct proc_record *pr)
{
	struct top_sink *t = top_of(s);
	const struct jt_exit_event *e = pr->e;
	struct top_row *r = row_get(t, pr->job);
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

static int top_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct top_sink *t = top_of(s);
	size_t i;

	/* A job that ended leaves the rows; the screen loses it at the next frame. */
	if (!row_find(t, j->id, &i))
		return 0;
	free(t->rows[i]);
	t->rows[i] = t->rows[--t->nrows];
	t->last_row = NULL;
	return 0;
}

static int top_host(struct sink *s, const struct host_record *hr)
{
	struct top_sink *t = top_of(s);
	struct top_host *h = &t->host;
	double dt = (double)(hr->t1_ns - hr->t0_ns) / 1e9;

	h->valid = true;
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
	/* The jobs' exits in the intervals just written: host mode has every process. */
	h->exits_ps = dt > 0 ? (double)t->interval_exited / dt : 0;
	t->interval_exited = 0;
	h->running = hr->procs_running;
	h->blocked = hr->procs_blocked;
	h->lost = hr->events_lost;
	/* The host record closes an interval's records: the frame is drawn at the flush. */
	t->frame_due = true;
	return 0;
}

/* ---- live processes ---- */

static size_t proc_slot(const struct top_proc *tab, size_t cap, __u32 tgid)
{
	size_t i = (tgid * 2654435761u) & (cap - 1);

	while (tab[i].tgid && tab[i].tgid != tgid)
		i = (i + 1) & (cap - 1);
	return i;
}

static int procs_grow(struct top_sink *t)
{
	size_t cap = t->procs_cap ? 2 * t->procs_cap : 1024;
	struct top_proc *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < t->procs_cap; i++) {
		if (t->procs[i].tgid)
			tab[proc_slot(tab, cap, t->procs[i].tgid)] = t->procs[i];
	}
	free(t->procs);
	t->procs = tab;
	t->procs_cap = cap;
	return 0;
}

static int top_live(struct sink *s, const struct live_record *lr)
{
	struct top_sink *t = top_of(s);
	const struct jt_live_rec *r = lr->r;
	struct top_proc *p;
	size_t i;

	if (2 * (t->nprocs + 1) > t->procs_cap && procs_grow(t))
		return -ENOMEM;
	i = proc_slot(t->procs, t->procs_cap, r->tgid);
	p = &t->procs[i];
	if (!p->tgid) {
		/* New since the last sample: its CPU since it joined is all in this one. */
		*p = (struct top_proc){ .tgid = r->tgid, .job_id = lr->job->id,
					.prev_ns = t->prev_sample_ns };
		t->nprocs++;
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
	if (r->is_leader)
		p->rss_bytes = r->rss_pages * (__u64)t->page_size;
	if (lr->sampled_ns > t->last_sample_ns) {
		if (t->last_sample_ns)
			t->prev_sample_ns = t->last_sample_ns;
		t->last_sample_ns = lr->sampled_ns;
	}
	return 0;
}

/*
 * After a sample: processes it did not see are gone; the others get their
 * CPU rate, and each job its busiest process.
 */
static void procs_sweep(struct top_sink *t)
{
	struct top_proc *tab;
	size_t cap = t->procs_cap;

	if (t->swept_ns == t->last_sample_ns || !cap)
		return;
	t->swept_ns = t->last_sample_ns;
	for (size_t i = 0; i < t->nrows; i++) {
		t->rows[i]->busiest = 0;
		t->rows[i]->busiest_pct = -1;
	}
	tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return;
	t->nprocs = 0;
	for (size_t i = 0; i < cap; i++) {
		struct top_proc *p = &t->procs[i];
		struct top_row *r;

		if (!p->tgid || p->cur_ns != t->last_sample_ns)
			continue;
		/* A thread that ended takes its CPU out of the sum: never below 0. */
		p->cpu_pct = p->prev_ns && p->cur_ns > p->prev_ns ?
				     100.0 * (double)(p->cur_cpu > p->prev_cpu ?
							      p->cur_cpu - p->prev_cpu : 0) /
					     (double)(p->cur_ns - p->prev_ns) :
				     -1;
		tab[proc_slot(tab, cap, p->tgid)] = *p;
		t->nprocs++;
		r = row_find(t, p->job_id, NULL);
		if (r && p->cpu_pct > r->busiest_pct) {
			r->busiest = p->tgid;
			r->busiest_pct = p->cpu_pct;
		}
	}
	free(t->procs);
	t->procs = tab;
}

/* ---- formatting ---- */

/* 1234, 12.3k, 1.2M: fits 6 columns. */
static void fmt_count(char *buf, size_t size, double v)
{
	if (v < 9999.5)
		snprintf(buf, size, v < 99.95 && v != (double)(__u64)v ? "%.1f" : "%.0f", v);
	else if (v < 999.95e3)
		snprintf(buf, size, "%.1fk", v / 1e3);
	else
		snprintf(buf, size, "%.1fM", v / 1e6);
}

/* Bytes as 512B, 34K, 1.2G (powers of 1024, as top and free). */
static void fmt_bytes(char *buf, size_t size, double v)
{
	static const char units[] = "BKMGTP";
	int u = 0;

	while (v >= 1023.5 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u && v < 9.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* The job column: the end of a long name is what tells jobs apart. */
static void fmt_name(char *buf, size_t size, const char *name, size_t width)
{
	size_t n = strlen(name);

	if (width >= size)
		width = size - 1;
	if (n <= width || width < 3)
		snprintf(buf, size, "%.*s", (int)width, name);
	else
		snprintf(buf, size, "..%s", name + n - (width - 2));
	/* Control bytes in a comm or a cgroup name would move the cursor. */
	for (char *p = buf; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
}

/* A process's label: its indent and pid first, so it is cut at the end. */
static void fmt_label(char *buf, size_t size, const char *label, size_t width)
{
	char cut[TOP_LINE];

	snprintf(cut, sizeof(cut), "%.*s", (int)(width < sizeof(cut) ? width : sizeof(cut) - 1),
		 label);
	fmt_name(buf, size, cut, width);
}

static unsigned int line_width(const struct top_sink *t)
{
	if (t->o.batch)
		return t->o.width;
	return COLS > 0 ? (unsigned int)COLS : 80;
}

/* The fixed columns after JOB: ALIVE START/s EXIT/s FAIL CPU% RSS IO/s, then COMMAND. */
#define FIXED_WIDTH (6 + 8 + 7 + 5 + 7 + 7 + 7 + 1)
#define COMMAND_WIDTH 15

static size_t job_width(const struct top_sink *t)
{
	unsigned int w = line_width(t);

	return w > FIXED_WIDTH + COMMAND_WIDTH + 12 ? w - FIXED_WIDTH - COMMAND_WIDTH - 1 : 12;
}

static struct top_line *line_add(struct top_sink *t, enum line_kind kind, __u64 row_id)
{
	struct top_line *l;

	if (t->nlines == t->lines_cap) {
		size_t cap = t->lines_cap ? 2 * t->lines_cap : 128;
		struct top_line *lines = realloc(t->lines, cap * sizeof(*lines));

		if (!lines)
			return NULL;
		t->lines = lines;
		t->lines_cap = cap;
	}
	l = &t->lines[t->nlines++];
	l->kind = kind;
	l->row_id = row_id;
	l->text[0] = '\0';
	return l;
}

/* A line's text; longer than the line, it is cut (the screen is narrower anyway). */
__attribute__((format(printf, 2, 3))) static void line_set(struct top_line *l, const char *fmt,
							    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
	va_end(ap);
}

static double col_value(const struct top_row *r, enum top_col c)
{
	switch (c) {
	case TOP_COL_ALIVE:
		return (double)r->alive;
	case TOP_COL_STARTED:
		return r->started_ps;
	case TOP_COL_EXITED:
		return r->exited_ps;
	case TOP_COL_FAILED:
		return (double)r->failed;
	case TOP_COL_CPU:
		return r->cpu_pct;
	case TOP_COL_RSS:
		return (double)r->rss_bytes;
	case TOP_COL_IO:
		return r->io_bps;
	default:
		return 0;
	}
}

/* qsort has no context: the sort of the frame being built. */
static enum top_col cmp_col;
static bool cmp_reverse;

/* Most first for numbers, A to Z for names; ties by name, so rows hold still. */
static int row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;
	int d = 0;

	if (cmp_col == TOP_COL_JOB) {
		d = strcmp(x->key, y->key);
	} else if (cmp_col == TOP_COL_COMMAND) {
		d = strcmp(x->command, y->command);
	} else {
		double vx = col_value(x, cmp_col), vy = col_value(y, cmp_col);

		d = vx > vy ? -1 : vx < vy ? 1 : 0;
	}
	if (cmp_reverse)
		d = -d;
	return d ? d : strcmp(x->key, y->key);
}

static bool row_shown(const struct top_sink *t, const struct top_row *r)
{
	return r->have_interval &&
	       (!t->filter[0] || strcasestr(r->key, t->filter) || strcasestr(r->command, t->filter) ||
		(!r->command[0] && strcasestr(r->live_comm, t->filter)));
}

/*
 * The command shown for a row: its top command by CPU among its exits, else
 * its busiest live process's comm, read when that process changes.
 */
static const char *row_command(struct top_sink *t, struct top_row *r)
{
	char path[32];
	ssize_t n;

	if (r->command[0])
		return r->command;
	if (!r->busiest || t->proc_fd < 0)
		return "";
	if (r->comm_pid != r->busiest) {
		r->comm_pid = r->busiest;
		snprintf(path, sizeof(path), "%u/comm", r->busiest);
		n = util__read_file_at(t->proc_fd, path, r->live_comm, sizeof(r->live_comm));
		if (n <= 0)
			r->live_comm[0] = '\0';
		else
			r->live_comm[strcspn(r->live_comm, "\n")] = '\0';
	}
	return r->live_comm;
}

/* The rows as they stand now become what the screen shows. */
static void snapshot(struct top_sink *t)
{
	if (t->nrows > t->snap_cap) {
		struct top_row *snap = realloc(t->snap, t->nrows * sizeof(*snap));

		if (!snap)
			return;
		t->snap = snap;
		t->snap_cap = t->nrows;
	}
	for (size_t i = 0; i < t->nrows; i++) {
		/* What the filter matches is what the screen shows. */
		row_command(t, t->rows[i]);
		t->snap[i] = *t->rows[i];
	}
	t->nsnap = t->nrows;
	t->snap_host = t->host;
	t->snap_interval_s = t->o.interval_s;
	t->snap_time = time(NULL);
}

static void add_header(struct top_sink *t)
{
	const struct top_host *h = &t->snap_host;
	char when[16], a[16], b[16], c[16], d[16];
	struct top_line *l;
	struct tm tm;

	localtime_r(&t->snap_time, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	l = line_add(t, L_TITLE, 0);
	if (!l)
		return;
	line_set(l, "jobtrace top - %s  every %.1f s  %zu jobs  sort %s%s%s%s%s",
		 when, t->snap_interval_s, t->nsnap, col_names[t->sort], t->reverse ? " (reversed)" : "",
		 t->paused ? "  PAUSED" : "", t->filter[0] ? "  filter: " : "", t->filter);
	if (!h->valid) {
		l = line_add(t, L_HOST, 0);
		if (l)
			line_set(l, "waiting for the first interval...");
		return;
	}
	l = line_add(t, L_HOST, 0);
	if (l) {
		if (h->cpu_busy_pct >= 0)
			snprintf(l->text, sizeof(l->text),
				 "CPU %5.1f%%  us %.1f  sy %.1f  wa %.1f  (%u CPUs)   load %.2f %.2f %.2f",
				 h->cpu_busy_pct, h->cpu_user_pct, h->cpu_system_pct,
				 h->cpu_iowait_pct, h->ncpus, h->load1, h->load5, h->load15);
		else
			line_set(l, "CPU    ?   load %.2f %.2f %.2f", h->load1,
				 h->load5, h->load15);
	}
	fmt_bytes(a, sizeof(a), (double)h->mem_used);
	fmt_bytes(b, sizeof(b), (double)h->mem_total);
	fmt_bytes(c, sizeof(c), (double)h->swap_used);
	fmt_bytes(d, sizeof(d), (double)h->swap_total);
	l = line_add(t, L_HOST, 0);
	if (l)
		line_set(l, "Mem %s used of %s   Swap %s of %s", a, b, c, d);
	fmt_count(a, sizeof(a), h->forks_ps);
	fmt_count(b, sizeof(b), h->exits_ps);
	l = line_add(t, L_HOST, 0);
	if (l)
		snprintf(l->text, sizeof(l->text),
			 "Tasks forks %s/s  exits %s/s  running %llu  blocked %llu  lost events %llu",
			 a, b, (unsigned long long)h->running, (unsigned long long)h->blocked,
			 (unsigned long long)h->lost);
}

static void add_colhead(struct top_sink *t)
{
	static const char *const heads[TOP_NCOLS] = { "JOB",  "ALIVE", "START/s", "EXIT/s", "FAIL",
						      "CPU%", "RSS",   "IO/s",	  "COMMAND" };
	struct top_line *l = line_add(t, L_COLHEAD, 0);
	char h[TOP_NCOLS][16];

	if (!l)
		return;
	/* The sort column is marked, as htop does with its highlight. */
	for (int i = 0; i < TOP_NCOLS; i++)
		snprintf(h[i], sizeof(h[i]), "%s%s", heads[i],
			 (enum top_col)i == t->sort ? (t->reverse ? "^" : "v") : "");
	line_set(l, "%-*s %5s %7s %6s %4s %6s %6s %6s %-*s",
		 (int)job_width(t), h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], COMMAND_WIDTH,
		 h[8]);
}

static void add_row(struct top_sink *t, const struct top_row *r)
{
	char name[TOP_LINE], alive[16], st[16], ex[16], fl[16], cpu[16], rss[16], io[16];
	char cmd_shown[JT_COMM_LEN + 1];
	struct top_line *l = line_add(t, r->failed ? L_ROW_FAILED : L_ROW, r->id);

	if (!l)
		return;
	fmt_name(name, sizeof(name), r->key, job_width(t));
	fmt_count(alive, sizeof(alive), (double)r->alive);
	fmt_count(st, sizeof(st), r->started_ps);
	fmt_count(ex, sizeof(ex), r->exited_ps);
	fmt_count(fl, sizeof(fl), (double)r->failed);
	snprintf(cpu, sizeof(cpu), r->cpu_pct < 999.95 ? "%.1f" : "%.0f", r->cpu_pct);
	fmt_bytes(rss, sizeof(rss), (double)r->rss_bytes);
	fmt_bytes(io, sizeof(io), r->io_bps);
	fmt_name(cmd_shown, sizeof(cmd_shown), r->command[0] ? r->command : r->live_comm,
		 sizeof(cmd_shown) - 1);
	line_set(l, "%-*s %5s %7s %6s %4s %6s %6s %6s %-*s",
		 (int)job_width(t), name, alive, st, ex, fl, cpu, rss, io, COMMAND_WIDTH, cmd_shown);
}

/* A live process of the expanded job, with what /proc says of its place in the tree. */
struct tree_node {
	__u32 pid, ppid;
	char comm[PROC_COMM_MAX];
	double cpu_pct;
	__u64 rss_bytes;
	__u32 threads;
	int depth;
	bool done;
};

static int node_by_pid(const void *a, const void *b)
{
	const struct tree_node *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Process lines take the columns a job's counts use (ALIVE to FAIL) for their label. */
#define LABEL_EXTRA (6 + 8 + 7 + 5)

static void add_tree_line(struct top_sink *t, const struct tree_node *n)
{
	char label[TOP_LINE], name[TOP_LINE], cpu[16] = "", rss[16], thr[32] = "";
	struct top_line *l = line_add(t, L_PROC, 0);
	int indent = 1 + 2 * (n->depth > 8 ? 8 : n->depth);

	if (!l)
		return;
	if (n->threads > 1)
		snprintf(thr, sizeof(thr), " (%u threads)", n->threads);
	snprintf(label, sizeof(label), "%*s`- %u %s%s", indent, "", n->pid, n->comm, thr);
	fmt_label(name, sizeof(name), label, job_width(t) + LABEL_EXTRA);
	if (n->cpu_pct >= 0)
		snprintf(cpu, sizeof(cpu), "%.1f", n->cpu_pct);
	fmt_bytes(rss, sizeof(rss), (double)n->rss_bytes);
	line_set(l, "%-*s %6s %6s", (int)(job_width(t) + LABEL_EXTRA), name, cpu, rss);
}

/* Depth-first from @i: a child under its parent, children by pid. */
static void add_subtree(struct top_sink *t, struct tree_node *nodes, size_t n, size_t i,
			int depth)
{
	nodes[i].depth = depth;
	nodes[i].done = true;
	add_tree_line(t, &nodes[i]);
	for (size_t k = 0; k < n; k++) {
		if (!nodes[k].done && nodes[k].ppid == nodes[i].pid)
			add_subtree(t, nodes, n, k, depth + 1);
	}
}

static void add_expanded(struct top_sink *t, const struct top_row *r)
{
	struct tree_node *nodes = calloc(TOP_MAX_TREE, sizeof(*nodes));
	size_t n = 0;

	if (!nodes)
		return;
	for (size_t i = 0; i < t->procs_cap && n < TOP_MAX_TREE; i++) {
		const struct top_proc *p = &t->procs[i];
		struct proc_stat_fields st;

		if (!p->tgid || p->job_id != r->id || t->proc_fd < 0)
			continue;
		/* (4) ppid and (2) comm, for this job's processes only. */
		if (proc_pid__read_stat(t->proc_fd, (int)p->tgid, &st))
			continue;
		nodes[n] = (struct tree_node){ .pid = p->tgid, .ppid = (__u32)st.ppid,
					       .cpu_pct = p->cpu_pct, .rss_bytes = p->rss_bytes,
					       .threads = p->threads };
		snprintf(nodes[n].comm, sizeof(nodes[n].comm), "%s", st.comm);
		n++;
	}
	qsort(nodes, n, sizeof(*nodes), node_by_pid);
	for (size_t i = 0; i < n; i++) {
		struct tree_node key = { .pid = nodes[i].ppid };

		/* A root: its parent is not in the job. */
		if (!nodes[i].done && !bsearch(&key, nodes, n, sizeof(*nodes), node_by_pid))
			add_subtree(t, nodes, n, i, 0);
	}
	free(nodes);

	/* Its last exits, the most recent first. */
	for (__u64 k = 0; k < TOP_EXITS && k < r->nexits; k++) {
		const struct top_exit *x = &r->exits[(r->nexits - 1 - k) % TOP_EXITS];
		bool failed = (x->status & 0xff7f) != 0;
		char label[TOP_LINE], name[TOP_LINE], how[32], cpu[16];
		struct top_line *l = line_add(t, failed ? L_EXIT_FAILED : L_EXIT, 0);

		if (!l)
			return;
		if (WIFSIGNALED(x->status))
			snprintf(how, sizeof(how), "killed: %s", strsignal(WTERMSIG(x->status)));
		else
			snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(x->status));
		snprintf(label, sizeof(label), " x %u %s, after %.3f s: %s", x->pid, x->comm,
			 x->duration_s, how);
		fmt_label(name, sizeof(name), label, job_width(t) + LABEL_EXTRA);
		snprintf(cpu, sizeof(cpu), "%.3fs", (double)x->cpu_ns / 1e9);
		line_set(l, "%-*s %6s", (int)(job_width(t) + LABEL_EXTRA), name, cpu);
	}
}

/* The lines of the frame: the header, then the rows, sorted and filtered. */
static void build_frame(struct top_sink *t, bool all_expanded_ok)
{
	size_t shown = 0;

	t->nlines = 0;
	add_header(t);
	add_colhead(t);
	cmp_col = t->sort;
	cmp_reverse = t->reverse;
	qsort(t->snap, t->nsnap, sizeof(*t->snap), row_cmp);
	for (size_t i = 0; i < t->nsnap; i++) {
		const struct top_row *r = &t->snap[i];

		if (!row_shown(t, r))
			continue;
		add_row(t, r);
		shown++;
		if (all_expanded_ok && r->id == t->expanded_id)
			add_expanded(t, r);
	}
	(void)shown;
}

/* ---- batch ---- */

static int batch_frame(struct top_sink *t)
{
	build_frame(t, false);
	for (size_t i = 0; i < t->nlines; i++) {
		size_t n = strlen(t->lines[i].text);

		/* No trailing blanks: a script compares what it reads. */
		while (n && t->lines[i].text[n - 1] == ' ')
			n--;
		fprintf(t->sink.f, "%.*s\n", (int)n, t->lines[i].text);
	}
	fputc('\n', t->sink.f);
	return sink__check(&t->sink);
}

/* ---- the terminal ---- */

enum { PAIR_TITLE = 1, PAIR_HEAD, PAIR_FAILED, PAIR_PROC, PAIR_INPUT };

static const char help_text[] =
	"jobtrace top: the host's jobs, refreshed every interval\n"
	"\n"
	"  Up/Down, PgUp/PgDn, Home/End   select a job\n"
	"  Enter, t      expand the job into its processes and last exits (again: fold)\n"
	"  +  -          expand, fold\n"
	"  P M S E F A I J C   sort by CPU%, RSS, START/s, EXIT/s, FAIL, ALIVE, IO/s,\n"
	"                JOB, COMMAND\n"
	"  <  >  F6      sort by the column left or right of the current one\n"
	"  R             reverse the order\n"
	"  /  f          filter: rows whose job or command holds the text (Esc clears)\n"
	"  p  space      pause the screen (the counting goes on)\n"
	"  d  s          change the interval, in seconds\n"
	"  h  ?  F1      this help\n"
	"  q  F10        quit\n"
	"\n"
	"START/s, EXIT/s: processes started and ended per second in the interval;\n"
	"FAIL: processes that exited non-zero or died of a signal in it; CPU%: of one\n"
	"CPU, the live processes and those that ended in the interval.\n"
	"\n"
	"Any key closes this help.";

static int line_attr(const struct top_sink *t, const struct top_line *l)
{
	switch (l->kind) {
	case L_TITLE:
		return A_BOLD | (t->colour ? COLOR_PAIR(PAIR_TITLE) : 0);
	case L_COLHEAD:
		return A_REVERSE | (t->colour ? COLOR_PAIR(PAIR_HEAD) : 0);
	case L_ROW_FAILED:
	case L_EXIT_FAILED:
		return t->colour ? COLOR_PAIR(PAIR_FAILED) : A_BOLD;
	case L_PROC:
	case L_EXIT:
		return t->colour ? COLOR_PAIR(PAIR_PROC) : A_DIM;
	default:
		return A_NORMAL;
	}
}

static void draw_text(int y, int attr, const char *text)
{
	attrset(attr);
	mvaddnstr(y, 0, text, COLS);
	clrtoeol();
	attrset(A_NORMAL);
}

static void draw_help(void)
{
	const char *p = help_text;

	erase();
	for (int y = 0; y < LINES && *p; y++) {
		size_t n = strcspn(p, "\n");

		mvaddnstr(y, 0, p, n < (size_t)COLS ? (int)n : COLS);
		p += n + (p[n] == '\n');
	}
}

static void screen_draw(struct top_sink *t)
{
	size_t first_row = SIZE_MAX, nrows = 0, sel_line = 0, top_lines, body, y;
	int status_y = LINES - 1;
	char status[TOP_LINE];

	if (!t->screen)
		return;
	if (LINES < 1 || COLS < 1) {
		refresh();
		return;
	}
	if (t->help) {
		draw_help();
		refresh();
		return;
	}
	build_frame(t, true);
	/* Where the selection is, by job id; a job gone takes the row now there. */
	for (size_t i = 0; i < t->nlines; i++) {
		if (t->lines[i].kind != L_ROW && t->lines[i].kind != L_ROW_FAILED)
			continue;
		if (first_row == SIZE_MAX)
			first_row = i;
		if (t->lines[i].row_id == t->sel_id)
			t->sel = nrows;
		nrows++;
	}
	if (nrows && t->sel >= nrows)
		t->sel = nrows - 1;
	top_lines = first_row == SIZE_MAX ? t->nlines : first_row;
	erase();
	for (y = 0; y < top_lines && (int)y < status_y; y++)
		draw_text((int)y, line_attr(t, &t->lines[y]), t->lines[y].text);
	body = (size_t)status_y > top_lines ? (size_t)status_y - top_lines : 0;
	if (nrows) {
		/* The selected row's line, and the scroll that keeps it on screen. */
		size_t r = 0;

		for (size_t i = first_row; i < t->nlines; i++) {
			if (t->lines[i].kind != L_ROW && t->lines[i].kind != L_ROW_FAILED)
				continue;
			if (r++ == t->sel) {
				sel_line = i - first_row;
				t->sel_id = t->lines[i].row_id;
				break;
			}
		}
		if (sel_line < t->scroll)
			t->scroll = sel_line;
		else if (body && sel_line >= t->scroll + body)
			t->scroll = sel_line - body + 1;
		if (t->scroll > t->nlines - first_row)
			t->scroll = 0;
		for (size_t i = 0; i < body && first_row + t->scroll + i < t->nlines; i++) {
			const struct top_line *l = &t->lines[first_row + t->scroll + i];
			int attr = line_attr(t, l);

			if (t->scroll + i == sel_line)
				attr |= A_REVERSE;
			draw_text((int)(top_lines + i), attr, l->text);
		}
	}
	if (t->input != IN_NONE)
		snprintf(status, sizeof(status), "%s: %s_",
			 t->input == IN_FILTER ? "Filter" : "Interval in seconds", t->input_buf);
	else if (t->message[0])
		snprintf(status, sizeof(status), "%s", t->message);
	else
		snprintf(status, sizeof(status),
			 "q quit  h help  Enter expand  P/M/S sort  / filter  p pause  d interval");
	if (status_y >= (int)top_lines || status_y == 0)
		draw_text(status_y, t->colour ? COLOR_PAIR(PAIR_INPUT) : A_BOLD, status);
	refresh();
}

static int screen_open(struct top_sink *t)
{
	int fd;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	/* stdout is a cookie stream (util__guard_stdout): ncurses wants one with an fd. */
	fd = dup(STDOUT_FILENO);
	if (fd < 0)
		return -errno;
	t->term_out = fdopen(fd, "w");
	if (!t->term_out) {
		close(fd);
		return -errno;
	}
	t->screen = newterm(NULL, t->term_out, stdin);
	if (!t->screen)
		return -ENOTTY;
	set_term(t->screen);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	/* Esc alone is a key here (it clears the filter): do not wait long for a sequence. */
	set_escdelay(25);
	curs_set(0);
	/* NO_COLOR (no-color.org): any value, even empty, asks for none. */
	if (has_colors() && !getenv("NO_COLOR") && start_color() == OK) {
		use_default_colors();
		init_pair(PAIR_TITLE, COLOR_CYAN, -1);
		init_pair(PAIR_HEAD, COLOR_BLACK, COLOR_GREEN);
		init_pair(PAIR_FAILED, COLOR_RED, -1);
		init_pair(PAIR_PROC, COLOR_BLUE, -1);
		init_pair(PAIR_INPUT, COLOR_YELLOW, -1);
		t->colour = true;
	}
	return 0;
}

static void screen_close(struct top_sink *t)
{
	if (t->screen) {
		endwin();
		delscreen(t->screen);
		t->screen = NULL;
	}
	if (t->term_out) {
		fclose(t->term_out);
		t->term_out = NULL;
	}
}

void sink_top__resize(struct sink *s)
{
	struct top_sink *t = top_of(s);
	struct winsize ws;

	if (!t->screen)
		return;
	if (!ioctl(fileno(t->term_out), TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col)
		resizeterm(ws.ws_row, ws.ws_col);
	screen_draw(t);
}

/* ---- keys ---- */

static void sort_by(struct top_sink *t, enum top_col c)
{
	if (t->sort == c)
		t->reverse = !t->reverse;
	else
		t->reverse = false;
	t->sort = c;
}

static void input_key(struct top_sink *t, int ch, struct top_request *req)
{
	size_t n = strlen(t->input_buf);

	if (ch == 27) {
		if (t->input == IN_FILTER)
			t->filter[0] = '\0';
		t->input = IN_NONE;
		return;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		if (t->input == IN_DELAY) {
			char *end;
			double v = strtod(t->input_buf, &end);

			if (end != t->input_buf && !*end && v >= 0.1 && v <= 86400) {
				req->interval_s = v;
				t->o.interval_s = v;
				t->snap_interval_s = v;
				t->message[0] = '\0';
			} else {
				snprintf(t->message, sizeof(t->message),
					 "Not an interval: '%.40s' (seconds, 0.1 to 86400)",
					 t->input_buf);
			}
		}
		t->input = IN_NONE;
		return;
	}
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (n)
			t->input_buf[n - 1] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && n + 1 < sizeof(t->input_buf)) {
		t->input_buf[n] = (char)ch;
		t->input_buf[n + 1] = '\0';
	}
	/* The filter follows the typing. */
	if (t->input == IN_FILTER)
		snprintf(t->filter, sizeof(t->filter), "%s", t->input_buf);
}

/* The job at the selected index of the rows last drawn: Enter may follow Down in one read. */
static void select_index(struct top_sink *t)
{
	size_t n = 0, last = SIZE_MAX;

	for (size_t i = 0; i < t->nlines; i++) {
		if (t->lines[i].kind != L_ROW && t->lines[i].kind != L_ROW_FAILED)
			continue;
		last = i;
		if (n++ == t->sel)
			break;
	}
	if (last == SIZE_MAX)
		return;
	if (t->sel >= n)
		t->sel = n - 1;
	t->sel_id = t->lines[last].row_id;
}

static void key(struct top_sink *t, int ch, struct top_request *req)
{
	static const char sort_keys[TOP_NCOLS] = { 'J', 'A', 'S', 'E', 'F', 'P', 'M', 'I', 'C' };
	int page = LINES > 8 ? LINES - 8 : 1;

	if (t->input != IN_NONE) {
		input_key(t, ch, req);
		return;
	}
	if (t->help) {
		t->help = false;
		return;
	}
	t->message[0] = '\0';
	for (int i = 0; i < TOP_NCOLS; i++) {
		if (ch == sort_keys[i]) {
			sort_by(t, (enum top_col)i);
			return;
		}
	}
	switch (ch) {
	case 'q':
	case KEY_F(10):
		req->quit = true;
		break;
	case KEY_UP:
		if (t->sel)
			t->sel--;
		select_index(t);
		break;
	case KEY_DOWN:
		t->sel++;
		select_index(t);
		break;
	case KEY_PPAGE:
		t->sel = t->sel > (size_t)page ? t->sel - (size_t)page : 0;
		select_index(t);
		break;
	case KEY_NPAGE:
		t->sel += (size_t)page;
		select_index(t);
		break;
	case KEY_HOME:
		t->sel = 0;
		select_index(t);
		break;
	case KEY_END:
		t->sel = SIZE_MAX;
		select_index(t);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case 't':
		select_index(t);
		t->expanded_id = t->expanded_id == t->sel_id ? 0 : t->sel_id;
		break;
	case '+':
		select_index(t);
		t->expanded_id = t->sel_id;
		break;
	case '-':
		t->expanded_id = 0;
		break;
	case '<':
		sort_by(t, (enum top_col)((t->sort + TOP_NCOLS - 1) % TOP_NCOLS));
		t->reverse = false;
		break;
	case '>':
	case KEY_F(6):
		sort_by(t, (enum top_col)((t->sort + 1) % TOP_NCOLS));
		t->reverse = false;
		break;
	case 'R':
		t->reverse = !t->reverse;
		break;
	case '/':
	case 'f':
	case KEY_F(3):
		t->input = IN_FILTER;
		snprintf(t->input_buf, sizeof(t->input_buf), "%s", t->filter);
		break;
	case 27:
		t->filter[0] = '\0';
		break;
	case 'p':
	case ' ':
		t->paused = !t->paused;
		if (!t->paused)
			snapshot(t);
		break;
	case 'd':
	case 's':
		t->input = IN_DELAY;
		t->input_buf[0] = '\0';
		break;
	case 'h':
	case '?':
	case KEY_F(1):
		t->help = true;
		break;
	case KEY_RESIZE:
		break;
	default:
		break;
	}
}

void sink_top__keys(struct sink *s, struct top_request *req)
{
	struct top_sink *t = top_of(s);
	int ch;

	if (!t->screen)
		return;
	while ((ch = getch()) != ERR)
		key(t, ch, req);
	if (!req->quit)
		screen_draw(t);
}

/* ---- the sink ---- */

static int top_flush(struct sink *s)
{
	struct top_sink *t = top_of(s);
	int err = 0;

	procs_sweep(t);
	if (!t->frame_due)
		return 0;
	t->frame_due = false;
	t->frames++;
	if (t->o.batch) {
		snapshot(t);
		err = batch_frame(t);
		if (!err && fflush(t->sink.f))
			err = sink__check(&t->sink);
	} else if (!t->paused) {
		snapshot(t);
		screen_draw(t);
	}
	if (t->o.on_frame)
		t->o.on_frame(t->o.ctx, t->frames);
	return err;
}

static void top_free(struct sink *s)
{
	struct top_sink *t = top_of(s);

	screen_close(t);
	for (size_t i = 0; i < t->nrows; i++)
		free(t->rows[i]);
	free(t->rows);
	free(t->procs);
	free(t->snap);
	free(t->lines);
	if (t->proc_fd >= 0)
		close(t->proc_fd);
	/* sink__free() frees the sink itself. */
}

static const struct sink_ops top_ops = {
	.name = "top",
	.process = top_process,
	.interval = top_interval,
	.host = top_host,
	.live = top_live,
	.job_end = top_job_end,
	.flush = top_flush,
	.free = top_free,
};

struct sink *sink_top__new(const struct top_opts *o)
{
	struct top_sink *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return NULL;
	t->sink.ops = &top_ops;
	t->sink.f = o->out ? o->out : stdout;
	t->sink.path = "standard output";
	t->o = *o;
	if (!t->o.width)
		t->o.width = 120;
	t->sort = o->sort;
	t->reverse = o->reverse;
	if (o->filter)
		snprintf(t->filter, sizeof(t->filter), "%s", o->filter);
	t->snap_interval_s = o->interval_s;
	t->snap_time = time(NULL);
	t->page_size = sysconf(_SC_PAGESIZE);
	t->proc_fd = util__open_dir("/proc");
	if (!o->batch) {
		err = screen_open(t);
		if (err) {
			top_free(&t->sink);
			free(t);
			errno = -err;
			return NULL;
		}
		screen_draw(t);
	}
	return &t->sink;
}
