// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ApMon's datagram (pure XDR, RFC 4506) and its destinations (HOST[:PORT]
 * [PASSWORD]), for the sender (apmon_sender.c) and the sink (sink_apmon.c).
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
#include "jobtrace/cli.h"

/* ---- the datagram: XDR (RFC 4506), big-endian, strings padded to 4 ---- */

#define HEADER_PREFIX "v:" APMON_VERSION "p:"

static size_t xdr_string_size(size_t len)
{
	return 4 + ((len + 3) & ~(size_t)3);
}

struct xdr {
	unsigned char *p;
	size_t len;
};

static void xdr_u32(struct xdr *x, uint32_t v)
{
	v = htobe32(v);
	memcpy(x->p + x->len, &v, 4);
	x->len += 4;
}

static void xdr_u64(struct xdr *x, uint64_t v)
{
	v = htobe64(v);
	memcpy(x->p + x->len, &v, 8);
	x->len += 8;
}

/* The bytes of @n strings as one XDR string: its length, them, zeros to 4. */
static void xdr_strings(struct xdr *x, const char *const *s, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += strlen(s[i]);
	xdr_u32(x, (uint32_t)len);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(s[i]);

		memcpy(x->p + x->len, s[i], l);
		x->len += l;
	}
	while (len++ & 3)
		x->p[x->len++] = 0;
}

static void xdr_string(struct xdr *x, const char *s)
{
	xdr_strings(x, &s, 1);
}

size_t apmon__param_size(const struct apmon_param *p)
{
	size_t n = xdr_string_size(strlen(p->name)) + 4;

	switch (p->type) {
	case APMON_STRING:
		return n + xdr_string_size(strlen(p->v.s));
	case APMON_REAL64:
		return n + 8;
	default:
		return n + 4;
	}
}

size_t apmon__head_size(const struct apmon_head *h)
{
	return xdr_string_size(strlen(HEADER_PREFIX) + strlen(h->password)) + 4 + 4 +
	       xdr_string_size(strlen(h->cluster)) + xdr_string_size(strlen(h->node)) + 4 +
	       (h->timestamp > 0 ? 4 : 0);
}

ssize_t apmon__encode(void *buf, size_t size, const struct apmon_head *h, uint32_t seq,
		      const struct apmon_param *p, size_t n)
{
	const char *header[] = { HEADER_PREFIX, h->password };
	struct xdr x = { .p = buf };
	size_t need = apmon__head_size(h);
	uint32_t u;

	for (size_t i = 0; i < n; i++)
		need += apmon__param_size(&p[i]);
	if (need > size)
		return -ENOSPC;
	xdr_strings(&x, header, 2);
	xdr_u32(&x, h->instance_id);
	xdr_u32(&x, seq);
	xdr_string(&x, h->cluster);
	xdr_string(&x, h->node);
	xdr_u32(&x, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		xdr_string(&x, p[i].name);
		xdr_u32(&x, (uint32_t)p[i].type);
		switch (p[i].type) {
		case APMON_STRING:
			xdr_string(&x, p[i].v.s);
			break;
		case APMON_INT32:
			xdr_u32(&x, (uint32_t)p[i].v.i32);
			break;
		case APMON_REAL32:
			memcpy(&u, &p[i].v.r32, 4);
			xdr_u32(&x, u);
			break;
		case APMON_REAL64: {
			uint64_t b;

			memcpy(&b, &p[i].v.r64, 8);
			xdr_u64(&x, b);
			break;
		}
		}
	}
	if (h->timestamp > 0)
		xdr_u32(&x, (uint32_t)h->timestamp);
	return (ssize_t)x.len;
}

size_t apmon__fit(const struct apmon_head *h, const struct apmon_param *p, size_t n, size_t max)
{
	size_t used = apmon__head_size(h), k = 0;

	while (k < n && used + apmon__param_size(&p[k]) <= max)
		used += apmon__param_size(&p[k++]);
	return k || !n ? k : 1;
}

/* ---- destinations ---- */

static int parse_dest(const char *spec, struct apmon_dest *out, const char **why, bool wait)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char buf[300], *host, *port = NULL, *pw, *end;
	unsigned long portnum = APMON_DEFAULT_PORT;
	char portstr[8];
	int rc;

	memset(out, 0, sizeof(*out));
	if (strlen(spec) >= sizeof(buf)) {
		*why = "too long";
		return -EINVAL;
	}
	strcpy(buf, spec);
	/* "host[:port] [password]", as ApMon's destination lines. */
	host = buf + strspn(buf, " \t");
	pw = host + strcspn(host, " \t");
	if (*pw) {
		*pw++ = '\0';
		pw += strspn(pw, " \t");
		end = pw + strlen(pw);
		while (end > pw && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
	}
	if (strlen(HEADER_PREFIX) + strlen(pw) > APMON_MAX_HEADER) {
		*why = "the password is longer than ApMon's header allows (36 bytes)";
		return -EINVAL;
	}
	if (*host == '[') {
		end = strchr(host, ']');
		if (!end || (end[1] && end[1] != ':')) {
			*why = "an IPv6 address is written [ADDR] or [ADDR]:PORT";
			return -EINVAL;
		}
		*end = '\0';
		host++;
		if (end[1])
			port = end + 2;
	} else if ((end = strchr(host, ':')) && !strchr(end + 1, ':')) {
		*end = '\0';
		port = end + 1;
	} /* else: no port, or a bare IPv6 address */
	if (!*host) {
		*why = "no host";
		return -EINVAL;
	}
	if (strlen(host) >= sizeof(out->host)) {
		*why = "the host name is too long";
		return -EINVAL;
	}
	if (port && cli__parse_uint(port, 1, 65535, &portnum)) {
		*why = "the port is not a number from 1 to 65535";
		return -EINVAL;
	}
	snprintf(portstr, sizeof(portstr), "%lu", portnum);
	strcpy(out->password, pw);
	strcpy(out->host, host);
	strcpy(out->port, portstr);
	snprintf(out->name, sizeof(out->name), strchr(host, ':') ? "[%.60s]:%s" : "%.60s:%s", host,
		 portstr);
	/* A numeric address never waits; only a name asks the resolver. */
	if (!wait)
		hints.ai_flags |= AI_NUMERICHOST;
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (!wait && rc == EAI_NONAME)
		return 0; /* a name: apmon_lookup's */
	if (rc || !res) {
		*why = rc ? gai_strerror(rc) : "no address";
		return -ENOENT;
	}
	memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
	out->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int apmon__parse_dest(const char *spec, struct apmon_dest *out, const char **why)
{
	return parse_dest(spec, out, why, true);
}

int apmon__parse_dest_nowait(const char *spec, struct apmon_dest *out, const char **why)
{
	return parse_dest(spec, out, why, false);
}

size_t apmon__unresolved(const struct apmon_opts *o)
{
	size_t n = 0;

	for (size_t i = 0; i < o->n; i++)
		n += !o->dests[i].addr_len;
	return n;
}
