// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve --history DIR: every record serve's -o writes, kept on disk
 * (include/jobtrace/history.h). The lines are built into memory and, at
 * each pass's flush, compressed and written as one batch.
 *
 * Process records, most of a day's, are written short here (an "exit"
 * line without the keys a reader derives or whose value is the default,
 * jobtrace-records(5), HISTORY FILES), by a formatter of their own: with
 * sink_json's writer and a plain file compressed at rotation, formatting,
 * then compressing 1.2 KB per record, then writing and reading it again
 * were 5 us of serve's CPU per record (make bench). A record the short
 * form cannot say (an OOM kill, a container's pid, a string to escape,
 * ...) is sink_json's whole line, as are the other types.
 *
 * Compression is libzstd's streaming API, not a compressor of our own:
 * the format is one that `zstdcat` reads on every distribution. A pass's
 * batch is flushed as whole zstd blocks (ZSTD_e_flush): a kill -9 leaves
 * a frame cut after the last pass written, which `zstdcat` reads up to
 * the cut (then says so) and `jobtrace history` reads without a word. The
 * frame is ended at rotation and at exit.
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
	char *buf; /* the records built since the last flush */
	size_t len, cap;
	bool buf_bad;
	uint32_t user_uid; /* the last uid named, and its name ("" : none) */
	char user[64];
	size_t user_len;
	struct num_text time_s, boot_epoch; /* the last written */
	ZSTD_CCtx *cctx; /* the file's frame, open until rotation */
	char *zbuf; /* its output */
	size_t zcap;
	bool said_drop;
	struct history_stats st;
};

/* Room for @size more bytes at @h->buf + @h->len; NULL when there is no memory. */
static char *buf_reserve(struct sink_history *h, size_t size)
{
	size_t cap = h->cap ? h->cap : 1 << 16;
	char *nb;

	while (cap - h->len < size)
		cap *= 2;
	if (cap != h->cap) {
		nb = realloc(h->buf, cap);
		if (!nb) {
			h->buf_bad = true;
			return NULL;
		}
		h->buf = nb;
		h->cap = cap;
	}
	return h->buf + h->len;
}

static ssize_t buf_write(void *cookie, const char *data, size_t size)
{
	struct sink_history *h = cookie;
	char *p = buf_reserve(h, size);

	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(p, data, size);
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
 * @len bytes of @b through the file's frame to the file: @mode
 * ZSTD_e_flush (a pass: whole blocks, readable up to here) or ZSTD_e_end
 * (the file's end). 0, or a negative errno with the file cut back to
 * @start bytes, the end of the last pass written.
 */
static int zwrite(struct sink_history *h, const char *b, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer ib = { b, len, 0 };
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
	int err = zwrite(h, NULL, 0, ZSTD_e_end);

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

static int history_flush(struct sink *s)
{
	struct sink_history *h = (struct sink_history *)s;
	time_t now = now_of(h);
	int err;

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
	err = h->len ? zwrite(h, h->buf, h->len, ZSTD_e_flush) : 0;
	if (err) {
		h->st.records_dropped += count_lines(h->buf, h->len);
		h->len = 0;
		stop(h, err, "write");
		return 0;
	}
	h->len = 0;
	if ((double)(now - h->start) >= h->o.rotate_s || h->bytes >= h->rotate_bytes)
		rotate(h, now);
	return 0;
}

/* ---- short "exit" lines ---- */

/*
 * The short "exit" line of @r into @h->buf (jobtrace-records(5), HISTORY
 * FILES): "time" exact to the nanosecond, so that a reader makes
 * start_time, end_time and duration_s as sink_json makes them; exit_ns as
 * the boot clock's epoch (one number for a whole boot, where exit_ns is a
 * new one every line); the keys whose value is false, 0, an empty "io", or
 * a sum of others left out; the rest as the whole line has them. 1 when
 * @r is one the short line cannot say (sink_json writes it whole), 0 when
 * written, -ENOMEM.
 *
 * The keys that are the same for every process of a job (its key, parent,
 * cgroup, user, ...) come one after another, between the ones that differ
 * (pid, duration, comm, ...): zstd then takes them from the job's last
 * line as one match, not as one each.
 */
static int short_exit(struct sink_history *h, const struct proc_record *r)
{
	const struct jt_exit_event *e = r->e;
	size_t klen = strlen(r->job->key), clen = r->cgroup ? strlen(r->cgroup) : 0;
	size_t comm_len = strnlen(e->comm, JT_COMM_LEN), exe_len = r->exe ? strlen(r->exe) : 0;
	int st = (int)e->exit_status;
	const char *user = h->user;
	char *p, *p0;

	/* A name per uid, looked up once: most records are a few users'. */
	if (e->uid != h->user_uid || !h->user[0]) {
		h->user_uid = e->uid;
		if (!util__user_name(e->uid, h->user, sizeof(h->user)) ||
		    !history_text__plain(h->user, strlen(h->user)))
			h->user[0] = '\0';
		h->user_len = strlen(h->user);
	}
	if (r->oom || r->job->key_truncated || (e->ns_pid && e->ns_pid != e->pid) || !r->cgroup ||
	    !e->cgroup_id || e->uid == JT_ID_UNKNOWN || e->gid == JT_ID_UNKNOWN || !user[0] ||
	    e->exit_ns < e->start_ns || r->end_epoch_ns < e->exit_ns ||
	    !history_text__plain(r->job->key, klen) || !history_text__plain(r->cgroup, clen) || !history_text__plain(e->comm, comm_len) ||
	    (r->exe && !history_text__plain(r->exe, exe_len)))
		return 1;
	/* Keys and numbers: well under 1 KiB; the strings, each with its quotes and comma. */
	p0 = p = buf_reserve(h, 1024 + klen + clen + comm_len + exe_len + h->user_len +
				       (r->args ? r->args_len * 4 : 0));
	if (!p)
		return -ENOMEM;
	p = PUT(p, "{\"type\":\"exit\",\"time\":");
	p = history_text__secs_cached(p, &h->time_s, r->end_epoch_ns);
	p = PUT(p, ",\"pid\":");
	p = history_text__u64(p, e->pid);
	/* The start as its duration before the exit: a short number, where start_ns is 14 digits. */
	p = PUT(p, ",\"duration_s\":");
	p = history_text__secs(p, e->exit_ns - e->start_ns);
	/* From here to "user": what a job's processes mostly share. */
	p = PUT(p, ",\"job\":");
	p = history_text__str(p, r->job->key, klen);
	p = PUT(p, ",\"ppid\":");
	p = history_text__u64(p, e->ppid);
	p = PUT(p, ",\"parent_start_ns\":");
	p = history_text__u64(p, e->parent_start_ns);
	/* exit_ns is "time" less it: the boot clock's zero on the epoch's, as serve took it. */
	p = PUT(p, ",\"boot_epoch_ns\":");
	p = history_text__cached(p, &h->boot_epoch, r->end_epoch_ns - e->exit_ns);
	/* The job's own cgroup (a "cgroup:" key), most processes' own: left out. */
	if (strncmp(r->job->key, "cgroup:", 7) || strcmp(r->job->key + 7, r->cgroup)) {
		p = PUT(p, ",\"cgroup\":");
		p = history_text__str(p, r->cgroup, clen);
	}
	p = PUT(p, ",\"cgroup_id\":");
	p = history_text__u64(p, e->cgroup_id);
	if (r->cgroup_hierarchy > 0) {
		p = PUT(p, ",\"cgroup_hierarchy\":");
		p = history_text__u64(p, (uint64_t)r->cgroup_hierarchy);
	}
	/* One thread, most processes': left out. */
	if (e->threads != 1) {
		p = PUT(p, ",\"threads\":");
		p = history_text__u64(p, e->threads);
	}
	if (e->flags & JT_F_EXISTING)
		p = PUT(p, ",\"existing_at_attach\":true");
	if (e->flags & JT_F_MOVED)
		p = PUT(p, ",\"moved\":true");
	if (e->flags & JT_F_EXECED)
		p = PUT(p, ",\"execed\":true");
	if (e->is_root)
		p = PUT(p, ",\"is_root\":true");
	p = PUT(p, ",\"uid\":");
	p = history_text__u64(p, e->uid);
	p = PUT(p, ",\"gid\":");
	p = history_text__u64(p, e->gid);
	p = PUT(p, ",\"user\":");
	p = history_text__str(p, user, h->user_len);
	p = PUT(p, ",\"comm\":");
	p = history_text__str(p, e->comm, comm_len);
	if (r->args) {
		p = PUT(p, ",\"args\":[");
		if (r->args_len)
			p = history_text__args(p, r->args, r->args_len);
		if (!p)
			return 1; /* nothing kept of it: h->len moves at the end */
		*p++ = ']';
		if (r->args_truncated)
			p = PUT(p, ",\"args_truncated\":true");
		if (r->args_inherited)
			p = PUT(p, ",\"args_inherited\":true");
	} else {
		p = PUT(p, ",\"args\":null");
	}
	/* A path it was exec'd by (its args[0]): left out. */
	if (r->exe && !(r->args && r->args_len > exe_len && !memcmp(r->args, r->exe, exe_len + 1))) {
		p = PUT(p, ",\"exe\":");
		p = history_text__str(p, r->exe, exe_len);
	} else if (!r->exe) {
		p = PUT(p, ",\"exe\":null");
	}
	if (WIFSIGNALED(st)) {
		p = PUT(p, ",\"signal\":");
		p = history_text__u64(p, (uint64_t)WTERMSIG(st));
		if (WCOREDUMP(st))
			p = PUT(p, ",\"core_dumped\":true");
	} else if (WEXITSTATUS(st)) {
		p = PUT(p, ",\"exit_code\":");
		p = history_text__u64(p, (uint64_t)WEXITSTATUS(st));
	}
	p = PUT(p, ",\"cpu\":{\"user_s\":");
	p = history_text__secs(p, e->user_ns);
	p = PUT(p, ",\"system_s\":");
	p = history_text__secs(p, e->system_ns);
	/* Their sum, as the BPF source has it: left out. */
	if (e->acct.cpu_ns != e->user_ns + e->system_ns) {
		p = PUT(p, ",\"total_ns\":");
		p = history_text__u64(p, e->acct.cpu_ns);
	}
	p = PUT(p, "},\"peak_rss_bytes\":");
	p = history_text__u64(p, e->peak_rss_bytes);
	if (e->acct.read_bytes || e->acct.write_bytes || e->acct.read_chars ||
	    e->acct.write_chars) {
		char *io = p = PUT(p, ",\"io\":{");

#define IO(key, v)                                    \
	if (v) {                                      \
		if (p != io)                          \
			*p++ = ',';                   \
		p = PUT(p, "\"" key "\":");           \
		p = history_text__u64(p, v);                    \
	}
		IO("read_bytes", e->acct.read_bytes)
		IO("write_bytes", e->acct.write_bytes)
		IO("read_chars", e->acct.read_chars)
		IO("write_chars", e->acct.write_chars)
#undef IO
		*p++ = '}';
	}
	p = PUT(p, "}\n");
	h->len += (size_t)(p - p0);
	return 0;
}

/* Each record: the short line, or sink_json's writer into @buf (flushed there at once). */
static int lines_process(struct sink *s, const struct proc_record *r)
{
	struct sink_history *h = (struct sink_history *)s;
	struct sink *l = h->lines;
	int ret;

	ret = short_exit(h, r);
	if (ret <= 0)
		return 0;
	l->ops->process(l, r);
	fflush(l->f);
	return 0;
}

/*
 * The short "interval" line of @r (jobtrace-records(5), HISTORY FILES):
 * "time" and "interval_s" exact, so that "start" and cpu.rate_pct are
 * derived; the counters that are 0, "complete": true and its empty
 * "incomplete" left out. 1 when the short line cannot say @r (counts not
 * known, incomplete, a key to escape), 0 when written, -ENOMEM.
 */
static int short_interval(struct sink_history *h, const struct interval_record *r)
{
	const struct cjob_cum *d = &r->d;
	size_t klen = strlen(r->job->key);
	char *p, *p0, *o;

	if ((r->job->job.unknown & JOB_UNKNOWN_COUNTS) || r->incomplete || r->job->key_truncated ||
	    r->t1_epoch_ns < r->t0_epoch_ns || !history_text__plain(r->job->key, klen))
		return 1;
	p0 = p = buf_reserve(h, 1024 + klen);
	if (!p)
		return -ENOMEM;
	p = PUT(p, "{\"type\":\"interval\",\"time\":");
	p = history_text__secs(p, r->t1_epoch_ns);
	p = PUT(p, ",\"job\":");
	p = history_text__str(p, r->job->key, klen);
	p = PUT(p, ",\"interval_s\":");
	p = history_text__secs(p, r->t1_epoch_ns - r->t0_epoch_ns);
	p = PUT(p, ",\"processes\":{\"alive\":");
	p = history_text__u64(p, r->alive);

#define NZ(key, v)                          \
	if (v) {                            \
		if (p != o)                 \
			*p++ = ',';         \
		p = PUT(p, "\"" key "\":"); \
		p = history_text__u64(p, v);          \
	}
	o = NULL;
	NZ("started", d->started)
	NZ("exited", d->exited)
	NZ("exit_ok", d->exit_ok)
	NZ("exit_error", d->exit_error)
	NZ("exit_signal", d->exit_signal)
	NZ("execs", d->execs)
	NZ("existing_at_attach", d->existing)
	NZ("moved_in", d->moved_in)
	NZ("moved_out", d->moved_out)
	*p++ = '}';
	if (d->threads) {
		p = PUT(p, ",\"threads\":{\"started\":");
		p = history_text__u64(p, d->threads);
		*p++ = '}';
	}
	p = PUT(p, ",\"cpu\":{");
	o = p;
	if (d->user_ns) {
		p = PUT(p, "\"user_s\":");
		p = history_text__secs(p, d->user_ns);
	}
	if (d->system_ns) {
		if (p != o)
			*p++ = ',';
		p = PUT(p, "\"system_s\":");
		p = history_text__secs(p, d->system_ns);
	}
	if (p != o)
		*p++ = ',';
	p = PUT(p, "\"total_ns\":");
	p = history_text__u64(p, d->cpu_ns);
	p = PUT(p, "},\"memory\":{\"rss_bytes\":");
	p = history_text__u64(p, r->rss_bytes);
	if (r->pss) {
		p = PUT(p, ",\"pss_bytes\":");
		p = history_text__u64(p, r->pss_bytes);
	}
	p = PUT(p, ",\"vm_bytes\":");
	p = history_text__u64(p, r->vm_bytes);
	*p++ = '}';
	if (d->read_bytes || d->write_bytes) {
		o = p = PUT(p, ",\"io\":{");
		NZ("read_bytes", d->read_bytes)
		NZ("write_bytes", d->write_bytes)
		*p++ = '}';
	}
	p = PUT(p, ",\"open_files\":");
	p = history_text__u64(p, r->open_files);
	if (d->exit_records_lost || d->fork_records_lost || d->exec_records_lost) {
		o = p = PUT(p, ",\"lost\":{");
		NZ("exit_records", d->exit_records_lost)
		NZ("fork_records", d->fork_records_lost)
		NZ("exec_records", d->exec_records_lost)
		*p++ = '}';
	}
#undef NZ
	p = PUT(p, "}\n");
	h->len += (size_t)(p - p0);
	return 0;
}

static int lines_interval(struct sink *s, const struct interval_record *r)
{
	struct sink_history *h = (struct sink_history *)s;
	struct sink *l = h->lines;

	if (short_interval(h, r) <= 0)
		return 0;
	l->ops->interval(l, r);
	/* Into @buf now: the short lines that follow go there directly. */
	return fflush(l->f), 0;
}

static int lines_host(struct sink *s, const struct host_record *r)
{
	struct sink *l = ((struct sink_history *)s)->lines;

	l->ops->host(l, r);
	/* Into @buf now: the short lines that follow go there directly. */
	return fflush(l->f), 0;
}

static int lines_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct sink *l = ((struct sink_history *)s)->lines;

	l->ops->job_end(l, j, st);
	return fflush(l->f), 0;
}

static void history_free(struct sink *s)
{
	struct sink_history *h = (struct sink_history *)s;

	if (h->lines)
		history_flush(s);
	/* The frame's end: the file is whole (a kill leaves it cut, still readable). */
	if (h->fd >= 0 && zwrite(h, NULL, 0, ZSTD_e_end))
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
	free(h->buf);
	free(h->zbuf);
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
	if (!h->dir || !f || !h->cctx || !h->zbuf) {
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
