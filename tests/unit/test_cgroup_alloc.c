// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What a job's cgroups allot it: parsers, then v1 and v2 fixture trees. */
#include <fcntl.h>
#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "jobtrace/cgroup_alloc.h"

static void test_count_cpus(void **state)
{
	static const struct {
		const char *text;
		int err;
		unsigned int n;
	} cases[] = {
	    {"0-3\n", 0, 4},	 {"0-3,8,10-11\n", 0, 7}, {"5", 0, 1},
	    {"\n", 0, 0},	 {"3-1\n", -EINVAL, 0},	  {"0-\n", -EINVAL, 0},
	    {"a\n", -EINVAL, 0}, {"0 1\n", -EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int n = 99;

		assert_int_equal(cgroup_alloc__count_cpus(cases[i].text, &n), cases[i].err);
		if (!cases[i].err)
			assert_int_equal(n, cases[i].n);
	}
}

static void test_parse_cpu_limits(void **state)
{
	bool limited = true;
	double cpus = -1;

	assert_int_equal(cgroup_alloc__parse_cpu_max("max 100000\n", &limited, &cpus), 0);
	assert_false(limited);
	assert_int_equal(cgroup_alloc__parse_cpu_max("150000 100000\n", &limited, &cpus), 0);
	assert_true(limited);
	assert_true(cpus == 1.5);
	assert_int_equal(cgroup_alloc__parse_cpu_max("150000\n", &limited, &cpus), -EINVAL);
	assert_int_equal(cgroup_alloc__parse_cpu_max("x 100000\n", &limited, &cpus), -EINVAL);
	assert_int_equal(cgroup_alloc__parse_cpu_max("100 0\n", &limited, &cpus), -EINVAL);
	assert_int_equal(cgroup_alloc__parse_cfs("-1\n", "100000\n", &limited, &cpus), 0);
	assert_false(limited);
	assert_int_equal(cgroup_alloc__parse_cfs("400000\n", "100000\n", &limited, &cpus), 0);
	assert_true(limited);
	assert_true(cpus == 4);
	assert_int_equal(cgroup_alloc__parse_cfs("x\n", "100000\n", &limited, &cpus), -EINVAL);
}

static struct cgroup_alloc_place place(const char *tree, const char *path)
{
	char root[256];
	struct cgroup_alloc_place pl = {.path = path};

	snprintf(root, sizeof(root), FIXTURES "/cgroup_alloc/%s", tree);
	pl.root_fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(pl.root_fd >= 0);
	return pl;
}

/* v2: the step's own cpu.max (1.5) is under its job's (2), its cpuset (4 of 8) above both. */
static void test_v2(void **state)
{
	struct cgroup_alloc_place pl = place("v2", "/job/step");
	struct cgroup_alloc a;

	cgroup_alloc__read(&pl, &pl, &pl, 8, &a);
	assert_true(a.cpus_known);
	assert_true(a.cpus == 1.5);
	assert_string_equal(a.cpus_from, "cpu.max");
	assert_string_equal(a.cpus_cgroup, "/job/step");
	/* The quota's period and burst, and the 4 CPUs of its cpuset it can run on at once. */
	assert_true(fabs(a.cpus_period_s - 0.1) < 1e-12);
	assert_true(fabs(a.cpus_burst_s - 0.02) < 1e-12);
	assert_int_equal(a.cpus_max, 4);
	/* The step sets none: its job's 1 GiB binds it. */
	assert_true(a.memory_known);
	assert_int_equal(a.memory_bytes, 1 << 30);
	assert_string_equal(a.memory_from, "memory.max");
	assert_string_equal(a.memory_cgroup, "/job");
	close(pl.root_fd);

	/* No limit anywhere, and a cpuset of every CPU: no allocation, not a made-up one. */
	pl = place("v2", "/free");
	cgroup_alloc__read(&pl, &pl, &pl, 8, &a);
	assert_false(a.cpus_known);
	assert_false(a.memory_known);
	close(pl.root_fd);
}

/* v1, Slurm's layout: no CFS quota, a cpuset of 2 CPUs, a 512 MiB limit; three hierarchies. */
static void test_v1(void **state)
{
	struct cgroup_alloc_place cpu = place("v1cpu", "/slurm/job");
	struct cgroup_alloc_place cpuset = place("v1cpuset", "/slurm/job");
	struct cgroup_alloc_place mem = place("v1mem", "/slurm/job");
	struct cgroup_alloc_place none = {.root_fd = -1};
	struct cgroup_alloc a;

	cgroup_alloc__read(&cpu, &cpuset, &mem, 8, &a);
	assert_true(a.cpus_known);
	assert_true(a.cpus == 2);
	assert_string_equal(a.cpus_from, "cpuset.effective_cpus");
	/* Whole CPUs: no quota's period lends more than them. */
	assert_true(a.cpus_period_s == 0);
	assert_int_equal(a.cpus_max, 2);
	assert_true(a.memory_known);
	assert_int_equal(a.memory_bytes, 512 << 20);
	assert_string_equal(a.memory_from, "memory.limit_in_bytes");
	/* A hierarchy that is not mounted gives nothing, and nothing fails. */
	cgroup_alloc__read(&none, &none, &none, 8, &a);
	assert_false(a.cpus_known);
	assert_false(a.memory_known);
	close(cpu.root_fd);
	close(cpuset.root_fd);
	close(mem.root_fd);
}

/*
 * A quota above the host's CPUs (8 CPUs of bandwidth on a 2-CPU host) allots
 * no more than the CPUs there are: the cpuset of all of them where there is
 * one, else the online count; never 8, which would divide a job's use by 8.
 */
static void test_quota_above_the_host(void **state)
{
	struct cgroup_alloc_place v2 = place("v2", "/wide");
	struct cgroup_alloc_place cpu = place("v1cpu", "/slurm/wide");
	struct cgroup_alloc_place none = {.root_fd = -1};
	struct cgroup_alloc a;

	cgroup_alloc__read(&v2, &v2, &v2, 2, &a);
	assert_true(a.cpus_known);
	assert_true(a.cpus == 2);
	assert_string_equal(a.cpus_from, "cpuset.cpus.effective");
	assert_string_equal(a.cpus_cgroup, "/wide");
	/* On a bigger host, the quota binds again. */
	cgroup_alloc__read(&v2, &none, &none, 16, &a);
	assert_true(a.cpus == 8);
	assert_string_equal(a.cpus_from, "cpu.max");
	/* v1 without a cpuset hierarchy: 4 CPUs of quota on 2 online. */
	cgroup_alloc__read(&cpu, &none, &none, 2, &a);
	assert_true(a.cpus_known);
	assert_true(a.cpus == 2);
	assert_string_equal(a.cpus_from, "cpu.cfs_quota_us");
	/* Held to the CPUs there are, the quota lends nothing past them. */
	assert_true(a.cpus_period_s == 0);
	close(v2.root_fd);
	close(cpu.root_fd);
}

/* This process, on this host: whatever it finds, it says consistently. */
static void test_this_process(void **state)
{
	struct cgroup_alloc a;

	assert_int_equal(cgroup_alloc__of_pid(getpid(), &a), 0);
	if (a.cpus_known)
		assert_true(a.cpus > 0);
	if (a.memory_known)
		assert_true(a.memory_bytes > 0);
	assert_int_equal(cgroup_alloc__of_pid(-1, &a), -ENOENT);
}

/*
 * A process that has exited (a zombie of ours, not yet waited for) has no
 * cgroups to read: a v1 hierarchy shows every exiting task in its root
 * ("/"), whose no limit would read as the job's. Not read, never "none".
 */
static void test_exited_process(void **state)
{
	struct cgroup_alloc a;
	siginfo_t si = {};
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	/* A zombie now, until the wait below. */
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(cgroup_alloc__of_pid(pid, &a), -ESRCH);
	assert_false(a.cpus_known);
	assert_false(a.memory_known);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count_cpus),	 cmocka_unit_test(test_parse_cpu_limits),
	    cmocka_unit_test(test_v2),		 cmocka_unit_test(test_v1),
	    cmocka_unit_test(test_quota_above_the_host), cmocka_unit_test(test_this_process),
	    cmocka_unit_test(test_exited_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
