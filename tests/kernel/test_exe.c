// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exit record's exe against ground truth: the BPF walk's path of the
 * file an exec ran, compared with realpath(3) of the file as this test laid
 * it out and with readlink(/proc/self/exe) the exec'd program took of
 * itself. The programs exec'd are copies of this binary: run with
 * JT_EXE_OUT set, it writes its pid and /proc/self/exe there and exits;
 * with JT_EXE_WORKLOAD set, it is the job, and execs them each way.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"

#define EXE_LEN 256 /* JT_EXE_LEN: the path's bytes, its NUL included */
#define LONG_DIRS 5 /* of 60 bytes each: a path over EXE_LEN */

enum way { WAY_RELATIVE, WAY_SYMLINK, WAY_SCRIPT, WAY_LONG, WAY_MEMFD, WAY_DELETED, WAYS };

static const char *const way_names[WAYS] = {"relative", "symlink", "script",
					    "long",	"memfd",   "deleted"};

static char self[PATH_MAX];
static char dir[1024];	   /* holds prog, the copy exec'd as ./prog */
static char longdir[1024]; /* a copy deeper than EXE_LEN bytes of path */

/* The program's side: what the kernel says it runs, from inside. */
static int report_exe(const char *out)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f;

	if (n < 0)
		return 3;
	exe[n] = '\0';
	f = fopen(out, "w");
	if (!f)
		return 4;
	fprintf(f, "%d\n%s", (int)getpid(), exe);
	return fclose(f) ? 5 : 0;
}

static int copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	return n < 0 ? -1 : 0;
}

static void copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out;

	assert_true(in >= 0);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	assert_true(out >= 0);
	assert_int_equal(copy_fd(in, out), 0);
	close(in);
	assert_int_equal(close(out), 0);
}

/* Where the copies are under @tmp: the test lays them out, the workload execs them. */
static void paths_under(const char *tmp)
{
	snprintf(dir, sizeof(dir), "%s/d", tmp);
	snprintf(longdir, sizeof(longdir), "%s", tmp);
	for (int k = 0; k < LONG_DIRS; k++) {
		size_t n = strlen(longdir);

		snprintf(longdir + n, sizeof(longdir) - n, "/%060d", k);
	}
}

/* One child per way, each exec'd as its name says; the job ends with them. */
static int workload(const char *tmp)
{
	paths_under(tmp);
	for (int w = 0; w < WAYS; w++) {
		char out[PATH_MAX], path[PATH_MAX];
		char *argv[] = {"prog", NULL};
		pid_t pid = fork();
		int st;

		if (pid < 0)
			return 2;
		if (pid) {
			if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
				return 10 + w;
			continue;
		}
		snprintf(out, sizeof(out), "%s/out-%s", tmp, way_names[w]);
		setenv("JT_EXE_OUT", out, 1);
		unsetenv("JT_EXE_WORKLOAD");
		switch (w) {
		case WAY_RELATIVE:
			if (chdir(dir) == 0)
				execv("./prog", argv);
			break;
		case WAY_SYMLINK:
			snprintf(path, sizeof(path), "%s/link", tmp);
			execv(path, argv);
			break;
		case WAY_SCRIPT:
			if (chdir(dir) == 0)
				execv("./script", argv);
			break;
		case WAY_LONG:
			if (chdir(longdir) == 0)
				execv("./prog", argv);
			break;
		case WAY_DELETED: {
			int fd;

			snprintf(path, sizeof(path), "%s/gone", dir);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0 && !unlink(path))
				fexecve(fd, argv, environ);
			break;
		}
		case WAY_MEMFD: {
			int mfd = memfd_create("jt-exe", 0), in = open(self, O_RDONLY);

			if (mfd >= 0 && in >= 0 && !copy_fd(in, mfd))
				fexecve(mfd, argv, environ);
			break;
		}
		}
		_exit(99);
	}
	return 0;
}

/* The child's pid and its /proc/self/exe, as it wrote them. */
static void child_said(const char *tmp, int w, int *pid, char *exe, size_t size)
{
	char path[PATH_MAX];
	const char *text;

	snprintf(path, sizeof(path), "%s/out-%s", tmp, way_names[w]);
	text = harness__slurp(path);
	assert_non_null(text);
	*pid = atoi(text);
	assert_true(*pid > 0);
	assert_non_null(strchr(text, '\n'));
	snprintf(exe, size, "%s", strchr(text, '\n') + 1);
}

/*
 * exe is the file each exec ran, resolved: realpath of it as laid out here
 * and /proc/PID/exe as the program saw it, however execve() named it
 * (./prog from a cwd, a symlink, a script's #! line: the interpreter's),
 * " (deleted)" after a file unlinked before its exec and a memfd's; a path over the field keeps its
 * tail without the leading '/'.
 */
static void test_exe_is_the_resolved_path(void **state)
{
	char events[PATH_MAX], err[PATH_MAX], path[PATH_MAX], prog[PATH_MAX], want[PATH_MAX];
	char *argv[] = {H.jobtrace, "run",  "--mode", "bpf", "-o", "/dev/null",
			"--events", events, "--",     self,  NULL};
	json_t *all, *r;
	size_t i;
	int st, fd;

	/* The layout: dir/prog, dir/script (#!dir/prog), link -> dir/prog, a deep copy. */
	paths_under(H.tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/prog", dir);
	copy_file(self, path);
	assert_non_null(realpath(path, prog));
	snprintf(path, sizeof(path), "%s/gone", dir); /* unlinked by the workload before its exec */
	copy_file(self, path);
	snprintf(path, sizeof(path), "%s/script", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	assert_true(fd >= 0);
	assert_true(dprintf(fd, "#!%s\n", prog) > 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/link", H.tmpdir);
	assert_int_equal(symlink(prog, path), 0);
	for (char *slash = strchr(longdir + strlen(H.tmpdir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		assert_int_equal(mkdir(longdir, 0755), 0);
		*slash = '/';
	}
	assert_int_equal(mkdir(longdir, 0755), 0);
	snprintf(path, sizeof(path), "%s/prog", longdir);
	copy_file(self, path);

	snprintf(events, sizeof(events), "%s/exe.jsonl", H.tmpdir);
	snprintf(err, sizeof(err), "%s/exe.err", H.tmpdir);
	setenv("JT_EXE_WORKLOAD", H.tmpdir, 1);
	st = harness__wait(harness__spawn(argv, NULL, err));
	unsetenv("JT_EXE_WORKLOAD");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("run ended with 0x%x: %s", st, harness__slurp(err));
	all = harness__lines(events, "exit");

	for (int w = 0; w < WAYS; w++) {
		char said[PATH_MAX];
		const char *exe = NULL;
		int pid;

		child_said(H.tmpdir, w, &pid, said, sizeof(said));
		json_array_foreach(all, i, r)
		{
			if ((int)harness__num(r, "pid") == pid)
				exe = harness__str(r, "exe");
		}
		if (!exe)
			fail_msg("%s: no exit record with an exe for pid %d", way_names[w], pid);
		switch (w) {
		case WAY_LONG:
			snprintf(path, sizeof(path), "%s/prog", longdir);
			assert_non_null(realpath(path, want));
			assert_true(strlen(want) >= EXE_LEN);
			assert_string_equal(said, want);
			/* The last EXE_LEN - 1 bytes, less a leading '/'. */
			{
				const char *tail = want + strlen(want) - (EXE_LEN - 1);

				if (*tail == '/')
					tail++;
				assert_string_equal(exe, tail);
			}
			assert_true(exe[0] != '/');
			break;
		case WAY_DELETED:
			snprintf(want, sizeof(want), "%.*s/gone (deleted)",
				 (int)(strrchr(prog, '/') - prog), prog);
			assert_string_equal(exe, want);
			assert_string_equal(exe, said);
			break;
		case WAY_MEMFD:
			assert_string_equal(exe, "/memfd:jt-exe (deleted)");
			assert_string_equal(exe, said);
			break;
		default: /* relative, symlink, script: all ran dir/prog */
			assert_string_equal(exe, prog);
			assert_string_equal(exe, said);
		}
	}
	json_decref(all);
}

static int setup(void **state)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -1;
	self[n] = '\0';
	if (harness__setup("exe") || harness__require_bpf())
		return -1;
	return 0;
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exe_is_the_resolved_path),
	};

	if (getenv("JT_EXE_OUT"))
		return report_exe(getenv("JT_EXE_OUT"));
	if (getenv("JT_EXE_WORKLOAD")) {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n < 0)
			return 2;
		self[n] = '\0';
		return workload(getenv("JT_EXE_WORKLOAD"));
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
