// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <math.h>
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

void json__escape(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = p[i];

		switch (c) {
		case '"': fputs("\\\"", f); i++; continue;
		case '\\': fputs("\\\\", f); i++; continue;
		case '\n': fputs("\\n", f); i++; continue;
		case '\r': fputs("\\r", f); i++; continue;
		case '\t': fputs("\\t", f); i++; continue;
		case '\b': fputs("\\b", f); i++; continue;
		case '\f': fputs("\\f", f); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		n = utf8__seq_len(p + i, len - i);
		if (n == 0) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		fwrite(p + i, 1, n, f);
		i += n;
	}
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
		out += n;
		i += n;
	}
	return out;
}

void json__init(struct json_writer *w, FILE *f, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
	w->first[0] = true;
}

static void newline(struct json_writer *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Separator, indentation and "key": before a value. */
static void member(struct json_writer *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	if (w->depth > 0)
		newline(w);
	w->first[w->depth] = false;
	if (key) {
		fputc('"', w->f);
		json__escape(w->f, key, strlen(key));
		fputs(w->pretty ? "\": " : "\":", w->f);
	}
}

static void open_scope(struct json_writer *w, const char *key, char c)
{
	member(w, key);
	fputc(c, w->f);
	if (w->depth + 1 >= JSON_MAX_DEPTH) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	w->first[++w->depth] = true;
}

static void close_scope(struct json_writer *w, char c)
{
	bool empty;

	if (w->depth == 0) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	empty = w->first[w->depth];
	w->depth--;
	if (!empty)
		newline(w);
	fputc(c, w->f);
}

void json__begin_object(struct json_writer *w, const char *key)
{
	open_scope(w, key, '{');
}

void json__end_object(struct json_writer *w)
{
	close_scope(w, '}');
}

void json__begin_array(struct json_writer *w, const char *key)
{
	open_scope(w, key, '[');
}

void json__end_array(struct json_writer *w)
{
	close_scope(w, ']');
}

void json__stringn(struct json_writer *w, const char *key, const char *s, size_t len)
{
	member(w, key);
	fputc('"', w->f);
	json__escape(w->f, s, len);
	fputc('"', w->f);
}

void json__string(struct json_writer *w, const char *key, const char *s)
{
	if (!s) {
		json__null(w, key);
		return;
	}
	json__stringn(w, key, s, strlen(s));
}

void json__u64(struct json_writer *w, const char *key, uint64_t v)
{
	member(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

void json__i64(struct json_writer *w, const char *key, int64_t v)
{
	member(w, key);
	fprintf(w->f, "%" PRId64, v);
}

void json__double(struct json_writer *w, const char *key, double v)
{
	member(w, key);
	if (!isfinite(v))
		fputs("null", w->f);
	else
		fprintf(w->f, "%.15g", v);
}

void json__bool(struct json_writer *w, const char *key, bool v)
{
	member(w, key);
	fputs(v ? "true" : "false", w->f);
}

void json__null(struct json_writer *w, const char *key)
{
	member(w, key);
	fputs("null", w->f);
}

int json__finish(struct json_writer *w)
{
	if (w->depth != 0 && !w->err)
		w->err = -EINVAL;
	fputc('\n', w->f);
	if (ferror(w->f) && !w->err)
		w->err = -EIO;
	return w->err;
}
