/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_RUN_H
#define JOBTRACE_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "jobtrace/options.h"

struct run_config {
	char *const *argv; /* the command; argv[argc] == NULL */
	int argc;
	bool wait_tree; /* wait for every descendant, not just the root */
	const char *workdir; /* report this directory's size and filesystem */
	/*
	 * -o (report file; NULL: stderr, like time(1)), --json, -t, -i (a live
	 * line every so often), --pss, --events, --svg, --html, --mode (NULL:
	 * serve, else bpf, proc, rusage), --control (NULL: $JOBTRACE_CONTROL
	 * or the default), the source's sizes, --apmon.
	 */
	struct jt_shared shared;
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
