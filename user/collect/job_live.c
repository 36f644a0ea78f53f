// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <ftw.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobtrace/job_live.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

struct sample_ctx {
	int proc_fd;
	bool pss;
	__u64 ns_per_tick;
	struct job_live *out;
};

static int sample_member(void *ctx, const struct jt_proc_key *key, const struct jt_proc *proc)
{
	struct sample_ctx *sc = ctx;
	struct job_live *out = sc->out;
	struct proc_stat_fields st;
	struct proc_statm statm;
	struct proc_smaps_rollup sr;
	__u64 start_ns;
	int pid = (int)key->tgid, fds;

	if (proc_pid__read_stat(sc->proc_fd, pid, &st)) {
		out->vanished++;
		return 0;
	}
	/* (22) starttime: the same process, not a later one with its pid. */
	start_ns = st.starttime_ticks * sc->ns_per_tick;
	if (start_ns + 2 * sc->ns_per_tick < key->start_ns || start_ns > key->start_ns + 2 * sc->ns_per_tick) {
		out->vanished++;
		return 0;
	}
	out->processes++;
	out->cpu_ns += (st.utime_ticks + st.stime_ticks) * sc->ns_per_tick;
	if (!proc_pid__read_statm(sc->proc_fd, pid, &statm)) {
		out->rss_bytes += statm.resident_bytes;
		out->vm_bytes += statm.size_bytes;
	}
	fds = proc_pid__count_fds(sc->proc_fd, pid);
	if (fds > 0)
		out->open_files += (__u64)fds;
	if (sc->pss && !proc_pid__read_smaps_rollup(sc->proc_fd, pid, &sr)) {
		out->pss_bytes += sr.pss_bytes;
		out->uss_bytes += sr.uss_bytes;
		out->swap_bytes += sr.swap_bytes;
	}
	return 0;
}

double job_live__cpu_rate(const struct job_live *prev, const struct job_live *cur)
{
	__u64 dt = cur->sampled_ns - prev->sampled_ns;
	__s64 dcpu;

	if (!prev->sampled_ns || cur->sampled_ns <= prev->sampled_ns)
		return -1;
	/*
	 * Exited CPU is exact; live CPU is what /proc says of the members now.
	 * A member that exited between the samples moves its CPU from the live
	 * sum to the exited one: the total stays right to the clock tick.
	 */
	dcpu = (__s64)(cur->cpu_ns + cur->exited_cpu_ns) - (__s64)(prev->cpu_ns + prev->exited_cpu_ns);
	if (dcpu < 0)
		dcpu = 0;
	return 100.0 * (double)dcpu / (double)dt;
}

int job_live__sample(struct lineage *lt, __u64 job_id, int proc_fd, bool pss,
		     const struct job_live *prev, struct job_live *out)
{
	struct sample_ctx sc = {
		.proc_fd = proc_fd,
		.pss = pss,
		.ns_per_tick = 1000000000ULL / (__u64)sysconf(_SC_CLK_TCK),
		.out = out,
	};
	struct jt_job_stats stats;
	int err;

	memset(out, 0, sizeof(*out));
	out->pss = pss;
	out->cpu_rate_pct = -1;
	err = lineage__job_stats(lt, job_id, &stats);
	if (err)
		return err;
	out->exited_cpu_ns = stats.exited.cpu_ns;
	err = lineage__for_each_proc(lt, job_id, sample_member, &sc);
	out->sampled_ns = util__now_ns();
	if (prev)
		out->cpu_rate_pct = job_live__cpu_rate(prev, out);
	return err;
}

/* nftw has no context argument: one walk at a time. */
static struct workdir_usage *walk_out;
static void *walk_seen; /* tsearch tree of (dev, ino) of files with more than one link */

struct inode_id {
	dev_t dev;
	ino_t ino;
};

static int inode_cmp(const void *a, const void *b)
{
	const struct inode_id *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return (x->ino > y->ino) - (x->ino < y->ino);
}

static int walk_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	struct inode_id *id;
	void **found;

	if (type == FTW_NS || type == FTW_DNR) {
		walk_out->errors++;
		return 0;
	}
	/* A file with several links is counted once, as du does. */
	if (type == FTW_F && sb->st_nlink > 1) {
		id = malloc(sizeof(*id));
		if (!id)
			return -1;
		id->dev = sb->st_dev;
		id->ino = sb->st_ino;
		found = tsearch(id, &walk_seen, inode_cmp);
		if (!found) {
			free(id);
			return -1;
		}
		if (*found != id) {
			free(id);
			return 0;
		}
	}
	walk_out->size_bytes += (__u64)sb->st_blocks * 512;
	walk_out->apparent_bytes += (__u64)sb->st_size;
	if (type == FTW_F || type == FTW_SL)
		walk_out->files++;
	return 0;
}

int workdir__usage(const char *path, struct workdir_usage *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	walk_out = out;
	walk_seen = NULL;
	errno = 0;
	if (nftw(path, walk_one, 32, FTW_PHYS | FTW_MOUNT))
		err = errno ? -errno : -ENOMEM;
	else
		err = 0;
	tdestroy(walk_seen, free);
	walk_seen = NULL;
	walk_out = NULL;
	if (err)
		return err;
	out->fs_ok = fsusage__stat(path, &out->fs) == 0;
	return 0;
}
