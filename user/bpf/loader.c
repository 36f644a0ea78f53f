// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "jobtrace/loader.h"
#include "jobtrace/util.h"

static int print_warnings(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* libbpf's debug level is its own tracing; the verifier log is a warning. */
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int print_nothing(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

void loader__log_init(bool verbose)
{
	libbpf_set_print(verbose ? print_warnings : print_nothing);
}

ssize_t loader__read_iter(int link_fd, char **buf, size_t *cap)
{
	size_t len = 0;
	ssize_t n;
	int fd, err;

	fd = bpf_iter_create(link_fd);
	if (fd < 0)
		return -errno;
	for (;;) {
		/* A read returns whole records; keep room for a large one. */
		if (*cap - len < 64 * 1024) {
			err = util__grow(buf, cap, 1, 1 << 20, 1U << 30);
			if (err) {
				close(fd);
				return err;
			}
		}
		n = read(fd, *buf + len, *cap - len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return (ssize_t)len;
}

int loader__stream_iter(int link_fd, char *buf, size_t cap, size_t rec_size,
			int (*fn)(void *ctx, const void *rec), void *ctx)
{
	size_t len = 0, off;
	ssize_t n;
	int fd, err = 0;

	if (!rec_size || cap < rec_size)
		return -EINVAL;
	fd = bpf_iter_create(link_fd);
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			break;
		}
		if (n == 0) {
			if (len)
				err = -EPROTO;
			break;
		}
		len += (size_t)n;
		for (off = 0; off + rec_size <= len; off += rec_size) {
			err = fn(ctx, buf + off);
			if (err)
				goto out;
		}
		/* A record cut by the end of this read: its start goes first. */
		memmove(buf, buf + off, len - off);
		len -= off;
	}
out:
	close(fd);
	return err;
}
