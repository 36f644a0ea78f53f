// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the running kernel lets the lineage loader do, and what it has:
 * the privileges bpf(2) asks for, the tracepoints' argument lists, tracefs,
 * fexit trampolines, and the v1 subsystem ids. Asked once a load, by
 * lineage__open() (user/bpf/lineage.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "jobtrace/kernel_btf.h"
#include "jobtrace/ns.h"
#include "lineage_priv.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *data, int cap)
{
	return data[cap / 32].effective & (1U << (cap % 32));
}

/* Says which capability is missing, as precisely as the kernel lets us. */
int lineage_kernel__privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	/*
	 * A user namespace's root (a rootless container) has every capability
	 * by capget, but bpf(2) asks for them in the host's user namespace,
	 * where it has none: the load would fail with EPERM, which reads like
	 * the verifier's refusal. (A BPF token could delegate them; this
	 * libbpf makes none.)
	 */
	if (ns__initial(NS_USER) == 0) {
		fprintf(stderr, "jobtrace: in a user namespace (a rootless container): "
				"capabilities in a user namespace do not reach bpf(2), which wants "
				"CAP_BPF and CAP_PERFMON of the host; " BPF_ELSEWHERE "\n");
		return -EPERM;
	}
	if (syscall(SYS_capget, &hdr, data) != 0)
		return 0; /* cannot tell: let the load say */
	if (has_cap(data, CAP_SYS_ADMIN) || (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON)))
		return 0;
	fprintf(stderr,
		"jobtrace: missing privileges: loading tracing programs needs CAP_BPF and "
		"CAP_PERFMON (or CAP_SYS_ADMIN)%s; run it as root (sudo jobtrace ...)\n",
		has_cap(data, CAP_BPF) ? "; CAP_BPF is there, CAP_PERFMON is not" :
		has_cap(data, CAP_PERFMON) ? "; CAP_PERFMON is there, CAP_BPF is not" : "");
	return -EPERM;
}

/* Since 6.16 sched_process_exit passes group_dead: (void *, struct task_struct *, bool). */
bool lineage_kernel__exit_has_group_dead(const struct kernel_btf *vmlinux)
{
	const struct btf_type *t = kernel_btf__tp_proto(vmlinux, "sched_process_exit");

	return t && btf_vlen(t) >= 3;
}

/*
 * oom/mark_victim passes the victim's task_struct since 6.x (before: its
 * pid, an int): (void *, struct task_struct *, uid_t).
 */
bool lineage_kernel__oom_tp_has_task(const struct kernel_btf *vmlinux)
{
	const struct btf_type *t = kernel_btf__tp_proto(vmlinux, "mark_victim");

	if (!t || btf_vlen(t) < 2)
		return false;
	t = kernel_btf__type(vmlinux, btf_params(t)[1].type);
	return t && btf_is_ptr(t);
}


/*
 * Tracepoint programs are attached by the event's id, which tracefs gives:
 * mounted where libbpf reads it when nothing mounted it yet (a bare system,
 * a container with its own /sys). 0, or why @event cannot be found.
 */
int lineage_kernel__tracefs_ensure(const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/%s", event);
	if (!access(path, F_OK))
		return 0;
	/* debugfs's tracing directory is where libbpf looks first, when it is there. */
	if (!access("/sys/kernel/debug/tracing", F_OK)) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/%s", event);
		return access(path, F_OK) ? -errno : 0;
	}
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	return access(path, F_OK) ? -errno : 0;
}

/*
 * Can an fexit program attach to @func here? Its BTF may have it while the
 * kernel refuses trampolines (this project's 6.18 test machine: EPERM at
 * load, no ftrace records): a two-instruction program, loaded and
 * attached, answers for the real one. @id: the function's BTF id.
 */
bool lineage_kernel__fexit_attaches(int id)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FEXIT,
		    .attach_btf_id = id > 0 ? (__u32)id : 0);
	int prog_fd, link_fd;

	if (id <= 0)
		return false;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "jt_probe", "GPL", insns, 2, &opts);
	if (prog_fd < 0)
		return false;
	link_fd = bpf_link_create(prog_fd, 0, BPF_TRACE_FEXIT, NULL);
	if (link_fd >= 0)
		close(link_fd);
	close(prog_fd);
	return link_fd >= 0;
}

/*
 * The index of task->cgroups->subsys[] for the v1 hierarchy of
 * @controller, which the programs read a task's cgroup in: the kernel's
 * BTF names it (enum cgroup_subsys_id). @line_ssid, the controller's line
 * in /proc/cgroups, is that index only where the file lists every
 * subsystem the kernel has, in id order: 6.12 and later leave out the
 * controllers built without their v1 files (af000ce85293, "cgroup: Do not
 * report unavailable v1 controllers in /proc/cgroups"), and every line
 * after one left out is one below its id, where another controller's
 * cgroup would be read. So the line is taken only where the BTF has no
 * such enum. -1 (v2) stays -1.
 */
__s32 lineage_kernel__cgroup_ssid(const struct kernel_btf *vmlinux, const char *controller,
				   __s32 line_ssid, bool verbose)
{
	bool from_btf;
	int ssid;

	if (line_ssid < 0 || !controller[0])
		return -1;
	ssid = kernel_btf__cgroup_ssid(vmlinux, controller, line_ssid, &from_btf);
	if (verbose)
		fprintf(stderr, "jobtrace: cgroup1:%s is subsystem %d (%s)\n", controller, ssid,
			from_btf ? "the kernel's BTF" :
				   "its line in /proc/cgroups: the kernel's BTF has no "
				   "enum cgroup_subsys_id");
	return ssid;
}
