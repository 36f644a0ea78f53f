// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace ps`'s snapshot (include/jobtrace/ps_sample.h): the task
 * iterator's list checked against /proc, or a /proc walk, and the USER and
 * ARGS the one pass has not. The loader and /proc are joined here, not in
 * the command.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/loadavg.h"
#include "jobtrace/ps_sample.h"
#include "jobtrace/snapshot.h"
#include "jobtrace/util.h"

/*
 * The iterator does not show every process /proc lists (an LSM can hide a
 * task from it: pid 1 of some sandboxes). Those are read from /proc, never
 * silently absent: JSON marks them "source":"proc", the table a line on
 * standard error.
 */
static void fill_from_proc(struct ps_snapshot *s, __u64 before_boot_ns,
			   const struct loadavg *before, bool verbose)
{
	int proc_fd = util__open_dir("/proc"), err;

	if (proc_fd < 0 || !snapshot__proc_is_ours(proc_fd)) {
		if (verbose)
			fprintf(stderr, "jobtrace: /proc is not of this pid namespace: the "
					"iterator's list is not checked against it\n");
		goto close_fd;
	}
	err = snapshot__fill_from_proc_since(s, proc_fd, before_boot_ns, before);
	if (err)
		fprintf(stderr, "jobtrace: cannot check the iterator's list against /proc: %s\n",
			strerror(-err));
	else if (verbose)
		fprintf(stderr, "jobtrace: the kernel counts %zu tasks: /proc %s\n",
			s->kernel_tasks, s->walked_proc ? "walked (the counts differ)" :
			"not walked (the counts agree)");
close_fd:
	if (proc_fd >= 0)
		close(proc_fd);
}

int ps_sample__take(const struct ps_sample_opts *o, struct ps_snapshot *s, bool *iterated)
{
	const char *proc_root = o->proc_root;
	struct snapshot_iter *it = NULL;
	bool verbose = o->verbose;
	int proc_fd, err;

	*iterated = false;
	if (!o->use_proc) {
		it = snapshot_iter__open(verbose, o->use_pin, o->args);
		if (it) {
			struct loadavg load, *before_load = NULL;
			__u64 before;

			/* The kernel's count of tasks before the pass, and its last pid. */
			proc_fd = util__open_dir("/proc");
			if (proc_fd >= 0 && !loadavg__read(proc_fd, &load))
				before_load = &load;
			/*
			 * Its runnable count is ours and the others': how many
			 * CPUs are free. A task seen running at that instant (a
			 * kworker, a thread of ours going to sleep) is often gone
			 * the next; only with a load of one CPU or more over the
			 * last minute are they taken to hold their CPUs.
			 */
			if (before_load && load.nr_running && load.load1 >= 1.0)
				snapshot_iter__others_running(it, load.nr_running - 1);
			if (proc_fd >= 0)
				close(proc_fd);
			before = util__boottime_ns();
			err = snapshot_iter__read(it, s);
			if (err) {
				fprintf(stderr, "jobtrace: the task iterator failed: %s\n",
					strerror(-err));
				snapshot_iter__free(it);
				return err;
			}
			fill_from_proc(s, before, before_load, verbose);
		}
	}
	if (!it) {
		proc_fd = util__open_dir(proc_root);
		if (proc_fd < 0) {
			fprintf(stderr, "jobtrace: cannot open %s: %s\n", proc_root,
				strerror(-proc_fd));
			return proc_fd;
		}
		err = snapshot__from_proc(proc_fd, s);
		close(proc_fd);
		if (err) {
			fprintf(stderr, "jobtrace: cannot read processes under %s: %s\n", proc_root,
				strerror(-err));
			return err;
		}
		/*
		 * Never an empty list that looks like an empty host: say what
		 * was skipped, and fail when nothing at all could be read.
		 */
		if (s->unreadable)
			fprintf(stderr, "jobtrace: %llu process%s under %s could not be read (a cut "
					"or malformed stat): not listed\n",
				(unsigned long long)s->unreadable, s->unreadable == 1 ? "" : "es",
				proc_root);
		if (!s->n && (s->unreadable || s->vanished)) {
			fprintf(stderr, "jobtrace: no process under %s could be read\n", proc_root);
			snapshot__free(s);
			return -ENOENT;
		}
	}
	if (verbose) {
		fprintf(stderr, "jobtrace: %zu processes, %zu tasks from %s in %.3f ms", s->n,
			s->tasks, s->source, (double)s->read_ns / 1e6);
		if (s->readers > 1)
			fprintf(stderr, " by %u readers side by side", s->readers);
		fputc('\n', stderr);
	}
	/* The snapshot holds its own copy: the iterator is done. */
	*iterated = it != NULL;
	snapshot_iter__free(it);
	return 0;
}

/*
 * USER is not in the snapshot's one pass, nor ARGS but where the iterator
 * copies them (5.18+): they are read for the table that shows them and for
 * JSON, which has every field. Arguments the iterator did not copy (too
 * long, rewritten, a process only /proc showed) are read from /proc here.
 * @proc_root's cmdline files are the snapshot's own when it was walked
 * there; the iterator's pids are this namespace's, read where /proc is ours.
 */
int ps_sample__extras(const struct ps_sample_opts *o, struct ps_snapshot *s, bool iterated)
{
	const char *proc_root = iterated ? "/proc" : o->proc_root;
	bool walked = !iterated, verbose = o->verbose;
	int proc_fd, err = 0;

	if (o->users)
		err = snapshot__read_users(s);
	if (err || !o->args)
		return err;
	if (verbose && iterated)
		fprintf(stderr, "jobtrace: %zu command lines from the task iterator, %zu left to "
				"/proc by it\n", s->args_iterated, s->args_left);
	/* The iterator copied them all (5.18+): no /proc to open. */
	if (iterated && s->args_iterated == s->n)
		return 0;
	proc_fd = util__open_dir(proc_root);
	if (proc_fd >= 0 && (walked || snapshot__proc_is_ours(proc_fd)))
		err = snapshot__read_args(s, proc_fd);
	else if (verbose)
		fprintf(stderr, "jobtrace: %s is not of this pid namespace: no command lines\n",
			proc_root);
	if (proc_fd >= 0)
		close(proc_fd);
	return err;
}
