// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/diskstats and /sys/block/DEV/stat. */
#include "jobtrace/diskstats.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 2);
	char *buf = fuzz__copy(data, size);
	struct diskstats ds;
	struct disk_stats d;

	switch (pick) {
	case 0:
		if (!diskstats__parse(buf, size, &ds)) {
			if (ds.nr)
				diskstats__find(&ds, ds.disks[0].name);
			diskstats__free(&ds);
		}
		break;
	case 1:
		memset(&d, 0, sizeof(d));
		diskstats__parse_stat(buf, size, &d);
		break;
	}
	free(buf);
	return 0;
}
