// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The collector's loop: one epoll over the source's fd, the timer, a signalfd
 * and the fronts' fds; run's reaping; the clocks each pass's records carry.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/collector.h"
#include "jobtrace/job_table.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#include "collector_priv.h"

/*
 * The clocks' offsets the records of the next pass are stamped with. The
 * clocks are read between two reads of the monotonic one, and the closest
 * of a few tries is kept: a preemption between two reads moved the offset
 * by 390 us on a loaded host, and one interval's start by as much from
 * where the one before it ended.
 */
void collector__take_clocks(struct collector *c)
{
	__u64 best = ~0ULL;

	for (int i = 0; i < 4 && best > 20000; i++) {
		__u64 m0 = util__now_ns(), real = util__realtime_ns(), boot = util__boottime_ns();
		__u64 m1 = util__now_ns();

		if (m1 - m0 >= best)
			continue;
		best = m1 - m0;
		c->stats.boot_to_epoch_ns = real - boot;
		c->stats.mono_to_epoch_ns = real - (m0 + (m1 - m0) / 2);
	}
}

/* ---- run's reaping ---- */

/*
 * Where the source sees no exits (rusage mode), what we reap is all that is
 * known of them: a failed one goes to the report's failure list, named by
 * the comm its zombie still has, read before the wait takes it away.
 */
static void reaped_comm(struct collector *c, pid_t pid, char comm[JT_COMM_LEN])
{
	struct proc_stat_fields st;

	memset(comm, 0, JT_COMM_LEN);
	if (c->proc_fd >= 0 && !proc_pid__read_stat(c->proc_fd, pid, &st))
		memcpy(comm, st.comm, JT_COMM_LEN < sizeof(st.comm) ? JT_COMM_LEN : sizeof(st.comm));
	comm[JT_COMM_LEN - 1] = '\0';
}

/* We are the job's subreaper: reap everything, note the root's status. */
static void reap(struct collector *c)
{
	bool blind = c->root_job && (c->ops->unknown & JOB_UNKNOWN_COUNTS);
	struct jt_exit_event e;
	siginfo_t si;
	int status;
	pid_t pid;

	for (;;) {
		/* WNOWAIT first: the zombie's /proc entry is still there to read. */
		si.si_pid = 0;
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT)) {
			if (errno == EINTR)
				continue;
			c->children_left = false; /* ECHILD */
			return;
		}
		if (si.si_pid == 0)
			return;
		memset(&e, 0, sizeof(e));
		e.uid = e.gid = JT_ID_UNKNOWN;
		if (blind)
			reaped_comm(c, si.si_pid, e.comm);
		if (c->ops->reaping)
			c->ops->reaping(c, si.si_pid);
		pid = waitpid(si.si_pid, &status, 0);
		if (pid < 0)
			continue;
		if (!c->root_job)
			continue;
		job__note_reaped(&c->root_job->job, status);
		if (blind) {
			e.pid = (__u32)pid;
			e.exit_status = (__u32)status;
			job__note_failure(&c->root_job->job, &e, NULL, 0, NULL);
		}
		if (pid == c->root_pid) {
			c->root_job->job.root_exited = true;
			c->root_job->job.root_status = status;
			/*
			 * Its record came first (it is sent at the exit's last
			 * switch, which may be before or after the wait returns),
			 * or none will (rusage mode, a lost record): then now,
			 * which job_figures() keeps within the tree's end.
			 */
			if (!c->root_job->job.root_end_ns)
				c->root_job->job.root_end_ns = util__now_ns();
		}
	}
}

/* ---- the loop ---- */

static int loop_setup(struct collector *c)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGCHLD);
	for (size_t i = 0; i < c->nsigs; i++)
		sigaddset(&mask, c->sigs[i].signo);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	c->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->epfd < 0 || c->timerfd < 0 || c->sigfd < 0)
		return -errno;
	err = collector__arm_timer(c);
	if (err)
		return err;
	/* A source without records (rusage) has no fd: the timer and SIGCHLD wake us. */
	ev.data.fd = c->ops->fd(c);
	if (ev.data.fd >= 0 && epoll_ctl(c->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	ev.data.fd = c->timerfd;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->timerfd, &ev))
		return -errno;
	ev.data.fd = c->sigfd;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->sigfd, &ev))
		return -errno;
	for (size_t i = 0; i < c->nfds; i++) {
		ev.events = c->fds[i].events;
		ev.data.fd = c->fds[i].fd;
		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->fds[i].fd, &ev))
			return -errno;
	}
	return 0;
}

/*
 * A signal typed at the terminal reaches the whole foreground process group,
 * the job included; one sent with kill(2) reaches only us, so pass it on.
 */
static void on_signals(struct collector *c)
{
	struct signalfd_siginfo si;

	while (read(c->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		bool front = false;

		if (si.ssi_signo == SIGCHLD)
			continue;
		for (size_t i = 0; i < c->nsigs; i++) {
			if (c->sigs[i].signo == (int)si.ssi_signo) {
				c->sigs[i].fn(c->sigs[i].ctx, (int)si.ssi_signo);
				front = true;
			}
		}
		if (front)
			continue;
		c->signals++;
		if (c->root_job) {
			if (!c->root_job->job.root_exited && si.ssi_code <= 0)
				kill(c->root_pid, (int)si.ssi_signo);
		} else {
			c->stopping = true;
		}
	}
}

static void on_front_fd(struct collector *c, int fd, __u32 events)
{
	for (size_t i = 0; i < c->nfds; i++) {
		if (c->fds[i].fd == fd) {
			c->fds[i].fn(c->fds[i].ctx, fd, events);
			return;
		}
	}
}

static void flush_sinks(struct collector *c)
{
	for (size_t i = 0; i < c->nsinks; i++)
		if (c->sinks[i]->ops->flush)
			c->sinks[i]->ops->flush(c->sinks[i]);
	/* The next pass's records take their clocks from here. */
	collector__take_clocks(c);
}

int collector__run(struct collector *c)
{
	__u64 deadline = 0;
	bool done, ticked, sampled, interval;
	int err;

	c->interval_ns = (__u64)(c->opts.interval_s * 1e9);
	err = loop_setup(c);
	if (err)
		return err;
	if (c->opts.duration_s > 0)
		deadline = c->start_ns + (__u64)(c->opts.duration_s * 1e9);
	collector__sample_jobs(c, c->opts.host_records && !c->have_prev_host);
	collector__emit_host(c);
	c->next_interval_ns = util__now_ns() + c->interval_ns;

	while (!c->stopping) {
		struct epoll_event events[16];
		__u64 now, expirations;
		int n, timeout_ms = -1;

		/*
		 * Up to the deadline at most, not the next tick's wakeup: watch
		 * --duration 0.3 between ticks of 1 s ran for 1 s.
		 */
		if (deadline) {
			__u64 left_ms;

			now = util__now_ns();
			left_ms = now >= deadline ? 0 : (deadline - now + 999999) / 1000000;
			timeout_ms = left_ms > 3600000 ? 3600000 : (int)left_ms; /* waits again after */
		}
		n = epoll_wait(c->epfd, events, 16, timeout_ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		ticked = false;
		for (int i = 0; i < n; i++) {
			if (events[i].data.fd == c->sigfd) {
				on_signals(c);
			} else if (events[i].data.fd == c->timerfd) {
				while (read(c->timerfd, &expirations, sizeof(expirations)) > 0)
					;
				ticked = true;
			} else {
				on_front_fd(c, events[i].data.fd, events[i].events);
			}
		}
		c->ops->consume(c);
		if (c->root_job)
			reap(c);
		now = util__now_ns();
		if (deadline && now >= deadline)
			break;
		/*
		 * Intervals are the timer's: a tick half a tick early is the
		 * interval's, and a wakeup for records is never one.
		 */
		sampled = false;
		c->ends_read = false;
		interval = c->interval_ns && ticked && now + c->tick_ns / 2 >= c->next_interval_ns;
		if (interval) {
			collector__sample_jobs(c, c->opts.host_records);
			sampled = true;
			while (c->next_interval_ns <= now + c->tick_ns / 2)
				c->next_interval_ns += c->interval_ns;
		} else if (c->root_job ? c->root_job->job.root_exited || (ticked && c->ops->polled) :
					 ticked || c->sample_soon) {
			/*
			 * Samples walk every task: watch takes them on its timer, not
			 * on every batch of records a busy host wakes it for; run
			 * needs them only once its root is gone, and then at once.
			 */
			collector__sample_jobs(c, false);
			sampled = true;
		}
		c->sample_soon = false;
		/* Ends are judged on fresh samples only: "two empty samples in a row" counts samples. */
		if (sampled)
			collector__judge_ends(c, false);
		/*
		 * The tick's intervals, but for the jobs found over at its
		 * sample: their ends, below, send their last intervals, to
		 * their ends (their last exits, before the tick). Their
		 * figures are read again first, with every record in: the
		 * tick's room is made for all they send, not for what the
		 * sample had of it; the open jobs' figures and the host's are
		 * read with theirs, so the tick's records span one instant.
		 */
		if (interval) {
			collector__read_ends(c, c->opts.host_records);
			collector__emit_intervals(c, c->last_sample_ns);
		}
		/* A second interrupt: stop waiting for what outlives the root. */
		if (c->root_job && c->signals >= 2 && c->root_job->job.root_exited)
			break;
		done = sampled && collector__end_jobs(c);
		/*
		 * The host record closes its tick's records: those of the jobs
		 * found over at its sample come before it, their last intervals
		 * (to their ends, before the tick) and their reports, as the
		 * tick's intervals of the jobs that go on do.
		 */
		collector__emit_host(c);
		/*
		 * What this pass wrote reaches the files now: host mode runs for
		 * days, and a job's report or a process record must not wait in
		 * a buffer until the next interval, or the exit.
		 */
		flush_sinks(c);
		if (done)
			return 0;
	}
	/* Stopped (a signal, --duration): every job still open reports as it stands. */
	c->final_pass = true;
	collector__judge_ends(c, true);
	collector__end_jobs(c);
	/*
	 * A pass left by its second interrupt: its tick's host record, after
	 * its jobs' ends. Else the host over the time since the last record,
	 * which the jobs' last intervals span too: watch --all -i 1
	 * --duration 10 gave the jobs ten intervals and the host nine.
	 */
	if (c->host_taken || !c->opts.host_record_at_stop)
		collector__emit_host(c);
	else
		collector__emit_host_now(c);
	/* Now, not in collector__free(): a write that fails must reach the stats. */
	flush_sinks(c);
	return 0;
}
