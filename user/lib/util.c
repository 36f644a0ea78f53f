// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/util.h"

/*
 * Every file jobtrace reads under a proc or sys root is a regular file. A
 * FIFO planted in a --proc-root tree would block open() and read() forever
 * (and a character device could be endless), so open without blocking and
 * refuse anything else: -EISDIR for a directory, -EINVAL for the rest.
 */
static int open_regular_at(int dirfd, const char *path)
{
	struct stat st;
	int fd, err;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return err;
}

ssize_t util__read_file_at(int dirfd, const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err;

	if (size == 0)
		return -EINVAL;
	fd = open_regular_at(dirfd, path);
	if (fd < 0)
		return fd;
	for (;;) {
		if (len == size - 1) {
			/* Full buffer: find out whether the file goes on. */
			char probe;

			n = read(fd, &probe, 1);
			if (n < 0 && errno == EINTR)
				continue;
			err = n == 0 ? 0 : (n < 0 ? -errno : -EFBIG);
			break;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0) {
			err = 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (ssize_t)len;
}

/* Most /proc files fit at once; the big ones (stat, cpuinfo, zoneinfo) take a few doublings. */
#define READ_ALLOC_INITIAL (16U << 10)

ssize_t util__read_file_alloc(int dirfd, const char *path, size_t max, char **out)
{
	size_t cap, len = 0;
	char *buf = NULL;
	ssize_t n;
	int fd, err;

	*out = NULL;
	if (max >= SSIZE_MAX)
		return -EINVAL;
	fd = open_regular_at(dirfd, path);
	if (fd < 0)
		return fd;
	/* One byte past @max, so that a file longer than @max shows itself. */
	cap = max < READ_ALLOC_INITIAL ? max + 2 : READ_ALLOC_INITIAL;
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto err_close;
	}
	for (;;) {
		if (len + 1 == cap) {
			size_t ncap = cap > (max + 2) / 2 ? max + 2 : cap * 2;
			char *nbuf;

			if (len > max) {
				err = -EFBIG;
				goto err_close;
			}
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				err = -ENOMEM;
				goto err_close;
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto err_close;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return (ssize_t)len;

err_close:
	close(fd);
	free(buf);
	return err;
}

int util__open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static unsigned long long clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

#define USER_NAMES 64
bool util__user_name(unsigned int uid, char *buf, size_t size)
{
	static struct {
		unsigned int uid;
		bool used, found;
		char name[32];
	} cache[USER_NAMES];
	struct passwd pw, *res = NULL;
	char scratch[1024];
	size_t i = uid % USER_NAMES;

	if (!cache[i].used || cache[i].uid != uid) {
		cache[i].used = true;
		cache[i].uid = uid;
		cache[i].found = !getpwuid_r(uid, &pw, scratch, sizeof(scratch), &res) && res &&
				 strlen(pw.pw_name) < sizeof(cache[i].name);
		if (cache[i].found)
			strcpy(cache[i].name, pw.pw_name);
	}
	if (!cache[i].found)
		return false;
	snprintf(buf, size, "%s", cache[i].name);
	return true;
}

unsigned long long util__now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

unsigned long long util__boottime_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

unsigned long long util__realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int util__grow(void *arrp, size_t *cap, size_t elem_size, size_t first, size_t max)
{
	void **arr = arrp;
	size_t ncap = *cap ? *cap * 2 : first;
	void *n;

	if (*cap >= max)
		return -E2BIG;
	if (ncap > max || ncap < *cap)
		ncap = max;
	n = reallocarray(*arr, ncap, elem_size);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

DIR *util__opendir_at(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	/* fdopendir() owns the fd it is given, hence a fresh one. */
	d = fdopendir(fd);
	if (!d) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return d;
}

/*
 * Every command writes stdout through stdio and checked (or did not check)
 * ferror() in its own words, and stdio forgets errno by the time anyone
 * looks. Failing here, at the write itself, gives one message with the
 * real cause and one status for all of them, and stops a command that
 * would otherwise go on writing into a closed pipe.
 */
static bool stdout_returns_errors; /* run: the job's status comes first */

void util__stdout_return_errors(bool on)
{
	stdout_returns_errors = on;
}

/*
 * The reader went away (`jobtrace ps | head`): the end a shell user expects
 * of any command in a pipe, as if SIGPIPE had been left to kill: no word
 * on stderr, status 128 + SIGPIPE, which a shell does not report.
 */
static void __attribute__((noreturn)) die_of_sigpipe(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t set;

	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(SIGPIPE);
	_exit(128 + SIGPIPE);
}

static ssize_t stdout_write(void *cookie, const char *buf, size_t size)
{
	size_t done = 0;
	ssize_t n;

	while (done < size) {
		n = write(STDOUT_FILENO, buf + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			/* run reports the write's failure itself, after the job's status. */
			if (stdout_returns_errors) {
				errno = err;
				return -1;
			}
			if (err == EPIPE)
				die_of_sigpipe();
			fprintf(stderr, "jobtrace: cannot write to standard output: %s\n",
				strerror(err));
			/* _exit: exit() would flush this stream again, from inside its flush. */
			_exit(UTIL_EXIT_FAILURE);
		}
		done += (size_t)n;
	}
	return (ssize_t)size;
}

/* A handler, not SIG_IGN: an ignored SIGPIPE would survive exec into `run`'s job. */
static void on_sigpipe(int sig)
{
}

int util__guard_stdout(void)
{
	static const cookie_io_functions_t io = {.write = stdout_write};
	struct sigaction sa = {.sa_handler = on_sigpipe, .sa_flags = SA_RESTART};
	FILE *f;

	if (sigaction(SIGPIPE, &sa, NULL))
		return -errno;
	f = fopencookie(NULL, "w", io);
	if (!f)
		return -errno;
	/* What stdio would have chosen for fd 1 itself. */
	if (setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ)) {
		fclose(f);
		return -ENOMEM;
	}
	stdout = f;
	return 0;
}

int util__scan_u64(const char **p, const char *end, unsigned long long *out)
{
	const char *s = *p;
	unsigned long long v = 0;

	if (s == end || *s < '0' || *s > '9')
		return -EPROTO;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (v > (ULLONG_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

int util__stream_error(FILE *f)
{
	struct pollfd p = { .events = POLLOUT };

	if (!ferror(f))
		return 0;
	errno = 0;
	fflush(f);
	if (errno)
		return -errno;
	/*
	 * Nothing kept to retry (stderr is unbuffered). A pipe whose reader
	 * went away says so to poll(), as POLLERR on its write end.
	 */
	p.fd = f == stdout ? STDOUT_FILENO : fileno(f);
	if (p.fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLERR))
		return -EPIPE;
	return -EIO;
}

int util__close_stdout(int status)
{
	/* A failure here does not return (stdout_write). */
	fflush(stdout);
	return status;
}

uint64_t util__fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
