// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* This process's namespaces: see include/jobtrace/ns.h. */
#include <errno.h>
#include <sys/stat.h>

#include "jobtrace/ns.h"

/* The initial namespaces' fixed inode numbers (the kernel's PROC_PID_INIT_INO, ...). */
#define PID_NS_INIT_INO 0xEFFFFFFCU
#define USER_NS_INIT_INO 0xEFFFFFFDU

int ns__initial(enum ns_kind kind)
{
	const char *path = kind == NS_USER ? "/proc/self/ns/user" : "/proc/self/ns/pid";
	struct stat st;

	if (stat(path, &st))
		return -errno;
	return st.st_ino == (kind == NS_USER ? USER_NS_INIT_INO : PID_NS_INIT_INO);
}
