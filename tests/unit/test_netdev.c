// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if_arp.h>
#include <unistd.h>

#include "jobtrace/netdev.h"
#include "jobtrace/util.h"

#define NET FIXTURES "/net"
#define HDR                                                                      \
	"Inter-|   Receive                                                |  Transmit\n" \
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    "  \
	"packets errs drop fifo colls carrier compressed\n"
#define SEQ16 " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16"
#define C16 { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }

static void assert_counters_equal(const char *what, const struct netdev_counters *got,
				  const struct netdev_counters *want)
{
	const uint64_t *g = (const uint64_t *)got, *w = (const uint64_t *)want;

	for (size_t i = 0; i < NETDEV_N_COUNTERS; i++)
		if (g[i] != w[i])
			fail_msg("%s: counter %zu is %llu, want %llu", what, i,
				 (unsigned long long)g[i], (unsigned long long)w[i]);
}

struct parse_case {
	const char *name;
	const char *text;
	int err;
	size_t n;
	const char *first; /* name of the first interface */
	struct netdev_counters c; /* its counters */
};

static const struct parse_case parse_cases[] = {
	{ "lo, 2.6+ layout", HDR "    lo:    3267      29    0    0    0     0          0         0"
				 "     3267      29    0    0    0     0       0          0\n",
	  0, 1, "lo", { .rx_bytes = 3267, .rx_packets = 29, .tx_bytes = 3267, .tx_packets = 29 } },
	{ "every field in order", HDR "  eth0:" SEQ16 "\n", 0, 1, "eth0", C16 },
	{ "15-char name stuck to the colon, pre-2.6 layout",
	  HDR "enx00e04c680abc:123456789 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", 0, 1,
	  "enx00e04c680abc",
	  { 123456789, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 } },
	{ "15-char name with a space", HDR "vethdeadbeef012:" SEQ16 "\n", 0, 1, "vethdeadbeef012",
	  C16 },
	{ "tabs and no final newline", HDR "\twg0:\t1\t2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", 0,
	  1, "wg0", C16 },
	{ "largest u64", HDR "a: 18446744073709551615 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", 0,
	  1, "a", { UINT64_MAX, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 } },
	{ "three interfaces", HDR "lo:" SEQ16 "\neth0:" SEQ16 "\nwg0:" SEQ16 "\n", 0, 3, "lo",
	  C16 },
	/* A '|' in a name (dev_valid_name() takes it): an interface, not a header. */
	{ "a name with a '|'", HDR "a|b:" SEQ16 "\n", 0, 1, "a|b", C16 },
	{ "header only", HDR, 0, 0, NULL, { 0 } },
	{ "empty file", "", 0, 0, NULL, { 0 } },
	{ "blank line skipped", HDR "\n   \nlo:" SEQ16 "\n", 0, 1, "lo", C16 },
	{ "16-char name", HDR "enx00e04c680abcd:" SEQ16 "\n", -ENAMETOOLONG, 0, NULL, { 0 } },
	{ "15 numbers (a field missing)", HDR "lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n", -EINVAL,
	  0, NULL, { 0 } },
	{ "17 numbers", HDR "lo:" SEQ16 " 17\n", -EINVAL, 0, NULL, { 0 } },
	{ "u64 overflow", HDR "lo: 18446744073709551616 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	  -EINVAL, 0, NULL, { 0 } },
	{ "negative", HDR "lo: -1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", -EINVAL, 0, NULL,
	  { 0 } },
	{ "letters", HDR "lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 1x\n", -EINVAL, 0, NULL, { 0 } },
	{ "no colon", HDR "lo" SEQ16 "\n", -EINVAL, 0, NULL, { 0 } },
	{ "empty name", HDR "   :" SEQ16 "\n", -EINVAL, 0, NULL, { 0 } },
	{ "bad line after a good one", HDR "lo:" SEQ16 "\neth0: 1\n", -EINVAL, 0, NULL, { 0 } },
};

/*
 * The length bounds the parse: bytes past it (here a line that would fail,
 * and no NUL) are never read, as a fuzzer's buffer has none after its end.
 */
static void test_parse_length(void **state)
{
	static const char text[] = HDR "lo:" SEQ16 "\neth0: 1";
	char *buf = malloc(sizeof(text) - 1);
	size_t len = strlen(HDR "lo:" SEQ16 "\n");
	struct netdev_table t;

	assert_non_null(buf);
	memcpy(buf, text, sizeof(text) - 1);
	assert_int_equal(netdev__parse(buf, len, &t), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.ifs[0].name, "lo");
	assert_int_equal(t.ifs[0].c.rx_bytes, 1);
	netdev_table__free(&t);
	/* Without its newline, the last line still ends at the length. */
	assert_int_equal(netdev__parse(buf, len - 1, &t), 0);
	assert_int_equal(t.n, 1);
	netdev_table__free(&t);
	assert_int_equal(netdev__parse(buf, sizeof(text) - 1, &t), -EINVAL);
	assert_int_equal(t.n, 0);
	free(buf);
}

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct netdev_table t;
		int err = netdev__parse(c->text, strlen(c->text), &t);

		if (err != c->err)
			fail_msg("%s: err %d, want %d", c->name, err, c->err);
		if (t.n != c->n)
			fail_msg("%s: %zu interfaces, want %zu", c->name, t.n, c->n);
		if (c->err)
			assert_null(t.ifs);
		if (c->first) {
			if (strcmp(t.ifs[0].name, c->first))
				fail_msg("%s: name '%s', want '%s'", c->name, t.ifs[0].name,
					 c->first);
			assert_counters_equal(c->name, &t.ifs[0].c, &c->c);
			assert_false(t.ifs[0].has_state);
		}
		netdev_table__free(&t);
	}
	netdev_table__free(NULL);
}

static int open_root(const char *sample, const char *which)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), NET "/%s/%s", sample, which);
	fd = util__open_dir(path);
	if (fd < 0)
		fail_msg("cannot open %s: %s", path, strerror(-fd));
	return fd;
}

static void read_sample(const char *sample, bool with_sys, struct netdev_table *t)
{
	int proc_fd = open_root(sample, "proc");
	int sys_fd = with_sys ? open_root(sample, "sys") : -1;

	assert_int_equal(netdev__read(proc_fd, sys_fd, t), 0);
	close(proc_fd);
	if (sys_fd >= 0)
		close(sys_fd);
}

struct state_case {
	const char *name;
	struct netdev_state st;
};

/* What tests/fixtures/net/t0/sys encodes; see its README. */
static const struct state_case state_cases[] = {
	{ "lo", { .ifindex = 1, .type = ARPHRD_LOOPBACK, .carrier = 1, .speed_mbps = -1,
		  .duplex = NETDEV_DUPLEX_UNKNOWN, .mtu_bytes = 65536,
		  .operstate = NETDEV_OPER_UNKNOWN } },
	{ "eth0", { .ifindex = 2, .type = ARPHRD_ETHER, .carrier = 1, .speed_mbps = 1000,
		    .duplex = NETDEV_DUPLEX_FULL, .mtu_bytes = 1500, .operstate = NETDEV_OPER_UP } },
	/* speed "-1", duplex "unknown": a USB NIC that is up but negotiated nothing. */
	{ "enx00e04c680abc", { .ifindex = 3, .type = ARPHRD_ETHER, .carrier = 1,
			       .speed_mbps = -1, .duplex = NETDEV_DUPLEX_UNKNOWN,
			       .mtu_bytes = 1500, .operstate = NETDEV_OPER_UP } },
	/* No duplex file at all. */
	{ "wg0", { .ifindex = 5, .type = ARPHRD_NONE, .carrier = 1, .speed_mbps = -1,
		   .duplex = NETDEV_DUPLEX_UNKNOWN, .mtu_bytes = 1420,
		   .operstate = NETDEV_OPER_UNKNOWN } },
	/* Down: carrier, speed and duplex reads fail; that is "unknown", not an error. */
	{ "eth1", { .ifindex = 4, .type = ARPHRD_ETHER, .carrier = -1, .speed_mbps = -1,
		    .duplex = NETDEV_DUPLEX_UNKNOWN, .mtu_bytes = 9000,
		    .operstate = NETDEV_OPER_DOWN } },
};

static void test_read_fixture(void **state)
{
	struct netdev_table t;
	const struct netdev_if *ifp;
	const struct netdev_counters eth0 = { 4294967000, 607, 1, 2, 3, 4, 5, 6,
					      33448, 413, 7, 8, 9, 10, 11, 12 };

	read_sample("t0", true, &t);
	assert_int_equal(t.n, ARRAY_SIZE(state_cases));
	for (size_t i = 0; i < ARRAY_SIZE(state_cases); i++) {
		const struct state_case *c = &state_cases[i];
		const struct netdev_state *st;

		/* File order is kept. */
		assert_string_equal(t.ifs[i].name, c->name);
		assert_true(t.ifs[i].has_state);
		st = &t.ifs[i].st;
		if (st->ifindex != c->st.ifindex || st->type != c->st.type ||
		    st->carrier != c->st.carrier || st->speed_mbps != c->st.speed_mbps ||
		    st->duplex != c->st.duplex || st->mtu_bytes != c->st.mtu_bytes ||
		    st->operstate != c->st.operstate)
			fail_msg("%s: ifindex %d type %d carrier %d speed %lld duplex %d mtu %u "
				 "oper %d",
				 c->name, st->ifindex, st->type, st->carrier, st->speed_mbps,
				 st->duplex, st->mtu_bytes, st->operstate);
	}
	ifp = netdev_table__find(&t, "eth0");
	assert_non_null(ifp);
	assert_counters_equal("eth0", &ifp->c, &eth0);
	ifp = netdev_table__find(&t, "enx00e04c680abc");
	assert_non_null(ifp);
	assert_true(ifp->c.rx_bytes == 18446744073709551000ULL);
	assert_int_equal(ifp->c.rx_multicast, 3);
	assert_null(netdev_table__find(&t, "eth"));
	netdev_table__free(&t);
}

/* The attribute's text, newline already stripped by the reader. */
static void test_duplex_table(void **state)
{
	static const struct {
		const char *text;
		enum netdev_duplex want;
		const char *name; /* what the report prints */
	} cases[] = {
		{ "full", NETDEV_DUPLEX_FULL, "full" },
		{ "half", NETDEV_DUPLEX_HALF, "half" },
		{ "unknown", NETDEV_DUPLEX_UNKNOWN, "unknown" },
		/* The kernel prints lower case and nothing else: anything else is not a duplex. */
		{ "Full", NETDEV_DUPLEX_UNKNOWN, "unknown" },
		{ "full ", NETDEV_DUPLEX_UNKNOWN, "unknown" },
		{ "fullx", NETDEV_DUPLEX_UNKNOWN, "unknown" },
		{ "hal", NETDEV_DUPLEX_UNKNOWN, "unknown" },
		{ "", NETDEV_DUPLEX_UNKNOWN, "unknown" },
		{ "2", NETDEV_DUPLEX_UNKNOWN, "unknown" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum netdev_duplex d = netdev__parse_duplex(cases[i].text);

		if (d != cases[i].want || strcmp(netdev__duplex_name(d), cases[i].name))
			fail_msg("'%s': duplex %d (%s), want %d (%s)", cases[i].text, d,
				 netdev__duplex_name(d), cases[i].want, cases[i].name);
	}
	assert_string_equal(netdev__duplex_name((enum netdev_duplex)42), "unknown");
}

static void test_read_state_errors(void **state)
{
	struct netdev_state st;
	int sys_fd = open_root("t0", "sys");

	assert_int_equal(netdev__read_state(sys_fd, "nosuch0", &st), -ENOENT);
	assert_int_equal(netdev__read_state(sys_fd, "../net", &st), -EINVAL);
	assert_int_equal(netdev__read_state(sys_fd, "..", &st), -EINVAL);
	assert_int_equal(netdev__read_state(sys_fd, "", &st), -EINVAL);
	assert_int_equal(netdev__read_state(sys_fd, "enx00e04c680abcd", &st), -EINVAL);
	close(sys_fd);
}

struct delta_case {
	const char *name;
	bool reset;
	uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets, rx_multicast, rx_errs;
};

/* t0 -> t1 of the fixture, read with the sys tree (so with ifindex). */
static const struct delta_case delta_cases[] = {
	{ "lo", false, 2000, 20, 2000, 20, 0, 0 },
	/* rx_bytes 4294967000 -> 1000: 32-bit wrap, 296 + 1000. */
	{ "eth0", false, 1296, 43, 10000, 50, 0, 0 },
	/* rx_bytes 2^64 - 616 -> 500: 64-bit wrap, 616 + 500. */
	{ "enx00e04c680abc", false, 1116, 10, 100, 1, 1, 0 },
	/* ifindex 5 -> 7: re-created, 900000 -> 1200 is not a wrap. */
	{ "wg0", true, 1200, 10, 800, 9, 0, 0 },
	{ "eth1", false, 0, 0, 0, 0, 0, 0 },
};

static void test_delta_fixture(void **state)
{
	struct netdev_table t0, t1;

	read_sample("t0", true, &t0);
	read_sample("t1", true, &t1);
	assert_int_equal(t1.n, ARRAY_SIZE(delta_cases));
	for (size_t i = 0; i < ARRAY_SIZE(delta_cases); i++) {
		const struct delta_case *c = &delta_cases[i];
		const struct netdev_if *a = netdev_table__find(&t0, c->name);
		const struct netdev_if *b = netdev_table__find(&t1, c->name);
		struct netdev_counters d;
		bool reset = !c->reset;

		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(netdev__delta(a, b, 0, &d, &reset), 0);
		if (reset != c->reset || d.rx_bytes != c->rx_bytes ||
		    d.rx_packets != c->rx_packets || d.tx_bytes != c->tx_bytes ||
		    d.tx_packets != c->tx_packets || d.rx_multicast != c->rx_multicast ||
		    d.rx_errs != c->rx_errs)
			fail_msg("%s: reset %d rx %llu/%llu tx %llu/%llu mcast %llu errs %llu",
				 c->name, reset, (unsigned long long)d.rx_bytes,
				 (unsigned long long)d.rx_packets, (unsigned long long)d.tx_bytes,
				 (unsigned long long)d.tx_packets,
				 (unsigned long long)d.rx_multicast, (unsigned long long)d.rx_errs);
	}
	netdev_table__free(&t0);
	netdev_table__free(&t1);
}

/*
 * Without ifindex, the re-created wg0 (rx 900000 -> 1200) went back from the
 * bottom half of 2^32: a restart, not a 32-bit wrap of ~4 GiB.
 */
static void test_delta_without_ifindex_is_a_reset(void **state)
{
	struct netdev_table t0, t1;
	struct netdev_counters d;
	bool reset = false;

	read_sample("t0", false, &t0);
	read_sample("t1", false, &t1);
	assert_int_equal(netdev__delta(netdev_table__find(&t0, "wg0"),
				       netdev_table__find(&t1, "wg0"), 0, &d, &reset),
			 0);
	assert_true(reset);
	assert_counters_equal("wg0", &d, &netdev_table__find(&t1, "wg0")->c);
	/* eth0's rx went back from near 2^32: still a 32-bit wrap. */
	assert_int_equal(netdev__delta(netdev_table__find(&t0, "eth0"),
				       netdev_table__find(&t1, "eth0"), 0, &d, &reset),
			 0);
	assert_false(reset);
	assert_true(d.rx_bytes == 1296);
	/* Claiming 64-bit counters makes the same numbers a near-2^64 wrap. */
	assert_int_equal(netdev__delta(netdev_table__find(&t0, "wg0"),
				       netdev_table__find(&t1, "wg0"), 64, &d, &reset),
			 0);
	assert_false(reset);
	assert_true(d.rx_bytes == UINT64_MAX - 900000 + 1200 + 1);
	/* And 32 is refused for the 64-bit enx counter. */
	assert_int_equal(netdev__delta(netdev_table__find(&t0, "enx00e04c680abc"),
				       netdev_table__find(&t1, "enx00e04c680abc"), 32, &d,
				       &reset),
			 -ERANGE);
	assert_int_equal(netdev__delta(&t0.ifs[0], &t1.ifs[1], 0, &d, &reset), -EINVAL);
	netdev_table__free(&t0);
	netdev_table__free(&t1);
}

/*
 * Stats cleared without a new ifindex: rx went back, tx has already passed
 * its old value. Both restarted, so both deltas are the values now.
 */
static void test_delta_cleared_stats(void **state)
{
	struct netdev_if a = { .name = "eth0", .c = { .rx_bytes = 1000000, .tx_bytes = 10 } };
	struct netdev_if b = { .name = "eth0", .c = { .rx_bytes = 5000, .tx_bytes = 40 } };
	struct netdev_counters d;
	struct netdev_rate r;
	bool reset = false;

	assert_int_equal(netdev__delta(&a, &b, 0, &d, &reset), 0);
	assert_true(reset);
	assert_counters_equal("cleared", &d, &b.c);
	/* Over 1 s: 5000 B/s flagged as a lower bound, not 4293972296 B/s. */
	assert_int_equal(netdev__rate(&a, &b, 0, 1000000000ULL, &r), 0);
	assert_true(r.rx_bytes_per_s == 5000.0);
	assert_true(r.tx_bytes_per_s == 40.0);
	assert_true(r.reset);
}

struct counter_case {
	const char *name;
	uint64_t prev, now;
	unsigned int width;
	int err;
	uint64_t delta;
	bool reset;
};

static const struct counter_case counter_cases[] = {
	{ "forward", 10, 15, 0, 0, 5, false },
	{ "unchanged", 7, 7, 0, 0, 0, false },
	{ "guess 32: wrap", 0xffffff00, 0x100, 0, 0, 0x200, false },
	{ "guess 32: from the top", UINT32_MAX, 0, 0, 0, 1, false },
	{ "guess 32: just under half the range", 0x80000001, 0, 0, 0, 0x7fffffff, false },
	{ "guess 32: half the range is a reset", 0x80000000, 0, 0, 0, 0, true },
	{ "guess 32: to just below prev", 5, 4, 0, 0, 4, true },
	{ "guess 32: cleared stats", 1000000, 5000, 0, 0, 5000, true },
	{ "guess: a 64-bit counter passing 2^32", UINT32_MAX - 1, 0x10000000aULL, 0, 0, 12,
	  false },
	{ "guess 64: wrap", UINT64_MAX - 0xf, 0x20, 0, 0, 0x30, false },
	{ "guess 64: prev just past 2^32", 0x100000005ULL, 3, 0, 0, 3, true },
	{ "guess 64: reset from a large count", 1ULL << 40, 1000, 0, 0, 1000, true },
	{ "32: wrap", 0xfffffff0, 0x10, 32, 0, 0x20, false },
	{ "32: forward", 1, 3, 32, 0, 2, false },
	{ "32: a known width always wraps", 5, 4, 32, 0, UINT32_MAX, false },
	{ "32: now too wide", 5, 0x100000000ULL, 32, -ERANGE, 0, false },
	{ "32: prev too wide", 0x100000000ULL, 5, 32, -ERANGE, 0, false },
	{ "64: small prev, still 64", 5, 3, 64, 0, UINT64_MAX - 1, false },
	{ "64: forward", 1ULL << 40, (1ULL << 40) + 9, 64, 0, 9, false },
	{ "width 16", 1, 2, 16, -EINVAL, 0, false },
};

static void test_counter_delta_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(counter_cases); i++) {
		const struct counter_case *c = &counter_cases[i];
		uint64_t d = 0xdead;
		bool reset = !c->reset;
		int err = netdev__counter_delta(c->prev, c->now, c->width, &d, &reset);

		if (err != c->err || (!err && (d != c->delta || reset != c->reset)))
			fail_msg("%s: err %d delta %llu reset %d, want err %d delta %llu reset %d",
				 c->name, err, (unsigned long long)d, reset, c->err,
				 (unsigned long long)c->delta, c->reset);
	}
}

static void test_rate(void **state)
{
	struct netdev_table t0, t1;
	struct netdev_rate r;

	read_sample("t0", true, &t0);
	read_sample("t1", true, &t1);
	/* eth0 over 2 s: 1296 B, 43 pkt in; 10000 B, 50 pkt out. */
	assert_int_equal(netdev__rate(netdev_table__find(&t0, "eth0"),
				      netdev_table__find(&t1, "eth0"), 0, 2000000000ULL, &r),
			 0);
	assert_true(r.rx_bytes_per_s == 648.0);
	assert_true(r.tx_bytes_per_s == 5000.0);
	assert_true(r.rx_packets_per_s == 21.5);
	assert_true(r.tx_packets_per_s == 25.0);
	assert_false(r.reset);
	/* wg0 over 0.5 s: re-created, so a flagged lower bound. */
	assert_int_equal(netdev__rate(netdev_table__find(&t0, "wg0"),
				      netdev_table__find(&t1, "wg0"), 0, 500000000ULL, &r),
			 0);
	assert_true(r.rx_bytes_per_s == 2400.0);
	assert_true(r.tx_packets_per_s == 18.0);
	assert_true(r.reset);
	assert_int_equal(netdev__rate(&t0.ifs[0], &t1.ifs[0], 0, 0, &r), -EINVAL);
	netdev_table__free(&t0);
	netdev_table__free(&t1);
}

/* A hand-built getifaddrs() list. */
struct fake_ifa {
	struct ifaddrs ifa;
	struct sockaddr_storage addr, mask;
};

static void fake_set(struct fake_ifa *f, struct fake_ifa *next, const char *name, int family,
		     const char *addr, const char *mask, uint32_t scope)
{
	memset(f, 0, sizeof(*f));
	f->ifa.ifa_next = next ? &next->ifa : NULL;
	f->ifa.ifa_name = (char *)name;
	if (family == AF_PACKET) {
		f->addr.ss_family = AF_PACKET;
		f->ifa.ifa_addr = (struct sockaddr *)&f->addr;
	} else if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&f->addr;
		struct sockaddr_in *m = (struct sockaddr_in *)&f->mask;

		a->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &a->sin_addr), 1);
		f->ifa.ifa_addr = (struct sockaddr *)a;
		if (mask) {
			m->sin_family = AF_INET;
			assert_int_equal(inet_pton(AF_INET, mask, &m->sin_addr), 1);
			f->ifa.ifa_netmask = (struct sockaddr *)m;
		}
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&f->addr;
		struct sockaddr_in6 *m = (struct sockaddr_in6 *)&f->mask;

		a->sin6_family = AF_INET6;
		a->sin6_scope_id = scope;
		assert_int_equal(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
		f->ifa.ifa_addr = (struct sockaddr *)a;
		if (mask) {
			m->sin6_family = AF_INET6;
			assert_int_equal(inet_pton(AF_INET6, mask, &m->sin6_addr), 1);
			f->ifa.ifa_netmask = (struct sockaddr *)m;
		}
	}
	/* family 0: an interface with no address, ifa_addr stays NULL. */
}

static void test_addrs_from_fake_list(void **state)
{
	static const struct {
		const char *ifname;
		int family;
		const char *addr;
		const char *mask;
		uint32_t scope;
	} in[] = {
		{ "lo", AF_PACKET, NULL, NULL, 0 },
		{ "lo", AF_INET, "127.0.0.1", "255.0.0.0", 0 },
		{ "tun0", 0, NULL, NULL, 0 },
		{ "eth0", AF_INET, "192.0.2.2", "255.255.255.0", 0 },
		{ "eth0", AF_INET6, "fe80::fc:ff:fe00:1", "ffff:ffff:ffff:ffff::", 4 },
		{ "wg0", AF_INET6, "fd00::5", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ "ppp0", AF_INET, "10.64.0.1", NULL, 0 },
		{ "odd0", AF_INET, "10.0.0.1", "255.0.255.0", 0 },
	};
	static const struct netdev_addr want[] = {
		{ "lo", AF_INET, "127.0.0.1", 8, 0 },
		{ "eth0", AF_INET, "192.0.2.2", 24, 0 },
		{ "eth0", AF_INET6, "fe80::fc:ff:fe00:1", 64, 4 },
		{ "wg0", AF_INET6, "fd00::5", 128, 0 },
		{ "ppp0", AF_INET, "10.64.0.1", -1, 0 }, /* no netmask given */
		{ "odd0", AF_INET, "10.0.0.1", -1, 0 },	 /* not a prefix */
	};
	struct fake_ifa f[ARRAY_SIZE(in)];
	struct netdev_addr_table t;

	for (size_t i = ARRAY_SIZE(in); i-- > 0;)
		fake_set(&f[i], i + 1 < ARRAY_SIZE(in) ? &f[i + 1] : NULL, in[i].ifname,
			 in[i].family, in[i].addr, in[i].mask, in[i].scope);
	assert_int_equal(netdev__addrs_from_ifaddrs(&f[0].ifa, &t), 0);
	assert_int_equal(t.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct netdev_addr *a = &t.addrs[i], *w = &want[i];

		if (strcmp(a->ifname, w->ifname) || a->family != w->family ||
		    strcmp(a->addr, w->addr) || a->prefix_len != w->prefix_len ||
		    a->scope_id != w->scope_id)
			fail_msg("addr %zu: %s %d %s/%d %%%u", i, a->ifname, a->family, a->addr,
				 a->prefix_len, a->scope_id);
	}
	netdev_addr_table__free(&t);
	netdev_addr_table__free(NULL);

	assert_int_equal(netdev__addrs_from_ifaddrs(NULL, &t), 0);
	assert_int_equal(t.n, 0);
	netdev_addr_table__free(&t);
}

static void test_live(void **state)
{
	struct netdev_table t;
	struct netdev_addr_table a;
	const struct netdev_if *lo;
	bool lo_v4 = false;
	int proc_fd = util__open_dir("/proc"), sys_fd = util__open_dir("/sys");

	assert_true(proc_fd >= 0);
	assert_true(sys_fd >= 0);
	assert_int_equal(netdev__read(proc_fd, sys_fd, &t), 0);
	lo = netdev_table__find(&t, "lo");
	assert_non_null(lo);
	assert_true(lo->has_state);
	assert_int_equal(lo->st.mtu_bytes, 65536);
	assert_int_equal(lo->st.type, ARPHRD_LOOPBACK);
	assert_int_equal(lo->st.ifindex, 1);
	/* The real speed and duplex reads fail with EINVAL on lo. */
	assert_int_equal(lo->st.speed_mbps, -1);
	assert_int_equal(lo->st.duplex, NETDEV_DUPLEX_UNKNOWN);
	/* Every interface: what its duplex file says, or unknown where it cannot be read. */
	for (size_t i = 0; i < t.n; i++) {
		const struct netdev_if *ifp = &t.ifs[i];
		enum netdev_duplex want = NETDEV_DUPLEX_UNKNOWN;
		char path[64], buf[32];
		ssize_t n;

		if (!ifp->has_state)
			continue; /* gone since /proc/net/dev was read */
		snprintf(path, sizeof(path), "class/net/%s/duplex", ifp->name);
		n = util__read_file_at(sys_fd, path, buf, sizeof(buf));
		if (n > 0 && !strcmp(buf, "full\n"))
			want = NETDEV_DUPLEX_FULL;
		else if (n > 0 && !strcmp(buf, "half\n"))
			want = NETDEV_DUPLEX_HALF;
		if (ifp->st.duplex != want)
			fail_msg("%s: duplex %d, its file says '%s'", ifp->name, ifp->st.duplex,
				 n > 0 ? buf : strerror((int)-n));
	}
	netdev_table__free(&t);
	close(proc_fd);
	close(sys_fd);

	assert_int_equal(netdev__addrs_read(&a), 0);
	for (size_t i = 0; i < a.n; i++)
		if (!strcmp(a.addrs[i].ifname, "lo") && a.addrs[i].family == AF_INET &&
		    !strcmp(a.addrs[i].addr, "127.0.0.1") && a.addrs[i].prefix_len == 8)
			lo_v4 = true;
	assert_true(lo_v4);
	netdev_addr_table__free(&a);
}

/* The names the system report prints: the kernel's own words, NULL when unread. */
static void test_operstate_names(void **state)
{
	assert_string_equal(netdev__operstate_name(NETDEV_OPER_UP), "up");
	assert_string_equal(netdev__operstate_name(NETDEV_OPER_LOWERLAYERDOWN), "lowerlayerdown");
	assert_string_equal(netdev__operstate_name(NETDEV_OPER_UNKNOWN), "unknown");
	assert_null(netdev__operstate_name(NETDEV_OPER_UNREADABLE));
	assert_null(netdev__operstate_name((enum netdev_operstate)(NETDEV_OPER_UP + 1)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_length),
		cmocka_unit_test(test_read_fixture),
		cmocka_unit_test(test_duplex_table),
		cmocka_unit_test(test_operstate_names),
		cmocka_unit_test(test_read_state_errors),
		cmocka_unit_test(test_delta_fixture),
		cmocka_unit_test(test_delta_without_ifindex_is_a_reset),
		cmocka_unit_test(test_delta_cleared_stats),
		cmocka_unit_test(test_counter_delta_table),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_addrs_from_fake_list),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
