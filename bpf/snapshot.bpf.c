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

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	struct jt_task_rec r = {};
	struct mm_struct *mm;

	if (!t)
		return 0;
	r.version = JT_SNAP_VERSION;
	r.size = sizeof(r);
	/*
	 * The iterator's task is a trusted BTF pointer: plain loads (still
	 * CO-RE relocated) cost a fraction of bpf_probe_read_kernel() calls.
	 */
	r.pid = t->pid;
	r.tgid = t->tgid;
	r.ppid = t->real_parent->tgid;
	r.uid = t->real_cred->uid.val;
	r.state = task_state(t);
	r.exit_state = t->exit_state;
	r.nr_threads = t->signal->nr_threads;
	r.start_ns = t->group_leader->start_boottime;
	r.cpu_ns = t->se.sum_exec_runtime;
	r.is_leader = t->pid == t->tgid;
	r.kthread = !!(t->flags & PF_KTHREAD);
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
