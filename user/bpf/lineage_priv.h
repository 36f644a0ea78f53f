/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The lineage loader's state, shared by user/bpf/lineage.c (load, maps,
 * ring) and user/bpf/lineage_iter.c (the task iterators' reads), as
 * bpf/lineage.bpf.c and bpf/lineage_iter.bpf.h share the object.
 */
#ifndef JOBTRACE_LINEAGE_PRIV_H
#define JOBTRACE_LINEAGE_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "jobtrace/lineage.h"
#include "lineage.skel.h"

struct lineage {
	struct lineage_bpf *skel;
	struct ring_buffer *ring;
	lineage_exit_fn on_exit;
	lineage_exec_fn on_exec;
	lineage_fork_fn on_fork;
	void *ctx;
	__u64 *malformed;
	int ncpus;
	char *iter_buf; /* what the last iterator read returned */
	size_t iter_cap;
	char *live_buf; /* lineage__read_live()'s, LIVE_BUF_BYTES */
	bool oom_marks; /* the OOM killer's victims are marked (oom/mark_victim) */
	__u32 max_jobs; /* slots of `jobs` and `job_totals` */
};

/*
 * A job's slot of `jobs` and `job_totals`, found by its id in `job_ids`
 * (bpf/lineage.bpf.c): 0, or -ENOENT. _read() gives its shared state too;
 * _write() writes it back in @slot.
 */
int lineage_job__slot(struct lineage *lt, __u64 job_id, __u32 *slot);
int lineage_job__read(struct lineage *lt, __u64 job_id, __u32 *slot, struct jt_job *job);
int lineage_job__write(struct lineage *lt, __u64 job_id, __u32 slot, const struct jt_job *job);

/* The tracefs events of the setsid and setuid tracepoint programs. */
#define TRACEFS "/sys/kernel/tracing"
#define SETSID_EVENT "events/syscalls/sys_exit_setsid"
#define SETUID_EVENT "events/syscalls/sys_exit_setuid"

/* What a process that may not load BPF here can do instead. */
#define BPF_ELSEWHERE                                                                     \
	"run jobtrace as root of the host, or let run and watch --pid go through a host's " \
	"jobtrace serve --control (any user, no privileges; see jobtrace(8))"

struct kernel_btf;

/* user/bpf/lineage_kernel.c: what the running kernel permits and has. */
int lineage_kernel__privileges(void);
bool lineage_kernel__exit_has_group_dead(const struct kernel_btf *vmlinux);
bool lineage_kernel__oom_tp_has_task(const struct kernel_btf *vmlinux);
int lineage_kernel__tracefs_ensure(const char *event);
bool lineage_kernel__fexit_attaches(int id);
__s32 lineage_kernel__cgroup_ssid(const struct kernel_btf *vmlinux, const char *controller,
				  __s32 line_ssid, bool verbose);

#endif
