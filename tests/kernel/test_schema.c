// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every JSON output of every command, validated against the published
 * schemas (schema/NAME.schema.json) by a real validator: tests/schema/validate.py,
 * python3-jsonschema's Draft 2020-12 one. The outputs are made here, as the
 * machine permits them (probed as test_modes does: BPF for root, the proc
 * connector), in every mode the machine has:
 *
 *   run --json, run --json -i --events -      bpf, proc, rusage
 *   watch --pid (a tree found running)        bpf, proc
 *   watch --cgroup, watch --all (a process
 *     that moves cgroups, lost records)       bpf
 *   serve -o, its --reports, tail --json of
 *     its stream, run and watch through its
 *     control socket                          bpf
 *   ps, system, inspect, connections          any machine
 *
 * A test validates all it made and then fails, naming each file that is
 * not valid with the validator's own words (file, line, JSON path), so
 * one record type that drifts from its schema does not hide another.
 * The validator is tested too: a wrong line must fail it. Last, the key
 * lists of jobtrace-records(5) are checked against the schemas, both ways
 * (the check, too, must fail a page that names a key no schema has).
 */
#include "harness.h"

#include "jobtrace/util.h"

static char python[64];
static char validator[600];
static bool bpf_ok;
static int root_connector;
static const char *modes[3]; /* run's event sources this machine has */
static size_t nmodes;
static char cg_a[64], cg_b[64];
static int invalid; /* files of the running test that were not valid */

/* @text a line at a time (print_message cuts long messages), at most @max lines. */
static void print_lines(char *text, int max)
{
	char *save = NULL;
	int n = 0;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (n++ == max) {
			print_message("    ...\n");
			break;
		}
		print_message("    %s\n", l);
	}
}

/*
 * Runs the validator over @path: JSON lines (@schema NULL, each line's type
 * names its schema) or one document (schema/@schema.schema.json). @require:
 * the line types that must be there, space-separated. Returns its exit code;
 * a file not valid is counted in `invalid` and said, and the test goes on.
 */
static int validate_expect(const char *schema, const char *path, const char *require,
			   int want)
{
	char cmd[2048], types[256], *save = NULL;
	int n, code;
	char *out;

	n = snprintf(cmd, sizeof(cmd), "%s %s --summary", python, validator);
	if (schema)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " --schema %s", schema);
	snprintf(types, sizeof(types), "%s", require ? require : "");
	for (char *t = strtok_r(types, " ", &save); t; t = strtok_r(NULL, " ", &save))
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " --require %s", t);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, " '%s' 2>&1", path);
	out = harness__sh_out(cmd, &code);
	if (code == want) {
		print_message("  %s: %s", path, code ? "rejected, as it must be\n" : out);
	} else {
		print_message("NOT VALID: %s (validator exit %d, %d wanted):\n", path, code, want);
		print_lines(out, 60);
		invalid++;
	}
	free(out);
	return code;
}

static void validate(const char *schema, const char *path, const char *require)
{
	validate_expect(schema, path, require, 0);
}

/* At the end of a test: every file it validated was valid. */
static void all_valid(void)
{
	int n = invalid;

	invalid = 0;
	if (n)
		fail_msg("%d outputs were not valid against schema/ (NOT VALID above)", n);
}

/* @path made afresh under the temporary directory: name.N, N counting per test run. */
static const char *out_path(char *buf, size_t size, const char *name)
{
	static int seq;

	snprintf(buf, size, "%s/%s.%d", H.tmpdir, name, ++seq);
	unlink(buf);
	return buf;
}

/*
 * The largest @field (a dotted path) of @path's lines of @type: that the
 * scenario happened (a move, an attach), so its records are among those
 * validated. Counts the model has kept across its change.
 */
static double max_of(const char *path, const char *type, const char *field)
{
	json_t *lines = harness__lines(path, type);
	double max = -1;

	for (size_t i = 0; i < json_array_size(lines); i++) {
		json_t *v = harness__get(json_array_get(lines, i), field);

		if (json_is_number(v) && json_number_value(v) > max)
			max = json_number_value(v);
	}
	json_decref(lines);
	return max;
}

/* Runs @argv to its end, stdout to @out, stderr to @err; its exit code. */
static int run_to(char *const argv[], const char *out, const char *err)
{
	return harness__exit_code(argv, out, err);
}

/* ---- the validator itself ---- */

static const char valid_exit[] =
	"{\"type\":\"exit\",\"time\":1700000001.5,\"job\":\"run\",\"pid\":42,\"ppid\":41,"
	"\"start_ns\":100,\"parent_start_ns\":50,\"exit_ns\":200,\"start_time\":1700000001.0,"
	"\"end_time\":1700000001.5,\"duration_s\":0.5,\"cgroup\":null,\"cgroup_id\":null,"
	"\"cgroup_hierarchy\":null,\"comm\":\"sh\",\"args\":[\"sh\",\"-c\",\"exit 3\"],"
	"\"args_truncated\":false,\"args_inherited\":false,\"exe\":\"/bin/sh\",\"exit_code\":3,\"signal\":null,"
	"\"core_dumped\":false,\"cpu\":{\"user_s\":0.1,\"system_s\":0,\"total_s\":0.1,"
	"\"total_ns\":100000000},\"peak_rss_bytes\":4096,\"io\":{\"read_bytes\":0,"
	"\"write_bytes\":0,\"read_chars\":10,\"write_chars\":0},\"threads\":1,"
	"\"existing_at_attach\":false,\"moved\":false,\"execed\":true,\"is_root\":true,"
	"\"uid\":0,\"gid\":0,\"user\":\"root\",\"oom_killed\":false,\"oom\":null}\n";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* @src with its first @from replaced by @to, malloc'd. */
static char *replace(const char *src, const char *from, const char *to)
{
	const char *at = strstr(src, from);
	char *out;

	assert_non_null(at);
	out = malloc(strlen(src) + strlen(to) + 1);
	assert_non_null(out);
	sprintf(out, "%.*s%s%s", (int)(at - src), src, to, at + strlen(from));
	return out;
}

/* A line that is right passes; each way of being wrong fails, named by line and path. */
static void test_validator_rejects_wrong_records(void **state)
{
	char good[400], bad[400], doc[400], cmd[1400];
	char *as_string, *both, *text, *out;
	int code;

	write_file(out_path(good, sizeof(good), "good.jsonl"), valid_exit);
	validate(NULL, good, "exit");
	all_valid();

	/* Line 2: a number as a string; 3: both exit_code and signal; 4: no such type. */
	as_string = replace(valid_exit, "\"exit_code\":3", "\"exit_code\":\"3\"");
	both = replace(valid_exit, "\"signal\":null", "\"signal\":9");
	text = malloc(strlen(valid_exit) + strlen(as_string) + strlen(both) + 64);
	assert_non_null(text);
	sprintf(text, "%s%s%s{\"type\":\"no-such-type\",\"time\":1}\n", valid_exit, as_string,
		both);
	write_file(out_path(bad, sizeof(bad), "bad.jsonl"), text);
	free(as_string);
	free(both);
	free(text);
	snprintf(cmd, sizeof(cmd), "%s %s '%s' 2>&1", python, validator, bad);
	out = harness__sh_out(cmd, &code);
	print_message("%s", out); /* a few short lines */
	assert_int_equal(code, 1);
	assert_null(strstr(out, ":1:"));
	assert_non_null(strstr(out, ":2: not valid as exit.schema.json: $.exit_code"));
	assert_non_null(strstr(out, ":3: not valid as exit.schema.json"));
	assert_non_null(strstr(out, ":4: no schema for type \"no-such-type\""));
	free(out);

	/* A required type that is not there fails too: an output that lost its lines. */
	validate_expect(NULL, good, "job", 1);
	/* A whole document: a report without its keys, an array where an object is. */
	write_file(out_path(doc, sizeof(doc), "report.json"), "{\"version\":3}");
	validate_expect("report", doc, NULL, 1);
	write_file(doc, "[]");
	validate_expect("connections", doc, NULL, 1);
	all_valid();
}

/* ---- run, in every mode ---- */

static void test_run_every_mode(void **state)
{
	for (size_t i = 0; i < nmodes; i++) {
		char *m = (char *)modes[i];
		char r1[400], r2[400], r3[400], r4[400], lines[400], events[400], err[400];
		char cmd[1000];
		char *on_stderr[] = { H.jobtrace, "run", "--mode", m, "--json", "--", "/bin/sh",
				      "-c", "printf 'output of its own, no newline' >&2", NULL };
		char *failing[] = { H.jobtrace, "run", "--mode", m, "--json", "-o", r1, "--",
				    "/bin/sh", "-c", "(sleep 0.1; exit 7) & /bin/true; exit 3", NULL };
		char *killed[] = { H.jobtrace, "run", "--mode", m, "--json", "-o", r2, "--",
				   "/bin/sh", "-c", "kill -9 $$", NULL };
		/* live and workdir filled: a tree left running (--no-wait), PSS, a directory. */
		char *live[] = { H.jobtrace, "run", "--mode", m, "--json", "-o", r3, "--no-wait",
				 "--pss", "--workdir", H.tmpdir, "--", "/bin/sh", "-c",
				 "sleep 0.5 & exit 0", NULL };
		char *intervals[] = { H.jobtrace, "run", "--mode", m, "--json", "-i", "0.2",
				      "--events", "-", "-o", lines, "--", "/bin/sh", "-c",
				      "sleep 0.5; /bin/true; (exit 3); sleep 0.3", NULL };

		print_message("mode %s\n", m);
		out_path(r1, sizeof(r1), "run.json");
		out_path(r2, sizeof(r2), "run-killed.json");
		out_path(r3, sizeof(r3), "run-live.json");
		out_path(r4, sizeof(r4), "run-stderr.json");
		out_path(lines, sizeof(lines), "run.jsonl");
		out_path(events, sizeof(events), "run-events.jsonl");
		out_path(err, sizeof(err), "run.err");
		assert_int_equal(run_to(failing, NULL, err), 3);
		validate("report", r1, NULL);
		assert_int_equal(run_to(killed, NULL, err), 128 + 9);
		validate("report", r2, NULL);
		assert_int_equal(run_to(live, NULL, err), 0);
		validate("report", r3, NULL);
		/* Without -o: the report is the last line of standard error. */
		assert_int_equal(run_to(on_stderr, NULL, err), 0);
		snprintf(cmd, sizeof(cmd), "tail -n 1 '%s' > '%s'", err, r4);
		assert_int_equal(system(cmd), 0);
		validate("report", r4, NULL);
		assert_int_equal(run_to(intervals, events, err), 0);
		validate(NULL, lines, "interval host system job");
		/* rusage mode has no per-process records: an empty file, which is valid. */
		validate(NULL, events, strcmp(m, "rusage") ? "exit" : NULL);
	}
	all_valid();
}

/* ---- watch: a tree found running, a cgroup, the host ---- */

/*
 * watch --pid of a tree that was running before the attach, in bpf and proc
 * mode. The tree goes on until watch says it has attached (a loaded
 * machine took the BPF load past a tree of 0.8 s, gone before the attach).
 */
static void test_watch_pid_attached(void **state)
{
	static const char *const watch_modes[] = { "bpf", "proc" };

	for (size_t i = 0; i < 2; i++) {
		char lines[400], events[400], err[400], pid[16], go[400], script[600];
		char *tree[] = { "/bin/sh", "-c", script, NULL };
		char *argv[] = { H.jobtrace, "watch", "--mode", (char *)watch_modes[i], "--pid", pid,
				 "--json", "-i", "0.2", "--events", events, "-o", lines, NULL };
		__u64 deadline = harness__mono_ns() + HARNESS_WAIT_S * 1000000000ULL;
		pid_t root, watch;
		int st;

		if (i == 0 ? !bpf_ok : root_connector != 0) {
			print_message("  watch --mode %s: not on this machine\n", watch_modes[i]);
			continue;
		}
		out_path(lines, sizeof(lines), "watch-pid.jsonl");
		out_path(events, sizeof(events), "watch-pid-events.jsonl");
		out_path(err, sizeof(err), "watch-pid.err");
		out_path(go, sizeof(go), "watch-pid.go");
		/* A child that waits for the attach, found at it; then processes after it. */
		snprintf(script, sizeof(script),
			 "(until [ -e '%s' ]; do sleep 0.02; done) & wait $!; sleep 0.3; /bin/true; "
			 "exit 0", go);
		root = harness__spawn(tree, NULL, NULL);
		harness__sleep_ms(100); /* its child is running: found at the attach */
		snprintf(pid, sizeof(pid), "%d", root);
		watch = harness__spawn(argv, NULL, err);
		while (access(err, F_OK) || !harness__has(err, "attached")) {
			if (harness__mono_ns() > deadline) {
				write_file(go, ""); /* the tree ends, not left waiting */
				fail_msg("watch did not attach in %d s: %s", HARNESS_WAIT_S,
					 harness__slurp(err));
			}
			harness__sleep_ms(10);
		}
		write_file(go, "");
		st = harness__wait_s(watch, HARNESS_WAIT_S);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			fail_msg("watch failed (0x%x): %s", st, harness__slurp(err));
		harness__wait(root);
		assert_true(max_of(lines, "job", "processes.existing_at_attach") >= 1);
		validate(NULL, lines, "interval host system job");
		validate(NULL, events, "exit");
	}
	all_valid();
}

/*
 * cgroup A's process moves itself to cgroup B, execs and ends there: a job
 * that lost a member to a move, one that gained it (host mode), an exit
 * record of a process that moved.
 */
static pid_t spawn_mover(void)
{
	char procs_b[600], script[900];
	char *argv[] = { "/bin/sh", "-c", script, NULL };

	harness__cgroup_path(procs_b, sizeof(procs_b), cg_b, "cgroup.procs");
	snprintf(script, sizeof(script),
		 "sleep 0.4; /bin/sh -c 'echo $$ > %s; /bin/true; sleep 0.3; exit 5'; "
		 "/bin/true; sleep 0.6",
		 procs_b);
	return harness__cgroup_spawn(cg_a, argv, NULL, NULL);
}

static void test_watch_cgroup_and_host_moved(void **state)
{
	char lines[400], events[400], err[400], path_a[600];
	char *cgroup[] = { H.jobtrace, "watch", "--cgroup", path_a, "--json", "-i", "0.2",
			   "--duration", "2.5", "--events", events, "-o", lines, NULL };
	char *all[] = { H.jobtrace, "watch", "--all", "--group-by", "cgroup2", "--json", "-i",
			"0.2", "--duration", "2.5", "--events", events, "-o", lines, NULL };
	pid_t w, mover;

	if (!bpf_ok) {
		print_message("  watch --cgroup and --all need BPF, which does not load here\n");
		return;
	}
	harness__cgroup_make(cg_a);
	harness__cgroup_make(cg_b);
	harness__cgroup_path(path_a, sizeof(path_a), cg_a, NULL);

	out_path(lines, sizeof(lines), "watch-cgroup.jsonl");
	out_path(events, sizeof(events), "watch-cgroup-events.jsonl");
	out_path(err, sizeof(err), "watch-cgroup.err");
	w = harness__spawn(cgroup, NULL, err);
	assert_true(harness__wait_text(err, "attached", HARNESS_WAIT_S * 1000) >= 0);
	mover = spawn_mover();
	harness__wait(mover);
	harness__wait(w);
	assert_true(max_of(lines, "job", "processes.moved_out") >= 1);
	validate(NULL, lines, "interval host system job");
	validate(NULL, events, "exit");

	out_path(lines, sizeof(lines), "watch-all.jsonl");
	out_path(events, sizeof(events), "watch-all-events.jsonl");
	out_path(err, sizeof(err), "watch-all.err");
	w = harness__spawn(all, NULL, err);
	assert_true(harness__wait_text(err, "attached", HARNESS_WAIT_S * 1000) >= 0);
	mover = spawn_mover();
	harness__wait(mover);
	harness__wait(w);
	assert_true(max_of(lines, "job", "processes.moved_in") >= 1);
	assert_true(max_of(lines, "interval", "processes.moved_in") >= 1);
	validate(NULL, lines, "interval host system job");
	validate(NULL, events, "exit");
	all_valid();
}

/* A 4 KiB ring under a churn while the collector is stopped: records lost, and said so. */
static void test_lost_records(void **state)
{
	char lines[400], events[400], report[400], err[400];
	char *all[] = { H.jobtrace, "watch", "--all", "--group-by", "tree", "--ring-kb", "4",
			"--json", "-i", "0.2", "--events", events, "-o", lines, NULL };
	char *churn[] = { H.churn, "--children", "3000", NULL };
	char *run[] = { H.jobtrace, "run", "--ring-kb", "4", "--json", "-o", report, "--events",
			events, "--", H.churn, "--children", "3000", NULL };
	json_t *jobs;
	double lost = 0;
	pid_t w;

	if (!bpf_ok) {
		print_message("  --ring-kb is BPF's ring, which does not load here\n");
		return;
	}
	out_path(lines, sizeof(lines), "lost.jsonl");
	out_path(events, sizeof(events), "lost-events.jsonl");
	out_path(err, sizeof(err), "lost.err");
	w = harness__spawn(all, NULL, err);
	assert_true(harness__wait_text(err, "attached", HARNESS_WAIT_S * 1000) >= 0);
	assert_int_equal(kill(w, SIGSTOP), 0);
	assert_int_equal(run_to(churn, NULL, NULL), 0);
	assert_int_equal(kill(w, SIGCONT), 0);
	harness__sleep_ms(1500); /* the churn's job ends at the next check */
	assert_int_equal(kill(w, SIGTERM), 0);
	assert_int_equal(WEXITSTATUS(harness__wait(w)), 0);
	jobs = harness__lines(lines, "job");
	for (size_t i = 0; i < json_array_size(jobs); i++) {
		json_t *v = harness__get(json_array_get(jobs, i), "events.lost");

		if (json_is_number(v) && json_number_value(v) > lost)
			lost = json_number_value(v);
	}
	json_decref(jobs);
	print_message("  %.0f exit records lost with a 4 KiB ring\n", lost);
	assert_true(lost > 0);
	validate(NULL, lines, "interval host system job");
	validate(NULL, events, "exit");

	out_path(report, sizeof(report), "lost-run.json");
	out_path(events, sizeof(events), "lost-run-events.jsonl");
	assert_int_equal(run_to(run, NULL, err), 0);
	validate("report", report, NULL);
	validate(NULL, events, "exit");
	all_valid();
}

/* ---- serve: its JSON lines, its reports, its stream through tail, its control socket ---- */

static void test_serve_and_its_clients(void **state)
{
	char sock[400], stream[400], reports[400], lines[400], log[400], tailed[400], report[400];
	char watched[400], err[400], pid[16], cmd[1200];
	char *serve[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", "--control", sock,
			  "--reports", reports, "--stream", stream, "-o", lines, NULL };
	char *tail[] = { H.jobtrace, "tail", "--json", "--stream", stream, "--until-closed", NULL };
	char *via[] = { H.jobtrace, "run", "--control", sock, "--json", "-o", report, "--",
			"/bin/sh", "-c", "/bin/true; (sleep 0.1; exit 7) & exit 3", NULL };
	char *tree[] = { "/bin/sh", "-c", "sleep 0.5 & sleep 0.7; /bin/true", NULL };
	char *watch[] = { H.jobtrace, "watch", "--mode", "serve", "--control", sock, "--pid", pid,
			  "--json", "-o", watched, NULL };
	pid_t s, t, root;
	int code;
	char *out;

	if (!bpf_ok) {
		print_message("  serve needs BPF, which does not load here\n");
		return;
	}
	snprintf(sock, sizeof(sock), "%s/ctl.sock", H.tmpdir);
	snprintf(reports, sizeof(reports), "%s/reports", H.tmpdir);
	/* The harness's directory is open to all: serve wants its stream's to be its own. */
	snprintf(stream, sizeof(stream), "%s/shm", H.tmpdir);
	assert_int_equal(mkdir(reports, 0755), 0);
	assert_int_equal(mkdir(stream, 0755), 0);
	strcat(stream, "/stream");
	out_path(lines, sizeof(lines), "serve.jsonl");
	out_path(log, sizeof(log), "serve.log");
	out_path(tailed, sizeof(tailed), "tail.jsonl");
	out_path(report, sizeof(report), "via-serve.json");
	out_path(watched, sizeof(watched), "watch-serve.jsonl");
	out_path(err, sizeof(err), "clients.err");

	s = harness__serve_start(serve, sock, log);
	assert_true(s > 0);
	for (int i = 0; i < 200 && access(stream, F_OK); i++)
		harness__sleep_ms(50);
	t = harness__spawn(tail, tailed, err);
	harness__sleep_ms(300); /* tail reads from the tail of the ring: let it open first */

	assert_int_equal(run_to(via, NULL, err), 3);
	root = harness__spawn(tree, NULL, NULL);
	harness__sleep_ms(100);
	snprintf(pid, sizeof(pid), "%d", root);
	assert_int_equal(run_to(watch, NULL, err), 0);
	harness__wait(root);
	harness__sleep_ms(600); /* an interval and a host record after them */

	assert_int_equal(harness__serve_stop(s, log), 0);
	assert_int_equal(WEXITSTATUS(harness__wait_s(t, 30)), 0);
	validate("report", report, NULL);
	validate(NULL, watched, "job");
	validate(NULL, lines, "exit interval host system job");
	validate(NULL, tailed, "fork exec exit interval host job");
	/* serve's --reports: one run --json object per job of its control socket. */
	snprintf(cmd, sizeof(cmd), "ls %s/*.json", reports);
	out = harness__sh_out(cmd, &code);
	assert_int_equal(code, 0);
	for (char *save = NULL, *f = strtok_r(out, "\n", &save); f; f = strtok_r(NULL, "\n", &save))
		validate("report", f, NULL);
	free(out);
	all_valid();
}

/* ---- the commands that print one document ---- */

static void test_ps_system_inspect_connections(void **state)
{
	char out[400], err[400], self[16], sleeper_pid[16];
	char *sleeper_argv[] = { "/bin/sleep", "30", NULL };
	char *ps[] = { H.jobtrace, "ps", "--json", NULL };
	char *ps_proc[] = { H.jobtrace, "ps", "--json", "--proc", NULL };
	char *ps_tree[] = { H.jobtrace, "ps", "--json", "--tree", "--pid", self, NULL };
	char *system_[] = { H.jobtrace, "system", "--json", "-i", "0.2", NULL };
	char *system_once[] = { H.jobtrace, "system", "--json", "-i", "0", NULL };
	char *inspect[] = { H.jobtrace, "inspect", "--json", "-i", "0.2", "--maps", "--environ",
			    self, sleeper_pid, "1", NULL };
	char *inspect_fixture[] = { H.jobtrace, "inspect", "--json", "--proc-root",
				    "tests/fixtures/proc", "4242", "4243", "77", NULL };
	char *conns[] = { H.jobtrace, "connections", "--json", "--kind", "all", NULL };
	char *conns_inet[] = { H.jobtrace, "connections", "--json", NULL };
	pid_t sleeper = harness__spawn(sleeper_argv, NULL, NULL);
	const struct {
		char **argv;
		const char *schema;
	} runs[] = {
		{ ps, "ps" },
		{ ps_proc, "ps" },
		{ ps_tree, "ps" },
		{ system_, "system-report" },
		{ system_once, "system-report" },
		{ inspect, "inspect" },
		{ inspect_fixture, "inspect" },
		{ conns, "connections" },
		{ conns_inet, "connections" },
	};

	snprintf(self, sizeof(self), "%d", getpid());
	snprintf(sleeper_pid, sizeof(sleeper_pid), "%d", sleeper);
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		out_path(out, sizeof(out), runs[i].schema);
		out_path(err, sizeof(err), "cmd.err");
		if (run_to(runs[i].argv, out, err))
			fail_msg("%s %s failed: %s", runs[i].argv[1], runs[i].argv[2],
				 harness__slurp(err));
		validate(runs[i].schema, out, NULL);
	}
	kill(sleeper, SIGKILL);
	harness__wait(sleeper);
	all_valid();
}

/* ---- jobtrace-records(5)'s key lists ---- */

static char keys_check[600];

/* @page's key lists against schema/ (tests/schema/man_keys.py): its exit code, said. */
static int man_keys(const char *page)
{
	char cmd[1400];
	char *out;
	int code;

	snprintf(cmd, sizeof(cmd), "%s %s '%s' 2>&1", python, keys_check, page);
	out = harness__sh_out(cmd, &code);
	print_lines(out, 60);
	free(out);
	return code;
}

/*
 * Every key man/jobtrace-records.5 lists (JSON lines, run --json) is in the
 * schemas, and every top-level key of a schema is in that page. A page that
 * names a key no schema has must fail the check, or the check checks nothing.
 */
static void test_man_keys_match_schemas(void **state)
{
	char fake[400];

	write_file(out_path(fake, sizeof(fake), "jobtrace-records.5"),
		   ".SH \"THE JSON REPORT\"\n"
		   "The JSON report (\\fB\\-\\-json\\fR) has these keys:\n"
		   "\\fBjob.exit_code\\fR, \\fBno_such_key\\fR.\n"
		   ".SH \"JSON LINES\"\n.IP \\(bu 2\n"
		   "\\fBexit\\fR: \\fBpid\\fR, \\fBexit_code\\fR, \\fBnot_an_exit_key\\fR.\n");
	assert_int_equal(man_keys(fake), 1);
	assert_int_equal(man_keys("man/jobtrace-records.5"), 0);
}

/* ---- setup ---- */

/*
 * The first python3 that has jsonschema: Debian's own (make deps installs
 * python3-jsonschema for it, and it starts at once), else $PATH's (a shim,
 * as pyenv's, costs a shell script per call).
 */
static int find_python(void)
{
	static const char *const candidates[] = { "/usr/bin/python3", "python3" };
	char cmd[200];

	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		snprintf(cmd, sizeof(cmd), "%s -c 'import jsonschema' 2>/dev/null", candidates[i]);
		if (system(cmd) == 0) {
			snprintf(python, sizeof(python), "%s", candidates[i]);
			return 0;
		}
	}
	fprintf(stderr, "FAIL: no python3 with jsonschema (make deps installs python3-jsonschema)\n");
	return -1;
}

static int setup(void **state)
{
	if (harness__setup("schema") || find_python())
		return -1;
	if (!realpath("tests/schema/validate.py", validator) ||
	    !realpath("tests/schema/man_keys.py", keys_check)) {
		fprintf(stderr, "FAIL: tests/schema/: %s (run from the repository)\n",
			strerror(errno));
		return -1;
	}
	snprintf(cg_a, sizeof(cg_a), "jt-test-schema-a-%d", getpid());
	snprintf(cg_b, sizeof(cg_b), "jt-test-schema-b-%d", getpid());
	bpf_ok = harness__bpf_loads();
	root_connector = harness__probe_connector(-1, false);
	print_message("  this machine: BPF %s for root; the proc connector %s for root\n",
		      bpf_ok ? "loads" : "does not load",
		      root_connector ? strerror(root_connector) : "permitted");
	if (!bpf_ok && H.ci) {
		fprintf(stderr, "FAIL: jobtrace cannot load its BPF programs here (CI=true)\n");
		return -1;
	}
	if (bpf_ok)
		modes[nmodes++] = "bpf";
	if (!root_connector)
		modes[nmodes++] = "proc";
	modes[nmodes++] = "rusage";
	return 0;
}

static int teardown(void **state)
{
	harness__kill_running();
	/* No cgroup2: the one test that needs it failed, saying so; nothing to remove. */
	if (cg_a[0] && harness__cgroup2_root()) {
		harness__cgroup_remove(cg_a);
		harness__cgroup_remove(cg_b);
	}
	if (getenv("KEEP_DIR")) {
		fprintf(stderr, "the scratch directory stays: %s\n", H.tmpdir);
		return 0;
	}
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_rejects_wrong_records),
		cmocka_unit_test(test_run_every_mode),
		cmocka_unit_test(test_watch_pid_attached),
		cmocka_unit_test(test_watch_cgroup_and_host_moved),
		cmocka_unit_test(test_lost_records),
		cmocka_unit_test(test_serve_and_its_clients),
		cmocka_unit_test(test_ps_system_inspect_connections),
		cmocka_unit_test(test_man_keys_match_schemas),
	};

	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
