// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/maps and /proc/PID/limits. */
#include "jobtrace/proc_limits.h"
#include "jobtrace/proc_maps.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 2);
	char *buf = fuzz__copy(data, size);
	struct proc_limits lim;
	struct proc_maps m;

	switch (pick) {
	case 0:
		if (!proc_maps__parse(buf, size, &m))
			proc_maps__free(&m);
		break;
	case 1:
		proc_limits__parse(buf, size, &lim);
		break;
	}
	free(buf);
	return 0;
}
