// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace report DIR [JOB]`: the reports of a shared reports directory,
 * one summary per Slurm job over its steps and nodes (job_summary.h).
 * A thin front: the table's options, then the summary's reader and writers.
 */
#include <stdlib.h>
#include <string.h>
#include <getopt.h>

#include "jobtrace/cli.h"
#include "jobtrace/job_summary.h"
#include "jobtrace/options.h"

#include "commands.h"

static const struct jt_front report_front = {
	.cmd = JT_CMD_REPORT,
	.name = "report",
	.head = "Usage: jobtrace report [OPTIONS] DIR [JOB]\n"
		"\n"
		"Merges the reports serve wrote in DIR (--reports, or the SPANK plugin's\n"
		"reports=; one directory shared by the nodes) into one summary per Slurm\n"
		"job: a line per step and node, and the CPU and memory efficiency over\n"
		"all of them. JOB (12, or slurm:12) keeps one job.\n",
	.titles = { [JT_SEC_MAIN] = "Options" },
	.foot = "\n"
		"Examples:\n"
		"  jobtrace report /var/log/jobtrace/slurm 12\n"
		"  jobtrace report --json /shared/jobtrace/reports\n"
		"\n"
		"Exit status: 0, 1 when DIR cannot be read or holds no report of JOB.\n",
};

static int report_set(void *ctx, enum jt_opt_id id, const union jt_optval *v)
{
	if (id == JT_OPT_JSON)
		*(bool *)ctx = true;
	return 0;
}

int report_dir__main(int argc, char **argv)
{
	struct job_summary s = {};
	bool json = false;
	const char *dir, *only;
	int err;

	err = options__parse(&report_front, argc, argv, NULL, report_set, &json);
	if (err)
		return err == OPTIONS_HELP_SHOWN ? 0 : err;
	if (optind >= argc)
		return cli__usage_error("report", "%s", "no directory given: jobtrace report DIR [JOB]");
	if (argc - optind > 2)
		return cli__usage_error("report", "one directory and one job, not '%s'",
					argv[optind + 2]);
	dir = argv[optind];
	only = argc - optind == 2 ? argv[optind + 1] : NULL;
	err = job_summary__read_dir(&s, dir, only);
	if (err) {
		fprintf(stderr, "jobtrace: cannot read the reports in %s: %s\n", dir, strerror(-err));
		job_summary__free(&s);
		return 1;
	}
	err = json ? job_summary__write_json(stdout, &s) : job_summary__write_text(stdout, &s);
	if (!err && only && !s.n)
		fprintf(stderr, "jobtrace: no report of job %s in %s\n", only, dir);
	err = err || (only && !s.n);
	job_summary__free(&s);
	return err ? 1 : 0;
}
