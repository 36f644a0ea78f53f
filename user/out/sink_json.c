// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JSON sinks. `json`: one object per job when it ends, on one line (run's
 * report). `jsonl`: JSON lines, one object per record, each with a "type"
 * (process, interval, host, job) and a "time" (seconds since the epoch).
 * README's "JSON lines" section lists every key and its unit.
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

/* CLOCK_MONOTONIC to seconds since the epoch. */
static double epoch_of_mono(__u64 mono_ns)
{
	return (double)(util__realtime_ns() - util__now_ns() + mono_ns) / 1e9;
}

static void begin_record(struct json_writer *w, struct sink *s, const char *type, double time_s)
{
	json__init(w, s->f, false);
	json__begin_object(w, NULL);
	json__string(w, "type", type);
	json__double(w, "time", time_s);
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

static int jsonl_process(struct sink *s, const struct proc_record *r)
{
	const struct jt_exit_event *e = r->e;
	int st = (int)e->exit_status;
	struct json_writer w;
	size_t i = 0;

	if (!s->with_process)
		return 0;
	begin_record(&w, s, "process", r->end_epoch_s);
	json__string(&w, "job", r->job->key);
	json__u64(&w, "pid", e->pid);
	json__u64(&w, "ppid", e->ppid);
	/* In a container: the pid it had there, where the host's differs. */
	if (e->ns_pid && e->ns_pid != e->pid)
		json__u64(&w, "ns_pid", e->ns_pid);
	/* Its cgroup when it ended; a path once the cgroup is gone is not known: null. */
	if (r->cgroup)
		json__string(&w, "cgroup", r->cgroup);
	else
		json__null(&w, "cgroup");
	if (e->cgroup_id)
		json__u64(&w, "cgroup_id", e->cgroup_id);
	json__double(&w, "start_time", r->start_epoch_s);
	json__double(&w, "end_time", r->end_epoch_s);
	json__double(&w, "duration_s", secs(e->exit_ns - e->start_ns));
	json__stringn(&w, "comm", e->comm, strnlen(e->comm, JT_COMM_LEN));
	if (r->args) {
		json__begin_array(&w, "args");
		/* NUL-separated, as /proc/PID/cmdline: a cut last argument is kept as cut. */
		while (i < r->args_len) {
			size_t n = strnlen(r->args + i, r->args_len - i);

			json__stringn(&w, NULL, r->args + i, n);
			i += n + 1;
		}
		json__end_array(&w);
	} else {
		json__null(&w, "args");
	}
	json__bool(&w, "args_truncated", r->args_truncated);
	json__bool(&w, "args_inherited", r->args_inherited);
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
	json__bool(&w, "is_root", e->is_root);
	return end_record(&w, s);
}

static int jsonl_interval(struct sink *s, const struct interval_record *r)
{
	double dt = secs(r->t1_ns - r->t0_ns);
	struct json_writer w;

	if (!s->with_interval)
		return 0;
	begin_record(&w, s, "interval", epoch_of_mono(r->t1_ns));
	json__string(&w, "job", r->job->key);
	json__double(&w, "start", epoch_of_mono(r->t0_ns));
	json__double(&w, "interval_s", dt);
	json__begin_object(&w, "processes");
	json__u64(&w, "alive", r->alive);
	if (r->job->job.unknown & JOB_UNKNOWN_COUNTS) {
		/* rusage mode: no process events, so no counts: null, not 0. */
		static const char *const keys[] = { "started",	   "exited",	 "exit_ok",
						    "exit_error",  "exit_signal", "execs",
						    "existing_at_attach", "moved_in", "moved_out" };

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			json__null(&w, keys[i]);
		json__end_object(&w);
		json__begin_object(&w, "threads");
		json__null(&w, "started");
		json__end_object(&w);
	} else {
		json__u64(&w, "started", r->d.started);
		json__u64(&w, "exited", r->d.exited);
		json__u64(&w, "exit_ok", r->d.exit_ok);
		json__u64(&w, "exit_error", r->d.exit_error);
		json__u64(&w, "exit_signal", r->d.exit_signal);
		json__u64(&w, "execs", r->d.execs);
		json__u64(&w, "existing_at_attach", r->d.existing);
		json__u64(&w, "moved_in", r->d.moved_in);
		json__u64(&w, "moved_out", r->d.moved_out);
		json__end_object(&w);
		json__begin_object(&w, "threads");
		json__u64(&w, "started", r->d.threads);
		json__end_object(&w);
	}
	json__begin_object(&w, "cpu");
	json__double(&w, "user_s", secs(r->d.user_ns));
	json__double(&w, "system_s", secs(r->d.system_ns));
	json__double(&w, "total_s", secs(r->d.cpu_ns));
	json__u64(&w, "total_ns", r->d.cpu_ns);
	json__double(&w, "rate_pct", dt > 0 ? 100.0 * secs(r->d.cpu_ns) / dt : 0);
	json__end_object(&w);
	json__begin_object(&w, "memory");
	json__u64(&w, "rss_bytes", r->rss_bytes);
	if (r->pss)
		json__u64(&w, "pss_bytes", r->pss_bytes);
	else
		json__null(&w, "pss_bytes");
	json__u64(&w, "vm_bytes", r->vm_bytes);
	json__end_object(&w);
	json__begin_object(&w, "io");
	json__u64(&w, "read_bytes", r->d.read_bytes);
	json__u64(&w, "write_bytes", r->d.write_bytes);
	json__end_object(&w);
	json__u64(&w, "open_files", r->open_files);
	/* As the job's report will say, so far: a consumer need not wait for its end. */
	report__json_complete(&w, &r->job->job);
	return end_record(&w, s);
}

static int jsonl_host(struct sink *s, const struct host_record *r)
{
	struct json_writer w;

	if (!s->with_host)
		return 0;
	begin_record(&w, s, "host", epoch_of_mono(r->t1_ns));
	json__double(&w, "start", epoch_of_mono(r->t0_ns));
	json__double(&w, "interval_s", secs(r->t1_ns - r->t0_ns));
	json__begin_object(&w, "cpu");
	json__u64(&w, "count", r->ncpus);
	if (r->cpu_busy_pct >= 0) {
		json__double(&w, "busy_pct", r->cpu_busy_pct);
		json__double(&w, "user_pct", r->cpu_user_pct);
		json__double(&w, "system_pct", r->cpu_system_pct);
		json__double(&w, "iowait_pct", r->cpu_iowait_pct);
	} else {
		json__null(&w, "busy_pct");
	}
	json__end_object(&w);
	json__begin_object(&w, "memory");
	json__u64(&w, "total_bytes", r->mem_total_bytes);
	json__u64(&w, "available_bytes", r->mem_available_bytes);
	json__u64(&w, "used_bytes", r->mem_used_bytes);
	json__u64(&w, "swap_total_bytes", r->swap_total_bytes);
	json__u64(&w, "swap_used_bytes", r->swap_used_bytes);
	json__end_object(&w);
	json__begin_object(&w, "load");
	json__double(&w, "avg1", r->load1);
	json__double(&w, "avg5", r->load5);
	json__double(&w, "avg15", r->load15);
	json__end_object(&w);
	json__begin_object(&w, "processes");
	json__double(&w, "forks_per_s", r->forks_per_s);
	json__u64(&w, "running", r->procs_running);
	json__u64(&w, "blocked", r->procs_blocked);
	json__end_object(&w);
	json__double(&w, "context_switches_per_s", r->ctxt_per_s);
	json__begin_object(&w, "events");
	json__u64(&w, "lost", r->events_lost);
	json__end_object(&w);
	/* The rest, network and disk rates included, as `jobtrace system --json` has it. */
	if (r->sample)
		host__write_json_section(&w, "system", r->sample, r->rates, "/proc", "/sys");
	return end_record(&w, s);
}

static int jsonl_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct json_writer w;

	if (!s->with_job)
		return 0;
	begin_record(&w, s, "job", epoch_of_mono(j->job.end_ns));
	report__json_fields(&w, &j->job, s->top);
	/* What this file misses before this line: the job is complete, the file may not be. */
	json__u64(&w, "output_records_dropped", s->dropped);
	return end_record(&w, s);
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
