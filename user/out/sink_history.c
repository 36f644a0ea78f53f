// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve --history DIR: every JSON line serve's -o writes, kept on disk
 * (include/jobtrace/history.h). The lines are built by sink_json's writer
 * into memory and written at each pass's flush as one batch: whole
 * records or none, so a full disk never leaves a line cut in two.
 *
 * Compression is libzstd's streaming API, not a compressor of our own:
 * the format is one that `zstdcat` reads on every distribution, and the
 * library is the one the kernel and the distributions' packages use.
 * A closed file is compressed in the loop, at once: it is at most
 * ROTATE_MAX_BYTES, a fraction of a second at level 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "jobtrace/history.h"
#include "jobtrace/sink.h"

/* A file is closed at this size whatever its age, and at a quarter of --history-max. */
#define ROTATE_MAX_BYTES (64ULL << 20)
#define ZSTD_LEVEL 3

struct sink_history {
	struct sink base; /* first: sink__free() frees the whole */
	struct sink *lines; /* sink_json's JSON lines, into @buf */
	struct history_opts o;
	char *dir;
	int dirfd;
	int fd; /* the file being written; -1 when stopped */
	char name[64];
	time_t start;
	uint64_t bytes; /* in the file being written */
	uint64_t rotate_bytes;
	char *buf; /* the records built since the last flush */
	size_t len, cap;
	bool buf_bad;
	bool said_drop;
	struct history_stats st;
};

static ssize_t buf_write(void *cookie, const char *data, size_t size)
{
	struct sink_history *h = cookie;
	size_t cap = h->cap ? h->cap : 1 << 16;
	char *nb;

	while (cap - h->len < size)
		cap *= 2;
	if (cap != h->cap) {
		nb = realloc(h->buf, cap);
		if (!nb) {
			h->buf_bad = true;
			errno = ENOMEM;
			return -1;
		}
		h->buf = nb;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, data, size);
	h->len += size;
	return (ssize_t)size;
}

static size_t count_lines(const char *b, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += b[i] == '\n';
	return n;
}

/* Once: the history stops, the rest of serve goes on. */
static void stop(struct sink_history *h, int err, const char *what)
{
	if (h->st.stopped)
		return;
	h->st.stopped = true;
	h->st.stop_err = err;
	fprintf(stderr,
		"jobtrace: history: cannot %s in %s: %s; history stops here (the records not "
		"kept are counted), serve and its other outputs go on\n",
		what, h->dir, strerror(-err));
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

static int open_file(struct sink_history *h, time_t now)
{
	int fd, err;

	err = history__file_name(now, h->name, sizeof(h->name));
	if (err)
		return err;
	/* Appended to: a restart within the same second finds its own file. */
	fd = openat(h->dirfd, h->name, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
		    HISTORY_FILE_MODE);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, HISTORY_FILE_MODE)) {
		err = -errno;
		close(fd);
		return err;
	}
	h->fd = fd;
	h->start = now;
	h->bytes = (uint64_t)lseek(fd, 0, SEEK_END);
	return 0;
}

static int write_all(int fd, const char *b, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* @name (plain) to @name.zst, then @name removed; the .zst is whole or absent. */
static int compress_file(struct sink_history *h, const char *name)
{
	size_t in_cap = ZSTD_CStreamInSize(), out_cap = ZSTD_CStreamOutSize();
	char *in = malloc(in_cap), *out = malloc(out_cap);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	char tmp[80], dst[72];
	int ifd = -1, ofd = -1, err = 0;
	ssize_t n;

	snprintf(dst, sizeof(dst), "%s.zst", name);
	snprintf(tmp, sizeof(tmp), ".%s.zst.tmp", name);
	if (!in || !out || !cctx) {
		err = -ENOMEM;
		goto out;
	}
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, ZSTD_LEVEL);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	ifd = openat(h->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ofd = ifd < 0 ? -1 :
			openat(h->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			       HISTORY_FILE_MODE);
	if (ifd < 0 || ofd < 0 || fchmod(ofd, HISTORY_FILE_MODE)) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ZSTD_EndDirective mode;
		ZSTD_inBuffer ib;
		bool done = false;

		n = read(ifd, in, in_cap);
		if (n < 0) {
			err = -errno;
			goto out;
		}
		mode = n == 0 ? ZSTD_e_end : ZSTD_e_continue;
		ib = (ZSTD_inBuffer){ in, (size_t)n, 0 };
		while (!done) {
			ZSTD_outBuffer ob = { out, out_cap, 0 };
			size_t left = ZSTD_compressStream2(cctx, &ob, &ib, mode);

			if (ZSTD_isError(left)) {
				err = -EIO;
				goto out;
			}
			err = ob.pos ? write_all(ofd, out, ob.pos) : 0;
			if (err)
				goto out;
			done = mode == ZSTD_e_end ? left == 0 : ib.pos == ib.size;
		}
		if (n == 0)
			break;
	}
	/* On disk before the plain file goes: a crash keeps one of the two whole. */
	if (fsync(ofd) || renameat(h->dirfd, tmp, h->dirfd, dst) || unlinkat(h->dirfd, name, 0))
		err = -errno;
	else
		h->st.files_compressed++;
out:
	if (ofd >= 0)
		close(ofd);
	if (ifd >= 0)
		close(ifd);
	if (err)
		unlinkat(h->dirfd, tmp, 0);
	ZSTD_freeCCtx(cctx);
	free(in);
	free(out);
	return err;
}

/* The oldest files out, past the age or the size; the one being written stays. */
static void retain(struct sink_history *h, time_t now)
{
	struct history_file *files;
	int n = history__list(h->dirfd, &files);
	size_t drop;

	if (n <= 0)
		return;
	drop = history__to_drop(files, (size_t)n, now, h->o.keep_s, h->o.max_bytes);
	for (size_t i = 0; i < drop; i++) {
		if (!strcmp(files[i].name, h->name) || unlinkat(h->dirfd, files[i].name, 0))
			continue;
		if (!h->st.files_dropped)
			fprintf(stderr,
				"jobtrace: history: removing the oldest files of %s (%s), from %s on; "
				"each removal is counted\n",
				h->dir, (double)(now - files[i + 1].start) > h->o.keep_s ?
						"older than --history-keep" : "past --history-max",
				files[i].name);
		h->st.files_dropped++;
	}
	free(files);
}

/* Every plain file but the one being written: a crash, or a restart, left them. */
static void compress_left(struct sink_history *h)
{
	struct history_file *files;
	int n = history__list(h->dirfd, &files), err;

	for (int i = 0; i < n; i++) {
		if (files[i].zst || !strcmp(files[i].name, h->name))
			continue;
		err = compress_file(h, files[i].name);
		if (err == -ENOSPC || err == -EDQUOT) {
			stop(h, err, "compress");
			break;
		}
		if (err)
			fprintf(stderr, "jobtrace: history: cannot compress %s/%s: %s; kept plain\n",
				h->dir, files[i].name, strerror(-err));
	}
	free(files);
}

static int rotate(struct sink_history *h, time_t now)
{
	int err;

	close(h->fd);
	h->fd = -1;
	err = open_file(h, now);
	if (err) {
		stop(h, err, "open a new file");
		return err;
	}
	compress_left(h);
	retain(h, now);
	return 0;
}

static time_t now_of(const struct sink_history *h)
{
	return h->o.now ? h->o.now() : time(NULL);
}

static int history_flush(struct sink *s)
{
	struct sink_history *h = (struct sink_history *)s;
	time_t now = now_of(h);
	off_t start;
	size_t done = 0;
	ssize_t n;
	int err = 0;

	fflush(h->lines->f);
	if (h->buf_bad || h->lines->err) {
		/* No memory to build a record: what was built is dropped, counted. */
		h->st.records_dropped += count_lines(h->buf, h->len) + 1;
		h->buf_bad = false;
		h->lines->err = 0;
		clearerr(h->lines->f);
		h->len = 0;
	}
	if (h->fd < 0) {
		h->st.records_dropped += count_lines(h->buf, h->len);
		h->len = 0;
		return 0;
	}
	start = (off_t)h->bytes;
	while (done < h->len) {
		n = write(h->fd, h->buf + done, h->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -ENOSPC;
			break;
		}
		done += (size_t)n;
	}
	if (err) {
		/* The batch is taken back whole: a line cut in two is worse than lines missing. */
		if (ftruncate(h->fd, start))
			err = -errno;
		h->st.records_dropped += count_lines(h->buf, h->len);
		h->len = 0;
		stop(h, err, "write");
		return 0;
	}
	h->bytes += h->len;
	h->len = 0;
	if ((double)(now - h->start) >= h->o.rotate_s || h->bytes >= h->rotate_bytes)
		rotate(h, now);
	return 0;
}

/* Each record: sink_json's writer into @buf, then this sink's own stats. */
static int lines_process(struct sink *s, const struct proc_record *r)
{
	struct sink *l = ((struct sink_history *)s)->lines;

	return l->ops->process(l, r), 0;
}

static int lines_interval(struct sink *s, const struct interval_record *r)
{
	struct sink *l = ((struct sink_history *)s)->lines;

	return l->ops->interval(l, r), 0;
}

static int lines_host(struct sink *s, const struct host_record *r)
{
	struct sink *l = ((struct sink_history *)s)->lines;

	return l->ops->host(l, r), 0;
}

static int lines_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct sink *l = ((struct sink_history *)s)->lines;

	return l->ops->job_end(l, j, st), 0;
}

static void history_free(struct sink *s)
{
	struct sink_history *h = (struct sink_history *)s;

	if (h->lines)
		history_flush(s);
	if (h->st.records_dropped)
		fprintf(stderr, "jobtrace: history: %" PRIu64 " records were not kept in %s\n",
			h->st.records_dropped, h->dir);
	sink__free(h->lines);
	if (h->fd >= 0)
		close(h->fd);
	if (h->dirfd >= 0)
		close(h->dirfd);
	free(h->buf);
	free(h->dir);
}

static const struct sink_ops history_ops = {
	.name = "history",
	.process = lines_process,
	.interval = lines_interval,
	.host = lines_host,
	.job_end = lines_job_end,
	.flush = history_flush,
	.free = history_free,
};

/*
 * The directory, made when missing, and its parents with it (serve run by
 * hand with the unit's config, whose StateDirectory systemd did not make);
 * the last component never through a symbolic link.
 */
static int open_dir(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);
	int fd;

	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, HISTORY_DIR_MODE) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, HISTORY_DIR_MODE) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

struct sink *sink_history__new(const struct history_opts *o)
{
	static const cookie_io_functions_t io = { .write = buf_write };
	struct sink_history *h = calloc(1, sizeof(*h));
	FILE *f;
	int err = -ENOMEM;

	if (!h)
		goto fail;
	h->base.ops = &history_ops;
	h->base.path = o->dir;
	h->o = *o;
	if (!h->o.rotate_s)
		h->o.rotate_s = HISTORY_DEFAULT_ROTATE_S;
	if (!h->o.keep_s)
		h->o.keep_s = HISTORY_DEFAULT_KEEP_S;
	if (!h->o.max_bytes)
		h->o.max_bytes = HISTORY_DEFAULT_MAX_BYTES;
	h->rotate_bytes = h->o.max_bytes / 4 < ROTATE_MAX_BYTES ? h->o.max_bytes / 4 :
								  ROTATE_MAX_BYTES;
	if (h->rotate_bytes < 4096)
		h->rotate_bytes = 4096;
	h->fd = -1;
	h->dirfd = -1;
	h->dir = strdup(o->dir);
	f = fopencookie(h, "w", io);
	if (!h->dir || !f) {
		if (f)
			fclose(f);
		goto fail_free;
	}
	/* Into memory: the batching to the file is this sink's (history_flush). */
	h->lines = sink__own_file(sink_jsonl__new(f, o->top, true, true, true, true), f, false,
				  h->dir);
	if (!h->lines) {
		fclose(f);
		goto fail_free;
	}
	h->lines->own_f = true;
	h->dirfd = err = open_dir(o->dir);
	if (err < 0)
		goto fail_free;
	err = open_file(h, now_of(h));
	/* A disk full already (no inode left): the history stops, serve starts all the same. */
	if (err == -ENOSPC || err == -EDQUOT) {
		stop(h, err, "make a file");
		return &h->base;
	}
	if (err)
		goto fail_free;
	compress_left(h);
	retain(h, now_of(h));
	return &h->base;
fail_free:
	fprintf(stderr, "jobtrace: history: cannot keep history in %s: %s\n", o->dir,
		strerror(-err));
	sink__free(&h->base);
	errno = -err;
	return NULL;
fail:
	errno = ENOMEM;
	return NULL;
}

void sink_history__stats(const struct sink *s, struct history_stats *out)
{
	*out = ((const struct sink_history *)s)->st;
}
