// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/sysinfo.h>

#include "jobtrace/meminfo.h"
#include "jobtrace/util.h"

#define MEM_FIXTURES FIXTURES "/mem/"
#define KB(n) ((__u64)(n) * 1024)
#define BIT(f) MEMINFO_BIT(MEMINFO_##f)

struct mem_case {
	const char *name;
	const char *dir; /* a proc root under tests/fixtures/mem */
	__u64 page_size;
	int err;
	struct meminfo want;
};

static const struct mem_case mem_cases[] = {
	{
		.name = "6.x kernel, every line present",
		.dir = "modern",
		.page_size = 4096,
		.want = {
			.total_bytes = KB(16273716),
			.free_bytes = KB(1143852),
			.available_bytes = KB(9867408),
			.used_bytes = KB(16273716 - 9867408),
			.buffers_bytes = KB(412096),
			.cached_bytes = KB(8012388 + 498732),
			.page_cache_bytes = KB(8012388),
			.shared_bytes = KB(842196),
			.slab_bytes = KB(803348),
			.sreclaimable_bytes = KB(498732),
			.active_bytes = KB(6129460),
			.inactive_bytes = KB(7148236),
			.active_file_bytes = KB(4057652),
			.inactive_file_bytes = KB(3841536),
			.swap_total_bytes = KB(8388604),
			.swap_free_bytes = KB(8123388),
			.swap_used_bytes = KB(8388604 - 8123388),
			.swap_in_bytes = 66304ULL * 4096,
			.swap_out_bytes = 150233ULL * 4096,
			.avail_src = MEMINFO_AVAIL_KERNEL,
		},
	},
	{
		/*
		 * 3.10 has no MemAvailable. wmark_low = 41 + 6787 + 14338 pages =
		 * 84664 kB. pagecache 5024856 - min(2512428, 84664) = 4940192;
		 * SReclaimable 497140 - min(248570, 84664) = 412476;
		 * 841620 + 4940192 + 412476 - 84664 = 6109624 kB.
		 */
		.name = "3.10 kernel, zoneinfo estimate, 4 KiB pages",
		.dir = "old-3.10",
		.page_size = 4096,
		.want = {
			.total_bytes = KB(8010336),
			.free_bytes = KB(841620),
			.available_bytes = KB(6109624),
			.used_bytes = KB(8010336 - 6109624),
			.buffers_bytes = KB(190180),
			.cached_bytes = KB(4985996 + 497140),
			.page_cache_bytes = KB(4985996),
			.shared_bytes = KB(151324),
			.slab_bytes = KB(563176),
			.sreclaimable_bytes = KB(497140),
			.active_bytes = KB(3984020),
			.inactive_bytes = KB(2427920),
			.active_file_bytes = KB(2970152),
			.inactive_file_bytes = KB(2054704),
			.swap_total_bytes = KB(4194300),
			.swap_free_bytes = KB(4180988),
			.swap_used_bytes = KB(4194300 - 4180988),
			.swap_in_bytes = 12ULL * 4096,
			.swap_out_bytes = 3340ULL * 4096,
			.missing = BIT(MEM_AVAILABLE),
			.avail_src = MEMINFO_AVAIL_ZONEINFO,
		},
	},
	{
		/*
		 * Same files, 64 KiB pages: wmark_low = 21166 x 64 = 1354624 kB,
		 * now above half the SReclaimable, so the other side of each min:
		 * 841620 + (5024856 - 1354624) + (497140 - 248570) - 1354624.
		 */
		.name = "3.10 kernel, zoneinfo estimate, 64 KiB pages",
		.dir = "old-3.10",
		.page_size = 65536,
		.want = {
			.total_bytes = KB(8010336),
			.free_bytes = KB(841620),
			.available_bytes = KB(3405798),
			.used_bytes = KB(8010336 - 3405798),
			.buffers_bytes = KB(190180),
			.cached_bytes = KB(4985996 + 497140),
			.page_cache_bytes = KB(4985996),
			.shared_bytes = KB(151324),
			.slab_bytes = KB(563176),
			.sreclaimable_bytes = KB(497140),
			.active_bytes = KB(3984020),
			.inactive_bytes = KB(2427920),
			.active_file_bytes = KB(2970152),
			.inactive_file_bytes = KB(2054704),
			.swap_total_bytes = KB(4194300),
			.swap_free_bytes = KB(4180988),
			.swap_used_bytes = KB(4194300 - 4180988),
			.swap_in_bytes = 12ULL * 65536,
			.swap_out_bytes = 3340ULL * 65536,
			.missing = BIT(MEM_AVAILABLE),
			.avail_src = MEMINFO_AVAIL_ZONEINFO,
		},
	},
	{
		/*
		 * MemAvailable: 0 is distrusted. A 6.x zoneinfo with per-node
		 * stats, pagesets ("high:") and empty Movable/Device zones:
		 * wmark_low = 75 + 9180 + 9696 = 18951 pages = 75804 kB.
		 * 212340 + (2269180 - 75804) + (180244 - 75804) - 75804.
		 * No vmstat in this tree: swap in/out are missing, not an error.
		 */
		.name = "MemAvailable 0",
		.dir = "avail-zero",
		.page_size = 4096,
		.want = {
			.total_bytes = KB(4028520),
			.free_bytes = KB(212340),
			.available_bytes = KB(2434352),
			.used_bytes = KB(4028520 - 2434352),
			.buffers_bytes = KB(60212),
			.cached_bytes = KB(1804776 + 180244),
			.page_cache_bytes = KB(1804776),
			.shared_bytes = KB(46080),
			.slab_bytes = KB(262184),
			.sreclaimable_bytes = KB(180244),
			.active_bytes = KB(1987356),
			.inactive_bytes = KB(1338332),
			.active_file_bytes = KB(975248),
			.inactive_file_bytes = KB(1293932),
			.missing = BIT(PSWPIN) | BIT(PSWPOUT),
			.avail_src = MEMINFO_AVAIL_ZONEINFO,
		},
	},
	{
		.name = "MemAvailable above MemTotal (lxcfs)",
		.dir = "lxc-overflow",
		.page_size = 4096,
		.want = {
			.total_bytes = KB(2097152),
			.free_bytes = KB(1572864),
			.available_bytes = KB(2097152),
			.used_bytes = 0,
			.cached_bytes = KB(262144),
			.page_cache_bytes = KB(262144),
			.shared_bytes = KB(4096),
			.active_bytes = KB(196608),
			.inactive_bytes = KB(131072),
			.active_file_bytes = KB(131072),
			.inactive_file_bytes = KB(131072),
			.swap_total_bytes = KB(1048576),
			.swap_free_bytes = KB(1048576),
			.missing = BIT(PSWPIN) | BIT(PSWPOUT),
			.avail_src = MEMINFO_AVAIL_KERNEL,
			.avail_clamped = 1,
		},
	},
	{
		/*
		 * Absent lines (Shmem, SReclaimable), a line without "kB"
		 * (Buffers), a value past 2^64 bytes (MemFree) and a non-number
		 * (Active(file)) all read as missing 0s; vmstat has no pswp lines.
		 */
		.name = "missing and malformed fields",
		.dir = "missing-fields",
		.page_size = 4096,
		.want = {
			.total_bytes = KB(1015000),
			.available_bytes = KB(500000),
			.used_bytes = KB(1015000 - 500000),
			.cached_bytes = KB(300000),
			.page_cache_bytes = KB(300000),
			.slab_bytes = KB(40000),
			.active_bytes = KB(200000),
			.inactive_bytes = KB(100000),
			.inactive_file_bytes = KB(90000),
			.missing = BIT(MEM_FREE) | BIT(BUFFERS) | BIT(SHMEM) | BIT(SRECLAIMABLE) |
				   BIT(ACTIVE_FILE) | BIT(PSWPIN) | BIT(PSWPOUT),
			.avail_src = MEMINFO_AVAIL_KERNEL,
		},
	},
	{
		/* "SwapFree: 5242" without its newline may be 524288 cut short. */
		.name = "file ends mid-line",
		.dir = "cut-line",
		.page_size = 4096,
		.want = {
			.total_bytes = KB(1015000),
			.free_bytes = KB(200000),
			.available_bytes = KB(600000),
			.used_bytes = KB(1015000 - 600000),
			.buffers_bytes = KB(10000),
			.cached_bytes = KB(300000),
			.page_cache_bytes = KB(300000),
			.swap_total_bytes = KB(524288),
			.swap_used_bytes = 0, /* unknown without SwapFree */
			.missing = BIT(SHMEM) | BIT(SLAB) | BIT(SRECLAIMABLE) | BIT(ACTIVE) |
				   BIT(INACTIVE) | BIT(ACTIVE_FILE) | BIT(INACTIVE_FILE) |
				   BIT(SWAP_FREE) | BIT(PSWPIN) | BIT(PSWPOUT),
			.avail_src = MEMINFO_AVAIL_KERNEL,
		},
	},
	{
		/*
		 * Cut after MemTotal, MemFree's number without its unit: every
		 * other line missing, and nothing to estimate available from (no
		 * zoneinfo, no free, buffers nor cached). Unknown, where it was 0
		 * available, 100% used, the host out of memory.
		 */
		.name = "cut after MemTotal",
		.dir = "cut-after-total",
		.page_size = 4096,
		.want = {
			.total_bytes = KB(1015000),
			.missing = (MEMINFO_BIT(MEMINFO__NR_FIELDS) - 1) & ~BIT(MEM_TOTAL),
			.avail_src = MEMINFO_AVAIL_NONE,
		},
	},
	{
		.name = "MemTotal cut mid-number",
		.dir = "cut-total",
		.page_size = 4096,
		.err = -EINVAL,
	},
	{
		.name = "empty file",
		.dir = "empty",
		.page_size = 4096,
		.err = -EINVAL,
	},
	{
		/* Neither MemAvailable nor zoneinfo: free + buffers + Cached + SReclaimable. */
		.name = "no MemAvailable, no zoneinfo",
		.dir = "no-zoneinfo",
		.page_size = 4096,
		.want = {
			.total_bytes = KB(8010336),
			.free_bytes = KB(841620),
			.available_bytes = KB(841620 + 190180 + 4985996 + 497140),
			.used_bytes = KB(8010336 - (841620 + 190180 + 4985996 + 497140)),
			.buffers_bytes = KB(190180),
			.cached_bytes = KB(4985996 + 497140),
			.page_cache_bytes = KB(4985996),
			.shared_bytes = KB(151324),
			.slab_bytes = KB(563176),
			.sreclaimable_bytes = KB(497140),
			.active_bytes = KB(3984020),
			.inactive_bytes = KB(2427920),
			.active_file_bytes = KB(2970152),
			.inactive_file_bytes = KB(2054704),
			.swap_total_bytes = KB(4194300),
			.swap_free_bytes = KB(4180988),
			.swap_used_bytes = KB(4194300 - 4180988),
			.missing = BIT(MEM_AVAILABLE) | BIT(PSWPIN) | BIT(PSWPOUT),
			.avail_src = MEMINFO_AVAIL_ROUGH,
		},
	},
	{
		/* 1024 + 1024 + 256 - 7500 kB: the estimate stops at 0. */
		.name = "estimate below zero",
		.dir = "avail-negative",
		.page_size = 4096,
		.want = {
			.total_bytes = KB(262144),
			.free_bytes = KB(1024),
			.available_bytes = 0,
			.used_bytes = KB(262144),
			.cached_bytes = KB(2048 + 512),
			.page_cache_bytes = KB(2048),
			.slab_bytes = KB(4096),
			.sreclaimable_bytes = KB(512),
			.active_bytes = KB(4096),
			.inactive_bytes = KB(2048),
			.active_file_bytes = KB(1024),
			.inactive_file_bytes = KB(1024),
			.missing = BIT(MEM_AVAILABLE) | BIT(SHMEM) | BIT(PSWPIN) | BIT(PSWPOUT),
			.avail_src = MEMINFO_AVAIL_ZONEINFO,
		},
	},
};

#define CHECK(f)                                                                               \
	do {                                                                                   \
		if (got->f != want->f)                                                         \
			fail_msg("%s: " #f " = %llu, want %llu", name,                         \
				 (unsigned long long)got->f, (unsigned long long)want->f);     \
	} while (0)

static void check_meminfo(const char *name, const struct meminfo *got, const struct meminfo *want)
{
	CHECK(total_bytes);
	CHECK(free_bytes);
	CHECK(available_bytes);
	CHECK(used_bytes);
	CHECK(buffers_bytes);
	CHECK(cached_bytes);
	CHECK(page_cache_bytes);
	CHECK(shared_bytes);
	CHECK(slab_bytes);
	CHECK(sreclaimable_bytes);
	CHECK(active_bytes);
	CHECK(inactive_bytes);
	CHECK(active_file_bytes);
	CHECK(inactive_file_bytes);
	CHECK(swap_total_bytes);
	CHECK(swap_free_bytes);
	CHECK(swap_used_bytes);
	CHECK(swap_in_bytes);
	CHECK(swap_out_bytes);
	CHECK(missing);
	CHECK(avail_src);
	CHECK(avail_clamped);
}

static void test_fixture_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(mem_cases); i++) {
		const struct mem_case *c = &mem_cases[i];
		char path[256];
		struct meminfo got;
		int dirfd, err;

		snprintf(path, sizeof(path), MEM_FIXTURES "%s", c->dir);
		dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			fail_msg("%s: cannot open %s", c->name, path);
		err = meminfo__read_with_page_size(dirfd, c->page_size, &got);
		close(dirfd);
		if (err != c->err)
			fail_msg("%s: err %d, want %d", c->name, err, c->err);
		if (!err)
			check_meminfo(c->name, &got, &c->want);
	}
}

/* A proc root without meminfo, and a page size of 0, are errors, not zeros. */
static void test_read_errors(void **state)
{
	struct meminfo got;
	int dirfd = open(MEM_FIXTURES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(dirfd >= 0);
	assert_int_equal(meminfo__read_with_page_size(dirfd, 4096, &got), -ENOENT);
	assert_int_equal(meminfo__read_with_page_size(dirfd, 0, &got), -EINVAL);
	close(dirfd);
}

/*
 * Every prefix of a real file, in an exact-size heap copy (no NUL after it,
 * so ASan sees any read past @len): MemTotal counts only once its whole line
 * is in, and then always with the full value.
 */
static void test_every_prefix(void **state)
{
	char full[4096];
	ssize_t n;
	size_t total_line_end;
	int dirfd = open(MEM_FIXTURES "modern", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(dirfd >= 0);
	n = util__read_file_at(dirfd, "meminfo", full, sizeof(full));
	close(dirfd);
	assert_true(n > 0);
	total_line_end = (size_t)(strchr(full, '\n') - full) + 1;

	for (size_t len = 0; len <= (size_t)n; len++) {
		char *copy = malloc(len ? len : 1);
		struct meminfo got;
		int err;

		assert_non_null(copy);
		memcpy(copy, full, len);
		err = meminfo__parse(copy, len, &got);
		free(copy);
		if (len < total_line_end) {
			if (err != -EINVAL)
				fail_msg("prefix %zu: err %d, want -EINVAL", len, err);
			continue;
		}
		if (err != 0 || got.total_bytes != KB(16273716))
			fail_msg("prefix %zu: err %d, total %llu", len, err,
				 (unsigned long long)got.total_bytes);
		/* A later line is either whole or missing, never a shorter number. */
		if (!(got.missing & BIT(SWAP_FREE)) && got.swap_free_bytes != KB(8123388))
			fail_msg("prefix %zu: SwapFree %llu", len,
				 (unsigned long long)got.swap_free_bytes);
	}
}

struct zone_case {
	const char *name;
	const char *text;
	int err;
	__u64 pages;
};

static const struct zone_case zone_cases[] = {
	{ "one zone", "Node 0, zone   Normal\n  pages free     5\n        min      3\n"
		      "        low      4\n        high     5\n", 0, 4 },
	{ "two nodes", "Node 0, zone   Normal\n        low      10\n"
		       "Node 1, zone   Normal\n        low      32\n", 0, 42 },
	/* Pagesets say "high:" and per-node stats use nr_* words: neither is a watermark. */
	{ "lookalikes only", "        lowmem   7\n        low:     7\n        nr_low 7\n"
			     "              high:  186\n", -ENODATA, 0 },
	{ "garbage value", "        low      4x\n        low      6\n", 0, 6 },
	{ "cut mid-number", "        low      10\n        low      3", 0, 10 },
	{ "empty", "", -ENODATA, 0 },
};

static void test_zoneinfo_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(zone_cases); i++) {
		const struct zone_case *c = &zone_cases[i];
		__u64 pages = 12345;
		int err = meminfo__parse_zoneinfo(c->text, strlen(c->text), &pages);

		if (err != c->err)
			fail_msg("%s: err %d, want %d", c->name, err, c->err);
		if (!err && pages != c->pages)
			fail_msg("%s: %llu pages, want %llu", c->name, (unsigned long long)pages,
				 (unsigned long long)c->pages);
	}
}

static void test_vmstat_first_line_wins(void **state)
{
	static const char text[] = "pswpin_x 9\npswpin 3\npswpout 4\npswpin 5\n";
	struct meminfo mi = { .missing = 0 };

	assert_int_equal(meminfo__parse_vmstat(text, sizeof(text) - 1, 16384, &mi), 0);
	assert_int_equal(mi.swap_in_bytes, 3 * 16384);
	assert_int_equal(mi.swap_out_bytes, 4 * 16384);
	assert_int_equal(mi.missing, 0);
	assert_int_equal(meminfo__parse_vmstat("pgpgin 1\n", 9, 4096, &mi), -ENODATA);
	assert_int_equal(mi.missing, BIT(PSWPIN) | BIT(PSWPOUT));
	assert_int_equal(mi.swap_in_bytes, 0);
}

/* Ground truth from a different kernel interface: sysinfo(2). */
static void test_live_total_matches_sysinfo(void **state)
{
	struct meminfo mi;
	struct sysinfo si;
	int dirfd = util__open_dir("/proc");

	assert_true(dirfd >= 0);
	assert_int_equal(meminfo__read(dirfd, &mi), 0);
	close(dirfd);
	assert_int_equal(sysinfo(&si), 0);
	assert_int_equal(mi.total_bytes, (__u64)si.totalram * si.mem_unit);
	assert_int_equal(mi.swap_total_bytes, (__u64)si.totalswap * si.mem_unit);
	assert_true(mi.available_bytes <= mi.total_bytes);
	assert_int_equal(mi.used_bytes, mi.total_bytes - mi.available_bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_table),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_zoneinfo_table),
		cmocka_unit_test(test_vmstat_first_line_wins),
		cmocka_unit_test(test_live_total_matches_sysinfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
