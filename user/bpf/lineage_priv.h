/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The lineage loader's state, shared by user/bpf/lineage.c (load, maps,
 * ring) and user/bpf/lineage_iter.c (the task iterators' reads), as
 * bpf/lineage.bpf.c and bpf/lineage_iter.bpf.h share the object.
 */
#ifndef JOBTRACE_LINEAGE_PRIV_H
#define JOBTRACE_LINEAGE_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "jobtrace/lineage.h"
#include "lineage.skel.h"

struct lineage {
	struct lineage_bpf *skel;
	struct ring_buffer *ring;
	lineage_exit_fn on_exit;
	lineage_exec_fn on_exec;
	lineage_fork_fn on_fork;
	void *ctx;
	__u64 *malformed;
	int ncpus;
	char *iter_buf; /* what the last iterator read returned */
	size_t iter_cap;
	char *live_buf; /* lineage__read_live()'s, LIVE_BUF_BYTES */
	bool oom_marks; /* the OOM killer's victims are marked (oom/mark_victim) */
};

#endif
