/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A host's history on disk (serve --history DIR): serve's JSON lines, exit
 * and interval lines short (jobtrace-records(5), HISTORY FILES), in
 * DIR/history-YYYYMMDD-HHMMSS.jsonl.zst (the file's start, UTC),
 * compressed with zstd as they are written, at every pass of the loop (so
 * a kill -9 loses the pass it lands in: under a second), closed every
 * --history-rotate seconds or at a size (`zstdcat FILE | jq`). The oldest
 * files go first, past --history-keep seconds or past --history-max bytes
 * in all; each file dropped is counted. A full disk stops the history,
 * once said and counted; the collector and the other outputs go on.
 *
 * The reader (`jobtrace history`) reads both kinds of file (plain .jsonl
 * ones an older serve left) in time order, and short lines as whole ones.
 */
#ifndef JOBTRACE_HISTORY_H
#define JOBTRACE_HISTORY_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

struct sink;

#define HISTORY_DEFAULT_ROTATE_S 3600.0
#define HISTORY_DEFAULT_KEEP_S (7 * 86400.0)
#define HISTORY_DEFAULT_MAX_BYTES (1024ULL * 1024 * 1024)
#define HISTORY_DIR_MODE 0750
/* Not 0644 as -o's: every command line of every user is in there. */
#define HISTORY_FILE_MODE 0640

struct history_opts {
	const char *dir;
	double rotate_s; /* 0: HISTORY_DEFAULT_ROTATE_S */
	double keep_s; /* 0: HISTORY_DEFAULT_KEEP_S */
	uint64_t max_bytes; /* 0: HISTORY_DEFAULT_MAX_BYTES */
	size_t top; /* commands in a "job" line */
	/* The clock files are named and rotated by; NULL: time(2). A bench writing a day sets its own. */
	time_t (*now)(void);
};

struct history_stats {
	uint64_t files_dropped; /* removed by retention, age or size */
	uint64_t records_dropped; /* not written: the disk was full, or an error */
	uint64_t files_compressed;
	bool stopped; /* a full disk (or an error) stopped the history */
	int stop_err; /* why, a negative errno */
};

/*
 * The history sink, writing into @o->dir (made HISTORY_DIR_MODE when
 * missing); plain files a crash left are compressed first. NULL with
 * errno set, after a message.
 */
struct sink *sink_history__new(const struct history_opts *o);
void sink_history__stats(const struct sink *s, struct history_stats *out);

/* "history-YYYYMMDD-HHMMSS.jsonl" for @t (UTC) into @buf (serve adds ".zst"); 0 or -ENAMETOOLONG. */
int history__file_name(time_t t, char *buf, size_t size);
/*
 * The start time of a history file's name, plain or compressed (@zst set
 * for .jsonl.zst); -1 when @name is not one.
 */
time_t history__parse_name(const char *name, bool *zst);

/* The history files of the directory @dirfd, oldest first. */
struct history_file {
	char name[64];
	time_t start;
	bool zst;
	uint64_t bytes;
	time_t mtime;
};
/* *@out is malloc'd (free it); the count, or a negative errno. */
int history__list(int dirfd, struct history_file **out);
/*
 * Which of @files (oldest first, @n of them, the last the one being
 * written) retention removes at @now: the count of the oldest to drop, so
 * that every file kept ended within @keep_s and all of them together stay
 * within @max_bytes. The last file is never dropped.
 */
size_t history__to_drop(const struct history_file *files, size_t n, time_t now, double keep_s,
			uint64_t max_bytes);

/* The lines a reader of history files skipped, and why. */
struct history_read_stats {
	uint64_t lines_too_long; /* past 4 MiB: no line serve writes is near it */
	uint64_t lines_malformed; /* not one of serve's: history__line_valid() */
};

/*
 * Each line of the file @name in @dirfd, plain or zstd; stops at a
 * nonzero return. A line past 4 MiB is skipped, counted in @st (NULL: not
 * counted), and the lines after it read on.
 */
typedef int (*history_line_fn)(void *ctx, const char *line, size_t len);
int history__read_file(int dirfd, const char *name, bool zst, history_line_fn fn, void *ctx,
		       struct history_read_stats *st);

/*
 * A value of a JSON line as our writer makes them: @path is a key, or keys
 * through nested objects ("job.key", "cpu.total_s"). Points at the value's
 * first byte and sets *@len to its length (a string with its quotes);
 * NULL when absent.
 */
const char *history__json_get(const char *line, size_t len, const char *path, size_t *vlen);
/*
 * Several top-level values of a line in one walk: @vals[i] (and @vlens[i])
 * for @keys[i], NULL when absent. Returns how many were found.
 */
size_t history__json_top(const char *line, size_t len, const char *const *keys, size_t n,
			 const char **vals, size_t *vlens);

/*
 * Whether @line is one as serve writes them: a JSON object (no spaces
 * between its tokens) of string keys, every number one a double holds,
 * with a "time" that is a number, put in *@time. A line that is not (a
 * key not a string, "time":1e999, a line cut or spliced) is skipped by
 * the readers, and counted: read as it was, it printed as junk.
 */
bool history__line_valid(const char *line, size_t len, double *time);

/* What `jobtrace history` asks for: a time range and filters; NULL or false: any. */
struct history_query {
	double since, until; /* epoch seconds; until 0: no end */
	const char *job; /* a job key, as the records have it */
	const char *user; /* a process's user name (or uid) */
	const char *command; /* a process's comm */
	bool failed; /* processes that failed: an exit code other than 0, or a signal */
	bool oom; /* processes the OOM killer killed */
	bool processes; /* text: a line per process, not per job */
	bool json; /* the lines as stored */
};

/*
 * Reads the history of @dirfd (oldest first) and prints what @q asks for
 * to @out. A job is printed when its key matches and, with a process
 * filter, when one of its processes in the range matches. 0, or a
 * negative errno (said on stderr, with @dir).
 */
int history__query(int dirfd, const char *dir, const struct history_query *q, FILE *out);
/*
 * A time as `history --since` and `top --at` take it: epoch seconds,
 * "now", -N with s, m, h or d (seconds when none) before now, or a local
 * date and time, "YYYY-MM-DD HH:MM[:SS]" (or with a T) or "HH:MM[:SS]"
 * (today). 0, or -EINVAL.
 */
int history__parse_time(const char *s, double *out);

/*
 * The history's lines made back into the collector's records for a sink
 * (user/out/history_records.c): "exit" lines are process records,
 * "interval" and "host" lines theirs, a "job" line its job's job_end, with
 * the totals the line has. A job's id is made here, one per key between
 * its first record and its "job" line.
 */
struct history_records;
struct history_records *history_records__new(void);
void history_records__free(struct history_records *hr);
/* Hands the record of one line to @s; other lines are skipped. What @s returned, or -ENOMEM. */
int history_records__feed(struct history_records *hr, const char *line, size_t len,
			  struct sink *s);
/*
 * A short "exit" line (jobtrace-records(5), HISTORY FILES) written whole
 * to @out, as sink_json writes it: 1. 0 when @line is not one (the caller
 * writes it as it is), or a negative errno.
 */
int history_records__expand(struct history_records *hr, const char *line, size_t len, FILE *out);
/* Ends the jobs with records but no "job" line yet, with what their records sum to. */
int history_records__end_open(struct history_records *hr, struct sink *s);
size_t history_records__open_jobs(const struct history_records *hr);
/* A JSON string value (@v, @vl bytes, with its quotes) unescaped into @out; its length. */
size_t history__json_unescape(const char *v, size_t vl, char *out, size_t size);

/*
 * The lines of @dirfd's files from @since to @until (epoch seconds; @until
 * 0: to the end), oldest first, to @fn: the files that may hold the range,
 * each line whose "time" is in it. 0, what @fn returned, or a negative
 * errno (said on stderr, with @dir).
 */
int history__read_range(int dirfd, const char *dir, double since, double until,
			history_line_fn fn, void *ctx);

/*
 * The same lines from @since (epoch seconds) to the end, one at a time,
 * the place kept between calls (top --replay's steps forward). NULL with
 * errno set.
 */
struct history_cursor;
struct history_cursor *history_cursor__open(int dirfd, double since);
/*
 * The next line (@line valid until the next call; NUL-terminated): 1, 0
 * at the end of the history, or a negative errno.
 */
int history_cursor__next(struct history_cursor *c, const char **line, size_t *len);
/* The lines the cursor skipped so far (history__read_file()'s). */
void history_cursor__stats(const struct history_cursor *c, struct history_read_stats *out);
void history_cursor__free(struct history_cursor *c);

/*
 * The picture of the job @q->job (include/jobtrace/picture.h) from its
 * kept records: an SVG to @svg, an HTML report to @html (either NULL), by
 * the picture sink live jobs use, at its "job" line; a job with records
 * and no "job" line (serve was killed) is drawn from what its records
 * sum to, and said so. The files are made at the job's first line, so
 * -ENOENT, when no record of the job is in the range (said), leaves them
 * untouched; else 0 or a negative errno.
 */
int history__pictures(int dirfd, const char *dir, const struct history_query *q, const char *svg,
		      const char *html);

#ifdef __cplusplus
}
#endif

#endif
