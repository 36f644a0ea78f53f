// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel side's jobs, as user space reads and writes them: each in a
 * slot of `jobs` and `job_totals`, found by id in `job_ids`
 * (bpf/lineage.bpf.c says why slots); a job made, removed (its slot
 * zeroed and queued again), and its totals read and summed over the CPUs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "jobtrace/lineage.h"
#include "jobtrace/util.h"
#include "lineage.skel.h"
#include "lineage_priv.h"

int lineage_job__slot(struct lineage *lt, __u64 job_id, __u32 *slot)
{
	if (bpf_map_lookup_elem(bpf_map__fd(lt->skel->maps.job_ids), &job_id, slot))
		return -errno;
	return 0;
}

int lineage_job__read(struct lineage *lt, __u64 job_id, __u32 *slot, struct jt_job *job)
{
	struct jt_job_slot js;
	int err;

	err = lineage_job__slot(lt, job_id, slot);
	if (err)
		return err;
	if (bpf_map_lookup_elem(bpf_map__fd(lt->skel->maps.jobs), slot, &js))
		return -errno;
	/* Removed and its slot taken again since the id was read. */
	if (js.job_id != job_id)
		return -ENOENT;
	*job = js.job;
	return 0;
}

int lineage_job__write(struct lineage *lt, __u64 job_id, __u32 slot, const struct jt_job *job)
{
	struct jt_job_slot js = { .job_id = job_id, .job = *job };

	if (bpf_map_update_elem(bpf_map__fd(lt->skel->maps.jobs), &slot, &js, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * A slot for a new job, as the kernel takes one (job_slot_take() in
 * bpf/lineage.bpf.c): the next never used, else the oldest freed.
 */
static int job_slot_take(struct lineage *lt, __u32 *slot)
{
	__u32 *next = &lt->skel->bss->job_slots_next;

	if (__atomic_load_n(next, __ATOMIC_RELAXED) < lt->max_jobs) {
		*slot = __atomic_fetch_add(next, 1, __ATOMIC_SEQ_CST);
		if (*slot < lt->max_jobs)
			return 0;
	}
	if (bpf_map_lookup_and_delete_elem(bpf_map__fd(lt->skel->maps.job_slots_free), NULL,
					   slot))
		return errno == ENOENT ? -E2BIG : -errno;
	return 0;
}

/* Writes @slot's per-CPU totals: zero but for @started, on the first CPU. */
static int job_totals_write(struct lineage *lt, __u32 slot, __u64 started)
{
	struct jt_job_totals *percpu;
	int err = 0;

	percpu = calloc((size_t)lt->ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	percpu[0].procs_started = started;
	if (bpf_map_update_elem(bpf_map__fd(lt->skel->maps.job_totals), &slot, percpu, BPF_ANY))
		err = -errno;
	free(percpu);
	return err;
}

/*
 * @slot's job is gone: its state and totals zeroed, it goes to the back of
 * the free slots. Where they cannot be zeroed it is not freed: a job made
 * in it would start with another's totals.
 */
static int job_slot_free(struct lineage *lt, __u32 slot)
{
	struct jt_job_slot none = { 0 };
	int err;

	if (bpf_map_update_elem(bpf_map__fd(lt->skel->maps.jobs), &slot, &none, BPF_ANY))
		return -errno;
	err = job_totals_write(lt, slot, 0);
	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(lt->skel->maps.job_slots_free), NULL, &slot, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * Writes a job's shared state, and its per-CPU totals zeroed but for
 * @started, in its slot (a new one for a new id); @slot: which, or NULL.
 */
static int job_write(struct lineage *lt, __u64 job_id, const struct jt_job *job, __u64 started,
		     __u32 *slot_out)
{
	struct jt_job made = *job;
	bool fresh = false;
	__u32 slot;
	int err;

	/* Registered now: the clock the kernel stamps its own jobs and exits with. */
	made.created_ns = util__boottime_ns();
	if (lineage_job__slot(lt, job_id, &slot)) {
		err = job_slot_take(lt, &slot);
		if (err)
			return err;
		fresh = true;
	}
	/* Totals and state first: the BPF side finds a job by its id, then its slot. */
	err = job_totals_write(lt, slot, started);
	if (!err)
		err = lineage_job__write(lt, job_id, slot, &made);
	if (!err && fresh &&
	    bpf_map_update_elem(bpf_map__fd(lt->skel->maps.job_ids), &job_id, &slot, BPF_NOEXIST))
		err = -errno;
	if (err && fresh)
		job_slot_free(lt, slot);
	if (!err && slot_out)
		*slot_out = slot;
	return err;
}

int lineage__add_job(struct lineage *lt, __u64 job_id, pid_t root)
{
	/*
	 * @root is our number for it, which inside a pid namespace is not the
	 * host's tgid the programs see: the task is marked instead, and the
	 * kernel fills root_tgid in at its exec or exit.
	 */
	struct jt_job job = {
		.cgroup_hierarchy = -1,
		.alive = 1,
		.max_alive = 1,
		.outlived_root = -1,
	};
	/* Count all the root's CPU, as getrusage() of its parent will. */
	struct jt_task task = { .job_id = job_id, .flags = JT_F_ROOT };
	int pidfd, err;

	if (job_id == 0)
		return -EINVAL;
	err = job_write(lt, job_id, &job, 1, NULL);
	if (err)
		return err;
	pidfd = (int)syscall(SYS_pidfd_open, root, 0);
	if (pidfd < 0) {
		err = -errno;
		goto err_job;
	}
	/* Task storage is keyed by pidfd from user space. */
	err = bpf_map_update_elem(bpf_map__fd(lt->skel->maps.tasks), &pidfd, &task, BPF_NOEXIST);
	if (err)
		err = -errno;
	close(pidfd);
	if (err)
		goto err_job;
	return 0;

err_job:
	lineage__remove_job(lt, job_id);
	return err;
}

int lineage__add_empty_job(struct lineage *lt, __u64 job_id, __s32 cgroup_hierarchy)
{
	struct jt_job job = { .cgroup_hierarchy = cgroup_hierarchy, .outlived_root = -1 };

	if (job_id == 0)
		return -EINVAL;
	return job_write(lt, job_id, &job, 0, NULL);
}

int lineage__add_attach_root(struct lineage *lt, __u64 job_id, pid_t pid, __u64 start_ns,
			     __u64 slack_ns)
{
	struct jt_attach_root r = { .job_id = job_id, .start_ns = start_ns, .slack_ns = slack_ns };
	__u32 tgid = (__u32)pid;

	/*
	 * The pid is the job's root, as run's command is: the attach marks its
	 * threads JT_F_ROOT, so its exit record says is_root and the kernel
	 * notes what outlived it. @pid is numbered in our pid namespace; the
	 * iterator looks it up by that number and fills in the host's tgid.
	 */
	if (bpf_map_update_elem(bpf_map__fd(lt->skel->maps.attach_roots), &tgid, &r, BPF_ANY))
		return -errno;
	return 0;
}

int lineage__remove_job(struct lineage *lt, __u64 job_id)
{
	__u32 slot;
	int err;

	err = lineage_job__slot(lt, job_id, &slot);
	if (err)
		return err == -ENOENT ? 0 : err;
	/* The id first: the BPF side stops finding the job at once. */
	if (bpf_map_delete_elem(bpf_map__fd(lt->skel->maps.job_ids), &job_id))
		return errno == ENOENT ? 0 : -errno;
	return job_slot_free(lt, slot);
}

int lineage__for_each_job(struct lineage *lt, int (*fn)(void *ctx, __u64 job_id), void *ctx)
{
	int fd = bpf_map__fd(lt->skel->maps.job_ids);
	__u64 key, next;
	void *prev = NULL;
	int err;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		err = fn(ctx, key);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

int lineage__job_stats(struct lineage *lt, __u64 job_id, struct jt_job_stats *out)
{
	struct jt_job_totals *percpu;
	struct jt_job job;
	__u32 slot;
	int err;

	err = lineage_job__read(lt, job_id, &slot, &job);
	if (err)
		return err;
	percpu = calloc((size_t)lt->ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(lt->skel->maps.job_totals), &slot, percpu)) {
		err = -errno;
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->root_tgid = job.root_tgid;
	out->cgroup_hierarchy = job.cgroup_hierarchy;
	out->alive = job.alive;
	out->max_alive = job.max_alive;
	out->outlived_root = job.outlived_root;
	out->created_ns = job.created_ns;
	out->last_exit_ns = job.last_exit_ns;
	for (int i = 0; i < lt->ncpus; i++) {
		const struct jt_job_totals *t = &percpu[i];

		out->procs_started += t->procs_started;
		out->procs_exited += t->procs_exited;
		out->threads_started += t->threads_started;
		out->execs += t->execs;
		out->exit_ok += t->exit_ok;
		out->exit_error += t->exit_error;
		out->exit_signal += t->exit_signal;
		out->cpu_ns += t->cpu_ns;
		out->user_ns += t->user_ns;
		out->system_ns += t->system_ns;
		jt_acct__add(&out->exited, &t->exited);
		if (t->peak_rss_bytes > out->peak_rss_bytes)
			out->peak_rss_bytes = t->peak_rss_bytes;
		out->events_sent += t->events_sent;
		out->events_lost += t->events_lost;
		out->untracked += t->untracked;
		out->procs_map_full += t->procs_map_full;
		out->existing += t->existing;
		out->moved_in += t->moved_in;
		out->moved_out += t->moved_out;
		out->jobs_map_full += t->jobs_map_full;
		out->fork_records_sent += t->fork_records_sent;
		out->fork_records_lost += t->fork_records_lost;
		out->exec_records_lost += t->exec_records_lost;
		out->oom_kills += t->oom_kills;
		out->outside_ns += t->outside_ns;
	}
out:
	free(percpu);
	return err;
}
