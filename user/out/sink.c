// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What every sink shares: its output file, its first write error, its end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/sink.h"

FILE *sink__open_path(const char *path, bool *own)
{
	FILE *f;

	*own = false;
	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "w");
	if (!f)
		return NULL;
	*own = true;
	return f;
}

int sink__check(struct sink *s)
{
	if (!s->err && ferror(s->f))
		s->err = -(errno ? errno : EIO);
	return s->err;
}

void sink__free(struct sink *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->free)
		s->ops->free(s);
	if (s->own_f && s->f)
		fclose(s->f);
	free(s);
}
