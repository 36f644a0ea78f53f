/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The open files of a process: /proc/PID/fd links and /proc/PID/fdinfo,
 * as psutil's num_fds and open_files give them, plus the socket inodes that
 * tie a process to its connections in /proc/PID/net.
 */
#ifndef JOBTRACE_PROC_FD_H
#define JOBTRACE_PROC_FD_H

#ifdef __cplusplus
extern "C" {
#endif

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sysfs_dir;

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

/*
 * The one walk of /proc/PID/fd: the fd numbers of @pid under @proc_fd, in
 * readdir order, nothing read about them. Every user of the fd directory
 * (the open-file list, the fd count, the socket owners) walks it so.
 *
 * proc_fd__walk() calls @fn(fd, @ctx) for each fd; a non-zero return stops
 * the walk and is returned. Otherwise it returns 0, or the -errno of opening
 * PID/fd (-ENOENT: no such process, -EACCES: another user's) or of readdir
 * (-ENOENT: the process exited during the walk).
 */
typedef int (*proc_fd_walk_fn)(int fd, void *ctx);
int proc_fd__walk(int proc_fd, int pid, proc_fd_walk_fn fn, void *ctx);

/*
 * The same walk one fd at a time, for a caller that treats a failure to open
 * the directory apart from one during the walk. open: 0 or -errno as above.
 * next: 1 with *@fd set, 0 at the end, -errno when readdir fails. close:
 * NULL-safe, and safe after a failed open.
 */
struct proc_fd_iter {
	DIR *dir;
};

int proc_fd_iter__open(struct proc_fd_iter *it, int proc_fd, int pid);
int proc_fd_iter__next(struct proc_fd_iter *it, int *fd);
void proc_fd_iter__close(struct proc_fd_iter *it);

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
/*
 * The same over one process's directory (/proc/PID) as a struct sysfs_dir
 * (sysfs_attr.h): a real one, or an image in which "fd/N" holds the link's
 * text (longer than a page: -ENAMETOOLONG, as d_path() answers), "fdinfo/N"
 * its fdinfo, and an "fdreg/N" record stands for a stat() that says regular
 * file. -ENOENT when there is no fd directory.
 */
int proc_fd__list_dir(const struct sysfs_dir *pid_dir, struct proc_fd_list *out);
/* NULL-safe; leaves the list empty. */
void proc_fd_list__free(struct proc_fd_list *l);

#ifdef __cplusplus
}
#endif

#endif
