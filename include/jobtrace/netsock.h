/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Sockets of the host by protocol, and TCP sockets by state, as ApMon
 * reported them from `netstat -an`; and one row per socket with its
 * addresses, as psutil's net_connections gives them. Both are read from
 * /proc/net/{tcp,tcp6,udp,udp6,unix}, the sockets of one network namespace.
 */
#ifndef JOBTRACE_NETSOCK_H
#define JOBTRACE_NETSOCK_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>
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
/* "inet", "inet6", "unix"; "other" for any other family. */
const char *netsock__family_name(unsigned int family);
/* "stream", "dgram", "seqpacket", "raw"; "other" for any other type. */
const char *netsock__type_name(unsigned int type);
/*
 * "1.2.3.4:80", "[::1]:80", or "*" for no address and port 0, into @buf;
 * returns the length, as snprintf does.
 */
int netsock__format_addr(char *buf, size_t size, const char *addr, unsigned int port, bool v6);

/* Adds the sockets of one /proc/net/{tcp,tcp6,udp,udp6} file to @out. */
int netsock__parse_inet(const char *buf, size_t len, bool tcp, struct netsock_counts *out);
/* Adds the sockets of /proc/net/unix to @out. */
int netsock__parse_unix(const char *buf, size_t len, struct netsock_counts *out);
/* Reads all five files under @proc_fd; a file that is absent (no IPv6) counts none. */
int netsock__read(int proc_fd, struct netsock_counts *out);

/* Which /proc/net file a buffer holds. */
enum netsock_kind {
	NETSOCK_TCP,
	NETSOCK_TCP6,
	NETSOCK_UDP,
	NETSOCK_UDP6,
	NETSOCK_UNIX,
};

/* /proc/net/unix has no uid column. */
#define NETSOCK_UID_NONE ((__u32)-1)
/* unix_flags bit of a listening unix socket (__SO_ACCEPTCON, include/linux/net.h). */
#define NETSOCK_UNIX_ACCEPTCON 0x10000U

/* One socket, as one line of a /proc/net file describes it. */
struct netsock_conn {
	__u64 inode; /* 0 for a TCP socket no process holds (TIME_WAIT, not yet accepted) */
	__u32 uid; /* owner; NETSOCK_UID_NONE for unix sockets */
	__u8 family; /* AF_INET, AF_INET6, AF_UNIX */
	__u8 type; /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET (unix only) */
	/*
	 * TCP state as include/net/tcp_states.h numbers it (LISTEN 10,
	 * ESTABLISHED 1; netsock__tcp_state_name names it); 0 for udp and unix.
	 */
	__u8 state;
	/* unix only, raw: St (1 unconnected, 2 connecting, 3 connected, 4 disconnecting) */
	__u8 unix_state;
	__u32 unix_flags; /* unix only, raw Flags: NETSOCK_UNIX_ACCEPTCON when listening */
	__u16 lport, rport; /* host byte order; 0 for unix */
	/* inet_ntop() form ("127.0.0.1", "::1", "::ffff:127.0.0.1"); "" when none (0.0.0.0:0) */
	char laddr[INET6_ADDRSTRLEN];
	char raddr[INET6_ADDRSTRLEN];
	/*
	 * unix only: the bound path as the kernel prints it, any bytes but
	 * newline; an abstract name starts with '@' (its NUL bytes are '@'
	 * too), as ss shows them; "" when unnamed.
	 */
	char path[110];
};

struct netsock_conns {
	struct netsock_conn *v;
	size_t n, cap;
	__u64 bad_lines; /* lines that were not a socket, skipped */
};

/*
 * Parses one of /proc/net/{tcp,tcp6,udp,udp6,unix} (@kind says which) and
 * appends the sockets whose inode is in @want (sorted ascending, @n_want
 * entries; @want NULL = all) to @out, which starts zeroed or holds earlier
 * results. Addresses are decoded in this host's byte order, as the kernel
 * printed them. A line that is not a socket is skipped and counted in
 * @out->bad_lines. 0, or -EINVAL (bad @kind), -ENOMEM; on error @out is as
 * it was before the call.
 */
int netsock__parse_conns(const char *buf, size_t len, enum netsock_kind kind, const __u64 *want,
			 size_t n_want, struct netsock_conns *out);
/*
 * Reads the five files under @net_fd, a directory fd of a "net" directory
 * (/proc/net, or /proc/PID/net for PID's network namespace), and appends
 * their sockets as netsock__parse_conns() does, in the order tcp, tcp6,
 * udp, udp6, unix. A missing tcp6/udp6 (no IPv6) is not an error. 0 or a
 * negative errno; on error @out is as it was before the call.
 */
int netsock__read_conns(int net_fd, const __u64 *want, size_t n_want, struct netsock_conns *out);
/* Frees the rows and zeroes @c; NULL is a no-op. */
void netsock_conns__free(struct netsock_conns *c);

#ifdef __cplusplus
}
#endif

#endif
