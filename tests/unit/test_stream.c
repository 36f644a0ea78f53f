// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The stream without BPF: the writer (user/out/sink_stream.c) and readers
 * (lib/stream_reader.c) in one process and across fork. The test writes
 * every record itself, so it knows which sequence numbers and payloads each
 * reader must see, how many a lapped reader lost, and what a restart is.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/sink.h"
#include "jobtrace/stream.h"
#include "jobtrace/stream_writer.h"

static char path[128];

static void make_path(const char *name)
{
	char p[160];

	snprintf(path, sizeof(path), "/dev/shm/jt-test-stream-%d-%s", getpid(), name);
	unlink(path);
	snprintf(p, sizeof(p), "%s.lock", path);
	unlink(p);
}

static void remove_path(void)
{
	char p[160];

	unlink(path);
	snprintf(p, sizeof(p), "%s.lock", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s.new", path);
	unlink(p);
}

/* An exit record whose pid and status say which one it is. */
static void put_exit(struct stream_writer *w, __u32 n)
{
	union jt_stream_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.type = JT_STREAM_EXIT;
	rec.exit.lin.pid = n;
	rec.exit.exit_status = (n % 256) << 8;
	snprintf(rec.exit.job.key, sizeof(rec.exit.job.key), "job-%u", n % 7);
	assert_int_equal(stream_writer__append(w, &rec, sizeof(rec.exit)), 0);
}

/* A short record, so records of two sizes share the ring and wrap unevenly. */
static void put_fork(struct stream_writer *w, __u32 n)
{
	union jt_stream_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.type = JT_STREAM_FORK;
	rec.fork.lin.pid = n;
	assert_int_equal(stream_writer__append(w, &rec, sizeof(rec.fork)), 0);
}

static void put(struct stream_writer *w, __u32 n)
{
	if (n % 3)
		put_exit(w, n);
	else
		put_fork(w, n);
}

static __u32 pid_of(const union jt_stream_record *r)
{
	return r->hdr.type == JT_STREAM_EXIT ? r->exit.lin.pid : r->fork.lin.pid;
}

/* Reads one record that must be record @n (seq n, payload n). */
static void expect(struct jobtrace_stream *s, __u32 n)
{
	union jt_stream_record rec;

	assert_int_equal(jobtrace_stream_next(s, &rec), 1);
	assert_int_equal(rec.hdr.seq, n);
	assert_int_equal(rec.hdr.type, n % 3 ? JT_STREAM_EXIT : JT_STREAM_FORK);
	assert_int_equal(pid_of(&rec), n);
	if (rec.hdr.type == JT_STREAM_EXIT)
		assert_int_equal(rec.exit.exit_status, (n % 256) << 8);
}

static void expect_none(struct jobtrace_stream *s)
{
	union jt_stream_record rec;

	assert_int_equal(jobtrace_stream_next(s, &rec), 0);
}

/* Two readers at their own pace each see every record, in order, across many wraps. */
static void test_readers_own_pace(void **state)
{
	struct stream_writer *w;
	struct jobtrace_stream *fast, *slow;
	__u32 n = 0, seen_fast = 0, seen_slow = 0;

	make_path("pace");
	w = stream_writer__open(path, 64 * 1024);
	assert_non_null(w);
	fast = jobtrace_stream_open(path);
	slow = jobtrace_stream_open(path);
	assert_non_null(fast);
	assert_non_null(slow);
	expect_none(fast);
	/* 3000 records of ~500 bytes: ~23 laps of the ring; slow reads every 60 (~30 KiB). */
	while (n < 3000) {
		put(w, ++n);
		if (n % 5 == 0)
			while (seen_fast < n)
				expect(fast, ++seen_fast);
		if (n % 60 == 0)
			while (seen_slow < n)
				expect(slow, ++seen_slow);
	}
	expect_none(fast);
	expect_none(slow);
	assert_int_equal(jobtrace_stream_missed_total(slow), 0);
	assert_int_equal(stream_writer__records(w), 3000);
	jobtrace_stream_close(fast);
	jobtrace_stream_close(slow);
	stream_writer__close(w);
	remove_path();
}

/* A reader lapped by more than the capacity learns exactly how many it missed. */
static void test_lapped_reader_counts_missed(void **state)
{
	union jt_stream_record rec;
	struct stream_writer *w;
	struct jobtrace_stream *s;

	make_path("lap");
	w = stream_writer__open(path, 4096); /* six exit records fit */
	assert_non_null(w);
	s = jobtrace_stream_open(path);
	assert_non_null(s);
	put(w, 1);
	put(w, 2);
	expect(s, 1);
	for (__u32 n = 3; n <= 100; n++)
		put(w, n);
	/* Read 1, lost 2..99, the latest (100) is next. */
	assert_int_equal(jobtrace_stream_next(s, &rec), 1);
	assert_int_equal(rec.hdr.type, JT_STREAM_MISSED);
	assert_int_equal(rec.missed.count, 98);
	expect(s, 100);
	expect_none(s);
	/* Resynchronised: in step again. */
	for (__u32 n = 101; n <= 104; n++)
		put(w, n);
	for (__u32 n = 101; n <= 104; n++)
		expect(s, n);
	expect_none(s);
	assert_int_equal(jobtrace_stream_missed_total(s), 98);
	jobtrace_stream_close(s);
	stream_writer__close(w);
	remove_path();
}

/* Checks that @rec is record @n (seq n, payload n), as expect() reads it. */
static void check_rec(const union jt_stream_record *rec, __u32 n)
{
	assert_int_equal(rec->hdr.seq, n);
	assert_int_equal(rec->hdr.type, n % 3 ? JT_STREAM_EXIT : JT_STREAM_FORK);
	assert_int_equal(pid_of(rec), n);
}

/*
 * next_batch hands out what next would, in the same order, a batch at a
 * time: whole records across the ring's wraps, a lap's MISSED record among
 * them, a writer's restart ending a batch, and no more than asked for.
 */
static void test_batch_as_next(void **state)
{
	union jt_stream_record *recs = calloc(8, sizeof(*recs));
	struct stream_writer *w;
	struct jobtrace_stream *s;
	__u32 n = 0, seen = 0, prev;
	__u64 gen1;
	int got;

	assert_non_null(recs);
	make_path("batch");
	w = stream_writer__open(path, 16 * 1024);
	assert_non_null(w);
	s = jobtrace_stream_open(path);
	assert_non_null(s);
	assert_int_equal(jobtrace_stream_next_batch(s, recs, 0), -EINVAL);
	assert_int_equal(jobtrace_stream_next_batch(s, recs, 8), 0);
	/* 1,000 records, read 7 at a time after every 11 written: ~30 laps. */
	while (n < 1000) {
		put(w, ++n);
		if (n % 11)
			continue;
		while (seen < n) {
			got = jobtrace_stream_next_batch(s, recs, 7);
			assert_true(got >= 1 && got <= 7);
			assert_true(got == 7 || seen + (__u32)got == n); /* short: caught up */
			for (int i = 0; i < got; i++)
				check_rec(&recs[i], ++seen);
		}
		assert_int_equal(jobtrace_stream_next_batch(s, recs, 7), 0);
	}
	/* Lapped: the MISSED record first in the batch, then the latest. */
	prev = seen;
	for (__u32 k = 0; k < 200; k++)
		put(w, ++n);
	got = jobtrace_stream_next_batch(s, recs, 8);
	assert_true(got >= 2);
	assert_int_equal(recs[0].hdr.type, JT_STREAM_MISSED);
	seen = (__u32)recs[1].hdr.seq; /* the first read after the lap */
	assert_int_equal(recs[0].missed.count, seen - prev - 1);
	for (int i = 1; i < got; i++)
		check_rec(&recs[i], seen + (__u32)i - 1);
	assert_int_equal(seen + (__u32)got - 2, n);
	assert_int_equal(jobtrace_stream_missed_total(s), recs[0].missed.count);
	assert_int_equal(jobtrace_stream_next_batch(s, recs, 8), 0);
	/* A new writer: the RESTART record ends its batch; its records come next. */
	gen1 = jobtrace_stream_generation(s);
	stream_writer__close(w);
	w = stream_writer__open(path, 8192);
	assert_non_null(w);
	put(w, 1);
	put(w, 2);
	assert_int_equal(jobtrace_stream_next_batch(s, recs, 8), 1);
	assert_int_equal(recs[0].hdr.type, JT_STREAM_RESTART);
	assert_int_equal(recs[0].restart.old_generation, gen1);
	assert_int_equal(jobtrace_stream_next_batch(s, recs, 8), 2);
	check_rec(&recs[0], 1);
	check_rec(&recs[1], 2);
	jobtrace_stream_close(s);
	stream_writer__close(w);
	remove_path();
	free(recs);
}

/* A reader that starts late sees only what is written after it started. */
static void test_late_reader_sees_new_only(void **state)
{
	struct stream_writer *w;
	struct jobtrace_stream *s;

	make_path("late");
	w = stream_writer__open(path, 4096);
	assert_non_null(w);
	for (__u32 n = 1; n <= 50; n++) /* lapped many times over already */
		put(w, n);
	s = jobtrace_stream_open(path);
	assert_non_null(s);
	expect_none(s);
	for (__u32 n = 51; n <= 53; n++)
		put(w, n);
	for (__u32 n = 51; n <= 53; n++)
		expect(s, n);
	expect_none(s);
	assert_int_equal(jobtrace_stream_missed_total(s), 0);
	jobtrace_stream_close(s);
	stream_writer__close(w);
	remove_path();
}

/*
 * A writer killed with -9 (a child that exits without closing) leaves its
 * file and lock behind; the next writer starts anyway, and readers of the
 * old file notice the restart and read the new generation from its start.
 */
static void test_writer_restart(void **state)
{
	union jt_stream_record rec;
	struct stream_writer *w;
	struct jobtrace_stream *s;
	__u64 gen1;
	int status;
	pid_t pid;

	make_path("restart");
	w = stream_writer__open(path, 4096);
	assert_non_null(w);
	/* One writer per path: a second one is refused while the first lives. */
	assert_null(stream_writer__open(path, 4096));
	assert_int_equal(errno, EBUSY);
	stream_writer__close(w);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		w = stream_writer__open(path, 4096);
		if (!w)
			_exit(1);
		put(w, 1);
		put(w, 2);
		stream_writer__flush(w);
		raise(SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	s = jobtrace_stream_open(path);
	assert_non_null(s);
	gen1 = jobtrace_stream_generation(s);
	assert_int_not_equal(gen1, 0);
	/* It never said goodbye: the file says RUNNING, but its pid is gone. */
	assert_int_equal(jobtrace_stream_state(s), JT_STREAM_GONE);
	expect_none(s);

	w = stream_writer__open(path, 8192);
	assert_non_null(w);
	assert_int_not_equal(stream_writer__generation(w), gen1);
	put(w, 1);
	put(w, 2);
	put(w, 3);
	/* The wait returns at once: the old file says it was replaced. */
	assert_int_equal(jobtrace_stream_wait(s, 5000), 1);
	assert_int_equal(jobtrace_stream_next(s, &rec), 1);
	assert_int_equal(rec.hdr.type, JT_STREAM_RESTART);
	assert_int_equal(rec.restart.old_generation, gen1);
	assert_int_equal(rec.restart.new_generation, stream_writer__generation(w));
	assert_int_equal(jobtrace_stream_generation(s), stream_writer__generation(w));
	expect(s, 1);
	expect(s, 2);
	expect(s, 3);
	expect_none(s);
	stream_writer__close(w);
	assert_int_equal(jobtrace_stream_state(s), JT_STREAM_CLOSED);
	jobtrace_stream_close(s);
	remove_path();
}

/* The file mapped for writing, as a corrupter (or a bug) would scribble on it. */
static struct jt_stream_meta *map_rw(size_t *len)
{
	struct stat st;
	void *m;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m != MAP_FAILED);
	return m;
}

/* Lengths and counters no writer would write: the reader neither crashes nor loops. */
static void test_hostile_mapping(void **state)
{
	static const __u32 lens[] = { 0, 3, 8, 4092, 0x7ffffff8, 0xfffffff8 };
	union jt_stream_record rec;
	struct jt_stream_hdr *h;
	struct jt_stream_meta *m;
	struct stream_writer *w;
	struct jobtrace_stream *s;
	size_t len;
	__u32 n = 0;

	make_path("hostile");
	w = stream_writer__open(path, 4096);
	assert_non_null(w);
	m = map_rw(&len);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		s = jobtrace_stream_open(path);
		assert_non_null(s);
		put(w, ++n);
		h = (struct jt_stream_hdr *)((char *)m + JT_STREAM_META_SIZE +
					     (m->latest & (m->capacity - 1)));
		h->len = lens[i];
		assert_int_equal(jobtrace_stream_next(s, &rec), -EBADMSG);
		/* Moved past it: what the writer writes next reads well. */
		expect_none(s);
		put(w, ++n);
		expect(s, n);
		jobtrace_stream_close(s);
	}
	/* In a batch: the records before the broken one, then its error on the next call. */
	s = jobtrace_stream_open(path);
	assert_non_null(s);
	put(w, ++n);
	put(w, ++n);
	h = (struct jt_stream_hdr *)((char *)m + JT_STREAM_META_SIZE +
				     (m->latest & (m->capacity - 1)));
	h->len = 3;
	assert_int_equal(jobtrace_stream_next_batch(s, &rec, 1), 1);
	check_rec(&rec, n - 1);
	assert_int_equal(jobtrace_stream_next_batch(s, &rec, 1), -EBADMSG);
	assert_int_equal(jobtrace_stream_next_batch(s, &rec, 1), 0);
	put(w, ++n);
	put(w, ++n);
	h = (struct jt_stream_hdr *)((char *)m + JT_STREAM_META_SIZE +
				     (m->latest & (m->capacity - 1)));
	h->len = 3;
	{
		union jt_stream_record two[2];

		assert_int_equal(jobtrace_stream_next_batch(s, two, 2), 1);
		check_rec(&two[0], n - 1);
		assert_int_equal(jobtrace_stream_next_batch(s, two, 2), -EBADMSG);
		assert_int_equal(jobtrace_stream_next_batch(s, two, 2), 0);
		put(w, ++n);
		assert_int_equal(jobtrace_stream_next_batch(s, two, 2), 1);
		check_rec(&two[0], n);
	}
	jobtrace_stream_close(s);
	/* Counters from nowhere: positions far ahead, behind, an intent that never ends. */
	s = jobtrace_stream_open(path);
	assert_non_null(s);
	m->tail = ~0ULL - 5;
	m->latest = 0x123456789abcdefULL;
	for (int i = 0; i < 4; i++)
		assert_true(jobtrace_stream_next(s, &rec) <= 1);
	m->tail_intent = ~0ULL;
	m->tail = 1ULL << 40;
	for (int i = 0; i < 4; i++) {
		int r = jobtrace_stream_next(s, &rec);

		assert_true(r == 0 || r == -EBADMSG || (r == 1 && rec.hdr.type == JT_STREAM_MISSED));
	}
	jobtrace_stream_close(s);
	/* A header that lies about the data area's size is refused at open. */
	m->capacity = 1ULL << 20;
	assert_null(jobtrace_stream_open(path));
	assert_int_equal(errno, EPROTO);
	m->capacity = 3000;
	assert_null(jobtrace_stream_open(path));
	m->capacity = 4096;
	m->version = 99;
	assert_null(jobtrace_stream_open(path));
	assert_int_equal(errno, EPROTONOSUPPORT);
	m->magic = 0;
	assert_null(jobtrace_stream_open(path));
	munmap(m, len);
	assert_null(jobtrace_stream_open("/dev/shm/jt-test-stream-no-such-file"));
	assert_int_equal(errno, ENOENT);
	stream_writer__close(w);
	remove_path();
}

/*
 * A reader process: counts what it sees until the writer closes. Exit
 * status 0 when every record was seen in order or counted as missed, and,
 * with @must_see_all, none was missed; @slow_us sleeps per record.
 */
static int child_reader(int go_fd, int ready_fd, __u32 total, bool must_see_all,
			unsigned int slow_us)
{
	union jt_stream_record rec;
	struct jobtrace_stream *s;
	__u64 seen = 0, missed = 0, last = 0;
	int idle = 0, n;
	char c;

	/* Forked before the writer exists, so that it owns nothing of the writer's. */
	if (read(go_fd, &c, 1) != 1)
		return 9;
	close(go_fd);
	s = jobtrace_stream_open(path);
	if (!s)
		return 10;
	if (write(ready_fd, "r", 1) != 1)
		return 11;
	close(ready_fd);
	for (;;) {
		n = jobtrace_stream_next(s, &rec);
		if (n < 0)
			return 12;
		if (n == 1) {
			idle = 0;
			if (rec.hdr.type == JT_STREAM_MISSED) {
				missed += rec.missed.count;
				continue;
			}
			if (rec.hdr.seq <= last || pid_of(&rec) != rec.hdr.seq)
				return 13;
			if (last + 1 != rec.hdr.seq && missed != rec.hdr.seq - seen - 1)
				return 14;
			last = rec.hdr.seq;
			seen++;
			if (slow_us)
				usleep(slow_us);
			continue;
		}
		if (jobtrace_stream_state(s) == JT_STREAM_CLOSED && ++idle > 1)
			break;
		if (jobtrace_stream_wait(s, 2000) == 0 && jobtrace_stream_state(s) != JT_STREAM_CLOSED)
			return 15; /* the writer's wake-ups never came */
	}
	jobtrace_stream_close(s);
	if (seen + missed != total || last != total)
		return 16;
	if (must_see_all ? missed != 0 : missed == 0)
		return 17;
	return 0;
}

static void run_readers(unsigned int nreaders, size_t capacity, __u32 total, bool must_see_all,
			unsigned int slow_us)
{
	struct stream_writer *w;
	int pfd[2], go[2], status;
	pid_t pids[16];
	char c;

	assert_true(nreaders <= 16);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(pipe(go), 0);
	for (unsigned int i = 0; i < nreaders; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(pfd[0]);
			close(go[1]);
			_exit(child_reader(go[0], pfd[1], total, must_see_all, slow_us));
		}
	}
	close(pfd[1]);
	close(go[0]);
	w = stream_writer__open(path, capacity);
	assert_non_null(w);
	for (unsigned int i = 0; i < nreaders; i++)
		assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	for (unsigned int i = 0; i < nreaders; i++)
		assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	for (__u32 n = 1; n <= total; n++) {
		put(w, n);
		if (n % 64 == 0)
			stream_writer__flush(w); /* one wake-up per batch */
	}
	stream_writer__close(w);
	for (unsigned int i = 0; i < nreaders; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

/* Eight reader processes at once, a ring that holds everything: each sees all. */
static void test_many_readers_across_fork(void **state)
{
	make_path("many");
	run_readers(8, 16 << 20, 20000, true, 0);
	remove_path();
}

/* Slow reader processes and a small ring: each loses some, and counts them exactly. */
static void test_slow_readers_count_missed(void **state)
{
	make_path("slow");
	run_readers(3, 16 * 1024, 3000, false, 200);
	remove_path();
}

/*
 * The stream sink places a container's process: its pid there and its
 * cgroup (id and hierarchy) in the fork and exit records' lineage; one on
 * the host has its own pid there and hierarchy 0 where the collector knew none.
 */
static void test_sink_places_processes(void **state)
{
	struct cjob *job = calloc(1, sizeof(*job) + CJOB_KEY_SIZE); /* and its key's room */
	struct jt_fork_event fe = { .pid = 48113, .ppid = 48112, .start_ns = 10, .ns_pid = 2,
				    .cgroup_id = 172070, .comm = "sh" };
	struct jt_exit_event xe = { .pid = 48113, .ppid = 48112, .start_ns = 10, .exit_ns = 20,
				    .ns_pid = 2, .cgroup_id = 172071, .comm = "sh" };
	struct jt_fork_event he = { .pid = 700, .ppid = 1, .ns_pid = 700, .cgroup_id = 1 };
	struct fork_record fr = { .e = &fe, .cgroup_hierarchy = 0 };
	struct proc_record pr = { .e = &xe, .cgroup_hierarchy = 4 };
	struct fork_record hr = { .e = &he, .cgroup_hierarchy = -1 };
	struct jobtrace_stream *rd;
	union jt_stream_record rec;
	struct sink *sk;

	assert_non_null(job);
	job->job.key = TEST_CJOB_KEY(job);
	snprintf(TEST_CJOB_KEY(job), CJOB_KEY_SIZE, "cgroup:/box");
	fr.job = pr.job = hr.job = job;
	make_path("place");
	sk = sink_stream__new(path, 64 * 1024);
	assert_non_null(sk);
	rd = jobtrace_stream_open(path);
	assert_non_null(rd);
	assert_int_equal(sk->ops->fork(sk, &fr), 0);
	assert_int_equal(sk->ops->process(sk, &pr), 0);
	assert_int_equal(sk->ops->fork(sk, &hr), 0);
	assert_int_equal(sk->ops->flush(sk), 0);

	assert_int_equal(jobtrace_stream_next(rd, &rec), 1);
	assert_int_equal(rec.hdr.type, JT_STREAM_FORK);
	assert_int_equal(rec.hdr.len, sizeof(rec.fork));
	assert_int_equal(rec.fork.lin.pid, 48113);
	assert_int_equal(rec.fork.lin.ns_pid, 2);
	assert_int_equal(rec.fork.lin.cgroup_id, 172070);
	assert_int_equal(rec.fork.lin.cgroup_hierarchy, 0);
	assert_string_equal(rec.fork.job.key, "cgroup:/box");

	assert_int_equal(jobtrace_stream_next(rd, &rec), 1);
	assert_int_equal(rec.hdr.type, JT_STREAM_EXIT);
	assert_int_equal(rec.exit.lin.ns_pid, 2);
	assert_int_equal(rec.exit.lin.cgroup_id, 172071);
	assert_int_equal(rec.exit.lin.cgroup_hierarchy, 4); /* host mode by a v1 hierarchy */

	assert_int_equal(jobtrace_stream_next(rd, &rec), 1);
	assert_int_equal(rec.fork.lin.ns_pid, 700);
	assert_int_equal(rec.fork.lin.cgroup_hierarchy, 0);
	assert_int_equal(jobtrace_stream_next(rd, &rec), 0);
	jobtrace_stream_close(rd);
	sink__free(sk);
	free(job);
	remove_path();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readers_own_pace),
		cmocka_unit_test(test_lapped_reader_counts_missed),
		cmocka_unit_test(test_late_reader_sees_new_only),
		cmocka_unit_test(test_writer_restart),
		cmocka_unit_test(test_hostile_mapping),
		cmocka_unit_test(test_many_readers_across_fork),
		cmocka_unit_test(test_slow_readers_count_missed),
		cmocka_unit_test(test_sink_places_processes),
		cmocka_unit_test(test_batch_as_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
