/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * OOM kills: oom/mark_victim marks the process the OOM killer chose, with
 * its memory cgroup and its RSS then, for its exit record (send_exit takes
 * the mark from `oom_victims`); its job counts the kill at once.
 * Part of bpf/lineage.bpf.c, which includes it after its maps and helpers:
 * one object, one skeleton, the maps shared; apart only so that each file
 * holds one capability a reader can find by its name.
 */
#ifndef JOBTRACE_LINEAGE_OOM_BPF_H
#define JOBTRACE_LINEAGE_OOM_BPF_H

/* The memory cgroup @t is charged to: its kernfs id; 0 without the memory controller. */
static __always_inline __u64 memcg_id_of(struct task_struct *t)
{
	struct cgroup *cgrp;
	int id;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return 0;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return 0;
	cgrp = BPF_CORE_READ(t, cgroups, subsys[id], cgroup);
	return cgrp ? cgroup_id_of(cgrp) : 0;
}

/*
 * The OOM killer chose @p (__oom_kill_process(), before its SIGKILL): its
 * job counts the kill at once (a lost exit record loses no count), and its
 * process is marked, with its memory cgroup and its RSS now, for its exit
 * record. A kill -9 never comes here: the two are told apart.
 */
static __always_inline int on_oom_victim(struct task_struct *p_t)
{
	/* Fields through the read-only alias, as fork and exit (core_fixes.bpf.h). */
	struct task_struct *p = task_ro(p_t);
	struct jt_proc *sproc;
	struct jt_task *st = state_of(p_t, &sproc);
	struct jt_proc_key key = proc_key_of(p);
	struct jt_oom_mark mark = {};
	struct jt_proc *proc;
	struct mm_struct *mm;
	struct job_ref ref;

	if (!st || !st->job_id || !job_lookup(st->job_id, &ref))
		return 0;
	__sync_fetch_and_add(&ref.tot->oom_kills, 1);
	proc = proc_find(&key);
	if (!proc)
		return 0;
	__sync_fetch_and_or(&proc->flags, JT_F_OOM_KILLED);
	mm = BPF_CORE_READ(p, mm);
	if (mm)
		mark.rss_pages = mm_rss_pages(mm);
	mark.memcg_id = memcg_id_of(p);
	bpf_map_update_elem(&oom_victims, &key, &mark, BPF_ANY);
	return 0;
}

/* Since 6.x the tracepoint passes the task (loaded only where BTF says so). */
SEC("tp_btf/mark_victim")
int BPF_PROG(handle_oom_victim, struct task_struct *p)
{
	return on_oom_victim(p);
}

#endif
