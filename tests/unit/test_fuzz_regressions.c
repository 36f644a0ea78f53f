// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Replays the inputs the fuzzers once crashed on (tests/fuzz/regressions/
 * TARGET/NAME) through the very harness that found them, so `make test` runs
 * them under ASan+UBSan and valgrind. Each target's source is included here
 * with its entry point renamed; a crash or a leak fails this test as it did
 * the fuzzer.
 */
#include <dirent.h>
#include <fcntl.h>

#include "testutil.h"

#include "jobtrace/util.h"

#define REGRESSIONS "tests/fuzz/regressions"

#define LLVMFuzzerTestOneInput fuzz_accept_one
#include "../fuzz/fuzz_accept.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_control_one
#include "../fuzz/fuzz_control.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_cpufreq_one
#include "../fuzz/fuzz_cpufreq.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_disk_classify_one
#include "../fuzz/fuzz_disk_classify.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_fd_list_one
#include "../fuzz/fuzz_fd_list.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_netdev_addrs_one
#include "../fuzz/fuzz_netdev_addrs.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_proc_walk_one
#include "../fuzz/fuzz_proc_walk.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_apmon_dest_one
#include "../fuzz/fuzz_apmon_dest.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_battery_one
#include "../fuzz/fuzz_battery.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_cgroupfs_one
#include "../fuzz/fuzz_cgroupfs.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_cn_proc_one
#include "../fuzz/fuzz_cn_proc.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_cpuinfo_one
#include "../fuzz/fuzz_cpuinfo.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_diskstats_one
#include "../fuzz/fuzz_diskstats.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_hostinfo_one
#include "../fuzz/fuzz_hostinfo.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_hwmon_one
#include "../fuzz/fuzz_hwmon.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_lineage_one
#include "../fuzz/fuzz_lineage.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_meminfo_one
#include "../fuzz/fuzz_meminfo.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_netdev_one
#include "../fuzz/fuzz_netdev.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_netsock_one
#include "../fuzz/fuzz_netsock.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_proc_fd_one
#include "../fuzz/fuzz_proc_fd.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_proc_maps_one
#include "../fuzz/fuzz_proc_maps.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_proc_pid_one
#include "../fuzz/fuzz_proc_pid.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_proc_stat_one
#include "../fuzz/fuzz_proc_stat.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_stream_reader_one
#include "../fuzz/fuzz_stream_reader.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_sysfs_attr_one
#include "../fuzz/fuzz_sysfs_attr.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_serve_config_one
#include "../fuzz/fuzz_serve_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_job_summary_one
#include "../fuzz/fuzz_job_summary.c"
#undef LLVMFuzzerTestOneInput

static const struct {
	const char *name;
	int (*one)(const uint8_t *data, size_t size);
} targets[] = {
#define T(n) { #n, n##_one }
	T(fuzz_apmon_dest), T(fuzz_battery),	T(fuzz_cgroupfs),      T(fuzz_cn_proc),
	T(fuzz_cpuinfo),    T(fuzz_diskstats),	T(fuzz_hostinfo),      T(fuzz_hwmon),
	T(fuzz_lineage),    T(fuzz_meminfo),	T(fuzz_netdev),	       T(fuzz_netsock),
	T(fuzz_proc_fd),    T(fuzz_proc_maps),	T(fuzz_proc_pid),      T(fuzz_proc_stat),
	T(fuzz_stream_reader), T(fuzz_sysfs_attr),
	T(fuzz_accept),	    T(fuzz_control),	T(fuzz_cpufreq),       T(fuzz_disk_classify),
	T(fuzz_fd_list),    T(fuzz_netdev_addrs), T(fuzz_proc_walk),     T(fuzz_serve_config),
	T(fuzz_job_summary),
#undef T
};

/* Replays every file of @dir through @one; returns how many there were. */
static size_t replay_dir(const char *dir, int (*one)(const uint8_t *, size_t))
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[1024];
		char *buf, *copy;
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		len = util__read_file_alloc(AT_FDCWD, path, 1 << 20, &buf);
		if (len < 0)
			fail_msg("cannot read %s: %s", path, strerror((int)-len));
		/* An exact-size copy, as libFuzzer hands it: no NUL after it to lean on. */
		copy = malloc(len ? (size_t)len : 1);
		assert_non_null(copy);
		memcpy(copy, buf, (size_t)len);
		free(buf);
		one((const uint8_t *)copy, (size_t)len);
		free(copy);
		n++;
	}
	closedir(d);
	return n;
}

static void test_replay(void **state)
{
	struct dirent *de;
	size_t total = 0;
	DIR *d = opendir(REGRESSIONS);

	assert_non_null(d);
	while ((de = readdir(d))) {
		char dir[300];
		size_t i;

		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < ARRAY_SIZE(targets); i++)
			if (!strcmp(targets[i].name, de->d_name))
				break;
		/* A directory no target here replays would be a regression never run. */
		if (i == ARRAY_SIZE(targets))
			fail_msg("%s/%s: no such fuzz target", REGRESSIONS, de->d_name);
		snprintf(dir, sizeof(dir), "%s/%s", REGRESSIONS, de->d_name);
		total += replay_dir(dir, targets[i].one);
	}
	closedir(d);
	assert_true(total > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
