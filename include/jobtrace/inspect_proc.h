/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One process in full: everything /proc and the kernel tell about it, as
 * psutil's Process gives it, read once (psutil's oneshot) by
 * user/collect/inspect_sample.c and written by user/out/inspect_out.c.
 * A part that cannot be read (another user's io, a kernel thread's exe)
 * is reported as unavailable with its errno; it does not fail the rest.
 */
#ifndef JOBTRACE_INSPECT_PROC_H
#define JOBTRACE_INSPECT_PROC_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdio.h>

#include "jobtrace/json.h"
#include "jobtrace/netsock.h"
#include "jobtrace/proc_fd.h"
#include "jobtrace/proc_limits.h"
#include "jobtrace/proc_maps.h"
#include "jobtrace/proc_pid.h"

struct inspect_options {
	bool json;
	bool maps;		/* smaps grouped by path: costly, on request */
	bool environ;		/* the environment: may hold secrets, on request */
	bool live;		/* the proc root is this host's: syscalls about the pid apply */
	unsigned int interval_ms;	/* > 0: measure the CPU rate over this long */
	long ticks_per_sec;
	long page_size;
	unsigned long long boot_epoch_ns;	/* CLOCK_REALTIME at boot */
	unsigned long long mem_total_bytes;	/* 0: unknown, no memory percent */
};

struct inspect_thread {
	int tid;
	char state;
	int processor;
	unsigned long long utime_ticks;
	unsigned long long stime_ticks;
	char comm[PROC_COMM_MAX];
	unsigned int comm_len;
};

/* The parts read independently; each has its own error. */
enum inspect_part {
	INSPECT_STATUS, INSPECT_STATM, INSPECT_SMAPS, INSPECT_IO, INSPECT_EXE, INSPECT_CWD,
	INSPECT_CMDLINE, INSPECT_ENVIRON, INSPECT_CGROUP, INSPECT_LIMITS, INSPECT_FDS,
	INSPECT_CONNS, INSPECT_MAPS, INSPECT_AFFINITY, INSPECT_IONICE, INSPECT_THREADS,
	INSPECT_CHILDREN, INSPECT_CPU_PERCENT, INSPECT_PARTS,
};

struct inspect_proc {
	int pid;
	int err[INSPECT_PARTS];		/* 0, or the negative errno that part failed with */
	bool asked[INSPECT_PARTS];	/* false: not read (not requested, or not live) */
	struct proc_stat_fields stat;
	struct proc_status status;
	struct proc_statm statm;
	struct proc_smaps_rollup smaps;
	struct proc_io io;
	struct proc_link exe;
	struct proc_link cwd;
	struct proc_cmdline cmdline;
	struct proc_cmdline environ;
	struct proc_cgroup cgroup;
	struct proc_limits limits;
	struct proc_fd_list fds;
	struct netsock_conns conns;
	struct proc_maps maps;
	__u32 *cpus;			/* Cpus_allowed_list */
	size_t ncpus;
	int ioprio_class;		/* IOPRIO_CLASS_*: 0 none, 1 rt, 2 be, 3 idle */
	int ioprio_level;
	struct inspect_thread *threads;	/* by tid */
	size_t nthreads;
	int *children;			/* pids, sorted */
	size_t nchildren;
	double cpu_percent;		/* of one CPU, over interval_ms; may exceed 100 */
	char username[64];		/* of the real uid; "" when it has no name */
	char name[256];			/* comm, or the cmdline's program when comm was cut */
	char tty[32];
};

/*
 * What inspect__collect() takes of the host, read once into @o: clock
 * ticks, page size, boot time, and MemTotal from @proc_fd's meminfo.
 */
void inspect__read_host(int proc_fd, struct inspect_options *o);
/*
 * Reads everything about @pid under @proc_fd. -ESRCH when the process is
 * gone (its stat is), which is the only failure; any other part's failure
 * lands in out->err. Free with inspect_proc__free, also after an error.
 */
int inspect__collect(int proc_fd, int pid, const struct inspect_options *o,
		     struct inspect_proc *out);
void inspect_proc__free(struct inspect_proc *p);

void inspect__write_json(struct json_writer *w, const struct inspect_proc *p,
			 const struct inspect_options *o);
void inspect__write_text(FILE *f, const struct inspect_proc *p, const struct inspect_options *o);

#ifdef __cplusplus
}
#endif

#endif
