// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Job lineage and exit accounting.
 *
 * A task joins a job at fork (its parent's, or in host mode the one its
 * cgroup or tree names), when the attach iterator finds it already running,
 * or by a cgroup move into a job that follows a cgroup. Per-thread state
 * lives in task storage; per-process lineage in the `procs` map; per-job
 * totals in the `jobs` and `job_totals` hashes, updated in place so that a
 * lost ring record loses no totals.
 *
 * A thread's accounting is closed at its *last* context switch (prev in
 * TASK_DEAD), not at sched_process_exit: exit_mm(), exit_files() and the rest
 * of do_exit() run after that tracepoint and burn CPU that getrusage() counts.
 * Nothing else happens on a context switch: the CPU of live tasks is read
 * when it is asked for, by the live iterator, so a tracked task's switch
 * costs one task-storage lookup, as an untracked one's does.
 *
 * Not at sched_process_free, though the runtime is final there too and a
 * program on it would spare every context switch of the host (issue 18).
 * The free is an RCU callback: it comes a grace period after the reap
 * (8-24 ms on the test machine; seconds where lazy RCU runs on offloaded
 * CPUs), so run's end would wait for it; a zombie is freed only when it
 * is reaped, so a parent that never waits would hold its child's record
 * and its job's end. A first try lost 2 to 236 of 3,000 processes a run,
 * which it put on the kernel skipping programs in softirq; a later count
 * (issue 18's note, stop 26: a tp_btf program on the free saw 20,001 of
 * 20,001 tasks beside watch --all and nonstop map syscalls, recursion
 * misses 0) did not bear that out.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "jobtrace/lineage_abi.h"
/* Relocated against a cut-down BTF: the kernel's type ids from the loader (core_fixes). */
#define JT_KERNEL_TYPE_IDS
#include "core_fixes.bpf.h"
#include "ring.bpf.h"
#include "profile.bpf.h"
#include "lineage_path.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_DEAD 0x80
#define SIGNAL_GROUP_EXIT 0x4
#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000
#define EEXIST 17
#define MAX_ANCESTORS 32 /* process tree depth walked at attach */
#define MAX_CGROUP_DEPTH 16 /* cgroup depth walked for watched cgroups */
#define MAX_FD_WORDS 256 /* 16,384 fds counted per process */
#define MAX_PIDNS_LEVEL 32 /* the kernel's MAX_PID_NS_LEVEL */

/* Set by the loader from the running kernel's BTF (see user/bpf/lineage.c). */
const volatile bool targ_exit_has_group_dead = false;
const volatile __u64 targ_page_size = 4096;
/* How jobs are made (enum jt_group), and from which cgroup hierarchy. */
const volatile __u32 targ_group = JT_GROUP_LINEAGE;
const volatile __s32 targ_cgrp_ssid = -1; /* -1: the v2 hierarchy; else a v1 controller */
const volatile __s32 targ_hierarchy_id = 0; /* of that hierarchy, as /proc/PID/cgroup says */
const volatile bool targ_follow_cgroups = false; /* watch --cgroup: moves join and leave */
const volatile __s32 targ_watch_ssid = -1; /* the hierarchy of watched cgroups: -1 v2, else v1 */
const volatile bool targ_capture_args = false; /* an exec record with argv (--events) */
const volatile bool targ_fork_records = false; /* a record per new process (serve --stream) */
/*
 * User space, the task iterators' reader, is not in the host's pid
 * namespace: the iterators walk only the tasks visible from its namespace,
 * while the tracepoints see every task of the host (outside_reader_ns()).
 * false, the common case, leaves that code out at the load.
 */
const volatile bool targ_reader_in_pidns = false;
/*
 * That namespace, as its own task sees it: its level below the host's and
 * its inode, set once by reader_ns (run by user space, so current is the
 * reader) before any program is attached. User space cannot ask: the
 * kernel gives no parent of a pid namespace to a process inside it.
 */
__u32 reader_pidns_level;
__u32 reader_pidns_ino;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct jt_task);
} tasks SEC(".maps");

/* The process table, `procs` and its spill: proc_find(), proc_add(), proc_delete(). */
#include "lineage_procs.bpf.h"

/*
 * Jobs, bounded by --max-jobs. What must be one number across CPUs lives
 * in `jobs`; everything additive in `job_totals`, one copy per CPU, so hot
 * paths never bounce a cache line between CPUs. Neither is touched on a
 * context switch, only at fork, exec and a process's end.
 *
 * Both are arrays, a job in the same slot of each, found by its id in the
 * hash `job_ids`; a process's procs entry keeps its job's slot as a hint
 * (jt_proc.job_slot) that its fork's children and its close try first,
 * checked against the id the slot holds. Two hashes keyed by id cost a
 * tracked process's fork and close a bucket's and an element's cold lines
 * each, four lookups in all: 250 ns of its close and 75-120 of its fork
 * measured against array slots (issue 18; bench_bpf.sh, both orders).
 * A slot is handed out once in order (job_slots_next), and after that
 * from the slots user space freed (lineage__remove_job(), which zeroes
 * them first), oldest first: a program that found a job just before its
 * removal is long done when its slot holds another.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* --max-jobs */
	__type(key, __u64);
	__type(value, __u32);
} job_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096); /* as job_ids */
	__type(key, __u32);
	__type(value, struct jt_job_slot);
} jobs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4096); /* as job_ids */
	__type(key, __u32);
	__type(value, struct jt_job_totals);
} job_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4096); /* as job_ids */
	__type(value, __u32);
} job_slots_free SEC(".maps");

/* Slots below this were handed out once; user space takes them too (its job_slot_take()). */
__u32 job_slots_next;
const volatile __u32 targ_max_jobs = 4096;

/*
 * Host mode: the tasks each job id lost while `jobs` had no room for it. A
 * job made later (a slot freed) takes the count as its jobs_map_full, so
 * its report says it misses them; LRU, so ids of jobs never made age out
 * on a host that runs for days.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096); /* as jobs */
	__type(key, __u64);
	__type(value, __u64);
} jobs_refused SEC(".maps");

/* watch --pid roots for the attach iterator, keyed by tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct jt_attach_root);
} attach_roots SEC(".maps");

/* serve --control: the job and the process the adopt iterator is run for. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jt_adopt_req);
} adopt_req SEC(".maps");

/* watch --cgroup: cgroups (kernfs id) whose processes form a job. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct jt_watch_cgroup);
} watch_cgroups SEC(".maps");

/*
 * Processes the OOM killer chose, until their exit record takes what was
 * marked (at most this many at once: a mark that finds no room leaves the
 * exit record's oom_killed flag without its cgroup and RSS, which user
 * space then reports as not known).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct jt_proc_key);
	__type(value, struct jt_oom_mark);
} oom_victims SEC(".maps");

/*
 * For each process the OOM killer chose, the memory cgroup whose limit it
 * hit, as it was then (limit and path), for its exit record: user space
 * takes the entry when it reads the record, once the cgroup may be gone.
 * An entry whose record was lost stays; at most this many: a kill that
 * finds no room leaves user space to look the cgroup up itself.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct jt_proc_key);
	__type(value, struct jt_oom_cgroup);
} oom_cgroups SEC(".maps");

/*
 * An add to this CPU's copy of a job's totals (job_totals is per CPU) from
 * the fork, exec and exit paths: tp_btf programs, which run with preemption
 * disabled (the tracepoint's caller disables it; sched_switch also has
 * interrupts off) on a CPU they cannot leave. No program of this object runs
 * in interrupt context, so nothing else writes this CPU's copy between the
 * load and the store: a plain add is exact and spares a locked instruction.
 * Programs that can be preempted (the iterators, the syscall tracepoints,
 * fexit) keep __sync_fetch_and_add(), one instruction no preemption splits.
 * The user-space reader sees either value of a word, as it did before.
 */
#define tot_add(tot, field, v) ((tot)->field += (v))

/* A tracked task's job: its shared state and this CPU's totals. */
struct job_ref {
	struct jt_job *job;
	struct jt_job_totals *tot;
	__u32 slot; /* of `jobs` and `job_totals` */
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

/*
 * Every task pointer here is a BTF pointer (a tp_btf argument, an iterator's
 * task, bpf_get_current_task_btf(), or a field loaded from one): reading
 * through it directly compiles to plain loads the kernel guards with its
 * exception table, where BPF_CORE_READ() calls bpf_probe_read_kernel() for
 * every field and every hop. vmlinux.h's preserve_access_index keeps CO-RE.
 */
static __always_inline struct jt_proc_key proc_key_of(struct task_struct *t)
{
	struct jt_proc_key key = {
		.tgid = t->tgid,
		.start_ns = t->group_leader->start_boottime,
	};

	return key;
}

/*
 * @t's comm by two plain loads. The kernel keeps it NUL-padded
 * (__set_task_comm() uses strscpy_pad(), fork copies it whole), so this is
 * the string bpf_probe_read_kernel_str() would copy, without a helper that
 * copies byte by byte. @dst: JT_COMM_LEN bytes, 8-aligned in every record.
 */
_Static_assert(JT_COMM_LEN == 16, "comm_copy() copies two words");
_Static_assert(__builtin_offsetof(struct jt_exit_event, comm) % 8 == 0, "comm alignment");
_Static_assert(__builtin_offsetof(struct jt_fork_event, comm) % 8 == 0, "comm alignment");

static __always_inline void comm_copy(char *dst, struct task_struct *t)
{
	const __u64 *src = (const __u64 *)t->comm;

	((__u64 *)dst)[0] = src[0];
	((__u64 *)dst)[1] = src[1];
}

/* @pid's number in the pid namespace at @level (upid numbers[level]); NULL: none there. */
static __always_inline struct upid *upid_at(struct pid *pid, unsigned int level)
{
	if (!pid || level > MAX_PIDNS_LEVEL || BPF_CORE_READ(pid, level) < level)
		return NULL;
	return (void *)pid + bpf_core_field_offset(struct pid, numbers) +
	       level * bpf_core_type_size(struct upid);
}

/*
 * @t's tgid in the innermost pid namespace it lives in: what a container
 * calls it. The leader's pid is the process's, in every namespace.
 */
static __always_inline __u32 ns_pid_of(struct task_struct *t)
{
	struct pid *pid = t->group_leader->thread_pid;
	unsigned int level;
	struct upid *up;

	if (!pid)
		return 0;
	/* The host's namespace, the common case: numbers[0], a fixed offset. */
	level = pid->level;
	if (level == 0)
		return pid->numbers[0].nr;
	/* A variable index: the verifier takes no variable offset on a BTF pointer. */
	up = upid_at(pid, level);
	return up ? BPF_CORE_READ(up, nr) : 0;
}

/*
 * @t's tgid as the reader of an iterator (current, in its read()) numbers
 * it in its own pid namespace; 0 when @t is not visible there. watch --pid
 * in a container gives that number, and finds the process in /proc by it.
 */
static __always_inline __u32 reader_tgid_of(struct task_struct *t)
{
	struct task_struct *me = bpf_get_current_task_btf();
	struct pid *mine = BPF_CORE_READ(me, thread_pid);
	unsigned int level = BPF_CORE_READ(mine, level);
	struct upid *its, *ours;

	if (level == 0)
		return BPF_CORE_READ(t, tgid);
	its = upid_at(BPF_CORE_READ(t, group_leader, thread_pid), level);
	ours = upid_at(mine, level);
	if (!its || !ours || BPF_CORE_READ(its, ns) != BPF_CORE_READ(ours, ns))
		return 0;
	return BPF_CORE_READ(its, nr);
}

/*
 * Does @t live outside the reader's pid namespace (jobtrace in a
 * container; @t on the host, or in another container)? No task iterator of
 * the reader shows it: not the attach, not the live read, so not the
 * repair sweep either. Fixed for its life: a task never changes pid
 * namespace. Compared by the namespace's inode, as reader_ns found it.
 */
static __always_inline bool outside_reader_ns(struct task_struct *t)
{
	__u32 level;
	struct upid *up;

	if (!targ_reader_in_pidns)
		return false;
	level = reader_pidns_level;
	if (!level)
		return false;
	up = upid_at(BPF_CORE_READ(t, group_leader, thread_pid), level);
	return !up || BPF_CORE_READ(up, ns, ns.inum) != reader_pidns_ino;
}

/* The job @job_id if slot @slot holds it. */
static __always_inline bool job_at(__u32 slot, __u64 job_id, struct job_ref *ref)
{
	struct jt_job_slot *js = bpf_map_lookup_elem(&jobs, &slot);

	if (!js || !job_id || js->job_id != job_id)
		return false;
	ref->tot = bpf_map_lookup_elem(&job_totals, &slot);
	if (!ref->tot)
		return false;
	ref->job = &js->job;
	ref->slot = slot;
	return true;
}

/* The job @job_id, tried at @hint first (any value: JT_NO_JOB_SLOT, a stale one). */
static __always_inline bool job_find(__u64 job_id, __u32 hint, struct job_ref *ref)
{
	__u32 *slot;

	if (job_at(hint, job_id, ref))
		return true;
	slot = bpf_map_lookup_elem(&job_ids, &job_id);
	return slot && job_at(*slot, job_id, ref);
}

static __always_inline bool job_exists(__u64 job_id)
{
	return bpf_map_lookup_elem(&job_ids, &job_id);
}

static __always_inline bool job_lookup_at(__u64 job_id, __u32 hint, struct job_ref *ref)
{
	if (job_find(job_id, hint, ref))
		return true;
	COUNT(jobs_missing);
	return false;
}

static __always_inline bool job_lookup(__u64 job_id, struct job_ref *ref)
{
	return job_lookup_at(job_id, JT_NO_JOB_SLOT, ref);
}

/* A slot no job holds, its totals zero on every CPU; JT_NO_JOB_SLOT: none left. */
static __always_inline __u32 job_slot_take(void)
{
	__u32 slot;

	if (job_slots_next < targ_max_jobs) {
		slot = __sync_fetch_and_add(&job_slots_next, 1);
		if (slot < targ_max_jobs)
			return slot;
	}
	if (bpf_map_pop_elem(&job_slots_free, &slot))
		return JT_NO_JOB_SLOT;
	return slot;
}

/* Makes job @job_id in a free slot: 0, -EEXIST when another CPU made it first, or -E2BIG. */
static __always_inline long job_make(__u64 job_id)
{
	struct jt_job fresh = {
		.outlived_root = -1,
		.cgroup_hierarchy = targ_group == JT_GROUP_CGROUP ? targ_hierarchy_id : -1,
	};
	__u32 slot = job_slot_take();
	struct jt_job_slot *js;
	long err;

	js = bpf_map_lookup_elem(&jobs, &slot);
	if (!js)
		return -E2BIG;
	/* The clock is read for a job made, not at every fork into one that is. */
	fresh.created_ns = bpf_ktime_get_boot_ns();
	js->job = fresh;
	/* Its state first: a job is visible to readers once its id finds the slot. */
	__sync_lock_test_and_set(&js->job_id, job_id);
	err = bpf_map_update_elem(&job_ids, &job_id, &slot, BPF_NOEXIST);
	if (err) {
		/* Its totals were never written: the slot is free again as it was. */
		js->job_id = 0;
		bpf_map_push_elem(&job_slots_free, &slot, 0);
	}
	return err;
}

/*
 * Finds a host-mode job (at @hint first, as job_find()), making it on
 * first use; false when no slot is left for it.
 */
static __always_inline bool job_get_or_create_at(__u64 job_id, __u32 hint, struct job_ref *ref)
{
	__u64 one = 1, *refused;
	long err;

	if (job_find(job_id, hint, ref))
		return true;
	err = job_make(job_id);
	if (err && err != -EEXIST) {
		COUNT(jobs_map_full);
		refused = bpf_map_lookup_elem(&jobs_refused, &job_id);
		if (refused)
			__sync_fetch_and_add(refused, 1);
		else
			bpf_map_update_elem(&jobs_refused, &job_id, &one, BPF_NOEXIST);
		return false;
	}
	if (!job_lookup(job_id, ref))
		return false;
	/* Made now, after some of its tasks found no room: its report must say so. */
	refused = err ? NULL : bpf_map_lookup_elem(&jobs_refused, &job_id);
	if (refused) {
		__sync_fetch_and_add(&ref->tot->jobs_map_full, *refused);
		bpf_map_delete_elem(&jobs_refused, &job_id);
	}
	return true;
}

static __always_inline bool job_get_or_create(__u64 job_id, struct job_ref *ref)
{
	return job_get_or_create_at(job_id, JT_NO_JOB_SLOT, ref);
}

/* @p's I/O counters now become the base of what its job counts from here. */
static __always_inline void io_base_set(struct jt_task *st, struct task_struct *p)
{
	st->read_base = p->ioac.read_bytes;
	st->write_base = p->ioac.write_bytes;
	st->rchar_base = p->ioac.rchar;
	st->wchar_base = p->ioac.wchar;
}

/*
 * @now - @base, or 0 where @base is ahead. Without a branch: BPF has no
 * conditional move, and a ternary here is a jump that leaves two states
 * (a value and 0) for the verifier to walk on with; five in a row were 32
 * walks of all that follows them at every load. A counter of nanoseconds
 * or bytes never reaches 2^63, so the difference's sign bit says which.
 */
static __always_inline __u64 since(__u64 now, __u64 base)
{
	__u64 d = now - base;

	return d & ~(__u64)((__s64)d >> 63);
}

/* @p's I/O since it joined its job. */
static __always_inline void io_since_base(struct jt_acct *a, struct task_struct *p,
					  const struct jt_task *st)
{
	a->read_bytes = since(p->ioac.read_bytes, st->read_base);
	a->write_bytes = since(p->ioac.write_bytes, st->write_base);
	a->read_chars = since(p->ioac.rchar, st->rchar_base);
	a->write_chars = since(p->ioac.wchar, st->wchar_base);
}

/* The kernfs id of @cgrp, the number user space sees as the directory's inode. */
static __always_inline __u64 cgroup_id_of(struct cgroup *cgrp)
{
	return BPF_CORE_READ(cgrp, kn, id);
}

/*
 * The kernfs id of @t's cgroup in the hierarchy jobs are grouped by; 0:
 * none. Plain loads: targ_cgrp_ssid is read-only data, which the verifier
 * reads as a constant, so subsys[ssid] is a fixed offset it accepts on a
 * BTF pointer. A NULL on the way reads 0.
 */
static __always_inline __u64 task_cgroup_id(struct task_struct *t)
{
	__s32 ssid = targ_cgrp_ssid;

	if (ssid < 0)
		return t->cgroups->dfl_cgrp->kn->id;
	if (ssid >= CGROUP_SUBSYS_COUNT)
		return 0;
	return t->cgroups->subsys[ssid]->cgroup->kn->id;
}

/*
 * The cgroup @t's records name: in host mode grouped by a v1 hierarchy,
 * its cgroup there (its job's); else its v2 one, as bpf_get_current_cgroup_id()
 * would read it for @t. Every task has one (the root at least) on a kernel
 * with cgroups.
 */
static __always_inline __u64 record_cgroup_id(struct task_struct *t)
{
	if (targ_group != JT_GROUP_CGROUP)
		return t->cgroups->dfl_cgrp->kn->id;
	return task_cgroup_id(t);
}

/* Host mode's job ids: by tree, session, user or cgroup. */
#include "lineage_jobid.bpf.h"

static __always_inline void proc_count_new(struct job_ref *ref)
{
	__s64 alive = __sync_fetch_and_add(&ref->job->alive, 1) + 1;

	/* Below 1 the count is wrong already (an exit counted twice): no max of it. */
	if (alive > 0)
		atomic_max(&ref->job->max_alive, (__u64)alive);
}

/* Inserts @t's process; false when it was there already. */
static __always_inline bool proc_insert(struct task_struct *t, struct task_struct *parent,
					const struct job_ref *ref, __u64 job_id, __u32 flags)
{
	struct jt_job_totals *tot = ref->tot;
	struct jt_proc_key key = proc_key_of(t);
	struct jt_proc proc = {
		.job_id = job_id,
		.job_slot = ref->slot,
		.parent = proc_key_of(parent),
		.threads = 1,
		.flags = flags,
	};
	long err;

	if (outside_reader_ns(t))
		proc.flags |= JT_F_OUTSIDE_NS;
	err = proc_add(&key, &proc);
	if (err == -EEXIST)
		return false;
	if (err) {
		COUNT(procs_map_full);
		__sync_fetch_and_add(&tot->procs_map_full, 1);
	}
	return true;
}

/* A new process's lineage for the stream: counted apart from exit records (fork_records_*). */
static __always_inline void send_fork(struct task_struct *child, struct task_struct *parent,
				      struct jt_job_totals *tot, __u64 job_id)
{
	struct jt_proc_key pkey = proc_key_of(parent);
	struct jt_fork_event *e;

	e = ring_reserve(tot, RING_FORK, sizeof(*e));
	if (!e)
		return;
	e->version = JT_ABI_VERSION;
	e->type = JT_REC_FORK;
	e->size = sizeof(*e);
	e->job_id = job_id;
	e->pid = child->tgid;
	e->ppid = pkey.tgid;
	e->start_ns = child->start_boottime;
	e->parent_start_ns = pkey.start_ns;
	comm_copy(e->comm, child);
	e->ns_pid = ns_pid_of(child);
	e->pad = 0;
	e->cgroup_id = record_cgroup_id(child);
	ring_submit(e, tot, RING_FORK, false);
}

/*
 * Whose arguments a new task runs with until it execs: a thread, its
 * process's; a process, its parent's source when the parent never exec'd
 * either, else the parent itself. The parent's storage is already at
 * hand: a few stores per fork, no map operation.
 */
static __always_inline void args_src_inherit(struct jt_task *cst, const struct jt_task *pst,
					     struct task_struct *parent, bool thread)
{
	struct jt_proc_key pkey;

	if (pst && (thread || pst->args_src_start_ns)) {
		pkey.tgid = pst->args_src_tgid;
		pkey.start_ns = pst->args_src_start_ns;
		/* Kept apart from the loads below: clang would merge a map value's and a task's. */
		barrier_var(pkey.tgid);
		barrier_var(pkey.start_ns);
	} else if (thread) {
		return;
	} else {
		pkey = proc_key_of(parent);
	}
	cst->args_src_tgid = pkey.tgid;
	cst->args_src_start_ns = pkey.start_ns;
}

/* Where a task's state lives: task storage or its process's procs entry. */
#include "lineage_state.bpf.h"

static __always_inline int on_fork(struct task_struct *parent_t, struct task_struct *child_t)
{
	struct task_struct *parent = task_ro(parent_t), *child = task_ro(child_t);
	bool thread = child->tgid == parent->tgid, outside;
	struct jt_proc *proc, *pproc;
	struct jt_task *pst, *cst;
	struct jt_proc_key key;
	struct job_ref ref;
	__u32 slot_hint;
	__u64 job_id;

	JT_PROF_START();
	pst = state_of(parent_t, &pproc);
	/* The parent's job's slot, where its procs entry holds its state: its child's job mostly. */
	slot_hint = pproc ? pproc->job_slot : JT_NO_JOB_SLOT;
	JT_PROF(JT_PROF_FORK_STATE);
	if (targ_group == JT_GROUP_LINEAGE) {
		if (pst && pst->job_id)
			job_id = pst->job_id;
		else if (thread || !(job_id = outside_cgroup_job(child)))
			return 0;
		if (!job_lookup_at(job_id, slot_hint, &ref))
			return 0;
	} else {
		/* A new thread stays with its process; a process may start a job. */
		if (thread && pst && pst->job_id)
			job_id = pst->job_id;
		/* An adopted job keeps its tree, as run's does; once it is removed, host rules. */
		else if (pst && JT_JOB_KIND(pst->job_id) == JT_JOB_ADOPTED &&
			 job_exists(pst->job_id))
			job_id = pst->job_id;
		else
			job_id = host_job_id(child, parent, pst);
		if (!job_id || !job_get_or_create_at(job_id, slot_hint, &ref)) {
			COUNT(untracked);
			return 0;
		}
	}
	/*
	 * What a tracked process costs is mostly map work from here on, each
	 * part measured alone on this tracepoint (bpf_stats, a 6,000-child
	 * churn, less an empty program's 60 ns): task storage's creation
	 * 700-900 ns (a thread's alone now: a process's state goes in its
	 * procs entry), the insert into a hash 400-450 and the delete at the
	 * end 170-200 (an array's slot now: lineage_procs.bpf.h), the exit
	 * record's reserve and submit 250-270, the clock read 130-160. The
	 * reads around them are plain loads (issue 18).
	 */
	if (thread) {
		/* CLONE_THREAD: a thread of an existing process; the root's are the root. */
		if (pproc)
			pst = state_to_storage(parent_t, pst, pproc);
		cst = bpf_task_storage_get(&tasks, child_t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!cst) {
			COUNT(untracked);
			tot_add(ref.tot, untracked, 1);
			return 0;
		}
		cst->job_id = job_id;
		cst->cpu_base_ns = child->se.sum_exec_runtime;
		io_base_set(cst, child);
		args_src_inherit(cst, pst, parent, thread);
		if (pst)
			cst->flags |= pst->flags & JT_F_ROOT;
		tot_add(ref.tot, threads_started, 1);
		key = proc_key_of(child);
		proc = proc_find(&key);
		if (proc)
			__sync_fetch_and_add(&proc->threads, 1);
		return 0;
	}
	JT_PROF(JT_PROF_FORK_JOB);
	outside = outside_reader_ns(child);
	if (!fork_process(child_t, child, parent, pst, &ref, job_id,
			  outside ? JT_F_OUTSIDE_NS : 0)) {
		COUNT(untracked);
		tot_add(ref.tot, untracked, 1);
		return 0;
	}
	JT_PROF(JT_PROF_FORK_INSERT);
	tot_add(ref.tot, procs_started, 1);
	if (outside)
		tot_add(ref.tot, outside_ns, 1);
	proc_count_new(&ref);
	JT_PROF(JT_PROF_FORK_ALIVE);
	if (targ_fork_records)
		send_fork(child, parent, ref.tot, job_id);
	JT_PROF(JT_PROF_FORK_RECORD);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

/* Exec: a process's new name and arguments, its exec record. */
#include "lineage_exec.bpf.h"

/* Exit: the mark at sched_process_exit, the exit record at the close. */
#include "lineage_exit.bpf.h"

/* The I/O of an acct: also a task's share left behind in a job it moves out of. */
static __always_inline void acct_add_io(struct jt_acct *dst, const struct jt_acct *src)
{
	__sync_fetch_and_add(&dst->read_bytes, src->read_bytes);
	__sync_fetch_and_add(&dst->write_bytes, src->write_bytes);
	__sync_fetch_and_add(&dst->read_chars, src->read_chars);
	__sync_fetch_and_add(&dst->write_chars, src->write_chars);
}

/* Several threads of a process may close at once, on other CPUs. */
static __always_inline void acct_add(struct jt_acct *dst, const struct jt_acct *src)
{
	__sync_fetch_and_add(&dst->cpu_ns, src->cpu_ns);
	__sync_fetch_and_add(&dst->utime_ns, src->utime_ns);
	__sync_fetch_and_add(&dst->stime_ns, src->stime_ns);
	acct_add_io(dst, src);
}

/*
 * @p is gone for good: fold its final accounting into its process (@proc,
 * its procs entry at @key, if any) and its job. @st: a copy of its state,
 * on the stack, where task storage and a procs entry (state_of()) are one
 * kind of pointer: the verifier walks what follows once, not once for each.
 */
static __always_inline void close_thread(struct task_struct *p, const struct jt_task *st,
					 struct jt_proc *proc, const struct jt_proc_key *key)
{
	__u64 runtime = p->se.sum_exec_runtime;
	struct jt_acct acct = {
		.cpu_ns = since(runtime, st->cpu_base_ns),
		.utime_ns = p->utime,
		.stime_ns = p->stime,
	};
	struct job_ref ref;

	io_since_base(&acct, p, st);
	JT_PROF(JT_PROF_CLOSE_ACCT);
	if (!job_lookup_at(st->job_id, proc ? proc->job_slot : JT_NO_JOB_SLOT, &ref))
		goto out;
	JT_PROF(JT_PROF_CLOSE_JOB);
	tot_add(ref.tot, cpu_ns, acct.cpu_ns);
	jt_acct__add(&ref.tot->exited, &acct);
	/* One thread ever (the common process): no other adds here, no locked adds needed. */
	if (proc && proc->threads == 1)
		jt_acct__add(&proc->acct, &acct);
	else if (proc)
		acct_add(&proc->acct, &acct);
	JT_PROF(JT_PROF_CLOSE_ADD);
	if (st->group_dead) {
		/* A state in the entry goes with it: another process's may be there after. */
		send_exit(p, st, &ref, proc, key);
		return;
	}
out:
	/* The leader's own state in its entry (state_of()): closed, as storage is. */
	if (proc && proc->has_self && p->pid == p->tgid)
		proc->self.job_id = 0;
}

/*
 * Runs on every context switch of the host: a task that is not dying
 * returns after one load of its state, before any helper call, tracked or
 * not. Only a thread's last switch (TASK_DEAD) looks further.
 */
static __always_inline int on_switch_out(struct task_struct *prev)
{
	struct jt_proc *sproc, *proc;
	struct jt_proc_key key;
	struct task_struct *p;
	struct jt_task *st, copy;

	if (!(task_state_direct(prev) & TASK_DEAD))
		return 0;
	JT_PROF_START();
	st = state_of(prev, &sproc);
	if (!st || !st->job_id || !st->exiting)
		return 0;
	JT_PROF(JT_PROF_CLOSE_STATE);
	p = task_ro(prev);
	key = proc_key_of(p);
	copy = *st;
	if (sproc) {
		proc = sproc;
	} else {
		/* A TASK_DEAD task never runs again; its storage goes with it. */
		st->job_id = 0;
		proc = proc_find(&key);
	}
	JT_PROF(JT_PROF_CLOSE_COPY);
	close_thread(p, &copy, proc, &key);
	JT_PROF(JT_PROF_NONE);
	JT_PROF(JT_PROF_SELF);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(handle_switch, bool preempt, struct task_struct *prev)
{
	return on_switch_out(prev);
}

/* OOM kills: the OOM killer's victims marked for their exit records. */
#include "lineage_oom.bpf.h"

/* Moves: a cgroup move into or out of a followed cgroup, setsid(2), setuid(2). */
#include "lineage_moves.bpf.h"

/* The task iterators: the attach, the adoption, the live read; the repair's syscall. */
#include "lineage_iter.bpf.h"
