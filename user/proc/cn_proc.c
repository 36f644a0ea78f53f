// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Decodes the proc connector's datagrams: netlink header, cn_msg, proc_event.
 * Pure: bytes in, events out, so it is tested over hand-built buffers. Two
 * exceptions, here so that the proc source and the tests' probe of the
 * machine do the same and cannot disagree: cn_proc__in_initial_ns(), the
 * kernel's rule on whose listen request it serves, and cn_proc__listen(),
 * the request.
 *
 * Every length is checked against what is left of the buffer before it is
 * trusted, and the structs are copied out with memcpy (a datagram carries no
 * alignment promise for what a test or a fuzzer hands us).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "jobtrace/cn_proc.h"
#include "jobtrace/ns.h"

/* A CPU number beyond this is garbage, not a machine: refuse to size a table for it. */
#define CN_PROC_MAX_CPUS 65536

/* The bytes of the union each event needs; the exit's parent ids came later (4.18). */
#define EV_HDR offsetof(struct proc_event, event_data)
#define EV_NEED_FORK sizeof(struct fork_proc_event)
#define EV_NEED_EXEC sizeof(struct exec_proc_event)
#define EV_NEED_COMM sizeof(struct comm_proc_event)
#define EV_NEED_EXIT offsetof(struct exit_proc_event, parent_pid)
#define EV_NEED_ACK sizeof(__u32)

static int decode_event(const __u8 *data, size_t len, const struct cn_msg *msg,
			struct cn_proc_event *out)
{
	struct proc_event ev;
	size_t need;

	if (len < EV_HDR)
		return -EPROTO;
	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, data, len < sizeof(ev) ? len : sizeof(ev));
	memset(out, 0, sizeof(*out));
	out->cpu = ev.cpu;
	out->seq = msg->seq;
	out->timestamp_ns = ev.timestamp_ns;
	switch (ev.what) {
	case PROC_EVENT_NONE:
		need = EV_NEED_ACK;
		out->kind = CN_PROC_ACK;
		out->ack_err = ev.event_data.ack.err;
		break;
	case PROC_EVENT_FORK:
		need = EV_NEED_FORK;
		out->kind = CN_PROC_FORK;
		out->parent_pid = (__u32)ev.event_data.fork.parent_pid;
		out->parent_tgid = (__u32)ev.event_data.fork.parent_tgid;
		out->pid = (__u32)ev.event_data.fork.child_pid;
		out->tgid = (__u32)ev.event_data.fork.child_tgid;
		break;
	case PROC_EVENT_EXEC:
		need = EV_NEED_EXEC;
		out->kind = CN_PROC_EXEC;
		out->pid = (__u32)ev.event_data.exec.process_pid;
		out->tgid = (__u32)ev.event_data.exec.process_tgid;
		break;
	case PROC_EVENT_COMM:
		need = EV_NEED_COMM;
		out->kind = CN_PROC_COMM;
		out->pid = (__u32)ev.event_data.comm.process_pid;
		out->tgid = (__u32)ev.event_data.comm.process_tgid;
		memcpy(out->comm, ev.event_data.comm.comm, sizeof(out->comm) - 1);
		break;
	case PROC_EVENT_EXIT:
		need = EV_NEED_EXIT;
		out->kind = CN_PROC_EXIT;
		out->pid = (__u32)ev.event_data.exit.process_pid;
		out->tgid = (__u32)ev.event_data.exit.process_tgid;
		out->exit_code = ev.event_data.exit.exit_code;
		out->exit_signal = ev.event_data.exit.exit_signal;
		/* Zero (from the memset) when the kernel is too old to send them. */
		out->parent_pid = (__u32)ev.event_data.exit.parent_pid;
		out->parent_tgid = (__u32)ev.event_data.exit.parent_tgid;
		break;
	case PROC_EVENT_UID:
	case PROC_EVENT_GID:
	case PROC_EVENT_SID:
	case PROC_EVENT_PTRACE:
	case PROC_EVENT_COREDUMP:
		need = 2 * sizeof(__u32);
		out->kind = CN_PROC_OTHER;
		break;
	default:
		/* A kind newer than this code: it still took a sequence number. */
		need = 0;
		out->kind = CN_PROC_OTHER;
		break;
	}
	if (len - EV_HDR < need)
		return -EPROTO;
	return 0;
}

/* One connector message (the netlink payload); -EPROTO when it is not a sound proc event. */
static int decode_cn_msg(const __u8 *p, size_t len, struct cn_proc_event *out)
{
	struct cn_msg msg;

	if (len < sizeof(msg))
		return -EPROTO;
	memcpy(&msg, p, sizeof(msg));
	if (msg.id.idx != CN_IDX_PROC || msg.id.val != CN_VAL_PROC)
		return -EPROTO;
	if (msg.len > len - sizeof(msg))
		return -EPROTO;
	return decode_event(p + sizeof(msg), msg.len, &msg, out);
}

int cn_proc__parse(const void *buf, size_t len,
		   int (*fn)(void *ctx, const struct cn_proc_event *ev), void *ctx,
		   struct cn_proc_parse_stats *st)
{
	const __u8 *p = buf;
	size_t off = 0;

	while (len - off >= NLMSG_HDRLEN) {
		struct nlmsghdr nlh;
		struct cn_proc_event ev;
		size_t msg_len;
		int ret;

		memcpy(&nlh, p + off, sizeof(nlh));
		if (nlh.nlmsg_len < NLMSG_HDRLEN || nlh.nlmsg_len > len - off) {
			/* A length we cannot trust: nothing after it can be found. */
			st->malformed++;
			return 0;
		}
		msg_len = nlh.nlmsg_len;
		if (nlh.nlmsg_type == NLMSG_OVERRUN) {
			st->overrun++;
		} else if (nlh.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;

			if (msg_len - NLMSG_HDRLEN >= sizeof(e.error)) {
				memcpy(&e.error, p + off + NLMSG_HDRLEN, sizeof(e.error));
				if (e.error == -ENOBUFS)
					st->overrun++;
				else if (e.error)
					st->malformed++;
			} else {
				st->malformed++;
			}
		} else if (nlh.nlmsg_type != NLMSG_NOOP) {
			/* The connector sends its messages as NLMSG_DONE; take any other type too. */
			if (decode_cn_msg(p + off + NLMSG_HDRLEN, msg_len - NLMSG_HDRLEN, &ev)) {
				st->malformed++;
			} else {
				st->events++;
				ret = fn(ctx, &ev);
				if (ret)
					return ret;
			}
		}
		msg_len = NLMSG_ALIGN(msg_len);
		if (msg_len >= len - off)
			return 0; /* the last message, its padding maybe cut off */
		off += msg_len;
	}
	/* Bytes too few for a header after the last message. */
	if (off < len)
		st->malformed++;
	return 0;
}

long long cn_proc_seq__note(struct cn_proc_seq *s, __u32 cpu, __u32 seq)
{
	__u32 gap;

	if (cpu >= CN_PROC_MAX_CPUS)
		return -ERANGE;
	if (cpu >= s->ncpus) {
		__u32 n = s->ncpus ? s->ncpus : 64;
		__u32 *next;
		__u8 *seen;

		while (n <= cpu)
			n *= 2;
		next = realloc(s->next, n * sizeof(*next));
		if (!next)
			return -ENOMEM;
		s->next = next;
		seen = realloc(s->seen, n);
		if (!seen)
			return -ENOMEM;
		s->seen = seen;
		memset(s->next + s->ncpus, 0, (n - s->ncpus) * sizeof(*next));
		memset(s->seen + s->ncpus, 0, n - s->ncpus);
		s->ncpus = n;
	}
	if (!s->seen[cpu]) {
		s->seen[cpu] = 1;
		s->next[cpu] = seq + 1;
		return 0;
	}
	gap = seq - s->next[cpu]; /* modulo 2^32: the counter wraps */
	/* Behind what we expect (a duplicate, a reordering): not a loss, and no step back. */
	if (gap >= 1U << 31)
		return 0;
	s->next[cpu] = seq + 1;
	return gap;
}

void cn_proc_seq__reset(struct cn_proc_seq *s)
{
	if (s->seen)
		memset(s->seen, 0, s->ncpus);
}

void cn_proc_seq__free(struct cn_proc_seq *s)
{
	free(s->next);
	free(s->seen);
	s->next = NULL;
	s->seen = NULL;
	s->ncpus = 0;
}

bool cn_proc__in_initial_ns(void)
{
	/* Where /proc cannot tell: let the connector try. */
	return ns__initial(NS_PID) != 0 && ns__initial(NS_USER) != 0;
}

int cn_proc__listen(int sock, __u32 ack)
{
	struct {
		struct nlmsghdr nlh;
		struct cn_msg msg;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) req = {};

	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = NLMSG_DONE;
	req.msg.id.idx = CN_IDX_PROC;
	req.msg.id.val = CN_VAL_PROC;
	req.msg.ack = ack;
	req.msg.len = sizeof(req.op);
	req.op = PROC_CN_MCAST_LISTEN;
	return send(sock, &req, sizeof(req), 0) == (ssize_t)sizeof(req) ? 0 : -errno;
}
