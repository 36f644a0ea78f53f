// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The BPF ring buffer's records as lineage decodes them: exit, exec, fork. */
#include "jobtrace/lineage.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 3);
	char *buf = fuzz__copy(data, size);
	union {
		struct jt_exit_event exit;
		struct jt_exec_event exec;
		struct jt_fork_event fork;
	} u;

	switch (pick) {
	case 0:
		lineage__decode_exit(buf, size, &u.exit);
		break;
	case 1:
		lineage__decode_exec(buf, size, &u.exec);
		break;
	case 2:
		lineage__decode_fork(buf, size, &u.fork);
		break;
	}
	free(buf);
	return 0;
}
