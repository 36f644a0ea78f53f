/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What every cmocka test file includes, in the order cmocka needs. */
#ifndef JOBTRACE_TESTUTIL_H
#define JOBTRACE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

/* Directory of the fixture trees; tests run from the repository root. */
#ifndef FIXTURES
#define FIXTURES "tests/fixtures"

/*
 * A test's cjob made as the job table makes one, its key's room right
 * after it (calloc(1, sizeof(*j) + CJOB_KEY_SIZE)): that room, writable,
 * where job.key points.
 */
#define TEST_CJOB_KEY(j) ((char *)((j) + 1))
#endif

/*
 * How many cases a property test (a loop comparing against printf over
 * hundreds of thousands of values) runs: all of them, or a fiftieth where
 * tests/run.sh runs it under valgrind (JT_UNDER_VALGRIND=1), 50 times
 * slower, after the ASan run has compared them all. test_json's loops took
 * 154 s of make test under valgrind.
 */
static inline long testutil__cases(long n)
{
	return getenv("JT_UNDER_VALGRIND") ? n / 50 + 1 : n;
}

/* Captures what a writer prints to a FILE * into a NUL-terminated string. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static inline void capture__open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static inline const char *capture__close(struct capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	c->f = NULL;
	return c->buf;
}

static inline void capture__free(struct capture *c)
{
	free(c->buf);
	c->buf = NULL;
}

#endif
