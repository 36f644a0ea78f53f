// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Makefile as README tells people to run it: as root, `make demo` and
 * `make test` name no sudo (a root shell may have none); as anyone else,
 * the goals that load BPF stop at once and say how to run them.
 */
#include "harness.h"

/* Runs `sh -c @cmd` from the repository root; its output (both streams) into @out. */
static int shell(const char *cmd, char *out, size_t size)
{
	char full[512], *all;
	int code;

	/* Not the flags of a `make test` this may run under: its jobserver is not ours. */
	snprintf(full, sizeof(full), "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL %s", cmd);
	/* Read to the end: make must not die of SIGPIPE when we stop listening. */
	all = harness__sh_out(full, &code);
	if (strlen(all) > size - 1)
		fail_msg("%s: more than %zu bytes of output", cmd, size - 1);
	snprintf(out, size, "%s", all);
	free(all);
	return code;
}

static void test_root_needs_no_sudo(void **state)
{
	static char out[1 << 20];
	static const char *const goals[] = { "demo", "test", "deps", "bench" };

	assert_int_equal(geteuid(), 0);
	for (size_t i = 0; i < sizeof(goals) / sizeof(goals[0]); i++) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "make -n %s 2>&1", goals[i]);
		if (shell(cmd, out, sizeof(out)))
			fail_msg("%s failed:\n%s", cmd, out);
		if (strstr(out, "sudo"))
			fail_msg("%s names sudo:\n%s", cmd, out);
	}
	/* The demo does run jobtrace: -n printed the real command, not an error. */
	shell("make -n demo 2>&1", out, sizeof(out));
	assert_non_null(strstr(out, "/jobtrace run -- "));
}

/* As nobody: a plain message and a failed make, before anything is built. */
static void test_user_is_told_to_use_sudo(void **state)
{
	static char out[1 << 16];
	static const char *const goals[] = { "demo", "test", "test-kernel", "bench" };

	for (size_t i = 0; i < sizeof(goals) / sizeof(goals[0]); i++) {
		char cmd[256], want[128];

		snprintf(cmd, sizeof(cmd),
			 "setpriv --reuid=65534 --regid=65534 --clear-groups make -n %s 2>&1",
			 goals[i]);
		assert_int_not_equal(shell(cmd, out, sizeof(out)), 0);
		snprintf(want, sizeof(want), "'make %s' loads BPF programs, which needs root: "
			 "run 'sudo make %s'", goals[i], goals[i]);
		if (!strstr(out, want) || !strstr(out, "'make test-unit'"))
			fail_msg("%s said:\n%s", cmd, out);
	}
	/* The unit tests need no root, and are not refused. */
	assert_int_equal(shell("setpriv --reuid=65534 --regid=65534 --clear-groups "
			       "make -n test-unit >/dev/null 2>&1", out, sizeof(out)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_needs_no_sudo),
		cmocka_unit_test(test_user_is_told_to_use_sudo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
