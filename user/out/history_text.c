// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Numbers, seconds and JSON strings as serve's history writer puts them
 * into its short lines (sink_history.c): written in place, no printf, the
 * bytes sink_json would write. Apart from the writer's files, rotation and
 * compression, which are its other job.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "history_text_priv.h"

/* "00" to "99": a number is written two digits a division, the chain of divisions halved. */
static const char digits2[] = "00010203040506070809101112131415161718192021222324252627282930313233"
			      "34353637383940414243444546474849505152535455565758596061626364656667"
			      "6869707172737475767778798081828384858687888990919293949596979899";

static const uint64_t tens[20] = {
	1ULL,		      10ULL,		     100ULL,		    1000ULL,
	10000ULL,	      100000ULL,	     1000000ULL,	    10000000ULL,
	100000000ULL,	      1000000000ULL,	     10000000000ULL,	    100000000000ULL,
	1000000000000ULL,     10000000000000ULL,     100000000000000ULL,    1000000000000000ULL,
	10000000000000000ULL, 100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL,
};

/* Written in place from its last digit: its length from its bits (log10 2 is ~1233/4096). */
char *history_text__u64(char *p, uint64_t v)
{
	int t = ((64 - __builtin_clzll(v | 1)) * 1233) >> 12;
	int n = t + (v >= tens[t]);
	char *q;

	if (n <= 1) {
		*p = (char)('0' + v);
		return p + 1;
	}
	q = p + n;
	while (v >= 100) {
		q -= 2;
		memcpy(q, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(q - 2, digits2 + 2 * v, 2);
	else
		q[-1] = (char)('0' + v);
	return p + n;
}

/*
 * @frac nanoseconds as a second's decimals, ".5", ".000123456"; nothing
 * for 0. All nine digits are written, two a division, and the zeros at
 * their end taken back: cheaper than finding them first, a division by
 * ten each (four of these in every exit line).
 */
static char *put_frac(char *p, uint32_t frac)
{
	uint32_t hi = frac / 10000, lo = frac % 10000;
	int n = 10;

	if (!frac)
		return p;
	p[0] = '.';
	p[1] = (char)('0' + hi / 10000);
	memcpy(p + 2, digits2 + 2 * (hi / 100 % 100), 2);
	memcpy(p + 4, digits2 + 2 * (hi % 100), 2);
	memcpy(p + 6, digits2 + 2 * (lo / 100), 2);
	memcpy(p + 8, digits2 + 2 * (lo % 100), 2);
	while (p[n - 1] == '0')
		n--;
	return p + n;
}

/* @ns as seconds, exactly: "12", "12.5", "0.000123456" (no exponent, no trailing zero). */
char *history_text__secs(char *p, uint64_t ns)
{
	p = history_text__u64(p, ns / 1000000000ULL);
	return put_frac(p, (uint32_t)(ns % 1000000000ULL));
}

/* @c's text, copied whole (a fixed size: no call to memcpy), @p's room allowing. */
char *history_text__cached(char *p, struct num_text *c, uint64_t v)
{
	if (c->v != v || !c->len) {
		c->v = v;
		c->len = (uint8_t)(history_text__u64(c->s, v) - c->s);
	}
	memcpy(p, c->s, sizeof(c->s));
	return p + c->len;
}

/* history_text__secs(), with the whole seconds from @c. */
char *history_text__secs_cached(char *p, struct num_text *c, uint64_t ns)
{
	p = history_text__cached(p, c, ns / 1000000000ULL);
	return put_frac(p, (uint32_t)(ns % 1000000000ULL));
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* A byte of @x is 0 (exact for "any": a borrow starts only at a zero byte). */
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGHS)

/*
 * Eight bytes at once: a mask with the high bit of each byte below 0x20,
 * at or past 0x7f, a quote or a backslash; its lowest bit is exact (a
 * borrow only marks bytes above a true one).
 */
static uint64_t word_flags(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\'), d = x ^ (ONES * 0x7f);

	return ((((x - ONES * 0x20) & ~x) | x) & HIGHS) | HAS_ZERO(q) | HAS_ZERO(b) | HAS_ZERO(d);
}

static bool byte_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/*
 * The length of a comm (16 bytes, NUL-terminated unless all 16 are its
 * own), or -1 when a byte before its end is not plain: what strnlen()
 * and history_text__plain() say, in two words.
 */
int history_text__comm_len(const char *s)
{
	for (int i = 0; i < 16; i += 8) {
		uint64_t x, m;

		memcpy(&x, s + i, 8);
		m = word_flags(x);
		if (m) {
			int k = i + __builtin_ctzll(m) / 8;

			return s[k] ? -1 : k;
		}
	}
	return 16;
}

/* Printable ASCII without a quote or a backslash: a JSON string as it is. */
bool history_text__plain(const char *s, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;

		memcpy(&x, s + i, 8);
		if (word_flags(x))
			return false;
	}
	for (; i < n; i++)
		if (!byte_plain((unsigned char)s[i]))
			return false;
	return true;
}

char *history_text__str(char *p, const char *s, size_t n)
{
	*p++ = '"';
	memcpy(p, s, n);
	p += n;
	*p++ = '"';
	return p;
}

/*
 * The arguments (NUL-separated, the last NUL ending the last one) as a
 * JSON array's strings, checked as they are copied, eight bytes at a time
 * up to a byte that is not plain; NULL when that is not a NUL. @p has
 * room for 8 bytes past the end.
 */
char *history_text__args(char *p, const char *a, size_t len)
{
	size_t i = 0;

	if (len && !a[len - 1])
		len--;
	*p++ = '"';
	while (i < len) {
		unsigned char c;

		if (i + 8 <= len) {
			uint64_t x, m;

			memcpy(&x, a + i, 8);
			m = word_flags(x);
			/* The plain bytes before the first that is not, and it (overwritten). */
			memcpy(p, &x, 8);
			if (!m) {
				p += 8;
				i += 8;
				continue;
			}
			p += __builtin_ctzll(m) / 8;
			i += __builtin_ctzll(m) / 8;
		}
		c = (unsigned char)a[i++];
		if (byte_plain(c))
			*p++ = (char)c;
		else if (!c)
			p = PUT(p, "\",\"");
		else
			return NULL;
	}
	*p++ = '"';
	return p;
}
