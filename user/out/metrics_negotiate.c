// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a scraper asks for: OpenMetrics or the Prometheus text format, by
 * its Accept header, gzip or not by its Accept-Encoding, and the
 * Content-Type each is served with. Pure functions of the headers' text,
 * tested over them (test_metrics); metrics_http.c asks them.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "jobtrace/metrics.h"

const char *metrics__content_type(enum metrics_format fmt)
{
	return fmt == METRICS_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
					  : "text/plain; version=0.0.4; charset=utf-8";
}

/*
 * Does the element @r..@end of an Accept or Accept-Encoding list, past its
 * name, carry a q above 0? No q is q=1; "q=0", "q=0.0", "q=0.000" refuse.
 */
static bool q_above_zero(const char *r, const char *end)
{
	for (const char *q = r; q + 2 <= end; q++) {
		if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=' && q > r &&
		    (q[-1] == ';' || q[-1] == ' ' || q[-1] == '\t')) {
			const char *v = q + 2;

			if (*v != '0')
				return true;
			for (v++; v < end && (*v == '.' || *v == '0'); v++)
				;
			return v < end && *v >= '1' && *v <= '9';
		}
	}
	return true;
}

/* The element @r..@end, blanks skipped, names @name (any case) and ends there or at a ';'? */
static bool element_is(const char *r, const char *end, const char *name)
{
	size_t n = strlen(name);

	while (r < end && (*r == ' ' || *r == '\t'))
		r++;
	if ((size_t)(end - r) < n || strncasecmp(r, name, n))
		return false;
	r += n;
	while (r < end && (*r == ' ' || *r == '\t'))
		r++;
	return r == end || *r == ';';
}

/* Is the media range @r (up to @end) OpenMetrics with a q above 0? */
static bool range_wants_om(const char *r, const char *end)
{
	static const char om[] = "application/openmetrics-text";

	while (r < end && (*r == ' ' || *r == '\t'))
		r++;
	if ((size_t)(end - r) < sizeof(om) - 1 || strncasecmp(r, om, sizeof(om) - 1))
		return false;
	return q_above_zero(r, end);
}

enum metrics_format metrics__negotiate(const char *accept)
{
	const char *r = accept, *comma;

	if (!accept)
		return METRICS_TEXT;
	/* Prometheus lists OpenMetrics first when it can parse it; anything else gets 0.0.4. */
	for (; *r; r = comma + 1) {
		comma = strchr(r, ',');
		if (!comma)
			comma = r + strlen(r);
		if (range_wants_om(r, comma))
			return METRICS_OPENMETRICS;
		if (!*comma)
			break;
	}
	return METRICS_TEXT;
}

bool metrics__wants_gzip(const char *accept_encoding)
{
	const char *r = accept_encoding, *comma;
	int gzip = -1, star = -1; /* -1: not listed; else its q is above 0 */

	if (!accept_encoding)
		return false;
	for (; *r; r = comma + 1) {
		comma = strchr(r, ',');
		if (!comma)
			comma = r + strlen(r);
		/* x-gzip is gzip's old name, which RFC 9110 still asks a server to take. */
		if (element_is(r, comma, "gzip") || element_is(r, comma, "x-gzip"))
			gzip = q_above_zero(r, comma);
		else if (element_is(r, comma, "*"))
			star = q_above_zero(r, comma);
		if (!*comma)
			break;
	}
	/* "*" stands for every coding the list does not name: gzip too, unless named. */
	return gzip >= 0 ? gzip : star > 0;
}
