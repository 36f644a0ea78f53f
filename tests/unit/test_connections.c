// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * connections: sockets joined to the processes that hold them, over the
 * fixture proc root and then live, with sockets this test opens and a
 * child that shares one of them.
 */
#include "testutil.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/connections.h"
#include "jobtrace/util.h"

static void test_kinds(void **state)
{
	static const struct {
		const char *name;
		int err;
		unsigned int mask;
	} cases[] = {
		{ "inet", 0, CONN_TCP4 | CONN_TCP6 | CONN_UDP4 | CONN_UDP6 },
		{ "inet4", 0, CONN_TCP4 | CONN_UDP4 },
		{ "inet6", 0, CONN_TCP6 | CONN_UDP6 },
		{ "tcp", 0, CONN_TCP4 | CONN_TCP6 },
		{ "tcp6", 0, CONN_TCP6 },
		{ "udp4", 0, CONN_UDP4 },
		{ "unix", 0, CONN_UNIX },
		{ "all", 0, CONN_ALL },
		{ "TCP", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "tcp7", -EINVAL, 0 },
	};
	const struct netsock_conn tcp6 = { .family = AF_INET6, .type = SOCK_STREAM };
	const struct netsock_conn udp4 = { .family = AF_INET, .type = SOCK_DGRAM };
	const struct netsock_conn ux = { .family = AF_UNIX, .type = SOCK_DGRAM };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned int mask = 0;
		int err = connections__parse_kind(cases[i].name, &mask);

		if (err != cases[i].err || (!err && mask != cases[i].mask))
			fail_msg("'%s': err %d mask %#x", cases[i].name, err, mask);
	}
	assert_true(connections__match(&tcp6, CONN_TCP6));
	assert_false(connections__match(&tcp6, CONN_TCP4 | CONN_UDP6 | CONN_UNIX));
	assert_true(connections__match(&udp4, CONN_UDP4));
	assert_false(connections__match(&udp4, CONN_TCP4));
	assert_true(connections__match(&ux, CONN_UNIX));
	assert_false(connections__match(&ux, CONN_ALL & ~CONN_UNIX));
}

/* The fixture root: socket 99 is fd 3 of 4242; socket 98 has no holder. */
static void test_fixture(void **state)
{
	const struct conn_owner *o;
	struct connections c;
	struct capture cap;
	size_t n;
	int proc_fd = util__open_dir(FIXTURES "/proc");

	assert_true(proc_fd >= 0);
	assert_int_equal(connections__collect(proc_fd, &c), 0);
	assert_int_equal(c.socks.n, 2);
	o = connections__owners(&c, 99, &n);
	assert_int_equal(n, 1);
	assert_int_equal(o->pid, 4242);
	assert_int_equal(o->fd, 3);
	assert_string_equal(o->comm, "(a) (b))");
	assert_null(connections__owners(&c, 98, &n));
	assert_int_equal(n, 0);
	assert_null(connections__owners(&c, 0, &n));

	capture__open(&cap);
	assert_int_equal(connections__write_text(cap.f, &c, CONN_ALL), 0);
	capture__close(&cap);
	assert_non_null(strstr(cap.buf, "127.0.0.1:8080"));
	assert_non_null(strstr(cap.buf, "4242     3 (a) (b))\n"));
	capture__free(&cap);
	capture__open(&cap);
	assert_int_equal(connections__write_json(cap.f, &c, CONN_UDP4), 0);
	capture__close(&cap);
	/* No udp socket in the fixture: an empty list, not an error. */
	assert_non_null(strstr(cap.buf, "{\"connections\":[],"));
	capture__free(&cap);
	connections__free(&c);
	connections__free(&c);
	connections__free(NULL);
	close(proc_fd);
}

static const struct netsock_conn *by_inode(const struct connections *c, ino_t ino)
{
	for (size_t i = 0; i < c->socks.n; i++) {
		if (c->socks.v[i].inode == ino)
			return &c->socks.v[i];
	}
	fail_msg("socket %lu not found", (unsigned long)ino);
	return NULL;
}

static void test_live(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t slen = sizeof(sa);
	const struct conn_owner *o;
	const struct netsock_conn *s;
	struct connections c;
	struct stat lst, ust;
	int lsock, usock, ready[2], proc_fd;
	unsigned int port;
	size_t n;
	pid_t pid;
	char ch;

	lsock = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(lsock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lsock, 1), 0);
	assert_int_equal(getsockname(lsock, (struct sockaddr *)&sa, &slen), 0);
	port = ntohs(sa.sin_port);
	assert_int_equal(fstat(lsock, &lst), 0);
	/* Bound: an unbound UDP socket is in no hash table, so not in /proc/net/udp. */
	usock = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_port = 0;
	assert_int_equal(bind(usock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fstat(usock, &ust), 0);

	/* A child holds the listener too, as a pre-forked server does. */
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "jt-conn-child");
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &ch, 1), 1);

	proc_fd = util__open_dir("/proc");
	assert_int_equal(connections__collect(proc_fd, &c), 0);
	s = by_inode(&c, lst.st_ino);
	assert_string_equal(s->laddr, "127.0.0.1");
	assert_int_equal(s->lport, port);
	assert_int_equal(s->state, 10);
	assert_true(connections__match(s, CONN_TCP4));
	o = connections__owners(&c, lst.st_ino, &n);
	assert_int_equal(n, 2);
	/* Sorted by pid, and pids wrap: compare as a set. */
	assert_true((o[0].pid == getpid() && o[1].pid == pid) ||
		    (o[1].pid == getpid() && o[0].pid == pid));
	assert_int_equal(o[0].fd, lsock);
	assert_int_equal(o[1].fd, lsock);
	for (size_t i = 0; i < 2; i++) {
		if (o[i].pid == pid)
			assert_string_equal(o[i].comm, "jt-conn-child");
	}
	s = by_inode(&c, ust.st_ino);
	assert_true(connections__match(s, CONN_UDP4));
	o = connections__owners(&c, ust.st_ino, &n);
	assert_int_equal(n, 2);
	assert_true(c.procs >= 2);
	connections__free(&c);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	close(ready[1]);
	close(lsock);
	close(usock);
	close(proc_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
