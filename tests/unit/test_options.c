// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The option table against what users read: each command's --help, the
 * man page's command sections, and one meaning per letter across every
 * command's --help (system, inspect and connections, which parse their
 * own, included), as jobtrace(8)'s letter table says.
 */
#include "testutil.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/options.h"
#include "jobtrace/util.h"
#include "jobtrace/serve_config.h"

static const char *const cmd_names[JT_NCMDS] = {
	[JT_CMD_RUN] = "run",
	[JT_CMD_WATCH] = "watch",
	[JT_CMD_TOP] = "top",
	[JT_CMD_SERVE] = "serve",
	[JT_CMD_TAIL] = "tail",
	[JT_CMD_PS] = "ps",
	[JT_CMD_REPORT] = "report",
};

/*
 * What each letter means, in every command that has it (jobtrace(8), "One
 * letter, one meaning"). -n is a count: top's refreshes, tail's records.
 */
static const struct {
	char letter;
	const char *names[3];
} letters[] = {
	{ 'a', { "all" } },
	{ 'b', { "batch" } },
	{ 'c', { "cgroup" } },
	{ 'd', { "delay" } },
	{ 'e', { "events" } },
	{ 'f', { "filter" } },
	{ 'g', { "group-by" } },
	{ 'h', { "help" } },
	{ 'H', { "tree" } },
	{ 'i', { "interval" } },
	{ 'j', { "json" } },
	{ 'k', { "kind" } },
	{ 'l', { "listen" } },
	{ 'm', { "maps" } },
	{ 'n', { "iterations", "count" } },
	{ 'o', { "output" } },
	{ 'p', { "pid" } },
	{ 'r', { "reverse" } },
	{ 's', { "stream" } },
	{ 't', { "top" } },
	{ 'v', { "verbose" } },
	{ 'w', { "width" } },
};

static bool letter_means(char letter, const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++) {
		if (letters[i].letter != letter)
			continue;
		for (size_t k = 0; k < 3 && letters[i].names[k]; k++)
			if (strlen(letters[i].names[k]) == len &&
			    !memcmp(letters[i].names[k], name, len))
				return true;
		return false;
	}
	return false;
}

/* The table: a letter once per command, with the meaning it has everywhere. */
static void test_table(void **state)
{
	for (int cmd = 0; cmd < JT_NCMDS; cmd++) {
		bool seen[256] = {};

		for (int i = 0; i < JT_NOPTS; i++) {
			const struct jt_option *o = &jt_options[i];

			assert_non_null(o->name);
			assert_non_null(options__help(o, cmd));
			assert_true((o->arg == JT_ARG_NONE) == (o->metavar == NULL));
			assert_ptr_equal(options__find(o->name), o);
			if (!(o->cmds & (1u << cmd)) || !o->letter)
				continue;
			if (seen[(unsigned char)o->letter])
				fail_msg("%s: -%c twice", cmd_names[cmd], o->letter);
			seen[(unsigned char)o->letter] = true;
			if (!letter_means(o->letter, o->name, strlen(o->name)))
				fail_msg("-%c is --%s in the table, not what it is elsewhere",
					 o->letter, o->name);
		}
	}
	/* The config file's keys are serve's options, and found by name. */
	for (int i = 0; i < JT_NOPTS; i++) {
		const struct jt_option *o = &jt_options[i];

		if (o->config) {
			assert_true(o->cmds & JT_SERVE);
			assert_ptr_equal(options__config_key(o->name, strlen(o->name)), o);
		}
	}
	assert_null(options__config_key("config", 6));
	assert_null(options__config_key("duration", 8));
	/*
	 * An option two of the collector's fronts take is stored by the one
	 * shared setter (struct jt_shared), never by each front's own; and
	 * where it is stored lies inside struct jt_shared.
	 */
	for (int i = 0; i < JT_NOPTS; i++) {
		const struct jt_option *o = &jt_options[i];
		unsigned int fronts = o->cmds & (JT_RUN | JT_WATCH | JT_TOP | JT_SERVE);

		if (i != JT_OPT_HELP && (fronts & (fronts - 1)) && o->store == JT_STORE_OWN)
			fail_msg("--%s: run, watch, top or serve share it: give it a store", o->name);
		if (o->store == JT_STORE_CALL)
			assert_non_null(o->store_fn);
		else if (o->store != JT_STORE_OWN)
			assert_true(o->off < sizeof(struct jt_shared));
	}
}

/* `jobtrace CMD --help`, run from the build. NULL (the test skipped) without one. */
static char *help_of(const char *cmd)
{
	const char *out = getenv("OUTPUT") ? getenv("OUTPUT") : ".output";
	char bin[512], line[600], *buf = NULL;
	size_t len = 0;
	FILE *p, *m;

	snprintf(bin, sizeof(bin), "%s/jobtrace", out);
	if (access(bin, X_OK)) {
		if (getenv("CI"))
			fail_msg("no %s: build it first (make all)", bin);
		return NULL;
	}
	snprintf(line, sizeof(line), "%s %s --help", bin, cmd);
	p = popen(line, "r");
	assert_non_null(p);
	m = open_memstream(&buf, &len);
	while (fgets(line, sizeof(line), p))
		fputs(line, m);
	fclose(m);
	assert_int_equal(pclose(p), 0);
	return buf;
}

/* "-x, --name" or "--name" starting an option's line of @help. */
static bool help_lists(const char *help, const struct jt_option *o)
{
	char want[64];

	if (o->letter)
		snprintf(want, sizeof(want), "\n  -%c, --%s", o->letter, o->name);
	else
		snprintf(want, sizeof(want), "\n      --%s", o->name);
	for (const char *s = strstr(help, want); s; s = strstr(s + 1, want)) {
		char next = s[strlen(want)];

		if (next == ' ' || next == '\n')
			return true;
	}
	return false;
}

/* Every letter @cmd's --help lists means what it means in every command. */
static void check_letters(const char *cmd, const char *help)
{
	/* "\n  -j, --json": the letter at 4, the long name at 9. */
	for (const char *s = strstr(help, "\n  -"); s; s = strstr(s + 1, "\n  -")) {
		const char *name = s + 9;
		size_t len = strcspn(name, " \n");

		if (strncmp(s + 5, ", --", 4))
			continue;
		if (!letter_means(s[4], name, len))
			fail_msg("%s: -%c is --%.*s, not what it is elsewhere", cmd, s[4], (int)len,
				 name);
	}
}

/* Each front's --help lists its options as the table has them, and no other. */
static void test_help(void **state)
{
	static const char *const others[] = { "system", "inspect", "connections" };

	for (int cmd = 0; cmd < JT_NCMDS; cmd++) {
		char *help = help_of(cmd_names[cmd]);

		if (!help)
			skip();
		for (int i = 0; i < JT_NOPTS; i++) {
			const struct jt_option *o = &jt_options[i];
			bool listed = help_lists(help, o);

			if (listed != !!(o->cmds & (1u << cmd)))
				fail_msg("%s --help %s --%s", cmd_names[cmd],
					 listed ? "lists" : "does not list", o->name);
		}
		check_letters(cmd_names[cmd], help);
		free(help);
	}
	/* The commands that parse their own few options keep to the same letters. */
	for (size_t c = 0; c < sizeof(others) / sizeof(others[0]); c++) {
		char *help = help_of(others[c]);

		check_letters(others[c], help);
		free(help);
	}
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* "\-\-ring\-kb": how the man page spells --ring-kb. */
static void man_spelling(const char *name, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "\\-\\-");

	for (; *name && n + 3 < size; name++) {
		if (*name == '-')
			out[n++] = '\\';
		out[n++] = *name;
	}
	out[n] = '\0';
}

/*
 * man/jobtrace.8: each command's section (.SS NAME) names every option the
 * table gives it; every "\-x", "\-\-name" pair on the page means what the
 * letter means everywhere.
 */
static void test_man_page(void **state)
{
	char *man = slurp("man/jobtrace.8"), want[64], head[32];

	for (int cmd = 0; cmd < JT_NCMDS; cmd++) {
		char *start, *end;

		snprintf(head, sizeof(head), "\n.SS %s\n", cmd_names[cmd]);
		start = strstr(man, head);
		assert_non_null(start);
		end = strstr(start + 1, "\n.SS ");
		if (!end)
			end = start + strlen(start);
		for (int i = 0; i < JT_NOPTS; i++) {
			const struct jt_option *o = &jt_options[i];
			char *hit;

			if (!(o->cmds & (1u << cmd)) || i == JT_OPT_HELP)
				continue;
			man_spelling(o->name, want, sizeof(want));
			hit = strstr(start, want);
			/* Not a longer name: \-\-stream is not \-\-stream\-kb. */
			while (hit && hit < end && (isalnum((unsigned char)hit[strlen(want)]) ||
						    !strncmp(hit + strlen(want), "\\-", 2)))
				hit = strstr(hit + 1, want);
			if (!hit || hit >= end)
				fail_msg("man/jobtrace.8: the %s section does not name --%s",
					 cmd_names[cmd], o->name);
		}
	}
	/* .BR \-o ", " \-\-output: a letter with its long name. */
	for (char *s = strstr(man, "\\-"); s; s = strstr(s + 1, "\\-")) {
		char letter = s[2], name[32];
		size_t n = 0;
		const char *p;

		if (s[2] == '\\' || !isalpha((unsigned char)letter) ||
		    strncmp(s + 3, " \", \" \\-\\-", 10))
			continue;
		for (p = s + 13; n + 1 < sizeof(name) && (isalnum((unsigned char)*p) ||
							   !strncmp(p, "\\-", 2));
		     p += *p == '\\' ? 2 : 1)
			name[n++] = *p == '\\' ? '-' : *p;
		name[n] = '\0';
		if (!letter_means(letter, name, n))
			fail_msg("man/jobtrace.8: -%c is --%s, not what it is elsewhere", letter,
				 name);
	}
	free(man);
}

/*
 * Numbers as the command line takes them: decimal digits, and for seconds
 * one point. strtod() took ' 1', '0x10' (16 s), 'inf' and an exponent.
 */
static void test_numbers(void **state)
{
	static const struct {
		const char *in;
		int err;
		double want;
	} secs[] = {
		{ "1", 0, 1 },	      { "0.5", 0, 0.5 },     { ".5", 0, 0.5 },
		{ "2.", 0, 2 },	      { "86400", 0, 86400 }, { " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 }, { "\t1", -EINVAL, 0 }, { "0x10", -EINVAL, 0 },
		{ "inf", -EINVAL, 0 }, { "nan", -EINVAL, 0 }, { "1e1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 }, { "-1", -EINVAL, 0 },  { "", -EINVAL, 0 },
		{ ".", -EINVAL, 0 },  { "1.2.3", -EINVAL, 0 }, { "86401", -EINVAL, 0 },
		{ "0.05", -EINVAL, 0 },
	};
	static const struct {
		const char *in;
		int err;
		unsigned long want;
	} uints[] = {
		{ "0", 0, 0 },	       { "42", 0, 42 },	       { "100000", 0, 100000 },
		{ " 1", -EINVAL, 0 },  { "1 ", -EINVAL, 0 },   { "+1", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },  { "0x10", -EINVAL, 0 }, { "1.0", -EINVAL, 0 },
		{ "", -EINVAL, 0 },    { "100001", -EINVAL, 0 },
		{ "99999999999999999999999", -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(secs); i++) {
		double v = -1;
		int err = cli__parse_seconds(secs[i].in, 0.1, 86400, &v);

		if (err != secs[i].err || (!err && v != secs[i].want))
			fail_msg("seconds '%s': %d, %g", secs[i].in, err, v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(uints); i++) {
		unsigned long v = 7;
		int err = cli__parse_uint(uints[i].in, 0, 100000, &v);

		if (err != uints[i].err || (!err && v != uints[i].want))
			fail_msg("uint '%s': %d, %lu", uints[i].in, err, v);
	}
}

/* An empty path names no file: every output option refuses it as a usage error. */
static void test_empty_path(void **state)
{
	char buf[96];
	union jt_optval v;

	for (size_t id = 0; id < JT_NOPTS; id++) {
		const struct jt_option *o = &jt_options[id];

		if (o->arg != JT_ARG_PATH)
			continue;
		v = (union jt_optval){};
		if (!options__check(o, "", false, &v, buf, sizeof(buf)))
			fail_msg("--%s takes ''", o->name);
		assert_null(options__check(o, "/tmp/x", false, &v, buf, sizeof(buf)));
	}
}

/* Outputs that are one file, however named; "-", a named descriptor and a device never are. */
static void test_same_file(void **state)
{
	char dir[] = "/tmp/jobtrace-same-XXXXXX";
	char f[64], f_dot[80], link_f[64], sub[64], new_a[64], new_b[96], other[64];

	assert_non_null(mkdtemp(dir));
	snprintf(f, sizeof(f), "%s/F", dir);
	snprintf(f_dot, sizeof(f_dot), "%s/./F", dir);
	snprintf(link_f, sizeof(link_f), "%s/L", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(new_a, sizeof(new_a), "%s/N", dir);
	snprintf(new_b, sizeof(new_b), "%s/sub/../N", dir);
	snprintf(other, sizeof(other), "%s/O", dir);
	assert_int_equal(close(open(f, O_WRONLY | O_CREAT, 0644)), 0);
	assert_int_equal(link(f, link_f), 0);
	assert_int_equal(mkdir(sub, 0755), 0);

	assert_true(cli__same_file(f, f));
	assert_true(cli__same_file(f, f_dot));
	assert_true(cli__same_file(f, link_f)); /* a hard link is the file */
	assert_true(cli__same_file(new_a, new_b)); /* not made yet: by its directory */
	assert_false(cli__same_file(f, other));
	assert_false(cli__same_file(new_a, other));
	assert_false(cli__same_file(f, new_a));
	assert_false(cli__same_file("-", "-"));
	assert_false(cli__same_file("/dev/null", "/dev/null"));
	assert_false(cli__same_file("/dev/stdout", "/dev/stdout"));
	assert_false(cli__same_file("/dev/fd/1", "/dev/fd/1"));

	unlink(f);
	unlink(link_f);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_man_page),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_empty_path),
		cmocka_unit_test(test_same_file),
	};

	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
