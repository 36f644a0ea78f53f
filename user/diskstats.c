// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Block device counters from /proc/diskstats (block/genhd.c diskstats_show),
 * classified as whole disks or partitions from sysfs.
 */
#include <dirent.h>
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
#include "jobtrace/util.h"

/* About 150 bytes a line: DISKSTATS_MAX_DEVICES lines fit. */
#define DISKSTATS_FILE_MAX (16U << 20)
/* More fields than the newest layout are a later kernel's additions, ignored. */
#define DISKSTATS_MAX_FIELDS 20

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
 * One line into @d. Returns false for a line of no known field count, a bad
 * number or an over-long name; the caller counts it and goes on, because one
 * odd device must not hide the others.
 */
static bool parse_line(const char *line, const char *end, struct disk_stats *d)
{
	const char *tok[DISKSTATS_MAX_FIELDS], *tok_end[DISKSTATS_MAX_FIELDS];
	__u64 v[DISKSTATS_MAX_FIELDS] = { 0 };
	size_t n = 0, name_len;
	const char *p = line;

	while (p < end) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			break;
		if (n == DISKSTATS_MAX_FIELDS) {
			n++; /* "at least 20" is all we need to know */
			break;
		}
		tok[n] = p;
		while (p < end && !is_blank(*p))
			p++;
		tok_end[n++] = p;
	}
	if (n != DISKSTATS_LAYOUT_PART26 && n != DISKSTATS_LAYOUT_BASE &&
	    n != DISKSTATS_LAYOUT_DISCARD && n < DISKSTATS_LAYOUT_FLUSH)
		return false;
	if (n > DISKSTATS_MAX_FIELDS)
		n = DISKSTATS_MAX_FIELDS;

	for (size_t i = 0; i < n; i++) {
		if (i == 2)
			continue;
		if (!token_u64(tok[i], tok_end[i], &v[i]))
			return false;
	}
	if (v[0] > UINT32_MAX || v[1] > UINT32_MAX)
		return false;
	/* A longer name cannot come from the kernel; cutting it could alias another. */
	name_len = (size_t)(tok_end[2] - tok[2]);
	if (name_len >= DISKSTATS_NAME_MAX)
		return false;

	memset(d, 0, sizeof(*d));
	memcpy(d->name, tok[2], name_len);
	d->major = (__u32)v[0];
	d->minor = (__u32)v[1];
	d->layout = (__u32)n;
	d->kind = DISK_KIND_UNKNOWN;

	if (n == DISKSTATS_LAYOUT_PART26) {
		/* (4) reads issued (5) sectors read (6) writes issued (7) sectors written */
		d->reads = v[3];
		d->read_sectors = v[4];
		d->writes = v[5];
		d->write_sectors = v[6];
	} else {
		d->reads = v[3];
		d->reads_merged = v[4];
		d->read_sectors = v[5];
		d->read_ms = v[6];
		d->writes = v[7];
		d->writes_merged = v[8];
		d->write_sectors = v[9];
		d->write_ms = v[10];
		d->in_flight = v[11];
		d->busy_ms = v[12];
		d->weighted_ms = v[13];
		/* v[] past n is 0, so the shorter layouts need no case of their own. */
		d->discards = v[14];
		d->discards_merged = v[15];
		d->discard_sectors = v[16];
		d->discard_ms = v[17];
		d->flushes = v[18];
		d->flush_ms = v[19];
	}
	/* Unsigned multiplication wraps mod 2^64 like the counters themselves. */
	d->read_bytes = d->read_sectors * DISKSTATS_SECTOR_BYTES;
	d->write_bytes = d->write_sectors * DISKSTATS_SECTOR_BYTES;
	d->discard_bytes = d->discard_sectors * DISKSTATS_SECTOR_BYTES;
	return true;
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

static bool exists_at(int dirfd, const char *path)
{
	struct stat st;

	/* Follows links: class/block/<name> is a symlink into devices/. */
	return fstatat(dirfd, path, &st, 0) == 0;
}

/* True if the directory @path under @dirfd has any entry. */
static bool dir_has_entries(int dirfd, const char *path)
{
	struct dirent *de;
	bool found = false;
	DIR *dir;

	dir = util__opendir_at(dirfd, path);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir)))
		found = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(dir);
	return found;
}

static void classify_one(struct disk_stats *d, int sys_dirfd, bool have_class, bool have_block)
{
	char sysname[DISKSTATS_NAME_MAX], path[64 + DISKSTATS_NAME_MAX];

	/* Only partitions ever had the short 2.6 line. */
	if (d->layout == DISKSTATS_LAYOUT_PART26) {
		d->kind = DISK_KIND_PARTITION;
		return;
	}
	d->kind = DISK_KIND_UNKNOWN;
	d->stacked = 0;
	if (sys_dirfd < 0 || !strcmp(d->name, ".") || !strcmp(d->name, ".."))
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
		if (exists_at(sys_dirfd, path)) {
			snprintf(path, sizeof(path), "class/block/%s/partition", sysname);
			d->kind = exists_at(sys_dirfd, path) ? DISK_KIND_PARTITION
							     : DISK_KIND_WHOLE;
			snprintf(path, sizeof(path), "class/block/%s/slaves", sysname);
			d->stacked = dir_has_entries(sys_dirfd, path);
			return;
		}
	}
	if (have_block) {
		snprintf(path, sizeof(path), "block/%s", sysname);
		if (exists_at(sys_dirfd, path)) {
			d->kind = DISK_KIND_WHOLE;
			snprintf(path, sizeof(path), "block/%s/slaves", sysname);
			d->stacked = dir_has_entries(sys_dirfd, path);
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

void diskstats__classify(struct diskstats *ds, int sys_dirfd)
{
	bool have_class = sys_dirfd >= 0 && exists_at(sys_dirfd, "class/block");
	bool have_block = sys_dirfd >= 0 && exists_at(sys_dirfd, "block");

	memset(&ds->total, 0, sizeof(ds->total));
	ds->total.kind = DISK_KIND_WHOLE;
	for (size_t i = 0; i < ds->nr; i++) {
		struct disk_stats *d = &ds->disks[i];

		classify_one(d, sys_dirfd, have_class, have_block);
		/*
		 * A partition's I/O is in its disk's line (psutil #1313), and a
		 * dm or md device's I/O is in its slaves' lines: count neither.
		 */
		if (d->kind == DISK_KIND_WHOLE && !d->stacked)
			add_to_total(&ds->total, d);
	}
}

const struct disk_stats *diskstats__find(const struct diskstats *ds, const char *name)
{
	for (size_t i = 0; i < ds->nr; i++)
		if (!strcmp(ds->disks[i].name, name))
			return &ds->disks[i];
	return NULL;
}

int diskstats__read(int proc_dirfd, int sys_dirfd, struct diskstats *ds)
{
	char *buf;
	ssize_t n;
	int err;

	memset(ds, 0, sizeof(*ds));
	n = util__read_file_alloc(proc_dirfd, "diskstats", DISKSTATS_FILE_MAX, &buf);
	if (n < 0)
		return (int)n;
	err = diskstats__parse(buf, (size_t)n, ds);
	free(buf);
	if (err)
		return err;
	diskstats__classify(ds, sys_dirfd);
	return 0;
}
