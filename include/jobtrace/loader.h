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

#ifdef __cplusplus
}
#endif

#endif
