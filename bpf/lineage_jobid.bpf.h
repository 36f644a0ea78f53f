/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Host mode's job ids: which job a task found at fork or at the attach
 * belongs to, by tree (the child of init or of a subreaper it descends
 * from), by session, by user or by cgroup; and the job of a cgroup that
 * watch --cgroup follows.
 * Part of bpf/lineage.bpf.c, which includes it after its maps and helpers:
 * one object, one skeleton, the maps shared; apart only so that each file
 * holds one capability a reader can find by its name.
 */
#ifndef JOBTRACE_LINEAGE_JOBID_BPF_H
#define JOBTRACE_LINEAGE_JOBID_BPF_H

/* The job of the processes that share @share, named by its leader's @pid and start. */
static __always_inline __u64 share_job_id(__u64 share, __u64 start_ns, __u32 pid)
{
	__u64 start_us = start_ns / 1000;

	/* pid_max is at most 2^22: the start time makes a reused pid a new job. */
	return (JT_JOB_TREE << JT_JOB_KIND_SHIFT) | (share << JT_JOB_SHARE_SHIFT) |
	       (((start_us << 22) | (pid & ((1U << 22) - 1))) &
		((1ULL << JT_JOB_SHARE_SHIFT) - 1));
}

static __always_inline __u64 tree_job_id(struct task_struct *top)
{
	return share_job_id(JT_SHARE_TREE, top->group_leader->start_boottime, top->tgid);
}

/*
 * The job of @t's session: the session id (its leader's pid, the host's
 * number) and the leader's start while it lives. A session whose leader is
 * gone keeps its id until its last member goes (the kernel frees a pid
 * number only then), so 0 for the start still names one live session; its
 * members' children take their parent's job (host_job_id()), the start it
 * was made with included.
 */
static __always_inline __u64 session_job_id(struct task_struct *t)
{
	struct pid *sid = BPF_CORE_READ(t, signal, pids[PIDTYPE_SID]);
	struct upid *up = upid_at(sid, 0);
	struct hlist_node *first;
	struct task_struct *leader;
	__u64 start_ns = 0;

	if (!up)
		return 0;
	first = BPF_CORE_READ(sid, tasks[PIDTYPE_PID].first);
	if (first) {
		/* pid_links[PIDTYPE_PID] is the first of the array: its offset is the field's. */
		leader = (void *)first - bpf_core_field_offset(struct task_struct, pid_links);
		start_ns = BPF_CORE_READ(leader, start_boottime);
	}
	return share_job_id(JT_SHARE_SESSION, start_ns, BPF_CORE_READ(up, nr));
}

/*
 * Init and subreapers (systemd --user, container inits) start a new tree
 * with each child. Kernel threads stay one tree, kthreadd's.
 */
static __always_inline bool starts_trees(struct task_struct *t)
{
	struct signal_struct *sig;

	if (t->tgid <= 1)
		return true;
	sig = t->signal;
	/* A load of the bitfield's word, as the verifier allows on a BTF pointer. */
	return sig && BPF_CORE_READ_BITFIELD(sig, is_child_subreaper);
}

/* The job of @t's real uid: whom a login's, a service's or a setuid program's work is for. */
static __always_inline __u64 user_job_id(struct task_struct *t)
{
	return (JT_JOB_TREE << JT_JOB_KIND_SHIFT) | (JT_SHARE_USER << JT_JOB_SHARE_SHIFT) |
	       t->real_cred->uid.val;
}

/* The host-mode job of @t, a new child of @parent or a task found at attach. */
static __always_inline __u64 host_job_id(struct task_struct *t, struct task_struct *parent,
					 const struct jt_task *pst)
{
	struct task_struct *top = t;

	if (targ_group == JT_GROUP_CGROUP) {
		__u64 id = task_cgroup_id(t);

		return id ? (JT_JOB_CGROUP << JT_JOB_KIND_SHIFT) | id : 0;
	}
	if (targ_group == JT_GROUP_USER)
		return user_job_id(t);
	if (targ_group == JT_GROUP_SESSION) {
		__u64 id = session_job_id(t);

		/* A child starts in its parent's session: the parent's job for it, if it has it. */
		if (pst && JT_JOB_KIND(pst->job_id) == JT_JOB_TREE &&
		    JT_JOB_SHARE(pst->job_id) == JT_SHARE_SESSION &&
		    JT_JOB_PID(pst->job_id) == JT_JOB_PID(id))
			return pst->job_id;
		return id;
	}
	/* Tree: the child of init or of a subreaper that @t descends from. */
	if (pst && pst->job_id && !starts_trees(parent))
		return pst->job_id;
	for (int i = 0; i < MAX_ANCESTORS; i++) {
		struct task_struct *up = top->real_parent;

		if (!up || up == top || starts_trees(up))
			break;
		top = up;
	}
	return tree_job_id(top);
}

/* The job of a watched cgroup @cgrp is in, itself or an ancestor; 0: none. */
static __always_inline __u64 watched_cgroup_job(struct cgroup *cgrp)
{
	for (int i = 0; i < MAX_CGROUP_DEPTH && cgrp; i++) {
		__u64 id = cgroup_id_of(cgrp);
		struct jt_watch_cgroup *w = bpf_map_lookup_elem(&watch_cgroups, &id);

		if (w && w->hierarchy_id == BPF_CORE_READ(cgrp, root, hierarchy_id))
			return w->job_id;
		cgrp = (struct cgroup *)BPF_CORE_READ(cgrp, self.parent);
	}
	return 0;
}

/* The watched cgroup job of @t, in the hierarchy the watched cgroups are in. */
static __always_inline __u64 task_watched_job(struct task_struct *t)
{
	__s32 ssid = targ_watch_ssid;

	if (ssid < 0)
		return watched_cgroup_job(BPF_CORE_READ(t, cgroups, dfl_cgrp));
	if (ssid >= CGROUP_SUBSYS_COUNT)
		return 0;
	return watched_cgroup_job(BPF_CORE_READ(t, cgroups, subsys[ssid], cgroup));
}

/*
 * watch --cgroup in a pid namespace: the job of a followed cgroup a new
 * process @child was forked in by one outside the reader's namespace.
 * The attach walks the namespace's tasks alone, so such a parent was never
 * found and its children would be lost; they join as a move into the
 * cgroup would make them join, flagged outside the namespace, so the job
 * says it is not whole. 0 elsewhere: on the host (compiled out at load),
 * and for a parent in the namespace, which the attach found if it is the
 * cgroup's.
 */
static __always_inline __u64 outside_cgroup_job(struct task_struct *child)
{
	if (!targ_reader_in_pidns || !targ_follow_cgroups || !outside_reader_ns(child))
		return 0;
	return task_watched_job(child);
}

#endif
