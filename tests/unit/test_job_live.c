// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* CPU rate from two samples, and the in-process work-directory walk. */
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "jobtrace/job_live.h"

static void test_cpu_rate(void **state)
{
	struct job_live a = { .sampled_ns = 1000000000ULL, .cpu_ns = 500000000ULL,
			      .exited_cpu_ns = 100000000ULL };
	struct job_live b = { .sampled_ns = 1500000000ULL, .cpu_ns = 600000000ULL,
			      .exited_cpu_ns = 400000000ULL };
	struct job_live none = {};

	/* 0.4 s of CPU in 0.5 s: 80% of one CPU, exited and live together. */
	assert_true(fabs(job_live__cpu_rate(&a, &b) - 80.0) < 1e-9);
	/* A member that exits moves its CPU from live to exited: no dip below 0. */
	b.cpu_ns = 0;
	b.exited_cpu_ns = 500000000ULL;
	assert_true(job_live__cpu_rate(&a, &b) == 0.0);
	/* Without a first sample, or with time standing still, the rate is unknown. */
	assert_true(job_live__cpu_rate(&none, &b) < 0);
	assert_true(job_live__cpu_rate(&b, &b) < 0);
}

static void write_file(const char *path, size_t size)
{
	char buf[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	while (size) {
		size_t n = size < sizeof(buf) ? size : sizeof(buf);

		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		size -= n;
	}
	close(fd);
}

static void test_workdir_walk(void **state)
{
	char dir[] = "/tmp/jobtrace-wd-XXXXXX", path[256], target[256];
	struct workdir_usage u;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a", dir);
	write_file(path, 100000);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/b", dir);
	write_file(path, 5000);
	/* A hard link counts once; a symlink is not followed. */
	snprintf(target, sizeof(target), "%s/a", dir);
	snprintf(path, sizeof(path), "%s/sub/a-again", dir);
	assert_int_equal(link(target, path), 0);
	snprintf(path, sizeof(path), "%s/to-etc", dir);
	assert_int_equal(symlink("/etc", path), 0);

	assert_int_equal(workdir__usage(dir, &u), 0);
	assert_int_equal(u.files, 3); /* a, sub/b, to-etc */
	assert_int_equal(u.errors, 0);
	/* 100000 + 5000 bytes, two directories and the link's own length. */
	assert_true(u.apparent_bytes >= 105000 + strlen("/etc"));
	assert_true(u.apparent_bytes < 105000 + 2 * 65536 + 100);
	assert_true(u.size_bytes >= 105000);
	assert_true(u.fs_ok);
	assert_true(u.fs.total_bytes > 0);

	assert_int_equal(workdir__usage("/nonexistent/jobtrace", &u), -ENOENT);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_rate),
		cmocka_unit_test(test_workdir_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
