// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The repair sweep over a scripted source: what it holds alive, what a live
 * read saw, and which drops succeed are the test's own; the sweep must drop
 * exactly the processes no live task backed in two sweeps in a row.
 */
#include "testutil.h"

#include "jobtrace/collector.h"
#include "jobtrace/repair.h"
#include "jobtrace/source.h"

#define SEC_NS 1000000000ULL
#define MAX_HELD 64

/* The source's table: a process per slot, and whether its exit beats the drop. */
static struct held {
	struct jt_proc_key key;
	__u64 job_id;
	bool present;
	bool exit_races; /* its own exit takes the entry first: the drop finds nothing */
} held[MAX_HELD];
static size_t nheld;
static __u64 repaired_jobs[MAX_HELD];
static size_t nrepaired;

static int f_for_each_proc(struct collector *c,
			   int (*fn)(void *ctx, const struct jt_proc_key *key, __u64 job_id),
			   void *ctx)
{
	for (size_t i = 0; i < nheld; i++) {
		int err;

		if (!held[i].present)
			continue;
		err = fn(ctx, &held[i].key, held[i].job_id);
		if (err)
			return err;
	}
	return 0;
}

static int f_drop_proc(struct collector *c, const struct jt_proc_key *key, __u64 *job_id)
{
	for (size_t i = 0; i < nheld; i++) {
		if (!held[i].present || held[i].key.tgid != key->tgid ||
		    held[i].key.start_ns != key->start_ns)
			continue;
		held[i].present = false;
		if (held[i].exit_races)
			return -ENOENT;
		*job_id = held[i].job_id;
		return 0;
	}
	return -ENOENT;
}

static const struct source_ops fake_ops = {
	.name = "fake",
	.for_each_proc = f_for_each_proc,
	.drop_proc = f_drop_proc,
};

static void on_repaired(void *ctx, __u64 job_id)
{
	repaired_jobs[nrepaired++] = job_id;
}

static void hold(__u32 tgid, __u64 start_ns, __u64 job_id)
{
	held[nheld++] = (struct held){ .key = { .tgid = tgid, .start_ns = start_ns },
				       .job_id = job_id, .present = true };
}

/* One sweep at @now_ns whose live read saw the @n processes of @live (tgid, start pairs). */
static int sweep(struct repair *r, __u64 now_ns, const __u64 (*live)[2], size_t n)
{
	assert_true(repair__begin(r, now_ns));
	for (size_t i = 0; i < n; i++)
		repair__note_live(r, (__u32)live[i][0], live[i][1]);
	return repair__finish(r, NULL, &fake_ops, on_repaired, NULL);
}

static int reset(void **state)
{
	memset(held, 0, sizeof(held));
	nheld = nrepaired = 0;
	return 0;
}

/* Gone and never seen again: dropped at the second sweep, not the first, once. */
static void test_gone_dropped_at_second_sweep(void **state)
{
	const __u64 live[][2] = { { 10, 1000 } };
	struct repair r;

	repair__init(&r, 2 * SEC_NS, 0);
	hold(10, 1000, 7);
	hold(11, 2000, 8); /* its exit was missed */
	assert_false(repair__begin(&r, SEC_NS)); /* not due yet */
	assert_int_equal(sweep(&r, 2 * SEC_NS, live, 1), 0);
	assert_int_equal(nrepaired, 0);
	assert_int_equal(sweep(&r, 4 * SEC_NS, live, 1), 1);
	assert_int_equal(nrepaired, 1);
	assert_int_equal(repaired_jobs[0], 8);
	assert_false(held[1].present);
	assert_true(held[0].present);
	assert_int_equal(sweep(&r, 6 * SEC_NS, live, 1), 0);
	assert_int_equal(r.repaired, 1);
	assert_int_equal(r.sweeps, 3);
	repair__free(&r);
}

/*
 * Pids are reused: a live process with the tgid of a held one but another
 * start time does not back it; one missing from a single sweep (forked after
 * the live read) is kept.
 */
static void test_reused_pid_and_new_process(void **state)
{
	const __u64 first[][2] = { { 20, 9999 } };
	const __u64 second[][2] = { { 20, 9999 }, { 21, 3000 } };
	struct repair r;

	repair__init(&r, SEC_NS, 0);
	hold(20, 1000, 1); /* the old 20, gone: a new process has its pid */
	hold(21, 3000, 1); /* new since the live read of the first sweep */
	assert_int_equal(sweep(&r, SEC_NS, first, 1), 0);
	assert_int_equal(sweep(&r, 2 * SEC_NS, second, 2), 1);
	assert_int_equal(nrepaired, 1);
	assert_false(held[0].present);
	assert_true(held[1].present);
	repair__free(&r);
}

/* An exit that takes the entry between the walk and the drop is no repair. */
static void test_exit_races_the_drop(void **state)
{
	struct repair r;

	repair__init(&r, SEC_NS, 0);
	hold(30, 1, 3);
	held[0].exit_races = true;
	assert_int_equal(sweep(&r, SEC_NS, NULL, 0), 0);
	assert_int_equal(sweep(&r, 2 * SEC_NS, NULL, 0), 0);
	assert_int_equal(nrepaired, 0);
	assert_int_equal(r.repaired, 0);
	repair__free(&r);
}

/* A failed live read is no evidence: nothing is dropped on it, and the suspects wait. */
static void test_aborted_read_drops_nothing(void **state)
{
	struct repair r;

	repair__init(&r, SEC_NS, 0);
	hold(40, 1, 4);
	assert_int_equal(sweep(&r, SEC_NS, NULL, 0), 0);
	assert_true(repair__begin(&r, 2 * SEC_NS));
	repair__abort(&r);
	assert_int_equal(repair__finish(&r, NULL, &fake_ops, on_repaired, NULL), 0);
	assert_int_equal(nrepaired, 0);
	assert_true(held[0].present);
	assert_int_equal(sweep(&r, 3 * SEC_NS, NULL, 0), 1);
	assert_int_equal(repaired_jobs[0], 4);
	repair__free(&r);
}

/* A host's worth of live processes: the sets grow, and every held one that is live stays. */
static void test_many_live(void **state)
{
	static __u64 live[20000][2];
	struct repair r;

	for (size_t i = 0; i < 20000; i++) {
		live[i][0] = i + 1;
		live[i][1] = (i + 1) * 1000;
	}
	repair__init(&r, SEC_NS, 0);
	for (size_t i = 0; i < MAX_HELD - 1; i++)
		hold((__u32)(i * 300 + 1), (i * 300 + 1) * 1000, 1);
	hold(30000, 5, 2);
	assert_int_equal(sweep(&r, SEC_NS, live, 20000), 0);
	assert_int_equal(sweep(&r, 2 * SEC_NS, live, 20000), 1);
	assert_int_equal(nrepaired, 1);
	assert_int_equal(repaired_jobs[0], 2);
	repair__free(&r);
}

/* A source without the ops (the scripted one of test_collector) is never swept. */
static void test_source_without_ops(void **state)
{
	static const struct source_ops none = { .name = "none" };
	struct repair r;

	repair__init(&r, SEC_NS, 0);
	for (int i = 1; i <= 3; i++) {
		assert_true(repair__begin(&r, (__u64)i * SEC_NS));
		assert_int_equal(repair__finish(&r, NULL, &none, on_repaired, NULL), 0);
	}
	assert_int_equal(r.sweeps, 0);
	repair__free(&r);
	repair__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_gone_dropped_at_second_sweep, reset),
		cmocka_unit_test_setup(test_reused_pid_and_new_process, reset),
		cmocka_unit_test_setup(test_exit_races_the_drop, reset),
		cmocka_unit_test_setup(test_aborted_read_drops_nothing, reset),
		cmocka_unit_test_setup(test_many_live, reset),
		cmocka_unit_test_setup(test_source_without_ops, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
