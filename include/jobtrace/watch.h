/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_WATCH_H
#define JOBTRACE_WATCH_H

#ifdef __cplusplus
extern "C" {
#endif

/* `jobtrace watch`: parses its arguments, runs, returns jobtrace's exit status. */
int watch__main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
