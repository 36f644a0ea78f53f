/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Dropping capabilities once a long-running command no longer needs them
 * (serve, after its BPF programs are loaded and its files made). Two raw
 * syscalls (capget, capset) and prctl: libcap would add a library to link
 * for what fits in a page, and the kernel's ABI here is stable (version 3).
 */
#ifndef JOBTRACE_CAPS_H
#define JOBTRACE_CAPS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <linux/capability.h> /* CAP_* */
#include <stdint.h>

#define CAPS_BIT(cap) (1ULL << (cap))

/*
 * From now on the process holds @keep and nothing else: permitted and
 * effective become @keep (what of it it had), inheritable and ambient
 * empty, the bounding set @keep where CAP_SETPCAP allows it, and
 * no_new_privs is set, so not even an exec gives any back. 0 or -errno.
 */
int caps__keep_only(uint64_t keep);
/* The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
int caps__last_cap(void);

#ifdef __cplusplus
}
#endif

#endif
