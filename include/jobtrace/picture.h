/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The picture of a job (`--svg`, `--html`): where its time went, in one
 * look. Two views over the exit records:
 *
 *  - an icicle of CPU by lineage: the job on top, each process under its
 *    parent, siblings with the same command merged into one frame (root
 *    comm -> child comm -> ...), a frame's width its CPU and its
 *    descendants'. Frames narrower than a threshold fold into one "other"
 *    frame per parent; the threshold starts at a pixel and grows until the
 *    frames fit PICTURE_MAX_FRAMES, so the file's size has a bound however
 *    many processes the job had.
 *  - a strip of processes alive over time, stacked by command (the
 *    busiest PICTURE_BANDS commands, the rest as "other"), with failed exits
 *    marked below it.
 *
 * The builder keeps every record (records come children first, so lineage
 * can only be known at the end); the layout is a pure function of the
 * records, and the writers a pure function of the layout, for the tests.
 */
#ifndef JOBTRACE_PICTURE_H
#define JOBTRACE_PICTURE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "jobtrace/lineage_abi.h"

#define PICTURE_WIDTH_PX 1200 /* the viewBox's width */
#define PICTURE_MARGIN_PX 10
#define PICTURE_ICICLE_PX (PICTURE_WIDTH_PX - 2 * PICTURE_MARGIN_PX) /* the job frame */
#define PICTURE_MAX_FRAMES 2000 /* icicle frames drawn, "other" frames included */
#define PICTURE_MAX_DEPTH 48	/* icicle rows; deeper processes count in the last row */
#define PICTURE_BINS 240	/* the strip's time columns */
#define PICTURE_BANDS 12	/* commands with a band of their own in the strip and legend */
#define PICTURE_LIST 20		/* failed and longest processes kept with their arguments */
#define PICTURE_ARGS 200	/* bytes of arguments kept for those */

struct picture;

enum picture_frame_kind {
	PICTURE_FRAME_JOB,	  /* the top frame: every record of the job */
	PICTURE_FRAME_COMM,	  /* processes of one command under one parent frame */
	PICTURE_FRAME_OTHER,	  /* frames under one parent too narrow to draw */
	PICTURE_FRAME_UNRECORDED, /* the job's CPU no record carries (alive, lost) */
};

struct picture_frame {
	char name[JT_COMM_LEN + 1]; /* NUL-terminated; may hold any bytes */
	enum picture_frame_kind kind;
	__u32 parent;		  /* index in frames; the job frame's is 0, itself */
	__u32 depth;		  /* row: 0 for the job */
	__u32 folded;		  /* OTHER: frames it holds */
	bool deeper;		  /* holds processes below PICTURE_MAX_DEPTH */
	__u64 cpu_ns;		  /* its processes' and all their descendants' */
	__u64 self_cpu_ns;	  /* its own processes' */
	__u64 user_ns, system_ns; /* of cpu_ns */
	__u64 processes;	  /* merged in this frame (OTHER: in all it holds) */
	__u64 subtree_processes;  /* with every descendant */
	__u64 failed;		  /* of processes: a non-zero exit or a signal */
	__u64 subtree_failed;
	double x_px, w_px; /* from the icicle's left edge */
};

/* A command over the whole job (the legend, the colours, the HTML table). */
struct picture_command {
	char comm[JT_COMM_LEN + 1];
	__u64 processes, cpu_ns, failed;
	__u64 alive_ns; /* the sum of its processes' lifetimes */
	__u32 rgb;	/* 0xRRGGBB, from the name: the same command, the same colour */
};

/* A band of the strip: a command (or the rest) alive over time. */
struct picture_band {
	const struct picture_command *command; /* NULL: every other command */
	double alive[PICTURE_BINS];	       /* processes alive on average in each bin */
	double peak;
};

struct picture_layout {
	struct picture_frame *frames; /* the job frame first, parents before children */
	size_t nframes;
	__u32 rows;
	double threshold_px;		  /* narrower frames folded into "other" */
	bool by_processes;		  /* no CPU recorded at all: widths count processes */
	struct picture_command *commands; /* every command, most CPU first */
	size_t ncommands;
	struct picture_band bands[PICTURE_BANDS + 1];
	size_t nbands;
	__u64 t0_ns, t1_ns;		 /* the strip's time span, CLOCK_BOOTTIME */
	double peak_alive;		 /* the highest stack */
	__u32 failed_bins[PICTURE_BINS]; /* failed exits in each bin */
	__u64 records, failed, roots, cpu_ns;
};

/* A process kept for the report's lists, with its arguments. */
struct picture_note {
	__u32 pid, ppid;
	__u32 status; /* wait(2) status */
	char comm[JT_COMM_LEN + 1];
	char args[PICTURE_ARGS]; /* argv joined by spaces, cut; "" when unknown */
	__u64 cpu_ns, wall_ns;
	__u64 start_ns; /* CLOCK_BOOTTIME */
};

/* The job's own totals, as its report has them: written on the picture. */
struct picture_info {
	const char *title; /* the command, or the job's name */
	const char *job_key;
	__u64 processes_started, processes_exited;
	__u64 cpu_ns, user_ns, system_ns;
	__u64 wall_ns;
	__u64 failed; /* non-zero exits and deaths by signal */
	__u64 records, lost;
	__s64 alive; /* still running at the end (watch) */
};

struct picture *picture__new(void);
void picture__free(struct picture *p);
/*
 * Keeps an exit record, with its arguments (NUL-separated, @len bytes;
 * NULL when unknown) for the lists. 0 or -ENOMEM.
 */
int picture__add(struct picture *p, const struct jt_exit_event *e, const char *args, size_t len);
/* The failed processes (the first PICTURE_LIST) and the longest ones, longest first. */
const struct picture_note *picture__failed(const struct picture *p, size_t *n);
const struct picture_note *picture__longest(const struct picture *p, size_t *n);

/*
 * Lays the records out. @unrecorded_cpu_ns: the job's CPU no record
 * carries (processes alive at the end, lost records), drawn as a frame of
 * its own so the icicle sums to the job's CPU. @max_frames: the cap
 * (PICTURE_MAX_FRAMES; tests use smaller ones). 0 or -ENOMEM.
 */
int picture__layout(const struct picture *p, __u64 unrecorded_cpu_ns, size_t max_frames,
		    struct picture_layout *out);
void picture_layout__free(struct picture_layout *l);

/* The colour of a command: a hue from its name's hash. */
__u32 picture__color(const char *comm);

/*
 * Writes @len bytes of @s as XML character data or an attribute value:
 * markup escaped, invalid UTF-8 and characters XML cannot hold (controls,
 * U+FFFE, U+FFFF) replaced by U+FFFD, cut to @max_chars characters with an
 * ellipsis (0: no cut). Returns the characters written.
 */
size_t picture__escape(FILE *f, const char *s, size_t len, size_t max_chars);

/* A standalone SVG 1.1 document. 0, or a negative errno when writing failed. */
int picture__write_svg(FILE *f, const struct picture *p, const struct picture_layout *l,
		       const struct picture_info *info);
/* A self-contained HTML report: the SVG inline, the totals, the tables. */
int picture__write_html(FILE *f, const struct picture *p, const struct picture_layout *l,
			const struct picture_info *info);

/*
 * The file of the @index-th job (0-based) a front writes to @path: @path
 * itself for the first, "NAME.N.EXT" (N = index + 1) for the others, so
 * `watch` with several jobs writes one file each. -ENAMETOOLONG if it
 * does not fit @size.
 */
int picture__job_path(const char *path, size_t index, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
