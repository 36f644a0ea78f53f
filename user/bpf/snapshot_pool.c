// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A pass of the task iterator with arguments read by several readers, a
 * CPU each: each copies the arguments of its share of the processes (the
 * program sees its share in the `readers` map, keyed by the reading
 * thread), and the shares are merged in pid order. One reader where the
 * kernel cannot key a thread (before 6.9), with one CPU, or where the CPUs
 * are taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "jobtrace/snapshot.h"
#include "snapshot.skel.h"
#include "snapshot_priv.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* 6.9: a pidfd of a thread, not of its process */
#endif

/*
 * @share stored for the calling thread in the `readers` map at @map_fd:
 * the program gives this thread only its share's records from then on.
 * *@pidfd, the key, for share_clear(). -EINVAL before 6.9 (no pidfd of a
 * thread).
 */
static int share_set(int map_fd, const struct jt_iter_share *share, int *pidfd)
{
	int fd, err;

	fd = (int)syscall(SYS_pidfd_open, gettid(), PIDFD_THREAD);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(map_fd, &fd, share, BPF_ANY)) {
		err = -errno;
		close(fd);
		return err;
	}
	*pidfd = fd;
	return 0;
}

/* The thread of @pidfd a reader of every task again. */
static void share_clear(int map_fd, int pidfd)
{
	bpf_map_delete_elem(map_fd, &pidfd);
	close(pidfd);
}

/*
 * The `readers` map of the program behind @link_fd (a pinned iterator's:
 * the link leads to the program and the program to its maps), so that the
 * shares are the program's own, never a map pinned beside it by another
 * load. A negative errno where it has none.
 */
static int readers_of_link(int link_fd)
{
	struct bpf_link_info link = {};
	struct bpf_prog_info prog = {};
	__u32 ids[8], len = sizeof(link);
	int prog_fd, fd, err = -ENOENT;

	if (bpf_obj_get_info_by_fd(link_fd, &link, &len))
		return -errno;
	prog_fd = bpf_prog_get_fd_by_id(link.prog_id);
	if (prog_fd < 0)
		return -errno;
	prog.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	prog.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(prog);
	if (bpf_obj_get_info_by_fd(prog_fd, &prog, &len))
		err = -errno;
	close(prog_fd);
	for (__u32 i = 0; err == -ENOENT && i < prog.nr_map_ids && i < 8; i++) {
		struct bpf_map_info map = {};

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		len = sizeof(map);
		if (!bpf_obj_get_info_by_fd(fd, &map, &len) &&
		    map.type == BPF_MAP_TYPE_TASK_STORAGE && !strcmp(map.name, "readers"))
			return fd;
		close(fd);
	}
	return err;
}

/* Where shares cannot be set: one reader from now on. */
static void no_shares(struct snapshot_iter *it)
{
	if (!it->skel && it->readers_fd >= 0)
		close(it->readers_fd);
	it->readers_fd = -2;
}

/* How many readers a pass of @it takes: one a CPU we may run on, 1 without shares. */
static unsigned int readers_for(struct snapshot_iter *it)
{
	unsigned int n = JT_ITER_MAX_READERS;
	cpu_set_t cpus;
	int fd;

	if (!it->args)
		return 1;
	if (!sched_getaffinity(0, sizeof(cpus), &cpus) && (unsigned int)CPU_COUNT(&cpus) < n)
		n = (unsigned int)CPU_COUNT(&cpus);
	if (it->max_readers && it->max_readers < n)
		n = it->max_readers;
	if (n < 2)
		return 1;
	if (it->readers_fd == -1) {
		fd = it->skel ? bpf_map__fd(it->skel->maps.readers) : readers_of_link(it->link_fd);
		it->readers_fd = fd >= 0 ? fd : -2;
	}
	return it->readers_fd >= 0 ? n : 1;
}

/* A reader of a pass and what it read. */
struct iter_reader {
	struct iter_pool *pool;
	struct jt_iter_share share;
	char *buf;
	struct ps_snapshot snap;
	int err;
	int claim; /* who reads the share this pass: CLAIM_FREE, CLAIM_THREAD, CLAIM_CALLER */
	bool done; /* read by its thread this pass (err says how) */
	bool started; /* its thread runs */
	pthread_t thread;
};

/*
 * A share is read by whichever takes it first: its thread when it wakes,
 * or the caller once done with its own, where that thread has not begun
 * (its CPU busy with another task). Waiting for a thread the scheduler had
 * not run made a shared pass slower than one reader on a loaded host.
 */
enum { CLAIM_FREE, CLAIM_THREAD, CLAIM_CALLER };

static bool claim(struct iter_reader *r, int who)
{
	int free_ = CLAIM_FREE;

	return __atomic_compare_exchange_n(&r->claim, &free_, who, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/*
 * The threads that read the other shares of a pass beside the caller,
 * started with the iterator and kept until it is freed: started at each
 * pass, their clone()s would take pids between ps's two reads of the
 * kernel's task count (which then never agree: a walk of all /proc), and
 * a new thread took a millisecond to get a CPU of its own.
 */
struct iter_pool {
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	unsigned int pass; /* bumped for each pass */
	unsigned int finished; /* shares read by threads this pass */
	unsigned int ready; /* threads past their start, waiting for a pass */
	bool stop;
	unsigned int n; /* readers, the caller's share 0 included */
	int link_fd, readers_fd;
	cpu_set_t allowed; /* the CPUs this process may run on */
	int cpu[JT_ITER_MAX_READERS]; /* each reader's this pass; -1: wherever */
	struct iter_reader r[JT_ITER_MAX_READERS];
};

/*
 * The calling thread kept on @cpu (>= 0). A sleepable iterator's program
 * runs with migration disabled, and runs most of a pass: two readers woken
 * on one CPU stayed there, taking turns, as slow as one (12 ms against 6).
 */
static void pin_to(int cpu)
{
	cpu_set_t one;

	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one); /* else where the kernel puts it */
}

/*
 * This pass's CPUs: the caller's where it runs now, so that it does not
 * move, and for each other reader one of the others it may run on.
 */
static void pick_cpus(struct iter_pool *pool)
{
	int here = sched_getcpu(), c = 0;

	pool->cpu[0] = here;
	for (unsigned int k = 1; k < pool->n; k++) {
		while (c < CPU_SETSIZE && (!CPU_ISSET(c, &pool->allowed) || c == here))
			c++;
		pool->cpu[k] = c < CPU_SETSIZE ? c++ : -1;
	}
	if (here < 0 || !CPU_ISSET(here, &pool->allowed))
		pool->cpu[0] = -1;
}

static void *reader_thread(void *arg)
{
	struct iter_reader *r = arg;
	struct iter_pool *pool = r->pool;
	unsigned int seen = 0;
	int pidfd = -1;
	bool shared = !share_set(pool->readers_fd, &r->share, &pidfd);

	pthread_mutex_lock(&pool->lock);
	pool->ready++;
	pthread_cond_signal(&pool->done);
	for (;;) {
		while (!pool->stop && pool->pass == seen)
			pthread_cond_wait(&pool->go, &pool->lock);
		if (pool->stop)
			break;
		seen = pool->pass;
		pthread_mutex_unlock(&pool->lock);
		/* Without its share set, it would read every task: the caller reads the share. */
		if (!shared || !claim(r, CLAIM_THREAD)) {
			pthread_mutex_lock(&pool->lock);
			continue;
		}
		pin_to(pool->cpu[r->share.index]);
		r->err = snapshot__read_pass(pool->link_fd, r->buf, &r->share, &r->snap);
		/* Free to run anywhere between passes, and to stop when told. */
		if (pool->cpu[r->share.index] >= 0)
			sched_setaffinity(0, sizeof(pool->allowed), &pool->allowed);
		pthread_mutex_lock(&pool->lock);
		r->done = true;
		pool->finished++;
		pthread_cond_signal(&pool->done);
	}
	pthread_mutex_unlock(&pool->lock);
	if (pidfd >= 0)
		share_clear(pool->readers_fd, pidfd);
	return NULL;
}

void snapshot_pool__free(struct iter_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = true;
	pthread_cond_broadcast(&pool->go);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned int k = 1; k < pool->n; k++)
		if (pool->r[k].started)
			pthread_join(pool->r[k].thread, NULL);
	pthread_cond_destroy(&pool->go);
	pthread_cond_destroy(&pool->done);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

/*
 * @it's readers, where a pass takes several (readers_for) and this kernel
 * lets a thread be given a share (tried here, on the calling thread).
 * Without them (it->pool NULL), one reader reads every task.
 */
void snapshot_pool__start(struct snapshot_iter *it)
{
	struct jt_iter_share probe = { .index = 0, .count = 1 };
	unsigned int n = readers_for(it), started = 0;
	struct iter_pool *pool;
	int pidfd;

	if (n < 2)
		return;
	if (share_set(it->readers_fd, &probe, &pidfd)) {
		no_shares(it);
		return;
	}
	share_clear(it->readers_fd, pidfd);
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return;
	if (!it->buf)
		it->buf = malloc((size_t)JT_ITER_MAX_READERS * ITER_BUF_BYTES);
	if (!it->buf) {
		free(pool);
		return;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->go, NULL);
	pthread_cond_init(&pool->done, NULL);
	pool->n = n;
	if (sched_getaffinity(0, sizeof(pool->allowed), &pool->allowed)) {
		CPU_ZERO(&pool->allowed); /* no pinning */
	}
	pool->link_fd = it->link_fd;
	pool->readers_fd = it->readers_fd;
	for (unsigned int k = 0; k < n; k++) {
		struct iter_reader *r = &pool->r[k];

		r->pool = pool;
		r->share = (struct jt_iter_share){ .index = k, .count = n };
		r->buf = it->buf + (size_t)k * ITER_BUF_BYTES;
		/* One that cannot start: its share is the caller's to read. */
		if (k)
			r->started = !pthread_create(&r->thread, NULL, reader_thread, r);
	}
	/*
	 * Back once every thread waits for a pass: one still starting is a
	 * task running when ps reads /proc/loadavg, which then said no CPU
	 * was free and the pass was never shared.
	 */
	pthread_mutex_lock(&pool->lock);
	for (unsigned int k = 1; k < n; k++)
		started += pool->r[k].started;
	while (pool->ready < started)
		pthread_cond_wait(&pool->done, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
	it->pool = pool;
}

/*
 * The readers' snapshots, each sorted by pid, merged into @out; each
 * process is in one share alone. The merge runs backwards, the highest pid
 * first, into share 0's array grown to hold them all: a place it fills is
 * past every entry of share 0 not yet taken, so no second array is needed
 * (5,000 entries are 800 KB of fresh pages to fault in). Entries move,
 * command lines with them; the other readers' arrays are freed.
 */
static int merge_shares(struct iter_reader *r, unsigned int n, struct ps_snapshot *out)
{
	size_t left[JT_ITER_MAX_READERS], total = 0;
	struct ps_entry *procs;

	for (unsigned int k = 0; k < n; k++) {
		left[k] = r[k].snap.n;
		total += left[k];
	}
	procs = realloc(r[0].snap.procs, (total ? total : 1) * sizeof(*procs));
	if (!procs)
		return -ENOMEM;
	r[0].snap.procs = procs;
	for (size_t i = total; i-- > 0;) {
		const struct ps_entry *from = NULL;
		unsigned int best = n;

		for (unsigned int k = 0; k < n; k++) {
			const struct ps_entry *p;

			if (!left[k])
				continue;
			p = k ? &r[k].snap.procs[left[k] - 1] : &procs[left[0] - 1];
			if (!from || p->pid > from->pid) {
				from = p;
				best = k;
			}
		}
		left[best]--;
		if (from != &procs[i])
			procs[i] = *from;
	}
	memset(out, 0, sizeof(*out));
	out->procs = procs;
	out->n = total;
	for (unsigned int k = 0; k < n; k++) {
		out->tasks += r[k].snap.tasks;
		out->args_iterated += r[k].snap.args_iterated;
		out->args_left += r[k].snap.args_left;
		if (k)
			free(r[k].snap.procs);
		r[k].snap.procs = NULL;
		r[k].snap.n = 0;
	}
	return 0;
}

/*
 * A pass by the pool: the caller reads share 0, and any share whose thread
 * did not start or could not be given it; the threads the others. 1 where
 * the caller's share cannot be set (it then reads every task alone), else
 * 0 or a negative errno.
 */
int snapshot_pool__read(struct iter_pool *pool, struct ps_snapshot *out)
{
	struct iter_reader *r = pool->r;
	unsigned int n = pool->n, taken = 0;
	int pidfd, err = 0;

	if (share_set(pool->readers_fd, &r[0].share, &pidfd))
		return 1;
	pick_cpus(pool);
	pin_to(pool->cpu[0]);
	pthread_mutex_lock(&pool->lock);
	pool->pass++;
	pool->finished = 0;
	for (unsigned int k = 1; k < n; k++) {
		r[k].done = false;
		r[k].claim = CLAIM_FREE;
	}
	pthread_cond_broadcast(&pool->go);
	pthread_mutex_unlock(&pool->lock);
	r[0].err = snapshot__read_pass(pool->link_fd, r[0].buf, &r[0].share, &r[0].snap);
	/*
	 * The shares no thread has begun, read here (its buffer is free
	 * again); then only the threads that took theirs are waited for.
	 */
	for (unsigned int k = 1; k < n; k++) {
		if (!claim(&r[k], CLAIM_CALLER)) {
			taken++;
			continue;
		}
		if (bpf_map_update_elem(pool->readers_fd, &pidfd, &r[k].share, BPF_EXIST))
			err = 1;
		else
			r[k].err = snapshot__read_pass(pool->link_fd, r[0].buf, &r[k].share, &r[k].snap);
	}
	pthread_mutex_lock(&pool->lock);
	while (pool->finished < taken)
		pthread_cond_wait(&pool->done, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
	if (pool->cpu[0] >= 0)
		sched_setaffinity(0, sizeof(pool->allowed), &pool->allowed);
	/* Each share read once, by its thread or here; else all of it again, alone. */
	for (unsigned int k = 1; k < n; k++)
		if (!r[k].done && r[k].claim != CLAIM_CALLER)
			err = 1;
	share_clear(pool->readers_fd, pidfd);
	for (unsigned int k = 0; k < n && !err; k++)
		err = r[k].err;
	if (!err)
		err = merge_shares(r, n, out);
	for (unsigned int k = 0; k < n; k++) {
		snapshot__free(&r[k].snap);
		r[k].err = 0;
	}
	if (!err)
		out->readers = n;
	return err;
}

unsigned int snapshot_pool__readers(const struct iter_pool *pool)
{
	return pool->n;
}
