// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sinks a front's flags ask for, in one place: the report (text, one
 * JSON object, or JSON lines) to -o FILE or the front's default stream, and
 * --events to its own file. Files are opened here, before any job starts,
 * so a bad path fails at once; a file of a sink's own is written a whole
 * record at a time, so a full disk costs records, never a line cut in two.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jobtrace/apmon.h"
#include "jobtrace/sink.h"

int outputs__add(struct collector *c, const struct outputs *o)
{
	const char *name = o->default_name;
	bool own = false, own_ev = false;
	FILE *out = o->default_f, *ev = NULL;
	struct sink *s;
	int err;

	if (o->output) {
		out = sink__open_path(o->output, &own);
		if (!out) {
			err = -errno;
			fprintf(stderr, "jobtrace: cannot write the report to %s: %s\n", o->output,
				sink__strerror(err));
			return err;
		}
		name = strcmp(o->output, "-") ? o->output : "standard output";
	} else if (out) {
		sink__note_output_fd(fileno(out)); /* run 2>F --svg F: F is the report's */
	}
	/*
	 * Every file named is open before the pictures' (sink_svg__new()), so
	 * that a picture's file that is one of theirs (--events - > F --svg F)
	 * is refused, not emptied under them.
	 */
	if (o->events) {
		ev = sink__open_path(o->events, &own_ev);
		if (!ev) {
			err = -errno;
			fprintf(stderr, "jobtrace: cannot write events to %s: %s\n", o->events,
				sink__strerror(err));
			if (own)
				fclose(out);
			return err;
		}
	}
	if (o->json && o->json_lines)
		s = sink_jsonl__new(out, o->top, false, true, true, true);
	else if (o->json)
		s = sink_json__new(out, o->top);
	else
		s = sink_text__new(out, o->top);
	s = sink__own_file(s, out, own, name);
	if (s) {
		s->compact = o->compact;
		/* The job's command writes to the front's stream, and to stdout. */
		s->shared = o->shared && (!o->output || !strcmp(o->output, "-"));
	}
	err = collector__add_sink(c, s);
	if (!err && (o->svg || o->html))
		err = collector__add_sink(c, sink_svg__new(o->svg, o->html));
	if (!err && o->apmon && o->apmon->n)
		err = collector__add_sink(c, sink_apmon__new(o->apmon));
	if (err || !ev) {
		if (ev && own_ev)
			fclose(ev);
		return err;
	}
	s = sink_jsonl__new(ev, o->top, true, false, false, false);
	return collector__add_sink(c, sink__own_file(s, ev, own_ev,
						     strcmp(o->events, "-") ? o->events :
									      "standard output"));
}
