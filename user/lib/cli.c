// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What command lines share (include/jobtrace/cli.h): the usage error, and
 * the numbers of a command line and of a config file, pure parsers below
 * every layer, so that an output parsing its own option (ApMon's port)
 * does not reach up into the commands.
 */
#include <errno.h>
#include <stdarg.h>
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

int cli__parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-')
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

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}
