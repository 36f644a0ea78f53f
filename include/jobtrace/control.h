/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * serve --control PATH: a unix socket through which a local client (the
 * Slurm SPANK plugin, a CI runner, a container hook) makes a running process
 * a job of its own, ends it and takes its final report, in serve's one loop.
 *
 * The protocol: lines of text, at most CONTROL_LINE_MAX bytes, one request
 * and one reply at a time on a connection (a connection may carry several).
 *
 *   REGISTER KEY PID   PID, a process that has not forked yet (a Slurm
 *                      task between fork and exec), leaves its host-mode job
 *                      with its threads and starts job KEY; every process it
 *                      forks from then on is in KEY, wherever its cgroup is.
 *                      A second REGISTER of an open KEY adds PID to it (a
 *                      step's second task). The reply comes once the kernel's
 *                      maps say so:  "OK KEY"
 *   END KEY [DIR]      The client is done with KEY. The reply comes when the
 *                      job is over (its last process ended: at once when it
 *                      already is): "REPORT N", then N bytes, the job's
 *                      report, the JSON object of `run --json` and a newline.
 *                      The report is written to DIR/NAME.json as well (NAME:
 *                      KEY after its last ':'; DIR: serve's --reports, or
 *                      DIR when the client is root), owned by serve's user.
 *   LIST               "OK N", then N lines "KEY STATE PID ALIVE STARTED
 *                      EXITED": STATE is running or ended; ended jobs stay
 *                      listed (and END answers them) until CONTROL_KEEP_ENDED
 *                      later ones have ended.
 *
 * Any request may instead be answered "ERR MESSAGE". KEY is 1 to 255 bytes
 * of printable ASCII without spaces. The socket is made mode 0660, group
 * `jobtrace` where that group exists (0600 otherwise): root and that group
 * may use it, nobody else.
 */
#ifndef JOBTRACE_CONTROL_H
#define JOBTRACE_CONTROL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#define CONTROL_LINE_MAX 1024
#define CONTROL_KEY_MAX 255
#define CONTROL_KEEP_ENDED 256
#define CONTROL_GROUP "jobtrace"

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
};

struct control_request {
	enum control_verb verb;
	char *key;		/* REGISTER, END: into the line, valid as the protocol says */
	char *dir;		/* END's DIR, or NULL; not checked here (who may name one is) */
	unsigned long pid;	/* REGISTER's, 2 to 2^22 */
};

/*
 * One request line, NUL-terminated, its newline (and a '\r' before it)
 * already cut: split in place on spaces and tabs into @req. 0, or -EINVAL
 * with the message of the "ERR" reply in @why. No socket, no state: what
 * the socket's reader calls for every line, and what fuzz_control feeds.
 */
int control__parse_request(char *line, struct control_request *req, char *why, size_t why_size);

/* The report file's name of @key ("slurm:12.0" -> "12.0.json") into @buf; -EINVAL if none. */
int control__report_name(const char *key, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
