/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Sockets of the host by protocol, and TCP sockets by state, as ApMon
 * reported them from `netstat -an`: read from /proc/net/{tcp,tcp6,udp,udp6,unix}
 * (sockets of this network namespace).
 */
#ifndef JOBTRACE_NETSOCK_H
#define JOBTRACE_NETSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* TCP states as include/net/tcp_states.h numbers them (1..12). */
#define NETSOCK_TCP_STATES 13

struct netsock_counts {
	__u64 tcp; /* v4 and v6 */
	__u64 udp;
	__u64 unix_;
	__u64 tcp_state[NETSOCK_TCP_STATES]; /* index: the kernel's state number */
	__u64 bad_lines; /* lines that were not a socket */
};

/* The name netstat gives TCP state @st ("ESTABLISHED", ...), or NULL. */
const char *netsock__tcp_state_name(unsigned int st);

/* Adds the sockets of one /proc/net/{tcp,tcp6,udp,udp6} file to @out. */
int netsock__parse_inet(const char *buf, size_t len, bool tcp, struct netsock_counts *out);
/* Adds the sockets of /proc/net/unix to @out. */
int netsock__parse_unix(const char *buf, size_t len, struct netsock_counts *out);
/* Reads all five files under @proc_fd; a file that is absent (no IPv6) counts none. */
int netsock__read(int proc_fd, struct netsock_counts *out);

#endif
