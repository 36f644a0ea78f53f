// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proc_walk over the fixture proc root, over trees the test writes into a
 * temporary dir, and over this machine's /proc.
 */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/proc_walk.h"
#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

#define FIXTURE_PROC FIXTURES "/proc"
#define NS_PER_TICK_100HZ 10000000ull

struct want_entry {
	int pid, ppid;
	const char *comm;
	char state;
	uint64_t cpu_ns, rss_bytes, starttime_ticks;
	uint32_t num_threads;
};

/* What tests/fixtures/proc encodes, at 100 Hz and 4 KiB pages, in pid order. */
static const struct want_entry fixture_entries[] = {
	{ 1, 0, "systemd", 'S', (150 + 50) * NS_PER_TICK_100HZ, 3318 * 4096ull, 23, 1 },
	{ 2, 0, "kthreadd", 'S', 3 * NS_PER_TICK_100HZ, 0, 23, 1 },
	{ 77, 1, "httpd", 'D', (20 + 10) * NS_PER_TICK_100HZ, 300 * 4096ull, 4000, 1 },
	{ 4242, 1, "(a) (b))", 'R', (123456 + 7890) * NS_PER_TICK_100HZ, 2500 * 4096ull,
	  123456789012ull, 4 },
	{ 4243, 4242, "sh", 'Z', (3 + 4) * NS_PER_TICK_100HZ, 0, 123456789100ull, 1 },
};

static struct proc_walk *snapshot_fixture(long hz, long page)
{
	struct proc_walk *w;
	int fd = util__open_dir(FIXTURE_PROC);

	assert_true(fd >= 0);
	assert_int_equal(proc_walk__snapshot(fd, hz, page, &w), 0);
	close(fd);
	assert_non_null(w);
	return w;
}

static void test_fixture_snapshot(void **state)
{
	struct proc_walk *w = snapshot_fixture(100, 4096);

	/* 999 lost its stat (vanished), 5000's is cut (unreadable); sys/ and 31337 are no pids. */
	assert_int_equal(w->n, ARRAY_SIZE(fixture_entries));
	assert_int_equal(w->vanished, 1);
	assert_int_equal(w->unreadable, 1);
	for (size_t i = 0; i < w->n; i++) {
		const struct proc_walk_entry *e = &w->entries[i];
		const struct want_entry *x = &fixture_entries[i];

		assert_int_equal(e->pid, x->pid);
		assert_int_equal(e->ppid, x->ppid);
		assert_string_equal(e->comm, x->comm);
		assert_int_equal(e->comm_len, strlen(x->comm));
		assert_int_equal(e->state, x->state);
		assert_int_equal(e->cpu_ns, x->cpu_ns);
		assert_int_equal(e->rss_bytes, x->rss_bytes);
		assert_int_equal(e->starttime_ticks, x->starttime_ticks);
		assert_int_equal(e->num_threads, x->num_threads);
	}
	assert_ptr_equal(proc_walk__find(w, 4242), &w->entries[3]);
	assert_null(proc_walk__find(w, 999));
	assert_null(proc_walk__find(w, 3));
	proc_walk__free(w);
	proc_walk__free(NULL);
}

/* USER_HZ is 100 almost everywhere, but not on alpha (1024): the unit is a parameter. */
static void test_units(void **state)
{
	struct proc_walk *w = snapshot_fixture(250, 65536);
	const struct proc_walk_entry *e = proc_walk__find(w, 1);

	assert_non_null(e);
	assert_int_equal(e->cpu_ns, 800000000ull); /* 200 ticks at 250 Hz */
	assert_int_equal(e->rss_bytes, 3318 * 65536ull);
	e = proc_walk__find(w, 4242);
	assert_int_equal(e->cpu_ns, 131346ull * 4000000ull);
	proc_walk__free(w);

	w = snapshot_fixture(1024, 4096);
	e = proc_walk__find(w, 4243);
	assert_int_equal(e->cpu_ns, 7ull * 1000000000ull / 1024); /* rounds down */
	proc_walk__free(w);
}

static void test_bad_args(void **state)
{
	struct proc_walk *w = (struct proc_walk *)1;
	int fd = util__open_dir(FIXTURE_PROC);

	assert_true(fd >= 0);
	assert_int_equal(proc_walk__snapshot(fd, 0, 4096, &w), -EINVAL);
	assert_null(w);
	assert_int_equal(proc_walk__snapshot(fd, 100, 0, &w), -EINVAL);
	close(fd);
	w = (struct proc_walk *)1;
	assert_int_equal(proc_walk__snapshot(-1, 100, 4096, &w), -EBADF);
	assert_null(w);
}

static void expect_children(const struct proc_walk *w, int pid, const int *want, size_t n)
{
	size_t got_n;
	const struct proc_walk_entry *const *kids = proc_walk__children(w, pid, &got_n);

	if (got_n != n)
		fail_msg("children of %d: %zu, want %zu", pid, got_n, n);
	if (!n)
		assert_null(kids);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(kids[i]->pid, want[i]);
		assert_int_equal(kids[i]->ppid, pid);
	}
}

static void test_children(void **state)
{
	struct proc_walk *w = snapshot_fixture(100, 4096);

	expect_children(w, 0, (const int[]){ 1, 2 }, 2);
	expect_children(w, 1, (const int[]){ 77, 4242 }, 2);
	expect_children(w, 4242, (const int[]){ 4243 }, 1);
	expect_children(w, 4243, NULL, 0);
	expect_children(w, 2, NULL, 0);
	expect_children(w, 999, NULL, 0);
	expect_children(w, -1, NULL, 0);
	expect_children(w, 99999, NULL, 0);
	proc_walk__free(w);
}

static void test_fixture_states(void **state)
{
	struct proc_walk *w = snapshot_fixture(100, 4096);
	struct proc_state_counts c;

	proc_walk__count_states(w, &c);
	assert_int_equal(c.sleeping, 2);
	assert_int_equal(c.disk_sleep, 1);
	assert_int_equal(c.running, 1);
	assert_int_equal(c.zombie, 1);
	assert_int_equal(c.stopped + c.tracing_stop + c.idle + c.dead + c.parked + c.other, 0);
	assert_int_equal(c.total, 5);
	proc_walk__free(w);
}

static void test_fixture_tree(void **state)
{
	struct proc_walk *w = snapshot_fixture(100, 4096);
	struct capture cap;

	capture__open(&cap);
	assert_int_equal(proc_walk__print_tree(w, cap.f), 0);
	assert_string_equal(capture__close(&cap), "1 systemd\n"
						  "  77 httpd\n"
						  "  4242 (a) (b))\n"
						  "    4243 sh\n"
						  "2 kthreadd\n");
	capture__free(&cap);
	proc_walk__free(w);
}

/* ---- trees written by the test ---- */

struct tmp_proc {
	char dir[64];
	int fd;
	int pids[32];
	size_t n;
};

static void tmp_proc__init(struct tmp_proc *t)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->dir, "/tmp/jobtrace-walk-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	t->fd = util__open_dir(t->dir);
	assert_true(t->fd >= 0);
}

/* Writes PID/stat with the 24 fields the parser needs; comm is @comm_len raw bytes. */
static void tmp_proc__add(struct tmp_proc *t, int pid, int ppid, const char *comm,
			  size_t comm_len, char state)
{
	char path[32], line[256];
	int n, fd;

	assert_true(t->n < ARRAY_SIZE(t->pids));
	snprintf(path, sizeof(path), "%d", pid);
	assert_int_equal(mkdirat(t->fd, path, 0755), 0);
	t->pids[t->n++] = pid;
	snprintf(path, sizeof(path), "%d/stat", pid);
	fd = openat(t->fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	n = snprintf(line, sizeof(line), "%d (", pid);
	memcpy(line + n, comm, comm_len);
	n += (int)comm_len;
	n += snprintf(line + n, sizeof(line) - (size_t)n,
		      ") %c %d 0 0 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 0\n", state, ppid);
	assert_int_equal(write(fd, line, (size_t)n), n);
	close(fd);
}

static void tmp_proc__remove(struct tmp_proc *t)
{
	for (size_t i = 0; i < t->n; i++) {
		char path[32];

		snprintf(path, sizeof(path), "%d/stat", t->pids[i]);
		unlinkat(t->fd, path, 0);
		snprintf(path, sizeof(path), "%d", t->pids[i]);
		unlinkat(t->fd, path, AT_REMOVEDIR);
	}
	close(t->fd);
	rmdir(t->dir);
}

/* Every state letter Linux has used, ApMon-style buckets. */
static void test_all_states(void **state)
{
	static const char states[] = "RRSDZTtIXxPKW?";
	struct proc_state_counts c;
	struct tmp_proc t;
	struct proc_walk *w;

	tmp_proc__init(&t);
	for (size_t i = 0; i < sizeof(states) - 1; i++)
		tmp_proc__add(&t, 100 + (int)i, 1, "p", 1, states[i]);
	assert_int_equal(proc_walk__snapshot(t.fd, 100, 4096, &w), 0);
	proc_walk__count_states(w, &c);
	assert_int_equal(c.running, 2);
	assert_int_equal(c.sleeping, 1);
	assert_int_equal(c.disk_sleep, 1);
	assert_int_equal(c.zombie, 1);
	assert_int_equal(c.stopped, 1);
	assert_int_equal(c.tracing_stop, 1);
	assert_int_equal(c.idle, 1);
	assert_int_equal(c.dead, 2);
	assert_int_equal(c.parked, 1);
	assert_int_equal(c.other, 3);
	assert_int_equal(c.total, sizeof(states) - 1);
	proc_walk__free(w);
	tmp_proc__remove(&t);
}

/*
 * Orphans (parent not in the snapshot) are roots; a comm with a newline
 * is escaped so it cannot forge a tree line; a pid that is its own parent
 * or a parent cycle, impossible at one instant but possible across a
 * non-atomic walk, must not loop.
 */
static void test_tree_odd_shapes(void **state)
{
	struct tmp_proc t;
	struct proc_walk *w;
	struct capture cap;

	tmp_proc__init(&t);
	tmp_proc__add(&t, 50, 7, "orphan", 6, 'S');
	tmp_proc__add(&t, 51, 50, "a\nb", 3, 'S');
	tmp_proc__add(&t, 40, 40, "self", 4, 'S');
	tmp_proc__add(&t, 60, 61, "c1", 2, 'S');
	tmp_proc__add(&t, 61, 60, "c2", 2, 'S');
	tmp_proc__add(&t, 52, 50, "\xff", 1, 'Z');
	assert_int_equal(proc_walk__snapshot(t.fd, 100, 4096, &w), 0);
	assert_int_equal(w->n, 6);
	capture__open(&cap);
	assert_int_equal(proc_walk__print_tree(w, cap.f), 0);
	assert_string_equal(capture__close(&cap), "40 self\n"
						  "50 orphan\n"
						  "  51 a\\x0ab\n"
						  "  52 \\xff\n"
						  /* the cycle is listed, from its lowest pid */
						  "60 c1\n"
						  "  61 c2\n");
	capture__free(&cap);
	proc_walk__free(w);
	tmp_proc__remove(&t);
}

static void test_empty_root(void **state)
{
	struct proc_state_counts c;
	struct tmp_proc t;
	struct proc_walk *w;
	struct capture cap;
	size_t n;

	tmp_proc__init(&t);
	assert_int_equal(proc_walk__snapshot(t.fd, 100, 4096, &w), 0);
	assert_int_equal(w->n, 0);
	assert_null(proc_walk__find(w, 1));
	assert_null(proc_walk__children(w, 0, &n));
	assert_int_equal(n, 0);
	proc_walk__count_states(w, &c);
	assert_int_equal(c.total, 0);
	capture__open(&cap);
	assert_int_equal(proc_walk__print_tree(w, cap.f), 0);
	assert_string_equal(capture__close(&cap), "");
	capture__free(&cap);
	proc_walk__free(w);
	tmp_proc__remove(&t);
}

/* ---- live ---- */

static void test_live_walk(void **state)
{
	const struct proc_walk_entry *self, *init, *const *kids;
	struct proc_state_counts c;
	struct proc_walk *w;
	int fd = util__open_dir("/proc"), status, err;
	bool found = false;
	size_t n;
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_true(fd >= 0);
	err = proc_walk__snapshot(fd, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), &w);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	assert_int_equal(err, 0);

	self = proc_walk__find(w, getpid());
	assert_non_null(self);
	assert_int_equal(self->ppid, getppid());
	assert_int_equal(self->state, 'R');
	assert_int_equal(self->num_threads, 1);
	assert_true(self->rss_bytes > 0);
	init = proc_walk__find(w, 1);
	assert_non_null(init);
	assert_int_equal(init->ppid, 0);
	/* The child we forked is under us. */
	kids = proc_walk__children(w, getpid(), &n);
	for (size_t i = 0; i < n; i++)
		found |= kids[i]->pid == child;
	assert_true(found);
	/* Entries are in pid order and the counts add up. */
	for (size_t i = 1; i < w->n; i++)
		assert_true(w->entries[i - 1].pid < w->entries[i].pid);
	proc_walk__count_states(w, &c);
	assert_int_equal(c.total, w->n);
	assert_true(c.running >= 1);
	proc_walk__free(w);
	close(fd);
}

/* ---- proc_tree over any records ---- */

struct rec {
	int32_t pid, ppid;
};

static void rec_ids(const void *recs, size_t i, int32_t *pid, int32_t *ppid)
{
	const struct rec *r = &((const struct rec *)recs)[i];

	*pid = r->pid;
	*ppid = r->ppid;
}

struct visits {
	char buf[256]; /* "pid@depth " per visit */
	size_t n, stop_at;
	const struct rec *recs;
};

static int record_visit(size_t idx, size_t depth, void *ctx)
{
	struct visits *v = ctx;
	size_t len = strlen(v->buf);

	snprintf(v->buf + len, sizeof(v->buf) - len, "%d@%zu ", v->recs[idx].pid, depth);
	return ++v->n == v->stop_at ? 7 : 0;
}

/*
 * Records out of pid order, a self-parented pid 0, an orphan, and a loop
 * (300 <-> 301) no root leads to: every shape ps and print_tree meet.
 */
static const struct rec odd_recs[] = {
	{ 10, 1 }, { 1, 0 }, { 0, 0 }, { 300, 301 }, { 2, 0 }, { 301, 300 }, { 11, 1 },
	{ 12, 10 }, { 50, 49 },
};

/*
 * A pid twice (two reads that straddle a pid's reuse, a doctored tree): 5
 * once under 1 and once under 7, whose parent is 5. Each record is visited
 * once; the old walk printed 5 7 5 7 ... until its budget ran out.
 */
static void test_tree_duplicate_pids(void **state)
{
	static const struct rec dup_recs[] = {
		{ 1, 0 }, { 5, 1 }, { 7, 5 }, { 5, 7 }, { 9, 5 },
	};
	struct visits v = { .recs = dup_recs };
	struct proc_tree t;

	assert_int_equal(proc_tree__build(&t, dup_recs, ARRAY_SIZE(dup_recs), rec_ids), 0);
	assert_int_equal(proc_tree__walk(&t, NULL, record_visit, &v), 0);
	assert_int_equal(v.n, ARRAY_SIZE(dup_recs));
	/* Every record, and neither 5 twice under the same parent nor 7 twice. */
	assert_non_null(strstr(v.buf, "1@0 5@1 "));
	assert_null(strstr(strstr(v.buf, "7@") + 1, "7@"));
	proc_tree__free(&t);
}

static void test_tree_table(void **state)
{
	static const struct {
		const char *name;
		int32_t root; /* -1: every root */
		size_t stop_at;
		int err;
		const char *want;
	} cases[] = {
		/* Roots by pid; 0 is its own parent and not its own child. */
		/* Then the loop no root reaches, from its lowest pid: nothing is dropped. */
		{ "every root", -1, 0, 0, "0@0 1@1 10@2 12@3 11@2 2@1 50@0 300@0 301@1 " },
		{ "one subtree", 10, 0, 0, "10@0 12@1 " },
		{ "a leaf", 12, 0, 0, "12@0 " },
		/* A loop from inside it: each record once (fuzz_proc_walk), not endless. */
		{ "pid loop", 300, 0, 0, "300@0 301@1 " },
		{ "pid loop, other end", 301, 0, 0, "301@0 300@1 " },
		{ "stopped by the visitor", -1, 3, 7, "0@0 1@1 10@2 " },
	};
	const struct proc_tree_node *kids;
	struct proc_tree t;
	size_t n;

	assert_int_equal(proc_tree__build(&t, odd_recs, ARRAY_SIZE(odd_recs), rec_ids), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct visits v = { .stop_at = cases[i].stop_at, .recs = odd_recs };
		const struct proc_tree_node *root = NULL;
		int err;

		if (cases[i].root >= 0) {
			root = proc_tree__find(&t, cases[i].root);
			assert_non_null(root);
		}
		err = proc_tree__walk(&t, root, record_visit, &v);
		if (err != cases[i].err || strcmp(v.buf, cases[i].want))
			fail_msg("%s: err %d \"%s\", want %d \"%s\"", cases[i].name, err, v.buf,
				 cases[i].err, cases[i].want);
	}
	/* Children by pid, whatever the record order; find by pid. */
	kids = proc_tree__children(&t, 1, &n);
	assert_int_equal(n, 2);
	assert_int_equal(kids[0].pid, 10);
	assert_int_equal(odd_recs[kids[0].idx].pid, 10);
	assert_int_equal(kids[1].pid, 11);
	assert_null(proc_tree__children(&t, 12, &n));
	assert_int_equal(n, 0);
	assert_null(proc_tree__find(&t, 49));
	assert_int_equal(proc_tree__find(&t, 301)->ppid, 300);
	proc_tree__free(&t);
	proc_tree__free(&t);
	proc_tree__free(NULL);

	/* No records: nothing to visit, nothing to find. */
	assert_int_equal(proc_tree__build(&t, NULL, 0, rec_ids), 0);
	assert_int_equal(proc_tree__walk(&t, NULL, record_visit, &(struct visits){}), 0);
	assert_null(proc_tree__find(&t, 1));
	proc_tree__free(&t);
}

/*
 * A snapshot that is not atomic can list one pid twice (reused during the
 * walk): its children show once, under the first, and nothing repeats.
 * fuzz_proc_walk found the repeats (regressions/fuzz_proc_walk/).
 */
static void test_tree_duplicate_pids_fuzzed(void **state)
{
	static const struct rec recs[] = {
		{ 5, 1 }, { 1, 0 }, { 5, 1 }, { 6, 5 }, { 7, 6 }, { 8, 8 }, { 8, 8 },
	};
	struct visits v = { .recs = recs };
	struct proc_tree t;

	assert_int_equal(proc_tree__build(&t, recs, ARRAY_SIZE(recs), rec_ids), 0);
	assert_int_equal(proc_tree__walk(&t, NULL, record_visit, &v), 0);
	assert_string_equal(v.buf, "1@0 5@1 6@2 7@3 5@1 8@0 8@1 ");
	memset(v.buf, 0, sizeof(v.buf));
	v.n = 0;
	assert_int_equal(proc_tree__walk(&t, proc_tree__find(&t, 8), record_visit, &v), 0);
	assert_string_equal(v.buf, "8@0 8@1 ");
	proc_tree__free(&t);
}

/*
 * proc_walk__snapshot_dir() over an image of a proc root: a pid directory
 * without stat vanished, a stat that does not parse is unreadable, names
 * that are no pid (self, 007) are not processes.
 */
static void test_snapshot_image(void **state)
{
#define STAT(pid, comm, ppid) #pid " (" comm ") S " #ppid " 1 1 0 -1 4194560 0 0 0 0 150 50 0 0 " \
	"20 0 1 0 23 22589440 3318 18446744073709551615\n"
	static const char img[] = "1/stat\0" STAT(1, "init", 0) "\0"
				  "5/stat\0" STAT(5, "a) b", 1) "\0"
				  "6/stat\0" STAT(6, "c", 5) "\0"
				  "9/status\0Name:\tgone\n\0"
				  "3/stat\0garbage\0"
				  "007/stat\0" STAT(7, "z", 1) "\0"
				  "self/stat\0" STAT(1, "init", 0);
#undef STAT
	struct sysfs_dir d;
	struct proc_walk *w;
	struct capture cap;

	sysfs_dir__from_image(&d, img, sizeof(img) - 1);
	assert_int_equal(proc_walk__snapshot_dir(&d, 100, 4096, &w), 0);
	assert_int_equal(w->n, 3);
	assert_int_equal(w->vanished, 1);
	assert_int_equal(w->unreadable, 1);
	assert_int_equal(proc_walk__find(w, 5)->cpu_ns, 2000000000ull);
	assert_int_equal(proc_walk__find(w, 5)->rss_bytes, 3318ull * 4096);
	capture__open(&cap);
	assert_int_equal(proc_walk__print_tree(w, cap.f), 0);
	assert_string_equal(capture__close(&cap), "1 init\n  5 a) b\n    6 c\n");
	capture__free(&cap);
	proc_walk__free(w);
}

/* The tree of a fixture walk is the one proc_walk__print_tree() prints. */
static void test_fixture_proc_tree(void **state)
{
	struct proc_walk *w = snapshot_fixture(100, 4096);
	struct visits v = { .recs = NULL };
	struct rec recs[ARRAY_SIZE(fixture_entries)];

	assert_int_equal(w->n, ARRAY_SIZE(recs));
	for (size_t i = 0; i < w->n; i++)
		recs[i] = (struct rec){ w->entries[i].pid, w->entries[i].ppid };
	v.recs = recs;
	assert_int_equal(proc_tree__walk(&w->tree, NULL, record_visit, &v), 0);
	assert_string_equal(v.buf, "1@0 77@1 4242@1 4243@2 2@0 ");
	proc_walk__free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_snapshot),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_children),
		cmocka_unit_test(test_fixture_states),
		cmocka_unit_test(test_fixture_tree),
		cmocka_unit_test(test_all_states),
		cmocka_unit_test(test_tree_odd_shapes),
		cmocka_unit_test(test_tree_duplicate_pids),
		cmocka_unit_test(test_empty_root),
		cmocka_unit_test(test_live_walk),
		cmocka_unit_test(test_tree_table),
		cmocka_unit_test(test_fixture_proc_tree),
		cmocka_unit_test(test_tree_duplicate_pids_fuzzed),
		cmocka_unit_test(test_snapshot_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
