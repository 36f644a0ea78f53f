/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The commands' entry points, which main.c dispatches to, and what a
 * command's files share among themselves (run's config, watch through
 * serve): user/cmd's own. What another layer uses stays in
 * include/jobtrace.
 */
#ifndef JOBTRACE_CMD_COMMANDS_H
#define JOBTRACE_CMD_COMMANDS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "jobtrace/options.h"
#include "jobtrace/top.h"

/* The commands: each parses its arguments (argv[0] is its name), runs, returns the exit status. */
int watch__main(int argc, char **argv);
/* Host mode as a service, its records published to other agents. */
int serve__main(int argc, char **argv);
int top__main(int argc, char **argv);
/* Prints serve's stream, read through libjobtrace. */
int tail__main(int argc, char **argv);
int ps__main(int argc, char **argv);
int system__main(int argc, char **argv);
/*
 * One process in full (include/jobtrace/inspect_proc.h). A part that
 * cannot be read (another user's io, a kernel thread's exe) is reported
 * as unavailable with its errno; it does not fail the rest.
 */
int inspect__main(int argc, char **argv);
int connections__main(int argc, char **argv);
int history__main(int argc, char **argv);
/* `jobtrace report DIR`: one Slurm job from its steps' reports (report_dir.c). */
int report_dir__main(int argc, char **argv);

/* ---- top --replay (user/cmd/top_replay.c): the view over serve's history, not the collector ---- */

#define TOP_REPLAY_DEFAULT_DIR "/var/lib/jobtrace/history" /* the unit's StateDirectory */
struct top_replay_opts {
	const char *dir;
	const char *at; /* NULL: the last interval */
	unsigned long frames; /* batch: frames from @at on; 0: one */
	struct top_opts view;
};
int top__replay(const struct top_replay_opts *o);

/* ---- run (user/cmd/run.c, run_remote.c) ---- */

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

/* ---- watch through serve (user/cmd/watch_remote.c) ---- */

/*
 * watch --pid through a running `jobtrace serve --control`, where serve
 * permits it (the tree is the caller's, or the caller is root): 0 with
 * watch's exit status in *@exit_code once done (or failed, with --mode
 * serve); a negative errno when watch goes on with its own source (no
 * serve, serve refused, or options serve cannot give: @others, a --cgroup
 * or --all, or one of @o's that needs watch's own records).
 */
int watch__via_serve(const struct jt_shared *o, bool others, int *exit_code);

#endif
