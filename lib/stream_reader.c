// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libjobtrace: a reader of jobtrace serve's stream (include/jobtrace/stream.h).
 * It maps the file read-only and keeps its own cursor; the writer knows
 * nothing of it. Every record is copied out first and checked after the
 * copy against tail_intent: a record the writer overwrote meanwhile is never
 * handed out, the reader jumps to the latest record instead and says how
 * many it missed, from the sequence numbers. Nothing read from the mapping
 * is trusted as an offset or a length before it is bounded.
 *
 * Needs libc alone (no libbpf): agents link it with `pkg-config --libs jobtrace`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/stream.h"

#define JT_API __attribute__((visibility("default")))
#define STREAM_MAX_CAPACITY (1ULL << 30)
#define STREAM_TRIES 16 /* bounds every loop over what a writer (or a corrupter) moves */
/*
 * The pollable fd's thread waits on the writer's futex with this bit: the
 * writer's FUTEX_WAKE (all bits) reaches it, and jobtrace_stream_close()
 * wakes it alone with FUTEX_WAKE_BITSET. It looks at the writer's state
 * (gone, moved) at least this often.
 */
#define WAKER_BIT 0x40000000U
#define WAKER_CHECK_MS 250

/* The thread behind jobtrace_stream_fd(): futex wake-ups made an eventfd's readiness. */
struct waker {
	pthread_t tid;
	const struct jt_stream_meta *meta; /* the mapping it watches; the reader's, held still */
	const struct jobtrace_stream *s;
	int efd;
	int stop;
	pid_t pid; /* the process it runs in: a child of fork(2) has the struct, not the thread */
	/*
	 * What the reader's thread saw before it started the waker: a change
	 * after that is the waker's to say, one before it the reader's next
	 * look at the tail finds, so no wake-up falls between the two.
	 */
	__u32 word;
	int view;
};

struct jobtrace_stream {
	char *path;
	int fd; /* kept open: its size says whether the mapping is still all there */
	const struct jt_stream_meta *meta;
	const char *data;
	size_t map_len;
	dev_t dev;
	ino_t ino;
	__u64 capacity, mask, generation; /* taken once at open: never re-read from the map */
	__u64 cursor; /* position of the next record to read */
	__u64 last_seq; /* of the last record handed out (or skipped at open) */
	__u64 missed_total;
	bool same_pidns; /* the writer's pid means its process to us */
	struct waker *waker; /* jobtrace_stream_fd() started it; NULL until then */
	int efd; /* its eventfd, kept across restarts; -1 until jobtrace_stream_fd() */
	int pending; /* an error a batch met after its records: the next call's */
};

static __u64 load(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/*
 * A file a writer we trust made: a regular file (a FIFO would block the
 * open, a device is not a stream) owned by root, as serve runs, or by the
 * reader's own user. Any user may create a file in /dev/shm; one of theirs
 * at the path could feed the reader records, or shrink under its mapping.
 */
static int check_file(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return -EPERM;
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return -EPERM;
	return 0;
}

/*
 * The file at @path, mapped, its header checked; the cursor at its start.
 * O_NONBLOCK: a FIFO planted at the path opens at once and is refused,
 * where a plain open would wait forever for a writer. O_NOFOLLOW: the
 * path itself, not where a link there points.
 */
static int map_file(struct jobtrace_stream *s, const char *path)
{
	struct jt_stream_meta m;
	struct stat st;
	void *map;
	int fd, err;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	err = check_file(&st);
	if (err)
		goto out;
	err = -EPROTO;
	if (st.st_size < JT_STREAM_META_SIZE || pread(fd, &m, sizeof(m), 0) != sizeof(m))
		goto out;
	if (m.magic != JT_STREAM_MAGIC)
		goto out;
	err = -EPROTONOSUPPORT;
	if (m.version != JT_STREAM_VERSION)
		goto out;
	err = -EPROTO;
	if (m.meta_size != JT_STREAM_META_SIZE || m.capacity < 4096 ||
	    m.capacity > STREAM_MAX_CAPACITY || (m.capacity & (m.capacity - 1)) ||
	    (__u64)st.st_size < JT_STREAM_META_SIZE + m.capacity)
		goto out;
	map = mmap(NULL, JT_STREAM_META_SIZE + m.capacity, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		goto out;
	}
	s->meta = map;
	s->data = (const char *)map + JT_STREAM_META_SIZE;
	s->map_len = JT_STREAM_META_SIZE + m.capacity;
	s->capacity = m.capacity;
	s->mask = m.capacity - 1;
	s->generation = m.generation;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->cursor = 0;
	s->last_seq = 0;
	s->fd = fd;
	/* Not known (no /proc): kill(2) would be asked about a stranger's pid. */
	s->same_pidns = m.writer_pidns_ino && !stat("/proc/self/ns/pid", &st) &&
			(__u64)st.st_ino == m.writer_pidns_ino;
	return 0;
out:
	close(fd);
	return err;
}

static void unmap_file(struct jobtrace_stream *s)
{
	munmap((void *)s->meta, s->map_len);
	close(s->fd);
}

/*
 * The file is shorter than the mapping: someone truncated it, and a load
 * from the part cut off would be a SIGBUS. Asked before every use of the
 * mapping (one lseek, a cheap system call); a file cut while a record is
 * being copied can still fault, a window of the copy's length. Only the
 * file's owner (root, or the reader's user: check_file()) can cut it.
 */
static bool cut_short(const struct jobtrace_stream *s)
{
	off_t end = lseek(s->fd, 0, SEEK_END);

	return end < 0 || (__u64)end < s->map_len;
}

/* The path names another file than the one mapped (a writer replaced it), or none. */
static bool path_moved(const struct jobtrace_stream *s)
{
	struct stat st;

	return !stat(s->path, &st) && (st.st_dev != s->dev || st.st_ino != s->ino);
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/*
 * The writer died or went silent: its heartbeat is older than
 * JT_STREAM_GONE_MS, or (only where we share its pid namespace, else the
 * number names a stranger or nobody) its process is gone. A pid that was
 * reused by another process keeps kill(2) quiet: the heartbeat still says.
 */
static bool writer_gone(const struct jt_stream_meta *m, bool same_pidns)
{
	__u64 beat = load(&m->heartbeat_ns), now = monotonic_ns();
	__u32 pid = __atomic_load_n(&m->writer_pid, __ATOMIC_RELAXED);

	if (beat && now > beat && now - beat > JT_STREAM_GONE_MS * 1000000ULL)
		return true;
	/* 0 or a "negative" pid would ask about process groups: never. */
	return same_pidns && pid > 0 && pid <= INT_MAX && kill((pid_t)pid, 0) && errno == ESRCH;
}

/* Nothing the writer did since reading @pos overwrote it. */
static bool intact(const struct jobtrace_stream *s, __u64 pos)
{
	/* The copy's loads happen before the intent's. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return pos + s->capacity > load(&s->meta->tail_intent);
}

/* What the waker watches, in one number: a change makes the fd readable. */
static int waker_view(const struct jobtrace_stream *s, const struct jt_stream_meta *m, bool cut)
{
	int v = path_moved(s) ? 0x100 : 0;

	if (cut)
		return v | 0x200;
	v |= (int)(__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) & 0xff);
	return v | (writer_gone(m, s->same_pidns) ? 0x400 : 0);
}

/*
 * The thread behind jobtrace_stream_fd(). A futex cannot be polled, and the
 * writer wakes one only (FUTEX_WAKE, once per batch): this thread waits on
 * it and makes each wake-up, and each change of the writer's state, a
 * count on an eventfd that the caller polls. It reads the header page
 * alone, through the reader's mapping, which the reader leaves in place
 * until it has stopped the thread (a restart, the close).
 */
static void *waker_main(void *arg)
{
	struct waker *wk = arg;
	const struct jt_stream_meta *m = wk->meta;
	__u32 last_word = wk->word, word = wk->word;
	int last_view = wk->view, view;
	struct timespec ts;
	__u64 until;
	bool cut;

	for (;;) {
		cut = cut_short(wk->s);
		if (!cut)
			word = __atomic_load_n(&m->futex, __ATOMIC_ACQUIRE);
		view = waker_view(wk->s, m, cut);
		if (word != last_word || view != last_view) {
			eventfd_write(wk->efd, 1);
			last_word = word;
			last_view = view;
		}
		if (__atomic_load_n(&wk->stop, __ATOMIC_ACQUIRE))
			break;
		until = monotonic_ns() + WAKER_CHECK_MS * 1000000ULL;
		ts.tv_sec = (time_t)(until / 1000000000ULL);
		ts.tv_nsec = (long)(until % 1000000000ULL);
		/* A cut file's futex may be gone with it: only its time passes. */
		if (cut)
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		else
			syscall(SYS_futex, &m->futex, FUTEX_WAIT_BITSET, word, &ts, NULL,
				WAKER_BIT);
	}
	return NULL;
}

static int waker_start(struct jobtrace_stream *s)
{
	struct waker *wk = calloc(1, sizeof(*wk));
	sigset_t all, old;
	bool cut;
	int err;

	if (!wk)
		return -ENOMEM;
	wk->meta = s->meta;
	wk->s = s;
	wk->efd = s->efd;
	wk->pid = getpid();
	cut = cut_short(s);
	wk->word = cut ? 0 : __atomic_load_n(&s->meta->futex, __ATOMIC_ACQUIRE);
	wk->view = waker_view(s, s->meta, cut);
	/* The caller's signals are for its own threads: none reach ours. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&wk->tid, NULL, waker_main, wk);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		free(wk);
		return err;
	}
	s->waker = wk;
	return 0;
}

/*
 * Stops the waker before its mapping goes. Woken through its own bit of the
 * futex; one that checked @stop just before we set it sleeps out its
 * WAKER_CHECK_MS. Readers of the same file waiting in
 * jobtrace_stream_wait() may wake too, which their callers allow.
 */
static void waker_stop(struct jobtrace_stream *s)
{
	struct waker *wk = s->waker;

	if (!wk)
		return;
	/* In a child of fork(2) the thread is not there to stop: its struct alone goes. */
	if (wk->pid == getpid()) {
		__atomic_store_n(&wk->stop, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &wk->meta->futex, FUTEX_WAKE_BITSET, INT_MAX, NULL, NULL,
			WAKER_BIT);
		pthread_join(wk->tid, NULL);
	}
	free(wk);
	s->waker = NULL;
}

/*
 * Copies the record at @pos into @rec. 1: copied and intact; 0: overwritten
 * while copying (lapped); -EBADMSG: a length that cannot be, in a record
 * nobody overwrote. A PAD record's header alone is copied.
 */
static int copy_at(const struct jobtrace_stream *s, __u64 pos, union jt_stream_record *rec)
{
	__u64 off = pos & s->mask, room = s->capacity - off;
	size_t n;
	__u32 len;

	if (room < sizeof(rec->hdr))
		return -EBADMSG;
	memcpy(&rec->hdr, s->data + off, sizeof(rec->hdr));
	if (!intact(s, pos))
		return 0;
	len = rec->hdr.len;
	if (len < sizeof(rec->hdr) || len % JT_STREAM_ALIGN || len > room)
		return -EBADMSG;
	if (rec->hdr.type == JT_STREAM_PAD)
		return 1;
	/* A longer record of a newer writer: its known head; a shorter one: zeros after. */
	n = len < sizeof(*rec) ? len : sizeof(*rec);
	memcpy(rec, s->data + off, n);
	if (n < sizeof(*rec))
		memset((char *)rec + n, 0, sizeof(*rec) - n);
	if (!intact(s, pos))
		return 0;
	/* The copy is ours: check what the header said against what it says now. */
	if (rec->hdr.len != len)
		return -EBADMSG;
	return 1;
}

/*
 * A late reader starts after the last record: the one at `latest`, whose
 * sequence number becomes the base of the missed count.
 */
static void start_at_tail(struct jobtrace_stream *s)
{
	union jt_stream_record *rec = malloc(sizeof(*rec));
	__u64 tail, latest;

	for (int i = 0; rec && i < STREAM_TRIES; i++) {
		tail = load(&s->meta->tail);
		latest = load(&s->meta->latest);
		if (tail == 0)
			break;
		/* latest moved past tail's record meanwhile: read both again. */
		if (latest >= tail)
			continue;
		if (copy_at(s, latest, rec) != 1 || rec->hdr.type == JT_STREAM_PAD)
			continue;
		s->cursor = tail;
		s->last_seq = rec->hdr.seq;
		free(rec);
		return;
	}
	/* Empty, or unreadable now: from the start (a lapped start reports its miss). */
	s->cursor = 0;
	s->last_seq = 0;
	free(rec);
}

JT_API struct jobtrace_stream *jobtrace_stream_open(const char *path)
{
	struct jobtrace_stream *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->path = strdup(path ? path : JT_STREAM_DEFAULT_PATH);
	if (!s->path) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	s->fd = -1;
	s->efd = -1;
	err = map_file(s, s->path);
	if (err) {
		free(s->path);
		free(s);
		errno = -err;
		return NULL;
	}
	start_at_tail(s);
	return s;
}

/*
 * The writer restarted when the path names another file, when the old
 * file says it was replaced, or when its generation changed in place. Then
 * the new file is read from its start: all of it is new to this reader.
 */
static bool reopen_if_restarted(struct jobtrace_stream *s, union jt_stream_record *rec,
				bool cut)
{
	struct jobtrace_stream next = *s;
	__u64 old = s->generation;
	bool moved;

	/* A file cut short is not read again: only a new file at the path helps. */
	if (cut)
		moved = path_moved(s);
	else
		moved = __atomic_load_n(&s->meta->state, __ATOMIC_ACQUIRE) == JT_STREAM_REPLACED ||
			load(&s->meta->generation) != s->generation || path_moved(s);
	if (!moved)
		return false;
	if (map_file(&next, s->path))
		return false; /* not there yet, or being made: the next call looks again */
	if (next.dev == s->dev && next.ino == s->ino && next.generation == s->generation) {
		unmap_file(&next);
		return false;
	}
	waker_stop(s);
	unmap_file(s);
	*s = next;
	s->waker = NULL; /* next's copy named the thread just stopped */
	/* The fd the caller polls stays; its thread now watches the new file. */
	if (s->efd >= 0)
		waker_start(s);
	memset(rec, 0, sizeof(rec->restart));
	rec->restart.hdr.type = JT_STREAM_RESTART;
	rec->restart.hdr.version = JT_STREAM_VERSION;
	rec->restart.hdr.len = sizeof(rec->restart);
	rec->restart.old_generation = old;
	rec->restart.new_generation = s->generation;
	return true;
}

/*
 * Lapped: the records from the cursor on were overwritten. Jump to the
 * latest record; the sequence numbers say exactly how many were lost.
 * 1: @rec says how many; 0: nothing lost after all (keep reading); -EAGAIN:
 * the writer moves too fast to find its latest record now.
 */
static int resync(struct jobtrace_stream *s, union jt_stream_record *rec)
{
	__u64 latest, seq;

	for (int i = 0; i < STREAM_TRIES; i++) {
		latest = load(&s->meta->latest);
		if (copy_at(s, latest, rec) != 1 || rec->hdr.type == JT_STREAM_PAD)
			continue;
		seq = rec->hdr.seq;
		if (seq <= s->last_seq)
			return -EBADMSG; /* sequence numbers never go back within a generation */
		s->cursor = latest;
		if (seq == s->last_seq + 1)
			return 0;
		memset(rec, 0, sizeof(rec->missed));
		rec->missed.hdr.type = JT_STREAM_MISSED;
		rec->missed.hdr.version = JT_STREAM_VERSION;
		rec->missed.hdr.len = sizeof(rec->missed);
		rec->missed.hdr.seq = seq - 1;
		rec->missed.count = seq - s->last_seq - 1;
		s->missed_total += rec->missed.count;
		s->last_seq = seq - 1;
		return 1;
	}
	return -EAGAIN;
}

/* A stream that cannot be read where the cursor is: carry on from its end. */
static int skip_broken(struct jobtrace_stream *s)
{
	s->cursor = load(&s->meta->tail);
	s->last_seq = load(&s->meta->records);
	return -EBADMSG;
}

/* The next record, as jobtrace_stream_next(), the file's length checked by the caller. */
static int next_one(struct jobtrace_stream *s, union jt_stream_record *rec)
{
	bool drained = false;
	__u64 tail, room;
	int ret;

	for (int i = 0; i < STREAM_TRIES; i++) {
		tail = load(&s->meta->tail);
		if (s->cursor == tail) {
			if (reopen_if_restarted(s, rec, false))
				return 1;
			/*
			 * Caught up: the fd is cleared, then the tail read again,
			 * so a batch published in between keeps it readable.
			 */
			if (s->efd >= 0 && !drained) {
				eventfd_t n;

				eventfd_read(s->efd, &n);
				drained = true;
				continue;
			}
			return 0;
		}
		if (tail < s->cursor)
			return skip_broken(s);
		room = s->capacity - (s->cursor & s->mask);
		if (room < sizeof(rec->hdr)) {
			/* Too short for a header: the writer skipped it too. */
			s->cursor += room;
			continue;
		}
		ret = copy_at(s, s->cursor, rec);
		if (ret < 0)
			return skip_broken(s);
		if (ret == 0) {
			ret = resync(s, rec);
			if (ret == 1)
				return 1;
			if (ret == -EBADMSG)
				return skip_broken(s);
			continue;
		}
		if (rec->hdr.type == JT_STREAM_PAD) {
			s->cursor += rec->hdr.len;
			continue;
		}
		if (rec->hdr.seq <= s->last_seq)
			return skip_broken(s);
		if (rec->hdr.seq != s->last_seq + 1) {
			/* A gap with no lap: records the writer counted but never wrote. */
			__u64 seq = rec->hdr.seq;

			memset(rec, 0, sizeof(rec->missed));
			rec->missed.hdr.type = JT_STREAM_MISSED;
			rec->missed.hdr.version = JT_STREAM_VERSION;
			rec->missed.hdr.len = sizeof(rec->missed);
			rec->missed.count = seq - s->last_seq - 1;
			s->missed_total += rec->missed.count;
			s->last_seq = seq - 1;
			return 1;
		}
		s->cursor += rec->hdr.len;
		s->last_seq = rec->hdr.seq;
		return 1;
	}
	return 0;
}

/*
 * Before any copy from the mapping: an error a batch left, or a file cut
 * short (one lseek: the system call that is most of a record's cost, hence
 * one per call, not per record, in a batch).
 */
static int next_begin(struct jobtrace_stream *s, union jt_stream_record *rec)
{
	int ret = s->pending;

	if (ret) {
		s->pending = 0;
		return ret;
	}
	if (cut_short(s))
		return reopen_if_restarted(s, rec, true) ? 1 : -ESTALE;
	return 0;
}

JT_API int jobtrace_stream_next(struct jobtrace_stream *s, union jt_stream_record *rec)
{
	int ret = next_begin(s, rec);

	return ret ? ret : next_one(s, rec);
}

JT_API int jobtrace_stream_next_batch(struct jobtrace_stream *s, union jt_stream_record *recs,
				      unsigned int n)
{
	unsigned int got = 0;
	int ret;

	if (!n || n > INT_MAX)
		return -EINVAL;
	ret = next_begin(s, recs);
	if (ret)
		return ret;
	while (got < n) {
		ret = next_one(s, &recs[got]);
		if (ret != 1)
			break;
		/* Another file from here: its length is the next call's to check. */
		if (recs[got++].hdr.type == JT_STREAM_RESTART)
			return (int)got;
	}
	if (ret < 0 && got)
		s->pending = ret;
	return got ? (int)got : ret;
}

/*
 * The file was cut short: nothing in it can be waited on (the futex word
 * may be gone with it). Sleeps until a new file is at the path, in steps.
 */
static int wait_cut(const struct jobtrace_stream *s, int timeout_ms)
{
	struct timespec step = { 0, 100 * 1000000L };

	for (int waited = 0; timeout_ms < 0 || waited < timeout_ms; waited += 100) {
		if (path_moved(s))
			return 1;
		if (timeout_ms >= 0 && timeout_ms - waited < 100)
			step.tv_nsec = (long)(timeout_ms - waited) * 1000000L;
		if (nanosleep(&step, NULL))
			return -errno;
	}
	return path_moved(s) ? 1 : 0;
}

JT_API int jobtrace_stream_wait(struct jobtrace_stream *s, int timeout_ms)
{
	__u64 deadline = 0, now, slice_ns;
	struct timespec ts;
	bool gone;
	__u32 word;

	if (cut_short(s))
		return wait_cut(s, timeout_ms);
	word = __atomic_load_n(&s->meta->futex, __ATOMIC_ACQUIRE);
	if (load(&s->meta->tail) != s->cursor ||
	    __atomic_load_n(&s->meta->state, __ATOMIC_ACQUIRE) == JT_STREAM_REPLACED)
		return 1;
	/* A new writer whose start found no old file to mark: its file is there. */
	if (path_moved(s))
		return 1;
	if (timeout_ms == 0)
		return 0;
	if (timeout_ms > 0)
		deadline = monotonic_ns() + (__u64)timeout_ms * 1000000ULL;
	/*
	 * A writer that dies wakes nobody, and a heartbeat that ages does not
	 * either: the wait is cut in slices of JT_STREAM_HEARTBEAT_MS, and
	 * returns when the writer is found gone during it (not when it was
	 * gone already: a caller that waits on for a new writer must sleep).
	 */
	gone = writer_gone(s->meta, s->same_pidns);
	for (;;) {
		slice_ns = JT_STREAM_HEARTBEAT_MS * 1000000ULL;
		if (deadline) {
			now = monotonic_ns();
			if (now >= deadline)
				return 0;
			if (deadline - now < slice_ns)
				slice_ns = deadline - now;
		}
		ts.tv_sec = (time_t)(slice_ns / 1000000000ULL);
		ts.tv_nsec = (long)(slice_ns % 1000000000ULL);
		/* Waits on a word of a read-only shared mapping: FUTEX_WAIT only reads it. */
		if (!syscall(SYS_futex, &s->meta->futex, FUTEX_WAIT, word, &ts, NULL, 0))
			return 1;
		if (errno == EAGAIN)
			return 1; /* it moved between the load and the wait */
		if (errno != ETIMEDOUT)
			return -errno;
		/* Cut meanwhile: the next read says so (and the mapping is not to be read). */
		if (cut_short(s) || path_moved(s))
			return 1;
		if (!gone && writer_gone(s->meta, s->same_pidns))
			return 1;
	}
}

JT_API __u64 jobtrace_stream_generation(const struct jobtrace_stream *s)
{
	return s->generation;
}

JT_API __u64 jobtrace_stream_missed_total(const struct jobtrace_stream *s)
{
	return s->missed_total;
}

JT_API int jobtrace_stream_state(const struct jobtrace_stream *s)
{
	int state;

	if (cut_short(s))
		return 0;
	state = (int)__atomic_load_n(&s->meta->state, __ATOMIC_ACQUIRE);
	if (state == JT_STREAM_RUNNING && writer_gone(s->meta, s->same_pidns))
		return JT_STREAM_GONE;
	return state;
}

JT_API int jobtrace_stream_fd(struct jobtrace_stream *s)
{
	int err;

	/*
	 * A child of fork(2) inherited the thread's struct but not the thread,
	 * and an eventfd its parent's thread writes and its parent's reads
	 * clear: both its own, then.
	 */
	if (s->waker && s->waker->pid != getpid()) {
		waker_stop(s);
		close(s->efd);
		s->efd = -1;
	}
	if (s->efd < 0) {
		/* Readable at first: records may be there already. */
		s->efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
		if (s->efd < 0)
			return -errno;
	}
	if (!s->waker) {
		err = waker_start(s);
		if (err)
			return err;
	}
	return s->efd;
}

JT_API void jobtrace_stream_close(struct jobtrace_stream *s)
{
	if (!s)
		return;
	waker_stop(s);
	if (s->efd >= 0)
		close(s->efd);
	unmap_file(s);
	free(s->path);
	free(s);
}

JT_API const char *jobtrace_stream_type_name(unsigned int type)
{
	switch (type) {
	case JT_STREAM_FORK:
		return "fork";
	case JT_STREAM_EXEC:
		return "exec";
	case JT_STREAM_EXIT:
		return "exit";
	case JT_STREAM_INTERVAL:
		return "interval";
	case JT_STREAM_HOST:
		return "host";
	case JT_STREAM_JOB_END:
		/* As `watch --json` names a job's final report. */
		return "job";
	case JT_STREAM_TEXT:
		return "text";
	case JT_STREAM_OOM:
		return "oom";
	case JT_STREAM_MISSED:
		return "missed";
	case JT_STREAM_RESTART:
		return "restart";
	default:
		return NULL;
	}
}
