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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fdinfo_table),
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_mode_table),
		cmocka_unit_test(test_live_list),
		cmocka_unit_test(test_unprintable_path),
		cmocka_unit_test(test_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
