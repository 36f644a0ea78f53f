/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `jobtrace top`: the host's jobs on one screen, refreshed every interval.
 * The view is a sink (user/out/sink_top.c) over a model (user/out/
 * top_model.c) that keeps what the records say (a row per job, the host's
 * summary, the live processes and each job's last exits) and makes a frame
 * after each host record; the sink draws it to the terminal through ncurses
 * or, in batch mode, writes it as plain text. The front (user/cmd/
 * top.c) owns the collector: it hands the view the keys that wait and does
 * what they ask of the collector (stop, a new interval).
 */
#ifndef JOBTRACE_TOP_H
#define JOBTRACE_TOP_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

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
	/*
	 * Frames of serve's history (`top --replay`): a flush takes the
	 * snapshot at the host record's time and draws nothing; the front
	 * draws the frame it went to (sink_top__draw). t, T and b step.
	 */
	bool replay;
	/*
	 * The jobs given (--pid, --cgroup), not every process of the host: the
	 * header cannot give the host's exits, which only the jobs' exits say
	 * in host mode.
	 */
	bool jobs_given;
	/* After each frame, with how many were drawn: the front stops at -n. */
	void (*on_frame)(void *ctx, unsigned long frames);
	void *ctx;
};

/* What keys ask of the front, which owns the collector. */
struct top_request {
	bool quit;
	double interval_s; /* > 0: a new interval */
	int step; /* replay: intervals to go, + forward (t), - back (T) */
	bool jump; /* replay: b, and the time typed (history__parse_time's) */
	char jump_to[64];
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
/*
 * The jobs followed all ended: in batch mode, one last frame with them
 * ended, unless the last frame showed them so (they ended at its tick).
 * Its figures are over the last host record, which the front gives over
 * the time since the last frame first (collector__emit_host_now()): with
 * none since the last frame, no frame (it would show the last one's again).
 */
void sink_top__final(struct sink *s);
/* Whether sink_top__final() will draw a frame. */
bool sink_top__final_due(struct sink *s);
/* Replay: draws the last snapshot (batch: prints its frame). 0 or the write's error. */
int sink_top__draw(struct sink *s);
/* Replay: forgets every record, for a replay from another time; the screen's choices stay. */
int sink_top__reset(struct sink *s);
/* A line on the screen's status line until the next key ("end of the history"). */
void sink_top__message(struct sink *s, const char *msg);
/* A column by its name ("cpu", "rss", ...): 0, or -EINVAL. */
int top__col_of_name(const char *name, enum top_col *out);

/*
 * The model (user/out/top_model.c): what the records say, and the frame as
 * lines of text, each with a kind the screen gives an attribute to. No
 * terminal: the screen (user/out/sink_top.c) and batch mode print the same
 * lines, and a test drives it with records of its own.
 */
#define TOP_LINE_LEN 512
#define TOP_FILTER_LEN 64
#define TOP_EXITS 8 /* the last exits kept per job, for its expanded view */
/*
 * Refreshes an ended job stays on screen, marked ended: a job that started
 * and ended between two refreshes is seen. The refresh of the interval it
 * ended in shows what it did in it; the later ones show 0, as it did nothing.
 */
#define TOP_KEEP_ENDED 3
#define TOP_MAX_TREE 256 /* processes an expanded job shows */

enum top_line_kind {
	TOP_LINE_TITLE,
	TOP_LINE_HOST,
	TOP_LINE_COLHEAD,
	TOP_LINE_ROW,
	TOP_LINE_ROW_FAILED,
	TOP_LINE_PROC,
	TOP_LINE_EXIT,
	TOP_LINE_EXIT_FAILED,
};

struct top_line {
	enum top_line_kind kind;
	__u64 row_id; /* rows: the job, for the selection */
	char text[TOP_LINE_LEN]; /* printable ASCII only: names are escaped */
};

/* What a frame is made with: the screen's choices. */
struct top_view {
	enum top_col sort;
	bool reverse;
	const char *filter; /* NULL or "": every row */
	__u64 expanded_id; /* the job shown with its processes; 0: none */
	bool paused; /* said in the title */
	bool replay; /* the title has the date: a replay shows another day */
	bool jobs_given; /* top_opts's: the header's exits/s are "?" */
	unsigned int width; /* of a line */
};

struct top_model;

/* NULL with errno set. */
struct top_model *top_model__new(void);
void top_model__free(struct top_model *m);
int top_model__interval(struct top_model *m, const struct interval_record *r);
int top_model__process(struct top_model *m, const struct proc_record *r);
/*
 * Closes a frame: each row's rates become what its intervals since the
 * last host record did, over the host record's interval (0 for a row that
 * had none, as an ended job's), so that the rows add up to no more than
 * the host's figures beside them.
 */
int top_model__host(struct top_model *m, const struct host_record *r);
int top_model__live(struct top_model *m, const struct live_record *r);
/*
 * The job ended: its row is marked so for TOP_KEEP_ENDED snapshots, then
 * goes. Its rates stay the frames' (top_model__host()).
 */
void top_model__job_end(struct top_model *m, const struct cjob *j);
/*
 * After a pass of records: the processes the last sample did not see are
 * gone, the others get their CPU rate. True when a host record closed an
 * interval since the last call: a frame is due.
 */
bool top_model__settle(struct top_model *m);
/*
 * The rows, the host and the live processes as they stand become what
 * frames show until the next snapshot (a paused screen takes none).
 */
void top_model__snapshot(struct top_model *m, double interval_s, time_t now);
/*
 * Replay: rows of open jobs without an interval at the last host record
 * go (their serve was killed: no job line will end them).
 */
void top_model__drop_silent(struct top_model *m);
/* Whether a job ended since the last snapshot: no frame has shown it ended yet. */
bool top_model__ended_unseen(const struct top_model *m);
/* The last host record's end (epoch seconds) and length; 0 before the first. */
double top_model__host_time(const struct top_model *m, double *interval_s);
/* The interval the title says, changed before the next snapshot ('d'). */
void top_model__set_interval(struct top_model *m, double interval_s);
/* Builds the frame of the snapshot as @v asks; 0 or -ENOMEM. */
int top_model__frame(struct top_model *m, const struct top_view *v);
/* The lines of the last frame built; valid until the next one. */
const struct top_line *top_model__lines(const struct top_model *m, size_t *n);

#ifdef __cplusplus
}
#endif

#endif
