/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The collector: one event source behind an ops table (its own and the
 * sources', include/jobtrace/source.h), the job table, the samplers it
 * needs, and one epoll loop over the source's fd, a timerfd and a signalfd.
 * Commands (run, watch, top, serve) are thin fronts: they fill
 * collector_opts, say what to follow (collector__follow_*, collector__adopt),
 * choose sinks and call collector__run(). What the collector learns
 * reaches the sinks (include/jobtrace/sink.h) as records.
 */
#ifndef JOBTRACE_COLLECTOR_H
#define JOBTRACE_COLLECTOR_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <sys/types.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/hmap.h"
#include "jobtrace/job.h"
#include "jobtrace/job_live.h"
#include "jobtrace/lineage_abi.h"

struct collector;
struct sink;
struct source_ops; /* include/jobtrace/source.h: the collector's and its sources' alone */
struct host_sample;
struct host_rates;

/* How a job ends (struct cjob.end_rule). */
enum cjob_end {
	CJOB_END_ROOT, /* run: its root exited, and (waiting for the tree) nothing is left */
	CJOB_END_EMPTY, /* watch --pid, host mode: its last process is gone */
	CJOB_END_CGROUP_GONE, /* watch --cgroup: its cgroup was removed */
};

/* Cumulative figures of a job at one sample; intervals are differences of two. */
struct cjob_cum {
	__u64 cpu_ns, user_ns, system_ns;
	__u64 started, exited, exit_ok, exit_error, exit_signal, execs, threads;
	__u64 oom_kills; /* of exit_signal, the OOM killer's (counted at its mark) */
	__u64 read_bytes, write_bytes;
	__u64 existing, moved_in, moved_out;
	/* Ring records of its processes the kernel dropped, each kind apart. */
	__u64 exit_records_lost, fork_records_lost, exec_records_lost;
};

/* A job key's room, its NUL included: a longer key is cut to CJOB_KEY_SIZE - 1 bytes. */
#define CJOB_KEY_SIZE 300

/*
 * What a job's cumulative figures keep of their own beside the kernel's
 * totals (job.stats, read at the same sample): its CPU and I/O with the
 * live tasks' added, kept monotone from sample to sample, and the counts
 * a job's end shows (top, ApMon), which a job rebuilt from history sets
 * apart from its totals. cjob__cum() gives all of them; serve keeps one
 * per job, where a whole second copy of the counts was 152 bytes.
 */
struct cjob_mono {
	__u64 cpu_ns, user_ns, system_ns;
	__u64 read_bytes, write_bytes;
	__u64 started, exited, exit_error, exit_signal, oom_kills;
};

/* A job as the collector keeps it. */
struct cjob {
	__u64 id;
	/*
	 * The report: kernel totals, commands, failures. Its key ("run",
	 * "pid:1234", "cgroup:/system.slice/x", "tree:1234:bash") is made to
	 * its length by the job table in the cjob's own allocation, right
	 * after it (serve keeps 10,000 jobs: the room of the longest in each
	 * was 2.6 MB of a 40-byte key's jobs), and job.key points at it: no
	 * second pointer to it here. Its hierarchy's name (job.hierarchy) is
	 * its own copy where hierarchy_owned says so (a cgroup followed by
	 * path), else the collector's one name. When grouped by cgroup, its
	 * cgroup is its key's own bytes after "cgroup:" (the key is never cut
	 * there: a path is at most 255 bytes), not a copy of them. Its
	 * workdir, job.workdir_path measured when the job ends, is the
	 * cjob's, made then (run's job alone has one) and freed with it.
	 */
	struct job job;
	struct job_live live; /* live members at the last sample */
	/* At the sample before, the base of the CPU rate: all of job_live it reads. */
	__u64 prev_sampled_ns, prev_cpu_ns, prev_exited_cpu_ns;
	struct cjob_mono cum; /* at the last sample, with job.stats: cjob__cum() */
	__u64 live_cpu_ns, live_system_ns, live_read_bytes, live_write_bytes;
	/* The largest RSS a live read saw of one of its processes: a floor of their peak. */
	__u64 live_peak_rss_bytes;
	int cgroup_dirfd; /* CJOB_END_CGROUP_GONE: the watched directory */
	/* Tasks seen by the last live read (a pid's room: beside the 4-byte fields, no hole). */
	__u32 live_tasks;
	__u32 idle_samples; /* samples in a row that saw no task and alive <= 0 */
	/*
	 * The tasks the live read found at the last interval record: with the
	 * processes and threads begun since (reported's counts are those of
	 * then), what bounds the CPU it can have used since
	 * (collector__tasks_bound()).
	 */
	__u32 reported_tasks;
	struct cjob_cum reported; /* at the last interval record */
	__u64 reported_ns;
	__u64 open_ns; /* the last sample that found it open by its end rule: it ends no earlier */
	struct hmap_node index_node; /* the collector's index of open jobs, by id */
	/*
	 * The small fields in one 8-byte word (serve keeps 10,000 jobs): the
	 * host's memory, for a job's share of it, is job.host_mem_bytes.
	 */
	__u8 end_rule; /* enum cjob_end */
	bool sampled; /* a sample has read it */
	bool over; /* found over in this turn of the loop */
	bool ended;
	bool key_truncated; /* rebuilt from the stream, whose key was cut (beside the flags: no hole) */
	bool reported_tasks_known; /* reported_tasks is: the source reads every task */
	bool adopted; /* serve --control's: an adopted process's threads are counted nowhere */
	bool hierarchy_owned; /* job.hierarchy is its own copy, freed with it */
};

/* @j's cumulative figures at its last sample (monotone). */
void cjob__cum(const struct cjob *j, struct cjob_cum *out);

/*
 * An interval shorter than this gives its counts but no rate (null in JSON,
 * the last rate kept on top's screen): its CPU is read at its two edges,
 * and a thread between its exit and its last switch at the first edge is
 * in neither reading, so a job's last, sub-millisecond interval (from the
 * sample before its end to its last exit) may carry that thread's CPU; a
 * rate over it would divide that by almost nothing.
 */
#define INTERVAL_RATE_MIN_NS 10000000ULL

/* One interval of one job: everything counted between two samples. */
struct interval_record {
	const struct cjob *job;
	__u64 t0_ns, t1_ns; /* CLOCK_MONOTONIC */
	__u64 t0_epoch_ns, t1_epoch_ns; /* the same, in ns since the epoch */
	struct cjob_cum d; /* t0 .. t1 */
	__u64 alive; /* processes alive at t1 */
	__u64 rss_bytes, pss_bytes, vm_bytes, open_files;
	bool pss;
	__u32 incomplete; /* the job's report so far: job__incomplete_mask() */
	/*
	 * The most CPUs its CPU can have kept busy over it: the online ones,
	 * or fewer, the tasks of the job that can have run in it (at least
	 * 1). 0: not known.
	 */
	__u32 cpu_cap;
};

/*
 * @r's CPU over its interval as a share of one CPU (100: one CPU all
 * along), into @pct; false when the interval is too short to give one.
 * Never more than 100 for each of the job's tasks that can have run in it
 * and for each online CPU: the kernel brings a running thread's CPU up to
 * date at its ticks (every 1/HZ s), not when it is read, so the CPU read
 * at an interval's start can lag by up to a tick a running thread, and the
 * interval's total_ns hold that much more than it used. The job's total
 * is the kernel's, exact: the next interval, or the last, has the lag.
 */
bool interval_record__cpu_pct(const struct interval_record *r, double *pct);

/* The host at one sample, with rates over the interval. */
/*
 * Bits of host_record.unknown: figures the current sample could not read (a
 * /proc file that failed to open or parse), to print as null, not as 0.
 */
enum {
	HOST_RECORD_NO_STAT = 1 << 0, /* ncpus, procs_running, procs_blocked */
	HOST_RECORD_NO_MEM = 1 << 1,  /* mem_*, swap_* */
	HOST_RECORD_NO_LOAD = 1 << 2, /* load1, load5, load15 */
};

struct host_record {
	__u64 t0_ns, t1_ns;
	__u64 t0_epoch_ns, t1_epoch_ns; /* the same, in ns since the epoch */
	/* HOST_RECORD_NO_*; 0 (all known) in a record read back from a stream. */
	__u32 unknown;
	double cpu_busy_pct; /* of all CPUs; < 0 unknown */
	double cpu_user_pct, cpu_system_pct, cpu_iowait_pct;
	unsigned int ncpus;
	__u64 mem_total_bytes, mem_available_bytes, mem_used_bytes;
	__u64 swap_total_bytes, swap_used_bytes;
	double load1, load5, load15;
	double forks_per_s, ctxt_per_s; /* < 0 unknown */
	__u64 procs_running, procs_blocked;
	/* Ring records lost since the start, all jobs: exit, fork (the stream's), exec records. */
	__u64 events_lost, fork_records_lost, exec_records_lost;
	const struct host_sample *sample; /* all `jobtrace system` reads */
	const struct host_rates *rates; /* its rates over the interval; NULL if unknown */
};

/* The host record between two host samples (user/collect/host_record.c). */
void host_record__from_samples(const struct host_sample *prev, const struct host_sample *cur,
			       const struct host_rates *rates, struct host_record *r);

/*
 * The host's fork counter to record: /proc/stat's @raw `processes`, or more
 * where the jobs' starts read since the last one recorded (@last, if
 * @have_last) exceed what the counter moved. The jobs' counts and the host's
 * are read one after the other: a fork between the two reads is the host's
 * in one interval and a job's in the next, and a burst there put a job's
 * starts/s above the host's forks/s. Raised, the counter is the host's in
 * the interval the jobs saw it; it is the kernel's again once the kernel's
 * passes it (the next interval, or the one after: the counter also counts
 * threads, which no job's starts do).
 */
__u64 host_record__forks(__u64 raw, __u64 last, bool have_last, __u64 jobs_started);

/* One process that ended, with what the collector knows of it. */
struct proc_record {
	const struct jt_exit_event *e;
	const struct cjob *job;
	const char *args; /* NUL-separated argv; NULL when not known */
	size_t args_len;
	bool args_truncated;
	bool args_inherited; /* it never exec'd: its parent's arguments */
	/* The path it last exec'd (its parent's, with args_inherited), NUL-terminated; NULL: not known. */
	const char *exe;
	__u64 start_epoch_ns, end_epoch_ns; /* its start and exit, in ns since the epoch */
	double start_epoch_s, end_epoch_s; /* the same in seconds */
	const char *cgroup; /* e->cgroup_id's path in its hierarchy; NULL: not known, or gone */
	int cgroup_hierarchy; /* that hierarchy, as /proc/PID/cgroup numbers it: 0 is v2 */
	const struct job_oom *oom; /* the OOM killer took it: which limit; NULL: it did not */
	/* The uid's name as a kept record has it (history); NULL: this host's, looked up. */
	const char *user;
};

/* A process that started (serve's fork records) and one that exec'd. */
struct fork_record {
	const struct jt_fork_event *e;
	const struct cjob *job;
	const char *cgroup; /* as proc_record's */
	int cgroup_hierarchy;
	__u64 start_epoch_ns; /* its start, in ns since the epoch */
};

struct exec_record {
	const struct jt_exec_event *e;
	const struct cjob *job;
	__u64 epoch_ns; /* when the collector read it (the kernel stamps no exec) */
};

/*
 * A live task of a job at a sample (one per thread; leaders carry the
 * process's memory and fds), for sinks that show processes (top).
 */
struct live_record {
	const struct jt_live_rec *r;
	const struct cjob *job;
	__u64 sampled_ns; /* CLOCK_MONOTONIC of the sample it belongs to */
	/*
	 * Leaders: (4) ppid and (2) comm as /proc has them at the sample, for
	 * the tree and the COMMAND a sink shows; false when not read.
	 */
	bool have_stat;
	__u32 ppid;
	char comm[64]; /* any bytes but NUL */
};

/* What the event source holds and does, as a front asks it (0: the source's default). */
struct collector_source {
	__u32 ring_bytes; /* --ring-kb: the ring buffer, rounded up to a power of two; 0: 1 MiB */
	__u32 max_procs; /* --max-procs: processes tracked at once; 0: the kernel's pid_max */
	__u32 max_jobs; /* --max-jobs: jobs at once; 0: 4096 */
	bool verbose; /* the loader's messages (the verifier log) */
	bool attach; /* processes already running can be found (watch, top, serve) */
	bool adopt; /* serve --control: running processes can be moved into jobs */
	bool fork_records; /* a record per new process (serve --stream) */
	bool no_args; /* --no-args: no command line or program path is recorded */
};

/* How the jobs are made: by lineage, or in host mode by --group-by. */
enum collector_group {
	COLLECTOR_GROUP_LINEAGE = 0, /* the jobs the front follows, a child in its parent's */
	COLLECTOR_GROUP_CGROUP, /* host mode: a job per cgroup of one hierarchy */
	COLLECTOR_GROUP_TREE, /* host mode: a job per child of init or of a subreaper */
	COLLECTOR_GROUP_SESSION, /* host mode: a job per session */
	COLLECTOR_GROUP_USER, /* host mode: a job per real uid */
};

/* Host mode's grouping, as collector__group_by() chose it. */
struct collector_grouping {
	enum collector_group group;
	struct cgroup_hier hier; /* COLLECTOR_GROUP_CGROUP: the hierarchy */
	char why[256]; /* the default's choice and its reason; "" when --group-by chose */
};

/*
 * Host mode (watch --all, top, serve) from --group-by (NULL: "cgroup", the
 * hierarchy where the host's processes are, else tree): reads /proc and
 * fills @g. Prints why it failed; a negative errno then
 * (user/collect/collector_group.c).
 */
int collector__group_by(const char *group_by, struct collector_grouping *g);
/* What makes the jobs, as said on stderr: tree, session, user, or the hierarchy's name. */
const char *collector__group_name(const struct collector_grouping *g, char *buf, size_t size);

struct collector_opts {
	struct collector_source source;
	struct collector_grouping grouping; /* zero: jobs by lineage (run, watch --pid) */
	/* --cgroup's hierarchy (collector__follow_cgroup()), read at the open; NULL: no --cgroup */
	const struct cgroup_hier *follow_hier;
	const struct source_ops *ops; /* NULL: BPF; set by collector__set_mode() (or a test) */
	bool fallback_proc; /* ops NULL: where BPF cannot load, the proc connector */
	bool fallback_rusage; /* run: where neither can be used, the rusage source */
	double interval_s; /* interval records every so often; 0: none */
	double duration_s; /* stop after; 0: until the jobs end or a signal */
	bool pss; /* PSS/USS of live members (smaps_rollup: walks page tables) */
	bool events; /* process records (and exec arguments) */
	bool host_records; /* a host record each interval */
	/*
	 * With host_records: at a stop (a signal, --duration), a host record
	 * over the time since the last, the time of the jobs' last intervals
	 * (top draws its own last frame: not for it).
	 */
	bool host_record_at_stop;
	bool run_no_wait; /* run: end at the root's exit */
	bool stop_when_jobs_end; /* watch: end when every job has ended (not host mode) */
};

/*
 * --mode: "bpf", "proc" or "rusage" forces that source; NULL or "auto" takes
 * BPF, falls back to proc where BPF cannot load, and (where the front set
 * fallback_rusage: run) to rusage where the proc connector is refused too.
 * -EINVAL for anything else.
 */
int collector__set_mode(struct collector_opts *opts, const char *mode);

struct collector *collector__new(const struct collector_opts *opts);
void collector__free(struct collector *c);
/* The sinks, in order; the collector owns them from here. */
int collector__add_sink(struct collector *c, struct sink *s);

/* A job the front asks to follow; returned pointer stays valid until free. */
struct cjob *collector__add_job(struct collector *c, __u64 id, const char *key,
				enum cjob_end end_rule);
struct cjob *collector__find_job(struct collector *c, __u64 id);
/* The event source that runs: "bpf", "proc" or "rusage" (after any fallback). */
const char *collector__source_name(const struct collector *c);

/*
 * What a front means, in its words (user/collect/collector_follow.c): the
 * collector makes the job, fills its report's fields and tells the source.
 * A front never calls the source's ops itself.
 */
/* run: job @id, its command @argv (@argc), run in @workdir (measured at the end; NULL: none). */
struct cjob *collector__follow_command(struct collector *c, __u64 id, char *const *argv, int argc,
				       const char *workdir);
/* run: job @j begins now, before its root forks: its times count from here. */
void collector__job_begins(struct collector *c, struct cjob *j);
/* run: the command's root, its pid given by the front (forked, not yet exec'd). */
int collector__set_root(struct collector *c, struct cjob *j, pid_t pid);
/*
 * watch, top --pid P: P and its descendants as job @id, its report's mode
 * @mode; its start time tells it from a later process with its pid. Prints why not.
 */
int collector__follow_pid(struct collector *c, __u64 id, pid_t pid, const char *mode);
/*
 * After collector__attach_existing(): -ESRCH when the attach found nothing
 * of the process job @id follows (--pid @pid ended in between). Prints why.
 */
int collector__check_attached(struct collector *c, __u64 id, pid_t pid);
/* --cgroup PATH (in hierarchy @h): the cgroup and below, present and future, until removed. */
int collector__follow_cgroup(struct collector *c, __u64 id, const char *path,
			     const struct cgroup_hier *h, const char *mode);

/* serve --control: can the source adopt a running process (@tree: with its descendants)? */
bool collector__can_adopt(const struct collector *c, bool tree);
/* What collector__adopt() could not do. */
enum collector_adopt_failed {
	COLLECTOR_ADOPT_NO_JOB, /* the new job (no memory): nothing was made */
	COLLECTOR_ADOPT_NO_SOURCE_JOB, /* the source refused it: it ends, empty, at once */
	COLLECTOR_ADOPT_PROCESS, /* the process: a new job ends, empty, at once */
};
/* Who joins an adopted job, and how. */
struct collector_adopt {
	const char *new_key; /* non-NULL: the job is new, named so, and @pid its root */
	const struct job_sched_alloc *sched; /* a new job's batch allocation, or NULL */
	pid_t pid;
	uid_t uid; /* JT_ADOPT_UID: the user whose processes move */
	__u64 start_ns; /* proc_pid__start_ns(): a later process with its pid is not it */
	__u64 flags; /* JT_ADOPT_* */
	bool tree; /* ATTACH: with the descendants already running */
	/* out, for a tree: the processes counted existing, those left out as not @uid's */
	__u64 existing;
	unsigned long left_out;
	enum collector_adopt_failed failed; /* out, on an error: what could not be done */
};
/*
 * @a's process (and with @a->tree its descendants) join job @id, made
 * first with @a->new_key; -EOPNOTSUPP: the source cannot.
 */
int collector__adopt(struct collector *c, __u64 id, struct collector_adopt *a);
/* The source's figures of job @id now, fresher than the last sample's. */
int collector__job_stats(struct collector *c, __u64 id, struct jt_job_stats *out);
/* The signal mask to restore in a child before it execs (the loop blocks its signals). */
const sigset_t *collector__child_sigmask(const struct collector *c);
/* watch: tags what is already running (two passes); counts processes found. */
int collector__attach_existing(struct collector *c);
/*
 * serve --control REPORT: job @id's report as it stands, as a Ctrl-C would
 * give it, into @out, from a fresh sample; the job goes on. @out shares
 * the job's lists and live figures: use it before the loop turns again.
 * -ENOENT when the job is not open.
 */
int collector__job_now(struct collector *c, __u64 id, struct job *out);

/*
 * A front's own fd in the loop (top's terminal, serve's listening socket and
 * its clients): @fn runs in the loop when epoll reports @events on it.
 */
typedef void (*collector_fd_fn)(void *ctx, int fd, __u32 events);
int collector__add_fd(struct collector *c, int fd, __u32 events, collector_fd_fn fn, void *ctx);
int collector__remove_fd(struct collector *c, int fd);
/* The events the loop waits for on @fd, added before (EPOLLOUT while a reply waits). */
int collector__set_fd_events(struct collector *c, int fd, __u32 events);
/*
 * A signal the front handles itself (top: SIGWINCH), taken through the
 * loop's signalfd; before collector__run() only.
 */
int collector__add_signal(struct collector *c, int signo, void (*fn)(void *ctx, int signo),
			  void *ctx);
/*
 * A host record now, over the time since the last one, to the sinks: top's
 * last frame, when the jobs it follows ended between two ticks, has the
 * host's figures over the same time as theirs. Under INTERVAL_RATE_MIN_NS
 * after the last, it waits out the rest: a rate needs that much. -EAGAIN
 * where there is none to close (no host records, none yet) or the host
 * could not be read.
 */
int collector__emit_host_now(struct collector *c);
/* Interval records every @seconds from now on (top's 'd' key); -EINVAL unless > 0. */
int collector__set_interval(struct collector *c, double seconds);
double collector__interval(const struct collector *c);

/* The loop. Returns 0, or a negative errno when the loop itself failed. */
int collector__run(struct collector *c);
/* Asks the loop to end at its next turn (from a signal, a sink, a test). */
void collector__stop(struct collector *c);
/*
 * Asks the loop to sample the jobs and judge their ends at this turn rather
 * than at the next tick (serve --control: a client waits for a job it says
 * is over, and a tick is a second in host mode).
 */
void collector__sample_soon(struct collector *c);

/* The kernel's counters and the collector's own, for the reports. */
struct collector_stats {
	struct jt_counters kernel;
	__u64 records_malformed; /* ring records that failed to decode */
	__u64 add_exit_errors; /* records that could not be folded (no memory) */
	__u64 records_unknown_job; /* records of a job the table never saw (counted, kept) */
	__u64 records_late; /* records come after their job's end, counted lost in its report */
	__u64 jobs_ended;
	__u64 sink_errors; /* sinks that failed or dropped records (a full disk) */
	int first_sink_error; /* its errno, negative */
	const char *first_sink_path; /* its file, as its messages name it (the sink's) */
	__u64 repairs; /* processes counted alive that were gone, removed by the repair sweep */
	/*
	 * CLOCK_REALTIME minus CLOCK_BOOTTIME and minus CLOCK_MONOTONIC, taken
	 * once per pass of the loop: every record of a pass, in every sink,
	 * is stamped with the same offsets (the epoch times in the records).
	 */
	__u64 boot_to_epoch_ns, mono_to_epoch_ns;
};
void collector__stats(struct collector *c, struct collector_stats *out);


#ifdef __cplusplus
}
#endif

#endif
