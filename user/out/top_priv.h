/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The top view's model, shared by its two files: top_model.c keeps it from
 * the records and takes the snapshots, top_frame.c makes a frame's lines of
 * a snapshot. Not for anything else: include/jobtrace/top.h.
 */
#ifndef JOBTRACE_TOP_PRIV_H
#define JOBTRACE_TOP_PRIV_H

#include <stdbool.h>
#include <time.h>

#include "jobtrace/collector.h"
#include "jobtrace/hmap.h"
#include "jobtrace/top.h"

#define TOP_KEY_LEN 300 /* as struct cjob's key */

struct top_exit {
	__u32 pid;
	int status; /* wait(2) status */
	char comm[JT_COMM_LEN + 1];
	__u64 cpu_ns;
	double duration_s;
};

struct top_row {
	__u64 id;
	char key[TOP_KEY_LEN];
	__u64 alive, failed;
	double started_ps, exited_ps, cpu_pct, io_bps;
	__u64 rss_bytes;
	char command[JT_COMM_LEN + 1]; /* the job's top command by CPU, of its exits */
	/* Its live process with the most CPU over the last sample; ties: the lowest pid. */
	__u32 busiest;
	double busiest_pct;
	__u32 comm_pid; /* whose comm live_comm holds: read again only when busiest changes */
	char live_comm[sizeof(((struct live_record *)0)->comm)];
	struct top_exit exits[TOP_EXITS]; /* a ring: exits[nexits % TOP_EXITS] is next */
	__u64 nexits;
	/*
	 * What its intervals since the last host record said. The host record
	 * closes the frame: the rates are these over its interval, what the
	 * job did in the frame, whether it lived through it, began in it or
	 * ended in it (then none: an ended job does nothing).
	 */
	struct {
		__u64 started, exited, failed, io_bytes;
		double cpu_ns; /* each interval's within its cpu_cap */
		__u32 cpu_cap; /* the largest of the intervals'; 0: one had none */
		unsigned int intervals;
		__u64 t0_ns, t1_ns; /* the span of the intervals */
	} frame;
	bool have_interval; /* a host record closed one of its intervals: it has rates */
	__u64 last_interval_ns; /* its last interval's t1 */
	bool ended;
	unsigned int ended_snaps; /* snapshots that showed it ended */
};

/* A live process: its threads' CPU summed at the last two samples. */
struct top_proc {
	__u32 tgid;
	__u32 threads;
	__u64 job_id;
	__u64 cur_ns, prev_ns; /* the samples' CLOCK_MONOTONIC; prev 0: unknown */
	__u64 cur_cpu, prev_cpu;
	__u64 rss_bytes;
	double cpu_pct; /* < 0: unknown */
	bool have_stat; /* its leader's record carried ppid and comm */
	__u32 ppid;
	char comm[sizeof(((struct live_record *)0)->comm)];
};

struct top_host {
	bool valid;
	__u32 unknown; /* HOST_RECORD_NO_*: shown as "?" */
	double cpu_busy_pct, cpu_user_pct, cpu_system_pct, cpu_iowait_pct;
	unsigned int ncpus;
	__u64 mem_total, mem_used, mem_avail, swap_total, swap_used;
	double load1, load5, load15;
	double forks_ps, exits_ps;
	__u64 running, blocked, lost;
	double t1_epoch_s, interval_s; /* the record's end and length */
};

/* A live process of the expanded job, with its place in the tree. */
struct tree_node {
	__u32 pid, ppid;
	char comm[sizeof(((struct live_record *)0)->comm)];
	double cpu_pct;
	__u64 rss_bytes;
	__u32 threads;
	int depth;
	bool done;
};

struct top_model {
	long page_size;

	/* What the records say, updated as they come. */
	struct top_row **rows;
	size_t nrows, rows_cap;
	struct top_row *last_row; /* records of one job come in runs */
	struct hmap procs;	  /* the live processes by tgid: top_model.c's struct live_proc */
	__u64 last_sample_ns, swept_ns, prev_sample_ns;
	struct top_host host;
	__u64 interval_exited;
	__u64 host_t1_ns; /* the last host record's t1 */
	bool frame_due;
	double closed_dt; /* the frame the last host record closed: its length; 0: none */
	bool ended_unseen; /* a job ended since the last snapshot */

	/* What frames show: a snapshot (kept while paused). */
	struct top_row *snap;
	size_t nsnap, snap_cap, nsnap_ended;
	struct top_proc *snap_procs; /* the live processes, for the expanded tree */
	size_t nsnap_procs, snap_procs_cap;
	struct top_host snap_host;
	double snap_interval_s;
	time_t snap_time;
	unsigned long snap_gen;

	/* The expanded job's tree, built once per snapshot and job. */
	struct tree_node *tree;
	size_t ntree;
	__u64 tree_job;
	unsigned long tree_gen;

	/* The frame being built, and the view it is built for. */
	const struct top_view *v;
	struct top_line *lines;
	size_t nlines, lines_cap;
	bool lines_short; /* a line could not be added: no memory */
};

#endif
