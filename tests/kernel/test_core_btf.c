// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The cut-down BTF the lineage object is relocated against
 * (user/bpf/core_btf.c) gives every program the instructions the kernel's
 * whole BTF gives: each program of each kind of load, relocated both ways
 * (JOBTRACE_FULL_BTF=1 is the whole BTF), is the same instruction for
 * instruction but for the map fds, which differ between any two loads.
 * And the copy is what makes start-up cheap: a small fraction of the
 * kernel's types.
 * Needs root and BPF; a machine without them fails the suite.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "testutil.h"
#include "harness.h"
#include "jobtrace/core_btf.h"
#include "../../user/bpf/lineage_priv.h"

/* One program's instructions after the load, map fds blanked out. */
struct prog_insns {
	char name[64];
	struct bpf_insn *insns;
	size_t n;
};

struct load {
	struct prog_insns progs[64];
	size_t n;
};

/* ld_imm64's first half whose imm is a map fd (or a map's index). */
static bool holds_map_fd(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_DW | BPF_IMM) &&
	       (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_VALUE ||
		in->src_reg == BPF_PSEUDO_MAP_IDX || in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE);
}

/* Opens (loads and attaches) lineage with @o, the whole BTF when @full; its programs in @l. */
static void load_programs(const struct lineage_opts *o, bool full, struct load *l)
{
	struct bpf_program *prog;
	struct lineage *lt;

	if (full)
		setenv("JOBTRACE_FULL_BTF", "1", 1);
	else
		unsetenv("JOBTRACE_FULL_BTF");
	lt = lineage__open(o);
	unsetenv("JOBTRACE_FULL_BTF");
	assert_non_null(lt);
	l->n = 0;
	bpf_object__for_each_program(prog, lt->skel->obj)
	{
		struct prog_insns *p;

		if (!bpf_program__autoload(prog))
			continue;
		assert_true(l->n < sizeof(l->progs) / sizeof(l->progs[0]));
		p = &l->progs[l->n++];
		snprintf(p->name, sizeof(p->name), "%s", bpf_program__name(prog));
		p->n = bpf_program__insn_cnt(prog);
		p->insns = malloc(p->n * sizeof(*p->insns));
		assert_non_null(p->insns);
		memcpy(p->insns, bpf_program__insns(prog), p->n * sizeof(*p->insns));
		for (size_t i = 0; i < p->n; i++)
			if (holds_map_fd(&p->insns[i]))
				p->insns[i].imm = 0;
	}
	lineage__free(lt);
}

static void free_load(struct load *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->progs[i].insns);
	l->n = 0;
}

/* @o relocated against the copy and against the whole BTF: the same programs, the same insns. */
static void assert_same_relocations(const struct lineage_opts *o, const char *what)
{
	static struct load cut, whole;
	size_t differ = 0;

	load_programs(o, false, &cut);
	load_programs(o, true, &whole);
	assert_int_equal(cut.n, whole.n);
	assert_true(cut.n > 0);
	for (size_t i = 0; i < cut.n; i++) {
		struct prog_insns *a = &cut.progs[i], *b = &whole.progs[i];

		assert_string_equal(a->name, b->name);
		assert_int_equal(a->n, b->n);
		for (size_t k = 0; k < a->n; k++) {
			if (memcmp(&a->insns[k], &b->insns[k], sizeof(a->insns[k])) == 0)
				continue;
			if (differ++ < 5)
				print_error("%s: %s insn %zu: code %#x off %d imm %d against the "
					    "whole BTF's code %#x off %d imm %d\n",
					    what, a->name, k, a->insns[k].code, a->insns[k].off,
					    a->insns[k].imm, b->insns[k].code, b->insns[k].off,
					    b->insns[k].imm);
		}
	}
	print_message("  %s: %zu programs, %zu instructions that differ\n", what, cut.n, differ);
	assert_int_equal(differ, 0);
	free_load(&cut);
	free_load(&whole);
}

/* run's load, and watch --pid's with the attach iterator, and serve --control's adoption. */
static void test_lineage_relocations(void **state)
{
	struct lineage_opts o = { .group = JT_GROUP_LINEAGE, .capture_args = true };

	assert_same_relocations(&o, "run");
	o.attach = true;
	o.adopt = true;
	assert_same_relocations(&o, "attach and adopt");
}

/* Host mode's groupings load the setsid, setuid and cgroup programs. */
static void test_host_mode_relocations(void **state)
{
	struct lineage_opts o = { .group = JT_GROUP_SESSION, .fork_records = true };

	assert_same_relocations(&o, "host by session");
	o.group = JT_GROUP_USER;
	assert_same_relocations(&o, "host by user");
	o.group = JT_GROUP_CGROUP;
	o.cgrp_ssid = -1;
	o.follow_cgroups = true;
	o.watch_ssid = -1;
	assert_same_relocations(&o, "host by cgroup2");
}

/* The older kernels' object (no bpf_rdonly_cast), forced here: relocated the same both ways. */
static void test_compat_relocations(void **state)
{
	struct lineage_opts o = { .group = JT_GROUP_LINEAGE, .attach = true };

	setenv("JOBTRACE_BPF_COMPAT", "1", 1);
	assert_same_relocations(&o, "older kernels' object");
	unsetenv("JOBTRACE_BPF_COMPAT");
}

/* The copy is small: what libbpf walks per relocated type is a sliver of the kernel's. */
static void test_copy_is_small(void **state)
{
	struct kernel_btf vmlinux;
	const void *elf, *local;
	size_t elf_size, local_size;
	char path[64];
	struct btf *copy;
	int fd;

	assert_int_equal(kernel_btf__open(&vmlinux, "/sys/kernel/btf/vmlinux"), 0);
	elf = lineage_bpf__elf_bytes(&elf_size);
	assert_int_equal(core_btf__elf_section(elf, elf_size, &local, &local_size), 0);
	fd = core_btf__make(&vmlinux, local, local_size);
	assert_true(fd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	copy = btf__parse(path, NULL);
	assert_non_null(copy);
	print_message("  the copy: %u types of the kernel's %u\n", btf__type_cnt(copy) - 1,
		      vmlinux.n);
	assert_true(btf__type_cnt(copy) > 10);
	assert_true((btf__type_cnt(copy) - 1) * 20 < vmlinux.n);
	/* What the programs read is there, the kernel's own layout. */
	assert_true(btf__find_by_name_kind(copy, "task_struct", BTF_KIND_STRUCT) > 0);
	assert_true(btf__find_by_name_kind(copy, "mm_struct", BTF_KIND_STRUCT) > 0);
	btf__free(copy);
	close(fd);
	kernel_btf__close(&vmlinux);
}

/* Bytes that are no ELF object, or one without BTF, are refused, not read past. */
static void test_elf_section_refuses(void **state)
{
	static const char junk[] = "\x7f" "ELF not really";
	const void *btf;
	size_t size;

	assert_int_equal(core_btf__elf_section(junk, sizeof(junk), &btf, &size), -EPROTO);
	assert_int_equal(core_btf__elf_section(junk, 3, &btf, &size), -EPROTO);
}

static int setup(void **state)
{
	return harness__group_setup("core-btf", false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_section_refuses),
		cmocka_unit_test(test_copy_is_small),
		cmocka_unit_test(test_lineage_relocations),
		cmocka_unit_test(test_host_mode_relocations),
		cmocka_unit_test(test_compat_relocations),
	};

	if (getenv("JT_TEST"))
		cmocka_set_test_filter(getenv("JT_TEST"));
	return cmocka_run_group_tests(tests, setup, harness__group_teardown);
}
