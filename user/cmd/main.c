// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/cli.h"
#include "jobtrace/connections.h"
#include "jobtrace/control.h"
#include "jobtrace/inspect.h"
#include "jobtrace/ps.h"
#include "jobtrace/report.h"
#include "jobtrace/run.h"
#include "jobtrace/system.h"
#include "jobtrace/util.h"
#include "jobtrace/serve.h"
#include "jobtrace/top.h"
#include "jobtrace/tail.h"
#include "jobtrace/version.h"
#include "jobtrace/watch.h"

static const char usage_main[] =
	"Usage: jobtrace COMMAND [OPTIONS]\n"
	"\n"
	"Follows every process of a job through the kernel (eBPF), short-lived ones too.\n"
	"\n"
	"Commands:\n"
	"  run [OPTIONS] -- CMD [ARGS...]   run CMD as a job and report on its whole tree\n"
	"  watch [--pid P|--cgroup C|--all] attach to running jobs, or every job of the host\n"
	"  serve [OPTIONS]                  every job of the host, published to other agents\n"
	"  top [--pid P|--cgroup C] [-b]    the host's jobs on one screen, refreshed\n"
	"  tail [--json] [--stream PATH]    print serve's stream as it comes\n"
	"  ps [--json] [--tree] [--pid P]   every process of the host, in one kernel read\n"
	"  system [--json] [--interval S]   the host: CPU, memory, load, network, disks, sensors\n"
	"  inspect [--json] PID...          one process in full: ids, CPU, memory, I/O, files,\n"
	"                                   sockets, threads, limits (psutil's Process)\n"
	"  connections [--json] [--kind K]  every socket and the processes holding it\n"
	"  help [COMMAND]                   this text, or the options of COMMAND\n"
	"  version                          print the version\n"
	"\n"
	"Run 'jobtrace help COMMAND' (or 'jobtrace COMMAND --help') for the options\n"
	"of each.\n";

static const char usage_run[] =
	"Usage: jobtrace run [OPTIONS] [--] CMD [ARGS...]\n"
	"\n"
	"Runs CMD, follows every descendant from its fork (children that live a\n"
	"millisecond, orphans that double-fork away), and when the tree is gone\n"
	"writes a report to standard error. Exits with CMD's own status.\n"
	"\n"
	"Options:\n"
	"  -j, --json            write the report as one JSON object\n"
	"  -o, --output FILE     write the report to FILE instead of standard error\n"
	"  -n, --no-wait         report when CMD exits; do not wait for descendants\n"
	"                        that outlive it\n"
	"  -t, --top N           show the N busiest commands (default 10, 0 for none)\n"
	"  -i, --interval S      every S seconds, a line with the live members' CPU\n"
	"                        now, memory and open files (ApMon's job parameters)\n"
	"      --pss             also read PSS/USS of live members (walks page tables)\n"
	"  -w, --workdir DIR     report DIR's size and its filesystem's free space\n"
	"  -e, --events FILE     a JSON line per process that ends, with its arguments\n"
	"                        and status ('-': standard output)\n"
	"      --svg FILE        a picture of the job: processes alive over time by\n"
	"                        command, CPU by lineage (an icicle), failures marked\n"
	"      --html FILE       a report page: the picture, totals, top commands,\n"
	"                        failed and longest processes\n"
	"      --ring-kb N       ring buffer size in KiB (default 1024)\n"
	"      --max-procs N     process map entries (default: kernel.pid_max)\n"
	"      --apmon DEST      send ApMon datagrams to MonALISA at DEST, 'HOST[:PORT]\n"
	"                        [PASSWORD]' (port 8884): job parameters at the end,\n"
	"                        and with -i every interval, with the system's\n"
	"                        (repeatable)\n"
	"      --apmon-cluster C the cluster of job parameters (default jobtrace_jobs)\n"
	"  -v, --verbose         show libbpf's messages, the verifier's log included\n"
	"      --mode M          event source: serve (a running jobtrace serve --control\n"
	"                        counts the job: any user, exact), bpf, proc (netlink\n"
	"                        proc connector and /proc: no BPF, can miss CPU), rusage\n"
	"                        (neither: the job's status and its tree's CPU, process\n"
	"                        counts unknown) or auto (default: serve, else bpf, else\n"
	"                        proc, else rusage, said on standard error and in the\n"
	"                        report)\n"
	"      --control PATH    serve's control socket (default $JOBTRACE_CONTROL, else\n"
	"                        " CONTROL_DEFAULT_PATH ")\n"
	"  -h, --help            this text\n"
	"\n"
	"Examples:\n"
	"  sudo jobtrace run -- make -j8\n"
	"  sudo jobtrace run --json -o report.json -- ./run-tests.sh\n"
	"  sudo jobtrace run --no-wait -- ./start-daemons.sh\n"
	"  sudo jobtrace run --svg build.svg --html build.html -- make -j8\n"
	"\n"
	"Exact with root (or CAP_BPF and CAP_PERFMON) and a kernel with BTF; without\n"
	"them it falls back and says so, and always runs the command.\n";

static int dispatch(int argc, char **argv);

static int cmd_run(int argc, char **argv)
{
	enum { OPT_RING_KB = 256, OPT_MAX_PROCS, OPT_PSS, OPT_MAX_JOBS, OPT_MODE, OPT_SVG, OPT_HTML,
	       OPT_APMON, OPT_APMON_CLUSTER, OPT_CONTROL };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "apmon", required_argument, NULL, OPT_APMON },
		{ "apmon-cluster", required_argument, NULL, OPT_APMON_CLUSTER },
		{ "output", required_argument, NULL, 'o' },
		{ "no-wait", no_argument, NULL, 'n' },
		{ "top", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "pss", no_argument, NULL, OPT_PSS },
		{ "workdir", required_argument, NULL, 'w' },
		{ "events", required_argument, NULL, 'e' },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "ring-kb", required_argument, NULL, OPT_RING_KB },
		{ "max-procs", required_argument, NULL, OPT_MAX_PROCS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct run_config cfg = {
		.wait_tree = true,
		.top = REPORT_DEFAULT_TOP,
	};
	unsigned long v;
	int opt;

	opterr = 0;
	optind = 1;
	/* '+': options end at the command's name, `--` or not. */
	while ((opt = getopt_long(argc, argv, "+:jo:nt:i:w:e:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			cfg.json = true;
			break;
		case 'o':
			cfg.output = optarg;
			break;
		case 'n':
			cfg.wait_tree = false;
			break;
		case 't':
			if (cli__parse_uint(optarg, 0, 100000, &v))
				return cli__usage_error("run", "--top takes a number from 0 to 100000, not '%s'", optarg);
			cfg.top = v;
			break;
		case 'i':
			if (cli__parse_seconds(optarg, 0.1, 86400, &cfg.interval_s))
				return cli__usage_error("run", "--interval takes seconds from 0.1 to 86400, not '%s'", optarg);
			break;
		case OPT_PSS:
			cfg.pss = true;
			break;
		case 'w':
			cfg.workdir = optarg;
			break;
		case 'e':
			cfg.events = optarg;
			break;
		case OPT_SVG:
			cfg.svg = optarg;
			break;
		case OPT_HTML:
			cfg.html = optarg;
			break;
		case OPT_RING_KB:
			if (cli__kernel_limit("run", "ring-kb", optarg, &cfg.lineage))
				return EXIT_USAGE;
			break;
		case OPT_MAX_PROCS:
			if (cli__kernel_limit("run", "max-procs", optarg, &cfg.lineage))
				return EXIT_USAGE;
			break;
		case OPT_APMON:
			if (apmon__add_dest_arg(&cfg.apmon, "run", optarg))
				return EXIT_USAGE;
			break;
		case OPT_APMON_CLUSTER:
			cfg.apmon.cluster = optarg;
			break;
		case 'v':
			cfg.lineage.verbose = true;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "bpf") && strcmp(optarg, "proc") && strcmp(optarg, "rusage") &&
			    strcmp(optarg, "auto") && strcmp(optarg, "serve"))
				return cli__usage_error("run", "--mode takes serve, bpf, proc, rusage or auto, not '%s'", optarg);
			cfg.mode = optarg;
			break;
		case OPT_CONTROL:
			cfg.control = optarg;
			break;
		case 'h':
			fputs(usage_run, stdout);
			return 0;
		case ':':
			return cli__usage_error("run", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli__usage_error("run", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli__usage_error("run", "%s", "no command given: jobtrace run -- CMD [ARGS...]");
	cfg.argv = &argv[optind];
	cfg.argc = argc - optind;
	return run__main(&cfg);
}

/* `help CMD` is `CMD --help`, so every command dispatch() knows has it. */
static int help_command(int argc, char **argv)
{
	static const char *const main_names[] = { "help", "--help", "-h", "version", "--version" };
	char *args[] = { argv[0], argv[2], "--help", NULL };

	if (argc > 3)
		return cli__usage_error(NULL, "help takes one command, not '%s'", argv[3]);
	for (size_t i = 0; i < sizeof(main_names) / sizeof(main_names[0]); i++) {
		if (!strcmp(argv[2], main_names[i])) {
			fputs(usage_main, stdout);
			return 0;
		}
	}
	if (argv[2][0] == '-')
		return cli__usage_error(NULL, "unknown command '%s'", argv[2]);
	return dispatch(3, args);
}

static int dispatch(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return cli__usage_error(NULL, "%s", "no command given");
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "watch"))
		return watch__main(argc - 1, argv + 1);
	if (!strcmp(cmd, "serve"))
		return serve__main(argc - 1, argv + 1);
	if (!strcmp(cmd, "top"))
		return top__main(argc - 1, argv + 1);
	if (!strcmp(cmd, "tail"))
		return tail__main(argc - 1, argv + 1);
	if (!strcmp(cmd, "ps"))
		return ps__main(argc - 1, argv + 1);
	if (!strcmp(cmd, "system"))
		return system__main(argc - 1, argv + 1);
	if (!strcmp(cmd, "inspect"))
		return inspect__main(argc - 1, argv + 1);
	if (!strcmp(cmd, "connections"))
		return connections__main(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") && argc > 2)
		return help_command(argc, argv);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("jobtrace %s\n", JOBTRACE_VERSION);
		return 0;
	}
	return cli__usage_error(NULL, "unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
	int err = util__guard_stdout();

	if (err) {
		fprintf(stderr, "jobtrace: cannot set up standard output: %s\n", strerror(-err));
		return UTIL_EXIT_FAILURE;
	}
	return util__close_stdout(dispatch(argc, argv));
}
