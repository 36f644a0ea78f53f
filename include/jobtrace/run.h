/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_RUN_H
#define JOBTRACE_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>

#include "jobtrace/apmon.h"
#include "jobtrace/lineage.h"

struct run_config {
	char *const *argv; /* the command; argv[argc] == NULL */
	int argc;
	bool json;
	const char *output; /* report file; NULL: stderr, like time(1) */
	bool wait_tree; /* wait for every descendant, not just the root */
	size_t top; /* commands in the breakdown */
	double interval_s; /* a live line every so often; 0: none */
	bool pss; /* read smaps_rollup of live members (costly: walks page tables) */
	const char *workdir; /* report this directory's size and filesystem */
	const char *events; /* --events FILE: a JSON line per process that ends; "-": stdout */
	const char *mode; /* --mode bpf|proc; NULL: BPF, else proc where BPF cannot load */
	const char *svg, *html; /* --svg FILE, --html FILE: the job's picture */
	struct lineage_opts lineage;
	struct apmon_opts apmon; /* --apmon: job parameters to MonALISA */
};

/* Runs the job and writes its report; returns jobtrace's exit status. */
int run__main(const struct run_config *cfg);

#ifdef __cplusplus
}
#endif

#endif
