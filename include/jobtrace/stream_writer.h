/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The writer of the stream (include/jobtrace/stream.h), inside jobtrace
 * serve: user/out/sink_stream.c. One writer per path, held by flock on a
 * lock file of its own (PATH.lock); readers are libjobtrace
 * (lib/stream_reader.c).
 */
#ifndef JOBTRACE_STREAM_WRITER_H
#define JOBTRACE_STREAM_WRITER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#include "jobtrace/stream.h"

struct stream_writer;

/*
 * A new stream at @path with a data area of @capacity bytes (rounded up to a
 * power of two, at least 4 KiB): built whole under a random name of its own
 * (O_EXCL), every page allocated (posix_fallocate), then renamed over
 * @path, so a reader never sees a half-made file and readers of the old
 * one are told (state REPLACED, a wake-up). What another user left at the
 * path, at PATH.lock or anywhere else in a world-writable directory (a file,
 * a link, a FIFO, a directory) is replaced, never followed nor trusted.
 * NULL with errno set: EBUSY when another writer holds the path; ENOSPC
 * when its filesystem has no room for the whole file; EPERM when its
 * directory is world-writable without the sticky bit.
 * The file is JT_STREAM_MODE, group JT_STREAM_GROUP where that group exists.
 */
#define JT_STREAM_MODE 0640
#define JT_STREAM_GROUP "jobtrace"
struct stream_writer *stream_writer__open(const char *path, size_t capacity);
/*
 * Appends @rec, whose hdr.type is set and whose size is @len (a multiple of
 * 8): fills hdr.len, hdr.version and hdr.seq. Never waits; never fails for
 * a reader. -EINVAL when @len cannot fit the ring.
 */
int stream_writer__append(struct stream_writer *w, union jt_stream_record *rec, size_t len);
/* Wakes the readers that wait, once per batch, if anything was appended. */
void stream_writer__flush(struct stream_writer *w);
__u64 stream_writer__generation(const struct stream_writer *w);
__u64 stream_writer__records(const struct stream_writer *w);
/* Marks the stream closed, wakes the readers, lets the path go. The file stays. */
void stream_writer__close(struct stream_writer *w);

#ifdef __cplusplus
}
#endif

#endif
