// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fs/proc/loadavg.c and fs/proc/uptime.c define both formats. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "jobtrace/loadavg.h"
#include "jobtrace/proc_stat.h"
#include "jobtrace/util.h"

/* Either file is one short line; anything near this size is not it. */
#define LINE_BUF_SIZE 256

#define NSEC_PER_SEC 1000000000ULL

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * A cursor over the one line of the file, with a sticky error: after the
 * first failure every step is a no-op, so a parser reads as the format does.
 */
struct cursor {
	const char *p, *end;
	int err;
};

/*
 * The file must be exactly one '\n'-terminated line. Without its newline it
 * may have been cut inside a number, which would still parse: treat it as
 * absent rather than guess.
 */
static void cursor__init(struct cursor *c, const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);

	c->p = buf;
	c->end = nl;
	c->err = 0;
	if (!nl)
		c->err = -ENODATA;
	else if ((size_t)(nl - buf) + 1 != len)
		c->err = -EPROTO; /* a second line: not this file */
}

static void cursor__expect(struct cursor *c, char sep)
{
	if (c->err)
		return;
	if (c->p == c->end || *c->p != sep)
		c->err = -EPROTO;
	else
		c->p++;
}

/* Succeeds only if the whole line was consumed. */
static int cursor__finish(struct cursor *c)
{
	if (!c->err && c->p != c->end)
		c->err = -EPROTO;
	return c->err;
}

static __u64 cursor__dec(struct cursor *c)
{
	__u64 v = 0;

	if (c->err)
		return 0;
	if (c->p == c->end || !is_digit(*c->p)) {
		c->err = -EPROTO;
		return 0;
	}
	for (; c->p < c->end && is_digit(*c->p); c->p++) {
		unsigned int d = (unsigned int)(*c->p - '0');

		if (v > (UINT64_MAX - d) / 10) {
			c->err = -ERANGE;
			return 0;
		}
		v = v * 10 + d;
	}
	return v;
}

static __u32 cursor__u32(struct cursor *c)
{
	__u64 v = cursor__dec(c);

	if (v > UINT32_MAX && !c->err)
		c->err = -ERANGE;
	return c->err ? 0 : (__u32)v;
}

/*
 * "314.46" scaled by 10^@frac_digits, with integer arithmetic only: exact, and
 * immune to a locale whose decimal separator is a comma. A missing fraction
 * is zero; digits past @frac_digits are dropped.
 */
static __u64 cursor__fixed(struct cursor *c, unsigned int frac_digits)
{
	__u64 v = cursor__dec(c);
	bool frac;

	if (c->err)
		return 0;
	frac = c->p < c->end && *c->p == '.';
	if (frac)
		c->p++;
	for (unsigned int i = 0; i < frac_digits; i++) {
		unsigned int d = 0;

		if (frac && c->p < c->end && is_digit(*c->p))
			d = (unsigned int)(*c->p++ - '0');
		if (v > (UINT64_MAX - d) / 10) {
			c->err = -ERANGE;
			return 0;
		}
		v = v * 10 + d;
	}
	while (frac && c->p < c->end && is_digit(*c->p))
		c->p++;
	return v;
}

/* Printed with %d from idr_get_cursor() - 1, so -1 is possible in principle. */
static __s32 cursor__s32(struct cursor *c)
{
	bool negative = !c->err && c->p < c->end && *c->p == '-';
	__u64 v;

	if (negative)
		c->p++;
	v = cursor__dec(c);
	if (!c->err && v > (negative ? 1ULL + INT32_MAX : (__u64)INT32_MAX))
		c->err = -ERANGE;
	if (c->err)
		return 0;
	return negative ? (__s32)(-(__s64)v) : (__s32)v;
}

int loadavg__parse(const char *buf, size_t len, struct loadavg *out)
{
	struct cursor c;

	memset(out, 0, sizeof(*out));
	cursor__init(&c, buf, len);
	/* "%lu.%02lu %lu.%02lu %lu.%02lu %u/%d %d\n" */
	out->load1 = (double)cursor__fixed(&c, 2) / 100.0;
	cursor__expect(&c, ' ');
	out->load5 = (double)cursor__fixed(&c, 2) / 100.0;
	cursor__expect(&c, ' ');
	out->load15 = (double)cursor__fixed(&c, 2) / 100.0;
	cursor__expect(&c, ' ');
	out->nr_running = cursor__u32(&c);
	cursor__expect(&c, '/');
	out->nr_threads = cursor__u32(&c);
	cursor__expect(&c, ' ');
	out->last_pid = cursor__s32(&c);
	if (cursor__finish(&c))
		memset(out, 0, sizeof(*out));
	return c.err;
}

int loadavg__read(int proc_dirfd, struct loadavg *out)
{
	char buf[LINE_BUF_SIZE];
	ssize_t n = util__read_file_at(proc_dirfd, "loadavg", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return loadavg__parse(buf, (size_t)n, out);
}

int uptime__parse(const char *buf, size_t len, struct uptime *out)
{
	struct cursor c;

	memset(out, 0, sizeof(*out));
	cursor__init(&c, buf, len);
	/* "%lu.%02lu %lu.%02lu\n", seconds: scaled straight to ns. */
	out->uptime_ns = cursor__fixed(&c, 9);
	cursor__expect(&c, ' ');
	out->idle_ns = cursor__fixed(&c, 9);
	if (cursor__finish(&c))
		memset(out, 0, sizeof(*out));
	return c.err;
}

int uptime__read(int proc_dirfd, struct uptime *out)
{
	char buf[LINE_BUF_SIZE];
	ssize_t n = util__read_file_at(proc_dirfd, "uptime", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return uptime__parse(buf, (size_t)n, out);
}

/*
 * Why btime first. The kernel prints btime from its own record of the wall
 * time at boot (getboottime64(), shifted by the reader's time namespace), in
 * one step and in whole seconds, so every read agrees until the clock is
 * stepped. "realtime - uptime" is two readings taken at different instants,
 * the uptime one truncated to 10 ms, so it jitters from read to read and can
 * flip across a second boundary. And any step of CLOCK_REALTIME since boot
 * (NTP fixing a board without an RTC that booted in 1970, settimeofday, a VM
 * resumed from a snapshot) moves realtime while CLOCK_BOOTTIME, which
 * /proc/uptime counts, does not move, so the difference moves with it.
 * btime follows such steps too, as the kernel derives it from the same
 * offset; a consumer that needs a fixed origin (process start times as
 * identities) should read boot time once and keep it.
 */
int boot_time__read(int proc_dirfd, struct boot_time *out)
{
	struct proc_stat st;
	struct uptime up;
	struct timespec now;
	__u64 now_ns;
	int err;

	memset(out, 0, sizeof(*out));
	err = proc_stat__read(proc_dirfd, &st);
	if (err == -ENOMEM)
		return err;
	if (!err) {
		bool has = st.has & PROC_STAT_HAS_BTIME;
		__u64 btime_s = st.btime_s;

		proc_stat__free(&st);
		if (has) {
			if (btime_s > UINT64_MAX / NSEC_PER_SEC)
				return -ERANGE;
			out->boot_time_ns = btime_s * NSEC_PER_SEC;
			out->source = BOOT_TIME_BTIME;
			return 0;
		}
	}
	err = uptime__read(proc_dirfd, &up);
	if (err)
		return err;
	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (__u64)now.tv_sec * NSEC_PER_SEC + (__u64)now.tv_nsec;
	if (now_ns < up.uptime_ns)
		return -ERANGE;
	out->boot_time_ns = now_ns - up.uptime_ns;
	out->source = BOOT_TIME_UPTIME;
	return 0;
}
