// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * OOM kills, attributed (issue 19), as root with the real BPF programs: a
 * churn in a memory cgroup of the test's own, limited to 64 MiB, where one
 * child touches 200 MiB (the OOM killer takes it) and another kills itself
 * with SIGKILL (a kill -9). Ground truth: churn's log says which child died
 * of signal 9, the test set the limit, and the kernel's own counter
 * (memory.oom_control's oom_kill, or v2's memory.events.local) says one
 * kill. Both die of signal 9: only the OOM killer's victim is oom_killed,
 * with the cgroup and the limit it hit, in run's report and events, in
 * watch's, and in serve's stream as tail --json prints it.
 *
 * Where the machine has no memory controller at all, the same churn still
 * runs and no process may be called oom_killed.
 */
#include "harness.h"

#include "jobtrace/cgroupfs.h"
#include "jobtrace/memcg.h"
#include "jobtrace/util.h"

#define LIMIT_MIB 64

static struct cgroup_hier memh; /* where memory cgroups are; mount[0] == 0: none */
static char cg_name[64], cg_dir[600];

static bool memory_controller(void)
{
	char path[300], buf[512];

	if (!cgroupfs__find_mounted("memory", &memh))
		return true;
	if (cgroupfs__find_mounted(NULL, &memh))
		return false;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", memh.mount);
	if (util__read_file_at(AT_FDCWD, path, buf, sizeof(buf)) > 0 && strstr(buf, "memory"))
		return true;
	memh.mount[0] = '\0';
	return false;
}

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

static int setup(void **state)
{
	char limit[32];

	if (harness__setup("oom") || harness__require_bpf())
		return -1;
	if (!memory_controller()) {
		memh.mount[0] = '\0';
		return 0;
	}
	snprintf(cg_name, sizeof(cg_name), "jt-test-oom-%d", getpid());
	snprintf(cg_dir, sizeof(cg_dir), "%s/%s", memh.mount, cg_name);
	if (mkdir(cg_dir, 0755)) {
		fprintf(stderr, "FAIL: cannot make the memory cgroup %s: %s\n", cg_dir,
			strerror(errno));
		return -1;
	}
	snprintf(limit, sizeof(limit), "%d", LIMIT_MIB << 20);
	write_file(cg_dir, memh.hierarchy_id ? "memory.limit_in_bytes" : "memory.max", limit);
	/* No swap to go to: the limit is the memory (v1 has memsw only with swap accounting). */
	if (!memh.hierarchy_id)
		write_file(cg_dir, "memory.swap.max", "0");
	return 0;
}

static int teardown(void **state)
{
	char inner[700];

	harness__kill_running();
	if (cg_dir[0]) {
		/* test_oom_cgroup_gone_before_read's, where it failed before its rmdir. */
		snprintf(inner, sizeof(inner), "%s/gone", cg_dir);
		rmdir(inner);
		rmdir(cg_dir);
	}
	return harness__teardown();
}

/* The command that puts itself in the test's memory cgroup, then runs churn. */
static void churn_cmd(char *buf, size_t size, const char *log)
{
	if (memh.mount[0])
		snprintf(buf, size,
			 "echo $$ > %s/cgroup.procs && exec %s --children 4 --rss-mib 200 "
			 "--kill 1 --truth %s",
			 cg_dir, H.churn, log);
	else
		snprintf(buf, size, "exec %s --children 4 --rss-mib 200 --kill 1 --truth %s",
			 H.churn, log);
}

/* The kernel's own count of OOM kills in the test's memory cgroup. */
static __u64 cgroup_oom_kills(void)
{
	struct memcg_state st;
	int fd;

	if (!memh.mount[0])
		return 0;
	fd = open(cg_dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(memcg__read(fd, &st), 0);
	close(fd);
	return st.oom_kills;
}

/*
 * Of the processes that died of signal 9 (churn's kill -9, and the OOM
 * killer's where there is a memory controller), one is the
 * OOM killer's, the child that touched 200 MiB (its own peak RSS says so),
 * marked with the test's cgroup and limit and an RSS near the limit; the
 * other, the kill -9, is not. Returns the victim's pid.
 */
static bool in_job(json_t *job_exits, json_t *r)
{
	json_t *x;
	size_t i;

	if (!job_exits)
		return true;
	json_array_foreach(job_exits, i, x) if (harness__num(x, "pid") == harness__num(r, "pid") &&
						harness__num(x, "start_ns") ==
						    harness__num(r, "start_ns")) return true;
	return false;
}

/* @job_exits: run's own exit lines, to pick its processes out of a host-wide file; NULL: all. */
static int check_exits(const char *events, const char *truth_path, json_t *job_exits)
{
	json_t *all = harness__lines(events, "exit"), *r, *truth = harness__json(truth_path);
	int victim = 0, oom = 0, killed = 0;
	size_t i;

	json_array_foreach(all, i, r)
	{
		if (json_is_null(harness__get(r, "signal")) ||
		    harness__num(r, "signal") != SIGKILL || !in_job(job_exits, r))
			continue;
		killed++;
		if (json_is_true(harness__get(r, "oom_killed"))) {
			oom++;
			victim = (int)harness__num(r, "pid");
			assert_true(harness__num(r, "peak_rss_bytes") > (LIMIT_MIB << 20) / 2);
			assert_false(json_is_true(harness__get(r, "oom.global")));
			assert_string_equal(harness__str(r, "oom.cgroup"), strrchr(cg_dir, '/'));
			assert_int_equal(harness__num(r, "oom.limit_bytes"), LIMIT_MIB << 20);
			/* It was charged up to the limit when chosen: within it, and more than
			 * half. */
			assert_true(harness__num(r, "oom.rss_bytes") > (LIMIT_MIB << 20) / 2);
			assert_true(harness__num(r, "oom.rss_bytes") <= (LIMIT_MIB + 16) << 20);
		} else {
			/* The kill -9: a small process, and nothing said of the OOM killer. */
			assert_true(harness__num(r, "peak_rss_bytes") < (LIMIT_MIB << 20) / 2);
			assert_true(json_is_null(harness__get(r, "oom")));
		}
	}
	/* churn's truth is what it meant: one kill -9; the OOM killer's is the limit's doing. */
	assert_int_equal(harness__num(truth, "exit_signal"), 1);
	assert_int_equal(killed, memh.mount[0] ? 2 : 1);
	assert_int_equal(oom, memh.mount[0] ? 1 : 0);
	json_decref(all);
	json_decref(truth);
	return victim;
}

/* @path against schema/: JSON lines (@schema NULL) or a document; the OOM fields included. */
static void schema_valid(const char *schema, const char *path)
{
	char cmd[1200];
	char *out;
	int code;

	snprintf(cmd, sizeof(cmd),
		 "py=/usr/bin/python3; $py -c 'import jsonschema' 2>/dev/null || py=python3; "
		 "$py tests/schema/validate.py --summary %s%s '%s' 2>&1",
		 schema ? "--schema " : "", schema ? schema : "", path);
	out = harness__sh_out(cmd, &code);
	if (code)
		fail_msg("%s is not valid against schema/:\n%s", path, out);
	free(out);
}

/* run: the report counts one OOM kill, lists it first among the failures, and says it in words. */
static void test_run_oom_kill(void **state)
{
	char cmd[4096], log[300], events[300], report[300], text[300], words[200];
	char *argv[] = {H.jobtrace, "run",  "--mode", "bpf",	 "--json", "-o", report,
			"--events", events, "--",     "/bin/sh", "-c",	   cmd,	 NULL};
	char *targv[] = {H.jobtrace, "run",	"--mode", "bpf", "-o", text,
			 "--",	     "/bin/sh", "-c",	  cmd,	 NULL};
	json_t *r;
	int st, victim;
	__u64 kills;

	harness__path(log, sizeof(log), "churn.truth");
	harness__path(events, sizeof(events), "events.jsonl");
	harness__path(report, sizeof(report), "report.json");
	harness__path(text, sizeof(text), "report.txt");
	churn_cmd(cmd, sizeof(cmd), log);
	kills = cgroup_oom_kills();
	st = harness__wait_s(harness__spawn(argv, NULL, NULL), 60);
	assert_true(WIFEXITED(st));
	victim = check_exits(events, log, NULL);
	schema_valid(NULL, events);
	schema_valid("report", report);
	/* The kernel's own count: one kill in the cgroup (none without a memory controller). */
	assert_int_equal(cgroup_oom_kills() - kills, memh.mount[0] ? 1 : 0);
	r = harness__json(report);
	assert_int_equal(harness__num(r, "processes.exit_signal"), memh.mount[0] ? 2 : 1);
	assert_int_equal(harness__num(r, "processes.oom_killed"), memh.mount[0] ? 1 : 0);
	if (memh.mount[0]) {
		json_t *failed = harness__get(r, "failed");
		json_t *f0 = json_array_get(failed, 0), *f1 = json_array_get(failed, 1);

		/* The OOM kill first among the failures, before the kill -9. */
		assert_int_equal(harness__num(f0, "pid"), victim);
		assert_true(json_is_true(harness__get(f0, "oom_killed")));
		assert_int_equal(harness__num(f0, "oom.limit_bytes"), LIMIT_MIB << 20);
		assert_false(json_is_true(harness__get(f1, "oom_killed")));
		assert_int_equal(harness__num(f1, "signal"), SIGKILL);
	}
	json_decref(r);

	/* The text report says it in words. */
	st = harness__wait_s(harness__spawn(targv, NULL, NULL), 60);
	assert_true(WIFEXITED(st));
	if (memh.mount[0]) {
		snprintf(words, sizeof(words),
			 "killed by the OOM killer: memory limit %d.0 MiB of memory:%s, its RSS ",
			 LIMIT_MIB, strrchr(cg_dir, '/'));
		if (!harness__has(text, words))
			fail_msg("no '%s' in run's report:\n%s", words, harness__slurp(text));
		assert_true(harness__has(text, "killed by a signal (1 by the OOM killer)"));
	} else {
		assert_false(harness__has(text, "OOM"));
	}
}

/*
 * watch --all and serve's stream, side by side with the run: both mark the
 * same victim with the same limit (tail --json prints serve's line).
 */
static void test_watch_and_stream_oom_kill(void **state)
{
	char cmd[4096], log[300], events[300], wevents[300], shm[300], stream[400];
	char tail_out[300], serve_err[300];
	char *argv[] = {H.jobtrace,  "run", "--mode",  "bpf", "--events", events, "-o",
			"/dev/null", "--",  "/bin/sh", "-c",  cmd,	  NULL};
	char *wargv[] = {H.jobtrace, "watch", "--all", "-g",	    "tree",
			 "--events", wevents, "-o",    "/dev/null", NULL};
	char *sargv[] = {H.jobtrace, "serve", "-g", "tree", "--stream", stream, NULL};
	char *targv[] = {H.jobtrace, "tail", "--json", "--until-closed", "--stream", stream, NULL};
	pid_t watch, serve, tail;
	json_t *run_exits;
	int st, victim;

	harness__path(log, sizeof(log), "churn2.truth");
	harness__path(events, sizeof(events), "events2.jsonl");
	harness__path(wevents, sizeof(wevents), "watch.jsonl");
	harness__path(tail_out, sizeof(tail_out), "tail.jsonl");
	harness__path(serve_err, sizeof(serve_err), "serve.err");
	snprintf(shm, sizeof(shm), "%s/shm", H.tmpdir);
	assert_int_equal(mkdir(shm, 0755), 0);
	snprintf(stream, sizeof(stream), "%s/stream", shm);
	churn_cmd(cmd, sizeof(cmd), log);
	watch = harness__spawn(wargv, NULL, NULL);
	serve = harness__spawn(sargv, NULL, serve_err);
	for (int i = 0; access(stream, R_OK) && i < 2000; i++)
		harness__sleep_ms(10);
	tail = harness__spawn(targv, tail_out, NULL);
	sleep(2); /* attached: a generous wait, not a measurement */
	st = harness__wait_s(harness__spawn(argv, NULL, NULL), 60);
	assert_true(WIFEXITED(st));
	sleep(2); /* the exits reach watch's file and the stream */
	kill(watch, SIGINT);
	harness__wait_s(watch, 20);
	assert_int_equal(harness__serve_stop(serve, serve_err), 0);
	st = harness__wait_s(tail, 30);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	victim = check_exits(events, log, NULL);
	run_exits = harness__lines(events, "exit");
	assert_int_equal(check_exits(wevents, log, run_exits), victim);
	assert_int_equal(check_exits(tail_out, log, run_exits), victim);
	json_decref(run_exits);
	schema_valid(NULL, wevents);
	schema_valid(NULL, tail_out);
}

/* @path's cgroup.procs lists no process (or @path is gone). */
static bool cgroup_empty(const char *dir)
{
	char path[800], buf[64];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	return util__read_file_at(AT_FDCWD, path, buf, sizeof(buf)) <= 0;
}

/*
 * A batch system removes a step's cgroup as soon as its last task is gone
 * (Slurm does), which can be before jobtrace reads the victim's exit
 * record. run is stopped (SIGSTOP) over the kill and the cgroup's removal,
 * so its read comes after for sure: the report still names the cgroup
 * whose limit was hit and that limit, as the kernel saw them at the kill.
 */
static void test_oom_cgroup_gone_before_read(void **state)
{
	char inner[700], cmd[4096], go[300], log[300], events[300], report[300], limit[32];
	char want[300];
	char *argv[] = {H.jobtrace, "run",  "--mode", "bpf",	 "--json", "-o", report,
			"--events", events, "--",     "/bin/sh", "-c",	   cmd,	 NULL};
	json_t *all, *r, *x, *victim = NULL;
	pid_t run;
	size_t i;
	int st;

	if (!memh.mount[0])
		return; /* no memory controller: no OOM kill to attribute (the tests above) */
	snprintf(inner, sizeof(inner), "%s/gone", cg_dir);
	/* v2: a child has memory.max only where its parent hands the controller down. */
	if (!memh.hierarchy_id)
		write_file(cg_dir, "cgroup.subtree_control", "+memory");
	assert_int_equal(mkdir(inner, 0755), 0);
	/* Below its parent's: the kill is its limit's, not the parent's. */
	snprintf(limit, sizeof(limit), "%d", LIMIT_MIB / 2 << 20);
	write_file(inner, memh.hierarchy_id ? "memory.limit_in_bytes" : "memory.max", limit);
	if (!memh.hierarchy_id)
		write_file(inner, "memory.swap.max", "0");
	harness__path(go, sizeof(go), "go");
	harness__path(log, sizeof(log), "gone.truth");
	harness__path(events, sizeof(events), "gone.jsonl");
	harness__path(report, sizeof(report), "gone.json");
	snprintf(cmd, sizeof(cmd),
		 "echo $$ > %s/cgroup.procs && while [ ! -e %s ]; do sleep 0.02; done; "
		 "exec %s --children 0 --rss-mib 200 --truth %s",
		 inner, go, H.churn, log);
	run = harness__spawn(argv, NULL, NULL);
	for (int n = 0; cgroup_empty(inner) && n < 3000; n++)
		harness__sleep_ms(10);
	assert_false(cgroup_empty(inner));
	assert_int_equal(kill(run, SIGSTOP), 0);
	assert_int_equal(close(open(go, O_WRONLY | O_CREAT, 0644)), 0);
	/* churn writes its truth once it has reaped the victim, then ends. */
	for (int n = 0; (access(log, F_OK) || !cgroup_empty(inner)) && n < 6000; n++)
		harness__sleep_ms(10);
	assert_true(cgroup_empty(inner));
	for (int n = 0; rmdir(inner) && n < 500; n++)
		harness__sleep_ms(10);
	assert_int_equal(access(inner, F_OK), -1);
	assert_int_equal(kill(run, SIGCONT), 0);
	st = harness__wait_s(run, 60);
	assert_true(WIFEXITED(st));

	snprintf(want, sizeof(want), "%s/gone", strrchr(cg_dir, '/'));
	all = harness__lines(events, "exit");
	json_array_foreach(all, i, x) if (json_is_true(harness__get(x, "oom_killed"))) victim = x;
	assert_non_null(victim);
	assert_string_equal(harness__str(victim, "oom.cgroup"), want);
	assert_int_equal(harness__num(victim, "oom.limit_bytes"), LIMIT_MIB / 2 << 20);
	assert_false(json_is_true(harness__get(victim, "oom.global")));
	r = harness__json(report);
	assert_int_equal(harness__num(r, "processes.oom_killed"), 1);
	assert_string_equal(
	    harness__str(json_array_get(harness__get(r, "failed"), 0), "oom.cgroup"), want);
	json_decref(r);
	json_decref(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_oom_kill),
	    cmocka_unit_test(test_watch_and_stream_oom_kill),
	    cmocka_unit_test(test_oom_cgroup_gone_before_read),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
