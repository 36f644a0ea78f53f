// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/cli.h"
#include "jobtrace/control.h"
#include "jobtrace/options.h"
#include "jobtrace/report.h"
#include "jobtrace/util.h"
#include "jobtrace/version.h"

#include "commands.h"

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
	"  history [--since T] [--json] DIR jobs and processes from what serve --history kept\n"
	"  report [--json] DIR [JOB]        a Slurm job from its steps' reports on every node\n"
	"  help [COMMAND]                   this text, or the options of COMMAND\n"
	"  version                          print the version\n"
	"\n"
	"Run 'jobtrace help COMMAND' (or 'jobtrace COMMAND --help') for the options\n"
	"of each.\n";

static const struct jt_front run_front = {
	.cmd = JT_CMD_RUN,
	.name = "run",
	.report_fd = STDERR_FILENO,
	.head = "Usage: jobtrace run [OPTIONS] [--] CMD [ARGS...]\n"
		"\n"
		"Runs CMD, follows every descendant from its fork (children that live a\n"
		"millisecond, orphans that double-fork away), and when the tree is gone\n"
		"writes a report to standard error. Exits with CMD's own status.\n",
	.titles = { [JT_SEC_MAIN] = "Options" },
	.foot = "\n"
		"Examples:\n"
		"  sudo jobtrace run -- make -j8\n"
		"  sudo jobtrace run --json -o report.json -- ./run-tests.sh\n"
		"  sudo jobtrace run --no-wait -- ./start-daemons.sh\n"
		"  sudo jobtrace run --svg build.svg --html build.html -- make -j8\n"
		"\n"
		"Exact with root (or CAP_BPF and CAP_PERFMON) and a kernel with BTF; without\n"
		"them it falls back and says so, and always runs the command.\n",
	/* Options end at the command's name, `--` or not. */
	.stop_at_operand = true,
};

static int dispatch(int argc, char **argv);

/* run's own options; the shared ones are in cfg->shared (options__set_shared). */
static int run_set(void *ctx, enum jt_opt_id id, const union jt_optval *v)
{
	struct run_config *cfg = ctx;

	switch (id) {
	case JT_OPT_NO_WAIT:
		cfg->wait_tree = false;
		break;
	case JT_OPT_WORKDIR:
		cfg->workdir = v->str;
		break;
	default:
		break;
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct run_config cfg = {
		.wait_tree = true,
		.shared.top = REPORT_DEFAULT_TOP,
	};
	int ret = options__parse(&run_front, argc, argv, &cfg.shared, run_set, &cfg);

	if (ret)
		return ret == OPTIONS_HELP_SHOWN ? 0 : ret;
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
	if (!strcmp(cmd, "history"))
		return history__main(argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return report_dir__main(argc - 1, argv + 1);
	/* jobtrace --help run is jobtrace help run: not the overview, with 'run' unread. */
	if ((!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) && argc > 2)
		return help_command(argc, argv);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		if (argc > 2)
			return cli__usage_error(NULL, "%s takes nothing after it, not '%s'", cmd,
						argv[2]);
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
