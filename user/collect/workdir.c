// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A job's work directory at its end: see include/jobtrace/workdir.h. */
#include <errno.h>
#include <ftw.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobtrace/fsusage.h"
#include "jobtrace/workdir.h"

/* nftw has no context argument: one walk at a time. */
static struct workdir_usage *walk_out;
static void *walk_seen; /* tsearch tree of (dev, ino) of files with more than one link */

struct inode_id {
	dev_t dev;
	ino_t ino;
};

static int inode_cmp(const void *a, const void *b)
{
	const struct inode_id *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return (x->ino > y->ino) - (x->ino < y->ino);
}

static int walk_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	struct inode_id *id;
	void **found;

	if (type == FTW_NS || type == FTW_DNR) {
		walk_out->errors++;
		return 0;
	}
	/* A file with several links is counted once, as du does. */
	if (type == FTW_F && sb->st_nlink > 1) {
		id = malloc(sizeof(*id));
		if (!id)
			return -1;
		id->dev = sb->st_dev;
		id->ino = sb->st_ino;
		found = tsearch(id, &walk_seen, inode_cmp);
		if (!found) {
			free(id);
			return -1;
		}
		if (*found != id) {
			free(id);
			return 0;
		}
	}
	walk_out->size_bytes += (__u64)sb->st_blocks * 512;
	walk_out->apparent_bytes += (__u64)sb->st_size;
	if (type == FTW_F || type == FTW_SL)
		walk_out->files++;
	return 0;
}

int workdir__usage(const char *path, struct workdir_usage *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	walk_out = out;
	walk_seen = NULL;
	errno = 0;
	if (nftw(path, walk_one, 32, FTW_PHYS | FTW_MOUNT))
		err = errno ? -errno : -ENOMEM;
	else
		err = 0;
	tdestroy(walk_seen, free);
	walk_seen = NULL;
	walk_out = NULL;
	if (err)
		return err;
	out->fs_ok = fsusage__stat(path, &out->fs) == 0;
	return 0;
}
