/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What serve's history writer (sink_history.c) puts into its short lines:
 * numbers, seconds and JSON strings written in place, without printf
 * (user/out/history_text.c; each returns the end of what it wrote, the
 * caller has made room for the longest), and the short lines themselves
 * (user/out/history_short.c).
 */
#ifndef JOBTRACE_HISTORY_TEXT_PRIV_H
#define JOBTRACE_HISTORY_TEXT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PUT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/*
 * A value the lines of a pass mostly share (the second of "time", the
 * boot clock's epoch), kept written: copied, not made again.
 */
struct num_text {
	uint64_t v;
	uint8_t len;
	char s[23];
};

char *history_text__u64(char *p, uint64_t v);
char *history_text__secs(char *p, uint64_t ns);
char *history_text__cached(char *p, struct num_text *c, uint64_t v);
char *history_text__secs_cached(char *p, struct num_text *c, uint64_t ns);
bool history_text__plain(const char *s, size_t n);
int history_text__comm_len(const char *s);
char *history_text__str(char *p, const char *s, size_t n);
char *history_text__args(char *p, const char *a, size_t len);

/*
 * The lines a history writer builds (user/out/history_short.c): the first
 * @done of them are taken by zstd, which reads them where they are until
 * its frame ends; when they pin the buffer and there is no room, @full
 * (the writer's) ends the frame, leaving @len and @done 0, or fails.
 */
struct history_buf {
	char *buf;
	size_t len, cap, done;
	bool bad; /* a line not built: no memory */
	int (*full)(struct history_buf *b);
	void *owner;
};

char *history_buf__reserve(struct history_buf *b, size_t size);

/*
 * What the short lines keep from one to the next: the second of "time",
 * a uid's name, and the text a job's processes share in their exit lines,
 * kept as written in a slot per (cgroup id, parent).
 */
#define HISTORY_SHARED_SLOTS_LOG 6
#define HISTORY_SHARED_SLOTS (1 << HISTORY_SHARED_SLOTS_LOG)

struct history_short {
	struct num_text time_s; /* the last written */
	uint32_t user_uid; /* the last uid named, and its name ("" : none) */
	char user[64];
	size_t user_len;
	struct shared_text *shared; /* HISTORY_SHARED_SLOTS of them */
};

struct proc_record;
struct interval_record;

int history_short__init(struct history_short *h);
void history_short__forget(struct history_short *h);
void history_short__free(struct history_short *h);
/* 0: the short line is in @b; 1: @r is one it cannot say (sink_json writes it whole); -ENOMEM. */
int history_short__exit(struct history_short *h, struct history_buf *b,
			const struct proc_record *r);
int history_short__interval(struct history_short *h, struct history_buf *b,
			    const struct interval_record *r);

#endif
