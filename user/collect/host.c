// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The host sampler: one sample of the host from every /proc and /sys source,
 * and the rates between two samples. Pure over a proc root and a sys root
 * (except statvfs() and getifaddrs(), asked only of the live /proc), so a
 * test drives it over fixture trees and a collector calls it each interval.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobtrace/host.h"
#include "jobtrace/util.h"

#define NS_PER_S 1e9

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
	w->why = NULL;
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
		if (s->host.cut[f] && s->n_warnings < HOST_MAX_WARNINGS) {
			warn(s, "host", "proc", hostinfo__path(f), 0);
			s->warnings[s->n_warnings - 1].why =
				"no newline at its end: the value may be cut";
		}
	}
}

void host_sampler__init(struct host_sampler *hs, int proc_fd, int sys_fd)
{
	hs->proc_fd = proc_fd;
	hs->sys_fd = sys_fd;
	hs->want = 0; /* everything, until the caller says less */
	/* Asked once: the roots do not change under a sampler. */
	hs->live = is_live_proc(proc_fd);
}

int host__sample(int proc_fd, int sys_fd, struct host_sample *s)
{
	struct host_sampler hs;

	host_sampler__init(&hs, proc_fd, sys_fd);
	return host_sample__take(&hs, s);
}

int host_sample__take(const struct host_sampler *hs, struct host_sample *s)
{
	int proc_fd = hs->proc_fd, sys_fd = hs->sys_fd;
	int err;

	memset(s, 0, sizeof(*s));
	s->mono_ns = util__now_ns();
	s->live = hs->live;

#define WANT(bit) (!hs->want || (hs->want & (bit)))
/* A failed source adds a warning; only running out of memory ends the sample. */
#define TRY(call, bit, section, root, path)                     \
	do {                                                      \
		if (!WANT(bit))                                   \
			break;                                    \
		err = (call);                                     \
		if (err == -ENOMEM)                               \
			goto err_free;                            \
		if (err)                                          \
			warn(s, section, root, path, err);        \
		else                                              \
			s->have |= (bit);                         \
	} while (0)

	if (!hs->want)
		read_hostinfo(s, proc_fd);
	TRY(proc_stat__read(proc_fd, &s->stat), HOST_HAVE_STAT, "cpu", "proc", "stat");
	/* Cut mid-line: its last line, a CPU's among them, left out, said so. */
	if (s->have & HOST_HAVE_STAT && s->stat.truncated && s->n_warnings < HOST_MAX_WARNINGS) {
		warn(s, "cpu", "proc", "stat", 0);
		s->warnings[s->n_warnings - 1].why =
			"no newline at its end: its last line is cut, and left out";
	}
	TRY(cpuinfo__read(proc_fd, &s->cpuinfo), HOST_HAVE_CPUINFO, "cpu", "proc", "cpuinfo");
	if (WANT(HOST_HAVE_CPUFREQ)) {
		err = cpufreq__read(sys_fd, s->have & HOST_HAVE_CPUINFO ? &s->cpuinfo : NULL,
				    &s->cpufreq);
		if (err == -ENOMEM)
			goto err_free;
		if (!err)
			s->have |= HOST_HAVE_CPUFREQ;
		else if (err != -ENOENT) /* no CPU list at all: cpuinfo already said why */
			warn(s, "cpu", "sys", "devices/system/cpu", err);
		/* Not knowing the cores (no topology, no x86 cpuinfo) is an answer. */
		err = cpu_topology__read(sys_fd, s->have & HOST_HAVE_CPUINFO ? &s->cpuinfo : NULL,
					 &s->topology);
		if (err)
			goto err_free;
	}

	TRY(meminfo__read(proc_fd, &s->mem), HOST_HAVE_MEMINFO, "memory", "proc", "meminfo");
	TRY(loadavg__read(proc_fd, &s->load), HOST_HAVE_LOADAVG, "load", "proc", "loadavg");
	TRY(uptime__read(proc_fd, &s->uptime), HOST_HAVE_UPTIME, "load", "proc", "uptime");
	if (s->have & HOST_HAVE_STAT && s->stat.has & PROC_STAT_HAS_BTIME) {
		s->boot.boot_time_ns = s->stat.btime_s * 1000000000ULL;
		s->boot.source = BOOT_TIME_BTIME;
		s->have |= HOST_HAVE_BOOT_TIME;
	} else if (WANT(HOST_HAVE_BOOT_TIME) && !boot_time__read(proc_fd, &s->boot)) {
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
#undef WANT
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
 * The increase of one diskstats event or sector counter, printed as %lu
 * (block/genhd.c diskstats_show). A 32-bit kernel wraps them at 2^32 (sectors
 * after 2 TiB), a 64-bit one never in practice, so there going back means the
 * device was removed and added again under the same name and counts from 0
 * since.
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

/*
 * The increase of one diskstats millisecond field (read/write/discard/flush
 * time, io_ticks, time in queue). diskstats_show prints these as %u, cut to
 * unsigned int whatever the word size, so they wrap at 2^32 ms (49.7 days of
 * busy time) on every kernel: take them modulo 2^32, not as a reset. Only a
 * reset the %lu counters showed (@reset) makes the value now the delta.
 */
static __u64 disk_delta_ms(__u64 prev, __u64 now, bool reset)
{
	if (reset)
		return (__u32)now;
	return (__u32)((__u32)now - (__u32)prev);
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
	busy_ms = (double)disk_delta_ms(p->busy_ms, n->busy_ms, r->reset);
	r->busy_pct = fmin(100.0, busy_ms / (secs * 1000.0) * 100.0);
}

bool host__has_swap_io(const struct host_sample *s)
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
		out->cpu_valid = proc_stat__cpu_percent(&prev->stat.total, &now->stat.total,
							&out->cpu);
		out->cpus = calloc(now->stat.nr_cpus ? now->stat.nr_cpus : 1, sizeof(*out->cpus));
		if (!out->cpus)
			goto err_nomem;
		out->n_cpus = now->stat.nr_cpus;
		for (size_t i = 0; i < now->stat.nr_cpus; i++) {
			const struct proc_stat_cpu *n = &now->stat.cpus[i];
			const struct proc_stat_cpu *p = proc_stat__find_cpu(&prev->stat, n->cpu);

			if (!p)
				continue; /* came online during the interval */
			/* No tick of it between the two reads: no shares (0% busy, 0% idle). */
			out->cpus[i].valid =
				proc_stat__cpu_percent(&p->times, &n->times, &out->cpus[i].pct);
		}
		out->ctxt_per_s = per_s(prev->stat.ctxt, now->stat.ctxt, secs);
		out->intr_per_s = per_s(prev->stat.intr_total, now->stat.intr_total, secs);
		out->stat_has = prev->stat.has & now->stat.has;
		out->have_softirq = prev->stat.has & now->stat.has & PROC_STAT_HAS_SOFTIRQ;
		if (out->have_softirq)
			out->softirq_per_s =
				per_s(prev->stat.softirq_total, now->stat.softirq_total, secs);
		out->forks_per_s = per_s(prev->stat.processes, now->stat.processes, secs);
	}

	if (host__has_swap_io(prev) && host__has_swap_io(now)) {
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

		/* Width 0: a counter that went back is a 32-bit wrap or a flagged reset. */
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

int host_sample__rates(const struct host_sample *prev, const struct host_sample *cur,
		       struct host_rates *out)
{
	uint64_t interval_ns = cur->mono_ns > prev->mono_ns ? cur->mono_ns - prev->mono_ns : 0;

	/* Samples taken in the same clock tick still make a rate, over 1 ns. */
	return host__rates(prev, cur, interval_ns ? interval_ns : 1, out);
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

/* ---------------------------------------------------- what a sample says */

double host__pct(__u64 part, __u64 whole)
{
	return whole ? (double)part * 100.0 / (double)whole : 0.0;
}

const char *host__avail_source_name(__u32 src)
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

/*
 * Whether the interface is up. "unknown" is what lo, tun and wireguard
 * report while they work, so it counts as up when the carrier is not down.
 */
int host__net_is_up(const struct netdev_if *ifp)
{
	if (!ifp->has_state || ifp->st.operstate == NETDEV_OPER_UNREADABLE)
		return -1;
	if (ifp->st.operstate == NETDEV_OPER_UP)
		return 1;
	if (ifp->st.operstate == NETDEV_OPER_UNKNOWN)
		return ifp->st.carrier != 0;
	return 0;
}

/* Disks worth a line: whole devices; partitions are in them already. */
bool host__disk_listed(const struct disk_stats *d)
{
	return d->kind == DISK_KIND_WHOLE;
}

size_t host__cpu_count(const struct host_sample *s)
{
	/* "cpuN" lines are the online CPUs, as sysconf(_SC_NPROCESSORS_ONLN) counts. */
	if (s->have & HOST_HAVE_STAT && s->stat.nr_cpus)
		return s->stat.nr_cpus;
	if (s->have & HOST_HAVE_CPUFREQ && s->cpufreq.nr_cpus)
		return s->cpufreq.nr_cpus;
	return s->have & HOST_HAVE_CPUINFO ? s->cpuinfo.nr_cpus : 0;
}

double host__mhz(const struct host_sample *s)
{
	if (s->have & HOST_HAVE_CPUFREQ && s->cpufreq.avg_cur_khz)
		return (double)s->cpufreq.avg_cur_khz / 1000.0;
	if (s->have & HOST_HAVE_CPUINFO && s->cpuinfo.avg_khz)
		return (double)s->cpuinfo.avg_khz / 1000.0;
	return NAN;
}

const struct cpuinfo_cpu *host__first_cpuinfo(const struct host_sample *s)
{
	return s->have & HOST_HAVE_CPUINFO && s->cpuinfo.nr_cpus ? &s->cpuinfo.cpus[0] : NULL;
}

/* Battery seconds left, or -1 when unknown or not draining. */
long long host__battery_secs(const struct battery_status *b)
{
	return b->time == BATTERY_TIME_KNOWN && b->time_left_s <= LLONG_MAX
		       ? (long long)b->time_left_s
		       : -1;
}

void host__warning_path(char *buf, size_t size, const struct host_warning *wa,
			 const char *proc_root, const char *sys_root)
{
	const char *root = !wa->root ? NULL : !strcmp(wa->root, "proc") ? proc_root : sys_root;

	if (root)
		snprintf(buf, size, "%s/%s", root, wa->path);
	else
		snprintf(buf, size, "%s", wa->path);
}

