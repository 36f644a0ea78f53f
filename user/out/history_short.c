// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The short "exit" and "interval" lines of serve's history files
 * (jobtrace-records(5), HISTORY FILES), most of a day's records, made
 * here for sink_history.c, which batches, compresses and writes them:
 * with sink_json's writer and a plain file compressed at rotation,
 * formatting, then compressing 1.2 KB per record, then writing and
 * reading it again were 5 us of serve's CPU per record (make bench).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jobtrace/collector.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"
#include "history_text_priv.h"

/* A slot's text: "job" to "user" of an exit line, and what it was made from. */
struct shared_text {
	uint64_t ppid, parent_start_ns, boot_epoch_ns, cgroup_id;
	uint32_t uid, gid;
	int hierarchy;
	uint16_t len, key_off, klen, cg_off, clen; /* len 0: an empty slot */
	char s[440];
};

/* Room for @size more bytes at @b->buf + @b->len; NULL when there is no memory. */
char *history_buf__reserve(struct history_buf *b, size_t size)
{
	size_t cap;
	char *nb;

	if (b->cap - b->len >= size)
		return b->buf + b->len;
	/* What zstd took is read where it is until its frame ends: the frame ends first. */
	if (b->done && (!b->full || b->full(b))) {
		b->bad = true;
		return NULL;
	}
	cap = b->cap ? b->cap : 1 << 16;
	while (cap - b->len < size)
		cap *= 2;
	if (cap != b->cap) {
		nb = realloc(b->buf, cap);
		if (!nb) {
			b->bad = true;
			return NULL;
		}
		b->buf = nb;
		b->cap = cap;
	}
	return b->buf + b->len;
}

int history_short__init(struct history_short *h)
{
	memset(h, 0, sizeof(*h));
	h->shared = calloc(HISTORY_SHARED_SLOTS, sizeof(*h->shared));
	return h->shared ? 0 : -ENOMEM;
}

/* At a new file: users renamed since are named anew, a file's names are those of its hour. */
void history_short__forget(struct history_short *h)
{
	memset(h->shared, 0, HISTORY_SHARED_SLOTS * sizeof(*h->shared));
	h->user[0] = '\0';
}

void history_short__free(struct history_short *h)
{
	free(h->shared);
	h->shared = NULL;
}

/*
 * The part of a short exit line a job's processes share, "job" to "user"
 * (the same parent, cgroup and ids), kept as written in a slot per
 * (cgroup id, parent): a build's hundred exits a second are a few jobs'
 * and parents', and copying the text is a fraction of making it again.
 * The strings are checked against the text (a job freed and another made
 * at its address has the same pointer), the numbers against the slot.
 */
static struct shared_text *shared_slot(struct history_short *h, const struct jt_exit_event *e)
{
	uint64_t x = (e->cgroup_id ^ ((uint64_t)e->ppid << 32)) * 0x9e3779b97f4a7c15ULL;

	return &h->shared[x >> (64 - HISTORY_SHARED_SLOTS_LOG)];
}

static struct shared_text *shared_find(struct history_short *h, const struct proc_record *r,
				       uint64_t boot_epoch_ns)
{
	const struct jt_exit_event *e = r->e;
	struct shared_text *t = shared_slot(h, e);

	if (!t->len || t->ppid != e->ppid || t->parent_start_ns != e->parent_start_ns ||
	    t->boot_epoch_ns != boot_epoch_ns || t->cgroup_id != e->cgroup_id ||
	    t->uid != e->uid || t->gid != e->gid || t->hierarchy != r->cgroup_hierarchy ||
	    !r->cgroup || r->job->key_truncated ||
	    strncmp(r->job->job.key, t->s + t->key_off, t->klen) || r->job->job.key[t->klen] ||
	    strncmp(r->cgroup, t->s + t->cg_off, t->clen) || r->cgroup[t->clen])
		return NULL;
	return t;
}

/* The shared part of @r's line at @p, and into its slot when it fits; NULL: not short. */
static char *shared_put(struct history_short *h, const struct proc_record *r, char *p,
			size_t klen, size_t clen, uint64_t boot_epoch_ns)
{
	const struct jt_exit_event *e = r->e;
	struct shared_text *t = shared_slot(h, e);
	char *p0 = p, *cg;

	p = PUT(p, ",\"job\":");
	p = history_text__str(p, r->job->job.key, klen);
	p = PUT(p, ",\"ppid\":");
	p = history_text__u64(p, e->ppid);
	p = PUT(p, ",\"parent_start_ns\":");
	p = history_text__u64(p, e->parent_start_ns);
	/* exit_ns is "time" less it: the boot clock's zero on the epoch's, as serve took it. */
	p = PUT(p, ",\"boot_epoch_ns\":");
	p = history_text__u64(p, boot_epoch_ns);
	/* The job's own cgroup (a "cgroup:" key), most processes' own: left out. */
	cg = p0 + 8 + 7;
	if (strncmp(r->job->job.key, "cgroup:", 7) || strcmp(r->job->job.key + 7, r->cgroup)) {
		p = PUT(p, ",\"cgroup\":");
		cg = p + 1;
		p = history_text__str(p, r->cgroup, clen);
	}
	p = PUT(p, ",\"cgroup_id\":");
	p = history_text__u64(p, e->cgroup_id);
	if (r->cgroup_hierarchy > 0) {
		p = PUT(p, ",\"cgroup_hierarchy\":");
		p = history_text__u64(p, (uint64_t)r->cgroup_hierarchy);
	}
	p = PUT(p, ",\"uid\":");
	p = history_text__u64(p, e->uid);
	p = PUT(p, ",\"gid\":");
	p = history_text__u64(p, e->gid);
	p = PUT(p, ",\"user\":");
	p = history_text__str(p, h->user, h->user_len);
	if ((size_t)(p - p0) > sizeof(t->s))
		return p;
	*t = (struct shared_text){
		.ppid = e->ppid, .parent_start_ns = e->parent_start_ns,
		.boot_epoch_ns = boot_epoch_ns, .cgroup_id = e->cgroup_id, .uid = e->uid,
		.gid = e->gid, .hierarchy = r->cgroup_hierarchy, .len = (uint16_t)(p - p0),
		.key_off = 8, .klen = (uint16_t)klen, .cg_off = (uint16_t)(cg - p0),
		.clen = (uint16_t)clen,
	};
	memcpy(t->s, p0, t->len);
	return p;
}

/* What the shared part needs to be short; 1 when @r cannot be, 0 when it can. */
static int shared_check(struct history_short *h, const struct proc_record *r, size_t *klen,
			size_t *clen)
{
	const struct jt_exit_event *e = r->e;

	/* A name per uid, looked up once: most records are a few users'. */
	if (e->uid != h->user_uid || !h->user[0]) {
		h->user_uid = e->uid;
		if (!util__user_name(e->uid, h->user, sizeof(h->user)) ||
		    !history_text__plain(h->user, strlen(h->user)))
			h->user[0] = '\0';
		h->user_len = strlen(h->user);
	}
	if (r->job->key_truncated || !r->cgroup || !e->cgroup_id || e->uid == JT_ID_UNKNOWN ||
	    e->gid == JT_ID_UNKNOWN || !h->user[0])
		return 1;
	*klen = strlen(r->job->job.key);
	*clen = strlen(r->cgroup);
	return !history_text__plain(r->job->job.key, *klen) || !history_text__plain(r->cgroup, *clen);
}

/*
 * The short "exit" line of @r into @b (jobtrace-records(5), HISTORY
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
int history_short__exit(struct history_short *h, struct history_buf *b,
			 const struct proc_record *r)
{
	const struct jt_exit_event *e = r->e;
	int comm_len = history_text__comm_len(e->comm), st = (int)e->exit_status;
	size_t exe_len = r->exe ? strlen(r->exe) : 0, klen = 0, clen = 0, shared_len;
	uint64_t boot_epoch_ns = r->end_epoch_ns - e->exit_ns;
	/* The path it was exec'd by (its args[0], checked as the arguments are copied). */
	bool exe_arg0 = r->exe && r->args && r->args_len > exe_len &&
			!memcmp(r->args, r->exe, exe_len + 1);
	struct shared_text *t;
	char *p, *p0;

	_Static_assert(sizeof(e->comm) == 16, "history_text__comm_len reads 16 bytes");
	if (r->oom || (e->ns_pid && e->ns_pid != e->pid) || e->exit_ns < e->start_ns ||
	    r->end_epoch_ns < e->exit_ns || comm_len < 0 ||
	    (r->exe && !exe_arg0 && !history_text__plain(r->exe, exe_len)))
		return 1;
	t = shared_find(h, r, boot_epoch_ns);
	if (!t && shared_check(h, r, &klen, &clen))
		return 1;
	shared_len = t ? t->len : 512 + klen + clen + h->user_len;
	/* Keys and numbers: well under 1 KiB; the strings, each with its quotes and comma. */
	p0 = p = history_buf__reserve(b, 1024 + shared_len + exe_len +
				       (r->args ? r->args_len * 4 : 0));
	if (!p)
		return -ENOMEM;
	p = PUT(p, "{\"type\":\"exit\",\"time\":");
	p = history_text__secs_cached(p, &h->time_s, r->end_epoch_ns);
	p = PUT(p, ",\"pid\":");
	p = history_text__u64(p, e->pid);
	/* The start as its duration before the exit: a short number, start_ns is 14 digits. */
	p = PUT(p, ",\"duration_s\":");
	p = history_text__secs(p, e->exit_ns - e->start_ns);
	/* From here to "user": what a job's processes mostly share. */
	if (t) {
		memcpy(p, t->s, t->len);
		p += t->len;
	} else {
		p = shared_put(h, r, p, klen, clen, boot_epoch_ns);
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
	/* All 16 bytes of it (a fixed copy), the quote after its own. */
	p = PUT(p, ",\"comm\":\"");
	memcpy(p, e->comm, sizeof(e->comm));
	p += comm_len;
	*p++ = '"';
	if (r->args) {
		p = PUT(p, ",\"args\":[");
		if (r->args_len)
			p = history_text__args(p, r->args, r->args_len);
		if (!p)
			return 1; /* nothing kept of it: b->len moves at the end */
		*p++ = ']';
		if (r->args_truncated)
			p = PUT(p, ",\"args_truncated\":true");
		if (r->args_inherited)
			p = PUT(p, ",\"args_inherited\":true");
	} else {
		p = PUT(p, ",\"args\":null");
	}
	/* A path it was exec'd by (its args[0]): left out. */
	if (r->exe && !exe_arg0) {
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
	b->len += (size_t)(p - p0);
	return 0;
}

/*
 * The short "interval" line of @r into @b (jobtrace-records(5), HISTORY FILES):
 * "time" and "interval_s" exact, so that "start" and cpu.rate_pct are
 * derived; the counters that are 0, "complete": true and its empty
 * "incomplete" left out. 1 when the short line cannot say @r (counts not
 * known, incomplete, a key to escape), 0 when written, -ENOMEM.
 */
int history_short__interval(struct history_short *h, struct history_buf *b,
			     const struct interval_record *r)
{
	const struct cjob_cum *d = &r->d;
	size_t klen = strlen(r->job->job.key);
	char *p, *p0, *o;
	double pct;

	if ((r->job->job.unknown & JOB_UNKNOWN_COUNTS) || r->incomplete || r->job->key_truncated ||
	    r->t1_epoch_ns < r->t0_epoch_ns || !history_text__plain(r->job->job.key, klen))
		return 1;
	p0 = p = history_buf__reserve(b, 1024 + klen);
	if (!p)
		return -ENOMEM;
	p = PUT(p, "{\"type\":\"interval\",\"time\":");
	p = history_text__secs(p, r->t1_epoch_ns);
	p = PUT(p, ",\"job\":");
	p = history_text__str(p, r->job->job.key, klen);
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
	/* Not derived where the interval's cpu_cap bounds it: said, 100 times the cap. */
	if (interval_record__cpu_pct(r, &pct) &&
	    pct < 100.0 * (double)d->cpu_ns / (double)(r->t1_epoch_ns - r->t0_epoch_ns)) {
		p = PUT(p, ",\"rate_pct\":");
		p = history_text__u64(p, 100ULL * r->cpu_cap);
	}
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
	b->len += (size_t)(p - p0);
	return 0;
}

