// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The collector: the job table, the samplers, the loop, and the records it
 * hands to sinks. See include/jobtrace/collector.h.
 *
 * A job's CPU at a sample is the kernel's total for its exited threads plus
 * what the live iterator reads of its live ones. The totals are read first,
 * then the live tasks: a thread that closes in between is missed once, never
 * counted twice, so the sum can only lag. The collector keeps each job's
 * cumulative figures monotone; intervals are their differences, so they add
 * up to the final report exactly, none negative.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/args_table.h"
#include "jobtrace/cgroup_names.h"
#include "jobtrace/cgroupfs.h"
#include "jobtrace/collector.h"
#include "jobtrace/host.h"
#include "jobtrace/job_table.h"
#include "jobtrace/meminfo.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/proc_stat.h"
#include "jobtrace/repair.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#include "collector_priv.h"

void **collector__source_priv(struct collector *c)
{
	return &c->source_priv;
}

__u64 *collector__malformed_counter(struct collector *c)
{
	return &c->records_malformed;
}

const char *collector__source_name(const struct collector *c)
{
	return c->ops->name;
}

/*
 * The clocks' offsets the records of the next pass are stamped with. The
 * clocks are read between two reads of the monotonic one, and the closest
 * of a few tries is kept: a preemption between two reads moved the offset
 * by 390 us on a loaded host, and one interval's start by as much from
 * where the one before it ended.
 */
static void take_clocks(struct collector *c)
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

int collector__set_mode(struct collector_opts *opts, const char *mode)
{
	if (!mode || !strcmp(mode, "auto")) {
		opts->ops = NULL;
		opts->fallback_proc = true;
	} else if (!strcmp(mode, "bpf")) {
		opts->ops = &source_bpf_ops;
		opts->fallback_proc = false;
	} else if (!strcmp(mode, "proc")) {
		opts->ops = &source_proc_ops;
		opts->fallback_proc = false;
	} else if (!strcmp(mode, "rusage")) {
		opts->ops = &source_rusage_ops;
		opts->fallback_proc = false;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* Errors that say BPF cannot be used here, rather than that jobtrace is wrong. */
static bool bpf_unavailable(int err)
{
	return err == -EPERM || err == -EACCES || err == -ENOSYS || err == -ENOTSUP ||
	       err == -EOPNOTSUPP || err == -ENOENT;
}

/*
 * The one place that picks the event source: the one asked for, or BPF and,
 * where it cannot load (no CAP_BPF/CAP_PERFMON, no BTF, a container that
 * forbids bpf(2)), the proc connector, saying so: the report says it too.
 * run goes on where the connector is refused as well (a kernel that keeps it
 * to CAP_NET_ADMIN, a container): to the rusage source, which cannot fail,
 * so a job run can start is never refused for want of a way to watch it.
 */
static int collector__open_source(struct collector *c)
{
	bool auto_mode = c->opts.fallback_proc;
	int err = c->ops->open(c, &c->source_opts);

	if (!err || !auto_mode)
		return err;
	if (c->ops == &source_bpf_ops && (bpf_unavailable(err) || c->opts.fallback_rusage)) {
		fprintf(stderr, "jobtrace: BPF is not available (%s): falling back to proc mode "
				"(the netlink proc connector and /proc), which can miss short-lived "
				"children's CPU; see WITHOUT BPF in jobtrace(8)\n",
			strerror(-err));
		c->ops = &source_proc_ops;
		err = c->ops->open(c, &c->source_opts);
		if (!err)
			return 0;
	}
	if (!c->opts.fallback_rusage)
		return err;
	fprintf(stderr, "jobtrace: the proc connector is not available either (%s): running the "
			"job in rusage mode (jobtrace as its parent and subreaper: its status and "
			"its tree's CPU exact, its process counts unknown); see WITHOUT BPF in "
			"jobtrace(8)\n",
		strerror(-err));
	c->ops = &source_rusage_ops;
	return c->ops->open(c, &c->source_opts);
}

struct collector *collector__new(const struct collector_opts *opts)
{
	struct collector *c = calloc(1, sizeof(*c));
	struct meminfo mi;
	sigset_t mask;
	int err;

	if (!c)
		return NULL;
	c->opts = *opts;
	c->opts.follow_hier = NULL; /* read here only */
	collector__source_opts(opts, &c->source_opts);
	if (opts->grouping.group == COLLECTOR_GROUP_CGROUP)
		c->hier = &c->opts.grouping.hier;
	/* The kernel names a v1 cgroup only where host mode groups by that hierarchy. */
	if (opts->events)
		cgroup_names__init(&c->cgnames, c->hier);
	if (c->hier)
		cgroupfs__name(c->hier, c->hier_name, sizeof(c->hier_name));
	c->ops = opts->ops ? opts->ops : &source_bpf_ops;
	c->epfd = c->timerfd = c->sigfd = -1;
	c->page_size = (__u64)sysconf(_SC_PAGESIZE);
	c->proc_fd = util__open_dir("/proc");
	c->sys_fd = util__open_dir("/sys");
	if (c->proc_fd >= 0 && !meminfo__read(c->proc_fd, &mi))
		c->mem_total_bytes = mi.total_bytes;
	host_sampler__init(&c->hs, c->proc_fd, c->sys_fd);
	c->hs.want = HOST_WANT_INTERVAL;
	c->start_ns = util__now_ns();
	repair__init(&c->repair, REPAIR_PERIOD_NS, c->start_ns);
	take_clocks(c);
	oom_resolver__init(&c->oom);
	/*
	 * The host's base is read where the jobs found at the attach begin
	 * their first interval (start_ns, before the attach): the host's first
	 * record spans the same time as theirs, so theirs cannot outrun it.
	 */
	if (opts->host_records) {
		collector__take_host(c, c->start_ns);
		collector__emit_host(c);
	}
	/*
	 * The loop takes its signals from a signalfd: block them now, before
	 * run forks its command (which restores @old_mask before it execs).
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &c->old_mask);
	err = collector__open_source(c);
	if (err) {
		collector__free(c);
		errno = -err;
		return NULL;
	}
	c->source_open = true;
	return c;
}

void collector__free(struct collector *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsinks; i++)
		sink__free(c->sinks[i]);
	if (c->source_open)
		c->ops->close(c);
	job_table__free(&c->jt);
	args_table__free(&c->args);
	cgroup_names__fini(&c->cgnames);
	oom_resolver__fini(&c->oom);
	repair__free(&c->repair);
	host__free(&c->hsamp[0]);
	host__free(&c->hsamp[1]);
	if (c->sys_fd >= 0)
		close(c->sys_fd);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->timerfd >= 0)
		close(c->timerfd);
	if (c->sigfd >= 0)
		close(c->sigfd);
	sigprocmask(SIG_SETMASK, &c->old_mask, NULL);
	if (c->proc_fd >= 0)
		close(c->proc_fd);
	free(c);
}

int collector__add_sink(struct collector *c, struct sink *s)
{
	if (!s)
		return -ENOMEM;
	if (c->nsinks == MAX_SINKS) {
		sink__free(s);
		return -E2BIG;
	}
	c->sinks[c->nsinks++] = s;
	if (s->ops->live)
		c->want_live = true;
	return 0;
}

/* ---- a front's fds, signals and interval ---- */

int collector__add_fd(struct collector *c, int fd, __u32 events, collector_fd_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (c->nfds == MAX_FDS)
		return -EMFILE;
	if (c->epfd >= 0 && epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	c->fds[c->nfds++] = (struct extra_fd){ .fd = fd, .events = events, .fn = fn, .ctx = ctx };
	return 0;
}

int collector__remove_fd(struct collector *c, int fd)
{
	for (size_t i = 0; i < c->nfds; i++) {
		if (c->fds[i].fd != fd)
			continue;
		if (c->epfd >= 0)
			epoll_ctl(c->epfd, EPOLL_CTL_DEL, fd, NULL);
		c->fds[i] = c->fds[--c->nfds];
		return 0;
	}
	return -ENOENT;
}

int collector__add_signal(struct collector *c, int signo, void (*fn)(void *ctx, int signo),
			  void *ctx)
{
	sigset_t mask;

	if (c->nsigs == MAX_SIGNALS || c->epfd >= 0)
		return c->nsigs == MAX_SIGNALS ? -E2BIG : -EBUSY;
	sigemptyset(&mask);
	sigaddset(&mask, signo);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	c->sigs[c->nsigs++] = (struct extra_signal){ .signo = signo, .fn = fn, .ctx = ctx };
	return 0;
}

static int arm_timer(struct collector *c)
{
	__u64 tick = c->root_job ? RUN_TICK_NS : WATCH_TICK_NS;
	struct itimerspec its = {};

	if (c->interval_ns && c->interval_ns < tick)
		tick = c->interval_ns;
	c->tick_ns = tick;
	its.it_interval.tv_sec = (time_t)(tick / 1000000000ULL);
	its.it_interval.tv_nsec = (long)(tick % 1000000000ULL);
	its.it_value = its.it_interval;
	return timerfd_settime(c->timerfd, 0, &its, NULL) ? -errno : 0;
}

int collector__set_interval(struct collector *c, double seconds)
{
	if (!(seconds > 0))
		return -EINVAL;
	c->opts.interval_s = seconds;
	c->interval_ns = (__u64)(seconds * 1e9);
	c->next_interval_ns = util__now_ns() + c->interval_ns;
	return c->timerfd >= 0 ? arm_timer(c) : 0;
}

double collector__interval(const struct collector *c)
{
	return c->opts.interval_s;
}

void collector__stop(struct collector *c)
{
	c->stopping = true;
}

void collector__sample_soon(struct collector *c)
{
	c->sample_soon = true;
}

/* ---- the job table ---- */

struct cjob *collector__find_job(struct collector *c, __u64 id)
{
	return job_table__find(&c->jt, id);
}

struct cjob *collector__add_job(struct collector *c, __u64 id, const char *key,
				enum cjob_end end_rule)
{
	struct cjob *j = job_table__add(&c->jt, id, key, end_rule);

	/* What the source cannot see is known from the start: intervals write it as null too. */
	if (j) {
		j->job.unknown = c->ops->unknown;
		j->job.sampled = (__u16)c->ops->sampled;
		j->host_mem_bytes = c->mem_total_bytes;
		/* No task yet, none begun or joined: the bound of its CPU starts from there. */
		j->reported_tasks_known = c->ops->live_per_task;
	}
	return j;
}

/* user:NAME as the host's passwd names the uid, else user:UID. */
static void user_key(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *found = NULL;
	char scratch[1024];

	if (!getpwuid_r(uid, &pw, scratch, sizeof(scratch), &found) && found)
		snprintf(buf, size, "user:%s", pw.pw_name);
	else
		snprintf(buf, size, "user:%u", (unsigned int)uid);
}

/* The name of a job the kernel made (host mode), from its id. */
static void host_job_key(struct collector *c, __u64 id, char *buf, size_t size)
{
	__u64 v = JT_JOB_VALUE(id);
	char comm[32] = "";
	char path[64];
	char path_buf[256];

	switch (JT_JOB_KIND(id)) {
	case JT_JOB_CGROUP:
		/* A cgroup removed already keeps its number: better than no name. */
		if (c->hier && !cgroupfs__path_of_id(c->hier, v, path_buf, sizeof(path_buf)))
			snprintf(buf, size, "cgroup:%s", path_buf);
		else
			snprintf(buf, size, "cgroup:#%" PRIu64, (uint64_t)v);
		return;
	case JT_JOB_TREE:
		/* A session is named by its id alone, as ps -s and loginctl name it. */
		if (JT_JOB_SHARE(id) == JT_SHARE_SESSION) {
			snprintf(buf, size, "session:%u", JT_JOB_PID(id));
			return;
		}
		if (JT_JOB_SHARE(id) == JT_SHARE_USER) {
			user_key((uid_t)(id & 0xffffffffU), buf, size);
			return;
		}
		snprintf(path, sizeof(path), "%u/comm", (unsigned int)(v & ((1U << 22) - 1)));
		if (c->proc_fd >= 0 && util__read_file_at(c->proc_fd, path, comm, sizeof(comm)) > 0)
			comm[strcspn(comm, "\n")] = '\0';
		snprintf(buf, size, "tree:%u%s%s", (unsigned int)(v & ((1U << 22) - 1)),
			 comm[0] ? ":" : "", comm);
		return;
	default:
		snprintf(buf, size, "job:%" PRIu64, (uint64_t)id);
	}
}

/* Host-mode jobs appear in the kernel first: the table learns them here. */
struct cjob *collector__job_of_record(struct collector *c, __u64 id)
{
	struct cjob *j = collector__find_job(c, id);
	char key[300];

	/* The front makes its own jobs (and serve --control its adopted ones). */
	if (j || JT_JOB_KIND(id) == JT_JOB_USER || JT_JOB_KIND(id) == JT_JOB_ADOPTED)
		return j;
	host_job_key(c, id, key, sizeof(key));
	j = collector__add_job(c, id, key, CJOB_END_EMPTY);
	if (!j)
		return NULL;
	j->job.mode = "host";
	j->job.attached = true;
	/*
	 * The kernel made it after our last sample read its jobs (else that
	 * sample would have found it), or it was found at the attach: its
	 * first interval starts there, not now, so what it did before we saw
	 * it is divided by a time it fits in, never by the instant since.
	 */
	j->job.start_ns = c->last_sample_ns ? c->last_sample_ns : c->start_ns;
	j->reported_ns = j->job.start_ns;
	if (JT_JOB_KIND(id) == JT_JOB_CGROUP && !strncmp(j->key, "cgroup:/", 8))
		j->job.cgroup = j->key + 7;
	j->job.hierarchy = c->hier_name[0] ? c->hier_name : NULL;
	return j;
}

int collector__on_exec(struct collector *c, const struct jt_exec_event *e)
{
	/* Without memory this process's arguments stay unknown; nothing else is lost. */
	args_table__put(&c->args, e->pid, e->start_ns, e->args, e->args_len, e->truncated, e->exe,
			sizeof(e->exe));
	/* Only a sink that publishes execs (the stream) may make a job appear here. */
	for (size_t i = 0; c->opts.events && i < c->nsinks; i++) {
		struct exec_record r = { .e = e, .epoch_ns = util__now_ns() + c->stats.mono_to_epoch_ns };
		struct sink *s = c->sinks[i];

		if (!s->ops->exec || s->err)
			continue;
		r.job = collector__job_of_record(c, e->job_id);
		if (r.job)
			s->ops->exec(s, &r);
	}
	return 0;
}

/* Only serve asks for fork records (lineage_opts.fork_records): they go to the sinks alone. */
int collector__on_fork(struct collector *c, const struct jt_fork_event *e)
{
	struct fork_record r = { .e = e, .job = collector__job_of_record(c, e->job_id) };

	if (!r.job) {
		c->stats.records_unknown_job++;
		return 0;
	}
	if (c->opts.events) {
		r.cgroup = cgroup_names__get(&c->cgnames, e->cgroup_id);
		r.cgroup_hierarchy = cgroup_names__hierarchy(&c->cgnames);
		r.start_epoch_ns = e->start_ns + c->stats.boot_to_epoch_ns;
	}
	for (size_t i = 0; c->opts.events && i < c->nsinks; i++) {
		struct sink *s = c->sinks[i];

		if (s->ops->fork && !s->err)
			s->ops->fork(s, &r);
	}
	return 0;
}

int collector__on_attach(struct collector *c, const struct jt_attach_rec *r)
{
	char buf[JT_ARGS_LEN + 1], path[JT_EXE_LEN];
	struct proc_link exe;
	ssize_t n;

	/*
	 * Its exec was before the attach: /proc has what the exec record would
	 * have, under the number our pid namespace gives it (none: not ours to see).
	 */
	if (!r->new_process || c->proc_fd < 0 || !r->reader_tgid || c->opts.source.no_args)
		return 0;
	/* As the exec record: the first JT_ARGS_LEN bytes, and whether there were more. */
	n = proc_pid__read_args(c->proc_fd, (int)r->reader_tgid, buf, sizeof(buf));
	/* n <= 0: gone already, or a kernel thread's: its arguments stay unknown. */
	if (n <= 0)
		return 0;
	/* The path an exec record would have carried, cut by its rule. */
	if (proc_pid__read_exe(c->proc_fd, (int)r->reader_tgid, &exe))
		exe.len = 0;
	if (exe.len)
		proc_link__exe(&exe, path, sizeof(path));
	args_table__put(&c->args, r->tgid, r->start_ns, buf,
			(size_t)n > JT_ARGS_LEN ? JT_ARGS_LEN : (size_t)n, n > JT_ARGS_LEN,
			exe.len ? path : NULL, sizeof(path));
	return 0;
}

/* What the source holds of the cgroup an OOM kill's record names, into @buf; NULL: nothing. */
static const struct jt_oom_cgroup *oom_seen(struct collector *c, const struct jt_exit_event *e,
					    struct jt_oom_cgroup *buf)
{
	struct jt_proc_key key = { .tgid = e->pid, .start_ns = e->start_ns };

	if (!(e->flags & JT_F_OOM_KILLED) || !(e->flags & JT_F_OOM_LIMIT) || !c->ops->oom_cgroup ||
	    c->ops->oom_cgroup(c, &key, buf))
		return NULL;
	return buf;
}

int collector__on_exit(struct collector *c, const struct jt_exit_event *e)
{
	struct args_entry *own = args_table__take(&c->args, e->pid, e->start_ns);
	struct proc_record r = { .e = e };
	struct cjob *j = collector__job_of_record(c, e->job_id);
	struct jt_oom_cgroup seen;
	struct job_oom oom;
	const struct args_entry *parent;
	if (!j) {
		c->stats.records_unknown_job++;
		free(own);
		return 0;
	}
	if (job__add_exit(&j->job, e))
		c->stats.add_exit_errors++;
	/*
	 * watch --pid: the root's record is how its status is known. run
	 * learns its command's from waitpid (reap()), which alone says it was
	 * reaped and stops the signals passed on; the record, before or after
	 * the wait, gives only its time: the kernel's, as the tree's end is,
	 * not when we got round to the wait. Boottime in the record, it
	 * becomes CLOCK_MONOTONIC as the job's other times are.
	 */
	if (e->is_root && j == c->root_job) {
		j->job.root_end_ns = collector__mono_of_boottime(e->exit_ns);
	} else if (e->is_root && !j->job.root_exited) {
		j->job.root_exited = true;
		j->job.root_status = (int)e->exit_status;
		j->job.root_end_ns = collector__mono_of_boottime(e->exit_ns);
	}
	if (own) {
		r.args = own->data;
		r.args_len = own->len;
		r.args_truncated = own->truncated;
		r.exe = own->exe_len ? args_entry__exe(own) : NULL;
	} else {
		/*
		 * It never exec'd: it ran its nearest exec'd ancestor's program,
		 * with its arguments; the kernel says which (a subshell of a
		 * subshell's is not its parent). Else its parent's.
		 */
		parent = NULL;
		if (e->args_src_pid)
			parent = args_table__find(&c->args, e->args_src_pid, e->args_src_start_ns);
		if (!parent)
			parent = args_table__find(&c->args, e->ppid, e->parent_start_ns);
		if (parent) {
			r.args = parent->data;
			r.args_len = parent->len;
			r.args_truncated = parent->truncated;
			r.args_inherited = true;
			r.exe = parent->exe_len ? args_entry__exe(parent) : NULL;
		}
	}
	if (oom_resolver__attribute(&c->oom, e, oom_seen(c, e, &seen), &oom))
		r.oom = &oom;
	job__note_failure(&j->job, e, r.args, r.args_len, r.oom);
	if (c->opts.events) {
		r.job = j;
		r.cgroup = cgroup_names__get(&c->cgnames, e->cgroup_id);
		r.cgroup_hierarchy = cgroup_names__hierarchy(&c->cgnames);
		r.start_epoch_ns = e->start_ns + c->stats.boot_to_epoch_ns;
		r.end_epoch_ns = e->exit_ns + c->stats.boot_to_epoch_ns;
		r.start_epoch_s = (double)r.start_epoch_ns / 1e9;
		r.end_epoch_s = (double)r.end_epoch_ns / 1e9;
		for (size_t i = 0; i < c->nsinks; i++) {
			struct sink *s = c->sinks[i];

			if (s->ops->process && !s->err)
				s->ops->process(s, &r);
		}
	}
	free(own);
	return 0;
}

/* ---- run's root ---- */

int collector__set_root(struct collector *c, struct cjob *j, pid_t pid)
{
	int err;

	err = c->ops->add_root(c, j->id, pid);
	if (err)
		return err;
	c->root_job = j;
	c->root_pid = pid;
	c->children_left = true;
	j->job.root_pid = pid;
	/*
	 * What its cgroups allot it, read now, where it is known: the child
	 * waits for its go, alive, in the cgroups it starts in (run's own).
	 * At the first sample a short command may be exiting already, and an
	 * exiting task has no cgroups to read in a v1 hierarchy.
	 */
	collector__read_alloc(j, pid);
	return 0;
}

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

const sigset_t *collector__child_sigmask(const struct collector *c)
{
	return &c->old_mask;
}

int collector__attach_existing(struct collector *c)
{
	int err = c->ops->attach_existing(c);

	if (!err)
		c->attached_ns = util__now_ns();
	return err;
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
	err = arm_timer(c);
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
	take_clocks(c);
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
		int n;

		n = epoll_wait(c->epfd, events, 16, -1);
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
		 * their ends (their last exits, before the tick).
		 */
		if (interval)
			collector__emit_intervals(c, c->last_sample_ns);
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
	collector__judge_ends(c, true);
	collector__end_jobs(c);
	/* A pass left by its second interrupt: its tick's host record, after its jobs' ends. */
	collector__emit_host(c);
	/* Now, not in collector__free(): a write that fails must reach the stats. */
	flush_sinks(c);
	return 0;
}

void collector__stats(struct collector *c, struct collector_stats *out)
{
	struct collector_stats s = c->stats;

	c->ops->counters(c, &s.kernel);
	s.records_malformed = c->records_malformed;
	s.sink_errors = 0;
	s.first_sink_error = 0;
	for (size_t i = 0; i < c->nsinks; i++) {
		const struct sink *sk = c->sinks[i];

		/* A sink that dropped records and wrote again still lost them. */
		if (sk->err || sk->dropped) {
			s.sink_errors++;
			if (!s.first_sink_error)
				s.first_sink_error = sk->err ? sk->err : sk->drop_err;
		}
	}
	*out = s;
}
