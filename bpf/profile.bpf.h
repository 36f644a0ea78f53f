/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a tracked process's BPF time goes, part by part (issue 18): built
 * only with `make BPF_PROFILE=1` (into its own OUTPUT; tests/bench_bpf_split.sh
 * does both), and nothing at all otherwise. bpf_stats gives a program's
 * whole time; this splits the fork and the close of a process between the
 * steps named below, which is what a change to one of them must be weighed
 * against, on the CPU at hand: the split moves with the machine.
 *
 * Each point adds the time since the one before on this CPU to its own
 * counter. JT_PROF_SELF is two points back to back: what a point itself
 * costs, which the script takes off every other. A program that sleeps or
 * is preempted between two points (a fork's may be) adds that time to the
 * step it was in; the script reports medians over runs for that reason.
 */
#ifndef JOBTRACE_PROFILE_BPF_H
#define JOBTRACE_PROFILE_BPF_H

/* The steps, in the order they run; tests/bench_bpf_split.sh reads the names here. */
enum jt_prof_point {
	JT_PROF_NONE,
	/* the last switch of a dying tracked thread: on_switch_out(), close_thread(), send_exit() */
	JT_PROF_CLOSE_STATE,   /* its state found: task storage or its procs entry */
	JT_PROF_CLOSE_COPY,    /* its key and its state copied */
	JT_PROF_CLOSE_ACCT,    /* its final runtime and I/O read */
	JT_PROF_CLOSE_JOB,     /* its job looked up: jobs and job_totals */
	JT_PROF_CLOSE_ADD,     /* its accounting added to its job and its process */
	JT_PROF_EXIT_CLOCK,    /* the exit's clock read */
	JT_PROF_EXIT_TOTALS,   /* the exit's counts and peak RSS in the job's totals */
	JT_PROF_EXIT_RESERVE,  /* the exit record's room in the ring */
	JT_PROF_EXIT_FILL,     /* the exit record filled, but for its name */
	JT_PROF_EXIT_COMM,     /* its name */
	JT_PROF_EXIT_SUBMIT,   /* the record submitted, the reader woken or not */
	JT_PROF_EXIT_DELETE,   /* the procs entry freed */
	JT_PROF_EXIT_ALIVE,    /* the job's alive count */
	/* the fork of a process into a job: on_fork(), fork_process() */
	JT_PROF_FORK_STATE,    /* the parent's state found */
	JT_PROF_FORK_JOB,      /* the child's job found (host mode: chosen, made if new) */
	JT_PROF_FORK_PREP,     /* the child's procs entry made up on the stack */
	JT_PROF_FORK_INSERT,   /* the entry added to procs */
	JT_PROF_FORK_ALIVE,    /* the job's started and alive counts */
	JT_PROF_FORK_RECORD,   /* the fork record (only where the stream asks for them) */
	JT_PROF_SELF,          /* one point's own cost */
	JT_PROF_POINTS,
};

#ifdef JT_BPF_PROFILE
struct jt_prof {
	__u64 last;
	__u64 ns[JT_PROF_POINTS];
	__u64 n[JT_PROF_POINTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jt_prof);
} jt_prof SEC(".maps");

static __always_inline struct jt_prof *jt_prof_this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&jt_prof, &zero);
}

/* The clock starts: the first step's time is counted from here. */
#define JT_PROF_START()                                                                \
	do {                                                                           \
		struct jt_prof *__p = jt_prof_this_cpu();                             \
		if (__p)                                                               \
			__p->last = bpf_ktime_get_ns();                                \
	} while (0)

/* The step @point ends here. */
#define JT_PROF(point)                                                                 \
	do {                                                                           \
		struct jt_prof *__p = jt_prof_this_cpu();                             \
		if (__p) {                                                             \
			__u64 __now = bpf_ktime_get_ns();                              \
			__p->ns[point] += __now - __p->last;                           \
			__p->n[point]++;                                               \
			__p->last = __now;                                             \
		}                                                                      \
	} while (0)
#else
#define JT_PROF_START() do { } while (0)
#define JT_PROF(point) do { } while (0)
#endif

#endif
