// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/PID/fd and /proc/PID/fdinfo (fs/proc/fd.c). The link of an fd is
 * d_path() of the open file, or "TYPE:[INODE]" for a pseudo file; fdinfo
 * starts with "pos:", "flags:" (octal) and "mnt_id:".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobtrace/proc_fd.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

/* Digits of @base in [s, s + n), all of them, without overflow. */
static int parse_base(const char *s, size_t n, unsigned int base, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned int d = (unsigned char)s[i] - '0';

		if (d >= base || v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

int proc_fd__parse_fdinfo(const char *buf, size_t len, int64_t *pos, uint32_t *flags)
{
	const char *val;
	bool neg;
	size_t n;
	uint64_t v;
	int err;

	/* "%lli": a device with unsigned offsets (/dev/mem) shows a negative one. */
	err = proc_kv__find(buf, len, "pos", &val, &n);
	if (err)
		return -EINVAL;
	neg = n > 0 && val[0] == '-';
	if (parse_base(val + neg, n - neg, 10, &v) || v > (uint64_t)INT64_MAX + neg)
		return -EINVAL;
	*pos = neg ? (int64_t)(0 - v) : (int64_t)v;
	err = proc_kv__find(buf, len, "flags", &val, &n);
	if (err || parse_base(val, n, 8, &v) || v > UINT32_MAX)
		return -EINVAL;
	*flags = (uint32_t)v;
	return 0;
}

enum proc_fd_kind proc_fd__classify(const char *target, size_t len, uint64_t *inode)
{
	static const struct {
		const char *prefix;
		enum proc_fd_kind kind;
	} kinds[] = {
		{ "socket:[", PROC_FD_SOCKET },
		{ "pipe:[", PROC_FD_PIPE },
	};

	*inode = 0;
	if (len > 0 && target[0] == '/')
		return PROC_FD_PATH;
	if (len >= 11 && memcmp(target, "anon_inode:", 11) == 0)
		return PROC_FD_ANON;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t plen = strlen(kinds[i].prefix);

		if (len > plen + 1 && memcmp(target, kinds[i].prefix, plen) == 0 &&
		    target[len - 1] == ']' &&
		    !parse_base(target + plen, len - plen - 1, 10, inode))
			return kinds[i].kind;
	}
	*inode = 0;
	return PROC_FD_OTHER;
}

const char *proc_fd__mode(uint32_t flags)
{
	bool append = flags & O_APPEND;

	switch (flags & O_ACCMODE) {
	case O_WRONLY:
		return append ? "a" : "w";
	case O_RDWR:
		return append ? "a+" : "r+";
	default:
		return "r";
	}
}

static int by_fd(const void *a, const void *b)
{
	const struct proc_fd_entry *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

/*
 * Whether fd/N (@path under @pid_dir) is open on a regular file: following
 * the magic link stats the open file itself, deleted or not. An image has no
 * stat: there an fdreg/N record says so.
 */
static bool fd_regular(const struct sysfs_dir *pid_dir, const char *path, int fd,
		       struct stat *st)
{
	char reg_path[32], c;

	st->st_ino = 0; /* none: an image's record */
	if (pid_dir->fd >= 0 || !pid_dir->img)
		return fstatat(pid_dir->fd, path, st, 0) == 0 && S_ISREG(st->st_mode);
	snprintf(reg_path, sizeof(reg_path), "fdreg/%d", fd);
	return sysfs_dir__read(pid_dir, reg_path, &c, 1) != -ENOENT;
}

/* readlinkat() of fd/N, or its record in an image; the length or -errno. */
static ssize_t fd_readlink(const struct sysfs_dir *pid_dir, const char *path, char *buf,
			   size_t size)
{
	ssize_t n;

	if (pid_dir->fd >= 0 || !pid_dir->img) {
		n = readlinkat(pid_dir->fd, path, buf, size);
		return n < 0 ? -errno : n;
	}
	/* A link longer than a page is what d_path() refuses with -ENAMETOOLONG. */
	n = sysfs_dir__read(pid_dir, path, buf, size + 1);
	return n == -EFBIG ? -ENAMETOOLONG : n;
}

/* Fills @e for fd @fd of the PID directory @pid_dir; -ENOENT when the fd was closed meanwhile. */
static int read_entry(const struct sysfs_dir *pid_dir, int fd, struct proc_fd_entry *e)
{
	/* d_path() writes into one page: a link is at most PAGE_SIZE - 1 bytes. */
	char path[64], target[4096 + 1], info[4096];
	struct proc_link link;
	struct stat st;
	ssize_t n;

	memset(e, 0, sizeof(*e));
	e->fd = fd;
	snprintf(path, sizeof(path), "fd/%d", fd);
	n = fd_readlink(pid_dir, path, target, sizeof(target) - 1);
	if (n < 0) {
		int err = (int)n;

		/* Gone, or not ours to read: for the caller. Anything else is this fd's own. */
		if (err == -ENOENT || err == -EACCES || err == -ENOMEM)
			return err;
		e->err = err;
		e->kind = PROC_FD_OTHER;
		n = 0;
	} else {
		e->kind = proc_fd__classify(target, (size_t)n, &e->inode);
	}
	e->regular = fd_regular(pid_dir, path, fd, &st);
	if (e->kind == PROC_FD_PATH) {
		proc_link__set(&link, target, (size_t)n);
		/*
		 * A file whose name itself ends in " (deleted)" reads the same as
		 * an unlinked one: the name, as it reads, is the open file's own
		 * (the same inode), or it was unlinked. As psutil tells them.
		 */
		if (link.deleted && e->regular && st.st_ino) {
			struct stat named;

			target[n] = '\0';
			if (!stat(target, &named) && named.st_dev == st.st_dev &&
			    named.st_ino == st.st_ino)
				link.deleted = false;
		}
		e->deleted = link.deleted;
		if (e->deleted) {
			n = (ssize_t)link.len;
			memcpy(target, link.path, link.len);
		}
	}
	e->target = malloc((size_t)n + 1);
	if (!e->target)
		return -ENOMEM;
	memcpy(e->target, target, (size_t)n);
	e->target[n] = '\0';
	e->target_len = (size_t)n;

	snprintf(path, sizeof(path), "fdinfo/%d", fd);
	n = sysfs_dir__read(pid_dir, path, info, sizeof(info));
	/* fdinfo of an epoll or inotify fd lists every watch: only the head matters. */
	if (n == -EFBIG)
		n = (ssize_t)strnlen(info, sizeof(info));
	e->has_info = n > 0 && !proc_fd__parse_fdinfo(info, (size_t)n, &e->pos, &e->flags);
	return 0;
}

/* An fd directory entry's name as an fd: digits that fit an int; false for ".", "abc". */
static bool fd_of_name(const char *name, int *fd)
{
	char *end;
	long v;

	if (name[0] == '.')
		return false;
	errno = 0;
	v = strtol(name, &end, 10);
	if (errno || *end || v < 0 || v > INT32_MAX)
		return false;
	*fd = (int)v;
	return true;
}

int proc_fd_iter__open(struct proc_fd_iter *it, int proc_fd, int pid)
{
	char path[32];

	snprintf(path, sizeof(path), "%d/fd", pid);
	it->dir = util__opendir_at(proc_fd, path);
	return it->dir ? 0 : -errno;
}

int proc_fd_iter__next(struct proc_fd_iter *it, int *fd)
{
	struct dirent *de;

	for (;;) {
		errno = 0;
		de = readdir(it->dir);
		if (!de)
			return -errno;
		if (fd_of_name(de->d_name, fd))
			return 1;
	}
}

void proc_fd_iter__close(struct proc_fd_iter *it)
{
	if (!it || !it->dir)
		return;
	closedir(it->dir);
	it->dir = NULL;
}

int proc_fd__walk(int proc_fd, int pid, proc_fd_walk_fn fn, void *ctx)
{
	struct proc_fd_iter it;
	int fd, err;

	err = proc_fd_iter__open(&it, proc_fd, pid);
	if (err)
		return err;
	while ((err = proc_fd_iter__next(&it, &fd)) > 0) {
		err = fn(fd, ctx);
		if (err)
			break;
	}
	proc_fd_iter__close(&it);
	return err;
}

struct list_walk {
	const struct sysfs_dir *pid_dir;
	struct proc_fd_list *out;
};

static int list_add(const char *name, void *ctx)
{
	struct list_walk *lw = ctx;
	struct proc_fd_list *out = lw->out;
	int fd, err;

	if (!fd_of_name(name, &fd))
		return 0;
	if (out->n == out->cap) {
		err = util__grow(&out->v, &out->cap, sizeof(*out->v), 16, UTIL_NO_MAX);
		if (err)
			return err;
	}
	err = read_entry(lw->pid_dir, fd, &out->v[out->n]);
	if (err == -ENOENT) {
		/* Closed between readdir and readlink: a normal race. */
		free(out->v[out->n].target);
		out->vanished++;
		return 0;
	}
	if (err) {
		free(out->v[out->n].target);
		return err;
	}
	out->unreadable += out->v[out->n].err != 0;
	out->n++;
	return 0;
}

int proc_fd__list_dir(const struct sysfs_dir *pid_dir, struct proc_fd_list *out)
{
	struct list_walk lw = { .pid_dir = pid_dir, .out = out };
	struct sysfs_dir fd_dir;
	int err;

	memset(out, 0, sizeof(*out));
	err = sysfs_dir__open(pid_dir, "fd", &fd_dir);
	if (err)
		return err;
	err = sysfs_dir__list(&fd_dir, list_add, &lw);
	sysfs_dir__close(&fd_dir);
	if (err) {
		proc_fd_list__free(out);
		return err;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_fd);
	return 0;
}

int proc_fd__list(int proc_fd, int pid, struct proc_fd_list *out)
{
	struct sysfs_dir proc, pid_dir;
	char path[32];
	int err;

	memset(out, 0, sizeof(*out));
	sysfs_dir__from_fd(&proc, proc_fd);
	snprintf(path, sizeof(path), "%d", pid);
	err = sysfs_dir__open(&proc, path, &pid_dir);
	if (!err) {
		err = proc_fd__list_dir(&pid_dir, out);
		sysfs_dir__close(&pid_dir);
	}
	/* fds vanishing because the whole process exited is not a list. */
	if (!err && out->vanished) {
		struct stat st;

		if (fstatat(proc_fd, path, &st, 0))
			err = -ESRCH;
	}
	if (err) {
		proc_fd_list__free(out);
		return err == -ENOENT ? -ESRCH : err;
	}
	return 0;
}

void proc_fd_list__free(struct proc_fd_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].target);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
