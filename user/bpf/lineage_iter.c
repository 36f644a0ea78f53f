// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The lineage object's task iterators, read from user space: the attach
 * (every task already running), the adoption of a process or a tree into a
 * job (serve --control), and the live read of every tracked task at each
 * sample. Their programs are in bpf/lineage_iter.bpf.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "jobtrace/lineage.h"
#include "jobtrace/loader.h"
#include "jobtrace/util.h"
#include "lineage_priv.h"

/*
 * One run of the adopt iterator with @req armed: over the process of @pidfd
 * alone, or over every task (@pidfd < 0). Its records into lt->iter_buf;
 * their length, or -errno. No request stays armed after it.
 */
static ssize_t adopt_run(struct lineage *lt, const struct jt_adopt_req *req, int pidfd)
{
	struct jt_adopt_req off = {};
	int req_fd = bpf_map__fd(lt->skel->maps.adopt_req);
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo = {};
	struct bpf_link *link;
	__u32 zero = 0;
	ssize_t len;

	/* Not loaded: this collector was not opened to adopt (lineage_opts.adopt). */
	if (bpf_program__fd(lt->skel->progs.adopt_task) < 0)
		return -EOPNOTSUPP;
	if (bpf_map_update_elem(req_fd, &zero, req, BPF_ANY))
		return -errno;
	if (pidfd >= 0) {
		linfo.task.pid_fd = (__u32)pidfd;
		opts.link_info = &linfo;
		opts.link_info_len = sizeof(linfo);
	}
	link = bpf_program__attach_iter(lt->skel->progs.adopt_task, pidfd >= 0 ? &opts : NULL);
	if (!link) {
		len = -errno;
		goto out;
	}
	len = loader__read_iter(bpf_link__fd(link), &lt->iter_buf, &lt->iter_cap);
	bpf_link__destroy(link);
out:
	bpf_map_update_elem(req_fd, &zero, &off, BPF_ANY);
	return len;
}

/*
 * What a run over the root said of it: 0 adopted, -EBUSY kept by another
 * job, -EPERM not the client's (JT_ADOPT_UID: its uid changed since the
 * caller looked), -ESRCH gone.
 */
static int adopt_root_result(struct lineage *lt, __u64 job_id, ssize_t len,
			     int (*fn)(void *ctx, const struct jt_attach_rec *r), void *ctx)
{
	bool adopted = false, kept = false;
	struct jt_attach_rec r;

	for (size_t off = 0; off + sizeof(r) <= (size_t)len; off += sizeof(r)) {
		memcpy(&r, lt->iter_buf + off, sizeof(r));
		if (r.left_out)
			return -EPERM;
		if (r.job_id == job_id) {
			adopted = true;
			if (fn)
				fn(ctx, &r);
		} else {
			kept = true; /* JT_ADOPT_NOT_ADOPTED: another adopted job holds it */
		}
	}
	return adopted ? 0 : kept ? -EBUSY : -ESRCH;
}

int lineage__adopt(struct lineage *lt, __u64 job_id, pid_t pid, __u64 start_ns, __u64 slack_ns,
		   __u64 flags)
{
	struct jt_adopt_req req = { .job_id = job_id, .start_ns = start_ns, .slack_ns = slack_ns,
				    .flags = flags & ~(JT_ADOPT_TREE | JT_ADOPT_UID) };
	struct jt_job job;
	__u32 slot;
	int pidfd, err;
	ssize_t len;

	/* The iterator visits this one process: the pid_fd pins it. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	/* A new job's root is its first process; nothing in the kernel writes it yet. */
	err = lineage_job__read(lt, job_id, &slot, &job);
	if (err)
		goto out_pidfd;
	if (!job.root_tgid) {
		job.root_tgid = (__u32)pid;
		err = lineage_job__write(lt, job_id, slot, &job);
		if (err)
			goto out_pidfd;
	}
	len = adopt_run(lt, &req, pidfd);
	err = len < 0 ? (int)len : adopt_root_result(lt, job_id, len, NULL, NULL);
out_pidfd:
	close(pidfd);
	return err;
}

int lineage__adopt_tree(struct lineage *lt, __u64 job_id, pid_t pid, __u64 start_ns,
			__u64 slack_ns, __u64 flags, uid_t uid,
			int (*fn)(void *ctx, const struct jt_attach_rec *r), void *ctx,
			unsigned long *left_out)
{
	struct jt_adopt_req req = { .job_id = job_id, .start_ns = start_ns, .slack_ns = slack_ns,
				    .flags = flags | JT_ADOPT_TREE, .root_pid = (__u32)pid,
				    .uid = (__u32)uid };
	struct jt_attach_rec r;
	int pidfd, err;
	ssize_t len;

	*left_out = 0;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	/* The root first, alone: refused or gone, nothing of its tree has moved. */
	len = adopt_run(lt, &req, pidfd);
	close(pidfd);
	if (len < 0)
		return (int)len;
	err = adopt_root_result(lt, job_id, len, fn, ctx);
	if (err)
		return err;
	/* Then its descendants, twice (see adopt_task in bpf/lineage.bpf.c). */
	for (int pass = 0; pass < 2; pass++) {
		len = adopt_run(lt, &req, -1);
		if (len < 0)
			return (int)len;
		for (size_t off = 0; off + sizeof(r) <= (size_t)len; off += sizeof(r)) {
			memcpy(&r, lt->iter_buf + off, sizeof(r));
			if (r.left_out)
				*left_out += pass == 0; /* the second pass finds the same ones */
			else if (r.job_id == job_id && fn)
				fn(ctx, &r);
		}
	}
	return 0;
}

int lineage__add_watch_cgroup(struct lineage *lt, __u64 job_id, __u64 cgid, __s32 hierarchy_id)
{
	struct jt_watch_cgroup w = { .job_id = job_id, .hierarchy_id = hierarchy_id };

	if (bpf_map_update_elem(bpf_map__fd(lt->skel->maps.watch_cgroups), &cgid, &w, BPF_ANY))
		return -errno;
	return 0;
}

/* Reads one pass of the iterator behind @link into lt->iter_buf; its length or -errno. */
static ssize_t iter_read(struct lineage *lt, struct bpf_link *link)
{
	if (!link)
		return -ENOTSUP;
	return loader__read_iter(bpf_link__fd(link), &lt->iter_buf, &lt->iter_cap);
}

int lineage__attach_existing(struct lineage *lt,
			     int (*fn)(void *ctx, const struct jt_attach_rec *r), void *ctx)
{
	struct jt_attach_rec r;
	ssize_t len;
	int err;

	for (int pass = 0; pass < 2; pass++) {
		len = iter_read(lt, lt->skel->links.attach_existing);
		if (len < 0)
			return (int)len;
		for (size_t off = 0; off + sizeof(r) <= (size_t)len; off += sizeof(r)) {
			memcpy(&r, lt->iter_buf + off, sizeof(r));
			if (fn) {
				err = fn(ctx, &r);
				if (err)
					return err;
			}
		}
	}
	/* Once, and a record per task of the host: not kept for the rest of the run. */
	free(lt->iter_buf);
	lt->iter_buf = NULL;
	lt->iter_cap = 0;
	return 0;
}

/* lineage__read_live()'s callback and its context, as loader__stream_iter() hands records. */
struct live_pass {
	int (*fn)(void *ctx, const struct jt_live_rec *r);
	void *ctx;
};

static int live_one(void *ctx, const void *rec)
{
	struct live_pass *lp = ctx;
	struct jt_live_rec r;

	memcpy(&r, rec, sizeof(r));
	return lp->fn(lp->ctx, &r);
}

/*
 * A live read is taken at every sample and holds a record per tracked task:
 * read through a buffer of a fixed size, records handed on as they come,
 * so that what serve keeps between samples does not grow with the host
 * (about 1 MiB at 10,000 tasks, kept for good, was the largest part).
 */
#define LIVE_BUF_BYTES (64 * 1024)

int lineage__read_live(struct lineage *lt, int (*fn)(void *ctx, const struct jt_live_rec *r),
		       void *ctx)
{
	struct live_pass lp = { .fn = fn, .ctx = ctx };
	struct bpf_link *link = lt->skel->links.live_tasks;

	if (!link)
		return -ENOTSUP;
	if (!lt->live_buf) {
		lt->live_buf = malloc(LIVE_BUF_BYTES);
		if (!lt->live_buf)
			return -ENOMEM;
	}
	return loader__stream_iter(bpf_link__fd(link), lt->live_buf, LIVE_BUF_BYTES,
				   sizeof(struct jt_live_rec), live_one, &lp);
}
