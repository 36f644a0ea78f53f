// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The stream's sink: serve's records, in the ABI of
 * include/jobtrace/stream.h, through the writer (user/out/stream_writer.c).
 * A record's figures are the collector's record's, stamped with its times:
 * `tail --json` rebuilds the JSON line serve writes from it
 * (user/out/stream_records.c). Lines with no fixed layout (a job's report,
 * a system sample) go as JSON text in parts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/job.h"
#include "jobtrace/sink.h"
#include "jobtrace/stream_writer.h"
#include "jobtrace/util.h"

/* The sink: the collector's records in the stream's ABI. */
struct sink_stream {
	struct sink base; /* first: sink__free() frees the whole */
	struct stream_writer *w;
	union jt_stream_record rec;
	__u64 text_lines; /* JT_STREAM_TEXT lines written: each one's id */
};

static struct sink_stream *stream_of(struct sink *s)
{
	return (struct sink_stream *)s;
}

static void fill_job(struct jt_stream_job *out, const struct cjob *j, __u64 job_id)
{
	size_t n = j ? strlen(j->job.key) : 0;

	memset(out, 0, sizeof(*out));
	out->job_id = job_id;
	if (n >= JT_STREAM_KEY_LEN) {
		n = JT_STREAM_KEY_LEN - 1;
		out->flags |= JT_STREAM_F_KEY_TRUNCATED;
	}
	if (n)
		memcpy(out->key, j->job.key, n);
}

static void fill_acct(struct jt_stream_acct *out, const struct jt_acct *a, __u64 user_ns,
		      __u64 system_ns)
{
	out->cpu_ns = a->cpu_ns;
	out->user_ns = user_ns;
	out->system_ns = system_ns;
	out->read_bytes = a->read_bytes;
	out->write_bytes = a->write_bytes;
	out->read_chars = a->read_chars;
	out->write_chars = a->write_chars;
}

static int append(struct sink *s, size_t len)
{
	int err = stream_writer__append(stream_of(s)->w, &stream_of(s)->rec, len);

	if (err && !s->err)
		s->err = err;
	return err;
}

/* Where the process lives: its container's pid for it, and its cgroup. */
static void fill_place(struct jt_stream_lineage *lin, __u32 ns_pid, __u64 cgroup_id,
		       int hierarchy)
{
	lin->ns_pid = ns_pid;
	lin->cgroup_id = cgroup_id;
	/* -1: the collector found no hierarchy; the kernel's id is then the v2 one. */
	lin->cgroup_hierarchy = hierarchy > 0 ? hierarchy : 0;
}

/* Which limit the OOM killer's victim hit, ahead of its exit record. */
static int stream_oom(struct sink *s, const struct proc_record *r)
{
	struct jt_stream_oom *x = &stream_of(s)->rec.oom;
	const struct job_oom *o = r->oom;

	memset(x, 0, sizeof(*x));
	x->hdr.type = JT_STREAM_OOM;
	x->time_ns = r->end_epoch_ns;
	x->pid = r->e->pid;
	x->start_ns = r->e->start_ns;
	x->flags = (o->global ? JT_STREAM_OOM_GLOBAL : 0) |
		   (o->limit_known ? JT_STREAM_OOM_LIMIT : 0) | (o->rss_known ? JT_STREAM_OOM_RSS : 0) |
		   (o->limit_seen ? JT_STREAM_OOM_SEEN : 0);
	x->limit_bytes = o->limit_bytes;
	x->rss_bytes = o->rss_bytes;
	snprintf(x->hierarchy, sizeof(x->hierarchy), "%s", o->hierarchy);
	snprintf(x->cgroup, sizeof(x->cgroup), "%s", o->cgroup);
	return append(s, sizeof(*x));
}

static int stream_process(struct sink *s, const struct proc_record *r)
{
	struct jt_stream_exit *x = &stream_of(s)->rec.exit;
	const struct jt_exit_event *e = r->e;
	__u32 flags = e->flags & (JT_F_EXISTING | JT_F_MOVED | JT_F_EXECED);
	int err;

	if (r->oom) {
		err = stream_oom(s, r);
		if (err)
			return err;
	}

	memset(x, 0, sizeof(*x));
	x->hdr.type = JT_STREAM_EXIT;
	x->time_ns = r->end_epoch_ns;
	fill_job(&x->job, r->job, e->job_id);
	x->lin.pid = e->pid;
	x->lin.ppid = e->ppid;
	x->lin.start_ns = e->start_ns;
	x->lin.parent_start_ns = e->parent_start_ns;
	fill_place(&x->lin, e->ns_pid, e->cgroup_id, r->cgroup_hierarchy);
	x->exit_ns = e->exit_ns;
	x->exit_status = e->exit_status;
	x->threads = e->threads;
	fill_acct(&x->acct, &e->acct, e->user_ns, e->system_ns);
	x->peak_rss_bytes = e->peak_rss_bytes;
	x->uid = e->uid;
	x->gid = e->gid;
	memcpy(x->comm, e->comm, sizeof(x->comm));
	if (r->args) {
		size_t n = r->args_len < JT_STREAM_ARGS_LEN ? r->args_len : JT_STREAM_ARGS_LEN;

		memcpy(x->args, r->args, n);
		x->args_len = (__u16)n;
		if (r->args_truncated || r->args_len > JT_STREAM_ARGS_LEN)
			flags |= JT_STREAM_F_ARGS_TRUNCATED;
		if (r->args_inherited)
			flags |= JT_STREAM_F_ARGS_INHERITED;
	} else {
		flags |= JT_STREAM_F_ARGS_UNKNOWN;
	}
	if (r->exe) {
		size_t n = strnlen(r->exe, JT_STREAM_EXE_LEN);

		memcpy(x->exe, r->exe, n);
		x->exe_len = (__u16)n;
	}
	if (e->is_root)
		flags |= JT_STREAM_F_IS_ROOT;
	x->flags = flags;
	/*
	 * The path is the record's tail: only its used bytes go in the ring
	 * (a reader zero-fills the rest, as for any shorter record), so the
	 * commonest record stays near its size before the path came.
	 */
	return append(s, offsetof(struct jt_stream_exit, exe) +
				 ((x->exe_len + JT_STREAM_ALIGN - 1) & ~(size_t)(JT_STREAM_ALIGN - 1)));
}

static int stream_fork(struct sink *s, const struct fork_record *r)
{
	struct jt_stream_fork *f = &stream_of(s)->rec.fork;
	const struct jt_fork_event *e = r->e;

	memset(f, 0, sizeof(*f));
	f->hdr.type = JT_STREAM_FORK;
	f->time_ns = r->start_epoch_ns;
	fill_job(&f->job, r->job, e->job_id);
	f->lin.pid = e->pid;
	f->lin.ppid = e->ppid;
	f->lin.start_ns = e->start_ns;
	f->lin.parent_start_ns = e->parent_start_ns;
	fill_place(&f->lin, e->ns_pid, e->cgroup_id, r->cgroup_hierarchy);
	memcpy(f->comm, e->comm, sizeof(f->comm));
	return append(s, sizeof(*f));
}

static int stream_exec(struct sink *s, const struct exec_record *r)
{
	struct jt_stream_exec *x = &stream_of(s)->rec.exec;
	const struct jt_exec_event *e = r->e;
	size_t n = e->args_len < JT_STREAM_ARGS_LEN ? e->args_len : JT_STREAM_ARGS_LEN;

	memset(x, 0, sizeof(*x));
	x->hdr.type = JT_STREAM_EXEC;
	x->time_ns = r->epoch_ns;
	fill_job(&x->job, r->job, e->job_id);
	x->pid = e->pid;
	x->start_ns = e->start_ns;
	memcpy(x->args, e->args, n);
	x->args_len = (__u16)n;
	x->flags = e->truncated ? JT_STREAM_F_ARGS_TRUNCATED : 0;
	return append(s, sizeof(*x));
}

static int stream_interval(struct sink *s, const struct interval_record *r)
{
	struct jt_stream_interval *x = &stream_of(s)->rec.interval;
	const struct cjob_cum *d = &r->d;
	struct jt_acct a = {
		.cpu_ns = d->cpu_ns,
		.read_bytes = d->read_bytes,
		.write_bytes = d->write_bytes,
	};

	memset(x, 0, sizeof(*x));
	x->hdr.type = JT_STREAM_INTERVAL;
	x->time_ns = r->t1_epoch_ns;
	x->start_time_ns = r->t0_epoch_ns;
	fill_job(&x->job, r->job, r->job->id);
	x->incomplete = r->incomplete;
	x->unknown = r->job->job.unknown;
	x->cpu_cap = r->cpu_cap;
	x->started = d->started;
	x->exited = d->exited;
	x->exit_ok = d->exit_ok;
	x->exit_error = d->exit_error;
	x->exit_signal = d->exit_signal;
	x->execs = d->execs;
	x->threads_started = d->threads;
	x->existing = d->existing;
	x->moved_in = d->moved_in;
	x->moved_out = d->moved_out;
	x->alive = r->alive;
	fill_acct(&x->acct, &a, d->user_ns, d->system_ns);
	x->rss_bytes = r->rss_bytes;
	x->pss_bytes = r->pss ? r->pss_bytes : 0;
	x->has_pss = r->pss;
	x->vm_bytes = r->vm_bytes;
	x->open_files = r->open_files;
	x->exit_records_lost = d->exit_records_lost;
	x->fork_records_lost = d->fork_records_lost;
	x->exec_records_lost = d->exec_records_lost;
	return append(s, sizeof(*x));
}

static __s32 mpct(double pct)
{
	return pct < 0 ? -1 : (__s32)sink__milli(pct);
}

static __u64 milli(double v)
{
	return sink__milli(v);
}

/*
 * A JSON line of sink_json's, as @write makes it, in JT_STREAM_TEXT parts.
 * Built in memory first: a line that cannot be built is not sent.
 */
static int append_text(struct sink *s, __u16 kind, __u64 time_ns,
		       int (*write)(struct sink *js, const void *a, const void *b), const void *a,
		       const void *b)
{
	struct sink_stream *ss = stream_of(s);
	struct jt_stream_text *x = &ss->rec.text;
	struct sink js = { .top = s->top };
	char *buf = NULL;
	size_t len = 0, parts;
	int err;

	js.f = open_memstream(&buf, &len);
	if (!js.f)
		return 0;
	err = write(&js, a, b);
	if (fclose(js.f) || err || !len) {
		free(buf);
		return 0;
	}
	if (buf[len - 1] == '\n')
		len--;
	parts = (len + JT_STREAM_TEXT_LEN - 1) / JT_STREAM_TEXT_LEN;
	if (parts > JT_STREAM_TEXT_MAX_PARTS) {
		free(buf);
		return 0;
	}
	ss->text_lines++;
	for (size_t i = 0; i < parts && !err; i++) {
		size_t n = len - i * JT_STREAM_TEXT_LEN;

		if (n > JT_STREAM_TEXT_LEN)
			n = JT_STREAM_TEXT_LEN;
		memset(x, 0, sizeof(*x));
		x->hdr.type = JT_STREAM_TEXT;
		x->time_ns = time_ns;
		x->line = ss->text_lines;
		x->part = (__u32)i;
		x->parts = (__u32)parts;
		x->len = (__u32)n;
		x->kind = kind;
		memcpy(x->text, buf + i * JT_STREAM_TEXT_LEN, n);
		/* The last part's unused text stays out of the ring. */
		err = append(s, offsetof(struct jt_stream_text, text) +
				       ((n + JT_STREAM_ALIGN - 1) & ~(size_t)(JT_STREAM_ALIGN - 1)));
	}
	free(buf);
	return err;
}

static int write_system(struct sink *js, const void *a, const void *b)
{
	return sink_json__system_line(js, a);
}

static int write_job(struct sink *js, const void *a, const void *b)
{
	return sink_json__job_line(js, a, b);
}

static int stream_host(struct sink *s, const struct host_record *r)
{
	struct jt_stream_host *h = &stream_of(s)->rec.host;
	bool known = r->cpu_busy_pct >= 0;
	int err;

	memset(h, 0, sizeof(*h));
	h->hdr.type = JT_STREAM_HOST;
	h->time_ns = r->t1_epoch_ns;
	h->start_time_ns = r->t0_epoch_ns;
	h->cpu_busy_mpct = mpct(r->cpu_busy_pct);
	h->cpu_user_mpct = known ? mpct(r->cpu_user_pct) : -1;
	h->cpu_system_mpct = known ? mpct(r->cpu_system_pct) : -1;
	h->cpu_iowait_mpct = known ? mpct(r->cpu_iowait_pct) : -1;
	h->ncpus = r->ncpus;
	h->unknown = r->unknown | (r->forks_per_s < 0 ? JT_STREAM_HOST_UNKNOWN_FORKS : 0) |
		     (r->ctxt_per_s < 0 ? JT_STREAM_HOST_UNKNOWN_CTXT : 0);
	h->mem_total_bytes = r->mem_total_bytes;
	h->mem_available_bytes = r->mem_available_bytes;
	h->mem_used_bytes = r->mem_used_bytes;
	h->swap_total_bytes = r->swap_total_bytes;
	h->swap_used_bytes = r->swap_used_bytes;
	h->load1_milli = milli(r->load1);
	h->load5_milli = milli(r->load5);
	h->load15_milli = milli(r->load15);
	h->forks_per_s_milli = r->forks_per_s < 0 ? 0 : milli(r->forks_per_s);
	h->ctxt_per_s_milli = r->ctxt_per_s < 0 ? 0 : milli(r->ctxt_per_s);
	h->procs_running = r->procs_running;
	h->procs_blocked = r->procs_blocked;
	h->exit_records_lost = r->events_lost;
	h->fork_records_lost = r->fork_records_lost;
	h->exec_records_lost = r->exec_records_lost;
	err = append(s, sizeof(*h));
	if (err || !r->sample)
		return err;
	return append_text(s, JT_STREAM_TEXT_SYSTEM, r->t1_epoch_ns, write_system, r, NULL);
}

_Static_assert(HOST_RECORD_NO_STAT == JT_STREAM_HOST_UNKNOWN_STAT &&
		       HOST_RECORD_NO_MEM == JT_STREAM_HOST_UNKNOWN_MEM &&
		       HOST_RECORD_NO_LOAD == JT_STREAM_HOST_UNKNOWN_LOAD,
	       "the host record's unknowns are the stream's");
_Static_assert(JOB_UNKNOWN_COUNTS == JT_STREAM_UNKNOWN_COUNTS &&
		       JOB_UNKNOWN_CHARS == JT_STREAM_UNKNOWN_CHARS &&
		       JOB_UNKNOWN_RECORDS == JT_STREAM_UNKNOWN_RECORDS &&
		       JOB_UNKNOWN_CPU == JT_STREAM_UNKNOWN_CPU &&
		       JOB_UNKNOWN_OOM == JT_STREAM_UNKNOWN_OOM,
	       "the stream's unknown bits are the report's");

/* The job's final report, the figures sink_json's "job" record writes (report.c). */
static int stream_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct jt_stream_job_end *x = &stream_of(s)->rec.job_end;
	__u64 off = st->mono_to_epoch_ns;
	const struct job *job = &j->job;
	const struct jt_job_stats *k = &job->stats;
	const char *why[JOB_MAX_INCOMPLETE];
	struct jt_acct a = k->exited;
	int err;

	memset(x, 0, sizeof(*x));
	x->hdr.type = JT_STREAM_JOB_END;
	x->time_ns = job->end_ns + off;
	x->start_time_ns = job->start_ns + off;
	fill_job(&x->job, j, j->id);
	x->wall_ns = job->end_ns > job->start_ns ? job->end_ns - job->start_ns : 0;
	x->root_wall_ns = job->root_end_ns > job->start_ns ? job->root_end_ns - job->start_ns : 0;
	x->root_pid = job->root_pid > 0 ? (__u32)job->root_pid : 0;
	x->root_ns_pid = job->root_ns_pid > 0 ? (__u32)job->root_ns_pid : 0;
	if (job->root_exited) {
		x->flags |= JT_STREAM_JE_ROOT_EXITED;
		x->root_status = (__u32)job->root_status;
	}
	if (!job__incomplete(job, why, JOB_MAX_INCOMPLETE))
		x->flags |= JT_STREAM_JE_COMPLETE;
	if (job->attached)
		x->flags |= JT_STREAM_JE_ATTACHED;
	x->unknown = job->unknown;
	x->started = k->procs_started;
	x->exited = k->procs_exited;
	x->exit_ok = k->exit_ok;
	x->exit_error = k->exit_error;
	x->exit_signal = k->exit_signal;
	x->execs = k->execs;
	x->threads_started = k->threads_started;
	x->alive = k->alive;
	x->max_alive = k->max_alive;
	x->outlived_root = k->outlived_root > 0 ? k->outlived_root : 0;
	x->existing = k->existing;
	x->moved_in = k->moved_in;
	x->moved_out = k->moved_out;
	/* The report's CPU (job_end set it: exited threads, and live ones at a stop). */
	a.cpu_ns = k->cpu_ns;
	fill_acct(&x->acct, &a, k->user_ns, k->system_ns);
	x->peak_rss_bytes = k->peak_rss_bytes;
	x->events_sent = k->events_sent;
	x->events_received = job->records;
	x->exit_records_lost = job__events_lost(job);
	x->fork_records_lost = k->fork_records_lost;
	x->exec_records_lost = k->exec_records_lost;
	x->untracked_tasks = k->untracked;
	x->procs_map_full = k->procs_map_full;
	x->lost_to_full_job_map = k->jobs_map_full;
	x->stale_entries = job->stale;
	x->repairs = job->repairs;
	x->records_malformed = job->records_malformed;
	x->records_not_folded = job->add_errors;
	x->jobs_missing = job->counters.jobs_missing;
	x->jobs_map_full = job->counters.jobs_map_full;
	x->global_exec_records_lost = job->counters.exec_records_lost;
	x->oom_kills = k->oom_kills;
	/* As report.c names it. */
	if ((job->unknown & JOB_UNKNOWN_RECORDS) || job->peak_rss_from == JOB_RSS_FROM_CHILDREN)
		x->peak_rss_source = JT_STREAM_RSS_CHILDREN_MAXRSS;
	else if (job->peak_rss_from == JOB_RSS_FROM_SAMPLES)
		x->peak_rss_source = JT_STREAM_RSS_SAMPLED;
	else if (job->records_rss_from_mm == job->records)
		x->peak_rss_source = JT_STREAM_RSS_MM_HIWATER;
	else if (job->records_rss_from_mm == 0)
		x->peak_rss_source = JT_STREAM_RSS_SIGNAL_MAXRSS;
	else
		x->peak_rss_source = JT_STREAM_RSS_MIXED;
	err = append(s, sizeof(*x));
	if (err)
		return err;
	/* The whole report, as the "job" line of serve's JSON-lines output. */
	return append_text(s, JT_STREAM_TEXT_JOB, job->end_ns + off, write_job, j, st);
}

static int stream_flush(struct sink *s)
{
	stream_writer__flush(stream_of(s)->w);
	return 0;
}

static void stream_free(struct sink *s)
{
	stream_writer__close(stream_of(s)->w);
}

static const struct sink_ops stream_ops = {
	.name = "stream",
	.process = stream_process,
	.fork = stream_fork,
	.exec = stream_exec,
	.interval = stream_interval,
	.host = stream_host,
	.job_end = stream_job_end,
	.flush = stream_flush,
	.free = stream_free,
};

struct sink *sink_stream__new(const char *path, size_t capacity)
{
	struct sink_stream *ss = calloc(1, sizeof(*ss));
	int err;

	if (!ss)
		return NULL;
	ss->w = stream_writer__open(path, capacity);
	if (!ss->w) {
		err = errno;
		free(ss);
		errno = err;
		return NULL;
	}
	ss->base.ops = &stream_ops;
	ss->base.path = path;
	return &ss->base;
}
