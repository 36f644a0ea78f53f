// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "jobtrace/diskstats.h"
#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"
#include "sysfs_image.h"

#define DISK_FIXTURES FIXTURES "/disk/"

/* Expected counters in diskstats order: (4)..(20), 0 where the layout has none. */
struct disk_row {
	const char *name;
	__u32 major, minor;
	enum disk_kind kind;
	__u32 stacked;
	__u32 layout;
	__u64 v[17];
};

#define ROW(n, ma, mi, k, st, lay, ...)            \
	{                                          \
		n, ma, mi, DISK_KIND_##k, st, lay, \
		{                                  \
			__VA_ARGS__                \
		}                                  \
	}

/*
 * 5.5+ (20 fields). nvme0n1 = p1 + p2 (+ its own), sda = sda1 + sda2 + 5;
 * dm-0 sits on nvme0n1p2 and dm-1 on sda2 (slaves/), so they stay out of
 * the total, as do the partitions; sdz is in diskstats but not in sysfs (it
 * went away between the reads), so it is unknown and not counted either.
 */
static const struct disk_row rows_5_5[] = {
    ROW("nvme0n1", 259, 0, WHOLE, 0, 20, 518195, 74027, 6736535, 172731, 345463, 103639, 9845705,
	259097, 1, 129548, 518195, 10363, 5757, 155458500, 12954, 17273, 8636),
    ROW("nvme0n1p1", 259, 1, PARTITION, 0, 20, 43445, 6206, 564785, 14481, 28963, 8689, 825455,
	21722, 1, 10861, 43445, 868, 482, 13033500, 1086, 1448, 724),
    ROW("nvme0n1p2", 259, 2, PARTITION, 0, 20, 474750, 67821, 6171750, 158250, 316500, 94950,
	9020250, 237375, 0, 118687, 474750, 9495, 5275, 142425000, 11868, 15825, 7912),
    ROW("sda", 8, 0, WHOLE, 0, 20, 300397, 42917, 3905101, 100135, 200266, 60083, 5707453, 150201,
	6, 75102, 300397, 6012, 3342, 90117605, 7514, 10018, 5011),
    ROW("sda1", 8, 1, PARTITION, 0, 20, 97862, 13980, 1272206, 32620, 65241, 19572, 1859378, 48931,
	0, 24465, 97862, 1957, 1087, 29358600, 2446, 3262, 1631),
    ROW("sda2", 8, 2, PARTITION, 0, 20, 202530, 28932, 2632890, 67510, 135020, 40506, 3848070,
	101265, 1, 50632, 202530, 4050, 2250, 60759000, 5063, 6751, 3375),
    ROW("loop0", 7, 0, WHOLE, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ROW("dm-0", 253, 0, WHOLE, 1, 20, 356062, 50865, 4628812, 118687, 237375, 71212, 6765187,
	178031, 0, 89015, 356062, 7121, 3956, 106818750, 8901, 11868, 5934),
    ROW("dm-1", 253, 1, WHOLE, 1, 20, 101265, 14466, 1316445, 33755, 67510, 20253, 1924035, 50632,
	0, 25316, 101265, 2025, 1125, 30379500, 2531, 3375, 1687),
    ROW("sdz", 8, 400, UNKNOWN, 0, 20, 5914, 844, 76882, 1971, 3942, 1182, 112366, 2957, 0, 1478,
	5914, 118, 65, 1774200, 147, 197, 98),
};

/* 4.18 .. 5.4 (18 fields: + discards). */
static const struct disk_row rows_4_18[] = {
    ROW("loop0", 7, 0, WHOLE, 0, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ROW("nvme0n1", 259, 0, WHOLE, 0, 18, 98462, 14065, 1280006, 32820, 65640, 19691, 1870778, 49231,
	7, 24615, 98462, 1968, 1093, 29538600, 2460, 0, 0),
    ROW("nvme0n1p1", 259, 1, PARTITION, 0, 18, 57838, 8262, 751894, 19279, 38558, 11567, 1098922,
	28919, 3, 14459, 57838, 1156, 642, 17351400, 1445, 0, 0),
    ROW("nvme0n1p2", 259, 2, PARTITION, 0, 18, 40624, 5803, 528112, 13541, 27082, 8124, 771856,
	20312, 1, 10156, 40624, 812, 451, 12187200, 1015, 0, 0),
    ROW("sda", 8, 0, WHOLE, 0, 18, 17497, 2502, 227425, 5834, 11665, 3501, 332389, 8750, 3, 4376,
	17497, 352, 197, 5248203, 440, 0, 0),
    ROW("sda1", 8, 1, PARTITION, 0, 18, 17494, 2499, 227422, 5831, 11662, 3498, 332386, 8747, 0,
	4373, 17494, 349, 194, 5248200, 437, 0, 0),
    ROW("dm-0", 253, 0, WHOLE, 1, 18, 20312, 2901, 264056, 6770, 13541, 4062, 385928, 10156, 0,
	5078, 20312, 406, 225, 6093600, 507, 0, 0),
};

/* 2.6.25 .. 4.17 (14 fields), with a cciss disk whose sysfs name has '!'. */
static const struct disk_row rows_4_15[] = {
    ROW("sda", 8, 0, WHOLE, 0, 14, 137163, 19594, 1783107, 45721, 91441, 27433, 2606079, 68582, 4,
	34291, 137163, 0, 0, 0, 0, 0, 0),
    ROW("sda1", 8, 1, PARTITION, 0, 14, 60520, 8645, 786760, 20173, 40346, 12104, 1149880, 30260, 0,
	15130, 60520, 0, 0, 0, 0, 0, 0),
    ROW("sda2", 8, 2, PARTITION, 0, 14, 76642, 10948, 996346, 25547, 51094, 15328, 1456198, 38321,
	3, 19160, 76642, 0, 0, 0, 0, 0, 0),
    ROW("cciss!c0d0", 104, 0, WHOLE, 0, 14, 7501, 1073, 97489, 2501, 5001, 1501, 142483, 3751, 3,
	1876, 7501, 0, 0, 0, 0, 0, 0),
    ROW("cciss!c0d0p1", 104, 1, PARTITION, 0, 14, 7499, 1071, 97487, 2499, 4999, 1499, 142481, 3749,
	1, 1874, 7499, 0, 0, 0, 0, 0, 0),
    ROW("loop0", 7, 0, WHOLE, 0, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ROW("dm-1", 253, 1, WHOLE, 1, 14, 25547, 3649, 332115, 8515, 17031, 5109, 485399, 12773, 1,
	6386, 25547, 0, 0, 0, 0, 0, 0),
};

/*
 * 2.6.18: whole disks have 14 fields, partitions 7 (reads, sectors read,
 * writes, sectors written); no class/block in sysfs, partitions nest under
 * block/<disk>/. diskstats names the cciss disk with '/', sysfs with '!'.
 */
static const struct disk_row rows_2_6_18[] = {
    ROW("ram0", 1, 0, WHOLE, 0, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ROW("hda", 3, 0, WHOLE, 0, 14, 19907, 2843, 258791, 6635, 13271, 3981, 378233, 9953, 0, 4976,
	19907, 0, 0, 0, 0, 0, 0),
    ROW("sda", 8, 0, WHOLE, 0, 14, 46068, 6584, 598836, 15358, 30712, 9216, 875220, 23035, 8, 11519,
	46068, 0, 0, 0, 0, 0, 0),
    ROW("sda1", 8, 1, PARTITION, 0, 7, 7105, 0, 92365, 0, 4736, 0, 134995, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0),
    ROW("sda2", 8, 2, PARTITION, 0, 7, 38959, 0, 506467, 0, 25972, 0, 740221, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0),
    ROW("cciss/c0d0", 104, 0, WHOLE, 0, 14, 75836, 10838, 985796, 25282, 50559, 15172, 1440776,
	37921, 8, 18963, 75836, 0, 0, 0, 0, 0, 0),
    ROW("cciss/c0d0p1", 104, 1, PARTITION, 0, 7, 75830, 0, 985790, 0, 50553, 0, 1440770, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0),
};

/*
 * Kept: a 20-field sda, a 31-character name, a 22-field line of some later
 * kernel (extra fields ignored), and sdi whose counters sit at the top of
 * their range. Skipped and counted: 15 and 19 fields, a non-number, a
 * 32-character name, a value of 2^64, a major of 2^32, and the last line,
 * cut short without its newline. Blank lines are neither.
 */
static const struct disk_row rows_malformed[] = {
    ROW("sda", 8, 0, WHOLE, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17),
    ROW("this-name-is-31-characters-long", 8, 80, UNKNOWN, 0, 14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	11),
    ROW("nvme0n1", 259, 0, WHOLE, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17),
    ROW("sdi", 8, 112, UNKNOWN, 0, 14, UINT64_MAX, 0, 36028797018963968ULL),
};

/*
 * See disk/README: sorted by major, minor and name; sdg and the 31-character
 * name have no readable dev, so 0:0. Bad: sdb, sdc, sdf, sdh, the 32-character
 * name. Skipped as gone: sdd and sda3 (no stat).
 */
static const struct disk_row rows_sysfs_ugly[] = {
    ROW("sdg", 0, 0, WHOLE, 0, 14, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5),
    ROW("this-name-is-31-characters-long", 0, 0, WHOLE, 0, 14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
    ROW("sda", 8, 0, WHOLE, 0, 18, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140,
	150),
    ROW("sda1", 8, 1, PARTITION, 0, 18, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
    ROW("sda2", 8, 2, PARTITION, 0, 18, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2),
    ROW("sde", 8, 64, WHOLE, 0, 14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
    ROW("md0", 9, 0, WHOLE, 1, 14, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7),
    ROW("nvme0n1", 259, 0, WHOLE, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17),
};

struct disk_case {
	const char *name;
	const char *proc; /* NULL: read @sys's block/<disk>/stat files instead */
	const char *sys;  /* NULL: no sysfs at all */
	const struct disk_row *rows;
	size_t nr;
	size_t bad_lines;
	struct disk_row total;
};

#define ROWS(a) a, ARRAY_SIZE(a)

static const struct disk_case disk_cases[] = {
    {"5.5+, flush", "proc-5.5", "sys", ROWS(rows_5_5), 0,
     ROW("", 0, 0, WHOLE, 0, 20, 818592, 116944, 10641636, 272866, 545729, 163722, 15553158, 409298,
	 7, 204650, 818592, 16375, 9099, 245576105, 20468, 27291, 13647)},
    {"4.18, discard", "proc-4.18", "sys", ROWS(rows_4_18), 0,
     ROW("", 0, 0, WHOLE, 0, 18, 115959, 16567, 1507431, 38654, 77305, 23192, 2203167, 57981, 10,
	 28991, 115959, 2320, 1290, 34786803, 2900, 0, 0)},
    {"4.15, base", "proc-4.15", "sys", ROWS(rows_4_15), 0,
     ROW("", 0, 0, WHOLE, 0, 14, 144664, 20667, 1880596, 48222, 96442, 28934, 2748562, 72333, 7,
	 36167, 144664, 0, 0, 0, 0, 0, 0)},
    {"2.6.18, 7-field partitions", "proc-2.6.18", "sys-2.6.18", ROWS(rows_2_6_18), 0,
     ROW("", 0, 0, WHOLE, 0, 14, 141811, 20265, 1843423, 47275, 94542, 28369, 2694229, 70909, 16,
	 35458, 141811, 0, 0, 0, 0, 0, 0)},
    {"malformed lines", "proc-malformed", "sys", ROWS(rows_malformed), 7,
     ROW("", 0, 0, WHOLE, 0, 20, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34)},
    {"empty file", "proc-empty", "sys", NULL, 0, 0, ROW("", 0, 0, WHOLE, 0, 0, 0)},
    /* The same devices from sysfs alone: the same counters, kinds and totals. */
    {"sysfs 5.5+", NULL, "sys-stat", ROWS(rows_5_5), 0,
     ROW("", 0, 0, WHOLE, 0, 20, 818592, 116944, 10641636, 272866, 545729, 163722, 15553158, 409298,
	 7, 204650, 818592, 16375, 9099, 245576105, 20468, 27291, 13647)},
    {"sysfs 2.6.18, 4-field partitions", NULL, "sys-2.6.18", ROWS(rows_2_6_18), 0,
     ROW("", 0, 0, WHOLE, 0, 14, 141811, 20265, 1843423, 47275, 94542, 28369, 2694229, 70909, 16,
	 35458, 141811, 0, 0, 0, 0, 0, 0)},
    {"sysfs, ugly", NULL, "sys-stat-ugly", ROWS(rows_sysfs_ugly), 5,
     ROW("", 0, 0, WHOLE, 0, 14, 18, 31, 44, 57, 70, 83, 96, 109, 122, 135, 148, 132, 143, 154, 165,
	 16, 17)},
};

static const char *const field_names[17] = {
    "reads",	       "reads_merged",	  "read_sectors", "read_ms", "writes",	    "writes_merged",
    "write_sectors",   "write_ms",	  "in_flight",	  "busy_ms", "weighted_ms", "discards",
    "discards_merged", "discard_sectors", "discard_ms",	  "flushes", "flush_ms",
};

static void check_row(const char *what, const struct disk_stats *d, const struct disk_row *w)
{
	const __u64 got[17] = {
	    d->reads,		d->reads_merged,    d->read_sectors,  d->read_ms,
	    d->writes,		d->writes_merged,   d->write_sectors, d->write_ms,
	    d->in_flight,	d->busy_ms,	    d->weighted_ms,   d->discards,
	    d->discards_merged, d->discard_sectors, d->discard_ms,    d->flushes,
	    d->flush_ms,
	};

	if (strcmp(d->name, w->name) != 0)
		fail_msg("%s: name '%s', want '%s'", what, d->name, w->name);
	if (d->major != w->major || d->minor != w->minor)
		fail_msg("%s %s: %u:%u, want %u:%u", what, w->name, d->major, d->minor, w->major,
			 w->minor);
	if (d->kind != w->kind)
		fail_msg("%s %s: kind %u, want %u", what, w->name, d->kind, w->kind);
	if (d->stacked != w->stacked)
		fail_msg("%s %s: stacked %u, want %u", what, w->name, d->stacked, w->stacked);
	if (d->layout != w->layout)
		fail_msg("%s %s: layout %u, want %u", what, w->name, d->layout, w->layout);
	for (size_t i = 0; i < ARRAY_SIZE(got); i++)
		if (got[i] != w->v[i])
			fail_msg("%s %s: %s = %llu, want %llu", what, w->name, field_names[i],
				 (unsigned long long)got[i], (unsigned long long)w->v[i]);
	/* Always 512-byte units, whatever the device's logical sector size. */
	if (d->read_bytes != w->v[2] * 512 || d->write_bytes != w->v[6] * 512 ||
	    d->discard_bytes != w->v[13] * 512)
		fail_msg("%s %s: bytes are not sectors x 512", what, w->name);
}

static int open_fixture(const char *dir)
{
	char path[256];

	if (!dir)
		return -1;
	snprintf(path, sizeof(path), DISK_FIXTURES "%s", dir);
	return util__open_dir(path);
}

/*
 * sysfs lists no device it does not have (proc-5.5's sdz, unknown there) and
 * sorts by major:minor: look the rows up by name, and check the order apart.
 */
static void check_sysfs_rows(const struct disk_case *c, const struct diskstats *ds)
{
	size_t want_nr = 0;

	for (size_t j = 0; j < c->nr; j++) {
		const struct disk_row *w = &c->rows[j];
		const struct disk_stats *d = diskstats__find(ds, w->name);

		if (w->kind == DISK_KIND_UNKNOWN) {
			if (d)
				fail_msg("%s: %s is listed", c->name, w->name);
			continue;
		}
		want_nr++;
		if (!d)
			fail_msg("%s: no %s", c->name, w->name);
		check_row(c->name, d, w);
	}
	if (ds->nr != want_nr)
		fail_msg("%s: %zu devices, want %zu", c->name, ds->nr, want_nr);
	for (size_t j = 1; j < ds->nr; j++) {
		const struct disk_stats *a = &ds->disks[j - 1], *b = &ds->disks[j];

		if (a->major > b->major || (a->major == b->major && a->minor > b->minor))
			fail_msg("%s: %s before %s", c->name, a->name, b->name);
	}
}

/*
 * diskstats__read() with the sys root as an image (what fuzz_disk_classify
 * feeds): /proc/diskstats parsed, then classified over the image; or the
 * sysfs walk over it.
 */
static void read_over_image(const struct disk_case *c, int proc_fd, struct diskstats *ds)
{
	struct sysfs_image im = { 0 };
	struct sysfs_dir sys;
	char path[256];
	char *buf;
	ssize_t n;

	if (c->sys) {
		snprintf(path, sizeof(path), DISK_FIXTURES "%s", c->sys);
		sysfs_image__build(&im, path);
	}
	sysfs_dir__from_image(&sys, im.buf, im.len);
	if (c->proc) {
		n = util__read_file_alloc(proc_fd, "diskstats", 1 << 20, &buf);
		assert_true(n >= 0);
		assert_int_equal(diskstats__parse(buf, (size_t)n, ds), 0);
		free(buf);
		diskstats__classify_dir(ds, &sys);
	} else {
		assert_int_equal(diskstats__read_sysfs_dir(&sys, ds), 0);
	}
	free(im.buf);
}

/* Every case twice: over the fixture directories, and with the sys root as an image. */
static void test_layout_table(void **state)
{
	for (size_t k = 0; k < 2 * ARRAY_SIZE(disk_cases); k++) {
		const struct disk_case *c = &disk_cases[k / 2];
		bool image = k % 2;
		int proc_fd = open_fixture(c->proc), sys_fd = open_fixture(c->sys);
		struct diskstats ds;
		char what[128];

		assert_true(!c->proc || proc_fd >= 0);
		assert_true(!c->sys || sys_fd >= 0);
		if (image)
			read_over_image(c, proc_fd, &ds);
		else if (c->proc)
			assert_int_equal(diskstats__read(proc_fd, sys_fd, &ds), 0);
		else
			assert_int_equal(diskstats__read_sysfs(sys_fd, &ds), 0);
		if (proc_fd >= 0)
			close(proc_fd);
		if (sys_fd >= 0)
			close(sys_fd);
		assert_int_equal(ds.source, c->proc ? DISKSTATS_SRC_PROC : DISKSTATS_SRC_SYSFS);
		assert_int_equal(ds.proc_err, 0);
		if (ds.bad_lines != c->bad_lines)
			fail_msg("%s: %zu bad lines, want %zu", c->name, ds.bad_lines,
				 c->bad_lines);
		if (c->proc) {
			if (ds.nr != c->nr)
				fail_msg("%s: %zu devices, want %zu", c->name, ds.nr, c->nr);
			for (size_t j = 0; j < c->nr; j++)
				check_row(c->name, &ds.disks[j], &c->rows[j]);
		} else {
			check_sysfs_rows(c, &ds);
		}
		snprintf(what, sizeof(what), "%s total", c->name);
		check_row(what, &ds.total, &c->total);
		diskstats__free(&ds);
	}
}

/* One stat file's text, as diskstats__parse_stat() takes it. */
struct stat_case {
	const char *name;
	const char *text;
	int err;
	__u32 layout;
	__u64 reads, read_sectors, writes, write_sectors, busy_ms, discards, flush_ms;
};

#define BAD(n, t) { .name = n, .text = t, .err = -EPROTO }

static const struct stat_case stat_cases[] = {
	{ "11 fields, as printed", "       1        2        3        4        5        6        7"
				   "        8        9       10       11\n",
	  0, 14, 1, 3, 5, 7, 10, 0, 0 },
	{ "15 fields", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n", 0, 18, 1, 3, 5, 7, 10, 12, 0 },
	{ "17 fields", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", 0, 20, 1, 3, 5, 7, 10, 12,
	  17 },
	{ "19 fields: a later kernel's extra two ignored",
	  "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\n", 0, 20, 1, 3, 5, 7, 10, 12, 17 },
	{ "40 fields", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 x x x x x x x x x x x x x x x x"
		       " x x x x x x x\n",
	  0, 20, 1, 3, 5, 7, 10, 12, 17 },
	/* 2.6 partitions: reads, sectors read, writes, sectors written. */
	{ "4 fields", "    7105    92365     4736   134995\n", 0, 7, 7105, 92365, 4736, 134995, 0,
	  0, 0 },
	{ "no final newline", "1 2 3 4 5 6 7 8 9 10 11", 0, 14, 1, 3, 5, 7, 10, 0, 0 },
	{ "tabs", "1\t2\t3\t4 5 6 7 8 9 10 11\n", 0, 14, 1, 3, 5, 7, 10, 0, 0 },
	{ "largest u64", "18446744073709551615 2 3 4 5 6 7 8 9 10 11\n", 0, 14, UINT64_MAX, 3, 5, 7,
	  10, 0, 0 },
	BAD("empty", ""),
	BAD("newline only", "\n"),
	BAD("blanks only", "        \n"),
	BAD("5 fields", "1 2 3 4 5\n"),
	BAD("12 fields", "1 2 3 4 5 6 7 8 9 10 11 12\n"),
	BAD("16 fields", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"),
	BAD("two lines", "1 2 3 4 5 6 7 8 9 10 11\n1 2 3 4 5 6 7 8 9 10 11\n"),
	BAD("a blank line after", "1 2 3 4 5 6 7 8 9 10 11\n\n"),
	BAD("a letter", "1 2 x 4 5 6 7 8 9 10 11\n"),
	BAD("negative", "-1 2 3 4 5 6 7 8 9 10 11\n"),
	BAD("2^64", "18446744073709551616 2 3 4 5 6 7 8 9 10 11\n"),
	BAD("CRLF", "1 2 3 4 5 6 7 8 9 10 11\r\n"),
	BAD("a NUL", "1 2 3 4 5 6 7 8 9 10 1\0\n"),
};

static void test_stat_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(stat_cases); i++) {
		const struct stat_case *c = &stat_cases[i];
		/* The NUL case is one byte longer than strlen() says. */
		size_t len = strlen(c->text) + (strstr(c->name, "NUL") ? 2 : 0);
		char *copy = malloc(len ? len : 1);
		struct disk_stats d;
		int err;

		assert_non_null(copy);
		memcpy(copy, c->text, len); /* no NUL after it: ASan sees any over-read */
		memset(&d, 0xa5, sizeof(d));
		err = diskstats__parse_stat(copy, len, &d);
		free(copy);
		if (err != c->err)
			fail_msg("%s: err %d, want %d", c->name, err, c->err);
		if (err)
			continue;
		if (d.layout != c->layout || d.reads != c->reads ||
		    d.read_sectors != c->read_sectors || d.writes != c->writes ||
		    d.write_sectors != c->write_sectors || d.busy_ms != c->busy_ms ||
		    d.discards != c->discards || d.flush_ms != c->flush_ms)
			fail_msg("%s: layout %u reads %llu/%llu writes %llu/%llu busy %llu "
				 "discards %llu flush_ms %llu",
				 c->name, d.layout, (unsigned long long)d.reads,
				 (unsigned long long)d.read_sectors, (unsigned long long)d.writes,
				 (unsigned long long)d.write_sectors, (unsigned long long)d.busy_ms,
				 (unsigned long long)d.discards, (unsigned long long)d.flush_ms);
		/* What the caller fills in is cleared, not left as it was. */
		if (d.name[0] || d.major || d.minor || d.kind != DISK_KIND_UNKNOWN || d.stacked)
			fail_msg("%s: name, dev or kind not cleared", c->name);
		if (d.read_bytes != c->read_sectors * 512 || d.write_bytes != c->write_sectors * 512)
			fail_msg("%s: bytes are not sectors x 512", c->name);
	}
}

/* When /proc/diskstats cannot be read, sysfs stands in; its error is kept. */
static void test_fallback(void **state)
{
	static const struct {
		const char *name;
		const char *proc, *sys;
		int err;
		enum diskstats_source source;
		int proc_err;
	} cases[] = {
		{ "proc readable: sysfs unused", "proc-5.5", "sys-stat", 0, DISKSTATS_SRC_PROC, 0 },
		{ "no diskstats", "mounts", "sys-stat", 0, DISKSTATS_SRC_SYSFS, -ENOENT },
		{ "unreadable diskstats", "proc-unreadable", "sys-stat", 0, DISKSTATS_SRC_SYSFS,
		  -EISDIR },
		/* Nothing to fall back on: the /proc error, which names the first cause. */
		{ "no sys root", "mounts", NULL, -ENOENT, DISKSTATS_SRC_PROC, 0 },
		{ "sys root without block/", "proc-unreadable", "mounts", -EISDIR,
		  DISKSTATS_SRC_PROC, 0 },
	};
	const __u64 total_reads = 818592, total_write_sectors = 15553158; /* proc-5.5's */

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int proc_fd = open_fixture(cases[i].proc), sys_fd = open_fixture(cases[i].sys);
		struct diskstats ds;
		int err;

		assert_true(proc_fd >= 0);
		err = diskstats__read(proc_fd, sys_fd, &ds);
		close(proc_fd);
		if (sys_fd >= 0)
			close(sys_fd);
		if (err != cases[i].err)
			fail_msg("%s: err %d, want %d", cases[i].name, err, cases[i].err);
		if (err) {
			assert_null(ds.disks);
			assert_int_equal(ds.nr, 0);
			continue;
		}
		if (ds.source != cases[i].source || ds.proc_err != cases[i].proc_err)
			fail_msg("%s: source %d proc_err %d, want %d %d", cases[i].name, ds.source,
				 ds.proc_err, cases[i].source, cases[i].proc_err);
		assert_true(ds.total.reads == total_reads);
		assert_true(ds.total.write_sectors == total_write_sectors);
		/* The name diskstats prints for a cciss disk, not sysfs' '!': none here. */
		assert_non_null(diskstats__find(&ds, "nvme0n1p2"));
		diskstats__free(&ds);
	}
}

/*
 * Without sysfs nothing can be called a whole disk, so nothing is counted;
 * only the 2.6 7-field lines are known partitions by their shape.
 */
static void test_without_sysfs(void **state)
{
	struct diskstats ds;
	int proc_fd = open_fixture("proc-2.6.18");

	assert_true(proc_fd >= 0);
	assert_int_equal(diskstats__read(proc_fd, -1, &ds), 0);
	close(proc_fd);
	assert_int_equal(ds.nr, ARRAY_SIZE(rows_2_6_18));
	for (size_t i = 0; i < ds.nr; i++) {
		enum disk_kind want = rows_2_6_18[i].layout == DISKSTATS_LAYOUT_PART26
					  ? DISK_KIND_PARTITION
					  : DISK_KIND_UNKNOWN;

		if (ds.disks[i].kind != want)
			fail_msg("%s: kind %u, want %u", ds.disks[i].name, ds.disks[i].kind, want);
	}
	assert_int_equal(ds.total.reads, 0);
	assert_int_equal(ds.total.layout, 0);
	diskstats__free(&ds);
}

/* The literal figures a user would compare with iostat, and a wrapped product. */
static void test_bytes(void **state)
{
	const struct disk_stats *d;
	struct diskstats ds;
	int proc_fd = open_fixture("proc-malformed");

	assert_true(proc_fd >= 0);
	assert_int_equal(diskstats__read(proc_fd, -1, &ds), 0);
	close(proc_fd);
	d = diskstats__find(&ds, "sdi");
	assert_non_null(d);
	assert_int_equal(d->reads, UINT64_MAX);
	/* 2^55 sectors x 512 = 2^64: wraps to 0, as the kernel counter would. */
	assert_int_equal(d->read_bytes, 0);
	assert_null(diskstats__find(&ds, "sdb"));
	assert_null(diskstats__find(&ds, "this-name-is-32-characters-long!"));
	diskstats__free(&ds);

	proc_fd = open_fixture("proc-5.5");
	assert_true(proc_fd >= 0);
	assert_int_equal(diskstats__read(proc_fd, -1, &ds), 0);
	close(proc_fd);
	d = diskstats__find(&ds, "nvme0n1");
	assert_non_null(d);
	assert_int_equal(d->read_bytes, 3449105920ULL);	    /* 6736535 x 512 */
	assert_int_equal(d->write_bytes, 5041000960ULL);    /* 9845705 x 512 */
	assert_int_equal(d->discard_bytes, 79594752000ULL); /* 155458500 x 512 */
	diskstats__free(&ds);
}

/*
 * Every prefix of a real file, in an exact-size heap copy: complete lines
 * parse, a cut last line is counted as bad and never yields a device.
 */
static void test_every_prefix(void **state)
{
	char full[4096];
	int proc_fd = open_fixture("proc-5.5");
	ssize_t n;

	assert_true(proc_fd >= 0);
	n = util__read_file_at(proc_fd, "diskstats", full, sizeof(full));
	close(proc_fd);
	assert_true(n > 0);
	for (size_t len = 0; len <= (size_t)n; len++) {
		size_t lines = 0;
		char *copy = malloc(len ? len : 1);
		struct diskstats ds;

		assert_non_null(copy);
		memcpy(copy, full, len);
		for (size_t i = 0; i < len; i++)
			lines += copy[i] == '\n';
		assert_int_equal(diskstats__parse(copy, len, &ds), 0);
		free(copy);
		if (ds.nr != lines || ds.bad_lines != (len && full[len - 1] != '\n'))
			fail_msg("prefix %zu: %zu devices, %zu bad; want %zu", len, ds.nr,
				 ds.bad_lines, lines);
		for (size_t i = 0; i < ds.nr; i++) {
			struct disk_row want = rows_5_5[i];

			/* Parsing alone does not classify. */
			want.kind = DISK_KIND_UNKNOWN;
			want.stacked = 0;
			check_row("prefix", &ds.disks[i], &want);
		}
		diskstats__free(&ds);
	}
}

static void test_free_is_null_safe(void **state)
{
	struct diskstats ds;

	diskstats__free(NULL);
	assert_int_equal(diskstats__parse("   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n", 35, &ds), 0);
	assert_int_equal(ds.nr, 1);
	diskstats__free(&ds);
	assert_null(ds.disks);
	assert_int_equal(ds.nr, 0);
	diskstats__free(&ds); /* twice is harmless */
}

/*
 * This machine: every device in its diskstats is classified, whole disks are
 * exactly those /sys/block lists, and no partition is counted.
 */
static void test_live(void **state)
{
	struct diskstats ds;
	int proc_fd = util__open_dir("/proc"), sys_fd = util__open_dir("/sys");
	size_t whole = 0;
	struct dirent *de;
	DIR *dir;

	assert_true(proc_fd >= 0 && sys_fd >= 0);
	assert_int_equal(diskstats__read(proc_fd, sys_fd, &ds), 0);
	assert_int_equal(ds.bad_lines, 0);
	for (size_t i = 0; i < ds.nr; i++) {
		const struct disk_stats *d = &ds.disks[i];
		char path[64];
		int in_block;

		snprintf(path, sizeof(path), "block/%s", d->name);
		in_block = faccessat(sys_fd, path, F_OK, 0) == 0;
		if (d->kind == DISK_KIND_UNKNOWN || in_block != (d->kind == DISK_KIND_WHOLE))
			fail_msg("%s: kind %u, in /sys/block: %d", d->name, d->kind, in_block);
		whole += d->kind == DISK_KIND_WHOLE;
	}
	dir = opendir("/sys/block");
	assert_non_null(dir);
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' && !diskstats__find(&ds, de->d_name))
			fail_msg("/sys/block/%s is not in /proc/diskstats", de->d_name);
	closedir(dir);
	assert_true(whole > 0);
	close(proc_fd);
	close(sys_fd);
	diskstats__free(&ds);
}

/* The counters that only grow (in_flight is a gauge), for a back-to-back comparison. */
static void counters_of(const struct disk_stats *d, __u64 out[16])
{
	const __u64 v[16] = {
	    d->reads,	  d->reads_merged,    d->read_sectors, d->read_ms,	d->writes,
	    d->writes_merged, d->write_sectors, d->write_ms,	  d->busy_ms,	d->weighted_ms,
	    d->discards,  d->discards_merged, d->discard_sectors, d->discard_ms, d->flushes,
	    d->flush_ms,
	};

	memcpy(out, v, sizeof(v));
}

/* @a <= @b <= @c, counter by counter: I/O may happen between the three reads. */
static void check_between(const char *name, const struct disk_stats *a,
			  const struct disk_stats *b, const struct disk_stats *c)
{
	__u64 va[16], vb[16], vc[16];

	counters_of(a, va);
	counters_of(b, vb);
	counters_of(c, vc);
	for (size_t i = 0; i < 16; i++)
		if (va[i] > vb[i] || vb[i] > vc[i])
			fail_msg("%s: counter %zu: /proc %llu, sysfs %llu, /proc again %llu", name,
				 i, (unsigned long long)va[i], (unsigned long long)vb[i],
				 (unsigned long long)vc[i]);
}

/*
 * This machine: /proc/diskstats, then the sysfs stat files, then
 * /proc/diskstats again. The same whole disks, of the same layout, each
 * counter and the totals between the two /proc reads. diskstats skips
 * partitions of size 0, sysfs does not: only proc's must all be in sysfs.
 */
static void test_live_sysfs_matches_proc(void **state)
{
	struct diskstats a, b, c;
	int proc_fd = util__open_dir("/proc"), sys_fd = util__open_dir("/sys");
	size_t whole_a = 0, whole_b = 0;

	assert_true(proc_fd >= 0 && sys_fd >= 0);
	assert_int_equal(diskstats__read(proc_fd, sys_fd, &a), 0);
	assert_int_equal(diskstats__read_sysfs(sys_fd, &b), 0);
	assert_int_equal(diskstats__read(proc_fd, sys_fd, &c), 0);
	close(proc_fd);
	close(sys_fd);
	assert_int_equal(a.source, DISKSTATS_SRC_PROC);
	assert_int_equal(b.source, DISKSTATS_SRC_SYSFS);
	assert_int_equal(b.bad_lines, 0);
	for (size_t i = 0; i < a.nr; i++) {
		const struct disk_stats *da = &a.disks[i];
		const struct disk_stats *db = diskstats__find(&b, da->name);
		const struct disk_stats *dc = diskstats__find(&c, da->name);

		if (!db || !dc)
			fail_msg("%s is in /proc/diskstats but not in %s", da->name,
				 db ? "the second read" : "sysfs");
		if (db->kind != da->kind || db->stacked != da->stacked ||
		    db->major != da->major || db->minor != da->minor || db->layout != da->layout)
			fail_msg("%s: sysfs says kind %u stacked %u %u:%u layout %u, /proc %u %u "
				 "%u:%u %u",
				 da->name, db->kind, db->stacked, db->major, db->minor, db->layout,
				 da->kind, da->stacked, da->major, da->minor, da->layout);
		check_between(da->name, da, db, dc);
		whole_a += da->kind == DISK_KIND_WHOLE;
	}
	for (size_t i = 0; i < b.nr; i++) {
		const struct disk_stats *db = &b.disks[i];

		if (db->kind != DISK_KIND_WHOLE)
			continue;
		whole_b++;
		if (!diskstats__find(&a, db->name))
			fail_msg("sysfs has %s, /proc/diskstats does not", db->name);
	}
	assert_int_equal(whole_a, whole_b);
	assert_true(whole_b > 0);
	check_between("total", &a.total, &b.total, &c.total);
	assert_int_equal(b.total.layout, a.total.layout);
	diskstats__free(&a);
	diskstats__free(&b);
	diskstats__free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout_table),
	    cmocka_unit_test(test_stat_table),
	    cmocka_unit_test(test_fallback),
	    cmocka_unit_test(test_without_sysfs),
	    cmocka_unit_test(test_bytes),
	    cmocka_unit_test(test_every_prefix),
	    cmocka_unit_test(test_free_is_null_safe),
	    cmocka_unit_test(test_live),
	    cmocka_unit_test(test_live_sysfs_matches_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
