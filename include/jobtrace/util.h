/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_UTIL_H
#define JOBTRACE_UTIL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Reads the whole of @path (relative to @dirfd, or absolute) into @buf,
 * NUL-terminated. Returns the length read, or a negative errno. A file longer
 * than @size - 1 bytes returns -EFBIG: a parser must never see a silently cut
 * file. -ENOENT/-ESRCH from a /proc/PID file mean the process is gone.
 * Only a regular file is read: a directory is -EISDIR, anything else (a FIFO
 * in a --proc-root tree, a device) -EINVAL, at once and without blocking.
 */
ssize_t util__read_file_at(int dirfd, const char *path, char *buf, size_t size);

/*
 * Reads the whole of @path (relative to @dirfd, or absolute) into a heap
 * buffer, NUL-terminated, for files whose size is not known in advance
 * (/proc files report st_size 0). The buffer grows as the file does, through
 * one open file, so the parser sees one read of the file, not a mix of two.
 * A file of up to @max bytes is read; one longer is -EFBIG. Returns the
 * length, *@out set (the caller frees it), or a negative errno and *@out NULL.
 */
ssize_t util__read_file_alloc(int dirfd, const char *path, size_t max, char **out);

/*
 * Makes room for one more element in the growing array *@arrp of *@cap
 * elements of @elem_size: doubles it, starting at @first, never past @max
 * (UTIL_NO_MAX for none). 0; -E2BIG when it is at @max already; -ENOMEM.
 * It always grows: call it only when the array is full (n == *@cap).
 */
#define UTIL_NO_MAX SIZE_MAX
int util__grow(void *arrp, size_t *cap, size_t elem_size, size_t first, size_t max);

/*
 * opendir() of @path relative to @dirfd ("." for @dirfd itself), leaving
 * @dirfd to the caller; NULL with errno set.
 */
DIR *util__opendir_at(int dirfd, const char *path);

/* Opens a directory (a proc or sys root) for *at() reads; -errno on failure. */
int util__open_dir(const char *path);

/* jobtrace's own failure, as env(1) and timeout(1) report theirs. */
#define UTIL_EXIT_FAILURE 125

/*
 * Makes stdout a stream that stops jobtrace at its first failed write (a
 * full disk, a closed pipe, a closed fd) with one message on stderr,
 * "jobtrace: cannot write to standard output: <cause>", and exit status
 * UTIL_EXIT_FAILURE, whichever command was writing; and makes SIGPIPE
 * reach jobtrace as EPIPE rather than kill it without a word. Call it
 * first thing in main(), before anything is written. 0 or a negative errno
 * (stdout then stays as it was).
 */
int util__guard_stdout(void);
/*
 * A reader that went away (EPIPE) ends the command quietly, as SIGPIPE's
 * default would. With @on (run: its exit status is the job's), a failed
 * write of standard output is returned to stdio instead, for the caller.
 */
void util__stdout_return_errors(bool on);

/*
 * The decimal digits at *@p, before @end, into @out, and *@p past them: 0,
 * -EPROTO where there is no digit, -ERANGE past 64 bits. No sign, space or
 * base prefix: the kernel writes its numbers so, and a parser takes them so.
 */
int util__scan_u64(const char **p, const char *end, unsigned long long *out);

/*
 * @f's write error as a negative errno, 0 when it has none. errno is long
 * gone when ferror() says so: a flush of what stdio kept retries the write,
 * and its errno is the real cause (EPIPE: the reader went away; ENOSPC),
 * not the EIO a caller would otherwise have to guess.
 */
int util__stream_error(FILE *f);

/*
 * Flushes stdout at the end of a command that exits with @status, so a
 * failure in the last buffer is reported as any other (see above);
 * returns @status.
 */
int util__close_stdout(int status);

/*
 * FNV-1a (64 bits) of @len bytes at @data, continuing from @h:
 * UTIL_FNV1A_BASIS to start. The one hash of the hand-made tables and of
 * the iterator's pin name.
 */
#define UTIL_FNV1A_BASIS 0xcbf29ce484222325ULL
uint64_t util__fnv1a(uint64_t h, const void *data, size_t len);

/* Nanoseconds of CLOCK_MONOTONIC / CLOCK_BOOTTIME / CLOCK_REALTIME. */
/*
 * The name of @uid in the host's user database into @buf: true, or false
 * when it has none. Remembered per uid (a few dozen users per host, and a
 * database lookup may go over the network).
 */
bool util__user_name(unsigned int uid, char *buf, size_t size);

unsigned long long util__now_ns(void);
unsigned long long util__boottime_ns(void);
unsigned long long util__realtime_ns(void);

#ifdef __cplusplus
}
#endif

#endif
