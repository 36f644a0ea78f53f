// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Block device counters from /proc/diskstats (block/genhd.c diskstats_show),
 * classified as whole disks or partitions from sysfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "jobtrace/diskstats.h"
#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

/* About 150 bytes a line: DISKSTATS_MAX_DEVICES lines fit. */
#define DISKSTATS_FILE_MAX (16U << 20)
/* More fields than the newest layout are a later kernel's additions, ignored. */
#define DISKSTATS_MAX_FIELDS 20
/* The same, without major, minor and name: what a sysfs stat file holds. */
#define DISKSTATS_MAX_COUNTERS (DISKSTATS_MAX_FIELDS - 3)

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Whole decimal token [s, end) -> *v; false if empty, not all digits, or past 2^64. */
static bool token_u64(const char *s, const char *end, __u64 *v)
{
	__u64 n = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (__builtin_mul_overflow(n, 10, &n) ||
		    __builtin_add_overflow(n, (__u64)(*s - '0'), &n))
			return false;
	}
	*v = n;
	return true;
}

/*
 * Splits [p, end) at blanks into at most @max tokens. Returns how many there
 * are, but no more than @max + 1: "more than @max" is all a caller needs.
 */
static size_t split_fields(const char *p, const char *end, const char **tok, const char **tok_end,
			   size_t max)
{
	size_t n = 0;

	while (p < end) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			break;
		if (n == max)
			return max + 1;
		tok[n] = p;
		while (p < end && !is_blank(*p))
			p++;
		tok_end[n++] = p;
	}
	return n;
}

/*
 * The counters of one device, fields (4) onwards of a diskstats line and all
 * of a sysfs stat file, @n of them: 4 (a 2.6 partition), 11, 15, or 17 and
 * more (later fields ignored). Fills @d's counters and layout and clears the
 * rest; false for another count or a bad number.
 */
static bool parse_counters(const char *const *tok, const char *const *tok_end, size_t n,
			   struct disk_stats *d)
{
	__u64 v[DISKSTATS_MAX_COUNTERS] = { 0 };

	if (n != DISKSTATS_LAYOUT_PART26 - 3 && n != DISKSTATS_LAYOUT_BASE - 3 &&
	    n != DISKSTATS_LAYOUT_DISCARD - 3 && n < DISKSTATS_MAX_COUNTERS)
		return false;
	if (n > DISKSTATS_MAX_COUNTERS)
		n = DISKSTATS_MAX_COUNTERS;
	for (size_t i = 0; i < n; i++)
		if (!token_u64(tok[i], tok_end[i], &v[i]))
			return false;

	memset(d, 0, sizeof(*d));
	d->layout = (__u32)n + 3;
	d->kind = DISK_KIND_UNKNOWN;
	if (n == DISKSTATS_LAYOUT_PART26 - 3) {
		/* (4) reads issued (5) sectors read (6) writes issued (7) sectors written */
		d->reads = v[0];
		d->read_sectors = v[1];
		d->writes = v[2];
		d->write_sectors = v[3];
	} else {
		d->reads = v[0];
		d->reads_merged = v[1];
		d->read_sectors = v[2];
		d->read_ms = v[3];
		d->writes = v[4];
		d->writes_merged = v[5];
		d->write_sectors = v[6];
		d->write_ms = v[7];
		d->in_flight = v[8];
		d->busy_ms = v[9];
		d->weighted_ms = v[10];
		/* v[] past n is 0, so the shorter layouts need no case of their own. */
		d->discards = v[11];
		d->discards_merged = v[12];
		d->discard_sectors = v[13];
		d->discard_ms = v[14];
		d->flushes = v[15];
		d->flush_ms = v[16];
	}
	/* Unsigned multiplication wraps mod 2^64 like the counters themselves. */
	d->read_bytes = d->read_sectors * DISKSTATS_SECTOR_BYTES;
	d->write_bytes = d->write_sectors * DISKSTATS_SECTOR_BYTES;
	d->discard_bytes = d->discard_sectors * DISKSTATS_SECTOR_BYTES;
	return true;
}

/*
 * One line into @d. Returns false for a line of no known field count, a bad
 * number or an over-long name; the caller counts it and goes on, because one
 * odd device must not hide the others.
 */
static bool parse_line(const char *line, const char *end, struct disk_stats *d)
{
	const char *tok[DISKSTATS_MAX_FIELDS], *tok_end[DISKSTATS_MAX_FIELDS];
	size_t n = split_fields(line, end, tok, tok_end, DISKSTATS_MAX_FIELDS), name_len;
	__u64 major, minor;

	if (n < 3 || !token_u64(tok[0], tok_end[0], &major) ||
	    !token_u64(tok[1], tok_end[1], &minor) || major > UINT32_MAX || minor > UINT32_MAX)
		return false;
	/* A longer name cannot come from the kernel; cutting it could alias another. */
	name_len = (size_t)(tok_end[2] - tok[2]);
	if (name_len >= DISKSTATS_NAME_MAX)
		return false;
	if (!parse_counters(tok + 3, tok_end + 3, n - 3, d))
		return false;
	memcpy(d->name, tok[2], name_len);
	d->major = (__u32)major;
	d->minor = (__u32)minor;
	return true;
}

int diskstats__parse_stat(const char *buf, size_t len, struct disk_stats *d)
{
	const char *tok[DISKSTATS_MAX_COUNTERS], *tok_end[DISKSTATS_MAX_COUNTERS];
	size_t n;

	/* One line: its newline, if any, is the last byte. */
	if (len && buf[len - 1] == '\n')
		len--;
	if (memchr(buf, '\n', len))
		return -EPROTO;
	n = split_fields(buf, buf + len, tok, tok_end, DISKSTATS_MAX_COUNTERS);
	return parse_counters(tok, tok_end, n, d) ? 0 : -EPROTO;
}

void diskstats__free(struct diskstats *ds)
{
	if (!ds)
		return;
	free(ds->disks);
	memset(ds, 0, sizeof(*ds));
}

int diskstats__parse(const char *buf, size_t len, struct diskstats *ds)
{
	const char *pos = buf, *end = buf + len, *line;
	size_t cap = 0;

	memset(ds, 0, sizeof(*ds));
	while (pos < end) {
		const char *nl = memchr(pos, '\n', (size_t)(end - pos));
		struct disk_stats d;

		if (!nl) {
			/* A cut last line could still have a valid-looking field count. */
			ds->bad_lines++;
			break;
		}
		line = pos;
		pos = nl + 1;
		while (line < nl && is_blank(*line))
			line++;
		if (line == nl)
			continue; /* a blank line holds no device */
		if (!parse_line(line, nl, &d)) {
			ds->bad_lines++;
			continue;
		}
		if (ds->nr == cap) {
			int err = util__grow(&ds->disks, &cap, sizeof(*ds->disks), 32,
					     DISKSTATS_MAX_DEVICES);

			if (err) {
				diskstats__free(ds);
				return err;
			}
		}
		ds->disks[ds->nr++] = d;
	}
	return 0;
}

/* A file or a directory @path under @d (following links: class/block/<name> is one). */
static bool exists_at(const struct sysfs_dir *d, const char *path)
{
	struct sysfs_dir sub;
	struct stat st;
	int err;

	if (d->fd >= 0 || !d->img)
		return fstatat(d->fd, path, &st, 0) == 0;
	/* An image's file is a path that is not a directory. */
	err = sysfs_dir__open(d, path, &sub);
	if (!err)
		sysfs_dir__close(&sub);
	return !err || err == -ENOTDIR;
}

static int stop_at_first(const char *name, void *ctx)
{
	return 1;
}

/* True if the directory @path under @d has any entry. */
static bool dir_has_entries(const struct sysfs_dir *d, const char *path)
{
	struct sysfs_dir sub;
	bool found;

	if (sysfs_dir__open(d, path, &sub))
		return false;
	found = sysfs_dir__list(&sub, stop_at_first, NULL) == 1;
	sysfs_dir__close(&sub);
	return found;
}

static void classify_one(struct disk_stats *d, const struct sysfs_dir *sys, bool have_class,
			 bool have_block)
{
	char sysname[DISKSTATS_NAME_MAX], path[64 + DISKSTATS_NAME_MAX];

	/* Only partitions ever had the short 2.6 line. */
	if (d->layout == DISKSTATS_LAYOUT_PART26) {
		d->kind = DISK_KIND_PARTITION;
		return;
	}
	d->kind = DISK_KIND_UNKNOWN;
	d->stacked = 0;
	if ((sys->fd < 0 && !sys->img) || !strcmp(d->name, ".") || !strcmp(d->name, ".."))
		return;
	/*
	 * diskstats prints the disk name, where cciss and similar drivers put
	 * a '/'; sysfs names the same device with '!' (kobject_set_name).
	 * This also keeps the name one path component.
	 */
	strcpy(sysname, d->name);
	for (char *c = sysname; *c; c++)
		if (*c == '/')
			*c = '!';

	if (have_class) {
		snprintf(path, sizeof(path), "class/block/%s", sysname);
		if (exists_at(sys, path)) {
			snprintf(path, sizeof(path), "class/block/%s/partition", sysname);
			d->kind = exists_at(sys, path) ? DISK_KIND_PARTITION
							     : DISK_KIND_WHOLE;
			snprintf(path, sizeof(path), "class/block/%s/slaves", sysname);
			d->stacked = dir_has_entries(sys, path);
			return;
		}
	}
	if (have_block) {
		snprintf(path, sizeof(path), "block/%s", sysname);
		if (exists_at(sys, path)) {
			d->kind = DISK_KIND_WHOLE;
			snprintf(path, sizeof(path), "block/%s/slaves", sysname);
			d->stacked = dir_has_entries(sys, path);
		} else if (!have_class) {
			/* Before class/block, partitions lived below their disk in block/. */
			d->kind = DISK_KIND_PARTITION;
		}
	}
	/* Otherwise the device went away between the two reads: leave it unknown. */
}

static void add_to_total(struct disk_stats *t, const struct disk_stats *d)
{
	/* Counters wrap; so may their sum, with the same modular meaning. */
	t->reads += d->reads;
	t->reads_merged += d->reads_merged;
	t->read_sectors += d->read_sectors;
	t->read_bytes += d->read_bytes;
	t->read_ms += d->read_ms;
	t->writes += d->writes;
	t->writes_merged += d->writes_merged;
	t->write_sectors += d->write_sectors;
	t->write_bytes += d->write_bytes;
	t->write_ms += d->write_ms;
	t->in_flight += d->in_flight;
	t->busy_ms += d->busy_ms;
	t->weighted_ms += d->weighted_ms;
	t->discards += d->discards;
	t->discards_merged += d->discards_merged;
	t->discard_sectors += d->discard_sectors;
	t->discard_bytes += d->discard_bytes;
	t->discard_ms += d->discard_ms;
	t->flushes += d->flushes;
	t->flush_ms += d->flush_ms;
	if (!t->layout || d->layout < t->layout)
		t->layout = d->layout;
}

/*
 * A partition's I/O is in its disk's line (psutil #1313), and a dm or md
 * device's I/O is in its slaves' lines: the total counts neither.
 */
static void sum_total(struct diskstats *ds)
{
	memset(&ds->total, 0, sizeof(ds->total));
	ds->total.kind = DISK_KIND_WHOLE;
	for (size_t i = 0; i < ds->nr; i++) {
		const struct disk_stats *d = &ds->disks[i];

		if (d->kind == DISK_KIND_WHOLE && !d->stacked)
			add_to_total(&ds->total, d);
	}
}

void diskstats__classify_dir(struct diskstats *ds, const struct sysfs_dir *sys)
{
	bool have_sys = sys->fd >= 0 || sys->img;
	bool have_class = have_sys && exists_at(sys, "class/block");
	bool have_block = have_sys && exists_at(sys, "block");

	for (size_t i = 0; i < ds->nr; i++)
		classify_one(&ds->disks[i], sys, have_class, have_block);
	sum_total(ds);
}

void diskstats__classify(struct diskstats *ds, int sys_dirfd)
{
	struct sysfs_dir sys;

	sysfs_dir__from_fd(&sys, sys_dirfd);
	diskstats__classify_dir(ds, &sys);
}

const struct disk_stats *diskstats__find(const struct diskstats *ds, const char *name)
{
	for (size_t i = 0; i < ds->nr; i++)
		if (!strcmp(ds->disks[i].name, name))
			return &ds->disks[i];
	return NULL;
}

/* ---------------------------------------------------- /sys/block/<dev>/stat */

/* "259:0\n" from a dev attribute. */
static int read_dev(const struct sysfs_dir *dev, __u32 *major, __u32 *minor)
{
	char buf[32], *colon, *nl;
	__u64 ma, mi;
	ssize_t n = sysfs_dir__read(dev, "dev", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	colon = memchr(buf, ':', (size_t)n);
	nl = memchr(buf, '\n', (size_t)n);
	if (!colon || !nl || nl != buf + n - 1 || !token_u64(buf, colon, &ma) ||
	    !token_u64(colon + 1, nl, &mi) || ma > UINT32_MAX || mi > UINT32_MAX)
		return -EPROTO;
	*major = (__u32)ma;
	*minor = (__u32)mi;
	return 0;
}

/* One line: 17 numbers of up to 20 digits take 357 bytes; room for a later kernel's few more. */
#define STAT_FILE_MAX 1024

/*
 * Reads the device directory @name under @dir into a new entry of @ds.
 * Returns 0 (added, or skipped: gone, or a stat file we cannot parse, which
 * counts as a bad line), or -ENOMEM / -E2BIG.
 */
static int add_sysfs_device(struct diskstats *ds, size_t *cap, const struct sysfs_dir *dir,
			    const char *name, enum disk_kind kind)
{
	char buf[STAT_FILE_MAX];
	struct sysfs_dir dev;
	struct disk_stats d;
	size_t name_len = strlen(name);
	ssize_t n;
	int err = 0;

	/* As in /proc/diskstats: longer names cannot be the kernel's. */
	if (name_len >= DISKSTATS_NAME_MAX) {
		ds->bad_lines++;
		return 0;
	}
	if (sysfs_dir__open(dir, name, &dev))
		return 0; /* went away since readdir() */
	n = sysfs_dir__read(&dev, "stat", buf, sizeof(buf));
	if (n < 0) {
		/* Gone; any other failure is this device's alone. */
		if (n != -ENOENT)
			ds->bad_lines++;
		goto close_dev;
	}
	if (diskstats__parse_stat(buf, (size_t)n, &d)) {
		ds->bad_lines++;
		goto close_dev;
	}
	/* Left 0:0 if dev cannot be read: the counters are what matters. */
	read_dev(&dev, &d.major, &d.minor);
	/* sysfs names a cciss disk "cciss!c0d0"; diskstats, and we, "cciss/c0d0". */
	memcpy(d.name, name, name_len + 1);
	for (char *c = d.name; *c; c++)
		if (*c == '!')
			*c = '/';
	d.kind = kind;
	d.stacked = kind == DISK_KIND_WHOLE && dir_has_entries(&dev, "slaves");
	if (ds->nr == *cap) {
		err = util__grow(&ds->disks, cap, sizeof(*ds->disks), 32, DISKSTATS_MAX_DEVICES);
		if (err)
			goto close_dev;
	}
	ds->disks[ds->nr++] = d;
close_dev:
	sysfs_dir__close(&dev);
	return err;
}

struct sysfs_walk {
	struct diskstats *ds;
	size_t *cap;
	const struct sysfs_dir *dir;
	const char *disk;
};

static int add_partition_entry(const char *name, void *ctx)
{
	const struct sysfs_walk *sw = ctx;
	char path[2 * DISKSTATS_NAME_MAX + 8];
	size_t len = strlen(sw->disk);

	if (strncmp(name, sw->disk, len) || !name[len] || strlen(name) >= DISKSTATS_NAME_MAX)
		return 0;
	snprintf(path, sizeof(path), "%s/stat", name);
	if (!exists_at(sw->dir, path))
		return 0;
	return add_sysfs_device(sw->ds, sw->cap, sw->dir, name, DISK_KIND_PARTITION);
}

/*
 * The partitions of the disk directory @disk: its subdirectories named after
 * it (sda1, nvme0n1p1, cciss!c0d0p1) that have a stat file. Other
 * subdirectories (queue, power, holders, slaves, dm, md, loop) are not named
 * so. Kernels before 2.6.28 had no "partition" attribute to tell them by.
 */
static int add_sysfs_partitions(struct diskstats *ds, size_t *cap, const struct sysfs_dir *block,
				const char *disk)
{
	struct sysfs_dir dir;
	struct sysfs_walk sw = { .ds = ds, .cap = cap, .dir = &dir, .disk = disk };
	int err;

	if (sysfs_dir__open(block, disk, &dir))
		return 0; /* gone since readdir() of block/ */
	err = sysfs_dir__list(&dir, add_partition_entry, &sw);
	sysfs_dir__close(&dir);
	/* A listing cut short keeps what it read; only a full table stops the walk. */
	return err == -ENOMEM || err == -E2BIG ? err : 0;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct disk_stats *x = a, *y = b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int add_disk_entry(const char *name, void *ctx)
{
	const struct sysfs_walk *sw = ctx;
	int err;

	if (name[0] == '.')
		return 0;
	/* Every entry of block/ is a whole disk, whatever its kind (dm, md, loop). */
	err = add_sysfs_device(sw->ds, sw->cap, sw->dir, name, DISK_KIND_WHOLE);
	return err ? err : add_sysfs_partitions(sw->ds, sw->cap, sw->dir, name);
}

int diskstats__read_sysfs_dir(const struct sysfs_dir *sys, struct diskstats *ds)
{
	struct sysfs_dir block;
	size_t cap = 0;
	struct sysfs_walk sw = { .ds = ds, .cap = &cap, .dir = &block };
	int err;

	memset(ds, 0, sizeof(*ds));
	err = sysfs_dir__open(sys, "block", &block);
	if (err)
		return err;
	err = sysfs_dir__list(&block, add_disk_entry, &sw);
	sysfs_dir__close(&block);
	if (err) {
		diskstats__free(ds);
		return err;
	}
	/* readdir() order is the file system's: sort as diskstats roughly lists them. */
	if (ds->nr)
		qsort(ds->disks, ds->nr, sizeof(*ds->disks), cmp_dev);
	ds->source = DISKSTATS_SRC_SYSFS;
	sum_total(ds);
	return 0;
}

int diskstats__read_sysfs(int sys_dirfd, struct diskstats *ds)
{
	struct sysfs_dir sys;

	sysfs_dir__from_fd(&sys, sys_dirfd);
	return diskstats__read_sysfs_dir(&sys, ds);
}

/* ------------------------------------------------------------ either source */

int diskstats__read(int proc_dirfd, int sys_dirfd, struct diskstats *ds)
{
	char *buf;
	ssize_t n;
	int err;

	memset(ds, 0, sizeof(*ds));
	n = util__read_file_alloc(proc_dirfd, "diskstats", DISKSTATS_FILE_MAX, &buf);
	if (n < 0) {
		/*
		 * Missing or unreadable (a restricted container, a proc copy
		 * without it): each disk's stat file in sysfs has the same
		 * counters. If that fails too, the first failure is the one
		 * to report.
		 */
		if (n == -ENOMEM || sys_dirfd < 0)
			return (int)n;
		err = diskstats__read_sysfs(sys_dirfd, ds);
		if (err)
			return err == -ENOMEM ? err : (int)n;
		ds->proc_err = (int)n;
		return 0;
	}
	err = diskstats__parse(buf, (size_t)n, ds);
	free(buf);
	if (err)
		return err;
	diskstats__classify(ds, sys_dirfd);
	return 0;
}
