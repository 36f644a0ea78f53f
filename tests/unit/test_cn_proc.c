// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The proc connector parser over hand-built datagrams: what the kernel sends
 * (fork, exec, comm, exit with its wait status, the listen ack), what it may
 * send on overflow, and bytes that are not a sound message; and the
 * namespaces whose listen requests the kernel serves.
 */
#include "testutil.h"

#include <sched.h>
#include <unistd.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/wait.h>

#include "jobtrace/cn_proc.h"

#define MAX_EVENTS 8

struct got {
	struct cn_proc_event ev[MAX_EVENTS];
	size_t n;
	int stop_after; /* return 1 from the callback after this many */
};

static int collect(void *ctx, const struct cn_proc_event *ev)
{
	struct got *g = ctx;

	assert_true(g->n < MAX_EVENTS);
	g->ev[g->n++] = *ev;
	return g->stop_after && (int)g->n >= g->stop_after;
}

/* Appends one connector message as the kernel builds it; returns the new length. */
static size_t put_msg(__u8 *buf, size_t off, __u32 seq, const struct proc_event *ev,
		      size_t ev_len)
{
	struct nlmsghdr nlh = {
		.nlmsg_len = (__u32)NLMSG_LENGTH(sizeof(struct cn_msg) + ev_len),
		.nlmsg_type = NLMSG_DONE,
	};
	struct cn_msg msg = {
		.id = { .idx = CN_IDX_PROC, .val = CN_VAL_PROC },
		.seq = seq,
		.len = (__u16)ev_len,
	};

	memcpy(buf + off, &nlh, sizeof(nlh));
	memcpy(buf + off + NLMSG_HDRLEN, &msg, sizeof(msg));
	memcpy(buf + off + NLMSG_HDRLEN + sizeof(msg), ev, ev_len);
	return off + NLMSG_ALIGN(nlh.nlmsg_len);
}

static struct proc_event fork_ev(__u32 cpu, int ppid, int ptgid, int pid, int tgid)
{
	struct proc_event ev = { .what = PROC_EVENT_FORK, .cpu = cpu, .timestamp_ns = 123456789 };

	ev.event_data.fork.parent_pid = ppid;
	ev.event_data.fork.parent_tgid = ptgid;
	ev.event_data.fork.child_pid = pid;
	ev.event_data.fork.child_tgid = tgid;
	return ev;
}

static struct proc_event exit_ev(__u32 cpu, int pid, int tgid, __u32 code)
{
	struct proc_event ev = { .what = PROC_EVENT_EXIT, .cpu = cpu, .timestamp_ns = 5 };

	ev.event_data.exit.process_pid = pid;
	ev.event_data.exit.process_tgid = tgid;
	ev.event_data.exit.exit_code = code;
	ev.event_data.exit.exit_signal = SIGCHLD;
	ev.event_data.exit.parent_pid = 40;
	ev.event_data.exit.parent_tgid = 41;
	return ev;
}

#define EV_LEN(member) (offsetof(struct proc_event, event_data) + sizeof(member))

static void test_fork_exec_exit_in_one_datagram(void **state)
{
	__u8 buf[1024] __attribute__((aligned(8)));
	struct cn_proc_parse_stats st = {};
	struct got g = {};
	struct proc_event ev;
	size_t len = 0;

	ev = fork_ev(1, 100, 100, 200, 200);
	len = put_msg(buf, len, 7, &ev, EV_LEN(ev.event_data.fork));
	ev = (struct proc_event){ .what = PROC_EVENT_EXEC, .cpu = 1 };
	ev.event_data.exec.process_pid = 200;
	ev.event_data.exec.process_tgid = 200;
	len = put_msg(buf, len, 8, &ev, EV_LEN(ev.event_data.exec));
	ev = (struct proc_event){ .what = PROC_EVENT_COMM, .cpu = 0 };
	ev.event_data.comm.process_pid = 200;
	ev.event_data.comm.process_tgid = 200;
	memcpy(ev.event_data.comm.comm, "make-longer-than", 16); /* no NUL in the kernel's 16 */
	len = put_msg(buf, len, 3, &ev, EV_LEN(ev.event_data.comm));
	/* exit 3: a wait status of 3 << 8 */
	ev = exit_ev(0, 200, 200, 3 << 8);
	len = put_msg(buf, len, 4, &ev, EV_LEN(ev.event_data.exit));

	assert_int_equal(cn_proc__parse(buf, len, collect, &g, &st), 0);
	assert_int_equal(g.n, 4);
	assert_int_equal(st.events, 4);
	assert_int_equal(st.malformed, 0);

	assert_int_equal(g.ev[0].kind, CN_PROC_FORK);
	assert_int_equal(g.ev[0].parent_tgid, 100);
	assert_int_equal(g.ev[0].pid, 200);
	assert_int_equal(g.ev[0].tgid, 200);
	assert_int_equal(g.ev[0].cpu, 1);
	assert_int_equal(g.ev[0].seq, 7);
	assert_int_equal(g.ev[0].timestamp_ns, 123456789);

	assert_int_equal(g.ev[1].kind, CN_PROC_EXEC);
	assert_int_equal(g.ev[1].tgid, 200);

	assert_int_equal(g.ev[2].kind, CN_PROC_COMM);
	assert_string_equal(g.ev[2].comm, "make-longer-tha"); /* cut, terminated */

	assert_int_equal(g.ev[3].kind, CN_PROC_EXIT);
	assert_true(WIFEXITED(g.ev[3].exit_code));
	assert_int_equal(WEXITSTATUS(g.ev[3].exit_code), 3);
	assert_int_equal(g.ev[3].parent_tgid, 41);
	assert_int_equal(g.ev[3].seq, 4);
}

static void test_exit_by_signal_and_thread(void **state)
{
	__u8 buf[512] __attribute__((aligned(8)));
	struct cn_proc_parse_stats st = {};
	struct got g = {};
	struct proc_event ev;
	size_t len = 0;

	ev = exit_ev(0, 300, 300, SIGKILL);
	len = put_msg(buf, len, 1, &ev, EV_LEN(ev.event_data.exit));
	/* A thread's exit: pid != tgid, no signal to a parent. */
	ev = exit_ev(0, 301, 300, 0);
	ev.event_data.exit.exit_signal = (__u32)-1;
	len = put_msg(buf, len, 2, &ev, EV_LEN(ev.event_data.exit));
	assert_int_equal(cn_proc__parse(buf, len, collect, &g, &st), 0);
	assert_int_equal(g.n, 2);
	assert_true(WIFSIGNALED(g.ev[0].exit_code));
	assert_int_equal(WTERMSIG(g.ev[0].exit_code), SIGKILL);
	assert_int_equal(g.ev[1].pid, 301);
	assert_int_equal(g.ev[1].tgid, 300);
}

/* Before 4.18 the exit event had no parent ids: still an exit, parents 0. */
static void test_old_kernel_exit_without_parent(void **state)
{
	__u8 buf[256] __attribute__((aligned(8)));
	struct cn_proc_parse_stats st = {};
	struct got g = {};
	struct proc_event ev = exit_ev(0, 5, 5, 0);
	size_t len;

	len = put_msg(buf, 0, 1, &ev,
		      offsetof(struct proc_event, event_data) + 4 * sizeof(__u32));
	assert_int_equal(cn_proc__parse(buf, len, collect, &g, &st), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ev[0].kind, CN_PROC_EXIT);
	assert_int_equal(g.ev[0].parent_tgid, 0);
	assert_int_equal(st.malformed, 0);
}

static void test_ack_and_other_kinds(void **state)
{
	__u8 buf[256] __attribute__((aligned(8)));
	struct cn_proc_parse_stats st = {};
	struct got g = {};
	struct proc_event ev = { .what = PROC_EVENT_NONE };
	size_t len = 0;

	ev.event_data.ack.err = 0;
	len = put_msg(buf, len, 0, &ev, EV_LEN(ev.event_data.ack));
	ev = (struct proc_event){ .what = PROC_EVENT_UID };
	len = put_msg(buf, len, 1, &ev, EV_LEN(ev.event_data.id));
	assert_int_equal(cn_proc__parse(buf, len, collect, &g, &st), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.ev[0].kind, CN_PROC_ACK);
	assert_int_equal(g.ev[1].kind, CN_PROC_OTHER);
}

/* Each way a message can be cut short is skipped and counted, never read past. */
static void test_truncated_rejected(void **state)
{
	__u8 full[256] __attribute__((aligned(8)));
	struct proc_event ev = fork_ev(0, 1, 1, 2, 2);
	size_t len = put_msg(full, 0, 1, &ev, EV_LEN(ev.event_data.fork));

	for (size_t cut = 0; cut < len; cut++) {
		struct cn_proc_parse_stats st = {};
		struct got g = {};
		__u8 *copy = malloc(cut ? cut : 1); /* exact size: ASan sees any overread */

		assert_non_null(copy);
		memcpy(copy, full, cut);
		assert_int_equal(cn_proc__parse(copy, cut, collect, &g, &st), 0);
		assert_int_equal(g.n, 0);
		assert_int_equal(st.malformed, cut ? 1 : 0);
		free(copy);
	}
}

/* The netlink length says more than cn_msg.len holds, or cn_msg.len more than is there. */
static void test_inconsistent_lengths(void **state)
{
	__u8 buf[256] __attribute__((aligned(8)));
	struct cn_proc_parse_stats st = {};
	struct proc_event ev = exit_ev(0, 9, 9, 0);
	struct got g = {};
	struct cn_msg msg;
	size_t len;

	len = put_msg(buf, 0, 1, &ev, EV_LEN(ev.event_data.exit));
	memcpy(&msg, buf + NLMSG_HDRLEN, sizeof(msg));
	msg.len = 200; /* beyond the message */
	memcpy(buf + NLMSG_HDRLEN, &msg, sizeof(msg));
	assert_int_equal(cn_proc__parse(buf, len, collect, &g, &st), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(st.malformed, 1);

	/* An exit event too short for its exit code. */
	memset(&st, 0, sizeof(st));
	len = put_msg(buf, 0, 1, &ev, offsetof(struct proc_event, event_data) + 8);
	assert_int_equal(cn_proc__parse(buf, len, collect, &g, &st), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(st.malformed, 1);
}

/* Another connector's message, then garbage, then a good one: only the good one counts. */
static void test_foreign_and_garbage(void **state)
{
	__u8 buf[512] __attribute__((aligned(8)));
	struct cn_proc_parse_stats st = {};
	struct proc_event ev = fork_ev(0, 1, 1, 2, 2);
	struct got g = {};
	struct cn_msg msg;
	size_t len, first;

	first = put_msg(buf, 0, 1, &ev, EV_LEN(ev.event_data.fork));
	memcpy(&msg, buf + NLMSG_HDRLEN, sizeof(msg));
	msg.id.idx = CN_IDX_PROC + 1;
	memcpy(buf + NLMSG_HDRLEN, &msg, sizeof(msg));
	len = put_msg(buf, first, 2, &ev, EV_LEN(ev.event_data.fork));
	assert_int_equal(cn_proc__parse(buf, len, collect, &g, &st), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(st.malformed, 1);

	/* A netlink length smaller than its own header stops the walk. */
	memset(&st, 0, sizeof(st));
	g.n = 0;
	memset(buf, 0xff, 64);
	((struct nlmsghdr *)buf)->nlmsg_len = 4;
	assert_int_equal(cn_proc__parse(buf, 64, collect, &g, &st), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(st.malformed, 1);
}

static void test_overrun_messages(void **state)
{
	__u8 buf[64] __attribute__((aligned(8)));
	struct cn_proc_parse_stats st = {};
	struct nlmsghdr nlh = { .nlmsg_len = NLMSG_LENGTH(sizeof(int)), .nlmsg_type = NLMSG_ERROR };
	int e = -ENOBUFS;
	struct got g = {};

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &nlh, sizeof(nlh));
	memcpy(buf + NLMSG_HDRLEN, &e, sizeof(e));
	assert_int_equal(cn_proc__parse(buf, nlh.nlmsg_len, collect, &g, &st), 0);
	assert_int_equal(st.overrun, 1);
	assert_int_equal(g.n, 0);
}

static void test_callback_stops(void **state)
{
	__u8 buf[512] __attribute__((aligned(8)));
	struct cn_proc_parse_stats st = {};
	struct proc_event ev = fork_ev(0, 1, 1, 2, 2);
	struct got g = { .stop_after = 1 };
	size_t len;

	len = put_msg(buf, 0, 1, &ev, EV_LEN(ev.event_data.fork));
	len = put_msg(buf, len, 2, &ev, EV_LEN(ev.event_data.fork));
	assert_int_equal(cn_proc__parse(buf, len, collect, &g, &st), 1);
	assert_int_equal(g.n, 1);
}

static void test_sequence_gaps(void **state)
{
	struct cn_proc_seq s = {};

	/* The first message of each CPU sets its base. */
	assert_int_equal(cn_proc_seq__note(&s, 0, 100), 0);
	assert_int_equal(cn_proc_seq__note(&s, 1, 7), 0);
	assert_int_equal(cn_proc_seq__note(&s, 0, 101), 0);
	/* 102, 103, 104 never came on CPU 0. */
	assert_int_equal(cn_proc_seq__note(&s, 0, 105), 3);
	/* Another CPU's numbers are its own. */
	assert_int_equal(cn_proc_seq__note(&s, 1, 8), 0);
	assert_int_equal(cn_proc_seq__note(&s, 1, 10), 1);
	/* A late duplicate is no loss, and does not move the base back. */
	assert_int_equal(cn_proc_seq__note(&s, 0, 103), 0);
	assert_int_equal(cn_proc_seq__note(&s, 0, 106), 0);
	/* The counter wraps at 2^32. */
	assert_int_equal(cn_proc_seq__note(&s, 2, 0xfffffffe), 0);
	assert_int_equal(cn_proc_seq__note(&s, 2, 0xffffffff), 0);
	assert_int_equal(cn_proc_seq__note(&s, 2, 1), 1);
	/* A CPU beyond the first table grows it. */
	assert_int_equal(cn_proc_seq__note(&s, 500, 1), 0);
	assert_int_equal(cn_proc_seq__note(&s, 500, 4), 2);
	assert_int_equal(cn_proc_seq__note(&s, 1U << 30, 1), -ERANGE);
	/* After a resync the next message is a new base, whatever its number. */
	cn_proc_seq__reset(&s);
	assert_int_equal(cn_proc_seq__note(&s, 0, 5000), 0);
	assert_int_equal(cn_proc_seq__note(&s, 0, 5001), 0);
	cn_proc_seq__free(&s);
	cn_proc_seq__free(&s); /* twice: a no-op */
}

/*
 * The kernel serves the listen requests of the initial pid and user
 * namespaces only: a child in a user namespace of its own is outside.
 * Where this machine refuses it the namespace (user.max_user_namespaces=0,
 * a container's seccomp profile), there is no such child to ask about.
 */
static void test_namespace_rule(void **state)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWUSER))
			_exit(2);
		_exit(cn_proc__in_initial_ns() ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 2) {
		print_message("  this machine makes no user namespace: the rule is not asked\n");
		return;
	}
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_exec_exit_in_one_datagram),
		cmocka_unit_test(test_exit_by_signal_and_thread),
		cmocka_unit_test(test_old_kernel_exit_without_parent),
		cmocka_unit_test(test_ack_and_other_kinds),
		cmocka_unit_test(test_truncated_rejected),
		cmocka_unit_test(test_inconsistent_lengths),
		cmocka_unit_test(test_foreign_and_garbage),
		cmocka_unit_test(test_overrun_messages),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_sequence_gaps),
		cmocka_unit_test(test_namespace_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
