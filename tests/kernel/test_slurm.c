// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Slurm end to end: a single-node cluster from Debian's packages, started in
 * a scratch directory by tests/slurm/lab.sh (munged, MariaDB, slurmdbd,
 * slurmctld -D, slurmd -D) with the SPANK plugin in its plugstack.conf, and
 * `jobtrace serve --control -g cgroup1:freezer --listen`.
 * Steps run this binary as their task (`--step`): it runs churn, waits until
 * its task cgroup holds only itself (the orphans are done), says so and
 * waits while the test asks Slurm's sstat for the step's CPU (the live figure
 * Slurm has, from outside the step: nothing is added to it), and writes the
 * cgroup's cpuacct.usage, the CPU truth, before it exits with its chosen
 * status. Ground truth: churn's --truth file, the chosen status, cpuacct.
 * Slurm's own sstat and sacct figures are printed beside jobtrace's, not
 * asserted: they are what jobtrace is compared with (jobtrace-slurm(8), PERFORMANCE).
 * Needs root, BPF and the Slurm packages (make deps); fails, never skips.
 */
#include "testutil.h"
#include "slurm_lab.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long jint(json_t *r, const char *obj, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(r, obj), key));
}

/*
 * The sum of @family{job_key="@job",...} in @body, over its other labels (the
 * exit reason of processes_exited); -1 when there is no such series.
 */
static long long metric_of(const char *body, const char *family, const char *job)
{
	char want[512];
	long long sum = -1;
	const char *p = body;
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "\n%s{job_key=\"%s\"", family, job);
	while (p && (p = strstr(p, want))) {
		const char *v = strchr(p + n, '}');

		p += n;
		if ((*p != '}' && *p != ',') || !v)
			continue;
		sum = (sum < 0 ? 0 : sum) + atoll(v + 2);
	}
	return sum;
}

/* @family{job_key="@job"} once it equals @want, within 5 s (serve publishes every 1 s); else the last. */
static long long metric_wait(const char *family, const char *job, long long want)
{
	long long v = -1;

	for (int i = 0; i < 50; i++) {
		char *body = slurm_lab__metrics_get();

		v = metric_of(body, family, job);
		if (v != want && i == 49) {
			char path[600];
			FILE *f;

			snprintf(path, sizeof(path), "%s/metrics.last", lab.dir);
			f = fopen(path, "w");
			if (f) {
				fputs(body ? body : "(no answer)\n", f);
				fclose(f);
			}
		}
		free(body);
		if (v == want)
			break;
		slurm_lab__sleep_ms(100);
	}
	return v;
}

/* Slurm's [D-][HH:]MM:SS[.mmm] as seconds; -1 if it is not one. */
static double slurm_time_s(const char *t)
{
	double f[3] = { 0 }, s;
	int days = 0, n = 0;
	const char *dash = strchr(t, '-');

	if (dash) {
		days = atoi(t);
		t = dash + 1;
	}
	while (n < 3) {
		char *end;

		f[n++] = strtod(t, &end);
		if (end == t)
			return -1;
		if (*end != ':')
			break;
		t = end + 1;
	}
	s = n == 3 ? f[0] * 3600 + f[1] * 60 + f[2] : n == 2 ? f[0] * 60 + f[1] : f[0];
	return days * 86400.0 + s;
}

/* sacct's TotalCPU of step @key ("12.0") once slurmdbd has it, within 10 s; -1 if never. */
static double sacct_total_cpu(const char *key)
{
	char path[600], line[256];
	double cpu = -1;

	snprintf(path, sizeof(path), "%s/sacct.out", lab.dir);
	for (int i = 0; i < 100 && cpu < 0; i++) {
		FILE *f;

		slurm_lab__sh("sacct -n -P -j %s -o State,TotalCPU > %s 2>/dev/null", key, path);
		f = fopen(path, "r");
		if (f && fgets(line, sizeof(line), f) && strncmp(line, "RUNNING", 7) &&
		    strchr(line, '|'))
			cpu = slurm_time_s(strchr(line, '|') + 1);
		if (f)
			fclose(f);
		if (cpu < 0)
			slurm_lab__sleep_ms(100);
	}
	return cpu;
}

/*
 * Once the step at @sync says its work is done (@sync.done holds its job and
 * step ids), Slurm's live view of it, "AveCPU T cpu=T" (TresUsageInTot), into
 * @buf; then lets the step end (@sync.go).
 */
static void sstat_of_step(const char *sync, char *buf, size_t size)
{
	char path[700], cmd[800], ids[64] = "", line[160], *bar, *tres;
	FILE *f = NULL;

	snprintf(buf, size, "?");
	snprintf(path, sizeof(path), "%s.done", sync);
	for (int i = 0; i < 2400 && !f; i++) {
		f = fopen(path, "r");
		if (!f)
			slurm_lab__sleep_ms(50);
	}
	if (!f)
		return; /* the step failed early: its exit status tells */
	if (!fgets(ids, sizeof(ids), f))
		ids[0] = '\0';
	fclose(f);
	ids[strcspn(ids, "\n")] = '\0';
	snprintf(cmd, sizeof(cmd),
		 "SLURM_CONF=%s/etc/slurm.conf sstat -n -P -j %s -o AveCPU,TresUsageInTot 2>&1",
		 lab.dir, ids);
	f = popen(cmd, "r");
	if (f && fgets(line, sizeof(line), f) && (bar = strchr(line, '|'))) {
		*bar = '\0';
		tres = strstr(bar + 1, "cpu=");
		if (tres)
			tres[strcspn(tres, ",\n")] = '\0';
		snprintf(buf, size, "AveCPU %s, TRES %s", line, tres ? tres : "?");
	}
	if (f)
		pclose(f);
	snprintf(path, sizeof(path), "%s.go", sync);
	f = fopen(path, "w");
	if (f)
		fclose(f);
}

/*
 * One churn step: counts exact, exit classes as chosen, CPU within 0.5% of
 * the task cgroup's cpuacct.usage. @uid: run as that user (-1: root).
 */
static void churn_step(const char *name, const char *churn_args, int status, int uid)
{
	char err[600], truth[600], usage[600], uidopt[64] = "", key[64];
	json_t *r, *t, *u;
	char sync[600], sstat[256];
	long long procs, cpu_truth, cpu;
	double t0, sacct;
	int rc, id;
	pid_t srun;

	snprintf(err, sizeof(err), "%s/%s.err", lab.dir, name);
	/* out/ is 1777: a job user writes its truth there too. */
	snprintf(truth, sizeof(truth), "%s/out/%s.truth.json", lab.dir, name);
	snprintf(usage, sizeof(usage), "%s/out/%s.cpuacct.json", lab.dir, name);
	if (uid >= 0)
		snprintf(uidopt, sizeof(uidopt), "setpriv --reuid=%d --regid=%d --clear-groups", uid,
			 uid);
	snprintf(sync, sizeof(sync), "%s/out/%s.sync", lab.dir, name);
	t0 = now_s();
	srun = fork();
	/* As the user themselves: root's srun --uid cannot take slurmctld's reply (munge). */
	if (srun == 0)
		_exit(slurm_lab__sh("JT_SYNC=%s %s srun -n1 %s/test_slurm --step %d %s %s/churn "
				    "--truth %s %s 2>%s",
				    sync, uidopt, lab.dir, status, usage, lab.dir, truth, churn_args,
				    err));
	sstat_of_step(sync, sstat, sizeof(sstat));
	assert_int_equal(waitpid(srun, &rc, 0), srun);
	assert_true(WIFEXITED(rc));
	assert_int_equal(WEXITSTATUS(rc), status);
	id = slurm_lab__job_id(err);
	assert_true(id > 0);
	snprintf(key, sizeof(key), "%d.0", id);
	r = slurm_lab__report(key);
	t = slurm_lab__load(truth);
	u = slurm_lab__load(usage);
	assert_non_null(r);
	assert_non_null(t);
	assert_non_null(u);
	snprintf(err, sizeof(err), "slurm:%s", key);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "job"), "key")),
			    err);
	/* The task (this binary) and churn's whole tree, orphans included. */
	procs = json_integer_value(json_object_get(t, "processes")) + 1;
	cpu_truth = json_integer_value(json_object_get(u, "cpuacct_usage_ns"));
	cpu = jint(r, "cpu", "total_ns");
	printf("  %-8s slurm:%-6s jobtrace: %lld started, %lld exited, ok/err/sig %lld/%lld/%lld, "
	       "cpu %.3f s | truth: %lld processes, ok/err/sig %lld/%lld/%lld, cpuacct %.3f s "
	       "(%+.2f%%), srun %.2f s\n",
	       name, key, jint(r, "processes", "started"), jint(r, "processes", "exited"),
	       jint(r, "processes", "exit_ok"), jint(r, "processes", "exit_error"),
	       jint(r, "processes", "exit_signal"), cpu / 1e9, procs,
	       json_integer_value(json_object_get(t, "exit_ok")) + (status == 0),
	       json_integer_value(json_object_get(t, "exit_error")) + (status != 0),
	       json_integer_value(json_object_get(t, "exit_signal")), cpu_truth / 1e9,
	       100.0 * (double)(cpu - cpu_truth) / (double)cpu_truth, now_s() - t0);
	sacct = sacct_total_cpu(key);
	printf("  %-8s slurm:%-6s Slurm's own: sstat at the task's end %s, sacct TotalCPU %.3f s "
	       "(%+.1f%%)\n",
	       "", key, sstat, sacct, 100.0 * (sacct * 1e9 - cpu_truth) / cpu_truth);
	/* The comparison is real only if Slurm answered both. */
	assert_non_null(strstr(sstat, "AveCPU "));
	assert_true(sacct >= 0);
	assert_int_equal(jint(r, "processes", "started"), procs);
	assert_int_equal(jint(r, "processes", "exited"), procs);
	assert_int_equal(jint(r, "processes", "alive"), 0);
	assert_int_equal(jint(r, "processes", "exit_ok"),
			 json_integer_value(json_object_get(t, "exit_ok")) + (status == 0));
	assert_int_equal(jint(r, "processes", "exit_error"),
			 json_integer_value(json_object_get(t, "exit_error")) + (status != 0));
	assert_int_equal(jint(r, "processes", "exit_signal"),
			 json_integer_value(json_object_get(t, "exit_signal")));
	assert_int_equal(jint(r, "threads", "started"),
			 json_integer_value(json_object_get(t, "threads")));
	/* The adopted task is the step job's root: its status is the job's. */
	assert_int_equal(jint(r, "job", "exit_code"), status);
	assert_int_equal(jint(r, "events", "lost"), 0);
	assert_true(cpu_truth > 0);
	assert_true(llabs(cpu - cpu_truth) * 1000 <= cpu_truth * 5);
	json_decref(r);
	json_decref(t);
	json_decref(u);
}

static void test_churn_steps(void **state)
{
	churn_step("churn", "--children 2000 --orphans 10 --fail 7 --kill 3 --threads 4", 3, -1);
	churn_step("varied", "--children 600 --varied --burn-us 1000 --orphans 5 --orphan-ms 200", 0, -1);
}

static void test_non_root_user(void **state)
{
	char path[600];
	struct stat sb;
	int id;

	churn_step("nobody", "--children 300 --burn-us 1000 --orphans 3 --fail 2", 0, 65534);
	/* The report is the admin's file, not the job user's. */
	snprintf(path, sizeof(path), "%s/nobody.err", lab.dir);
	id = slurm_lab__job_id(path);
	snprintf(path, sizeof(path), "%s/reports/slurm:%d.0.json", lab.dir, id);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_uid, 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
}

static void test_batch_with_inner_step(void **state)
{
	char out[600], key[64], line[256];
	json_t *b, *s;
	FILE *f;
	int id = -1;

	snprintf(out, sizeof(out), "%s/batch.out", lab.dir);
	assert_int_equal(slurm_lab__sh("sbatch -W -o %s --wrap 'srun -n1 %s/churn --children 50 "
				       "--fail 1; exit 0' > %s/batch.id",
				       out, lab.dir, lab.dir),
			 0);
	snprintf(out, sizeof(out), "%s/batch.id", lab.dir);
	f = fopen(out, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Submitted batch job %d", &id) == 1)
			break;
	if (f)
		fclose(f);
	assert_true(id > 0);
	snprintf(key, sizeof(key), "%d.batch", id);
	b = slurm_lab__report(key);
	snprintf(key, sizeof(key), "%d.0", id);
	s = slurm_lab__report(key);
	assert_non_null(b);
	assert_non_null(s);
	/* The inner step's processes are its own, not the batch step's: disjoint trees. */
	assert_int_equal(jint(s, "processes", "started"), 52); /* churn, 50 children, 1 failing */
	assert_int_equal(jint(s, "processes", "exit_error"), 1);
	assert_true(jint(b, "processes", "started") >= 2); /* the script's shell, srun */
	printf("  batch    slurm:%d.batch %lld processes; slurm:%d.0 %lld processes\n", id,
	       jint(b, "processes", "started"), id, jint(s, "processes", "started"));
	/* Two jobs, two series in serve's /metrics, each with its report's counts. */
	snprintf(key, sizeof(key), "slurm:%d.batch", id);
	assert_int_equal(metric_wait("jobtrace_job_processes_started_total", key,
				     jint(b, "processes", "started")),
			 jint(b, "processes", "started"));
	assert_int_equal(metric_wait("jobtrace_job_processes_exited_total", key,
				     jint(b, "processes", "exited")),
			 jint(b, "processes", "exited"));
	snprintf(key, sizeof(key), "slurm:%d.0", id);
	assert_int_equal(metric_wait("jobtrace_job_processes_started_total", key, 52), 52);
	assert_int_equal(metric_wait("jobtrace_job_processes_exited_total", key, 52), 52);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "job"), "key")),
			    key);
	snprintf(key, sizeof(key), "slurm:%d.batch", id);
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "job"), "key")),
			    key);
	json_decref(b);
	json_decref(s);
}

/*
 * Puts a process forked here (outside the step's tree) into the freezer cgroup
 * @rel, as pam_slurm_adopt does, and lets it exec churn. serve, grouping by
 * freezer (proctrack/cgroup's hierarchy), follows it in that cgroup's
 * host-mode job from the move on: churn's children are that job's. The number
 * of processes churn started (its tree less itself, which moved in).
 */
static long long adopt_into(const char *rel, const char *name)
{
	char path[600], truth[600], key[512], c;
	long long before, want, got;
	int pfd[2], st;
	json_t *t;
	pid_t p;
	FILE *f;

	snprintf(key, sizeof(key), "cgroup:%s", rel);
	{
		char *body = slurm_lab__metrics_get();

		before = metric_of(body, "jobtrace_job_processes_started_total", key);
		free(body);
	}
	if (before < 0)
		before = 0;
	snprintf(truth, sizeof(truth), "%s/out/%s.truth.json", lab.dir, name);
	assert_int_equal(pipe(pfd), 0);
	p = fork();
	if (p == 0) {
		char churn[600];

		close(pfd[1]);
		if (read(pfd[0], &c, 1) != 1)
			_exit(126);
		snprintf(churn, sizeof(churn), "%s/churn", lab.dir);
		execl(churn, churn, "--children", "40", "--fail", "2", "--orphans", "2",
		      "--orphan-ms", "100", "--truth", truth, NULL);
		_exit(127);
	}
	close(pfd[0]);
	snprintf(path, sizeof(path), "/sys/fs/cgroup/freezer%s/cgroup.procs", rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", (int)p);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(write(pfd[1], "x", 1), 1);
	close(pfd[1]);
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st));
	t = slurm_lab__load(truth);
	assert_non_null(t);
	want = json_integer_value(json_object_get(t, "processes")) - 1;
	json_decref(t);
	got = metric_wait("jobtrace_job_processes_started_total", key, before + want);
	printf("  adopted  %s: %lld processes started after the move (truth %lld)\n", key,
	       got - before, want);
	assert_int_equal(got - before, want);
	return want;
}

/*
 * Processes that enter a job from outside (pam_slurm_adopt: the extern step;
 * or a step's cgroup): covered as the host-mode job of their freezer cgroup,
 * not as the step's slurm: job, whose count does not move.
 */
static void test_adopted(void **state)
{
	char dir[600], path[700], rel[400], key[64];
	int id = -1, st;
	pid_t srun;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/hold", lab.dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	srun = fork();
	if (srun == 0)
		_exit(slurm_lab__sh("srun -n1 %s/test_slurm --hold %s 2>%s/hold.err", lab.dir, dir,
				    lab.dir));
	snprintf(path, sizeof(path), "%s/ready", dir);
	for (int i = 0; i < 300 && access(path, F_OK); i++)
		slurm_lab__sleep_ms(50);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &id), 1);
	fclose(f);
	snprintf(key, sizeof(key), "slurm:%d.0", id);
	/* The extern step (PrologFlags=Contain): pam_slurm_adopt's target. */
	snprintf(rel, sizeof(rel), "/slurm_%s/uid_0/job_%d/step_extern", lab.node, id);
	adopt_into(rel, "adopt_extern");
	/* A step's own cgroup: the process is covered, but under the cgroup's key. */
	snprintf(rel, sizeof(rel), "/slurm_%s/uid_0/job_%d/step_0", lab.node, id);
	adopt_into(rel, "adopt_step0");
	assert_int_equal(metric_wait("jobtrace_job_processes_started_total", key, 1), 1);
	snprintf(path, sizeof(path), "%s/go", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(waitpid(srun, &st, 0), srun);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* serve stopped: the step runs and succeeds, the plugin logs one line for it. */
static void test_serve_absent(void **state)
{
	char path[600], line[1024], want[64];
	int st, id, lines = 0;
	double t0;
	FILE *f;

	kill(lab.serve_pid, SIGTERM);
	waitpid(lab.serve_pid, &st, 0);
	lab.serve_pid = 0;
	t0 = now_s();
	assert_int_equal(slurm_lab__sh("srun -n1 /bin/true 2>%s/absent.err", lab.dir), 0);
	printf("  absent   srun %.2f s without serve\n", now_s() - t0);
	snprintf(path, sizeof(path), "%s/absent.err", lab.dir);
	id = slurm_lab__job_id(path);
	assert_true(id > 0);
	snprintf(want, sizeof(want), "jobtrace: slurm:%d.0 untracked", id);
	snprintf(path, sizeof(path), "%s/log/slurmd.log", lab.dir);
	slurm_lab__sleep_ms(200);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		lines += strstr(line, want) != NULL;
	if (f)
		fclose(f);
	assert_int_equal(lines, 1);
}

/* The step's side of sstat_of_step(): SYNC.done with the step's ids, then SYNC.go, within 60 s. */
static void sync_with_test(const char *sync)
{
	char path[700], done[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s.tmp", sync);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "%s.%s\n", getenv("SLURM_JOB_ID") ?: "0", getenv("SLURM_STEP_ID") ?: "0");
	fclose(f);
	snprintf(done, sizeof(done), "%s.done", sync);
	rename(path, done);
	snprintf(path, sizeof(path), "%s.go", sync);
	for (int i = 0; i < 1200 && access(path, F_OK); i++)
		slurm_lab__sleep_ms(50);
}

/*
 * --step STATUS CPUACCT_OUT CHURN ARGS...: the task of a churn step. Its CPU
 * truth is the step's cpuacct cgroup where Slurm made one (jobacct_gather/cgroup);
 * under jobacct_gather/linux Slurm makes none, and a root task makes its own
 * (tests/bench_slurm.py): Slurm's linux gather reads /proc, not cpuacct.
 */
static int step_main(int argc, char **argv)
{
	char line[512], cg[400] = "", path[600];
	int status = atoi(argv[2]), st;
	bool own = false;
	long long usage = 0;
	pid_t p;
	FILE *f;

	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d:cpuacct:%399s", cg) == 1)
			break;
	if (f)
		fclose(f);
	if (!strstr(cg, "/slurm_") && geteuid() == 0) {
		snprintf(cg, sizeof(cg), "/jobtrace-truth-%d", (int)getpid());
		snprintf(path, sizeof(path), "/sys/fs/cgroup/cpuacct%s", cg);
		own = !mkdir(path, 0755);
		snprintf(path, sizeof(path), "/sys/fs/cgroup/cpuacct%s/cgroup.procs", cg);
		f = own ? fopen(path, "w") : NULL;
		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
			return 125;
	}
	p = fork();
	if (p == 0) {
		execv(argv[4], argv + 4);
		_exit(127);
	}
	waitpid(p, &st, 0);
	/* The orphans end on their own: wait until the task cgroup holds only us. */
	snprintf(path, sizeof(path), "/sys/fs/cgroup/cpuacct%s/cgroup.procs", cg);
	for (int i = 0; i < 1000; i++) {
		int n = 0;

		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			n++;
		if (f)
			fclose(f);
		if (n <= 1)
			break;
		slurm_lab__sleep_ms(10);
	}
	/* The work is done: the test asks Slurm what it sees of the step now (JT_SYNC). */
	if (getenv("JT_SYNC"))
		sync_with_test(getenv("JT_SYNC"));
	snprintf(path, sizeof(path), "/sys/fs/cgroup/cpuacct%s/cpuacct.usage", cg);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%lld", &usage) != 1)
		usage = -1;
	if (f)
		fclose(f);
	if (own) {
		f = fopen("/sys/fs/cgroup/cpuacct/cgroup.procs", "w");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
		snprintf(path, sizeof(path), "/sys/fs/cgroup/cpuacct%s", cg);
		rmdir(path);
	}
	f = fopen(argv[3], "w");
	if (f) {
		fprintf(f, "{\"cpuacct_usage_ns\":%lld,\"cgroup\":\"%s\"", usage, cg);
		fprintf(f, "}\n");
		fclose(f);
	}
	return status;
}

/* --hold DIR: a step that writes DIR/ready (its job id) and runs until DIR/go exists. */
static int hold_main(const char *dir)
{
	char path[700], ready[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ready.tmp", dir);
	f = fopen(path, "w");
	if (!f)
		return 1;
	fprintf(f, "%s\n", getenv("SLURM_JOB_ID") ?: "0");
	fclose(f);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	rename(path, ready);
	snprintf(path, sizeof(path), "%s/go", dir);
	for (int i = 0; i < 600 && access(path, F_OK); i++)
		slurm_lab__sleep_ms(50);
	return 0;
}

static int setup(void **state)
{
	/* slurmdbd with MariaDB, so that sacct has the steps: about 10 s more. */
	if (slurm_lab__start("slurm", "test_slurm", true, "LAB_DBD=1", 1))
		return -1;
	/* Host mode by the freezer hierarchy, proctrack/cgroup's: see test_adopted. */
	return slurm_lab__serve((const char *const[]){ "-g", "cgroup1:freezer", NULL });
}

static int teardown(void **state)
{
	return slurm_lab__stop();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn_steps),
		cmocka_unit_test(test_batch_with_inner_step),
		cmocka_unit_test(test_non_root_user),
		cmocka_unit_test(test_adopted),
		cmocka_unit_test(test_serve_absent),
	};

	if (argc >= 5 && !strcmp(argv[1], "--step"))
		return step_main(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "--hold"))
		return hold_main(argv[2]);
	slurm_lab__find_self();
	return cmocka_run_group_tests(tests, setup, teardown);
}
