// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --apmon SPEC of run, watch and serve: a destination of the ApMon sink
 * (user/out/sink_apmon.c), taken from the command line with its usage
 * error, which is a command's to print.
 */
#include "jobtrace/apmon.h"
#include "jobtrace/cli.h"

int apmon__add_dest_arg(struct apmon_opts *o, const char *cmd, const char *spec)
{
	const char *why = "";
	int err;

	if (o->n == APMON_MAX_DESTS)
		return cli__usage_error(cmd, "at most %d --apmon destinations", APMON_MAX_DESTS);
	err = o->nowait ? apmon__parse_dest_nowait(spec, &o->dests[o->n], &why) :
			  apmon__parse_dest(spec, &o->dests[o->n], &why);
	if (err)
		return cli__usage_error(cmd, "--apmon takes HOST[:PORT][ PASSWORD], not '%s': %s",
					spec, why);
	o->n++;
	return 0;
}
