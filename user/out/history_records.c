// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The history's JSON lines made back into the collector's records (the
 * reverse of sink_json's writer, as stream_records.c is the stream
 * sink's), for a sink: `top --replay` hands them to the top view and
 * `history --svg` to the picture sink, so that what they show of the past
 * is what the same code shows live. An "exit" line is a process record,
 * "interval" and "host" lines are theirs, a "job" line ends its job
 * (job_end); "system" lines, and lines of other types, are skipped.
 *
 * What the lines do not carry stays unknown: live processes (no "live"
 * record is kept), a process's ns_pid and OOM limit. A job's id is made
 * here, one per key from its first record to its "job" line; its per-
 * command table is folded from its exits as the collector folds it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/history.h"
#include "jobtrace/job.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#define ARGS_MAX 4096 /* as JT_ARGS_LEN's order: a process's argv, NUL-separated */
#define ARGV_MAX 256 /* a job's command, in words */

struct hjob {
	struct hmap_node node; /* by key */
	struct cjob cj;
	char key[CJOB_KEY_SIZE]; /* cj.key's */
	char *argv_buf; /* the "job" line's command, NUL-separated */
	char *argv[ARGV_MAX + 1];
};

struct history_records {
	struct hmap jobs;
	struct sink *expand; /* short exit lines written whole (history --json) */
	struct cjob tmp; /* their job: its key alone */
	char tmp_key[CJOB_KEY_SIZE];
	__u64 next_id;
	struct hjob *last; /* records of one job come in runs */
};

struct history_records *history_records__new(void)
{
	struct history_records *hr = calloc(1, sizeof(*hr));

	if (hr)
		hr->next_id = 1;
	return hr;
}

static void hjob_free(struct hjob *j)
{
	job__free(&j->cj.job);
	free(j->argv_buf);
	free(j);
}

static void hjob_free_node(struct hmap_node *n)
{
	hjob_free(hmap__entry(n, struct hjob, node));
}

void history_records__free(struct history_records *hr)
{
	if (!hr)
		return;
	hmap__free(&hr->jobs, hjob_free_node);
	sink__free(hr->expand);
	free(hr);
}

/* ---- values of a line ---- */

static const char *get(const char *l, size_t len, const char *path, size_t *vl)
{
	const char *v = history__json_get(l, len, path, vl);

	return v && !(*vl == 4 && !memcmp(v, "null", 4)) ? v : NULL;
}

static double dbl(const char *l, size_t len, const char *path)
{
	size_t vl;
	const char *v = get(l, len, path, &vl);

	return v ? strtod(v, NULL) : 0;
}

/* Whole numbers exactly (a double would round a nanosecond stamp). */
static __u64 u64(const char *l, size_t len, const char *path)
{
	size_t vl;
	const char *v = get(l, len, path, &vl);

	return v && *v != '-' ? strtoull(v, NULL, 10) : 0;
}

static bool flag(const char *l, size_t len, const char *path)
{
	size_t vl;
	const char *v = get(l, len, path, &vl);

	return v && vl == 4 && !memcmp(v, "true", 4);
}

static __u64 ns_of(double s)
{
	return s <= 0 ? 0 : (__u64)(s * 1e9 + 0.5);
}

static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

static unsigned int hex4(const char *p)
{
	unsigned int cp = 0;

	for (int k = 0; k < 4; k++) {
		char c = p[k];
		unsigned int d = c >= '0' && c <= '9' ? (unsigned int)(c - '0') :
				 c >= 'a' && c <= 'f' ? (unsigned int)(c - 'a' + 10) :
				 c >= 'A' && c <= 'F' ? (unsigned int)(c - 'A' + 10) : 16;

		if (d == 16)
			return 0xfffd;
		cp = cp << 4 | d;
	}
	return cp;
}

/*
 * The JSON string at @v (quotes included, @vl bytes) unescaped into @out
 * (room for @size, NUL-terminated); the bytes written. A \u escape of a
 * surrogate is U+FFFD: our writer makes none.
 */
size_t history__json_unescape(const char *v, size_t vl, char *out, size_t size)
{
	size_t o = 0;

	if (!size)
		return 0;
	if (vl < 2 || *v != '"') {
		out[0] = '\0';
		return 0;
	}
	for (size_t i = 1; i + 1 < vl && o + 4 < size; i++) {
		char c = v[i], u8[4];
		unsigned int cp;

		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		switch (v[++i]) {
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'u':
			/* Four hex digits, read here: the line has no NUL for sscanf to stop at. */
			cp = i + 4 < vl ? hex4(v + i + 1) : 0xfffd;
			i += 4;
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;
			o += put_utf8(o + 3 < size ? out + o : u8, cp);
			break;
		default: out[o++] = v[i]; break; /* \" \\ \/ */
		}
	}
	out[o] = '\0';
	return o;
}

/* A JSON array of strings into @out, each NUL-terminated; the bytes used. */
static size_t strings_of(const char *v, size_t vl, char *out, size_t size)
{
	const char *p = v + 1, *end = v + vl;
	size_t o = 0;

	if (vl < 2 || *v != '[')
		return 0;
	while (p < end && *p != ']') {
		const char *s = p, *q;

		if (*p != '"') {
			p++;
			continue;
		}
		for (q = p + 1; q < end && *q != '"'; q++)
			q += *q == '\\';
		if (q >= end || o + 1 >= size)
			break;
		o += history__json_unescape(s, (size_t)(q - s + 1), out + o, size - o) + 1;
		p = q + 1;
	}
	return o;
}

/* ---- jobs ---- */

static struct hjob *job_of(struct history_records *hr, const char *key, size_t klen)
{
	__u64 h;
	struct hmap_node **link;
	struct hjob *j;

	if (klen >= CJOB_KEY_SIZE)
		klen = CJOB_KEY_SIZE - 1;
	if (hr->last && !strncmp(hr->last->cj.job.key, key, klen) && !hr->last->cj.job.key[klen])
		return hr->last;
	h = util__fnv1a(UTIL_FNV1A_BASIS, key, klen);
	for (link = hmap__chain(&hr->jobs, h); link && *link; link = &(*link)->next) {
		j = hmap__entry(*link, struct hjob, node);
		if ((*link)->hash == h && !strncmp(j->cj.job.key, key, klen) && !j->cj.job.key[klen])
			return hr->last = j;
	}
	if (hmap__reserve(&hr->jobs, 64))
		return NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	memcpy(j->key, key, klen);
	j->cj.id = hr->next_id++;
	j->cj.cgroup_dirfd = -1;
	job__init(&j->cj.job, j->cj.id, NULL, 0);
	j->cj.job.key = j->key;
	j->cj.job.mode = "history";
	hmap__add(&hr->jobs, &j->node, h);
	return hr->last = j;
}

/* The job a line names (@path: "job", or "job.key"), unescaped. */
static struct hjob *job_named(struct history_records *hr, const char *l, size_t len,
			      const char *path)
{
	char key[CJOB_KEY_SIZE];
	size_t vl, n;
	const char *v = get(l, len, path, &vl);

	if (!v)
		return NULL;
	n = history__json_unescape(v, vl, key, sizeof(key));
	return job_of(hr, key, n);
}

static void job_drop(struct history_records *hr, struct hjob *j)
{
	struct hmap_node **link;

	if (hr->last == j)
		hr->last = NULL;
	for (link = hmap__chain(&hr->jobs, j->node.hash); link && *link; link = &(*link)->next) {
		if (*link == &j->node) {
			hmap__unlink(&hr->jobs, link);
			break;
		}
	}
	hjob_free(j);
}

/* ---- records ---- */

/*
 * Seconds as our writers write them ("12", "12.5", "0.000123456", or %.15g's
 * "1e-05"), to the nanosecond: a short exit line's "time" has every digit
 * of its stamp, which a double would round.
 */
static __u64 exact_ns(const char *v, size_t vl)
{
	__u64 sec = 0, frac = 0;
	size_t i = 0;
	int digits = 0;

	for (size_t k = 0; k < vl; k++)
		if (v[k] == 'e' || v[k] == 'E' || v[k] == '-')
			return ns_of(strtod(v, NULL));
	for (; i < vl && v[i] >= '0' && v[i] <= '9'; i++)
		sec = sec * 10 + (__u64)(v[i] - '0');
	if (i < vl && v[i] == '.')
		for (i++; i < vl && v[i] >= '0' && v[i] <= '9'; i++)
			if (digits < 9) {
				frac = frac * 10 + (__u64)(v[i] - '0');
				digits++;
			}
	for (; digits < 9; digits++)
		frac *= 10;
	return sec * 1000000000ULL + frac;
}

/* An exit line's record, whole or short (jobtrace-records(5), HISTORY FILES). */
struct exit_parse {
	struct jt_exit_event e;
	struct job_oom oom;
	struct proc_record r;
	char args[ARGS_MAX], exe[4096], cgroup[4096], comm[64], user[64];
};

/* @x from the line; @x->r.job is the caller's. */
static void parse_exit(const char *l, size_t len, struct exit_parse *x)
{
	struct jt_exit_event *e = &x->e;
	struct proc_record *r = &x->r;
	size_t vl;
	const char *v;
	int sig;

	memset(e, 0, sizeof(*e));
	memset(r, 0, sizeof(*r));
	x->oom = (struct job_oom){ .killed = true };
	e->pid = (__u32)u64(l, len, "pid");
	e->ppid = (__u32)u64(l, len, "ppid");
	e->start_ns = u64(l, len, "start_ns");
	e->parent_start_ns = u64(l, len, "parent_start_ns");
	e->exit_ns = u64(l, len, "exit_ns");
	sig = (int)u64(l, len, "signal");
	/* wait(2)'s status, as the kernel gave it. */
	e->exit_status = sig ? (__u32)(sig | (flag(l, len, "core_dumped") ? 0x80 : 0)) :
			       (__u32)((u64(l, len, "exit_code") & 0xff) << 8);
	e->threads = (__u32)u64(l, len, "threads");
	e->acct.cpu_ns = u64(l, len, "cpu.total_ns");
	e->user_ns = ns_of(dbl(l, len, "cpu.user_s"));
	e->system_ns = ns_of(dbl(l, len, "cpu.system_s"));
	e->acct.read_bytes = u64(l, len, "io.read_bytes");
	e->acct.write_bytes = u64(l, len, "io.write_bytes");
	e->acct.read_chars = u64(l, len, "io.read_chars");
	e->acct.write_chars = u64(l, len, "io.write_chars");
	e->peak_rss_bytes = u64(l, len, "peak_rss_bytes");
	e->is_root = flag(l, len, "is_root");
	e->flags = (__u8)((flag(l, len, "existing_at_attach") ? JT_F_EXISTING : 0) |
			  (flag(l, len, "moved") ? JT_F_MOVED : 0) |
			  (flag(l, len, "execed") ? JT_F_EXECED : 0));
	e->cgroup_id = u64(l, len, "cgroup_id");
	e->uid = get(l, len, "uid", &vl) ? (__u32)u64(l, len, "uid") : JT_ID_UNKNOWN;
	e->gid = get(l, len, "gid", &vl) ? (__u32)u64(l, len, "gid") : JT_ID_UNKNOWN;
	v = get(l, len, "comm", &vl);
	history__json_unescape(v ? v : "\"\"", v ? vl : 2, x->comm, sizeof(x->comm));
	memcpy(e->comm, x->comm, strnlen(x->comm, JT_COMM_LEN));
	r->e = e;
	v = get(l, len, "args", &vl);
	if (v) {
		r->args = x->args;
		r->args_len = strings_of(v, vl, x->args, sizeof(x->args));
		r->args_truncated = flag(l, len, "args_truncated");
		r->args_inherited = flag(l, len, "args_inherited");
	}
	v = get(l, len, "exe", &vl);
	if (v) {
		history__json_unescape(v, vl, x->exe, sizeof(x->exe));
		r->exe = x->exe;
	}
	v = get(l, len, "cgroup", &vl);
	if (v) {
		/* The process's own cgroup: the job's key names the job's, which may be above it. */
		history__json_unescape(v, vl, x->cgroup, sizeof(x->cgroup));
		r->cgroup = x->cgroup;
	}
	r->cgroup_hierarchy = (int)u64(l, len, "cgroup_hierarchy");
	if (flag(l, len, "oom_killed")) {
		e->flags |= JT_F_OOM_KILLED;
		r->oom = &x->oom;
	}
	if (history__json_get(l, len, "end_time", &vl)) {
		r->start_epoch_s = dbl(l, len, "start_time");
		r->end_epoch_s = dbl(l, len, "end_time");
		r->start_epoch_ns = ns_of(r->start_epoch_s);
		r->end_epoch_ns = ns_of(r->end_epoch_s);
		return;
	}
	/*
	 * Short: "time" is the exit to the nanosecond, "boot_epoch_ns" the
	 * boot clock's zero on the epoch's (exit_ns is "time" less it; a
	 * short line of an older serve has exit_ns itself) and "duration_s"
	 * the start before it; the CPU times exact, their sum left out; a
	 * "cgroup:" job's own cgroup, an exe that is args[0] and one thread
	 * left out.
	 */
	v = get(l, len, "time", &vl);
	r->end_epoch_ns = v ? exact_ns(v, vl) : 0;
	if (!history__json_get(l, len, "exit_ns", &vl))
		e->exit_ns = r->end_epoch_ns - u64(l, len, "boot_epoch_ns");
	if (!history__json_get(l, len, "start_ns", &vl)) {
		v = get(l, len, "duration_s", &vl);
		e->start_ns = e->exit_ns - (v ? exact_ns(v, vl) : 0);
	}
	v = get(l, len, "cpu.user_s", &vl);
	e->user_ns = v ? exact_ns(v, vl) : 0;
	v = get(l, len, "cpu.system_s", &vl);
	e->system_ns = v ? exact_ns(v, vl) : 0;
	if (!history__json_get(l, len, "cpu.total_ns", &vl))
		e->acct.cpu_ns = e->user_ns + e->system_ns;
	if (!history__json_get(l, len, "threads", &vl))
		e->threads = 1;
	r->start_epoch_ns = r->end_epoch_ns - (e->exit_ns - e->start_ns);
	r->start_epoch_s = (double)r->start_epoch_ns / 1e9;
	r->end_epoch_s = (double)r->end_epoch_ns / 1e9;
	v = get(l, len, "user", &vl);
	if (v) {
		history__json_unescape(v, vl, x->user, sizeof(x->user));
		r->user = x->user;
	}
	v = get(l, len, "job", &vl);
	if (!history__json_get(l, len, "cgroup", &vl) && v && vl > 9 && !memcmp(v, "\"cgroup:", 8)) {
		history__json_unescape(v, vl, x->cgroup, sizeof(x->cgroup));
		memmove(x->cgroup, x->cgroup + 7, strlen(x->cgroup + 7) + 1);
		r->cgroup = x->cgroup;
	}
	if (!history__json_get(l, len, "exe", &vl) && r->args) {
		snprintf(x->exe, sizeof(x->exe), "%s", r->args);
		r->exe = x->exe;
	}
}

static int feed_exit(struct history_records *hr, const char *l, size_t len, struct sink *s)
{
	struct hjob *j = job_named(hr, l, len, "job");
	struct exit_parse *x;
	int ret;

	if (!j)
		return -ENOMEM;
	x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	parse_exit(l, len, x);
	x->e.job_id = j->cj.id;
	x->r.job = &j->cj;
	/* Folded as the collector folds it: the job's commands, for top's COMMAND. */
	job__add_exit(&j->cj.job, &x->e);
	ret = s->ops->process ? s->ops->process(s, &x->r) : 0;
	free(x);
	return ret;
}

int history_records__expand(struct history_records *hr, const char *l, size_t len, FILE *out)
{
	size_t tl, vl;
	const char *t = history__json_get(l, len, "type", &tl), *v;
	struct exit_parse *x;
	int ret;

	if (!t || tl != 6 || memcmp(t, "\"exit\"", 6) || history__json_get(l, len, "end_time", &vl))
		return 0;
	if (!hr->expand || hr->expand->f != out) {
		sink__free(hr->expand);
		hr->expand = sink_jsonl__new(out, 0, true, false, false, false);
		if (!hr->expand)
			return -ENOMEM;
	}
	x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	parse_exit(l, len, x);
	v = get(l, len, "job", &vl);
	hr->tmp.job.key = hr->tmp_key;
	memset(hr->tmp_key, 0, sizeof(hr->tmp_key));
	if (v)
		history__json_unescape(v, vl, hr->tmp_key, sizeof(hr->tmp_key));
	x->r.job = &hr->tmp;
	ret = hr->expand->ops->process(hr->expand, &x->r);
	free(x);
	return ret ? ret : 1;
}

/*
 * The interval's cpu_cap where its line's cpu.rate_pct is less than its
 * CPU over its length: the rate was bounded (interval_record__cpu_pct()),
 * at 100 times the cap. 0 where it was not (or the line has none).
 */
static __u32 cpu_cap_of(const char *l, size_t len, const struct interval_record *r)
{
	__u64 dt = r->t1_epoch_ns > r->t0_epoch_ns ? r->t1_epoch_ns - r->t0_epoch_ns : 0;
	double said, cap;
	size_t vl;

	if (!dt || !get(l, len, "cpu.rate_pct", &vl))
		return 0;
	said = dbl(l, len, "cpu.rate_pct");
	if (!(said >= 100.0) || said >= 100.0 * (double)r->d.cpu_ns / (double)dt)
		return 0;
	cap = said / 100.0 + 0.5;
	return cap < (double)UINT32_MAX ? (__u32)cap : 0;
}

static int feed_interval(struct history_records *hr, const char *l, size_t len, struct sink *s)
{
	struct hjob *j = job_named(hr, l, len, "job");
	double t1 = dbl(l, len, "time");
	struct interval_record r = {};

	if (!j)
		return -ENOMEM;
	r.job = &j->cj;
	/* The monotonic stamps a sink takes the interval's length from: the epoch's here. */
	r.t1_epoch_ns = r.t1_ns = ns_of(t1);
	r.t0_ns = r.t1_ns - ns_of(dbl(l, len, "interval_s"));
	r.t0_epoch_ns = r.t0_ns;
	r.d = (struct cjob_cum){
		.cpu_ns = u64(l, len, "cpu.total_ns"),
		.user_ns = ns_of(dbl(l, len, "cpu.user_s")),
		.system_ns = ns_of(dbl(l, len, "cpu.system_s")),
		.started = u64(l, len, "processes.started"),
		.exited = u64(l, len, "processes.exited"),
		.exit_ok = u64(l, len, "processes.exit_ok"),
		.exit_error = u64(l, len, "processes.exit_error"),
		.exit_signal = u64(l, len, "processes.exit_signal"),
		.execs = u64(l, len, "processes.execs"),
		.threads = u64(l, len, "threads.started"),
		.read_bytes = u64(l, len, "io.read_bytes"),
		.write_bytes = u64(l, len, "io.write_bytes"),
		.existing = u64(l, len, "processes.existing_at_attach"),
		.moved_in = u64(l, len, "processes.moved_in"),
		.moved_out = u64(l, len, "processes.moved_out"),
		.exit_records_lost = u64(l, len, "lost.exit_records"),
		.fork_records_lost = u64(l, len, "lost.fork_records"),
		.exec_records_lost = u64(l, len, "lost.exec_records"),
	};
	r.alive = u64(l, len, "processes.alive");
	r.rss_bytes = u64(l, len, "memory.rss_bytes");
	r.pss_bytes = u64(l, len, "memory.pss_bytes");
	r.vm_bytes = u64(l, len, "memory.vm_bytes");
	r.open_files = u64(l, len, "open_files");
	r.pss = r.pss_bytes > 0;
	r.cpu_cap = cpu_cap_of(l, len, &r);
	return s->ops->interval ? s->ops->interval(s, &r) : 0;
}

/* A percentage or a rate; -1 where it is null (unknown). */
static double pct(const char *l, size_t len, const char *path)
{
	size_t vl;

	return get(l, len, path, &vl) ? dbl(l, len, path) : -1;
}

static int feed_host(const char *l, size_t len, struct sink *s)
{
	size_t vl;
	struct host_record r = {
		.cpu_busy_pct = pct(l, len, "cpu.busy_pct"),
		.cpu_user_pct = pct(l, len, "cpu.user_pct"),
		.cpu_system_pct = pct(l, len, "cpu.system_pct"),
		.cpu_iowait_pct = pct(l, len, "cpu.iowait_pct"),
		.ncpus = (unsigned int)u64(l, len, "cpu.count"),
		.mem_total_bytes = u64(l, len, "memory.total_bytes"),
		.mem_available_bytes = u64(l, len, "memory.available_bytes"),
		.mem_used_bytes = u64(l, len, "memory.used_bytes"),
		.swap_total_bytes = u64(l, len, "memory.swap_total_bytes"),
		.swap_used_bytes = u64(l, len, "memory.swap_used_bytes"),
		.load1 = dbl(l, len, "load.avg1"),
		.load5 = dbl(l, len, "load.avg5"),
		.load15 = dbl(l, len, "load.avg15"),
		.procs_running = u64(l, len, "processes.running"),
		.procs_blocked = u64(l, len, "processes.blocked"),
		.events_lost = u64(l, len, "lost.exit_records"),
		.fork_records_lost = u64(l, len, "lost.fork_records"),
		.exec_records_lost = u64(l, len, "lost.exec_records"),
	};

	/* null where the sampler could not read the file: unknown again, not 0. */
	if (!get(l, len, "cpu.count", &vl))
		r.unknown |= HOST_RECORD_NO_STAT;
	if (!get(l, len, "memory.total_bytes", &vl))
		r.unknown |= HOST_RECORD_NO_MEM;
	if (!get(l, len, "load.avg1", &vl))
		r.unknown |= HOST_RECORD_NO_LOAD;
	r.forks_per_s = pct(l, len, "processes.forks_per_s");
	r.ctxt_per_s = pct(l, len, "context_switches_per_s");
	r.t1_epoch_ns = r.t1_ns = ns_of(dbl(l, len, "time"));
	r.t0_epoch_ns = r.t0_ns = r.t1_ns - ns_of(dbl(l, len, "interval_s"));
	return s->ops->host ? s->ops->host(s, &r) : 0;
}

/* The job's totals from its "job" line, as its report had them; then its end. */
static int end_job(struct history_records *hr, struct hjob *j, const char *l, size_t len,
		   struct sink *s)
{
	struct jt_job_stats *st = &j->cj.job.stats;
	struct collector_stats cs = {};
	double end = dbl(l, len, "time"), wall = dbl(l, len, "job.wall_s");
	size_t vl, n = 0;
	const char *v = get(l, len, "job.command", &vl);
	int ret;

	if (v) {
		j->argv_buf = malloc(ARGS_MAX);
		if (j->argv_buf) {
			size_t used = strings_of(v, vl, j->argv_buf, ARGS_MAX);

			for (size_t o = 0; o < used && n < ARGV_MAX; o += strlen(j->argv_buf + o) + 1)
				j->argv[n++] = j->argv_buf + o;
		}
	}
	j->cj.job.argv = j->argv;
	j->cj.job.argc = (int)n;
	st->procs_started = u64(l, len, "processes.started");
	st->procs_exited = u64(l, len, "processes.exited");
	st->alive = (__s64)u64(l, len, "processes.alive");
	st->max_alive = u64(l, len, "processes.max_alive");
	st->exit_ok = u64(l, len, "processes.exit_ok");
	st->exit_error = u64(l, len, "processes.exit_error");
	st->exit_signal = u64(l, len, "processes.exit_signal");
	st->execs = u64(l, len, "processes.execs");
	st->threads_started = u64(l, len, "threads.started");
	st->cpu_ns = u64(l, len, "cpu.total_ns");
	st->user_ns = ns_of(dbl(l, len, "cpu.user_s"));
	st->system_ns = ns_of(dbl(l, len, "cpu.system_s"));
	st->peak_rss_bytes = u64(l, len, "memory.peak_rss_bytes");
	st->events_lost = u64(l, len, "events.lost");
	st->existing = u64(l, len, "processes.existing_at_attach");
	st->moved_in = u64(l, len, "processes.moved_in");
	st->moved_out = u64(l, len, "processes.moved_out");
	/* Counted alive but gone (exits missed): such a job ended all the same (top's rows). */
	j->cj.job.stale = u64(l, len, "limits.stale_entries");
	j->cj.job.records = u64(l, len, "events.received");
	j->cj.job.end_ns = ns_of(end);
	j->cj.job.start_ns = ns_of(end - wall);
	j->cj.cum = (struct cjob_mono){
		.cpu_ns = st->cpu_ns,
		.user_ns = st->user_ns,
		.system_ns = st->system_ns,
		.started = st->procs_started,
		.exited = st->procs_exited,
		.exit_error = st->exit_error,
		.exit_signal = st->exit_signal,
		.read_bytes = u64(l, len, "io.read_bytes"),
		.write_bytes = u64(l, len, "io.write_bytes"),
	};
	j->cj.ended = true;
	ret = s->ops->job_end ? s->ops->job_end(s, &j->cj, &cs) : 0;
	job_drop(hr, j);
	return ret;
}

int history_records__feed(struct history_records *hr, const char *l, size_t len, struct sink *s)
{
	size_t tl;
	const char *t = history__json_get(l, len, "type", &tl);
	struct hjob *j;

	if (!t || tl < 3)
		return 0;
	/* The type's first letters tell ours apart: exit, interval, host, job. */
	if (tl == 6 && !memcmp(t, "\"exit\"", 6))
		return feed_exit(hr, l, len, s);
	if (tl == 10 && !memcmp(t, "\"interval\"", 10))
		return feed_interval(hr, l, len, s);
	if (tl == 6 && !memcmp(t, "\"host\"", 6))
		return feed_host(l, len, s);
	if (tl == 5 && !memcmp(t, "\"job\"", 5)) {
		j = job_named(hr, l, len, "job.key");
		return j ? end_job(hr, j, l, len, s) : -ENOMEM;
	}
	return 0;
}

int history_records__end_open(struct history_records *hr, struct sink *s)
{
	int ret = 0, err;

	/* No "job" line (serve was killed, or the range ends first): its records' sums. */
	while (hr->jobs.n) {
		struct hjob *j = NULL;

		for (size_t i = 0; i < hr->jobs.nbuckets && !j; i++)
			if (hr->jobs.buckets[i])
				j = hmap__entry(hr->jobs.buckets[i], struct hjob, node);
		if (!j)
			break;
		j->cj.job.stats.procs_exited = j->cj.job.records;
		j->cj.job.stats.procs_started = j->cj.job.records;
		for (size_t i = 0; i < j->cj.job.commands.nbuckets; i++)
			for (struct hmap_node *p = j->cj.job.commands.buckets[i]; p; p = p->next)
				j->cj.job.stats.cpu_ns +=
					hmap__entry(p, struct job_command, node)->cpu_ns;
		err = s->ops->job_end ? s->ops->job_end(s, &j->cj, &(struct collector_stats){}) : 0;
		if (err && !ret)
			ret = err;
		job_drop(hr, j);
	}
	return ret;
}

size_t history_records__open_jobs(const struct history_records *hr)
{
	return hr->jobs.n;
}
