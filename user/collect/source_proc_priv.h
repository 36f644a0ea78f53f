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

#define CHARGE_BUCKETS 1024 /* a power of two */
#define CHARGES_PRUNE_MIN 64

/* The four I/O counters of /proc/PID/io that a record carries. */
struct pio {
	__u64 read_bytes, write_bytes; /* storage */
	__u64 rchar, wchar; /* read(2)/write(2) */
};

struct pproc {
	__u32 tgid, ppid;
	__u64 start_ns, parent_start_ns; /* CLOCK_BOOTTIME */
	__u64 job_id;
	__u64 base_cpu_ns; /* CPU before it joined (found at the attach) */
	__u64 last_cpu_ns, last_utime_ns, last_stime_ns; /* the last read of it, all time */
	/*
	 * Its I/O (source_proc_io.c): io_whole is the last read of
	 * /proc/PID/io, which holds the whole figures of every child it has
	 * reaped; io_base what it held when it joined (found at the attach:
	 * not the job's); io_charged what its children's own records counted
	 * of those, and what the attach found in zombie children it had yet
	 * to reap (reaped, or ended and not seen reaped yet: npending of them).
	 */
	struct pio io_whole, io_base, io_charged;
	__u32 npending;
	__u8 reaped_by_us; /* run: we reaped it before its exit message came */
	__u64 peak_rss_bytes; /* the largest RSS a sample saw */
	__u32 threads;
	__u32 ns_pid; /* NSpid's last field: its pid in its own namespace; 0: not read */
	__u64 cgroup_id; /* its v2 cgroup's inode (kernfs id), as the BPF records give it */
	__u8 flags; /* JT_F_* */
	__u8 is_root;
	char comm[JT_COMM_LEN];
	struct pproc *next;
};

/*
 * A member that ended and was counted, whose parent (a member) has not been
 * seen to reap it: until it does, its figures are not in the parent's.
 */
struct pcharge {
	__u32 tgid, parent_tgid;
	__u64 start_ns;
	__u64 parent_start_ns; /* the charged process's, so a pid used again is not it */
	struct pio io; /* what its record and its subtree's counted: what the reaper gets */
	struct pcharge *next;
};

struct pjob {
	__u64 id;
	struct jt_job_stats st;
	bool run_root; /* run's job: our children are its processes */
	bool peak_from_children; /* its last job_stats' peak RSS: our children's ru_maxrss */
};

/*
 * A process of @j found gone with no exit message (lost in an overflow, its
 * pid reused): counted exited, and the job's last exit no earlier than
 * @by_boot_ns (CLOCK_BOOTTIME), by when it had gone. A stamp of an exit
 * before it would end the job too early, at a sample that still saw the
 * process, or at an earlier exit.
 */
static inline void pjob__exit_unseen(struct pjob *j, __u64 by_boot_ns)
{
	j->st.procs_exited++;
	j->st.alive--;
	if (by_boot_ns > j->st.last_exit_ns)
		j->st.last_exit_ns = by_boot_ns;
}

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
	struct pcharge *charges[CHARGE_BUCKETS];
	size_t ncharges, charges_prune_at;
	bool exit_parents; /* the kernel names the parent in exit messages (4.18 on) */
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

/* source_proc_io.c: a process's own I/O, its children's reaped figures taken off. */
void source_proc__io_read(struct pproc *p, const struct proc_io *io);
void source_proc__io_joined(struct pproc *p);
void source_proc__io_charge_zombie(struct proc_src *s, struct pproc *parent, __u32 tgid,
				   __u64 start_ns);
void source_proc__io_own(const struct pproc *p, struct pio *out);
void source_proc__io_settle(struct proc_src *s, struct pproc *p);
void source_proc__io_charge(struct proc_src *s, struct pproc *p, __u32 parent_tgid, bool gone);
void source_proc__io_reaped_by_us(struct proc_src *s, __u32 tgid);
void source_proc__io_gone_unseen(struct proc_src *s, struct pproc *p);
void source_proc__io_free(struct proc_src *s);

#endif
