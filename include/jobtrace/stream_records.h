/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The stream read back into the collector's records: what serve's stream
 * sink made of a record, made again into that record and handed to a sink.
 * `tail --json` hands them to the JSON-lines sink, so that its lines are
 * the lines serve's own JSON-lines output has for the same records.
 */
#ifndef JOBTRACE_STREAM_RECORDS_H
#define JOBTRACE_STREAM_RECORDS_H

#include <stdio.h>

#include "jobtrace/sink.h"
#include "jobtrace/stream.h"

struct stream_records;

/* NULL with errno set. */
struct stream_records *stream_records__new(void);
void stream_records__free(struct stream_records *sr);
/*
 * Hands @r to @s as the record it was made from: fork, exec, exit,
 * interval and host records rebuilt; a JSON line sent as text written as
 * it came, once all its parts are in (a line missing a part is dropped and
 * counted). Returns what the sink returned.
 */
int stream_records__feed(struct stream_records *sr, const union jt_stream_record *r,
			 struct sink *s);
/*
 * `tail`'s text: a line per record of serve's, in words (a report's text
 * parts are the JSON line's: the job's end is its JT_STREAM_JOB_END).
 * 0, or -EIO when @f failed.
 */
int stream_records__write_text(struct stream_records *sr, const union jt_stream_record *r, FILE *f);
/* Text lines dropped because a part of theirs was missed. */
unsigned long long stream_records__lines_dropped(const struct stream_records *sr);

#endif
