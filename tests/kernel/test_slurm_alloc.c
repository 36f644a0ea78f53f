// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A Slurm step's allocation and efficiency (issue 19), end to end, in a lab
 * that enforces what it allots: tests/slurm/lab.sh with task/cgroup
 * (ConstrainCores, ConstrainRAMSpace: on this hybrid host Slurm's cgroup/v1
 * plugin sets the step's memory.limit_in_bytes and cpuset), memory a
 * consumable (CR_Core_Memory), and two slurmd on this host (two nodes), with
 * `jobtrace serve --control --reports --listen` and the SPANK plugin.
 *
 * Ground truth is the workload's own: this binary is the step's task
 * (--busy: one of its two CPUs kept busy, a known peak touched; it writes
 * its getrusage CPU, its wall time and its ru_maxrss), and what srun asked
 * for (-c 2 --mem=256M). An OOM step touches 200 MiB under --mem=64M.
 * Needs root, BPF and the Slurm packages (make deps); fails, never skips.
 */
#include "testutil.h"
#include "slurm_lab.h"

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024ULL * 1024)

static char stream_path[128]; /* serve's --stream: /dev/shm/jobtrace-alloc-PID.stream */

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/*
 * slurm_lab__report(@name); NULL unless it is valid by
 * schema/report.schema.json (tests/schema/validate.py).
 */
static json_t *report_of(const char *name)
{
	char cmd[1400];
	json_t *r = slurm_lab__report(name);

	if (!r)
		return NULL;
	snprintf(cmd, sizeof(cmd),
		 "python3 %s/tests/schema/validate.py -q --schema report '%s/reports/slurm:%s.json'",
		 lab.srcdir, lab.dir, name);
	if (system(cmd)) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* r.@a.@b (@b NULL: r.@a). */
static json_t *at(json_t *r, const char *a, const char *b)
{
	json_t *v = json_object_get(r, a);

	return b ? json_object_get(v, b) : v;
}

/* The value of the series @family{job_key="@job"...} in @body; NAN where there is none. */
static double metric_of(const char *body, const char *family, const char *job)
{
	char want[512];
	const char *p;

	snprintf(want, sizeof(want), "\n%s{job_key=\"%s\"", family, job);
	p = body ? strstr(body, want) : NULL;
	if (!p || !(p = strchr(p + strlen(want), '}')))
		return NAN;
	return strtod(p + 2, NULL);
}

/*
 * This process's age: CLOCK_BOOTTIME now less its (22) starttime in
 * /proc/self/stat (clock ticks since boot, when slurmstepd forked it). Its
 * wall time counts its exec and start-up, as the step's does (the plugin
 * registers the task between its fork and its exec); 0 if unreadable.
 */
static __u64 age_ns(void)
{
	char buf[1024], *p;
	unsigned long long start = 0;
	struct timespec ts;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* After "pid (comm)": (3) state is the 1st field, (22) starttime the 20th. */
	for (int i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec -
	       start * (1000000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK));
}

/*
 * --busy MS TRUTH: a step's task that keeps one CPU busy for MS ms of wall
 * time, with 96 MiB touched (its known peak), and writes its own figures:
 * its getrusage CPU, its age (age_ns()), how long it has run since its
 * main() began (ran_ns) and its ru_maxrss.
 */
static int busy_main(long ms, const char *truth_arg)
{
	__u64 t0 = mono_ns(), end = t0 + (__u64)ms * 1000000ULL;
	char truth[600], *pct = strstr(truth_arg, "%n");
	size_t size = 96 * MIB;
	volatile unsigned long spin = 0;
	struct rusage ru;
	char *p = malloc(size);
	FILE *f;

	/* "%n": this node's name, one truth file per node of a step on several. */
	if (pct)
		snprintf(truth, sizeof(truth), "%.*s%s%s", (int)(pct - truth_arg), truth_arg,
			 getenv("SLURMD_NODENAME") ?: "?", pct + 2);
	else
		snprintf(truth, sizeof(truth), "%s", truth_arg);
	if (!p)
		return 120;
	memset(p, 1, size);
	while (mono_ns() < end)
		for (int i = 0; i < 100000; i++)
			spin++;
	getrusage(RUSAGE_SELF, &ru);
	f = fopen(truth, "w");
	if (!f)
		return 121;
	fprintf(f, "{\"cpu_ns\":%llu,\"wall_ns\":%llu,\"ran_ns\":%llu,\"maxrss_bytes\":%llu}\n",
		(unsigned long long)ru.ru_utime.tv_sec * 1000000000ULL +
			(unsigned long long)ru.ru_utime.tv_usec * 1000ULL +
			(unsigned long long)ru.ru_stime.tv_sec * 1000000000ULL +
			(unsigned long long)ru.ru_stime.tv_usec * 1000ULL,
		(unsigned long long)(age_ns() ?: mono_ns() - t0),
		(unsigned long long)(mono_ns() - t0),
		(unsigned long long)ru.ru_maxrss * 1024ULL);
	fclose(f);
	free(p);
	return 0;
}

/* --hog MIB: touches MIB MiB, a page at a time, and waits (the OOM killer ends it). */
static int hog_main(unsigned long mib)
{
	size_t size = mib * MIB;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 120;
	for (size_t i = 0; i < size; i += 4096)
		p[i] = 1;
	sleep(5);
	return 0;
}

/* The "job" line of job @key in the JSON lines of @path, or NULL. */
static json_t *job_line_of(const char *path, const char *key)
{
	char *buf = NULL;
	size_t cap = 0;
	json_t *found = NULL;
	FILE *f = fopen(path, "r");

	while (f && !found && getline(&buf, &cap, f) > 0) {
		json_t *l = json_loads(buf, 0, NULL);
		const char *k = json_string_value(at(l, "job", "key"));

		if (l && !strcmp(json_string_value(at(l, "type", NULL)) ?: "", "job") && k &&
		    !strcmp(k, key))
			found = json_incref(l);
		json_decref(l);
	}
	free(buf);
	if (f)
		fclose(f);
	return found;
}

/*
 * srun -c 2 --mem=256M of a task that keeps one of its CPUs busy: the report
 * names Slurm's allocation (and the cgroup limit task/cgroup set, apart),
 * its CPU efficiency is the workload's own CPU / (2 x its wall) within 1%,
 * its memory efficiency the workload's peak / 256 MiB; /metrics has both.
 */
static void test_step_efficiency(void **state)
{
	char err[600], truth[600], key[64], mkey[96], tail_out[600], prom[600], cmd[1400];
	double want_cpu, want_mem, got_cpu, got_mem, m_cpus = NAN, m_mem = NAN, m_eff = NAN;
	double cpu_s, wall_s;
	json_t *r, *t, *a, *line;
	int rc, id;
	pid_t srun, tail;

	snprintf(err, sizeof(err), "%s/eff.err", lab.dir);
	snprintf(truth, sizeof(truth), "%s/out/eff.truth.json", lab.dir);
	snprintf(prom, sizeof(prom), "%s/out/metrics.txt", lab.dir);
	/* The stream's readers get the step's final report, allocation included. */
	snprintf(tail_out, sizeof(tail_out), "%s/out/tail.jsonl", lab.dir);
	tail = fork();
	if (tail == 0) {
		int fd = open(tail_out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		execl(lab.jobtrace, lab.jobtrace, "tail", "--json", "--duration", "60", "--stream",
		      stream_path, NULL);
		_exit(127);
	}
	slurm_lab__sleep_ms(300);
	srun = fork();
	if (srun == 0)
		_exit(slurm_lab__sh("srun -n1 -c 2 --mem=256M %s/test_slurm_alloc --busy 3000 %s "
				    "2>%s",
				    lab.dir, truth, err));
	/* While it runs: serve's /metrics has the step's allocation. */
	for (int i = 0; i < 100 && (isnan(m_cpus) || isnan(m_mem)); i++) {
		char *body;

		slurm_lab__sleep_ms(100);
		id = slurm_lab__job_id(err);
		if (id <= 0)
			continue;
		snprintf(mkey, sizeof(mkey), "slurm:%d.0", id);
		body = slurm_lab__metrics_get();
		m_cpus = metric_of(body, "jobtrace_job_allocated_cpus", mkey);
		m_mem = metric_of(body, "jobtrace_job_allocated_memory_bytes", mkey);
		if (!isnan(m_cpus) && !isnan(m_mem)) {
			FILE *f = fopen(prom, "w");

			if (f) {
				fputs(body, f);
				fclose(f);
			}
		}
		free(body);
	}
	assert_int_equal(waitpid(srun, &rc, 0), srun);
	assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	id = slurm_lab__job_id(err);
	assert_true(id > 0);
	snprintf(key, sizeof(key), "%d.0", id);
	r = report_of(key);
	t = slurm_lab__load(truth);
	assert_non_null(r);
	assert_non_null(t);
	a = at(r, "allocation", NULL);
	/* Slurm's word, and the cgroup limit task/cgroup set from it: both kept, apart. */
	assert_string_equal(json_string_value(at(a, "source", NULL)), "slurm");
	assert_true(json_number_value(at(a, "slurm", "cpus")) == 2);
	assert_int_equal(json_integer_value(at(a, "slurm", "memory_bytes")), 256 * MIB);
	assert_string_equal(json_string_value(at(a, "slurm", "memory_from")), "step");
	assert_true(json_number_value(at(a, "cpus", NULL)) == 2);
	assert_string_equal(json_string_value(at(a, "cpus_from", NULL)), "slurm:step");
	assert_int_equal(json_integer_value(at(a, "memory_bytes", NULL)), 256 * MIB);
	assert_int_equal(json_integer_value(at(a, "cgroup", "memory_bytes")), 256 * MIB);
	assert_string_equal(json_string_value(at(a, "cgroup", "memory_from")),
			    "memory.limit_in_bytes");
	assert_non_null(strstr(json_string_value(at(a, "cgroup", "memory_cgroup")), "/job_"));
	assert_string_equal(json_string_value(at(r, "job", "node")), lab.node);
	want_cpu = (double)json_integer_value(at(t, "cpu_ns", NULL)) /
		   (2.0 * (double)json_integer_value(at(t, "wall_ns", NULL)));
	want_mem = (double)json_integer_value(at(t, "maxrss_bytes", NULL)) / (double)(256 * MIB);
	got_cpu = json_number_value(at(r, "efficiency", "cpu"));
	got_mem = json_number_value(at(r, "efficiency", "memory"));
	snprintf(mkey, sizeof(mkey), "slurm:%s", key);
	{
		char *body = slurm_lab__metrics_get();

		m_eff = metric_of(body, "jobtrace_job_cpu_efficiency_ratio", mkey);
		free(body);
	}
	printf("  efficiency slurm:%s on %s: CPU %.2f%% (workload's own %.2f%%, %+.3f%%), "
	       "memory %.2f%% (workload's peak %.2f%% of 256 MiB); /metrics %g CPUs, %g bytes, "
	       "CPU efficiency %.4f\n",
	       key, lab.node, 100 * got_cpu, 100 * want_cpu, 100 * (got_cpu - want_cpu) / want_cpu,
	       100 * got_mem, 100 * want_mem, m_cpus, m_mem, m_eff);
	/*
	 * One of two CPUs kept busy: 50% on a quiet host. Its own getrusage is
	 * the truth; on a host busy with other work it gets less of its CPU.
	 */
	assert_true(want_cpu > 0.05 && want_cpu < 0.55);
	/*
	 * The efficiency is the report's CPU over 2 CPUs x its wall, and each
	 * is held to its truth apart. The CPU: the workload's getrusage within
	 * 1 %, and 20 ms for what its exit runs after that read (it unmaps its
	 * 96 MiB). The wall: at least what the workload ran since its main()
	 * began (the step started before its exec), and at most its age when
	 * it wrote its truth (from its fork, in clock ticks: 10 ms) and 0.3 s
	 * more for its exit and reap. Blended into one 1 % check of the ratio,
	 * those 50 ms of exit on a host busy with the suite's unit phase
	 * failed CI. The age as the lower bound failed too, on a loaded host:
	 * the step starts when the plugin registers the task, between its fork
	 * and its exec, 22 ms after the fork there (3.020 s of wall against
	 * 3.042 s of age).
	 */
	cpu_s = json_number_value(at(r, "cpu", "total_s"));
	wall_s = json_number_value(at(r, "job", "wall_s"));
	printf("  the report: %.3f CPU s over %.3f s of wall; the workload: %.3f CPU s, %.3f s old\n",
	       cpu_s, wall_s, json_integer_value(at(t, "cpu_ns", NULL)) / 1e9,
	       json_integer_value(at(t, "wall_ns", NULL)) / 1e9);
	assert_true(fabs(got_cpu - cpu_s / (2.0 * wall_s)) <= 1e-4 * got_cpu);
	assert_true(cpu_s * 1e9 >= 0.99 * (double)json_integer_value(at(t, "cpu_ns", NULL)));
	assert_true(cpu_s * 1e9 <= 1.01 * (double)json_integer_value(at(t, "cpu_ns", NULL)) + 20e6);
	assert_true(wall_s * 1e9 >= (double)json_integer_value(at(t, "ran_ns", NULL)));
	assert_true(wall_s * 1e9 <= (double)json_integer_value(at(t, "wall_ns", NULL)) + 10e6 + 300e6);
	assert_true(fabs(got_mem - want_mem) <= 0.01 * want_mem);
	assert_true(m_cpus == 2);
	assert_true(m_mem == (double)(256 * MIB));
	/* Prometheus's own linter on the text that has the step's allocation series. */
	snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s'", prom);
	assert_int_equal(system(cmd), 0);
	/* The stream's "job" line of the step: the report's allocation and efficiency. */
	slurm_lab__sleep_ms(1500);
	kill(tail, SIGTERM);
	waitpid(tail, &rc, 0);
	line = job_line_of(tail_out, mkey);
	assert_non_null(line);
	assert_true(json_number_value(at(at(line, "allocation", "slurm"), "cpus", NULL)) == 2);
	assert_true(json_number_value(at(line, "efficiency", "cpu")) == got_cpu);
	json_decref(line);
	json_decref(r);
	json_decref(t);
}

/*
 * srun --mem=64M of a task that touches 200 MiB: Slurm's task/cgroup limit
 * is hit, the OOM killer takes it, and the step's report says so.
 */
static void test_oom_step(void **state)
{
	char err[600], key[64];
	json_t *r, *fl, *oom;
	int rc, id;

	snprintf(err, sizeof(err), "%s/oom.err", lab.dir);
	rc = slurm_lab__sh("srun -n1 --mem=64M %s/test_slurm_alloc --hog 200 2>%s", lab.dir, err);
	assert_int_not_equal(rc, 0);
	id = slurm_lab__job_id(err);
	assert_true(id > 0);
	snprintf(key, sizeof(key), "%d.0", id);
	r = report_of(key);
	assert_non_null(r);
	fl = json_array_get(at(r, "failed", NULL), 0);
	oom = json_object_get(fl, "oom");
	printf("  oom      slurm:%s: oom_killed %lld, limit %lld of %s, RSS %lld; srun exit %d\n",
	       key, json_integer_value(at(r, "processes", "oom_killed")),
	       json_integer_value(json_object_get(oom, "limit_bytes")),
	       json_string_value(json_object_get(oom, "cgroup")),
	       json_integer_value(json_object_get(oom, "rss_bytes")), rc);
	assert_int_equal(json_integer_value(at(r, "processes", "oom_killed")), 1);
	assert_true(json_is_true(json_object_get(fl, "oom_killed")));
	assert_int_equal(json_integer_value(json_object_get(oom, "limit_bytes")), 64 * MIB);
	assert_non_null(strstr(json_string_value(json_object_get(oom, "cgroup")), "/job_"));
	assert_int_equal(json_integer_value(at(r, "job", "signal")), SIGKILL);
	assert_int_equal(json_integer_value(at(r, "allocation", "memory_bytes")), 64 * MIB);
	json_decref(r);
}

/* The truth file @name of node @n, and what it says into @cpu_ns and @wall_ns. */
static void truth_of(const char *name, const char *n, double *cpu_ns, double *wall_ns)
{
	char path[700];
	json_t *t;

	snprintf(path, sizeof(path), "%s/out/%s.%s.truth.json", lab.dir, name, n);
	t = slurm_lab__load(path);
	assert_non_null(t);
	*cpu_ns = (double)json_integer_value(at(t, "cpu_ns", NULL));
	*wall_ns = (double)json_integer_value(at(t, "wall_ns", NULL));
	json_decref(t);
}

/*
 * A step on the lab's two nodes (two slurmd on this host, one serve): one
 * report per node in the shared directory, each naming its node, and
 * `jobtrace report DIR JOB` merges them into the job's summary, whose CPU
 * efficiency is the two reports' CPU over 1 CPU x their wall times, and
 * near the tasks' own (each report's wall starts before the task's exec:
 * on a loaded host its start-up is a few % of 3 s; test_step_efficiency
 * holds one report to 1%).
 */
static void test_two_nodes(void **state)
{
	char err[600], key[96], cmd[4096], path[700];
	double c1, w1, c2, w2, want, got, merged;
	json_t *r1, *r2, *sum, *job;
	json_error_t e;
	int rc, id;

	snprintf(err, sizeof(err), "%s/two.err", lab.dir);
	rc = slurm_lab__sh("srun -N2 -n2 --ntasks-per-node=1 -c 1 --mem=128M %s/test_slurm_alloc "
			   "--busy 3000 %s/out/two.%%n.truth.json 2>%s",
			   lab.dir, lab.dir, err);
	assert_int_equal(rc, 0);
	id = slurm_lab__job_id(err);
	assert_true(id > 0);
	snprintf(key, sizeof(key), "%d.0@%s", id, lab.node);
	r1 = report_of(key);
	snprintf(key, sizeof(key), "%d.0@%s", id, lab.node2);
	r2 = report_of(key);
	assert_non_null(r1);
	assert_non_null(r2);
	assert_string_equal(json_string_value(at(r1, "job", "node")), lab.node);
	assert_string_equal(json_string_value(at(r2, "job", "node")), lab.node2);
	assert_true(json_number_value(at(at(r2, "allocation", "slurm"), "cpus", NULL)) == 1);
	assert_int_equal(json_integer_value(at(at(r2, "allocation", "slurm"), "memory_bytes", NULL)),
			 128 * MIB);
	truth_of("two", lab.node, &c1, &w1);
	truth_of("two", lab.node2, &c2, &w2);
	want = (c1 + c2) / (w1 + w2);
	/* The merge, as JSON for the check and its schema, and as text to read. */
	snprintf(path, sizeof(path), "%s/out/summary.json", lab.dir);
	snprintf(cmd, sizeof(cmd), "%s report --json %s/reports %d > %s && "
		 "python3 %s/tests/schema/validate.py -q --schema job-summary %s && "
		 "%s report %s/reports %d",
		 lab.jobtrace, lab.dir, id, path, lab.srcdir, path, lab.jobtrace, lab.dir, id);
	assert_int_equal(system(cmd), 0);
	sum = json_load_file(path, 0, &e);
	assert_non_null(sum);
	job = json_array_get(at(sum, "jobs", NULL), 0);
	got = json_number_value(at(job, "efficiency", "cpu"));
	merged = (json_number_value(at(r1, "cpu", "total_s")) +
		  json_number_value(at(r2, "cpu", "total_s"))) /
		 (json_number_value(at(r1, "job", "wall_s")) +
		  json_number_value(at(r2, "job", "wall_s")));
	printf("  two nodes slurm:%d.0 on %s and %s: CPU efficiency over both %.2f%% (the two "
	       "reports' %.2f%%; the tasks' own %.2f%%, %+.3f%%)\n",
	       id, lab.node, lab.node2, 100 * got, 100 * merged, 100 * want,
	       100 * (got - want) / want);
	assert_int_equal(json_integer_value(at(job, "reports_count", NULL)), 2);
	assert_int_equal(json_integer_value(at(job, "nodes_count", NULL)), 2);
	assert_true(fabs(got - merged) <= 1e-6 * merged);
	assert_true(fabs(got - want) <= 0.05 * want);
	json_decref(sum);
	json_decref(r1);
	json_decref(r2);
}

static int setup(void **state)
{
	if (slurm_lab__start("slurm-alloc", "test_slurm_alloc", false,
			     "LAB_TASK=cgroup LAB_SELECT=CR_Core_Memory LAB_NODES=2", 2))
		return -1;
	snprintf(stream_path, sizeof(stream_path), "/dev/shm/jobtrace-alloc-%d.stream",
		 (int)getpid());
	return slurm_lab__serve((const char *const[]){ "--stream", stream_path, NULL });
}

static int teardown(void **state)
{
	slurm_lab__stop();
	if (stream_path[0]) {
		char lock[160];

		unlink(stream_path);
		snprintf(lock, sizeof(lock), "%s.lock", stream_path);
		unlink(lock);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_efficiency),
		cmocka_unit_test(test_oom_step),
		cmocka_unit_test(test_two_nodes),
	};

	if (argc == 4 && !strcmp(argv[1], "--busy"))
		return busy_main(atol(argv[2]), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "--hog"))
		return hog_main(strtoul(argv[2], NULL, 10));
	slurm_lab__find_self();
	return cmocka_run_group_tests(tests, setup, teardown);
}
