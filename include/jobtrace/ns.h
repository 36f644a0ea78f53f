/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where this process stands among the namespaces that decide what the
 * kernel lets it see and do: its pid namespace (which tasks a BPF task
 * iterator walks; whom the proc connector serves) and its user namespace
 * (whether its capabilities reach bpf(2); whom the proc connector serves).
 */
#ifndef JOBTRACE_NS_H
#define JOBTRACE_NS_H

#ifdef __cplusplus
extern "C" {
#endif

enum ns_kind {
	NS_PID,
	NS_USER,
};

/*
 * Is this process in the host's (initial) namespace of @kind, by
 * /proc/self/ns (whose initial namespaces have fixed inodes)? 1 yes, 0 no,
 * -errno where that cannot be read: each caller says what it then assumes.
 */
int ns__initial(enum ns_kind kind);

#ifdef __cplusplus
}
#endif

#endif
