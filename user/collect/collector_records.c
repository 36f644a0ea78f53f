// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The collector's records from its source: each one finds (in host mode,
 * makes) its job, is added to it, and goes to the sinks that take it.
 */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/args_table.h"
#include "jobtrace/cgroup_names.h"
#include "jobtrace/cgroupfs.h"
#include "jobtrace/collector.h"
#include "jobtrace/job_table.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#include "collector_priv.h"

/* user:NAME as the host's passwd names the uid, else user:UID. */
static void user_key(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *found = NULL;
	char scratch[1024];

	if (!getpwuid_r(uid, &pw, scratch, sizeof(scratch), &found) && found)
		snprintf(buf, size, "user:%s", pw.pw_name);
	else
		snprintf(buf, size, "user:%u", (unsigned int)uid);
}

/* The name of a job the kernel made (host mode), from its id. */
static void host_job_key(struct collector *c, __u64 id, char *buf, size_t size)
{
	__u64 v = JT_JOB_VALUE(id);
	char comm[32] = "";
	char path[64];
	char path_buf[256];

	switch (JT_JOB_KIND(id)) {
	case JT_JOB_CGROUP:
		/* A cgroup removed already keeps its number: better than no name. */
		if (c->hier && !cgroupfs__path_of_id(c->hier, v, path_buf, sizeof(path_buf)))
			snprintf(buf, size, "cgroup:%s", path_buf);
		else
			snprintf(buf, size, "cgroup:#%" PRIu64, (uint64_t)v);
		return;
	case JT_JOB_TREE:
		/* A session is named by its id alone, as ps -s and loginctl name it. */
		if (JT_JOB_SHARE(id) == JT_SHARE_SESSION) {
			snprintf(buf, size, "session:%u", JT_JOB_PID(id));
			return;
		}
		if (JT_JOB_SHARE(id) == JT_SHARE_USER) {
			user_key((uid_t)(id & 0xffffffffU), buf, size);
			return;
		}
		/*
		 * Its root's name, from /proc by the host's number: only in the
		 * host's pid namespace. In another, that number is another
		 * process's or none, and the host's tree was named after a
		 * process of the namespace that held it ("tree:PID:sleep").
		 */
		snprintf(path, sizeof(path), "%u/comm", (unsigned int)(v & ((1U << 22) - 1)));
		if (c->proc_fd >= 0 && c->host_pidns &&
		    util__read_file_at(c->proc_fd, path, comm, sizeof(comm)) > 0)
			comm[strcspn(comm, "\n")] = '\0';
		snprintf(buf, size, "tree:%u%s%s", (unsigned int)(v & ((1U << 22) - 1)),
			 comm[0] ? ":" : "", comm);
		return;
	default:
		snprintf(buf, size, "job:%" PRIu64, (uint64_t)id);
	}
}

/* Host-mode jobs appear in the kernel first: the table learns them here. */
struct cjob *collector__job_of_record(struct collector *c, __u64 id)
{
	struct cjob *j = collector__find_job(c, id);
	char key[300];

	/* The front makes its own jobs (and serve --control its adopted ones). */
	if (j || JT_JOB_KIND(id) == JT_JOB_USER || JT_JOB_KIND(id) == JT_JOB_ADOPTED)
		return j;
	host_job_key(c, id, key, sizeof(key));
	j = collector__add_job(c, id, key, CJOB_END_EMPTY);
	if (!j)
		return NULL;
	j->job.mode = "host";
	j->job.attached = true;
	/*
	 * The kernel made it after our last sample read its jobs (else that
	 * sample would have found it), or it was found at the attach: its
	 * first interval starts there, not now, so what it did before we saw
	 * it is divided by a time it fits in, never by the instant since.
	 */
	j->job.start_ns = c->last_sample_ns ? c->last_sample_ns : c->start_ns;
	j->reported_ns = j->job.start_ns;
	if (JT_JOB_KIND(id) == JT_JOB_CGROUP && !strncmp(j->job.key, "cgroup:/", 8))
		j->job.cgroup = j->job.key + 7;
	j->job.hierarchy = c->hier_name[0] ? c->hier_name : NULL;
	return j;
}

int collector__on_exec(struct collector *c, const struct jt_exec_event *e)
{
	/* Without memory this process's arguments stay unknown; nothing else is lost. */
	args_table__put(&c->args, e->pid, e->start_ns, e->args, e->args_len, e->truncated, e->exe,
			sizeof(e->exe));
	/* Only a sink that publishes execs (the stream) may make a job appear here. */
	for (size_t i = 0; c->opts.events && i < c->nsinks; i++) {
		struct exec_record r = { .e = e, .epoch_ns = util__now_ns() + c->stats.mono_to_epoch_ns };
		struct sink *s = c->sinks[i];

		if (!s->ops->exec || s->err)
			continue;
		r.job = collector__job_of_record(c, e->job_id);
		if (r.job)
			s->ops->exec(s, &r);
	}
	return 0;
}

/* Only serve asks for fork records (lineage_opts.fork_records): they go to the sinks alone. */
int collector__on_fork(struct collector *c, const struct jt_fork_event *e)
{
	struct fork_record r = { .e = e, .job = collector__job_of_record(c, e->job_id) };

	if (!r.job) {
		c->stats.records_unknown_job++;
		return 0;
	}
	if (c->opts.events) {
		r.cgroup = cgroup_names__get(&c->cgnames, e->cgroup_id);
		r.cgroup_hierarchy = cgroup_names__hierarchy(&c->cgnames);
		r.start_epoch_ns = e->start_ns + c->stats.boot_to_epoch_ns;
	}
	for (size_t i = 0; c->opts.events && i < c->nsinks; i++) {
		struct sink *s = c->sinks[i];

		if (s->ops->fork && !s->err)
			s->ops->fork(s, &r);
	}
	return 0;
}

int collector__on_attach(struct collector *c, const struct jt_attach_rec *r)
{
	char buf[JT_ARGS_LEN + 1], path[JT_EXE_LEN];
	struct proc_link exe;
	ssize_t n;

	/*
	 * Its exec was before the attach: /proc has what the exec record would
	 * have, under the number our pid namespace gives it (none: not ours to see).
	 */
	if (!r->new_process || c->proc_fd < 0 || !r->reader_tgid || c->opts.source.no_args)
		return 0;
	/* As the exec record: the first JT_ARGS_LEN bytes, and whether there were more. */
	n = proc_pid__read_args(c->proc_fd, (int)r->reader_tgid, buf, sizeof(buf));
	/* n <= 0: gone already, or a kernel thread's: its arguments stay unknown. */
	if (n <= 0)
		return 0;
	/* The path an exec record would have carried, cut by its rule. */
	if (proc_pid__read_exe(c->proc_fd, (int)r->reader_tgid, &exe))
		exe.len = 0;
	if (exe.len)
		proc_link__exe(&exe, path, sizeof(path));
	args_table__put(&c->args, r->tgid, r->start_ns, buf,
			(size_t)n > JT_ARGS_LEN ? JT_ARGS_LEN : (size_t)n, n > JT_ARGS_LEN,
			exe.len ? path : NULL, sizeof(path));
	return 0;
}

/* What the source holds of the cgroup an OOM kill's record names, into @buf; NULL: nothing. */
static const struct jt_oom_cgroup *oom_seen(struct collector *c, const struct jt_exit_event *e,
					    struct jt_oom_cgroup *buf)
{
	struct jt_proc_key key = { .tgid = e->pid, .start_ns = e->start_ns };

	if (!(e->flags & JT_F_OOM_KILLED) || !(e->flags & JT_F_OOM_LIMIT) || !c->ops->oom_cgroup ||
	    c->ops->oom_cgroup(c, &key, buf))
		return NULL;
	return buf;
}

/*
 * Is @e a record of a job that ended without it (collector_end.c, job_end())?
 * Its exit is no later than that job's last (within the hair two CPUs'
 * stamps can differ by); a process of a new job of the same name ends after.
 */
static bool late_record(struct collector *c, const struct jt_exit_event *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->late_jobs); i++) {
		struct late_job *l = &c->late_jobs[i];

		if (l->missing && l->id == e->job_id && e->exit_ns <= l->last_exit_ns + 100000) {
			l->missing--;
			c->stats.records_late++;
			return true;
		}
	}
	return false;
}

int collector__on_exit(struct collector *c, const struct jt_exit_event *e)
{
	struct args_entry *own = args_table__take(&c->args, e->pid, e->start_ns);
	struct proc_record r = { .e = e };
	struct cjob *j = NULL;
	struct jt_oom_cgroup seen;
	struct job_oom oom;
	const struct args_entry *parent;

	if (late_record(c, e)) {
		free(own);
		return 0;
	}
	j = collector__job_of_record(c, e->job_id);
	if (!j) {
		c->stats.records_unknown_job++;
		free(own);
		return 0;
	}
	if (job__add_exit(&j->job, e))
		c->stats.add_exit_errors++;
	/*
	 * watch --pid: the root's record is how its status is known. run
	 * learns its command's from waitpid (reap()), which alone says it was
	 * reaped and stops the signals passed on; the record, before or after
	 * the wait, gives only its time: the kernel's, as the tree's end is,
	 * not when we got round to the wait. Boottime in the record, it
	 * becomes CLOCK_MONOTONIC as the job's other times are.
	 */
	if (e->is_root && j == c->root_job) {
		j->job.root_end_ns = collector__mono_of_boottime(e->exit_ns);
	} else if (e->is_root && !j->job.root_exited) {
		j->job.root_exited = true;
		j->job.root_status = (int)e->exit_status;
		j->job.root_end_ns = collector__mono_of_boottime(e->exit_ns);
	}
	if (own) {
		r.args = own->data;
		r.args_len = own->len;
		r.args_truncated = own->truncated;
		r.exe = own->exe_len ? args_entry__exe(own) : NULL;
	} else {
		/*
		 * It never exec'd: it ran its nearest exec'd ancestor's program,
		 * with its arguments; the kernel says which (a subshell of a
		 * subshell's is not its parent). Else its parent's.
		 */
		parent = NULL;
		if (e->args_src_pid)
			parent = args_table__find(&c->args, e->args_src_pid, e->args_src_start_ns);
		if (!parent)
			parent = args_table__find(&c->args, e->ppid, e->parent_start_ns);
		if (parent) {
			r.args = parent->data;
			r.args_len = parent->len;
			r.args_truncated = parent->truncated;
			r.args_inherited = true;
			r.exe = parent->exe_len ? args_entry__exe(parent) : NULL;
		}
	}
	if (oom_resolver__attribute(&c->oom, e, oom_seen(c, e, &seen), &oom))
		r.oom = &oom;
	job__note_failure(&j->job, e, r.args, r.args_len, r.oom);
	if (c->opts.events) {
		r.job = j;
		r.cgroup = cgroup_names__get(&c->cgnames, e->cgroup_id);
		r.cgroup_hierarchy = cgroup_names__hierarchy(&c->cgnames);
		r.start_epoch_ns = e->start_ns + c->stats.boot_to_epoch_ns;
		r.end_epoch_ns = e->exit_ns + c->stats.boot_to_epoch_ns;
		r.start_epoch_s = (double)r.start_epoch_ns / 1e9;
		r.end_epoch_s = (double)r.end_epoch_ns / 1e9;
		for (size_t i = 0; i < c->nsinks; i++) {
			struct sink *s = c->sinks[i];

			if (s->ops->process && !s->err)
				s->ops->process(s, &r);
		}
	}
	free(own);
	return 0;
}
