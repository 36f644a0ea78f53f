// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a front asks the collector to follow, said in the front's words:
 * run's command, watch's and top's --pid and --cgroup, the processes serve
 * --control adopts. The source's ops, the job's report fields and the /proc
 * reads that name a process stay here: a front holds none of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/collector.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

#include "collector_priv.h"

/*
 * How far a start time read from /proc may be from the kernel's: /proc
 * rounds it down to a tick, so two ticks tell a process from a later one
 * with its pid and never miss the one meant.
 */
static __u64 start_slack_ns(void)
{
	return 2 * proc_pid__tick_ns();
}

struct cjob *collector__follow_command(struct collector *c, __u64 id, char *const *argv, int argc,
				       const char *workdir)
{
	struct cjob *j = collector__add_job(c, id, "run", CJOB_END_ROOT);

	if (!j)
		return NULL;
	j->job.argv = argv;
	j->job.argc = argc;
	j->job.mode = "run";
	j->job.workdir_path = workdir;
	/* run's report gives the job's share of the host's memory; watch's never has. */
	j->job.mem_share = true;
	return j;
}

void collector__job_begins(struct collector *c, struct cjob *j)
{
	j->job.start_ns = util__now_ns();
	j->reported_ns = j->job.start_ns;
}

int collector__follow_pid(struct collector *c, __u64 id, pid_t pid, const char *mode)
{
	struct proc_stat_fields st;
	uint64_t start_ns;
	char key[32];
	struct cjob *j;
	int err;

	err = proc_pid__read_stat(c->proc_fd, pid, &st);
	if (err) {
		fprintf(stderr, "jobtrace: no process %d: %s\n", pid,
			err == -ENOENT ? "it does not exist (or has ended)" : strerror(-err));
		return err;
	}
	/*
	 * A zombie whose threads are all gone has ended: its exit passed
	 * before any program of ours could see it, and a job made of it would
	 * report nothing, with no status. A zombie leader whose other threads
	 * run (pthread_exit() in main) is alive: num_threads counts them.
	 */
	if (st.state == 'Z' && st.num_threads <= 1) {
		fprintf(stderr, "jobtrace: no process %d: it has ended (a zombie its parent "
				"has not reaped)\n", pid);
		return -ESRCH;
	}
	start_ns = st.starttime_ticks * proc_pid__tick_ns();
	snprintf(key, sizeof(key), "pid:%d", pid);
	j = collector__add_job(c, id, key, CJOB_END_EMPTY);
	if (!j)
		return -ENOMEM;
	j->job.mode = mode;
	j->job.attached = true;
	j->job.root_pid = pid;
	err = c->ops->add_empty(c, id, -1);
	if (!err)
		err = c->ops->add_attach_root(c, id, pid, start_ns, start_slack_ns());
	if (err)
		fprintf(stderr, "jobtrace: cannot set up the job of pid %d: %s\n", pid,
			strerror(-err));
	return err;
}

int collector__check_attached(struct collector *c, __u64 id, pid_t pid)
{
	struct jt_job_stats js;
	struct proc_stat_fields st;
	int err;

	err = c->ops->job_stats(c, id, &js);
	if (err || js.existing)
		return err;
	/*
	 * The attach found nothing of it. Where it has ended since the check in
	 * collector__follow_pid() (a zombie now, or reaped), its exit passed
	 * before any program of ours could see it: a job made of it would report
	 * nothing, with no status, so it is a pid that has ended, as there. One
	 * still running went to another job of the same command (a --cgroup it
	 * is in; a --pid given twice is refused earlier, as a usage error): not
	 * this check's to refuse.
	 */
	err = proc_pid__read_stat(c->proc_fd, pid, &st);
	if (!err && !(st.state == 'Z' && st.num_threads <= 1))
		return 0;
	fprintf(stderr, "jobtrace: no process %d: it ended while jobtrace attached%s\n", pid,
		!err ? " (a zombie its parent has not reaped)" : "");
	return -ESRCH;
}

int collector__follow_cgroup(struct collector *c, __u64 id, const char *path,
			     const struct cgroup_hier *h, const char *mode)
{
	char key[300], rel[256], name[64];
	struct cjob *j;
	__u64 cgid;
	int err;

	err = cgroupfs__of_path(path, (struct cgroup_hier *)h, rel, sizeof(rel), &cgid);
	if (err)
		return err;
	snprintf(key, sizeof(key), "cgroup:%s", rel);
	j = collector__add_job(c, id, key, CJOB_END_CGROUP_GONE);
	if (!j)
		return -ENOMEM;
	j->job.cgroup = j->job.key + 7; /* rel */
	j->job.mode = mode;
	j->job.attached = true;
	cgroupfs__name(h, name, sizeof(name));
	j->job.hierarchy = strdup(name);
	j->hierarchy_owned = true;
	j->cgroup_dirfd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	err = c->ops->add_empty(c, id, h->hierarchy_id);
	if (!err)
		err = c->ops->add_watch_cgroup(c, id, cgid, h->hierarchy_id);
	if (err)
		fprintf(stderr, "jobtrace: cannot set up the job of cgroup %s: %s\n", path,
			strerror(-err));
	return err;
}

bool collector__can_adopt(const struct collector *c, bool tree)
{
	return c->ops->adopt && (!tree || c->ops->adopt_tree);
}

/* A new job @id named @key for adopted processes, @root its first. */
static int open_adopted(struct collector *c, __u64 id, const char *key, pid_t root, bool attached,
			const struct job_sched_alloc *sched)
{
	struct cjob *j = collector__add_job(c, id, key, CJOB_END_EMPTY);

	if (!j)
		return -ENOMEM;
	if (sched && job__set_sched(&j->job, sched))
		return -ENOMEM;
	j->job.mode = "control";
	j->job.via = "serve";
	j->adopted = true;
	j->reported_tasks_known = false;
	j->job.root_pid = root;
	j->job.attached = attached;
	/* -1: its membership follows no cgroup; the task keeps its tree. */
	return c->ops->add_empty(c, id, -1);
}

int collector__adopt(struct collector *c, __u64 id, struct collector_adopt *a)
{
	struct jt_job_stats js;
	int err;

	a->existing = 0;
	a->left_out = 0;
	a->failed = COLLECTOR_ADOPT_PROCESS;
	if (!collector__can_adopt(c, a->tree))
		return -EOPNOTSUPP;
	if (a->new_key) {
		err = open_adopted(c, id, a->new_key, a->pid, a->tree, a->sched);
		if (err) {
			a->failed = collector__find_job(c, id) ? COLLECTOR_ADOPT_NO_SOURCE_JOB :
								 COLLECTOR_ADOPT_NO_JOB;
			return err;
		}
	}
	if (!a->tree)
		err = c->ops->adopt(c, id, a->pid, a->start_ns, start_slack_ns(), a->flags);
	else
		err = c->ops->adopt_tree(c, id, a->pid, a->start_ns, start_slack_ns(), a->flags,
					 a->uid, &a->left_out);
	if (!err && a->tree && !c->ops->job_stats(c, id, &js))
		a->existing = js.existing;
	/*
	 * A new job's allocation from its first process, alive as it is
	 * adopted (run's child waits for serve's answer): at the first sample
	 * a short command may be exiting, and then has no cgroups to read.
	 */
	if (!err && a->new_key)
		collector__read_alloc(collector__find_job(c, id), a->pid);
	return err;
}

int collector__job_stats(struct collector *c, __u64 id, struct jt_job_stats *out)
{
	return c->ops->job_stats(c, id, out);
}
