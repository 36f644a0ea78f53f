// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Cgroup hierarchies from mountinfo and /proc/cgroups: fixtures, then this host. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include <bpf/btf.h>

#include "jobtrace/cgroupfs.h"
#include "jobtrace/kernel_btf.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

struct find_case {
	const char *tree;
	const char *controller; /* NULL: v2 */
	int err;
	const char *mount;
	int hierarchy_id, ssid;
};

static void test_find(void **state)
{
	static const struct find_case cases[] = {
		/* This project's hybrid host: one controller per v1 mount, an empty v2. */
		{ "hybrid", NULL, 0, "/sys/fs/cgroup/unified", 0, -1 },
		{ "hybrid", "cpu", 0, "/sys/fs/cgroup/cpu", 1, 1 },
		{ "hybrid", "memory", 0, "/sys/fs/cgroup/memory", 4, 4 },
		{ "hybrid", "pids", 0, "/sys/fs/cgroup/pids", 8, 11 },
		/* net_cls is compiled in but not mounted here. */
		{ "hybrid", "net_cls", -ENOENT, NULL, 0, 0 },
		/* A v2-only host: no v1 hierarchy at all. */
		{ "v2", NULL, 0, "/sys/fs/cgroup", 0, -1 },
		{ "v2", "cpu", -ENOENT, NULL, 0, 0 },
		/* systemd's v1 layout: cpu and cpuacct share a mount; tags before the dash. */
		{ "v1-systemd", "cpu", 0, "/sys/fs/cgroup/cpu,cpuacct", 3, 1 },
		{ "v1-systemd", "cpuacct", 0, "/sys/fs/cgroup/cpu,cpuacct", 3, 2 },
		{ "v1-systemd", "memory", 0, "/sys/fs/cgroup/memory", 4, 4 },
		{ "v1-systemd", NULL, 0, "/sys/fs/cgroup/unified", 0, -1 },
		/* name=systemd is a mount option, not a controller. */
		{ "v1-systemd", "systemd", -ENOENT, NULL, 0, 0 },
		/*
		 * 6.12 and later without CONFIG_CPUSETS_V1 and CONFIG_MEMCG_V1:
		 * no cpuset and memory lines, so a line is not the id (pids is
		 * subsystem 11 on its tenth line; test_ssid_from_btf).
		 */
		{ "v1-no-memcg", "cpu", 0, "/sys/fs/cgroup/cpu", 1, 0 },
		{ "v1-no-memcg", "pids", 0, "/sys/fs/cgroup/pids", 6, 9 },
		{ "v1-no-memcg", "memory", -ENOENT, NULL, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct find_case *fc = &cases[i];
		char path[256], *mi = NULL, *cg = NULL;
		struct cgroup_hier h;
		ssize_t ml, cl;

		snprintf(path, sizeof(path), FIXTURES "/cgroup/%s/mountinfo", fc->tree);
		ml = util__read_file_alloc(AT_FDCWD, path, 1 << 20, &mi);
		snprintf(path, sizeof(path), FIXTURES "/cgroup/%s/cgroups", fc->tree);
		cl = util__read_file_alloc(AT_FDCWD, path, 1 << 20, &cg);
		assert_true(ml > 0 && cl > 0);
		assert_int_equal(cgroupfs__find(mi, (size_t)ml, cg, (size_t)cl, fc->controller, &h),
				 fc->err);
		if (!fc->err) {
			assert_string_equal(h.mount, fc->mount);
			assert_int_equal(h.hierarchy_id, fc->hierarchy_id);
			assert_int_equal(h.ssid, fc->ssid);
		}
		free(mi);
		free(cg);
	}
}

/* Cut or empty input finds nothing and reads nothing past its end. */
static void test_find_hostile(void **state)
{
	static const char cut[] = "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgro";
	static const char nodash[] = "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime cgroup cgroup rw,cpu\n";
	static const char cgroups[] = "#subsys_name\thierarchy\nnum\ncpu\t1\t1\t1\n";
	struct cgroup_hier h;

	assert_int_equal(cgroupfs__find(cut, sizeof(cut) - 1, cgroups, sizeof(cgroups) - 1, "cpu",
					&h), -ENOENT);
	assert_int_equal(cgroupfs__find(nodash, sizeof(nodash) - 1, cgroups, sizeof(cgroups) - 1,
					"cpu", &h), -ENOENT);
	assert_int_equal(cgroupfs__find("", 0, "", 0, NULL, &h), -ENOENT);
}

/*
 * Found by fuzz_cgroupfs: a /proc/cgroups line was scanned as a C string, so
 * the scan ran past the buffer's length (the buffer has no NUL after it) and,
 * for a line with a name alone, took the hierarchy from the next line.
 */
static void test_find_subsys_line_bounds(void **state)
{
	static const char mi[] = "32 31 0:29 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";
	static const char cgroups[] = "#subsys_name\thierarchy\npids\n7\t1\t1\n";
	static const char good[] = "#subsys_name\thierarchy\ncpu\t3\t1\t1\npids\t7\t1\t1\n";
	struct cgroup_hier h;
	char *cut;

	/* "pids" with no number: not hierarchy 7, which belongs to the line after. */
	assert_int_equal(cgroupfs__find(mi, sizeof(mi) - 1, cgroups, sizeof(cgroups) - 1, "pids",
					&h), -ENOENT);
	/* The table cut after "pids\t7" and before it, in a heap buffer with nothing after it. */
	cut = malloc(sizeof(good) - 1);
	assert_non_null(cut);
	memcpy(cut, good, sizeof(good) - 1);
	assert_int_equal(cgroupfs__find(mi, sizeof(mi) - 1, cut, strlen(good) - 5, "pids", &h), 0);
	assert_int_equal(h.hierarchy_id, 7);
	assert_int_equal(h.ssid, 1);
	assert_int_equal(cgroupfs__find(mi, sizeof(mi) - 1, cut, strlen(good) - 6, "pids", &h),
			 -ENOENT);
	free(cut);
}

/*
 * A kernel's BTF made with libbpf's writer: its enum cgroup_subsys_id
 * (6.14's subsystems, dmem after misc) where @with_enum, and in either
 * case an enum of another name with a look-alike pids_cgrp_id, which is
 * not the kernel's. Indexed into @kb; the raw bytes are returned to free.
 */
static void *subsys_btf(bool with_enum, struct kernel_btf *kb)
{
	static const char *const ids[] = { "cpuset", "cpu", "cpuacct", "io", "memory",
					   "devices", "freezer", "net_cls", "perf_event",
					   "net_prio", "hugetlb", "pids", "rdma", "misc", "dmem" };
	struct btf *b = btf__new_empty();
	const void *raw;
	char name[64];
	void *copy;
	__u32 size;

	assert_non_null(b);
	assert_true(btf__add_int(b, "int", 4, BTF_INT_SIGNED) > 0);
	assert_true(btf__add_enum(b, "not_cgroup_subsys_id", 4) > 0);
	assert_int_equal(btf__add_enum_value(b, "pids_cgrp_id", 2), 0);
	if (with_enum) {
		assert_true(btf__add_enum(b, "cgroup_subsys_id", 4) > 0);
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			snprintf(name, sizeof(name), "%s_cgrp_id", ids[i]);
			assert_int_equal(btf__add_enum_value(b, name, (__s64)i), 0);
		}
		assert_int_equal(btf__add_enum_value(b, "CGROUP_SUBSYS_COUNT",
						     sizeof(ids) / sizeof(ids[0])),
				 0);
	}
	raw = btf__raw_data(b, &size);
	assert_non_null(raw);
	copy = malloc(size);
	assert_non_null(copy);
	memcpy(copy, raw, size);
	btf__free(b);
	memset(kb, 0, sizeof(*kb));
	assert_int_equal(kernel_btf__index(kb, copy, size), 0);
	return copy;
}

/*
 * The subsystem id BPF indexes task->cgroups->subsys[] with is the
 * kernel's enum cgroup_subsys_id, not the controller's line in
 * /proc/cgroups: on v1-no-memcg, where cpuset and memory have no line,
 * every line is one or two below its id (pids' tenth line is subsystem 11,
 * and line 9 would read net_prio's cgroup). blkio is io_cgrp_id. Without
 * the enum, the line is all there is.
 */
static void test_ssid_from_btf(void **state)
{
	static const struct {
		const char *controller;
		int line, id;
	} cases[] = {
		{ "cpu", 0, 1 },     { "cpuacct", 1, 2 }, { "blkio", 2, 3 },
		{ "devices", 3, 5 }, { "freezer", 4, 6 }, { "pids", 9, 11 },
	};
	char *mi = NULL, *cg = NULL;
	ssize_t ml, cl;
	bool from_btf;

	ml = util__read_file_alloc(AT_FDCWD, FIXTURES "/cgroup/v1-no-memcg/mountinfo", 1 << 20, &mi);
	cl = util__read_file_alloc(AT_FDCWD, FIXTURES "/cgroup/v1-no-memcg/cgroups", 1 << 20, &cg);
	assert_true(ml > 0 && cl > 0);
	for (int with_enum = 1; with_enum >= 0; with_enum--) {
		struct kernel_btf kb;
		void *raw = subsys_btf(with_enum, &kb);

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct cgroup_hier h;
			int ssid;

			assert_int_equal(cgroupfs__find(mi, (size_t)ml, cg, (size_t)cl,
							cases[i].controller, &h),
					 0);
			assert_int_equal(h.ssid, cases[i].line);
			ssid = kernel_btf__cgroup_ssid(&kb, h.controller, h.ssid, &from_btf);
			assert_int_equal(ssid, with_enum ? cases[i].id : cases[i].line);
			assert_int_equal(from_btf, with_enum);
		}
		/* A controller the kernel has no id for: its line, whatever it is. */
		assert_int_equal(kernel_btf__cgroup_ssid(&kb, "nosuch", 7, &from_btf), 7);
		assert_false(from_btf);
		free(kb.offs);
		free(raw);
	}
	free(mi);
	free(cg);
}

/*
 * The live host: a cgroup the test makes under v2 is found by its path, and
 * its id (the directory's inode, the kernel's cgroup id) leads back to it.
 */
static void test_live_v2(void **state)
{
	struct cgroup_hier h;
	char rel[256], back[256];
	__u64 cgid;
	char dir[320];

	if (cgroupfs__of_path("/sys/fs/cgroup/unified", &h, rel, sizeof(rel), &cgid) &&
	    cgroupfs__of_path("/sys/fs/cgroup", &h, rel, sizeof(rel), &cgid)) {
		if (getenv("CI"))
			fail_msg("no cgroup v2 hierarchy on this host");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/jt-unit-%d", h.mount, getpid());
	/* A cgroup of the root's is root's to make: another user may not, even under CI. */
	if (mkdir(dir, 0755)) {
		if (getenv("CI") && geteuid() == 0)
			fail_msg("cannot make %s: %s", dir, strerror(errno));
		print_message("  cannot make %s: %s\n", dir, strerror(errno));
		skip();
	}
	assert_int_equal(cgroupfs__of_path(dir, &h, rel, sizeof(rel), &cgid), 0);
	assert_int_equal(h.ssid, -1);
	assert_int_equal(h.hierarchy_id, 0);
	assert_string_equal(rel + 1, strrchr(dir, '/') + 1);
	assert_int_equal(cgroupfs__path_of_id(&h, cgid, back, sizeof(back)), 0);
	assert_string_equal(back, rel);
	assert_int_equal(rmdir(dir), 0);
	/* Gone: its id leads nowhere. */
	assert_int_equal(cgroupfs__path_of_id(&h, cgid, back, sizeof(back)), -ENOENT);
	/* Not a cgroup directory at all. */
	assert_int_equal(cgroupfs__of_path("/tmp", &h, rel, sizeof(rel), &cgid), -EINVAL);
}

/*
 * Where the processes are, per hierarchy: a hybrid host whose v2 side has
 * only empty cgroups (every process in its root) and whose v1 memory
 * hierarchy holds them in three cgroups, one of them twice; cpu is found on
 * its "cpu,cpuacct" line and not on "cpuacct" alone.
 */
static void test_tally(void **state)
{
	static const char *const files[] = {
		"4:memory:/a\n3:cpuacct:/acct-only\n1:cpu,cpuacct:/\n0::/\n",
		"4:memory:/a\n1:cpu,cpuacct:/x\n0::/\n",
		"4:memory:/b/c\n1:cpu,cpuacct:/x\n0::/\n",
		"4:memory:/\n1:cpu,cpuacct:/\n0::/\n",
		"4:memory:/d\n1:cpu,cpuacct:/\n0::/\n",
		/* A v1-only host's line: no "0::", so no v2 path at all. */
		"4:memory:/e\n",
	};
	struct cgroup_tally v2 = { .controller = NULL }, mem = { .controller = "memory" },
			    cpu = { .controller = "cpu" }, pids = { .controller = "pids" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct proc_cgroup cg;

		assert_int_equal(proc_pid__parse_cgroup(files[i], strlen(files[i]), &cg), 0);
		assert_int_equal(cgroupfs__tally_add(&v2, &cg), 0);
		assert_int_equal(cgroupfs__tally_add(&mem, &cg), 0);
		assert_int_equal(cgroupfs__tally_add(&cpu, &cg), 0);
		assert_int_equal(cgroupfs__tally_add(&pids, &cg), 0);
		proc_cgroup__free(&cg);
	}
	assert_int_equal(cgroupfs__tally_distinct(&v2), 0);
	assert_int_equal(cgroupfs__tally_distinct(&mem), 4); /* /a, /b/c, /d, /e */
	assert_int_equal(mem.processes, 5);
	assert_int_equal(cgroupfs__tally_distinct(&cpu), 1); /* /x; not /acct-only */
	assert_int_equal(cpu.processes, 2);
	assert_int_equal(cgroupfs__tally_distinct(&pids), 0);
	cgroupfs__tally_free(&v2);
	cgroupfs__tally_free(&mem);
	cgroupfs__tally_free(&cpu);
	cgroupfs__tally_free(&pids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_find_hostile),
		cmocka_unit_test(test_find_subsys_line_bounds),
		cmocka_unit_test(test_ssid_from_btf),
		cmocka_unit_test(test_live_v2),
		cmocka_unit_test(test_tally),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
