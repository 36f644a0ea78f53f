// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The in-place BTF reader against libbpf's parse of the same bytes: BTF
 * made with libbpf's writer (both tracepoint layouts the loader tells
 * apart, every kind), broken copies of it, and the running kernel's.
 */
#include "testutil.h"

#include <unistd.h>

#include <bpf/btf.h>

#include "jobtrace/kernel_btf.h"

/*
 * A kernel's worth of the loader's checks: sched_process_exit with or
 * without group_dead, mark_victim with a task or a pid, ksys_setsid.
 */
static struct btf *make_btf(bool new_layout)
{
	struct btf *b = btf__new_empty();
	int i32, u8, task, ptask, pvoid, proto, fn, en;

	assert_non_null(b);
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	u8 = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
	task = btf__add_struct(b, "task_struct", 8);
	btf__add_field(b, "pid", i32, 0, 0);
	btf__add_field(b, "tgid", i32, 32, 0);
	ptask = btf__add_ptr(b, task);
	pvoid = btf__add_ptr(b, 0);
	/* Every kind the index must step over, between the ones looked up. */
	btf__add_array(b, i32, i32, 4);
	en = btf__add_enum(b, "e", 4);
	btf__add_enum_value(b, "A", 1);
	btf__add_enum_value(b, "B", 2);
	btf__add_enum64(b, "e64", 8, false);
	btf__add_enum64_value(b, "C", 1ULL << 40);
	btf__add_union(b, "u", 4);
	btf__add_field(b, "x", i32, 0, 0);
	btf__add_fwd(b, "fwd", BTF_FWD_STRUCT);
	btf__add_const(b, en);
	btf__add_volatile(b, i32);
	btf__add_restrict(b, ptask);
	btf__add_float(b, "double", 8);
	btf__add_type_tag(b, "tag", ptask);
	btf__add_decl_tag(b, "dtag", task, -1);
	btf__add_var(b, "v", BTF_VAR_GLOBAL_ALLOCATED, i32);
	btf__add_datasec(b, ".data", 4);
	btf__add_datasec_var_info(b, btf__type_cnt(b) - 2, 0, 4);

	proto = btf__add_func_proto(b, 0);
	btf__add_func_param(b, "__data", pvoid);
	btf__add_func_param(b, "p", ptask);
	if (new_layout)
		btf__add_func_param(b, "group_dead", u8);
	btf__add_typedef(b, "btf_trace_sched_process_exit", btf__add_ptr(b, proto));

	proto = btf__add_func_proto(b, 0);
	btf__add_func_param(b, "__data", pvoid);
	btf__add_func_param(b, new_layout ? "task" : "pid", new_layout ? ptask : i32);
	if (new_layout)
		btf__add_func_param(b, "uid", i32);
	btf__add_typedef(b, "btf_trace_mark_victim", btf__add_ptr(b, proto));

	fn = btf__add_func_proto(b, i32);
	btf__add_func(b, "ksys_setsid", BTF_FUNC_GLOBAL, fn);
	return b;
}

static const void *raw_of(struct btf *b, __u32 *size)
{
	const void *raw = btf__raw_data(b, size);

	assert_non_null(raw);
	return raw;
}

/* Every type as libbpf reads it, and every look-up the loader makes. */
static void check_same(struct btf *b, const struct kernel_btf *kb)
{
	const char *tps[] = {"sched_process_exit", "mark_victim", "no_such_tp"};

	assert_int_equal(kb->n + 1, btf__type_cnt(b));
	for (__u32 id = 1; id < btf__type_cnt(b); id++)
		assert_memory_equal(kernel_btf__type(kb, id), btf__type_by_id(b, id),
				    sizeof(struct btf_type));
	assert_null(kernel_btf__type(kb, 0));
	assert_null(kernel_btf__type(kb, kb->n + 1));
	assert_int_equal(kernel_btf__find(kb, "ksys_setsid", BTF_KIND_FUNC),
			 btf__find_by_name_kind(b, "ksys_setsid", BTF_KIND_FUNC));
	assert_int_equal(kernel_btf__find(kb, "ksys_setsid", BTF_KIND_TYPEDEF), -ENOENT);
	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		const struct btf_type *t = kernel_btf__tp_proto(kb, tps[i]);
		char name[64];
		int id;

		snprintf(name, sizeof(name), "btf_trace_%s", tps[i]);
		id = btf__find_by_name_kind(b, name, BTF_KIND_TYPEDEF);
		if (id < 0) {
			assert_null(t);
			continue;
		}
		/* typedef -> pointer -> prototype, as libbpf follows them */
		id = (int)btf__type_by_id(b, (__u32)id)->type;
		id = (int)btf__type_by_id(b, (__u32)id)->type;
		assert_true(btf_is_func_proto(btf__type_by_id(b, (__u32)id)));
		assert_ptr_equal(t, kernel_btf__type(kb, (__u32)id));
	}
}

static void test_layouts(void **state)
{
	(void)state;
	for (int new_layout = 0; new_layout < 2; new_layout++) {
		struct btf *b = make_btf(new_layout);
		struct kernel_btf kb = {};
		const struct btf_type *t;
		__u32 size;
		const void *raw = raw_of(b, &size);

		assert_int_equal(kernel_btf__index(&kb, raw, size), 0);
		check_same(b, &kb);
		t = kernel_btf__tp_proto(&kb, "sched_process_exit");
		assert_int_equal(btf_vlen(t), new_layout ? 3 : 2);
		t = kernel_btf__tp_proto(&kb, "mark_victim");
		t = kernel_btf__type(&kb, btf_params(t)[1].type);
		assert_int_equal(btf_is_ptr(t), new_layout);
		free(kb.offs);
		btf__free(b);
	}
}

/* Broken bytes are refused, never read past. */
static void test_malformed(void **state)
{
	struct btf *b = make_btf(true);
	struct kernel_btf kb = {};
	struct btf_header *h;
	__u32 size;
	const void *raw = raw_of(b, &size);
	char *copy = malloc(size);
	struct btf_type *first;

	(void)state;
	assert_non_null(copy);
	h = (struct btf_header *)copy;
	first = (struct btf_type *)(copy + sizeof(*h));
	for (int c = 0; c < 6; c++) {
		memcpy(copy, raw, size);
		switch (c) {
		case 0:
			h->magic = 0x9feb;
			break; /* the other byte order */
		case 1:
			h->version = 2;
			break;
		case 2:
			h->str_len += 4;
			break; /* past the end */
		case 3:
			h->type_len -= 2;
			break; /* a type cut */
		case 4:
			first->info = 31U << 24;
			break; /* a kind from the future */
		case 5:
			copy[size - 1] = 'x';
			break; /* strings not ended */
		}
		assert_int_equal(kernel_btf__index(&kb, copy, size), -EPROTO);
	}
	assert_int_equal(kernel_btf__index(&kb, copy, 8), -EPROTO);
	free(copy);
	btf__free(b);
}

/* The running kernel's, mapped or read, as libbpf parses it. */
static void test_running_kernel(void **state)
{
	struct kernel_btf kb;
	struct btf *b;
	int err;

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		skip();
	err = kernel_btf__open(&kb, "/sys/kernel/btf/vmlinux");
	assert_int_equal(err, 0);
	b = btf__load_vmlinux_btf();
	assert_non_null(b);
	check_same(b, &kb);
	btf__free(b);
	kernel_btf__close(&kb);
	kernel_btf__close(NULL);
	assert_int_equal(kernel_btf__open(&kb, "/nonexistent/vmlinux"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layouts),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_running_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
