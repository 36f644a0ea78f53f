// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/cli.h"
#include "jobtrace/lineage.h"

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

int cli__kernel_limit(const char *cmd, const char *name, const char *arg, struct lineage_opts *lo)
{
	static const struct {
		const char *name, *what;
		unsigned long min, max;
	} limits[] = {
		{ "ring-kb", "a size in KiB", 4, 1UL << 20 },
		{ "max-procs", "a number", 64, 1UL << 22 },
		{ "max-jobs", "a number", 2, 1UL << 20 },
	};
	unsigned long v;

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		if (strcmp(name, limits[i].name))
			continue;
		if (cli__parse_uint(arg, limits[i].min, limits[i].max, &v))
			return cli__usage_error(cmd, "--%s takes %s from %lu to %lu, not '%s'", name,
						limits[i].what, limits[i].min, limits[i].max, arg);
		if (i == 0)
			lo->ring_bytes = (__u32)(v * 1024);
		else if (i == 1)
			lo->max_procs = (__u32)v;
		else
			lo->max_jobs = (__u32)v;
		return 0;
	}
	return cli__usage_error(cmd, "unknown option '--%s'", name);
}
