/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Exec: the process's entry takes the exec'd mark, its threads their own
 * arguments from here on, and with --events an exec record carries argv and
 * the file now running.
 * Part of bpf/lineage.bpf.c, which includes it after its maps and helpers:
 * one object, one skeleton, the maps shared; apart only so that each file
 * holds one capability a reader can find by its name.
 */
#ifndef JOBTRACE_LINEAGE_EXEC_BPF_H
#define JOBTRACE_LINEAGE_EXEC_BPF_H

/* Where an exec record is built before it is copied into the ring (ring_output()). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jt_exec_event);
} exec_scratch SEC(".maps");

/* argv of the new image, bounded, for the --events records. */
static __always_inline void send_exec_args(struct task_struct *p, struct linux_binprm *bprm,
					   __u64 job_id, struct jt_job_totals *tot)
{
	struct jt_exec_event *e;
	unsigned long start, end;
	__u32 zero = 0;
	__u64 len;

	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return;
	e->version = JT_ABI_VERSION;
	e->type = JT_REC_EXEC;
	e->size = sizeof(*e);
	e->job_id = job_id;
	e->pid = p->tgid;
	e->start_ns = p->group_leader->start_boottime;
	e->pad = 0;
	start = p->mm->arg_start;
	end = p->mm->arg_end;
	len = end > start ? end - start : 0;
	e->truncated = len > JT_ARGS_LEN;
	if (len > JT_ARGS_LEN)
		len = JT_ARGS_LEN;
	barrier_var(len);
	/* exec just wrote these pages: they are resident, a plain read finds them. */
	if (len <= JT_ARGS_LEN && bpf_probe_read_user(e->args, len, (void *)start))
		len = 0;
	e->args_len = (__u16)len;
	/*
	 * The file now running, resolved: bprm->file is the interpreter's
	 * after binfmt_script or binfmt_misc, the file mm->exe_file and
	 * /proc/PID/exe name.
	 */
	path_of_file(bprm->file, e->exe);
	/* Not the job's events (its exit records, one per process): counted apart. */
	ring_output(e, sizeof(*e), tot, RING_EXEC, false);
}

static __always_inline int on_exec(struct task_struct *p_t, struct linux_binprm *bprm_t)
{
	struct task_struct *p = task_ro(p_t);
	struct jt_proc *proc, *sproc;
	struct jt_proc_key key;
	struct job_ref ref;
	struct jt_task *st;
	__u64 job_id;

	st = state_of(p_t, &sproc);
	if (!st || !st->job_id)
		return 0;
	job_id = st->job_id;
	if (!job_lookup_at(job_id, sproc ? sproc->job_slot : JT_NO_JOB_SLOT, &ref))
		return 0;
	tot_add(ref.tot, execs, 1);
	/* Its own arguments from now on. */
	st->args_src_tgid = 0;
	st->args_src_start_ns = 0;
	/* run's root, registered by a pid user space may number in its own namespace. */
	if (st->flags & JT_F_ROOT)
		ref.job->root_tgid = p->tgid;
	key = proc_key_of(p);
	proc = sproc ? sproc : proc_find(&key);
	if (proc)
		proc->flags |= JT_F_EXECED;
	else /* A job's root was registered from user space: its entry starts here. */
		proc_insert(p, p->real_parent, &ref, job_id, JT_F_EXECED);
	/*
	 * Last, with nothing but numbers and the job's totals left to carry:
	 * the state and the entry are task storage on one way here and the
	 * table on another, and the verifier walked the record (its path walk
	 * above all) once for each.
	 */
	if (targ_capture_args)
		send_exec_args(p, kernel_ro(bprm_t, struct linux_binprm), job_id, ref.tot);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, bprm);
}

#endif
