/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The list of mounted file systems from /proc/self/mountinfo
 * (fs/proc_namespace.c show_mountinfo), parsed by user/proc/mountinfo.c.
 */
#ifndef JOBTRACE_MOUNTINFO_H
#define JOBTRACE_MOUNTINFO_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <linux/types.h>

/* Bounds on a hostile or runaway mount table. */
#define MOUNTINFO_MAX_MOUNTS 65536

/* One line of mountinfo (proc(5)); strings are decoded, NUL-terminated. */
struct mount_entry {
	__u32 mount_id;	 /* (1) */
	__u32 parent_id; /* (2) */
	__u32 major;	 /* (3) major:minor of st_dev */
	__u32 minor;
	const char *root;	   /* (4) the mount's root within its file system */
	const char *mount_point;   /* (5) relative to the reader's root */
	const char *mount_options; /* (6) per-mount */
	const char *optional;	   /* (7) "shared:N master:N ...", "" if none */
	const char *fs_type;	   /* (9) "type" or "type.subtype" */
	const char *source;	   /* (10) */
	const char *super_options; /* (11) */
};

struct mountinfo {
	struct mount_entry *mounts; /* heap; mountinfo__free() */
	size_t nr;
	size_t bad_lines; /* malformed or cut short: skipped */
	char *strings;	  /* heap: every decoded string above points in here */
};

/*
 * Parses mountinfo text. The kernel writes space, tab, newline and
 * backslash in paths as \040, \011, \012 and \134; they are decoded, so a
 * mount point may contain any of them. Only newline-terminated lines count.
 */
int mountinfo__parse(const char *buf, size_t len, struct mountinfo *mi);

/* Reads "self/mountinfo" under @proc_dirfd. */
int mountinfo__read(int proc_dirfd, struct mountinfo *mi);

/* Frees what parse allocated; @mi may be NULL; @mi is left empty. */
void mountinfo__free(struct mountinfo *mi);

/* The last mount on @mount_point (the one visible there), or NULL. */
const struct mount_entry *mountinfo__find(const struct mountinfo *mi, const char *mount_point);

#ifdef __cplusplus
}
#endif

#endif
