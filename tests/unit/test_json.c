// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "jobtrace/json.h"

struct escape_case {
	const char *name;
	const char *in;
	size_t len;
	const char *json;
	const char *text;
};

#define CASE(n, s, j, t) { n, s, sizeof(s) - 1, j, t }

static const struct escape_case escape_cases[] = {
	CASE("plain", "make", "make", "make"),
	CASE("quotes", "say \"hi\"", "say \\\"hi\\\"", "say \"hi\""),
	CASE("backslash", "a\\b", "a\\\\b", "a\\\\b"),
	CASE("newline and tab", "a\nb\tc", "a\\nb\\tc", "a\\x0ab\\x09c"),
	CASE("escape sequence", "\x1b[2Jx", "\\u001b[2Jx", "\\x1b[2Jx"),
	CASE("DEL", "a\x7f", "a\\u007f", "a\\x7f"),
	CASE("valid utf-8", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
	     "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"),
	CASE("lone continuation", "a\x80z", "a\\ufffdz", "a\\x80z"),
	CASE("truncated sequence", "ab\xe2\x9c", "ab\\ufffd\\ufffd", "ab\\xe2\\x9c"),
	CASE("overlong slash", "\xc0\xaf", "\\ufffd\\ufffd", "\\xc0\\xaf"),
	CASE("overlong 3-byte", "\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd", "\\xe0\\x80\\xaf"),
	CASE("surrogate", "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd", "\\xed\\xa0\\x80"),
	CASE("past U+10FFFF", "\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd", "\\xf4\\x90\\x80\\x80"),
	CASE("C1 control", "\xc2\x9b", "\xc2\x9b", "\\xc2\\x9b"),
	CASE("embedded NUL", "a\0b", "a\\u0000b", "a\\x00b"),
	/* Valid UTF-8 that reorders a terminal line: JSON keeps it, text names it. */
	CASE("RLO (Trojan Source)", "ab\xe2\x80\xaegpj.exe", "ab\xe2\x80\xaegpj.exe",
	     "ab\\u202egpj.exe"),
	CASE("LRI..PDI", "\xe2\x81\xa6x\xe2\x81\xa9", "\xe2\x81\xa6x\xe2\x81\xa9",
	     "\\u2066x\\u2069"),
	CASE("RLM, ALM", "\xe2\x80\x8f\xd8\x9c", "\xe2\x80\x8f\xd8\x9c", "\\u200f\\u061c"),
	CASE("line separator", "a\xe2\x80\xa8" "b", "a\xe2\x80\xa8" "b", "a\\u2028b"),
	CASE("neighbours pass", "\xe2\x80\x90\xe2\x80\xaf\xe2\x81\xaa",
	     "\xe2\x80\x90\xe2\x80\xaf\xe2\x81\xaa", "\xe2\x80\x90\xe2\x80\xaf\xe2\x81\xaa"),
};

static void test_escape_table(void **state)
{
	for (size_t i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]); i++) {
		const struct escape_case *c = &escape_cases[i];
		struct capture cap;

		capture__open(&cap);
		json__escape(cap.f, c->in, c->len);
		if (strcmp(capture__close(&cap), c->json) != 0)
			fail_msg("json %s: got '%s', want '%s'", c->name, cap.buf, c->json);
		capture__free(&cap);

		capture__open(&cap);
		text__escape(cap.f, c->in, c->len);
		if (strcmp(capture__close(&cap), c->text) != 0)
			fail_msg("text %s: got '%s', want '%s'", c->name, cap.buf, c->text);
		capture__free(&cap);
	}
}

/*
 * text__escape()'s return is the columns its text takes, for padding: a
 * byte each in ASCII, one a character of several bytes, two a wide one,
 * none a combining mark, and each escape its own length. Counted in bytes,
 * a report's COMMAND column was five short after "\u00e9\u00e9\u00e9\u00e9\u00e9".
 */
static void test_escape_columns(void **state)
{
	static const struct {
		const char *in;
		size_t cols;
	} cases[] = {
		{ "make", 4 },
		{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 5 }, /* five e-acute */
		{ "e\xcc\x81", 1 },				/* e and a combining acute */
		{ "\xe6\xbc\xa2\xe5\xad\x97", 4 },		/* two CJK ideographs */
		{ "\xf0\x9f\x98\x80x", 3 },			/* an emoji, then x */
		{ "a\nb", 6 },					/* a\x0ab */
		{ "\xe2\x80\xae", 6 },				/* \u202e */
		{ "\xff", 4 },					/* \xff */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct capture cap;
		size_t cols;

		capture__open(&cap);
		cols = text__escape(cap.f, cases[i].in, strlen(cases[i].in));
		capture__close(&cap);
		if (cols != cases[i].cols)
			fail_msg("case %zu '%s': %zu columns, want %zu", i, cap.buf, cols,
				 cases[i].cols);
		capture__free(&cap);
	}
}

static void test_document(void **state)
{
	struct json_writer w;
	struct capture cap;

	capture__open(&cap);
	json__init(&w, cap.f, false);
	json__begin_object(&w, NULL);
	json__string(&w, "name", "x\"y");
	json__u64(&w, "big", UINT64_MAX);
	json__i64(&w, "neg", -5);
	json__double(&w, "half", 0.5);
	json__double(&w, "nan", 0.0 / 0.0);
	json__bool(&w, "yes", true);
	json__null(&w, "none");
	json__string(&w, "nullstr", NULL);
	json__begin_array(&w, "list");
	json__u64(&w, NULL, 1);
	json__begin_object(&w, NULL);
	json__end_object(&w);
	json__begin_array(&w, NULL);
	json__end_array(&w);
	json__end_array(&w);
	json__end_object(&w);
	assert_int_equal(json__finish(&w), 0);
	assert_string_equal(capture__close(&cap),
			    "{\"name\":\"x\\\"y\",\"big\":18446744073709551615,\"neg\":-5,"
			    "\"half\":0.5,\"nan\":null,\"yes\":true,\"none\":null,\"nullstr\":null,"
			    "\"list\":[1,{},[]]}\n");
	capture__free(&cap);
}

/*
 * One document with every kind of value, escapes and a long string among
 * them; with @k, the members' keys through the JSON_KEY calls.
 */
static void write_mixed_keys(struct json_writer *w, bool close_only, bool k)
{
	char long_arg[300];

	memset(long_arg, 'a', sizeof(long_arg));
	long_arg[7] = '\n';
	long_arg[50] = '\x01';
	json__begin_array(w, NULL);
	for (int i = 0; i < 40; i++) {
		json__begin_object(w, NULL);
		k ? json__i64_k(w, JSON_KEY("pid"), -i) : json__i64(w, "pid", -i);
		k ? json__u64_k(w, JSON_KEY("rss_bytes"), UINT64_MAX - (uint64_t)i) :
		    json__u64(w, "rss_bytes", UINT64_MAX - (uint64_t)i);
		k ? json__stringn_k(w, JSON_KEY("comm"), "say \"hi\"\\\x1b\xff", 11) :
		    json__string(w, "comm", "say \"hi\"\\\x1b\xff");
		k ? json__double_k(w, JSON_KEY("cpu_s"), 0.000036 * i) :
		    json__double(w, "cpu_s", 0.000036 * i);
		k ? json__double_k(w, JSON_KEY("start_time"), 1796550565.26021 + i) :
		    json__double(w, "start_time", 1796550565.26021 + i);
		k ? json__double_k(w, JSON_KEY("odd"), 1e300 * i) : json__double(w, "odd", 1e300 * i);
		k ? json__begin_array_k(w, JSON_KEY("args")) : json__begin_array(w, "args");
		json__stringn(w, NULL, long_arg, sizeof(long_arg));
		json__end_array(w);
		k ? json__bool_k(w, JSON_KEY("kernel_thread"), i & 1) :
		    json__bool(w, "kernel_thread", i & 1);
		k ? json__null_k(w, JSON_KEY("host_pid")) : json__null(w, "host_pid");
		json__end_object(w);
	}
	json__end_array(w);
	if (!close_only)
		json__finish(w);
}

static void write_mixed(struct json_writer *w, bool close_only)
{
	write_mixed_keys(w, close_only, false);
}

/* Keys quoted by the compiler write the same bytes, compact or pretty, buffered or not. */
static void test_quoted_keys_are_the_same(void **state)
{
	static const size_t sizes[] = { 0, 7, 1 << 16 };
	static char buf[1 << 16];
	struct json_writer w;
	struct capture plain, cap;

	for (int pretty = 0; pretty < 2; pretty++) {
		capture__open(&plain);
		json__init(&w, plain.f, pretty);
		write_mixed_keys(&w, false, false);
		assert_int_equal(w.err, 0);
		capture__close(&plain);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			capture__open(&cap);
			json__init(&w, cap.f, pretty);
			json__buffer(&w, buf, sizes[i]);
			write_mixed_keys(&w, false, true);
			assert_int_equal(w.err, 0);
			assert_string_equal(capture__close(&cap), plain.buf);
			capture__free(&cap);
		}
		capture__free(&plain);
	}
}

/*
 * json__buffer: the same bytes as the unbuffered writer, whatever the
 * buffer's size (one smaller than a value goes straight through), and the
 * stream holds the whole value once its outermost scope closes.
 */
static void test_buffered_is_the_same(void **state)
{
	static const size_t sizes[] = { 1, 7, 64, 1000, 1 << 16 };
	struct json_writer w;
	struct capture plain, cap;
	char buf[1 << 16];

	capture__open(&plain);
	json__init(&w, plain.f, false);
	write_mixed(&w, false);
	assert_int_equal(w.err, 0);
	capture__close(&plain);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		capture__open(&cap);
		json__init(&w, cap.f, false);
		json__buffer(&w, buf, sizes[i]);
		write_mixed(&w, true);
		assert_int_equal(w.len, 0); /* the outermost close handed it all on */
		assert_int_equal(json__finish(&w), 0);
		assert_string_equal(capture__close(&cap), plain.buf);
		capture__free(&cap);
	}
	capture__free(&plain);
}

static void test_pretty(void **state)
{
	struct json_writer w;
	struct capture cap;

	capture__open(&cap);
	json__init(&w, cap.f, true);
	json__begin_object(&w, NULL);
	json__begin_object(&w, "a");
	json__u64(&w, "b", 1);
	json__end_object(&w);
	json__end_object(&w);
	assert_int_equal(json__finish(&w), 0);
	assert_string_equal(capture__close(&cap), "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n");
	capture__free(&cap);
}

static void test_misuse_is_reported(void **state)
{
	struct json_writer w;
	struct capture cap;

	capture__open(&cap);
	json__init(&w, cap.f, false);
	json__begin_object(&w, NULL);
	assert_int_equal(json__finish(&w), -EINVAL); /* unclosed object */
	capture__close(&cap);
	capture__free(&cap);

	capture__open(&cap);
	json__init(&w, cap.f, false);
	json__end_array(&w); /* nothing open */
	assert_int_equal(json__finish(&w), -EINVAL);
	capture__close(&cap);
	capture__free(&cap);

	capture__open(&cap);
	json__init(&w, cap.f, false);
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		json__begin_array(&w, NULL);
	assert_int_equal(json__finish(&w), -EINVAL); /* too deep */
	capture__close(&cap);
	capture__free(&cap);
}

/* One value as json__double() writes it, beside printf's %.15g of it. */
static void check_double(double v)
{
	char want[64], got[64];
	size_t n = 0;
	FILE *f = fmemopen(got, sizeof(got), "w");
	struct json_writer w;

	assert_non_null(f);
	json__init(&w, f, false);
	json__double(&w, NULL, v);
	n = (size_t)ftell(f);
	fclose(f);
	got[n < sizeof(got) ? n : sizeof(got) - 1] = '\0';
	if (isfinite(v))
		snprintf(want, sizeof(want), "%.15g", v);
	else
		snprintf(want, sizeof(want), "null");
	if (strcmp(got, want))
		fail_msg("%a: json__double wrote %s, %%.15g %s", v, got, want);
}

/*
 * json__double's own digits (no printf where it can be sure) are %.15g's,
 * byte for byte: the ns figures records carry (CPU seconds, epoch times),
 * their ties and powers of ten, and random doubles of every decade.
 */
static void test_double_is_g15(void **state)
{
	static const double fixed[] = {
		0, -0.0, 1, -1, 0.5, 0.1, 0.0001, 0.00009999999999999999, 0.000123456789012345678,
		1e-5, 3.6374e-05, 1e-13, 9.99999999999999e-14, 1.00000000000001e-13, 9.99999999999999e14, 999999999999999.4, 999999999999999.6, 1e15, 1e14,
		123456789012345.5, 0.3, 2.5, 1e-4 * 1.0000000000000002, 1796550555.59446,
		1796550555.594465, 1796550555.594455, 237.14, 4.0000000000000005, 1e300, -1e-300,
		NAN, INFINITY, 0.1 + 0.2, 100, 1e10, 99999.99999999999, 9.999999999999999,
	};
	unsigned long long x = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check_double(fixed[i]);
	/* Whole ns as seconds, as cpu_s and start_time are made. */
	for (unsigned long long ns = 0; ns < (unsigned long long)testutil__cases(3000000); ns += 7)
		check_double((double)ns / 1e9);
	for (int e = -16; e <= 16; e++)
		for (int m = 1; m <= 99; m++)
			check_double(m * pow(10, e)), check_double(-m * pow(10, e) / 7);
	for (long i = 0; i < testutil__cases(300000); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		check_double((double)(1796550000000000000ULL + x % 100000000000000ULL) / 1e9);
		check_double((double)(x % 100000000000000000ULL) / 1e9);
		/* Any double from 1e-15 to 1e16: every branch, the decade guesses' edges. */
		check_double(ldexp((double)(x >> 11) / 9007199254740992.0 + 1, (int)(x % 104) - 50));
		check_double((double)(x % 1000000) * 0.05);
	}
}

static void check_i64(int64_t v)
{
	char want[32], got[32], buf[64];
	FILE *f = fmemopen(got, sizeof(got), "w");
	struct json_writer w;
	size_t n;

	assert_non_null(f);
	json__init(&w, f, false);
	json__i64(&w, NULL, v);
	n = (size_t)ftell(f);
	fclose(f);
	got[n < sizeof(got) ? n : sizeof(got) - 1] = '\0';
	snprintf(want, sizeof(want), "%" PRId64, v);
	if (strcmp(got, want))
		fail_msg("json__i64 wrote %s, printf %s", got, want);
	/* Through a buffer, where the digits are written in place. */
	f = fmemopen(got, sizeof(got), "w");
	assert_non_null(f);
	json__init(&w, f, false);
	json__buffer(&w, buf, sizeof(buf));
	json__i64(&w, NULL, v);
	json__buffer(&w, NULL, 0);
	n = (size_t)ftell(f);
	fclose(f);
	got[n < sizeof(got) ? n : sizeof(got) - 1] = '\0';
	if (strcmp(got, want))
		fail_msg("buffered json__i64 wrote %s, printf %s", got, want);
}

/* json__ns_as_s_k(@ns) against json__double_k(@ns / 1e9): the same text. */
static void check_ns(uint64_t ns)
{
	char want[64], got[64];
	struct json_writer w;
	FILE *f;
	size_t n;

	f = fmemopen(want, sizeof(want), "w");
	assert_non_null(f);
	json__init(&w, f, false);
	json__double_k(&w, JSON_KEY("s"), (double)ns / 1e9);
	n = (size_t)ftell(f);
	fclose(f);
	want[n < sizeof(want) ? n : sizeof(want) - 1] = '\0';
	f = fmemopen(got, sizeof(got), "w");
	assert_non_null(f);
	json__init(&w, f, false);
	json__ns_as_s_k(&w, JSON_KEY("s"), ns);
	n = (size_t)ftell(f);
	fclose(f);
	got[n < sizeof(got) ? n : sizeof(got) - 1] = '\0';
	if (strcmp(got, want))
		fail_msg("%llu ns: json__ns_as_s_k wrote %s, json__double_k %s",
			 (unsigned long long)ns, got, want);
}

/* Nanoseconds as seconds from the integer's digits: every length, both forms, the edges. */
static void test_ns_as_s_is_double(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, p = 1;

	for (uint64_t ns = 0; ns < (uint64_t)testutil__cases(200000); ns++)
		check_ns(ns);
	for (int i = 0; i < 20; i++, p *= 10)
		for (int d = -3; d <= 3; d++)
			check_ns(p + (uint64_t)d), check_ns(p * 7 + (uint64_t)d);
	check_ns(UINT64_MAX);
	for (long i = 0; i < testutil__cases(200000); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		check_ns(x % 1000000000000000ULL), check_ns(x >> (x % 64));
		check_ns(x % 1000000000000ULL / 1000 * 1000);
	}
}

/* Integers, two digits at a time, are printf's: every length, every edge. */
static void test_integers_as_printf(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, p = 1;

	for (int64_t v = -1000; v <= testutil__cases(100000); v++)
		check_i64(v);
	for (int i = 0; i < 19; i++, p *= 10) {
		check_i64((int64_t)p - 1), check_i64((int64_t)p), check_i64((int64_t)p + 1);
		check_i64(-(int64_t)p), check_i64(-(int64_t)p + 1);
	}
	check_i64(INT64_MAX), check_i64(INT64_MIN), check_i64(INT64_MIN + 1);
	for (long i = 0; i < testutil__cases(100000); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		check_i64((int64_t)x), check_i64((int64_t)(x >> (x % 64)));
	}
}

/* text__fit(): whole characters within the columns, a wide one two of them. */
static void test_text_fit(void **state)
{
	static const struct {
		const char *s;
		size_t cols, bytes;
	} cases[] = {
		{ "abcdef", 4, 4 },
		{ "abc", 10, 3 },
		{ "", 3, 0 },
		{ "ab", 0, 0 },
		{ "caf\xc3\xa9 ok", 4, 5 },	 /* é: 2 bytes, 1 column */
		{ "caf\xc3\xa9 ok", 3, 3 },	 /* never half of it */
		{ "\xe4\xb8\xad\xe6\x96\x87", 3, 3 }, /* 中文: 2 columns each */
		{ "\xe4\xb8\xad\xe6\x96\x87", 4, 6 },
		{ "e\xcc\x81x", 1, 3 },		 /* a combining accent takes none */
		{ "\\xff\\xfe", 4, 4 },		 /* text__escape()'s escapes, plain ASCII */
		{ "ab\\x1b", 5, 2 },		 /* never half an escape */
		{ "ab\\u202e", 7, 2 },
		{ "ab\\u202e", 8, 8 },
		{ "a\\\\b", 2, 1 },
		{ "\xff" "ab", 2, 2 },		 /* not UTF-8: a byte a column */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = text__fit(cases[i].s, strlen(cases[i].s), cases[i].cols);

		if (n != cases[i].bytes)
			fail_msg("case %zu: %zu bytes fit in %zu columns, want %zu", i, n,
				 cases[i].cols, cases[i].bytes);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_table),
		cmocka_unit_test(test_escape_columns),
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_buffered_is_the_same),
		cmocka_unit_test(test_misuse_is_reported),
		cmocka_unit_test(test_double_is_g15),
		cmocka_unit_test(test_integers_as_printf),
		cmocka_unit_test(test_quoted_keys_are_the_same),
		cmocka_unit_test(test_ns_as_s_is_double),
		cmocka_unit_test(test_text_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
