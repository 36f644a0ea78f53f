/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `jobtrace connections`: every socket of the host's network namespace with
 * the processes that hold it, as psutil's net_connections gives them. The
 * sockets come from /proc/net; their owners from the socket:[INODE] links
 * of every /proc/PID/fd.
 */
#ifndef JOBTRACE_CONNECTIONS_H
#define JOBTRACE_CONNECTIONS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdio.h>

#include "jobtrace/json.h"
#include "jobtrace/netsock.h"
#include "jobtrace/proc_pid.h"

/* --kind, as psutil names them: a mask of these. */
#define CONN_TCP4 0x01u
#define CONN_TCP6 0x02u
#define CONN_UDP4 0x04u
#define CONN_UDP6 0x08u
#define CONN_UNIX 0x10u
#define CONN_ALL 0x1fu

/* One fd of one process that holds a socket. */
struct conn_owner {
	__u64 inode;
	int pid;
	int fd;
	char comm[PROC_COMM_MAX];
};

struct connections {
	struct netsock_conns socks;
	struct conn_owner *owners;	/* sorted by inode, then pid, then fd */
	size_t n_owners, cap_owners;
	size_t procs;			/* processes whose fds were read */
	size_t procs_unreadable;	/* fd directories we may not read: their sockets show no owner */
	bool sockets_read;		/* net/ was read: a later failure is the process walk's */
};

/* "inet" -> CONN_TCP4 | CONN_TCP6 | CONN_UDP4 | CONN_UDP6, ...; -EINVAL for an unknown kind. */
int connections__parse_kind(const char *s, unsigned int *mask);
/* Whether socket @c is of a kind in @mask. */
bool connections__match(const struct netsock_conn *c, unsigned int mask);
/*
 * Reads the sockets under @proc_fd's net/ and the owners of every process
 * under @proc_fd. A process that exits meanwhile is skipped. 0 or a
 * negative errno (the net files could not be read); free with
 * connections__free, also after an error.
 */
int connections__collect(int proc_fd, struct connections *c);
void connections__free(struct connections *c);
/* The owners of @inode: *@n of them from the returned pointer (NULL when none). */
const struct conn_owner *connections__owners(const struct connections *c, __u64 inode,
					     size_t *n);

/* netstat's name of a TCP socket's state; NULL for UDP and unix sockets. */
const char *connections__status(const struct netsock_conn *s);
/*
 * The members of one socket's JSON object (family, type, addresses or path,
 * status, uid, inode), shared by connections and inspect; the caller opens
 * and closes the object and adds who holds it.
 */
void connections__write_socket(struct json_writer *w, const struct netsock_conn *s);

int connections__write_json(FILE *f, const struct connections *c, unsigned int mask);
int connections__write_text(FILE *f, const struct connections *c, unsigned int mask);


#ifdef __cplusplus
}
#endif

#endif
