// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The host snapshot as text, for a terminal: `jobtrace system`. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "jobtrace/json.h"
#include "jobtrace/report.h"
#include "jobtrace/system.h"
#include "jobtrace/util.h"

#define NS_PER_S 1e9

static void text_sockets(FILE *f, const struct host_sample *s)
{
	const struct netsock_counts *c = &s->sockets;

	if (!(s->have & HOST_HAVE_SOCKETS))
		return;
	fprintf(f, "  sockets     %llu tcp, %llu udp, %llu unix; tcp:",
		(unsigned long long)c->tcp, (unsigned long long)c->udp,
		(unsigned long long)c->unix_);
	for (unsigned int st = 1; st < NETSOCK_TCP_STATES; st++) {
		if (c->tcp_state[st])
			fprintf(f, " %llu %s", (unsigned long long)c->tcp_state[st],
				netsock__tcp_state_name(st));
	}
	fputc('\n', f);
}

static void text_processes(FILE *f, const struct host_sample *s)
{
	const struct proc_state_counts *p = &s->procs;

	if (!(s->have & HOST_HAVE_PROCS))
		return;
	fprintf(f, "  processes   %zu: %zu running, %zu sleeping, %zu in disk sleep, %zu zombie, "
		   "%zu stopped, %zu idle kernel threads\n",
		p->total, p->running, p->sleeping, p->disk_sleep, p->zombie,
		p->stopped + p->tracing_stop, p->idle);
}

/* The first column, "  net eth0    ", with the name escaped for a terminal. */
static void text_label(FILE *f, const char *kind, const char *name)
{
	size_t w;

	if (!name) {
		fprintf(f, "  %-11s ", kind);
		return;
	}
	w = (size_t)fprintf(f, "  %s ", kind) - 2;
	w += text__escape(f, name, strlen(name));
	fprintf(f, "%*s ", w < 11 ? (int)(11 - w) : 0, "");
}

/*
 * "node07, Linux 6.1.0-28-amd64 x86_64, #1 SMP ..., NIS domain lab": what
 * uname -a says, in parts separated by commas. Unknown and empty values are
 * left out, and with them the line when there is nothing at all.
 */
static void text_host(FILE *f, const struct host_sample *s)
{
	static const struct {
		enum hostinfo_field field;
		int part; /* parts are separated by ", ", the words of one part by " " */
		const char *prefix;
	} layout[] = {
		{ HOSTINFO_HOSTNAME, 0, "" },	    { HOSTINFO_OS_TYPE, 1, "" },
		{ HOSTINFO_KERNEL_VERSION, 1, "" }, { HOSTINFO_PLATFORM, 1, "" },
		{ HOSTINFO_KERNEL_BUILD, 2, "" },   { HOSTINFO_DOMAINNAME, 3, "NIS domain " },
	};
	int last = -1;

	for (size_t i = 0; i < ARRAY_SIZE(layout); i++) {
		const struct hostinfo_value *v = &s->host.v[layout[i].field];

		if (!v->known || !v->len)
			continue;
		if (last < 0)
			text_label(f, "host", NULL);
		else
			fputs(layout[i].part == last ? " " : ", ", f);
		fputs(layout[i].prefix, f);
		text__escape(f, v->bytes, v->len);
		last = layout[i].part;
	}
	if (last >= 0)
		fputc('\n', f);
}

static void text_cpu_pct(FILE *f, const struct cpu_percent *p)
{
	fprintf(f,
		"%.1f%% busy: %.1f%% user, %.1f%% nice, %.1f%% system, %.1f%% idle, "
		"%.1f%% iowait, %.1f%% irq, %.1f%% softirq, %.1f%% steal\n",
		p->busy, p->user, p->nice, p->system, p->idle, p->iowait, p->irq, p->softirq,
		p->steal);
}

static void text_cpu(FILE *f, const struct host_sample *s, const struct host_rates *r)
{
	const struct cpuinfo_cpu *ci = host__first_cpuinfo(s);
	double mhz = host__mhz(s);

	text_label(f, "cpu", NULL);
	fprintf(f, "%zu online", host__cpu_count(s));
	if (s->topology.physical_cores)
		fprintf(f, ", %u core%s", s->topology.physical_cores,
			s->topology.physical_cores == 1 ? "" : "s");
	if (s->topology.sockets)
		fprintf(f, ", %u socket%s", s->topology.sockets,
			s->topology.sockets == 1 ? "" : "s");
	if (ci && ci->model_name[0]) {
		fputs(", ", f);
		text__escape(f, ci->model_name, strlen(ci->model_name));
	}
	if (ci && ci->vendor_id[0]) {
		fputs(" (", f);
		text__escape(f, ci->vendor_id, strlen(ci->vendor_id));
		fprintf(f, " family %u model %u)", ci->family, ci->model);
	}
	if (!isnan(mhz))
		fprintf(f, ", %.0f MHz", mhz);
	if (ci && ci->bogomips > 0)
		fprintf(f, ", %.2f bogomips", ci->bogomips);
	fputc('\n', f);
	if (r && r->have_stat) {
		if (r->cpu_valid) {
			text_label(f, "cpu", "all");
			text_cpu_pct(f, &r->cpu);
		}
		for (size_t i = 0; i < r->n_cpus; i++) {
			char name[16];

			if (!r->cpus[i].valid)
				continue;
			snprintf(name, sizeof(name), "%u", s->stat.cpus[i].cpu);
			text_label(f, "cpu", name);
			text_cpu_pct(f, &r->cpus[i].pct);
		}
	}
	if (s->have & HOST_HAVE_STAT) {
		text_label(f, "kernel", NULL);
		/* A line /proc/stat lacks is left out, not shown as 0. */
		if (r && r->have_stat) {
			if (r->stat_has & PROC_STAT_HAS_CTXT)
				fprintf(f, "%.0f context switches/s, ", r->ctxt_per_s);
			if (r->stat_has & PROC_STAT_HAS_INTR)
				fprintf(f, "%.0f interrupts/s, ", r->intr_per_s);
			if (r->have_softirq)
				fprintf(f, "%.0f soft interrupts/s, ", r->softirq_per_s);
			if (r->stat_has & PROC_STAT_HAS_PROCESSES)
				fprintf(f, "%.1f forks/s; ", r->forks_per_s);
		}
		if (s->stat.has & PROC_STAT_HAS_PROCS_RUNNING)
			fprintf(f, "%" PRIu64 " running", (uint64_t)s->stat.procs_running);
		else
			fputs("? running", f);
		if (s->stat.has & PROC_STAT_HAS_PROCS_BLOCKED)
			fprintf(f, ", %" PRIu64 " blocked on I/O\n", (uint64_t)s->stat.procs_blocked);
		else
			fputs(", ? blocked on I/O\n", f);
	}
}

/* @v in words, or "unknown" where meminfo lacked its line (@field's bit in missing). */
static const char *mem_bytes(char *buf, size_t size, const struct meminfo *m,
			     enum meminfo_field field, __u64 v)
{
	if (m->missing & MEMINFO_BIT(field))
		return "unknown";
	return report__bytes(buf, size, v);
}

static void text_memory(FILE *f, const struct host_sample *s, const struct host_rates *r)
{
	const struct meminfo *m = &s->mem;
	char b[6][32], pct[16] = "unknown";

	if (!(s->have & HOST_HAVE_MEMINFO))
		return;
	text_label(f, "memory", NULL);
	/* Nothing to tell available from (a file cut after MemTotal): unknown, not 0. */
	if (m->avail_src != MEMINFO_AVAIL_NONE) {
		report__bytes(b[1], sizeof(b[1]), m->available_bytes);
		report__bytes(b[2], sizeof(b[2]), m->used_bytes);
		snprintf(pct, sizeof(pct), "%.1f%%", host__pct(m->used_bytes, m->total_bytes));
	} else {
		snprintf(b[1], sizeof(b[1]), "unknown");
		snprintf(b[2], sizeof(b[2]), "unknown");
	}
	fprintf(f, "%s total, %s available (%s), %s used (%s), %s free\n",
		report__bytes(b[0], sizeof(b[0]), m->total_bytes), b[1],
		host__avail_source_name(m->avail_src), b[2], pct,
		mem_bytes(b[3], sizeof(b[3]), m, MEMINFO_MEM_FREE, m->free_bytes));
	text_label(f, "", NULL);
	fprintf(f, "%s buffers, %s cached, %s shared, %s slab, ",
		mem_bytes(b[0], sizeof(b[0]), m, MEMINFO_BUFFERS, m->buffers_bytes),
		mem_bytes(b[1], sizeof(b[1]), m, MEMINFO_CACHED, m->cached_bytes),
		mem_bytes(b[2], sizeof(b[2]), m, MEMINFO_SHMEM, m->shared_bytes),
		mem_bytes(b[3], sizeof(b[3]), m, MEMINFO_SLAB, m->slab_bytes));
	fprintf(f, "%s active, %s inactive\n",
		mem_bytes(b[4], sizeof(b[4]), m, MEMINFO_ACTIVE, m->active_bytes),
		mem_bytes(b[5], sizeof(b[5]), m, MEMINFO_INACTIVE, m->inactive_bytes));
	text_label(f, "swap", NULL);
	if (m->missing & (MEMINFO_BIT(MEMINFO_SWAP_TOTAL) | MEMINFO_BIT(MEMINFO_SWAP_FREE))) {
		fputs("unknown", f);
	} else if (!m->swap_total_bytes) {
		fputs("none", f);
	} else {
		fprintf(f, "%s total, %s used (%.1f%%), %s free",
			report__bytes(b[0], sizeof(b[0]), m->swap_total_bytes),
			report__bytes(b[1], sizeof(b[1]), m->swap_used_bytes),
			host__pct(m->swap_used_bytes, m->swap_total_bytes),
			report__bytes(b[2], sizeof(b[2]), m->swap_free_bytes));
	}
	if (host__has_swap_io(s))
		fprintf(f, "; %s in, %s out since boot",
			report__bytes(b[3], sizeof(b[3]), m->swap_in_bytes),
			report__bytes(b[4], sizeof(b[4]), m->swap_out_bytes));
	if (r && r->have_swap)
		fprintf(f, "; %s/s in, %s/s out",
			report__bytes(b[3], sizeof(b[3]), (__u64)r->swap_in_bytes_per_s),
			report__bytes(b[4], sizeof(b[4]), (__u64)r->swap_out_bytes_per_s));
	fputc('\n', f);
}

static void text_load(FILE *f, const struct host_sample *s)
{
	if (s->have & HOST_HAVE_LOADAVG) {
		text_label(f, "load", NULL);
		fprintf(f, "%.2f %.2f %.2f, %u running of %u\n", s->load.load1, s->load.load5,
			s->load.load15, s->load.nr_running, s->load.nr_threads);
	}
	if (s->have & HOST_HAVE_UPTIME) {
		__u64 up = s->uptime.uptime_ns / 1000000000ULL;

		text_label(f, "uptime", NULL);
		fprintf(f, "%" PRIu64 " s (%" PRIu64 " d %02" PRIu64 ":%02" PRIu64
			   ":%02" PRIu64 ")",
			(uint64_t)up, (uint64_t)(up / 86400), (uint64_t)(up % 86400 / 3600),
			(uint64_t)(up % 3600 / 60), (uint64_t)(up % 60));
		if (s->have & HOST_HAVE_BOOT_TIME)
			fprintf(f, ", booted at %" PRIu64 " (epoch s%s)",
				(uint64_t)(s->boot.boot_time_ns / 1000000000ULL),
				s->boot.source == BOOT_TIME_BTIME ? "" :
				", estimated: no btime in stat");
		fputc('\n', f);
	}
}

static void text_net(FILE *f, const struct host_sample *s, const struct host_rates *r)
{
	char b[4][32];

	for (size_t i = 0; i < s->net.n; i++) {
		const struct netdev_if *ifp = &s->net.ifs[i];
		const struct host_net_rate *nr = r && i < r->n_net ? &r->net[i] : NULL;
		int up = host__net_is_up(ifp);
		bool first = true;

		text_label(f, "net", ifp->name);
		fputs(up < 0 ? "state unknown" : up ? "up" : "down", f);
		if (ifp->has_state) {
			fprintf(f, ", mtu %u", ifp->st.mtu_bytes);
			if (ifp->st.speed_mbps > 0)
				fprintf(f, ", %lld Mb/s", ifp->st.speed_mbps);
			if (ifp->st.duplex != NETDEV_DUPLEX_UNKNOWN)
				fprintf(f, ", %s duplex", netdev__duplex_name(ifp->st.duplex));
		}
		fprintf(f, "; rx %s, tx %s",
			report__bytes(b[0], sizeof(b[0]), ifp->c.rx_bytes),
			report__bytes(b[1], sizeof(b[1]), ifp->c.tx_bytes));
		if (nr && nr->valid)
			fprintf(f, "; %s/s in, %s/s out%s",
				report__bytes(b[2], sizeof(b[2]), (__u64)nr->r.rx_bytes_per_s),
				report__bytes(b[3], sizeof(b[3]), (__u64)nr->r.tx_bytes_per_s),
				nr->r.reset ? " (reset: at least)" : "");
		if (ifp->c.rx_errs || ifp->c.tx_errs || ifp->c.rx_drop || ifp->c.tx_drop)
			fprintf(f, "; %" PRIu64 " errors, %" PRIu64 " drops",
				ifp->c.rx_errs + ifp->c.tx_errs, ifp->c.rx_drop + ifp->c.tx_drop);
		for (size_t j = 0; j < s->addrs.n; j++) {
			const struct netdev_addr *a = &s->addrs.addrs[j];

			if (strcmp(a->ifname, ifp->name))
				continue;
			fprintf(f, "%s%s", first ? "; " : ", ", a->addr);
			if (a->prefix_len >= 0)
				fprintf(f, "/%d", a->prefix_len);
			first = false;
		}
		fputc('\n', f);
	}
}

static void text_disk_figures(FILE *f, const struct disk_stats *d,
			      const struct host_disk_rate *dr, bool with_busy)
{
	char b[4][32];

	fprintf(f, "%" PRIu64 " reads (%s), %" PRIu64 " writes (%s)", (uint64_t)d->reads,
		report__bytes(b[0], sizeof(b[0]), d->read_bytes), (uint64_t)d->writes,
		report__bytes(b[1], sizeof(b[1]), d->write_bytes));
	if (dr && dr->valid) {
		fprintf(f, "; %.1f reads/s (%s/s), %.1f writes/s (%s/s)", dr->reads_per_s,
			report__bytes(b[2], sizeof(b[2]), (__u64)dr->read_bytes_per_s),
			dr->writes_per_s,
			report__bytes(b[3], sizeof(b[3]), (__u64)dr->write_bytes_per_s));
		if (with_busy)
			fprintf(f, ", %.1f%% busy", dr->busy_pct);
	}
	fputc('\n', f);
}

static void text_disks(FILE *f, const struct host_sample *s, const struct host_rates *r,
		       const char *proc_root, const char *sys_root)
{
	size_t idle = 0;
	char b[4][32];

	if (!(s->have & HOST_HAVE_DISKS))
		return;
	if (s->disks.source == DISKSTATS_SRC_SYSFS) {
		text_label(f, "disks", NULL);
		fputs("from ", f);
		text__escape(f, sys_root, strlen(sys_root));
		fputs("/block/*/stat: ", f);
		text__escape(f, proc_root, strlen(proc_root));
		fprintf(f, "/diskstats: %s\n", strerror(-s->disks.proc_err));
	}
	for (size_t i = 0; i < s->disks.nr; i++) {
		const struct disk_stats *d = &s->disks.disks[i];

		if (!host__disk_listed(d))
			continue;
		/* Unused loop and ram devices would bury the disks (JSON has them all). */
		if (!d->reads && !d->writes) {
			idle++;
			continue;
		}
		text_label(f, "disk", d->name);
		text_disk_figures(f, d, r && i < r->n_disks ? &r->disks[i] : NULL, true);
	}
	if (idle)
		fprintf(f, "  %-11s %zu whole devices with no I/O since boot not shown\n", "disk",
			idle);
	text_label(f, "disks", "total");
	text_disk_figures(f, &s->disks.total, r ? &r->disk_total : NULL, false);

	for (size_t i = 0; i < s->n_fs; i++) {
		const struct host_fs *fs = &s->fs[i];

		text_label(f, "fs", fs->mount->mount_point);
		text__escape(f, fs->mount->fs_type, strlen(fs->mount->fs_type));
		fputc(' ', f);
		text__escape(f, fs->mount->source, strlen(fs->mount->source));
		if (fs->has_usage) {
			fprintf(f, ": %s total, %s used, %s free",
				report__bytes(b[0], sizeof(b[0]), fs->usage.total_bytes),
				report__bytes(b[1], sizeof(b[1]), fs->usage.used_bytes),
				report__bytes(b[2], sizeof(b[2]), fs->usage.avail_bytes));
			if (fs->usage.used_pct >= 0)
				fprintf(f, " (%d%% used)", fs->usage.used_pct);
		}
		fputc('\n', f);
	}
}

static void text_celsius(FILE *f, const char *what, double c)
{
	if (!isnan(c))
		fprintf(f, ", %s %.1f °C", what, c);
}

static void text_sensors(FILE *f, const struct host_sample *s)
{
	const struct hwmon_readings *h = &s->sensors;
	const struct battery_status *b = &s->battery;

	for (size_t i = 0; i < h->n_temps; i++) {
		const struct hwmon_temp *t = &h->temps[i];

		text_label(f, "temp", t->chip);
		text__escape(f, t->label, strlen(t->label));
		fprintf(f, ": %.1f °C", t->current_celsius);
		text_celsius(f, "high", t->high_celsius);
		text_celsius(f, "critical", t->critical_celsius);
		fputc('\n', f);
	}
	for (size_t i = 0; i < h->n_fans; i++) {
		text_label(f, "fan", h->fans[i].chip);
		text__escape(f, h->fans[i].label, strlen(h->fans[i].label));
		fprintf(f, ": %" PRIu64 " RPM\n", h->fans[i].rpm);
	}
	if (!h->n_temps && !h->n_fans && s->have & HOST_HAVE_SENSORS) {
		text_label(f, "sensors", NULL);
		fputs("none\n", f);
	}
	text_label(f, "battery", NULL);
	if (!b->present) {
		fputs("none\n", f);
		return;
	}
	text__escape(f, b->name, strlen(b->name));
	if (!isnan(b->percent))
		fprintf(f, " %.1f%%", b->percent);
	if (host__battery_secs(b) >= 0) {
		long long t = host__battery_secs(b);

		fprintf(f, ", %lld:%02lld:%02lld left", t / 3600, t % 3600 / 60, t % 60);
	}
	if (b->plugged != BATTERY_PLUGGED_UNKNOWN)
		fputs(b->plugged == BATTERY_PLUGGED_YES ? ", plugged in" : ", on battery", f);
	fputc('\n', f);
}

int host__write_text(FILE *f, const struct host_sample *s, const struct host_rates *rates,
		     const char *proc_root, const char *sys_root)
{
	char path[PATH_MAX + 64];

	if (rates)
		fprintf(f, "jobtrace: host snapshot, rates over %.3f s\n",
			(double)rates->interval_ns / NS_PER_S);
	else
		fputs("jobtrace: host snapshot, counters only\n", f);
	text_host(f, s);
	text_cpu(f, s, rates);
	text_memory(f, s, rates);
	text_load(f, s);
	text_net(f, s, rates);
	text_disks(f, s, rates, proc_root, sys_root);
	text_sensors(f, s);
	text_processes(f, s);
	text_sockets(f, s);
	for (size_t i = 0; i < s->n_warnings; i++) {
		const struct host_warning *wa = &s->warnings[i];

		host__warning_path(path, sizeof(path), wa, proc_root, sys_root);
		text_label(f, "warning", NULL);
		fprintf(f, "%s: %s", wa->section, wa->why ? "" : "cannot read ");
		text__escape(f, path, strlen(path));
		fprintf(f, ": %s\n", wa->why ? wa->why : strerror(wa->err));
	}
	if (s->n_warnings_lost)
		fprintf(f, "  warning      %zu more\n", s->n_warnings_lost);
	return util__stream_error(f);
}
