// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The top view's frame: the model's snapshot (top_model.c) as lines of text
 * with a kind each (header, row, process, exit), sorted, filtered and
 * expanded as the view says. No terminal here: the screen and batch mode
 * (user/out/sink_top.c) print the same lines, and a unit test reads them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>

#include "jobtrace/job.h"
#include "jobtrace/top.h"
#include "jobtrace/util.h"

#include "top_priv.h"

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

/*
 * One byte of a name as shown: printable ASCII as it is, a backslash
 * doubled, anything else as \xHH. A comm or a cgroup name may hold any
 * byte: a control byte would move the cursor, a bidi control (U+202E)
 * would reorder the line, and a multi-byte character would take other
 * columns than printf pads for.
 */
static size_t esc_byte(unsigned char c, char out[5])
{
	if (c == '\\') {
		memcpy(out, "\\\\", 3);
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c;
		out[1] = '\0';
		return 1;
	}
	snprintf(out, 5, "\\x%02x", c);
	return 4;
}

/*
 * @name escaped, in at most @width columns. Cut, a job's name keeps its end
 * after "..", since the end tells jobs apart (@keep_end); a label keeps its
 * start (its indent and pid). An escape is never cut in two.
 */
static void fmt_name(char *buf, size_t size, const char *name, size_t width, bool keep_end)
{
	size_t n = strlen(name), total = 0, from = 0, to = n, o = 0;
	char u[5];

	if (width >= size)
		width = size - 1;
	for (size_t i = 0; i < n; i++)
		total += esc_byte((unsigned char)name[i], u);
	if (total > width) {
		size_t w = 0;

		if (keep_end && width >= 3) {
			memcpy(buf, "..", 2);
			o = 2;
			from = n;
			while (from && w + esc_byte((unsigned char)name[from - 1], u) <= width - 2)
				w += esc_byte((unsigned char)name[--from], u);
		} else {
			to = 0;
			while (to < n && w + esc_byte((unsigned char)name[to], u) <= width)
				w += esc_byte((unsigned char)name[to++], u);
		}
	}
	for (size_t i = from; i < to; i++) {
		size_t k = esc_byte((unsigned char)name[i], u);

		memcpy(buf + o, u, k);
		o += k;
	}
	buf[o] = '\0';
}

/* The fixed columns after JOB: ALIVE START/s EXIT/s FAIL CPU% RSS IO/s, then COMMAND. */
#define FIXED_WIDTH (6 + 8 + 7 + 5 + 7 + 7 + 7 + 1)
#define COMMAND_WIDTH 15
/* Process lines take the columns a job's counts use (ALIVE to FAIL) for their label. */
#define LABEL_EXTRA (6 + 8 + 7 + 5)

static size_t job_width(const struct top_model *m)
{
	unsigned int w = m->v->width;

	return w > FIXED_WIDTH + COMMAND_WIDTH + 12 ? w - FIXED_WIDTH - COMMAND_WIDTH - 1 : 12;
}

static struct top_line *line_add(struct top_model *m, enum top_line_kind kind, __u64 row_id)
{
	struct top_line *l;

	if (m->nlines == m->lines_cap) {
		size_t cap = m->lines_cap ? 2 * m->lines_cap : 128;
		struct top_line *lines = realloc(m->lines, cap * sizeof(*lines));

		if (!lines) {
			m->lines_short = true;
			return NULL;
		}
		m->lines = lines;
		m->lines_cap = cap;
	}
	l = &m->lines[m->nlines++];
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

static const char *row_command_shown(const struct top_row *r)
{
	return r->command[0] ? r->command : r->live_comm;
}

/* Most first for numbers, A to Z for names; ties by name, so rows hold still. */
static int row_cmp(const void *a, const void *b, void *arg)
{
	const struct top_view *v = arg;
	const struct top_row *x = a, *y = b;
	int d = 0;

	if (v->sort == TOP_COL_JOB) {
		d = strcmp(x->key, y->key);
	} else if (v->sort == TOP_COL_COMMAND) {
		d = strcmp(row_command_shown(x), row_command_shown(y));
	} else {
		double vx = col_value(x, v->sort), vy = col_value(y, v->sort);

		d = vx > vy ? -1 : vx < vy ? 1 : 0;
	}
	if (v->reverse)
		d = -d;
	return d ? d : strcmp(x->key, y->key);
}

static bool row_shown(const struct top_view *v, const struct top_row *r)
{
	const char *f = v->filter;

	return r->have_interval &&
	       (!f || !f[0] || strcasestr(r->key, f) || strcasestr(row_command_shown(r), f));
}

static void add_header(struct top_model *m)
{
	const struct top_host *h = &m->snap_host;
	const struct top_view *v = m->v;
	char when[32], a[16], b[16], c[16], d[16], load[64], filter[4 * TOP_FILTER_LEN];
	struct top_line *l;
	struct tm tm;

	localtime_r(&m->snap_time, &tm);
	strftime(when, sizeof(when), v->replay ? "replay %Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
	l = line_add(m, TOP_LINE_TITLE, 0);
	if (!l)
		return;
	fmt_name(filter, sizeof(filter), v->filter ? v->filter : "", sizeof(filter) - 1, false);
	line_set(l, "jobtrace top - %s  every %.1f s  %zu jobs (%zu ended)  sort %s%s%s%s%s", when,
		 m->snap_interval_s, m->nsnap - m->nsnap_ended, m->nsnap_ended, col_names[v->sort],
		 v->reverse ? " (reversed)" : "",
		 v->paused ? "  PAUSED" : "", filter[0] ? "  filter: " : "", filter);
	if (!h->valid) {
		l = line_add(m, TOP_LINE_HOST, 0);
		if (l)
			line_set(l, "waiting for the first interval...");
		return;
	}
	/* "?" for what the samples could not tell: a 0 there would be a reading. */
	if (h->unknown & HOST_RECORD_NO_LOAD)
		snprintf(load, sizeof(load), "?");
	else
		snprintf(load, sizeof(load), "%.2f %.2f %.2f", h->load1, h->load5, h->load15);
	l = line_add(m, TOP_LINE_HOST, 0);
	if (l) {
		if (h->cpu_busy_pct < 0)
			line_set(l, "CPU    ?   load %s", load);
		else if (h->unknown & HOST_RECORD_NO_STAT)
			line_set(l, "CPU %5.1f%%  us %.1f  sy %.1f  wa %.1f   load %s",
				 h->cpu_busy_pct, h->cpu_user_pct, h->cpu_system_pct,
				 h->cpu_iowait_pct, load);
		else
			line_set(l, "CPU %5.1f%%  us %.1f  sy %.1f  wa %.1f  (%u CPUs)   load %s",
				 h->cpu_busy_pct, h->cpu_user_pct, h->cpu_system_pct,
				 h->cpu_iowait_pct, h->ncpus, load);
	}
	l = line_add(m, TOP_LINE_HOST, 0);
	if (l && h->unknown & HOST_RECORD_NO_MEM) {
		line_set(l, "Mem ?   Swap ?");
	} else if (l) {
		fmt_bytes(a, sizeof(a), (double)h->mem_used);
		fmt_bytes(b, sizeof(b), (double)h->mem_total);
		fmt_bytes(c, sizeof(c), (double)h->swap_used);
		fmt_bytes(d, sizeof(d), (double)h->swap_total);
		line_set(l, "Mem %s used of %s   Swap %s of %s", a, b, c, d);
	}
	if (h->forks_ps >= 0)
		fmt_count(a, sizeof(a), h->forks_ps);
	else
		snprintf(a, sizeof(a), "?");
	/*
	 * The host's exits are its jobs' where its jobs are all its processes
	 * (host mode). Following given jobs, the host's are not seen: their
	 * sum beside the host's forks read as a host whose processes never
	 * ended (forks 500/s, exits 0/s, under a fork loop).
	 */
	if (v->jobs_given)
		snprintf(b, sizeof(b), "?");
	else
		fmt_count(b, sizeof(b), h->exits_ps);
	l = line_add(m, TOP_LINE_HOST, 0);
	if (l && h->unknown & HOST_RECORD_NO_STAT)
		line_set(l, "Tasks forks %s/s  exits %s/s  running ?  blocked ?  lost events %llu",
			 a, b, (unsigned long long)h->lost);
	else if (l)
		line_set(l,
			 "Tasks forks %s/s  exits %s/s  running %llu  blocked %llu  lost events %llu",
			 a, b, (unsigned long long)h->running, (unsigned long long)h->blocked,
			 (unsigned long long)h->lost);
}

static void add_colhead(struct top_model *m)
{
	static const char *const heads[TOP_NCOLS] = { "JOB",  "ALIVE", "START/s", "EXIT/s", "FAIL",
						      "CPU%", "RSS",   "IO/s",	  "COMMAND" };
	const struct top_view *v = m->v;
	struct top_line *l = line_add(m, TOP_LINE_COLHEAD, 0);
	char h[TOP_NCOLS][16];

	if (!l)
		return;
	/* The sort column is marked, as htop does with its highlight. */
	for (int i = 0; i < TOP_NCOLS; i++)
		snprintf(h[i], sizeof(h[i]), "%s%s", heads[i],
			 (enum top_col)i == v->sort ? (v->reverse ? "^" : "v") : "");
	line_set(l, "%-*s %5s %7s %6s %4s %6s %6s %6s %-*s", (int)job_width(m), h[0], h[1], h[2],
		 h[3], h[4], h[5], h[6], h[7], COMMAND_WIDTH, h[8]);
}

static void add_row(struct top_model *m, const struct top_row *r)
{
	char name[TOP_LINE_LEN], alive[16], st[16], ex[16], fl[16], cpu[16], rss[16], io[16];
	char cmd_shown[JT_COMM_LEN + 1];
	struct top_line *l = line_add(m, r->failed ? TOP_LINE_ROW_FAILED : TOP_LINE_ROW, r->id);

	if (!l)
		return;
	fmt_name(name, sizeof(name), r->key, job_width(m), true);
	/* An ended job says so where its processes were counted. */
	if (r->ended)
		snprintf(alive, sizeof(alive), "end");
	else
		fmt_count(alive, sizeof(alive), (double)r->alive);
	fmt_count(st, sizeof(st), r->started_ps);
	fmt_count(ex, sizeof(ex), r->exited_ps);
	fmt_count(fl, sizeof(fl), (double)r->failed);
	snprintf(cpu, sizeof(cpu), r->cpu_pct < 999.95 ? "%.1f" : "%.0f", r->cpu_pct);
	fmt_bytes(rss, sizeof(rss), (double)r->rss_bytes);
	fmt_bytes(io, sizeof(io), r->io_bps);
	fmt_name(cmd_shown, sizeof(cmd_shown), row_command_shown(r), sizeof(cmd_shown) - 1, false);
	line_set(l, "%-*s %5s %7s %6s %4s %6s %6s %6s %-*s", (int)job_width(m), name, alive, st, ex,
		 fl, cpu, rss, io, COMMAND_WIDTH, cmd_shown);
}

static int node_by_pid(const void *a, const void *b)
{
	const struct tree_node *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void add_tree_line(struct top_model *m, const struct tree_node *n)
{
	char label[TOP_LINE_LEN], name[TOP_LINE_LEN], comm[4 * sizeof(n->comm)];
	char cpu[16] = "", rss[16], thr[32] = "";
	struct top_line *l = line_add(m, TOP_LINE_PROC, 0);
	int indent = 1 + 2 * (n->depth > 8 ? 8 : n->depth);
	size_t w = job_width(m) + LABEL_EXTRA;

	if (!l)
		return;
	if (n->threads > 1)
		snprintf(thr, sizeof(thr), " (%u threads)", n->threads);
	/* The comm escaped on its own: the label's backslashes are not doubled again. */
	fmt_name(comm, sizeof(comm), n->comm, sizeof(comm) - 1, false);
	snprintf(label, sizeof(label), "%*s`- %u %s%s", indent, "", n->pid, comm, thr);
	snprintf(name, sizeof(name), "%.*s", (int)(w < sizeof(name) ? w : sizeof(name) - 1), label);
	if (n->cpu_pct >= 0)
		snprintf(cpu, sizeof(cpu), "%.1f", n->cpu_pct);
	fmt_bytes(rss, sizeof(rss), (double)n->rss_bytes);
	line_set(l, "%-*s %6s %6s", (int)w, name, cpu, rss);
}

/* Depth-first from @i: a child under its parent, children by pid. */
static void add_subtree(struct top_model *m, struct tree_node *nodes, size_t n, size_t i,
			int depth)
{
	nodes[i].depth = depth;
	nodes[i].done = true;
	add_tree_line(m, &nodes[i]);
	for (size_t k = 0; k < n; k++) {
		if (!nodes[k].done && nodes[k].ppid == nodes[i].pid)
			add_subtree(m, nodes, n, k, depth + 1);
	}
}

/*
 * The expanded job's live processes of the snapshot, with their parents
 * as their records had them: built once per snapshot and job, so a paused
 * screen keeps its tree as it was.
 */
static void tree_read(struct top_model *m, __u64 job_id)
{
	size_t n = 0;

	if (m->tree_gen == m->snap_gen && m->tree_job == job_id)
		return;
	if (!m->tree) {
		m->tree = calloc(TOP_MAX_TREE, sizeof(*m->tree));
		if (!m->tree)
			return;
	}
	for (size_t i = 0; i < m->nsnap_procs && n < TOP_MAX_TREE; i++) {
		const struct top_proc *p = &m->snap_procs[i];

		if (p->job_id != job_id || !p->have_stat)
			continue;
		m->tree[n] = (struct tree_node){ .pid = p->tgid, .ppid = p->ppid,
						 .cpu_pct = p->cpu_pct, .rss_bytes = p->rss_bytes,
						 .threads = p->threads };
		snprintf(m->tree[n].comm, sizeof(m->tree[n].comm), "%s", p->comm);
		n++;
	}
	if (n)
		qsort(m->tree, n, sizeof(*m->tree), node_by_pid);
	m->ntree = n;
	m->tree_job = job_id;
	m->tree_gen = m->snap_gen;
}

static void add_exit_line(struct top_model *m, const struct top_exit *x)
{
	bool failed = (x->status & 0xff7f) != 0;
	char label[TOP_LINE_LEN], name[TOP_LINE_LEN], comm[4 * sizeof(x->comm)], how[48], cpu[16];
	struct top_line *l = line_add(m, failed ? TOP_LINE_EXIT_FAILED : TOP_LINE_EXIT, 0);
	size_t w = job_width(m) + LABEL_EXTRA;

	if (!l)
		return;
	if (WIFSIGNALED(x->status))
		snprintf(how, sizeof(how), "killed: %s", strsignal(WTERMSIG(x->status)));
	else
		snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(x->status));
	fmt_name(comm, sizeof(comm), x->comm, sizeof(comm) - 1, false);
	snprintf(label, sizeof(label), " x %u %s, after %.3f s: %s", x->pid, comm, x->duration_s,
		 how);
	snprintf(name, sizeof(name), "%.*s", (int)(w < sizeof(name) ? w : sizeof(name) - 1), label);
	snprintf(cpu, sizeof(cpu), "%.3fs", (double)x->cpu_ns / 1e9);
	line_set(l, "%-*s %6s", (int)w, name, cpu);
}

static void add_expanded(struct top_model *m, const struct top_row *r)
{
	tree_read(m, r->id);
	for (size_t i = 0; i < m->ntree; i++)
		m->tree[i].done = false;
	for (size_t i = 0; i < m->ntree; i++) {
		struct tree_node key = { .pid = m->tree[i].ppid };

		/* A root: its parent is not in the job. */
		if (!m->tree[i].done &&
		    !bsearch(&key, m->tree, m->ntree, sizeof(*m->tree), node_by_pid))
			add_subtree(m, m->tree, m->ntree, i, 0);
	}
	/* Its last exits, the most recent first. */
	for (__u64 k = 0; k < TOP_EXITS && k < r->nexits; k++)
		add_exit_line(m, &r->exits[(r->nexits - 1 - k) % TOP_EXITS]);
}

int top_model__frame(struct top_model *m, const struct top_view *v)
{
	m->v = v;
	m->nlines = 0;
	m->lines_short = false;
	add_header(m);
	add_colhead(m);
	qsort_r(m->snap, m->nsnap, sizeof(*m->snap), row_cmp, (void *)v);
	for (size_t i = 0; i < m->nsnap; i++) {
		const struct top_row *r = &m->snap[i];

		if (!row_shown(v, r))
			continue;
		add_row(m, r);
		if (v->expanded_id && r->id == v->expanded_id)
			add_expanded(m, r);
	}
	m->v = NULL;
	/* The lines added before an allocation failed still stand. */
	return m->lines_short ? -ENOMEM : 0;
}

const struct top_line *top_model__lines(const struct top_model *m, size_t *n)
{
	*n = m->nlines;
	return m->lines;
}
