// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "jobtrace/cpuinfo.h"
#include "jobtrace/util.h"
#include "sysfs_image.h"

#define PROC_FIXTURES FIXTURES "/cpu/proc/"
#define SYS_FIXTURES FIXTURES "/cpu/sys/"

static int open_fixture(const char *base, const char *root)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s%s", base, root);
	fd = util__open_dir(path);
	if (fd < 0)
		fail_msg("cannot open fixture %s: %s", path, strerror(-fd));
	return fd;
}

/* cpufreq__read() over the fixture's directory, or cpufreq__parse() over its image. */
static int freq_of(const char *sys, bool image, const struct cpuinfo *ci, struct cpufreq *f)
{
	char path[256];
	struct sysfs_image im;
	int fd, err;

	if (!image) {
		fd = open_fixture(SYS_FIXTURES, sys);
		err = cpufreq__read(fd, ci, f);
		close(fd);
		return err;
	}
	snprintf(path, sizeof(path), "%s%s", SYS_FIXTURES, sys);
	sysfs_image__build(&im, path);
	err = cpufreq__parse(im.buf, im.len, ci, f);
	free(im.buf);
	return err;
}

/* The same for the topology; a NULL @sys is no sys root (an fd of -1, an empty image). */
static int topo_of(const char *sys, bool image, const struct cpuinfo *ci, struct cpu_topology *t)
{
	char path[256];
	struct sysfs_image im = { 0 };
	int fd = -1, err;

	if (!image) {
		if (sys)
			fd = open_fixture(SYS_FIXTURES, sys);
		err = cpu_topology__read(fd, ci, t);
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (sys) {
		snprintf(path, sizeof(path), "%s%s", SYS_FIXTURES, sys);
		sysfs_image__build(&im, path);
	}
	err = cpu_topology__parse(im.buf, im.len, ci, t);
	free(im.buf);
	return err;
}

static int read_cpuinfo(const char *root, struct cpuinfo *ci)
{
	int fd = open_fixture(PROC_FIXTURES, root);
	int err = cpuinfo__read(fd, ci);

	close(fd);
	return err;
}

/* ------------------------------------------------------------------------ */

#define MAX_CPUS 4

struct cpuinfo_case {
	const char *root;
	int err;
	size_t nr_cpus;
	__u64 avg_khz;
	bool truncated;
	struct cpuinfo_cpu cpus[MAX_CPUS];
};

#define X86_CPU(n, khz)                                                                     \
	{ .processor = n, .family = 6, .model = 142, .cpu_khz = khz, .bogomips = 4199.88,  \
	  .vendor_id = "GenuineIntel", .model_name = "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz" }
#define ARM64_CPU(n, p) { .processor = n, .implementer = 0x41, .part = p, .bogomips = 48.0 }
#define ARM32_CPU(n)                                                                 \
	{ .processor = n, .implementer = 0x41, .part = 0xd03, .bogomips = 38.4, \
	  .model_name = "ARMv7 Processor rev 4 (v7l)" }

static const struct cpuinfo_case cpuinfo_cases[] = {
	{
		.root = "x86-2cpu",
		.nr_cpus = 2,
		.avg_khz = 3000061, /* (2600000 + 3400123) / 2, truncated */
		.cpus = { X86_CPU(0, 2600000), X86_CPU(1, 3400123) },
	},
	{
		/* Cut inside CPU 1's "cpu MHz": CPU 1 counts, its MHz is unknown. */
		.root = "x86-cut",
		.nr_cpus = 2,
		.avg_khz = 2600000,
		.truncated = true,
		.cpus = { X86_CPU(0, 2600000),
			  { .processor = 1, .family = 6, .model = 142, .vendor_id = "GenuineIntel",
			    .model_name = "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz" } },
	},
	{
		/* No vendor_id, model name or MHz: empty and 0, not an error. */
		.root = "arm64",
		.nr_cpus = 4,
		.cpus = { ARM64_CPU(0, 0xd03), ARM64_CPU(1, 0xd03), ARM64_CPU(2, 0xd08),
			  ARM64_CPU(3, 0xd08) },
	},
	{
		/* "Processor : ARMv7..." and the Hardware block are not CPUs. */
		.root = "arm32",
		.nr_cpus = 2,
		.cpus = { ARM32_CPU(0), ARM32_CPU(1) },
	},
	{
		/* "clock : 2900.000000MHz"; the machine block's "model" is nobody's. */
		.root = "ppc64le",
		.nr_cpus = 2,
		.avg_khz = 3350000,
		.cpus = { { .processor = 0, .cpu_khz = 2900000 },
			  { .processor = 1, .cpu_khz = 3800000 } },
	},
	{
		/* s390 before "cpu number" blocks: its "processor N: ..." summary lines. */
		.root = "s390x",
		.nr_cpus = 2,
		.cpus = { { .processor = 0 }, { .processor = 1 } },
	},
	{
		/* 4.x with MHz: summary lines, then "cpu number" blocks of the same CPUs. */
		.root = "s390x-4.x",
		.nr_cpus = 2,
		.avg_khz = 5504000,
		.cpus = { { .processor = 0, .cpu_khz = 5504000 },
			  { .processor = 1, .cpu_khz = 5504000 } },
	},
	{
		/* 5.x and later: topology in the blocks; CPU 2 offline; "cpu MHz dynamic". */
		.root = "s390x-5.x",
		.nr_cpus = 3,
		.avg_khz = 5066666,
		.cpus = { { .processor = 0, .cpu_khz = 5200000 },
			  { .processor = 1, .cpu_khz = 5200000 },
			  { .processor = 3, .cpu_khz = 4800000 } },
	},
	{ .root = "empty", .err = -ENODATA },
	{ .root = "linux-2.4", .err = -ENOENT },
};

static void assert_cpu(const char *root, const struct cpuinfo_cpu *got,
		       const struct cpuinfo_cpu *want)
{
	if (got->processor != want->processor || got->family != want->family ||
	    got->model != want->model || got->implementer != want->implementer ||
	    got->part != want->part || got->cpu_khz != want->cpu_khz ||
	    got->bogomips != want->bogomips || strcmp(got->vendor_id, want->vendor_id) ||
	    strcmp(got->model_name, want->model_name))
		fail_msg("%s: got processor %u family %u model %u impl %#x part %#x khz %llu "
			 "bogomips %.3f vendor '%s' name '%s'; "
			 "want %u %u %u %#x %#x %llu %.3f '%s' '%s'",
			 root, got->processor, got->family, got->model, got->implementer, got->part,
			 (unsigned long long)got->cpu_khz, got->bogomips, got->vendor_id,
			 got->model_name, want->processor, want->family, want->model,
			 want->implementer, want->part, (unsigned long long)want->cpu_khz,
			 want->bogomips, want->vendor_id, want->model_name);
}

static void test_cpuinfo_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(cpuinfo_cases); i++) {
		const struct cpuinfo_case *c = &cpuinfo_cases[i];
		struct cpuinfo ci;
		int err = read_cpuinfo(c->root, &ci);

		if (err != c->err)
			fail_msg("%s: got %d, want %d", c->root, err, c->err);
		if (err)
			continue;
		if (ci.nr_cpus != c->nr_cpus)
			fail_msg("%s: %zu cpus, want %zu", c->root, ci.nr_cpus, c->nr_cpus);
		for (size_t j = 0; j < ci.nr_cpus && j < MAX_CPUS; j++)
			assert_cpu(c->root, &ci.cpus[j], &c->cpus[j]);
		if (ci.avg_khz != c->avg_khz)
			fail_msg("%s: avg %llu kHz, want %llu", c->root,
				 (unsigned long long)ci.avg_khz, (unsigned long long)c->avg_khz);
		assert_int_equal(ci.truncated, c->truncated);
		/* By the kernel's number, which an offline CPU leaves a gap in. */
		assert_ptr_equal(cpuinfo__find(&ci, c->cpus[c->nr_cpus - 1].processor),
				 &ci.cpus[c->nr_cpus - 1]);
		assert_null(cpuinfo__find(&ci, c->cpus[c->nr_cpus - 1].processor + 1));
		cpuinfo__free(&ci);
		assert_null(ci.cpus);
	}
}

/* Values that are almost right: parsed exactly or left at 0, never guessed. */
struct field_case {
	const char *name;
	const char *buf;
	__u64 cpu_khz;
	double bogomips;
	__u32 family, model, implementer;
	const char *model_name;
	bool has_physical_id;
	__u32 physical_id, cpu_cores;
};

#define F(n) .name = n, .buf

static const struct field_case field_cases[] = {
	{ F("integer MHz") = "processor\t: 0\ncpu MHz\t\t: 2600\n", .cpu_khz = 2600000 },
	{ F("MHz past kHz precision") = "processor\t: 0\ncpu MHz\t\t: 1999.99987\n",
	  .cpu_khz = 1999999 },
	{ F("MHz with junk") = "processor\t: 0\ncpu MHz\t\t: 2600.000 approx\n" },
	{ F("MHz in the wrong unit") = "processor\t: 0\nclock\t\t: 2900.000000GHz\n" },
	{ F("empty MHz") = "processor\t: 0\ncpu MHz\t\t:\n" },
	{ F("negative MHz") = "processor\t: 0\ncpu MHz\t\t: -1.000\n" },
	{ F("bogomips with more digits") = "processor : 0\nbogomips : 1.23456\n",
	  .bogomips = 1.234 },
	{ F("family not a number") = "processor : 0\ncpu family : six\n" },
	{ F("model too big") = "processor : 0\nmodel : 4294967296\n" },
	{ F("model max") = "processor : 0\nmodel : 4294967295\n", .model = 4294967295u },
	{ F("implementer hex") = "processor : 0\nCPU implementer : 0x4e\n", .implementer = 0x4e },
	{ F("implementer bad hex") = "processor : 0\nCPU implementer : 0x4g\n" },
	{ F("implementer bare 0x") = "processor : 0\nCPU implementer : 0x\n" },
	{ F("keys are case-sensitive") = "processor : 0\nCPU MHz : 1000\nFamily : 6\n" },
	{ F("value with colons") = "processor : 0\nmodel name : a: b : c\t\n",
	  .model_name = "a: b : c" },
	{ F("long model name is cut") = "processor : 0\nmodel name : "
	  "0123456789012345678901234567890123456789012345678901234567890123456789\n",
	  .model_name = "012345678901234567890123456789012345678901234567890123456789012" },
	{ F("line without a colon") = "processor : 0\njunk\ncpu family : 23\n", .family = 23 },
	{ F("fields before any processor") = "cpu family : 23\nprocessor : 0\n" },
	{ F("a blank line ends the block") = "processor : 0\ncpu family : 6\n \t\ncpu family : 9\n",
	  .family = 6 },
	{ F("CR is part of the value") = "processor : 0\ncpu family : 23\r\n" },
	{ F("physical id and cpu cores") = "processor : 0\nphysical id\t: 1\ncpu cores\t: 12\n",
	  .has_physical_id = true, .physical_id = 1, .cpu_cores = 12 },
	{ F("physical id 0 is an id") = "processor : 0\nphysical id : 0\n", .has_physical_id = true },
	{ F("physical id not a number") = "processor : 0\nphysical id : -1\ncpu cores : x\n" },
	{ F("physical id empty") = "processor : 0\nphysical id :\n" },
	{ F("physical id too big") = "processor : 0\nphysical id : 4294967296\n" },
};

static void test_field_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(field_cases); i++) {
		const struct field_case *c = &field_cases[i];
		size_t len = strlen(c->buf);
		char *copy = malloc(len);
		const struct cpuinfo_cpu *g;
		struct cpuinfo ci;
		int err;

		assert_non_null(copy);
		memcpy(copy, c->buf, len); /* no NUL: ASan sees any over-read */
		err = cpuinfo__parse(copy, len, &ci);
		free(copy);
		if (err || ci.nr_cpus != 1)
			fail_msg("%s: err %d, %zu cpus", c->name, err, ci.nr_cpus);
		g = &ci.cpus[0];
		if (g->cpu_khz != c->cpu_khz || g->bogomips != c->bogomips ||
		    g->family != c->family || g->model != c->model ||
		    g->implementer != c->implementer ||
		    strcmp(g->model_name, c->model_name ? c->model_name : "") ||
		    g->has_physical_id != c->has_physical_id ||
		    g->physical_id != c->physical_id || g->cpu_cores != c->cpu_cores)
			fail_msg("%s: khz %llu bogomips %f family %u model %u impl %#x name '%s' "
				 "physical id %d:%u cores %u",
				 c->name, (unsigned long long)g->cpu_khz, g->bogomips, g->family,
				 g->model, g->implementer, g->model_name, g->has_physical_id,
				 g->physical_id, g->cpu_cores);
		cpuinfo__free(&ci);
	}
	cpuinfo__free(NULL);
}

static void test_processor_lines(void **state)
{
	static const struct {
		const char *buf;
		int err;
		size_t nr_cpus;
	} cases[] = {
		{ "processor : 0\n\nprocessor : 5\n", 0, 2 },
		{ "processor : x\n", -ENODATA, 0 },
		{ "processor : 0x1\n", -ENODATA, 0 },
		{ "processor : 4294967296\n", -ENODATA, 0 },
		{ "processor : 0", -ENODATA, 0 }, /* unterminated */
		{ "\n\n\n", -ENODATA, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cpuinfo ci;
		int err = cpuinfo__parse(cases[i].buf, strlen(cases[i].buf), &ci);

		if (err != cases[i].err)
			fail_msg("'%s': got %d, want %d", cases[i].buf, err, cases[i].err);
		assert_int_equal(ci.nr_cpus, cases[i].nr_cpus);
		if (!err)
			assert_int_equal(ci.cpus[1].processor, 5);
		cpuinfo__free(&ci);
	}
}

/* ------------------------------------------------------------------------ */

static void test_cpulist_table(void **state)
{
	static const struct {
		const char *in;
		int err;
		size_t nr;
		__u32 want[6];
	} cases[] = {
		{ "0-1,3\n", 0, 3, { 0, 1, 3 } },
		{ "0 1\n", 0, 2, { 0, 1 } }, /* affected_cpus separates with blanks */
		{ "5\n", 0, 1, { 5 } },
		{ "\n", 0, 0, { 0 } },
		{ "", 0, 0, { 0 } },
		{ "0-3,2", 0, 4, { 0, 1, 2, 3 } },
		{ "8,2-3,0\n", 0, 4, { 0, 2, 3, 8 } },
		{ "65534-65535\n", 0, 2, { 65534, 65535 } },
		{ "65536\n", -ERANGE, 0, { 0 } },
		{ "0-4294967296\n", -ERANGE, 0, { 0 } },
		{ "3-1\n", -EPROTO, 0, { 0 } },
		{ "0-\n", -EPROTO, 0, { 0 } },
		{ "-1\n", -EPROTO, 0, { 0 } },
		{ "0,\n", -EPROTO, 0, { 0 } },
		{ ",0\n", -EPROTO, 0, { 0 } },
		{ "0,,1\n", -EPROTO, 0, { 0 } },
		{ "0x1\n", -EPROTO, 0, { 0 } },
		{ "0\n\n", -EPROTO, 0, { 0 } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		__u32 *cpus = (__u32 *)&cases; /* must be overwritten */
		size_t nr = 99;
		int err = cpulist__parse(cases[i].in, strlen(cases[i].in), &cpus, &nr);

		if (err != cases[i].err)
			fail_msg("'%s': got %d, want %d", cases[i].in, err, cases[i].err);
		if (err) {
			assert_null(cpus);
			continue;
		}
		if (nr != cases[i].nr)
			fail_msg("'%s': %zu cpus, want %zu", cases[i].in, nr, cases[i].nr);
		for (size_t j = 0; j < nr; j++)
			assert_int_equal(cpus[j], cases[i].want[j]);
		if (!nr)
			assert_null(cpus);
		free(cpus);
	}
}

/* ------------------------------------------------------------------------ */

struct freq_case {
	const char *name;
	const char *sys;
	const char *cpuinfo; /* NULL: no cpuinfo */
	int err;
	size_t nr_cpus;
	__u64 avg_cur_khz;
	struct cpufreq_cpu cpus[MAX_CPUS];
};

#define FREQ(c, src, cur, min, max)                                                     \
	{ .cpu = c, .source = CPUFREQ_SRC_##src, .cur_khz = cur, .min_khz = min, \
	  .max_khz = max }

static const struct freq_case freq_cases[] = {
	{
		/* Policies 0-1 and 2-3; CPU 3 is offline and not reported. */
		"two policies", "two-policies", NULL, 0, 3,
		(2400000 * 2 + 1800000) / 3,
		{ FREQ(0, POLICY, 2400000, 800000, 3500000),
		  FREQ(1, POLICY, 2400000, 800000, 3500000),
		  FREQ(2, POLICY, 1800000, 1000000, 2200000) },
	},
	{
		/* cpufreq wins over cpuinfo where both exist. */
		"two policies and cpuinfo", "two-policies", "x86-2cpu", 0, 3,
		(2400000 * 2 + 1800000) / 3,
		{ FREQ(0, POLICY, 2400000, 800000, 3500000),
		  FREQ(1, POLICY, 2400000, 800000, 3500000),
		  FREQ(2, POLICY, 1800000, 1000000, 2200000) },
	},
	{
		"every fallback", "mixed", "x86-2cpu", 0, 4,
		(2000000 + 3400123 + 1500000) / 3,
		{ FREQ(0, POLICY, 2000000, 400000, 3000000),
		  FREQ(1, CPUINFO, 3400123, 0, 0),
		  FREQ(2, CPU_DIR, 1500000, 500000, 2500000),
		  FREQ(3, NONE, 0, 0, 0) },
	},
	{
		"no cpufreq: cpuinfo MHz", "no-cpufreq", "x86-2cpu", 0, 2, 3000061,
		{ FREQ(0, CPUINFO, 2600000, 0, 0), FREQ(1, CPUINFO, 3400123, 0, 0) },
	},
	{
		"no cpufreq, no MHz (arm64)", "no-cpufreq", "arm64", 0, 2, 0,
		{ FREQ(0, NONE, 0, 0, 0), FREQ(1, NONE, 0, 0, 0) },
	},
	{
		"no cpufreq, no cpuinfo", "no-cpufreq", NULL, 0, 2, 0,
		{ FREQ(0, NONE, 0, 0, 0), FREQ(1, NONE, 0, 0, 0) },
	},
	{
		"no online file: cpuinfo's CPUs", "no-online", "arm64", 0, 4, 0,
		{ FREQ(0, NONE, 0, 0, 0), FREQ(1, NONE, 0, 0, 0), FREQ(2, NONE, 0, 0, 0),
		  FREQ(3, NONE, 0, 0, 0) },
	},
	{ "no online file, no cpuinfo", "no-online", NULL, -ENOENT, 0, 0, {} },
};

/* Every case twice: over the fixture directory, and over its image (what fuzz_cpufreq feeds). */
static void test_cpufreq_table(void **state)
{
	for (size_t k = 0; k < 2 * ARRAY_SIZE(freq_cases); k++) {
		const struct freq_case *c = &freq_cases[k / 2];
		bool image = k % 2;
		struct cpuinfo ci;
		struct cpufreq f;
		int err;

		if (c->cpuinfo)
			assert_int_equal(read_cpuinfo(c->cpuinfo, &ci), 0);
		err = freq_of(c->sys, image, c->cpuinfo ? &ci : NULL, &f);
		if (c->cpuinfo)
			cpuinfo__free(&ci);
		if (err != c->err)
			fail_msg("%s%s: got %d, want %d", c->name, image ? " (image)" : "", err,
				 c->err);
		if (err) {
			assert_null(f.cpus);
			continue;
		}
		if (f.nr_cpus != c->nr_cpus)
			fail_msg("%s: %zu cpus, want %zu", c->name, f.nr_cpus, c->nr_cpus);
		for (size_t j = 0; j < f.nr_cpus; j++) {
			const struct cpufreq_cpu *g = &f.cpus[j], *w = &c->cpus[j];

			if (g->cpu != w->cpu || g->source != w->source ||
			    g->cur_khz != w->cur_khz || g->min_khz != w->min_khz ||
			    g->max_khz != w->max_khz)
				fail_msg("%s: [%zu] got cpu %u src %d %llu/%llu/%llu, "
					 "want cpu %u src %d %llu/%llu/%llu",
					 c->name, j, g->cpu, g->source,
					 (unsigned long long)g->cur_khz,
					 (unsigned long long)g->min_khz,
					 (unsigned long long)g->max_khz, w->cpu, w->source,
					 (unsigned long long)w->cur_khz,
					 (unsigned long long)w->min_khz,
					 (unsigned long long)w->max_khz);
		}
		if (f.avg_cur_khz != c->avg_cur_khz)
			fail_msg("%s: avg %llu, want %llu", c->name,
				 (unsigned long long)f.avg_cur_khz,
				 (unsigned long long)c->avg_cur_khz);
		cpufreq__free(&f);
		assert_null(f.cpus);
	}
	cpufreq__free(NULL);
}

/* ------------------------------------------------------------------------ */

struct topo_case {
	const char *name;
	const char *sys;     /* NULL: no sys root */
	const char *cpuinfo; /* NULL: no cpuinfo */
	__u32 online_cpus;
	__u32 cores;
	enum cpu_topology_source cores_source;
	__u32 sockets;
	enum cpu_topology_source sockets_source;
};

#define SYSFS CPU_TOPOLOGY_SRC_SYSFS
#define CPUINFO CPU_TOPOLOGY_SRC_CPUINFO
#define NONE CPU_TOPOLOGY_SRC_NONE

/* See tests/fixtures/cpu/README. */
static const struct topo_case topo_cases[] = {
	/* 0,2 and 1,3 share cores; cpu3 has only thread_siblings_list; cpu4 offline. */
	{ "HT, an offline CPU, an old list name", "topo-ht", NULL, 4, 2, SYSFS, 1, SYSFS },
	{ "sysfs wins over cpuinfo", "topo-ht", "x86-2socket", 4, 2, SYSFS, 1, SYSFS },
	/* No online list: cpu0 (no online file) and cpu1; cpu2's online file says 0. */
	{ "cpuN/online only", "topo-old", NULL, 2, 1, SYSFS, 1, SYSFS },
	/* physical_package_id -1: sockets unknown unless cpuinfo says. */
	{ "no package id (arm64)", "topo-nopkg", "arm64", 4, 4, SYSFS, 0, NONE },
	{ "no package id, x86 cpuinfo", "topo-nopkg", "x86-2cpu", 4, 4, SYSFS, 1, CPUINFO },
	/* One CPU's core list is empty: cores from cpuinfo, sockets still from sysfs. */
	{ "empty core list", "topo-bad", "x86-2cpu", 2, 2, CPUINFO, 1, SYSFS },
	{ "empty core list, no cpuinfo", "topo-bad", NULL, 2, 0, NONE, 1, SYSFS },
	/* An online list but no cpuN/topology at all. */
	{ "no topology: cpuinfo", "no-cpufreq", "x86-2cpu", 2, 2, CPUINFO, 1, CPUINFO },
	{ "no topology, arm64 cpuinfo", "no-cpufreq", "arm64", 2, 0, NONE, 0, NONE },
	{ "no topology, no cpuinfo", "no-cpufreq", NULL, 2, 0, NONE, 0, NONE },
	/* No online list and no cpuN: cpuinfo's CPUs; 2 sockets x 2 cores x 2 threads. */
	{ "two sockets from cpuinfo", "no-online", "x86-2socket", 8, 4, CPUINFO, 2, CPUINFO },
	{ "no sys root", NULL, "x86-2socket", 8, 4, CPUINFO, 2, CPUINFO },
	{ "a CPU without physical id", NULL, "x86-partial", 2, 0, NONE, 0, NONE },
	/* s390 5.x blocks: "physical id" 1, 1, 2 with one core each. */
	{ "s390 from cpuinfo", NULL, "s390x-5.x", 3, 2, CPUINFO, 2, CPUINFO },
	/* s390 4.x: CPUs, but no topology in them. */
	{ "s390 without topology", NULL, "s390x-4.x", 2, 0, NONE, 0, NONE },
	{ "physical id, no cpu cores", NULL, "x86-nocores", 2, 0, NONE, 1, CPUINFO },
	{ "nothing", NULL, NULL, 0, 0, NONE, 0, NONE },
	{ "nothing in sys", "no-online", NULL, 0, 0, NONE, 0, NONE },
};

#undef SYSFS
#undef CPUINFO
#undef NONE

static void test_topology_table(void **state)
{
	for (size_t k = 0; k < 2 * ARRAY_SIZE(topo_cases); k++) {
		const struct topo_case *c = &topo_cases[k / 2];
		bool image = k % 2;
		struct cpu_topology t;
		struct cpuinfo ci;
		int err;

		if (c->cpuinfo)
			assert_int_equal(read_cpuinfo(c->cpuinfo, &ci), 0);
		memset(&t, 0xa5, sizeof(t));
		err = topo_of(c->sys, image, c->cpuinfo ? &ci : NULL, &t);
		if (c->cpuinfo)
			cpuinfo__free(&ci);
		if (err)
			fail_msg("%s: err %d", c->name, err);
		if (t.online_cpus != c->online_cpus || t.physical_cores != c->cores ||
		    t.cores_source != c->cores_source || t.sockets != c->sockets ||
		    t.sockets_source != c->sockets_source)
			fail_msg("%s%s: %u online, %u cores (source %d), %u sockets (source %d); "
				 "want %u, %u (%d), %u (%d)",
				 c->name, image ? " (image)" : "", t.online_cpus, t.physical_cores, t.cores_source, t.sockets,
				 t.sockets_source, c->online_cpus, c->cores, c->cores_source,
				 c->sockets, c->sockets_source);
	}
}

/* The online list the topology uses is cpufreq's too: the cpuN fallback applies there. */
static void test_cpufreq_cpu_dirs(void **state)
{
	int fd = open_fixture(SYS_FIXTURES, "topo-old");
	struct cpufreq f;

	assert_int_equal(cpufreq__read(fd, NULL, &f), 0);
	close(fd);
	assert_int_equal(f.nr_cpus, 2);
	assert_int_equal(f.cpus[0].cpu, 0);
	assert_int_equal(f.cpus[1].cpu, 1);
	cpufreq__free(&f);
}

/* ------------------------------------------------------------------------ */

static bool has_policy_dirs(void)
{
	DIR *d = opendir("/sys/devices/system/cpu/cpufreq");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while ((de = readdir(d)))
		found |= strncmp(de->d_name, "policy", 6) == 0;
	closedir(d);
	return found;
}

static void test_live(void **state)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int procfd = util__open_dir("/proc"), sysfd = util__open_dir("/sys");
	struct cpuinfo ci;
	struct cpufreq f;

	assert_true(procfd >= 0 && sysfd >= 0);
	assert_int_equal(cpuinfo__read(procfd, &ci), 0);
	assert_false(ci.truncated);
	assert_int_equal(ci.nr_cpus, online);
	for (size_t i = 1; i < ci.nr_cpus; i++)
		assert_true(ci.cpus[i - 1].processor < ci.cpus[i].processor);
#if defined(__x86_64__) || defined(__i386__)
	for (size_t i = 0; i < ci.nr_cpus; i++) {
		assert_true(ci.cpus[i].vendor_id[0] != '\0');
		assert_true(ci.cpus[i].model_name[0] != '\0');
		assert_true(ci.cpus[i].family > 0);
		assert_true(ci.cpus[i].bogomips > 0);
		assert_true(ci.cpus[i].cpu_khz > 0);
	}
	assert_true(ci.avg_khz > 0);
#endif

	assert_int_equal(cpufreq__read(sysfd, &ci, &f), 0);
	assert_int_equal(f.nr_cpus, online);
	for (size_t i = 0; i < f.nr_cpus; i++) {
		const struct cpufreq_cpu *c = &f.cpus[i];
		const struct cpuinfo_cpu *info = cpuinfo__find(&ci, c->cpu);

		assert_non_null(info); /* the same online CPUs */
		switch (c->source) {
		case CPUFREQ_SRC_CPUINFO:
			assert_int_equal(c->cur_khz, info->cpu_khz);
			assert_int_equal(c->min_khz, 0);
			assert_int_equal(c->max_khz, 0);
			break;
		case CPUFREQ_SRC_POLICY:
		case CPUFREQ_SRC_CPU_DIR:
			assert_true(c->cur_khz > 0);
			assert_true(c->min_khz <= c->max_khz);
			break;
		case CPUFREQ_SRC_NONE:
			assert_int_equal(c->cur_khz, 0);
			break;
		}
		/* Without policies (this VM) x86 still has cpuinfo's MHz. */
		if (!has_policy_dirs() && info->cpu_khz)
			assert_int_equal(c->source, CPUFREQ_SRC_CPUINFO);
	}
	cpufreq__free(&f);
	cpuinfo__free(&ci);
	close(procfd);
	close(sysfd);
}

/*
 * This machine: at least one core, no more cores than online CPUs, at least
 * one socket and no more sockets than cores, counted over the online CPUs.
 * On x86, cpuinfo's "physical id" is the package id sysfs gives, so both
 * count the same sockets.
 */
static void test_topology_live(void **state)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int procfd = util__open_dir("/proc"), sysfd = util__open_dir("/sys");
	struct cpu_topology t, from_cpuinfo;
	struct cpuinfo ci;

	assert_true(procfd >= 0 && sysfd >= 0);
	assert_int_equal(cpuinfo__read(procfd, &ci), 0);
	assert_int_equal(cpu_topology__read(sysfd, &ci, &t), 0);
	assert_int_equal(t.online_cpus, online);
	if (t.physical_cores < 1 || t.physical_cores > online)
		fail_msg("%u physical cores for %ld online CPUs", t.physical_cores, online);
	if (t.sockets < 1 || t.sockets > t.physical_cores)
		fail_msg("%u sockets for %u cores", t.sockets, t.physical_cores);
	/* This VM has a topology directory for every CPU. */
	if (faccessat(sysfd, "devices/system/cpu/cpu0/topology", F_OK, 0) == 0) {
		assert_int_equal(t.cores_source, CPU_TOPOLOGY_SRC_SYSFS);
		assert_int_equal(t.sockets_source, CPU_TOPOLOGY_SRC_SYSFS);
	}
	assert_int_equal(cpu_topology__read(-1, &ci, &from_cpuinfo), 0);
#if defined(__x86_64__) || defined(__i386__)
	assert_int_equal(from_cpuinfo.sockets_source, CPU_TOPOLOGY_SRC_CPUINFO);
	assert_int_equal(from_cpuinfo.sockets, t.sockets);
	assert_true(from_cpuinfo.physical_cores >= 1);
#endif
	cpuinfo__free(&ci);
	close(procfd);
	close(sysfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuinfo_table),
		cmocka_unit_test(test_field_table),
		cmocka_unit_test(test_processor_lines),
		cmocka_unit_test(test_cpulist_table),
		cmocka_unit_test(test_cpufreq_table),
		cmocka_unit_test(test_topology_table),
		cmocka_unit_test(test_cpufreq_cpu_dirs),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_topology_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
