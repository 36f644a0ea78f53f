// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve --history end to end: a churn whose every child's status the test
 * knows (churn --varied --log), serve killed with -9 once the churn's job
 * line is out, restarted on the same directory, a second churn; then
 * `jobtrace history --json` over the whole span has every process of both
 * churns with the status churn chose, and both job lines, and --failed
 * exactly the failures. Retention removes the oldest files past
 * --history-max, counted in /metrics. A history on a full tmpfs stops alone: serve's
 * -o output goes on, and serve exits 0. And tests/soak_history.sh for 20 s.
 */
#include "testutil.h"
#include "harness.h"

#include <sys/mount.h>

#include "jobtrace/history.h"

#define CHILDREN 40

struct child_truth {
	int pid, code, sig;
};

static char mnt[600];

static pid_t serve_start(char *const argv[], const char *err)
{
	pid_t p = harness__spawn(argv, "-", err);

	if (harness__wait_text(err, "jobtrace: serving", 20000) < 0) {
		kill(p, SIGKILL);
		harness__wait(p);
		fail_msg("serve did not start:\n%s", harness__read(err));
	}
	return p;
}

/* Runs churn in a new cgroup v2 @name, waits for it; returns its pid. */
static pid_t churn_in_cgroup(const char *name, const char *log)
{
	char n[16];
	char *argv[] = { H.churn, "--children", n, "--varied", "--log", (char *)log, NULL };
	pid_t p;
	int st;

	snprintf(n, sizeof(n), "%d", CHILDREN);
	harness__cgroup_make(name);
	unlink(log);
	p = harness__cgroup_spawn(name, argv, NULL, "-");
	st = harness__wait_s(p, 60);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	return p;
}

static size_t load_truth(const char *log, struct child_truth *t, size_t max)
{
	FILE *f = fopen(log, "r");
	unsigned long long ns;
	size_t n = 0;
	long idx;

	assert_non_null(f);
	while (n < max && fscanf(f, "%d %ld %d %d %llu", &t[n].pid, &idx, &t[n].code, &t[n].sig,
				 &ns) == 5)
		n++;
	fclose(f);
	return n;
}

/* Waits until @path (JSON lines) has the "job" line of @key. */
static void wait_job_line(const char *path, const char *key)
{
	char want[200];

	snprintf(want, sizeof(want), "\"type\":\"job\",");
	for (int i = 0; i < 500; i++) {
		char *text = harness__read(path);
		char k[200];
		bool found;

		snprintf(k, sizeof(k), "\"key\":\"%s\"", key);
		found = strstr(text, k) && strstr(text, want);
		free(text);
		if (found)
			return;
		harness__sleep_ms(20);
	}
	fail_msg("no job line of %s in %s", key, path);
}

struct seen {
	size_t exits, matched, failed, jobs;
};

/* Checks the lines of @out for job @key against churn's truth. */
static struct seen check_history(const char *out, const char *key, const struct child_truth *t,
				 size_t nt, int churn_pid)
{
	struct seen s = {};
	char line[65536];
	FILE *f = fopen(out, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_error_t err;
		json_t *r = json_loads(line, 0, &err);
		const char *type, *job;

		if (!r)
			fail_msg("%s: not JSON: %s", out, err.text);
		type = json_string_value(json_object_get(r, "type"));
		assert_non_null(type);
		if (!strcmp(type, "job")) {
			job = json_string_value(json_object_get(json_object_get(r, "job"), "key"));
			s.jobs += job && !strcmp(job, key);
			json_decref(r);
			continue;
		}
		assert_string_equal(type, "exit");
		job = json_string_value(json_object_get(r, "job"));
		if (!job || strcmp(job, key)) {
			json_decref(r);
			continue;
		}
		s.exits++;
		if (!json_is_null(json_object_get(r, "signal")) ||
		    json_integer_value(json_object_get(r, "exit_code")) != 0)
			s.failed++;
		for (size_t i = 0; i < nt; i++) {
			int pid = (int)json_integer_value(json_object_get(r, "pid"));

			if (t[i].pid != pid)
				continue;
			s.matched++;
			assert_int_equal(json_integer_value(json_object_get(r, "ppid")), churn_pid);
			if (t[i].sig)
				assert_int_equal(json_integer_value(json_object_get(r, "signal")),
						 t[i].sig);
			else
				assert_int_equal(json_integer_value(json_object_get(r, "exit_code")),
						 t[i].code);
		}
		json_decref(r);
	}
	fclose(f);
	return s;
}

static size_t failures(const struct child_truth *t, size_t nt)
{
	size_t n = 0;

	for (size_t i = 0; i < nt; i++)
		n += t[i].sig || t[i].code;
	return n;
}

static void history_json(const char *dir, const char *flag, const char *out)
{
	char *argv[] = { H.jobtrace, "history", "--json", (char *)dir, (char *)flag, NULL };

	if (flag) {
		argv[3] = (char *)flag;
		argv[4] = (char *)dir;
	}
	assert_int_equal(harness__exit_code(argv, out, "-"), 0);
}

static void test_kill9_and_restart(void **state)
{
	char dir[300], err1[300], err2[300], out1[300], out2[300], log1[300], log2[300];
	char all[300], failed[300], key1[100], key2[100];
	char *serve1[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", "--history", dir,
			   "--history-rotate", "1", "-o", out1, NULL };
	char *serve2[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", "--history", dir,
			   "--history-rotate", "1", "-o", out2, NULL };
	struct child_truth t1[CHILDREN], t2[CHILDREN];
	size_t n1, n2, zst = 0;
	struct seen s1, s2, f1, f2;
	struct history_file *files;
	struct stat sb;
	pid_t serve, c1, c2;
	int dfd, n, st;

	snprintf(dir, sizeof(dir), "%s/history", H.tmpdir);
	harness__path(err1, sizeof(err1), "serve1.err");
	harness__path(err2, sizeof(err2), "serve2.err");
	harness__path(out1, sizeof(out1), "out1.jsonl");
	harness__path(out2, sizeof(out2), "out2.jsonl");
	harness__path(log1, sizeof(log1), "churn1.log");
	harness__path(log2, sizeof(log2), "churn2.log");
	harness__path(all, sizeof(all), "all.jsonl");
	harness__path(failed, sizeof(failed), "failed.jsonl");
	snprintf(key1, sizeof(key1), "cgroup:/jt-history-1-%d", getpid());
	snprintf(key2, sizeof(key2), "cgroup:/jt-history-2-%d", getpid());

	serve = serve_start(serve1, err1);
	c1 = churn_in_cgroup(key1 + 8, log1);
	/*
	 * In -o, then a pass more (-i 0.2) before the kill: -o's stdio buffer
	 * may write the line in the middle of its pass, before that pass's
	 * flush writes it to the history, and a kill -9 loses the pass it
	 * lands in (jobtrace(8), --history).
	 */
	wait_job_line(out1, key1);
	harness__sleep_ms(500);
	assert_int_equal(kill(serve, SIGKILL), 0);
	harness__wait(serve);
	harness__cgroup_remove(key1 + 8);
	/* A new second: the restart's file is a new one, and the killed one's is compressed. */
	harness__sleep_ms(1100);

	serve = serve_start(serve2, err2);
	c2 = churn_in_cgroup(key2 + 8, log2);
	wait_job_line(out2, key2);
	assert_int_equal(kill(serve, SIGTERM), 0);
	st = harness__wait_s(serve, 20);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	harness__cgroup_remove(key2 + 8);

	/* The directory and its files: 0750 and 0640; closed files compressed. */
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0750);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	n = history__list(dfd, &files);
	if (n < 2)
		fail_msg("%d history files in %s", n, dir);
	for (int i = 0; i < n; i++) {
		struct stat fs;

		assert_int_equal(fstatat(dfd, files[i].name, &fs, 0), 0);
		assert_int_equal(fs.st_mode & 07777, 0640);
		zst += files[i].zst;
	}
	/* The one killed serve left plain is compressed by the next at its start. */
	assert_true(zst >= 1);
	free(files);
	close(dfd);

	n1 = load_truth(log1, t1, CHILDREN);
	n2 = load_truth(log2, t2, CHILDREN);
	assert_int_equal(n1, CHILDREN);
	assert_int_equal(n2, CHILDREN);
	history_json(dir, NULL, all);
	s1 = check_history(all, key1, t1, n1, c1);
	s2 = check_history(all, key2, t2, n2, c2);
	/* Every child and churn itself, each once; each job's line. */
	assert_int_equal(s1.matched, n1);
	assert_int_equal(s1.exits, n1 + 1);
	assert_int_equal(s2.matched, n2);
	assert_int_equal(s2.exits, n2 + 1);
	assert_int_equal(s1.jobs, 1);
	assert_int_equal(s2.jobs, 1);
	/* --failed: exactly the failures churn made, and the jobs they belong to. */
	history_json(dir, "--failed", failed);
	f1 = check_history(failed, key1, t1, n1, c1);
	f2 = check_history(failed, key2, t2, n2, c2);
	assert_true(failures(t1, n1) > 0);
	assert_int_equal(f1.exits, failures(t1, n1));
	assert_int_equal(f1.failed, f1.exits);
	assert_int_equal(f2.exits, failures(t2, n2));
	assert_int_equal(f1.jobs, 1);
	assert_int_equal(f2.jobs, 1);
}

/* Fills the tmpfs to its last byte; the filler file is @path. */
static void fill(const char *path)
{
	static char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) > 0)
		;
	while (write(fd, block, 1) > 0)
		;
	close(fd);
}

static void test_full_tmpfs(void **state)
{
	char dir[700], err[300], out[300], log[300], filler[700], key[100];
	char *argv[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", "--history", dir,
			 "-o", out, NULL };
	pid_t serve;
	int st;

	snprintf(mnt, sizeof(mnt), "%s/fs", H.tmpdir);
	mkdir(mnt, 0755);
	if (mount("jobtrace-test", mnt, "tmpfs", 0, "size=256k,mode=0755"))
		fail_msg("cannot mount a tmpfs on %s: %s", mnt, strerror(errno));
	snprintf(dir, sizeof(dir), "%s/history", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	harness__path(err, sizeof(err), "full.err");
	harness__path(out, sizeof(out), "full.jsonl");
	harness__path(log, sizeof(log), "churn3.log");
	snprintf(key, sizeof(key), "cgroup:/jt-history-3-%d", getpid());

	serve = serve_start(argv, err);
	fill(filler);
	churn_in_cgroup(key + 8, log);
	/* One message, and the other output goes on: the churn's job is there. */
	if (harness__wait_text(err, "history stops here", 10000) < 0)
		fail_msg("no message of the history stopping:\n%s", harness__read(err));
	wait_job_line(out, key);
	harness__cgroup_remove(key + 8);
	assert_int_equal(kill(serve, SIGTERM), 0);
	st = harness__wait_s(serve, 20);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(harness__has(err, "records were not kept in"));
}

/* A history file of @bytes, started @ago seconds before now, in @dir. */
static void seed(const char *dir, long ago, size_t bytes, char *name, size_t size)
{
	char path[700], *buf = malloc(bytes);
	int fd;

	assert_non_null(buf);
	memset(buf, '\n', bytes);
	assert_int_equal(history__file_name(time(NULL) - ago, name, size), 0);
	strcat(name, ".zst");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, bytes), (ssize_t)bytes);
	close(fd);
	free(buf);
}

/*
 * Three files of 40 KiB within the week, --history-max 64 KiB: the oldest
 * two go at the start (oldest first), the newest stays, and /metrics
 * counts the two.
 */
static void test_retention_by_size(void **state)
{
	char dir[300], err[300], old1[64], old2[64], new1[64], path[700], cmd[300], *text;
	char *argv[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", "--history", dir,
			 "--history-max", "65536", "--listen", "127.0.0.1:0", NULL };
	const char *at;
	double dropped;
	bool new_gone;
	pid_t serve;
	int port = 0, st;

	snprintf(dir, sizeof(dir), "%s/retention", H.tmpdir);
	assert_int_equal(mkdir(dir, 0750), 0);
	harness__path(err, sizeof(err), "retention.err");
	seed(dir, 300, 40960, old1, sizeof(old1));
	seed(dir, 200, 40960, old2, sizeof(old2));
	seed(dir, 100, 40960, new1, sizeof(new1));
	serve = serve_start(argv, err);
	text = harness__read(err);
	at = strstr(text, "/metrics on http://127.0.0.1:");
	if (!at || sscanf(at + strlen("/metrics on http://127.0.0.1:"), "%d", &port) != 1)
		fail_msg("no /metrics address:\n%s", text);
	assert_non_null(strstr(text, "removing the oldest files"));
	free(text);
	/* Looked at before the scrape, so that the count at the scrape includes it. */
	snprintf(path, sizeof(path), "%s/%s", dir, new1);
	new_gone = access(path, F_OK) != 0;
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import urllib.request as u; "
		 "print(u.urlopen(\"http://127.0.0.1:%d/metrics\").read().decode())' 2>&1 "
		 "| grep -e '^jobtrace_history' -e Error",
		 port);
	text = harness__sh_out(cmd, NULL);
	dropped = harness__sample(text, "jobtrace_history_files_dropped_total", -1);
	/*
	 * The two oldest went at the start. A busy host fills the 16 KiB
	 * file serve writes (a quarter of the cap) in a second, and then
	 * the newest seeded file goes too: oldest first, each counted.
	 */
	snprintf(path, sizeof(path), "%s/%s", dir, old1);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/%s", dir, old2);
	assert_int_equal(access(path, F_OK), -1);
	if (dropped < 2 + new_gone)
		fail_msg("/metrics says:\n%s", text);
	assert_true(harness__sample(text, "jobtrace_history_stopped", -1) == 0);
	free(text);
	assert_int_equal(kill(serve, SIGTERM), 0);
	st = harness__wait_s(serve, 20);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int umount_tmpfs(void **state)
{
	if (mnt[0]) {
		umount2(mnt, MNT_DETACH);
		rmdir(mnt);
		mnt[0] = '\0';
	}
	return 0;
}

/*
 * tests/soak_history.sh, short: 15 s of churn, serve killed -9 in it and
 * restarted, 5 s more. Its checks: every process record and job line -o
 * had is in `history --json` (but the killed pass's, within 2 s of the
 * kill), which the schema validates, and `top --replay --at` the middle
 * of the first run shows the churn's jobs that had an interval then.
 */
static void test_soak_short(void **state)
{
	char cmd[1200], out_dir[600];
	char *out;
	int code;

	(void)state;
	snprintf(out_dir, sizeof(out_dir), "%s", H.jobtrace);
	*strrchr(out_dir, '/') = '\0';
	snprintf(cmd, sizeof(cmd),
		 "OUTPUT='%s' SOAK_SECONDS=15 SOAK_AFTER=5 tests/soak_history.sh 2>&1 | tail -n 8",
		 out_dir);
	out = harness__sh_out(cmd, &code);
	print_message("%s", out);
	if (code || !strstr(out, "soak_history: OK"))
		fail_msg("tests/soak_history.sh (short) failed:\n%s", out);
	free(out);
}

static int setup(void **state)
{
	return harness__group_setup("history", true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill9_and_restart),
		cmocka_unit_test(test_retention_by_size),
		cmocka_unit_test_teardown(test_full_tmpfs, umount_tmpfs),
		cmocka_unit_test(test_soak_short),
	};

	return cmocka_run_group_tests(tests, setup, harness__group_teardown);
}
