// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

/*
 * This machine: a socket the test opens is counted, in its state. The
 * counts are the host's: a listener another program (a test beside this
 * one) opens or closes between the two reads moves them too, so the test
 * asks for one pair of reads, of up to ten, that differ by its socket
 * alone. A count that missed it never would.
 */
static void test_live_listen(void **state)
{
	struct netsock_counts before, after;
	int fd = util__open_dir("/proc"), s, tries = 0;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bool counted = false;

	assert_true(fd >= 0);
	while (!counted && tries++ < 10) {
		assert_int_equal(netsock__read(fd, &before), 0);
		s = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(s >= 0);
		assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(listen(s, 1), 0);
		assert_int_equal(netsock__read(fd, &after), 0);
		counted = after.tcp_state[10] == before.tcp_state[10] + 1;
		if (!counted)
			print_message("listeners %llu before, %llu after: another moved them\n",
				      (unsigned long long)before.tcp_state[10],
				      (unsigned long long)after.tcp_state[10]);
		close(s);
	}
	assert_true(counted);
	close(fd);
}

/* Per-socket rows */

/* What a row should hold; NULL strings stand for "". */
struct exp_conn {
	__u64 inode;
	__u32 uid;
	__u8 family, type, state, unix_state;
	__u32 unix_flags;
	__u16 lport, rport;
	const char *laddr, *raddr, *path;
};

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static bool conn_matches(const struct netsock_conn *c, const struct exp_conn *e, char *why,
			 size_t n)
{
#define FIELD(f)                                                                                   \
	if (c->f != e->f) {                                                                        \
		snprintf(why, n, #f " %llu, want %llu", (unsigned long long)c->f,                  \
			 (unsigned long long)e->f);                                                \
		return false;                                                                      \
	}
#define TEXT(f)                                                                                    \
	if (strcmp(c->f, or_empty(e->f))) {                                                        \
		snprintf(why, n, #f " \"%s\", want \"%s\"", c->f, or_empty(e->f));                 \
		return false;                                                                      \
	}
	FIELD(inode);
	FIELD(uid);
	FIELD(family);
	FIELD(type);
	FIELD(state);
	FIELD(unix_state);
	FIELD(unix_flags);
	FIELD(lport);
	FIELD(rport);
	TEXT(laddr);
	TEXT(raddr);
	TEXT(path);
#undef FIELD
#undef TEXT
	return true;
}

/* Rows of @got are @exp, in order. */
static void check_conns(const char *what, const struct netsock_conns *got,
			const struct exp_conn *exp, size_t n_exp)
{
	char why[256];

	if (got->n != n_exp)
		fail_msg("%s: %zu rows, want %zu", what, got->n, n_exp);
	for (size_t i = 0; i < n_exp; i++)
		if (!conn_matches(&got->v[i], &exp[i], why, sizeof(why)))
			fail_msg("%s: row %zu (inode %llu): %s", what, i,
				 (unsigned long long)got->v[i].inode, why);
}

/* The fixtures print addresses as a little-endian kernel does. */
static bool host_is_little_endian(void)
{
	const __u32 one = 1;

	return *(const __u8 *)&one == 1;
}

#define INET_ROW(fam, type_, inode_, uid_, st, lport_, laddr_, rport_, raddr_)                     \
	{ .inode = inode_, .uid = uid_, .family = fam, .type = type_, .state = st,                 \
	  .lport = lport_, .laddr = laddr_, .rport = rport_, .raddr = raddr_ }
#define TCP(...) INET_ROW(AF_INET, SOCK_STREAM, __VA_ARGS__)
#define TCP6(...) INET_ROW(AF_INET6, SOCK_STREAM, __VA_ARGS__)
/* No state: udp's is dropped. */
#define UDP(inode_, uid_, ...) INET_ROW(AF_INET, SOCK_DGRAM, inode_, uid_, 0, __VA_ARGS__)
#define UDP6(inode_, uid_, ...) INET_ROW(AF_INET6, SOCK_DGRAM, inode_, uid_, 0, __VA_ARGS__)
#define UNIX(inode_, type_, st, flags, path_)                                                      \
	{ .inode = inode_, .uid = NETSOCK_UID_NONE, .family = AF_UNIX, .type = type_,              \
	  .unix_state = st, .unix_flags = flags, .path = path_ }

enum { LISTEN = 10, ESTABLISHED = 1, TIME_WAIT = 6 };

/* The whole conns/net tree, every socket, in file order. */
static const struct exp_conn fixture_all[] = {
	TCP(18431, 0, LISTEN, 631, "127.0.0.1", 0, NULL),
	TCP(19002, 0, LISTEN, 22, "0.0.0.0", 0, NULL),
	TCP(20551, 1000, ESTABLISHED, 22, "10.0.0.2", 54000, "10.0.0.1"),
	TCP(0, 0, TIME_WAIT, 36386, "10.0.0.2", 443, "172.216.184.93"),
	TCP6(19004, 0, LISTEN, 22, "::", 0, NULL),
	TCP6(30000, 1000, LISTEN, 8080, "::1", 0, NULL),
	TCP6(30001, 1000, ESTABLISHED, 8080, "::1", 41394, "::1"),
	TCP6(30002, 0, ESTABLISHED, 51963, "::ffff:127.0.0.1", 53348, "::ffff:127.0.0.1"),
	TCP6(30003, 33, ESTABLISHED, 443, "2001:db8::1", 58534, "2001:db8::2"),
	UDP(17123, 0, 68, "0.0.0.0", 0, NULL),
	UDP(16987, 101, 53, "127.0.0.53", 0, NULL),
	UDP(17200, 1000, 40960, "127.0.0.1", 53, "127.0.0.1"),
	UDP6(18000, 0, 546, "::1", 0, NULL),
	UNIX(17001, SOCK_STREAM, 1, NETSOCK_UNIX_ACCEPTCON, "/run/systemd/notify"),
	UNIX(17555, SOCK_STREAM, 3, 0, NULL),
	UNIX(17556, SOCK_STREAM, 3, 0, "@/tmp/.X11-unix/X0"),
	UNIX(17600, SOCK_DGRAM, 1, 0, "/run/my app/sock with spaces"),
	UNIX(1073, SOCK_SEQPACKET, 1, 0, "@abs@x y"),
	UNIX(17700, SOCK_DGRAM, 1, 0, " lead and trail "),
};

static void test_conns_fixture_tree(void **state)
{
	/* Sorted, as the API asks; 424242 is in no file, 0 is left out on purpose. */
	static const __u64 want[] = { 1073, 17556, 18431, 30002, 424242 };
	const struct exp_conn want_rows[] = { fixture_all[0], fixture_all[7], fixture_all[15],
					      fixture_all[17] };
	struct netsock_conns c = {};
	int fd;

	if (!host_is_little_endian())
		skip();
	fd = util__open_dir(FIXTURES "/net/conns/net");
	assert_true(fd >= 0);

	assert_int_equal(netsock__read_conns(fd, NULL, 0, &c), 0);
	check_conns("all", &c, fixture_all, ARRAY_SIZE(fixture_all));
	/* tcp: "garbage line"; unix: the 201-byte path */
	assert_int_equal(c.bad_lines, 2);
	netsock_conns__free(&c);

	assert_int_equal(netsock__read_conns(fd, want, ARRAY_SIZE(want), &c), 0);
	check_conns("filtered", &c, want_rows, ARRAY_SIZE(want_rows));
	/* Bad lines are the file's, whatever the filter keeps. */
	assert_int_equal(c.bad_lines, 2);
	netsock_conns__free(&c);

	/* An empty set wants nothing; NULL wants everything. */
	assert_int_equal(netsock__read_conns(fd, want, 0, &c), 0);
	assert_int_equal(c.n, 0);
	netsock_conns__free(&c);
	netsock_conns__free(&c); /* a freed list frees again */
	netsock_conns__free(NULL);
	close(fd);
}

static void test_conns_read_errors(void **state)
{
	static const struct exp_conn sock_tree[] = {
		TCP(18431, 0, LISTEN, 631, "127.0.0.1", 0, NULL),
	};
	static const __u64 want[] = { 18431 };
	struct netsock_conns c = {};
	int fd;

	if (!host_is_little_endian())
		skip();
	/* The counting fixture has no udp6: no IPv6 is not an error. */
	fd = util__open_dir(FIXTURES "/net/sock/net");
	assert_true(fd >= 0);
	assert_int_equal(netsock__read_conns(fd, want, ARRAY_SIZE(want), &c), 0);
	check_conns("sock", &c, sock_tree, ARRAY_SIZE(sock_tree));
	close(fd);

	/*
	 * tcp and udp parse, then unix is missing: the call fails and the
	 * rows appended by this call are gone, the earlier ones stay.
	 */
	fd = util__open_dir(FIXTURES "/net/conns-no-unix/net");
	assert_true(fd >= 0);
	assert_int_equal(netsock__read_conns(fd, NULL, 0, &c), -ENOENT);
	check_conns("no unix", &c, sock_tree, ARRAY_SIZE(sock_tree));
	assert_int_equal(c.bad_lines, 1); /* the sock tree's garbage tcp line */
	close(fd);

	/* Not a net directory at all. */
	fd = util__open_dir(FIXTURES "/net");
	assert_true(fd >= 0);
	assert_int_equal(netsock__read_conns(fd, NULL, 0, &c), -ENOENT);
	assert_int_equal(c.n, 1);
	close(fd);

	assert_int_equal(netsock__parse_conns("", 0, (enum netsock_kind)5, NULL, 0, &c), -EINVAL);
	netsock_conns__free(&c);
}

#define HDR4                                                                                       \
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "      \
	"timeout inode\n"
#define HDR6                                                                                       \
	"  sl  local_address                         remote_address                        "       \
	"st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
#define HDRU "Num       RefCount Protocol Flags    Type St Inode Path\n"

/*
 * A tcp line: slot 0, local and remote endpoints, state, the fields up to
 * uid as the kernel has them, then @tail: "uid timeout inode" and what the
 * case wants after it.
 */
#define MID " 00000000:00000000 00:00000000 00000000 "
#define INET_TAIL(la, ra, st, tail) "   0: " la " " ra " " st MID tail
#define INET(la, ra, st, uid_to_inode) INET_TAIL(la, ra, st, uid_to_inode " 1 0 100 0 0 10 0\n")
#define Z4 "00000000:0000"
#define Z6 "00000000000000000000000000000000:0000"
#define LO6 "00000000000000000000000001000000"
#define MAPPED "0000000000000000FFFF0000"
/* A unix line up to Flags 0, unlisted */
#define UXL "0000000000000000: 00000002 00000000 00000000 "
#define X10 "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10

struct conn_case {
	const char *name;
	enum netsock_kind kind;
	const char *text;
	size_t len;
	__u64 bad;
	size_t n;
	struct exp_conn rows[2];
};

/* sizeof, not strlen: some cases hold a NUL. */
#define T(s) .text = s, .len = sizeof(s) - 1
#define GOOD1(name_, kind_, s, row) { .name = name_, .kind = kind_, T(s), .n = 1, .rows = { row } }
#define BAD(name_, kind_, s) { .name = name_, .kind = kind_, T(s), .bad = 1 }

static void test_conns_lines(void **state)
{
	static const struct conn_case cases[] = {
		/* What the kernel writes */
		GOOD1("v4 listen", NETSOCK_TCP, HDR4 INET("0100007F:0277", Z4, "0A", "0 0 18431"),
		      TCP(18431, 0, LISTEN, 631, "127.0.0.1", 0, NULL)),
		GOOD1("v4 established, no final newline", NETSOCK_TCP,
		      HDR4 INET_TAIL("0200000A:0016", "0100000A:D2F0", "01", "1000 0 20551 4 0"),
		      TCP(20551, 1000, ESTABLISHED, 22, "10.0.0.2", 54000, "10.0.0.1")),
		GOOD1("v4 largest numbers", NETSOCK_TCP,
		      HDR4 INET("FFFFFFFF:FFFF", "FFFFFFFF:FFFF", "0C",
				"4294967295 0 18446744073709551615"),
		      TCP(18446744073709551615ULL, 4294967295U, 12, 65535, "255.255.255.255", 65535,
			  "255.255.255.255")),
		GOOD1("unknown tcp state kept raw", NETSOCK_TCP,
		      HDR4 INET("0100007F:0277", Z4, "0F", "0 0 1"),
		      TCP(1, 0, 15, 631, "127.0.0.1", 0, NULL)),
		GOOD1("no header line", NETSOCK_TCP, INET("0100007F:0277", Z4, "0A", "0 0 7"),
		      TCP(7, 0, LISTEN, 631, "127.0.0.1", 0, NULL)),
		{ .name = "v6 ::1 listen and its peer",
		  .kind = NETSOCK_TCP6,
		  T(HDR6 INET(LO6 ":1F90", Z6, "0A", "1000 0 30000")
			  INET(LO6 ":A1B2", LO6 ":1F90", "01", "1000 0 30005")),
		  .n = 2,
		  .rows = { TCP6(30000, 1000, LISTEN, 8080, "::1", 0, NULL),
			    TCP6(30005, 1000, ESTABLISHED, 41394, "::1", 8080, "::1") } },
		GOOD1("v6 v4-mapped", NETSOCK_TCP6,
		      HDR6 INET(MAPPED "0100007F:CAFB", MAPPED "0A00000A:D064", "01", "0 0 30002"),
		      TCP6(30002, 0, ESTABLISHED, 51963, "::ffff:127.0.0.1", 53348,
			   "::ffff:10.0.0.10")),
		GOOD1("udp, state dropped", NETSOCK_UDP,
		      HDR4 INET_TAIL("0100007F:A000", "0100007F:0035", "01",
				     "1000 0 17200 2 0 0\n"),
		      UDP(17200, 1000, 40960, "127.0.0.1", 53, "127.0.0.1")),
		GOOD1("udp6", NETSOCK_UDP6,
		      HDR6 INET_TAIL(LO6 ":0222", Z6, "07", "0 0 18000 2 0 0"),
		      UDP6(18000, 0, 546, "::1", 0, NULL)),
		{ .name = "unix named listener, unnamed connected",
		  .kind = NETSOCK_UNIX,
		  T(HDRU "0000000000000000: 00000002 00000000 00010000 0001 01 17001 /run/notify\n"
			 "0000000000000000: 00000003 00000000 00000000 0001 03 17555\n"),
		  .n = 2,
		  .rows = { UNIX(17001, SOCK_STREAM, 1, NETSOCK_UNIX_ACCEPTCON, "/run/notify"),
			    UNIX(17555, SOCK_STREAM, 3, 0, NULL) } },
		GOOD1("unix abstract seqpacket, padded inode", NETSOCK_UNIX,
		      HDRU UXL "0005 01  1073 @abs@x y",
		      UNIX(1073, SOCK_SEQPACKET, 1, 0, "@abs@x y")),
		GOOD1("unix dgram, spaces in the path", NETSOCK_UNIX,
		      HDRU UXL "0002 01 17600 /run/my app/s  \n",
		      UNIX(17600, SOCK_DGRAM, 1, 0, "/run/my app/s  ")),
		GOOD1("unix path of 108 bytes", NETSOCK_UNIX,
		      HDRU UXL "0002 01 5 /" X100 "1234567\n",
		      UNIX(5, SOCK_DGRAM, 1, 0, "/" X100 "1234567")),
		GOOD1("unix space and no path", NETSOCK_UNIX, HDRU UXL "0001 01 6 \n",
		      UNIX(6, SOCK_STREAM, 1, 0, NULL)),
		GOOD1("unix Num before the pointer hash is ready", NETSOCK_UNIX,
		      HDRU "(____ptrval____): 00000002 00000000 00000000 0001 01 8 /a\n",
		      UNIX(8, SOCK_STREAM, 1, 0, "/a")),
		{ .name = "empty", .kind = NETSOCK_TCP, T("") },
		{ .name = "header only, no newline", .kind = NETSOCK_UNIX,
		  T("Num       RefCount Protocol Flags    Type St Inode Path") },
		{ .name = "blank lines", .kind = NETSOCK_TCP, T(HDR4 "\n\n") },

		/* What it does not: skipped and counted */
		BAD("garbage", NETSOCK_TCP, HDR4 "   4: garbage line\n"),
		BAD("cut after the state", NETSOCK_TCP, HDR4 "   0: 0100007F:0277 " Z4 " 0A"),
		BAD("cut before the uid", NETSOCK_TCP,
		    HDR4 INET_TAIL("0100007F:0277", Z4, "0A", "")),
		BAD("cut in the port", NETSOCK_TCP, HDR4 "   0: 0100007F:02"),
		BAD("cut in the inode", NETSOCK_TCP,
		    HDR4 INET_TAIL("0100007F:0277", Z4, "0A", "0 0 18")),
		BAD("non-hex address", NETSOCK_TCP, HDR4 INET("0100007G:0277", Z4, "0A", "0 0 1")),
		BAD("7-digit address", NETSOCK_TCP, HDR4 INET("100007F:0277", Z4, "0A", "0 0 1")),
		BAD("5-digit port", NETSOCK_TCP, HDR4 INET("0100007F:10277", Z4, "0A", "0 0 1")),
		BAD("no port colon", NETSOCK_TCP, HDR4 INET("0100007F00277", Z4, "0A", "0 0 1")),
		BAD("v4 address in tcp6", NETSOCK_TCP6,
		    HDR6 INET("0100007F:0277", Z4, "0A", "0 0 1")),
		BAD("31-digit v6 address", NETSOCK_TCP6,
		    HDR6 INET("0000000000000000000000001000000:0277", Z6, "0A", "0 0 1")),
		BAD("NUL in an address", NETSOCK_TCP,
		    HDR4 INET("0100\0"
			      "07F:0277",
			      Z4, "0A", "0 0 1")),
		BAD("tcp state 0", NETSOCK_TCP, HDR4 INET("0100007F:0277", Z4, "00", "0 0 1")),
		BAD("3-digit state", NETSOCK_TCP, HDR4 INET("0100007F:0277", Z4, "00A", "0 0 1")),
		BAD("uid past 32 bits", NETSOCK_TCP,
		    HDR4 INET("0100007F:0277", Z4, "0A", "4294967296 0 1")),
		BAD("inode past 64 bits", NETSOCK_TCP,
		    HDR4 INET("0100007F:0277", Z4, "0A", "0 0 18446744073709551616")),
		BAD("negative inode", NETSOCK_TCP, HDR4 INET("0100007F:0277", Z4, "0A", "0 0 -1")),
		BAD("slot without colon", NETSOCK_TCP,
		    HDR4 "   0 0100007F:0277 " Z4 " 0A" MID "0 0 1 1 0\n"),
		{ .name = "a bad line among good ones",
		  .kind = NETSOCK_TCP,
		  T(HDR4 INET("0100007F:0277", Z4, "0A", "0 0 1") "   1: 0100007F:02\n"
			  INET("0100007F:0016", Z4, "0A", "0 0 2")),
		  .bad = 1,
		  .n = 2,
		  .rows = { TCP(1, 0, LISTEN, 631, "127.0.0.1", 0, NULL),
			    TCP(2, 0, LISTEN, 22, "127.0.0.1", 0, NULL) } },
		BAD("unix path of 109 bytes", NETSOCK_UNIX,
		    HDRU UXL "0002 01 5 /" X100 "12345678\n"),
		BAD("unix path of 300 bytes", NETSOCK_UNIX,
		    HDRU UXL "0002 01 5 " X100 X100 X100 "\n"),
		BAD("unix NUL in the path", NETSOCK_UNIX, HDRU UXL "0002 01 5 /a\0b\n"),
		BAD("unix tab before the path", NETSOCK_UNIX, HDRU UXL "0002 01 5\t/a\n"),
		BAD("unix type 3", NETSOCK_UNIX, HDRU UXL "0003 01 5 /a\n"),
		BAD("unix cut before the inode", NETSOCK_UNIX, HDRU UXL "0001 01"),
		BAD("unix letters in the inode", NETSOCK_UNIX, HDRU UXL "0001 01 17a01 /a\n"),
		BAD("unix Num without colon", NETSOCK_UNIX,
		    HDRU "0000000000000000 00000002 00000000 00000000 0001 01 5\n"),
	};

	if (!host_is_little_endian())
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct conn_case *t = &cases[i];
		struct netsock_conns c = {};

		assert_int_equal(netsock__parse_conns(t->text, t->len, t->kind, NULL, 0, &c), 0);
		if (c.bad_lines != t->bad)
			fail_msg("%s: %llu bad lines, want %llu", t->name,
				 (unsigned long long)c.bad_lines, (unsigned long long)t->bad);
		check_conns(t->name, &c, t->rows, t->n);
		netsock_conns__free(&c);
	}
}

/* Rows append: two files into one list, the second filtered. */
static void test_conns_append(void **state)
{
	static const char tcp[] = HDR4 INET("0100007F:0277", Z4, "0A", "0 0 3");
	static const char unx[] = HDRU UXL "0001 01 4 /a\n" UXL "0001 01 5 /b\n" "x\n";
	static const __u64 want[] = { 5 };
	const struct exp_conn exp[] = {
		TCP(3, 0, LISTEN, 631, "127.0.0.1", 0, NULL),
		UNIX(5, SOCK_STREAM, 1, 0, "/b"),
	};
	struct netsock_conns c = {};

	if (!host_is_little_endian())
		skip();
	assert_int_equal(netsock__parse_conns(tcp, sizeof(tcp) - 1, NETSOCK_TCP, NULL, 0, &c), 0);
	assert_int_equal(netsock__parse_conns(unx, sizeof(unx) - 1, NETSOCK_UNIX, want, 1, &c), 0);
	check_conns("append", &c, exp, ARRAY_SIZE(exp));
	assert_int_equal(c.bad_lines, 1);
	netsock_conns__free(&c);
}

/*
 * This machine: sockets the test opens itself, found by their inodes in
 * /proc/self/net with the addresses, ports and states the test gave them.
 */
struct live_sock {
	int fd;
	struct exp_conn exp;
	char laddr[INET6_ADDRSTRLEN], raddr[INET6_ADDRSTRLEN];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
};

static __u16 local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void live_add(struct live_sock *s, size_t *n, int fd, struct exp_conn e)
{
	struct stat st;
	struct live_sock *l = &s[(*n)++];

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	l->fd = fd;
	l->exp = e;
	l->exp.inode = st.st_ino;
	/* The strings live in the slot, which outlives the caller's locals. */
	snprintf(l->laddr, sizeof(l->laddr), "%s", or_empty(e.laddr));
	snprintf(l->raddr, sizeof(l->raddr), "%s", or_empty(e.raddr));
	snprintf(l->path, sizeof(l->path), "%s", or_empty(e.path));
	l->exp.laddr = l->laddr;
	l->exp.raddr = l->raddr;
	l->exp.path = l->path;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void test_conns_live(void **state)
{
	struct sockaddr_in lo4 = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 lo6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_un named = { .sun_family = AF_UNIX }, abstract = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/jobtrace-netsock-XXXXXX", abstract_name[64];
	struct live_sock socks[8];
	__u64 want[ARRAY_SIZE(socks)];
	struct netsock_conns c = {};
	__u32 uid = geteuid();
	size_t n = 0, found = 0;
	__u16 lport, cport;
	int lsn, cli, fd, pair[2];
	socklen_t alen;

	/* TCP: a listener on 127.0.0.1, a client connected to it, the accepted end. */
	lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lsn >= 0);
	assert_int_equal(bind(lsn, (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_int_equal(listen(lsn, 4), 0);
	lport = local_port(lsn);
	lo4.sin_port = htons(lport);
	cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(cli >= 0);
	assert_int_equal(connect(cli, (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	cport = local_port(cli);
	/* Until accept() the kernel shows the server end with inode 0. */
	fd = accept4(lsn, NULL, NULL, SOCK_CLOEXEC);
	live_add(socks, &n, lsn, (struct exp_conn)TCP(0, uid, LISTEN, lport, "127.0.0.1", 0, NULL));
	live_add(socks, &n, cli,
		 (struct exp_conn)TCP(0, uid, ESTABLISHED, cport, "127.0.0.1", lport, "127.0.0.1"));
	live_add(socks, &n, fd,
		 (struct exp_conn)TCP(0, uid, ESTABLISHED, lport, "127.0.0.1", cport, "127.0.0.1"));

	/* UDP on ::1, where IPv6 works. */
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&lo6, sizeof(lo6)) == 0) {
		live_add(socks, &n, fd,
			 (struct exp_conn)UDP6(0, uid, local_port(fd), "::1", 0, NULL));
	} else {
		print_message("no IPv6 here (%s): no udp6 socket\n", strerror(errno));
		if (fd >= 0)
			close(fd);
	}

	/* unix: a named listener with a space in its path, an abstract dgram, a pair. */
	assert_non_null(mkdtemp(dir));
	snprintf(named.sun_path, sizeof(named.sun_path), "%s/a sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&named, sizeof(named)), 0);
	assert_int_equal(listen(fd, 1), 0);
	live_add(socks, &n, fd,
		 (struct exp_conn)UNIX(0, SOCK_STREAM, 1, NETSOCK_UNIX_ACCEPTCON, named.sun_path));

	snprintf(abstract_name, sizeof(abstract_name), "jobtrace-netsock-%d", (int)getpid());
	memcpy(abstract.sun_path + 1, abstract_name, strlen(abstract_name));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	/* An abstract name is the bytes after the leading NUL, as long as the length says. */
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(abstract_name));
	assert_int_equal(bind(fd, (struct sockaddr *)&abstract, alen), 0);
	snprintf(abstract_name, sizeof(abstract_name), "@jobtrace-netsock-%d", (int)getpid());
	live_add(socks, &n, fd, (struct exp_conn)UNIX(0, SOCK_DGRAM, 1, 0, abstract_name));

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
	live_add(socks, &n, pair[0], (struct exp_conn)UNIX(0, SOCK_SEQPACKET, 3, 0, NULL));
	live_add(socks, &n, pair[1], (struct exp_conn)UNIX(0, SOCK_SEQPACKET, 3, 0, NULL));

	for (size_t i = 0; i < n; i++)
		want[i] = socks[i].exp.inode;
	qsort(want, n, sizeof(want[0]), cmp_u64);

	fd = util__open_dir("/proc/self/net");
	assert_true(fd >= 0);
	assert_int_equal(netsock__read_conns(fd, want, n, &c), 0);
	close(fd);

	/* Exactly these sockets, each once, each as the test made it. */
	if (c.n != n)
		fail_msg("%zu rows for %zu sockets", c.n, n);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < c.n; j++) {
			char why[256];

			if (c.v[j].inode != socks[i].exp.inode)
				continue;
			if (!conn_matches(&c.v[j], &socks[i].exp, why, sizeof(why)))
				fail_msg("socket %zu (inode %llu): %s", i,
					 (unsigned long long)socks[i].exp.inode, why);
			found++;
		}
	}
	assert_int_equal(found, n);

	netsock_conns__free(&c);
	for (size_t i = 0; i < n; i++)
		close(socks[i].fd);
	assert_int_equal(unlink(named.sun_path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_counts),
		cmocka_unit_test(test_inet_lines),
		cmocka_unit_test(test_live_listen),
		cmocka_unit_test(test_conns_fixture_tree),
		cmocka_unit_test(test_conns_read_errors),
		cmocka_unit_test(test_conns_lines),
		cmocka_unit_test(test_conns_append),
		cmocka_unit_test(test_conns_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
