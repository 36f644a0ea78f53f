/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_WATCH_H
#define JOBTRACE_WATCH_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* `jobtrace watch`: parses its arguments, runs, returns jobtrace's exit status. */
int watch__main(int argc, char **argv);

/* What watch through serve needs of watch's options (user/cmd/watch_remote.c). */
struct watch_remote {
	const pid_t *pids;
	size_t npids;
	bool others; /* --cgroup or --all: not for serve */
	/* Options that need watch's own records: any of them skips serve. */
	double interval_s;
	const char *events, *svg, *html;
	bool pss, apmon, no_args;
	double duration_s;
	bool json;
	const char *output;
	size_t top;
	const char *mode; /* --mode: serve forces it; bpf and proc skip it */
	const char *control; /* --control PATH; NULL: $JOBTRACE_CONTROL, else the default */
	bool verbose;
};

/*
 * watch --pid through a running `jobtrace serve --control`, where serve
 * permits it (the tree is the caller's, or the caller is root): 0 with
 * watch's exit status in *@exit_code once done (or failed, with --mode
 * serve); a negative errno when watch goes on with its own source (no
 * serve, serve refused, or options serve cannot give).
 */
int watch__via_serve(const struct watch_remote *wr, int *exit_code);

#ifdef __cplusplus
}
#endif

#endif
