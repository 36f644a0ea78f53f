// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ApMon sink: job parameters (run_time, cpu_time, cpu_usage, rss,
 * virtualmem, mem_usage, open_files, workdir_size, disk_*) each interval
 * and when a job ends, and system parameters (cpu_*, load*, mem_*, swap_*,
 * <if>_in/_out, uptime, ...) with each host record, as MonALISA's ApMon
 * datagrams. jobtrace-metrics(7)'s APMON section lists every parameter and its unit.
 *
 * Three layers, each usable alone: the XDR encoder of one datagram and its
 * destinations (apmon.c, pure), the sender (apmon_sender.c: sequence
 * numbers, splitting, counting what could not go; with apmon_lookup.c for
 * names), and this sink that turns records into parameters.
 */
#include <endian.h>
#include <signal.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/apmon.h"
#include "jobtrace/host.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

/* ---- the sink ---- */

#define JOB_PARAMS 28
#define MB (1024.0 * 1024.0)

struct apmon_sink {
	struct sink s; /* first: sink__free() frees this struct */
	struct apmon_sender *tx;
	char *cluster;
	char host[256];
};

struct plist {
	struct apmon_param *p;
	size_t n, cap;
};

/* Every number goes as REAL64, as apmon.py sends its ints too: MonALISA keeps doubles. */
static void put(struct plist *l, const char *name, double v)
{
	if (l->n < l->cap)
		l->p[l->n++] =
			(struct apmon_param){ .name = name, .type = APMON_REAL64, .v.r64 = v };
}

static double secs(__u64 ns)
{
	return (double)ns / 1e9;
}

/* "HOST:KEY", and run's job "HOST:run:PID": unique across the hosts of a farm. */
static void job_node(const struct apmon_sink *a, const struct cjob *j, char *buf, size_t size)
{
	if (!strcmp(j->job.key, "run"))
		snprintf(buf, size, "%s:run:%d", a->host, (int)j->job.root_pid);
	else
		snprintf(buf, size, "%s:%s", a->host, j->job.key);
}

static void put_memory(struct plist *l, const struct cjob *j, __u64 rss, __u64 vm, __u64 pss,
		       bool have_pss, __u64 open_files)
{
	put(l, "rss", (double)rss / 1024);
	put(l, "virtualmem", (double)vm / 1024);
	if (have_pss)
		put(l, "pss", (double)pss / 1024);
	/* Of the host's memory; PSS where read, as it counts a shared page once. */
	if (j->job.host_mem_bytes)
		put(l, "mem_usage", 100.0 * (double)(have_pss ? pss : rss) /
					    (double)j->job.host_mem_bytes);
	put(l, "open_files", (double)open_files);
}

/*
 * seff's figures, where the job has an allocation (a Slurm step's, or its
 * cgroups' limits): CPUs, memory in KB as ApMon's rss, and the efficiencies
 * in %, over its wall time up to @now_ns. None is sent where not known.
 */
static void put_allocation(struct plist *l, const struct job *job, __u64 now_ns)
{
	struct job_alloc_view v;
	char from[2][16];
	struct job at = *job; /* shallow, read only: its wall time up to now */
	double e;

	if (!at.end_ns)
		at.end_ns = now_ns;
	if (!job__allocation(&at, &v, from[0], sizeof(from[0])))
		return;
	if (v.cpus_known)
		put(l, "alloc_cpus", v.cpus);
	if (v.memory_known)
		put(l, "alloc_mem", (double)v.memory_bytes / 1024);
	e = job__cpu_efficiency(&at, &v);
	if (e >= 0)
		put(l, "cpu_efficiency", 100 * e);
	e = job__memory_efficiency(&at, &v);
	if (e >= 0)
		put(l, "mem_efficiency", 100 * e);
}

static void send_job(struct apmon_sink *a, const struct cjob *j, struct plist *l)
{
	char node[sizeof(a->host) + CJOB_KEY_SIZE + 16];

	job_node(a, j, node, sizeof(node));
	apmon_sender__send(a->tx, a->cluster, node, l->p, l->n);
}

static int apmon_interval(struct sink *s, const struct interval_record *r)
{
	struct apmon_sink *a = (struct apmon_sink *)s;
	const struct cjob *j = r->job;
	struct apmon_param p[JOB_PARAMS];
	struct plist l = { .p = p, .cap = JOB_PARAMS };
	double pct;

	/* The interval that closes a job: job_end sends the final figures. */
	if (j->job.end_ns && r->t1_ns == j->job.end_ns)
		return 0;
	put(&l, "run_time", secs(r->t1_ns - j->job.start_ns));
	/* Cumulative, as ApMon's; but exact, and exited processes included. */
	put(&l, "cpu_time", secs(j->cum.cpu_ns));
	/* CPU now (over the interval), % of one CPU; ApMon sent a lifetime average. */
	/* No rate over an interval too short to give one (collector.h). */
	if (interval_record__cpu_pct(r, &pct))
		put(&l, "cpu_usage", pct);
	put_memory(&l, r->job, r->rss_bytes, r->vm_bytes, r->pss_bytes, r->pss, r->open_files);
	put(&l, "processes", (double)r->alive);
	/* A source that cannot count them (rusage): left out, never a 0 (JSON's null). */
	if (!(j->job.unknown & JOB_UNKNOWN_COUNTS)) {
		put(&l, "procs_started", (double)j->cum.started);
		put(&l, "procs_failed", (double)(j->cum.exit_error + j->cum.exit_signal));
		put(&l, "oom_kills", (double)j->cum.oom_kills);
	}
	put_allocation(&l, &j->job, r->t1_ns);
	send_job(a, j, &l);
	return 0;
}

static int apmon_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct apmon_sink *a = (struct apmon_sink *)s;
	const struct job *job = &j->job;
	const struct jt_job_stats *k = &job->stats;
	struct apmon_param p[JOB_PARAMS];
	struct plist l = { .p = p, .cap = JOB_PARAMS };
	double wall = secs(job->end_ns - job->start_ns);

	put(&l, "run_time", wall);
	put(&l, "cpu_time", secs(k->cpu_ns));
	/* At the end, the average over the job's life: the only rate left. */
	put(&l, "cpu_usage", wall > 0 ? 100.0 * secs(k->cpu_ns) / wall : 0);
	if (job->live)
		put_memory(&l, j, job->live->rss_bytes, job->live->vm_bytes, job->live->pss_bytes,
			   job->live->pss, job->live->open_files);
	put(&l, "processes", k->alive > 0 ? (double)k->alive : 0);
	if (!(job->unknown & JOB_UNKNOWN_COUNTS)) {
		put(&l, "procs_started", (double)k->procs_started);
		put(&l, "procs_failed", (double)(k->exit_error + k->exit_signal));
		put(&l, "oom_kills", (double)k->oom_kills);
	}
	put(&l, "peak_rss", (double)k->peak_rss_bytes / 1024);
	put_allocation(&l, job, job->end_ns);
	if (job->root_exited && !strcmp(j->job.key, "run"))
		put(&l, "exit_code", job__exit_code(job->root_status));
	if (job->workdir) {
		const struct fsusage *fs = &job->workdir->fs;

		put(&l, "workdir_size", (double)job->workdir->size_bytes / MB);
		if (job->workdir->fs_ok) {
			put(&l, "disk_total", (double)fs->total_bytes / MB);
			put(&l, "disk_used", (double)fs->used_bytes / MB);
			put(&l, "disk_free", (double)fs->avail_bytes / MB);
			/* df's figure, in % (ApMon divided it by 1024 by mistake). */
			if (fs->used_pct >= 0)
				put(&l, "disk_usage", fs->used_pct);
		}
	}
	send_job(a, j, &l);
	return 0;
}

/* ApMon's system parameters, in its names and units: %, MB, KB/s, days. */
static int apmon_host(struct sink *s, const struct host_record *r)
{
	struct apmon_sink *a = (struct apmon_sink *)s;
	const struct host_sample *hs = r->sample;
	const struct host_rates *rt = r->rates;
	size_t nnet = hs && rt ? rt->n_net : 0;
	struct plist l = { .cap = 40 + 2 * nnet };
	char(*names)[NETDEV_NAME_SIZE + 8] = NULL;

	l.p = calloc(l.cap, sizeof(*l.p));
	if (nnet)
		names = calloc(2 * nnet, sizeof(*names));
	if (!l.p || (nnet && !names))
		goto out_free;
	if (rt && rt->have_stat) {
		put(&l, "cpu_usr", rt->cpu.user);
		put(&l, "cpu_nice", rt->cpu.nice);
		put(&l, "cpu_sys", rt->cpu.system + rt->cpu.irq + rt->cpu.softirq);
		put(&l, "cpu_idle", rt->cpu.idle);
		put(&l, "cpu_iowait", rt->cpu.iowait);
		put(&l, "context_switches_R", rt->ctxt_per_s);
		put(&l, "interrupts_R", rt->intr_per_s);
	}
	/* Busy without iowait, where ApMon's was 100 - idle. */
	if (r->cpu_busy_pct >= 0)
		put(&l, "cpu_usage", r->cpu_busy_pct);
	/* What the samples could not read is left out: ApMon has no null. */
	if (!(r->unknown & HOST_RECORD_NO_STAT))
		put(&l, "no_CPUs", r->ncpus);
	if (!(r->unknown & HOST_RECORD_NO_LOAD)) {
		put(&l, "load1", r->load1);
		put(&l, "load5", r->load5);
		put(&l, "load15", r->load15);
	}
	if (!(r->unknown & HOST_RECORD_NO_MEM)) {
		put(&l, "total_mem", (double)r->mem_total_bytes / MB);
		put(&l, "mem_used", (double)r->mem_used_bytes / MB);
		put(&l, "mem_actualfree", (double)r->mem_available_bytes / MB);
		put(&l, "mem_usage", r->mem_total_bytes ? 100.0 * (double)r->mem_used_bytes /
								  (double)r->mem_total_bytes :
							  0);
		put(&l, "total_swap", (double)r->swap_total_bytes / MB);
		put(&l, "swap_used", (double)r->swap_used_bytes / MB);
		put(&l, "swap_free", (double)(r->swap_total_bytes - r->swap_used_bytes) / MB);
		put(&l, "swap_usage", r->swap_total_bytes ? 100.0 * (double)r->swap_used_bytes /
								    (double)r->swap_total_bytes :
							    0);
		if (hs) {
			put(&l, "mem_free", (double)hs->mem.free_bytes / MB);
			put(&l, "mem_buffers", (double)hs->mem.buffers_bytes / MB);
			put(&l, "mem_cached", (double)hs->mem.cached_bytes / MB);
		}
	}
	if (hs && (hs->have & HOST_HAVE_UPTIME))
		put(&l, "uptime", secs(hs->uptime.uptime_ns) / 86400);
	/* /proc/stat's procs_running and procs_blocked: tasks in R and D. */
	if (!(r->unknown & HOST_RECORD_NO_STAT)) {
		put(&l, "processes_R", (double)r->procs_running);
		put(&l, "processes_D", (double)r->procs_blocked);
	}
	put(&l, "events_lost", (double)r->events_lost);
	for (size_t i = 0; i < nnet && i < hs->net.n; i++) {
		const char *ifn = hs->net.ifs[i].name;

		if (!rt->net[i].valid || !strcmp(ifn, "lo"))
			continue;
		snprintf(names[2 * i], sizeof(names[0]), "%s_in", ifn);
		snprintf(names[2 * i + 1], sizeof(names[0]), "%s_out", ifn);
		put(&l, names[2 * i], rt->net[i].r.rx_bytes_per_s / 1024);
		put(&l, names[2 * i + 1], rt->net[i].r.tx_bytes_per_s / 1024);
	}
	apmon_sender__send(a->tx, APMON_CLUSTER_SYSTEM, a->host, l.p, l.n);
out_free:
	free(names);
	free(l.p);
	return 0;
}

static void apmon_free(struct sink *s)
{
	struct apmon_sink *a = (struct apmon_sink *)s;
	struct apmon_sender_stats st;

	if (a->tx) {
		apmon_sender__stats(a->tx, &st);
		/* Not an error of the run: a receiver that is down loses its data, that is all. */
		if (st.failed || st.too_large)
			fprintf(stderr,
				"jobtrace: apmon: %llu of %llu datagrams not sent (%s)%s\n",
				(unsigned long long)(st.failed + st.too_large),
				(unsigned long long)(st.datagrams + st.too_large),
				st.failed ? strerror(-st.last_err) : "too large",
				st.too_large ? ", some too large for a datagram" : "");
	}
	apmon_sender__free(a->tx);
	free(a->cluster);
}

static const struct sink_ops apmon_ops = {
	.name = "apmon",
	.interval = apmon_interval,
	.host = apmon_host,
	.job_end = apmon_job_end,
	.free = apmon_free,
};

struct sink *sink_apmon__new(const struct apmon_opts *o)
{
	struct apmon_sink *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->s.ops = &apmon_ops;
	a->s.path = "apmon";
	a->cluster = strdup(o->cluster ? o->cluster : APMON_CLUSTER_JOBS);
	a->tx = apmon_sender__new(o);
	if (!a->cluster || !a->tx) {
		sink__free(&a->s);
		return NULL;
	}
	if (gethostname(a->host, sizeof(a->host) - 1))
		strcpy(a->host, "localhost");
	return &a->s;
}

int sink_apmon__set_dests(struct sink *s, const struct apmon_opts *o)
{
	struct apmon_sink *a = (struct apmon_sink *)s;
	char *cluster = strdup(o->cluster ? o->cluster : APMON_CLUSTER_JOBS);
	struct apmon_sender *tx = cluster ? apmon_sender__new(o) : NULL;

	/* All or nothing: a reload that cannot open its sockets keeps the old ones. */
	if (!tx) {
		free(cluster);
		return -ENOMEM;
	}
	apmon_sender__free(a->tx);
	free(a->cluster);
	a->tx = tx;
	a->cluster = cluster;
	return 0;
}
