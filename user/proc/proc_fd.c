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

/* Fills @e for fd @fd; -ENOENT when the fd was closed meanwhile. */
static int read_entry(int proc_fd, int pid, int fd, struct proc_fd_entry *e)
{
	/* d_path() writes into one page: a link is at most PAGE_SIZE - 1 bytes. */
	char path[64], target[4096 + 1], info[4096];
	struct proc_link link;
	struct stat st;
	ssize_t n;

	memset(e, 0, sizeof(*e));
	e->fd = fd;
	snprintf(path, sizeof(path), "%d/fd/%d", pid, fd);
	n = readlinkat(proc_fd, path, target, sizeof(target) - 1);
	if (n < 0) {
		int err = -errno;

		/* Gone, or not ours to read: for the caller. Anything else is this fd's own. */
		if (err == -ENOENT || err == -EACCES || err == -ENOMEM)
			return err;
		e->err = err;
		e->kind = PROC_FD_OTHER;
		n = 0;
	} else {
		e->kind = proc_fd__classify(target, (size_t)n, &e->inode);
	}
	/* Following the magic link stats the open file itself, deleted or not. */
	e->regular = fstatat(proc_fd, path, &st, 0) == 0 && S_ISREG(st.st_mode);
	if (e->kind == PROC_FD_PATH) {
		proc_link__set(&link, target, (size_t)n);
		e->deleted = link.deleted;
		n = (ssize_t)link.len;
		memcpy(target, link.path, link.len);
	}
	e->target = malloc((size_t)n + 1);
	if (!e->target)
		return -ENOMEM;
	memcpy(e->target, target, (size_t)n);
	e->target[n] = '\0';
	e->target_len = (size_t)n;

	snprintf(path, sizeof(path), "%d/fdinfo/%d", pid, fd);
	n = util__read_file_at(proc_fd, path, info, sizeof(info));
	/* fdinfo of an epoll or inotify fd lists every watch: only the head matters. */
	if (n == -EFBIG)
		n = (ssize_t)strnlen(info, sizeof(info));
	e->has_info = n > 0 && !proc_fd__parse_fdinfo(info, (size_t)n, &e->pos, &e->flags);
	return 0;
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
		char *end;
		long v;

		errno = 0;
		de = readdir(it->dir);
		if (!de)
			return -errno;
		if (de->d_name[0] == '.')
			continue;
		errno = 0;
		v = strtol(de->d_name, &end, 10);
		if (errno || *end || v < 0 || v > INT32_MAX)
			continue;
		*fd = (int)v;
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
	int proc_fd, pid;
	struct proc_fd_list *out;
};

static int list_add(int fd, void *ctx)
{
	struct list_walk *lw = ctx;
	struct proc_fd_list *out = lw->out;
	int err;

	if (out->n == out->cap) {
		err = util__grow(&out->v, &out->cap, sizeof(*out->v), 16, UTIL_NO_MAX);
		if (err)
			return err;
	}
	err = read_entry(lw->proc_fd, lw->pid, fd, &out->v[out->n]);
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

int proc_fd__list(int proc_fd, int pid, struct proc_fd_list *out)
{
	struct list_walk lw = { .proc_fd = proc_fd, .pid = pid, .out = out };
	char path[32];
	int err;

	memset(out, 0, sizeof(*out));
	err = proc_fd__walk(proc_fd, pid, list_add, &lw);
	/* fds vanishing because the whole process exited is not a list. */
	if (!err && out->vanished) {
		struct stat st;

		snprintf(path, sizeof(path), "%d", pid);
		if (fstatat(proc_fd, path, &st, 0))
			err = -ESRCH;
	}
	if (err) {
		proc_fd_list__free(out);
		return err == -ENOENT ? -ESRCH : err;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_fd);
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
