// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A cut-down copy of the kernel's BTF for libbpf's CO-RE relocations.
 *
 * libbpf relocates a field access by taking every target type of the
 * local type's kind whose name is the local name without its flavour
 * ("mm_struct" for "mm_struct___pre62"), then following the access path
 * through their members. It finds those candidates by walking every type
 * of the target BTF, once per relocated local type: about 1 ms each over
 * the kernel's 125,000 types on the test machine, 24 ms of every start of
 * run (libbpf's debug log, timed; the largest part of start-up).
 *
 * What a relocation can reach from a candidate: its members and, through
 * an embedded struct, union or array, theirs. A pointer ends the path (a
 * read through it is a relocation of its own, rooted at the pointee's
 * type, which is then a candidate by its own name), and two fields are
 * compatible when both are pointers, whatever they point to. So the copy
 * holds each kernel struct, union, enum and typedef named as a local type
 * is, whole, and each type they embed; every pointer in them points to
 * void. Names, sizes, member offsets, bitfield sizes, int encodings and
 * enum values are the kernel's, so every relocation computes the offset,
 * size, existence or value it would against the whole BTF.
 *
 * Not the ids: a type-id relocation (bpf_core_type_id_kernel()) would
 * give the copy's. The lineage object takes the kernel's ids of the types
 * it casts to from the loader instead (bpf/core_fixes.bpf.h).
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "jobtrace/core_btf.h"

/* Embedded types inside embedded types: task_struct's deepest is under 10. */
#define MAX_DEPTH 64

int core_btf__elf_section(const void *elf, size_t size, const void **btf, size_t *btf_size)
{
	const char *base = elf;
	Elf64_Ehdr eh;
	Elf64_Shdr strtab, sh;

	/* The skeleton's bytes are a string literal: read the headers by copies. */
	if (size < sizeof(eh))
		return -EPROTO;
	memcpy(&eh, base, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > size ||
	    (size - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum || eh.e_shstrndx >= eh.e_shnum)
		return -EPROTO;
	memcpy(&strtab, base + eh.e_shoff + (size_t)eh.e_shstrndx * sizeof(sh), sizeof(sh));
	if (strtab.sh_offset > size || strtab.sh_size > size - strtab.sh_offset)
		return -EPROTO;
	for (size_t i = 0; i < eh.e_shnum; i++) {
		memcpy(&sh, base + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_name >= strtab.sh_size ||
		    strnlen(base + strtab.sh_offset + sh.sh_name, strtab.sh_size - sh.sh_name) !=
			    strlen(".BTF") ||
		    memcmp(base + strtab.sh_offset + sh.sh_name, ".BTF", strlen(".BTF")))
			continue;
		if (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset)
			return -EPROTO;
		*btf = base + sh.sh_offset;
		*btf_size = sh.sh_size;
		return 0;
	}
	return -EPROTO;
}

/* ---- the names the local types have ---- */

struct name_set {
	const char **names; /* open addressing; NULL: empty */
	size_t *lens;
	size_t mask;
};

/*
 * The length of @name without a flavour: "mm_struct___pre62" is
 * "mm_struct". The last "X___Y" (X and Y not underscores) splits it, as
 * libbpf's candidate search reads a name.
 */
static size_t essential_len(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = n >= 5 ? n - 5 + 1 : 0; i-- > 0;) {
		if (name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' &&
		    name[i + 3] == '_' && name[i + 4] != '_')
			return i + 1;
	}
	return n;
}

static size_t name_hash(const char *s, size_t len)
{
	size_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* Adds @name's first @len bytes; a name already there is kept once. */
static void name_set__add(struct name_set *s, const char *name, size_t len)
{
	size_t i = name_hash(name, len) & s->mask;

	while (s->names[i]) {
		if (s->lens[i] == len && !memcmp(s->names[i], name, len))
			return;
		i = (i + 1) & s->mask;
	}
	s->names[i] = name;
	s->lens[i] = len;
}

static bool name_set__has(const struct name_set *s, const char *name, size_t len)
{
	size_t i = name_hash(name, len) & s->mask;

	while (s->names[i]) {
		if (s->lens[i] == len && !memcmp(s->names[i], name, len))
			return true;
		i = (i + 1) & s->mask;
	}
	return false;
}

static const char *name_at(const struct kernel_btf *kb, __u32 off)
{
	return off < kb->strs_len ? kb->strs + off : NULL;
}

/* The kinds a candidate can have; a local type of another kind roots no search. */
static bool kind_searched(int kind)
{
	return kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION || kind == BTF_KIND_ENUM ||
	       kind == BTF_KIND_ENUM64 || kind == BTF_KIND_TYPEDEF;
}

/* Every named struct, union, enum and typedef of @local, flavours cut off. */
static int name_set__fill(struct name_set *s, const struct kernel_btf *local)
{
	size_t cap = 64;

	/* At most half full. */
	while (cap < 2 * ((size_t)local->n + 1))
		cap *= 2;
	s->names = calloc(cap, sizeof(*s->names));
	s->lens = calloc(cap, sizeof(*s->lens));
	if (!s->names || !s->lens)
		return -ENOMEM;
	s->mask = cap - 1;
	for (__u32 id = 1; id <= local->n; id++) {
		const struct btf_type *t = kernel_btf__type(local, id);
		const char *name = name_at(local, t->name_off);

		if (!kind_searched(btf_kind(t)) || !name || !name[0])
			continue;
		name_set__add(s, name, essential_len(name));
	}
	return 0;
}

static void name_set__free(struct name_set *s)
{
	free(s->names);
	free(s->lens);
}

/* ---- the copy ---- */

struct copy {
	const struct kernel_btf *kb;
	struct btf *out;
	__u32 *ids;    /* ids[kernel id]: its id in out; 0 while not copied */
	int void_ptr; /* out's one pointer type, to void; 0 until made */
};

static int copy_type(struct copy *c, __u32 id, int depth);

/* A struct or union: the types of its members first, then it, then its members. */
static int copy_composite(struct copy *c, const struct btf_type *t, const char *name, int depth)
{
	const struct btf_member *m = btf_members(t);
	__u16 vlen = btf_vlen(t);
	int *member_ids, id, err = 0;

	member_ids = calloc(vlen ? vlen : 1, sizeof(*member_ids));
	if (!member_ids)
		return -ENOMEM;
	for (__u16 i = 0; i < vlen; i++) {
		member_ids[i] = copy_type(c, m[i].type, depth + 1);
		if (member_ids[i] < 0) {
			err = member_ids[i];
			goto out;
		}
	}
	id = btf_kind(t) == BTF_KIND_STRUCT ? btf__add_struct(c->out, name, t->size) :
					      btf__add_union(c->out, name, t->size);
	if (id < 0) {
		err = id;
		goto out;
	}
	for (__u16 i = 0; i < vlen; i++) {
		err = btf__add_field(c->out, name_at(c->kb, m[i].name_off), member_ids[i],
				     btf_member_bit_offset(t, i), btf_member_bitfield_size(t, i));
		if (err)
			goto out;
	}
	err = id;
out:
	free(member_ids);
	return err;
}

static int copy_enum(struct copy *c, const struct btf_type *t, const char *name)
{
	const struct btf_enum64 *e64 = btf_enum64(t);
	const struct btf_enum *e = btf_enum(t);
	__u16 vlen = btf_vlen(t);
	struct btf_type *made;
	int id, err;

	if (btf_kind(t) == BTF_KIND_ENUM64) {
		id = btf__add_enum64(c->out, name, t->size, btf_kflag(t));
		for (__u16 i = 0; id > 0 && i < vlen; i++) {
			err = btf__add_enum64_value(c->out, name_at(c->kb, e64[i].name_off),
						    btf_enum64_value(&e64[i]));
			if (err)
				return err;
		}
		return id;
	}
	id = btf__add_enum(c->out, name, t->size);
	for (__u16 i = 0; id > 0 && i < vlen; i++) {
		/* The value's 32 bits as the kernel has them, signed or not. */
		__s64 v = btf_kflag(t) ? (__s64)e[i].val : (__s64)(__u32)e[i].val;

		err = btf__add_enum_value(c->out, name_at(c->kb, e[i].name_off), v);
		if (err)
			return err;
	}
	if (id < 0)
		return id;
	/* Signedness as the kernel says it (libbpf sets it only for a negative value). */
	made = (struct btf_type *)btf__type_by_id(c->out, (__u32)id);
	made->info = (made->info & ~(1U << 31)) | (t->info & (1U << 31));
	return id;
}

static int copy_type(struct copy *c, __u32 id, int depth)
{
	const struct btf_type *t;
	const char *name;
	int made, ref, index;

	if (id == 0)
		return 0;
	if (id > c->kb->n || depth > MAX_DEPTH)
		return -EPROTO;
	if (c->ids[id])
		return (int)c->ids[id];
	t = kernel_btf__type(c->kb, id);
	name = name_at(c->kb, t->name_off);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		/* An int of odd bits or offset (old bitfield encodings) is not made here. */
		if (btf_int_offset(t) || btf_int_bits(t) != t->size * 8)
			return -EPROTO;
		made = btf__add_int(c->out, name, t->size, btf_int_encoding(t));
		break;
	case BTF_KIND_FLOAT:
		made = btf__add_float(c->out, name, t->size);
		break;
	case BTF_KIND_PTR:
		if (!c->void_ptr)
			c->void_ptr = btf__add_ptr(c->out, 0);
		made = c->void_ptr;
		break;
	case BTF_KIND_FWD:
		made = btf__add_fwd(c->out, name, btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		break;
	case BTF_KIND_ARRAY:
		ref = copy_type(c, btf_array(t)->type, depth + 1);
		index = ref < 0 ? ref : copy_type(c, btf_array(t)->index_type, depth + 1);
		made = index < 0 ? index : btf__add_array(c->out, index, ref, btf_array(t)->nelems);
		break;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		ref = copy_type(c, t->type, depth + 1);
		if (ref < 0)
			return ref;
		made = btf_kind(t) == BTF_KIND_TYPEDEF	  ? btf__add_typedef(c->out, name, ref) :
		       btf_kind(t) == BTF_KIND_VOLATILE ? btf__add_volatile(c->out, ref) :
		       btf_kind(t) == BTF_KIND_CONST	  ? btf__add_const(c->out, ref) :
		       btf_kind(t) == BTF_KIND_RESTRICT ? btf__add_restrict(c->out, ref) :
							  btf__add_type_tag(c->out, name, ref);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		made = copy_composite(c, t, name, depth);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		made = copy_enum(c, t, name);
		break;
	default:
		/* A function, variable or section is no member's type. */
		return -EPROTO;
	}
	if (made <= 0)
		return made < 0 ? made : -EPROTO;
	c->ids[id] = (__u32)made;
	return made;
}

/* @raw (@size bytes) in a memfd: its fd, or a negative errno. */
static int memfd_of(const void *raw, size_t size)
{
	size_t done = 0;
	ssize_t n;
	int fd, err;

	fd = memfd_create("jobtrace-core-btf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (done < size) {
		n = write(fd, (const char *)raw + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			close(fd);
			return err;
		}
		done += (size_t)n;
	}
	return fd;
}

int core_btf__make(const struct kernel_btf *kernel, const void *local, size_t local_size)
{
	struct kernel_btf lb = { 0 };
	struct name_set names = { 0 };
	struct copy c = { .kb = kernel };
	const void *raw;
	void *local_copy;
	__u32 raw_size;
	int err;

	/* The section may sit at any alignment in the skeleton's bytes: index an aligned copy. */
	local_copy = malloc(local_size ? local_size : 1);
	if (!local_copy)
		return -ENOMEM;
	memcpy(local_copy, local, local_size);
	err = kernel_btf__index(&lb, local_copy, local_size);
	if (err)
		goto out;
	err = name_set__fill(&names, &lb);
	if (err)
		goto out;
	c.ids = calloc((size_t)kernel->n + 1, sizeof(*c.ids));
	c.out = btf__new_empty();
	if (!c.ids || !c.out) {
		err = -ENOMEM;
		goto out;
	}
	/* One walk of the kernel's types, each name looked up in the set. */
	for (__u32 id = 1; id <= kernel->n; id++) {
		const struct btf_type *t = kernel_btf__type(kernel, id);
		const char *name;

		if (!kind_searched(btf_kind(t)))
			continue;
		name = name_at(kernel, t->name_off);
		if (!name || !name[0] || !name_set__has(&names, name, essential_len(name)))
			continue;
		err = copy_type(&c, id, 0);
		if (err < 0)
			goto out;
	}
	raw = btf__raw_data(c.out, &raw_size);
	err = raw ? memfd_of(raw, raw_size) : -ENOMEM;
out:
	btf__free(c.out);
	free(c.ids);
	name_set__free(&names);
	free(lb.offs);
	free(local_copy);
	return err;
}
