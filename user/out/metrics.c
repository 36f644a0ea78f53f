// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The metrics store: per-job totals since a job's key was first seen, every
 * job's together, the host's last values and the collector's counters, as
 * the metrics sink (sink_metrics.c) hands them the records. metrics_write.c
 * writes it; the HTTP side (metrics_http.c) serves it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jobtrace/metrics.h"
#include "jobtrace/host.h"
#include "jobtrace/util.h"

#include "metrics_priv.h"

struct metrics *metrics__new(double keep_s)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->keep_s = keep_s;
	m->user_name = util__user_name;
	m->all.created_ns = util__realtime_ns();
	m->nbuckets = 64;
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	if (!m->buckets) {
		free(m);
		return NULL;
	}
	return m;
}

static void mjob__free(struct mjob *j)
{
	if (!j)
		return;
	free(j->alloc);
	free(j); /* its label with it */
}

void metrics__set_keep(struct metrics *m, double keep_s)
{
	m->keep_s = keep_s;
}

void metrics__set_user_name(struct metrics *m, metrics_user_name_fn fn)
{
	m->user_name = fn;
}

void metrics__free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t b = 0; b < m->nbuckets; b++) {
		struct mjob *j = m->buckets[b], *next;

		for (; j; j = next) {
			next = j->next;
			mjob__free(j);
		}
	}
	free(m->buckets);
	free(m->users);
	free(m);
}

__u64 metrics__gen(const struct metrics *m)
{
	return m->gen;
}

size_t metrics__jobs(const struct metrics *m)
{
	return m->n;
}

/* The length of the valid UTF-8 sequence at @s (RFC 3629), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned int cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and past U+10FFFF are not characters. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t metrics__utf8_clean(const char *in, size_t len, char *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;

	while (i < len) {
		size_t n = utf8_seq(s + i, len - i);

		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			/* U+FFFD: the text formats allow nothing but UTF-8. */
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return o;
}

static size_t hash_label(const char *s)
{
	/*
	 * FNV-1a from a basis of its own (FNV's, a digit short): /metrics lists
	 * the jobs in bucket order, which another basis would reshuffle.
	 */
	return (size_t)util__fnv1a(1469598103934665603ULL, s, strlen(s));
}

static int grow(struct metrics *m)
{
	size_t nb = m->nbuckets * 2;
	struct mjob **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct mjob *j = m->buckets[i], *next;

		for (; j; j = next) {
			size_t h = hash_label(j->label) % nb;

			next = j->next;
			j->next = b[h];
			b[h] = j;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = nb;
	return 0;
}

/* The series of @key, made when first seen; NULL with -ENOMEM. */
static struct mjob *job_of(struct metrics *m, const char *key)
{
	size_t len = strnlen(key, CJOB_KEY_SIZE);
	char label[3 * CJOB_KEY_SIZE + 1];
	struct mjob *j;
	size_t h, n;

	metrics__utf8_clean(key, len, label);
	h = hash_label(label) % m->nbuckets;
	for (j = m->buckets[h]; j; j = j->next)
		if (!strcmp(j->label, label))
			return j;
	if (m->n >= m->nbuckets && !grow(m))
		h = hash_label(label) % m->nbuckets;
	n = strlen(label) + 1;
	j = calloc(1, MJOB_SIZE(n));
	if (!j)
		return NULL;
	memcpy(j->label, label, n);
	j->label_plain = !label[strcspn(label, "\\\"\n")];
	j->next = m->buckets[h];
	m->buckets[h] = j;
	m->n++;
	return j;
}

/*
 * What @job was given and its efficiency, over its wall time up to @now_ns
 * (its end, once it ended): as the report computes them (job__allocation()).
 */
static void set_allocation(struct mjob *j, const struct job *job, __u64 now_ns)
{
	struct job_alloc_view a;
	char from[2][16];
	struct job at = *job; /* a shallow copy, read only: the wall time up to now */
	struct mjob_alloc *v;

	if (!at.end_ns)
		at.end_ns = now_ns;
	/*
	 * Read and nothing set (a cgroup with no limit, a batch system that
	 * gave no figure) writes no series, as none read: no room kept for it.
	 * serve's 10,000 unlimited cgroups kept 64 bytes each, all the same.
	 */
	if (!job__allocation(&at, &a, from[0], sizeof(from[0])) ||
	    (!a.cpus_known && !a.memory_known)) {
		free(j->alloc);
		j->alloc = NULL;
		return;
	}
	/* No memory for it: the job shows no allocation until a later record finds some. */
	v = j->alloc ? j->alloc : malloc(sizeof(*v));
	j->alloc = v;
	if (!v)
		return;
	v->cpus_known = a.cpus_known;
	v->cpus = a.cpus;
	v->cpus_source = a.cpus_cgroup || !a.cpus_known ? "cgroup" : "slurm";
	v->memory_known = a.memory_known;
	v->memory_bytes = a.memory_bytes;
	v->memory_source = a.memory_cgroup || !a.memory_known ? "cgroup" : "slurm";
	v->cpu_efficiency = job__cpu_efficiency(&at, &a);
	v->memory_efficiency = job__memory_efficiency(&at, &a);
}

int metrics__interval(struct metrics *m, const struct interval_record *r)
{
	struct mjob *j = job_of(m, r->job->job.key);

	m->gen++;
	if (!j)
		return -ENOMEM;
	/* A key seen again (a cgroup made anew) continues its counters. */
	if (j->ended) {
		j->ended = false;
		m->nended--; /* ended_min_ns stays: a bound, not a figure */
	}
	if (!j->created_ns)
		j->created_ns = r->t0_ns + (util__realtime_ns() - util__now_ns());
	m->all.user_ns += r->d.user_ns;
	m->all.system_ns += r->d.system_ns;
	m->all.started += r->d.started;
	m->host.forks_since += r->d.started;
	m->all.exit_ok += r->d.exit_ok;
	m->all.exit_error += r->d.exit_error;
	m->all.exit_signal += r->d.exit_signal;
	m->all.oom_kills += r->d.oom_kills;
	m->all.existing += r->d.existing;
	m->all.moved_in += r->d.moved_in;
	m->all.moved_out += r->d.moved_out;
	j->user_ns += r->d.user_ns;
	j->system_ns += r->d.system_ns;
	j->started += r->d.started;
	j->exit_ok += r->d.exit_ok;
	j->exit_error += r->d.exit_error;
	j->exit_signal += r->d.exit_signal;
	j->oom_kills += r->d.oom_kills;
	j->existing += r->d.existing;
	j->moved_in += r->d.moved_in;
	j->moved_out += r->d.moved_out;
	j->threads += r->d.threads;
	j->read_bytes += r->d.read_bytes;
	j->write_bytes += r->d.write_bytes;
	j->alive = r->alive;
	j->rss_bytes = r->rss_bytes;
	j->pss_bytes = r->pss_bytes;
	j->pss = r->pss;
	/* The job's live RSS at a sample is a floor of its peak, as a process's own peak is. */
	if (r->rss_bytes > j->peak_rss_bytes)
		j->peak_rss_bytes = r->rss_bytes;
	set_allocation(j, &r->job->job, r->t1_ns);
	return 0;
}

/* The series of @uid, made when first seen; NULL past the cap (counted) or with -ENOMEM. */
static struct muser *user_of(struct metrics *m, __u32 uid)
{
	struct muser *u;

	/* A host has few users: a scan of at most the cap, no hash to keep. */
	for (size_t i = 0; i < m->nusers; i++)
		if (m->users[i].uid == uid)
			return &m->users[i];
	if (m->nusers >= METRICS_MAX_USERS) {
		m->users_dropped++;
		return NULL;
	}
	if (!m->users) {
		m->users = calloc(METRICS_MAX_USERS, sizeof(*m->users));
		if (!m->users) {
			m->users_dropped++;
			return NULL;
		}
	}
	u = &m->users[m->nusers++];
	u->uid = uid;
	u->created_ns = util__realtime_ns();
	return u;
}

int metrics__process(struct metrics *m, const struct proc_record *r)
{
	const struct jt_exit_event *e = r->e;
	struct mjob *j = job_of(m, r->job->job.key);
	struct muser *u;
	int st = (int)e->exit_status;

	m->gen++;
	if (!j)
		return -ENOMEM;
	if (e->peak_rss_bytes > j->peak_rss_bytes)
		j->peak_rss_bytes = e->peak_rss_bytes;
	/* Proc mode cannot tell whose a process was: in no user's series. */
	if (e->uid == JT_ID_UNKNOWN)
		return 0;
	u = user_of(m, e->uid);
	if (!u)
		return 0;
	u->user_ns += e->user_ns;
	u->system_ns += e->system_ns;
	if (WIFSIGNALED(st))
		u->exit_signal++;
	else if (WEXITSTATUS(st))
		u->exit_error++;
	else
		u->exit_ok++;
	return 0;
}

int metrics__job_end(struct metrics *m, const struct cjob *j)
{
	const struct jt_job_stats *s = &j->job.stats;
	struct mjob *mj = job_of(m, j->job.key);

	m->gen++;
	if (!mj)
		return -ENOMEM;
	/*
	 * The collector closes the sum with a last interval before this, so
	 * the totals already match the report; the report's peak is the
	 * kernel's, which also covers processes whose records were lost.
	 */
	if (s->peak_rss_bytes > mj->peak_rss_bytes)
		mj->peak_rss_bytes = s->peak_rss_bytes;
	mj->alive = 0;
	mj->rss_bytes = 0;
	mj->pss_bytes = 0;
	if (!mj->ended && !m->nended++)
		m->ended_min_ns = j->job.end_ns;
	else if (j->job.end_ns < m->ended_min_ns)
		m->ended_min_ns = j->job.end_ns;
	mj->ended = true;
	mj->ended_ns = j->job.end_ns;
	set_allocation(mj, &j->job, j->job.end_ns);
	return 0;
}

void metrics__host(struct metrics *m, const struct host_record *r)
{
	struct host_vals *h = &m->host;

	m->gen++;
	h->have = true;
	h->unknown = r->unknown;
	h->load1 = r->load1;
	h->load5 = r->load5;
	h->load15 = r->load15;
	h->mem_total = r->mem_total_bytes;
	h->mem_available = r->mem_available_bytes;
	h->swap_total = r->swap_total_bytes;
	h->swap_free = r->swap_total_bytes - r->swap_used_bytes;
	h->procs_running = r->procs_running;
	h->procs_blocked = r->procs_blocked;
	h->have_stat = r->sample && (r->sample->have & HOST_HAVE_STAT);
	if (h->have_stat) {
		const struct cpu_times *t = &r->sample->stat.total;
		/*
		 * Counters, as a scraper reads them: never lower than a scrape
		 * before. The kernel's iowait can go backwards (NO_HZ: an idle
		 * CPU's iowait is recomputed when it wakes), and so can steal
		 * on some hypervisors; rate() reads any fall as a reset, a spike
		 * of the whole count. A mode that fell holds until it passes
		 * its old figure again.
		 */
#define CPU_MONO(f) h->cpu.f = t->f > h->cpu.f ? t->f : h->cpu.f
		CPU_MONO(user_ticks);
		CPU_MONO(nice_ticks);
		CPU_MONO(system_ticks);
		CPU_MONO(idle_ticks);
		CPU_MONO(iowait_ticks);
		CPU_MONO(irq_ticks);
		CPU_MONO(softirq_ticks);
		CPU_MONO(steal_ticks);
		CPU_MONO(guest_ticks);
		CPU_MONO(guest_nice_ticks);
#undef CPU_MONO
		h->forks = r->sample->stat.processes;
		h->forks_since = 0;
		h->ctxt = r->sample->stat.ctxt;
	}
	if (r->events_lost > m->st.kernel.events_lost)
		m->st.kernel.events_lost = r->events_lost;
}

#define KEEP_MAX(f)                \
	do {                       \
		if (st->f > m->st.f) \
			m->st.f = st->f; \
	} while (0)

void metrics__counters(struct metrics *m, const struct collector_stats *st)
{
	struct collector_stats before = m->st;

	KEEP_MAX(kernel.events_sent);
	KEEP_MAX(kernel.events_lost);
	KEEP_MAX(kernel.untracked);
	KEEP_MAX(kernel.procs_map_full);
	KEEP_MAX(kernel.jobs_missing);
	KEEP_MAX(kernel.jobs_map_full);
	KEEP_MAX(kernel.exec_records_lost);
	KEEP_MAX(kernel.fork_records_lost);
	KEEP_MAX(records_malformed);
	KEEP_MAX(records_late);
	KEEP_MAX(jobs_ended);
	if (memcmp(&before, &m->st, sizeof(before)))
		m->gen++;
}

void metrics__http_dropped(struct metrics *m, __u64 slow, __u64 full)
{
	if (slow != m->http_dropped_slow || full != m->http_dropped_full)
		m->gen++;
	m->http_dropped_slow = slow;
	m->http_dropped_full = full;
}

void metrics__history(struct metrics *m, const struct history_stats *h)
{
	if (!m->have_history || memcmp(&m->history, h, sizeof(*h)))
		m->gen++;
	m->history = *h;
	m->have_history = true;
}

void metrics__self(struct metrics *m, const struct self_sample *s)
{
	m->self = *s;
	m->have_self = true;
}

void metrics__expire(struct metrics *m, __u64 now_ns)
{
	__u64 keep_ns = (__u64)(m->keep_s * 1e9), min_ns = UINT64_MAX;

	/* Every ended job ended at ended_min_ns or later: none is due before it is. */
	if (!m->nended || now_ns < m->ended_min_ns || now_ns - m->ended_min_ns < keep_ns)
		return;
	for (size_t b = 0; b < m->nbuckets; b++) {
		struct mjob **pp = &m->buckets[b];

		while (*pp) {
			struct mjob *j = *pp;

			if (j->ended && now_ns >= j->ended_ns && now_ns - j->ended_ns >= keep_ns) {
				*pp = j->next;
				mjob__free(j);
				m->n--;
				m->nended--;
				m->gen++;
			} else {
				if (j->ended && j->ended_ns < min_ns)
					min_ns = j->ended_ns;
				pp = &j->next;
			}
		}
	}
	m->ended_min_ns = min_ns;
}
