// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GET /metrics over HTTP, served from the collector's own loop.
 *
 * libmicrohttpd runs with MHD_USE_EPOLL and no thread: its epoll fd is one
 * more fd in the collector's loop, MHD_run() answers what is ready, and a
 * sink's flush (every pass of the loop) runs it too, for its timeouts. The
 * listening socket is made here rather than by MHD, so a port in use is
 * told with its errno before anything is loaded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "jobtrace/metrics.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

/* The listen queue: connections wait here while every slot is taken (see below). */
#define HTTP_BACKLOG 128

struct metrics_http {
	struct MHD_Daemon *d;
	struct metrics *m;
	metrics_stats_fn stats_fn;
	void *stats_ctx;
	__u64 scrapes;
};

int metrics_http__split_listen(const char *addr, char *host, size_t size, unsigned int *port)
{
	const char *colon = strrchr(addr, ':'), *h = addr, *p;
	unsigned long v = METRICS_DEFAULT_PORT;
	size_t hlen;

	/* A ':' inside brackets is the IPv6 address's own: "[::1]" has no port. */
	if (colon && addr[0] == '[' && strchr(colon, ']'))
		colon = NULL;
	hlen = colon ? (size_t)(colon - addr) : strlen(addr);
	if (colon) {
		p = colon + 1;
		/* Digits alone, at most 5: no sign, no blank, no service name. */
		if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5)
			return strspn(p, "0123456789") == strlen(p) && *p ? -ERANGE : -EINVAL;
		v = strtoul(p, NULL, 10);
		if (v > 65535)
			return -ERANGE;
	} else if (!hlen || strspn(addr, "0123456789") == hlen) {
		/* "9100" is a port without its ':', never the address 0.0.35.140. */
		return -EINVAL;
	}
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
		if (!hlen)
			return -EINVAL;
	} else if (memchr(h, ':', hlen) || memchr(h, '[', hlen) || memchr(h, ']', hlen)) {
		return -EINVAL; /* an IPv6 address needs its brackets */
	}
	if (hlen >= size)
		return -EINVAL;
	if (hlen == 0) {
		/* Only what the user names is exposed: the default is loopback. */
		snprintf(host, size, "127.0.0.1");
	} else {
		memcpy(host, h, hlen);
		host[hlen] = '\0';
	}
	*port = (unsigned int)v;
	return 0;
}

/* "ADDR:PORT", or "[ADDR6]:PORT", of a bound socket: what the kernel says, not what we asked. */
static void bound_name(int fd, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned int port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		snprintf(buf, size, "?");
		return;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		snprintf(buf, size, "[%s]:%u", a, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
		snprintf(buf, size, "%s:%u", a, port);
	}
}

int metrics_http__listen(const char *addr, char *bound, size_t bound_size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	char host[256], shown[300], portstr[8];
	struct addrinfo *ai = NULL;
	int fd = -1, one = 1, err;
	unsigned int port;

	err = metrics_http__split_listen(addr, host, sizeof(host), &port);
	if (err)
		return err;
	snprintf(portstr, sizeof(portstr), "%u", port);
	snprintf(shown, sizeof(shown), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, portstr);
	err = getaddrinfo(host, portstr, &hints, &ai);
	if (err) {
		fprintf(stderr, "jobtrace: cannot listen on %s: %s\n", shown, gai_strerror(err));
		return -EADDRNOTAVAIL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	/* A restart soon after a stop must not wait out TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, HTTP_BACKLOG))
		goto fail;
	freeaddrinfo(ai);
	bound_name(fd, bound, bound_size);
	return fd;
fail:
	err = -errno;
	fprintf(stderr, "jobtrace: cannot listen on %s: %s\n", shown, strerror(-err));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return err;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code, const char *text,
			     const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct metrics_http *h = cls;
	enum metrics_format fmt;
	struct MHD_Response *resp;
	struct collector_stats st;
	enum MHD_Result ret;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "Not found: jobtrace serves /metrics\n", NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed\n", "GET, HEAD");
	fmt = metrics__negotiate(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_ACCEPT));
	if (h->stats_fn) {
		h->stats_fn(h->stats_ctx, &st);
		metrics__counters(h->m, &st);
	}
	metrics__expire(h->m, util__now_ns());
	f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	if (metrics__write(h->m, f, fmt)) {
		fclose(f);
		free(buf);
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot write the metrics\n", NULL);
	}
	fclose(f);
	h->scrapes++;
	/* open_memstream's buffer is malloc'd: MHD frees it once sent. */
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, metrics__content_type(fmt));
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

struct metrics_http *metrics_http__new(int listen_fd, struct metrics *m, metrics_stats_fn fn,
				       void *ctx)
{
	struct metrics_http *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (!h) {
		close(listen_fd);
		return NULL;
	}
	h->m = m;
	h->stats_fn = fn;
	h->stats_ctx = ctx;
	if (!getsockname(listen_fd, (struct sockaddr *)&ss, &sl) && ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* No MHD_USE_INTERNAL_POLLING_THREAD: the collector's loop is the only one. */
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET,
				listen_fd, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64, MHD_OPTION_END);
	if (!h->d) {
		close(listen_fd);
		free(h);
		errno = EIO;
		return NULL;
	}
	return h;
}

static void on_ready(void *ctx, int fd, __u32 events)
{
	struct metrics_http *h = ctx;

	MHD_run(h->d);
}

/* A sink with a flush alone: MHD's timeouts run on every pass of the loop. */
struct http_sink {
	struct sink base;
	struct metrics_http *h;
};

static int http_flush(struct sink *s)
{
	struct metrics_http *h = ((struct http_sink *)s)->h;

	if (h->d)
		MHD_run(h->d);
	return 0;
}

static const struct sink_ops http_sink_ops = {
	.name = "http",
	.flush = http_flush,
};

int metrics_http__attach(struct metrics_http *h, struct collector *c)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	struct http_sink *s;
	int err;

	if (!info)
		return -EIO;
	err = collector__add_fd(c, info->epoll_fd, EPOLLIN, on_ready, h);
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base.ops = &http_sink_ops;
	s->base.path = "/metrics";
	s->h = h;
	return collector__add_sink(c, &s->base);
}

void metrics_http__free(struct metrics_http *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	free(h);
}
