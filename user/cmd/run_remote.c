// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace run` through a running `jobtrace serve --control`: serve's BPF
 * programs, loaded once for the host, count the job, so run needs no
 * privileges and loads nothing. The client side of the control socket
 * (protocol in include/jobtrace/control.h), for any user.
 *
 * Order matters as in run.c: the child is registered before it may exec,
 * so nothing it forks can be missed; it waits on a pipe until then. What
 * goes wrong before that leaves nothing behind and run takes its own
 * source; what goes wrong after it is the job's, and is said.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/control.h"
#include "jobtrace/job.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#include "commands.h"

#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127
/* serve answers REGISTER at once; END once the job is over, a tick or two after its tree. */
#define REGISTER_TIMEOUT_MS 5000
#define END_TIMEOUT_MS 30000

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* The root once it may exec, for the handler; 0 once it is reaped (its pid may be reused). */
static volatile sig_atomic_t root_pid;
static volatile sig_atomic_t interrupts, last_signo;
/* Two interrupts: run stops waiting, as it does for what outlives the root. */
static volatile sig_atomic_t stop_waiting;

/*
 * As run's loop does: a signal sent with kill(2) is passed on to the
 * command; one from the terminal reached it already (same process group).
 * Before the command may run, a signal stops run: the command never runs.
 */
static void on_signal(int signo, siginfo_t *si, void *uc)
{
	if (++interrupts >= 2)
		stop_waiting = 1;
	last_signo = signo;
	if (root_pid > 0 && si->si_code <= 0)
		kill((pid_t)root_pid, signo);
}

/* What serve cannot give: options that need run's own record stream. */
static const char *needs_own_source(const struct run_config *cfg)
{
	if (cfg->shared.interval_s > 0)
		return "--interval";
	if (cfg->shared.events)
		return "--events";
	if (cfg->shared.svg)
		return "--svg";
	if (cfg->shared.html)
		return "--html";
	if (cfg->shared.pss)
		return "--pss";
	if (cfg->shared.source.no_args)
		return "--no-args";
	if (cfg->workdir)
		return "--workdir";
	if (cfg->shared.apmon.n)
		return "--apmon";
	if (!cfg->wait_tree)
		return "--no-wait";
	return NULL;
}

const char *run__control_path(const struct run_config *cfg)
{
	const char *path = cfg->shared.control ? cfg->shared.control : getenv("JOBTRACE_CONTROL");

	return path && *path ? path : CONTROL_DEFAULT_PATH;
}

/* Reaps the tree (we are its subreaper) until none is left, or two interrupts. */
static int reap_tree(pid_t root, int *root_status)
{
	bool root_done = false;
	int st;

	for (;;) {
		pid_t p = waitpid(-1, &st, 0);

		if (p < 0 && errno == EINTR) {
			if (interrupts >= 2 && root_done)
				return -EINTR;
			continue;
		}
		if (p < 0)
			return 0; /* ECHILD: the whole tree is gone */
		if (p == root) {
			root_pid = 0;
			root_done = true;
			*root_status = st;
		}
	}
}

/* The report as serve made it, to where run would write it. */
static int write_report(const struct run_config *cfg, FILE *f, const char *data, size_t len)
{
	if (cfg->shared.json && f == stderr)
		sink__start_line(f); /* the job's output shares the stream: a line of its own */
	if (fwrite(data, 1, len, f) != len || fflush(f))
		return -errno;
	return 0;
}

/* After the go: the job runs, whatever serve says now. Returns run's exit status. */
static int run_registered(const struct run_config *cfg, const char *path, const char *key,
			  pid_t pid, int errp, FILE *out)
{
	struct control_reply r = {};
	char req[CONTROL_KEY_MAX + 16];
	int exec_errno, status = 0, ret, err, fd;
	__u64 deadline_ns;
	const char *data;
	size_t n;
	ssize_t got;

	/* EOF: exec succeeded (the pipe is close-on-exec); an errno: it failed. */
	do
		got = read(errp, &exec_errno, sizeof(exec_errno));
	while (got < 0 && errno == EINTR);
	close(errp);
	if (got == (ssize_t)sizeof(exec_errno)) {
		/* The job serve opened ends empty at its next sample: nothing to report. */
		waitpid(pid, NULL, 0);
		root_pid = 0;
		if (exec_errno == ENOENT) {
			fprintf(stderr, "jobtrace: %s: command not found\n", cfg->argv[0]);
			return EXIT_NOT_FOUND;
		}
		fprintf(stderr, "jobtrace: cannot run %s: %s\n", cfg->argv[0],
			strerror(exec_errno));
		return EXIT_CANNOT_EXEC;
	}
	if (reap_tree(pid, &status)) {
		fprintf(stderr, "jobtrace: stopped waiting for what outlives %s: serve at %s keeps "
				"the job %s until its last process ends\n",
			cfg->argv[0], path, key);
		return job__exit_code(status);
	}
	ret = job__exit_code(status);
	snprintf(req, sizeof(req), "END %s\n", key);
	deadline_ns = util__now_ns() + END_TIMEOUT_MS * 1000000ULL;
	fd = control_client__request(path, req, &r, deadline_ns, &stop_waiting);
	err = fd < 0 ? fd : control_client__body(fd, &r, &data, &n, deadline_ns, &stop_waiting);
	if (err == -EPROTO) {
		fprintf(stderr, "jobtrace: no report of %s from serve at %s: it said %s\n", key,
			path, r.buf);
	} else if (!err) {
		err = write_report(cfg, out, data, n);
		/* A reader that went away (run ... | head) wanted no more: no word, as run. */
		if (err == -EPIPE)
			err = 0;
		if (err)
			fprintf(stderr, "jobtrace: cannot write the report: %s\n", strerror(-err));
	} else {
		fprintf(stderr, "jobtrace: no report of %s from serve at %s: %s\n", key, path,
			strerror(-err));
	}
	if (fd >= 0)
		close(fd);
	free(r.buf);
	return err && ret == 0 ? EXIT_INTERNAL : ret;
}

int run__via_serve(const struct run_config *cfg, int *exit_code)
{
	bool forced = cfg->shared.mode && !strcmp(cfg->shared.mode, "serve");
	const char *path = run__control_path(cfg), *opt, *head;
	char req[CONTROL_KEY_MAX + 64], key[CONTROL_KEY_MAX + 1];
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	struct sigaction old[ARRAY_SIZE(forwarded)];
	int go[2] = { -1, -1 }, errp[2] = { -1, -1 }, fd = -1, err;
	struct control_reply r = {};
	__u64 deadline_ns;
	FILE *out = stderr;
	bool own = false;
	pid_t pid;

	/* --mode bpf, proc or another source of run's own: asked for, not serve. */
	if (cfg->shared.mode && !forced && strcmp(cfg->shared.mode, "auto"))
		return -ENOTSUP;
	opt = needs_own_source(cfg);
	if (opt && forced) {
		*exit_code = cli__usage_error("run", "--mode serve cannot give %s: it needs run's "
						     "own records",
					      opt);
		return 0;
	}
	if (opt)
		return -ENOTSUP;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		return -errno;
	if (pipe2(go, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		err = -errno;
		goto out_pipes;
	}
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &sa, &old[i]);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out_signals;
	}
	if (pid == 0) {
		close(go[1]);
		close(errp[0]);
		run__exec_child(cfg->argv, go[0], errp[1], NULL);
	}
	close(go[0]);
	close(errp[1]);
	go[0] = errp[1] = -1;

	/*
	 * Our key: serve knows us by SO_PEERCRED's uid, the effective one; the
	 * monotonic time tells two of our pids apart, one a reuse of the other.
	 */
	snprintf(key, sizeof(key), "run:%u:%d.%llu", (unsigned int)geteuid(), (int)pid,
		 util__now_ns() / 1000);
	snprintf(req, sizeof(req), "REGISTER %s %d%s top=%zu\n", key, (int)pid,
		 cfg->shared.json ? "" : " text", cfg->shared.top);
	deadline_ns = util__now_ns() + REGISTER_TIMEOUT_MS * 1000000ULL;
	fd = control_client__request(path, req, &r, deadline_ns, &stop_waiting);
	err = fd < 0 ? fd : 0;
	head = err ? NULL : control_client__line(&r);
	if (fd >= 0)
		close(fd); /* not idle on serve's socket while the job runs */
	if (head && strncmp(head, "OK ", 3))
		err = -EPERM; /* serve said why: "ERR ..." */
	if (interrupts) {
		/* Stopped before the command ran: it never runs, here or by a fallback. */
		*exit_code = 128 + last_signo;
		err = 0;
		goto out_child_stopped;
	}
	if (err) {
		/* The child exits without running the command; run goes on without serve. */
		if (forced || cfg->shared.source.verbose)
			fprintf(stderr, "jobtrace: %s at %s: %s\n",
				forced ? "cannot run the job through serve" : "not through serve",
				path, head ? head : strerror(-err));
		goto out_child;
	}
	if (cfg->shared.output) {
		out = sink__open_path(cfg->shared.output, &own);
		if (!out) {
			fprintf(stderr, "jobtrace: cannot write the report to %s: %s\n", cfg->shared.output,
				sink__strerror(errno));
			forced = true; /* run's own source would fail the same way */
			goto out_child;
		}
	}
	root_pid = pid;
	if (write(go[1], "g", 1) != 1) {
		err = -errno;
		fprintf(stderr, "jobtrace: cannot start the job: %s\n", strerror(-err));
		*exit_code = EXIT_INTERNAL;
		err = 0;
		goto out_signals;
	}
	close(go[1]);
	go[1] = -1;
	*exit_code = run_registered(cfg, path, key, pid, errp[0], out);
	errp[0] = -1;
	err = 0;
	goto out_signals;

out_child:
	if (forced) {
		*exit_code = EXIT_INTERNAL;
		err = 0;
	}
out_child_stopped:
	close(go[1]);
	go[1] = -1;
	waitpid(pid, NULL, 0);
	root_pid = 0;
out_signals:
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &old[i], NULL);
out_pipes:
	for (size_t i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (own && fclose(out) && !err && *exit_code == 0)
		*exit_code = EXIT_INTERNAL;
	free(r.buf);
	if (err && forced) {
		fprintf(stderr, "jobtrace: cannot run the job through serve: %s\n", strerror(-err));
		*exit_code = EXIT_INTERNAL;
		err = 0;
	}
	return err;
}
