// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One Slurm job out of its steps' reports on several nodes (job_summary.h):
 * read from a shared reports directory, grouped, summed, written as text
 * or one JSON object (schema/job-summary.schema.json).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/history.h"
#include "jobtrace/job_summary.h"
#include "jobtrace/json.h"
#include "jobtrace/report.h"
#include "jobtrace/util.h"

#define SUMMARY_FILE_MAX (64 << 20) /* a report with 100,000 commands is ~10 MiB */

/* @path's number; false when absent, null or not finite (a foreign file's 1e999). */
static bool get_num(const char *buf, size_t len, const char *path, double *out)
{
	size_t vl;
	const char *v = history__json_get(buf, len, path, &vl);
	char tmp[64], *end;

	if (!v || vl == 0 || vl >= sizeof(tmp) || *v == 'n' || *v == '"' || *v == '{')
		return false;
	memcpy(tmp, v, vl);
	tmp[vl] = '\0';
	*out = strtod(tmp, &end);
	return end != tmp && isfinite(*out);
}

/* A count or a byte figure: 0 where absent, negative or past what 64 bits hold. */

static __u64 get_u64(const char *buf, size_t len, const char *path)
{
	double d;

	return get_num(buf, len, path, &d) && d > 0 && d < 1.8e19 ? (__u64)d : 0;
}

/* @path's string, as written (no escapes are expected in keys and node names). */
static bool get_str(const char *buf, size_t len, const char *path, char *out, size_t size)
{
	size_t vl;
	const char *v = history__json_get(buf, len, path, &vl);

	if (!v || vl < 2 || *v != '"' || vl - 2 >= size)
		return false;
	memcpy(out, v + 1, vl - 2);
	out[vl - 2] = '\0';
	return true;
}

/* "slurm:12.0@n1": group "slurm:12", step "0"; another key: itself, less "@NODE". */
static void split_key(struct summary_report *r)
{
	char *at, *dot;

	snprintf(r->group, sizeof(r->group), "%s", r->key);
	at = strchr(r->group, '@');
	if (at)
		*at = '\0';
	r->step[0] = '\0';
	if (strncmp(r->group, "slurm:", 6))
		return;
	dot = strchr(r->group + 6, '.');
	if (!dot)
		return;
	snprintf(r->step, sizeof(r->step), "%s", dot + 1);
	*dot = '\0';
}

int job_summary__parse(const char *buf, size_t len, struct summary_report *r)
{
	double d;

	memset(r, 0, sizeof(*r));
	if (!get_str(buf, len, "job.key", r->key, sizeof(r->key)) ||
	    !get_num(buf, len, "job.wall_s", &r->wall_s) ||
	    !get_num(buf, len, "cpu.total_s", &r->cpu_s) || r->wall_s < 0 || r->cpu_s < 0)
		return -EINVAL;
	split_key(r);
	get_str(buf, len, "job.node", r->node, sizeof(r->node));
	get_str(buf, len, "allocation.source", r->source, sizeof(r->source));
	r->cpus_known = get_num(buf, len, "allocation.cpus", &r->cpus) && r->cpus > 0;
	r->memory_bytes = get_u64(buf, len, "allocation.memory_bytes");
	r->memory_known = r->memory_bytes > 0;
	r->peak_rss_bytes = get_u64(buf, len, "memory.peak_rss_bytes");
	if (!get_num(buf, len, "efficiency.cpu", &r->eff_cpu) || r->eff_cpu < 0)
		r->eff_cpu = -1;
	if (!get_num(buf, len, "efficiency.cpu_allocated_s", &r->cpu_alloc_s) ||
	    !(r->cpu_alloc_s > 0))
		r->cpu_alloc_s = -1;
	if (!get_num(buf, len, "efficiency.memory", &r->eff_memory) || r->eff_memory < 0)
		r->eff_memory = -1;
	r->started = get_u64(buf, len, "processes.started");
	r->failed = get_u64(buf, len, "processes.exit_error") +
		    get_u64(buf, len, "processes.exit_signal");
	r->oom_killed = get_u64(buf, len, "processes.oom_killed");
	/* A status is 0 to 255, a signal 1 to 64: anything else is not one. */
	r->exit_code = get_num(buf, len, "job.exit_code", &d) && d >= 0 && d <= 255 ? (int)d : -1;
	r->signal = get_num(buf, len, "job.signal", &d) && d >= 1 && d <= 64 ? (int)d : 0;
	return 0;
}

int job_summary__add(struct job_summary *s, const struct summary_report *r)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct summary_report *n = realloc(s->reports, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->reports = n;
		s->cap = cap;
	}
	s->reports[s->n++] = *r;
	return 0;
}

/* @only ("12" or "slurm:12", or a whole group) names @r's group. */
static bool wanted(const struct summary_report *r, const char *only)
{
	return !only || !strcmp(r->group, only) ||
	       (!strncmp(r->group, "slurm:", 6) && !strcmp(r->group + 6, only));
}

int job_summary__read_dir(struct job_summary *s, const char *dir, const char *only)
{
	int dfd = util__open_dir(dir), err = 0;
	struct dirent *de;
	DIR *d;

	if (dfd < 0)
		return dfd;
	d = fdopendir(dfd);
	if (!d) {
		err = -errno;
		close(dfd);
		return err;
	}
	while ((de = readdir(d))) {
		struct summary_report r;
		size_t nl = strlen(de->d_name);
		char *buf = NULL;
		ssize_t len;

		if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") || de->d_name[0] == '.')
			continue;
		len = util__read_file_alloc(dirfd(d), de->d_name, SUMMARY_FILE_MAX, &buf);
		if (len <= 0 || job_summary__parse(buf, (size_t)len, &r)) {
			s->unreadable++;
			free(buf);
			continue;
		}
		free(buf);
		snprintf(r.file, sizeof(r.file), "%s", de->d_name);
		if (wanted(&r, only) && (err = job_summary__add(s, &r)))
			break;
	}
	closedir(d);
	return err;
}

/* Slurm job ids as numbers ("slurm:9" before "slurm:10"), then steps, then nodes. */
static int cmp_reports(const void *pa, const void *pb)
{
	const struct summary_report *a = pa, *b = pb;
	int c;

	if (!strncmp(a->group, "slurm:", 6) && !strncmp(b->group, "slurm:", 6)) {
		unsigned long x = strtoul(a->group + 6, NULL, 10), y = strtoul(b->group + 6, NULL, 10);

		if (x != y)
			return x < y ? -1 : 1;
	}
	c = strcmp(a->group, b->group);
	if (!c)
		c = strcmp(a->step, b->step);
	return c ? c : strcmp(a->node, b->node);
}

/* A group's sums: [first, end) of the sorted reports. */
struct summary_agg {
	size_t end, nodes;
	double cpu_s, cpu_s_alloc, alloc_cpu_s; /* CPU of the reports with CPUs allocated, and those */
	__u64 peak_alloc, memory_alloc;
	__u64 started, failed, oom_killed;
};

static void aggregate(const struct job_summary *s, size_t first, struct summary_agg *a)
{
	memset(a, 0, sizeof(*a));
	for (a->end = first; a->end < s->n && !strcmp(s->reports[a->end].group,
						       s->reports[first].group); a->end++) {
		const struct summary_report *r = &s->reports[a->end];
		bool seen = false;

		for (size_t i = first; i < a->end && !seen; i++)
			seen = !strcmp(s->reports[i].node, r->node);
		a->nodes += !seen;
		a->cpu_s += r->cpu_s;
		if (r->cpus_known) {
			a->cpu_s_alloc += r->cpu_s;
			/*
			 * What the report divided by: more than CPUs x wall where
			 * a quota's periods gave more (job__cpu_allocated_s()),
			 * which CPUs x wall would make an efficiency past 100 %.
			 * A report that says it; else (reports before it said)
			 * from its efficiency, which a report of no CPU cannot
			 * give; else CPUs x wall.
			 */
			if (r->cpu_alloc_s > 0)
				a->alloc_cpu_s += r->cpu_alloc_s;
			else if (r->eff_cpu > 0 && r->cpu_s > 0)
				a->alloc_cpu_s += r->cpu_s / r->eff_cpu;
			else
				a->alloc_cpu_s += r->cpus * r->wall_s;
		}
		/*
		 * An RSS past its limit is no share of it (job__memory_efficiency()),
		 * but where the report says the job reached its limit (an OOM kill
		 * there): the whole of it.
		 */
		if (r->memory_known && r->peak_rss_bytes <= r->memory_bytes) {
			a->peak_alloc += r->peak_rss_bytes;
			a->memory_alloc += r->memory_bytes;
		} else if (r->memory_known && r->eff_memory >= 0) {
			a->peak_alloc += r->memory_bytes;
			a->memory_alloc += r->memory_bytes;
		}
		a->started += r->started;
		a->failed += r->failed;
		a->oom_killed += r->oom_killed;
	}
}

static double agg_cpu(const struct summary_agg *a)
{
	return a->alloc_cpu_s > 0 ? a->cpu_s_alloc / a->alloc_cpu_s : -1;
}

static double agg_memory(const struct summary_agg *a)
{
	return a->memory_alloc ? (double)a->peak_alloc / (double)a->memory_alloc : -1;
}

static void text_pct(FILE *f, double v)
{
	if (v >= 0)
		fprintf(f, " %7.1f%%", 100 * v);
	else
		fprintf(f, " %8s", "-");
}

int job_summary__write_text(FILE *f, struct job_summary *s)
{
	char b1[32], b2[32];

	if (s->n)
		qsort(s->reports, s->n, sizeof(*s->reports), cmp_reports);
	if (!s->n)
		fputs("jobtrace: no report here\n", f);
	for (size_t first = 0; first < s->n;) {
		struct summary_agg a;

		aggregate(s, first, &a);
		text__escape(f, s->reports[first].group, strlen(s->reports[first].group));
		fprintf(f, ": %zu report%s on %zu node%s, %.3f CPU s, %llu processes, %llu failed, "
			   "%llu OOM-killed\n",
			a.end - first, a.end - first == 1 ? "" : "s", a.nodes, a.nodes == 1 ? "" : "s",
			a.cpu_s, (unsigned long long)a.started, (unsigned long long)a.failed,
			(unsigned long long)a.oom_killed);
		fputs("  efficiency ", f);
		if (agg_cpu(&a) >= 0)
			fprintf(f, "CPU %.1f%% (%.3f s of %.3f allocated CPU s)", 100 * agg_cpu(&a),
				a.cpu_s_alloc, a.alloc_cpu_s);
		else
			fputs("CPU not known", f);
		if (agg_memory(&a) >= 0)
			fprintf(f, ", memory %.1f%% (%s of %s, summed over the reports)\n",
				100 * agg_memory(&a), report__bytes(b1, sizeof(b1), a.peak_alloc),
				report__bytes(b2, sizeof(b2), a.memory_alloc));
		else
			fputs(", memory not known\n", f);
		fprintf(f, "  %-16s %-12s %9s %9s %6s %10s %8s %8s %7s %6s %4s\n", "NODE", "STEP",
			"WALL_S", "CPU_S", "CPUS", "MEMORY", "CPU_EFF", "MEM_EFF", "PROCS", "FAILED",
			"OOM");
		for (size_t i = first; i < a.end; i++) {
			const struct summary_report *r = &s->reports[i];

			fputs("  ", f);
			fprintf(f, "%-16.16s %-12.12s %9.3f %9.3f", r->node[0] ? r->node : "?",
				r->step[0] ? r->step : "-", r->wall_s, r->cpu_s);
			if (r->cpus_known)
				fprintf(f, " %6.2f", r->cpus);
			else
				fprintf(f, " %6s", "-");
			fprintf(f, " %10s", r->memory_known ? report__bytes(b1, sizeof(b1),
									  r->memory_bytes) : "-");
			text_pct(f, r->eff_cpu);
			text_pct(f, r->eff_memory);
			fprintf(f, " %7llu %6llu %4llu\n", (unsigned long long)r->started,
				(unsigned long long)r->failed, (unsigned long long)r->oom_killed);
		}
		first = a.end;
	}
	if (s->unreadable)
		fprintf(f, "(%zu .json file%s here %s no report)\n", s->unreadable,
			s->unreadable == 1 ? "" : "s", s->unreadable == 1 ? "is" : "are");
	return util__stream_error(f);
}

static void json_num(struct json_writer *w, const char *key, double v, bool known)
{
	if (known)
		json__double(w, key, v);
	else
		json__null(w, key);
}

static void json_report(struct json_writer *w, const struct summary_report *r)
{
	json__begin_object(w, NULL);
	json__string(w, "file", r->file);
	json__string(w, "key", r->key);
	if (r->step[0])
		json__string(w, "step", r->step);
	else
		json__null(w, "step");
	if (r->node[0])
		json__string(w, "node", r->node);
	else
		json__null(w, "node");
	json__double(w, "wall_s", r->wall_s);
	json__double(w, "cpu_s", r->cpu_s);
	if (r->source[0]) {
		json__begin_object(w, "allocation");
		json__string(w, "source", r->source);
		json_num(w, "cpus", r->cpus, r->cpus_known);
		if (r->memory_known)
			json__u64(w, "memory_bytes", r->memory_bytes);
		else
			json__null(w, "memory_bytes");
		json__end_object(w);
	} else {
		json__null(w, "allocation");
	}
	json__u64(w, "peak_rss_bytes", r->peak_rss_bytes);
	json__begin_object(w, "efficiency");
	json_num(w, "cpu", r->eff_cpu, r->eff_cpu >= 0);
	json_num(w, "memory", r->eff_memory, r->eff_memory >= 0);
	json__end_object(w);
	json__u64(w, "processes_started", r->started);
	json__u64(w, "processes_failed", r->failed);
	json__u64(w, "oom_killed", r->oom_killed);
	if (r->exit_code >= 0)
		json__i64(w, "exit_code", r->exit_code);
	else
		json__null(w, "exit_code");
	if (r->signal)
		json__i64(w, "signal", r->signal);
	else
		json__null(w, "signal");
	json__end_object(w);
}

int job_summary__write_json(FILE *f, struct job_summary *s)
{
	struct json_writer w;

	if (s->n)
		qsort(s->reports, s->n, sizeof(*s->reports), cmp_reports);
	json__init(&w, f, false);
	json__begin_object(&w, NULL);
	json__u64(&w, "version", 1);
	json__begin_array(&w, "jobs");
	for (size_t first = 0; first < s->n;) {
		struct summary_agg a;

		aggregate(s, first, &a);
		json__begin_object(&w, NULL);
		json__string(&w, "job", s->reports[first].group);
		json__u64(&w, "reports_count", a.end - first);
		json__u64(&w, "nodes_count", a.nodes);
		json__double(&w, "cpu_s", a.cpu_s);
		json__double(&w, "allocated_cpu_s", a.alloc_cpu_s);
		json__u64(&w, "peak_rss_bytes_sum", a.peak_alloc);
		json__u64(&w, "allocated_memory_bytes_sum", a.memory_alloc);
		json__begin_object(&w, "efficiency");
		json_num(&w, "cpu", agg_cpu(&a), agg_cpu(&a) >= 0);
		json_num(&w, "memory", agg_memory(&a), agg_memory(&a) >= 0);
		json__end_object(&w);
		json__u64(&w, "processes_started", a.started);
		json__u64(&w, "processes_failed", a.failed);
		json__u64(&w, "oom_killed", a.oom_killed);
		json__begin_array(&w, "reports");
		for (size_t i = first; i < a.end; i++)
			json_report(&w, &s->reports[i]);
		json__end_array(&w);
		json__end_object(&w);
		first = a.end;
	}
	json__end_array(&w);
	json__u64(&w, "unreadable_files", s->unreadable);
	json__end_object(&w);
	return json__finish(&w);
}

void job_summary__free(struct job_summary *s)
{
	if (!s)
		return;
	free(s->reports);
	s->reports = NULL;
	s->n = s->cap = 0;
}
