// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf_floor: loads and attaches bpf/floor.bpf.c (an empty sched_switch
 * program) until SIGINT or SIGTERM, for tests/bench_bpf.sh to measure the
 * floor of bpf_stats in the same run as the programs it compares.
 * Says "attached" on stderr once the program runs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "floor.skel.h"

int main(void)
{
	struct floor_bpf *skel;
	sigset_t set;
	int err, sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	skel = floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "bpf_floor: cannot load bpf/floor.bpf.c: %s\n", strerror(errno));
		return 1;
	}
	err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "bpf_floor: cannot attach to sched_switch: %s\n", strerror(-err));
		goto out_destroy;
	}
	fprintf(stderr, "bpf_floor: attached\n");
	sigwait(&set, &sig);
out_destroy:
	floor_bpf__destroy(skel);
	return err ? 1 : 0;
}
