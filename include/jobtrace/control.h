/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * serve --control PATH: a unix socket through which a local client (the
 * Slurm SPANK plugin, a CI runner, a container hook) makes a running process
 * a job of its own, ends it and takes its final report, in serve's one loop.
 *
 * The protocol: lines of text, at most CONTROL_LINE_MAX bytes, one request
 * and one reply at a time on a connection (a connection may carry several).
 *
 *   REGISTER KEY PID [text] [top=N] [alloc=SYSTEM [cpus=N] [mem=BYTES[/job]] [node=NAME]]
 *                      PID, a process that has not forked yet (a Slurm
 *                      task between fork and exec), leaves its host-mode job
 *                      with its threads and starts job KEY; every process it
 *                      forks from then on is in KEY, wherever its cgroup is.
 *                      A second REGISTER of an open KEY adds PID to it (a
 *                      step's second task). The reply comes once the kernel's
 *                      maps say so:  "OK KEY". The options of a new job: its
 *                      report for END is run's text report instead of the
 *                      JSON object (`text`), with N commands in the breakdown
 *                      (`top=N`, 0 to 100000; default 10). Root only:
 *                      what a batch system gave the job on this node, as
 *                      the SPANK plugin reads it from slurmstepd
 *                      (`alloc=slurm`): the step's CPUs (`cpus=N`), its
 *                      memory (`mem=BYTES`, `/job` when it is the job's,
 *                      the step having none of its own), the node's name
 *                      (`node=NAME`); the report divides by them.
 *   END KEY [DIR]      The client is done with KEY. The reply comes when the
 *                      job is over (its last process ended: at once when it
 *                      already is): "REPORT N STATUS", then N bytes, the job's
 *                      report, the JSON object of `run --json` and a newline
 *                      (or the text report, asked with `text`). The JSON is
 *                      written to DIR/NAME.json as well (DIR: serve's
 *                      --reports, and DIR when the client is root; only jobs
 *                      root opened), owned by serve's user; NAME is KEY with
 *                      '/', '%' and a leading '.' written %XX
 *                      (control__report_name()), so two keys never share one.
 *   ATTACH KEY PID [text] [top=N]
 *                      `watch --pid` through serve: PID, a process already
 *                      running, and every descendant it has (its threads
 *                      too) leave their jobs and start job KEY, counted as
 *                      existing at the attach, with what they fork from
 *                      then on. KEY must not be open. For a client other
 *                      than root, the kernel moves only processes whose
 *                      real uid is the client's: one that is not, and its
 *                      subtree, stay where they are. The reply, once every
 *                      process is in (two passes, as watch's own attach:
 *                      a process forked meanwhile is counted once):
 *                      "OK KEY EXISTING LEFT_OUT", the processes counted
 *                      existing and those left out as not the client's.
 *   REPORT KEY         The job's report as it stands, the job going on (as
 *                      END's, with the figures of now, its live processes
 *                      included: what watch gives at Ctrl-C): "REPORT N STATUS"
 *                      and N bytes. An ended job's is END's. A user asks
 *                      at most once a second for a job.
 *   RELEASE KEY        The client wants no report of the open job KEY:
 *                      "OK KEY". Its processes stay in it, counted (moved
 *                      back they would be counted twice by their host
 *                      jobs), until the last ends; then it ends with no
 *                      report (END answers "ERR"). Until then it counts
 *                      among the client's open jobs.
 *   LIST               "OK N", then N lines "KEY STATE PID ALIVE STARTED
 *                      EXITED": STATE is running, released or ended;
 *                      ended jobs stay listed (and END answers them) until
 *                      CONTROL_KEEP_ENDED later ones of root
 *                      (CONTROL_USER_KEEP_ENDED of that user) have ended.
 *
 * Any request may instead be answered "ERR MESSAGE". KEY is 1 to 255 bytes
 * of printable ASCII without spaces. PID is numbered in serve's pid
 * namespace: a client in another one (a container) is refused REGISTER
 * and ATTACH.
 *
 * Who may do what: the socket is mode 0666, and each request is checked
 * against the client's credentials (SO_PEERCRED). Root (uid 0) may do all
 * of the above with any process and any job: the SPANK plugin is root. Any
 * other user may REGISTER or ATTACH only a process whose real uid is its own
 * and that no client's job holds yet (a Slurm step's task stays in its
 * step), under a key of its own, NAME:UID:REST with UID its uid
 * (`run:1000:4242`), so root's keys (`slurm:12.0`) are out of its reach; it
 * may END, REPORT, RELEASE and LIST only the jobs it opened, their reports
 * come back to it alone (never to a file),
 * and it holds at most CONTROL_USER_CLIENTS connections and
 * CONTROL_USER_JOBS open jobs; all users but root together hold at most
 * CONTROL_USERS_CLIENTS connections, so root always has a connection left,
 * and CONTROL_USERS_JOBS open jobs.
 * No group grants more: the `jobtrace` group reads the stream, and controls
 * nothing. A connection that sends no complete request for CONTROL_IDLE_S
 * seconds, and waits for no report, is closed.
 */
#ifndef JOBTRACE_CONTROL_H
#define JOBTRACE_CONTROL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#include "jobtrace/job.h"

#define CONTROL_DEFAULT_PATH "/run/jobtrace/control.sock"
#define CONTROL_LINE_MAX 1024
#define CONTROL_KEY_MAX 255
#define CONTROL_KEEP_ENDED 256
#define CONTROL_USER_KEEP_ENDED 16
#define CONTROL_CLIENTS_MAX 64
#define CONTROL_USERS_CLIENTS 48 /* the other 16 are root's */
#define CONTROL_USER_CLIENTS 8
#define CONTROL_USER_JOBS 32
#define CONTROL_USERS_JOBS 1024 /* a quarter of serve's default --max-jobs */
#define CONTROL_IDLE_S 5

struct collector;
struct control;

/*
 * Listens on @path (a stale socket there is replaced; a live one is
 * -EADDRINUSE) in @c's loop, and adds the sink that writes the reports
 * of adopted jobs to @reports_dir (NULL: only to the clients). Before
 * collector__run(). NULL with errno set.
 */
struct control *control__open(struct collector *c, const char *path, const char *reports_dir);
/* After collector__free(): closes the clients and the socket, removes its file. */
void control__free(struct control *ctl);

enum control_verb {
	CONTROL_LIST,
	CONTROL_REGISTER,
	CONTROL_END,
	CONTROL_ATTACH,
	CONTROL_REPORT,
	CONTROL_RELEASE,
};

struct control_request {
	enum control_verb verb;
	char *key;		/* all but LIST: into the line, valid as the protocol says */
	char *dir;		/* END's DIR, or NULL; not checked here (who may name one is) */
	unsigned long pid;	/* REGISTER's and ATTACH's, 2 to 2^22 */
	bool text;		/* their `text` */
	unsigned long top;	/* their `top=N`, else REPORT_DEFAULT_TOP */
	struct job_sched_alloc sched; /* REGISTER's alloc=, cpus=, mem=, node=; system "" none */
};

/*
 * One request line, NUL-terminated, its newline (and a '\r' before it)
 * already cut: split in place on spaces and tabs into @req. 0, or -EINVAL
 * with the message of the "ERR" reply in @why. No socket, no state: what
 * the socket's reader calls for every line, and what fuzz_control feeds.
 */
int control__parse_request(char *line, struct control_request *req, char *why, size_t why_size);

/*
 * The report file's name of @key into @buf: the whole key, with '/', '%' and
 * a leading '.' written %XX, and ".json" ("slurm:12.0" -> "slurm:12.0.json",
 * "a/b" -> "a%2Fb.json"): one key, one name, and back. -ENAMETOOLONG past
 * NAME_MAX or @size.
 */
int control__report_name(const char *key, char *buf, size_t size);

/* May a client of @uid open @key? Root any; another uid NAME:UID:REST with its own UID. */
bool control__key_allowed(const char *key, uid_t uid);

/* ---- the client side (user/cmd/control_client.c): run and watch through serve ---- */

/* A reply read from serve: its first line, and for REPORT its body. */
struct control_reply {
	char *buf;
	size_t len, cap;
	int status; /* after control_client__body: the job's status in "REPORT N STATUS"; -1 */
};

/*
 * Connects to serve at @path and sends @req; the reply's first line into
 * @r. The fd, or a negative errno: -ENOENT (no socket there),
 * -ECONNREFUSED (no serve behind it), -EACCES, -EAGAIN (its backlog full),
 * -ETIMEDOUT past @deadline_ns (CLOCK_MONOTONIC), -EINTR once *@stop is set.
 */
int control_client__request(const char *path, const char *req, struct control_reply *r,
			    __u64 deadline_ns, const volatile sig_atomic_t *stop);
/* Connects and sends @req, reading nothing (END, whose reply comes at the job's end): the fd. */
int control_client__send(const char *path, const char *req);
/* Reads on until @want bytes are in @r, or a whole line when @want is 0; errors as above. */
int control_client__read(int fd, struct control_reply *r, size_t want, __u64 deadline_ns,
			 const volatile sig_atomic_t *stop);
/* The reply's first line, its newline cut (in place). */
const char *control_client__line(struct control_reply *r);
/* After a "REPORT N" line: the N bytes, into @r, at *@data. -EPROTO for another reply. */
int control_client__body(int fd, struct control_reply *r, const char **data, size_t *len,
			 __u64 deadline_ns, const volatile sig_atomic_t *stop);

#ifdef __cplusplus
}
#endif

#endif
