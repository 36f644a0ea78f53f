/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's BTF read in place (user/bpf/kernel_btf.c): the few look-ups
 * the loader makes before libbpf's load, without a second full parse of
 * it (libbpf parses it again for CO-RE: ~9 ms and ~10 MiB each time).
 */
#ifndef JOBTRACE_KERNEL_BTF_H
#define JOBTRACE_KERNEL_BTF_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/btf.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kernel_btf {
	const char *types; /* the type section */
	const char *strs;  /* the string section */
	__u32 strs_len;
	__u32 *offs; /* offs[id - 1]: the offset of type id in types */
	__u32 n;     /* types, the void type 0 not counted */
	void *map;   /* what kernel_btf__open() mapped or read */
	size_t map_size;
	int mapped; /* 1: map is an mmap; 0: a malloc'd copy */
};

/*
 * Indexes raw BTF @data of @size bytes (native byte order, one object, no
 * base), which must stay while @kb is used. 0, or -EPROTO for what it cannot
 * read (a kind it does not know, a bound crossed), -ENOMEM.
 */
int kernel_btf__index(struct kernel_btf *kb, const void *data, size_t size);
/* Maps (or, where the kernel cannot map it, reads) @path and indexes it. */
int kernel_btf__open(struct kernel_btf *kb, const char *path);
void kernel_btf__close(struct kernel_btf *kb);

/* Type @id; NULL when out of range (void, 0, included). */
const struct btf_type *kernel_btf__type(const struct kernel_btf *kb, __u32 id);
/* The id of the first type of @kind named @name; -ENOENT when none. */
int kernel_btf__find(const struct kernel_btf *kb, const char *name, int kind);

/*
 * The prototype of tracepoint @tp as its btf_trace_ typedef gives it, for a
 * tp_btf program (whose first parameter is the context); NULL if none.
 */
const struct btf_type *kernel_btf__tp_proto(const struct kernel_btf *kb, const char *tp);

/*
 * The subsystem id of cgroup v1 @controller, named as /proc/cgroups and
 * the v1 mount options name it ("memory", "blkio"): the index of
 * task->cgroups->subsys[], the value of its <name>_cgrp_id in enum
 * cgroup_subsys_id ("blkio" is io_cgrp_id). Where @kb has no such enum or
 * value: @line_ssid, the controller's line in /proc/cgroups
 * (cgroupfs__find()), with *@from_btf false.
 */
int kernel_btf__cgroup_ssid(const struct kernel_btf *kb, const char *controller, int line_ssid,
			    bool *from_btf);

#ifdef __cplusplus
}
#endif

#endif /* JOBTRACE_KERNEL_BTF_H */
