/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The host sampler: one sample of the host (its name and kernel, CPU,
 * memory, load, network, disks, file systems, sensors, processes, sockets),
 * assembled from the /proc and /sys parsers, and the rates between two
 * samples. `jobtrace system` prints one; a collector can take one each
 * interval.
 *
 * host_sample__take() reads every source under a proc root and a sys root
 * into a struct host_sample, and host_sample__rates() turns two samples into
 * per-second rates and percentages. A source that cannot be read does not stop the
 * others: its section is left empty and a struct host_warning says what
 * failed and why.
 */
#ifndef JOBTRACE_HOST_H
#define JOBTRACE_HOST_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jobtrace/battery.h"
#include "jobtrace/cpuinfo.h"
#include "jobtrace/diskstats.h"
#include "jobtrace/fsusage.h"
#include "jobtrace/hostinfo.h"
#include "jobtrace/hwmon.h"
#include "jobtrace/loadavg.h"
#include "jobtrace/meminfo.h"
#include "jobtrace/netdev.h"
#include "jobtrace/netsock.h"
#include "jobtrace/proc_walk.h"
#include "jobtrace/proc_stat.h"

/* Enough for every source failing once; more are counted, not kept. */
#define HOST_MAX_WARNINGS 24

struct host_warning {
	const char *section; /* "cpu", "memory", "net", ...: a static string */
	const char *root;    /* "proc" or "sys": which root @path is under */
	char path[48];	     /* e.g. "net/dev", "class/hwmon" */
	int err;	     /* positive errno */
	const char *why;     /* static; said instead of err's text, the value being kept */
};

/* One mounted file system worth reporting; see host__fs_is_pseudo(). */
struct host_fs {
	const struct mount_entry *mount; /* points into host_sample.mounts */
	bool has_usage;			 /* statvfs() was possible and succeeded */
	struct fsusage usage;
};

/* Which sections were read (host_sample.have bits). */
enum host_have {
	HOST_HAVE_STAT = 1u << 0,
	HOST_HAVE_CPUINFO = 1u << 1,
	HOST_HAVE_CPUFREQ = 1u << 2,
	HOST_HAVE_MEMINFO = 1u << 3,
	HOST_HAVE_LOADAVG = 1u << 4,
	HOST_HAVE_UPTIME = 1u << 5,
	HOST_HAVE_BOOT_TIME = 1u << 6,
	HOST_HAVE_NET = 1u << 7,
	HOST_HAVE_NET_ADDRS = 1u << 8,
	HOST_HAVE_DISKS = 1u << 9,
	HOST_HAVE_MOUNTS = 1u << 10,
	HOST_HAVE_SENSORS = 1u << 11,
	HOST_HAVE_BATTERY = 1u << 12,
	HOST_HAVE_PROCS = 1u << 13,
	HOST_HAVE_SOCKETS = 1u << 14,
};

struct host_sample {
	uint64_t mono_ns;  /* CLOCK_MONOTONIC when the sample began */
	unsigned int have; /* enum host_have bits */
	/*
	 * The proc root is this machine's own /proc: only then are live-only
	 * sources asked (getifaddrs() for addresses, statvfs() on mount
	 * points), which know nothing of a fixture or another host's tree.
	 */
	bool live;

	struct hostinfo host; /* per field: known or not, no have bit */
	struct proc_stat stat;
	struct cpuinfo cpuinfo;
	struct cpufreq cpufreq;
	struct cpu_topology topology; /* physical cores and sockets; 0 where unknown */
	struct meminfo mem;
	struct loadavg load;
	struct uptime uptime;
	struct boot_time boot;
	struct netdev_table net;
	struct netdev_addr_table addrs;
	struct diskstats disks;
	struct mountinfo mounts;
	struct host_fs *fs; /* real file systems, one per device */
	size_t n_fs;
	struct hwmon_readings sensors;
	struct battery_status battery;
	struct proc_state_counts procs; /* processes by state, as ApMon reports them */
	struct netsock_counts sockets; /* by protocol, TCP by state */

	struct host_warning warnings[HOST_MAX_WARNINGS];
	size_t n_warnings;
	size_t n_warnings_lost; /* past HOST_MAX_WARNINGS */
};

/*
 * Where samples come from: a proc root and a sys root, both open directories
 * that stay the caller's (the sampler neither dups nor closes them). A
 * collector keeps one for its lifetime and takes a sample each interval.
 */
struct host_sampler {
	int proc_fd;
	int sys_fd;
	bool live;	/* @proc_fd is this machine's /proc (see host_sample.live) */
	/*
	 * enum host_have bits of the sections to read; 0 reads them all. A
	 * collector sampling every second leaves out what costs a walk of
	 * every process (processes by state) or of every socket.
	 */
	unsigned int want;
};

/* What an interval's host record needs: CPU, memory, load, network, disks. */
#define HOST_WANT_INTERVAL                                                          \
	(HOST_HAVE_STAT | HOST_HAVE_MEMINFO | HOST_HAVE_LOADAVG | HOST_HAVE_UPTIME |  \
	 HOST_HAVE_BOOT_TIME | HOST_HAVE_NET | HOST_HAVE_DISKS)

void host_sampler__init(struct host_sampler *hs, int proc_fd, int sys_fd);

/*
 * Reads every source under the sampler's roots into @s. Never fails as a
 * whole: a source that cannot be read leaves its section out (its have bit
 * clear) and adds a warning, except a sys source that is simply absent
 * (no hwmon, no battery), which is an empty section.
 * Returns 0, or -ENOMEM (then @s holds nothing to free).
 */
int host_sample__take(const struct host_sampler *hs, struct host_sample *s);
/* The same, one-shot: a sampler made for this one sample. */
int host__sample(int proc_fd, int sys_fd, struct host_sample *s);

/* Frees what host_sample__take() allocated; NULL-safe and idempotent. */
void host__free(struct host_sample *s);

/*
 * True for file system types that hold no disk space of their own: kernel
 * interfaces (proc, sysfs, cgroup, ...) and memory-backed ones (tmpfs,
 * devtmpfs, ramfs), whose bytes are RAM and already in memory.shared_bytes.
 */
bool host__fs_is_pseudo(const char *fs_type);

struct host_disk_rate {
	bool valid; /* the device was in both samples */
	bool reset; /* a counter went back: the device was re-created */
	double reads_per_s, writes_per_s;
	double read_bytes_per_s, write_bytes_per_s;
	double busy_pct; /* share of the interval with I/O in flight, 0..100 */
};

struct host_net_rate {
	bool valid; /* the interface was in both samples */
	struct netdev_rate r;
};

struct host_cpu_rate {
	bool valid; /* the CPU was online in both samples */
	struct cpu_percent pct;
};

/* What two samples give; arrays are parallel to @now's. */
struct host_rates {
	uint64_t interval_ns;
	bool have_stat; /* both samples had /proc/stat */
	bool cpu_valid; /* and a tick between them: the shares of cpu are figures */
	struct cpu_percent cpu;
	struct host_cpu_rate *cpus; /* parallel to now->stat.cpus */
	size_t n_cpus;
	double ctxt_per_s, intr_per_s, forks_per_s;
	unsigned int stat_has; /* proc_stat_has lines both samples had: a rate needs its line */
	bool have_softirq; /* both samples had /proc/stat's "softirq" line (2.6.31+) */
	double softirq_per_s;
	bool have_swap; /* both samples had vmstat's pswpin/pswpout */
	double swap_in_bytes_per_s, swap_out_bytes_per_s;
	struct host_net_rate *net; /* parallel to now->net.ifs */
	size_t n_net;
	struct host_disk_rate *disks; /* parallel to now->disks.disks */
	size_t n_disks;
	struct host_disk_rate disk_total; /* busy_pct is not defined for a sum: 0 */
};

/*
 * Rates from @prev to @now over @interval_ns (> 0). Returns 0, -EINVAL for a
 * zero interval, -ENOMEM. Free with host_rates__free().
 */
int host__rates(const struct host_sample *prev, const struct host_sample *now, uint64_t interval_ns,
		struct host_rates *out);
/*
 * Rates from @prev to @cur over the time between the two samples (their
 * mono_ns; 1 ns when equal), as a collector wants them each interval.
 */
int host_sample__rates(const struct host_sample *prev, const struct host_sample *cur,
		       struct host_rates *out);
void host_rates__free(struct host_rates *r);

/*
 * What a sample says, for every writer of one: each answers from the sources
 * the sample has (its have bits) and falls back as the comment says.
 */
/* @part as a percentage of @whole; 0 when @whole is. */
double host__pct(__u64 part, __u64 whole);
/* How MemAvailable was found: "kernel", "zoneinfo", "free+buffers+cached", "none". */
const char *host__avail_source_name(__u32 src);
/*
 * 1 when the interface is up, 0 when down, -1 when its state is unknown.
 * "unknown" is what lo, tun and wireguard report while they work, so it
 * counts as up when the carrier is not down.
 */
int host__net_is_up(const struct netdev_if *ifp);
/* Disks worth a line: whole devices; partitions are in them already. */
bool host__disk_listed(const struct disk_stats *d);
/* Online CPUs: /proc/stat's cpuN lines, else cpufreq's, else cpuinfo's; 0 if none. */
size_t host__cpu_count(const struct host_sample *s);
/* The mean current clock in MHz (cpufreq, else cpuinfo), NAN when unknown. */
double host__mhz(const struct host_sample *s);
/* Both swap counters of vmstat (pswpin, pswpout) were read. */
bool host__has_swap_io(const struct host_sample *s);
/* The first CPU of cpuinfo (model, vendor), or NULL. */
const struct cpuinfo_cpu *host__first_cpuinfo(const struct host_sample *s);
/* Battery seconds left, or -1 when unknown or not draining. */
long long host__battery_secs(const struct battery_status *b);
/* "ROOT/PATH" of a warning, its root named by @proc_root or @sys_root. */
void host__warning_path(char *buf, size_t size, const struct host_warning *wa,
			const char *proc_root, const char *sys_root);

#ifdef __cplusplus
}
#endif

#endif
