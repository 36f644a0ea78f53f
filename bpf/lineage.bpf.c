// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Job lineage and exit accounting.
 *
 * A task joins its parent's job at fork and keeps it for life, whoever
 * reaps it. Per-thread state lives in task storage; per-process lineage in
 * the `procs` map; totals per job in `jobs`, updated in place so that a lost
 * ring record loses no totals.
 *
 * A thread's accounting is closed at its *last* context switch (prev in
 * TASK_DEAD), not at sched_process_exit: exit_mm(), exit_files() and the rest
 * of do_exit() run after that tracepoint and burn CPU that getrusage() counts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "jobtrace/lineage.h"
#include "core_fixes.bpf.h"
#include "ring.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_DEAD 0x80
#define SIGNAL_GROUP_EXIT 0x4
#define EEXIST 17

/* Set by the loader from the running kernel's BTF (see user/lineage.c). */
const volatile bool targ_exit_has_group_dead = false;
const volatile __u64 targ_page_size = 4096;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct jt_task);
} tasks SEC(".maps");

/*
 * Preallocated up to a size (an insert then takes a free element from a
 * per-CPU list instead of calling the allocator: a third of a fork's cost);
 * larger maps are allocated as used. The loader decides, see user/lineage.c.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768); /* pid_max, set by the loader */
	__type(key, struct jt_proc_key);
	__type(value, struct jt_proc);
} procs SEC(".maps");

/*
 * Indexed by job id: an array lookup is inlined by the verifier, and
 * sched_switch does one for every switch of a tracked task. What must be one
 * number across CPUs lives in `jobs`; everything additive in `job_totals`,
 * one copy per CPU, so hot paths never bounce a cache line between CPUs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64); /* --max-jobs */
	__type(key, __u32);
	__type(value, struct jt_job);
} jobs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64); /* as jobs */
	__type(key, __u32);
	__type(value, struct jt_job_totals);
} job_totals SEC(".maps");

/* A tracked task's job: its shared state and this CPU's totals. */
struct job_ref {
	struct jt_job *job;
	struct jt_job_totals *tot;
};

static __always_inline void atomic_max(__u64 *p, __u64 v)
{
	__u64 old = *(volatile __u64 *)p;

	/* Bounded: a lost race to a larger value ends it anyway. */
	for (int i = 0; i < 8 && v > old; i++) {
		__u64 seen = __sync_val_compare_and_swap(p, old, v);

		if (seen == old)
			break;
		old = seen;
	}
}

static __always_inline struct jt_proc_key proc_key_of(struct task_struct *t)
{
	struct jt_proc_key key = {
		.tgid = BPF_CORE_READ(t, tgid),
		.start_ns = BPF_CORE_READ(t, group_leader, start_boottime),
	};

	return key;
}

static __always_inline bool job_of(const struct jt_task *st, struct job_ref *ref)
{
	__u32 slot = (__u32)st->job_id;

	ref->job = bpf_map_lookup_elem(&jobs, &slot);
	ref->tot = bpf_map_lookup_elem(&job_totals, &slot);
	if (!ref->job || !ref->tot || !ref->job->root_tgid) {
		COUNT(jobs_missing);
		return false;
	}
	return true;
}

static __always_inline void proc_insert(struct task_struct *t, struct task_struct *parent,
					struct jt_job_totals *tot, __u64 job_id)
{
	struct jt_proc_key key = proc_key_of(t);
	struct jt_proc proc = {
		.job_id = job_id,
		.parent = proc_key_of(parent),
		.threads = 1,
	};
	long err;

	BPF_CORE_READ_STR_INTO(&proc.comm, t, comm);
	/* -E2BIG when full, -ENOMEM when no entry could be allocated. */
	err = bpf_map_update_elem(&procs, &key, &proc, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		COUNT(procs_map_full);
		__sync_fetch_and_add(&tot->procs_map_full, 1);
	}
}

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	struct jt_task *pst, *cst;
	struct jt_proc_key key;
	struct jt_proc *proc;
	struct job_ref ref;
	__s64 alive;

	pst = bpf_task_storage_get(&tasks, parent, NULL, 0);
	if (!pst || !pst->job_id)
		return 0;
	if (!job_of(pst, &ref))
		return 0;
	cst = bpf_task_storage_get(&tasks, child, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cst) {
		COUNT(untracked);
		__sync_fetch_and_add(&ref.tot->untracked, 1);
		return 0;
	}
	cst->job_id = pst->job_id;
	cst->cpu_base_ns = BPF_CORE_READ(child, se.sum_exec_runtime);

	if (BPF_CORE_READ(child, tgid) == BPF_CORE_READ(parent, tgid)) {
		/* CLONE_THREAD: a thread of an existing process. */
		__sync_fetch_and_add(&ref.tot->threads_started, 1);
		key = proc_key_of(child);
		proc = bpf_map_lookup_elem(&procs, &key);
		if (proc)
			__sync_fetch_and_add(&proc->threads, 1);
		return 0;
	}
	__sync_fetch_and_add(&ref.tot->procs_started, 1);
	alive = __sync_fetch_and_add(&ref.job->alive, 1) + 1;
	atomic_max(&ref.job->max_alive, (__u64)alive);
	proc_insert(child, parent, ref.tot, pst->job_id);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

static __always_inline int on_exec(struct task_struct *p)
{
	struct jt_proc_key key;
	struct jt_proc *proc;
	struct job_ref ref;
	struct jt_task *st;

	st = bpf_task_storage_get(&tasks, p, NULL, 0);
	if (!st || !st->job_id)
		return 0;
	if (!job_of(st, &ref))
		return 0;
	__sync_fetch_and_add(&ref.tot->execs, 1);
	key = proc_key_of(p);
	proc = bpf_map_lookup_elem(&procs, &key);
	if (!proc) {
		/* A job's root was registered from user space: its entry starts here. */
		proc_insert(p, BPF_CORE_READ(p, real_parent), ref.tot, st->job_id);
		return 0;
	}
	BPF_CORE_READ_STR_INTO(&proc->comm, p, comm);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p)
{
	return on_exec(p);
}

/* The status wait(2) will report for the process @p ends. */
static __always_inline __u32 wait_status_of(struct task_struct *p)
{
	if (BPF_CORE_READ(p, signal, flags) & SIGNAL_GROUP_EXIT)
		return BPF_CORE_READ(p, signal, group_exit_code);
	return BPF_CORE_READ(p, group_leader, exit_code);
}

static __always_inline int on_exit(struct task_struct *p, bool group_dead)
{
	struct mm_struct *mm;
	struct jt_task *st;
	__u64 hiwater, rss;

	st = bpf_task_storage_get(&tasks, p, NULL, 0);
	if (!st)
		return 0;
	st->exiting = 1;
	if (!group_dead)
		return 0;
	st->group_dead = 1;
	st->exit_status = wait_status_of(p);
	/*
	 * Since the tracepoint moved before exit_mm() (6.16), the mm is still
	 * here: its own high-water mark is the honest peak. signal->maxrss is
	 * the fallback; it also holds the image the process had before exec.
	 */
	mm = BPF_CORE_READ(p, mm);
	if (mm) {
		hiwater = BPF_CORE_READ(mm, hiwater_rss);
		rss = mm_rss_pages(mm);
		st->peak_rss_pages = hiwater > rss ? hiwater : rss;
		st->rss_source = JT_RSS_MM_HIWATER;
	}
	return 0;
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
		group_dead = BPF_CORE_READ(p, signal, live.counter) == 0;
	return on_exit(p, group_dead);
}

static __always_inline void send_exit(struct task_struct *p, struct jt_task *st,
				      const struct job_ref *ref, struct jt_proc *proc,
				      const struct jt_proc_key *key)
{
	struct jt_job_totals *tot = ref->tot;
	struct jt_job *job = ref->job;
	struct jt_exit_event *e;
	__u64 peak_bytes;
	__u8 rss_source;
	__u32 status = st->exit_status;
	bool is_root = key->tgid == job->root_tgid;
	__s64 left;

	if (status & 0x7f)
		__sync_fetch_and_add(&tot->exit_signal, 1);
	else if (status & 0xff00)
		__sync_fetch_and_add(&tot->exit_error, 1);
	else
		__sync_fetch_and_add(&tot->exit_ok, 1);
	__sync_fetch_and_add(&tot->procs_exited, 1);

	if (st->rss_source == JT_RSS_MM_HIWATER) {
		peak_bytes = st->peak_rss_pages * targ_page_size;
		rss_source = JT_RSS_MM_HIWATER;
	} else {
		peak_bytes = BPF_CORE_READ(p, signal, maxrss) * targ_page_size;
		rss_source = JT_RSS_SIGNAL_MAXRSS;
	}
	atomic_max(&tot->peak_rss_bytes, peak_bytes);

	e = ring_reserve(tot, sizeof(*e));
	if (e) {
		__builtin_memset(e, 0, sizeof(*e));
		e->version = JT_ABI_VERSION;
		e->type = JT_REC_EXIT;
		e->size = sizeof(*e);
		e->job_id = st->job_id;
		e->pid = key->tgid;
		e->start_ns = key->start_ns;
		e->exit_ns = bpf_ktime_get_boot_ns();
		e->exit_status = status;
		e->peak_rss_bytes = peak_bytes;
		e->peak_rss_source = rss_source;
		e->is_root = is_root;
		if (proc) {
			e->ppid = proc->parent.tgid;
			e->parent_start_ns = proc->parent.start_ns;
			e->threads = proc->threads;
			e->acct = proc->acct;
		} else {
			e->ppid = BPF_CORE_READ(p, real_parent, tgid);
			e->threads = 1;
		}
		/* The name it ends with: exec and prctl(PR_SET_NAME) both change it. */
		BPF_CORE_READ_STR_INTO(&e->comm, p, group_leader, comm);
		/* Wake the reader when it may be waiting for this record. */
		ring_submit(e, tot, is_root || job->alive <= 1);
	}

	/* After the record is in the ring: a reader that sees 0 alive has it all. */
	left = __sync_fetch_and_add(&job->alive, -1) - 1;
	if (is_root)
		job->outlived_root = left;
	if (proc)
		bpf_map_delete_elem(&procs, key);
}

/* Several threads of a process may close at once, on other CPUs. */
static __always_inline void acct_add(struct jt_acct *dst, const struct jt_acct *src)
{
	__sync_fetch_and_add(&dst->cpu_ns, src->cpu_ns);
	__sync_fetch_and_add(&dst->utime_ns, src->utime_ns);
	__sync_fetch_and_add(&dst->stime_ns, src->stime_ns);
	__sync_fetch_and_add(&dst->read_bytes, src->read_bytes);
	__sync_fetch_and_add(&dst->write_bytes, src->write_bytes);
	__sync_fetch_and_add(&dst->read_chars, src->read_chars);
	__sync_fetch_and_add(&dst->write_chars, src->write_chars);
}

/* @p is gone for good: fold its final accounting into its process and job. */
static __always_inline void close_thread(struct task_struct *p, struct jt_task *st,
					 const struct job_ref *ref, __u64 runtime)
{
	struct jt_proc_key key = proc_key_of(p);
	struct jt_acct acct = {
		.cpu_ns = runtime,
		.utime_ns = BPF_CORE_READ(p, utime),
		.stime_ns = BPF_CORE_READ(p, stime),
		.read_bytes = BPF_CORE_READ(p, ioac.read_bytes),
		.write_bytes = BPF_CORE_READ(p, ioac.write_bytes),
		.read_chars = BPF_CORE_READ(p, ioac.rchar),
		.write_chars = BPF_CORE_READ(p, ioac.wchar),
	};
	struct jt_proc *proc;

	acct_add(&ref->tot->exited, &acct);
	proc = bpf_map_lookup_elem(&procs, &key);
	if (proc)
		acct_add(&proc->acct, &acct);
	if (st->group_dead)
		send_exit(p, st, ref, proc, &key);
	/* A TASK_DEAD task never runs again; its storage goes with it. */
	st->job_id = 0;
}

static __always_inline int on_switch_out(struct task_struct *prev)
{
	struct job_ref ref;
	struct jt_task *st;
	__u64 runtime;

	st = bpf_task_storage_get(&tasks, prev, NULL, 0);
	if (!st || !st->job_id)
		return 0;
	if (!job_of(st, &ref))
		return 0;
	runtime = BPF_CORE_READ(prev, se.sum_exec_runtime);
	if (runtime > st->cpu_base_ns) {
		__sync_fetch_and_add(&ref.tot->cpu_ns, runtime - st->cpu_base_ns);
		st->cpu_base_ns = runtime;
	}
	if (st->exiting && (task_state(prev) & TASK_DEAD))
		close_thread(prev, st, &ref, runtime);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(handle_switch, bool preempt, struct task_struct *prev)
{
	return on_switch_out(prev);
}
