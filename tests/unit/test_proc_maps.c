// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* proc_maps: smaps grouped per path, over a fixture and odd cases, then live. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jobtrace/proc_maps.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

#define KB 1024ull
#define VMA_FIELDS "Size:                  4 kB\nRss:                   4 kB\n"

static const struct proc_map_group *find(const struct proc_maps *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++) {
		if (!strcmp(m->v[i].path, path))
			return &m->v[i];
	}
	fail_msg("no group '%s'", path);
	return NULL;
}

static void test_fixture(void **state)
{
	const struct proc_map_group *g;
	struct proc_maps m;
	int proc_fd = util__open_dir(FIXTURES "/proc");

	assert_true(proc_fd >= 0);
	assert_int_equal(proc_maps__read(proc_fd, 4242, &m), 0);
	assert_int_equal(m.n, 5);
	assert_int_equal(m.cap, 16);
	/* In order of first appearance. */
	assert_string_equal(m.v[0].path, "/usr/sbin/nginx");
	assert_string_equal(m.v[1].path, "[heap]");
	assert_string_equal(m.v[2].path, PROC_MAPS_ANON);
	assert_string_equal(m.v[3].path, "/tmp/my file");
	assert_string_equal(m.v[4].path, "[stack]");

	g = find(&m, "/usr/sbin/nginx");
	assert_int_equal(g->mappings, 2);
	assert_int_equal(g->size_bytes, 32 * KB);
	assert_int_equal(g->rss_bytes, 28 * KB);
	assert_int_equal(g->pss_bytes, 14 * KB);
	assert_int_equal(g->shared_clean_bytes, 28 * KB);
	assert_int_equal(g->referenced_bytes, 28 * KB);
	assert_int_equal(g->private_dirty_bytes, 0);
	assert_false(g->deleted);

	g = find(&m, PROC_MAPS_ANON);
	assert_int_equal(g->mappings, 2);
	assert_int_equal(g->size_bytes, 2048 * KB);
	assert_int_equal(g->rss_bytes, 512 * KB);
	assert_int_equal(g->anonymous_bytes, 512 * KB);
	assert_int_equal(g->swap_bytes, 1280 * KB);

	g = find(&m, "[heap]");
	assert_int_equal(g->private_dirty_bytes, 100 * KB);
	assert_int_equal(g->swap_bytes, 12 * KB);

	g = find(&m, "/tmp/my file");
	assert_true(g->deleted);
	assert_int_equal(g->path_len, strlen("/tmp/my file"));
	assert_int_equal(g->shared_dirty_bytes, 4 * KB);
	assert_int_equal(g->pss_bytes, 2 * KB);

	proc_maps__free(&m);
	proc_maps__free(&m);
	proc_maps__free(NULL);
	/* A kernel thread's smaps is empty. */
	assert_int_equal(proc_maps__parse("", 0, &m), -ESRCH);
	assert_int_equal(proc_maps__read(proc_fd, 31338, &m), -ESRCH);
	close(proc_fd);
}

static void test_table(void **state)
{
	static const struct {
		const char *name, *in;
		int err;
		size_t groups;
	} cases[] = {
		{ "anon without trailing blank", "00400000-00401000 r--p 00000000 00:00 0\n" VMA_FIELDS,
		  0, 1 },
		{ "path with newline-free odd bytes",
		  "00400000-00401000 r--p 00000000 08:01 12   /opt/\xff\xfe app\n" VMA_FIELDS, 0, 1 },
		{ "unknown lines pass", "00400000-00401000 r--p 00000000 00:00 0 \nFutureField: 3 kB\n"
			"THPeligible: 1\nProtectionKey: 0\nVmFlags: rd\n", 0, 1 },
		{ "field before a vma", VMA_FIELDS, -EINVAL, 0 },
		{ "no unit", "00400000-00401000 r--p 00000000 00:00 0 \nRss:  4\n", -EINVAL, 0 },
		{ "word value", "00400000-00401000 r--p 00000000 00:00 0 \nRss:  x kB\n", -EINVAL, 0 },
		{ "overflow", "00400000-00401000 r--p 00000000 00:00 0 \n"
			"Rss:  99999999999999999999 kB\n", -EINVAL, 0 },
		{ "cut mid-line", "00400000-00401000 r--p 00000000 00:00 0 \nRss:   4 k", -EINVAL, 0 },
		{ "not an address", "0040000g-00401000 r--p 00000000 00:00 0 \n", -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct proc_maps m;
		int err = proc_maps__parse(cases[i].in, strlen(cases[i].in), &m);

		if (err != cases[i].err || m.n != cases[i].groups)
			fail_msg("%s: err %d groups %zu, want %d %zu", cases[i].name, err, m.n,
				 cases[i].err, cases[i].groups);
		proc_maps__free(&m);
	}
}

/* A mapping the test makes: its size, its resident pages, its path. */
static void test_live(void **state)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 64 * page;
	char dir[] = "/tmp/jt-maps-XXXXXX", path[64];
	const struct proc_map_group *g;
	struct proc_maps m;
	int proc_fd, fd;
	char *p;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mapped file", dir);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	assert_true(p != MAP_FAILED);
	/* Touch 16 of the 64 pages, privately: they become private dirty. */
	for (size_t i = 0; i < 16; i++)
		p[i * page] = 1;

	proc_fd = util__open_dir("/proc");
	assert_int_equal(proc_maps__read(proc_fd, getpid(), &m), 0);
	assert_true(m.cap < 2 * m.n + 16);
	g = find(&m, path);
	assert_int_equal(g->mappings, 1);
	assert_int_equal(g->size_bytes, len);
	assert_int_equal(g->rss_bytes, 16 * page);
	assert_int_equal(g->private_dirty_bytes, 16 * page);
	assert_int_equal(g->anonymous_bytes, 16 * page);
	proc_maps__free(&m);

	munmap(p, len);
	close(fd);
	unlink(path);
	rmdir(dir);
	close(proc_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
