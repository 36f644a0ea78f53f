// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/fdinfo/N and the fd/N link targets. */
#include "jobtrace/proc_fd.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 2);
	char *buf = fuzz__copy(data, size);
	uint64_t inode;
	uint32_t flags;
	int64_t pos;

	switch (pick) {
	case 0:
		if (!proc_fd__parse_fdinfo(buf, size, &pos, &flags))
			(void)proc_fd__mode(flags);
		break;
	case 1:
		proc_fd__classify(buf, size, &inode);
		break;
	}
	free(buf);
	return 0;
}
