/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the BPF loaders share: libbpf's messages, and reading an iterator. */
#ifndef JOBTRACE_LOADER_H
#define JOBTRACE_LOADER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * libbpf's messages: with @verbose, its warnings (the verifier's log among
 * them) go to standard error; without, none do, and each loader says what
 * failed in one line of its own.
 */
void loader__log_init(bool verbose);

/*
 * One pass of the iterator behind @link_fd, read whole into *buf (grown as
 * needed; malloc'd, so aligned for the records): its length, or -errno.
 */
ssize_t loader__read_iter(int link_fd, char **buf, size_t *cap);
/*
 * One pass of the iterator behind @link_fd, its fixed-size records of
 * @rec_size bytes handed to @fn as they are read, through @buf (@cap bytes,
 * at least one record; a read may end inside a record, whose rest comes in
 * the next). What a pass holds need not fit in memory at once. 0, @fn's
 * non-zero return, -EPROTO when the pass ends inside a record, or -errno.
 */
int loader__stream_iter(int link_fd, char *buf, size_t cap, size_t rec_size,
			int (*fn)(void *ctx, const void *rec), void *ctx);

#ifdef __cplusplus
}
#endif

#endif
