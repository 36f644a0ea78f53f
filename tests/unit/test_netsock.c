// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

#include "jobtrace/netsock.h"
#include "jobtrace/util.h"

static void test_fixture_counts(void **state)
{
	struct netsock_counts c;
	int fd = util__open_dir(FIXTURES "/net/sock");

	assert_true(fd >= 0);
	assert_int_equal(netsock__read(fd, &c), 0);
	close(fd);
	/* tcp: 5 sockets and a garbage line; tcp6: 2; udp: 2; no udp6 file; unix: 3. */
	assert_int_equal(c.tcp, 7);
	assert_int_equal(c.udp, 2);
	assert_int_equal(c.unix_, 3);
	assert_int_equal(c.bad_lines, 1);
	assert_int_equal(c.tcp_state[10], 3); /* LISTEN: two v4, one v6 */
	assert_int_equal(c.tcp_state[1], 2); /* ESTABLISHED */
	assert_int_equal(c.tcp_state[6], 1); /* TIME_WAIT */
	assert_int_equal(c.tcp_state[8], 1); /* CLOSE_WAIT */
	assert_string_equal(netsock__tcp_state_name(10), "LISTEN");
	assert_string_equal(netsock__tcp_state_name(12), "NEW_SYN_RECV");
	assert_null(netsock__tcp_state_name(0));
	assert_null(netsock__tcp_state_name(13));
}

struct line_case {
	const char *text;
	__u64 tcp, bad;
};

static void test_inet_lines(void **state)
{
	static const struct line_case cases[] = {
		{ "hdr\n   0: 0100007F:0277 00000000:0000 0A 0\n", 1, 0 },
		{ "hdr\n   0: 0100007F:0277 00000000:0000 0a", 1, 0 }, /* no final newline */
		{ "hdr\n   0: 0100007F:0277 00000000:0000 0", 0, 1 },  /* cut in the state */
		{ "hdr\n   0: 0100007F:0277 00000000:0000 ZZ 0\n", 0, 1 },
		{ "hdr\n   0 0100007F:0277 00000000:0000 0A 0\n", 0, 1 }, /* no slot colon */
		{ "hdr\n   0: 0100007F:0277 00000000:0000 0F 0\n", 1, 1 }, /* unknown state */
		{ "hdr\n\n", 0, 0 },
		{ "", 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct netsock_counts c = {};

		assert_int_equal(netsock__parse_inet(cases[i].text, strlen(cases[i].text), true, &c), 0);
		if (c.tcp != cases[i].tcp || c.bad_lines != cases[i].bad)
			fail_msg("case %zu: tcp %llu bad %llu", i, (unsigned long long)c.tcp,
				 (unsigned long long)c.bad_lines);
	}
}

/* This machine: a socket the test opens is counted, in its state. */
static void test_live_listen(void **state)
{
	struct netsock_counts before, after;
	int fd = util__open_dir("/proc"), s;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	assert_true(fd >= 0);
	assert_int_equal(netsock__read(fd, &before), 0);
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(netsock__read(fd, &after), 0);
	assert_int_equal(after.tcp_state[10], before.tcp_state[10] + 1);
	close(s);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_counts),
		cmocka_unit_test(test_inet_lines),
		cmocka_unit_test(test_live_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
