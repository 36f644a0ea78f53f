// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proc_fd__list_dir() over an image of one /proc/PID (struct sysfs_dir):
 * fd/N link texts, fdinfo/N, fdreg/N. The list it returns must be sorted by
 * fd, and each target a string of its stated length.
 */
#include "jobtrace/proc_fd.h"
#include "jobtrace/sysfs_attr.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *img = fuzz__copy(data, size);
	struct proc_fd_list l;
	struct sysfs_dir d;

	sysfs_dir__from_image(&d, img, size);
	if (!proc_fd__list_dir(&d, &l)) {
		for (size_t i = 0; i < l.n; i++) {
			const struct proc_fd_entry *e = &l.v[i];

			if ((i && l.v[i - 1].fd > e->fd) || e->fd < 0 ||
			    strlen(e->target) > e->target_len || e->target[e->target_len] ||
			    (e->err && e->target_len))
				abort();
			if (e->has_info)
				(void)proc_fd__mode(e->flags);
		}
		proc_fd_list__free(&l);
	}
	free(img);
	return 0;
}
