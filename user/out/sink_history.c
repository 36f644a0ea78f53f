// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve --history DIR: every record serve's -o writes, kept on disk
 * (include/jobtrace/history.h). The lines are built into memory and, at
 * each pass's flush, compressed and written as one batch.
 *
 * Process and job interval records, most of a day's, are written short
 * (an "exit" line without the keys a reader derives or whose value is the
 * default, jobtrace-records(5), HISTORY FILES) by a formatter of their
 * own, user/out/history_short.c. A record the short form cannot say (an
 * OOM kill, a container's pid, a string to escape, ...) is sink_json's
 * whole line, as are the other types.
 *
 * Compression is libzstd's streaming API, not a compressor of our own:
 * the format is one that `zstdcat` reads on every distribution. A pass's
 * batch is flushed as whole zstd blocks (ZSTD_e_flush): a kill -9 leaves
 * a frame cut after the last pass written, which `zstdcat` reads up to
 * the cut (then says so) and `jobtrace history` reads without a word. A
 * frame is ended after 3 MiB of lines (zstd reads them where they were
 * built, FRAME_BUF_BYTES), at rotation and at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
/* ZSTD_c_stableInBuffer, an experimental parameter: checked where it is set. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "jobtrace/history.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"
#include "history_text_priv.h"

/* A file is closed at this size whatever its age, and at a quarter of --history-max. */
#define ROTATE_MAX_BYTES (64ULL << 20)
/* As fast as zstd goes without --fast's loss; on JSON lines it is also the smallest of 1 to 4. */
#define ZSTD_LEVEL 1
/*
 * A window of 1 MiB, not level 1's 512 KiB: a day as bench_history writes
 * it (exits, intervals, host lines, jobs coming and going) is 0.5 % smaller
 * (2 MiB: 0.8 %, for 1.5 MiB more of serve's memory; 128 KiB: 3.7 % larger,
 * though smaller on exits alone), the CPU the same.
 */
#define ZSTD_WINDOW_LOG 20
/*
 * A hash table of 8 K entries (2^13), not level 1's 16 K with an unknown
 * size: 32 KiB, where the CPU's first cache keeps it, and no larger on
 * these lines (zstd alone over an hour of bench_history's exits in its
 * 51 KB passes: 48.75 B/record against 48.85, 0.92-0.99 us against
 * 0.95-1.03; 2^12: 48.92 B; 2^15: 48.96 B and slower).
 */
#define ZSTD_HASH_LOG 13
/*
 * zstd reads a pass's lines where they were built (ZSTD_c_stableInBuffer),
 * not from a copy in a buffer of its own that wraps every MiB: an hour of
 * bench_history's exits through zstd alone, 0.74-0.80 us per record
 * against 0.93-0.99. What it took stays where it is until its frame ends:
 * a frame ends after a pass past FRAME_END_BYTES of lines (a file is
 * frames one after another, as zstdcat and every reader of ours read it;
 * 0.05 B per record more than one frame), in a buffer of FRAME_BUF_BYTES.
 */
#define FRAME_BUF_BYTES (4U << 20)
#define FRAME_END_BYTES (3U << 20)
/* Names tried after a file of the same second (a restart): a cut frame is never appended to. */
#define NAME_TRIES 60

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
	struct history_buf out; /* the records built since the last flush */
	struct history_short sh; /* the short lines' (history_short.c) */
	ZSTD_CCtx *cctx; /* the file's frame, open until rotation */
	char *zbuf; /* its output */
	size_t zcap;
	bool stable; /* zstd reads @out where it is (ZSTD_c_stableInBuffer) */
	bool said_drop;
	unsigned long frame_ends_mid_pass; /* out_full()'s: a record may have been cut by one */
	struct history_stats st;
};

static ssize_t buf_write(void *cookie, const char *data, size_t size)
{
	struct sink_history *h = cookie;
	char *p = history_buf__reserve(&h->out, size);

	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(p, data, size);
	h->out.len += size;
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

/*
 * A new compressed file named for @now, a later second when that name is
 * taken (serve restarted within the second): appended to, the cut frame a
 * kill left would hide what follows it from every reader.
 */
static int open_file(struct sink_history *h, time_t now)
{
	int fd = -1, err = 0;

	for (int i = 0; i < NAME_TRIES; i++) {
		err = history__file_name(now + i, h->name, sizeof(h->name) - 4);
		if (err)
			return err;
		strcat(h->name, ".zst");
		fd = openat(h->dirfd, h->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    HISTORY_FILE_MODE);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		return -errno;
	if (fchmod(fd, HISTORY_FILE_MODE)) {
		err = -errno;
		close(fd);
		unlinkat(h->dirfd, h->name, 0);
		return err;
	}
	h->fd = fd;
	h->start = now;
	h->bytes = 0;
	/* A new frame: a reader starts at a file's first byte. */
	ZSTD_CCtx_reset(h->cctx, ZSTD_reset_session_only);
	history_short__forget(&h->sh);
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

/*
 * The lines in @h->out zstd has not taken yet, through the file's frame
 * to the file: @mode ZSTD_e_flush (a pass: whole blocks, readable up to
 * here) or ZSTD_e_end (the frame's end: at 3 MiB of lines, and the
 * file's). 0, or a negative errno with the file cut back to @start bytes,
 * the end of the last pass written.
 */
static int zwrite(struct sink_history *h, ZSTD_EndDirective mode)
{
	struct history_buf *o = &h->out;
	ZSTD_inBuffer ib = { o->buf, o->len, o->done };
	uint64_t start = h->bytes;
	size_t left;
	int err;

	do {
		ZSTD_outBuffer ob = { h->zbuf, h->zcap, 0 };

		left = ZSTD_compressStream2(h->cctx, &ob, &ib, mode);
		if (ZSTD_isError(left)) {
			err = -EIO;
			goto cut;
		}
		err = ob.pos ? write_all(h->fd, h->zbuf, ob.pos) : 0;
		if (err)
			goto cut;
		h->bytes += ob.pos;
	} while (left || ib.pos < ib.size);
	o->done = ib.pos;
	/* Copied by zstd (or the frame is over): the room is ours again. */
	if (!h->stable || mode == ZSTD_e_end)
		o->len = o->done = 0;
	return 0;
cut:
	/* Half a block is worse than lines missing: back to the last pass's end. */
	if (ftruncate(h->fd, (off_t)start))
		err = err ? err : -errno;
	h->bytes = start;
	return err;
}

static int rotate(struct sink_history *h, time_t now)
{
	int err = zwrite(h, ZSTD_e_end);

	if (err) {
		stop(h, err, "end a file");
		return err;
	}
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

/* The lines built and not taken by zstd: dropped (the history stopped, or a line not built). */
static void drop_pending(struct sink_history *h)
{
	struct history_buf *o = &h->out;

	if (o->len > o->done)
		h->st.records_dropped += count_lines(o->buf + o->done, o->len - o->done);
	o->len = o->done;
}

/* Where a record's lines begin in @h->out: a record not built is taken back to it. */
struct record_mark {
	size_t at;
	unsigned long frame_ends;
};

static struct record_mark record_begin(const struct sink_history *h)
{
	return (struct record_mark){ h->out.len, h->frame_ends_mid_pass };
}

/*
 * After a record's lines are built (and flushed into @h->out): when there
 * was no memory for them, that record alone is lost, counted; the lines
 * built before and after it in the pass are kept.
 */
static void record_end(struct sink_history *h, const struct record_mark *m)
{
	struct history_buf *o = &h->out;
	char *p;

	if (!o->bad && !h->lines->err)
		return;
	h->st.records_dropped++;
	o->bad = false;
	h->lines->err = 0;
	clearerr(h->lines->f);
	if (h->frame_ends_mid_pass == m->frame_ends) {
		if (o->len > m->at)
			o->len = m->at;
		return;
	}
	/*
	 * A frame ended inside the record: its start is in the file, a cut
	 * line; what came after is taken back, and a newline ends the cut one
	 * so that the next line is one of its own (the reader skips the cut
	 * one as malformed).
	 */
	o->len = o->done;
	p = history_buf__reserve(o, 1);
	if (p) {
		*p = '\n';
		o->len++;
	}
	o->bad = false;
}

static int history_flush(struct sink *s)
{
	struct sink_history *h = (struct sink_history *)s;
	time_t now = now_of(h);
	int err;

	fflush(h->lines->f);
	if (h->fd < 0) {
		drop_pending(h);
		return 0;
	}
	err = h->out.len > h->out.done ? zwrite(h, ZSTD_e_flush) : 0;
	if (err) {
		drop_pending(h);
		stop(h, err, "write");
		return 0;
	}
	if ((double)(now - h->start) >= h->o.rotate_s || h->bytes >= h->rotate_bytes)
		rotate(h, now);
	else if (h->out.len >= FRAME_END_BYTES && (err = zwrite(h, ZSTD_e_end)))
		stop(h, err, "end a frame");
	return 0;
}

/*
 * No room left in @b's FRAME_BUF_BYTES for a line while zstd's frame
 * reads what it took from where it is: the frame ends here, mid-pass
 * (a reader goes on into the next one), and the room is free again.
 */
static int out_full(struct history_buf *b)
{
	struct sink_history *h = b->owner;
	int err = h->fd >= 0 ? zwrite(h, ZSTD_e_end) : 0;

	/* The record being built may have had its start taken into the frame. */
	h->frame_ends_mid_pass++;
	if (err) {
		drop_pending(h);
		stop(h, err, "end a frame");
	}
	if (h->fd < 0)
		drop_pending(h);
	b->len = b->done = 0;
	return 0;
}

static int lines_process(struct sink *s, const struct proc_record *r)
{
	struct sink_history *h = (struct sink_history *)s;
	struct record_mark m = record_begin(h);
	struct sink *l = h->lines;

	/* -ENOMEM: not built (@h->out.bad says so); 1: written whole. */
	if (history_short__exit(&h->sh, &h->out, r) > 0) {
		l->ops->process(l, r);
		fflush(l->f);
	}
	record_end(h, &m);
	return 0;
}

static int lines_interval(struct sink *s, const struct interval_record *r)
{
	struct sink_history *h = (struct sink_history *)s;
	struct record_mark m = record_begin(h);
	struct sink *l = h->lines;

	if (history_short__interval(&h->sh, &h->out, r) > 0) {
		l->ops->interval(l, r);
		/* Into @buf now: the short lines that follow go there directly. */
		fflush(l->f);
	}
	record_end(h, &m);
	return 0;
}

static int lines_host(struct sink *s, const struct host_record *r)
{
	struct sink_history *h = (struct sink_history *)s;
	struct record_mark m = record_begin(h);
	struct sink *l = h->lines;

	l->ops->host(l, r);
	/* Into @buf now: the short lines that follow go there directly. */
	fflush(l->f);
	record_end(h, &m);
	return 0;
}

static int lines_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct sink_history *h = (struct sink_history *)s;
	struct record_mark m = record_begin(h);
	struct sink *l = h->lines;

	l->ops->job_end(l, j, st);
	fflush(l->f);
	record_end(h, &m);
	return 0;
}

static void history_free(struct sink *s)
{
	struct sink_history *h = (struct sink_history *)s;

	if (h->lines)
		history_flush(s);
	/* The frame's end: the file is whole (a kill leaves it cut, still readable). */
	if (h->fd >= 0 && zwrite(h, ZSTD_e_end))
		fprintf(stderr, "jobtrace: history: cannot end %s/%s; it is kept cut\n", h->dir,
			h->name);
	if (h->st.records_dropped)
		fprintf(stderr, "jobtrace: history: %" PRIu64 " records were not kept in %s\n",
			h->st.records_dropped, h->dir);
	sink__free(h->lines);
	if (h->fd >= 0)
		close(h->fd);
	if (h->dirfd >= 0)
		close(h->dirfd);
	free(h->out.buf);
	free(h->zbuf);
	history_short__free(&h->sh);
	ZSTD_freeCCtx(h->cctx);
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
	h->cctx = ZSTD_createCCtx();
	h->zcap = ZSTD_CStreamOutSize();
	h->zbuf = malloc(h->zcap);
	f = fopencookie(h, "w", io);
	if (!h->dir || !f || !h->cctx || !h->zbuf || history_short__init(&h->sh)) {
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
	ZSTD_CCtx_setParameter(h->cctx, ZSTD_c_compressionLevel, ZSTD_LEVEL);
	ZSTD_CCtx_setParameter(h->cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(h->cctx, ZSTD_c_windowLog, ZSTD_WINDOW_LOG);
	ZSTD_CCtx_setParameter(h->cctx, ZSTD_c_hashLog, ZSTD_HASH_LOG);
	/* An experimental parameter: a libzstd without it copies, as zstd did before. */
	h->out.buf = malloc(FRAME_BUF_BYTES);
	h->stable = h->out.buf &&
		    !ZSTD_isError(ZSTD_CCtx_setParameter(h->cctx, ZSTD_c_stableInBuffer, 1));
	if (h->stable) {
		h->out.cap = FRAME_BUF_BYTES;
		h->out.full = out_full;
		h->out.owner = h;
	}
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
