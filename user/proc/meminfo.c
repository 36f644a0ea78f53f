// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * System memory and swap from /proc/meminfo, /proc/zoneinfo and /proc/vmstat.
 *
 * The parsers are pure functions over a buffer; meminfo__read() is the only
 * part that touches the file system, relative to a proc root fd so that tests
 * can point it at a fixture tree.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/meminfo.h"
#include "jobtrace/util.h"

/* /proc/meminfo is about 1.5 KiB and vmstat about 5 KiB today. */
#define MEMINFO_FILE_MAX (64U << 10)
/*
 * zoneinfo carries a per-CPU pageset block for every zone: a few hundred
 * bytes x CPUs x zones, megabytes on a large NUMA host.
 */
#define ZONEINFO_FILE_MAX (64U << 20)

/*
 * Steps over the next newline-terminated line of [*pos, end). An unterminated
 * tail is not a line: a buffer cut mid-number would otherwise give a smaller
 * number that looks valid.
 */
static bool next_line(const char **pos, const char *end, const char **line, size_t *len)
{
	const char *nl;

	if (*pos >= end)
		return false;
	nl = memchr(*pos, '\n', (size_t)(end - *pos));
	if (!nl)
		return false;
	*line = *pos;
	*len = (size_t)(nl - *pos);
	*pos = nl + 1;
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Decimal at *p (after blanks); 0, -EINVAL without digits, -ERANGE past 2^64. */
static int parse_u64(const char **p, const char *end, __u64 *v)
{
	const char *s = *p;
	__u64 n = 0;

	while (s < end && is_blank(*s))
		s++;
	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (__builtin_mul_overflow(n, 10, &n) ||
		    __builtin_add_overflow(n, (__u64)(*s - '0'), &n))
			return -ERANGE;
	}
	*p = s;
	*v = n;
	return 0;
}

/* True if [p, end) holds only blanks. */
static bool rest_is_blank(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p == end;
}

static const struct {
	const char *key;
	enum meminfo_field field;
} meminfo_keys[] = {
	{ "MemTotal", MEMINFO_MEM_TOTAL },
	{ "MemFree", MEMINFO_MEM_FREE },
	{ "MemAvailable", MEMINFO_MEM_AVAILABLE },
	{ "Buffers", MEMINFO_BUFFERS },
	{ "Cached", MEMINFO_CACHED },
	{ "Shmem", MEMINFO_SHMEM },
	{ "Slab", MEMINFO_SLAB },
	{ "SReclaimable", MEMINFO_SRECLAIMABLE },
	{ "Active", MEMINFO_ACTIVE },
	{ "Inactive", MEMINFO_INACTIVE },
	{ "Active(file)", MEMINFO_ACTIVE_FILE },
	{ "Inactive(file)", MEMINFO_INACTIVE_FILE },
	{ "SwapTotal", MEMINFO_SWAP_TOTAL },
	{ "SwapFree", MEMINFO_SWAP_FREE },
};

/*
 * "Key:   12345 kB" -> bytes. Every line we use is in kB (fs/proc/meminfo.c
 * show_val_kb); a line in another unit or without one is not what we think it
 * is, so it is rejected rather than guessed at.
 */
static int parse_kb_line(const char *p, const char *end, __u64 *bytes)
{
	__u64 kb;
	int err;

	err = parse_u64(&p, end, &kb);
	if (err)
		return err;
	while (p < end && is_blank(*p))
		p++;
	if (end - p < 2 || p[0] != 'k' || p[1] != 'B' || !rest_is_blank(p + 2, end))
		return -EINVAL;
	if (__builtin_mul_overflow(kb, 1024, bytes))
		return -ERANGE;
	return 0;
}

static __u64 min_u64(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

/* Sum that sticks at 2^64 - 1 instead of wrapping; the result is clamped anyway. */
static __u64 sat_add(__u64 a, __u64 b)
{
	__u64 r;

	return __builtin_add_overflow(a, b, &r) ? ~0ULL : r;
}

/* Available can never exceed what there is: lxcfs has shown MemAvailable > MemTotal. */
static void set_available(struct meminfo *mi, __u64 avail, enum meminfo_avail_src src)
{
	mi->avail_clamped = avail > mi->total_bytes;
	mi->available_bytes = min_u64(avail, mi->total_bytes);
	mi->used_bytes = mi->total_bytes - mi->available_bytes;
	mi->avail_src = src;
}

int meminfo__parse(const char *buf, size_t len, struct meminfo *mi)
{
	__u64 val[MEMINFO__NR_FIELDS] = { 0 };
	__u32 seen = 0;
	const char *pos = buf, *end = buf + len, *line;
	size_t line_len;

	memset(mi, 0, sizeof(*mi));
	while (next_line(&pos, end, &line, &line_len)) {
		const char *colon = memchr(line, ':', line_len);
		size_t key_len;
		__u64 bytes;

		if (!colon)
			continue;
		key_len = (size_t)(colon - line);
		for (size_t i = 0; i < ARRAY_SIZE(meminfo_keys); i++) {
			enum meminfo_field f = meminfo_keys[i].field;

			if (strlen(meminfo_keys[i].key) != key_len ||
			    memcmp(meminfo_keys[i].key, line, key_len) != 0)
				continue;
			/* The first occurrence wins; a malformed one stays missing. */
			if (!(seen & MEMINFO_BIT(f)) &&
			    parse_kb_line(colon + 1, line + line_len, &bytes) == 0) {
				val[f] = bytes;
				seen |= MEMINFO_BIT(f);
			}
			break;
		}
	}
	if (!(seen & MEMINFO_BIT(MEMINFO_MEM_TOTAL)))
		return -EINVAL;

	/* The vmstat bits stay set until meminfo__parse_vmstat() finds those lines. */
	mi->missing = ~seen & (MEMINFO_BIT(MEMINFO__NR_FIELDS) - 1);
	mi->total_bytes = val[MEMINFO_MEM_TOTAL];
	mi->free_bytes = val[MEMINFO_MEM_FREE];
	mi->buffers_bytes = val[MEMINFO_BUFFERS];
	mi->page_cache_bytes = val[MEMINFO_CACHED];
	mi->cached_bytes = sat_add(val[MEMINFO_CACHED], val[MEMINFO_SRECLAIMABLE]);
	mi->shared_bytes = val[MEMINFO_SHMEM];
	mi->slab_bytes = val[MEMINFO_SLAB];
	mi->sreclaimable_bytes = val[MEMINFO_SRECLAIMABLE];
	mi->active_bytes = val[MEMINFO_ACTIVE];
	mi->inactive_bytes = val[MEMINFO_INACTIVE];
	mi->active_file_bytes = val[MEMINFO_ACTIVE_FILE];
	mi->inactive_file_bytes = val[MEMINFO_INACTIVE_FILE];
	mi->swap_total_bytes = val[MEMINFO_SWAP_TOTAL];
	mi->swap_free_bytes = val[MEMINFO_SWAP_FREE];
	/*
	 * Without both lines "used" is unknown, and SwapFree > SwapTotal is a
	 * torn read: report 0 rather than a made-up or 16 EiB figure.
	 */
	if (!(mi->missing & (MEMINFO_BIT(MEMINFO_SWAP_TOTAL) | MEMINFO_BIT(MEMINFO_SWAP_FREE))) &&
	    mi->swap_total_bytes > mi->swap_free_bytes)
		mi->swap_used_bytes = mi->swap_total_bytes - mi->swap_free_bytes;

	/*
	 * MemAvailable 0 is not a believable value on a running system: some
	 * container and virtualised /proc emulations print it (psutil #1915).
	 */
	if (val[MEMINFO_MEM_AVAILABLE] == 0) {
		/* Unknown until estimated (meminfo__read()): used is not all of it. */
		mi->avail_src = MEMINFO_AVAIL_NONE;
	} else {
		set_available(mi, val[MEMINFO_MEM_AVAILABLE], MEMINFO_AVAIL_KERNEL);
	}
	return 0;
}

int meminfo__parse_zoneinfo(const char *buf, size_t len, __u64 *wmark_low_pages)
{
	const char *pos = buf, *end = buf + len, *line;
	size_t line_len;
	bool found = false;
	__u64 sum = 0;

	/*
	 * Each zone has "        low      41" under its "pages free" line. The
	 * per-node stats and pagesets above and below use other words, and
	 * "high:" with a colon, so matching the exact first word is enough.
	 */
	while (next_line(&pos, end, &line, &line_len)) {
		const char *p = line, *lend = line + line_len;
		__u64 v;

		while (p < lend && is_blank(*p))
			p++;
		if (lend - p < 4 || memcmp(p, "low", 3) != 0 || !is_blank(p[3]))
			continue;
		p += 3;
		if (parse_u64(&p, lend, &v) || !rest_is_blank(p, lend))
			continue;
		sum = sat_add(sum, v);
		found = true;
	}
	if (!found)
		return -ENODATA;
	*wmark_low_pages = sum;
	return 0;
}

void meminfo__estimate_available(struct meminfo *mi, __u64 wmark_low_bytes)
{
	__u64 pagecache, reclaimable, avail;

	/*
	 * The kernel's estimate: free memory above the low watermark, plus the
	 * page cache and reclaimable slab that can go without pushing the
	 * system into reclaim, at most half of each and less the watermark.
	 * Done in unsigned arithmetic: each term is >= 0, and the free - wmark
	 * subtraction is done last, stopping at 0 as the kernel does.
	 */
	pagecache = sat_add(mi->active_file_bytes, mi->inactive_file_bytes);
	pagecache -= min_u64(pagecache / 2, wmark_low_bytes);
	reclaimable = mi->sreclaimable_bytes;
	reclaimable -= min_u64(reclaimable / 2, wmark_low_bytes);
	avail = sat_add(sat_add(mi->free_bytes, pagecache), reclaimable);
	avail = avail > wmark_low_bytes ? avail - wmark_low_bytes : 0;
	set_available(mi, avail, MEMINFO_AVAIL_ZONEINFO);
}

int meminfo__parse_vmstat(const char *buf, size_t len, __u64 page_size, struct meminfo *mi)
{
	static const struct {
		const char *key;
		enum meminfo_field field;
	} keys[] = {
		{ "pswpin", MEMINFO_PSWPIN },
		{ "pswpout", MEMINFO_PSWPOUT },
	};
	const char *pos = buf, *end = buf + len, *line;
	size_t line_len;
	__u32 seen = 0;

	mi->missing |= MEMINFO_BIT(MEMINFO_PSWPIN) | MEMINFO_BIT(MEMINFO_PSWPOUT);
	mi->swap_in_bytes = 0;
	mi->swap_out_bytes = 0;
	while (next_line(&pos, end, &line, &line_len)) {
		const char *lend = line + line_len;

		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			size_t klen = strlen(keys[i].key);
			const char *p = line + klen;
			__u64 pages, bytes;

			if (line_len <= klen || memcmp(line, keys[i].key, klen) != 0 ||
			    !is_blank(line[klen]) || (seen & MEMINFO_BIT(keys[i].field)))
				continue;
			if (parse_u64(&p, lend, &pages) || !rest_is_blank(p, lend))
				break;
			/* A page counter times the page size wraps like the counter itself. */
			bytes = pages * page_size;
			if (keys[i].field == MEMINFO_PSWPIN)
				mi->swap_in_bytes = bytes;
			else
				mi->swap_out_bytes = bytes;
			seen |= MEMINFO_BIT(keys[i].field);
			mi->missing &= ~MEMINFO_BIT(keys[i].field);
			break;
		}
	}
	return seen ? 0 : -ENODATA;
}

int meminfo__read_with_page_size(int proc_dirfd, __u64 page_size, struct meminfo *mi)
{
	__u64 wmark_low_pages, wmark_low_bytes;
	char *buf;
	ssize_t n;
	int err;

	if (page_size == 0)
		return -EINVAL;
	n = util__read_file_alloc(proc_dirfd, "meminfo", MEMINFO_FILE_MAX, &buf);
	if (n < 0)
		return (int)n;
	err = meminfo__parse(buf, (size_t)n, mi);
	free(buf);
	if (err)
		return err;

	/*
	 * Estimates from the lines they add up, only where those are there: a
	 * file cut after MemTotal (its other lines missing, read as 0) made
	 * the host out of memory, 0 available and 100% used.
	 */
	if (mi->avail_src == MEMINFO_AVAIL_NONE) {
		const __u32 zone_needs = MEMINFO_BIT(MEMINFO_MEM_FREE) |
					 MEMINFO_BIT(MEMINFO_ACTIVE_FILE) |
					 MEMINFO_BIT(MEMINFO_INACTIVE_FILE) |
					 MEMINFO_BIT(MEMINFO_SRECLAIMABLE);
		const __u32 rough_needs = MEMINFO_BIT(MEMINFO_MEM_FREE) |
					  MEMINFO_BIT(MEMINFO_BUFFERS) | MEMINFO_BIT(MEMINFO_CACHED);

		n = util__read_file_alloc(proc_dirfd, "zoneinfo", ZONEINFO_FILE_MAX, &buf);
		if (n >= 0 && !(mi->missing & zone_needs) &&
		    meminfo__parse_zoneinfo(buf, (size_t)n, &wmark_low_pages) == 0) {
			if (__builtin_mul_overflow(wmark_low_pages, page_size, &wmark_low_bytes))
				wmark_low_bytes = ~0ULL;
			meminfo__estimate_available(mi, wmark_low_bytes);
		} else if (!(mi->missing & rough_needs)) {
			/* Kernels without zoneinfo predate both; this is what free(1) did then. */
			set_available(mi, sat_add(sat_add(mi->free_bytes, mi->buffers_bytes),
						  mi->cached_bytes),
				      MEMINFO_AVAIL_ROUGH);
		}
		free(buf);
	}

	n = util__read_file_alloc(proc_dirfd, "vmstat", MEMINFO_FILE_MAX, &buf);
	if (n >= 0)
		meminfo__parse_vmstat(buf, (size_t)n, page_size, mi);
	free(buf);
	return 0;
}

int meminfo__read(int proc_dirfd, struct meminfo *mi)
{
	/* 4 KiB on x86, but 16 or 64 KiB on arm64 and ppc64 kernels. */
	long page_size = sysconf(_SC_PAGESIZE);

	if (page_size <= 0)
		return -EINVAL;
	return meminfo__read_with_page_size(proc_dirfd, (__u64)page_size, mi);
}
