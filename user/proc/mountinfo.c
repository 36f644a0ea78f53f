// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The mount table from /proc/self/mountinfo (fs/proc_namespace.c show_mountinfo). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/mountinfo.h"
#include "jobtrace/util.h"

/* About 200 bytes a line: MOUNTINFO_MAX_MOUNTS lines fit. */
#define MOUNTINFO_FILE_MAX (32U << 20)

/*
 * Decodes the kernel's \ooo escapes (seq_file mangle) in place; returns the
 * new end. A backslash not followed by three octal digits, or \000, which
 * the kernel never writes, is kept as it is.
 */
static char *unescape(char *s, char *end)
{
	char *out = s;

	while (s < end) {
		if (*s == '\\' && end - s >= 4 && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			int c = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');

			if (c) {
				*out++ = (char)c;
				s += 4;
				continue;
			}
		}
		*out++ = *s++;
	}
	*out = '\0';
	return out;
}

/* Decimal u32 over the whole of [s, end). */
static bool parse_u32(const char *s, const char *end, __u32 *v)
{
	__u64 n = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (__u64)(*s - '0');
		if (n > UINT32_MAX)
			return false;
	}
	*v = (__u32)n;
	return true;
}

/*
 * Cuts the next single-space-separated field of [*pos, end) and decodes it.
 * Fields may be empty (a mount whose source is ""), so runs of spaces are
 * not collapsed. Returns the field, or NULL when the line has no more.
 */
static char *next_field(char **pos, char *end, bool *last)
{
	char *s = *pos, *sp;

	if (*last)
		return NULL;
	sp = memchr(s, ' ', (size_t)(end - s));
	if (!sp) {
		sp = end;
		*last = true;
	}
	*pos = sp + 1;
	unescape(s, sp);
	return s;
}

/* One line, [line, end), NUL-terminated pieces in place. */
static bool parse_mount(char *line, char *end, struct mount_entry *m)
{
	char *pos = line, *f, *colon;
	bool last = false;

	*end = '\0';
	f = next_field(&pos, end, &last);
	if (!f || !parse_u32(f, f + strlen(f), &m->mount_id))
		return false;
	f = next_field(&pos, end, &last);
	if (!f || !parse_u32(f, f + strlen(f), &m->parent_id))
		return false;
	f = next_field(&pos, end, &last);
	if (!f || !(colon = strchr(f, ':')) || !parse_u32(f, colon, &m->major) ||
	    !parse_u32(colon + 1, colon + strlen(colon), &m->minor))
		return false;
	if (!(m->root = next_field(&pos, end, &last)) ||
	    !(m->mount_point = next_field(&pos, end, &last)) ||
	    !(m->mount_options = next_field(&pos, end, &last)))
		return false;

	/*
	 * (7) zero or more "tag[:value]" fields, ended by a lone "-" (8). They
	 * are kept raw, as one string: the kernel writes them unescaped.
	 */
	if (last)
		return false;
	m->optional = pos;
	for (;;) {
		char *sp = memchr(pos, ' ', (size_t)(end - pos));

		if (!sp)
			return false; /* no "-", or nothing after it */
		if (sp - pos == 1 && *pos == '-') {
			/* Cut at the space before "-", or at "-" when there are none. */
			*(pos == m->optional ? pos : pos - 1) = '\0';
			pos = sp + 1;
			break;
		}
		pos = sp + 1;
	}

	if (!(m->fs_type = next_field(&pos, end, &last)) ||
	    !(m->source = next_field(&pos, end, &last)) ||
	    !(m->super_options = next_field(&pos, end, &last)))
		return false;
	/* No kernel writes more; a line that has more is not understood. */
	return last;
}

void mountinfo__free(struct mountinfo *mi)
{
	if (!mi)
		return;
	free(mi->mounts);
	free(mi->strings);
	memset(mi, 0, sizeof(*mi));
}

int mountinfo__parse(const char *buf, size_t len, struct mountinfo *mi)
{
	char *pos, *end;
	size_t cap = 0;

	memset(mi, 0, sizeof(*mi));
	/* Decoding only shrinks a field, so one copy holds every string. */
	mi->strings = malloc(len + 1);
	if (!mi->strings)
		return -ENOMEM;
	if (len)
		memcpy(mi->strings, buf, len); /* buf may be NULL when len is 0 */
	mi->strings[len] = '\0';
	pos = mi->strings;
	end = mi->strings + len;

	while (pos < end) {
		char *nl = memchr(pos, '\n', (size_t)(end - pos));
		struct mount_entry m;

		if (!nl) {
			mi->bad_lines++; /* cut short: its last field may be too */
			break;
		}
		if (nl == pos) {
			pos = nl + 1;
			continue;
		}
		memset(&m, 0, sizeof(m));
		if (!parse_mount(pos, nl, &m)) {
			mi->bad_lines++;
			pos = nl + 1;
			continue;
		}
		pos = nl + 1;
		if (mi->nr == cap) {
			int err = util__grow(&mi->mounts, &cap, sizeof(*mi->mounts), 64,
					     MOUNTINFO_MAX_MOUNTS);

			if (err) {
				mountinfo__free(mi);
				return err;
			}
		}
		mi->mounts[mi->nr++] = m;
	}
	return 0;
}

const struct mount_entry *mountinfo__find(const struct mountinfo *mi, const char *mount_point)
{
	for (size_t i = mi->nr; i-- > 0;)
		if (!strcmp(mi->mounts[i].mount_point, mount_point))
			return &mi->mounts[i];
	return NULL;
}

int mountinfo__read(int proc_dirfd, struct mountinfo *mi)
{
	char *buf;
	ssize_t n;
	int err;

	memset(mi, 0, sizeof(*mi));
	n = util__read_file_alloc(proc_dirfd, "self/mountinfo", MOUNTINFO_FILE_MAX, &buf);
	if (n < 0)
		return (int)n;
	err = mountinfo__parse(buf, (size_t)n, mi);
	free(buf);
	return err;
}
