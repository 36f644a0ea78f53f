/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /metrics for Prometheus: a store of per-job and host values fed by the
 * collector's records (the metrics sink), and a pure writer of the store as
 * the Prometheus text format 0.0.4 or OpenMetrics 1.0.0 over a FILE, and the
 * HTTP endpoint that serves it from the collector's loop (libmicrohttpd).
 *
 * Counters are totals the store adds up from interval records (deltas), so
 * they only grow. A job that ends keeps its last values for keep_s seconds
 * (a scrape or two sees its final totals), then its series go, as
 * Prometheus expects of a target's series that disappear. A job is named by
 * its key (label "job"), made valid UTF-8; jobs with the same key share
 * their series, so a cgroup created again continues its counters.
 */
#ifndef JOBTRACE_METRICS_H
#define JOBTRACE_METRICS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdio.h>

#include "jobtrace/collector.h"
#include "jobtrace/self_sample.h"

struct metrics;
struct sink;

#define METRICS_DEFAULT_KEEP_S 300.0
/*
 * The label that names a job's series: `job` and `instance` belong to the
 * scraper (Prometheus sets them on every series), so not one of those.
 */
#define METRICS_JOB_LABEL "job_key"

enum metrics_format {
	METRICS_TEXT, /* text/plain; version=0.0.4 */
	METRICS_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

struct metrics *metrics__new(double keep_s);
void metrics__free(struct metrics *m);
/* serve's reload: ended jobs are kept @keep_s from now on. */
void metrics__set_keep(struct metrics *m, double keep_s);
/*
 * The name of a uid in the user families' user label, as util__user_name()
 * answers (the default): false when it has none. A test gives its own, to
 * make two uids share a name as two passwd entries can.
 */
typedef bool (*metrics_user_name_fn)(unsigned int uid, char *buf, size_t size);
void metrics__set_user_name(struct metrics *m, metrics_user_name_fn fn);

/* The records, as the sink hands them on; times are CLOCK_MONOTONIC, as the records. */
int metrics__interval(struct metrics *m, const struct interval_record *r);
int metrics__process(struct metrics *m, const struct proc_record *r);
/* A job ended at j->job.end_ns: its totals are final, kept until end + keep_s. */
int metrics__job_end(struct metrics *m, const struct cjob *j);
void metrics__host(struct metrics *m, const struct host_record *r);
/* The kernel's and the collector's counters since the start (kept monotonic). */
void metrics__counters(struct metrics *m, const struct collector_stats *st);
/*
 * /metrics' own defence, since the start: connections closed past their
 * deadline (@slow) and to free a slot for a newer one (@full).
 */
void metrics__http_dropped(struct metrics *m, __u64 slow, __u64 full);
/*
 * jobtrace's own process, as a front sampled it (self_sample__read): the
 * process_* families Prometheus client libraries export. None until a
 * first sample: no family rather than false zeros.
 */
void metrics__self(struct metrics *m, const struct self_sample *s);
/* serve --history's counters (sink_history__stats); none until given. */
struct history_stats;
void metrics__history(struct metrics *m, const struct history_stats *h);
/* Drops the jobs that ended more than keep_s before @now_ns. */
void metrics__expire(struct metrics *m, __u64 now_ns);
/* What changed the store last, as a count: equal, no change since (jobtrace's own process aside). */
__u64 metrics__gen(const struct metrics *m);
/* Series of jobs held (open and kept). */
size_t metrics__jobs(const struct metrics *m);

/* The exposition of everything held; 0 or a negative errno (a write error). */
int metrics__write(const struct metrics *m, FILE *f, enum metrics_format fmt);
const char *metrics__content_type(enum metrics_format fmt);
/*
 * A value's text as the writer puts it, without printf (metrics_text.c):
 * @v as "%llu"; @ns nanoseconds as seconds, "%llu.%09llu" of its whole
 * seconds and the rest; @v as "%.17g". No NUL; @out holds METRICS_NUM_MAX
 * bytes; the length written is returned.
 */
#define METRICS_NUM_MAX 32
size_t metrics__format_u64(char *out, __u64 v);
size_t metrics__format_ns(char *out, __u64 ns);
size_t metrics__format_double(char *out, double v);
/* OpenMetrics when an Accept header asks for it (and does not refuse it with q=0). */
enum metrics_format metrics__negotiate(const char *accept);
/*
 * Does an Accept-Encoding header take gzip: "gzip" or "x-gzip" with a q
 * above 0, or "*" above 0 where gzip is not named? No header: identity.
 */
bool metrics__wants_gzip(const char *accept_encoding);

/*
 * @in as a label value's characters: valid UTF-8, each byte that is not
 * part of a valid sequence replaced by U+FFFD. Not escaped (the writer
 * escapes). Returns the length written, at most 3 * @len; @out holds
 * 3 * @len + 1 bytes.
 */
size_t metrics__utf8_clean(const char *in, size_t len, char *out);

/* The sink that feeds @m; it owns @m (freed with the sink). */
struct sink *sink_metrics__new(struct metrics *m);
struct metrics *sink_metrics__store(struct sink *s);

/*
 * The HTTP endpoint: GET /metrics on one address, served from the
 * collector's loop (MHD_USE_EPOLL, no thread of its own).
 */
struct metrics_http;
/*
 * What a scrape refreshes before it writes, from the front: the
 * collector's counters (metrics__counters), its own process (metrics__self).
 */
typedef void (*metrics_refresh_fn)(void *ctx, struct metrics *m);

/*
 * /metrics' port when `listen` names an address alone. Not node_exporter's
 * 9100: a host runs both. Prometheus's list of default port allocations
 * holds 9100-9999 in full; this one is on none of its lists, nor in
 * /etc/services, and below Linux's ephemeral range (32768-60999), so no
 * outgoing connection takes it first.
 */
#define METRICS_DEFAULT_PORT 19640
#define METRICS_DEFAULT_PORT_STR "19640"

/*
 * "ADDR:PORT", "[ADDR6]:PORT", ":PORT" (127.0.0.1), "ADDR" or "[ADDR6]"
 * (METRICS_DEFAULT_PORT) into @host (brackets off) and @port. 0; -EINVAL
 * when it is none of them (a number alone is a port without its ':', not
 * an address); -ERANGE for a port past 65535. No lookup. Port 0 is the
 * kernel's choice, told by metrics_http__listen().
 */
int metrics_http__split_listen(const char *addr, char *host, size_t size, unsigned int *port);
/*
 * A bound, listening socket for @addr (as above); @bound gets the address
 * it was bound to, as getsockname() tells it ("127.0.0.1:41234" for ":0").
 * Prints "jobtrace: cannot listen on ..." on a failure to resolve or bind.
 * Returns the fd, or a negative errno (-EINVAL, -ERANGE: @addr is malformed,
 * not printed: the caller's usage error).
 */
int metrics_http__listen(const char *addr, char *bound, size_t bound_size);
/*
 * @len bytes of @in as one gzip member (RFC 1952), into *@out (malloc'd,
 * *@out_len bytes): a 1,000-job exposition is 1 MiB of text that repeats
 * itself. 0, -ENOMEM, -EFBIG (2 GiB or more), or -EIO when zlib fails otherwise.
 */
int metrics_http__gzip(const void *in, size_t len, void **out, size_t *out_len);
/*
 * The same from the first @len bytes of file @in_fd to file @out_fd, 64 KiB
 * at a time, its size in *@out_len: a scrape's body is never whole in memory.
 * 0, -ENOMEM, -errno of a read or a write, -EIO.
 */
int metrics_http__gzip_fd(int in_fd, size_t len, int out_fd, size_t *out_len);
/* Takes @listen_fd; NULL with errno set. */
struct metrics_http *metrics_http__new(int listen_fd, struct metrics *m, metrics_refresh_fn fn,
				       void *ctx);
/* Adds the server's epoll fd to @c and a sink that runs its timeouts every pass. */
int metrics_http__attach(struct metrics_http *h, struct collector *c);
void metrics_http__free(struct metrics_http *h);

#ifdef __cplusplus
}
#endif

#endif
