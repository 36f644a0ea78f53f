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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/apmon.h"
#include "jobtrace/cgroupfs.h"
#include "jobtrace/cli.h"
#include "jobtrace/collector.h"
#include "jobtrace/hostmode.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/report.h"
#include "jobtrace/sink.h"
#include "jobtrace/targets.h"
#include "jobtrace/util.h"
#include "jobtrace/watch.h"

#define MAX_TARGETS 64

static const char usage_watch[] =
	"Usage: jobtrace watch [--pid P]... [--cgroup PATH]... [--all] [OPTIONS]\n"
	"\n"
	"Attaches to jobs that are already running and follows every process they\n"
	"fork from then on; reports on each job when it ends (or at Ctrl-C, or after\n"
	"--duration). Processes found at the attach are counted as such: their CPU\n"
	"before it is not the job's.\n"
	"\n"
	"Jobs:\n"
	"  -p, --pid P           P and its descendants (repeatable)\n"
	"  -c, --cgroup PATH     every process in the cgroup at PATH and below,\n"
	"                        present and future (repeatable; one hierarchy)\n"
	"  -a, --all             host mode: every process of the host, in jobs\n"
	"  -g, --group-by G      host mode's jobs: cgroup (default: the hierarchy\n"
	"                        the host uses, else tree), cgroup2, cgroup1:CTRL\n"
	"                        (a v1 controller's hierarchy, e.g. cgroup1:cpu),\n"
	"                        or tree (each child of init or of a subreaper)\n"
	"\n"
	"Output:\n"
	"  -i, --interval S      every S seconds, a record per job and one for the host\n"
	"  -d, --duration S      stop after S seconds\n"
	"  -j, --json            JSON lines (types interval, host, job)\n"
	"  -o, --output FILE     write to FILE ('-': standard output, the default)\n"
	"  -e, --events FILE     a JSON line per process that ends ('-': standard output)\n"
	"      --svg FILE        a picture of each job when it ends: FILE for the first,\n"
	"                        FILE.N.svg (N = 2, 3, ...) for the next ones\n"
	"      --html FILE       a report page of each job, named the same way\n"
	"  -t, --top N           commands in each job's report (default 10)\n"
	"      --pss             also read PSS/USS of live members (walks page tables)\n"
	"      --ring-kb N       ring buffer size in KiB (default 1024)\n"
	"      --max-procs N     process map entries (default: kernel.pid_max)\n"
	"      --max-jobs N      job map entries (default 4096)\n"
	"      --apmon DEST      send ApMon datagrams to MonALISA at DEST, 'HOST[:PORT]\n"
	"                        [PASSWORD]' (port 8884): job and system parameters\n"
	"                        every interval, each job's when it ends (repeatable)\n"
	"      --apmon-cluster C the cluster of job parameters (default jobtrace_jobs)\n"
	"  -v, --verbose         show libbpf's messages, the verifier's log included\n"
	"      --mode M          event source: serve (a running serve's, see below),\n"
	"                        bpf, proc (no BPF: --pid only, can miss CPU) or auto\n"
	"                        (default: serve, else bpf, else proc)\n"
	"      --control PATH    serve's control socket (default $JOBTRACE_CONTROL,\n"
	"                        else /run/jobtrace/control.sock). Up to 4 --pid of\n"
	"                        your own are followed there with no privileges, unless\n"
	"                        an option needs watch's own records: --cgroup, --all,\n"
	"                        --interval, --events, --svg, --html, --pss, --apmon\n"
	"  -h, --help            this text\n"
	"\n"
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
	"exist; 2: a usage error; 125: jobtrace itself failed.\n"
	"\n"
	"Needs root, or CAP_BPF and CAP_PERFMON, and a kernel with BTF.\n";

struct watch_config {
	pid_t pids[MAX_TARGETS];
	size_t npids;
	const char *cgroups[MAX_TARGETS];
	size_t ncgroups;
	/* 'p' or 'c' per job in command-line order: the exit status takes the first failed. */
	char order[2 * MAX_TARGETS];
	bool all;
	const char *group_by;
	double interval_s, duration_s;
	bool json, pss;
	const char *output, *events;
	const char *svg, *html;
	size_t top;
	const char *mode; /* --mode serve|bpf|proc|auto */
	const char *control; /* --control PATH */
	struct lineage_opts lineage;
	struct apmon_opts apmon;
};

/* 0: go on; EXIT_USAGE after a message; WATCH_HELP_SHOWN: --help was printed, exit 0. */
#define WATCH_HELP_SHOWN (-1)
static int parse_args(int argc, char **argv, struct watch_config *cfg)
{
	enum { OPT_RING_KB = 256, OPT_MAX_PROCS, OPT_MAX_JOBS, OPT_PSS, OPT_MODE, OPT_SVG, OPT_HTML,
	       OPT_APMON, OPT_APMON_CLUSTER, OPT_CONTROL };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "group-by", required_argument, NULL, 'g' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "events", required_argument, NULL, 'e' },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "top", required_argument, NULL, 't' },
		{ "pss", no_argument, NULL, OPT_PSS },
		{ "ring-kb", required_argument, NULL, OPT_RING_KB },
		{ "max-procs", required_argument, NULL, OPT_MAX_PROCS },
		{ "max-jobs", required_argument, NULL, OPT_MAX_JOBS },
		{ "apmon", required_argument, NULL, OPT_APMON },
		{ "apmon-cluster", required_argument, NULL, OPT_APMON_CLUSTER },
		{ "verbose", no_argument, NULL, 'v' },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	unsigned long v;
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":p:c:ag:i:d:jo:e:t:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (cli__parse_uint(optarg, 1, 1U << 22, &v))
				return cli__usage_error("watch", "--pid takes a process id, not '%s'",
							optarg);
			if (cfg->npids == MAX_TARGETS)
				return cli__usage_error("watch", "at most %d --pid", MAX_TARGETS);
			cfg->order[cfg->npids + cfg->ncgroups] = 'p';
			cfg->pids[cfg->npids++] = (pid_t)v;
			break;
		case 'c':
			if (cfg->ncgroups == MAX_TARGETS)
				return cli__usage_error("watch", "at most %d --cgroup", MAX_TARGETS);
			cfg->order[cfg->npids + cfg->ncgroups] = 'c';
			cfg->cgroups[cfg->ncgroups++] = optarg;
			break;
		case 'a':
			cfg->all = true;
			break;
		case 'g':
			if (hostmode__check_grouping("watch", optarg))
				return EXIT_USAGE;
			cfg->group_by = optarg;
			break;
		case 'i':
			if (cli__parse_seconds(optarg, 0.1, 86400, &cfg->interval_s))
				return cli__usage_error("watch", "--interval takes seconds from 0.1 "
								 "to 86400, not '%s'",
							optarg);
			break;
		case 'd':
			if (cli__parse_seconds(optarg, 0.1, 31 * 86400.0, &cfg->duration_s))
				return cli__usage_error("watch", "--duration takes seconds, not '%s'",
							optarg);
			break;
		case 'j':
			cfg->json = true;
			break;
		case 'o':
			cfg->output = optarg;
			break;
		case 'e':
			cfg->events = optarg;
			break;
		case OPT_SVG:
			cfg->svg = optarg;
			break;
		case OPT_HTML:
			cfg->html = optarg;
			break;
		case 't':
			if (cli__parse_uint(optarg, 0, 100000, &v))
				return cli__usage_error("watch", "--top takes a number from 0 to "
								 "100000, not '%s'",
							optarg);
			cfg->top = v;
			break;
		case OPT_PSS:
			cfg->pss = true;
			break;
		case OPT_RING_KB:
			if (cli__kernel_limit("watch", "ring-kb", optarg, &cfg->lineage))
				return EXIT_USAGE;
			break;
		case OPT_MAX_PROCS:
			if (cli__kernel_limit("watch", "max-procs", optarg, &cfg->lineage))
				return EXIT_USAGE;
			break;
		case OPT_MAX_JOBS:
			if (cli__kernel_limit("watch", "max-jobs", optarg, &cfg->lineage))
				return EXIT_USAGE;
			break;
		case OPT_APMON:
			if (apmon__add_dest_arg(&cfg->apmon, "watch", optarg))
				return EXIT_USAGE;
			break;
		case OPT_APMON_CLUSTER:
			cfg->apmon.cluster = optarg;
			break;
		case 'v':
			cfg->lineage.verbose = true;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "serve") && strcmp(optarg, "bpf") &&
			    strcmp(optarg, "proc") && strcmp(optarg, "auto"))
				return cli__usage_error("watch", "--mode takes serve, bpf, proc or "
								 "auto, not '%s'",
							optarg);
			cfg->mode = optarg;
			break;
		case OPT_CONTROL:
			cfg->control = optarg;
			break;
		case 'h':
			fputs(usage_watch, stdout);
			return WATCH_HELP_SHOWN;
		case ':':
			return cli__usage_error("watch", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli__usage_error("watch", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli__usage_error("watch", "unexpected argument '%s'", argv[optind]);
	if (!cfg->all && !cfg->npids && !cfg->ncgroups)
		return cli__usage_error("watch", "%s", "nothing to watch: give --pid, --cgroup or --all");
	if (cfg->all && (cfg->npids || cfg->ncgroups))
		return cli__usage_error("watch", "%s", "--all watches every process already: "
						       "it takes no --pid or --cgroup");
	if (cfg->group_by && !cfg->all)
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

	for (size_t i = 0; i < cfg->npids + cfg->ncgroups; i++) {
		const struct cjob *j = cfg->order[i] == 'p' ? pid_jobs[p++] : cg_jobs[c++];
		int st = j ? job__status(&j->job) : 0;

		if (st)
			return st;
	}
	return 0;
}

int watch__main(int argc, char **argv)
{
	struct watch_config cfg = { .top = REPORT_DEFAULT_TOP };
	struct collector_opts copts = {};
	struct cgroup_hier host_h, watch_h = { .ssid = -1 };
	struct cjob *pid_jobs[MAX_TARGETS] = {}, *cg_jobs[MAX_TARGETS] = {};
	struct collector_stats st;
	struct collector *c = NULL;
	char host_name[64] = "", why[256] = "";
	int ret, err;
	__u64 next_id = 1;

	ret = parse_args(argc, argv, &cfg);
	if (ret)
		return ret == WATCH_HELP_SHOWN ? 0 : ret;
	/* A serve on the host follows --pid jobs with no privileges and no load of ours. */
	if (!watch__via_serve(&(struct watch_remote){
		    .pids = cfg.pids, .npids = cfg.npids, .others = cfg.all || cfg.ncgroups,
		    .interval_s = cfg.interval_s, .events = cfg.events, .svg = cfg.svg,
		    .html = cfg.html, .pss = cfg.pss, .apmon = cfg.apmon.n > 0,
		    .duration_s = cfg.duration_s, .json = cfg.json, .output = cfg.output,
		    .top = cfg.top, .mode = cfg.mode, .control = cfg.control,
		    .verbose = cfg.lineage.verbose }, &ret))
		return ret;
	copts.source = cfg.lineage;
	copts.source.attach = true;
	/* --cgroup paths are checked, and their hierarchy known, before anything loads. */
	if (targets__check_cgroups("watch", cfg.cgroups, cfg.ncgroups, &watch_h, &copts.source))
		return EXIT_USAGE;
	if (cfg.all) {
		err = hostmode__grouping(cfg.group_by, &host_h, &copts.source, why, sizeof(why));
		if (err)
			return EXIT_USAGE;
		if (copts.source.group == JT_GROUP_CGROUP) {
			copts.hier = &host_h;
			cgroupfs__name(&host_h, host_name, sizeof(host_name));
		}
	}
	copts.interval_s = cfg.interval_s;
	copts.duration_s = cfg.duration_s;
	copts.pss = cfg.pss;
	/* The picture is drawn from the process records. */
	copts.events = cfg.events != NULL || cfg.svg || cfg.html;
	copts.host_records = cfg.interval_s > 0;
	copts.stop_when_jobs_end = !cfg.all;
	collector__set_mode(&copts, cfg.mode);
	/* Without BPF only process trees can be followed: --cgroup and --all would fail later. */
	if ((cfg.all || cfg.ncgroups) && cfg.mode && !strcmp(cfg.mode, "proc"))
		return cli__usage_error("watch", "%s", "--mode proc follows --pid only: "
						       "--cgroup and --all need BPF");
	if (cfg.all || cfg.ncgroups)
		copts.fallback_proc = false;

	ret = EXIT_INTERNAL;
	c = collector__new(&copts);
	if (!c)
		return EXIT_INTERNAL;
	if (outputs__add(c, &(struct outputs){
		    .output = cfg.output,
		    .default_f = stdout,
		    .default_name = "standard output",
		    .json = cfg.json,
		    .json_lines = true,
		    .compact = cfg.all,
		    .events = cfg.events,
		    .top = cfg.top,
		    .svg = cfg.svg,
		    .html = cfg.html,
		    .apmon = &cfg.apmon,
	    }))
		goto out;
	for (size_t i = 0; i < cfg.npids; i++) {
		err = collector__follow_pid(c, next_id++, cfg.pids[i], "watch");
		if (err) {
			ret = err == -ENOENT || err == -ESRCH ? 1 : EXIT_INTERNAL;
			goto out;
		}
		/* The table keeps a front's own jobs after they end: their status is read then. */
		pid_jobs[i] = collector__find_job(c, next_id - 1);
	}
	for (size_t i = 0; i < cfg.ncgroups; i++) {
		if (collector__follow_cgroup(c, next_id++, cfg.cgroups[i], &watch_h, "watch"))
			goto out;
		cg_jobs[i] = collector__find_job(c, next_id - 1);
	}
	err = collector__attach_existing(c);
	if (err) {
		fprintf(stderr, "jobtrace: cannot find the running processes: %s\n",
			strerror(-err));
		goto out;
	}
	/* Which hierarchy makes the jobs, and why: what a user sees depends on it. */
	if (why[0])
		fprintf(stderr, "jobtrace: %s (--group-by changes it)\n", why);
	/* One line that says the attach is done: scripts and tests wait for it. */
	fprintf(stderr, "jobtrace: attached: watching %s%s; Ctrl-C to stop and report\n",
		cfg.all ? "every process of the host, grouped by " :
			  cfg.npids + cfg.ncgroups == 1 ? "1 job" : "the jobs",
		cfg.all ? (copts.source.group == JT_GROUP_TREE ? "tree" : host_name) : "");
	err = collector__run(c);
	if (err) {
		fprintf(stderr, "jobtrace: the event loop failed: %s\n", strerror(-err));
		goto out;
	}
	collector__stats(c, &st);
	ret = watch_status(&cfg, pid_jobs, cg_jobs);
	/* As run: a report that cannot be written is said, and the jobs' status comes first. */
	if (st.sink_errors) {
		fprintf(stderr, "jobtrace: cannot write the report: %s\n",
			strerror(-st.first_sink_error));
		if (ret == 0)
			ret = EXIT_INTERNAL;
	}
out:
	collector__free(c);
	return ret;
}
