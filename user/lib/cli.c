// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What command lines share (include/jobtrace/cli.h): the usage error, and
 * the numbers of a command line and of a config file, pure parsers below
 * every layer, so that an output parsing its own option (ApMon's port)
 * does not reach up into the commands.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "jobtrace/cli.h"

int cli__usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("jobtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'jobtrace %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

/*
 * Digits, with at most one point ("5", "0.5", ".5"): what a person writes.
 * strtod() and strtoul() take more, none of it meant on a command line:
 * leading blanks (' 1'), a sign, and strtod hex ("0x10" is 16 s), an
 * exponent, "inf" and "nan".
 */
static bool is_decimal(const char *s, bool point_ok)
{
	bool digit = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = true;
		else if (*s == '.' && point_ok)
			point_ok = false;
		else
			return false;
	}
	return digit;
}

int cli__parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!is_decimal(s, false))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli__parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!is_decimal(s, true))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}
