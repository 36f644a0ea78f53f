/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The stream: jobtrace serve's records for other agents on the host, in a
 * shared-memory ring (a file in /dev/shm) that any number of readers map
 * read-only, each at its own pace. The writer never waits for a reader and
 * does not know who reads; a reader that falls behind learns exactly how many
 * records it missed; a writer restart replaces the file and readers notice.
 *
 * This header is an ABI, for libjobtrace and for readers in any language:
 * fixed-width little-endian fields, explicit padding, every size asserted,
 * a type and a version at the head of every record. jobtrace-stream(5)
 * has the design; libjobtrace(3) the reader's API.
 *
 * The file: one header page (struct jt_stream_meta), then the data area of
 * `capacity` bytes, a power of two. Records are 8-byte aligned and never
 * wrap: where one would not fit before the end, a JT_STREAM_PAD record fills
 * the rest. Positions (tail, latest, ...) grow without wrapping; a record
 * at position P lives at offset P & (capacity - 1) of the data area.
 *
 * Writing a record, as Agrona's broadcast transmitter does: tail_intent is
 * set to where the tail will be, then the record is written, then latest
 * (its position) and tail (release). A reader copies a record out and then
 * checks that it was not overwritten meanwhile: it was intact when
 * position + capacity > tail_intent, read after the copy (acquire).
 */
#ifndef JOBTRACE_STREAM_H
#define JOBTRACE_STREAM_H

/*
 * C++ spells C11's _Static_assert static_assert (a C++ agent includes this
 * header too: the reader's API below is extern "C"); undone at the end.
 */
#if defined(__cplusplus) && !defined(_Static_assert)
#define _Static_assert static_assert
#define JOBTRACE_STREAM_H_STATIC_ASSERT
#endif

#include <linux/types.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the jobtrace stream is little-endian; a big-endian reader must convert"
#endif

#define JT_STREAM_MAGIC 0x4d52545342544a00ULL /* "\0JTBSTRM" read as a __u64 */
/*
 * 2: lineage carries ns_pid and the cgroup (fork and exit records grew 16 bytes)
 * 3: each kind of ring loss its own counter: interval records grew
 *    exit_records_lost, fork_records_lost, exec_records_lost (24 bytes); the
 *    host record's events_lost, which counted fork records too, became
 *    exit_records_lost, with fork_records_lost and exec_records_lost after it
 * 4: a job's end is a record (JT_STREAM_JOB_END, its final report), and the
 *    header page carries the writer's heartbeat and pid namespace, so that a
 *    reader can tell a writer that died (kill -9) from one that is quiet
 * 5: one record model with the JSON lines: an interval carries its job's
 *    incomplete reasons and unknown figures (24 bytes more); JT_STREAM_TEXT
 *    carries the JSON lines that have no fixed layout (a job's whole report,
 *    a system sample) in parts; every record's time is the collector's
 *    stamp, so a JSON line rebuilt from the stream is the line serve wrote;
 *    JT_STREAM_OOM before the exit record of a process the OOM killer took;
 *    a job's end carries its OOM kills (8 bytes more); an exit its uid and
 *    gid (8 bytes more)
 */
#define JT_STREAM_VERSION 5
#define JT_STREAM_META_SIZE 4096 /* the header page; the data area follows it */
#define JT_STREAM_DEFAULT_PATH "/dev/shm/jobtrace.stream"
#define JT_STREAM_KEY_LEN 128 /* job key bytes, NUL-padded */
#define JT_STREAM_COMM_LEN 16
#define JT_STREAM_ARGS_LEN 384 /* NUL-separated argv, as /proc/PID/cmdline */
#define JT_STREAM_EXE_LEN 256 /* the exec'd path, without its NUL */
#define JT_STREAM_ALIGN 8
/*
 * The writer stamps heartbeat_ns at every pass of its loop, at least every
 * JT_STREAM_HEARTBEAT_MS when the host is quiet (serve's timer); a reader
 * judges it gone when the stamp is older than JT_STREAM_GONE_MS.
 */
#define JT_STREAM_HEARTBEAT_MS 1000
#define JT_STREAM_GONE_MS 5000

/* jt_stream_meta.state */
enum jt_stream_state {
	JT_STREAM_RUNNING = 1,
	JT_STREAM_CLOSED = 2, /* the writer stopped cleanly */
	JT_STREAM_REPLACED = 3, /* a new writer put a new file at the path: reopen it */
	/*
	 * Said by libjobtrace, never in the file: the file says RUNNING but
	 * its writer is dead (its pid is gone, where the reader shares its pid
	 * namespace) or has not stamped its heartbeat for JT_STREAM_GONE_MS.
	 */
	JT_STREAM_GONE = 4,
};

/* jt_stream_hdr.type */
enum jt_stream_type {
	JT_STREAM_PAD = 0, /* fills the end of the data area; readers skip it */
	JT_STREAM_FORK = 1, /* a process started (fork): its lineage */
	JT_STREAM_EXEC = 2, /* a process exec'd: its new arguments */
	JT_STREAM_EXIT = 3, /* a process ended: status and accounting */
	JT_STREAM_INTERVAL = 4, /* a job over one interval */
	JT_STREAM_HOST = 5, /* the host over one interval */
	JT_STREAM_JOB_END = 6, /* a job ended: its final report */
	JT_STREAM_TEXT = 7, /* part of a JSON line: a job's report, a system sample */
	JT_STREAM_OOM = 8, /* the OOM killer took the process of the exit record that follows */
	/* Made by the reader (libjobtrace), never in the ring: */
	JT_STREAM_MISSED = 100, /* records the reader lost by being lapped */
	JT_STREAM_RESTART = 101, /* the writer restarted: a new generation */
};

/* jt_stream_job.flags */
#define JT_STREAM_F_KEY_TRUNCATED 0x1 /* the job key was longer than JT_STREAM_KEY_LEN - 1 */
/* jt_stream_exit.flags (the kernel's JT_F_* values) */
#define JT_STREAM_F_EXISTING 0x1 /* running when serve started */
#define JT_STREAM_F_MOVED 0x2 /* entered its job by a cgroup move */
#define JT_STREAM_F_EXECED 0x4
#define JT_STREAM_F_ARGS_TRUNCATED 0x100 /* argv was longer than JT_STREAM_ARGS_LEN */
#define JT_STREAM_F_ARGS_INHERITED 0x200 /* it never exec'd: its parent's arguments */
#define JT_STREAM_F_ARGS_UNKNOWN 0x400
#define JT_STREAM_F_IS_ROOT 0x800
/* jt_stream_job_end.flags */
#define JT_STREAM_JE_ROOT_EXITED 0x1 /* root_status holds its root's wait(2) status */
#define JT_STREAM_JE_COMPLETE 0x2 /* nothing was lost: the report's "complete" */
#define JT_STREAM_JE_ATTACHED 0x4 /* found running: @existing were there at the attach */
/* jt_stream_job_end.peak_rss_source, the report's memory.peak_rss_source */
enum jt_stream_rss_source {
	JT_STREAM_RSS_UNKNOWN = 0,
	JT_STREAM_RSS_MM_HIWATER = 1, /* every process's own mm high-water mark */
	JT_STREAM_RSS_SIGNAL_MAXRSS = 2, /* none's: the kernel's maxrss of each process */
	JT_STREAM_RSS_MIXED = 3,
	JT_STREAM_RSS_CHILDREN_MAXRSS = 4, /* the children's maxrss (no per-process records, or run's) */
	JT_STREAM_RSS_SAMPLED = 5, /* the largest RSS a /proc sample saw (proc mode) */
};
/* jt_stream_job_end.unknown: figures the event source cannot know (0 under BPF) */
#define JT_STREAM_UNKNOWN_COUNTS 0x1 /* process counts, exit classes, execs, threads */
#define JT_STREAM_UNKNOWN_CHARS 0x2 /* read_chars, write_chars */
#define JT_STREAM_UNKNOWN_RECORDS 0x4 /* events_sent, events_received, exit_records_lost */
#define JT_STREAM_UNKNOWN_CPU 0x8 /* the CPU figures are partial */
#define JT_STREAM_UNKNOWN_OOM 0x10 /* OOM kills are not marked in this mode */

/*
 * The header page. Counters the writer moves on every record sit on cache
 * lines of their own, apart from what is written once.
 */
struct jt_stream_meta {
	__u64 magic; /* JT_STREAM_MAGIC, written last at creation */
	__u32 version; /* JT_STREAM_VERSION */
	__u32 meta_size; /* JT_STREAM_META_SIZE: where the data area starts */
	__u64 capacity; /* bytes of the data area, a power of two */
	__u64 generation; /* random, nonzero, new at every writer start */
	__u64 start_time_ns; /* CLOCK_REALTIME of the writer's start */
	__u32 writer_pid;
	__u32 state; /* enum jt_stream_state */
	__u32 max_record; /* the longest record a reader must take, bytes */
	__u32 pad0;
	__u8 pad1[8];
	/* Moved by the writer, in this order, for every record: */
	__u64 tail_intent; /* where tail will be once the record is in */
	__u8 pad2[56];
	__u64 tail; /* the end of the last complete record (release) */
	__u64 latest; /* the position of the last complete record */
	__u64 records; /* records written: the last record's seq */
	__u8 pad3[40];
	/* Bumped once per batch (the collector's pass), then FUTEX_WAKE. */
	__u32 futex;
	__u32 pad4;
	__u8 pad5[56];
	/*
	 * Liveness (since version 4). CLOCK_MONOTONIC of the writer's last
	 * pass, stamped at least every JT_STREAM_HEARTBEAT_MS even when
	 * nothing happens; a reader in another time namespace
	 * (time_namespaces(7)) cannot compare it with its own clock. The
	 * inode of the writer's pid namespace (/proc/self/ns/pid): writer_pid
	 * means that process only to a reader in the same namespace.
	 */
	__u64 heartbeat_ns;
	__u64 writer_pidns_ino;
	__u8 pad6[JT_STREAM_META_SIZE - 272];
};

/* Leads every record. */
struct jt_stream_hdr {
	__u32 len; /* bytes of the record, header included, a multiple of 8 */
	__u16 type; /* enum jt_stream_type */
	__u16 version; /* JT_STREAM_VERSION */
	__u64 seq; /* 1, 2, 3, ... per generation; 0 for PAD */
};

/* Which job a record belongs to. */
struct jt_stream_job {
	__u64 job_id; /* the kernel's job id: top two bits say user, cgroup, host-made or adopted */
	__u32 flags; /* JT_STREAM_F_KEY_TRUNCATED */
	__u32 pad;
	/* "cgroup:/system.slice/x", "tree:1234:bash", "session:1234", "user:alice" */
	char key[JT_STREAM_KEY_LEN];
};

/*
 * A process's lineage: pids are reused, (pid, start) pairs are not. Start
 * times are CLOCK_BOOTTIME, as the kernel stamps tasks.
 */
struct jt_stream_lineage {
	__u32 pid; /* tgid */
	__u32 ppid; /* the parent at fork, not after reparenting */
	__u64 start_ns;
	__u64 parent_start_ns;
	/*
	 * The kernfs id of its cgroup (its directory's inode number) in
	 * hierarchy @cgroup_hierarchy: 0 is v2, else a v1 hierarchy's id as
	 * /proc/PID/cgroup numbers it (host mode grouped by it). 0: not known.
	 */
	__u64 cgroup_id;
	__u32 ns_pid; /* tgid in its own (innermost) pid namespace, a container's; 0: not known */
	__s32 cgroup_hierarchy;
};

struct jt_stream_fork {
	struct jt_stream_hdr hdr;
	__u64 time_ns; /* CLOCK_REALTIME of the fork */
	struct jt_stream_job job;
	struct jt_stream_lineage lin;
	char comm[JT_STREAM_COMM_LEN]; /* the parent's, which the child starts with */
};

struct jt_stream_exec {
	struct jt_stream_hdr hdr;
	__u64 time_ns; /* CLOCK_REALTIME when serve saw it (the kernel sends none) */
	struct jt_stream_job job;
	__u32 pid;
	__u16 args_len;
	__u16 flags; /* JT_STREAM_F_ARGS_TRUNCATED */
	__u64 start_ns; /* the process's, CLOCK_BOOTTIME */
	char args[JT_STREAM_ARGS_LEN];
};

/* What a process or a job used. */
struct jt_stream_acct {
	__u64 cpu_ns; /* on-CPU time */
	__u64 user_ns;
	__u64 system_ns;
	__u64 read_bytes; /* storage I/O */
	__u64 write_bytes;
	__u64 read_chars; /* read(2)/write(2)-level I/O */
	__u64 write_chars;
};

struct jt_stream_exit {
	struct jt_stream_hdr hdr;
	__u64 time_ns; /* CLOCK_REALTIME of the exit */
	struct jt_stream_job job;
	struct jt_stream_lineage lin;
	__u64 exit_ns; /* CLOCK_BOOTTIME */
	__u32 exit_status; /* wait(2) status: WIFEXITED, WEXITSTATUS, WTERMSIG apply */
	__u32 threads;
	struct jt_stream_acct acct;
	__u64 peak_rss_bytes;
	__u32 flags; /* JT_STREAM_F_* */
	__u16 args_len;
	__u16 exe_len; /* bytes of exe used; 0: the path is not known */
	char comm[JT_STREAM_COMM_LEN];
	char args[JT_STREAM_ARGS_LEN];
	__u32 uid; /* its real uid and gid when it ended; 0xffffffff: not known */
	__u32 gid;
	/*
	 * The path it last exec'd (its parent's with JT_STREAM_F_ARGS_INHERITED),
	 * no NUL. The record's last field: the writer puts only @exe_len bytes
	 * of it in the ring (rounded up to JT_STREAM_ALIGN); hdr.len says so.
	 */
	char exe[JT_STREAM_EXE_LEN];
};

struct jt_stream_interval {
	struct jt_stream_hdr hdr;
	__u64 time_ns; /* CLOCK_REALTIME of the interval's end */
	__u64 start_time_ns; /* and of its start */
	struct jt_stream_job job;
	/* Processes over the interval. */
	__u64 started, exited, exit_ok, exit_error, exit_signal, execs, threads_started;
	__u64 existing, moved_in, moved_out;
	__u64 alive; /* at its end */
	struct jt_stream_acct acct; /* chars: 0, not sampled */
	/* Live members at its end. */
	__u64 rss_bytes;
	__u64 pss_bytes; /* 0 unless has_pss */
	__u64 vm_bytes;
	__u64 open_files;
	__u32 has_pss;
	/*
	 * The job's report so far: why it is not complete (bit i: the i-th
	 * reason of job__incomplete(), jobtrace(8)'s LIMITS AND REPAIR), and
	 * what its source cannot know (JT_STREAM_UNKNOWN_*: the counts are
	 * then null in the JSON line).
	 */
	__u32 incomplete;
	__u32 unknown;
	/*
	 * The most CPUs the interval's CPU can have kept busy: the host's
	 * online ones, or fewer, the tasks of the job that can have run in it.
	 * A running thread's CPU is read up to a kernel tick late, so
	 * acct.cpu_ns can hold more than that over a short interval (the next
	 * has less): its rate (cpu.rate_pct) is said at most 100 times this.
	 * 0: not known (a writer before it).
	 */
	__u32 cpu_cap;
	/*
	 * Records of the job's processes the kernel's ring dropped over the
	 * interval (its --ring-kb was full), each kind apart, because each
	 * costs something else. The counts above are the kernel's and stay
	 * exact; over a job's intervals, for a reader that missed nothing:
	 *   exited = its exit records in the stream + exit_records_lost
	 *   started = its fork records in the stream + fork_records_lost
	 *   execs = its exec records in the stream + exec_records_lost
	 * (a process found running or moved in has no fork record; exec
	 * records are sent only where serve captures arguments).
	 */
	__u64 exit_records_lost;
	__u64 fork_records_lost;
	__u64 exec_records_lost;
};

/* Bits of jt_stream_host.unknown. */
#define JT_STREAM_HOST_UNKNOWN_STAT 0x1 /* ncpus, procs_running, procs_blocked (/proc/stat) */
#define JT_STREAM_HOST_UNKNOWN_MEM 0x2 /* mem_*, swap_* (/proc/meminfo) */
#define JT_STREAM_HOST_UNKNOWN_LOAD 0x4 /* load*_milli (/proc/loadavg) */
#define JT_STREAM_HOST_UNKNOWN_FORKS 0x8 /* forks_per_s_milli */
#define JT_STREAM_HOST_UNKNOWN_CTXT 0x10 /* ctxt_per_s_milli */

struct jt_stream_host {
	struct jt_stream_hdr hdr;
	__u64 time_ns;
	__u64 start_time_ns;
	/* Percentages and rates in thousandths (fixed point), -1: unknown. */
	__s32 cpu_busy_mpct;
	__s32 cpu_user_mpct;
	__s32 cpu_system_mpct;
	__s32 cpu_iowait_mpct;
	__u32 ncpus;
	/*
	 * JT_STREAM_HOST_UNKNOWN_*: what the sample could not read (a /proc
	 * file that failed), null in the JSON line, its fields 0 here. 0 from
	 * a writer before it (this was padding).
	 */
	__u32 unknown;
	__u64 mem_total_bytes, mem_available_bytes, mem_used_bytes;
	__u64 swap_total_bytes, swap_used_bytes;
	__u64 load1_milli, load5_milli, load15_milli;
	__u64 forks_per_s_milli, ctxt_per_s_milli;
	__u64 procs_running, procs_blocked;
	/* Ring records lost since serve started, all jobs, each kind apart (as the interval's). */
	__u64 exit_records_lost;
	__u64 fork_records_lost;
	__u64 exec_records_lost;
};

/*
 * A job ended: its final report, as `jobtrace watch --json` writes its "job"
 * record (the kernel's totals, not a sum of the intervals, though over a job
 * whose intervals a reader all saw they add up to it). Counts are null in
 * the JSON where @unknown says the source cannot know them.
 */
struct jt_stream_job_end {
	struct jt_stream_hdr hdr;
	__u64 time_ns; /* CLOCK_REALTIME of its end: its last exit where all are gone */
	__u64 start_time_ns; /* and of its start: when serve first saw it */
	struct jt_stream_job job;
	__u64 wall_ns; /* start to end */
	__u64 root_wall_ns; /* start to its root's exit; 0: no root, or still running */
	__u32 root_pid; /* the host's tgid; 0: none known */
	__u32 root_ns_pid; /* in serve's pid namespace, where that differs; 0 */
	__u32 root_status; /* wait(2) status, when flags has JT_STREAM_JE_ROOT_EXITED */
	__u32 flags; /* JT_STREAM_JE_* */
	__u32 unknown; /* JT_STREAM_UNKNOWN_* */
	__u32 peak_rss_source; /* enum jt_stream_rss_source: where peak_rss_bytes comes from */
	/* Processes over its life, as the kernel counted them. */
	__u64 started, exited, exit_ok, exit_error, exit_signal, execs, threads_started;
	__s64 alive; /* at its end: > 0 when it was stopped (serve's exit) with some alive */
	__u64 max_alive;
	__s64 outlived_root;
	__u64 existing, moved_in, moved_out;
	struct jt_stream_acct acct; /* of its exited processes (and live ones, at a stop) */
	__u64 peak_rss_bytes; /* its largest process */
	/* Its records: exit records sent and received, and each kind lost (as the interval's). */
	__u64 events_sent, events_received;
	__u64 exit_records_lost, fork_records_lost, exec_records_lost;
	/* What else it missed: the report's "limits" (jobtrace(8)'s LIMITS AND REPAIR). */
	__u64 untracked_tasks, procs_map_full, lost_to_full_job_map, stale_entries, repairs;
	__u64 records_malformed, records_not_folded; /* all jobs' */
	__u64 jobs_missing, jobs_map_full; /* the kernel's global counters */
	__u64 global_exec_records_lost; /* all jobs': the report's limits.exec_records_lost */
	__u64 oom_kills; /* its processes the OOM killer took */
};

/* jt_stream_oom.flags */
#define JT_STREAM_OOM_GLOBAL 0x1 /* no memory cgroup limit above it: the host ran out */
#define JT_STREAM_OOM_LIMIT 0x2 /* @cgroup and @limit_bytes say which limit it hit */
#define JT_STREAM_OOM_RSS 0x4 /* @rss_bytes is known */
#define JT_STREAM_OOM_SEEN 0x8 /* the kernel named that limit at the kill (job_oom.limit_seen) */
/*
 * The OOM killer took a process (not a kill -9): sent right before its
 * JT_STREAM_EXIT record, with the memory cgroup whose limit it hit.
 */
struct jt_stream_oom {
	struct jt_stream_hdr hdr;
	__u64 time_ns; /* CLOCK_REALTIME of its exit, as the exit record's */
	__u32 pid;
	__u32 flags; /* JT_STREAM_OOM_* */
	__u64 start_ns; /* with @pid, the process, as the exit record's lineage */
	__u64 limit_bytes;
	__u64 rss_bytes; /* when it was chosen */
	char hierarchy[32]; /* "cgroup1:memory", "cgroup2" */
	char cgroup[256]; /* the path in it, NUL-padded; cut at 255 bytes */
};

/*
 * A JSON line, whole or in parts: what has no fixed layout here (a job's
 * whole report as the "job" line, with its failures and commands; the
 * "system" line with every disk and interface). The parts of a line are
 * consecutive records with one @line and @part 0 .. @parts - 1; a reader
 * that misses one (lapped: JT_STREAM_MISSED) drops the line. The text is
 * the line as serve's JSON-lines writer writes it, without its newline.
 */
#define JT_STREAM_TEXT_LEN 640
#define JT_STREAM_TEXT_MAX_PARTS 4096 /* a line of at most 2.5 MiB */
enum jt_stream_text_kind {
	JT_STREAM_TEXT_JOB = 1, /* the "job" line; JT_STREAM_JOB_END has its figures */
	JT_STREAM_TEXT_SYSTEM = 2, /* the "system" line after a JT_STREAM_HOST */
};
struct jt_stream_text {
	struct jt_stream_hdr hdr;
	__u64 time_ns; /* CLOCK_REALTIME: the line's "time" */
	__u64 line; /* the writer's count of text lines: ties the parts */
	__u32 part;
	__u32 parts;
	__u32 len; /* bytes of @text used, at most JT_STREAM_TEXT_LEN */
	__u16 kind; /* enum jt_stream_text_kind */
	__u16 pad;
	char text[JT_STREAM_TEXT_LEN];
};

/* Made by libjobtrace: @count records were overwritten before this reader saw them. */
struct jt_stream_missed {
	struct jt_stream_hdr hdr;
	__u64 count;
};

/* Made by libjobtrace: the writer restarted; what follows is the new generation. */
struct jt_stream_restart {
	struct jt_stream_hdr hdr;
	__u64 old_generation;
	__u64 new_generation;
};

/* Any record: what jobtrace_stream_next() fills. */
union jt_stream_record {
	struct jt_stream_hdr hdr;
	struct jt_stream_fork fork;
	struct jt_stream_exec exec;
	struct jt_stream_exit exit;
	struct jt_stream_interval interval;
	struct jt_stream_host host;
	struct jt_stream_job_end job_end;
	struct jt_stream_text text;
	struct jt_stream_oom oom;
	struct jt_stream_missed missed;
	struct jt_stream_restart restart;
};

_Static_assert(sizeof(struct jt_stream_meta) == JT_STREAM_META_SIZE, "jt_stream_meta ABI");
_Static_assert(__builtin_offsetof(struct jt_stream_meta, tail_intent) == 64, "tail_intent line");
_Static_assert(__builtin_offsetof(struct jt_stream_meta, tail) == 128, "tail line");
_Static_assert(__builtin_offsetof(struct jt_stream_meta, futex) == 192, "futex line");
_Static_assert(__builtin_offsetof(struct jt_stream_meta, heartbeat_ns) == 256, "heartbeat line");
_Static_assert(sizeof(struct jt_stream_hdr) == 16, "jt_stream_hdr ABI");
_Static_assert(sizeof(struct jt_stream_job) == 144, "jt_stream_job ABI");
_Static_assert(sizeof(struct jt_stream_lineage) == 40, "jt_stream_lineage ABI");
_Static_assert(sizeof(struct jt_stream_acct) == 56, "jt_stream_acct ABI");
_Static_assert(sizeof(struct jt_stream_fork) == 224, "jt_stream_fork ABI");
_Static_assert(sizeof(struct jt_stream_exec) == 568, "jt_stream_exec ABI");
_Static_assert(sizeof(struct jt_stream_exit) == 960, "jt_stream_exit ABI");
_Static_assert(sizeof(struct jt_stream_interval) == 392, "jt_stream_interval ABI");
_Static_assert(sizeof(struct jt_stream_host) == 176, "jt_stream_host ABI");
_Static_assert(sizeof(struct jt_stream_job_end) == 512, "jt_stream_job_end ABI");
_Static_assert(sizeof(struct jt_stream_oom) == 344, "jt_stream_oom ABI");
_Static_assert(sizeof(struct jt_stream_text) == 688, "jt_stream_text ABI");
_Static_assert(sizeof(struct jt_stream_missed) == 24, "jt_stream_missed ABI");
_Static_assert(sizeof(struct jt_stream_restart) == 32, "jt_stream_restart ABI");
_Static_assert(sizeof(union jt_stream_record) == sizeof(struct jt_stream_exit), "largest record");
_Static_assert(sizeof(union jt_stream_record) % JT_STREAM_ALIGN == 0, "records stay aligned");

#ifndef __bpf__
/*
 * libjobtrace: the reader. Links without libbpf; needs no privilege beyond
 * reading the file. See libjobtrace(3).
 */
#ifdef __cplusplus
extern "C" {
#endif

struct jobtrace_stream;

/*
 * Maps the stream at @path (NULL: JT_STREAM_DEFAULT_PATH); NULL with errno
 * set. Only a regular file owned by root or by the caller, not a link
 * (EPERM, ELOOP): one another user put in /dev/shm is never mapped.
 */
struct jobtrace_stream *jobtrace_stream_open(const char *path);
/*
 * The next record into @rec: 1 when @rec holds one (its hdr.type says which,
 * JT_STREAM_MISSED and JT_STREAM_RESTART included), 0 when none is there
 * yet, a negative errno when the stream is broken (-EBADMSG: a record that
 * cannot be; the reader has moved past it; -ESTALE: the file was cut short
 * under the reader, nothing more comes from it until a new writer's file is
 * at the path, which is then followed with a JT_STREAM_RESTART record).
 */
int jobtrace_stream_next(struct jobtrace_stream *s, union jt_stream_record *rec);
/*
 * Up to @n records into @recs[0..n-1], as many calls of
 * jobtrace_stream_next() would give them, for one check of the file's
 * length (a system call, most of a record's cost to next()): the number
 * copied, 0 when none is there yet, or next()'s negative errno when the
 * first one is. An error met after some records comes with the next call;
 * a batch ends after a JT_STREAM_RESTART record. A file cut short while a
 * batch is being copied can fault (SIGBUS) for the batch's copy, where
 * next()'s window is one record's copy.
 */
int jobtrace_stream_next_batch(struct jobtrace_stream *s, union jt_stream_record *recs,
			       unsigned int n);
/*
 * Sleeps until the writer publishes, restarts, or is found gone meanwhile
 * (jobtrace_stream_state()), at most @timeout_ms (< 0: no limit).
 * 1: records may be there; 0: timed out; negative errno (-EINTR).
 */
int jobtrace_stream_wait(struct jobtrace_stream *s, int timeout_ms);
/* The writer's generation the reader follows now. */
__u64 jobtrace_stream_generation(const struct jobtrace_stream *s);
/*
 * The writer's jt_stream_state: JT_STREAM_CLOSED once it stopped cleanly,
 * JT_STREAM_GONE when it died or went silent (JT_STREAM_GONE_MS); 0: the
 * file was cut.
 */
int jobtrace_stream_state(const struct jobtrace_stream *s);
/*
 * An fd for the caller's own poll/epoll loop: readable when records may be
 * there, the writer's state changed (closed, replaced, gone) or the file
 * was replaced; jobtrace_stream_next() clears it when it returns 0. A
 * thread of the library's turns the writer's futex wake-ups into it. The
 * stream keeps it: never close it. -errno on failure.
 */
int jobtrace_stream_fd(struct jobtrace_stream *s);
/* Records this reader missed, all told. */
__u64 jobtrace_stream_missed_total(const struct jobtrace_stream *s);
void jobtrace_stream_close(struct jobtrace_stream *s);
/*
 * "fork", "exec", "exit", "interval", "host", "job", "text", "oom",
 * "missed", "restart"; NULL if unknown.
 */
const char *jobtrace_stream_type_name(unsigned int type);

#ifdef __cplusplus
}
#endif
#endif /* __bpf__ */

#ifdef JOBTRACE_STREAM_H_STATIC_ASSERT
#undef _Static_assert
#undef JOBTRACE_STREAM_H_STATIC_ASSERT
#endif

#endif /* JOBTRACE_STREAM_H */
