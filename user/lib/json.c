// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "jobtrace/json.h"

/*
 * stdio's unlocked calls: a writer's stream belongs to one sink, in the one
 * thread of the event loop; the lock per call was a good part of a record's
 * cost (make bench, the history's writer).
 */

/* A byte that stands for itself in a JSON string: printable ASCII but the quote and backslash. */
static bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void json__escape(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, run;

	while (i < len) {
		unsigned char c;

		/*
		 * The bytes that need no escape go out in one write: a key or
		 * a path is all of them, and a write per byte was most of a
		 * record's cost (make bench, the history's writer).
		 */
		for (run = i; run < len; run += n) {
			n = json_plain(p[run]) ? 1 : p[run] >= 0x80 ? utf8__seq_len(p + run, len - run) : 0;
			if (!n)
				break;
		}
		if (run > i) {
			fwrite_unlocked(p + i, 1, run - i, f);
			i = run;
			continue;
		}
		c = p[i];
		switch (c) {
		case '"': fputs_unlocked("\\\"", f); i++; continue;
		case '\\': fputs_unlocked("\\\\", f); i++; continue;
		case '\n': fputs_unlocked("\\n", f); i++; continue;
		case '\r': fputs_unlocked("\\r", f); i++; continue;
		case '\t': fputs_unlocked("\\t", f); i++; continue;
		case '\b': fputs_unlocked("\\b", f); i++; continue;
		case '\f': fputs_unlocked("\\f", f); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		/* Not a valid UTF-8 sequence here (the run above stopped at it). */
		fputs_unlocked("\\ufffd", f);
		i++;
	}
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
	fputc_unlocked('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs_unlocked("  ", w->f);
}

/* Separator, indentation and "key": before a value. */
static void member(struct json_writer *w, const char *key)
{
	if (!w->first[w->depth])
		fputc_unlocked(',', w->f);
	if (w->depth > 0)
		newline(w);
	w->first[w->depth] = false;
	if (key) {
		fputc_unlocked('"', w->f);
		json__escape(w->f, key, strlen(key));
		fputs_unlocked(w->pretty ? "\": " : "\":", w->f);
	}
}

static void open_scope(struct json_writer *w, const char *key, char c)
{
	member(w, key);
	fputc_unlocked(c, w->f);
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
	fputc_unlocked(c, w->f);
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
	fputc_unlocked('"', w->f);
	json__escape(w->f, s, len);
	fputc_unlocked('"', w->f);
}

void json__string(struct json_writer *w, const char *key, const char *s)
{
	if (!s) {
		json__null(w, key);
		return;
	}
	json__stringn(w, key, s, strlen(s));
}

/* A whole number's digits, without printf's format parsing: most of a record's values are these. */
static void put_u64(FILE *f, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(p, 1, (size_t)(buf + sizeof(buf) - p), f);
}

void json__u64(struct json_writer *w, const char *key, uint64_t v)
{
	member(w, key);
	put_u64(w->f, v);
}

void json__i64(struct json_writer *w, const char *key, int64_t v)
{
	member(w, key);
	if (v < 0)
		fputc_unlocked('-', w->f);
	put_u64(w->f, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

void json__double(struct json_writer *w, const char *key, double v)
{
	member(w, key);
	if (!isfinite(v))
		fputs_unlocked("null", w->f);
	else
		fprintf(w->f, "%.15g", v);
}

void json__bool(struct json_writer *w, const char *key, bool v)
{
	member(w, key);
	fputs_unlocked(v ? "true" : "false", w->f);
}

void json__null(struct json_writer *w, const char *key)
{
	member(w, key);
	fputs_unlocked("null", w->f);
}

int json__finish(struct json_writer *w)
{
	if (w->depth != 0 && !w->err)
		w->err = -EINVAL;
	fputc_unlocked('\n', w->f);
	if (ferror(w->f) && !w->err)
		w->err = -EIO;
	return w->err;
}
