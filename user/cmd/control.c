// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve --control: the control socket (protocol in include/jobtrace/control.h).
 * Its listening socket and clients are fds in the collector's one loop; the
 * reports of the jobs it made come to it as to any sink, at the jobs' end.
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

/* A job made through the socket, open or ended (then with its report). */
struct control_job {
	char key[CONTROL_KEY_MAX + 1];
	__u64 id;
	pid_t pid; /* the first process registered: the job's root */
	uid_t uid; /* who opened it: only that user (and root) may add to it, end it, list it */
	bool ended;
	bool failed; /* its first process could not be adopted: no report file */
	bool text; /* END answers with the text report */
	bool sampled_soon; /* an END asked the loop to judge it at once (once a job) */
	bool released; /* RELEASE: no report; it ends, unreported, with its last process */
	__u64 reported_ns; /* a user's last REPORT of it: one a second */
	size_t top; /* commands in its reports */
	char *json, *text_report; /* once ended: the JSON report and a newline; the text one */
	size_t json_len, text_len;
	char *end_dir; /* END's own report directory, or NULL */
	char *root_args; /* its root's command, NUL-separated, from its exit record; or NULL */
	size_t root_args_len;
	struct jt_job_stats stats; /* at its end */
	int status; /* job__status() at its end: what watch exits with */
};

struct control_client {
	struct control *ctl;
	int fd;
	uid_t uid; /* SO_PEERCRED at the accept: what it may do */
	pid_t pid; /* and its pid, in serve's pid namespace */
	__u64 since_ns; /* its connect, or the last request it completed */
	char buf[CONTROL_LINE_MAX];
	size_t len;
	struct control_job *waiting; /* END, until the job is over */
};

struct control {
	struct collector *c;
	int lfd;
	int tfd; /* the idle clients' timer */
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
	static const char hex[] = "0123456789ABCDEF";
	size_t max = size < NAME_MAX + 1 ? size : NAME_MAX + 1, n = 0;

	if (!*key)
		return -EINVAL;
	/*
	 * The whole key, so that "slurm:7.0" and "nobody:7.0" are two files;
	 * '%' escaped too, so that the name says the key back. A key is the
	 * client's word: no '/' makes a path of it, no leading '.' hides it
	 * or names "." or "..".
	 */
	for (size_t i = 0; key[i]; i++) {
		unsigned char ch = (unsigned char)key[i];
		bool esc = ch == '/' || ch == '%' || (i == 0 && ch == '.') || ch <= ' ' || ch > '~';

		if (n + (esc ? 3 : 1) + sizeof(".json") > max)
			return -ENAMETOOLONG;
		if (esc) {
			buf[n++] = '%';
			buf[n++] = hex[ch >> 4];
			buf[n++] = hex[ch & 15];
		} else {
			buf[n++] = (char)ch;
		}
	}
	if (n + sizeof(".json") > max)
		return -ENAMETOOLONG;
	memcpy(buf + n, ".json", sizeof(".json"));
	return 0;
}

bool control__key_allowed(const char *key, uid_t uid)
{
	const char *p = strchr(key, ':');
	unsigned long v;
	char *end;

	if (uid == 0)
		return true;
	/* NAME:UID:REST, UID in decimal as the kernel prints it: no sign, no leading 0. */
	if (!p || p == key || p[1] < '0' || p[1] > '9' || (p[1] == '0' && p[2] != ':'))
		return false;
	errno = 0;
	v = strtoul(p + 1, &end, 10);
	return !errno && *end == ':' && v == (unsigned long)uid;
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
	char name[NAME_MAX + 1], path[PATH_MAX], tmp[PATH_MAX];
	int fd, err;

	err = control__report_name(key, name, sizeof(name));
	if (err)
		return err;
	/* serve writes one file at a time: one temporary name per serve will do. */
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.jobtrace-%d.tmp", dir, (int)getpid()) >=
		    sizeof(tmp))
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

static bool render(const struct job *job, size_t top,
		   int (*write)(FILE *, const struct job *, size_t), char **buf, size_t *len);
static int client_drain(struct control *ctl, struct control_client *cl);

/* Its root's command, as run's report has it: @argv over the copy @cj keeps. */
static void job_argv(const struct control_job *cj, struct job *job, char **argv, size_t n)
{
	job->argc = 0;
	for (size_t off = 0; cj->root_args && off < cj->root_args_len - 1 &&
			     job->argc < (int)n - 1;
	     off += strlen(cj->root_args + off) + 1)
		argv[job->argc++] = cj->root_args + off;
	argv[job->argc] = NULL;
	job->argv = argv;
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

static struct control_job *job_new(struct control *ctl, const struct control_request *req,
				   uid_t uid)
{
	struct control_job *cj;

	if (ctl->njobs == ctl->cap &&
	    util__grow(&ctl->jobs, &ctl->cap, sizeof(*ctl->jobs), 16, 1U << 20))
		return NULL;
	cj = calloc(1, sizeof(*cj));
	if (!cj)
		return NULL;
	snprintf(cj->key, sizeof(cj->key), "%s", req->key);
	cj->id = (JT_JOB_ADOPTED << JT_JOB_KIND_SHIFT) | ++ctl->seq;
	cj->pid = (pid_t)req->pid;
	cj->uid = uid;
	cj->text = req->text;
	cj->top = req->top;
	ctl->jobs[ctl->njobs++] = cj;
	return cj;
}

static void job_free(struct control_job *cj)
{
	free(cj->root_args);
	free(cj->json);
	free(cj->text_report);
	free(cj->end_dir);
	free(cj);
}

/* The jobs of @uid: those still open, or those ended that were opened after @after. */
static size_t jobs_of(const struct control *ctl, uid_t uid, bool ended, size_t after)
{
	size_t n = 0;

	for (size_t i = after; i < ctl->njobs; i++)
		n += ctl->jobs[i]->uid == uid && ctl->jobs[i]->ended == ended;
	return n;
}

/* The open jobs of every user but root. */
static size_t users_open_jobs(const struct control *ctl)
{
	size_t n = 0;

	for (size_t i = 0; i < ctl->njobs; i++)
		n += ctl->jobs[i]->uid != 0 && !ctl->jobs[i]->ended;
	return n;
}

/*
 * Forgets the oldest ended jobs beyond CONTROL_KEEP_ENDED of root's and
 * CONTROL_USER_KEEP_ENDED of each other user's: no user's churn of jobs
 * pushes out a Slurm step's report before its END came. Open ones stay.
 */
static void jobs_prune(struct control *ctl)
{
	size_t out = 0;

	for (size_t i = 0; i < ctl->njobs; i++) {
		struct control_job *cj = ctl->jobs[i];
		size_t keep = cj->uid == 0 ? CONTROL_KEEP_ENDED : CONTROL_USER_KEEP_ENDED;

		if (cj->ended && jobs_of(ctl, cj->uid, true, i + 1) >= keep) {
			job_free(cj);
			continue;
		}
		ctl->jobs[out++] = cj;
	}
	ctl->njobs = out;
}

/* The report files of @cj: serve's --reports for root's jobs, and END's own directory. */
static void write_reports(struct control *ctl, struct control_job *cj)
{
	const char *dirs[2] = { cj->uid == 0 ? ctl->reports_dir : NULL, cj->end_dir };
	int err;

	if (!cj->json)
		return;
	if (dirs[1] && dirs[0] && !strcmp(dirs[0], dirs[1]))
		dirs[1] = NULL;
	for (size_t i = 0; i < 2; i++) {
		if (!dirs[i])
			continue;
		err = write_report(dirs[i], cj->key, cj->json, cj->json_len);
		if (err)
			fprintf(stderr, "jobtrace: cannot write the report of %s to %s: %s\n",
				cj->key, dirs[i], strerror(-err));
	}
}

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

/*
 * Whether a client of @uid may make @pid a job of its own: its own process
 * (the real uid: what the user started, setuid or not). The start time is
 * read on both sides of the uid, so that a pid reused in between is no match.
 */
static int check_owner(struct control *ctl, unsigned long pid, uid_t uid, uint64_t start_ns)
{
	struct proc_status ps;
	uint64_t again_ns;
	int err;

	err = proc_pid__read_status(ctl->proc_fd, (int)pid, &ps);
	if (!err)
		err = proc_pid__start_ns(ctl->proc_fd, (int)pid, &again_ns);
	if (err)
		return err;
	if (again_ns != start_ns)
		return -ESRCH;
	return ps.uid_real == (uint32_t)uid ? 0 : -EPERM;
}

static bool client_pidns_ours(struct control *ctl, const struct control_client *cl)
{
	struct proc_status ps;

	if (cl->pid <= 0 || proc_pid__read_status(ctl->proc_fd, cl->pid, &ps))
		return false;
	return !ps.ns_pid || ps.ns_pid == cl->pid;
}

/*
 * ATTACH: the root's command line, read now (its exec was before the
 * attach): the report names the job by it, as watch's does.
 */
static void attach_root_args(struct control *ctl, struct control_job *cj, pid_t pid)
{
	char path[32], buf[JT_ARGS_LEN];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/cmdline", (int)pid);
	fd = openat(ctl->proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return;
	if (buf[n - 1] != '\0')
		buf[n++] = '\0';
	cj->root_args = malloc((size_t)n);
	if (!cj->root_args)
		return; /* the report names the job by its key instead */
	memcpy(cj->root_args, buf, (size_t)n);
	cj->root_args_len = (size_t)n;
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
	if (!client_pidns_ours(ctl, cl))
		return client_printf(ctl, cl, "ERR your pid namespace is not serve's\n");
	if (!control__key_allowed(key, cl->uid))
		return client_printf(ctl, cl, "ERR key %s is not yours: yours are NAME:%u:...\n",
				     key, (unsigned int)cl->uid);
	err = proc_pid__start_ns(ctl->proc_fd, (int)pid, &start_ns);
	if (!err && cl->uid != 0)
		err = check_owner(ctl, pid, cl->uid, start_ns);
	if (err == -EPERM)
		return client_printf(ctl, cl, "ERR process %lu is not yours\n", pid);
	if (err)
		return client_printf(ctl, cl, "ERR no process %lu: %s\n", pid, strerror(-err));
	cj = job_find(ctl, key, true);
	if (cj && cl->uid != 0 && cj->uid != cl->uid)
		return client_printf(ctl, cl, "ERR job %s is not yours\n", key);
	/* A tree is one job's from the start: its processes are counted existing. */
	if (cj && tree)
		return client_printf(ctl, cl, "ERR job %s is open: ATTACH makes a new job\n", key);
	fresh = !cj;
	if (fresh) {
		/* Users cannot fill the kernel's job map: root's steps need it. */
		if (cl->uid != 0 && jobs_of(ctl, cl->uid, false, 0) >= CONTROL_USER_JOBS)
			return client_printf(ctl, cl, "ERR %d jobs of yours are open already\n",
					     CONTROL_USER_JOBS);
		if (cl->uid != 0 && users_open_jobs(ctl) >= CONTROL_USERS_JOBS)
			return client_printf(ctl, cl, "ERR %d jobs of users are open already\n",
					     CONTROL_USERS_JOBS);
		cj = job_new(ctl, req, cl->uid);
		if (!cj)
			return client_printf(ctl, cl, "ERR out of memory\n");
		err = collector__open_adopted(ctl->c, cj->id, key, (pid_t)pid, tree);
		if (err && !collector__find_job(ctl->c, cj->id)) {
			cj->ended = cj->failed = true;
			return client_printf(ctl, cl, "ERR out of memory\n");
		}
		if (err) {
			cj->failed = true;
			return client_printf(ctl, cl, "ERR cannot make the job: %s\n",
					     strerror(-err));
		}
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
	attach_root_args(ctl, cj, (pid_t)pid);
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
	struct control_job *cj = job_find(ctl, key, false);
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
	job_argv(cj, &job, argv, ARRAY_SIZE(argv));
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
	struct control_job *cj = job_find(ctl, key, true);
	int err = job_access(ctl, cl, cj, key);

	if (err)
		return err < 0 ? err : 0;
	cj->released = true;
	return client_printf(ctl, cl, "OK %s\n", key);
}

static int do_end(struct control *ctl, struct control_client *cl, char *key, char *dir)
{
	struct control_job *cj = job_find(ctl, key, false);
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
			write_reports(ctl, cj);
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

static bool may_see(const struct control_client *cl, const struct control_job *cj)
{
	return cl->uid == 0 || cj->uid == cl->uid;
}

static int do_list(struct control *ctl, struct control_client *cl)
{
	size_t n = 0;
	int err;

	for (size_t i = 0; i < ctl->njobs; i++)
		n += may_see(cl, ctl->jobs[i]);
	err = client_printf(ctl, cl, "OK %zu\n", n);
	for (size_t i = 0; !err && i < ctl->njobs; i++) {
		struct control_job *cj = ctl->jobs[i];
		const struct jt_job_stats *s = &cj->stats;
		const struct cjob *j;
		struct jt_job_stats js;

		if (!may_see(cl, cj))
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

#define CONTROL_USAGE                                                                             \
	"usage: REGISTER|ATTACH KEY PID [text] [top=N] | END KEY [DIR] | REPORT|RELEASE KEY | LIST"

int control__parse_request(char *line, struct control_request *req, char *why, size_t why_size)
{
	char *save = NULL, *tok[6];
	size_t n = 0;

	memset(req, 0, sizeof(*req));
	req->top = REPORT_DEFAULT_TOP;
	why[0] = '\0';
	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == ARRAY_SIZE(tok)) {
			snprintf(why, why_size, CONTROL_USAGE);
			return -EINVAL;
		}
		tok[n++] = t;
	}
	if (!n) {
		snprintf(why, why_size, "empty request");
		return -EINVAL;
	}
	if (!strcmp(tok[0], "LIST") && n == 1) {
		req->verb = CONTROL_LIST;
		return 0;
	}
	if (strcmp(tok[0], "REGISTER") && strcmp(tok[0], "ATTACH") && strcmp(tok[0], "END") &&
	    strcmp(tok[0], "REPORT") && strcmp(tok[0], "RELEASE") && strcmp(tok[0], "LIST")) {
		snprintf(why, why_size, "unknown request %.32s", tok[0]);
		return -EINVAL;
	}
	if (n < 2 || !key_valid(tok[1]) || !strcmp(tok[0], "LIST")) {
		snprintf(why, why_size, CONTROL_USAGE);
		return -EINVAL;
	}
	req->key = tok[1];
	if (!strcmp(tok[0], "END")) {
		if (n > 3) {
			snprintf(why, why_size, CONTROL_USAGE);
			return -EINVAL;
		}
		req->verb = CONTROL_END;
		req->dir = n == 3 ? tok[2] : NULL;
		return 0;
	}
	if (!strcmp(tok[0], "REPORT") || !strcmp(tok[0], "RELEASE")) {
		if (n > 2) {
			snprintf(why, why_size, CONTROL_USAGE);
			return -EINVAL;
		}
		req->verb = tok[0][2] == 'P' ? CONTROL_REPORT : CONTROL_RELEASE;
		return 0;
	}
	if (n < 3 || cli__parse_uint(tok[2], 2, 1U << 22, &req->pid)) {
		snprintf(why, why_size, "%s takes a key and a pid", tok[0]);
		return -EINVAL;
	}
	for (size_t i = 3; i < n; i++) {
		if (!strcmp(tok[i], "text") && !req->text) {
			req->text = true;
		} else if (!strncmp(tok[i], "top=", 4) &&
			   !cli__parse_uint(tok[i] + 4, 0, 100000, &req->top)) {
			continue;
		} else {
			snprintf(why, why_size, "%s takes the options text and top=N, not %.32s",
				 tok[0], tok[i]);
			return -EINVAL;
		}
	}
	req->verb = tok[0][0] == 'A' ? CONTROL_ATTACH : CONTROL_REGISTER;
	return 0;
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
		/* A request done: the idle time counts from here, not from its first byte. */
		cl->since_ns = util__now_ns();
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

		if (cl && !cl->waiting && now - cl->since_ns > CONTROL_IDLE_S * 1000000000ULL)
			client_close(ctl, cl);
	}
}

/* May one more connection of @uid be taken? Root's are kept free of users'. */
static bool slot_allowed(const struct control *ctl, uid_t uid)
{
	size_t users = 0, mine = 0;

	if (uid == 0)
		return true;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		const struct control_client *cl = ctl->clients[i];

		if (cl && cl->uid != 0) {
			users++;
			mine += cl->uid == uid;
		}
	}
	return users < CONTROL_USERS_CLIENTS && mine < CONTROL_USER_CLIENTS;
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
		if (!slot_allowed(ctl, cred.uid)) {
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

static struct control_job *job_of_id(struct control *ctl, __u64 id)
{
	for (size_t i = 0; i < ctl->njobs; i++)
		if (ctl->jobs[i]->id == id)
			return ctl->jobs[i];
	return NULL;
}

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
	cj = job_of_id(ctl, r->job->id);
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
	cj = job_of_id(ctl, j->id);
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
		jobs_prune(ctl);
		return 0;
	}
	job_argv(cj, &job, argv, ARRAY_SIZE(argv));
	/* The JSON of `run --json`, one line: the files' and the reply's; run's text when asked. */
	if ((!cj->text || cj->uid == 0) &&
	    !render(&job, cj->top, report__write_json, &cj->json, &cj->json_len))
		cj->failed = true;
	if (cj->text && !render(&job, cj->top, report__write_text, &cj->text_report, &cj->text_len))
		cj->failed = true;
	if (cj->failed)
		fprintf(stderr, "jobtrace: cannot make the report of %s\n", cj->key);
	else
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
	if (bind(ctl->lfd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = -errno;
		goto err_free;
	}
	/*
	 * Every local user may connect (`jobtrace run` of any user is a
	 * client); what each may do is checked per request, by its uid.
	 */
	if (chmod(path, 0666) || listen(ctl->lfd, CONTROL_CLIENTS_MAX) ||
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
	for (size_t i = 0; i < ctl->njobs; i++)
		job_free(ctl->jobs[i]);
	free(ctl->jobs);
	free(ctl->path);
	free(ctl->reports_dir);
	free(ctl);
}
