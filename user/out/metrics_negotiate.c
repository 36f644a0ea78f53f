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

/*
 * The q of the element @r..@end: its "q=" parameter, 0 to 1 with at most
 * three decimals (RFC 9110's qvalue); 1 without one, 0 for one that is
 * not a qvalue (a range with a q we cannot read is not one we may take).
 */
static double q_of(const char *r, const char *end)
{
	for (const char *q = r; q + 2 <= end; q++) {
		if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=' && q > r &&
		    (q[-1] == ';' || q[-1] == ' ' || q[-1] == '\t')) {
			const char *v = q + 2;
			double whole, frac = 0, scale = 0.1;

			if (v >= end || (*v != '0' && *v != '1'))
				return 0;
			whole = *v++ - '0';
			if (v < end && *v == '.')
				for (v++; v < end && *v >= '0' && *v <= '9'; v++, scale /= 10)
					frac += (*v - '0') * scale;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			if ((v < end && *v != ';') || whole + frac > 1)
				return 0;
			return whole + frac;
		}
	}
	return 1;
}

/*
 * Which format a scraper asks for, by its Accept's q-values: OpenMetrics
 * where its highest q is above that of every text/plain range (text/star
 * and star/star too), or equal and listed first; else the Prometheus text
 * format, which
 * anything else gets. A prefix was enough before, and any q above 0:
 * "application/openmetrics-textfoo" got OpenMetrics, and so did a
 * scraper that asked text/plain;q=0.9 over OpenMetrics;q=0.5 (Prometheus's
 * scrape_protocols with 0.0.4 first).
 */
enum metrics_format metrics__negotiate(const char *accept)
{
	double om = 0, text = 0;
	int om_at = -1, text_at = -1, at = 0;
	const char *r = accept, *comma;

	if (!accept)
		return METRICS_TEXT;
	for (; *r; r = comma + 1, at++) {
		double q;

		comma = strchr(r, ',');
		if (!comma)
			comma = r + strlen(r);
		q = q_of(r, comma);
		/* Each kind's highest q, and where the first element with it stands. */
		if (element_is(r, comma, "application/openmetrics-text")) {
			if (om_at < 0 || q > om) {
				om = q;
				om_at = at;
			}
		} else if (element_is(r, comma, "text/plain") || element_is(r, comma, "text/*") ||
			   element_is(r, comma, "*/*")) {
			if (text_at < 0 || q > text) {
				text = q;
				text_at = at;
			}
		}
		if (!*comma)
			break;
	}
	if (om_at < 0 || om <= 0)
		return METRICS_TEXT;
	if (text_at < 0 || om > text || (om == text && om_at < text_at))
		return METRICS_OPENMETRICS;
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
