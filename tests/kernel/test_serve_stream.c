// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * End-to-end tests of the stream: `jobtrace serve --stream F` while churn
 * runs in a cgroup v2 of its own (so host mode makes it a job of its own),
 * read by `jobtrace tail --json` processes and by libjobtrace in the test.
 * Ground truth: churn --varied --log writes every child's pid and the status
 * it chose. Needs root, BPF and a cgroup v2 where root may make cgroups;
 * fails, never skips, when they are missing.
 */
#include "testutil.h"
#include "harness.h"

#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/stream.h"

#define CHILDREN 60 /* churn --varied: status index % 7, every 13th killed by SIGUSR1 */

static char stream_path[256];

struct child_truth {
	int pid, code, sig;
};

/*
 * Runs @argv with its standard output, and error, in files where named;
 * where not, the test's own: serve's and tail's messages land in its log.
 */
static pid_t spawn2(char *const argv[], const char *out, const char *err)
{
	return harness__spawn(argv, out ? out : "-", err ? err : "-");
}

static pid_t spawn(char *const argv[], const char *out)
{
	return spawn2(argv, out, NULL);
}

/* serve --stream @path; returns once the stream file is there. */
static pid_t serve_start(const char *path, const char *kb)
{
	char *argv[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", "--stream", (char *)path,
			 "--stream-kb", (char *)kb, NULL };
	pid_t p;

	unlink(path);
	p = spawn(argv, NULL);
	for (int i = 0; i < 1000 && access(path, R_OK); i++)
		harness__sleep_ms(10);
	if (access(path, R_OK)) {
		kill(p, SIGKILL);
		harness__wait(p);
		fail_msg("serve made no stream at %s", path);
	}
	return p;
}

static void serve_stop(pid_t p)
{
	int st;

	kill(p, SIGTERM);
	st = harness__wait_s(p, 20);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Runs churn in a new cgroup v2 @name and waits for it; returns its pid. */
static pid_t churn_in_cgroup(const char *name, int children, const char *log)
{
	char n[16];
	char *argv[] = { H.churn, "--children", n, "--varied", "--log", (char *)log, NULL };
	int st;
	pid_t p;

	snprintf(n, sizeof(n), "%d", children);
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
	size_t n = 0;
	long idx;
	unsigned long long ns;

	assert_non_null(f);
	while (n < max && fscanf(f, "%d %ld %d %d %llu", &t[n].pid, &idx, &t[n].code, &t[n].sig,
				 &ns) == 5)
		n++;
	fclose(f);
	return n;
}

/* The exit records of job @key in a tail --json output, by pid. */
static size_t check_tail_output(const char *out, const char *key, const struct child_truth *t,
				size_t nt, int churn_pid)
{
	size_t exits = 0, forks = 0, matched = 0, line_no = 0;
	char line[8192];
	FILE *f = fopen(out, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_error_t err;
		json_t *r = json_loads(line, 0, &err);
		const char *type, *job;

		line_no++;
		if (!r)
			fail_msg("%s:%zu: not JSON: %s", out, line_no, err.text);
		type = json_string_value(json_object_get(r, "type"));
		assert_non_null(type);
		/* A 4 MiB ring and a prompt reader: nothing is missed (the reader would say so). */
		assert_string_not_equal(type, "missed");
		job = json_string_value(json_object_get(r, "job"));
		if (!job || strcmp(job, key)) {
			json_decref(r);
			continue;
		}
		if (!strcmp(type, "fork") &&
		    json_integer_value(json_object_get(r, "ppid")) == churn_pid)
			forks++;
		if (!strcmp(type, "exit")) {
			int pid = (int)json_integer_value(json_object_get(r, "pid"));

			exits++;
			for (size_t i = 0; i < nt; i++) {
				if (t[i].pid != pid)
					continue;
				matched++;
				assert_int_equal(json_integer_value(json_object_get(r, "ppid")),
						 churn_pid);
				if (t[i].sig) {
					assert_true(json_is_null(json_object_get(r, "exit_code")));
					assert_int_equal(json_integer_value(json_object_get(r, "signal")),
							 t[i].sig);
				} else {
					assert_int_equal(
						json_integer_value(json_object_get(r, "exit_code")),
						t[i].code);
				}
			}
		}
		json_decref(r);
	}
	fclose(f);
	/* churn's own exit and each child's; each child's fork, from churn. */
	assert_int_equal(matched, nt);
	assert_int_equal(exits, nt + 1);
	assert_int_equal(forks, nt);
	return exits;
}

/*
 * Two tail --json readers started before the job see all of its exits and
 * forks, with the statuses churn chose; a library reader started after it
 * sees the next job's records and none of its.
 */
static void test_two_tails_see_the_job(void **state)
{
	char key[128], name[64], log[300], out1[300], out2[300], name2[64], key2[128], log2[300];
	struct jobtrace_stream *late;
	union jt_stream_record rec;
	__u64 late_exits2 = 0, late_forks2 = 0;
	pid_t churn2;
	int n;
	char *targv1[] = { H.jobtrace, "tail", "--json", "--until-closed", "--stream", stream_path,
			   NULL };
	struct child_truth t[CHILDREN];
	pid_t serve, tail1, tail2, churn_pid;
	size_t nt;
	int st;

	snprintf(name, sizeof(name), "jt-test-stream-%d", getpid());
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	snprintf(log, sizeof(log), "%s/churn.log", H.tmpdir);
	snprintf(name2, sizeof(name2), "jt-test-stream-%d-late", getpid());
	snprintf(key2, sizeof(key2), "cgroup:/%s", name2);
	snprintf(log2, sizeof(log2), "%s/churn2.log", H.tmpdir);
	snprintf(out1, sizeof(out1), "%s/tail1.jsonl", H.tmpdir);
	snprintf(out2, sizeof(out2), "%s/tail2.jsonl", H.tmpdir);
	/*
	 * Host mode: every process of the host is in the stream, another test's
	 * churn too. 64 MiB keeps the late reader's 1.5 s of records from being
	 * lapped on a busy host (the slow reader's test below laps on purpose).
	 */
	serve = serve_start(stream_path, "65536");
	tail1 = spawn(targv1, out1);
	tail2 = spawn(targv1, out2);
	harness__sleep_ms(300); /* both have opened the stream */
	churn_pid = churn_in_cgroup(name, CHILDREN, log);
	nt = load_truth(log, t, CHILDREN);
	assert_int_equal(nt, CHILDREN);
	harness__sleep_ms(1500); /* a few collector passes */
	/* A reader started now sees the next job's processes and none of this one's. */
	late = jobtrace_stream_open(stream_path);
	assert_non_null(late);
	churn2 = churn_in_cgroup(name2, 5, log2);
	harness__sleep_ms(1500);
	while ((n = jobtrace_stream_next(late, &rec)) == 1) {
		assert_int_not_equal(rec.hdr.type, JT_STREAM_MISSED);
		if (rec.hdr.type == JT_STREAM_EXIT) {
			assert_string_not_equal(rec.exit.job.key, key);
			late_exits2 += !strcmp(rec.exit.job.key, key2);
		}
		if (rec.hdr.type == JT_STREAM_FORK) {
			assert_string_not_equal(rec.fork.job.key, key);
			late_forks2 += !strcmp(rec.fork.job.key, key2) &&
				       rec.fork.lin.ppid == (__u32)churn2;
		}
	}
	assert_int_equal(n, 0);
	assert_int_equal(late_exits2, 6);
	assert_int_equal(late_forks2, 5);
	jobtrace_stream_close(late);
	serve_stop(serve);
	st = harness__wait_s(tail1, 10);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = harness__wait_s(tail2, 10);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	check_tail_output(out1, key, t, nt, churn_pid);
	check_tail_output(out2, key, t, nt, churn_pid);
	harness__cgroup_remove(name);
	harness__cgroup_remove(name2);
}

/*
 * A reader that does not read while a job churns through a 4 KiB ring is
 * told how many records it lost, and what it does get is whole.
 */
static void test_slow_reader_counts_missed(void **state)
{
	char name[64], key[128], log[300];
	struct jobtrace_stream *slow;
	union jt_stream_record rec;
	struct child_truth t[CHILDREN];
	__u64 last = 0, missed = 0, seen = 0, gap = 0;
	pid_t serve;
	int n;

	snprintf(name, sizeof(name), "jt-test-stream-%d-slow", getpid());
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	snprintf(log, sizeof(log), "%s/churn-slow.log", H.tmpdir);
	serve = serve_start(stream_path, "4");
	slow = jobtrace_stream_open(stream_path);
	assert_non_null(slow);
	churn_in_cgroup(name, CHILDREN, log);
	assert_int_equal(load_truth(log, t, CHILDREN), CHILDREN);
	harness__sleep_ms(1000);
	while ((n = jobtrace_stream_next(slow, &rec)) == 1) {
		if (rec.hdr.type == JT_STREAM_MISSED) {
			missed += rec.missed.count;
			gap += rec.missed.count;
			continue;
		}
		assert_non_null(jobtrace_stream_type_name(rec.hdr.type));
		assert_true(rec.hdr.seq > last);
		/*
		 * Every gap was reported, exactly: from one record to the next.
		 * (The first may not be 1: serve's first pass can be written
		 * before this reader opens, and a reader starts at the tail.)
		 */
		if (seen)
			assert_int_equal(rec.hdr.seq, last + gap + 1);
		gap = 0;
		last = rec.hdr.seq;
		seen++;
		if (rec.hdr.type == JT_STREAM_EXIT && !strcmp(rec.exit.job.key, key)) {
			for (size_t i = 0; i < CHILDREN; i++) {
				if (t[i].pid != (int)rec.exit.lin.pid)
					continue;
				if (t[i].sig)
					assert_int_equal(WTERMSIG(rec.exit.exit_status), t[i].sig);
				else
					assert_int_equal(WEXITSTATUS(rec.exit.exit_status), t[i].code);
			}
		}
	}
	assert_int_equal(n, 0);
	/* 120+ process records alone through a ring that holds six. */
	assert_true(missed > 100);
	assert_int_equal(jobtrace_stream_missed_total(slow), missed);

	serve_stop(serve);
	assert_int_equal(jobtrace_stream_state(slow), JT_STREAM_CLOSED);
	jobtrace_stream_close(slow);
	harness__cgroup_remove(name);
}

/*
 * A stream bigger than its filesystem: serve says so and exits at start,
 * where the sparse file it made before died of SIGBUS (rc 135) at the
 * first record that found no page.
 */
static void test_full_filesystem_fails_at_start(void **state)
{
	char mnt[300], path[320], err[300], want[512];
	const char *msg;
	char *argv[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", "--stream", path,
			 "--stream-kb", "4096", NULL };
	int st;

	snprintf(mnt, sizeof(mnt), "%s/small", H.tmpdir);
	snprintf(path, sizeof(path), "%s/s", mnt);
	snprintf(err, sizeof(err), "%s/serve-full.err", H.tmpdir);
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (mount("none", mnt, "tmpfs", 0, "size=64k"))
		fail_msg("cannot mount a tmpfs at %s: %s", mnt, strerror(errno));
	st = harness__wait_s(spawn2(argv, NULL, err), 30);
	umount(mnt);
	rmdir(mnt);
	msg = harness__slurp(err);
	if (WIFSIGNALED(st))
		fail_msg("serve died of signal %d: %s", WTERMSIG(st), msg);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 125);
	snprintf(want, sizeof(want),
		 "jobtrace: cannot allocate the stream %s (4096 KiB): No space left on device", path);
	if (!strstr(msg, want))
		fail_msg("serve's message: '%s', not '%s'", msg, want);
}

static char sticky[] = "/tmp/jobtrace-sticky-XXXXXX";

/*
 * Another user of the host in the stream's world-writable directory: a
 * lock file of theirs held locked, PATH.new, a link at the path to a file
 * of root's. Runs as 65534; tells the parent through @ready, holds the lock
 * until killed.
 */
static pid_t squatter_start(const char *path, const char *victim)
{
	char p[340];
	int pfd[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(90);
		/* After the uid change, which clears it: gone with the test, whatever fails. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(p, sizeof(p), "%s.lock", path);
		fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0666);
		if (fd < 0 || fchmod(fd, 0666) || flock(fd, LOCK_EX))
			_exit(91);
		snprintf(p, sizeof(p), "%s.new", path);
		if (open(p, O_RDWR | O_CREAT | O_EXCL, 0666) < 0)
			_exit(92);
		if (symlink(victim, path))
			_exit(93);
		if (write(pfd[1], "r", 1) != 1)
			_exit(94);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		int st;

		waitpid(pid, &st, 0);
		fail_msg("the squatter (uid 65534) could not plant its files: exit %d",
			 WEXITSTATUS(st));
	}
	close(pfd[0]);
	return pid;
}

/*
 * serve publishes its stream at the path whatever another user put there
 * first, and never writes through their link; tail reads it.
 */
static void test_squatters_do_not_block_serve(void **state)
{
	static const char text[] = "root's file, not a stream\n";
	char path[320], victim[320], out[300], err[300], buf[4096];
	char *argv[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", "--stream", path,
			 "--stream-kb", "64", NULL };
	char *targv[] = { H.jobtrace, "tail", "--json", "--count", "1", "--stream", path, NULL };
	struct jobtrace_stream *r = NULL;
	pid_t squatter, serve;
	struct stat sb;
	int fd, st;

	assert_non_null(mkdtemp(sticky));
	assert_int_equal(chmod(sticky, 01777), 0);
	snprintf(path, sizeof(path), "%s/jobtrace.stream", sticky);
	snprintf(victim, sizeof(victim), "%s/victim", sticky);
	snprintf(out, sizeof(out), "%s/squat-tail.out", H.tmpdir);
	snprintf(err, sizeof(err), "%s/squat-serve.err", H.tmpdir);
	fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	squatter = squatter_start(path, victim);
	serve = spawn2(argv, NULL, err);
	for (int i = 0; i < 1000 && !r; i++) {
		if (waitpid(serve, &st, WNOHANG) == serve) {
			harness__track(0, serve);
			kill(squatter, SIGKILL);
			waitpid(squatter, NULL, 0);
			fail_msg("serve stopped (status %#x): %s", st, harness__slurp(err));
		}
		r = jobtrace_stream_open(path);
		if (!r)
			harness__sleep_ms(10);
	}
	kill(squatter, SIGKILL);
	waitpid(squatter, NULL, 0);
	if (!r) {
		kill(serve, SIGKILL);
		harness__wait(serve);
		fail_msg("serve made no stream at %s: %s", path, harness__slurp(err));
	}
	jobtrace_stream_close(r);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_uid, 0);
	st = harness__wait_s(spawn(targv, out), 20);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_non_null(strstr(harness__slurp(out), "\"type\":"));
	serve_stop(serve);
	assert_string_equal(harness__slurp(victim), text);
	snprintf(buf, sizeof(buf), "rm -rf %s", sticky);
	assert_int_equal(system(buf), 0);
}

/*
 * tail over files that are not serve's: a FIFO (it blocked in open
 * forever), another user's file (it read it), and a stream cut short under
 * it (SIGBUS). Each: a message and exit 1, promptly.
 */
static void test_tail_refuses_and_survives(void **state)
{
	char path[300], fifo[300], out[300], err[300], msg[4096];
	const char *said;
	char *targv[] = { H.jobtrace, "tail", "--stream", path, NULL };
	char *fargv[] = { H.jobtrace, "tail", "--stream", fifo, NULL };
	pid_t serve, tail;
	int st;

	snprintf(path, sizeof(path), "%s/tail.stream", H.tmpdir);
	snprintf(fifo, sizeof(fifo), "%s/fifo.stream", H.tmpdir);
	snprintf(out, sizeof(out), "%s/tail.out", H.tmpdir);
	snprintf(err, sizeof(err), "%s/tail.err", H.tmpdir);

	assert_int_equal(mkfifo(fifo, 0644), 0);
	st = harness__wait_s(spawn2(fargv, out, err), 5);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_non_null(strstr(harness__slurp(err), "not a regular file"));

	/* A stream serve made and left (closed), then given to another user. */
	serve = serve_start(path, "64");
	serve_stop(serve);
	assert_int_equal(chown(path, 65534, 65534), 0);
	st = harness__wait_s(spawn2(targv, out, err), 5);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_non_null(strstr(harness__slurp(err), "Operation not permitted"));

	/* Root's again: tail waits on it; cut short, tail says so and stops. */
	assert_int_equal(chown(path, 0, 0), 0);
	tail = spawn2(targv, out, err);
	harness__sleep_ms(500);
	assert_int_equal(waitpid(tail, &st, WNOHANG), 0); /* reading, waiting for records */
	assert_int_equal(truncate(path, 0), 0);
	st = harness__wait_s(tail, 5);
	said = harness__slurp(err);
	if (WIFSIGNALED(st))
		fail_msg("tail died of signal %d when the stream was cut", WTERMSIG(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_non_null(strstr(said, "was cut short"));
	unlink(path);
	snprintf(msg, sizeof(msg), "%s.lock", path);
	unlink(msg);
	unlink(fifo);
}

/* Runs churn with @args in a new cgroup v2 @name and waits for it. */
static void churn_args_in_cgroup(const char *name, char *const args[])
{
	char *argv[16] = { H.churn };
	int st, n = 1;

	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	harness__cgroup_make(name);
	st = harness__wait_s(harness__cgroup_spawn(name, argv, NULL, "-"), 120);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* One job's records as a reader sums them. */
struct job_sums {
	__u64 started, exited, execs; /* the kernel's counts, from the interval records */
	__u64 exit_lost, fork_lost, exec_lost; /* the interval records' loss counters */
	__u64 exit_recs, fork_recs, exec_recs; /* records of the job the stream carried */
};

static void sum_record(struct job_sums *j, const char *key, const union jt_stream_record *r)
{
	switch (r->hdr.type) {
	case JT_STREAM_INTERVAL:
		if (strcmp(r->interval.job.key, key))
			return;
		j->started += r->interval.started;
		j->exited += r->interval.exited;
		j->execs += r->interval.execs;
		j->exit_lost += r->interval.exit_records_lost;
		j->fork_lost += r->interval.fork_records_lost;
		j->exec_lost += r->interval.exec_records_lost;
		break;
	case JT_STREAM_EXIT:
		j->exit_recs += !strcmp(r->exit.job.key, key);
		break;
	case JT_STREAM_FORK:
		j->fork_recs += !strcmp(r->fork.job.key, key);
		break;
	case JT_STREAM_EXEC:
		j->exec_recs += !strcmp(r->exec.job.key, key);
		break;
	case JT_STREAM_MISSED:
		fail_msg("the reader missed %llu records: the sums cannot be checked",
			 (unsigned long long)r->missed.count);
	}
}

/*
 * A 4 KiB kernel ring that is not read loses records of every kind. Each kind is
 * counted apart, and the sums stream.h documents hold exactly: a job's
 * exit_records_lost is the processes the kernel counted exited less the
 * exit records the stream carried (it counted the lost fork records too).
 */
static void test_lost_records_each_counted(void **state)
{
	enum { KIDS = 1500, EXECS = 300 };
	char name[64], key[128], kids[16], execs[16];
	char *argv[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", "--stream", stream_path,
			 "--stream-kb", "16384", "--ring-kb", "4", NULL };
	char *cargs[] = { "--children", kids, "--exec", execs, NULL };
	union jt_stream_record *rec = malloc(sizeof(*rec));
	struct job_sums j = {};
	struct jobtrace_stream *r = NULL;
	pid_t serve;
	int n;

	assert_non_null(rec);
	snprintf(name, sizeof(name), "jt-test-stream-%d-lost", getpid());
	snprintf(key, sizeof(key), "cgroup:/%s", name);
	snprintf(kids, sizeof(kids), "%d", KIDS);
	snprintf(execs, sizeof(execs), "%d", EXECS);
	unlink(stream_path);
	serve = spawn(argv, NULL);
	for (int i = 0; i < 1000 && !r; i++) {
		r = jobtrace_stream_open(stream_path);
		if (!r)
			harness__sleep_ms(10);
	}
	if (!r) {
		kill(serve, SIGKILL);
		harness__wait(serve);
		fail_msg("serve made no stream at %s", stream_path);
	}
	/*
	 * A reader that does not read: serve stopped while the churn runs fills
	 * the 4 KiB ring with its first records and loses every later one, of
	 * each kind, however fast or busy the machine is.
	 */
	assert_int_equal(kill(serve, SIGSTOP), 0);
	churn_args_in_cgroup(name, cargs);
	assert_int_equal(kill(serve, SIGCONT), 0);
	/* Until the kernel's counts are all in the intervals, then a few passes more. */
	for (int i = 0, settled = 0; i < 1000 && settled < 10; i++) {
		while ((n = jobtrace_stream_next(r, rec)) == 1)
			sum_record(&j, key, rec);
		assert_int_equal(n, 0);
		settled = j.exited == KIDS + EXECS + 1 ? settled + 1 : 0;
		harness__sleep_ms(100);
	}
	print_message("  %llu exited: %llu exit records, %llu lost; %llu started: %llu fork "
		      "records, %llu lost; %llu execs: %llu exec records, %llu lost\n",
		      (unsigned long long)j.exited, (unsigned long long)j.exit_recs,
		      (unsigned long long)j.exit_lost, (unsigned long long)j.started,
		      (unsigned long long)j.fork_recs, (unsigned long long)j.fork_lost,
		      (unsigned long long)j.execs, (unsigned long long)j.exec_recs,
		      (unsigned long long)j.exec_lost);
	/* The kernel's counts are the ground truth churn knows: its children, and churn. */
	assert_int_equal(j.exited, KIDS + EXECS + 1);
	assert_int_equal(j.started, KIDS + EXECS);
	/* The ring was full: records of each kind were lost (else this proves nothing). */
	assert_true(j.exit_lost > 0);
	assert_true(j.fork_lost > 0);
	/* Each loss counter is its own kind's, exactly. */
	assert_int_equal(j.exit_lost, j.exited - j.exit_recs);
	assert_int_equal(j.fork_lost, j.started - j.fork_recs);
	assert_int_equal(j.exec_lost, j.execs - j.exec_recs);
	jobtrace_stream_close(r);
	free(rec);
	serve_stop(serve);
	harness__cgroup_remove(name);
}

/* A test that failed half-way leaves no serve or tail to the next one (its stream path is theirs). */
static int stop_leftovers(void **state)
{
	harness__kill_running();
	return 0;
}

static int setup(void **state)
{
	assert_int_equal(harness__setup("stream"), 0);
	/*
	 * Root's alone, as mkdtemp makes it: serve refuses to make its stream
	 * in a directory any user may write (the harness opens its own to all).
	 */
	assert_int_equal(chmod(H.tmpdir, 0700), 0);
	snprintf(stream_path, sizeof(stream_path), "/dev/shm/jt-test-kstream-%d", getpid());
	if (!harness__cgroup2_root()) {
		fprintf(stderr, "FAIL: no cgroup2 filesystem is mounted: the stream tests need one\n");
		return -1;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "FAIL: the stream tests load BPF programs: they need root\n");
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char p[300];

	unlink(stream_path);
	snprintf(p, sizeof(p), "%s.lock", stream_path);
	unlink(p);
	return harness__teardown();
}

/* serve asked for no output publishes the stream at its default path, where tail looks. */
static void test_default_output_is_the_stream(void **state)
{
	char *argv[] = { H.jobtrace, "serve", "-g", "cgroup2", "-i", "0.2", NULL };
	struct jobtrace_stream *r = NULL;
	pid_t serve;

	unlink(JT_STREAM_DEFAULT_PATH);
	serve = spawn(argv, NULL);
	for (int i = 0; i < 1000 && !r; i++) {
		r = jobtrace_stream_open(JT_STREAM_DEFAULT_PATH);
		if (!r)
			harness__sleep_ms(10);
	}
	if (!r) {
		kill(serve, SIGKILL);
		harness__wait(serve);
		fail_msg("serve with no output made no stream at %s (is another jobtrace serve "
			 "running on this host? it holds the default path: stop it)",
			 JT_STREAM_DEFAULT_PATH);
	}
	/* A host record comes every interval. */
	for (int i = 0, n = 0; i < 300 && n < 1; i++) {
		union jt_stream_record rec;

		while (jobtrace_stream_next(r, &rec) == 1)
			n += rec.hdr.type == JT_STREAM_HOST;
		if (i == 299)
			fail_msg("no host record on the default stream");
		if (!n)
			harness__sleep_ms(10);
	}
	jobtrace_stream_close(r);
	serve_stop(serve);
	unlink(JT_STREAM_DEFAULT_PATH);
	unlink(JT_STREAM_DEFAULT_PATH ".lock");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_two_tails_see_the_job, stop_leftovers),
		cmocka_unit_test_teardown(test_slow_reader_counts_missed, stop_leftovers),
		cmocka_unit_test_teardown(test_default_output_is_the_stream, stop_leftovers),
		cmocka_unit_test_teardown(test_full_filesystem_fails_at_start, stop_leftovers),
		cmocka_unit_test_teardown(test_squatters_do_not_block_serve, stop_leftovers),
		cmocka_unit_test_teardown(test_tail_refuses_and_survives, stop_leftovers),
		cmocka_unit_test_teardown(test_lost_records_each_counted, stop_leftovers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
