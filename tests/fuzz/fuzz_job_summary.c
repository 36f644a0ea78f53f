// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A report file of `jobtrace report DIR`: a shared directory's files come
 * from other nodes, and a half-written or foreign one must be said to be
 * no report, never read past its end.
 */
#include "jobtrace/job_summary.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: the parser may not lean on a NUL after it. */
	char *buf = malloc(size ? size : 1);
	struct summary_report r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	job_summary__parse(buf, size, &r);
	free(buf);
	return 0;
}
