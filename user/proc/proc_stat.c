// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/stat parser: fs/proc/stat.c show_stat() is the format's definition. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/proc_stat.h"
#include "jobtrace/util.h"

/*
 * The intr line has one column per IRQ number (nr_irqs can be in the
 * thousands), so the file outgrows any fixed buffer on big machines: it is
 * read into a growing buffer, up to a limit that only a broken file reaches.
 */
#define STAT_BUF_MAX (64u << 20)

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Next decimal number in [*pos, end), after blanks. -ENODATA when the line has
 * no more fields, -EPROTO when the field is not a number, -ERANGE past 64 bits.
 */
static int scan_u64(const char **pos, const char *end, __u64 *out)
{
	const char *p = *pos;
	__u64 v = 0;

	while (p < end && is_blank(*p))
		p++;
	if (p == end)
		return -ENODATA;
	if (!is_digit(*p))
		return -EPROTO;
	for (; p < end && is_digit(*p); p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (p < end && !is_blank(*p))
		return -EPROTO;
	*pos = p;
	*out = v;
	return 0;
}

/* "cpu" is the aggregate (*is_total); "cpuN" a CPU; false if it is neither. */
static bool cpu_key(const char *key, size_t klen, bool *is_total, __u32 *cpu)
{
	__u64 n = 0;

	if (klen < 3 || memcmp(key, "cpu", 3) != 0)
		return false;
	if (klen == 3) {
		*is_total = true;
		return true;
	}
	for (size_t i = 3; i < klen; i++) {
		if (!is_digit(key[i]))
			return false;
		n = n * 10 + (unsigned int)(key[i] - '0');
		if (n > UINT32_MAX)
			return false;
	}
	*is_total = false;
	*cpu = (__u32)n;
	return true;
}

static int parse_cpu_times(const char *p, const char *end, struct cpu_times *t, __u32 *nr)
{
	__u64 v[CPU_TIMES_NR_FIELDS] = { 0 };
	__u32 n = 0;
	int err;

	/* Columns past the tenth would be a newer kernel's: ignored, not an error. */
	while (n < CPU_TIMES_NR_FIELDS) {
		err = scan_u64(&p, end, &v[n]);
		if (err == -ENODATA)
			break;
		if (err)
			return err;
		n++;
	}
	/* Every kernel since 1.x printed user, nice, system and idle. */
	if (n < 4)
		return -EPROTO;
	t->user_ticks = v[0];
	t->nice_ticks = v[1];
	t->system_ticks = v[2];
	t->idle_ticks = v[3];
	t->iowait_ticks = v[4];
	t->irq_ticks = v[5];
	t->softirq_ticks = v[6];
	t->steal_ticks = v[7];
	t->guest_ticks = v[8];
	t->guest_nice_ticks = v[9];
	*nr = n;
	return 0;
}

static int add_cpu(struct proc_stat *st, size_t *cap, const struct proc_stat_cpu *c)
{
	if (st->nr_cpus == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct proc_stat_cpu *n = reallocarray(st->cpus, ncap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		st->cpus = n;
		*cap = ncap;
	}
	st->cpus[st->nr_cpus++] = *c;
	return 0;
}

static int cmp_cpu(const void *a, const void *b)
{
	const struct proc_stat_cpu *x = a, *y = b;

	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

/* The single-number lines, and lines whose first number is a total. */
static const struct {
	const char *key;
	size_t off;
	unsigned int bit;
} scalar_keys[] = {
	{ "intr", offsetof(struct proc_stat, intr_total), PROC_STAT_HAS_INTR },
	{ "ctxt", offsetof(struct proc_stat, ctxt), PROC_STAT_HAS_CTXT },
	{ "btime", offsetof(struct proc_stat, btime_s), PROC_STAT_HAS_BTIME },
	{ "processes", offsetof(struct proc_stat, processes), PROC_STAT_HAS_PROCESSES },
	{ "procs_running", offsetof(struct proc_stat, procs_running), PROC_STAT_HAS_PROCS_RUNNING },
	{ "procs_blocked", offsetof(struct proc_stat, procs_blocked), PROC_STAT_HAS_PROCS_BLOCKED },
	{ "softirq", offsetof(struct proc_stat, softirq_total), PROC_STAT_HAS_SOFTIRQ },
};

static int parse_line(struct proc_stat *st, size_t *cap, bool *seen_total, const char *p,
		      const char *end)
{
	const char *key = p;
	size_t klen;
	bool is_total;
	__u32 cpu;

	while (p < end && !is_blank(*p))
		p++;
	klen = (size_t)(p - key);

	if (cpu_key(key, klen, &is_total, &cpu)) {
		struct proc_stat_cpu c = { .cpu = cpu };
		int err = parse_cpu_times(p, end, &c.times, &c.nr_fields);

		if (err)
			return err;
		if (!is_total)
			return add_cpu(st, cap, &c);
		st->total = c.times;
		st->total_nr_fields = c.nr_fields;
		*seen_total = true;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(scalar_keys); i++) {
		__u64 v;
		int err;

		if (strlen(scalar_keys[i].key) != klen || memcmp(scalar_keys[i].key, key, klen))
			continue;
		err = scan_u64(&p, end, &v);
		if (err)
			return err == -ENODATA ? -EPROTO : err;
		memcpy((char *)st + scalar_keys[i].off, &v, sizeof(v));
		st->has |= scalar_keys[i].bit;
		return 0;
	}
	/* 2.4's page, swap and disk_io lines, and whatever comes next: not ours. */
	return 0;
}

int proc_stat__parse(const char *buf, size_t len, struct proc_stat *out)
{
	const char *p = buf, *end = buf + len;
	bool seen_total = false;
	size_t cap = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl) {
			out->truncated = true;
			break;
		}
		err = parse_line(out, &cap, &seen_total, p, nl);
		if (err)
			goto err_free;
		p = nl + 1;
	}
	if (!seen_total) {
		err = -ENODATA;
		goto err_free;
	}
	/* The kernel prints CPUs in ascending order; find_cpu relies on it. */
	for (size_t i = 1; i < out->nr_cpus; i++) {
		if (out->cpus[i - 1].cpu < out->cpus[i].cpu)
			continue;
		qsort(out->cpus, out->nr_cpus, sizeof(*out->cpus), cmp_cpu);
		break;
	}
	for (size_t i = 1; i < out->nr_cpus; i++) {
		if (out->cpus[i - 1].cpu == out->cpus[i].cpu) {
			err = -EPROTO;
			goto err_free;
		}
	}
	return 0;

err_free:
	proc_stat__free(out);
	return err;
}

int proc_stat__read(int proc_dirfd, struct proc_stat *out)
{
	char *buf;
	ssize_t n;
	int err;

	n = util__read_file_alloc(proc_dirfd, "stat", STAT_BUF_MAX, &buf);
	if (n < 0)
		return (int)n;
	err = proc_stat__parse(buf, (size_t)n, out);
	free(buf);
	return err;
}

void proc_stat__free(struct proc_stat *st)
{
	if (!st)
		return;
	free(st->cpus);
	st->cpus = NULL;
	st->nr_cpus = 0;
}

const struct proc_stat_cpu *proc_stat__find_cpu(const struct proc_stat *st, __u32 cpu)
{
	size_t lo = 0, hi = st->nr_cpus;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->cpus[mid].cpu == cpu)
			return &st->cpus[mid];
		if (st->cpus[mid].cpu < cpu)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

long proc_stat__clk_tck(void)
{
	long hz = sysconf(_SC_CLK_TCK);

	/* USER_HZ is 100 on every architecture Linux still ships but alpha. */
	return hz > 0 ? hz : 100;
}

__u64 proc_stat__ticks_to_ns(__u64 ticks)
{
	__u64 hz = (__u64)proc_stat__clk_tck();
	__u64 sec = ticks / hz, rem = ticks % hz;

	/*
	 * The aggregate line sums all CPUs, so a big machine's counter can
	 * approach 2^64 / 10^9 after some years; saturate rather than wrap.
	 */
	if (sec > UINT64_MAX / 1000000000ULL)
		return UINT64_MAX;
	sec *= 1000000000ULL;
	rem = rem * 1000000000ULL / hz;
	return sec > UINT64_MAX - rem ? UINT64_MAX : sec + rem;
}

static __u64 delta(__u64 prev, __u64 now)
{
	return now > prev ? now - prev : 0;
}

bool proc_stat__cpu_percent(const struct cpu_times *prev, const struct cpu_times *now,
			    struct cpu_percent *out)
{
	__u64 user = delta(prev->user_ticks, now->user_ticks);
	__u64 nice = delta(prev->nice_ticks, now->nice_ticks);
	__u64 system = delta(prev->system_ticks, now->system_ticks);
	__u64 idle = delta(prev->idle_ticks, now->idle_ticks);
	__u64 iowait = delta(prev->iowait_ticks, now->iowait_ticks);
	__u64 irq = delta(prev->irq_ticks, now->irq_ticks);
	__u64 softirq = delta(prev->softirq_ticks, now->softirq_ticks);
	__u64 steal = delta(prev->steal_ticks, now->steal_ticks);
	__u64 guest = delta(prev->guest_ticks, now->guest_ticks);
	__u64 guest_nice = delta(prev->guest_nice_ticks, now->guest_nice_ticks);
	__u64 busy = user + nice + system + irq + softirq + steal;
	/*
	 * The kernel adds guest time to user (and guest_nice to nice) as well
	 * as to its own column, so the total is the first eight columns only:
	 * adding guest again would count that time twice.
	 */
	__u64 total = busy + idle + iowait;
	double t = (double)total;

	memset(out, 0, sizeof(*out));
	if (total == 0)
		return false;
	/*
	 * Guest is a part of user; the two columns are rounded to ticks
	 * separately, so keep the part from exceeding the whole.
	 */
	if (guest > user)
		guest = user;
	if (guest_nice > nice)
		guest_nice = nice;

	out->user = 100.0 * (double)user / t;
	out->nice = 100.0 * (double)nice / t;
	out->system = 100.0 * (double)system / t;
	out->idle = 100.0 * (double)idle / t;
	out->iowait = 100.0 * (double)iowait / t;
	out->irq = 100.0 * (double)irq / t;
	out->softirq = 100.0 * (double)softirq / t;
	out->steal = 100.0 * (double)steal / t;
	out->guest = 100.0 * (double)guest / t;
	out->guest_nice = 100.0 * (double)guest_nice / t;
	out->busy = 100.0 * (double)busy / t;
	return true;
}
