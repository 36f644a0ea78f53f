// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The metrics store (metrics.c) as the Prometheus text format 0.0.4 or
 * OpenMetrics 1.0.0 (which of them, gzipped or not, a scraper asks for is
 * metrics_negotiate.c's).
 * The writer is a pure function of the store over a FILE, so a test feeds
 * it scripted records and reads the text; the HTTP side (metrics_http.c)
 * only calls it. jobtrace-metrics(7) lists every family.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <bpf/libbpf_version.h>
#include <microhttpd.h>
#include <zlib.h>

#include "jobtrace/metrics.h"
#include "jobtrace/proc_stat.h"
#include "jobtrace/host.h"
#include "jobtrace/util.h"
#include "jobtrace/version.h"

#include "metrics_priv.h"

struct family {
	const char *name; /* counters: without _total, as OpenMetrics names the family */
	const char *type; /* "counter" or "gauge" */
	const char *unit; /* OpenMetrics UNIT, a suffix of the name; NULL: none */
	const char *help;
};

static bool is_counter(const struct family *fam)
{
	return !strcmp(fam->type, "counter");
}

/* A HELP, TYPE or UNIT line: @what, the name and its @suffix, a space, @text. */
static void comment(struct mtext *w, const char *what, const char *name, const char *suffix,
		    const char *text)
{
	mtext__puts(w, what);
	mtext__puts(w, name);
	mtext__puts(w, suffix);
	mtext__putc(w, ' ');
	mtext__puts(w, text);
	mtext__putc(w, '\n');
}

static void family_head(struct mtext *w, enum metrics_format fmt, const struct family *fam)
{
	const char *total = is_counter(fam) ? "_total" : "";

	if (fmt == METRICS_OPENMETRICS) {
		comment(w, "# TYPE ", fam->name, "", fam->type);
		if (fam->unit)
			comment(w, "# UNIT ", fam->name, "", fam->unit);
		comment(w, "# HELP ", fam->name, "", fam->help);
	} else {
		comment(w, "# HELP ", fam->name, total, fam->help);
		comment(w, "# TYPE ", fam->name, total, fam->type);
	}
}

/*
 * A label value: backslash, double quote and newline escaped, as both formats want.
 * The runs between them go out in one piece: a byte at a time through
 * fputc() was 29% of a scrape's CPU with 10,000 jobs' keys.
 */
static void put_label_value(struct mtext *w, const char *s)
{
	for (;;) {
		size_t run = strcspn(s, "\\\"\n");

		if (run)
			mtext__put(w, s, run);
		s += run;
		if (!*s)
			return;
		mtext__put(w, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : "\\n", 2);
		s++;
	}
}

/* A series: its name with @suffix, and its labels, up to the space before the value. */
static void series(struct mtext *w, const struct family *fam, const char *suffix,
		   const struct mjob *j, const char *lname, const char *lvalue)
{
	mtext__puts(w, fam->name);
	mtext__puts(w, suffix);
	if (!j && !lname) {
		mtext__putc(w, ' ');
		return;
	}
	mtext__putc(w, '{');
	if (j) {
		mtext__puts(w, METRICS_JOB_LABEL "=\"");
		if (j->label_plain)
			mtext__puts(w, j->label);
		else
			put_label_value(w, j->label);
		mtext__putc(w, '"');
	}
	if (lname) {
		if (j)
			mtext__putc(w, ',');
		mtext__puts(w, lname);
		mtext__put(w, "=\"", 2);
		mtext__puts(w, lvalue);
		mtext__putc(w, '"');
	}
	mtext__put(w, "} ", 2);
}

/* The start of a sample: a counter's value is its _total. */
static void sample_start(struct mtext *w, const struct family *fam, const struct mjob *j,
			 const char *lname, const char *lvalue)
{
	series(w, fam, is_counter(fam) ? "_total" : "", j, lname, lvalue);
}

static void put_u64(struct mtext *w, const struct family *fam, const struct mjob *j,
		    const char *lname, const char *lvalue, __u64 v)
{
	sample_start(w, fam, j, lname, lvalue);
	mtext__u64(w, v);
	mtext__putc(w, '\n');
}

/* Nanoseconds as seconds, exactly: no float rounds a large total. */
static void put_ns(struct mtext *w, const struct family *fam, const struct mjob *j,
		   const char *lname, const char *lvalue, __u64 ns)
{
	sample_start(w, fam, j, lname, lvalue);
	mtext__ns(w, ns);
	mtext__putc(w, '\n');
}

/*
 * OpenMetrics: a counter's point says when it started counting, right
 * after its _total (the text format 0.0.4 has no place for it). A series
 * that appears with a value above 0 is then read by rate() and increase()
 * as counted from that time, not from its first scrape.
 */
static void put_created(struct mtext *w, enum metrics_format fmt, const struct family *fam,
			const struct mjob *j, const char *lname, const char *lvalue, __u64 ns)
{
	if (fmt != METRICS_OPENMETRICS || !ns)
		return;
	series(w, fam, "_created", j, lname, lvalue);
	mtext__ns(w, ns);
	mtext__putc(w, '\n');
}

static void put_double(struct mtext *w, const struct family *fam, const char *lname,
		       const char *lvalue, double v)
{
	sample_start(w, fam, NULL, lname, lvalue);
	mtext__double(w, v);
	mtext__putc(w, '\n');
}

/*
 * The jobs in the store's order (bucket by bucket, each bucket's chain),
 * listed once a scrape: each per-job family is one more pass over them,
 * and a pass down the chains waited on each job's cache miss in turn (the
 * next job's address is in the last one): 10,000 jobs' 13 passes were
 * half of what the writer's CPU was left with (perf). From a list the
 * addresses are known ahead, and the jobs a few places on are fetched
 * while one is written.
 */
struct job_list {
	const struct mjob **v;
	size_t n, bytes;
};

/* Jobs fetched ahead of the one written. */
#define JOB_LIST_AHEAD 8

/*
 * Mapped, not from the heap: 80 KB at 10,000 jobs, which a heap would
 * keep in serve's RSS after the scrape.
 */
static int job_list__make(const struct metrics *m, struct job_list *l)
{
	size_t i = 0;

	l->n = m->n;
	l->bytes = (m->n ? m->n : 1) * sizeof(*l->v);
	l->v = mmap(NULL, l->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (l->v == MAP_FAILED) {
		l->v = NULL;
		return -ENOMEM;
	}
	for (size_t b = 0; b < m->nbuckets; b++)
		for (const struct mjob *j = m->buckets[b]; j && i < l->n; j = j->next)
			l->v[i++] = j;
	l->n = i;
	return 0;
}

static void job_list__free(struct job_list *l)
{
	if (l->v)
		munmap(l->v, l->bytes);
}

/* The @i-th job, and the lines of the one JOB_LIST_AHEAD on asked for. */
static inline const struct mjob *job_list__at(const struct job_list *l, size_t i)
{
	if (i + JOB_LIST_AHEAD < l->n) {
		const char *next = (const char *)l->v[i + JOB_LIST_AHEAD];

		/* Its counters, and its label past them. */
		__builtin_prefetch(next);
		__builtin_prefetch(next + 64);
		__builtin_prefetch(next + 128);
	}
	return l->v[i];
}

#define FOR_EACH_JOB(l, j)                     \
	for (size_t i_ = 0; i_ < (l)->n; i_++) \
		for (const struct mjob *j = job_list__at(l, i_); j; j = NULL)

static const struct family f_cpu = { "jobtrace_job_cpu_seconds", "counter", "seconds",
				     "CPU time of the job's processes, by mode." };
static const struct family f_started = { "jobtrace_job_processes_started", "counter", NULL,
					 "Processes started in the job." };
static const struct family f_exited = {
	"jobtrace_job_processes_exited", "counter", NULL,
	"Processes of the job that ended: ok (status 0), error (other status), signal."
};
static const struct family f_existing = {
	"jobtrace_job_processes_existing_at_attach", "counter", NULL,
	"Processes already in the job when jobtrace attached to it."
};
static const struct family f_moved = {
	"jobtrace_job_processes_moved", "counter", NULL,
	"Processes that moved into or out of the job (a cgroup move, setsid, setuid)."
};
static const struct family f_alive = { "jobtrace_job_processes", "gauge", NULL,
				       "Processes of the job alive at the last sample." };
static const struct family f_threads = { "jobtrace_job_threads_started", "counter", NULL,
					 "Threads started in the job, besides processes." };
static const struct family f_mem = {
	"jobtrace_job_memory_bytes", "gauge", "bytes",
	"Resident memory of the job's live processes: rss summed, pss (with --pss) shared pages split."
};
static const struct family f_io = { "jobtrace_job_io_bytes", "counter", "bytes",
				    "Storage I/O of the job's processes, by direction." };
static const struct family f_peak = {
	"jobtrace_job_peak_rss_bytes", "gauge", "bytes",
	"Largest RSS seen in the job: a process's peak, or the job's summed RSS at a sample."
};

static const struct family f_oom = {
	"jobtrace_job_oom_kills", "counter", NULL,
	"Processes of the job the OOM killer took (of those ended by a signal)."
};

static const struct family f_alloc_cpus = {
	"jobtrace_job_allocated_cpus", "gauge", NULL,
	"CPUs the job was given: a Slurm step's on this node, else its cgroups' limit (source)."
};
static const struct family f_alloc_mem = {
	"jobtrace_job_allocated_memory_bytes", "gauge", "bytes",
	"Memory the job was given: a Slurm step's on this node, else its cgroups' limit (source)."
};
static const struct family f_cpu_eff = {
	"jobtrace_job_cpu_efficiency_ratio", "gauge", "ratio",
	"CPU seconds over allocated CPUs x wall seconds so far, as seff."
};
static const struct family f_mem_eff = {
	"jobtrace_job_memory_efficiency_ratio", "gauge", "ratio",
	"The largest process's peak RSS over the memory allocated, as seff."
};

/* Only what is known: a job with no allocation has none of these series, never a 0. */
static void write_allocation(const struct job_list *l, struct mtext *w, enum metrics_format fmt)
{
	family_head(w, fmt, &f_alloc_cpus);
	FOR_EACH_JOB(l, j) {
		if (!j->alloc || !j->alloc->cpus_known)
			continue;
		sample_start(w, &f_alloc_cpus, j, "source", j->alloc->cpus_source);
		mtext__double(w, j->alloc->cpus);
		mtext__putc(w, '\n');
	}
	family_head(w, fmt, &f_alloc_mem);
	FOR_EACH_JOB(l, j) {
		if (j->alloc && j->alloc->memory_known)
			put_u64(w, &f_alloc_mem, j, "source", j->alloc->memory_source,
				j->alloc->memory_bytes);
	}
	family_head(w, fmt, &f_cpu_eff);
	FOR_EACH_JOB(l, j) {
		if (!j->alloc || j->alloc->cpu_efficiency < 0)
			continue;
		sample_start(w, &f_cpu_eff, j, NULL, NULL);
		mtext__double(w, j->alloc->cpu_efficiency);
		mtext__putc(w, '\n');
	}
	family_head(w, fmt, &f_mem_eff);
	FOR_EACH_JOB(l, j) {
		if (!j->alloc || j->alloc->memory_efficiency < 0)
			continue;
		sample_start(w, &f_mem_eff, j, NULL, NULL);
		mtext__double(w, j->alloc->memory_efficiency);
		mtext__putc(w, '\n');
	}
}

static void write_jobs(const struct job_list *l, struct mtext *w, enum metrics_format fmt)
{
	family_head(w, fmt, &f_cpu);
	FOR_EACH_JOB(l, j) {
		put_ns(w, &f_cpu, j, "mode", "user", j->user_ns);
		put_created(w, fmt, &f_cpu, j, "mode", "user", j->created_ns);
		put_ns(w, &f_cpu, j, "mode", "system", j->system_ns);
		put_created(w, fmt, &f_cpu, j, "mode", "system", j->created_ns);
	}
	family_head(w, fmt, &f_started);
	FOR_EACH_JOB(l, j) {
		put_u64(w, &f_started, j, NULL, NULL, j->started);
		put_created(w, fmt, &f_started, j, NULL, NULL, j->created_ns);
	}
	family_head(w, fmt, &f_exited);
	FOR_EACH_JOB(l, j) {
		static const char *const reasons[] = { "ok", "error", "signal" };
		const __u64 v[] = { j->exit_ok, j->exit_error, j->exit_signal };

		for (size_t i = 0; i < 3; i++) {
			put_u64(w, &f_exited, j, "reason", reasons[i], v[i]);
			put_created(w, fmt, &f_exited, j, "reason", reasons[i], j->created_ns);
		}
	}
	family_head(w, fmt, &f_oom);
	FOR_EACH_JOB(l, j) {
		put_u64(w, &f_oom, j, NULL, NULL, j->oom_kills);
		put_created(w, fmt, &f_oom, j, NULL, NULL, j->created_ns);
	}
	/*
	 * What came in and went out besides forks and exits: started +
	 * existing_at_attach + moved{in} = exited + moved{out} + processes.
	 */
	family_head(w, fmt, &f_existing);
	FOR_EACH_JOB(l, j) {
		put_u64(w, &f_existing, j, NULL, NULL, j->existing);
		put_created(w, fmt, &f_existing, j, NULL, NULL, j->created_ns);
	}
	family_head(w, fmt, &f_moved);
	FOR_EACH_JOB(l, j) {
		put_u64(w, &f_moved, j, "direction", "in", j->moved_in);
		put_created(w, fmt, &f_moved, j, "direction", "in", j->created_ns);
		put_u64(w, &f_moved, j, "direction", "out", j->moved_out);
		put_created(w, fmt, &f_moved, j, "direction", "out", j->created_ns);
	}
	family_head(w, fmt, &f_alive);
	FOR_EACH_JOB(l, j) {
		put_u64(w, &f_alive, j, NULL, NULL, j->alive);
	}
	family_head(w, fmt, &f_threads);
	FOR_EACH_JOB(l, j) {
		put_u64(w, &f_threads, j, NULL, NULL, j->threads);
		put_created(w, fmt, &f_threads, j, NULL, NULL, j->created_ns);
	}
	family_head(w, fmt, &f_mem);
	FOR_EACH_JOB(l, j) {
		put_u64(w, &f_mem, j, "type", "rss", j->rss_bytes);
		/* Without --pss there is no PSS: no sample, rather than a false 0. */
		if (j->pss)
			put_u64(w, &f_mem, j, "type", "pss", j->pss_bytes);
	}
	family_head(w, fmt, &f_io);
	FOR_EACH_JOB(l, j) {
		put_u64(w, &f_io, j, "direction", "read", j->read_bytes);
		put_created(w, fmt, &f_io, j, "direction", "read", j->created_ns);
		put_u64(w, &f_io, j, "direction", "write", j->write_bytes);
		put_created(w, fmt, &f_io, j, "direction", "write", j->created_ns);
	}
	family_head(w, fmt, &f_peak);
	FOR_EACH_JOB(l, j) {
		put_u64(w, &f_peak, j, NULL, NULL, j->peak_rss_bytes);
	}
	write_allocation(l, w, fmt);
}

/* Every job's processes together: what increase() over a host needs, exact. */
static void write_all_jobs(const struct metrics *m, struct mtext *w, enum metrics_format fmt)
{
	static const struct family started = {
		"jobtrace_processes_started", "counter", NULL,
		"Processes started in any job since jobtrace started (ended jobs' too)."
	};
	static const struct family exited = {
		"jobtrace_processes_exited", "counter", NULL,
		"Processes of any job that ended since jobtrace started: ok, error, signal."
	};
	static const struct family oom = {
		"jobtrace_processes_oom_kills", "counter", NULL,
		"Processes of any job the OOM killer took since jobtrace started."
	};
	static const struct family existing = {
		"jobtrace_processes_existing_at_attach", "counter", NULL,
		"Processes already in a job when jobtrace attached to it, since jobtrace started."
	};
	static const struct family moved = {
		"jobtrace_processes_moved", "counter", NULL,
		"Processes that moved into or out of a job since jobtrace started, by direction."
	};
	static const struct family cpu = {
		"jobtrace_processes_cpu_seconds", "counter", "seconds",
		"CPU time of every job's processes since jobtrace started, by mode."
	};
	const struct all_jobs *a = &m->all;
	static const char *const reasons[] = { "ok", "error", "signal" };
	const __u64 v[] = { a->exit_ok, a->exit_error, a->exit_signal };

	family_head(w, fmt, &started);
	put_u64(w, &started, NULL, NULL, NULL, a->started);
	put_created(w, fmt, &started, NULL, NULL, NULL, a->created_ns);
	family_head(w, fmt, &exited);
	for (size_t i = 0; i < 3; i++) {
		put_u64(w, &exited, NULL, "reason", reasons[i], v[i]);
		put_created(w, fmt, &exited, NULL, "reason", reasons[i], a->created_ns);
	}
	family_head(w, fmt, &oom);
	put_u64(w, &oom, NULL, NULL, NULL, a->oom_kills);
	put_created(w, fmt, &oom, NULL, NULL, NULL, a->created_ns);
	family_head(w, fmt, &existing);
	put_u64(w, &existing, NULL, NULL, NULL, a->existing);
	put_created(w, fmt, &existing, NULL, NULL, NULL, a->created_ns);
	family_head(w, fmt, &moved);
	put_u64(w, &moved, NULL, "direction", "in", a->moved_in);
	put_created(w, fmt, &moved, NULL, "direction", "in", a->created_ns);
	put_u64(w, &moved, NULL, "direction", "out", a->moved_out);
	put_created(w, fmt, &moved, NULL, "direction", "out", a->created_ns);
	family_head(w, fmt, &cpu);
	put_ns(w, &cpu, NULL, "mode", "user", a->user_ns);
	put_created(w, fmt, &cpu, NULL, "mode", "user", a->created_ns);
	put_ns(w, &cpu, NULL, "mode", "system", a->system_ns);
	put_created(w, fmt, &cpu, NULL, "mode", "system", a->created_ns);
}

/*
 * A user's sample: the user label (its name, else the uid), the uid label,
 * then @lname. The name alone does not name a series: two passwd entries
 * can share one, and a user can be named "1000" beside a uid 1000 with no
 * name; two samples of one label set would make Prometheus refuse the
 * whole scrape. The uid is one series each (user_of() keeps them apart).
 */
static void user_series(struct mtext *w, const struct family *fam, const char *suffix,
			const struct muser *u, const char *user, const char *lname,
			const char *lvalue)
{
	mtext__puts(w, fam->name);
	mtext__puts(w, suffix);
	mtext__puts(w, "{user=\"");
	put_label_value(w, user);
	mtext__puts(w, "\",uid=\"");
	mtext__u64(w, u->uid);
	mtext__put(w, "\",", 2);
	mtext__puts(w, lname);
	mtext__put(w, "=\"", 2);
	mtext__puts(w, lvalue);
	mtext__put(w, "\"} ", 3);
}

/* One counter of a user: its _total (nanoseconds as seconds when @ns), and its _created. */
static void put_user(struct mtext *w, enum metrics_format fmt, const struct family *fam,
		     const struct muser *u, const char *user, const char *lname, const char *lvalue,
		     __u64 v, bool ns)
{
	user_series(w, fam, "_total", u, user, lname, lvalue);
	if (ns)
		mtext__ns(w, v);
	else
		mtext__u64(w, v);
	mtext__putc(w, '\n');
	if (fmt != METRICS_OPENMETRICS)
		return;
	user_series(w, fam, "_created", u, user, lname, lvalue);
	mtext__ns(w, u->created_ns);
	mtext__putc(w, '\n');
}

/* The label of @u: the uid's name on this host, valid UTF-8, or the uid in digits. */
static void user_label(const struct metrics *m, const struct muser *u, char *out, size_t size)
{
	char name[64];

	if (m->user_name(u->uid, name, sizeof(name)) && 3 * strlen(name) < size)
		metrics__utf8_clean(name, strlen(name), out);
	else
		snprintf(out, size, "%u", u->uid);
}

/*
 * Per user, from the exit records: whose processes used the CPU and how
 * they ended. The first METRICS_MAX_USERS uids seen have series; the
 * exits of later ones are counted, not dropped unseen.
 */
static void write_users(const struct metrics *m, struct mtext *w, enum metrics_format fmt)
{
	static const struct family cpu = {
		"jobtrace_user_cpu_seconds", "counter", "seconds",
		"CPU time of the processes that ended, by their user (real uid at exit) and mode."
	};
	static const struct family exited = {
		"jobtrace_user_processes_exited", "counter", NULL,
		"Processes that ended, by their user (real uid at exit): ok, error, signal."
	};
	static const struct family dropped = {
		"jobtrace_user_exits_dropped", "counter", NULL,
		"Process exits in no jobtrace_user_* series: their user came past the first "
		"256 users seen."
	};
	static const char *const reasons[] = { "ok", "error", "signal" };
	char label[3 * 64 + 1];

	_Static_assert(METRICS_MAX_USERS == 256, "the help of jobtrace_user_exits_dropped");

	family_head(w, fmt, &cpu);
	for (size_t i = 0; i < m->nusers; i++) {
		const struct muser *u = &m->users[i];

		user_label(m, u, label, sizeof(label));
		put_user(w, fmt, &cpu, u, label, "mode", "user", u->user_ns, true);
		put_user(w, fmt, &cpu, u, label, "mode", "system", u->system_ns, true);
	}
	family_head(w, fmt, &exited);
	for (size_t i = 0; i < m->nusers; i++) {
		const struct muser *u = &m->users[i];
		const __u64 v[] = { u->exit_ok, u->exit_error, u->exit_signal };

		user_label(m, u, label, sizeof(label));
		for (size_t k = 0; k < 3; k++)
			put_user(w, fmt, &exited, u, label, "reason", reasons[k], v[k], false);
	}
	family_head(w, fmt, &dropped);
	put_u64(w, &dropped, NULL, NULL, NULL, m->users_dropped);
	put_created(w, fmt, &dropped, NULL, NULL, NULL, m->all.created_ns);
}

/*
 * The host, as node_exporter names what both export, under a jobtrace_
 * prefix (jobtrace_node_load1 is node_load1): a host scraped by both keeps
 * two distinct series, and a dashboard's query swaps one prefix.
 */
static void write_host(const struct metrics *m, struct mtext *w, enum metrics_format fmt)
{
	static const struct family load[] = {
		{ "jobtrace_node_load1", "gauge", NULL, "1-minute load average." },
		{ "jobtrace_node_load5", "gauge", NULL, "5-minute load average." },
		{ "jobtrace_node_load15", "gauge", NULL, "15-minute load average." },
	};
	/* node_exporter's node_memory_MemTotal_bytes etc., in the snake_case promtool asks for. */
	static const struct family mem[] = {
		{ "jobtrace_node_memory_total_bytes", "gauge", "bytes", "MemTotal of /proc/meminfo." },
		{ "jobtrace_node_memory_available_bytes", "gauge", "bytes",
		  "MemAvailable of /proc/meminfo." },
		{ "jobtrace_node_memory_swap_total_bytes", "gauge", "bytes",
		  "SwapTotal of /proc/meminfo." },
		{ "jobtrace_node_memory_swap_free_bytes", "gauge", "bytes",
		  "SwapFree of /proc/meminfo." },
	};
	static const struct family running = { "jobtrace_node_procs_running", "gauge", NULL,
					       "Tasks runnable (procs_running of /proc/stat)." };
	static const struct family blocked = { "jobtrace_node_procs_blocked", "gauge", NULL,
					       "Tasks blocked on I/O (procs_blocked of /proc/stat)." };
	static const struct family cpu = { "jobtrace_node_cpu_seconds", "counter", "seconds",
					   "CPU time of all CPUs together, by mode (/proc/stat)." };
	static const struct family forks = { "jobtrace_node_forks", "counter", NULL,
					     "Forks since boot (processes of /proc/stat, raised where "
					     "the jobs saw more starts since the last sample)." };
	static const struct family ctxt = { "jobtrace_node_context_switches", "counter", NULL,
					    "Context switches since boot (ctxt of /proc/stat)." };
	const struct host_vals *h = &m->host;
	const double lv[] = { h->load1, h->load5, h->load15 };
	const __u64 mv[] = { h->mem_total, h->mem_available, h->swap_total, h->swap_free };
	const struct {
		const char *mode;
		__u64 ticks;
	} modes[] = {
		{ "user", h->cpu.user_ticks },	    { "nice", h->cpu.nice_ticks },
		{ "system", h->cpu.system_ticks },  { "idle", h->cpu.idle_ticks },
		{ "iowait", h->cpu.iowait_ticks },  { "irq", h->cpu.irq_ticks },
		{ "softirq", h->cpu.softirq_ticks }, { "steal", h->cpu.steal_ticks },
	};

	if (!h->have)
		return;
	/* A file the sampler could not read: its series are absent, as a scraper expects. */
	for (size_t i = 0; i < 3 && !(h->unknown & HOST_RECORD_NO_LOAD); i++) {
		family_head(w, fmt, &load[i]);
		put_double(w, &load[i], NULL, NULL, lv[i]);
	}
	for (size_t i = 0; i < 4 && !(h->unknown & HOST_RECORD_NO_MEM); i++) {
		family_head(w, fmt, &mem[i]);
		put_u64(w, &mem[i], NULL, NULL, NULL, mv[i]);
	}
	if (!(h->unknown & HOST_RECORD_NO_STAT)) {
		family_head(w, fmt, &running);
		put_u64(w, &running, NULL, NULL, NULL, h->procs_running);
		family_head(w, fmt, &blocked);
		put_u64(w, &blocked, NULL, NULL, NULL, h->procs_blocked);
	}
	if (!h->have_stat)
		return;
	family_head(w, fmt, &cpu);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		put_ns(w, &cpu, NULL, "mode", modes[i].mode,
		       proc_stat__ticks_to_ns(modes[i].ticks));
	family_head(w, fmt, &forks);
	put_u64(w, &forks, NULL, NULL, NULL, h->forks + h->forks_since);
	family_head(w, fmt, &ctxt);
	put_u64(w, &ctxt, NULL, NULL, NULL, h->ctxt);
}

/* serve --history: what retention removed, and what a full disk cost. */
static void write_history(const struct metrics *m, struct mtext *w, enum metrics_format fmt)
{
	static const struct family files = {
		"jobtrace_history_files_dropped", "counter", NULL,
		"History files removed, oldest first, past --history-keep or --history-max."
	};
	static const struct family records = {
		"jobtrace_history_records_dropped", "counter", NULL,
		"Records the history did not keep: a full disk stops it."
	};
	static const struct family stopped = {
		"jobtrace_history_stopped", "gauge", NULL,
		"1 once the history stopped (a full disk, or an error); serve goes on."
	};

	if (!m->have_history)
		return;
	family_head(w, fmt, &files);
	put_u64(w, &files, NULL, NULL, NULL, m->history.files_dropped);
	family_head(w, fmt, &records);
	put_u64(w, &records, NULL, NULL, NULL, m->history.records_dropped);
	family_head(w, fmt, &stopped);
	put_u64(w, &stopped, NULL, NULL, NULL, m->history.stopped);
}

/* jobtrace's own losses: a figure that cannot be trusted says so next to it. */
static void write_self(const struct metrics *m, struct mtext *w, enum metrics_format fmt)
{
	const struct collector_stats *st = &m->st;
	const struct {
		struct family fam;
		__u64 v;
	} c[] = {
		{ { "jobtrace_events_sent", "counter", NULL,
		    "Exit records (one per process) the kernel side sent." },
		  st->kernel.events_sent },
		{ { "jobtrace_events_lost", "counter", NULL,
		    "Exit records lost to a full ring buffer: job figures may be short." },
		  st->kernel.events_lost },
		{ { "jobtrace_exec_records_lost", "counter", NULL,
		    "Exec records (arguments) a full ring buffer dropped." },
		  st->kernel.exec_records_lost },
		{ { "jobtrace_fork_records_lost", "counter", NULL,
		    "Fork records (the stream's lineage) a full ring buffer dropped." },
		  st->kernel.fork_records_lost },
		{ { "jobtrace_procs_map_full", "counter", NULL,
		    "Processes the full process map could not track (--max-procs)." },
		  st->kernel.procs_map_full },
		{ { "jobtrace_jobs_map_full", "counter", NULL,
		    "Jobs that found no room in the full job map (--max-jobs)." },
		  st->kernel.jobs_map_full },
		{ { "jobtrace_jobs_missing", "counter", NULL,
		    "Tracked tasks whose job entry was gone." },
		  st->kernel.jobs_missing },
		{ { "jobtrace_untracked", "counter", NULL, "Tasks the kernel side left untracked." },
		  st->kernel.untracked },
		{ { "jobtrace_records_malformed", "counter", NULL, "Ring records that failed to decode." },
		  st->records_malformed },
		{ { "jobtrace_records_late", "counter", NULL,
		    "Exit records that came after their job's end, counted lost in its report." },
		  st->records_late },
		{ { "jobtrace_jobs_ended", "counter", NULL, "Jobs that ended." }, st->jobs_ended },
	};

	static const struct family dropped = {
		"jobtrace_http_connections_dropped", "counter", NULL,
		"Connections to /metrics closed by jobtrace: slow (no whole request, or response "
		"not taken, in time) or full (every slot taken: the oldest without a request)."
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		family_head(w, fmt, &c[i].fam);
		put_u64(w, &c[i].fam, NULL, NULL, NULL, c[i].v);
	}
	/* A scraper that sees these grow is being crowded out: slow clients, or too many. */
	family_head(w, fmt, &dropped);
	put_u64(w, &dropped, NULL, "reason", "slow", m->http_dropped_slow);
	put_u64(w, &dropped, NULL, "reason", "full", m->http_dropped_full);
	write_history(m, w, fmt);
}

/* Versions as "1.2.3": what this jobtrace was built with. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define LIBBPF_VERSION_STR STR(LIBBPF_MAJOR_VERSION) "." STR(LIBBPF_MINOR_VERSION)

/*
 * jobtrace_build_info, as Prometheus's own servers and exporters carry a
 * *_build_info gauge of 1: versions in labels, for a query to join on.
 */
static void write_build_info(struct mtext *w, enum metrics_format fmt)
{
	static const struct family info = {
		"jobtrace_build_info", "gauge", NULL,
		"jobtrace's version and the libraries it was built with; the value is always 1."
	};

	char line[512];
	int n;

	family_head(w, fmt, &info);
	n = snprintf(line, sizeof(line),
		     "jobtrace_build_info{version=\"%s\",libbpf=\"%s\",libmicrohttpd=\"%u.%u.%u\","
		     "zlib=\"%s\"} 1\n",
		     JOBTRACE_VERSION, LIBBPF_VERSION_STR, (unsigned int)(MHD_VERSION >> 24) & 0xff,
		     (unsigned int)(MHD_VERSION >> 16) & 0xff,
		     (unsigned int)(MHD_VERSION >> 8) & 0xff, ZLIB_VERSION);
	if (n > 0)
		mtext__put(w, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/*
 * The process collector of Prometheus's client libraries, under its names,
 * for serve's own process: dashboards made for any exporter read it as is.
 * The figures are what the front sampled at this scrape (self_sample.c).
 */
static void write_process(const struct metrics *m, struct mtext *w, enum metrics_format fmt)
{
	static const struct family cpu = { "process_cpu_seconds", "counter", "seconds",
					   "Total user and system CPU time spent in seconds." };
	static const struct family rss = { "process_resident_memory_bytes", "gauge", "bytes",
					   "Resident memory size in bytes." };
	static const struct family vsz = { "process_virtual_memory_bytes", "gauge", "bytes",
					   "Virtual memory size in bytes." };
	static const struct family start = {
		"process_start_time_seconds", "gauge", "seconds",
		"Start time of the process since unix epoch in seconds."
	};
	static const struct family open_fds = { "process_open_fds", "gauge", NULL,
						"Number of open file descriptors." };
	static const struct family max_fds = { "process_max_fds", "gauge", NULL,
					       "Maximum number of open file descriptors." };
	const struct self_sample *s = &m->self;

	if (!m->have_self)
		return;
	family_head(w, fmt, &cpu);
	put_ns(w, &cpu, NULL, NULL, NULL, s->cpu_ns);
	/* It counts from the process's start: a restart reads as a reset from then. */
	put_created(w, fmt, &cpu, NULL, NULL, NULL, s->start_time_ns);
	family_head(w, fmt, &rss);
	put_u64(w, &rss, NULL, NULL, NULL, s->rss_bytes);
	family_head(w, fmt, &vsz);
	put_u64(w, &vsz, NULL, NULL, NULL, s->vsize_bytes);
	family_head(w, fmt, &start);
	put_ns(w, &start, NULL, NULL, NULL, s->start_time_ns);
	if (!s->have_fds)
		return;
	family_head(w, fmt, &open_fds);
	put_u64(w, &open_fds, NULL, NULL, NULL, s->open_fds);
	family_head(w, fmt, &max_fds);
	/* "unlimited" (never for nofile in practice): +Inf, as a float says it. */
	if (s->max_fds == UINT64_MAX) {
		sample_start(w, &max_fds, NULL, NULL, NULL);
		mtext__puts(w, "+Inf\n");
	} else
		put_u64(w, &max_fds, NULL, NULL, NULL, s->max_fds);
}

int metrics__write(const struct metrics *m, FILE *f, enum metrics_format fmt)
{
	struct mtext t; /* its buffer is not cleared: only what is written is read */
	struct mtext *w = &t;
	struct job_list jobs;
	int err = job_list__make(m, &jobs);

	if (err)
		return err;
	t.f = f;
	t.len = 0;
	t.err = 0;
	write_jobs(&jobs, w, fmt);
	job_list__free(&jobs);
	write_all_jobs(m, w, fmt);
	write_users(m, w, fmt);
	write_host(m, w, fmt);
	write_self(m, w, fmt);
	write_build_info(w, fmt);
	write_process(m, w, fmt);
	if (fmt == METRICS_OPENMETRICS)
		mtext__puts(w, "# EOF\n");
	mtext__flush(w);
	if (t.err)
		return t.err;
	if (fflush(f) || ferror(f))
		return -(errno ? errno : EIO);
	return 0;
}
