/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_FSUSAGE_H
#define JOBTRACE_FSUSAGE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <linux/types.h>
#include <sys/statvfs.h>

/* The mount table, which the users of fsusage read beside it. */
#include "jobtrace/mountinfo.h"

/* File system usage as df(1) reports it. */

struct fsusage {
	__u64 total_bytes; /* f_blocks x block size */
	__u64 used_bytes;  /* (f_blocks - f_bfree) x block size */
	__u64 avail_bytes; /* f_bavail x block size: free to an unprivileged user */
	/* Blocks only root may use; total != used + avail by this much. */
	__u64 reserved_bytes;
	__u64 block_bytes; /* f_frsize, or f_bsize where f_frsize is 0 */
	__u64 inodes_total;
	__u64 inodes_used;
	__u64 inodes_free;
	/* Percent of used + avail in use, rounded up as df does; -1 where df shows "-". */
	__s32 used_pct;
	__s32 inodes_used_pct;
};

/* Pure: @sv to @fu. -EOVERFLOW if a size does not fit in 64 bits. */
int fsusage__from_statvfs(const struct statvfs *sv, struct fsusage *fu);

/* statvfs(@path) then fsusage__from_statvfs(). */
int fsusage__stat(const char *path, struct fsusage *fu);

#ifdef __cplusplus
}
#endif

#endif
