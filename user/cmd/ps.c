// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `jobtrace ps`: every process of the host, from one task-iterator read. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/options.h"
#include "jobtrace/ps.h"
#include "jobtrace/util.h"


static const char usage[] =
	"Usage: jobtrace ps [OPTIONS]\n"
	"\n"
	"Every process of the host, read in one pass by a BPF task iterator\n"
	"(or by walking /proc where BPF is not available).\n"
	"\n"
	"Options:\n"
	"  -j, --json            one JSON array of processes\n"
	"  -H, --tree            show parents above their children (as ps -H)\n"
	"  -p, --pid P           only P and its descendants\n"
	"      --format COLS     the table's columns, in order, as ps -o takes them:\n"
	"                        pid, ppid, user (the real uid's name), uid, s, thr,\n"
	"                        cpu (seconds), rss, vsz, start (HH:MM today, Mon DD\n"
	"                        this year, else the year), comm, args (the command\n"
	"                        line); repeatable. Default: pid,ppid,s,thr,cpu,rss,comm.\n"
	"                        JSON carries every field whatever --format says\n"
	"      --proc            read /proc instead of using the task iterator\n"
	"      --no-pin          load the iterator afresh; do not use or leave a pin in\n"
	"                        /sys/fs/bpf/jobtrace\n"
	"      --proc-root DIR   walk DIR instead of /proc (implies --proc)\n"
	"  -v, --verbose         say which source was used and how long it took\n"
	"  -h, --help            this text\n"
	"\n"
	"Examples:\n"
	"  sudo jobtrace ps --tree\n"
	"  sudo jobtrace ps --format pid,user,start,args\n"
	"  sudo jobtrace ps --json --pid 1234\n";

/*
 * The iterator does not show every process /proc lists (an LSM can hide a
 * task from it: pid 1 of some sandboxes). Those are read from /proc, never
 * silently absent: JSON marks them "source":"proc", the table a line on
 * standard error.
 */
static void fill_from_proc(struct ps_snapshot *s, __u64 before_boot_ns, bool verbose)
{
	int proc_fd = util__open_dir("/proc"), err;

	if (proc_fd < 0 || !snapshot__proc_is_ours(proc_fd)) {
		if (verbose)
			fprintf(stderr, "jobtrace: /proc is not of this pid namespace: the "
					"iterator's list is not checked against it\n");
		goto close_fd;
	}
	err = snapshot__fill_from_proc(s, proc_fd, before_boot_ns);
	if (err)
		fprintf(stderr, "jobtrace: cannot check the iterator's list against /proc: %s\n",
			strerror(-err));
close_fd:
	if (proc_fd >= 0)
		close(proc_fd);
}

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

/*
 * USER and ARGS are not in the snapshot's one pass: the loader reads them
 * for the table that shows them and for JSON, which has every field.
 * @proc_root's cmdline files are the snapshot's own when it was walked
 * there; the iterator's pids are this namespace's, read where /proc is ours.
 */
static int read_extras(struct ps_snapshot *s, const struct ps_options *o, const char *proc_root,
		       bool walked, bool verbose)
{
	int proc_fd, err = 0;

	if (o->json || ps__wants(o, PS_COL_USER))
		err = snapshot__read_users(s);
	if (err || !(o->json || ps__wants(o, PS_COL_ARGS)))
		return err;
	proc_fd = util__open_dir(proc_root);
	if (proc_fd >= 0 && (walked || snapshot__proc_is_ours(proc_fd)))
		err = snapshot__read_args(s, proc_fd);
	else if (verbose)
		fprintf(stderr, "jobtrace: %s is not of this pid namespace: no command lines\n",
			proc_root);
	if (proc_fd >= 0)
		close(proc_fd);
	return err;
}

int ps__main(int argc, char **argv)
{
	enum { OPT_PROC = 256, OPT_PROC_ROOT, OPT_NO_PIN, OPT_FORMAT };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "tree", no_argument, NULL, 'H' },
		{ "pid", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "proc", no_argument, NULL, OPT_PROC },
		{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
		{ "no-pin", no_argument, NULL, OPT_NO_PIN },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct ps_options o = {};
	const char *proc_root = "/proc";
	struct snapshot_iter *it = NULL;
	struct ps_snapshot s = {};
	bool use_proc = false, verbose = false, use_pin = true;
	const char *bad;
	size_t bad_len;
	char *end;
	long v;
	int opt, err, proc_fd;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":jHp:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			o.json = true;
			break;
		case 'H':
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
		case OPT_FORMAT:
			err = ps__add_columns(&o, optarg, &bad, &bad_len);
			if (err == -E2BIG) {
				fprintf(stderr, "jobtrace: --format: at most %d columns\nTry 'jobtrace ps "
						"--help'.\n", PS_MAX_COLS);
				return EXIT_USAGE;
			}
			/* An empty list is a mistake too, never the default table in disguise. */
			if (err || !o.ncols) {
				if (err)
					fprintf(stderr, "jobtrace: --format: no column '%.*s'; the columns "
							"are ", (int)bad_len, bad);
				else
					fputs("jobtrace: --format takes a list of columns: ", stderr);
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
			return options__bad("ps", opt, argv);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jobtrace: ps takes no arguments ('%s')\nTry 'jobtrace ps --help'.\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	o.boot_epoch_ns = util__realtime_ns() - util__boottime_ns();

	if (!use_proc) {
		it = snapshot_iter__open(verbose, use_pin);
		if (it) {
			__u64 before = util__boottime_ns();

			err = snapshot_iter__read(it, &s);
			if (err) {
				fprintf(stderr, "jobtrace: the task iterator failed: %s\n",
					strerror(-err));
				snapshot_iter__free(it);
				return 1;
			}
			fill_from_proc(&s, before, verbose);
		}
	}
	if (!it) {
		proc_fd = util__open_dir(proc_root);
		if (proc_fd < 0) {
			fprintf(stderr, "jobtrace: cannot open %s: %s\n", proc_root,
				strerror(-proc_fd));
			return 1;
		}
		err = snapshot__from_proc(proc_fd, &s);
		close(proc_fd);
		if (err) {
			fprintf(stderr, "jobtrace: cannot read processes under %s: %s\n", proc_root,
				strerror(-err));
			return 1;
		}
		/*
		 * Never an empty list that looks like an empty host: say what
		 * was skipped, and fail when nothing at all could be read.
		 */
		if (s.unreadable)
			fprintf(stderr, "jobtrace: %llu process%s under %s could not be read (a cut "
					"or malformed stat): not listed\n",
				(unsigned long long)s.unreadable, s.unreadable == 1 ? "" : "es",
				proc_root);
		if (!s.n && (s.unreadable || s.vanished)) {
			fprintf(stderr, "jobtrace: no process under %s could be read\n", proc_root);
			snapshot__free(&s);
			return 1;
		}
	}
	if (verbose)
		fprintf(stderr, "jobtrace: %zu processes, %zu tasks from %s in %.3f ms\n", s.n,
			s.tasks, s.source, (double)s.read_ns / 1e6);
	err = read_extras(&s, &o, it ? "/proc" : proc_root, !it, verbose);
	if (!err)
		err = ps__write(stdout, &s, &o);
	if (!err && it) {
		/* The note follows the list it is about. */
		fflush(stdout);
		write_fill_note(&s, verbose, !o.json);
	}
	if (err == -ESRCH)
		fprintf(stderr, "jobtrace: no process with pid %d\n", o.pid);
	else if (err)
		fprintf(stderr, "jobtrace: cannot write the process list: %s\n", strerror(-err));
	snapshot__free(&s);
	snapshot_iter__free(it);
	return err ? 1 : 0;
}
