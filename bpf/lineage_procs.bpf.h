/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The process table: each tracked process's lineage and accounting
 * (struct jt_proc), found by (tgid, start time). proc_find(), proc_add()
 * and proc_delete() are every use of it.
 *
 * An array, `procs`, indexed by tgid modulo its size (a power of two the
 * loader sets: pid_max, at most PROC_SLOTS_MAX), and a hash, `procs_spill`,
 * for a process whose slot is taken. A pid names one live process, so where
 * pid_max fits the array, a slot is taken only by an entry not yet closed
 * when its pid comes round again, or one a missed exit left (the repair
 * sweep's to drop); with a larger pid_max, by another live process.
 *
 * Why not the hash alone (issue 18): a process costs its table three
 * lookups (its fork's parent, its exit, its last switch), an insert and a
 * delete, and a lookup of a process that has gone cold in the cache costs
 * a hash a bucket's line and then an element's. An array slot is one line,
 * and the verifier inlines the lookup. A 6,000-child churn, bpf_stats, a
 * fork, exit and switch program each way: the exit's lookup 1,060-1,530 ns
 * in a preallocated hash against 400-550 in an array; the fork's insert
 * 300-400 ns dearer in the array (its slot is cold, where the hash reuses
 * the element last freed); about 900 ns a process less in all.
 *
 * A slot is taken by a compare-and-swap of its start time from 0, marked
 * used, written, and published by `ready`; it is freed by the one caller
 * that swaps `ready` from 1 to 0, which proc_delete() reports, and unmarked
 * before its start time is cleared. A reader that still
 * holds a slot's pointer when it is freed and taken again writes into the
 * next process's entry: the hazard a preallocated hash's reused element
 * had too. Two processes with one start time and one slot cannot be told
 * apart while the first is being written: a start time is a nanosecond.
 * Part of bpf/lineage.bpf.c, which includes it after its helpers.
 */
#ifndef JOBTRACE_LINEAGE_PROCS_BPF_H
#define JOBTRACE_LINEAGE_PROCS_BPF_H

#define ENOENT 2
#define E2BIG 7

/* Slots - 1 (a power of two), and whether the spill hash is there (--max-procs). */
const volatile __u32 targ_proc_slot_mask = 32767;
const volatile bool targ_proc_spill = true;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32768); /* set by the loader: targ_proc_slot_mask + 1 */
	__type(key, __u32);
	__type(value, struct jt_proc_slot);
} procs SEC(".maps");

/* Allocated as used: used only where a slot is taken (see above). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096); /* set by the loader */
	__type(key, struct jt_proc_key);
	__type(value, struct jt_proc);
} procs_spill SEC(".maps");

/*
 * The slots in use, a byte each, written by whoever takes or frees one,
 * and the spill's count (jt_proc_used): an untracked leader's lookup at
 * its fork, exit and last switch reads a byte here, on a line the cache
 * keeps, and nothing of the task but its tgid. Reading its start time and
 * its cold slot first cost an untracked process 600 ns (tests/bench_bpf.sh
 * MODE="--pid IDLE"); now it costs what the self_slots count array did.
 * Mappable: a test plants a slot through it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jt_proc_used);
} procs_used SEC(".maps");

static __always_inline struct jt_proc_slot *proc_slot(__u32 tgid)
{
	__u32 i = tgid & targ_proc_slot_mask;

	return bpf_map_lookup_elem(&procs, &i);
}

/* The byte of @tgid's slot in procs_used. */
static __always_inline __u8 *proc_used(__u32 tgid)
{
	struct jt_proc_used *u;
	__u32 zero = 0;

	u = bpf_map_lookup_elem(&procs_used, &zero);
	if (!u)
		return NULL;
	return &u->used[tgid & targ_proc_slot_mask & (JT_PROC_SLOTS_MAX - 1)];
}

/* How many entries procs_spill holds: a lookup there only where it holds any. */
static __always_inline __s64 *procs_spilled_count(void)
{
	struct jt_proc_used *u;
	__u32 zero = 0;

	u = bpf_map_lookup_elem(&procs_used, &zero);
	return u ? &u->spilled : NULL;
}

static __always_inline bool slot_holds(const struct jt_proc_slot *s, const struct jt_proc_key *key)
{
	return s->start_ns == key->start_ns && s->tgid == key->tgid && s->ready;
}

/*
 * Whether the table may hold a process of @tgid: its slot is in use, or the
 * spill holds any. False spares the caller reading anything more of the
 * task (its start time is on a line of its own) for the host's untracked
 * processes.
 */
static __always_inline bool proc_maybe(__u32 tgid)
{
	__u8 *used = proc_used(tgid);
	__s64 *n = procs_spilled_count();

	return (used && *used) || (n && *n > 0);
}

/* The entry of the process @key; NULL: not in the table. */
static __always_inline struct jt_proc *proc_find(const struct jt_proc_key *key)
{
	__u8 *used = proc_used(key->tgid);
	struct jt_proc_slot *s;
	__s64 *n;

	if (used && *used) {
		s = proc_slot(key->tgid);
		if (s && slot_holds(s, key))
			return &s->proc;
	}
	n = procs_spilled_count();
	if (!n || *n <= 0)
		return NULL;
	return bpf_map_lookup_elem(&procs_spill, key);
}

/*
 * Adds @proc as the entry of @key: 0, or -EEXIST when it is there already
 * (or being added by another CPU), -E2BIG when there is no room, -ENOMEM
 * when the spill could not allocate one.
 */
static __always_inline long proc_add(const struct jt_proc_key *key, const struct jt_proc *proc)
{
	struct jt_proc_slot *s = proc_slot(key->tgid);
	__s64 *n = procs_spilled_count();
	__u8 *used = proc_used(key->tgid);
	__u64 owner;
	long err;

	if (!s || !n || !used)
		return -E2BIG;
	if (*n > 0 && bpf_map_lookup_elem(&procs_spill, key))
		return -EEXIST;
	owner = __sync_val_compare_and_swap(&s->start_ns, 0, key->start_ns);
	if (!owner) {
		*used = 1;
		s->tgid = key->tgid;
		s->proc = *proc;
		/* An exchange orders the writes above before it, on every architecture. */
		__sync_lock_test_and_set(&s->ready, 1);
		return 0;
	}
	if (owner == key->start_ns)
		return -EEXIST;
	if (!targ_proc_spill)
		return -E2BIG;
	err = bpf_map_update_elem(&procs_spill, key, proc, BPF_NOEXIST);
	if (!err)
		__sync_fetch_and_add(n, 1);
	return err;
}

/* Deletes @key's entry; 0: this call took it (several may try: one counts it). */
static __always_inline long proc_delete(const struct jt_proc_key *key)
{
	struct jt_proc_slot *s = proc_slot(key->tgid);
	__u8 *used = proc_used(key->tgid);
	__s64 *n;
	long err;

	if (s && used && s->start_ns == key->start_ns && s->tgid == key->tgid) {
		if (__sync_val_compare_and_swap(&s->ready, 1, 0) != 1)
			return -ENOENT;
		/* Before the slot is free: the exchange orders it before the next taker's 1. */
		*used = 0;
		__sync_lock_test_and_set(&s->start_ns, 0);
		return 0;
	}
	n = procs_spilled_count();
	if (!n || *n <= 0)
		return -ENOENT;
	err = bpf_map_delete_elem(&procs_spill, key);
	if (!err)
		__sync_fetch_and_add(n, -1);
	return err;
}

#endif
