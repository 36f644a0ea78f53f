// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Parsers for /proc/PID/{stat,statm,status,smaps_rollup,io,cmdline,cgroup,
 * environ} over a buffer, and the cwd/exe link targets. Formats are those of
 * fs/proc/array.c, fs/proc/task_mmu.c, fs/proc/base.c and
 * kernel/cgroup/cgroup.c. Reading them from a proc root is proc_pid_read.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

/* A decimal with an optional '-': the magnitude and the sign, or -EINVAL. */
static int parse_num(const char *s, size_t n, uint64_t *mag, bool *neg)
{
	uint64_t v = 0;
	size_t i = 0;

	*neg = n > 0 && s[0] == '-';
	if (*neg)
		i++;
	if (i == n)
		return -EINVAL;
	for (; i < n; i++) {
		unsigned int d = (unsigned char)s[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*mag = v;
	return 0;
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	bool neg;
	int err = parse_num(s, n, out, &neg);

	return err ? err : (neg ? -EINVAL : 0);
}

enum num_kind { NUM_I32, NUM_U32, NUM_I64, NUM_U64 };

/* Stores a parsed token into the typed field at @field, range-checked. */
static int store_num(void *field, enum num_kind kind, uint64_t mag, bool neg)
{
	switch (kind) {
	case NUM_U64:
		if (neg)
			return -EINVAL;
		*(uint64_t *)field = mag;
		return 0;
	case NUM_U32:
		if (neg || mag > UINT32_MAX)
			return -EINVAL;
		*(uint32_t *)field = (uint32_t)mag;
		return 0;
	case NUM_I64:
		if (mag > (uint64_t)INT64_MAX + neg)
			return -EINVAL;
		*(int64_t *)field = neg ? (int64_t)(0 - mag) : (int64_t)mag;
		return 0;
	case NUM_I32:
		if (mag > (uint64_t)INT32_MAX + neg)
			return -EINVAL;
		*(int32_t *)field = neg ? (int32_t)(0 - mag) : (int32_t)mag;
		return 0;
	}
	return -EINVAL;
}

struct stat_field {
	unsigned int num; /* proc(5) field number */
	unsigned int off;
	enum num_kind kind;
};

#define SF(n, member, k) { n, offsetof(struct proc_stat_fields, member), k }

/* The numeric fields we keep, in file order. */
static const struct stat_field stat_fields[] = {
	SF(4, ppid, NUM_I32),
	SF(5, pgrp, NUM_I32),
	SF(6, session, NUM_I32),
	SF(7, tty_nr, NUM_I32),
	SF(9, flags, NUM_U32),
	SF(10, minflt, NUM_U64),
	SF(12, majflt, NUM_U64),
	SF(14, utime_ticks, NUM_U64),
	SF(15, stime_ticks, NUM_U64),
	SF(16, cutime_ticks, NUM_I64),
	SF(17, cstime_ticks, NUM_I64),
	SF(18, priority, NUM_I64),
	SF(19, nice, NUM_I64),
	SF(20, num_threads, NUM_I64),
	SF(22, starttime_ticks, NUM_U64),
	SF(23, vsize_bytes, NUM_U64),
	SF(24, rss_pages, NUM_I64),
	SF(39, processor, NUM_I32),
	SF(42, delayacct_blkio_ticks, NUM_U64),
};

/*
 * Every kernel since 2.2 writes at least up to (39); we insist on (24) rss,
 * the last field we cannot do without, and read later ones as 0 if absent.
 */
#define STAT_MIN_FIELDS 24

static int parse_stat(const char *buf, size_t len, struct proc_stat_fields *out)
{
	const char *end = buf + len, *open, *close, *p;
	size_t next = 0, comm_len;
	unsigned int num;
	uint64_t mag;
	bool neg;
	int err;

	memset(out, 0, sizeof(*out));
	/* A task reaped between open and read leaves nothing to read. */
	if (len == 0)
		return -ESRCH;
	/* The kernel ends the line with '\n': without it the read was cut. */
	if (buf[len - 1] != '\n')
		return -EINVAL;
	/*
	 * comm may hold any byte but NUL, ')' and '\n' included, so it runs from
	 * the first '(' to the last ')': nothing after it can contain one.
	 */
	open = memchr(buf, '(', len);
	close = memrchr(buf, ')', len);
	if (!open || !close || close < open || open < buf + 2 || open[-1] != ' ')
		return -EINVAL;

	/* (1) pid */
	err = parse_num(buf, (size_t)(open - 1 - buf), &mag, &neg);
	if (err || store_num(&out->pid, NUM_I32, mag, neg) || out->pid <= 0)
		return -EINVAL;

	/* (2) comm: the kernel cuts it at 63 bytes; keep that much of a longer one. */
	comm_len = (size_t)(close - open - 1);
	if (comm_len > PROC_COMM_MAX - 1)
		comm_len = PROC_COMM_MAX - 1;
	memcpy(out->comm, open + 1, comm_len);
	out->comm[comm_len] = '\0';
	out->comm_len = (uint32_t)comm_len;

	p = close + 1;
	for (num = 3; p < end - 1; num++) {
		const char *tok;
		size_t n;

		if (*p != ' ')
			return -EINVAL;
		tok = ++p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		n = (size_t)(p - tok);
		if (n == 0)
			return -EINVAL;
		if (num == 3) {
			/* (3) state */
			if (n != 1)
				return -EINVAL;
			out->state = tok[0];
			continue;
		}
		/* Every field past (3) is a number, kept or not: a word means a bad buffer. */
		if (parse_num(tok, n, &mag, &neg))
			return -EINVAL;
		if (next < ARRAY_SIZE(stat_fields) && stat_fields[next].num == num) {
			const struct stat_field *f = &stat_fields[next++];

			if (store_num((char *)out + f->off, f->kind, mag, neg))
				return -EINVAL;
		}
	}
	if (p != end - 1)
		return -EINVAL;
	out->nfields = num - 1;
	if (out->nfields < STAT_MIN_FIELDS)
		return -EINVAL;
	return 0;
}

int proc_pid__parse_stat(const char *buf, size_t len, struct proc_stat_fields *out)
{
	int err = parse_stat(buf, len, out);

	/* Never hand back half a record that looks whole. */
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

/* Splits @buf into up to @max space-separated unsigned numbers; returns how many. */
static int parse_u64_list(const char *buf, size_t len, uint64_t *v, size_t max)
{
	const char *p = buf, *end = buf + len;
	size_t n = 0;

	while (p < end) {
		const char *tok = p;

		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (n == max || parse_u64(tok, (size_t)(p - tok), &v[n]))
			return -EINVAL;
		n++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
	}
	return (int)n;
}

int proc_pid__parse_statm(const char *buf, size_t len, long page_size, struct proc_statm *out)
{
	/* size resident shared text lib data dt; lib and dt are always 0 since 2.6. */
	uint64_t v[7], ps = (uint64_t)page_size;
	uint64_t *dst[] = { &out->size_bytes, &out->resident_bytes, &out->shared_bytes,
			    &out->text_bytes, NULL, &out->data_bytes };
	int n;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return -ESRCH;
	if (page_size <= 0 || buf[len - 1] != '\n')
		return -EINVAL;
	n = parse_u64_list(buf, len - 1, v, ARRAY_SIZE(v));
	if (n < 6)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(dst); i++) {
		if (dst[i] && __builtin_mul_overflow(v[i], ps, dst[i])) {
			memset(out, 0, sizeof(*out));
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * "Key:<spaces or tab>value[ kB]\n" lines, shared by status, smaps_rollup
 * and io. Lines whose key we do not know are skipped, so new kernel lines
 * and the "[rollup]" header of smaps_rollup pass.
 */
struct kv_line {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

/* Returns 1 with the next line in @kv, 0 at the end, -EINVAL for a cut last line. */
static int kv__next(const char **pp, const char *end, struct kv_line *kv)
{
	const char *p = *pp, *nl, *colon;

	if (p == end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl)
		return -EINVAL;
	*pp = nl + 1;
	colon = memchr(p, ':', (size_t)(nl - p));
	if (!colon) {
		kv->key = p;
		kv->key_len = 0;
		return 1;
	}
	kv->key = p;
	kv->key_len = (size_t)(colon - p);
	p = colon + 1;
	while (p < nl && (*p == ' ' || *p == '\t'))
		p++;
	kv->val = p;
	kv->val_len = (size_t)(nl - p);
	return 1;
}

enum kv_unit { KV_COUNT, KV_KB };

#define BIT(i) (1ull << (i))

struct kv_field {
	const char *key;
	unsigned int off;
	enum kv_unit unit;
};

/* Parses "123" (KV_COUNT) or "123 kB" (KV_KB, returned in bytes). */
static int kv__value(const struct kv_line *kv, enum kv_unit unit, uint64_t *out)
{
	size_t n = kv->val_len;
	uint64_t v;

	if (unit == KV_KB) {
		if (n < 3 || memcmp(kv->val + n - 3, " kB", 3) != 0)
			return -EINVAL;
		n -= 3;
	}
	if (parse_u64(kv->val, n, &v))
		return -EINVAL;
	if (unit == KV_KB && __builtin_mul_overflow(v, 1024, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Index of the table entry named by the line's key, or -1. */
static int kv__find(const struct kv_field *fields, size_t n, const struct kv_line *kv)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(fields[i].key) == kv->key_len &&
		    memcmp(fields[i].key, kv->key, kv->key_len) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * Fills the uint64_t members of @out named by @fields; *@seen gets a bit per
 * table entry found. Lines not in the table go to @other when it is set.
 */
static int kv__parse(const char *buf, size_t len, const struct kv_field *fields, size_t n,
		     void *out, uint64_t *seen,
		     int (*other)(const struct kv_line *kv, void *out))
{
	const char *p = buf, *end = buf + len;
	struct kv_line kv;
	int ret, i;

	*seen = 0;
	while ((ret = kv__next(&p, end, &kv)) == 1) {
		i = kv__find(fields, n, &kv);
		if (i < 0) {
			if (other && other(&kv, out))
				return -EINVAL;
			continue;
		}
		if (kv__value(&kv, fields[i].unit, (uint64_t *)((char *)out + fields[i].off)))
			return -EINVAL;
		*seen |= BIT(i);
	}
	return ret;
}

#define KVF(type, k, member, unit) { k, offsetof(struct type, member), unit }

/* Indices into the tables below, for the "seen" bits kv__parse returns. */
enum {
	ST_VM_PEAK, ST_VM_SIZE, ST_VM_HWM, ST_VM_RSS, ST_RSS_ANON, ST_RSS_FILE, ST_RSS_SHMEM,
	ST_VM_SWAP, ST_HUGETLB, ST_THREADS, ST_VOL_CS, ST_NONVOL_CS,
};

static const struct kv_field status_fields[] = {
	[ST_VM_PEAK] = KVF(proc_status, "VmPeak", vm_peak_bytes, KV_KB),
	[ST_VM_SIZE] = KVF(proc_status, "VmSize", vm_size_bytes, KV_KB),
	[ST_VM_HWM] = KVF(proc_status, "VmHWM", vm_hwm_bytes, KV_KB),
	[ST_VM_RSS] = KVF(proc_status, "VmRSS", vm_rss_bytes, KV_KB),
	[ST_RSS_ANON] = KVF(proc_status, "RssAnon", rss_anon_bytes, KV_KB),
	[ST_RSS_FILE] = KVF(proc_status, "RssFile", rss_file_bytes, KV_KB),
	[ST_RSS_SHMEM] = KVF(proc_status, "RssShmem", rss_shmem_bytes, KV_KB),
	[ST_VM_SWAP] = KVF(proc_status, "VmSwap", vm_swap_bytes, KV_KB),
	[ST_HUGETLB] = KVF(proc_status, "HugetlbPages", hugetlb_bytes, KV_KB),
	[ST_THREADS] = KVF(proc_status, "Threads", threads, KV_COUNT),
	[ST_VOL_CS] = KVF(proc_status, "voluntary_ctxt_switches", voluntary_ctxt_switches,
			  KV_COUNT),
	[ST_NONVOL_CS] = KVF(proc_status, "nonvoluntary_ctxt_switches",
			     nonvoluntary_ctxt_switches, KV_COUNT),
};

/* MAX_PID_NS_LEVEL (32) nested namespaces, and the initial one. */
#define MAX_PIDNS_LEVELS 33

/* Bits for the status lines that are not plain numbers. */
#define STATUS_UID 1u
#define STATUS_PPID 2u
#define STATUS_GID 4u

struct status_ctx {
	struct proc_status st;
	unsigned int seen;
};

static bool kv__is(const struct kv_line *kv, const char *key)
{
	return strlen(key) == kv->key_len && memcmp(kv->key, key, kv->key_len) == 0;
}

/* "real effective saved filesystem", as Uid: and Gid: print them. */
static int parse_ids(const struct kv_line *kv, uint32_t *ids[4])
{
	uint64_t v[4];

	if (parse_u64_list(kv->val, kv->val_len, v, ARRAY_SIZE(v)) != 4)
		return -EINVAL;
	for (size_t i = 0; i < 4; i++) {
		if (v[i] > UINT32_MAX)
			return -EINVAL;
		*ids[i] = (uint32_t)v[i];
	}
	return 0;
}

static int status_other(const struct kv_line *kv, void *arg)
{
	struct status_ctx *c = arg;
	struct proc_status *st = &c->st;
	uint64_t mag;
	bool neg;

	if (kv__is(kv, "Uid")) {
		uint32_t *ids[4] = { &st->uid_real, &st->uid_effective, &st->uid_saved,
				     &st->uid_fs };

		if (parse_ids(kv, ids))
			return -EINVAL;
		c->seen |= STATUS_UID;
	} else if (kv__is(kv, "Gid")) {
		uint32_t *ids[4] = { &st->gid_real, &st->gid_effective, &st->gid_saved,
				     &st->gid_fs };

		if (parse_ids(kv, ids))
			return -EINVAL;
		c->seen |= STATUS_GID;
	} else if (kv__is(kv, "PPid")) {
		if (parse_num(kv->val, kv->val_len, &mag, &neg) ||
		    store_num(&st->ppid, NUM_I32, mag, neg))
			return -EINVAL;
		c->seen |= STATUS_PPID;
	} else if (kv__is(kv, "Tgid")) {
		if (parse_num(kv->val, kv->val_len, &mag, &neg) || neg ||
		    store_num(&st->tgid, NUM_I32, mag, neg))
			return -EINVAL;
	} else if (kv__is(kv, "NSpid")) {
		/* One pid per namespace level, the reader's first and the innermost last. */
		uint64_t v[MAX_PIDNS_LEVELS];
		int n = parse_u64_list(kv->val, kv->val_len, v, ARRAY_SIZE(v));

		if (n < 1 || v[n - 1] == 0 || v[n - 1] > INT32_MAX)
			return -EINVAL;
		st->ns_pid = (int32_t)v[n - 1];
	}
	/* Name: is escaped ("\n" for a newline) and never read: stat has comm raw. */
	return 0;
}

int proc_pid__parse_status(const char *buf, size_t len, struct proc_status *out)
{
	struct status_ctx c = { 0 };
	uint64_t seen;
	int err;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return -ESRCH;
	/* struct proc_status leads struct status_ctx, so the table offsets apply. */
	err = kv__parse(buf, len, status_fields, ARRAY_SIZE(status_fields), &c, &seen,
			status_other);
	if (err)
		return err;
	/* Every kernel writes these; without them this is not a status file. */
	if (!(seen & BIT(ST_THREADS)) || c.seen != (STATUS_UID | STATUS_GID | STATUS_PPID))
		return -EINVAL;
	c.st.has_mm = seen & BIT(ST_VM_SIZE);
	*out = c.st;
	return 0;
}

enum {
	SM_RSS, SM_PSS, SM_PSS_ANON, SM_PSS_FILE, SM_PSS_SHMEM, SM_SHARED_CLEAN, SM_SHARED_DIRTY,
	SM_PRIVATE_CLEAN, SM_PRIVATE_DIRTY, SM_PRIVATE_HUGETLB, SM_SWAP, SM_SWAP_PSS,
};

#define SMF(k, member) KVF(proc_smaps_rollup, k, member, KV_KB)

static const struct kv_field smaps_fields[] = {
	[SM_RSS] = SMF("Rss", rss_bytes),
	[SM_PSS] = SMF("Pss", pss_bytes),
	[SM_PSS_ANON] = SMF("Pss_Anon", pss_anon_bytes),
	[SM_PSS_FILE] = SMF("Pss_File", pss_file_bytes),
	[SM_PSS_SHMEM] = SMF("Pss_Shmem", pss_shmem_bytes),
	[SM_SHARED_CLEAN] = SMF("Shared_Clean", shared_clean_bytes),
	[SM_SHARED_DIRTY] = SMF("Shared_Dirty", shared_dirty_bytes),
	[SM_PRIVATE_CLEAN] = SMF("Private_Clean", private_clean_bytes),
	[SM_PRIVATE_DIRTY] = SMF("Private_Dirty", private_dirty_bytes),
	[SM_PRIVATE_HUGETLB] = SMF("Private_Hugetlb", private_hugetlb_bytes),
	[SM_SWAP] = SMF("Swap", swap_bytes),
	[SM_SWAP_PSS] = SMF("SwapPss", swap_pss_bytes),
};

/* Lines smaps_rollup has had since it appeared in 4.14; the Pss split came in 5.7. */
#define SMAPS_REQUIRED                                                                     \
	(BIT(SM_RSS) | BIT(SM_PSS) | BIT(SM_SHARED_CLEAN) | BIT(SM_SHARED_DIRTY) |         \
	 BIT(SM_PRIVATE_CLEAN) | BIT(SM_PRIVATE_DIRTY) | BIT(SM_SWAP))
#define SMAPS_PSS_SPLIT (BIT(SM_PSS_ANON) | BIT(SM_PSS_FILE) | BIT(SM_PSS_SHMEM))

int proc_pid__parse_smaps_rollup(const char *buf, size_t len, struct proc_smaps_rollup *out)
{
	uint64_t seen;
	int err;

	memset(out, 0, sizeof(*out));
	/* No mm (kernel thread, zombie) reads as ESRCH; an empty read is the same case. */
	if (len == 0)
		return -ESRCH;
	err = kv__parse(buf, len, smaps_fields, ARRAY_SIZE(smaps_fields), out, &seen, NULL);
	if (!err && (seen & SMAPS_REQUIRED) != SMAPS_REQUIRED)
		err = -EINVAL;
	if (err) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	out->has_pss_split = (seen & SMAPS_PSS_SPLIT) == SMAPS_PSS_SPLIT;
	/* What would be freed if the process exited now. */
	out->uss_bytes = out->private_clean_bytes + out->private_dirty_bytes +
			 out->private_hugetlb_bytes;
	return 0;
}

static const struct kv_field io_fields[] = {
	KVF(proc_io, "rchar", rchar, KV_COUNT),
	KVF(proc_io, "wchar", wchar, KV_COUNT),
	KVF(proc_io, "syscr", syscr, KV_COUNT),
	KVF(proc_io, "syscw", syscw, KV_COUNT),
	KVF(proc_io, "read_bytes", read_bytes, KV_COUNT),
	KVF(proc_io, "write_bytes", write_bytes, KV_COUNT),
	KVF(proc_io, "cancelled_write_bytes", cancelled_write_bytes, KV_COUNT),
};

int proc_pid__parse_io(const char *buf, size_t len, struct proc_io *out)
{
	uint64_t seen;
	int err;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return -ESRCH;
	err = kv__parse(buf, len, io_fields, ARRAY_SIZE(io_fields), out, &seen, NULL);
	/* The kernel always writes all seven lines. */
	if (!err && seen != BIT(ARRAY_SIZE(io_fields)) - 1)
		err = -EINVAL;
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

/*
 * Lays out argv pointers, lengths and a NUL-terminated copy of the bytes in
 * one allocation, so one free() releases everything.
 */
static int cmdline_alloc(struct proc_cmdline *out, size_t argc, const char *buf, size_t len,
			 char **bytes)
{
	size_t head = (argc + 1) * sizeof(char *) + argc * sizeof(size_t);
	char *mem = malloc(head + len + 1);

	if (!mem)
		return -ENOMEM;
	out->argv = (char **)mem;
	out->arg_len = (size_t *)(mem + (argc + 1) * sizeof(char *));
	out->argc = argc;
	*bytes = mem + head;
	memcpy(*bytes, buf, len);
	(*bytes)[len] = '\0';
	return 0;
}

static bool is_title_sep(char c)
{
	return c == ' ' || c == '\0';
}

int proc_pid__parse_cmdline(const char *buf, size_t len, struct proc_cmdline *out)
{
	size_t argc = 0, i, start;
	char *b;
	int err;

	memset(out, 0, sizeof(*out));
	/* Kernel threads and zombies have no argv: an empty argv, not an error. */
	if (len == 0)
		return 0;
	if (buf[len - 1] == '\0') {
		/* execve's layout: every arg ends with a NUL; empty args are kept. */
		for (i = 0; i < len; i++)
			argc += buf[i] == '\0';
		err = cmdline_alloc(out, argc, buf, len - 1, &b);
		if (err)
			return err;
		for (i = 0, start = 0; i < argc; i++) {
			out->argv[i] = b + start;
			out->arg_len[i] = strlen(b + start);
			start += out->arg_len[i] + 1;
		}
		out->argv[argc] = NULL;
		return 0;
	}
	/*
	 * The process wrote over its argv (setproctitle): the kernel returns the
	 * text up to the first NUL past the arg area, and older kernels the whole
	 * area. Split on spaces, as ps shows it, treat a NUL as a space and drop
	 * the empty pieces that padding leaves.
	 */
	for (i = 0; i < len; i++)
		argc += !is_title_sep(buf[i]) && (i == 0 || is_title_sep(buf[i - 1]));
	err = cmdline_alloc(out, argc, buf, len, &b);
	if (err)
		return err;
	out->rewritten = true;
	for (i = 0, argc = 0; i < len; i++) {
		if (is_title_sep(b[i])) {
			b[i] = '\0';
			continue;
		}
		if (i == 0 || b[i - 1] == '\0') {
			out->argv[argc] = b + i;
			out->arg_len[argc] = 0;
			argc++;
		}
		out->arg_len[argc - 1]++;
	}
	out->argv[argc] = NULL;
	return 0;
}

void proc_cmdline__free(struct proc_cmdline *c)
{
	if (!c)
		return;
	free(c->argv);
	memset(c, 0, sizeof(*c));
}

int proc_pid__parse_cgroup(const char *buf, size_t len, struct proc_cgroup *out)
{
	size_t n = 0, i, head;
	char *mem, *p, *end;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return 0;
	if (buf[len - 1] != '\n')
		return -EINVAL;
	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	head = n * sizeof(struct proc_cgroup_entry);
	mem = malloc(head + len);
	if (!mem)
		return -ENOMEM;
	out->entries = (struct proc_cgroup_entry *)mem;
	p = mem + head;
	memcpy(p, buf, len);
	end = p + len;
	for (i = 0; i < n; i++) {
		struct proc_cgroup_entry *e = &out->entries[i];
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *c1, *c2;
		uint64_t id;

		*nl = '\0';
		/* A path may contain ':', so only the first two colons split. */
		c1 = strchr(p, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || parse_u64(p, (size_t)(c1 - p), &id) || id > UINT32_MAX) {
			free(mem);
			memset(out, 0, sizeof(*out));
			return -EINVAL;
		}
		*c1 = '\0';
		*c2 = '\0';
		e->hierarchy_id = (uint32_t)id;
		e->controllers = c1 + 1;
		e->path = c2 + 1;
		if (id == 0 && !*e->controllers)
			out->unified_path = e->path;
		p = nl + 1;
	}
	out->n = n;
	return 0;
}

void proc_cgroup__free(struct proc_cgroup *c)
{
	if (!c)
		return;
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

int proc_pid__parse_environ(const char *buf, size_t len, struct proc_cmdline *out)
{
	size_t n = 0, i, start;
	bool open_end;
	char *b;
	int err;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return 0;
	/*
	 * Unlike argv, an environment is never re-split on spaces: a value may
	 * hold them. A last string without its NUL (the process wrote over it)
	 * is kept whole.
	 */
	open_end = buf[len - 1] != '\0';
	for (i = 0; i < len; i++)
		n += buf[i] == '\0';
	n += open_end;
	err = cmdline_alloc(out, n, buf, open_end ? len : len - 1, &b);
	if (err)
		return err;
	for (i = 0, start = 0; i < n; i++) {
		out->argv[i] = b + start;
		out->arg_len[i] = strlen(b + start);
		start += out->arg_len[i] + 1;
	}
	out->argv[n] = NULL;
	out->rewritten = open_end;
	return 0;
}

int proc_kv__find(const char *buf, size_t len, const char *key, const char **val,
		  size_t *val_len)
{
	const char *p = buf, *end = buf + len;
	struct kv_line kv;
	int ret;

	while ((ret = kv__next(&p, end, &kv)) == 1) {
		if (kv__is(&kv, key)) {
			*val = kv.val;
			*val_len = kv.val_len;
			return 0;
		}
	}
	return ret ? ret : -ENOENT;
}

const char *proc_pid__tty_name(int32_t tty_nr, char *buf, size_t size)
{
	/* new_encode_dev(): minor in bits 0-7 and 20-31, major in bits 8-19. */
	uint32_t v = (uint32_t)tty_nr;
	uint32_t major = (v >> 8) & 0xfff;
	uint32_t minor = (v & 0xff) | ((v >> 12) & 0xfff00);

	if (v == 0)
		snprintf(buf, size, "%s", "");
	else if (major >= 136 && major <= 143) /* UNIX98_PTY_SLAVE_MAJOR, 8 majors */
		snprintf(buf, size, "pts/%u", (major - 136) * 256 + minor);
	else if (major == 4 && minor < 64) /* TTY_MAJOR: virtual consoles */
		snprintf(buf, size, "tty%u", minor);
	else if (major == 4) /* TTY_MAJOR 64..255: the 8250 serial ports */
		snprintf(buf, size, "ttyS%u", minor - 64);
	else if (major == 5 && minor == 1) /* TTYAUX_MAJOR */
		snprintf(buf, size, "%s", "console");
	else if (major == 5 && minor == 0)
		snprintf(buf, size, "%s", "tty");
	else
		snprintf(buf, size, "%u:%u", major, minor);
	return buf;
}

void proc_link__set(struct proc_link *out, const char *target, size_t len)
{
	static const char suffix[] = " (deleted)";
	const size_t slen = sizeof(suffix) - 1;

	/*
	 * d_path() appends the suffix to an unlinked file. A file really named
	 * "x (deleted)" reads the same: the kernel gives no way to tell.
	 */
	out->deleted = len >= slen && memcmp(target + len - slen, suffix, slen) == 0;
	if (out->deleted)
		len -= slen;
	if (len >= sizeof(out->path))
		len = sizeof(out->path) - 1;
	memmove(out->path, target, len);
	out->path[len] = '\0';
	out->len = len;
}

size_t proc_link__exe(const struct proc_link *l, char *dst, size_t size)
{
	static const char suffix[] = " (deleted)";
	const size_t slen = l->deleted ? sizeof(suffix) - 1 : 0;
	size_t len = l->len + slen, skip = 0;

	if (!size)
		return 0;
	/* The tail keeps the file's name, which a head cut would lose first. */
	if (len >= size) {
		skip = len - (size - 1);
		if (skip < l->len && l->path[skip] == '/')
			skip++;
	}
	len -= skip;
	if (skip < l->len) {
		memcpy(dst, l->path + skip, l->len - skip);
		memcpy(dst + l->len - skip, suffix, slen);
	} else {
		memcpy(dst, suffix + (skip - l->len), len);
	}
	dst[len] = '\0';
	return len;
}

int proc_pid__parse_children(const char *buf, int **pids, size_t *n, size_t *cap)
{
	const char *s;
	char *end;
	int err = 0;

	for (s = buf; *s && !err; s = end) {
		long v;

		while (*s == ' ' || *s == '\n')
			s++;
		if (!*s)
			break;
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno || end == s || v <= 0 || v > INT32_MAX) {
			err = -EINVAL;
			break;
		}
		if (*n == *cap)
			err = util__grow(pids, cap, sizeof(**pids), 8, UTIL_NO_MAX);
		if (!err)
			(*pids)[(*n)++] = (int)v;
	}
	return err;
}
