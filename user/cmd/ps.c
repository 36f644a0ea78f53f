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


static const struct jt_front ps_front = {
	.cmd = JT_CMD_PS,
	.name = "ps",
	.head = "Usage: jobtrace ps [OPTIONS]\n"
		"\n"
		"Every process of the host, read in one pass by a BPF task iterator\n"
		"(or by walking /proc where BPF is not available).\n",
	.titles = { [JT_SEC_JOBS] = "Options", [JT_SEC_MAIN] = NULL },
	.foot = "\n"
		"Examples:\n"
		"  sudo jobtrace ps --tree\n"
		"  sudo jobtrace ps --format pid,user,start,args\n"
		"  sudo jobtrace ps --json --pid 1234\n",
};

/* What ps's flags ask for. */
struct ps_args {
	struct ps_options o;
	const char *proc_root;
	bool use_proc, verbose, use_pin;
};

static int ps_set(void *ctx, enum jt_opt_id id, const union jt_optval *v)
{
	struct ps_args *a = ctx;
	const char *bad;
	size_t bad_len;
	int err;

	switch (id) {
	case JT_OPT_JSON:
		a->o.json = true;
		break;
	case JT_OPT_TREE:
		a->o.tree = true;
		break;
	case JT_OPT_PID:
		a->o.pid = (pid_t)v->u;
		break;
	case JT_OPT_FORMAT:
		err = ps__add_columns(&a->o, v->str, &bad, &bad_len);
		if (err == -E2BIG)
			return cli__usage_error("ps", "--format: at most %d columns", PS_MAX_COLS);
		/* An empty list is a mistake too, never the default table in disguise. */
		if (err || !a->o.ncols) {
			if (err)
				fprintf(stderr, "jobtrace: --format: no column '%.*s'; the columns are ",
					(int)bad_len, bad);
			else
				fputs("jobtrace: --format takes a list of columns: ", stderr);
			ps__column_names(stderr);
			fputs("\nTry 'jobtrace ps --help'.\n", stderr);
			return EXIT_USAGE;
		}
		break;
	case JT_OPT_PROC:
		a->use_proc = true;
		break;
	case JT_OPT_PROC_ROOT:
		a->proc_root = v->str;
		a->use_proc = true;
		break;
	case JT_OPT_NO_PIN:
		a->use_pin = false;
		break;
	case JT_OPT_VERBOSE:
		a->verbose = true;
		break;
	default:
		break;
	}
	return 0;
}

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
	struct ps_args a = { .proc_root = "/proc", .use_pin = true };
	struct snapshot_iter *it = NULL;
	struct ps_snapshot s = {};
	int err, proc_fd;

	err = options__parse(&ps_front, argc, argv, ps_set, &a);
	if (err)
		return err == OPTIONS_HELP_SHOWN ? 0 : err;
	if (optind < argc) {
		fprintf(stderr, "jobtrace: ps takes no arguments ('%s')\nTry 'jobtrace ps --help'.\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	a.o.boot_epoch_ns = util__realtime_ns() - util__boottime_ns();

	if (!a.use_proc) {
		it = snapshot_iter__open(a.verbose, a.use_pin);
		if (it) {
			__u64 before = util__boottime_ns();

			err = snapshot_iter__read(it, &s);
			if (err) {
				fprintf(stderr, "jobtrace: the task iterator failed: %s\n",
					strerror(-err));
				snapshot_iter__free(it);
				return 1;
			}
			fill_from_proc(&s, before, a.verbose);
		}
	}
	if (!it) {
		proc_fd = util__open_dir(a.proc_root);
		if (proc_fd < 0) {
			fprintf(stderr, "jobtrace: cannot open %s: %s\n", a.proc_root,
				strerror(-proc_fd));
			return 1;
		}
		err = snapshot__from_proc(proc_fd, &s);
		close(proc_fd);
		if (err) {
			fprintf(stderr, "jobtrace: cannot read processes under %s: %s\n", a.proc_root,
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
				a.proc_root);
		if (!s.n && (s.unreadable || s.vanished)) {
			fprintf(stderr, "jobtrace: no process under %s could be read\n", a.proc_root);
			snapshot__free(&s);
			return 1;
		}
	}
	if (a.verbose)
		fprintf(stderr, "jobtrace: %zu processes, %zu tasks from %s in %.3f ms\n", s.n,
			s.tasks, s.source, (double)s.read_ns / 1e6);
	err = read_extras(&s, &a.o, it ? "/proc" : a.proc_root, !it, a.verbose);
	if (!err)
		err = ps__write(stdout, &s, &a.o);
	if (!err && it) {
		/* The note follows the list it is about. */
		fflush(stdout);
		write_fill_note(&s, a.verbose, !a.o.json);
	}
	if (err == -ESRCH)
		fprintf(stderr, "jobtrace: no process with pid %d\n", a.o.pid);
	else if (err)
		fprintf(stderr, "jobtrace: cannot write the process list: %s\n", strerror(-err));
	snapshot__free(&s);
	snapshot_iter__free(it);
	return err ? 1 : 0;
}
