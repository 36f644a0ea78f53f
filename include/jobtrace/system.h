/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `jobtrace system`: one snapshot of the host, sampled by the host sampler
 * (jobtrace/host.h) and written as JSON or text. The writers are functions
 * a test can drive with a sample taken over fixture trees.
 */
#ifndef JOBTRACE_SYSTEM_H
#define JOBTRACE_SYSTEM_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdio.h>

#include "jobtrace/host.h"
#include "jobtrace/json.h"

/*
 * The report. @rates may be NULL (--interval 0): counters only, every rate
 * null in JSON and left out of the text. @proc_root and @sys_root name the
 * roots in warnings. Return 0 or the writer's error (-EIO).
 */
int host__write_json(FILE *f, const struct host_sample *s, const struct host_rates *rates,
		     const char *proc_root, const char *sys_root, bool pretty);
int host__write_text(FILE *f, const struct host_sample *s, const struct host_rates *rates,
		     const char *proc_root, const char *sys_root);

/*
 * The same report's members, into the object open in @w: every member of
 * host__write_json()'s document but its "version", which is the record's
 * to give. The JSON-lines "system" record is made so. Errors stick in
 * w->err, as with every json__ call.
 */
void host__write_json_fields(struct json_writer *w, const struct host_sample *s,
			     const struct host_rates *rates, const char *proc_root,
			     const char *sys_root);


#ifdef __cplusplus
}
#endif

#endif
