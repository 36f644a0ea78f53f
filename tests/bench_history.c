// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_history: a synthetic stretch of a build host's history written
 * through serve's history writer (user/out/sink_history.c: sink_json's
 * lines, one write per pass, rotation, zstd), on a clock of its own so a
 * day takes a minute: every simulated second is one pass of serve's loop
 * with --rate process exits (compilers, linkers, shells with their
 * arguments, as a build host has them), an interval record per job, a
 * host record and its "system" line from a real sample of this host, and
 * the writer's flush. Jobs live --job-life seconds, then end with their
 * "job" line, and a new one takes their place.
 *
 * The writer's CPU is the thread's CPU time inside the sink's calls and
 * flushes only (formatting, writing, compressing at rotation), not the
 * making of the records, which serve's collector does anyway.
 *
 * A real sample costs this host tens of milliseconds: --sample-every N
 * takes one every N passes (the "system" lines between repeat the last
 * one, which zstd then finds again: bytes per host interval are measured
 * with --only host and a sample every pass).
 *
 * Usage: bench_history DIR [--seconds S] [--rate N] [--jobs J] [--job-life S]
 *                          [--only exits|intervals|host] [--sample-every N]
 *                          [--start EPOCH]
 * Prints one JSON object: what was written and what it cost.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/collector.h"
#include "jobtrace/history.h"
#include "jobtrace/host.h"
#include "jobtrace/job.h"
#include "jobtrace/sink.h"

#define MAX_JOBS 64
#define MAX_RATE 10000

static time_t fake_now;

static time_t bench_now(void)
{
	return fake_now;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A small, fixed generator: the same day every run. */
static unsigned long long rng = 0x2545f4914f6cdd1dULL;

static unsigned int rnd(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng % n);
}

struct bjob {
	struct cjob cj;
	char key[CJOB_KEY_SIZE]; /* cj.key's */
	unsigned long long started_s;
	unsigned int serial;
};

static const char *const comms[] = { "cc1", "as", "gcc", "ld", "sh", "make", "python3", "sed" };

/* One exit of a build: its event, its arguments (NUL-separated), its path. */
static size_t make_exit(struct jt_exit_event *e, struct bjob *j, unsigned int pid, __u64 boot_ns,
			char *args, size_t size, const char **exe)
{
	unsigned int c = rnd(8), file = rnd(5000);
	__u64 life_ns = 1000000ULL * (1 + rnd(c == 5 ? 20000 : 900));
	int n;

	memset(e, 0, sizeof(*e));
	e->job_id = j->cj.id;
	e->pid = pid;
	e->ppid = 1000 + j->serial;
	e->start_ns = boot_ns - life_ns;
	/* The job's one parent (its ppid), started with the job: one pid has one start. */
	e->parent_start_ns = (j->started_s + 86400) * 1000000000ULL - 1000000ULL * (j->serial % 1000);
	e->exit_ns = boot_ns;
	/* One in fifty fails, as a build with a broken file does. */
	e->exit_status = rnd(50) ? 0 : 1 << 8;
	e->threads = 1;
	e->acct.cpu_ns = life_ns * (50 + rnd(50)) / 100;
	e->user_ns = e->acct.cpu_ns * 9 / 10;
	e->system_ns = e->acct.cpu_ns - e->user_ns;
	e->acct.read_bytes = rnd(4) ? 0 : 4096ULL * rnd(256);
	e->acct.write_bytes = c < 4 ? 4096ULL * rnd(64) : 0;
	e->acct.read_chars = 1000ULL * rnd(4000);
	e->acct.write_chars = 100ULL * rnd(4000);
	e->peak_rss_bytes = 4096ULL * (500 + rnd(60000));
	e->flags = JT_F_EXECED;
	e->uid = 1000;
	e->gid = 1000;
	e->cgroup_id = 5000 + j->serial;
	memcpy(e->comm, comms[c], strlen(comms[c]));
	switch (c) {
	case 0:
		n = snprintf(args, size,
			     "/usr/lib/gcc/x86_64-linux-gnu/12/cc1%c-quiet%c-Iinclude%csrc/mod%u/"
			     "file%u.c%c-O2%c-o%c/tmp/cc%06u.s",
			     0, 0, 0, file / 100, file, 0, 0, 0, rnd(1000000));
		*exe = "/usr/lib/gcc/x86_64-linux-gnu/12/cc1";
		break;
	case 1:
		n = snprintf(args, size, "as%c--64%c-o%cobj/mod%u/file%u.o%c/tmp/cc%06u.s", 0, 0, 0,
			     file / 100, file, 0, rnd(1000000));
		*exe = "/usr/bin/x86_64-linux-gnu-as";
		break;
	case 2:
		n = snprintf(args, size, "gcc%c-O2%c-Wall%c-Iinclude%c-c%csrc/mod%u/file%u.c%c-o%c"
			     "obj/mod%u/file%u.o", 0, 0, 0, 0, 0, file / 100, file, 0, 0,
			     file / 100, file);
		*exe = "/usr/bin/x86_64-linux-gnu-gcc-12";
		break;
	case 5:
		n = snprintf(args, size, "make%c-C%cmod%u%c-j8", 0, 0, file / 100, 0);
		*exe = "/usr/bin/make";
		break;
	default:
		n = snprintf(args, size, "%s%c-c%cgenerate --module mod%u --out gen/f%u.h",
			     comms[c], 0, 0, file / 100, file);
		*exe = "/usr/bin/sh";
		break;
	}
	return (size_t)n + 1;
}

static void job_begin(struct bjob *j, __u64 id, unsigned int serial, unsigned long long s)
{
	job__free(&j->cj.job);
	memset(&j->cj, 0, sizeof(j->cj));
	j->cj.id = id;
	j->cj.cgroup_dirfd = -1;
	snprintf(j->key, sizeof(j->key), "cgroup:/system.slice/build-%u.service", serial);
	job__init(&j->cj.job, id, NULL, 0);
	j->cj.job.key = j->key;
	j->cj.job.mode = "host";
	j->cj.job.source = "bpf";
	j->cj.job.hierarchy = "cgroup2";
	j->cj.job.cgroup = j->key + 7;
	j->serial = serial;
	j->started_s = s;
}

struct totals {
	unsigned long long exits, intervals, hosts, jobs;
	double sink_cpu_s;
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' }, { "rate", required_argument, NULL, 'r' },
		{ "jobs", required_argument, NULL, 'j' },    { "job-life", required_argument, NULL, 'l' },
		{ "only", required_argument, NULL, 'o' },    { "start", required_argument, NULL, 't' },
		{ "sample-every", required_argument, NULL, 'e' },
		{},
	};
	unsigned long long seconds = 3600, rate = 100, njobs = 20, life = 600, every = 1;
	time_t start = 1796515200; /* 2026-12-06 00:00 UTC */
	const char *only = "", *dir;
	struct history_opts ho = { .now = bench_now, .max_bytes = 1ULL << 40, .keep_s = 1e9 };
	static struct bjob jobs[MAX_JOBS];
	static struct jt_exit_event ev[MAX_RATE];
	static char args[MAX_RATE][512];
	static size_t args_len[MAX_RATE];
	static const char *exes[MAX_RATE];
	static struct proc_record pr[MAX_RATE];
	struct host_sample samples[2] = {};
	struct host_rates rates = {};
	struct totals t = {};
	struct sink *s;
	int opt, proc_fd, sys_fd, cur = 0;
	__u64 next_id = 1;
	unsigned int pid = 300000, serial = 0;
	double c0;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': seconds = strtoull(optarg, NULL, 10); break;
		case 'r': rate = strtoull(optarg, NULL, 10); break;
		case 'j': njobs = strtoull(optarg, NULL, 10); break;
		case 'l': life = strtoull(optarg, NULL, 10); break;
		case 'o': only = optarg; break;
		case 't': start = (time_t)strtoll(optarg, NULL, 10); break;
		case 'e': every = strtoull(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (optind + 1 != argc || rate > MAX_RATE || !njobs || njobs > MAX_JOBS || !life || !every) {
		fprintf(stderr, "usage: bench_history DIR [--seconds S] [--rate N] [--jobs J] "
				"[--job-life S] [--only exits|host] [--start EPOCH]\n");
		return 2;
	}
	dir = argv[optind];
	ho.dir = dir;
	fake_now = start;
	proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sys_fd = open("/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0 || sys_fd < 0 || host__sample(proc_fd, sys_fd, &samples[0]))
		return 1;
	s = sink_history__new(&ho);
	if (!s)
		return 1;
	for (unsigned int i = 0; i < njobs; i++)
		job_begin(&jobs[i], next_id++, serial++, 0);

	for (unsigned long long sec = 0; sec < seconds; sec++) {
		__u64 epoch_ns = (__u64)(start + (time_t)sec) * 1000000000ULL;
		__u64 boot_ns = (sec + 86400) * 1000000000ULL;
		bool exits = !*only || !strcmp(only, "exits"), hosts = !*only || !strcmp(only, "host");
		bool intervals = !*only || !strcmp(only, "intervals");
		struct host_record hr;

		fake_now = start + (time_t)sec;
		/* The records of this pass, made before the writer's clock starts. */
		for (unsigned long long k = 0; exits && k < rate; k++)
			args_len[k] = make_exit(&ev[k], &jobs[rnd((unsigned int)njobs)], pid++,
						boot_ns + k * 1000000000ULL / rate, args[k],
						sizeof(args[k]), &exes[k]);
		if (hosts && (sec % every == 0 || !sec)) {
			/* A real sample of this host: its counters move as a host's do. */
			host__free(&samples[cur ^ 1]);
			if (host__sample(proc_fd, sys_fd, &samples[cur ^ 1]))
				return 1;
			cur ^= 1;
			host_rates__free(&rates);
			if (host_sample__rates(&samples[cur ^ 1], &samples[cur], &rates))
				return 1;
		}
		if (hosts) {
			host_record__from_samples(&samples[cur ^ 1], &samples[cur], &rates, &hr);
			hr.t0_epoch_ns = epoch_ns - 1000000000ULL;
			hr.t1_epoch_ns = epoch_ns;
			hr.t0_ns = boot_ns - 1000000000ULL;
			hr.t1_ns = boot_ns;
		}

		/* Each exit's job, and the records, found before the clock starts. */
		for (unsigned long long k = 0; exits && k < rate; k++) {
			struct bjob *j = &jobs[0];

			for (unsigned int i = 0; i < njobs; i++)
				if (jobs[i].cj.id == ev[k].job_id)
					j = &jobs[i];
			pr[k] = (struct proc_record){
				.e = &ev[k], .job = &j->cj, .args = args[k], .args_len = args_len[k],
				.exe = exes[k], .cgroup = j->cj.job.cgroup, .cgroup_hierarchy = 0,
				.end_epoch_ns = epoch_ns + k * 1000000000ULL / rate,
			};
			pr[k].start_epoch_ns = pr[k].end_epoch_ns - (ev[k].exit_ns - ev[k].start_ns);
			pr[k].start_epoch_s = (double)pr[k].start_epoch_ns / 1e9;
			pr[k].end_epoch_s = (double)pr[k].end_epoch_ns / 1e9;
		}
		c0 = thread_cpu_s();
		for (unsigned long long k = 0; exits && k < rate; k++) {
			s->ops->process(s, &pr[k]);
			t.exits++;
		}
		/* The collector's folding, not the writer's: off the clock. */
		t.sink_cpu_s += thread_cpu_s() - c0;
		for (unsigned long long k = 0; exits && k < rate; k++)
			job__add_exit(&((struct cjob *)pr[k].job)->job, &ev[k]);
		c0 = thread_cpu_s();
		for (unsigned int i = 0; intervals && i < njobs; i++) {
			struct bjob *j = &jobs[i];
			struct interval_record ir = {
				.job = &j->cj, .t0_ns = boot_ns - 1000000000ULL, .t1_ns = boot_ns,
				.t0_epoch_ns = epoch_ns - 1000000000ULL, .t1_epoch_ns = epoch_ns,
				.d = { .cpu_ns = 800000000ULL + rnd(400000000), .started = rate / njobs,
				       .exited = rate / njobs, .exit_ok = rate / njobs },
				.alive = 3 + rnd(8), .rss_bytes = 4096ULL * (10000 + rnd(100000)),
				.vm_bytes = 4096ULL * (50000 + rnd(100000)), .open_files = 20 + rnd(50),
			};

			s->ops->interval(s, &ir);
			t.intervals++;
		}
		if (hosts) {
			s->ops->host(s, &hr);
			t.hosts++;
		}
		/* Jobs whose life is over: their job line, and a new job in their place. */
		for (unsigned int i = 0; !*only && i < njobs; i++) {
			struct bjob *j = &jobs[i];

			if (sec - j->started_s < life || sec == j->started_s)
				continue;
			j->cj.job.start_ns = (j->started_s + 86400) * 1000000000ULL;
			j->cj.job.end_ns = boot_ns;
			j->cj.job.stats.procs_started = j->cj.job.records;
			j->cj.job.stats.procs_exited = j->cj.job.records;
			s->ops->job_end(s, &j->cj,
					&(struct collector_stats){ .mono_to_epoch_ns = epoch_ns - boot_ns });
			t.jobs++;
			t.sink_cpu_s += thread_cpu_s() - c0;
			job_begin(j, next_id++, serial++, sec);
			c0 = thread_cpu_s();
		}
		s->ops->flush(s);
		t.sink_cpu_s += thread_cpu_s() - c0;
	}
	c0 = thread_cpu_s();
	sink__free(s);
	t.sink_cpu_s += thread_cpu_s() - c0;
	/* The file serve was writing is compressed at its next start: that start, on our clock. */
	fake_now = start + (time_t)seconds;
	s = sink_history__new(&ho);
	if (s)
		sink__free(s);
	for (unsigned int i = 0; i < njobs; i++)
		job__free(&jobs[i].cj.job);
	host_rates__free(&rates);
	host__free(&samples[0]);
	host__free(&samples[1]);
	printf("{\"start\":%lld,\"end\":%lld,\"exits\":%llu,\"intervals\":%llu,\"hosts\":%llu,"
	       "\"jobs\":%llu,\"sink_cpu_s\":%.6f}\n",
	       (long long)start, (long long)(start + (time_t)seconds), t.exits, t.intervals, t.hosts,
	       t.jobs, t.sink_cpu_s);
	return 0;
}
