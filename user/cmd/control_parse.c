// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * serve --control: a request line, parsed (the protocol is in
 * include/jobtrace/control.h); what it asks is done in control.c. A pure
 * function of the line, tested over it (test_control).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/cli.h"
#include "jobtrace/control.h"
#include "jobtrace/report.h"
#include "jobtrace/util.h"

#include "control_priv.h"

/* A key is printable ASCII, no spaces: it goes into lines and file names. */
static bool key_valid(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > CONTROL_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (key[i] <= ' ' || key[i] > '~')
			return false;
	return true;
}

#define CONTROL_USAGE                                                                             \
	"usage: REGISTER|ATTACH KEY PID [text] [top=N] [alloc=S ...] | END KEY [DIR] | "       \
	"REPORT|RELEASE KEY | LIST"

/* A name of a batch system or a node: 1 to @size - 1 bytes of [A-Za-z0-9._-]. */
static bool name_valid(const char *v, size_t size)
{
	size_t n = strlen(v);

	if (!n || n >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("._-", v[i]))
			return false;
	return true;
}

/* REGISTER's alloc=, cpus=, mem= and node=, each once: 0, or -EINVAL. */
static int parse_alloc(const char *tok, struct job_sched_alloc *s)
{
	unsigned long long v;
	char *end;

	if (!strncmp(tok, "alloc=", 6) && !s->system[0] && name_valid(tok + 6, sizeof(s->system))) {
		strcpy(s->system, tok + 6);
		return 0;
	}
	if (!strncmp(tok, "node=", 5) && !s->node[0] && name_valid(tok + 5, sizeof(s->node))) {
		strcpy(s->node, tok + 5);
		return 0;
	}
	if (!strncmp(tok, "cpus=", 5) && !s->cpus_known) {
		unsigned long n;

		if (cli__parse_uint(tok + 5, 1, 1U << 20, &n))
			return -EINVAL;
		s->cpus_known = true;
		s->cpus = (double)n;
		return 0;
	}
	if (!strncmp(tok, "mem=", 4) && !s->memory_known && isdigit((unsigned char)tok[4])) {
		errno = 0;
		v = strtoull(tok + 4, &end, 10);
		if (errno || !v || (*end && strcmp(end, "/job")))
			return -EINVAL;
		s->memory_known = true;
		s->memory_bytes = v;
		strcpy(s->memory_from, *end ? "job" : "step");
		return 0;
	}
	return -EINVAL;
}

int control__parse_request(char *line, struct control_request *req, char *why, size_t why_size)
{
	char *save = NULL, *tok[10];
	size_t n = 0;

	memset(req, 0, sizeof(*req));
	req->top = REPORT_DEFAULT_TOP;
	why[0] = '\0';
	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == ARRAY_SIZE(tok)) {
			snprintf(why, why_size, CONTROL_USAGE);
			return -EINVAL;
		}
		tok[n++] = t;
	}
	if (!n) {
		snprintf(why, why_size, "empty request");
		return -EINVAL;
	}
	if (!strcmp(tok[0], "LIST") && n == 1) {
		req->verb = CONTROL_LIST;
		return 0;
	}
	if (strcmp(tok[0], "REGISTER") && strcmp(tok[0], "ATTACH") && strcmp(tok[0], "END") &&
	    strcmp(tok[0], "REPORT") && strcmp(tok[0], "RELEASE") && strcmp(tok[0], "LIST")) {
		snprintf(why, why_size, "unknown request %.32s", tok[0]);
		return -EINVAL;
	}
	if (n < 2 || !key_valid(tok[1]) || !strcmp(tok[0], "LIST")) {
		snprintf(why, why_size, CONTROL_USAGE);
		return -EINVAL;
	}
	req->key = tok[1];
	if (!strcmp(tok[0], "END")) {
		if (n > 3) {
			snprintf(why, why_size, CONTROL_USAGE);
			return -EINVAL;
		}
		req->verb = CONTROL_END;
		req->dir = n == 3 ? tok[2] : NULL;
		return 0;
	}
	if (!strcmp(tok[0], "REPORT") || !strcmp(tok[0], "RELEASE")) {
		if (n > 2) {
			snprintf(why, why_size, CONTROL_USAGE);
			return -EINVAL;
		}
		req->verb = tok[0][2] == 'P' ? CONTROL_REPORT : CONTROL_RELEASE;
		return 0;
	}
	if (n < 3 || cli__parse_uint(tok[2], 2, 1U << 22, &req->pid)) {
		snprintf(why, why_size, "%s takes a key and a pid", tok[0]);
		return -EINVAL;
	}
	for (size_t i = 3; i < n; i++) {
		if (!strcmp(tok[i], "text") && !req->text) {
			req->text = true;
		} else if (!strncmp(tok[i], "top=", 4) &&
			   !cli__parse_uint(tok[i] + 4, 0, 100000, &req->top)) {
			continue;
		} else if (parse_alloc(tok[i], &req->sched)) {
			snprintf(why, why_size,
				 "%s takes the options text, top=N, alloc=, cpus=, mem=, node=, "
				 "not %.32s",
				 tok[0], tok[i]);
			return -EINVAL;
		}
	}
	/* Figures without the system that gave them would be nobody's word. */
	if (!req->sched.system[0] && (req->sched.cpus_known || req->sched.memory_known ||
				      req->sched.node[0])) {
		snprintf(why, why_size, "cpus=, mem= and node= need alloc=SYSTEM");
		return -EINVAL;
	}
	req->verb = tok[0][0] == 'A' ? CONTROL_ATTACH : CONTROL_REGISTER;
	return 0;
}
