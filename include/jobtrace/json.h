/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_JSON_H
#define JOBTRACE_JSON_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A streaming JSON writer. Every value call takes the member name as @key;
 * inside an array pass NULL. Strings are arbitrary bytes: they are escaped so
 * that the output is always valid JSON and valid UTF-8 (an invalid byte
 * becomes U+FFFD), whatever a process put in its name.
 */
#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *f;
	int depth;
	bool pretty;
	bool first[JSON_MAX_DEPTH];
	int err; /* first error, sticky: -EINVAL for misuse, -EIO for a failed write */
	char *buf; /* json__buffer's; NULL: every byte straight to @f */
	size_t len, cap;
};

void json__init(struct json_writer *w, FILE *f, bool pretty);
/*
 * Optional, after json__init: the writer gathers its bytes in @buf (@size
 * bytes, the caller's, kept until json__finish) and writes them to its
 * stream in large pieces: when it is full, when the outermost value closes,
 * and in json__finish. While a value is open the stream may lag behind the
 * calls made, so its owner writes nothing of its own into it then. For
 * large documents: 100,000 small stdio calls cost more than the values.
 */
void json__buffer(struct json_writer *w, char *buf, size_t size);
void json__begin_object(struct json_writer *w, const char *key);
void json__end_object(struct json_writer *w);
void json__begin_array(struct json_writer *w, const char *key);
void json__end_array(struct json_writer *w);
void json__string(struct json_writer *w, const char *key, const char *s);
void json__stringn(struct json_writer *w, const char *key, const char *s, size_t len);
void json__u64(struct json_writer *w, const char *key, uint64_t v);
/* @v's decimal digits into @out (20 bytes of room), as "%" PRIu64 writes them; their count. */
size_t json__u64_digits(char *out, uint64_t v);
void json__i64(struct json_writer *w, const char *key, int64_t v);
/* Non-finite numbers are written as null: JSON has no NaN. */
void json__double(struct json_writer *w, const char *key, double v);
void json__bool(struct json_writer *w, const char *key, bool v);
void json__null(struct json_writer *w, const char *key);
/*
 * The same members with a key the compiler quotes: JSON_KEY("pid") stands
 * for the key's text "\"pid\":" and its length. Only for a string literal
 * of printable ASCII without '"' or '\\' (every key jobtrace writes): it is
 * written as it is, never scanned or escaped. A ps --json writes 14 members
 * a process; their keys were a tenth of its user time (perf).
 */
#define JSON_KEY(k) ("\"" k "\":"), (sizeof("\"" k "\":") - 1)
void json__begin_array_k(struct json_writer *w, const char *qkey, size_t qlen);
void json__stringn_k(struct json_writer *w, const char *qkey, size_t qlen, const char *s,
		     size_t len);
void json__u64_k(struct json_writer *w, const char *qkey, size_t qlen, uint64_t v);
void json__i64_k(struct json_writer *w, const char *qkey, size_t qlen, int64_t v);
void json__double_k(struct json_writer *w, const char *qkey, size_t qlen, double v);
void json__bool_k(struct json_writer *w, const char *qkey, size_t qlen, bool v);
void json__null_k(struct json_writer *w, const char *qkey, size_t qlen);
/*
 * @ns nanoseconds as seconds: the very text json__double_k() writes for
 * (double)@ns / 1e9, made from the integer's digits where that is exact
 * (below 10^15 ns, 11.6 days: a figure of 15 digits or fewer, which %.15g
 * gives back as it is), else by json__double_k() itself.
 */
void json__ns_as_s_k(struct json_writer *w, const char *qkey, size_t qlen, uint64_t ns);
/* Ends the document with a newline; returns the writer's error, 0 if none. */
int json__finish(struct json_writer *w);
/*
 * A part of a document written by two writers side by side: after
 * json__init, @w writes more members of an array that another writer has
 * begun and written members of (its first value comes after a comma), and
 * closes nothing; json__flush_part then hands its bytes to its stream and
 * returns its error. The other writer's owner copies them into its own
 * stream where they belong, after a json__flush_part of its own.
 */
void json__resume_array(struct json_writer *w);
int json__flush_part(struct json_writer *w);

/*
 * Writes @s (@len bytes) as the body of a JSON string, without quotes.
 * Exposed for the tests and for writers of other formats.
 */
void json__escape(FILE *f, const char *s, size_t len);

/*
 * Escapes @len bytes of @s for a terminal: printable ASCII and valid UTF-8
 * pass, a backslash doubles, anything else is written as \xNN, so nothing is
 * lost and nothing can move the cursor; the bidi controls and U+2028/U+2029,
 * valid UTF-8 that would reorder the line, are written as \uNNNN. Returns the columns it
 * takes on a terminal (a character of several bytes is one, a wide one two),
 * for padding.
 */
size_t text__escape(FILE *f, const char *s, size_t len);

/*
 * The bytes of @s (@len of them, text__escape()'s output) that fit in
 * @cols columns of a terminal, whole characters only.
 */
size_t text__fit(const char *s, size_t len, size_t cols);

/* Length of the valid UTF-8 sequence at @s (1..4), or 0 if it is invalid. */
size_t utf8__seq_len(const unsigned char *s, size_t avail);

#ifdef __cplusplus
}
#endif

#endif
