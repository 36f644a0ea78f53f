/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel-version variants of the structs jobtrace reads, in one place.
 * Each ___flavour names an older layout; CO-RE picks what the running
 * kernel has.
 */
#ifndef JOBTRACE_CORE_FIXES_BPF_H
#define JOBTRACE_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* Before 5.14 the task state was `long state`. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return (unsigned int)BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

/*
 * The same through a trusted BTF pointer (a tp_btf argument): a plain load,
 * no helper call, for the one place that runs on every context switch.
 */
static __always_inline unsigned int task_state_direct(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return t->__state;
	return (unsigned int)((struct task_struct___pre514 *)t)->state;
}

/*
 * A read-only alias of a trusted task pointer, for field reads. Since 6.2
 * the verifier checks every pointer loaded through a trusted pointer
 * against the kernel's "safe to trust" lists, and on 6.18 each such check
 * is a walk over the kernel's whole BTF: with direct loads on the fork,
 * exit and switch paths that was about 20 ms of every start (perf: the
 * verifier's btf_nested_type_is_trusted). Through bpf_rdonly_cast() the
 * alias is untrusted, so the pointers read through it are too and nothing
 * is looked up; the loads are the same exception-table-guarded plain loads,
 * and the kernel makes the cast itself a register move. Helpers that take
 * a task (task storage) get the trusted pointer. Kernels before 6.2 have
 * no bpf_rdonly_cast and no trust check: the loader picks an object built
 * with JT_NO_RDONLY_CAST there, where the alias is the pointer itself.
 */
#ifdef JT_KERNEL_TYPE_IDS
/*
 * The kernel's ids of the types cast to, set by the loader: an object
 * relocated against a cut-down copy of the kernel's BTF (the lineage
 * object: user/bpf/core_btf.c) would get the copy's ids from
 * bpf_core_type_id_kernel(). Read-only data, so the verifier sees the
 * constant bpf_rdonly_cast() needs. In the older kernels' object too,
 * which shares the skeleton and so its variables.
 */
const volatile __u32 targ_btf_id_task_struct;
const volatile __u32 targ_btf_id_linux_binprm;
#define kernel_type_id(type)                                                                       \
	_Generic((type *)0,                                                                        \
		struct task_struct *: targ_btf_id_task_struct,                                     \
		struct linux_binprm *: targ_btf_id_linux_binprm)
#else
#define kernel_type_id(type) bpf_core_type_id_kernel(type)
#endif
#ifdef JT_NO_RDONLY_CAST
#define kernel_ro(p, type) ((type *)(p))
#else
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define kernel_ro(p, type) ((type *)bpf_rdonly_cast((p), kernel_type_id(type)))
#endif
#define task_ro(t) kernel_ro(t, struct task_struct)

/* Before 6.2 the RSS counters were atomics in a struct mm_rss_stat. */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

/*
 * Resident pages of @mm as get_mm_rss() sees them: file + anon + shmem. On
 * 6.2+ the per-CPU deltas of each percpu_counter are not folded in, the same
 * approximation the kernel's own get_mm_counter() makes for maxrss.
 */
static __always_inline __u64 mm_rss_pages(struct mm_struct *mm)
{
	__s64 file, anon, shmem, sum;

	if (bpf_core_type_exists(struct mm_rss_stat___pre62)) {
		struct mm_struct___pre62 *old = (void *)mm;

		file = BPF_CORE_READ(old, rss_stat.count[MM_FILEPAGES].counter);
		anon = BPF_CORE_READ(old, rss_stat.count[MM_ANONPAGES].counter);
		shmem = BPF_CORE_READ(old, rss_stat.count[MM_SHMEMPAGES].counter);
	} else {
		file = BPF_CORE_READ(mm, rss_stat[MM_FILEPAGES].count);
		anon = BPF_CORE_READ(mm, rss_stat[MM_ANONPAGES].count);
		shmem = BPF_CORE_READ(mm, rss_stat[MM_SHMEMPAGES].count);
	}
	/* A counter can read negative while per-CPU deltas are unfolded. */
	sum = (file > 0 ? file : 0) + (anon > 0 ? anon : 0) + (shmem > 0 ? shmem : 0);
	return (__u64)sum;
}

/* The same through a BTF pointer (mm loaded directly from a task): plain loads. */
static __always_inline __u64 mm_rss_pages_direct(struct mm_struct *mm)
{
	__s64 file, anon, shmem, sum;

	if (bpf_core_type_exists(struct mm_rss_stat___pre62)) {
		struct mm_struct___pre62 *old = (void *)mm;

		file = old->rss_stat.count[MM_FILEPAGES].counter;
		anon = old->rss_stat.count[MM_ANONPAGES].counter;
		shmem = old->rss_stat.count[MM_SHMEMPAGES].counter;
	} else {
		file = mm->rss_stat[MM_FILEPAGES].count;
		anon = mm->rss_stat[MM_ANONPAGES].count;
		shmem = mm->rss_stat[MM_SHMEMPAGES].count;
	}
	sum = (file > 0 ? file : 0) + (anon > 0 ? anon : 0) + (shmem > 0 ? shmem : 0);
	return (__u64)sum;
}

/*
 * struct kernfs_node's parent: `parent` before 6.15, `__parent` since. Both
 * are flavours here, so the object builds against either vmlinux.h.
 */
struct kernfs_node___pre615 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));
struct kernfs_node___615 {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(struct kernfs_node___615, __parent))
		return BPF_CORE_READ((struct kernfs_node___615 *)kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___pre615 *)kn, parent);
}

#endif
