// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `jobtrace history DIR`: jobs and processes from what serve --history kept. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/history.h"

#include "commands.h"

static const char usage[] =
	"Usage: jobtrace history [OPTIONS] DIR\n"
	"\n"
	"Jobs, or processes, from the history serve --history DIR kept: every\n"
	"file of DIR, plain (.jsonl) or compressed (.jsonl.zst), oldest first.\n"
	"\n"
	"Options:\n"
	"      --since TIME   from TIME: epoch seconds, -N[smhd] before now (-1h), or a\n"
	"                     local time, 'YYYY-MM-DD HH:MM[:SS]' or 'HH:MM[:SS]' (today)\n"
	"      --until TIME   up to TIME, the same way (default: no end, every line kept,\n"
	"                     one stamped past now too; --until now leaves those out)\n"
	"      --job KEY      the job KEY (as the records' \"job\" has it)\n"
	"      --user NAME    processes of the user NAME (or uid)\n"
	"      --command COMM processes named COMM\n"
	"      --failed       processes that failed: exit code not 0, or a signal\n"
	"      --oom          processes the OOM killer killed\n"
	"      --processes    a line per process that ended, not per job\n"
	"  -j, --json         the JSON lines as stored (schema/), jobs and processes\n"
	"      --svg FILE     with --job: the job's picture, as run --svg draws it\n"
	"      --html FILE    with --job: its report page, as run --html writes it\n"
	"  -h, --help         this text\n"
	"\n"
	"With --user, --command, --failed or --oom, a job is listed when one of its\n"
	"processes in the range matches. A job still running when serve stopped has a\n"
	"job line from that stop, and another when it ends. A picture is written at\n"
	"each job line of the job: FILE for the first, FILE.2.svg for the next.\n"
	"\n"
	"Examples:\n"
	"  jobtrace history --since -1h /var/lib/jobtrace/history\n"
	"  jobtrace history --failed --processes /var/lib/jobtrace/history\n"
	"  jobtrace history --json --oom /var/lib/jobtrace/history | jq .comm\n"
	"  jobtrace history --job cgroup:/slurm/job42 --svg job42.svg /var/lib/jobtrace/history\n";

int history__main(int argc, char **argv)
{
	/* Long names alone: -s, -u and -p mean other things in other commands. */
	enum { OPT_JOB = 256, OPT_USER, OPT_COMMAND, OPT_FAILED, OPT_OOM, OPT_SINCE, OPT_UNTIL,
	       OPT_PROCESSES, OPT_SVG, OPT_HTML };
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "job", required_argument, NULL, OPT_JOB },
		{ "user", required_argument, NULL, OPT_USER },
		{ "command", required_argument, NULL, OPT_COMMAND },
		{ "failed", no_argument, NULL, OPT_FAILED },
		{ "oom", no_argument, NULL, OPT_OOM },
		{ "processes", no_argument, NULL, OPT_PROCESSES },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct history_query q = {};
	const char *svg = NULL, *html = NULL;
	int opt, dirfd, err;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SINCE:
		case OPT_UNTIL:
			if (history__parse_time(optarg, opt == OPT_SINCE ? &q.since : &q.until))
				return cli__usage_error("history",
							"--%s takes epoch seconds, 'now', -N[smhd] or "
							"a date and time, not '%s'",
							opt == OPT_SINCE ? "since" : "until",
							optarg);
			break;
		case OPT_JOB:
			q.job = optarg;
			break;
		case OPT_USER:
			q.user = optarg;
			break;
		case OPT_COMMAND:
			q.command = optarg;
			break;
		case OPT_FAILED:
			q.failed = true;
			break;
		case OPT_OOM:
			q.oom = true;
			break;
		case OPT_PROCESSES:
			q.processes = true;
			break;
		case 'j':
			q.json = true;
			break;
		case OPT_SVG:
		case OPT_HTML:
			/* "" names no file: a mistake, not a failure of jobtrace's. */
			if (!*optarg)
				return cli__usage_error("history", "--%s needs a path, not ''",
							opt == OPT_SVG ? "svg" : "html");
			*(opt == OPT_SVG ? &svg : &html) = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return cli__usage_error("history", "%s '%s'",
						opt == ':' ? "option needs a value:" :
							     "unknown option",
						argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli__usage_error("history", "%s", "history takes one directory, serve's --history DIR");
	if (svg && html && cli__same_file(svg, html))
		return cli__usage_error("history", "--svg and --html name one file, %s: each "
						   "would overwrite the other", html);
	if ((svg || html) && !q.job)
		return cli__usage_error("history", "%s", "--svg and --html draw one job: name it with --job");
	dirfd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fprintf(stderr, "jobtrace: cannot open %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	if (svg || html)
		err = history__pictures(dirfd, argv[optind], &q, svg, html);
	else
		err = history__query(dirfd, argv[optind], &q, stdout);
	close(dirfd);
	if (err || fflush(stdout))
		return 1;
	return 0;
}
