// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_table),
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_misuse_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
