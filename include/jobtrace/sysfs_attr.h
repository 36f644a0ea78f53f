/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_SYSFS_ATTR_H
#define JOBTRACE_SYSFS_ATTR_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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

/*
 * A directory the tree readers (hwmon, battery, cpufreq and topology) walk:
 * a real one (an fd), or an image of one in a buffer, so that the same code
 * reads /sys and a fuzzer's or a test's bytes. An image is a sequence of
 * "path\0content\0" records, paths relative to the image's root and
 * '/'-separated; a directory is any path prefix of a file. The last record's
 * content may run to the buffer's end without its NUL. Nothing in an image is
 * trusted: a path that does not fit, or a record cut short, is no file.
 */
#define SYSFS_DIR_PREFIX 256

struct sysfs_dir {
	int fd; /* the real directory, or -1 for an image */
	bool owned; /* fd was opened by sysfs_dir__open(): sysfs_dir__close() closes it */
	const char *img;
	size_t img_len;
	size_t prefix_len;
	char prefix[SYSFS_DIR_PREFIX]; /* "class/hwmon/hwmon0/": where this dir is in img */
};

/* @fd, borrowed: sysfs_dir__close() leaves it open. */
void sysfs_dir__from_fd(struct sysfs_dir *d, int fd);
/* The root of the image at @img (not copied: it must outlive @d and its subdirs). */
void sysfs_dir__from_image(struct sysfs_dir *d, const void *img, size_t len);
/* The directory @path under @parent; -ENOENT, -ENOTDIR or -ENAMETOOLONG if there is none. */
int sysfs_dir__open(const struct sysfs_dir *parent, const char *path, struct sysfs_dir *out);
/* Closes what sysfs_dir__open() opened; NULL-safe. */
void sysfs_dir__close(struct sysfs_dir *d);
/*
 * Calls @fn with the name of each entry of @d ("." and ".." left out), in no
 * order; an image names each entry once. Stops at @fn's first non-zero
 * return and returns it; else 0, or -errno when @d cannot be listed.
 */
int sysfs_dir__list(const struct sysfs_dir *d, int (*fn)(const char *name, void *ctx), void *ctx);
/* util__read_file_at() over @d: the length, NUL-terminated, or -ENOENT, -EFBIG. */
ssize_t sysfs_dir__read(const struct sysfs_dir *d, const char *path, char *buf, size_t size);
/* The sysfs_attr__read_*() readers over @d. */
int sysfs_dir__read_s64(const struct sysfs_dir *d, const char *path, long long *v);
int sysfs_dir__read_u64(const struct sysfs_dir *d, const char *path, unsigned long long *v);
int sysfs_dir__read_str(const struct sysfs_dir *d, const char *path, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
