// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

/* Room for any integer attribute; a longer file is not a number anyway. */
#define NUM_BUF_SIZE 64

/* After strto*(): the rest of the buffer may only be whitespace. */
static int check_end(const char *buf, const char *end)
{
	if (end == buf)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -EINVAL : 0;
}

int sysfs_attr__parse_s64(const char *buf, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(buf, &end, 10);
	if (errno)
		return -EINVAL;
	return check_end(buf, end);
}

int sysfs_attr__parse_u64(const char *buf, unsigned long long *v)
{
	const char *p = buf;
	char *end;

	/* strtoull() accepts "-1" and returns ULLONG_MAX: refuse any sign. */
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-' || *p == '+')
		return -EINVAL;
	errno = 0;
	*v = strtoull(p, &end, 10);
	if (errno)
		return -EINVAL;
	return check_end(p, end);
}

int sysfs_attr__read_s64(int dirfd, const char *path, long long *v)
{
	char buf[NUM_BUF_SIZE];
	ssize_t n = util__read_file_at(dirfd, path, buf, sizeof(buf));

	if (n < 0)
		return n == -EFBIG ? -EINVAL : (int)n;
	return sysfs_attr__parse_s64(buf, v);
}

int sysfs_attr__read_u64(int dirfd, const char *path, unsigned long long *v)
{
	char buf[NUM_BUF_SIZE];
	ssize_t n = util__read_file_at(dirfd, path, buf, sizeof(buf));

	if (n < 0)
		return n == -EFBIG ? -EINVAL : (int)n;
	return sysfs_attr__parse_u64(buf, v);
}

int sysfs_attr__read_str(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t n = util__read_file_at(dirfd, path, buf, size);

	if (n < 0)
		return (int)n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}
