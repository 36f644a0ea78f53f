// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A netlink datagram from the proc connector, and the per-CPU sequence accounting. */
#include "jobtrace/cn_proc.h"

#include "fuzz.h"

static int note(void *ctx, const struct cn_proc_event *ev)
{
	cn_proc_seq__note(ctx, ev->cpu, ev->seq);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cn_proc_parse_stats st;
	struct cn_proc_seq seq;
	char *buf = fuzz__copy(data, size);

	memset(&st, 0, sizeof(st));
	memset(&seq, 0, sizeof(seq));
	cn_proc__parse(buf, size, note, &seq, &st);
	cn_proc_seq__free(&seq);
	free(buf);
	return 0;
}
