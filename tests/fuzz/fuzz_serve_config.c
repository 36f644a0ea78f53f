// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve_config__parse() over a config file's bytes (/etc/jobtrace/jobtrace.conf).
 * A refused file names a line the file has and gives a reason; an accepted
 * one sets only keys it names, each with the line it was on.
 */
#include <errno.h>
#include <string.h>

#include "jobtrace/serve_config.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serve_config_file f;
	struct serve_config_error err = {};
	unsigned int lines = 1;
	int ret;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	ret = serve_config__parse((const char *)data, size, &f, &err);
	if (ret == -EINVAL) {
		if (err.line > lines || !err.reason[0] || !memchr(err.reason, 0, sizeof(err.reason)))
			abort();
	} else if (ret == 0) {
		for (int k = 0; k < JT_NOPTS; k++) {
			if (serve_config__is_set(&f, k) && (!jt_options[k].config || !f.line[k] ||
							     f.line[k] > lines))
				abort();
		}
		if (f.napmon > SERVE_CONFIG_MAX_APMON)
			abort();
	} else if (ret != -ENOMEM) {
		abort();
	}
	serve_config__free(&f);
	return 0;
}
