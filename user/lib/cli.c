// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What command lines share (include/jobtrace/cli.h): the usage error, the
 * numbers of a command line and of a config file, pure parsers below
 * every layer, so that an output parsing its own option (ApMon's port)
 * does not reach up into the commands, and whether two output paths are
 * one file.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* What a path names as an output: a file by its inode, or a name yet to be made. */
struct out_key {
	bool none; /* shares its open file description, or is a device: no clash */
	bool made;
	dev_t dev;
	ino_t ino;
	char name[PATH_MAX + NAME_MAX + 2];
};

static void out_key(const char *path, struct out_key *k)
{
	static const char *const shared[] = { "/dev/stdout", "/dev/stderr", "/dev/fd/",
					      "/proc/self/fd/" };
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	struct stat st;

	memset(k, 0, sizeof(*k));
	/*
	 * "-" is one stream, and a descriptor named (/dev/stdout, /dev/fd/N)
	 * is duplicated, keeping one offset: their records interleave whole.
	 */
	k->none = !strcmp(path, "-");
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]) && !k->none; i++)
		k->none = !strncmp(path, shared[i], strlen(shared[i]));
	if (k->none)
		return;
	/* The link itself: the sinks never follow one. */
	if (!lstat(path, &st)) {
		k->none = S_ISCHR(st.st_mode);
		k->made = true;
		k->dev = st.st_dev;
		k->ino = st.st_ino;
		return;
	}
	/* Not there yet: its directory's real path and its name ("F" is "./F"). */
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1,
		 slash ? path : ".");
	if (realpath(dir, k->name))
		snprintf(k->name + strlen(k->name), sizeof(k->name) - strlen(k->name), "/%s",
			 slash ? slash + 1 : path);
	else
		snprintf(k->name, sizeof(k->name), "%s", path);
}

bool cli__same_file(const char *a, const char *b)
{
	struct out_key ka, kb;

	out_key(a, &ka);
	out_key(b, &kb);
	if (ka.none || kb.none || ka.made != kb.made)
		return false;
	if (ka.made)
		return ka.dev == kb.dev && ka.ino == kb.ino;
	return !strcmp(ka.name, kb.name);
}
