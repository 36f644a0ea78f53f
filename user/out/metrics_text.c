// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bytes under metrics_write.c: the exposition gathered in a buffer of
 * its own and handed to the FILE in large writes, and its numbers written
 * as printf would write them, without printf. With 10,000 jobs a scrape is
 * 130,000 samples: stdio's locked call per piece of a line and printf's
 * format parsing per value were most of its CPU (perf: vfprintf, fwrite,
 * fputs and their locks 40%).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jobtrace/json.h"
#include "metrics_priv.h"

void mtext__flush(struct mtext *w)
{
	if (w->len && !w->err && fwrite(w->buf, 1, w->len, w->f) != w->len)
		w->err = -(errno ? errno : EIO);
	w->len = 0;
}

void mtext__put_slow(struct mtext *w, const char *s, size_t n)
{
	mtext__flush(w);
	if (n > sizeof(w->buf)) {
		/* Longer than the buffer (no exposition's line is): straight through. */
		if (!w->err && fwrite(s, 1, n, w->f) != n)
			w->err = -(errno ? errno : EIO);
		return;
	}
	memcpy(w->buf, s, n);
	w->len = n;
}

size_t metrics__format_u64(char *out, __u64 v)
{
	return json__u64_digits(out, v);
}

size_t metrics__format_ns(char *out, __u64 ns)
{
	char frac[20];
	size_t n = json__u64_digits(out, ns / 1000000000ULL);
	size_t fl = json__u64_digits(frac, ns % 1000000000ULL);

	/* The nine digits of the fraction, zeros kept: "%09llu". */
	out[n] = '.';
	memset(out + n + 1, '0', 9 - fl);
	memcpy(out + n + 10 - fl, frac, fl);
	return n + 10;
}

size_t metrics__format_double(char *out, double v)
{
	int n;

	/*
	 * A whole number below 10^17 is what "%.17g" writes as its digits
	 * alone (no exponent, no point): an allocation's CPUs, a load of 0.
	 * The sign is the sign bit's, so -0 stays "-0".
	 */
	if (v > -1e17 && v < 1e17 && v == (double)(long long)v) {
		size_t s = 0;

		if (signbit(v))
			out[s++] = '-';
		return s + metrics__format_u64(out + s, (__u64)fabs(v));
	}
	n = snprintf(out, METRICS_NUM_MAX, "%.17g", v);
	return n > 0 ? (size_t)n : 0;
}
