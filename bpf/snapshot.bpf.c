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
 * level's: what a container calls the process. The host's at level 0.
 */
static __always_inline __u32 own_pid_nr(struct pid *pid)
{
	unsigned int level;
	struct upid up;

	if (!pid)
		return 0;
	level = BPF_CORE_READ(pid, level);
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
	struct task_struct *cur = bpf_get_current_task_btf();
	struct pid *pid = BPF_CORE_READ(cur, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	if (level && level < MAX_PID_NS_LEVEL)
		bpf_core_read(&up, sizeof(up), &pid->numbers[level]);
	*ns = up.ns;
	return level;
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	struct jt_task_rec r = {};
	struct pid_namespace *ns;
	struct mm_struct *mm;
	unsigned int level;

	if (!t)
		return 0;
	r.version = JT_SNAP_VERSION;
	r.size = sizeof(r);
	/*
	 * The iterator's task is a trusted BTF pointer: plain loads (still
	 * CO-RE relocated) cost a fraction of bpf_probe_read_kernel() calls.
	 */
	r.host_pid = t->pid;
	r.host_tgid = t->tgid;
	level = reader_pid_ns(&ns);
	if (!level) {
		r.pid = t->pid;
		r.tgid = t->tgid;
		r.ppid = t->real_parent->tgid;
	} else {
		r.pid = ns_pid_nr(BPF_CORE_READ(t, thread_pid), level, ns);
		r.tgid = ns_pid_nr(BPF_CORE_READ(t, group_leader, thread_pid), level, ns);
		/* A parent outside the namespace is 0, as /proc there shows it. */
		r.ppid = ns_pid_nr(BPF_CORE_READ(t, real_parent, group_leader, thread_pid), level,
				   ns);
		if (!r.pid || !r.tgid)
			return 0; /* not visible from the reader's namespace */
	}
	r.uid = t->real_cred->uid.val;
	r.state = task_state(t);
	r.exit_state = t->exit_state;
	r.nr_threads = t->signal->nr_threads;
	r.start_ns = t->group_leader->start_boottime;
	r.cpu_ns = t->se.sum_exec_runtime;
	r.is_leader = t->pid == t->tgid;
	r.kthread = !!(t->flags & PF_KTHREAD);
	r.ns_tgid = own_pid_nr(BPF_CORE_READ(t, group_leader, thread_pid));
	if (r.is_leader)
		r.dead_threads_cpu_ns = t->signal->sum_sched_runtime;
	mm = t->mm;
	if (mm && !r.kthread) {
		r.rss_pages = mm_rss_pages(mm);
		r.vm_pages = mm->total_vm;
	}
	__builtin_memcpy(r.comm, t->comm, sizeof(r.comm));
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}
