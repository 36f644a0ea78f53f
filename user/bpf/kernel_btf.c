// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's BTF read in place: an index of the type section and
 * look-ups by id and by name, over /sys/kernel/btf/vmlinux mapped (6.16
 * and later map it; older kernels are read). The loader's feature checks
 * need three look-ups; libbpf's parse, which builds the same index and
 * checks every type, is left to libbpf's own load.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "jobtrace/kernel_btf.h"

/* The bytes a type takes after its struct btf_type; -1 for a kind not known here. */
static long type_extra(const struct btf_type *t)
{
	__u16 vlen = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return (long)vlen * sizeof(struct btf_enum64);
	default:
		return -1;
	}
}

int kernel_btf__index(struct kernel_btf *kb, const void *data, size_t size)
{
	const struct btf_header *h = data;
	size_t off = 0, cap = 0;
	__u32 *offs = NULL;
	__u32 n = 0;

	if (size < sizeof(*h) || h->magic != BTF_MAGIC || h->version != BTF_VERSION ||
	    h->hdr_len < sizeof(*h) || h->hdr_len > size)
		return -EPROTO;
	if ((size_t)h->hdr_len + h->type_off + h->type_len > size ||
	    (size_t)h->hdr_len + h->str_off + h->str_len > size || h->str_len == 0)
		return -EPROTO;
	kb->types = (const char *)data + h->hdr_len + h->type_off;
	kb->strs = (const char *)data + h->hdr_len + h->str_off;
	kb->strs_len = h->str_len;
	if (kb->strs[kb->strs_len - 1] != '\0')
		return -EPROTO;
	while (off < h->type_len) {
		const struct btf_type *t = (const void *)(kb->types + off);
		long extra;

		if (h->type_len - off < sizeof(*t))
			goto malformed;
		extra = type_extra(t);
		if (extra < 0 || h->type_len - off - sizeof(*t) < (size_t)extra)
			goto malformed;
		if (n == cap) {
			/* vmlinux holds over 100,000 types: grow by halves, not by pages. */
			size_t ncap = cap ? cap + cap / 2 : 1 << 16;
			__u32 *p = realloc(offs, ncap * sizeof(*offs));

			if (!p) {
				free(offs);
				return -ENOMEM;
			}
			offs = p;
			cap = ncap;
		}
		offs[n++] = (__u32)off;
		off += sizeof(*t) + (size_t)extra;
	}
	kb->offs = offs;
	kb->n = n;
	return 0;

malformed:
	free(offs);
	return -EPROTO;
}

int kernel_btf__open(struct kernel_btf *kb, const char *path)
{
	struct stat st;
	size_t len = 0;
	ssize_t got;
	int fd, err;

	memset(kb, 0, sizeof(*kb));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out_fd;
	}
	if (st.st_size <= 0) {
		err = -EPROTO;
		goto out_fd;
	}
	kb->map_size = (size_t)st.st_size;
	/* In place where the kernel maps it (6.16): no copy, only the pages read. */
	kb->map = mmap(NULL, kb->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (kb->map != MAP_FAILED) {
		kb->mapped = 1;
	} else {
		kb->map = malloc(kb->map_size);
		if (!kb->map) {
			err = -ENOMEM;
			goto out_fd;
		}
		while (len < kb->map_size) {
			got = pread(fd, (char *)kb->map + len, kb->map_size - len, (off_t)len);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				err = got < 0 ? -errno : -EPROTO;
				goto out_close;
			}
			len += (size_t)got;
		}
	}
	err = kernel_btf__index(kb, kb->map, kb->map_size);
	if (err)
		goto out_close;
	close(fd);
	return 0;

out_close:
	kernel_btf__close(kb);
out_fd:
	close(fd);
	return err;
}

void kernel_btf__close(struct kernel_btf *kb)
{
	if (!kb)
		return;
	if (kb->mapped)
		munmap(kb->map, kb->map_size);
	else
		free(kb->map);
	free(kb->offs);
	memset(kb, 0, sizeof(*kb));
}

const struct btf_type *kernel_btf__type(const struct kernel_btf *kb, __u32 id)
{
	if (id == 0 || id > kb->n)
		return NULL;
	return (const void *)(kb->types + kb->offs[id - 1]);
}

static const char *name_of(const struct kernel_btf *kb, __u32 off)
{
	return off < kb->strs_len ? kb->strs + off : NULL;
}

int kernel_btf__find(const struct kernel_btf *kb, const char *name, int kind)
{
	for (__u32 id = 1; id <= kb->n; id++) {
		const struct btf_type *t = kernel_btf__type(kb, id);
		const char *s;

		if (btf_kind(t) != kind)
			continue;
		s = name_of(kb, t->name_off);
		if (s && !strcmp(s, name))
			return (int)id;
	}
	return -ENOENT;
}

const struct btf_type *kernel_btf__tp_proto(const struct kernel_btf *kb, const char *tp)
{
	const struct btf_type *t;
	char name[128];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = kernel_btf__find(kb, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return NULL;
	t = kernel_btf__type(kb, kernel_btf__type(kb, (__u32)id)->type); /* pointer */
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = kernel_btf__type(kb, t->type);
	return t && btf_is_func_proto(t) ? t : NULL;
}

int kernel_btf__cgroup_ssid(const struct kernel_btf *kb, const char *controller, int line_ssid,
			    bool *from_btf)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	char name[64];
	int id;

	*from_btf = false;
	/*
	 * A subsystem's v1 name is its legacy_name: its own name, but for
	 * the io controller, which kept blkio (block/blk-cgroup.c).
	 */
	if (!strcmp(controller, "blkio"))
		controller = "io";
	if (snprintf(name, sizeof(name), "%s_cgrp_id", controller) >= (int)sizeof(name))
		return line_ssid;
	id = kernel_btf__find(kb, "cgroup_subsys_id", BTF_KIND_ENUM);
	if (id < 0)
		return line_ssid;
	t = kernel_btf__type(kb, (__u32)id);
	e = btf_enum(t);
	for (__u16 i = 0; i < btf_vlen(t); i++) {
		const char *s = name_of(kb, e[i].name_off);

		if (s && !strcmp(s, name) && e[i].val >= 0) {
			*from_btf = true;
			return e[i].val;
		}
	}
	return line_ssid;
}
