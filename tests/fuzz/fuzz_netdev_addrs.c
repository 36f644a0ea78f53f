// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * netdev__addrs_from_ifaddrs() over a getifaddrs() list built from the
 * input. Each entry: a flags byte (1: an address, 2: a netmask, 4: no name),
 * the address's and the netmask's family (0 AF_INET, 1 AF_INET6, 2
 * AF_PACKET, 3 AF_UNSPEC), the name up to a NUL, then up to 28 bytes of
 * address and 28 of netmask. Each sockaddr is allocated at its family's
 * exact size, so reading past it trips ASan. Every address kept must print
 * back to the bytes it came from, with a prefix within the family's bits.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "jobtrace/netdev.h"

#include "fuzz.h"

#define FUZZ_ADDRS_MAX 64

static const int fuzz_addrs_families[] = { AF_INET, AF_INET6, AF_PACKET, AF_UNSPEC };

static struct sockaddr *fuzz_addrs_sockaddr(int family, const uint8_t *bytes)
{
	size_t size = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	struct sockaddr *sa = malloc(size);

	if (!sa)
		abort();
	memcpy(sa, bytes, size);
	sa->sa_family = (sa_family_t)family;
	return sa;
}

static void fuzz_addrs_take(const uint8_t **data, size_t *size, uint8_t *out, size_t n)
{
	size_t k = *size < n ? *size : n;

	memset(out, 0, n);
	memcpy(out, *data, k);
	*data += k;
	*size -= k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ifaddrs ifs[FUZZ_ADDRS_MAX];
	struct netdev_addr_table t;
	size_t n = 0;

	memset(ifs, 0, sizeof(ifs));
	while (size >= 3 && n < FUZZ_ADDRS_MAX) {
		struct ifaddrs *ifa = &ifs[n];
		uint8_t head[3], a[28], m[28];
		const char *name;
		size_t len;

		fuzz_addrs_take(&data, &size, head, 3);
		fuzz__next_part(&data, &size, &name, &len);
		fuzz_addrs_take(&data, &size, a, sizeof(a));
		fuzz_addrs_take(&data, &size, m, sizeof(m));
		if (!(head[0] & 4))
			ifa->ifa_name = fuzz__cstr((const uint8_t *)name, len);
		if (head[0] & 1)
			ifa->ifa_addr = fuzz_addrs_sockaddr(fuzz_addrs_families[head[1] % 4], a);
		if (head[0] & 2)
			ifa->ifa_netmask = fuzz_addrs_sockaddr(fuzz_addrs_families[head[2] % 4], m);
		if (n)
			ifs[n - 1].ifa_next = ifa;
		n++;
	}
	if (!netdev__addrs_from_ifaddrs(n ? ifs : NULL, &t)) {
		for (size_t i = 0; i < t.n; i++) {
			const struct netdev_addr *x = &t.addrs[i];
			unsigned char back[16];
			int bits = x->family == AF_INET ? 32 : 128;

			if ((x->family != AF_INET && x->family != AF_INET6) ||
			    inet_pton(x->family, x->addr, back) != 1 || x->prefix_len < -1 ||
			    x->prefix_len > bits || strlen(x->ifname) >= NETDEV_NAME_SIZE)
				abort();
		}
		netdev_addr_table__free(&t);
	}
	for (size_t i = 0; i < n; i++) {
		free(ifs[i].ifa_name);
		free(ifs[i].ifa_addr);
		free(ifs[i].ifa_netmask);
	}
	return 0;
}
