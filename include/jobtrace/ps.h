/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JOBTRACE_PS_H
#define JOBTRACE_PS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "jobtrace/snapshot.h"

/* The table's columns (-o), named as ps(1) names them. */
enum ps_col {
	PS_COL_PID,
	PS_COL_PPID,
	PS_COL_USER, /* the real uid's name */
	PS_COL_UID,
	PS_COL_STATE,
	PS_COL_THR,
	PS_COL_CPU,
	PS_COL_RSS,
	PS_COL_VSZ,
	PS_COL_START,
	PS_COL_COMM,
	PS_COL_ARGS,
	PS_COL_COUNT,
};

#define PS_MAX_COLS 32

struct ps_options {
	bool json;
	bool tree;
	pid_t pid; /* 0: every process; else this one and its descendants */
	__u64 boot_epoch_ns; /* CLOCK_REALTIME at boot, for start times */
	time_t now; /* what START calls today; 0: time(NULL) */
	unsigned char cols[PS_MAX_COLS]; /* enum ps_col, in order; none: the default table */
	size_t ncols;
};

/*
 * Appends the columns of @list ("pid,user,args"; commas or spaces, as
 * ps(1) -o takes them) to @o. -EINVAL for a name that is no column, -E2BIG
 * past PS_MAX_COLS; *@bad and *@bad_len then point at the name in @list.
 */
int ps__add_columns(struct ps_options *o, const char *list, const char **bad, size_t *bad_len);
/* The columns' names, comma-separated, for a usage message. */
void ps__column_names(FILE *f);
/* Whether the table @o asks for shows @col: what the loader must read. */
bool ps__wants(const struct ps_options *o, enum ps_col col);


/* Writes @s as ps__main does; -ESRCH when opts->pid is not in it. */
int ps__write(FILE *f, const struct ps_snapshot *s, const struct ps_options *opts);

#ifdef __cplusplus
}
#endif

#endif
