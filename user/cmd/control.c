// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve --control: the control socket (protocol in include/jobtrace/control.h).
 * Its listening socket and clients are fds in the collector's one loop; the
 * reports of the jobs it made come to it as to any sink, at the jobs' end.
 * A request line is parsed in control_parse.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/collector.h"
#include "jobtrace/control.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/report.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#include "control_priv.h"

struct control_sink {
	struct sink s; /* first: sink__free() frees this struct */
	struct control *ctl;
};

static void client_close(struct control *ctl, struct control_client *cl)
{
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (ctl->clients[i] == cl)
			ctl->clients[i] = NULL;
	collector__remove_fd(ctl->c, cl->fd);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

/* What the socket takes of @data now: the bytes sent, or -1 (gone, or an error). */
static ssize_t send_now(struct control_client *cl, const char *data, size_t len)
{
	size_t sent = 0;

	while (sent < len) {
		ssize_t n = send(cl->fd, data + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		sent += (size_t)n;
	}
	return (ssize_t)sent;
}

/*
 * Replies never block the loop: what the socket does not take now waits
 * in the client's queue, sent as the socket becomes writable (on_client).
 * A report larger than the socket's buffer (208 KiB here) was cut where
 * it filled, and the client dropped: a user's report, which no file
 * keeps, was lost.
 */
static int client_send(struct control *ctl, struct control_client *cl, const char *data,
		       size_t len)
{
	ssize_t n = 0;
	char *q;

	if (!cl->out_len) {
		n = send_now(cl, data, len);
		if (n < 0) {
			client_close(ctl, cl);
			return -EPIPE;
		}
		if ((size_t)n == len)
			return 0;
	}
	data += n;
	len -= (size_t)n;
	/* What was sent goes first: the queue holds what is still to send alone. */
	if (cl->out_off) {
		memmove(cl->out, cl->out + cl->out_off, cl->out_len - cl->out_off);
		cl->out_len -= cl->out_off;
		cl->out_off = 0;
	}
	q = cl->out_len + len > CONTROL_OUT_MAX ? NULL : realloc(cl->out, cl->out_len + len);
	if (!q) {
		client_close(ctl, cl);
		return -EPIPE;
	}
	memcpy(q + cl->out_len, data, len);
	cl->out = q;
	/* Its writability alone, meanwhile: requests it sends wait in the socket. */
	if (!cl->out_len && collector__set_fd_events(ctl->c, cl->fd, EPOLLOUT)) {
		client_close(ctl, cl);
		return -EPIPE;
	}
	cl->out_len += len;
	return 0;
}

/* The queue's next bytes, as the socket takes them; -EPIPE when the client is gone. */
static int client_flush(struct control *ctl, struct control_client *cl)
{
	ssize_t n = send_now(cl, cl->out + cl->out_off, cl->out_len - cl->out_off);

	if (n < 0) {
		client_close(ctl, cl);
		return -EPIPE;
	}
	if (n > 0)
		cl->since_ns = util__now_ns(); /* read: not idle */
	cl->out_off += (size_t)n;
	if (cl->out_off < cl->out_len)
		return 0;
	free(cl->out);
	cl->out = NULL;
	cl->out_len = cl->out_off = 0;
	if (collector__set_fd_events(ctl->c, cl->fd, EPOLLIN)) {
		client_close(ctl, cl);
		return -EPIPE;
	}
	return 0;
}

static int client_printf(struct control *ctl, struct control_client *cl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int client_printf(struct control *ctl, struct control_client *cl, const char *fmt, ...)
{
	char line[CONTROL_LINE_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return client_send(ctl, cl, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static bool render(const struct job *job, size_t top,
		   int (*write)(FILE *, const struct job *, size_t), char **buf, size_t *len);
static int client_drain(struct control *ctl, struct control_client *cl);

static int answer_end(struct control *ctl, struct control_client *cl, struct control_job *cj)
{
	const char *data = cj->text ? cj->text_report : cj->json;
	size_t len = cj->text ? cj->text_len : cj->json_len;
	char head[64];
	int err;

	cl->waiting = NULL;
	cl->since_ns = util__now_ns();
	/* The job's status after the length: what its client exits with, as run and watch do. */
	snprintf(head, sizeof(head), "REPORT %zu %d\n", len, cj->status);
	err = client_send(ctl, cl, head, strlen(head));
	if (!err)
		err = client_send(ctl, cl, data, len);
	return err;
}

/* REGISTER (one process, not forked yet) and ATTACH (@tree: a running tree). */
static int do_register(struct control *ctl, struct control_client *cl,
		       const struct control_request *req, bool tree)
{
	struct collector_adopt a = { .pid = (pid_t)req->pid, .uid = cl->uid, .tree = tree };
	unsigned long pid = req->pid;
	const char *key = req->key;
	struct control_job *cj;
	uint64_t start_ns;
	bool fresh;
	int err;

	if (!collector__can_adopt(ctl->c, tree))
		return client_printf(ctl, cl, "ERR the %s source cannot adopt a process\n",
				     collector__source_name(ctl->c));
	/*
	 * PID is a number in the client's pid namespace, and serve looks it up
	 * in its own: a client in another one (a container) would name some
	 * other process. Its NSpid says: its innermost pid is the one we see.
	 */
	if (!control__client_pidns_ours(ctl, cl))
		return client_printf(ctl, cl, "ERR your pid namespace is not serve's\n");
	if (!control__key_allowed(key, cl->uid))
		return client_printf(ctl, cl, "ERR key %s is not yours: yours are NAME:%u:...\n",
				     key, (unsigned int)cl->uid);
	/* An allocation is the batch system's word, passed on by root (slurmstepd). */
	if (req->sched.system[0] && cl->uid != 0)
		return client_printf(ctl, cl, "ERR only root may give an allocation\n");
	err = proc_pid__start_ns(ctl->proc_fd, (int)pid, &start_ns);
	if (!err && cl->uid != 0)
		err = control__check_owner(ctl, pid, cl->uid, start_ns);
	if (err == -EPERM)
		return client_printf(ctl, cl, "ERR process %lu is not yours\n", pid);
	if (err)
		return client_printf(ctl, cl, "ERR no process %lu: %s\n", pid, strerror(-err));
	cj = control_jobs__find(ctl, key, true);
	if (cj && cl->uid != 0 && cj->uid != cl->uid)
		return client_printf(ctl, cl, "ERR job %s is not yours\n", key);
	/* A tree is one job's from the start: its processes are counted existing. */
	if (cj && tree)
		return client_printf(ctl, cl, "ERR job %s is open: ATTACH makes a new job\n", key);
	fresh = !cj;
	if (fresh) {
		/* Users cannot fill the kernel's job map: root's steps need it. */
		if (cl->uid != 0 && control_jobs__count(ctl, cl->uid, false, 0) >= CONTROL_USER_JOBS)
			return client_printf(ctl, cl, "ERR %d jobs of yours are open already\n",
					     CONTROL_USER_JOBS);
		if (cl->uid != 0 && control_jobs__users_open(ctl) >= CONTROL_USERS_JOBS)
			return client_printf(ctl, cl, "ERR %d jobs of users are open already\n",
					     CONTROL_USERS_JOBS);
		cj = control_jobs__new(ctl, req, cl->uid);
		if (!cj)
			return client_printf(ctl, cl, "ERR out of memory\n");
		a.new_key = key;
		a.sched = req->sched.system[0] ? &req->sched : NULL;
	}
	/*
	 * Root may move any process; a user only one no client's job holds,
	 * and of a tree only the processes that are its own, checked by the
	 * kernel as it moves each (a process may change its uid at any time).
	 */
	a.start_ns = start_ns;
	if (cl->uid != 0)
		a.flags = tree ? JT_ADOPT_NOT_ADOPTED | JT_ADOPT_UID : JT_ADOPT_NOT_ADOPTED;
	err = collector__adopt(ctl->c, cj->id, &a);
	if (err && a.failed == COLLECTOR_ADOPT_NO_JOB) {
		cj->ended = cj->failed = true;
		return client_printf(ctl, cl, "ERR out of memory\n");
	}
	if (err && a.failed == COLLECTOR_ADOPT_NO_SOURCE_JOB) {
		cj->failed = true;
		return client_printf(ctl, cl, "ERR cannot make the job: %s\n", strerror(-err));
	}
	if (err) {
		/* An empty job ends at the next sample; it had nothing to report. */
		if (fresh)
			cj->failed = true;
		return client_printf(ctl, cl, "ERR cannot adopt process %lu: %s\n", pid,
				     err == -ESRCH ? "it has ended" :
				     err == -EBUSY ? "it is in a job another client made" :
				     err == -EPERM ? "it is not yours" :
						     strerror(-err));
	}
	if (!tree)
		return client_printf(ctl, cl, "OK %s\n", key);
	control_job__read_root_args(ctl, cj, (pid_t)pid);
	return client_printf(ctl, cl, "OK %s %llu %lu\n", key, (unsigned long long)a.existing,
			     a.left_out);
}

/*
 * Who may end, report or release @cj: 0 when the client may; else 1 after
 * the "ERR" reply that says why, or -EPIPE when the client is gone.
 */
static int job_access(struct control *ctl, struct control_client *cl, struct control_job *cj,
		      const char *key)
{
	int err;

	if (!cj)
		err = client_printf(ctl, cl, "ERR no job %s\n", key);
	else if (cl->uid != 0 && cj->uid != cl->uid)
		err = client_printf(ctl, cl, "ERR job %s is not yours\n", key);
	else if (cj->failed)
		err = client_printf(ctl, cl, "ERR job %s was never registered\n", key);
	else
		return 0;
	return err ? err : 1;
}

/*
 * REPORT: the job's report as it stands (a Ctrl-C's), the job going on. A
 * report samples every task of the host: a user's come at most once a
 * second for a job, so that none makes the loop spin.
 */
static int do_report(struct control *ctl, struct control_client *cl, const char *key)
{
	struct control_job *cj = control_jobs__find(ctl, key, false);
	char *argv[JT_ARGS_LEN / 2 + 1], *buf = NULL, head[64];
	__u64 now = util__now_ns();
	struct job job;
	size_t len = 0;
	int err;

	err = job_access(ctl, cl, cj, key);
	if (err)
		return err < 0 ? err : 0;
	if (cj->ended)
		return answer_end(ctl, cl, cj);
	if (cl->uid != 0 && cj->reported_ns && now - cj->reported_ns < 1000000000ULL)
		return client_printf(ctl, cl, "ERR one REPORT of job %s a second\n", key);
	cj->reported_ns = now;
	err = collector__job_now(ctl->c, cj->id, &job);
	if (err)
		return client_printf(ctl, cl, "ERR no report of %s: %s\n", key, strerror(-err));
	control_job__argv(cj, &job, argv, ARRAY_SIZE(argv));
	if (!render(&job, cj->top, cj->text ? report__write_text : report__write_json, &buf,
		    &len))
		return client_printf(ctl, cl, "ERR cannot make the report of %s\n", key);
	snprintf(head, sizeof(head), "REPORT %zu %d\n", len, job__status(&job));
	err = client_send(ctl, cl, head, strlen(head));
	if (!err)
		err = client_send(ctl, cl, buf, len);
	free(buf);
	return err;
}

/*
 * RELEASE: the client is done with an open job and wants no report. Its
 * processes stay in it, counted, until the last ends (then it ends with no
 * report): moved back to their host jobs they would be counted twice there.
 * Until then it counts among the client's open jobs: it holds a kernel slot.
 */
static int do_release(struct control *ctl, struct control_client *cl, const char *key)
{
	struct control_job *cj = control_jobs__find(ctl, key, true);
	int err = job_access(ctl, cl, cj, key);

	if (err)
		return err < 0 ? err : 0;
	cj->released = true;
	return client_printf(ctl, cl, "OK %s\n", key);
}

static int do_end(struct control *ctl, struct control_client *cl, char *key, char *dir)
{
	struct control_job *cj = control_jobs__find(ctl, key, false);
	struct jt_job_stats js;
	int err = job_access(ctl, cl, cj, key);

	if (err)
		return err < 0 ? err : 0;
	if (cj->released)
		return client_printf(ctl, cl, "ERR job %s was released: no report\n", key);
	if (dir) {
		/* serve writes as root: only root may send its files elsewhere. */
		if (cl->uid != 0)
			return client_printf(ctl, cl, "ERR only root may name a report directory\n");
		if (dir[0] != '/')
			return client_printf(ctl, cl, "ERR the report directory must be absolute\n");
		/* Kept with the job: a client may leave without waiting for the report. */
		free(cj->end_dir);
		cj->end_dir = strdup(dir);
		if (cj->ended && cj->end_dir &&
		    (!ctl->reports_dir || strcmp(cj->end_dir, ctl->reports_dir)))
			control_job__write_reports(ctl, cj);
	}
	if (cj->ended)
		return answer_end(ctl, cl, cj);
	cl->waiting = cj;
	/*
	 * A job whose processes the kernel counts all gone is judged now, not
	 * at the next tick: `run` waits for its report. Only then, and once a
	 * job: a sample walks every task of the host, and no client may make
	 * the loop spin with ENDs.
	 */
	if (!cj->sampled_soon && !collector__job_stats(ctl->c, cj->id, &js) && js.alive <= 0) {
		cj->sampled_soon = true;
		collector__sample_soon(ctl->c);
	}
	return 0;
}

static int do_list(struct control *ctl, struct control_client *cl)
{
	size_t n = 0;
	int err;

	for (size_t i = 0; i < ctl->njobs; i++)
		n += control__may_see(cl, ctl->jobs[i]);
	err = client_printf(ctl, cl, "OK %zu\n", n);
	for (size_t i = 0; !err && i < ctl->njobs; i++) {
		struct control_job *cj = ctl->jobs[i];
		const struct jt_job_stats *s = &cj->stats;
		const struct cjob *j;
		struct jt_job_stats js;

		if (!control__may_see(cl, cj))
			continue;
		/* Fresh figures: the last sample may be older than the job. */
		j = cj->ended ? NULL : collector__find_job(ctl->c, cj->id);
		if (j)
			s = collector__job_stats(ctl->c, cj->id, &js) ? &j->job.stats : &js;
		err = client_printf(ctl, cl, "%s %s %d %lld %llu %llu\n", cj->key,
				    cj->ended ? "ended" : cj->released ? "released" : "running",
				    cj->pid,
				    (long long)(s->alive > 0 ? s->alive : 0),
				    (unsigned long long)s->procs_started,
				    (unsigned long long)s->procs_exited);
	}
	return err;
}

/* One request line; -EPIPE when the client is gone. */
static int client_request(struct control *ctl, struct control_client *cl, char *line)
{
	struct control_request req;
	char why[128];

	if (control__parse_request(line, &req, why, sizeof(why)))
		return client_printf(ctl, cl, "ERR %s\n", why);
	switch (req.verb) {
	case CONTROL_LIST:
		return do_list(ctl, cl);
	case CONTROL_REGISTER:
	case CONTROL_ATTACH:
		return do_register(ctl, cl, &req, req.verb == CONTROL_ATTACH);
	case CONTROL_END:
		return do_end(ctl, cl, req.key, req.dir);
	case CONTROL_REPORT:
		return do_report(ctl, cl, req.key);
	case CONTROL_RELEASE:
		return do_release(ctl, cl, req.key);
	}
	return -EINVAL;
}

/*
 * Runs the complete lines waiting in @cl's buffer, one at a time, none past
 * an END still waiting for its job. -EPIPE when the client is gone.
 */
static int client_drain(struct control *ctl, struct control_client *cl)
{
	/*
	 * Nor past a reply still waiting to be sent: a client that asks and
	 * does not read holds one reply, not one per request it sent ahead
	 * (pipelined REPORTs held 16 MiB a connection, 600 s, root's serve).
	 */
	while (!cl->waiting && !cl->out_len) {
		char *nl = memchr(cl->buf, '\n', cl->len);
		size_t used;

		if (!nl)
			break;
		*nl = '\0';
		used = (size_t)(nl - cl->buf) + 1;
		if (nl > cl->buf && nl[-1] == '\r')
			nl[-1] = '\0';
		if (client_request(ctl, cl, cl->buf))
			return -EPIPE;
		/* A request done: the idle time counts from here, not from its first byte. */
		cl->since_ns = util__now_ns();
		memmove(cl->buf, cl->buf + used, cl->len - used);
		cl->len -= used;
	}
	/* A full buffer is a line too long, or requests sent ahead of a reply. */
	if (cl->len == sizeof(cl->buf) && !cl->out_len) {
		if (!client_printf(ctl, cl, "ERR one request of at most %d bytes at a time\n",
				   CONTROL_LINE_MAX))
			client_close(ctl, cl);
		return -EPIPE;
	}
	return 0;
}

static void on_client(void *ctx, int fd, __u32 events)
{
	struct control_client *cl = ctx;
	struct control *ctl = cl->ctl;
	ssize_t n;

	/*
	 * A reply waiting: the loop waits for the socket to take it, not for
	 * more requests (client_send()); once all is sent, those already in
	 * the buffer, in order.
	 */
	if (cl->out_len) {
		if (!client_flush(ctl, cl) && !cl->out_len)
			client_drain(ctl, cl);
		return;
	}
	n = recv(fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* Gone, maybe while it waited for a report: the report is still written. */
		client_close(ctl, cl);
		return;
	}
	cl->len += (size_t)n;
	client_drain(ctl, cl);
}

/*
 * The timer: a client that completed no request for CONTROL_IDLE_S seconds
 * and waits for no report is closed, trickling bytes or not: slots are for
 * clients that talk.
 */
static void on_tick(void *ctx, int fd, __u32 events)
{
	struct control *ctl = ctx;
	__u64 expirations, now = util__now_ns();

	while (read(fd, &expirations, sizeof(expirations)) > 0)
		;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *cl = ctl->clients[i];

		__u64 idle_s = cl && cl->out_len ? CONTROL_OUT_IDLE_S : CONTROL_IDLE_S;

		/* A reply waiting to be read: its client may be stopped a while (Ctrl-Z). */
		if (cl && (!cl->waiting || cl->out_len) && now - cl->since_ns > idle_s * 1000000000ULL)
			client_close(ctl, cl);
	}
}

static void on_accept(void *ctx, int fd, __u32 events)
{
	static const char busy[] = "ERR too many connections of yours\n";
	struct control *ctl = ctx;

	for (;;) {
		struct ucred cred = { .uid = (uid_t)-1 };
		socklen_t clen = sizeof(cred);
		struct control_client *cl;
		size_t slot;
		int cfd;

		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return; /* EAGAIN, or a client gone before we took it */
		/* Unknown credentials are nobody's: (uid_t)-1 is no user's uid. */
		getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
		if (!control__slot_allowed(ctl, cred.uid)) {
			send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(cfd);
			continue;
		}
		for (slot = 0; slot < CONTROL_CLIENTS_MAX && ctl->clients[slot]; slot++)
			;
		cl = slot < CONTROL_CLIENTS_MAX ? calloc(1, sizeof(*cl)) : NULL;
		if (!cl) {
			close(cfd);
			continue;
		}
		cl->ctl = ctl;
		cl->fd = cfd;
		cl->uid = cred.uid;
		cl->pid = cred.pid;
		cl->since_ns = util__now_ns();
		if (collector__add_fd(ctl->c, cfd, EPOLLIN, on_client, cl)) {
			close(cfd);
			free(cl);
			continue;
		}
		ctl->clients[slot] = cl;
	}
}

/* ---- the sink: an adopted job's root and end ---- */

/*
 * The root's exit record carries the command it exec'd: the report names
 * the job by it, as run's does (the client's REGISTER came before the exec).
 */
static int control_process(struct sink *s, const struct proc_record *r)
{
	struct control *ctl = ((struct control_sink *)s)->ctl;
	struct control_job *cj;

	if (!r->e->is_root || !r->args || r->args_inherited || JT_JOB_KIND(r->job->id) !=
	    JT_JOB_ADOPTED)
		return 0;
	cj = control_jobs__of_id(ctl, r->job->id);
	if (!cj || cj->root_args)
		return 0;
	cj->root_args = malloc(r->args_len + 1);
	if (!cj->root_args)
		return 0; /* the report names the job by its key instead */
	memcpy(cj->root_args, r->args, r->args_len);
	cj->root_args[r->args_len] = '\0';
	cj->root_args_len = r->args_len + 1;
	return 0;
}

/* @job's report by @write into a new buffer; false when it could not be made. */
static bool render(const struct job *job, size_t top, int (*write)(FILE *, const struct job *,
								   size_t),
		   char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	int err;

	if (!f)
		return false;
	err = write(f, job, top);
	if (fclose(f) || err) {
		free(*buf);
		*buf = NULL;
		return false;
	}
	return true;
}

static int control_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct control *ctl = ((struct control_sink *)s)->ctl;
	struct control_job *cj;
	struct job job = j->job;
	char *argv[JT_ARGS_LEN / 2 + 1];

	if (JT_JOB_KIND(j->id) != JT_JOB_ADOPTED)
		return 0;
	cj = control_jobs__of_id(ctl, j->id);
	if (!cj || cj->ended)
		return 0;
	cj->ended = true;
	cj->stats = j->job.stats;
	cj->status = job__status(&j->job);
	if (cj->failed || cj->released) {
		/* A released job's client took its report as it stood, and left. */
		cj->failed = true;
		for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
			struct control_client *cl = ctl->clients[i];

			if (cl && cl->waiting == cj && !client_printf(ctl, cl, "ERR job %s was "
							   "released: no report\n", cj->key)) {
				cl->waiting = NULL;
				client_drain(ctl, cl);
			}
		}
		control_jobs__prune(ctl);
		return 0;
	}
	control_job__argv(cj, &job, argv, ARRAY_SIZE(argv));
	/* The JSON of `run --json`, one line: the files' and the reply's; run's text when asked. */
	if ((!cj->text || cj->uid == 0) &&
	    !render(&job, cj->top, report__write_json, &cj->json, &cj->json_len))
		cj->failed = true;
	if (cj->text && !render(&job, cj->top, report__write_text, &cj->text_report, &cj->text_len))
		cj->failed = true;
	if (cj->failed)
		fprintf(stderr, "jobtrace: cannot make the report of %s\n", cj->key);
	else
		control_job__write_reports(ctl, cj);
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *cl = ctl->clients[i];

		if (!cl || cl->waiting != cj)
			continue;
		if (cj->failed ? client_printf(ctl, cl, "ERR no report of %s\n", cj->key) :
				 answer_end(ctl, cl, cj))
			continue; /* closed */
		cl->waiting = NULL;
		client_drain(ctl, cl);
	}
	control_jobs__prune(ctl);
	return 0;
}

static const struct sink_ops control_sink_ops = {
	.name = "control",
	.process = control_process,
	.job_end = control_job_end,
};

/* A socket file at @path: one a live serve answers on is not ours to take. */
static int take_path(const struct sockaddr_un *addr)
{
	struct stat sb;
	int fd, err;

	if (lstat(addr->sun_path, &sb))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(sb.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	if (!err)
		return -EADDRINUSE;
	if (unlink(addr->sun_path) && errno != ENOENT)
		return -errno;
	return 0;
}

struct control *control__open(struct collector *c, const char *path, const char *reports_dir)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct itimerspec its = { .it_interval.tv_sec = 1, .it_value.tv_sec = 1 };
	struct control_sink *cs = NULL;
	struct control *ctl;
	int err;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(addr.sun_path, path);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return NULL;
	ctl->c = c;
	ctl->lfd = -1;
	ctl->proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ctl->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ctl->path = strdup(path);
	ctl->reports_dir = reports_dir ? strdup(reports_dir) : NULL;
	if (ctl->proc_fd < 0 || ctl->tfd < 0 || !ctl->path || (reports_dir && !ctl->reports_dir)) {
		err = -errno;
		goto err_free;
	}
	err = take_path(&addr);
	if (err)
		goto err_free;
	ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->lfd < 0) {
		err = -errno;
		goto err_free;
	}
	/*
	 * Every local user may connect (`jobtrace run` of any user is a
	 * client); what each may do is checked per request, by its uid. The
	 * mode is the bind's, by the umask: a chmod of the path after it
	 * followed whatever was put there in between (a symbolic link, in a
	 * directory others may write).
	 */
	{
		mode_t old = umask(0111);

		err = bind(ctl->lfd, (struct sockaddr *)&addr, sizeof(addr)) ? -errno : 0;
		umask(old);
	}
	if (err)
		goto err_free;
	if (listen(ctl->lfd, CONTROL_CLIENTS_MAX) ||
	    timerfd_settime(ctl->tfd, 0, &its, NULL)) {
		err = -errno;
		goto err_unlink;
	}
	cs = calloc(1, sizeof(*cs));
	if (!cs) {
		err = -ENOMEM;
		goto err_unlink;
	}
	cs->s.ops = &control_sink_ops;
	cs->s.top = REPORT_DEFAULT_TOP;
	cs->ctl = ctl;
	err = collector__add_sink(c, &cs->s);
	if (err)
		goto err_unlink; /* the collector freed the sink */
	err = collector__add_fd(c, ctl->lfd, EPOLLIN, on_accept, ctl);
	if (!err)
		err = collector__add_fd(c, ctl->tfd, EPOLLIN, on_tick, ctl);
	if (err)
		goto err_unlink;
	return ctl;

err_unlink:
	unlink(path);
err_free:
	control__free(ctl);
	errno = -err;
	return NULL;
}

void control__free(struct control *ctl)
{
	if (!ctl)
		return;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		if (ctl->clients[i]) {
			close(ctl->clients[i]->fd);
			free(ctl->clients[i]->out);
			free(ctl->clients[i]);
		}
	}
	if (ctl->lfd >= 0) {
		close(ctl->lfd);
		unlink(ctl->path);
	}
	if (ctl->tfd >= 0)
		close(ctl->tfd);
	if (ctl->proc_fd >= 0)
		close(ctl->proc_fd);
	control_jobs__free_all(ctl);
	free(ctl->path);
	free(ctl->reports_dir);
	free(ctl);
}
