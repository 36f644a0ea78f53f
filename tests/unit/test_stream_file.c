// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The stream file as serve makes it in a world-writable directory: its
 * mode, its lock's, that nothing another user planted at the paths (a link,
 * a file, a FIFO, a directory of theirs) blocks it or is followed or
 * written through, and that it is allocated whole or not made at all. And
 * the reader's side: a file it does not trust is refused before it is
 * mapped, and a file cut short under it is an error, not a SIGBUS.
 * Parts need root (they play the other user, 65534, give it a file, mount a
 * small tmpfs): as any other user those say so and skip; as root all run.
 */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/stream.h"
#include "jobtrace/stream_writer.h"

#define NOBODY 65534

static char dir[] = "/tmp/jobtrace-sfile-XXXXXX";
static char path[300], lock[320], victim[300];

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(lock, sizeof(lock), "%s/s.lock", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	return 0;
}

/* Empties the test's directory: whatever a test or the writer left there. */
static void clean_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0))
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* Entries in the test's directory, "." and ".." aside. */
static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static int teardown(void **state)
{
	clean_dir();
	chmod(dir, 0700);
	return rmdir(dir);
}

static void test_modes(void **state)
{
	struct stream_writer *w = stream_writer__open(path, 4096);
	struct stat st;

	assert_non_null(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(stat(lock, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	stream_writer__close(w);
}

/* A link planted at the stream's path is replaced, not followed: its target is untouched. */
static void test_link_at_path_not_followed(void **state)
{
	static const char text[] = "someone's file\n";
	struct stream_writer *w;
	char buf[64] = "";
	struct stat st;
	int fd;

	unlink(path);
	fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(symlink(victim, path), 0);
	w = stream_writer__open(path, 4096);
	assert_non_null(w);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	fd = open(victim, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_string_equal(buf, text);
	stream_writer__close(w);
}

/*
 * A link at the lock's path is not a lock: replaced by a lock file of our
 * own, never followed (nothing is created at its target).
 */
static void test_link_at_lock_replaced(void **state)
{
	struct stream_writer *w;
	struct stat st;

	clean_dir();
	assert_int_equal(symlink(victim, lock), 0);
	w = stream_writer__open(path, 4096);
	assert_non_null(w);
	assert_int_equal(lstat(victim, &st), -1);
	assert_int_equal(lstat(lock, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_uid, geteuid());
	/* It is the lock: a second writer is kept out. */
	assert_null(stream_writer__open(path, 4096));
	assert_int_equal(errno, EBUSY);
	stream_writer__close(w);
	clean_dir();
}

/* The test's setup is root's to make (@what): as another user it says so and skips. */
static void need_root(const char *what)
{
	if (geteuid() == 0)
		return;
	print_message("  not root: cannot %s, which the test needs\n", what);
	skip();
}

/* Runs @fn as uid and gid 65534 in a child, as another user of the host would; asserts it did. */
static void as_nobody(void (*fn)(void))
{
	pid_t p = fork();
	int st;

	assert_true(p >= 0);
	if (p == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(90);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void squat_files(void)
{
	char p[340];
	int fd;

	/* A lock file anyone may open (and flock), the old build name, a link at the path. */
	fd = open(lock, O_RDWR | O_CREAT | O_EXCL, 0666);
	if (fd < 0 || fchmod(fd, 0666) || flock(fd, LOCK_SH))
		_exit(91);
	close(fd);
	snprintf(p, sizeof(p), "%s.new", path);
	fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0666);
	if (fd < 0)
		_exit(92);
	close(fd);
	if (symlink(victim, path))
		_exit(93);
}

static void squat_fifo_and_dir(void)
{
	if (mkfifo(lock, 0666))
		_exit(94);
	if (mkdir(path, 0755))
		_exit(95);
}

/* The stream at @path is root's, a regular file a reader opens; the victim is untouched. */
static void assert_published(struct stream_writer *w)
{
	struct jobtrace_stream *r;
	union jt_stream_record rec;
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(lstat(lock, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_mode & 07777, 0600);
	r = jobtrace_stream_open(path);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	rec.hdr.type = JT_STREAM_FORK;
	rec.fork.lin.pid = 4242;
	assert_int_equal(stream_writer__append(w, &rec, sizeof(rec.fork)), 0);
	assert_int_equal(jobtrace_stream_next(r, &rec), 1);
	assert_int_equal(rec.fork.lin.pid, 4242);
	jobtrace_stream_close(r);
}

/*
 * Another user got to /dev/shm first: a lock file of theirs (locked, too),
 * PATH.new, a link at the path to a file of root's. None of it stops the
 * writer or is written through.
 */
static void test_squatters_do_not_block(void **state)
{
	static const char text[] = "root's own file\n";
	struct stream_writer *w;
	char buf[64] = "";
	int fd;

	need_root("plant another user's files");
	clean_dir();
	assert_int_equal(chmod(dir, 01777), 0);
	fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	as_nobody(squat_files);
	w = stream_writer__open(path, 4096);
	if (!w)
		fail_msg("the writer was kept out by another user's files: %s", strerror(errno));
	assert_published(w);
	fd = open(victim, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_string_equal(buf, text);
	stream_writer__close(w);
	/* Only ours is left: the stream, its lock, the victim, and the squatter's .new. */
	assert_int_equal(count_entries(), 4);
	assert_int_equal(chmod(dir, 0700), 0);
	clean_dir();
}

/* A FIFO at the lock's path (an open would block) and a directory at the stream's. */
static void test_fifo_and_dir_squatters(void **state)
{
	struct stream_writer *w;

	need_root("plant another user's FIFO and directory");
	clean_dir();
	assert_int_equal(chmod(dir, 01777), 0);
	as_nobody(squat_fifo_and_dir);
	alarm(20); /* a writer that blocks on the FIFO fails here, not forever */
	w = stream_writer__open(path, 4096);
	alarm(0);
	if (!w)
		fail_msg("the writer was kept out by a FIFO and a directory: %s", strerror(errno));
	assert_published(w);
	stream_writer__close(w);
	assert_int_equal(count_entries(), 2);
	assert_int_equal(chmod(dir, 0700), 0);
	clean_dir();
}

/*
 * A filesystem too small for the ring: the writer fails at once with
 * ENOSPC and leaves nothing behind, instead of a sparse file whose first
 * store into a page with no room would be a SIGBUS.
 */
static void test_no_room_fails_at_open(void **state)
{
	char mnt[320], p[340];
	struct stream_writer *w;
	int err;

	need_root("mount a tmpfs");
	snprintf(mnt, sizeof(mnt), "%s/small", dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("none", mnt, "tmpfs", 0, "size=64k,mode=0700"))
		fail_msg("cannot mount a tmpfs at %s: %s (the test needs root)", mnt,
			 strerror(errno));
	snprintf(p, sizeof(p), "%s/s", mnt);
	w = stream_writer__open(p, 4096 * 1024);
	err = errno;
	if (w)
		stream_writer__close(w);
	{
		DIR *d = opendir(mnt);
		struct dirent *e;
		int n = 0;

		assert_non_null(d);
		while ((e = readdir(d)))
			n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			     strcmp(e->d_name, "s.lock");
		closedir(d);
		assert_int_equal(umount(mnt), 0);
		rmdir(mnt);
		assert_null(w);
		assert_int_equal(err, ENOSPC);
		/* No half-made stream file: the lock alone stays, as after any stop. */
		assert_int_equal(n, 0);
	}
}

/* A world-writable directory without the sticky bit: anyone could swap our files. */
static void test_unsafe_dir_refused(void **state)
{
	assert_int_equal(chmod(dir, 0777), 0);
	assert_null(stream_writer__open(path, 4096));
	assert_int_equal(errno, EPERM);
	/* With the sticky bit, as /dev/shm and /tmp: fine. */
	assert_int_equal(chmod(dir, 01777), 0);
	stream_writer__close(stream_writer__open(path, 4096));
	assert_int_equal(chmod(dir, 0700), 0);
}

/*
 * A stream with @n fork records written by a child: the test process holds
 * no writer's mapping of it, so it may cut the file without faulting
 * itself. (The child closes it, so that valgrind finds nothing lost.)
 */
static void make_stream_in_child(int n)
{
	pid_t p;
	int st;

	clean_dir();
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		struct stream_writer *w = stream_writer__open(path, 64 * 1024);
		union jt_stream_record rec;

		if (!w)
			_exit(80);
		for (int i = 1; i <= n; i++) {
			memset(&rec, 0, sizeof(rec));
			rec.hdr.type = JT_STREAM_FORK;
			rec.fork.lin.pid = (__u32)i;
			if (stream_writer__append(w, &rec, sizeof(rec.fork)))
				_exit(81);
		}
		stream_writer__close(w);
		_exit(0);
	}
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * The file cut under a reader (truncate(1), or cp over it): an error from
 * next, and wait and state go on, where loads from the mapping were a SIGBUS.
 */
static void test_cut_under_reader(void **state)
{
	static const off_t cuts[] = { 0, 4096, 8192 };

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct jobtrace_stream *r;
		union jt_stream_record rec;

		make_stream_in_child(0);
		r = jobtrace_stream_open(path);
		assert_non_null(r);
		assert_int_equal(jobtrace_stream_next(r, &rec), 0);
		assert_int_equal(truncate(path, cuts[i]), 0);
		assert_int_equal(jobtrace_stream_next(r, &rec), -ESTALE);
		assert_int_equal(jobtrace_stream_wait(r, 0), 0);
		assert_int_equal(jobtrace_stream_wait(r, 150), 0);
		assert_int_equal(jobtrace_stream_state(r), 0);
		/* Still an error, not a fault, on every call after, a batch's too. */
		assert_int_equal(jobtrace_stream_next(r, &rec), -ESTALE);
		assert_int_equal(jobtrace_stream_next_batch(r, &rec, 1), -ESTALE);
		jobtrace_stream_close(r);
	}
}

/* Cut while records are still to be read: the next read is an error, not a SIGBUS. */
static void test_cut_mid_stream(void **state)
{
	struct stream_writer *w;
	struct jobtrace_stream *r;
	union jt_stream_record rec;
	pid_t p;
	int st, up[2], down[2]; /* one pipe each way: neither side reads back its own byte */
	char go;

	clean_dir();
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		/* The writer: three records once the reader has opened, then it dies. */
		w = stream_writer__open(path, 64 * 1024);
		if (!w)
			_exit(80);
		if (write(up[1], "o", 1) != 1 || read(down[0], &go, 1) != 1)
			_exit(82);
		for (int i = 1; i <= 3; i++) {
			memset(&rec, 0, sizeof(rec));
			rec.hdr.type = JT_STREAM_FORK;
			rec.fork.lin.pid = (__u32)i;
			if (stream_writer__append(w, &rec, sizeof(rec.fork)))
				_exit(81);
		}
		stream_writer__close(w);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	/* 0 bytes: the writer died before it opened the stream. */
	assert_int_equal(read(up[0], &go, 1), 1);
	r = jobtrace_stream_open(path);
	assert_non_null(r);
	assert_int_equal(write(down[1], "g", 1), 1);
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_int_equal(WEXITSTATUS(st), 0);
	close(up[0]);
	close(down[1]);
	assert_int_equal(jobtrace_stream_next(r, &rec), 1);
	assert_int_equal(rec.fork.lin.pid, 1);
	assert_int_equal(truncate(path, 4096), 0);
	assert_int_equal(jobtrace_stream_next(r, &rec), -ESTALE);
	/* A new writer at the path: the reader follows it, with a restart record. */
	w = stream_writer__open(path, 4096);
	assert_non_null(w);
	assert_int_equal(jobtrace_stream_wait(r, 1000), 1);
	assert_int_equal(jobtrace_stream_next(r, &rec), 1);
	assert_int_equal(rec.hdr.type, JT_STREAM_RESTART);
	assert_int_equal(jobtrace_stream_next(r, &rec), 0);
	jobtrace_stream_close(r);
	stream_writer__close(w);
}

/* A stream file another user owns: refused before it is mapped (it could be cut, or forged). */
static void test_reader_refuses_others_file(void **state)
{
	struct jobtrace_stream *r;

	need_root("give a file to another user");
	make_stream_in_child(1);
	assert_int_equal(chown(path, NOBODY, NOBODY), 0);
	r = jobtrace_stream_open(path);
	assert_null(r);
	assert_int_equal(errno, EPERM);
	/* Root's (or the reader's own): read. */
	assert_int_equal(chown(path, 0, 0), 0);
	r = jobtrace_stream_open(path);
	assert_non_null(r);
	jobtrace_stream_close(r);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A FIFO at the path is refused at once, where open(2) waited for a writer forever. */
static void test_reader_refuses_fifo(void **state)
{
	/* No SA_RESTART: an open that blocked returns. */
	struct sigaction sa = { .sa_handler = on_alarm };
	struct jobtrace_stream *r;
	int err;

	clean_dir();
	assert_int_equal(mkfifo(path, 0644), 0);
	sigaction(SIGALRM, &sa, NULL);
	alarm(5);
	r = jobtrace_stream_open(path);
	err = errno;
	alarm(0);
	assert_null(r);
	if (err == EINTR)
		fail_msg("jobtrace_stream_open blocked on a FIFO");
	assert_int_equal(err, EPERM);
	clean_dir();
}

/* A link at the path (to a stream of root's, even) is not followed. */
static void test_reader_refuses_link(void **state)
{
	char real[340];

	make_stream_in_child(1);
	snprintf(real, sizeof(real), "%s/elsewhere", dir);
	assert_int_equal(rename(path, real), 0);
	assert_int_equal(symlink(real, path), 0);
	assert_null(jobtrace_stream_open(path));
	assert_int_equal(errno, ELOOP);
	clean_dir();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_link_at_path_not_followed),
		cmocka_unit_test(test_link_at_lock_replaced),
		cmocka_unit_test(test_unsafe_dir_refused),
		cmocka_unit_test(test_squatters_do_not_block),
		cmocka_unit_test(test_fifo_and_dir_squatters),
		cmocka_unit_test(test_no_room_fails_at_open),
		cmocka_unit_test(test_cut_under_reader),
		cmocka_unit_test(test_cut_mid_stream),
		cmocka_unit_test(test_reader_refuses_others_file),
		cmocka_unit_test(test_reader_refuses_fifo),
		cmocka_unit_test(test_reader_refuses_link),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
