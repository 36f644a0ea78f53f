// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fs/proc/base.c proc_pid_limits(): a header, then one line per RLIMIT_*
 * in order, "%-25s %-20s %-20s %-10s": description, soft, hard, unit, where
 * a value is a decimal or "unlimited".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jobtrace/proc_limits.h"
#include "jobtrace/util.h"

static const struct {
	const char *desc;	/* the kernel's description, first column */
	const char *name;
	const char *unit;
} limits[PROC_LIMITS_N] = {
	{ "Max cpu time", "cpu", "seconds" },
	{ "Max file size", "fsize", "bytes" },
	{ "Max data size", "data", "bytes" },
	{ "Max stack size", "stack", "bytes" },
	{ "Max core file size", "core", "bytes" },
	{ "Max resident set", "rss", "bytes" },
	{ "Max processes", "nproc", "processes" },
	{ "Max open files", "nofile", "files" },
	{ "Max locked memory", "memlock", "bytes" },
	{ "Max address space", "as", "bytes" },
	{ "Max file locks", "locks", "locks" },
	{ "Max pending signals", "sigpending", "signals" },
	{ "Max msgqueue size", "msgqueue", "bytes" },
	{ "Max nice priority", "nice", "" },
	{ "Max realtime priority", "rtprio", "" },
	{ "Max realtime timeout", "rttime", "us" },
};

const char *proc_limits__name(unsigned int resource)
{
	return resource < PROC_LIMITS_N ? limits[resource].name : NULL;
}

const char *proc_limits__unit(unsigned int resource)
{
	return resource < PROC_LIMITS_N ? limits[resource].unit : NULL;
}

/* The next blank-separated word of [*p, end) as a limit value. */
static int limit_value(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p, *w;
	uint64_t v = 0;

	while (s < end && *s == ' ')
		s++;
	w = s;
	while (s < end && *s != ' ')
		s++;
	*p = s;
	if (s - w == 9 && memcmp(w, "unlimited", 9) == 0) {
		*out = PROC_LIMIT_INFINITY;
		return 0;
	}
	if (s == w)
		return -EINVAL;
	for (; w < s; w++) {
		unsigned int d = (unsigned char)*w - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_line(const char *p, const char *nl, struct proc_limits *out)
{
	for (unsigned int i = 0; i < PROC_LIMITS_N; i++) {
		size_t dlen = strlen(limits[i].desc);
		struct proc_limit *l = &out->lim[i];
		const char *v;

		/* The description is padded with blanks: "Max cpu time" is not "Max cpu timeout". */
		if ((size_t)(nl - p) <= dlen || memcmp(p, limits[i].desc, dlen) || p[dlen] != ' ')
			continue;
		v = p + dlen;
		if (limit_value(&v, nl, &l->soft) || limit_value(&v, nl, &l->hard))
			return -EINVAL;
		l->known = true;
		return 0;
	}
	return 0; /* a limit newer than this table: skipped, the rest still read */
}

int proc_limits__parse(const char *buf, size_t len, struct proc_limits *out)
{
	const char *p = buf, *end = buf + len, *nl;
	bool header = true;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return -ESRCH;
	if (buf[len - 1] != '\n')
		return -EINVAL;
	for (; p < end && !err; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (header) {
			header = false;
			if ((size_t)(nl - p) < 5 || memcmp(p, "Limit", 5))
				err = -EINVAL;
			continue;
		}
		err = parse_line(p, nl, out);
	}
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

int proc_limits__read(int proc_fd, int pid, struct proc_limits *out)
{
	/* 17 lines of 79 bytes. */
	char path[32], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "%d/limits", pid);
	n = util__read_file_at(proc_fd, path, buf, sizeof(buf));
	if (n < 0) {
		memset(out, 0, sizeof(*out));
		return n == -ENOENT ? -ESRCH : (int)n;
	}
	return proc_limits__parse(buf, (size_t)n, out);
}
