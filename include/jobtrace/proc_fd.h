/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The open files of a process: /proc/PID/fd links and /proc/PID/fdinfo,
 * as psutil's num_fds and open_files give them, plus the socket inodes that
 * tie a process to its connections in /proc/PID/net.
 */
#ifndef JOBTRACE_PROC_FD_H
#define JOBTRACE_PROC_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum proc_fd_kind {
	PROC_FD_PATH,	/* a file system object: regular file, directory, device */
	PROC_FD_SOCKET,	/* "socket:[INODE]" */
	PROC_FD_PIPE,	/* "pipe:[INODE]" */
	PROC_FD_ANON,	/* "anon_inode:[eventfd]", "anon_inode:inotify" */
	PROC_FD_OTHER,	/* any other pseudo file ("net:[4026531840]", "mnt:[...]") */
};

struct proc_fd_entry {
	int fd;
	enum proc_fd_kind kind;
	bool regular;		/* the open file is a regular file (stat through the link) */
	bool deleted;		/* the kernel appended " (deleted)" */
	bool has_info;		/* @pos and @flags were read from fdinfo */
	uint64_t inode;		/* of a socket or a pipe; 0 otherwise */
	int64_t pos;		/* fdinfo pos: the file offset, negative past 2^63 (/dev/mem) */
	uint32_t flags;		/* fdinfo flags: the O_* the file was opened with */
	int err;		/* the link could not be read (-ENAMETOOLONG): @target is "" */
	char *target;		/* the link, NUL-terminated, " (deleted)" removed, any bytes */
	size_t target_len;
};

struct proc_fd_list {
	struct proc_fd_entry *v;	/* sorted by fd */
	size_t n, cap;
	size_t vanished;		/* fds closed between readdir and readlink */
	size_t unreadable;		/* fds whose link could not be read (@err set) */
};

/* pos and flags (octal) of an fdinfo file; -EINVAL without both. */
int proc_fd__parse_fdinfo(const char *buf, size_t len, int64_t *pos, uint32_t *flags);
/* What a link target names; *@inode is set for sockets and pipes. */
enum proc_fd_kind proc_fd__classify(const char *target, size_t len, uint64_t *inode);
/* "r", "w", "a", "r+" or "a+", as open(2) and fopen(3) name the access of @flags. */
const char *proc_fd__mode(uint32_t flags);
/*
 * Every fd of @pid under @proc_fd. An fd closed while we look is skipped and
 * counted; one whose link cannot be read (d_path() fails past 4 KiB) is
 * kept with @err set; fdinfo that cannot be read leaves has_info false.
 * -ESRCH: the process is gone, also when it exited during the walk;
 * -EACCES: another user's process.
 */
int proc_fd__list(int proc_fd, int pid, struct proc_fd_list *out);
/* NULL-safe; leaves the list empty. */
void proc_fd_list__free(struct proc_fd_list *l);

#endif
