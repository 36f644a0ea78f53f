// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proc_pid parsers over fixture files (tests/fixtures/proc is a fake proc
 * root, tests/fixtures/stat holds odd stat lines), then the readers against
 * this machine's /proc, with ground truth the test makes itself.
 */
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

#define FIXTURE_PROC FIXTURES "/proc"
#define KB 1024ull

static int g_argc;
static char **g_argv;

/* Reads a fixture file whole; the buffer is static, one file at a time. */
static const char *fixture(const char *rel, size_t *len)
{
	static char buf[65536];
	char path[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, rel);
	n = util__read_file_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0)
		fail_msg("cannot read fixture %s: %s", path, strerror((int)-n));
	*len = (size_t)n;
	return buf;
}

static int open_fixture_proc(void)
{
	int fd = util__open_dir(FIXTURE_PROC);

	assert_true(fd >= 0);
	return fd;
}

#define EQ(name, got, want)                                                                       \
	do {                                                                                      \
		if ((got) != (want))                                                              \
			fail_msg("%s: %s = %lld, want %lld", name, #got, (long long)(got),         \
				 (long long)(want));                                              \
	} while (0)

#define EQU(name, got, want)                                                                      \
	do {                                                                                      \
		if ((got) != (want))                                                              \
			fail_msg("%s: %s = %llu, want %llu", name, #got,                           \
				 (unsigned long long)(got), (unsigned long long)(want));          \
	} while (0)

/* ---- stat ---- */

struct stat_case {
	const char *file;
	int err;
	struct proc_stat_fields want;
};

#define COMM(s) .comm = s, .comm_len = sizeof(s) - 1

static const struct stat_case stat_cases[] = {
	{ "proc/1/stat", 0, { .pid = 1, COMM("systemd"), .state = 'S', .ppid = 0, .pgrp = 1,
		.session = 1, .tty_nr = 0, .flags = 4194560, .minflt = 52345, .majflt = 101,
		.utime_ticks = 150, .stime_ticks = 50, .cutime_ticks = 20345,
		.cstime_ticks = 8765, .priority = 20, .nice = 0, .num_threads = 1,
		.starttime_ticks = 23, .vsize_bytes = 22589440, .rss_pages = 3318,
		.processor = 1, .delayacct_blkio_ticks = 7, .nfields = 52 } },
	{ "proc/2/stat", 0, { .pid = 2, COMM("kthreadd"), .state = 'S', .flags = 2129984,
		.stime_ticks = 3, .priority = 20, .num_threads = 1, .starttime_ticks = 23,
		.nfields = 52 } },
	/* comm "(a) (b))": first '(' to last ')'. Real-time: priority -51. */
	{ "proc/4242/stat", 0, { .pid = 4242, COMM("(a) (b))"), .state = 'R', .ppid = 1,
		.pgrp = 4242, .session = 4242, .tty_nr = 34817, .flags = 4194304,
		.minflt = 987654321, .majflt = 12, .utime_ticks = 123456, .stime_ticks = 7890,
		.cutime_ticks = 5, .cstime_ticks = 6, .priority = -51, .nice = 0,
		.num_threads = 4, .starttime_ticks = 123456789012ull, .vsize_bytes = 1234567168,
		.rss_pages = 2500, .processor = 1, .delayacct_blkio_ticks = 333, .nfields = 52 } },
	{ "proc/4243/stat", 0, { .pid = 4243, COMM("sh"), .state = 'Z', .ppid = 4242,
		.pgrp = 4242, .session = 4242, .tty_nr = 34817, .flags = 4227084,
		.utime_ticks = 3, .stime_ticks = 4, .priority = 20, .num_threads = 1,
		.starttime_ticks = 123456789100ull, .nfields = 52 } },
	/* 2.6.9: 41 fields, so (42) delayacct_blkio_ticks reads 0. */
	{ "proc/77/stat", 0, { .pid = 77, COMM("httpd"), .state = 'D', .ppid = 1, .pgrp = 77,
		.session = 77, .flags = 64, .minflt = 900, .majflt = 3, .utime_ticks = 20,
		.stime_ticks = 10, .priority = 25, .nice = 5, .num_threads = 1,
		.starttime_ticks = 4000, .vsize_bytes = 10485760, .rss_pages = 300,
		.nfields = 41 } },
	{ "stat/comm-newline", 0, { .pid = 300, COMM("a\nb"), .state = 'S', .ppid = 1,
		.pgrp = 300, .session = 300, .flags = 4194304, .utime_ticks = 1,
		.stime_ticks = 2, .priority = 20, .num_threads = 1, .starttime_ticks = 500,
		.vsize_bytes = 4096, .rss_pages = 1, .nfields = 52 } },
	{ "stat/comm-bad-utf8", 0, { .pid = 301, COMM("\xff) (\xc3"), .state = 'S', .ppid = 300,
		.pgrp = 300, .session = 300, .flags = 4194304, .priority = 20,
		.num_threads = 1, .starttime_ticks = 501, .vsize_bytes = 8192, .rss_pages = 2,
		.nfields = 52 } },
	{ "stat/comm-empty", 0, { .pid = 302, COMM(""), .state = 'T', .ppid = 1, .pgrp = 302,
		.session = 302, .flags = 4194304, .priority = 20, .num_threads = 1,
		.starttime_ticks = 502, .nfields = 52 } },
	/* Kernel threads carry names past TASK_COMM_LEN since 5.17. */
	{ "stat/kworker", 0, { .pid = 12, COMM("kworker/u8:0-writeback"), .state = 'I',
		.ppid = 2, .flags = 69238880, .priority = 0, .nice = -20, .num_threads = 1,
		.starttime_ticks = 22, .processor = 1, .nfields = 52 } },
	{ "stat/comm-63", 0, { .pid = 13,
		COMM("kworker/u256:1-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
		.state = 'I', .ppid = 2, .flags = 69238880, .priority = 20, .num_threads = 1,
		.starttime_ticks = 22, .nfields = 52 } },
	/* Longer than any kernel writes: the first 63 bytes are kept. */
	{ "stat/comm-70", 0, { .pid = 14,
		COMM("yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"),
		.state = 'S', .ppid = 2, .flags = 4194304, .priority = 20, .num_threads = 1,
		.starttime_ticks = 22, .nfields = 52 } },
	/* The fewest fields we accept: up to (24) rss. */
	{ "stat/min-24", 0, { .pid = 1234, COMM("bash"), .state = 'S', .ppid = 1, .pgrp = 1234,
		.session = 1234, .tty_nr = 34816, .flags = 4194304, .minflt = 9,
		.utime_ticks = 5, .stime_ticks = 6, .priority = 20, .num_threads = 1,
		.starttime_ticks = 99, .vsize_bytes = 4096, .rss_pages = 2, .nfields = 24 } },
	{ "stat/empty", -ESRCH, { 0 } },
	{ "proc/5000/stat", -EINVAL, { 0 } },
	{ "stat/cut-mid-line", -EINVAL, { 0 } },
	{ "stat/cut-in-comm", -EINVAL, { 0 } },
	{ "stat/no-newline-ok-fields", -EINVAL, { 0 } },
	{ "stat/too-few-fields", -EINVAL, { 0 } },
	{ "stat/word-in-number", -EINVAL, { 0 } },
	{ "stat/overflow", -EINVAL, { 0 } },
	{ "stat/negative-utime", -EINVAL, { 0 } },
	{ "stat/double-space", -EINVAL, { 0 } },
};

static void check_stat(const char *name, const struct proc_stat_fields *got,
		       const struct proc_stat_fields *want)
{
	EQ(name, got->pid, want->pid);
	EQ(name, got->comm_len, want->comm_len);
	if (memcmp(got->comm, want->comm, want->comm_len + 1) != 0)
		fail_msg("%s: comm '%s', want '%s'", name, got->comm, want->comm);
	EQ(name, got->state, want->state);
	EQ(name, got->ppid, want->ppid);
	EQ(name, got->pgrp, want->pgrp);
	EQ(name, got->session, want->session);
	EQ(name, got->tty_nr, want->tty_nr);
	EQU(name, got->flags, want->flags);
	EQU(name, got->minflt, want->minflt);
	EQU(name, got->majflt, want->majflt);
	EQU(name, got->utime_ticks, want->utime_ticks);
	EQU(name, got->stime_ticks, want->stime_ticks);
	EQ(name, got->cutime_ticks, want->cutime_ticks);
	EQ(name, got->cstime_ticks, want->cstime_ticks);
	EQ(name, got->priority, want->priority);
	EQ(name, got->nice, want->nice);
	EQ(name, got->num_threads, want->num_threads);
	EQU(name, got->starttime_ticks, want->starttime_ticks);
	EQU(name, got->vsize_bytes, want->vsize_bytes);
	EQ(name, got->rss_pages, want->rss_pages);
	EQ(name, got->processor, want->processor);
	EQU(name, got->delayacct_blkio_ticks, want->delayacct_blkio_ticks);
	EQ(name, got->nfields, want->nfields);
}

static void test_stat_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(stat_cases); i++) {
		const struct stat_case *c = &stat_cases[i];
		struct proc_stat_fields got;
		size_t len;
		const char *buf = fixture(c->file, &len);
		int err;

		memset(&got, 0xa5, sizeof(got));
		err = proc_pid__parse_stat(buf, len, &got);
		EQ(c->file, err, c->err);
		/* On error the whole record is zero, so nothing half-read looks real. */
		check_stat(c->file, &got, &c->want);
	}
}

static void test_stat_kthread_flag(void **state)
{
	struct proc_stat_fields st;
	size_t len;
	const char *buf = fixture("proc/2/stat", &len);

	assert_int_equal(proc_pid__parse_stat(buf, len, &st), 0);
	assert_true(proc_stat__is_kthread(&st));
	buf = fixture("proc/1/stat", &len);
	assert_int_equal(proc_pid__parse_stat(buf, len, &st), 0);
	assert_false(proc_stat__is_kthread(&st));
}

/* Every proper prefix of a good file is a cut read and must be refused. */
static void test_prefixes_refused(void **state)
{
	static const char *const files[] = { "proc/1/stat", "proc/4242/stat", "proc/1/io",
					     "proc/1/statm" };

	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		size_t len;
		const char *src = fixture(files[f], &len);
		char *copy = malloc(len);

		assert_non_null(copy);
		memcpy(copy, src, len);
		for (size_t n = 0; n < len; n++) {
			union {
				struct proc_stat_fields stat;
				struct proc_io io;
				struct proc_statm statm;
			} u;
			int want = n == 0 ? -ESRCH : -EINVAL, err;

			/* An exact-size heap copy lets ASan catch a read past the end. */
			char *buf = malloc(n ? n : 1);

			assert_non_null(buf);
			memcpy(buf, copy, n);
			if (strstr(files[f], "stat") && !strstr(files[f], "statm"))
				err = proc_pid__parse_stat(buf, n, &u.stat);
			else if (strstr(files[f], "statm"))
				err = proc_pid__parse_statm(buf, n, 4096, &u.statm);
			else
				err = proc_pid__parse_io(buf, n, &u.io);
			free(buf);
			if (err != want)
				fail_msg("%s cut at %zu: got %d, want %d", files[f], n, err, want);
		}
		free(copy);
	}
}

/* ---- statm ---- */

struct statm_case {
	const char *name;
	const char *in;
	long page;
	int err;
	struct proc_statm want;
};

static void test_statm_table(void **state)
{
	static const struct statm_case cases[] = {
		{ "modern", "5515 3318 2061 254 0 1029 0\n", 4096, 0,
		  { 5515 * 4096ull, 3318 * 4096ull, 2061 * 4096ull, 254 * 4096ull,
		    1029 * 4096ull } },
		{ "64k pages", "5515 3318 2061 254 0 1029 0\n", 65536, 0,
		  { 5515 * 65536ull, 3318 * 65536ull, 2061 * 65536ull, 254 * 65536ull,
		    1029 * 65536ull } },
		{ "kernel thread", "0 0 0 0 0 0 0\n", 4096, 0, { 0 } },
		{ "empty", "", 4096, -ESRCH, { 0 } },
		{ "too few", "1 2 3 4 0\n", 4096, -EINVAL, { 0 } },
		{ "too many", "1 2 3 4 0 5 0 9\n", 4096, -EINVAL, { 0 } },
		{ "overflow", "18446744073709551615 1 1 1 0 1 0\n", 4096, -EINVAL, { 0 } },
		{ "word", "1 2 x 4 0 5 0\n", 4096, -EINVAL, { 0 } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct statm_case *c = &cases[i];
		struct proc_statm got;

		EQ(c->name, proc_pid__parse_statm(c->in, strlen(c->in), c->page, &got), c->err);
		EQU(c->name, got.size_bytes, c->want.size_bytes);
		EQU(c->name, got.resident_bytes, c->want.resident_bytes);
		EQU(c->name, got.shared_bytes, c->want.shared_bytes);
		EQU(c->name, got.text_bytes, c->want.text_bytes);
		EQU(c->name, got.data_bytes, c->want.data_bytes);
	}
}

/* ---- status ---- */

struct status_case {
	const char *name;
	const char *file;	/* a fixture, or NULL to use @in */
	const char *in;
	int err;
	struct proc_status want;
};

static const struct status_case status_cases[] = {
	{ "systemd", "proc/1/status", NULL, 0, { .vm_peak_bytes = 22060 * KB,
		.vm_size_bytes = 22060 * KB, .vm_hwm_bytes = 13560 * KB, .vm_rss_bytes = 13272 * KB,
		.rss_anon_bytes = 4028 * KB, .rss_file_bytes = 9240 * KB, .rss_shmem_bytes = 4 * KB,
		.vm_swap_bytes = 512 * KB, .tgid = 1, .threads = 1, .voluntary_ctxt_switches = 41237,
		.nonvoluntary_ctxt_switches = 1893, .uid_real = 0, .uid_effective = 0, .ppid = 0,
		.ns_pid = 1, .has_mm = true } },
	/* A kernel thread has no Vm* lines: zeros, and has_mm false. */
	{ "kthreadd", "proc/2/status", NULL, 0, { .tgid = 2, .threads = 1, .voluntary_ctxt_switches = 310,
		.nonvoluntary_ctxt_switches = 2, .ns_pid = 2 } },
	{ "setuid rt", "proc/4242/status", NULL, 0, { .vm_peak_bytes = 1300000 * KB,
		.vm_size_bytes = 1205632 * KB, .vm_hwm_bytes = 11000 * KB,
		.vm_rss_bytes = 10000 * KB, .rss_anon_bytes = 5600 * KB,
		.rss_file_bytes = 4000 * KB, .rss_shmem_bytes = 400 * KB, .tgid = 4242, .threads = 4, .voluntary_ctxt_switches = UINT64_MAX,
		.nonvoluntary_ctxt_switches = 7, .hugetlb_bytes = 4096 * KB, .uid_real = 1000,
		.uid_effective = 1001, .uid_saved = 1000, .uid_fs = 1001, .gid_real = 1000,
		.gid_effective = 1000, .gid_saved = 1000, .gid_fs = 1000, .ppid = 1,
		.has_mm = true } },
	{ "zombie", "proc/4243/status", NULL, 0, { .tgid = 4243, .threads = 1, .voluntary_ctxt_switches = 2,
		.nonvoluntary_ctxt_switches = 1, .uid_real = 1000, .uid_effective = 1000,
		.uid_saved = 1000, .uid_fs = 1000, .gid_real = 1000, .gid_effective = 1000,
		.gid_saved = 1000, .gid_fs = 1000, .ppid = 4242 } },
	/* 2.6.9: no Rss*, VmSwap or context switch lines. */
	{ "2.6.9", "proc/77/status", NULL, 0, { .vm_peak_bytes = 10240 * KB,
		.vm_size_bytes = 10240 * KB, .vm_hwm_bytes = 1200 * KB, .vm_rss_bytes = 1200 * KB,
		.tgid = 77, .threads = 1, .uid_real = 48, .uid_effective = 48, .uid_saved = 48, .uid_fs = 48,
		.gid_real = 48, .gid_effective = 48, .gid_saved = 48, .gid_fs = 48, .ppid = 1,
		.has_mm = true } },
	/* The kernel escapes Name:, so a hostile comm cannot forge a line. */
	{ "forged name", NULL, "Name:\tevil\\nVmRSS:\\t1 kB\nPPid:\t1\nUid:\t5\t6\t7\t8\n"
		"Gid:\t9\t10\t11\t4294967295\nVmSize:\t 8 kB\nVmRSS:\t 4 kB\nThreads:\t1\n", 0,
		{ .vm_size_bytes = 8 * KB, .vm_rss_bytes = 4 * KB, .threads = 1, .uid_real = 5,
		.uid_effective = 6, .uid_saved = 7, .uid_fs = 8, .gid_real = 9,
		.gid_effective = 10, .gid_saved = 11, .gid_fs = UINT32_MAX, .ppid = 1,
		.has_mm = true } },
	/* A container's process: the host's pid first, the namespace's last. */
	{ "container", NULL, "PPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t1\n"
		"NSpid:\t48113\t2\n", 0, { .threads = 1, .ppid = 1, .ns_pid = 2 } },
	/* A thread's own id reads like a process's; Tgid names its process. */
	{ "thread", NULL, "Tgid:\t8834\nPid:\t8876\nPPid:\t1\nUid:\t0\t0\t0\t0\n"
		"Gid:\t0\t0\t0\t0\nThreads:\t2\n", 0, { .threads = 2, .ppid = 1, .tgid = 8834 } },
	{ "Tgid not a number", NULL, "Tgid:\tx\nPPid:\t1\nUid:\t0\t0\t0\t0\n"
		"Gid:\t0\t0\t0\t0\nThreads:\t1\n", -EINVAL, { 0 } },
	{ "Tgid negative", NULL, "Tgid:\t-3\nPPid:\t1\nUid:\t0\t0\t0\t0\n"
		"Gid:\t0\t0\t0\t0\nThreads:\t1\n", -EINVAL, { 0 } },
	{ "nested namespaces", NULL, "NSpid:\t900\t45\t7\nPPid:\t1\nUid:\t0\t0\t0\t0\n"
		"Gid:\t0\t0\t0\t0\nThreads:\t1\n", 0, { .threads = 1, .ppid = 1, .ns_pid = 7 } },
	{ "NSpid not a number", NULL, "PPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
		"Threads:\t1\nNSpid:\t12\tx\n", -EINVAL, { 0 } },
	{ "NSpid empty", NULL, "PPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
		"Threads:\t1\nNSpid:\t\n", -EINVAL, { 0 } },
	{ "NSpid 0", NULL, "PPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
		"Threads:\t1\nNSpid:\t5\t0\n", -EINVAL, { 0 } },
	{ "empty", NULL, "", -ESRCH, { 0 } },
	{ "cut mid-line", NULL, "PPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t1\nVmRSS:\t  12",
		-EINVAL,
		{ 0 } },
	{ "no Uid", NULL, "PPid:\t1\nGid:\t0\t0\t0\t0\nThreads:\t1\n", -EINVAL, { 0 } },
	{ "no Gid", NULL, "PPid:\t1\nUid:\t0\t0\t0\t0\nThreads:\t1\n", -EINVAL, { 0 } },
	{ "gid past 32 bits", NULL, "PPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t4294967296\n"
		"Threads:\t1\n", -EINVAL, { 0 } },
	{ "no Threads", NULL, "PPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n", -EINVAL, { 0 } },
	{ "short Uid", NULL, "PPid:\t1\nUid:\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t1\n", -EINVAL, { 0 } },
	{ "wrong unit", NULL, "PPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t1\nVmRSS:\t 12 MB\n",
		-EINVAL, { 0 } },
	{ "unit on a count", NULL, "PPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t1 kB\n", -EINVAL,
		{ 0 } },
};

static void test_status_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_cases); i++) {
		const struct status_case *c = &status_cases[i];
		const struct proc_status *w = &c->want;
		struct proc_status got;
		const char *buf = c->in;
		size_t len = c->in ? strlen(c->in) : 0;

		if (c->file)
			buf = fixture(c->file, &len);
		memset(&got, 0xa5, sizeof(got));
		EQ(c->name, proc_pid__parse_status(buf, len, &got), c->err);
		EQU(c->name, got.vm_peak_bytes, w->vm_peak_bytes);
		EQU(c->name, got.vm_size_bytes, w->vm_size_bytes);
		EQU(c->name, got.vm_hwm_bytes, w->vm_hwm_bytes);
		EQU(c->name, got.vm_rss_bytes, w->vm_rss_bytes);
		EQU(c->name, got.rss_anon_bytes, w->rss_anon_bytes);
		EQU(c->name, got.rss_file_bytes, w->rss_file_bytes);
		EQU(c->name, got.rss_shmem_bytes, w->rss_shmem_bytes);
		EQU(c->name, got.vm_swap_bytes, w->vm_swap_bytes);
		EQU(c->name, got.threads, w->threads);
		EQU(c->name, got.voluntary_ctxt_switches, w->voluntary_ctxt_switches);
		EQU(c->name, got.nonvoluntary_ctxt_switches, w->nonvoluntary_ctxt_switches);
		EQU(c->name, got.uid_real, w->uid_real);
		EQU(c->name, got.uid_effective, w->uid_effective);
		EQU(c->name, got.uid_saved, w->uid_saved);
		EQU(c->name, got.uid_fs, w->uid_fs);
		EQU(c->name, got.gid_real, w->gid_real);
		EQU(c->name, got.gid_effective, w->gid_effective);
		EQU(c->name, got.gid_saved, w->gid_saved);
		EQU(c->name, got.gid_fs, w->gid_fs);
		EQU(c->name, got.hugetlb_bytes, w->hugetlb_bytes);
		EQ(c->name, got.ppid, w->ppid);
		EQ(c->name, got.tgid, w->tgid);
		EQ(c->name, got.ns_pid, w->ns_pid);
		EQ(c->name, got.has_mm, w->has_mm);
	}
}

/* ---- smaps_rollup ---- */

struct smaps_case {
	const char *name;
	const char *file;
	const char *in;
	int err;
	struct proc_smaps_rollup want;
};

static const struct smaps_case smaps_cases[] = {
	/* 5.7+: Pss split into Anon/File/Shmem; Private_Hugetlb counts toward USS. */
	{ "with Pss_Anon", "proc/1/smaps_rollup", NULL, 0, { .rss_bytes = 13272 * KB,
		.pss_bytes = 6016 * KB, .pss_anon_bytes = 3880 * KB, .pss_file_bytes = 2132 * KB,
		.pss_shmem_bytes = 4 * KB, .shared_clean_bytes = 8812 * KB,
		.shared_dirty_bytes = 420 * KB, .private_clean_bytes = 440 * KB,
		.private_dirty_bytes = 3600 * KB, .private_hugetlb_bytes = 2048 * KB,
		.swap_bytes = 512 * KB, .swap_pss_bytes = 300 * KB,
		.uss_bytes = (440 + 3600 + 2048) * KB, .has_pss_split = true } },
	/* 4.14-5.6 layout: no Pss_* lines, which read 0. */
	{ "without Pss_Anon", "proc/4242/smaps_rollup", NULL, 0, { .rss_bytes = 10000 * KB,
		.pss_bytes = 7500 * KB, .shared_clean_bytes = 3000 * KB,
		.shared_dirty_bytes = 1000 * KB, .private_clean_bytes = 2000 * KB,
		.private_dirty_bytes = 4000 * KB, .swap_bytes = 8 * KB, .swap_pss_bytes = 4 * KB,
		.uss_bytes = 6000 * KB } },
	/* No mm: a kernel thread or a zombie. */
	{ "empty", "proc/2/smaps_rollup", NULL, -ESRCH, { 0 } },
	{ "cut mid-line", NULL, "0-0 ---p 00000000 00:00 0 [rollup]\nRss: 4 kB\nPss: 2", -EINVAL,
		{ 0 } },
	{ "only Rss", NULL, "0-0 ---p 00000000 00:00 0 [rollup]\nRss: 4 kB\n", -EINVAL, { 0 } },
	{ "partial Pss split", NULL, "Rss: 4 kB\nPss: 2 kB\nPss_Anon: 1 kB\nShared_Clean: 0 kB\n"
		"Shared_Dirty: 0 kB\nPrivate_Clean: 1 kB\nPrivate_Dirty: 1 kB\nSwap: 0 kB\n", 0,
		{ .rss_bytes = 4 * KB, .pss_bytes = 2 * KB, .pss_anon_bytes = 1 * KB,
		  .private_clean_bytes = 1 * KB, .private_dirty_bytes = 1 * KB,
		  .uss_bytes = 2 * KB } },
};

static void test_smaps_rollup_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(smaps_cases); i++) {
		const struct smaps_case *c = &smaps_cases[i];
		const struct proc_smaps_rollup *w = &c->want;
		struct proc_smaps_rollup got;
		const char *buf = c->in;
		size_t len = c->in ? strlen(c->in) : 0;

		if (c->file)
			buf = fixture(c->file, &len);
		EQ(c->name, proc_pid__parse_smaps_rollup(buf, len, &got), c->err);
		EQU(c->name, got.rss_bytes, w->rss_bytes);
		EQU(c->name, got.pss_bytes, w->pss_bytes);
		EQU(c->name, got.pss_anon_bytes, w->pss_anon_bytes);
		EQU(c->name, got.pss_file_bytes, w->pss_file_bytes);
		EQU(c->name, got.pss_shmem_bytes, w->pss_shmem_bytes);
		EQU(c->name, got.shared_clean_bytes, w->shared_clean_bytes);
		EQU(c->name, got.shared_dirty_bytes, w->shared_dirty_bytes);
		EQU(c->name, got.private_clean_bytes, w->private_clean_bytes);
		EQU(c->name, got.private_dirty_bytes, w->private_dirty_bytes);
		EQU(c->name, got.private_hugetlb_bytes, w->private_hugetlb_bytes);
		EQU(c->name, got.swap_bytes, w->swap_bytes);
		EQU(c->name, got.swap_pss_bytes, w->swap_pss_bytes);
		EQU(c->name, got.uss_bytes, w->uss_bytes);
		EQ(c->name, got.has_pss_split, w->has_pss_split);
	}
}

/* ---- io ---- */

struct io_case {
	const char *name;
	const char *file;
	const char *in;
	int err;
	struct proc_io want;
};

static void test_io_table(void **state)
{
	static const struct io_case cases[] = {
		{ "systemd", "proc/1/io", NULL, 0, { 1898765432, 345678901, 234567, 45678,
			987654144, 123453440, 4096 } },
		{ "nginx", "proc/4242/io", NULL, 0, { 5, 6, 1, 2, 0, 8192, 0 } },
		{ "empty", NULL, "", -ESRCH, { 0 } },
		{ "missing line", NULL, "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\n"
			"write_bytes: 6\n", -EINVAL, { 0 } },
		{ "negative", NULL, "rchar: -1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\n"
			"write_bytes: 6\ncancelled_write_bytes: 7\n", -EINVAL, { 0 } },
		{ "max", NULL, "rchar: 18446744073709551615\nwchar: 2\nsyscr: 3\nsyscw: 4\n"
			"read_bytes: 5\nwrite_bytes: 6\ncancelled_write_bytes: 7\n", 0,
			{ UINT64_MAX, 2, 3, 4, 5, 6, 7 } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct io_case *c = &cases[i];
		struct proc_io got;
		const char *buf = c->in;
		size_t len = c->in ? strlen(c->in) : 0;

		if (c->file)
			buf = fixture(c->file, &len);
		EQ(c->name, proc_pid__parse_io(buf, len, &got), c->err);
		EQU(c->name, got.rchar, c->want.rchar);
		EQU(c->name, got.wchar, c->want.wchar);
		EQU(c->name, got.syscr, c->want.syscr);
		EQU(c->name, got.syscw, c->want.syscw);
		EQU(c->name, got.read_bytes, c->want.read_bytes);
		EQU(c->name, got.write_bytes, c->want.write_bytes);
		EQU(c->name, got.cancelled_write_bytes, c->want.cancelled_write_bytes);
	}
}

/* ---- cmdline ---- */

struct cmdline_case {
	const char *name;
	const char *file;
	const char *in;
	size_t len;
	bool rewritten;
	size_t argc;
	const char *argv[5];
};

#define IN(s) NULL, s, sizeof(s) - 1

static const struct cmdline_case cmdline_cases[] = {
	{ "systemd", "proc/1/cmdline", NULL, 0, false, 3,
	  { "/usr/lib/systemd/systemd", "--system", "--deserialize=31" } },
	/* setproctitle: no final NUL, split on spaces, runs of them collapse. */
	{ "rewritten", "proc/4242/cmdline", NULL, 0, true, 3, { "nginx:", "worker", "process" } },
	/* Newline and invalid UTF-8 pass untouched; the trailing empty arg is kept. */
	{ "ugly bytes", "proc/77/cmdline", NULL, 0, false, 4,
	  { "/usr/sbin/printf", "line1\nline2", "\xff\xfe\xc3", "" } },
	{ "kernel thread", "proc/2/cmdline", NULL, 0, false, 0, { NULL } },
	{ "one empty arg", IN("\0"), false, 1, { "" } },
	{ "space inside one arg", IN("/opt/My App/run\0"), false, 1, { "/opt/My App/run" } },
	{ "one word, no NUL", IN("a"), true, 1, { "a" } },
	{ "only padding", IN("   "), true, 0, { NULL } },
	{ "NUL inside a title", IN("title\0\0 junk"), true, 2, { "title", "junk" } },
	{ "leading spaces", IN("  x y"), true, 2, { "x", "y" } },
};

static void test_cmdline_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmdline_cases); i++) {
		const struct cmdline_case *c = &cmdline_cases[i];
		struct proc_cmdline got;
		const char *buf = c->in;
		size_t len = c->len;

		if (c->file)
			buf = fixture(c->file, &len);
		EQ(c->name, proc_pid__parse_cmdline(buf, len, &got), 0);
		EQ(c->name, got.rewritten, c->rewritten);
		EQU(c->name, got.argc, c->argc);
		for (size_t a = 0; a < c->argc; a++) {
			if (strcmp(got.argv[a], c->argv[a]) != 0)
				fail_msg("%s: argv[%zu] '%s', want '%s'", c->name, a, got.argv[a],
					 c->argv[a]);
			EQU(c->name, got.arg_len[a], strlen(c->argv[a]));
		}
		if (c->argc)
			assert_null(got.argv[c->argc]);
		proc_cmdline__free(&got);
		proc_cmdline__free(&got); /* idempotent */
	}
	proc_cmdline__free(NULL);
}

/* ---- cgroup ---- */

static void test_cgroup(void **state)
{
	struct proc_cgroup cg;
	size_t len;
	const char *buf = fixture("proc/1/cgroup", &len);

	assert_int_equal(proc_pid__parse_cgroup(buf, len, &cg), 0);
	assert_int_equal(cg.n, 1);
	assert_int_equal(cg.entries[0].hierarchy_id, 0);
	assert_string_equal(cg.entries[0].controllers, "");
	assert_string_equal(cg.unified_path, "/init.scope");
	proc_cgroup__free(&cg);

	/* Hybrid v1 + v2; a path keeps its own colons. */
	buf = fixture("proc/4242/cgroup", &len);
	assert_int_equal(proc_pid__parse_cgroup(buf, len, &cg), 0);
	assert_int_equal(cg.n, 4);
	assert_int_equal(cg.entries[0].hierarchy_id, 12);
	assert_string_equal(cg.entries[0].controllers, "pids");
	assert_string_equal(cg.entries[0].path, "/user.slice/user-1000.slice");
	assert_int_equal(cg.entries[2].hierarchy_id, 1);
	assert_string_equal(cg.entries[2].controllers, "name=systemd");
	assert_string_equal(cg.entries[2].path, "/user.slice/user-1000.slice/session-2.scope");
	assert_string_equal(cg.unified_path, "/user.slice/app:with:colons");
	proc_cgroup__free(&cg);

	/* v1 only: no unified path. */
	assert_int_equal(proc_pid__parse_cgroup("3:cpu,cpuacct:/\n", 16, &cg), 0);
	assert_int_equal(cg.n, 1);
	assert_string_equal(cg.entries[0].controllers, "cpu,cpuacct");
	assert_null(cg.unified_path);
	proc_cgroup__free(&cg);

	assert_int_equal(proc_pid__parse_cgroup("0::/x", 5, &cg), -EINVAL);
	assert_int_equal(cg.n, 0);
	assert_int_equal(proc_pid__parse_cgroup("0:/x\n", 5, &cg), -EINVAL);
	assert_int_equal(proc_pid__parse_cgroup("x::/x\n", 6, &cg), -EINVAL);
	assert_int_equal(proc_pid__parse_cgroup("0::/\n\n", 6, &cg), -EINVAL);
	assert_int_equal(proc_pid__parse_cgroup("", 0, &cg), 0);
	assert_int_equal(cg.n, 0);
	proc_cgroup__free(&cg);
	proc_cgroup__free(NULL);
}

/* ---- links ---- */

static void test_link_suffix(void **state)
{
	static const struct {
		const char *in, *path;
		bool deleted;
	} cases[] = {
		{ "/usr/bin/x", "/usr/bin/x", false },
		{ "/tmp/build (deleted)", "/tmp/build", true },
		{ "/a (deleted) (deleted)", "/a (deleted)", true },
		{ "/a (deleted) ", "/a (deleted) ", false },
		{ "/a(deleted)", "/a(deleted)", false },
		{ "", "", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct proc_link l;

		proc_link__set(&l, cases[i].in, strlen(cases[i].in));
		assert_string_equal(l.path, cases[i].path);
		assert_int_equal(l.len, strlen(cases[i].path));
		assert_int_equal(l.deleted, cases[i].deleted);
	}
}

/* The exe rule the BPF walk follows: suffix put back, the tail kept, no leading '/' once cut. */
static void test_link_exe(void **state)
{
	static const struct {
		const char *in; /* as readlink gives it */
		size_t size;
		const char *exe;
	} cases[] = {
		{ "/usr/bin/x", 256, "/usr/bin/x" },
		{ "/tmp/build (deleted)", 256, "/tmp/build (deleted)" },
		{ "/memfd:jt (deleted)", 256, "/memfd:jt (deleted)" },
		{ "/usr/bin/x", 11, "/usr/bin/x" },	/* fits, its NUL too */
		{ "/usr/bin/x", 10, "usr/bin/x" },	/* 9 bytes, the leading '/' dropped */
		{ "/usr/bin/x", 9, "sr/bin/x" },	/* cut inside a name: no '/' to drop */
		{ "/usr/bin/x", 7, "bin/x" },		/* the cut lands on a '/': 5 bytes */
		{ "/a/b (deleted)", 12, "b (deleted)" },
		{ "/a/b (deleted)", 8, "eleted)" }, /* only the suffix's tail is left */
		{ "", 256, "" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char out[256];
		struct proc_link l;
		size_t n;

		proc_link__set(&l, cases[i].in, strlen(cases[i].in));
		memset(out, 'X', sizeof(out));
		n = proc_link__exe(&l, out, cases[i].size);
		assert_string_equal(out, cases[i].exe);
		assert_int_equal(n, strlen(cases[i].exe));
		assert_true(n < cases[i].size);
	}
}

/* ---- readers over the fixture tree ---- */

static void test_readers_fixture(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	struct proc_smaps_rollup sm;
	struct proc_stat_fields st;
	struct proc_cmdline cmd;
	struct proc_status ps;
	struct proc_statm pm;
	struct proc_cgroup cg;
	struct proc_link l;
	struct proc_io io;
	int fd = open_fixture_proc();

	assert_int_equal(proc_pid__read_stat(fd, 4242, &st), 0);
	assert_string_equal(st.comm, "(a) (b))");
	assert_int_equal(st.num_threads, 4);
	/* Dir left, stat gone: the process exited between readdir and read. */
	assert_int_equal(proc_pid__read_stat(fd, 999, &st), -ESRCH);
	assert_int_equal(st.pid, 0);
	assert_int_equal(proc_pid__read_stat(fd, 123456, &st), -ESRCH);
	assert_int_equal(proc_pid__read_stat(fd, 5000, &st), -EINVAL);

	assert_int_equal(proc_pid__read_statm(fd, 1, &pm), 0);
	assert_int_equal(pm.resident_bytes, 3318ull * (unsigned long long)page);
	assert_int_equal(proc_pid__read_statm(fd, 999, &pm), -ESRCH);

	assert_int_equal(proc_pid__read_status(fd, 4242, &ps), 0);
	assert_int_equal(ps.uid_effective, 1001);
	assert_int_equal(proc_pid__read_status(fd, 999, &ps), -ESRCH);

	assert_int_equal(proc_pid__read_smaps_rollup(fd, 1, &sm), 0);
	assert_int_equal(sm.uss_bytes, 6088 * KB);
	assert_int_equal(proc_pid__read_smaps_rollup(fd, 2, &sm), -ESRCH);
	/* A live pid without the file: an old kernel, not an exit. */
	assert_int_equal(proc_pid__read_smaps_rollup(fd, 77, &sm), -EOPNOTSUPP);
	assert_int_equal(proc_pid__read_smaps_rollup(fd, 123456, &sm), -ESRCH);

	assert_int_equal(proc_pid__read_io(fd, 1, &io), 0);
	assert_int_equal(io.cancelled_write_bytes, 4096);
	assert_int_equal(proc_pid__read_io(fd, 77, &io), -EOPNOTSUPP);
	assert_int_equal(proc_pid__read_io(fd, 123456, &io), -ESRCH);

	assert_int_equal(proc_pid__count_fds(fd, 1), 7);
	assert_int_equal(proc_pid__count_fds(fd, 4242), 4);
	assert_int_equal(proc_pid__count_fds(fd, 123456), -ESRCH);

	assert_int_equal(proc_pid__read_cwd(fd, 1, &l), 0);
	assert_string_equal(l.path, "/");
	assert_false(l.deleted);
	assert_int_equal(proc_pid__read_exe(fd, 1, &l), 0);
	assert_string_equal(l.path, "/usr/lib/systemd/systemd");
	assert_int_equal(proc_pid__read_cwd(fd, 4242, &l), 0);
	assert_string_equal(l.path, "/home/u/build");
	assert_true(l.deleted);
	assert_int_equal(proc_pid__read_exe(fd, 77, &l), 0);
	assert_string_equal(l.path, "/usr/sbin/httpd");
	assert_true(l.deleted);
	/* No exe for a kernel thread, nothing at all for a zombie: empty, not an error. */
	assert_int_equal(proc_pid__read_exe(fd, 2, &l), 0);
	assert_int_equal(l.len, 0);
	assert_string_equal(l.path, "");
	assert_int_equal(proc_pid__read_cwd(fd, 4243, &l), 0);
	assert_int_equal(l.len, 0);
	assert_int_equal(proc_pid__read_exe(fd, 4243, &l), 0);
	assert_int_equal(l.len, 0);
	assert_int_equal(proc_pid__read_exe(fd, 123456, &l), -ESRCH);

	assert_int_equal(proc_pid__read_cmdline(fd, 4242, &cmd), 0);
	assert_true(cmd.rewritten);
	assert_int_equal(cmd.argc, 3);
	proc_cmdline__free(&cmd);
	assert_int_equal(proc_pid__read_cmdline(fd, 123456, &cmd), -ESRCH);
	assert_int_equal(cmd.argc, 0);

	assert_int_equal(proc_pid__read_cgroup(fd, 4242, &cg), 0);
	assert_int_equal(cg.n, 4);
	proc_cgroup__free(&cg);
	assert_int_equal(proc_pid__read_cgroup(fd, 123456, &cg), -ESRCH);
	close(fd);
}

/* ---- live: this machine's /proc ---- */

static int open_proc(void)
{
	int fd = util__open_dir("/proc");

	assert_true(fd >= 0);
	return fd;
}

/* A start time as the kernel keeps it, and raw arguments cut where asked, as exec records are. */
static void test_start_and_args_fixture(void **state)
{
	char buf[128];
	uint64_t ns;
	ssize_t n;
	int fd = open_fixture_proc();

	/* pid 1's (22) starttime is 23 ticks. */
	assert_int_equal(proc_pid__start_ns(fd, 1, &ns), 0);
	assert_true(ns == 23 * proc_pid__tick_ns());
	assert_true(proc_pid__tick_ns() == 1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK));
	assert_int_equal(proc_pid__start_ns(fd, 123456, &ns), -ESRCH);
	n = proc_pid__read_args(fd, 1, buf, 8);
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "/usr/lib", 8);
	n = proc_pid__read_args(fd, 1, buf, sizeof(buf));
	assert_int_equal(n, 51);
	assert_string_equal(buf, "/usr/lib/systemd/systemd");
	assert_int_equal(buf[n - 1], '\0');
	assert_int_equal(proc_pid__read_args(fd, 123456, buf, sizeof(buf)), -ESRCH);
	close(fd);
}

static void test_live_self(void **state)
{
	char want_comm[16] = { 0 }, cwd[PATH_MAX];
	struct proc_smaps_rollup sm;
	struct proc_stat_fields st;
	struct proc_status ps;
	struct proc_cmdline cmd;
	struct proc_statm pm;
	struct proc_link l;
	struct proc_io io;
	int fd = open_proc();

	/*
	 * comm is the binary's name cut at 15 bytes; under valgrind the
	 * process is the tool, so the kernel's own answer is the reference.
	 */
	if (RUNNING_ON_VALGRIND)
		assert_int_equal(prctl(PR_GET_NAME, want_comm), 0);
	else
		strncpy(want_comm, program_invocation_short_name, 15);

	assert_int_equal(proc_pid__read_stat(fd, getpid(), &st), 0);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.ppid, getppid());
	assert_string_equal(st.comm, want_comm);
	assert_int_equal(st.comm_len, strlen(want_comm));
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.num_threads, 1);
	assert_int_equal(st.pgrp, getpgrp());
	assert_int_equal(st.session, getsid(0));
	assert_true(st.nfields >= 52);
	assert_false(proc_stat__is_kthread(&st));

	assert_int_equal(proc_pid__read_status(fd, getpid(), &ps), 0);
	assert_int_equal(ps.threads, 1);
	assert_int_equal(ps.ppid, getppid());
	assert_int_equal(ps.uid_real, getuid());
	assert_int_equal(ps.uid_effective, geteuid());
	assert_true(ps.has_mm);
	assert_true(ps.vm_rss_bytes > 0);

	assert_int_equal(proc_pid__read_statm(fd, getpid(), &pm), 0);
	assert_true(pm.resident_bytes > 0 && pm.resident_bytes <= pm.size_bytes);

	assert_int_equal(proc_pid__read_smaps_rollup(fd, getpid(), &sm), 0);
	assert_true(sm.uss_bytes > 0 && sm.uss_bytes <= sm.rss_bytes);
	assert_true(sm.pss_bytes <= sm.rss_bytes);

	assert_int_equal(proc_pid__read_io(fd, getpid(), &io), 0);
	assert_true(io.rchar > 0); /* we have read fixture files */

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(proc_pid__read_cwd(fd, getpid(), &l), 0);
	assert_string_equal(l.path, cwd);
	assert_false(l.deleted);
	assert_int_equal(proc_pid__read_exe(fd, getpid(), &l), 0);
	assert_true(l.len > 0 && l.path[0] == '/');

	assert_int_equal(proc_pid__read_cmdline(fd, getpid(), &cmd), 0);
	assert_false(cmd.rewritten);
	if (!RUNNING_ON_VALGRIND) {
		assert_int_equal(cmd.argc, g_argc);
		for (int i = 0; i < g_argc; i++)
			assert_string_equal(cmd.argv[i], g_argv[i]);
	}
	proc_cmdline__free(&cmd);
	close(fd);
}

/* A comm we set ourselves, with every byte the parser must survive. */
static void test_live_hostile_comm(void **state)
{
	static const char evil[] = "x) (y\n\xff)";
	char saved[16] = { 0 };
	struct proc_stat_fields st;
	int fd = open_proc();

	int err;

	assert_int_equal(prctl(PR_GET_NAME, saved), 0);
	assert_int_equal(prctl(PR_SET_NAME, evil), 0);
	err = proc_pid__read_stat(fd, getpid(), &st);
	/* Restore before any assert: a failure must not rename the later tests. */
	assert_int_equal(prctl(PR_SET_NAME, saved), 0);
	assert_int_equal(err, 0);
	assert_int_equal(st.comm_len, sizeof(evil) - 1);
	assert_memory_equal(st.comm, evil, sizeof(evil));
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.state, 'R');
	close(fd);
}

static void test_live_fd_count(void **state)
{
	int fd = open_proc(), extra[3], before, after;

	before = proc_pid__count_fds(fd, getpid());
	assert_true(before >= 4); /* stdio, the proc fd, the one used to count */
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
		extra[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(extra[i] >= 0);
	}
	after = proc_pid__count_fds(fd, getpid());
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
		close(extra[i]);
	assert_int_equal(after, before + 3);
	assert_int_equal(proc_pid__count_fds(fd, getpid()), before);
	close(fd);
}

/* Reads every source of @pid and checks each one says the process is gone. */
static void assert_all_gone(int fd, int pid)
{
	struct proc_smaps_rollup sm;
	struct proc_stat_fields st;
	struct proc_status ps;
	struct proc_cmdline cmd;
	struct proc_statm pm;
	struct proc_cgroup cg;
	struct proc_link l;
	struct proc_io io;

	assert_int_equal(proc_pid__read_stat(fd, pid, &st), -ESRCH);
	assert_int_equal(proc_pid__read_statm(fd, pid, &pm), -ESRCH);
	assert_int_equal(proc_pid__read_status(fd, pid, &ps), -ESRCH);
	assert_int_equal(proc_pid__read_smaps_rollup(fd, pid, &sm), -ESRCH);
	assert_int_equal(proc_pid__read_io(fd, pid, &io), -ESRCH);
	assert_int_equal(proc_pid__count_fds(fd, pid), -ESRCH);
	assert_int_equal(proc_pid__read_cwd(fd, pid, &l), -ESRCH);
	assert_int_equal(proc_pid__read_exe(fd, pid, &l), -ESRCH);
	assert_int_equal(proc_pid__read_cmdline(fd, pid, &cmd), -ESRCH);
	assert_int_equal(proc_pid__read_cgroup(fd, pid, &cg), -ESRCH);
}

static void test_live_reaped_child(void **state)
{
	struct proc_stat_fields st;
	int fd = open_proc(), status, err;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	err = proc_pid__read_stat(fd, pid, &st);
	/* Kill and reap before any assert, so a failure leaves no child behind. */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(err, 0);
	assert_int_equal(st.pid, pid);
	assert_int_equal(st.ppid, getpid());
	assert_true(WIFSIGNALED(status));
	assert_all_gone(fd, pid);
	close(fd);
}

static void test_live_zombie(void **state)
{
	struct proc_smaps_rollup sm;
	struct proc_stat_fields st;
	struct proc_status ps;
	struct proc_cmdline cmd;
	struct proc_link l;
	siginfo_t si;
	int fd = open_proc();
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(7);
	/* Wait for the exit but leave the zombie in place. */
	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(proc_pid__read_stat(fd, pid, &st), 0);
	assert_int_equal(st.state, 'Z');
	assert_int_equal(st.ppid, getpid());
	assert_int_equal(proc_pid__read_status(fd, pid, &ps), 0);
	assert_false(ps.has_mm);
	assert_int_equal(ps.vm_rss_bytes, 0);
	assert_int_equal(proc_pid__read_exe(fd, pid, &l), 0);
	assert_int_equal(l.len, 0);
	assert_int_equal(proc_pid__read_cmdline(fd, pid, &cmd), 0);
	assert_int_equal(cmd.argc, 0);
	proc_cmdline__free(&cmd);
	/* The kernel answers ESRCH for a zombie's smaps_rollup: stat says Z. */
	assert_int_equal(proc_pid__read_smaps_rollup(fd, pid, &sm), -ESRCH);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_all_gone(fd, pid);
	close(fd);
}

static void test_live_kthread(void **state)
{
	struct proc_smaps_rollup sm;
	struct proc_stat_fields st;
	struct proc_status ps;
	struct proc_cmdline cmd;
	struct proc_link l;
	bool may_trace, may_open;
	char cwd[8];
	int fd = open_proc();

	/* In a pid namespace pid 2 is not kthreadd: nothing to check there. */
	if (proc_pid__read_stat(fd, 2, &st) != 0 || strcmp(st.comm, "kthreadd") != 0) {
		close(fd);
		skip();
	}
	assert_true(proc_stat__is_kthread(&st));
	assert_int_equal(st.ppid, 0);
	assert_int_equal(proc_pid__read_status(fd, 2, &ps), 0);
	assert_false(ps.has_mm);
	/*
	 * Its exe is behind the kernel's ptrace-read check of who asks, as its
	 * cwd ("/") is; its environ behind the file's mode, 0400 and root's.
	 * Where they let us in (root) it has none: 0, empty. Where not (any
	 * other user) the answer is -EACCES, never taken for a process gone.
	 */
	may_trace = readlinkat(fd, "2/cwd", cwd, sizeof(cwd)) > 0;
	assert_true(may_trace || errno == EACCES);
	may_open = faccessat(fd, "2/environ", R_OK, AT_EACCESS) == 0;
	assert_true(may_open || errno == EACCES);
	if (may_trace) {
		assert_int_equal(proc_pid__read_exe(fd, 2, &l), 0);
		assert_int_equal(l.len, 0);
	} else {
		assert_int_equal(proc_pid__read_exe(fd, 2, &l), -EACCES);
	}
	assert_int_equal(proc_pid__read_cmdline(fd, 2, &cmd), 0);
	assert_int_equal(cmd.argc, 0);
	proc_cmdline__free(&cmd);
	assert_int_equal(proc_pid__read_smaps_rollup(fd, 2, &sm), -ESRCH);
	if (may_open) {
		/* The kernel says ESRCH for a kernel thread's environ: still alive, just empty. */
		assert_int_equal(proc_pid__read_environ(fd, 2, &cmd), 0);
		assert_int_equal(cmd.argc, 0);
	} else {
		assert_int_equal(proc_pid__read_environ(fd, 2, &cmd), -EACCES);
	}
	close(fd);
}

static void test_tty_table(void **state)
{
	static const struct {
		int32_t tty_nr;
		const char *want;
	} cases[] = {
		{ 0, "" },
		{ 34816, "pts/0" },		/* 136:0 */
		{ 34817, "pts/1" },
		{ (136 << 8) | 0xff | (1 << 20), "pts/511" },	/* minor 511: high bits */
		{ 137 << 8 | 4, "pts/260" },	/* the second pty major */
		{ 1025, "tty1" },		/* 4:1 */
		{ 4 << 8 | 64, "ttyS0" },
		{ 4 << 8 | 65, "ttyS1" },
		{ 5 << 8 | 1, "console" },
		{ 5 << 8, "tty" },
		{ 204 << 8 | 64, "204:64" },	/* ttyAMA0: not known here */
		{ -1, "4095:1048575" },
	};
	char buf[32];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = proc_pid__tty_name(cases[i].tty_nr, buf, sizeof(buf));

		if (strcmp(got, cases[i].want))
			fail_msg("tty_nr %d: '%s', want '%s'", cases[i].tty_nr, got, cases[i].want);
	}
}

static void test_kv_find(void **state)
{
	static const char buf[] = "Name:\tx\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n";
	const char *v;
	size_t n;

	assert_int_equal(proc_kv__find(buf, strlen(buf), "Cpus_allowed_list", &v, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(v, "0-1", 3);
	/* A key is matched whole: "Cpus_allowed" is not "Cpus_allowed_list". */
	assert_int_equal(proc_kv__find(buf, strlen(buf), "Cpus_allowed", &v, &n), 0);
	assert_memory_equal(v, "3", n);
	assert_int_equal(proc_kv__find(buf, strlen(buf), "Cpus", &v, &n), -ENOENT);
	assert_int_equal(proc_kv__find(buf, strlen(buf) - 1, "Cpus_allowed_list", &v, &n),
			 -EINVAL);
}

static void test_environ_fixture(void **state)
{
	struct proc_cmdline env;
	int fd = open_fixture_proc();

	assert_int_equal(proc_pid__read_environ(fd, 4242, &env), 0);
	assert_int_equal(env.argc, 4);
	assert_string_equal(env.argv[0], "PATH=/usr/bin:/bin");
	assert_string_equal(env.argv[1], "MOTD=line one\nline two");
	assert_string_equal(env.argv[2], "BYTES=\xff\xfe\"q\"");
	assert_string_equal(env.argv[3], "EMPTY=");
	assert_false(env.rewritten);
	proc_cmdline__free(&env);
	/* Overwritten past its last NUL: split on NULs only, spaces stay in values. */
	assert_int_equal(proc_pid__parse_environ("PS1=a b c\0GREETING=hello world", 30, &env), 0);
	assert_int_equal(env.argc, 2);
	assert_string_equal(env.argv[0], "PS1=a b c");
	assert_string_equal(env.argv[1], "GREETING=hello world");
	assert_true(env.rewritten);
	proc_cmdline__free(&env);
	assert_int_equal(proc_pid__parse_environ("", 0, &env), 0);
	assert_int_equal(env.argc, 0);
	/* No such pid in the fixture: gone. */
	assert_int_equal(proc_pid__read_environ(fd, 31338, &env), -ESRCH);
	close(fd);
}

static void test_task_stat_fixture(void **state)
{
	struct proc_stat_fields st;
	int fd = open_fixture_proc();

	assert_int_equal(proc_pid__read_task_stat(fd, 4242, 4250, &st), 0);
	assert_int_equal(st.pid, 4250);
	assert_string_equal(st.comm, "nginx-aio");
	assert_int_equal(st.utime_ticks, 300);
	assert_int_equal(st.stime_ticks, 200);
	assert_int_equal(proc_pid__read_task_stat(fd, 4242, 4251, &st), -ESRCH);
	close(fd);
}

/*
 * io and fd need ptrace-read access: a process that dropped to nobody gets
 * EACCES on pid 1's, which must stay apart from ESRCH.
 */
static void test_live_eacces(void **state)
{
	int fd, status;
	pid_t pid;

	if (geteuid() != 0)
		skip();
	fd = open_proc();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct proc_io io;
		int code = 0;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		if (proc_pid__read_io(fd, 1, &io) != -EACCES)
			code |= 1;
		if (proc_pid__count_fds(fd, 1) != -EACCES)
			code |= 2;
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(fd);
}

static void test_children_table(void **state)
{
	static const struct {
		const char *name, *in;
		int err;
		size_t n;
		int want[4];
	} cases[] = {
		{ "none", "", 0, 0, { 0 } },
		{ "as the kernel writes it", "4243 4300 ", 0, 2, { 4243, 4300 } },
		{ "newline and runs of blanks", "  7\n8  9\n", 0, 3, { 7, 8, 9 } },
		{ "the largest pid", "2147483647 ", 0, 1, { INT32_MAX } },
		/* What came before the bad token stays. */
		{ "not a number", "5 x 6", -EINVAL, 1, { 5 } },
		{ "zero", "0 ", -EINVAL, 0, { 0 } },
		{ "negative", "3 -4", -EINVAL, 1, { 3 } },
		{ "past an int", "2147483648", -EINVAL, 0, { 0 } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int *pids = NULL, err;
		size_t n = 0, cap = 0;

		err = proc_pid__parse_children(cases[i].in, &pids, &n, &cap);
		if (err != cases[i].err || n != cases[i].n)
			fail_msg("%s: err %d n %zu, want %d %zu", cases[i].name, err, n,
				 cases[i].err, cases[i].n);
		for (size_t k = 0; k < n; k++)
			if (pids[k] != cases[i].want[k])
				fail_msg("%s: pid %d, want %d", cases[i].name, pids[k],
					 cases[i].want[k]);
		free(pids);
	}
}

/* Two tasks' files append to one list, as inspect reads a process's children. */
static void test_children_fixture(void **state)
{
	static const char *const files[] = { "4242/task/4242/children", "4242/task/4250/children" };
	int fd = util__open_dir(FIXTURE_PROC);
	int *pids = NULL;
	size_t n = 0, cap = 0;

	assert_true(fd >= 0);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *buf;

		assert_true(util__read_file_alloc(fd, files[i], 1 << 20, &buf) >= 0);
		assert_int_equal(proc_pid__parse_children(buf, &pids, &n, &cap), 0);
		free(buf);
	}
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], 4243);
	free(pids);
	close(fd);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_table),
		cmocka_unit_test(test_stat_kthread_flag),
		cmocka_unit_test(test_prefixes_refused),
		cmocka_unit_test(test_statm_table),
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_smaps_rollup_table),
		cmocka_unit_test(test_io_table),
		cmocka_unit_test(test_cmdline_table),
		cmocka_unit_test(test_cgroup),
		cmocka_unit_test(test_link_suffix),
		cmocka_unit_test(test_link_exe),
		cmocka_unit_test(test_readers_fixture),
		cmocka_unit_test(test_start_and_args_fixture),
		cmocka_unit_test(test_live_self),
		cmocka_unit_test(test_live_hostile_comm),
		cmocka_unit_test(test_live_fd_count),
		cmocka_unit_test(test_live_reaped_child),
		cmocka_unit_test(test_live_zombie),
		cmocka_unit_test(test_live_kthread),
		cmocka_unit_test(test_live_eacces),
		cmocka_unit_test(test_tty_table),
		cmocka_unit_test(test_kv_find),
		cmocka_unit_test(test_environ_fixture),
		cmocka_unit_test(test_task_stat_fixture),
		cmocka_unit_test(test_children_table),
		cmocka_unit_test(test_children_fixture),
	};

	g_argc = argc;
	g_argv = argv;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
