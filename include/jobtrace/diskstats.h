/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_DISKSTATS_H
#define JOBTRACE_DISKSTATS_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Block device I/O counters from /proc/diskstats, with each device classified
 * as a whole disk or a partition from sysfs so that host totals count every
 * I/O once. Counters are the kernel's, since boot; they wrap at the width of
 * an unsigned long, and byte figures (sectors x 512) wrap with them, so
 * deltas taken modulo 2^64 stay right.
 */

/* DISK_NAME_LEN in include/linux/blkdev.h, with its NUL. */
#define DISKSTATS_NAME_MAX 32
/* A bound on a malformed or hostile file; a large SAN host has a few thousand. */
#define DISKSTATS_MAX_DEVICES 65536
/* The kernel always counts in 512-byte sectors here, whatever the device's sector size. */
#define DISKSTATS_SECTOR_BYTES 512

/* Line layouts, by the number of fields including major, minor and name. */
enum diskstats_layout {
	DISKSTATS_LAYOUT_PART26 = 7,   /* 2.6 partitions: reads, sectors, writes, sectors */
	DISKSTATS_LAYOUT_BASE = 14,    /* 2.6.25 .. 4.17 (and disks before) */
	DISKSTATS_LAYOUT_DISCARD = 18, /* 4.18+: + discards */
	DISKSTATS_LAYOUT_FLUSH = 20,   /* 5.5+: + flushes */
};

enum disk_kind {
	DISK_KIND_UNKNOWN,   /* not classified (no sysfs seen) */
	DISK_KIND_WHOLE,     /* a whole device: counted in the totals */
	DISK_KIND_PARTITION, /* its I/O is already in its disk's counters */
};

struct disk_stats {
	char name[DISKSTATS_NAME_MAX]; /* as the kernel prints it, '!' or '/' kept */
	__u32 major;
	__u32 minor;
	__u32 layout;  /* enum diskstats_layout */
	__u32 kind;    /* enum disk_kind */
	__u32 stacked; /* 1 if sysfs lists slaves (dm, md): its I/O is theirs too */
	__u32 __pad;
	__u64 reads;	    /* (4) */
	__u64 reads_merged; /* (5) */
	__u64 read_sectors; /* (6) */
	__u64 read_bytes;
	__u64 read_ms;	     /* (7) */
	__u64 writes;	     /* (8) */
	__u64 writes_merged; /* (9) */
	__u64 write_sectors; /* (10) */
	__u64 write_bytes;
	__u64 write_ms;	       /* (11) */
	__u64 in_flight;       /* (12) */
	__u64 busy_ms;	       /* (13) io_ticks */
	__u64 weighted_ms;     /* (14) time_in_queue */
	__u64 discards;	       /* (15) 4.18+ */
	__u64 discards_merged; /* (16) */
	__u64 discard_sectors; /* (17) */
	__u64 discard_bytes;
	__u64 discard_ms; /* (18) */
	__u64 flushes;	  /* (19) 5.5+ */
	__u64 flush_ms;	  /* (20) */
};

struct diskstats {
	struct disk_stats *disks; /* heap; diskstats__free() */
	size_t nr;
	size_t bad_lines; /* lines of no known layout, or cut short: skipped */
	/*
	 * Sum over whole, non-stacked disks; its name is empty, its layout the
	 * smallest among them (fields past it are 0 for some disks).
	 */
	struct disk_stats total;
};

/* Parses /proc/diskstats text into @ds; every device's kind is UNKNOWN. */
int diskstats__parse(const char *buf, size_t len, struct diskstats *ds);

/*
 * Classifies each device from a sysfs root fd and recomputes ds->total: a
 * partition has <sys>/class/block/<name>/partition; without class/block, a
 * name under <sys>/block is a whole disk and anything else a partition; a
 * 7-field line is a partition in any case. A device with entries in
 * class/block/<name>/slaves is stacked. With @sys_dirfd < 0 only the layout
 * rule applies.
 */
void diskstats__classify(struct diskstats *ds, int sys_dirfd);

/* Parse + classify, from "diskstats" under @proc_dirfd. */
int diskstats__read(int proc_dirfd, int sys_dirfd, struct diskstats *ds);

/* Frees the device array; @ds may be NULL; @ds is left empty and reusable. */
void diskstats__free(struct diskstats *ds);

/* The device named @name, or NULL. */
const struct disk_stats *diskstats__find(const struct diskstats *ds, const char *name);

#endif
