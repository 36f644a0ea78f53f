// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/sys/kernel/{hostname,osrelease,...}: one-line values. */
#include "jobtrace/hostinfo.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz__copy(data, size);
	struct hostinfo_value v;

	hostinfo__parse_value(buf, size, &v);
	free(buf);
	return 0;
}
