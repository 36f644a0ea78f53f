// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "jobtrace/netsock.h"
#include "jobtrace/util.h"

/* A host with many sockets has large files: 4 MiB of text is ~25,000 sockets. */
#define NETSOCK_MAX_FILE (64U << 20)

const char *netsock__tcp_state_name(unsigned int st)
{
	static const char *const names[NETSOCK_TCP_STATES] = {
		NULL,	       "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1",
		"FIN_WAIT2",   "TIME_WAIT",   "CLOSE",	    "CLOSE_WAIT", "LAST_ACK",
		"LISTEN",      "CLOSING",     "NEW_SYN_RECV",
	};

	return st < NETSOCK_TCP_STATES ? names[st] : NULL;
}

const char *netsock__family_name(unsigned int family)
{
	switch (family) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	default:
		return "other";
	}
}

int netsock__format_addr(char *buf, size_t size, const char *addr, unsigned int port, bool v6)
{
	if (!*addr && !port)
		return snprintf(buf, size, "*");
	if (v6)
		return snprintf(buf, size, "[%s]:%u", *addr ? addr : "::", port);
	return snprintf(buf, size, "%s:%u", *addr ? addr : "0.0.0.0", port);
}

const char *netsock__type_name(unsigned int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_SEQPACKET:
		return "seqpacket";
	case SOCK_RAW:
		return "raw";
	default:
		return "other";
	}
}

/* The next whitespace-separated token of [*p, end), or NULL. */
static const char *token(const char **p, const char *end, size_t *len)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*p = s;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	*len = (size_t)(*p - s);
	return *len ? s : NULL;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 ..." */
static bool parse_inet_line(const char *line, const char *end, unsigned int *state)
{
	const char *p = line, *tok;
	size_t len;
	int hi, lo;

	/* (1) sl, the slot: "N:" */
	tok = token(&p, end, &len);
	if (!tok || tok[len - 1] != ':')
		return false;
	/* (2) local_address, (3) rem_address */
	if (!token(&p, end, &len) || !token(&p, end, &len))
		return false;
	/* (4) st: two hex digits */
	tok = token(&p, end, &len);
	if (!tok || len != 2)
		return false;
	hi = hex_digit(tok[0]);
	lo = hex_digit(tok[1]);
	if (hi < 0 || lo < 0)
		return false;
	*state = (unsigned int)(hi * 16 + lo);
	return true;
}

int netsock__parse_inet(const char *buf, size_t len, bool tcp, struct netsock_counts *out)
{
	const char *p = buf, *end = buf + len, *nl;
	unsigned int st;
	bool header = true;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end; /* a last line without its newline still counts */
		if (header) {
			header = false; /* "  sl  local_address rem_address   st ..." */
			continue;
		}
		if (nl == p)
			continue;
		if (!parse_inet_line(p, nl, &st)) {
			out->bad_lines++;
			continue;
		}
		if (tcp) {
			out->tcp++;
			if (st < NETSOCK_TCP_STATES)
				out->tcp_state[st]++;
			else
				out->bad_lines++;
		} else {
			out->udp++;
		}
	}
	return 0;
}

int netsock__parse_unix(const char *buf, size_t len, struct netsock_counts *out)
{
	const char *p = buf, *end = buf + len, *nl;
	bool header = true;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (header) {
			header = false; /* "Num       RefCount Protocol Flags ..." */
			continue;
		}
		/* "0000000000000000: 00000002 00000000 00010000 0001 01 12345 /path" */
		if (nl - p >= 2 && memchr(p, ':', (size_t)(nl - p)))
			out->unix_++;
		else if (nl != p)
			out->bad_lines++;
	}
	return 0;
}

int netsock__read(int proc_fd, struct netsock_counts *out)
{
	static const struct {
		const char *path;
		int kind; /* 0 tcp, 1 udp, 2 unix */
	} files[] = {
		{ "net/tcp", 0 }, { "net/tcp6", 0 }, { "net/udp", 1 }, { "net/udp6", 1 },
		{ "net/unix", 2 },
	};
	int found = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *buf = NULL;
		ssize_t n = util__read_file_alloc(proc_fd, files[i].path, NETSOCK_MAX_FILE, &buf);

		if (n == -ENOENT)
			continue; /* a kernel without IPv6 has no tcp6 */
		if (n < 0)
			return (int)n;
		found++;
		if (files[i].kind == 2)
			netsock__parse_unix(buf, (size_t)n, out);
		else
			netsock__parse_inet(buf, (size_t)n, files[i].kind == 0, out);
		free(buf);
	}
	return found ? 0 : -ENOENT;
}

/*
 * Per-socket rows. Every field a row uses is checked for length and digits
 * before it is used: a line that fails is counted in bad_lines, whatever
 * @want says, so the count describes the file, not the filter.
 */

/* The number in [s, s + len), digits of @base (10 or 16) only; false when empty or past @max. */
static bool parse_uint(const char *s, size_t len, unsigned int base, __u64 max, __u64 *out)
{
	__u64 v = 0;

	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = base == 16 ? hex_digit(s[i]) : s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1;

		if (d < 0 || v > (max - (__u64)d) / base)
			return false;
		v = v * base + (__u64)d;
	}
	*out = v;
	return true;
}

/* The next token as a number; false when there is none or it is not one. */
static bool next_uint(const char **p, const char *end, unsigned int base, __u64 max, __u64 *out)
{
	size_t len;
	const char *tok = token(p, end, &len);

	return tok && parse_uint(tok, len, base, max, out);
}

/* "hex:hex", as tx_queue:rx_queue and tr:tm->when are printed. */
static bool next_hex_pair(const char **p, const char *end)
{
	size_t len;
	const char *tok = token(p, end, &len), *colon;
	__u64 v;

	if (!tok)
		return false;
	colon = memchr(tok, ':', len);
	return colon && parse_uint(tok, (size_t)(colon - tok), 16, UINT64_MAX, &v) &&
	       parse_uint(colon + 1, len - (size_t)(colon - tok) - 1, 16, UINT64_MAX, &v);
}

/* An address as the kernel printed it: 32-bit words, each in this host's byte order. */
struct inet_endpoint {
	__u32 w[4];
	__u16 port;
};

/*
 * "0100007F:0277" (v4, one word) or "0000000000000000FFFF00000100007F:CAFB"
 * (v6, four words): exactly 8 hex digits a word, ':', 4 hex digits of port.
 */
static bool next_endpoint(const char **p, const char *end, size_t words,
			  struct inet_endpoint *ep)
{
	size_t len;
	const char *tok = token(p, end, &len);
	__u64 v;

	if (!tok || len != words * 8 + 5 || tok[words * 8] != ':')
		return false;
	memset(ep, 0, sizeof(*ep));
	for (size_t i = 0; i < words; i++) {
		if (!parse_uint(tok + i * 8, 8, 16, UINT32_MAX, &v))
			return false;
		ep->w[i] = (__u32)v;
	}
	if (!parse_uint(tok + words * 8 + 1, 4, 16, UINT16_MAX, &v))
		return false;
	ep->port = (__u16)v;
	return true;
}

/* The printable address of @ep, or "" for the wildcard with no port (no peer, not bound). */
static void endpoint__format(const struct inet_endpoint *ep, int family, char *out)
{
	struct in6_addr a;

	out[0] = '\0';
	if (!ep->port && !(ep->w[0] | ep->w[1] | ep->w[2] | ep->w[3]))
		return;
	/* The words are in memory order once stored as host integers. */
	memcpy(&a, ep->w, sizeof(a));
	if (!inet_ntop(family, &a, out, INET6_ADDRSTRLEN))
		out[0] = '\0'; /* cannot happen: the family is ours and the buffer fits */
}

struct inet_line {
	struct inet_endpoint local, remote;
	__u64 inode;
	__u32 uid;
	__u8 st;
};

/*
 * "   1: 0200000A:0016 0100000A:D2F0 01 00000000:00000000 02:00095A3C 00000000  1000 0 20551 4 ..."
 * (tcp and udp alike; tcp6/udp6 have 32-digit addresses). Fields past the
 * refcount differ by protocol and are not read.
 */
static bool parse_inet_conn_line(const char *p, const char *end, size_t words,
				 struct inet_line *l)
{
	const char *tok;
	size_t len;
	__u64 v;

	/* (1) sl: "N:" */
	tok = token(&p, end, &len);
	if (!tok || len < 2 || tok[len - 1] != ':' || !parse_uint(tok, len - 1, 10, UINT32_MAX, &v))
		return false;
	/* (2) local_address, (3) rem_address */
	if (!next_endpoint(&p, end, words, &l->local) || !next_endpoint(&p, end, words, &l->remote))
		return false;
	/* (4) st: two hex digits */
	tok = token(&p, end, &len);
	if (!tok || len != 2 || !parse_uint(tok, len, 16, UINT8_MAX, &v))
		return false;
	l->st = (__u8)v;
	/* (5) tx_queue:rx_queue, (6) tr:tm->when, (7) retrnsmt */
	if (!next_hex_pair(&p, end) || !next_hex_pair(&p, end) ||
	    !next_uint(&p, end, 16, UINT64_MAX, &v))
		return false;
	/* (8) uid */
	if (!next_uint(&p, end, 10, UINT32_MAX, &v))
		return false;
	l->uid = (__u32)v;
	/* (9) timeout, (10) inode */
	if (!next_uint(&p, end, 10, UINT64_MAX, &v) ||
	    !next_uint(&p, end, 10, UINT64_MAX, &l->inode))
		return false;
	/*
	 * (11) the socket's refcount: every kernel prints it after the inode,
	 * so a line that ends at the inode was cut, maybe inside the number.
	 */
	return token(&p, end, &len) != NULL;
}

/* The longest name /proc/net/unix prints: all of sun_path, or '@' and 107 bytes. */
#define UNIX_PATH_BYTES sizeof(((struct sockaddr_un *)0)->sun_path)
_Static_assert(sizeof(((struct netsock_conn *)0)->path) > UNIX_PATH_BYTES,
	       "netsock_conn.path holds the longest unix name and its NUL");

struct unix_line {
	__u64 inode;
	__u32 flags;
	__u8 type, st;
	const char *path; /* in the buffer, not NUL-terminated */
	size_t path_len;
};

/*
 * "0000000000000000: 00000003 00000000 00000000 0001 03 17556 @/tmp/.X11-unix/X0 with space"
 * The path is the rest of the line after one space: it may hold spaces,
 * and start or end with one. Its bytes are the kernel's, unquoted, so a
 * path with a newline in it ends the line early; the rest is then a bad
 * line (or, if crafted to, looks like a socket line: /proc/net/unix
 * cannot tell them apart, and neither can this parser).
 */
static bool parse_unix_conn_line(const char *p, const char *end, struct unix_line *l)
{
	const char *tok;
	size_t len;
	__u64 v;

	/*
	 * (1) Num: the socket's address by %pK, then ':'. Not read as hex: it
	 * is zeroes, a hash, or "(____ptrval____)" before the hash key is
	 * ready early in boot.
	 */
	tok = token(&p, end, &len);
	if (!tok || len < 2 || tok[len - 1] != ':')
		return false;
	/* (2) RefCount, (3) Protocol (always 0) */
	if (!next_uint(&p, end, 16, UINT32_MAX, &v) || !next_uint(&p, end, 16, UINT32_MAX, &v))
		return false;
	/* (4) Flags */
	if (!next_uint(&p, end, 16, UINT32_MAX, &v))
		return false;
	l->flags = (__u32)v;
	/* (5) Type: SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET; af_unix has no other */
	if (!next_uint(&p, end, 16, UINT16_MAX, &v) ||
	    (v != SOCK_STREAM && v != SOCK_DGRAM && v != SOCK_SEQPACKET))
		return false;
	l->type = (__u8)v;
	/* (6) St */
	if (!next_uint(&p, end, 16, UINT8_MAX, &v))
		return false;
	l->st = (__u8)v;
	/* (7) Inode */
	if (!next_uint(&p, end, 10, UINT64_MAX, &l->inode))
		return false;
	/* (8) Path, absent for an unnamed socket */
	l->path = p;
	l->path_len = 0;
	if (p == end)
		return true;
	if (*p != ' ')
		return false;
	l->path = p + 1;
	l->path_len = (size_t)(end - p - 1);
	/* sun_path holds 108 bytes; a longer name, or a NUL, is not the kernel's */
	return l->path_len <= UNIX_PATH_BYTES && !memchr(l->path, '\0', l->path_len);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static bool wanted(__u64 inode, const __u64 *want, size_t n_want)
{
	return !want || bsearch(&inode, want, n_want, sizeof(*want), cmp_u64);
}

/* A zeroed row at the end of @out, or NULL when memory ran out. */
static struct netsock_conn *conns__add(struct netsock_conns *out)
{
	if (out->n == out->cap && util__grow(&out->v, &out->cap, sizeof(*out->v), 64, UTIL_NO_MAX))
		return NULL;
	memset(&out->v[out->n], 0, sizeof(out->v[0]));
	return &out->v[out->n++];
}

/* The kernel's header line, which the first line must be to be skipped. */
static bool is_header(const char *p, const char *end, enum netsock_kind kind)
{
	size_t len;
	const char *tok = token(&p, end, &len);
	const char *want = kind == NETSOCK_UNIX ? "Num" : "sl";

	return tok && len == strlen(want) && !memcmp(tok, want, len);
}

int netsock__parse_conns(const char *buf, size_t len, enum netsock_kind kind, const __u64 *want,
			 size_t n_want, struct netsock_conns *out)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t n0 = out->n;
	__u64 bad0 = out->bad_lines;
	bool tcp = kind == NETSOCK_TCP || kind == NETSOCK_TCP6;
	bool v6 = kind == NETSOCK_TCP6 || kind == NETSOCK_UDP6;

	if ((unsigned int)kind > NETSOCK_UNIX)
		return -EINVAL;
	for (; p < end; p = nl + 1) {
		struct netsock_conn *c;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end; /* a last line without its newline still counts */
		if (nl == p || (p == buf && is_header(p, nl, kind)))
			continue;
		if (kind == NETSOCK_UNIX) {
			struct unix_line l;

			if (!parse_unix_conn_line(p, nl, &l)) {
				out->bad_lines++;
				continue;
			}
			if (!wanted(l.inode, want, n_want))
				continue;
			c = conns__add(out);
			if (!c)
				goto err_rollback;
			c->inode = l.inode;
			c->uid = NETSOCK_UID_NONE;
			c->family = AF_UNIX;
			c->type = l.type;
			c->unix_state = l.st;
			c->unix_flags = l.flags;
			memcpy(c->path, l.path, l.path_len);
		} else {
			struct inet_line l;
			int family = v6 ? AF_INET6 : AF_INET;

			/* The kernel prints no state 0: a tcp line with one is not a socket. */
			if (!parse_inet_conn_line(p, nl, v6 ? 4 : 1, &l) || (tcp && !l.st)) {
				out->bad_lines++;
				continue;
			}
			if (!wanted(l.inode, want, n_want))
				continue;
			c = conns__add(out);
			if (!c)
				goto err_rollback;
			c->inode = l.inode;
			c->uid = l.uid;
			c->family = (__u8)family;
			c->type = tcp ? SOCK_STREAM : SOCK_DGRAM;
			/* A state past NEW_SYN_RECV is kept raw: a newer kernel's, not garbage. */
			c->state = tcp ? l.st : 0;
			c->lport = l.local.port;
			c->rport = l.remote.port;
			endpoint__format(&l.local, family, c->laddr);
			endpoint__format(&l.remote, family, c->raddr);
		}
	}
	return 0;

err_rollback:
	out->n = n0;
	out->bad_lines = bad0;
	return -ENOMEM;
}

int netsock__read_conns(int net_fd, const __u64 *want, size_t n_want, struct netsock_conns *out)
{
	static const struct {
		const char *name;
		enum netsock_kind kind;
		bool optional; /* absent on a kernel without IPv6 */
	} files[] = {
		{ "tcp", NETSOCK_TCP, false },	 { "tcp6", NETSOCK_TCP6, true },
		{ "udp", NETSOCK_UDP, false },	 { "udp6", NETSOCK_UDP6, true },
		{ "unix", NETSOCK_UNIX, false },
	};
	size_t n0 = out->n;
	__u64 bad0 = out->bad_lines;
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *buf = NULL;
		ssize_t n = util__read_file_alloc(net_fd, files[i].name, NETSOCK_MAX_FILE, &buf);

		if (n == -ENOENT && files[i].optional)
			continue;
		if (n < 0) {
			err = (int)n;
			goto err_rollback;
		}
		err = netsock__parse_conns(buf, (size_t)n, files[i].kind, want, n_want, out);
		free(buf);
		if (err)
			goto err_rollback;
	}
	return 0;

err_rollback:
	out->n = n0;
	out->bad_lines = bad0;
	return err;
}

void netsock_conns__free(struct netsock_conns *c)
{
	if (!c)
		return;
	free(c->v);
	memset(c, 0, sizeof(*c));
}
