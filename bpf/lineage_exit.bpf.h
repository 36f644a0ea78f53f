/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Exit: at sched_process_exit a task is marked exiting and, where its
 * process ends with it, what the process ends as (its wait status, pid,
 * cgroup, ids and peak RSS) is kept in its state; at the close of its last
 * thread (close_thread(), at the last context switch) the job's exit counts
 * are taken and the exit record is sent.
 * Part of bpf/lineage.bpf.c, which includes it after its maps and helpers:
 * one object, one skeleton, the maps shared; apart only so that each file
 * holds one capability a reader can find by its name.
 */
#ifndef JOBTRACE_LINEAGE_EXIT_BPF_H
#define JOBTRACE_LINEAGE_EXIT_BPF_H

/* The status wait(2) will report for the process @p ends. */
static __always_inline __u32 wait_status_of(struct task_struct *p)
{
	struct signal_struct *sig = p->signal;

	if (sig->flags & SIGNAL_GROUP_EXIT)
		return sig->group_exit_code;
	return p->group_leader->exit_code;
}

/* @p (read through task_ro()) exits: what its state @st keeps for its close. */
static __always_inline int exit_mark(struct task_struct *p, struct jt_task *st, bool group_dead)
{
	const struct cred *cred;
	struct mm_struct *mm;
	__u64 hiwater, rss;

	st->exiting = 1;
	if (!group_dead)
		return 0;
	st->group_dead = 1;
	st->exit_status = wait_status_of(p);
	/* Before exit_notify(): a self-reaped leader's pid is detached after it. */
	st->ns_pid = ns_pid_of(p);
	/* Where it ended: a container's processes may have moved since their fork. */
	st->cgroup_id = record_cgroup_id(p);
	/* Whose: its real ids now (a setuid program's are its caller's). */
	cred = p->cred;
	st->uid = cred->uid.val;
	st->gid = cred->gid.val;
	/*
	 * Since the tracepoint moved before exit_mm() (6.16), the mm is still
	 * here: its own high-water mark is the honest peak. signal->maxrss is
	 * the fallback; it also holds the image the process had before exec.
	 */
	mm = p->mm;
	if (mm) {
		hiwater = mm->hiwater_rss;
		rss = mm_rss_pages_direct(mm);
		st->peak_rss_pages = hiwater > rss ? hiwater : rss;
		st->rss_source = JT_RSS_MM_HIWATER;
	}
	return 0;
}

static __always_inline int on_exit(struct task_struct *p_t, bool group_dead)
{
	struct task_struct *p = task_ro(p_t);
	struct jt_proc *sproc;
	struct jt_task *st = state_of(p_t, &sproc);

	return st ? exit_mark(p, st, group_dead) : 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	bool group_dead;

	/*
	 * Kernels with the group_dead argument say which thread ended the
	 * process; older ones leave signal->live, which is 0 for every thread
	 * exiting after the group died.
	 */
	if (targ_exit_has_group_dead)
		group_dead = (bool)ctx[1];
	else
		group_dead = task_ro(p)->signal->live.counter == 0;
	return on_exit(p, group_dead);
}

static __always_inline void send_exit(struct task_struct *p, const struct jt_task *st,
				      const struct job_ref *ref, struct jt_proc *proc,
				      const struct jt_proc_key *key)
{
	struct jt_job_totals *tot = ref->tot;
	struct jt_job *job = ref->job;
	struct jt_exit_event *e;
	__u64 peak_bytes, maxrss, system_ns = 0, cpu_ns = 0;
	__u8 rss_source;
	__u32 status = st->exit_status;
	bool is_root = st->flags & JT_F_ROOT;
	__s64 left;

	__u64 now = bpf_ktime_get_boot_ns();

	JT_PROF(JT_PROF_EXIT_CLOCK);
	if (status & 0x7f)
		tot_add(tot, exit_signal, 1);
	else if (status & 0xff00)
		tot_add(tot, exit_error, 1);
	else
		tot_add(tot, exit_ok, 1);
	tot_add(tot, procs_exited, 1);
	/* Exits on two CPUs at once: either time is the job's last within a hair. */
	job->last_exit_ns = now;

	/*
	 * Read before the branch, and kept there: clang would otherwise merge
	 * the two loads into one instruction, on a map value or a BTF pointer,
	 * which the verifier refuses.
	 */
	maxrss = p->signal->maxrss;
	barrier_var(maxrss);
	if (st->rss_source == JT_RSS_MM_HIWATER) {
		peak_bytes = st->peak_rss_pages * targ_page_size;
		rss_source = JT_RSS_MM_HIWATER;
	} else {
		peak_bytes = maxrss * targ_page_size;
		rss_source = JT_RSS_SIGNAL_MAXRSS;
	}
	if (peak_bytes > tot->peak_rss_bytes) /* this CPU's: see tot_add() */
		tot->peak_rss_bytes = peak_bytes;
	/* The split per process, as the parent's getrusage() adds it up. */
	if (proc) {
		cpu_ns = proc->acct.cpu_ns;
		system_ns = jt_cputime_system(cpu_ns, proc->acct.utime_ns, proc->acct.stime_ns);
		tot_add(tot, system_ns, system_ns);
		tot_add(tot, user_ns, cpu_ns - system_ns);
	}

	JT_PROF(JT_PROF_EXIT_TOTALS);
	e = ring_reserve(tot, RING_EXIT, sizeof(*e));
	JT_PROF(JT_PROF_EXIT_RESERVE);
	if (e) {
		__builtin_memset(e, 0, sizeof(*e));
		e->version = JT_ABI_VERSION;
		e->type = JT_REC_EXIT;
		e->size = sizeof(*e);
		e->job_id = st->job_id;
		e->pid = key->tgid;
		e->start_ns = key->start_ns;
		e->exit_ns = now;
		e->exit_status = status;
		e->peak_rss_bytes = peak_bytes;
		e->peak_rss_source = rss_source;
		e->is_root = is_root;
		e->flags = st->flags & ~JT_F_ROOT;
		e->ns_pid = st->ns_pid;
		e->cgroup_id = st->cgroup_id;
		e->uid = st->uid;
		e->gid = st->gid;
		e->args_src_pid = st->args_src_tgid;
		e->pad2 = 0;
		e->args_src_start_ns = st->args_src_start_ns;
		if (proc && (proc->flags & JT_F_OOM_KILLED)) {
			struct jt_oom_mark *mark = bpf_map_lookup_elem(&oom_victims, key);

			if (mark) {
				e->oom_memcg_id = mark->memcg_id;
				e->oom_rss_bytes = mark->rss_pages * targ_page_size;
				e->flags |= mark->flags & JT_F_OOM_LIMIT;
			}
		}
		if (proc) {
			e->ppid = proc->parent.tgid;
			e->parent_start_ns = proc->parent.start_ns;
			e->threads = proc->threads;
			e->acct = proc->acct;
			e->flags |= proc->flags;
			e->system_ns = system_ns;
			e->user_ns = cpu_ns - system_ns;
		} else {
			e->ppid = p->real_parent->tgid;
			e->threads = 1;
		}
		JT_PROF(JT_PROF_EXIT_FILL);
		/* The name it ends with: exec and prctl(PR_SET_NAME) both change it. */
		comm_copy(e->comm, p->group_leader);
		JT_PROF(JT_PROF_EXIT_COMM);
		/*
		 * Wake the reader when it may be waiting for this record: run for
		 * its root's, and for a job's last. Host mode's many one-process
		 * jobs end all the time; its reader looks on its timer.
		 */
		ring_submit(e, tot, RING_EXIT,
			    is_root || (targ_group == JT_GROUP_LINEAGE && job->alive <= 1));
		JT_PROF(JT_PROF_EXIT_SUBMIT);
	}

	/*
	 * After the record is in the ring: a reader that sees 0 alive has it
	 * all. An entry the repair sweep took first (repair_proc) was counted
	 * gone there: the one that deletes it counts it, once.
	 */
	if (proc && (proc->flags & JT_F_OOM_KILLED))
		bpf_map_delete_elem(&oom_victims, key);
	if (proc && proc_delete(key))
		return;
	JT_PROF(JT_PROF_EXIT_DELETE);
	left = __sync_fetch_and_add(&job->alive, -1) - 1;
	if (is_root) {
		job->root_tgid = key->tgid;
		job->outlived_root = left;
	}
	JT_PROF(JT_PROF_EXIT_ALIVE);
}

#endif
