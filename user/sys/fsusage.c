// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * File system usage from statvfs(3), computed as df(1) does. The mount
 * table is user/proc/mountinfo.c's.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/fsusage.h"
#include "jobtrace/util.h"

/*
 * ceil(100 * used / (used + avail)), df's "Use%": the share of what a user
 * could ever have, so reserved blocks count neither way. -1 when there is
 * nothing to share (pseudo file systems report 0 blocks).
 */
static __s32 used_percent(__u64 used, __u64 avail)
{
	__u64 whole, u100;

	if (__builtin_add_overflow(used, avail, &whole))
		return (__s32)ceill(100.0L * (long double)used /
				    ((long double)used + (long double)avail));
	if (whole == 0)
		return -1;
	if (__builtin_mul_overflow(used, 100, &u100))
		return (__s32)ceill(100.0L * (long double)used / (long double)whole);
	return (__s32)(u100 / whole + (u100 % whole != 0));
}

int fsusage__from_statvfs(const struct statvfs *sv, struct fsusage *fu)
{
	/* Some file systems leave f_frsize 0; df falls back to f_bsize too. */
	__u64 bs = sv->f_frsize ? sv->f_frsize : sv->f_bsize;
	__u64 blocks = sv->f_blocks, bfree = sv->f_bfree, bavail = sv->f_bavail;
	/* A file system with more free than total blocks is lying; call it empty. */
	__u64 used = blocks > bfree ? blocks - bfree : 0;
	__u64 reserved = bfree > bavail ? bfree - bavail : 0;

	memset(fu, 0, sizeof(*fu));
	if (__builtin_mul_overflow(blocks, bs, &fu->total_bytes) ||
	    __builtin_mul_overflow(used, bs, &fu->used_bytes) ||
	    __builtin_mul_overflow(bavail, bs, &fu->avail_bytes) ||
	    __builtin_mul_overflow(reserved, bs, &fu->reserved_bytes))
		return -EOVERFLOW;
	fu->block_bytes = bs;
	/* In blocks, as df does, so 100 x used overflows only past 2^57 blocks. */
	fu->used_pct = used_percent(used, bavail);

	/* df -i: avail is f_ffree, not f_favail. btrfs and others report 0 inodes. */
	fu->inodes_total = sv->f_files;
	fu->inodes_free = sv->f_ffree;
	fu->inodes_used = sv->f_files > sv->f_ffree ? sv->f_files - sv->f_ffree : 0;
	fu->inodes_used_pct = used_percent(fu->inodes_used, fu->inodes_free);
	return 0;
}

int fsusage__stat(const char *path, struct fsusage *fu)
{
	struct statvfs sv;

	if (statvfs(path, &sv))
		return -errno;
	return fsusage__from_statvfs(&sv, fu);
}
