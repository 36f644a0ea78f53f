// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GET /metrics over HTTP, served from the collector's own loop.
 *
 * libmicrohttpd runs with MHD_USE_EPOLL and no thread: its epoll fd is one
 * more fd in the collector's loop, mhd.run() answers what is ready, and a
 * sink's flush (every pass of the loop) runs it too, for its timeouts. The
 * listening socket is made before (metrics_http_listen.c), so a port in
 * use is told with its errno before anything is loaded.
 *
 * A slow client must not lock scrapes out. libmicrohttpd's own bounds are
 * an idle timeout (reset by every byte, so one byte a second holds a
 * connection for ever) and a connection limit (once reached, every new
 * connection, a scrape too, waits in the backlog). So each connection is
 * tracked here (MHD_OPTION_NOTIFY_CONNECTION) with a deadline counted
 * from its accept, or from its last response: a whole request within
 * HTTP_REQUEST_MS, then its response sent within HTTP_RESPONSE_MS. One
 * past its deadline is shut down. And when HTTP_SLOTS connections are
 * open, a new one takes the slot of the oldest that has not yet sent a
 * whole request: a scraper sends its request as soon as it connects, so
 * an attacker would have to open HTTP_SLOTS connections in that moment
 * to lock it out. MHD's per-IP limit is not used: a scraper and an
 * attacker may share an address (loopback, a NAT), and the limit would
 * then refuse the scrape as well.
 *
 * A scrape that says Accept-Encoding: gzip gets the exposition gzipped
 * (metrics_http_gzip.c); any other gets it as it is. Both say Vary: the
 * body depends on Accept (the format) and Accept-Encoding, so a cache
 * between never serves one for the other.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "jobtrace/metrics.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

/* Connections served at once. */
#define HTTP_SLOTS 64
/*
 * MHD's own limit, above ours: a connection shut down here is closed by
 * MHD on its next pass, and until then it still counts there. MHD accepts
 * at most 10 connections a pass, so 32 spare never let MHD's limit refuse.
 */
#define HTTP_SPARE 32
/* From the accept (or the last response) to a whole request: a scraper needs a few ms. */
#define HTTP_REQUEST_MS 3000
/* From a whole request to its response sent: 1 MiB for 1,000 jobs, to a reader far away. */
#define HTTP_RESPONSE_MS 10000

/*
 * MHD passes run at once while MHD has data ready to send (http_service()):
 * 128 KiB a pass with sendfile(), 4 MiB of a body before the loop goes on.
 */
#define HTTP_SEND_PASSES 32

/*
 * libmicrohttpd is opened when an endpoint starts, not linked: with the
 * GnuTLS it brings, it cost every jobtrace command ~2 ms and 2.7 MiB of
 * RSS at its start, for an endpoint only serve --listen makes. The soname
 * is the ABI of the header this file is built against.
 */
#define MHD_SONAME "libmicrohttpd.so.12"

static struct {
	void *lib;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_create_response_from_buffer_with_free_callback_cls) *create_response_mapped;
	__typeof__(MHD_create_response_from_fd) *create_response_from_fd;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_get_connection_info) *get_connection_info;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_get_timeout) *get_timeout;
	__typeof__(MHD_get_version) *get_version;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_run) *run;
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
} mhd;

/* 0, or -ELIBACC after saying which library or symbol is missing. */
static int mhd_open(void)
{
	void *lib;

	if (mhd.lib)
		return 0;
	lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		goto missing;
#define MHD_SYM(name)                                          \
	do {                                                   \
		*(void **)&mhd.name = dlsym(lib, "MHD_" #name); \
		if (!mhd.name)                                 \
			goto missing;                          \
	} while (0)
	MHD_SYM(add_response_header);
	MHD_SYM(create_response_from_buffer);
	/* 0.9.73 and later; before it, a mapped body is copied (body_response()). */
	*(void **)&mhd.create_response_mapped =
		dlsym(lib, "MHD_create_response_from_buffer_with_free_callback_cls");
	MHD_SYM(create_response_from_fd);
	MHD_SYM(destroy_response);
	MHD_SYM(get_connection_info);
	MHD_SYM(get_daemon_info);
	MHD_SYM(get_timeout);
	MHD_SYM(get_version);
	MHD_SYM(lookup_connection_value);
	MHD_SYM(queue_response);
	MHD_SYM(run);
	MHD_SYM(start_daemon);
	MHD_SYM(stop_daemon);
#undef MHD_SYM
	mhd.lib = lib;
	return 0;

missing:
	fprintf(stderr, "jobtrace: cannot load %s: %s (the HTTP endpoint needs libmicrohttpd)\n",
		MHD_SONAME, dlerror());
	if (lib)
		dlclose(lib);
	return -ELIBACC;
}

/* One connection, as MHD's notifications tell it. */
struct http_conn {
	struct http_conn *prev, *next; /* oldest first */
	int fd;
	__u64 deadline_ns;
	bool answering; /* a whole request came; its response goes out */
	bool dropped; /* shut down here: MHD closes it on its next pass */
};

struct metrics_http {
	struct MHD_Daemon *d;
	struct metrics *m;
	metrics_refresh_fn refresh_fn;
	void *refresh_ctx;
	__u64 scrapes;
	unsigned int mhd_messages; /* libmicrohttpd's, said: mhd_log() */
	struct http_conn *oldest, *newest;
	unsigned int live; /* connections not dropped */
	__u64 dropped_slow, dropped_full; /* past their deadline; for a newer one */
	int timer_fd; /* the nearest deadline, MHD's or ours; -1 before attach */
	bool sendfile; /* bodies sent from their memfd with sendfile(): sendfile_usable() */
	/*
	 * The last body made, kept for the scrapes that ask the same before
	 * anything changed (metrics__gen()) and within BODY_REUSE_NS: each
	 * scrape made the exposition anew, 30 ms of the collector's loop for
	 * 1,500 jobs kept with gzip, and four clients scraping in a loop held
	 * the loop until the kernel's ring overflowed (169 records lost, host
	 * records 3.85 s apart where -i was 0.5); and for any scrape within
	 * BODY_FRESH_NS of it. One body, at most
	 * BODY_REUSE_MAX bytes: 10,000 jobs' 12 MB are made each time.
	 */
	struct {
		int fd; /* memfd; -1: none */
		size_t len;
		enum metrics_format fmt;
		bool gzip;
		__u64 gen, made_ns;
	} body;
};

/* jobtrace's own process's figures in a kept body are at most this old. */
#define BODY_REUSE_NS 1000000000ULL
/*
 * And every figure at most this old: the scrapes themselves change the
 * kernel's counters (each client's processes), and a body made anew for
 * each kept the loop busy all the same (10 ms a scrape at 1,500 jobs).
 */
#define BODY_FRESH_NS 100000000ULL
#define BODY_REUSE_MAX (4U << 20)

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code, const char *text,
			     const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = mhd.create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		mhd.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = mhd.queue_response(conn, code, resp);
	mhd.destroy_response(resp);
	return ret;
}

struct mapped_body {
	void *p;
	size_t len;
};

static void mapped_body_free(void *cls)
{
	struct mapped_body *b = cls;

	munmap(b->p, b->len);
	free(b);
}

/*
 * A response of the first @len bytes of memfd @fd, which it takes. Where
 * MHD may use sendfile() (@h->sendfile), the file itself: the kernel sends
 * it from the memfd's pages, 128 KiB a call, and none of it is mapped
 * here. Else the file mapped and sent as a buffer, unmapped (its pages
 * freed) once sent: 10,000 jobs' 11.2 MiB body was in serve's RSS as
 * long as it was sent. (MHD's fd response without sendfile reads one
 * 4 KiB a pass, and a 12 MB body took 3,000 passes of the loop.) NULL:
 * not made, @fd closed.
 */
static struct MHD_Response *body_response(const struct metrics_http *h, int fd, size_t len)
{
	struct mapped_body *b;
	struct MHD_Response *resp = NULL;

	if (h->sendfile) {
		resp = mhd.create_response_from_fd(len, fd); /* closes @fd when destroyed */
		if (!resp)
			close(fd);
		return resp;
	}
	b = malloc(sizeof(*b));
	if (!b)
		goto out_close;
	/* An empty body cannot be mapped: one byte of the (empty) file stands in. */
	b->len = len ? len : 1;
	b->p = mmap(NULL, b->len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (b->p == MAP_FAILED) {
		free(b);
		goto out_close;
	}
	if (mhd.create_response_mapped) {
		resp = mhd.create_response_mapped(len, b->p, mapped_body_free, b);
		if (!resp)
			mapped_body_free(b);
	} else {
		/* An older MHD: a copy on the heap, as every body was before the memfd. */
		resp = mhd.create_response_from_buffer(len, b->p, MHD_RESPMEM_MUST_COPY);
		mapped_body_free(b);
	}
out_close:
	close(fd); /* the mapping keeps the file */
	return resp;
}

/* @fd's body kept for the next scrapes that ask the same (struct metrics_http.body). */
static void keep_body(struct metrics_http *h, int fd, size_t len, enum metrics_format fmt,
		      bool gzip)
{
	if (h->body.fd >= 0)
		close(h->body.fd);
	h->body.fd = len <= BODY_REUSE_MAX ? dup(fd) : -1;
	h->body.len = len;
	h->body.fmt = fmt;
	h->body.gzip = gzip;
	h->body.gen = metrics__gen(h->m);
	h->body.made_ns = util__now_ns();
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct metrics_http *h = cls;
	const union MHD_ConnectionInfo *ci =
		mhd.get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_conn *hc = ci ? ci->socket_context : NULL;
	enum metrics_format fmt;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int fd, zfd = -1, keep;
	size_t len, zlen;
	__u64 age_ns;
	bool gzip;
	FILE *f;

	/* A whole request: what is left is its response, bounded on its own. */
	if (hc && !hc->answering) {
		hc->answering = true;
		hc->deadline_ns = util__now_ns() + HTTP_RESPONSE_MS * 1000000ULL;
	}
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "Not found: jobtrace serves /metrics\n", NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed\n", "GET, HEAD");
	fmt = metrics__negotiate(mhd.lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_ACCEPT));
	gzip = metrics__wants_gzip(mhd.lookup_connection_value(conn, MHD_HEADER_KIND,
							       MHD_HTTP_HEADER_ACCEPT_ENCODING));
	if (h->refresh_fn)
		h->refresh_fn(h->refresh_ctx, h->m);
	metrics__http_dropped(h->m, h->dropped_slow, h->dropped_full);
	metrics__expire(h->m, util__now_ns());
	age_ns = util__now_ns() - h->body.made_ns;
	if (h->body.fd >= 0 && h->body.fmt == fmt && h->body.gzip == gzip &&
	    ((h->body.gen == metrics__gen(h->m) && age_ns < BODY_REUSE_NS) ||
	     age_ns < BODY_FRESH_NS)) {
		fd = dup(h->body.fd);
		if (fd >= 0) {
			len = h->body.len;
			h->scrapes++;
			goto respond;
		}
	}
	/*
	 * The body goes to a memfd, not the heap: 10,000 jobs' exposition is
	 * 12 MB of text, and a heap buffer that size stays in serve's RSS
	 * after the scrape (malloc's mmap threshold rises to it at its free,
	 * and the next ones come from the heap, never given back).
	 */
	fd = memfd_create("jobtrace-metrics", MFD_CLOEXEC);
	if (fd < 0)
		return MHD_NO;
	keep = dup(fd);
	f = keep < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		close(fd);
		if (keep >= 0)
			close(keep);
		return MHD_NO;
	}
	setvbuf(f, NULL, _IOFBF, 64 * 1024); /* the chunks metrics_http__gzip_fd() reads */
	if (metrics__write(h->m, f, fmt) | fclose(f)) {
		close(keep);
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot write the metrics\n", NULL);
	}
	fd = keep;
	len = (size_t)lseek(fd, 0, SEEK_END);
	h->scrapes++;
	/* A gzip that fails (no memory) leaves the text as it is: identity is always allowed. */
	if (gzip && len > 0)
		zfd = memfd_create("jobtrace-metrics.gz", MFD_CLOEXEC);
	if (zfd >= 0 && !metrics_http__gzip_fd(fd, len, zfd, &zlen)) {
		close(fd);
		fd = zfd;
		len = zlen;
	} else {
		if (zfd >= 0)
			close(zfd);
		gzip = false;
	}
	keep_body(h, fd, len, fmt, gzip);
respond:
	resp = body_response(h, fd, len);
	if (!resp)
		return MHD_NO;
	mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, metrics__content_type(fmt));
	if (gzip)
		mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	mhd.add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	ret = mhd.queue_response(conn, MHD_HTTP_OK, resp);
	mhd.destroy_response(resp);
	return ret;
}

/* Shuts @hc down: MHD reads its end and closes it; the fd stays MHD's to close. */
static void conn_drop(struct metrics_http *h, struct http_conn *hc)
{
	if (hc->dropped)
		return;
	shutdown(hc->fd, SHUT_RDWR);
	hc->dropped = true;
	h->live--;
}

/*
 * Every slot taken: the oldest connection without a whole request yet
 * goes (one that sent a byte and waits is what an attack looks like),
 * else the oldest of all. Never @keep, the one just accepted.
 */
static void conn_make_room(struct metrics_http *h, struct http_conn *keep)
{
	struct http_conn *victim = NULL, *hc;

	for (hc = h->oldest; hc && !victim; hc = hc->next)
		if (hc != keep && !hc->dropped && !hc->answering)
			victim = hc;
	for (hc = h->oldest; hc && !victim; hc = hc->next)
		if (hc != keep && !hc->dropped)
			victim = hc;
	if (victim) {
		conn_drop(h, victim);
		h->dropped_full++;
	}
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct metrics_http *h = cls;
	const union MHD_ConnectionInfo *ci;
	struct http_conn *hc;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		hc = *socket_context;
		if (!hc)
			return;
		if (!hc->dropped)
			h->live--;
		*(hc->prev ? &hc->prev->next : &h->oldest) = hc->next;
		*(hc->next ? &hc->next->prev : &h->newest) = hc->prev;
		free(hc);
		*socket_context = NULL;
		return;
	}
	ci = mhd.get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	hc = calloc(1, sizeof(*hc));
	if (!hc || !ci) {
		/* Untracked, it would escape every bound: refuse it instead. */
		free(hc);
		if (ci)
			shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	hc->fd = ci->connect_fd;
	hc->deadline_ns = util__now_ns() + HTTP_REQUEST_MS * 1000000ULL;
	hc->prev = h->newest;
	*(h->newest ? &h->newest->next : &h->oldest) = hc;
	h->newest = hc;
	*socket_context = hc;
	if (++h->live > HTTP_SLOTS)
		conn_make_room(h, hc);
}

/* A response sent: a kept-alive connection has HTTP_REQUEST_MS again for its next request. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	const union MHD_ConnectionInfo *ci =
		mhd.get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_conn *hc = ci ? ci->socket_context : NULL;

	if (!hc)
		return;
	hc->answering = false;
	hc->deadline_ns = util__now_ns() + HTTP_REQUEST_MS * 1000000ULL;
}

/*
 * MHD's work, then ours: connections past their deadline shut down, and
 * the timer set for the nearest deadline, so that they are kept even when
 * nothing else wakes the loop (an interval of an hour).
 */
static void http_service(struct metrics_http *h)
{
	struct itimerspec its = {};
	__u64 now, next = 0;
	MHD_UNSIGNED_LONG_LONG mhd_ms;
	struct http_conn *hc;

	mhd.run(h->d);
	/*
	 * A body sent with sendfile() goes 128 KiB a call, one call a pass of
	 * MHD's, and a socket with room left after it raises no event: MHD
	 * says so with a timeout of 0. Its next passes now, a bounded number
	 * (a slow reader fills the socket, and MHD then waits for its event).
	 */
	for (int i = 0; i < HTTP_SEND_PASSES; i++) {
		if (mhd.get_timeout(h->d, &mhd_ms) != MHD_YES || mhd_ms)
			break;
		mhd.run(h->d);
	}
	now = util__now_ns();
	for (hc = h->oldest; hc; hc = hc->next) {
		if (hc->dropped)
			continue;
		if (hc->deadline_ns <= now) {
			conn_drop(h, hc);
			h->dropped_slow++;
			continue;
		}
		if (!next || hc->deadline_ns < next)
			next = hc->deadline_ns;
	}
	/*
	 * A dropped connection is closed by MHD's next pass, which its shutdown
	 * wakes; a pass 100 ms on is the fallback, not a busy wait.
	 */
	for (hc = h->oldest; hc; hc = hc->next)
		if (hc->dropped && (!next || now + 100000000ULL < next))
			next = now + 100000000ULL;
	if (mhd.get_timeout(h->d, &mhd_ms) == MHD_YES) {
		__u64 mhd_next = now + (mhd_ms ? mhd_ms : 1) * 1000000ULL;

		if (!next || mhd_next < next)
			next = mhd_next;
	}
	if (h->timer_fd < 0)
		return;
	if (next) {
		__u64 in = next > now ? next - now : 1000000ULL;

		its.it_value.tv_sec = (time_t)(in / 1000000000ULL);
		its.it_value.tv_nsec = (long)(in % 1000000000ULL);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(h->timer_fd, 0, &its, NULL);
}

/*
 * Whether MHD may send a body with sendfile(), which it does only when told
 * that SIGPIPE is handled (MHD_OPTION_SIGPIPE_HANDLED_BY_APP, from 0.9.73):
 * sendfile() has no MSG_NOSIGNAL. It is, where SIGPIPE is not left to
 * kill (main's util__guard_stdout() catches it for every command).
 */
static bool sendfile_usable(void)
{
	unsigned int major = 0, minor = 0, patch = 0;
	const char *v = mhd.get_version();
	struct sigaction sa;

	if (!v || sscanf(v, "%u.%u.%u", &major, &minor, &patch) != 3)
		return false;
	if (major == 0 && (minor < 9 || (minor == 9 && patch < 73)))
		return false;
	return !sigaction(SIGPIPE, NULL, &sa) && sa.sa_handler != SIG_DFL;
}

/*
 * libmicrohttpd's own messages: a few, then none. It says one for every
 * connection a client drops or aborts, and any client that can connect
 * could fill serve's journal with them (200 half-sent requests, 200
 * lines); those are counted (jobtrace_http_connections_dropped_total).
 * The first ones stay, for what goes wrong at the start.
 */
#define MHD_MESSAGES_MAX 5

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics_http *h = cls;

	if (h->mhd_messages++ >= MHD_MESSAGES_MAX)
		return;
	fputs("jobtrace: libmicrohttpd: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (h->mhd_messages == MHD_MESSAGES_MAX)
		fputs("jobtrace: libmicrohttpd: its further messages are not shown\n", stderr);
}

struct metrics_http *metrics_http__new(int listen_fd, struct metrics *m, metrics_refresh_fn fn,
				       void *ctx)
{
	struct metrics_http *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	int err = mhd_open();

	if (err || !h) {
		close(listen_fd);
		free(h);
		errno = err ? -err : ENOMEM;
		return NULL;
	}
	h->m = m;
	h->refresh_fn = fn;
	h->refresh_ctx = ctx;
	h->timer_fd = -1;
	h->body.fd = -1;
	h->sendfile = sendfile_usable();
	if (!getsockname(listen_fd, (struct sockaddr *)&ss, &sl) && ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* No MHD_USE_INTERNAL_POLLING_THREAD: the collector's loop is the only one. */
	/* The idle timeout stays as a second bound: ours (HTTP_*_MS) come first. */
	/* The logger first: MHD says so of any option before it. */
	h->d = mhd.start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
				mhd_log, h, MHD_OPTION_LISTEN_SOCKET, listen_fd,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)(HTTP_SLOTS + HTTP_SPARE),
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				/* Unknown to an MHD before 0.9.73: an END there instead. */
				h->sendfile ? MHD_OPTION_SIGPIPE_HANDLED_BY_APP : MHD_OPTION_END, 1,
				MHD_OPTION_END);
	if (!h->d) {
		close(listen_fd);
		free(h);
		errno = EIO;
		return NULL;
	}
	return h;
}

static void on_ready(void *ctx, int fd, __u32 events)
{
	struct metrics_http *h = ctx;
	__u64 expirations;

	if (fd == h->timer_fd && read(fd, &expirations, sizeof(expirations)) < 0)
		expirations = 0; /* EAGAIN: nothing is due, the pass costs nothing */
	http_service(h);
}

/* A sink with a flush alone: MHD's timeouts run on every pass of the loop. */
struct http_sink {
	struct sink base;
	struct metrics_http *h;
};

static int http_flush(struct sink *s)
{
	struct metrics_http *h = ((struct http_sink *)s)->h;

	if (h->d)
		http_service(h);
	return 0;
}

static const struct sink_ops http_sink_ops = {
	.name = "http",
	.flush = http_flush,
};

int metrics_http__attach(struct metrics_http *h, struct collector *c)
{
	const union MHD_DaemonInfo *info = mhd.get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	struct http_sink *s;
	int err;

	if (!info)
		return -EIO;
	err = collector__add_fd(c, info->epoll_fd, EPOLLIN, on_ready, h);
	if (err)
		return err;
	h->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->timer_fd < 0)
		return -errno;
	err = collector__add_fd(c, h->timer_fd, EPOLLIN, on_ready, h);
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base.ops = &http_sink_ops;
	s->base.path = "/metrics";
	s->h = h;
	return collector__add_sink(c, &s->base);
}

void metrics_http__free(struct metrics_http *h)
{
	if (!h)
		return;
	if (h->d)
		mhd.stop_daemon(h->d);
	if (h->timer_fd >= 0)
		close(h->timer_fd);
	if (h->body.fd >= 0)
		close(h->body.fd);
	free(h);
}
