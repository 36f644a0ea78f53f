// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * metrics__negotiate() over an Accept header (serve --listen's /metrics).
 * OpenMetrics may only be chosen when the header names it.
 */
#include <strings.h>

#include "jobtrace/metrics.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char om[] = "application/openmetrics-text";
	char *accept = fuzz__cstr(data, size);
	enum metrics_format fmt = metrics__negotiate(accept);
	bool named = false;

	for (const char *p = accept; *p && !named; p++)
		named = !strncasecmp(p, om, sizeof(om) - 1);
	if ((fmt != METRICS_TEXT && fmt != METRICS_OPENMETRICS) ||
	    (fmt == METRICS_OPENMETRICS && !named))
		abort();
	metrics__content_type(fmt);
	free(accept);
	return 0;
}
