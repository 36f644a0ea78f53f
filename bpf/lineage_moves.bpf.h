/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Moves between jobs: a cgroup move into or out of a cgroup a job follows
 * (cgroup_attach_task), and in host mode grouped by session or by user a
 * setsid(2), a setuid(2) (and setreuid, setresuid): the process leaves its
 * job for the new one, what it ran so far staying with the old.
 * Part of bpf/lineage.bpf.c, which includes it after its maps and helpers:
 * one object, one skeleton, the maps shared; apart only so that each file
 * holds one capability a reader can find by its name.
 */
#ifndef JOBTRACE_LINEAGE_MOVES_BPF_H
#define JOBTRACE_LINEAGE_MOVES_BPF_H

/*
 * Moves @p, whole process or one thread, from its job to @to (0: none). The
 * CPU it used so far stays with the job it used it in, as the cgroups' own
 * cpu.stat keeps it; the process counts as moved out of one and into the
 * other, not as exited and started.
 */
static __always_inline void move_task(struct task_struct *p, struct jt_task *st, __u64 to)
{
	__u64 runtime = p->se.sum_exec_runtime;
	bool leader = p->pid == p->tgid;
	struct jt_proc_key key = proc_key_of(p);
	struct job_ref from, dst;
	struct jt_proc *proc;

	if (st && st->job_id == to)
		return;
	/* A job that cannot be found or made: the task leaves its job, untracked. */
	if (to && (targ_group == JT_GROUP_LINEAGE ? !job_lookup(to, &dst) :
						    !job_get_or_create(to, &dst))) {
		COUNT(untracked);
		to = 0;
	}
	if (st && st->job_id && job_lookup(st->job_id, &from)) {
		struct jt_acct io = {};

		/* What it did in the job it leaves stays there, its I/O as its CPU. */
		__sync_fetch_and_add(&from.tot->cpu_ns, runtime - st->cpu_base_ns);
		io_since_base(&io, p, st);
		acct_add_io(&from.tot->exited, &io);
		if (leader) {
			__sync_fetch_and_add(&from.tot->moved_out, 1);
			__sync_fetch_and_add(&from.job->alive, -1);
		}
	}
	if (!to) {
		if (st)
			st->job_id = 0;
		if (leader)
			proc_delete(&key);
		return;
	}
	if (!st) {
		st = bpf_task_storage_get(&tasks, p, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!st) {
			__sync_fetch_and_add(&dst.tot->untracked, 1);
			return;
		}
	}
	st->job_id = to;
	st->cpu_base_ns = runtime;
	io_base_set(st, p);
	st->flags |= JT_F_MOVED;
	if (!leader)
		return;
	__sync_fetch_and_add(&dst.tot->moved_in, 1);
	if (outside_reader_ns(p))
		__sync_fetch_and_add(&dst.tot->outside_ns, 1);
	proc_count_new(&dst);
	proc = proc_find(&key);
	if (proc) {
		proc->job_id = to;
		proc->job_slot = dst.slot;
		proc->flags |= JT_F_MOVED;
	} else {
		proc_insert(p, p->real_parent, &dst, to, JT_F_MOVED);
	}
}

static __always_inline int on_cgroup_attach(struct cgroup *dst, struct task_struct *p)
{
	__s32 hierarchy = BPF_CORE_READ(dst, root, hierarchy_id);
	struct jt_proc *sproc;
	struct job_ref cur;
	struct jt_task *st;
	__u64 to;

	if (targ_group == JT_GROUP_CGROUP) {
		if (hierarchy != targ_hierarchy_id)
			return 0;
		to = (JT_JOB_CGROUP << JT_JOB_KIND_SHIFT) | cgroup_id_of(dst);
	} else if (targ_follow_cgroups) {
		to = watched_cgroup_job(dst);
	} else {
		return 0;
	}
	st = state_of(p, &sproc);
	if (st && st->exiting)
		return 0;
	if (st && st->job_id) {
		/*
		 * Only a job whose membership follows this hierarchy's cgroups
		 * gains or loses a task here: a --pid job keeps its processes
		 * wherever they go, and a move in another hierarchy changes
		 * nothing.
		 */
		if (job_find(st->job_id, JT_NO_JOB_SLOT, &cur) &&
		    cur.job->cgroup_hierarchy != hierarchy)
			return 0;
	} else if (!to) {
		return 0;
	}
	move_task(p, st, to);
	return 0;
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(handle_cgroup_attach, struct cgroup *dst, const char *path, struct task_struct *p)
{
	return on_cgroup_attach(dst, p);
}


/*
 * @p now shares another session or uid: it leaves its job for @to's, as by
 * a cgroup move, what it ran before left with the old job. A task host mode
 * did not track joins @to, counted moved in.
 */
static __always_inline void move_to_share(struct task_struct *p, __u64 to)
{
	struct jt_proc *sproc;
	struct jt_task *st = state_of(p, &sproc);

	if (st && st->exiting)
		return;
	/* An adopted job keeps its processes in any session, of any uid, as at fork. */
	if (st && JT_JOB_KIND(st->job_id) == JT_JOB_ADOPTED && job_exists(st->job_id))
		return;
	move_task(p, st, to);
}

/*
 * Host mode by session: a process that starts a session (setsid(2), which
 * returns the new session's id) moves to the new session's job. Only the
 * calling thread moves; the process's other threads, if any, end in the
 * job they started in (setsid's callers are forked children, one thread),
 * and a thread other than the leader moves without its process's record.
 */
static __always_inline int on_setsid(struct task_struct *p, long ret)
{
	if (targ_group == JT_GROUP_SESSION && ret > 0)
		move_to_share(p, session_job_id(p));
	return 0;
}

/*
 * Every setsid(2) and nothing else, with the new session's id or an error.
 * One of the two is loaded, only to group by session (user/bpf/lineage.c):
 * fexit on the function every setsid goes through, free for other
 * syscalls, where the kernel lets a trampoline attach there; else the
 * syscall's exit tracepoint, which makes every syscall of the host take
 * the traced path (~55 ns more on a getppid() here).
 */
SEC("fexit/ksys_setsid")
int BPF_PROG(handle_setsid_fexit, int ret)
{
	return on_setsid(bpf_get_current_task_btf(), ret);
}

SEC("tracepoint/syscalls/sys_exit_setsid")
int handle_setsid(struct trace_event_raw_sys_exit *ctx)
{
	return on_setsid(bpf_get_current_task_btf(), ctx->ret);
}

/*
 * Host mode by user: the real uid changes only by setuid(2), setreuid(2)
 * and setresuid(2), each for the calling thread alone (glibc has every
 * thread make the call), which moves to its new user's job as by a cgroup
 * move; a call that changes no real uid moves nothing (move_task()).
 * Loaded only to group by user.
 */
static __always_inline int on_setuid(struct task_struct *p, long ret)
{
	if (targ_group == JT_GROUP_USER && ret == 0)
		move_to_share(p, user_job_id(p));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_setuid")
int handle_setuid(struct trace_event_raw_sys_exit *ctx)
{
	return on_setuid(bpf_get_current_task_btf(), ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_setreuid")
int handle_setreuid(struct trace_event_raw_sys_exit *ctx)
{
	return on_setuid(bpf_get_current_task_btf(), ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_setresuid")
int handle_setresuid(struct trace_event_raw_sys_exit *ctx)
{
	return on_setuid(bpf_get_current_task_btf(), ctx->ret);
}

#endif
