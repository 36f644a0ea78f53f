/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_RUN_H
#define JOBTRACE_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "jobtrace/lineage.h"

struct run_config {
	char *const *argv; /* the command; argv[argc] == NULL */
	int argc;
	bool json;
	const char *output; /* report file; NULL: stderr, like time(1) */
	bool wait_tree; /* wait for every descendant, not just the root */
	size_t top; /* commands in the breakdown */
	struct lineage_opts lineage;
};

/* Runs the job and writes its report; returns jobtrace's exit status. */
int run__main(const struct run_config *cfg);

#endif
