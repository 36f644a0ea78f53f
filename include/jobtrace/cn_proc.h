/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The proc connector's messages (NETLINK_CONNECTOR, CN_IDX_PROC), decoded by
 * a pure function over a received datagram, so that a test (or a fuzzer) can
 * feed it any bytes. user/collect/source_proc.c owns the socket.
 */
#ifndef JOBTRACE_CN_PROC_H
#define JOBTRACE_CN_PROC_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum cn_proc_kind {
	CN_PROC_OTHER = 0, /* uid, gid, sid, ptrace, coredump: well-formed, not used */
	CN_PROC_ACK, /* PROC_EVENT_NONE: the answer to our listen request */
	CN_PROC_FORK,
	CN_PROC_EXEC,
	CN_PROC_COMM,
	CN_PROC_EXIT,
};

/* One event, as plain values. pid is a thread id, tgid its process. */
struct cn_proc_event {
	enum cn_proc_kind kind;
	__u32 cpu; /* where the kernel sent it: sequence numbers are per CPU */
	__u32 seq;
	__u32 ack_err; /* CN_PROC_ACK: the kernel's answer, 0 or an errno */
	__u64 timestamp_ns; /* CLOCK_MONOTONIC (ktime_get_ns) */
	__u32 pid, tgid; /* fork: the child; others: the process */
	__u32 parent_pid, parent_tgid; /* fork: the forking thread; exit: 0 on old kernels */
	__u32 exit_code; /* exit: the wait(2) status */
	__u32 exit_signal; /* exit: the signal sent to the parent (SIGCHLD; none for threads) */
	char comm[16]; /* comm: the new name, NUL-terminated */
};

/* What cn_proc__parse found in one datagram besides events. */
struct cn_proc_parse_stats {
	__u64 events;
	__u64 malformed; /* truncated or foreign messages, skipped */
	__u64 overrun; /* NLMSG_OVERRUN / NLMSG_ERROR with ENOBUFS from the kernel */
};

/*
 * Decodes every netlink message in @buf (one recv's worth) and calls @fn for
 * each proc event, in order. Messages that are truncated, of another
 * connector index, or of an unknown layout are counted in @st and skipped;
 * never read past @len. Returns 0, or the first non-zero value @fn returned.
 */
int cn_proc__parse(const void *buf, size_t len,
		   int (*fn)(void *ctx, const struct cn_proc_event *ev), void *ctx,
		   struct cn_proc_parse_stats *st);

/*
 * Lost-message accounting: the kernel numbers the messages it sends on each
 * CPU (cn_msg.seq from a per-CPU counter), so a jump in one CPU's numbers is
 * exactly the count of messages this socket did not get.
 */
struct cn_proc_seq {
	__u32 *next; /* per CPU: the sequence number expected next */
	__u8 *seen; /* per CPU: a message from it has come */
	__u32 ncpus; /* slots allocated */
};

/*
 * Notes message @seq from @cpu; returns how many messages of that CPU were
 * skipped before it (0 for the first one seen), or a negative errno
 * (-ENOMEM growing the table, -ERANGE for an absurd CPU number).
 */
long long cn_proc_seq__note(struct cn_proc_seq *s, __u32 cpu, __u32 seq);
/* After a resync (ENOBUFS): numbering starts again from the next message seen. */
void cn_proc_seq__reset(struct cn_proc_seq *s);
void cn_proc_seq__free(struct cn_proc_seq *s);

/*
 * Whether this process is in the initial pid and user namespaces, the only
 * ones the kernel sends proc connector events to (cn_proc_mcast_ctl
 * ignores a listen request from any other, without an answer, and numbers
 * events with the host's pids): inside a container the socket would stay
 * silent. From /proc/self/ns; true where that cannot be read (let the
 * connector try). The proc source and the kernel tests' probe both ask it.
 */
bool cn_proc__in_initial_ns(void);

/*
 * Asks the kernel to send proc events to @sock, a NETLINK_CONNECTOR socket
 * bound to the CN_IDX_PROC group. @ack, where not 0, comes back plus one in
 * the kernel's answer (a PROC_EVENT_NONE carrying its error); 0 asks none.
 * 0 or a negative errno from send(2) (-EPERM where the kernel keeps the
 * connector to CAP_NET_ADMIN).
 */
int cn_proc__listen(int sock, __u32 ack);

#ifdef __cplusplus
}
#endif

#endif
