// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* control__parse_request(): the control socket's request lines, without a socket. */
#include "testutil.h"

#include "jobtrace/control.h"
#include "jobtrace/util.h"

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
		{ "", -EINVAL, 0, NULL, NULL, 0, "empty request" },
		{ " \t ", -EINVAL, 0, NULL, NULL, 0, "empty request" },
		{ "LIST x", -EINVAL, 0, NULL, NULL, 0, "unknown request LIST" },
		{ "END", -EINVAL, 0, NULL, NULL, 0, "usage: REGISTER KEY PID | END KEY [DIR] | LIST" },
		{ "END k /d extra", -EINVAL, 0, NULL, NULL, 0,
		  "usage: REGISTER KEY PID | END KEY [DIR] | LIST" },
		{ "REGISTER " KEY255 "k 10", -EINVAL, 0, NULL, NULL, 0,
		  "usage: REGISTER KEY PID | END KEY [DIR] | LIST" },
		{ "END k\x7f", -EINVAL, 0, NULL, NULL, 0,
		  "usage: REGISTER KEY PID | END KEY [DIR] | LIST" },
		{ "REGISTER k", -EINVAL, 0, NULL, NULL, 0, "REGISTER takes a key and a pid" },
		{ "REGISTER k 1", -EINVAL, 0, NULL, NULL, 0, "REGISTER takes a key and a pid" },
		{ "REGISTER k 4194305", -EINVAL, 0, NULL, NULL, 0, "REGISTER takes a key and a pid" },
		{ "REGISTER k -5", -EINVAL, 0, NULL, NULL, 0, "REGISTER takes a key and a pid" },
		{ "REGISTER k 12x", -EINVAL, 0, NULL, NULL, 0, "REGISTER takes a key and a pid" },
		{ "register k 12", -EINVAL, 0, NULL, NULL, 0, "unknown request register" },
		/* The verb is quoted back at most 32 bytes long. */
		{ "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX k", -EINVAL, 0, NULL, NULL, 0,
		  "unknown request XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char line[CONTROL_LINE_MAX + 1], why[80];
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
