// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The repair sweep: see include/jobtrace/repair.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "jobtrace/collector.h"
#include "jobtrace/source.h"
#include "jobtrace/repair.h"

#define SET_MIN_CAP 256
#define SET_MAX_CAP (1U << 24) /* pid_max is at most 2^22 */

static size_t key_hash(const struct jt_proc_key *k, size_t cap)
{
	__u64 h = (k->tgid * 0x9e3779b97f4a7c15ULL) ^ (k->start_ns * 0xff51afd7ed558ccdULL);

	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static bool key_eq(const struct jt_proc_key *a, const struct jt_proc_key *b)
{
	return a->tgid == b->tgid && a->start_ns == b->start_ns;
}

/*
 * A set's slots are pages of their own, mapped and unmapped here, not
 * malloc's: the live set holds every process of the host for the length of
 * one sweep (512 KiB with 15,000 of them), and once a sweep ends it goes
 * back to the kernel. From malloc's heap it would stay in serve's RSS: the
 * BTF's buffers freed at the load raise malloc's mmap threshold past it.
 */
static struct jt_proc_key *slots_alloc(size_t cap)
{
	void *p = mmap(NULL, cap * sizeof(struct jt_proc_key), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Frees @s's slots (NULL: none); @s is left empty. */
static void set_free(struct repair_set *s)
{
	if (s->slots)
		munmap(s->slots, s->cap * sizeof(*s->slots));
	memset(s, 0, sizeof(*s));
}

static bool set_has(const struct repair_set *s, const struct jt_proc_key *k)
{
	if (!s->cap)
		return false;
	for (size_t i = key_hash(k, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slots[i].tgid)
			return false;
		if (key_eq(&s->slots[i], k))
			return true;
	}
}

static void set_put_slot(struct repair_set *s, const struct jt_proc_key *k)
{
	for (size_t i = key_hash(k, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slots[i].tgid) {
			s->slots[i] = *k;
			s->n++;
			return;
		}
		if (key_eq(&s->slots[i], k))
			return;
	}
}

/*
 * At most three quarters full: linear probing's misses then take 8.5
 * probes on average, its hits 2.5, over a few thousand processes once a
 * sweep. Half full, the live set of 10,000 processes took 32,768 slots
 * (512 KiB), and 768 KiB while it grew there, at every sweep.
 */
static bool set_full(size_t n, size_t cap)
{
	return n * 4 > cap * 3;
}

/*
 * Makes empty @s room for @n keys at once, so that it does not grow (and
 * hold two tables while it does); no room: left empty, set_add() grows it.
 */
static void set_reserve(struct repair_set *s, size_t n)
{
	size_t cap = SET_MIN_CAP;

	while (set_full(n, cap) && cap < SET_MAX_CAP)
		cap *= 2;
	s->slots = slots_alloc(cap);
	s->cap = s->slots ? cap : 0;
}

/* Adds @k (tgid > 0); -ENOMEM when the set cannot grow. */
static int set_add(struct repair_set *s, const struct jt_proc_key *k)
{
	if (!k->tgid)
		return 0;
	if (set_full(s->n + 1, s->cap)) {
		size_t cap = s->cap ? s->cap * 2 : SET_MIN_CAP;
		struct repair_set bigger = { .cap = cap };

		if (cap > SET_MAX_CAP)
			return -ENOMEM;
		bigger.slots = slots_alloc(cap); /* zeroed: every slot empty */
		if (!bigger.slots)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i].tgid)
				set_put_slot(&bigger, &s->slots[i]);
		set_free(s);
		*s = bigger;
	}
	set_put_slot(s, k);
	return 0;
}

void repair__init(struct repair *r, __u64 period_ns, __u64 now_ns)
{
	memset(r, 0, sizeof(*r));
	r->period_ns = period_ns;
	r->next_ns = now_ns + period_ns;
}

void repair__free(struct repair *r)
{
	if (!r)
		return;
	set_free(&r->live);
	set_free(&r->suspects);
	memset(r, 0, sizeof(*r));
}

bool repair__begin(struct repair *r, __u64 now_ns)
{
	if (!r->period_ns || now_ns < r->next_ns)
		return false;
	r->next_ns = now_ns + r->period_ns;
	set_free(&r->live);
	/* About as many as the last sweep saw: a host's processes come and go slowly. */
	if (r->live_last)
		set_reserve(&r->live, r->live_last + r->live_last / 16);
	r->collecting = true;
	r->failed = false;
	return true;
}

void repair__note_live(struct repair *r, __u32 tgid, __u64 start_ns)
{
	struct jt_proc_key k = { .tgid = tgid, .start_ns = start_ns };

	if (r->collecting && !r->failed && set_add(&r->live, &k))
		r->failed = true;
}

void repair__abort(struct repair *r)
{
	r->collecting = false;
	set_free(&r->live);
}

struct walk {
	struct repair *r;
	struct repair_set next; /* held but not live now: the next sweep's suspects */
	struct jt_proc_key *drop; /* suspects twice: dropped after the walk */
	size_t ndrop, cap;
	int err;
};

static int on_held(void *ctx, const struct jt_proc_key *key, __u64 job_id)
{
	struct walk *w = ctx;
	int err;

	if (set_has(&w->r->live, key))
		return 0;
	if (!set_has(&w->r->suspects, key)) {
		err = set_add(&w->next, key);
		return err;
	}
	/* Not removed while walking: a hash map's walk may skip what moves under it. */
	if (w->ndrop == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct jt_proc_key *v = realloc(w->drop, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->drop = v;
		w->cap = cap;
	}
	w->drop[w->ndrop++] = *key;
	return 0;
}

int repair__finish(struct repair *r, struct collector *c, const struct source_ops *ops,
		   void (*fn)(void *ctx, __u64 job_id), void *ctx)
{
	struct walk w = { .r = r };
	int err, dropped = 0;

	if (!r->collecting)
		return 0;
	r->collecting = false;
	if (r->failed || !ops->for_each_proc || !ops->drop_proc) {
		err = r->failed ? -ENOMEM : 0;
		goto out;
	}
	err = ops->for_each_proc(c, on_held, &w);
	if (err)
		goto out;
	r->sweeps++;
	for (size_t i = 0; i < w.ndrop; i++) {
		__u64 job_id = 0;

		/* -ENOENT: its exit came after all; nothing to repair. */
		if (ops->drop_proc(c, &w.drop[i], &job_id))
			continue;
		dropped++;
		if (fn)
			fn(ctx, job_id);
	}
	r->repaired += (__u64)dropped;
	/* What was held and not live this time is watched at the next sweep. */
	set_free(&r->suspects);
	r->suspects = w.next;
	w.next = (struct repair_set){};
out:
	set_free(&w.next);
	free(w.drop);
	/* Only a sweep needs it: built anew at the next one, 2 s on. */
	r->live_last = r->live.n;
	set_free(&r->live);
	return err ? err : dropped;
}
