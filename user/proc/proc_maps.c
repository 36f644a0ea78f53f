// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/PID/smaps (fs/proc/task_mmu.c): per VMA, a maps line
 * "start-end perms offset major:minor inode   path" and then "Key: N kB"
 * lines, ending with "VmFlags:".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/proc_maps.h"
#include "jobtrace/proc_pid.h"
#include "jobtrace/util.h"

/* 65,530 VMAs (vm.max_map_count) of about 1 KiB of text each. */
#define SMAPS_MAX_BYTES (256u << 20)

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* "55d4e7a0e000-55d4e7a10000 ": the address range that opens a VMA. */
static bool is_vma_line(const char *p, const char *nl)
{
	const char *s = p;

	while (s < nl && is_hex(*s))
		s++;
	if (s == p || s == nl || *s != '-')
		return false;
	p = ++s;
	while (s < nl && is_hex(*s))
		s++;
	return s > p && s < nl && *s == ' ';
}

/* The path of a maps line: what follows the five fields and their padding. */
static void vma_path(const char *p, const char *nl, const char **path, size_t *len)
{
	for (int field = 0; field < 5; field++) {
		while (p < nl && *p != ' ')
			p++;
		while (p < nl && *p == ' ')
			p++;
	}
	*path = p;
	*len = (size_t)(nl - p);
}

static int group_for(struct proc_maps *m, const char *path, size_t len,
		     struct proc_map_group **out)
{
	struct proc_link link;
	struct proc_map_group *g;
	bool deleted = false;
	int err;

	if (len == 0) {
		path = PROC_MAPS_ANON;
		len = strlen(PROC_MAPS_ANON);
	} else if (len < sizeof(link.path)) {
		proc_link__set(&link, path, len);
		path = link.path;
		len = link.len;
		deleted = link.deleted;
	}
	/* A file's VMAs are next to each other: look at the last group first. */
	for (size_t i = m->n; i-- > 0;) {
		g = &m->v[i];
		if (g->path_len == len && g->deleted == deleted && !memcmp(g->path, path, len)) {
			*out = g;
			return 0;
		}
	}
	if (m->n == m->cap) {
		err = util__grow(&m->v, &m->cap, sizeof(*m->v), 16, UTIL_NO_MAX);
		if (err)
			return err;
	}
	g = &m->v[m->n];
	memset(g, 0, sizeof(*g));
	g->path = malloc(len + 1);
	if (!g->path)
		return -ENOMEM;
	memcpy(g->path, path, len);
	g->path[len] = '\0';
	g->path_len = len;
	g->deleted = deleted;
	m->n++;
	*out = g;
	return 0;
}

static const struct {
	const char *key;
	size_t off;
} map_fields[] = {
	{ "Size", offsetof(struct proc_map_group, size_bytes) },
	{ "Rss", offsetof(struct proc_map_group, rss_bytes) },
	{ "Pss", offsetof(struct proc_map_group, pss_bytes) },
	{ "Shared_Clean", offsetof(struct proc_map_group, shared_clean_bytes) },
	{ "Shared_Dirty", offsetof(struct proc_map_group, shared_dirty_bytes) },
	{ "Private_Clean", offsetof(struct proc_map_group, private_clean_bytes) },
	{ "Private_Dirty", offsetof(struct proc_map_group, private_dirty_bytes) },
	{ "Referenced", offsetof(struct proc_map_group, referenced_bytes) },
	{ "Anonymous", offsetof(struct proc_map_group, anonymous_bytes) },
	{ "Swap", offsetof(struct proc_map_group, swap_bytes) },
};

/* Adds "Key:   N kB" to @g when Key is one we sum; other lines pass. */
static int add_field(struct proc_map_group *g, const char *p, const char *nl)
{
	const char *colon = memchr(p, ':', (size_t)(nl - p)), *v;
	uint64_t n = 0, *dst;
	size_t klen;

	if (!colon)
		return -EINVAL;
	klen = (size_t)(colon - p);
	for (size_t i = 0; i < ARRAY_SIZE(map_fields); i++) {
		if (strlen(map_fields[i].key) != klen || memcmp(map_fields[i].key, p, klen))
			continue;
		v = colon + 1;
		while (v < nl && *v == ' ')
			v++;
		if (nl - v < 4 || memcmp(nl - 3, " kB", 3))
			return -EINVAL;
		for (; v < nl - 3; v++) {
			unsigned int d = (unsigned char)*v - '0';

			if (d > 9 || n > (UINT64_MAX / 1024 - d) / 10)
				return -EINVAL;
			n = n * 10 + d;
		}
		dst = (uint64_t *)((char *)g + map_fields[i].off);
		if (__builtin_add_overflow(*dst, n * 1024, dst))
			return -EINVAL;
		return 0;
	}
	return 0;
}

int proc_maps__parse(const char *buf, size_t len, struct proc_maps *out)
{
	const char *p = buf, *end = buf + len, *nl, *path;
	struct proc_map_group *g = NULL;
	size_t plen;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return -ESRCH;
	if (buf[len - 1] != '\n')
		return -EINVAL;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (is_vma_line(p, nl)) {
			vma_path(p, nl, &path, &plen);
			err = group_for(out, path, plen, &g);
			if (err)
				break;
			g->mappings++;
		} else if (!g) {
			err = -EINVAL; /* a field before any VMA */
			break;
		} else {
			err = add_field(g, p, nl);
			if (err)
				break;
		}
	}
	if (err)
		proc_maps__free(out);
	return err;
}

int proc_maps__read(int proc_fd, int pid, struct proc_maps *out)
{
	char path[32], *buf;
	ssize_t n;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%d/smaps", pid);
	n = util__read_file_alloc(proc_fd, path, SMAPS_MAX_BYTES, &buf);
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	err = proc_maps__parse(buf, (size_t)n, out);
	free(buf);
	return err;
}

void proc_maps__free(struct proc_maps *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof(*m));
}
