// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What every sink shares: its output file, its first write error, its end.
 * The interface between the collector, which owns its sinks and frees them,
 * and the outputs in user/out/, which build on it: it lives with the
 * collector, so that the collector never reaches up into the outputs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobtrace/sink.h"
#include "jobtrace/util.h"

/*
 * The descriptors sink__open_path() handed out, its outputs': a file one
 * of them writes is not emptied for another (the second job's picture,
 * named PIC.2.svg, was -o's PIC.2.svg: emptied, its report lost, and
 * written over). The names given are checked against each other before
 * any opens (options.c); a name made later is checked here. Only these:
 * a descriptor the caller passed on (a shell's 2>F, flock(1)'s lock on F)
 * is none of jobtrace's outputs, unless one writes there (-o -, run's report
 * on standard error: sink__note_output_fd()). An entry outlives its descriptor's
 * close; a number taken again by a file that is not this one is no match.
 */
#define OUTPUT_FDS_MAX 64
static int output_fds[OUTPUT_FDS_MAX];
static size_t noutput_fds;

void sink__note_output_fd(int fd)
{
	size_t i;

	for (i = 0; i < noutput_fds && output_fds[i] != fd; i++)
		;
	if (i == noutput_fds && noutput_fds < OUTPUT_FDS_MAX)
		output_fds[noutput_fds++] = fd;
}

static bool held_by_output(const struct stat *st, int self)
{
	for (size_t i = 0; i < noutput_fds; i++) {
		struct stat o;

		if (output_fds[i] != self && !fstat(output_fds[i], &o) && S_ISREG(o.st_mode) &&
		    o.st_dev == st->st_dev && o.st_ino == st->st_ino)
			return true;
	}
	return false;
}

/* An existing file: a regular one, or a device (/dev/null); never a FIFO that blocks the open. */
static int open_existing(const char *path)
{
	struct stat st;
	int fd, err;

	/* O_NONBLOCK: a FIFO put there meanwhile must not hang the open; fstat refuses it. */
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	/* ENXIO: a FIFO with no reader, or a socket; neither is a file to write a report to. */
	if (fd < 0)
		return errno == ENXIO ? -EINVAL : -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		err = -EINVAL;
		goto close_fd;
	}
	if (S_ISREG(st.st_mode) && held_by_output(&st, fd)) {
		err = -EBUSY;
		goto close_fd;
	}
	/* Emptied only now that it is known to be the file it should be. */
	if ((S_ISREG(st.st_mode) && ftruncate(fd, 0)) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		err = -errno;
		goto close_fd;
	}
	return fd;
close_fd:
	close(fd);
	return err;
}

/*
 * A name for a descriptor the user already holds (/dev/stderr, /dev/fd/N,
 * /proc/self/fd/N, as `-o >(cmd)` passes): its number, else -1. Such a
 * name is a symbolic link, which the opens below refuse; the descriptor is
 * duplicated instead, so no path is followed at all.
 */
static int named_fd(const char *path)
{
	static const char *const dirs[] = { "/dev/fd/", "/proc/self/fd/" };
	char *end;
	long n;

	if (!strcmp(path, "/dev/stdout"))
		return 1;
	if (!strcmp(path, "/dev/stderr"))
		return 2;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t len = strlen(dirs[i]);

		if (strncmp(path, dirs[i], len) || path[len] < '0' || path[len] > '9')
			continue;
		errno = 0;
		n = strtol(path + len, &end, 10);
		if (!errno && !*end && n >= 0 && n < (1L << 20))
			return (int)n;
	}
	return -1;
}

FILE *sink__open_path(const char *path, bool *own)
{
	int fd = -ENOENT, err, held;
	FILE *f;

	*own = false;
	if (!strcmp(path, "-")) {
		/* The shell's > FILE is this output's file as much as any named one. */
		sink__note_output_fd(STDOUT_FILENO);
		return stdout;
	}
	held = named_fd(path);
	if (held >= 0) {
		int fl = fcntl(held, F_GETFL);

		/* Not open, or open for reading only: say so now, not at the first write. */
		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
			fd = fl < 0 ? -ENOENT : -EBADF;
		else if ((fd = fcntl(held, F_DUPFD_CLOEXEC, 3)) < 0)
			fd = -errno;
	}
	/* Made, or found: a file removed between the two opens is made again, a few times. */
	for (int tries = 0; held < 0 && tries < 4 && fd == -ENOENT; tries++) {
		/* O_EXCL never follows a symbolic link, dangling or not. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  SINK_FILE_MODE);
		if (fd >= 0) {
			/* A umask took bits away (077) or left group write (000): ours is set. */
			if (fchmod(fd, SINK_FILE_MODE)) {
				err = -errno;
				close(fd);
				unlink(path);
				fd = err;
			}
			break;
		}
		if (errno != EEXIST) {
			fd = -errno;
			break;
		}
		fd = open_existing(path);
	}
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	sink__note_output_fd(fd);
	*own = true;
	return f;
}

const char *sink__strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err == ELOOP)
		return "it is a symbolic link, which jobtrace does not follow "
		       "(name the file itself)";
	if (err == EINVAL)
		return "not a regular file";
	if (err == EBUSY)
		return "another output of this jobtrace writes to it";
	return strerror(err);
}

/* The record's bytes as stdio hands them over; a record that cannot grow is dropped whole. */
static ssize_t rec_write(void *cookie, const char *buf, size_t size)
{
	struct sink *s = cookie;
	size_t cap = s->rec_cap ? s->rec_cap : 4096;
	char *rec;

	while (cap - s->rec_len < size)
		cap *= 2;
	if (cap != s->rec_cap) {
		rec = realloc(s->rec, cap);
		if (!rec) {
			s->rec_bad = true;
			errno = ENOMEM;
			return -1;
		}
		s->rec = rec;
		s->rec_cap = cap;
	}
	memcpy(s->rec + s->rec_len, buf, size);
	s->rec_len += size;
	return (ssize_t)size;
}

struct sink *sink__own_file(struct sink *s, FILE *f, bool own, const char *path)
{
	static const cookie_io_functions_t io = { .write = rec_write };

	if (!s) {
		if (own)
			fclose(f);
		return NULL;
	}
	s->path = path;
	s->own_f = own;
	s->f = f;
	/* A standard stream keeps stdio's way: main() guards standard output already. */
	if (!own)
		return s;
	s->file = f;
	s->fd = fileno(f);
	s->f = fopencookie(s, "w", io);
	if (!s->f) {
		s->f = f;
		sink__free(s);
		return NULL;
	}
	s->whole = true;
	return s;
}

/* Says it once when dropping starts, and once when writing works again. */
static void note_drop(struct sink *s, int err, size_t records)
{
	s->dropped += records;
	if (!s->drop_err)
		s->drop_err = err;
	/* A reader that went away (-o /dev/stdout | head) wanted no more: no word. */
	if (!s->dropping && err != -EPIPE)
		fprintf(stderr,
			"jobtrace: cannot write to %s: %s; records are dropped (and counted) "
			"until it can\n",
			s->path, strerror(-err));
	s->dropping = true;
}

/*
 * Writes the whole records held, with as few write(2)s as the file takes.
 * A short write keeps the records that made it whole and takes back the
 * part of the one cut (ftruncate): a line cut in two is worse than a line
 * missing. The records not written are dropped and counted.
 */
static int write_batch(struct sink *s)
{
	size_t len = s->nends ? s->ends[s->nends - 1] : 0, done = 0, kept = 0;
	off_t start;
	ssize_t n;
	int err = 0;

	if (!len)
		return 0;
	/* -1 on a device: nothing there to take back. */
	start = lseek(s->fd, 0, SEEK_CUR);
	while (done < len) {
		n = write(s->fd, s->rec + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -ENOSPC;
			break;
		}
		done += (size_t)n;
	}
	/* What follows the last whole record (nothing, between records) is kept for later. */
	memmove(s->rec, s->rec + len, s->rec_len - len);
	s->rec_len -= len;
	if (!err) {
		if (s->dropping)
			fprintf(stderr, "jobtrace: writing to %s again; %" PRIu64 " records were "
					"dropped so far\n",
				s->path, (uint64_t)s->dropped);
		s->dropping = false;
		s->nends = 0;
		return 0;
	}
	while (kept < s->nends && s->ends[kept] <= done)
		kept++;
	len = kept ? s->ends[kept - 1] : 0;
	if (done != len &&
	    (start < 0 || ftruncate(s->fd, start + (off_t)len) ||
	     lseek(s->fd, start + (off_t)len, SEEK_SET) < 0)) {
		s->err = err;
		fprintf(stderr, "jobtrace: cannot write to %s: %s; a record was cut and cannot be "
				"taken back: nothing more is written there\n",
			s->path, strerror(-err));
		s->nends = 0;
		return err;
	}
	note_drop(s, err, s->nends - kept);
	s->nends = 0;
	return err;
}

/* Bytes held before they are written: a few write(2)s per pass of the loop, not one per record. */
#define SINK_BATCH_BYTES (64 * 1024)

/* Closes the record @s->f has built: held whole, or dropped whole when it could not be built. */
static int end_record(struct sink *s)
{
	size_t last = s->nends ? s->ends[s->nends - 1] : 0;

	/* Whatever stdio still holds joins the record first. */
	if (fflush(s->f) || s->rec_bad) {
		clearerr(s->f);
		s->rec_bad = false;
		s->rec_len = last;
		note_drop(s, -ENOMEM, 1);
		return -ENOMEM;
	}
	if (s->rec_len == last)
		return 0;
	if (s->nends == s->ends_cap) {
		size_t cap = s->ends_cap ? s->ends_cap * 2 : 64;
		size_t *ends = realloc(s->ends, cap * sizeof(*ends));

		if (!ends) {
			s->rec_len = last;
			note_drop(s, -ENOMEM, 1);
			return -ENOMEM;
		}
		s->ends = ends;
		s->ends_cap = cap;
	}
	s->ends[s->nends++] = s->rec_len;
	return s->rec_len >= SINK_BATCH_BYTES ? write_batch(s) : 0;
}

int sink__flush(struct sink *s)
{
	if (s->whole)
		return s->err ? s->err : write_batch(s);
	if (fflush(s->f) && !s->err)
		s->err = -errno;
	return s->err;
}

/* The byte at @off of the file behind @fd, which may be open for writing only. */
static int last_byte(int fd, off_t off, char *c)
{
	char path[64];
	int rfd;

	if (pread(fd, c, 1, off) == 1)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	if (pread(rfd, c, 1, off) != 1) {
		close(rfd);
		return -EIO;
	}
	close(rfd);
	return 0;
}

void sink__start_line(FILE *f)
{
	off_t end;
	char last;
	int fd;

	fflush(f);
	/* main() wraps stdout in a stream of its own, which has no fileno. */
	fd = f == stdout ? STDOUT_FILENO : fileno(f);
	end = lseek(fd, 0, SEEK_CUR);
	/*
	 * A file: its last byte says whether the command's output ended its
	 * line. A pipe or a terminal cannot be asked; nearly every command
	 * ends its output with a newline, and an empty line would be noise.
	 */
	if (end > 0 && (last_byte(fd, end - 1, &last) || last != '\n'))
		fputc('\n', f);
}

int sink__check(struct sink *s)
{
	if (s->whole)
		return s->err ? s->err : end_record(s);
	/* The real cause (ENOSPC, EPIPE), not EIO: util__stream_error(). */
	if (!s->err)
		s->err = util__stream_error(s->f);
	return s->err;
}

void sink__free(struct sink *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->free)
		s->ops->free(s);
	/* The loop flushed at its end; this is for a sink that never ran in one. */
	if (s->whole && !s->err)
		write_batch(s);
	if (s->dropped && s->drop_err != -EPIPE)
		fprintf(stderr, "jobtrace: %s: %" PRIu64 " records were dropped in all (%s)\n",
			s->path, (uint64_t)s->dropped, strerror(-s->drop_err));
	if (s->whole) {
		/* Every record was written or dropped whole: the cookie holds nothing. */
		fclose(s->f);
		s->f = s->file;
		free(s->rec);
		free(s->ends);
	}
	if (s->own_f && s->f)
		fclose(s->f);
	free(s);
}
