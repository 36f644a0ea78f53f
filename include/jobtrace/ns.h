/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where this process stands among the namespaces that decide what the
 * kernel shows it: its pid namespace (which tasks a BPF task iterator
 * walks).
 */
#ifndef JOBTRACE_NS_H
#define JOBTRACE_NS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>

/* The initial pid namespace's fixed inode number (the kernel's PROC_PID_INIT_INO). */
#define NS_PID_INIT_INO 0xEFFFFFFCU

/*
 * Whether this process is in the host's (initial) pid namespace, by
 * /proc/self/ns/pid; false where that cannot be read (a caller then asks
 * the kernel, as the BPF side does: bpf/lineage.bpf.c, reader_ns).
 */
bool ns__pid_initial(void);

#ifdef __cplusplus
}
#endif

#endif
