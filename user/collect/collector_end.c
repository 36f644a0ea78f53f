// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ends of jobs: when a job is over (its root gone, its last process
 * gone, its cgroup removed), its report's last figures, and the job_end
 * each sink gets; and a report of a job that goes on (serve --control's
 * REPORT). The loop that asks is in collector.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "jobtrace/collector.h"
#include "jobtrace/job_table.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#include "collector_priv.h"

/* How long a job's end waits for its exit records the ring holds back: 50 ms at most. */
#define RECORDS_WAIT_STEPS 50
#define RECORDS_WAIT_STEP_NS 1000000L
/* Reads again for the jobs the wait's records made: each can make more. */
#define READ_AGAIN_ROUNDS 3

static bool cgroup_gone(const struct cjob *j)
{
	struct stat sb;

	/* A removed cgroup's directory stays open here, empty of its files. */
	return j->cgroup_dirfd >= 0 && fstatat(j->cgroup_dirfd, "cgroup.procs", &sb, 0) != 0 &&
	       errno == ENOENT;
}

/*
 * Is @j over, by its rule? Reads what the last sample left. @again: a
 * second sample of the same pass (collector__read_ends()), which calls
 * over only what its rule says outright, not missed exits, which take
 * two samples apart.
 */
static bool job_over(struct collector *c, struct cjob *j, bool again)
{
	const struct jt_job_stats *s = &j->job.stats;
	bool empty = j->live_tasks == 0;

	/* Missed exits are called only on samples in a row that saw nothing. */
	if (!empty)
		j->idle_samples = 0;

	switch (j->end_rule) {
	case CJOB_END_ROOT:
		if (!j->job.root_exited)
			return false;
		if (c->opts.run_no_wait)
			return s->outlived_root >= 0; /* the root's record is in the ring */
		if (s->alive <= 0)
			return true;
		if (c->children_left || !empty)
			return false;
		break;
	case CJOB_END_EMPTY:
		if (!empty)
			return false;
		if (s->alive <= 0)
			return true;
		break;
	case CJOB_END_CGROUP_GONE:
		if (!cgroup_gone(j))
			return false;
		if (!empty)
			return false;
		if (s->alive <= 0)
			return true;
		break;
	}
	/*
	 * The kernel counts processes alive that no live task backs: an exit
	 * was missed (a task tagged in the instant it began to exit). Two
	 * samples in a row say so before the job is called over. Not where the
	 * job has processes outside jobtrace's pid namespace: the live read
	 * never backs them, alive or not, and their exits, which only the
	 * tracepoints see, are never missed that way. Called over, such a job
	 * would be made again at its next fork, and the exits of the processes
	 * it still had counted in the new one, more exits than starts.
	 */
	if (s->outside_ns || again)
		return false;
	/*
	 * A live read that failed (the iterator could not be made: no fd, no
	 * memory) saw nothing, which is not that nothing is there: two such
	 * in a row called a running job over, and in host mode its
	 * processes' later exits made it again, one job reported twice.
	 */
	if (!c->live_complete) {
		j->idle_samples = 0;
		return false;
	}
	if (++j->idle_samples < 2)
		return false;
	j->job.stale = (__u64)s->alive;
	return true;
}

/*
 * Does @j's end send an interval up to @t1? The last interval closes the
 * sum, so that the intervals add up to the report; but not one with
 * nothing in it (a job found over at a tick's sample, nothing having moved
 * since that tick's interval, sent one of 0 s or of some microseconds, no
 * rate, a record a consumer had to know to skip). With nothing left to
 * close, the end is where the last interval closed (job_figures(): a
 * sample found the job still open after its last exit), or under 10 ms
 * after it. Sent when it holds a count (a 0-s one too: what came in after
 * that sample is the report's, and no rate is given over it), when it
 * spans time enough for a rate (0% over it is a figure), or when it is the
 * job's first (a job has at least one).
 */
static bool last_interval_due(const struct cjob *j, __u64 t1)
{
	struct cjob_cum now;

	if (j->reported_ns == j->job.start_ns || t1 - j->reported_ns >= INTERVAL_RATE_MIN_NS)
		return true;
	cjob__cum(j, &now);
	/* All __u64s: no padding to differ; a capped CPU left over differs. */
	return memcmp(&now, &j->reported, sizeof(now)) != 0;
}

/*
 * The figures of @j's report, as they stand at @noticed, into @job (j->job
 * at the end; a copy for a report of a job that goes on).
 */
static void job_figures(struct collector *c, struct cjob *j, struct job *job, __u64 noticed)
{
	struct jt_job_stats *s = &job->stats;
	struct jt_counters k = {
		.jobs_missing = job->counters.jobs_missing,
		.jobs_map_full = job->counters.jobs_map_full,
		.exec_records_lost = job->counters.exec_records_lost,
	};
	__u64 last_exit, open = j->open_ns > j->reported_ns ? j->open_ns : j->reported_ns;
	bool at_last_exit = false;

	/*
	 * A job whose processes are all gone ended at its last exit, as the
	 * kernel stamped it, not when a sample noticed: its wall time is the
	 * kernel's, and its last interval closes there (a tick whose sample
	 * found it over had none: collector__emit_intervals()). But never
	 * before a sample that found it still open by its rule, which closed
	 * its interval there, where it had one: a --cgroup job whose cgroup
	 * stood empty ended no earlier than the last sample that saw the
	 * cgroup, nor run's before the sample that found its root not yet
	 * reaped, nor any before a read that found the kernel's stamp and a
	 * process still counted alive (it stamps the exit, then drops the
	 * count).
	 */
	job->end_ns = noticed;
	last_exit = s->last_exit_ns ? collector__mono_of_boottime(s->last_exit_ns) : 0;
	if (s->alive <= 0 && last_exit > job->start_ns && last_exit < noticed) {
		at_last_exit = last_exit >= open;
		job->end_ns = at_last_exit ? last_exit : open;
	}
	/*
	 * The root cannot have lived longer than its tree. Where it was the
	 * last to go (the kernel counted none left behind it), it ended when
	 * the tree did: the same stamp, not one converted at another instant.
	 * Where its time is the wait's (no record: rusage), at most the end.
	 */
	if (job->root_exited) {
		if (at_last_exit && s->outlived_root == 0)
			job->root_end_ns = job->end_ns;
		else if (job->root_end_ns > job->end_ns)
			job->root_end_ns = job->end_ns;
	}
	job->source = c->ops->name;
	/* rusage: the tree's CPU is whole only once nothing is left to reap (--no-wait). */
	if (c->ops == &source_rusage_ops && s->alive > 0)
		job->unknown |= JOB_UNKNOWN_CPU;
	/*
	 * The front named the root by its number in our pid namespace; the
	 * kernel's records carry the host's. Both are reported where they differ.
	 */
	if (job->root_pid && !job->root_ns_pid && s->root_tgid &&
	    (pid_t)s->root_tgid != job->root_pid) {
		job->root_ns_pid = job->root_pid;
		job->root_pid = (pid_t)s->root_tgid;
	}
	/*
	 * The report's CPU and storage I/O: exited threads' and, for a job
	 * reported as it stands (--no-wait, a stop, serve's REPORT), the live
	 * ones' so far: the running total its intervals are differences of,
	 * so that they sum to it. The live read has no rchar/wchar: with
	 * tasks still live, the syscalls' bytes are not known.
	 */
	s->cpu_ns = j->cum.cpu_ns;
	s->user_ns = j->cum.user_ns;
	s->system_ns = j->cum.system_ns;
	s->exited.read_bytes = j->cum.read_bytes;
	s->exited.write_bytes = j->cum.write_bytes;
	if (j->live_tasks)
		job->unknown |= JOB_UNKNOWN_CHARS;
	if (j->live.processes)
		job->live = &j->live;
	/*
	 * Processes still alive have no exit record, nor their peaks: the
	 * largest RSS a live read saw of one is a floor of the largest peak,
	 * said as sampled. Reported as it stands (a stop, --no-wait, serve's
	 * REPORT), a job of one 63 MiB process said 0 B peak RSS (largest
	 * process), beside its live RSS of 63 MiB in the same record. So too
	 * where the peak is the reaped children's ru_maxrss (run in proc
	 * mode): the live ones are not among them.
	 */
	if (j->live.processes && job->peak_rss_from != JOB_RSS_FROM_SAMPLES &&
	    j->live_peak_rss_bytes > s->peak_rss_bytes) {
		s->peak_rss_bytes = j->live_peak_rss_bytes;
		job->peak_rss_from = JOB_RSS_FROM_SAMPLES;
	}
	job->records_malformed = c->records_malformed;
	job->add_errors = c->stats.add_exit_errors;
	c->ops->counters(c, &k);
	job->counters.jobs_missing = k.jobs_missing;
	job->counters.jobs_map_full = k.jobs_map_full;
	job->counters.exec_records_lost = k.exec_records_lost;
}

/* @job ends at @end_ns, before the end its figures gave: its root no later. */
static void job_end_at(struct job *job, __u64 end_ns)
{
	job->end_ns = end_ns;
	if (job->root_exited && job->root_end_ns > end_ns)
		job->root_end_ns = end_ns;
}

int collector__job_now(struct collector *c, __u64 id, struct job *out)
{
	struct cjob *j = collector__find_job(c, id);

	if (!j || j->ended)
		return -ENOENT;
	/* Every record of the job is in, and its figures fresh, as at its end. */
	c->ops->consume(c);
	collector__sample_jobs(c, false);
	*out = j->job;
	job_figures(c, j, out, util__now_ns());
	return 0;
}

static void job_end(struct collector *c, struct cjob *j)
{
	struct jt_job_stats *s = &j->job.stats;
	__u64 t1;

	job_figures(c, j, &j->job, util__now_ns());
	/*
	 * Records the kernel sent that the wait for them (collector__read_ends())
	 * did not bring are this report's losses, beside those the full ring
	 * refused: it lacks their processes, and says it is not whole, not
	 * complete with a record short. Should one come later, it is counted
	 * as late, not made a job of its own: the stream then has no process
	 * line for it, as the report said.
	 */
	if (c->ops->ring_ordered && s->events_sent > j->job.records) {
		struct late_job *l = &c->late_jobs[c->late_next++ % ARRAY_SIZE(c->late_jobs)];

		l->id = j->id;
		l->last_exit_ns = s->last_exit_ns;
		l->missing = s->events_sent - j->job.records;
		s->events_lost += l->missing;
	}
	if (j->job.workdir_path) {
		/* After the job: the report has the directory as the job left it. */
		struct workdir_usage *wd = (struct workdir_usage *)j->job.workdir; /* the cjob's */
		int err = -ENOMEM;

		if (!wd)
			wd = calloc(1, sizeof(*wd));
		if (wd)
			err = workdir__usage(j->job.workdir_path, wd);
		if (err) {
			fprintf(stderr, "jobtrace: cannot measure %s: %s\n", j->job.workdir_path,
				strerror(-err));
			if (wd != j->job.workdir)
				free(wd);
		} else {
			j->job.workdir = wd;
		}
	}
	collector__stats(c, &c->stats);
	/*
	 * The last interval closes the sum: the intervals add up to this
	 * report, and span its wall time. Where none is due, nothing moved
	 * since the last one, which closed under 10 ms before the end: an
	 * end noticed by a sample (no kernel's stamp: the rusage source, a
	 * process the proc source swept, a job reported as it stands at a
	 * stop) just after one that already had every figure of its report.
	 * It ends where that interval closed, so that its intervals still
	 * span its wall time.
	 */
	t1 = j->job.end_ns > j->reported_ns ? j->job.end_ns : j->reported_ns;
	if (c->opts.interval_s > 0 && last_interval_due(j, t1)) {
		__u64 before = j->reported.cpu_ns;

		collector__emit_interval(c, j, t1);
		/* What it brought the next tick's room makes way for (collector__emit_intervals()). */
		if (!c->ends_counted)
			c->ends_cpu_ns += j->reported.cpu_ns - before;
	} else if (c->opts.interval_s > 0)
		job_end_at(&j->job, j->reported_ns);
	for (size_t i = 0; i < c->nsinks; i++) {
		struct sink *sk = c->sinks[i];

		if (sk->ops->job_end && !sk->err)
			sk->ops->job_end(sk, j, &c->stats);
	}
	j->ended = true;
	c->stats.jobs_ended++;
	job_table__close(&c->jt, j);
	/* Its entries go: a later process of the same cgroup or tree starts a new job. */
	if (JT_JOB_KIND(j->id) != JT_JOB_USER)
		c->ops->remove_job(c, j->id);
}

void collector__judge_ends(struct collector *c, bool all)
{
	for (size_t i = 0; i < c->jt.n; i++) {
		struct cjob *j = c->jt.jobs[i];

		if (j->ended)
			continue;
		j->over = all || job_over(c, j, false);
		if (!j->over)
			j->open_ns = c->last_sample_ns;
	}
}

/*
 * An exit record the kernel counted as sent to a job found over, that the
 * ring has not given yet: the ring gives records in the order they were
 * reserved, and one reserved before it and not yet committed holds it
 * back (an exec record is reserved before its path walk; a vCPU the host
 * stops between the two holds it for longer). Ended without it, the job's
 * report missed a process, and the record, come later, made a job of its
 * own under the same name (a short cgroup job's end said 0 exited).
 */
static bool records_held_back(const struct collector *c)
{
	if (!c->ops->ring_ordered)
		return false;
	for (size_t i = 0; i < c->jt.n; i++) {
		const struct cjob *j = c->jt.jobs[i];

		/* Sent counts the records committed; those the full ring refused are lost apart. */
		if (!j->ended && j->over && j->job.stats.events_sent > j->job.records)
			return true;
	}
	return false;
}

/* Is a job open that no sample has read: made by records since the last (host mode)? */
static bool any_unsampled(const struct collector *c)
{
	for (size_t i = 0; i < c->jt.n; i++)
		if (!c->jt.jobs[i]->ended && !c->jt.jobs[i]->sampled)
			return true;
	return false;
}

/*
 * A job whose last process went between a pass's two reads is over at the
 * second: it ends in this pass too, at its last exit, not in an interval
 * of the tick's that runs past it and an end at the next tick (no earlier
 * than that interval's close). At a stop, every job is.
 */
static void judge_ends_again(struct collector *c)
{
	for (size_t i = 0; i < c->jt.n; i++) {
		struct cjob *j = c->jt.jobs[i];

		if (j->ended || j->over)
			continue;
		j->over = c->final_pass || job_over(c, j, true);
		if (!j->over)
			j->open_ns = c->last_sample_ns;
	}
}

bool collector__read_ends(struct collector *c, bool host)
{
	bool any_over = false;

	for (size_t i = 0; i < c->jt.n; i++)
		any_over |= !c->jt.jobs[i]->ended && c->jt.jobs[i]->over;
	/*
	 * At a stop, with no job over too: the read again is where the jobs
	 * the kernel made since the last sample are found (host mode), and
	 * they report as the others do. A stop between two ticks left them
	 * out: a cgroup's job made 0.3 s before a stop of watch -i 60.
	 */
	if ((any_over || c->final_pass) && !c->ends_read) {
		/* Every record of the jobs is in, and their figures fresh, before the reports. */
		c->ops->consume(c);
		collector__sample_jobs(c, host);
		c->ends_read = true;
		judge_ends_again(c);
		/*
		 * Their records counted sent by that read are committed or about
		 * to be: a while for them, in steps, before the reports. The wait
		 * holds the whole pass: a record that never comes (one that did
		 * not decode) costs the pass that ends its job the whole wait. At
		 * a stop, the records of exits after that read count too, and can
		 * make up for one still held back, which the report then misses
		 * without saying so: an edge of the stop alone.
		 *
		 * A record the wait took in can make a job (host mode): it has
		 * no figures until a sample reads them. Without one, at a stop
		 * it reported 0 started, 0 exited and no CPU beside its records
		 * and its failure; at a tick it had an interval of 0 s and
		 * nothing, before the start its first sample then gave it. All
		 * the jobs are read again, at one instant as before, and a job
		 * that read finds over waits for its records as the others did
		 * (without, it ended with its exit counted lost and its record
		 * late). A few rounds at most, the steps of the wait shared.
		 */
		for (int round = 0, step = 0;; round++) {
			for (; step < RECORDS_WAIT_STEPS && records_held_back(c); step++) {
				struct timespec ts = { .tv_nsec = RECORDS_WAIT_STEP_NS };

				nanosleep(&ts, NULL);
				c->ops->consume(c);
			}
			if (round == READ_AGAIN_ROUNDS || !any_unsampled(c))
				break;
			collector__sample_jobs(c, host);
			judge_ends_again(c);
		}
	}
	return any_over;
}

bool collector__end_jobs(struct collector *c)
{
	bool any_over = collector__read_ends(c, false), any_left = false;

	for (size_t i = 0; i < c->jt.n; i++) {
		struct cjob *j = c->jt.jobs[i];

		if (j->ended)
			continue;
		/* At a stop, those the wait's records made too (collector__read_ends()). */
		if (j->over || c->final_pass)
			job_end(c, j);
		else
			any_left = true;
	}
	if (any_over || c->final_pass)
		job_table__prune(&c->jt);
	c->ends_counted = false;
	c->ends_read = false;
	if (c->root_job)
		return c->root_job->ended;
	return c->opts.stop_when_jobs_end && !any_left;
}
