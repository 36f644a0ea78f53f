// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The files -o and --events name: jobtrace writes them as root, for hours.
 * A full disk (a small tmpfs the test fills and frees) costs whole records,
 * said at once on stderr and counted, never a line cut in two, and writing
 * resumes when space returns; `run` still exits with its command's status.
 * A symbolic link planted at the path is refused, not followed, and a new
 * file has the same mode whatever the umask.
 *
 * Loads the real BPF programs as root: a machine where they cannot load
 * fails the test rather than skipping it.
 */
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/sink.h"
#include "jobtrace/util.h"
#include "testutil.h"
#include "harness.h"

#define EXIT_INTERNAL 125
#define JT_WAIT_S 60 /* nothing here may hang: past it jobtrace is killed and the test fails */

static char mnt[600]; /* a small tmpfs, mounted by the tests that fill it */

static double mono_s(void)
{
	return (double)harness__mono_ns() / 1e9;
}

/* A prep step: the umask jobtrace runs under, set in the child so the test's own stays. */
static int set_umask(const void *bits)
{
	umask(*(const mode_t *)bits);
	return 0;
}

/* jobtrace @args with stdout and stderr to files (NULL: /dev/null), under @umask_bits. */
static pid_t spawn_jt(char *const args[], const char *out, const char *err, mode_t umask_bits)
{
	char *argv[32] = { H.jobtrace };

	for (int i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	return harness__spawn_prep(argv, out, err, set_umask, &umask_bits);
}

static int run_jt(char *const args[], const char *out, const char *err, mode_t umask_bits)
{
	return harness__wait_s(spawn_jt(args, out, err, umask_bits), JT_WAIT_S);
}

/* Whether @path has @needle; a file not there yet has nothing. */
static bool file_has(const char *path, const char *needle)
{
	char *s = harness__read(path);
	bool found = strstr(s, needle) != NULL;

	free(s);
	return found;
}

/* Waits up to @limit_s for @needle in @path; returns the seconds it took, or -1. */
static double wait_text(const char *path, const char *needle, double limit_s)
{
	long ms = harness__wait_text(path, needle, (long)(limit_s * 1000));

	return ms < 0 ? -1 : (double)ms / 1000;
}

static size_t lines_in(const char *path)
{
	char *s = harness__read(path);
	size_t n = 0;

	for (char *p = s; *p; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/*
 * Every line of @path parses as a JSON object and the file ends with a
 * newline; returns the lines, and the largest output_records_dropped of
 * the job lines in *dropped_max.
 */
static size_t check_json_lines(const char *path, double *dropped_max)
{
	char *s = harness__read(path), *line = s, *nl;
	size_t n = 0;

	*dropped_max = -1;
	while ((nl = strchr(line, '\n'))) {
		const char *type;
		json_error_t jerr;
		json_t *r;

		*nl = '\0';
		r = json_loads(line, 0, &jerr);
		if (!json_is_object(r))
			fail_msg("line %zu of %s is not a JSON object (%s): %.200s", n + 1, path,
				 jerr.text, line);
		type = json_string_value(json_object_get(r, "type"));
		/* run --json without --interval: one object, the job's, with no type. */
		if (!type || !strcmp(type, "job")) {
			json_t *d = json_object_get(r, "output_records_dropped");

			assert_true(json_is_integer(d));
			if (json_number_value(d) > *dropped_max)
				*dropped_max = json_number_value(d);
		}
		json_decref(r);
		n++;
		line = nl + 1;
	}
	if (*line)
		fail_msg("%s ends in a line cut in two: %.200s", path, line);
	free(s);
	return n;
}

/* Fills the tmpfs to its last page; the filler file is @path. */
static void fill(const char *path)
{
	static char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	assert_true(fd >= 0);
	memset(block, 'x', sizeof(block));
	/* Page by page to the last one, then byte by byte into what a page left. */
	while ((n = write(fd, block, sizeof(block))) > 0)
		;
	while ((n = write(fd, block, 1)) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

static void mount_tmpfs(const char *size)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "size=%s,mode=0755", size);
	snprintf(mnt, sizeof(mnt), "%s/fs", H.tmpdir);
	mkdir(mnt, 0755);
	if (mount("jobtrace-test", mnt, "tmpfs", 0, opts))
		fail_msg("cannot mount a tmpfs on %s: %s", mnt, strerror(errno));
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
 * watch --all --json -i 0.2 -o FILE on a 4 MiB tmpfs: the test fills it
 * while watch writes, and frees it. The drop is said at once, writing
 * resumes, every line of the file is whole JSON, and the exit says how many
 * records were dropped, as the job lines written after the drop do.
 * A job per user: grouped by cgroup, a host with thousands of them (another
 * test's, a neighbour's bench: 2,000 here) wrote enough to fill the 4 MiB
 * again within a second of the test freeing them, and drops went on after
 * the job lines that count them.
 */
static void test_watch_full_disk(void **state)
{
	/* --duration: a failed assertion must not leave it running. */
	char out[700], err[700], filler[700], *args[] = { "watch", "--all", "-g", "user", "--json",
							"-i", "0.2", "--duration", "120",
							"-o", out, NULL };
	char want[900], *log;
	size_t before, n;
	double took, dropped_max;
	unsigned long long dropped = 0;
	const char *at;
	pid_t w;
	int st;

	mount_tmpfs("4m");
	snprintf(out, sizeof(out), "%s/%s", mnt, "host.jsonl");
	snprintf(filler, sizeof(filler), "%s/%s", mnt, "filler");
	harness__path(err, sizeof(err), "watch.err");
	w = spawn_jt(args, NULL, err, 022);
	if (wait_text(err, "jobtrace: attached", 30) < 0)
		fail_msg("watch did not attach:\n%s", harness__read(err));
	for (double t0 = mono_s(); lines_in(out) < 10; harness__sleep_ms(50))
		if (mono_s() - t0 > 30)
			fail_msg("watch wrote %zu lines in 30 s", lines_in(out));

	fill(filler);
	snprintf(want, sizeof(want), "jobtrace: cannot write to %s: No space left on device", out);
	took = wait_text(err, want, 5);
	if (took < 0)
		fail_msg("no message within 5 s of the disk filling up; stderr:\n%s",
			 harness__read(err));
	/* Ten intervals of 0.2 s: "at once" with room for a loaded machine. */
	assert_true(took < 2);
	/*
	 * A small record may still fit what the file's last page has left:
	 * what matters is that it is whole, which check_json_lines says.
	 * Once space returns, lines come again.
	 */
	harness__sleep_ms(600);
	before = lines_in(out);
	assert_int_equal(unlink(filler), 0);
	snprintf(want, sizeof(want), "jobtrace: writing to %s again", out);
	if (wait_text(err, want, 5) < 0)
		fail_msg("writing did not resume; stderr:\n%s", harness__read(err));
	for (double t0 = mono_s(); lines_in(out) < before + 5 && mono_s() - t0 < 5;)
		harness__sleep_ms(50);
	assert_true(lines_in(out) >= before + 5);

	assert_int_equal(kill(w, SIGTERM), 0);
	st = harness__wait_s(w, JT_WAIT_S);
	/* Records were lost: the exit says so, as it does for any write that failed. */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EXIT_INTERNAL);
	log = harness__read(err);
	snprintf(want, sizeof(want), "jobtrace: %s: ", out);
	at = strstr(log, want);
	if (!at || sscanf(at + strlen(want), "%llu records were dropped in all", &dropped) != 1)
		fail_msg("no count of the records dropped at the exit:\n%s", log);
	free(log);
	assert_true(dropped > 0);

	n = check_json_lines(out, &dropped_max);
	assert_true(n > before);
	/* The jobs reported at the end, after the drop, say what this file misses. */
	assert_true(dropped_max == (double)dropped);
}

/*
 * `run -o FILE` on a full disk: the message names the file and the cause,
 * the file is left empty (no cut line), and the command's own status is
 * the exit status; a command that succeeded exits 125, the report lost.
 */
static void test_run_full_disk(void **state)
{
	char out[700], err[700], filler[700], want[900];
	char *fail3[] = { "run", "--json", "-o", out, "--", "sh", "-c", "exit 3", NULL };
	char *ok[] = { "run", "-o", out, "--", "true", NULL };
	struct stat sb;
	int st;

	mount_tmpfs("64k");
	snprintf(out, sizeof(out), "%s/%s", mnt, "report.json");
	snprintf(filler, sizeof(filler), "%s/%s", mnt, "filler");
	harness__path(err, sizeof(err), "run.err");
	fill(filler);
	snprintf(want, sizeof(want), "jobtrace: cannot write to %s: No space left on device", out);

	st = run_jt(fail3, NULL, err, 022);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	if (!file_has(err, want))
		fail_msg("no message naming %s:\n%s", out, harness__read(err));
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_size, 0);

	st = run_jt(ok, NULL, err, 022);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EXIT_INTERNAL);
	if (!file_has(err, want))
		fail_msg("no message naming %s:\n%s", out, harness__read(err));
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_size, 0);

	/* Space back: the same command writes its report whole. */
	assert_int_equal(unlink(filler), 0);
	st = run_jt(fail3, NULL, err, 022);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_false(file_has(err, "cannot write"));
	{
		double d;

		assert_int_equal(check_json_lines(out, &d), 1);
	}
}

/*
 * A symbolic link at the -o path (a dangling one, or one to a file that
 * must not be touched) is refused with a message that says so, for the
 * report and for --events; the command does not run; neither target is
 * made or changed.
 */
static void test_symlink_refused(void **state)
{
	char link[700], victim[700], dangling[700], missing[700], err[700], ran[700];
	char touch[800];
	char *rep[] = { "run", "-o", link, "--", "sh", "-c", touch, NULL };
	char *ev[] = { "run", "-e", link, "--", "sh", "-c", touch, NULL };
	char *dang[] = { "run", "-o", dangling, "--", "sh", "-c", touch, NULL };
	char *watch[] = { "watch", "--all", "--duration", "1", "-o", link, NULL };
	char *const *cases[] = { rep, ev, dang, watch };
	char *s;
	int st, fd;

	harness__path(link, sizeof(link), "link.json");
	harness__path(victim, sizeof(victim), "victim");
	harness__path(dangling, sizeof(dangling), "dangling.json");
	harness__path(missing, sizeof(missing), "made-by-root");
	harness__path(err, sizeof(err), "link.err");
	harness__path(ran, sizeof(ran), "ran");
	snprintf(touch, sizeof(touch), "touch %s", ran);
	fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "precious\n", 9), 9);
	close(fd);
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(symlink(missing, dangling), 0);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		st = run_jt(cases[i], NULL, err, 022);
		assert_true(WIFEXITED(st));
		assert_int_not_equal(WEXITSTATUS(st), 0);
		if (!file_has(err, "symbolic link, which jobtrace does not follow"))
			fail_msg("case %zu: no clear refusal:\n%s", i, harness__read(err));
		s = harness__read(victim);
		assert_string_equal(s, "precious\n");
		free(s);
		assert_int_not_equal(access(missing, F_OK), 0);
		assert_int_not_equal(access(ran, F_OK), 0);
	}
	/* Not a regular file: a FIFO is refused at once, never waited on. */
	unlink(link);
	assert_int_equal(mkfifo(link, 0600), 0);
	st = run_jt(rep, NULL, err, 022);
	assert_true(WIFEXITED(st));
	assert_int_not_equal(WEXITSTATUS(st), 0);
	if (!file_has(err, "not a regular file"))
		fail_msg("a FIFO: no clear refusal:\n%s", harness__read(err));
	assert_int_not_equal(access(ran, F_OK), 0);
	unlink(link);
	unlink(dangling);
	unlink(victim);
}

/*
 * The second job's picture is named PIC.2.svg, which -o names too: the
 * report there is not emptied nor written over by the picture (it held the
 * two reports, then the tail of an SVG); the picture is refused, said by
 * its name, and watch exits 125, naming the output that failed.
 */
static void test_picture_name_taken(void **state)
{
	char svg[700], out[700], err[700], pa[16], pb[16];
	char *args[] = { "watch", "--pid", pa, "--pid", pb, "--svg", svg, "--json", "-o", out,
			 "--duration", "20", NULL };
	char *sleep_a[] = { "/bin/sleep", "1", NULL }, *sleep_b[] = { "/bin/sleep", "1.5", NULL };
	pid_t a, b;
	json_error_t je;
	int st, lines = 0;
	char *text, *line, *save;

	harness__path(svg, sizeof(svg), "pic.svg");
	harness__path(out, sizeof(out), "pic.2.svg");
	harness__path(err, sizeof(err), "pic.err");
	a = harness__spawn(sleep_a, NULL, NULL);
	b = harness__spawn(sleep_b, NULL, NULL);
	snprintf(pa, sizeof(pa), "%d", (int)a);
	snprintf(pb, sizeof(pb), "%d", (int)b);
	st = run_jt(args, NULL, err, 022);
	harness__wait(a);
	harness__wait(b);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != EXIT_INTERNAL ||
	    !file_has(err, "another output of this jobtrace writes to it") ||
	    !file_has(err, "cannot write the picture to") || !file_has(err, "/pic.2.svg: ") ||
	    !file_has(err, "cannot write to ") || !file_has(err, "/pic.svg: "))
		fail_msg("exit %d, stderr:\n%s", WEXITSTATUS(st), harness__read(err));
	/* -o's file: the two reports, JSON lines, nothing else. */
	text = harness__read(out);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, &je);

		if (!o)
			fail_msg("line %d of -o's file is not JSON: %.80s", lines + 1, line);
		json_decref(o);
		lines++;
	}
	assert_int_equal(lines, 2);
	free(text);
	/*
	 * A descriptor of the file passed on by the caller (flock(1)'s lock,
	 * a shell's 2>F) is none of jobtrace's outputs: -o F writes as before.
	 */
	{
		char *run_args[] = { "run", "-o", out, "--", "true", NULL };
		int held = open(out, O_RDONLY); /* no O_CLOEXEC: jobtrace inherits it */

		assert_true(held >= 0);
		st = run_jt(run_args, NULL, err, 022);
		close(held);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !file_has(out, "exited with status 0"))
			fail_msg("-o F with F open in the caller: exit %d, stderr:\n%s",
				 WEXITSTATUS(st), harness__read(err));
	}
	/*
	 * But standard output, or standard error, where an output of
	 * jobtrace's writes to it (--events -, run's report): its file is
	 * that output's, and a picture named so is refused, not written over
	 * it (--events - > F --svg F left the SVG's head under the record).
	 */
	{
		char *ev_args[] = { "run", "--events", "-", "--svg", out, "--", "true", NULL };
		char *rep_args[] = { "run", "--svg", out, "--", "true", NULL };

		st = run_jt(ev_args, out, err, 022);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != EXIT_INTERNAL ||
		    !file_has(err, "another output of this jobtrace writes to it") ||
		    file_has(out, "<svg"))
			fail_msg("--events - > F --svg F: exit %d, stderr:\n%s", WEXITSTATUS(st),
				 harness__read(err));
		st = run_jt(rep_args, NULL, out, 022);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != EXIT_INTERNAL || file_has(out, "<svg") ||
		    !file_has(out, "another output of this jobtrace writes to it"))
			fail_msg("run 2> F --svg F: exit %d, F:\n%s", WEXITSTATUS(st),
				 harness__read(out));
	}
	unlink(svg);
	unlink(out);
	unlink(err);
}

/*
 * The mode of a new report file is SINK_FILE_MODE under any umask, for -o
 * and --events; an existing file keeps its own mode and is emptied; "-o -"
 * is standard output.
 */
static void test_file_mode(void **state)
{
	const mode_t umasks[] = { 077, 000, 022 };
	char out[700], ev[700], err[700], so[700];
	char *args[] = { "run", "--json", "-o", out, "-e", ev, "--", "true", NULL };
	char *dash[] = { "run", "--json", "-o", "-", "--", "true", NULL };
	struct stat sb;
	double d;
	int st, fd;

	harness__path(out, sizeof(out), "mode.json");
	harness__path(ev, sizeof(ev), "mode.events");
	harness__path(err, sizeof(err), "mode.err");
	harness__path(so, sizeof(so), "mode.stdout");
	for (size_t i = 0; i < ARRAY_SIZE(umasks); i++) {
		unlink(out);
		unlink(ev);
		st = run_jt(args, NULL, err, umasks[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
		assert_int_equal(lstat(out, &sb), 0);
		assert_true(S_ISREG(sb.st_mode));
		if ((sb.st_mode & 07777) != SINK_FILE_MODE)
			fail_msg("umask %03o: the report's mode is %04o, not %04o", umasks[i],
				 sb.st_mode & 07777, SINK_FILE_MODE);
		assert_int_equal(lstat(ev, &sb), 0);
		assert_int_equal(sb.st_mode & 07777, SINK_FILE_MODE);
		assert_int_equal(check_json_lines(out, &d), 1);
	}
	/* An existing file: its owner's mode stays, its old content goes. */
	fd = open(out, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0600), 0);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(write(fd, "old old old old\n", 16), 16);
	close(fd);
	st = run_jt(args, NULL, err, 000);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(lstat(out, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(check_json_lines(out, &d), 1);
	/* "-": standard output, no file of that name. */
	st = run_jt(dash, so, err, 022);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(check_json_lines(so, &d), 1);
	assert_int_not_equal(access("-", F_OK), 0);
}

/*
 * A descriptor the caller holds, by its name: /dev/stderr, /proc/self/fd/2
 * (what -o >(cmd) passes is /dev/fd/N) are links, yet name no file to
 * plant: the report goes to that descriptor. One open only for reading,
 * or not open at all, is refused before the command runs.
 */
static void test_named_descriptors(void **state)
{
	static const char *const names[] = { "/dev/stderr", "/proc/self/fd/2", "/dev/fd/2" };
	char err[600], marker[600], ro_name[64];
	char *ro[] = { "run", "--json", "-o", ro_name, "--", "/bin/touch", marker, NULL };
	int ro_fd;
	char *closed[] = { "run", "--json", "-o", "/dev/fd/57", "--", "/bin/touch", marker, NULL };

	harness__path(err, sizeof(err), "named.err");
	harness__path(marker, sizeof(marker), "named.ran");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *args[] = { "run", "--json", "-o", (char *)names[i], "--", "/bin/true", NULL };
		char *text;

		assert_int_equal(WEXITSTATUS(run_jt(args, NULL, err, 022)), 0);
		text = harness__read(err);
		if (!strstr(text, "{\"version\""))
			fail_msg("-o %s: no report on the descriptor; stderr said: %s", names[i], text);
		free(text);
	}
	/* A descriptor jobtrace inherits open for reading only: not a place for a report. */
	ro_fd = open("/dev/null", O_RDONLY);
	assert_true(ro_fd > 2);
	snprintf(ro_name, sizeof(ro_name), "/dev/fd/%d", ro_fd);
	unlink(marker);
	assert_int_equal(WEXITSTATUS(run_jt(ro, NULL, err, 022)), 125);
	close(ro_fd);
	assert_true(file_has(err, "Bad file descriptor"));
	assert_int_equal(WEXITSTATUS(run_jt(closed, NULL, err, 022)), 125);
	assert_true(file_has(err, "No such file or directory"));
	assert_int_not_equal(access(marker, F_OK), 0);
}

static int setup(void **state)
{
	if (harness__setup("outfiles"))
		return -1;
	/* A kernel test that cannot run is a failure, never a skip. */
	return harness__require_bpf();
}

static int teardown(void **state)
{
	umount_tmpfs(state);
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_watch_full_disk, umount_tmpfs),
		cmocka_unit_test_teardown(test_run_full_disk, umount_tmpfs),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_file_mode),
		cmocka_unit_test(test_named_descriptors),
		cmocka_unit_test(test_picture_name_taken),
	};

	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
