// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Efficiency against the allocation (issue 19), as root: jobtrace run in a
 * cgroup the test limits to 1.5 CPUs (CFS quota over period, or v2 cpu.max)
 * and 256 MiB, running a churn that keeps four children busy. Ground truth:
 * the limits the test set, and the kernel's own enforcement (the job cannot
 * use more than 1.5 CPUs over its wall time, beyond one CFS period's slack).
 * The report's allocation names them and where they are set, and its
 * efficiency is its own CPU over 1.5 CPUs x its own wall time.
 *
 * The machine decides where: the cpu and memory controllers' hierarchies
 * (v1 mounts, or v2 where its root enables them); on a machine without
 * them the test asserts that no CPU bandwidth or memory limit is reported.
 *
 * A job too short to be seen alive at a sample (/bin/true) has the same
 * allocation, and one in cgroups of no limit says it has none: "none" is
 * said only of cgroups read, never of a process whose cgroups were no
 * longer its own (an exiting task shows "/" in every v1 hierarchy).
 */
#include <math.h>

#include "harness.h"

#include "jobtrace/cgroupfs.h"
#include "jobtrace/util.h"

#define QUOTA_US 150000
#define PERIOD_US 100000
#define MEM_MIB 256

#define SHORT_RUNS 8
/* A quota of half a CPU, for jobs a few of its periods long. */
#define HALF_QUOTA_US 50000
#define QUOTA_TRIES 5
/* A limit under a file that another cgroup's writer brought into the page cache. */
#define SMALL_MEM_MIB 32
#define FILE_MIB 48

static char cpu_dir[600], mem_dir[600], cg_name[64];
static char free_cpu_dir[610], free_mem_dir[610]; /* cgroups with no limit */
static char half_cpu_dir[610]; /* HALF_QUOTA_US over PERIOD_US */
static char small_mem_dir[610]; /* SMALL_MEM_MIB */
static bool v2;
static bool no_controllers; /* this machine has no cpu or no memory controller */

static void write_file(const char *dir, const char *file, const char *text)
{
	char path[700];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fail_msg("cannot write %s to %s: %s", text, path, strerror(errno));
	close(fd);
}

/* @controller's hierarchy: its v1 mount, else v2's where its root enables it. */
static bool hierarchy_of(const char *controller, struct cgroup_hier *h)
{
	char path[300], buf[512];

	if (!cgroupfs__find_mounted(controller, h))
		return true;
	if (cgroupfs__find_mounted(NULL, h))
		return false;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", h->mount);
	return util__read_file_at(AT_FDCWD, path, buf, sizeof(buf)) > 0 && strstr(buf, controller);
}

static void set_quota(const char *dir, int quota_us)
{
	char v[32];

	if (v2) {
		snprintf(v, sizeof(v), "%d %d", quota_us, PERIOD_US);
		write_file(dir, "cpu.max", v);
	} else {
		snprintf(v, sizeof(v), "%d", PERIOD_US);
		write_file(dir, "cpu.cfs_period_us", v);
		snprintf(v, sizeof(v), "%d", quota_us);
		write_file(dir, "cpu.cfs_quota_us", v);
	}
}

static int setup(void **state)
{
	struct cgroup_hier cpu, mem;
	char v[32];

	if (harness__setup("alloc") || harness__require_bpf())
		return -1;
	/* No controller to limit a job with: the test asserts that nothing is made up. */
	if (!hierarchy_of("cpu", &cpu) || !hierarchy_of("memory", &mem)) {
		no_controllers = true;
		return 0;
	}
	v2 = cpu.hierarchy_id == 0;
	snprintf(cg_name, sizeof(cg_name), "jt-test-alloc-%d", getpid());
	snprintf(cpu_dir, sizeof(cpu_dir), "%s/%s", cpu.mount, cg_name);
	snprintf(mem_dir, sizeof(mem_dir), "%s/%s", mem.mount, cg_name);
	if (mkdir(cpu_dir, 0755) || (strcmp(cpu_dir, mem_dir) && mkdir(mem_dir, 0755))) {
		fprintf(stderr, "FAIL: cannot make %s: %s\n", cpu_dir, strerror(errno));
		return -1;
	}
	snprintf(free_cpu_dir, sizeof(free_cpu_dir), "%s-free", cpu_dir);
	snprintf(free_mem_dir, sizeof(free_mem_dir), "%s-free", mem_dir);
	if (mkdir(free_cpu_dir, 0755) ||
	    (strcmp(free_cpu_dir, free_mem_dir) && mkdir(free_mem_dir, 0755))) {
		fprintf(stderr, "FAIL: cannot make %s: %s\n", free_cpu_dir, strerror(errno));
		return -1;
	}
	snprintf(half_cpu_dir, sizeof(half_cpu_dir), "%s-half", cpu_dir);
	if (mkdir(half_cpu_dir, 0755)) {
		fprintf(stderr, "FAIL: cannot make %s: %s\n", half_cpu_dir, strerror(errno));
		return -1;
	}
	set_quota(cpu_dir, QUOTA_US);
	set_quota(half_cpu_dir, HALF_QUOTA_US);
	snprintf(v, sizeof(v), "%d", MEM_MIB << 20);
	write_file(mem_dir, mem.hierarchy_id ? "memory.limit_in_bytes" : "memory.max", v);
	snprintf(small_mem_dir, sizeof(small_mem_dir), "%s-small", mem_dir);
	if (mkdir(small_mem_dir, 0755)) {
		fprintf(stderr, "FAIL: cannot make %s: %s\n", small_mem_dir, strerror(errno));
		return -1;
	}
	snprintf(v, sizeof(v), "%d", SMALL_MEM_MIB << 20);
	write_file(small_mem_dir, mem.hierarchy_id ? "memory.limit_in_bytes" : "memory.max", v);
	return 0;
}

static int teardown(void **state)
{
	harness__kill_running();
	if (mem_dir[0] && strcmp(cpu_dir, mem_dir))
		rmdir(mem_dir);
	if (cpu_dir[0])
		rmdir(cpu_dir);
	if (free_mem_dir[0] && strcmp(free_cpu_dir, free_mem_dir))
		rmdir(free_mem_dir);
	if (free_cpu_dir[0])
		rmdir(free_cpu_dir);
	if (half_cpu_dir[0])
		rmdir(half_cpu_dir);
	if (small_mem_dir[0])
		rmdir(small_mem_dir);
	return harness__teardown();
}

/*
 * run started from a shell in cgroups @cpu and @mem, as a user's shell in
 * them would start it: its job runs there.
 */
static pid_t run_in(const char *cpu, const char *mem, char *const run_args[], int nargs,
		    const char *out)
{
	char cmd[4096];
	int n;

	n = snprintf(cmd, sizeof(cmd), "echo $$ > %s/cgroup.procs && ", cpu);
	if (strcmp(cpu, mem))
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, "echo $$ > %s/cgroup.procs && ",
			      mem);
	n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, "exec");
	for (int i = 0; i < nargs; i++)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " '%s'", run_args[i]);
	{
		char *argv[] = {"/bin/sh", "-c", cmd, NULL};

		return harness__spawn(argv, out, NULL);
	}
}

/* run, moved into the limited cgroups before it starts: its job runs there. */
static pid_t run_limited(char *const run_args[], int nargs, const char *out)
{
	return run_in(cpu_dir, mem_dir, run_args, nargs, out);
}

/*
 * The most CPU a quota of @quota_us per PERIOD_US lets a job run in @wall_s
 * seconds: a whole quota in each period the wall time touches, at most
 * ceil(wall / period) + 1 of them, and no more than the online CPUs can run.
 */
static double quota_allowance_s(int quota_us, double wall_s)
{
	double cpus = (double)quota_us / PERIOD_US, period_s = PERIOD_US / 1e6;
	double bound = quota_us / 1e6 * (ceil(wall_s / period_s) + 1);
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (online > 0 && bound > (double)online * wall_s)
		bound = (double)online * wall_s;
	return bound > cpus * wall_s ? bound : cpus * wall_s;
}

static void test_run_efficiency(void **state)
{
	char report[300], text[300], words[300];
	char *json_args[] = {H.jobtrace, "run",	      "--mode", "bpf",		 "--json",
			     "-o",	 report,      "--",	H.churn,	 "--children",
			     "120",	 "--burn-us", "10000",	"--concurrency", "4"};
	char *text_args[] = {H.jobtrace, "run",	  "--mode",	"bpf", "-o",	    text,
			     "--",	 H.churn, "--children", "20",  "--burn-us", "1000"};
	double cpu_s, wall_s, eff;
	json_t *r;
	int st;

	harness__path(report, sizeof(report), "report.json");
	if (no_controllers) {
		char *argv[] = {H.jobtrace, "run",  "--mode", "bpf",	   "--json",
				"-o",	    report, "--",     "/bin/true", NULL};

		/* No memory limit can exist, and no CPU bandwidth limit: none is reported. */
		print_message("  no cpu or memory controller here: no allocation may be made up\n");
		st = harness__wait_s(harness__spawn(argv, NULL, NULL), 60);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		r = harness__json(report);
		if (!harness__is_null(r, "allocation")) {
			const char *from = harness__str(r, "allocation.cpus_from");

			assert_true(harness__is_null(r, "allocation.memory_bytes") ||
				    hierarchy_of("memory", &(struct cgroup_hier){}));
			assert_true(!from || !strncmp(from, "cpuset", 6) ||
				    hierarchy_of("cpu", &(struct cgroup_hier){}));
		}
		json_decref(r);
		return;
	}
	harness__path(text, sizeof(text), "report.txt");
	st = harness__wait_s(run_limited(json_args, ARRAY_SIZE(json_args), NULL), 120);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	r = harness__json(report);
	assert_true(harness__num(r, "allocation.cpus") == (double)QUOTA_US / PERIOD_US);
	assert_string_equal(harness__str(r, "allocation.cpus_from"),
			    v2 ? "cpu.max" : "cpu.cfs_quota_us");
	assert_string_equal(harness__str(r, "allocation.cpus_cgroup"), strrchr(cpu_dir, '/'));
	assert_int_equal(harness__num(r, "allocation.memory_bytes"), MEM_MIB << 20);
	assert_string_equal(harness__str(r, "allocation.memory_cgroup"), strrchr(mem_dir, '/'));
	cpu_s = harness__num(r, "cpu.total_s");
	wall_s = harness__num(r, "job.wall_s");
	eff = harness__num(r, "efficiency.cpu");
	print_message("  %.3f s of CPU over %.3f s under %.1f CPUs: efficiency %.3f\n", cpu_s,
		      wall_s, (double)QUOTA_US / PERIOD_US, eff);
	/* Its own figures: CPU over what the quota's periods could give in its wall time. */
	assert_true(fabs(eff - cpu_s / quota_allowance_s(QUOTA_US, wall_s)) < 1e-6);
	/*
	 * Four busy children under 1.5 CPUs: the quota binds, the kernel saw
	 * to it, so the job can use no more than its allocation. How much
	 * less is the machine's load: a busy host gave 0.27, so only that it
	 * used some is asked.
	 */
	assert_true(eff > 0);
	assert_true(eff <= 1.0);
	assert_true(fabs(harness__num(r, "efficiency.memory") -
			 harness__num(r, "memory.peak_rss_bytes") / (double)(MEM_MIB << 20)) <
		    1e-9);
	json_decref(r);

	/* The text says it as seff does. */
	st = harness__wait_s(run_limited(text_args, ARRAY_SIZE(text_args), NULL), 60);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(words, sizeof(words), "  allocation 1.50 CPUs (%s of %s), %d.0 MiB memory",
		 v2 ? "cpu.max" : "cpu.cfs_quota_us", strrchr(cpu_dir, '/'), MEM_MIB);
	if (!harness__has(text, words))
		fail_msg("no '%s' in:\n%s", words, harness__slurp(text));
	assert_true(harness__has(text, "  efficiency CPU "));
}

/*
 * Two children burning 45 ms each at once under half a CPU: CFS gives the
 * quota whole at each period's start, so the job runs its 90 ms in two
 * periods or three, more than 0.5 CPUs x its wall. The kernel enforced the
 * quota, so what the job used of its allocation cannot pass 100 %; the
 * efficiency divides by what the periods its wall touched could give.
 */
static void test_short_job_over_quota(void **state)
{
	char report[300];
	char *args[] = {H.jobtrace, "run", "--mode", "bpf", "--json", "-o", report, "--", H.churn,
			"--children", "2", "--concurrency", "2", "--burn-us", "45000"};
	int over = 0;

	if (no_controllers)
		skip(); /* test_run_efficiency said what this machine has */
	harness__path(report, sizeof(report), "half.json");
	for (int i = 0; i < QUOTA_TRIES; i++) {
		int st = harness__wait_s(run_in(half_cpu_dir, free_mem_dir, args,
						ARRAY_SIZE(args), NULL), 60);
		double cpu_s, wall_s, eff;
		json_t *r;

		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		r = harness__json(report);
		assert_true(harness__num(r, "allocation.cpus") ==
			    (double)HALF_QUOTA_US / PERIOD_US);
		cpu_s = harness__num(r, "cpu.total_s");
		wall_s = harness__num(r, "job.wall_s");
		eff = harness__num(r, "efficiency.cpu");
		print_message("  %.3f s of CPU in %.3f s under 0.5 CPUs: efficiency %.3f\n", cpu_s,
			      wall_s, eff);
		over += cpu_s > 0.5 * wall_s;
		if (eff > 1.0)
			fail_msg("efficiency %.1f %%: %.3f s of CPU in %.3f s under half a CPU",
				 100 * eff, cpu_s, wall_s);
		assert_true(fabs(eff - cpu_s / quota_allowance_s(HALF_QUOTA_US, wall_s)) < 1e-6);
		/* What it divided by, said, as a summary of several reports adds it. */
		assert_true(fabs(harness__num(r, "efficiency.cpu_allocated_s") -
				 quota_allowance_s(HALF_QUOTA_US, wall_s)) < 1e-6);
		json_decref(r);
	}
	print_message("  %d of %d runs used more than 0.5 CPUs x their wall time\n", over,
		      QUOTA_TRIES);
}

/*
 * A file of FILE_MIB MiB this test writes (its pages charged to the test's
 * cgroup, not a limited one) at @name, and into @script a python program
 * that maps it and reads every page, then runs @then.
 */
static void mapped_file_script(char *data, size_t data_size, const char *name, char *script,
			       size_t script_size, const char *then)
{
	static char chunk[1 << 20];
	int fd;

	harness__path(data, data_size, name);
	memset(chunk, 'x', sizeof(chunk));
	fd = open(data, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	for (int i = 0; i < FILE_MIB; i++)
		assert_int_equal(write(fd, chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
	close(fd);
	snprintf(script, script_size,
		 /* run_in() quotes each word with ': none in here. */
		 "import mmap\nf = open(\"%s\", \"rb\")\n"
		 "m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\n"
		 "s = sum(m[i] for i in range(0, len(m), 4096))\n%s",
		 data, then);
}

/*
 * A process under a 32 MiB limit maps a 48 MiB file this test wrote (its
 * pages charged to the test's cgroup, not the limited one) and reads every
 * page: its RSS passes the limit, which the kernel never let its cgroup's
 * own charge do (the process is not OOM-killed). RSS over the limit is no
 * share of it: the memory efficiency is not known (null), never past 100 %.
 */
static void test_rss_past_the_limit(void **state)
{
	char report[300], text[300], data[300], script[700];
	char *json_args[] = {H.jobtrace, "run", "--mode", "bpf", "--json", "-o", report,
			     "--", "python3", "-c", script};
	char *text_args[] = {H.jobtrace, "run", "--mode", "bpf", "-o", text,
			     "--", "python3", "-c", script};
	json_t *r;
	double peak;
	int st;

	if (no_controllers)
		skip(); /* test_run_efficiency said what this machine has */
	harness__path(report, sizeof(report), "rss.json");
	harness__path(text, sizeof(text), "rss.txt");
	mapped_file_script(data, sizeof(data), "data", script, sizeof(script), "");
	st = harness__wait_s(run_in(free_cpu_dir, small_mem_dir, json_args,
				    ARRAY_SIZE(json_args), NULL), 60);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	r = harness__json(report);
	assert_int_equal(harness__num(r, "allocation.memory_bytes"), SMALL_MEM_MIB << 20);
	peak = harness__num(r, "memory.peak_rss_bytes");
	print_message("  largest process's peak RSS %.1f MiB under a %d MiB limit: "
		      "efficiency.memory %s\n", peak / (1 << 20), SMALL_MEM_MIB,
		      harness__is_null(r, "efficiency.memory") ? "null" : "a number");
	/* The ground truth the test made: every page of the file mapped and read. */
	assert_true(peak >= (double)FILE_MIB * (1 << 20));
	if (!harness__is_null(r, "efficiency.memory"))
		fail_msg("efficiency.memory %.1f %% of a %d MiB limit",
			 100 * harness__num(r, "efficiency.memory"), SMALL_MEM_MIB);
	json_decref(r);
	st = harness__wait_s(run_in(free_cpu_dir, small_mem_dir, text_args,
				    ARRAY_SIZE(text_args), NULL), 60);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!harness__has(text, ", memory not known (largest process "))
		fail_msg("no memory not known in:\n%s", harness__slurp(text));
	unlink(data);
}

/*
 * run sits in the job's memory cgroup, and its BPF maps are charged there
 * (about 9 MiB): on cgroup v1, the kernel at times takes run too, right
 * after the job's victim, while that one's memory is still being freed
 * (2 runs in 20 here). run is then killed by SIGKILL itself, and no report
 * is written: said, and the run made again, up to 5 times.
 */
static int run_until_reported(char *const args[], int nargs)
{
	int st = 0;

	for (int i = 0; i < 5; i++) {
		st = harness__wait_s(run_in(free_cpu_dir, small_mem_dir, args, nargs, NULL), 60);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			return st;
		print_message("  run itself was OOM-killed beside its job: once more\n");
	}
	fail_msg("run was OOM-killed beside its job 5 times in a row");
	return st;
}

/*
 * The same file mapped and read under the 32 MiB limit, then memory of the
 * process's own until the OOM killer takes it at that limit: its RSS is
 * past the limit (the file's pages), but the kernel said the job's charge
 * reached it. The memory efficiency is 100 %, where the RSS alone would
 * make it not known.
 */
static void test_oom_at_the_limit(void **state)
{
	char report[300], text[300], data[300], script[700];
	char *json_args[] = {H.jobtrace, "run", "--mode", "bpf", "--json", "-o", report,
			     "--", "python3", "-c", script};
	char *text_args[] = {H.jobtrace, "run", "--mode", "bpf", "-o", text,
			     "--", "python3", "-c", script};
	json_t *r, *f0;
	int st;

	if (no_controllers)
		skip(); /* test_run_efficiency said what this machine has */
	harness__path(report, sizeof(report), "oom.json");
	harness__path(text, sizeof(text), "oom.txt");
	mapped_file_script(data, sizeof(data), "oomdata", script, sizeof(script),
			   "b = []\nwhile True:\n    b.append(b\"y\" * (1 << 20))\n");
	st = run_until_reported(json_args, ARRAY_SIZE(json_args));
	/* run exits as its job did: 128 + SIGKILL. */
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGKILL);
	r = harness__json(report);
	f0 = json_array_get(harness__get(r, "failed"), 0);
	print_message("  largest process's peak RSS %.1f MiB under a %d MiB limit, OOM-killed "
		      "%s: efficiency.memory %s\n",
		      harness__num(r, "memory.peak_rss_bytes") / (1 << 20), SMALL_MEM_MIB,
		      f0 && json_is_true(harness__get(f0, "oom_killed")) ? "yes" : "no",
		      harness__is_null(r, "efficiency.memory") ? "null" : "a number");
	/* The ground truth: the kernel's kill, at the limit the test set. */
	assert_non_null(f0);
	assert_true(json_is_true(harness__get(f0, "oom_killed")));
	assert_int_equal(harness__num(f0, "oom.limit_bytes"), SMALL_MEM_MIB << 20);
	assert_int_equal(harness__num(r, "allocation.memory_bytes"), SMALL_MEM_MIB << 20);
	assert_true(harness__num(r, "memory.peak_rss_bytes") > (double)(SMALL_MEM_MIB << 20));
	assert_false(harness__is_null(r, "efficiency.memory"));
	assert_true(harness__num(r, "efficiency.memory") == 1.0);
	json_decref(r);
	st = run_until_reported(text_args, ARRAY_SIZE(text_args));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGKILL);
	if (!harness__has(text, ", memory 100.0% (OOM-killed at its limit of 32.0 MiB)"))
		fail_msg("no memory 100.0%% at the limit in:\n%s", harness__slurp(text));
	unlink(data);
}

/*
 * run -- /bin/true in the limited cgroups, again and again, on a busy
 * machine (two busy loops of the test's, a CPU each): its process ends as
 * run starts, and run's first sample finds it gone or exiting. Each report
 * names the limits, or says nothing of an allocation (not read); none
 * says "none" (most did on a busy machine: the cgroups read were those of
 * the exiting process, "/" in every v1 hierarchy). In cgroups of no
 * limit, it says none.
 */
static void test_short_job_allocation(void **state)
{
	char report[300], text[300];
	char *json_args[] = {H.jobtrace, "run", "--mode", "bpf", "--json", "-o", report,
			     "--",	 "/bin/true"};
	char *text_args[] = {H.jobtrace, "run", "--mode", "bpf", "-o", text, "--", "/bin/true"};
	char *busy_argv[] = {"/bin/sh", "-c", "while :; do :; done", NULL};
	pid_t busy[2];
	int st, limits = 0, unread = 0;
	json_t *r;

	if (no_controllers)
		skip(); /* test_run_efficiency said what this machine has */
	harness__path(report, sizeof(report), "short.json");
	harness__path(text, sizeof(text), "short.txt");
	for (int i = 0; i < 2; i++)
		busy[i] = harness__spawn(busy_argv, NULL, NULL);
	for (int i = 0; i < SHORT_RUNS; i++) {
		st = harness__wait_s(run_limited(json_args, ARRAY_SIZE(json_args), NULL), 60);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		r = harness__json(report);
		if (harness__is_null(r, "allocation")) {
			unread++;
		} else if (harness__is_null(r, "allocation.cpus") &&
			   harness__is_null(r, "allocation.memory_bytes")) {
			fail_msg("run %d of /bin/true in %s: its allocation is \"none\" (its "
				 "cgroups set no limit), though they do",
				 i + 1, strrchr(cpu_dir, '/'));
		} else {
			assert_true(harness__num(r, "allocation.cpus") ==
				    (double)QUOTA_US / PERIOD_US);
			assert_int_equal(harness__num(r, "allocation.memory_bytes"), MEM_MIB << 20);
			limits++;
		}
		json_decref(r);

		st = harness__wait_s(run_limited(text_args, ARRAY_SIZE(text_args), NULL), 60);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		if (harness__has(text, "  allocation none"))
			fail_msg("run %d of /bin/true in %s says no limit:\n%s", i + 1,
				 strrchr(cpu_dir, '/'), harness__slurp(text));
	}
	for (int i = 0; i < 2; i++) {
		kill(busy[i], SIGKILL);
		harness__wait_s(busy[i], 20);
	}
	print_message("  %d runs of /bin/true: %d with the limits, %d not read\n", SHORT_RUNS,
		      limits, unread);

	/* Where no cgroup limits it: none, said. */
	st = harness__wait_s(run_in(free_cpu_dir, free_mem_dir, json_args,
				    ARRAY_SIZE(json_args), NULL),
			     60);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	r = harness__json(report);
	assert_false(harness__is_null(r, "allocation"));
	assert_string_equal(harness__str(r, "allocation.source"), "cgroup");
	assert_true(harness__is_null(r, "allocation.cpus"));
	assert_true(harness__is_null(r, "allocation.memory_bytes"));
	json_decref(r);
	st = harness__wait_s(run_in(free_cpu_dir, free_mem_dir, text_args,
				    ARRAY_SIZE(text_args), NULL),
			     60);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!harness__has(text, "  allocation none: its cgroups set no CPU or memory limit"))
		fail_msg("/bin/true in %s, of no limit, does not say so:\n%s",
			 strrchr(free_cpu_dir, '/'), harness__slurp(text));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_efficiency),
	    cmocka_unit_test(test_short_job_allocation),
	    cmocka_unit_test(test_short_job_over_quota),
	    cmocka_unit_test(test_rss_past_the_limit),
	    cmocka_unit_test(test_oom_at_the_limit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
