/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /proc/PID/limits: the resource limits of any process, readable without
 * the privileges prlimit(2) needs on another user's process.
 */
#ifndef JOBTRACE_PROC_LIMITS_H
#define JOBTRACE_PROC_LIMITS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RLIMIT_CPU (0) .. RLIMIT_RTTIME (15), in the kernel's order. */
#define PROC_LIMITS_N 16
/* "unlimited", as RLIM_INFINITY spells it. */
#define PROC_LIMIT_INFINITY UINT64_MAX

struct proc_limit {
	uint64_t soft;
	uint64_t hard;
	bool known;	/* the line was present */
};

struct proc_limits {
	struct proc_limit lim[PROC_LIMITS_N];	/* indexed by RLIMIT_* */
};

/* "nofile", "nproc", ...: the RLIMIT_ name in lower case, as prlimit(1) prints it. */
const char *proc_limits__name(unsigned int resource);
/* The unit the kernel gives ("seconds", "bytes", ...; "" for a count). */
const char *proc_limits__unit(unsigned int resource);
/*
 * -EINVAL for a known limit with a bad value, a missing header or a cut
 * file; a line this table does not know (a newer kernel's) is skipped.
 */
int proc_limits__parse(const char *buf, size_t len, struct proc_limits *out);
int proc_limits__read(int proc_fd, int pid, struct proc_limits *out);

#ifdef __cplusplus
}
#endif

#endif
