// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/cpuinfo and the CPU lists of /sys (online, affected_cpus, core_cpus_list). */
#include "jobtrace/cpuinfo.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 2);
	char *buf = fuzz__copy(data, size);
	struct cpuinfo ci;
	__u32 *cpus;
	size_t nr;

	switch (pick) {
	case 0:
		if (!cpuinfo__parse(buf, size, &ci)) {
			if (ci.nr_cpus)
				cpuinfo__find(&ci, ci.cpus[ci.nr_cpus - 1].processor);
			cpuinfo__free(&ci);
		}
		break;
	case 1:
		if (!cpulist__parse(buf, size, &cpus, &nr))
			free(cpus);
		break;
	}
	free(buf);
	return 0;
}
