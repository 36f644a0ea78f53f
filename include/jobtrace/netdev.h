/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_NETDEV_H
#define JOBTRACE_NETDEV_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct ifaddrs;

/* IFNAMSIZ: 15 characters and the NUL. */
#define NETDEV_NAME_SIZE 16

/* The 16 counters of one /proc/net/dev line, in the file's order. */
struct netdev_counters {
	uint64_t rx_bytes;
	uint64_t rx_packets;
	uint64_t rx_errs;
	uint64_t rx_drop;
	uint64_t rx_fifo;
	uint64_t rx_frame;
	uint64_t rx_compressed;
	uint64_t rx_multicast;
	uint64_t tx_bytes;
	uint64_t tx_packets;
	uint64_t tx_errs;
	uint64_t tx_drop;
	uint64_t tx_fifo;
	uint64_t tx_colls;
	uint64_t tx_carrier;
	uint64_t tx_compressed;
};

#define NETDEV_N_COUNTERS (sizeof(struct netdev_counters) / sizeof(uint64_t))

/* class/net/<if>/operstate (RFC 2863 names, as the kernel prints them). */
enum netdev_operstate {
	NETDEV_OPER_UNREADABLE = -1, /* attribute missing or unreadable */
	NETDEV_OPER_UNKNOWN = 0,     /* "unknown": what lo, tun and wireguard report */
	NETDEV_OPER_NOTPRESENT,
	NETDEV_OPER_DOWN,
	NETDEV_OPER_LOWERLAYERDOWN,
	NETDEV_OPER_TESTING,
	NETDEV_OPER_DORMANT,
	NETDEV_OPER_UP,
};

/* class/net/<if>/duplex, as ethtool negotiated it. */
enum netdev_duplex {
	NETDEV_DUPLEX_UNKNOWN = 0, /* "unknown", or unreadable: down link, lo, bridges, tun */
	NETDEV_DUPLEX_HALF,
	NETDEV_DUPLEX_FULL,
};

/* Per-interface state from a sys root; -1 marks a value the kernel would not give. */
struct netdev_state {
	int ifindex;	  /* > 0; identifies this incarnation of the name */
	int type;	  /* ARPHRD_*: 1 ether, 772 loopback, 65534 none (wireguard, tun) */
	int carrier;	  /* 1, 0, or -1: the read fails with EINVAL while the link is down */
	long long speed_mbps; /* -1: unknown (down link, virtual interface, "-1" from the driver) */
	enum netdev_duplex duplex;
	unsigned int mtu_bytes;
	enum netdev_operstate operstate;
};

struct netdev_if {
	char name[NETDEV_NAME_SIZE];
	struct netdev_counters c;
	bool has_state; /* st was read from a sys root */
	struct netdev_state st;
};

struct netdev_table {
	struct netdev_if *ifs;
	size_t n;
};

/*
 * Parses the @len bytes of /proc/net/dev text at @buf (no NUL needed: a
 * NUL byte is just a byte of a line, which then is not a counter). Returns 0, -EINVAL for a line that is
 * not "name: 16 numbers", -ENAMETOOLONG for a name of 16 or more characters,
 * or -ENOMEM. On error @t is left empty.
 */
int netdev__parse(const char *buf, size_t len, struct netdev_table *t);

/*
 * Reads <proc_root>/net/dev and, when @sys_fd >= 0, the state of every
 * interface from <sys_root>/class/net/<if>/. An interface that vanished
 * between the two reads keeps has_state = false.
 */
int netdev__read(int proc_fd, int sys_fd, struct netdev_table *t);

/*
 * Reads class/net/@name/{ifindex,type,mtu,operstate,carrier,speed,duplex}.
 * ifindex, type and mtu must be readable (-errno otherwise: the interface is
 * gone); carrier, speed and duplex fail on down links and virtual devices by
 * design, so a failure there is "unknown", not an error.
 */
int netdev__read_state(int sys_fd, const char *name, struct netdev_state *st);

/*
 * The text of a duplex attribute, newline already stripped: "full" and
 * "half" exactly; anything else ("unknown", a later kernel's word) is
 * NETDEV_DUPLEX_UNKNOWN.
 */
enum netdev_duplex netdev__parse_duplex(const char *s);

/* "full", "half" or "unknown", as the kernel spells them. */
const char *netdev__duplex_name(enum netdev_duplex d);

/* "up", "down", ... as the kernel spells them; NULL for NETDEV_OPER_UNREADABLE. */
const char *netdev__operstate_name(enum netdev_operstate st);

/* Frees the table's array; NULL-safe, and the table is left empty. */
void netdev_table__free(struct netdev_table *t);

/* The entry named @name, or NULL. */
const struct netdev_if *netdev_table__find(const struct netdev_table *t, const char *name);

/*
 * The increase of a counter from @prev to @now. @width_bits is 32 or 64 when
 * the counter's width is known, or 0 to guess: a counter that went backwards
 * wrapped if that makes the increase less than half its range (at 32 bits if
 * @prev fits in 32 bits, as some drivers still export 32-bit counters, else at
 * 64), else it restarted from 0: then *@delta is @now and *@reset is set.
 * A known width is always a wrap. Returns -EINVAL for another width, -ERANGE
 * for a value that does not fit the given width.
 */
int netdev__counter_delta(uint64_t prev, uint64_t now, unsigned int width_bits, uint64_t *delta,
			  bool *reset);

/*
 * Per-counter deltas between two samples of one interface. When both samples
 * carry an ifindex and it differs, the interface was destroyed and created
 * again under the same name (a VPN reconnecting, a container's veth): its
 * counters restarted from 0, so going backwards is not a wrap. We then give
 * the new counters as the delta, since everything they count happened since
 * @prev, and set *@reset: the old incarnation's traffic after @prev is lost,
 * so the delta is a lower bound. Without ifindex, the same holds when a
 * counter went back and netdev__counter_delta() reads it as a restart (the
 * stats were cleared, or the ifindex was not readable). Returns -EINVAL if
 * the names differ.
 */
int netdev__delta(const struct netdev_if *prev, const struct netdev_if *now,
		  unsigned int width_bits, struct netdev_counters *delta, bool *reset);

struct netdev_rate {
	double rx_bytes_per_s;
	double tx_bytes_per_s;
	double rx_packets_per_s;
	double tx_packets_per_s;
	bool reset; /* see netdev__delta(): a lower bound, not a measurement */
};

/* Rates over @interval_ns between two samples; -EINVAL for a zero interval. */
int netdev__rate(const struct netdev_if *prev, const struct netdev_if *now,
		 unsigned int width_bits, uint64_t interval_ns, struct netdev_rate *rate);

struct netdev_addr {
	char ifname[NETDEV_NAME_SIZE];
	int family; /* AF_INET or AF_INET6 */
	char addr[INET6_ADDRSTRLEN];
	int prefix_len; /* from the netmask; -1 when the kernel gave none */
	uint32_t scope_id; /* IPv6 link-local zone (the ifindex); 0 otherwise */
};

struct netdev_addr_table {
	struct netdev_addr *addrs;
	size_t n;
};

/*
 * Collects the IPv4 and IPv6 addresses of a getifaddrs() list, in list order.
 * Entries without an address (an interface that has none) and AF_PACKET
 * entries are skipped. Takes the list so a test can build one by hand.
 */
int netdev__addrs_from_ifaddrs(const struct ifaddrs *list, struct netdev_addr_table *t);

/* getifaddrs() of the live system, through netdev__addrs_from_ifaddrs(). */
int netdev__addrs_read(struct netdev_addr_table *t);

void netdev_addr_table__free(struct netdev_addr_table *t);

#ifdef __cplusplus
}
#endif

#endif
