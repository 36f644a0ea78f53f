/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF-free source's state, shared by its own files (source_proc.c:
 * the connector's events and the source_ops; source_proc_scan.c: the /proc
 * scans of the attach and of the resync after lost messages).
 */
#ifndef JOBTRACE_SOURCE_PROC_PRIV_H
#define JOBTRACE_SOURCE_PROC_PRIV_H

#include <stdbool.h>
#include <sys/types.h>

#include "jobtrace/cn_proc.h"
#include "jobtrace/collector.h"
#include "jobtrace/proc_pid.h"

#define NBUCKETS 4096 /* a power of two */
#define MAX_JOBS 64 /* run has one, watch --pid at most 64 */
#define MAX_ATTACH_ROOTS 64
#define RECV_BUF_BYTES 65536
/* The socket's queue: as root the kernel lets us ask past rmem_max. */
#define SOCK_RCVBUF_BYTES (8 << 20)

struct pproc {
	__u32 tgid, ppid;
	__u64 start_ns, parent_start_ns; /* CLOCK_BOOTTIME */
	__u64 job_id;
	__u64 base_cpu_ns; /* CPU before it joined (found at the attach) */
	__u64 last_cpu_ns, last_utime_ns, last_stime_ns; /* the last read of it, all time */
	__u64 last_read_bytes, last_write_bytes;
	__u64 peak_rss_bytes; /* the largest RSS a sample saw */
	__u32 threads;
	__u32 ns_pid; /* NSpid's last field: its pid in its own namespace; 0: not read */
	__u64 cgroup_id; /* its v2 cgroup's inode (kernfs id), as the BPF records give it */
	__u8 flags; /* JT_F_* */
	__u8 is_root;
	char comm[JT_COMM_LEN];
	struct pproc *next;
};

struct pjob {
	__u64 id;
	struct jt_job_stats st;
	bool run_root; /* run's job: our children are its processes */
};

struct attach_root {
	__u64 job_id;
	pid_t pid;
	__u64 start_ns, slack_ns;
};

struct proc_src {
	int sock, proc_fd;
	int cgroup2_fd; /* the v2 hierarchy's mount, to stat a process's cgroup; -1: none */
	struct cn_proc_seq seq;
	struct pproc *buckets[NBUCKETS];
	struct pjob jobs[MAX_JOBS];
	size_t njobs;
	struct attach_root roots[MAX_ATTACH_ROOTS];
	size_t nroots;
	struct jt_counters counters;
	__u64 overruns; /* ENOBUFS: the queue overflowed */
	__u64 tick_ns, page_size;
	__u64 mono_to_boot_ns;
	bool capture_args;
	struct collector *c;
	char buf[RECV_BUF_BYTES] __attribute__((aligned(8)));
};

struct proc_src *source_proc__of(struct collector *c);
void source_proc__job_count_new(struct pjob *j);
struct pjob *source_proc__job_find(struct proc_src *s, __u64 id);
struct pproc *source_proc__add(struct proc_src *s, __u32 tgid);
struct pproc *source_proc__find(struct proc_src *s, __u32 tgid);
bool source_proc__read(struct proc_src *s, struct pproc *p, struct proc_stat_fields *st);
void source_proc__remove(struct proc_src *s, struct pproc *gone);
bool source_proc__same_process(const struct proc_src *s, const struct pproc *p,
			       const struct proc_stat_fields *st);
__u64 source_proc__start_ns_of(const struct proc_src *s, const struct proc_stat_fields *st);
void source_proc__resync(struct proc_src *s);
int source_proc__attach_existing(struct collector *c);

#endif
