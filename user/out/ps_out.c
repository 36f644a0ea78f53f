// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace ps`'s output: the table (text, escaped) and the JSON array,
 * from a snapshot the loader filled (user/bpf/snapshot.c). Nothing here reads
 * /proc.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jobtrace/json.h"
#include "jobtrace/proc_walk.h"
#include "jobtrace/ps.h"
#include "jobtrace/report.h"

static double start_epoch_s(const struct ps_entry *p, const struct ps_options *o)
{
	return (double)(o->boot_epoch_ns + p->start_boot_ns) / 1e9;
}

static void write_json_entry(struct json_writer *w, const struct ps_entry *p,
			     const struct ps_options *o)
{
	char state[2] = { p->state, 0 };

	json__begin_object(w, NULL);
	json__i64(w, "pid", p->pid);
	json__i64(w, "ppid", p->ppid);
	json__string(w, "comm", p->comm);
	json__string(w, "state", state);
	json__double(w, "cpu_s", (double)p->cpu_ns / 1e9);
	json__u64(w, "rss_bytes", p->rss_bytes);
	json__u64(w, "vm_bytes", p->vm_bytes);
	json__double(w, "start_time", start_epoch_s(p, o));
	json__u64(w, "threads", p->threads);
	if (p->uid == PS_UID_UNKNOWN)
		json__null(w, "uid");
	else
		json__u64(w, "uid", p->uid);
	json__bool(w, "kernel_thread", p->kthread);
	json__string(w, "source", p->from_proc ? "proc" : "bpf-iter");
	if (p->host_pid)
		json__i64(w, "host_pid", p->host_pid);
	else
		json__null(w, "host_pid");
	/* In a container: the pid it has there, where the one above differs. */
	if (p->ns_pid && p->ns_pid != p->pid)
		json__i64(w, "ns_pid", p->ns_pid);
	json__end_object(w);
}

/*
 * Indentation stops here and the depth is written instead: a chain of
 * 100,000 parents would otherwise make the output grow with the square of
 * its depth (10 GB).
 */
#define PS_TREE_MAX_INDENT 32

static void write_text_entry(FILE *f, const struct ps_entry *p, size_t depth)
{
	char rss[32];

	fprintf(f, "%7d %7d %c %4u %10.2f %10s  %*s", p->pid, p->ppid, p->state, p->threads,
		(double)p->cpu_ns / 1e9,
		p->kthread ? "-" : report__bytes(rss, sizeof(rss), p->rss_bytes),
		(int)(depth < PS_TREE_MAX_INDENT ? depth : PS_TREE_MAX_INDENT) * 2, "");
	if (depth > PS_TREE_MAX_INDENT)
		fprintf(f, "[depth %zu] ", depth);
	text__escape(f, p->comm, strlen(p->comm));
	if (p->ns_pid && p->ns_pid != p->pid)
		fprintf(f, " [ns pid %d]", p->ns_pid);
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
		write_text_entry(v->f, p, v->o->tree ? depth : 0);
	return 0;
}

int ps__write(FILE *f, const struct ps_snapshot *s, const struct ps_options *o)
{
	struct json_writer w;
	struct ps_visit v = { f, o->json ? &w : NULL, s, o };
	struct proc_tree tree;
	const struct ps_entry *root = NULL;
	int err = 0;

	if (o->pid) {
		root = snapshot__find(s, o->pid);
		if (!root)
			return -ESRCH;
	}
	if (o->json) {
		json__init(&w, f, false);
		json__begin_array(&w, NULL);
	} else {
		fprintf(f, "%7s %7s %c %4s %10s %10s  %s\n", "PID", "PPID", 'S', "THR", "CPU s",
			"RSS", "COMMAND");
	}
	if (!root && !o->tree) {
		for (size_t i = 0; i < s->n; i++) {
			if (o->json)
				write_json_entry(&w, &s->procs[i], o);
			else
				write_text_entry(f, &s->procs[i], 0);
		}
		goto done;
	}
	err = proc_tree__build(&tree, s->procs, s->n, ps_ids);
	if (err)
		return err;
	err = proc_tree__walk(&tree, root ? proc_tree__find(&tree, root->pid) : NULL, ps_visit_one,
			      &v);
	proc_tree__free(&tree);
done:
	if (o->json) {
		json__end_array(&w);
		err = err ? err : json__finish(&w);
	}
	return err ? err : (ferror(f) ? -EIO : 0);
}
