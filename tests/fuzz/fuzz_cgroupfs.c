// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/self/mountinfo with /proc/cgroups (cgroupfs__find: two files, NUL
 * between them) and mountinfo alone (fsusage's mountinfo__parse).
 */
#include "jobtrace/cgroupfs.h"
#include "jobtrace/fsusage.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const controllers[] = { NULL, "cpu", "memory", "pids", "cpuacct" };
	int pick = fuzz__pick(&data, &size, 6);
	struct cgroup_hier h;
	struct mountinfo mi;
	const char *m, *c;
	size_t mlen, clen;
	char *mbuf, *cbuf, name[64];

	if (pick < 0)
		return 0;
	if (pick == 5) {
		mbuf = fuzz__copy(data, size);
		if (!mountinfo__parse(mbuf, size, &mi)) {
			if (mi.nr)
				mountinfo__find(&mi, "/");
			mountinfo__free(&mi);
		}
		free(mbuf);
		return 0;
	}
	fuzz__next_part(&data, &size, &m, &mlen);
	fuzz__next_part(&data, &size, &c, &clen);
	mbuf = fuzz__copy((const uint8_t *)m, mlen);
	cbuf = fuzz__copy((const uint8_t *)c, clen);
	if (!cgroupfs__find(mbuf, mlen, cbuf, clen, controllers[pick], &h))
		cgroupfs__name(&h, name, sizeof(name));
	free(mbuf);
	free(cbuf);
	return 0;
}
