/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_PS_H
#define JOBTRACE_PS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "jobtrace/snapshot.h"

struct ps_options {
	bool json;
	bool tree;
	pid_t pid; /* 0: every process; else this one and its descendants */
	__u64 boot_epoch_ns; /* CLOCK_REALTIME at boot, for start times */
};

/* `jobtrace ps`; argv[0] is "ps". Returns the exit status. */
int ps__main(int argc, char **argv);

/* Writes @s as ps__main does; -ESRCH when opts->pid is not in it. */
int ps__write(FILE *f, const struct ps_snapshot *s, const struct ps_options *opts);

#ifdef __cplusplus
}
#endif

#endif
