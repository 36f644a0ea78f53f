// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JSON sinks. `json`: one object per job when it ends, on one line (run's
 * report). `jsonl`: JSON lines, one object per record, each with a "type"
 * (exit, fork, exec, interval, host, system, job) and a "time" (seconds
 * since the epoch, from the record's own stamp). The only writer of these
 * lines: `tail --json` rebuilds the stream's records and writes them here
 * too. schema/ has every key; jobtrace-records(5)'s JSON LINES their units.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jobtrace/json.h"
#include "jobtrace/system.h"
#include "jobtrace/report.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

static double secs(__u64 ns)
{
	return (double)ns / 1e9;
}

static void begin_record(struct json_writer *w, FILE *f, const char *type, __u64 epoch_ns)
{
	json__init(w, f, false);
	json__begin_object(w, NULL);
	json__string(w, "type", type);
	json__double(w, "time", secs(epoch_ns));
}

static int end_record(struct json_writer *w, struct sink *s)
{
	int err;

	json__end_object(w);
	err = json__finish(w);
	/* A record of a file of its own that could not be built is dropped whole, not fatal. */
	if (err && !s->err && !s->whole)
		s->err = err;
	return sink__check(s);
}

/* The job a record belongs to; the stream's reader says when the stream cut its key. */
static void write_job(struct json_writer *w, const struct cjob *j)
{
	json__string(w, "job", j->job.key);
	if (j->key_truncated)
		json__bool(w, "job_truncated", true);
}

/* Where a process lives: its container's pid for it, and its cgroup. */
static void write_place(struct json_writer *w, __u32 pid, __u32 ns_pid, __u64 cgroup_id,
			const char *cgroup, int hierarchy)
{
	/* In a container: the pid it had there, where the host's differs. */
	if (ns_pid && ns_pid != pid)
		json__u64(w, "ns_pid", ns_pid);
	/* Its cgroup at the record; a path once the cgroup is gone is not known: null. */
	if (cgroup)
		json__string(w, "cgroup", cgroup);
	else
		json__null(w, "cgroup");
	if (cgroup_id) {
		json__u64(w, "cgroup_id", cgroup_id);
		json__i64(w, "cgroup_hierarchy", hierarchy > 0 ? hierarchy : 0);
	} else {
		json__null(w, "cgroup_id");
		json__null(w, "cgroup_hierarchy");
	}
}

/* NUL-separated, as /proc/PID/cmdline: a cut last argument is kept as cut. */
static void write_args(struct json_writer *w, const char *args, size_t len)
{
	size_t i = 0;

	if (!args) {
		json__null(w, "args");
		return;
	}
	json__begin_array(w, "args");
	while (i < len) {
		size_t n = strnlen(args + i, len - i);

		json__stringn(w, NULL, args + i, n);
		i += n + 1;
	}
	json__end_array(w);
}

/*
 * Whose it was: uid, gid, and the uid's name on this host (null: not
 * known), or @user, the name a kept record has (history's short lines).
 */
static void write_ids(struct json_writer *w, __u32 uid, __u32 gid, const char *user)
{
	char name[64];

	if (uid == JT_ID_UNKNOWN) {
		json__null(w, "uid");
		json__null(w, "gid");
		json__null(w, "user");
		return;
	}
	json__u64(w, "uid", uid);
	if (gid == JT_ID_UNKNOWN)
		json__null(w, "gid");
	else
		json__u64(w, "gid", gid);
	if (user)
		json__string(w, "user", user);
	else if (util__user_name(uid, name, sizeof(name)))
		json__string(w, "user", name);
	else
		json__null(w, "user");
}

static int jsonl_process(struct sink *s, const struct proc_record *r)
{
	const struct jt_exit_event *e = r->e;
	int st = (int)e->exit_status;
	struct json_writer w;

	if (!s->with_process)
		return 0;
	begin_record(&w, s->f, "exit", r->end_epoch_ns);
	write_job(&w, r->job);
	json__u64(&w, "pid", e->pid);
	json__u64(&w, "ppid", e->ppid);
	/* The process's identity: pids are reused, (pid, start_ns) pairs are not. */
	json__u64(&w, "start_ns", e->start_ns);
	json__u64(&w, "parent_start_ns", e->parent_start_ns);
	json__u64(&w, "exit_ns", e->exit_ns);
	write_place(&w, e->pid, e->ns_pid, e->cgroup_id, r->cgroup, r->cgroup_hierarchy);
	json__double(&w, "start_time", secs(r->start_epoch_ns));
	json__double(&w, "end_time", secs(r->end_epoch_ns));
	json__double(&w, "duration_s", secs(e->exit_ns - e->start_ns));
	json__stringn(&w, "comm", e->comm, strnlen(e->comm, JT_COMM_LEN));
	write_args(&w, r->args, r->args_len);
	json__bool(&w, "args_truncated", r->args && r->args_truncated);
	json__bool(&w, "args_inherited", r->args && r->args_inherited);
	if (r->exe)
		json__stringn(&w, "exe", r->exe, strlen(r->exe));
	else
		json__null(&w, "exe");
	if (WIFSIGNALED(st)) {
		json__null(&w, "exit_code");
		json__i64(&w, "signal", WTERMSIG(st));
		json__bool(&w, "core_dumped", WCOREDUMP(st));
	} else {
		json__i64(&w, "exit_code", WEXITSTATUS(st));
		json__null(&w, "signal");
		json__bool(&w, "core_dumped", false);
	}
	json__begin_object(&w, "cpu");
	json__double(&w, "user_s", secs(e->user_ns));
	json__double(&w, "system_s", secs(e->system_ns));
	json__double(&w, "total_s", secs(e->acct.cpu_ns));
	json__u64(&w, "total_ns", e->acct.cpu_ns);
	json__end_object(&w);
	json__u64(&w, "peak_rss_bytes", e->peak_rss_bytes);
	json__begin_object(&w, "io");
	json__u64(&w, "read_bytes", e->acct.read_bytes);
	json__u64(&w, "write_bytes", e->acct.write_bytes);
	json__u64(&w, "read_chars", e->acct.read_chars);
	json__u64(&w, "write_chars", e->acct.write_chars);
	json__end_object(&w);
	json__u64(&w, "threads", e->threads);
	json__bool(&w, "existing_at_attach", e->flags & JT_F_EXISTING);
	json__bool(&w, "moved", e->flags & JT_F_MOVED);
	json__bool(&w, "execed", e->flags & JT_F_EXECED);
	json__bool(&w, "is_root", e->is_root);
	write_ids(&w, e->uid, e->gid, r->user);
	/* Killed by the OOM killer (not a kill -9), and which limit it hit. */
	report__json_oom(&w, r->oom);
	return end_record(&w, s);
}

static int jsonl_fork(struct sink *s, const struct fork_record *r)
{
	const struct jt_fork_event *e = r->e;
	struct json_writer w;

	if (!s->with_lineage)
		return 0;
	begin_record(&w, s->f, "fork", r->start_epoch_ns);
	write_job(&w, r->job);
	json__u64(&w, "pid", e->pid);
	json__u64(&w, "ppid", e->ppid);
	json__u64(&w, "start_ns", e->start_ns);
	json__u64(&w, "parent_start_ns", e->parent_start_ns);
	write_place(&w, e->pid, e->ns_pid, e->cgroup_id, r->cgroup, r->cgroup_hierarchy);
	json__double(&w, "start_time", secs(r->start_epoch_ns));
	/* The parent's name, which the child starts with. */
	json__stringn(&w, "comm", e->comm, strnlen(e->comm, JT_COMM_LEN));
	return end_record(&w, s);
}

static int jsonl_exec(struct sink *s, const struct exec_record *r)
{
	const struct jt_exec_event *e = r->e;
	struct json_writer w;

	if (!s->with_lineage)
		return 0;
	begin_record(&w, s->f, "exec", r->epoch_ns);
	write_job(&w, r->job);
	json__u64(&w, "pid", e->pid);
	json__u64(&w, "start_ns", e->start_ns);
	write_args(&w, e->args, e->args_len < JT_ARGS_LEN ? e->args_len : JT_ARGS_LEN);
	json__bool(&w, "args_truncated", e->truncated);
	return end_record(&w, s);
}

static void u64_or_null(struct json_writer *w, const char *key, __u64 v, bool known)
{
	if (known)
		json__u64(w, key, v);
	else
		json__null(w, key);
}

static int jsonl_interval(struct sink *s, const struct interval_record *r)
{
	double dt = secs(r->t1_epoch_ns - r->t0_epoch_ns);
	double pct;
	/* rusage mode: no process events, so no counts: null, not 0. */
	bool counts = !(r->job->job.unknown & JOB_UNKNOWN_COUNTS);
	struct json_writer w;

	if (!s->with_interval)
		return 0;
	begin_record(&w, s->f, "interval", r->t1_epoch_ns);
	write_job(&w, r->job);
	json__double(&w, "start", secs(r->t0_epoch_ns));
	json__double(&w, "interval_s", dt);
	json__begin_object(&w, "processes");
	json__u64(&w, "alive", r->alive);
	u64_or_null(&w, "started", r->d.started, counts);
	u64_or_null(&w, "exited", r->d.exited, counts);
	u64_or_null(&w, "exit_ok", r->d.exit_ok, counts);
	u64_or_null(&w, "exit_error", r->d.exit_error, counts);
	u64_or_null(&w, "exit_signal", r->d.exit_signal, counts);
	u64_or_null(&w, "execs", r->d.execs, counts);
	u64_or_null(&w, "existing_at_attach", r->d.existing, counts);
	u64_or_null(&w, "moved_in", r->d.moved_in, counts);
	u64_or_null(&w, "moved_out", r->d.moved_out, counts);
	json__end_object(&w);
	json__begin_object(&w, "threads");
	u64_or_null(&w, "started", r->d.threads, counts);
	json__end_object(&w);
	json__begin_object(&w, "cpu");
	json__double(&w, "user_s", secs(r->d.user_ns));
	json__double(&w, "system_s", secs(r->d.system_ns));
	json__double(&w, "total_s", secs(r->d.cpu_ns));
	json__u64(&w, "total_ns", r->d.cpu_ns);
	if (interval_record__cpu_pct(r, &pct))
		json__double(&w, "rate_pct", pct);
	else
		json__null(&w, "rate_pct"); /* too short to give a rate (collector.h) */
	json__end_object(&w);
	json__begin_object(&w, "memory");
	json__u64(&w, "rss_bytes", r->rss_bytes);
	u64_or_null(&w, "pss_bytes", r->pss_bytes, r->pss);
	json__u64(&w, "vm_bytes", r->vm_bytes);
	json__end_object(&w);
	json__begin_object(&w, "io");
	json__u64(&w, "read_bytes", r->d.read_bytes);
	json__u64(&w, "write_bytes", r->d.write_bytes);
	json__end_object(&w);
	json__u64(&w, "open_files", r->open_files);
	/*
	 * What the kernel's ring dropped of the job's records in the interval
	 * (the sums in jobtrace-stream(5), Lost records).
	 */
	json__begin_object(&w, "lost");
	json__u64(&w, "exit_records", r->d.exit_records_lost);
	json__u64(&w, "fork_records", r->d.fork_records_lost);
	json__u64(&w, "exec_records", r->d.exec_records_lost);
	json__end_object(&w);
	/* As the job's report will say, so far: a consumer need not wait for its end. */
	report__json_incomplete(&w, r->incomplete);
	return end_record(&w, s);
}

/* Percentages and rates to thousandths, as the stream carries them. */
static void milli(struct json_writer *w, const char *key, double v)
{
	json__double(w, key, (double)sink__milli(v) / 1000.0);
}

/* A figure the record marks unknown is null: 0 would be a real reading. */
static void u64_known(struct json_writer *w, const char *key, __u64 v, bool known)
{
	if (known)
		json__u64(w, key, v);
	else
		json__null(w, key);
}

static void milli_known(struct json_writer *w, const char *key, double v, bool known)
{
	if (known)
		milli(w, key, v);
	else
		json__null(w, key);
}

static int jsonl_host(struct sink *s, const struct host_record *r)
{
	bool stat = !(r->unknown & HOST_RECORD_NO_STAT), mem = !(r->unknown & HOST_RECORD_NO_MEM);
	bool load = !(r->unknown & HOST_RECORD_NO_LOAD), cpu = r->cpu_busy_pct >= 0;
	struct json_writer w;

	if (!s->with_host)
		return 0;
	begin_record(&w, s->f, "host", r->t1_epoch_ns);
	json__double(&w, "start", secs(r->t0_epoch_ns));
	json__double(&w, "interval_s", secs(r->t1_epoch_ns - r->t0_epoch_ns));
	json__begin_object(&w, "cpu");
	u64_known(&w, "count", r->ncpus, stat);
	milli_known(&w, "busy_pct", r->cpu_busy_pct, cpu);
	milli_known(&w, "user_pct", r->cpu_user_pct, cpu);
	milli_known(&w, "system_pct", r->cpu_system_pct, cpu);
	milli_known(&w, "iowait_pct", r->cpu_iowait_pct, cpu);
	json__end_object(&w);
	json__begin_object(&w, "memory");
	u64_known(&w, "total_bytes", r->mem_total_bytes, mem);
	u64_known(&w, "available_bytes", r->mem_available_bytes, mem);
	u64_known(&w, "used_bytes", r->mem_used_bytes, mem);
	u64_known(&w, "swap_total_bytes", r->swap_total_bytes, mem);
	u64_known(&w, "swap_used_bytes", r->swap_used_bytes, mem);
	json__end_object(&w);
	json__begin_object(&w, "load");
	milli_known(&w, "avg1", r->load1, load);
	milli_known(&w, "avg5", r->load5, load);
	milli_known(&w, "avg15", r->load15, load);
	json__end_object(&w);
	json__begin_object(&w, "processes");
	milli_known(&w, "forks_per_s", r->forks_per_s, r->forks_per_s >= 0);
	u64_known(&w, "running", r->procs_running, stat);
	u64_known(&w, "blocked", r->procs_blocked, stat);
	json__end_object(&w);
	milli_known(&w, "context_switches_per_s", r->ctxt_per_s, r->ctxt_per_s >= 0);
	/* Ring records lost since the start, all jobs, each kind apart. */
	json__begin_object(&w, "lost");
	json__u64(&w, "exit_records", r->events_lost);
	json__u64(&w, "fork_records", r->fork_records_lost);
	json__u64(&w, "exec_records", r->exec_records_lost);
	json__end_object(&w);
	if (end_record(&w, s) || !r->sample)
		return s->err;
	/* The rest, network and disk rates included, as `jobtrace system --json` has it. */
	return sink_json__system_line(s, r);
}

int sink_json__system_line(struct sink *s, const struct host_record *r)
{
	struct json_writer w;

	begin_record(&w, s->f, "system", r->t1_epoch_ns);
	host__write_json_fields(&w, r->sample, r->rates, "/proc", "/sys");
	return end_record(&w, s);
}

int sink_json__job_line(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct json_writer w;

	begin_record(&w, s->f, "job", j->job.end_ns + st->mono_to_epoch_ns);
	report__json_fields(&w, &j->job, s->top);
	/* What this file misses before this line: the job is complete, the file may not be. */
	json__u64(&w, "output_records_dropped", s->dropped);
	return end_record(&w, s);
}

static int jsonl_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	if (!s->with_job)
		return 0;
	return sink_json__job_line(s, j, st);
}

static int json_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct json_writer w;

	if (s->shared)
		sink__start_line(s->f);
	json__init(&w, s->f, false);
	json__begin_object(&w, NULL);
	report__json_fields(&w, &j->job, s->top);
	json__u64(&w, "output_records_dropped", s->dropped);
	return end_record(&w, s);
}


static const struct sink_ops json_ops = {
	.name = "json",
	.job_end = json_job_end,
	.flush = sink__flush,
};

static const struct sink_ops jsonl_ops = {
	.name = "jsonl",
	.process = jsonl_process,
	.fork = jsonl_fork,
	.exec = jsonl_exec,
	.interval = jsonl_interval,
	.host = jsonl_host,
	.job_end = jsonl_job_end,
	.flush = sink__flush,
};

struct sink *sink_json__new(FILE *f, size_t top)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ops = &json_ops;
	s->f = f;
	s->top = top;
	return s;
}

struct sink *sink_jsonl__new(FILE *f, size_t top, bool process, bool interval, bool host,
			     bool job)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ops = &jsonl_ops;
	s->f = f;
	s->top = top;
	s->with_process = process;
	s->with_interval = interval;
	s->with_host = host;
	s->with_job = job;
	return s;
}
