/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * serve's config file (/etc/jobtrace/jobtrace.conf): `key = value` lines,
 * the keys named as serve's long options and checked as they are, `#`
 * comments on lines of their own. The parser is pure (a buffer in, a
 * struct or a line-numbered reason out) so a unit test and a fuzzer can
 * feed it anything; serve applies the result under its command-line flags
 * and again on SIGHUP.
 */
#ifndef JOBTRACE_SERVE_CONFIG_H
#define JOBTRACE_SERVE_CONFIG_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "jobtrace/options.h"

#define SERVE_CONFIG_DEFAULT_PATH "/etc/jobtrace/jobtrace.conf"
#define SERVE_CONFIG_MAX_BYTES (256 * 1024) /* a config file, not a data set */
#define SERVE_CONFIG_MAX_LINE 4096
#define SERVE_CONFIG_MAX_APMON 8 /* APMON_MAX_DESTS */

/*
 * What a file sets: the keys are the options of serve with .config in the
 * option table (include/jobtrace/options.h), a bit each in @set. A key it
 * does not name keeps serve's default: serve_config__is_set(). A string key
 * set to nothing (`listen =`) is set and NULL: that output is off.
 */
struct serve_config_file {
	__u64 set; /* 1 << JT_OPT_... */
	unsigned int line[JT_NOPTS]; /* where each key was set, for later messages */
	union jt_optval val[JT_NOPTS]; /* checked as the flag is; strings owned here */
	char *apmon[SERVE_CONFIG_MAX_APMON]; /* "HOST[:PORT][ PASSWORD]", not resolved */
	unsigned int apmon_line[SERVE_CONFIG_MAX_APMON];
	size_t napmon;
};

static inline bool serve_config__is_set(const struct serve_config_file *f, enum jt_opt_id id)
{
	return f->set & (1ULL << id);
}

/* Why a file was refused: its line (0: the file as a whole) and the reason. */
struct serve_config_error {
	unsigned int line;
	char reason[200];
};

/*
 * Parses @len bytes of @text into @out (zeroed first). 0, or -EINVAL with
 * @err filled; -ENOMEM. @out holds allocations either way: free it.
 */
int serve_config__parse(const char *text, size_t len, struct serve_config_file *out,
			struct serve_config_error *err);
/*
 * Reads and parses @path. -ENOENT (and the other open errors) when it
 * cannot be read, with @err->reason saying so and line 0.
 */
int serve_config__load(const char *path, struct serve_config_file *out,
		       struct serve_config_error *err);
void serve_config__free(struct serve_config_file *f);

#ifdef __cplusplus
}
#endif

#endif
