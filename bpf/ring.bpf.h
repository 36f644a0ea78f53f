/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ring buffer to user space and the one wrapper every write goes through:
 * it counts records sent and lost, per CPU and per job, each kind of record
 * apart, so that loss is data that reaches every report and each report can
 * say what it misses (an exit record: a process's detail; a fork record: a
 * stream reader's lineage; an exec record: arguments).
 */
#ifndef JOBTRACE_RING_BPF_H
#define JOBTRACE_RING_BPF_H

#include <bpf/bpf_helpers.h>
#include "jobtrace/lineage_abi.h"

/* Bytes pending in the ring before a writer wakes the reader up early. */
const volatile __u64 targ_wakeup_bytes = 64 * 1024;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024); /* resized by the loader (--ring-kb) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jt_counters);
} counters SEC(".maps");

static __always_inline struct jt_counters *counters_this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counters, &zero);
}

#define COUNT(field)                                                                   \
	do {                                                                           \
		struct jt_counters *__c = counters_this_cpu();                        \
		if (__c)                                                               \
			__c->field++;                                                  \
	} while (0)

/* Which of a job's counters a record's fate goes to. */
enum ring_kind {
	RING_EXIT, /* events_sent, events_lost: exit records alone, as reports call them */
	RING_FORK, /* fork_records_sent, fork_records_lost */
	RING_EXEC, /* exec_records_lost */
};

/*
 * @tot: the job's totals (this CPU's copy), where the record's job has one;
 * else only the global count. Every caller is a tp_btf program of the fork,
 * exec or exit path, which no program that writes @tot can preempt: plain
 * adds, as the per-CPU counters take (tot_add() in lineage.bpf.c says why).
 */
static __always_inline void ring_count_lost(struct jt_job_totals *tot, enum ring_kind kind)
{
	switch (kind) {
	case RING_EXIT:
		COUNT(events_lost);
		if (tot)
			tot->events_lost++;
		break;
	case RING_FORK:
		COUNT(fork_records_lost);
		if (tot)
			tot->fork_records_lost++;
		break;
	case RING_EXEC:
		COUNT(exec_records_lost);
		if (tot)
			tot->exec_records_lost++;
		break;
	}
}

static __always_inline void ring_count_sent(struct jt_job_totals *tot, enum ring_kind kind)
{
	if (kind == RING_EXIT) {
		COUNT(events_sent);
		if (tot)
			tot->events_sent++;
	} else if (kind == RING_FORK) {
		COUNT(fork_records_sent);
		if (tot)
			tot->fork_records_sent++;
	}
}

static __always_inline void *ring_reserve(struct jt_job_totals *tot, enum ring_kind kind,
					  __u64 size)
{
	void *rec = bpf_ringbuf_reserve(&events, size, 0);

	if (!rec)
		ring_count_lost(tot, kind);
	return rec;
}

/*
 * Wakeups cost the reader a context switch each: batch them unless the record
 * is urgent (the reader waits for it) or enough data is pending.
 */
static __always_inline __u64 ring_wakeup(bool urgent)
{
	if (urgent || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= targ_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void ring_submit(void *rec, struct jt_job_totals *tot,
					enum ring_kind kind, bool urgent)
{
	__u64 flags = ring_wakeup(urgent);

	ring_count_sent(tot, kind);
	bpf_ringbuf_submit(rec, flags);
}

/*
 * @rec, built apart, copied into the ring at once. The reader gets records
 * in the order they were reserved, and one not yet committed holds back
 * every record after it: a record that takes long to fill (an exec's
 * arguments and path walk, microseconds) is built in a scratch area and
 * only copied in, so that it holds back none of the exit records that
 * other CPUs send meanwhile.
 */
static __always_inline void ring_output(void *rec, __u64 size, struct jt_job_totals *tot,
					enum ring_kind kind, bool urgent)
{
	if (bpf_ringbuf_output(&events, rec, size, ring_wakeup(urgent)))
		ring_count_lost(tot, kind);
	else
		ring_count_sent(tot, kind);
}

#endif
