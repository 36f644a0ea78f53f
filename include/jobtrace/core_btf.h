/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The part of the kernel's BTF a BPF object's CO-RE relocations can match
 * (user/bpf/core_btf.c), for libbpf's btf_custom_path: libbpf looks for
 * each relocated type's candidates by walking every type of the BTF it is
 * given, about 1 ms a type over the kernel's 125,000 (24 types: 24 ms of
 * every start); over the cut-down copy, nothing.
 */
#ifndef JOBTRACE_CORE_BTF_H
#define JOBTRACE_CORE_BTF_H

#include <stddef.h>

#include "jobtrace/kernel_btf.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The raw .BTF section of the BPF ELF object @elf (@size bytes) in @btf and
 * @btf_size; -EPROTO when it has none or is not a 64-bit ELF object.
 */
int core_btf__elf_section(const void *elf, size_t size, const void **btf, size_t *btf_size);

/*
 * Every struct, union, enum and typedef of @kernel whose name a named type
 * of the local BTF @local (raw, @local_size bytes) has, flavour suffixes
 * ("___pre62") left out: whole, with each type they embed; a pointer in
 * them points to void. In a memfd; its fd, or a negative errno (-EPROTO:
 * a kind or a layout this copy does not make; a caller then lets libbpf
 * use the kernel's BTF).
 */
int core_btf__make(const struct kernel_btf *kernel, const void *local, size_t local_size);

#ifdef __cplusplus
}
#endif

#endif /* JOBTRACE_CORE_BTF_H */
