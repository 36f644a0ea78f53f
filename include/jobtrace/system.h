/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `jobtrace system`: one snapshot of the host, sampled by the host sampler
 * (jobtrace/host.h) and written as JSON or text. The writers are functions
 * a test can drive with a sample taken over fixture trees.
 */
#ifndef JOBTRACE_SYSTEM_H
#define JOBTRACE_SYSTEM_H

#include <stdbool.h>
#include <stdio.h>

#include "jobtrace/host.h"

/*
 * The report. @rates may be NULL (--interval 0): counters only, every rate
 * null in JSON and left out of the text. @proc_root and @sys_root name the
 * roots in warnings. Return 0 or the writer's error (-EIO).
 */
int host__write_json(FILE *f, const struct host_sample *s, const struct host_rates *rates,
		     const char *proc_root, const char *sys_root, bool pretty);
int host__write_text(FILE *f, const struct host_sample *s, const struct host_rates *rates,
		     const char *proc_root, const char *sys_root);

/* The command: argv[0] is "system". Returns the exit status. */
int system__main(int argc, char **argv);

#endif
