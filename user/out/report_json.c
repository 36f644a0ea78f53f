// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A job's report as JSON (the "job" record of jobtrace-records(5)), and
 * the parts of it other records share: completeness, OOM kills. The text
 * report is report.c's.
 */
#include <stdlib.h>
#include <sys/wait.h>

#include "jobtrace/json.h"
#include "jobtrace/util.h"
#include "jobtrace/report.h"

#include "report_priv.h"

static void string_or_null(struct json_writer *w, const char *key, const char *v, bool known)
{
	if (known && v)
		json__string(w, key, v);
	else
		json__null(w, key);
}

static void double_or_null(struct json_writer *w, const char *key, double v, bool known)
{
	if (known)
		json__double(w, key, v);
	else
		json__null(w, key);
}

static void u64_or_null(struct json_writer *w, const char *key, __u64 v, bool known)
{
	if (known)
		json__u64(w, key, v);
	else
		json__null(w, key);
}

/* Each source's own figures, kept apart: "slurm" and "cgroup", null where not read. */
static void write_json_sources(struct json_writer *w, const struct job *job)
{
	const struct job_sched_alloc *s = job__sched(job);
	const struct cgroup_alloc *c = job__cgroup_alloc(job);

	if (s->system[0]) {
		json__begin_object(w, s->system);
		double_or_null(w, "cpus", s->cpus, s->cpus_known);
		u64_or_null(w, "memory_bytes", s->memory_bytes, s->memory_known);
		string_or_null(w, "memory_from", s->memory_from, s->memory_known);
		json__end_object(w);
	} else {
		json__null(w, "slurm");
	}
	if (!c) {
		json__null(w, "cgroup");
		return;
	}
	json__begin_object(w, "cgroup");
	double_or_null(w, "cpus", c->cpus, c->cpus_known);
	string_or_null(w, "cpus_from", c->cpus_from, c->cpus_known);
	string_or_null(w, "cpus_cgroup", c->cpus_cgroup, c->cpus_known);
	u64_or_null(w, "memory_bytes", c->memory_bytes, c->memory_known);
	string_or_null(w, "memory_from", c->memory_from, c->memory_known);
	string_or_null(w, "memory_cgroup", c->memory_cgroup, c->memory_known);
	json__end_object(w);
}

/*
 * "allocation" and "efficiency", null where nothing was read; a figure null
 * where nothing limits it. The figures efficiency divides by come first,
 * each with where it came from; then each source's own.
 */
static void write_json_allocation(struct json_writer *w, const struct job *job)
{
	struct job_alloc_view a;
	char from[2][16];
	double alloc_s;

	if (!job__allocation(job, &a, from[0], sizeof(from[0]))) {
		json__null(w, "allocation");
		json__null(w, "efficiency");
		return;
	}
	json__begin_object(w, "allocation");
	json__string(w, "source", a.source);
	double_or_null(w, "cpus", a.cpus, a.cpus_known);
	string_or_null(w, "cpus_from", a.cpus_from, a.cpus_known);
	string_or_null(w, "cpus_cgroup", a.cpus_cgroup, a.cpus_known);
	u64_or_null(w, "memory_bytes", a.memory_bytes, a.memory_known);
	string_or_null(w, "memory_from", a.memory_from, a.memory_known);
	string_or_null(w, "memory_cgroup", a.memory_cgroup, a.memory_known);
	write_json_sources(w, job);
	json__end_object(w);
	json__begin_object(w, "efficiency");
	double_or_null(w, "cpu", job__cpu_efficiency(job, &a), job__cpu_efficiency(job, &a) >= 0);
	/* What "cpu" divides by: a quota's periods may give more than CPUs x wall. */
	alloc_s = job__cpu_allocated_s(&a, (double)(job->end_ns > job->start_ns ?
							job->end_ns - job->start_ns : 0) / 1e9);
	double_or_null(w, "cpu_allocated_s", alloc_s, alloc_s > 0);
	double_or_null(w, "memory", job__memory_efficiency(job, &a),
		       job__memory_efficiency(job, &a) >= 0);
	json__end_object(w);
}

static void json_u64_known(struct json_writer *w, const char *key, __u64 v, bool known)
{
	if (known)
		json__u64(w, key, v);
	else
		json__null(w, key);
}

/* ApMon's job parameters, for the members alive at report time, and the work directory. */
static void write_json_live(struct json_writer *w, const struct job *job)
{
	const struct job_live *l = job->live;
	const struct workdir_usage *wd = job->workdir;
	__u64 mem;

	if (!l) {
		json__null(w, "live");
	} else {
		json__begin_object(w, "live");
		json__u64(w, "processes", l->processes);
		json__double(w, "run_time_s", seconds(wall_ns(job)));
		if (l->cpu_rate_pct >= 0)
			json__double(w, "cpu_rate_pct", l->cpu_rate_pct);
		else
			json__null(w, "cpu_rate_pct");
		json__u64(w, "rss_bytes", l->rss_bytes);
		if (l->pss) {
			json__u64(w, "pss_bytes", l->pss_bytes);
			json__u64(w, "uss_bytes", l->uss_bytes);
			json__u64(w, "swap_bytes", l->swap_bytes);
		} else {
			json__null(w, "pss_bytes");
			json__null(w, "uss_bytes");
			json__null(w, "swap_bytes");
		}
		json__u64(w, "vm_bytes", l->vm_bytes);
		json__u64(w, "open_files", l->open_files);
		/* PSS when read: summed RSS counts a shared page once per process. */
		mem = l->pss ? l->pss_bytes : l->rss_bytes;
		if (job->mem_share && job->host_mem_bytes)
			json__double(w, "mem_pct",
				     100.0 * (double)mem / (double)job->host_mem_bytes);
		else
			json__null(w, "mem_pct");
		json__string(w, "mem_basis", l->pss ? "pss" : "rss");
		json__end_object(w);
	}
	if (!wd) {
		json__null(w, "workdir");
		return;
	}
	json__begin_object(w, "workdir");
	json__string(w, "path", job->workdir_path);
	json__u64(w, "size_bytes", wd->size_bytes);
	json__u64(w, "apparent_bytes", wd->apparent_bytes);
	json__u64(w, "files", wd->files);
	json__u64(w, "unreadable", wd->errors);
	if (wd->fs_ok) {
		json__u64(w, "fs_total_bytes", wd->fs.total_bytes);
		json__u64(w, "fs_used_bytes", wd->fs.used_bytes);
		json__u64(w, "fs_free_bytes", wd->fs.avail_bytes);
		json__i64(w, "fs_used_pct", wd->fs.used_pct);
	}
	json__end_object(w);
}

static void write_json_failed(struct json_writer *w, const struct job *job)
{
	json__begin_array(w, "failed");
	for (size_t i = 0; i < job->nfailed; i++) {
		const struct job_failure *fl = &job->failed[i];

		json__begin_object(w, NULL);
		json__u64(w, "pid", fl->pid);
		json__string(w, "comm", fl->comm);
		json__string(w, "args", fl->args);
		if (WIFSIGNALED(fl->status)) {
			json__null(w, "exit_code");
			json__i64(w, "signal", WTERMSIG(fl->status));
		} else {
			json__i64(w, "exit_code", WEXITSTATUS(fl->status));
			json__null(w, "signal");
		}
		report__json_oom(w, fl->oom.killed ? &fl->oom : NULL);
		json__end_object(w);
	}
	json__end_array(w);
}

void report__json_incomplete(struct json_writer *w, __u32 mask)
{
	const char *why[JOB_MAX_INCOMPLETE];
	size_t n = job__incomplete_names(mask, why, JOB_MAX_INCOMPLETE);

	/* One flag a consumer can trust, and the reasons that jobtrace(8)'s LIMITS AND REPAIR explains. */
	json__bool(w, "complete", n == 0);
	json__begin_array(w, "incomplete");
	for (size_t i = 0; i < n; i++)
		json__string(w, NULL, why[i]);
	json__end_array(w);
}

void report__json_oom(struct json_writer *w, const struct job_oom *o)
{
	json__bool(w, "oom_killed", o != NULL);
	if (!o) {
		json__null(w, "oom");
		return;
	}
	json__begin_object(w, "oom");
	json__bool(w, "global", o->global);
	if (o->limit_known) {
		/* "": the kernel named the cgroup, and no mount of it was found here. */
		if (o->hierarchy[0])
			json__string(w, "hierarchy", o->hierarchy);
		else
			json__null(w, "hierarchy");
		json__string(w, "cgroup", o->cgroup);
		json__u64(w, "limit_bytes", o->limit_bytes);
	} else {
		json__null(w, "hierarchy");
		json__null(w, "cgroup");
		json__null(w, "limit_bytes");
	}
	if (o->rss_known)
		json__u64(w, "rss_bytes", o->rss_bytes);
	else
		json__null(w, "rss_bytes");
	json__end_object(w);
}

void report__json_complete(struct json_writer *w, const struct job *job)
{
	report__json_incomplete(w, job__incomplete_mask(job));
}

int report__write_json(FILE *f, const struct job *job, size_t top)
{
	struct json_writer w;

	json__init(&w, f, false);
	json__begin_object(&w, NULL);
	report__json_fields(&w, job, top);
	/*
	 * A report written whole on its own (serve's reply to run and watch, its
	 * --reports files) missed no record before it; the key is still there,
	 * so run --json has the same keys through serve as on its own source.
	 */
	json__u64(&w, "output_records_dropped", 0);
	json__end_object(&w);
	return json__finish(&w);
}

void report__json_fields(struct json_writer *w, const struct job *job, size_t top)
{
	const struct jt_job_stats *s = &job->stats;
	const struct job_command **cmds = NULL;
	__u64 user_ns = s->user_ns, system_ns = s->system_ns;
	bool counts = !(job->unknown & JOB_UNKNOWN_COUNTS);
	bool chars = !(job->unknown & JOB_UNKNOWN_CHARS);
	bool records = !(job->unknown & JOB_UNKNOWN_RECORDS);
	bool cpu = !(job->unknown & JOB_UNKNOWN_CPU);
	int st = job->root_status;
	char node[64];
	size_t n = 0;

	json__u64(w, "version", JT_ABI_VERSION);
	/* The event source: what the figures below can miss depends on it (jobtrace(8), WITHOUT BPF). */
	json__string(w, "mode", job->source ? job->source : "bpf");
	if (job->via)
		json__string(w, "via", job->via);
	/* Figures read by polling /proc, not counted by the kernel: a consumer weighs them. */
	json__begin_array(w, "sampled");
	if (job->sampled & JOB_SAMPLED_MAX_ALIVE)
		json__string(w, NULL, "processes.max_alive");
	if (job->peak_rss_from == JOB_RSS_FROM_SAMPLES)
		json__string(w, NULL, "memory.peak_rss_bytes");
	json__end_array(w);

	json__begin_object(w, "job");
	if (job->key)
		json__string(w, "key", job->key);
	/* Where it ran: a multi-node job's reports are merged by `jobtrace report`. */
	string_or_null(w, "node", job__node(job, node, sizeof(node)), true);
	json__string(w, "mode", job->mode ? job->mode : "run");
	if (job->cgroup)
		json__string(w, "cgroup", job->cgroup);
	if (job->hierarchy)
		json__string(w, "hierarchy", job->hierarchy);
	json__begin_array(w, "command");
	for (int i = 0; i < job->argc; i++)
		json__string(w, NULL, job->argv[i]);
	json__end_array(w);
	if (job->root_pid)
		json__i64(w, "root_pid", job->root_pid);
	else
		json__null(w, "root_pid");
	/* Only where it differs: the root's number in the pid namespace jobtrace ran in. */
	if (job->root_ns_pid)
		json__i64(w, "root_ns_pid", job->root_ns_pid);
	if (job->root_exited && WIFEXITED(st))
		json__i64(w, "exit_code", WEXITSTATUS(st));
	else
		json__null(w, "exit_code");
	/*
	 * With no root (watch --cgroup's and host mode's jobs), or one still
	 * running, how it ended and how long it lived are not known: null,
	 * as exit_code and signal are.
	 */
	if (job->root_exited && WIFSIGNALED(st)) {
		json__i64(w, "signal", WTERMSIG(st));
		json__bool(w, "core_dumped", WCOREDUMP(st));
	} else {
		json__null(w, "signal");
		if (job->root_exited)
			json__bool(w, "core_dumped", false);
		else
			json__null(w, "core_dumped");
	}
	json__double(w, "wall_s", seconds(wall_ns(job)));
	if (job->root_exited)
		json__double(w, "root_wall_s", seconds(root_wall_ns(job)));
	else
		json__null(w, "root_wall_s");
	json__end_object(w);

	json__begin_object(w, "processes");
	json_u64_known(w, "started", s->procs_started, counts);
	json_u64_known(w, "exited", s->procs_exited, counts);
	if (counts) {
		json__i64(w, "outlived_root", s->outlived_root > 0 ? s->outlived_root : 0);
		json__i64(w, "alive", s->alive);
	} else {
		json__null(w, "outlived_root");
		json__null(w, "alive");
	}
	json__u64(w, "max_alive", s->max_alive);
	json_u64_known(w, "exit_ok", s->exit_ok, counts);
	json_u64_known(w, "exit_error", s->exit_error, counts);
	json_u64_known(w, "exit_signal", s->exit_signal, counts);
	json_u64_known(w, "oom_killed", s->oom_kills, !(job->unknown & JOB_UNKNOWN_OOM));
	json_u64_known(w, "execs", s->execs, counts);
	if (job->attached)
		json__u64(w, "existing_at_attach", s->existing);
	json_u64_known(w, "moved_in", s->moved_in, counts);
	json_u64_known(w, "moved_out", s->moved_out, counts);
	json__end_object(w);

	/* What jobtrace reaped itself: the only exits rusage mode knows. */
	if (counts) {
		json__null(w, "reaped");
	} else {
		const struct job_reaped *r = job__reaped(job);

		json__begin_object(w, "reaped");
		json__u64(w, "processes", r->processes);
		json__u64(w, "exit_ok", r->exit_ok);
		json__u64(w, "exit_error", r->exit_error);
		json__u64(w, "exit_signal", r->exit_signal);
		json__end_object(w);
	}

	json__begin_object(w, "threads");
	json_u64_known(w, "started", s->threads_started, counts);
	json__end_object(w);

	json__begin_object(w, "cpu");
	if (cpu) {
		json__double(w, "user_s", seconds(user_ns));
		json__double(w, "system_s", seconds(system_ns));
		json__double(w, "total_s", seconds(s->cpu_ns));
		json__u64(w, "total_ns", s->cpu_ns);
	} else {
		json__null(w, "user_s");
		json__null(w, "system_s");
		json__null(w, "total_s");
		json__null(w, "total_ns");
	}
	json__end_object(w);

	json__begin_object(w, "memory");
	json__u64(w, "peak_rss_bytes", s->peak_rss_bytes);
	json__string(w, "peak_rss_source", report__peak_rss_source(job));
	json__end_object(w);

	json__begin_object(w, "io");
	json__u64(w, "read_bytes", s->exited.read_bytes);
	json__u64(w, "write_bytes", s->exited.write_bytes);
	json_u64_known(w, "read_chars", s->exited.read_chars, chars);
	json_u64_known(w, "write_chars", s->exited.write_chars, chars);
	json__end_object(w);

	json__begin_object(w, "events");
	json_u64_known(w, "sent", s->events_sent, records);
	json_u64_known(w, "received", job->records, records);
	json_u64_known(w, "lost", job__events_lost(job), records);
	if (records)
		json__bool(w, "complete", job__events_lost(job) == 0);
	else
		json__null(w, "complete");
	json__end_object(w);

	json__begin_object(w, "limits");
	json__u64(w, "untracked_tasks", s->untracked);
	json__u64(w, "procs_map_full", s->procs_map_full);
	json__u64(w, "stale_entries", job->stale);
	json__u64(w, "jobs_missing", job->counters.jobs_missing);
	json__u64(w, "jobs_map_full", job->counters.jobs_map_full);
	json__u64(w, "lost_to_full_job_map", s->jobs_map_full);
	json__u64(w, "records_malformed", job->records_malformed);
	json__u64(w, "exec_records_lost", job->counters.exec_records_lost);
	json__u64(w, "records_not_folded", job->add_errors);
	json__u64(w, "repairs", job->repairs);
	json__u64(w, "outside_pid_namespace", s->outside_ns);
	json__u64(w, "counts_inconsistent", job->inconsistent);
	json__end_object(w);
	report__json_complete(w, job);

	write_json_live(w, job);
	write_json_allocation(w, job);
	write_json_failed(w, job);

	if (top) {
		cmds = calloc(top, sizeof(*cmds));
		n = cmds ? job__top_commands(job, cmds, top) : 0;
	}
	json__begin_array(w, "commands");
	for (size_t i = 0; i < n; i++) {
		json__begin_object(w, NULL);
		json__string(w, "comm", cmds[i]->comm);
		json__u64(w, "processes", cmds[i]->processes);
		json__double(w, "cpu_s", seconds(cmds[i]->cpu_ns));
		json__u64(w, "peak_rss_bytes", cmds[i]->peak_rss_bytes);
		json__u64(w, "failed", cmds[i]->exit_error);
		json__end_object(w);
	}
	json__end_array(w);
	json__u64(w, "commands_total", job->ncommands);
	free(cmds);
}
