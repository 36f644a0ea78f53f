// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* History files: names, retention's choice, the reader over plain and zstd fixtures. */
#include "testutil.h"

#include <fcntl.h>
#include <unistd.h>

#include "jobtrace/history.h"

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
					    count_line, &n), 0);
	assert_int_equal(n, 3);
	n = 0;
	/* A last line a crash cut: not a record. */
	assert_int_equal(history__read_file(fd, "history-19700101-005000.jsonl", false,
					    count_line, &n), 0);
	assert_int_equal(n, 1);
	/* A plain file read as zstd is not one. */
	assert_int_equal(history__read_file(fd, "history-19700101-005000.jsonl", true,
					    count_line, &n), -EBADMSG);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),   cmocka_unit_test(test_to_drop),
		cmocka_unit_test(test_json_get), cmocka_unit_test(test_list),
		cmocka_unit_test(test_read),     cmocka_unit_test(test_query),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
