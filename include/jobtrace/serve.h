/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_SERVE_H
#define JOBTRACE_SERVE_H

#ifdef __cplusplus
extern "C" {
#endif

/* `jobtrace serve`: host mode as a service, its records published to other agents. */
int serve__main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
