/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_SYSFS_ATTR_H
#define JOBTRACE_SYSFS_ATTR_H

#include <stddef.h>

/*
 * Readers for one-value sysfs attributes ("12345\n"), shared by the netdev,
 * hwmon and battery samplers. All return 0 or a negative errno: the read's
 * own error (-ENOENT, -EINVAL from a down link's speed, -EIO or -ENODATA from
 * a sensor that cannot answer), or -EINVAL for text that is not one number.
 */

/* Parses one decimal integer with optional surrounding whitespace. */
int sysfs_attr__parse_s64(const char *buf, long long *v);
int sysfs_attr__parse_u64(const char *buf, unsigned long long *v);

int sysfs_attr__read_s64(int dirfd, const char *path, long long *v);
int sysfs_attr__read_u64(int dirfd, const char *path, unsigned long long *v);

/*
 * Reads a one-line text attribute into @buf with the trailing newline
 * removed. An attribute longer than @size - 1 bytes is -EFBIG, not cut.
 */
int sysfs_attr__read_str(int dirfd, const char *path, char *buf, size_t size);

#endif
