// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/stat, /proc/loadavg, /proc/uptime. */
#include "jobtrace/loadavg.h"
#include "jobtrace/proc_stat.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 3);
	char *buf = fuzz__copy(data, size);
	struct proc_stat st;
	struct loadavg la;
	struct uptime up;

	switch (pick) {
	case 0:
		if (!proc_stat__parse(buf, size, &st))
			proc_stat__free(&st);
		break;
	case 1:
		loadavg__parse(buf, size, &la);
		break;
	case 2:
		uptime__parse(buf, size, &up);
		break;
	}
	free(buf);
	return 0;
}
