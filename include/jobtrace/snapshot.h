/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A snapshot of every process on the host: a BPF task iterator dumps every
 * task in one read(), with a /proc walk as the fallback where BPF cannot
 * load. The record below crosses from bpf/snapshot.bpf.c.
 */
#ifndef JOBTRACE_SNAPSHOT_H
#define JOBTRACE_SNAPSHOT_H

#ifdef __cplusplus
/* C++ spells C11's _Static_assert static_assert; undone at the end. */
#ifndef _Static_assert
#define _Static_assert static_assert
#define JOBTRACE_SNAPSHOT_H_STATIC_ASSERT
#endif
extern "C" {
#endif

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * 3: ns_tgid in the former padding. 4: a leader's arguments may follow its
 * record (args, args_len).
 */
#define JT_SNAP_VERSION 4

/*
 * The most bytes of arguments the iterator copies for one process. One
 * object's output must fit the iterator's seq_file buffer (8 pages), so
 * this stays well under 32 KiB; past it, /proc/PID/cmdline is read for
 * just that process (JT_ARGS_LONG), so nothing is ever cut.
 */
#define JT_ARGS_MAX 16384

/*
 * What follows a record: the process's arguments, or why it has none and
 * /proc/PID/cmdline is to be read for them instead.
 */
enum jt_args_state {
	JT_ARGS_NONE = 0, /* not read: a thread, or the iterator without args (before 5.18) */
	JT_ARGS_READ = 1, /* args_len bytes follow, as /proc/PID/cmdline reads them */
	JT_ARGS_LONG = 2, /* longer than JT_ARGS_MAX */
	JT_ARGS_TITLE = 3, /* rewritten (setproctitle: the last byte is not a NUL) */
	JT_ARGS_FAULT = 4, /* the copy failed (a page it could not fault in, an exec meanwhile) */
	JT_ARGS_BUSY = 5, /* every scratch slot was in use (readers preempted on one CPU) */
};

/*
 * One task (thread) as the iterator writes it. A record with args
 * JT_ARGS_READ is followed by args_len bytes and then by zeros up to a
 * multiple of 8: the next record starts there, 8-byte aligned.
 */
struct jt_task_rec {
	__u16 version; /* JT_SNAP_VERSION */
	__u16 size; /* sizeof(struct jt_task_rec) */
	/* pid, tgid and ppid are numbers in the reader's pid namespace. */
	__u32 pid; /* thread id */
	__u32 tgid;
	__u32 ppid; /* the parent process, now (after any reparenting); 0 if not visible */
	__u32 uid; /* real uid, in the initial user namespace */
	__u32 state; /* __state */
	__s32 exit_state;
	__u32 nr_threads; /* of its process */
	__u32 host_pid; /* pid and tgid in the initial pid namespace */
	__u32 host_tgid;
	__u64 start_ns; /* CLOCK_BOOTTIME, of the process */
	__u64 cpu_ns; /* this thread's sum_exec_runtime */
	__u64 dead_threads_cpu_ns; /* signal->sum_sched_runtime, for the leader */
	__u64 rss_pages; /* of its mm: file + anon + shmem */
	__u64 vm_pages; /* total_vm */
	__u8 is_leader;
	__u8 kthread;
	__u8 args; /* enum jt_args_state */
	__u8 pad;
	__u32 ns_tgid; /* tgid in its own (innermost) pid namespace: a container's number */
	char comm[16];
	__u32 args_len; /* bytes of arguments after the record (JT_ARGS_READ), <= JT_ARGS_MAX */
	__u32 pad2;
};

_Static_assert(sizeof(struct jt_task_rec) == 112, "jt_task_rec ABI");

/*
 * A reader's share of one pass of the iterator with arguments: the tasks
 * whose (initial namespace) tgid % count is index, threads with their
 * leader. Set for the reading thread in the task storage map `readers`
 * (bpf/snapshot.bpf.c); a reader without one is given every task. Several
 * readers on as many CPUs then copy the arguments, most of a pass's time,
 * side by side.
 */
#define JT_ITER_MAX_READERS 4

struct jt_iter_share {
	__u32 index;
	__u32 count;
};

_Static_assert(sizeof(struct jt_iter_share) == 8, "jt_iter_share ABI");

/* Where the record after one with @args_len bytes of arguments starts. */
#define JT_TASK_REC_NEXT(args_len) (sizeof(struct jt_task_rec) + (((args_len) + 7u) & ~7u))

#ifndef __bpf__
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "jobtrace/proc_pid.h"

/* The uid of a process whose status could not be read. */
#define PS_UID_UNKNOWN ((uid_t)-1)

/* A process, whichever source filled it. */
struct ps_entry {
	pid_t pid; /* in the reader's pid namespace, as its /proc shows it */
	pid_t ppid;
	pid_t host_pid; /* in the initial pid namespace; 0 when not known */
	pid_t ns_pid; /* in its own (innermost) pid namespace (a container's); 0: not known */
	uid_t uid; /* real uid; PS_UID_UNKNOWN */
	char state; /* as ps shows it: R S D I T t Z X */
	bool kthread;
	bool from_proc; /* read from /proc, not by the iterator */
	unsigned int threads;
	__u64 cpu_ns; /* all its threads, the exited ones included */
	__u64 rss_bytes;
	__u64 vm_bytes;
	__u64 start_boot_ns; /* CLOCK_BOOTTIME when it started */
	char comm[17];
	/* Filled on demand (snapshot__read_users, snapshot__read_args), for USER and ARGS. */
	char user[33]; /* the name of uid; "" when it has none or was not looked up */
	bool args_known; /* cmdline was read: an empty one is a kernel thread's or a zombie's */
	struct proc_cmdline cmdline; /* owned; freed by snapshot__free */
};

struct ps_snapshot {
	struct ps_entry *procs; /* sorted by pid */
	size_t n;
	size_t tasks; /* threads seen */
	const char *source; /* "bpf-iter" or "proc" */
	__u64 read_ns; /* time spent reading the snapshot itself */
	__u64 vanished; /* /proc entries gone between readdir and read */
	__u64 unreadable; /* /proc entries whose stat did not parse (cut, garbage): not listed */
	size_t filled_from_proc; /* in /proc, not seen by the iterator: read from /proc */
	size_t missing_from_proc; /* in /proc, not seen by the iterator, and unreadable there */
	size_t kernel_tasks; /* the kernel's count of tasks (/proc/loadavg); 0: not read */
	bool walked_proc; /* /proc was walked: the counts differed, or could not be read */
	size_t args_iterated; /* processes whose arguments the iterator copied */
	size_t args_left; /* processes the iterator left to /proc (JT_ARGS_LONG, _TITLE, ...) */
	unsigned int readers; /* the iterator's readers, side by side; 0: not iterated */
	bool cpus_busy; /* when taken, other tasks ran on every CPU we may use but ours */
};

struct snapshot_iter;

/*
 * Loads the task iterator, or with @use_pin opens the one pinned under
 * /sys/fs/bpf/jobtrace (pinning it there first, mounting bpffs if need be):
 * a pinned iterator costs no load. With @args, the sleepable one that also
 * copies each process's arguments where the kernel has it (5.18+:
 * bpf_copy_from_user_task and iter.s, told by the kernel's BTF; not with
 * JOBTRACE_BPF_COMPAT set); elsewhere the plain one, and snapshot__read_args
 * reads them all from /proc. NULL with errno set (and a message when @verbose).
 */
struct snapshot_iter *snapshot_iter__open(bool verbose, bool use_pin, bool args);
/* Whether @it copies arguments (JT_ARGS_READ records). */
bool snapshot_iter__has_args(const struct snapshot_iter *it);
void snapshot_iter__free(struct snapshot_iter *it);
/*
 * One pass of the iterator into @out (sorted by pid). With arguments, read
 * by as many threads as snapshot_iter__set_readers() says (by default one
 * a CPU this process may run on, at most JT_ITER_MAX_READERS), each
 * copying the arguments of its share of the processes; by one where the
 * kernel cannot tell readers apart (pidfds of threads: 6.9+) or a thread
 * cannot start.
 */
int snapshot_iter__read(struct snapshot_iter *it, struct ps_snapshot *out);
/* At most @n readers (1 to JT_ITER_MAX_READERS; 0: the default) for @it's passes. */
void snapshot_iter__set_readers(struct snapshot_iter *it, unsigned int n);
/*
 * How many tasks besides the caller run now (/proc/loadavg's runnable,
 * less one), read by the caller just before a pass: the pass is shared
 * only where they leave a CPU free for each reader. A reader whose CPU
 * another task holds made a shared pass slower than one reader (loaded
 * 2-CPU host: 15 ms against 12). Marked in the snapshot (cpus_busy).
 */
void snapshot_iter__others_running(struct snapshot_iter *it, unsigned int n);

/* Folds raw task records (any order, threads included) into processes. */
int snapshot__from_records(const struct jt_task_rec *recs, size_t n, __u64 page_size,
			   struct ps_snapshot *out);
/*
 * The same from the iterator's output as read: @len bytes of records, each
 * with the arguments that may follow it (JT_TASK_REC_NEXT), parsed into the
 * entry's cmdline (args_known). -EPROTO for a cut or foreign record.
 */
int snapshot__from_stream(const void *buf, size_t len, __u64 page_size, struct ps_snapshot *out);
/* The same from a /proc walk under @proc_fd. */
int snapshot__from_proc(int proc_fd, struct ps_snapshot *out);
void snapshot__free(struct ps_snapshot *s);
/*
 * Adds to an iterator's snapshot @s the processes of @proc_fd that @s
 * lacks, read from /proc and counted in filled_from_proc; one that cannot
 * be read there is counted in missing_from_proc. Pid 1, where @s lacks it,
 * is read alone; the rest only where the tasks then counted differ from the
 * kernel's own count (loadavg's, kernel_tasks), by a readdir of @proc_fd
 * (walked_proc). A process that started at or after @before_boot_ns
 * (CLOCK_BOOTTIME when the iterator was read) is left out: the iterator
 * could not have seen it. @proc_fd must show the reader's pid namespace
 * (snapshot__proc_is_ours). 0 or a negative errno.
 */
int snapshot__fill_from_proc(struct ps_snapshot *s, int proc_fd, __u64 before_boot_ns);
/*
 * The same, with @before, /proc/loadavg as read just before the iterator:
 * the walk is skipped only where no task began or ended between that read
 * and the one after the iterator, so that no fork or exit can make up for a
 * process the iterator did not show. ps passes it; NULL: as above.
 */
struct loadavg;
int snapshot__fill_from_proc_since(struct ps_snapshot *s, int proc_fd, __u64 before_boot_ns,
				   const struct loadavg *before);
/* Whether @proc_fd is a proc of our pid namespace: its "self" is our pid. */
bool snapshot__proc_is_ours(int proc_fd);

/*
 * What ps's USER and ARGS need, read by the loader, never by the writer.
 * snapshot__read_users: each entry's user name (getpwuid_r, once per uid;
 * "" when the uid has no name). snapshot__read_args: each entry's
 * PID/cmdline under @proc_fd, which must show the snapshot's pid namespace,
 * for the entries whose arguments the iterator did not copy (!args_known);
 * one that cannot be read (gone, refused) stays !args_known. A pid reused
 * between the snapshot and this read shows its new owner's arguments, as
 * ps(1) would. 0 or -ENOMEM.
 */
int snapshot__read_users(struct ps_snapshot *s);
int snapshot__read_args(struct ps_snapshot *s, int proc_fd);

/* ps's state letter for a task's __state and exit_state. */
char snapshot__state_char(__u32 state, __s32 exit_state);
/* The entry of @pid, or NULL. */
const struct ps_entry *snapshot__find(const struct ps_snapshot *s, pid_t pid);
#endif

#ifdef __cplusplus
}
#ifdef JOBTRACE_SNAPSHOT_H_STATIC_ASSERT
#undef _Static_assert
#undef JOBTRACE_SNAPSHOT_H_STATIC_ASSERT
#endif
#endif

#endif
