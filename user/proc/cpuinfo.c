// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/cpuinfo, and the CPU lists of sysfs; the rest of /sys/devices/system/cpu is user/sys/cpu.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/cpuinfo.h"
#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

/* About 1.5 KiB per x86 CPU (the flags line); a bound only a broken file reaches. */
#define CPUINFO_BUF_MAX (64u << 20)


static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * "2600.000" as an integer scaled by 10^@frac_digits (2600000 for 3), so MHz
 * becomes kHz without floating point or the locale's decimal separator.
 * Digits past @frac_digits are dropped. *p is left after the number.
 */
static int scan_fixed(const char **p, const char *end, unsigned int frac_digits, __u64 *out)
{
	const char *s = *p;
	__u64 v;
	bool frac;
	int err = util__scan_u64(&s, end, &v);

	if (err)
		return err;
	frac = s < end && *s == '.';
	if (frac)
		s++;
	for (unsigned int i = 0; i < frac_digits; i++) {
		unsigned int d = 0;

		if (frac && s < end && is_digit(*s))
			d = (unsigned int)(*s++ - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	while (frac && s < end && is_digit(*s))
		s++;
	*p = s;
	*out = v;
	return 0;
}

/* The whole of [p, end) as a number, "0x" hex or decimal. */
static bool value_u32(const char *p, const char *end, __u32 *out)
{
	__u64 v = 0;

	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		for (; p < end; p++) {
			int d = hex_digit(*p);

			if (d < 0 || v > (UINT32_MAX >> 4))
				return false;
			v = v << 4 | (unsigned int)d;
		}
	} else if (util__scan_u64(&p, end, &v) || p != end || v > UINT32_MAX) {
		return false;
	}
	*out = (__u32)v;
	return true;
}

static void value_str(const char *p, const char *end, char dst[CPUINFO_STR_MAX])
{
	size_t n = (size_t)(end - p);

	if (n > CPUINFO_STR_MAX - 1)
		n = CPUINFO_STR_MAX - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* "cpu MHz : 2600.000" (x86), "clock : 2900.000000MHz" (powerpc). */
static void value_khz(const char *p, const char *end, __u64 *khz)
{
	__u64 v;

	if (scan_fixed(&p, end, 3, &v))
		return;
	if (p != end && !(end - p == 3 && memcmp(p, "MHz", 3) == 0))
		return;
	*khz = v;
}

static void value_bogomips(const char *p, const char *end, double *bogomips)
{
	__u64 v;

	if (scan_fixed(&p, end, 3, &v) == 0 && p == end)
		*bogomips = (double)v / 1000.0;
}

static bool key_is(const char *key, size_t klen, const char *name)
{
	return strlen(name) == klen && memcmp(key, name, klen) == 0;
}

static void parse_field(struct cpuinfo_cpu *c, const char *key, size_t klen, const char *v,
			const char *vend)
{
	if (key_is(key, klen, "vendor_id"))
		value_str(v, vend, c->vendor_id);
	else if (key_is(key, klen, "model name"))
		value_str(v, vend, c->model_name);
	else if (key_is(key, klen, "cpu family"))
		value_u32(v, vend, &c->family);
	else if (key_is(key, klen, "model"))
		value_u32(v, vend, &c->model); /* powerpc's is a string: stays 0 */
	else if (key_is(key, klen, "CPU implementer"))
		value_u32(v, vend, &c->implementer);
	else if (key_is(key, klen, "CPU part"))
		value_u32(v, vend, &c->part);
	else if (key_is(key, klen, "cpu MHz") || key_is(key, klen, "clock") ||
		 key_is(key, klen, "cpu MHz dynamic"))
		value_khz(v, vend, &c->cpu_khz);
	else if (key_is(key, klen, "bogomips") || key_is(key, klen, "BogoMIPS"))
		value_bogomips(v, vend, &c->bogomips);
	else if (key_is(key, klen, "physical id"))
		c->has_physical_id = value_u32(v, vend, &c->physical_id);
	else if (key_is(key, klen, "cpu cores"))
		value_u32(v, vend, &c->cpu_cores);
}

static int add_cpu(struct cpuinfo *ci, size_t *cap, __u32 processor)
{
	int err;

	if (ci->nr_cpus == *cap) {
		err = util__grow(&ci->cpus, cap, sizeof(*ci->cpus), 8, UTIL_NO_MAX);
		if (err)
			return err;
	}
	memset(&ci->cpus[ci->nr_cpus], 0, sizeof(ci->cpus[0]));
	ci->cpus[ci->nr_cpus++].processor = processor;
	return 0;
}

/*
 * s390's CPU @processor: a "processor N: version = ..." summary line, then
 * (4.x kernels on machines that report MHz, every 5.x and later) a "cpu
 * number : N" block. The same CPU is named by both: found, not added twice.
 */
static int s390_cpu(struct cpuinfo *ci, size_t *cap, __u32 processor, struct cpuinfo_cpu **cpu)
{
	int err;

	for (size_t i = 0; i < ci->nr_cpus; i++) {
		if (ci->cpus[i].processor == processor) {
			*cpu = &ci->cpus[i];
			return 0;
		}
	}
	err = add_cpu(ci, cap, processor);
	if (!err)
		*cpu = &ci->cpus[ci->nr_cpus - 1];
	return err;
}

/* s390's "processor 0" key, the number in the key; false for anything else. */
static bool s390_processor_key(const char *key, size_t klen, __u32 *processor)
{
	static const char prefix[] = "processor ";
	const size_t plen = sizeof(prefix) - 1;
	const char *d = key + plen;
	__u64 n;

	if (klen <= plen || memcmp(key, prefix, plen))
		return false;
	if (util__scan_u64(&d, key + klen, &n) || d != key + klen || n > UINT32_MAX)
		return false;
	*processor = (__u32)n;
	return true;
}

int cpuinfo__parse(const char *buf, size_t len, struct cpuinfo *out)
{
	const char *p = buf, *end = buf + len;
	struct cpuinfo_cpu *cur = NULL;
	__u64 khz_sum = 0, khz_n = 0;
	size_t cap = 0;
	__u32 s390_n;
	int err;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *colon, *kend, *v, *vend;

		if (!nl) {
			out->truncated = true;
			break;
		}
		colon = memchr(p, ':', (size_t)(nl - p));
		kend = colon ? colon : nl;
		while (kend > p && is_blank(kend[-1]))
			kend--;
		if (kend == p && !colon) {
			/*
			 * A blank line closes the block: arm's trailing
			 * "Hardware"/"Revision" block belongs to no CPU.
			 */
			cur = NULL;
			p = nl + 1;
			continue;
		}
		if (!colon) {
			p = nl + 1;
			continue;
		}
		v = colon + 1;
		vend = nl;
		while (v < vend && is_blank(*v))
			v++;
		while (vend > v && is_blank(vend[-1]))
			vend--;

		if (s390_processor_key(p, (size_t)(kend - p), &s390_n)) {
			/* A summary line, not a block: what follows is not this CPU's. */
			err = s390_cpu(out, &cap, s390_n, &cur);
			if (err)
				goto err_free;
			cur = NULL;
		} else if (key_is(p, (size_t)(kend - p), "cpu number")) {
			const char *d = v;
			__u64 n;

			cur = NULL;
			if (!util__scan_u64(&d, vend, &n) && d == vend && n <= UINT32_MAX) {
				err = s390_cpu(out, &cap, (__u32)n, &cur);
				if (err)
					goto err_free;
			}
		} else if (key_is(p, (size_t)(kend - p), "processor")) {
			const char *d = v;
			__u64 n;

			/* Old arm's "Processor : ARMv7 ..." has a capital P: not a CPU. */
			if (!util__scan_u64(&d, vend, &n) && d == vend && n <= UINT32_MAX) {
				err = add_cpu(out, &cap, (__u32)n);
				if (err)
					goto err_free;
				cur = &out->cpus[out->nr_cpus - 1];
			}
		} else if (cur) {
			parse_field(cur, p, (size_t)(kend - p), v, vend);
		}
		p = nl + 1;
	}
	if (!out->nr_cpus) {
		err = -ENODATA;
		goto err_free;
	}
	for (size_t i = 0; i < out->nr_cpus; i++) {
		if (out->cpus[i].cpu_khz) {
			khz_sum += out->cpus[i].cpu_khz;
			khz_n++;
		}
	}
	out->avg_khz = khz_n ? khz_sum / khz_n : 0;
	return 0;

err_free:
	cpuinfo__free(out);
	return err;
}

int cpuinfo__read(int proc_dirfd, struct cpuinfo *out)
{
	char *buf;
	ssize_t n = util__read_file_alloc(proc_dirfd, "cpuinfo", CPUINFO_BUF_MAX, &buf);
	int err;

	if (n < 0)
		return (int)n;
	err = cpuinfo__parse(buf, (size_t)n, out);
	free(buf);
	return err;
}

void cpuinfo__free(struct cpuinfo *ci)
{
	if (!ci)
		return;
	free(ci->cpus);
	ci->cpus = NULL;
	ci->nr_cpus = 0;
}

const struct cpuinfo_cpu *cpuinfo__find(const struct cpuinfo *ci, __u32 processor)
{
	for (size_t i = 0; ci && i < ci->nr_cpus; i++) {
		if (ci->cpus[i].processor == processor)
			return &ci->cpus[i];
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */

int cpulist__parse(const char *buf, size_t len, __u32 **cpus, size_t *nr)
{
	const char *p = buf, *end = buf + len;
	unsigned char *bits;
	size_t count = 0;
	__u32 *list = NULL;
	int err = 0;

	*cpus = NULL;
	*nr = 0;
	if (p < end && end[-1] == '\n')
		end--;
	bits = calloc(CPULIST_MAX_CPUS / 8, 1);
	if (!bits)
		return -ENOMEM;
	while (p < end) {
		__u64 lo, hi;

		if (*p == ',' || is_blank(*p)) {
			/* "0 1" from affected_cpus; "0,,1" is not a list. */
			if (*p == ',' && (p + 1 == end || p[1] == ',' || p == buf)) {
				err = -EPROTO;
				goto out_free;
			}
			p++;
			continue;
		}
		err = util__scan_u64(&p, end, &lo);
		if (err)
			goto out_free;
		hi = lo;
		if (p < end && *p == '-') {
			p++;
			err = util__scan_u64(&p, end, &hi);
			if (err)
				goto out_free;
		}
		if (p < end && *p != ',' && !is_blank(*p)) {
			err = -EPROTO;
			goto out_free;
		}
		if (hi < lo) {
			err = -EPROTO;
			goto out_free;
		}
		if (hi >= CPULIST_MAX_CPUS) {
			err = -ERANGE;
			goto out_free;
		}
		for (__u64 c = lo; c <= hi; c++) {
			if (!(bits[c / 8] & (1u << (c % 8))))
				count++;
			bits[c / 8] |= (unsigned char)(1u << (c % 8));
		}
	}
	if (count) {
		list = malloc(count * sizeof(*list));
		if (!list) {
			err = -ENOMEM;
			goto out_free;
		}
		for (__u32 c = 0, i = 0; c < CPULIST_MAX_CPUS; c++) {
			if (bits[c / 8] & (1u << (c % 8)))
				list[i++] = c;
		}
	}
	*cpus = list;
	*nr = count;
out_free:
	free(bits);
	return err;
}
