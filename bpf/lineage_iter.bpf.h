/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The task iterators: the attach (tasks already running that belong to
 * a job), the adoption (serve --control), the live read (every tracked
 * task's CPU, memory and fds at a sample), and the repair sweep's syscall
 * program.
 * Part of bpf/lineage.bpf.c, which includes it after its maps and helpers:
 * one object, one skeleton, the maps shared; apart only so that each file
 * holds one capability a reader can find by its name.
 */
#ifndef JOBTRACE_LINEAGE_ITER_BPF_H
#define JOBTRACE_LINEAGE_ITER_BPF_H

/*
 * The attach: tags every task already running that belongs to a job, so
 * that from here on its exit is closed like any other. Run after the
 * tracepoints are attached, twice: a task forked during the first pass by a
 * parent not yet tagged is found by the second; one forked after it by a
 * tagged parent is tagged at fork. Either way once.
 */
static __always_inline __u64 attach_job_of(struct task_struct *t, bool *is_root)
{
	struct task_struct *a = t;

	if (targ_group != JT_GROUP_LINEAGE)
		return host_job_id(t, t->real_parent, NULL);
	if (targ_follow_cgroups) {
		__u64 job_id = task_watched_job(t);

		if (job_id)
			return job_id;
	}
	/* Direct loads: the iterator holds RCU, so the parent chain may be followed. */
	for (int i = 0; i < MAX_ANCESTORS; i++) {
		__u32 tgid = a->tgid, key = reader_tgid_of(a);
		struct jt_attach_root *r = key ? bpf_map_lookup_elem(&attach_roots, &key) : NULL;
		struct jt_task *ast;

		if (r) {
			__u64 st = a->group_leader->start_boottime;

			if (st + r->slack_ns >= r->start_ns && st <= r->start_ns + r->slack_ns) {
				*is_root = i == 0;
				return r->job_id;
			}
		}
		/*
		 * Task storage alone, not state_of(): an ancestor whose state is
		 * in its procs entry was forked into its job, and so was all it
		 * forked since; what was running before is tagged here, in
		 * storage. (With state_of() in this loop the verifier took
		 * 0.54 s, not 0.11, over this program.)
		 */
		ast = bpf_task_storage_get(&tasks, a, NULL, 0);
		if (ast && ast->job_id)
			return ast->job_id;
		if (tgid <= 1)
			break;
		a = a->real_parent;
		if (!a)
			break;
	}
	return 0;
}

SEC("iter/task")
int attach_existing(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	struct jt_attach_rec rec = {};
	struct job_ref ref;
	bool leader, is_root = false;
	struct jt_task *st;
	__u64 job_id;

	if (!t)
		return 0;
	/* An exiting task's exit tracepoint may have passed: leave it alone. */
	if ((t->flags & PF_EXITING) || t->exit_state)
		return 0;
	/* Tracked already: in storage, or forked into its job since the first pass. */
	st = bpf_task_storage_get(&tasks, t, NULL, 0);
	if (st ? st->job_id : self_tracked(t))
		return 0;
	job_id = attach_job_of(t, &is_root);
	if (!job_id)
		return 0;
	if (targ_group == JT_GROUP_LINEAGE ? !job_lookup(job_id, &ref) :
					     !job_get_or_create(job_id, &ref))
		return 0;
	st = bpf_task_storage_get(&tasks, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		__sync_fetch_and_add(&ref.tot->untracked, 1);
		return 0;
	}
	st->job_id = job_id;
	st->cpu_base_ns = t->se.sum_exec_runtime;
	io_base_set(st, t);
	st->flags = JT_F_EXISTING;
	if (is_root) {
		st->flags |= JT_F_ROOT;
		ref.job->root_tgid = t->tgid;
	}
	leader = t->pid == t->tgid;
	rec.job_id = job_id;
	rec.tgid = t->tgid;
	rec.reader_tgid = reader_tgid_of(t);
	rec.start_ns = t->group_leader->start_boottime;
	if (proc_insert(t, t->real_parent, &ref, job_id, JT_F_EXISTING)) {
		rec.new_process = 1;
		__sync_fetch_and_add(&ref.tot->existing, 1);
		proc_count_new(&ref);
	} else if (!leader) {
		struct jt_proc_key key = proc_key_of(t);
		struct jt_proc *proc = proc_find(&key);

		if (proc)
			__sync_fetch_and_add(&proc->threads, 1);
	}
	/*
	 * Its exit may have begun after the check above and passed its
	 * tracepoint before this storage existed: nothing marked it then, and
	 * its last switch would not close it (a process counted at the attach
	 * and never as exited). Mark it as the tracepoint does; when the
	 * tracepoint is still to come, it marks it the same way again.
	 */
	if (t->flags & PF_EXITING)
		exit_mark(t, st, t->signal->live.counter == 0);
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}

/*
 * JT_ADOPT_TREE: is @t the request's root (@is_root), or a descendant of it
 * or of a process already adopted into the job? 1: yes; 0: no; -1: yes, but
 * (JT_ADOPT_UID) it or a process between it and the root is not the
 * client's: a setuid program's tree is not the client's to watch.
 * Direct loads, as attach_job_of(): the iterator holds RCU.
 */
static __always_inline int adopt_tree_member(struct task_struct *t, const struct jt_adopt_req *req,
					     bool *is_root)
{
	struct task_struct *a = t;
	bool foreign = false;

	for (int i = 0; i < MAX_ANCESTORS; i++) {
		__u32 tgid = a->tgid;
		struct jt_task *ast;

		if ((req->flags & JT_ADOPT_UID) && BPF_CORE_READ(a, real_cred, uid.val) != req->uid)
			foreign = true;
		if (reader_tgid_of(a) == req->root_pid) {
			__u64 st = a->group_leader->start_boottime;

			if (st + req->slack_ns >= req->start_ns &&
			    st <= req->start_ns + req->slack_ns) {
				*is_root = i == 0;
				return foreign ? -1 : 1;
			}
		}
		if (i > 0) {
			/* Storage alone, as attach_job_of(): adopt_task() puts an adopted state there. */
			ast = bpf_task_storage_get(&tasks, a, NULL, 0);
			if (ast && ast->job_id == req->job_id)
				return foreign ? -1 : 1;
		}
		if (tgid <= 1)
			break;
		a = a->real_parent;
		if (!a)
			break;
	}
	return 0;
}

/*
 * serve --control: one running process, its threads, leaves its job for the
 * adopted job of `adopt_req`. Run by user space over that process alone (a
 * pid_fd task iterator), so the client's acknowledgement means that every
 * fork from here on lands in the job. What it used so far stays with the job
 * it used it in, as a cgroup move leaves it; in its new job it counts as
 * started, as run's command does, not as moved in: it has not exec'd yet.
 *
 * With JT_ADOPT_TREE (ATTACH) it runs over the root alone first, then twice
 * over every task, as the attach iterator does and for the same reason: a
 * process forked during the first pass by a parent not yet adopted is found
 * by the second; one forked by an adopted parent joined at its fork (an
 * adopted job keeps its tree) and is passed over. Either way once. What
 * was running is counted as existing at the attach, not as started.
 */
SEC("iter/task")
int adopt_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	struct jt_attach_rec rec = {};
	struct jt_adopt_req *req;
	struct job_ref from, dst;
	struct jt_proc *proc, *sproc;
	struct jt_proc_key key;
	struct jt_task *st;
	__u64 runtime, start;
	__u32 zero = 0;
	bool leader, tree, is_root = false;
	int member;

	if (!t)
		return 0;
	req = bpf_map_lookup_elem(&adopt_req, &zero);
	if (!req || !req->job_id)
		return 0;
	tree = req->flags & JT_ADOPT_TREE;
	start = t->group_leader->start_boottime;
	if (tree) {
		member = adopt_tree_member(t, req, &is_root);
		if (!member)
			return 0;
	} else if (start + req->slack_ns < req->start_ns || start > req->start_ns + req->slack_ns) {
		return 0;
	}
	if ((t->flags & PF_EXITING) || t->exit_state)
		return 0;
	if (!job_lookup(req->job_id, &dst))
		return 0;
	st = state_of(t, &sproc);
	if (st && st->exiting)
		return 0;
	runtime = t->se.sum_exec_runtime;
	leader = t->pid == t->tgid;
	rec.job_id = req->job_id;
	rec.tgid = t->tgid;
	rec.start_ns = start;
	rec.reader_tgid = reader_tgid_of(t);
	if (st && st->job_id == req->job_id) {
		/* Asked twice, or joined at its fork: already ours. */
		if (!tree)
			bpf_seq_write(seq, &rec, sizeof(rec));
		return 0;
	}
	if (tree && member < 0) {
		/* Left where it is; said once, by its leader. */
		if (leader) {
			rec.job_id = 0;
			rec.left_out = 1;
			bpf_seq_write(seq, &rec, sizeof(rec));
		}
		return 0;
	}
	if (st && JT_JOB_KIND(st->job_id) == JT_JOB_ADOPTED &&
	    ((req->flags & JT_ADOPT_NOT_ADOPTED) || (tree && !is_root))) {
		/* Another client's job keeps it: the record names that job, not ours. */
		rec.job_id = st->job_id;
		if (!tree || is_root)
			bpf_seq_write(seq, &rec, sizeof(rec));
		return 0;
	}
	if (st && st->job_id && job_lookup(st->job_id, &from)) {
		struct jt_acct io = {};

		__sync_fetch_and_add(&from.tot->cpu_ns, runtime - st->cpu_base_ns);
		io_since_base(&io, t, st);
		acct_add_io(&from.tot->exited, &io);
		if (leader) {
			__sync_fetch_and_add(&from.tot->moved_out, 1);
			__sync_fetch_and_add(&from.job->alive, -1);
		}
	}
	if (!st) {
		st = bpf_task_storage_get(&tasks, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!st) {
			__sync_fetch_and_add(&dst.tot->untracked, 1);
			return 0;
		}
	} else if (sproc) {
		/* Where adopt_tree_member() looks for an adopted ancestor. */
		st = state_to_storage(t, st, sproc);
	}
	st->job_id = req->job_id;
	st->cpu_base_ns = runtime;
	io_base_set(st, t);
	st->flags = tree ? JT_F_EXISTING : 0;
	/*
	 * The job's first process is its root (a step's first task): its
	 * threads carry the mark too, so its exit gives the job's status.
	 * A tree's root is the one the request names.
	 */
	if (tree ? is_root : !dst.job->root_tgid || dst.job->root_tgid == t->tgid) {
		dst.job->root_tgid = t->tgid;
		st->flags |= JT_F_ROOT;
	}
	if (leader) {
		rec.new_process = 1;
		if (tree)
			__sync_fetch_and_add(&dst.tot->existing, 1);
		else
			__sync_fetch_and_add(&dst.tot->procs_started, 1);
		proc_count_new(&dst);
		key = proc_key_of(t);
		proc = proc_find(&key);
		if (proc) {
			proc->job_id = req->job_id;
			proc->job_slot = dst.slot;
			proc->flags = tree ? JT_F_EXISTING : 0;
		} else {
			proc_insert(t, t->real_parent, &dst, req->job_id,
				    tree ? JT_F_EXISTING : 0);
		}
	}
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}

struct fd_words {
	unsigned long *bits;
	__u32 n;
};

static long count_fd_word(__u64 i, void *ctx)
{
	struct fd_words *fw = ctx;
	unsigned long w = 0;

	bpf_probe_read_kernel(&w, sizeof(w), &fw->bits[i]);
	fw->n += __builtin_popcountll(w);
	return 0;
}

/* Open fds of @t's table: the bits set in open_fds, up to a bound. */
static __always_inline __u32 count_open_fds(struct task_struct *t, __u8 *truncated)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	unsigned long *bits;
	unsigned int words;
	__u32 n = 0;

	if (!fdt)
		return 0;
	words = BPF_CORE_READ(fdt, max_fds) / 64;
	bits = BPF_CORE_READ(fdt, open_fds);
	if (words > MAX_FD_WORDS) {
		*truncated = 1;
		words = MAX_FD_WORDS;
	}
	/*
	 * bpf_loop (5.17) has its callback verified once; the loop below is
	 * verified word by word, 35,000 instructions (~18 ms of every start).
	 */
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) {
		struct fd_words fw = { .bits = bits };

		bpf_loop(words, count_fd_word, &fw, 0);
		return fw.n;
	}
	for (unsigned int i = 0; i < MAX_FD_WORDS && i < words; i++) {
		unsigned long w = 0;

		bpf_probe_read_kernel(&w, sizeof(w), &bits[i]);
		n += __builtin_popcountll(w);
	}
	return n;
}

/*
 * Every live task of every job, one record each: the CPU it used since it
 * joined (the job's CPU now is the exited threads' total plus these), and
 * for each process its memory and open files.
 */
SEC("iter/task")
int live_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t_arg = ctx->task, *t;
	struct jt_live_rec r = {};
	struct jt_task *stp, copy, *st = &copy;
	struct jt_proc *sproc;
	struct mm_struct *mm;
	__u64 runtime;

	if (!t_arg)
		return 0;
	stp = state_of(t_arg, &sproc);
	if (!stp || !stp->job_id)
		return 0;
	/*
	 * From here on, the fields through the read-only alias and the state
	 * from a copy: one kind of pointer each, so the verifier walks what
	 * follows once, with no trust check per load (core_fixes.bpf.h).
	 */
	copy = *stp;
	t = task_ro(t_arg);
	runtime = t->se.sum_exec_runtime;
	r.job_id = st->job_id;
	r.tgid = t->tgid;
	r.tid = t->pid;
	r.start_ns = t->group_leader->start_boottime;
	r.cpu_ns = since(runtime, st->cpu_base_ns);
	r.utime_ns = t->utime;
	r.stime_ns = t->stime;
	r.read_bytes = since(t->ioac.read_bytes, st->read_base);
	r.write_bytes = since(t->ioac.write_bytes, st->write_base);
	r.flags = st->flags;
	r.is_leader = t->pid == t->tgid;
	if (r.is_leader && !t->exit_state) {
		mm = t->mm;
		if (mm && !(t->flags & PF_KTHREAD)) {
			r.rss_pages = mm_rss_pages(mm);
			r.vm_pages = mm->total_vm;
		}
		r.open_fds = count_open_fds(t, &r.fds_truncated);
		r.reader_tgid = reader_tgid_of(t);
	}
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

/*
 * Run once by user space at the load, with BPF_PROG_RUN: the reader's pid
 * namespace, its level and inode, for outside_reader_ns(). 1: not found.
 */
SEC("syscall")
int reader_ns(void *ctx)
{
	struct task_struct *me = bpf_get_current_task_btf();
	struct pid *mine = BPF_CORE_READ(me, thread_pid);
	unsigned int level = BPF_CORE_READ(mine, level);
	struct upid *up = upid_at(mine, level);

	if (!up)
		return 1;
	reader_pidns_ino = BPF_CORE_READ(up, ns, ns.inum);
	reader_pidns_level = level;
	return 0;
}

/*
 * The repair sweep's hand in the kernel (user/collect/repair.c), run with
 * BPF_PROG_RUN: a process the procs map holds that no live task has backed
 * for two sweeps ended unseen. Its entry goes, and its job counts it gone,
 * atomically with the exit path: whichever deletes the entry counts it.
 * One outside the reader's pid namespace is never backed by a live task,
 * alive or not: it stays (user space does not ask for it either).
 */
SEC("syscall")
int repair_proc(struct jt_repair_args *args)
{
	struct jt_proc_key key = args->key;
	struct jt_proc *proc;
	struct job_ref ref;
	__u64 job_id;
	__u32 slot;

	proc = proc_find(&key);
	if (!proc || (proc->flags & JT_F_OUTSIDE_NS))
		return 1;
	job_id = proc->job_id;
	slot = proc->job_slot;
	if (proc_delete(&key))
		return 1; /* its exit took it meanwhile */
	args->job_id = job_id;
	if (job_find(job_id, slot, &ref)) {
		__sync_fetch_and_add(&ref.job->alive, -1);
		__sync_fetch_and_add(&ref.tot->procs_exited, 1);
	}
	return 0;
}

#endif
