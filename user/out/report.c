// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A job's report as text: what run and watch print at a job's end. The
 * same report as JSON is report_json.c's.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jobtrace/json.h"
#include "jobtrace/util.h"
#include "jobtrace/report.h"

#include "report_priv.h"

#define REPORT_FAILED_SHOWN 5
#define REPORT_ARGS_SHOWN 48

const char *report__bytes(char *buf, size_t size, __u64 bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", (uint64_t)bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

/*
 * seff's lines: what the job was given, and what it used of it. A job
 * whose cgroups set no limit, and for which no batch system spoke, says so.
 */
static void write_text_allocation(FILE *f, const struct job *job)
{
	struct job_alloc_view a;
	char from[2][16], b1[32], b2[32];
	double ce, me;

	if (!job__allocation(job, &a, from[0], sizeof(from[0])))
		return;
	ce = job__cpu_efficiency(job, &a);
	me = job__memory_efficiency(job, &a);
	if (!a.cpus_known && !a.memory_known) {
		fputs(job__sched(job)->system[0] ? "  allocation none: Slurm gave no CPUs or memory and its "
					     "cgroups set no limit\n"
					   : "  allocation none: its cgroups set no CPU or memory limit\n",
		      f);
		return;
	}
	fputs("  allocation ", f);
	if (a.cpus_known)
		fprintf(f, "%.2f CPUs (%s%s%s)", a.cpus, a.cpus_from, a.cpus_cgroup ? " of " : "",
			a.cpus_cgroup ? a.cpus_cgroup : "");
	else
		fputs("CPUs not limited", f);
	if (a.memory_known)
		fprintf(f, ", %s memory (%s%s%s)\n",
			report__bytes(b1, sizeof(b1), a.memory_bytes), a.memory_from,
			a.memory_cgroup ? " of " : "", a.memory_cgroup ? a.memory_cgroup : "");
	else
		fputs(", memory not limited\n", f);
	fputs("  efficiency ", f);
	if (ce >= 0) {
		double alloc_s = job__cpu_allocated_s(&a, seconds(wall_ns(job)));

		fprintf(f, "CPU %.1f%% (%.3f s of %.2f CPUs over %.3f s", 100 * ce,
			seconds(job->stats.cpu_ns), a.cpus, seconds(wall_ns(job)));
		/* Its quota's periods gave more than CPUs x wall: what it is over, said. */
		if (alloc_s > a.cpus * seconds(wall_ns(job)) * (1 + 1e-9))
			fprintf(f, ": %.3f s in its quota's periods", alloc_s);
		fputc(')', f);
	} else {
		fputs("CPU not known", f);
	}
	if (me >= 0 && job->stats.peak_rss_bytes > a.memory_bytes)
		fprintf(f, ", memory %.1f%% (OOM-killed at its limit of %s)\n", 100 * me,
			report__bytes(b2, sizeof(b2), a.memory_bytes));
	else if (me >= 0)
		fprintf(f, ", memory %.1f%% (largest process %s of %s)\n", 100 * me,
			report__bytes(b1, sizeof(b1), job->stats.peak_rss_bytes),
			report__bytes(b2, sizeof(b2), a.memory_bytes));
	else if (a.memory_known && job->stats.peak_rss_bytes > a.memory_bytes)
		fprintf(f, ", memory not known (largest process %s of %s: its RSS counts pages "
			   "charged outside the limit)\n",
			report__bytes(b1, sizeof(b1), job->stats.peak_rss_bytes),
			report__bytes(b2, sizeof(b2), a.memory_bytes));
	else
		fputs(", memory not known\n", f);
}

/*
 * Whose a failed process was, where that is not the job's own user (its
 * root's uid at exit): "(as nobody)", or the uid where it has no name.
 */
static void failed_user(FILE *f, const struct job *job, const struct job_failure *fl)
{
	char name[64];

	if (fl->uid == JT_ID_UNKNOWN || !job->have_root_uid || fl->uid == job->root_uid)
		return;
	if (util__user_name(fl->uid, name, sizeof(name))) {
		fputs("  (as ", f);
		text__escape(f, name, strlen(name));
		fputc(')', f);
	} else {
		fprintf(f, "  (as uid %u)", fl->uid);
	}
}

static void text_command(FILE *f, const struct job *job)
{
	for (int i = 0; i < job->argc; i++) {
		if (i)
			fputc(' ', f);
		text__escape(f, job->argv[i], strlen(job->argv[i]));
	}
}

static void text_status(FILE *f, const struct job *job)
{
	int st = job->root_status;

	if (!job->root_exited)
		fputs("is still running", f);
	else if (WIFSIGNALED(st))
		fprintf(f, "was killed by signal %d (%s)%s", WTERMSIG(st), strsignal(WTERMSIG(st)),
			WCOREDUMP(st) ? ", core dumped" : "");
	else
		fprintf(f, "exited with status %d", WEXITSTATUS(st));
}

int report__write_text(FILE *f, const struct job *job, size_t top)
{
	const struct jt_job_stats *s = &job->stats;
	const struct job_command **cmds;
	__u64 user_ns, system_ns, lost;
	char b1[32], b2[32], b3[32], b4[32];
	bool proc_mode = job->source && !strcmp(job->source, "proc");
	size_t n;

	user_ns = s->user_ns;
	system_ns = s->system_ns;
	fputs("jobtrace: ", f);
	if (job->argc) {
		text_command(f, job);
		fprintf(f, " (root pid %d", job->root_pid);
		if (job->root_ns_pid)
			fprintf(f, ", %d in its pid namespace", job->root_ns_pid);
		fputs(") ", f);
		text_status(f, job);
		/* A root still running (watch through serve, at Ctrl-C): the time so far. */
		fprintf(f, " after %.3f s\n",
			seconds(job->root_exited ? root_wall_ns(job) : wall_ns(job)));
	} else {
		fputs("job ", f);
		text__escape(f, job->key ? job->key : "?", strlen(job->key ? job->key : "?"));
		fprintf(f, " %s after %.3f s of watching",
			job__running(job) ? "is still running" : "ended", seconds(wall_ns(job)));
		if (job->root_pid && job->root_exited) {
			fprintf(f, "; its root (pid %d", job->root_pid);
			if (job->root_ns_pid)
				fprintf(f, ", %d in its pid namespace", job->root_ns_pid);
			fputs(") ", f);
			text_status(f, job);
		}
		fputc('\n', f);
	}
	fprintf(f, "  mode       %s%s\n",
		job->source && !strcmp(job->source, "proc")
		    ? "proc (proc connector and /proc, no BPF: see WITHOUT BPF in jobtrace(8))"
		: job->source && !strcmp(job->source, "rusage")
		    ? "rusage (no BPF, no proc connector: jobtrace as the job's parent and "
		      "subreaper; see WITHOUT BPF in jobtrace(8))"
		    : "bpf",
		job->via ? ", counted by jobtrace serve (its control socket)" : "");
	if (job__sched(job)->node[0]) {
		fputs("  node       ", f);
		text__escape(f, job__sched(job)->node, strlen(job__sched(job)->node));
		fprintf(f, " (%s)\n", job__sched(job)->system);
	}
	if (job->attached)
		fprintf(f,
			"  attached   %" PRIu64 " processes were running at the attach: their CPU "
			"before it is not counted\n",
			(uint64_t)s->existing);
	if (s->moved_in || s->moved_out)
		fprintf(f,
			"  moves      %" PRIu64 " processes moved in, %" PRIu64 " moved out "
			"(cgroup moves)\n",
			(uint64_t)s->moved_in, (uint64_t)s->moved_out);

	if (job->unknown & JOB_UNKNOWN_COUNTS) {
		const struct job_reaped *r = job__reaped(job);

		/* Unknown is said as such: a count no one saw is not a 0. */
		fprintf(f,
			"  processes  unknown (no process events in this mode), %" PRIu64
			" alive at most (sampled from /proc)\n",
			(uint64_t)s->max_alive);
		fprintf(f,
			"  reaped     %" PRIu64 " by jobtrace (the root and orphans): %" PRIu64
			" ok, %" PRIu64 " non-zero, %" PRIu64 " killed by a signal; those "
			"their own parents reaped are not seen\n",
			(uint64_t)r->processes, (uint64_t)r->exit_ok, (uint64_t)r->exit_error,
			(uint64_t)r->exit_signal);
	} else {
		fprintf(f,
			"  processes  %" PRIu64 " started, %" PRIu64 " exited, %" PRId64
			" outlived the root, %" PRIu64 " alive at most",
			(uint64_t)s->procs_started, (uint64_t)s->procs_exited,
			(int64_t)(s->outlived_root > 0 ? s->outlived_root : 0),
			(uint64_t)s->max_alive);
		if (s->alive > 0)
			fprintf(f, ", %" PRId64 " still alive", (int64_t)s->alive);
		fputc('\n', f);
		fprintf(f,
			"  exits      %" PRIu64 " ok, %" PRIu64 " non-zero, %" PRIu64
			" killed by a signal",
			(uint64_t)s->exit_ok, (uint64_t)s->exit_error, (uint64_t)s->exit_signal);
		if (s->oom_kills)
			fprintf(f, " (%" PRIu64 " by the OOM killer)", (uint64_t)s->oom_kills);
		fputc('\n', f);
		fprintf(f, "  threads    %" PRIu64 " started, %" PRIu64 " execs\n",
			(uint64_t)s->threads_started, (uint64_t)s->execs);
	}
	if (job->unknown & JOB_UNKNOWN_CPU)
		fprintf(f, "  cpu        unknown: processes of the tree were left unreaped "
			   "(--no-wait)\n");
	else
		fprintf(f, "  cpu        %.3f s user, %.3f s system, %.3f s total\n",
			seconds(user_ns), seconds(system_ns), seconds(s->cpu_ns));
	fprintf(f, "  memory     %s peak RSS (largest process%s)\n",
		report__bytes(b1, sizeof(b1), s->peak_rss_bytes),
		job->peak_rss_from == JOB_RSS_FROM_SAMPLES ? ", as /proc samples saw it" : "");
	if (job->unknown & JOB_UNKNOWN_CHARS)
		fprintf(f, "  io         %s read, %s written (storage); syscalls unknown\n",
			report__bytes(b1, sizeof(b1), s->exited.read_bytes),
			report__bytes(b2, sizeof(b2), s->exited.write_bytes));
	else
		fprintf(f,
			"  io         %s read, %s written (storage); %s read, %s written "
			"(syscalls)\n",
			report__bytes(b1, sizeof(b1), s->exited.read_bytes),
			report__bytes(b2, sizeof(b2), s->exited.write_bytes),
			report__bytes(b3, sizeof(b3), s->exited.read_chars),
			report__bytes(b4, sizeof(b4), s->exited.write_chars));
	fprintf(f, "  wall       %.3f s %s\n", seconds(wall_ns(job)),
		job__running(job) ? "so far: the tree is still running"
				  : "until the whole tree ended");
	write_text_allocation(f, job);
	lost = job__events_lost(job);
	if (job->unknown & JOB_UNKNOWN_RECORDS)
		fputs("  events     none: no per-process records in this mode\n", f);
	else
		fprintf(f, "  events     %" PRIu64 " exit records, %" PRIu64 " %slost\n",
			(uint64_t)job->records, (uint64_t)lost,
			proc_mode && lost ? "proc connector messages " : "");
	{
		const char *why[JOB_MAX_INCOMPLETE];
		size_t nwhy = job__incomplete(job, why, JOB_MAX_INCOMPLETE);

		if (nwhy) {
			fputs("  complete   no:", f);
			for (size_t i = 0; i < nwhy; i++)
				fprintf(f, "%s %s", i ? "," : "", why[i]);
			fputs(" (see the warnings below)\n", f);
		}
	}
	if (job->nfailed) {
		size_t show =
		    job->nfailed < REPORT_FAILED_SHOWN ? job->nfailed : REPORT_FAILED_SHOWN;
		__u64 failed = s->exit_error + s->exit_signal;

		if (job->unknown & JOB_UNKNOWN_COUNTS)
			fprintf(f, "\n  FAILED (of the processes jobtrace reaped)\n");
		else
			fprintf(f, "\n  FAILED (%s%zu of %" PRIu64 "%s)\n",
				show < failed ? "first " : "", show, (uint64_t)failed,
				show < failed ? "; --events lists them all" : "");
		for (size_t i = 0; i < show; i++) {
			const struct job_failure *fl = &job->failed[i];
			const char *what = fl->args[0] ? fl->args : fl->comm;
			size_t len = strlen(what);

			fprintf(f, "  %8u  ", fl->pid);
			if (fl->oom.killed)
				fprintf(f, "%-14s", "OOM-killed");
			else if (WIFSIGNALED(fl->status))
				fprintf(f, "%-14s", strsignal(WTERMSIG(fl->status)));
			else
				fprintf(f, "exit %-9d", WEXITSTATUS(fl->status));
			fputs("  ", f);
			/* A line, not a paragraph: the arguments are cut, --events has them whole.
			 */
			text__escape(f, what, len > REPORT_ARGS_SHOWN ? REPORT_ARGS_SHOWN : len);
			fputs(len > REPORT_ARGS_SHOWN ? "..." : "", f);
			failed_user(f, job, fl);
			fputc('\n', f);
			if (fl->oom.killed)
				report__oom_words(f, &fl->oom);
		}
	}

	if (top) {
		cmds = calloc(top, sizeof(*cmds));
		n = cmds ? job__top_commands(job, cmds, top) : 0;
		if (n) {
			fprintf(f, "\n  %-16s %10s %10s %10s %8s\n", "COMMAND", "PROCS", "CPU s",
				"PEAK RSS", "FAILED");
			for (size_t i = 0; i < n; i++) {
				size_t w;

				fputs("  ", f);
				w = text__escape(f, cmds[i]->comm, strlen(cmds[i]->comm));
				fprintf(f, "%*s %10" PRIu64 " %10.3f %10s %8" PRIu64 "\n",
					w < 16 ? (int)(16 - w) : 0, "",
					(uint64_t)cmds[i]->processes, seconds(cmds[i]->cpu_ns),
					report__bytes(b1, sizeof(b1), cmds[i]->peak_rss_bytes),
					(uint64_t)cmds[i]->exit_error);
			}
			if (job->ncommands > n)
				fprintf(f, "  ... and %zu more commands\n", job->ncommands - n);
		}
		free(cmds);
	}

	if (job->live && job->live->processes) {
		const struct job_live *l = job->live;

		fprintf(f, "  live       %" PRIu64 " processes: %s RSS, ", (uint64_t)l->processes,
			report__bytes(b1, sizeof(b1), l->rss_bytes));
		if (l->pss)
			fprintf(f, "%s PSS, %s USS, ", report__bytes(b2, sizeof(b2), l->pss_bytes),
				report__bytes(b3, sizeof(b3), l->uss_bytes));
		fprintf(f, "%s virtual, %" PRIu64 " open files",
			report__bytes(b4, sizeof(b4), l->vm_bytes), (uint64_t)l->open_files);
		if (l->cpu_rate_pct >= 0)
			fprintf(f, ", CPU now %.0f%%", l->cpu_rate_pct);
		fputc('\n', f);
	}
	if (job->workdir) {
		const struct workdir_usage *wd = job->workdir;

		fputs("  workdir    ", f);
		text__escape(f, job->workdir_path, strlen(job->workdir_path));
		fprintf(f, ": %s in %" PRIu64 " files",
			report__bytes(b1, sizeof(b1), wd->size_bytes), (uint64_t)wd->files);
		if (wd->fs_ok)
			fprintf(f, "; its filesystem %s used, %s free of %s",
				report__bytes(b2, sizeof(b2), wd->fs.used_bytes),
				report__bytes(b3, sizeof(b3), wd->fs.avail_bytes),
				report__bytes(b4, sizeof(b4), wd->fs.total_bytes));
		fputc('\n', f);
	}

	if (job->unknown & JOB_UNKNOWN_COUNTS)
		fputs("\nWARNING: no process events in this mode (neither BPF nor the proc "
		      "connector could be used): how many processes ran, their exits, execs and "
		      "threads are unknown; the job's status, its tree's CPU, peak RSS and storage "
		      "I/O above are exact once every process is reaped.\n",
		      f);
	/*
	 * BPF counts in the kernel: a lost record is one process's detail,
	 * the totals are whole. The proc connector's lost messages were the
	 * counting itself: a process that started and ended among them is in
	 * no count, and only /proc after the loss tells who is still there.
	 */
	if (lost && proc_mode)
		fprintf(f,
			"\nWARNING: this report is incomplete: %" PRIu64 " proc connector "
			"messages were lost (the socket's queue overflowed). The members were "
			"found again in /proc after each loss, but processes that started and "
			"ended among the lost messages are in no figure: the process and exit "
			"counts above are at least these, and the per-command table misses "
			"them.\n",
			(uint64_t)lost);
	else if (lost)
		fprintf(f,
			"\nWARNING: this report is incomplete: %" PRIu64 " of %" PRIu64
			" exit records were lost (ring buffer full; raise --ring-kb). The "
			"totals above are exact; the per-command table misses %" PRIu64
			" processes.\n",
			(uint64_t)lost, (uint64_t)(lost + job->records), (uint64_t)lost);
	if (s->untracked)
		fprintf(f,
			"\nWARNING: %" PRIu64 " tasks could not be tracked (kernel task storage "
			"allocation failed): their CPU and exits are missing.\n",
			(uint64_t)s->untracked);
	if (s->procs_map_full)
		fprintf(f,
			"\nWARNING: %" PRIu64 " processes did not fit in the process map "
			"(raise --max-procs): counted, but their lineage and per-process detail "
			"are missing.\n",
			(uint64_t)s->procs_map_full);
	if (s->jobs_map_full)
		fprintf(f,
			"\nWARNING: %" PRIu64 " tasks of this job went untracked before the job "
			"map had room for it (raise --max-jobs): its counts miss them.\n",
			(uint64_t)s->jobs_map_full);
	if (job->stale)
		fprintf(f,
			"\nWARNING: %" PRIu64 " processes were counted alive but are gone: "
			"their exits were missed.\n",
			(uint64_t)job->stale);
	if (job->repairs)
		fprintf(f,
			"\nWARNING: %" PRIu64 " processes ended unseen (their exits were missed): "
			"the repair sweep found them gone and counted them exited; their exit "
			"status and their CPU after the last sample are unknown.\n",
			(uint64_t)job->repairs);
	if (s->outside_ns)
		fprintf(f,
			"\nWARNING: %" PRIu64 " processes of this job live outside jobtrace's pid "
			"namespace: counted from their fork on, but those of the job already "
			"running there at the attach are not seen, nor the CPU so far, memory and "
			"open files of any of them while they live.\n",
			(uint64_t)s->outside_ns);
	if (job->inconsistent)
		fprintf(f,
			"\nWARNING: the kernel's counts of this job cannot all be true (%" PRIu64
			" processes gone beyond those that came): alive and alive at most are held "
			"to what can be.\n",
			(uint64_t)job->inconsistent);
	if (job->records_malformed || job->add_errors || job->counters.jobs_missing ||
	    job->counters.jobs_map_full)
		fprintf(
		    f,
		    "\nWARNING: records lost on the way: %" PRIu64 " malformed, %" PRIu64
		    " not folded (no memory), %" PRIu64 " events of a job already gone, %" PRIu64
		    " jobs that did not fit (raise --max-jobs).\n",
		    (uint64_t)job->records_malformed, (uint64_t)job->add_errors,
		    (uint64_t)job->counters.jobs_missing, (uint64_t)job->counters.jobs_map_full);
	return util__stream_error(f);
}

/* A figure the job's source counts, or null where it cannot know it (never a 0). */
void report__oom_words(FILE *f, const struct job_oom *o)
{
	char b1[32], b2[32];

	fputs("            killed by the OOM killer: ", f);
	if (o->limit_known) {
		fprintf(
		    f, "memory limit %s of memory:", report__bytes(b1, sizeof(b1), o->limit_bytes));
		text__escape(f, o->cgroup, strlen(o->cgroup));
	} else if (o->global) {
		fputs("the host ran out of memory (no memory cgroup limit)", f);
	} else {
		fputs("which limit is not known (its memory cgroup was gone)", f);
	}
	if (o->rss_known)
		fprintf(f, ", its RSS %s", report__bytes(b2, sizeof(b2), o->rss_bytes));
	fputc('\n', f);
}

const char *report__peak_rss_source(const struct job *job)
{
	if ((job->unknown & JOB_UNKNOWN_RECORDS) || job->peak_rss_from == JOB_RSS_FROM_CHILDREN)
		return "children_maxrss";
	if (job->peak_rss_from == JOB_RSS_FROM_SAMPLES)
		return "sampled";
	if (job->records_rss_from_mm == job->records)
		return "mm_hiwater";
	return job->records_rss_from_mm == 0 ? "signal_maxrss" : "mixed";
}
