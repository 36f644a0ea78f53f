/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by bpf/lineage.bpf.c and user space: the job-lineage maps and
 * the records on the ring buffer, and nothing else (the loader's API is
 * include/jobtrace/lineage.h). This is an ABI: fixed-width fields,
 * explicit padding, every size asserted. Records that leave the process
 * start with a version and a type.
 */
#ifndef JOBTRACE_LINEAGE_ABI_H
#define JOBTRACE_LINEAGE_ABI_H

#ifdef __cplusplus
/* C++ spells C11's _Static_assert static_assert; undone at the end. */
#ifndef _Static_assert
#define _Static_assert static_assert
#define JOBTRACE_LINEAGE_ABI_H_STATIC_ASSERT
#endif
extern "C" {
#endif

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* 3: exit and fork records carry the process's cgroup id, fork records its ns_pid */
#define JT_ABI_VERSION 4
#define JT_COMM_LEN 16
#define JT_ARGS_LEN 384 /* bytes of argv kept per exec (NUL-separated, as in /proc/PID/cmdline) */
#define JT_EXE_LEN 256 /* bytes of the exec'd path kept per exec, its NUL included */

enum jt_record_type {
	JT_REC_EXIT = 1,
	JT_REC_EXEC = 2, /* the arguments of an exec, sent only when asked for */
	JT_REC_FORK = 3, /* a new process's lineage, sent only when asked for (serve --stream) */
};

/*
 * Job keys are opaque 64-bit numbers; the top two bits say who made them.
 * User space numbers the jobs it is asked to follow (run, watch --pid,
 * watch --cgroup); in host mode the kernel side names a job after the
 * cgroup (its kernfs id) or the tree (the top process's tgid and start
 * time) its processes belong to.
 */
#define JT_JOB_KIND_SHIFT 62
#define JT_JOB_USER 0ULL
#define JT_JOB_CGROUP 1ULL
#define JT_JOB_TREE 2ULL
/*
 * serve --control: a running process a client named (a Slurm task), adopted
 * with its future descendants as run's command is, whatever cgroup or tree
 * host mode would give them.
 */
#define JT_JOB_ADOPTED 3ULL
#define JT_JOB_KIND(id) ((id) >> JT_JOB_KIND_SHIFT)
#define JT_JOB_VALUE(id) ((id) & ((1ULL << JT_JOB_KIND_SHIFT) - 1))
/*
 * A JT_JOB_TREE id is a job host mode made of processes by what they
 * share: bits 60-61 say what (the tree they descend in, their session,
 * their user), the 60 bits below which one: for a tree or a session
 * (leader's start in us << 22) | pid: pid_max is at most 2^22, and the
 * start time keeps a reused pid out of a job that outlived its first
 * owner; for a user, the uid.
 */
#define JT_JOB_SHARE_SHIFT 60
#define JT_SHARE_TREE 0ULL /* the top process of the tree */
#define JT_SHARE_SESSION 1ULL /* the session's leader, by the session id */
#define JT_SHARE_USER 2ULL /* the real uid, the host's number */
#define JT_JOB_SHARE(id) (((id) >> JT_JOB_SHARE_SHIFT) & 3)
#define JT_JOB_PID(id) ((__u32)((id) & ((1U << 22) - 1)))

/* How processes are grouped into jobs (rodata targ_group). */
enum jt_group {
	JT_GROUP_LINEAGE = 0, /* a child joins its parent's job, for life */
	JT_GROUP_CGROUP = 1, /* host mode: one job per cgroup of one hierarchy */
	JT_GROUP_TREE = 2, /* host mode: one job per child of init or of a subreaper */
	JT_GROUP_SESSION = 3, /* host mode: one job per session (setsid(2) moves a process) */
	JT_GROUP_USER = 4, /* host mode: one job per real uid (setuid(2) and kin move a thread) */
};

/* Where a process's peak RSS came from (see jt_exit_event.peak_rss_source). */
enum jt_rss_source {
	JT_RSS_NONE = 0,
	JT_RSS_MM_HIWATER = 1, /* the exiting mm's own high-water mark */
	JT_RSS_SIGNAL_MAXRSS = 2, /* signal->maxrss: includes the pre-exec image */
	JT_RSS_SAMPLED = 3, /* user space's: the largest RSS a /proc sample saw (proc mode) */
};

/* jt_task.flags, jt_proc.flags and jt_exit_event.flags */
#define JT_F_EXISTING 0x1 /* already running when the job was attached to */
#define JT_F_MOVED 0x2 /* entered the job by a cgroup move, a setsid(2), a setuid(2) */
#define JT_F_EXECED 0x4 /* exec'd since it joined */
/*
 * jt_task.flags only: a thread of the job's root process (run's command,
 * watch's --pid). The kernel knows the root by this mark and not by a pid
 * number: user space may live in a pid namespace, where the root's pid is
 * not the host's tgid the programs see.
 */
#define JT_F_ROOT 0x8
/* jt_proc.flags and jt_exit_event.flags: the OOM killer chose it (oom/mark_victim). */
#define JT_F_OOM_KILLED 0x10
/*
 * jt_exit_event.flags, with JT_F_OOM_KILLED: when it chose the process, the
 * kernel found the memory cgroup whose limit was hit. oom_memcg_id is that
 * cgroup, and map `oom_cgroups` holds, for this process (its jt_proc_key),
 * that cgroup's limit and path as they were then.
 */
#define JT_F_OOM_LIMIT 0x20
/*
 * jt_proc.flags: the process lives outside the pid namespace of jobtrace
 * (user space, the reader of the task iterators): jobtrace in a container,
 * the process on the host or in another container. The tracepoints see it;
 * the task iterators, which walk only the reader's namespace, never do, so
 * that no live read backs it and the repair sweep cannot judge it.
 */
#define JT_F_OUTSIDE_NS 0x40

/*
 * What a thread leaves behind when it is gone: its CPU while in the job,
 * the kernel's tick-sampled split of its lifetime, and its own I/O. Summed
 * per process (jt_proc), per job (jt_job_totals.exited) and sent in the
 * exit record.
 */
struct jt_acct {
	__u64 cpu_ns; /* sum_exec_runtime since the thread joined the job */
	__u64 utime_ns;
	__u64 stime_ns;
	__u64 read_bytes; /* storage I/O */
	__u64 write_bytes;
	__u64 read_chars; /* read(2)/write(2)-level I/O */
	__u64 write_chars;
};

/*
 * A process (thread group) is named by its tgid and its leader's
 * start_boottime: pids are reused, the pair is not.
 */
struct jt_proc_key {
	__u32 tgid;
	__u32 pad;
	__u64 start_ns;
};

/*
 * Per-thread state, kept in BPF task storage: it lives and dies with the
 * task_struct, so pid reuse cannot mix two tasks. Set at fork, by the attach
 * iterator for tasks already running, or from user space for run's root.
 * A process forked into a job keeps its one thread's state in its `procs`
 * entry instead (jt_proc.self) until it starts a second thread: see
 * state_of() in bpf/lineage.bpf.c.
 */
struct jt_task {
	__u64 job_id;
	__u64 cpu_base_ns; /* sum_exec_runtime when it joined: CPU before is not the job's */
	__u64 peak_rss_pages; /* set at a group-dead exit when the mm is still there */
	__u32 exit_status; /* wait(2) status, set at a group-dead exit */
	__u8 group_dead; /* this thread's exit ended its process */
	__u8 exiting;
	__u8 rss_source; /* enum jt_rss_source */
	__u8 flags; /* JT_F_* */
	__u32 ns_pid; /* set at a group-dead exit: its tgid in its own pid namespace */
	__u32 uid; /* set at a group-dead exit: its real uid and gid then */
	__u64 cgroup_id; /* set at a group-dead exit: its cgroup (see jt_exit_event.cgroup_id) */
	__u32 gid;
	/*
	 * Whose arguments it runs with while it has not exec'd: its nearest
	 * exec'd ancestor (tgid, start), copied at fork; 0: its own (it
	 * exec'd, or its start was not seen). Cleared at exec.
	 */
	__u32 args_src_tgid;
	__u64 args_src_start_ns;
	/*
	 * Its I/O counters (ioac) when it joined, as cpu_base_ns: a task found
	 * at the attach, adopted or moved in brings what it did before, which
	 * is not the job's. 0 for a task born in the job (ioac starts at 0).
	 */
	__u64 read_base, write_base, rchar_base, wchar_base;
};

/* Per-process entry of the process table (`procs`): lineage recorded once, at fork. */
struct jt_proc {
	__u64 job_id;
	struct jt_proc_key parent; /* the forking process, never updated */
	struct jt_acct acct; /* its exited threads */
	__u32 threads; /* threads ever started in it, the main one included */
	__u32 flags; /* JT_F_* */
	/*
	 * 1: @self is the state of the process's leader, which has no task
	 * storage (a process forked into its job, one thread so far); 0: every
	 * thread's state is in task storage.
	 */
	__u32 has_self;
	/*
	 * Where its job was found last (a slot of `jobs`): a hint its fork's
	 * children, its exec and its close try first, checked against the id
	 * the slot holds (bpf/lineage.bpf.c, job_find()).
	 */
	__u32 job_slot;
	struct jt_task self;
};

/*
 * One slot of the `procs` array (bpf/lineage_procs.bpf.h): the process
 * whose tgid is its index modulo the array's size, when @ready. Taken by
 * setting @start_ns from 0, published by @ready; 0 and 0: free.
 */
/* The process table's array has at most this many slots (bpf/lineage_procs.bpf.h). */
#define JT_PROC_SLOTS_MAX 32768

/*
 * Which slots of the process table hold a process, a byte a slot: read
 * before a slot (32 KiB stay in the cache where 9 MiB of slots do not) by
 * every lookup, and by the repair sweep instead of every slot. With them,
 * how many processes the spill holds.
 */
struct jt_proc_used {
	__s64 spilled;
	__u8 used[JT_PROC_SLOTS_MAX];
};

struct jt_proc_slot {
	__u64 start_ns; /* the process's (jt_proc_key.start_ns); 0: free */
	__u32 tgid;
	__u32 ready; /* 1: @proc is written and the slot holds it */
	struct jt_proc proc;
};

/*
 * A job's shared state (in a slot of the array `jobs`, found by its id in
 * `job_ids`): what must be one number across CPUs.
 */
struct jt_job {
	/*
	 * run's command, watch's --pid, as the host's tgid; 0: none (cgroup,
	 * host mode) or not known yet: the kernel fills it in from the task
	 * marked JT_F_ROOT, at its exec, its attach or its exit.
	 */
	__u32 root_tgid;
	__s32 cgroup_hierarchy; /* membership follows cgroups of this hierarchy; -1: lineage */
	__s64 alive; /* processes alive now */
	__u64 max_alive;
	__s64 outlived_root; /* alive when the root exited; -1 until then */
	/*
	 * CLOCK_BOOTTIME of the job's making (its first process's fork or
	 * move, the attach, or user space's registration) and of its latest
	 * process exit (0: none yet): its wall time is the kernel's, not the
	 * sampling clock's.
	 */
	__u64 created_ns;
	__u64 last_exit_ns;
};

/*
 * A slot of the array `jobs`: the job it holds (0: free), and its state.
 * Its totals are the same slot of `job_totals`.
 */
struct jt_job_slot {
	__u64 job_id;
	struct jt_job job;
};

/* No slot: a job_slot hint that finds nothing. */
#define JT_NO_JOB_SLOT 0xffffffffU

/*
 * A job's additive totals, one copy per CPU (per-CPU array `job_totals`), so
 * that the hot paths never bounce a shared cache line between CPUs. Updated
 * in the kernel as events happen: a lost ring record loses no totals.
 */
struct jt_job_totals {
	__u64 procs_started;
	__u64 procs_exited;
	__u64 threads_started; /* threads beyond each process's first */
	__u64 execs;
	__u64 exit_ok;
	__u64 exit_error;
	__u64 exit_signal;
	__u64 cpu_ns; /* on-CPU time of exited threads while in the job */
	__u64 user_ns; /* cpu_ns of exited processes, split per process as getrusage() does */
	__u64 system_ns;
	struct jt_acct exited; /* exited threads only */
	__u64 peak_rss_bytes; /* the largest process (a max, not a sum) */
	__u64 events_sent; /* exit records, one per process */
	__u64 events_lost; /* exit records the full ring dropped */
	__u64 untracked; /* tasks that could not join: task storage allocation failed */
	__u64 procs_map_full; /* processes counted but missing from the procs map */
	__u64 existing; /* processes found running at the attach */
	__u64 moved_in; /* processes that entered by a cgroup move (or setsid, setuid) */
	__u64 moved_out;
	/* Host mode: tasks of the job lost, untracked, before `jobs` had room for it. */
	__u64 jobs_map_full;
	/* Each kind of record apart: a lost one costs something else (ring.bpf.h). */
	__u64 fork_records_sent; /* serve --stream's lineage records */
	__u64 fork_records_lost;
	__u64 exec_records_lost; /* arguments, where asked for */
	__u64 oom_kills; /* processes of the job the OOM killer chose */
	/*
	 * Processes that joined the job (fork, move) outside the reader's pid
	 * namespace (JT_F_OUTSIDE_NS): where not 0, those of them already
	 * running at the attach were never seen, and the live read misses the
	 * others.
	 */
	__u64 outside_ns;
};

#ifndef __bpf__
/* A job as user space reads it: jt_job and the per-CPU totals, merged. */
struct jt_job_stats {
	__u32 root_tgid;
	__s32 cgroup_hierarchy;
	__s64 alive;
	__u64 max_alive;
	__s64 outlived_root;
	__u64 procs_started;
	__u64 procs_exited;
	__u64 threads_started;
	__u64 execs;
	__u64 exit_ok;
	__u64 exit_error;
	__u64 exit_signal;
	__u64 cpu_ns; /* exited threads, plus live ones where the reader added them */
	__u64 user_ns;
	__u64 system_ns;
	struct jt_acct exited;
	__u64 peak_rss_bytes;
	__u64 events_sent; /* exit records */
	__u64 events_lost;
	__u64 untracked;
	__u64 procs_map_full;
	__u64 existing;
	__u64 moved_in;
	__u64 moved_out;
	__u64 jobs_map_full;
	__u64 created_ns; /* jt_job's, CLOCK_BOOTTIME; 0: not known (no kernel side) */
	__u64 last_exit_ns;
	__u64 fork_records_sent;
	__u64 fork_records_lost;
	__u64 exec_records_lost;
	__u64 oom_kills;
	__u64 outside_ns;
};
/*
 * It names each field of the two once, flat, so that every reader says
 * s->exit_ok, not which of the kernel's structs it came from; a field
 * added to one of them and not here fails the build.
 */
_Static_assert(sizeof(struct jt_job_stats) == sizeof(struct jt_job) + sizeof(struct jt_job_totals),
	       "jt_job_stats: every field of jt_job and jt_job_totals, once");
#endif

/* Global counters, one slot per CPU (map `counters`). */
struct jt_counters {
	__u64 events_sent; /* exit records, one per process */
	__u64 events_lost; /* exit records the full ring dropped */
	__u64 untracked;
	__u64 procs_map_full;
	__u64 jobs_missing; /* a tracked task whose job entry was gone */
	__u64 jobs_map_full; /* a host-mode job that found no room in `jobs` */
	__u64 exec_records_lost; /* exec records (arguments) the full ring dropped */
	__u64 fork_records_sent; /* fork records (serve --stream) */
	__u64 fork_records_lost;
};

/* The exit record: one per process (thread group), sent when it is gone. */
struct jt_exit_event {
	__u16 version; /* JT_ABI_VERSION */
	__u16 type; /* JT_REC_EXIT */
	__u32 size; /* sizeof(struct jt_exit_event) */
	__u64 job_id;
	__u32 pid; /* tgid */
	__u32 ppid; /* the parent at fork, not after reparenting */
	__u64 start_ns; /* CLOCK_BOOTTIME */
	__u64 parent_start_ns;
	__u64 exit_ns; /* CLOCK_BOOTTIME */
	__u32 exit_status; /* wait(2) status */
	__u32 threads;
	struct jt_acct acct; /* all its threads */
	__u64 user_ns; /* acct.cpu_ns split as getrusage() splits it */
	__u64 system_ns;
	__u64 peak_rss_bytes;
	__u8 peak_rss_source; /* enum jt_rss_source */
	__u8 is_root;
	__u8 flags; /* JT_F_* */
	__u8 pad;
	/*
	 * Its tgid in the innermost pid namespace it lives in (a container's
	 * own numbering), equal to pid outside containers; 0: not known.
	 */
	__u32 ns_pid;
	char comm[JT_COMM_LEN];
	/*
	 * The kernfs id of its cgroup when it ended (the directory's inode
	 * number): in the v2 hierarchy, or in host mode grouped by a v1
	 * hierarchy, in that one (user space knows which: it chose). 0: none.
	 */
	__u64 cgroup_id;
	/*
	 * With JT_F_OOM_KILLED in flags: its memory cgroup when the OOM killer
	 * chose it (the kernfs id in the hierarchy the memory controller is
	 * on; 0: none), and its RSS then. With JT_F_OOM_LIMIT too, the cgroup
	 * is the one whose limit was hit (its limit and path in `oom_cgroups`);
	 * without, the one it was charged to, from which user space finds the
	 * limit (include/jobtrace/memcg.h).
	 */
	__u64 oom_memcg_id;
	__u64 oom_rss_bytes;
	/*
	 * Whose it was: its real uid and gid when it ended (the host's
	 * numbers); JT_ID_UNKNOWN where the source cannot tell (proc mode).
	 */
	__u32 uid;
	__u32 gid;
	/*
	 * It never exec'd: the nearest ancestor that did (pid, start_ns),
	 * whose arguments it runs with, even through ancestors that never
	 * exec'd either; 0: its own or its parent's (not known further).
	 */
	__u32 args_src_pid;
	__u32 pad2;
	__u64 args_src_start_ns;
};
#define JT_ID_UNKNOWN 0xffffffffU

/* What the OOM killer's mark leaves for a process's exit record (map `oom_victims`). */
struct jt_oom_mark {
	__u64 memcg_id;
	__u64 rss_pages;
	__u32 flags; /* JT_F_OOM_LIMIT: memcg_id is the cgroup whose limit was hit */
	__u32 pad;
};

/*
 * The memory cgroup whose limit an OOM kill acted on, as the kernel saw it
 * when it chose the victim (map `oom_cgroups`, by the victim's jt_proc_key,
 * until user space has read it with the exit record): what a report written
 * later needs, after a batch system has removed the cgroup with its last
 * task (Slurm removes a step's at the step's end).
 */
#define JT_OOM_PATH_LEN 256
#define JT_OOM_DEPTH 16 /* path components kept, and their ids */
struct jt_oom_cgroup {
	__u64 limit_bytes; /* its memory limit (v2 memory.max, v1 memory.limit_in_bytes) */
	/*
	 * Its path from its hierarchy's root ("/a/b"), NUL-ended: "" when it
	 * was deeper or longer than this holds. That root may be above what a
	 * reader's mount shows (a cgroup namespace): ids[i] is the kernfs id
	 * of the path's (i + 1)-th component, so a reader names the deepest
	 * one it can see as its mount does, and the rest by these names.
	 */
	__u64 ids[JT_OOM_DEPTH];
	__u32 depth; /* components in path and ids */
	__u32 pad;
	char path[JT_OOM_PATH_LEN];
};

/* An exec's arguments (sent when the loader asks for them: --events). */
struct jt_exec_event {
	__u16 version;
	__u16 type; /* JT_REC_EXEC */
	__u32 size;
	__u64 job_id;
	__u32 pid;
	__u16 args_len; /* bytes of args used */
	__u8 truncated; /* argv was longer than JT_ARGS_LEN */
	__u8 pad;
	__u64 start_ns;
	char args[JT_ARGS_LEN];
	/*
	 * The file the exec runs (bprm->file: a script's interpreter), its
	 * absolute path from the mount namespace's root, as /proc/PID/exe
	 * has it, NUL-terminated; "": not read. A longer path keeps its
	 * tail without the leading '/' (bpf/lineage_path.bpf.h).
	 */
	char exe[JT_EXE_LEN];
};

/* A new process (thread group), at its fork: sent when the loader asks (targ_fork_records). */
struct jt_fork_event {
	__u16 version;
	__u16 type; /* JT_REC_FORK */
	__u32 size;
	__u64 job_id;
	__u32 pid; /* tgid */
	__u32 ppid;
	__u64 start_ns; /* CLOCK_BOOTTIME: the fork's time */
	__u64 parent_start_ns;
	char comm[JT_COMM_LEN];
	__u32 ns_pid; /* its tgid in its own (innermost) pid namespace; as jt_exit_event's */
	__u32 pad;
	__u64 cgroup_id; /* the cgroup it starts in, as jt_exit_event's */
};

/* A task of a job as the live iterator sees it (bpf_seq_write, one per thread). */
struct jt_live_rec {
	__u64 job_id;
	__u32 tgid;
	__u32 tid;
	__u64 start_ns; /* the leader's */
	__u64 cpu_ns; /* since it joined */
	__u64 utime_ns;
	__u64 stime_ns;
	__u64 rss_pages; /* leaders only */
	__u64 vm_pages;
	__u64 read_bytes; /* the thread's own storage I/O so far (ioac) */
	__u64 write_bytes;
	__u32 open_fds; /* leaders only */
	__u8 is_leader;
	__u8 flags; /* JT_F_* */
	__u8 fds_truncated; /* more fds than the count walks */
	__u8 pad;
	__u32 reader_tgid; /* leaders: its tgid in the reader's pid namespace (/proc there); 0 */
	__u32 pad2;
};

/* A task tagged by the attach iterator. */
struct jt_attach_rec {
	__u64 job_id;
	__u32 tgid;
	__u32 new_process; /* the first thread of its process to be tagged */
	__u64 start_ns;
	__u32 reader_tgid; /* its tgid in the reader's pid namespace (/proc there); 0: none */
	__u32 left_out; /* adopt, a tree: not the client's (JT_ADOPT_UID), so not adopted */
};

/*
 * An explicit root for the attach iterator (map `attach_roots`), keyed by
 * its tgid in the pid namespace of the reader (watch --pid's own numbering).
 */
struct jt_attach_root {
	__u64 job_id;
	__u64 start_ns; /* from /proc/PID/stat: clock ticks, so matched within slack_ns */
	__u64 slack_ns;
};

/*
 * serve --control: the process the adopt iterator moves into job @job_id
 * (map `adopt_req`, one entry); @start_ns within @slack_ns tells it from a
 * later process with its pid.
 */
struct jt_adopt_req {
	__u64 job_id;
	__u64 start_ns;
	__u64 slack_ns;
	__u64 flags; /* JT_ADOPT_* */
	__u32 root_pid; /* JT_ADOPT_TREE: the root, numbered in the reader's pid namespace */
	__u32 uid; /* JT_ADOPT_UID: the only real uid adopted */
};

/*
 * A process already in an adopted job stays there: a client other than root
 * may take its own processes out of host mode, never out of a job another
 * client made (a Slurm step's task runs as the job's user).
 */
#define JT_ADOPT_NOT_ADOPTED 1ULL
/*
 * watch --pid through serve: the process and its descendants, already
 * running, join the job, counted as existing at the attach (as watch's own
 * attach counts them); a descendant another adopted job holds stays there.
 */
#define JT_ADOPT_TREE 2ULL
/* A user's ATTACH: a task whose real uid is not @uid is left out, and so is its subtree. */
#define JT_ADOPT_UID 4ULL

/* A cgroup whose processes, present and future, form a job (map `watch_cgroups`). */
struct jt_watch_cgroup {
	__u64 job_id;
	__s32 hierarchy_id;
	__u32 pad;
};

/* The repair sweep's argument to repair_proc (BPF_PROG_RUN): in a key, out its job. */
struct jt_repair_args {
	struct jt_proc_key key;
	__u64 job_id; /* the job the entry was in, when it was dropped */
};

_Static_assert(sizeof(struct jt_repair_args) == 24, "jt_repair_args ABI");
_Static_assert(sizeof(struct jt_acct) == 56, "jt_acct ABI");
_Static_assert(sizeof(struct jt_proc_key) == 16, "jt_proc_key ABI");
_Static_assert(sizeof(struct jt_task) == 96, "jt_task ABI");
_Static_assert(sizeof(struct jt_proc) == 192, "jt_proc ABI");
_Static_assert(sizeof(struct jt_job) == 48, "jt_job ABI");
_Static_assert(sizeof(struct jt_job_slot) == 56, "jt_job_slot ABI");
_Static_assert(sizeof(struct jt_job_totals) == 248, "jt_job_totals ABI");
_Static_assert(sizeof(struct jt_counters) == 72, "jt_counters ABI");
_Static_assert(sizeof(struct jt_exit_event) == 208, "jt_exit_event ABI");
_Static_assert(sizeof(struct jt_oom_mark) == 24, "jt_oom_mark ABI");
_Static_assert(sizeof(struct jt_oom_cgroup) == 16 + 8 * JT_OOM_DEPTH + JT_OOM_PATH_LEN,
	       "jt_oom_cgroup ABI");
_Static_assert(sizeof(struct jt_exec_event) == 32 + JT_ARGS_LEN + JT_EXE_LEN, "jt_exec_event ABI");
_Static_assert(sizeof(struct jt_fork_event) == 72, "jt_fork_event ABI");
_Static_assert(sizeof(struct jt_live_rec) == 96, "jt_live_rec ABI");
_Static_assert(sizeof(struct jt_attach_rec) == 32, "jt_attach_rec ABI");
_Static_assert(sizeof(struct jt_attach_root) == 24, "jt_attach_root ABI");
_Static_assert(sizeof(struct jt_watch_cgroup) == 16, "jt_watch_cgroup ABI");
_Static_assert(sizeof(struct jt_adopt_req) == 40, "jt_adopt_req ABI");

/*
 * How far @v must shift right to fit in 32 bits: its bit length less 32,
 * or 0. Without a branch or a loop (each halving step's bit is the carry
 * of the upper half plus all ones below it): the verifier walked the loop
 * it replaces 64 times, at every load of the exit program.
 */
static inline __u64 jt_bits_over_32(__u64 v)
{
	__u64 n = 0, b, over;

	b = ((v >> 32) + 0xffffffffULL) >> 32 << 5;
	v >>= b;
	n += b;
	b = ((v >> 16) + 0xffffULL) >> 16 << 4;
	v >>= b;
	n += b;
	b = ((v >> 8) + 0xffULL) >> 8 << 3;
	v >>= b;
	n += b;
	b = ((v >> 4) + 0xfULL) >> 4 << 2;
	v >>= b;
	n += b;
	b = ((v >> 2) + 0x3ULL) >> 2 << 1;
	v >>= b;
	n += b;
	b = ((v >> 1) + 0x1ULL) >> 1;
	v >>= b;
	n += b + v; /* the bit length */
	over = n - 32;
	return over & ~(__u64)((__s64)over >> 63);
}

/*
 * @total split into user and system time in the ratio of the tick-sampled
 * @utime and @stime, as the kernel's cputime_adjust() does for getrusage():
 * with no system tick all of it is user time, with no user tick all of it
 * is system time. Shared by the BPF side (per process, at exit) and user
 * space (live processes).
 */
static inline __u64 jt_cputime_system(__u64 total, __u64 utime, __u64 stime)
{
	__u64 ticks = utime + stime, shift, s;

	if (stime == 0 || total == 0)
		return 0;
	if (utime == 0)
		return total;
	/* stime * total / ticks without overflowing 64 bits. */
	shift = jt_bits_over_32(total);
	total >>= shift;
	s = jt_bits_over_32(stime);
	stime >>= s;
	ticks >>= s;
	if (ticks == 0)
		return total << shift;
	return (stime * total / ticks) << shift;
}

/*
 * Adds one set of accounting figures to another: in user space, and in a BPF
 * program for a per-CPU value no other program can write meanwhile (plain
 * adds; shared values take atomics, acct_add() in bpf/lineage.bpf.c).
 */
static inline void jt_acct__add(struct jt_acct *dst, const struct jt_acct *src)
{
	dst->cpu_ns += src->cpu_ns;
	dst->utime_ns += src->utime_ns;
	dst->stime_ns += src->stime_ns;
	dst->read_bytes += src->read_bytes;
	dst->write_bytes += src->write_bytes;
	dst->read_chars += src->read_chars;
	dst->write_chars += src->write_chars;
}

#ifdef __cplusplus
}
#ifdef JOBTRACE_LINEAGE_ABI_H_STATIC_ASSERT
#undef _Static_assert
#undef JOBTRACE_LINEAGE_ABI_H_STATIC_ASSERT
#endif
#endif

#endif /* JOBTRACE_LINEAGE_ABI_H */
