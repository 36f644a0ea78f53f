/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_RUN_H
#define JOBTRACE_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "jobtrace/apmon.h"
#include "jobtrace/collector.h"

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
	const char *mode; /* --mode serve|bpf|proc|rusage; NULL: serve, else bpf, proc, rusage */
	const char *control; /* --control PATH: serve's socket; NULL: $JOBTRACE_CONTROL or the default */
	const char *svg, *html; /* --svg FILE, --html FILE: the job's picture */
	struct collector_source source;
	struct apmon_opts apmon; /* --apmon: job parameters to MonALISA */
};

/* Runs the job and writes its report; returns jobtrace's exit status. */
int run__main(const struct run_config *cfg);

/*
 * The job through a running `jobtrace serve --control` (user/cmd/run_remote.c):
 * serve's BPF counts it, run needs no privileges. 0 when it decided the
 * outcome (the job ran, or --mode serve failed), run's exit status in
 * @exit_code. A negative errno when serve is not to be used and nothing was
 * started: -ENOTSUP (another --mode, or an option that needs run's own
 * records), -ENOENT or -ECONNREFUSED (no serve), -EPERM (serve refused),
 * -ETIMEDOUT; run then takes its own source.
 */
int run__via_serve(const struct run_config *cfg, int *exit_code);
/* --control, else $JOBTRACE_CONTROL, else CONTROL_DEFAULT_PATH. */
const char *run__control_path(const struct run_config *cfg);
/*
 * run's forked child, either way it is watched: default signals (and @mask
 * when not NULL), then it waits for a 'g' on @go_fd before it execs @argv,
 * so nothing of it runs before it is registered; EOF instead: it exits 125.
 * A failed exec's errno goes to @err_fd (close-on-exec: EOF means it ran),
 * and the exit status is 127 (not found) or 126.
 */
void __attribute__((noreturn)) run__exec_child(char *const *argv, int go_fd, int err_fd,
					       const sigset_t *mask);

#ifdef __cplusplus
}
#endif

#endif
