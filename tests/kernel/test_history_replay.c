// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The past from serve --history, against jobs the test ran: serve keeps a
 * history (files rotated every second, so most are zstd) while three jobs
 * of known lives run in cgroups, A, then B while A runs, then C once A has
 * ended. `top --replay --at` a moment when A and B both ran shows those two
 * alive and no C; stepping from A's end shows A alive, then ended (its
 * figures those of the interval it ended in, then none), then gone, never
 * alive again; a moment after all three ended shows none.
 * `history --job A --svg --html` draws A's picture from its kept records:
 * every process A ran is in it, with the totals of A's job line. On a
 * terminal (a private tmux server), t, T and b go where -b -n and --at
 * say the frames are.
 */
#include "testutil.h"
#include "harness.h"

#define LOOPS 12 /* A's and B's: a sleep and a true each */

static char dir[300], prefix[64];

static double real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t job_start(const char *name, int loops)
{
	char script[256];
	char *argv[] = { "/bin/sh", "-c", script, NULL };

	snprintf(script, sizeof(script),
		 "i=0; while [ $i -lt %d ]; do /bin/sleep 0.25; /bin/true; i=$((i+1)); done",
		 loops);
	harness__cgroup_make(name);
	return harness__cgroup_spawn(name, argv, NULL, "-");
}

static void job_wait(pid_t p)
{
	int st = harness__wait_s(p, 60);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* A job's ALIVE in a frame of `top -b -w 200`: its count, -1 "end", -2 no row. */
static int alive_in(const char *frame, const char *end, const char *name)
{
	char key[128], alive[16];
	const char *row;

	snprintf(key, sizeof(key), "\ncgroup:/%s ", name);
	row = strstr(frame, key);
	if (!row || (end && row > end))
		return -2;
	if (sscanf(row + strlen(key), "%15s", alive) != 1)
		fail_msg("no ALIVE in the row of %s:\n%s", name, frame);
	return strcmp(alive, "end") ? atoi(alive) : -1;
}

/*
 * Whether a job's row in a frame says it did nothing in the frame's
 * interval: 0 started, exited and failed, no CPU (an ended job, kept).
 */
static bool idle_in(const char *frame, const char *end, const char *name)
{
	char key[128], alive[16], st[16], ex[16], fl[16], cpu[16];
	const char *row;

	snprintf(key, sizeof(key), "\ncgroup:/%s ", name);
	row = strstr(frame, key);
	if (!row || (end && row > end))
		return false;
	if (sscanf(row + strlen(key), "%15s %15s %15s %15s %15s", alive, st, ex, fl, cpu) != 5)
		fail_msg("no figures in the row of %s:\n%s", name, frame);
	return !strcmp(st, "0") && !strcmp(ex, "0") && !strcmp(fl, "0") && !strcmp(cpu, "0.0");
}

/* `top --replay -b` of @d at @at, @n frames; what it printed (to free). */
/* @env before the command: "JOBTRACE_REPLAY_REBUILD=1" builds every frame from its warm-up. */
static char *replay_dir(const char *d, const char *env, double at, int n)
{
	char cmd[2048];
	int code = -1;
	char *out;

	snprintf(cmd, sizeof(cmd),
		 "env %s %s top --replay -b -w 200 -n %d -f %s --at %.3f %s 2>%s/replay.err", env,
		 H.jobtrace, n, prefix, at, d, H.tmpdir);
	out = harness__sh_out(cmd, &code);
	if (code)
		fail_msg("top --replay exited %d:\n%s\n%s", code, out,
			 harness__slurp(harness__path(cmd, sizeof(cmd), "replay.err")));
	return out;
}

static char *replay_env(const char *env, double at, int n)
{
	return replay_dir(dir, env, at, n);
}

static char *replay(double at, int n)
{
	return replay_env("", at, n);
}

/* The title's time of the first frame in @text: "HH:MM:SS" of "replay YYYY-MM-DD HH:MM:SS". */
static void title_time(const char *text, char out[9])
{
	const char *t = strstr(text, "jobtrace top - replay ");

	if (!t || strlen(t) < 41)
		fail_msg("no replay title in:\n%s", text);
	memcpy(out, t + strlen("jobtrace top - replay ") + 11, 8);
	out[8] = '\0';
}

static char tmux_sock[64];

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Waits until the screen's title says @want; fails with the screen after 20 s. */
static void wait_title(const char *want, const char *what)
{
	char cmd[256], *screen = NULL;

	snprintf(cmd, sizeof(cmd), "tmux -L %s capture-pane -p -t replay 2>/dev/null", tmux_sock);
	for (int i = 0; i < 200; i++) {
		char got[9];

		free(screen);
		screen = harness__sh_out(cmd, NULL);
		if (strstr(screen, "jobtrace top - replay ")) {
			title_time(screen, got);
			if (!strcmp(got, want)) {
				free(screen);
				return;
			}
		}
		harness__sleep_ms(100);
	}
	fail_msg("%s: the title is not at %s:\n%s", what, want, screen);
}

static void keys(const char *k)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "tmux -L %s send-keys -t replay %s", tmux_sock, k);
	assert_int_equal(sh(cmd), 0);
}

/* The screen steps where batch mode says the frames are: t, T, and b with a time typed. */
static void check_keys(double at, double jump)
{
	char cmd[2048], first[9], second[9], jumped[9], typed[16], status[600], *text, *f2;
	time_t js = (time_t)jump;
	struct tm tm;
	FILE *f;
	int code = -1;

	/* Two steps: frames 0.5 s apart may share their second, two never do. */
	text = replay(at, 3);
	title_time(text, first);
	f2 = strstr(strstr(text, "jobtrace top - replay ") + 1, "jobtrace top - replay ");
	assert_non_null(f2);
	f2 = strstr(f2 + 1, "jobtrace top - replay ");
	assert_non_null(f2);
	title_time(f2, second);
	assert_string_not_equal(first, second);
	free(text);
	localtime_r(&js, &tm);
	strftime(typed, sizeof(typed), "%H:%M:%S", &tm);
	snprintf(cmd, sizeof(cmd),
		 "%s top --replay -b -w 200 -f %s --at %s %s 2>/dev/null", H.jobtrace, prefix, typed,
		 dir);
	text = harness__sh_out(cmd, NULL);
	title_time(text, jumped);
	free(text);

	snprintf(tmux_sock, sizeof(tmux_sock), "jt-replay-%d", getpid());
	snprintf(status, sizeof(status), "%s/replay.status", H.tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "tmux -L %s -f /dev/null new-session -d -s replay -x 120 -y 30 "
		 "\"env TERM=xterm-256color %s top --replay -f %s --at %.3f %s 2>%s/tty.err; "
		 "echo \\$? > %s\"",
		 tmux_sock, H.jobtrace, prefix, at, dir, H.tmpdir, status);
	assert_int_equal(sh(cmd), 0);
	wait_title(first, "the start");
	keys("t t");
	wait_title(second, "t t");
	keys("T T");
	wait_title(first, "T T");
	snprintf(cmd, sizeof(cmd), "b %s Enter", typed);
	keys(cmd);
	wait_title(jumped, "b and a time");
	keys("q");
	for (int i = 0; i < 100 && access(status, F_OK); i++)
		harness__sleep_ms(100);
	snprintf(cmd, sizeof(cmd), "tmux -L %s kill-server 2>/dev/null", tmux_sock);
	sh(cmd);
	f = fopen(status, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &code), 1);
	fclose(f);
	assert_int_equal(code, 0);
}

static void test_replay_and_picture(void **state)
{
	char out[300], err[300], a[80], b[80], c[80], want[128], path[600], cmd[4096];
	char *serve_argv[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.5", "--history", dir,
			       "--history-rotate", "1", "-o", out, NULL };
	double b_start, a_end, c_end, t1;
	pid_t serve, pa, pb, pc;
	char *text, *frame;
	int st, code, seen_end = 0, gone = 0, frames = 0;

	snprintf(dir, sizeof(dir), "%s/history", H.tmpdir);
	snprintf(prefix, sizeof(prefix), "jt-replay-%d-", getpid());
	snprintf(a, sizeof(a), "%sa", prefix);
	snprintf(b, sizeof(b), "%sb", prefix);
	snprintf(c, sizeof(c), "%sc", prefix);
	harness__path(out, sizeof(out), "serve.jsonl");
	harness__path(err, sizeof(err), "serve.err");
	serve = harness__spawn(serve_argv, "-", err);
	if (harness__wait_text(err, "jobtrace: serving", 20000) < 0)
		fail_msg("serve did not start:\n%s", harness__read(err));
	/* A host record or two before the jobs: the replay has a start. */
	harness__sleep_ms(1200);

	pa = job_start(a, LOOPS);
	harness__sleep_ms(1500);
	pb = job_start(b, LOOPS);
	b_start = real_s();
	job_wait(pa);
	a_end = real_s();
	pc = job_start(c, 4);
	job_wait(pb);
	job_wait(pc);
	c_end = real_s();
	/*
	 * Past three refreshes after the last end (the ended rows are gone), and
	 * long enough after A's end for the ten frames stepped from it below:
	 * C may end soon after A on a fast machine.
	 */
	harness__sleep_ms(3000);
	while (real_s() < a_end + 6.0)
		harness__sleep_ms(100);
	assert_int_equal(kill(serve, SIGTERM), 0);
	st = harness__wait_s(serve, 20);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	harness__cgroup_remove(a);
	harness__cgroup_remove(b);
	harness__cgroup_remove(c);
	if (a_end - b_start < 1.5)
		fail_msg("A and B ran together %.2f s only: the machine is too slow for the test",
			 a_end - b_start);

	/* Both running, C not yet: the middle of what A and B had together. */
	t1 = (b_start + a_end) / 2;
	text = replay(t1, 1);
	print_message("  at A and B (%.3f):\n%s", t1, text);
	assert_true(alive_in(text, NULL, a) >= 1);
	assert_true(alive_in(text, NULL, b) >= 1);
	assert_int_equal(alive_in(text, NULL, c), -2);
	free(text);

	/* From A's end on, frame by frame: alive, ended, gone, never alive again. */
	text = replay(a_end - 0.25, 10);
	for (frame = strstr(text, "jobtrace top - "); frame; frames++) {
		char *next = strstr(frame + 1, "jobtrace top - ");
		int v = alive_in(frame - 1, next, a);

		if (v >= 0 && (seen_end || gone))
			fail_msg("A alive again after its end, frame %d:\n%s", frames, text);
		if (v == -1 && gone)
			fail_msg("A ended again after it left, frame %d:\n%s", frames, text);
		/*
		 * The frame of its end says what it did in that interval; the
		 * frames it is kept on after, nothing: it is ended (they said
		 * its averages over its life again and again, as live top did).
		 */
		if (v == -1 && seen_end && !idle_in(frame - 1, next, a))
			fail_msg("A ended, kept with figures of its own, frame %d:\n%s", frames,
				 text);
		seen_end += v == -1;
		gone += v == -2 && seen_end;
		frame = next;
	}
	if (frames != 10 || !seen_end || !gone)
		fail_msg("%d frames, A ended in %d, gone in %d:\n%s", frames, seen_end, gone, text);
	/* Live top keeps an ended row TOP_KEEP_ENDED (3) refreshes: so does the replay. */
	assert_int_equal(seen_end, 3);
	/*
	 * Steps forward go on from where the frame before stopped reading;
	 * each frame is the one built from its warm-up, as a jump builds it.
	 */
	frame = replay_env("JOBTRACE_REPLAY_REBUILD=1", a_end - 0.25, 10);
	assert_string_equal(text, frame);
	free(frame);
	free(text);
	text = replay(t1, 30);
	frame = replay_env("JOBTRACE_REPLAY_REBUILD=1", t1, 30);
	assert_string_equal(text, frame);
	free(frame);
	free(text);

	/* After all three ended: none. */
	text = replay(c_end + 2.5, 1);
	assert_int_equal(alive_in(text, NULL, a), -2);
	assert_int_equal(alive_in(text, NULL, b), -2);
	assert_int_equal(alive_in(text, NULL, c), -2);
	assert_non_null(strstr(text, "jobtrace top - replay "));
	free(text);

	/* The keys, from a moment A and B shared to A's end. */
	check_keys(t1, a_end + 1);

	/* A's picture from its kept records: its processes, its job line's totals. */
	snprintf(cmd, sizeof(cmd),
		 "%s history --job cgroup:/%s --svg %s/a.svg --html %s/a.html %s && "
		 "%s history --json --job cgroup:/%s %s > %s/a.jsonl && python3 -c '"
		 "import json, sys, xml.etree.ElementTree as ET\n"
		 "S = \"{http://www.w3.org/2000/svg}\"\n"
		 "svg = ET.parse(sys.argv[1]).getroot()\n"
		 "ET.parse(sys.argv[2])\n"
		 "meta = svg.find(S + \"metadata\")[0]\n"
		 "job = [j for j in map(json.loads, open(sys.argv[3])) if j[\"type\"] == \"job\"]\n"
		 "assert len(job) == 1, job\n"
		 "p = job[0][\"processes\"]\n"
		 "assert int(meta.get(\"processes\")) == p[\"started\"], (meta.attrib, p)\n"
		 "assert int(meta.get(\"cpu_ns\")) == job[0][\"cpu\"][\"total_ns\"], meta.attrib\n"
		 "for t in svg.iter(S + \"title\"): print(t.text)\n"
		 "' %s/a.svg %s/a.html %s/a.jsonl",
		 H.jobtrace, a, H.tmpdir, H.tmpdir, dir, H.jobtrace, a, dir, H.tmpdir, H.tmpdir,
		 H.tmpdir, H.tmpdir);
	text = harness__sh_out(cmd, &code);
	if (code)
		fail_msg("the picture of A from the history:\n%s", text);
	/* Every process A ran: sh, and LOOPS of sleep and of true. */
	snprintf(want, sizeof(want), "sleep: %d processes", LOOPS);
	if (!strstr(text, want))
		fail_msg("no '%s' in the picture's titles:\n%s", want, text);
	snprintf(want, sizeof(want), "true: %d processes", LOOPS);
	if (!strstr(text, want))
		fail_msg("no '%s' in the picture's titles:\n%s", want, text);
	assert_non_null(strstr(text, "sh: 1 process"));
	free(text);
	snprintf(path, sizeof(path), "%s/a.html", H.tmpdir);
	assert_true(harness__has(path, a));
}

/*
 * The history test_replay_and_picture kept, with one host line more: a copy
 * of its third stamped 99999999999 (a clock set far ahead when it was
 * written, or a corrupt stamp). No frame is of that time: the replay of
 * the copy is the replay of the history, frame for frame. Taken as a
 * frame, it ended every seek (beyond any target), the step after it
 * showed 1970, the next "the history ends at 5138".
 */
static void test_replay_future_stamp(void **state)
{
	char bad[400], cmd[4096], *out, *want, *got;
	double first, last;
	int code = -1;

	snprintf(bad, sizeof(bad), "%s/history-future", H.tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir -p %s; f=$(ls %s | grep -m1 '^history-.*\\.jsonl\\.zst$'); "
		 "for z in $(ls %s/history-*.jsonl.zst | sort); do zstd -dcq \"$z\" || true; "
		 "done | "
		 "awk '/\"type\":\"host\"/ { if (++n == 3) { print; "
		 "sub(/\"time\":[0-9.]+/, \"\\\"time\\\":99999999999.5\"); } } { print }' "
		 "> %s/${f%%.zst}; grep -c 99999999999 %s/history-*.jsonl",
		 bad, dir, dir, bad, bad);
	out = harness__sh_out(cmd, &code);
	if (code || atoi(out) != 1)
		fail_msg("cannot make the history with a future stamp (%d): %s", code, out);
	free(out);
	snprintf(cmd, sizeof(cmd),
		 "zstd -dcq $(ls %s/history-*.jsonl.zst | sort) 2>/dev/null | "
		 "grep '\"type\":\"host\"' | "
		 "sed -n '2p;$p' | sed 's/.*\"time\":\\([0-9.]*\\).*/\\1/'", dir);
	out = harness__sh_out(cmd, &code);
	if (sscanf(out, "%lf %lf", &first, &last) != 2)
		fail_msg("no host lines in %s: %s", dir, out);
	free(out);
	/* From the second host record on, every frame; and the last by itself. */
	want = replay(first, 12);
	got = replay_dir(bad, "", first, 12);
	if (strcmp(want, got))
		fail_msg("frames from %.3f with a future stamp:\n%s\nwithout:\n%s", first, got,
			 want);
	free(want);
	free(got);
	want = replay(last, 1);
	got = replay_dir(bad, "", last, 1);
	if (strcmp(want, got))
		fail_msg("the last frame with a future stamp:\n%s\nwithout:\n%s", got, want);
	free(want);
	free(got);
}

static int setup(void **state)
{
	return harness__group_setup("replay", true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_and_picture),
		cmocka_unit_test(test_replay_future_stamp),
	};

	return cmocka_run_group_tests(tests, setup, harness__group_teardown);
}
