// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The control socket's request lines (serve --control), cut as its reader
 * cuts them: at each '\n', a '\r' before it dropped, then
 * control__parse_request(). An accepted request has a key the protocol
 * allows and a pid in range; a refused one has a message for its ERR reply.
 * A key's report file name is a single name, never a path or hidden.
 */
#include <errno.h>
#include <limits.h>

#include "jobtrace/control.h"

#include "fuzz.h"

static void fuzz_control_check(const struct control_request *req, int err, const char *why)
{
	if (err) {
		if (err != -EINVAL || !why[0])
			abort();
		return;
	}
	if (why[0])
		abort();
	if (req->verb == CONTROL_LIST)
		return;
	if (!req->key || !req->key[0] || strlen(req->key) > CONTROL_KEY_MAX)
		abort();
	for (const char *k = req->key; *k; k++)
		if (*k <= ' ' || *k > '~')
			abort();
	if (req->verb == CONTROL_REGISTER && (req->pid < 2 || req->pid > (1UL << 22)))
		abort();
	if (req->dir && (!req->dir[0] || strpbrk(req->dir, " \t")))
		abort();
	if (req->top > 100000)
		abort();
	/* Its report file: one name in the directory, never a path, never hidden. */
	{
		char name[NAME_MAX + 1];
		size_t n;

		if (control__report_name(req->key, name, sizeof(name)))
			return;
		n = strlen(name);
		if (strchr(name, '/') || name[0] == '.' || n > NAME_MAX || n < 6 ||
		    strcmp(name + n - 5, ".json"))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	while (size) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t len = nl ? (size_t)(nl - data) : size;
		struct control_request req;
		char why[80];
		char *line;
		int err;

		/* Longer lines never reach the parser: the reader answers them itself. */
		if (!nl || len >= CONTROL_LINE_MAX)
			break;
		line = fuzz__cstr(data, len);
		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		err = control__parse_request(line, &req, why, sizeof(why));
		fuzz_control_check(&req, err, why);
		free(line);
		data += len + 1;
		size -= len + 1;
	}
	return 0;
}
