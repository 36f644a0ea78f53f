// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event source without BPF: the netlink proc connector (fork, exec,
 * exit with its wait status) and /proc. The collector's source_ops, as
 * user/collect/source_bpf.c fills them, for hosts where BPF cannot load.
 *
 * Membership is lineage kept here: a table of member processes (tgid and
 * start time, its job); at a fork a child of a member joins its parent's
 * job. At an exit, sent when the process is gone but before its parent
 * reaps it, /proc/PID/stat (and io, schedstat) of the zombie gives what the
 * kernel's exit hook would: its CPU, threads included. A parent that reaps
 * before we read takes that with it: the process then keeps the CPU our
 * last sample saw. run's job closes that gap with getrusage(RUSAGE_CHILDREN)
 * once everything is reaped (see jobtrace(8), WITHOUT BPF). Its I/O is
 * the zombie's less what it reaped of children counted apart
 * (source_proc_io.c).
 *
 * What it cannot do: follow cgroups (watch --cgroup, host mode), see a
 * child that forks and dies between our reads of a lost stretch of
 * messages. Lost messages are counted exactly (per-CPU sequence numbers)
 * and followed by a /proc source_proc__resync.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/cn_proc.h"
#include "jobtrace/collector.h"
#include "jobtrace/ns.h"
#include "jobtrace/source.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

#include "source_proc_priv.h"

struct proc_src *source_proc__of(struct collector *c)
{
	return *collector__source_priv(c);
}

/* ---- tables ---- */

static struct pproc **bucket_of(struct proc_src *s, __u32 tgid)
{
	return &s->buckets[(tgid * 2654435761U) & (NBUCKETS - 1)];
}

struct pproc *source_proc__find(struct proc_src *s, __u32 tgid)
{
	for (struct pproc *p = *bucket_of(s, tgid); p; p = p->next)
		if (p->tgid == tgid)
			return p;
	return NULL;
}

/*
 * @p's v2 cgroup: the "0::" line of /proc/PID/cgroup, the directory it
 * names under the mount, and that directory's inode, which is the kernfs
 * id the BPF side reads. Left as it was when it cannot be read (reaped).
 */
static void read_cgroup(struct proc_src *s, struct pproc *p)
{
	struct proc_cgroup cg;
	const char *rel;
	struct stat sb;

	if (s->cgroup2_fd < 0 || proc_pid__read_cgroup(s->proc_fd, (int)p->tgid, &cg))
		return;
	rel = cg.unified_path;
	if (rel) {
		while (*rel == '/')
			rel++;
		if (!fstatat(s->cgroup2_fd, *rel ? rel : ".", &sb, 0))
			p->cgroup_id = (__u64)sb.st_ino;
	}
	proc_cgroup__free(&cg);
}

/*
 * Where a new member lives: its pid in its own pid namespace (a container's
 * number, fixed for its life) and its cgroup. Read when it joins, as a
 * parent may reap it before its exit is handled; the cgroup again at the exit.
 */
static void read_place(struct proc_src *s, struct pproc *p)
{
	struct proc_status st;

	if (!proc_pid__read_status(s->proc_fd, (int)p->tgid, &st))
		p->ns_pid = (__u32)st.ns_pid;
	read_cgroup(s, p);
}

struct pproc *source_proc__add(struct proc_src *s, __u32 tgid)
{
	struct pproc **b = bucket_of(s, tgid), *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->tgid = tgid;
	p->threads = 1;
	p->next = *b;
	*b = p;
	read_place(s, p);
	return p;
}

void source_proc__remove(struct proc_src *s, struct pproc *gone)
{
	for (struct pproc **pp = bucket_of(s, gone->tgid); *pp; pp = &(*pp)->next) {
		if (*pp == gone) {
			*pp = gone->next;
			free(gone);
			return;
		}
	}
}

struct pjob *source_proc__job_find(struct proc_src *s, __u64 id)
{
	for (size_t i = 0; i < s->njobs; i++)
		if (s->jobs[i].id == id)
			return &s->jobs[i];
	return NULL;
}

static struct pjob *job_add(struct proc_src *s, __u64 id)
{
	struct pjob *j = source_proc__job_find(s, id);

	if (j)
		return j;
	if (s->njobs == MAX_JOBS)
		return NULL;
	j = &s->jobs[s->njobs++];
	memset(j, 0, sizeof(*j));
	j->id = id;
	j->st.cgroup_hierarchy = -1;
	j->st.outlived_root = -1;
	return j;
}

void source_proc__job_count_new(struct pjob *j)
{
	j->st.alive++;
	if ((__u64)j->st.alive > j->st.max_alive)
		j->st.max_alive = (__u64)j->st.alive;
}

/* ---- /proc reads ---- */

/* The kernel's comm is 15 bytes; a kernel thread's stat may say more, cut here. */
static void set_comm(struct pproc *p, const char *comm)
{
	size_t n = strnlen(comm, sizeof(p->comm) - 1);

	memcpy(p->comm, comm, n);
	p->comm[n] = '\0';
}

/* (22) starttime of /proc/PID/stat as CLOCK_BOOTTIME ns: tick resolution. */
__u64 source_proc__start_ns_of(const struct proc_src *s, const struct proc_stat_fields *st)
{
	return st->starttime_ticks * s->tick_ns;
}

/* Is what /proc/PID/stat shows the process we knew (pids are reused)? */
bool source_proc__same_process(const struct proc_src *s, const struct pproc *p,
			       const struct proc_stat_fields *st)
{
	__u64 start = source_proc__start_ns_of(s, st);
	__u64 d = start > p->start_ns ? start - p->start_ns : p->start_ns - start;

	/* starttime is cut to a tick; a fork's time is the event's, a little later. */
	return d <= 2 * s->tick_ns;
}

/*
 * The process's CPU in ns: (14) utime + (15) stime in ticks, its threads
 * and its dead threads included, cut to 10 ms each; a single-threaded
 * process's schedstat has the exact runtime (ns), taken when larger.
 */
static __u64 cpu_ns_of(struct proc_src *s, pid_t pid, const struct proc_stat_fields *st)
{
	__u64 ticks_ns = (st->utime_ticks + st->stime_ticks) * s->tick_ns;
	char path[48], buf[96];
	unsigned long long run_ns;

	if (st->num_threads > 1)
		return ticks_ns;
	snprintf(path, sizeof(path), "%d/schedstat", pid);
	if (util__read_file_at(s->proc_fd, path, buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%llu", &run_ns) == 1 && run_ns > ticks_ns)
		return run_ns;
	return ticks_ns;
}

/* Reads @p's figures now; false when it is gone or is another process by now. */
bool source_proc__read(struct proc_src *s, struct pproc *p, struct proc_stat_fields *st)
{
	struct proc_io io;
	__u64 cpu;

	if (proc_pid__read_stat(s->proc_fd, (int)p->tgid, st) || !source_proc__same_process(s, p, st))
		return false;
	cpu = cpu_ns_of(s, (pid_t)p->tgid, st);
	if (cpu >= p->last_cpu_ns)
		p->last_cpu_ns = cpu;
	p->last_utime_ns = st->utime_ticks * s->tick_ns;
	p->last_stime_ns = st->stime_ticks * s->tick_ns;
	if (st->rss_pages > 0 && (__u64)st->rss_pages * s->page_size > p->peak_rss_bytes)
		p->peak_rss_bytes = (__u64)st->rss_pages * s->page_size;
	if (!proc_pid__read_io(s->proc_fd, (int)p->tgid, &io))
		source_proc__io_read(p, &io);
	if (st->comm[0] && st->state != 'Z')
		set_comm(p, st->comm);
	return true;
}

/* ---- events ---- */

static void on_proc_fork(struct proc_src *s, const struct cn_proc_event *ev)
{
	struct pproc *parent = source_proc__find(s, ev->parent_tgid), *p;
	__u64 start = ev->timestamp_ns + s->mono_to_boot_ns;
	struct pjob *j;

	if (ev->pid != ev->tgid) {
		/* A thread: its process counts it; its CPU stays in the process's. */
		p = source_proc__find(s, ev->tgid);
		if (p && (j = source_proc__job_find(s, p->job_id))) {
			p->threads++;
			j->st.threads_started++;
		}
		return;
	}
	if (!parent || !(j = source_proc__job_find(s, parent->job_id)))
		return;
	p = source_proc__find(s, ev->tgid);
	if (p) {
		/* The source_proc__resync found it first, or its exit was lost and the pid reused. */
		__u64 d = start > p->start_ns ? start - p->start_ns : p->start_ns - start;

		if (d <= 2 * s->tick_ns)
			return;
		source_proc__io_gone_unseen(s, p);
		source_proc__remove(s, p);
		/* It had gone by the fork that took its pid. */
		pjob__exit_unseen(j, start);
	}
	p = source_proc__add(s, ev->tgid);
	if (!p) {
		j->st.untracked++;
		s->counters.untracked++;
		return;
	}
	p->job_id = parent->job_id;
	p->ppid = parent->tgid;
	p->parent_start_ns = parent->start_ns;
	p->start_ns = start;
	memcpy(p->comm, parent->comm, sizeof(p->comm));
	j->st.procs_started++;
	source_proc__job_count_new(j);
}

static void on_proc_exec(struct proc_src *s, const struct cn_proc_event *ev)
{
	struct pproc *p = source_proc__find(s, ev->tgid);
	struct jt_exec_event e = {
		.version = JT_ABI_VERSION,
		.type = JT_REC_EXEC,
		.size = sizeof(e),
	};
	char path[48];
	struct pjob *j;
	ssize_t n;

	if (!p || !(j = source_proc__job_find(s, p->job_id)))
		return;
	j->st.execs++;
	p->flags |= JT_F_EXECED;
	snprintf(path, sizeof(path), "%u/comm", p->tgid);
	n = util__read_file_at(s->proc_fd, path, p->comm, sizeof(p->comm));
	if (n > 0)
		p->comm[strcspn(p->comm, "\n")] = '\0';
	if (!s->capture_args)
		return;
	/* Its arguments now: at the exit, a zombie's cmdline is empty. */
	snprintf(path, sizeof(path), "%u/cmdline", p->tgid);
	{
		char buf[JT_ARGS_LEN + 1];

		n = util__read_file_at(s->proc_fd, path, buf, sizeof(buf));
		if (n <= 0)
			return;
		e.truncated = n > JT_ARGS_LEN;
		e.args_len = (__u16)(n > JT_ARGS_LEN ? JT_ARGS_LEN : n);
		memcpy(e.args, buf, e.args_len);
	}
	/* No exec record here: the kernel's path, cut by the exec record's rule. */
	{
		struct proc_link exe;

		if (!proc_pid__read_exe(s->proc_fd, (int)p->tgid, &exe) && exe.len)
			proc_link__exe(&exe, e.exe, sizeof(e.exe));
	}
	e.job_id = p->job_id;
	e.pid = p->tgid;
	e.start_ns = p->start_ns;
	collector__on_exec(s->c, &e);
}

static void on_comm(struct proc_src *s, const struct cn_proc_event *ev)
{
	struct pproc *p = source_proc__find(s, ev->tgid);

	/* prctl(PR_SET_NAME) of the main thread names the process, as comm does. */
	if (p && ev->pid == ev->tgid)
		set_comm(p, ev->comm);
}

static void on_proc_exit(struct proc_src *s, const struct cn_proc_event *ev)
{
	struct pproc *p = source_proc__find(s, ev->tgid);
	struct jt_exit_event e = {
		.version = JT_ABI_VERSION,
		.type = JT_REC_EXIT,
		.size = sizeof(e),
		/* The connector's exit says neither. */
		.uid = JT_ID_UNKNOWN,
		.gid = JT_ID_UNKNOWN,
	};
	struct proc_stat_fields st;
	__u32 reaper;
	__u64 cpu, sys;
	struct pjob *j;
	struct pio io;
	bool zombie;

	if (ev->pid == ev->tgid && ev->parent_tgid)
		s->exit_parents = true;
	/* A thread's end: its CPU is in its process's figures, read at the process's end. */
	if (ev->pid != ev->tgid || !p || !(j = source_proc__job_find(s, p->job_id)))
		return;
	/* The zombie, while its parent has not reaped it yet. */
	zombie = source_proc__read(s, p, &st);
	if (zombie) {
		set_comm(p, st.comm);
		read_cgroup(s, p); /* a container's process may have moved since it started */
	}
	/* Its children's ends are all in by now: what it did not reap went to its reaper. */
	source_proc__io_settle(s, p);
	source_proc__io_own(p, &io);
	cpu = p->last_cpu_ns > p->base_cpu_ns ? p->last_cpu_ns - p->base_cpu_ns : 0;
	sys = jt_cputime_system(cpu, p->last_utime_ns, p->last_stime_ns);

	if (ev->exit_code & 0x7f)
		j->st.exit_signal++;
	else if (ev->exit_code & 0xff00)
		j->st.exit_error++;
	else
		j->st.exit_ok++;
	j->st.procs_exited++;
	j->st.cpu_ns += cpu;
	j->st.system_ns += sys;
	j->st.user_ns += cpu - sys;
	j->st.exited.cpu_ns += cpu;
	j->st.exited.utime_ns += cpu - sys;
	j->st.exited.stime_ns += sys;
	j->st.exited.read_bytes += io.read_bytes;
	j->st.exited.write_bytes += io.write_bytes;
	j->st.exited.read_chars += io.rchar;
	j->st.exited.write_chars += io.wchar;
	if (p->peak_rss_bytes > j->st.peak_rss_bytes)
		j->st.peak_rss_bytes = p->peak_rss_bytes;
	j->st.events_sent++;
	j->st.alive--;
	if (p->is_root)
		j->st.outlived_root = j->st.alive;

	e.job_id = p->job_id;
	e.pid = p->tgid;
	e.ppid = p->ppid;
	e.start_ns = p->start_ns;
	e.parent_start_ns = p->parent_start_ns;
	e.exit_ns = ev->timestamp_ns + s->mono_to_boot_ns;
	/*
	 * The job's last exit, as the connector stamped it (CLOCK_BOOTTIME,
	 * as the kernel's job record has it): its end, not the sample that
	 * noticed it (collector_end.c, job_figures()).
	 */
	if (e.exit_ns > j->st.last_exit_ns)
		j->st.last_exit_ns = e.exit_ns;
	e.exit_status = ev->exit_code;
	e.threads = p->threads;
	e.acct.cpu_ns = cpu;
	e.acct.utime_ns = cpu - sys;
	e.acct.stime_ns = sys;
	e.acct.read_bytes = io.read_bytes;
	e.acct.write_bytes = io.write_bytes;
	e.acct.read_chars = io.rchar;
	e.acct.write_chars = io.wchar;
	e.user_ns = cpu - sys;
	e.system_ns = sys;
	e.peak_rss_bytes = p->peak_rss_bytes;
	e.peak_rss_source = p->peak_rss_bytes ? JT_RSS_SAMPLED : JT_RSS_NONE;
	e.is_root = p->is_root;
	e.flags = p->flags;
	e.ns_pid = p->ns_pid;
	e.cgroup_id = p->cgroup_id;
	memcpy(e.comm, p->comm, sizeof(e.comm));
	/*
	 * Its reaper gets its whole figures: the zombie's parent now, else
	 * the message's (reaped already), else, from a kernel that names
	 * none (before 4.18), its parent at fork.
	 */
	reaper = zombie ? (__u32)st.ppid : ev->parent_tgid;
	if (!reaper && !s->exit_parents)
		reaper = p->ppid;
	source_proc__io_charge(s, p, reaper, !zombie);
	source_proc__remove(s, p);
	s->counters.events_sent++;
	collector__on_exit(s->c, &e);
}

static int on_event(void *ctx, const struct cn_proc_event *ev)
{
	struct proc_src *s = ctx;
	long long gap;

	if (ev->kind == CN_PROC_ACK)
		return 0;
	gap = cn_proc_seq__note(&s->seq, ev->cpu, ev->seq);
	if (gap > 0)
		s->counters.events_lost += (__u64)gap;
	switch (ev->kind) {
	case CN_PROC_FORK:
		on_proc_fork(s, ev);
		break;
	case CN_PROC_EXEC:
		on_proc_exec(s, ev);
		break;
	case CN_PROC_COMM:
		on_comm(s, ev);
		break;
	case CN_PROC_EXIT:
		on_proc_exit(s, ev);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- source_ops ---- */

static int proc_open(struct collector *c, const struct lineage_opts *opts)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	int sz = SOCK_RCVBUF_BYTES, err;
	const char *test_rcvbuf = getenv("JOBTRACE_PROC_RCVBUF");
	struct cgroup_hier hier;
	struct proc_src *s;

	if (opts->group != JT_GROUP_LINEAGE || opts->follow_cgroups) {
		fprintf(stderr, "jobtrace: proc mode follows process trees only (run, watch "
				"--pid); --cgroup and --all need BPF\n");
		return -EOPNOTSUPP;
	}
	/* The kernel would ignore our listen request, without a word (cn_proc.h). */
	if (!cn_proc__in_initial_ns()) {
		/* In a user namespace, BPF cannot either (user/bpf/lineage.c said why). */
		fprintf(stderr, "jobtrace: proc mode cannot work in a pid or user namespace (a "
				"container): the kernel's proc connector serves only the host's; %s\n",
			ns__initial(NS_USER) == 0 ?
				"run jobtrace as root of the host, or through a host's jobtrace "
				"serve --control" :
				"use BPF (--mode bpf, as root)");
		return -EOPNOTSUPP;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->c = c;
	s->capture_args = opts->capture_args;
	s->tick_ns = 1000000000ULL / (__u64)sysconf(_SC_CLK_TCK);
	s->page_size = (__u64)sysconf(_SC_PAGESIZE);
	s->mono_to_boot_ns = util__boottime_ns() - util__now_ns();
	s->charges_prune_at = CHARGES_PRUNE_MIN;
	s->proc_fd = util__open_dir("/proc");
	/* No v2 hierarchy mounted: exit records carry no cgroup (0), as none is there. */
	s->cgroup2_fd = cgroupfs__find_mounted(NULL, &hier) ? -1 : util__open_dir(hier.mount);
	s->sock = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (s->proc_fd < 0 || s->sock < 0) {
		err = s->proc_fd < 0 ? -EACCES : -errno;
		fprintf(stderr, "jobtrace: cannot open the proc connector: %s\n", strerror(-err));
		goto err_free;
	}
	/* A deep queue rides out bursts; without CAP_NET_ADMIN the smaller rmem_max holds. */
	/* JOBTRACE_PROC_RCVBUF: a test's tiny queue, to make it overflow on purpose. */
	if (test_rcvbuf && atoi(test_rcvbuf) > 0)
		sz = atoi(test_rcvbuf);
	if (setsockopt(s->sock, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(s->sock, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	sa.nl_pid = 0;
	if (bind(s->sock, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		fprintf(stderr, "jobtrace: cannot join the proc connector's group: %s\n",
			strerror(-err));
		goto err_free;
	}
	err = cn_proc__listen(s->sock, 0);
	if (err) {
		fprintf(stderr, "jobtrace: cannot listen to the proc connector: %s%s\n",
			strerror(-err), err == -EPERM ? " (it needs CAP_NET_ADMIN in the "
							"host's user namespace)" : "");
		goto err_free;
	}
	*collector__source_priv(c) = s;
	return 0;

err_free:
	if (s->sock >= 0)
		close(s->sock);
	if (s->proc_fd >= 0)
		close(s->proc_fd);
	if (s->cgroup2_fd >= 0)
		close(s->cgroup2_fd);
	free(s);
	return err;
}

static void proc_close(struct collector *c)
{
	struct proc_src *s = source_proc__of(c);

	if (!s)
		return;
	for (size_t b = 0; b < NBUCKETS; b++) {
		struct pproc *p = s->buckets[b], *next;

		for (; p; p = next) {
			next = p->next;
			free(p);
		}
	}
	source_proc__io_free(s);
	cn_proc_seq__free(&s->seq);
	close(s->sock);
	close(s->proc_fd);
	if (s->cgroup2_fd >= 0)
		close(s->cgroup2_fd);
	free(s);
	*collector__source_priv(c) = NULL;
}

static int proc_fd(struct collector *c)
{
	return source_proc__of(c)->sock;
}

static int proc_consume(struct collector *c)
{
	struct proc_src *s = source_proc__of(c);
	struct cn_proc_parse_stats st = {};
	bool lost = false;

	/*
	 * The connector stamps CLOCK_MONOTONIC, which stops in a suspend;
	 * the records' CLOCK_BOOTTIME does not: the gap as it is now, not as
	 * it was at the open (a stamp after a suspend read that much early).
	 */
	s->mono_to_boot_ns = util__boottime_ns() - util__now_ns();
	for (;;) {
		ssize_t n = recv(s->sock, s->buf, sizeof(s->buf), 0);
		__u64 before = s->counters.events_lost;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* The queue overflowed: the next message's number says by how much. */
				s->overruns++;
				lost = true;
				continue;
			}
			break; /* EAGAIN: all read */
		}
		if (n == 0)
			break;
		cn_proc__parse(s->buf, (size_t)n, on_event, s, &st);
		if (s->counters.events_lost != before)
			lost = true;
	}
	*collector__malformed_counter(c) += st.malformed;
	if (st.overrun)
		lost = true;
	if (lost)
		source_proc__resync(s);
	return 0;
}

/*
 * run: we are about to reap @pid, our child and a zombie. Its exit message,
 * where sent, is handled first, its zombie read there; where not sent yet
 * (the kernel sends it just after the zombie is made), the figures it will
 * not find are read now. Either way no member gets its figures.
 */
static void proc_reaping(struct collector *c, pid_t pid)
{
	struct proc_src *s = source_proc__of(c);
	struct proc_stat_fields st;
	struct pproc *p;

	proc_consume(c);
	p = source_proc__find(s, (__u32)pid);
	if (p && source_proc__read(s, p, &st))
		p->reaped_by_us = 1;
	else
		source_proc__io_reaped_by_us(s, (__u32)pid);
}

static int proc_add_root(struct collector *c, __u64 job_id, pid_t root)
{
	struct proc_src *s = source_proc__of(c);
	struct proc_stat_fields st;
	struct pjob *j = job_add(s, job_id);
	struct pproc *p;

	if (!j)
		return -ENOSPC;
	if (proc_pid__read_stat(s->proc_fd, root, &st))
		return -ESRCH;
	p = source_proc__add(s, (__u32)root);
	if (!p)
		return -ENOMEM;
	p->job_id = job_id;
	p->is_root = 1;
	p->start_ns = source_proc__start_ns_of(s, &st);
	p->ppid = (__u32)getpid();
	set_comm(p, st.comm);
	j->st.root_tgid = (__u32)root;
	j->st.procs_started++;
	j->run_root = true;
	source_proc__job_count_new(j);
	return 0;
}

static int proc_add_empty(struct collector *c, __u64 job_id, __s32 cgroup_hierarchy)
{
	if (cgroup_hierarchy >= 0)
		return -EOPNOTSUPP;
	return job_add(source_proc__of(c), job_id) ? 0 : -ENOSPC;
}

static int proc_add_attach_root(struct collector *c, __u64 job_id, pid_t pid, __u64 start_ns,
				__u64 slack_ns)
{
	struct proc_src *s = source_proc__of(c);

	if (s->nroots == MAX_ATTACH_ROOTS || !source_proc__job_find(s, job_id))
		return -ENOSPC;
	s->roots[s->nroots++] = (struct attach_root){ job_id, pid, start_ns, slack_ns };
	source_proc__job_find(s, job_id)->st.root_tgid = (__u32)pid;
	return 0;
}

static int proc_add_watch_cgroup(struct collector *c, __u64 job_id, __u64 cgid, __s32 hierarchy)
{
	return -EOPNOTSUPP;
}

/*
 * run's job: everything it forked is reaped by its parent or by us (the
 * subreaper), so our children's rusage holds all its waited-for CPU and the
 * largest maxrss, exactly, even of processes whose zombie we missed.
 */
static void add_children_rusage(struct pjob *j)
{
	struct rusage ru;
	__u64 user, sys;

	if (getrusage(RUSAGE_CHILDREN, &ru))
		return;
	user = (__u64)ru.ru_utime.tv_sec * 1000000000ULL + (__u64)ru.ru_utime.tv_usec * 1000;
	sys = (__u64)ru.ru_stime.tv_sec * 1000000000ULL + (__u64)ru.ru_stime.tv_usec * 1000;
	if (user + sys > j->st.cpu_ns) {
		j->st.cpu_ns = user + sys;
		j->st.user_ns = user;
		j->st.system_ns = sys;
	}
	/*
	 * The kernel's maxrss of every process reaped so far is the true peak
	 * (that of the largest, its image before an exec included, which is
	 * its parent's, of the job too); a sample above it saw a process not
	 * reaped yet, or auto-reaped, which is in no rusage.
	 */
	j->peak_from_children = ru.ru_maxrss > 0 && (__u64)ru.ru_maxrss * 1024 >= j->st.peak_rss_bytes;
	if (j->peak_from_children)
		j->st.peak_rss_bytes = (__u64)ru.ru_maxrss * 1024;
}

/*
 * Lost messages, exactly: the gaps in each CPU's numbers. An overflow with
 * no message after it to measure by counts as one at least.
 */
static int proc_counters(struct collector *c, struct jt_counters *out)
{
	struct proc_src *s = source_proc__of(c);

	*out = s->counters;
	if (out->events_lost < s->overruns)
		out->events_lost = s->overruns;
	return 0;
}

static int proc_job_stats(struct collector *c, __u64 job_id, struct jt_job_stats *out)
{
	struct proc_src *s = source_proc__of(c);
	struct pjob *j = source_proc__job_find(s, job_id);
	struct jt_counters k;

	if (!j)
		return -ENOENT;
	*out = j->st;
	/* A lost message may have been any job's: each job says so. */
	proc_counters(c, &k);
	out->events_lost = k.events_lost;
	j->peak_from_children = false;
	if (j->run_root) {
		struct pjob tmp = { .st = *out };

		add_children_rusage(&tmp);
		*out = tmp.st;
		j->peak_from_children = tmp.peak_from_children;
	}
	return 0;
}

/* run's job: the children's maxrss, where it covers what samples saw; else the samples'. */
static int proc_peak_rss_from(struct collector *c, __u64 job_id)
{
	struct pjob *j = source_proc__job_find(source_proc__of(c), job_id);

	return j && j->peak_from_children ? JOB_RSS_FROM_CHILDREN : JOB_RSS_FROM_SAMPLES;
}

static int proc_for_each_job(struct collector *c, int (*fn)(void *ctx, __u64 job_id), void *ctx)
{
	struct proc_src *s = source_proc__of(c);

	for (size_t i = 0; i < s->njobs; i++) {
		int err = fn(ctx, s->jobs[i].id);

		if (err)
			return err;
	}
	return 0;
}

/*
 * One record per member process (as a leader): /proc/PID/stat has the whole
 * process. All are read first, then each is given only if it is still alive
 * after all the reads: one that ended and was reaped in between may be in
 * the figures its parent gave, read after that, and would count twice.
 */
static int proc_read_live(struct collector *c, int (*fn)(void *ctx, const struct jt_live_rec *r),
			  void *ctx)
{
	struct proc_src *s = source_proc__of(c);
	struct proc_stat_fields st;

	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct pproc *p = s->buckets[b]; p; p = p->next)
			source_proc__read(s, p, &st);
	for (size_t b = 0; b < NBUCKETS; b++) {
		for (struct pproc *p = s->buckets[b]; p; p = p->next) {
			struct jt_live_rec r = {};
			struct pio io;
			int err;

			if (proc_pid__read_stat(s->proc_fd, (int)p->tgid, &st) ||
			    !source_proc__same_process(s, p, &st) || st.state == 'Z')
				continue;
			source_proc__io_own(p, &io);
			r.job_id = p->job_id;
			r.tgid = r.tid = r.reader_tgid = p->tgid;
			r.start_ns = p->start_ns;
			r.cpu_ns = p->last_cpu_ns > p->base_cpu_ns ? p->last_cpu_ns - p->base_cpu_ns : 0;
			r.utime_ns = p->last_utime_ns;
			r.stime_ns = p->last_stime_ns;
			r.rss_pages = st.rss_pages > 0 ? (__u64)st.rss_pages : 0;
			r.vm_pages = st.vsize_bytes / s->page_size;
			r.read_bytes = io.read_bytes;
			r.write_bytes = io.write_bytes;
			r.is_leader = 1;
			r.flags = p->flags;
			err = fn(ctx, &r);
			if (err)
				return err;
		}
	}
	return 0;
}

static int proc_for_each_proc(struct collector *c,
			      int (*fn)(void *ctx, const struct jt_proc_key *key, __u64 job_id),
			      void *ctx)
{
	struct proc_src *s = source_proc__of(c);

	for (size_t b = 0; b < NBUCKETS; b++) {
		for (struct pproc *p = s->buckets[b]; p; p = p->next) {
			struct jt_proc_key key = { .tgid = p->tgid, .start_ns = p->start_ns };
			int err = fn(ctx, &key, p->job_id);

			if (err)
				return err;
		}
	}
	return 0;
}

/* A member gone from /proc for two sweeps whose exit message never came: as source_proc__resync() does. */
static int proc_drop_proc(struct collector *c, const struct jt_proc_key *key, __u64 *job_id)
{
	struct proc_src *s = source_proc__of(c);
	struct pproc *p = source_proc__find(s, key->tgid);
	struct pjob *j;

	if (!p || p->start_ns != key->start_ns)
		return -ENOENT;
	*job_id = p->job_id;
	j = source_proc__job_find(s, p->job_id);
	if (j)
		pjob__exit_unseen(j, util__boottime_ns());
	source_proc__io_gone_unseen(s, p);
	source_proc__remove(s, p);
	return 0;
}

static int proc_remove_job(struct collector *c, __u64 job_id)
{
	return 0; /* lineage jobs only: they end with the run */
}

const struct source_ops source_proc_ops = {
	.name = "proc",
	/* The connector tells a SIGKILL, not who sent it: OOM kills are not known. */
	.unknown = JOB_UNKNOWN_OOM,
	.open = proc_open,
	.close = proc_close,
	.fd = proc_fd,
	.consume = proc_consume,
	.reaping = proc_reaping,
	.add_root = proc_add_root,
	.add_empty = proc_add_empty,
	.add_attach_root = proc_add_attach_root,
	.add_watch_cgroup = proc_add_watch_cgroup,
	.attach_existing = source_proc__attach_existing,
	.job_stats = proc_job_stats,
	.for_each_job = proc_for_each_job,
	.read_live = proc_read_live,
	.remove_job = proc_remove_job,
	.peak_rss_from = proc_peak_rss_from,
	.counters = proc_counters,
	.for_each_proc = proc_for_each_proc,
	.drop_proc = proc_drop_proc,
};
