// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <unistd.h>

#include "jobtrace/fsusage.h"
#include "jobtrace/util.h"

struct statvfs_case {
	const char *name;
	struct statvfs sv;
	int err;
	struct fsusage want;
};

#define SV(bsize, frsize, blocks, bfree, bavail, files, ffree)                                 \
	{ .f_bsize = (bsize), .f_frsize = (frsize), .f_blocks = (blocks), .f_bfree = (bfree),   \
	  .f_bavail = (bavail), .f_files = (files), .f_ffree = (ffree), .f_favail = (ffree) }

static const struct statvfs_case statvfs_cases[] = {
	{
		/*
		 * This VM's root ext4, where df says 17%: 4150324 blocks used,
		 * 20933973 free to users and 40968724 kept for root, so
		 * total != used + avail. ceil(415032400 / 25084297) = 17.
		 */
		.name = "ext4 with reserved blocks",
		.sv = SV(4096, 4096, 66053021, 61902697, 20933973, 16777216, 16367480),
		.want = { .total_bytes = 270553174016ULL,
			  .used_bytes = 16999727104ULL,
			  .avail_bytes = 85745553408ULL,
			  .reserved_bytes = 167807893504ULL,
			  .block_bytes = 4096,
			  .inodes_total = 16777216,
			  .inodes_used = 409736,
			  .inodes_free = 16367480,
			  .used_pct = 17,
			  .inodes_used_pct = 3 },
	},
	{
		/* /proc, /sys: nothing to divide by, df prints "-". */
		.name = "zero-size pseudo file system",
		.sv = SV(4096, 4096, 0, 0, 0, 0, 0),
		.want = { .block_bytes = 4096, .used_pct = -1, .inodes_used_pct = -1 },
	},
	{
		.name = "f_frsize 0 falls back to f_bsize",
		.sv = SV(1024, 0, 1000, 600, 500, 0, 0),
		.want = { .total_bytes = 1024000,
			  .used_bytes = 409600,
			  .avail_bytes = 512000,
			  .reserved_bytes = 102400,
			  .block_bytes = 1024,
			  .used_pct = 45, /* ceil(400 / 900 x 100) = ceil(44.4) */
			  .inodes_used_pct = -1 },
	},
	{
		/* NFS reports a large f_bsize (preferred I/O size); blocks are f_frsize. */
		.name = "f_bsize is not the block unit",
		.sv = SV(1048576, 4096, 256, 128, 128, 100, 50),
		.want = { .total_bytes = 1048576,
			  .used_bytes = 524288,
			  .avail_bytes = 524288,
			  .block_bytes = 4096,
			  .inodes_total = 100,
			  .inodes_used = 50,
			  .inodes_free = 50,
			  .used_pct = 50, /* exact: no rounding up */
			  .inodes_used_pct = 50 },
	},
	{
		.name = "one block used rounds up to 1%",
		.sv = SV(4096, 4096, 1000000, 999999, 999999, 10, 10),
		.want = { .total_bytes = 4096000000ULL,
			  .used_bytes = 4096,
			  .avail_bytes = 4095995904ULL,
			  .block_bytes = 4096,
			  .inodes_total = 10,
			  .inodes_free = 10,
			  .used_pct = 1,
			  .inodes_used_pct = 0 },
	},
	{
		/* Users see a full disk while root still has its reserve. */
		.name = "full for users",
		.sv = SV(4096, 4096, 1000, 50, 0, 10, 0),
		.want = { .total_bytes = 4096000,
			  .used_bytes = 3891200,
			  .reserved_bytes = 204800,
			  .block_bytes = 4096,
			  .inodes_total = 10,
			  .inodes_used = 10,
			  .used_pct = 100,
			  .inodes_used_pct = 100 },
	},
	{
		/* More free than total (a broken FUSE server) must not wrap to 2^64. */
		.name = "free above total",
		.sv = SV(512, 512, 100, 150, 150, 5, 9),
		.want = { .total_bytes = 51200,
			  .avail_bytes = 76800,
			  .block_bytes = 512,
			  .inodes_total = 5,
			  .inodes_free = 9,
			  .used_pct = 0,
			  .inodes_used_pct = 0 },
	},
	{
		/* 100 x 2^59 overflows 64 bits; the percent still comes out. */
		.name = "percent past 64-bit products",
		.sv = SV(1, 1, 1ULL << 60, 1ULL << 59, 1ULL << 59, 0, 0),
		.want = { .total_bytes = 1ULL << 60,
			  .used_bytes = 1ULL << 59,
			  .avail_bytes = 1ULL << 59,
			  .block_bytes = 1,
			  .used_pct = 50,
			  .inodes_used_pct = -1 },
	},
	{
		.name = "size past 16 EiB",
		.sv = SV(4096, 4096, 1ULL << 62, 0, 0, 0, 0),
		.err = -EOVERFLOW,
	},
};

#define CHECK(f)                                                                               \
	do {                                                                                   \
		if ((long long)got.f != (long long)c->want.f)                                  \
			fail_msg("%s: " #f " = %lld, want %lld", c->name, (long long)got.f,    \
				 (long long)c->want.f);                                        \
	} while (0)

static void test_statvfs_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(statvfs_cases); i++) {
		const struct statvfs_case *c = &statvfs_cases[i];
		struct fsusage got;
		int err = fsusage__from_statvfs(&c->sv, &got);

		if (err != c->err)
			fail_msg("%s: err %d, want %d", c->name, err, c->err);
		if (err)
			continue;
		CHECK(total_bytes);
		CHECK(used_bytes);
		CHECK(avail_bytes);
		CHECK(reserved_bytes);
		CHECK(block_bytes);
		CHECK(inodes_total);
		CHECK(inodes_used);
		CHECK(inodes_free);
		CHECK(used_pct);
		CHECK(inodes_used_pct);
	}
}

struct mount_want {
	__u32 id, parent, major, minor;
	const char *root, *mount_point, *options, *optional, *fs_type, *source, *super;
};

/* tests/fixtures/disk/mounts/self/mountinfo, in order, without its 5 bad lines. */
static const struct mount_want mounts_want[] = {
	{ 22, 1, 252, 1, "/", "/", "rw,relatime", "shared:1", "ext4", "/dev/vda1",
	  "rw,errors=remount-ro" },
	{ 23, 22, 0, 21, "/", "/proc", "rw,nosuid,nodev,noexec,relatime", "shared:12", "proc",
	  "proc", "rw" },
	{ 24, 22, 0, 22, "/", "/sys", "rw,nosuid,nodev,noexec,relatime", "shared:7", "sysfs",
	  "sysfs", "rw" },
	{ 25, 22, 0, 5, "/", "/dev", "rw,nosuid,relatime", "shared:2", "devtmpfs", "udev",
	  "rw,size=8120520k,nr_inodes=2030130,mode=755,inode64" },
	{ 26, 25, 0, 23, "/", "/dev/pts", "rw,nosuid,noexec,relatime", "shared:3", "devpts",
	  "devpts", "rw,gid=5,mode=620,ptmxmode=000" },
	{ 27, 22, 0, 24, "/", "/run", "rw,nosuid,nodev,noexec,relatime", "shared:5", "tmpfs",
	  "tmpfs", "rw,size=1630012k,mode=755,inode64" },
	{ 30, 24, 0, 26, "/", "/sys/fs/cgroup", "rw,nosuid,nodev,noexec,relatime", "shared:9",
	  "cgroup2", "cgroup2", "rw,nsdelegate,memory_recursiveprot" },
	{ 45, 22, 259, 2, "/", "/home", "rw,relatime", "shared:30", "ext4", "/dev/nvme0n1p2",
	  "rw" },
	{ 61, 45, 0, 45, "/", "/home/ann/My Drive", "rw,nosuid,nodev,relatime", "shared:40",
	  "fuse.rclone", "remote:My Drive", "rw,user_id=1000,group_id=1000" },
	{ 62, 45, 0, 46, "/", "/home/ann/line\nbreak", "rw,relatime", "shared:41", "tmpfs",
	  "tmpfs", "rw" },
	/* \134040 is a backslash then "040": decoded once, not twice. */
	{ 63, 45, 0, 47, "/", "/home/ann/back\\slash\ttab\\040", "rw,relatime", "", "tmpfs",
	  "tmpfs", "rw" },
	/* A bind mount of a subdirectory, and a mount whose source is "". */
	{ 64, 27, 0, 48, "/vol/sub", "/run/bind", "rw", "master:5", "tmpfs", "", "rw" },
	{ 65, 22, 0, 49, "/", "/mnt", "rw,relatime", "shared:50 master:7 propagate_from:3", "nfs4",
	  "srv:/export/a b", "rw,vers=4.2" },
	{ 66, 22, 0, 50, "/", "/mnt", "rw,relatime", "shared:51", "tmpfs", "tmpfs", "rw" },
	/* Backslashes without three octal digits are not escapes. */
	{ 67, 22, 0, 51, "/", "/odd\\9x\\04", "rw,relatime", "", "tmpfs", "tmpfs", "rw" },
};

#define CHECK_STR(f, w)                                                                        \
	do {                                                                                   \
		if (strcmp(m->f, w) != 0)                                                      \
			fail_msg("mount %u: " #f " '%s', want '%s'", want->id, m->f, w);       \
	} while (0)

static void test_mountinfo_fixture(void **state)
{
	int proc_fd = util__open_dir(FIXTURES "/disk/mounts");
	const struct mount_entry *m;
	struct mountinfo mi;

	assert_true(proc_fd >= 0);
	assert_int_equal(mountinfo__read(proc_fd, &mi), 0);
	close(proc_fd);
	assert_int_equal(mi.nr, ARRAY_SIZE(mounts_want));
	/* Not a number, no "-", a field too many, no ':' in the device, cut short. */
	assert_int_equal(mi.bad_lines, 5);
	for (size_t i = 0; i < mi.nr; i++) {
		const struct mount_want *want = &mounts_want[i];

		m = &mi.mounts[i];
		if (m->mount_id != want->id || m->parent_id != want->parent ||
		    m->major != want->major || m->minor != want->minor)
			fail_msg("mount %zu: %u %u %u:%u, want %u %u %u:%u", i, m->mount_id,
				 m->parent_id, m->major, m->minor, want->id, want->parent,
				 want->major, want->minor);
		CHECK_STR(root, want->root);
		CHECK_STR(mount_point, want->mount_point);
		CHECK_STR(mount_options, want->options);
		CHECK_STR(optional, want->optional);
		CHECK_STR(fs_type, want->fs_type);
		CHECK_STR(source, want->source);
		CHECK_STR(super_options, want->super);
	}
	/* Two mounts on /mnt: the later one hides the first. */
	m = mountinfo__find(&mi, "/mnt");
	assert_non_null(m);
	assert_int_equal(m->mount_id, 66);
	assert_null(mountinfo__find(&mi, "/cut"));
	assert_null(mountinfo__find(&mi, "/home/ann/My\\040Drive"));
	mountinfo__free(&mi);
	assert_null(mi.mounts);
	mountinfo__free(&mi);
	mountinfo__free(NULL);

	assert_int_equal(mountinfo__parse(NULL, 0, &mi), 0);
	assert_int_equal(mi.nr, 0);
	assert_int_equal(mi.bad_lines, 0);
	mountinfo__free(&mi);
}

/*
 * Every prefix, in an exact-size heap copy: only whole lines make mounts, and
 * a cut line is one bad line, never a mount with a shortened path.
 */
static void test_mountinfo_every_prefix(void **state)
{
	char full[4096];
	int proc_fd = util__open_dir(FIXTURES "/disk/mounts");
	ssize_t n;

	assert_true(proc_fd >= 0);
	n = util__read_file_at(proc_fd, "self/mountinfo", full, sizeof(full));
	close(proc_fd);
	assert_true(n > 0);
	for (size_t len = 0; len <= (size_t)n; len++) {
		char *copy = malloc(len ? len : 1);
		size_t whole = 0, valid;
		struct mountinfo mi;

		assert_non_null(copy);
		memcpy(copy, full, len);
		for (size_t i = 0; i < len; i++)
			whole += copy[i] == '\n';
		assert_int_equal(mountinfo__parse(copy, len, &mi), 0);
		free(copy);
		valid = mi.nr;
		if (valid + mi.bad_lines != whole + (len && full[len - 1] != '\n'))
			fail_msg("prefix %zu: %zu mounts + %zu bad, %zu lines", len, valid,
				 mi.bad_lines, whole);
		for (size_t i = 0; i < valid; i++)
			if (strcmp(mi.mounts[i].mount_point, mounts_want[i].mount_point) != 0)
				fail_msg("prefix %zu: mount %zu at '%s'", len, i,
					 mi.mounts[i].mount_point);
		mountinfo__free(&mi);
	}
}

static void test_live_root(void **state)
{
	const struct mount_entry *m;
	struct mountinfo mi;
	struct fsusage fu;
	int proc_fd = util__open_dir("/proc");

	assert_int_equal(fsusage__stat("/", &fu), 0);
	assert_true(fu.total_bytes > 0);
	assert_true(fu.total_bytes >= fu.used_bytes);
	assert_true(fu.total_bytes >= fu.used_bytes + fu.avail_bytes);
	assert_true(fu.used_pct >= 0 && fu.used_pct <= 100);
	assert_int_equal(fsusage__stat("/does/not/exist", &fu), -ENOENT);

	assert_true(proc_fd >= 0);
	assert_int_equal(mountinfo__read(proc_fd, &mi), 0);
	close(proc_fd);
	assert_int_equal(mi.bad_lines, 0);
	m = mountinfo__find(&mi, "/");
	assert_non_null(m);
	assert_true(m->fs_type[0] != '\0');
	mountinfo__free(&mi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statvfs_table),
		cmocka_unit_test(test_mountinfo_fixture),
		cmocka_unit_test(test_mountinfo_every_prefix),
		cmocka_unit_test(test_live_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
