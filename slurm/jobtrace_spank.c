// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * jobtrace's SPANK plugin: every task of a Slurm step joins the step's job in
 * the local `jobtrace serve --control` before it may exec, so every process
 * of the step is counted from its first instruction; at the step's end the
 * job is ended and its report written. One plugstack.conf line:
 *
 *   optional /usr/local/lib/slurm/jobtrace_spank.so socket=/run/jobtrace/control.sock \
 *            reports=/var/log/jobtrace/slurm timeout=1000
 *
 * It never fails a job and never delays one by more than timeout= (in ms):
 * without a serve to answer, it logs one line and returns 0. The protocol is
 * serve's (include/jobtrace/control.h); the plugin is built apart from
 * jobtrace (slurmstepd loads it) and so speaks it on its own.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

SPANK_PLUGIN(jobtrace, 1);

#define JT_DEFAULT_SOCKET "/run/jobtrace/control.sock"
#define JT_DEFAULT_TIMEOUT_MS 1000
#define JT_LINE_MAX 1024

struct jt_config {
	const char *socket;
	const char *reports; /* NULL: serve's own --reports */
	int timeout_ms;
};

/* One slurmstepd runs one step: these are that step's. */
static bool opted_out; /* srun --jobtrace=off */
static bool registered; /* at least one task joined its job */
static bool logged; /* the one line a step may log */

static int opt_cb(int val, const char *optarg, int remote)
{
	if (!optarg || !strcmp(optarg, "on"))
		opted_out = false;
	else if (!strcmp(optarg, "off"))
		opted_out = true;
	else
		return -1; /* srun says the value is wrong, before anything runs */
	return 0;
}

struct spank_option spank_options[] = {
	{ "jobtrace", "on|off", "jobtrace: follow this step's processes (default on)", 1, 0,
	  opt_cb },
	SPANK_OPTIONS_TABLE_END
};

static void parse_args(int ac, char **av, struct jt_config *cfg)
{
	cfg->socket = JT_DEFAULT_SOCKET;
	cfg->reports = NULL;
	cfg->timeout_ms = JT_DEFAULT_TIMEOUT_MS;
	for (int i = 0; i < ac; i++) {
		if (!strncmp(av[i], "socket=", 7))
			cfg->socket = av[i] + 7;
		else if (!strncmp(av[i], "reports=", 8))
			cfg->reports = av[i] + 8;
		else if (!strncmp(av[i], "timeout=", 8))
			cfg->timeout_ms = atoi(av[i] + 8);
		else
			slurm_error("jobtrace: unknown plugstack.conf argument '%s' ignored", av[i]);
	}
	if (cfg->timeout_ms <= 0 || cfg->timeout_ms > 60000)
		cfg->timeout_ms = JT_DEFAULT_TIMEOUT_MS;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A node name as serve takes it: [A-Za-z0-9._-], else not sent. */
static bool node_name_ok(const char *v)
{
	if (!*v || strlen(v) >= 64)
		return false;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      (*v >= '0' && *v <= '9') || strchr("._-", *v)))
			return false;
	return true;
}

/*
 * The @id-th name of Slurm's node list @list ("n[1-3],m2"), by Slurm's own
 * hostlist functions (slurmstepd has them): 0, or -1.
 */
static int nth_node(const char *list, uint32_t id, char *node, size_t size)
{
	hostlist_t hl = slurm_hostlist_create(list);
	char *h = NULL;
	int err = -1;

	if (!hl)
		return -1;
	for (uint32_t i = 0; i <= id; i++) {
		free(h);
		h = slurm_hostlist_shift(hl);
		if (!h)
			break;
	}
	if (h && strlen(h) < size) {
		strcpy(node, h);
		err = 0;
	}
	free(h);
	slurm_hostlist_destroy(hl);
	return err;
}

/*
 * This node's name as Slurm knows it (slurmd's NodeName; two slurmd on one
 * host differ there): slurmstepd's step environment has no SLURMD_NODENAME
 * before the task's exec, but it has the step's node list, and this node's
 * place in it (S_JOB_NODEID). Else the host's name; "" when neither is a
 * name serve takes.
 */
static void node_name(spank_t sp, char *node, size_t size)
{
	char list[1024];
	uint32_t id = 0;

	if (spank_getenv(sp, "SLURMD_NODENAME", node, (int)size) == ESPANK_SUCCESS &&
	    node_name_ok(node))
		return;
	if (spank_get_item(sp, S_JOB_NODEID, &id) == ESPANK_SUCCESS &&
	    (spank_getenv(sp, "SLURM_STEP_NODELIST", list, sizeof(list)) == ESPANK_SUCCESS ||
	     spank_getenv(sp, "SLURM_JOB_NODELIST", list, sizeof(list)) == ESPANK_SUCCESS) &&
	    !nth_node(list, id, node, size) && node_name_ok(node))
		return;
	if (gethostname(node, size - 1))
		node[0] = '\0';
	node[size - 1] = '\0';
	if (!node_name_ok(node))
		node[0] = '\0';
}

/*
 * Slurm's own names of the special steps, as sacct shows them. A step on
 * several nodes has one job on each, and their reports may share one
 * directory: its key names the node too ("slurm:12.0@node3"), so that two
 * keys, and two report files, never meet.
 */
static void step_key(spank_t sp, uint32_t job, uint32_t step, char *buf, size_t size)
{
	uint32_t nnodes = 1;
	char node[64];
	int n;

	if (step == SLURM_BATCH_SCRIPT)
		n = snprintf(buf, size, "slurm:%u.batch", job);
	else if (step == SLURM_EXTERN_CONT)
		n = snprintf(buf, size, "slurm:%u.extern", job);
	else if (step == SLURM_INTERACTIVE_STEP)
		n = snprintf(buf, size, "slurm:%u.interactive", job);
	else
		n = snprintf(buf, size, "slurm:%u.%u", job, step);
	if (spank_get_item(sp, S_JOB_NNODES, &nnodes) != ESPANK_SUCCESS || nnodes <= 1)
		return;
	node_name(sp, node, sizeof(node));
	if (node[0] && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, "@%s", node);
}

/*
 * Sends @req and, with @reply, waits for its first line, all by @deadline_ms.
 * 0, or a negative errno (-ETIMEDOUT); @reply holds "ERR ..." as serve said it.
 */
static int request(const char *path, const char *req, char *reply, size_t size,
		   long long deadline_ms)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(req), off = 0, got = 0;
	int fd, err = 0;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A unix connect does not wait: refused, missing, or a full backlog (EAGAIN). */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = -errno;
		goto out;
	}
	while (off < len || (reply && !memchr(reply, '\n', got))) {
		short want = off < len ? POLLOUT : POLLIN;
		struct pollfd p = { .fd = fd, .events = want };
		long long left = deadline_ms - now_ms();
		ssize_t n;

		if (left <= 0) {
			err = -ETIMEDOUT;
			goto out;
		}
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (!p.revents)
			continue;
		if (want == POLLOUT) {
			n = send(fd, req + off, len - off, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				err = -errno;
				goto out;
			}
			off += n > 0 ? (size_t)n : 0;
			continue;
		}
		n = recv(fd, reply + got, size - 1 - got, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			err = n == 0 ? -ECONNRESET : -errno;
			goto out;
		}
		got += n > 0 ? (size_t)n : 0;
		reply[got] = '\0';
		if (got == size - 1)
			break;
	}
out:
	close(fd);
	return err;
}

static void log_once(const char *key, const char *what)
{
	if (logged)
		return;
	logged = true;
	slurm_info("jobtrace: %s untracked: %s", key, what);
}

/*
 * What Slurm gave the step on this node, as REGISTER's options: the step's
 * CPUs here (S_JOB_NCPUS is slurmstepd's job->cpus), its memory (the step's
 * own, else the job's: a step with none may use all of the job's), both in
 * MB from Slurm, and the node's name (node_name()). A figure Slurm
 * does not give (0: no --mem, no DefMemPer*) is not sent: never made up.
 */
static void alloc_options(spank_t sp, char *buf, size_t size)
{
	uint64_t step_mb = 0, job_mb = 0;
	uint16_t ncpus = 0;
	char node[64];
	size_t n;

	n = (size_t)snprintf(buf, size, " alloc=slurm");
	if (spank_get_item(sp, S_JOB_NCPUS, &ncpus) == ESPANK_SUCCESS && ncpus > 0)
		n += (size_t)snprintf(buf + n, size - n, " cpus=%u", (unsigned int)ncpus);
	if (spank_get_item(sp, S_STEP_ALLOC_MEM, &step_mb) != ESPANK_SUCCESS)
		step_mb = 0;
	if (spank_get_item(sp, S_JOB_ALLOC_MEM, &job_mb) != ESPANK_SUCCESS)
		job_mb = 0;
	if (step_mb)
		n += (size_t)snprintf(buf + n, size - n, " mem=%llu",
				      (unsigned long long)step_mb << 20);
	else if (job_mb)
		n += (size_t)snprintf(buf + n, size - n, " mem=%llu/job",
				      (unsigned long long)job_mb << 20);
	node_name(sp, node, sizeof(node));
	if (node[0])
		snprintf(buf + n, size - n, " node=%s", node);
}

/*
 * slurmstepd, as root, once per task, after the task is forked and before
 * Slurm lets it exec: the task's pid is final and it has forked nothing yet.
 */
int slurm_spank_task_post_fork(spank_t sp, int ac, char **av)
{
	char key[96], req[320], opts[192], reply[JT_LINE_MAX], why[JT_LINE_MAX + 64];
	uint32_t job = 0, step = 0;
	struct jt_config cfg;
	pid_t pid = 0;
	int err;

	if (!spank_remote(sp) || opted_out)
		return 0;
	parse_args(ac, av, &cfg);
	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_TASK_PID, &pid) != ESPANK_SUCCESS || pid <= 0)
		return 0; /* the extern step has no task: see jobtrace-slurm(8), COVERAGE */
	step_key(sp, job, step, key, sizeof(key));
	alloc_options(sp, opts, sizeof(opts));
	snprintf(req, sizeof(req), "REGISTER %s %d%s\n", key, (int)pid, opts);
	err = request(cfg.socket, req, reply, sizeof(reply), now_ms() + cfg.timeout_ms);
	if (err) {
		snprintf(why, sizeof(why), "no jobtrace serve answers at %s: %s", cfg.socket,
			 strerror(-err));
		log_once(key, why);
	} else if (strncmp(reply, "OK ", 3)) {
		reply[strcspn(reply, "\n")] = '\0';
		snprintf(why, sizeof(why), "jobtrace serve said: %s", reply);
		log_once(key, why);
	} else {
		registered = true;
	}
	return 0;
}

/*
 * slurmstepd, at the step's end: its tasks are gone. serve writes the report
 * when the job's last process has ended (at once, unless something escaped
 * the step); the plugin does not wait for it.
 */
int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	uint32_t job = 0, step = 0;
	struct jt_config cfg;
	char key[96], req[JT_LINE_MAX + 128];
	int err;

	if (!spank_remote(sp) || !registered)
		return 0;
	parse_args(ac, av, &cfg);
	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
		return 0;
	step_key(sp, job, step, key, sizeof(key));
	if (cfg.reports)
		snprintf(req, sizeof(req), "END %s %s\n", key, cfg.reports);
	else
		snprintf(req, sizeof(req), "END %s\n", key);
	err = request(cfg.socket, req, NULL, 0, now_ms() + cfg.timeout_ms);
	if (err)
		slurm_info("jobtrace: cannot end %s at %s: %s", key, cfg.socket, strerror(-err));
	return 0;
}
