// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve --control's jobs and who may do what with them: the table of the
 * jobs the socket made (open, and ended with their reports until pruned),
 * the permission model of include/jobtrace/control.h, and the report files.
 * The socket and its requests are in control.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobtrace/control.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

#include "control_priv.h"

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
	/*
	 * Made anew, never opened as found: a FIFO put at that name (in a
	 * reports directory others may write) held serve's loop in open()
	 * until a reader came. What is there goes first; one made in between
	 * fails the O_EXCL, and this report with it, the loop going on.
	 */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
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

/* Its root's command, as run's report has it: @argv over the copy @cj keeps. */
void control_job__argv(const struct control_job *cj, struct job *job, char **argv, size_t n)
{
	job->argc = 0;
	for (size_t off = 0; cj->root_args && off < cj->root_args_len - 1 &&
			     job->argc < (int)n - 1;
	     off += strlen(cj->root_args + off) + 1)
		argv[job->argc++] = cj->root_args + off;
	argv[job->argc] = NULL;
	job->argv = argv;
}

struct control_job *control_jobs__find(struct control *ctl, const char *key, bool open_only)
{
	/* Newest first: a key used again after its job ended names the new one. */
	for (size_t i = ctl->njobs; i-- > 0;) {
		struct control_job *cj = ctl->jobs[i];

		if (!strcmp(cj->key, key) && (!open_only || !cj->ended))
			return cj;
	}
	return NULL;
}

struct control_job *control_jobs__new(struct control *ctl, const struct control_request *req,
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
size_t control_jobs__count(const struct control *ctl, uid_t uid, bool ended, size_t after)
{
	size_t n = 0;

	for (size_t i = after; i < ctl->njobs; i++)
		n += ctl->jobs[i]->uid == uid && ctl->jobs[i]->ended == ended;
	return n;
}

/* The open jobs of every user but root. */
size_t control_jobs__users_open(const struct control *ctl)
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
void control_jobs__prune(struct control *ctl)
{
	size_t out = 0;

	for (size_t i = 0; i < ctl->njobs; i++) {
		struct control_job *cj = ctl->jobs[i];
		size_t keep = cj->uid == 0 ? CONTROL_KEEP_ENDED : CONTROL_USER_KEEP_ENDED;

		if (cj->ended && control_jobs__count(ctl, cj->uid, true, i + 1) >= keep) {
			job_free(cj);
			continue;
		}
		ctl->jobs[out++] = cj;
	}
	ctl->njobs = out;
}

/* The report files of @cj: serve's --reports for root's jobs, and END's own directory. */
void control_job__write_reports(struct control *ctl, struct control_job *cj)
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

/*
 * Whether a client of @uid may make @pid a job of its own: its own process
 * (the real uid: what the user started, setuid or not). The start time is
 * read on both sides of the uid, so that a pid reused in between is no match.
 */
int control__check_owner(struct control *ctl, unsigned long pid, uid_t uid, uint64_t start_ns)
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

bool control__client_pidns_ours(struct control *ctl, const struct control_client *cl)
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
void control_job__read_root_args(struct control *ctl, struct control_job *cj, pid_t pid)
{
	char buf[JT_ARGS_LEN];
	ssize_t n = proc_pid__read_args(ctl->proc_fd, (int)pid, buf, sizeof(buf) - 1);

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

bool control__may_see(const struct control_client *cl, const struct control_job *cj)
{
	return cl->uid == 0 || cj->uid == cl->uid;
}

/* May one more connection of @uid be taken? Root's are kept free of users'. */
bool control__slot_allowed(const struct control *ctl, uid_t uid)
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

struct control_job *control_jobs__of_id(struct control *ctl, __u64 id)
{
	for (size_t i = 0; i < ctl->njobs; i++)
		if (ctl->jobs[i]->id == id)
			return ctl->jobs[i];
	return NULL;
}

void control_jobs__free_all(struct control *ctl)
{
	for (size_t i = 0; i < ctl->njobs; i++)
		job_free(ctl->jobs[i]);
	free(ctl->jobs);
	ctl->jobs = NULL;
	ctl->njobs = ctl->cap = 0;
}
