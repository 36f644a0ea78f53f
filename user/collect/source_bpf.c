// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The BPF event source: the collector's source_ops over user/bpf/lineage.c.
 * Every call the collector makes of the kernel side goes through here.
 */
#include <errno.h>
#include <stdlib.h>

#include "jobtrace/collector.h"
#include "jobtrace/source.h"

static struct lineage *lt_of(struct collector *c)
{
	return *collector__source_priv(c);
}

static int on_exit_record(void *ctx, const struct jt_exit_event *e)
{
	return collector__on_exit(ctx, e);
}

static int on_exec_record(void *ctx, const struct jt_exec_event *e)
{
	return collector__on_exec(ctx, e);
}

static int on_fork_record(void *ctx, const struct jt_fork_event *e)
{
	return collector__on_fork(ctx, e);
}

static int bpf_open(struct collector *c, const struct lineage_opts *opts)
{
	struct lineage_opts o = *opts;
	struct lineage *lt;

	o.on_exit = on_exit_record;
	o.on_exec = on_exec_record;
	o.on_fork = on_fork_record;
	o.ctx = c;
	o.malformed = collector__malformed_counter(c);
	lt = lineage__open(&o);
	if (!lt)
		return -errno;
	*collector__source_priv(c) = lt;
	return 0;
}

static void bpf_close(struct collector *c)
{
	lineage__free(lt_of(c));
	*collector__source_priv(c) = NULL;
}

static int bpf_fd(struct collector *c)
{
	return lineage__ring_fd(lt_of(c));
}

static int bpf_consume(struct collector *c)
{
	return lineage__consume(lt_of(c));
}

static int bpf_add_root(struct collector *c, __u64 job_id, pid_t root)
{
	return lineage__add_job(lt_of(c), job_id, root);
}

static int bpf_add_empty(struct collector *c, __u64 job_id, __s32 cgroup_hierarchy)
{
	return lineage__add_empty_job(lt_of(c), job_id, cgroup_hierarchy);
}

static int bpf_add_attach_root(struct collector *c, __u64 job_id, pid_t pid, __u64 start_ns,
			       __u64 slack_ns)
{
	return lineage__add_attach_root(lt_of(c), job_id, pid, start_ns, slack_ns);
}

static int bpf_adopt(struct collector *c, __u64 job_id, pid_t pid, __u64 start_ns,
		     __u64 slack_ns, __u64 flags)
{
	return lineage__adopt(lt_of(c), job_id, pid, start_ns, slack_ns, flags);
}

static int on_attach_record(void *ctx, const struct jt_attach_rec *r);

static int bpf_adopt_tree(struct collector *c, __u64 job_id, pid_t pid, __u64 start_ns,
			  __u64 slack_ns, __u64 flags, uid_t uid, unsigned long *left_out)
{
	return lineage__adopt_tree(lt_of(c), job_id, pid, start_ns, slack_ns, flags, uid,
				   on_attach_record, c, left_out);
}

static int bpf_add_watch_cgroup(struct collector *c, __u64 job_id, __u64 cgid, __s32 hierarchy)
{
	return lineage__add_watch_cgroup(lt_of(c), job_id, cgid, hierarchy);
}

static int on_attach_record(void *ctx, const struct jt_attach_rec *r)
{
	return collector__on_attach(ctx, r);
}

static int bpf_attach_existing(struct collector *c)
{
	return lineage__attach_existing(lt_of(c), on_attach_record, c);
}

static int bpf_job_stats(struct collector *c, __u64 job_id, struct jt_job_stats *out)
{
	return lineage__job_stats(lt_of(c), job_id, out);
}

static int bpf_for_each_job(struct collector *c, int (*fn)(void *ctx, __u64 job_id), void *ctx)
{
	return lineage__for_each_job(lt_of(c), fn, ctx);
}

static int bpf_read_live(struct collector *c, int (*fn)(void *ctx, const struct jt_live_rec *r),
			 void *ctx)
{
	return lineage__read_live(lt_of(c), fn, ctx);
}

static int bpf_remove_job(struct collector *c, __u64 job_id)
{
	return lineage__remove_job(lt_of(c), job_id);
}

static int bpf_counters(struct collector *c, struct jt_counters *out)
{
	return lineage__counters(lt_of(c), out);
}

static int bpf_oom_cgroup(struct collector *c, const struct jt_proc_key *key,
			  struct jt_oom_cgroup *out)
{
	return lineage__oom_cgroup(lt_of(c), key, out);
}

static int bpf_for_each_proc(struct collector *c,
			     int (*fn)(void *ctx, const struct jt_proc_key *key, __u64 job_id),
			     void *ctx)
{
	return lineage__for_each_proc(lt_of(c), fn, ctx);
}

static int bpf_drop_proc(struct collector *c, const struct jt_proc_key *key, __u64 *job_id)
{
	return lineage__drop_proc(lt_of(c), key, job_id);
}

const struct source_ops source_bpf_ops = {
	.name = "bpf",
	.open = bpf_open,
	.close = bpf_close,
	.fd = bpf_fd,
	.consume = bpf_consume,
	.add_root = bpf_add_root,
	.add_empty = bpf_add_empty,
	.add_attach_root = bpf_add_attach_root,
	.add_watch_cgroup = bpf_add_watch_cgroup,
	.attach_existing = bpf_attach_existing,
	.job_stats = bpf_job_stats,
	.for_each_job = bpf_for_each_job,
	.read_live = bpf_read_live,
	.remove_job = bpf_remove_job,
	.counters = bpf_counters,
	.oom_cgroup = bpf_oom_cgroup,
	.for_each_proc = bpf_for_each_proc,
	.drop_proc = bpf_drop_proc,
	.adopt = bpf_adopt,
	.adopt_tree = bpf_adopt_tree,
	.live_per_task = true,
	.ring_ordered = true,
};
