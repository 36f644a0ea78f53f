// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID files: stat, statm, status, smaps_rollup, io, cmdline, cgroup, environ, children. */
#include "jobtrace/proc_pid.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int pick = fuzz__pick(&data, &size, 11);
	char *buf = fuzz__copy(data, size);
	union {
		struct proc_stat_fields stat;
		struct proc_statm statm;
		struct proc_status status;
		struct proc_smaps_rollup smaps;
		struct proc_io io;
		struct proc_cmdline cmdline;
		struct proc_cgroup cgroup;
		struct proc_link link;
	} u;

	memset(&u, 0, sizeof(u));
	switch (pick) {
	case 0:
		proc_pid__parse_stat(buf, size, &u.stat);
		break;
	case 1:
		proc_pid__parse_statm(buf, size, 4096, &u.statm);
		break;
	case 2:
		proc_pid__parse_status(buf, size, &u.status);
		break;
	case 3:
		proc_pid__parse_smaps_rollup(buf, size, &u.smaps);
		break;
	case 4:
		proc_pid__parse_io(buf, size, &u.io);
		break;
	case 5:
		if (!proc_pid__parse_cmdline(buf, size, &u.cmdline))
			proc_cmdline__free(&u.cmdline);
		break;
	case 6:
		if (!proc_pid__parse_cgroup(buf, size, &u.cgroup))
			proc_cgroup__free(&u.cgroup);
		break;
	case 7:
		if (!proc_pid__parse_environ(buf, size, &u.cmdline))
			proc_cmdline__free(&u.cmdline);
		break;
	case 8: {
		/* children is read as a C string. */
		char *s = fuzz__cstr(data, size);
		int *pids = NULL;
		size_t n = 0, cap = 0;

		proc_pid__parse_children(s, &pids, &n, &cap);
		free(pids);
		free(s);
		break;
	}
	case 9: {
		const char *val;
		size_t val_len;

		if (!proc_kv__find(buf, size, "VmRSS", &val, &val_len) &&
		    (val < buf || val + val_len > buf + size))
			abort(); /* a value outside the buffer it was found in */
		break;
	}
	case 10: {
		char tty[64];

		/* A link target of any length, and any tty_nr. */
		proc_link__set(&u.link, buf, size);
		if (size >= 4) {
			int32_t nr;

			memcpy(&nr, data, sizeof(nr));
			proc_pid__tty_name(nr, tty, sizeof(tty));
		}
		break;
	}
	}
	free(buf);
	return 0;
}
