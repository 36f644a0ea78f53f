/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_MEMINFO_H
#define JOBTRACE_MEMINFO_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <linux/types.h>

/*
 * System memory and swap, from /proc/meminfo, /proc/zoneinfo (only when
 * MemAvailable cannot be trusted) and /proc/vmstat. Every size is in bytes.
 */

/* Bits of struct meminfo.missing: a source line that was absent or unreadable. */
enum meminfo_field {
	MEMINFO_MEM_TOTAL,
	MEMINFO_MEM_FREE,
	MEMINFO_MEM_AVAILABLE,
	MEMINFO_BUFFERS,
	MEMINFO_CACHED,
	MEMINFO_SHMEM,
	MEMINFO_SLAB,
	MEMINFO_SRECLAIMABLE,
	MEMINFO_ACTIVE,
	MEMINFO_INACTIVE,
	MEMINFO_ACTIVE_FILE,
	MEMINFO_INACTIVE_FILE,
	MEMINFO_SWAP_TOTAL,
	MEMINFO_SWAP_FREE,
	MEMINFO_PSWPIN,	 /* /proc/vmstat */
	MEMINFO_PSWPOUT, /* /proc/vmstat */
	MEMINFO__NR_FIELDS,
};

#define MEMINFO_BIT(f) (1U << (f))

/* Where available_bytes came from. */
enum meminfo_avail_src {
	MEMINFO_AVAIL_KERNEL,	/* MemAvailable, kernel >= 3.14 */
	MEMINFO_AVAIL_ZONEINFO, /* our copy of the kernel estimate over zoneinfo watermarks */
	MEMINFO_AVAIL_ROUGH,	/* no zoneinfo either: free + buffers + cached */
	MEMINFO_AVAIL_NONE,	/* meminfo__parse() alone: the estimate is still to be made */
};

struct meminfo {
	__u64 total_bytes;
	__u64 free_bytes;
	__u64 available_bytes; /* clamped to [0, total_bytes] */
	__u64 used_bytes;      /* total - available, as free(1) >= 4.0 shows it */
	__u64 buffers_bytes;
	__u64 cached_bytes;	/* Cached + SReclaimable, as free(1) shows it */
	__u64 page_cache_bytes; /* the raw Cached line */
	__u64 shared_bytes;	/* Shmem */
	__u64 slab_bytes;
	__u64 sreclaimable_bytes;
	__u64 active_bytes;
	__u64 inactive_bytes;
	__u64 active_file_bytes;
	__u64 inactive_file_bytes;
	__u64 swap_total_bytes;
	__u64 swap_free_bytes;
	__u64 swap_used_bytes;
	__u64 swap_in_bytes;  /* pswpin x page size, since boot */
	__u64 swap_out_bytes; /* pswpout x page size, since boot */
	__u32 missing;	      /* MEMINFO_BIT() of each absent field; its value is 0 */
	__u32 avail_src;      /* enum meminfo_avail_src */
	__u32 avail_clamped;  /* 1 if the raw figure was above MemTotal (LXC) */
	__u32 __pad;
};

/*
 * Parses /proc/meminfo text. Only newline-terminated lines count: a buffer
 * cut mid-line cannot tell "16" from "16384", so the cut line is treated as
 * missing. -EINVAL without a MemTotal line. When MemAvailable is absent or 0,
 * avail_src is MEMINFO_AVAIL_NONE and available_bytes is 0 until
 * meminfo__estimate_available() runs.
 */
int meminfo__parse(const char *buf, size_t len, struct meminfo *mi);

/*
 * Sums the per-zone "low" watermarks of /proc/zoneinfo, in pages.
 * -ENODATA if no zone has one.
 */
int meminfo__parse_zoneinfo(const char *buf, size_t len, __u64 *wmark_low_pages);

/*
 * The kernel's MemAvailable formula (3.14, mm/page_alloc.c si_mem_available)
 * applied to @mi, with @wmark_low_bytes from meminfo__parse_zoneinfo() times
 * the page size. Sets available, used and avail_src.
 */
void meminfo__estimate_available(struct meminfo *mi, __u64 wmark_low_bytes);

/* Reads pswpin/pswpout from /proc/vmstat text into swap_in/out_bytes. */
int meminfo__parse_vmstat(const char *buf, size_t len, __u64 page_size, struct meminfo *mi);

/*
 * Samples meminfo (and zoneinfo when needed, and vmstat) relative to
 * @proc_dirfd, a directory fd of a proc root. An unreadable vmstat or
 * zoneinfo only sets bits in @missing; an unreadable meminfo is an error.
 */
int meminfo__read(int proc_dirfd, struct meminfo *mi);

/* meminfo__read() with a given page size instead of the running kernel's. */
int meminfo__read_with_page_size(int proc_dirfd, __u64 page_size, struct meminfo *mi);

#ifdef __cplusplus
}
#endif

#endif
