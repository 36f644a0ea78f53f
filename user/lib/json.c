// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "jobtrace/json.h"
#include "jobtrace/util.h"

/*
 * stdio's unlocked calls: a writer's stream belongs to one sink, in the one
 * thread of the event loop; the lock per call was a good part of a record's
 * cost (make bench, the history's writer).
 */

/*
 * The bytes that stand for themselves in a JSON string: printable ASCII but
 * the quote and backslash. A table: one load a byte in the escape's scan.
 */
static const bool json_plain[256] = {
	[0x20 ... '"' - 1] = true,
	['"' + 1 ... '\\' - 1] = true,
	['\\' + 1 ... 0x7e] = true,
};

/*
 * Every byte goes out through these three. A writer given a buffer
 * (json__buffer) gathers its bytes there and hands the stream large
 * pieces: a ps --json of 5,000 processes made about 100,000 stdio calls,
 * one or more per key, separator and value (perf: xsputn, fwrite and
 * memmove, a tenth of its user time). Without one, stdio as before.
 */
static void flush_buf(struct json_writer *w)
{
	if (w->len) {
		fwrite_unlocked(w->buf, 1, w->len, w->f);
		w->len = 0;
	}
}

static void put_n_slow(struct json_writer *w, const void *p, size_t n)
{
	if (w->buf) {
		flush_buf(w);
		if (n <= w->cap) {
			memcpy(w->buf, p, n);
			w->len = n;
			return;
		}
	}
	fwrite_unlocked(p, 1, n, w->f);
}

/*
 * @n (at most 32) bytes from @s to @d as two fixed-size copies that
 * overlap, which the compiler makes a few moves: a key is this short, and
 * memcpy() of a length it does not know was a call into libc for each
 * (perf, ps --json: 14 keys a process).
 */
static inline __attribute__((always_inline)) void copy_short(char *d, const char *s, size_t n)
{
	if (n >= 16) {
		memcpy(d, s, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	} else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	}
}

/* Inlined: the buffered case is a copy, several of them a value. */
static inline __attribute__((always_inline)) void put_n(struct json_writer *w, const void *p,
							size_t n)
{
	if (w->buf && w->cap - w->len >= n) {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		return;
	}
	put_n_slow(w, p, n);
}

static inline __attribute__((always_inline)) void put_c(struct json_writer *w, char c)
{
	if (w->buf && w->len < w->cap) {
		w->buf[w->len++] = c;
		return;
	}
	if (w->buf) {
		flush_buf(w);
		w->buf[w->len++] = c;
		return;
	}
	fputc_unlocked(c, w->f);
}

/* Inline, so that a literal's length is the compiler's, not a strlen() each time. */
static inline __attribute__((always_inline)) void put_s(struct json_writer *w, const char *s)
{
	put_n(w, s, strlen(s));
}

/*
 * The plain ASCII head of @s copied straight into the buffer as it is
 * scanned, where the whole string fits: a key, a comm, an argument are
 * usually nothing else, and the scan then a copy was twice the work (perf:
 * escape, memmove and strlen, a tenth of a ps --json). How many bytes went.
 */
static inline __attribute__((always_inline)) size_t put_plain_head(struct json_writer *w,
								  const unsigned char *p,
								  size_t len)
{
	char *d;
	size_t i;

	if (!w->buf || w->cap - w->len < len)
		return 0;
	d = w->buf + w->len;
	for (i = 0; i < len && json_plain[p[i]]; i++)
		d[i] = (char)p[i];
	w->len += i;
	return i;
}

static void escape(struct json_writer *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n, run;

	i = put_plain_head(w, p, len);
	while (i < len) {
		unsigned char c;

		/*
		 * The bytes that need no escape go out in one write: a key or
		 * a path is all of them, and a write per byte was most of a
		 * record's cost (make bench, the history's writer).
		 */
		for (run = i; run < len; run += n) {
			n = json_plain[p[run]] ? 1 : p[run] >= 0x80 ? utf8__seq_len(p + run, len - run) : 0;
			if (!n)
				break;
		}
		if (run > i) {
			put_n(w, p + i, run - i);
			i = run;
			continue;
		}
		c = p[i];
		switch (c) {
		case '"': put_s(w, "\\\""); i++; continue;
		case '\\': put_s(w, "\\\\"); i++; continue;
		case '\n': put_s(w, "\\n"); i++; continue;
		case '\r': put_s(w, "\\r"); i++; continue;
		case '\t': put_s(w, "\\t"); i++; continue;
		case '\b': put_s(w, "\\b"); i++; continue;
		case '\f': put_s(w, "\\f"); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			/* \u00XX, as printf's "\\u%04x" wrote it. */
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			put_n(w, u, sizeof(u));
			i++;
			continue;
		}
		/* Not a valid UTF-8 sequence here (the run above stopped at it). */
		put_s(w, "\\ufffd");
		i++;
	}
}

void json__escape(FILE *f, const char *s, size_t len)
{
	struct json_writer w = { .f = f };

	escape(&w, s, len);
}

void json__init(struct json_writer *w, FILE *f, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
	w->first[0] = true;
}

void json__buffer(struct json_writer *w, char *buf, size_t size)
{
	flush_buf(w);
	w->buf = size ? buf : NULL;
	w->cap = size;
}

static void newline(struct json_writer *w)
{
	if (!w->pretty)
		return;
	put_c(w, '\n');
	for (int i = 0; i < w->depth; i++)
		put_s(w, "  ");
}

/* Separator, indentation and "key": before a value. */
/* The longest key member()'s fast path writes; a longer one takes the general path. */
#define KEY_FAST_MAX 60

static void member(struct json_writer *w, const char *key)
{
	/*
	 * The common case in one pass: compact output, room in the buffer, a
	 * key of plain ASCII (every key jobtrace writes): the separator, the
	 * quoted key and the colon stored as the key is scanned, with no
	 * strlen() and no call per piece (perf, ps --json: a tenth of it).
	 */
	if (!w->pretty && w->buf && w->cap - w->len >= KEY_FAST_MAX + 4) {
		char *d = w->buf + w->len, *start = d;
		const unsigned char *k = (const unsigned char *)key;
		size_t i = 0;

		if (!w->first[w->depth])
			*d++ = ',';
		if (!key) {
			w->first[w->depth] = false;
			w->len += (size_t)(d - start);
			return;
		}
		*d++ = '"';
		for (; i < KEY_FAST_MAX && json_plain[k[i]]; i++)
			d[i] = (char)k[i];
		if (!k[i]) {
			d += i;
			*d++ = '"';
			*d++ = ':';
			w->first[w->depth] = false;
			w->len += (size_t)(d - start);
			return;
		}
		/* Nothing kept: the general path below writes it all. */
	}
	if (!w->first[w->depth])
		put_c(w, ',');
	if (w->depth > 0)
		newline(w);
	w->first[w->depth] = false;
	if (key) {
		put_c(w, '"');
		escape(w, key, strlen(key));
		if (w->pretty)
			put_n(w, "\": ", 3);
		else
			put_n(w, "\":", 2);
	}
}

/* member() for a key quoted by the compiler (JSON_KEY): written as it is. */
static void member_k(struct json_writer *w, const char *qkey, size_t qlen)
{
	/* Compact, with room: the separator and the key stored directly. */
	if (!w->pretty && w->buf && w->cap - w->len > qlen) {
		char *d = w->buf + w->len;

		if (!w->first[w->depth])
			*d++ = ',';
		w->first[w->depth] = false;
		if (qlen <= 32)
			copy_short(d, qkey, qlen);
		else
			memcpy(d, qkey, qlen);
		w->len = (size_t)(d - w->buf) + qlen;
		return;
	}
	if (!w->first[w->depth])
		put_c(w, ',');
	if (w->depth > 0)
		newline(w);
	w->first[w->depth] = false;
	put_n(w, qkey, qlen);
	if (w->pretty)
		put_c(w, ' ');
}

static void open_body(struct json_writer *w, char c)
{
	put_c(w, c);
	if (w->depth + 1 >= JSON_MAX_DEPTH) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	w->first[++w->depth] = true;
}

static void open_scope(struct json_writer *w, const char *key, char c)
{
	member(w, key);
	open_body(w, c);
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
	put_c(w, c);
	/* A whole value is out: the stream has it before its owner writes on. */
	if (w->depth == 0)
		flush_buf(w);
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

void json__begin_array_k(struct json_writer *w, const char *qkey, size_t qlen)
{
	member_k(w, qkey, qlen);
	open_body(w, '[');
}

void json__end_array(struct json_writer *w)
{
	close_scope(w, ']');
}

static void put_string(struct json_writer *w, const char *s, size_t len)
{
	put_c(w, '"');
	escape(w, s, len);
	put_c(w, '"');
}

void json__stringn(struct json_writer *w, const char *key, const char *s, size_t len)
{
	member(w, key);
	put_string(w, s, len);
}

void json__stringn_k(struct json_writer *w, const char *qkey, size_t qlen, const char *s,
		     size_t len)
{
	member_k(w, qkey, qlen);
	put_string(w, s, len);
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
/* "00" to "99": two digits a division. */
static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324"
	"25262728293031323334353637383940414243444546474849"
	"50515253545556575859606162636465666768697071727374"
	"75767778798081828384858687888990919293949596979899";

/*
 * The digits written in place, last first, once their count is known:
 * no copy from a scratch buffer (a memcpy() call a number, perf: most of
 * this function's time).
 */
size_t json__u64_digits(char *out, uint64_t v)
{
	size_t n = 1;
	char *p;

	for (uint64_t ten = 10; n < 20 && v >= ten; ten *= 10)
		n++;
	p = out + n;
	while (v >= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
	return n;
}

static void put_u64(struct json_writer *w, uint64_t v)
{
	char buf[20];

	/* Straight into the buffer where 20 bytes, the most, fit. */
	if (w->buf && w->cap - w->len >= sizeof(buf)) {
		w->len += json__u64_digits(w->buf + w->len, v);
		return;
	}
	put_n(w, buf, json__u64_digits(buf, v));
}

void json__u64(struct json_writer *w, const char *key, uint64_t v)
{
	member(w, key);
	put_u64(w, v);
}

void json__u64_k(struct json_writer *w, const char *qkey, size_t qlen, uint64_t v)
{
	member_k(w, qkey, qlen);
	put_u64(w, v);
}

static void put_i64(struct json_writer *w, int64_t v)
{
	if (v < 0)
		put_c(w, '-');
	put_u64(w, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

void json__i64(struct json_writer *w, const char *key, int64_t v)
{
	member(w, key);
	put_i64(w, v);
}

void json__i64_k(struct json_writer *w, const char *qkey, size_t qlen, int64_t v)
{
	member_k(w, qkey, qlen);
	put_i64(w, v);
}

/* 10^0 .. 10^27: exact as long doubles (a 64-bit mantissa holds 5^27). */
/*
 * The same powers as doubles (exact up to 1e22) for the guess of the
 * decade: a long double's load and conversion each step was most of
 * json__double's time (perf, ps --json: two figures a process).
 */
static const double pow10_d[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
};

static const long double pow10_ld[] = {
	1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L,
	1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
	1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};

/*
 * %.15g's text of @v without printf, where it can be had for sure: |@v| in
 * [1e-13, 1e15) (below 1e-4 in %g's exponent form: a sleeping process's
 * 36 µs of CPU), and not within 1/1000 of a rounding tie in its 15th digit. @v times a power of ten is exact to
 * 2^-64 relative in x86's long double (a 64-bit mantissa: 5e-5 of a unit
 * at most here), far inside that margin; where long double is no wider
 * than double, printf always. false: not written, printf's turn. A ps
 * --json of 5,000 processes spent a tenth of its user time in printf's
 * float code (two doubles a process).
 */
/*
 * Whether long double arithmetic here keeps at least 61 bits of mantissa,
 * as put_g15() needs: asked of the arithmetic itself, once, not of the
 * type's size, which says nothing under valgrind (it computes long double
 * as double: a 15th digit came out one off there) or with double-double.
 */
static bool long_double_wide(void)
{
	static int wide = -1;

	if (wide < 0) {
		volatile long double one = 1.0L, tiny = 0x1p-60L;

		wide = one + tiny != one;
	}
	return wide;
}

static bool put_g15(struct json_writer *w, double v)
{
	size_t last = 14, nwhole;
	long double r, rest;
	uint32_t hi, lo;
	char d[15];
	uint64_t digits;
	bool neg = v < 0;
	int exp10 = 0, scale;

	if (v == 0 && !signbit(v)) {
		put_c(w, '0'); /* a sleeping process's CPU, an unset figure: often */
		return true;
	}
	if (!long_double_wide())
		return false;
	if (neg)
		v = -v;
	if (!(v >= 1e-13 && v < 1e15))
		return false;
	/* A guess of the decade; a wrong one gives 14 or 16 digits below, and printf. */
	if (v >= 1)
		while (exp10 < 14 && v >= pow10_d[exp10 + 1])
			exp10++;
	else
		while (exp10 > -13 && v * pow10_d[-exp10] < 1)
			exp10--;
	scale = 14 - exp10; /* digits after the point: 15 significant in all */
	r = (long double)v * pow10_ld[scale];
	digits = (uint64_t)r;
	rest = r - (long double)digits;
	if (rest > 0.499L && rest < 0.501L)
		return false;
	if (rest >= 0.5L)
		digits++;
	if (digits < 100000000000000ULL || digits >= 1000000000000000ULL)
		return false;
	/*
	 * The 15 digits, most significant first, two at a time: the first 7
	 * and the last 8 in two 32-bit chains the CPU runs side by side, not
	 * one chain of 64-bit divisions (perf: most of json__double's time).
	 */
	hi = (uint32_t)(digits / 100000000);
	lo = (uint32_t)(digits % 100000000);
	for (int i = 13; i > 5; i -= 2) {
		memcpy(d + i, digit_pairs + 2 * (lo % 100), 2);
		lo /= 100;
	}
	for (int i = 5; i > 0; i -= 2) {
		memcpy(d + i, digit_pairs + 2 * (hi % 100), 2);
		hi /= 100;
	}
	d[0] = (char)('0' + hi);
	if (neg)
		put_c(w, '-');
	if (exp10 < 0 && exp10 >= -4) {
		/* 0.000ddd: the point, up to three zeros, the digits. */
		while (d[last] == '0')
			last--;
		put_n(w, "0.000", (size_t)(1 - exp10));
		put_n(w, d, last + 1);
		return true;
	}
	/* d.ddd, or d.ddde-XX: trailing zeros of the fraction dropped as %g drops them. */
	nwhole = exp10 < 0 ? 1 : (size_t)exp10 + 1;
	while (last >= nwhole && d[last] == '0')
		last--;
	put_n(w, d, nwhole);
	if (last >= nwhole) {
		put_c(w, '.');
		put_n(w, d + nwhole, last + 1 - nwhole);
	}
	if (exp10 < -4) {
		put_s(w, "e-");
		put_c(w, (char)('0' + -exp10 / 10));
		put_c(w, (char)('0' + -exp10 % 10));
	}
	return true;
}

static void put_double(struct json_writer *w, double v)
{
	if (!isfinite(v))
		put_s(w, "null");
	else if (!put_g15(w, v)) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%.15g", v);

		put_n(w, buf, (size_t)n);
	}
}

void json__double(struct json_writer *w, const char *key, double v)
{
	member(w, key);
	put_double(w, v);
}

void json__double_k(struct json_writer *w, const char *qkey, size_t qlen, double v)
{
	member_k(w, qkey, qlen);
	put_double(w, v);
}

void json__ns_as_s_k(struct json_writer *w, const char *qkey, size_t qlen, uint64_t ns)
{
	char buf[24], *d = buf + sizeof(buf);
	size_t nd, last;
	int exp10;

	if (ns >= 1000000000000000ULL) {
		json__double_k(w, qkey, qlen, (double)ns / 1e9);
		return;
	}
	member_k(w, qkey, qlen);
	if (!ns) {
		put_c(w, '0');
		return;
	}
	/* The digits of @ns; the value is d.ddd x 10^exp10, as %g sees it. */
	while (ns >= 100) {
		d -= 2;
		memcpy(d, digit_pairs + 2 * (ns % 100), 2);
		ns /= 100;
	}
	if (ns >= 10) {
		d -= 2;
		memcpy(d, digit_pairs + 2 * ns, 2);
	} else {
		*--d = (char)('0' + ns);
	}
	nd = (size_t)(buf + sizeof(buf) - d);
	exp10 = (int)nd - 10;
	for (last = nd - 1; last > 0 && d[last] == '0'; last--)
		;
	if (exp10 < -4) {
		/* d.ddde-XX, as %g writes below 10^-4. */
		put_c(w, d[0]);
		if (last > 0) {
			put_c(w, '.');
			put_n(w, d + 1, last);
		}
		put_s(w, "e-0");
		put_c(w, (char)('0' - exp10));
		return;
	}
	if (exp10 < 0) {
		/* 0.000ddd: the point, up to three zeros, the digits. */
		put_n(w, "0.000", (size_t)(1 - exp10));
		put_n(w, d, last + 1);
		return;
	}
	/* Whole seconds, then the fraction's digits but its trailing zeros. */
	put_n(w, d, (size_t)exp10 + 1);
	if (last > (size_t)exp10) {
		put_c(w, '.');
		put_n(w, d + exp10 + 1, last - (size_t)exp10);
	}
}

void json__bool(struct json_writer *w, const char *key, bool v)
{
	member(w, key);
	put_s(w, v ? "true" : "false");
}

void json__bool_k(struct json_writer *w, const char *qkey, size_t qlen, bool v)
{
	member_k(w, qkey, qlen);
	put_s(w, v ? "true" : "false");
}

void json__null(struct json_writer *w, const char *key)
{
	member(w, key);
	put_s(w, "null");
}

void json__null_k(struct json_writer *w, const char *qkey, size_t qlen)
{
	member_k(w, qkey, qlen);
	put_s(w, "null");
}

void json__resume_array(struct json_writer *w)
{
	w->depth = 1;
	w->first[1] = false;
}

int json__flush_part(struct json_writer *w)
{
	flush_buf(w);
	if (!w->err)
		w->err = util__stream_error(w->f);
	return w->err;
}

int json__finish(struct json_writer *w)
{
	if (w->depth != 0 && !w->err)
		w->err = -EINVAL;
	put_c(w, '\n');
	flush_buf(w);
	if (!w->err)
		w->err = util__stream_error(w->f);
	return w->err;
}
