/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * OOM kills: oom/mark_victim marks the process the OOM killer chose, with
 * its memory cgroup and its RSS then, for its exit record (send_exit takes
 * the mark from `oom_victims`); its job counts the kill at once. The memory
 * cgroup whose limit was hit is found then too, while it still exists.
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

#define OOM_WALK_MAX JT_OOM_DEPTH /* memory cgroups walked up, and path components kept */
#define OOM_PATH_MASK (JT_OOM_PATH_LEN - 1)

/* The path's components, read from the top down. */
struct oom_path_build {
	struct kernfs_node *kns[OOM_WALK_MAX]; /* from @cgrp's node up to the root's */
	__u32 n;   /* of them */
	__u32 off; /* where the next component goes in the path */
	bool bad;  /* too long, or a name that could not be read */
};

/* Component @j from the top: "/NAME" at b->off, and its id. 1 ends the walk. */
static __always_inline int oom_path_step(struct jt_oom_cgroup *v, struct oom_path_build *b,
					 __u32 j)
{
	/* kns[n - 1] is the hierarchy's root: its name is not in the path. */
	int i = (int)b->n - 2 - (int)j;
	__u32 off = b->off;
	struct kernfs_node *kn;
	long len;

	if (i < 0 || off >= JT_OOM_PATH_LEN - 1) {
		b->bad = true;
		return 1;
	}
	v->path[off & OOM_PATH_MASK] = '/';
	off++;
	kn = b->kns[i & (OOM_WALK_MAX - 1)];
	len = bpf_probe_read_kernel_str(&v->path[off & OOM_PATH_MASK], JT_OOM_PATH_LEN,
					BPF_CORE_READ(kn, name));
	if (len <= 0) {
		b->bad = true;
		return 1;
	}
	b->off = off + len - 1;
	v->ids[v->depth & (OOM_WALK_MAX - 1)] = BPF_CORE_READ(kn, id);
	v->depth++;
	return 0;
}

/*
 * @cgrp's path in its hierarchy into @v->path, as kernfs_path() writes it
 * ("/" for the root). A path deeper than OOM_WALK_MAX or longer than
 * JT_OOM_PATH_LEN is left "": user space then says the cgroup is not known.
 * @v lies in the per-CPU path scratch, which leaves room past the path for
 * a name read at a masked offset.
 */
static __always_inline void oom_cgroup_path(struct cgroup *cgrp, struct jt_oom_cgroup *v)
{
	struct oom_path_build b = {}; /* all written: no uninitialised stack read */
	struct kernfs_node *kn = BPF_CORE_READ(cgrp, kn);

	v->path[0] = '\0';
	v->depth = 0;
	for (int i = 0; i < OOM_WALK_MAX && kn; i++) {
		b.kns[b.n++ & (OOM_WALK_MAX - 1)] = kn;
		kn = kn_parent(kn);
	}
	if (kn || !b.n)
		return; /* deeper than the walk: not known */
	/*
	 * The count read back from the map: a number the verifier does not
	 * know, so that the names' loop is checked once, not once for each
	 * depth the walk can end at (16 times: about 5 ms of every start of
	 * run on 6.18).
	 */
	*(volatile __u32 *)&v->depth = b.n;
	b.n = *(volatile __u32 *)&v->depth;
	v->depth = 0;
	if (b.n == 1) {
		v->path[0] = '/';
		v->path[1] = '\0';
		return;
	}
	for (__u32 j = 0; j < OOM_WALK_MAX - 1 && j < b.n - 1; j++) {
		if (oom_path_step(v, &b, j))
			break;
	}
	if (b.bad || b.off >= JT_OOM_PATH_LEN) {
		v->path[0] = '\0';
		return;
	}
	v->path[b.off & OOM_PATH_MASK] = '\0';
}

/* Where the walk up @p's memory cgroups, for the limit the kill acted on, stands. */
struct oom_walk {
	struct cgroup_subsys_state *css; /* the next to look at; NULL: the walk is over */
	struct cgroup_subsys_state *hit; /* the one found */
	unsigned long limit;		 /* its limit, in pages */
	int oom_ev;			 /* MEMCG_OOM, this kernel's */
};

/* One memory cgroup of the walk: 1 when it is the one, or the last. */
static __always_inline int oom_walk_step(struct oom_walk *w)
{
	/* A charge is up to a huge page (512 pages); then a batch's worth of slack. */
	const unsigned long slack_pages = 1024;
	/* A local: BPF_CORE_READ() of w->css would relocate oom_walk's own field. */
	struct cgroup_subsys_state *css = w->css;
	/* css is struct mem_cgroup's first member. */
	struct mem_cgroup *memcg = (struct mem_cgroup *)css;
	unsigned long limit, max_pages;
	long usage, ooms = 0;

	if (!memcg)
		return 1;
	limit = BPF_CORE_READ(memcg, memory.max);
	usage = BPF_CORE_READ(memcg, memory.usage.counter);
	bpf_probe_read_kernel(&ooms, sizeof(ooms),
			      (void *)memcg +
				  bpf_core_field_offset(struct mem_cgroup, memory_events_local) +
				  (w->oom_ev & 15) * sizeof(atomic_long_t));
	/* PAGE_COUNTER_MAX: no limit. */
	max_pages = (unsigned long)(~0UL >> 1) / targ_page_size;
	if (limit < max_pages && ooms > 0 && usage >= 0 &&
	    (unsigned long)usage + slack_pages >= limit) {
		w->hit = css;
		w->limit = limit;
		return 1;
	}
	w->css = BPF_CORE_READ(css, parent);
	return 0;
}

static long oom_walk_cb(__u32 i, void *ctx)
{
	return oom_walk_step(ctx);
}

/*
 * Which memory cgroup's limit the kill acted on: the nearest of @p's memory
 * cgroup and its ancestors that has a limit, has met the OOM killer
 * (memory.events.local's oom; v1 counts it there too), and is charged to
 * within a few charges of its limit now, before the victim has freed
 * anything. Its limit and path go to `oom_cgroups` for the victim (@key),
 * and its id to @mark.
 * None (a global OOM, a kernel that counts otherwise): @mark keeps the
 * cgroup @p was charged to, and user space finds the limit from there.
 */
static __always_inline void oom_limit_hit(struct task_struct *p, const struct jt_proc_key *key,
					  struct jt_oom_mark *mark)
{
	struct oom_walk w = {};
	struct cgroup_subsys_state *hit;
	struct jt_oom_cgroup *v;
	int id, oom_ev;
	__u32 zero = 0;
	__u64 cgid;

	if (!bpf_core_type_exists(struct mem_cgroup) ||
	    !bpf_core_field_exists(struct mem_cgroup, memory_events_local) ||
	    !bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id) ||
	    !bpf_core_enum_value_exists(enum memcg_memory_event, MEMCG_OOM))
		return;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	oom_ev = bpf_core_enum_value(enum memcg_memory_event, MEMCG_OOM);
	if (id < 0 || id >= CGROUP_SUBSYS_COUNT || oom_ev < 0 || oom_ev >= 16)
		return;
	w.oom_ev = oom_ev;
	w.css = BPF_CORE_READ(p, cgroups, subsys[id]);
	/* bpf_loop (5.17): its callback is checked until it settles, not 16 times over. */
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) {
		bpf_loop(OOM_WALK_MAX, oom_walk_cb, &w, 0);
	} else {
		for (int i = 0; i < OOM_WALK_MAX; i++) {
			if (oom_walk_step(&w))
				break;
		}
	}
	/*
	 * The path is read once, after the walk: inside it, the verifier
	 * checked the path's loops once for each step of the walk.
	 */
	hit = w.hit;
	if (!hit)
		return;
	v = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!v)
		return;
	cgid = cgroup_id_of(BPF_CORE_READ(hit, cgroup));
	if (!cgid)
		return;
	v->limit_bytes = (__u64)w.limit * targ_page_size;
	oom_cgroup_path(BPF_CORE_READ(hit, cgroup), v);
	if (bpf_map_update_elem(&oom_cgroups, key, v, BPF_ANY))
		return;
	mark->memcg_id = cgid;
	mark->flags = JT_F_OOM_LIMIT;
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
	oom_limit_hit(p, &key, &mark);
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
