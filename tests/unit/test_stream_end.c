// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The stream's jobs' ends and its writer's liveness, without BPF: serve's
 * stream sink (user/out/sink_stream.c) and libjobtrace (lib/stream_reader.c)
 * over a file in a temporary directory. The test makes the job whose end
 * the record carries, and fakes the header page (a writer killed, a writer
 * silent) itself by writing into the file, so it knows what each read must say.
 */
#include "testutil.h"

#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/sink.h"
#include "jobtrace/stream.h"
#include "jobtrace/stream_records.h"
#include "jobtrace/stream_writer.h"
#include "jobtrace/util.h"

static char dir[64], path[128];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/jt-test-stream-end-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/stream", dir);
	return 0;
}

static int teardown(void **state)
{
	char p[160];

	unlink(path);
	snprintf(p, sizeof(p), "%s.lock", path);
	unlink(p);
	return rmdir(dir) ? -1 : 0;
}

/* The header page, writable: what a test fakes there, every reader sees. */
static struct jt_stream_meta *map_meta(void)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	void *m;

	assert_true(fd >= 0);
	m = mmap(NULL, JT_STREAM_META_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m != MAP_FAILED);
	return m;
}

/* A job as the collector leaves it at its end: every figure its own number. */
static void fill_cjob(struct cjob *j, __u64 now)
{
	struct jt_job_stats *k = &j->job.stats;

	memset(j, 0, sizeof(*j)); /* not its key's room, after it */
	j->id = 0x4000000000001234ULL;
	snprintf(TEST_CJOB_KEY(j), CJOB_KEY_SIZE, "cgroup:/jobs/a");
	j->job.key = TEST_CJOB_KEY(j); /* as the collector names its job */
	j->job.start_ns = now - 3000000000ULL;
	j->job.root_end_ns = now - 1000000000ULL;
	j->job.end_ns = now - 500000000ULL;
	j->job.root_pid = 4242;
	j->job.root_ns_pid = 7;
	j->job.root_exited = true;
	j->job.root_status = 3 << 8;
	j->job.attached = true;
	k->procs_started = 101;
	k->procs_exited = 102;
	k->exit_ok = 90;
	k->exit_error = 8;
	k->exit_signal = 4;
	k->execs = 55;
	k->threads_started = 12;
	k->alive = 0;
	k->max_alive = 17;
	k->outlived_root = 2;
	k->existing = 3;
	k->moved_in = 1;
	k->moved_out = 2;
	k->cpu_ns = 7000000;
	k->user_ns = 5000000;
	k->system_ns = 2000000;
	k->exited.read_bytes = 4096;
	k->exited.write_bytes = 8192;
	k->exited.read_chars = 111;
	k->exited.write_chars = 222;
	k->peak_rss_bytes = 1 << 20;
	k->events_sent = 102;
	k->events_lost = 0;
	k->fork_records_lost = 5;
	k->exec_records_lost = 6;
	j->job.records = 102;
	j->job.records_rss_from_mm = 102;
	j->job.counters.exec_records_lost = 11;
	j->job.counters.jobs_missing = 9;
	j->job.counters.jobs_map_full = 10;
}

/*
 * The JSON line that follows a JT_STREAM_JOB_END, put together from its
 * JT_STREAM_TEXT parts (malloc'd): the writer's "job" line.
 */
static char *text_line(struct jobtrace_stream *rd, union jt_stream_record *rec)
{
	char *line = NULL;
	size_t len = 0;

	do {
		assert_int_equal(jobtrace_stream_next(rd, rec), 1);
		assert_int_equal(rec->hdr.type, JT_STREAM_TEXT);
		assert_int_equal(rec->text.kind, JT_STREAM_TEXT_JOB);
		assert_true(rec->text.len <= JT_STREAM_TEXT_LEN);
		line = realloc(line, len + rec->text.len + 1);
		assert_non_null(line);
		memcpy(line + len, rec->text.text, rec->text.len);
		len += rec->text.len;
	} while (rec->text.part + 1 < rec->text.parts);
	line[len] = '\0';
	return line;
}

/* A job's end, through serve's sink and the reader: every field as the job had it. */
static void test_job_end_round_trip(void **state)
{
	struct cjob *j = calloc(1, sizeof(*j) + CJOB_KEY_SIZE); /* and its key's room */
	struct collector_stats st = {};
	struct jobtrace_stream *rd;
	union jt_stream_record rec;
	struct jt_stream_job_end *x = &rec.job_end;
	__u64 now = util__now_ns(), real = util__realtime_ns();
	struct sink *sk;

	assert_non_null(j);
	j->job.key = TEST_CJOB_KEY(j);
	/* The collector's clock offsets, as it stamps its records. */
	st.mono_to_epoch_ns = real - now;
	st.boot_to_epoch_ns = real - util__boottime_ns();
	fill_cjob(j, now);
	sk = sink_stream__new(path, 64 * 1024);
	assert_non_null(sk);
	assert_non_null(sk->ops->job_end);
	rd = jobtrace_stream_open(path);
	assert_non_null(rd);
	assert_int_equal(sk->ops->job_end(sk, j, &st), 0);
	/* A second job that lost records and was stopped with a process alive. */
	j->id++;
	snprintf(TEST_CJOB_KEY(j), CJOB_KEY_SIZE, "tree:99:make");
	j->job.root_exited = false;
	j->job.attached = false;
	j->job.stats.events_lost = 4;
	j->job.stats.alive = 2;
	j->job.repairs = 1;
	j->job.records_rss_from_mm = 0;
	assert_int_equal(sk->ops->job_end(sk, j, &st), 0);
	assert_int_equal(sk->ops->flush(sk), 0);

	assert_int_equal(jobtrace_stream_next(rd, &rec), 1);
	assert_int_equal(rec.hdr.type, JT_STREAM_JOB_END);
	assert_int_equal(rec.hdr.len, sizeof(*x));
	assert_int_equal(rec.hdr.version, JT_STREAM_VERSION);
	assert_string_equal(jobtrace_stream_type_name(rec.hdr.type), "job");
	assert_int_equal(x->job.job_id, 0x4000000000001234ULL);
	assert_string_equal(x->job.key, "cgroup:/jobs/a");
	/* Realtime stamps, 3 s apart, its end half a second ago. */
	assert_int_equal(x->time_ns - x->start_time_ns, 2500000000ULL);
	assert_true(x->time_ns + 400000000ULL < real && real < x->time_ns + 1500000000ULL);
	assert_int_equal(x->wall_ns, 2500000000ULL);
	assert_int_equal(x->root_wall_ns, 2000000000ULL);
	assert_int_equal(x->root_pid, 4242);
	assert_int_equal(x->root_ns_pid, 7);
	assert_int_equal(x->root_status, 3 << 8);
	assert_int_equal(x->flags,
			 JT_STREAM_JE_ROOT_EXITED | JT_STREAM_JE_COMPLETE | JT_STREAM_JE_ATTACHED);
	assert_int_equal(x->unknown, 0);
	assert_int_equal(x->started, 101);
	assert_int_equal(x->exited, 102);
	assert_int_equal(x->exit_ok, 90);
	assert_int_equal(x->exit_error, 8);
	assert_int_equal(x->exit_signal, 4);
	assert_int_equal(x->execs, 55);
	assert_int_equal(x->threads_started, 12);
	assert_int_equal(x->alive, 0);
	assert_int_equal(x->max_alive, 17);
	assert_int_equal(x->outlived_root, 2);
	assert_int_equal(x->existing, 3);
	assert_int_equal(x->moved_in, 1);
	assert_int_equal(x->moved_out, 2);
	assert_int_equal(x->acct.cpu_ns, 7000000);
	assert_int_equal(x->acct.user_ns, 5000000);
	assert_int_equal(x->acct.system_ns, 2000000);
	assert_int_equal(x->acct.read_bytes, 4096);
	assert_int_equal(x->acct.write_bytes, 8192);
	assert_int_equal(x->acct.read_chars, 111);
	assert_int_equal(x->acct.write_chars, 222);
	assert_int_equal(x->peak_rss_bytes, 1 << 20);
	assert_int_equal(x->events_sent, 102);
	assert_int_equal(x->events_received, 102);
	assert_int_equal(x->exit_records_lost, 0);
	assert_int_equal(x->fork_records_lost, 5);
	assert_int_equal(x->exec_records_lost, 6);
	assert_int_equal(x->jobs_missing, 9);
	assert_int_equal(x->jobs_map_full, 10);
	assert_int_equal(x->repairs, 0);
	assert_int_equal(x->global_exec_records_lost, 11);
	assert_int_equal(x->peak_rss_source, JT_STREAM_RSS_MM_HIWATER);
	/* Then the whole report as its JSON line, in parts: the same figures. */
	{
		char *line = text_line(rd, &rec);
		json_error_t err;
		json_t *doc = json_loads(line, 0, &err);

		if (!doc)
			fail_msg("the job's text is not JSON (%s): %s", err.text, line);
		assert_string_equal(json_string_value(json_object_get(doc, "type")), "job");
		assert_string_equal(
		    json_string_value(json_object_get(json_object_get(doc, "job"), "key")),
		    "cgroup:/jobs/a");
		assert_int_equal(json_integer_value(
				     json_object_get(json_object_get(doc, "processes"), "exited")),
				 102);
		json_decref(doc);
		free(line);
	}

	assert_int_equal(jobtrace_stream_next(rd, &rec), 1);
	assert_int_equal(rec.hdr.type, JT_STREAM_JOB_END);
	assert_string_equal(x->job.key, "tree:99:make");
	/* Lost exit records make it incomplete; no root status where none exited. */
	assert_int_equal(x->flags, 0);
	assert_int_equal(x->root_status, 0);
	assert_int_equal(x->exit_records_lost, 4);
	assert_int_equal(x->alive, 2);
	assert_int_equal(x->repairs, 1);
	assert_int_equal(x->peak_rss_source, JT_STREAM_RSS_SIGNAL_MAXRSS);
	free(text_line(rd, &rec));
	assert_int_equal(jobtrace_stream_next(rd, &rec), 0);

	jobtrace_stream_close(rd);
	sink__free(sk);
	free(j);
}

/*
 * A pid nobody has now: a child of ours, reaped. Spawned, not forked: a
 * forked child would end holding our writer and reader, which valgrind's
 * leak check of the child counts as lost.
 */
static pid_t dead_pid(void)
{
	char *argv[] = {"true", NULL};
	pid_t pid;

	assert_int_equal(posix_spawnp(&pid, "true", NULL, NULL, argv, environ), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

/*
 * A writer killed with -9 leaves its file RUNNING: the reader says GONE once
 * its heartbeat is older than JT_STREAM_GONE_MS, or once its pid is gone
 * (only where the reader shares its pid namespace); a stamp brings it back.
 */
static void test_writer_gone(void **state)
{
	struct stream_writer *w = stream_writer__open(path, 4096);
	struct jobtrace_stream *rd;
	struct jt_stream_meta *m;
	__u32 pid;
	__u64 ino;

	assert_non_null(w);
	rd = jobtrace_stream_open(path);
	assert_non_null(rd);
	m = map_meta();
	assert_int_equal(m->writer_pid, getpid());
	assert_true(m->writer_pidns_ino != 0);
	assert_true(m->heartbeat_ns != 0 && m->heartbeat_ns <= util__now_ns());
	assert_int_equal(jobtrace_stream_state(rd), JT_STREAM_RUNNING);

	/* Silent for longer than the bound. */
	m->heartbeat_ns = util__now_ns() - (JT_STREAM_GONE_MS + 1000) * 1000000ULL;
	assert_int_equal(jobtrace_stream_state(rd), JT_STREAM_GONE);
	/* Silent for less: still running. */
	m->heartbeat_ns = util__now_ns() - (JT_STREAM_GONE_MS - 1000) * 1000000ULL;
	assert_int_equal(jobtrace_stream_state(rd), JT_STREAM_RUNNING);
	/* A pass of the writer stamps it, records or not. */
	m->heartbeat_ns = 1;
	stream_writer__flush(w);
	assert_true(m->heartbeat_ns > 1);
	assert_int_equal(jobtrace_stream_state(rd), JT_STREAM_RUNNING);
	/* So does a long pass, every 64 records, before its flush. */
	{
		union jt_stream_record rec;
		__u64 old = util__now_ns() - (JT_STREAM_GONE_MS + 1000) * 1000000ULL;

		m->heartbeat_ns = old;
		for (int i = 0; i < 64; i++) {
			memset(&rec, 0, sizeof(rec));
			rec.hdr.type = JT_STREAM_FORK;
			assert_int_equal(stream_writer__append(w, &rec, sizeof(rec.fork)), 0);
		}
		assert_true(m->heartbeat_ns > old);
		assert_int_equal(jobtrace_stream_state(rd), JT_STREAM_RUNNING);
		while (jobtrace_stream_next(rd, &rec) > 0)
			;
	}

	/* Its process gone, heartbeat fresh: gone at once, in its pid namespace. */
	pid = m->writer_pid;
	m->writer_pid = (__u32)dead_pid();
	assert_int_equal(jobtrace_stream_state(rd), JT_STREAM_GONE);
	/*
	 * A writer of another pid namespace: its number is not ours to ask
	 * about (the reader learnt the namespace at open: a new reader).
	 */
	ino = m->writer_pidns_ino;
	m->writer_pidns_ino = ino + 1;
	jobtrace_stream_close(rd);
	rd = jobtrace_stream_open(path);
	assert_non_null(rd);
	assert_int_equal(jobtrace_stream_state(rd), JT_STREAM_RUNNING);
	m->writer_pidns_ino = ino;
	m->writer_pid = pid;

	/*
	 * A reader asleep without a limit wakes when the writer turns gone
	 * under it (a dead writer wakes nobody): here, its heartbeat ages past
	 * the bound 1.5 s into the wait. Not when it was gone already.
	 */
	{
		__u64 t0 = util__now_ns();

		m->heartbeat_ns = t0 - (JT_STREAM_GONE_MS - 1500) * 1000000ULL;
		assert_int_equal(jobtrace_stream_wait(rd, -1), 1);
		assert_true(util__now_ns() - t0 > 1000000000ULL);
		assert_true(util__now_ns() - t0 < (JT_STREAM_HEARTBEAT_MS + 3000) * 1000000ULL);
		assert_int_equal(jobtrace_stream_state(rd), JT_STREAM_GONE);
		t0 = util__now_ns();
		assert_int_equal(jobtrace_stream_wait(rd, 1500), 0);
		assert_true(util__now_ns() - t0 >= 1400000000ULL);
		m->heartbeat_ns = util__now_ns();
	}

	/* A clean stop is CLOSED, whatever its heartbeat says after. */
	stream_writer__close(w);
	m->heartbeat_ns = 1;
	assert_int_equal(jobtrace_stream_state(rd), JT_STREAM_CLOSED);
	munmap(m, JT_STREAM_META_SIZE);
	jobtrace_stream_close(rd);
}

static bool readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void put_exit(struct stream_writer *w, __u32 pid)
{
	union jt_stream_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.type = JT_STREAM_EXIT;
	rec.exit.lin.pid = pid;
	assert_int_equal(stream_writer__append(w, &rec, sizeof(rec.exit)), 0);
}

/*
 * The fd for a caller's own loop: readable when a batch is published, when
 * the writer is gone, when a new writer replaced the file; cleared by a
 * jobtrace_stream_next() that found nothing more.
 */
/* Where valgrind's leak check of a forked child finds the parent's writer still reachable. */
static struct stream_writer *w;

static void test_pollable_fd(void **state)
{
	w = stream_writer__open(path, 64 * 1024);
	union jt_stream_record rec;
	struct jobtrace_stream *rd;
	struct jt_stream_meta *m;
	int fd;

	assert_non_null(w);
	rd = jobtrace_stream_open(path);
	assert_non_null(rd);
	fd = jobtrace_stream_fd(rd);
	assert_true(fd >= 0);
	assert_int_equal(jobtrace_stream_fd(rd), fd); /* one per stream */
	/* Readable at first ("records may be there"), clear once all is read. */
	assert_true(readable(fd, 2000));
	assert_int_equal(jobtrace_stream_next(rd, &rec), 0);
	assert_false(readable(fd, 300));

	/* Appended, not yet published: the writer wakes readers once per batch. */
	put_exit(w, 1);
	put_exit(w, 2);
	stream_writer__flush(w);
	assert_true(readable(fd, 2000));
	assert_int_equal(jobtrace_stream_next(rd, &rec), 1);
	assert_int_equal(rec.exit.lin.pid, 1);
	/* Not cleared while records are left. */
	assert_true(readable(fd, 0));
	assert_int_equal(jobtrace_stream_next(rd, &rec), 1);
	assert_int_equal(rec.exit.lin.pid, 2);
	assert_int_equal(jobtrace_stream_next(rd, &rec), 0);
	assert_false(readable(fd, 300));

	/* The writer goes silent (as killed): said through the fd within its check. */
	m = map_meta();
	m->heartbeat_ns = util__now_ns() - (JT_STREAM_GONE_MS + 1000) * 1000000ULL;
	assert_true(readable(fd, 2000));
	assert_int_equal(jobtrace_stream_state(rd), JT_STREAM_GONE);
	assert_int_equal(jobtrace_stream_next(rd, &rec), 0);
	munmap(m, JT_STREAM_META_SIZE);

	/* A new writer at the path: readable, a restart, and its records wake the same fd. */
	stream_writer__close(w);
	w = stream_writer__open(path, 64 * 1024);
	assert_non_null(w);
	assert_true(readable(fd, 2000));
	assert_int_equal(jobtrace_stream_next(rd, &rec), 1);
	assert_int_equal(rec.hdr.type, JT_STREAM_RESTART);
	assert_int_equal(jobtrace_stream_next(rd, &rec), 0);
	assert_false(readable(fd, 300));
	put_exit(w, 3);
	stream_writer__flush(w);
	assert_true(readable(fd, 2000));
	assert_int_equal(jobtrace_stream_next(rd, &rec), 1);
	assert_int_equal(rec.exit.lin.pid, 3);
	assert_int_equal(jobtrace_stream_state(rd), JT_STREAM_RUNNING);

	/*
	 * A child of fork(2) has the fd (its parent's too) but not the thread:
	 * asking again gives it its own, which a record wakes; its close joins
	 * no thread it does not have.
	 */
	{
		int ready[2], st;
		pid_t pid;
		char c;

		assert_int_equal(pipe(ready), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int fd2 = jobtrace_stream_fd(rd);
			bool ok = fd2 >= 0 && readable(fd2, 5000) &&
				  jobtrace_stream_next(rd, &rec) == 0 && !readable(fd2, 300);

			ok = ok && write(ready[1], "r", 1) == 1 && readable(fd2, 5000) &&
			     jobtrace_stream_next(rd, &rec) == 1 && rec.exit.lin.pid == 4;
			jobtrace_stream_close(rd);
			_exit(ok ? 0 : 1);
		}
		close(ready[1]);
		if (read(ready[0], &c, 1) == 1) {
			put_exit(w, 4);
			stream_writer__flush(w);
		}
		close(ready[0]);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}

	jobtrace_stream_close(rd);
	stream_writer__close(w);
}

/*
 * A host record with figures the sample could not read (a /proc file that
 * failed: null in serve's JSON line, never 0) and rates unknown, through the
 * stream: tail's JSON line of it is serve's, nulls and all; the stream had
 * no room to say so and wrote 0s.
 */
static void test_host_unknowns_round_trip(void **state)
{
	struct host_record r = {
		.t0_epoch_ns = 1796515100000000000ULL,
		.t1_epoch_ns = 1796515101000000000ULL,
		.unknown = HOST_RECORD_NO_STAT | HOST_RECORD_NO_MEM,
		.cpu_busy_pct = -1,
		.cpu_user_pct = -1,
		.cpu_system_pct = -1,
		.cpu_iowait_pct = -1,
		.load1 = 1.5,
		.load5 = 1.25,
		.load15 = 1,
		.forks_per_s = -1,
		.ctxt_per_s = 2500,
	};
	struct stream_records *sr = stream_records__new();
	char *direct = NULL, *read = NULL;
	size_t dlen = 0, rlen = 0;
	FILE *df = open_memstream(&direct, &dlen), *rf = open_memstream(&read, &rlen);
	struct sink *sk, *dj, *rj;
	struct jobtrace_stream *rd;
	union jt_stream_record rec;

	(void)state;
	assert_non_null(sr);
	dj = sink_jsonl__new(df, 0, false, false, true, false);
	rj = sink_jsonl__new(rf, 0, false, false, true, false);
	assert_non_null(dj);
	assert_non_null(rj);
	assert_int_equal(dj->ops->host(dj, &r), 0);
	sk = sink_stream__new(path, 64 * 1024);
	assert_non_null(sk);
	rd = jobtrace_stream_open(path);
	assert_non_null(rd);
	assert_int_equal(sk->ops->host(sk, &r), 0);
	assert_int_equal(sk->ops->flush(sk), 0);
	assert_int_equal(jobtrace_stream_next(rd, &rec), 1);
	assert_int_equal(rec.hdr.type, JT_STREAM_HOST);
	assert_int_equal(stream_records__feed(sr, &rec, rj), 0);
	sink__free(dj);
	sink__free(rj);
	assert_int_equal(fclose(df), 0);
	assert_int_equal(fclose(rf), 0);
	assert_non_null(strstr(direct, "\"forks_per_s\":null"));
	assert_non_null(strstr(direct, "\"total_bytes\":null"));
	assert_string_equal(read, direct);
	free(direct);
	free(read);
	jobtrace_stream_close(rd);
	sink__free(sk);
	stream_records__free(sr);
}

/*
 * tail's text line of a record: a process's name, its arguments and a job's
 * key are anyone's to choose. A newline in one made two lines of one
 * record, and a terminal's escape or a bidi control reached the terminal
 * raw; they are written as the other text outputs write them.
 */
static void test_text_lines_escaped(void **state)
{
	static const char hostile[] = "a\"b\\c\nd\xff\x01\xe2\x80\xae";
	struct stream_records *sr = stream_records__new();
	union jt_stream_record r;
	char *buf = NULL;
	size_t len = 0, lines = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(sr);
	assert_non_null(f);
	memset(&r, 0, sizeof(r));
	r.hdr.type = JT_STREAM_FORK;
	r.hdr.len = sizeof(r.fork);
	memcpy(r.fork.job.key, "cgroup:/x\ny", 11);
	memcpy(r.fork.comm, hostile, sizeof(hostile) - 1);
	r.fork.lin.pid = 10;
	assert_int_equal(stream_records__write_text(sr, &r, f), 0);
	memset(&r, 0, sizeof(r));
	r.hdr.type = JT_STREAM_EXEC;
	r.hdr.len = sizeof(r.exec);
	memcpy(r.exec.job.key, "run", 3);
	memcpy(r.exec.args, hostile, sizeof(hostile));
	r.exec.args_len = sizeof(hostile);
	assert_int_equal(stream_records__write_text(sr, &r, f), 0);
	assert_int_equal(fclose(f), 0);
	for (size_t i = 0; i < len; i++) {
		lines += buf[i] == '\n';
		/* Nothing below a space but the line ends; nothing past ASCII raw but UTF-8. */
		if ((unsigned char)buf[i] < 0x20 && buf[i] != '\n')
			fail_msg("a control byte %#x in: %s", buf[i], buf);
	}
	assert_int_equal(lines, 2);
	assert_null(strstr(buf, "\xe2\x80\xae"));
	assert_null(strchr(buf, '\xff'));
	assert_non_null(strstr(buf, "cgroup:/x\\x0ay"));
	assert_non_null(strstr(buf, "a\"b\\\\c\\x0ad\\xff\\x01\\u202e"));
	free(buf);
	stream_records__free(sr);
}

/*
 * A line in parts, its writer gone after the first (a restart record
 * next): the line is counted dropped, as for a part missed; it was not.
 */
static void test_restart_drops_line_under_way(void **state)
{
	struct stream_records *sr = stream_records__new();
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct sink *rj;
	union jt_stream_record r;

	(void)state;
	assert_non_null(sr);
	assert_non_null(f);
	rj = sink_jsonl__new(f, 0, true, true, true, false);
	assert_non_null(rj);
	memset(&r, 0, sizeof(r));
	r.hdr.type = JT_STREAM_TEXT;
	r.hdr.len = sizeof(r.text);
	r.text.line = 7;
	r.text.part = 0;
	r.text.parts = 2;
	r.text.len = 3;
	memcpy(r.text.text, "{\"a", 3);
	assert_int_equal(stream_records__feed(sr, &r, rj), 0);
	memset(&r, 0, sizeof(r));
	r.hdr.type = JT_STREAM_RESTART;
	r.hdr.len = sizeof(r.restart);
	r.restart.old_generation = 1;
	r.restart.new_generation = 2;
	assert_int_equal(stream_records__feed(sr, &r, rj), 0);
	assert_int_equal(stream_records__lines_dropped(sr), 1);
	sink__free(rj);
	assert_int_equal(fclose(f), 0);
	free(out);
	stream_records__free(sr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_job_end_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_gone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pollable_fd, setup, teardown),
	    cmocka_unit_test(test_text_lines_escaped),
	    cmocka_unit_test(test_restart_drops_line_under_way),
	    cmocka_unit_test_setup_teardown(test_host_unknowns_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
