/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What serve's history writer (sink_history.c) puts into its short lines:
 * numbers, seconds and JSON strings written in place, without printf
 * (user/out/history_text.c). Each returns the end of what it wrote; the
 * caller has made room for the longest.
 */
#ifndef JOBTRACE_HISTORY_TEXT_PRIV_H
#define JOBTRACE_HISTORY_TEXT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PUT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/*
 * A value the lines of a pass mostly share (the second of "time", the
 * boot clock's epoch), kept written: copied, not made again.
 */
struct num_text {
	uint64_t v;
	uint8_t len;
	char s[23];
};

char *history_text__u64(char *p, uint64_t v);
char *history_text__secs(char *p, uint64_t ns);
char *history_text__cached(char *p, struct num_text *c, uint64_t v);
char *history_text__secs_cached(char *p, struct num_text *c, uint64_t ns);
bool history_text__plain(const char *s, size_t n);
char *history_text__str(char *p, const char *s, size_t n);
char *history_text__args(char *p, const char *a, size_t len);

#endif
