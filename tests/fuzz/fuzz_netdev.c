// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/net/dev, and a link's duplex attribute. */
#include "jobtrace/netdev.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 2);
	char *buf = fuzz__copy(data, size);
	struct netdev_table t;

	switch (pick) {
	case 0:
		/* No NUL after the text: the length alone bounds the parse. */
		if (!netdev__parse(buf, size, &t)) {
			if (t.n)
				netdev_table__find(&t, t.ifs[t.n - 1].name);
			netdev_table__free(&t);
		}
		break;
	case 1: {
		char *s = fuzz__cstr(data, size);

		netdev__duplex_name(netdev__parse_duplex(s));
		free(s);
		break;
	}
	}
	free(buf);
	return 0;
}
