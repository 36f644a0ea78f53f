// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The collector over a scripted event source (a source_ops of the test's
 * own, the seam a BPF-free source will use): intervals are never negative
 * and add up to the final report even when the live read lags and jumps,
 * exit records reach the job's report and the process sink, and a job ends
 * by its rule.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "jobtrace/collector.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/source.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#define JOB 7

/* The scripted kernel: one job, its exited CPU growing, its live CPU jumping about. */
struct fake {
	int efd;
	int samples;
	__u64 exited_cpu;
	__u64 started;
	__u64 burst; /* starts added at each read besides the 3 */
	__u64 cpu_step_ns; /* CPU added at each read; 0: 10 ms */
	__s64 alive;
	__u64 last_live;
	bool ended;
	__u32 reader_tgid; /* the live thread's number in our /proc; 0: none */
	__u64 exit_before_ns; /* the last exit, this long before the read that sees it; 0: none */
	__u64 last_exit_ns; /* its CLOCK_BOOTTIME stamp, once made */
	int count_late; /* reads after the stamp that still count a process alive */
	bool live_always; /* the live thread read at every sample, not every other */
	int still_from; /* the read from which the job sleeps: no CPU, no start; 0: none */
	int root_exit_at; /* the read from which the root's exit record comes; 0: none */
	bool root_sent;
	bool wobble; /* the counts the kernel's totals give as they are (moves, execs) fall back */
	__u64 read_boot_ns, prev_read_boot_ns; /* when this read and the one before came */
};

static struct fake fk;

static int f_open(struct collector *c, const struct lineage_opts *o)
{
	fk.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return fk.efd < 0 ? -errno : 0;
}

static void f_close(struct collector *c)
{
	close(fk.efd);
}

static int f_fd(struct collector *c)
{
	return fk.efd;
}

/* The root's record, once its read has come: the parent learns of it after the tree is gone. */
static int f_consume(struct collector *c)
{
	struct jt_exit_event e = { .version = JT_ABI_VERSION, .type = JT_REC_EXIT,
				   .size = sizeof(e), .job_id = JOB, .pid = 100, .start_ns = 5,
				   .is_root = 1, .comm = "root" };

	if (!fk.root_exit_at || fk.root_sent || fk.samples < fk.root_exit_at)
		return 0;
	fk.root_sent = true;
	e.exit_ns = fk.last_exit_ns;
	return collector__on_exit(c, &e);
}

static int f_add_empty(struct collector *c, __u64 id, __s32 h)
{
	return 0;
}

/*
 * Each read: the job has used 10 ms more, 3 processes more started, until 12
 * samples; 5 ms of it is a live thread's, the rest has exited.
 */
static int f_job_stats(struct collector *c, __u64 id, struct jt_job_stats *out)
{
	memset(out, 0, sizeof(*out));
	fk.samples++;
	fk.prev_read_boot_ns = fk.read_boot_ns;
	fk.read_boot_ns = util__boottime_ns();
	if (fk.still_from && fk.samples > fk.still_from) {
		/* Asleep: its figures as the read before had them. */
	} else if (fk.samples < 12) {
		fk.exited_cpu = (fk.cpu_step_ns ?: 10000000ULL) * (__u64)fk.samples - 5000000;
		fk.started += 3 + fk.burst;
	} else {
		fk.exited_cpu = (fk.cpu_step_ns ?: 10000000ULL) * 11; /* everything has exited */
		fk.alive = 0;
		/*
		 * As the kernel stamps it (CLOCK_BOOTTIME), once: it does not
		 * move. After the read before, always: reads come 20 ms apart,
		 * but under valgrind two can come closer than exit_before_ns
		 * (a late tick, then its next on time), and a stamp before the
		 * read that still found the job open is not where it ends.
		 */
		if (fk.exit_before_ns && !fk.last_exit_ns) {
			__u64 now = util__boottime_ns();

			fk.last_exit_ns = now - fk.exit_before_ns;
			if (fk.last_exit_ns <= fk.prev_read_boot_ns)
				fk.last_exit_ns = fk.prev_read_boot_ns + (now - fk.prev_read_boot_ns) / 2;
		}
		out->last_exit_ns = fk.last_exit_ns;
	}
	/* The count falls after the stamp: a read in between sees the stamp and one alive. */
	if (fk.samples >= 12 && fk.samples < 12 + fk.count_late)
		fk.alive = 1;
	out->cpu_ns = fk.exited_cpu;
	out->system_ns = fk.exited_cpu / 4;
	out->user_ns = fk.exited_cpu - out->system_ns;
	out->procs_started = fk.started;
	out->procs_exited = fk.started;
	out->exit_ok = fk.started;
	out->alive = fk.alive;
	out->outlived_root = -1;
	if (fk.wobble) {
		__u64 v = fk.samples % 2 ? 9 : 5;

		out->existing = out->moved_in = out->moved_out = v;
		out->execs = out->threads_started = v;
		out->events_lost = out->fork_records_lost = out->exec_records_lost = v;
		out->procs_started = out->procs_exited = out->exit_ok = v;
		out->exit_error = out->exit_signal = out->oom_kills = v;
	}
	return 0;
}

static int f_for_each_job(struct collector *c, int (*fn)(void *, __u64), void *ctx)
{
	return 0;
}

/*
 * The live thread's 5 ms, read on even samples and missed on odd ones (as a
 * thread that closes between the two reads is in neither): the sum lags the
 * truth at times, never leads it.
 */
static int f_read_live(struct collector *c, int (*fn)(void *, const struct jt_live_rec *),
		       void *ctx)
{
	struct jt_live_rec r = { .job_id = JOB, .tgid = 100, .tid = 100, .is_leader = 1 };

	if (fk.samples >= 12)
		return 0;
	if (fk.samples % 2 && !fk.live_always)
		return 0;
	r.reader_tgid = fk.reader_tgid;
	r.cpu_ns = 5000000;
	r.utime_ns = 3;
	r.stime_ns = 1;
	r.rss_pages = 10;
	r.open_fds = 4;
	return fn(ctx, &r);
}

static int f_remove_job(struct collector *c, __u64 id)
{
	return 0;
}

static int f_counters(struct collector *c, struct jt_counters *out)
{
	memset(out, 0, sizeof(*out));
	return 0;
}

static const struct source_ops fake_ops = {
	.name = "fake",
	.open = f_open,
	.close = f_close,
	.fd = f_fd,
	.consume = f_consume,
	.add_empty = f_add_empty,
	.job_stats = f_job_stats,
	.for_each_job = f_for_each_job,
	.read_live = f_read_live,
	.remove_job = f_remove_job,
	.counters = f_counters,
};

/* A collector over @o with @sink and job @id (@key), run to its end; the caller frees it. */
static struct collector *one_job_run(const struct collector_opts *o, struct sink *sink, __u64 id,
				     const char *key)
{
	struct collector *c = collector__new(o);

	assert_non_null(c);
	assert_int_equal(collector__add_sink(c, sink), 0);
	assert_non_null(collector__add_job(c, id, key, CJOB_END_EMPTY));
	assert_int_equal(collector__run(c), 0);
	return c;
}

/* A sink that keeps what it is handed. */
struct keep {
	struct sink base;
	__u64 cpu_sum, started_sum, system_sum;
	int intervals, negative, jobs, processes;
	__u64 final_cpu, final_started;
};

static int keep_interval(struct sink *s, const struct interval_record *r)
{
	struct keep *k = (struct keep *)s;

	k->intervals++;
	/* Unsigned deltas: a negative one shows as a huge number. */
	if (r->d.cpu_ns > (1ULL << 62) || r->d.system_ns > (1ULL << 62) ||
	    r->d.user_ns > (1ULL << 62))
		k->negative++;
	k->cpu_sum += r->d.cpu_ns;
	k->system_sum += r->d.system_ns;
	k->started_sum += r->d.started;
	return 0;
}

static int keep_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct keep *k = (struct keep *)s;

	k->jobs++;
	k->final_cpu = j->job.stats.cpu_ns;
	k->final_started = j->job.stats.procs_started;
	return 0;
}

static int keep_process(struct sink *s, const struct proc_record *r)
{
	struct keep *k = (struct keep *)s;

	k->processes++;
	assert_int_equal(r->job->id, JOB);
	assert_non_null(r->args);
	assert_string_equal(r->args, "make");
	return 0;
}

static const struct sink_ops keep_ops = {
	.name = "keep",
	.interval = keep_interval,
	.job_end = keep_job_end,
	.process = keep_process,
};

static void test_intervals_add_up(void **state)
{
	struct collector_opts o = {
		.ops = &fake_ops,
		.interval_s = 0.02,
		.duration_s = 5,
		.events = true,
		.stop_when_jobs_end = true,
	};
	struct keep *k = calloc(1, sizeof(*k));
	struct jt_exec_event x = { .version = JT_ABI_VERSION, .type = JT_REC_EXEC,
				   .size = sizeof(x), .job_id = JOB, .pid = 100,
				   .start_ns = 5, .args_len = 5 };
	struct jt_exit_event e = { .version = JT_ABI_VERSION, .type = JT_REC_EXIT,
				   .size = sizeof(e), .job_id = JOB, .pid = 100, .start_ns = 5,
				   .exit_status = 3 << 8, .comm = "make" };
	struct collector *c;
	struct cjob *j;

	memset(&fk, 0, sizeof(fk));
	fk.alive = 1;
	c = collector__new(&o);
	assert_non_null(c);
	k->base.ops = &keep_ops;
	assert_int_equal(collector__add_sink(c, &k->base), 0);
	j = collector__add_job(c, JOB, "pid:100", CJOB_END_EMPTY);
	assert_non_null(j);
	/* An exec then an exit, as the ring would hand them over. */
	memcpy(x.args, "make", 5);
	assert_int_equal(collector__on_exec(c, &x), 0);
	assert_int_equal(collector__on_exit(c, &e), 0);
	assert_int_equal(collector__run(c), 0);

	assert_int_equal(k->jobs, 1);
	assert_int_equal(k->processes, 1);
	assert_true(k->intervals >= 3);
	assert_int_equal(k->negative, 0);
	/* Exact: differences of one monotone sequence. */
	assert_int_equal(k->cpu_sum, k->final_cpu);
	assert_int_equal(k->started_sum, k->final_started);
	/* 11 samples of 10 ms, all exited at the end. */
	assert_int_equal(k->final_cpu, 110000000);
	assert_int_equal(j->job.nfailed, 1);
	assert_int_equal(j->job.failed[0].pid, 100);
	assert_string_equal(j->job.failed[0].args, "make");
	collector__free(c);
}

/* A sink that sums the counts that come as the kernel's totals give them. */
#define WOBBLE_COUNTS 14
struct wobble {
	struct sink base;
	__u64 sum[WOBBLE_COUNTS], most, report[WOBBLE_COUNTS];
	int intervals;
};

static int wobble_interval(struct sink *s, const struct interval_record *r)
{
	struct wobble *k = (struct wobble *)s;
	const __u64 d[WOBBLE_COUNTS] = {
		r->d.existing,	  r->d.moved_in,	  r->d.moved_out,
		r->d.execs,	  r->d.threads,		  r->d.exit_records_lost,
		r->d.fork_records_lost, r->d.exec_records_lost, r->d.exit_ok,
		r->d.started,	  r->d.exited,		  r->d.exit_error,
		r->d.exit_signal, r->d.oom_kills,
	};

	k->intervals++;
	for (int i = 0; i < WOBBLE_COUNTS; i++) {
		k->sum[i] += d[i];
		if (d[i] > k->most)
			k->most = d[i];
	}
	return 0;
}

/* The report's counts, in the intervals' order. */
static int wobble_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct wobble *k = (struct wobble *)s;
	const struct jt_job_stats *t = &j->job.stats;
	const __u64 r[WOBBLE_COUNTS] = {
		t->existing,	 t->moved_in,		t->moved_out,
		t->execs,	 t->threads_started,	t->events_lost,
		t->fork_records_lost, t->exec_records_lost, t->exit_ok,
		t->procs_started, t->procs_exited,	t->exit_error,
		t->exit_signal,	 t->oom_kills,
	};

	memcpy(k->report, r, sizeof(r));
	return 0;
}

static const struct sink_ops wobble_ops = {
	.name = "wobble",
	.interval = wobble_interval,
	.job_end = wobble_job_end,
};

/*
 * Counts the source's totals give (starts, exits by kind, OOM kills, moves,
 * the processes found at the attach, execs, threads, lost records) that
 * read less than the read before: a counter never goes back, and the
 * interval says 0, not a difference that wraps (2^64 - 4 moved in, on
 * /metrics a counter that jumped by as much). Their intervals add up to
 * the most the totals said, 9, and so does the report.
 */
static void test_interval_counts_never_fall(void **state)
{
	struct collector_opts o = {
		.ops = &fake_ops,
		.interval_s = 0.02,
		.duration_s = 5,
		.stop_when_jobs_end = true,
	};
	struct wobble *k = calloc(1, sizeof(*k));
	struct collector *c;

	memset(&fk, 0, sizeof(fk));
	fk.alive = 1;
	fk.wobble = true;
	k->base.ops = &wobble_ops;
	c = one_job_run(&o, &k->base, JOB, "pid:100");
	assert_true(k->intervals >= 3);
	print_message("%d intervals, the largest count in one %llu\n", k->intervals,
		      (unsigned long long)k->most);
	assert_true(k->most <= 9);
	for (int i = 0; i < WOBBLE_COUNTS; i++) {
		assert_int_equal(k->sum[i], 9);
		assert_int_equal(k->report[i], 9);
	}
	collector__free(c);
}

/* A sink that keeps the intervals that say nothing: no time, or no count over too little time. */
struct spans {
	struct sink base;
	__u64 cpu_sum, final_cpu, shortest_ns;
	int intervals, zero, empty_short;
};

static int spans_interval(struct sink *s, const struct interval_record *r)
{
	static const struct cjob_cum none;
	struct spans *k = (struct spans *)s;
	__u64 dt = r->t1_ns - r->t0_ns;

	k->intervals++;
	k->cpu_sum += r->d.cpu_ns;
	if (!k->shortest_ns || dt < k->shortest_ns)
		k->shortest_ns = dt;
	if (r->t1_ns <= r->t0_ns) {
		print_message("interval %d: %llu ns, %llu ns of CPU\n", k->intervals,
			      (unsigned long long)dt, (unsigned long long)r->d.cpu_ns);
		k->zero++;
	}
	if (dt < INTERVAL_RATE_MIN_NS && !memcmp(&r->d, &none, sizeof(none))) {
		print_message("interval %d: %llu ns with nothing in it\n", k->intervals,
			      (unsigned long long)dt);
		k->empty_short++;
	}
	return 0;
}

static int spans_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	((struct spans *)s)->final_cpu = j->job.stats.cpu_ns;
	return 0;
}

static const struct sink_ops spans_ops = {
	.name = "spans",
	.interval = spans_interval,
	.job_end = spans_job_end,
};

/*
 * A job whose last process is gone by a tick's sample: the tick's interval
 * has all of it, and the job's end, found over at that sample, had nothing
 * left to close. It sent one more interval all the same: of 0 s when the
 * kernel stamped the last exit before the tick (the end is the last exit,
 * the interval from the tick to the tick), of some microseconds when no
 * exit was stamped (to when the end was noticed), each with nothing in it
 * and no rate (null in JSON). Now no such interval: the tick that finds
 * it over closes none for it, its end's is the last (to the stamp, or to
 * when the end was noticed), and the intervals still add up to the report.
 */
static void test_no_empty_last_interval(void **state)
{
	for (int stamped = 0; stamped < 2; stamped++) {
		struct collector_opts o = {
			.ops = &fake_ops,
			.interval_s = 0.02,
			.duration_s = 5,
			.stop_when_jobs_end = true,
		};
		struct spans *k = calloc(1, sizeof(*k));
		struct collector *c;
		struct cjob *j;

		memset(&fk, 0, sizeof(fk));
		fk.alive = 1;
		fk.exit_before_ns = stamped ? 2000000 : 0; /* 2 ms before the tick's read */
		c = collector__new(&o);
		assert_non_null(c);
		k->base.ops = &spans_ops;
		assert_int_equal(collector__add_sink(c, &k->base), 0);
		j = collector__add_job(c, JOB, "pid:100", CJOB_END_EMPTY);
		assert_non_null(j);
		assert_int_equal(collector__run(c), 0);
		/* It ended before the tick, and its last interval there. */
		if (stamped)
			assert_true(j->job.end_ns == j->reported_ns);
		/*
		 * 11 ticks, the 12th finds it gone: 11 intervals of 20 ms (the
		 * last 18 or so), never one more. Fewer where a tick came late
		 * (valgrind under load: a first interval of 43 ms, two ticks
		 * in one read of the timer), and then an interval may be short
		 * for the lateness of the one before, with CPU in it: none is
		 * of no time, nor short with nothing in it.
		 */
		assert_true(k->intervals <= 11 && k->intervals >= 5);
		assert_int_equal(k->zero, 0);
		assert_int_equal(k->empty_short, 0);
		if (k->intervals == 11 && k->shortest_ns < INTERVAL_RATE_MIN_NS)
			print_message("an interval of %llu ns: a tick came late\n",
				      (unsigned long long)k->shortest_ns);
		assert_int_equal(k->cpu_sum, k->final_cpu);
		assert_int_equal(k->final_cpu, 110000000);
		collector__free(c);
	}
}

/* A sink that sets a job's intervals against its end: their spans, their order, the host's. */
struct ends {
	struct sink base;
	struct collector *c;
	int stop_at; /* the interval that stops the collector; 0: none */
	__u64 span_sum, cpu_sum, started_sum, last_t1, latest_t1, first_t0;
	__u64 host_t1_before_end; /* the latest host record's end, when the job's end came */
	int intervals, after_end, jobs;
	__u64 end_ns, start_ns, final_cpu, final_started;
};

static int ends_interval(struct sink *s, const struct interval_record *r)
{
	struct ends *k = (struct ends *)s;

	if (!k->intervals++)
		k->first_t0 = r->t0_ns;
	if (k->intervals == k->stop_at)
		collector__stop(k->c);
	if (k->jobs)
		k->after_end++;
	k->span_sum += r->t1_ns - r->t0_ns;
	k->cpu_sum += r->d.cpu_ns;
	k->started_sum += r->d.started;
	k->last_t1 = r->t1_ns;
	if (r->t1_ns > k->latest_t1)
		k->latest_t1 = r->t1_ns;
	return 0;
}

static __u64 ends_host_t1;

static int ends_host(struct sink *s, const struct host_record *r)
{
	ends_host_t1 = r->t1_ns;
	return 0;
}

static int ends_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct ends *k = (struct ends *)s;

	k->jobs++;
	k->start_ns = j->job.start_ns;
	k->end_ns = j->job.end_ns;
	k->final_cpu = j->job.stats.cpu_ns;
	k->final_started = j->job.stats.procs_started;
	k->host_t1_before_end = ends_host_t1;
	return 0;
}

static const struct sink_ops ends_ops = {
	.name = "ends",
	.interval = ends_interval,
	.host = ends_host,
	.job_end = ends_job_end,
};

/*
 * A job's intervals run from its start to its end, none past it and none
 * after its report: their spans add up to its wall time, their CPU and
 * counts to its report. The ways to its end:
 * - its last exit stamped 8 ms before a tick whose read finds it over
 *   (watch --all, serve): before, the tick's interval ran 8 ms past it;
 * - the same with no exit stamped (the proc and rusage sources): the end
 *   is when it was noticed, and before, the spans fell short of it;
 * - its processes gone, its root's record 4 reads later (run's wait for
 *   its root, watch --cgroup's for the rmdir): open by its rule, it has
 *   intervals to those ticks, which before ran on past its end, at the
 *   stamp; it now ends no earlier than the last of them;
 * - the kernel stamps the exit, then drops the count: a read in between
 *   found one alive and closed an interval after the stamp, as above;
 * - asleep, stopped just after a tick: before, it ended when the stop was
 *   noticed, nothing having moved, the spans short of its wall time.
 * Found over at a tick, its records come before that tick's host record:
 * before, after it.
 */
static void test_intervals_stop_at_the_end(void **state)
{
	static const struct {
		const char *how;
		__u64 exit_before_ns; /* the stamp, this long before the 12th read; 0: none */
		int root_exit_at, count_late, still_from, stop_at;
		bool root_rule; /* CJOB_END_ROOT, else CJOB_END_EMPTY */
		bool live_always;
		bool at_stamp; /* it ends at the stamp */
	} ways[] = {
		{ .how = "over at the tick", .exit_before_ns = 8000000, .at_stamp = true },
		{ .how = "no stamp, over at the tick" },
		{ .how = "over at its root's record",
		  .root_rule = true,
		  .exit_before_ns = 8000000,
		  .root_exit_at = 16 },
		/* Not found twice in a row with one counted alive: not a missed exit. */
		{ .how = "counted alive after the stamp",
		  .exit_before_ns = 8000000,
		  .count_late = 1,
		  .live_always = true },
		{ .how = "asleep, stopped after a tick",
		  .still_from = 4,
		  .stop_at = 6,
		  .live_always = true },
	};

	for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		struct collector_opts o = {
			.ops = &fake_ops,
			.interval_s = 0.02,
			.duration_s = 5,
			.stop_when_jobs_end = true,
			.host_records = true,
		};
		struct ends *k = calloc(1, sizeof(*k));
		__u64 stamp_ns;
		struct collector *c;

		memset(&fk, 0, sizeof(fk));
		ends_host_t1 = 0;
		fk.alive = 1;
		fk.exit_before_ns = ways[w].exit_before_ns;
		fk.root_exit_at = ways[w].root_exit_at;
		fk.count_late = ways[w].count_late;
		fk.still_from = ways[w].still_from;
		fk.live_always = ways[w].live_always;
		c = collector__new(&o);
		assert_non_null(c);
		k->base.ops = &ends_ops;
		k->c = c;
		k->stop_at = ways[w].stop_at;
		assert_int_equal(collector__add_sink(c, &k->base), 0);
		assert_non_null(collector__add_job(c, JOB, "pid:100",
						   ways[w].root_rule ? CJOB_END_ROOT : CJOB_END_EMPTY));
		assert_int_equal(collector__run(c), 0);
		/* The kernel's stamp, on the jobs' clock (to the µs the two clocks' reads differ). */
		stamp_ns = fk.last_exit_ns ? fk.last_exit_ns - (util__boottime_ns() - util__now_ns()) :
					     k->end_ns;
		print_message("%s: %d intervals spanning %.6f s, the last closing %+.6f s from the "
			      "end, wall %.6f s, the end %+.6f s from the stamp\n",
			      ways[w].how, k->intervals, (double)k->span_sum / 1e9,
			      ((double)k->last_t1 - (double)k->end_ns) / 1e9,
			      (double)(k->end_ns - k->start_ns) / 1e9,
			      ((double)k->end_ns - (double)stamp_ns) / 1e9);
		assert_int_equal(k->jobs, 1);
		assert_true(k->intervals >= 3);
		/* No interval past the end, the last one closing there, none after the report. */
		assert_true(k->latest_t1 <= k->end_ns);
		assert_true(k->last_t1 == k->end_ns);
		assert_int_equal(k->after_end, 0);
		/* From the job's start to its end: exactly its wall time. */
		assert_true(k->first_t0 == k->start_ns);
		assert_true(k->span_sum == k->end_ns - k->start_ns);
		/* The end is the kernel's stamp, or the close of an interval sent after it. */
		assert_true(k->end_ns + 1000000 > stamp_ns);
		if (ways[w].at_stamp)
			assert_true(k->end_ns < stamp_ns + 1000000);
		/* No host record of a later tick than its end came before its report. */
		assert_true(k->host_t1_before_end <= k->end_ns);
		/* And they still add up to the report. */
		assert_int_equal(k->cpu_sum, k->final_cpu);
		assert_int_equal(k->started_sum, k->final_started);
		collector__free(c);
	}
}

/* A sink that keeps the host records' spans and stops the collector at an interval. */
struct hosts {
	struct sink base;
	struct collector *c;
	int stop_at, intervals, hosts;
	__u64 t0_ns, t1_ns, prev_t1_ns; /* the last host record's, the one before's end */
};

static int hosts_interval(struct sink *s, const struct interval_record *r)
{
	struct hosts *h = (struct hosts *)s;

	if (++h->intervals == h->stop_at)
		collector__stop(h->c);
	return 0;
}

static int hosts_host(struct sink *s, const struct host_record *r)
{
	struct hosts *h = (struct hosts *)s;

	h->hosts++;
	h->prev_t1_ns = h->t1_ns;
	h->t0_ns = r->t0_ns;
	h->t1_ns = r->t1_ns;
	return 0;
}

static const struct sink_ops hosts_ops = {
	.name = "hosts",
	.interval = hosts_interval,
	.host = hosts_host,
};

/*
 * Stopped just after a tick (a signal, as top -b --pid gets one), the
 * jobs are reported as they stand, after that tick's host record: the host
 * record top's last frame asks for then (collector__emit_host_now()) comes,
 * from that tick's on, over time enough for a rate. Before, under 10 ms
 * after the tick it gave none (-EAGAIN), and top drew the frame before's
 * figures again.
 */
static void test_host_now_after_tick(void **state)
{
	struct collector_opts o = {
		.ops = &fake_ops,
		.interval_s = 0.02,
		.duration_s = 5,
		.stop_when_jobs_end = true,
		.host_records = true,
	};
	struct hosts *h = calloc(1, sizeof(*h));
	struct collector *c;
	int hosts;

	memset(&fk, 0, sizeof(fk));
	fk.alive = 1;
	fk.live_always = true;
	c = collector__new(&o);
	assert_non_null(c);
	h->base.ops = &hosts_ops;
	h->c = c;
	h->stop_at = 4;
	assert_int_equal(collector__add_sink(c, &h->base), 0);
	assert_non_null(collector__add_job(c, JOB, "pid:100", CJOB_END_EMPTY));
	assert_int_equal(collector__run(c), 0);
	hosts = h->hosts;
	assert_true(hosts >= 3);
	assert_int_equal(collector__emit_host_now(c), 0);
	assert_int_equal(h->hosts, hosts + 1);
	/* From the tick's record on, with no gap, and long enough for a rate. */
	assert_true(h->t0_ns == h->prev_t1_ns);
	assert_true(h->t1_ns - h->t0_ns >= INTERVAL_RATE_MIN_NS);
	collector__free(c);
}

/* A sink that keeps a job's report as it ends, and stops the collector at an interval. */
struct peak {
	struct sink base;
	struct collector *c;
	int stop_at, intervals, jobs;
	__u64 peak_rss_bytes, live_rss_bytes;
	int peak_from;
};

static int peak_interval(struct sink *s, const struct interval_record *r)
{
	struct peak *k = (struct peak *)s;

	if (++k->intervals == k->stop_at)
		collector__stop(k->c);
	return 0;
}

static int peak_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct peak *k = (struct peak *)s;

	k->jobs++;
	k->peak_rss_bytes = j->job.stats.peak_rss_bytes;
	k->peak_from = j->job.peak_rss_from;
	k->live_rss_bytes = j->job.live ? j->job.live->rss_bytes : 0;
	return 0;
}

static const struct sink_ops peak_ops = {
	.name = "peak",
	.interval = peak_interval,
	.job_end = peak_job_end,
};

/*
 * A job reported as it stands, its one process alive (10 pages resident at
 * every read, no exit record, so no peak from the kernel): its peak RSS is
 * at least what the live reads saw, said as sampled. Before, 0 B peak RSS
 * beside 10 pages live in the same report.
 */
/* run's proc source: the peak of the reaped children's ru_maxrss (source_proc.c). */
static int children_peak_from(struct collector *c, __u64 job_id)
{
	return JOB_RSS_FROM_CHILDREN;
}

/*
 * Reported while its process lives: the peak at least that process's RSS,
 * where the source has its exit records' peaks (BPF) and where it has the
 * reaped children's ru_maxrss (run in proc mode, which --no-wait reported
 * at 1.6 MiB beside a live process of 67.9 MiB).
 */
static void test_peak_rss_of_live_job(void **state)
{
	for (int children = 0; children < 2; children++) {
		struct source_ops ops = fake_ops;
		struct collector_opts o = {
			.ops = &ops,
			.interval_s = 0.02,
			.duration_s = 5,
			.stop_when_jobs_end = true,
		};
		struct peak *k = calloc(1, sizeof(*k));
		__u64 page = (__u64)sysconf(_SC_PAGESIZE);
		struct collector *c;

		if (children)
			ops.peak_rss_from = children_peak_from;
		memset(&fk, 0, sizeof(fk));
		fk.alive = 1;
		fk.live_always = true;
		c = collector__new(&o);
		assert_non_null(c);
		k->base.ops = &peak_ops;
		k->c = c;
		k->stop_at = 3;
		assert_int_equal(collector__add_sink(c, &k->base), 0);
		assert_non_null(collector__add_job(c, JOB, "pid:100", CJOB_END_EMPTY));
		assert_int_equal(collector__run(c), 0);
		assert_int_equal(k->jobs, 1);
		assert_int_equal(k->live_rss_bytes, 10 * page);
		assert_true(k->peak_rss_bytes >= k->live_rss_bytes);
		assert_int_equal(k->peak_from, JOB_RSS_FROM_SAMPLES);
		collector__free(c);
	}
}

/* A sink that sets each host record's forks against the jobs' starts of its tick. */
struct forks {
	struct sink base;
	__u64 started; /* the jobs' starts since the last host record */
	int hosts, over;
};

static int forks_interval(struct sink *s, const struct interval_record *r)
{
	((struct forks *)s)->started += r->d.started;
	return 0;
}

static int forks_host(struct sink *s, const struct host_record *r)
{
	struct forks *f = (struct forks *)s;
	double dt = (double)(r->t1_ns - r->t0_ns) / 1e9;

	f->hosts++;
	/* forks_per_s x dt: the host's forks back, to within a rounding. */
	if ((double)f->started > r->forks_per_s * dt + 0.5) {
		print_message("host record %d: the jobs started %llu, the host forked %.1f\n",
			      f->hosts, (unsigned long long)f->started, r->forks_per_s * dt);
		f->over++;
	}
	f->started = 0;
	return 0;
}

static const struct sink_ops forks_ops = {
	.name = "forks",
	.interval = forks_interval,
	.host = forks_host,
};

/*
 * The jobs' counts are read, then the host's: a burst of forks between the
 * two reads is the host's in one interval and a job's in the next. Here the
 * bursts are starts /proc/stat never saw (100,000 a read, far beyond what
 * this host forks in 20 ms), the extreme of that stagger: each host record
 * still has at least the forks its jobs started in its interval.
 */
static void test_host_forks_cover_jobs(void **state)
{
	struct collector_opts o = {
		.ops = &fake_ops,
		.interval_s = 0.02,
		.duration_s = 5,
		.stop_when_jobs_end = true,
		.host_records = true,
	};
	struct forks *f = calloc(1, sizeof(*f));
	struct collector *c;

	memset(&fk, 0, sizeof(fk));
	fk.alive = 1;
	fk.burst = 100000;
	f->base.ops = &forks_ops;
	c = one_job_run(&o, &f->base, JOB, "pid:100");
	assert_true(f->hosts >= 3);
	assert_int_equal(f->over, 0);
	collector__free(c);
}

/* A sink that sets each interval's CPU against what the host's CPUs could give in it. */
struct capacity {
	struct sink base;
	__u64 cpu_sum, final_cpu;
	int intervals, over;
	bool last_over; /* the last interval's: the job's end takes what is left */
};

static int capacity_interval(struct sink *s, const struct interval_record *r)
{
	struct capacity *k = (struct capacity *)s;
	__u64 room = (__u64)sysconf(_SC_NPROCESSORS_ONLN) * (r->t1_ns - r->t0_ns);

	k->intervals++;
	k->cpu_sum += r->d.cpu_ns;
	k->last_over = r->d.cpu_ns > room || r->d.user_ns + r->d.system_ns != r->d.cpu_ns;
	k->over += k->last_over;
	return 0;
}

static int capacity_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	((struct capacity *)s)->final_cpu = j->job.stats.cpu_ns;
	return 0;
}

static const struct sink_ops capacity_ops = {
	.name = "capacity",
	.interval = capacity_interval,
	.job_end = capacity_job_end,
};

/*
 * A job's CPU read at one sample spanning more than the interval (its live
 * tasks' walk ended later after the sample's start than at the last): here
 * 1 s more at each read, 20 ms apart, more than any host's CPUs give. No
 * interval but the job's last has more CPU than the CPUs could give over
 * it; what was over comes in the next, and they add up to the job's total.
 */
static void test_interval_cpu_within_cpus(void **state)
{
	struct collector_opts o = {
		.ops = &fake_ops,
		.interval_s = 0.02,
		.duration_s = 5,
		.stop_when_jobs_end = true,
	};
	struct capacity *k = calloc(1, sizeof(*k));
	struct collector *c;

	memset(&fk, 0, sizeof(fk));
	fk.alive = 1;
	fk.cpu_step_ns = 1000000000ULL;
	k->base.ops = &capacity_ops;
	c = one_job_run(&o, &k->base, JOB, "pid:100");
	assert_true(k->intervals >= 3);
	assert_int_equal(k->over - k->last_over, 0);
	assert_int_equal(k->cpu_sum, k->final_cpu);
	collector__free(c);
}

/*
 * One thread busy all along, its CPU read a tick late at every other
 * sample (8 ms: a running thread's CPU is brought up to date at its ticks,
 * not when it is read), as the kernel does; the reads 20 ms apart. An
 * interval after a late read holds 28 ms of CPU in 20: its rate must still
 * say at most the one task it has (not the host's CPUs), the excess come in
 * the next, and the intervals add up to the job's total.
 */
static struct {
	__u64 start_ns, end_cpu_ns;
	int samples;
} busy;

static int busy_job_stats(struct collector *c, __u64 id, struct jt_job_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->procs_started = 1; /* the root, begun with the job */
	out->outlived_root = -1;
	if (++busy.samples < 12) {
		out->alive = 1;
		return 0;
	}
	if (!busy.end_cpu_ns)
		busy.end_cpu_ns = util__now_ns() - busy.start_ns;
	out->cpu_ns = out->user_ns = busy.end_cpu_ns; /* exited: its exact total */
	out->procs_exited = out->exit_ok = 1;
	return 0;
}

static int busy_read_live(struct collector *c, int (*fn)(void *, const struct jt_live_rec *),
			  void *ctx)
{
	struct jt_live_rec r = { .job_id = JOB, .tgid = 100, .tid = 100, .is_leader = 1 };
	__u64 ran = util__now_ns() - busy.start_ns;

	if (busy.samples >= 12)
		return 0;
	r.cpu_ns = ran - (busy.samples % 2 && ran > 8000000 ? 8000000 : 0);
	r.utime_ns = r.cpu_ns;
	return fn(ctx, &r);
}

struct rates {
	struct sink base;
	__u64 cpu_sum, final_cpu;
	int intervals, late;
	double most_pct;
};

static int rates_interval(struct sink *s, const struct interval_record *r)
{
	struct rates *k = (struct rates *)s;
	double pct;

	k->intervals++;
	k->cpu_sum += r->d.cpu_ns;
	/* What the late reads made of the CPU over the interval: more than one task's. */
	if (r->d.cpu_ns > r->t1_ns - r->t0_ns)
		k->late++;
	if (interval_record__cpu_pct(r, &pct) && pct > k->most_pct)
		k->most_pct = pct;
	return 0;
}

static int rates_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	((struct rates *)s)->final_cpu = j->job.stats.cpu_ns;
	return 0;
}

static const struct sink_ops rates_ops = {
	.name = "rates",
	.interval = rates_interval,
	.job_end = rates_job_end,
};

static void test_interval_cpu_within_tasks(void **state)
{
	struct source_ops ops = fake_ops;
	struct collector_opts o = {
		.ops = &ops,
		.interval_s = 0.02,
		.duration_s = 5,
		.stop_when_jobs_end = true,
	};
	struct rates *k = calloc(1, sizeof(*k));
	struct collector *c;

	ops.job_stats = busy_job_stats;
	ops.read_live = busy_read_live;
	ops.live_per_task = true;
	memset(&fk, 0, sizeof(fk));
	memset(&busy, 0, sizeof(busy));
	busy.start_ns = util__now_ns();
	k->base.ops = &rates_ops;
	c = one_job_run(&o, &k->base, JOB, "run");
	assert_true(k->intervals >= 5);
	/* Every rate within the one task, the job's last too. */
	assert_true(k->most_pct <= 100.0);
	/* The late reads were there, and their excess reached the job's end. */
	assert_true(k->most_pct > 90.0);
	assert_int_equal(k->cpu_sum, k->final_cpu);
	print_message("%d intervals, %d over one task's time (the last's), rates at most %.1f%%\n",
		      k->intervals, k->late, k->most_pct);
	collector__free(c);
}

/*
 * Two jobs busy on half of every CPU each, all of them together. The
 * first's CPU is read ahead of the sample (its tasks' walk ran late: what
 * it will have run 8 ms on), so the two want more than the CPUs give over
 * the interval, and both hold some back, the second too, though its reads
 * are exact. Then the second ends: its last interval brought all it held
 * back, and the first's of the same tick took the whole of the CPUs' time
 * beside it, more than every CPU over the tick together (top -g cgroup2
 * showed rows of 237% of 2 CPUs as three cgroup jobs ended). The ended
 * job's remainder now takes its share of the tick's room first: in no pass
 * do the intervals sent hold more CPU than the CPUs give over their span,
 * and each job's still add up to its total.
 */
#define PAIR_A 7
#define PAIR_B 8

static struct {
	__u64 start_ns, b_end_cpu_ns, a_end_cpu_ns;
	__u64 b_late_ns; /* what the read of b after its end's brings late */
	int reads_a, reads_b;
	unsigned int ncpus;
} pair;

static int pair_job_stats(struct collector *c, __u64 id, struct jt_job_stats *out)
{
	__u64 half = (__u64)pair.ncpus * (util__now_ns() - pair.start_ns) / 2;

	memset(out, 0, sizeof(*out));
	out->procs_started = 1;
	out->outlived_root = -1;
	if (id == PAIR_A) {
		if (++pair.reads_a < 40) {
			out->alive = 1;
			out->cpu_ns = half + (pair.reads_a > 1 ? pair.ncpus * 8000000ULL : 0);
			out->user_ns = out->cpu_ns;
			return 0;
		}
		if (!pair.a_end_cpu_ns)
			pair.a_end_cpu_ns = half;
		out->cpu_ns = out->user_ns = pair.a_end_cpu_ns;
	} else {
		if (++pair.reads_b < 12) {
			out->alive = 1;
			out->cpu_ns = out->user_ns = half;
			return 0;
		}
		if (!pair.b_end_cpu_ns) {
			pair.b_end_cpu_ns = half;
		} else if (pair.b_late_ns) {
			/* Its last exits' CPU, in at the next read: what ran before the end. */
			pair.b_end_cpu_ns += pair.b_late_ns;
			pair.b_late_ns = 0;
		}
		out->cpu_ns = out->user_ns = pair.b_end_cpu_ns;
	}
	out->procs_exited = out->exit_ok = 1;
	return 0;
}

static int pair_read_live(struct collector *c, int (*fn)(void *, const struct jt_live_rec *),
			  void *ctx)
{
	struct jt_live_rec r = { .job_id = PAIR_A, .tgid = 100, .tid = 100, .is_leader = 1 };

	/* A task each, while it runs: the jobs are not over before their ends. */
	if (pair.reads_a < 40 && fn(ctx, &r))
		return -1;
	r.job_id = PAIR_B;
	r.tgid = r.tid = 200;
	return pair.reads_b < 12 ? fn(ctx, &r) : 0;
}

struct passes {
	struct sink base;
	__u64 cpu_ns, t0_ns, t1_ns; /* this pass's intervals */
	__u64 cpu_sum[2], final_cpu[2];
	int intervals, passes, over, ends;
	double worst; /* the pass's CPU over its room, at most */
};

static int passes_interval(struct sink *s, const struct interval_record *r)
{
	struct passes *k = (struct passes *)s;

	if (!k->intervals++ || r->t0_ns < k->t0_ns)
		k->t0_ns = r->t0_ns;
	if (r->t1_ns > k->t1_ns)
		k->t1_ns = r->t1_ns;
	k->cpu_ns += r->d.cpu_ns;
	k->cpu_sum[r->job->id == PAIR_B] += r->d.cpu_ns;
	return 0;
}

static int passes_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct passes *k = (struct passes *)s;

	k->final_cpu[j->id == PAIR_B] = j->job.stats.cpu_ns;
	k->ends++;
	return 0;
}

/* The end of a pass of the loop: its intervals against what the CPUs gave over their span. */
static int passes_flush(struct sink *s)
{
	struct passes *k = (struct passes *)s;
	__u64 room = (__u64)pair.ncpus * (k->t1_ns - k->t0_ns);

	if (!k->intervals)
		return 0;
	k->passes++;
	if (room && (double)k->cpu_ns / (double)room > k->worst)
		k->worst = (double)k->cpu_ns / (double)room;
	/* The last pass, after the last end, has the other job's last interval alone. */
	if (k->cpu_ns > room && k->ends < 2) {
		print_message("pass %d: %llu ns of CPU in %llu ns of %u CPUs\n", k->passes,
			      (unsigned long long)k->cpu_ns, (unsigned long long)(k->t1_ns - k->t0_ns),
			      pair.ncpus);
		k->over++;
	}
	k->intervals = 0;
	k->cpu_ns = k->t0_ns = k->t1_ns = 0;
	return 0;
}

static const struct sink_ops passes_ops = {
	.name = "passes",
	.interval = passes_interval,
	.job_end = passes_job_end,
	.flush = passes_flush,
};

static void ended_jobs_share_the_cpus(__u64 b_late_ns)
{
	struct source_ops ops = fake_ops;
	struct collector_opts o = {
		.ops = &ops,
		.interval_s = 0.02,
		.duration_s = 5,
		.stop_when_jobs_end = true,
	};
	struct passes *k = calloc(1, sizeof(*k));
	struct collector *c;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	ops.job_stats = pair_job_stats;
	ops.read_live = pair_read_live;
	memset(&fk, 0, sizeof(fk));
	memset(&pair, 0, sizeof(pair));
	pair.ncpus = online > 0 ? (unsigned int)online : 1;
	pair.b_late_ns = b_late_ns;
	c = collector__new(&o);
	assert_non_null(c);
	k->base.ops = &passes_ops;
	assert_int_equal(collector__add_sink(c, &k->base), 0);
	assert_non_null(collector__add_job(c, PAIR_A, "a", CJOB_END_EMPTY));
	assert_non_null(collector__add_job(c, PAIR_B, "b", CJOB_END_EMPTY));
	/*
	 * Their CPU counts from here, after both are added: CPU from before
	 * (valgrind's collector__new() took 25 ms on a loaded host) is CPU
	 * the jobs could not have used, held back at every tick, full, and
	 * sent whole by B's end, over its pass's room.
	 */
	pair.start_ns = util__now_ns();
	assert_int_equal(collector__run(c), 0);
	print_message("%d passes, the fullest at %.3f of the CPUs' time\n", k->passes, k->worst);
	assert_int_equal(k->ends, 2);
	assert_true(k->passes >= 12);
	assert_int_equal(k->over, 0);
	/* Each job's intervals add up to its report. */
	assert_int_equal(k->cpu_sum[0], k->final_cpu[0]);
	assert_int_equal(k->cpu_sum[1], k->final_cpu[1]);
	collector__free(c);
}

static void test_ended_jobs_share_the_cpus(void **state)
{
	ended_jobs_share_the_cpus(0);
}

/*
 * The same, where the ended job's figures grow after the sample that found
 * it over: the end reads them again (its last records in, the proc
 * source's reaped CPU), and what came in between was outside the tick's
 * room, counted from the sample's. The end's read now comes before the
 * tick's intervals, so that the room is made for all the end sends (a pass
 * held 1.147 of the CPUs' time before).
 */
static void test_ended_job_read_again_shares_the_cpus(void **state)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	ended_jobs_share_the_cpus((online > 0 ? (__u64)online : 1) * 3000000ULL);
}

/*
 * Two jobs: X's last process is gone at a tick's sample, Y's between that
 * sample and the read again that X's end makes (every record in). Y was
 * open at the sample, over at the second read: it ends in the same pass,
 * at its last exit as stamped, not in a tick's interval that ran past
 * that exit and an end at the next tick, no earlier than that interval's
 * close (5 ms after the exit here, the time between the two reads).
 */
#define TWO_X 21
#define TWO_Y 22

static struct {
	int reads_x, reads_y;
	__u64 y_stamp_boot, y_gone_mono;
	bool slept;
} two;

static int two_job_stats(struct collector *c, __u64 id, struct jt_job_stats *out)
{
	bool x = id == TWO_X;
	int reads = x ? ++two.reads_x : ++two.reads_y;

	memset(out, 0, sizeof(*out));
	out->procs_started = 1;
	out->outlived_root = -1;
	out->cpu_ns = out->user_ns = 1000000ULL * (__u64)(reads < 6 ? reads : 6);
	/* X: gone from its 6th read on; Y: from its 7th, the read again of X's end. */
	if (reads < (x ? 6 : 7)) {
		out->alive = 1;
		return 0;
	}
	out->procs_exited = out->exit_ok = 1;
	if (!x)
		out->last_exit_ns = two.y_stamp_boot;
	return 0;
}

/* The records' read before the read again: 5 ms, as a walk of a large host takes longer. */
static int two_consume(struct collector *c)
{
	if (two.y_stamp_boot && !two.slept) {
		two.slept = true;
		usleep(5000);
	}
	return 0;
}

static int two_read_live(struct collector *c, int (*fn)(void *, const struct jt_live_rec *),
			 void *ctx)
{
	struct jt_live_rec r = { .job_id = TWO_X, .tgid = 300, .tid = 300, .is_leader = 1 };

	if (two.reads_x < 6 && fn(ctx, &r))
		return -1;
	r.job_id = TWO_Y;
	r.tgid = r.tid = 400;
	/*
	 * Y's exit: in the tick's walk, after its totals were read (alive)
	 * and its task seen, before the read again: the tick's sample found
	 * it open, and its stamp is between the two reads.
	 */
	if (two.reads_y == 6 && !two.y_stamp_boot) {
		int err = fn(ctx, &r);

		two.y_gone_mono = util__now_ns();
		two.y_stamp_boot = util__boottime_ns();
		return err;
	}
	return two.reads_y < 7 ? fn(ctx, &r) : 0;
}

struct two_sink {
	struct sink base;
	__u64 y_last_t1, y_end_ns;
	int y_intervals, ends;
};

static int two_interval(struct sink *s, const struct interval_record *r)
{
	struct two_sink *k = (struct two_sink *)s;

	if (r->job->id == TWO_Y) {
		k->y_intervals++;
		if (r->t1_ns > k->y_last_t1)
			k->y_last_t1 = r->t1_ns;
	}
	return 0;
}

static int two_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct two_sink *k = (struct two_sink *)s;

	k->ends++;
	if (j->id == TWO_Y)
		k->y_end_ns = j->job.end_ns;
	return 0;
}

static const struct sink_ops two_ops = {
	.name = "two",
	.interval = two_interval,
	.job_end = two_job_end,
};

static void test_job_gone_between_two_reads_ends_at_its_exit(void **state)
{
	struct source_ops ops = fake_ops;
	struct collector_opts o = {
		.ops = &ops,
		.interval_s = 0.02,
		.duration_s = 5,
		.stop_when_jobs_end = true,
	};
	struct two_sink *k = calloc(1, sizeof(*k));
	struct collector *c;
	double off_ms;

	ops.job_stats = two_job_stats;
	ops.read_live = two_read_live;
	ops.consume = two_consume;
	memset(&fk, 0, sizeof(fk));
	memset(&two, 0, sizeof(two));
	c = collector__new(&o);
	assert_non_null(c);
	k->base.ops = &two_ops;
	assert_int_equal(collector__add_sink(c, &k->base), 0);
	assert_non_null(collector__add_job(c, TWO_X, "x", CJOB_END_EMPTY));
	assert_non_null(collector__add_job(c, TWO_Y, "y", CJOB_END_EMPTY));
	assert_int_equal(collector__run(c), 0);
	assert_int_equal(k->ends, 2);
	assert_true(two.y_gone_mono > 0);
	off_ms = ((double)k->y_end_ns - (double)two.y_gone_mono) / 1e6;
	print_message("y: %d intervals, the last to %+.3f ms of its exit, its end %+.3f ms\n",
		      k->y_intervals, ((double)k->y_last_t1 - (double)two.y_gone_mono) / 1e6,
		      off_ms);
	assert_true(off_ms > -0.1 && off_ms < 0.1);
	assert_true(k->y_last_t1 <= k->y_end_ns);
	collector__free(c);
}

/*
 * A job of two processes, both gone at the same read, whose second exit
 * record the ring gives only at the third read of the ring after that: a
 * record reserved before it and not yet committed held it back. The end
 * waits for it: the report has both records, not one (a short cgroup job
 * of test_top said 0 exited, its shell's record come after its end).
 */
#define HELD_JOB 31

static struct {
	int reads, consumes_after;
	bool gone, first_sent, second_sent;
	bool never; /* the second record never comes */
	bool lost;  /* a third process, whose record the full ring refused */
} held;

static int held_job_stats(struct collector *c, __u64 id, struct jt_job_stats *out)
{
	__u64 n = held.lost ? 3 : 2;

	memset(out, 0, sizeof(*out));
	out->outlived_root = -1;
	out->procs_started = n;
	out->alive = (__s64)n;
	if (++held.reads >= 4) {
		held.gone = true;
		out->alive = 0;
		out->procs_exited = out->exit_ok = n;
		/* The kernel counts a record sent as it commits it; one it could not reserve, lost. */
		out->events_sent = 2;
		out->events_lost = n - 2;
		out->last_exit_ns = 1000;
	}
	return 0;
}

/* The second record, as the ring gives it. */
static void held_second(struct jt_exit_event *e)
{
	*e = (struct jt_exit_event){ .version = JT_ABI_VERSION, .type = JT_REC_EXIT,
				     .size = sizeof(*e), .job_id = HELD_JOB, .pid = 200,
				     .start_ns = 5, .exit_ns = 1000, .comm = "sh",
				     .exit_status = 76 << 8 };
}

static int held_consume(struct collector *c)
{
	struct jt_exit_event e = { .version = JT_ABI_VERSION, .type = JT_REC_EXIT,
				   .size = sizeof(e), .job_id = HELD_JOB, .pid = 201,
				   .start_ns = 5, .exit_ns = 990, .comm = "sleep" };

	if (!held.gone)
		return 0;
	if (!held.first_sent) {
		held.first_sent = true;
		return collector__on_exit(c, &e);
	}
	if (held.second_sent || ++held.consumes_after < 3 || held.never)
		return 0;
	held.second_sent = true;
	held_second(&e);
	return collector__on_exit(c, &e);
}

static int held_read_live(struct collector *c, int (*fn)(void *, const struct jt_live_rec *),
			  void *ctx)
{
	struct jt_live_rec r = { .job_id = HELD_JOB, .tgid = 200, .tid = 200, .is_leader = 1 };

	return held.gone ? 0 : fn(ctx, &r);
}

struct held_sink {
	struct sink base;
	int ends;
	__u64 records, exited, errors, lost;
	__u32 incomplete;
	struct collector_stats st; /* the collector's, after the run (and a late record) */
};

static int held_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct held_sink *k = (struct held_sink *)s;

	k->ends++;
	k->records = j->job.records;
	k->exited = j->job.stats.procs_exited;
	k->errors = j->job.nfailed;
	k->lost = job__events_lost(&j->job);
	k->incomplete = job__incomplete_mask(&j->job);
	return 0;
}

static const struct sink_ops held_ops = {
	.name = "held",
	.job_end = held_job_end,
};

/*
 * The job's end, into @out; with @never its second record comes only after
 * it, straight to collector__on_exit() as the ring would give it then.
 */
static void held_run(bool never, bool lost, struct held_sink *out)
{
	struct held_sink *k = calloc(1, sizeof(*k)); /* the collector's once added */
	struct source_ops ops = fake_ops;
	struct collector_opts o = {
		.ops = &ops,
		.interval_s = 0.02,
		.duration_s = 5,
		.stop_when_jobs_end = true,
	};
	struct jt_exit_event e;
	struct collector *c;

	ops.job_stats = held_job_stats;
	ops.read_live = held_read_live;
	ops.consume = held_consume;
	ops.ring_ordered = true;
	memset(&fk, 0, sizeof(fk));
	memset(&held, 0, sizeof(held));
	held.never = never;
	held.lost = lost;
	k->base.ops = &held_ops;
	c = one_job_run(&o, &k->base, HELD_JOB, "held");
	if (never) {
		held_second(&e);
		assert_int_equal(collector__on_exit(c, &e), 0);
	}
	collector__stats(c, &k->st);
	print_message("held back%s%s: %d ends, %llu of %llu records, %llu lost, %llu failed, "
		      "%llu late\n",
		      never ? " for good" : "", lost ? " (one lost)" : "", k->ends,
		      (unsigned long long)k->records, (unsigned long long)k->exited,
		      (unsigned long long)k->lost, (unsigned long long)k->errors,
		      (unsigned long long)k->st.records_late);
	*out = *k;
	collector__free(c);
}

static void test_end_waits_for_records_held_back(void **state)
{
	struct held_sink r, *k = &r;

	held_run(false, false, k);
	assert_int_equal(k->ends, 1);
	assert_true(held.second_sent);
	assert_int_equal(k->records, 2);
	assert_int_equal(k->errors, 1);
	assert_int_equal(k->lost, 0);
	assert_int_equal(k->incomplete, 0);
	/* With one the full ring refused (lost, never sent): the wait is for the sent ones. */
	held_run(false, true, k);
	assert_true(held.second_sent);
	assert_int_equal(k->records, 2);
	assert_int_equal(k->lost, 1);
	/*
	 * Given only after the end: the report lacks it, and says so, as a
	 * record lost; come then, it is late, not a job of its own.
	 */
	held_run(true, false, k);
	assert_int_equal(k->ends, 1);
	assert_int_equal(k->records, 1);
	assert_int_equal(k->lost, 1);
	assert_true(k->incomplete & 1); /* events_lost, the first reason */
	assert_int_equal(k->st.records_late, 1);
	assert_int_equal(k->st.records_unknown_job, 0);
}

/*
 * At a stop, job A's record is held back: the wait for it takes in a
 * record of a job the table never had (host mode: the kernel made B, a
 * cgroup's, after the last sample), which makes it. B's report has the
 * kernel's figures for it, read by a sample after the wait, not none.
 */
#define MADE_A 41
#define MADE_B ((JT_JOB_CGROUP << JT_JOB_KIND_SHIFT) | 5)

static struct {
	struct collector *c;
	bool stop_asked, read_at_stop, sent;
	int ends, intervals_before_start;
	__u64 b_started, b_exited, b_errors, b_cpu_ns, b_records;
	bool b_sampled;
} made;

static int made_job_stats(struct collector *c, __u64 id, struct jt_job_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->outlived_root = -1;
	if (id == MADE_A) {
		if (made.stop_asked)
			made.read_at_stop = true;
		out->procs_started = 2;
		out->alive = 1;
		out->cpu_ns = 1000000;
		out->procs_exited = out->exit_ok = 1;
		out->events_sent = 1; /* its record held back until the stop's wait */
		return 0;
	}
	if (id == MADE_B) {
		/* One process, 5 ms of CPU, gone with status 1. */
		out->procs_started = out->procs_exited = out->exit_error = 1;
		out->cpu_ns = out->user_ns = 5000000;
		out->events_sent = 1;
		out->last_exit_ns = util__boottime_ns();
		return 0;
	}
	return -ENOENT;
}

static int made_consume(struct collector *c)
{
	struct jt_exit_event e = { .version = JT_ABI_VERSION, .type = JT_REC_EXIT,
				   .size = sizeof(e), .start_ns = 5, .exit_ns = 1000, .comm = "sh" };

	/* After the stop's read, in the wait: B's record, then A's. */
	if (!made.read_at_stop || made.sent)
		return 0;
	made.sent = true;
	e.job_id = MADE_B;
	e.pid = 300;
	e.exit_status = 1 << 8;
	e.acct.cpu_ns = 5000000;
	assert_int_equal(collector__on_exit(c, &e), 0);
	e.job_id = MADE_A;
	e.pid = 200;
	e.exit_status = 0;
	return collector__on_exit(c, &e);
}

static int made_read_live(struct collector *c, int (*fn)(void *, const struct jt_live_rec *),
			  void *ctx)
{
	struct jt_live_rec r = { .job_id = MADE_A, .tgid = 100, .tid = 100, .is_leader = 1 };

	return fn(ctx, &r);
}

static int made_interval(struct sink *s, const struct interval_record *r)
{
	if (r->t0_ns < r->job->job.start_ns || r->t1_ns <= r->t0_ns)
		made.intervals_before_start++;
	/* After A's first: the stop, whose last pass has the wait. */
	if (!made.stop_asked) {
		made.stop_asked = true;
		collector__stop(made.c);
	}
	return 0;
}

static int made_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	made.ends++;
	if (j->id != MADE_B)
		return 0;
	made.b_sampled = j->sampled;
	made.b_started = j->job.stats.procs_started;
	made.b_exited = j->job.stats.procs_exited;
	made.b_errors = j->job.stats.exit_error;
	made.b_cpu_ns = j->job.stats.cpu_ns;
	made.b_records = j->job.records;
	return 0;
}

static const struct sink_ops made_ops = {
	.name = "made",
	.interval = made_interval,
	.job_end = made_job_end,
};

static void test_stop_reads_jobs_the_wait_made(void **state)
{
	struct sink *k = calloc(1, sizeof(*k));
	struct source_ops ops = fake_ops;
	struct collector_opts o = { .ops = &ops, .interval_s = 0.02, .duration_s = 5 };

	ops.job_stats = made_job_stats;
	ops.read_live = made_read_live;
	ops.consume = made_consume;
	ops.ring_ordered = true;
	memset(&fk, 0, sizeof(fk));
	memset(&made, 0, sizeof(made));
	k->ops = &made_ops;
	made.c = collector__new(&o);
	assert_non_null(made.c);
	assert_int_equal(collector__add_sink(made.c, k), 0);
	assert_non_null(collector__add_job(made.c, MADE_A, "a", CJOB_END_EMPTY));
	assert_int_equal(collector__run(made.c), 0);
	print_message("B: sampled %d, %llu started, %llu exited, %llu failed, %llu ns CPU, "
		      "%llu records\n",
		      made.b_sampled, (unsigned long long)made.b_started,
		      (unsigned long long)made.b_exited, (unsigned long long)made.b_errors,
		      (unsigned long long)made.b_cpu_ns, (unsigned long long)made.b_records);
	assert_true(made.sent);
	assert_int_equal(made.ends, 2);
	assert_true(made.b_sampled);
	assert_int_equal(made.b_started, 1);
	assert_int_equal(made.b_exited, 1);
	assert_int_equal(made.b_errors, 1);
	assert_int_equal(made.b_cpu_ns, 5000000);
	assert_int_equal(made.b_records, 1);
	assert_int_equal(made.intervals_before_start, 0);
	collector__free(made.c);
}

/*
 * At a tick: A's record is held back, and the wait for it takes in B's (a
 * job it makes) and A's; meanwhile C's last process exits. The read of
 * B's figures finds C over with its record sent and not yet in: C waits
 * for it as A did, and ends with it (it ended with its exit counted lost,
 * the record late).
 */
#define AGAIN_C ((JT_JOB_CGROUP << JT_JOB_KIND_SHIFT) | 7)

static struct {
	int phase; /* 1: A over; 2: B's and A's records in, C gone; 3: C's record in */
	int reads_a;
	__u64 c_records, c_lost, c_exited;
	int ends;
} again;

static int again_job_stats(struct collector *c, __u64 id, struct jt_job_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->outlived_root = -1;
	out->procs_started = 1;
	if (id == MADE_A) {
		if (++again.reads_a >= 4 && !again.phase)
			again.phase = 1;
		out->alive = again.phase ? 0 : 1;
		out->procs_exited = out->exit_ok = again.phase ? 1 : 0;
		out->events_sent = again.phase ? 1 : 0;
		return 0;
	}
	if (id == AGAIN_C) {
		out->alive = again.phase >= 2 ? 0 : 1;
		out->procs_exited = out->exit_ok = again.phase >= 2 ? 1 : 0;
		out->events_sent = again.phase >= 2 ? 1 : 0;
		return 0;
	}
	/* B: one process, gone. */
	out->procs_exited = out->exit_ok = out->events_sent = 1;
	return 0;
}

static int again_consume(struct collector *c)
{
	struct jt_exit_event e = { .version = JT_ABI_VERSION, .type = JT_REC_EXIT,
				   .size = sizeof(e), .start_ns = 5, .exit_ns = 1000, .comm = "sh" };

	if (again.phase == 1 && again.reads_a >= 5) {
		/*
		 * The first read of the wait, after the second sample of the
		 * pass: B's record, A's, and C's last exit now.
		 */
		again.phase = 2;
		e.job_id = MADE_B;
		e.pid = 300;
		assert_int_equal(collector__on_exit(c, &e), 0);
		e.job_id = MADE_A;
		e.pid = 200;
		return collector__on_exit(c, &e);
	}
	if (again.phase == 2 && again.reads_a >= 6) {
		/* Any read after the sample that found C gone: its record. */
		again.phase = 3;
		e.job_id = AGAIN_C;
		e.pid = 400;
		return collector__on_exit(c, &e);
	}
	return 0;
}

static int again_read_live(struct collector *c, int (*fn)(void *, const struct jt_live_rec *),
			   void *ctx)
{
	struct jt_live_rec r = { .job_id = MADE_A, .tgid = 100, .tid = 100, .is_leader = 1 };

	if (!again.phase && fn(ctx, &r))
		return -1;
	r.job_id = AGAIN_C;
	r.tgid = r.tid = 101;
	return again.phase < 2 ? fn(ctx, &r) : 0;
}

static int again_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	again.ends++;
	if (j->id == AGAIN_C) {
		again.c_records = j->job.records;
		again.c_lost = job__events_lost(&j->job);
		again.c_exited = j->job.stats.procs_exited;
	}
	return 0;
}

static const struct sink_ops again_ops = {
	.name = "again",
	.job_end = again_job_end,
};

static void test_jobs_over_at_the_read_again_wait_too(void **state)
{
	struct sink *k = calloc(1, sizeof(*k));
	struct source_ops ops = fake_ops;
	struct collector_opts o = {
		.ops = &ops,
		.interval_s = 0.02,
		.duration_s = 5,
		.stop_when_jobs_end = true,
	};
	struct collector *c;

	ops.job_stats = again_job_stats;
	ops.read_live = again_read_live;
	ops.consume = again_consume;
	ops.ring_ordered = true;
	memset(&fk, 0, sizeof(fk));
	memset(&again, 0, sizeof(again));
	k->ops = &again_ops;
	c = collector__new(&o);
	assert_non_null(c);
	assert_int_equal(collector__add_sink(c, k), 0);
	assert_non_null(collector__add_job(c, MADE_A, "a", CJOB_END_EMPTY));
	assert_non_null(collector__add_job(c, AGAIN_C, "c", CJOB_END_EMPTY));
	assert_int_equal(collector__run(c), 0);
	print_message("C: %llu exited, %llu records, %llu lost; %d ends\n",
		      (unsigned long long)again.c_exited, (unsigned long long)again.c_records,
		      (unsigned long long)again.c_lost, again.ends);
	assert_int_equal(again.ends, 3);
	assert_int_equal(again.c_exited, 1);
	assert_int_equal(again.c_records, 1);
	assert_int_equal(again.c_lost, 0);
	collector__free(c);
}

/*
 * --duration between two ticks: the loop waits for the deadline, not for
 * the next tick (watch's are 1 s apart without -i: --duration 0.3 ran 1 s).
 */
static int dur_job_stats(struct collector *c, __u64 id, struct jt_job_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->outlived_root = -1;
	out->procs_started = out->alive = 1;
	return 0;
}

static void test_duration_ends_between_ticks(void **state)
{
	struct keep *k = calloc(1, sizeof(*k));
	struct source_ops ops = fake_ops;
	struct collector_opts o = { .ops = &ops, .duration_s = 0.05 };
	struct collector *c;
	__u64 t0, took_ns;

	ops.job_stats = dur_job_stats;
	memset(&fk, 0, sizeof(fk));
	fk.live_always = true;
	k->base.ops = &keep_ops;
	t0 = util__now_ns();
	c = one_job_run(&o, &k->base, JOB, "dur");
	took_ns = util__now_ns() - t0;
	print_message("--duration 0.05: the run took %.3f s\n", (double)took_ns / 1e9);
	assert_int_equal(k->jobs, 1);
	/* A tick is 1 s: ended by it, not the deadline, it took at least that. */
	assert_true(took_ns < 800000000ULL);
	collector__free(c);
}

/*
 * A stop by --duration between two ticks: the jobs' last intervals run to
 * the stop, and so does the host's last record (the host had one record
 * fewer than the jobs had intervals, and none over their last).
 */
static struct {
	int hosts, intervals;
	__u64 host_t1, job_t1;
} stopped;

static int stopped_host(struct sink *s, const struct host_record *r)
{
	stopped.hosts++;
	stopped.host_t1 = r->t1_ns;
	return 0;
}

static int stopped_interval(struct sink *s, const struct interval_record *r)
{
	stopped.intervals++;
	stopped.job_t1 = r->t1_ns;
	return 0;
}

static const struct sink_ops stopped_ops = {
	.name = "stopped",
	.host = stopped_host,
	.interval = stopped_interval,
};

static void test_host_record_at_stop(void **state)
{
	struct sink *k = calloc(1, sizeof(*k));
	struct source_ops ops = fake_ops;
	struct collector_opts o = {
		.ops = &ops,
		.interval_s = 0.1,
		.duration_s = 0.35,
		.host_records = true,
		.host_record_at_stop = true,
	};
	struct collector *c;

	ops.job_stats = dur_job_stats;
	memset(&fk, 0, sizeof(fk));
	memset(&stopped, 0, sizeof(stopped));
	fk.live_always = true;
	k->ops = &stopped_ops;
	c = one_job_run(&o, k, JOB, "stopped");
	print_message("%d intervals, %d host records; the last host's ends %+.3f ms from the "
		      "job's\n",
		      stopped.intervals, stopped.hosts,
		      ((double)stopped.host_t1 - (double)stopped.job_t1) / 1e6);
	assert_true(stopped.intervals >= 2);
	assert_int_equal(stopped.hosts, stopped.intervals);
	/* Over the same time: taken after the jobs' ends, within the pass. */
	assert_true(stopped.host_t1 >= stopped.job_t1);
	assert_true(stopped.host_t1 - stopped.job_t1 < 100000000ULL);
	collector__free(c);
}

/*
 * A live read that fails (no fd for the iterator, no memory) saw nothing:
 * the job it says nothing of is not over by missed exits, whatever the
 * count of failed reads. It ends at the stop, as it stands.
 */
static int failing_read_live(struct collector *c, int (*fn)(void *, const struct jt_live_rec *),
			     void *ctx)
{
	return -EMFILE;
}

struct stale_sink {
	struct sink base;
	int ends;
	__u64 stale;
};

static int stale_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct stale_sink *k = (struct stale_sink *)s;

	k->ends++;
	k->stale = j->job.stale;
	return 0;
}

static const struct sink_ops stale_ops = {
	.name = "stale",
	.job_end = stale_job_end,
};

static void test_failed_live_reads_end_no_job(void **state)
{
	struct stale_sink *k = calloc(1, sizeof(*k));
	struct source_ops ops = fake_ops;
	struct collector_opts o = { .ops = &ops, .interval_s = 0.01, .duration_s = 0.2 };
	struct collector *c;

	ops.job_stats = dur_job_stats;
	ops.read_live = failing_read_live;
	memset(&fk, 0, sizeof(fk));
	k->base.ops = &stale_ops;
	c = one_job_run(&o, &k->base, JOB, "failing");
	assert_int_equal(k->ends, 1);
	/* Called over by missed exits, it would say its one process was stale. */
	assert_int_equal(k->stale, 0);
	collector__free(c);
}

/* A second exec replaces the arguments; a child that never exec'd inherits its parent's. */
static void test_args_follow_exec_and_fork(void **state)
{
	struct collector_opts o = { .ops = &fake_ops, .events = true };
	struct jt_exec_event x = { .version = JT_ABI_VERSION, .type = JT_REC_EXEC,
				   .size = sizeof(x), .job_id = JOB, .pid = 200, .start_ns = 9 };
	struct jt_exit_event e = { .version = JT_ABI_VERSION, .type = JT_REC_EXIT,
				   .size = sizeof(e), .job_id = JOB, .pid = 201, .start_ns = 10,
				   .ppid = 200, .parent_start_ns = 9, .exit_status = 9 };
	struct collector *c;
	struct cjob *j;

	memset(&fk, 0, sizeof(fk));
	c = collector__new(&o);
	assert_non_null(c);
	j = collector__add_job(c, JOB, "pid:200", CJOB_END_EMPTY);
	memcpy(x.args, "sh\0-c\0x", 8);
	x.args_len = 8;
	assert_int_equal(collector__on_exec(c, &x), 0);
	memcpy(x.args, "cc\0-O2", 7);
	x.args_len = 7;
	x.truncated = 1;
	assert_int_equal(collector__on_exec(c, &x), 0);
	/* 201 never exec'd and was killed by SIGKILL: its parent's latest argv. */
	assert_int_equal(collector__on_exit(c, &e), 0);
	assert_int_equal(j->job.nfailed, 1);
	assert_string_equal(j->job.failed[0].args, "cc -O2");
	assert_true(WIFSIGNALED(j->job.failed[0].status));
	collector__free(c);
}

/* A front's fd, its signal, a new interval, and live records, all in one loop. */
struct front {
	struct sink base;
	struct collector *c;
	int pipe_rd;
	int reads, signals, lives, intervals;
	__u64 first_iv_ns, last_iv_ns;
	__u32 live_tgid;
	bool have_stat;
	__u32 live_ppid;
	char live_comm[64];
	__u64 host_mem_bytes;
};

static void front_fd(void *ctx, int fd, __u32 events)
{
	struct front *f = ctx;
	char b[8];

	assert_int_equal(fd, f->pipe_rd);
	assert_true(events & EPOLLIN);
	while (read(fd, b, sizeof(b)) > 0)
		f->reads++;
	/* The key a user typed: intervals of 10 ms from now on. */
	assert_int_equal(collector__set_interval(f->c, 0.01), 0);
	raise(SIGUSR1);
}

static void front_signal(void *ctx, int signo)
{
	struct front *f = ctx;

	assert_int_equal(signo, SIGUSR1);
	f->signals++;
}

static int front_live(struct sink *s, const struct live_record *r)
{
	struct front *f = (struct front *)s;

	f->lives++;
	f->live_tgid = r->r->tgid;
	f->have_stat = r->have_stat;
	f->live_ppid = r->ppid;
	snprintf(f->live_comm, sizeof(f->live_comm), "%s", r->comm);
	f->host_mem_bytes = r->job->job.host_mem_bytes;
	assert_int_equal(r->job->id, JOB);
	assert_true(r->sampled_ns > 0);
	return 0;
}

static int front_interval(struct sink *s, const struct interval_record *r)
{
	struct front *f = (struct front *)s;

	if (!f->intervals++)
		f->first_iv_ns = r->t1_ns;
	f->last_iv_ns = r->t1_ns;
	if (f->intervals == 5)
		collector__stop(f->c);
	return 0;
}

static const struct sink_ops front_ops = {
	.name = "front",
	.live = front_live,
	.interval = front_interval,
};

static void test_front_fd_signal_interval(void **state)
{
	struct collector_opts o = { .ops = &fake_ops, .interval_s = 60, .duration_s = 10 };
	struct front *f = calloc(1, sizeof(*f));
	int p[2];

	memset(&fk, 0, sizeof(fk));
	fk.alive = 1;
	/* The live leader is this test, as /proc numbers it: its ppid and comm come along. */
	fk.reader_tgid = (__u32)getpid();
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	f->pipe_rd = p[0];
	f->c = collector__new(&o);
	assert_non_null(f->c);
	f->base.ops = &front_ops;
	assert_int_equal(collector__add_sink(f->c, &f->base), 0);
	assert_non_null(collector__add_job(f->c, JOB, "pid:100", CJOB_END_EMPTY));
	assert_int_equal(collector__add_fd(f->c, p[0], EPOLLIN, front_fd, f), 0);
	assert_int_equal(collector__add_signal(f->c, SIGUSR1, front_signal, f), 0);
	assert_int_equal(write(p[1], "q", 1), 1);
	/* Without the new interval, 60 s would pass before the first record. */
	assert_int_equal(collector__run(f->c), 0);
	assert_int_equal(f->reads, 1);
	assert_int_equal(f->signals, 1);
	/* The fifth stops the loop; the job, ended by the stop, may add its last. */
	assert_true(f->intervals >= 5 && f->intervals <= 6);
	assert_true(f->last_iv_ns - f->first_iv_ns < 5000000000ULL);
	assert_true(collector__interval(f->c) < 0.02);
	/* The fake's live thread shows on even samples. */
	assert_true(f->lives >= 1);
	assert_int_equal(f->live_tgid, 100);
	assert_true(f->have_stat);
	assert_int_equal(f->live_ppid, (__u32)getppid());
	/* Our comm as /proc has it (under valgrind, not the binary's name). */
	{
		int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct proc_stat_fields st;

		assert_true(proc_fd >= 0);
		assert_int_equal(proc_pid__read_stat(proc_fd, getpid(), &st), 0);
		assert_string_equal(f->live_comm, st.comm);
		close(proc_fd);
	}
	/* The host's memory, read once by the collector, is every job's. */
	assert_true(f->host_mem_bytes > 0);
	assert_int_equal(collector__remove_fd(f->c, p[0]), 0);
	assert_int_equal(collector__remove_fd(f->c, p[0]), -ENOENT);
	collector__free(f->c);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intervals_add_up),
		cmocka_unit_test(test_no_empty_last_interval),
		cmocka_unit_test(test_intervals_stop_at_the_end),
		cmocka_unit_test(test_front_fd_signal_interval),
		cmocka_unit_test(test_args_follow_exec_and_fork),
		cmocka_unit_test(test_host_forks_cover_jobs),
		cmocka_unit_test(test_host_now_after_tick),
		cmocka_unit_test(test_peak_rss_of_live_job),
		cmocka_unit_test(test_interval_cpu_within_cpus),
		cmocka_unit_test(test_interval_cpu_within_tasks),
		cmocka_unit_test(test_ended_jobs_share_the_cpus),
		cmocka_unit_test(test_ended_job_read_again_shares_the_cpus),
		cmocka_unit_test(test_interval_counts_never_fall),
		cmocka_unit_test(test_job_gone_between_two_reads_ends_at_its_exit),
		cmocka_unit_test(test_end_waits_for_records_held_back),
		cmocka_unit_test(test_stop_reads_jobs_the_wait_made),
		cmocka_unit_test(test_jobs_over_at_the_read_again_wait_too),
		cmocka_unit_test(test_duration_ends_between_ticks),
		cmocka_unit_test(test_host_record_at_stop),
		cmocka_unit_test(test_failed_live_reads_end_no_job),
	};

	/* JT_TEST=PATTERN runs the matching tests only, to rerun one that failed. */
	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
