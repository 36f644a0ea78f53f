/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* jobtrace's version: `jobtrace version` prints it, /metrics' jobtrace_build_info carries it. */
#ifndef JOBTRACE_VERSION_H
#define JOBTRACE_VERSION_H

#define JOBTRACE_VERSION "0.1.0"

#endif
