// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ApMon encoder against the reference datagram of
 * shared/reference/apmon-protocol.md (built from ApMon's C and Python
 * senders), its padding and byte order, the splitting of a large set, and
 * the sink's parameters from records, read back through a loopback socket.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jobtrace/apmon.h"
#include "jobtrace/host.h"
#include "jobtrace/sink.h"

/* The reference: "v:2.2.2p:secret", 0x12345678, seq 7, "jobs"/"host1", two parameters, ts. */
static const unsigned char reference[96] = {
	0x00, 0x00, 0x00, 0x0f, 0x76, 0x3a, 0x32, 0x2e, 0x32, 0x2e, 0x32, 0x70, 0x3a, 0x73,
	0x65, 0x63, 0x72, 0x65, 0x74, 0x00, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x07,
	0x00, 0x00, 0x00, 0x04, 0x6a, 0x6f, 0x62, 0x73, 0x00, 0x00, 0x00, 0x05, 0x68, 0x6f,
	0x73, 0x74, 0x31, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08,
	0x63, 0x70, 0x75, 0x5f, 0x74, 0x69, 0x6d, 0x65, 0x00, 0x00, 0x00, 0x05, 0x3f, 0xf8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x70, 0x69, 0x64, 0x00,
	0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x2a, 0x65, 0x53, 0xf1, 0x00,
};

static void test_reference_datagram(void **state)
{
	struct apmon_head h = {
		.password = "secret",
		.instance_id = 0x12345678,
		.cluster = "jobs",
		.node = "host1",
		.timestamp = 1700000000,
	};
	struct apmon_param p[] = {
		{ .name = "cpu_time", .type = APMON_REAL64, .v.r64 = 1.5 },
		{ .name = "pid", .type = APMON_INT32, .v.i32 = 42 },
	};
	unsigned char buf[200];
	ssize_t n;

	memset(buf, 0xaa, sizeof(buf));
	n = apmon__encode(buf, sizeof(buf), &h, 7, p, 2);
	assert_int_equal(n, sizeof(reference));
	assert_memory_equal(buf, reference, sizeof(reference));
	assert_int_equal(apmon__head_size(&h) + apmon__param_size(&p[0]) +
				 apmon__param_size(&p[1]),
			 sizeof(reference));
	/* One byte short: refused, not cut. */
	assert_int_equal(apmon__encode(buf, sizeof(reference) - 1, &h, 7, p, 2), -ENOSPC);
	/* No timestamp: the same bytes less the last 4. */
	h.timestamp = 0;
	assert_int_equal(apmon__encode(buf, sizeof(buf), &h, 7, p, 2), sizeof(reference) - 4);
	assert_memory_equal(buf, reference, sizeof(reference) - 4);
}

/* ---- a decoder, written from the layout alone ---- */

struct dparam {
	char name[256];
	size_t name_len;
	uint32_t type;
	double num; /* INT32, REAL32 and REAL64 as a double */
	char str[256];
};

struct dgram {
	char header[64], cluster[256], node[256];
	size_t node_len;
	uint32_t instance, seq, n;
	struct dparam p[128];
	int32_t timestamp; /* 0: none */
};

static uint32_t get32(const unsigned char *b, size_t *o, size_t len)
{
	uint32_t v;

	assert_true(*o + 4 <= len);
	memcpy(&v, b + *o, 4);
	*o += 4;
	return ntohl(v);
}

/* An XDR string: its length, its bytes, then zeros to a multiple of 4. */
static size_t getstr(const unsigned char *b, size_t *o, size_t len, char *out, size_t size)
{
	uint32_t n = get32(b, o, len);
	size_t padded = (n + 3) & ~3U;

	assert_true(*o + padded <= len);
	assert_true(n < size);
	memcpy(out, b + *o, n);
	out[n] = '\0';
	for (size_t i = n; i < padded; i++)
		assert_int_equal(b[*o + i], 0);
	*o += padded;
	return n;
}

static void decode(const unsigned char *b, size_t len, struct dgram *d)
{
	size_t o = 0;

	memset(d, 0, sizeof(*d));
	assert_int_equal(len % 4, 0);
	getstr(b, &o, len, d->header, sizeof(d->header));
	d->instance = get32(b, &o, len);
	d->seq = get32(b, &o, len);
	getstr(b, &o, len, d->cluster, sizeof(d->cluster));
	d->node_len = getstr(b, &o, len, d->node, sizeof(d->node));
	d->n = get32(b, &o, len);
	assert_true(d->n <= 128);
	for (uint32_t i = 0; i < d->n; i++) {
		struct dparam *p = &d->p[i];
		uint64_t hi, lo;
		uint32_t u;
		float f;

		p->name_len = getstr(b, &o, len, p->name, sizeof(p->name));
		p->type = get32(b, &o, len);
		switch (p->type) {
		case APMON_STRING:
			getstr(b, &o, len, p->str, sizeof(p->str));
			break;
		case APMON_INT32:
			p->num = (int32_t)get32(b, &o, len);
			break;
		case APMON_REAL32:
			u = get32(b, &o, len);
			memcpy(&f, &u, 4);
			p->num = f;
			break;
		case APMON_REAL64:
			hi = get32(b, &o, len);
			lo = get32(b, &o, len);
			hi = hi << 32 | lo;
			memcpy(&p->num, &hi, 8);
			break;
		default:
			fail_msg("type code %u", p->type);
		}
	}
	if (o < len)
		d->timestamp = (int32_t)get32(b, &o, len);
	assert_int_equal(o, len);
}

static const struct dparam *find(const struct dgram *d, const char *name)
{
	for (uint32_t i = 0; i < d->n; i++)
		if (!strcmp(d->p[i].name, name))
			return &d->p[i];
	return NULL;
}

static void test_padding_and_byte_order(void **state)
{
	static const char *names[] = { "", "a", "ab", "abc", "abcd", "abcde" };
	unsigned char buf[512];
	struct dgram d;

	for (size_t i = 0; i < 6; i++) {
		struct apmon_head h = { .password = names[i], .cluster = names[(i + 1) % 6],
					.node = names[(i + 2) % 6] };
		struct apmon_param p[] = {
			{ .name = names[i], .type = APMON_REAL64, .v.r64 = -2.25 },
			{ .name = "s", .type = APMON_STRING, .v.s = names[(i + 3) % 6] },
			{ .name = "i", .type = APMON_INT32, .v.i32 = -5 },
			{ .name = "f", .type = APMON_REAL32, .v.r32 = 0.5f },
		};
		ssize_t n = apmon__encode(buf, sizeof(buf), &h, 1, p, 4);
		size_t expect = 4 + ((9 + i + 3) & ~3UL) + 8 + 4 + ((((i + 1) % 6) + 3) & ~3UL) +
				4 + ((((i + 2) % 6) + 3) & ~3UL) + 4;

		expect += 4 + ((i + 3) & ~3UL) + 4 + 8;
		expect += 8 + 4 + 4 + ((((i + 3) % 6) + 3) & ~3UL);
		expect += 8 + 4 + 4 + 8 + 4 + 4;
		assert_int_equal(n, expect);
		decode(buf, (size_t)n, &d);
		assert_int_equal(strlen(d.header), 9 + i);
		assert_string_equal(d.p[0].name, names[i]);
		assert_int_equal(d.p[0].type, APMON_REAL64);
		assert_true(d.p[0].num == -2.25);
		assert_string_equal(d.p[1].str, names[(i + 3) % 6]);
		assert_true(d.p[2].num == -5);
		assert_true(d.p[3].num == 0.5);
	}
	{
		/* REAL64 is the IEEE double, most significant byte first. */
		static const unsigned char pi[8] = { 0x40, 0x09, 0x21, 0xfb,
						     0x54, 0x44, 0x2d, 0x18 };
		struct apmon_head h = { .password = "", .cluster = "c", .node = "n" };
		struct apmon_param p = { .name = "x", .type = APMON_REAL64,
					 .v.r64 = 3.141592653589793 };
		ssize_t n = apmon__encode(buf, sizeof(buf), &h, 1, &p, 1);

		assert_true(n > 8);
		assert_memory_equal(buf + n - 8, pi, 8);
	}
}

static void test_hostile_names(void **state)
{
	/* Quotes, a newline, invalid UTF-8, a high byte: sent as the bytes they are. */
	static const char *hostile[] = { "a\"b'c", "line1\nline2", "\xff\xfe\x80", "caf\xc3\xa9",
					 "tab\there" };
	unsigned char buf[1024];
	struct dgram d;

	for (size_t i = 0; i < 5; i++) {
		struct apmon_head h = { .password = "", .cluster = hostile[i], .node = hostile[i] };
		struct apmon_param p = { .name = hostile[i], .type = APMON_STRING,
					 .v.s = hostile[(i + 1) % 5] };
		ssize_t n = apmon__encode(buf, sizeof(buf), &h, 9, &p, 1);

		assert_true(n > 0);
		decode(buf, (size_t)n, &d);
		assert_int_equal(d.node_len, strlen(hostile[i]));
		assert_memory_equal(d.node, hostile[i], strlen(hostile[i]));
		assert_string_equal(d.cluster, hostile[i]);
		assert_int_equal(d.p[0].name_len, strlen(hostile[i]));
		assert_string_equal(d.p[0].name, hostile[i]);
		assert_string_equal(d.p[0].str, hostile[(i + 1) % 5]);
	}
}

/* ---- the sender, through a socket on loopback ---- */

static int udp_receiver(struct apmon_opts *o, const char *password)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	char spec[64];
	const char *why = "";
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rcvbuf = 4 << 20;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u%s%s", ntohs(sin.sin_port), password ? " " : "",
		 password ? password : "");
	memset(o, 0, sizeof(*o));
	assert_int_equal(apmon__parse_dest(spec, &o->dests[0], &why), 0);
	o->n = 1;
	return fd;
}

/* The next datagram, or 0 when none came within @ms. */
static size_t recv_dgram(int fd, unsigned char *buf, size_t size, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, ms) != 1)
		return 0;
	n = recv(fd, buf, size, 0);
	assert_true(n > 0);
	return (size_t)n;
}

static void test_split_under_limit(void **state)
{
	enum { N = 300 };
	static char names[N][40];
	struct apmon_param p[N];
	unsigned char seen[N] = { 0 };
	unsigned char buf[65536];
	struct apmon_sender_stats st;
	struct apmon_sender *tx;
	struct apmon_opts o;
	uint32_t last_seq = 0, instance = 0;
	size_t got = 0, dgrams = 0, sent, len;
	struct dgram *d = malloc(sizeof(*d));
	int fd = udp_receiver(&o, "pw");

	assert_non_null(d);
	/* Names of every length, so that datagram boundaries fall everywhere. */
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "p%d_%.*s", i, i % 30,
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		p[i] = (struct apmon_param){ .name = names[i], .type = APMON_REAL64, .v.r64 = i };
	}
	tx = apmon_sender__new(&o);
	assert_non_null(tx);
	sent = apmon_sender__send(tx, "clu", "node", p, N);
	assert_true(sent > 1);
	while ((len = recv_dgram(fd, buf, sizeof(buf), 1000))) {
		assert_true(len <= APMON_MAX_DGRAM);
		decode(buf, len, d);
		assert_string_equal(d->header, "v:2.2.2p:pw");
		assert_string_equal(d->cluster, "clu");
		assert_string_equal(d->node, "node");
		if (dgrams)
			assert_int_equal(d->instance, instance);
		instance = d->instance;
		/* Each its own sequence number, one after the other, from 1. */
		assert_int_equal(d->seq, last_seq + 1);
		last_seq = d->seq;
		for (uint32_t i = 0; i < d->n; i++) {
			int k = atoi(d->p[i].name + 1);

			assert_true(k >= 0 && k < N);
			assert_string_equal(d->p[i].name, names[k]);
			assert_true(d->p[i].num == k);
			assert_int_equal(seen[k], 0);
			seen[k] = 1;
			got++;
		}
		/* Full: the next parameter would not have fit. */
		if (got < N)
			assert_true(len + apmon__param_size(&p[got]) > APMON_MAX_DGRAM);
		dgrams++;
	}
	assert_int_equal(got, N);
	assert_int_equal(dgrams, sent);
	apmon_sender__stats(tx, &st);
	assert_int_equal(st.sent, sent);
	assert_int_equal(st.failed, 0);
	/* The next set goes on with the next number. */
	assert_int_equal(apmon_sender__send(tx, "clu", "node", p, 1), 1);
	len = recv_dgram(fd, buf, sizeof(buf), 1000);
	decode(buf, len, d);
	assert_int_equal(d->seq, last_seq + 1);
	apmon_sender__free(tx);
	close(fd);
	free(d);
}

static void test_fit_and_too_large(void **state)
{
	static char huge[2000];
	struct apmon_head h = { .password = "", .cluster = "c", .node = "n" };
	struct apmon_param p[3] = {
		{ .name = "a", .type = APMON_REAL64 },
		{ .name = huge, .type = APMON_REAL64 },
		{ .name = "b", .type = APMON_REAL64 },
	};
	struct apmon_sender_stats st;
	struct apmon_sender *tx;
	struct apmon_opts o;
	unsigned char buf[4096];
	struct dgram d;
	int fd = udp_receiver(&o, NULL);
	size_t len;

	memset(huge, 'h', sizeof(huge) - 1);
	assert_int_equal(apmon__fit(&h, p, 0, APMON_MAX_DGRAM), 0);
	assert_int_equal(apmon__fit(&h, p, 3, APMON_MAX_DGRAM), 1);
	assert_int_equal(apmon__fit(&h, p + 1, 2, APMON_MAX_DGRAM), 1);
	assert_int_equal(apmon__fit(&h, p + 2, 1, APMON_MAX_DGRAM), 1);
	tx = apmon_sender__new(&o);
	assert_non_null(tx);
	/* The one too large is counted and left out; the others go. */
	assert_int_equal(apmon_sender__send(tx, "c", "n", p, 3), 2);
	apmon_sender__stats(tx, &st);
	assert_int_equal(st.too_large, 1);
	assert_int_equal(st.sent, 2);
	len = recv_dgram(fd, buf, sizeof(buf), 1000);
	decode(buf, len, &d);
	assert_string_equal(d.p[0].name, "a");
	len = recv_dgram(fd, buf, sizeof(buf), 1000);
	decode(buf, len, &d);
	assert_string_equal(d.p[0].name, "b");
	/* Its sequence number is spent: the receiver sees one lost. */
	assert_int_equal(d.seq, 3);
	apmon_sender__free(tx);
	close(fd);
}

/* Nobody listens: ICMP refusals come back; the sender counts, never fails or blocks. */
static void test_no_receiver(void **state)
{
	struct apmon_param p = { .name = "x", .type = APMON_REAL64, .v.r64 = 1 };
	struct apmon_sender_stats st;
	struct apmon_sender *tx;
	struct apmon_opts o;
	int fd = udp_receiver(&o, NULL);

	close(fd); /* the port is free again: a refusal answers each datagram */
	tx = apmon_sender__new(&o);
	assert_non_null(tx);
	for (int i = 0; i < 20; i++)
		apmon_sender__send(tx, "c", "n", &p, 1);
	apmon_sender__stats(tx, &st);
	assert_int_equal(st.datagrams, 20);
	assert_int_equal(st.sent + st.failed, 20);
	assert_true(st.failed == 0 || st.last_err < 0);
	apmon_sender__free(tx);
}

/*
 * A reload's parse never waits: numbers are taken at once, a name is left
 * for the lookup, which resolves it off the caller's thread and wakes an
 * eventfd when done ("localhost": /etc/hosts, no query leaves the host).
 */
static void test_parse_nowait_and_lookup(void **state)
{
	struct apmon_opts o = { .nowait = true, .cluster = "c1" }, got;
	struct pollfd p;
	const char *why = "";
	char reason[200] = "";
	struct apmon_lookup *l;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), err;
	uint64_t n;

	assert_true(efd >= 0);
	assert_int_equal(apmon__add_dest_arg(&o, "serve", "127.0.0.1:9000 pw"), 0);
	assert_int_equal(apmon__add_dest_arg(&o, "serve", "[::1]:9001"), 0);
	assert_int_equal(apmon__add_dest_arg(&o, "serve", "localhost:9002"), 0);
	assert_true(o.dests[0].addr_len > 0);
	assert_true(o.dests[1].addr_len > 0);
	assert_int_equal(o.dests[2].addr_len, 0); /* a name: not looked up here */
	assert_string_equal(o.dests[2].host, "localhost");
	assert_string_equal(o.dests[2].port, "9002");
	assert_string_equal(o.dests[2].name, "localhost:9002");
	assert_int_equal(apmon__unresolved(&o), 1);
	/* Syntax is still checked at once. */
	assert_int_equal(apmon__parse_dest_nowait("name.example:0", &got.dests[0], &why), -EINVAL);

	l = apmon_lookup__start(&o, efd);
	assert_non_null(l);
	o.cluster = "changed after the start"; /* the set keeps its own copy */
	p = (struct pollfd){ .fd = efd, .events = POLLIN };
	for (err = -EINPROGRESS; err == -EINPROGRESS;) {
		assert_int_equal(poll(&p, 1, 10000), 1);
		assert_int_equal(read(efd, &n, sizeof(n)), sizeof(n));
		err = apmon_lookup__result(l, &got, reason, sizeof(reason));
	}
	assert_int_equal(err, 0);
	assert_int_equal(got.n, 3);
	assert_string_equal(got.cluster, "c1");
	assert_string_equal(got.dests[0].password, "pw");
	assert_true(got.dests[2].addr_len > 0);
	assert_int_equal(apmon__unresolved(&got), 0);
	apmon_lookup__free(l);

	/*
	 * A name that does not resolve would ask the host's resolver, off this
	 * machine: test_serve_faults.c gives serve a silent one of its own.
	 */
	apmon_lookup__reap();
	close(efd);
}

static void test_parse_dest(void **state)
{
	struct apmon_dest d;
	const char *why;

	assert_int_equal(apmon__parse_dest("127.0.0.1", &d, &why), 0);
	assert_string_equal(d.name, "127.0.0.1:8884");
	assert_string_equal(d.password, "");
	assert_int_equal(ntohs(((struct sockaddr_in *)&d.addr)->sin_port), 8884);
	assert_int_equal(apmon__parse_dest("127.0.0.1:9000  s3cret ", &d, &why), 0);
	assert_string_equal(d.name, "127.0.0.1:9000");
	assert_string_equal(d.password, "s3cret");
	assert_int_equal(apmon__parse_dest("[::1]:9001", &d, &why), 0);
	assert_string_equal(d.name, "[::1]:9001");
	assert_int_equal(d.addr.ss_family, AF_INET6);
	assert_int_equal(apmon__parse_dest("::1", &d, &why), 0);
	assert_string_equal(d.name, "[::1]:8884");
	assert_int_equal(apmon__parse_dest("localhost:1", &d, &why), 0);
	assert_int_equal(apmon__parse_dest("127.0.0.1:0", &d, &why), -EINVAL);
	assert_int_equal(apmon__parse_dest("127.0.0.1:65536", &d, &why), -EINVAL);
	assert_int_equal(apmon__parse_dest("127.0.0.1:x", &d, &why), -EINVAL);
	assert_int_equal(apmon__parse_dest(":8884", &d, &why), -EINVAL);
	assert_int_equal(apmon__parse_dest("", &d, &why), -EINVAL);
	assert_int_equal(apmon__parse_dest("[::1", &d, &why), -EINVAL);
	/* ApMon's header is at most 45 bytes: "v:2.2.2p:" and 36 of password. */
	assert_int_equal(apmon__parse_dest("127.0.0.1 123456789012345678901234567890123456", &d,
					   &why), 0);
	assert_int_equal(apmon__parse_dest("127.0.0.1 1234567890123456789012345678901234567", &d,
					   &why), -EINVAL);
}

/* ---- the sink: records to ApMon's parameters ---- */

static void test_sink_job_records(void **state)
{
	struct cjob *j = calloc(1, sizeof(*j) + CJOB_KEY_SIZE); /* and its key's room */
	struct apmon_opts o;
	int fd = udp_receiver(&o, NULL);
	struct sink *s;
	unsigned char buf[4096];
	char host[256] = "", node[600], *key;
	const struct dparam *p;
	struct dgram d;
	size_t len;

	assert_non_null(j);
	key = (char *)(j + 1);
	j->job.key = key;
	o.cluster = "my\"cluster";
	s = sink_apmon__new(&o);
	assert_non_null(s);
	gethostname(host, sizeof(host) - 1);
	strcpy(key, "cgroup:/we ird\n\xff");
	j->job.start_ns = 1000000000ULL;
	j->job.host_mem_bytes = 1ULL << 30; /* the collector's: mem_usage is of it */
	j->cum.cpu_ns = 2500000000ULL;
	j->cum.started = 7;
	j->cum.exit_error = 2;
	j->cum.exit_signal = 1;
	j->cum.oom_kills = 1; /* the signal was the OOM killer's */
	{
		struct interval_record r = {
			.job = j,
			.t0_ns = 3000000000ULL,
			.t1_ns = 5000000000ULL,
			.d.cpu_ns = 1000000000ULL,
			.alive = 3,
			.rss_bytes = 4096 * 1024,
			.vm_bytes = 8192 * 1024,
			.open_files = 9,
		};

		assert_int_equal(s->ops->interval(s, &r), 0);
	}
	len = recv_dgram(fd, buf, sizeof(buf), 1000);
	decode(buf, len, &d);
	assert_string_equal(d.header, "v:2.2.2p:");
	assert_string_equal(d.cluster, "my\"cluster");
	snprintf(node, sizeof(node), "%s:%s", host, j->job.key);
	assert_string_equal(d.node, node);
	for (uint32_t i = 0; i < d.n; i++)
		assert_int_equal(d.p[i].type, APMON_REAL64);
	assert_non_null(p = find(&d, "run_time"));
	assert_true(p->num == 4.0);
	assert_non_null(p = find(&d, "cpu_time"));
	assert_true(p->num == 2.5);
	assert_non_null(p = find(&d, "cpu_usage"));
	assert_true(p->num == 50.0);
	assert_non_null(p = find(&d, "rss"));
	assert_true(p->num == 4096);
	assert_non_null(p = find(&d, "virtualmem"));
	assert_true(p->num == 8192);
	assert_non_null(p = find(&d, "open_files"));
	assert_true(p->num == 9);
	assert_non_null(p = find(&d, "processes"));
	assert_true(p->num == 3);
	assert_non_null(p = find(&d, "procs_failed"));
	assert_true(p->num == 3);
	assert_non_null(p = find(&d, "oom_kills"));
	assert_true(p->num == 1);
	assert_non_null(find(&d, "mem_usage"));
	assert_null(find(&d, "pss"));
	/*
	 * A source that cannot count processes (run --mode rusage): the counts
	 * are left out, as JSON writes them null; a 0 would say none failed.
	 */
	{
		struct interval_record r = { .job = j, .t0_ns = 3000000000ULL,
					     .t1_ns = 5000000000ULL, .alive = 2 };
		struct dgram u;

		j->job.unknown = JOB_UNKNOWN_COUNTS;
		assert_int_equal(s->ops->interval(s, &r), 0);
		len = recv_dgram(fd, buf, sizeof(buf), 1000);
		decode(buf, len, &u);
		assert_non_null(p = find(&u, "processes"));
		assert_true(p->num == 2);
		assert_null(find(&u, "procs_started"));
		assert_null(find(&u, "procs_failed"));
		assert_null(find(&u, "oom_kills"));
		j->job.unknown = 0;
	}
	/* No allocation read: none of seff's figures, rather than a 0. */
	assert_null(find(&d, "alloc_cpus"));
	assert_null(find(&d, "cpu_efficiency"));

	/* The end of a `run` job: node run:PID, its exit code, the work directory. */
	{
		struct workdir_usage wd = {
			.size_bytes = 3 * 1048576,
			.fs_ok = true,
			.fs = { .total_bytes = 100ULL << 20, .used_bytes = 40ULL << 20,
				.avail_bytes = 50ULL << 20, .used_pct = 45 },
		};
		struct collector_stats cs = {};
		struct interval_record last = { .job = j, .t0_ns = 5000000000ULL };

		strcpy(key, "run");
		j->job.root_pid = 4242;
		j->job.root_exited = true;
		j->job.root_status = 3 << 8;
		j->job.end_ns = 9000000000ULL;
		j->job.stats.cpu_ns = 4000000000ULL;
		j->job.stats.procs_started = 11;
		j->job.workdir = &wd;
		/* A Slurm step's: 2 CPUs and 1 GiB; 256 MiB at most used. */
		struct job_sched_alloc sched = {
			.system = "slurm",
			.cpus_known = true, .cpus = 2,
			.memory_known = true, .memory_bytes = 1ULL << 30,
		};

		assert_int_equal(job__set_sched(&j->job, &sched), 0);
		j->job.stats.peak_rss_bytes = 256ULL << 20;
		/* The interval that closes the job is left to job_end. */
		last.t1_ns = j->job.end_ns;
		assert_int_equal(s->ops->interval(s, &last), 0);
		assert_int_equal(s->ops->job_end(s, j, &cs), 0);
	}
	len = recv_dgram(fd, buf, sizeof(buf), 1000);
	decode(buf, len, &d);
	snprintf(node, sizeof(node), "%s:run:4242", host);
	assert_string_equal(d.node, node);
	assert_int_equal(d.seq, 3); /* the third datagram: two intervals went before */
	assert_non_null(p = find(&d, "run_time"));
	assert_true(p->num == 8.0);
	assert_non_null(p = find(&d, "cpu_time"));
	assert_true(p->num == 4.0);
	assert_non_null(p = find(&d, "cpu_usage"));
	assert_true(p->num == 50.0);
	assert_non_null(p = find(&d, "exit_code"));
	assert_true(p->num == 3);
	assert_non_null(p = find(&d, "workdir_size"));
	assert_true(p->num == 3);
	assert_non_null(p = find(&d, "disk_total"));
	assert_true(p->num == 100);
	assert_non_null(p = find(&d, "disk_free"));
	assert_true(p->num == 50);
	assert_non_null(p = find(&d, "disk_usage"));
	assert_true(p->num == 45);
	assert_non_null(p = find(&d, "alloc_cpus"));
	assert_true(p->num == 2);
	assert_non_null(p = find(&d, "alloc_mem"));
	assert_true(p->num == 1048576); /* KB, as rss */
	assert_non_null(p = find(&d, "cpu_efficiency"));
	assert_true(p->num == 25); /* 4 s over 2 CPUs x 8 s */
	assert_non_null(p = find(&d, "mem_efficiency"));
	assert_true(p->num == 25);
	assert_int_equal(recv_dgram(fd, buf, sizeof(buf), 100), 0);
	sink__free(s);
	close(fd);
	job__free(&j->job);
	free(j);
}

static void test_sink_host_record(void **state)
{
	struct host_sample *hs = calloc(1, sizeof(*hs));
	struct netdev_if ifs[2] = { { .name = "lo" }, { .name = "eth0" } };
	struct host_net_rate net[2] = { { .valid = true }, { .valid = true } };
	struct host_rates rt = { .have_stat = true, .net = net, .n_net = 2 };
	struct host_record r = {
		.cpu_busy_pct = 25,
		.ncpus = 4,
		.mem_total_bytes = 1024ULL << 20,
		.mem_used_bytes = 256ULL << 20,
		.mem_available_bytes = 768ULL << 20,
		.load1 = 1.5,
		.load5 = 0.5,
		.load15 = 0.25,
		.procs_running = 2,
		.sample = hs,
		.rates = &rt,
	};
	struct apmon_opts o;
	int fd = udp_receiver(&o, "pw");
	unsigned char buf[4096];
	char host[256] = "";
	const struct dparam *p;
	struct dgram d;
	struct sink *s;
	size_t len;

	assert_non_null(hs);
	hs->have = HOST_HAVE_LOADAVG | HOST_HAVE_MEMINFO | HOST_HAVE_UPTIME;
	hs->uptime.uptime_ns = 2 * 86400ULL * 1000000000ULL;
	hs->net.ifs = ifs;
	hs->net.n = 2;
	net[1].r.rx_bytes_per_s = 2048;
	net[1].r.tx_bytes_per_s = 512;
	rt.cpu.user = 20;
	rt.cpu.system = 5;
	rt.cpu.idle = 75;
	s = sink_apmon__new(&o);
	assert_non_null(s);
	gethostname(host, sizeof(host) - 1);
	assert_int_equal(s->ops->host(s, &r), 0);
	len = recv_dgram(fd, buf, sizeof(buf), 1000);
	decode(buf, len, &d);
	assert_string_equal(d.header, "v:2.2.2p:pw");
	assert_string_equal(d.cluster, APMON_CLUSTER_SYSTEM);
	assert_string_equal(d.node, host);
	assert_non_null(p = find(&d, "cpu_usage"));
	assert_true(p->num == 25);
	assert_non_null(p = find(&d, "cpu_usr"));
	assert_true(p->num == 20);
	assert_non_null(p = find(&d, "cpu_idle"));
	assert_true(p->num == 75);
	assert_non_null(p = find(&d, "load1"));
	assert_true(p->num == 1.5);
	assert_non_null(p = find(&d, "total_mem"));
	assert_true(p->num == 1024);
	assert_non_null(p = find(&d, "mem_used"));
	assert_true(p->num == 256);
	assert_non_null(p = find(&d, "mem_usage"));
	assert_true(p->num == 25);
	assert_non_null(p = find(&d, "no_CPUs"));
	assert_true(p->num == 4);
	assert_non_null(p = find(&d, "uptime"));
	assert_true(p->num == 2);
	assert_non_null(p = find(&d, "eth0_in"));
	assert_true(p->num == 2);
	assert_non_null(p = find(&d, "eth0_out"));
	assert_true(p->num == 0.5);
	/* Loopback is not a network interface ApMon reports. */
	assert_null(find(&d, "lo_in"));
	sink__free(s);
	close(fd);
	free(hs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_datagram),
		cmocka_unit_test(test_padding_and_byte_order),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_split_under_limit),
		cmocka_unit_test(test_fit_and_too_large),
		cmocka_unit_test(test_no_receiver),
		cmocka_unit_test(test_parse_dest),
		cmocka_unit_test(test_parse_nowait_and_lookup),
		cmocka_unit_test(test_sink_job_records),
		cmocka_unit_test(test_sink_host_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
