/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a tracked task's state (struct jt_task) lives: task storage, or,
 * for a process forked into its job that has had one thread so far, its
 * procs entry (jt_proc.self): one map insert per process instead of two
 * (issue 18). state_of() finds it.
 * Part of bpf/lineage.bpf.c, which includes it after its maps and helpers:
 * one object, one skeleton, the maps shared; apart only so that each file
 * holds one capability a reader can find by its name.
 */
#ifndef JOBTRACE_LINEAGE_STATE_BPF_H
#define JOBTRACE_LINEAGE_STATE_BPF_H

/*
 * @t_arg's task storage in `tasks`; NULL: none. Most tasks a tracked
 * process's fork, exit and close look at have no task storage of any map
 * (a process's leader keeps its state in its procs entry; the host's
 * untracked tasks have none): the task's own pointer to its storages,
 * one load through @t (its untrusted alias), says so without the helper
 * call and its recursion guard, 15-20 ns of each of those three lookups
 * (issue 18). The kernel sets the pointer only once the storage in it
 * can be found, and the helper reads the same pointer first: where it is
 * NULL, the helper's answer is NULL too.
 */
static __always_inline struct jt_task *storage_of(struct task_struct *t_arg,
						  struct task_struct *t)
{
	if (bpf_core_field_exists(t->bpf_storage) && !t->bpf_storage)
		return NULL;
	return bpf_task_storage_get(&tasks, t_arg, NULL, 0);
}

/*
 * @t's state (jt_task): its task storage, or, for the leader of a process
 * forked into a job that has had one thread so far, the `self` of its procs
 * entry, which *@procp then points at. A process forked into a job costs
 * one map insert that way, not two: creating task storage was a third of a
 * tracked process's BPF time (issue 18). The leader's state moves to task
 * storage when the process starts a second thread (on_fork()), so that an
 * exec by another thread, which makes that thread the leader, finds every
 * thread's state where it was. An untracked leader without storage reads
 * its tgid's slot of the table at its fork, exec, exit and last switch.
 * @t_arg: the task as the program got it, which task storage needs.
 */
static __always_inline struct jt_task *state_of(struct task_struct *t_arg, struct jt_proc **procp)
{
	/* Its fields read through the untrusted alias: no trust check to verify (core_fixes). */
	struct task_struct *t = task_ro(t_arg);
	struct jt_task *st = storage_of(t_arg, t);
	struct jt_proc_key key;
	struct jt_proc *proc;

	*procp = NULL;
	if (st || t->pid != t->tgid || !proc_maybe(t->tgid))
		return st;
	key = proc_key_of(t);
	proc = proc_find(&key);
	if (!proc || !proc->has_self)
		return NULL;
	*procp = proc;
	return &proc->self;
}

/*
 * Whether @t (no task storage) is a leader whose state its procs entry
 * holds, in a job: state_of()'s answer as a yes or no, which spares the
 * verifier a pointer of two kinds in a program that only asks.
 */
static __always_inline bool self_tracked(struct task_struct *t)
{
	struct jt_proc *sproc;
	struct jt_task *st = state_of(t, &sproc);

	return st && st->job_id;
}

/*
 * A tracked process's leader starts a second thread: its state leaves the
 * procs entry for task storage (state_of() says why). Where no storage
 * can be made, the state stays where it is: state_of() still finds it
 * while the leader is the leader.
 */
static __always_inline struct jt_task *state_to_storage(struct task_struct *leader_t,
							struct jt_task *st, struct jt_proc *proc)
{
	struct jt_task *dst = bpf_task_storage_get(&tasks, leader_t, NULL,
						   BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!dst)
		return st;
	*dst = *st;
	proc->has_self = 0;
	return dst;
}

/*
 * A new process in job @job_id: its procs entry (with @flags), with its one
 * thread's state in it (state_of()); in task storage where the procs map
 * has no room, as before the entry held it. False: no state anywhere,
 * untracked.
 */
static __always_inline bool fork_process(struct task_struct *child_t, struct task_struct *child,
					 struct task_struct *parent, const struct jt_task *pst,
					 const struct job_ref *ref, __u64 job_id, __u32 flags)
{
	struct jt_job_totals *tot = ref->tot;
	struct jt_proc_key key = proc_key_of(child);
	struct jt_proc proc = {
		.job_id = job_id,
		.job_slot = ref->slot,
		.parent = proc_key_of(parent),
		.threads = 1,
		.flags = flags,
		.has_self = 1,
	};
	struct jt_task *st = &proc.self;
	long err;

	st->job_id = job_id;
	st->cpu_base_ns = child->se.sum_exec_runtime;
	io_base_set(st, child);
	args_src_inherit(st, pst, parent, false);
	JT_PROF(JT_PROF_FORK_PREP);
	err = proc_add(&key, &proc);
	if (!err)
		return true;
	if (err != -EEXIST) {
		COUNT(procs_map_full);
		tot_add(tot, procs_map_full, 1);
	}
	st = bpf_task_storage_get(&tasks, child_t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st)
		return false;
	*st = proc.self;
	return true;
}

#endif
