// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jobtrace/caps.h"

static int caps__get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

int caps__last_cap(void)
{
	char buf[16] = "";
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	/* Without /proc: the last one these headers know. */
	return n > 0 ? atoi(buf) : CAP_LAST_CAP;
}

int caps__keep_only(uint64_t keep)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	int last = caps__last_cap(), err;
	uint64_t prm;

	err = caps__get(d);
	if (err)
		return err;
	prm = ((uint64_t)d[1].permitted << 32 | d[0].permitted) & keep;
	/*
	 * The bounding set first: dropping from it takes CAP_SETPCAP, which
	 * the capset below gives up. Without CAP_SETPCAP it stays as it is;
	 * no_new_privs then keeps an exec from using it.
	 */
	for (int cap = 0; cap <= last && cap < 64; cap++) {
		if (keep & CAPS_BIT(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL && errno != EPERM)
			return -errno;
	}
	/* Ambient capabilities would survive an exec: none. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	d[0].permitted = d[0].effective = (__u32)prm;
	d[1].permitted = d[1].effective = (__u32)(prm >> 32);
	d[0].inheritable = d[1].inheritable = 0;
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}
