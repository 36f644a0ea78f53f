/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_DISKSTATS_H
#define JOBTRACE_DISKSTATS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <linux/types.h>

struct sysfs_dir;

/*
 * Block device I/O counters from /proc/diskstats, with each device classified
 * as a whole disk or a partition from sysfs so that host totals count every
 * I/O once; or, where /proc/diskstats cannot be read, from the same counters
 * in each device's /sys/block/<disk>[/<partition>]/stat. Counters are the
 * kernel's, since boot; event and sector counters wrap at the width of an
 * unsigned long, and byte figures (sectors x 512) wrap with them, so deltas
 * taken modulo 2^64 stay right. The millisecond fields and in_flight are
 * printed as unsigned int: they wrap at 2^32 on every kernel.
 */

/* DISK_NAME_LEN in include/linux/blkdev.h, with its NUL. */
#define DISKSTATS_NAME_MAX 32
/* A bound on a malformed or hostile file; a large SAN host has a few thousand. */
#define DISKSTATS_MAX_DEVICES 65536
/* The kernel always counts in 512-byte sectors here, whatever the device's sector size. */
#define DISKSTATS_SECTOR_BYTES 512

/*
 * Line layouts, by the number of fields including major, minor and name. A
 * sysfs stat file has the same counters without those three: 4, 11, 15 or
 * 17 fields, and its device gets the layout of the matching line.
 */
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

enum diskstats_source {
	DISKSTATS_SRC_PROC,  /* /proc/diskstats */
	DISKSTATS_SRC_SYSFS, /* /sys/block/<disk>/stat and <disk>/<partition>/stat */
};

struct diskstats {
	struct disk_stats *disks; /* heap; diskstats__free() */
	size_t nr;
	/*
	 * Lines of no known layout, or cut short; with sysfs, stat files so,
	 * or that could not be read: skipped.
	 */
	size_t bad_lines;
	enum diskstats_source source;
	int proc_err; /* with DISKSTATS_SRC_SYSFS: why /proc/diskstats was not used (-errno) */
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
/* The same over a sys root as a struct sysfs_dir (sysfs_attr.h): a real one, or an image. */
void diskstats__classify_dir(struct diskstats *ds, const struct sysfs_dir *sys);

/*
 * The counters of one sysfs stat file (@len bytes, one line) into @d: its
 * layout and counters; name, major, minor and kind are left 0. Returns 0 or
 * -EPROTO for a field count of no known layout or a bad number.
 */
int diskstats__parse_stat(const char *buf, size_t len, struct disk_stats *d);

/*
 * Every device under block/ of the sys root @sys_dirfd: each entry is a whole
 * disk (stacked if its slaves/ has entries), and each subdirectory of it
 * named after it with a stat file is a partition. Names are diskstats' ('!'
 * back to '/'); devices are sorted by major, minor and name, and ds->total is
 * computed as diskstats__classify() does. A device that went away while it
 * was read is left out; a stat file of no known layout is a bad line.
 * Returns 0, -errno when block/ cannot be opened, -ENOMEM, -E2BIG.
 */
int diskstats__read_sysfs(int sys_dirfd, struct diskstats *ds);
int diskstats__read_sysfs_dir(const struct sysfs_dir *sys, struct diskstats *ds);

/*
 * Parse + classify, from "diskstats" under @proc_dirfd. When that file cannot
 * be read and @sys_dirfd >= 0, falls back to diskstats__read_sysfs() (as
 * psutil does), with ds->source and ds->proc_err saying so. When both fail,
 * returns the /proc error (or -ENOMEM).
 */
int diskstats__read(int proc_dirfd, int sys_dirfd, struct diskstats *ds);

/* Frees the device array; @ds may be NULL; @ds is left empty and reusable. */
void diskstats__free(struct diskstats *ds);

/* The device named @name, or NULL. */
const struct disk_stats *diskstats__find(const struct diskstats *ds, const char *name);

#ifdef __cplusplus
}
#endif

#endif
