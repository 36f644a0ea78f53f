// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace top`: the host's jobs (host mode, as `watch --all`), or the jobs
 * named with --pid and --cgroup, on one screen refreshed every interval. A
 * front over the collector: the view is a sink (user/out/sink_top.c); the
 * front adds the terminal's fd and SIGWINCH to the collector's loop and does
 * what the keys ask of the collector.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/cli.h"
#include "jobtrace/collector.h"
#include "jobtrace/hostmode.h"
#include "jobtrace/options.h"
#include "jobtrace/sink.h"
#include "jobtrace/targets.h"
#include "jobtrace/top.h"
#include "jobtrace/util.h"

#include "commands.h"

static const struct jt_front top_front = {
	.cmd = JT_CMD_TOP,
	.name = "top",
	.head = "Usage: jobtrace top [--pid P]... [--cgroup PATH]... [OPTIONS]\n"
		"\n"
		"The host's jobs on one screen, refreshed every interval: processes alive,\n"
		"started and ended per second, those that failed, CPU (the children that\n"
		"lived a millisecond included), memory, I/O and the busiest command of each.\n"
		"Every process of the host, in jobs (as watch --all), unless --pid or\n"
		"--cgroup name the jobs. With --replay, the screen as it was, from the files\n"
		"serve --history DIR kept: `jobtrace top --replay [OPTIONS] [DIR]`.\n",
	.titles = { [JT_SEC_JOBS] = "Jobs", [JT_SEC_MAIN] = "Screen" },
	.foot = "\n"
		"Keys: arrows select a job, Enter expands it into its processes and last\n"
		"exits, P M S E F sort (CPU, memory, started, exited, failed), < > move the\n"
		"sort, R reverses, / filters (Esc clears), p pauses, d sets the interval,\n"
		"h helps, q quits. In a replay, t goes to the next interval, T to the one\n"
		"before, b to a time typed in (Enter expands).\n"
		"\n"
		"Examples:\n"
		"  sudo jobtrace top\n"
		"  sudo jobtrace top --cgroup /sys/fs/cgroup/system.slice -d 2\n"
		"  sudo jobtrace top -b -n 3 --sort started\n"
		"  jobtrace top --replay --at '2026-03-01 03:10'\n"
		"  jobtrace top --replay -b -n 5 --at -1h /var/lib/jobtrace/history\n"
		"\n"
		"Needs root, or CAP_BPF and CAP_PERFMON, and a kernel with BTF; --replay\n"
		"needs only to read the history (its directory is 0750, root's group).\n",
};

struct top_config {
	double delay_s;
	unsigned long iterations; /* 0: until quit */
	bool batch;
	unsigned int width;
	enum top_col sort;
	bool reverse;
	const char *filter;
	bool replay;
	const char *at;
	struct jt_shared shared;
};

/* top's own options; the shared ones are in cfg->shared (options__set_shared). */
static int top_set(void *ctx, enum jt_opt_id id, const union jt_optval *v)
{
	struct top_config *cfg = ctx;

	switch (id) {
	case JT_OPT_DELAY:
		cfg->delay_s = v->s;
		break;
	case JT_OPT_ITERATIONS:
		cfg->iterations = v->u;
		break;
	case JT_OPT_BATCH:
		cfg->batch = true;
		break;
	case JT_OPT_WIDTH:
		cfg->width = (unsigned int)v->u;
		break;
	case JT_OPT_SORT:
		top__col_of_name(v->str, &cfg->sort); /* checked by the table */
		break;
	case JT_OPT_REVERSE:
		cfg->reverse = true;
		break;
	case JT_OPT_FILTER:
		cfg->filter = v->str;
		break;
	case JT_OPT_REPLAY:
		cfg->replay = true;
		break;
	case JT_OPT_AT:
		cfg->at = v->str;
		break;
	default:
		break;
	}
	return 0;
}

/* 0: go on; EXIT_USAGE after a message; OPTIONS_HELP_SHOWN: --help was printed, exit 0. */
static int parse_args(int argc, char **argv, struct top_config *cfg)
{
	int ret = options__parse(&top_front, argc, argv, &cfg->shared, top_set, cfg);

	if (ret)
		return ret;
	/* --replay takes one DIR: what comes after it is the one to name. */
	if (optind < argc && !(cfg->replay && optind + 1 == argc))
		return cli__usage_error("top", "unexpected argument '%s'",
					argv[cfg->replay ? optind + 1 : optind]);
	if (cfg->at && !cfg->replay)
		return cli__usage_error("top", "%s", "--at is for --replay");
	if (cfg->replay && (cfg->shared.npids || cfg->shared.ncgroups || cfg->shared.group_by))
		return cli__usage_error("top", "%s", "--replay shows the jobs the history kept: it "
						     "takes no --pid, --cgroup or --group-by");
	if (cfg->shared.group_by && (cfg->shared.npids || cfg->shared.ncgroups))
		return cli__usage_error("top", "%s", "--group-by is for host mode: it takes no "
						     "--pid or --cgroup");
	if (!cfg->batch && cfg->width)
		return cli__usage_error("top", "%s", "--width is for --batch");
	if (!cfg->batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return cli__usage_error("top", "%s", "the screen needs a terminal on standard "
						     "input and output: use --batch");
	return 0;
}

struct top_front {
	struct collector *c;
	struct sink *view;
	unsigned long iterations;
	bool stopped; /* by -n, a key, or a hang-up: not by the jobs' end */
};

static void on_frame(void *ctx, unsigned long frames)
{
	struct top_front *f = ctx;

	if (f->iterations && frames >= f->iterations) {
		f->stopped = true;
		collector__stop(f->c);
	}
}

static void on_keys(void *ctx, int fd, __u32 events)
{
	struct top_front *f = ctx;
	struct top_request req = {};

	sink_top__keys(f->view, &req);
	if (req.quit) {
		f->stopped = true;
		collector__stop(f->c);
	}
	if (req.interval_s > 0)
		collector__set_interval(f->c, req.interval_s);
	/* The terminal hung up (ssh went away): nothing will read the screen. */
	if (events & (EPOLLHUP | EPOLLERR)) {
		f->stopped = true;
		collector__stop(f->c);
	}
}

static void on_winch(void *ctx, int signo)
{
	struct top_front *f = ctx;

	sink_top__resize(f->view);
}

/* Batch: $COLUMNS when it is a sane width, as top -b does. */
static unsigned int batch_width(void)
{
	const char *cols = getenv("COLUMNS");
	unsigned long v;

	if (cols && !cli__parse_uint(cols, 40, 4096, &v))
		return (unsigned int)v;
	return 120;
}

int top__main(int argc, char **argv)
{
	struct top_config cfg = { .delay_s = 1, .sort = TOP_COL_CPU };
	struct collector_opts copts = {};
	struct cgroup_hier watch_h = { .ssid = -1 };
	struct top_front front = {};
	struct collector_stats st;
	struct top_opts topts;
	int ret, err;
	__u64 next_id = 1;

	ret = parse_args(argc, argv, &cfg);
	if (ret)
		return ret == OPTIONS_HELP_SHOWN ? 0 : ret;
	if (cfg.replay) {
		struct top_replay_opts r = {
			.dir = optind < argc ? argv[optind] : TOP_REPLAY_DEFAULT_DIR,
			.at = cfg.at,
			.frames = cfg.iterations,
			.view = { .batch = cfg.batch, .out = stdout,
				  .width = cfg.width ? cfg.width : batch_width(), .sort = cfg.sort,
				  .reverse = cfg.reverse, .filter = cfg.filter,
				  .interval_s = cfg.delay_s, .replay = true },
		};

		return top__replay(&r);
	}
	copts.source = cfg.shared.source;
	copts.source.attach = true;
	if (targets__check_cgroups("top", cfg.shared.cgroups, cfg.shared.ncgroups, &watch_h))
		return EXIT_USAGE;
	if (targets__check_pids("top", cfg.shared.pids, cfg.shared.npids))
		return 1;
	if (cfg.shared.ncgroups)
		copts.follow_hier = &watch_h;
	if (!cfg.shared.npids && !cfg.shared.ncgroups &&
	    collector__group_by(cfg.shared.group_by, &copts.grouping))
		return EXIT_USAGE;
	copts.interval_s = cfg.delay_s;
	/* --pid and --cgroup follow jobs: top ends with them, as watch does. */
	copts.stop_when_jobs_end = cfg.shared.npids || cfg.shared.ncgroups;
	/* Process records: each job's last exits, for its expanded view. */
	copts.events = true;
	copts.host_records = true;

	ret = EXIT_INTERNAL;
	front.c = collector__new(&copts);
	if (!front.c)
		return EXIT_INTERNAL;
	front.iterations = cfg.iterations;
	for (size_t i = 0; i < cfg.shared.npids; i++) {
		err = collector__follow_pid(front.c, next_id++, cfg.shared.pids[i], "top");
		if (err) {
			ret = err == -ENOENT || err == -ESRCH ? 1 : EXIT_INTERNAL;
			goto out;
		}
	}
	for (size_t i = 0; i < cfg.shared.ncgroups; i++) {
		if (collector__follow_cgroup(front.c, next_id++, cfg.shared.cgroups[i], &watch_h, "top"))
			goto out;
	}
	err = collector__attach_existing(front.c);
	if (err) {
		fprintf(stderr, "jobtrace: cannot find the running processes: %s\n",
			strerror(-err));
		goto out;
	}
	/* A --pid that ended while jobtrace attached has ended, as one gone before. */
	for (size_t i = 0; i < cfg.shared.npids; i++) {
		if (collector__check_attached(front.c, 1 + i, cfg.shared.pids[i]) == -ESRCH) {
			ret = 1;
			goto out;
		}
	}
	/* The screen last: what failed before it is still readable on the terminal. */
	topts = (struct top_opts){
		.batch = cfg.batch,
		.out = stdout,
		.width = cfg.width ? cfg.width : batch_width(),
		.sort = cfg.sort,
		.reverse = cfg.reverse,
		.filter = cfg.filter,
		.interval_s = cfg.delay_s,
		.jobs_given = copts.stop_when_jobs_end,
		.on_frame = on_frame,
		.ctx = &front,
	};
	front.view = sink_top__new(&topts);
	if (!front.view) {
		fprintf(stderr, "jobtrace: cannot set up the screen: %s\n",
			errno == ENOTTY ? "no terminal (is TERM set?); use --batch" :
					  strerror(errno));
		goto out;
	}
	err = collector__add_sink(front.c, front.view);
	if (!err && !cfg.batch) {
		err = collector__add_fd(front.c, STDIN_FILENO, EPOLLIN, on_keys, &front);
		if (!err)
			err = collector__add_signal(front.c, SIGWINCH, on_winch, &front);
	}
	if (err) {
		fprintf(stderr, "jobtrace: cannot set up top: %s\n", strerror(-err));
		goto out;
	}
	/* The screen owns the terminal; batch mode says which hierarchy makes the jobs. */
	if (cfg.batch && copts.grouping.why[0])
		fprintf(stderr, "jobtrace: %s (--group-by changes it)\n", copts.grouping.why);
	err = collector__run(front.c);
	if (err) {
		fprintf(stderr, "jobtrace: the event loop failed: %s\n", strerror(-err));
		goto out;
	}
	/*
	 * Its jobs ended: batch mode's last frame shows them so, with the
	 * host over the time since the last frame, the time of their last
	 * intervals (none where they ended at its tick: that frame has them).
	 */
	if (copts.stop_when_jobs_end && !front.stopped) {
		if (cfg.batch && sink_top__final_due(front.view))
			collector__emit_host_now(front.c);
		sink_top__final(front.view);
	}
	collector__stats(front.c, &st);
	ret = 0;
	if (st.sink_errors) {
		fprintf(stderr, "jobtrace: cannot write the screen: %s\n",
			strerror(-st.first_sink_error));
		ret = EXIT_INTERNAL;
	}
out:
	/* Frees the view, which gives the terminal back. */
	collector__free(front.c);
	return ret;
}
