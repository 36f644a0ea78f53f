// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The collector's samples: every job's kernel totals, then the live tasks
 * (in that order: a thread that closes in between is missed once, never
 * counted twice), the repair sweep on the same read, the interval records
 * that are differences of two samples, and the host record. The loop that
 * calls them is in collector.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/cgroup_alloc.h"
#include "jobtrace/cgroup_names.h"
#include "jobtrace/collector.h"
#include "jobtrace/host.h"
#include "jobtrace/job_table.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/repair.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#include "collector_priv.h"

struct live_ctx {
	struct collector *c;
	struct cjob *last_job; /* a job's tasks come in runs: skip the lookup */
	__u64 now;
	bool sweep; /* the repair sweep takes this read's processes */
};

static int on_live(void *ctx, const struct jt_live_rec *r)
{
	struct live_ctx *lc = ctx;
	struct collector *c = lc->c;
	struct cjob *j = lc->last_job && lc->last_job->id == r->job_id ? lc->last_job :
										collector__job_of_record(c, r->job_id);
	__u64 page = c->page_size;

	/* Any live task backs its process, of a job the table knows or not. */
	if (lc->sweep)
		repair__note_live(&c->repair, r->tgid, r->start_ns);
	if (!j)
		return 0;
	lc->last_job = j;
	if (c->want_live) {
		struct live_record lr = { .r = r, .job = j, .sampled_ns = lc->now };
		struct proc_stat_fields st;

		/* /proc numbers it as our pid namespace does: the host's tgid may be another's. */
		if (r->is_leader && c->proc_fd >= 0 && r->reader_tgid &&
		    !proc_pid__read_stat(c->proc_fd, (int)r->reader_tgid, &st)) {
			lr.have_stat = true;
			lr.ppid = (__u32)st.ppid;
			snprintf(lr.comm, sizeof(lr.comm), "%s", st.comm);
		}

		for (size_t i = 0; i < c->nsinks; i++) {
			struct sink *s = c->sinks[i];

			if (s->ops->live && !s->err)
				s->ops->live(s, &lr);
		}
	}
	if (j->live_tasks < UINT32_MAX) /* held there: tasks_base_set() then trusts no count */
		j->live_tasks++;
	j->live_cpu_ns += r->cpu_ns;
	j->live_system_ns += jt_cputime_system(r->cpu_ns, r->utime_ns, r->stime_ns);
	j->live_read_bytes += r->read_bytes;
	j->live_write_bytes += r->write_bytes;
	if (r->is_leader) {
		/*
		 * Once per job, where it runs, unless its front read it at its
		 * start: what its cgroups allot it (/proc numbers it so). The
		 * walk finds exiting tasks too: such a leader says nothing.
		 */
		if (r->reader_tgid)
			collector__read_alloc(j, (int)r->reader_tgid);
		j->live.processes++;
		j->live.rss_bytes += r->rss_pages * page;
		if (r->rss_pages * page > j->live_peak_rss_bytes)
			j->live_peak_rss_bytes = r->rss_pages * page;
		j->live.vm_bytes += r->vm_pages * page;
		j->live.open_files += r->open_fds;
		/* /proc numbers it as our pid namespace does: the host's tgid may be another's. */
		if (c->opts.pss && c->proc_fd >= 0 && r->reader_tgid) {
			struct proc_smaps_rollup sr;

			if (!proc_pid__read_smaps_rollup(c->proc_fd, (int)r->reader_tgid, &sr)) {
				j->live.pss_bytes += sr.pss_bytes;
				j->live.uss_bytes += sr.uss_bytes;
				j->live.swap_bytes += sr.swap_bytes;
			}
		}
	}
	return 0;
}

void collector__read_alloc(struct cjob *j, int pid)
{
	struct cgroup_alloc a;

	if (!j || j->job.alloc_read)
		return;
	/* No memory for a copy: unread too. */
	if (!cgroup_alloc__of_pid(pid, &a))
		job__set_cgroup_alloc(&j->job, &a);
}

static int on_kernel_job(void *ctx, __u64 id)
{
	collector__job_of_record(ctx, id);
	return 0;
}

void collector__on_repair(struct collector *c, __u64 job_id)
{
	struct cjob *j = collector__find_job(c, job_id);

	c->stats.repairs++;
	if (j)
		j->job.repairs++;
}

/* The sweep dropped a process of @job_id: the kernel's count fell after we read it. */
static void on_swept(void *ctx, __u64 job_id)
{
	struct collector *c = ctx;
	struct cjob *j = collector__find_job(c, job_id);

	collector__on_repair(c, job_id);
	if (j && !j->ended) {
		if (j->job.stats.alive > 0)
			j->job.stats.alive--;
		j->job.stats.procs_exited++;
	}
}

/*
 * A limit reached is said once on stderr as it happens, not only in the
 * reports at the end: host mode runs for days. Each counter is named again
 * when it has doubled since.
 */
static void warn_limits(struct collector *c)
{
	struct jt_counters k, *w = &c->warned;
	bool bpf = c->ops == &source_bpf_ops;

	if (c->ops->counters(c, &k))
		return;
	if (k.events_lost > 2 * w->events_lost) {
		fprintf(stderr, "jobtrace: %llu %s lost so far (%s): the jobs affected are marked "
				"incomplete\n",
			(unsigned long long)k.events_lost, bpf ? "exit records" : "proc connector messages",
			bpf ? "the ring buffer was full; raise --ring-kb" :
			      "the socket's queue overflowed; members are resynced from /proc");
		w->events_lost = k.events_lost;
	}
	if (k.procs_map_full > 2 * w->procs_map_full) {
		fprintf(stderr, "jobtrace: the process map is full: %llu processes counted without "
				"their lineage (raise --max-procs)\n",
			(unsigned long long)k.procs_map_full);
		w->procs_map_full = k.procs_map_full;
	}
	if (k.jobs_map_full > 2 * w->jobs_map_full) {
		fprintf(stderr, "jobtrace: the job map is full: %llu processes of new jobs went "
				"untracked (raise --max-jobs)\n",
			(unsigned long long)k.jobs_map_full);
		w->jobs_map_full = k.jobs_map_full;
	}
	if (k.untracked > 2 * w->untracked) {
		fprintf(stderr, "jobtrace: %llu tasks could not be tracked (no room for their job, "
				"or task storage allocation failed)\n",
			(unsigned long long)k.untracked);
		w->untracked = k.untracked;
	}
}

/*
 * A host job's first sample: it was given the last sample's time as its
 * start (it was made after it, or it was found at the attach); the kernel
 * stamped its making, which is later and exact. Its first interval starts
 * there.
 */
static void first_sample(struct collector *c, struct cjob *j, __u64 now)
{
	__u64 made = collector__mono_of_boottime(j->job.stats.created_ns);

	if (!j->job.mode || strcmp(j->job.mode, "host") || !j->job.stats.created_ns)
		return;
	/*
	 * Made by the attach, when its processes were found: it counts from
	 * then, and its first interval starts where the attach did, as the
	 * host's first record does. Starting at the kernel's stamp, later by
	 * up to the attach's length, it had starts/s above the host's forks/s.
	 */
	if (c->attached_ns && made <= c->attached_ns)
		return;
	if (made > j->job.start_ns && made <= now && j->reported_ns == j->job.start_ns) {
		j->job.start_ns = made;
		j->reported_ns = made;
	}
}

/* What the last sample kept, and the rest of the kernel's totals as it read them. */
void cjob__cum(const struct cjob *j, struct cjob_cum *out)
{
	const struct jt_job_stats *s = &j->job.stats;

	*out = (struct cjob_cum){
		.cpu_ns = j->cum.cpu_ns,
		.user_ns = j->cum.user_ns,
		.system_ns = j->cum.system_ns,
		.started = j->cum.started,
		.exited = j->cum.exited,
		.exit_ok = s->exit_ok,
		.exit_error = j->cum.exit_error,
		.exit_signal = j->cum.exit_signal,
		.oom_kills = j->cum.oom_kills,
		.execs = s->execs,
		.threads = s->threads_started,
		.read_bytes = j->cum.read_bytes,
		.write_bytes = j->cum.write_bytes,
		.existing = s->existing,
		.moved_in = s->moved_in,
		.moved_out = s->moved_out,
		.exit_records_lost = s->events_lost,
		.fork_records_lost = s->fork_records_lost,
		.exec_records_lost = s->exec_records_lost,
	};
}

/*
 * The most tasks of @j that can have run since its last interval record,
 * @now its figures at this sample, into @out: those the live read found
 * then and every process and thread begun since. False where that is not
 * known: a source that reads processes, not tasks; a live read that
 * failed; counts the source cannot give; or processes that joined since
 * (an attach or a move), whose threads no count has.
 */
bool collector__tasks_bound(const struct collector *c, const struct cjob *j,
			    const struct cjob_cum *now, __u64 *out)
{
	const struct cjob_cum *then = &j->reported;
	__u64 most;

	if (!j->reported_tasks_known || (j->job.unknown & JOB_UNKNOWN_COUNTS) ||
	    now->existing != then->existing || now->moved_in != then->moved_in ||
	    now->started < then->started || now->threads < then->threads)
		return false;
	most = j->reported_tasks + (now->started - then->started) + (now->threads - then->threads);
	/* A thread moved in alone (a cgroup v1 move, a setuid) counts nowhere: it is live now. */
	*out = most > j->live_tasks ? most : j->live_tasks;
	return true;
}

/* The base of collector__tasks_bound() at an interval record (reported holds its counts). */
static void tasks_base_set(const struct collector *c, struct cjob *j)
{
	j->reported_tasks_known = c->ops->live_per_task && c->live_complete && !j->adopted &&
				  j->live_tasks < UINT32_MAX;
	j->reported_tasks = j->live_tasks;
}

/*
 * @j's totals as the source has them now, into its figures: each count
 * never below what an earlier read said. A total the kernel keeps per CPU
 * only grows, read CPU by CPU; one that read less (a source's count set
 * again) would make an interval's difference wrap (2^64 - 4 moved in, on
 * /metrics a counter that jumped by as much) and the report say less than
 * the intervals before it: the report and the intervals count from the
 * most said. The gauges (alive, outlived_root) and the names are as read.
 */
static void stats_read(struct collector *c, struct cjob *j)
{
	struct jt_job_stats *keep = &j->job.stats, now = *keep;

	if (c->ops->job_stats(c, j->id, &now))
		return; /* gone from the source: as the last read had it */
#define UP(f) (now.f = now.f < keep->f ? keep->f : now.f)
	UP(max_alive);
	UP(procs_started);
	UP(procs_exited);
	UP(threads_started);
	UP(execs);
	UP(exit_ok);
	UP(exit_error);
	UP(exit_signal);
	UP(cpu_ns);
	UP(user_ns);
	UP(system_ns);
	UP(exited.cpu_ns);
	UP(exited.utime_ns);
	UP(exited.stime_ns);
	UP(exited.read_bytes);
	UP(exited.write_bytes);
	UP(exited.read_chars);
	UP(exited.write_chars);
	UP(peak_rss_bytes);
	UP(events_sent);
	UP(events_lost);
	UP(untracked);
	UP(procs_map_full);
	UP(existing);
	UP(moved_in);
	UP(moved_out);
	UP(jobs_map_full);
	UP(last_exit_ns);
	UP(fork_records_sent);
	UP(fork_records_lost);
	UP(exec_records_lost);
	UP(oom_kills);
	UP(outside_ns);
#undef UP
	*keep = now;
}

/*
 * Reads every job's totals, then (@host) the host's counters, then the live
 * tasks; updates each job's cumulative figures.
 */
int collector__sample_jobs(struct collector *c, bool host)
{
	__u64 now = util__now_ns();
	struct live_ctx lc = { .c = c, .now = now, .sweep = repair__begin(&c->repair, now) };
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int err;

	if (c->opts.grouping.group != COLLECTOR_GROUP_LINEAGE)
		c->ops->for_each_job(c, on_kernel_job, c);
	for (size_t i = 0; i < c->jt.n; i++) {
		struct cjob *j = c->jt.jobs[i];

		if (j->ended)
			continue;
		stats_read(c, j);
		if (c->ops->peak_rss_from)
			j->job.peak_rss_from = (__u8)c->ops->peak_rss_from(c, j->id);
		/* rusage mode counts no processes: nothing there to hold to. */
		if (!(c->ops->unknown & JOB_UNKNOWN_COUNTS))
			job__check_counts(&j->job);
		if (j->job.stats.procs_started > j->cum.started)
			c->jobs_started_since_host += j->job.stats.procs_started - j->cum.started;
		if (!j->sampled) {
			j->sampled = true;
			first_sample(c, j, now);
		}
		j->live_tasks = 0;
		j->live_cpu_ns = j->live_system_ns = 0;
		j->live_read_bytes = j->live_write_bytes = 0;
		j->prev_sampled_ns = j->live.sampled_ns;
		j->prev_cpu_ns = j->live.cpu_ns;
		j->prev_exited_cpu_ns = j->live.exited_cpu_ns;
		memset(&j->live, 0, sizeof(j->live));
		j->live.pss = c->opts.pss;
	}
	/*
	 * The host's counters right after the jobs' and under the same time:
	 * a host record and the jobs' intervals then span nearly the same
	 * instants (a host read after the walk of every live task, tens of ms
	 * on a host of thousands, let a job's starts exceed the host's forks).
	 * Nearly: what forks between the two reads is the host's in one
	 * interval and the job's in the next; collector__take_host() closes
	 * that gap.
	 */
	if (host)
		collector__take_host(c, now);
	err = c->ops->read_live(c, on_live, &lc);
	c->live_complete = !err;
	c->online_cpus = online > 0 ? (unsigned int)online : 0;
	if (lc.sweep && err)
		repair__abort(&c->repair);
	else if (lc.sweep)
		repair__finish(&c->repair, c, c->ops, on_swept, c);
	if (lc.sweep)
		warn_limits(c);
	for (size_t i = 0; i < c->jt.n; i++) {
		struct cjob *j = c->jt.jobs[i];
		const struct jt_job_stats *s = &j->job.stats;
		/* What a job keeps of its own (the rest cjob__cum() takes from its totals). */
		struct cjob_mono m = {
			.cpu_ns = s->cpu_ns + j->live_cpu_ns,
			.system_ns = s->system_ns + j->live_system_ns,
			.started = s->procs_started,
			.exited = s->procs_exited,
			.exit_error = s->exit_error,
			.exit_signal = s->exit_signal,
			.oom_kills = s->oom_kills,
			.read_bytes = s->exited.read_bytes + j->live_read_bytes,
			.write_bytes = s->exited.write_bytes + j->live_write_bytes,
		};
		struct cjob_mono *p = &j->cum;

		if (j->ended)
			continue;
		/* Monotone: a thread that closed between the two reads lags one sample. */
		if (m.cpu_ns < p->cpu_ns)
			m.cpu_ns = p->cpu_ns;
		/*
		 * A live thread's I/O counts from when it joined (the kernel keeps
		 * its counters then, at the attach, an adoption or a move), and a
		 * move leaves what it did in the job it left. A thread that closes
		 * between the totals' read and the walk lags one sample: the sum
		 * is kept monotone like the CPU.
		 */
		if (m.read_bytes < p->read_bytes)
			m.read_bytes = p->read_bytes;
		if (m.write_bytes < p->write_bytes)
			m.write_bytes = p->write_bytes;
		if (m.system_ns < p->system_ns)
			m.system_ns = p->system_ns;
		if (m.system_ns > m.cpu_ns - p->user_ns)
			m.system_ns = m.cpu_ns - p->user_ns;
		m.user_ns = m.cpu_ns - m.system_ns;
		j->live.sampled_ns = now;
		j->live.cpu_ns = m.cpu_ns - s->cpu_ns;
		j->live.exited_cpu_ns = s->cpu_ns;
		j->live.cpu_rate_pct = job_live__cpu_rate(&(struct job_live){
			.sampled_ns = j->prev_sampled_ns,
			.cpu_ns = j->prev_cpu_ns,
			.exited_cpu_ns = j->prev_exited_cpu_ns,
		}, &j->live);
		/*
		 * Over the samples' span, the live CPU over the walks' (see
		 * collector__emit_intervals()), a running thread's read up to a
		 * tick late (interval_record__cpu_pct()): never more than every
		 * CPU, nor than every task that can have run since the last
		 * interval record, whose span holds this one (counted from the
		 * figures just kept).
		 */
		*p = m;
		if (j->live.cpu_rate_pct > 0) {
			struct cjob_cum cum;
			__u64 most = online > 0 ? (__u64)online : UINT64_MAX, tasks;

			cjob__cum(j, &cum);
			if (collector__tasks_bound(c, j, &cum, &tasks) && tasks < most)
				most = tasks;
			if (most != UINT64_MAX && j->live.cpu_rate_pct > 100.0 * (double)most)
				j->live.cpu_rate_pct = 100.0 * (double)most;
		}
	}
	c->last_sample_ns = now;
	return err;
}

/* An interval record's cpu_cap: online CPUs, or fewer tasks that can have run; 0 unknown. */
static __u32 cpu_cap(const struct collector *c, const struct cjob *j, const struct cjob_cum *now)
{
	__u64 cap = c->online_cpus, tasks;

	if (collector__tasks_bound(c, j, now, &tasks) && (!cap || tasks < cap))
		cap = tasks ? tasks : 1;
	return cap > UINT32_MAX ? 0 : (__u32)cap;
}

/*
 * The job's interval since the last one it reported, up to @t1, with
 * @cpu_ns of the CPU it used since (all of it, or what the CPUs' time over
 * the interval allows); then a new base.
 */
static void emit(struct collector *c, struct cjob *j, __u64 t1, __u64 cpu_ns)
{
	const struct cjob_cum *prev = &j->reported;
	struct interval_record r = {
		.job = j,
		.t0_ns = j->reported_ns,
		.t1_ns = t1,
		.t0_epoch_ns = j->reported_ns + c->stats.mono_to_epoch_ns,
		.t1_epoch_ns = t1 + c->stats.mono_to_epoch_ns,
		.alive = j->live.processes,
		.rss_bytes = j->live.rss_bytes,
		.pss_bytes = j->live.pss_bytes,
		.vm_bytes = j->live.vm_bytes,
		.open_files = j->live.open_files,
		.pss = c->opts.pss,
		.incomplete = job__incomplete_mask(&j->job),
	};
	struct cjob_cum now;
	const struct cjob_cum *n = &now;
	const struct cjob_cum base = *prev;
	__u64 all_cpu_ns;

	cjob__cum(j, &now);
	all_cpu_ns = n->cpu_ns - prev->cpu_ns;
	r.cpu_cap = cpu_cap(c, j, n);

#define D(f) r.d.f = n->f - prev->f
	D(cpu_ns);
	D(user_ns);
	D(system_ns);
	/* Part of it: user and system in their proportions, the rest for the next. */
	if (cpu_ns < all_cpu_ns) {
		r.d.system_ns = (__u64)((unsigned __int128)r.d.system_ns * cpu_ns / all_cpu_ns);
		r.d.user_ns = cpu_ns - r.d.system_ns;
		r.d.cpu_ns = cpu_ns;
	}
	D(started);
	D(exited);
	D(exit_ok);
	D(exit_error);
	D(exit_signal);
	D(oom_kills);
	D(execs);
	D(threads);
	D(read_bytes);
	D(write_bytes);
	D(existing);
	D(moved_in);
	D(moved_out);
	D(exit_records_lost);
	D(fork_records_lost);
	D(exec_records_lost);
#undef D
	for (size_t i = 0; i < c->nsinks; i++) {
		struct sink *s = c->sinks[i];

		if (s->ops->interval && !s->err)
			s->ops->interval(s, &r);
	}
	j->reported = now;
	tasks_base_set(c, j);
	j->reported.cpu_ns = base.cpu_ns + r.d.cpu_ns;
	j->reported.user_ns = base.user_ns + r.d.user_ns;
	j->reported.system_ns = base.system_ns + r.d.system_ns;
	j->reported_ns = t1;
}

void collector__emit_interval(struct collector *c, struct cjob *j, __u64 t1)
{
	emit(c, j, t1, j->cum.cpu_ns - j->reported.cpu_ns);
}

/* The CPU time @ncpus give from @t0 to @t1. */
static __u64 cpus_time(unsigned int ncpus, __u64 t0, __u64 t1)
{
	return t1 > t0 ? (__u64)ncpus * (t1 - t0) : 0;
}

/* The most CPU @j can have used from its last interval record to @t1: @ncpus's, or its tasks'. */
static __u64 job_cap_ns(const struct collector *c, const struct cjob *j, unsigned int ncpus,
			__u64 t1)
{
	struct cjob_cum now;
	__u64 tasks;

	cjob__cum(j, &now);
	if (collector__tasks_bound(c, j, &now, &tasks) && tasks < ncpus)
		ncpus = (unsigned int)tasks;
	return cpus_time(ncpus, j->reported_ns, t1);
}

bool interval_record__cpu_pct(const struct interval_record *r, double *pct)
{
	/* The monotonic stamps; a record rebuilt from the stream has the epoch's alone. */
	__u64 dt = r->t1_ns > r->t0_ns		   ? r->t1_ns - r->t0_ns :
		   r->t1_epoch_ns > r->t0_epoch_ns ? r->t1_epoch_ns - r->t0_epoch_ns :
						     0;
	double p;

	if (dt < INTERVAL_RATE_MIN_NS)
		return false;
	p = 100.0 * (double)r->d.cpu_ns / (double)dt;
	if (r->cpu_cap && p > 100.0 * (double)r->cpu_cap)
		p = 100.0 * (double)r->cpu_cap;
	*pct = p;
	return true;
}

/*
 * Every open job's interval at a tick, their CPU within what the CPUs
 * could give: no job more than all of them over its interval, nor more
 * than all the tasks that can have run in it (a running thread's CPU is
 * read up to a tick late: interval_record__cpu_pct()), all jobs
 * together no more than all of them over the longest interval. A job's
 * exited CPU is read before the walk of the live tasks, the live CPU
 * during it, and the walk ends later after its sample's start at one
 * sample than at the last (tens of ms on a busy host): the live CPU then
 * spans more than the interval, and a job busy on every CPU showed above
 * 100% of them. What is over ran after the interval's end: it is the next
 * interval's, and the intervals still add up to the job's total (its
 * last, at its end, takes whatever is left).
 *
 * A job found over at this sample (collector__judge_ends()) has none: its
 * end, in the same pass, sends its last interval, from the one before to
 * the end, with all it has left, which the open jobs' share of the CPUs'
 * time over the tick leaves room for, as for the ends since the last
 * tick. That is its last exit where the kernel stamped one (the BPF
 * programs, the proc connector), before the tick: an interval to the tick
 * ran past it, its rate over time the job did not live. Where none is
 * (the rusage source), it is when
 * the end was noticed, just after the tick: an interval to the tick left
 * a remainder too short to send, and the intervals fell short of the end.
 */
static bool interval_due(const struct cjob *j)
{
	/* A job no sample has read yet has no figures: its first interval comes from its start. */
	return !j->ended && !j->over && j->sampled;
}

void collector__emit_intervals(struct collector *c, __u64 t1)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN); /* the host record's "cpuN" lines */
	unsigned int ncpus = online > 0 ? (unsigned int)online : 1U << 16; /* unknown: no bound */
	__u64 t0 = t1, want_ns = 0, room_ns, ends_ns = c->ends_cpu_ns;

	for (size_t i = 0; i < c->jt.n; i++) {
		const struct cjob *j = c->jt.jobs[i];
		__u64 cpu_ns = j->cum.cpu_ns - j->reported.cpu_ns;
		__u64 cap_ns = job_cap_ns(c, j, ncpus, t1);

		/* Found over at this sample: its end, in this pass, sends all it has left. */
		if (!j->ended && j->over)
			ends_ns += cpu_ns;
		if (!interval_due(j))
			continue;
		want_ns += cpu_ns < cap_ns ? cpu_ns : cap_ns;
		if (j->reported_ns < t0)
			t0 = j->reported_ns;
	}
	/*
	 * The jobs that ended since the last tick, or end at this one, sent
	 * or send their last intervals whole, what they held back included:
	 * those go first, and the open jobs share what is left of the
	 * CPUs' time, holding back the rest for their next.
	 */
	room_ns = cpus_time(ncpus, t0, t1);
	room_ns = room_ns > ends_ns ? room_ns - ends_ns : 0;
	c->ends_cpu_ns = 0;
	c->ends_counted = true;
	for (size_t i = 0; i < c->jt.n; i++) {
		struct cjob *j = c->jt.jobs[i];
		__u64 cpu_ns = j->cum.cpu_ns - j->reported.cpu_ns;
		__u64 cap_ns = job_cap_ns(c, j, ncpus, t1);

		if (!interval_due(j))
			continue;
		if (cpu_ns > cap_ns)
			cpu_ns = cap_ns;
		if (want_ns > room_ns)
			cpu_ns = (__u64)((unsigned __int128)cpu_ns * room_ns / want_ns);
		emit(c, j, t1, cpu_ns);
	}
}

void collector__take_host(struct collector *c, __u64 now)
{
	struct host_sample *cur = &c->hsamp[c->hcur], *fresh;

	if (c->proc_fd < 0)
		return;
	/*
	 * Read beside the one it replaces: a tick's second read (its ends',
	 * collector__read_ends()) that fails keeps the first, and the tick
	 * its host record.
	 */
	fresh = calloc(1, sizeof(*fresh));
	if (!fresh || host_sample__take(&c->hs, fresh)) {
		free(fresh);
		return;
	}
	host__free(cur);
	*cur = *fresh;
	free(fresh);
	cur->mono_ns = now;
	c->host_taken = true;
	if (cur->have & HOST_HAVE_STAT && cur->stat.has & PROC_STAT_HAS_PROCESSES) {
		cur->stat.processes = host_record__forks(cur->stat.processes, c->host_forks,
							 c->have_host_forks,
							 c->jobs_started_since_host);
		c->host_forks = cur->stat.processes;
		c->have_host_forks = true;
		c->jobs_started_since_host = 0;
	}
}

/*
 * The host each interval: the same sampler `jobtrace system` uses, so the
 * record carries its rates (network, disks) besides the summary here. It
 * goes to the sinks after the jobs' intervals of its tick, which it closes.
 */
void collector__emit_host(struct collector *c)
{
	struct host_sample *prev = &c->hsamp[c->hcur ^ 1], *cur = &c->hsamp[c->hcur];
	struct host_rates rates = {};
	struct host_record r;
	struct jt_counters k;

	if (!c->host_taken)
		return;
	c->host_taken = false;
	if (!c->have_prev_host) {
		/* The first sample only sets the base of the rates. */
		c->have_prev_host = true;
		c->hcur ^= 1;
		return;
	}
	host_record__from_samples(prev, cur, host_sample__rates(prev, cur, &rates) ? NULL : &rates,
				  &r);
	r.t0_epoch_ns = r.t0_ns + c->stats.mono_to_epoch_ns;
	r.t1_epoch_ns = r.t1_ns + c->stats.mono_to_epoch_ns;
	if (!c->ops->counters(c, &k)) {
		r.events_lost = k.events_lost;
		r.fork_records_lost = k.fork_records_lost;
		r.exec_records_lost = k.exec_records_lost;
	}
	for (size_t i = 0; i < c->nsinks; i++) {
		struct sink *s = c->sinks[i];

		if (s->ops->host && !s->err)
			s->ops->host(s, &r);
	}
	host_rates__free(&rates);
	c->hcur ^= 1;
}

int collector__emit_host_now(struct collector *c)
{
	/* collector__emit_host() turned the pair: the last sample taken is the other one. */
	const struct host_sample *last = &c->hsamp[c->hcur ^ 1];
	__u64 now = util__now_ns();

	if (!c->opts.host_records || !c->have_prev_host)
		return -EAGAIN;
	/*
	 * Too soon after the last sample for a rate: wait out the rest, at
	 * most 10 ms. The jobs it closes ended after that sample (a signal
	 * stopped the loop just after a tick), and their last intervals are
	 * in no frame yet: without a record over them, top's last frame drew
	 * the frame before's figures again, its failures counted twice.
	 */
	while (now < last->mono_ns + INTERVAL_RATE_MIN_NS) {
		__u64 left_ns = last->mono_ns + INTERVAL_RATE_MIN_NS - now;
		struct timespec left = { .tv_nsec = (long)left_ns };

		nanosleep(&left, NULL);
		now = util__now_ns();
	}
	collector__take_host(c, now);
	if (!c->host_taken)
		return -EAGAIN;
	collector__emit_host(c);
	return 0;
}
