/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_BPF_LOG_H
#define JOBTRACE_BPF_LOG_H

#include <stdbool.h>

/*
 * libbpf's messages: with @verbose, its warnings (the verifier's log among
 * them) go to standard error; without, none do, and each loader says what
 * failed in one line of its own.
 */
void bpf_log__init(bool verbose);

#endif
