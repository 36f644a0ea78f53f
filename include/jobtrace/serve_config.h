/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * serve's config file (/etc/jobtrace/jobtrace.conf): `key = value` lines,
 * the keys named as serve's long options, `#` comments on lines of their
 * own. The parser is pure (a buffer in, a struct or a line-numbered reason
 * out) so a unit test and a fuzzer can feed it anything; serve applies the
 * result under its command-line flags and again on SIGHUP.
 */
#ifndef JOBTRACE_SERVE_CONFIG_H
#define JOBTRACE_SERVE_CONFIG_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>

#define SERVE_CONFIG_DEFAULT_PATH "/etc/jobtrace/jobtrace.conf"
#define SERVE_CONFIG_MAX_BYTES (256 * 1024) /* a config file, not a data set */
#define SERVE_CONFIG_MAX_LINE 4096
#define SERVE_CONFIG_MAX_APMON 8 /* APMON_MAX_DESTS */

/* The keys; a bit each in serve_config_file.set. */
enum serve_config_key {
	SC_GROUP_BY,
	SC_INTERVAL,
	SC_LISTEN,
	SC_STREAM,
	SC_STREAM_KB,
	SC_OUTPUT,
	SC_METRICS_KEEP,
	SC_APMON,
	SC_APMON_CLUSTER,
	SC_RING_KB,
	SC_MAX_PROCS,
	SC_MAX_JOBS,
	SC_CONTROL,
	SC_REPORTS,
	SC_NKEYS,
};

/*
 * What a file sets. A key it does not name keeps serve's default: test
 * `set & (1u << SC_...)`. A string key set to nothing (`listen =`) is set
 * and NULL: that output is off.
 */
struct serve_config_file {
	unsigned int set;
	unsigned int line[SC_NKEYS]; /* where each key was set, for later messages */
	char *group_by, *listen, *stream, *output, *apmon_cluster;
	char *control, *reports; /* serve --control, --reports: Slurm's plugin talks to it */
	double interval_s, metrics_keep_s;
	unsigned long stream_kb, ring_kb, max_procs, max_jobs;
	char *apmon[SERVE_CONFIG_MAX_APMON]; /* "HOST[:PORT][ PASSWORD]", not resolved */
	unsigned int apmon_line[SERVE_CONFIG_MAX_APMON];
	size_t napmon;
};

/* Why a file was refused: its line (0: the file as a whole) and the reason. */
struct serve_config_error {
	unsigned int line;
	char reason[200];
};

/* The key's name as the file spells it ("interval"). */
const char *serve_config__key_name(enum serve_config_key k);

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
