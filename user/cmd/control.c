// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve --control: the control socket (protocol in include/jobtrace/control.h).
 * Its listening socket and clients are fds in the collector's one loop; the
 * reports of the jobs it made come to it as to any sink, at the jobs' end.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/collector.h"
#include "jobtrace/control.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/report.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

#define CONTROL_CLIENTS_MAX 64

/* A job made through the socket, open or ended (then with its report). */
struct control_job {
	char key[CONTROL_KEY_MAX + 1];
	__u64 id;
	pid_t pid; /* the first process registered: the job's root */
	bool ended;
	bool failed; /* its first process could not be adopted: no report file */
	char *report; /* the JSON report and a newline, once ended */
	char *end_dir; /* END's own report directory, or NULL */
	size_t report_len;
	struct jt_job_stats stats; /* at its end */
};

struct control_client {
	struct control *ctl;
	int fd;
	char buf[CONTROL_LINE_MAX];
	size_t len;
	struct control_job *waiting; /* END, until the job is over */
};

struct control {
	struct collector *c;
	int lfd;
	int proc_fd;
	char *path;
	char *reports_dir;
	struct control_job **jobs; /* oldest first */
	size_t njobs, cap;
	struct control_client *clients[CONTROL_CLIENTS_MAX];
	__u64 seq;
};

struct control_sink {
	struct sink s; /* first: sink__free() frees this struct */
	struct control *ctl;
};

int control__report_name(const char *key, char *buf, size_t size)
{
	const char *name = strrchr(key, ':');
	int n;

	name = name ? name + 1 : key;
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	n = snprintf(buf, size, "%s.json", name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	/* A key is the client's word: no path may come of it. */
	for (char *p = buf; *p; p++)
		if (*p == '/')
			*p = '_';
	return 0;
}

/* A key is printable ASCII, no spaces: it goes into lines and file names. */
static bool key_valid(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > CONTROL_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (key[i] <= ' ' || key[i] > '~')
			return false;
	return true;
}

/* Written whole or not at all: a reader never sees half a report. */
static int write_report(const char *dir, const char *key, const char *data, size_t len)
{
	char name[CONTROL_KEY_MAX + 8], path[PATH_MAX], tmp[PATH_MAX];
	int fd, err;

	err = control__report_name(key, name, sizeof(name));
	if (err)
		return err;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	err = 0;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		off += (size_t)n;
	}
	/* The mode is ours, whatever umask serve was started with. */
	if (!err && fchmod(fd, 0644))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void client_close(struct control *ctl, struct control_client *cl)
{
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (ctl->clients[i] == cl)
			ctl->clients[i] = NULL;
	collector__remove_fd(ctl->c, cl->fd);
	close(cl->fd);
	free(cl);
}

/* Replies never block the loop: a client that does not read is dropped. */
static int client_send(struct control *ctl, struct control_client *cl, const char *data,
		       size_t len)
{
	while (len) {
		ssize_t n = send(cl->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			client_close(ctl, cl);
			return -EPIPE;
		}
		data += n;
		len -= (size_t)n;
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

static struct control_job *job_find(struct control *ctl, const char *key, bool open_only)
{
	/* Newest first: a key used again after its job ended names the new one. */
	for (size_t i = ctl->njobs; i-- > 0;) {
		struct control_job *cj = ctl->jobs[i];

		if (!strcmp(cj->key, key) && (!open_only || !cj->ended))
			return cj;
	}
	return NULL;
}

static struct control_job *job_new(struct control *ctl, const char *key, pid_t pid)
{
	struct control_job *cj;

	if (ctl->njobs == ctl->cap &&
	    util__grow(&ctl->jobs, &ctl->cap, sizeof(*ctl->jobs), 16, 1U << 20))
		return NULL;
	cj = calloc(1, sizeof(*cj));
	if (!cj)
		return NULL;
	snprintf(cj->key, sizeof(cj->key), "%s", key);
	cj->id = (JT_JOB_ADOPTED << JT_JOB_KIND_SHIFT) | ++ctl->seq;
	cj->pid = pid;
	ctl->jobs[ctl->njobs++] = cj;
	return cj;
}

/* Forgets the oldest ended jobs beyond CONTROL_KEEP_ENDED; open ones stay. */
static void jobs_prune(struct control *ctl)
{
	size_t ended = 0, out = 0;

	for (size_t i = 0; i < ctl->njobs; i++)
		ended += ctl->jobs[i]->ended;
	for (size_t i = 0; i < ctl->njobs; i++) {
		struct control_job *cj = ctl->jobs[i];

		if (cj->ended && ended > CONTROL_KEEP_ENDED) {
			ended--;
			free(cj->report);
			free(cj->end_dir);
			free(cj);
			continue;
		}
		ctl->jobs[out++] = cj;
	}
	ctl->njobs = out;
}

/* The report files of @cj: serve's --reports, and END's own directory. */
static void write_reports(struct control *ctl, struct control_job *cj)
{
	const char *dirs[2] = { ctl->reports_dir, cj->end_dir };
	int err;

	if (dirs[1] && dirs[0] && !strcmp(dirs[0], dirs[1]))
		dirs[1] = NULL;
	for (size_t i = 0; i < 2; i++) {
		if (!dirs[i])
			continue;
		err = write_report(dirs[i], cj->key, cj->report, cj->report_len);
		if (err)
			fprintf(stderr, "jobtrace: cannot write the report of %s to %s: %s\n",
				cj->key, dirs[i], strerror(-err));
	}
}

static int answer_end(struct control *ctl, struct control_client *cl, struct control_job *cj)
{
	char head[64];
	int err;

	cl->waiting = NULL;
	snprintf(head, sizeof(head), "REPORT %zu\n", cj->report_len);
	err = client_send(ctl, cl, head, strlen(head));
	if (!err)
		err = client_send(ctl, cl, cj->report, cj->report_len);
	return err;
}

static int do_register(struct control *ctl, struct control_client *cl, char *key,
		       unsigned long pid)
{
	const struct source_ops *ops = collector__ops(ctl->c);
	__u64 tick_ns = 1000000000ULL / (__u64)sysconf(_SC_CLK_TCK);
	struct proc_stat_fields st;
	struct control_job *cj;
	struct cjob *j;
	bool fresh;
	int err;

	if (!ops->adopt)
		return client_printf(ctl, cl, "ERR the %s source cannot adopt a process\n",
				     ops->name);
	err = proc_pid__read_stat(ctl->proc_fd, (int)pid, &st);
	if (err)
		return client_printf(ctl, cl, "ERR no process %lu: %s\n", pid, strerror(-err));
	cj = job_find(ctl, key, true);
	fresh = !cj;
	if (fresh) {
		cj = job_new(ctl, key, (pid_t)pid);
		if (!cj)
			return client_printf(ctl, cl, "ERR out of memory\n");
		j = collector__add_job(ctl->c, cj->id, key, CJOB_END_EMPTY);
		if (!j) {
			cj->ended = cj->failed = true;
			return client_printf(ctl, cl, "ERR out of memory\n");
		}
		j->job.mode = "control";
		j->job.root_pid = (pid_t)pid;
		/* -1: its membership follows no cgroup; the task keeps its tree. */
		err = ops->add_empty(ctl->c, cj->id, -1);
		if (err) {
			cj->failed = true;
			return client_printf(ctl, cl, "ERR cannot make the job: %s\n",
					     strerror(-err));
		}
	}
	err = ops->adopt(ctl->c, cj->id, (pid_t)pid, st.starttime_ticks * tick_ns, 2 * tick_ns);
	if (err) {
		/* An empty job ends at the next sample; it had nothing to report. */
		if (fresh)
			cj->failed = true;
		return client_printf(ctl, cl, "ERR cannot adopt process %lu: %s\n", pid,
				     err == -ESRCH ? "it has ended" : strerror(-err));
	}
	return client_printf(ctl, cl, "OK %s\n", key);
}

static int do_end(struct control *ctl, struct control_client *cl, char *key, char *dir,
		  const struct ucred *cred)
{
	struct control_job *cj = job_find(ctl, key, false);

	if (!cj)
		return client_printf(ctl, cl, "ERR no job %s\n", key);
	if (cj->failed)
		return client_printf(ctl, cl, "ERR job %s was never registered\n", key);
	if (dir) {
		/* serve writes as root: only root may send its files elsewhere. */
		if (cred->uid != 0)
			return client_printf(ctl, cl, "ERR only root may name a report directory\n");
		if (dir[0] != '/')
			return client_printf(ctl, cl, "ERR the report directory must be absolute\n");
		/* Kept with the job: a client may leave without waiting for the report. */
		free(cj->end_dir);
		cj->end_dir = strdup(dir);
		if (cj->ended && cj->end_dir &&
		    (!ctl->reports_dir || strcmp(cj->end_dir, ctl->reports_dir)))
			write_reports(ctl, cj);
	}
	if (cj->ended)
		return answer_end(ctl, cl, cj);
	cl->waiting = cj;
	return 0;
}

static int do_list(struct control *ctl, struct control_client *cl)
{
	int err = client_printf(ctl, cl, "OK %zu\n", ctl->njobs);

	for (size_t i = 0; !err && i < ctl->njobs; i++) {
		struct control_job *cj = ctl->jobs[i];
		const struct jt_job_stats *s = &cj->stats;
		struct cjob *j = cj->ended ? NULL : collector__find_job(ctl->c, cj->id);

		/* Fresh figures: the last sample may be older than the job. */
		if (j) {
			collector__ops(ctl->c)->job_stats(ctl->c, cj->id, &j->job.stats);
			s = &j->job.stats;
		}
		err = client_printf(ctl, cl, "%s %s %d %lld %llu %llu\n", cj->key,
				    cj->ended ? "ended" : "running", cj->pid,
				    (long long)(s->alive > 0 ? s->alive : 0),
				    (unsigned long long)s->procs_started,
				    (unsigned long long)s->procs_exited);
	}
	return err;
}

/* One request line; -EPIPE when the client is gone. */
int control__parse_request(char *line, struct control_request *req, char *why, size_t why_size)
{
	char *save = NULL, *verb, *key, *arg, *extra;

	memset(req, 0, sizeof(*req));
	why[0] = '\0';
	verb = strtok_r(line, " \t", &save);
	key = strtok_r(NULL, " \t", &save);
	arg = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (!verb) {
		snprintf(why, why_size, "empty request");
		return -EINVAL;
	}
	if (!strcmp(verb, "LIST") && !key) {
		req->verb = CONTROL_LIST;
		return 0;
	}
	if (!key || !key_valid(key) || extra) {
		snprintf(why, why_size, "usage: REGISTER KEY PID | END KEY [DIR] | LIST");
		return -EINVAL;
	}
	req->key = key;
	if (!strcmp(verb, "REGISTER")) {
		if (!arg || cli__parse_uint(arg, 2, 1U << 22, &req->pid)) {
			snprintf(why, why_size, "REGISTER takes a key and a pid");
			return -EINVAL;
		}
		req->verb = CONTROL_REGISTER;
		return 0;
	}
	if (!strcmp(verb, "END")) {
		req->verb = CONTROL_END;
		req->dir = arg;
		return 0;
	}
	snprintf(why, why_size, "unknown request %.32s", verb);
	return -EINVAL;
}

static int client_request(struct control *ctl, struct control_client *cl, char *line)
{
	struct ucred cred = { .uid = (uid_t)-1 };
	socklen_t clen = sizeof(cred);
	struct control_request req;
	char why[80];

	getsockopt(cl->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
	if (control__parse_request(line, &req, why, sizeof(why)))
		return client_printf(ctl, cl, "ERR %s\n", why);
	switch (req.verb) {
	case CONTROL_LIST:
		return do_list(ctl, cl);
	case CONTROL_REGISTER:
		return do_register(ctl, cl, req.key, req.pid);
	case CONTROL_END:
		return do_end(ctl, cl, req.key, req.dir, &cred);
	}
	return -EINVAL;
}

/*
 * Runs the complete lines waiting in @cl's buffer, one at a time, none past
 * an END still waiting for its job. -EPIPE when the client is gone.
 */
static int client_drain(struct control *ctl, struct control_client *cl)
{
	while (!cl->waiting) {
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
		memmove(cl->buf, cl->buf + used, cl->len - used);
		cl->len -= used;
	}
	/* A full buffer is a line too long, or requests sent ahead of a reply. */
	if (cl->len == sizeof(cl->buf)) {
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

static void on_accept(void *ctx, int fd, __u32 events)
{
	struct control *ctl = ctx;

	for (;;) {
		struct control_client *cl;
		size_t slot;
		int cfd;

		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return; /* EAGAIN, or a client gone before we took it */
		for (slot = 0; slot < CONTROL_CLIENTS_MAX && ctl->clients[slot]; slot++)
			;
		cl = slot < CONTROL_CLIENTS_MAX ? calloc(1, sizeof(*cl)) : NULL;
		if (!cl) {
			close(cfd);
			continue;
		}
		cl->ctl = ctl;
		cl->fd = cfd;
		if (collector__add_fd(ctl->c, cfd, EPOLLIN, on_client, cl)) {
			close(cfd);
			free(cl);
			continue;
		}
		ctl->clients[slot] = cl;
	}
}

/* ---- the sink: an adopted job's end ---- */

static int control_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct control *ctl = ((struct control_sink *)s)->ctl;
	struct control_job *cj = NULL;
	FILE *f;
	int err;

	if (JT_JOB_KIND(j->id) != JT_JOB_ADOPTED)
		return 0;
	for (size_t i = 0; i < ctl->njobs && !cj; i++)
		if (ctl->jobs[i]->id == j->id)
			cj = ctl->jobs[i];
	if (!cj || cj->ended)
		return 0;
	cj->ended = true;
	cj->stats = j->job.stats;
	if (cj->failed)
		return 0;
	/* The report of `run --json`, one line. */
	f = open_memstream(&cj->report, &cj->report_len);
	if (!f) {
		fprintf(stderr, "jobtrace: cannot make the report of %s: %s\n", cj->key,
			strerror(errno));
		cj->failed = true;
	} else {
		err = report__write_json(f, &j->job, s->top);
		if (fclose(f) || err) {
			fprintf(stderr, "jobtrace: cannot make the report of %s\n", cj->key);
			cj->failed = true;
		}
	}
	if (!cj->failed)
		write_reports(ctl, cj);
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
	jobs_prune(ctl);
	return 0;
}

static const struct sink_ops control_sink_ops = {
	.name = "control",
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
	struct control_sink *cs = NULL;
	struct control *ctl;
	struct group *gr;
	mode_t mode = 0600;
	gid_t gid = 0;
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
	ctl->path = strdup(path);
	ctl->reports_dir = reports_dir ? strdup(reports_dir) : NULL;
	if (ctl->proc_fd < 0 || !ctl->path || (reports_dir && !ctl->reports_dir)) {
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
	/* Nobody may connect before the mode and group say who may. */
	fchmod(ctl->lfd, 0600);
	if (bind(ctl->lfd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = -errno;
		goto err_free;
	}
	gr = getgrnam(CONTROL_GROUP);
	if (gr) {
		gid = gr->gr_gid;
		mode = 0660;
	}
	if (chmod(path, 0600) || chown(path, 0, gid) || chmod(path, mode) ||
	    listen(ctl->lfd, CONTROL_CLIENTS_MAX)) {
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
			free(ctl->clients[i]);
		}
	}
	if (ctl->lfd >= 0) {
		close(ctl->lfd);
		unlink(ctl->path);
	}
	if (ctl->proc_fd >= 0)
		close(ctl->proc_fd);
	for (size_t i = 0; i < ctl->njobs; i++) {
		free(ctl->jobs[i]->report);
		free(ctl->jobs[i]->end_dir);
		free(ctl->jobs[i]);
	}
	free(ctl->jobs);
	free(ctl->path);
	free(ctl->reports_dir);
	free(ctl);
}
