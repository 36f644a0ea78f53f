/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `jobtrace inspect PID`: one process in full (include/jobtrace/inspect_proc.h).
 * A part that cannot be read (another user's io, a kernel thread's exe)
 * is reported as unavailable with its errno; it does not fail the rest.
 */
#ifndef JOBTRACE_INSPECT_H
#define JOBTRACE_INSPECT_H

#ifdef __cplusplus
extern "C" {
#endif

#include "jobtrace/inspect_proc.h"

/* `jobtrace inspect`; argv[0] is "inspect". Returns the exit status. */
int inspect__main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
