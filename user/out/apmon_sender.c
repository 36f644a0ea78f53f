// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ApMon's sender: destinations, sequence numbers, splitting a record's
 * parameters into datagrams, and counting what could not go.
 *
 * No rate limit as ApMon's (20/s in C, 10/s in Python, with random drops):
 * our sends are paced by the collector's interval, a few datagrams per
 * interval and job, and a dropped datagram would be a silent gap.
 */
#include <endian.h>
#include <signal.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/apmon.h"
#include "jobtrace/util.h"

/* ---- the sender ---- */

struct apmon_out {
	struct apmon_dest d;
	int fd;
	bool connected; /* else sendto: the route may come up later */
	uint32_t seq;
};

struct apmon_sender {
	struct apmon_out out[APMON_MAX_DESTS];
	size_t n;
	uint32_t instance_id;
	struct apmon_sender_stats st;
	unsigned char buf[APMON_MAX_DGRAM];
};

/*
 * As apmon.py: (pid % 32768) << 16 | last octet of our address << 8 |
 * a random byte, so that a receiver tells two senders on a host apart.
 */
static uint32_t instance_id(const struct apmon_sender *a)
{
	unsigned char rnd = 0, octet = 0;

	for (size_t i = 0; i < a->n; i++) {
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);

		if (a->out[i].connected && a->out[i].d.addr.ss_family == AF_INET &&
		    !getsockname(a->out[i].fd, (struct sockaddr *)&sin, &len)) {
			octet = (unsigned char)(be32toh(sin.sin_addr.s_addr) & 0xff);
			break;
		}
	}
	if (getrandom(&rnd, 1, GRND_NONBLOCK) != 1)
		rnd = (unsigned char)util__now_ns();
	return ((uint32_t)(getpid() % 32768) << 16) | ((uint32_t)octet << 8) | rnd;
}

struct apmon_sender *apmon_sender__new(const struct apmon_opts *o)
{
	struct apmon_sender *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	for (size_t i = 0; i < o->n; i++) {
		struct apmon_out *out = &a->out[a->n];

		out->d = o->dests[i];
		out->fd = socket(out->d.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				 0);
		if (out->fd < 0) {
			fprintf(stderr, "jobtrace: apmon: cannot open a socket for %s: %s\n",
				out->d.name, strerror(errno));
			apmon_sender__free(a);
			return NULL;
		}
		/* Connected, the kernel keeps the route and tells us of an ICMP refusal. */
		out->connected =
			!connect(out->fd, (struct sockaddr *)&out->d.addr, out->d.addr_len);
		a->n++;
	}
	a->instance_id = instance_id(a);
	return a;
}

static int send_one(struct apmon_out *out, const void *buf, size_t len)
{
	ssize_t n;

	if (out->connected)
		n = send(out->fd, buf, len, MSG_DONTWAIT);
	else
		n = sendto(out->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&out->d.addr,
			   out->d.addr_len);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EMSGSIZE;
}

size_t apmon_sender__send(struct apmon_sender *a, const char *cluster, const char *node,
			  const struct apmon_param *p, size_t n)
{
	size_t sent = 0;

	for (size_t i = 0; i < a->n; i++) {
		struct apmon_out *out = &a->out[i];
		struct apmon_head h = {
			.password = out->d.password,
			.instance_id = a->instance_id,
			.cluster = cluster,
			.node = node,
		};

		for (size_t first = 0, k; first < n; first += k) {
			ssize_t len;
			int err;

			k = apmon__fit(&h, p + first, n - first, sizeof(a->buf));
			/* The first is 1, as apmon.py's. */
			out->seq = (out->seq + 1) % APMON_SEQ_WRAP;
			len = apmon__encode(a->buf, sizeof(a->buf), &h, out->seq, p + first, k);
			if (len < 0) {
				/* A name or node too long for any datagram: it cannot go. */
				a->st.too_large++;
				continue;
			}
			a->st.datagrams++;
			err = send_one(out, a->buf, (size_t)len);
			/*
			 * A refusal is the ICMP answer to an earlier datagram (nobody
			 * listened then); it costs this send, not the next: once more.
			 */
			if (err == -ECONNREFUSED)
				err = send_one(out, a->buf, (size_t)len);
			if (err) {
				a->st.failed++;
				a->st.last_err = err;
				continue;
			}
			a->st.sent++;
			sent++;
		}
	}
	return sent;
}

void apmon_sender__stats(const struct apmon_sender *a, struct apmon_sender_stats *out)
{
	*out = a->st;
}

void apmon_sender__free(struct apmon_sender *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		close(a->out[i].fd);
	free(a);
}
