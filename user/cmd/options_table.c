// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The options of run, watch, top, serve, tail and ps, once each
 * (include/jobtrace/options.h): what makes each front's getopt arrays, its --help and serve's
 * config keys. --help lists them in the order of enum jt_opt_id.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jobtrace/cli.h"
#include "jobtrace/control.h"
#include "jobtrace/history.h"
#include "jobtrace/hostmode.h"
#include "jobtrace/metrics.h"
#include "jobtrace/options.h"
#include "jobtrace/serve_config.h"
#include "jobtrace/stream.h"
#include "jobtrace/top.h"

#define KIB_MAX (1UL << 20)
#define PID_MAX (1UL << 22)

static const char *group_by_check(const char *v)
{
	return hostmode__valid_grouping(v) ? NULL :
					     "takes cgroup, cgroup2, cgroup1:CONTROLLER, tree, "
					     "session or user";
}

static const char *sort_check(const char *v)
{
	enum top_col col;

	return top__col_of_name(v, &col) ? "takes job, alive, started, exited, failed, cpu, rss, "
					   "io or command" :
					   NULL;
}

static const char *time_check(const char *v)
{
	double t;

	return history__parse_time(v, &t) ? "takes epoch seconds, 'now', -N[smhd] (before now) or "
					    "a local 'YYYY-MM-DD HH:MM[:SS]' or 'HH:MM[:SS]'" :
					    NULL;
}

static const char *mode_check(const char *v)
{
	static const char *const modes[] = { "serve", "bpf", "proc", "rusage", "auto" };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(v, modes[i]))
			return NULL;
	return "takes serve, bpf, proc, rusage or auto";
}

/* As metrics_http__listen() takes it; nothing (off) in the config file. */
static const char *listen_check(const char *v)
{
	unsigned int port;
	char host[256];

	switch (*v ? metrics_http__split_listen(v, host, sizeof(host), &port) : 0) {
	case 0:
		return NULL;
	case -ERANGE:
		return "takes a port from 0 to 65535";
	default:
		return "takes ADDR:PORT, [ADDR6]:PORT, :PORT or ADDR alone";
	}
}

static const char *nonempty_check(const char *v)
{
	return *v ? NULL : "needs a value";
}

/* Shared by the collector's fronts: one setter stores it (options__set_shared). */
static int pid_store(struct jt_shared *sh, const char *cmd, const union jt_optval *v)
{
	if (sh->npids == JT_MAX_TARGETS)
		return cli__usage_error(cmd, "at most %d --pid", JT_MAX_TARGETS);
	/*
	 * Twice is two jobs of one tree: the attach gives its processes to
	 * one, and the other reports at once that it ended, with nothing.
	 */
	for (size_t i = 0; i < sh->npids; i++) {
		if (sh->pids[i] == (pid_t)v->u)
			return cli__usage_error(cmd, "--pid %d is given twice",
						(int)sh->pids[i]);
	}
	sh->order[sh->npids + sh->ncgroups] = 'p';
	sh->pids[sh->npids++] = (pid_t)v->u;
	return 0;
}

static int cgroup_store(struct jt_shared *sh, const char *cmd, const union jt_optval *v)
{
	if (sh->ncgroups == JT_MAX_TARGETS)
		return cli__usage_error(cmd, "at most %d --cgroup", JT_MAX_TARGETS);
	sh->order[sh->npids + sh->ncgroups] = 'c';
	sh->cgroups[sh->ncgroups++] = v->str;
	return 0;
}

static int apmon_store(struct jt_shared *sh, const char *cmd, const union jt_optval *v)
{
	return apmon__add_dest_arg(&sh->apmon, cmd, v->str) ? EXIT_USAGE : 0;
}

#define SHARED(kind, field) .store = JT_STORE_##kind, .off = offsetof(struct jt_shared, field)
#define SHARED_CALL(fn) .store = JT_STORE_CALL, .store_fn = (fn)
#define SECONDS(lo, hi) .arg = JT_ARG_SECONDS, .min = (lo), .max = (hi)
#define UINT(lo, hi) .arg = JT_ARG_UINT, .min = (lo), .max = (hi)
#define KIB .arg = JT_ARG_UINT, .min = 4, .max = KIB_MAX, .what = "a size in KiB", .metavar = "N"
#define COLLECTORS (JT_RUN | JT_WATCH | JT_TOP | JT_SERVE)
#define ALL_CMDS (COLLECTORS | JT_TAIL | JT_PS | JT_REPORT)

const struct jt_option jt_options[JT_NOPTS] = {
	[JT_OPT_CONFIG] = {
		.name = "config", .arg = JT_ARG_PATH, .metavar = "FILE", .cmds = JT_SERVE,
		.section = JT_SEC_CONFIG,
		.help = "read FILE first (default " SERVE_CONFIG_DEFAULT_PATH ",\n"
			"if there is one): `key = value` lines named as the long\n"
			"options below; flags override it; SIGHUP reads it again\n"
			"(interval, apmon, apmon-cluster, metrics-keep change at\n"
			"once, the rest at a restart)",
	},
	[JT_OPT_PID] = {
		.name = "pid", .letter = 'p', UINT(1, PID_MAX), .metavar = "P",
		.takes = "takes a process id", .cmds = JT_WATCH | JT_TOP | JT_PS,
		.section = JT_SEC_JOBS,
		.help = "P and its descendants (repeatable)",
		.help_for[JT_CMD_PS] = "only P and its descendants",
		SHARED_CALL(pid_store),
	},
	[JT_OPT_CGROUP] = {
		.name = "cgroup", .letter = 'c', .arg = JT_ARG_STRING, .metavar = "PATH",
		.cmds = JT_WATCH | JT_TOP, .section = JT_SEC_JOBS,
		.help = "the cgroup at PATH and below (repeatable; one hierarchy)",
		.help_for[JT_CMD_WATCH] = "every process in the cgroup at PATH and below,\n"
					  "present and future (repeatable; one hierarchy)",
		SHARED_CALL(cgroup_store),
	},
	[JT_OPT_ALL] = {
		.name = "all", .letter = 'a', .cmds = JT_WATCH, .section = JT_SEC_JOBS,
		.help = "host mode: every process of the host, in jobs",
	},
	[JT_OPT_GROUP_BY] = {
		.name = "group-by", .letter = 'g', .arg = JT_ARG_CHOICE, .metavar = "G",
		.check = group_by_check, .cli_check = hostmode__check_grouping,
		.cmds = JT_WATCH | JT_TOP | JT_SERVE, .config = true, .section = JT_SEC_JOBS,
		.help = "host mode's jobs: cgroup (default), cgroup2,\n"
			"cgroup1:CTRL, tree, session or user (as watch --all)",
		.help_for[JT_CMD_WATCH] = "host mode's jobs: cgroup (default: the hierarchy\n"
					  "the host uses, else tree), cgroup2, cgroup1:CTRL\n"
					  "(a v1 controller's hierarchy, e.g. cgroup1:cpu),\n"
					  "tree (each child of init or of a subreaper),\n"
					  "session (a job per session: setsid(2) moves) or\n"
					  "user (a job per real uid: setuid(2) moves)",
		SHARED(STR, group_by),
	},
	[JT_OPT_INTERVAL] = {
		.name = "interval", .letter = 'i', SECONDS(0.1, 86400), .metavar = "S",
		.cmds = JT_RUN | JT_WATCH | JT_SERVE, .config = true, .section = JT_SEC_MAIN,
		.help = "job and host records every S seconds (default 1)",
		.help_for[JT_CMD_RUN] = "every S seconds, a line with the live members' CPU\n"
					"now, memory and open files (ApMon's job parameters)",
		.help_for[JT_CMD_WATCH] = "every S seconds, a record per job and one for the host",
		SHARED(SECONDS, interval_s),
	},
	[JT_OPT_DELAY] = {
		.name = "delay", .letter = 'd', SECONDS(0.1, 86400), .metavar = "S",
		.cmds = JT_TOP, .section = JT_SEC_MAIN,
		.help = "refresh every S seconds (default 1; as top -d)",
	},
	[JT_OPT_ITERATIONS] = {
		.name = "iterations", .letter = 'n', UINT(1, 100000000), .metavar = "N",
		.cmds = JT_TOP, .section = JT_SEC_MAIN,
		.help = "stop after N refreshes (as top -n)",
	},
	[JT_OPT_DURATION] = {
		.name = "duration", SECONDS(0.1, 31 * 86400.0), .metavar = "S",
		.cmds = JT_WATCH | JT_SERVE | JT_TAIL, .section = JT_SEC_MAIN,
		.help = "stop after S seconds",
		.help_for[JT_CMD_TAIL] = "exit after S seconds",
		SHARED(SECONDS, duration_s),
	},
	[JT_OPT_BATCH] = {
		.name = "batch", .letter = 'b', .cmds = JT_TOP, .section = JT_SEC_MAIN,
		.help = "plain text, a refresh after another, for scripts\n"
			"(no terminal needed; as top -b)",
	},
	[JT_OPT_WIDTH] = {
		.name = "width", .letter = 'w', UINT(40, 4096), .metavar = "N", .cmds = JT_TOP,
		.section = JT_SEC_MAIN,
		.help = "batch: the width of a line (default $COLUMNS, else 120)",
	},
	[JT_OPT_SORT] = {
		.name = "sort", .arg = JT_ARG_CHOICE, .metavar = "COL", .check = sort_check,
		.cmds = JT_TOP, .section = JT_SEC_MAIN,
		.help = "sort by job, alive, started, exited, failed, cpu\n"
			"(default), rss, io or command",
	},
	[JT_OPT_REVERSE] = {
		.name = "reverse", .letter = 'r', .cmds = JT_TOP, .section = JT_SEC_MAIN,
		.help = "the least first",
	},
	[JT_OPT_FILTER] = {
		.name = "filter", .letter = 'f', .arg = JT_ARG_STRING, .metavar = "TEXT",
		.cmds = JT_TOP, .section = JT_SEC_MAIN,
		.help = "only the jobs whose name or command holds TEXT",
	},
	[JT_OPT_REPLAY] = {
		.name = "replay", .cmds = JT_TOP, .section = JT_SEC_MAIN,
		.help = "the screen as it was, from serve --history's files: of\n"
			"the directory named after the options (default\n"
			"/var/lib/jobtrace/history); keys t and T step, b jumps",
	},
	[JT_OPT_AT] = {
		.name = "at", .arg = JT_ARG_CHOICE, .metavar = "TIME", .check = time_check,
		.cmds = JT_TOP, .section = JT_SEC_MAIN,
		.help = "--replay: the interval at TIME (default: the last one), as\n"
			"history --since takes it; with --batch, -n N frames from it",
	},
	[JT_OPT_COUNT] = {
		.name = "count", .letter = 'n', UINT(1, 1UL << 62), .metavar = "N", .cmds = JT_TAIL,
		.section = JT_SEC_MAIN,
		.help = "exit after N records",
	},
	[JT_OPT_UNTIL_CLOSED] = {
		.name = "until-closed", .cmds = JT_TAIL, .section = JT_SEC_MAIN,
		.help = "exit when serve has stopped and every record is read:\n"
			"0 when it stopped cleanly, 1 when it died (no\n"
			"heartbeat for 5 s, or its process is gone)",
	},
	[JT_OPT_FORMAT] = {
		.name = "format", .arg = JT_ARG_STRING, .metavar = "COLS", .cmds = JT_PS,
		.section = JT_SEC_MAIN,
		.help = "the table's columns, in order, as ps -o takes them:\n"
			"pid, ppid, user (the real uid's name), uid, s, thr,\n"
			"cpu (seconds), rss, vsz, start (HH:MM today, Mon DD\n"
			"this year, else the year), comm, args (the command\n"
			"line); repeatable. Default: pid,ppid,s,thr,cpu,rss,comm.\n"
			"JSON carries every field whatever --format says",
	},
	[JT_OPT_PROC] = {
		.name = "proc", .cmds = JT_PS, .section = JT_SEC_MAIN,
		.help = "read /proc instead of using the task iterator",
	},
	[JT_OPT_NO_PIN] = {
		.name = "no-pin", .cmds = JT_PS, .section = JT_SEC_MAIN,
		.help = "load the iterator afresh; do not use or leave a pin in\n"
			"/sys/fs/bpf/jobtrace",
	},
	[JT_OPT_PROC_ROOT] = {
		.name = "proc-root", .arg = JT_ARG_STRING, .metavar = "DIR", .cmds = JT_PS,
		.section = JT_SEC_MAIN,
		.help = "walk DIR instead of /proc (implies --proc)",
	},
	[JT_OPT_JSON] = {
		.name = "json", .letter = 'j', .cmds = JT_RUN | JT_WATCH | JT_TAIL | JT_PS | JT_REPORT,
		.section = JT_SEC_MAIN,
		.help = "JSON lines (types interval, host, job)",
		.help_for[JT_CMD_RUN] = "write the report as one JSON object",
		.help_for[JT_CMD_TAIL] = "one JSON object per record (JSON lines)",
		.help_for[JT_CMD_PS] = "one JSON array of processes",
		.help_for[JT_CMD_REPORT] = "one JSON object (schema/job-summary.schema.json)",
		SHARED(FLAG, json),
	},
	[JT_OPT_TREE] = {
		.name = "tree", .letter = 'H', .cmds = JT_PS, .section = JT_SEC_MAIN,
		.help = "show parents above their children (as ps -H)",
	},
	[JT_OPT_OUTPUT] = {
		.name = "output", .letter = 'o', .arg = JT_ARG_PATH, .dash = true,
		.metavar = "FILE",
		.cmds = JT_RUN | JT_WATCH | JT_SERVE, .config = true, .section = JT_SEC_MAIN,
		.help = "JSON lines of every record to FILE ('-': standard output)",
		.help_for[JT_CMD_RUN] = "write the report to FILE instead of standard error",
		.help_for[JT_CMD_WATCH] = "write to FILE ('-': standard output, the default)",
		SHARED(STR, output),
	},
	[JT_OPT_NO_WAIT] = {
		.name = "no-wait", .cmds = JT_RUN, .section = JT_SEC_MAIN,
		.help = "report when CMD exits; do not wait for descendants\n"
			"that outlive it",
	},
	[JT_OPT_TOP] = {
		.name = "top", .letter = 't', UINT(0, 100000), .metavar = "N",
		.cmds = JT_RUN | JT_WATCH, .section = JT_SEC_MAIN,
		.help = "commands in each job's report (default 10)",
		.help_for[JT_CMD_RUN] = "show the N busiest commands (default 10, 0 for none)",
		SHARED(SIZE, top),
	},
	[JT_OPT_WORKDIR] = {
		.name = "workdir", .arg = JT_ARG_STRING, .metavar = "DIR", .cmds = JT_RUN,
		.section = JT_SEC_MAIN,
		.help = "report DIR's size and its filesystem's free space",
	},
	[JT_OPT_EVENTS] = {
		.name = "events", .letter = 'e', .arg = JT_ARG_PATH, .dash = true,
		.metavar = "FILE",
		.cmds = JT_RUN | JT_WATCH, .section = JT_SEC_MAIN,
		.help = "a JSON line per process that ends ('-': standard output)",
		.help_for[JT_CMD_RUN] = "a JSON line per process that ends, with its arguments\n"
					"and status ('-': standard output)",
		SHARED(STR, events),
	},
	[JT_OPT_SVG] = {
		.name = "svg", .arg = JT_ARG_PATH, .metavar = "FILE", .cmds = JT_RUN | JT_WATCH,
		.section = JT_SEC_MAIN,
		.help = "a picture of each job when it ends: FILE for the first,\n"
			"FILE.N.svg (N = 2, 3, ...) for the next ones",
		.help_for[JT_CMD_RUN] = "a picture of the job: processes alive over time by\n"
					"command, CPU by lineage (an icicle), failures marked",
		SHARED(STR, svg),
	},
	[JT_OPT_HTML] = {
		.name = "html", .arg = JT_ARG_PATH, .metavar = "FILE", .cmds = JT_RUN | JT_WATCH,
		.section = JT_SEC_MAIN,
		.help = "a report page of each job, named the same way",
		.help_for[JT_CMD_RUN] = "a report page: the picture, totals, top commands,\n"
					"failed and longest processes",
		SHARED(STR, html),
	},
	[JT_OPT_STREAM] = {
		.name = "stream", .letter = 's', .arg = JT_ARG_PATH, .metavar = "PATH",
		.cmds = JT_SERVE | JT_TAIL, .config = true, .section = JT_SEC_MAIN,
		.help = "every record, process forks included, into a shared-memory\n"
			"ring for other agents (readers look at " JT_STREAM_DEFAULT_PATH "\n"
			"unless told); read it with `jobtrace tail` or libjobtrace(3)",
		.help_for[JT_CMD_TAIL] = "the stream (default " JT_STREAM_DEFAULT_PATH ")",
	},
	[JT_OPT_STREAM_KB] = {
		.name = "stream-kb", KIB, .cmds = JT_SERVE, .config = true, .section = JT_SEC_MAIN,
		.help = "the stream's ring size in KiB (default 4096)",
	},
	[JT_OPT_LISTEN] = {
		.name = "listen", .letter = 'l', .arg = JT_ARG_CHOICE, .metavar = "ADDR:PORT",
		.check = listen_check, .cmds = JT_SERVE, .config = true, .section = JT_SEC_MAIN,
		.help = "serve /metrics (Prometheus, OpenMetrics) on ADDR\n"
			"(:PORT: 127.0.0.1; ADDR alone: port " METRICS_DEFAULT_PORT_STR ";\n"
			"[ADDR6]:PORT for IPv6; :0 lets the kernel choose)",
	},
	[JT_OPT_METRICS_KEEP] = {
		.name = "metrics-keep", SECONDS(0, 7 * 86400.0), .metavar = "S", .cmds = JT_SERVE,
		.config = true, .section = JT_SEC_MAIN,
		.help = "an ended job's series stay S seconds (default 300)",
	},
	[JT_OPT_PSS] = {
		.name = "pss", .cmds = JT_RUN | JT_WATCH, .section = JT_SEC_MAIN,
		.help = "also read PSS/USS of live members (walks page tables)",
		SHARED(FLAG, pss),
	},
	[JT_OPT_NO_ARGS] = {
		.name = "no-args", .cmds = COLLECTORS, .section = JT_SEC_MAIN,
		.help = "record no process's command line or program path (args\n"
			"and exe null): a command line can hold a secret",
		SHARED(FLAG, source.no_args),
	},
	[JT_OPT_RING_KB] = {
		.name = "ring-kb", KIB, .cmds = COLLECTORS, .config = true, .section = JT_SEC_MAIN,
		.help = "ring buffer size in KiB (default 1024)",
		SHARED(KIB, source.ring_bytes),
	},
	[JT_OPT_MAX_PROCS] = {
		.name = "max-procs", UINT(64, PID_MAX), .metavar = "N", .cmds = COLLECTORS,
		.config = true, .section = JT_SEC_MAIN,
		.help = "processes tracked at once (default: kernel.pid_max, at most 131072)",
		SHARED(U32, source.max_procs),
	},
	[JT_OPT_MAX_JOBS] = {
		.name = "max-jobs", UINT(2, KIB_MAX), .metavar = "N",
		.cmds = JT_WATCH | JT_TOP | JT_SERVE, .config = true, .section = JT_SEC_MAIN,
		.help = "job map entries (default 4096)",
		SHARED(U32, source.max_jobs),
	},
	[JT_OPT_APMON] = {
		.name = "apmon", .arg = JT_ARG_CHOICE, .metavar = "DEST", .check = nonempty_check,
		.takes = "needs HOST[:PORT] [PASSWORD]", .cmds = JT_RUN | JT_WATCH | JT_SERVE,
		.config = true, .section = JT_SEC_MAIN,
		.help = "ApMon datagrams to MonALISA at DEST, 'HOST[:PORT]\n"
			"[PASSWORD]' (port 8884): job and system parameters\n"
			"every interval (repeatable)",
		.help_for[JT_CMD_RUN] = "send ApMon datagrams to MonALISA at DEST, 'HOST[:PORT]\n"
					"[PASSWORD]' (port 8884): job parameters at the end,\n"
					"and with -i every interval, with the system's\n"
					"(repeatable)",
		.help_for[JT_CMD_WATCH] = "send ApMon datagrams to MonALISA at DEST, 'HOST[:PORT]\n"
					  "[PASSWORD]' (port 8884): job and system parameters\n"
					  "every interval, each job's when it ends (repeatable)",
		SHARED_CALL(apmon_store),
	},
	[JT_OPT_APMON_CLUSTER] = {
		.name = "apmon-cluster", .arg = JT_ARG_CHOICE, .metavar = "C",
		.check = nonempty_check, .takes = "needs a name",
		.cmds = JT_RUN | JT_WATCH | JT_SERVE, .config = true, .section = JT_SEC_MAIN,
		.help = "the cluster of job parameters (default jobtrace_jobs)",
		SHARED(STR, apmon.cluster),
	},
	[JT_OPT_MODE] = {
		.name = "mode", .arg = JT_ARG_CHOICE, .metavar = "M", .check = mode_check,
		.cmds = JT_RUN | JT_WATCH, .section = JT_SEC_MAIN,
		.help = "event source: serve (a running serve's, see below),\n"
			"bpf, proc (no BPF: --pid only, can miss CPU) or auto\n"
			"(default: serve, else bpf, else proc)",
		.help_for[JT_CMD_RUN] = "event source: serve (a running jobtrace serve --control\n"
					"counts the job: any user, exact), bpf, proc (netlink\n"
					"proc connector and /proc: no BPF, can miss CPU), rusage\n"
					"(neither: the job's status and its tree's CPU, process\n"
					"counts unknown) or auto (default: serve, else bpf, else\n"
					"proc, else rusage, said on standard error and in the\n"
					"report)",
		SHARED(STR, mode),
	},
	[JT_OPT_CONTROL] = {
		.name = "control", .arg = JT_ARG_PATH, .metavar = "PATH",
		.cmds = JT_RUN | JT_WATCH | JT_SERVE, .config = true, .section = JT_SEC_MAIN,
		.help = "a control socket at PATH: clients (the Slurm SPANK plugin)\n"
			"make a process that has not forked yet a job of its own,\n"
			"end it and take its report (include/jobtrace/control.h)",
		.help_for[JT_CMD_RUN] = "serve's control socket (default $JOBTRACE_CONTROL, else\n"
					CONTROL_DEFAULT_PATH ")",
		.help_for[JT_CMD_WATCH] = "serve's control socket (default $JOBTRACE_CONTROL,\n"
					  "else " CONTROL_DEFAULT_PATH "). Up to 4 --pid of\n"
					  "your own are followed there with no privileges, unless\n"
					  "an option needs watch's own records: --cgroup, --all,\n"
					  "--interval, --events, --svg, --html, --pss, --no-args,\n"
					  "--apmon",
		SHARED(STR, control),
	},
	[JT_OPT_REPORTS] = {
		.name = "reports", .arg = JT_ARG_PATH, .metavar = "DIR", .cmds = JT_SERVE,
		.config = true, .section = JT_SEC_MAIN,
		.help = "each such job's report, as run --json, to DIR/NAME.json",
	},
	[JT_OPT_HISTORY] = {
		.name = "history", .arg = JT_ARG_PATH, .metavar = "DIR", .cmds = JT_SERVE,
		.config = true, .section = JT_SEC_MAIN,
		.help = "keep every JSON line (as -o writes them) in DIR, made 0750:\n"
			"files by time, zstd-compressed as written; read with\n"
			"jobtrace history",
	},
	[JT_OPT_HISTORY_ROTATE] = {
		.name = "history-rotate", SECONDS(1, 7 * 86400.0), .metavar = "S", .cmds = JT_SERVE,
		.config = true, .section = JT_SEC_MAIN,
		.help = "a history file is closed (its zstd frame ended) after S\n"
			"seconds (default 3600), or at a quarter of --history-max",
	},
	[JT_OPT_HISTORY_KEEP] = {
		.name = "history-keep", SECONDS(60, 10 * 366 * 86400.0), .metavar = "S",
		.cmds = JT_SERVE, .config = true, .section = JT_SEC_MAIN,
		.help = "history files older than S seconds are removed (default 604800)",
	},
	[JT_OPT_HISTORY_MAX] = {
		.name = "history-max", UINT(65536, 1e15), .what = "a size in bytes",
		.metavar = "BYTES", .cmds = JT_SERVE, .config = true, .section = JT_SEC_MAIN,
		.help = "the oldest history files are removed past BYTES in all\n"
			"(default 1073741824)",
	},
	[JT_OPT_VERBOSE] = {
		.name = "verbose", .letter = 'v', .cmds = COLLECTORS | JT_PS, .section = JT_SEC_MAIN,
		.help = "show libbpf's messages",
		.help_for[JT_CMD_RUN] = "show libbpf's messages, the verifier's log included",
		.help_for[JT_CMD_WATCH] = "show libbpf's messages, the verifier's log included",
		.help_for[JT_CMD_PS] = "say which source was used and how long it took",
		SHARED(FLAG, source.verbose),
	},
	[JT_OPT_HELP] = {
		.name = "help", .letter = 'h', .cmds = ALL_CMDS, .section = JT_SEC_MAIN,
		.help = "this text",
	},
};

/*
 * Letters that meant something else before the letters were made one
 * meaning each. Asked for, each is a usage error that names the spelling
 * now: a script written for the old meaning stops, it is not misread.
 */
static const struct {
	const char *cmd;
	char letter;
	const char *now, *why;
} retired[] = {
	{ "run", 'n', "--no-wait", "-n is a count, as top -n" },
	{ "run", 'w', "--workdir", "-w is a width, as top -w and ps -w" },
	{ "watch", 'd', "--duration", "-d is top's delay, as top -d" },
	{ "serve", 'd', "--duration", "-d is top's delay, as top -d" },
	{ "tail", 'd', "--duration", "-d is top's delay, as top -d" },
	{ "top", 'o', "--sort", "-o is an output file, as time -o" },
	{ "ps", 'o', "--format", "-o is an output file, as time -o" },
	{ "ps", 't', "--tree (or -H, as ps -H)", "-t is run's and watch's --top" },
	{ "inspect", 'e', "--environ", "-e is run's and watch's --events" },
};

int options__retired(const char *cmd, int letter)
{
	for (size_t i = 0; i < sizeof(retired) / sizeof(retired[0]); i++) {
		if (retired[i].letter == letter && !strcmp(retired[i].cmd, cmd))
			return cli__usage_error(cmd, "-%c is no option of %s: say %s (%s)", letter,
						cmd, retired[i].now, retired[i].why);
	}
	return 0;
}
