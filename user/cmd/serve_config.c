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
#include "jobtrace/options.h"
#include "jobtrace/serve_config.h"

_Static_assert(JT_NOPTS <= 64, "serve_config_file.set has a bit per option");

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

/*
 * @v for option @o, checked as the flag's value is (and a path absolute):
 * the message is the flag's, less its dashes. Nothing after '=' sets a
 * string key, and turns that output off.
 */
static int set_value(struct serve_config_file *f, const struct jt_option *o, const char *v,
		     unsigned int line, struct serve_config_error *err)
{
	enum jt_opt_id id = (enum jt_opt_id)(o - jt_options);
	union jt_optval val = {};
	char b[64], why_buf[96];
	const char *why = NULL;
	char *s = NULL;

	if (*v || o->arg == JT_ARG_SECONDS || o->arg == JT_ARG_UINT || o->check)
		why = options__check(o, v, true, &val, why_buf, sizeof(why_buf));
	/* "apmon needs HOST[:PORT] [PASSWORD]": nothing to show. */
	if (why && !strncmp(why, "needs ", 6))
		return fail(err, line, "%s %s", o->name, why);
	if (why)
		return fail(err, line, "%s %s, not '%s'", o->name, why,
			    shown(v, strlen(v), b, sizeof(b)));
	if (id == JT_OPT_APMON) {
		if (f->napmon == SERVE_CONFIG_MAX_APMON)
			return fail(err, line, "more than %d apmon targets",
				    SERVE_CONFIG_MAX_APMON);
		f->apmon[f->napmon] = strdup(v);
		if (!f->apmon[f->napmon])
			return -ENOMEM;
		f->apmon_line[f->napmon++] = line;
		return 0;
	}
	if (o->arg == JT_ARG_SECONDS || o->arg == JT_ARG_UINT) {
		f->val[id] = val;
		return 0;
	}
	if (*v && !(s = strdup(v)))
		return -ENOMEM;
	f->val[id].str = s;
	return 0;
}

/* One line, without its '\n'; blank and comment lines are not errors. */
static int parse_line(struct serve_config_file *f, char *s, size_t n, unsigned int line,
		      struct serve_config_error *err)
{
	char b[64], *eq, *key, *v, *end;
	const struct jt_option *o;
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
	o = options__config_key(key, klen);
	if (!o)
		return fail(err, line, "unknown key '%s'", shown(key, klen, b, sizeof(b)));
	k = (int)(o - jt_options);
	if (k != JT_OPT_APMON && serve_config__is_set(f, (enum jt_opt_id)k))
		return fail(err, line, "'%s' is set twice (first on line %u)", o->name, f->line[k]);
	v = eq + 1;
	while (is_blank(*v))
		v++;
	f->set |= 1ULL << k;
	f->line[k] = line;
	return set_value(f, o, v, line, err);
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
	for (size_t i = 0; i < JT_NOPTS; i++) {
		const struct jt_option *o = &jt_options[i];

		if (serve_config__is_set(f, (enum jt_opt_id)i) && o->arg != JT_ARG_SECONDS &&
		    o->arg != JT_ARG_UINT)
			free((char *)f->val[i].str);
	}
	for (size_t i = 0; i < f->napmon; i++)
		free(f->apmon[i]);
	memset(f, 0, sizeof(*f));
}
