// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Slurm end to end: a single-node cluster from Debian's packages, started in
 * a scratch directory by tests/slurm/lab.sh (munged, slurmctld -D, slurmd -D)
 * with the SPANK plugin in its plugstack.conf, and `jobtrace serve --control`.
 * Steps run this binary as their task (`--step`): it runs churn, waits until
 * its task cgroup holds only itself (the orphans are done), and writes the
 * cgroup's cpuacct.usage, the CPU truth, before it exits with its chosen
 * status. Ground truth: churn's --truth file, the chosen status, cpuacct.
 * Needs root, BPF and the Slurm packages (make deps); fails, never skips.
 */
#include "testutil.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char lab[] = "/tmp/jobtrace-slurm-XXXXXX";
static char jobtrace[512], self_exe[512], srcdir[512];
static pid_t serve_pid;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A shell command with the lab's SLURM_CONF; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096], full[4200];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "SLURM_CONF=%s/etc/slurm.conf; export SLURM_CONF; %s", lab,
		 cmd);
	st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The report of @step_key ("12.0") once serve has written it, within 10 s. */
static json_t *report_of(const char *step_key)
{
	char path[600];
	json_error_t e;

	snprintf(path, sizeof(path), "%s/reports/%s.json", lab, step_key);
	for (int i = 0; i < 200 && access(path, F_OK); i++)
		sleep_ms(50);
	json_t *r = json_load_file(path, 0, &e);

	if (!r)
		fprintf(stderr, "no report %s: %s\n", path, e.text);
	return r;
}

static long long jint(json_t *r, const char *obj, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(r, obj), key));
}

/* The job id srun printed ("srun: job 12 ..."), from its stderr file. */
static int job_id_of(const char *errfile)
{
	char line[512];
	int id = -1;
	FILE *f = fopen(errfile, "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "srun: job %d", &id) == 1)
			break;
	if (f)
		fclose(f);
	return id;
}

static json_t *load(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);

	if (!j)
		fprintf(stderr, "cannot read %s: %s\n", path, e.text);
	return j;
}

/*
 * One churn step: counts exact, exit classes as chosen, CPU within 0.5% of
 * the task cgroup's cpuacct.usage. @uid: run as that user (-1: root).
 */
static void churn_step(const char *name, const char *churn_args, int status, int uid)
{
	char err[600], truth[600], usage[600], uidopt[64] = "", key[64];
	json_t *r, *t, *u;
	long long procs, cpu_truth, cpu;
	int rc, id;
	double t0;

	snprintf(err, sizeof(err), "%s/%s.err", lab, name);
	/* out/ is 1777: a job user writes its truth there too. */
	snprintf(truth, sizeof(truth), "%s/out/%s.truth.json", lab, name);
	snprintf(usage, sizeof(usage), "%s/out/%s.cpuacct.json", lab, name);
	if (uid >= 0)
		snprintf(uidopt, sizeof(uidopt), "setpriv --reuid=%d --regid=%d --clear-groups", uid,
			 uid);
	t0 = now_s();
	/* As the user themselves: root's srun --uid cannot take slurmctld's reply (munge). */
	rc = sh("%s srun -n1 %s/test_slurm --step %d %s %s/churn --truth %s %s 2>%s", uidopt, lab,
		status, usage, lab, truth, churn_args, err);
	assert_int_equal(rc, status);
	id = job_id_of(err);
	assert_true(id > 0);
	snprintf(key, sizeof(key), "%d.0", id);
	r = report_of(key);
	t = load(truth);
	u = load(usage);
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
	snprintf(path, sizeof(path), "%s/nobody.err", lab);
	id = job_id_of(path);
	snprintf(path, sizeof(path), "%s/reports/%d.0.json", lab, id);
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

	snprintf(out, sizeof(out), "%s/batch.out", lab);
	assert_int_equal(sh("sbatch -W -o %s --wrap 'srun -n1 %s/churn --children 50 --fail 1; "
			    "exit 0' > %s/batch.id",
			    out, lab, lab),
			 0);
	snprintf(out, sizeof(out), "%s/batch.id", lab);
	f = fopen(out, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Submitted batch job %d", &id) == 1)
			break;
	if (f)
		fclose(f);
	assert_true(id > 0);
	snprintf(key, sizeof(key), "%d.batch", id);
	b = report_of(key);
	snprintf(key, sizeof(key), "%d.0", id);
	s = report_of(key);
	assert_non_null(b);
	assert_non_null(s);
	/* The inner step's processes are its own, not the batch step's: disjoint trees. */
	assert_int_equal(jint(s, "processes", "started"), 52); /* churn, 50 children, 1 failing */
	assert_int_equal(jint(s, "processes", "exit_error"), 1);
	assert_true(jint(b, "processes", "started") >= 2); /* the script's shell, srun */
	printf("  batch    slurm:%d.batch %lld processes; slurm:%d.0 %lld processes\n", id,
	       jint(b, "processes", "started"), id, jint(s, "processes", "started"));
	json_decref(b);
	json_decref(s);
}

/* serve stopped: the step runs and succeeds, the plugin logs one line for it. */
static void test_serve_absent(void **state)
{
	char path[600], line[1024], want[64];
	int st, id, lines = 0;
	double t0;
	FILE *f;

	kill(serve_pid, SIGTERM);
	waitpid(serve_pid, &st, 0);
	serve_pid = 0;
	t0 = now_s();
	assert_int_equal(sh("srun -n1 /bin/true 2>%s/absent.err", lab), 0);
	printf("  absent   srun %.2f s without serve\n", now_s() - t0);
	snprintf(path, sizeof(path), "%s/absent.err", lab);
	id = job_id_of(path);
	assert_true(id > 0);
	snprintf(want, sizeof(want), "jobtrace: slurm:%d.0 untracked", id);
	snprintf(path, sizeof(path), "%s/log/slurmd.log", lab);
	sleep_ms(200);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		lines += strstr(line, want) != NULL;
	if (f)
		fclose(f);
	assert_int_equal(lines, 1);
}

/* --step STATUS CPUACCT_OUT CHURN ARGS...: the task of a churn step. */
static int step_main(int argc, char **argv)
{
	char line[512], cg[400] = "", path[600];
	int status = atoi(argv[2]), st;
	long long usage = 0;
	pid_t p;
	FILE *f;

	p = fork();
	if (p == 0) {
		execv(argv[4], argv + 4);
		_exit(127);
	}
	waitpid(p, &st, 0);
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d:cpuacct:%399s", cg) == 1)
			break;
	if (f)
		fclose(f);
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
		sleep_ms(10);
	}
	snprintf(path, sizeof(path), "/sys/fs/cgroup/cpuacct%s/cpuacct.usage", cg);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%lld", &usage) != 1)
		usage = -1;
	if (f)
		fclose(f);
	f = fopen(argv[3], "w");
	if (f) {
		fprintf(f, "{\"cpuacct_usage_ns\":%lld,\"cgroup\":\"%s\"}\n", usage, cg);
		fclose(f);
	}
	return status;
}

static int setup(void **state)
{
	const char *out = getenv("OUTPUT") ? getenv("OUTPUT") : ".output";
	char reports[600];

	if (geteuid() != 0) {
		fprintf(stderr, "FAIL: the Slurm tests start a cluster and load BPF: they need root\n");
		return -1;
	}
	if (access("/usr/sbin/slurmd", X_OK) || access("/usr/sbin/munged", X_OK) ||
	    access("/usr/sbin/slurmctld", X_OK)) {
		fprintf(stderr, "FAIL: slurmd, slurmctld or munged is missing: run make deps\n");
		return -1;
	}
	if (!getcwd(srcdir, sizeof(srcdir)))
		return -1;
	snprintf(jobtrace, sizeof(jobtrace), "%s/jobtrace", out);
	if (!mkdtemp(lab) || chmod(lab, 0755))
		return -1;
	/* Everything a job user runs lives in the lab: /work may not be theirs to read. */
	if (sh("cp %s/churn %s/jobtrace_spank.so %s/ && cp %s %s/test_slurm && mkdir -p %s/reports %s/out && "
	       "chmod 1777 %s/out",
	       out, out, lab, self_exe, lab, lab, lab, lab))
		return -1;
	if (sh("%s/tests/slurm/lab.sh start %s %s/jobtrace_spank.so socket=%s/ctl.sock "
	       "reports=%s/reports timeout=1000 >%s/lab.out 2>&1 || { cat %s/lab.out; exit 1; }",
	       srcdir, lab, lab, lab, lab, lab, lab)) {
		fprintf(stderr, "FAIL: the cluster did not start (see above)\n");
		return -1;
	}
	snprintf(reports, sizeof(reports), "%s/reports", lab);
	serve_pid = fork();
	if (serve_pid == 0) {
		char sock[600], log[600];

		snprintf(sock, sizeof(sock), "%s/ctl.sock", lab);
		snprintf(log, sizeof(log), "%s/log/serve.log", lab);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		dup2(fd, 1);
		execl(jobtrace, jobtrace, "serve", "--control", sock, "--reports", reports, NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		char sock[600];

		snprintf(sock, sizeof(sock), "%s/ctl.sock", lab);
		if (!access(sock, F_OK))
			return 0;
		sleep_ms(50);
	}
	fprintf(stderr, "FAIL: jobtrace serve --control did not make its socket\n");
	return -1;
}

static int teardown(void **state)
{
	int st;

	if (serve_pid > 0) {
		kill(serve_pid, SIGTERM);
		waitpid(serve_pid, &st, 0);
	}
	sh("%s/tests/slurm/lab.sh stop %s", srcdir, lab);
	if (getenv("KEEP_LAB"))
		fprintf(stderr, "the lab stays in %s\n", lab);
	else
		sh("rm -rf %s", lab);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn_steps),
		cmocka_unit_test(test_batch_with_inner_step),
		cmocka_unit_test(test_non_root_user),
		cmocka_unit_test(test_serve_absent),
	};
	ssize_t n;

	if (argc >= 5 && !strcmp(argv[1], "--step"))
		return step_main(argc, argv);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n > 0)
		self_exe[n] = '\0';
	return cmocka_run_group_tests(tests, setup, teardown);
}
