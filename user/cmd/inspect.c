// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace inspect PID...`: one process, every fact /proc has about it.
 * The options and the loop over pids; reading is user/collect/inspect_sample.c,
 * writing user/out/inspect_out.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/inspect_proc.h"
#include "jobtrace/options.h"
#include "jobtrace/targets.h"
#include "jobtrace/util.h"

#include "commands.h"


static const char usage[] =
	"Usage: jobtrace inspect [OPTIONS] PID...\n"
	"\n"
	"Everything /proc tells about each PID: identity, user and group ids, CPU\n"
	"times and rate, memory (RSS, PSS, USS, swap), I/O, open files, sockets,\n"
	"threads, children, limits, affinity, I/O priority and cgroup.\n"
	"\n"
	"Options:\n"
	"  -j, --json            one JSON array, an object per PID\n"
	"  -i, --interval S      measure the CPU rate over S seconds (default: not measured)\n"
	"  -m, --maps            memory summed per mapped file (reads smaps: walks page tables)\n"
	"      --environ         the environment (it may hold secrets)\n"
	"      --proc-root DIR   read DIR instead of /proc (no syscalls about the pid)\n"
	"  -h, --help            this text\n"
	"\n"
	"Examples:\n"
	"  jobtrace inspect $$\n"
	"  sudo jobtrace inspect --json --maps -i 0.5 1234 1235\n"
	"\n"
	"Exits 1 when a PID is gone, cannot be read or is a thread's id (the process\n"
	"it belongs to is named); the others are still shown.\n";

/* The shared parsers: a number here reads as it does to every other command. */
static int parse_interval(const char *arg, unsigned int *ms)
{
	double v;

	if (cli__parse_seconds(arg, 0, 3600, &v) || !(v > 0))
		return -EINVAL;
	*ms = (unsigned int)(v * 1000 + 0.5);
	if (*ms == 0)
		*ms = 1;
	return 0;
}

static int parse_pid(const char *arg, int *pid)
{
	unsigned long v;

	if (cli__parse_uint(arg, 1, 0x3fffffff, &v))
		return -EINVAL;
	*pid = (int)v;
	return 0;
}

int inspect__main(int argc, char **argv)
{
	enum { OPT_PROC_ROOT = 256, OPT_ENVIRON };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "maps", no_argument, NULL, 'm' },
		{ "environ", no_argument, NULL, OPT_ENVIRON },
		{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct inspect_options o = { .live = true };
	const char *proc_root = "/proc";
	struct json_writer w;
	int opt, proc_fd, status = 0, pid = 0;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":ji:mh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			o.json = true;
			break;
		case 'i':
			if (parse_interval(optarg, &o.interval_ms)) {
				fprintf(stderr, "jobtrace: --interval takes seconds (0 < S <= 3600), "
						"not '%s'\nTry 'jobtrace inspect --help'.\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			o.maps = true;
			break;
		case OPT_ENVIRON:
			o.environ = true;
			break;
		case OPT_PROC_ROOT:
			proc_root = optarg;
			o.live = false;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return options__bad("inspect", opt, argv);
		}
	}
	if (optind == argc) {
		fprintf(stderr, "jobtrace: inspect needs a PID\nTry 'jobtrace inspect --help'.\n");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		if (parse_pid(argv[i], &pid)) {
			fprintf(stderr, "jobtrace: '%s' is not a process id\n"
					"Try 'jobtrace inspect --help'.\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	proc_fd = util__open_dir(proc_root);
	if (proc_fd < 0) {
		fprintf(stderr, "jobtrace: cannot open %s: %s\n", proc_root, strerror(-proc_fd));
		return 1;
	}
	inspect__read_host(proc_fd, &o);

	if (o.json) {
		json__init(&w, stdout, false);
		json__begin_array(&w, NULL);
	}
	for (int i = optind; i < argc; i++) {
		struct inspect_proc p;
		pid_t tgid;
		int err;

		parse_pid(argv[i], &pid);
		/*
		 * /proc/TID reads as a process would: its own pid beside the
		 * process's memory, files and children. Said as a gone pid is,
		 * before an --interval's wait; the tree's Tgid with --proc-root.
		 */
		tgid = targets__process_of(proc_fd, pid);
		if (tgid) {
			fprintf(stderr, "jobtrace: pid %d is a thread of process %d: inspect %d\n",
				pid, (int)tgid, (int)tgid);
			status = 1;
			continue;
		}
		err = inspect__collect(proc_fd, pid, &o, &p);
		if (err) {
			fprintf(stderr, "jobtrace: %s %d: %s\n",
				err == -ESRCH ? "no process with pid" : "cannot read process", pid,
				err == -ESRCH ? "it does not exist or has exited" : strerror(-err));
			status = 1;
		} else if (o.json) {
			inspect__write_json(&w, &p, &o);
		} else {
			if (i > optind)
				fputc('\n', stdout);
			inspect__write_text(stdout, &p, &o);
		}
		inspect_proc__free(&p);
	}
	if (o.json) {
		json__end_array(&w);
		if (json__finish(&w))
			status = 1;
	}
	close(proc_fd);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "jobtrace: cannot write to standard output\n");
		status = 1;
	}
	return status;
}
