// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace ps`'s output: the table (text, escaped; its columns chosen with
 * -o as ps(1) has them) and the JSON array, from a snapshot the loader
 * filled (user/bpf/snapshot.c). Nothing here reads /proc.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobtrace/json.h"
#include "jobtrace/proc_walk.h"
#include "jobtrace/ps.h"
#include "jobtrace/report.h"
#include "jobtrace/util.h"

/*
 * The columns, under ps(1)'s names where it has the same figure (its
 * aliases too); @width pads all but the last column, negative to the left.
 */
static const struct ps_column {
	const char *name, *alias, *header;
	int width;
} columns[PS_COL_COUNT] = {
	[PS_COL_PID] = { "pid", NULL, "PID", 7 },
	[PS_COL_PPID] = { "ppid", NULL, "PPID", 7 },
	[PS_COL_USER] = { "user", "ruser", "USER", -8 },
	[PS_COL_UID] = { "uid", "ruid", "UID", 5 },
	[PS_COL_STATE] = { "s", "state", "S", 1 },
	[PS_COL_THR] = { "thr", "nlwp", "THR", 4 },
	[PS_COL_CPU] = { "cpu", NULL, "CPU s", 10 },
	[PS_COL_RSS] = { "rss", NULL, "RSS", 10 },
	[PS_COL_VSZ] = { "vsz", NULL, "VSZ", 10 },
	[PS_COL_START] = { "start", "start_time", "START", 6 },
	[PS_COL_COMM] = { "comm", "ucomm", "COMMAND", -16 },
	[PS_COL_ARGS] = { "args", "command", "ARGS", -16 },
};

/* Without --format: the table as it always was, pid to command. */
static const unsigned char default_cols[] = { PS_COL_PID, PS_COL_PPID, PS_COL_STATE, PS_COL_THR,
					      PS_COL_CPU, PS_COL_RSS,  PS_COL_COMM };

int ps__add_columns(struct ps_options *o, const char *list, const char **bad, size_t *bad_len)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ", ");
		int c;

		for (c = 0; c < PS_COL_COUNT; c++)
			if ((strlen(columns[c].name) == n && !strncmp(p, columns[c].name, n)) ||
			    (columns[c].alias && strlen(columns[c].alias) == n &&
			     !strncmp(p, columns[c].alias, n)))
				break;
		if (n && (c == PS_COL_COUNT || o->ncols == PS_MAX_COLS)) {
			*bad = p;
			*bad_len = n;
			return c == PS_COL_COUNT ? -EINVAL : -E2BIG;
		}
		if (n)
			o->cols[o->ncols++] = (unsigned char)c;
		p += n;
		p += strspn(p, ", ");
	}
	return 0;
}

void ps__column_names(FILE *f)
{
	for (int c = 0; c < PS_COL_COUNT; c++)
		fprintf(f, "%s%s", c ? ", " : "", columns[c].name);
}

bool ps__wants(const struct ps_options *o, enum ps_col col)
{
	if (!o->ncols)
		return memchr(default_cols, col, sizeof(default_cols)) != NULL;
	return memchr(o->cols, col, o->ncols) != NULL;
}

static double start_epoch_s(const struct ps_entry *p, const struct ps_options *o)
{
	return (double)(o->boot_epoch_ns + p->start_boot_ns) / 1e9;
}

/*
 * START as ps(1)'s start_time: "HH:MM" for a process started today, "Mon
 * DD" this year, the year before that; local time, as ps writes it.
 */
static const char *start_text(char *buf, size_t size, const struct ps_entry *p,
			      const struct ps_options *o)
{
	time_t now = o->now ? o->now : time(NULL), t = (time_t)start_epoch_s(p, o);
	struct tm tn, ts;

	if (!localtime_r(&now, &tn) || !localtime_r(&t, &ts))
		return "?";
	if (ts.tm_year == tn.tm_year && ts.tm_yday == tn.tm_yday)
		strftime(buf, size, "%H:%M", &ts);
	else if (ts.tm_year == tn.tm_year)
		strftime(buf, size, "%b %d", &ts);
	else
		strftime(buf, size, "%Y", &ts);
	return buf;
}

static void write_json_entry(struct json_writer *w, const struct ps_entry *p,
			     const struct ps_options *o)
{
	char state[2] = { p->state, 0 };

	json__begin_object(w, NULL);
	json__i64_k(w, JSON_KEY("pid"), p->pid);
	json__i64_k(w, JSON_KEY("ppid"), p->ppid);
	json__stringn_k(w, JSON_KEY("comm"), p->comm, strlen(p->comm));
	json__stringn_k(w, JSON_KEY("state"), state, strlen(state));
	json__ns_as_s_k(w, JSON_KEY("cpu_s"), p->cpu_ns);
	json__u64_k(w, JSON_KEY("rss_bytes"), p->rss_bytes);
	json__u64_k(w, JSON_KEY("vm_bytes"), p->vm_bytes);
	json__double_k(w, JSON_KEY("start_time"), start_epoch_s(p, o));
	json__u64_k(w, JSON_KEY("threads"), p->threads);
	if (p->uid == PS_UID_UNKNOWN)
		json__null_k(w, JSON_KEY("uid"));
	else
		json__u64_k(w, JSON_KEY("uid"), p->uid);
	/* inspect's key; null where the uid has no name (or is not known). */
	if (p->user[0])
		json__stringn_k(w, JSON_KEY("username"), p->user, strlen(p->user));
	else
		json__null_k(w, JSON_KEY("username"));
	/* As --events has them: an array, [] for a kernel thread, null when unreadable. */
	if (p->args_known) {
		json__begin_array_k(w, JSON_KEY("args"));
		for (size_t i = 0; i < p->cmdline.argc; i++)
			json__stringn(w, NULL, p->cmdline.argv[i], p->cmdline.arg_len[i]);
		json__end_array(w);
	} else {
		json__null_k(w, JSON_KEY("args"));
	}
	json__bool_k(w, JSON_KEY("kernel_thread"), p->kthread);
	if (p->from_proc)
		json__stringn_k(w, JSON_KEY("source"), "proc", 4);
	else
		json__stringn_k(w, JSON_KEY("source"), "bpf-iter", 8);
	if (p->host_pid)
		json__i64_k(w, JSON_KEY("host_pid"), p->host_pid);
	else
		json__null_k(w, JSON_KEY("host_pid"));
	/* In a container: the pid it has there, where the one above differs. */
	if (p->ns_pid && p->ns_pid != p->pid)
		json__i64_k(w, JSON_KEY("ns_pid"), p->ns_pid);
	json__end_object(w);
}

/*
 * Indentation stops here and the depth is written instead: a chain of
 * 100,000 parents would otherwise make the output grow with the square of
 * its depth (10 GB).
 */
#define PS_TREE_MAX_INDENT 32

/* The tree's indentation, before the first name column of a line. */
static size_t write_indent(FILE *f, size_t depth)
{
	size_t n = (depth < PS_TREE_MAX_INDENT ? depth : PS_TREE_MAX_INDENT) * 2;

	fprintf(f, "%*s", (int)n, "");
	if (depth > PS_TREE_MAX_INDENT)
		n += (size_t)fprintf(f, "[depth %zu] ", depth);
	return n;
}

/* Is @c a name (left-aligned, escaped: any bytes) rather than a figure? */
static bool is_name(enum ps_col c)
{
	return c == PS_COL_USER || c == PS_COL_COMM || c == PS_COL_ARGS;
}

/* A figure's text: digits, units and ASCII only. */
static const char *figure(char *buf, size_t size, const struct ps_entry *p, enum ps_col c,
			  const struct ps_options *o)
{
	switch (c) {
	case PS_COL_PID:
		snprintf(buf, size, "%d", p->pid);
		break;
	case PS_COL_PPID:
		snprintf(buf, size, "%d", p->ppid);
		break;
	case PS_COL_UID:
		if (p->uid == PS_UID_UNKNOWN)
			return "?";
		snprintf(buf, size, "%u", p->uid);
		break;
	case PS_COL_STATE:
		snprintf(buf, size, "%c", p->state);
		break;
	case PS_COL_THR:
		snprintf(buf, size, "%u", p->threads);
		break;
	case PS_COL_CPU:
		snprintf(buf, size, "%.2f", (double)p->cpu_ns / 1e9);
		break;
	case PS_COL_RSS:
		return p->kthread ? "-" : report__bytes(buf, size, p->rss_bytes);
	case PS_COL_VSZ:
		return p->kthread ? "-" : report__bytes(buf, size, p->vm_bytes);
	case PS_COL_START:
		return start_text(buf, size, p, o);
	default:
		return "";
	}
	return buf;
}

/* A name, escaped as every name jobtrace prints: hostile bytes cannot break the line. */
static size_t write_name(FILE *f, const struct ps_entry *p, enum ps_col c)
{
	size_t n = 0;

	switch (c) {
	case PS_COL_USER:
		/* ps(1)'s habit: the uid where it has no name. */
		if (p->user[0])
			return text__escape(f, p->user, strlen(p->user));
		if (p->uid == PS_UID_UNKNOWN)
			return (size_t)fprintf(f, "?");
		return (size_t)fprintf(f, "%u", p->uid);
	case PS_COL_COMM:
		n = text__escape(f, p->comm, strlen(p->comm));
		if (p->ns_pid && p->ns_pid != p->pid)
			n += (size_t)fprintf(f, " [ns pid %d]", p->ns_pid);
		return n;
	case PS_COL_ARGS:
		/* As ps(1): a process with no arguments (a kernel thread) by its [name]. */
		if (!p->args_known || !p->cmdline.argc) {
			n = (size_t)fprintf(f, "[");
			n += text__escape(f, p->comm, strlen(p->comm));
			return n + (size_t)fprintf(f, "]");
		}
		for (size_t i = 0; i < p->cmdline.argc; i++) {
			if (i)
				n += (size_t)fprintf(f, " ");
			n += text__escape(f, p->cmdline.argv[i], p->cmdline.arg_len[i]);
		}
		return n;
	default:
		return 0;
	}
}

static void cols_of(const struct ps_options *o, const unsigned char **cols, size_t *n)
{
	*cols = o->ncols ? o->cols : default_cols;
	*n = o->ncols ? o->ncols : sizeof(default_cols);
}

static void write_header(FILE *f, const struct ps_options *o)
{
	const unsigned char *cols;
	size_t n;

	cols_of(o, &cols, &n);
	for (size_t i = 0; i < n; i++) {
		const struct ps_column *c = &columns[cols[i]];

		if (i)
			fputs(cols[i] == PS_COL_COMM || cols[i] == PS_COL_ARGS ? "  " : " ", f);
		if (i + 1 == n && c->width < 0)
			fputs(c->header, f);
		else
			fprintf(f, "%*s", c->width, c->header);
	}
	fputc('\n', f);
}

/*
 * A row. Figures are right-aligned in their column; names (USER, COMMAND,
 * ARGS) left-aligned, the tree's indentation before the first of COMMAND
 * and ARGS. A cell wider than its column pushes the rest right, as ps(1)'s
 * do, rather than being cut.
 */
static void write_text_entry(FILE *f, const struct ps_entry *p, size_t depth,
			     const struct ps_options *o)
{
	const unsigned char *cols;
	bool indented = false;
	char buf[64];
	size_t n;

	cols_of(o, &cols, &n);
	for (size_t i = 0; i < n; i++) {
		const struct ps_column *c = &columns[cols[i]];
		bool command = cols[i] == PS_COL_COMM || cols[i] == PS_COL_ARGS;
		size_t w = 0, width = (size_t)(c->width < 0 ? -c->width : c->width);

		if (i)
			fputs(command ? "  " : " ", f);
		if (!is_name(cols[i])) {
			fprintf(f, "%*s", c->width, figure(buf, sizeof(buf), p, cols[i], o));
			continue;
		}
		if (command && !indented && o->tree) {
			w = write_indent(f, depth);
			indented = true;
		}
		w += write_name(f, p, cols[i]);
		if (i + 1 < n && w < width)
			fprintf(f, "%*s", (int)(width - w), "");
	}
	fputc('\n', f);
}

static void ps_ids(const void *recs, size_t i, int32_t *pid, int32_t *ppid)
{
	const struct ps_entry *p = &((const struct ps_entry *)recs)[i];

	*pid = p->pid;
	*ppid = p->ppid;
}

struct ps_visit {
	FILE *f;
	struct json_writer *w;
	const struct ps_snapshot *s;
	const struct ps_options *o;
};

static int ps_visit_one(size_t idx, size_t depth, void *ctx)
{
	const struct ps_visit *v = ctx;
	const struct ps_entry *p = &v->s->procs[idx];

	if (v->w)
		write_json_entry(v->w, p, v->o);
	else
		write_text_entry(v->f, p, v->o->tree ? depth : 0, v->o);
	return 0;
}

#define PS_JSON_BUF (64 * 1024)

/*
 * Below this many processes the list is written by one thread: a thread's
 * start (tens of µs) is then more than it saves.
 */
#define PS_JSON_SPLIT_MIN 1024
/*
 * The tail's share of the list, in percent: its pages are fresh, each a
 * fault, so it is the smaller part (write, 5,100 processes, median of 15:
 * 1.45 ms by one thread; a tail of 30 % 1.19, 35 % 1.03, 40 % 1.12).
 */
#define PS_JSON_TAIL_PCT 35

/* The entries from @from on, formatted into memory by a thread of their own. */
struct json_tail {
	const struct ps_snapshot *s;
	const struct ps_options *o;
	size_t from;
	char *text; /* its bytes, len of them */
	size_t len;
	int err; /* not formatted (no memory, more bytes than guessed): the caller writes them */
	int taken; /* by the thread (1) or, where it had not begun, the caller (2) */
	pthread_t thread;
};

/*
 * Whether @who (1: the thread, 2: the caller) formats the tail: the first
 * to ask. The caller asks once done with the head, so a thread that has not
 * run by then (its CPU busy) is never waited for.
 */
static bool tail_take(struct json_tail *t, int who)
{
	int free_ = 0;

	return __atomic_compare_exchange_n(&t->taken, &free_, who, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/*
 * Room for @t's entries, once formatted: more than they take but for
 * hostile bytes (each escaped to 6), then the caller writes them itself.
 * Only the pages written are ever touched.
 */
static size_t tail_room(const struct json_tail *t)
{
	size_t room = 0;

	for (size_t i = t->from; i < t->s->n; i++) {
		const struct ps_entry *p = &t->s->procs[i];

		room += 512 + 2 * (strlen(p->comm) + strlen(p->user));
		for (size_t k = 0; k < p->cmdline.argc; k++)
			room += 8 + 2 * p->cmdline.arg_len[k];
	}
	return room;
}

static void *format_tail(void *arg)
{
	struct json_tail *t = arg;
	struct json_writer w;
	char *jbuf = NULL;
	FILE *m = NULL;
	size_t room;
	long len;

	if (!tail_take(t, 1))
		return NULL;
	room = tail_room(t);
	/*
	 * One block of the size guessed: open_memstream() grew by reallocs
	 * and, past a size, cost more than the thread saved.
	 */
	t->text = malloc(room);
	if (t->text)
		m = fmemopen(t->text, room, "w");
	if (m)
		jbuf = malloc(PS_JSON_BUF);
	if (!jbuf) {
		t->err = -ENOMEM;
		goto out;
	}
	json__init(&w, m, false);
	json__buffer(&w, jbuf, PS_JSON_BUF);
	json__resume_array(&w);
	for (size_t i = t->from; i < t->s->n; i++)
		write_json_entry(&w, &t->s->procs[i], t->o);
	t->err = json__flush_part(&w);
	len = ftell(m);
	if (!t->err && (len < 0 || (size_t)len >= room))
		t->err = -ENOSPC; /* may be cut: fmemopen() keeps a byte for a NUL */
	t->len = len > 0 ? (size_t)len : 0;
out:
	if (m)
		fclose(m);
	free(jbuf);
	return NULL;
}

/*
 * 5,000 processes are 2 MB of JSON and 1.5 ms of formatting: where another
 * CPU is free, a thread formats the tail of the list into memory while
 * this one writes the head. The tail is the smaller part: its memory is
 * fresh, each page a fault. The thread starts on a CPU other than this
 * one's: left to the scheduler, it often began where this one runs, a
 * millisecond late. false: this thread writes it all.
 */
static bool json_tail_start(struct json_tail *t, const struct ps_snapshot *s,
			    const struct ps_options *o)
{
	int here = sched_getcpu(), err;
	cpu_set_t cpus, other;
	pthread_attr_t attr;

	memset(t, 0, sizeof(*t));
	/* The other CPUs busy when the list was read: a thread would wait for one. */
	if (s->n < PS_JSON_SPLIT_MIN || s->cpus_busy || sched_getaffinity(0, sizeof(cpus), &cpus) ||
	    CPU_COUNT(&cpus) < 2)
		return false;
	t->s = s;
	t->o = o;
	t->from = s->n - s->n * PS_JSON_TAIL_PCT / 100;
	if (pthread_attr_init(&attr))
		return false;
	other = cpus;
	if (here >= 0 && here < CPU_SETSIZE)
		CPU_CLR(here, &other);
	if (CPU_COUNT(&other))
		pthread_attr_setaffinity_np(&attr, sizeof(other), &other);
	err = pthread_create(&t->thread, &attr, format_tail, t);
	pthread_attr_destroy(&attr);
	return !err;
}

static void write_tail_here(const struct json_tail *t, struct json_writer *w)
{
	for (size_t i = t->from; i < t->s->n; i++)
		write_json_entry(w, &t->s->procs[i], t->o);
}

/*
 * The tail's bytes after the head's, in @w's stream; or, where the thread
 * had not begun or could not format them, the tail written here as
 * without it.
 */
static int json_tail_write(struct json_tail *t, struct json_writer *w, FILE *f)
{
	bool here = tail_take(t, 2);
	int err = 0;

	/* Not begun: written here first, the thread only has to end. */
	if (here)
		write_tail_here(t, w);
	else
		err = json__flush_part(w);
	pthread_join(t->thread, NULL);
	if (here)
		return 0;
	if (t->err)
		write_tail_here(t, w);
	else if (!err && t->len && fwrite_unlocked(t->text, 1, t->len, f) != t->len) {
		err = util__stream_error(f);
		err = err ? err : -EIO;
	}
	free(t->text);
	return err;
}

int ps__write(FILE *f, const struct ps_snapshot *s, const struct ps_options *o)
{
	struct json_writer w;
	struct ps_visit v = { f, o->json ? &w : NULL, s, o };
	struct proc_tree tree;
	const struct ps_entry *root = NULL;
	char *jbuf = NULL;
	int err = 0;

	if (o->pid) {
		root = snapshot__find(s, o->pid);
		if (!root)
			return -ESRCH;
	}
	if (o->json) {
		json__init(&w, f, false);
		/* 5,000 processes are 2 MB of JSON: written 64 KiB at a time. */
		jbuf = malloc(PS_JSON_BUF);
		if (jbuf)
			json__buffer(&w, jbuf, PS_JSON_BUF);
		json__begin_array(&w, NULL);
	} else {
		write_header(f, o);
	}
	if (!root && !o->tree) {
		struct json_tail tail;
		bool split = o->json && json_tail_start(&tail, s, o);
		size_t end = split ? tail.from : s->n;

		for (size_t i = 0; i < end; i++) {
			if (o->json)
				write_json_entry(&w, &s->procs[i], o);
			else
				write_text_entry(f, &s->procs[i], 0, o);
		}
		if (split)
			err = json_tail_write(&tail, &w, f);
		goto done;
	}
	err = proc_tree__build(&tree, s->procs, s->n, ps_ids);
	if (err)
		goto done;
	err = proc_tree__walk(&tree, root ? proc_tree__find(&tree, root->pid) : NULL, ps_visit_one,
			      &v);
	proc_tree__free(&tree);
done:
	if (o->json) {
		json__end_array(&w);
		err = err ? err : json__finish(&w);
		free(jbuf);
	}
	return err ? err : util__stream_error(f);
}
