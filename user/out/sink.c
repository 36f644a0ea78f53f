// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What every sink shares: its output file, its first write error, its end. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/sink.h"

FILE *sink__open_path(const char *path, bool *own)
{
	FILE *f;

	*own = false;
	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "w");
	if (!f)
		return NULL;
	*own = true;
	return f;
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
	/*
	 * errno is long gone by now; a flush of what stdio kept retries the
	 * write, and its errno is the real cause (ENOSPC, EPIPE), not EIO.
	 */
	if (!s->err && ferror(s->f)) {
		errno = 0;
		fflush(s->f);
		s->err = -(errno ? errno : EIO);
	}
	return s->err;
}

void sink__free(struct sink *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->free)
		s->ops->free(s);
	if (s->own_f && s->f)
		fclose(s->f);
	free(s);
}
