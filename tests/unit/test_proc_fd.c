// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proc_fd: fdinfo and link parsing over table cases, then the fd list of
 * this very process, whose files the test opened itself.
 */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/proc_fd.h"
#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

static void test_fdinfo_table(void **state)
{
	static const struct {
		const char *name, *in;
		int err;
		int64_t pos;
		uint32_t flags;
	} cases[] = {
		{ "regular", "pos:\t4321\nflags:\t02102001\nmnt_id:\t25\nino:\t77\n", 0, 4321,
		  02102001 },
		/* An eventfd adds lines after the usual three. */
		{ "eventfd", "pos:\t0\nflags:\t02\nmnt_id:\t16\nino:\t1057\neventfd-count:"
			     "                0\neventfd-id: 1\n", 0, 0, 02 },
		/* Before 3.8 there was no mnt_id; the two we need were always there. */
		{ "2.6 layout", "pos:\t9223372036854775807\nflags:\t0100000\n", 0, INT64_MAX,
		  0100000 },
		/* "%lli": /dev/mem past 2^63 reads negative; flags and mode still count. */
		{ "negative pos", "pos:\t-1\nflags:\t02\n", 0, -1, 02 },
		{ "most negative pos", "pos:\t-9223372036854775808\nflags:\t0\n", 0, INT64_MIN, 0 },
		{ "pos below int64", "pos:\t-9223372036854775809\nflags:\t0\n", -EINVAL, 0, 0 },
		{ "lone minus", "pos:\t-\nflags:\t0\n", -EINVAL, 0, 0 },
		{ "no flags", "pos:\t0\nmnt_id:\t16\n", -EINVAL, 0, 0 },
		{ "no pos", "flags:\t02\n", -EINVAL, 0, 0 },
		{ "8 is not octal", "pos:\t0\nflags:\t0100008\n", -EINVAL, 0, 0 },
		{ "pos overflows", "pos:\t18446744073709551616\nflags:\t02\n", -EINVAL, 0, 0 },
		{ "flags past 32 bits", "pos:\t0\nflags:\t077777777777\n", -EINVAL, 0, 0 },
		{ "cut mid-line", "pos:\t12\nflags:\t02", -EINVAL, 0, 0 },
		{ "empty", "", -EINVAL, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t pos = 7;
		uint32_t flags = 7;
		int err = proc_fd__parse_fdinfo(cases[i].in, strlen(cases[i].in), &pos, &flags);

		if (err != cases[i].err)
			fail_msg("%s: err %d, want %d", cases[i].name, err, cases[i].err);
		if (!err && (pos != cases[i].pos || flags != cases[i].flags))
			fail_msg("%s: pos %lld flags %o, want %lld %o", cases[i].name,
				 (long long)pos, flags, (long long)cases[i].pos, cases[i].flags);
	}
}

static void test_classify_table(void **state)
{
	static const struct {
		const char *target;
		enum proc_fd_kind kind;
		uint64_t inode;
	} cases[] = {
		{ "/dev/null", PROC_FD_PATH, 0 },
		{ "/tmp/socket:[12]", PROC_FD_PATH, 0 },
		{ "socket:[1957006]", PROC_FD_SOCKET, 1957006 },
		{ "pipe:[4026531840]", PROC_FD_PIPE, 4026531840ull },
		{ "anon_inode:[eventfd]", PROC_FD_ANON, 0 },
		{ "anon_inode:inotify", PROC_FD_ANON, 0 },
		{ "net:[4026531840]", PROC_FD_OTHER, 0 },
		{ "socket:[]", PROC_FD_OTHER, 0 },
		{ "socket:[12x]", PROC_FD_OTHER, 0 },
		{ "socket:[12", PROC_FD_OTHER, 0 },
		{ "socket:[99999999999999999999]", PROC_FD_OTHER, 0 },
		{ "", PROC_FD_OTHER, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t inode = 7;
		enum proc_fd_kind k = proc_fd__classify(cases[i].target, strlen(cases[i].target),
							&inode);

		if (k != cases[i].kind || inode != cases[i].inode)
			fail_msg("'%s': kind %d inode %llu, want %d %llu", cases[i].target, k,
				 (unsigned long long)inode, cases[i].kind,
				 (unsigned long long)cases[i].inode);
	}
}

static void test_mode_table(void **state)
{
	assert_string_equal(proc_fd__mode(O_RDONLY), "r");
	assert_string_equal(proc_fd__mode(O_WRONLY), "w");
	assert_string_equal(proc_fd__mode(O_WRONLY | O_APPEND), "a");
	assert_string_equal(proc_fd__mode(O_RDWR), "r+");
	assert_string_equal(proc_fd__mode(O_RDWR | O_APPEND | O_CLOEXEC), "a+");
	assert_string_equal(proc_fd__mode(O_RDONLY | O_LARGEFILE | O_CLOEXEC), "r");
}

static const struct proc_fd_entry *find_fd(const struct proc_fd_list *l, int fd)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].fd == fd)
			return &l->v[i];
	}
	return NULL;
}

/* The fds this process opened, read back through /proc/self's real pid. */
static void test_live_list(void **state)
{
	char dir[] = "/tmp/jt-fd-XXXXXX", path[64], gone[64];
	const struct proc_fd_entry *e;
	struct proc_fd_list l;
	int proc_fd, file, gonefd, pipefd[2], sv[2], extra[300];
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a file\nwith newline", dir);
	file = open(path, O_CREAT | O_WRONLY | O_APPEND, 0600);
	assert_true(file >= 0);
	assert_int_equal(write(file, "0123456789", 10), 10);
	snprintf(gone, sizeof(gone), "%s/removed", dir);
	gonefd = open(gone, O_CREAT | O_RDWR, 0600);
	assert_true(gonefd >= 0);
	assert_int_equal(lseek(gonefd, 4321, SEEK_SET), 4321);
	assert_int_equal(unlink(gone), 0);
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);

	/* 300 more: the list must grow as it fills, not once per entry. */
	for (int i = 0; i < 300; i++) {
		extra[i] = dup(pipefd[1]);
		assert_true(extra[i] >= 0);
	}

	proc_fd = util__open_dir("/proc");
	assert_true(proc_fd >= 0);
	assert_int_equal(proc_fd__list(proc_fd, getpid(), &l), 0);
	assert_true(l.n >= 306);
	assert_true(l.cap < 2 * l.n);
	for (int i = 0; i < 300; i++) {
		e = find_fd(&l, extra[i]);
		assert_non_null(e);
		assert_int_equal(e->kind, PROC_FD_PIPE);
	}
	for (int i = 0; i < 300; i++)
		close(extra[i]);

	e = find_fd(&l, file);
	assert_non_null(e);
	assert_int_equal(e->kind, PROC_FD_PATH);
	assert_true(e->regular);
	assert_false(e->deleted);
	assert_string_equal(e->target, path);
	assert_int_equal(e->target_len, strlen(path));
	assert_true(e->has_info);
	assert_int_equal(e->pos, 10);
	assert_string_equal(proc_fd__mode(e->flags), "a");

	e = find_fd(&l, gonefd);
	assert_non_null(e);
	assert_true(e->regular);
	assert_true(e->deleted);
	assert_string_equal(e->target, gone);
	assert_int_equal(e->pos, 4321);
	assert_string_equal(proc_fd__mode(e->flags), "r+");

	e = find_fd(&l, pipefd[0]);
	assert_non_null(e);
	assert_int_equal(e->kind, PROC_FD_PIPE);
	assert_int_equal(fstat(pipefd[0], &st), 0);
	assert_int_equal(e->inode, st.st_ino);
	assert_false(e->regular);

	e = find_fd(&l, sv[1]);
	assert_non_null(e);
	assert_int_equal(e->kind, PROC_FD_SOCKET);
	assert_int_equal(fstat(sv[1], &st), 0);
	assert_int_equal(e->inode, st.st_ino);

	for (size_t i = 1; i < l.n; i++)
		assert_true(l.v[i - 1].fd < l.v[i].fd);
	proc_fd_list__free(&l);
	proc_fd_list__free(&l); /* idempotent */
	proc_fd_list__free(NULL);

	close(file);
	close(gonefd);
	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
	unlink(path);
	rmdir(dir);
	close(proc_fd);
}

/*
 * A file named "x (deleted)" that is there, open: its name as it is, not
 * "x" unlinked (its link reads as an unlinked file's would). And one of
 * those unlinked beside it: "y", deleted, as before.
 */
static void test_named_deleted(void **state)
{
	char dir[] = "/tmp/jt-fd-XXXXXX", named[96], gone[96];
	const struct proc_fd_entry *e;
	struct proc_fd_list l;
	int proc_fd, a, b;

	assert_non_null(mkdtemp(dir));
	snprintf(named, sizeof(named), "%s/real (deleted)", dir);
	snprintf(gone, sizeof(gone), "%s/gone", dir);
	a = open(named, O_CREAT | O_RDWR, 0600);
	b = open(gone, O_CREAT | O_RDWR, 0600);
	assert_true(a >= 0 && b >= 0);
	assert_int_equal(unlink(gone), 0);
	proc_fd = util__open_dir("/proc");
	assert_true(proc_fd >= 0);
	assert_int_equal(proc_fd__list(proc_fd, getpid(), &l), 0);
	e = find_fd(&l, a);
	assert_non_null(e);
	assert_false(e->deleted);
	assert_string_equal(e->target, named);
	e = find_fd(&l, b);
	assert_non_null(e);
	assert_true(e->deleted);
	assert_string_equal(e->target, gone);
	proc_fd_list__free(&l);
	close(a);
	close(b);
	unlink(named);
	rmdir(dir);
	close(proc_fd);
}

/*
 * A file whose path is longer than d_path() can print (a page): its link
 * fails with ENAMETOOLONG. That fd is kept with its error; the list stands.
 */
static void test_unprintable_path(void **state)
{
	char name[201], dir[] = "/tmp/jt-deep-XXXXXX";
	const struct proc_fd_entry *e;
	struct proc_fd_list l;
	int fds[24], depth, file, proc_fd;

	memset(name, 'd', 200);
	name[200] = '\0';
	assert_non_null(mkdtemp(dir));
	fds[0] = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fds[0] >= 0);
	for (depth = 1; depth < 24; depth++) {
		assert_int_equal(mkdirat(fds[depth - 1], name, 0700), 0);
		fds[depth] = openat(fds[depth - 1], name, O_RDONLY | O_DIRECTORY);
		assert_true(fds[depth] >= 0);
	}
	file = openat(fds[23], "f", O_CREAT | O_RDWR, 0600);
	assert_true(file >= 0);

	proc_fd = util__open_dir("/proc");
	assert_int_equal(proc_fd__list(proc_fd, getpid(), &l), 0);
	e = find_fd(&l, file);
	assert_non_null(e);
	assert_int_equal(e->err, -ENAMETOOLONG);
	assert_int_equal(e->target_len, 0);
	assert_true(e->regular);
	assert_true(l.unreadable >= 1);
	/* The fds around it are whole. */
	e = find_fd(&l, fds[0]);
	assert_non_null(e);
	assert_string_equal(e->target, dir);
	proc_fd_list__free(&l);

	unlinkat(fds[23], "f", 0);
	close(file);
	for (depth = 23; depth > 0; depth--) {
		close(fds[depth]);
		assert_int_equal(unlinkat(fds[depth - 1], name, AT_REMOVEDIR), 0);
	}
	close(fds[0]);
	rmdir(dir);
	close(proc_fd);
}

/* A reaped pid is a normal event: -ESRCH, nothing left allocated. */
static void test_gone(void **state)
{
	struct proc_fd_list l;
	int proc_fd = util__open_dir("/proc");
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(proc_fd__list(proc_fd, pid, &l), -ESRCH);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	close(proc_fd);
}

/*
 * proc_fd__list_dir() over an image of one /proc/PID: what each fd's link,
 * fdinfo and stat say reaches its entry; names that are no fd are skipped; a
 * link past a page is that fd's -ENAMETOOLONG; an fd directory named twice
 * (fd/9 a file and fd/9/x under it) is a link that cannot be read: vanished.
 */
static void test_list_image(void **state)
{
	static const char img[] =
		"fd/3\0/var/log/x.log (deleted)\0"
		"fdinfo/3\0pos:\t12\nflags:\t02102001\nmnt_id:\t25\n\0"
		"fdreg/3\0\0"
		"fd/10\0socket:[4242]\0"
		"fd/0\0pipe:[77]\0"
		"fdinfo/0\0pos:\t0\nflags:\t00\n\0"
		"fd/abc\0/x\0"
		"fd/.hidden\0/x\0"
		"fd/-1\0/x\0"
		"fd/2147483648\0/x\0"
		"fd/9/x\0\0"
		"fd/5\0anon_inode:[eventfd]";
	struct sysfs_dir d;
	struct proc_fd_list l;
	char *long_link;
	size_t len;

	sysfs_dir__from_image(&d, img, sizeof(img) - 1);
	assert_int_equal(proc_fd__list_dir(&d, &l), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.vanished, 1);
	assert_int_equal(l.unreadable, 0);
	assert_int_equal(l.v[0].fd, 0);
	assert_int_equal(l.v[0].kind, PROC_FD_PIPE);
	assert_int_equal(l.v[0].inode, 77);
	assert_true(l.v[0].has_info);
	assert_false(l.v[0].regular);
	assert_int_equal(l.v[1].fd, 3);
	assert_int_equal(l.v[1].kind, PROC_FD_PATH);
	assert_string_equal(l.v[1].target, "/var/log/x.log");
	assert_true(l.v[1].deleted);
	assert_true(l.v[1].regular);
	assert_true(l.v[1].has_info);
	assert_int_equal(l.v[1].pos, 12);
	assert_string_equal(proc_fd__mode(l.v[1].flags), "a");
	assert_int_equal(l.v[2].fd, 5);
	assert_int_equal(l.v[2].kind, PROC_FD_ANON);
	assert_false(l.v[2].has_info);
	assert_int_equal(l.v[3].fd, 10);
	assert_int_equal(l.v[3].kind, PROC_FD_SOCKET);
	assert_int_equal(l.v[3].inode, 4242);
	proc_fd_list__free(&l);

	/* A link of 4097 bytes: more than d_path() writes. */
	len = strlen("fd/7") + 1 + 4097;
	long_link = malloc(len);
	assert_non_null(long_link);
	memcpy(long_link, "fd/7", 5);
	memset(long_link + 5, 'a', 4097);
	long_link[5] = '/';
	sysfs_dir__from_image(&d, long_link, len);
	assert_int_equal(proc_fd__list_dir(&d, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.unreadable, 1);
	assert_int_equal(l.v[0].err, -ENAMETOOLONG);
	assert_int_equal(l.v[0].target_len, 0);
	assert_string_equal(l.v[0].target, "");
	proc_fd_list__free(&l);
	free(long_link);

	/* No fd directory at all (a kernel thread's /proc/PID/fd is there, empty, though). */
	sysfs_dir__from_image(&d, "stat\0", 5);
	assert_int_equal(proc_fd__list_dir(&d, &l), -ENOENT);
	assert_null(l.v);
}

#define FDWALK FIXTURES "/fdwalk/proc"

struct fd_set_acc {
	int fds[64];
	size_t n;
	int stop_after; /* > 0: return 42 once this many fds were seen */
};

static int collect_fd(int fd, void *ctx)
{
	struct fd_set_acc *acc = ctx;

	if (acc->n < ARRAY_SIZE(acc->fds))
		acc->fds[acc->n] = fd;
	acc->n++;
	return acc->stop_after && acc->n == (size_t)acc->stop_after ? 42 : 0;
}

static int by_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void test_walk_table(void **state)
{
	static const struct {
		const char *name;
		int pid;
		int err;
		size_t n;
		int fds[4]; /* sorted */
	} cases[] = {
		{ "odd names skipped", 100, 0, 4, { 0, 1, 17, INT32_MAX } },
		{ "no fds", 101, 0, 0, { 0 } },
		{ "gone", 102, -ENOENT, 0, { 0 } },
	};
	int proc_fd = util__open_dir(FDWALK);

	assert_true(proc_fd >= 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fd_set_acc walked = {}, iterated = {};
		struct proc_fd_iter it;
		int err, fd;

		err = proc_fd__walk(proc_fd, cases[i].pid, collect_fd, &walked);
		if (err != cases[i].err || walked.n != cases[i].n)
			fail_msg("%s: walk err %d n %zu, want %d %zu", cases[i].name, err, walked.n,
				 cases[i].err, cases[i].n);
		qsort(walked.fds, walked.n, sizeof(int), by_int);
		for (size_t k = 0; k < walked.n; k++)
			if (walked.fds[k] != cases[i].fds[k])
				fail_msg("%s: fd %d, want %d", cases[i].name, walked.fds[k],
					 cases[i].fds[k]);

		/* The iterator gives the same fds, and says the same error on open. */
		err = proc_fd_iter__open(&it, proc_fd, cases[i].pid);
		assert_int_equal(err, cases[i].err);
		while (!err && (err = proc_fd_iter__next(&it, &fd)) > 0) {
			collect_fd(fd, &iterated);
			err = 0;
		}
		if (!cases[i].err) {
			assert_int_equal(err, 0);
			/* Past the end stays at the end. */
			assert_int_equal(proc_fd_iter__next(&it, &fd), 0);
		}
		proc_fd_iter__close(&it);
		proc_fd_iter__close(&it); /* twice, and after a failed open: no-ops */
		qsort(iterated.fds, iterated.n, sizeof(int), by_int);
		assert_int_equal(iterated.n, walked.n);
		assert_memory_equal(iterated.fds, walked.fds, walked.n * sizeof(int));
	}
	proc_fd_iter__close(NULL);
	close(proc_fd);
}

/* A non-zero return from the callback stops the walk and comes back as is. */
static void test_walk_stops(void **state)
{
	struct fd_set_acc acc = { .stop_after = 2 };
	int proc_fd = util__open_dir(FDWALK);

	assert_true(proc_fd >= 0);
	assert_int_equal(proc_fd__walk(proc_fd, 100, collect_fd, &acc), 42);
	assert_int_equal(acc.n, 2);
	close(proc_fd);
}

/* This process: the ends of a pipe it opened are walked, and gone once closed. */
static void test_walk_live(void **state)
{
	int proc_fd = util__open_dir("/proc"), p[2];
	struct fd_set_acc before = {}, during = {};
	bool r = false, w = false;

	assert_true(proc_fd >= 0);
	assert_int_equal(proc_fd__walk(proc_fd, getpid(), collect_fd, &before), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(proc_fd__walk(proc_fd, getpid(), collect_fd, &during), 0);
	assert_true(during.n <= ARRAY_SIZE(during.fds));
	for (size_t k = 0; k < during.n; k++) {
		r |= during.fds[k] == p[0];
		w |= during.fds[k] == p[1];
	}
	assert_true(r && w);
	assert_int_equal(during.n, before.n + 2);
	close(p[0]);
	close(p[1]);
	close(proc_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fdinfo_table),
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_mode_table),
		cmocka_unit_test(test_live_list),
		cmocka_unit_test(test_named_deleted),
		cmocka_unit_test(test_unprintable_path),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_list_image),
		cmocka_unit_test(test_walk_table),
		cmocka_unit_test(test_walk_stops),
		cmocka_unit_test(test_walk_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
