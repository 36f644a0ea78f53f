/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `jobtrace top`: the host's jobs on one screen, refreshed every interval.
 * The view is a sink (user/out/sink_top.c): it keeps what the records say
 * (a row per job, the host's summary, the live processes and each job's
 * last exits) and draws a frame after each host record, to the terminal
 * through ncurses or, in batch mode, as plain text. The front (user/cmd/
 * top.c) owns the collector: it hands the view the keys that wait and does
 * what they ask of the collector (stop, a new interval).
 */
#ifndef JOBTRACE_TOP_H
#define JOBTRACE_TOP_H

#include <stdbool.h>
#include <stdio.h>

#include "jobtrace/sink.h"

/* The columns, in their order on screen; each can be the sort key. */
enum top_col {
	TOP_COL_JOB,
	TOP_COL_ALIVE,
	TOP_COL_STARTED,
	TOP_COL_EXITED,
	TOP_COL_FAILED,
	TOP_COL_CPU,
	TOP_COL_RSS,
	TOP_COL_IO,
	TOP_COL_COMMAND,
	TOP_NCOLS,
};

struct top_opts {
	bool batch; /* frames as plain text to @out; no terminal */
	FILE *out; /* batch: where frames go */
	unsigned int width; /* batch: the width of a line */
	enum top_col sort;
	bool reverse; /* least first (names: Z to A) */
	const char *filter; /* rows whose job or command holds it (any case) */
	double interval_s; /* for the header; the front changes it with top_request */
	/* After each frame, with how many were drawn: the front stops at -n. */
	void (*on_frame)(void *ctx, unsigned long frames);
	void *ctx;
};

/* What keys ask of the front, which owns the collector. */
struct top_request {
	bool quit;
	double interval_s; /* > 0: a new interval */
};

/*
 * The view. Interactive, it takes the terminal (ncurses on standard input
 * and output) at once: NULL with errno set (ENOTTY when there is none).
 */
struct sink *sink_top__new(const struct top_opts *o);
/* Reads every key that waits (standard input is readable) and redraws. */
void sink_top__keys(struct sink *s, struct top_request *req);
/* The terminal changed size (SIGWINCH): take the new size, redraw. */
void sink_top__resize(struct sink *s);
/* A column by its name ("cpu", "rss", ...): 0, or -EINVAL. */
int top__col_of_name(const char *name, enum top_col *out);

/* `jobtrace top`: parses its arguments, runs, returns jobtrace's exit status. */
int top__main(int argc, char **argv);

#endif
