// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_stream: records per second through the stream's writer (serve's
 * stream sink, user/out/sink_stream.c) with 0, 1 and 4 readers, and what
 * the writer pays per record.
 *
 * Readers are separate processes, forked before the stream exists, that
 * open it by its path with libjobtrace (a read-only mapping, as any agent
 * does) and read every record they can: jobtrace_stream_next_batch() (up
 * to --read-batch records a call; 1: jobtrace_stream_next()), and
 * jobtrace_stream_wait() when caught up, as jobtrace-stream(5)'s example reader. The
 * writer calls the sink's own ops (the record filled from a kernel event,
 * then stream_writer__append) and its flush (one futex wake) every --batch
 * records, as serve does once per collector pass.
 *
 * Every record carries its sequence number in its lineage and in its last
 * bytes: a reader checks both, so a torn copy handed out would be counted.
 * Each reader must account for every record: read + missed = written.
 *
 * Usage: bench_stream [--records N] [--batch B] [--kb KIB] [--rate R] [--read-batch N]
 * Exit status 1 when a reader got a torn record or lost count of one.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/collector.h"
#include "jobtrace/sink.h"
#include "jobtrace/stream.h"

#define MAX_READERS 16
#define SEQ_MIX 0x9e3779b97f4a7c15ULL /* start_ns = seq * SEQ_MIX: not a value a zeroed page has */

struct config {
	long records;
	long batch;
	long kb;
	double rate; /* records/s for the paced run; 0: none */
	long read_batch; /* records a reader takes a call; 1: next() */
};

/* What a reader reports to the writer's process, over a pipe. */
struct reader_result {
	__u64 read; /* fork and exit records handed out */
	__u64 missed; /* jobtrace_stream_missed_total() */
	__u64 torn; /* records whose payload did not match their seq */
	__u64 errors; /* jobtrace_stream_next() < 0 */
	__u64 last_seq;
	__u64 wall_ns; /* from the open to the end of the stream */
	__u64 cpu_ns;
	int open_errno;
	int pad;
};

struct run_result {
	__u64 written;
	__u64 wall_ns;
	__u64 cpu_ns; /* the writer's thread */
	int nreaders;
	int pad;
	struct reader_result r[MAX_READERS];
};

static char stream_path[128], lock_path[160];
/* The readers of the run in progress: stopped and reaped on SIGINT and SIGTERM too. */
static volatile pid_t reader_pids[MAX_READERS];

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* The files a run leaves; also on SIGINT and SIGTERM, so no failure leaves them. */
static void remove_files(void)
{
	unlink(stream_path);
	unlink(lock_path);
}

static void on_signal(int sig)
{
	for (int i = 0; i < MAX_READERS; i++) {
		if (reader_pids[i] > 0) {
			kill(reader_pids[i], SIGKILL);
			waitpid(reader_pids[i], NULL, 0);
		}
	}
	remove_files();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The payload check: what the writer put in from the record's sequence number. */
static bool payload_ok(const union jt_stream_record *rec)
{
	__u64 seq = rec->hdr.seq, tail;

	switch (rec->hdr.type) {
	case JT_STREAM_FORK:
		memcpy(&tail, rec->fork.comm + JT_STREAM_COMM_LEN - 8, 8);
		return rec->fork.lin.pid == (__u32)seq && rec->fork.lin.start_ns == seq * SEQ_MIX &&
		       tail == seq;
	case JT_STREAM_EXIT:
		memcpy(&tail, rec->exit.args + JT_STREAM_ARGS_LEN - 8, 8);
		return rec->exit.lin.pid == (__u32)seq && rec->exit.lin.start_ns == seq * SEQ_MIX &&
		       tail == seq;
	default:
		return false;
	}
}

/*
 * A reader: waits for the byte that says the stream is there, opens it,
 * says it is ready, reads until the writer closes it and nothing is left.
 */
static void reader__run(int go_fd, int ready_fd, int result_fd, long read_batch)
{
	union jt_stream_record *recs = malloc((size_t)read_batch * sizeof(*recs)), *rec;
	struct reader_result res = { 0 };
	struct jobtrace_stream *s = NULL;
	__u64 t0 = 0, cpu0 = 0;
	bool closed = false;
	char c = 0;
	int n;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(go_fd, &c, 1) != 1 || !recs)
		_exit(2);
	s = jobtrace_stream_open(stream_path);
	if (!s)
		res.open_errno = errno;
	if (write(ready_fd, &c, 1) != 1)
		_exit(2);
	if (!s)
		goto out;
	t0 = clock_ns(CLOCK_MONOTONIC);
	cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (;;) {
		n = read_batch == 1 ? jobtrace_stream_next(s, recs) :
				      jobtrace_stream_next_batch(s, recs, (unsigned int)read_batch);
		if (n < 0) {
			res.errors++;
			continue;
		}
		if (n == 0) {
			/* CLOSED is stored after the last tail: an empty pass after it ends. */
			if (closed)
				break;
			if (jobtrace_stream_state(s) == JT_STREAM_CLOSED)
				closed = true;
			else
				jobtrace_stream_wait(s, 100);
			continue;
		}
		for (rec = recs; rec < recs + n; rec++) {
			if (rec->hdr.type == JT_STREAM_MISSED)
				continue;
			if (!payload_ok(rec))
				res.torn++;
			res.read++;
			res.last_seq = rec->hdr.seq;
		}
	}
	res.missed = jobtrace_stream_missed_total(s);
	/* The drain after CLOSED is short: no clock read per record, which costs as much as one. */
	res.wall_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	res.cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	jobtrace_stream_close(s);
out:
	free(recs);
	_exit(write(result_fd, &res, sizeof(res)) == sizeof(res) ? 0 : 2);
}

/* Sleeps until @deadline_ns (CLOCK_MONOTONIC): the paced run's schedule. */
static void sleep_until(__u64 deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ULL),
		.tv_nsec = (long)(deadline_ns % 1000000000ULL),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/*
 * One run: @nreaders readers, @records records of @type through the sink.
 * 0 or a negative errno.
 */
static int run_once(const struct config *cfg, int type, int nreaders, double rate,
		    struct run_result *out)
{
	int go[2], ready[2], result[2], err = 0;
	pid_t pids[MAX_READERS];
	struct jt_exit_event ex = { 0 };
	struct jt_fork_event fk = { 0 };
	struct proc_record pr = { .e = &ex };
	struct fork_record fr = { .e = &fk };
	char args[JT_STREAM_ARGS_LEN];
	struct cjob *job = calloc(1, sizeof(*job) + CJOB_KEY_SIZE); /* and its key's room */
	struct sink *sink = NULL;
	__u64 t0, cpu0, seq;
	char c = 'g';

	memset(out, 0, sizeof(*out));
	out->nreaders = nreaders;
	if (!job)
		return -ENOMEM;
	job->job.key = (char *)(job + 1);
	if (pipe(go) || pipe(ready) || pipe(result)) {
		free(job);
		return -errno;
	}
	/* Forked before the stream exists: no reader inherits the writer's mapping. */
	for (int i = 0; i < nreaders; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(go[1]);
			close(ready[0]);
			close(result[0]);
			reader__run(go[0], ready[1], result[1], cfg->read_batch);
		}
		if (pids[i] < 0) {
			err = -errno;
			nreaders = i;
			goto out_reap;
		}
		reader_pids[i] = pids[i];
	}
	remove_files();
	sink = sink_stream__new(stream_path, (size_t)cfg->kb * 1024);
	if (!sink) {
		err = -errno;
		fprintf(stderr, "bench_stream: cannot make %s: %s\n", stream_path, strerror(errno));
		goto out_reap;
	}
	for (int i = 0; i < nreaders; i++)
		if (write(go[1], &c, 1) != 1)
			err = -EPIPE;
	for (int i = 0; i < nreaders; i++)
		if (read(ready[0], &c, 1) != 1)
			err = -EPIPE;
	if (err)
		goto out_reap;

	snprintf((char *)(job + 1), CJOB_KEY_SIZE, "cgroup:/system.slice/bench-stream.service");
	job->id = 42;
	ex.job_id = fk.job_id = job->id;
	ex.exit_status = 0;
	ex.threads = 1;
	ex.acct.cpu_ns = 1234567;
	memcpy(ex.comm, "bench", 6);
	memcpy(fk.comm, "bench", 6);
	memset(args, 'a', sizeof(args));
	pr.job = job;
	pr.args = args;
	pr.args_len = sizeof(args);
	fr.job = job;

	t0 = clock_ns(CLOCK_MONOTONIC);
	cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < cfg->records; i++) {
		seq = (__u64)i + 1; /* the sink's next sequence number */
		if (type == JT_STREAM_FORK) {
			fk.pid = (__u32)seq;
			fk.start_ns = seq * SEQ_MIX;
			memcpy(fk.comm + sizeof(fk.comm) - 8, &seq, 8);
			err = sink->ops->fork(sink, &fr);
		} else {
			ex.pid = (__u32)seq;
			ex.start_ns = seq * SEQ_MIX;
			memcpy(args + sizeof(args) - 8, &seq, 8);
			err = sink->ops->process(sink, &pr);
		}
		if (err)
			break;
		if ((i + 1) % cfg->batch == 0) {
			sink->ops->flush(sink);
			if (rate > 0)
				sleep_until(t0 + (__u64)((double)(i + 1) / rate * 1e9));
		}
	}
	sink->ops->flush(sink);
	out->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	out->wall_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	out->written = (__u64)cfg->records;
	/* Marks the stream CLOSED and wakes the readers: they drain and report. */
	sink__free(sink);
	sink = NULL;
	for (int i = 0; i < nreaders; i++)
		if (read(result[0], &out->r[i], sizeof(out->r[i])) != sizeof(out->r[i]))
			err = err ? err : -EPIPE;

out_reap:
	if (sink)
		sink__free(sink);
	close(go[1]); /* a reader still waiting for its start byte reads EOF and leaves */
	for (int i = 0; i < nreaders; i++) {
		int status;

		if (err)
			kill(pids[i], SIGKILL);
		waitpid(pids[i], &status, 0);
		reader_pids[i] = 0;
	}
	close(go[0]);
	close(ready[0]);
	close(ready[1]);
	close(result[0]);
	close(result[1]);
	remove_files();
	free(job);
	return err;
}

/* "AMD EPYC": what the figures were measured on, from /proc/cpuinfo. */
static const char *cpu_model(void)
{
	static char model[128] = "unknown model";
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			snprintf(model, sizeof(model), "%s", colon + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	return model;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench_stream [--records N] [--batch B] [--kb KIB] [--rate R] [--read-batch N]\n"
		"  --records N   records per run (default 2000000)\n"
		"  --batch B     records between flushes, the futex wake (default 64)\n"
		"  --kb KIB      the ring's data area (default 4096, serve's default)\n"
		"  --rate R      a last run paced at R exit records/s to 4 readers\n"
		"                (default 1000000; 0: none), then the same with next()\n"
		"  --read-batch N records a reader takes a call, jobtrace_stream_next_batch()\n"
		"                (default 64; 1: jobtrace_stream_next())\n");
}

static void print_run(const char *type, size_t len, const struct run_result *r, double rate)
{
	double secs = (double)r->wall_ns / 1e9;
	double read_s = 0, missed = 0, rcpu = 0;
	char paced[32] = "";

	for (int i = 0; i < r->nreaders; i++) {
		read_s += (double)r->r[i].read / secs;
		missed += (double)r->r[i].missed;
		rcpu += r->r[i].read ? (double)r->r[i].cpu_ns / (double)r->r[i].read : 0;
	}
	if (rate > 0)
		snprintf(paced, sizeof(paced), " at %.1f M/s", rate / 1e6);
	printf("  %-5s %4zu B%-12s %7d %12.2f", type, len, paced, r->nreaders,
	       (double)r->written / secs / 1e6);
	if (r->nreaders)
		printf(" %12.2f %10.0f %7.1f%% %10.1f", read_s / r->nreaders / 1e6,
		       missed / r->nreaders, missed / r->nreaders / (double)r->written * 100,
		       rcpu / r->nreaders);
	else
		printf(" %12s %10s %8s %10s", "-", "-", "-", "-");
	printf(" %10.1f\n", (double)r->cpu_ns / (double)r->written);
}

/* Every reader saw each record once, whole, or counted it missed. */
static int check_run(const struct run_result *r)
{
	int bad = 0;

	for (int i = 0; i < r->nreaders; i++) {
		const struct reader_result *x = &r->r[i];

		if (x->open_errno) {
			fprintf(stderr, "bench_stream: reader %d cannot open the stream: %s\n", i,
				strerror(x->open_errno));
			bad = 1;
			continue;
		}
		if (x->torn || x->errors || x->read + x->missed != r->written ||
		    x->last_seq != r->written) {
			fprintf(stderr,
				"bench_stream: reader %d: %llu read + %llu missed of %llu "
				"(last seq %llu), %llu torn, %llu errors\n",
				i, x->read, x->missed, r->written, x->last_seq, x->torn, x->errors);
			bad = 1;
		}
	}
	return bad;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "records", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "kb", required_argument, NULL, 'k' },
		{ "rate", required_argument, NULL, 'r' },
		{ "read-batch", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char rb_words[48];
	struct config cfg = {
		.records = 2000000, .batch = 64, .kb = 4096, .rate = 1e6, .read_batch = 64
	};
	static const int nreaders[] = { 0, 1, 4 };
	static const struct {
		const char *name;
		int type;
		size_t len;
	} types[] = {
		{ "fork", JT_STREAM_FORK, sizeof(struct jt_stream_fork) },
		{ "exit", JT_STREAM_EXIT, sizeof(struct jt_stream_exit) },
	};
	struct run_result *r = malloc(sizeof(*r));
	int opt, bad = 0, err;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			cfg.records = atol(optarg);
			break;
		case 'b':
			cfg.batch = atol(optarg);
			break;
		case 'k':
			cfg.kb = atol(optarg);
			break;
		case 'r':
			cfg.rate = atof(optarg);
			break;
		case 'B':
			cfg.read_batch = atol(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || cfg.records <= 0 || cfg.batch <= 0 || cfg.kb < 4 || cfg.rate < 0 ||
	    cfg.read_batch <= 0 || cfg.read_batch > 4096) {
		usage(stderr);
		return 2;
	}
	if (!r)
		return 1;
	snprintf(stream_path, sizeof(stream_path), "/dev/shm/jobtrace-bench-stream-%d",
		 (int)getpid());
	snprintf(lock_path, sizeof(lock_path), "%s.lock", stream_path);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	snprintf(rb_words, sizeof(rb_words), cfg.read_batch == 1 ? "next()" : "next_batch(), %ld a call",
		 cfg.read_batch);
	printf("machine: %ld CPUs online (%s)\n", sysconf(_SC_NPROCESSORS_ONLN), cpu_model());
	printf("stream: %ld records a run through serve's stream sink into a %ld KiB ring,\n"
	       "a flush (futex wake) every %ld; readers are processes reading with libjobtrace\n"
	       "(%s, then wait when caught up). read/s and missed: per reader (mean);\n"
	       "ns: CPU per record\n",
	       cfg.records, cfg.kb, cfg.batch, rb_words);
	printf("  %-5s %6s%-12s %7s %12s %12s %10s %8s %10s %10s\n", "type", "size", "", "readers",
	       "written M/s", "read M/s", "missed", "missed%", "reader ns", "writer ns");
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (size_t i = 0; i < sizeof(nreaders) / sizeof(nreaders[0]); i++) {
			err = run_once(&cfg, types[t].type, nreaders[i], 0, r);
			if (err) {
				fprintf(stderr, "bench_stream: run failed: %s\n", strerror(-err));
				free(r);
				return 1;
			}
			print_run(types[t].name, types[t].len, r, 0);
			bad |= check_run(r);
		}
	}
	/* Paced: with the readers' batch, then (beside it) one record a call, next(). */
	for (int k = 0; cfg.rate > 0 && k < (cfg.read_batch > 1 ? 2 : 1); k++) {
		struct config one = cfg;

		one.read_batch = k ? 1 : cfg.read_batch;
		err = run_once(&one, JT_STREAM_EXIT, 4, cfg.rate, r);
		if (err) {
			fprintf(stderr, "bench_stream: run failed: %s\n", strerror(-err));
			free(r);
			return 1;
		}
		print_run(k ? "exit*" : "exit", sizeof(struct jt_stream_exit), r, cfg.rate);
		bad |= check_run(r);
	}
	if (cfg.rate > 0 && cfg.read_batch > 1)
		printf("  (exit*: the same paced run, its readers taking one record a call, next())\n");
	printf("  (.output/bench_stream --records %ld --batch %ld --kb %ld --rate %.0f"
	       " --read-batch %ld;\n"
	       "   every reader accounted for every record, read or missed, and found none"
	       " torn%s)\n",
	       cfg.records, cfg.batch, cfg.kb, cfg.rate, cfg.read_batch,
	       bad ? ": NOT SO, see above" : "");
	free(r);
	return bad;
}
