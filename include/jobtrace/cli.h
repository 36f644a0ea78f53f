/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What command lines share (user/lib/cli.c): usage errors, numbers, output paths. */
#ifndef JOBTRACE_CLI_H
#define JOBTRACE_CLI_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>

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

/*
 * Whether output paths @a and @b are one file, each opened on its own, so
 * that each would overwrite what the other wrote: the same inode, or the
 * same name in the same directory for one not made yet. "-", a named
 * descriptor (/dev/stdout, /dev/fd/N) and a device are never a clash.
 */
bool cli__same_file(const char *a, const char *b);

#ifdef __cplusplus
}
#endif

#endif
