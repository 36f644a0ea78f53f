// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jobtrace/job.h"
#include "jobtrace/util.h"

#define JOB_MIN_BUCKETS 8

void job__init(struct job *job, __u64 id, char *const *argv, int argc)
{
	memset(job, 0, sizeof(*job));
	job->id = id;
	job->argv = argv;
	job->argc = argc;
	job->stats.outlived_root = -1;
}

static void command_free(struct hmap_node *node)
{
	free(hmap__entry(node, struct job_command, node));
}

void job__free(struct job *job)
{
	if (!job)
		return;
	hmap__free(&job->commands, command_free);
	memset(&job->commands, 0, sizeof(job->commands));
	job->ncommands = 0;
	free(job->failed);
	job->failed = NULL;
	job->nfailed = 0;
	free(job->alloc);
	job->alloc = NULL;
	job->alloc_read = false;
	free(job->sched);
	job->sched = NULL;
	free(job->reaped);
	job->reaped = NULL;
}

int job__set_cgroup_alloc(struct job *job, const struct cgroup_alloc *a)
{
	struct cgroup_alloc *copy = NULL;

	if (a->cpus_known || a->memory_known) {
		copy = malloc(sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		*copy = *a;
	}
	free(job->alloc);
	job->alloc = copy;
	job->alloc_read = true;
	return 0;
}

const struct cgroup_alloc *job__cgroup_alloc(const struct job *job)
{
	static const struct cgroup_alloc unlimited;

	if (!job->alloc_read)
		return NULL;
	return job->alloc ? job->alloc : &unlimited;
}

int job__set_sched(struct job *job, const struct job_sched_alloc *s)
{
	struct job_sched_alloc *copy = malloc(sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	*copy = *s;
	free(job->sched);
	job->sched = copy;
	return 0;
}

const struct job_sched_alloc *job__sched(const struct job *job)
{
	static const struct job_sched_alloc none;

	return job->sched ? job->sched : &none;
}

/* FNV-1a over the fixed-size comm: names are short. */
static __u64 comm_hash(const char *comm)
{
	return util__fnv1a(UTIL_FNV1A_BASIS, comm, strnlen(comm, JT_COMM_LEN));
}

/* @comm's entry, made (zeroed, named) when new; NULL: no memory. */
static struct job_command *command_of(struct job *job, const char *comm)
{
	__u64 hash = comm_hash(comm);
	struct hmap_node **p = hmap__chain(&job->commands, hash);
	struct job_command *c;

	for (; p && *p; p = &(*p)->next) {
		c = hmap__entry(*p, struct job_command, node);
		if ((*p)->hash == hash && !strncmp(c->comm, comm, JT_COMM_LEN))
			return c;
	}
	if (hmap__reserve(&job->commands, JOB_MIN_BUCKETS))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	memcpy(c->comm, comm, sizeof(c->comm));
	hmap__add(&job->commands, &c->node, hash);
	job->ncommands++;
	return c;
}

int job__add_exit(struct job *job, const struct jt_exit_event *e)
{
	char comm[JT_COMM_LEN + 1];
	struct job_command *c;

	if (e->job_id != job->id)
		return -ENOENT;
	if (e->is_root && e->uid != JT_ID_UNKNOWN) {
		job->have_root_uid = true;
		job->root_uid = e->uid;
	}
	memcpy(comm, e->comm, JT_COMM_LEN);
	comm[JT_COMM_LEN] = '\0';
	c = command_of(job, comm);
	if (!c)
		return -ENOMEM;
	c->processes++;
	c->cpu_ns += e->acct.cpu_ns;
	if (e->peak_rss_bytes > c->peak_rss_bytes)
		c->peak_rss_bytes = e->peak_rss_bytes;
	if (e->exit_status & 0xff7f)
		c->exit_error++;
	job->records++;
	if (e->peak_rss_source == JT_RSS_MM_HIWATER)
		job->records_rss_from_mm++;
	return 0;
}

static int by_cpu_desc(const void *a, const void *b)
{
	const struct job_command *x = *(const struct job_command *const *)a;
	const struct job_command *y = *(const struct job_command *const *)b;

	if (x->cpu_ns != y->cpu_ns)
		return x->cpu_ns < y->cpu_ns ? 1 : -1;
	if (x->processes != y->processes)
		return x->processes < y->processes ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

size_t job__top_commands(const struct job *job, const struct job_command **out, size_t max)
{
	const struct job_command **all;
	size_t n = 0;

	if (!job->ncommands || !max)
		return 0;
	all = malloc(job->ncommands * sizeof(*all));
	if (!all)
		return 0;
	for (size_t i = 0; i < job->commands.nbuckets; i++) {
		for (const struct hmap_node *p = job->commands.buckets[i]; p && n < job->ncommands;
		     p = p->next)
			all[n++] = hmap__entry(p, const struct job_command, node);
	}
	qsort(all, n, sizeof(*all), by_cpu_desc);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

/* Which failures a report shows first: OOM kills, other deaths by a signal, then exit codes. */
static int failure_rank(__u32 status, const struct job_oom *oom)
{
	if (oom && oom->killed)
		return 0;
	return (status & 0x7f) ? 1 : 2;
}

/*
 * The room the list has for @n failures: it grows by doubling up to
 * JOB_MAX_FAILED. Most jobs that fail keep one or two, and serve keeps
 * thousands of jobs: the whole list (5 KiB) for each was 50 MB where
 * 10,000 jobs had a failure each.
 */
static size_t failed_room(size_t n)
{
	size_t room = 1;

	while (room < n)
		room *= 2;
	return n ? (room < JOB_MAX_FAILED ? room : JOB_MAX_FAILED) : 0;
}

void job__note_failure(struct job *job, const struct jt_exit_event *e, const char *args,
		       size_t len, const struct job_oom *oom)
{
	int rank = failure_rank(e->exit_status, oom);
	struct job_failure *f;
	size_t at, n = 0;

	if (!(e->exit_status & 0xff7f))
		return;
	/* After those that rank as high, in the order they came. */
	for (at = job->nfailed; at > 0; at--)
		if (failure_rank(job->failed[at - 1].status, &job->failed[at - 1].oom) <= rank)
			break;
	if (at >= JOB_MAX_FAILED)
		return; /* the list holds as many that rank as high */
	if (job->nfailed < JOB_MAX_FAILED && failed_room(job->nfailed) == job->nfailed) {
		f = reallocarray(job->failed, failed_room(job->nfailed + 1), sizeof(*f));
		if (!f) {
			job->add_errors++;
			return;
		}
		job->failed = f;
	}
	if (job->nfailed < JOB_MAX_FAILED)
		job->nfailed++;
	/* A full list drops its last (an exit code, where one is there) for this one. */
	memmove(&job->failed[at + 1], &job->failed[at],
		(job->nfailed - 1 - at) * sizeof(job->failed[0]));
	f = &job->failed[at];
	memset(f, 0, sizeof(*f));
	if (oom)
		f->oom = *oom;
	f->pid = e->pid;
	f->uid = e->uid;
	f->status = e->exit_status;
	memcpy(f->comm, e->comm, JT_COMM_LEN);
	/* argv's NULs become spaces; the writers escape whatever bytes remain. */
	for (size_t i = 0; args && i < len && n + 1 < sizeof(f->args); i++)
		f->args[n++] = args[i] ? args[i] : ' ';
	while (n && f->args[n - 1] == ' ')
		n--;
	f->args[n] = '\0';
}

void job__note_reaped(struct job *job, int wait_status)
{
	struct job_reaped *r = job->reaped;

	if (!r) {
		r = job->reaped = calloc(1, sizeof(*r));
		if (!r) {
			job->add_errors++;
			return;
		}
	}
	r->processes++;
	if (WIFSIGNALED(wait_status))
		r->exit_signal++;
	else if (WEXITSTATUS(wait_status))
		r->exit_error++;
	else
		r->exit_ok++;
}

const struct job_reaped *job__reaped(const struct job *job)
{
	static const struct job_reaped none;

	return job->reaped ? job->reaped : &none;
}

__u64 job__events_lost(const struct job *job)
{
	return job->stats.events_lost;
}

/* Each names what it costs the report in jobtrace(8)'s LIMITS AND REPAIR; bit i is name i. */
static const char *const incomplete_names[] = {
	"events_lost",	     "untracked_tasks",	   "procs_map_full",
	"jobs_map_full",     "exits_repaired",	   "stale_entries",
	"records_malformed", "records_not_folded",
	/* rusage mode: what it cannot see is null in the report, and said here. */
	"process_counts_unknown", "cpu_partial",
	/* Appended: the stream carries these as bits, by their place here. */
	"outside_pid_namespace", "counts_inconsistent",
};
_Static_assert(sizeof(incomplete_names) / sizeof(incomplete_names[0]) <= JOB_MAX_INCOMPLETE,
	       "JOB_MAX_INCOMPLETE holds every reason");

__u32 job__incomplete_mask(const struct job *job)
{
	const struct jt_job_stats *s = &job->stats;
	const bool on[] = {
		job__events_lost(job) > 0,
		s->untracked > 0,
		s->procs_map_full > 0,
		s->jobs_map_full > 0,
		job->repairs > 0,
		job->stale > 0,
		job->records_malformed > 0,
		job->add_errors > 0,
		(job->unknown & JOB_UNKNOWN_COUNTS) != 0,
		(job->unknown & JOB_UNKNOWN_CPU) != 0,
		s->outside_ns > 0,
		job->inconsistent > 0,
	};
	__u32 mask = 0;

	_Static_assert(sizeof(on) / sizeof(on[0]) ==
			       sizeof(incomplete_names) / sizeof(incomplete_names[0]),
		       "a name per reason");
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		if (on[i])
			mask |= 1U << i;
	return mask;
}

void job__check_counts(struct job *job)
{
	struct jt_job_stats *s = &job->stats;
	__u64 came = s->procs_started + s->existing + s->moved_in;
	__u64 gone = s->procs_exited + s->moved_out, excess = 0;

	if (gone > came)
		excess = gone - came;
	if (s->alive < 0) {
		if (0 - (__u64)s->alive > excess)
			excess = 0 - (__u64)s->alive;
		s->alive = 0;
	}
	/* A max taken of a count below 0 is 2^64 - 1 and the like: no measure of anything. */
	if (s->max_alive > came) {
		if (!excess)
			excess = 1;
		s->max_alive = came;
	}
	if (excess > job->inconsistent)
		job->inconsistent = excess;
}

size_t job__incomplete_names(__u32 mask, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(incomplete_names) / sizeof(incomplete_names[0]) && n < max;
	     i++)
		if (mask & (1U << i))
			out[n++] = incomplete_names[i];
	return n;
}

size_t job__incomplete(const struct job *job, const char **out, size_t max)
{
	return job__incomplete_names(job__incomplete_mask(job), out, max);
}

bool job__running(const struct job *job)
{
	const struct jt_job_stats *s = &job->stats;

	if (job->live && job->live->processes)
		return true;
	return s->alive > 0 && (__u64)s->alive > job->stale;
}

int job__exit_code(int wait_status)
{
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return WEXITSTATUS(wait_status);
}

int job__status(const struct job *job)
{
	__u64 failed;

	if (job->root_exited)
		return job__exit_code(job->root_status);
	/* Where the source cannot count exits (rusage), what jobtrace reaped is all it knows. */
	if (job->unknown & JOB_UNKNOWN_COUNTS)
		failed = job__reaped(job)->exit_error + job__reaped(job)->exit_signal;
	else
		failed = job->stats.exit_error + job->stats.exit_signal;
	return failed ? 1 : 0;
}
