// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* UTF-8 and text for a terminal: see include/jobtrace/json.h. */
#include <stdio.h>
#include <string.h>

#include "jobtrace/json.h"

size_t utf8__seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0; /* continuation byte, overlong lead (c0, c1) or > U+10FFFF */
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Reject overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * The code point of a valid @n-byte UTF-8 sequence at @p, when it is one
 * that reorders or breaks the text around it on a terminal: the bidi
 * embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069, the
 * trick behind "Trojan Source"), the marks U+061C, U+200E, U+200F, and the
 * line and paragraph separators U+2028, U+2029. 0 for any other.
 */
static unsigned int text_reorders(const unsigned char *p, size_t n)
{
	unsigned int cp;

	if (n == 2)
		cp = (p[0] & 0x1fU) << 6 | (p[1] & 0x3fU);
	else if (n == 3)
		cp = (p[0] & 0x0fU) << 12 | (p[1] & 0x3fU) << 6 | (p[2] & 0x3fU);
	else
		return 0;
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return cp;
	return 0;
}

/*
 * The columns a valid @n-byte UTF-8 sequence at @p takes on a terminal: 2
 * for the East Asian wide and fullwidth blocks (CJK, Hangul, the emoji
 * blocks), 0 for the combining diacritical marks, 1 for the rest. The main
 * blocks only, by hand: wcwidth() would need the caller's locale.
 */
static size_t text_columns(const unsigned char *p, size_t n)
{
	unsigned int cp;

	if (n == 1)
		return 1;
	if (n == 2)
		cp = (p[0] & 0x1fU) << 6 | (p[1] & 0x3fU);
	else if (n == 3)
		cp = (p[0] & 0x0fU) << 12 | (p[1] & 0x3fU) << 6 | (p[2] & 0x3fU);
	else
		cp = (p[0] & 0x07U) << 18 | (p[1] & 0x3fU) << 12 | (p[2] & 0x3fU) << 6 |
		     (p[3] & 0x3fU);
	if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x20d0 && cp <= 0x20ff) ||
	    (cp >= 0xfe20 && cp <= 0xfe2f))
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
	    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

size_t text__fit(const char *s, size_t len, size_t cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, used = 0;

	while (i < len) {
		size_t n = utf8__seq_len(p + i, len - i), w;

		/* Not UTF-8 (not text__escape()'s): a byte, a column. */
		if (!n)
			n = 1;
		w = n == 1 ? 1 : text_columns(p + i, n);
		/* text__escape()'s \\, \xNN and \uNNNN: whole or not at all (never a \x1 of \x1b). */
		if (p[i] == '\\' && i + 1 < len) {
			n = p[i + 1] == 'x' ? 4 : p[i + 1] == 'u' ? 6 : 2;
			if (n > len - i)
				n = len - i;
			w = n;
		}
		if (used + w > cols)
			break;
		used += w;
		i += n;
	}
	return i;
}

size_t text__escape(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, out = 0;

	while (i < len) {
		unsigned char c = p[i];

		if (c == '\\') {
			fputs("\\\\", f);
			out += 2;
			i++;
			continue;
		}
		n = utf8__seq_len(p + i, len - i);
		/* Controls, C1 controls (U+0080..U+009F) and invalid bytes move terminals. */
		if (c < 0x20 || c == 0x7f || n == 0 || (n == 2 && c == 0xc2 && p[i + 1] < 0xa0)) {
			fprintf(f, "\\x%02x", c);
			out += 4;
			i++;
			continue;
		}
		if (text_reorders(p + i, n)) {
			fprintf(f, "\\u%04x", text_reorders(p + i, n));
			out += 6;
			i += n;
			continue;
		}
		fwrite(p + i, 1, n, f);
		out += text_columns(p + i, n);
		i += n;
	}
	return out;
}
