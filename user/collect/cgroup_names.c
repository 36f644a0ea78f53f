// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Cgroup ids to paths, remembered (include/jobtrace/cgroup_names.h). */
#include <stdlib.h>
#include <string.h>

#include "jobtrace/cgroup_names.h"

void cgroup_names__init(struct cgroup_names *cn, const struct cgroup_hier *h)
{
	memset(cn, 0, sizeof(*cn));
	if (h) {
		cn->hier = *h;
		cn->have_hier = true;
	} else {
		cn->have_hier = !cgroupfs__find_mounted(NULL, &cn->hier);
	}
}

const char *cgroup_names__get(struct cgroup_names *cn, __u64 id)
{
	/* Ids are sequential: the low bits spread them over the slots. */
	struct cgroup_name_slot *slot = &cn->slots[id & (CGROUP_NAMES_SLOTS - 1)];
	char path[4096];

	if (!id || !cn->have_hier)
		return NULL;
	cn->lookups++;
	if (slot->id == id)
		return slot->path;
	cn->misses++;
	free(slot->path);
	slot->id = id;
	slot->path = NULL;
	/* Gone already: remembered as gone, it cannot come back under this id. */
	if (!cgroupfs__path_of_id(&cn->hier, id, path, sizeof(path)))
		slot->path = strdup(path);
	return slot->path;
}

int cgroup_names__hierarchy(const struct cgroup_names *cn)
{
	return cn->have_hier ? cn->hier.hierarchy_id : -1;
}

void cgroup_names__fini(struct cgroup_names *cn)
{
	if (!cn)
		return;
	for (size_t i = 0; i < CGROUP_NAMES_SLOTS; i++)
		free(cn->slots[i].path);
	memset(cn->slots, 0, sizeof(cn->slots));
}
