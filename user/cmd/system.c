// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace system`: a host snapshot over the /proc and /sys samplers.
 * Sampling, rates and the two writers are separate so that the tests can
 * feed fixture trees to each; system__main() only parses options, samples
 * twice and prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/json.h"
#include "jobtrace/report.h"
#include "jobtrace/system.h"
#include "jobtrace/util.h"

#define NS_PER_S 1e9
#define EXIT_USAGE 2

/* ------------------------------------------------------------------ sample */

static void warn(struct host_sample *s, const char *section, const char *root, const char *path,
		 int err)
{
	struct host_warning *w;

	if (s->n_warnings == HOST_MAX_WARNINGS) {
		s->n_warnings_lost++;
		return;
	}
	w = &s->warnings[s->n_warnings++];
	w->section = section;
	w->root = root;
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->err = err < 0 ? -err : err;
}

/*
 * Whether @proc_fd is this machine's /proc (the same directory, not just
 * another procfs): a fixture tree, or another namespace's procfs, must not be
 * paired with getifaddrs() or statvfs() answers about the live system.
 */
static bool is_live_proc(int proc_fd)
{
	struct stat a, b;

	if (fstat(proc_fd, &a) || stat("/proc", &b))
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static const char *const pseudo_fs_types[] = {
	/* Kernel interfaces: no storage at all. */
	"proc", "sysfs", "devpts", "securityfs", "pstore", "bpf", "debugfs", "tracefs",
	"configfs", "fusectl", "mqueue", "hugetlbfs", "binfmt_misc", "rpc_pipefs", "efivarfs",
	"nsfs", "selinuxfs", "sockfs", "pipefs", "cpuset", "rootfs",
	/*
	 * statvfs() on an autofs trigger would mount what it stands for: the
	 * real file system shows up as its own entry once something mounts it.
	 */
	"autofs",
	/*
	 * Memory-backed: their bytes are RAM (Shmem, reported as
	 * memory.shared_bytes), not disk space, and a host has dozens of them
	 * (/run, /dev/shm, /run/user/N, one set per container).
	 */
	"tmpfs", "devtmpfs", "ramfs",
};

bool host__fs_is_pseudo(const char *fs_type)
{
	if (!strncmp(fs_type, "cgroup", 6)) /* cgroup, cgroup2 */
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(pseudo_fs_types); i++)
		if (!strcmp(fs_type, pseudo_fs_types[i]))
			return true;
	return false;
}

/*
 * One entry per device with real storage. A device mounted twice (bind
 * mounts, btrfs subvolumes) is one file system: the first visible mount
 * names it. A mount hidden under a later one on the same point is skipped,
 * since statvfs() there would measure the one on top.
 */
static int select_filesystems(struct host_sample *s)
{
	const struct mountinfo *mi = &s->mounts;

	s->fs = calloc(mi->nr ? mi->nr : 1, sizeof(*s->fs));
	if (!s->fs)
		return -ENOMEM;
	for (size_t i = 0; i < mi->nr; i++) {
		const struct mount_entry *m = &mi->mounts[i];
		struct host_fs *fs = &s->fs[s->n_fs];
		bool dup = false;
		int err;

		if (host__fs_is_pseudo(m->fs_type) || mountinfo__find(mi, m->mount_point) != m)
			continue;
		for (size_t j = 0; j < s->n_fs && !dup; j++)
			dup = s->fs[j].mount->major == m->major &&
			      s->fs[j].mount->minor == m->minor;
		if (dup)
			continue;
		fs->mount = m;
		if (s->live) {
			err = fsusage__stat(m->mount_point, &fs->usage);
			if (err) {
				warn(s, "filesystems", NULL, m->mount_point, err);
			} else if (fs->usage.total_bytes == 0) {
				/* Nothing to hold data (df hides these as well). */
				continue;
			} else {
				fs->has_usage = true;
			}
		}
		s->n_fs++;
	}
	return 0;
}

static void read_net_state(struct host_sample *s, int sys_fd)
{
	char path[48];
	int err;

	for (size_t i = 0; i < s->net.n; i++) {
		struct netdev_if *ifp = &s->net.ifs[i];

		err = netdev__read_state(sys_fd, ifp->name, &ifp->st);
		ifp->has_state = !err;
		/*
		 * Gone since /proc/net/dev was read, absent from a fixture's sys
		 * root, or a name that cannot be a path: no state, no alarm.
		 */
		if (!err || err == -ENOENT || err == -EINVAL)
			continue;
		snprintf(path, sizeof(path), "class/net/%s", ifp->name);
		warn(s, "net", "sys", path, err);
	}
}

/* Processes by state, from one walk of the proc root. */
static int count_states(int proc_fd, struct proc_state_counts *out)
{
	struct proc_walk *w = NULL;
	int err;

	err = proc_walk__snapshot(proc_fd, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), &w);
	if (err)
		return err;
	proc_walk__count_states(w, out);
	proc_walk__free(w);
	return 0;
}

/*
 * The host's name and kernel. A file that only some kernels have (arch is
 * new; version and domainname are not asked for) is no fault when missing,
 * but one that is there and cannot be read is.
 */
static void read_hostinfo(struct host_sample *s, int proc_fd)
{
	hostinfo__read(proc_fd, s->live, &s->host);
	for (int f = 0; f < HOSTINFO_NR_FIELDS; f++) {
		int err = s->host.err[f];

		if (err && (err != -ENOENT || hostinfo__required(f)))
			warn(s, "host", "proc", hostinfo__path(f), err);
	}
}

int host__sample(int proc_fd, int sys_fd, struct host_sample *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->mono_ns = util__now_ns();
	s->live = is_live_proc(proc_fd);

/* A failed source adds a warning; only running out of memory ends the sample. */
#define TRY(call, bit, section, root, path)                     \
	do {                                                      \
		err = (call);                                     \
		if (err == -ENOMEM)                               \
			goto err_free;                            \
		if (err)                                          \
			warn(s, section, root, path, err);        \
		else                                              \
			s->have |= (bit);                         \
	} while (0)

	read_hostinfo(s, proc_fd);
	TRY(proc_stat__read(proc_fd, &s->stat), HOST_HAVE_STAT, "cpu", "proc", "stat");
	TRY(cpuinfo__read(proc_fd, &s->cpuinfo), HOST_HAVE_CPUINFO, "cpu", "proc", "cpuinfo");
	err = cpufreq__read(sys_fd, s->have & HOST_HAVE_CPUINFO ? &s->cpuinfo : NULL, &s->cpufreq);
	if (err == -ENOMEM)
		goto err_free;
	if (!err)
		s->have |= HOST_HAVE_CPUFREQ;
	else if (err != -ENOENT) /* -ENOENT: no CPU list at all, cpuinfo already said why */
		warn(s, "cpu", "sys", "devices/system/cpu", err);
	/* Not knowing the cores (no topology, no x86 cpuinfo) is an answer, not a failure. */
	err = cpu_topology__read(sys_fd, s->have & HOST_HAVE_CPUINFO ? &s->cpuinfo : NULL,
				 &s->topology);
	if (err)
		goto err_free;

	TRY(meminfo__read(proc_fd, &s->mem), HOST_HAVE_MEMINFO, "memory", "proc", "meminfo");
	TRY(loadavg__read(proc_fd, &s->load), HOST_HAVE_LOADAVG, "load", "proc", "loadavg");
	TRY(uptime__read(proc_fd, &s->uptime), HOST_HAVE_UPTIME, "load", "proc", "uptime");
	if (s->have & HOST_HAVE_STAT && s->stat.has & PROC_STAT_HAS_BTIME) {
		s->boot.boot_time_ns = s->stat.btime_s * 1000000000ULL;
		s->boot.source = BOOT_TIME_BTIME;
		s->have |= HOST_HAVE_BOOT_TIME;
	} else if (!boot_time__read(proc_fd, &s->boot)) {
		/* Its failures are those of stat and uptime, already warned about. */
		s->have |= HOST_HAVE_BOOT_TIME;
	}

	TRY(netdev__read(proc_fd, -1, &s->net), HOST_HAVE_NET, "net", "proc", "net/dev");
	if (s->have & HOST_HAVE_NET && sys_fd >= 0)
		read_net_state(s, sys_fd);
	if (s->live)
		TRY(netdev__addrs_read(&s->addrs), HOST_HAVE_NET_ADDRS, "net", NULL, "getifaddrs");

	TRY(diskstats__read(proc_fd, sys_fd, &s->disks), HOST_HAVE_DISKS, "disks", "proc",
	    "diskstats");
	if (s->have & HOST_HAVE_DISKS && s->disks.nr) {
		bool classified = false;

		for (size_t i = 0; i < s->disks.nr && !classified; i++)
			classified = s->disks.disks[i].kind != DISK_KIND_UNKNOWN;
		/* Without sysfs, disks cannot be told from partitions: none is listed. */
		if (!classified)
			warn(s, "disks", "sys", "class/block", -ENOENT);
	}
	TRY(mountinfo__read(proc_fd, &s->mounts), HOST_HAVE_MOUNTS, "filesystems", "proc",
	    "self/mountinfo");
	if (s->have & HOST_HAVE_MOUNTS) {
		err = select_filesystems(s);
		if (err)
			goto err_free;
	}

	TRY(hwmon__read(sys_fd, &s->sensors), HOST_HAVE_SENSORS, "sensors", "sys", "class/hwmon");
	TRY(battery__read(sys_fd, &s->battery), HOST_HAVE_BATTERY, "sensors", "sys",
	    "class/power_supply");
	TRY(count_states(proc_fd, &s->procs), HOST_HAVE_PROCS, "processes", "proc", "[0-9]*/stat");
	TRY(netsock__read(proc_fd, &s->sockets), HOST_HAVE_SOCKETS, "sockets", "proc", "net/tcp");
#undef TRY
	return 0;

err_free:
	host__free(s);
	return -ENOMEM;
}

void host__free(struct host_sample *s)
{
	if (!s)
		return;
	proc_stat__free(&s->stat);
	cpuinfo__free(&s->cpuinfo);
	cpufreq__free(&s->cpufreq);
	netdev_table__free(&s->net);
	netdev_addr_table__free(&s->addrs);
	diskstats__free(&s->disks);
	free(s->fs);
	s->fs = NULL;
	s->n_fs = 0;
	mountinfo__free(&s->mounts);
	hwmon_readings__free(&s->sensors);
	s->have = 0;
}

/* ------------------------------------------------------------------- rates */

static double per_s(__u64 prev, __u64 now, double secs)
{
	/* These count since boot; going back means a different boot: no rate. */
	return now >= prev ? (double)(now - prev) / secs : 0;
}

/*
 * The increase of one diskstats counter. The kernel keeps them in unsigned
 * long: a 32-bit kernel wraps them at 2^32 (sectors after 2 TiB), a 64-bit
 * one never in practice, so there going back means the device was removed
 * and added again under the same name and counts from 0 since.
 */
static __u64 disk_delta(__u64 prev, __u64 now, bool *reset)
{
	if (now >= prev)
		return now - prev;
#if ULONG_MAX == UINT32_MAX
	if (prev <= UINT32_MAX)
		return (UINT32_MAX - prev) + now + 1;
#endif
	*reset = true;
	return now;
}

static void disk_rate(const struct disk_stats *p, const struct disk_stats *n, double secs,
		      struct host_disk_rate *r)
{
	double busy_ms;

	memset(r, 0, sizeof(*r));
	r->valid = true;
	r->reads_per_s = (double)disk_delta(p->reads, n->reads, &r->reset) / secs;
	r->writes_per_s = (double)disk_delta(p->writes, n->writes, &r->reset) / secs;
	r->read_bytes_per_s = (double)disk_delta(p->read_sectors, n->read_sectors, &r->reset) *
			      DISKSTATS_SECTOR_BYTES / secs;
	r->write_bytes_per_s = (double)disk_delta(p->write_sectors, n->write_sectors, &r->reset) *
			       DISKSTATS_SECTOR_BYTES / secs;
	/* io_ticks advances in jiffies, so a short interval can overshoot a little. */
	busy_ms = (double)disk_delta(p->busy_ms, n->busy_ms, &r->reset);
	r->busy_pct = fmin(100.0, busy_ms / (secs * 1000.0) * 100.0);
}

static bool has_swap_io(const struct host_sample *s)
{
	return s->have & HOST_HAVE_MEMINFO &&
	       !(s->mem.missing & (MEMINFO_BIT(MEMINFO_PSWPIN) | MEMINFO_BIT(MEMINFO_PSWPOUT)));
}

int host__rates(const struct host_sample *prev, const struct host_sample *now,
		uint64_t interval_ns, struct host_rates *out)
{
	double secs = (double)interval_ns / NS_PER_S;

	memset(out, 0, sizeof(*out));
	if (interval_ns == 0)
		return -EINVAL;
	out->interval_ns = interval_ns;

	if (prev->have & HOST_HAVE_STAT && now->have & HOST_HAVE_STAT) {
		out->have_stat = true;
		proc_stat__cpu_percent(&prev->stat.total, &now->stat.total, &out->cpu);
		out->cpus = calloc(now->stat.nr_cpus ? now->stat.nr_cpus : 1, sizeof(*out->cpus));
		if (!out->cpus)
			goto err_nomem;
		out->n_cpus = now->stat.nr_cpus;
		for (size_t i = 0; i < now->stat.nr_cpus; i++) {
			const struct proc_stat_cpu *n = &now->stat.cpus[i];
			const struct proc_stat_cpu *p = proc_stat__find_cpu(&prev->stat, n->cpu);

			if (!p)
				continue; /* came online during the interval */
			out->cpus[i].valid = true;
			proc_stat__cpu_percent(&p->times, &n->times, &out->cpus[i].pct);
		}
		out->ctxt_per_s = per_s(prev->stat.ctxt, now->stat.ctxt, secs);
		out->intr_per_s = per_s(prev->stat.intr_total, now->stat.intr_total, secs);
		out->have_softirq = prev->stat.has & now->stat.has & PROC_STAT_HAS_SOFTIRQ;
		if (out->have_softirq)
			out->softirq_per_s =
				per_s(prev->stat.softirq_total, now->stat.softirq_total, secs);
		out->forks_per_s = per_s(prev->stat.processes, now->stat.processes, secs);
	}

	if (has_swap_io(prev) && has_swap_io(now)) {
		out->have_swap = true;
		out->swap_in_bytes_per_s =
			per_s(prev->mem.swap_in_bytes, now->mem.swap_in_bytes, secs);
		out->swap_out_bytes_per_s =
			per_s(prev->mem.swap_out_bytes, now->mem.swap_out_bytes, secs);
	}

	if (now->net.n) {
		out->net = calloc(now->net.n, sizeof(*out->net));
		if (!out->net)
			goto err_nomem;
		out->n_net = now->net.n;
	}
	for (size_t i = 0; i < now->net.n; i++) {
		const struct netdev_if *n = &now->net.ifs[i];
		const struct netdev_if *p = netdev_table__find(&prev->net, n->name);

		/* Width 0: a counter that went back wrapped at 32 bits if it fit in them. */
		out->net[i].valid = p && !netdev__rate(p, n, 0, interval_ns, &out->net[i].r);
	}

	if (now->disks.nr) {
		out->disks = calloc(now->disks.nr, sizeof(*out->disks));
		if (!out->disks)
			goto err_nomem;
		out->n_disks = now->disks.nr;
	}
	out->disk_total.valid = prev->have & HOST_HAVE_DISKS && now->have & HOST_HAVE_DISKS;
	for (size_t i = 0; i < now->disks.nr; i++) {
		const struct disk_stats *n = &now->disks.disks[i];
		const struct disk_stats *p = diskstats__find(&prev->disks, n->name);
		struct host_disk_rate *r = &out->disks[i], *t = &out->disk_total;

		if (!p)
			continue;
		disk_rate(p, n, secs, r);
		/*
		 * The total is the sum of the disks' own rates, not the rate of
		 * the summed counters: a disk that came or went would otherwise
		 * show as a burst or a drop of all its I/O since boot.
		 */
		if (n->kind != DISK_KIND_WHOLE || n->stacked)
			continue;
		t->reset |= r->reset;
		t->reads_per_s += r->reads_per_s;
		t->writes_per_s += r->writes_per_s;
		t->read_bytes_per_s += r->read_bytes_per_s;
		t->write_bytes_per_s += r->write_bytes_per_s;
	}
	return 0;

err_nomem:
	host_rates__free(out);
	return -ENOMEM;
}

void host_rates__free(struct host_rates *r)
{
	if (!r)
		return;
	free(r->cpus);
	free(r->net);
	free(r->disks);
	r->cpus = NULL;
	r->net = NULL;
	r->disks = NULL;
	r->n_cpus = r->n_net = r->n_disks = 0;
}

/* -------------------------------------------------------------- shared bits */

static double pct(__u64 part, __u64 whole)
{
	return whole ? (double)part * 100.0 / (double)whole : 0.0;
}

static const char *avail_source_name(__u32 src)
{
	switch (src) {
	case MEMINFO_AVAIL_KERNEL:
		return "kernel";
	case MEMINFO_AVAIL_ZONEINFO:
		return "zoneinfo";
	case MEMINFO_AVAIL_ROUGH:
		return "free+buffers+cached";
	default:
		return "none";
	}
}

static const char *operstate_name(const struct netdev_if *ifp)
{
	return ifp->has_state ? netdev__operstate_name(ifp->st.operstate) : NULL;
}

/*
 * Whether the interface is up. "unknown" is what lo, tun and wireguard
 * report while they work, so it counts as up when the carrier is not down.
 */
static int net_is_up(const struct netdev_if *ifp)
{
	if (!ifp->has_state || ifp->st.operstate == NETDEV_OPER_UNREADABLE)
		return -1;
	if (ifp->st.operstate == NETDEV_OPER_UP)
		return 1;
	if (ifp->st.operstate == NETDEV_OPER_UNKNOWN)
		return ifp->st.carrier != 0;
	return 0;
}

/* Where the disk counters came from: /proc/diskstats, or sysfs in its stead. */
static const char *disk_source_name(const struct diskstats *ds)
{
	return ds->source == DISKSTATS_SRC_SYSFS ? "sysfs" : "diskstats";
}

/* Disks worth a line: whole devices; partitions are in them already. */
static bool disk_listed(const struct disk_stats *d)
{
	return d->kind == DISK_KIND_WHOLE;
}

static const struct cpufreq_cpu *cpufreq_find(const struct cpufreq *f, __u32 cpu)
{
	for (size_t i = 0; i < f->nr_cpus; i++)
		if (f->cpus[i].cpu == cpu)
			return &f->cpus[i];
	return NULL;
}

static size_t cpu_count(const struct host_sample *s)
{
	/* "cpuN" lines are the online CPUs, as sysconf(_SC_NPROCESSORS_ONLN) counts. */
	if (s->have & HOST_HAVE_STAT && s->stat.nr_cpus)
		return s->stat.nr_cpus;
	if (s->have & HOST_HAVE_CPUFREQ && s->cpufreq.nr_cpus)
		return s->cpufreq.nr_cpus;
	return s->have & HOST_HAVE_CPUINFO ? s->cpuinfo.nr_cpus : 0;
}

static double host_mhz(const struct host_sample *s)
{
	if (s->have & HOST_HAVE_CPUFREQ && s->cpufreq.avg_cur_khz)
		return (double)s->cpufreq.avg_cur_khz / 1000.0;
	if (s->have & HOST_HAVE_CPUINFO && s->cpuinfo.avg_khz)
		return (double)s->cpuinfo.avg_khz / 1000.0;
	return NAN;
}

static const struct cpuinfo_cpu *first_cpuinfo(const struct host_sample *s)
{
	return s->have & HOST_HAVE_CPUINFO && s->cpuinfo.nr_cpus ? &s->cpuinfo.cpus[0] : NULL;
}

/* Battery seconds left, or -1 when unknown or not draining. */
static long long battery_secs(const struct battery_status *b)
{
	return b->time == BATTERY_TIME_KNOWN && b->time_left_s <= LLONG_MAX
		       ? (long long)b->time_left_s
		       : -1;
}

/* -------------------------------------------------------------------- JSON */

static void json_rate(struct json_writer *w, const char *key, bool valid, double v)
{
	if (valid)
		json__double(w, key, v);
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
	const struct cpuinfo_cpu *ci = first_cpuinfo(s);
	bool stat = s->have & HOST_HAVE_STAT, rated = r && r->have_stat;

	json__begin_object(w, "cpu");
	json__u64(w, "count", cpu_count(s));
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
	json__double(w, "mhz", host_mhz(s)); /* NaN: null */
	if (ci && ci->bogomips > 0)
		json__double(w, "bogomips", ci->bogomips);
	else
		json__null(w, "bogomips");

	json_cpu_pct(w, r ? &r->cpu : NULL, rated);
	if (stat) {
		json__u64(w, "ctx_switches", s->stat.ctxt);
		json__u64(w, "interrupts", s->stat.intr_total);
		/* Not on kernels before 2.6.31: unknown there, not 0. */
		if (s->stat.has & PROC_STAT_HAS_SOFTIRQ)
			json__u64(w, "soft_interrupts", s->stat.softirq_total);
		else
			json__null(w, "soft_interrupts");
		json__u64(w, "forks", s->stat.processes);
		json__u64(w, "procs_running", s->stat.procs_running);
		json__u64(w, "procs_blocked", s->stat.procs_blocked);
	} else {
		json__null(w, "ctx_switches");
		json__null(w, "interrupts");
		json__null(w, "soft_interrupts");
		json__null(w, "forks");
		json__null(w, "procs_running");
		json__null(w, "procs_blocked");
	}
	json_rate(w, "ctx_switches_per_s", rated, rated ? r->ctxt_per_s : 0);
	json_rate(w, "interrupts_per_s", rated, rated ? r->intr_per_s : 0);
	json_rate(w, "soft_interrupts_per_s", rated && r->have_softirq,
		  rated ? r->softirq_per_s : 0);
	json_rate(w, "forks_per_s", rated, rated ? r->forks_per_s : 0);

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

static void json_memory(struct json_writer *w, const struct host_sample *s,
			const struct host_rates *r)
{
	const struct meminfo *m = &s->mem;
	bool swap_rated = r && r->have_swap;

	if (!(s->have & HOST_HAVE_MEMINFO)) {
		json__null(w, "memory");
		return;
	}
	json__begin_object(w, "memory");
	json__u64(w, "total_bytes", m->total_bytes);
	json__u64(w, "available_bytes", m->available_bytes);
	json__string(w, "available_source", avail_source_name(m->avail_src));
	json__u64(w, "used_bytes", m->used_bytes);
	json__u64(w, "free_bytes", m->free_bytes);
	json__u64(w, "buffers_bytes", m->buffers_bytes);
	json__u64(w, "cached_bytes", m->cached_bytes);
	json__u64(w, "shared_bytes", m->shared_bytes);
	json__u64(w, "slab_bytes", m->slab_bytes);
	json__u64(w, "active_bytes", m->active_bytes);
	json__u64(w, "inactive_bytes", m->inactive_bytes);
	json__double(w, "used_pct", pct(m->used_bytes, m->total_bytes));
	json__u64(w, "swap_total_bytes", m->swap_total_bytes);
	json__u64(w, "swap_used_bytes", m->swap_used_bytes);
	json__u64(w, "swap_free_bytes", m->swap_free_bytes);
	json__double(w, "swap_used_pct", pct(m->swap_used_bytes, m->swap_total_bytes));
	if (has_swap_io(s)) {
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
		int up = net_is_up(ifp);

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

		if (!disk_listed(d))
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
		long long secs = battery_secs(b);

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

static void warning_path(char *buf, size_t size, const struct host_warning *wa,
			 const char *proc_root, const char *sys_root)
{
	const char *root = !wa->root ? NULL : !strcmp(wa->root, "proc") ? proc_root : sys_root;

	if (root)
		snprintf(buf, size, "%s/%s", root, wa->path);
	else
		snprintf(buf, size, "%s", wa->path);
}

int host__write_json(FILE *f, const struct host_sample *s, const struct host_rates *rates,
		     const char *proc_root, const char *sys_root, bool pretty)
{
	struct json_writer w;
	char path[PATH_MAX + 64];

	json__init(&w, f, pretty);
	json__begin_object(&w, NULL);
	json__u64(&w, "version", 1);
	json__double(&w, "interval_s", rates ? (double)rates->interval_ns / NS_PER_S : 0.0);
	json_host(&w, s);
	json_cpu(&w, s, rates);
	json_memory(&w, s, rates);
	json_load(&w, s);
	json_net(&w, s, rates);
	json_disks(&w, s, rates);
	json_filesystems(&w, s);
	json_sensors(&w, s);
	json_processes(&w, s);
	json_sockets(&w, s);
	json__begin_array(&w, "warnings");
	for (size_t i = 0; i < s->n_warnings; i++) {
		const struct host_warning *wa = &s->warnings[i];

		warning_path(path, sizeof(path), wa, proc_root, sys_root);
		json__begin_object(&w, NULL);
		json__string(&w, "section", wa->section);
		json__string(&w, "source", path);
		json__string(&w, "error", strerror(wa->err));
		json__end_object(&w);
	}
	json__end_array(&w);
	json__u64(&w, "warnings_dropped", s->n_warnings_lost);
	json__end_object(&w);
	return json__finish(&w);
}

/* -------------------------------------------------------------------- text */

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
	const struct cpuinfo_cpu *ci = first_cpuinfo(s);
	double mhz = host_mhz(s);

	text_label(f, "cpu", NULL);
	fprintf(f, "%zu online", cpu_count(s));
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
		text_label(f, "cpu", "all");
		text_cpu_pct(f, &r->cpu);
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
		if (r && r->have_stat) {
			fprintf(f, "%.0f context switches/s, %.0f interrupts/s, ", r->ctxt_per_s,
				r->intr_per_s);
			if (r->have_softirq)
				fprintf(f, "%.0f soft interrupts/s, ", r->softirq_per_s);
			fprintf(f, "%.1f forks/s; ", r->forks_per_s);
		}
		fprintf(f, "%" PRIu64 " running, %" PRIu64 " blocked on I/O\n",
			(uint64_t)s->stat.procs_running, (uint64_t)s->stat.procs_blocked);
	}
}

static void text_memory(FILE *f, const struct host_sample *s, const struct host_rates *r)
{
	const struct meminfo *m = &s->mem;
	char b[6][32];

	if (!(s->have & HOST_HAVE_MEMINFO))
		return;
	text_label(f, "memory", NULL);
	fprintf(f, "%s total, %s available (%s), %s used (%.1f%%), %s free\n",
		report__bytes(b[0], sizeof(b[0]), m->total_bytes),
		report__bytes(b[1], sizeof(b[1]), m->available_bytes),
		avail_source_name(m->avail_src), report__bytes(b[2], sizeof(b[2]), m->used_bytes),
		pct(m->used_bytes, m->total_bytes),
		report__bytes(b[3], sizeof(b[3]), m->free_bytes));
	text_label(f, "", NULL);
	fprintf(f, "%s buffers, %s cached, %s shared, %s slab, ",
		report__bytes(b[0], sizeof(b[0]), m->buffers_bytes),
		report__bytes(b[1], sizeof(b[1]), m->cached_bytes),
		report__bytes(b[2], sizeof(b[2]), m->shared_bytes),
		report__bytes(b[3], sizeof(b[3]), m->slab_bytes));
	fprintf(f, "%s active, %s inactive\n", report__bytes(b[4], sizeof(b[4]), m->active_bytes),
		report__bytes(b[5], sizeof(b[5]), m->inactive_bytes));
	text_label(f, "swap", NULL);
	if (!m->swap_total_bytes) {
		fputs("none", f);
	} else {
		fprintf(f, "%s total, %s used (%.1f%%), %s free",
			report__bytes(b[0], sizeof(b[0]), m->swap_total_bytes),
			report__bytes(b[1], sizeof(b[1]), m->swap_used_bytes),
			pct(m->swap_used_bytes, m->swap_total_bytes),
			report__bytes(b[2], sizeof(b[2]), m->swap_free_bytes));
	}
	if (has_swap_io(s))
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
			fprintf(f, ", booted at %" PRIu64 " (epoch s)",
				(uint64_t)(s->boot.boot_time_ns / 1000000000ULL));
		fputc('\n', f);
	}
}

static void text_net(FILE *f, const struct host_sample *s, const struct host_rates *r)
{
	char b[4][32];

	for (size_t i = 0; i < s->net.n; i++) {
		const struct netdev_if *ifp = &s->net.ifs[i];
		const struct host_net_rate *nr = r && i < r->n_net ? &r->net[i] : NULL;
		int up = net_is_up(ifp);
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
				nr->r.reset ? " (re-created: at least)" : "");
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

		if (!disk_listed(d))
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
	if (battery_secs(b) >= 0) {
		long long t = battery_secs(b);

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

		warning_path(path, sizeof(path), wa, proc_root, sys_root);
		text_label(f, "warning", NULL);
		fprintf(f, "%s: cannot read ", wa->section);
		text__escape(f, path, strlen(path));
		fprintf(f, ": %s\n", strerror(wa->err));
	}
	if (s->n_warnings_lost)
		fprintf(f, "  warning      %zu more\n", s->n_warnings_lost);
	return ferror(f) ? -EIO : 0;
}

/* ----------------------------------------------------------------- command */

static const char usage_system[] =
	"Usage: jobtrace system [OPTIONS]\n"
	"\n"
	"One snapshot of the host: its name and kernel, CPU, memory and swap, load,\n"
	"network interfaces, disks, file systems and sensors. Takes two samples\n"
	"INTERVAL apart and reports the counters with the rates between them.\n"
	"\n"
	"Options:\n"
	"  -j, --json             write the snapshot as one JSON object\n"
	"  -i, --interval S       seconds between the two samples (default 0.5;\n"
	"                         0: one sample, counters only, no rates)\n"
	"      --proc-root DIR    read /proc from DIR (default /proc)\n"
	"      --sys-root DIR     read /sys from DIR (default /sys)\n"
	"  -h, --help             this text\n"
	"\n"
	"A source that cannot be read (a missing file, EACCES) leaves its section\n"
	"empty and adds a warning; the rest is still reported. Addresses and file\n"
	"system usage are only read when the proc root is this machine's /proc.\n"
	"\n"
	"Examples:\n"
	"  jobtrace system\n"
	"  jobtrace system --json --interval 2 | jq .memory.available_bytes\n"
	"  jobtrace system --interval 0 --proc-root /host/proc --sys-root /host/sys\n";

static int __attribute__((format(printf, 1, 2))) system_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("jobtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'jobtrace system --help'.\n", stderr);
	return EXIT_USAGE;
}

/* Seconds from 0 to a day, as a decimal; -EINVAL otherwise. */
static int parse_interval(const char *arg, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0 || v > 86400)
		return -EINVAL;
	*ns = (uint64_t)llround(v * NS_PER_S);
	return 0;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL),
			       .tv_nsec = (long)(ns % 1000000000ULL) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct system_config {
	bool json;
	uint64_t interval_ns;
	const char *proc_root;
	const char *sys_root;
};

static int system_run(const struct system_config *cfg)
{
	struct host_sample a, b, *now = &a;
	struct host_rates rates;
	bool have_rates = false;
	int proc_fd, sys_fd, err, status = 1;

	proc_fd = util__open_dir(cfg->proc_root);
	if (proc_fd < 0) {
		fprintf(stderr, "jobtrace: cannot open the proc root %s: %s\n", cfg->proc_root,
			strerror(-proc_fd));
		return 1;
	}
	sys_fd = util__open_dir(cfg->sys_root);
	if (sys_fd < 0) {
		fprintf(stderr, "jobtrace: cannot open the sys root %s: %s\n", cfg->sys_root,
			strerror(-sys_fd));
		goto close_proc;
	}

	err = host__sample(proc_fd, sys_fd, &a);
	if (err)
		goto nomem;
	if (cfg->interval_ns) {
		sleep_ns(cfg->interval_ns);
		err = host__sample(proc_fd, sys_fd, &b);
		if (err) {
			host__free(&a);
			goto nomem;
		}
		now = &b;
		/* The samples' own clocks: the sleep can run long, never short. */
		err = host__rates(&a, &b, b.mono_ns > a.mono_ns ? b.mono_ns - a.mono_ns : 1,
				  &rates);
		if (err) {
			host__free(&a);
			host__free(&b);
			goto nomem;
		}
		have_rates = true;
	}

	if (cfg->json)
		err = host__write_json(stdout, now, have_rates ? &rates : NULL, cfg->proc_root,
				       cfg->sys_root, false);
	else
		err = host__write_text(stdout, now, have_rates ? &rates : NULL, cfg->proc_root,
				       cfg->sys_root);
	if (!err && fflush(stdout))
		err = -errno;
	if (err)
		fprintf(stderr, "jobtrace: cannot write the snapshot: %s\n", strerror(-err));
	else
		status = 0;

	if (have_rates) {
		host_rates__free(&rates);
		host__free(&b);
	}
	host__free(&a);
	goto close_sys;

nomem:
	fprintf(stderr, "jobtrace: cannot sample the host: %s\n", strerror(-err));
close_sys:
	close(sys_fd);
close_proc:
	close(proc_fd);
	return status;
}

int system__main(int argc, char **argv)
{
	enum { OPT_PROC_ROOT = 256, OPT_SYS_ROOT };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
		{ "sys-root", required_argument, NULL, OPT_SYS_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct system_config cfg = {
		.interval_ns = 500000000ULL,
		.proc_root = "/proc",
		.sys_root = "/sys",
	};
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":ji:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			cfg.json = true;
			break;
		case 'i':
			if (parse_interval(optarg, &cfg.interval_ns))
				return system_usage_error("--interval takes seconds from 0 to "
							  "86400, such as 0.5, not '%s'",
							  optarg);
			break;
		case OPT_PROC_ROOT:
			cfg.proc_root = optarg;
			break;
		case OPT_SYS_ROOT:
			cfg.sys_root = optarg;
			break;
		case 'h':
			fputs(usage_system, stdout);
			return 0;
		case ':':
			return system_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return system_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return system_usage_error("unexpected argument '%s'", argv[optind]);
	return system_run(&cfg);
}
