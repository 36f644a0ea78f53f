/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A fixture tree as a struct sysfs_dir image ("path\0content\0" per file),
 * so that a test runs a tree reader over the very bytes a fuzzer would hand
 * it and checks that it answers as it does over the directory itself.
 * Symbolic links to directories are followed, as sysfs's class links are
 * (@depth bounds a loop); any other link is no file. Included by the tests
 * of the readers that take a sysfs_dir (cpufreq, topology, diskstats).
 */
#ifndef JOBTRACE_TEST_SYSFS_IMAGE_H
#define JOBTRACE_TEST_SYSFS_IMAGE_H

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

struct sysfs_image {
	char *buf;
	size_t len;
	FILE *f;
};

static inline void sysfs_image__add_dir(struct sysfs_image *im, int dirfd, const char *rel,
					int depth)
{
	struct dirent *de;
	int fd = dup(dirfd);
	DIR *d;

	assert_true(fd >= 0);
	d = fdopendir(fd);
	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[1024], data[65536];
		struct stat st;
		ssize_t n;
		int sub;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
		if (fstatat(dirfd, de->d_name, &st, 0))
			continue; /* a dangling link */
		if (S_ISDIR(st.st_mode)) {
			if (depth <= 0)
				continue;
			sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			assert_true(sub >= 0);
			sysfs_image__add_dir(im, sub, path, depth - 1);
			close(sub);
			continue;
		}
		sub = openat(dirfd, de->d_name, O_RDONLY | O_CLOEXEC);
		if (sub < 0)
			continue; /* a fixture that is unreadable on purpose */
		n = read(sub, data, sizeof(data));
		close(sub);
		if (n < 0)
			continue;
		fwrite(path, 1, strlen(path) + 1, im->f);
		fwrite(data, 1, (size_t)n, im->f);
		fputc('\0', im->f);
	}
	closedir(d);
}

/* The image of @root (relative to the repository root); free(im->buf) after. */
static inline void sysfs_image__build(struct sysfs_image *im, const char *root)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("cannot open fixture %s: %s", root, strerror(errno));
	im->buf = NULL;
	im->len = 0;
	im->f = open_memstream(&im->buf, &im->len);
	assert_non_null(im->f);
	sysfs_image__add_dir(im, fd, "", 8);
	close(fd);
	assert_int_equal(fclose(im->f), 0);
	im->f = NULL;
}

#endif
