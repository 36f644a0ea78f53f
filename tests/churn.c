// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * churn: a process-churn workload that knows its own truth.
 *
 * It forks short-lived children as fast as asked, double-forks orphans away,
 * execs, fails, gets killed, starts threads, and with --truth writes what it
 * did as JSON: how many processes of each kind, and (with --subreaper, when
 * it reaps the whole tree itself) the tree's CPU from getrusage().
 * The demo, the kernel tests and the benchmark all run it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct churn {
	long children; /* plain children: burn, exit 0 */
	long orphans; /* child forks a grandchild and exits at once */
	long execs; /* children that exec exec_path */
	long fails; /* children that exit 3 */
	long kills; /* children that die of SIGKILL */
	long threads; /* one child with this many extra threads */
	long thread_execs; /* children whose second thread execs exec_path (de_thread()) */
	long concurrency; /* children in flight at most */
	long burn_us; /* CPU each child burns */
	long orphan_ms; /* how long orphans sleep before they burn and exit */
	long thread_burn_ms;
	long rss_mib; /* one child touches this much memory */
	long hold; /* children that stay alive until churn is killed */
	long delay_ms; /* sleep before starting */
	bool subreaper;
	bool hostile;
	bool varied; /* plain child i exits i % 7, every 13th dies of SIGUSR1 */
	const char *exec_path;
	const char *truth;
	const char *log; /* each plain child appends "pid index code signal mono_ns" */
};

static int log_fd = -1;
static long child_index;

static unsigned long long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void burn_us(long us)
{
	unsigned long long end = thread_cpu_ns() + (unsigned long long)us * 1000ULL;
	volatile unsigned long x = 0;

	while (thread_cpu_ns() < end)
		for (int i = 0; i < 1000; i++)
			x += (unsigned long)i;
}

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void *thread_main(void *arg)
{
	burn_us(*(long *)arg * 1000);
	return NULL;
}

static void __attribute__((noreturn)) run_threads(const struct churn *c)
{
	pthread_t *tids = calloc((size_t)c->threads, sizeof(*tids));
	long ms = c->thread_burn_ms;

	if (!tids)
		_exit(1);
	for (long i = 0; i < c->threads; i++)
		if (pthread_create(&tids[i], NULL, thread_main, &ms))
			_exit(1);
	for (long i = 0; i < c->threads; i++)
		pthread_join(tids[i], NULL);
	_exit(0);
}

static void __attribute__((noreturn)) touch_memory(long mib)
{
	size_t size = (size_t)mib << 20;
	char *p = malloc(size);

	if (!p)
		_exit(1);
	for (size_t i = 0; i < size; i += 4096)
		p[i] = 1;
	_exit(p[size / 2] == 1 ? 0 : 1);
}

static void *exec_main(void *arg)
{
	const char *path = arg;

	execl(path, path, (char *)NULL);
	_exit(127);
}

/*
 * The leader burns, then a second thread execs: the kernel makes that
 * thread the leader and ends the old one (de_thread()), whose CPU the
 * process keeps.
 */
static void __attribute__((noreturn)) exec_from_thread(const struct churn *c)
{
	pthread_t tid;

	burn_us(c->burn_us);
	if (pthread_create(&tid, NULL, exec_main, (void *)c->exec_path))
		_exit(1);
	pthread_join(tid, NULL);
	_exit(1);
}

enum kind { PLAIN, ORPHAN, EXEC, FAIL, KILL, THREADS, RSS, HOSTILE, THREAD_EXEC };

static void __attribute__((noreturn)) child_main(const struct churn *c, enum kind k)
{
	/* A name full of what breaks reports: quotes, backslash, newline, bad UTF-8. */
	static const char hostile[] = "q\"b\\n\nx\xff\xfe";
	pid_t pid;

	switch (k) {
	case ORPHAN:
		pid = fork();
		if (pid == 0) {
			struct timespec ts = { c->orphan_ms / 1000, (c->orphan_ms % 1000) * 1000000 };

			nanosleep(&ts, NULL);
			burn_us(c->burn_us);
			_exit(0);
		}
		_exit(pid < 0 ? 1 : 0);
	case EXEC:
		execl(c->exec_path, c->exec_path, (char *)NULL);
		_exit(127);
	case FAIL:
		burn_us(c->burn_us);
		_exit(3);
	case KILL:
		kill(getpid(), SIGKILL);
		pause();
		_exit(1);
	case THREADS:
		run_threads(c);
	case THREAD_EXEC:
		exec_from_thread(c);
	case RSS:
		touch_memory(c->rss_mib);
	case HOSTILE:
		prctl(PR_SET_NAME, hostile);
		burn_us(c->burn_us);
		_exit(0);
	case PLAIN:
	default:
		burn_us(c->burn_us);
		if (c->varied || log_fd >= 0) {
			bool sig = c->varied && child_index % 13 == 12;
			int code = c->varied ? (int)(child_index % 7) : 0;

			if (log_fd >= 0) {
				char line[96];
				int n = snprintf(line, sizeof(line), "%d %ld %d %d %llu\n", getpid(),
						 child_index, sig ? -1 : code, sig ? SIGUSR1 : 0,
						 mono_ns());

				/* O_APPEND and one short write: lines never interleave. */
				if (write(log_fd, line, (size_t)n) != n)
					_exit(99);
			}
			if (sig) {
				signal(SIGUSR1, SIG_DFL);
				raise(SIGUSR1);
			}
			_exit(code);
		}
		_exit(0);
	}
}

static long in_flight;

static void reap_one(int flags)
{
	int status;
	pid_t pid = waitpid(-1, &status, flags);

	if (pid > 0)
		in_flight--;
}

static int spawn(const struct churn *c, enum kind k)
{
	pid_t pid;

	while (in_flight >= c->concurrency)
		reap_one(0);
	pid = fork();
	if (pid < 0) {
		perror("churn: fork");
		return -1;
	}
	if (pid == 0)
		child_main(c, k);
	in_flight++;
	child_index++;
	return 0;
}

static long long tv_ns(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000000LL + (long long)tv->tv_usec * 1000LL;
}

/* Plain children that --varied makes fail: a signal every 13th, else i % 7 != 0. */
static void varied_counts(const struct churn *c, long *err, long *sig)
{
	*err = *sig = 0;
	for (long i = 0; c->varied && i < c->children; i++) {
		if (i % 13 == 12)
			(*sig)++;
		else if (i % 7 != 0)
			(*err)++;
	}
}

static int write_truth(const struct churn *c, long spawned_ok, unsigned long long wall_ns)
{
	struct rusage self, kids;
	long processes, ok, v_err, v_sig;
	FILE *f;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	f = fopen(c->truth, "w");
	if (!f) {
		perror("churn: truth file");
		return -1;
	}
	/* The root, each child, and each orphan's grandchild. */
	processes = 1 + spawned_ok + c->orphans;
	varied_counts(c, &v_err, &v_sig);
	ok = processes - c->fails - c->kills - v_err - v_sig;
	fprintf(f,
		"{\"processes\":%ld,\"exit_ok\":%ld,\"exit_error\":%ld,\"exit_signal\":%ld,"
		"\"threads\":%ld,\"execs\":%ld,\"orphans\":%ld,\"subreaper\":%s,"
		"\"cpu_ns\":%lld,\"user_ns\":%lld,\"system_ns\":%lld,"
		"\"children_maxrss_kib\":%ld,\"wall_ns\":%llu}\n",
		processes, ok, c->fails + v_err, c->kills + v_sig, c->threads + c->thread_execs,
		c->execs + c->thread_execs, c->orphans,
		c->subreaper ? "true" : "false",
		tv_ns(&self.ru_utime) + tv_ns(&kids.ru_utime) + tv_ns(&self.ru_stime) +
			tv_ns(&kids.ru_stime),
		tv_ns(&self.ru_utime) + tv_ns(&kids.ru_utime),
		tv_ns(&self.ru_stime) + tv_ns(&kids.ru_stime), kids.ru_maxrss, wall_ns);
	return fclose(f);
}

/*
 * Keeps @n sleeping children alive (a host with many processes, for the
 * snapshot benchmark), prints "ready", and waits to be killed: the children
 * die with it.
 */
static int hold_children(long n)
{
	pid_t parent = getpid();

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("churn: fork");
			return 1;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			pause();
			_exit(0);
		}
	}
	printf("ready\n");
	fflush(stdout);
	pause();
	return 0;
}

static void usage(void)
{
	fputs("Usage: churn [--children N] [--orphans N] [--exec N] [--fail N] [--kill N]\n"
	      "             [--threads N] [--thread-execs N] [--rss-mib N] [--hostile] [--burn-us N]\n"
	      "             [--orphan-ms N] [--thread-burn-ms N] [--concurrency N]\n"
	      "             [--exec-path PATH] [--subreaper] [--truth FILE] [--hold N]\n"
	      "             [--delay-ms N] [--varied] [--log FILE]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "children", required_argument, NULL, 'c' },
		{ "orphans", required_argument, NULL, 'o' },
		{ "exec", required_argument, NULL, 'e' },
		{ "fail", required_argument, NULL, 'f' },
		{ "kill", required_argument, NULL, 'k' },
		{ "threads", required_argument, NULL, 't' },
		{ "thread-execs", required_argument, NULL, 'X' },
		{ "rss-mib", required_argument, NULL, 'm' },
		{ "hostile", no_argument, NULL, 'H' },
		{ "burn-us", required_argument, NULL, 'b' },
		{ "orphan-ms", required_argument, NULL, 'O' },
		{ "thread-burn-ms", required_argument, NULL, 'T' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "exec-path", required_argument, NULL, 'x' },
		{ "subreaper", no_argument, NULL, 's' },
		{ "truth", required_argument, NULL, 'w' },
		{ "hold", required_argument, NULL, 'h' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "varied", no_argument, NULL, 'V' },
		{ "log", required_argument, NULL, 'L' },
		{},
	};
	struct churn c = {
		.concurrency = 32,
		.orphan_ms = 20,
		.thread_burn_ms = 20,
		.exec_path = "/bin/true",
	};
	unsigned long long start_ns = mono_ns();
	long spawned = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': c.children = atol(optarg); break;
		case 'o': c.orphans = atol(optarg); break;
		case 'e': c.execs = atol(optarg); break;
		case 'f': c.fails = atol(optarg); break;
		case 'k': c.kills = atol(optarg); break;
		case 't': c.threads = atol(optarg); break;
		case 'X': c.thread_execs = atol(optarg); break;
		case 'm': c.rss_mib = atol(optarg); break;
		case 'H': c.hostile = true; break;
		case 'b': c.burn_us = atol(optarg); break;
		case 'O': c.orphan_ms = atol(optarg); break;
		case 'T': c.thread_burn_ms = atol(optarg); break;
		case 'C': c.concurrency = atol(optarg) > 0 ? atol(optarg) : 1; break;
		case 'x': c.exec_path = optarg; break;
		case 's': c.subreaper = true; break;
		case 'w': c.truth = optarg; break;
		case 'h': c.hold = atol(optarg); break;
		case 'd': c.delay_ms = atol(optarg); break;
		case 'V': c.varied = true; break;
		case 'L': c.log = optarg; break;
		default: usage();
		}
	}
	if (c.hold > 0)
		return hold_children(c.hold);
	if (c.log) {
		log_fd = open(c.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			perror("churn: log");
			return 1;
		}
	}
	if (c.delay_ms > 0) {
		struct timespec ts = { c.delay_ms / 1000, (c.delay_ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	if (c.subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		perror("churn: subreaper");
		return 1;
	}

#define SPAWN(n, kind)                                                                 \
	for (long i = 0; i < (n); i++)                                                 \
		spawned += spawn(&c, kind) == 0;
	SPAWN(c.children, PLAIN);
	SPAWN(c.orphans, ORPHAN);
	SPAWN(c.execs, EXEC);
	SPAWN(c.fails, FAIL);
	SPAWN(c.kills, KILL);
	SPAWN(c.threads > 0, THREADS);
	SPAWN(c.thread_execs, THREAD_EXEC);
	SPAWN(c.rss_mib > 0, RSS);
	SPAWN(c.hostile, HOSTILE);
#undef SPAWN

	/* Children first; then, as a subreaper, the orphans that come back to us. */
	while (in_flight > 0)
		reap_one(0);
	if (c.subreaper)
		while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
			;
	if (c.truth && write_truth(&c, spawned, mono_ns() - start_ns))
		return 1;
	return 0;
}
