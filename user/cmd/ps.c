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
#include "jobtrace/ps_sample.h"
#include "jobtrace/util.h"

#include "commands.h"


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
		/* One tree: a second would have silently replaced the first. */
		if (a->o.pid)
			return cli__usage_error("ps", "%s", "--pid is given twice: ps lists "
							    "one process and its descendants");
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
	struct ps_args a = { .proc_root = "/proc", .use_pin = true };
	struct ps_sample_opts so;
	struct ps_snapshot s = {};
	bool iterated;
	int err;

	err = options__parse(&ps_front, argc, argv, NULL, ps_set, &a);
	if (err)
		return err == OPTIONS_HELP_SHOWN ? 0 : err;
	if (optind < argc) {
		fprintf(stderr, "jobtrace: ps takes no arguments ('%s')\nTry 'jobtrace ps --help'.\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	a.o.boot_epoch_ns = util__realtime_ns() - util__boottime_ns();

	so = (struct ps_sample_opts){ .proc_root = a.proc_root, .use_proc = a.use_proc,
				      .use_pin = a.use_pin, .verbose = a.verbose,
				      .users = a.o.json || ps__wants(&a.o, PS_COL_USER),
				      .args = a.o.json || ps__wants(&a.o, PS_COL_ARGS) };
	if (ps_sample__take(&so, &s, &iterated))
		return 1;
	err = ps_sample__extras(&so, &s, iterated);
	if (!err)
		err = ps__write(stdout, &s, &a.o);
	if (!err && iterated) {
		/* The note follows the list it is about. */
		fflush(stdout);
		write_fill_note(&s, a.verbose, !a.o.json);
	}
	if (err == -ESRCH)
		fprintf(stderr, "jobtrace: no process with pid %d\n", a.o.pid);
	else if (err)
		fprintf(stderr, "jobtrace: cannot write the process list: %s\n", strerror(-err));
	snapshot__free(&s);
	return err ? 1 : 0;
}
