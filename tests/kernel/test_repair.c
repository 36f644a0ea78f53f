// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The repair sweep and restarts, against the real programs:
 *  - a process counted alive whose exit was missed (planted in the running
 *    collector's own maps, as a lost exit leaves it) is found by the sweep:
 *    the job's count in the kernel comes back to the truth the test knows,
 *    the report counts the repair and says complete: false;
 *  - proc mode with a tiny socket queue overflows while the collector is
 *    stopped: the exits it lost are repaired, the job ends with nothing
 *    counted alive;
 *  - kill -9 of `serve --stream` and of `watch --all` leaves nothing behind:
 *    their programs go with them, nothing is pinned, and a new one starts.
 * Under CI=true a machine without BPF fails instead of skipping.
 */
#include <dirent.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "jobtrace/lineage.h"

static char out_path[300], err_path[300];

/* Starts @argv with stdout to /dev/null, stderr to err_path. */
static pid_t spawn(char *const argv[])
{
	return harness__spawn(argv, NULL, err_path);
}

/* The ids of @pid's BPF objects of @kind ("map_id" or "prog_id"), from its fdinfo. */
static size_t bpf_ids_of(pid_t pid, const char *kind, __u32 *ids, size_t max)
{
	char path[320], line[256];
	struct dirent *de;
	size_t n = 0, klen = strlen(kind);
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, kind, klen) && line[klen] == ':' && n < max)
				ids[n++] = (__u32)strtoul(line + klen + 1, NULL, 10);
		fclose(f);
	}
	closedir(d);
	return n;
}

/* An fd of @pid's map named @name, or -1. */
static int map_of(pid_t pid, const char *name)
{
	__u32 ids[64];
	size_t n = bpf_ids_of(pid, "map_id", ids, 64);

	for (size_t i = 0; i < n; i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name))
			return fd;
		close(fd);
	}
	return -1;
}

/* The process table's slots (its array's size: a power of two). */
static __u32 slots_of(int procs_fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(procs_fd, &info, &len), 0);
	assert_int_equal(info.max_entries & (info.max_entries - 1), 0);
	return info.max_entries;
}

/* The slot of @tgid in the process table's array @procs_fd (bpf/lineage_procs.bpf.h). */
static struct jt_proc_slot slot_of(int procs_fd, __u32 tgid)
{
	struct jt_proc_slot s = {};
	__u32 i = tgid & (slots_of(procs_fd) - 1);

	assert_int_equal(bpf_map_lookup_elem(procs_fd, &i, &s), 0);
	return s;
}

/* The entry of @tgid in the process table's array: its key and value. */
static bool proc_entry(int procs_fd, __u32 tgid, struct jt_proc_key *key, struct jt_proc *proc)
{
	struct jt_proc_slot s = slot_of(procs_fd, tgid);

	if (!s.ready || s.tgid != tgid)
		return false;
	*key = (struct jt_proc_key){ .tgid = s.tgid, .start_ns = s.start_ns };
	*proc = s.proc;
	return true;
}

/* Writes @s into @tgid's slot of collector @w's @procs_fd, marked used, as the programs would. */
static void slot_set(pid_t w, int procs_fd, __u32 tgid, const struct jt_proc_slot *s)
{
	__u32 i = tgid & (slots_of(procs_fd) - 1);
	int used_fd = map_of(w, "procs_used");
	struct jt_proc_used *u;

	assert_true(used_fd >= 0);
	assert_int_equal(bpf_map_update_elem(procs_fd, &i, s, BPF_ANY), 0);
	/* Its byte alone: the collector's programs write the others meanwhile. */
	u = mmap(NULL, sizeof(*u), PROT_READ | PROT_WRITE, MAP_SHARED, used_fd, 0);
	assert_true(u != MAP_FAILED);
	u->used[i] = 1;
	munmap(u, sizeof(*u));
	close(used_fd);
}

/*
 * Job @job_id's shared state in the collector's maps, and its slot: its
 * id finds the slot in job_ids, the slot holds it in jobs. 0, or -1.
 */
static int job_read(pid_t w, __u64 job_id, __u32 *slot, struct jt_job *job)
{
	int ids_fd = map_of(w, "job_ids"), jobs_fd = map_of(w, "jobs"), err = -1;
	struct jt_job_slot js;

	if (ids_fd >= 0 && jobs_fd >= 0 && !bpf_map_lookup_elem(ids_fd, &job_id, slot) &&
	    !bpf_map_lookup_elem(jobs_fd, slot, &js) && js.job_id == job_id) {
		*job = js.job;
		err = 0;
	}
	if (ids_fd >= 0)
		close(ids_fd);
	if (jobs_fd >= 0)
		close(jobs_fd);
	return err;
}

/*
 * A ghost came into job @job_id as every process does: counted alive and
 * counted in (here, existing at the attach), so that its repair, which
 * counts it gone, leaves counts that can be true (job__check_counts()).
 */
static void plant_ghost_count(pid_t w, int jobs_fd, __u64 job_id)
{
	int totals_fd = map_of(w, "job_totals"), ncpus = libbpf_num_possible_cpus();
	struct jt_job_totals *percpu;
	struct jt_job_slot js;
	__u32 slot;

	assert_true(totals_fd >= 0 && ncpus > 0);
	assert_int_equal(job_read(w, job_id, &slot, &js.job), 0);
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	assert_non_null(percpu);
	assert_int_equal(bpf_map_lookup_elem(totals_fd, &slot, percpu), 0);
	percpu[0].existing++;
	assert_int_equal(bpf_map_update_elem(totals_fd, &slot, percpu, BPF_EXIST), 0);
	free(percpu);
	close(totals_fd);
	js.job_id = job_id;
	js.job.alive++;
	assert_int_equal(bpf_map_update_elem(jobs_fd, &slot, &js, BPF_EXIST), 0);
}

/* The last job report at out_path (a "job" line, or run's report), or NULL. */
static json_t *last_job_line(void)
{
	json_t *all = harness__lines(out_path, NULL), *r, *job = NULL;
	size_t i;

	/* run --json writes its one report; watch, JSON lines with a "type". */
	json_array_foreach(all, i, r) {
		if (!json_object_get(r, "type") ||
		    !strcmp(json_string_value(json_object_get(r, "type")), "job"))
			job = r;
	}
	json_incref(job);
	json_decref(all);
	return job;
}

static bool has_reason(json_t *job, const char *why)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(job, "incomplete"), i, v)
		if (!strcmp(json_string_value(v), why))
			return true;
	return false;
}

/*
 * watch --pid of a sleeper; the test then plants in the collector's own maps
 * what a lost exit leaves: a procs entry of a process that is gone (a child
 * the test reaped) and one more counted alive in the job. The sweep must find
 * it within two periods (2 s each) and bring the kernel's count back to 1.
 */
static void test_sweep_repairs_a_missed_exit(void **state)
{
	struct jt_proc_key key, ghost_key;
	struct jt_proc proc, ghost = {};
	struct jt_job job;
	__u32 slot;
	char pid_arg[16];
	char *argv[] = { H.jobtrace, "watch", "--pid", pid_arg, "--json", "-o", out_path, NULL };
	int procs_fd = -1, jobs_fd = -1, st, i;
	pid_t sleeper, gone, w;
	json_t *r;

	sleeper = fork();
	assert_true(sleeper >= 0);
	if (sleeper == 0) {
		pause();
		_exit(0);
	}
	gone = fork();
	assert_true(gone >= 0);
	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, NULL, 0), gone);
	snprintf(pid_arg, sizeof(pid_arg), "%d", sleeper);
	w = spawn(argv);

	/* Attached: the sleeper has its entry in the collector's map. */
	for (i = 0; i < 500; i++) {
		if (procs_fd < 0)
			procs_fd = map_of(w, "procs");
		if (jobs_fd < 0)
			jobs_fd = map_of(w, "jobs");
		if (procs_fd >= 0 && jobs_fd >= 0 && proc_entry(procs_fd, (__u32)sleeper, &key, &proc))
			break;
		harness__sleep_ms(10);
	}
	assert_true(i < 500);
	assert_int_equal(job_read(w, proc.job_id, &slot, &job), 0);
	assert_int_equal(job.alive, 1);

	/* The fault: a gone process still in the table, still counted alive. */
	ghost_key = (struct jt_proc_key){ .tgid = (__u32)gone, .start_ns = 1 };
	ghost.job_id = proc.job_id;
	ghost.threads = 1;
	assert_int_equal(slot_of(procs_fd, (__u32)gone).start_ns, 0); /* a free slot */
	slot_set(w, procs_fd, (__u32)gone,
		 &(struct jt_proc_slot){ .start_ns = 1, .tgid = (__u32)gone, .ready = 1,
					 .proc = ghost });
	plant_ghost_count(w, jobs_fd, proc.job_id);

	/* Two sweeps 2 s apart: back to the truth within 8 s. */
	for (i = 0; i < 80; i++) {
		assert_int_equal(job_read(w, proc.job_id, &slot, &job), 0);
		if (job.alive == 1)
			break;
		harness__sleep_ms(100);
	}
	print_message("  repaired after %.1f s\n", i / 10.0);
	assert_int_equal(job.alive, 1);
	/* The ghost's slot is free again; the real process is left alone. */
	assert_int_equal(slot_of(procs_fd, ghost_key.tgid).start_ns, 0);
	assert_true(proc_entry(procs_fd, (__u32)sleeper, &key, &proc));

	kill(sleeper, SIGKILL);
	assert_int_equal(waitpid(sleeper, NULL, 0), sleeper);
	st = harness__wait_s(w, 15);
	assert_true(WIFEXITED(st));
	/* watch exits with its job's status: its root died of SIGKILL. */
	assert_int_equal(WEXITSTATUS(st), 128 + SIGKILL);
	close(procs_fd);
	close(jobs_fd);

	r = last_job_line();
	assert_non_null(r);
	assert_int_equal(harness__num(r, "limits.repairs"), 1);
	assert_int_equal(harness__num(r, "limits.stale_entries"), 0);
	assert_int_equal(harness__num(r, "processes.alive"), 0);
	assert_true(json_is_false(json_object_get(r, "complete")));
	assert_true(has_reason(r, "exits_repaired"));
	assert_false(has_reason(r, "counts_inconsistent"));
	json_decref(r);
}

/*
 * A pid that comes round to a slot of the process table not yet freed (a
 * ghost planted there, as a missed exit leaves one) puts its new process in
 * the table's spill: tracked whole, closed at its exit, and the ghost
 * repaired. The kernel is asked for that pid (ns_last_pid) for a child of
 * the watched process; where another fork of the host takes it first, the
 * test asks again.
 */
static bool taken_slot_attempt(void)
{
	struct jt_proc_key key, spilled;
	struct jt_proc proc;
	struct jt_job job;
	__u32 slot;
	char pid_arg[16];
	char *argv[] = { H.jobtrace, "watch", "--pid", pid_arg, "--json", "-o", out_path, NULL };
	int procs_fd = -1, spill_fd = -1, jobs_fd = -1, ctl[2], rep[2], st, i, tries = 0;
	pid_t forker, gone, child = 0, w;
	json_t *r;

	/* Closed at exec: watch must not hold the forker's input open. */
	assert_int_equal(pipe2(ctl, O_CLOEXEC), 0);
	assert_int_equal(pipe2(rep, O_CLOEXEC), 0);
	forker = fork();
	assert_true(forker >= 0);
	if (forker == 0) {
		/*
		 * A child each pid it reads: the child says its pid and exits 7,
		 * after 300 ms where it got the pid read (the test looks at it
		 * alive), at once where another fork of the host took that pid
		 * first. So the tries are quick and all of them end before the
		 * sweep repairs the ghost (two sweeps, about 5 s). At 300 ms a
		 * try, 19 tries once took longer than that, and the test failed.
		 * The forker asks the kernel for the pid itself, just before its
		 * fork: asked by the test, a pipe's round trip away, 50 tries in
		 * a row lost it to the churn of a test beside (make test).
		 */
		pid_t target;

		close(ctl[1]);
		while (read(ctl[0], &target, sizeof(target)) == sizeof(target)) {
			pid_t p, me;

			char last[16];
			int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
			int n = snprintf(last, sizeof(last), "%d", (int)target - 1);

			/* Asked for here, just before the fork: the window another fork can take it in. */
			if (fd < 0 || write(fd, last, (size_t)n) != n)
				_exit(2);
			close(fd);
			p = fork();

			if (p == 0) {
				me = getpid();
				if (write(rep[1], &me, sizeof(me)) != sizeof(me))
					_exit(1);
				if (me == target)
					harness__sleep_ms(300);
				_exit(7);
			}
			waitpid(p, NULL, 0);
		}
		_exit(0);
	}
	close(ctl[0]);
	gone = fork();
	assert_true(gone >= 0);
	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, NULL, 0), gone);
	snprintf(pid_arg, sizeof(pid_arg), "%d", forker);
	w = spawn(argv);
	for (i = 0; i < 500; i++) {
		if (procs_fd < 0)
			procs_fd = map_of(w, "procs");
		if (spill_fd < 0)
			spill_fd = map_of(w, "procs_spill");
		if (jobs_fd < 0)
			jobs_fd = map_of(w, "jobs");
		if (procs_fd >= 0 && spill_fd >= 0 && jobs_fd >= 0 &&
		    proc_entry(procs_fd, (__u32)forker, &key, &proc))
			break;
		harness__sleep_ms(10);
	}
	assert_true(i < 500);

	/* gone's slot held by a ghost of its job, counted alive, as a missed exit leaves it. */
	assert_int_equal(slot_of(procs_fd, (__u32)gone).start_ns, 0);
	slot_set(w, procs_fd, (__u32)gone,
		 &(struct jt_proc_slot){ .start_ns = 1, .tgid = (__u32)gone, .ready = 1,
					 .proc = { .job_id = proc.job_id, .threads = 1 } });
	plant_ghost_count(w, jobs_fd, proc.job_id);

	/* A child of the job with gone's pid: it goes to the spill, not over the ghost. */
	while (child != gone && tries < 500) {
		assert_int_equal(write(ctl[1], &gone, sizeof(gone)), sizeof(gone));
		assert_int_equal(read(rep[0], &child, sizeof(child)), sizeof(child));
		tries++;
	}
	print_message("  the pid came round in %d tries\n", tries);
	/*
	 * Another process of the host holds the pid: one that forked in the
	 * instant between the forker's ns_last_pid and its fork took it, and
	 * lives on (a test beside this one: 500 tries in a row gave gone + 6).
	 * Not the case under test: the whole of it again, on another pid.
	 */
	if (child != gone && kill(gone, 0) == 0) {
		print_message("  pid %d is another process's now: again\n", (int)gone);
		close(ctl[1]);
		waitpid(forker, NULL, 0);
		kill(w, SIGKILL);
		waitpid(w, NULL, 0);
		close(procs_fd);
		close(spill_fd);
		close(jobs_fd);
		close(rep[0]);
		close(rep[1]);
		return false;
	}
	assert_int_equal(child, gone);
	assert_int_equal(bpf_map_get_next_key(spill_fd, NULL, &spilled), 0);
	assert_int_equal(spilled.tgid, (__u32)gone);
	assert_int_equal(slot_of(procs_fd, (__u32)gone).start_ns, 1); /* the ghost's still */

	/* The child ends (closed from the spill), two sweeps drop the ghost: the forker alone. */
	for (i = 0; i < 100; i++) {
		assert_int_equal(job_read(w, proc.job_id, &slot, &job), 0);
		if (job.alive == 1 && slot_of(procs_fd, (__u32)gone).start_ns == 0)
			break;
		harness__sleep_ms(100);
	}
	assert_int_equal(job.alive, 1);
	assert_int_not_equal(bpf_map_get_next_key(spill_fd, NULL, &spilled), 0);
	assert_int_equal(slot_of(procs_fd, (__u32)gone).start_ns, 0);
	assert_true(proc_entry(procs_fd, (__u32)forker, &key, &proc));

	close(ctl[1]); /* the forker ends */
	assert_int_equal(waitpid(forker, &st, 0), forker);
	st = harness__wait_s(w, 15);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(procs_fd);
	close(spill_fd);
	close(jobs_fd);
	close(rep[0]);
	close(rep[1]);

	r = last_job_line();
	assert_non_null(r);
	assert_int_equal(harness__num(r, "limits.procs_map_full"), 0);
	assert_int_equal(harness__num(r, "limits.repairs"), 1);
	/* The forker and the ghost were there at the attach; the ghost's repair counts it gone. */
	assert_int_equal(harness__num(r, "processes.existing_at_attach"), 2);
	assert_int_equal(harness__num(r, "processes.started"), tries);
	assert_int_equal(harness__num(r, "processes.exited"), 1 + tries + 1);
	assert_int_equal(harness__num(r, "processes.exit_error"), tries);
	assert_int_equal(harness__num(r, "processes.max_alive"), 3);
	assert_int_equal(harness__num(r, "processes.alive"), 0);
	assert_int_equal(harness__num(r, "limits.counts_inconsistent"), 0);
	json_decref(r);
	return true;
}

static void test_taken_slot_spills(void **state)
{
	int attempts = 1;

	while (!taken_slot_attempt())
		assert_true(++attempts <= 5);
}

/*
 * proc mode, its socket's queue cut to the minimum: forty sleepers join,
 * the collector is stopped while they (and the root) end, and the queue
 * overflows. Their exits are lost; the resync repairs them, and the job
 * ends with its count at zero, marked incomplete.
 */
static void test_proc_mode_overflow_repaired(void **state)
{
	char *argv[] = { "env", "JOBTRACE_PROC_RCVBUF=1", H.jobtrace, "run", "--mode", "proc",
			 "--json", "-o", out_path, "--", "/bin/sh", "-c",
			 "for i in $(seq 40); do sleep 1 & done; wait; exit 3", NULL };
	pid_t w;
	json_t *r;
	int st;

	/* env execs jobtrace in its place: w is jobtrace's own pid, to stop and continue. */
	w = spawn(argv);
	harness__sleep_ms(500); /* the sleepers are there, and joined (by message or resync) */
	assert_int_equal(kill(w, SIGSTOP), 0);
	harness__sleep_ms(2000); /* they all end, unseen */
	assert_int_equal(kill(w, SIGCONT), 0);
	st = harness__wait_s(w, 20);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);

	r = last_job_line();
	assert_non_null(r);
	print_message("  %.0f messages lost, %.0f repairs, %.0f started\n",
		      harness__num(r, "events.lost"), harness__num(r, "limits.repairs"),
		      harness__num(r, "processes.started"));
	assert_true(harness__num(r, "events.lost") > 0);
	assert_true(harness__num(r, "limits.repairs") >= 1);
	assert_int_equal(harness__num(r, "processes.alive"), 0);
	assert_int_equal(harness__num(r, "limits.stale_entries"), 0);
	assert_true(json_is_false(json_object_get(r, "complete")));
	assert_true(has_reason(r, "events_lost"));
	assert_true(has_reason(r, "exits_repaired"));
	assert_false(has_reason(r, "counts_inconsistent"));
	json_decref(r);
}

/* After kill -9 of @pid: every program it had is gone within 3 s (fds close, refs drop). */
static void assert_programs_released(const __u32 *ids, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		int fd = -1;

		for (int i = 0; i < 300; i++) {
			fd = bpf_prog_get_fd_by_id(ids[k]);
			if (fd < 0)
				break;
			close(fd);
			harness__sleep_ms(10);
		}
		if (fd >= 0)
			fail_msg("program %u outlived its killed collector", ids[k]);
	}
}

/*
 * What is pinned under /sys/fs/bpf, two levels deep, as one string. `ps`
 * pins its task iterator there on purpose (tasks-*): not the collector's.
 */
static void pins(char *buf, size_t size)
{
	static const char *const dirs[] = { "/sys/fs/bpf", "/sys/fs/bpf/jobtrace" };
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < 2; i++) {
		struct dirent *de;
		DIR *d = opendir(dirs[i]);

		if (!d)
			continue;
		while ((de = readdir(d))) {
			if (!strncmp(de->d_name, "tasks-", 6))
				continue;
			len += (size_t)snprintf(buf + len, size - len, "%s/%s ", dirs[i], de->d_name);
			if (len >= size)
				fail_msg("too many pins");
		}
		closedir(d);
	}
}

/* A kill -9 pinned nothing: the set of pins is the one from before. */
static void assert_nothing_pinned(const char *before)
{
	char now[4096];

	pins(now, sizeof(now));
	if (strcmp(now, before))
		fail_msg("pins changed: before '%s', now '%s'", before, now);
}

static pid_t start_and_wait_loaded(char *const argv[])
{
	__u32 ids[64];
	pid_t p = spawn(argv);
	int i;

	for (i = 0; i < 1000 && bpf_ids_of(p, "prog_id", ids, 64) < 3; i++)
		harness__sleep_ms(10);
	assert_true(i < 1000);
	harness__sleep_ms(300); /* attached, its loop running */
	return p;
}

static void test_kill9_leaves_nothing(void **state)
{
	char stream[128], before[4096];
	char *serve[] = { H.jobtrace, "serve", "-g", "cgroup2", "--stream", stream, NULL };
	char *watch[] = { H.jobtrace, "watch", "--all", "--json", "-o", out_path, NULL };
	char *watch_short[] = { H.jobtrace, "watch", "--all", "--duration", "1", "--json", "-o",
				out_path, NULL };
	__u32 ids[64];
	struct stat sb;
	ino_t first;
	size_t n;
	pid_t p;
	int st;

	snprintf(stream, sizeof(stream), "/dev/shm/jt-test-repair-%d", getpid());
	unlink(stream);
	pins(before, sizeof(before));

	p = start_and_wait_loaded(serve);
	for (int i = 0; i < 500 && stat(stream, &sb); i++)
		harness__sleep_ms(10);
	assert_int_equal(stat(stream, &sb), 0);
	first = sb.st_ino;
	n = bpf_ids_of(p, "prog_id", ids, 64);
	assert_true(n >= 3);
	assert_int_equal(kill(p, SIGKILL), 0);
	harness__wait(p);
	assert_programs_released(ids, n);
	assert_nothing_pinned(before);

	/* The new one takes the lock its killed predecessor held, and a new stream. */
	p = start_and_wait_loaded(serve);
	for (int i = 0; i < 500 && (stat(stream, &sb) || sb.st_ino == first); i++)
		harness__sleep_ms(10);
	assert_int_equal(stat(stream, &sb), 0);
	assert_true(sb.st_ino != first);
	assert_int_equal(waitpid(p, &st, WNOHANG), 0); /* still serving */
	kill(p, SIGTERM);
	st = harness__wait_s(p, 20);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	/* watch --all: killed, then a new one runs its course. */
	p = start_and_wait_loaded(watch);
	n = bpf_ids_of(p, "prog_id", ids, 64);
	assert_int_equal(kill(p, SIGKILL), 0);
	harness__wait(p);
	assert_programs_released(ids, n);
	assert_nothing_pinned(before);
	p = spawn(watch_short);
	st = harness__wait_s(p, 30);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	unlink(stream);
	snprintf(stream + strlen(stream), sizeof(stream) - strlen(stream), ".lock");
	unlink(stream);
}

/* A map's most entries. */
static __u32 max_entries_of(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.max_entries;
}

/* @pid's first child, or -1. */
static pid_t child_of(pid_t pid)
{
	char path[64], buf[64] = "";
	FILE *f;
	int child = -1;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%d", &child) != 1)
			child = -1;
		fclose(f);
	}
	return child;
}

/*
 * run's process table as the loader sized it, in a new pid namespace
 * (@newns) or not, with --max-procs @max_procs (0: none), against the
 * pid_max its command read where run reads it: --max-procs N in all, else
 * pid_max up to 131072; slots a power of two up to 32768, the rest (4096
 * at least by default) in the spill. A pid namespace's pid_max is
 * 4,194,304 on Linux 6.14 and later, as systemd sets it on most hosts: a
 * spill sized by it took 64 MiB and 100 ms of every start.
 */
static void table_size_case(bool newns, __u32 max_procs)
{
	char done[320], script[1100], max_arg[16];
	char *argv[] = { H.jobtrace, "run", "-o", "/dev/null", "--max-procs", max_arg,
			 "--", "/bin/sh", "-c", script, NULL };
	__u32 pid_max = 0, limit, slots = 1, spill;
	int procs_fd, spill_fd, st;
	pid_t pid, jt = -1, cmd = -1;
	FILE *f = NULL;

	snprintf(done, sizeof(done), "%s/pid_max", H.tmpdir);
	unlink(done);
	snprintf(script, sizeof(script),
		 "cat /proc/sys/kernel/pid_max > %s.tmp && mv %s.tmp %s; exec sleep 60", done, done,
		 done);
	snprintf(max_arg, sizeof(max_arg), "%u", max_procs);
	if (!max_procs)
		memmove(&argv[4], &argv[6], 5 * sizeof(argv[0]));
	pid = harness__spawn_prep(argv, NULL, err_path, newns ? harness__enter_pid_ns : NULL, NULL);
	for (int i = 0; i < 3000 && !(f = fopen(done, "r")); i++)
		harness__sleep_ms(10);
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%u", &pid_max), 1);
	fclose(f);
	jt = newns ? child_of(pid) : pid;
	assert_true(jt > 0);
	cmd = child_of(jt);
	procs_fd = map_of(jt, "procs");
	spill_fd = map_of(jt, "procs_spill");
	assert_true(procs_fd >= 0 && spill_fd >= 0);

	limit = max_procs ? max_procs : pid_max < 131072 ? pid_max : 131072;
	while (slots * 2 <= limit && slots * 2 <= 32768)
		slots *= 2;
	spill = limit - slots;
	if (!max_procs && spill < 4096)
		spill = 4096;
	assert_int_equal(max_entries_of(procs_fd), slots);
	assert_int_equal(max_entries_of(spill_fd), spill ? spill : 1);
	/* Whatever pid_max says: the table's cost is bounded. */
	assert_true(max_entries_of(spill_fd) <= (max_procs ? max_procs : 131072));
	close(procs_fd);
	close(spill_fd);

	assert_true(cmd > 0);
	kill(cmd, SIGKILL);
	st = harness__wait_s(pid, 30);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 128 + SIGKILL);
}

static void test_table_sized_from_pid_max(void **state)
{
	table_size_case(false, 0);
	table_size_case(true, 0);
	table_size_case(false, 1000);
	table_size_case(true, 200000);
}

static int setup(void **state)
{
	if (harness__setup("repair"))
		return -1;
	snprintf(out_path, sizeof(out_path), "%s/out", H.tmpdir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", H.tmpdir);
	if (geteuid() != 0) {
		if (getenv("CI"))
			return -1; /* CI must load BPF: fail, never skip */
		fprintf(stderr, "test_repair: needs root to load BPF\n");
		exit(0);
	}
	return 0;
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep_repairs_a_missed_exit),
		cmocka_unit_test(test_taken_slot_spills),
		cmocka_unit_test(test_proc_mode_overflow_repaired),
		cmocka_unit_test(test_kill9_leaves_nothing),
		cmocka_unit_test(test_table_sized_from_pid_max),
	};

	/* JT_TEST=PATTERN runs the matching tests only, to rerun one that failed. */
	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
