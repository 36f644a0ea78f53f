// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve --listen: the address it is given, and the listening socket made
 * from it before libmicrohttpd is loaded (a port in use is told with its
 * errno at once); metrics_http.c serves what comes to it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jobtrace/metrics.h"

/* The listen queue: connections wait here for their accept, a pass of the loop. */
#define HTTP_BACKLOG 128

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
