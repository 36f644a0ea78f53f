// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The stream's writer: records in the ABI of include/jobtrace/stream.h,
 * into a shared-memory ring that any number of readers map read-only. It
 * keeps no reader state and never waits: it moves tail_intent, writes,
 * then publishes latest and tail; readers check after copying that nothing
 * overwrote what they copied (Agrona's broadcast buffer). One futex wake
 * per collector pass, in flush. user/out/sink_stream.c is its sink.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobtrace/stream_writer.h"
#include "jobtrace/util.h"

#define STREAM_MIN_CAPACITY 4096UL
#define STREAM_MAX_CAPACITY (1UL << 30)

struct stream_writer {
	struct jt_stream_meta *meta;
	char *data;
	size_t map_len;
	__u64 capacity, mask;
	__u64 tail, seq; /* the writer's own copies: it never reads them back */
	bool dirty; /* appended since the last wake-up */
	int lock_fd;
};

static void futex_wake_all(__u32 *word)
{
	/* Not FUTEX_PRIVATE: the waiters are other processes mapping the file. */
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/*
 * Tells the readers of the file at @fd (the one about to be replaced) to
 * reopen the path: a writer killed with -9 could not say it itself.
 */
static void mark_replaced(int fd)
{
	struct jt_stream_meta *m;
	struct stat st;

	if (fstat(fd, &st) || st.st_size < JT_STREAM_META_SIZE)
		return;
	m = mmap(NULL, JT_STREAM_META_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return;
	if (m->magic == JT_STREAM_MAGIC) {
		__atomic_store_n(&m->state, JT_STREAM_REPLACED, __ATOMIC_RELEASE);
		__atomic_add_fetch(&m->futex, 1, __ATOMIC_RELEASE);
		futex_wake_all(&m->futex);
	}
	munmap(m, JT_STREAM_META_SIZE);
}

/*
 * Who may read the stream: root and the group jobtrace (0640), so an agent
 * runs as a member of jobtrace rather than as root; without that group,
 * the writer's own group (root's, for the service). The records name every
 * command line of the host: not for every local user.
 */
static int set_readers(int fd)
{
	struct group *g = getgrnam(JT_STREAM_GROUP);

	if (g && fchown(fd, (uid_t)-1, g->gr_gid))
		return -errno;
	return fchmod(fd, JT_STREAM_MODE) ? -errno : 0;
}

/* The writer's pid namespace, so a reader knows whether writer_pid means anything to it. */
static __u64 pidns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) ? 0 : (__u64)st.st_ino;
}

#define STREAM_BEAT_RECORDS 64

static void beat(struct stream_writer *w)
{
	__atomic_store_n(&w->meta->heartbeat_ns, util__now_ns(), __ATOMIC_RELEASE);
}

static __u64 new_generation(void)
{
	__u64 g = 0;

	if (getrandom(&g, sizeof(g), GRND_NONBLOCK) != sizeof(g))
		g = util__realtime_ns() ^ ((__u64)getpid() << 32);
	return g ? g : 1;
}

/* A file we write through: a regular one, ours (not one another user left in /dev/shm). */
static int check_own(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return -EPERM;
	return 0;
}

/*
 * The stream's directory, opened once: every name below is made, replaced
 * and removed relative to it. A world-writable one without the sticky bit
 * (unlike /dev/shm and /tmp) lets anyone rename our files away or put
 * theirs in their place: refused.
 */
static int open_dir(const char *path, const char **base)
{
	char *dir = strdup(path), *slash;
	struct stat st;
	int fd, err;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	*base = slash ? path + (slash - dir) + 1 : path;
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	free(dir);
	if (err)
		return err;
	if (!**base) {
		err = -EISDIR;
	} else if (fstat(fd, &st)) {
		err = -errno;
	} else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		err = -EPERM;
	}
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * A new file of ours under a name nobody can guess, "BASE.XXXXXXXXXXXXXXXX"
 * (random hex): O_EXCL makes it new or fails, a planted link included, so
 * no name another user made beforehand is ever written through. Its name in
 * @name (at least NAME_MAX + 1 bytes).
 */
static int create_unique(int dirfd, const char *base, char *name)
{
	for (int i = 0; i < 16; i++) {
		__u64 r = new_generation();
		int fd;

		if (snprintf(name, NAME_MAX + 1, "%.200s.%016llx", base, (unsigned long long)r) >
		    NAME_MAX)
			return -ENAMETOOLONG;
		fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* What a replace moved aside (another user's file, link or directory): removed if it can be. */
static void remove_aside(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) && (errno == EISDIR || errno == EPERM))
		unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* @name in @dirfd still names the file open at @fd. */
static bool still_named(int dirfd, const char *name, int fd)
{
	struct stat a, b;

	return !fstat(fd, &a) && !fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * One writer per path: flock on PATH.lock, a file of our own (0600, ours,
 * regular). flock needs no write access, so a lock file others may open is
 * one a reader could hold to keep the writer from starting; and in a
 * world-writable directory anyone may have made PATH.lock first (a file, a
 * link, a FIFO, a directory). Such an entry is not a lock: a new lock file,
 * already locked, takes its place atomically (RENAME_EXCHANGE), and the
 * entry moved aside is removed. What came out of the exchange is checked:
 * a lock of ours that another writer put there meanwhile is put back, and
 * the race starts again, so that two writers never both hold the path.
 * The kernel lets a lock go when its holder dies, kill -9 included.
 */
static int take_lock(int dirfd, const char *lock)
{
	char tmp[NAME_MAX + 1];
	int err = -EAGAIN;

	for (int i = 0; i < 8; i++) {
		bool foreign = true;
		struct stat st;
		int fd;

		fd = openat(dirfd, lock, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 && !check_own(fd)) {
			if (flock(fd, LOCK_EX | LOCK_NB)) {
				err = errno == EWOULDBLOCK ? -EBUSY : -errno;
				close(fd);
				return err;
			}
			/* Locked: still the file at the name, or taken over while we waited? */
			if (!still_named(dirfd, lock, fd)) {
				close(fd);
				continue;
			}
			/* Ours alone, whatever mode an older writer left it with. */
			if (fchmod(fd, 0600)) {
				err = -errno;
				close(fd);
				return err;
			}
			return fd;
		}
		if (fd >= 0)
			close(fd);
		else if (errno == ENOENT)
			foreign = false;
		else if (errno != ELOOP && errno != EISDIR && errno != ENXIO && errno != EACCES &&
			 errno != EPERM && errno != ETXTBSY && errno != EWOULDBLOCK)
			return -errno;

		fd = create_unique(dirfd, lock, tmp);
		if (fd < 0)
			return fd;
		/* Nobody else knows the new name yet: this cannot fail for another holder. */
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			err = -errno;
			goto next;
		}
		if (!foreign) {
			/* None there: linkat never replaces what another put meanwhile. */
			if (!linkat(dirfd, tmp, dirfd, lock, 0)) {
				unlinkat(dirfd, tmp, 0);
				return fd;
			}
			err = errno == EEXIST ? -EAGAIN : -errno;
			goto next;
		}
		if (renameat2(dirfd, tmp, dirfd, lock, RENAME_EXCHANGE)) {
			err = -errno;
			goto next;
		}
		if (!fstatat(dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid()) {
			/* Another writer's lock replaced the squatter's meanwhile: give it back. */
			if (renameat2(dirfd, tmp, dirfd, lock, RENAME_EXCHANGE)) {
				/* Its lock is under our name now: never removed, only left there. */
				close(fd);
				return -EBUSY;
			}
			err = -EAGAIN;
			goto next;
		}
		remove_aside(dirfd, tmp);
		return fd;
next:
		unlinkat(dirfd, tmp, 0);
		close(fd);
		if (err != -EAGAIN)
			return err;
	}
	return -EBUSY;
}

/*
 * Puts the finished file @tmp at @base in one step: rename() replaces a
 * file or a link (never following it); a directory someone made at the
 * path is exchanged with the file instead, then removed if empty.
 */
static int publish(int dirfd, const char *tmp, const char *base)
{
	if (!renameat(dirfd, tmp, dirfd, base))
		return 0;
	if (errno != EISDIR && errno != ENOTEMPTY && errno != EEXIST)
		return -errno;
	if (renameat2(dirfd, tmp, dirfd, base, RENAME_EXCHANGE))
		return -errno;
	remove_aside(dirfd, tmp);
	return 0;
}

struct stream_writer *stream_writer__open(const char *path, size_t capacity)
{
	struct stream_writer *w = calloc(1, sizeof(*w));
	char *lock_name = NULL, tmp[NAME_MAX + 1] = "";
	int dirfd, fd = -1, old_fd, err;
	__u64 cap = STREAM_MIN_CAPACITY;
	const char *base;

	if (!w)
		return NULL;
	w->lock_fd = -1;
	while (cap < capacity && cap < STREAM_MAX_CAPACITY)
		cap <<= 1;
	dirfd = open_dir(path, &base);
	if (dirfd < 0) {
		err = dirfd;
		goto err_free;
	}
	if (asprintf(&lock_name, "%s.lock", base) < 0) {
		err = -ENOMEM;
		goto err_free;
	}
	w->lock_fd = take_lock(dirfd, lock_name);
	if (w->lock_fd < 0) {
		err = w->lock_fd;
		goto err_free;
	}
	/* Made under a name of its own, whole, then renamed over the path. */
	fd = create_unique(dirfd, base, tmp);
	if (fd < 0) {
		err = fd;
		tmp[0] = '\0';
		goto err_free;
	}
	w->map_len = JT_STREAM_META_SIZE + cap;
	err = set_readers(fd);
	if (err)
		goto err_unlink;
	/*
	 * Every page allocated now: a sparse file on a filesystem that fills
	 * up later would cost the writer (and its readers) a SIGBUS at the
	 * first store into a page that has no room. ENOSPC here, at start.
	 */
	err = -posix_fallocate(fd, 0, (off_t)w->map_len);
	if (err)
		goto err_unlink;
	w->meta = mmap(NULL, w->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (w->meta == MAP_FAILED) {
		err = -errno;
		w->meta = NULL;
		goto err_unlink;
	}
	w->data = (char *)w->meta + JT_STREAM_META_SIZE;
	w->capacity = cap;
	w->mask = cap - 1;
	w->meta->version = JT_STREAM_VERSION;
	w->meta->meta_size = JT_STREAM_META_SIZE;
	w->meta->capacity = cap;
	w->meta->generation = new_generation();
	w->meta->start_time_ns = util__realtime_ns();
	w->meta->writer_pid = (__u32)getpid();
	w->meta->state = JT_STREAM_RUNNING;
	w->meta->max_record = sizeof(union jt_stream_record);
	w->meta->writer_pidns_ino = pidns_ino();
	beat(w);
	__atomic_store_n(&w->meta->magic, JT_STREAM_MAGIC, __ATOMIC_RELEASE);

	/* The file it replaces is told so only if it is a stream of ours. */
	old_fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (old_fd >= 0 && check_own(old_fd)) {
		close(old_fd);
		old_fd = -1;
	}
	err = publish(dirfd, tmp, base);
	if (err) {
		if (old_fd >= 0)
			close(old_fd);
		goto err_unlink;
	}
	if (old_fd >= 0) {
		char self[64];
		int rw;

		/* Reopened for writing through /proc: the path names the new file now. */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", old_fd);
		rw = open(self, O_RDWR | O_CLOEXEC);
		if (rw >= 0) {
			mark_replaced(rw);
			close(rw);
		}
		close(old_fd);
	}
	close(fd);
	close(dirfd);
	free(lock_name);
	return w;

err_unlink:
	unlinkat(dirfd, tmp, 0);
	close(fd);
err_free:
	if (w->meta)
		munmap(w->meta, w->map_len);
	if (w->lock_fd >= 0)
		close(w->lock_fd);
	if (dirfd >= 0)
		close(dirfd);
	free(lock_name);
	free(w);
	errno = -err;
	return NULL;
}

int stream_writer__append(struct stream_writer *w, union jt_stream_record *rec, size_t len)
{
	__u64 off = w->tail & w->mask, rest = w->capacity - off;
	struct jt_stream_hdr pad = { .type = JT_STREAM_PAD, .version = JT_STREAM_VERSION };

	if (len < sizeof(rec->hdr) || len % JT_STREAM_ALIGN || len > w->capacity / 2)
		return -EINVAL;
	if (rest < len) {
		/* It would wrap: fill the rest (too short for a header: readers skip it). */
		__atomic_store_n(&w->meta->tail_intent, w->tail + rest + len, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (rest >= sizeof(pad)) {
			pad.len = (__u32)rest;
			memcpy(w->data + off, &pad, sizeof(pad));
		}
		w->tail += rest;
		off = 0;
	} else {
		__atomic_store_n(&w->meta->tail_intent, w->tail + len, __ATOMIC_RELAXED);
		/* No reader may see the new bytes before it sees the intent to write them. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	rec->hdr.len = (__u32)len;
	rec->hdr.version = JT_STREAM_VERSION;
	rec->hdr.seq = ++w->seq;
	memcpy(w->data + off, rec, len);
	__atomic_store_n(&w->meta->latest, w->tail, __ATOMIC_RELAXED);
	__atomic_store_n(&w->meta->records, w->seq, __ATOMIC_RELAXED);
	w->tail += len;
	__atomic_store_n(&w->meta->tail, w->tail, __ATOMIC_RELEASE);
	w->dirty = true;
	/*
	 * A long pass (serve's stop writing 10,000 job ends, a starved host)
	 * beats too, so readers do not judge a busy writer gone: a clock read
	 * every STREAM_BEAT_RECORDS records, a few ns a record.
	 */
	if (!(w->seq % STREAM_BEAT_RECORDS))
		beat(w);
	return 0;
}

void stream_writer__flush(struct stream_writer *w)
{
	/* Every pass, records or not: readers judge the writer alive by it. */
	beat(w);
	if (!w->dirty)
		return;
	w->dirty = false;
	__atomic_add_fetch(&w->meta->futex, 1, __ATOMIC_RELEASE);
	futex_wake_all(&w->meta->futex);
}

__u64 stream_writer__generation(const struct stream_writer *w)
{
	return w->meta->generation;
}

__u64 stream_writer__records(const struct stream_writer *w)
{
	return w->seq;
}

void stream_writer__close(struct stream_writer *w)
{
	if (!w)
		return;
	__atomic_store_n(&w->meta->state, JT_STREAM_CLOSED, __ATOMIC_RELEASE);
	w->dirty = true;
	stream_writer__flush(w);
	munmap(w->meta, w->map_len);
	close(w->lock_fd);
	free(w);
}
