// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace watch`: attach to jobs already running (a process and its
 * descendants, a cgroup), or to every process of the host grouped into jobs,
 * and report on each until it ends. A front over the collector.
 *
 * The attach has no gap: the programs are attached and the ring open before
 * the attach iterator looks for what is already running (twice), so a
 * process forked during the attach is counted once, never zero times.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/apmon.h"
#include "jobtrace/cgroupfs.h"
#include "jobtrace/cli.h"
#include "jobtrace/collector.h"
#include "jobtrace/hostmode.h"
#include "jobtrace/options.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/report.h"
#include "jobtrace/sink.h"
#include "jobtrace/targets.h"
#include "jobtrace/util.h"

#include "commands.h"

static const struct jt_front watch_front = {
	.cmd = JT_CMD_WATCH,
	.name = "watch",
	.head = "Usage: jobtrace watch [--pid P]... [--cgroup PATH]... [--all] [OPTIONS]\n"
		"\n"
		"Attaches to jobs that are already running and follows every process they\n"
		"fork from then on; reports on each job when it ends (or at Ctrl-C, or after\n"
		"--duration). Processes found at the attach are counted as such: their CPU\n"
		"before it is not the job's.\n",
	.titles = { [JT_SEC_JOBS] = "Jobs", [JT_SEC_MAIN] = "Output" },
	.report_fd = STDOUT_FILENO,
	.foot = "\n"
		"Examples:\n"
		"  jobtrace watch --pid $(pgrep -o make) --events failed.jsonl\n"
		"  jobtrace watch --cgroup /sys/fs/cgroup/system.slice/nginx.service -i 5 --json\n"
		"  jobtrace watch --all --interval 10 --json -o host.jsonl\n"
		"\n"
		"Exit status: as run's, the job's: a --pid job's is its root's (its code, or\n"
		"128 + the signal that killed it); a job whose root's end was not seen (a\n"
		"--cgroup job, a root still running at Ctrl-C, SIGTERM or --duration) has 1\n"
		"when any of its processes failed, else 0. With several jobs, the first failed\n"
		"one's in command-line order, else 0. --all exits 0. 1: a --pid that does not\n"
		"exist, or is a thread; 2: a usage error; 125: jobtrace itself failed.\n"
		"\n"
		"Needs root, or CAP_BPF and CAP_PERFMON, and a kernel with BTF.\n",
};

struct watch_config {
	bool all;
	struct jt_shared shared;
};

static int watch_set(void *ctx, enum jt_opt_id id, const union jt_optval *v)
{
	struct watch_config *cfg = ctx;

	if (id == JT_OPT_ALL)
		cfg->all = true;
	return 0;
}

/* 0: go on; EXIT_USAGE after a message; OPTIONS_HELP_SHOWN: --help was printed, exit 0. */
static int parse_args(int argc, char **argv, struct watch_config *cfg)
{
	int ret = options__parse(&watch_front, argc, argv, &cfg->shared, watch_set, cfg);

	if (ret)
		return ret;
	/* rusage has no per-process records: what watch reports is made of them. */
	if (cfg->shared.mode && !strcmp(cfg->shared.mode, "rusage"))
		return cli__usage_error("watch", "%s",
					"--mode rusage is run's: watch takes serve, "
					"bpf, proc or auto");
	if (optind < argc)
		return cli__usage_error("watch", "unexpected argument '%s'", argv[optind]);
	if (!cfg->all && !cfg->shared.npids && !cfg->shared.ncgroups)
		return cli__usage_error("watch", "%s", "nothing to watch: give --pid, --cgroup or --all");
	if (cfg->all && (cfg->shared.npids || cfg->shared.ncgroups))
		return cli__usage_error("watch", "%s", "--all watches every process already: "
						       "it takes no --pid or --cgroup");
	if (cfg->shared.group_by && !cfg->all)
		return cli__usage_error("watch", "%s", "--group-by is for --all");
	return 0;
}

/*
 * What watch exits with, as run exits with its command's status: the first
 * job, in the order of the command line, whose status (job__status) is not
 * 0; else 0. Several failed jobs cannot be told apart by one number (xargs
 * says 123, parallel counts them): the first one's own status is what a
 * script that named it can act on. Host mode watches the host, not a job: 0.
 */
static int watch_status(const struct watch_config *cfg, struct cjob *const *pid_jobs,
			struct cjob *const *cg_jobs)
{
	size_t p = 0, c = 0;

	for (size_t i = 0; i < cfg->shared.npids + cfg->shared.ncgroups; i++) {
		const struct cjob *j = cfg->shared.order[i] == 'p' ? pid_jobs[p++] : cg_jobs[c++];
		int st = j ? job__status(&j->job) : 0;

		if (st)
			return st;
	}
	return 0;
}

int watch__main(int argc, char **argv)
{
	struct watch_config cfg = { .shared.top = REPORT_DEFAULT_TOP };
	struct collector_opts copts = {};
	struct cgroup_hier watch_h = { .ssid = -1 };
	struct cjob *pid_jobs[JT_MAX_TARGETS] = {}, *cg_jobs[JT_MAX_TARGETS] = {};
	struct collector_stats st;
	struct collector *c = NULL;
	char host_name[64] = "";
	int ret, err;
	__u64 next_id = 1;

	ret = parse_args(argc, argv, &cfg);
	if (ret)
		return ret == OPTIONS_HELP_SHOWN ? 0 : ret;
	if (targets__check_pids("watch", cfg.shared.pids, cfg.shared.npids))
		return 1;
	/* A serve on the host follows --pid jobs with no privileges and no load of ours. */
	if (!watch__via_serve(&cfg.shared, cfg.all || cfg.shared.ncgroups, &ret))
		return ret;
	copts.source = cfg.shared.source;
	copts.source.attach = true;
	/* --cgroup paths are checked, and their hierarchy known, before anything loads. */
	if (targets__check_cgroups("watch", cfg.shared.cgroups, cfg.shared.ncgroups, &watch_h))
		return EXIT_USAGE;
	if (cfg.shared.ncgroups)
		copts.follow_hier = &watch_h;
	if (cfg.all && collector__group_by(cfg.shared.group_by, &copts.grouping))
		return EXIT_USAGE;
	copts.interval_s = cfg.shared.interval_s;
	copts.duration_s = cfg.shared.duration_s;
	copts.pss = cfg.shared.pss;
	/* The picture is drawn from the process records. */
	copts.events = cfg.shared.events != NULL || cfg.shared.svg || cfg.shared.html;
	copts.host_records = cfg.shared.interval_s > 0;
	copts.host_record_at_stop = true;
	copts.stop_when_jobs_end = !cfg.all;
	collector__set_mode(&copts, cfg.shared.mode);
	/* Without BPF only process trees can be followed: --cgroup and --all would fail later. */
	if ((cfg.all || cfg.shared.ncgroups) && cfg.shared.mode && !strcmp(cfg.shared.mode, "proc"))
		return cli__usage_error("watch", "%s", "--mode proc follows --pid only: "
						       "--cgroup and --all need BPF");
	if (cfg.all || cfg.shared.ncgroups)
		copts.fallback_proc = false;

	ret = EXIT_INTERNAL;
	c = collector__new(&copts);
	if (!c)
		return EXIT_INTERNAL;
	if (outputs__add(c, &(struct outputs){
		    .output = cfg.shared.output,
		    .default_f = stdout,
		    .default_name = "standard output",
		    .json = cfg.shared.json,
		    .json_lines = true,
		    .compact = cfg.all,
		    .events = cfg.shared.events,
		    .top = cfg.shared.top,
		    .svg = cfg.shared.svg,
		    .html = cfg.shared.html,
		    .apmon = &cfg.shared.apmon,
	    }))
		goto out;
	for (size_t i = 0; i < cfg.shared.npids; i++) {
		err = collector__follow_pid(c, next_id++, cfg.shared.pids[i], "watch");
		if (err) {
			ret = err == -ENOENT || err == -ESRCH ? 1 : EXIT_INTERNAL;
			goto out;
		}
		/* The table keeps a front's own jobs after they end: their status is read then. */
		pid_jobs[i] = collector__find_job(c, next_id - 1);
	}
	for (size_t i = 0; i < cfg.shared.ncgroups; i++) {
		if (collector__follow_cgroup(c, next_id++, cfg.shared.cgroups[i], &watch_h, "watch"))
			goto out;
		cg_jobs[i] = collector__find_job(c, next_id - 1);
	}
	err = collector__attach_existing(c);
	if (err) {
		fprintf(stderr, "jobtrace: cannot find the running processes: %s\n",
			strerror(-err));
		goto out;
	}
	/* A --pid that ended while jobtrace attached has ended, as one gone before. */
	for (size_t i = 0; i < cfg.shared.npids; i++) {
		if (collector__check_attached(c, 1 + i, cfg.shared.pids[i]) == -ESRCH) {
			ret = 1;
			goto out;
		}
	}
	/* Which hierarchy makes the jobs, and why: what a user sees depends on it. */
	if (copts.grouping.why[0])
		fprintf(stderr, "jobtrace: %s (--group-by changes it)\n", copts.grouping.why);
	/* One line that says the attach is done: scripts and tests wait for it. */
	fprintf(stderr, "jobtrace: attached: watching %s%s; Ctrl-C to stop and report\n",
		cfg.all ? "every process of the host, grouped by " :
			  cfg.shared.npids + cfg.shared.ncgroups == 1 ? "1 job" : "the jobs",
		cfg.all ? collector__group_name(&copts.grouping, host_name, sizeof(host_name)) : "");
	err = collector__run(c);
	if (err) {
		fprintf(stderr, "jobtrace: the event loop failed: %s\n", strerror(-err));
		goto out;
	}
	collector__stats(c, &st);
	ret = watch_status(&cfg, pid_jobs, cg_jobs);
	/* As run: a report that cannot be written is said, and the jobs' status comes first. */
	if (st.sink_errors) {
		fprintf(stderr, "jobtrace: cannot write to %s: %s\n", st.first_sink_path,
			sink__strerror(st.first_sink_error));
		if (ret == 0)
			ret = EXIT_INTERNAL;
	}
out:
	collector__free(c);
	return ret;
}
