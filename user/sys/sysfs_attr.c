// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

/* Room for any integer attribute; a longer file is not a number anyway. */
#define NUM_BUF_SIZE 64

/* After strto*(): the rest of the buffer may only be whitespace. */
static int check_end(const char *buf, const char *end)
{
	if (end == buf)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -EINVAL : 0;
}

int sysfs_attr__parse_s64(const char *buf, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(buf, &end, 10);
	if (errno)
		return -EINVAL;
	return check_end(buf, end);
}

int sysfs_attr__parse_u64(const char *buf, unsigned long long *v)
{
	const char *p = buf;
	char *end;

	/* strtoull() accepts "-1" and returns ULLONG_MAX: refuse any sign. */
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-' || *p == '+')
		return -EINVAL;
	errno = 0;
	*v = strtoull(p, &end, 10);
	if (errno)
		return -EINVAL;
	return check_end(p, end);
}

int sysfs_attr__read_s64(int dirfd, const char *path, long long *v)
{
	struct sysfs_dir d;

	sysfs_dir__from_fd(&d, dirfd);
	return sysfs_dir__read_s64(&d, path, v);
}

int sysfs_attr__read_u64(int dirfd, const char *path, unsigned long long *v)
{
	struct sysfs_dir d;

	sysfs_dir__from_fd(&d, dirfd);
	return sysfs_dir__read_u64(&d, path, v);
}

int sysfs_attr__read_str(int dirfd, const char *path, char *buf, size_t size)
{
	struct sysfs_dir d;

	sysfs_dir__from_fd(&d, dirfd);
	return sysfs_dir__read_str(&d, path, buf, size);
}

/* ---- directories: a real one, or an image ---- */

void sysfs_dir__from_fd(struct sysfs_dir *d, int fd)
{
	memset(d, 0, sizeof(*d));
	d->fd = fd;
}

void sysfs_dir__from_image(struct sysfs_dir *d, const void *img, size_t len)
{
	sysfs_dir__from_fd(d, -1);
	d->img = img;
	d->img_len = len;
}

/* One record of an image: its path and content; false past the last one. */
struct img_rec {
	const char *path, *data;
	size_t path_len, data_len;
};

static bool img_next(const struct sysfs_dir *d, size_t *off, struct img_rec *r)
{
	const char *p = d->img + *off, *end = d->img + d->img_len, *nul;

	if (*off >= d->img_len)
		return false;
	nul = memchr(p, '\0', (size_t)(end - p));
	if (!nul) {
		/* A path without its content: no file, and the end of the image. */
		*off = d->img_len;
		r->path = p;
		r->path_len = 0;
		r->data = end;
		r->data_len = 0;
		return true;
	}
	r->path = p;
	r->path_len = (size_t)(nul - p);
	r->data = nul + 1;
	nul = memchr(r->data, '\0', (size_t)(end - r->data));
	r->data_len = nul ? (size_t)(nul - r->data) : (size_t)(end - r->data);
	*off = (size_t)(r->data + r->data_len - d->img) + (nul ? 1 : 0);
	return true;
}

/* @d's prefix followed by @path, or -ENAMETOOLONG. */
static int img_path(const struct sysfs_dir *d, const char *path, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s", d->prefix, path);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

int sysfs_dir__open(const struct sysfs_dir *parent, const char *path, struct sysfs_dir *out)
{
	struct img_rec r;
	size_t off = 0;
	int n;

	if (parent->fd >= 0 || !parent->img) {
		int fd = openat(parent->fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		sysfs_dir__from_fd(out, fd);
		out->owned = true;
		return 0;
	}
	sysfs_dir__from_image(out, parent->img, parent->img_len);
	n = img_path(parent, path, out->prefix, sizeof(out->prefix) - 1);
	if (n < 0)
		return n;
	out->prefix[n++] = '/';
	out->prefix[n] = '\0';
	out->prefix_len = (size_t)n;
	/* A directory exists when some file lies under it. */
	while (img_next(out, &off, &r))
		if (r.path_len > out->prefix_len && !memcmp(r.path, out->prefix, out->prefix_len))
			return 0;
	/* "path" itself a file: not a directory. */
	off = 0;
	while (img_next(out, &off, &r))
		if (r.path_len == out->prefix_len - 1 && !memcmp(r.path, out->prefix, r.path_len))
			return -ENOTDIR;
	return -ENOENT;
}

void sysfs_dir__close(struct sysfs_dir *d)
{
	if (!d)
		return;
	if (d->owned && d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->owned = false;
}

static int list_fd(const struct sysfs_dir *d, int (*fn)(const char *name, void *ctx), void *ctx)
{
	struct dirent *de;
	DIR *dir;
	int err = 0;

	dir = util__opendir_at(d->fd, ".");
	if (!dir)
		return -errno;
	while (!err && (errno = 0, de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		err = fn(de->d_name, ctx);
	}
	if (!err && errno)
		err = -errno;
	closedir(dir);
	return err;
}

/* The entry of @d that record @r lies in: its name's start and length, or 0. */
static size_t img_entry(const struct sysfs_dir *d, const struct img_rec *r, const char **name)
{
	const char *slash;

	if (r->path_len <= d->prefix_len || memcmp(r->path, d->prefix, d->prefix_len))
		return 0;
	*name = r->path + d->prefix_len;
	slash = memchr(*name, '/', r->path_len - d->prefix_len);
	return slash ? (size_t)(slash - *name) : r->path_len - d->prefix_len;
}

int sysfs_dir__list(const struct sysfs_dir *d, int (*fn)(const char *name, void *ctx), void *ctx)
{
	char name[NAME_MAX + 1];
	struct img_rec r, q;
	size_t off = 0;
	int err;

	if (d->fd >= 0 || !d->img)
		return list_fd(d, fn, ctx);
	while (img_next(d, &off, &r)) {
		const char *e, *f;
		size_t len = img_entry(d, &r, &e), prev = 0;
		bool seen = false;

		if (!len || len > NAME_MAX)
			continue;
		/* Named once: skip it when an earlier record lies in it too. */
		while (!seen && prev < off && img_next(d, &prev, &q) && prev < off)
			seen = img_entry(d, &q, &f) == len && !memcmp(e, f, len);
		if (seen)
			continue;
		memcpy(name, e, len);
		name[len] = '\0';
		if ((len == 1 && name[0] == '.') || (len == 2 && !strcmp(name, "..")))
			continue;
		err = fn(name, ctx);
		if (err)
			return err;
	}
	return 0;
}

ssize_t sysfs_dir__read(const struct sysfs_dir *d, const char *path, char *buf, size_t size)
{
	char full[SYSFS_DIR_PREFIX + NAME_MAX + 2];
	struct img_rec r;
	size_t off = 0;
	int n;

	if (d->fd >= 0 || !d->img)
		return util__read_file_at(d->fd, path, buf, size);
	if (size == 0)
		return -EINVAL;
	n = img_path(d, path, full, sizeof(full));
	if (n < 0)
		return n;
	while (img_next(d, &off, &r)) {
		size_t len;

		if (r.path_len != (size_t)n || memcmp(r.path, full, (size_t)n))
			continue;
		/* As util__read_file_at(): what fits, NUL-terminated, and -EFBIG past it. */
		len = r.data_len < size - 1 ? r.data_len : size - 1;
		memcpy(buf, r.data, len);
		buf[len] = '\0';
		return r.data_len > len ? -EFBIG : (ssize_t)len;
	}
	return -ENOENT;
}

int sysfs_dir__read_s64(const struct sysfs_dir *d, const char *path, long long *v)
{
	char buf[NUM_BUF_SIZE];
	ssize_t n = sysfs_dir__read(d, path, buf, sizeof(buf));

	if (n < 0)
		return n == -EFBIG ? -EINVAL : (int)n;
	return sysfs_attr__parse_s64(buf, v);
}

int sysfs_dir__read_u64(const struct sysfs_dir *d, const char *path, unsigned long long *v)
{
	char buf[NUM_BUF_SIZE];
	ssize_t n = sysfs_dir__read(d, path, buf, sizeof(buf));

	if (n < 0)
		return n == -EFBIG ? -EINVAL : (int)n;
	return sysfs_attr__parse_u64(buf, v);
}

int sysfs_dir__read_str(const struct sysfs_dir *d, const char *path, char *buf, size_t size)
{
	ssize_t n = sysfs_dir__read(d, path, buf, size);

	if (n < 0)
		return (int)n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}
