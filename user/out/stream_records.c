// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The stream's records made back into the collector's (the reverse of
 * user/out/sink_stream.c), for a sink: every figure and time stamp is the
 * one serve's collector gave its sinks, so the sink writes what it would
 * have written in serve. What the stream does not carry is named here:
 * a cgroup's path is looked up on this host (null once the cgroup is gone,
 * as serve writes it then), and a job key cut to the stream's 127 bytes is
 * marked so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jobtrace/cgroup_names.h"
#include "jobtrace/cgroupfs.h"
#include "jobtrace/json.h"
#include "jobtrace/stream_records.h"
#include "jobtrace/util.h"

#define SR_HIERARCHIES 16 /* cgroup hierarchies named: v2 and v1's, as /proc/cgroups numbers them \
			   */

struct stream_records {
	struct cjob job; /* the record's job: its key and what its source cannot know */
	char key[JT_STREAM_KEY_LEN + 1]; /* job.key's: a record's, NUL-padded or not, and a NUL */
	struct cgroup_names *names[SR_HIERARCHIES]; /* by hierarchy id; NULL until needed */
	bool no_names[SR_HIERARCHIES];		    /* that hierarchy is not mounted here */
	/* The JSON line being put together from its JT_STREAM_TEXT parts. */
	char *text;
	size_t text_len, text_cap;
	__u64 text_line;
	__u32 text_next; /* the part expected next; 0: none under way */
	unsigned long long lines_dropped;
	struct jt_stream_oom oom; /* the last OOM record, for the exit record after it */
	bool have_oom;
};

struct stream_records *stream_records__new(void)
{
	struct stream_records *sr = calloc(1, sizeof(*sr));

	if (sr) {
		sr->job.cgroup_dirfd = -1;
		sr->job.job.key = sr->key;
	}
	return sr;
}

void stream_records__free(struct stream_records *sr)
{
	if (!sr)
		return;
	for (size_t i = 0; i < SR_HIERARCHIES; i++) {
		if (sr->names[i])
			cgroup_names__fini(sr->names[i]);
		free(sr->names[i]);
	}
	free(sr->text);
	free(sr);
}

unsigned long long stream_records__lines_dropped(const struct stream_records *sr)
{
	return sr->lines_dropped;
}

/* A v1 hierarchy by its id: a controller of it from /proc/cgroups, then its mount. */
static int hier_of_id(int id, struct cgroup_hier *h)
{
	char *text = NULL, *line, *save = NULL;
	ssize_t n = util__read_file_alloc(AT_FDCWD, "/proc/cgroups", 1 << 20, &text);
	int err = -ENOENT;

	if (n < 0)
		return (int)n;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		int hier;

		/* (1) subsys_name (2) hierarchy (3) num_cgroups (4) enabled */
		if (line[0] == '#' || sscanf(line, "%63s %d", name, &hier) != 2 || hier != id)
			continue;
		err = cgroupfs__find_mounted(name, h);
		if (!err)
			break;
	}
	free(text);
	return err;
}

/* The path of a process's cgroup, as serve's collector names it; NULL when not known. */
static const char *cgroup_path(struct stream_records *sr, const struct jt_stream_lineage *l)
{
	int id = l->cgroup_hierarchy;
	struct cgroup_hier h;

	if (!l->cgroup_id || id < 0 || id >= SR_HIERARCHIES || sr->no_names[id])
		return NULL;
	if (!sr->names[id]) {
		if (id > 0 && hier_of_id(id, &h)) {
			sr->no_names[id] = true;
			return NULL;
		}
		sr->names[id] = malloc(sizeof(*sr->names[id]));
		if (!sr->names[id])
			return NULL;
		cgroup_names__init(sr->names[id], id > 0 ? &h : NULL);
	}
	return cgroup_names__get(sr->names[id], l->cgroup_id);
}

static const struct cjob *job_of(struct stream_records *sr, const struct jt_stream_job *j,
				 __u32 unknown)
{
	size_t n = strnlen(j->key, sizeof(j->key));

	memcpy(sr->key, j->key, n);
	sr->key[n] = '\0';
	sr->job.key_truncated = j->flags & JT_STREAM_F_KEY_TRUNCATED;
	sr->job.id = j->job_id;
	sr->job.job.unknown = unknown;
	return &sr->job;
}

static void acct_of(struct jt_acct *a, const struct jt_stream_acct *x)
{
	a->cpu_ns = x->cpu_ns;
	a->read_bytes = x->read_bytes;
	a->write_bytes = x->write_bytes;
	a->read_chars = x->read_chars;
	a->write_chars = x->write_chars;
}

static int feed_exit(struct stream_records *sr, const struct jt_stream_exit *x, struct sink *s)
{
	struct job_oom oom;
	char exe[JT_STREAM_EXE_LEN + 1];
	struct jt_exit_event e = {
	    .job_id = x->job.job_id,
	    .pid = x->lin.pid,
	    .ppid = x->lin.ppid,
	    .start_ns = x->lin.start_ns,
	    .parent_start_ns = x->lin.parent_start_ns,
	    .exit_ns = x->exit_ns,
	    .exit_status = x->exit_status,
	    .threads = x->threads,
	    .user_ns = x->acct.user_ns,
	    .system_ns = x->acct.system_ns,
	    .peak_rss_bytes = x->peak_rss_bytes,
	    .is_root = !!(x->flags & JT_STREAM_F_IS_ROOT),
	    .flags = (__u8)(x->flags & (JT_F_EXISTING | JT_F_MOVED | JT_F_EXECED)),
	    .ns_pid = x->lin.ns_pid,
	    .cgroup_id = x->lin.cgroup_id,
	    .uid = x->uid,
	    .gid = x->gid,
	};
	struct proc_record r = {
	    .e = &e,
	    .job = job_of(sr, &x->job, 0),
	    .cgroup = cgroup_path(sr, &x->lin),
	    .cgroup_hierarchy = x->lin.cgroup_hierarchy,
	    /* Its exit's stamp, and its start's on the same offset. */
	    .end_epoch_ns = x->time_ns,
	    .start_epoch_ns = x->time_ns - (x->exit_ns - x->lin.start_ns),
	};

	acct_of(&e.acct, &x->acct);
	memcpy(e.comm, x->comm,
	       sizeof(e.comm) < sizeof(x->comm) ? sizeof(e.comm) : sizeof(x->comm));
	if (!(x->flags & JT_STREAM_F_ARGS_UNKNOWN)) {
		r.args = x->args;
		r.args_len = x->args_len < sizeof(x->args) ? x->args_len : sizeof(x->args);
		r.args_truncated = x->flags & JT_STREAM_F_ARGS_TRUNCATED;
		r.args_inherited = x->flags & JT_STREAM_F_ARGS_INHERITED;
	}
	if (x->exe_len) {
		size_t n = x->exe_len < sizeof(x->exe) ? x->exe_len : sizeof(x->exe);

		memcpy(exe, x->exe, n);
		exe[n] = '\0';
		r.exe = exe;
	}
	r.start_epoch_s = (double)r.start_epoch_ns / 1e9;
	r.end_epoch_s = (double)r.end_epoch_ns / 1e9;
	/* The OOM record just before this exit, of this process. */
	if (sr->have_oom && sr->oom.pid == x->lin.pid && sr->oom.start_ns == x->lin.start_ns) {
		const struct jt_stream_oom *o = &sr->oom;

		oom = (struct job_oom){
			.killed = true,
			.global = o->flags & JT_STREAM_OOM_GLOBAL,
			.limit_known = o->flags & JT_STREAM_OOM_LIMIT,
			.limit_seen = o->flags & JT_STREAM_OOM_SEEN,
			.rss_known = o->flags & JT_STREAM_OOM_RSS,
			.limit_bytes = o->limit_bytes,
			.rss_bytes = o->rss_bytes,
		};
		snprintf(oom.hierarchy, sizeof(oom.hierarchy), "%.*s", (int)sizeof(o->hierarchy),
			 o->hierarchy);
		snprintf(oom.cgroup, sizeof(oom.cgroup), "%.*s", (int)sizeof(o->cgroup), o->cgroup);
		e.flags |= JT_F_OOM_KILLED;
		r.oom = &oom;
	}
	sr->have_oom = false;
	return s->ops->process ? s->ops->process(s, &r) : 0;
}

static int feed_fork(struct stream_records *sr, const struct jt_stream_fork *x, struct sink *s)
{
	struct jt_fork_event e = {
	    .job_id = x->job.job_id,
	    .pid = x->lin.pid,
	    .ppid = x->lin.ppid,
	    .start_ns = x->lin.start_ns,
	    .parent_start_ns = x->lin.parent_start_ns,
	    .ns_pid = x->lin.ns_pid,
	    .cgroup_id = x->lin.cgroup_id,
	};
	struct fork_record r = {
	    .e = &e,
	    .job = job_of(sr, &x->job, 0),
	    .cgroup = cgroup_path(sr, &x->lin),
	    .cgroup_hierarchy = x->lin.cgroup_hierarchy,
	    .start_epoch_ns = x->time_ns,
	};

	memcpy(e.comm, x->comm,
	       sizeof(e.comm) < sizeof(x->comm) ? sizeof(e.comm) : sizeof(x->comm));
	return s->ops->fork ? s->ops->fork(s, &r) : 0;
}

static int feed_exec(struct stream_records *sr, const struct jt_stream_exec *x, struct sink *s)
{
	struct jt_exec_event e = {
	    .job_id = x->job.job_id,
	    .pid = x->pid,
	    .args_len = x->args_len < JT_ARGS_LEN ? x->args_len : JT_ARGS_LEN,
	    .truncated = !!(x->flags & JT_STREAM_F_ARGS_TRUNCATED),
	    .start_ns = x->start_ns,
	};
	struct exec_record r = {.e = &e, .job = job_of(sr, &x->job, 0), .epoch_ns = x->time_ns};

	_Static_assert(JT_ARGS_LEN == JT_STREAM_ARGS_LEN, "an exec's arguments fit the stream");
	memcpy(e.args, x->args, e.args_len);
	return s->ops->exec ? s->ops->exec(s, &r) : 0;
}

static int feed_interval(struct stream_records *sr, const struct jt_stream_interval *x,
			 struct sink *s)
{
	struct interval_record r = {
	    .job = job_of(sr, &x->job, x->unknown),
	    .t0_epoch_ns = x->start_time_ns,
	    .t1_epoch_ns = x->time_ns,
	    .d =
		{
		    .cpu_ns = x->acct.cpu_ns,
		    .user_ns = x->acct.user_ns,
		    .system_ns = x->acct.system_ns,
		    .started = x->started,
		    .exited = x->exited,
		    .exit_ok = x->exit_ok,
		    .exit_error = x->exit_error,
		    .exit_signal = x->exit_signal,
		    .execs = x->execs,
		    .threads = x->threads_started,
		    .read_bytes = x->acct.read_bytes,
		    .write_bytes = x->acct.write_bytes,
		    .existing = x->existing,
		    .moved_in = x->moved_in,
		    .moved_out = x->moved_out,
		    .exit_records_lost = x->exit_records_lost,
		    .fork_records_lost = x->fork_records_lost,
		    .exec_records_lost = x->exec_records_lost,
		},
	    .alive = x->alive,
	    .rss_bytes = x->rss_bytes,
	    .pss_bytes = x->pss_bytes,
	    .vm_bytes = x->vm_bytes,
	    .open_files = x->open_files,
	    .pss = x->has_pss,
	    .incomplete = x->incomplete,
	    .cpu_cap = x->cpu_cap,
	};

	return s->ops->interval ? s->ops->interval(s, &r) : 0;
}

static double pct_of(__s32 mpct)
{
	return mpct < 0 ? -1 : (double)mpct / 1000.0;
}

static int feed_host(const struct jt_stream_host *x, struct sink *s)
{
	struct host_record r = {
	    .t0_epoch_ns = x->start_time_ns,
	    .t1_epoch_ns = x->time_ns,
	    .cpu_busy_pct = pct_of(x->cpu_busy_mpct),
	    .cpu_user_pct = pct_of(x->cpu_user_mpct),
	    .cpu_system_pct = pct_of(x->cpu_system_mpct),
	    .cpu_iowait_pct = pct_of(x->cpu_iowait_mpct),
	    .ncpus = x->ncpus,
	    .mem_total_bytes = x->mem_total_bytes,
	    .mem_available_bytes = x->mem_available_bytes,
	    .mem_used_bytes = x->mem_used_bytes,
	    .swap_total_bytes = x->swap_total_bytes,
	    .swap_used_bytes = x->swap_used_bytes,
	    .load1 = (double)x->load1_milli / 1000.0,
	    .load5 = (double)x->load5_milli / 1000.0,
	    .load15 = (double)x->load15_milli / 1000.0,
	    .forks_per_s = (double)x->forks_per_s_milli / 1000.0,
	    .ctxt_per_s = (double)x->ctxt_per_s_milli / 1000.0,
	    .procs_running = x->procs_running,
	    .procs_blocked = x->procs_blocked,
	    .events_lost = x->exit_records_lost,
	    .fork_records_lost = x->fork_records_lost,
	    .exec_records_lost = x->exec_records_lost,
	    .unknown = x->unknown & (JT_STREAM_HOST_UNKNOWN_STAT | JT_STREAM_HOST_UNKNOWN_MEM |
				     JT_STREAM_HOST_UNKNOWN_LOAD),
	};

	if (x->unknown & JT_STREAM_HOST_UNKNOWN_FORKS)
		r.forks_per_s = -1;
	if (x->unknown & JT_STREAM_HOST_UNKNOWN_CTXT)
		r.ctxt_per_s = -1;
	/* Its "system" line follows as text. */
	return s->ops->host ? s->ops->host(s, &r) : 0;
}

/* A part of a JSON line; the line goes out whole once its last part is in. */
static int feed_text(struct stream_records *sr, const struct jt_stream_text *x, struct sink *s)
{
	size_t n = x->len < sizeof(x->text) ? x->len : sizeof(x->text);

	if (x->parts == 0 || x->parts > JT_STREAM_TEXT_MAX_PARTS || x->part >= x->parts)
		return 0;
	if (x->part == 0) {
		if (sr->text_next)
			sr->lines_dropped++; /* the last one never ended */
		sr->text_len = 0;
		sr->text_line = x->line;
	} else if (x->part != sr->text_next || x->line != sr->text_line) {
		/* A part of a line whose start this reader missed. */
		if (sr->text_next)
			sr->lines_dropped++;
		sr->text_next = 0;
		return 0;
	}
	if (sr->text_len + n > sr->text_cap) {
		size_t cap = sr->text_len + n + 4096;
		char *t = realloc(sr->text, cap);

		if (!t) {
			sr->lines_dropped++;
			sr->text_next = 0;
			return 0;
		}
		sr->text = t;
		sr->text_cap = cap;
	}
	memcpy(sr->text + sr->text_len, x->text, n);
	sr->text_len += n;
	sr->text_next = x->part + 1;
	if (sr->text_next < x->parts)
		return 0;
	sr->text_next = 0;
	if (x->kind == JT_STREAM_TEXT_JOB ? !s->with_job : !s->with_host)
		return 0;
	fwrite(sr->text, 1, sr->text_len, s->f);
	putc('\n', s->f);
	return sink__check(s);
}

/* What only a reader knows: records it missed, a writer that restarted. */
static int feed_reader(const union jt_stream_record *r, struct sink *s)
{
	struct json_writer w;
	int err;

	json__init(&w, s->f, false);
	json__begin_object(&w, NULL);
	json__string(&w, "type", jobtrace_stream_type_name(r->hdr.type));
	json__double(&w, "time", (double)util__realtime_ns() / 1e9);
	if (r->hdr.type == JT_STREAM_MISSED) {
		json__u64(&w, "records", r->missed.count);
	} else {
		json__u64(&w, "old_generation", r->restart.old_generation);
		json__u64(&w, "new_generation", r->restart.new_generation);
	}
	json__end_object(&w);
	err = json__finish(&w);
	if (err && !s->err)
		s->err = err;
	return sink__check(s);
}

int stream_records__feed(struct stream_records *sr, const union jt_stream_record *r, struct sink *s)
{
	switch (r->hdr.type) {
	case JT_STREAM_EXIT:
		return feed_exit(sr, &r->exit, s);
	case JT_STREAM_FORK:
		return feed_fork(sr, &r->fork, s);
	case JT_STREAM_EXEC:
		return feed_exec(sr, &r->exec, s);
	case JT_STREAM_INTERVAL:
		return feed_interval(sr, &r->interval, s);
	case JT_STREAM_HOST:
		return feed_host(&r->host, s);
	case JT_STREAM_TEXT:
		return feed_text(sr, &r->text, s);
	case JT_STREAM_OOM:
		/* Its process's exit record follows. */
		sr->oom = r->oom;
		sr->have_oom = true;
		return 0;
	case JT_STREAM_MISSED:
		/* Whatever line was being put together lost a part. */
		if (sr->text_next)
			sr->lines_dropped++;
		sr->text_next = 0;
		return feed_reader(r, s);
	case JT_STREAM_RESTART:
		/* A new writer: the line under way never gets its other parts either. */
		if (sr->text_next)
			sr->lines_dropped++;
		sr->text_next = 0;
		sr->have_oom = false; /* an OOM record's exit was the old writer's to send */
		return feed_reader(r, s);
	default:
		/* JT_STREAM_JOB_END: its figures are in the "job" line that follows as text. */
		return 0;
	}
}

static double secs(__u64 ns)
{
	return (double)ns / 1e9;
}

/*
 * @s, at most @max bytes and up to a NUL, as the other text outputs write a
 * name: a process's name, its arguments, a job's key or a cgroup's path are
 * anyone's to choose, and a newline or a terminal's escape in one must not
 * make a line of its own or move the cursor (text__escape()).
 */
static void put_name(FILE *f, const char *s, size_t max)
{
	text__escape(f, s, strnlen(s, max));
}

/* Text: " ns_pid N" where it differs, " cgroup PATH" where known. */
static void print_place(struct stream_records *sr, const struct jt_stream_lineage *l, FILE *f)
{
	const char *cg = cgroup_path(sr, l);

	if (l->ns_pid && l->ns_pid != l->pid)
		fprintf(f, " ns_pid %u", l->ns_pid);
	if (cg) {
		fputs(" cgroup ", f);
		put_name(f, cg, strlen(cg));
	}
}

int stream_records__write_text(struct stream_records *sr, const union jt_stream_record *r, FILE *f)
{
	const char *name = jobtrace_stream_type_name(r->hdr.type);
	int st;

	/* The JSON lines of a job's report and of a system sample: --json's. */
	if (r->hdr.type == JT_STREAM_TEXT)
		return 0;
	fprintf(f, "%-8s ", name ? name : "?");
	switch (r->hdr.type) {
	case JT_STREAM_FORK:
		put_name(f, r->fork.job.key, JT_STREAM_KEY_LEN);
		fprintf(f, " pid %u ppid %u ", r->fork.lin.pid, r->fork.lin.ppid);
		put_name(f, r->fork.comm, JT_STREAM_COMM_LEN);
		print_place(sr, &r->fork.lin, f);
		putc('\n', f);
		break;
	case JT_STREAM_EXEC:
		/* The program, the first of the NUL-separated arguments. */
		put_name(f, r->exec.job.key, JT_STREAM_KEY_LEN);
		fprintf(f, " pid %u ", r->exec.pid);
		put_name(f, r->exec.args,
			 r->exec.args_len < JT_STREAM_ARGS_LEN ? r->exec.args_len : JT_STREAM_ARGS_LEN);
		putc('\n', f);
		break;
	case JT_STREAM_EXIT:
		st = (int)r->exit.exit_status;
		put_name(f, r->exit.job.key, JT_STREAM_KEY_LEN);
		fprintf(f, " pid %u ppid %u ", r->exit.lin.pid, r->exit.lin.ppid);
		put_name(f, r->exit.comm, JT_STREAM_COMM_LEN);
		fprintf(f, " %s %d cpu %.3fs rss %llu", WIFSIGNALED(st) ? "signal" : "exit",
			WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), secs(r->exit.acct.cpu_ns),
			(unsigned long long)r->exit.peak_rss_bytes);
		print_place(sr, &r->exit.lin, f);
		putc('\n', f);
		break;
	case JT_STREAM_INTERVAL:
		put_name(f, r->interval.job.key, JT_STREAM_KEY_LEN);
		fprintf(
		    f, " alive %llu started %llu exited %llu cpu %.3fs rss %llu",
		    (unsigned long long)r->interval.alive,
		    (unsigned long long)r->interval.started, (unsigned long long)r->interval.exited,
		    secs(r->interval.acct.cpu_ns), (unsigned long long)r->interval.rss_bytes);
		if (r->interval.exit_records_lost || r->interval.fork_records_lost ||
		    r->interval.exec_records_lost)
			fprintf(f, " lost exit %llu fork %llu exec %llu",
				(unsigned long long)r->interval.exit_records_lost,
				(unsigned long long)r->interval.fork_records_lost,
				(unsigned long long)r->interval.exec_records_lost);
		putc('\n', f);
		break;
	case JT_STREAM_HOST:
		fprintf(f, "cpu %.1f%% mem used %llu load %.2f\n", r->host.cpu_busy_mpct / 1000.0,
			(unsigned long long)r->host.mem_used_bytes, r->host.load1_milli / 1000.0);
		break;
	case JT_STREAM_JOB_END:
		st = (int)r->job_end.root_status;
		put_name(f, r->job_end.job.key, JT_STREAM_KEY_LEN);
		fprintf(f,
			" ended after %.3fs started %llu exited %llu ok %llu error %llu signal "
			"%llu "
			"cpu %.3fs peak rss %llu",
			secs(r->job_end.wall_ns),
			(unsigned long long)r->job_end.started,
			(unsigned long long)r->job_end.exited,
			(unsigned long long)r->job_end.exit_ok,
			(unsigned long long)r->job_end.exit_error,
			(unsigned long long)r->job_end.exit_signal, secs(r->job_end.acct.cpu_ns),
			(unsigned long long)r->job_end.peak_rss_bytes);
		if (r->job_end.flags & JT_STREAM_JE_ROOT_EXITED)
			fprintf(f, " root %u %s %d", r->job_end.root_pid,
				WIFSIGNALED(st) ? "signal" : "exit",
				WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		if (!(r->job_end.flags & JT_STREAM_JE_COMPLETE))
			fputs(" incomplete", f);
		putc('\n', f);
		break;
	case JT_STREAM_OOM:
		fprintf(f, "pid %u killed by the OOM killer", r->oom.pid);
		if (r->oom.flags & JT_STREAM_OOM_LIMIT) {
			fprintf(f, ": limit %llu bytes of ", (unsigned long long)r->oom.limit_bytes);
			put_name(f, r->oom.hierarchy, sizeof(r->oom.hierarchy));
			putc(':', f);
			put_name(f, r->oom.cgroup, sizeof(r->oom.cgroup));
		}
		else if (r->oom.flags & JT_STREAM_OOM_GLOBAL)
			fputs(": the host ran out", f);
		putc('\n', f);
		break;
	case JT_STREAM_MISSED:
		fprintf(f, "%llu records overwritten before they were read\n",
			(unsigned long long)r->missed.count);
		break;
	case JT_STREAM_RESTART:
		fprintf(f, "serve restarted: generation %016llx\n",
			(unsigned long long)r->restart.new_generation);
		break;
	default:
		fprintf(f, "type %u, %u bytes\n", r->hdr.type, r->hdr.len);
	}
	return util__stream_error(f);
}
