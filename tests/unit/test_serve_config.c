// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve's config parser, table-driven: good files give the values the
 * command line would, bad ones the line and the reason an admin needs.
 * The shipped etc/jobtrace.conf must parse.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobtrace/metrics.h"
#include "jobtrace/serve_config.h"

static int parse(const char *text, struct serve_config_file *f, struct serve_config_error *e)
{
	return serve_config__parse(text, strlen(text), f, e);
}

static void test_good_file(void **state)
{
	static const char text[] = "# a comment\n"
				   "\n"
				   "   group-by = cgroup1:cpu  \n"
				   "interval=0.5\r\n"
				   "\tlisten = [::1]:9100\n"
				   "stream = /run/jobtrace/s\n"
				   "stream-kb = 64\n"
				   "metrics-keep = 0\n"
				   "apmon = ml.example.org:8884 pass#word\n"
				   "apmon = [2001:db8::1]\n"
				   "apmon-cluster = my jobs\n"
				   "output = -\n"
				   "ring-kb = 512\n"
				   "max-procs = 65536\n"
				   "control = /run/jobtrace/control.sock\n"
				   "reports = /var/log/jobtrace/slurm\n"
				   "history = /var/lib/jobtrace/history\n"
				   "history-rotate = 600\n"
				   "history-keep = 86400\n"
				   "history-max = 1048576\n"
				   "max-jobs = 2"; /* no final newline */
	struct serve_config_file f;
	struct serve_config_error e;

	assert_int_equal(parse(text, &f, &e), 0);
	/* Every key: each option of the table that is one. */
	for (int i = 0; i < JT_NOPTS; i++)
		assert_int_equal(serve_config__is_set(&f, i), jt_options[i].config);
	assert_string_equal(f.val[JT_OPT_GROUP_BY].str, "cgroup1:cpu");
	assert_string_equal(f.val[JT_OPT_HISTORY].str, "/var/lib/jobtrace/history");
	assert_int_equal(f.val[JT_OPT_HISTORY_MAX].u, 1048576);
	assert_true(f.val[JT_OPT_INTERVAL].s == 0.5);
	assert_int_equal(f.line[JT_OPT_INTERVAL], 4);
	assert_string_equal(f.val[JT_OPT_LISTEN].str, "[::1]:9100");
	assert_string_equal(f.val[JT_OPT_STREAM].str, "/run/jobtrace/s");
	assert_int_equal(f.val[JT_OPT_STREAM_KB].u, 64);
	assert_true(f.val[JT_OPT_METRICS_KEEP].s == 0);
	assert_int_equal(f.napmon, 2);
	/* '#' inside a value is the value's: a password may hold one. */
	assert_string_equal(f.apmon[0], "ml.example.org:8884 pass#word");
	assert_int_equal(f.apmon_line[0], 9);
	assert_string_equal(f.apmon[1], "[2001:db8::1]");
	assert_int_equal(f.apmon_line[1], 10);
	assert_string_equal(f.val[JT_OPT_APMON_CLUSTER].str, "my jobs");
	assert_string_equal(f.val[JT_OPT_OUTPUT].str, "-");
	assert_int_equal(f.val[JT_OPT_RING_KB].u, 512);
	assert_int_equal(f.val[JT_OPT_MAX_PROCS].u, 65536);
	assert_int_equal(f.val[JT_OPT_MAX_JOBS].u, 2);
	assert_int_equal(f.line[JT_OPT_MAX_JOBS], 21);
	assert_string_equal(f.val[JT_OPT_CONTROL].str, "/run/jobtrace/control.sock");
	assert_int_equal(f.line[JT_OPT_CONTROL], 15);
	assert_string_equal(f.val[JT_OPT_REPORTS].str, "/var/log/jobtrace/slurm");
	serve_config__free(&f);
}

static void test_empty_and_off(void **state)
{
	struct serve_config_file f;
	struct serve_config_error e;

	assert_int_equal(serve_config__parse("", 0, &f, &e), 0);
	assert_int_equal(f.set, 0);
	serve_config__free(&f);
	/* Nothing after '=': set (it overrides the default), and off. */
	assert_int_equal(parse("listen =\nstream=  \n", &f, &e), 0);
	assert_true(serve_config__is_set(&f, JT_OPT_LISTEN));
	assert_true(serve_config__is_set(&f, JT_OPT_STREAM));
	assert_null(f.val[JT_OPT_LISTEN].str);
	assert_null(f.val[JT_OPT_STREAM].str);
	assert_false(serve_config__is_set(&f, JT_OPT_INTERVAL));
	serve_config__free(&f);
}

/* Every grouping the command line takes, the file takes. */
static void test_groupings(void **state)
{
	static const char *const groupings[] = { "cgroup", "cgroup2", "cgroup1:cpu", "tree",
						 "session", "user" };
	struct serve_config_file f;
	struct serve_config_error e;
	char text[64];

	for (size_t i = 0; i < sizeof(groupings) / sizeof(groupings[0]); i++) {
		snprintf(text, sizeof(text), "group-by = %s\n", groupings[i]);
		assert_int_equal(parse(text, &f, &e), 0);
		assert_string_equal(f.val[JT_OPT_GROUP_BY].str, groupings[i]);
		serve_config__free(&f);
	}
}

struct bad_case {
	const char *text;
	unsigned int line;
	const char *reason;
};

static const struct bad_case bad_cases[] = {
	{ "interval = 1\n\n# x\n\n\n\nintervall = 5\n", 7, "unknown key 'intervall'" },
	{ "interval = 0.05\n", 1, "interval takes seconds from 0.1 to 86400, not '0.05'" },
	{ "interval = 1s\n", 1, "interval takes seconds from 0.1 to 86400, not '1s'" },
	{ "interval =\n", 1, "interval takes seconds from 0.1 to 86400, not ''" },
	{ "interval = nan\n", 1, "interval takes seconds from 0.1 to 86400, not 'nan'" },
	{ "\ngroup-by = pid\n", 2, "group-by takes cgroup, cgroup2, cgroup1:CONTROLLER, tree, "
				   "session or user, not 'pid'" },
	{ "interval = 1\ninterval = 2\n", 2, "'interval' is set twice (first on line 1)" },
	{ "listen 127.0.0.1:9100\n", 1, "expected 'key = value', not 'listen 127.0.0.1:9100'" },
	{ " = 5\n", 1, "a value with no key before '='" },
	{ "listen = 9100\n", 1,
	  "listen takes ADDR:PORT, [ADDR6]:PORT, :PORT or ADDR alone, not '9100'" },
	{ "listen = ::1:9100\n", 1,
	  "listen takes ADDR:PORT, [ADDR6]:PORT, :PORT or ADDR alone, not '::1:9100'" },
	{ "listen = 127.0.0.1:http\n", 1,
	  "listen takes ADDR:PORT, [ADDR6]:PORT, :PORT or ADDR alone, not '127.0.0.1:http'" },
	/* Once parsed modulo 65536: 99999 bound 34463. */
	{ "listen = 127.0.0.1:99999\n", 1,
	  "listen takes a port from 0 to 65535, not '127.0.0.1:99999'" },
	{ "listen = :65536\n", 1, "listen takes a port from 0 to 65535, not ':65536'" },
	{ "listen = :0000009100\n", 1, "listen takes a port from 0 to 65535, not ':0000009100'" },
	{ "stream-kb = 2\n", 1, "stream-kb takes a size in KiB from 4 to 1048576, not '2'" },
	{ "ring-kb = -4\n", 1, "ring-kb takes a size in KiB from 4 to 1048576, not '-4'" },
	{ "max-procs = 10\n", 1, "max-procs takes a number from 64 to 4194304, not '10'" },
	{ "max-jobs = 1\n", 1, "max-jobs takes a number from 2 to 1048576, not '1'" },
	{ "metrics-keep = -1\n", 1, "metrics-keep takes seconds from 0 to 604800, not '-1'" },
	{ "stream = jobtrace.stream\n", 1, "stream takes an absolute path, not 'jobtrace.stream'" },
	{ "output = out.jsonl\n", 1, "output takes an absolute path or '-', not 'out.jsonl'" },
	{ "control = ctl.sock\n", 1, "control takes an absolute path, not 'ctl.sock'" },
	{ "reports = r\n", 1, "reports takes an absolute path, not 'r'" },
	{ "apmon =\n", 1, "apmon needs HOST[:PORT] [PASSWORD]" },
	{ "apmon-cluster =\n", 1, "apmon-cluster needs a name" },
	{ "apmon=a\napmon=a\napmon=a\napmon=a\napmon=a\napmon=a\napmon=a\napmon=a\napmon=a\n", 9,
	  "more than 8 apmon targets" },
	/* Keys are the long options' names, exactly. */
	{ "Interval = 1\n", 1, "unknown key 'Interval'" },
	{ "--interval = 1\n", 1, "unknown key '--interval'" },
	/* What a message shows of a binary key is printable and short. */
	{ "\x1b[31mred\x7f = 1\n", 1, "unknown key '?[31mred?'" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa = 1\n", 1,
	  "unknown key 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'" },
};

static void test_bad_files(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct serve_config_file f;
		struct serve_config_error e;
		int ret = parse(bad_cases[i].text, &f, &e);

		print_message("case %zu: line %u: %s\n", i, e.line, e.reason);
		assert_int_equal(ret, -EINVAL);
		assert_int_equal(e.line, bad_cases[i].line);
		assert_string_equal(e.reason, bad_cases[i].reason);
		serve_config__free(&f);
	}
}

/* --listen and `listen =` share this parser: what each form means, and what it refuses. */
static void test_split_listen(void **state)
{
	static const struct {
		const char *in, *host;
		unsigned int port;
		int ret;
	} cases[] = {
		{ "127.0.0.1:9100", "127.0.0.1", 9100, 0 },
		{ ":8080", "127.0.0.1", 8080, 0 }, /* loopback unless an address is named */
		{ ":0", "127.0.0.1", 0, 0 }, /* the kernel's choice */
		{ ":65535", "127.0.0.1", 65535, 0 },
		{ "[::1]:9100", "::1", 9100, 0 },
		{ "[::1]", "::1", METRICS_DEFAULT_PORT, 0 },
		{ "127.0.0.1", "127.0.0.1", METRICS_DEFAULT_PORT, 0 },
		{ "localhost", "localhost", METRICS_DEFAULT_PORT, 0 },
		{ "0.0.0.0:19640", "0.0.0.0", 19640, 0 },
		{ "127.0.0.1:99999", NULL, 0, -ERANGE },
		{ "127.0.0.1:65536", NULL, 0, -ERANGE },
		{ ":123456", NULL, 0, -ERANGE },
		{ "[::1]:70000", NULL, 0, -ERANGE },
		{ "9100", NULL, 0, -EINVAL }, /* inet_aton would take it as 0.0.35.140 */
		{ "127.0.0.1:", NULL, 0, -EINVAL },
		{ ":", NULL, 0, -EINVAL },
		{ "", NULL, 0, -EINVAL },
		{ "127.0.0.1:-1", NULL, 0, -EINVAL },
		{ "127.0.0.1:+80", NULL, 0, -EINVAL },
		{ "127.0.0.1: 80", NULL, 0, -EINVAL },
		{ "127.0.0.1:http", NULL, 0, -EINVAL },
		{ "::1:9100", NULL, 0, -EINVAL },
		{ "::1", NULL, 0, -EINVAL },
		{ "[]:9100", NULL, 0, -EINVAL },
		{ "[::1]9100", NULL, 0, -EINVAL },
		{ "[::1:9100", NULL, 0, -EINVAL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[256] = "";
		unsigned int port = 77777;
		int ret = metrics_http__split_listen(cases[i].in, host, sizeof(host), &port);

		print_message("'%s': %d '%s' %u\n", cases[i].in, ret, host, port);
		assert_int_equal(ret, cases[i].ret);
		if (ret)
			continue;
		assert_string_equal(host, cases[i].host);
		assert_int_equal(port, cases[i].port);
	}
}

static void test_nul_and_long_lines(void **state)
{
	static const char nul[] = "interval = 1\nlisten = a\0b\n";
	size_t big = SERVE_CONFIG_MAX_LINE + 10;
	char *text = malloc(big + 1);
	struct serve_config_file f;
	struct serve_config_error e;

	assert_int_equal(serve_config__parse(nul, sizeof(nul) - 1, &f, &e), -EINVAL);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.reason, "a NUL byte: not a text file");
	serve_config__free(&f);

	assert_non_null(text);
	memset(text, '#', big);
	text[0] = '\n';
	assert_int_equal(serve_config__parse(text, big, &f, &e), -EINVAL);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.reason, "longer than 4096 bytes");
	serve_config__free(&f);
	/* A comment line of exactly the limit is fine. */
	assert_int_equal(serve_config__parse(text, SERVE_CONFIG_MAX_LINE + 1, &f, &e), 0);
	serve_config__free(&f);
	free(text);
}

static void test_load(void **state)
{
	char path[] = "/tmp/jobtrace-conf-XXXXXX";
	static const char text[] = "interval = 2\n";
	struct serve_config_file f;
	struct serve_config_error e;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(serve_config__load(path, &f, &e), 0);
	assert_true(f.val[JT_OPT_INTERVAL].s == 2);
	serve_config__free(&f);

	/* Anyone could name the stream root writes: refused. */
	assert_int_equal(chmod(path, 0646), 0);
	assert_int_equal(serve_config__load(path, &f, &e), -EINVAL);
	assert_int_equal(e.line, 0);
	assert_string_equal(e.reason, "writable by anyone (mode 0646): only its owner may write it");
	serve_config__free(&f);
	/* ... and so could its group: sshd's StrictModes refuses both. */
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(serve_config__load(path, &f, &e), -EINVAL);
	assert_int_equal(e.line, 0);
	assert_string_equal(e.reason, "writable by its group (mode 0664): only its owner may write it");
	serve_config__free(&f);
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(serve_config__load(path, &f, &e), -EINVAL);
	serve_config__free(&f);
	/* Read-only for the group is fine. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(serve_config__load(path, &f, &e), 0);
	serve_config__free(&f);
	/* Another user's file, even 0644: that user could edit it. */
	if (geteuid() == 0) {
		assert_int_equal(chmod(path, 0644), 0);
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(serve_config__load(path, &f, &e), -EINVAL);
		assert_string_equal(e.reason, "owned by uid 65534, not by root");
		serve_config__free(&f);
	}
	unlink(path);

	assert_int_equal(serve_config__load(path, &f, &e), -ENOENT);
	assert_string_equal(e.reason, "cannot read it: No such file or directory");
	serve_config__free(&f);
	assert_int_equal(serve_config__load("/dev/null", &f, &e), 0);
	assert_int_equal(f.set, 0);
	serve_config__free(&f);
	assert_int_equal(serve_config__load("/tmp", &f, &e), -EINVAL);
	assert_string_equal(e.reason, "not a regular file");
	serve_config__free(&f);
	assert_int_equal(serve_config__load("/dev/zero", &f, &e), -EINVAL);
	assert_string_equal(e.reason, "not a regular file");
	serve_config__free(&f);
	/* A FIFO is opened without waiting for a writer, then refused. */
	{
		char dir[] = "/tmp/jobtrace-conf-XXXXXX", fifo[64], link[64];

		assert_non_null(mkdtemp(dir));
		snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
		snprintf(link, sizeof(link), "%s/link", dir);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		alarm(10); /* today's blocking open() would hang here: fail instead */
		assert_int_equal(serve_config__load(fifo, &f, &e), -EINVAL);
		alarm(0);
		assert_string_equal(e.reason, "not a regular file");
		serve_config__free(&f);
		/* A link is not followed: refused for what it is. */
		assert_int_equal(symlink("/dev/null", link), 0);
		assert_int_equal(serve_config__load(link, &f, &e), -ELOOP);
		assert_string_equal(e.reason, "a symbolic link: name the file itself");
		serve_config__free(&f);
		unlink(link);
		unlink(fifo);
		rmdir(dir);
	}
	serve_config__free(NULL);
}

/* The example shipped to /etc/jobtrace must be a config serve takes. */
static void test_shipped_example(void **state)
{
	struct serve_config_file f;
	struct serve_config_error e;
	int ret = serve_config__load("etc/jobtrace.conf", &f, &e);

	if (ret)
		fail_msg("etc/jobtrace.conf:%u: %s", e.line, e.reason);
	assert_string_equal(f.val[JT_OPT_GROUP_BY].str, "cgroup");
	assert_true(f.val[JT_OPT_INTERVAL].s == 1);
	assert_string_equal(f.val[JT_OPT_STREAM].str, "/dev/shm/jobtrace.stream");
	assert_false(serve_config__is_set(&f, JT_OPT_LISTEN)); /* loopback only when asked for */
	serve_config__free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_empty_and_off),
		cmocka_unit_test(test_groupings),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_split_listen),
		cmocka_unit_test(test_nul_and_long_lines),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_shipped_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
