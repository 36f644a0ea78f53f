// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The host snapshot as JSON: `jobtrace system --json`, and the same members
 * for any record that embeds a host sample.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "jobtrace/json.h"
#include "jobtrace/system.h"
#include "jobtrace/util.h"

#define NS_PER_S 1e9

static const char *operstate_name(const struct netdev_if *ifp)
{
	return ifp->has_state ? netdev__operstate_name(ifp->st.operstate) : NULL;
}

/* Where the disk counters came from: /proc/diskstats, or sysfs in its stead. */
static const char *disk_source_name(const struct diskstats *ds)
{
	return ds->source == DISKSTATS_SRC_SYSFS ? "sysfs" : "diskstats";
}

static const struct cpufreq_cpu *cpufreq_find(const struct cpufreq *f, __u32 cpu)
{
	for (size_t i = 0; i < f->nr_cpus; i++)
		if (f->cpus[i].cpu == cpu)
			return &f->cpus[i];
	return NULL;
}

static void json_rate(struct json_writer *w, const char *key, bool valid, double v)
{
	if (valid)
		json__double(w, key, v);
	else
		json__null(w, key);
}

/* A /proc/stat counter: null unless the sample has /proc/stat and its @line. */
static void json_stat_u64(struct json_writer *w, const char *key, const struct host_sample *s,
			  unsigned int line, __u64 v)
{
	if (s->have & HOST_HAVE_STAT && s->stat.has & line)
		json__u64(w, key, v);
	else
		json__null(w, key);
}

/* @p may be NULL when !@valid: every share is then null. */
static void json_cpu_pct(struct json_writer *w, const struct cpu_percent *p, bool valid)
{
	static const struct cpu_percent none;
	const struct cpu_percent *c = valid ? p : &none;
	const struct {
		const char *key;
		double v;
	} shares[] = {
		{ "user_pct", c->user },	 { "nice_pct", c->nice },
		{ "system_pct", c->system },	 { "idle_pct", c->idle },
		{ "iowait_pct", c->iowait },	 { "irq_pct", c->irq },
		{ "softirq_pct", c->softirq },	 { "steal_pct", c->steal },
		{ "guest_pct", c->guest },	 { "guest_nice_pct", c->guest_nice },
		{ "busy_pct", c->busy },
	};

	for (size_t i = 0; i < ARRAY_SIZE(shares); i++)
		json_rate(w, shares[i].key, valid, shares[i].v);
}

static void json_str_or_null(struct json_writer *w, const char *key, const char *s)
{
	if (s && *s)
		json__string(w, key, s);
	else
		json__null(w, key);
}

static const char *const host_keys[HOSTINFO_NR_FIELDS] = {
	[HOSTINFO_HOSTNAME] = "hostname",
	[HOSTINFO_KERNEL_VERSION] = "kernel_version",
	[HOSTINFO_KERNEL_BUILD] = "kernel_build",
	[HOSTINFO_OS_TYPE] = "os_type",
	[HOSTINFO_PLATFORM] = "platform",
	[HOSTINFO_DOMAINNAME] = "domainname",
};

/* Always an object: each value a string of the file's bytes, or null when unknown. */
static void json_host(struct json_writer *w, const struct host_sample *s)
{
	json__begin_object(w, "host");
	for (int f = 0; f < HOSTINFO_NR_FIELDS; f++) {
		const struct hostinfo_value *v = &s->host.v[f];

		if (v->known)
			json__stringn(w, host_keys[f], v->bytes, v->len);
		else
			json__null(w, host_keys[f]);
	}
	json__end_object(w);
}

static void json_cpu(struct json_writer *w, const struct host_sample *s,
		     const struct host_rates *r)
{
	const struct cpuinfo_cpu *ci = host__first_cpuinfo(s);
	bool stat = s->have & HOST_HAVE_STAT, rated = r && r->have_stat;

	json__begin_object(w, "cpu");
	json__u64(w, "count", host__cpu_count(s));
	/* 0 is "unknown", never a count: null. */
	if (s->topology.physical_cores)
		json__u64(w, "physical_cores", s->topology.physical_cores);
	else
		json__null(w, "physical_cores");
	if (s->topology.sockets)
		json__u64(w, "sockets", s->topology.sockets);
	else
		json__null(w, "sockets");
	json_str_or_null(w, "vendor", ci ? ci->vendor_id : NULL);
	if (ci && ci->vendor_id[0]) { /* x86: family and model are numbers there */
		json__u64(w, "family", ci->family);
		json__u64(w, "model", ci->model);
	} else {
		json__null(w, "family");
		json__null(w, "model");
	}
	json_str_or_null(w, "model_name", ci ? ci->model_name : NULL);
	json__double(w, "mhz", host__mhz(s)); /* NaN: null */
	if (ci && ci->bogomips > 0)
		json__double(w, "bogomips", ci->bogomips);
	else
		json__null(w, "bogomips");

	json_cpu_pct(w, r ? &r->cpu : NULL, rated && r->cpu_valid);
	/*
	 * Each counter is its own line of /proc/stat, and a kernel (or a cut
	 * or doctored file) may lack any of them: unknown is null, not 0.
	 */
	json_stat_u64(w, "ctx_switches", s, PROC_STAT_HAS_CTXT, s->stat.ctxt);
	json_stat_u64(w, "interrupts", s, PROC_STAT_HAS_INTR, s->stat.intr_total);
	json_stat_u64(w, "soft_interrupts", s, PROC_STAT_HAS_SOFTIRQ, s->stat.softirq_total);
	json_stat_u64(w, "forks", s, PROC_STAT_HAS_PROCESSES, s->stat.processes);
	json_stat_u64(w, "procs_running", s, PROC_STAT_HAS_PROCS_RUNNING, s->stat.procs_running);
	json_stat_u64(w, "procs_blocked", s, PROC_STAT_HAS_PROCS_BLOCKED, s->stat.procs_blocked);
	json_rate(w, "ctx_switches_per_s", rated && r->stat_has & PROC_STAT_HAS_CTXT,
		  rated ? r->ctxt_per_s : 0);
	json_rate(w, "interrupts_per_s", rated && r->stat_has & PROC_STAT_HAS_INTR,
		  rated ? r->intr_per_s : 0);
	json_rate(w, "soft_interrupts_per_s", rated && r->have_softirq,
		  rated ? r->softirq_per_s : 0);
	json_rate(w, "forks_per_s", rated && r->stat_has & PROC_STAT_HAS_PROCESSES,
		  rated ? r->forks_per_s : 0);

	json__begin_array(w, "per_cpu");
	for (size_t i = 0; stat && i < s->stat.nr_cpus; i++) {
		__u32 n = s->stat.cpus[i].cpu;
		const struct cpufreq_cpu *fc = cpufreq_find(&s->cpufreq, n);
		bool valid = rated && i < r->n_cpus && r->cpus[i].valid;

		json__begin_object(w, NULL);
		json__u64(w, "cpu", n);
		if (fc && fc->cur_khz)
			json__double(w, "mhz", (double)fc->cur_khz / 1000.0);
		else
			json__null(w, "mhz");
		json_cpu_pct(w, valid ? &r->cpus[i].pct : NULL, valid);
		json__end_object(w);
	}
	json__end_array(w);
	json__end_object(w);
}

static void json_mem(struct json_writer *w, const char *key, bool known, __u64 v)
{
	if (known)
		json__u64(w, key, v);
	else
		json__null(w, key);
}

static void json_memory(struct json_writer *w, const struct host_sample *s,
			const struct host_rates *r)
{
	const struct meminfo *m = &s->mem;
	bool swap_rated = r && r->have_swap, known = m->avail_src != MEMINFO_AVAIL_NONE;
	bool swap = !(m->missing & (MEMINFO_BIT(MEMINFO_SWAP_TOTAL) | MEMINFO_BIT(MEMINFO_SWAP_FREE)));

	if (!(s->have & HOST_HAVE_MEMINFO)) {
		json__null(w, "memory");
		return;
	}
	json__begin_object(w, "memory");
	json__u64(w, "total_bytes", m->total_bytes);
	/* A line the file lacked (a cut read, an old kernel) is unknown, not 0. */
	json_mem(w, "available_bytes", known, m->available_bytes);
	json__string(w, "available_source", host__avail_source_name(m->avail_src));
	json_mem(w, "used_bytes", known, m->used_bytes);
	json_mem(w, "free_bytes", !(m->missing & MEMINFO_BIT(MEMINFO_MEM_FREE)), m->free_bytes);
	json_mem(w, "buffers_bytes", !(m->missing & MEMINFO_BIT(MEMINFO_BUFFERS)), m->buffers_bytes);
	json_mem(w, "cached_bytes", !(m->missing & MEMINFO_BIT(MEMINFO_CACHED)), m->cached_bytes);
	json_mem(w, "shared_bytes", !(m->missing & MEMINFO_BIT(MEMINFO_SHMEM)), m->shared_bytes);
	json_mem(w, "slab_bytes", !(m->missing & MEMINFO_BIT(MEMINFO_SLAB)), m->slab_bytes);
	json_mem(w, "active_bytes", !(m->missing & MEMINFO_BIT(MEMINFO_ACTIVE)), m->active_bytes);
	json_mem(w, "inactive_bytes", !(m->missing & MEMINFO_BIT(MEMINFO_INACTIVE)),
		 m->inactive_bytes);
	json_rate(w, "used_pct", known, host__pct(m->used_bytes, m->total_bytes));
	json_mem(w, "swap_total_bytes", swap, m->swap_total_bytes);
	json_mem(w, "swap_used_bytes", swap, m->swap_used_bytes);
	json_mem(w, "swap_free_bytes", swap, m->swap_free_bytes);
	json_rate(w, "swap_used_pct", swap, host__pct(m->swap_used_bytes, m->swap_total_bytes));
	if (host__has_swap_io(s)) {
		json__u64(w, "swap_in_bytes", m->swap_in_bytes);
		json__u64(w, "swap_out_bytes", m->swap_out_bytes);
	} else {
		json__null(w, "swap_in_bytes");
		json__null(w, "swap_out_bytes");
	}
	json_rate(w, "swap_in_bytes_per_s", swap_rated, swap_rated ? r->swap_in_bytes_per_s : 0);
	json_rate(w, "swap_out_bytes_per_s", swap_rated, swap_rated ? r->swap_out_bytes_per_s : 0);
	json__end_object(w);
}

static void json_load(struct json_writer *w, const struct host_sample *s)
{
	bool load = s->have & HOST_HAVE_LOADAVG;

	json__begin_object(w, "load");
	json_rate(w, "avg1", load, s->load.load1);
	json_rate(w, "avg5", load, s->load.load5);
	json_rate(w, "avg15", load, s->load.load15);
	if (load) {
		json__u64(w, "running", s->load.nr_running);
		json__u64(w, "total", s->load.nr_threads);
	} else {
		json__null(w, "running");
		json__null(w, "total");
	}
	json_rate(w, "uptime_s", s->have & HOST_HAVE_UPTIME,
		  (double)s->uptime.uptime_ns / NS_PER_S);
	if (s->have & HOST_HAVE_BOOT_TIME)
		json__u64(w, "boot_time_s", s->boot.boot_time_ns / 1000000000ULL);
	else
		json__null(w, "boot_time_s");
	/* Without btime it is the clock now minus the uptime: it drifts with the clock. */
	if (s->have & HOST_HAVE_BOOT_TIME)
		json__string(w, "boot_time_source",
			     s->boot.source == BOOT_TIME_BTIME ? "btime" : "uptime");
	else
		json__null(w, "boot_time_source");
	json__end_object(w);
}

static void json_addrs(struct json_writer *w, const struct host_sample *s, const char *ifname,
		       int family, const char *key)
{
	json__begin_array(w, key);
	for (size_t i = 0; i < s->addrs.n; i++) {
		const struct netdev_addr *a = &s->addrs.addrs[i];

		if (a->family == family && !strcmp(a->ifname, ifname))
			json__string(w, NULL, a->addr);
	}
	json__end_array(w);
}

static void json_net(struct json_writer *w, const struct host_sample *s,
		     const struct host_rates *r)
{
	json__begin_object(w, "net");
	for (size_t i = 0; i < s->net.n; i++) {
		const struct netdev_if *ifp = &s->net.ifs[i];
		const struct host_net_rate *nr = r && i < r->n_net ? &r->net[i] : NULL;
		bool rated = nr && nr->valid;
		int up = host__net_is_up(ifp);

		json__begin_object(w, ifp->name);
		json__u64(w, "rx_bytes", ifp->c.rx_bytes);
		json__u64(w, "tx_bytes", ifp->c.tx_bytes);
		json__u64(w, "rx_packets", ifp->c.rx_packets);
		json__u64(w, "tx_packets", ifp->c.tx_packets);
		json__u64(w, "rx_errors", ifp->c.rx_errs);
		json__u64(w, "tx_errors", ifp->c.tx_errs);
		json__u64(w, "rx_drops", ifp->c.rx_drop);
		json__u64(w, "tx_drops", ifp->c.tx_drop);
		json_rate(w, "rx_bytes_per_s", rated, rated ? nr->r.rx_bytes_per_s : 0);
		json_rate(w, "tx_bytes_per_s", rated, rated ? nr->r.tx_bytes_per_s : 0);
		json_rate(w, "rx_packets_per_s", rated, rated ? nr->r.rx_packets_per_s : 0);
		json_rate(w, "tx_packets_per_s", rated, rated ? nr->r.tx_packets_per_s : 0);
		if (rated)
			json__bool(w, "reset", nr->r.reset);
		else
			json__null(w, "reset");
		if (up < 0)
			json__null(w, "up");
		else
			json__bool(w, "up", up);
		json_str_or_null(w, "operstate", operstate_name(ifp));
		if (ifp->has_state)
			json__u64(w, "mtu_bytes", ifp->st.mtu_bytes);
		else
			json__null(w, "mtu_bytes");
		if (ifp->has_state && ifp->st.speed_mbps > 0)
			json__i64(w, "speed_mbps", ifp->st.speed_mbps);
		else
			json__null(w, "speed_mbps");
		/* "unknown" is the kernel's own answer; null means sysfs was not read. */
		if (ifp->has_state)
			json__string(w, "duplex", netdev__duplex_name(ifp->st.duplex));
		else
			json__null(w, "duplex");
		json_addrs(w, s, ifp->name, AF_INET, "ipv4");
		json_addrs(w, s, ifp->name, AF_INET6, "ipv6");
		json__end_object(w);
	}
	json__end_object(w);
}

static void json_disk_rates(struct json_writer *w, const struct host_disk_rate *dr,
			    bool with_busy)
{
	bool v = dr && dr->valid;

	json_rate(w, "reads_per_s", v, v ? dr->reads_per_s : 0);
	json_rate(w, "writes_per_s", v, v ? dr->writes_per_s : 0);
	json_rate(w, "read_bytes_per_s", v, v ? dr->read_bytes_per_s : 0);
	json_rate(w, "write_bytes_per_s", v, v ? dr->write_bytes_per_s : 0);
	if (with_busy)
		json_rate(w, "busy_pct", v, v ? dr->busy_pct : 0);
	if (v)
		json__bool(w, "reset", dr->reset);
	else
		json__null(w, "reset");
}

static void json_disk_counters(struct json_writer *w, const struct disk_stats *d)
{
	json__u64(w, "reads", d->reads);
	json__u64(w, "writes", d->writes);
	json__u64(w, "read_bytes", d->read_bytes);
	json__u64(w, "write_bytes", d->write_bytes);
	json__u64(w, "reads_merged", d->reads_merged);
	json__u64(w, "writes_merged", d->writes_merged);
	json__u64(w, "busy_ms", d->busy_ms);
}

static void json_disks(struct json_writer *w, const struct host_sample *s,
		       const struct host_rates *r)
{
	json__begin_object(w, "disks");
	for (size_t i = 0; i < s->disks.nr; i++) {
		const struct disk_stats *d = &s->disks.disks[i];

		if (!host__disk_listed(d))
			continue;
		json__begin_object(w, d->name);
		json_disk_counters(w, d);
		json_disk_rates(w, r && i < r->n_disks ? &r->disks[i] : NULL, true);
		/* dm and md devices: their I/O is their members' too, not in the total. */
		json__bool(w, "stacked", d->stacked);
		json__end_object(w);
	}
	json__end_object(w);

	if (!(s->have & HOST_HAVE_DISKS)) {
		json__null(w, "disk_total");
		json__null(w, "disk_source");
		return;
	}
	json__begin_object(w, "disk_total");
	json_disk_counters(w, &s->disks.total);
	json_disk_rates(w, r ? &r->disk_total : NULL, false);
	json__end_object(w);
	json__string(w, "disk_source", disk_source_name(&s->disks));
}

static void json_filesystems(struct json_writer *w, const struct host_sample *s)
{
	json__begin_array(w, "filesystems");
	for (size_t i = 0; i < s->n_fs; i++) {
		const struct host_fs *fs = &s->fs[i];

		json__begin_object(w, NULL);
		json__string(w, "device", fs->mount->source);
		json__string(w, "mount_point", fs->mount->mount_point);
		json__string(w, "type", fs->mount->fs_type);
		if (fs->has_usage) {
			json__u64(w, "total_bytes", fs->usage.total_bytes);
			json__u64(w, "used_bytes", fs->usage.used_bytes);
			json__u64(w, "free_bytes", fs->usage.avail_bytes);
			if (fs->usage.used_pct >= 0)
				json__i64(w, "used_pct", fs->usage.used_pct);
			else
				json__null(w, "used_pct");
		} else {
			json__null(w, "total_bytes");
			json__null(w, "used_bytes");
			json__null(w, "free_bytes");
			json__null(w, "used_pct");
		}
		json__end_object(w);
	}
	json__end_array(w);
}

static void json_sensors(struct json_writer *w, const struct host_sample *s)
{
	const struct hwmon_readings *h = &s->sensors;
	const struct battery_status *b = &s->battery;

	json__begin_object(w, "sensors");
	json__begin_array(w, "temperatures");
	for (size_t i = 0; i < h->n_temps; i++) {
		json__begin_object(w, NULL);
		json__string(w, "chip", h->temps[i].chip);
		json__string(w, "label", h->temps[i].label);
		json__double(w, "current_c", h->temps[i].current_celsius);
		json__double(w, "high_c", h->temps[i].high_celsius); /* NaN: null */
		json__double(w, "critical_c", h->temps[i].critical_celsius);
		json__end_object(w);
	}
	json__end_array(w);
	json__begin_array(w, "fans");
	for (size_t i = 0; i < h->n_fans; i++) {
		json__begin_object(w, NULL);
		json__string(w, "chip", h->fans[i].chip);
		json__string(w, "label", h->fans[i].label);
		json__u64(w, "rpm", h->fans[i].rpm);
		json__end_object(w);
	}
	json__end_array(w);
	if (!b->present) {
		json__null(w, "battery");
	} else {
		long long secs = host__battery_secs(b);

		json__begin_object(w, "battery");
		json__string(w, "name", b->name);
		json__double(w, "percent", b->percent);
		if (secs >= 0)
			json__i64(w, "seconds_left", secs);
		else
			json__null(w, "seconds_left");
		if (b->plugged == BATTERY_PLUGGED_UNKNOWN)
			json__null(w, "plugged");
		else
			json__bool(w, "plugged", b->plugged == BATTERY_PLUGGED_YES);
		json__end_object(w);
	}
	json__end_object(w);
}

static void json_processes(struct json_writer *w, const struct host_sample *s)
{
	const struct proc_state_counts *p = &s->procs;

	if (!(s->have & HOST_HAVE_PROCS)) {
		json__null(w, "processes");
		return;
	}
	json__begin_object(w, "processes");
	json__u64(w, "total", p->total);
	json__u64(w, "running", p->running);
	json__u64(w, "sleeping", p->sleeping);
	json__u64(w, "disk_sleep", p->disk_sleep);
	json__u64(w, "zombie", p->zombie);
	json__u64(w, "stopped", p->stopped);
	json__u64(w, "tracing_stop", p->tracing_stop);
	json__u64(w, "idle", p->idle);
	json__u64(w, "dead", p->dead);
	json__u64(w, "parked", p->parked);
	json__u64(w, "other", p->other);
	json__end_object(w);
}

static void json_sockets(struct json_writer *w, const struct host_sample *s)
{
	const struct netsock_counts *c = &s->sockets;

	if (!(s->have & HOST_HAVE_SOCKETS)) {
		json__null(w, "sockets");
		return;
	}
	json__begin_object(w, "sockets");
	json__u64(w, "tcp", c->tcp);
	json__u64(w, "udp", c->udp);
	json__u64(w, "unix", c->unix_);
	json__begin_object(w, "tcp_states");
	for (unsigned int st = 1; st < NETSOCK_TCP_STATES; st++)
		json__u64(w, netsock__tcp_state_name(st), c->tcp_state[st]);
	json__end_object(w);
	json__end_object(w);
}

/* Everything but the document's "version": what a record embedding a sample holds. */
static void json_members(struct json_writer *w, const struct host_sample *s,
			 const struct host_rates *rates, const char *proc_root,
			 const char *sys_root)
{
	char path[PATH_MAX + 64];

	json__double(w, "interval_s", rates ? (double)rates->interval_ns / NS_PER_S : 0.0);
	json_host(w, s);
	json_cpu(w, s, rates);
	json_memory(w, s, rates);
	json_load(w, s);
	json_net(w, s, rates);
	json_disks(w, s, rates);
	json_filesystems(w, s);
	json_sensors(w, s);
	json_processes(w, s);
	json_sockets(w, s);
	json__begin_array(w, "warnings");
	for (size_t i = 0; i < s->n_warnings; i++) {
		const struct host_warning *wa = &s->warnings[i];

		host__warning_path(path, sizeof(path), wa, proc_root, sys_root);
		json__begin_object(w, NULL);
		json__string(w, "section", wa->section);
		json__string(w, "source", path);
		json__string(w, "error", wa->why ? wa->why : strerror(wa->err));
		json__end_object(w);
	}
	json__end_array(w);
	json__u64(w, "warnings_dropped", s->n_warnings_lost);
}

void host__write_json_fields(struct json_writer *w, const struct host_sample *s,
			     const struct host_rates *rates, const char *proc_root,
			     const char *sys_root)
{
	json_members(w, s, rates, proc_root, sys_root);
}

int host__write_json(FILE *f, const struct host_sample *s, const struct host_rates *rates,
		     const char *proc_root, const char *sys_root, bool pretty)
{
	struct json_writer w;

	json__init(&w, f, pretty);
	json__begin_object(&w, NULL);
	json__u64(&w, "version", 1);
	json_members(&w, s, rates, proc_root, sys_root);
	json__end_object(&w);
	return json__finish(&w);
}
