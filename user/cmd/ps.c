// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `jobtrace ps`: every process of the host, from one task-iterator read. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/ps.h"
#include "jobtrace/ps_sample.h"
#include "jobtrace/util.h"


static const char usage[] =
	"Usage: jobtrace ps [OPTIONS]\n"
	"\n"
	"Every process of the host, read in one pass by a BPF task iterator\n"
	"(or by walking /proc where BPF is not available).\n"
	"\n"
	"Options:\n"
	"  -j, --json            one JSON array of processes\n"
	"  -t, --tree            show parents above their children\n"
	"  -p, --pid P           only P and its descendants\n"
	"  -o, --format COLS     the table's columns, in order, as ps -o takes them:\n"
	"                        pid, ppid, user (the real uid's name), uid, s, thr,\n"
	"                        cpu (seconds), rss, vsz, start (HH:MM today, Mon DD\n"
	"                        this year, else the year), comm, args (the command\n"
	"                        line); repeatable. Default: pid,ppid,s,thr,cpu,rss,comm.\n"
	"                        JSON carries every field whatever -o says\n"
	"      --proc            read /proc instead of using the task iterator\n"
	"      --no-pin          load the iterator afresh; do not use or leave a pin in\n"
	"                        /sys/fs/bpf/jobtrace\n"
	"      --proc-root DIR   walk DIR instead of /proc (implies --proc)\n"
	"  -v, --verbose         say which source was used and how long it took\n"
	"  -h, --help            this text\n"
	"\n"
	"Examples:\n"
	"  sudo jobtrace ps --tree\n"
	"  sudo jobtrace ps -o pid,user,start,args\n"
	"  sudo jobtrace ps --json --pid 1234\n";

/* After the list, as a footnote: which processes did not come from the iterator. */
static void write_fill_note(const struct ps_snapshot *s, bool verbose, bool text)
{
	if (s->filled_from_proc && (text || verbose)) {
		fprintf(stderr, "jobtrace: %zu process%s the task iterator did not show, read from "
				"/proc:",
			s->filled_from_proc, s->filled_from_proc == 1 ? "" : "es");
		for (size_t i = 0, n = 0; i < s->n && n < 10; i++) {
			if (s->procs[i].from_proc) {
				fprintf(stderr, " %d", s->procs[i].pid);
				n++;
			}
		}
		fputs(s->filled_from_proc > 10 ? " ...\n" : "\n", stderr);
	}
	if (s->missing_from_proc)
		fprintf(stderr, "jobtrace: %zu process%s in /proc neither the task iterator nor "
				"/proc could read: not listed\n", s->missing_from_proc,
			s->missing_from_proc == 1 ? "" : "es");
}

int ps__main(int argc, char **argv)
{
	enum { OPT_PROC = 256, OPT_PROC_ROOT, OPT_NO_PIN };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "tree", no_argument, NULL, 't' },
		{ "pid", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'o' },
		{ "proc", no_argument, NULL, OPT_PROC },
		{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
		{ "no-pin", no_argument, NULL, OPT_NO_PIN },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct ps_options o = {};
	struct ps_sample_opts so;
	const char *proc_root = "/proc";
	struct ps_snapshot s = {};
	bool use_proc = false, verbose = false, use_pin = true, iterated;
	const char *bad;
	size_t bad_len;
	char *end;
	long v;
	int opt, err;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":jtp:o:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			o.json = true;
			break;
		case 't':
			o.tree = true;
			break;
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v <= 0 || v > 0x3fffffff) {
				fprintf(stderr, "jobtrace: --pid takes a process id, not '%s'\n"
						"Try 'jobtrace ps --help'.\n", optarg);
				return EXIT_USAGE;
			}
			o.pid = (pid_t)v;
			break;
		case 'o':
			err = ps__add_columns(&o, optarg, &bad, &bad_len);
			if (err == -E2BIG) {
				fprintf(stderr, "jobtrace: -o: at most %d columns\nTry 'jobtrace ps "
						"--help'.\n", PS_MAX_COLS);
				return EXIT_USAGE;
			}
			/* An empty list is a mistake too, never the default table in disguise. */
			if (err || !o.ncols) {
				if (err)
					fprintf(stderr, "jobtrace: -o: no column '%.*s'; the columns "
							"are ", (int)bad_len, bad);
				else
					fputs("jobtrace: -o takes a list of columns: ", stderr);
				ps__column_names(stderr);
				fputs("\nTry 'jobtrace ps --help'.\n", stderr);
				return EXIT_USAGE;
			}
			break;
		case OPT_PROC:
			use_proc = true;
			break;
		case OPT_PROC_ROOT:
			proc_root = optarg;
			use_proc = true;
			break;
		case OPT_NO_PIN:
			use_pin = false;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "jobtrace: %s '%s'\nTry 'jobtrace ps --help'.\n",
				opt == ':' ? "option needs a value:" : "unknown option",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jobtrace: ps takes no arguments ('%s')\nTry 'jobtrace ps --help'.\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	o.boot_epoch_ns = util__realtime_ns() - util__boottime_ns();

	so = (struct ps_sample_opts){ .proc_root = proc_root, .use_proc = use_proc,
				      .use_pin = use_pin, .verbose = verbose,
				      .users = o.json || ps__wants(&o, PS_COL_USER),
				      .args = o.json || ps__wants(&o, PS_COL_ARGS) };
	if (ps_sample__take(&so, &s, &iterated))
		return 1;
	err = ps_sample__extras(&so, &s, iterated);
	if (!err)
		err = ps__write(stdout, &s, &o);
	if (!err && iterated) {
		/* The note follows the list it is about. */
		fflush(stdout);
		write_fill_note(&s, verbose, !o.json);
	}
	if (err == -ESRCH)
		fprintf(stderr, "jobtrace: no process with pid %d\n", o.pid);
	else if (err)
		fprintf(stderr, "jobtrace: cannot write the process list: %s\n", strerror(-err));
	snapshot__free(&s);
	return err ? 1 : 0;
}
