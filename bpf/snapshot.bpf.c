// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every task on the host in one read(): the task iterator walks the task
 * list in the kernel and writes a fixed record per task. About a hundred
 * times cheaper than opening and parsing /proc/PID/stat for each.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "jobtrace/snapshot.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PF_KTHREAD 0x00200000
/* MAX_PID_NS_LEVEL: the kernel refuses to nest pid namespaces deeper. */
#define MAX_PID_NS_LEVEL 32

/*
 * The number of @pid in the namespace @ns at @level, as the kernel's
 * pid_nr_ns() gives it: 0 where the pid is not visible from there.
 * numbers[] is indexed by a variable, hence a read rather than a load.
 */
static __always_inline __u32 ns_pid_nr(struct pid *pid, unsigned int level,
				       struct pid_namespace *ns)
{
	struct upid up;

	if (!pid || level >= MAX_PID_NS_LEVEL || BPF_CORE_READ(pid, level) < level)
		return 0;
	if (bpf_core_read(&up, sizeof(up), &pid->numbers[level]))
		return 0;
	return up.ns == ns ? (__u32)up.nr : 0;
}

/*
 * The number of @pid in the innermost namespace it lives in, its own
 * level's: what a container calls the process. At level 0, the common case,
 * that is @host_nr, the initial namespace's number the caller has: numbers[]
 * sits two cache lines past level and the tasks the iterator has just
 * looked at, and its load was a cache miss a process. Deeper, numbers[] at
 * a variable level is a read.
 */
static __always_inline __u32 own_pid_nr(struct pid *pid, __u32 host_nr)
{
	unsigned int level;
	struct upid up;

	if (!pid)
		return 0;
	level = pid->level;
	if (!level)
		return host_nr;
	if (level >= MAX_PID_NS_LEVEL || bpf_core_read(&up, sizeof(up), &pid->numbers[level]))
		return 0;
	return (__u32)up.nr;
}

/*
 * The pid namespace of the task reading the iterator, and its level. The
 * kernel walks only the tasks visible from there, but task->pid is always
 * the initial namespace's number: ps inside a container must print the
 * container's own pids, as its /proc does. A pinned iterator is shared by
 * readers in different namespaces, so this is the reader's, not a setting.
 */
static __always_inline unsigned int reader_pid_ns(struct pid_namespace **ns)
{
	/* Plain loads through the read-only alias: this runs for every task. */
	struct task_struct *cur = task_ro(bpf_get_current_task_btf());
	struct pid *pid = cur->thread_pid;
	unsigned int level = pid->level;
	struct upid up = {};

	if (level && level < MAX_PID_NS_LEVEL)
		bpf_core_read(&up, sizeof(up), &pid->numbers[level]);
	*ns = up.ns;
	return level;
}

/*
 * The fields of @t's record, but for its arguments. False when the task is
 * not visible from the reader's pid namespace: no record for it.
 */
static __always_inline bool fill_rec(struct task_struct *t_trusted, struct jt_task_rec *r)
{
	/*
	 * Read through a read-only alias (bpf/core_fixes.bpf.h, task_ro()):
	 * the same plain loads, without the verifier's trust check of every
	 * pointer loaded, which walks the kernel's whole BTF on 6.18 (14 ms of
	 * every ps before). The older kernels' object has the pointer itself.
	 */
	struct task_struct *t = task_ro(t_trusted);
	struct pid_namespace *ns;
	struct mm_struct *mm;
	unsigned int level;

	r->version = JT_SNAP_VERSION;
	r->size = sizeof(*r);
	/*
	 * Plain loads (still CO-RE relocated), not BPF_CORE_READ(): each
	 * bpf_probe_read_kernel() call costs more than the load it makes, and
	 * a read of 5,000 tasks made ten a task (a sixth of the read's time).
	 */
	r->host_pid = t->pid;
	r->host_tgid = t->tgid;
	level = reader_pid_ns(&ns);
	if (!level) {
		r->pid = t->pid;
		r->tgid = t->tgid;
		r->ppid = t->real_parent->tgid;
	} else {
		r->pid = ns_pid_nr(BPF_CORE_READ(t, thread_pid), level, ns);
		r->tgid = ns_pid_nr(BPF_CORE_READ(t, group_leader, thread_pid), level, ns);
		/* A parent outside the namespace is 0, as /proc there shows it. */
		r->ppid = ns_pid_nr(BPF_CORE_READ(t, real_parent, group_leader, thread_pid), level,
				    ns);
		if (!r->pid || !r->tgid)
			return false; /* not visible from the reader's namespace */
	}
	r->uid = t->real_cred->uid.val;
	r->state = task_state_direct(t);
	r->exit_state = t->exit_state;
	r->nr_threads = t->signal->nr_threads;
	r->start_ns = t->group_leader->start_boottime;
	r->cpu_ns = t->se.sum_exec_runtime;
	r->is_leader = t->pid == t->tgid;
	r->kthread = !!(t->flags & PF_KTHREAD);
	/* The leader's pid is the tgid, in the initial namespace too. */
	r->ns_tgid = own_pid_nr(t->group_leader->thread_pid, r->host_tgid);
	if (r->is_leader)
		r->dead_threads_cpu_ns = t->signal->sum_sched_runtime;
	mm = t->mm;
	if (mm && !r->kthread) {
		r->rss_pages = mm_rss_pages_direct(mm);
		r->vm_pages = mm->total_vm;
	}
	__builtin_memcpy(r->comm, t->comm, sizeof(r->comm));
	return true;
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct jt_task_rec r = {};

	if (t && fill_rec(t, &r))
		bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/*
 * Scratch for one process's arguments, too large for the stack. Not per
 * CPU: a sleepable program can be preempted on its CPU by another reader of
 * the same (pinned) iterator, so a slot is claimed with a compare-and-swap
 * and given back after the write; with none free the process's arguments
 * are left to /proc (JT_ARGS_BUSY), never mixed with another's.
 */
#define ARGS_SLOTS 16

struct args_slot {
	__u32 busy;
	__u32 pad;
	char buf[JT_ARGS_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ARGS_SLOTS);
	__type(key, __u32);
	__type(value, struct args_slot);
} args_slots SEC(".maps");

static const char zeros[8];

static __always_inline struct args_slot *args_claim(void)
{
	__u32 first = bpf_get_smp_processor_id();

	for (__u32 i = 0; i < ARGS_SLOTS; i++) {
		__u32 k = (first + i) % ARGS_SLOTS;
		struct args_slot *slot = bpf_map_lookup_elem(&args_slots, &k);

		if (slot && !__sync_val_compare_and_swap(&slot->busy, 0, 1))
			return slot;
	}
	return NULL;
}

/*
 * @t's arguments after its record @r, as fs/proc/base.c's get_mm_cmdline()
 * reads them for /proc/PID/cmdline: nothing without an mm (a kernel thread,
 * a zombie), before the exec has set env_end, or for an empty range; else
 * the bytes [arg_start, arg_end). What it would read otherwise (the
 * setproctitle() case, where the last byte is not a NUL and the kernel reads
 * on into the environment) is left to /proc, as is what is too long.
 */
static __always_inline void write_with_args(struct seq_file *seq, struct task_struct *t,
					    struct jt_task_rec *r)
{
	struct task_struct *tr = task_ro(t); /* field reads; the helper takes @t */
	unsigned long arg_start, arg_end;
	struct args_slot *slot;
	struct mm_struct *mm;
	__u64 len;

	r->args = JT_ARGS_READ;
	mm = tr->mm;
	if (!mm || r->kthread || !mm->env_end)
		goto no_args;
	arg_start = mm->arg_start;
	arg_end = mm->arg_end;
	if (arg_start >= arg_end)
		goto no_args;
	len = arg_end - arg_start;
	if (len > JT_ARGS_MAX) {
		r->args = JT_ARGS_LONG;
		goto no_args;
	}
	slot = args_claim();
	if (!slot) {
		r->args = JT_ARGS_BUSY;
		goto no_args;
	}
	if (bpf_copy_from_user_task(slot->buf, len, (const void *)arg_start, t, 0)) {
		r->args = JT_ARGS_FAULT;
		goto release;
	}
	if (slot->buf[(len - 1) & (JT_ARGS_MAX - 1)]) {
		r->args = JT_ARGS_TITLE;
		goto release;
	}
	r->args_len = len;
	bpf_seq_write(seq, r, sizeof(*r));
	bpf_seq_write(seq, slot->buf, len);
	if (len & 7)
		bpf_seq_write(seq, zeros, 8 - (len & 7));
	__sync_fetch_and_and(&slot->busy, 0);
	return;

release:
	/* A full barrier (BPF_FETCH): the bytes are read before the slot is free. */
	__sync_fetch_and_and(&slot->busy, 0);
no_args:
	bpf_seq_write(seq, r, sizeof(*r));
}

/*
 * Each reader's share of the pass (struct jt_iter_share), stored for the
 * reading thread by user space (a pidfd of the thread is the key): it
 * lives and dies with that thread, so no other reader, nor one that later
 * takes its tid, can find it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct jt_iter_share);
} readers SEC(".maps");

/* Whether @t belongs to the current reader's share: all of them without one. */
static __always_inline bool in_share(struct task_struct *t)
{
	struct jt_iter_share *sh;
	__u32 count;

	sh = bpf_task_storage_get(&readers, bpf_get_current_task_btf(), NULL, 0);
	if (!sh)
		return true;
	count = sh->count;
	if (count < 2 || count > JT_ITER_MAX_READERS)
		return true;
	return (__u32)task_ro(t)->tgid % count == sh->index;
}

/*
 * The same records, with each process's arguments after its leader's: a
 * sleepable iterator (5.18+) may fault another task's pages in, which
 * bpf_copy_from_user_task() (5.18+) does. One read of the iterator then
 * replaces an open, a read and a close of /proc/PID/cmdline a process. The
 * loader picks this one where the kernel's BTF has the helper.
 */
SEC("iter.s/task")
int dump_task_args(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct jt_task_rec r = {};

	if (!t || !in_share(t) || !fill_rec(t, &r))
		return 0;
	if (r.is_leader)
		write_with_args(ctx->meta->seq, t, &r);
	else
		bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
