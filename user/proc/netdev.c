// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Network interfaces: counters from /proc/net/dev, state from
 * /sys/class/net/<if>/, addresses from getifaddrs(), and deltas that tell a
 * counter wrap from an interface that was created again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/netdev.h"
#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

/* /proc/net/dev is one line per interface; 1 MiB is some 5000 interfaces. */
#define NETDEV_FILE_MAX (1 << 20)

_Static_assert(NETDEV_N_COUNTERS == 16, "struct netdev_counters must hold only the 16 counters");

/* Where each of the 16 numbers of a line goes, in the kernel's print order. */
static const size_t counter_offsets[] = {
	offsetof(struct netdev_counters, rx_bytes),
	offsetof(struct netdev_counters, rx_packets),
	offsetof(struct netdev_counters, rx_errs),
	offsetof(struct netdev_counters, rx_drop),
	offsetof(struct netdev_counters, rx_fifo),
	offsetof(struct netdev_counters, rx_frame),
	offsetof(struct netdev_counters, rx_compressed),
	offsetof(struct netdev_counters, rx_multicast),
	offsetof(struct netdev_counters, tx_bytes),
	offsetof(struct netdev_counters, tx_packets),
	offsetof(struct netdev_counters, tx_errs),
	offsetof(struct netdev_counters, tx_drop),
	offsetof(struct netdev_counters, tx_fifo),
	offsetof(struct netdev_counters, tx_colls),
	offsetof(struct netdev_counters, tx_carrier),
	offsetof(struct netdev_counters, tx_compressed),
};

_Static_assert(ARRAY_SIZE(counter_offsets) == NETDEV_N_COUNTERS, "one offset per counter");

static uint64_t *counter_at(struct netdev_counters *c, size_t i)
{
	return (uint64_t *)((char *)c + counter_offsets[i]);
}

static const uint64_t *counter_at_const(const struct netdev_counters *c, size_t i)
{
	return (const uint64_t *)((const char *)c + counter_offsets[i]);
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/*
 * One unsigned decimal at *@p, after optional blanks; advances *@p. Strict on
 * purpose: a sign, a letter or an overflow means the line is not what we think.
 */
static int parse_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	while (s < end && is_blank(*s))
		s++;
	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	*p = s;
	*v = x;
	return 0;
}

/*
 * One interface line: "%6s: %7llu ..." since 2.6 (net/core/net-procfs.c), but
 * "%6s:%8lu" on older kernels, where a long name or a large byte count leaves
 * no space after the colon ("enx00e04c680abc:123456789"). The name ends at the
 * last ':' of the line, since the numbers hold none; dev_valid_name() refuses
 * ':' in names, so today the first and the last are the same.
 */
static int parse_line(const char *line, const char *end, struct netdev_if *ifp)
{
	const char *colon = NULL, *name, *p;
	size_t name_len;
	int err;

	for (p = line; p < end; p++)
		if (*p == ':')
			colon = p;
	if (!colon)
		return -EINVAL;
	for (name = line; name < colon && is_blank(*name); name++)
		;
	name_len = (size_t)(colon - name);
	if (name_len == 0)
		return -EINVAL;
	if (name_len >= NETDEV_NAME_SIZE)
		return -ENAMETOOLONG;
	memset(ifp, 0, sizeof(*ifp));
	memcpy(ifp->name, name, name_len);
	ifp->name[name_len] = '\0';

	p = colon + 1;
	for (size_t i = 0; i < NETDEV_N_COUNTERS; i++) {
		err = parse_u64(&p, end, counter_at(&ifp->c, i));
		if (err)
			return err;
	}
	while (p < end && is_blank(*p))
		p++;
	return p == end ? 0 : -EINVAL;
}

int netdev__parse(const char *buf, size_t len, struct netdev_table *t)
{
	const char *line = buf, *stop = buf + len;
	size_t cap = 0;
	int err = 0;

	t->ifs = NULL;
	t->n = 0;
	for (unsigned int lineno = 0; line < stop; lineno++) {
		const char *end = memchr(line, '\n', (size_t)(stop - line));
		const char *p = line;
		bool header;

		if (!end)
			end = stop;

		while (p < end && is_blank(*p))
			p++;
		/*
		 * The two header lines, the first two, with their '|'s. Not any
		 * line with one: an interface may be named so ('a|b', which
		 * dev_valid_name() lets through), and went missing.
		 */
		header = lineno < 2 && memchr(p, '|', (size_t)(end - p));
		if (p < end && !header) {
			if (t->n == cap) {
				err = util__grow(&t->ifs, &cap, sizeof(*t->ifs), 8, UTIL_NO_MAX);
				if (err)
					goto free_table;
			}
			err = parse_line(line, end, &t->ifs[t->n]);
			if (err)
				goto free_table;
			t->n++;
		}
		line = end < stop ? end + 1 : end;
	}
	return 0;

free_table:
	netdev_table__free(t);
	return err;
}

/* A name we may put in a path: what dev_valid_name() lets through. */
static bool name_is_safe(const char *name)
{
	size_t len = strnlen(name, NETDEV_NAME_SIZE);

	if (len == 0 || len == NETDEV_NAME_SIZE)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	return !strchr(name, '/');
}

static const char *const operstate_names[] = {
	[NETDEV_OPER_UNKNOWN] = "unknown",
	[NETDEV_OPER_NOTPRESENT] = "notpresent",
	[NETDEV_OPER_DOWN] = "down",
	[NETDEV_OPER_LOWERLAYERDOWN] = "lowerlayerdown",
	[NETDEV_OPER_TESTING] = "testing",
	[NETDEV_OPER_DORMANT] = "dormant",
	[NETDEV_OPER_UP] = "up",
};

const char *netdev__operstate_name(enum netdev_operstate st)
{
	return st >= 0 && (size_t)st < ARRAY_SIZE(operstate_names) ? operstate_names[st] : NULL;
}

static enum netdev_operstate parse_operstate(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(operstate_names); i++)
		if (!strcmp(s, operstate_names[i]))
			return (enum netdev_operstate)i;
	return NETDEV_OPER_UNREADABLE;
}

enum netdev_duplex netdev__parse_duplex(const char *s)
{
	if (!strcmp(s, "full"))
		return NETDEV_DUPLEX_FULL;
	if (!strcmp(s, "half"))
		return NETDEV_DUPLEX_HALF;
	return NETDEV_DUPLEX_UNKNOWN;
}

const char *netdev__duplex_name(enum netdev_duplex d)
{
	switch (d) {
	case NETDEV_DUPLEX_FULL:
		return "full";
	case NETDEV_DUPLEX_HALF:
		return "half";
	default:
		return "unknown";
	}
}

int netdev__read_state(int sys_fd, const char *name, struct netdev_state *st)
{
	char path[64], buf[32];
	unsigned long long mtu;
	long long v;
	int dirfd, err;

	if (!name_is_safe(name))
		return -EINVAL;
	snprintf(path, sizeof(path), "class/net/%s", name);
	dirfd = openat(sys_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;

	/* These three exist on every net device: failing means it is gone. */
	err = sysfs_attr__read_s64(dirfd, "ifindex", &v);
	if (err)
		goto close_dir;
	if (v <= 0 || v > INT_MAX) {
		err = -EINVAL;
		goto close_dir;
	}
	st->ifindex = (int)v;
	err = sysfs_attr__read_s64(dirfd, "type", &v);
	if (err)
		goto close_dir;
	st->type = v >= 0 && v <= INT_MAX ? (int)v : -1;
	err = sysfs_attr__read_u64(dirfd, "mtu", &mtu);
	if (err)
		goto close_dir;
	st->mtu_bytes = mtu <= UINT_MAX ? (unsigned int)mtu : UINT_MAX;

	st->operstate = NETDEV_OPER_UNREADABLE;
	if (!sysfs_attr__read_str(dirfd, "operstate", buf, sizeof(buf)))
		st->operstate = parse_operstate(buf);
	/* carrier_show() returns -EINVAL while the interface is down. */
	st->carrier = -1;
	if (!sysfs_attr__read_s64(dirfd, "carrier", &v) && (v == 0 || v == 1))
		st->carrier = (int)v;
	/*
	 * speed_show() returns -EINVAL on a down link and on devices without
	 * ethtool link settings (lo, bridges, wireguard); an up link with no
	 * negotiated speed prints SPEED_UNKNOWN as "-1". All mean "unknown".
	 */
	st->speed_mbps = -1;
	if (!sysfs_attr__read_s64(dirfd, "speed", &v) && v > 0)
		st->speed_mbps = v;
	/*
	 * duplex_show() fails the same way and for the same reasons as
	 * speed_show(); before 2.6.33 the attribute did not exist. Either way
	 * the duplex is unknown, as is DUPLEX_UNKNOWN printed as "unknown".
	 */
	st->duplex = NETDEV_DUPLEX_UNKNOWN;
	if (!sysfs_attr__read_str(dirfd, "duplex", buf, sizeof(buf)))
		st->duplex = netdev__parse_duplex(buf);
	err = 0;

close_dir:
	close(dirfd);
	return err;
}

int netdev__read(int proc_fd, int sys_fd, struct netdev_table *t)
{
	char *buf;
	ssize_t n;
	int err;

	t->ifs = NULL;
	t->n = 0;
	buf = malloc(NETDEV_FILE_MAX);
	if (!buf)
		return -ENOMEM;
	n = util__read_file_at(proc_fd, "net/dev", buf, NETDEV_FILE_MAX);
	if (n < 0) {
		err = (int)n;
		goto free_buf;
	}
	err = netdev__parse(buf, (size_t)n, t);
	if (err || sys_fd < 0)
		goto free_buf;
	for (size_t i = 0; i < t->n; i++) {
		err = netdev__read_state(sys_fd, t->ifs[i].name, &t->ifs[i].st);
		/* Gone since /proc/net/dev was read: its counters still count. */
		if (err == -ENOENT)
			continue;
		if (err) {
			netdev_table__free(t);
			goto free_buf;
		}
		t->ifs[i].has_state = true;
	}
	err = 0;

free_buf:
	free(buf);
	return err;
}

void netdev_table__free(struct netdev_table *t)
{
	if (!t)
		return;
	free(t->ifs);
	t->ifs = NULL;
	t->n = 0;
}

const struct netdev_if *netdev_table__find(const struct netdev_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->ifs[i].name, name))
			return &t->ifs[i];
	return NULL;
}

int netdev__counter_delta(uint64_t prev, uint64_t now, unsigned int width_bits, uint64_t *delta,
			  bool *reset)
{
	uint64_t wrapped;

	*reset = false;
	switch (width_bits) {
	case 0:
		if (now >= prev) {
			*delta = now - prev;
			return 0;
		}
		/*
		 * Since 2.6.35 /proc/net/dev prints rtnl_link_stats64, so going
		 * back is normally a reset (the device re-created, or a driver
		 * that clears its stats on ifdown); only some drivers still
		 * feed it 32-bit counters that wrap at 2^32. Nothing in the file
		 * says which, so take the shorter way round, as serial-number
		 * arithmetic does (RFC 1982): a wrap if the wrapped increase is
		 * below half the counter's range, i.e. prev was in the top half
		 * and now in the bottom. A reset from the top half of 2^32 still
		 * reads as a wrap, and a 32-bit counter that gained 2 GiB in one
		 * interval as a reset: the flagged lower bound is the safer error
		 * than a 4 GiB/s spike from every reset.
		 */
		if (prev <= UINT32_MAX) {
			wrapped = (uint32_t)((uint32_t)now - (uint32_t)prev);
			if (wrapped < 1ULL << 31) {
				*delta = wrapped;
				return 0;
			}
		} else {
			wrapped = now - prev; /* modulo 2^64 */
			if (wrapped < 1ULL << 63) {
				*delta = wrapped;
				return 0;
			}
		}
		/* Restarted from 0: all it counts happened since prev. */
		*delta = now;
		*reset = true;
		return 0;
	case 32:
		if (prev > UINT32_MAX || now > UINT32_MAX)
			return -ERANGE;
		*delta = (uint32_t)((uint32_t)now - (uint32_t)prev);
		return 0;
	case 64:
		*delta = now - prev;
		return 0;
	default:
		return -EINVAL;
	}
}

int netdev__delta(const struct netdev_if *prev, const struct netdev_if *now,
		  unsigned int width_bits, struct netdev_counters *delta, bool *reset)
{
	struct netdev_counters d;
	int err;

	if (strcmp(prev->name, now->name))
		return -EINVAL;
	*reset = prev->has_state && now->has_state && prev->st.ifindex != now->st.ifindex;
	if (*reset) {
		*delta = now->c;
		return 0;
	}
	for (size_t i = 0; i < NETDEV_N_COUNTERS; i++) {
		bool counter_reset;

		err = netdev__counter_delta(*counter_at_const(&prev->c, i),
					    *counter_at_const(&now->c, i), width_bits,
					    counter_at(&d, i), &counter_reset);
		if (err)
			return err;
		*reset |= counter_reset;
	}
	/*
	 * Stats are cleared together: a counter that has since passed its old
	 * value went through 0 too, so every counter's delta is its value now.
	 */
	*delta = *reset ? now->c : d;
	return 0;
}

int netdev__rate(const struct netdev_if *prev, const struct netdev_if *now,
		 unsigned int width_bits, uint64_t interval_ns, struct netdev_rate *rate)
{
	struct netdev_counters d;
	double secs;
	bool reset;
	int err;

	if (interval_ns == 0)
		return -EINVAL;
	err = netdev__delta(prev, now, width_bits, &d, &reset);
	if (err)
		return err;
	secs = (double)interval_ns / 1e9;
	rate->rx_bytes_per_s = (double)d.rx_bytes / secs;
	rate->tx_bytes_per_s = (double)d.tx_bytes / secs;
	rate->rx_packets_per_s = (double)d.rx_packets / secs;
	rate->tx_packets_per_s = (double)d.tx_packets / secs;
	rate->reset = reset;
	return 0;
}

/* Bits set in a netmask; -1 if they are not one leading run (not a netmask). */
static int prefix_len(const unsigned char *mask, size_t len)
{
	int bits = 0;
	size_t i = 0;

	for (; i < len && mask[i] == 0xff; i++)
		bits += 8;
	if (i < len) {
		unsigned char m = mask[i];

		while (m & 0x80) {
			bits++;
			m = (unsigned char)(m << 1);
		}
		if (m)
			return -1;
		for (i++; i < len; i++)
			if (mask[i])
				return -1;
	}
	return bits;
}

int netdev__addrs_from_ifaddrs(const struct ifaddrs *list, struct netdev_addr_table *t)
{
	size_t cap = 0;
	int err;

	t->addrs = NULL;
	t->n = 0;
	for (const struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr *sa = ifa->ifa_addr;
		const struct sockaddr *nm = ifa->ifa_netmask;
		struct netdev_addr *a;
		const void *src;

		/* NULL on an interface with no address at all (a tun before setup). */
		if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
			continue;
		if (!ifa->ifa_name || strlen(ifa->ifa_name) >= NETDEV_NAME_SIZE) {
			err = -ENAMETOOLONG;
			goto free_table;
		}
		if (t->n == cap) {
			err = util__grow(&t->addrs, &cap, sizeof(*t->addrs), 8, UTIL_NO_MAX);
			if (err)
				goto free_table;
		}
		a = &t->addrs[t->n];
		memset(a, 0, sizeof(*a));
		strcpy(a->ifname, ifa->ifa_name);
		a->family = sa->sa_family;
		a->prefix_len = -1;
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *mask4 = (const struct sockaddr_in *)nm;

			src = &((const struct sockaddr_in *)sa)->sin_addr;
			if (nm && nm->sa_family == AF_INET)
				a->prefix_len =
					prefix_len((const unsigned char *)&mask4->sin_addr, 4);
		} else {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

			src = &sin6->sin6_addr;
			a->scope_id = sin6->sin6_scope_id;
			if (nm && nm->sa_family == AF_INET6)
				a->prefix_len = prefix_len(
					((const struct sockaddr_in6 *)nm)->sin6_addr.s6_addr, 16);
		}
		if (!inet_ntop(a->family, src, a->addr, sizeof(a->addr))) {
			err = -errno;
			goto free_table;
		}
		t->n++;
	}
	return 0;

free_table:
	netdev_addr_table__free(t);
	return err;
}

int netdev__addrs_read(struct netdev_addr_table *t)
{
	struct ifaddrs *list;
	int err;

	t->addrs = NULL;
	t->n = 0;
	if (getifaddrs(&list))
		return -errno;
	err = netdev__addrs_from_ifaddrs(list, t);
	freeifaddrs(list);
	return err;
}

void netdev_addr_table__free(struct netdev_addr_table *t)
{
	if (!t)
		return;
	free(t->addrs);
	t->addrs = NULL;
	t->n = 0;
}
