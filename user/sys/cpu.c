// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The /sys/devices/system/cpu tree: how fast each online CPU runs
 * (cpufreq) and how many cores and sockets they make (topology), each a
 * parser over a directory fd or a sysfs image, with /proc/cpuinfo's
 * figures (user/proc/cpuinfo.c) where sysfs has none.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/cpuinfo.h"
#include "jobtrace/sysfs_attr.h"
#include "jobtrace/util.h"

/* Small sysfs attributes; a CPU list is bounded by the sysfs page. */
#define ATTR_BUF_SIZE 64
#define LIST_BUF_SIZE 8192
/* "devices/system/cpu/cpu65535/cpufreq/scaling_cur_freq", "policyN/affected_cpus" */
#define SYSFS_PATH_SIZE 96

/* One number and a newline, as every cpufreq attribute holds. */
static int read_khz(const struct sysfs_dir *d, const char *path, __u64 *khz)
{
	char buf[ATTR_BUF_SIZE];
	ssize_t n = sysfs_dir__read(d, path, buf, sizeof(buf));
	const char *p = buf;
	__u64 v;
	int err;

	if (n < 0)
		return (int)n;
	/* Some drivers print "<unknown>": no value, not a zero. */
	err = util__scan_u64(&p, buf + n, &v);
	if (err)
		return err;
	if (p + 1 != buf + n || *p != '\n')
		return -EPROTO;
	*khz = v;
	return 0;
}

static struct cpufreq_cpu *find_freq(struct cpufreq *f, __u32 cpu)
{
	size_t lo = 0, hi = f->nr_cpus;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->cpus[mid].cpu == cpu)
			return &f->cpus[mid];
		if (f->cpus[mid].cpu < cpu)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int read_cpu_list(const struct sysfs_dir *d, const char *path, __u32 **cpus, size_t *nr)
{
	char *buf = malloc(LIST_BUF_SIZE);
	ssize_t n;
	int err;

	*cpus = NULL;
	*nr = 0;
	if (!buf)
		return -ENOMEM;
	n = sysfs_dir__read(d, path, buf, LIST_BUF_SIZE);
	err = n < 0 ? (int)n : cpulist__parse(buf, (size_t)n, cpus, nr);
	free(buf);
	return err;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* "cpu12" -> 12; false for cpufreq, cpuidle and anything else. */
static bool cpu_dir_number(const char *name, __u32 *cpu)
{
	const char *p = name + 3;
	__u64 n;

	/* "cpu01" is not a name the kernel gives. */
	if (strncmp(name, "cpu", 3) || (p[0] == '0' && p[1]) || util__scan_u64(&p, p + strlen(p), &n) ||
	    *p || n >= CPULIST_MAX_CPUS)
		return false;
	*cpu = (__u32)n;
	return true;
}

/*
 * Without devices/system/cpu/online (kernels before 2.6.26): the cpuN
 * directories, each online unless its online file says 0. The boot CPU, and
 * every CPU of a kernel without hotplug, has no such file at all.
 */
struct cpu_dirs {
	const struct sysfs_dir *dir;
	__u32 *list;
	size_t n, cap;
};

static int add_cpu_dir(const char *name, void *ctx)
{
	struct cpu_dirs *cd = ctx;
	char path[SYSFS_PATH_SIZE];
	__u64 online;
	__u32 cpu;

	if (!cpu_dir_number(name, &cpu))
		return 0;
	snprintf(path, sizeof(path), "cpu%u/online", cpu);
	if (read_khz(cd->dir, path, &online) == 0 && online == 0)
		return 0;
	if (cd->n == cd->cap) {
		int err = util__grow(&cd->list, &cd->cap, sizeof(*cd->list), 8, CPULIST_MAX_CPUS);

		if (err)
			return err;
	}
	cd->list[cd->n++] = cpu;
	return 0;
}

static int scan_cpu_dirs(const struct sysfs_dir *sys, __u32 **cpus, size_t *nr)
{
	struct sysfs_dir dir;
	struct cpu_dirs cd = { .dir = &dir };
	int err;

	*cpus = NULL;
	*nr = 0;
	if (sysfs_dir__open(sys, "devices/system/cpu", &dir))
		return -ENOENT;
	err = sysfs_dir__list(&dir, add_cpu_dir, &cd);
	sysfs_dir__close(&dir);
	/* A listing that failed part way is no list; only -ENOMEM is worth more than that. */
	if (err) {
		free(cd.list);
		return err == -ENOMEM ? err : -ENOENT;
	}
	if (!cd.n)
		return -ENOENT;
	qsort(cd.list, cd.n, sizeof(*cd.list), cmp_u32);
	*cpus = cd.list;
	*nr = cd.n;
	return 0;
}

/*
 * The online CPUs, sorted: devices/system/cpu/online, else the cpuN
 * directories, else @ci's CPUs (cpuinfo shows the online ones). -ENOENT when
 * none of them says.
 */
static int online_list(const struct sysfs_dir *sys, const struct cpuinfo *ci, __u32 **cpus,
		       size_t *nr)
{
	int err = read_cpu_list(sys, "devices/system/cpu/online", cpus, nr);

	if (!err && *nr)
		return 0;
	if (err == -ENOMEM)
		return err;
	err = scan_cpu_dirs(sys, cpus, nr);
	if (err != -ENOENT)
		return err;
	if (!ci || !ci->nr_cpus)
		return -ENOENT;
	*cpus = malloc(ci->nr_cpus * sizeof(**cpus));
	if (!*cpus)
		return -ENOMEM;
	*nr = ci->nr_cpus;
	for (size_t i = 0; i < *nr; i++)
		(*cpus)[i] = ci->cpus[i].processor;
	/* cpuinfo's order is the kernel's, ascending; keep it honest. */
	for (size_t i = 1; i < *nr; i++) {
		if ((*cpus)[i - 1] >= (*cpus)[i]) {
			free(*cpus);
			*cpus = NULL;
			*nr = 0;
			return -EPROTO;
		}
	}
	return 0;
}

static int online_cpus(const struct sysfs_dir *sys, const struct cpuinfo *ci, struct cpufreq *f)
{
	__u32 *list;
	size_t nr;
	int err = online_list(sys, ci, &list, &nr);

	if (err)
		return err;
	f->cpus = calloc(nr ? nr : 1, sizeof(*f->cpus));
	if (!f->cpus) {
		free(list);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nr; i++)
		f->cpus[i].cpu = list[i];
	f->nr_cpus = nr;
	free(list);
	return 0;
}

/*
 * A policy governs the CPUs in its affected_cpus: the online ones. An
 * offline CPU may still be in related_cpus, and its policy may be inactive
 * with an empty affected_cpus; neither reports a frequency.
 */
static int apply_policy(const struct sysfs_dir *cpufreq_dir, __u32 policy, struct cpufreq *f)
{
	__u64 cur, min = 0, max = 0;
	char path[SYSFS_PATH_SIZE];
	__u32 *cpus;
	size_t nr;
	int err;

	snprintf(path, sizeof(path), "policy%u/affected_cpus", policy);
	err = read_cpu_list(cpufreq_dir, path, &cpus, &nr);
	if (err)
		return err == -ENOMEM ? err : 0;
	snprintf(path, sizeof(path), "policy%u/scaling_cur_freq", policy);
	if (read_khz(cpufreq_dir, path, &cur)) {
		free(cpus);
		return 0;
	}
	snprintf(path, sizeof(path), "policy%u/scaling_min_freq", policy);
	read_khz(cpufreq_dir, path, &min);
	snprintf(path, sizeof(path), "policy%u/scaling_max_freq", policy);
	read_khz(cpufreq_dir, path, &max);
	for (size_t i = 0; i < nr; i++) {
		struct cpufreq_cpu *c = find_freq(f, cpus[i]);

		if (!c)
			continue;
		c->source = CPUFREQ_SRC_POLICY;
		c->cur_khz = cur;
		c->min_khz = min;
		c->max_khz = max;
	}
	free(cpus);
	return 0;
}

struct policies {
	const struct sysfs_dir *dir;
	struct cpufreq *f;
};

static int apply_policy_entry(const char *name, void *ctx)
{
	const struct policies *p = ctx;
	const char *d = name + 6;
	__u64 policy;

	if (strncmp(name, "policy", 6) != 0 || util__scan_u64(&d, d + strlen(d), &policy) || *d ||
	    policy > UINT32_MAX)
		return 0;
	return apply_policy(p->dir, (__u32)policy, p->f);
}

static int apply_policies(const struct sysfs_dir *sys, struct cpufreq *f)
{
	struct sysfs_dir dir;
	struct policies p = { .dir = &dir, .f = f };
	int err;

	if (sysfs_dir__open(sys, "devices/system/cpu/cpufreq", &dir))
		return 0; /* no cpufreq driver: the fallbacks decide */
	err = sysfs_dir__list(&dir, apply_policy_entry, &p);
	sysfs_dir__close(&dir);
	/* Only apply_policy()'s -ENOMEM stops the walk; a listing cut short keeps what it read. */
	return err == -ENOMEM ? err : 0;
}

int cpufreq__read_dir(const struct sysfs_dir *sys, const struct cpuinfo *ci, struct cpufreq *out)
{
	__u64 sum = 0, n = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = online_cpus(sys, ci, out);
	if (err)
		goto err_free;
	err = apply_policies(sys, out);
	if (err)
		goto err_free;
	for (size_t i = 0; i < out->nr_cpus; i++) {
		struct cpufreq_cpu *c = &out->cpus[i];
		const struct cpuinfo_cpu *info;
		char path[SYSFS_PATH_SIZE];

		if (c->source != CPUFREQ_SRC_NONE)
			continue;
		/* Before 4.3 policies had no directory of their own. */
		snprintf(path, sizeof(path), "devices/system/cpu/cpu%u/cpufreq/scaling_cur_freq",
			 c->cpu);
		if (read_khz(sys, path, &c->cur_khz) == 0) {
			c->source = CPUFREQ_SRC_CPU_DIR;
			snprintf(path, sizeof(path),
				 "devices/system/cpu/cpu%u/cpufreq/scaling_min_freq", c->cpu);
			read_khz(sys, path, &c->min_khz);
			snprintf(path, sizeof(path),
				 "devices/system/cpu/cpu%u/cpufreq/scaling_max_freq", c->cpu);
			read_khz(sys, path, &c->max_khz);
			continue;
		}
		/* No cpufreq (VMs, like this one): cpuinfo's MHz, without a range. */
		info = cpuinfo__find(ci, c->cpu);
		if (info && info->cpu_khz) {
			c->source = CPUFREQ_SRC_CPUINFO;
			c->cur_khz = info->cpu_khz;
		}
	}
	for (size_t i = 0; i < out->nr_cpus; i++) {
		if (out->cpus[i].cur_khz) {
			sum += out->cpus[i].cur_khz;
			n++;
		}
	}
	out->avg_cur_khz = n ? sum / n : 0;
	return 0;

err_free:
	cpufreq__free(out);
	return err;
}

int cpufreq__read(int sys_dirfd, const struct cpuinfo *ci, struct cpufreq *out)
{
	struct sysfs_dir sys;

	sysfs_dir__from_fd(&sys, sys_dirfd);
	return cpufreq__read_dir(&sys, ci, out);
}

int cpufreq__parse(const void *img, size_t len, const struct cpuinfo *ci, struct cpufreq *out)
{
	struct sysfs_dir sys;

	sysfs_dir__from_image(&sys, img, len);
	return cpufreq__read_dir(&sys, ci, out);
}

void cpufreq__free(struct cpufreq *f)
{
	if (!f)
		return;
	free(f->cpus);
	f->cpus = NULL;
	f->nr_cpus = 0;
}

/* ------------------------------------------------------------------------ */

/* How many distinct values @v holds; sorts it. */
static __u32 count_distinct(__u32 *v, size_t n)
{
	__u32 distinct = 0;

	if (n)
		qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || v[i] != v[i - 1];
	return distinct;
}

/*
 * The CPUs sharing @cpu's core: core_cpus_list since 5.3, thread_siblings_list
 * before (same mask, older name). Its lowest CPU names the core: every CPU of
 * a core lists the same set. -ENOENT when neither file is there; -EPROTO for
 * a list that is empty or not a list.
 */
static int core_key(const struct sysfs_dir *sys, __u32 cpu, __u32 *key)
{
	static const char *const names[] = { "core_cpus_list", "thread_siblings_list" };
	char path[SYSFS_PATH_SIZE];
	int err = -ENOENT;
	__u32 *list;
	size_t nr;

	for (size_t i = 0; i < ARRAY_SIZE(names) && err == -ENOENT; i++) {
		snprintf(path, sizeof(path), "devices/system/cpu/cpu%u/topology/%s", cpu, names[i]);
		err = read_cpu_list(sys, path, &list, &nr);
	}
	if (err)
		return err == -ENOMEM || err == -ENOENT ? err : -EPROTO;
	if (!nr)
		return -EPROTO;
	*key = list[0];
	free(list);
	return 0;
}

/* physical_package_id; -1 (no package information on some arm64) is unknown. */
static int package_id(const struct sysfs_dir *sys, __u32 cpu, __u32 *id)
{
	char path[SYSFS_PATH_SIZE];
	long long v;
	int err;

	snprintf(path, sizeof(path), "devices/system/cpu/cpu%u/topology/physical_package_id", cpu);
	err = sysfs_dir__read_s64(sys, path, &v);
	if (err)
		return err;
	if (v < 0 || v > UINT32_MAX)
		return -ERANGE;
	*id = (__u32)v;
	return 0;
}

/* Cores and sockets from sysfs, each left 0 when any online CPU cannot say. */
static int topology_from_sysfs(const struct sysfs_dir *sys, const __u32 *cpus, size_t nr,
			       struct cpu_topology *out)
{
	__u32 *cores = malloc((nr ? nr : 1) * sizeof(*cores));
	__u32 *packages = malloc((nr ? nr : 1) * sizeof(*packages));
	bool have_cores = nr > 0, have_packages = nr > 0;
	int err = 0;

	if (!cores || !packages) {
		err = -ENOMEM;
		goto out_free;
	}
	for (size_t i = 0; i < nr && (have_cores || have_packages); i++) {
		if (have_cores) {
			err = core_key(sys, cpus[i], &cores[i]);
			if (err == -ENOMEM)
				goto out_free;
			have_cores = !err;
		}
		if (have_packages)
			have_packages = !package_id(sys, cpus[i], &packages[i]);
	}
	err = 0;
	if (have_cores) {
		out->physical_cores = count_distinct(cores, nr);
		out->cores_source = CPU_TOPOLOGY_SRC_SYSFS;
	}
	if (have_packages) {
		out->sockets = count_distinct(packages, nr);
		out->sockets_source = CPU_TOPOLOGY_SRC_SYSFS;
	}
out_free:
	free(cores);
	free(packages);
	return err;
}

/*
 * x86 cpuinfo: "cpu cores" per "physical id", summed over the distinct ids.
 * Every CPU must have both, or the answer would be a guess.
 */
static int topology_from_cpuinfo(const struct cpuinfo *ci, struct cpu_topology *out)
{
	struct {
		__u32 id, cores;
	} *pkg;
	bool cores_known = true;
	__u32 cores = 0;
	size_t n = 0;

	if (!ci || !ci->nr_cpus)
		return 0;
	for (size_t i = 0; i < ci->nr_cpus; i++)
		if (!ci->cpus[i].has_physical_id)
			return 0;
	pkg = calloc(ci->nr_cpus, sizeof(*pkg));
	if (!pkg)
		return -ENOMEM;
	for (size_t i = 0; i < ci->nr_cpus; i++) {
		const struct cpuinfo_cpu *c = &ci->cpus[i];
		size_t j = 0;

		while (j < n && pkg[j].id != c->physical_id)
			j++;
		if (j == n)
			pkg[n++].id = c->physical_id;
		/* The CPUs of one package agree; should they not, the largest count wins. */
		if (c->cpu_cores > pkg[j].cores)
			pkg[j].cores = c->cpu_cores;
	}
	for (size_t j = 0; j < n && cores_known; j++) {
		/* A package without "cpu cores" leaves the sum unknown. */
		cores_known = pkg[j].cores && pkg[j].cores <= UINT32_MAX - cores;
		cores += cores_known ? pkg[j].cores : 0;
	}
	free(pkg);
	if (!out->sockets) {
		out->sockets = (__u32)n;
		out->sockets_source = CPU_TOPOLOGY_SRC_CPUINFO;
	}
	if (!out->physical_cores && cores_known) {
		out->physical_cores = cores;
		out->cores_source = CPU_TOPOLOGY_SRC_CPUINFO;
	}
	return 0;
}

int cpu_topology__read_dir(const struct sysfs_dir *sys, const struct cpuinfo *ci,
			   struct cpu_topology *out)
{
	__u32 *cpus;
	size_t nr;
	int err;

	memset(out, 0, sizeof(*out));
	err = online_list(sys, ci, &cpus, &nr);
	if (err == -ENOMEM)
		return err;
	if (!err) {
		out->online_cpus = (__u32)nr;
		err = sys->fd >= 0 || sys->img ? topology_from_sysfs(sys, cpus, nr, out) : 0;
		free(cpus);
		if (err)
			return err;
	}
	if (!out->physical_cores || !out->sockets)
		return topology_from_cpuinfo(ci, out);
	return 0;
}

int cpu_topology__read(int sys_dirfd, const struct cpuinfo *ci, struct cpu_topology *out)
{
	struct sysfs_dir sys;

	sysfs_dir__from_fd(&sys, sys_dirfd);
	return cpu_topology__read_dir(&sys, ci, out);
}

int cpu_topology__parse(const void *img, size_t len, const struct cpuinfo *ci,
			struct cpu_topology *out)
{
	struct sysfs_dir sys;

	sysfs_dir__from_image(&sys, img, len);
	return cpu_topology__read_dir(&sys, ci, out);
}
