// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pingpong: two processes bounce one byte over two pipes, N times.
 *
 * Every round trip is two blocking reads and two wake-ups, so (with both
 * processes on one CPU, --cpu) at least two context switches: the workload
 * that costs a tracer on sched_switch the most per unit of work. The
 * benchmark runs it alone, under `jobtrace run` and under host mode, and
 * compares the time of the loop itself, which --truth writes as JSON with
 * the CPU both processes used (getrusage), less disturbed by other load.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static unsigned long long tv_ns(const struct timeval *tv)
{
	return (unsigned long long)tv->tv_sec * 1000000000ULL +
	       (unsigned long long)tv->tv_usec * 1000ULL;
}

static int pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("pingpong: sched_setaffinity");
		return -1;
	}
	return 0;
}

/* Reads one byte from @in and writes it to @out, @rounds times. */
static int bounce(int in, int out, long rounds, int serve)
{
	char b = 'x';

	for (long i = 0; i < rounds; i++) {
		if (!serve && write(out, &b, 1) != 1)
			return -1;
		if (read(in, &b, 1) != 1)
			return -1;
		if (serve && write(out, &b, 1) != 1)
			return -1;
	}
	return 0;
}

static void usage(void)
{
	fputs("Usage: pingpong [--rounds N] [--cpu N] [--truth FILE]\n"
	      "  --rounds N    round trips (default 200000)\n"
	      "  --cpu N       pin both processes to CPU N (default 0; -1: no pinning)\n"
	      "  --truth FILE  write {\"rounds\", \"wall_ns\", \"ns_per_round\", \"cpu_ns\"} as JSON\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "truth", required_argument, NULL, 'w' },
		{},
	};
	long rounds = 200000;
	int cpu = 0, ping[2], pong[2], status, opt;
	const char *truth = NULL;
	unsigned long long start, wall_ns, cpu_ns;
	struct rusage self, kids;
	pid_t pid;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': rounds = atol(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'w': truth = optarg; break;
		default: usage();
		}
	}
	if (rounds <= 0)
		usage();
	if (pin(cpu) || pipe(ping) || pipe(pong)) {
		perror("pingpong: setup");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("pingpong: fork");
		return 1;
	}
	if (pid == 0)
		_exit(bounce(ping[0], pong[1], rounds, 1) ? 1 : 0);

	start = mono_ns();
	if (bounce(pong[0], ping[1], rounds, 0)) {
		perror("pingpong: pipe");
		return 1;
	}
	wall_ns = mono_ns() - start;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fputs("pingpong: the other side failed\n", stderr);
		return 1;
	}
	if (!truth)
		return 0;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	cpu_ns = tv_ns(&self.ru_utime) + tv_ns(&self.ru_stime) + tv_ns(&kids.ru_utime) +
		 tv_ns(&kids.ru_stime);
	f = fopen(truth, "w");
	if (!f) {
		perror("pingpong: truth file");
		return 1;
	}
	fprintf(f, "{\"rounds\":%ld,\"wall_ns\":%llu,\"ns_per_round\":%.1f,\"cpu_ns\":%llu}\n",
		rounds, wall_ns, (double)wall_ns / (double)rounds, cpu_ns);
	return fclose(f) ? 1 : 0;
}
