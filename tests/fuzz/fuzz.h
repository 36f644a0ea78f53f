/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c, `make fuzz`). A
 * target that fuzzes several parsers of one family takes the first byte of
 * the input as the choice of parser and hands it the rest, so one corpus
 * (tests/fuzz/seeds.sh prefixes each fixture with its byte) covers all of them.
 */
#ifndef JOBTRACE_FUZZ_H
#define JOBTRACE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The input as a heap string with a NUL after it, for parsers whose contract
 * is a C string (their real callers read files that util__read_file_at()
 * terminates). A NUL inside the input just ends the string early.
 */
static inline char *fuzz__cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * The input as an exact-size heap copy: a parser that reads one byte past
 * @size trips ASan, which it would not on libFuzzer's own buffer only by
 * luck of alignment (it is exact-size too, but this says so).
 */
static inline char *fuzz__copy(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	return s;
}

/* Splits off the first byte as a choice among @n parsers; false on empty input. */
static inline int fuzz__pick(const uint8_t **data, size_t *size, unsigned int n)
{
	unsigned int pick;

	if (*size == 0)
		return -1;
	pick = (*data)[0] % n;
	(*data)++;
	(*size)--;
	return (int)pick;
}

/*
 * The next part of an input that holds several files, each ended by a NUL
 * byte (the last one by the input's end): cgroupfs__find() takes two.
 */
static inline void fuzz__next_part(const uint8_t **data, size_t *size, const char **part,
				   size_t *len)
{
	const uint8_t *nul = memchr(*data, '\0', *size);
	size_t n = nul ? (size_t)(nul - *data) : *size;

	*part = (const char *)*data;
	*len = n;
	*data += nul ? n + 1 : n;
	*size -= nul ? n + 1 : n;
}

#endif

/*
 * Outside the guard: tests/unit/test_fuzz_regressions.c includes every target
 * with LLVMFuzzerTestOneInput renamed, and each needs its prototype.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
