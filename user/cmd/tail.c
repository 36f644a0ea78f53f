// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace tail`: prints serve's stream as it comes, one line per record,
 * through libjobtrace's reader (lib/stream_reader.c), as any agent would
 * read it. Needs no privilege beyond reading the stream file (root's, mode
 * 0640, group jobtrace).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jobtrace/cgroup_names.h"
#include "jobtrace/cli.h"
#include "jobtrace/job.h"
#include "jobtrace/json.h"
#include "jobtrace/options.h"
#include "jobtrace/stream.h"
#include "jobtrace/tail.h"
#include "jobtrace/util.h"

static const struct jt_front tail_front = {
	.cmd = JT_CMD_TAIL,
	.name = "tail",
	.head = "Usage: jobtrace tail [OPTIONS]\n"
		"\n"
		"Prints the records `jobtrace serve --stream` publishes, from now on: a\n"
		"process's fork, exec and exit, job and host intervals, and each job's\n"
		"final report when it ends (\"job\", as `watch --json` writes it). A reader that\n"
		"falls behind prints how many records it missed; a restart of serve is\n"
		"followed. Any number of readers may run at once.\n",
	.titles = { [JT_SEC_MAIN] = "Options" },
	.foot = "\n"
		"Examples:\n"
		"  jobtrace tail --json | jq 'select(.type == \"exit\" and .exit_code != 0)'\n"
		"  jobtrace tail --stream /dev/shm/test.stream --count 10\n",
};

struct tail_config {
	const char *path;
	bool json;
	bool until_closed;
	unsigned long count; /* 0: no limit */
	double duration_s;
};

static volatile sig_atomic_t exiting;

static void on_signal(int signo)
{
	exiting = 1;
}

static int tail_set(void *ctx, enum jt_opt_id id, const union jt_optval *v)
{
	struct tail_config *cfg = ctx;

	switch (id) {
	case JT_OPT_JSON:
		cfg->json = true;
		break;
	case JT_OPT_STREAM:
		cfg->path = v->str;
		break;
	case JT_OPT_COUNT:
		cfg->count = v->u;
		break;
	case JT_OPT_DURATION:
		cfg->duration_s = v->s;
		break;
	case JT_OPT_UNTIL_CLOSED:
		cfg->until_closed = true;
		break;
	default:
		break;
	}
	return 0;
}

#define TAIL_HELP_SHOWN OPTIONS_HELP_SHOWN
static int parse_args(int argc, char **argv, struct tail_config *cfg)
{
	int ret = options__parse(&tail_front, argc, argv, tail_set, cfg);

	if (ret)
		return ret;
	if (optind < argc)
		return cli__usage_error("tail", "unexpected argument '%s'", argv[optind]);
	return 0;
}

static double secs(__u64 ns)
{
	return (double)ns / 1e9;
}

static void json_job(struct json_writer *w, const struct jt_stream_job *j)
{
	json__stringn(w, "job", j->key, strnlen(j->key, sizeof(j->key)));
	json__u64(w, "job_id", j->job_id);
	json__bool(w, "job_truncated", j->flags & JT_STREAM_F_KEY_TRUNCATED);
}

/* v2 cgroup ids named on this host, as the writer's records give them; NULL until needed. */
static struct cgroup_names *names;

/* The path of v2 cgroup @id; NULL for a v1 hierarchy's id, a cgroup gone, no cgroupfs. */
static const char *cgroup_path(const struct jt_stream_lineage *l)
{
	if (!l->cgroup_id || l->cgroup_hierarchy != 0)
		return NULL;
	if (!names) {
		names = malloc(sizeof(*names));
		if (!names)
			return NULL;
		cgroup_names__init(names, NULL);
	}
	return cgroup_names__get(names, l->cgroup_id);
}

static void json_lineage(struct json_writer *w, const struct jt_stream_lineage *l)
{
	const char *cg = cgroup_path(l);

	json__u64(w, "pid", l->pid);
	json__u64(w, "ppid", l->ppid);
	json__u64(w, "start_ns", l->start_ns);
	json__u64(w, "parent_start_ns", l->parent_start_ns);
	/* In a container: the pid it has there, where the host's differs. */
	if (l->ns_pid && l->ns_pid != l->pid)
		json__u64(w, "ns_pid", l->ns_pid);
	if (l->cgroup_id) {
		json__u64(w, "cgroup_id", l->cgroup_id);
		json__i64(w, "cgroup_hierarchy", l->cgroup_hierarchy);
	}
	if (cg)
		json__string(w, "cgroup", cg);
	else
		json__null(w, "cgroup");
}

/* Text: " ns_pid N" where it differs, " cgroup PATH" where known. */
static void print_place(const struct jt_stream_lineage *l)
{
	const char *cg = cgroup_path(l);

	if (l->ns_pid && l->ns_pid != l->pid)
		printf(" ns_pid %u", l->ns_pid);
	if (cg)
		printf(" cgroup %s", cg);
}

static void json_args(struct json_writer *w, const char *args, size_t len)
{
	size_t i = 0;

	json__begin_array(w, "args");
	while (i < len) {
		size_t n = strnlen(args + i, len - i);

		json__stringn(w, NULL, args + i, n);
		i += n + 1;
	}
	json__end_array(w);
}

static void json_acct(struct json_writer *w, const struct jt_stream_acct *a)
{
	json__begin_object(w, "cpu");
	json__double(w, "user_s", secs(a->user_ns));
	json__double(w, "system_s", secs(a->system_ns));
	json__double(w, "total_s", secs(a->cpu_ns));
	json__u64(w, "total_ns", a->cpu_ns);
	json__end_object(w);
	json__begin_object(w, "io");
	json__u64(w, "read_bytes", a->read_bytes);
	json__u64(w, "write_bytes", a->write_bytes);
	json__u64(w, "read_chars", a->read_chars);
	json__u64(w, "write_chars", a->write_chars);
	json__end_object(w);
}

static void json_exit(struct json_writer *w, const struct jt_stream_exit *x)
{
	int st = (int)x->exit_status;

	json_job(w, &x->job);
	json_lineage(w, &x->lin);
	json__u64(w, "exit_ns", x->exit_ns);
	json__stringn(w, "comm", x->comm, strnlen(x->comm, sizeof(x->comm)));
	if (x->flags & JT_STREAM_F_ARGS_UNKNOWN)
		json__null(w, "args");
	else
		json_args(w, x->args, x->args_len < sizeof(x->args) ? x->args_len : sizeof(x->args));
	json__bool(w, "args_truncated", x->flags & JT_STREAM_F_ARGS_TRUNCATED);
	json__bool(w, "args_inherited", x->flags & JT_STREAM_F_ARGS_INHERITED);
	json__u64(w, "exit_status", x->exit_status);
	if (WIFSIGNALED(st)) {
		json__null(w, "exit_code");
		json__i64(w, "signal", WTERMSIG(st));
		json__bool(w, "core_dumped", WCOREDUMP(st));
	} else {
		json__i64(w, "exit_code", WEXITSTATUS(st));
		json__null(w, "signal");
		json__bool(w, "core_dumped", false);
	}
	json_acct(w, &x->acct);
	json__u64(w, "peak_rss_bytes", x->peak_rss_bytes);
	json__u64(w, "threads", x->threads);
	json__bool(w, "existing_at_attach", x->flags & JT_STREAM_F_EXISTING);
	json__bool(w, "moved", x->flags & JT_STREAM_F_MOVED);
	json__bool(w, "execed", x->flags & JT_STREAM_F_EXECED);
	json__bool(w, "is_root", x->flags & JT_STREAM_F_IS_ROOT);
}

static void json_interval(struct json_writer *w, const struct jt_stream_interval *x)
{
	json_job(w, &x->job);
	json__double(w, "start", secs(x->start_time_ns));
	json__double(w, "interval_s", secs(x->time_ns - x->start_time_ns));
	json__begin_object(w, "processes");
	json__u64(w, "alive", x->alive);
	json__u64(w, "started", x->started);
	json__u64(w, "exited", x->exited);
	json__u64(w, "exit_ok", x->exit_ok);
	json__u64(w, "exit_error", x->exit_error);
	json__u64(w, "exit_signal", x->exit_signal);
	json__u64(w, "execs", x->execs);
	json__u64(w, "existing_at_attach", x->existing);
	json__u64(w, "moved_in", x->moved_in);
	json__u64(w, "moved_out", x->moved_out);
	json__end_object(w);
	json__u64(w, "threads_started", x->threads_started);
	json_acct(w, &x->acct);
	json__begin_object(w, "memory");
	json__u64(w, "rss_bytes", x->rss_bytes);
	if (x->has_pss)
		json__u64(w, "pss_bytes", x->pss_bytes);
	else
		json__null(w, "pss_bytes");
	json__u64(w, "vm_bytes", x->vm_bytes);
	json__end_object(w);
	json__u64(w, "open_files", x->open_files);
	/* What the kernel's ring dropped of the job's records: the sums in stream.h hold. */
	json__begin_object(w, "lost");
	json__u64(w, "exit_records", x->exit_records_lost);
	json__u64(w, "fork_records", x->fork_records_lost);
	json__u64(w, "exec_records", x->exec_records_lost);
	json__end_object(w);
}

static void json_u64_known(struct json_writer *w, const char *key, __u64 v, bool known)
{
	if (known)
		json__u64(w, key, v);
	else
		json__null(w, key);
}

/* memory.peak_rss_source's names, as report.c writes them; NULL: not known. */
static const char *rss_source(__u32 v)
{
	switch (v) {
	case JT_STREAM_RSS_MM_HIWATER:
		return "mm_hiwater";
	case JT_STREAM_RSS_SIGNAL_MAXRSS:
		return "signal_maxrss";
	case JT_STREAM_RSS_MIXED:
		return "mixed";
	case JT_STREAM_RSS_CHILDREN_MAXRSS:
		return "children_maxrss";
	default:
		return NULL;
	}
}

/*
 * A job's final report, under the names and nesting of the "job" record
 * that `watch --json` writes (user/out/report.c), for the figures the
 * record carries; what it does not carry (the command table, failures,
 * live members) is left out rather than written empty.
 */
static void json_job_end(struct json_writer *w, const struct jt_stream_job_end *x)
{
	bool counts = !(x->unknown & JT_STREAM_UNKNOWN_COUNTS);
	bool chars = !(x->unknown & JT_STREAM_UNKNOWN_CHARS);
	bool records = !(x->unknown & JT_STREAM_UNKNOWN_RECORDS);
	bool cpu = !(x->unknown & JT_STREAM_UNKNOWN_CPU);
	bool exited = x->flags & JT_STREAM_JE_ROOT_EXITED;
	int st = (int)x->root_status;
	const char *why[JOB_MAX_INCOMPLETE];
	struct job job = {
		.stale = x->stale_entries,
		.repairs = x->repairs,
		.records_malformed = x->records_malformed,
		.add_errors = x->records_not_folded,
		.unknown = x->unknown,
	};
	size_t n;

	json__u64(w, "job_id", x->job.job_id);
	json__bool(w, "job_truncated", x->job.flags & JT_STREAM_F_KEY_TRUNCATED);
	json__begin_object(w, "job");
	json__stringn(w, "key", x->job.key, strnlen(x->job.key, sizeof(x->job.key)));
	if (x->root_pid)
		json__u64(w, "root_pid", x->root_pid);
	else
		json__null(w, "root_pid");
	if (x->root_ns_pid)
		json__u64(w, "root_ns_pid", x->root_ns_pid);
	if (exited && WIFEXITED(st))
		json__i64(w, "exit_code", WEXITSTATUS(st));
	else
		json__null(w, "exit_code");
	if (exited && WIFSIGNALED(st)) {
		json__i64(w, "signal", WTERMSIG(st));
		json__bool(w, "core_dumped", WCOREDUMP(st));
	} else {
		json__null(w, "signal");
		json__bool(w, "core_dumped", false);
	}
	json__double(w, "wall_s", secs(x->wall_ns));
	json__double(w, "root_wall_s", secs(x->root_wall_ns));
	json__end_object(w);

	json__begin_object(w, "processes");
	json_u64_known(w, "started", x->started, counts);
	json_u64_known(w, "exited", x->exited, counts);
	if (counts) {
		json__i64(w, "outlived_root", x->outlived_root);
		json__i64(w, "alive", x->alive);
	} else {
		json__null(w, "outlived_root");
		json__null(w, "alive");
	}
	json__u64(w, "max_alive", x->max_alive);
	json_u64_known(w, "exit_ok", x->exit_ok, counts);
	json_u64_known(w, "exit_error", x->exit_error, counts);
	json_u64_known(w, "exit_signal", x->exit_signal, counts);
	json_u64_known(w, "execs", x->execs, counts);
	if (x->flags & JT_STREAM_JE_ATTACHED)
		json__u64(w, "existing_at_attach", x->existing);
	json_u64_known(w, "moved_in", x->moved_in, counts);
	json_u64_known(w, "moved_out", x->moved_out, counts);
	json__end_object(w);

	json__begin_object(w, "threads");
	json_u64_known(w, "started", x->threads_started, counts);
	json__end_object(w);

	json__begin_object(w, "cpu");
	if (cpu) {
		json__double(w, "user_s", secs(x->acct.user_ns));
		json__double(w, "system_s", secs(x->acct.system_ns));
		json__double(w, "total_s", secs(x->acct.cpu_ns));
		json__u64(w, "total_ns", x->acct.cpu_ns);
	} else {
		json__null(w, "user_s");
		json__null(w, "system_s");
		json__null(w, "total_s");
		json__null(w, "total_ns");
	}
	json__end_object(w);

	json__begin_object(w, "memory");
	json__u64(w, "peak_rss_bytes", x->peak_rss_bytes);
	if (rss_source(x->peak_rss_source))
		json__string(w, "peak_rss_source", rss_source(x->peak_rss_source));
	else
		json__null(w, "peak_rss_source");
	json__end_object(w);

	json__begin_object(w, "io");
	json__u64(w, "read_bytes", x->acct.read_bytes);
	json__u64(w, "write_bytes", x->acct.write_bytes);
	json_u64_known(w, "read_chars", x->acct.read_chars, chars);
	json_u64_known(w, "write_chars", x->acct.write_chars, chars);
	json__end_object(w);

	json__begin_object(w, "events");
	json_u64_known(w, "sent", x->events_sent, records);
	json_u64_known(w, "received", x->events_received, records);
	json_u64_known(w, "lost", x->exit_records_lost, records);
	if (records)
		json__bool(w, "complete", x->exit_records_lost == 0);
	else
		json__null(w, "complete");
	json__end_object(w);

	json__begin_object(w, "limits");
	json__u64(w, "untracked_tasks", x->untracked_tasks);
	json__u64(w, "procs_map_full", x->procs_map_full);
	json__u64(w, "stale_entries", x->stale_entries);
	json__u64(w, "jobs_missing", x->jobs_missing);
	json__u64(w, "jobs_map_full", x->jobs_map_full);
	json__u64(w, "lost_to_full_job_map", x->lost_to_full_job_map);
	json__u64(w, "records_malformed", x->records_malformed);
	json__u64(w, "exec_records_lost", x->global_exec_records_lost);
	json__u64(w, "records_not_folded", x->records_not_folded);
	json__u64(w, "repairs", x->repairs);
	json__end_object(w);
	/* As the interval records name the job's ring losses. */
	json__begin_object(w, "lost");
	json__u64(w, "exit_records", x->exit_records_lost);
	json__u64(w, "fork_records", x->fork_records_lost);
	json__u64(w, "exec_records", x->exec_records_lost);
	json__end_object(w);

	/* The reasons, named by the same table as the report's (job__incomplete()). */
	job.stats.events_lost = x->exit_records_lost;
	job.stats.untracked = x->untracked_tasks;
	job.stats.procs_map_full = x->procs_map_full;
	job.stats.jobs_map_full = x->lost_to_full_job_map;
	n = job__incomplete(&job, why, JOB_MAX_INCOMPLETE);
	json__bool(w, "complete", x->flags & JT_STREAM_JE_COMPLETE);
	json__begin_array(w, "incomplete");
	for (size_t i = 0; i < n; i++)
		json__string(w, NULL, why[i]);
	json__end_array(w);
}

static void json_pct(struct json_writer *w, const char *key, __s32 mpct)
{
	if (mpct < 0)
		json__null(w, key);
	else
		json__double(w, key, mpct / 1000.0);
}

static void json_host(struct json_writer *w, const struct jt_stream_host *h)
{
	json__double(w, "start", secs(h->start_time_ns));
	json__double(w, "interval_s", secs(h->time_ns - h->start_time_ns));
	json__begin_object(w, "cpu");
	json__u64(w, "count", h->ncpus);
	json_pct(w, "busy_pct", h->cpu_busy_mpct);
	json_pct(w, "user_pct", h->cpu_user_mpct);
	json_pct(w, "system_pct", h->cpu_system_mpct);
	json_pct(w, "iowait_pct", h->cpu_iowait_mpct);
	json__end_object(w);
	json__begin_object(w, "memory");
	json__u64(w, "total_bytes", h->mem_total_bytes);
	json__u64(w, "available_bytes", h->mem_available_bytes);
	json__u64(w, "used_bytes", h->mem_used_bytes);
	json__u64(w, "swap_total_bytes", h->swap_total_bytes);
	json__u64(w, "swap_used_bytes", h->swap_used_bytes);
	json__end_object(w);
	json__begin_object(w, "load");
	json__double(w, "avg1", h->load1_milli / 1000.0);
	json__double(w, "avg5", h->load5_milli / 1000.0);
	json__double(w, "avg15", h->load15_milli / 1000.0);
	json__end_object(w);
	json__begin_object(w, "processes");
	json__double(w, "forks_per_s", h->forks_per_s_milli / 1000.0);
	json__u64(w, "running", h->procs_running);
	json__u64(w, "blocked", h->procs_blocked);
	json__end_object(w);
	json__double(w, "context_switches_per_s", h->ctxt_per_s_milli / 1000.0);
	/* events_lost: exit records, as every report names them. */
	json__u64(w, "events_lost", h->exit_records_lost);
	json__begin_object(w, "lost");
	json__u64(w, "exit_records", h->exit_records_lost);
	json__u64(w, "fork_records", h->fork_records_lost);
	json__u64(w, "exec_records", h->exec_records_lost);
	json__end_object(w);
}

static int print_json(const union jt_stream_record *r)
{
	const char *name = jobtrace_stream_type_name(r->hdr.type);
	struct json_writer w;

	json__init(&w, stdout, false);
	json__begin_object(&w, NULL);
	if (name)
		json__string(&w, "type", name);
	else
		json__u64(&w, "type", r->hdr.type);
	json__u64(&w, "seq", r->hdr.seq);
	json__u64(&w, "version", r->hdr.version);
	switch (r->hdr.type) {
	case JT_STREAM_FORK:
		json__double(&w, "time", secs(r->fork.time_ns));
		json_job(&w, &r->fork.job);
		json_lineage(&w, &r->fork.lin);
		json__stringn(&w, "comm", r->fork.comm, strnlen(r->fork.comm, JT_STREAM_COMM_LEN));
		break;
	case JT_STREAM_EXEC:
		json__double(&w, "time", secs(r->exec.time_ns));
		json_job(&w, &r->exec.job);
		json__u64(&w, "pid", r->exec.pid);
		json__u64(&w, "start_ns", r->exec.start_ns);
		json_args(&w, r->exec.args,
			  r->exec.args_len < JT_STREAM_ARGS_LEN ? r->exec.args_len : JT_STREAM_ARGS_LEN);
		json__bool(&w, "args_truncated", r->exec.flags & JT_STREAM_F_ARGS_TRUNCATED);
		break;
	case JT_STREAM_EXIT:
		json__double(&w, "time", secs(r->exit.time_ns));
		json_exit(&w, &r->exit);
		break;
	case JT_STREAM_INTERVAL:
		json__double(&w, "time", secs(r->interval.time_ns));
		json_interval(&w, &r->interval);
		break;
	case JT_STREAM_HOST:
		json__double(&w, "time", secs(r->host.time_ns));
		json_host(&w, &r->host);
		break;
	case JT_STREAM_JOB_END:
		json__double(&w, "time", secs(r->job_end.time_ns));
		json__double(&w, "start", secs(r->job_end.start_time_ns));
		json_job_end(&w, &r->job_end);
		break;
	case JT_STREAM_MISSED:
		json__u64(&w, "count", r->missed.count);
		break;
	case JT_STREAM_RESTART:
		json__u64(&w, "old_generation", r->restart.old_generation);
		json__u64(&w, "new_generation", r->restart.new_generation);
		break;
	}
	json__end_object(&w);
	return json__finish(&w);
}

static void print_text(const union jt_stream_record *r)
{
	const char *name = jobtrace_stream_type_name(r->hdr.type);
	int st;

	printf("%-8s ", name ? name : "?");
	switch (r->hdr.type) {
	case JT_STREAM_FORK:
		printf("%.*s pid %u ppid %u %.*s", JT_STREAM_KEY_LEN, r->fork.job.key,
		       r->fork.lin.pid, r->fork.lin.ppid, JT_STREAM_COMM_LEN, r->fork.comm);
		print_place(&r->fork.lin);
		putchar('\n');
		break;
	case JT_STREAM_EXEC:
		/* The program, the first of the NUL-separated arguments. */
		printf("%.*s pid %u %.*s\n", JT_STREAM_KEY_LEN, r->exec.job.key, r->exec.pid,
		       (int)strnlen(r->exec.args, r->exec.args_len), r->exec.args);
		break;
	case JT_STREAM_EXIT:
		st = (int)r->exit.exit_status;
		printf("%.*s pid %u ppid %u %.*s %s %d cpu %.3fs rss %llu", JT_STREAM_KEY_LEN,
		       r->exit.job.key, r->exit.lin.pid, r->exit.lin.ppid, JT_STREAM_COMM_LEN,
		       r->exit.comm, WIFSIGNALED(st) ? "signal" : "exit",
		       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), secs(r->exit.acct.cpu_ns),
		       (unsigned long long)r->exit.peak_rss_bytes);
		print_place(&r->exit.lin);
		putchar('\n');
		break;
	case JT_STREAM_INTERVAL:
		printf("%.*s alive %llu started %llu exited %llu cpu %.3fs rss %llu",
		       JT_STREAM_KEY_LEN, r->interval.job.key, (unsigned long long)r->interval.alive,
		       (unsigned long long)r->interval.started,
		       (unsigned long long)r->interval.exited, secs(r->interval.acct.cpu_ns),
		       (unsigned long long)r->interval.rss_bytes);
		if (r->interval.exit_records_lost || r->interval.fork_records_lost ||
		    r->interval.exec_records_lost)
			printf(" lost exit %llu fork %llu exec %llu",
			       (unsigned long long)r->interval.exit_records_lost,
			       (unsigned long long)r->interval.fork_records_lost,
			       (unsigned long long)r->interval.exec_records_lost);
		putchar('\n');
		break;
	case JT_STREAM_HOST:
		printf("cpu %.1f%% mem used %llu load %.2f\n", r->host.cpu_busy_mpct / 1000.0,
		       (unsigned long long)r->host.mem_used_bytes, r->host.load1_milli / 1000.0);
		break;
	case JT_STREAM_JOB_END:
		st = (int)r->job_end.root_status;
		printf("%.*s ended after %.3fs started %llu exited %llu ok %llu error %llu signal %llu "
		       "cpu %.3fs peak rss %llu",
		       JT_STREAM_KEY_LEN, r->job_end.job.key, secs(r->job_end.wall_ns),
		       (unsigned long long)r->job_end.started, (unsigned long long)r->job_end.exited,
		       (unsigned long long)r->job_end.exit_ok,
		       (unsigned long long)r->job_end.exit_error,
		       (unsigned long long)r->job_end.exit_signal, secs(r->job_end.acct.cpu_ns),
		       (unsigned long long)r->job_end.peak_rss_bytes);
		if (r->job_end.flags & JT_STREAM_JE_ROOT_EXITED)
			printf(" root %u %s %d", r->job_end.root_pid,
			       WIFSIGNALED(st) ? "signal" : "exit",
			       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		if (!(r->job_end.flags & JT_STREAM_JE_COMPLETE))
			fputs(" incomplete", stdout);
		putchar('\n');
		break;
	case JT_STREAM_MISSED:
		printf("%llu records overwritten before they were read\n",
		       (unsigned long long)r->missed.count);
		break;
	case JT_STREAM_RESTART:
		printf("serve restarted: generation %016llx\n",
		       (unsigned long long)r->restart.new_generation);
		break;
	default:
		printf("type %u, %u bytes\n", r->hdr.type, r->hdr.len);
	}
}

/* What jobtrace_stream_open()'s error means here (libjobtrace(3)). */
static const char *open_hint(int err)
{
	switch (err) {
	case ENOENT:
		return " (is `jobtrace serve --stream` running?)";
	case EPERM:
		return " (not a regular file owned by root or by you: not one serve made)";
	case ELOOP:
		return " (a symbolic link: name the file itself)";
	default:
		return "";
	}
}

int tail__main(int argc, char **argv)
{
	struct tail_config cfg = { .path = JT_STREAM_DEFAULT_PATH };
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: the wait returns */
	union jt_stream_record *rec = NULL;
	struct jobtrace_stream *s;
	unsigned long seen = 0;
	__u64 deadline = 0;
	int ret, n;

	ret = parse_args(argc, argv, &cfg);
	if (ret)
		return ret == TAIL_HELP_SHOWN ? 0 : ret;
	s = jobtrace_stream_open(cfg.path);
	if (!s) {
		fprintf(stderr, "jobtrace: cannot read the stream %s: %s%s\n", cfg.path,
			strerror(errno), open_hint(errno));
		return EXIT_FAILURE;
	}
	rec = malloc(sizeof(*rec));
	if (!rec) {
		jobtrace_stream_close(s);
		return EXIT_INTERNAL;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (cfg.duration_s > 0)
		deadline = util__now_ns() + (__u64)(cfg.duration_s * 1e9);
	ret = 0;
	while (!exiting) {
		n = jobtrace_stream_next(s, rec);
		if (n == 1) {
			if (cfg.json) {
				if (print_json(rec))
					break;
			} else {
				print_text(rec);
			}
			if (rec->hdr.type < JT_STREAM_MISSED && cfg.count && ++seen >= cfg.count)
				break;
			continue;
		}
		if (n == -ESTALE) {
			/* Nothing more comes from a file cut under us: said, and stopped. */
			fprintf(stderr, "jobtrace: the stream %s was cut short under the reader "
					"(truncated): stopping\n",
				cfg.path);
			ret = EXIT_FAILURE;
			break;
		}
		if (n < 0) {
			/* Counted and said; the reader has moved past it. */
			fprintf(stderr, "jobtrace: a broken record in %s: %s\n", cfg.path,
				strerror(-n));
			continue;
		}
		/* Read all there was: show it now, then sleep until the next batch. */
		if (fflush(stdout))
			break;
		if (cfg.until_closed) {
			int state = jobtrace_stream_state(s);

			if (state == JT_STREAM_CLOSED)
				break;
			/* Killed (-9) or hung: it will never say CLOSED; a replacement would. */
			if (state == JT_STREAM_GONE) {
				fprintf(stderr, "jobtrace: the writer of %s is gone without "
						"closing it (its process ended, or no heartbeat "
						"for %d s)\n",
					cfg.path, JT_STREAM_GONE_MS / 1000);
				ret = EXIT_FAILURE;
				break;
			}
		}
		if (deadline && util__now_ns() >= deadline)
			break;
		jobtrace_stream_wait(s, 200);
	}
	if (fflush(stdout) || ferror(stdout))
		ret = EXIT_FAILURE;
	free(rec);
	jobtrace_stream_close(s);
	cgroup_names__fini(names);
	free(names);
	names = NULL;
	return ret;
}
