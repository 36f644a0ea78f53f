// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* History files: names, retention's choice, the reader over plain and zstd fixtures. */
#include "testutil.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "jobtrace/history.h"
#include "jobtrace/json.h"
#include "jobtrace/sink.h"

#include "../../user/cmd/commands.h"

#define HISTORY_FIXTURES FIXTURES "/history"

static void test_names(void **state)
{
	char buf[64];
	bool zst = true;

	(void)state;
	assert_int_equal(history__file_name(1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "history-19700101-001640.jsonl");
	assert_int_equal(history__parse_name(buf, &zst), 1000);
	assert_false(zst);
	assert_int_equal(history__parse_name("history-20261206-134428.jsonl.zst", &zst),
			 1796564668);
	assert_true(zst);
	assert_int_equal(history__file_name(1000, buf, 10), -ENAMETOOLONG);
	/* Not ours: a temporary file of a compression, a name cut short, another suffix. */
	assert_int_equal(history__parse_name(".history-19700101-001640.jsonl.zst.tmp", &zst), -1);
	assert_int_equal(history__parse_name("history-19700101-0016.jsonl", &zst), -1);
	assert_int_equal(history__parse_name("history-19700101-001640.json", &zst), -1);
	assert_int_equal(history__parse_name("history-19700101-001640.jsonl.gz", &zst), -1);
}

static struct history_file file(time_t start, uint64_t bytes)
{
	struct history_file f = { .start = start, .bytes = bytes };

	return f;
}

static void test_to_drop(void **state)
{
	struct history_file v[] = { file(0, 100), file(100, 100), file(200, 100), file(300, 50) };

	(void)state;
	/* Within both limits: none. */
	assert_int_equal(history__to_drop(v, 4, 310, 1000, 1000), 0);
	/* Past the size: the oldest first, until the rest fits. */
	assert_int_equal(history__to_drop(v, 4, 310, 1000, 300), 1);
	assert_int_equal(history__to_drop(v, 4, 310, 1000, 200), 2);
	/* Never the file being written, whatever its size. */
	assert_int_equal(history__to_drop(v, 4, 310, 1000, 10), 3);
	/* By age: a file ended when the next began; v[0] ended at 100, 210 s before 310. */
	assert_int_equal(history__to_drop(v, 4, 310, 200, 1000), 1);
	assert_int_equal(history__to_drop(v, 4, 310, 150, 1000), 1);
	assert_int_equal(history__to_drop(v, 4, 310, 100, 1000), 2);
	assert_int_equal(history__to_drop(v, 1, 1e6, 1, 1), 0);
	assert_int_equal(history__to_drop(v, 0, 1e6, 1, 1), 0);
}

static void test_json_get(void **state)
{
	const char *l = "{\"type\":\"exit\",\"job\":\"a \\\"b\\\",c\",\"cpu\":{\"user_s\":1,"
			"\"total_s\":2.5},\"args\":[\"x\",\"}\"],\"oom\":null,\"end\":7}";
	size_t vl;
	const char *v;

	(void)state;
	v = history__json_get(l, strlen(l), "type", &vl);
	assert_non_null(v);
	assert_int_equal(vl, 6);
	assert_memory_equal(v, "\"exit\"", 6);
	v = history__json_get(l, strlen(l), "cpu.total_s", &vl);
	assert_non_null(v);
	assert_memory_equal(v, "2.5", vl);
	v = history__json_get(l, strlen(l), "job", &vl);
	assert_int_equal(vl, strlen("\"a \\\"b\\\",c\""));
	v = history__json_get(l, strlen(l), "end", &vl);
	assert_memory_equal(v, "7", vl);
	v = history__json_get(l, strlen(l), "oom", &vl);
	assert_memory_equal(v, "null", vl);
	assert_null(history__json_get(l, strlen(l), "cpu.system_s", &vl));
	assert_null(history__json_get(l, strlen(l), "oom.global", &vl));
	assert_null(history__json_get(l, strlen(l), "total_s", &vl));
}

static int open_fixtures(void)
{
	int fd = open(HISTORY_FIXTURES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void test_list(void **state)
{
	struct history_file *f;
	int fd = open_fixtures(), n;

	(void)state;
	n = history__list(fd, &f);
	assert_int_equal(n, 3);
	assert_string_equal(f[0].name, "history-19700101-001640.jsonl");
	assert_false(f[0].zst);
	assert_int_equal(f[1].start, 2000);
	assert_true(f[1].zst);
	assert_int_equal(f[2].start, 3000);
	free(f);
	close(fd);
}

static int count_line(void *ctx, const char *line, size_t len)
{
	(*(int *)ctx)++;
	assert_int_equal(line[0], '{');
	assert_int_equal(line[len - 1], '}');
	return 0;
}

static void test_read(void **state)
{
	int fd = open_fixtures(), n = 0;

	(void)state;
	assert_int_equal(history__read_file(fd, "history-19700101-003320.jsonl.zst", true,
					    count_line, &n, NULL), 0);
	assert_int_equal(n, 3);
	n = 0;
	/* A last line a crash cut: not a record. */
	assert_int_equal(history__read_file(fd, "history-19700101-005000.jsonl", false,
					    count_line, &n, NULL), 0);
	assert_int_equal(n, 1);
	/* A plain file read as zstd is not one. */
	assert_int_equal(history__read_file(fd, "history-19700101-005000.jsonl", true,
					    count_line, &n, NULL), -EBADMSG);
	close(fd);
}

static const char *query(const struct history_query *q)
{
	static struct capture c;
	int fd = open_fixtures();

	free(c.buf);
	capture__open(&c);
	assert_int_equal(history__query(fd, HISTORY_FIXTURES, q, c.f), 0);
	close(fd);
	return capture__close(&c);
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_query(void **state)
{
	struct history_query q = { .json = true };
	const char *out;

	(void)state;
	/* Every exit and job line, none of the others, the cut one left out. */
	out = query(&q);
	assert_int_equal(lines(out), 6);
	assert_null(strstr(out, "\"interval\""));
	q.failed = true;
	out = query(&q);
	/* false (exit 1) and hog (signal 9), and the jobs they belong to: /a only (/b's key differs). */
	assert_non_null(strstr(out, "\"pid\":11,"));
	assert_non_null(strstr(out, "\"pid\":20,"));
	assert_null(strstr(out, "\"pid\":10,"));
	assert_int_equal(lines(out), 3);
	q.failed = false;
	q.oom = true;
	out = query(&q);
	assert_int_equal(lines(out), 1);
	assert_non_null(strstr(out, "\"comm\":\"hog\""));
	q.oom = false;
	q.user = "alice";
	q.since = 1001;
	q.until = 1500;
	out = query(&q);
	assert_int_equal(lines(out), 2);
	q = (struct history_query){ .command = "true", .processes = true };
	out = query(&q);
	assert_int_equal(lines(out), 2);
	assert_non_null(strstr(out, " true "));
	q = (struct history_query){ .job = "cgroup:/a" };
	out = query(&q);
	/* The heading and the job. */
	assert_int_equal(lines(out), 2);
	assert_non_null(strstr(out, "0.750 cgroup:/a\n"));
}

/* What a sink was handed, for the records made back from lines. */
struct rec_capture {
	struct sink base;
	struct jt_exit_event e;
	char args[256];
	size_t args_len;
	bool args_known, oom;
	__u64 job_id, job_end_id, intervals, hosts;
	struct interval_record ir;
	double host_busy, host_load1;
	__u64 end_started, end_cpu_ns, end_records, end_wall_ns;
	char end_key[300], argv0[64];
	int argc;
};

static int cap_process(struct sink *s, const struct proc_record *r)
{
	struct rec_capture *c = (struct rec_capture *)s;

	c->e = *r->e;
	c->job_id = r->job->id;
	c->args_known = r->args != NULL;
	c->args_len = r->args_len < sizeof(c->args) ? r->args_len : sizeof(c->args);
	if (r->args)
		memcpy(c->args, r->args, c->args_len);
	c->oom = r->oom != NULL;
	return 0;
}

static int cap_interval(struct sink *s, const struct interval_record *r)
{
	struct rec_capture *c = (struct rec_capture *)s;

	c->ir = *r;
	c->intervals++;
	return 0;
}

static int cap_host(struct sink *s, const struct host_record *r)
{
	struct rec_capture *c = (struct rec_capture *)s;

	c->hosts++;
	c->host_busy = r->cpu_busy_pct;
	c->host_load1 = r->load1;
	return 0;
}

static int cap_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct rec_capture *c = (struct rec_capture *)s;

	(void)st;
	c->job_end_id = j->id;
	c->end_started = j->job.stats.procs_started;
	c->end_cpu_ns = j->job.stats.cpu_ns;
	c->end_records = j->job.records;
	c->end_wall_ns = j->job.end_ns - j->job.start_ns;
	snprintf(c->end_key, sizeof(c->end_key), "%s", j->job.key);
	c->argc = j->job.argc;
	snprintf(c->argv0, sizeof(c->argv0), "%s", j->job.argc ? j->job.argv[0] : "");
	return 0;
}

static const struct sink_ops cap_ops = {
	.name = "capture",
	.process = cap_process,
	.interval = cap_interval,
	.host = cap_host,
	.job_end = cap_job_end,
};

/*
 * A process filter's query in one pass: a job's line is printed where it
 * stands when a process of its key matched anywhere in the range, also
 * one read later (a key used again); a line with the filter's bytes in
 * its arguments only is walked and not kept.
 */
static void test_query_one_pass(void **state)
{
	static const char text[] =
		"{\"type\":\"exit\",\"time\":100,\"pid\":1,\"job\":\"cgroup:/k\",\"comm\":\"a\","
		"\"args\":[\"x\\\"exit_code\\\":3\",\"\\\"signal\\\":9\"]}\n"
		"{\"type\":\"job\",\"time\":101,\"job\":{\"key\":\"cgroup:/k\",\"wall_s\":1}}\n"
		"{\"type\":\"job\",\"time\":102,\"job\":{\"key\":\"cgroup:/other\",\"wall_s\":1}}\n"
		"{\"type\":\"exit\",\"time\":103,\"pid\":2,\"job\":\"cgroup:/k\",\"comm\":\"b\","
		"\"exit_code\":2}\n"
		"{\"type\":\"job\",\"time\":104,\"job\":{\"key\":\"cgroup:/k\",\"wall_s\":2}}\n";
	struct history_query q = { .json = true, .failed = true };
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", path[96], cmd[64];
	struct capture c;
	const char *out, *a, *b, *d;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/history-19700101-000000.jsonl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	capture__open(&c);
	assert_int_equal(history__query(fd, dir, &q, c.f), 0);
	out = capture__close(&c);
	/* Both lines of /k in their places around its failed process, not /other's, not pid 1. */
	assert_int_equal(lines(out), 3);
	a = strstr(out, "\"wall_s\":1}");
	b = strstr(out, "\"pid\":2,");
	d = strstr(out, "\"wall_s\":2}");
	assert_true(a && b && d && a < b && b < d);
	assert_null(strstr(out, "cgroup:/other"));
	assert_null(strstr(out, "\"pid\":1,"));
	capture__free(&c);
	/* Text: the jobs alone, the same two. */
	q.json = false;
	capture__open(&c);
	assert_int_equal(history__query(fd, dir, &q, c.f), 0);
	out = capture__close(&c);
	assert_int_equal(lines(out), 3);
	assert_null(strstr(out, "cgroup:/other"));
	capture__free(&c);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Lines as serve writes them, back into records: escapes, nulls, a job's end. */
static void test_records(void **state)
{
	static const char exit_line[] =
		"{\"type\":\"exit\",\"time\":1796570899.26145,\"job\":\"cgroup:/a\\\\b\","
		"\"pid\":6518,\"ppid\":4162,\"start_ns\":20343924086755,"
		"\"parent_start_ns\":20343283734096,\"exit_ns\":20343926987352,"
		"\"comm\":\"we\\\"ird\\u0001)\",\"args\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\"],"
		"\"exit_code\":null,\"signal\":9,\"core_dumped\":true,"
		"\"cpu\":{\"user_s\":0.5,\"system_s\":0.25,\"total_s\":0.75,\"total_ns\":750000001},"
		"\"peak_rss_bytes\":270336,\"io\":{\"read_bytes\":7,\"write_bytes\":8},\"threads\":3,"
		"\"existing_at_attach\":false,\"moved\":true,\"execed\":true,\"is_root\":false,"
		"\"uid\":1000,\"gid\":null,\"user\":\"u\",\"oom_killed\":true,\"oom\":null}";
	static const char interval_line[] =
		"{\"type\":\"interval\",\"time\":1796570900.5,\"job\":\"cgroup:/a\\\\b\","
		"\"start\":1796570900,\"interval_s\":0.5,\"processes\":{\"alive\":2,\"started\":4,"
		"\"exited\":3,\"exit_ok\":1,\"exit_error\":1,\"exit_signal\":1},"
		"\"cpu\":{\"user_s\":0,\"system_s\":0,\"total_s\":0,\"total_ns\":123,\"rate_pct\":0},"
		"\"memory\":{\"rss_bytes\":4096,\"pss_bytes\":null,\"vm_bytes\":8192}}";
	static const char host_line[] =
		"{\"type\":\"host\",\"time\":1796570900.5,\"start\":1796570900,\"interval_s\":0.5,"
		"\"cpu\":{\"count\":2,\"busy_pct\":null},\"load\":{\"avg1\":1.5}}";
	static const char job_line[] =
		"{\"type\":\"job\",\"time\":1796570901,\"version\":4,\"job\":{\"key\":\"cgroup:/a\\\\b\","
		"\"command\":[\"make\",\"-j2\"],\"wall_s\":2.5},\"processes\":{\"started\":5},"
		"\"cpu\":{\"total_ns\":999},\"events\":{\"received\":4,\"lost\":0}}";
	struct rec_capture c = { .base = { .ops = &cap_ops } };
	struct history_records *hr = history_records__new();
	__u64 id;

	(void)state;
	assert_non_null(hr);
	assert_int_equal(history_records__feed(hr, exit_line, strlen(exit_line), &c.base), 0);
	assert_int_equal(c.e.pid, 6518);
	assert_int_equal(c.e.ppid, 4162);
	assert_true(c.e.start_ns == 20343924086755ULL);
	assert_int_equal(c.e.exit_status, 9 | 0x80);
	assert_true(c.e.acct.cpu_ns == 750000001ULL);
	assert_true(c.e.user_ns == 500000000ULL);
	assert_int_equal(c.e.threads, 3);
	assert_int_equal(c.e.uid, 1000);
	assert_int_equal(c.e.gid, JT_ID_UNKNOWN);
	assert_int_equal(c.e.flags & (JT_F_MOVED | JT_F_EXECED | JT_F_EXISTING),
			 JT_F_MOVED | JT_F_EXECED);
	assert_memory_equal(c.e.comm, "we\"ird\x01)", 8);
	assert_true(c.args_known);
	assert_int_equal(c.args_len, sizeof("sh\0-c\0echo \"hi\""));
	assert_memory_equal(c.args, "sh\0-c\0echo \"hi\"", c.args_len);
	assert_true(c.oom);
	id = c.job_id;
	assert_int_equal(history_records__open_jobs(hr), 1);

	assert_int_equal(history_records__feed(hr, interval_line, strlen(interval_line), &c.base),
			 0);
	assert_int_equal(c.intervals, 1);
	assert_true(c.ir.job->id == id);
	assert_int_equal(c.ir.alive, 2);
	assert_int_equal(c.ir.d.started, 4);
	assert_int_equal(c.ir.d.exit_signal, 1);
	assert_true(c.ir.t1_ns - c.ir.t0_ns == 500000000ULL);
	assert_int_equal(c.ir.rss_bytes, 4096);
	assert_false(c.ir.pss);

	assert_int_equal(history_records__feed(hr, host_line, strlen(host_line), &c.base), 0);
	assert_int_equal(c.hosts, 1);
	assert_true(c.host_busy < 0); /* null: unknown */
	assert_true(c.host_load1 == 1.5);

	assert_int_equal(history_records__feed(hr, job_line, strlen(job_line), &c.base), 0);
	assert_true(c.job_end_id == id);
	assert_string_equal(c.end_key, "cgroup:/a\\b");
	assert_int_equal(c.end_started, 5);
	assert_int_equal(c.end_cpu_ns, 999);
	assert_int_equal(c.end_records, 4);
	assert_true(c.end_wall_ns == 2500000000ULL);
	assert_int_equal(c.argc, 2);
	assert_string_equal(c.argv0, "make");
	assert_int_equal(history_records__open_jobs(hr), 0);

	/* The same key again: a new job, with an id of its own; ended without its line. */
	assert_int_equal(history_records__feed(hr, exit_line, strlen(exit_line), &c.base), 0);
	assert_true(c.job_id != id);
	assert_int_equal(history_records__end_open(hr, &c.base), 0);
	assert_true(c.job_end_id == c.job_id);
	assert_int_equal(c.end_records, 1);
	assert_int_equal(c.end_cpu_ns, 750000001);
	/* Lines of other types, and not ours, are skipped. */
	assert_int_equal(history_records__feed(hr, "{\"type\":\"system\"}", 17, &c.base), 0);
	assert_int_equal(history_records__feed(hr, "garbage", 7, &c.base), 0);
	history_records__free(hr);
}

static void test_json_top(void **state)
{
	static const char line[] = "{\"type\":\"exit\",\"args\":[\"a,\\\"}\",\"b\"],"
				   "\"cpu\":{\"total_s\":1.5},\"comm\":\"x\",\"signal\":null}";
	static const char *const keys[] = { "signal", "comm", "cpu", "absent" };
	const char *v[4];
	size_t vl[4];

	(void)state;
	assert_int_equal(history__json_top(line, strlen(line), keys, 4, v, vl), 3);
	assert_int_equal(vl[0], 4);
	assert_memory_equal(v[0], "null", 4);
	assert_int_equal(vl[1], 3);
	assert_memory_equal(v[1], "\"x\"", 3);
	assert_int_equal(vl[2], strlen("{\"total_s\":1.5}"));
	assert_null(v[3]);
	assert_int_equal(history__json_top("garbage", 7, keys, 4, v, vl), 0);
}

static void test_parse_time(void **state)
{
	double now = (double)time(NULL), t;
	struct tm tm;
	time_t s;

	(void)state;
	assert_int_equal(history__parse_time("1796570899.5", &t), 0);
	assert_true(t == 1796570899.5);
	assert_int_equal(history__parse_time("-1h", &t), 0);
	assert_true(t >= now - 3600 - 1 && t <= now - 3600 + 1);
	assert_int_equal(history__parse_time("2026-12-06 15:28:57", &t), 0);
	s = (time_t)t;
	localtime_r(&s, &tm);
	assert_int_equal(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec, 15 * 3600 + 28 * 60 + 57);
	assert_int_equal(tm.tm_mday, 6);
	assert_int_equal(history__parse_time("2026-12-06T15:28", &t), 0);
	assert_int_equal(history__parse_time("03:10", &t), 0);
	s = (time_t)t;
	localtime_r(&s, &tm);
	assert_int_equal(tm.tm_hour * 60 + tm.tm_min, 3 * 60 + 10);
	assert_int_equal(history__parse_time("yesterday", &t), -EINVAL);
	assert_int_equal(history__parse_time("25:99", &t), -EINVAL);
	assert_int_equal(history__parse_time("-1w", &t), -EINVAL);
	assert_int_equal(history__parse_time("2026-12-06 15:28:57x", &t), -EINVAL);
	/* Days a month lacks, a leap second, no finite time: not a later time in disguise. */
	assert_int_equal(history__parse_time("2026-02-30 00:00", &t), -EINVAL);
	assert_int_equal(history__parse_time("2026-04-31T12:00:00", &t), -EINVAL);
	assert_int_equal(history__parse_time("23:59:60", &t), -EINVAL);
	assert_int_equal(history__parse_time("inf", &t), -EINVAL);
	assert_int_equal(history__parse_time("-inf", &t), -EINVAL);
	assert_int_equal(history__parse_time("2028-02-29 00:00", &t), 0); /* a leap year's */
}

/* Lines -o writes for @r (sink_json's), appended to @c. */
static void whole_lines(struct capture *c, const struct proc_record *r, size_t n)
{
	struct sink *s = sink_jsonl__new(c->f, 0, true, false, false, false);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		s->ops->process(s, &r[i]);
	sink__free(s);
}

/*
 * realloc(), failing once when asked for more than @realloc_fail_above
 * bytes (0: never): how a test makes a record's build run out of memory.
 * The next realloc() found after this one's (libc's, or ASan's) does the
 * rest.
 */
static size_t realloc_fail_above;

void *realloc(void *p, size_t size)
{
	static void *(*next)(void *, size_t);

	if (realloc_fail_above && size > realloc_fail_above) {
		realloc_fail_above = 0;
		errno = ENOMEM;
		return NULL;
	}
	if (!next)
		*(void **)&next = dlsym(RTLD_NEXT, "realloc");
	return next(p, size);
}

static int count_short(void *ctx, const char *line, size_t len)
{
	*(int *)ctx += history__json_get(line, len, "boot_epoch_ns", &len) != NULL;
	return 0;
}

static time_t fixed_now(void)
{
	return 1796515200;
}

/*
 * Short exit lines (sink_history.c) read back whole by `history --json`:
 * byte for byte the line -o writes for the same record, whatever the
 * short line left out (exit_ns, cpu.total_ns as the sum, one thread, the
 * job's own cgroup, an exe that is args[0], 0s and falses), and what it
 * keeps when the record differs (a total that is not the sum, threads, a
 * cgroup below the job's, a signal with a core, an exe of its own), and
 * a record the short form cannot say (an OOM kill) written whole.
 */
static void test_short_round_trip(void **state)
{
	static const char args1[] = "/usr/bin/cc\0-c\0a.c", args2[] = "sh\0-c\0echo hi";
	/* Checked eight bytes at a time: an empty one, a quote, a byte past ASCII, exact words. */
	static const char args4[] = "a\0\0bcdefghijklmnopq\0", args5[] = "echo\0say \"hi\" now";
	static const char args6[] = "x\0caf\xc3\xa9 au lait", args7[] = "abcdefgh\0ijklmnopqrstuvw";
	struct cjob job = { .id = 1, .job.key = "cgroup:/build.slice/b1" };
	struct cjob job2 = { .id = 2, .job.key = "unit:b2.service" };
	struct job_oom oom = { .killed = true };
	__u64 boot = 1796428800123456789ULL;
	struct jt_exit_event e[8] = {
		{ .pid = 300, .ppid = 20, .start_ns = 86399000000001ULL,
		  .exit_ns = 86400123456789ULL,
		  .parent_start_ns = 86000000000000ULL, .cgroup_id = 77, .threads = 1,
		  .user_ns = 346275001, .system_ns = 38475000, .acct = { .cpu_ns = 384750001,
		  .read_chars = 4096, .write_bytes = 8192 }, .peak_rss_bytes = 1 << 20,
		  .flags = JT_F_EXECED, .comm = "cc" },
		{ .pid = 301, .ppid = 300, .start_ns = 86400000000000ULL,
		  .exit_ns = 86401000000000ULL,
		  .parent_start_ns = 86399000000001ULL, .cgroup_id = 78, .threads = 4,
		  .exit_status = 11 | 0x80, .user_ns = 5, .system_ns = 7, .acct = { .cpu_ns = 13 },
		  .flags = JT_F_EXISTING | JT_F_MOVED, .is_root = true, .comm = "sh" },
		{ .pid = 302, .ppid = 1, .start_ns = 5,
		  .exit_ns = 86402000000000ULL, .cgroup_id = 79,
		  .threads = 1, .exit_status = 3 << 8, .comm = "x" },
		{ .pid = 303, .ppid = 1, .start_ns = 5,
		  .exit_ns = 86403000000000ULL, .cgroup_id = 79,
		  .threads = 1, .exit_status = 9, .flags = JT_F_OOM_KILLED, .comm = "hog" },
		{ .pid = 304, .ppid = 1, .start_ns = 5,
		  .exit_ns = 86404000000000ULL, .cgroup_id = 79,
		  .threads = 1, .comm = "a" },
		{ .pid = 305, .ppid = 1, .start_ns = 5,
		  .exit_ns = 86405000000000ULL, .cgroup_id = 79,
		  .threads = 1, .comm = "echo" },
		{ .pid = 306, .ppid = 1, .start_ns = 5,
		  .exit_ns = 86406000000000ULL, .cgroup_id = 79,
		  .threads = 1, .comm = "x" },
		{ .pid = 307, .ppid = 1, .start_ns = 5,
		  .exit_ns = 86407000000000ULL, .cgroup_id = 79,
		  .threads = 2, .user_ns = 1000000000, .acct = { .cpu_ns = 1000000000 },
		  .comm = "abcdefgh" },
	};
	struct proc_record r[8] = {
		{ .args = args1, .args_len = sizeof(args1), .exe = "/usr/bin/cc",
		  .cgroup = "/build.slice/b1" },
		{ .args = args2, .args_len = sizeof(args2), .args_truncated = true,
		  .exe = "/usr/bin/dash", .cgroup = "/build.slice/b1/sub", .cgroup_hierarchy = 0 },
		{ .cgroup = "/system.slice/b2.service" },
		{ .cgroup = "/system.slice/b2.service", .oom = &oom },
		{ .args = args4, .args_len = sizeof(args4) - 1, .exe = "a",
		  .cgroup = "/system.slice/b2.service" },
		{ .args = args5, .args_len = sizeof(args5), .exe = "/bin/echo",
		  .cgroup = "/system.slice/b2.service" },
		{ .args = args6, .args_len = sizeof(args6), .exe = "x",
		  .cgroup = "/system.slice/b2.service" },
		{ .args = args7, .args_len = sizeof(args7) - 1, .exe = "abcdefgh",
		  .cgroup = "/system.slice/b2.service" },
	};
	struct history_opts ho = { .now = fixed_now };
	struct history_query q = { .json = true };
	struct capture whole, read;
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", cmd[64];
	struct history_file *files;
	struct sink *s;
	int fd, n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	ho.dir = dir;
	for (size_t i = 0; i < 8; i++) {
		r[i].e = &e[i];
		r[i].job = i < 2 ? &job : &job2;
		r[i].start_epoch_ns = e[i].start_ns + boot;
		r[i].end_epoch_ns = e[i].exit_ns + boot;
		r[i].start_epoch_s = (double)r[i].start_epoch_ns / 1e9;
		r[i].end_epoch_s = (double)r[i].end_epoch_ns / 1e9;
	}
	capture__open(&whole);
	whole_lines(&whole, r, 8);
	s = sink_history__new(&ho);
	assert_non_null(s);
	for (size_t i = 0; i < 8; i++)
		s->ops->process(s, &r[i]);
	s->ops->flush(s);
	sink__free(s);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	/* Short but the OOM kill and the arguments with a quote and a byte past ASCII. */
	assert_int_equal(history__list(fd, &files), 1);
	assert_int_equal(history__read_file(fd, files[0].name, true, count_short, &n, NULL), 0);
	free(files);
	assert_int_equal(n, 5);
	capture__open(&read);
	assert_int_equal(history__query(fd, dir, &q, read.f), 0);
	close(fd);
	capture__close(&whole);
	assert_int_equal(lines(whole.buf), 8);
	assert_string_equal(capture__close(&read), whole.buf);
	capture__free(&read);
	capture__free(&whole);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * Names as they are, with a quote, a backslash, a newline or bytes that are
 * not UTF-8, in --command and --job: serve's writer stores them escaped
 * (q\"uote), and the filters compared the stored bytes with the name as
 * typed, so `history --command 'q"uote'` found nothing; only the escaped
 * form, which no user has, did.
 */
static void test_query_names_escaped(void **state)
{
	static const char *const comms[] = { "q\"uote", "nl\nx", "back\\slash", "bad\xff\xfe",
					     "plain" };
	struct cjob job = { .id = 1, .job.key = "cgroup:/we\"ird" };
	struct jt_exit_event e[5] = {};
	struct proc_record r[5] = {};
	struct history_query q = { .processes = true };
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", path[96], cmd[64];
	struct sink *sk;
	struct capture c;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/history-19700101-000000.jsonl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	sk = sink_jsonl__new(f, 0, true, false, false, false);
	assert_non_null(sk);
	for (size_t i = 0; i < 5; i++) {
		e[i] = (struct jt_exit_event){ .pid = 400 + (__u32)i, .ppid = 1, .start_ns = 1,
					       .exit_ns = 2, .threads = 1, .uid = 0, .gid = 0 };
		memcpy(e[i].comm, comms[i], strlen(comms[i]));
		r[i] = (struct proc_record){ .e = &e[i], .job = &job, .cgroup = "/we\"ird",
					     .start_epoch_s = 100, .end_epoch_s = 101 + (double)i,
					     .start_epoch_ns = 100000000000ULL,
					     .end_epoch_ns = (101 + i) * 1000000000ULL };
		sk->ops->process(sk, &r[i]);
	}
	sink__free(sk);
	fclose(f);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (size_t i = 0; i < 5; i++) {
		char pid[16];
		const char *out;

		q.command = comms[i];
		capture__open(&c);
		assert_int_equal(history__query(fd, dir, &q, c.f), 0);
		out = capture__close(&c);
		/* The header and the one process of that name. */
		snprintf(pid, sizeof(pid), " %zu ", 400 + i);
		if (lines(out) != 2 || !strstr(out, pid))
			fail_msg("--command of comm %zu: %s", i, out);
		/*
		 * Its name as run's report writes it (text__escape(): q"uote,
		 * nl\x0ax), not as JSON stores it (q\"uote, nl\nx). Bytes that
		 * are not UTF-8 were stored as U+FFFD: those are gone.
		 */
		if (i != 3) {
			struct capture want;

			capture__open(&want);
			text__escape(want.f, comms[i], strlen(comms[i]));
			if (!strstr(out, capture__close(&want)))
				fail_msg("comm %zu not written '%s' as run writes it:\n%s", i,
					 want.buf, out);
			capture__free(&want);
		}
		capture__free(&c);
	}
	/* The job by its key, quote and all: every one of its processes. */
	q.command = NULL;
	q.job = "cgroup:/we\"ird";
	capture__open(&c);
	assert_int_equal(history__query(fd, dir, &q, c.f), 0);
	assert_int_equal(lines(capture__close(&c)), 6);
	capture__free(&c);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}


/* The pids of the lines handed out, in order, as "1,3,": ground truth is the file written. */
static int pid_line(void *ctx, const char *line, size_t len)
{
	struct capture *c = ctx;
	size_t vl;
	const char *v = history__json_get(line, len, "pid", &vl);

	fprintf(c->f, "%.*s,", v ? (int)vl : 1, v ? v : "?");
	return 0;
}

/* @len bytes of @data into @dir/@name, zstd-compressed when @zst. */
static void write_file(const char *dir, const char *name, const char *data, size_t len, bool zst)
{
	char path[128];
	size_t zcap = ZSTD_compressBound(len), zlen = len;
	char *z = zst ? malloc(zcap) : NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (zst) {
		assert_non_null(z);
		zlen = ZSTD_compress(z, zcap, data, len, 1);
		assert_false(ZSTD_isError(zlen));
	}
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(zst ? z : data, 1, zlen, f), zlen);
	assert_int_equal(fclose(f), 0);
	free(z);
}

/*
 * A line past 4 MiB (hand-made, or a corrupt file: serve writes none near
 * it) is skipped and counted, and the lines after it are read: it used
 * to end its file's reading with -E2BIG, every later line lost. Plain and
 * zstd, by history__read_file and by top --replay's cursor.
 */
static void test_long_line_skipped(void **state)
{
	static const char a[] = "{\"type\":\"exit\",\"time\":100,\"pid\":1}\n";
	static const char b[] = "{\"type\":\"exit\",\"time\":101,\"pid\":3}\n"
				"{\"type\":\"exit\",\"time\":102,\"pid\":4}\n";
	static const char head[] = "{\"type\":\"exit\",\"time\":100,\"pid\":2,\"a\":\"";
	const size_t big = (5U << 20);
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", cmd[64];
	size_t len = strlen(a) + big + 1 + strlen(b);
	char *data = malloc(len);
	struct history_cursor *cur;
	struct capture c;
	const char *l;
	size_t ll;
	int fd;

	(void)state;
	assert_non_null(data);
	assert_non_null(mkdtemp(dir));
	/* pid 2's line: a 5 MiB string in it. */
	memcpy(data, a, strlen(a));
	memset(data + strlen(a), 'x', big);
	memcpy(data + strlen(a), head, strlen(head));
	memcpy(data + strlen(a) + big - 2, "\"}", 2);
	data[strlen(a) + big] = '\n';
	memcpy(data + strlen(a) + big + 1, b, strlen(b));
	write_file(dir, "history-19700101-000000.jsonl", data, len, false);
	write_file(dir, "history-19700101-000100.jsonl.zst", data, len, true);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (int zst = 0; zst < 2; zst++) {
		struct history_read_stats st = {};

		capture__open(&c);
		assert_int_equal(history__read_file(fd,
						    zst ? "history-19700101-000100.jsonl.zst" :
							  "history-19700101-000000.jsonl",
						    zst, pid_line, &c, &st),
				 0);
		assert_string_equal(capture__close(&c), "1,3,4,");
		assert_int_equal(st.lines_too_long, 1);
		assert_int_equal(st.lines_malformed, 0);
		capture__free(&c);
	}
	/* The cursor: both files, each with its long line skipped. */
	cur = history_cursor__open(fd, 0);
	assert_non_null(cur);
	capture__open(&c);
	while (history_cursor__next(cur, &l, &ll) > 0)
		pid_line(&c, l, ll);
	assert_string_equal(capture__close(&c), "1,3,4,1,3,4,");
	{
		struct history_read_stats st;

		history_cursor__stats(cur, &st);
		assert_int_equal(st.lines_too_long, 2);
	}
	history_cursor__free(cur);
	capture__free(&c);
	close(fd);
	free(data);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * One line stamped far past --until (a clock stepped forward, or a corrupt
 * stamp) among lines within it: the reading stopped there, and neither the
 * rest of its file nor the files after it were read. Every line within the
 * range is printed; the far one is not.
 */
static void test_until_past_one_line(void **state)
{
	static const char a[] =
		"{\"type\":\"exit\",\"time\":100,\"pid\":1,\"job\":\"cgroup:/k\",\"comm\":\"a\"}\n"
		"{\"type\":\"exit\",\"time\":99999999999,\"pid\":2,\"job\":\"cgroup:/k\",\"comm\":\"b\"}\n"
		"{\"type\":\"exit\",\"time\":101,\"pid\":3,\"job\":\"cgroup:/k\",\"comm\":\"c\"}\n";
	static const char b[] =
		"{\"type\":\"exit\",\"time\":130,\"pid\":4,\"job\":\"cgroup:/k\",\"comm\":\"d\"}\n";
	struct history_query q = { .json = true, .until = 200 };
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", path[96], cmd[64];
	const char *out;
	struct capture c;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/history-19700101-000000.jsonl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(a, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/history-19700101-000200.jsonl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(b, f);
	fclose(f);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	capture__open(&c);
	assert_int_equal(history__query(fd, dir, &q, c.f), 0);
	out = capture__close(&c);
	print_message("%s", out);
	assert_int_equal(lines(out), 3);
	assert_non_null(strstr(out, "\"pid\":1,"));
	assert_non_null(strstr(out, "\"pid\":3,"));
	assert_non_null(strstr(out, "\"pid\":4,"));
	assert_null(strstr(out, "\"pid\":2,"));
	capture__free(&c);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * "Why did it fail": two processes that died of SIGKILL, one the OOM
 * killer's, one a kill -9. run's report says "OOM-killed" for the first;
 * `history --processes` said "sig 9" for both.
 */
static void test_processes_oom(void **state)
{
	struct cjob job = { .id = 1, .job.key = "cgroup:/oom" };
	struct job_oom oom = { .killed = true };
	struct jt_exit_event e[2] = {
		{ .pid = 500, .ppid = 1, .start_ns = 1, .exit_ns = 2, .threads = 1,
		  .exit_status = 9, .flags = JT_F_OOM_KILLED, .comm = "hog" },
		{ .pid = 501, .ppid = 1, .start_ns = 1, .exit_ns = 2, .threads = 1,
		  .exit_status = 9, .comm = "victim" },
	};
	struct proc_record r[2] = {
		{ .e = &e[0], .job = &job, .cgroup = "/oom", .oom = &oom },
		{ .e = &e[1], .job = &job, .cgroup = "/oom" },
	};
	struct history_query q = { .processes = true, .failed = true };
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", path[96], cmd[64];
	const char *out, *hog, *victim, *said;
	struct sink *sk;
	struct capture c;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/history-19700101-000000.jsonl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	sk = sink_jsonl__new(f, 0, true, false, false, false);
	assert_non_null(sk);
	for (size_t i = 0; i < 2; i++) {
		r[i].start_epoch_s = 100;
		r[i].end_epoch_s = 101;
		r[i].start_epoch_ns = 100000000000ULL;
		r[i].end_epoch_ns = 101000000000ULL;
		sk->ops->process(sk, &r[i]);
	}
	sink__free(sk);
	fclose(f);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	capture__open(&c);
	assert_int_equal(history__query(fd, dir, &q, c.f), 0);
	out = capture__close(&c);
	print_message("%s", out);
	hog = strstr(out, " 500 hog");
	victim = strstr(out, " 501 victim");
	assert_non_null(hog);
	assert_non_null(victim);
	/* On the hog's own line. */
	said = strstr(hog, " OOM-killed ");
	assert_true(said && said < strchr(hog, '\n'));
	assert_non_null(strstr(victim, " sig 9 "));
	assert_null(strstr(victim, "OOM"));
	capture__free(&c);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * `history --processes` prints each process's CPU from its short line as
 * from its whole one. A short line leaves cpu.total_ns out where it is
 * user_s + system_s (always, from the BPF source) and never has total_s:
 * read from those keys alone, every such process showed 0.000 s.
 */
static void test_processes_cpu(void **state)
{
	struct cjob job = { .id = 1, .job.key = "cgroup:/burn" };
	__u64 boot = 1796428800000000000ULL;
	struct jt_exit_event e[2] = {
		/* The sum: the short line says user_s and system_s only. */
		{ .pid = 400, .ppid = 1, .start_ns = 5, .exit_ns = 86400000000000ULL, .cgroup_id = 79,
		  .threads = 1,
		  .user_ns = 1000000000, .system_ns = 250000000, .acct = { .cpu_ns = 1250000000 },
		  .comm = "burner" },
		/* Not the sum (a proc source's split): total_ns kept. */
		{ .pid = 401, .ppid = 1, .start_ns = 5, .exit_ns = 86401000000000ULL, .cgroup_id = 79,
		  .threads = 1,
		  .user_ns = 500000000, .system_ns = 250000000, .acct = { .cpu_ns = 875000000 },
		  .comm = "other" },
	};
	struct proc_record r[2] = { { .cgroup = "/burn" }, { .cgroup = "/burn" } };
	struct history_opts ho = { .now = fixed_now };
	struct history_query q = { .processes = true };
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", path[96], cmd[64];
	struct history_file *files;
	struct capture whole, c;
	const char *out;
	struct sink *s;
	int fd, n = 0;
	FILE *f;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		r[i].e = &e[i];
		r[i].job = &job;
		r[i].start_epoch_ns = e[i].start_ns + boot;
		r[i].end_epoch_ns = e[i].exit_ns + boot;
		r[i].start_epoch_s = (double)r[i].start_epoch_ns / 1e9;
		r[i].end_epoch_s = (double)r[i].end_epoch_ns / 1e9;
	}
	for (int shortl = 1; shortl >= 0; shortl--) {
		assert_non_null(mkdtemp(strcpy(dir, "/tmp/jobtrace-test-history.XXXXXX")));
		if (shortl) {
			ho.dir = dir;
			s = sink_history__new(&ho);
			assert_non_null(s);
			for (size_t i = 0; i < 2; i++)
				s->ops->process(s, &r[i]);
			s->ops->flush(s);
			sink__free(s);
			/* Both short, as serve writes a BPF source's. */
			fd = open(dir, O_RDONLY | O_DIRECTORY);
			assert_true(fd >= 0);
			assert_int_equal(history__list(fd, &files), 1);
			assert_int_equal(history__read_file(fd, files[0].name, true, count_short,
							    &n, NULL),
					 0);
			free(files);
			close(fd);
			assert_int_equal(n, 2);
		} else {
			capture__open(&whole);
			whole_lines(&whole, r, 2);
			snprintf(path, sizeof(path), "%s/history-19700101-000000.jsonl", dir);
			f = fopen(path, "w");
			assert_non_null(f);
			fputs(capture__close(&whole), f);
			fclose(f);
			capture__free(&whole);
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY);
		assert_true(fd >= 0);
		capture__open(&c);
		assert_int_equal(history__query(fd, dir, &q, c.f), 0);
		close(fd);
		out = capture__close(&c);
		print_message("%s lines:\n%s", shortl ? "short" : "whole", out);
		assert_non_null(strstr(out, "     1.250 "));
		assert_non_null(strstr(out, "     0.875 "));
		capture__free(&c);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

/* Each line of a history file, fed to history_records and its sink. */
struct refeed {
	struct history_records *hr;
	struct sink *s;
};

static int refeed_line(void *ctx, const char *line, size_t len)
{
	struct refeed *f = ctx;

	return history_records__feed(f->hr, line, len, f->s) < 0 ? -1 : 0;
}

/*
 * A short interval line leaves cpu.rate_pct out (total_ns over interval_s),
 * but where the interval's cpu_cap bounded it (a busy thread read a tick
 * late: 28 ms of CPU in 20 ms, one task) it keeps it: what top --replay
 * reads back is the line -o wrote, its rate 100, not 140; an interval the
 * cap did not bound reads back its rate derived.
 */
static void test_short_interval_rate_bound(void **state)
{
	struct cjob job = { .id = 1, .job.key = "run" };
	__u64 t0 = 1796515100000000000ULL;
	struct interval_record r[2] = {
		{ .job = &job, .t0_ns = t0, .t1_ns = t0 + 20000000, .t0_epoch_ns = t0,
		  .t1_epoch_ns = t0 + 20000000, .d = { .cpu_ns = 28000000, .user_ns = 28000000 },
		  .alive = 1, .cpu_cap = 1 },
		{ .job = &job, .t0_ns = t0 + 20000000, .t1_ns = t0 + 40000000,
		  .t0_epoch_ns = t0 + 20000000, .t1_epoch_ns = t0 + 40000000,
		  .d = { .cpu_ns = 12000000, .user_ns = 12000000 }, .alive = 1, .cpu_cap = 1 },
	};
	struct history_opts ho = { .now = fixed_now };
	struct capture whole, read;
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", cmd[64];
	struct history_file *files;
	struct refeed f;
	struct sink *s;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	ho.dir = dir;
	capture__open(&whole);
	s = sink_jsonl__new(whole.f, 0, false, true, false, false);
	assert_non_null(s);
	for (size_t i = 0; i < 2; i++)
		s->ops->interval(s, &r[i]);
	sink__free(s);
	s = sink_history__new(&ho);
	assert_non_null(s);
	for (size_t i = 0; i < 2; i++)
		s->ops->interval(s, &r[i]);
	s->ops->flush(s);
	sink__free(s);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(history__list(fd, &files), 1);
	capture__open(&read);
	f.hr = history_records__new();
	f.s = sink_jsonl__new(read.f, 0, false, true, false, false);
	assert_non_null(f.hr);
	assert_non_null(f.s);
	assert_int_equal(history__read_file(fd, files[0].name, true, refeed_line, &f, NULL), 0);
	sink__free(f.s);
	history_records__free(f.hr);
	free(files);
	close(fd);
	capture__close(&whole);
	assert_non_null(strstr(whole.buf, "\"rate_pct\":100}"));
	assert_non_null(strstr(whole.buf, "\"rate_pct\":60}"));
	assert_string_equal(capture__close(&read), whole.buf);
	capture__free(&read);
	capture__free(&whole);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static int append_line(void *ctx, const char *line, size_t len)
{
	fwrite(line, 1, len, ((struct capture *)ctx)->f);
	fputc('\n', ((struct capture *)ctx)->f);
	return 0;
}

/* `zstd -dc` reads @dir/@name as @lines, what our reader read (where zstd is installed). */
static void assert_zstd_reads(const char *dir, const char *name, const char *lines)
{
	struct capture dc;
	char cmd[160];
	FILE *p;
	int c;

	if (system("command -v zstd >/dev/null") != 0)
		return;
	snprintf(cmd, sizeof(cmd), "zstd -dcq %s/%s 2>/dev/null", dir, name);
	capture__open(&dc);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((c = fgetc(p)) != EOF)
		fputc(c, dc.f);
	assert_int_equal(pclose(p), 0);
	assert_string_equal(capture__close(&dc), lines);
	capture__free(&dc);
}

/*
 * The text a job's processes share in their short exit lines is kept as
 * written (history_short.c) and copied into the next line with the same
 * cgroup id and parent: what reads back must still be each record's own,
 * when the job's key or the cgroup changed under the same pointers (a job
 * freed and another made where it was), the boot clock's epoch moved, or
 * a job with the same ids and another key comes between. Comms of every
 * length, and with a byte to escape. And `zstd -dc` reads the file as the
 * reader does, line for line.
 */
static void test_short_shared(void **state)
{
	static const char args[] = "/usr/bin/cc\0-c\0a.c", args_q[] = "/usr/bin/c\"c\0-c";
	char key[64] = "cgroup:/build.slice/b1", cgroup[64] = "/build.slice/b1";
	struct cjob job = { .id = 1, .job.key = key }, job2 = { .id = 2, .job.key = "unit:b2.service" };
	__u64 boot = 1796428800123456789ULL;
	struct jt_exit_event e[14];
	struct proc_record r[14];
	struct history_opts ho = { .now = fixed_now };
	struct history_query q = { .json = true };
	struct capture whole, read, raw;
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", cmd[64];
	struct history_file *files;
	struct sink *s;
	int fd, n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	ho.dir = dir;
	for (size_t i = 0; i < 14; i++) {
		e[i] = (struct jt_exit_event){
			.pid = 400 + (__u32)i, .ppid = 20, .start_ns = 86399000000001ULL,
			.exit_ns = 86400000000000ULL + i * 1000000000ULL,
			.parent_start_ns = 86000000000000ULL, .cgroup_id = 77, .threads = 1,
			.user_ns = 3, .system_ns = 4, .acct = { .cpu_ns = 7 }, .flags = JT_F_EXECED,
			.comm = "cc",
		};
		r[i] = (struct proc_record){ .e = &e[i], .job = &job, .args = args,
					     .args_len = sizeof(args), .exe = "/usr/bin/cc",
					     .cgroup = cgroup };
		r[i].start_epoch_ns = e[i].start_ns + boot;
		r[i].end_epoch_ns = e[i].exit_ns + boot;
		r[i].start_epoch_s = (double)r[i].start_epoch_ns / 1e9;
		r[i].end_epoch_s = (double)r[i].end_epoch_ns / 1e9;
	}
	/* r[3]: another job, the same ids; r[8] on: a new boot epoch; r[9]: its parent's start;
	 * r[10]: another cgroup as long. */
	r[3].job = &job2;
	r[3].cgroup = "/system.slice/b2.service";
	for (size_t i = 8; i < 11; i++) {
		r[i].end_epoch_ns += 5;
		r[i].end_epoch_s = (double)r[i].end_epoch_ns / 1e9;
	}
	e[9].parent_start_ns++;
	e[10].parent_start_ns++;
	/*
	 * Comms of 15 and 16 bytes (no NUL), short; r[11]: a comm with a
	 * quote, r[12]: an exe that is args[0] with one, r[13]: an exe of
	 * its own with one, all whole.
	 */
	memcpy(e[1].comm, "0123456789abcde", 16);
	memcpy(e[2].comm, "0123456789abcdef", 16);
	memcpy(e[11].comm, "c\"c", 4);
	r[12].args = args_q;
	r[12].args_len = sizeof(args_q);
	r[12].exe = "/usr/bin/c\"c";
	r[13].exe = "/usr/bin/c\"d";
	capture__open(&whole);
	s = sink_history__new(&ho);
	assert_non_null(s);
	for (size_t i = 0; i < 14; i++) {
		/* r[5], r[6]: jobs with other keys where the first was; r[7] on: a cgroup below. */
		if (i == 5)
			strcpy(key, "cgroup:/build.slice/b9");
		if (i == 6)
			strcpy(key, "cgroup:/build.slice/b99");
		if (i == 7)
			strcpy(cgroup, "/build.slice/b1/sub");
		if (i == 10)
			strcpy(cgroup, "/build.slice/b1/sux");
		whole_lines(&whole, &r[i], 1);
		s->ops->process(s, &r[i]);
	}
	s->ops->flush(s);
	sink__free(s);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(history__list(fd, &files), 1);
	assert_int_equal(history__read_file(fd, files[0].name, true, count_short, &n, NULL), 0);
	assert_int_equal(n, 11);
	capture__open(&raw);
	assert_int_equal(history__read_file(fd, files[0].name, true, append_line, &raw, NULL), 0);
	capture__close(&raw);
	capture__open(&read);
	assert_int_equal(history__query(fd, dir, &q, read.f), 0);
	close(fd);
	capture__close(&whole);
	assert_string_equal(capture__close(&read), whole.buf);
	/* The file as a standard tool reads it: the same lines. */
	assert_zstd_reads(dir, files[0].name, raw.buf);
	free(files);
	capture__free(&raw);
	capture__free(&read);
	capture__free(&whole);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * A file is zstd frames one after another: the writer ends one past
 * 3 MiB of lines at a pass's end, and mid-pass when a pass finds no room
 * in its 4 MiB (zstd reads what it took where it is until its frame
 * ends). Passes of 2.5 MB: the second ends a frame mid-pass. Every line
 * reads back, in order, by our reader and by `zstd -dc`.
 */
static void test_frames(void **state)
{
	static const char args[] = "/usr/lib/gcc/x86_64-linux-gnu/12/cc1\0-quiet\0-Iinclude\0"
				   "src/mod1/file135.c\0-O2\0-o\0/tmp/cc617557.s";
	struct cjob job = { .id = 1, .job.key = "cgroup:/build.slice/b1" };
	struct history_opts ho = { .now = fixed_now };
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", cmd[64], *z;
	struct history_file *files;
	struct capture raw;
	struct stat st;
	struct sink *s;
	int fd, zfd, n = 0;
	size_t frame;

	(void)state;
	assert_non_null(mkdtemp(dir));
	ho.dir = dir;
	s = sink_history__new(&ho);
	assert_non_null(s);
	for (__u32 i = 0; i < 24000; i++) {
		struct jt_exit_event e = {
			.pid = 1000 + i, .ppid = 20, .start_ns = 86399000000001ULL,
			.exit_ns = 86400000000000ULL + i * 1000ULL,
			.parent_start_ns = 86000000000000ULL, .cgroup_id = 77, .threads = 1,
			.user_ns = 3 + i, .system_ns = 4,
			.acct = { .cpu_ns = 7 + i, .read_chars = 1000ULL * i },
			.flags = JT_F_EXECED, .peak_rss_bytes = 4096ULL * i, .comm = "cc1",
		};
		struct proc_record r = { .e = &e, .job = &job, .args = args,
					 .args_len = sizeof(args), .exe = "/usr/bin/cc",
					 .cgroup = "/build.slice/b1" };

		r.end_epoch_ns = e.exit_ns + 1796428800123456789ULL;
		r.start_epoch_ns = r.end_epoch_ns - (e.exit_ns - e.start_ns);
		r.start_epoch_s = (double)r.start_epoch_ns / 1e9;
		r.end_epoch_s = (double)r.end_epoch_ns / 1e9;
		s->ops->process(s, &r);
		if (i % 5000 == 4999)
			s->ops->flush(s);
	}
	sink__free(s);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(history__list(fd, &files), 1);
	assert_int_equal(history__read_file(fd, files[0].name, true, count_short, &n, NULL), 0);
	assert_int_equal(n, 24000);
	/* More than one frame, the first whole. */
	zfd = openat(fd, files[0].name, O_RDONLY);
	assert_true(zfd >= 0 && !fstat(zfd, &st));
	z = malloc((size_t)st.st_size);
	assert_non_null(z);
	assert_int_equal(read(zfd, z, (size_t)st.st_size), st.st_size);
	frame = ZSTD_findFrameCompressedSize(z, (size_t)st.st_size);
	assert_false(ZSTD_isError(frame));
	assert_true(frame < (size_t)st.st_size);
	free(z);
	close(zfd);
	capture__open(&raw);
	assert_int_equal(history__read_file(fd, files[0].name, true, append_line, &raw, NULL), 0);
	capture__close(&raw);
	close(fd);
	/*
	 * In order: the pids one after another. memmem() with what is left,
	 * not strstr(): under ASan each strstr() measures the whole 12 MB
	 * rest again, and the loop took 70 s.
	 */
	n = 0;
	for (const char *p = raw.buf, *q; (q = memmem(p, raw.len - (size_t)(p - raw.buf), "\"pid\":", 6));
	     p = q + 1)
		assert_int_equal(atoi(q + 6), 1000 + n++);
	assert_int_equal(n, 24000);
	assert_zstd_reads(dir, files[0].name, raw.buf);
	free(files);
	capture__free(&raw);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * Whole lines (no uid: not the short form) built through stdio in chunks:
 * a line of 12 KiB of escaped arguments reaches the writer's buffer in
 * pieces, and a frame that ends for want of room ends inside a record,
 * its start in one frame and its rest in the next. Every record still
 * reads back whole and in order, by our reader and by `zstd -dc`; the
 * first frame's lines end mid-line, which this test checks it made.
 */
static void test_frame_ends_inside_a_record(void **state)
{
	struct cjob job = { .id = 1, .job.key = "cgroup:/build.slice/b1" };
	struct history_opts ho = { .now = fixed_now };
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", cmd[64], *z, *first;
	static char args[4096];
	const __u32 total = 1500;
	struct history_file *files;
	struct capture raw;
	struct stat st;
	struct sink *s;
	size_t frame, got;
	__u32 n = 0;
	int fd, zfd, frames = 0, cut = 0;

	(void)state;
	/*
	 * 22 MB of lines: 11 s more of the valgrind pass, for a path of
	 * buffers and lengths that the ASan run (make test's unit phase) and
	 * the plain binary check.
	 */
	if (getenv("JT_UNDER_VALGRIND"))
		skip();
	/* Bytes JSON escapes six to one ("\u0001"), in words of 8. */
	for (size_t i = 0; i < sizeof(args); i++)
		args[i] = i % 8 == 7 ? '\0' : (char)(1 + i % 5);
	assert_non_null(mkdtemp(dir));
	ho.dir = dir;
	s = sink_history__new(&ho);
	assert_non_null(s);
	for (__u32 i = 0; i < total; i++) {
		struct jt_exit_event e = {
			.pid = 1000 + i, .ppid = 20, .start_ns = 86399000000001ULL,
			.exit_ns = 86400000000000ULL + i * 1000ULL,
			.parent_start_ns = 86000000000000ULL, .cgroup_id = 77, .threads = 1,
			.user_ns = 3 + i, .system_ns = 4, .acct = { .cpu_ns = 7 + i },
			.flags = JT_F_EXECED, .comm = "cc1", .uid = JT_ID_UNKNOWN,
		};
		/* Lines of 6 to 24 KiB: where the buffer fills moves from frame to frame. */
		struct proc_record r = { .e = &e, .job = &job, .args = args,
					 .args_len = 1024 + (i * 2654435761U >> 7) % 3072,
					 .exe = "/usr/bin/cc", .cgroup = "/build.slice/b1" };

		r.end_epoch_ns = e.exit_ns + 1796428800123456789ULL;
		r.start_epoch_ns = r.end_epoch_ns - (e.exit_ns - e.start_ns);
		r.start_epoch_s = (double)r.start_epoch_ns / 1e9;
		r.end_epoch_s = (double)r.end_epoch_ns / 1e9;
		s->ops->process(s, &r);
		if (i % 100 == 99)
			s->ops->flush(s);
	}
	sink__free(s);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(history__list(fd, &files), 1);
	/* The frames: some end inside a record. */
	zfd = openat(fd, files[0].name, O_RDONLY);
	assert_true(zfd >= 0 && !fstat(zfd, &st));
	z = malloc((size_t)st.st_size);
	first = malloc(8U << 20);
	assert_non_null(z);
	assert_non_null(first);
	assert_int_equal(read(zfd, z, (size_t)st.st_size), st.st_size);
	for (size_t at = 0; at < (size_t)st.st_size; at += frame) {
		frame = ZSTD_findFrameCompressedSize(z + at, (size_t)st.st_size - at);
		assert_false(ZSTD_isError(frame));
		got = ZSTD_decompress(first, 8U << 20, z + at, frame);
		assert_false(ZSTD_isError(got));
		frames++;
		cut += got && first[got - 1] != '\n';
	}
	print_message("%d frames, %d of them ending inside a record\n", frames, cut);
	assert_true(cut > 0);
	free(first);
	free(z);
	close(zfd);
	capture__open(&raw);
	assert_int_equal(history__read_file(fd, files[0].name, true, append_line, &raw, NULL), 0);
	capture__close(&raw);
	close(fd);
	for (const char *p = raw.buf, *q; (q = memmem(p, raw.len - (size_t)(p - raw.buf),
						     "\"pid\":", 6));
	     p = q + 1)
		assert_int_equal(atoi(q + 6), 1000 + n++);
	assert_int_equal(n, total);
	assert_int_equal(lines(raw.buf), total);
	assert_zstd_reads(dir, files[0].name, raw.buf);
	free(files);
	capture__free(&raw);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Lines as serve writes them, and lines that are not: each with what the reader must say. */
static void test_line_valid(void **state)
{
	static const struct {
		const char *line;
		bool valid;
		double time;
	} cases[] = {
		{ "{\"type\":\"exit\",\"time\":1000.5,\"pid\":10,\"comm\":\"a \\\"b\\u00e9\","
		  "\"cpu\":{\"total_s\":0.5},\"args\":[\"x\",\"\"],\"oom\":null,\"moved\":false}",
		  true, 1000.5 },
		{ "{\"type\":\"job\",\"time\":-2e3,\"job\":{\"key\":\"k\",\"top\":[{},[]]}}", true,
		  -2000 },
		{ "{\"time\":0}", true, 0 },
		/* Numbers of 64 characters or more: JSON's, finite, read whole (were refused). */
		{ "{\"type\":\"exit\",\"time\":1000.50000000000000000000000000000000000000000000"
		  "000000000000000000000000}", true, 1000.5 },
		{ "{\"type\":\"exit\",\"time\":1,\"pid\":1.0000000000000000000000000000000000000"
		  "00000000000000000000000000000e1}", true, 1 },
		{ "{\"type\":\"exit\",\"time\":1,\"pid\":1.0000000000000000000000000000000000000"
		  "00000000000000000000000000000e999}", false, 0 },
		/* Cut in a number: nothing read past the line (ASan's word). */
		{ "{\"type\":\"exit\",\"time\":1000.50000000000000000000000000000000000000000000"
		  "0000000000000000000000", false, 0 },
		/* A key that is not a string: read as it was, the keys after it were lost. */
		{ "{\"type\":\"exit\",1:2,\"time\":1}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1,\"cpu\":{total_s:1}}", false, 0 },
		/* Numbers a double does not hold: printed as inf. */
		{ "{\"type\":\"exit\",\"time\":1e999}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1,\"pid\":-1e400}", false, 0 },
		/* No "time", or one that is not a number. */
		{ "{\"type\":\"exit\",\"pid\":1}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":\"1\"}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":null}", false, 0 },
		/* Cut, spliced, or not JSON. */
		{ "{\"type\":\"exit\",\"time\":1,\"comm\":\"a", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1}}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1}{\"time\":2}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1,}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":01}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1.}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1,\"x\":tru}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1,\"x\":\"\\q\"}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1,\"x\":\"\\u12g4\"}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1,\"x\":[1,]}", false, 0 },
		/*
		 * Bytes that are not UTF-8 in a string (a file made or damaged by
		 * hand): no JSON reader takes the line, which history --json
		 * printed whole. UTF-8 of 2, 3 and 4 bytes is a string's.
		 */
		{ "{\"type\":\"exit\",\"time\":1,\"comm\":\"\xff\xfe\x7fq\"}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1,\"key\":\"cgroup:/\xc0\xaf\"}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1,\"args\":[\"abcdefgh\xe9\"]}", false, 0 },
		{ "{\"type\":\"exit\",\"time\":1,\"comm\":\"caf\xc3\xa9 \xe2\x82\xac "
		  "\xf0\x9f\x98\x80 and more\"}",
		  true, 1 },
		/* Spaces between tokens: valid JSON, not serve's; its readers take no spaces. */
		{ "{\"type\": \"exit\",\"time\":1}", false, 0 },
		{ "[\"time\",1]", false, 0 },
		{ "", false, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double t = -1;
		bool ok = history__line_valid(cases[i].line, strlen(cases[i].line), &t);

		if (ok != cases[i].valid)
			fail_msg("%s: %s, not %s", cases[i].line, ok ? "valid" : "malformed",
				 cases[i].valid ? "valid" : "malformed");
		if (ok)
			assert_true(t == cases[i].time);
	}
	/* A control byte inside a string, and nesting past any of serve's. */
	assert_false(history__line_valid("{\"time\":1,\"x\":\"a\nb\"}", 16, &(double){ 0 }));
	{
		char deep[200] = "{\"time\":1,\"x\":";
		size_t n = strlen(deep);

		for (int i = 0; i < 40; i++)
			deep[n++] = '[';
		for (int i = 0; i < 40; i++)
			deep[n++] = ']';
		deep[n++] = '}';
		assert_false(history__line_valid(deep, n, &(double){ 0 }));
	}
}

/*
 * Hand-made lines that are not serve's (a key not a string, "time":1e999)
 * printed as junk: "inf" for a time, a process of pid 0 at 1970 with no
 * command, and --json made whole lines of zeros out of them. They are
 * skipped, counted per file (and said), in history and top --replay's
 * cursor; the good lines around them print as they would alone.
 */
static void test_malformed_skipped(void **state)
{
	static const char good[] =
		"{\"type\":\"exit\",\"time\":100,\"job\":\"cgroup:/k\",\"pid\":1,\"comm\":\"a\"}\n"
		"{\"type\":\"exit\",\"time\":101,\"job\":\"cgroup:/k\",\"pid\":3,\"comm\":\"c\"}\n"
		"{\"type\":\"job\",\"time\":102,\"job\":{\"key\":\"cgroup:/k\",\"wall_s\":2},"
		"\"processes\":{\"started\":2}}\n";
	static const char bad[] =
		"{\"type\":\"exit\",\"time\":100,\"job\":\"cgroup:/k\",\"pid\":1,\"comm\":\"a\"}\n"
		"{\"type\":\"exit\",1:2,\"time\":100.5,\"job\":\"cgroup:/k\",\"pid\":7,"
		"\"comm\":\"x\"}\n"
		"{\"type\":\"exit\",\"time\":1e999,\"job\":\"cgroup:/k\",\"pid\":8,"
		"\"comm\":\"y\"}\n"
		"{\"type\":\"exit\",\"time\":101,\"job\":\"cgroup:/k\",\"pid\":3,\"comm\":\"c\"}\n"
		"{\"type\":\"job\",\"time\":1e999,\"job\":{\"key\":\"cgroup:/k\",\"wall_s\":2}}\n"
		"{\"type\":\"job\",\"time\":102,\"job\":{\"key\":\"cgroup:/k\",\"wall_s\":2},"
		"\"processes\":{\"started\":2}}\n";
	static const struct history_query queries[] = {
		{ .processes = true }, { .json = true }, {}, { .json = true, .command = "c" },
	};
	char gdir[] = "/tmp/jobtrace-test-history.XXXXXX";
	char bdir[] = "/tmp/jobtrace-test-history.XXXXXX";
	char cmd[96];
	struct history_read_stats st;
	struct history_cursor *cur;
	const char *l;
	size_t ll;
	int gfd, bfd, n = 0;

	(void)state;
	assert_non_null(mkdtemp(gdir));
	assert_non_null(mkdtemp(bdir));
	write_file(gdir, "history-19700101-000000.jsonl", good, strlen(good), false);
	write_file(bdir, "history-19700101-000000.jsonl", bad, strlen(bad), false);
	gfd = open(gdir, O_RDONLY | O_DIRECTORY);
	bfd = open(bdir, O_RDONLY | O_DIRECTORY);
	assert_true(gfd >= 0 && bfd >= 0);
	/* Ground truth: the same query over the good lines alone. */
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		struct capture g, b;

		capture__open(&g);
		capture__open(&b);
		assert_int_equal(history__query(gfd, gdir, &queries[i], g.f), 0);
		assert_int_equal(history__query(bfd, bdir, &queries[i], b.f), 0);
		capture__close(&g);
		capture__close(&b);
		assert_true(lines(g.buf) >= 2);
		assert_string_equal(b.buf, g.buf);
		assert_null(strstr(b.buf, "inf"));
		capture__free(&g);
		capture__free(&b);
	}
	cur = history_cursor__open(bfd, 0);
	assert_non_null(cur);
	while (history_cursor__next(cur, &l, &ll) > 0)
		n++;
	history_cursor__stats(cur, &st);
	assert_int_equal(n, 3);
	assert_int_equal(st.lines_malformed, 3);
	assert_int_equal(st.lines_too_long, 0);
	history_cursor__free(cur);
	close(gfd);
	close(bfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", gdir, bdir);
	assert_int_equal(system(cmd), 0);
}

/* `jobtrace history ARGS...`: its exit status, what it printed in @out (to free). */
static int history_cmd(char **argv, int argc, struct capture *out)
{
	FILE *saved_out = stdout, *saved_err = stderr;
	struct capture err;
	int status;

	capture__open(out);
	capture__open(&err);
	stdout = out->f;
	stderr = err.f;
	status = history__main(argc, argv);
	stdout = saved_out;
	stderr = saved_err;
	capture__close(out);
	capture__close(&err);
	capture__free(&err);
	return status;
}

/*
 * --help said --until defaulted to now, but no upper bound was applied:
 * the doc now says what is done, no end, and the line stamped a day past
 * now (a clock that was ahead) is listed without --until, left out with
 * --until now.
 */
static void test_until_default(void **state)
{
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", name[64], data[512], cmd[64];
	char *help[] = { "history", "--help" };
	char *all[] = { "history", "--processes", dir };
	char *until_now[] = { "history", "--processes", "--until", "now", dir };
	time_t now = time(NULL);
	struct capture out;
	const char *l;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(history__file_name(now - 120, name, sizeof(name)), 0);
	snprintf(data, sizeof(data),
		 "{\"type\":\"exit\",\"time\":%lld,\"job\":\"cgroup:/k\",\"pid\":101,"
		 "\"comm\":\"past\"}\n"
		 "{\"type\":\"exit\",\"time\":%lld,\"job\":\"cgroup:/k\",\"pid\":102,"
		 "\"comm\":\"ahead\"}\n",
		 (long long)now - 60, (long long)now + 86400);
	write_file(dir, name, data, strlen(data), false);
	assert_int_equal(history_cmd(help, 2, &out), 0);
	l = strstr(out.buf, "--until TIME");
	assert_non_null(l);
	assert_null(strstr(l, "default: now"));
	assert_non_null(strstr(l, "default: no end"));
	capture__free(&out);
	assert_int_equal(history_cmd(all, 3, &out), 0);
	assert_non_null(strstr(out.buf, " 101 past "));
	assert_non_null(strstr(out.buf, " 102 ahead "));
	capture__free(&out);
	assert_int_equal(history_cmd(until_now, 5, &out), 0);
	assert_non_null(strstr(out.buf, " 101 past "));
	assert_null(strstr(out.buf, " 102 "));
	capture__free(&out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * A record that cannot be built for lack of memory is that record lost,
 * counted: the writer's flush threw away every line of the pass with it
 * (10,000 exits here, counted as dropped). A pass of 10,000 exits grows
 * the writer's 4 MiB buffer; that realloc() fails once, for the record
 * that needed it. The other 9,999 are in the file, in order, and one is
 * counted dropped; for short lines, and for whole ones (built through
 * stdio into the same buffer).
 */
static void no_memory_one_record(bool whole)
{
	static const char args[] = "/usr/lib/gcc/x86_64-linux-gnu/12/cc1\0-quiet\0-Iinclude\0"
				   "src/mod1/file135.c\0-O2\0-o\0/tmp/cc617557.s";
	struct cjob job = { .id = 1, .job.key = "cgroup:/build.slice/b1" };
	struct history_opts ho = { .now = fixed_now };
	char dir[] = "/tmp/jobtrace-test-history.XXXXXX", cmd[64];
	const __u32 total = 10000;
	struct history_stats hs;
	struct history_file *files;
	struct capture raw;
	struct sink *s;
	__u32 lost = 0, n = 0;
	int fd;

	assert_non_null(mkdtemp(dir));
	ho.dir = dir;
	s = sink_history__new(&ho);
	assert_non_null(s);
	realloc_fail_above = 4U << 20;
	for (__u32 i = 0; i < total; i++) {
		struct jt_exit_event e = {
			.pid = 1000 + i, .ppid = 20, .start_ns = 86399000000001ULL,
			.exit_ns = 86400000000000ULL + i * 1000ULL,
			.parent_start_ns = 86000000000000ULL, .cgroup_id = 77, .threads = 1,
			.user_ns = 3 + i, .system_ns = 4,
			.acct = { .cpu_ns = 7 + i, .read_chars = 1000ULL * i },
			.flags = JT_F_EXECED, .peak_rss_bytes = 4096ULL * i, .comm = "cc1",
			/* No uid: a line the short form cannot say, written whole through stdio. */
			.uid = whole ? JT_ID_UNKNOWN : 0,
		};
		struct proc_record r = { .e = &e, .job = &job, .args = args,
					 .args_len = sizeof(args), .exe = "/usr/bin/cc",
					 .cgroup = "/build.slice/b1" };

		r.end_epoch_ns = e.exit_ns + 1796428800123456789ULL;
		r.start_epoch_ns = r.end_epoch_ns - (e.exit_ns - e.start_ns);
		r.start_epoch_s = (double)r.start_epoch_ns / 1e9;
		r.end_epoch_s = (double)r.end_epoch_ns / 1e9;
		s->ops->process(s, &r);
		/* The one whose build failed: the buffer grew for the next. */
		if (!lost && !realloc_fail_above)
			lost = 1000 + i;
	}
	realloc_fail_above = 0;
	s->ops->flush(s);
	sink_history__stats(s, &hs);
	sink__free(s);
	assert_true(lost > 1000);
	assert_int_equal(hs.records_dropped, 1);
	assert_false(hs.stopped);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(history__list(fd, &files), 1);
	capture__open(&raw);
	assert_int_equal(history__read_file(fd, files[0].name, true, append_line, &raw, NULL), 0);
	capture__close(&raw);
	close(fd);
	/* Every pid but the lost one, in order, each a line of its own. */
	for (const char *p = raw.buf, *q; (q = memmem(p, raw.len - (size_t)(p - raw.buf),
						     "\"pid\":", 6));
	     p = q + 1) {
		if (1000 + n == lost)
			n++;
		assert_int_equal(atoi(q + 6), 1000 + n++);
	}
	assert_int_equal(n, total);
	assert_int_equal(lines(raw.buf), total - 1);
	/* Short lines have the boot clock's epoch; whole ones do not. */
	assert_true(whole == !memmem(raw.buf, raw.len, "\"boot_epoch_ns\"", 15));
	free(files);
	capture__free(&raw);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_no_memory_one_record(void **state)
{
	(void)state;
	/*
	 * valgrind puts its own realloc() in place of every other, this
	 * file's too: no record fails there. The ASan run (make test's
	 * unit phase) and the plain binary run it.
	 */
	if (getenv("JT_UNDER_VALGRIND"))
		skip();
	no_memory_one_record(false);
	no_memory_one_record(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),   cmocka_unit_test(test_to_drop),
		cmocka_unit_test(test_json_get), cmocka_unit_test(test_list),
		cmocka_unit_test(test_read),     cmocka_unit_test(test_query),
		cmocka_unit_test(test_query_one_pass),
		cmocka_unit_test(test_records),  cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_json_top), cmocka_unit_test(test_short_round_trip),
		cmocka_unit_test(test_short_shared), cmocka_unit_test(test_frames),
		cmocka_unit_test(test_frame_ends_inside_a_record),
		cmocka_unit_test(test_short_interval_rate_bound),
		cmocka_unit_test(test_processes_cpu),
		cmocka_unit_test(test_query_names_escaped),
		cmocka_unit_test(test_processes_oom),
		cmocka_unit_test(test_until_past_one_line),
		cmocka_unit_test(test_long_line_skipped),
		cmocka_unit_test(test_line_valid),
		cmocka_unit_test(test_malformed_skipped),
		cmocka_unit_test(test_until_default),
		cmocka_unit_test(test_no_memory_one_record),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
