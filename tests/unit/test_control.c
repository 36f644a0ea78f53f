// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The control socket's pure parts, without a socket: its request lines
 * (control__parse_request), its report file names, who may open which key.
 */
#include "testutil.h"

#include <limits.h>

#include "jobtrace/control.h"
#include "jobtrace/report.h"
#include "jobtrace/util.h"

#define USAGE                                                                              \
	"usage: REGISTER|ATTACH KEY PID [text] [top=N] [alloc=S ...] | END KEY [DIR] | "               \
	"REPORT|RELEASE KEY | LIST"

/* The longest key there may be: CONTROL_KEY_MAX bytes. */
#define KEY255 \
	"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" \
	"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" \
	"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"

static void test_request_table(void **state)
{
	static const struct {
		const char *line;
		int err;
		enum control_verb verb;
		const char *key, *dir;
		unsigned long pid;
		const char *why;
	} cases[] = {
		{ "LIST", 0, CONTROL_LIST, NULL, NULL, 0, "" },
		{ " \tLIST \t", 0, CONTROL_LIST, NULL, NULL, 0, "" },
		{ "REGISTER slurm:12.0 4242", 0, CONTROL_REGISTER, "slurm:12.0", NULL, 4242, "" },
		{ "REGISTER\tk\t2", 0, CONTROL_REGISTER, "k", NULL, 2, "" },
		{ "REGISTER k 4194304", 0, CONTROL_REGISTER, "k", NULL, 4194304, "" },
		{ "END slurm:12.0", 0, CONTROL_END, "slurm:12.0", NULL, 0, "" },
		{ "END k /var/reports", 0, CONTROL_END, "k", "/var/reports", 0, "" },
		{ "REGISTER " KEY255 " 10", 0, CONTROL_REGISTER, KEY255, NULL, 10, "" },
		{ "REGISTER run:1000:7 7 text top=3", 0, CONTROL_REGISTER, "run:1000:7", NULL, 7,
		  "" },
		{ "REGISTER k 7 top=0", 0, CONTROL_REGISTER, "k", NULL, 7, "" },
		{ "", -EINVAL, 0, NULL, NULL, 0, "empty request" },
		{ " \t ", -EINVAL, 0, NULL, NULL, 0, "empty request" },
		{ "LIST x", -EINVAL, 0, NULL, NULL, 0, USAGE },
		{ "END", -EINVAL, 0, NULL, NULL, 0, USAGE },
		{ "END k /d extra", -EINVAL, 0, NULL, NULL, 0, USAGE },
		{ "REGISTER " KEY255 "k 10", -EINVAL, 0, NULL, NULL, 0, USAGE },
		{ "END k\x7f", -EINVAL, 0, NULL, NULL, 0, USAGE },
		{ "REGISTER k 2 a b c d e f g h", -EINVAL, 0, NULL, NULL, 0, USAGE },
		{ "REGISTER k 5 json", -EINVAL, 0, NULL, NULL, 0,
		  "REGISTER takes the options text, top=N, alloc=, cpus=, mem=, node=, not json" },
		{ "REGISTER k 5 top=100001", -EINVAL, 0, NULL, NULL, 0,
		  "REGISTER takes the options text, top=N, alloc=, cpus=, mem=, node=, not top=100001" },
		{ "REGISTER k 5 top=", -EINVAL, 0, NULL, NULL, 0,
		  "REGISTER takes the options text, top=N, alloc=, cpus=, mem=, node=, not top=" },
		{ "REGISTER k 5 text text", -EINVAL, 0, NULL, NULL, 0,
		  "REGISTER takes the options text, top=N, alloc=, cpus=, mem=, node=, not text" },
		{ "REGISTER k", -EINVAL, 0, NULL, NULL, 0, "REGISTER takes a key and a pid" },
		{ "REGISTER k 1", -EINVAL, 0, NULL, NULL, 0, "REGISTER takes a key and a pid" },
		{ "ATTACH run:0:w 4242", 0, CONTROL_ATTACH, "run:0:w", NULL, 4242, "" },
		{ "ATTACH k", -EINVAL, 0, NULL, NULL, 0, "ATTACH takes a key and a pid" },
		{ "ATTACH k 5 json", -EINVAL, 0, NULL, NULL, 0,
		  "ATTACH takes the options text, top=N, alloc=, cpus=, mem=, node=, not json" },
		{ "REPORT k", 0, CONTROL_REPORT, "k", NULL, 0, "" },
		{ "RELEASE k", 0, CONTROL_RELEASE, "k", NULL, 0, "" },
		{ "REPORT", -EINVAL, 0, NULL, NULL, 0, USAGE },
		{ "RELEASE k /tmp", -EINVAL, 0, NULL, NULL, 0, USAGE },
		{ "REGISTER k 4194305", -EINVAL, 0, NULL, NULL, 0, "REGISTER takes a key and a pid" },
		{ "REGISTER k -5", -EINVAL, 0, NULL, NULL, 0, "REGISTER takes a key and a pid" },
		{ "REGISTER k 12x", -EINVAL, 0, NULL, NULL, 0, "REGISTER takes a key and a pid" },
		{ "register k 12", -EINVAL, 0, NULL, NULL, 0, "unknown request register" },
		/* The verb is quoted back at most 32 bytes long. */
		{ "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX k", -EINVAL, 0, NULL, NULL, 0,
		  "unknown request XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char line[CONTROL_LINE_MAX + 1], why[128];
		struct control_request req;
		int err;

		snprintf(line, sizeof(line), "%s", cases[i].line);
		err = control__parse_request(line, &req, why, sizeof(why));
		if (err != cases[i].err || strcmp(why, cases[i].why))
			fail_msg("\"%s\": %d \"%s\", want %d \"%s\"", cases[i].line, err, why,
				 cases[i].err, cases[i].why);
		if (err)
			continue;
		if (req.verb != cases[i].verb || req.pid != cases[i].pid ||
		    !cases[i].key != !req.key || (req.key && strcmp(req.key, cases[i].key)) ||
		    !cases[i].dir != !req.dir || (req.dir && strcmp(req.dir, cases[i].dir)))
			fail_msg("\"%s\": verb %d key %s dir %s pid %lu", cases[i].line, req.verb,
				 req.key ? req.key : "-", req.dir ? req.dir : "-", req.pid);
	}
}

/* REGISTER's options: the report END gives back. */
static void test_register_options(void **state)
{
	static const struct {
		const char *line;
		bool text;
		unsigned long top;
	} cases[] = {
		{ "REGISTER k 7", false, REPORT_DEFAULT_TOP },
		{ "REGISTER k 7 text", true, REPORT_DEFAULT_TOP },
		{ "REGISTER k 7 top=0", false, 0 },
		{ "REGISTER k 7 top=3 text", true, 3 },
		{ "REGISTER k 7 text top=100000", true, 100000 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char line[128], why[80];
		struct control_request req;

		snprintf(line, sizeof(line), "%s", cases[i].line);
		assert_int_equal(control__parse_request(line, &req, why, sizeof(why)), 0);
		if (req.text != cases[i].text || req.top != cases[i].top)
			fail_msg("\"%s\": text %d top %lu", cases[i].line, req.text, req.top);
	}
}

/* REGISTER's allocation: Slurm's figures as the SPANK plugin sends them, or a refusal. */
static void test_register_alloc(void **state)
{
	static const struct {
		const char *line;
		int err;
		bool cpus_known, memory_known;
		double cpus;
		unsigned long long memory_bytes;
		const char *memory_from, *node;
	} cases[] = {
		{ "REGISTER slurm:12.0 7 alloc=slurm cpus=2 mem=268435456 node=n1", 0, true, true, 2,
		  268435456, "step", "n1" },
		{ "REGISTER slurm:12.0 7 alloc=slurm mem=1048576/job", 0, false, true, 0, 1048576,
		  "job", "" },
		/* Slurm gave nothing: the system is named, no figure made up. */
		{ "REGISTER slurm:12.0 7 alloc=slurm", 0, false, false, 0, 0, "", "" },
		{ "REGISTER k 7 top=3 alloc=slurm node=a.b-c_d cpus=64", 0, true, false, 64, 0, "",
		  "a.b-c_d" },
		{ "REGISTER k 7 cpus=2", -EINVAL, false, false, 0, 0, NULL, NULL },	   /* whose? */
		{ "REGISTER k 7 alloc=slurm cpus=0", -EINVAL, false, false, 0, 0, NULL, NULL },
		{ "REGISTER k 7 alloc=slurm cpus=2x", -EINVAL, false, false, 0, 0, NULL, NULL },
		{ "REGISTER k 7 alloc=slurm mem=0", -EINVAL, false, false, 0, 0, NULL, NULL },
		{ "REGISTER k 7 alloc=slurm mem=-5", -EINVAL, false, false, 0, 0, NULL, NULL },
		{ "REGISTER k 7 alloc=slurm mem=5/step", -EINVAL, false, false, 0, 0, NULL, NULL },
		{ "REGISTER k 7 alloc=slurm mem=99999999999999999999", -EINVAL, false, false, 0, 0, NULL, NULL },
		{ "REGISTER k 7 alloc=slurm node=a/b", -EINVAL, false, false, 0, 0, NULL, NULL },
		{ "REGISTER k 7 alloc=slurm node=", -EINVAL, false, false, 0, 0, NULL, NULL },
		{ "REGISTER k 7 alloc=slurm alloc=pbs", -EINVAL, false, false, 0, 0, NULL, NULL },
		{ "REGISTER k 7 alloc=slurm cpus=1 cpus=2", -EINVAL, false, false, 0, 0, NULL, NULL },
		{ "REGISTER k 7 alloc=slurm_and_a_very_long_name", -EINVAL, false, false, 0, 0, NULL, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char line[128], why[128];
		struct control_request req;
		int err;

		snprintf(line, sizeof(line), "%s", cases[i].line);
		err = control__parse_request(line, &req, why, sizeof(why));
		if (err != cases[i].err)
			fail_msg("\"%s\": %d, %s", cases[i].line, err, why);
		if (err)
			continue;
		assert_string_equal(req.sched.system, "slurm");
		assert_int_equal(req.sched.cpus_known, cases[i].cpus_known);
		assert_int_equal(req.sched.memory_known, cases[i].memory_known);
		assert_true(req.sched.cpus == cases[i].cpus);
		assert_int_equal(req.sched.memory_bytes, cases[i].memory_bytes);
		assert_string_equal(req.sched.memory_from, cases[i].memory_from);
		assert_string_equal(req.sched.node, cases[i].node);
	}
}

/* One key, one file: the whole key, escaped so that the name says it back. */
static void test_report_names(void **state)
{
	static const struct {
		const char *key;
		int err;
		const char *name;
	} cases[] = {
		{ "slurm:12.0", 0, "slurm:12.0.json" },
		{ "nobody:12.0", 0, "nobody:12.0.json" },
		{ "run:65534:4242", 0, "run:65534:4242.json" },
		{ "a/b", 0, "a%2Fb.json" },
		{ "../../etc/passwd", 0, "%2E.%2F..%2Fetc%2Fpasswd.json" },
		{ ".", 0, "%2E.json" },
		{ "..", 0, "%2E..json" },
		{ "100%", 0, "100%25.json" },
		{ "a%2Fb", 0, "a%252Fb.json" },
		{ "", -EINVAL, NULL },
		/* 250 bytes and ".json" is NAME_MAX; one more is too long. */
		{ KEY255, -ENAMETOOLONG, NULL },
	};
	char name[NAME_MAX + 1], key[300];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int err = control__report_name(cases[i].key, name, sizeof(name));

		if (err != cases[i].err || (!err && strcmp(name, cases[i].name)))
			fail_msg("\"%s\": %d \"%s\", want %d \"%s\"", cases[i].key, err,
				 err ? "" : name, cases[i].err, cases[i].name ? cases[i].name : "");
	}
	memset(key, 'k', 250);
	key[250] = '\0';
	assert_int_equal(control__report_name(key, name, sizeof(name)), 0);
	assert_int_equal(strlen(name), NAME_MAX);
	key[249] = '/';
	assert_int_equal(control__report_name(key, name, sizeof(name)), -ENAMETOOLONG);
	/* A buffer too small is told, not overrun. */
	assert_int_equal(control__report_name("slurm:1.0", name, 14), -ENAMETOOLONG);
	assert_int_equal(control__report_name("slurm:1.0", name, 15), 0);
}

/* Root may open any key; a user only NAME:UID:REST with its own uid, so never root's. */
static void test_key_allowed(void **state)
{
	static const struct {
		const char *key;
		uid_t uid;
		bool ok;
	} cases[] = {
		{ "slurm:12.0", 0, true },
		{ "anything", 0, true },
		{ "run:1000:4242", 1000, true },
		{ "ci:1000:", 1000, true },
		{ "ci:1000:a:b", 1000, true },
		{ "slurm:12.0", 1000, false },
		{ "slurm:12:0", 1000, false },
		{ "slurm:12:0", 12, true },
		{ "run:1000:4242", 1001, false },
		{ "run:1000", 1000, false },
		{ ":1000:x", 1000, false },
		{ "run:01000:x", 1000, false },
		{ "run:+1000:x", 1000, false },
		{ "run: 1000:x", 1000, false },
		{ "run:0:x", 1000, false },
		{ "run:0:x", 0, true },
		{ "run:65534:x", 65534, true },
		{ "run:4294967296:x", 0, true },
		{ "run:4294967296:x", 65534, false },
		{ "run:18446744073709551617:x", 1, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (control__key_allowed(cases[i].key, cases[i].uid) != cases[i].ok)
			fail_msg("\"%s\" for uid %u: want %s", cases[i].key,
				 (unsigned int)cases[i].uid, cases[i].ok ? "allowed" : "refused");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_table),
		cmocka_unit_test(test_register_options),
		cmocka_unit_test(test_register_alloc),
		cmocka_unit_test(test_report_names),
		cmocka_unit_test(test_key_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
