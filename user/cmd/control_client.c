// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The client side of serve's control socket (protocol in
 * include/jobtrace/control.h), shared by `run` and `watch` through serve:
 * a request on a fresh connection, and its reply read by a deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "jobtrace/control.h"
#include "jobtrace/util.h"

int control_client__read(int fd, struct control_reply *r, size_t want, __u64 deadline_ns,
			 const volatile sig_atomic_t *stop)
{
	while (want ? r->len < want : !r->len || !memchr(r->buf, '\n', r->len)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		__u64 now = util__now_ns();
		ssize_t n;

		if (now >= deadline_ns)
			return -ETIMEDOUT;
		if (stop && *stop)
			return -EINTR;
		if (poll(&p, 1, (int)((deadline_ns - now) / 1000000 + 1)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r->len + 4096 > r->cap &&
		    util__grow(&r->buf, &r->cap, 1, r->len + 4096, 64U << 20))
			return -ENOMEM;
		n = recv(fd, r->buf + r->len, r->cap - r->len, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		r->len += (size_t)n;
	}
	return 0;
}

int control_client__send(const char *path, const char *req)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(req), off = 0;
	int fd, err;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A unix connect does not wait: there, refused, or a full backlog (EAGAIN). */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = -errno;
		goto err_close;
	}
	/* A line fits a socket's buffer: send() takes it whole or says why. */
	while (off < len) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno != EINTR && errno != EAGAIN) {
			err = -errno;
			goto err_close;
		}
		off += n > 0 ? (size_t)n : 0;
	}
	return fd;

err_close:
	close(fd);
	return err;
}

int control_client__request(const char *path, const char *req, struct control_reply *r,
			    __u64 deadline_ns, const volatile sig_atomic_t *stop)
{
	int fd = control_client__send(path, req), err;

	if (fd < 0)
		return fd;
	r->len = 0;
	err = control_client__read(fd, r, 0, deadline_ns, stop);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

const char *control_client__line(struct control_reply *r)
{
	char *nl = memchr(r->buf, '\n', r->len);

	if (nl)
		*nl = '\0';
	return r->buf;
}

int control_client__body(int fd, struct control_reply *r, const char **data, size_t *len,
			 __u64 deadline_ns, const volatile sig_atomic_t *stop)
{
	const char *head = control_client__line(r);
	size_t off = strlen(head) + 1;
	unsigned long n;
	int err, status;

	/* "REPORT N STATUS"; a serve before the status said "REPORT N": unknown (-1). */
	r->status = -1;
	err = sscanf(head, "REPORT %lu %d", &n, &status);
	if (err < 1 || n > (32U << 20))
		return -EPROTO;
	if (err == 2 && status >= 0 && status < 256)
		r->status = status;
	err = control_client__read(fd, r, off + n, deadline_ns, stop);
	if (err)
		return err;
	*data = r->buf + off;
	*len = n;
	return 0;
}
