// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
