// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reading /proc/PID files from a proc root (a directory fd) into the parsers
 * of proc_pid.c, with the errors that tell a process that exited (-ESRCH)
 * from a file this kernel lacks (-EOPNOTSUPP).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobtrace/proc_fd.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

/* Largest file we agree to read whole: a cmdline is bounded by ARG_MAX. */
#define READ_MAX_BYTES (16u << 20)

/* "PID/name"; a pid has at most 10 digits, names are short literals. */
static void pid_path(char *path, size_t size, int pid, const char *name)
{
	snprintf(path, size, "%d/%s", pid, name);
}

/* Whether /proc/PID itself is still there. */
static bool pid_exists(int proc_fd, int pid)
{
	char path[16];
	struct stat st;

	snprintf(path, sizeof(path), "%d", pid);
	return fstatat(proc_fd, path, &st, 0) == 0;
}

/*
 * ENOENT on a file every process has means the pid dir went away under us;
 * the kernel answers ESRCH once the task is reaped but the dir still open.
 */
static int gone(int err)
{
	return err == -ENOENT ? -ESRCH : err;
}

/*
 * For a file only some kernels provide, ENOENT while the pid dir is still
 * there means "not on this kernel", which the caller must not take for an
 * exit.
 */
static int gone_or_unsupported(int proc_fd, int pid, int err)
{
	if (err != -ENOENT)
		return err;
	return pid_exists(proc_fd, pid) ? -EOPNOTSUPP : -ESRCH;
}

/* Reads PID/name into a buffer that grows until the whole file fits. */
static int read_grow(int proc_fd, int pid, const char *name, char **bufp, size_t *lenp)
{
	char path[64];
	size_t size = 4096;
	char *buf = NULL;
	ssize_t n;

	pid_path(path, sizeof(path), pid, name);
	for (;;) {
		char *nbuf = realloc(buf, size);

		if (!nbuf) {
			free(buf);
			return -ENOMEM;
		}
		buf = nbuf;
		n = util__read_file_at(proc_fd, path, buf, size);
		if (n != -EFBIG || size >= READ_MAX_BYTES)
			break;
		size *= 2;
	}
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	*bufp = buf;
	*lenp = (size_t)n;
	return 0;
}

static int read_small(int proc_fd, int pid, const char *name, char *buf, size_t size)
{
	char path[64];

	pid_path(path, sizeof(path), pid, name);
	return (int)util__read_file_at(proc_fd, path, buf, size);
}

int proc_pid__read_stat(int proc_fd, int pid, struct proc_stat_fields *out)
{
	/* 52 fields of at most 20 digits and a 63-byte comm fit twice over. */
	char buf[4096];
	int n = read_small(proc_fd, pid, "stat", buf, sizeof(buf));

	if (n < 0) {
		memset(out, 0, sizeof(*out));
		return gone(n);
	}
	return proc_pid__parse_stat(buf, (size_t)n, out);
}

int proc_pid__start_ns(int proc_fd, int pid, uint64_t *start_ns)
{
	struct proc_stat_fields st;
	int err = proc_pid__read_stat(proc_fd, pid, &st);

	if (err)
		return err;
	*start_ns = st.starttime_ticks * proc_pid__tick_ns();
	return 0;
}

uint64_t proc_pid__tick_ns(void)
{
	return 1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK);
}

int proc_pid__read_statm(int proc_fd, int pid, struct proc_statm *out)
{
	char buf[512];
	int n = read_small(proc_fd, pid, "statm", buf, sizeof(buf));

	if (n < 0) {
		memset(out, 0, sizeof(*out));
		return gone(n);
	}
	return proc_pid__parse_statm(buf, (size_t)n, sysconf(_SC_PAGESIZE), out);
}

int proc_pid__read_status(int proc_fd, int pid, struct proc_status *out)
{
	/* Cpus_allowed grows with the CPU count: no fixed buffer is enough. */
	size_t len;
	char *buf;
	int err = read_grow(proc_fd, pid, "status", &buf, &len);

	if (err) {
		memset(out, 0, sizeof(*out));
		return gone(err);
	}
	err = proc_pid__parse_status(buf, len, out);
	free(buf);
	return err;
}

int proc_pid__read_smaps_rollup(int proc_fd, int pid, struct proc_smaps_rollup *out)
{
	char buf[8192];
	int n = read_small(proc_fd, pid, "smaps_rollup", buf, sizeof(buf));

	if (n < 0) {
		memset(out, 0, sizeof(*out));
		return gone_or_unsupported(proc_fd, pid, n);
	}
	return proc_pid__parse_smaps_rollup(buf, (size_t)n, out);
}

int proc_pid__read_io(int proc_fd, int pid, struct proc_io *out)
{
	char buf[1024];
	int n = read_small(proc_fd, pid, "io", buf, sizeof(buf));

	if (n < 0) {
		memset(out, 0, sizeof(*out));
		return gone_or_unsupported(proc_fd, pid, n);
	}
	return proc_pid__parse_io(buf, (size_t)n, out);
}

static int count_one(int fd, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

int proc_pid__count_fds(int proc_fd, int pid)
{
	int n = 0, err;

	/* Counting our own pid includes the walk's own fd: the caller compares differences. */
	err = proc_fd__walk(proc_fd, pid, count_one, &n);
	return err ? gone(err) : n;
}

static int read_link(int proc_fd, int pid, const char *name, struct proc_link *out)
{
	char path[32];
	ssize_t n;
	int err;

	memset(out, 0, sizeof(*out));
	pid_path(path, sizeof(path), pid, name);
	n = readlinkat(proc_fd, path, out->path, sizeof(out->path));
	if (n < 0) {
		err = -errno;
		/* A live process with no mm (kernel thread, zombie) has no exe; gone otherwise. */
		if (err == -ENOENT && pid_exists(proc_fd, pid))
			return 0;
		return gone(err);
	}
	if ((size_t)n == sizeof(out->path)) {
		/* Possibly cut: leave no unterminated half path behind. */
		memset(out, 0, sizeof(*out));
		return -ENAMETOOLONG;
	}
	proc_link__set(out, out->path, (size_t)n);
	return 0;
}

int proc_pid__read_cwd(int proc_fd, int pid, struct proc_link *out)
{
	return read_link(proc_fd, pid, "cwd", out);
}

int proc_pid__read_exe(int proc_fd, int pid, struct proc_link *out)
{
	return read_link(proc_fd, pid, "exe", out);
}

ssize_t proc_pid__read_args(int proc_fd, int pid, char *buf, size_t size)
{
	char path[32];
	ssize_t n;
	int fd;

	pid_path(path, sizeof(path), pid, "cmdline");
	fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gone(-errno);
	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = gone(-errno);
	close(fd);
	return n;
}

int proc_pid__read_cmdline(int proc_fd, int pid, struct proc_cmdline *out)
{
	size_t len;
	char *buf;
	int err = read_grow(proc_fd, pid, "cmdline", &buf, &len);

	if (err) {
		memset(out, 0, sizeof(*out));
		return gone(err);
	}
	err = proc_pid__parse_cmdline(buf, len, out);
	free(buf);
	return err;
}

int proc_pid__read_cgroup(int proc_fd, int pid, struct proc_cgroup *out)
{
	size_t len;
	char *buf;
	int err = read_grow(proc_fd, pid, "cgroup", &buf, &len);

	if (err) {
		memset(out, 0, sizeof(*out));
		return gone_or_unsupported(proc_fd, pid, err);
	}
	err = proc_pid__parse_cgroup(buf, len, out);
	free(buf);
	return err;
}

int proc_pid__read_environ(int proc_fd, int pid, struct proc_cmdline *out)
{
	size_t len;
	char *buf;
	int err = read_grow(proc_fd, pid, "environ", &buf, &len);

	if (err) {
		memset(out, 0, sizeof(*out));
		/* No mm: a kernel thread, or a zombie. Either way, nothing to show. */
		if ((err == -ESRCH || err == -ENOENT) && pid_exists(proc_fd, pid))
			return 0;
		return gone(err);
	}
	err = proc_pid__parse_environ(buf, len, out);
	free(buf);
	return err;
}

int proc_pid__read_task_stat(int proc_fd, int pid, int tid, struct proc_stat_fields *out)
{
	char path[64], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "%d/task/%d/stat", pid, tid);
	n = util__read_file_at(proc_fd, path, buf, sizeof(buf));
	if (n < 0) {
		memset(out, 0, sizeof(*out));
		return gone((int)n);
	}
	return proc_pid__parse_stat(buf, (size_t)n, out);
}
