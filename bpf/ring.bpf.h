/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ring buffer to user space and the one wrapper every write goes through:
 * it counts records sent and lost, per CPU and per job, so that loss is data
 * that reaches every report.
 */
#ifndef JOBTRACE_RING_BPF_H
#define JOBTRACE_RING_BPF_H

#include <bpf/bpf_helpers.h>
#include "jobtrace/lineage.h"

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

/*
 * @tot: the job's totals when the record is one of its exit records (its
 * events.sent and events.lost); NULL for an exec record, whose loss costs
 * arguments only and is counted apart (exec_records_lost).
 */
static __always_inline void *ring_reserve(struct jt_job_totals *tot, __u64 size)
{
	void *rec = bpf_ringbuf_reserve(&events, size, 0);

	if (!rec) {
		if (tot) {
			COUNT(events_lost);
			__sync_fetch_and_add(&tot->events_lost, 1);
		} else {
			COUNT(exec_records_lost);
		}
	}
	return rec;
}

/*
 * Wakeups cost the reader a context switch each: batch them unless the record
 * is urgent (the reader waits for it) or enough data is pending.
 */
static __always_inline void ring_submit(void *rec, struct jt_job_totals *tot, bool urgent)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (urgent || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= targ_wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (tot) {
		COUNT(events_sent);
		__sync_fetch_and_add(&tot->events_sent, 1);
	}
	bpf_ringbuf_submit(rec, flags);
}

#endif
