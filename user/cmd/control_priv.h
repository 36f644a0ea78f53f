/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * serve --control's state, shared by its two files: control.c (the socket,
 * its clients and their requests, the sink that ends jobs) and
 * control_jobs.c (the jobs the socket made, who may do what with them,
 * their report files). Not for anything else: include/jobtrace/control.h.
 */
#ifndef JOBTRACE_CONTROL_PRIV_H
#define JOBTRACE_CONTROL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jobtrace/control.h"
#include "jobtrace/job.h"
#include "jobtrace/lineage_abi.h"

struct collector;

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
	/*
	 * What the socket would not take yet (a report past its buffer, to a
	 * client busy elsewhere, or stopped: run under Ctrl-Z), sent as it
	 * becomes writable: one reply (no request is read meanwhile), at most
	 * CONTROL_OUT_MAX bytes, and a client that reads none of it for
	 * CONTROL_OUT_IDLE_S is closed.
	 */
	char *out;
	size_t out_len, out_off;
};

#define CONTROL_OUT_MAX (16U << 20)
#define CONTROL_OUT_IDLE_S 600

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

/* ---- the job table (control_jobs.c) ---- */

/* @key's job, newest first; with @open_only, only one not ended. */
struct control_job *control_jobs__find(struct control *ctl, const char *key, bool open_only);
/* A new job of @uid for @req (its key, pid and report options); NULL: no memory. */
struct control_job *control_jobs__new(struct control *ctl, const struct control_request *req,
				      uid_t uid);
struct control_job *control_jobs__of_id(struct control *ctl, __u64 id);
/* The jobs of @uid: those still open, or those ended that were opened after @after. */
size_t control_jobs__count(const struct control *ctl, uid_t uid, bool ended, size_t after);
/* The open jobs of every user but root. */
size_t control_jobs__users_open(const struct control *ctl);
/* Forgets the oldest ended jobs beyond what each user keeps; open ones stay. */
void control_jobs__prune(struct control *ctl);
void control_jobs__free_all(struct control *ctl);

/* Its root's command, as run's report has it: @argv over the copy @cj keeps. */
void control_job__argv(const struct control_job *cj, struct job *job, char **argv, size_t n);
/* ATTACH: the root's command line, read now (its exec was before the attach). */
void control_job__read_root_args(struct control *ctl, struct control_job *cj, pid_t pid);
/* The report files of @cj: serve's --reports for root's jobs, and END's own directory. */
void control_job__write_reports(struct control *ctl, struct control_job *cj);

/* ---- who may do what (control_jobs.c) ---- */

/* May a client of @uid make @pid, started at @start_ns, a job of its own? 0, -EPERM, -ESRCH. */
int control__check_owner(struct control *ctl, unsigned long pid, uid_t uid, uint64_t start_ns);
/* Is the client in serve's pid namespace (its pids are ours)? */
bool control__client_pidns_ours(struct control *ctl, const struct control_client *cl);
/* May one more connection of @uid be taken? Root's are kept free of users'. */
bool control__slot_allowed(const struct control *ctl, uid_t uid);
/* May @cl list @cj? Root, or the user who opened it. */
bool control__may_see(const struct control_client *cl, const struct control_job *cj);

#endif
