// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sockets of the host, and who holds them, as JSON and as a table
 * (`jobtrace connections`); a socket's fields as `jobtrace inspect` writes
 * them too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "jobtrace/connections.h"
#include "jobtrace/json.h"
#include "jobtrace/util.h"

const char *connections__status(const struct netsock_conn *s)
{
	if (s->family == AF_UNIX || s->type != SOCK_STREAM)
		return NULL;
	return netsock__tcp_state_name(s->state);
}

void connections__write_socket(struct json_writer *w, const struct netsock_conn *s)
{
	const char *st = connections__status(s);

	json__string(w, "family", netsock__family_name(s->family));
	json__string(w, "type", netsock__type_name(s->type));
	if (s->family == AF_UNIX) {
		json__string(w, "path", s->path);
	} else {
		json__string(w, "laddr", s->laddr);
		json__u64(w, "lport", s->lport);
		json__string(w, "raddr", s->raddr);
		json__u64(w, "rport", s->rport);
	}
	if (st)
		json__string(w, "status", st);
	else
		json__null(w, "status");
	if (s->uid != NETSOCK_UID_NONE)
		json__u64(w, "uid", s->uid);
	else
		json__null(w, "uid");
	json__u64(w, "inode", s->inode);
}

static void json_conn(struct json_writer *w, const struct netsock_conn *s,
		      const struct conn_owner *o)
{
	json__begin_object(w, NULL);
	connections__write_socket(w, s);
	if (o) {
		json__i64(w, "pid", o->pid);
		json__i64(w, "fd", o->fd);
		json__string(w, "comm", o->comm);
	} else {
		json__null(w, "pid");
		json__null(w, "fd");
		json__null(w, "comm");
	}
	json__end_object(w);
}

int connections__write_json(FILE *f, const struct connections *c, unsigned int mask)
{
	struct json_writer w;

	json__init(&w, f, false);
	json__begin_object(&w, NULL);
	/* One row per holder: a socket shared by a forked server shows once per process. */
	json__begin_array(&w, "connections");
	for (size_t i = 0; i < c->socks.n; i++) {
		const struct netsock_conn *s = &c->socks.v[i];
		const struct conn_owner *o;
		size_t n;

		if (!connections__match(s, mask))
			continue;
		o = connections__owners(c, s->inode, &n);
		if (!n)
			json_conn(&w, s, NULL);
		for (size_t j = 0; j < n; j++)
			json_conn(&w, s, &o[j]);
	}
	json__end_array(&w);
	json__u64(&w, "processes", c->procs);
	json__u64(&w, "processes_unreadable", c->procs_unreadable);
	json__u64(&w, "bad_lines", c->socks.bad_lines);
	json__end_object(&w);
	return json__finish(&w);
}

static void text_addr(FILE *f, const char *addr, unsigned int port, bool v6)
{
	char buf[INET6_ADDRSTRLEN + 16];
	int n = netsock__format_addr(buf, sizeof(buf), addr, port, v6);

	fprintf(f, "%-*s", 24 > n ? 24 : n + 1, buf);
}

int connections__write_text(FILE *f, const struct connections *c, unsigned int mask)
{
	fprintf(f, "%-6s %-23s %-23s %-12s %8s %5s %s\n", "PROTO", "LOCAL", "REMOTE", "STATE",
		"PID", "FD", "COMMAND");
	for (size_t i = 0; i < c->socks.n; i++) {
		const struct netsock_conn *s = &c->socks.v[i];
		const struct conn_owner *o;
		const char *st = connections__status(s);
		size_t n;

		if (!connections__match(s, mask))
			continue;
		o = connections__owners(c, s->inode, &n);
		for (size_t j = 0; j < (n ? n : 1); j++) {
			if (s->family == AF_UNIX) {
				fprintf(f, "%-6s ", s->type == SOCK_STREAM ? "unix" : "unixd");
				size_t w = text__escape(f, s->path, strlen(s->path));

				fprintf(f, "%-*s", w < 48 ? 48 - (int)w : 1, "");
			} else {
				fprintf(f, "%-6s ", s->type == SOCK_STREAM ?
					(s->family == AF_INET ? "tcp" : "tcp6") :
					(s->family == AF_INET ? "udp" : "udp6"));
				text_addr(f, s->laddr, s->lport, s->family == AF_INET6);
				text_addr(f, s->raddr, s->rport, s->family == AF_INET6);
			}
			fprintf(f, "%-12s ", st ? st : "-");
			if (n) {
				fprintf(f, "%8d %5d ", o[j].pid, o[j].fd);
				text__escape(f, o[j].comm, strlen(o[j].comm));
				fputc('\n', f);
			} else {
				fprintf(f, "%8s %5s -\n", "-", "-");
			}
		}
	}
	if (c->procs_unreadable)
		fprintf(f, "(%zu processes could not be read: their sockets show no owner)\n",
			c->procs_unreadable);
	return util__stream_error(f);
}
