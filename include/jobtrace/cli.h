/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What command lines share (user/lib/cli.c): usage errors and the parsing of numbers. */
#ifndef JOBTRACE_CLI_H
#define JOBTRACE_CLI_H

#ifdef __cplusplus
extern "C" {
#endif

#define EXIT_USAGE 2
#define EXIT_INTERNAL 125 /* jobtrace itself failed, as env(1) and timeout(1) say */

/* "jobtrace: MESSAGE" and a hint to `jobtrace CMD --help`; returns EXIT_USAGE. */
int cli__usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A whole number in [min, max], digits alone; -EINVAL otherwise. */
int cli__parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/*
 * Seconds, a decimal (digits and a point: no blank, sign, exponent or hex)
 * in [min, max]; -EINVAL otherwise.
 */
int cli__parse_seconds(const char *s, double min, double max, double *out);

#ifdef __cplusplus
}
#endif

#endif
