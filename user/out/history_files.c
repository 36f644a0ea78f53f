// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * History files: their names (the start time, UTC, so that names sort as
 * times), the list of a directory's, what retention drops, and their lines,
 * plain or zstd. Shared by the history sink (serve) and `jobtrace history`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "jobtrace/history.h"
#include "jobtrace/json.h"

#define PREFIX "history-"

int history__file_name(time_t t, char *buf, size_t size)
{
	struct tm tm;
	size_t n;

	if (!gmtime_r(&t, &tm))
		return -EINVAL;
	n = strftime(buf, size, PREFIX "%Y%m%d-%H%M%S.jsonl", &tm);
	return n ? 0 : -ENAMETOOLONG;
}

time_t history__parse_name(const char *name, bool *zst)
{
	struct tm tm = {};
	const char *end;

	if (strncmp(name, PREFIX, strlen(PREFIX)))
		return -1;
	end = strptime(name + strlen(PREFIX), "%Y%m%d-%H%M%S", &tm);
	if (!end || end != name + strlen(PREFIX) + 15)
		return -1;
	if (!strcmp(end, ".jsonl"))
		*zst = false;
	else if (!strcmp(end, ".jsonl.zst"))
		*zst = true;
	else
		return -1;
	return timegm(&tm);
}

static int cmp_file(const void *a, const void *b)
{
	const struct history_file *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* The same second: the compressed one is the older (its plain twin was reopened). */
	return (int)y->zst - (int)x->zst;
}

int history__list(int dirfd, struct history_file **out)
{
	struct history_file *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, err = 0;

	*out = NULL;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((de = readdir(d))) {
		struct history_file f = {};

		f.start = history__parse_name(de->d_name, &f.zst);
		if (f.start < 0 || strlen(de->d_name) >= sizeof(f.name))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		strcpy(f.name, de->d_name);
		f.bytes = (uint64_t)st.st_size;
		f.mtime = st.st_mtime;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[n++] = f;
	}
	closedir(d);
	if (err) {
		free(v);
		return err;
	}
	/* No file yet: v is NULL, which qsort() may not be given even for none. */
	if (n)
		qsort(v, n, sizeof(*v), cmp_file);
	*out = v;
	return (int)n;
}

size_t history__to_drop(const struct history_file *files, size_t n, time_t now, double keep_s,
			uint64_t max_bytes)
{
	uint64_t total = 0;
	size_t drop = 0;

	for (size_t i = 0; i < n; i++)
		total += files[i].bytes;
	while (drop + 1 < n) {
		/* A file ended when the next began (its mtime says the same, unless touched). */
		bool old = keep_s > 0 && (double)(now - files[drop + 1].start) > keep_s;

		if (!old && total <= max_bytes)
			break;
		total -= files[drop].bytes;
		drop++;
	}
	return drop;
}

/* Room for one line: a "job" line with its top commands is a few KiB; a line past it is skipped. */
#define LINE_MAX_BYTES (4 << 20)
/* The buffer: a line up to LINE_MAX_BYTES, what is read after it, and the doubling of its room. */
#define BUF_MAX_BYTES (2 * LINE_MAX_BYTES + (1 << 20))

/*
 * The lines of a file as they come in: @buf[0..len) holds the start of a
 * line not whole yet. A line past LINE_MAX_BYTES is skipped to its
 * newline and counted, and the lines after it are read on: it was once
 * -E2BIG, and every later line of its file was lost with it.
 */
struct line_reader {
	char *buf;
	size_t len, cap;
	bool skipping; /* in a line too long, up to its newline */
	struct history_read_stats *st;
};

/* Calls @fn on each whole line of @lr->buf[0..len), keeps the rest at its start. */
static int split_lines(struct line_reader *lr, history_line_fn fn, void *ctx)
{
	size_t start = 0;
	char *nl;
	int ret;

	while ((nl = memchr(lr->buf + start, '\n', lr->len - start))) {
		size_t l = (size_t)(nl - (lr->buf + start));

		*nl = '\0';
		if (!lr->skipping && l > LINE_MAX_BYTES) {
			if (lr->st)
				lr->st->lines_too_long++;
			lr->skipping = true;
		}
		ret = l && !lr->skipping ? fn(ctx, lr->buf + start, l) : 0;
		lr->skipping = false;
		if (ret)
			return ret;
		start += l + 1;
	}
	if (lr->skipping || lr->len - start > LINE_MAX_BYTES) {
		/* Counted once, when it goes past; its bytes to the newline are let go. */
		if (!lr->skipping && lr->st)
			lr->st->lines_too_long++;
		lr->skipping = true;
		start = lr->len;
	}
	memmove(lr->buf, lr->buf + start, lr->len - start);
	lr->len -= start;
	return 0;
}

static int grow(char **buf, size_t *cap, size_t need)
{
	char *nb;

	if (need <= *cap)
		return 0;
	if (need > BUF_MAX_BYTES)
		return -E2BIG;
	nb = realloc(*buf, need);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = need;
	return 0;
}

int history__read_file(int dirfd, const char *name, bool zst, history_line_fn fn, void *ctx,
		       struct history_read_stats *st)
{
	size_t in_cap = ZSTD_DStreamInSize();
	struct line_reader lr = { .cap = 1 << 16, .st = st };
	char *in = malloc(in_cap);
	ZSTD_DCtx *dctx = zst ? ZSTD_createDCtx() : NULL;
	int fd, ret = 0;
	ssize_t n;

	lr.buf = malloc(lr.cap);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !in || !lr.buf || (zst && !dctx)) {
		ret = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	while ((n = read(fd, in, in_cap)) > 0) {
		ZSTD_inBuffer ib = { in, (size_t)n, 0 };

		if (!zst) {
			ret = grow(&lr.buf, &lr.cap, lr.len + (size_t)n);
			if (ret)
				break;
			memcpy(lr.buf + lr.len, in, (size_t)n);
			lr.len += (size_t)n;
			ret = split_lines(&lr, fn, ctx);
			if (ret)
				break;
			continue;
		}
		/* Output full: zstd may hold more of what it read, handed out before reading on. */
		for (bool full = false; ib.pos < ib.size || full;) {
			ZSTD_outBuffer ob;
			size_t zr;

			ret = grow(&lr.buf, &lr.cap,
				   lr.len + (1 << 16) > lr.cap ? lr.cap * 2 : lr.cap);
			if (ret)
				goto out;
			ob = (ZSTD_outBuffer){ lr.buf + lr.len, lr.cap - lr.len, 0 };
			zr = ZSTD_decompressStream(dctx, &ob, &ib);
			if (ZSTD_isError(zr)) {
				ret = -EBADMSG;
				goto out;
			}
			lr.len += ob.pos;
			full = ob.pos == ob.size;
			ret = split_lines(&lr, fn, ctx);
			if (ret)
				goto out;
		}
	}
	if (n < 0 && !ret)
		ret = -errno;
	/* A last line without its newline: cut by a crash mid-write; not a record. */
out:
	if (fd >= 0)
		close(fd);
	ZSTD_freeDCtx(dctx);
	free(in);
	free(lr.buf);
	return ret;
}

/* Past the value at @p (a string, a number, a literal, an object or an array). */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;
	bool str = false;

	for (; p < end; p++) {
		if (str) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				str = false;
			if (!str && !depth)
				return p + 1;
			continue;
		}
		if (*p == '"')
			str = true;
		else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (!depth)
				return p;
			if (!--depth)
				return p + 1;
		} else if (!depth && *p == ',')
			return p;
	}
	return end;
}

const char *history__json_get(const char *line, size_t len, const char *path, size_t *vlen)
{
	const char *p = line, *end = line + len;
	const char *dot = strchr(path, '.');
	size_t klen = dot ? (size_t)(dot - path) : strlen(path);

	while (p < end && *p != '{')
		p++;
	if (p++ >= end)
		return NULL;
	/* Our writer's lines: no spaces, "key":value pairs split by commas. */
	while (p < end && *p == '"') {
		const char *k = ++p, *v;

		while (p < end && *p != '"')
			p += *p == '\\' ? 2 : 1;
		if (p + 1 >= end || p[1] != ':')
			return NULL;
		v = p + 2;
		p = skip_value(v, end);
		if ((size_t)(p - v - 0) && (size_t)(v - 2 - k) == klen && !memcmp(k, path, klen)) {
			if (dot)
				return *v == '{' ? history__json_get(v, (size_t)(p - v), dot + 1, vlen) :
						   NULL;
			*vlen = (size_t)(p - v);
			return v;
		}
		if (p < end && *p == ',')
			p++;
	}
	return NULL;
}

size_t history__json_top(const char *line, size_t len, const char *const *keys, size_t n,
			 const char **vals, size_t *vlens)
{
	const char *p = line, *end = line + len;
	size_t found = 0;

	for (size_t i = 0; i < n; i++)
		vals[i] = NULL;
	while (p < end && *p != '{')
		p++;
	if (p++ >= end)
		return 0;
	/* One walk over the line's keys: a lookup per key walked it once each. */
	while (p < end && *p == '"' && found < n) {
		const char *k = ++p, *v;
		size_t klen;

		while (p < end && *p != '"')
			p += *p == '\\' ? 2 : 1;
		if (p + 1 >= end || p[1] != ':')
			return found;
		klen = (size_t)(p - k);
		v = p + 2;
		p = skip_value(v, end);
		for (size_t i = 0; i < n; i++) {
			if (!vals[i] && strlen(keys[i]) == klen && !memcmp(keys[i], k, klen)) {
				vals[i] = v;
				vlens[i] = (size_t)(p - v);
				found++;
				break;
			}
		}
		if (p < end && *p == ',')
			p++;
	}
	return found;
}

/*
 * The checks of history__line_valid(): each returns the end of the value
 * at @p, NULL when it is not one as JSON has it. Nesting is bounded: no
 * line of serve's is deeper than a few levels.
 */
#define VALID_DEPTH_MAX 32
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGHS)

static const char *valid_value(const char *p, const char *end, int depth);

static const char *valid_string(const char *p, const char *end)
{
	if (p >= end || *p++ != '"')
		return NULL;
	while (p < end) {
		unsigned char c;

		/*
		 * Most bytes are plain ASCII (args are most of an exit line):
		 * eight at a time while none is a quote, a backslash, below 0x20
		 * or above 0x7f (the "has a byte less than n" and "has a zero
		 * byte" tests, exact for "any").
		 */
		while (end - p >= 8) {
			uint64_t x, q, b;

			memcpy(&x, p, 8);
			q = x ^ (ONES * '"');
			b = x ^ (ONES * '\\');
			if (((x - ONES * 0x20) & ~x & HIGHS) | HAS_ZERO(q) | HAS_ZERO(b) | (x & HIGHS))
				break;
			p += 8;
		}
		while (p < end && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80 &&
		       *p != '"' && *p != '\\')
			p++;
		if (p >= end)
			return NULL;
		/*
		 * JSON text is UTF-8: a line with other bytes in a string (a file
		 * made or damaged by hand; serve writes \u escapes) was handed
		 * on whole by history --json, which no JSON reader could parse.
		 */
		if ((unsigned char)*p >= 0x80) {
			size_t n = utf8__seq_len((const unsigned char *)p, (size_t)(end - p));

			if (!n)
				return NULL;
			p += n;
			continue;
		}
		c = (unsigned char)*p++;

		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL;
		if (c != '\\')
			continue;
		if (p >= end)
			return NULL;
		c = (unsigned char)*p++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++, p++)
				if (p >= end || !((*p >= '0' && *p <= '9') ||
						  ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')))
					return NULL;
		} else if (!c || !strchr("\"\\/bfnrt", c)) {
			return NULL;
		}
	}
	return NULL;
}

static const char *digits(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q >= '0' && *q <= '9')
		q++;
	return q > p ? q : NULL;
}

/* A number as JSON writes it, and one a double holds: 1e999 is none (it read as inf). */
static const char *valid_number(const char *p, const char *end, double *out)
{
	const char *s = p, *q;
	bool big = false;
	char buf[64];

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		q = p + 1;
	else if (!(q = digits(p, end)))
		return NULL;
	big = q - p > 300;
	p = q;
	if (p < end && *p == '.' && !(p = digits(p + 1, end)))
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!(p = digits(p, end)))
			return NULL;
		big = true;
	}
	/*
	 * strtod() on the few that may not fit, and on those asked for, over
	 * a copy: the line has no NUL after it. One of 64 bytes or more (a
	 * time with 60 decimals) is read where it is, when a byte that ends
	 * any number strtod() reads follows it in the line; else no valid
	 * line has it there (an object never ends on a number).
	 */
	if (big || out) {
		size_t n = (size_t)(p - s);
		double v;

		if (n < sizeof(buf)) {
			memcpy(buf, s, n);
			buf[n] = '\0';
			v = strtod(buf, NULL);
		} else if (p < end && (*p == ',' || *p == '}' || *p == ']')) {
			v = strtod(s, NULL);
		} else {
			return NULL;
		}
		if (!isfinite(v))
			return NULL;
		if (out)
			*out = v;
	}
	return p;
}

static const char *valid_literal(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(end - p) >= n && !memcmp(p, lit, n) ? p + n : NULL;
}

/* An object, keys and values; "time" (at the top) is put in @time, when one is given. */
static const char *valid_object(const char *p, const char *end, int depth, double *time)
{
	if (depth > VALID_DEPTH_MAX || p >= end || *p++ != '{')
		return NULL;
	if (p < end && *p == '}')
		return p + 1;
	while (p < end) {
		const char *k = p;
		bool is_time;

		if (!(p = valid_string(p, end)) || p >= end || *p++ != ':')
			return NULL;
		is_time = time && p - k == 7 && !memcmp(k, "\"time\"", 6);
		if (is_time) {
			if (!(p = valid_number(p, end, time)))
				return NULL;
		} else if (!(p = valid_value(p, end, depth))) {
			return NULL;
		}
		if (p < end && *p == '}')
			return p + 1;
		if (p >= end || *p++ != ',')
			return NULL;
	}
	return NULL;
}

static const char *valid_value(const char *p, const char *end, int depth)
{
	if (p >= end)
		return NULL;
	switch (*p) {
	case '"':
		return valid_string(p, end);
	case '{':
		return valid_object(p, end, depth + 1, NULL);
	case '[':
		if (depth + 1 > VALID_DEPTH_MAX)
			return NULL;
		if (++p < end && *p == ']')
			return p + 1;
		while ((p = valid_value(p, end, depth + 1))) {
			if (p < end && *p == ']')
				return p + 1;
			if (p >= end || *p++ != ',')
				return NULL;
		}
		return NULL;
	case 't':
		return valid_literal(p, end, "true");
	case 'f':
		return valid_literal(p, end, "false");
	case 'n':
		return valid_literal(p, end, "null");
	default:
		return valid_number(p, end, NULL);
	}
}

bool history__line_valid(const char *line, size_t len, double *time)
{
	const char *end = line + len;
	double t = NAN;

	if (valid_object(line, end, 0, &t) != end || isnan(t))
		return false;
	*time = t;
	return true;
}

/*
 * A reader that hands out one line at a time and keeps its place (top
 * --replay steps forward from where the last step stopped): the files
 * from the first that may hold @since on, as history__read_range picks
 * them, each decompressed as it is read.
 */
struct history_cursor {
	int dirfd;
	struct history_file *files;
	int nfiles, i; /* the file being read, or the next to open */
	double since;
	int fd; /* -1: none open */
	ZSTD_DCtx *dctx;
	char *in;
	size_t in_cap, in_len, in_pos;
	char *buf; /* decompressed; the lines handed out end before @start */
	size_t cap, len, start;
	bool out_full;
	bool skipping; /* in a line past LINE_MAX_BYTES, up to its newline */
	struct history_read_stats st;
};

struct history_cursor *history_cursor__open(int dirfd, double since)
{
	struct history_cursor *c = calloc(1, sizeof(*c));
	int n;

	if (!c)
		return NULL;
	c->dirfd = dirfd;
	c->fd = -1;
	c->since = since;
	c->in_cap = ZSTD_DStreamInSize();
	c->cap = 1 << 16;
	c->in = malloc(c->in_cap);
	c->buf = malloc(c->cap);
	c->dctx = ZSTD_createDCtx();
	n = history__list(dirfd, &c->files);
	if (n < 0 || !c->in || !c->buf || !c->dctx) {
		if (n >= 0)
			free(c->files);
		c->files = NULL;
		history_cursor__free(c);
		errno = n < 0 ? -n : ENOMEM;
		return NULL;
	}
	c->nfiles = n;
	/* A file holds what came from its start to the next file's. */
	while (c->i + 1 < n && (double)c->files[c->i + 1].start < since - 1)
		c->i++;
	return c;
}

void history_cursor__free(struct history_cursor *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	ZSTD_freeDCtx(c->dctx);
	free(c->files);
	free(c->in);
	free(c->buf);
	free(c);
}

/* More bytes of the file open (the next opened when none is): 1, 0 at the end, or -errno. */
static int cursor_fill(struct history_cursor *c)
{
	const struct history_file *f;
	ssize_t n;
	int err;

	for (;;) {
		if (c->fd < 0) {
			if (c->i >= c->nfiles)
				return 0;
			c->fd = openat(c->dirfd, c->files[c->i].name,
				       O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (c->fd < 0) {
				/* Gone (retention), or unreadable: the files after it are read. */
				c->i++;
				continue;
			}
			ZSTD_DCtx_reset(c->dctx, ZSTD_reset_session_only);
			c->in_len = c->in_pos = 0;
			c->out_full = false;
			/* A cut last line of the file before is not a record. */
			c->len = c->start = 0;
			c->skipping = false;
		}
		f = &c->files[c->i];
		if (c->cap - c->len < (1 << 16)) {
			/* Room at the end: what was handed out goes, then a line longer grows it. */
			memmove(c->buf, c->buf + c->start, c->len - c->start);
			c->len -= c->start;
			c->start = 0;
			err = grow(&c->buf, &c->cap,
				   c->cap - c->len < (1 << 16) ? c->cap * 2 : c->cap);
			if (err)
				return err;
		}
		if (f->zst && (c->in_pos < c->in_len || c->out_full)) {
			ZSTD_inBuffer ib = { c->in, c->in_len, c->in_pos };
			ZSTD_outBuffer ob = { c->buf + c->len, c->cap - c->len, 0 };
			size_t zr = ZSTD_decompressStream(c->dctx, &ob, &ib);

			/* A frame cut by a kill, or a bad one: the file ends here. */
			if (ZSTD_isError(zr))
				goto next_file;
			c->in_pos = ib.pos;
			c->len += ob.pos;
			/* Output full: zstd may hold more of what it read, handed out first. */
			c->out_full = ob.pos == ob.size;
			if (ob.pos)
				return 1;
			continue;
		}
		n = read(c->fd, f->zst ? c->in : c->buf + c->len,
			 f->zst ? c->in_cap : c->cap - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto next_file;
		if (f->zst) {
			c->in_len = (size_t)n;
			c->in_pos = 0;
		} else {
			c->len += (size_t)n;
			return 1;
		}
		continue;
next_file:
		close(c->fd);
		c->fd = -1;
		c->i++;
	}
}

int history_cursor__next(struct history_cursor *c, const char **line, size_t *len)
{
	for (;;) {
		char *nl = c->start < c->len ? memchr(c->buf + c->start, '\n', c->len - c->start) :
					       NULL;
		int err;

		if (nl) {
			char *l = c->buf + c->start;
			size_t n = (size_t)(nl - l);
			bool skip = c->skipping;
			double t;

			*nl = '\0';
			c->start += n + 1;
			c->skipping = false;
			if (!skip && n > LINE_MAX_BYTES)
				c->st.lines_too_long++;
			if (!n || skip || n > LINE_MAX_BYTES)
				continue;
			if (!history__line_valid(l, n, &t)) {
				c->st.lines_malformed++;
				continue;
			}
			if (c->since > 0 && t < c->since)
				continue;
			*line = l;
			*len = n;
			return 1;
		}
		/* A line past LINE_MAX_BYTES: skipped to its newline, counted; the rest read on. */
		if (c->skipping || c->len - c->start > LINE_MAX_BYTES) {
			if (!c->skipping)
				c->st.lines_too_long++;
			c->skipping = true;
			c->start = c->len;
		}
		err = cursor_fill(c);
		if (err <= 0)
			return err;
	}
}

void history_cursor__stats(const struct history_cursor *c, struct history_read_stats *out)
{
	*out = c->st;
}
