// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* proc_limits over fixtures and odd cases, then against getrlimit(2) live. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/proc_limits.h"
#include "jobtrace/util.h"

#define HEADER "Limit                     Soft Limit           Hard Limit           Units     \n"

static void test_fixture(void **state)
{
	struct proc_limits l;
	int proc_fd = util__open_dir(FIXTURES "/proc");

	assert_true(proc_fd >= 0);
	assert_int_equal(proc_limits__read(proc_fd, 4242, &l), 0);
	for (unsigned int r = 0; r < PROC_LIMITS_N; r++)
		assert_true(l.lim[r].known);
	assert_int_equal(l.lim[RLIMIT_NOFILE].soft, 1024);
	assert_int_equal(l.lim[RLIMIT_NOFILE].hard, 524288);
	assert_int_equal(l.lim[RLIMIT_STACK].soft, 8388608);
	assert_true(l.lim[RLIMIT_STACK].hard == PROC_LIMIT_INFINITY);
	assert_int_equal(l.lim[RLIMIT_CORE].soft, 0);
	/* "Max realtime priority" must not be read as "Max realtime timeout". */
	assert_int_equal(l.lim[RLIMIT_RTPRIO].hard, 0);
	assert_true(l.lim[RLIMIT_RTTIME].hard == PROC_LIMIT_INFINITY);
	assert_string_equal(proc_limits__name(RLIMIT_NOFILE), "nofile");
	assert_string_equal(proc_limits__unit(RLIMIT_CPU), "seconds");
	assert_null(proc_limits__name(PROC_LIMITS_N));
	/* A pid that is not there is gone, not an error. */
	assert_int_equal(proc_limits__read(proc_fd, 31338, &l), -ESRCH);
	close(proc_fd);
}

static void test_table(void **state)
{
	static const struct {
		const char *name, *in;
		int err;
		int res;	/* a limit to check, -1 for none */
		uint64_t soft, hard;
	} cases[] = {
		{ "one line", HEADER "Max open files            10                   20                   files     \n",
		  0, RLIMIT_NOFILE, 10, 20 },
		/* A newer kernel's limit is skipped; the known ones still count. */
		{ "unknown limit", HEADER "Max frobs                 1                    2                    frobs     \n"
			"Max processes             5                    unlimited            processes \n",
		  0, RLIMIT_NPROC, 5, PROC_LIMIT_INFINITY },
		{ "no header", "Max open files            10                   20                   files     \n",
		  -EINVAL, -1, 0, 0 },
		{ "word for a value", HEADER "Max open files            lots                 20                   files     \n",
		  -EINVAL, -1, 0, 0 },
		{ "missing hard", HEADER "Max open files            10\n", -EINVAL, -1, 0, 0 },
		{ "overflow", HEADER "Max open files            18446744073709551616 20                   files     \n",
		  -EINVAL, -1, 0, 0 },
		{ "cut mid-line", HEADER "Max open files            10                   2", -EINVAL,
		  -1, 0, 0 },
		{ "empty", "", -ESRCH, -1, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct proc_limits l;
		int err = proc_limits__parse(cases[i].in, strlen(cases[i].in), &l);

		if (err != cases[i].err)
			fail_msg("%s: err %d, want %d", cases[i].name, err, cases[i].err);
		if (cases[i].res < 0)
			continue;
		if (!l.lim[cases[i].res].known || l.lim[cases[i].res].soft != cases[i].soft ||
		    l.lim[cases[i].res].hard != cases[i].hard)
			fail_msg("%s: wrong values", cases[i].name);
	}
}

/*
 * Every limit of a child, as prlimit(2) reads them, after changing one.
 * The child execs sleep so that the kernel's limits are what it reads:
 * valgrind fakes its own process's NOFILE limit.
 */
static void test_live(void **state)
{
	struct rlimit nofile;
	struct proc_limits l;
	int proc_fd = util__open_dir("/proc");
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sleep", "sleep", "100", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(prlimit(pid, RLIMIT_NOFILE, NULL, &nofile), 0);
	nofile.rlim_cur = nofile.rlim_max > 777 ? 777 : nofile.rlim_max;
	assert_int_equal(prlimit(pid, RLIMIT_NOFILE, &nofile, NULL), 0);
	assert_int_equal(proc_limits__read(proc_fd, pid, &l), 0);
	for (unsigned int r = 0; r < PROC_LIMITS_N; r++) {
		struct rlimit want;

		assert_int_equal(prlimit(pid, (int)r, NULL, &want), 0);
		if (!l.lim[r].known || l.lim[r].soft != want.rlim_cur ||
		    l.lim[r].hard != want.rlim_max)
			fail_msg("%s: %llu/%llu, prlimit says %llu/%llu", proc_limits__name(r),
				 (unsigned long long)l.lim[r].soft, (unsigned long long)l.lim[r].hard,
				 (unsigned long long)want.rlim_cur, (unsigned long long)want.rlim_max);
	}
	assert_int_equal(l.lim[RLIMIT_NOFILE].soft, nofile.rlim_cur);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(proc_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
