// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace watch --pid` through a running `jobtrace serve --control`: serve's
 * BPF programs, loaded once for the host, take the running tree (ATTACH:
 * the kernel moves it, two passes as watch's own attach) and count it, so
 * watch needs no privileges and loads nothing. The client side of the
 * control socket (protocol in include/jobtrace/control.h), for any user.
 *
 * Each job waits for its END reply on a connection of its own; a signal or
 * --duration instead takes each open job's report as it stands (REPORT) and
 * lets serve forget it (RELEASE). What goes wrong before the attach leaves
 * nothing behind and watch takes its own source.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/control.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#include "commands.h"

/*
 * Each job holds a connection while it waits for its END, and serve gives a
 * user CONTROL_USER_CLIENTS: leave room for the REPORT and RELEASE at a stop.
 */
#define WATCH_REMOTE_JOBS (CONTROL_USER_CLIENTS / 2)
#define ATTACH_TIMEOUT_MS 10000
#define REPORT_TIMEOUT_MS 30000

struct remote_job {
	pid_t pid;
	char key[CONTROL_KEY_MAX + 1];
	int fd; /* END's connection; -1 once its report is out */
	int status; /* its report's status, by watch's rule: 0 until one came */
};

/* What serve cannot give: options that need watch's own record stream. */
static const char *needs_own_source(const struct jt_shared *wr, bool others)
{
	if (others)
		return "--cgroup or --all";
	if (!wr->npids)
		return "no --pid";
	if (wr->npids > WATCH_REMOTE_JOBS)
		return "more than 4 --pid";
	if (wr->interval_s > 0)
		return "--interval";
	if (wr->events)
		return "--events";
	if (wr->svg)
		return "--svg";
	if (wr->html)
		return "--html";
	if (wr->pss)
		return "--pss";
	if (wr->source.no_args)
		return "--no-args";
	if (wr->apmon.n)
		return "--apmon";
	return NULL;
}

/*
 * The report as serve made it, as watch's own sinks write it: the text
 * report, or for --json the JSON lines record of type "job", which has the
 * keys of run's object (serve's, output_records_dropped included) after its
 * type and time.
 */
static int write_report(const struct jt_shared *wr, FILE *f, const char *data, size_t len)
{
	if (wr->json) {
		while (len && (data[len - 1] == '\n' || data[len - 1] == ' '))
			len--;
		if (len < 2 || data[0] != '{' || data[len - 1] != '}')
			return -EPROTO;
		fprintf(f, "{\"type\":\"job\",\"time\":%.6f,", (double)util__realtime_ns() / 1e9);
		if (fwrite(data + 1, 1, len - 2, f) != len - 2)
			return -errno;
		fputs("}\n", f);
	} else if (fwrite(data, 1, len, f) != len) {
		return -errno;
	}
	return fflush(f) ? -errno : 0;
}

/* "REPORT N" and its body on @fd, after its first line came into @r: written out. */
static int take_report(const struct jt_shared *wr, int fd, struct control_reply *r, FILE *out,
		       const char *path, const char *key)
{
	const char *data;
	size_t n;
	int err;

	err = control_client__body(fd, r, &data, &n,
				   util__now_ns() + REPORT_TIMEOUT_MS * 1000000ULL, NULL);
	if (err == -EPROTO) {
		fprintf(stderr, "jobtrace: no report of %s from serve at %s: it said %s\n", key,
			path, r->buf);
		return err;
	}
	if (err) {
		fprintf(stderr, "jobtrace: no report of %s from serve at %s: %s\n", key, path,
			strerror(-err));
		return err;
	}
	err = write_report(wr, out, data, n);
	if (err && err != -EPIPE)
		fprintf(stderr, "jobtrace: cannot write the report: %s\n", strerror(-err));
	return err == -EPIPE ? 0 : err;
}

/* watch's rule (job__status()), as serve applied it: the first failed job's, in order. */
static void note_status(struct remote_job *jobs, size_t i, const struct control_reply *r)
{
	jobs[i].status = r->status > 0 ? r->status : 0;
}

static int first_failed(const struct remote_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].status)
			return jobs[i].status;
	return 0;
}

/* A one-line request whose reply is a line; the reply's first line in @r, or -errno. */
static int ask(const char *path, const char *req, struct control_reply *r)
{
	int fd = control_client__request(path, req, r,
					 util__now_ns() + ATTACH_TIMEOUT_MS * 1000000ULL, NULL);

	if (fd < 0)
		return fd;
	close(fd);
	control_client__line(r);
	return 0;
}

/* Stopped: each open job's report as it stands, then serve forgets it. */
static int report_open_jobs(const struct jt_shared *wr, const char *path,
			    struct remote_job *jobs, size_t n, FILE *out)
{
	char req[CONTROL_KEY_MAX + 16];
	struct control_reply r = {};
	int ret = 0, err, fd;

	for (size_t i = 0; i < n; i++) {
		if (jobs[i].fd < 0)
			continue;
		snprintf(req, sizeof(req), "REPORT %s\n", jobs[i].key);
		fd = control_client__request(path, req, &r,
					     util__now_ns() + REPORT_TIMEOUT_MS * 1000000ULL, NULL);
		err = fd < 0 ? fd : take_report(wr, fd, &r, out, path, jobs[i].key);
		if (!err)
			note_status(jobs, i, &r);
		if (fd < 0)
			fprintf(stderr, "jobtrace: no report of %s from serve at %s: %s\n",
				jobs[i].key, path, strerror(-fd));
		if (fd >= 0)
			close(fd);
		if (err)
			ret = err;
		/* It may have ended meanwhile: then there is nothing to release. */
		snprintf(req, sizeof(req), "RELEASE %s\n", jobs[i].key);
		ask(path, req, &r);
		close(jobs[i].fd);
		jobs[i].fd = -1;
	}
	free(r.buf);
	return ret;
}

/* Before anything is reported: serve forgets the jobs attached so far. */
static void release_all(const char *path, struct remote_job *jobs, size_t n)
{
	char req[CONTROL_KEY_MAX + 16];
	struct control_reply r = {};

	for (size_t i = 0; i < n; i++) {
		snprintf(req, sizeof(req), "RELEASE %s\n", jobs[i].key);
		ask(path, req, &r);
	}
	free(r.buf);
}

/*
 * ATTACH each --pid. 0; -EPERM after serve refused one (its words in @why),
 * or another errno of the socket. On failure the ones attached are released.
 */
static int attach_all(const struct jt_shared *wr, const char *path, struct remote_job *jobs,
		      char *why, size_t why_size)
{
	char req[CONTROL_KEY_MAX + 64];
	struct control_reply r = {};
	unsigned long existing, left_out;
	int err = 0;
	size_t i;

	for (i = 0; i < wr->npids; i++) {
		jobs[i].pid = wr->pids[i];
		jobs[i].fd = -1;
		/* Our key: serve knows us by our uid; the time tells two of our pids apart. */
		snprintf(jobs[i].key, sizeof(jobs[i].key), "watch:%u:%d.%llu",
			 (unsigned int)geteuid(), (int)wr->pids[i], util__now_ns() / 1000);
		snprintf(req, sizeof(req), "ATTACH %s %d%s top=%zu\n", jobs[i].key,
			 (int)jobs[i].pid, wr->json ? "" : " text", wr->top);
		err = ask(path, req, &r);
		if (err) {
			snprintf(why, why_size, "%s", strerror(-err));
			break;
		}
		if (sscanf(r.buf, "OK %*s %lu %lu", &existing, &left_out) != 2) {
			snprintf(why, why_size, "%s", r.buf);
			err = -EPERM;
			break;
		}
		/* Not all of it is the caller's: serve's figures would miss part of the tree. */
		if (left_out) {
			snprintf(why, why_size, "%lu processes under pid %d are not yours",
				 left_out, (int)jobs[i].pid);
			i++;
			err = -EPERM;
			break;
		}
	}
	if (err)
		release_all(path, jobs, i);
	free(r.buf);
	return err;
}

int watch__via_serve(const struct jt_shared *wr, bool others, int *exit_code)
{
	bool forced = wr->mode && !strcmp(wr->mode, "serve"), own = false;
	const char *path = wr->control ? wr->control : getenv("JOBTRACE_CONTROL"), *opt;
	struct remote_job jobs[WATCH_REMOTE_JOBS] = {};
	struct control_reply r = {};
	char req[CONTROL_KEY_MAX + 16], why[CONTROL_LINE_MAX] = "";
	__u64 deadline = 0;
	sigset_t mask, old;
	size_t left;
	FILE *out = stdout;
	int sfd = -1, err, ret = 0;

	if (!path || !*path)
		path = CONTROL_DEFAULT_PATH;
	/* --mode bpf or proc: asked for, not serve. */
	if (wr->mode && !forced && strcmp(wr->mode, "auto"))
		return -ENOTSUP;
	opt = needs_own_source(wr, others);
	if (opt && forced) {
		*exit_code = cli__usage_error("watch", "--mode serve cannot give %s: it needs "
						       "watch's own records",
					      opt);
		return 0;
	}
	if (opt)
		return -ENOTSUP;
	/*
	 * A pid that does not exist is said so here, whatever watches it: with
	 * serve's refusal watch went on to its own sources, which a user may
	 * not load, and exited 125 with their privileges' story instead.
	 */
	for (size_t i = 0; i < wr->npids; i++) {
		if (kill(wr->pids[i], 0) && errno == ESRCH) {
			fprintf(stderr, "jobtrace: no process %d: it does not exist (or has ended)\n",
				(int)wr->pids[i]);
			*exit_code = 1;
			return 0;
		}
	}
	/* Signals wait in a signalfd from here: a Ctrl-C during the attach stops after it. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &mask, &old))
		return -errno;
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		err = -errno;
		goto out_mask;
	}
	err = attach_all(wr, path, jobs, why, sizeof(why));
	if (err) {
		if (forced || wr->source.verbose)
			fprintf(stderr, "jobtrace: %s at %s: %s\n",
				forced ? "cannot watch through serve" : "not through serve", path,
				why);
		if (forced) {
			*exit_code = EXIT_INTERNAL;
			err = 0;
		}
		goto out_mask;
	}
	if (wr->output) {
		out = sink__open_path(wr->output, &own);
		if (!out) {
			fprintf(stderr, "jobtrace: cannot write the report to %s: %s\n", wr->output,
				sink__strerror(errno));
			release_all(path, jobs, wr->npids);
			*exit_code = EXIT_INTERNAL;
			err = 0;
			goto out_mask;
		}
	}
	/* Each job's END waits on a connection of its own: serve answers it at the job's end. */
	for (size_t i = 0; i < wr->npids; i++) {
		snprintf(req, sizeof(req), "END %s\n", jobs[i].key);
		jobs[i].fd = control_client__send(path, req);
		if (jobs[i].fd < 0) {
			fprintf(stderr, "jobtrace: cannot wait for %s at serve at %s: %s\n",
				jobs[i].key, path, strerror(-jobs[i].fd));
			jobs[i].fd = -1;
			ret = EXIT_INTERNAL;
		}
	}
	/* One line that says the attach is done, as watch's own: scripts and tests wait for it. */
	fprintf(stderr, "jobtrace: attached: watching %s through serve at %s; Ctrl-C to stop "
			"and report\n",
		wr->npids == 1 ? "1 job" : "the jobs", path);
	if (wr->duration_s > 0)
		deadline = util__now_ns() + (__u64)(wr->duration_s * 1e9);
	for (;;) {
		struct pollfd p[WATCH_REMOTE_JOBS + 1];
		struct signalfd_siginfo si;
		int timeout = -1, n;
		bool stop = false;

		left = 0;
		for (size_t i = 0; i < wr->npids; i++) {
			p[i].fd = jobs[i].fd;
			p[i].events = POLLIN;
			left += jobs[i].fd >= 0;
		}
		if (!left)
			break;
		p[wr->npids].fd = sfd;
		p[wr->npids].events = POLLIN;
		if (deadline) {
			__u64 now = util__now_ns();

			timeout = now >= deadline ? 0 : (int)((deadline - now) / 1000000 + 1);
		}
		n = poll(p, wr->npids + 1, timeout);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			fprintf(stderr, "jobtrace: the wait for serve failed: %s\n",
				strerror(-err));
			ret = EXIT_INTERNAL;
			break;
		}
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			stop = true;
		if (stop || (deadline && util__now_ns() >= deadline)) {
			if (report_open_jobs(wr, path, jobs, wr->npids, out))
				ret = EXIT_INTERNAL;
			break;
		}
		for (size_t i = 0; n > 0 && i < wr->npids; i++) {
			if (jobs[i].fd < 0 || !p[i].revents)
				continue;
			r.len = 0;
			err = control_client__read(jobs[i].fd, &r, 0,
						   util__now_ns() + REPORT_TIMEOUT_MS * 1000000ULL,
						   NULL);
			if (err) {
				fprintf(stderr, "jobtrace: no report of %s from serve at %s: %s\n",
					jobs[i].key, path, strerror(-err));
				ret = EXIT_INTERNAL;
			} else if (take_report(wr, jobs[i].fd, &r, out, path, jobs[i].key)) {
				ret = EXIT_INTERNAL;
			} else {
				note_status(jobs, i, &r);
			}
			close(jobs[i].fd);
			jobs[i].fd = -1;
		}
	}
	/* As watch's own source: the first failed job's status; a failure of ours after. */
	*exit_code = first_failed(jobs, wr->npids) ? first_failed(jobs, wr->npids) : ret;
	err = 0;
	if (own && fclose(out) && *exit_code == 0)
		*exit_code = EXIT_INTERNAL;
out_mask:
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(r.buf);
	return err;
}
