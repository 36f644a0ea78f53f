/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The metrics store, shared by its two files: metrics.c keeps it from the
 * records, metrics_write.c writes it as text. Not for anything else:
 * include/jobtrace/metrics.h.
 */
#ifndef JOBTRACE_METRICS_PRIV_H
#define JOBTRACE_METRICS_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "jobtrace/history.h"
#include "jobtrace/metrics.h"
#include "jobtrace/proc_stat.h"

/*
 * What a job was given (job__allocation()) and its efficiency, as of its
 * last record: apart from its series, made only for a job with a figure of
 * its allocation known (serve's jobs are mostly cgroups without a limit;
 * 10,000 of them kept 48 bytes each of nothing known: the series is 40
 * bytes smaller).
 */
struct mjob_alloc {
	bool cpus_known, memory_known;
	double cpus;
	__u64 memory_bytes;
	const char *cpus_source, *memory_source; /* "slurm" or "cgroup": static strings */
	double cpu_efficiency, memory_efficiency; /* < 0: not known */
};

/* A job's series: totals since the store first saw its key. */
struct mjob {
	struct mjob *next; /* in its bucket */
	__u64 user_ns, system_ns;
	__u64 started, exit_ok, exit_error, exit_signal, threads;
	__u64 oom_kills;
	/*
	 * Processes that came in or went out other than by a fork or an exit
	 * (found at the attach; a cgroup move, setsid, setuid): without them
	 * the job's exits can outnumber its starts, a figure no job can have.
	 */
	__u64 existing, moved_in, moved_out;
	__u64 read_bytes, write_bytes;
	__u64 alive, rss_bytes, pss_bytes, peak_rss_bytes;
	struct mjob_alloc *alloc; /* NULL: no allocation known */
	__u64 ended_ns;
	__u64 created_ns; /* CLOCK_REALTIME of its first interval's start: OpenMetrics' _created */
	bool pss : 1;
	bool ended : 1;
	/*
	 * The label has nothing to escape (a backslash, a double quote, a
	 * newline): a scrape copies it as it is, 16 times at each scrape.
	 */
	bool label_plain : 1;
	/*
	 * The key as valid UTF-8, not escaped; in the series' own allocation
	 * (serve has 10,000), from the byte after the flags: MJOB_SIZE().
	 */
	char label[];
};

/* A series' allocation with a label of @n bytes, its NUL included: no padding before it. */
#define MJOB_SIZE(n) (offsetof(struct mjob, label) + (n))

/*
 * Every job's processes together, since the store was made, never expired:
 * a job shorter than a scrape interval, gone before any scrape saw its own
 * series, is in these, so increase() over them is exact on any Prometheus.
 */
struct all_jobs {
	__u64 created_ns; /* CLOCK_REALTIME of the store's making */
	__u64 user_ns, system_ns;
	__u64 started, exit_ok, exit_error, exit_signal;
	__u64 oom_kills;
	__u64 existing, moved_in, moved_out;
};

/*
 * A user's processes (by real uid at exit), from the exit records, since
 * the store first saw the uid; never expired. At most METRICS_MAX_USERS:
 * the cardinality of the user families is bounded, and the exits of later
 * users are counted in users_dropped instead.
 */
#define METRICS_MAX_USERS 256
struct muser {
	__u32 uid;
	__u64 user_ns, system_ns;
	__u64 exit_ok, exit_error, exit_signal;
	__u64 created_ns; /* CLOCK_REALTIME of its first exit */
};

struct host_vals {
	bool have; /* a host record came */
	bool have_stat; /* /proc/stat was read: CPU times and counters since boot */
	__u32 unknown;	/* HOST_RECORD_NO_*: those gauges are left out, not written as 0 */
	double load1, load5, load15;
	__u64 mem_total, mem_available, swap_total, swap_free;
	__u64 procs_running, procs_blocked;
	struct cpu_times cpu;
	__u64 forks, ctxt;
	/*
	 * The jobs' starts that intervals brought since the last host record
	 * (a job's end comes between the host's ticks): node_forks_total is
	 * @forks plus these, so that a scrape between two ticks never shows
	 * the jobs starting more than the host forked. The next host record's
	 * count is raised to cover them (host_record__forks()).
	 */
	__u64 forks_since;
};

struct metrics {
	double keep_s;
	struct mjob **buckets;
	size_t nbuckets, n;
	/*
	 * Jobs held that ended, and an end no later than any of theirs: a
	 * scrape's metrics__expire() walks the store only when one of them
	 * may be due (a walk of 10,000 jobs was 1 ms of each scrape).
	 */
	size_t nended;
	__u64 ended_min_ns;
	struct host_vals host;
	struct all_jobs all;
	metrics_user_name_fn user_name; /* the user label's name of a uid */
	struct muser *users; /* METRICS_MAX_USERS of them, made at the first exit */
	size_t nusers;
	__u64 users_dropped; /* exits of users past the cap */
	struct collector_stats st; /* each field the largest seen: counters never go back */
	__u64 http_dropped_slow, http_dropped_full; /* metrics_http's, as it counts them */
	struct self_sample self; /* jobtrace's own process, at the last scrape */
	bool have_self;
	struct history_stats history; /* serve --history's, at the last scrape */
	bool have_history;
	/*
	 * Bumped by every change of what an exposition shows, but jobtrace's
	 * own process (metrics__self(), new at every scrape): a body made at
	 * the same gen shows the same (metrics_http's cache).
	 */
	__u64 gen;
};

/*
 * The writer's output (metrics_text.c): the exposition gathered in @buf and
 * handed to @f a buffer at a time, not a piece of a line at a time. On the
 * writer's stack, for one exposition: nothing of it stays on the heap.
 */
#define MTEXT_BUF (32 * 1024)
struct mtext {
	FILE *f;
	size_t len;
	int err; /* the first write's failure, a negative errno; 0: none */
	char buf[MTEXT_BUF];
};

void mtext__flush(struct mtext *w);
void mtext__put_slow(struct mtext *w, const char *s, size_t n);

static inline void mtext__put(struct mtext *w, const char *s, size_t n)
{
	if (n > sizeof(w->buf) - w->len) {
		mtext__put_slow(w, s, n);
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static inline void mtext__puts(struct mtext *w, const char *s)
{
	mtext__put(w, s, strlen(s));
}

static inline void mtext__putc(struct mtext *w, char c)
{
	if (w->len == sizeof(w->buf))
		mtext__flush(w);
	w->buf[w->len++] = c;
}

/* Room for @n bytes (n <= MTEXT_BUF) at the end of the buffer. */
static inline char *mtext__room(struct mtext *w, size_t n)
{
	if (n > sizeof(w->buf) - w->len)
		mtext__flush(w);
	return w->buf + w->len;
}

static inline void mtext__u64(struct mtext *w, __u64 v)
{
	w->len += metrics__format_u64(mtext__room(w, METRICS_NUM_MAX), v);
}

static inline void mtext__ns(struct mtext *w, __u64 ns)
{
	w->len += metrics__format_ns(mtext__room(w, METRICS_NUM_MAX), ns);
}

static inline void mtext__double(struct mtext *w, double v)
{
	w->len += metrics__format_double(mtext__room(w, METRICS_NUM_MAX), v);
}

#endif
