// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Jobs' ends and the writer's liveness in the stream, end to end, as root:
 * `jobtrace serve --stream F` with the real BPF programs while churn runs in
 * a v2 cgroup of the test's own. Ground truth: churn --truth writes how many
 * processes it made and how each ended; the job-end record that `tail
 * --json` prints, and the one an agent's poll loop reads through
 * libjobtrace's fd, must say the same. Then serve is killed with -9, which
 * leaves the file RUNNING: tail --until-closed must end by itself (within
 * JT_STREAM_GONE_MS and a generous margin: a deadline, not a timing) and
 * the library must say GONE.
 */
#include "harness.h"

#include <poll.h>

#include "jobtrace/lineage.h"
#include "jobtrace/stream.h"

static char stream_dir[300], stream_path[400], cg_name[64];

static int setup(void **state)
{
	char cmd[700];

	if (harness__setup("stream-jobs"))
		return -1;
	if (!harness__cgroup2_root()) {
		fprintf(stderr, "FAIL: no cgroup2 filesystem is mounted: these tests need one\n");
		return -1;
	}
	/* A kernel test that cannot run is a failure, never a skip. */
	snprintf(cmd, sizeof(cmd), "%s run --mode bpf -o /dev/null -- /bin/true", H.jobtrace);
	if (system(cmd)) {
		fprintf(stderr, "FAIL: jobtrace cannot load its BPF programs here: the kernel "
				"tests need root and a kernel with BTF\n");
		return -1;
	}
	snprintf(cg_name, sizeof(cg_name), "jt-test-stream-jobs-%d", getpid());
	/* The harness's directory is open to all (0777, no sticky bit): serve refuses such. */
	snprintf(stream_dir, sizeof(stream_dir), "%s/shm", H.tmpdir);
	return mkdir(stream_dir, 0755);
}

static int teardown(void **state)
{
	harness__kill_running();
	harness__cgroup_remove(cg_name);
	return harness__teardown();
}

/*
 * serve --stream into the temporary directory, and its JSON lines to
 * @output too when not NULL; returns once a record came (its loop runs).
 */
static pid_t serve_start_to(const char *err, char *output)
{
	char *argv[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", "--stream",
			 stream_path, "--stream-kb", "4096", output ? "-o" : NULL, output, NULL };
	union jt_stream_record rec;
	struct jobtrace_stream *r = NULL;
	pid_t pid;

	/* What an earlier test that failed left running must not hold the path. */
	harness__kill_running();
	snprintf(stream_path, sizeof(stream_path), "%s/stream", stream_dir);
	unlink(stream_path);
	pid = harness__spawn(argv, NULL, err);
	for (__u64 t0 = harness__mono_ns();;) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			harness__track(0, pid);
			fail_msg("serve stopped at start: %s", harness__slurp(err));
		}
		if (!r)
			r = jobtrace_stream_open(stream_path);
		if (r && jobtrace_stream_next(r, &rec) == 1)
			break;
		if (harness__mono_ns() - t0 > HARNESS_WAIT_S * 1000000000ULL)
			fail_msg("serve made no stream with a record at %s: %s", stream_path,
				 harness__slurp(err));
		harness__sleep_ms(10);
	}
	jobtrace_stream_close(r);
	return pid;
}

static pid_t serve_start(const char *err)
{
	return serve_start_to(err, NULL);
}

/* A line is in @path (tail has opened the stream and prints). */
static void wait_for_line(const char *path)
{
	for (int i = 0; i < 6000; i++) {
		struct stat st;

		if (!stat(path, &st) && st.st_size > 0)
			return;
		harness__sleep_ms(10);
	}
	fail_msg("tail printed nothing into %s", path);
}

/*
 * tail's "job" record of @key, once it is there (a new reference), or NULL
 * past @seconds. Complete lines only: tail, still running, may have written
 * part of its last one.
 */
static json_t *wait_for_job(const char *path, const char *key, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		FILE *f = fopen(path, "r");
		json_t *found = NULL;
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while (f && !found && (n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n') {
			json_error_t e;
			json_t *r = json_loads(line, 0, &e);

			if (!r)
				fail_msg("%s: a line is not JSON: %s: %.300s", path, e.text, line);
			if (!strcmp(harness__str(r, "type") ?: "", "job") &&
			    !strcmp(harness__str(r, "job.key") ?: "", key))
				found = json_incref(r);
			json_decref(r);
		}
		free(line);
		if (f)
			fclose(f);
		if (found)
			return found;
		harness__sleep_ms(100);
	}
	return NULL;
}

/* The job-end record of @key through libjobtrace's fd, as an agent's own loop would wait. */
static void poll_for_job_end(struct jobtrace_stream *r, int fd, const char *key,
			     struct jt_stream_job_end *out)
{
	union jt_stream_record rec;
	__u64 t0 = harness__mono_ns();

	/* A deadline, not a count: a busy host makes the fd readable all the time. */
	while (harness__mono_ns() - t0 < 60 * 1000000000ULL) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		assert_true(poll(&p, 1, 100) >= 0);
		while (jobtrace_stream_next(r, &rec) == 1) {
			if (rec.hdr.type == JT_STREAM_JOB_END && !strcmp(rec.job_end.job.key, key)) {
				*out = rec.job_end;
				return;
			}
		}
	}
	fail_msg("no job-end record of %s through the fd in 60 s (missed %llu records)", key,
		 (unsigned long long)jobtrace_stream_missed_total(r));
}

/*
 * churn's job ends in the stream with churn's truth, in tail --json under
 * watch's names; then serve dies by SIGKILL and tail --until-closed ends
 * on its own, exit 1, saying why.
 */
static void test_job_end_then_writer_killed(void **state)
{
	char err[300], out[300], terr[300], truth_path[300], key[128];
	char *cargv[] = { H.churn,   "--children", "30", "--fail",	"4",	  "--kill",
			  "3",	     "--orphans",  "2",	 "--threads", "2",	  "--truth",
			  truth_path, NULL };
	char *targv[] = { H.jobtrace, "tail", "--json", "--until-closed", "--stream",
			  stream_path, NULL };
	json_t *truth, *job;
	struct jt_stream_job_end je = {};
	struct jobtrace_stream *r;
	pid_t serve, tail, churn;
	__u64 t0;
	int fd, st, state_now = 0;
	double processes;

	harness__path(err, sizeof(err), "serve.err");
	harness__path(out, sizeof(out), "tail.out");
	harness__path(terr, sizeof(terr), "tail.err");
	harness__path(truth_path, sizeof(truth_path), "truth.json");
	serve = serve_start(err);
	tail = harness__spawn(targv, out, terr);
	wait_for_line(out);
	r = jobtrace_stream_open(stream_path);
	assert_non_null(r);
	fd = jobtrace_stream_fd(r);
	assert_true(fd >= 0);

	harness__cgroup_make(cg_name);
	churn = harness__cgroup_spawn(cg_name, cargv, NULL, NULL);
	st = harness__wait_s(churn, 60);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	truth = harness__json(truth_path);
	processes = harness__num(truth, "processes");

	snprintf(key, sizeof(key), "cgroup:/%s", cg_name);
	job = wait_for_job(out, key, 60);
	if (!job)
		fail_msg("tail printed no job record of %s: %s", key, harness__slurp(out));
	/* The report's own version, as run --json's. */
	assert_int_equal(harness__num(job, "version"), JT_ABI_VERSION);
	/* churn joined the cgroup before it exec'd (a move in), and forked the rest there. */
	assert_int_equal(harness__num(job, "processes.started") +
				 harness__num(job, "processes.moved_in"),
			 processes);
	assert_int_equal(harness__num(job, "processes.exited"), processes);
	assert_int_equal(harness__num(job, "processes.exit_ok"), harness__num(truth, "exit_ok"));
	assert_int_equal(harness__num(job, "processes.exit_error"),
			 harness__num(truth, "exit_error"));
	assert_int_equal(harness__num(job, "processes.exit_signal"),
			 harness__num(truth, "exit_signal"));
	assert_int_equal(harness__num(job, "threads.started"), harness__num(truth, "threads"));
	assert_int_equal(harness__num(job, "processes.alive"), 0);
	assert_true(harness__num(job, "cpu.total_ns") > 0);
	assert_true(harness__num(job, "memory.peak_rss_bytes") > 0);
	assert_int_equal(harness__num(job, "events.received"), processes);
	assert_true(json_is_true(harness__get(job, "complete")));
	assert_int_equal(json_array_size(harness__get(job, "incomplete")), 0);
	assert_true(harness__num(job, "job.wall_s") > 0);

	/* The same record through the library, woken by its fd. */
	poll_for_job_end(r, fd, key, &je);
	assert_int_equal(je.exited, processes);
	assert_int_equal(je.exit_ok, harness__num(truth, "exit_ok"));
	assert_int_equal(je.exit_error, harness__num(truth, "exit_error"));
	assert_int_equal(je.exit_signal, harness__num(truth, "exit_signal"));
	assert_true(je.flags & JT_STREAM_JE_COMPLETE);
	json_decref(job);
	json_decref(truth);

	/* Killed: the file stays RUNNING; the heartbeat stops, the pid is gone. */
	assert_int_equal(jobtrace_stream_state(r), JT_STREAM_RUNNING);
	kill(serve, SIGKILL);
	st = harness__wait(serve);
	assert_true(WIFSIGNALED(st));
	t0 = harness__mono_ns();
	st = harness__wait_s(tail, JT_STREAM_GONE_MS / 1000 + 30);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_true(harness__has(terr, "is gone without closing it"));
	/* And the library says so, through the fd too, within the bound. */
	while (harness__mono_ns() - t0 < (JT_STREAM_GONE_MS + 30000) * 1000000ULL) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		union jt_stream_record rec;

		poll(&p, 1, 200);
		while (jobtrace_stream_next(r, &rec) == 1)
			;
		state_now = jobtrace_stream_state(r);
		if (state_now == JT_STREAM_GONE)
			break;
	}
	assert_int_equal(state_now, JT_STREAM_GONE);
	jobtrace_stream_close(r);
	harness__cgroup_remove(cg_name);
}

/* A clean stop still reads CLOSED, never GONE: tail --until-closed exits 0. */
static void test_clean_stop_is_closed(void **state)
{
	char err[300], out[300];
	char *targv[] = { H.jobtrace, "tail", "--until-closed", "--stream", stream_path, NULL };
	struct jobtrace_stream *r;
	pid_t serve, tail;
	int st;

	harness__path(err, sizeof(err), "serve2.err");
	harness__path(out, sizeof(out), "tail2.out");
	serve = serve_start(err);
	tail = harness__spawn(targv, out, out);
	wait_for_line(out);
	r = jobtrace_stream_open(stream_path);
	assert_non_null(r);
	kill(serve, SIGTERM);
	st = harness__wait(serve);
	assert_true(WIFEXITED(st));
	st = harness__wait_s(tail, 30);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(jobtrace_stream_state(r), JT_STREAM_CLOSED);
	jobtrace_stream_close(r);
}

/*
 * Liveness by the heartbeat alone: serve, alive, stays RUNNING for longer
 * than the bound (its timer stamps the heartbeat when nothing happens);
 * stopped (SIGSTOP: its pid still there), it is judged gone once the
 * heartbeat is older than JT_STREAM_GONE_MS, and tail --until-closed ends.
 */
static void test_silent_writer_is_gone(void **state)
{
	char err[300], out[300];
	char *targv[] = { H.jobtrace, "tail", "--until-closed", "--stream", stream_path, NULL };
	struct jobtrace_stream *r;
	__u64 t0 = harness__mono_ns();
	pid_t serve, tail;
	int st;

	harness__path(err, sizeof(err), "serve3.err");
	harness__path(out, sizeof(out), "tail3.out");
	serve = serve_start(err);
	r = jobtrace_stream_open(stream_path);
	assert_non_null(r);
	while (harness__mono_ns() - t0 < (JT_STREAM_GONE_MS + 2000) * 1000000ULL) {
		assert_int_equal(jobtrace_stream_state(r), JT_STREAM_RUNNING);
		harness__sleep_ms(200);
	}
	tail = harness__spawn(targv, out, out);
	wait_for_line(out);
	kill(serve, SIGSTOP);
	/*
	 * Failed once in make test (tail still running 35 s on), never alone:
	 * what tail printed and what a reader sees then go in the failure.
	 */
	for (__u64 dl = harness__mono_ns() + (JT_STREAM_GONE_MS + 30000) * 1000000ULL;;) {
		if (waitpid(tail, &st, WNOHANG) == tail) {
			harness__track(0, tail);
			break;
		}
		if (harness__mono_ns() > dl) {
			const char *said;
			size_t len;

			kill(tail, SIGKILL);
			waitpid(tail, &st, 0);
			harness__track(0, tail);
			said = harness__slurp(out);
			len = strlen(said);
			print_error("serve said: %s\n", harness__slurp(err));
			fail_msg("tail --until-closed still ran %d s after serve stopped; a reader "
				 "sees state %d; the end of what tail printed: %s",
				 JT_STREAM_GONE_MS / 1000 + 30, jobtrace_stream_state(r),
				 said + (len > 2000 ? len - 2000 : 0));
		}
		harness__sleep_ms(5);
	}
	assert_int_equal(jobtrace_stream_state(r), JT_STREAM_GONE);
	kill(serve, SIGKILL);
	harness__wait(serve);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_true(harness__has(out, "no heartbeat"));
	jobtrace_stream_close(r);
}

/*
 * tail --count N prints N records and stops, where the records it reads
 * in one call are more: tail is stopped (SIGSTOP) after its first line
 * while serve publishes several passes' records, then let go. The count
 * is the lines printed, each a whole JSON record, but for a "missed" line
 * where the ring went round the stopped reader (under load): that is
 * tail's note of what it lost, not a record of serve's.
 */
static void test_count_within_a_batch(void **state)
{
	char err[300], out[300], terr[300];
	char *targv[] = { H.jobtrace, "tail", "--json", "--count", "3", "--stream", stream_path,
			  NULL };
	struct jobtrace_stream *r;
	union jt_stream_record rec;
	json_t *lines;
	pid_t serve, tail;
	int st, waiting = 0;

	harness__path(err, sizeof(err), "serve5.err");
	harness__path(out, sizeof(out), "tail5.out");
	harness__path(terr, sizeof(terr), "tail5.err");
	serve = serve_start(err);
	tail = harness__spawn(targv, out, terr);
	wait_for_line(out);
	kill(tail, SIGSTOP);
	/* At least 8 records published after the stop: more than tail still has to print. */
	r = jobtrace_stream_open(stream_path);
	assert_non_null(r);
	for (__u64 t0 = harness__mono_ns(); waiting < 8;) {
		if (jobtrace_stream_next(r, &rec) == 1) {
			waiting++;
			continue;
		}
		if (harness__mono_ns() - t0 > HARNESS_WAIT_S * 1000000000ULL)
			fail_msg("serve published %d records in %d s", waiting, HARNESS_WAIT_S);
		harness__sleep_ms(50);
	}
	jobtrace_stream_close(r);
	kill(tail, SIGCONT);
	st = harness__wait_s(tail, 30);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	lines = harness__lines(out, NULL);
	{
		size_t i, records = 0, missed = 0;
		json_t *l;

		json_array_foreach(lines, i, l) {
			if (!strcmp(harness__str(l, "type"), "missed")) {
				assert_true(harness__num(l, "records") > 0);
				missed++;
			} else {
				records++;
			}
		}
		if (missed)
			print_message("  the ring went round the stopped tail: %zu missed line%s\n",
				      missed, missed == 1 ? "" : "s");
		assert_int_equal(records, 3);
	}
	json_decref(lines);
	kill(serve, SIGTERM);
	harness__wait(serve);
}

/* The lines of @path whose "type" is @type and, unless NULL, whose @key_field is @key. */
static json_t *lines_of(const char *path, const char *type, const char *key_field, const char *key)
{
	json_t *out = json_array();
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	assert_non_null(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		json_error_t e;
		json_t *r = json_loads(line, 0, &e);

		if (!r)
			fail_msg("%s: a line is not JSON: %s: %.300s", path, e.text, line);
		if (!strcmp(harness__str(r, "type") ?: "", type) &&
		    (!key_field || !strcmp(harness__str(r, key_field) ?: "", key)))
			json_array_append_new(out, json_string(line));
		json_decref(r);
	}
	free(line);
	fclose(f);
	return out;
}

static bool has_line(json_t *lines, const char *line)
{
	for (size_t i = 0; i < json_array_size(lines); i++)
		if (!strcmp(json_string_value(json_array_get(lines, i)), line))
			return true;
	return false;
}

/*
 * One record model: what `tail --json` prints of serve's stream is, line for
 * line and byte for byte, what serve's own JSON-lines output (-o) has for
 * the same records: a churn's every process exit, its intervals and its
 * job line (with its failures and commands, sent as text), and the host's
 * and system lines tail saw. Ground truth for the counts: churn --truth.
 */
static void test_tail_lines_are_serves(void **state)
{
	char err[300], out[300], terr[300], jsonl[300], truth_path[300], key[128];
	char *cargv[] = { H.churn,    "--children", "40", "--fail", "5", "--kill", "3",
			  "--threads", "2",	    "--truth", truth_path, NULL };
	char *targv[] = { H.jobtrace, "tail", "--json", "--until-closed", "--stream",
			  stream_path, NULL };
	const char *types[] = { "exit", "interval", "job" };
	json_t *truth, *job;
	pid_t serve, tail, churn;
	int st;

	harness__path(err, sizeof(err), "serve4.err");
	harness__path(out, sizeof(out), "tail4.out");
	harness__path(terr, sizeof(terr), "tail4.err");
	harness__path(jsonl, sizeof(jsonl), "serve4.jsonl");
	harness__path(truth_path, sizeof(truth_path), "truth4.json");
	serve = serve_start_to(err, jsonl);
	tail = harness__spawn(targv, out, terr);
	wait_for_line(out);
	harness__cgroup_make(cg_name);
	churn = harness__cgroup_spawn(cg_name, cargv, NULL, NULL);
	st = harness__wait_s(churn, 60);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	truth = harness__json(truth_path);
	snprintf(key, sizeof(key), "cgroup:/%s", cg_name);
	job = wait_for_job(out, key, 60);
	if (!job)
		fail_msg("tail printed no job record of %s: %s", key, harness__slurp(out));
	json_decref(job);
	assert_int_equal(harness__serve_stop(serve, err), 0);
	st = harness__wait_s(tail, 30);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		const char *field = strcmp(types[k], "job") ? "job" : "job.key";
		json_t *mine = lines_of(out, types[k], field, key);
		json_t *serves = lines_of(jsonl, types[k], field, key);

		print_message("  %s lines of the job: tail %zu, serve %zu\n", types[k],
			      json_array_size(mine), json_array_size(serves));
		assert_int_equal(json_array_size(mine), json_array_size(serves));
		for (size_t i = 0; i < json_array_size(mine); i++)
			if (!has_line(serves, json_string_value(json_array_get(mine, i))))
				fail_msg("tail's line is not serve's: %s",
					 json_string_value(json_array_get(mine, i)));
		if (!strcmp(types[k], "exit"))
			assert_int_equal(json_array_size(mine), harness__num(truth, "processes"));
		if (!strcmp(types[k], "job"))
			assert_int_equal(json_array_size(mine), 1);
		json_decref(mine);
		json_decref(serves);
	}
	/* The host's lines, and the system lines after them, that tail saw. */
	for (size_t k = 0; k < 2; k++) {
		json_t *mine = lines_of(out, k ? "system" : "host", NULL, NULL);
		json_t *serves = lines_of(jsonl, k ? "system" : "host", NULL, NULL);

		assert_true(json_array_size(mine) > 0);
		for (size_t i = 0; i < json_array_size(mine); i++)
			if (!has_line(serves, json_string_value(json_array_get(mine, i))))
				fail_msg("tail's line is not serve's: %s",
					 json_string_value(json_array_get(mine, i)));
		json_decref(mine);
		json_decref(serves);
	}
	json_decref(truth);
	harness__cgroup_remove(cg_name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_end_then_writer_killed),
		cmocka_unit_test(test_clean_stop_is_closed),
		cmocka_unit_test(test_tail_lines_are_serves),
		cmocka_unit_test(test_silent_writer_is_gone),
		cmocka_unit_test(test_count_within_a_batch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
