// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "jobtrace/collector.h"
#include "jobtrace/sink.h"
#include "jobtrace/system.h"
#include "jobtrace/util.h"

/* The command itself, as main.c dispatches to it (user/cmd's own header). */
#include "../../user/cmd/commands.h"

#define SYSFIX FIXTURES "/system"
#define INTERVAL_NS 2000000000ULL /* t0 -> t1, see tests/fixtures/system/README */

static void sample_at(const char *proc_root, const char *sys_root, struct host_sample *s)
{
	int proc_fd = util__open_dir(proc_root), sys_fd = util__open_dir(sys_root);

	if (proc_fd < 0 || sys_fd < 0)
		fail_msg("cannot open %s or %s", proc_root, sys_root);
	assert_int_equal(host__sample(proc_fd, sys_fd, s), 0);
	close(proc_fd);
	close(sys_fd);
}

/* The JSON report of @now (with rates from @prev when given), parsed back. */
static json_t *report_json(const struct host_sample *prev, const struct host_sample *now)
{
	struct host_rates rates;
	struct capture c;
	json_error_t jerr;
	json_t *root;

	if (prev)
		assert_int_equal(host__rates(prev, now, INTERVAL_NS, &rates), 0);
	capture__open(&c);
	assert_int_equal(host__write_json(c.f, now, prev ? &rates : NULL, "/p", "/s", false), 0);
	capture__close(&c);
	/* Counters are u64 (a wrapped one is near 2^64): jansson's integers stop at 2^63. */
	root = json_loads(c.buf, JSON_DECODE_INT_AS_REAL, &jerr);
	if (!root)
		fail_msg("invalid JSON (%s at %d): %s", jerr.text, jerr.position, c.buf);
	capture__free(&c);
	if (prev)
		host_rates__free(&rates);
	return root;
}

/* The value at a dotted path ("net.eth0.rx_bytes"); keys cannot hold dots here. */
static json_t *at(json_t *root, const char *path)
{
	char buf[256], *save, *key;
	json_t *v = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && v; key = strtok_r(NULL, ".", &save)) {
		if (json_is_array(v))
			v = json_array_get(v, strtoul(key, NULL, 10));
		else
			v = json_object_get(v, key);
	}
	if (!v)
		fail_msg("no %s in the report", path);
	return v;
}

struct num_case {
	const char *path;
	double want; /* NAN: the value must be null */
};

static void check_numbers(json_t *root, const struct num_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = at(root, cases[i].path);

		if (isnan(cases[i].want)) {
			if (!json_is_null(v))
				fail_msg("%s: want null", cases[i].path);
			continue;
		}
		if (!json_is_number(v))
			fail_msg("%s: not a number", cases[i].path);
		if (fabs(json_number_value(v) - cases[i].want) >
		    1e-6 * fmax(1, fabs(cases[i].want)))
			fail_msg("%s is %.9g, want %.9g", cases[i].path, json_number_value(v),
				 cases[i].want);
	}
}

static void check_strings(json_t *root, const char *const (*cases)[2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = at(root, cases[i][0]);

		if (!json_is_string(v) || strcmp(json_string_value(v), cases[i][1]))
			fail_msg("%s is %s, want \"%s\"", cases[i][0],
				 json_is_string(v) ? json_string_value(v) : "not a string",
				 cases[i][1]);
	}
}

static void check_bools(json_t *root, const char *const *paths, size_t n, bool want)
{
	for (size_t i = 0; i < n; i++)
		if (!json_is_boolean(at(root, paths[i])) ||
		    json_is_true(at(root, paths[i])) != want)
			fail_msg("%s: want %s", paths[i], want ? "true" : "false");
}

static void test_fixture_json(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	struct host_sample t0, t1;
	json_t *root;
	const struct num_case nums[] = {
		/* cpu: 400 ticks over both CPUs, see the README for each column */
		{ "cpu.count", 2 },
		/* sysfs: CPUs 0 and 1 are threads of one core (cpuinfo would say 2 cores) */
		{ "cpu.physical_cores", 1 },
		{ "cpu.sockets", 1 },
		{ "cpu.family", 6 },
		{ "cpu.model", 142 },
		{ "cpu.bogomips", 4199.88 },
		/* CPU 0 from its cpufreq policy, CPU 1 from cpuinfo's MHz */
		{ "cpu.mhz", (3200.0 + 3400.123) / 2 },
		{ "cpu.per_cpu.0.mhz", 3200 },
		{ "cpu.per_cpu.1.mhz", 3400.123 },
		{ "cpu.user_pct", 20 },
		{ "cpu.nice_pct", 2.5 },
		{ "cpu.system_pct", 7.5 },
		{ "cpu.idle_pct", 62.5 },
		{ "cpu.iowait_pct", 2.5 },
		{ "cpu.irq_pct", 1.25 },
		{ "cpu.softirq_pct", 1.25 },
		{ "cpu.steal_pct", 2.5 },
		{ "cpu.busy_pct", 35 },
		{ "cpu.per_cpu.0.cpu", 0 },
		{ "cpu.per_cpu.0.user_pct", 30 },
		{ "cpu.per_cpu.0.iowait_pct", 5 },
		{ "cpu.per_cpu.0.busy_pct", 45 },
		{ "cpu.per_cpu.1.nice_pct", 5 },
		{ "cpu.per_cpu.1.steal_pct", 5 },
		{ "cpu.per_cpu.1.busy_pct", 25 },
		{ "cpu.ctx_switches", 102000 },
		{ "cpu.ctx_switches_per_s", 1000 },
		{ "cpu.interrupts_per_s", 500 },
		/* psutil's cpu_stats().soft_interrupts: the first number of "softirq" */
		{ "cpu.soft_interrupts", 7500 },
		{ "cpu.soft_interrupts_per_s", 250 },
		{ "cpu.forks_per_s", 10 },
		{ "cpu.procs_running", 3 },
		{ "cpu.procs_blocked", 1 },
		/* memory: ../mem/modern, kB x 1024 */
		{ "memory.total_bytes", 16273716.0 * 1024 },
		{ "memory.available_bytes", 9867408.0 * 1024 },
		{ "memory.free_bytes", 1143852.0 * 1024 },
		{ "memory.used_bytes", (16273716.0 - 9867408.0) * 1024 },
		{ "memory.used_pct", (16273716.0 - 9867408.0) * 100 / 16273716.0 },
		{ "memory.shared_bytes", 842196.0 * 1024 },
		{ "memory.swap_total_bytes", 8388604.0 * 1024 },
		{ "memory.swap_used_bytes", (8388604.0 - 8123388.0) * 1024 },
		{ "memory.swap_in_bytes", 150.0 * page },
		{ "memory.swap_in_bytes_per_s", 50.0 * page / 2 },
		{ "memory.swap_out_bytes_per_s", 200.0 * page / 2 },
		/* load */
		{ "load.avg1", 1.5 },
		{ "load.avg5", 0.75 },
		{ "load.avg15", 0.25 },
		{ "load.running", 3 },
		{ "load.total", 456 },
		{ "load.uptime_s", 12347.67 },
		{ "load.boot_time_s", 1700000000 },
		/* net: eth0 rx wrapped at 32 bits, +1296 B in 2 s */
		{ "net.eth0.rx_bytes", 1000 },
		{ "net.eth0.rx_bytes_per_s", 648 },
		{ "net.eth0.tx_bytes_per_s", 5000 },
		{ "net.eth0.rx_errors", 1 },
		{ "net.eth0.rx_drops", 2 },
		{ "net.eth0.mtu_bytes", 1500 },
		{ "net.eth0.speed_mbps", 1000 },
		{ "net.enx00e04c680abc.rx_bytes_per_s", 558 }, /* 64-bit wrap, +1116 B */
		{ "net.enx00e04c680abc.speed_mbps", NAN },     /* "-1": unknown */
		{ "net.lo.rx_bytes_per_s", 1000 },
		{ "net.lo.speed_mbps", NAN }, /* unreadable */
		{ "net.wg0.rx_bytes_per_s", 600 }, /* re-created: the new counters */
		{ "net.eth1.mtu_bytes", 9000 },
		/* disks over 2 s */
		{ "disks.sda.reads", 300597 },
		{ "disks.sda.reads_per_s", 100 },
		{ "disks.sda.writes_per_s", 50 },
		{ "disks.sda.read_bytes_per_s", 4000.0 * 512 / 2 },
		{ "disks.sda.write_bytes_per_s", 800.0 * 512 / 2 },
		{ "disks.sda.busy_pct", 25 },
		{ "disks.sda.busy_ms", 75602 },
		{ "disks.nvme0n1.busy_pct", 100 },
		{ "disks.loop0.busy_pct", 0 },
		/* whole, unstacked disks only: sda + nvme0n1 + loop0 */
		{ "disk_total.reads_per_s", 600 },
		{ "disk_total.read_bytes_per_s", 12000.0 * 512 / 2 },
		/* sensors */
		{ "sensors.temperatures.0.current_c", 45 },
		{ "sensors.temperatures.0.high_c", 80 },
		{ "sensors.temperatures.0.critical_c", 100 },
		{ "sensors.temperatures.4.current_c", 38.85 },
		{ "sensors.temperatures.4.high_c", NAN },
		{ "sensors.temperatures.4.critical_c", 84.85 },
		{ "sensors.fans.0.rpm", 2150 },
		{ "sensors.battery.percent", 60 },
		{ "sensors.battery.seconds_left", 3 * 3600 },
		/* mounts of a fixture: listed, but never statvfs()ed on this machine */
		{ "filesystems.0.total_bytes", NAN },
		{ "filesystems.0.used_pct", NAN },
	};
	const char *const strs[][2] = {
		/* sys/kernel of the proc root, not this machine's uname(2) */
		{ "host.hostname", "node07" },
		{ "host.kernel_version", "6.1.0-28-amd64" },
		{ "host.kernel_build", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)" },
		{ "host.os_type", "Linux" },
		{ "host.platform", "x86_64" },
		{ "host.domainname", "hpc.example" },
		{ "cpu.vendor", "GenuineIntel" },
		{ "cpu.model_name", "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz" },
		{ "memory.available_source", "kernel" },
		{ "disk_source", "diskstats" },
		{ "net.eth0.operstate", "up" },
		{ "net.eth0.duplex", "full" },
		{ "net.enx00e04c680abc.duplex", "unknown" }, /* the kernel's own "unknown" */
		{ "net.lo.duplex", "unknown" },		      /* unreadable */
		{ "net.wg0.duplex", "unknown" },	      /* no such attribute */
		{ "net.eth1.duplex", "unknown" },	      /* down */
		{ "net.eth1.operstate", "down" },
		{ "sensors.temperatures.0.chip", "coretemp" },
		{ "sensors.temperatures.0.label", "Package id 0" },
		{ "sensors.temperatures.4.chip", "nvme" },
		{ "sensors.temperatures.4.label", "nvme temp1" },
		{ "sensors.fans.0.label", "Processor Fan" },
		{ "filesystems.0.mount_point", "/" },
		{ "filesystems.0.device", "/dev/sda1" },
		{ "filesystems.1.mount_point", "/home" },
		{ "filesystems.2.mount_point", "/mnt" },
		{ "filesystems.2.type", "nfs4" },
	};
	const char *const yes[] = { "net.wg0.reset", "net.eth0.up", "net.lo.up",
				    "disks.dm-0.stacked" };
	const char *const no[] = { "net.eth0.reset",	"net.enx00e04c680abc.reset",
				   "net.eth1.up",	"disks.sda.stacked",
				   "disks.sda.reset",	"sensors.battery.plugged" };

	sample_at(SYSFIX "/t0/proc", SYSFIX "/t0/sys", &t0);
	sample_at(SYSFIX "/t1/proc", SYSFIX "/t1/sys", &t1);
	assert_false(t1.live);
	root = report_json(&t0, &t1);

	check_numbers(root, nums, ARRAY_SIZE(nums));
	check_strings(root, strs, ARRAY_SIZE(strs));
	check_bools(root, yes, ARRAY_SIZE(yes), true);
	check_bools(root, no, ARRAY_SIZE(no), false);
	/* Partitions are in their disk; sdz has no sysfs entry to say which it is. */
	assert_null(json_object_get(at(root, "disks"), "sda1"));
	assert_null(json_object_get(at(root, "disks"), "nvme0n1p2"));
	assert_null(json_object_get(at(root, "disks"), "sdz"));
	assert_int_equal(json_object_size(at(root, "net")), 5);
	/* Without the live /proc, no getifaddrs(): no addresses at all. */
	assert_int_equal(json_array_size(at(root, "net.eth0.ipv4")), 0);
	/* / and /srv share 8:1; proc, sysfs, tmpfs, cgroup2, the hidden autofs skipped. */
	assert_int_equal(json_array_size(at(root, "filesystems")), 3);
	assert_int_equal(json_array_size(at(root, "sensors.temperatures")), 8);
	assert_int_equal(json_array_size(at(root, "warnings")), 0);
	/* ApMon's socket counts: tcp + tcp6 of the fixture, by state (numbers load as reals). */
	assert_int_equal(json_number_value(at(root, "sockets.tcp")), 7);
	assert_int_equal(json_number_value(at(root, "sockets.udp")), 2);
	assert_int_equal(json_number_value(at(root, "sockets.unix")), 3);
	assert_int_equal(json_number_value(at(root, "sockets.tcp_states.LISTEN")), 3);
	assert_int_equal(json_number_value(at(root, "sockets.tcp_states.ESTABLISHED")), 2);

	json_decref(root);
	host__free(&t0);
	host__free(&t1);
	host__free(&t1); /* idempotent */
	host__free(NULL);
}

/* --interval 0: one sample, every rate null, every counter there. */
static void test_fixture_counters_only(void **state)
{
	struct host_sample t0;
	json_t *root;
	const struct num_case nums[] = {
		{ "interval_s", 0 },
		{ "cpu.count", 2 },
		{ "cpu.user_pct", NAN },
		{ "cpu.ctx_switches_per_s", NAN },
		{ "cpu.soft_interrupts", 7000 },
		{ "cpu.soft_interrupts_per_s", NAN },
		{ "cpu.per_cpu.1.busy_pct", NAN },
		{ "memory.total_bytes", 16273716.0 * 1024 },
		{ "memory.swap_in_bytes_per_s", NAN },
		{ "net.eth0.rx_bytes", 4294967000.0 },
		{ "net.eth0.rx_bytes_per_s", NAN },
		{ "net.eth0.reset", NAN },
		{ "disks.sda.busy_pct", NAN },
		{ "disks.sda.reads", 300397 },
	};

	sample_at(SYSFIX "/t0/proc", SYSFIX "/t0/sys", &t0);
	root = report_json(NULL, &t0);
	check_numbers(root, nums, ARRAY_SIZE(nums));
	json_decref(root);
	host__free(&t0);
}

static void test_rates_need_an_interval(void **state)
{
	struct host_sample t0;
	struct host_rates r;

	sample_at(SYSFIX "/t0/proc", SYSFIX "/t0/sys", &t0);
	assert_int_equal(host__rates(&t0, &t0, 0, &r), -EINVAL);
	host_rates__free(&r);
	host__free(&t0);
}

/*
 * /proc/diskstats prints io_ticks as %u: it wraps at 2^32 ms on 64-bit
 * kernels too. 4294967000 -> 200 over 1 s is 496 ms busy, not a reset; a
 * device whose %lu counters went back is, and its busy time is the value now.
 */
static void test_disk_busy_wraps_at_32_bits(void **state)
{
	static const struct {
		const char *name;
		__u64 reads0, reads1, busy0, busy1;
		bool reset;
		double busy_pct, reads_per_s;
	} cases[] = {
		{ "io_ticks wrapped", 10, 20, 4294967000ULL, 200, false, 49.6, 10 },
		{ "io_ticks forward", 10, 20, 1000, 1250, false, 25, 10 },
		{ "re-created device", 5000, 30, 4294967000ULL, 100, true, 10, 30 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct disk_stats d0 = { .name = "sda", .kind = DISK_KIND_WHOLE };
		struct disk_stats d1 = d0;
		struct host_sample a = { .have = HOST_HAVE_DISKS }, b = a;
		struct host_rates r;

		d0.reads = cases[i].reads0;
		d1.reads = cases[i].reads1;
		d0.busy_ms = cases[i].busy0;
		d1.busy_ms = cases[i].busy1;
		a.disks.disks = &d0;
		b.disks.disks = &d1;
		a.disks.nr = b.disks.nr = 1;
		assert_int_equal(host__rates(&a, &b, 1000000000ULL, &r), 0);
		assert_int_equal(r.n_disks, 1);
		if (!r.disks[0].valid || r.disks[0].reset != cases[i].reset ||
		    fabs(r.disks[0].busy_pct - cases[i].busy_pct) > 1e-9 ||
		    fabs(r.disks[0].reads_per_s - cases[i].reads_per_s) > 1e-9)
			fail_msg("%s: valid %d reset %d busy %.3f%% reads %.1f/s", cases[i].name,
				 r.disks[0].valid, r.disks[0].reset, r.disks[0].busy_pct,
				 r.disks[0].reads_per_s);
		host_rates__free(&r);
	}
}

struct hostile_case {
	const char *name;
	const char *proc, *sys;
	size_t n_warnings;
	const char *warning_source; /* of the first warning */
	size_t n_net;
	size_t n_temps;
	bool battery;
	double physical_cores; /* NAN: null */
};

static const struct hostile_case hostile_cases[] = {
	/* No hwmon, thermal or power_supply class: nothing to report, nothing wrong. */
	{ "no sensors", SYSFIX "/t0/proc", SYSFIX "/nosensors/sys", 0, NULL, 5, 0, false, 2 },
	{ "no /proc/net/dev", SYSFIX "/no-netdev/proc", SYSFIX "/t0/sys", 1, "/p/net/dev", 0, 8,
	  true, 1 },
	/*
	 * Nothing to classify disks by: none listed, and the report says why.
	 * No topology either: cpuinfo's "cpu cores" per "physical id" count.
	 */
	{ "empty sys root", SYSFIX "/t0/proc", SYSFIX "/bare/sys", 1, "/s/class/block", 5, 0,
	  false, 2 },
};

static void test_hostile_roots(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(hostile_cases); i++) {
		const struct hostile_case *c = &hostile_cases[i];
		const struct num_case topo[] = {
			{ "cpu.physical_cores", c->physical_cores },
			{ "cpu.sockets", 1 },
		};
		struct host_sample s;
		json_t *root, *w;

		sample_at(c->proc, c->sys, &s);
		root = report_json(NULL, &s);
		w = at(root, "warnings");
		if (json_array_size(w) != c->n_warnings)
			fail_msg("%s: %zu warnings, want %zu", c->name, json_array_size(w),
				 c->n_warnings);
		if (c->warning_source) {
			const char *src = json_string_value(at(root, "warnings.0.source"));

			if (!src || strcmp(src, c->warning_source))
				fail_msg("%s: warning names %s", c->name, src ? src : "nothing");
			assert_string_equal(json_string_value(at(root, "warnings.0.error")),
					    strerror(ENOENT));
		}
		assert_true(json_is_object(at(root, "net")));
		if (json_object_size(at(root, "net")) != c->n_net)
			fail_msg("%s: %zu interfaces", c->name, json_object_size(at(root, "net")));
		assert_int_equal(json_array_size(at(root, "sensors.temperatures")), c->n_temps);
		assert_true(json_is_array(at(root, "sensors.fans")));
		assert_true(c->battery ? json_is_object(at(root, "sensors.battery"))
				       : json_is_null(at(root, "sensors.battery")));
		check_numbers(root, topo, ARRAY_SIZE(topo));
		json_decref(root);
		host__free(&s);
	}
}

/* Interface names are bytes: '"', '\', 0xff and a control byte stay valid JSON. */
static void test_odd_interface_names(void **state)
{
	struct host_sample s;
	json_t *root, *net;
	struct capture c;

	sample_at(SYSFIX "/odd-names/proc", SYSFIX "/bare/sys", &s);
	root = report_json(NULL, &s);
	net = at(root, "net");
	assert_int_equal(json_object_size(net), 3);
	/* 0xff is not UTF-8: it becomes U+FFFD; the rest arrives as it was. */
	assert_non_null(json_object_get(net, "q\"b\\s\xef\xbf\xbd\x01"
					     "e"));
	assert_non_null(json_object_get(net, "caf\xc3\xa9\xe2\x80\x8b"));
	/* No sysfs state was read: the duplex is not known to be anything, not even "unknown". */
	assert_true(json_is_null(json_object_get(json_object_get(net, "caf\xc3\xa9\xe2\x80\x8b"),
						  "duplex")));
	/* The host name is bytes too; no arch on a root that is not /proc: unknown. */
	assert_string_equal(json_string_value(at(root, "host.hostname")),
			    "odd\"\\name\xef\xbf\xbd\x01\x1b[31m");
	assert_string_equal(json_string_value(at(root, "host.kernel_build")), "#1 SMP\tPREEMPT");
	assert_true(json_is_null(at(root, "host.platform")));
	assert_true(json_is_null(at(root, "host.domainname"))); /* "(none)" */
	/*
	 * Every other proc source is missing: each one is named, none is fatal.
	 * A missing arch is not among them: older kernels have none.
	 */
	assert_int_equal(json_array_size(at(root, "warnings")), 7);
	assert_true(json_is_null(at(root, "memory")));
	assert_true(json_is_null(at(root, "load.avg1")));
	assert_true(json_number_value(at(root, "cpu.count")) == 0);
	/* No cpuinfo, no topology: unknown is null, not 0. */
	assert_true(json_is_null(at(root, "cpu.physical_cores")));
	assert_true(json_is_null(at(root, "cpu.sockets")));
	/* Neither /proc/diskstats nor a block/ to fall back on. */
	assert_true(json_is_null(at(root, "disk_total")));
	assert_true(json_is_null(at(root, "disk_source")));
	json_decref(root);

	/* The text escapes them for a terminal. */
	capture__open(&c);
	assert_int_equal(host__write_text(c.f, &s, NULL, "/p", "/s"), 0);
	capture__close(&c);
	assert_non_null(strstr(c.buf, "  net q\"b\\\\s\\xff\\x01e "));
	assert_null(strchr(c.buf, '\x01'));
	assert_null(strchr(c.buf, '\x1b'));
	assert_non_null(strstr(c.buf, "  host        odd\"\\\\name\\xff\\x01\\x1b[31m, "
				      "Linux 6.18.44, #1 SMP\\x09PREEMPT\n"));
	assert_non_null(strstr(c.buf, "warning     memory: cannot read /p/meminfo: "));
	capture__free(&c);
	host__free(&s);
}

/*
 * Which sys/kernel files are worth a warning: the ones every kernel has
 * (hostname, osrelease, ostype) when missing, any file that is there but
 * cannot be read; never a missing arch, version or domainname.
 */
static const struct {
	const char *root; /* under tests/fixtures/hostinfo */
	const char *warnings[4][2]; /* the "host" ones in order: source, error */
	const char *hostname;	    /* NULL: null */
} host_warning_cases[] = {
	{ "modern", { { NULL } }, "vm" },
	{ "old-kernel", { { NULL } }, "node12.cluster" },
	{ "none",
	  { { "/p/sys/kernel/hostname", "No such file or directory" },
	    { "/p/sys/kernel/osrelease", "No such file or directory" },
	    { "/p/sys/kernel/ostype", "No such file or directory" } },
	  NULL },
	{ "too-long", { { "/p/sys/kernel/hostname", "File too large" } }, NULL },
	/* Empty files are there but say nothing: even version is then a fault. */
	{ "empty",
	  { { "/p/sys/kernel/hostname", "No data available" },
	    { "/p/sys/kernel/version", "No data available" } },
	  NULL },
};

static void test_host_warnings(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(host_warning_cases); i++) {
		const char *root_name = host_warning_cases[i].root;
		const char *const(*want)[2] = host_warning_cases[i].warnings;
		const char *hostname = host_warning_cases[i].hostname;
		struct host_sample s;
		char proc[256];
		json_t *root, *w, *h;
		size_t n = 0;

		snprintf(proc, sizeof(proc), FIXTURES "/hostinfo/%s", root_name);
		sample_at(proc, SYSFIX "/bare/sys", &s);
		root = report_json(NULL, &s);
		w = at(root, "warnings");
		for (size_t j = 0; j < json_array_size(w); j++) {
			json_t *wj = json_array_get(w, j);

			if (strcmp(json_string_value(at(wj, "section")), "host"))
				continue;
			if (n == 4 || !want[n][0] ||
			    strcmp(json_string_value(at(wj, "source")), want[n][0]) ||
			    strcmp(json_string_value(at(wj, "error")), want[n][1]))
				fail_msg("%s: host warning %zu is %s: %s", root_name, n,
					 json_string_value(at(wj, "source")),
					 json_string_value(at(wj, "error")));
			n++;
		}
		if (n < 4 && want[n][0])
			fail_msg("%s: no warning for %s", root_name, want[n][0]);
		h = at(root, "host.hostname");
		if (hostname ? !json_is_string(h) || strcmp(json_string_value(h), hostname)
			     : !json_is_null(h))
			fail_msg("%s: hostname %s", root_name,
				 json_is_string(h) ? json_string_value(h) : "null");
		/* Not this machine's /proc: no uname(2) answer for a missing arch. */
		if (!strcmp(root_name, "old-kernel"))
			assert_true(json_is_null(at(root, "host.platform")));
		json_decref(root);
		host__free(&s);
	}
}

/*
 * A proc root without diskstats: the disks come from the sys root's
 * block/<disk>/stat files (disk/sys-stat holds disk/proc-5.5's counters), and
 * the report says so in both forms, with no warning for it.
 */
static void test_disk_fallback(void **state)
{
	const struct num_case nums[] = {
		{ "disks.sda.reads", 300397 },
		{ "disks.sda.read_bytes", 3905101.0 * 512 },
		{ "disks.nvme0n1.busy_ms", 129548 },
		{ "disks.loop0.reads", 0 },
		/* sda + nvme0n1 + loop0, as from /proc/diskstats */
		{ "disk_total.reads", 818592 },
		{ "disk_total.write_bytes", 15553158.0 * 512 },
		{ "disk_total.reads_per_s", NAN },
	};
	const char *const strs[][2] = { { "disk_source", "sysfs" } };
	const char *const yes[] = { "disks.dm-0.stacked", "disks.dm-1.stacked" };
	const char *const no[] = { "disks.sda.stacked", "disks.nvme0n1.stacked" };
	struct host_sample s;
	struct capture c;
	json_t *root, *w;

	sample_at(FIXTURES "/disk/mounts", FIXTURES "/disk/sys-stat", &s);
	assert_true(s.have & HOST_HAVE_DISKS);
	root = report_json(NULL, &s);
	check_numbers(root, nums, ARRAY_SIZE(nums));
	check_strings(root, strs, ARRAY_SIZE(strs));
	check_bools(root, yes, ARRAY_SIZE(yes), true);
	check_bools(root, no, ARRAY_SIZE(no), false);
	assert_int_equal(json_object_size(at(root, "disks")), 5);
	assert_null(json_object_get(at(root, "disks"), "sda1"));
	/* Other sources of this bare proc root fail; the disks are not among them. */
	w = at(root, "warnings");
	for (size_t i = 0; i < json_array_size(w); i++)
		if (!strcmp(json_string_value(at(json_array_get(w, i), "section")), "disks"))
			fail_msg("a disks warning: %s",
				 json_string_value(at(json_array_get(w, i), "source")));
	json_decref(root);

	capture__open(&c);
	assert_int_equal(host__write_text(c.f, &s, NULL, "/p", "/s"), 0);
	capture__close(&c);
	if (!strstr(c.buf, "  disks       from /s/block/*/stat: /p/diskstats: No such file or "
			   "directory\n") ||
	    !strstr(c.buf, "  disks total 818592 reads (5.1 GiB)"))
		fail_msg("no fallback line or total in:\n%s", c.buf);
	capture__free(&c);
	host__free(&s);
}

static void test_fixture_text(void **state)
{
	static const char *const lines[] = {
		"jobtrace: host snapshot, rates over 2.000 s\n",
		"  host        node07, Linux 6.1.0-28-amd64 x86_64, #1 SMP PREEMPT_DYNAMIC Debian "
		"6.1.119-1 (2024-11-22), NIS domain hpc.example\n",
		"  cpu         2 online, 1 core, 1 socket, Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz "
		"(GenuineIntel family 6 model 142), 3300 MHz, 4199.88 bogomips\n",
		"  cpu all     35.0% busy: 20.0% user, 2.5% nice, 7.5% system, 62.5% idle, "
		"2.5% iowait, 1.2% irq, 1.2% softirq, 2.5% steal\n",
		"  cpu 0       45.0% busy: 30.0% user,",
		"  kernel      1000 context switches/s, 500 interrupts/s, 250 soft interrupts/s, "
		"10.0 forks/s; 3 running, 1 blocked on I/O\n",
		"  memory      15.5 GiB total, 9.4 GiB available (kernel), 6.1 GiB used (39.4%), "
		"1.1 GiB free\n",
		"  swap        8.0 GiB total, 259.0 MiB used (3.2%), 7.7 GiB free",
		"  load        1.50 0.75 0.25, 3 running of 456\n",
		"  uptime      12347 s (0 d 03:25:47), booted at 1700000000 (epoch s)\n",
		"  net eth0    up, mtu 1500, 1000 Mb/s, full duplex; rx 1000 B, tx 42.4 KiB; "
		"648 B/s in, 4.9 KiB/s out; 8 errors, 10 drops\n",
		"  net wg0     up, mtu 1420; rx 1.2 KiB, tx 800 B; 600 B/s in, 400 B/s out "
		"(reset: at least)\n",
		"  net eth1    down, mtu 9000;",
		"  disk sda    300597 reads (1.9 GiB), 200366 writes (2.7 GiB); 100.0 reads/s "
		"(1000.0 KiB/s), 50.0 writes/s (200.0 KiB/s), 25.0% busy\n",
		"  disk nvme0n1 519195 reads",
		"  disk        1 whole devices with no I/O since boot not shown\n",
		"  disks total 819792 reads (5.1 GiB), 545829 writes (7.4 GiB); 600.0 reads/s "
		"(2.9 MiB/s), 50.0 writes/s (200.0 KiB/s)\n",
		"  fs /        ext4 /dev/sda1\n",
		"  fs /mnt     nfs4 srv:/export\n",
		"  temp coretemp Package id 0: 45.0 °C, high 80.0 °C, critical 100.0 °C\n",
		"  temp nvme   nvme temp1: 38.9 °C, critical 84.8 °C\n",
		"  fan dell_smm Processor Fan: 2150 RPM\n",
		"  battery     BAT0 60.0%, 3:00:00 left, on battery\n",
	};
	struct host_sample t0, t1;
	struct host_rates r;
	struct capture c;

	sample_at(SYSFIX "/t0/proc", SYSFIX "/t0/sys", &t0);
	sample_at(SYSFIX "/t1/proc", SYSFIX "/t1/sys", &t1);
	assert_int_equal(host__rates(&t0, &t1, INTERVAL_NS, &r), 0);
	capture__open(&c);
	assert_int_equal(host__write_text(c.f, &t1, &r, "/p", "/s"), 0);
	capture__close(&c);
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		if (!strstr(c.buf, lines[i]))
			fail_msg("missing line:\n%s\nin:\n%s", lines[i], c.buf);
	assert_null(strstr(c.buf, "disk sda1"));
	assert_null(strstr(c.buf, "warning"));
	capture__free(&c);
	host_rates__free(&r);
	host__free(&t0);
	host__free(&t1);
}

/*
 * /proc/stat before 2.6.31 has no "softirq" line: the soft interrupts are
 * unknown, not 0, while the other counters and their rates are there.
 */
static void test_no_softirq_line(void **state)
{
	const struct num_case nums[] = {
		{ "cpu.interrupts", 3562217 },
		{ "cpu.interrupts_per_s", 0 },
		{ "cpu.ctx_switches", 9876543 },
		{ "cpu.soft_interrupts", NAN },
		{ "cpu.soft_interrupts_per_s", NAN },
	};
	struct host_sample a, b;
	struct host_rates r;
	struct capture c;
	json_t *root;

	sample_at(FIXTURES "/cpu/proc/linux-2.6.10", SYSFIX "/bare/sys", &a);
	sample_at(FIXTURES "/cpu/proc/linux-2.6.10", SYSFIX "/bare/sys", &b);
	root = report_json(&a, &b);
	check_numbers(root, nums, ARRAY_SIZE(nums));
	json_decref(root);

	assert_int_equal(host__rates(&a, &b, INTERVAL_NS, &r), 0);
	capture__open(&c);
	assert_int_equal(host__write_text(c.f, &b, &r, "/p", "/s"), 0);
	capture__close(&c);
	if (!strstr(c.buf, "  kernel      0 context switches/s, 0 interrupts/s, 0.0 forks/s; "))
		fail_msg("no kernel line without soft interrupts in:\n%s", c.buf);
	capture__free(&c);
	host_rates__free(&r);
	host__free(&a);
	host__free(&b);
}

static void test_pseudo_fs_types(void **state)
{
	static const struct {
		const char *type;
		bool pseudo;
	} cases[] = {
		{ "proc", true },   { "sysfs", true },	 { "cgroup", true },   { "cgroup2", true },
		{ "tmpfs", true },  { "devtmpfs", true }, { "autofs", true },  { "ext4", false },
		{ "xfs", false },   { "btrfs", false },	 { "nfs4", false },    { "overlay", false },
		{ "fuse.sshfs", false }, { "squashfs", false }, { "vfat", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (host__fs_is_pseudo(cases[i].type) != cases[i].pseudo)
			fail_msg("%s: pseudo should be %d", cases[i].type, cases[i].pseudo);
}

/* This machine: the report parses and agrees with what libc says. */
static void test_live(void **state)
{
	struct host_sample a, b;
	struct sysinfo si;
	struct utsname u;
	char host[HOSTINFO_VALUE_MAX + 1] = "";
	json_t *root, *fs;
	int proc_fd = util__open_dir("/proc"), sys_fd = util__open_dir("/sys");

	assert_true(proc_fd >= 0 && sys_fd >= 0);
	assert_int_equal(host__sample(proc_fd, sys_fd, &a), 0);
	usleep(20000);
	assert_int_equal(host__sample(proc_fd, sys_fd, &b), 0);
	close(proc_fd);
	close(sys_fd);
	assert_true(b.live);
	/* Processes by state: this test itself is one of them, running. */
	assert_true(b.have & HOST_HAVE_PROCS);
	assert_true(b.procs.total >= 2);
	assert_true(b.procs.running >= 1);
	assert_int_equal(b.procs.total, b.procs.running + b.procs.sleeping + b.procs.disk_sleep +
					    b.procs.zombie + b.procs.stopped + b.procs.tracing_stop +
					    b.procs.idle + b.procs.dead + b.procs.parked + b.procs.other);


	root = report_json(&a, &b);
	/* The live /proc's sys/kernel says what gethostname(2) and uname(2) say. */
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	assert_int_equal(uname(&u), 0);
	assert_string_equal(json_string_value(at(root, "host.hostname")), host);
	assert_string_equal(json_string_value(at(root, "host.kernel_version")), u.release);
	assert_string_equal(json_string_value(at(root, "host.os_type")), u.sysname);
	assert_string_equal(json_string_value(at(root, "host.platform")), u.machine);
	assert_true(json_number_value(at(root, "cpu.count")) == sysconf(_SC_NPROCESSORS_ONLN));
	/* Between 1 and the logical CPUs, sockets between 1 and the cores (this VM: 2, 1). */
	assert_true(json_number_value(at(root, "cpu.physical_cores")) >= 1);
	assert_true(json_number_value(at(root, "cpu.physical_cores")) <=
		    sysconf(_SC_NPROCESSORS_ONLN));
	assert_true(json_number_value(at(root, "cpu.sockets")) >= 1);
	assert_true(json_number_value(at(root, "cpu.sockets")) <=
		    json_number_value(at(root, "cpu.physical_cores")));
	assert_int_equal(sysinfo(&si), 0);
	/* Exact as a double: below 2^53 bytes. */
	assert_true(json_number_value(at(root, "memory.total_bytes")) ==
		    (double)((unsigned long long)si.totalram * si.mem_unit));
	assert_true(json_is_number(at(root, "load.avg1")));
	assert_true(json_is_number(at(root, "net.lo.rx_bytes_per_s")));
	assert_true(json_is_array(at(root, "net.lo.ipv4")));
	/* lo's duplex read fails with EINVAL: unknown, not an error and not null. */
	assert_string_equal(json_string_value(at(root, "net.lo.duplex")), "unknown");
	assert_true(json_is_number(at(root, "cpu.busy_pct")));
	/* Every kernel this runs on has the "softirq" line. */
	assert_true(json_is_number(at(root, "cpu.soft_interrupts")));
	assert_true(json_is_number(at(root, "cpu.soft_interrupts_per_s")));
	assert_true(json_is_object(at(root, "disks")));
	/* This machine has /proc/diskstats: it is what was read. */
	assert_string_equal(json_string_value(at(root, "disk_source")), "diskstats");
	assert_true(json_is_array(at(root, "sensors.temperatures")));
	assert_true(json_is_array(at(root, "sensors.fans")));
	at(root, "sensors.battery");
	/* The live root is statvfs()ed: a listed file system has its sizes. */
	fs = at(root, "filesystems");
	for (size_t i = 0; i < json_array_size(fs); i++) {
		json_t *t = json_object_get(json_array_get(fs, i), "total_bytes");

		assert_true(json_is_null(t) || json_number_value(t) > 0);
	}
	json_decref(root);
	host__free(&a);
	host__free(&b);
}

/* The command's own argument handling, without sampling. */
/* A report written to a string, for byte-for-byte comparisons. */
static char *report_string(const struct host_sample *s, const struct host_rates *r)
{
	struct capture c;

	capture__open(&c);
	assert_int_equal(host__write_json(c.f, s, r, "/p", "/s", false), 0);
	capture__close(&c);
	return c.buf;
}

static const struct {
	const char *proc, *sys;
} root_pairs[] = {
	{ SYSFIX "/t0/proc", SYSFIX "/t0/sys" },
	{ SYSFIX "/t1/proc", SYSFIX "/t1/sys" },
	{ SYSFIX "/no-netdev/proc", SYSFIX "/bare/sys" },
	{ SYSFIX "/odd-names/proc", SYSFIX "/nosensors/sys" },
};

/* A sampler kept across samples reads what the one-shot host__sample() reads. */
static void test_sampler_matches_one_shot(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(root_pairs); i++) {
		int proc_fd = util__open_dir(root_pairs[i].proc);
		int sys_fd = util__open_dir(root_pairs[i].sys);
		struct host_sample a, b;
		struct host_sampler hs;
		char *ja, *jb;

		assert_true(proc_fd >= 0 && sys_fd >= 0);
		host_sampler__init(&hs, proc_fd, sys_fd);
		assert_int_equal(hs.proc_fd, proc_fd);
		assert_int_equal(hs.sys_fd, sys_fd);
		assert_false(hs.live); /* a fixture is not this machine's /proc */
		assert_int_equal(host_sample__take(&hs, &a), 0);
		assert_int_equal(host__sample(proc_fd, sys_fd, &b), 0);
		assert_false(a.live);
		ja = report_string(&a, NULL);
		jb = report_string(&b, NULL);
		if (strcmp(ja, jb))
			fail_msg("%s: sampler %s\none-shot %s", root_pairs[i].proc, ja, jb);
		free(ja);
		free(jb);
		host__free(&a);
		host__free(&b);
		close(proc_fd);
		close(sys_fd);
	}
}

/*
 * A collector's sampler reads only what an interval's host record needs:
 * the same CPU, memory and network figures as a full sample, and none of
 * the walks of every process or socket.
 */
static void test_sampler_wants_less(void **state)
{
	int proc_fd = util__open_dir(SYSFIX "/t0/proc"), sys_fd = util__open_dir(SYSFIX "/t0/sys");
	struct host_sample full, part;
	struct host_sampler hs;

	assert_true(proc_fd >= 0 && sys_fd >= 0);
	host_sampler__init(&hs, proc_fd, sys_fd);
	assert_int_equal(host_sample__take(&hs, &full), 0);
	hs.want = HOST_WANT_INTERVAL;
	assert_int_equal(host_sample__take(&hs, &part), 0);
	assert_true(full.have & HOST_HAVE_PROCS);
	assert_true(full.have & HOST_HAVE_SOCKETS);
	assert_int_equal(part.have & ~(unsigned int)HOST_WANT_INTERVAL, 0);
	assert_int_equal(part.have, full.have & HOST_WANT_INTERVAL);
	assert_int_equal(part.stat.ctxt, full.stat.ctxt);
	assert_int_equal(part.mem.available_bytes, full.mem.available_bytes);
	assert_int_equal(part.net.n, full.net.n);
	assert_int_equal(part.disks.nr, full.disks.nr);
	assert_int_equal(part.procs.sleeping + part.procs.running, 0);
	host__free(&full);
	host__free(&part);
	close(proc_fd);
	close(sys_fd);
}

/* An interval's host record from the t0 and t1 fixtures, one second apart. */
static void test_host_record(void **state)
{
	int p0 = util__open_dir(SYSFIX "/t0/proc"), s0 = util__open_dir(SYSFIX "/t0/sys");
	int p1 = util__open_dir(SYSFIX "/t1/proc"), s1 = util__open_dir(SYSFIX "/t1/sys");
	struct host_sample a, b;
	struct host_sampler h0, h1;
	struct host_record r;
	struct cpu_percent pct;

	assert_true(p0 >= 0 && s0 >= 0 && p1 >= 0 && s1 >= 0);
	host_sampler__init(&h0, p0, s0);
	host_sampler__init(&h1, p1, s1);
	h0.want = h1.want = HOST_WANT_INTERVAL;
	assert_int_equal(host_sample__take(&h0, &a), 0);
	assert_int_equal(host_sample__take(&h1, &b), 0);
	a.mono_ns = 5000000000ULL;
	b.mono_ns = 7000000000ULL; /* two seconds */
	host_record__from_samples(&a, &b, NULL, &r);
	assert_int_equal(r.t0_ns, a.mono_ns);
	assert_int_equal(r.t1_ns, b.mono_ns);
	assert_true(b.stat.processes > a.stat.processes);
	assert_true(fabs(r.forks_per_s - (double)(b.stat.processes - a.stat.processes) / 2) < 1e-9);
	assert_true(fabs(r.ctxt_per_s - (double)(b.stat.ctxt - a.stat.ctxt) / 2) < 1e-9);
	proc_stat__cpu_percent(&a.stat.total, &b.stat.total, &pct);
	assert_true(fabs(r.cpu_busy_pct - pct.busy) < 1e-9);
	assert_int_equal(r.mem_available_bytes, b.mem.available_bytes);
	assert_true(r.load1 == b.load.load1);
	assert_int_equal(r.ncpus, b.stat.nr_cpus);
	assert_int_equal(r.unknown, 0);
	/* The same sample twice: no time passed, no rate. */
	host_record__from_samples(&b, &b, NULL, &r);
	assert_true(r.cpu_busy_pct < 0);
	assert_true(r.forks_per_s < 0);
	assert_true(r.ctxt_per_s < 0);
	host__free(&a);
	host__free(&b);
	close(p0);
	close(s0);
	close(p1);
	close(s1);
}

/* The host record's line as @mk's sink writes it, with no system line after. */
static char *host_line(struct sink *(*mk)(FILE *f), struct host_record *r)
{
	struct capture c;
	struct sink *s;
	char *line;

	r->sample = NULL;
	capture__open(&c);
	s = mk(c.f);
	assert_non_null(s);
	assert_int_equal(s->ops->host(s, r), 0);
	if (s->ops->flush)
		assert_int_equal(s->ops->flush(s), 0);
	sink__free(s);
	capture__close(&c);
	line = strdup(c.buf);
	capture__free(&c);
	return line;
}

static struct sink *jsonl_host_sink(FILE *f)
{
	return sink_jsonl__new(f, 0, false, false, true, false);
}

static struct sink *text_host_sink(FILE *f)
{
	return sink_text__new(f, 0);
}

/*
 * A /proc file that could not be read (EMFILE) leaves its part of the
 * sample zeroed. Against a prev without /proc/stat, the counters since boot
 * would be this interval's (forks/s in the millions); a cur without stat or
 * meminfo would report 0 CPUs and 0 bytes of memory. All unknown instead.
 */
static void test_host_record_unknown(void **state)
{
	struct host_sample a, b;
	struct host_record r;
	json_error_t jerr;
	json_t *root;
	char *line;

	sample_at(SYSFIX "/t0/proc", SYSFIX "/t0/sys", &a);
	sample_at(SYSFIX "/t1/proc", SYSFIX "/t1/sys", &b);
	a.mono_ns = 5000000000ULL;
	b.mono_ns = 6000000000ULL;
	a.have &= ~HOST_HAVE_STAT;
	memset(&a.stat.total, 0, sizeof(a.stat.total));
	a.stat.processes = a.stat.ctxt = 0;
	host_record__from_samples(&a, &b, NULL, &r);
	assert_true(r.cpu_busy_pct < 0);
	assert_true(r.forks_per_s < 0);
	assert_true(r.ctxt_per_s < 0);
	assert_int_equal(r.unknown, 0);
	assert_int_equal(r.ncpus, b.stat.nr_cpus);

	b.have &= ~(HOST_HAVE_STAT | HOST_HAVE_MEMINFO);
	host_record__from_samples(&b, &b, NULL, &r);
	assert_int_equal(r.unknown, HOST_RECORD_NO_STAT | HOST_RECORD_NO_MEM);
	line = host_line(jsonl_host_sink, &r);
	root = json_loads(line, 0, &jerr);
	if (!root)
		fail_msg("invalid JSON (%s): %s", jerr.text, line);
	assert_true(json_is_null(at(root, "cpu.count")));
	assert_true(json_is_null(at(root, "cpu.busy_pct")));
	assert_true(json_is_null(at(root, "memory.total_bytes")));
	assert_true(json_is_null(at(root, "memory.swap_used_bytes")));
	assert_true(json_is_null(at(root, "processes.forks_per_s")));
	assert_true(json_is_null(at(root, "processes.running")));
	assert_true(json_is_null(at(root, "context_switches_per_s")));
	assert_true(json_is_number(at(root, "load.avg1")));
	json_decref(root);
	free(line);
	line = host_line(text_host_sink, &r);
	if (!strstr(line, "host: CPU - busy, memory - used of -, load 1.50, - forks/s\n"))
		fail_msg("unknown figures not shown as '-': %s", line);
	free(line);
	host__free(&a);
	host__free(&b);
}

/* host_sample__rates() takes its interval from the samples' own clocks. */
static void test_sample_rates_use_the_clocks(void **state)
{
	static const struct {
		uint64_t t0_ns, t1_ns, want_ns;
	} cases[] = {
		{ 1000000000ULL, 1000000000ULL + INTERVAL_NS, INTERVAL_NS },
		{ 5, 5 + 500000000ULL, 500000000ULL },
		/* Same tick, or a clock that went back: still a rate, over 1 ns. */
		{ 7, 7, 1 },
		{ 9, 3, 1 },
	};
	struct host_sample t0, t1;

	sample_at(SYSFIX "/t0/proc", SYSFIX "/t0/sys", &t0);
	sample_at(SYSFIX "/t1/proc", SYSFIX "/t1/sys", &t1);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct host_rates got, want;
		char *jg, *jw;

		t0.mono_ns = cases[i].t0_ns;
		t1.mono_ns = cases[i].t1_ns;
		assert_int_equal(host_sample__rates(&t0, &t1, &got), 0);
		assert_int_equal(got.interval_ns, cases[i].want_ns);
		assert_int_equal(host__rates(&t0, &t1, cases[i].want_ns, &want), 0);
		jg = report_string(&t1, &got);
		jw = report_string(&t1, &want);
		assert_string_equal(jg, jw);
		free(jg);
		free(jw);
		host_rates__free(&got);
		host_rates__free(&want);
	}
	host__free(&t0);
	host__free(&t1);
}

/*
 * The section a record embeds is the report without its "version", as a
 * member of an object and as an element of an array.
 */
static void test_json_section(void **state)
{
	struct host_sample t0, t1;
	struct host_rates rates;
	struct json_writer w;
	struct capture c;
	json_error_t jerr;
	json_t *doc, *rec;

	sample_at(SYSFIX "/t0/proc", SYSFIX "/t0/sys", &t0);
	sample_at(SYSFIX "/t1/proc", SYSFIX "/t1/sys", &t1);
	for (int with_rates = 0; with_rates < 2; with_rates++) {
		const struct host_rates *r = with_rates ? &rates : NULL;

		if (with_rates)
			assert_int_equal(host__rates(&t0, &t1, INTERVAL_NS, &rates), 0);
		doc = report_json(with_rates ? &t0 : NULL, &t1);
		assert_non_null(json_object_get(doc, "version"));
		json_object_del(doc, "version");

		capture__open(&c);
		json__init(&w, c.f, false);
		json__begin_object(&w, NULL);
		json__u64(&w, "version", 1);
		json__string(&w, "type", "interval");
		json__begin_object(&w, "host");
		host__write_json_fields(&w, &t1, r, "/p", "/s");
		json__end_object(&w);
		json__begin_array(&w, "hosts");
		json__begin_object(&w, NULL);
		host__write_json_fields(&w, &t1, r, "/p", "/s");
		json__end_object(&w);
		json__end_array(&w);
		json__end_object(&w);
		assert_int_equal(json__finish(&w), 0);
		capture__close(&c);
		rec = json_loads(c.buf, JSON_DECODE_INT_AS_REAL, &jerr);
		if (!rec)
			fail_msg("invalid JSON (%s): %s", jerr.text, c.buf);
		assert_string_equal(json_string_value(json_object_get(rec, "type")), "interval");
		assert_true(json_equal(json_object_get(rec, "host"), doc));
		assert_true(json_equal(json_array_get(json_object_get(rec, "hosts"), 0), doc));
		json_decref(rec);
		json_decref(doc);
		capture__free(&c);
		if (with_rates)
			host_rates__free(&rates);
	}
	host__free(&t0);
	host__free(&t1);
}

static void test_usage(void **state)
{
	static const struct {
		const char *args[4];
		int status;
	} cases[] = {
		{ { "system", "--interval", "-1" }, 2 },
		{ { "system", "--interval", "abc" }, 2 },
		{ { "system", "--interval", "nan" }, 2 },
		{ { "system", "--interval" }, 2 },
		{ { "system", "--bogus" }, 2 },
		{ { "system", "extra" }, 2 },
		{ { "system", "--help" }, 0 },
		{ { "system", "--proc-root", "/nonexistent-jobtrace" }, 1 },
	};
	FILE *saved_out = stdout, *saved_err = stderr;
	struct capture out, err;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *argv[5] = { 0 };
		int argc = 0, status;

		for (; argc < 4 && cases[i].args[argc]; argc++)
			argv[argc] = (char *)cases[i].args[argc];
		capture__open(&out);
		capture__open(&err);
		stdout = out.f;
		stderr = err.f;
		status = system__main(argc, argv);
		stdout = saved_out;
		stderr = saved_err;
		capture__close(&out);
		capture__close(&err);
		if (status != cases[i].status)
			fail_msg("%s %s: status %d, want %d", argv[1], argv[2] ? argv[2] : "",
				 status, cases[i].status);
		if (status == 2) {
			/* One line saying what is wrong, then the hint. */
			assert_non_null(strstr(err.buf, "jobtrace: "));
			assert_non_null(strstr(err.buf, "\nTry 'jobtrace system --help'.\n"));
		}
		if (status == 0)
			assert_non_null(strstr(out.buf, "Examples:"));
		capture__free(&out);
		capture__free(&err);
	}
}

/*
 * /proc/stat cut mid-line (its last CPU's line): the sample has the CPUs
 * before it, and says the file was cut, where one CPU went missing without
 * a word.
 */
static void test_stat_cut_is_said(void **state)
{
	char dir[] = "/tmp/jt-stat-cut-XXXXXX", path[64];
	static const char stat[] = "cpu  100 0 50 800 0 0 0 0 0 0\n"
				   "cpu0 50 0 25 400 0 0 0 0 0 0\n"
				   "cpu1 50 0 2";
	struct host_sample s;
	bool said = false;
	int proc_fd, fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/stat", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, stat, sizeof(stat) - 1), (ssize_t)(sizeof(stat) - 1));
	close(fd);
	proc_fd = util__open_dir(dir);
	assert_true(proc_fd >= 0);
	assert_int_equal(host__sample(proc_fd, -1, &s), 0);
	close(proc_fd);
	assert_true(s.have & HOST_HAVE_STAT);
	assert_int_equal(s.stat.nr_cpus, 1);
	for (size_t i = 0; i < s.n_warnings; i++)
		said |= !strcmp(s.warnings[i].section, "cpu") && !strcmp(s.warnings[i].path, "stat") &&
			s.warnings[i].why && strstr(s.warnings[i].why, "cut");
	assert_true(said);
	host__free(&s);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_json),
		cmocka_unit_test(test_fixture_counters_only),
		cmocka_unit_test(test_rates_need_an_interval),
		cmocka_unit_test(test_disk_busy_wraps_at_32_bits),
		cmocka_unit_test(test_hostile_roots),
		cmocka_unit_test(test_odd_interface_names),
		cmocka_unit_test(test_host_warnings),
		cmocka_unit_test(test_disk_fallback),
		cmocka_unit_test(test_fixture_text),
		cmocka_unit_test(test_no_softirq_line),
		cmocka_unit_test(test_pseudo_fs_types),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_sampler_matches_one_shot),
		cmocka_unit_test(test_sampler_wants_less),
		cmocka_unit_test(test_host_record),
		cmocka_unit_test(test_host_record_unknown),
		cmocka_unit_test(test_sample_rates_use_the_clocks),
		cmocka_unit_test(test_json_section),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_stat_cut_is_said),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
