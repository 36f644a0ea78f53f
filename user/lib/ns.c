// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* This process's namespaces: see include/jobtrace/ns.h. */
#include <sys/stat.h>

#include "jobtrace/ns.h"

bool ns__pid_initial(void)
{
	struct stat st;

	return !stat("/proc/self/ns/pid", &st) && st.st_ino == NS_PID_INIT_INO;
}
