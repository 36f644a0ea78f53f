// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The same scenarios under every event source this machine allows, as
 * quark's tests run each case under both of its backends, each asserting
 * its mode's documented guarantees against truth the test knows (the wait
 * status it chose, churn's own counts and getrusage()):
 *
 *   bpf, proc   every count exact (processes, exit classes, threads), the
 *               tree's CPU within 1%
 *   rusage      the job's status, what jobtrace reaped, the tree's CPU
 *               within 1%; every count it cannot see null, never 0
 *
 * Then who gets which mode: the machine is probed (may root load BPF? may
 * uid 65534 join the proc connector, here and in a new network namespace?)
 * and run's choice is asserted for the machine's answer. A new network
 * namespace is where the connector is refused on any kernel, so the
 * "refused" branch runs on every machine, whatever the host permits.
 */
#include <math.h>

#include "harness.h"

#define SETPRIV_NOBODY "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", \
		       "--inh-caps=-all"

static bool bpf_ok; /* root may load jobtrace's programs */
static int root_connector; /* 0: root may join the proc connector, else its errno */
static const char *modes[3];
static size_t nmodes;

/* jobtrace run --mode MODE --json -o REPORT -- ARGV...; its exit code, the report in *@r. */
static int run_in(const char *mode, char *const *cmd, json_t **r)
{
	char report[400], err[400];
	char *argv[32];
	size_t n = 0;
	int code;

	harness__path(report, sizeof(report), "report.json");
	harness__path(err, sizeof(err), "stderr");
	argv[n++] = H.jobtrace;
	argv[n++] = "run";
	argv[n++] = "--mode";
	argv[n++] = (char *)mode;
	argv[n++] = "--json";
	argv[n++] = "-o";
	argv[n++] = report;
	argv[n++] = "--";
	for (size_t i = 0; cmd[i] && n < 31; i++)
		argv[n++] = cmd[i];
	argv[n] = NULL;
	code = harness__exit_code(argv, NULL, err);
	*r = harness__json(report);
	assert_string_equal(harness__str(*r, "mode"), mode);
	return code;
}

static void assert_cpu_within(json_t *r, double want_ns, double pct)
{
	double got = harness__num(r, "cpu.total_ns");
	double err = 100.0 * (got - want_ns) / want_ns;

	print_message("  %s: cpu %.6f s, getrusage %.6f s, %+.3f%%\n", harness__str(r, "mode"),
		      got / 1e9, want_ns / 1e9, err);
	if (fabs(err) > pct)
		fail_msg("%s: CPU off by %.3f%% (limit %.1f%%)", harness__str(r, "mode"), err, pct);
}

/* The root's own status, exit or signal, whatever the mode. */
static void test_status_every_mode(void **state)
{
	char *exit4[] = { "/bin/sh", "-c", "exit 4", NULL };
	char *killed[] = { "/bin/sh", "-c", "kill -9 $$", NULL };

	for (size_t i = 0; i < nmodes; i++) {
		json_t *r;

		assert_int_equal(run_in(modes[i], exit4, &r), 4);
		assert_int_equal(harness__num(r, "job.exit_code"), 4);
		assert_true(harness__is_null(r, "job.signal"));
		json_decref(r);
		assert_int_equal(run_in(modes[i], killed, &r), 128 + 9);
		assert_int_equal(harness__num(r, "job.signal"), 9);
		assert_true(harness__is_null(r, "job.exit_code"));
		json_decref(r);
	}
}

/* A churn that reaps its own tree: counts where the mode sees them, CPU in every mode. */
static void test_churn_every_mode(void **state)
{
	char truth[400];
	char *cmd[] = { H.churn, "--children", "400", "--orphans", "10", "--fail", "7",
			"--kill", "3", "--burn-us", "500", "--subreaper", "--truth", truth, NULL };

	harness__path(truth, sizeof(truth), "truth.json");
	for (size_t i = 0; i < nmodes; i++) {
		json_t *r, *t;

		assert_int_equal(run_in(modes[i], cmd, &r), 0);
		t = harness__json(truth);
		if (!strcmp(modes[i], "rusage")) {
			static const char *const unknown[] = {
				"processes.started", "processes.exited", "processes.exit_ok",
				"processes.exit_error", "processes.exit_signal", "processes.execs",
				"threads.started", "io.read_chars", "events.lost",
			};

			for (size_t k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++)
				if (!harness__is_null(r, unknown[k]))
					fail_msg("rusage: %s is not null", unknown[k]);
			/* churn reaped everything but itself. */
			assert_int_equal(harness__num(r, "reaped.processes"), 1);
			assert_int_equal(harness__num(r, "reaped.exit_ok"), 1);
			assert_false(json_is_true(harness__get(r, "complete")));
			assert_true(harness__num(r, "processes.max_alive") <= 1 + 400);
		} else {
			assert_int_equal(harness__num(r, "processes.started"),
					 harness__num(t, "processes"));
			assert_int_equal(harness__num(r, "processes.exit_ok"),
					 harness__num(t, "exit_ok"));
			assert_int_equal(harness__num(r, "processes.exit_error"),
					 harness__num(t, "exit_error"));
			assert_int_equal(harness__num(r, "processes.exit_signal"),
					 harness__num(t, "exit_signal"));
			assert_true(harness__is_null(r, "reaped"));
		}
		assert_cpu_within(r, harness__num(t, "cpu_ns"), 1.0);
		json_decref(t);
		json_decref(r);
	}
}

/* Threads are not processes, in every mode: counted where the mode sees them, null where not. */
static void test_threads_every_mode(void **state)
{
	char truth[400];
	char *cmd[] = { H.churn, "--children", "20", "--threads", "8", "--thread-burn-ms", "20",
			"--subreaper", "--truth", truth, NULL };

	harness__path(truth, sizeof(truth), "threads.truth.json");
	for (size_t i = 0; i < nmodes; i++) {
		json_t *r, *t;

		assert_int_equal(run_in(modes[i], cmd, &r), 0);
		t = harness__json(truth);
		if (!strcmp(modes[i], "rusage")) {
			assert_true(harness__is_null(r, "threads.started"));
			assert_true(harness__is_null(r, "processes.started"));
		} else {
			assert_int_equal(harness__num(r, "threads.started"),
					 harness__num(t, "threads"));
			assert_int_equal(harness__num(r, "processes.started"),
					 harness__num(t, "processes"));
		}
		/* Their CPU is the tree's in every mode: at least what the threads burned. */
		assert_true(harness__num(r, "cpu.total_ns") >= 8 * 20e6 * 0.9);
		json_decref(t);
		json_decref(r);
	}
}

/*
 * An orphan that fails after its parent is gone: reparented to jobtrace,
 * waited for, its status known in every mode (rusage: from our own wait).
 */
static void test_failed_orphan_every_mode(void **state)
{
	char *cmd[] = { "/bin/sh", "-c", "(sleep 0.3; exit 7) & exit 0", NULL };

	for (size_t i = 0; i < nmodes; i++) {
		json_t *r, *f;

		assert_int_equal(run_in(modes[i], cmd, &r), 0);
		/* The report waited for the orphan. */
		assert_true(harness__num(r, "job.wall_s") >= 0.3);
		f = json_array_get(harness__get(r, "failed"), 0);
		assert_non_null(f);
		assert_int_equal(harness__num(f, "exit_code"), 7);
		if (!strcmp(modes[i], "rusage")) {
			assert_int_equal(harness__num(r, "reaped.processes"), 2);
			assert_int_equal(harness__num(r, "reaped.exit_error"), 1);
			assert_int_equal(harness__num(r, "reaped.exit_ok"), 1);
		} else {
			assert_int_equal(harness__num(r, "processes.exit_error"), 1);
			/* The subshell, and the sleep it forked (shells differ in forking it). */
			assert_true(harness__num(r, "processes.outlived_root") >= 1);
		}
		json_decref(r);
	}
}

/* rusage --no-wait: descendants still running, so the tree's CPU is not whole: null. */
static void test_rusage_no_wait_cpu_unknown(void **state)
{
	char report[400];
	char *argv[] = { H.jobtrace, "run", "--mode", "rusage", "--no-wait", "--json", "-o",
			 report, "--", "/bin/sh", "-c", "sleep 1 & exit 0", NULL };
	json_t *r, *why;
	bool partial = false;

	harness__path(report, sizeof(report), "nowait.json");
	assert_int_equal(harness__exit_code(argv, NULL, NULL), 0);
	r = harness__json(report);
	assert_true(harness__is_null(r, "cpu.total_ns"));
	why = harness__get(r, "incomplete");
	for (size_t i = 0; i < json_array_size(why); i++)
		partial |= !strcmp(json_string_value(json_array_get(why, i)), "cpu_partial");
	assert_true(partial);
	json_decref(r);
}

/*
 * uid 65534 with no capabilities: run never refuses the job. It gets proc
 * mode where this kernel lets any user join the connector, rusage where it
 * does not; in a new network namespace the connector is refused, so the
 * rusage branch is taken on every machine. --mode proc fails rather than
 * fall back where the connector is refused.
 */
static void test_unprivileged_run(void **state)
{
	char report[400], err[400];
	char *host[] = { SETPRIV_NOBODY, H.jobtrace, "run", "--json", "-o", report, "--",
			 "/bin/sh", "-c", "exit 4", NULL };
	char *netns[] = { "/usr/bin/unshare", "--net", "--", SETPRIV_NOBODY, H.jobtrace, "run",
			  "--json", "-o", report, "--", "/bin/sh", "-c", "exit 4", NULL };
	char *forced[] = { "/usr/bin/unshare", "--net", "--", SETPRIV_NOBODY, H.jobtrace, "run",
			   "--mode", "proc", "--", "/bin/sh", "-c", "exit 4", NULL };
	struct {
		char **argv;
		int connector;
	} cases[] = {
		{ host, harness__probe_connector(HARNESS_NOBODY, false) },
		{ netns, harness__probe_connector(HARNESS_NOBODY, true) },
	};

	int become = harness__probe_become(HARNESS_NOBODY);

	if (access("/usr/bin/setpriv", X_OK) || access("/usr/bin/unshare", X_OK))
		fail_msg("setpriv and unshare (util-linux) are needed for this test");
	/* Root may always; the root of a user namespace that maps uid 65534 to no one may not. */
	if (become) {
		if (H.ci)
			fail_msg("cannot become uid 65534 (%s) under CI=true", strerror(become));
		print_message("  this process cannot become uid 65534 (%s): no unprivileged "
			      "run to try\n",
			      strerror(become));
		skip();
	}
	print_message("  uid 65534 and the proc connector: %s here, %s in a new network "
		      "namespace\n",
		      cases[0].connector ? strerror(cases[0].connector) : "permitted",
		      cases[1].connector ? strerror(cases[1].connector) : "permitted");
	harness__path(report, sizeof(report), "nobody.json");
	harness__path(err, sizeof(err), "nobody.err");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *want = harness__expected_mode(false, cases[i].connector);
		json_t *r;

		unlink(report);
		assert_int_equal(harness__exit_code(cases[i].argv, NULL, err), 4);
		r = harness__json(report);
		assert_string_equal(harness__str(r, "mode"), want);
		assert_int_equal(harness__num(r, "job.exit_code"), 4);
		if (!strcmp(want, "rusage")) {
			assert_true(harness__is_null(r, "processes.started"));
			assert_int_equal(harness__num(r, "reaped.exit_error"), 1);
			assert_true(harness__has(err, "rusage mode"));
		} else {
			assert_int_equal(harness__num(r, "processes.started"), 1);
			assert_int_equal(harness__num(r, "processes.exit_error"), 1);
		}
		json_decref(r);
	}
	/* Forced: no fallback, the job does not run (125), and nothing says "falling back". */
	if (cases[1].connector) {
		assert_int_equal(harness__exit_code(forced, NULL, err), 125);
		assert_true(harness__has(err, "proc connector"));
		assert_false(harness__has(err, "falling back"));
	}
}

/* Root with the BPF and network capabilities dropped, in a new network namespace. */
static void test_root_without_caps(void **state)
{
	char report[400], err[400];
	char *argv[] = { "/usr/bin/unshare", "--net", "--", "/usr/bin/setpriv",
			 "--bounding-set=-bpf,-perfmon,-sys_admin,-net_admin",
			 "--inh-caps=-bpf,-perfmon,-sys_admin,-net_admin", H.jobtrace, "run",
			 "--json", "-o", report, "--", "/bin/sh", "-c", "exit 5", NULL };
	const char *want;
	json_t *r;

	harness__path(report, sizeof(report), "nocaps.json");
	harness__path(err, sizeof(err), "nocaps.err");
	assert_int_equal(harness__exit_code(argv, NULL, err), 5);
	assert_true(harness__has(err, "CAP_BPF"));
	r = harness__json(report);
	want = harness__expected_mode(false, harness__probe_connector(-1, true));
	assert_string_equal(harness__str(r, "mode"), want);
	json_decref(r);
}

/*
 * bpf(2) refused by seccomp (a container's profile): the fallback, said on
 * stderr, and the job's exit and counts from the source it fell back to.
 */
static void test_seccomp_denies_bpf(void **state)
{
	char report[400], err[400];
	char *argv[] = { H.jobtrace, "run", "--json", "-o", report, "--", "/bin/sh", "-c",
			 "/bin/true; exit 6", NULL };
	char *forced[] = { H.jobtrace, "run", "--mode", "bpf", "--", "/bin/true", NULL };
	const char *want = harness__expected_mode(false, root_connector);
	int st;
	json_t *r;

	harness__path(report, sizeof(report), "seccomp.json");
	harness__path(err, sizeof(err), "seccomp.err");
	st = harness__wait(harness__spawn_no_bpf(argv, NULL, err));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 6);
	assert_true(harness__has(err, "BPF is not available (Operation not permitted)"));
	/* bpf(2) itself was refused: not the verifier's doing, and jobtrace says which it was. */
	assert_false(harness__has(err, "verifier"));
	assert_true(harness__has(err, "seccomp"));
	r = harness__json(report);
	assert_string_equal(harness__str(r, "mode"), want);
	if (strcmp(want, "rusage")) {
		/* sh and the true it forked (dash may exec it in place: then 1). */
		assert_true(harness__num(r, "processes.started") >= 1);
		assert_int_equal(harness__num(r, "processes.exit_error"), 1);
	}
	json_decref(r);
	/* --mode bpf under the same filter: a failure, and the command does not run. */
	st = harness__wait(harness__spawn_no_bpf(forced, NULL, err));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 125);
	assert_false(harness__has(err, "falling back"));
}

/*
 * May this machine make a user namespace (unshare(CLONE_NEWUSER), as
 * unshare --user does)? 0, else the errno that said no: a kernel built
 * without them, user.max_user_namespaces 0, an LSM's or seccomp's refusal.
 */
static int user_ns_child(void *arg)
{
	(void)arg;
	return unshare(CLONE_NEWUSER) ? errno : 0;
}

static int probe_user_ns(void)
{
	return harness__in_child(user_ns_child, NULL);
}

/*
 * A rootless container (unshare --user --map-root-user): capget shows every
 * capability, but they are the user namespace's and never reach bpf(2).
 * jobtrace says that, and where to go (root of the host, or a host's serve
 * --control), rather than blame the verifier or advise BPF; run goes on to
 * rusage mode (the proc connector serves no user namespace either), watch
 * --pid and --mode bpf fail. Where the machine refuses user namespaces,
 * unshare fails and jobtrace never runs.
 */
static void test_user_namespace_refused(void **state)
{
	char report[400], err[400], pid_arg[16];
	char *run[] = { "/usr/bin/unshare", "--user", "--map-root-user", H.jobtrace, "run",
			"--json", "-o", report, "--", "/bin/sh", "-c", "exit 4", NULL };
	char *forced[] = { "/usr/bin/unshare", "--user", "--map-root-user", H.jobtrace, "run",
			   "--mode", "bpf", "--", "/bin/true", NULL };
	char *watch[] = { "/usr/bin/unshare", "--user", "--map-root-user", H.jobtrace, "watch",
			  "--pid", pid_arg, "--duration", "1", NULL };
	char **refused[] = { forced, watch };
	int userns = probe_user_ns();
	json_t *r;

	if (access("/usr/bin/unshare", X_OK))
		fail_msg("unshare (util-linux) is needed for this test");
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)getpid());
	harness__path(report, sizeof(report), "userns.json");
	harness__path(err, sizeof(err), "userns.err");
	print_message("  a new user namespace: %s\n", userns ? strerror(userns) : "permitted");
	if (userns) {
		/* unshare itself fails: nothing of jobtrace's runs, the job neither. */
		assert_int_not_equal(harness__exit_code(run, NULL, err), 4);
		assert_false(harness__has(err, "jobtrace:"));
		return;
	}
	assert_int_equal(harness__exit_code(run, NULL, err), 4);
	r = harness__json(report);
	assert_string_equal(harness__str(r, "mode"), "rusage");
	assert_int_equal(harness__num(r, "job.exit_code"), 4);
	json_decref(r);
	for (size_t i = 0; i < 3; i++) {
		if (i > 0)
			assert_int_equal(harness__exit_code(refused[i - 1], NULL, err), 125);
		if (!harness__has(err, "capabilities in a user namespace do not reach bpf(2)") ||
		    !harness__has(err, "root of the host") || !harness__has(err, "serve --control"))
			fail_msg("case %zu: no word of the user namespace: %s", i,
				 harness__slurp(err));
		/* Neither the verifier nor BPF as root inside: neither is the cause or the cure. */
		assert_false(harness__has(err, "verifier"));
		assert_false(harness__has(err, "use BPF"));
	}
}

static int setup(void **state)
{
	if (harness__setup("modes"))
		return -1;
	bpf_ok = harness__bpf_loads();
	root_connector = harness__probe_connector(-1, false);
	print_message("  this machine: BPF %s for root; the proc connector %s for root\n",
		      bpf_ok ? "loads" : "does not load",
		      root_connector ? strerror(root_connector) : "permitted");
	/*
	 * Under CI=true BPF must load: a CI machine without it fails, never
	 * skips. Elsewhere a machine that cannot load BPF runs the modes it has.
	 */
	if (!bpf_ok && H.ci) {
		fprintf(stderr, "FAIL: jobtrace cannot load its BPF programs here (CI=true): the "
				"kernel tests need root and a kernel with BTF\n");
		return -1;
	}
	if (bpf_ok)
		modes[nmodes++] = "bpf";
	if (!root_connector)
		modes[nmodes++] = "proc";
	modes[nmodes++] = "rusage";
	return 0;
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_every_mode),
		cmocka_unit_test(test_churn_every_mode),
		cmocka_unit_test(test_threads_every_mode),
		cmocka_unit_test(test_failed_orphan_every_mode),
		cmocka_unit_test(test_rusage_no_wait_cpu_unknown),
		cmocka_unit_test(test_unprivileged_run),
		cmocka_unit_test(test_root_without_caps),
		cmocka_unit_test(test_seccomp_denies_bpf),
		cmocka_unit_test(test_user_namespace_refused),
	};

	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
