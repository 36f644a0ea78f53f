// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve's config file: `key = value` lines. The format is the command
 * line's (the same key names, the same ranges, the same messages), so a
 * line of the file and a flag can be read as one another. A `#` starts a
 * comment only at the start of a line: a value (an ApMon password) may
 * hold one. Strict on purpose: an unknown key or a key given twice is an
 * error, since a service that silently ignores `intervall = 5` runs with
 * what its admin did not mean.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/hostmode.h"
#include "jobtrace/metrics.h"
#include "jobtrace/serve_config.h"

static const char *const key_names[SC_NKEYS] = {
	[SC_GROUP_BY] = "group-by",	  [SC_INTERVAL] = "interval",
	[SC_LISTEN] = "listen",		  [SC_STREAM] = "stream",
	[SC_STREAM_KB] = "stream-kb",	  [SC_OUTPUT] = "output",
	[SC_METRICS_KEEP] = "metrics-keep", [SC_APMON] = "apmon",
	[SC_APMON_CLUSTER] = "apmon-cluster", [SC_RING_KB] = "ring-kb",
	[SC_MAX_PROCS] = "max-procs",	  [SC_MAX_JOBS] = "max-jobs",
	[SC_CONTROL] = "control",	  [SC_REPORTS] = "reports",
};

const char *serve_config__key_name(enum serve_config_key k)
{
	return (unsigned int)k < SC_NKEYS ? key_names[k] : "?";
}

static int fail(struct serve_config_error *err, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct serve_config_error *err, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * @s (@n bytes) as a message may show it: at most 48 bytes, a byte that
 * is not printable ASCII as '?', so a binary file cannot write escapes to
 * the admin's terminal or the journal.
 */
static const char *shown(const char *s, size_t n, char *buf, size_t size)
{
	size_t i, max = size - 4;

	for (i = 0; i < n && i < max && i < 48; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (i < n)
		buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
	buf[i] = '\0';
	return buf;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

static int set_string(char **dst, const char *v)
{
	char *s = NULL;

	/* Nothing after '=': set, and off. */
	if (*v && !(s = strdup(v)))
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* As metrics_http__listen() takes it: 0, -EINVAL or -ERANGE (a port past 65535). */
static int listen_syntax(const char *v)
{
	unsigned int port;
	char host[256];

	return metrics_http__split_listen(v, host, sizeof(host), &port);
}

static int set_value(struct serve_config_file *f, enum serve_config_key k, const char *v,
		     unsigned int line, struct serve_config_error *err)
{
	char b[64];
	const char *name = key_names[k];
	unsigned long u;

	switch (k) {
	case SC_GROUP_BY:
		if (!hostmode__valid_grouping(v))
			return fail(err, line,
				    "group-by takes cgroup, cgroup2, cgroup1:CONTROLLER, tree, session or "
				    "user, not '%s'",
				    shown(v, strlen(v), b, sizeof(b)));
		return set_string(&f->group_by, v);
	case SC_INTERVAL:
		if (cli__parse_seconds(v, 0.1, 86400, &f->interval_s))
			return fail(err, line, "interval takes seconds from 0.1 to 86400, not '%s'",
				    shown(v, strlen(v), b, sizeof(b)));
		return 0;
	case SC_METRICS_KEEP:
		if (cli__parse_seconds(v, 0, 7 * 86400.0, &f->metrics_keep_s))
			return fail(err, line, "metrics-keep takes seconds from 0 to 604800, not '%s'",
				    shown(v, strlen(v), b, sizeof(b)));
		return 0;
	case SC_STREAM_KB:
	case SC_RING_KB:
		if (cli__parse_uint(v, 4, 1U << 20, &u))
			return fail(err, line, "%s takes a size in KiB from 4 to 1048576, not '%s'",
				    name, shown(v, strlen(v), b, sizeof(b)));
		*(k == SC_STREAM_KB ? &f->stream_kb : &f->ring_kb) = u;
		return 0;
	case SC_MAX_PROCS:
		if (cli__parse_uint(v, 64, 1U << 22, &f->max_procs))
			return fail(err, line, "max-procs takes a number from 64 to 4194304, not '%s'",
				    shown(v, strlen(v), b, sizeof(b)));
		return 0;
	case SC_MAX_JOBS:
		if (cli__parse_uint(v, 2, 1U << 20, &f->max_jobs))
			return fail(err, line, "max-jobs takes a number from 2 to 1048576, not '%s'",
				    shown(v, strlen(v), b, sizeof(b)));
		return 0;
	case SC_LISTEN:
		switch (*v ? listen_syntax(v) : 0) {
		case 0:
			return set_string(&f->listen, v);
		case -ERANGE:
			return fail(err, line, "listen takes a port from 0 to 65535, not '%s'",
				    shown(v, strlen(v), b, sizeof(b)));
		default:
			return fail(err, line,
				    "listen takes ADDR:PORT, [ADDR6]:PORT, :PORT or ADDR alone, not '%s'",
				    shown(v, strlen(v), b, sizeof(b)));
		}
	case SC_STREAM:
		/* Relative to whatever directory the service runs in is no path at all. */
		if (*v && *v != '/')
			return fail(err, line, "stream takes an absolute path, not '%s'",
				    shown(v, strlen(v), b, sizeof(b)));
		return set_string(&f->stream, v);
	case SC_OUTPUT:
		if (*v && *v != '/' && strcmp(v, "-"))
			return fail(err, line, "output takes an absolute path or '-', not '%s'",
				    shown(v, strlen(v), b, sizeof(b)));
		return set_string(&f->output, v);
	case SC_CONTROL:
	case SC_REPORTS:
		/* Paths root creates or writes: absolute, as the stream's. */
		if (*v && *v != '/')
			return fail(err, line, "%s takes an absolute path, not '%s'", key_names[k],
				    shown(v, strlen(v), b, sizeof(b)));
		return set_string(k == SC_CONTROL ? &f->control : &f->reports, v);
	case SC_APMON_CLUSTER:
		if (!*v)
			return fail(err, line, "apmon-cluster needs a name");
		return set_string(&f->apmon_cluster, v);
	case SC_APMON:
		if (!*v)
			return fail(err, line, "apmon needs HOST[:PORT] [PASSWORD]");
		if (f->napmon == SERVE_CONFIG_MAX_APMON)
			return fail(err, line, "more than %d apmon targets", SERVE_CONFIG_MAX_APMON);
		f->apmon[f->napmon] = strdup(v);
		if (!f->apmon[f->napmon])
			return -ENOMEM;
		f->apmon_line[f->napmon++] = line;
		return 0;
	case SC_NKEYS:
		break;
	}
	return -EINVAL;
}

/* One line, without its '\n'; blank and comment lines are not errors. */
static int parse_line(struct serve_config_file *f, char *s, size_t n, unsigned int line,
		      struct serve_config_error *err)
{
	char b[64], *eq, *key, *v, *end;
	size_t klen;
	int k;

	while (n && is_blank(s[n - 1]))
		n--;
	s[n] = '\0';
	while (is_blank(*s))
		s++;
	if (!*s || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return fail(err, line, "expected 'key = value', not '%s'",
			    shown(s, strlen(s), b, sizeof(b)));
	key = s;
	for (end = eq; end > key && is_blank(end[-1]); end--)
		;
	klen = (size_t)(end - key);
	if (!klen)
		return fail(err, line, "a value with no key before '='");
	for (k = 0; k < SC_NKEYS; k++)
		if (strlen(key_names[k]) == klen && !memcmp(key_names[k], key, klen))
			break;
	if (k == SC_NKEYS)
		return fail(err, line, "unknown key '%s'", shown(key, klen, b, sizeof(b)));
	if (k != SC_APMON && (f->set & (1u << k)))
		return fail(err, line, "'%s' is set twice (first on line %u)", key_names[k],
			    f->line[k]);
	v = eq + 1;
	while (is_blank(*v))
		v++;
	f->set |= 1u << k;
	f->line[k] = line;
	return set_value(f, (enum serve_config_key)k, v, line, err);
}

int serve_config__parse(const char *text, size_t len, struct serve_config_file *out,
			struct serve_config_error *err)
{
	char *buf = NULL;
	unsigned int line = 0;
	size_t pos = 0;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (len > SERVE_CONFIG_MAX_BYTES)
		return fail(err, 0, "larger than %d bytes: not a config file",
			    SERVE_CONFIG_MAX_BYTES);
	buf = malloc(SERVE_CONFIG_MAX_LINE + 1);
	if (!buf)
		return -ENOMEM;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		line++;
		if (n > SERVE_CONFIG_MAX_LINE) {
			ret = fail(err, line, "longer than %d bytes", SERVE_CONFIG_MAX_LINE);
			goto out_free;
		}
		/* A NUL would end the value early and hide the rest of the line. */
		if (memchr(text + pos, '\0', n)) {
			ret = fail(err, line, "a NUL byte: not a text file");
			goto out_free;
		}
		memcpy(buf, text + pos, n);
		ret = parse_line(out, buf, n, line, err);
		if (ret)
			goto out_free;
		pos += n + (nl ? 1 : 0);
	}
out_free:
	free(buf);
	return ret;
}

int serve_config__load(const char *path, struct serve_config_file *out,
		       struct serve_config_error *err)
{
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	ssize_t n;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	/*
	 * Read on SIGHUP, in the collector's loop: nothing here may wait. A
	 * FIFO planted at the path would block a plain open() until a writer
	 * came; O_NONBLOCK opens it at once and the type check refuses it. A
	 * link is refused too (StrictModes checks the file it reads, not what
	 * a link points at today).
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP)
			fail(err, 0, "a symbolic link: name the file itself");
		else
			fail(err, 0, "cannot read it: %s", strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		fail(err, 0, "cannot read it: %s", strerror(-ret));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		/* /dev/null is the way to say "no file": an empty one. */
		ret = S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) ?
			      0 :
			      fail(err, 0, "not a regular file");
		goto out_close;
	}
	/*
	 * What it names, root's service writes to (the stream, the output):
	 * as sshd's StrictModes, a file someone else could edit is refused:
	 * another user's, or one its group or anyone may write.
	 */
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		ret = fail(err, 0, "owned by uid %u, not by root", (unsigned int)st.st_uid);
		goto out_close;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		ret = fail(err, 0, "writable by %s (mode %04o): only its owner may write it",
			   st.st_mode & S_IWOTH ? "anyone" : "its group",
			   (unsigned int)(st.st_mode & 07777));
		goto out_close;
	}
	text = malloc(SERVE_CONFIG_MAX_BYTES + 1);
	if (!text) {
		ret = -ENOMEM;
		goto out_close;
	}
	/* One byte more than allowed: how the parser learns the file is too large. */
	while (len <= SERVE_CONFIG_MAX_BYTES) {
		n = read(fd, text + len, SERVE_CONFIG_MAX_BYTES + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			fail(err, 0, "cannot read it: %s", strerror(-ret));
			goto out_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	ret = serve_config__parse(text, len, out, err);
out_free:
	free(text);
out_close:
	close(fd);
	return ret;
}

void serve_config__free(struct serve_config_file *f)
{
	if (!f)
		return;
	free(f->group_by);
	free(f->listen);
	free(f->stream);
	free(f->output);
	free(f->apmon_cluster);
	free(f->control);
	free(f->reports);
	for (size_t i = 0; i < f->napmon; i++)
		free(f->apmon[i]);
	memset(f, 0, sizeof(*f));
}
