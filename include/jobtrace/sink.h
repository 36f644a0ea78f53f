/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Sinks: where the collector's records go. A sink is an ops table and its
 * state; the collector hands every record to every sink in its list, and a
 * command chooses sinks from its flags. Text, one JSON object, JSON lines
 * are here; OpenMetrics, the stream, ApMon and the top view are sinks too.
 * A sink never reaches into the collector: records are plain values.
 */
#ifndef JOBTRACE_SINK_H
#define JOBTRACE_SINK_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdio.h>

#include "jobtrace/collector.h"

struct sink;
struct apmon_opts;

struct sink_ops {
	const char *name;
	int (*process)(struct sink *s, const struct proc_record *r);
	/* A process's start and exec, for sinks that publish them (the stream); may be NULL. */
	int (*fork)(struct sink *s, const struct fork_record *r);
	int (*exec)(struct sink *s, const struct exec_record *r);
	int (*interval)(struct sink *s, const struct interval_record *r);
	int (*host)(struct sink *s, const struct host_record *r);
	/* Every live task at every sample; NULL unless the sink shows processes. */
	int (*live)(struct sink *s, const struct live_record *r);
	/* The final report of a job, once, when it ends. */
	int (*job_end)(struct sink *s, const struct cjob *j, const struct collector_stats *st);
	int (*flush)(struct sink *s);
	void (*free)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	FILE *f;
	bool own_f; /* fclose at free */
	const char *path; /* for messages; "standard output" */
	size_t top; /* commands in a report */
	bool with_process; /* jsonl: which record types it writes */
	bool with_interval;
	bool with_host;
	bool with_job;
	bool with_lineage; /* jsonl: fork and exec records (tail) */
	bool compact; /* text: a line per job, not a report (host mode) */
	bool shared; /* the job writes to this stream too: start a line of our own */
	int err; /* first write error, negative errno: later writes are skipped */
	/*
	 * A file of its own (sink__own_file): @f then builds each record in
	 * @rec, whole records are held there (@ends: where each ends) and
	 * written at a flush or past a size. A record that does not fit (a
	 * full disk) is taken back whole and counted; later ones are tried
	 * again.
	 */
	bool whole;
	int fd;
	FILE *file; /* as opened, for fclose */
	char *rec;
	size_t rec_len, rec_cap;
	size_t *ends;
	size_t nends, ends_cap;
	bool rec_bad; /* the record could not be built (no memory): dropped */
	__u64 dropped; /* records not written, in all */
	bool dropping; /* the last record was dropped: said once on stderr */
	int drop_err; /* the first drop's cause, negative errno */
};

/*
 * A percentage or a rate in thousandths, as the stream carries them and
 * every JSON line writes them (so that a line rebuilt from the stream is the
 * line written first); 0 for what is not above 0.
 */
static inline __u64 sink__milli(double v)
{
	return v <= 0 ? 0 : (__u64)(v * 1000 + 0.5);
}

/* The report of `run` as text (time(1)'s habit) and interval lines. */
struct sink *sink_text__new(FILE *f, size_t top);
/* `run --json` without intervals: one JSON object per job, on one line. */
struct sink *sink_json__new(FILE *f, size_t top);
/*
 * JSON lines: one object per record, each with "type" and "time". The
 * record types written are chosen by the with_* fields.
 */
struct sink *sink_jsonl__new(FILE *f, size_t top, bool process, bool interval, bool host,
			     bool job);
/* The "system" line that follows a host record's, alone (the stream carries it as text). */
int sink_json__system_line(struct sink *s, const struct host_record *r);
/* The "job" line of @j's report, alone; @dropped: the writer's output_records_dropped. */
int sink_json__job_line(struct sink *s, const struct cjob *j, const struct collector_stats *st);
/*
 * The picture of each job (include/jobtrace/picture.h): an SVG to
 * @svg_path, an HTML report to @html_path (either may be NULL), written
 * when the job ends; needs process records (collector_opts.events).
 * Opens the files now: NULL with errno set, after a message.
 */
struct sink *sink_svg__new(const char *svg_path, const char *html_path);

/*
 * serve --stream: every record into the shared-memory ring at @path, of
 * @capacity bytes (include/jobtrace/stream_writer.h). NULL with errno set.
 */
struct sink *sink_stream__new(const char *path, size_t capacity);

/* What a front's flags say of its outputs (run, watch). */
struct outputs {
	const char *output; /* -o FILE; NULL: default_f */
	FILE *default_f;
	const char *default_name; /* for messages: "standard error" */
	bool json; /* JSON: one object per job, or JSON lines with json_lines */
	bool json_lines;
	bool compact; /* text: a line per job (host mode) */
	bool shared; /* the job's command writes to the same stream (run) */
	const char *events; /* --events FILE, or NULL */
	size_t top;
	const char *svg, *html; /* --svg FILE, --html FILE: the job's picture, or NULL */
	const struct apmon_opts *apmon; /* --apmon destinations, or NULL */
};

/* Opens the outputs and adds their sinks to @c; prints what failed. */
int outputs__add(struct collector *c, const struct outputs *o);

/*
 * Opens @path for a sink ("-" is standard output), before any job starts,
 * so a bad path fails at once. NULL with errno set.
 *
 * jobtrace runs as root and -o names a path: the last component is never
 * followed when it is a symbolic link (ELOOP), an existing file is used only
 * when it is a regular file or a device (EINVAL otherwise), and a new file
 * is made with SINK_FILE_MODE whatever the umask.
 */
#define SINK_FILE_MODE 0644
FILE *sink__open_path(const char *path, bool *own);
/*
 * @fd is an output's (a front's default stream for its report): a file
 * named later that is @fd's file is refused, not emptied under it.
 */
void sink__note_output_fd(int fd);
/* sink__open_path()'s errors in words: strerror() with the two of its own. */
const char *sink__strerror(int err);
/*
 * Gives @s the output @f, which it closes at free when @own; a file of its
 * own is written a whole record at a time (struct sink's whole). @path
 * names it in messages. Returns @s, or NULL (and closes @f) on failure or
 * when @s is NULL.
 */
struct sink *sink__own_file(struct sink *s, FILE *f, bool own, const char *path);
/*
 * Makes what is written next start a line of its own, on a stream the
 * job's command wrote to too (run's standard error).
 */
void sink__start_line(FILE *f);
/*
 * Ends a record. A file of its own: holds it whole for the next write, or
 * drops it whole (a drop is said on stderr at once, and again when writing
 * works again); returns 0 or the drop's cause. Else records a write error
 * on @s once and returns it.
 */
int sink__check(struct sink *s);
/* Writes what @s holds (a file of its own) or what stdio holds; returns @s->err. */
int sink__flush(struct sink *s);
void sink__free(struct sink *s);

#ifdef __cplusplus
}
#endif

#endif
