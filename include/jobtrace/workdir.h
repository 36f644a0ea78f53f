/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A job's work directory at its end, as ApMon reported it (workdir_size,
 * disk_*): its size as du counts it and its file system's usage as df's
 * (user/collect/workdir.c).
 */
#ifndef JOBTRACE_WORKDIR_H
#define JOBTRACE_WORKDIR_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <linux/types.h>

#include "jobtrace/fsusage.h"

struct workdir_usage {
	__u64 size_bytes; /* allocated, as du counts it (hard links once) */
	__u64 apparent_bytes;
	__u64 files;
	__u64 errors; /* entries that could not be read */
	struct fsusage fs;
	bool fs_ok;
};

/* Walks @path in-process (no du), without following symlinks or leaving its filesystem. */
int workdir__usage(const char *path, struct workdir_usage *out);

#ifdef __cplusplus
}
#endif

#endif
