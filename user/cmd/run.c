// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace run`: start a command as a job, follow every descendant through
 * the kernel, report when the tree is gone.
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

#include "jobtrace/job.h"
#include "jobtrace/job_live.h"
#include "jobtrace/meminfo.h"
#include "jobtrace/report.h"
#include "jobtrace/run.h"
#include "jobtrace/util.h"

#define JOB_ID 1
#define TICK_MS 100
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127
#define EXIT_INTERNAL 125 /* jobtrace itself failed, as env(1) and timeout(1) say */

static volatile sig_atomic_t root_pid_for_signals;
static volatile sig_atomic_t signals_seen;

/*
 * A signal typed at the terminal reaches the whole foreground process group,
 * the job included; one sent with kill(2) reaches only us, so pass it on.
 */
static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	signals_seen++;
	if (root_pid_for_signals > 0 && info->si_code <= 0)
		kill(root_pid_for_signals, sig);
}

static void on_sigchld(int sig)
{
}

static int install_handlers(sigset_t *waitmask)
{
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = {};
	sigset_t block;

	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++) {
		if (sigaction(forwarded[i], &sa, NULL))
			return -errno;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_NOCLDSTOP;
	if (sigaction(SIGCHLD, &sa, NULL))
		return -errno;
	/*
	 * SIGCHLD stays blocked except inside epoll_pwait(), so a child that
	 * exits between a waitpid() and the wait cannot be slept through.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &block, waitmask))
		return -errno;
	sigdelset(waitmask, SIGCHLD);
	return 0;
}

static void restore_child_signals(const sigset_t *mask)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD };

	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
}

/* The child: wait for the go, exec, or tell the parent why not. */
static void __attribute__((noreturn)) exec_child(char *const *argv, int go_fd, int err_fd,
						  const sigset_t *mask)
{
	char go = 0;
	int e;

	restore_child_signals(mask);
	while (read(go_fd, &go, 1) < 0 && errno == EINTR)
		;
	/* EOF without the byte: the parent could not register us. */
	if (go != 'g')
		_exit(EXIT_INTERNAL);
	execvp(argv[0], argv);
	e = errno;
	while (write(err_fd, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

struct run_state {
	struct job job;
	struct lineage *lt;
	bool children_left;
	int proc_fd;
	struct job_live live, last_live;
	struct workdir_usage workdir;
	__u64 next_sample_ns;
};

/* One line on stderr with the job's live parameters, every --interval. */
static void sample_live(struct run_state *rs, const struct run_config *cfg)
{
	struct job_live cur;
	char b1[32], b2[32];

	if (job_live__sample(rs->lt, JOB_ID, rs->proc_fd, cfg->pss, &rs->last_live, &cur))
		return;
	lineage__job_stats(rs->lt, JOB_ID, &rs->job.stats);
	fprintf(stderr, "jobtrace: %.1f s: %" PRIu64 " alive, %" PRIu64 " started, CPU now ",
		(double)(cur.sampled_ns - rs->job.start_ns) / 1e9, (uint64_t)cur.processes,
		(uint64_t)rs->job.stats.procs_started);
	if (cur.cpu_rate_pct >= 0)
		fprintf(stderr, "%.0f%%", cur.cpu_rate_pct);
	else
		fputs("-", stderr);
	fprintf(stderr, ", RSS %s", report__bytes(b1, sizeof(b1), cur.rss_bytes));
	if (cur.pss)
		fprintf(stderr, ", PSS %s", report__bytes(b2, sizeof(b2), cur.pss_bytes));
	fprintf(stderr, ", %" PRIu64 " open files\n", (uint64_t)cur.open_files);
	rs->last_live = cur;
}

static int on_exit_record(void *ctx, const struct jt_exit_event *e)
{
	struct run_state *rs = ctx;

	job__add_exit(&rs->job, e);
	return 0;
}

static void reap(struct run_state *rs)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0)
			return;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			rs->children_left = false; /* ECHILD */
			return;
		}
		if (pid == rs->job.root_pid) {
			rs->job.root_exited = true;
			rs->job.root_status = status;
			rs->job.root_end_ns = util__now_ns();
			root_pid_for_signals = 0;
		}
	}
}

struct stale_ctx {
	struct lineage *lt;
	__u64 stale;
	__u64 live;
};

static int check_stale(void *ctx, const struct jt_proc_key *key, const struct jt_proc *proc)
{
	struct stale_ctx *sc = ctx;

	if (kill((pid_t)key->tgid, 0) == 0 || errno == EPERM) {
		sc->live++;
		return 0;
	}
	/* No such process: its exit was missed. The sweep quark lacks. */
	lineage__forget_proc(sc->lt, key);
	sc->stale++;
	return 0;
}

/* Is the job over? Reads the kernel's count of live processes. */
static bool job_done(struct run_state *rs, const struct run_config *cfg)
{
	struct jt_job_stats *s = &rs->job.stats;
	struct stale_ctx sc = { .lt = rs->lt };

	if (lineage__job_stats(rs->lt, JOB_ID, s))
		return rs->job.root_exited && !rs->children_left;
	if (!rs->job.root_exited)
		return false;
	if (!cfg->wait_tree)
		return s->outlived_root >= 0; /* the root's record is in the ring */
	if (s->alive <= 0)
		return true;
	if (rs->children_left)
		return false;
	/*
	 * Nothing left to reap, yet the kernel counts processes alive: they
	 * moved to another subreaper, or an exit was missed. Check each.
	 */
	lineage__for_each_proc(rs->lt, JOB_ID, check_stale, &sc);
	rs->job.stale += sc.stale;
	return sc.live == 0 && sc.stale > 0;
}

static int write_report(struct run_state *rs, const struct run_config *cfg)
{
	FILE *f = stderr;
	int err;

	if (cfg->output) {
		f = fopen(cfg->output, "w");
		if (!f) {
			err = -errno;
			fprintf(stderr, "jobtrace: cannot write the report to %s: %s\n",
				cfg->output, strerror(-err));
			return err;
		}
	}
	err = cfg->json ? report__write_json(f, &rs->job, cfg->top) :
			  report__write_text(f, &rs->job, cfg->top);
	if (f != stderr && fclose(f) && !err)
		err = -errno;
	if (err)
		fprintf(stderr, "jobtrace: cannot write the report: %s\n", strerror(-err));
	return err;
}

/* Forks the child, registers it, lets it exec; the exit status on failure. */
static int start_job(struct run_state *rs, const struct run_config *cfg, const sigset_t *mask)
{
	int go[2], errp[2], err, exec_errno;
	ssize_t n;
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		fprintf(stderr, "jobtrace: cannot create a pipe: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	rs->job.start_ns = util__now_ns();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "jobtrace: cannot fork: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	if (pid == 0) {
		close(go[1]);
		close(errp[0]);
		exec_child(cfg->argv, go[0], errp[1], mask);
	}
	close(go[0]);
	close(errp[1]);
	rs->job.root_pid = pid;
	rs->children_left = true;

	err = lineage__add_job(rs->lt, JOB_ID, pid);
	if (err) {
		fprintf(stderr, "jobtrace: cannot register the job's root (pid %d): %s\n", pid,
			strerror(-err));
		close(go[1]); /* the child exits without running the command */
		close(errp[0]);
		waitpid(pid, NULL, 0);
		return EXIT_INTERNAL;
	}
	root_pid_for_signals = pid;
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
	struct lineage_opts lopts = cfg->lineage;
	struct epoll_event ev = { .events = EPOLLIN };
	struct run_state rs = { .proc_fd = -1 };
	struct meminfo mi;
	int epfd = -1, ret, err;
	sigset_t waitmask;

	job__init(&rs.job, JOB_ID, cfg->argv, cfg->argc);
	lopts.on_exit = on_exit_record;
	lopts.ctx = &rs;
	/* Orphans of the job are reparented to us, so we reap and count them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		fprintf(stderr, "jobtrace: cannot become a child subreaper: %s\n", strerror(errno));
		return EXIT_INTERNAL;
	}
	err = install_handlers(&waitmask);
	if (err) {
		fprintf(stderr, "jobtrace: cannot install signal handlers: %s\n", strerror(-err));
		return EXIT_INTERNAL;
	}
	rs.lt = lineage__open(&lopts);
	if (!rs.lt)
		return EXIT_INTERNAL;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = lineage__ring_fd(rs.lt);
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev)) {
		fprintf(stderr, "jobtrace: cannot set up epoll: %s\n", strerror(errno));
		ret = EXIT_INTERNAL;
		goto out;
	}

	rs.proc_fd = util__open_dir("/proc");
	if (rs.proc_fd >= 0 && !meminfo__read(rs.proc_fd, &mi))
		rs.job.host_mem_bytes = mi.total_bytes;

	ret = start_job(&rs, cfg, &waitmask);
	if (ret)
		goto out;
	rs.next_sample_ns = rs.job.start_ns + (__u64)(cfg->interval_s * 1e9);

	for (;;) {
		struct epoll_event events[4];
		int n = epoll_pwait(epfd, events, ARRAY_SIZE(events), TICK_MS, &waitmask);

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "jobtrace: epoll: %s\n", strerror(errno));
			ret = EXIT_INTERNAL;
			break;
		}
		lineage__consume(rs.lt);
		reap(&rs);
		if (job_done(&rs, cfg))
			break;
		if (cfg->interval_s > 0 && rs.proc_fd >= 0 && util__now_ns() >= rs.next_sample_ns) {
			sample_live(&rs, cfg);
			rs.next_sample_ns += (__u64)(cfg->interval_s * 1e9);
		}
		/* A second interrupt: stop waiting for what outlives the root. */
		if (signals_seen >= 2 && rs.job.root_exited && rs.job.stats.outlived_root >= 0)
			break;
	}
	if (ret == 0) {
		rs.job.end_ns = util__now_ns();
		lineage__consume(rs.lt);
		/* Members still alive (--no-wait), sampled before the totals are read. */
		if (rs.proc_fd >= 0 &&
		    !job_live__sample(rs.lt, JOB_ID, rs.proc_fd, cfg->pss,
				      rs.last_live.sampled_ns ? &rs.last_live : NULL, &rs.live))
			rs.job.live = &rs.live;
		if (cfg->workdir) {
			err = workdir__usage(cfg->workdir, &rs.workdir);
			if (err)
				fprintf(stderr, "jobtrace: cannot measure %s: %s\n", cfg->workdir,
					strerror(-err));
			else {
				rs.job.workdir = &rs.workdir;
				rs.job.workdir_path = cfg->workdir;
			}
		}
		lineage__job_stats(rs.lt, JOB_ID, &rs.job.stats);
		lineage__counters(rs.lt, &rs.job.counters);
		ret = job__exit_code(rs.job.root_status);
		if (write_report(&rs, cfg) && ret == 0)
			ret = EXIT_INTERNAL;
	}
out:
	if (epfd >= 0)
		close(epfd);
	if (rs.proc_fd >= 0)
		close(rs.proc_fd);
	lineage__free(rs.lt);
	job__free(&rs.job);
	return ret;
}
