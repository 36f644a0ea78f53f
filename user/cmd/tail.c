// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace tail`: prints serve's stream as it comes, one line per record,
 * through libjobtrace's reader (lib/stream_reader.c), as any agent would
 * read it. Needs no privilege beyond reading the stream file (root's, mode
 * 0640, group jobtrace).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/cli.h"
#include "jobtrace/options.h"
#include "jobtrace/sink.h"
#include "jobtrace/stream.h"
#include "jobtrace/stream_records.h"
#include "jobtrace/util.h"

#include "commands.h"

static const struct jt_front tail_front = {
	.cmd = JT_CMD_TAIL,
	.name = "tail",
	.head = "Usage: jobtrace tail [OPTIONS]\n"
		"\n"
		"Prints the records `jobtrace serve --stream` publishes, from now on: a\n"
		"process's fork, exec and exit, job and host intervals, and each job's\n"
		"final report when it ends (\"job\", as `watch --json` writes it). A reader that\n"
		"falls behind prints how many records it missed; a restart of serve is\n"
		"followed. Any number of readers may run at once.\n",
	.titles = { [JT_SEC_MAIN] = "Options" },
	.foot = "\n"
		"Examples:\n"
		"  jobtrace tail --json | jq 'select(.type == \"exit\" and .exit_code != 0)'\n"
		"  jobtrace tail --stream /dev/shm/test.stream --count 10\n",
};

struct tail_config {
	const char *path;
	bool json;
	bool until_closed;
	unsigned long count; /* 0: no limit */
	double duration_s;
};

/*
 * Records read a call: one check of the file's length for up to this many
 * (jobtrace_stream_next_batch()), 64 KiB of the largest records.
 */
#define TAIL_BATCH 64

static volatile sig_atomic_t exiting;

static void on_signal(int signo)
{
	exiting = 1;
}

static int tail_set(void *ctx, enum jt_opt_id id, const union jt_optval *v)
{
	struct tail_config *cfg = ctx;

	switch (id) {
	case JT_OPT_JSON:
		cfg->json = true;
		break;
	case JT_OPT_STREAM:
		cfg->path = v->str;
		break;
	case JT_OPT_COUNT:
		cfg->count = v->u;
		break;
	case JT_OPT_DURATION:
		cfg->duration_s = v->s;
		break;
	case JT_OPT_UNTIL_CLOSED:
		cfg->until_closed = true;
		break;
	default:
		break;
	}
	return 0;
}

#define TAIL_HELP_SHOWN OPTIONS_HELP_SHOWN
static int parse_args(int argc, char **argv, struct tail_config *cfg)
{
	int ret = options__parse(&tail_front, argc, argv, NULL, tail_set, cfg);

	if (ret)
		return ret;
	if (optind < argc)
		return cli__usage_error("tail", "unexpected argument '%s'", argv[optind]);
	return 0;
}

/*
 * What --count counts: a record of serve's, as printed. A job's end is a
 * line of its own in text; in JSON it is the "job" line, whose text follows
 * JT_STREAM_JOB_END in parts.
 */
static bool counts(const union jt_stream_record *r, bool json)
{
	if (r->hdr.type >= JT_STREAM_MISSED)
		return false;
	if (r->hdr.type == JT_STREAM_TEXT)
		return json && r->text.kind == JT_STREAM_TEXT_JOB &&
		       r->text.part + 1 == r->text.parts;
	return !(json && r->hdr.type == JT_STREAM_JOB_END);
}

/* What jobtrace_stream_open()'s error means here (libjobtrace(3)). */
static const char *open_hint(int err)
{
	switch (err) {
	case ENOENT:
		return " (is `jobtrace serve --stream` running?)";
	case EPERM:
		return " (not a regular file owned by root or by you: not one serve made)";
	case ELOOP:
		return " (a symbolic link: name the file itself)";
	default:
		return "";
	}
}

int tail__main(int argc, char **argv)
{
	struct tail_config cfg = { .path = JT_STREAM_DEFAULT_PATH };
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: the wait returns */
	union jt_stream_record *recs = NULL;
	struct stream_records *sr = NULL;
	struct sink *out = NULL;
	struct jobtrace_stream *s;
	unsigned long seen = 0;
	__u64 deadline = 0;
	bool done = false;
	int ret, n;

	ret = parse_args(argc, argv, &cfg);
	if (ret)
		return ret == TAIL_HELP_SHOWN ? 0 : ret;
	s = jobtrace_stream_open(cfg.path);
	if (!s) {
		fprintf(stderr, "jobtrace: cannot read the stream %s: %s%s\n", cfg.path,
			strerror(errno), open_hint(errno));
		return EXIT_FAILURE;
	}
	recs = calloc(TAIL_BATCH, sizeof(*recs));
	sr = stream_records__new();
	if (cfg.json) {
		/* The lines serve's JSON-lines output writes, from the records it made them of. */
		out = sink_jsonl__new(stdout, 0, true, true, true, true);
		if (out)
			out->with_lineage = true;
	}
	if (!recs || !sr || (cfg.json && !out)) {
		free(recs);
		stream_records__free(sr);
		sink__free(out);
		jobtrace_stream_close(s);
		return EXIT_INTERNAL;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (cfg.duration_s > 0)
		deadline = util__now_ns() + (__u64)(cfg.duration_s * 1e9);
	ret = 0;
	while (!exiting && !done) {
		n = jobtrace_stream_next_batch(s, recs, TAIL_BATCH);
		if (n > 0) {
			for (int i = 0; i < n && !done; i++) {
				const union jt_stream_record *rec = &recs[i];

				if (cfg.json)
					done = stream_records__feed(sr, rec, out) != 0;
				else
					done = stream_records__write_text(sr, rec, stdout) != 0;
				if (!done && cfg.count && counts(rec, cfg.json))
					done = ++seen >= cfg.count;
			}
			continue;
		}
		if (n == -ESTALE) {
			/* Nothing more comes from a file cut under us: said, and stopped. */
			fprintf(stderr, "jobtrace: the stream %s was cut short under the reader "
					"(truncated): stopping\n",
				cfg.path);
			ret = EXIT_FAILURE;
			break;
		}
		if (n < 0) {
			/* Counted and said; the reader has moved past it. */
			fprintf(stderr, "jobtrace: a broken record in %s: %s\n", cfg.path,
				strerror(-n));
			continue;
		}
		/* Read all there was: show it now, then sleep until the next batch. */
		if (fflush(stdout))
			break;
		if (cfg.until_closed) {
			int state = jobtrace_stream_state(s);

			if (state == JT_STREAM_CLOSED)
				break;
			/* Killed (-9) or hung: it will never say CLOSED; a replacement would. */
			if (state == JT_STREAM_GONE) {
				fprintf(stderr, "jobtrace: the writer of %s is gone without "
						"closing it (its process ended, or no heartbeat "
						"for %d s)\n",
					cfg.path, JT_STREAM_GONE_MS / 1000);
				ret = EXIT_FAILURE;
				break;
			}
		}
		if (deadline && util__now_ns() >= deadline)
			break;
		jobtrace_stream_wait(s, 200);
	}
	if (fflush(stdout) || ferror(stdout))
		ret = EXIT_FAILURE;
	if (sr && stream_records__lines_dropped(sr))
		fprintf(stderr, "jobtrace: %llu JSON lines of reports or system samples were cut "
				"by records overwritten before they were read\n",
			stream_records__lines_dropped(sr));
	stream_records__free(sr);
	/* stdout stays open: the sink does not own it. */
	sink__free(out);
	free(recs);
	jobtrace_stream_close(s);
	return ret;
}
