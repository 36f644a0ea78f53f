// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * OOM kills attributed (include/jobtrace/oom.h): the memory controller's
 * hierarchy (v1's memory mount, else v2 where its root enables memory); the
 * cgroup whose limit was hit and that limit as the kernel saw them at the
 * kill, where it could tell; else the victim's cgroup there by its kernfs
 * id, then the first limit that was hit on the way up (memcg__limit_hit()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/memcg.h"
#include "jobtrace/oom.h"
#include "jobtrace/util.h"

void oom_resolver__init(struct oom_resolver *r)
{
	memset(r, 0, sizeof(*r));
	r->root_fd = -1;
}

void oom_resolver__fini(struct oom_resolver *r)
{
	if (r->root_fd >= 0)
		close(r->root_fd);
	r->root_fd = -1;
}

/* v2 carries the memory controller when its root's cgroup.controllers names it. */
static bool v2_has_memory(const struct cgroup_hier *h)
{
	char path[300], buf[512];
	const char *p;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", h->mount);
	if (util__read_file_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return false;
	for (p = strstr(buf, "memory"); p; p = strstr(p + 1, "memory"))
		if ((p == buf || p[-1] == ' ') && (p[6] == ' ' || p[6] == '\n' || !p[6]))
			return true;
	return false;
}

static void find_hierarchy(struct oom_resolver *r)
{
	r->tried = true;
	if (cgroupfs__find_mounted("memory", &r->hier) &&
	    (cgroupfs__find_mounted(NULL, &r->hier) || !v2_has_memory(&r->hier)))
		return;
	r->root_fd = open(r->hier.mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->root_fd < 0)
		return;
	cgroupfs__name(&r->hier, r->name, sizeof(r->name));
	r->have = true;
}

/*
 * @seen's path as this process's mount of the hierarchy names it: from the
 * deepest of its components still there (the cgroup itself, while it is),
 * the ones below it by the names the kernel read at the kill. The kernel's
 * path runs from the hierarchy's own root, which a cgroup namespace may put
 * above the mount: where no component is visible, that path as it is.
 */
static bool seen_path(const struct oom_resolver *r, const struct jt_oom_cgroup *seen, char *out,
		      size_t size)
{
	char prefix[JOB_OOM_CGROUP_LEN];
	const char *rest;

	if (!seen->path[0])
		return false;
	for (__u32 k = seen->depth; r->have && k > 0; k--) {
		if (cgroupfs__path_of_id(&r->hier, seen->ids[k - 1], prefix, sizeof(prefix)))
			continue;
		/* Past the first k components of "/c1/c2/...": "" or "/c(k+1)/...". */
		rest = seen->path;
		for (__u32 i = 0; i < k && rest; i++)
			rest = strchr(rest + 1, '/');
		if (!rest)
			rest = "";
		snprintf(out, size, "%s%s", strcmp(prefix, "/") || !*rest ? prefix : "", rest);
		return true;
	}
	snprintf(out, size, "%s", seen->path);
	return true;
}

/* The kernel's word (@seen): the cgroup whose limit was hit, and that limit, at the kill. */
static bool attribute_seen(struct oom_resolver *r, const struct jt_oom_cgroup *seen,
			   struct job_oom *out)
{
	char path[JOB_OOM_CGROUP_LEN];

	if (!seen_path(r, seen, path, sizeof(path)))
		return false;
	snprintf(out->hierarchy, sizeof(out->hierarchy), "%s", r->have ? r->name : "");
	snprintf(out->cgroup, sizeof(out->cgroup), "%s", path);
	out->limit_known = true;
	out->limit_seen = true;
	out->limit_bytes = seen->limit_bytes;
	return true;
}

bool oom_resolver__attribute(struct oom_resolver *r, const struct jt_exit_event *e,
			     const struct jt_oom_cgroup *seen, struct job_oom *out)
{
	char path[JOB_OOM_CGROUP_LEN];
	struct memcg_state st;
	int err;

	memset(out, 0, sizeof(*out));
	if (!(e->flags & JT_F_OOM_KILLED))
		return false;
	out->killed = true;
	out->rss_bytes = e->oom_rss_bytes;
	out->rss_known = e->oom_rss_bytes > 0;
	if (!r->tried)
		find_hierarchy(r);
	if (seen && (e->flags & JT_F_OOM_LIMIT) && attribute_seen(r, seen, out))
		return true;
	if (!r->have || !e->oom_memcg_id)
		return true;
	snprintf(out->hierarchy, sizeof(out->hierarchy), "%s", r->name);
	if (cgroupfs__path_of_id(&r->hier, e->oom_memcg_id, path, sizeof(path)))
		return true; /* gone already: which limit is not known */
	err = memcg__limit_hit(r->root_fd, path, out->cgroup, sizeof(out->cgroup), &st);
	if (err == -ENOENT) {
		out->global = true;
		out->cgroup[0] = '\0';
	} else if (!err) {
		out->limit_known = true;
		out->limit_bytes = st.limit_bytes;
	}
	return true;
}
