/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_TAIL_H
#define JOBTRACE_TAIL_H

#ifdef __cplusplus
extern "C" {
#endif

/* `jobtrace tail`: prints serve's stream, read through libjobtrace. */
int tail__main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
