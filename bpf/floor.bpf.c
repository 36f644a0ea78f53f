// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of tests/bench_bpf.sh: an empty program on the tracepoint every
 * context switch runs. Attached beside the programs the bench measures, its
 * ns per call under kernel.bpf_stats_enabled is what the stats themselves
 * cost a call here (their two clock reads and the call), the part of every
 * program's figure that no change to the program can take away.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sched_switch")
int BPF_PROG(floor_switch, bool preempt, struct task_struct *prev)
{
	return 0;
}
