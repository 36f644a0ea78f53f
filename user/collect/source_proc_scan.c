// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The BPF-free source's /proc scans: at the attach (watch --pid: the tree
 * below a pid, after the connector listens, so nothing forked meanwhile is
 * missed), and the resync after lost connector messages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/collector.h"
#include "jobtrace/source.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

#include "source_proc_priv.h"

/* ---- /proc scans: the attach, and the source_proc__resync after lost messages ---- */

struct scan_ent {
	pid_t pid, ppid;
	__u64 start_ns;
	char state;
	bool charged; /* a zombie at the attach, charged to its parent */
};

/* Every process of the host, one stat read each. */
static int scan_all(struct proc_src *s, struct scan_ent **out, size_t *n)
{
	struct scan_ent *v = NULL;
	size_t cap = 0, len = 0;
	struct dirent *de;
	int fd, err = 0;
	DIR *d;

	fd = openat(s->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((de = readdir(d))) {
		struct proc_stat_fields st;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || proc_pid__read_stat(s->proc_fd, (int)pid, &st))
			continue;
		if (st.flags & PROC_PF_KTHREAD)
			continue;
		if (len == cap) {
			err = util__grow(&v, &cap, sizeof(*v), 1024, 1U << 23);
			if (err)
				break;
		}
		v[len++] = (struct scan_ent){ .pid = (pid_t)pid, .ppid = st.ppid,
					      .start_ns = source_proc__start_ns_of(s, &st), .state = st.state };
	}
	closedir(d);
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

/*
 * Adds every process whose parent is a member and that the table lacks,
 * until none is left: a subtree deeper than one level comes in a few rounds.
 * @existing: found at the attach (its CPU and I/O so far are not the job's,
 * nor those of its zombie children, which its figures will take in).
 */
static int adopt_children(struct proc_src *s, struct scan_ent *v, size_t n, bool existing)
{
	bool more = true;
	int added = 0;

	while (more) {
		more = false;
		for (size_t i = 0; i < n; i++) {
			struct pproc *parent = source_proc__find(s, (__u32)v[i].ppid), *p;
			struct proc_stat_fields st;
			struct pjob *j;

			if (!parent || source_proc__find(s, (__u32)v[i].pid) ||
			    !(j = source_proc__job_find(s, parent->job_id)))
				continue;
			if (v[i].state == 'Z') {
				/* Ended before: no member, but its figures will join its parent's. */
				if (existing && !v[i].charged) {
					source_proc__io_charge_zombie(s, parent, (__u32)v[i].pid,
								      v[i].start_ns);
					v[i].charged = true;
				}
				continue;
			}
			p = source_proc__add(s, (__u32)v[i].pid);
			if (!p)
				return -ENOMEM;
			p->job_id = parent->job_id;
			p->ppid = parent->tgid;
			p->parent_start_ns = parent->start_ns;
			p->start_ns = v[i].start_ns;
			if (existing) {
				p->flags = JT_F_EXISTING;
				if (source_proc__read(s, p, &st)) {
					p->base_cpu_ns = p->last_cpu_ns;
					source_proc__io_joined(p);
				}
				p->threads = st.num_threads > 0 ? (__u32)st.num_threads : 1;
				j->st.existing++;
			} else {
				source_proc__read(s, p, &st);
				j->st.procs_started++;
			}
			source_proc__job_count_new(j);
			added++;
			more = true;
		}
	}
	return added;
}

/*
 * After lost messages: members gone from /proc ended unseen (no status, no
 * CPU beyond the last sample), children of members that the table lacks
 * were forked unseen. Neither has a record; the counts are right again.
 */
void source_proc__resync(struct proc_src *s)
{
	struct scan_ent *v = NULL;
	size_t n = 0;

	if (scan_all(s, &v, &n))
		return;
	for (size_t b = 0; b < NBUCKETS; b++) {
		struct pproc *p = s->buckets[b], *next;

		for (; p; p = next) {
			struct proc_stat_fields st;
			struct pjob *j = source_proc__job_find(s, p->job_id);

			next = p->next;
			/*
			 * A zombie has ended: the queue is drained, so its exit message
			 * was among those lost.
			 */
			if (proc_pid__read_stat(s->proc_fd, (int)p->tgid, &st) == 0 &&
			    source_proc__same_process(s, p, &st) && st.state != 'Z')
				continue;
			if (j) {
				pjob__exit_unseen(j, util__boottime_ns());
				collector__on_repair(s->c, p->job_id);
			}
			source_proc__io_gone_unseen(s, p);
			source_proc__remove(s, p);
		}
	}
	adopt_children(s, v, n, false);
	free(v);
}

/*
 * watch --pid: the roots, then their subtrees by /proc's ppid. The socket
 * listens already, so a fork during the scan is seen as an event after it.
 */
int source_proc__attach_existing(struct collector *c)
{
	struct proc_src *s = source_proc__of(c);
	struct scan_ent *v = NULL;
	size_t n = 0;
	int err;

	for (size_t i = 0; i < s->nroots; i++) {
		struct attach_root *r = &s->roots[i];
		struct proc_stat_fields st;
		struct pjob *j = source_proc__job_find(s, r->job_id);
		struct pproc *p;
		__u64 start, d;

		if (!j || proc_pid__read_stat(s->proc_fd, r->pid, &st))
			continue;
		/* Ended since the front looked (a zombie, its threads gone): nothing to attach. */
		if (st.state == 'Z' && st.num_threads <= 1)
			continue;
		start = source_proc__start_ns_of(s, &st);
		d = start > r->start_ns ? start - r->start_ns : r->start_ns - start;
		if (d > r->slack_ns || source_proc__find(s, (__u32)r->pid))
			continue;
		p = source_proc__add(s, (__u32)r->pid);
		if (!p)
			return -ENOMEM;
		p->job_id = r->job_id;
		p->is_root = 1;
		p->flags = JT_F_EXISTING;
		p->start_ns = start;
		p->ppid = (__u32)st.ppid;
		if (source_proc__read(s, p, &st)) {
			p->base_cpu_ns = p->last_cpu_ns;
			source_proc__io_joined(p);
		}
		p->threads = st.num_threads > 0 ? (__u32)st.num_threads : 1;
		j->st.existing++;
		source_proc__job_count_new(j);
	}
	err = scan_all(s, &v, &n);
	if (err)
		return err;
	err = adopt_children(s, v, n, true);
	free(v);
	if (err < 0)
		return err;
	/* Their arguments, for their exit records, as the BPF attach gives them. */
	for (size_t b = 0; b < NBUCKETS; b++) {
		for (struct pproc *p = s->buckets[b]; p; p = p->next) {
			struct jt_attach_rec r = { .job_id = p->job_id, .tgid = p->tgid,
						   .new_process = 1, .start_ns = p->start_ns,
						   .reader_tgid = p->tgid };

			collector__on_attach(c, &r);
		}
	}
	return 0;
}
