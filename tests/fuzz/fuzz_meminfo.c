// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/meminfo, /proc/zoneinfo, /proc/vmstat. */
#include "jobtrace/meminfo.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 3);
	char *buf = fuzz__copy(data, size);
	struct meminfo mi;
	__u64 wmark;

	memset(&mi, 0, sizeof(mi));
	switch (pick) {
	case 0:
		if (!meminfo__parse(buf, size, &mi))
			meminfo__estimate_available(&mi, 1 << 20);
		break;
	case 1:
		meminfo__parse_zoneinfo(buf, size, &wmark);
		break;
	case 2:
		meminfo__parse_vmstat(buf, size, 4096, &mi);
		break;
	}
	free(buf);
	return 0;
}
