// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/net/{tcp,tcp6,udp,udp6,unix}: counts and connection rows. */
#include "jobtrace/netsock.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Inodes a caller asks for: small ones, which fixtures and mutations hit. */
	static const __u64 want[] = { 1, 2, 3, 12345, 23456 };
	int pick = fuzz__pick(&data, &size, 8);
	char *buf = fuzz__copy(data, size);
	struct netsock_counts c;
	struct netsock_conns conns;

	memset(&c, 0, sizeof(c));
	memset(&conns, 0, sizeof(conns));
	switch (pick) {
	case 0:
	case 1:
		netsock__parse_inet(buf, size, pick == 0, &c);
		break;
	case 2:
		netsock__parse_unix(buf, size, &c);
		break;
	default:
		/* NETSOCK_TCP .. NETSOCK_UNIX, with and without an inode filter. */
		netsock__parse_conns(buf, size, (enum netsock_kind)(pick - 3), pick & 1 ? want : NULL,
				     pick & 1 ? sizeof(want) / sizeof(want[0]) : 0, &conns);
		netsock_conns__free(&conns);
		break;
	}
	free(buf);
	return 0;
}
