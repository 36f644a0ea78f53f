// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `jobtrace inspect`'s report of one process, as JSON and as text. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "jobtrace/connections.h"
#include "jobtrace/inspect_proc.h"
#include "jobtrace/report.h"
#include "jobtrace/util.h"

static const char *const part_names[INSPECT_PARTS] = {
	[INSPECT_STATUS] = "status",	   [INSPECT_STATM] = "statm",
	[INSPECT_SMAPS] = "smaps_rollup",  [INSPECT_IO] = "io",
	[INSPECT_EXE] = "exe",		   [INSPECT_CWD] = "cwd",
	[INSPECT_CMDLINE] = "cmdline",	   [INSPECT_ENVIRON] = "environ",
	[INSPECT_CGROUP] = "cgroup",	   [INSPECT_LIMITS] = "rlimits",
	[INSPECT_FDS] = "open_files",	   [INSPECT_CONNS] = "connections",
	[INSPECT_MAPS] = "memory_maps",	   [INSPECT_AFFINITY] = "cpu_affinity",
	[INSPECT_IONICE] = "ionice",	   [INSPECT_THREADS] = "threads",
	[INSPECT_CHILDREN] = "children",   [INSPECT_CPU_PERCENT] = "cpu_percent",
};

/* proc(5) state letters, in the words psutil uses. */
static const char *state_word(char st)
{
	switch (st) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk-sleep";
	case 'Z': return "zombie";
	case 'T': return "stopped";
	case 't': return "tracing-stop";
	case 'X': case 'x': return "dead";
	case 'K': return "wake-kill";
	case 'W': return "waking";
	case 'I': return "idle";
	case 'P': return "parked";
	default: return "unknown";
	}
}

static const char *ioprio_class_name(int cls)
{
	static const char *const names[] = { "none", "realtime", "best-effort", "idle" };

	return cls >= 0 && (size_t)cls < ARRAY_SIZE(names) ? names[cls] : "unknown";
}

static bool ok(const struct inspect_proc *p, enum inspect_part part)
{
	return p->asked[part] && !p->err[part];
}

static double ticks_s(unsigned long long t, const struct inspect_options *o)
{
	return (double)t / (double)o->ticks_per_sec;
}

static void json_ids(struct json_writer *w, const char *key, const uint32_t ids[4])
{
	json__begin_object(w, key);
	json__u64(w, "real", ids[0]);
	json__u64(w, "effective", ids[1]);
	json__u64(w, "saved", ids[2]);
	json__u64(w, "fs", ids[3]);
	json__end_object(w);
}

static void json_strv(struct json_writer *w, const char *key, const struct proc_cmdline *c)
{
	json__begin_array(w, key);
	for (size_t i = 0; i < c->argc; i++)
		json__stringn(w, NULL, c->argv[i], c->arg_len[i]);
	json__end_array(w);
}

static void json_link(struct json_writer *w, const char *key, const struct inspect_proc *p,
		      enum inspect_part part, const struct proc_link *l)
{
	if (ok(p, part) && l->len)
		json__stringn(w, key, l->path, l->len);
	else
		json__null(w, key);
}

/* A key of a part that was read, else null: the keys stay whatever could be read. */
static void json_u64_if(struct json_writer *w, const char *key, bool known, __u64 v)
{
	if (known)
		json__u64(w, key, v);
	else
		json__null(w, key);
}

static void json_memory(struct json_writer *w, const struct inspect_proc *p,
			const struct inspect_options *o)
{
	const struct proc_status *st = &p->status;
	bool statm = ok(p, INSPECT_STATM), status = ok(p, INSPECT_STATUS) && st->has_mm;
	/* Not asked of a kernel thread or a zombie (no memory map): null too. */
	bool smaps = ok(p, INSPECT_SMAPS);

	json__begin_object(w, "memory");
	json_u64_if(w, "rss_bytes", statm, p->statm.resident_bytes);
	json_u64_if(w, "vms_bytes", statm, p->statm.size_bytes);
	json_u64_if(w, "shared_bytes", statm, p->statm.shared_bytes);
	json_u64_if(w, "text_bytes", statm, p->statm.text_bytes);
	json_u64_if(w, "data_bytes", statm, p->statm.data_bytes);
	json_u64_if(w, "peak_rss_bytes", status, st->vm_hwm_bytes);
	json_u64_if(w, "peak_vms_bytes", status, st->vm_peak_bytes);
	json_u64_if(w, "rss_anon_bytes", status, st->rss_anon_bytes);
	json_u64_if(w, "rss_file_bytes", status, st->rss_file_bytes);
	json_u64_if(w, "rss_shmem_bytes", status, st->rss_shmem_bytes);
	json_u64_if(w, "swap_bytes", status, st->vm_swap_bytes);
	json_u64_if(w, "hugetlb_bytes", status, st->hugetlb_bytes);
	json_u64_if(w, "uss_bytes", smaps, p->smaps.uss_bytes);
	json_u64_if(w, "pss_bytes", smaps, p->smaps.pss_bytes);
	json_u64_if(w, "swap_pss_bytes", smaps, p->smaps.swap_pss_bytes);
	if (statm && o->mem_total_bytes)
		json__double(w, "percent",
			     100.0 * (double)p->statm.resident_bytes / (double)o->mem_total_bytes);
	else
		json__null(w, "percent");
	json__end_object(w);
}

static void json_io(struct json_writer *w, const struct inspect_proc *p)
{
	if (!ok(p, INSPECT_IO)) {
		json__null(w, "io");
		return;
	}
	json__begin_object(w, "io");
	json__u64(w, "read_count", p->io.syscr);
	json__u64(w, "write_count", p->io.syscw);
	json__u64(w, "read_bytes", p->io.read_bytes);
	json__u64(w, "write_bytes", p->io.write_bytes);
	json__u64(w, "read_chars", p->io.rchar);
	json__u64(w, "write_chars", p->io.wchar);
	json__u64(w, "cancelled_write_bytes", p->io.cancelled_write_bytes);
	json__end_object(w);
}

static void json_files(struct json_writer *w, const struct inspect_proc *p)
{
	if (!ok(p, INSPECT_FDS)) {
		json__null(w, "num_fds");
		json__null(w, "open_files");
		return;
	}
	json__u64(w, "num_fds", p->fds.n);
	/* psutil's open_files: regular files only; pipes and sockets are elsewhere. */
	json__begin_array(w, "open_files");
	for (size_t i = 0; i < p->fds.n; i++) {
		const struct proc_fd_entry *e = &p->fds.v[i];

		if ((e->kind != PROC_FD_PATH && !e->err) || !e->regular)
			continue;
		json__begin_object(w, NULL);
		if (e->err)
			json__null(w, "path"); /* d_path() failed: a path too long to print */
		else
			json__stringn(w, "path", e->target, e->target_len);
		json__i64(w, "fd", e->fd);
		if (e->has_info) {
			json__i64(w, "position", e->pos);
			json__string(w, "mode", proc_fd__mode(e->flags));
			json__u64(w, "flags", e->flags);
		} else { /* its fdinfo could not be read */
			json__null(w, "position");
			json__null(w, "mode");
			json__null(w, "flags");
		}
		json__bool(w, "deleted", e->deleted);
		json__end_object(w);
	}
	json__end_array(w);
}

/* The fd of a socket, for the connections list. */
static int fd_of_inode(const struct inspect_proc *p, __u64 inode)
{
	for (size_t i = 0; i < p->fds.n; i++) {
		if (p->fds.v[i].kind == PROC_FD_SOCKET && p->fds.v[i].inode == inode)
			return p->fds.v[i].fd;
	}
	return -1;
}

static void json_conns(struct json_writer *w, const struct inspect_proc *p)
{
	if (!ok(p, INSPECT_CONNS)) {
		json__null(w, "connections");
		return;
	}
	json__begin_array(w, "connections");
	for (size_t i = 0; i < p->conns.n; i++) {
		const struct netsock_conn *c = &p->conns.v[i];

		json__begin_object(w, NULL);
		json__i64(w, "fd", fd_of_inode(p, c->inode));
		connections__write_socket(w, c);
		json__end_object(w);
	}
	json__end_array(w);
}

static void json_threads(struct json_writer *w, const struct inspect_proc *p,
			 const struct inspect_options *o)
{
	if (!ok(p, INSPECT_THREADS)) {
		json__null(w, "threads");
		return;
	}
	json__begin_array(w, "threads");
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct inspect_thread *t = &p->threads[i];
		char state[2] = { t->state, 0 };

		json__begin_object(w, NULL);
		json__i64(w, "tid", t->tid);
		json__stringn(w, "comm", t->comm, t->comm_len);
		json__string(w, "state", state);
		json__double(w, "user_s", ticks_s(t->utime_ticks, o));
		json__double(w, "system_s", ticks_s(t->stime_ticks, o));
		json__i64(w, "cpu_num", t->processor);
		json__end_object(w);
	}
	json__end_array(w);
}

static void json_limits(struct json_writer *w, const struct inspect_proc *p)
{
	if (!ok(p, INSPECT_LIMITS)) {
		json__null(w, "rlimits");
		return;
	}
	/* -1 is unlimited, as RLIM_INFINITY reads through psutil and prlimit(2). */
	json__begin_object(w, "rlimits");
	for (unsigned int r = 0; r < PROC_LIMITS_N; r++) {
		const struct proc_limit *l = &p->limits.lim[r];

		if (!l->known)
			continue;
		json__begin_object(w, proc_limits__name(r));
		if (l->soft == PROC_LIMIT_INFINITY)
			json__i64(w, "soft", -1);
		else
			json__u64(w, "soft", l->soft);
		if (l->hard == PROC_LIMIT_INFINITY)
			json__i64(w, "hard", -1);
		else
			json__u64(w, "hard", l->hard);
		json__end_object(w);
	}
	json__end_object(w);
}

static void json_maps(struct json_writer *w, const struct inspect_proc *p)
{
	json__begin_array(w, "memory_maps");
	for (size_t i = 0; i < p->maps.n; i++) {
		const struct proc_map_group *g = &p->maps.v[i];

		json__begin_object(w, NULL);
		json__stringn(w, "path", g->path, g->path_len);
		json__bool(w, "deleted", g->deleted);
		json__u64(w, "mappings", g->mappings);
		json__u64(w, "size_bytes", g->size_bytes);
		json__u64(w, "rss_bytes", g->rss_bytes);
		json__u64(w, "pss_bytes", g->pss_bytes);
		json__u64(w, "shared_clean_bytes", g->shared_clean_bytes);
		json__u64(w, "shared_dirty_bytes", g->shared_dirty_bytes);
		json__u64(w, "private_clean_bytes", g->private_clean_bytes);
		json__u64(w, "private_dirty_bytes", g->private_dirty_bytes);
		json__u64(w, "referenced_bytes", g->referenced_bytes);
		json__u64(w, "anonymous_bytes", g->anonymous_bytes);
		json__u64(w, "swap_bytes", g->swap_bytes);
		json__end_object(w);
	}
	json__end_array(w);
}

void inspect__write_json(struct json_writer *w, const struct inspect_proc *p,
			 const struct inspect_options *o)
{
	const struct proc_stat_fields *s = &p->stat;
	const struct proc_status *st = &p->status;
	char state[2] = { s->state, 0 };

	json__begin_object(w, NULL);
	json__i64(w, "pid", p->pid);
	json__i64(w, "ppid", s->ppid);
	json__string(w, "name", p->name);
	json__stringn(w, "comm", s->comm, s->comm_len);
	json__string(w, "state", state);
	json__string(w, "status", state_word(s->state));
	json__bool(w, "kernel_thread", proc_stat__is_kthread(s));
	json_link(w, "exe", p, INSPECT_EXE, &p->exe);
	json_link(w, "cwd", p, INSPECT_CWD, &p->cwd);
	if (ok(p, INSPECT_CMDLINE))
		json_strv(w, "cmdline", &p->cmdline);
	else
		json__null(w, "cmdline");
	json__double(w, "create_time",
		     (double)o->boot_epoch_ns / 1e9 + ticks_s(s->starttime_ticks, o));
	json__i64(w, "pgrp", s->pgrp);
	json__i64(w, "session", s->session);
	if (p->tty[0])
		json__string(w, "terminal", p->tty);
	else
		json__null(w, "terminal");
	if (ok(p, INSPECT_STATUS)) {
		uint32_t uids[4] = { st->uid_real, st->uid_effective, st->uid_saved, st->uid_fs };
		uint32_t gids[4] = { st->gid_real, st->gid_effective, st->gid_saved, st->gid_fs };

		if (p->username[0])
			json__string(w, "username", p->username);
		else
			json__null(w, "username");
		json_ids(w, "uids", uids);
		json_ids(w, "gids", gids);
	} else {
		/* Unknown is said as such: the keys stay, null, as every other part's do. */
		json__null(w, "username");
		json__null(w, "uids");
		json__null(w, "gids");
	}
	json__i64(w, "nice", s->nice);
	json__i64(w, "priority", s->priority);
	if (ok(p, INSPECT_IONICE)) {
		json__begin_object(w, "ionice");
		json__string(w, "class", ioprio_class_name(p->ioprio_class));
		json__i64(w, "value", p->ioprio_level);
		json__end_object(w);
	} else {
		json__null(w, "ionice");
	}

	json__begin_object(w, "cpu_times");
	json__double(w, "user", ticks_s(s->utime_ticks, o));
	json__double(w, "system", ticks_s(s->stime_ticks, o));
	json__double(w, "children_user", ticks_s((unsigned long long)s->cutime_ticks, o));
	json__double(w, "children_system", ticks_s((unsigned long long)s->cstime_ticks, o));
	json__double(w, "iowait", ticks_s(s->delayacct_blkio_ticks, o));
	json__end_object(w);
	if (ok(p, INSPECT_CPU_PERCENT))
		json__double(w, "cpu_percent", p->cpu_percent);
	else
		json__null(w, "cpu_percent");
	json__i64(w, "cpu_num", s->processor);
	if (ok(p, INSPECT_AFFINITY)) {
		json__begin_array(w, "cpu_affinity");
		for (size_t i = 0; i < p->ncpus; i++)
			json__u64(w, NULL, p->cpus[i]);
		json__end_array(w);
	} else {
		json__null(w, "cpu_affinity");
	}
	json__begin_object(w, "page_faults");
	json__u64(w, "minor", s->minflt);
	json__u64(w, "major", s->majflt);
	json__end_object(w);
	if (ok(p, INSPECT_STATUS)) {
		json__begin_object(w, "num_ctx_switches");
		json__u64(w, "voluntary", st->voluntary_ctxt_switches);
		json__u64(w, "involuntary", st->nonvoluntary_ctxt_switches);
		json__end_object(w);
	} else {
		json__null(w, "num_ctx_switches");
	}
	json__i64(w, "num_threads", s->num_threads);
	json_threads(w, p, o);

	json_memory(w, p, o);
	json_io(w, p);
	json_files(w, p);
	json_conns(w, p);
	json_limits(w, p);

	if (ok(p, INSPECT_CGROUP) && p->cgroup.unified_path)
		json__string(w, "cgroup", p->cgroup.unified_path);
	else
		json__null(w, "cgroup");
	if (ok(p, INSPECT_CHILDREN)) {
		json__begin_array(w, "children");
		for (size_t i = 0; i < p->nchildren; i++)
			json__i64(w, NULL, p->children[i]);
		json__end_array(w);
	} else {
		json__null(w, "children");
	}
	if (ok(p, INSPECT_ENVIRON))
		json_strv(w, "environ", &p->environ);
	if (ok(p, INSPECT_MAPS))
		json_maps(w, p);

	/* Why each missing part is missing: "Permission denied", "No such process". */
	json__begin_object(w, "unavailable");
	for (int i = 0; i < INSPECT_PARTS; i++) {
		if (p->asked[i] && p->err[i])
			json__string(w, part_names[i], strerror(-p->err[i]));
	}
	json__end_object(w);
	json__end_object(w);
}

/* ---- text ---- */

static void text_label(FILE *f, const char *label)
{
	fprintf(f, "  %-14s", label);
}

static void text_unavailable(FILE *f, const struct inspect_proc *p, enum inspect_part part)
{
	fprintf(f, "(%s)\n", p->asked[part] ? strerror(-p->err[part]) : "not read");
}

static void text_link(FILE *f, const char *label, const struct inspect_proc *p,
		      enum inspect_part part, const struct proc_link *l)
{
	text_label(f, label);
	if (!ok(p, part)) {
		text_unavailable(f, p, part);
		return;
	}
	text__escape(f, l->path, l->len);
	fputs(l->deleted ? " (deleted)\n" : "\n", f);
}

/* "label value" pairs on one line; *@n counts them, for the separators. */
static void text_bytes(FILE *f, int *n, const char *label, unsigned long long v)
{
	char buf[32];

	fprintf(f, "%s%s %s", (*n)++ ? "  " : "", label, report__bytes(buf, sizeof(buf), v));
}

static void text_memory(FILE *f, const struct inspect_proc *p, const struct inspect_options *o)
{
	const struct proc_status *st = &p->status;
	int n = 0;

	text_label(f, "memory");
	if (!ok(p, INSPECT_STATM)) {
		text_unavailable(f, p, INSPECT_STATM);
		return;
	}
	text_bytes(f, &n, "rss", p->statm.resident_bytes);
	text_bytes(f, &n, "vms", p->statm.size_bytes);
	text_bytes(f, &n, "shared", p->statm.shared_bytes);
	if (ok(p, INSPECT_SMAPS)) {
		text_bytes(f, &n, "pss", p->smaps.pss_bytes);
		text_bytes(f, &n, "uss", p->smaps.uss_bytes);
	}
	if (ok(p, INSPECT_STATUS) && st->has_mm) {
		text_bytes(f, &n, "peak", st->vm_hwm_bytes);
		text_bytes(f, &n, "swap", st->vm_swap_bytes);
	}
	if (o->mem_total_bytes)
		fprintf(f, " (%.2f%% of memory)",
			100.0 * (double)p->statm.resident_bytes / (double)o->mem_total_bytes);
	fputc('\n', f);
}

static void text_files(FILE *f, const struct inspect_proc *p)
{
	text_label(f, "fds");
	if (!ok(p, INSPECT_FDS)) {
		text_unavailable(f, p, INSPECT_FDS);
		return;
	}
	fprintf(f, "%zu open\n", p->fds.n);
	for (size_t i = 0; i < p->fds.n; i++) {
		const struct proc_fd_entry *e = &p->fds.v[i];

		fprintf(f, "  %16d ", e->fd);
		if (e->has_info && e->kind == PROC_FD_PATH)
			fprintf(f, "%-2s ", proc_fd__mode(e->flags));
		else
			fputs("   ", f);
		if (e->err)
			fprintf(f, "(%s)", strerror(-e->err));
		text__escape(f, e->target, e->target_len);
		if (e->deleted)
			fputs(" (deleted)", f);
		if (e->has_info && e->regular)
			fprintf(f, " @%lld", (long long)e->pos);
		fputc('\n', f);
	}
}

static void text_conns(FILE *f, const struct inspect_proc *p)
{
	if (!ok(p, INSPECT_CONNS) || !p->conns.n)
		return;
	text_label(f, "sockets");
	fprintf(f, "%zu\n", p->conns.n);
	for (size_t i = 0; i < p->conns.n; i++) {
		const struct netsock_conn *c = &p->conns.v[i];
		const char *st = connections__status(c);

		fprintf(f, "  %16d %s/%s ", fd_of_inode(p, c->inode), netsock__family_name(c->family),
			netsock__type_name(c->type));
		if (c->family == AF_UNIX) {
			text__escape(f, c->path, strlen(c->path));
		} else {
			char addr[INET6_ADDRSTRLEN + 16];
			bool v6 = c->family == AF_INET6;

			netsock__format_addr(addr, sizeof(addr), c->laddr, c->lport, v6);
			fputs(addr, f);
			if (c->rport) {
				netsock__format_addr(addr, sizeof(addr), c->raddr, c->rport, v6);
				fprintf(f, " -> %s", addr);
			}
		}
		if (st)
			fprintf(f, " %s", st);
		fputc('\n', f);
	}
}

static void text_limits(FILE *f, const struct inspect_proc *p)
{
	text_label(f, "rlimits");
	if (!ok(p, INSPECT_LIMITS)) {
		text_unavailable(f, p, INSPECT_LIMITS);
		return;
	}
	fprintf(f, "%2s %20s %20s\n", "", "soft", "hard");
	for (unsigned int r = 0; r < PROC_LIMITS_N; r++) {
		const struct proc_limit *l = &p->limits.lim[r];
		const uint64_t v[2] = { l->soft, l->hard };

		if (!l->known)
			continue;
		fprintf(f, "  %16s", proc_limits__name(r));
		for (int i = 0; i < 2; i++) {
			if (v[i] == PROC_LIMIT_INFINITY)
				fprintf(f, " %20s", "unlimited");
			else
				fprintf(f, " %20llu", (unsigned long long)v[i]);
		}
		fprintf(f, " %s\n", proc_limits__unit(r));
	}
}

void inspect__write_text(FILE *f, const struct inspect_proc *p, const struct inspect_options *o)
{
	const struct proc_stat_fields *s = &p->stat;
	const struct proc_status *st = &p->status;

	fprintf(f, "pid %d  ", p->pid);
	text__escape(f, p->name, strlen(p->name));
	fprintf(f, "\n");
	text_label(f, "state");
	fprintf(f, "%c (%s)%s\n", s->state, state_word(s->state),
		proc_stat__is_kthread(s) ? ", kernel thread" : "");
	text_label(f, "parent");
	fprintf(f, "%d  pgrp %d  session %d  terminal %s\n", s->ppid, s->pgrp, s->session,
		p->tty[0] ? p->tty : "-");
	text_link(f, "exe", p, INSPECT_EXE, &p->exe);
	text_link(f, "cwd", p, INSPECT_CWD, &p->cwd);
	text_label(f, "cmdline");
	if (ok(p, INSPECT_CMDLINE)) {
		for (size_t i = 0; i < p->cmdline.argc; i++) {
			fputs(i ? " " : "", f);
			text__escape(f, p->cmdline.argv[i], p->cmdline.arg_len[i]);
		}
		fputc('\n', f);
	} else {
		text_unavailable(f, p, INSPECT_CMDLINE);
	}
	text_label(f, "user");
	if (!ok(p, INSPECT_STATUS)) {
		text_unavailable(f, p, INSPECT_STATUS);
	} else {
		fprintf(f, "%s uid %u/%u/%u/%u gid %u/%u/%u/%u (real/effective/saved/fs)\n",
			p->username[0] ? p->username : "?", st->uid_real, st->uid_effective,
			st->uid_saved, st->uid_fs, st->gid_real, st->gid_effective, st->gid_saved,
			st->gid_fs);
	}
	text_label(f, "started");
	{
		time_t t = (time_t)((o->boot_epoch_ns / 1000000000ull) +
				    s->starttime_ticks / (unsigned long long)o->ticks_per_sec);
		struct tm tm;
		char when[64];

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
		fprintf(f, "%s\n", when);
	}
	text_label(f, "cpu");
	fprintf(f, "user %.2f s  system %.2f s  children %.2f/%.2f s  on cpu %d", ticks_s(s->utime_ticks, o),
		ticks_s(s->stime_ticks, o), ticks_s((unsigned long long)s->cutime_ticks, o),
		ticks_s((unsigned long long)s->cstime_ticks, o), s->processor);
	if (ok(p, INSPECT_CPU_PERCENT))
		fprintf(f, "  now %.1f%%", p->cpu_percent);
	fputc('\n', f);
	text_label(f, "scheduling");
	fprintf(f, "nice %lld", (long long)s->nice);
	if (ok(p, INSPECT_IONICE))
		fprintf(f, "  ionice %s/%d", ioprio_class_name(p->ioprio_class), p->ioprio_level);
	if (ok(p, INSPECT_AFFINITY)) {
		fputs("  cpus", f);
		for (size_t i = 0; i < p->ncpus; i++)
			fprintf(f, "%c%u", i ? ',' : ' ', p->cpus[i]);
	}
	if (ok(p, INSPECT_STATUS))
		fprintf(f, "  switches %llu voluntary, %llu involuntary",
			(unsigned long long)st->voluntary_ctxt_switches,
			(unsigned long long)st->nonvoluntary_ctxt_switches);
	fputc('\n', f);
	text_memory(f, p, o);
	text_label(f, "io");
	if (ok(p, INSPECT_IO)) {
		int n = 0;

		text_bytes(f, &n, "read", p->io.read_bytes);
		text_bytes(f, &n, "written", p->io.write_bytes);
		fprintf(f, " (%llu/%llu calls, ", (unsigned long long)p->io.syscr,
			(unsigned long long)p->io.syscw);
		fprintf(f, "chars %llu/%llu)\n", (unsigned long long)p->io.rchar,
			(unsigned long long)p->io.wchar);
	} else {
		text_unavailable(f, p, INSPECT_IO);
	}
	text_label(f, "threads");
	fprintf(f, "%lld", (long long)s->num_threads);
	if (ok(p, INSPECT_THREADS)) {
		fputc(':', f);
		for (size_t i = 0; i < p->nthreads; i++) {
			fprintf(f, " %d ", p->threads[i].tid);
			text__escape(f, p->threads[i].comm, p->threads[i].comm_len);
		}
		fputc('\n', f);
	} else {
		fputc(' ', f);
		text_unavailable(f, p, INSPECT_THREADS);
	}
	text_label(f, "children");
	if (ok(p, INSPECT_CHILDREN)) {
		for (size_t i = 0; i < p->nchildren; i++)
			fprintf(f, "%s%d", i ? " " : "", p->children[i]);
		fputs(p->nchildren ? "\n" : "none\n", f);
	} else {
		text_unavailable(f, p, INSPECT_CHILDREN);
	}
	text_label(f, "cgroup");
	if (ok(p, INSPECT_CGROUP) && p->cgroup.unified_path) {
		text__escape(f, p->cgroup.unified_path, strlen(p->cgroup.unified_path));
		fputc('\n', f);
	} else {
		fputs("-\n", f);
	}
	text_files(f, p);
	text_conns(f, p);
	text_limits(f, p);
	if (ok(p, INSPECT_ENVIRON)) {
		fputs("  environ\n", f);
		for (size_t i = 0; i < p->environ.argc; i++) {
			fputs("    ", f);
			text__escape(f, p->environ.argv[i], p->environ.arg_len[i]);
			fputc('\n', f);
		}
	}
	if (ok(p, INSPECT_MAPS)) {
		text_label(f, "maps");
		fprintf(f, "%12s %12s %12s %12s  %s\n", "rss", "pss", "private", "swap", "path");
		for (size_t i = 0; i < p->maps.n; i++) {
			const struct proc_map_group *g = &p->maps.v[i];

			fprintf(f, "  %14s%12llu %12llu %12llu %12llu  ", "",
				(unsigned long long)g->rss_bytes, (unsigned long long)g->pss_bytes,
				(unsigned long long)(g->private_clean_bytes + g->private_dirty_bytes),
				(unsigned long long)g->swap_bytes);
			text__escape(f, g->path, g->path_len);
			fputc('\n', f);
		}
	}
}
