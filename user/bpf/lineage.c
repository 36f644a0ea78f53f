// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Loads bpf/lineage.bpf.c and reads its maps and ring buffer. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "jobtrace/core_btf.h"
#include "jobtrace/kernel_btf.h"
#include "jobtrace/loader.h"
#include "jobtrace/lineage.h"
#include "jobtrace/ns.h"
#include "jobtrace/util.h"
#include "lineage.skel.h"
#include "lineage_compat.skel.h"
#include "lineage_priv.h"

#define DEFAULT_MAX_JOBS 4096
/*
 * The process table's array (bpf/lineage_procs.bpf.h) has at most this many
 * slots, 7 MiB of 224 B each, made at every start; where pid_max is
 * larger, a process whose slot is taken goes to the spill hash, which is
 * allocated as used.
 */
#define PROC_SLOTS_MAX (32U * 1024)
/* The spill's room where --max-procs does not set it: pids come round to slots not yet freed. */
#define PROC_SPILL_MIN 4096U
/*
 * Processes held at once where --max-procs does not say: pid_max, at most
 * this. A hash's bucket array is sized by its most entries, allocated and
 * zeroed at the load even when its entries are allocated as used:
 * pid_max's 4,194,304 (systemd's on 64-bit hosts, and a new pid
 * namespace's since Linux 6.14) made it 64 MiB of kernel memory and
 * 60-150 ms of every start. A host past this many live processes counts
 * the rest as procs_map_full and says to raise --max-procs.
 */
#define PROC_DEFAULT_MAX (128U * 1024)
#define DEFAULT_RING_BYTES (1U << 20)
#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"


__u32 lineage__pid_max(__u32 fallback)
{
	char buf[32];
	unsigned long v;

	if (util__read_file_at(AT_FDCWD, "/proc/sys/kernel/pid_max", buf, sizeof(buf)) <= 0)
		return fallback;
	v = strtoul(buf, NULL, 10);
	return v > 0 && v <= 1U << 22 ? (__u32)v : fallback;
}

/*
 * The process table's size: its array's slots (a power of two) and its
 * spill's room. --max-procs N holds N processes at most: slots, the
 * largest power of two not above N, and the rest in the spill (none, when
 * N is a power of two: a process whose slot is taken is then counted as
 * not tracked). Without it, pid_max (at most PROC_DEFAULT_MAX): its
 * worth of slots up to PROC_SLOTS_MAX, and a spill for the rest, or for
 * pids that come round to a slot not yet freed.
 */
static void proc_table_size(struct lineage_bpf *skel, __u32 max_procs)
{
	__u32 pid_max = lineage__pid_max(32768);
	__u32 limit = max_procs ? max_procs : pid_max < PROC_DEFAULT_MAX ? pid_max : PROC_DEFAULT_MAX;
	__u32 slots = 1, spill;

	while (slots * 2 <= limit && slots * 2 <= PROC_SLOTS_MAX)
		slots *= 2;
	spill = limit - slots;
	if (!max_procs && spill < PROC_SPILL_MIN)
		spill = PROC_SPILL_MIN;
	bpf_map__set_max_entries(skel->maps.procs, slots);
	skel->rodata->targ_proc_slot_mask = slots - 1;
	skel->rodata->targ_proc_spill = spill > 0;
	/* A map has one entry at least: an unused spill keeps its one. */
	bpf_map__set_max_entries(skel->maps.procs_spill, spill ? spill : 1);
}

/*
 * Tells the programs which pid namespace user space reads the task
 * iterators from (bpf/lineage.bpf.c, outside_reader_ns()), after the load
 * and before the attach: the kernel numbers its level, which a process
 * inside cannot ask. Inside a container, host mode and watch --cgroup see
 * processes that the iterators never show: they are counted from their
 * fork on, and said so.
 */
static int reader_pidns(struct lineage *lt, const struct lineage_opts *opts)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	__u32 level;

	if (!lt->skel->rodata->targ_reader_in_pidns)
		return 0;
	if (bpf_prog_test_run_opts(bpf_program__fd(lt->skel->progs.reader_ns), &run))
		return -errno;
	if (run.retval)
		return -ENOENT;
	level = lt->skel->bss->reader_pidns_level;
	if (level && (opts->group != JT_GROUP_LINEAGE || opts->follow_cgroups))
		fprintf(stderr, "jobtrace: in a pid namespace: the processes outside it are "
				"counted from their fork on, not those already running; their CPU "
				"so far, memory and open files are not read; their jobs say "
				"outside_pid_namespace\n");
	return 0;
}

static __u32 round_up_pow2(__u32 v)
{
	__u32 p = (__u32)sysconf(_SC_PAGESIZE);

	while (p < v && p < (1U << 30))
		p <<= 1;
	return p;
}

static int handle_record(void *ctx, void *data, size_t size)
{
	struct lineage *lt = ctx;
	struct jt_exec_event x;
	struct jt_exit_event e;
	struct jt_fork_event f;
	__u16 type;

	if (size < 4)
		goto malformed;
	memcpy(&type, (const char *)data + 2, sizeof(type));
	if (type == JT_REC_EXEC) {
		if (lineage__decode_exec(data, size, &x))
			goto malformed;
		return lt->on_exec ? lt->on_exec(lt->ctx, &x) : 0;
	}
	if (type == JT_REC_FORK) {
		if (lineage__decode_fork(data, size, &f))
			goto malformed;
		return lt->on_fork ? lt->on_fork(lt->ctx, &f) : 0;
	}
	if (lineage__decode_exit(data, size, &e))
		goto malformed;
	return lt->on_exit ? lt->on_exit(lt->ctx, &e) : 0;
malformed:
	/* Counted, never silent: the reports show it. Keep reading. */
	if (lt->malformed)
		(*lt->malformed)++;
	return 0;
}

int lineage__decode_exec(const void *data, size_t size, struct jt_exec_event *out)
{
	if (size < sizeof(*out))
		return -EPROTO;
	memcpy(out, data, sizeof(*out));
	if (out->version != JT_ABI_VERSION || out->type != JT_REC_EXEC ||
	    out->size != sizeof(*out) || out->args_len > JT_ARGS_LEN)
		return -EPROTO;
	return 0;
}

int lineage__decode_fork(const void *data, size_t size, struct jt_fork_event *out)
{
	if (size < sizeof(*out))
		return -EPROTO;
	memcpy(out, data, sizeof(*out));
	if (out->version != JT_ABI_VERSION || out->type != JT_REC_FORK ||
	    out->size != sizeof(*out))
		return -EPROTO;
	return 0;
}

int lineage__decode_exit(const void *data, size_t size, struct jt_exit_event *out)
{
	/* The ring gives no alignment promise: copy before reading fields. */
	if (size < sizeof(*out))
		return -EPROTO;
	memcpy(out, data, sizeof(*out));
	if (out->version != JT_ABI_VERSION || out->type != JT_REC_EXIT ||
	    out->size != sizeof(*out))
		return -EPROTO;
	return 0;
}

/*
 * The object's ELF bytes, built into the binary (about 0.5 MiB of
 * .rodata), are read by the open and the load: the pages they touched
 * then stayed in the process's RSS for as long as it ran (0.24 MiB of
 * watch's, 0.5 of serve's). Clean pages of the file, dropped: a read
 * after would fault them in again from the file, unchanged, so nothing
 * can go wrong but that cost.
 */
static void drop_pages(const void *p, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(page - 1);

	if (end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
}

/*
 * The lineage programs as built for kernels without bpf_rdonly_cast()
 * (before 6.2; bpf/core_fixes.bpf.h): the same maps, programs and
 * variables, so the one skeleton drives either object.
 */
static struct lineage_bpf *lineage_open_compat(const struct bpf_object_open_opts *opts)
{
	struct lineage_bpf *obj = calloc(1, sizeof(*obj));
	int err;

	if (!obj)
		return NULL;
	err = lineage_bpf__create_skeleton(obj);
	if (!err) {
		obj->skeleton->data = (void *)lineage_compat_bpf__elf_bytes(&obj->skeleton->data_sz);
		err = bpf_object__open_skeleton(obj->skeleton, opts);
	}
	if (err) {
		lineage_bpf__destroy(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}

/*
 * The part of the kernel's BTF the object's CO-RE relocations can match,
 * in a memfd (user/bpf/core_btf.c): libbpf's candidate search over the
 * whole BTF was 24 ms of every start. Its fd, and the path libbpf opens
 * it by in @path; or -1 where it cannot be made, and libbpf relocates
 * against the kernel's own BTF as before (JOBTRACE_FULL_BTF=1 asks for
 * that: a test's knob).
 */
static int core_btf_fd(const struct kernel_btf *vmlinux, bool rdonly_cast, char *path,
		       size_t path_size)
{
	const void *elf, *local;
	size_t elf_size, local_size;
	int fd;

	if (getenv("JOBTRACE_FULL_BTF"))
		return -1;
	elf = rdonly_cast ? lineage_bpf__elf_bytes(&elf_size) :
			    lineage_compat_bpf__elf_bytes(&elf_size);
	if (core_btf__elf_section(elf, elf_size, &local, &local_size))
		return -1;
	fd = core_btf__make(vmlinux, local, local_size);
	if (fd < 0)
		return -1;
	/* libbpf opens it by /proc/self/fd/N: where that cannot be opened, it is not offered. */
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	if (access(path, R_OK)) {
		close(fd);
		return -1;
	}
	return fd;
}

struct lineage *lineage__open(const struct lineage_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	__u32 max_jobs;
	const char *btf_path;
	struct kernel_btf vmlinux;
	struct lineage *lt;
	bool group_dead, oom_task, setsid_fexit, setsid_tp, setuid_tp, rdonly_cast;
	int err, setsid_id, task_id, binprm_id, core_fd;
	__s32 cgrp_ssid, watch_ssid;
	char core_path[64];

	loader__log_init(opts->verbose);

	err = lineage_kernel__privileges();
	if (err) {
		errno = -err;
		return NULL;
	}
	/* JOBTRACE_VMLINUX_BTF lets a test stand in a kernel without BTF. */
	btf_path = getenv("JOBTRACE_VMLINUX_BTF") ? getenv("JOBTRACE_VMLINUX_BTF") : VMLINUX_BTF;
	if (access(btf_path, R_OK) != 0) {
		fprintf(stderr, "jobtrace: this kernel has no BTF (%s: %s): jobtrace needs a "
				"kernel built with CONFIG_DEBUG_INFO_BTF=y (5.11 or newer)\n",
			btf_path, strerror(errno));
		errno = ENOTSUP;
		return NULL;
	}
	/*
	 * Read in place for the feature checks, and let go before libbpf's
	 * load parses it again for CO-RE: not two copies at once, and not a
	 * second parse (see user/bpf/kernel_btf.c).
	 */
	err = kernel_btf__open(&vmlinux, VMLINUX_BTF);
	if (err) {
		fprintf(stderr, "jobtrace: cannot read the kernel's BTF (%s): %s\n", VMLINUX_BTF,
			strerror(-err));
		errno = -err;
		return NULL;
	}
	group_dead = lineage_kernel__exit_has_group_dead(&vmlinux);
	oom_task = lineage_kernel__oom_tp_has_task(&vmlinux);
	/* JOBTRACE_BPF_COMPAT=1: the older kernels' object here too (a test's knob). */
	rdonly_cast = kernel_btf__find(&vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0 &&
		      !getenv("JOBTRACE_BPF_COMPAT");
	setsid_id = opts->group == JT_GROUP_SESSION ?
			    kernel_btf__find(&vmlinux, "ksys_setsid", BTF_KIND_FUNC) :
			    -ENOENT;
	/* What kernel_ro() casts to, by the kernel's ids (bpf/core_fixes.bpf.h). */
	task_id = kernel_btf__find(&vmlinux, "task_struct", BTF_KIND_STRUCT);
	binprm_id = kernel_btf__find(&vmlinux, "linux_binprm", BTF_KIND_STRUCT);
	cgrp_ssid = watch_ssid = -1;
	if (opts->group == JT_GROUP_CGROUP)
		cgrp_ssid = lineage_kernel__cgroup_ssid(&vmlinux, opts->cgrp_controller, opts->cgrp_ssid,
					opts->verbose);
	if (opts->follow_cgroups)
		watch_ssid = lineage_kernel__cgroup_ssid(&vmlinux, opts->watch_controller, opts->watch_ssid,
					 opts->verbose);
	core_fd = core_btf_fd(&vmlinux, rdonly_cast, core_path, sizeof(core_path));
	kernel_btf__close(&vmlinux);
	if (core_fd >= 0)
		open_opts.btf_custom_path = core_path;

	lt = calloc(1, sizeof(*lt));
	if (!lt) {
		if (core_fd >= 0)
			close(core_fd);
		return NULL;
	}
	lt->on_exit = opts->on_exit;
	lt->on_exec = opts->on_exec;
	lt->on_fork = opts->on_fork;
	lt->ctx = opts->ctx;
	lt->malformed = opts->malformed;
	lt->ncpus = libbpf_num_possible_cpus();

	lt->skel = rdonly_cast ? lineage_bpf__open_opts(&open_opts) : lineage_open_compat(&open_opts);
	if (!lt->skel) {
		err = -errno;
		fprintf(stderr, "jobtrace: cannot open the BPF object: %s\n", strerror(-err));
		goto err_free;
	}
	lt->skel->rodata->targ_btf_id_task_struct = task_id > 0 ? (__u32)task_id : 0;
	lt->skel->rodata->targ_btf_id_linux_binprm = binprm_id > 0 ? (__u32)binprm_id : 0;
	lt->skel->rodata->targ_exit_has_group_dead = group_dead;
	lt->skel->rodata->targ_page_size = (__u64)sysconf(_SC_PAGESIZE);
	lt->skel->rodata->targ_group = opts->group;
	lt->skel->rodata->targ_cgrp_ssid = cgrp_ssid;
	lt->skel->rodata->targ_hierarchy_id = opts->hierarchy_id;
	lt->skel->rodata->targ_follow_cgroups = opts->follow_cgroups;
	lt->skel->rodata->targ_watch_ssid = watch_ssid;
	lt->skel->rodata->targ_capture_args = opts->capture_args;
	lt->skel->rodata->targ_fork_records = opts->fork_records;
	/* Where /proc cannot say, the kernel does (reader_pidns()). */
	lt->skel->rodata->targ_reader_in_pidns = ns__initial(NS_PID) != 1;
	bpf_program__set_autoload(lt->skel->progs.attach_existing, opts->attach);
	/*
	 * A cgroup move changes a job only when jobs are cgroups or follow
	 * them (on_cgroup_attach() returns at once otherwise): not loaded,
	 * not attached, not run at every move of the host.
	 */
	bpf_program__set_autoload(lt->skel->progs.handle_cgroup_attach,
				  opts->group == JT_GROUP_CGROUP || opts->follow_cgroups);
	/* Without it, an OOM kill reads as the SIGKILL it is, unattributed. */
	lt->oom_marks = oom_task;
	bpf_program__set_autoload(lt->skel->progs.handle_oom_victim, lt->oom_marks);
	/*
	 * A setsid(2) moves a process between session jobs: fexit on
	 * ksys_setsid where the kernel allows it, else the syscall's exit
	 * tracepoint, which libbpf finds in tracefs. Without either, a
	 * process stays in the session job it was found or forked in.
	 */
	setsid_fexit = opts->group == JT_GROUP_SESSION && lineage_kernel__fexit_attaches(setsid_id);
	setsid_tp = opts->group == JT_GROUP_SESSION && !setsid_fexit;
	if (setsid_tp) {
		err = lineage_kernel__tracefs_ensure(SETSID_EVENT);
		if (err) {
			fprintf(stderr, "jobtrace: cannot find %s/%s: %s: a process that calls "
					"setsid(2) stays in the session job it started in\n",
				TRACEFS, SETSID_EVENT, strerror(-err));
			setsid_tp = false;
		}
	}
	bpf_program__set_autoload(lt->skel->progs.handle_setsid_fexit, setsid_fexit);
	bpf_program__set_autoload(lt->skel->progs.handle_setsid, setsid_tp);
	/* A change of real uid moves a thread between user jobs: the three calls that make one. */
	setuid_tp = opts->group == JT_GROUP_USER;
	if (setuid_tp) {
		err = lineage_kernel__tracefs_ensure(SETUID_EVENT);
		if (err) {
			fprintf(stderr, "jobtrace: cannot find %s/%s: %s: a process that changes "
					"its real uid stays in the user job it started in\n",
				TRACEFS, SETUID_EVENT, strerror(-err));
			setuid_tp = false;
		}
	}
	bpf_program__set_autoload(lt->skel->progs.handle_setuid, setuid_tp);
	bpf_program__set_autoload(lt->skel->progs.handle_setreuid, setuid_tp);
	bpf_program__set_autoload(lt->skel->progs.handle_setresuid, setuid_tp);
	/*
	 * Attached per request: lineage__adopt(), lineage__adopt_tree(). Its
	 * ancestry walk makes it the costliest program to verify (0.7 s here):
	 * loaded only for serve --control, not at every run's start.
	 */
	bpf_program__set_autoload(lt->skel->progs.adopt_task, opts->adopt);
	bpf_program__set_autoattach(lt->skel->progs.adopt_task, false);
	proc_table_size(lt->skel, opts->max_procs);
	/*
	 * Written at a job's start (on a fork's path only for a host-mode
	 * job's first process), an OOM kill, a --pid or --cgroup given.
	 * Allocated as used, under the same limits. The jobs' slots are
	 * arrays, preallocated (bpf/lineage.bpf.c says why): job_totals is
	 * max_jobs x 248 bytes per CPU, 1 MiB a CPU at the default 4096 jobs,
	 * and takes 3 ms of the start here, as the per-CPU hash took
	 * preallocated. run, which follows one job, asks for the fewest.
	 */
	bpf_map__set_map_flags(lt->skel->maps.job_ids, BPF_F_NO_PREALLOC);
	bpf_map__set_map_flags(lt->skel->maps.oom_victims, BPF_F_NO_PREALLOC);
	bpf_map__set_map_flags(lt->skel->maps.oom_cgroups, BPF_F_NO_PREALLOC);
	bpf_map__set_map_flags(lt->skel->maps.attach_roots, BPF_F_NO_PREALLOC);
	bpf_map__set_map_flags(lt->skel->maps.watch_cgroups, BPF_F_NO_PREALLOC);
	max_jobs = opts->max_jobs ? opts->max_jobs : DEFAULT_MAX_JOBS;
	bpf_map__set_max_entries(lt->skel->maps.job_ids, max_jobs);
	bpf_map__set_max_entries(lt->skel->maps.jobs, max_jobs);
	bpf_map__set_max_entries(lt->skel->maps.job_totals, max_jobs);
	bpf_map__set_max_entries(lt->skel->maps.job_slots_free, max_jobs);
	lt->skel->rodata->targ_max_jobs = max_jobs;
	lt->max_jobs = max_jobs;
	/* Never fewer than the default: a small --max-jobs refuses the most ids to remember. */
	if (max_jobs > bpf_map__max_entries(lt->skel->maps.jobs_refused))
		bpf_map__set_max_entries(lt->skel->maps.jobs_refused, max_jobs);
	bpf_map__set_max_entries(lt->skel->maps.events,
				 round_up_pow2(opts->ring_bytes ? opts->ring_bytes :
								  DEFAULT_RING_BYTES));
	lt->skel->rodata->targ_wakeup_bytes = bpf_map__max_entries(lt->skel->maps.events) / 4;

	err = lineage_bpf__load(lt->skel);
	/* libbpf read the copy during the load, and keeps nothing of the fd. */
	if (core_fd >= 0)
		close(core_fd);
	core_fd = -1;
	if (err == -EPERM) {
		/*
		 * The verifier says EACCES or EINVAL; EPERM is bpf(2) itself
		 * refused, whatever the programs hold.
		 */
		fprintf(stderr, "jobtrace: the kernel refused to load BPF programs at all "
				"(Operation not permitted): a user namespace, a seccomp filter "
				"(a container's profile) or the kernel's lockdown forbids "
				"bpf(2) here; " BPF_ELSEWHERE "\n");
		goto err_free;
	}
	if (err) {
		fprintf(stderr, "jobtrace: the kernel refused the BPF programs: %s%s\n",
			strerror(-err),
			opts->verbose ? "" : " (run with -v to see the verifier's log)");
		goto err_free;
	}
	err = reader_pidns(lt, opts);
	if (err) {
		fprintf(stderr, "jobtrace: cannot tell the programs this pid namespace: %s\n",
			strerror(-err));
		goto err_free;
	}
	err = lineage_bpf__attach(lt->skel);
	if (err) {
		fprintf(stderr, "jobtrace: cannot attach to the scheduler tracepoints: %s\n",
			strerror(-err));
		goto err_free;
	}
	lt->ring = ring_buffer__new(bpf_map__fd(lt->skel->maps.events), handle_record, lt, NULL);
	if (!lt->ring) {
		err = -errno;
		fprintf(stderr, "jobtrace: cannot open the ring buffer: %s\n", strerror(-err));
		goto err_free;
	}
	drop_pages(lt->skel->skeleton->data, lt->skel->skeleton->data_sz);
	return lt;

err_free:
	if (core_fd >= 0)
		close(core_fd);
	lineage__free(lt);
	errno = -err;
	return NULL;
}

void lineage__free(struct lineage *lt)
{
	if (!lt)
		return;
	ring_buffer__free(lt->ring);
	lineage_bpf__destroy(lt->skel);
	free(lt->iter_buf);
	free(lt->live_buf);
	free(lt);
}

int lineage__counters(struct lineage *lt, struct jt_counters *out)
{
	struct jt_counters *percpu;
	__u32 zero = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	percpu = calloc((size_t)lt->ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(lt->skel->maps.counters), &zero, percpu)) {
		err = -errno;
		goto out;
	}
	for (int i = 0; i < lt->ncpus; i++) {
		out->events_sent += percpu[i].events_sent;
		out->events_lost += percpu[i].events_lost;
		out->untracked += percpu[i].untracked;
		out->procs_map_full += percpu[i].procs_map_full;
		out->jobs_missing += percpu[i].jobs_missing;
		out->jobs_map_full += percpu[i].jobs_map_full;
		out->exec_records_lost += percpu[i].exec_records_lost;
		out->fork_records_sent += percpu[i].fork_records_sent;
		out->fork_records_lost += percpu[i].fork_records_lost;
	}
out:
	free(percpu);
	return err;
}

int lineage__oom_cgroup(struct lineage *lt, const struct jt_proc_key *key,
			struct jt_oom_cgroup *out)
{
	int fd = bpf_map__fd(lt->skel->maps.oom_cgroups);

	/*
	 * Read once, with its exit record, then taken, so the map keeps room
	 * for later kills (two calls: a hash's lookup-and-delete is 5.14's).
	 */
	if (bpf_map_lookup_elem(fd, key, out))
		return -errno;
	bpf_map_delete_elem(fd, key);
	out->path[sizeof(out->path) - 1] = '\0';
	if (out->depth > JT_OOM_DEPTH)
		out->depth = 0;
	return 0;
}

int lineage__ring_fd(const struct lineage *lt)
{
	return ring_buffer__epoll_fd(lt->ring);
}

int lineage__consume(struct lineage *lt)
{
	int n = ring_buffer__consume(lt->ring);

	return n < 0 ? n : 0;
}

/*
 * The table's array: the slots procs_used marks, each read alone. The
 * marks (32 KiB) are copied into a buffer mapped for the sweep alone, so
 * that serve's RSS keeps nothing of it; reading every slot instead was
 * 7 MiB a sweep, 2.5 us of jobtrace's CPU a process in a churn.
 */
static int for_each_slot(struct lineage *lt,
			 int (*fn)(void *ctx, const struct jt_proc_key *key, __u64 job_id),
			 void *ctx)
{
	int fd = bpf_map__fd(lt->skel->maps.procs), used_fd = bpf_map__fd(lt->skel->maps.procs_used);
	__u32 slots = bpf_map__max_entries(lt->skel->maps.procs), zero = 0;
	struct jt_proc_used *used;
	struct jt_proc_slot slot;
	int err = 0;

	used = mmap(NULL, sizeof(*used), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (used == MAP_FAILED)
		return -errno;
	if (bpf_map_lookup_elem(used_fd, &zero, used))
		err = -errno;
	for (__u32 i = 0; i < slots && i < JT_PROC_SLOTS_MAX && !err; i++) {
		struct jt_proc_key key;

		if (!used->used[i])
			continue;
		/* Freed since the marks were read: its exit was seen. */
		if (bpf_map_lookup_elem(fd, &i, &slot) || !slot.ready || !slot.start_ns)
			continue;
		/* No live read shows it, alive or not: not the sweep's to judge. */
		if (slot.proc.flags & JT_F_OUTSIDE_NS)
			continue;
		key = (struct jt_proc_key){ .tgid = slot.tgid, .start_ns = slot.start_ns };
		err = fn(ctx, &key, slot.proc.job_id);
	}
	munmap(used, sizeof(*used));
	return err;
}

int lineage__for_each_proc(struct lineage *lt,
			   int (*fn)(void *ctx, const struct jt_proc_key *key, __u64 job_id),
			   void *ctx)
{
	int fd = bpf_map__fd(lt->skel->maps.procs_spill);
	struct jt_proc_key key, next;
	struct jt_proc proc;
	void *prev = NULL;
	int err;

	err = for_each_slot(lt, fn, ctx);
	if (err)
		return err;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		/* Gone since the key was listed: its exit was seen. */
		if (bpf_map_lookup_elem(fd, &key, &proc) || (proc.flags & JT_F_OUTSIDE_NS))
			continue;
		err = fn(ctx, &key, proc.job_id);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

int lineage__drop_proc(struct lineage *lt, const struct jt_proc_key *key, __u64 *job_id)
{
	struct jt_repair_args args = { .key = *key };
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(lt->skel->progs.repair_proc), &run))
		return -errno;
	if (run.retval)
		return -ENOENT;
	*job_id = args.job_id;
	return 0;
}
