/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Slurm tests' lab: a cluster from Debian's packages started in a
 * scratch directory by tests/slurm/lab.sh with the SPANK plugin in its
 * plugstack.conf, `jobtrace serve --control --reports --listen` beside it,
 * and what the tests ask of them: a shell command with the lab's SLURM_CONF,
 * a step's report, srun's job id, serve's /metrics. One lab per test binary
 * (test_slurm, test_slurm_alloc); each says how its cluster differs.
 *
 * Header-only, included once per test binary after testutil.h.
 */
#ifndef JOBTRACE_TEST_SLURM_LAB_H
#define JOBTRACE_TEST_SLURM_LAB_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "testutil.h"

struct slurm_lab {
	char dir[64]; /* LAB: etc/, log/, reports/, out/ (1777: a job user writes there) */
	char jobtrace[512], self_exe[512], srcdir[512];
	char node[64]; /* the lab's node name: its cgroups are /slurm_<node>/... */
	char node2[64]; /* the second slurmd's, where LAB_NODES=2 */
	int metrics_port; /* serve's --listen: the spare port lab.sh chose */
	pid_t serve_pid;
};

static struct slurm_lab lab;

static inline void slurm_lab__sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A shell command with the lab's SLURM_CONF; its exit status. */
static inline int slurm_lab__sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int slurm_lab__sh(const char *fmt, ...)
{
	char cmd[4096], full[sizeof(cmd) + sizeof(lab.dir) + 64];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "SLURM_CONF=%s/etc/slurm.conf; export SLURM_CONF; %s",
		 lab.dir, cmd);
	st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline json_t *slurm_lab__load(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);

	if (!j)
		fprintf(stderr, "cannot read %s: %s\n", path, e.text);
	return j;
}

/*
 * LAB/reports/slurm:@name.json ("12.0", "12.0@node") once serve has written
 * it, within 10 s: the step's key is the report's name. NULL if none.
 */
static inline json_t *slurm_lab__report(const char *name)
{
	char path[600];
	json_error_t e;
	json_t *r;

	snprintf(path, sizeof(path), "%s/reports/slurm:%s.json", lab.dir, name);
	for (int i = 0; i < 200 && access(path, F_OK); i++)
		slurm_lab__sleep_ms(50);
	r = json_load_file(path, 0, &e);
	if (!r)
		fprintf(stderr, "no report %s: %s\n", path, e.text);
	return r;
}

/* The job id srun printed ("srun: job 12 ..."), from its stderr file; -1 if none. */
static inline int slurm_lab__job_id(const char *errfile)
{
	char line[512];
	int id = -1;
	FILE *f = fopen(errfile, "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "srun: job %d", &id) == 1)
			break;
	if (f)
		fclose(f);
	return id;
}

/* serve's /metrics body, by a plain HTTP/1.0 GET; NULL if it does not answer. */
static inline char *slurm_lab__metrics_get(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(lab.metrics_port) };
	const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap), *body;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || !buf || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		goto fail;
	while ((n = read(fd, buf + len, cap - 1 - len)) > 0) {
		len += (size_t)n;
		if (len == cap - 1) {
			char *b = realloc(buf, cap * 2);

			if (!b)
				goto fail;
			buf = b;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	close(fd);
	body = strstr(buf, "\r\n\r\n");
	if (!body || strncmp(buf, "HTTP/1.", 7) || !strstr(buf, " 200 ")) {
		free(buf);
		return NULL;
	}
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* The node names and the spare port lab.sh chose (LAB/etc/lab.env); NODE2 where @nodes is 2. */
static inline int slurm_lab__read_env(int nodes)
{
	char path[600], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/etc/lab.env", lab.dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "NODE=%63s", lab.node);
		sscanf(line, "NODE2=%63s", lab.node2);
		sscanf(line, "SPARE_PORT=%d", &lab.metrics_port);
	}
	if (f)
		fclose(f);
	if (!lab.node[0] || (nodes > 1 && !lab.node2[0]) || lab.metrics_port <= 0) {
		fprintf(stderr, "FAIL: no NODE%s or SPARE_PORT in %s\n", nodes > 1 ? ", NODE2" : "",
			path);
		return -1;
	}
	return 0;
}

/*
 * A group setup's lab: root and the Slurm packages (a failure, never a
 * skip), LAB as /tmp/jobtrace-@name-XXXXXX, and in it what a job user runs
 * (/work may not be theirs to read): the SPANK plugin, @churn's $OUTPUT/churn
 * where asked, and this binary as LAB/@self_name. Then `lab.sh start` with
 * @env (LAB_* settings) and its lab.env read for @nodes nodes. 0, or -1
 * having said why.
 */
static inline int slurm_lab__start(const char *name, const char *self_name, bool churn,
				   const char *env, int nodes)
{
	const char *out = getenv("OUTPUT") ? getenv("OUTPUT") : ".output";

	if (geteuid() != 0) {
		fprintf(stderr, "FAIL: the Slurm tests start a cluster and load BPF: they need root\n");
		return -1;
	}
	if (access("/usr/sbin/slurmd", X_OK) || access("/usr/sbin/munged", X_OK) ||
	    access("/usr/sbin/slurmctld", X_OK)) {
		fprintf(stderr, "FAIL: slurmd, slurmctld or munged is missing: run make deps\n");
		return -1;
	}
	if (!getcwd(lab.srcdir, sizeof(lab.srcdir)))
		return -1;
	snprintf(lab.jobtrace, sizeof(lab.jobtrace), "%s/jobtrace", out);
	snprintf(lab.dir, sizeof(lab.dir), "/tmp/jobtrace-%s-XXXXXX", name);
	if (!mkdtemp(lab.dir) || chmod(lab.dir, 0755))
		return -1;
	if ((churn && slurm_lab__sh("cp %s/churn %s/", out, lab.dir)) ||
	    slurm_lab__sh("cp %s/jobtrace_spank.so %s/ && cp %s %s/%s && "
			  "mkdir -p %s/reports %s/out && chmod 1777 %s/out",
			  out, lab.dir, lab.self_exe, lab.dir, self_name, lab.dir, lab.dir,
			  lab.dir))
		return -1;
	if (slurm_lab__sh("%s %s/tests/slurm/lab.sh start %s %s/jobtrace_spank.so "
			  "socket=%s/ctl.sock reports=%s/reports timeout=1000 >%s/lab.out 2>&1 "
			  "|| { cat %s/lab.out; exit 1; }",
			  env, lab.srcdir, lab.dir, lab.dir, lab.dir, lab.dir, lab.dir, lab.dir)) {
		fprintf(stderr, "FAIL: the cluster did not start (see above)\n");
		return -1;
	}
	return slurm_lab__read_env(nodes);
}

/*
 * `jobtrace serve --control LAB/ctl.sock --reports LAB/reports --listen
 * 127.0.0.1:PORT` and @extra (NULL-terminated), its output to
 * LAB/log/serve.log; 0 once its control socket is there (10 s at most).
 */
static inline int slurm_lab__serve(const char *const extra[])
{
	char sock[600], reports[600];

	snprintf(sock, sizeof(sock), "%s/ctl.sock", lab.dir);
	snprintf(reports, sizeof(reports), "%s/reports", lab.dir);
	lab.serve_pid = fork();
	if (lab.serve_pid == 0) {
		char log[600], listen[64];
		const char *argv[24] = { lab.jobtrace, "serve", "--control", sock, "--reports",
					 reports, "--listen", listen };
		int fd, argc = 8;

		for (int i = 0; extra && extra[i] && argc < 23; i++)
			argv[argc++] = extra[i];
		snprintf(log, sizeof(log), "%s/log/serve.log", lab.dir);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		dup2(fd, 1);
		snprintf(listen, sizeof(listen), "127.0.0.1:%d", lab.metrics_port);
		execv(lab.jobtrace, (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		if (!access(sock, F_OK))
			return 0;
		slurm_lab__sleep_ms(50);
	}
	fprintf(stderr, "FAIL: jobtrace serve --control did not make its socket\n");
	return -1;
}

/* The group teardown: serve ended, the cluster stopped, LAB removed unless KEEP_LAB. */
static inline int slurm_lab__stop(void)
{
	int st;

	if (lab.serve_pid > 0) {
		kill(lab.serve_pid, SIGTERM);
		waitpid(lab.serve_pid, &st, 0);
		lab.serve_pid = 0;
	}
	if (!lab.dir[0])
		return 0;
	slurm_lab__sh("%s/tests/slurm/lab.sh stop %s", lab.srcdir, lab.dir);
	if (getenv("KEEP_LAB"))
		fprintf(stderr, "the lab stays in %s\n", lab.dir);
	else
		slurm_lab__sh("rm -rf %s", lab.dir);
	return 0;
}

/* main()'s first step: this binary's path, which setup copies into the lab. */
static inline void slurm_lab__find_self(void)
{
	ssize_t n = readlink("/proc/self/exe", lab.self_exe, sizeof(lab.self_exe) - 1);

	if (n > 0)
		lab.self_exe[n] = '\0';
}

#endif
