/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every process of the host, in one pass, for `jobtrace ps`: the task
 * iterator (user/bpf/snapshot.c) with its list checked against /proc, or
 * a walk of /proc where it cannot load or is not wanted. The command picks
 * the source and writes; this joins the loader and /proc.
 */
#ifndef JOBTRACE_PS_SAMPLE_H
#define JOBTRACE_PS_SAMPLE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>

#include "jobtrace/snapshot.h"

struct ps_sample_opts {
	const char *proc_root; /* "/proc", or --proc-root's */
	bool use_proc; /* --proc, --proc-root: no iterator */
	bool use_pin; /* the iterator pinned under /sys/fs/bpf/jobtrace */
	bool verbose; /* say which source was used and how long it took */
	bool users, args; /* USER and ARGS are shown: read them too */
};

/*
 * The snapshot into @s; *@iterated: it came from the task iterator. 0, or
 * a negative errno after a message (no process could be read at all).
 */
int ps_sample__take(const struct ps_sample_opts *o, struct ps_snapshot *s, bool *iterated);
/* What the snapshot's one pass has not: USER and ARGS where asked. 0 or -ENOMEM. */
int ps_sample__extras(const struct ps_sample_opts *o, struct ps_snapshot *s, bool iterated);

#ifdef __cplusplus
}
#endif

#endif
