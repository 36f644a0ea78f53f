/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-process samplers over /proc/PID. Each source has a pure parser over a
 * buffer (proc_pid__parse_*) and a reader (proc_pid__read_*) that takes a
 * proc-root directory fd and a pid, so tests point it at a fixture tree and
 * the CLI at --proc-root.
 *
 * Every function returns 0 or a negative errno:
 *   -ESRCH   the process is gone (ENOENT/ESRCH on open or read, or an empty
 *            file the kernel always fills). A normal event: skip the pid.
 *   -EACCES  the process exists but we may not read this file (io, fd,
 *            smaps_rollup, cwd, exe of another user's process).
 *   -EINVAL  the buffer is not what the kernel writes (including a file cut
 *            mid-line): nothing is filled in as if it were complete.
 *   -EOPNOTSUPP  the process exists but this kernel has no such file
 *            (smaps_rollup before 4.14, io without CONFIG_TASK_IO_ACCOUNTING).
 */
#ifndef JOBTRACE_PROC_PID_H
#define JOBTRACE_PROC_PID_H

#ifdef __cplusplus
extern "C" {
#endif

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * TASK_COMM_LEN is 16, but since 5.17 the stat of a kernel thread carries
 * its full name and a workqueue worker its work item ("kworker/u8:0-writeback"),
 * both cut by the kernel at 63 bytes.
 */
#define PROC_COMM_MAX 64

/* PF_KTHREAD in (9) flags, stable since 2.6.27. */
#define PROC_PF_KTHREAD 0x00200000u
/* PF_EXITING in (9) flags: the task is in exit(2), or a zombie. */
#define PROC_PF_EXITING 0x00000004u

struct proc_stat_fields {
	int32_t pid;			/* (1) pid */
	char comm[PROC_COMM_MAX];	/* (2) comm, any bytes but NUL, NUL-terminated */
	uint32_t comm_len;
	char state;			/* (3) state */
	int32_t ppid;			/* (4) ppid */
	int32_t pgrp;			/* (5) pgrp */
	int32_t session;		/* (6) session */
	int32_t tty_nr;			/* (7) tty_nr */
	uint32_t flags;			/* (9) flags, PF_* */
	uint64_t minflt;		/* (10) minflt */
	uint64_t majflt;		/* (12) majflt */
	uint64_t utime_ticks;		/* (14) utime */
	uint64_t stime_ticks;		/* (15) stime */
	int64_t cutime_ticks;		/* (16) cutime, reaped children */
	int64_t cstime_ticks;		/* (17) cstime */
	int64_t priority;		/* (18) priority, negative for real-time */
	int64_t nice;			/* (19) nice */
	int64_t num_threads;		/* (20) num_threads */
	uint64_t starttime_ticks;	/* (22) starttime, since boot */
	uint64_t vsize_bytes;		/* (23) vsize */
	int64_t rss_pages;		/* (24) rss */
	int32_t processor;		/* (39) processor, 0 if absent */
	uint64_t delayacct_blkio_ticks;	/* (42) delayacct_blkio_ticks, 0 if absent */
	/* How many fields the kernel wrote; fields past it read 0. */
	uint32_t nfields;
};

/* /proc/PID/statm, converted from pages. */
struct proc_statm {
	uint64_t size_bytes;
	uint64_t resident_bytes;
	uint64_t shared_bytes;	/* resident file + shmem pages */
	uint64_t text_bytes;
	uint64_t data_bytes;	/* data + stack */
};

/* /proc/PID/status. Lines a kernel thread or an old kernel lacks read 0. */
struct proc_status {
	uint64_t vm_peak_bytes;
	uint64_t vm_size_bytes;
	uint64_t vm_hwm_bytes;
	uint64_t vm_rss_bytes;
	uint64_t rss_anon_bytes;
	uint64_t rss_file_bytes;
	uint64_t rss_shmem_bytes;
	uint64_t vm_swap_bytes;
	uint64_t threads;
	uint64_t voluntary_ctxt_switches;
	uint64_t nonvoluntary_ctxt_switches;
	uint64_t hugetlb_bytes;		/* HugetlbPages, since 4.4 */
	uint32_t uid_real;		/* Uid: real, effective, saved, filesystem */
	uint32_t uid_effective;
	uint32_t uid_saved;
	uint32_t uid_fs;
	uint32_t gid_real;		/* Gid: the same four */
	uint32_t gid_effective;
	uint32_t gid_saved;
	uint32_t gid_fs;
	int32_t ppid;
	/* The process a thread id belongs to: the id itself for a process (its leader) */
	int32_t tgid;
	/* NSpid's last field: its pid in its own (innermost) pid namespace; 0 before 4.1 */
	int32_t ns_pid;
	bool has_mm;	/* a VmSize line was present: not a kernel thread or zombie */
};

/* /proc/PID/smaps_rollup. */
struct proc_smaps_rollup {
	uint64_t rss_bytes;
	uint64_t pss_bytes;
	uint64_t pss_anon_bytes;	/* the three Pss_* exist since 5.7 */
	uint64_t pss_file_bytes;
	uint64_t pss_shmem_bytes;
	uint64_t shared_clean_bytes;
	uint64_t shared_dirty_bytes;
	uint64_t private_clean_bytes;
	uint64_t private_dirty_bytes;
	uint64_t private_hugetlb_bytes;
	uint64_t swap_bytes;
	uint64_t swap_pss_bytes;
	/* Private_Clean + Private_Dirty + Private_Hugetlb: freed if it exits. */
	uint64_t uss_bytes;
	bool has_pss_split;	/* Pss_Anon/File/Shmem were present */
};

/* /proc/PID/io. Includes the I/O of reaped children (kernel/exit.c). */
struct proc_io {
	uint64_t rchar;
	uint64_t wchar;
	uint64_t syscr;
	uint64_t syscw;
	uint64_t read_bytes;
	uint64_t write_bytes;
	uint64_t cancelled_write_bytes;
};

/* The target of /proc/PID/cwd or exe. */
struct proc_link {
	char path[PATH_MAX];	/* NUL-terminated, " (deleted)" removed */
	size_t len;		/* 0: no target (exe of a kernel thread or zombie) */
	bool deleted;		/* the kernel appended " (deleted)" */
};

/*
 * /proc/PID/cmdline as an argv. One allocation: @argv (argc + 1 pointers,
 * NULL-terminated) followed by the bytes the args point into. An argument
 * cannot contain a NUL (it is the separator the kernel uses), so each
 * argv[i] is an exact C string, as execve(2) takes it, and its length is
 * strlen(); @arg_len is kept for callers that write escaped bytes, so
 * they need no strlen. Bytes are raw: invalid UTF-8 and newlines pass through.
 */
struct proc_cmdline {
	char **argv;
	size_t *arg_len;
	size_t argc;
	bool rewritten;	/* not NUL-terminated (setproctitle): split on spaces, as ps does */
};

/* One line of /proc/PID/cgroup: "hierarchy-ID:controller-list:cgroup-path". */
struct proc_cgroup_entry {
	uint32_t hierarchy_id;	/* 0 for the v2 unified hierarchy */
	const char *controllers;	/* "" for v2, "cpu,cpuacct" or "name=systemd" for v1 */
	const char *path;
};

struct proc_cgroup {
	struct proc_cgroup_entry *entries;	/* in file order; same allocation as the strings */
	size_t n;
	const char *unified_path;	/* path of the "0::" line, NULL without cgroup v2 */
};

/*
 * Appends the pids of a task's "children" file (CONFIG_PROC_CHILDREN, 3.5+:
 * "PID PID ... ", one task's children only) to *@pids, which holds *@n of
 * *@cap (grown with util__grow). @buf is NUL-terminated. -EINVAL at the first
 * thing that is not a pid (what came before it stays), -ENOMEM.
 */
int proc_pid__parse_children(const char *buf, int **pids, size_t *n, size_t *cap);

int proc_pid__parse_stat(const char *buf, size_t len, struct proc_stat_fields *out);
int proc_pid__parse_statm(const char *buf, size_t len, long page_size, struct proc_statm *out);
int proc_pid__parse_status(const char *buf, size_t len, struct proc_status *out);
int proc_pid__parse_smaps_rollup(const char *buf, size_t len, struct proc_smaps_rollup *out);
int proc_pid__parse_io(const char *buf, size_t len, struct proc_io *out);
/* Allocates: release with proc_cmdline__free / proc_cgroup__free. */
int proc_pid__parse_cmdline(const char *buf, size_t len, struct proc_cmdline *out);
int proc_pid__parse_cgroup(const char *buf, size_t len, struct proc_cgroup *out);
/*
 * /proc/PID/environ has argv's layout: "KEY=value" strings, each ending in a
 * NUL, any other bytes allowed (a newline, invalid UTF-8). Split on NULs
 * only; an environment the process rewrote may lack the last NUL, and its
 * last string is then kept whole (@rewritten set).
 */
int proc_pid__parse_environ(const char *buf, size_t len, struct proc_cmdline *out);
/*
 * The value of the "Key:<blanks>value" line @key in a file of such lines
 * (status, fdinfo), without the key, the colon and the blanks after it:
 * *@val points into @buf. -ENOENT when there is no such line, -EINVAL for a
 * cut last line.
 */
int proc_kv__find(const char *buf, size_t len, const char *key, const char **val,
		  size_t *val_len);
/*
 * The name of the terminal (7) tty_nr encodes, as /dev spells it below /dev:
 * "pts/3", "tty1", "ttyS0", "console"; "MAJOR:MINOR" for a driver not
 * known here; "" for no terminal (tty_nr 0). Returns @buf.
 */
const char *proc_pid__tty_name(int32_t tty_nr, char *buf, size_t size);
/* Strips " (deleted)" from a link target of @len bytes, in place. */
void proc_link__set(struct proc_link *out, const char *target, size_t len);
/*
 * @l as an exec record's exe carries it (bpf/lineage_path.bpf.h's rule):
 * " (deleted)" put back, as /proc/PID/exe shows it; a path of @size bytes
 * or more keeps its last @size - 1, less a leading '/' (a cut path never
 * starts with one). Writes @dst NUL-terminated; returns its length.
 */
size_t proc_link__exe(const struct proc_link *l, char *dst, size_t size);

int proc_pid__read_stat(int proc_fd, int pid, struct proc_stat_fields *out);
/*
 * (22) starttime of @pid in ns since boot (CLOCK_BOOTTIME, at a clock
 * tick's resolution): what tells it from a later process with its pid.
 */
int proc_pid__start_ns(int proc_fd, int pid, uint64_t *start_ns);
/* One clock tick (_SC_CLK_TCK) in ns: the resolution of /proc's times. */
uint64_t proc_pid__tick_ns(void);
int proc_pid__read_statm(int proc_fd, int pid, struct proc_statm *out);
int proc_pid__read_status(int proc_fd, int pid, struct proc_status *out);
/*
 * Costly: the kernel walks every page table of the process, so this is only
 * ever called on purpose. A kernel thread or a zombie has no mm, and the
 * kernel answers -ESRCH for those too; (3) state and (9) flags tell them apart.
 */
int proc_pid__read_smaps_rollup(int proc_fd, int pid, struct proc_smaps_rollup *out);
int proc_pid__read_io(int proc_fd, int pid, struct proc_io *out);
/* Number of open fds (entries of PID/fd); returns the count or a negative errno. */
int proc_pid__count_fds(int proc_fd, int pid);
int proc_pid__read_cwd(int proc_fd, int pid, struct proc_link *out);
int proc_pid__read_exe(int proc_fd, int pid, struct proc_link *out);
int proc_pid__read_cmdline(int proc_fd, int pid, struct proc_cmdline *out);
/*
 * The first @size bytes of @pid's cmdline as the kernel has them (argv,
 * NUL-separated), unparsed and cut where @size ends, as an exec record
 * carries them: the bytes read (0: a kernel thread's, a zombie's), or a
 * negative errno (-ESRCH: gone).
 */
ssize_t proc_pid__read_args(int proc_fd, int pid, char *buf, size_t size);
int proc_pid__read_cgroup(int proc_fd, int pid, struct proc_cgroup *out);
/*
 * A kernel thread has no environment: the kernel answers ESRCH while the pid
 * is alive, which reads as an empty one here, not as an exit. Another user's
 * environment is -EACCES.
 */
int proc_pid__read_environ(int proc_fd, int pid, struct proc_cmdline *out);
/* (1)..(52) of /proc/PID/task/TID/stat: one thread of PID. */
int proc_pid__read_task_stat(int proc_fd, int pid, int tid, struct proc_stat_fields *out);

/* NULL-safe; leave the struct empty (argc 0 / n 0). */
void proc_cmdline__free(struct proc_cmdline *c);
void proc_cgroup__free(struct proc_cgroup *c);

static inline bool proc_stat__is_kthread(const struct proc_stat_fields *s)
{
	return s->flags & PROC_PF_KTHREAD;
}

#ifdef __cplusplus
}
#endif

#endif
