// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The stream file as serve makes it in a world-writable directory: its
 * mode, its lock's, and that nothing another user planted at the paths
 * (a link, a file of theirs) is followed or written through.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobtrace/stream_writer.h"

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

static int teardown(void **state)
{
	unlink(path);
	unlink(lock);
	unlink(victim);
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

/* A link at the lock's path: refused (O_NOFOLLOW), nothing created at its target. */
static void test_link_at_lock_refused(void **state)
{
	struct stat st;

	unlink(lock);
	unlink(victim);
	assert_int_equal(symlink(victim, lock), 0);
	assert_null(stream_writer__open(path, 4096));
	assert_int_equal(errno, ELOOP);
	assert_int_equal(lstat(victim, &st), -1);
	unlink(lock);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_link_at_path_not_followed),
		cmocka_unit_test(test_link_at_lock_refused),
		cmocka_unit_test(test_unsafe_dir_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
