// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace run`: start a command as a job, follow every descendant through
 * the kernel, report when the tree is gone. A front over the collector.
 *
 * Order matters: the programs are attached and the job registered before the
 * command runs, so nothing it forks can be missed. The child waits on a pipe
 * until then.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/collector.h"
#include "jobtrace/job_live.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#include "commands.h"

#define RUN_JOB_ID 1
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

void run__exec_child(char *const *argv, int go_fd, int err_fd, const sigset_t *mask)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGPIPE };
	char go = 0;
	int e;

	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
	if (mask)
		sigprocmask(SIG_SETMASK, mask, NULL);
	while (read(go_fd, &go, 1) < 0 && errno == EINTR)
		;
	/* EOF without the byte: the parent could not register us (or serve did not take us). */
	if (go != 'g')
		_exit(EXIT_INTERNAL);
	execvp(argv[0], argv);
	e = errno;
	while (write(err_fd, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/* Forks the child, registers it, lets it exec; the exit status on failure. */
static int start_job(struct collector *c, struct cjob *j, const struct run_config *cfg)
{
	int go[2], errp[2], err, exec_errno;
	ssize_t n;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		fprintf(stderr, "jobtrace: cannot create a pipe: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	collector__job_begins(c, j);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "jobtrace: cannot fork: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	if (pid == 0) {
		close(go[1]);
		close(errp[0]);
		run__exec_child(cfg->argv, go[0], errp[1], collector__child_sigmask(c));
	}
	close(go[0]);
	close(errp[1]);

	err = collector__set_root(c, j, pid);
	if (err) {
		fprintf(stderr, "jobtrace: cannot register the job's root (pid %d): %s\n", pid,
			strerror(-err));
		close(go[1]); /* the child exits without running the command */
		close(errp[0]);
		waitpid(pid, NULL, 0);
		return EXIT_INTERNAL;
	}
	if (write(go[1], "g", 1) != 1) {
		fprintf(stderr, "jobtrace: cannot start the job: %s\n", strerror(errno));
		close(go[1]);
		close(errp[0]);
		return EXIT_INTERNAL;
	}
	close(go[1]);
	/* EOF: exec succeeded (the pipe is close-on-exec); an errno: it failed. */
	do
		n = read(errp[0], &exec_errno, sizeof(exec_errno));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	if (n == (ssize_t)sizeof(exec_errno)) {
		waitpid(pid, NULL, 0);
		if (exec_errno == ENOENT) {
			fprintf(stderr, "jobtrace: %s: command not found\n", cfg->argv[0]);
			return EXIT_NOT_FOUND;
		}
		fprintf(stderr, "jobtrace: cannot run %s: %s\n", cfg->argv[0],
			strerror(exec_errno));
		return EXIT_CANNOT_EXEC;
	}
	return 0;
}

int run__main(const struct run_config *cfg)
{
	struct collector_opts copts = {
		.source = cfg->shared.source,
		.interval_s = cfg->shared.interval_s,
		.pss = cfg->shared.pss,
		/* The picture is drawn from the process records. */
		.events = cfg->shared.events != NULL || cfg->shared.svg || cfg->shared.html,
		.host_records = cfg->shared.interval_s > 0,
		.host_record_at_stop = true,
		.run_no_wait = !cfg->wait_tree,
	};
	struct collector_stats st;
	struct collector *c;
	struct cjob *j;
	int ret, err;

	/* A report that cannot be written is said after the job, whose status comes first. */
	util__stdout_return_errors(true);
	/* A serve on the host counts the job with no privileges and no load of ours. */
	if (!run__via_serve(cfg, &ret))
		return ret;
	if (collector__set_mode(&copts, cfg->shared.mode))
		return EXIT_USAGE;
	/* A job run can start is never refused: where nothing else works, rusage mode. */
	copts.fallback_rusage = true;
	/*
	 * run follows one job: its job slots (per CPU, preallocated: 1 MiB a
	 * CPU and 3 ms of the start at the default 4096) are the fewest the
	 * loader takes.
	 */
	copts.source.max_jobs = 2;

	/* Orphans of the job are reparented to us, so we reap and count them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		fprintf(stderr, "jobtrace: cannot become a child subreaper: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	c = collector__new(&copts);
	if (!c)
		return EXIT_INTERNAL;
	ret = EXIT_INTERNAL;
	j = collector__follow_command(c, RUN_JOB_ID, cfg->argv, cfg->argc, cfg->workdir);
	if (!j || outputs__add(c, &(struct outputs){
			  .output = cfg->shared.output,
			  .default_f = stderr,
			  /* time's habit: the report on stderr, the job's output untouched */
			  .default_name = "standard error",
			  .json = cfg->shared.json,
			  .json_lines = cfg->shared.interval_s > 0,
			  .shared = true,
			  .events = cfg->shared.events,
			  .top = cfg->shared.top,
			  .svg = cfg->shared.svg,
			  .html = cfg->shared.html,
			  .apmon = &cfg->shared.apmon,
		  }))
		goto out;
	if ((cfg->shared.events || cfg->shared.svg || cfg->shared.html) &&
	    !strcmp(collector__source_name(c), "rusage"))
		fprintf(stderr, "jobtrace: rusage mode has no per-process records: --events, --svg "
				"and --html will have no processes\n");
	ret = start_job(c, j, cfg);
	if (ret)
		goto out;
	err = collector__run(c);
	if (err) {
		fprintf(stderr, "jobtrace: the event loop failed: %s\n", strerror(-err));
		ret = EXIT_INTERNAL;
		goto out;
	}
	ret = job__exit_code(j->job.root_status);
	collector__stats(c, &st);
	/* A reader that went away (run ... | head) wanted no more: no word, the job's status. */
	if (st.sink_errors && st.first_sink_error != -EPIPE) {
		/* Which output: the report, the events, a picture. */
		fprintf(stderr, "jobtrace: cannot write to %s: %s\n", st.first_sink_path,
			sink__strerror(st.first_sink_error));
		if (ret == 0)
			ret = EXIT_INTERNAL;
	}
out:
	collector__free(c);
	return ret;
}
