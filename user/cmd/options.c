// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the option table (options_table.c) makes: a front's getopt_long
 * arrays and its parsing, its --help, and the checks serve's config file
 * shares with the command line.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "jobtrace/cli.h"
#include "jobtrace/options.h"
#include "jobtrace/util.h"

/* getopt_long's value for a long-only option: past every letter. */
#define LONG_ONLY_BASE 256
#define HELP_COLUMN 24

static bool takes_arg(const struct jt_option *o)
{
	return o->arg != JT_ARG_NONE;
}

const char *options__help(const struct jt_option *o, enum jt_cmd cmd)
{
	return (unsigned int)cmd < JT_NCMDS && o->help_for[cmd] ? o->help_for[cmd] : o->help;
}

const char *options__check(const struct jt_option *o, const char *v, bool config,
			   union jt_optval *out, char *buf, size_t size)
{
	const char *why;

	switch (o->arg) {
	case JT_ARG_NONE:
		return NULL;
	case JT_ARG_SECONDS:
		if (!cli__parse_seconds(v, o->min, o->max, &out->s))
			return NULL;
		if (o->takes)
			return o->takes;
		snprintf(buf, size, "takes seconds from %.10g to %.10g", o->min, o->max);
		return buf;
	case JT_ARG_UINT:
		if (!cli__parse_uint(v, (unsigned long)o->min, (unsigned long)o->max, &out->u))
			return NULL;
		if (o->takes)
			return o->takes;
		snprintf(buf, size, "takes %s from %.0f to %.0f", o->what ? o->what : "a number",
			 o->min, o->max);
		return buf;
	case JT_ARG_PATH:
		/*
		 * "" names no file: open() says ENOENT, which read as jobtrace's
		 * own failure (125). A config file's empty value is not checked
		 * here: it turns the output off.
		 */
		if (!*v)
			return "needs a path";
		/* Relative to whatever directory the service runs in is no path at all. */
		if (config && *v && *v != '/' && !(o->dash && !strcmp(v, "-")))
			return o->dash ? "takes an absolute path or '-'" : "takes an absolute path";
		/*
		 * An option where its value should be: getopt hands it over as
		 * the name (run -o --json -- true made a file "--json", and
		 * -o -- one named "--"). A file whose name begins so is ./-x.
		 */
		if (!config && v[0] == '-' && v[1])
			return "takes a path: a name beginning with '-' is written ./-NAME";
		out->str = v;
		return NULL;
	case JT_ARG_CHOICE:
		why = o->check ? o->check(v) : NULL;
		if (why)
			return o->takes ? o->takes : why;
		out->str = v;
		return NULL;
	case JT_ARG_STRING:
		out->str = v;
		return NULL;
	}
	return "takes no value";
}

const struct jt_option *options__find(const char *name)
{
	for (size_t i = 0; i < JT_NOPTS; i++)
		if (!strcmp(jt_options[i].name, name))
			return &jt_options[i];
	return NULL;
}

const struct jt_option *options__config_key(const char *key, size_t len)
{
	for (size_t i = 0; i < JT_NOPTS; i++) {
		const struct jt_option *o = &jt_options[i];

		if (o->config && strlen(o->name) == len && !memcmp(o->name, key, len))
			return o;
	}
	return NULL;
}

static bool in_cmd(const struct jt_option *o, enum jt_cmd cmd)
{
	return o->cmds & (1u << cmd);
}

/* The front's getopt_long arrays: a letter returns itself, a long-only option its base + id. */
static void make_getopt(const struct jt_front *f, struct option *longopts, char *optstring)
{
	size_t n = 0, s = 0;

	if (f->stop_at_operand)
		optstring[s++] = '+';
	optstring[s++] = ':';
	for (size_t i = 0; i < JT_NOPTS; i++) {
		const struct jt_option *o = &jt_options[i];

		if (!in_cmd(o, f->cmd))
			continue;
		longopts[n++] = (struct option){
			.name = o->name,
			.has_arg = takes_arg(o) ? required_argument : no_argument,
			.val = o->letter ? o->letter : LONG_ONLY_BASE + (int)i,
		};
		if (o->letter) {
			optstring[s++] = o->letter;
			if (takes_arg(o))
				optstring[s++] = ':';
		}
	}
	longopts[n] = (struct option){};
	optstring[s] = '\0';
}

static int id_of(const struct jt_front *f, int val)
{
	if (val >= LONG_ONLY_BASE)
		return val - LONG_ONLY_BASE;
	for (size_t i = 0; i < JT_NOPTS; i++)
		if (in_cmd(&jt_options[i], f->cmd) && jt_options[i].letter == val)
			return (int)i;
	return -1;
}

int options__bad(const char *cmd, int opt, char **argv)
{
	if (opt == ':')
		return cli__usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
	/* optopt: the letter getopt did not know; 0 for a long option. */
	if (optopt && options__retired(cmd, optopt))
		return EXIT_USAGE;
	return cli__usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

int options__set_shared(struct jt_shared *sh, const char *cmd, enum jt_opt_id id,
			const union jt_optval *v)
{
	const struct jt_option *o = &jt_options[id];
	char *at = (char *)sh + o->off;

	switch (o->store) {
	case JT_STORE_OWN:
		return 1;
	case JT_STORE_FLAG:
		*(bool *)at = true;
		break;
	case JT_STORE_SECONDS:
		*(double *)at = v->s;
		break;
	case JT_STORE_STR:
		*(const char **)at = v->str;
		break;
	case JT_STORE_SIZE:
		*(size_t *)at = v->u;
		break;
	case JT_STORE_U32:
		*(__u32 *)at = (__u32)v->u;
		break;
	case JT_STORE_KIB:
		*(__u32 *)at = (__u32)(v->u * 1024);
		break;
	case JT_STORE_CALL:
		return o->store_fn(sh, cmd, v);
	}
	return 0;
}

/*
 * Two outputs named as one file: each opens it on its own, at its own
 * offset, and overwrites what the other wrote (run -o F -e F left JSON
 * lines cut into each other). A usage error, as soon as it can be seen.
 */
/* The standard stream @path names (1, 2), or 0: a file. */
static int std_fd(const char *path)
{
	static const char *const names[] = { "/dev/std", "/dev/fd/", "/proc/self/fd/" };

	if (!path)
		return 0;
	if (!strcmp(path, "-") || !strcmp(path, "/dev/stdout"))
		return STDOUT_FILENO;
	if (!strcmp(path, "/dev/stderr"))
		return STDERR_FILENO;
	for (size_t i = 1; i < ARRAY_SIZE(names); i++) {
		size_t n = strlen(names[i]);

		if (!strncmp(path, names[i], n) && (path[n] == '1' || path[n] == '2') &&
		    !path[n + 1])
			return path[n] - '0';
	}
	return 0;
}

static int check_outputs(const struct jt_front *f, const struct jt_shared *sh)
{
	const char *cmd = f->name;
	const struct {
		const char *name, *path;
	} outs[] = {
		{ "--output", sh->output },
		{ "--events", sh->events },
		{ "--svg", sh->svg },
		{ "--html", sh->html },
	};

	/*
	 * A picture is a document of its own: on a standard stream beside
	 * the report, the events or the other picture, it was written into
	 * their lines (run --json -o - --svg - gave JSON, then SVG; run
	 * --svg /dev/stderr, the text report around the SVG).
	 */
	for (size_t i = 2; i < ARRAY_SIZE(outs); i++) {
		int fd = std_fd(outs[i].path);

		if (!fd)
			continue;
		if (!sh->output && f->report_fd == fd)
			return cli__usage_error(cmd, "%s %s: the report goes to standard %s "
						     "(give it --output FILE)",
						outs[i].name, outs[i].path,
						fd == STDOUT_FILENO ? "output" : "error");
		for (size_t k = 0; k < ARRAY_SIZE(outs); k++) {
			if (k != i && std_fd(outs[k].path) == fd)
				return cli__usage_error(cmd, "%s and %s both write to standard "
							     "%s: a picture needs it alone",
							outs[k < i ? k : i].name,
							outs[k < i ? i : k].name,
							fd == STDOUT_FILENO ? "output" : "error");
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(outs); i++) {
		for (size_t k = i + 1; outs[i].path && k < ARRAY_SIZE(outs); k++) {
			if (outs[k].path && cli__same_file(outs[i].path, outs[k].path))
				return cli__usage_error(cmd, "%s and %s name one file, %s: "
							"each would overwrite the other",
							outs[i].name, outs[k].name, outs[k].path);
		}
	}
	return 0;
}

int options__parse(const struct jt_front *f, int argc, char **argv, struct jt_shared *sh,
		   jt_set_fn set, void *ctx)
{
	struct option longopts[JT_NOPTS + 1];
	char optstring[3 * JT_NOPTS + 3], buf[96];
	union jt_optval v;
	const char *why;
	int opt, id, err;

	make_getopt(f, longopts, optstring);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		id = opt == ':' || opt == '?' ? -1 : id_of(f, opt);
		if (id < 0)
			return options__bad(f->name, opt, argv);
		if (id == JT_OPT_HELP) {
			options__usage(f, stdout);
			return OPTIONS_HELP_SHOWN;
		}
		v = (union jt_optval){};
		if (jt_options[id].cli_check) {
			if (jt_options[id].cli_check(f->name, optarg))
				return EXIT_USAGE;
			v.str = optarg;
		} else if (takes_arg(&jt_options[id])) {
			why = options__check(&jt_options[id], optarg, false, &v, buf, sizeof(buf));
			if (why)
				return cli__usage_error(f->name, "--%s %s, not '%s'",
							jt_options[id].name, why, optarg);
		}
		err = sh ? options__set_shared(sh, f->name, (enum jt_opt_id)id, &v) : 1;
		if (err == 1)
			err = set ? set(ctx, (enum jt_opt_id)id, &v) : 0;
		if (err)
			return err;
	}
	return sh ? check_outputs(f, sh) : 0;
}

/* "  -o, --output FILE     " and the help's lines, each under the one before. */
static void usage_line(const struct jt_option *o, enum jt_cmd cmd, FILE *out)
{
	const char *h = options__help(o, cmd), *nl;
	int n;

	if (o->letter)
		n = fprintf(out, "  -%c, --%s", o->letter, o->name);
	else
		n = fprintf(out, "      --%s", o->name);
	if (takes_arg(o))
		n += fprintf(out, " %s", o->metavar);
	fprintf(out, "%*s", n < HELP_COLUMN - 1 ? HELP_COLUMN - n : 2, "");
	while ((nl = strchr(h, '\n'))) {
		fprintf(out, "%.*s\n%*s", (int)(nl - h), h, HELP_COLUMN, "");
		h = nl + 1;
	}
	fprintf(out, "%s\n", h);
}

void options__usage(const struct jt_front *f, FILE *out)
{
	fputs(f->head, out);
	for (int sec = 0; sec < JT_NSECS; sec++) {
		bool first = true;

		for (size_t i = 0; i < JT_NOPTS; i++) {
			const struct jt_option *o = &jt_options[i];

			if (!in_cmd(o, f->cmd) || o->section != (enum jt_section)sec)
				continue;
			if (first && f->titles[sec])
				fprintf(out, "\n%s:\n", f->titles[sec]);
			first = false;
			usage_line(o, f->cmd, out);
		}
	}
	fputs(f->foot, out);
}
