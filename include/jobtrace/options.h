/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The options of the collector's fronts (run, watch, top, serve) and of
 * the commands that share their meanings (tail, ps) in one table: each option's long name, letter, argument and its check, help
 * line, the commands that take it, and whether it is a key of serve's
 * config file. Each front's getopt arrays, its --help, serve's config
 * keys and their checks are made from it, and an option the collector's
 * fronts share says where its value goes (struct jt_shared, one setter),
 * so an option is defined once.
 *
 * One meaning per letter across every command (tail, ps and the others
 * included), following time(1), ps(1) and top(1) where they have one:
 * -d the delay between refreshes and -n a count (top(1)), -o an output
 * file (time(1)), -w a width (ps(1), top(1)), -p a pid (ps(1), top(1)).
 * A letter that meant something else before is a usage error that names
 * the new spelling (options__retired): never silently read another way.
 */
#ifndef JOBTRACE_OPTIONS_H
#define JOBTRACE_OPTIONS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "jobtrace/apmon.h"
#include "jobtrace/collector.h"

/* The fronts the table serves. */
enum jt_cmd {
	JT_CMD_RUN,
	JT_CMD_WATCH,
	JT_CMD_TOP,
	JT_CMD_SERVE,
	JT_CMD_TAIL,
	JT_CMD_PS,
	JT_CMD_REPORT,
	JT_NCMDS,
};
#define JT_RUN (1u << JT_CMD_RUN)
#define JT_WATCH (1u << JT_CMD_WATCH)
#define JT_TOP (1u << JT_CMD_TOP)
#define JT_SERVE (1u << JT_CMD_SERVE)
#define JT_TAIL (1u << JT_CMD_TAIL)
#define JT_PS (1u << JT_CMD_PS)
#define JT_REPORT (1u << JT_CMD_REPORT)

/* Each option's id: its row in jt_options[], in the order --help lists them. */
enum jt_opt_id {
	JT_OPT_CONFIG,
	JT_OPT_PID,
	JT_OPT_CGROUP,
	JT_OPT_ALL,
	JT_OPT_GROUP_BY,
	JT_OPT_JSON,
	JT_OPT_TREE,
	JT_OPT_OUTPUT,
	JT_OPT_NO_WAIT,
	JT_OPT_TOP,
	JT_OPT_INTERVAL,
	JT_OPT_DELAY,
	JT_OPT_ITERATIONS,
	JT_OPT_DURATION,
	JT_OPT_BATCH,
	JT_OPT_WIDTH,
	JT_OPT_SORT,
	JT_OPT_REVERSE,
	JT_OPT_FILTER,
	JT_OPT_REPLAY,
	JT_OPT_AT,
	JT_OPT_COUNT,
	JT_OPT_UNTIL_CLOSED,
	JT_OPT_FORMAT,
	JT_OPT_PROC,
	JT_OPT_PROC_ROOT,
	JT_OPT_NO_PIN,
	JT_OPT_WORKDIR,
	JT_OPT_EVENTS,
	JT_OPT_SVG,
	JT_OPT_HTML,
	JT_OPT_STREAM,
	JT_OPT_STREAM_KB,
	JT_OPT_LISTEN,
	JT_OPT_METRICS_KEEP,
	JT_OPT_PSS,
	JT_OPT_NO_ARGS,
	JT_OPT_RING_KB,
	JT_OPT_MAX_PROCS,
	JT_OPT_MAX_JOBS,
	JT_OPT_APMON,
	JT_OPT_APMON_CLUSTER,
	JT_OPT_MODE,
	JT_OPT_CONTROL,
	JT_OPT_REPORTS,
	JT_OPT_HISTORY,
	JT_OPT_HISTORY_ROTATE,
	JT_OPT_HISTORY_KEEP,
	JT_OPT_HISTORY_MAX,
	JT_OPT_VERBOSE,
	JT_OPT_HELP,
	JT_NOPTS,
};

enum jt_arg {
	JT_ARG_NONE, /* a flag */
	JT_ARG_STRING, /* anything */
	JT_ARG_PATH, /* anything on the command line; absolute in the config file */
	JT_ARG_SECONDS, /* a decimal in [min, max] */
	JT_ARG_UINT, /* a whole number in [min, max] */
	JT_ARG_CHOICE, /* what check() takes */
};

/* Where --help lists an option; a front names (or merges) the sections. */
enum jt_section {
	JT_SEC_CONFIG,
	JT_SEC_JOBS,
	JT_SEC_MAIN,
	JT_NSECS,
};

/* A checked value: which member depends on the option's arg. */
union jt_optval {
	double s;
	unsigned long u;
	const char *str;
};

/* Where a shared option's value goes in struct jt_shared (JT_STORE_OWN: the front's own). */
enum jt_store {
	JT_STORE_OWN, /* the front's setter takes it */
	JT_STORE_FLAG, /* bool = true */
	JT_STORE_SECONDS, /* double = v->s */
	JT_STORE_STR, /* const char * = v->str */
	JT_STORE_SIZE, /* size_t = v->u */
	JT_STORE_U32, /* __u32 = v->u */
	JT_STORE_KIB, /* __u32 = v->u KiB, in bytes */
	JT_STORE_CALL, /* store() */
};

#define JT_MAX_TARGETS 64

/*
 * What the options shared by the collector's fronts (run, watch, top,
 * serve) set, each at the offset its row of jt_options[] names: one
 * setter (options__set_shared) for them all; a front's own setter sees
 * only its own options.
 */
struct jt_shared {
	pid_t pids[JT_MAX_TARGETS]; /* --pid */
	size_t npids;
	const char *cgroups[JT_MAX_TARGETS]; /* --cgroup */
	size_t ncgroups;
	/* 'p' or 'c' per job in command-line order: watch's status takes the first failed. */
	char order[2 * JT_MAX_TARGETS];
	const char *group_by;
	double interval_s, duration_s;
	bool json, pss;
	const char *output; /* -o FILE; "-": standard output */
	const char *events; /* --events FILE: a JSON line per process that ends */
	const char *svg, *html; /* a picture, a page of each job */
	size_t top; /* commands in a job's report */
	const char *mode; /* --mode serve|bpf|proc|rusage|auto */
	const char *control; /* --control PATH: serve's socket */
	struct collector_source source; /* --ring-kb, --max-procs, --max-jobs, --verbose */
	struct apmon_opts apmon; /* --apmon, --apmon-cluster */
};

struct jt_option {
	const char *name; /* --name, and the config file's key */
	char letter; /* -x, or 0: long only */
	enum jt_arg arg;
	const char *metavar; /* in --help: FILE, S, N */
	double min, max; /* SECONDS and UINT */
	const char *what; /* UINT: "a size in KiB"; default "a number" */
	const char *takes; /* what a bad value is told, when not made from the bounds */
	/* NULL when @v is good, else what the option takes ("takes ..."). */
	const char *(*check)(const char *v);
	/* The command line's check where another module owns it and its message. */
	int (*cli_check)(const char *cmd, const char *v);
	unsigned int cmds; /* JT_RUN | ... */
	bool config; /* a key of serve's config file */
	bool dash; /* PATH: '-' (standard output) is a path too */
	enum jt_section section;
	const char *help; /* lines after the first are indented under it */
	const char *help_for[JT_NCMDS]; /* a front's own help line, where it differs */
	/* Shared by the collector's fronts: where struct jt_shared keeps it. */
	enum jt_store store;
	size_t off; /* offsetof(struct jt_shared, ...) */
	int (*store_fn)(struct jt_shared *sh, const char *cmd, const union jt_optval *v);
};

extern const struct jt_option jt_options[JT_NOPTS];

/* What a front adds to the table: its name, its --help around the options. */
struct jt_front {
	enum jt_cmd cmd;
	const char *name;
	const char *head; /* --help before the options */
	const char *foot; /* --help after them: keys, examples, exit status */
	const char *titles[JT_NSECS]; /* NULL: listed under the section before */
	bool stop_at_operand; /* options end at the first operand (run's command) */
	int report_fd; /* without --output, the report goes to 1 (watch) or 2 (run) */
};

/* The front's setter: 0, or EXIT_USAGE after its own message. */
typedef int (*jt_set_fn)(void *ctx, enum jt_opt_id id, const union jt_optval *v);

#define OPTIONS_HELP_SHOWN (-1)
/*
 * getopt_long over the front's options, each value checked by the table;
 * a shared option's stored in @sh (where @sh is not NULL), any other one
 * handed to @set. 0 (optind at the first operand), EXIT_USAGE after a
 * message, or OPTIONS_HELP_SHOWN when --help was printed.
 */
int options__parse(const struct jt_front *f, int argc, char **argv, struct jt_shared *sh,
		   jt_set_fn set, void *ctx);
/*
 * @id's value into @sh where its row says (@cmd names the front in a
 * message): 0, EXIT_USAGE after a message, or 1 when @id is no shared
 * option (the front's own).
 */
int options__set_shared(struct jt_shared *sh, const char *cmd, enum jt_opt_id id,
			const union jt_optval *v);
/* The front's --help: its head, the options by section, its foot. */
void options__usage(const struct jt_front *f, FILE *out);
/* The option's help line for @cmd. */
const char *options__help(const struct jt_option *o, enum jt_cmd cmd);
/*
 * Checks @v for @o (@config: as the config file gives it, where paths are
 * absolute); NULL and *@out set when good, else what it takes ("takes
 * seconds from 0.1 to 86400"), in @buf.
 */
const char *options__check(const struct jt_option *o, const char *v, bool config,
			   union jt_optval *out, char *buf, size_t size);
/* The config file's key @key (@len bytes), or NULL. */
const struct jt_option *options__config_key(const char *key, size_t len);
/* The option with long name @name, or NULL. */
const struct jt_option *options__find(const char *name);

/*
 * A letter @cmd ("run", "tail", ...) took once and takes no more: EXIT_USAGE
 * after a message naming its spelling now; 0 when @letter was never one.
 */
int options__retired(const char *cmd, int letter);
/* getopt's '?' or ':' for @cmd: the usage error, a retired letter's hint included. */
int options__bad(const char *cmd, int opt, char **argv);

#ifdef __cplusplus
}
#endif

#endif
