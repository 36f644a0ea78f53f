/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The absolute path of the file an exec runs, for the exec record's exe:
 * what /proc/PID/exe says, which d_path() writes and tracepoints may not
 * call. The walk is d_path's prepend_path(): dentry to d_parent up to its
 * mount's root, then across to the mount it is mounted on, until the root
 * of the mount namespace the walk reaches (a mount that is its own parent).
 * Components go backwards into a per-CPU scratch buffer (a path is up to
 * MAX_PATH_COMPONENTS names of up to NAME_MAX bytes: not a stack's size).
 *
 * It takes no lock (d_path holds rename_lock and mount_lock): a rename or a
 * mount racing the exec can give a mix of the old and the new name. Names
 * are read with the length d_name says, so a torn read stays in bounds.
 *
 * Part of bpf/lineage.bpf.c, which includes it after its maps: apart so
 * that each file holds one capability a reader can find by its name.
 */
#ifndef JOBTRACE_LINEAGE_PATH_BPF_H
#define JOBTRACE_LINEAGE_PATH_BPF_H

#define MAX_PATH_COMPONENTS 32 /* names and mount crossings walked per path */
#define PATH_NAME_MAX 255 /* NAME_MAX */
#define PATH_AREA 8192 /* where the path is built: 32 * (NAME_MAX + 1) */
#define PATH_MASK (PATH_AREA - 1)
#define PATH_END (PATH_AREA - 1) /* the path's NUL */
#define DELETED_SUFFIX " (deleted)"

/* The area, and room past it for one read at a masked offset. */
struct path_scratch {
	char buf[PATH_AREA + PATH_NAME_MAX + 1];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch);
} path_scratch SEC(".maps");

/*
 * Prepend @name (@len bytes) before buf[*pos], then its '/'. Returns false
 * when the area has no room left: the path is then cut above *pos.
 */
static __always_inline bool path_prepend(char *buf, __u32 *pos, const unsigned char *name,
					 __u32 len)
{
	__u32 at;
	char after;

	if (len > PATH_NAME_MAX)
		len = PATH_NAME_MAX;
	if (*pos < len + 1)
		return false;
	at = (*pos - len) & PATH_MASK;
	/*
	 * The _str read ends with a NUL at buf[*pos], where what follows the
	 * name stands ('/', a suffix, the path's NUL): put it back after.
	 */
	after = buf[*pos & PATH_MASK];
	if (bpf_probe_read_kernel_str(buf + at, len + 1, name) < 0)
		return false;
	buf[*pos & PATH_MASK] = after;
	at = (at - 1) & PATH_MASK;
	buf[at] = '/';
	*pos = at;
	return true;
}

/*
 * What a step of the walk needs of a dentry, d_parent and d_name, which
 * every kernel's struct dentry has side by side: one read, not three (a
 * read is most of a step's cost). Apart where a kernel has them apart.
 */
struct dentry_step {
	struct dentry *parent;
	struct qstr name;
};

static __always_inline int dentry_step_read(struct dentry *d, struct dentry_step *st)
{
	__u32 parent_off = bpf_core_field_offset(struct dentry, d_parent);

	if (bpf_core_field_offset(struct dentry, d_name) == parent_off + sizeof(st->parent))
		return bpf_probe_read_kernel(st, sizeof(*st), (void *)d + parent_off);
	st->parent = BPF_CORE_READ(d, d_parent);
	st->name.len = BPF_CORE_READ(d, d_name.len);
	st->name.name = BPF_CORE_READ(d, d_name.name);
	return st->parent ? 0 : -1;
}

/* d_unlinked(): unhashed (removed from its directory) and not a root. */
static __always_inline bool dentry_unlinked(struct dentry *d, struct dentry *parent)
{
	return !BPF_CORE_READ(d, d_hash.pprev) && parent != d;
}

/* Where a walk stands between two steps (bpf_loop's context). */
struct path_walk {
	struct dentry *dentry, *mnt_root;
	struct mount *mnt;
	struct dentry_step st;
	__u32 pos;
	__u32 steps; /* taken, up to MAX_PATH_COMPONENTS */
	bool cut;
};

/*
 * One step up: a name prepended, or a crossing to the mount below. 1 when
 * the walk ends (the root reached, the area full, a read failed), else 0.
 */
static __always_inline int path_step(char *buf, struct path_walk *w)
{
	/* A local: BPF_CORE_READ() of w->mnt would relocate path_walk's own field. */
	struct mount *mnt = w->mnt, *mnt_parent;

	w->steps++;
	if (w->dentry == w->mnt_root || w->dentry == w->st.parent) {
		mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		/* The namespace's root, or a mount taken out of any tree. */
		if (mnt_parent == mnt || !mnt_parent)
			return 1;
		/* Not its mount's root: a file the mount cannot reach. Stop there. */
		if (w->dentry != w->mnt_root)
			return 1;
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		w->mnt_root = BPF_CORE_READ(mnt_parent, mnt.mnt_root);
	} else {
		if (!path_prepend(buf, &w->pos, w->st.name.name, w->st.name.len)) {
			w->cut = true;
			return 1;
		}
		w->dentry = w->st.parent;
	}
	if (dentry_step_read(w->dentry, &w->st)) {
		w->cut = true;
		return 1;
	}
	return 0;
}

static long path_step_cb(__u32 i, void *ctx)
{
	struct path_scratch *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!s) {
		((struct path_walk *)ctx)->cut = true;
		return 1;
	}
	return path_step(s->buf, ctx);
}

/*
 * Write @file's path into @dst (JT_EXE_LEN bytes, NUL included): absolute, as
 * seen from the root of the mount namespace the walk ends in, with
 * " (deleted)" after an unlinked file's, as /proc/PID/exe shows it. A path
 * longer than that keeps its tail, the file's own name, and loses its
 * leading '/': a path that does not start with '/' was cut. "" when
 * nothing could be read.
 */
static __always_inline void path_of_file(struct file *file, char dst[JT_EXE_LEN])
{
	struct path_walk w = {};
	struct vfsmount *vfsmnt;
	struct path_scratch *s;
	__u32 zero = 0, pos = PATH_END, len;
	bool cut = false, pseudo;
	char *buf;
	int i;

	dst[0] = '\0';
	s = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!s || !file)
		return;
	buf = s->buf;
	buf[PATH_END] = '\0';
	w.dentry = BPF_CORE_READ(file, f_path.dentry);
	vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	if (!w.dentry || !vfsmnt)
		return;
	/* container_of(), at the offset this kernel's struct mount has. */
	w.mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);
	w.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	if (dentry_step_read(w.dentry, &w.st))
		return;
	/*
	 * A file in no directory (memfd_create(), shmem_file_setup()): its
	 * own root, not its mount's. d_path() writes what its d_dname,
	 * simple_dname(), says: "/NAME (deleted)".
	 */
	pseudo = w.dentry == w.st.parent && w.dentry != w.mnt_root;
	if (pseudo || dentry_unlinked(w.dentry, w.st.parent)) {
		pos = PATH_END - (sizeof(DELETED_SUFFIX) - 1);
		__builtin_memcpy(buf + pos, DELETED_SUFFIX, sizeof(DELETED_SUFFIX) - 1);
	}
	if (pseudo)
		cut = !path_prepend(buf, &pos, w.st.name.name, w.st.name.len);
	/*
	 * bpf_loop (5.17) has its callback verified once: the loop inlined
	 * was verified step by step and branch by branch, about 170 ms of
	 * every start that loads the exec program on this 6.18 kernel.
	 */
	w.pos = pos;
	if (!pseudo && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) {
		bpf_loop(MAX_PATH_COMPONENTS, path_step_cb, &w, 0);
	} else {
		for (i = 0; i < MAX_PATH_COMPONENTS && !pseudo; i++) {
			if (path_step(buf, &w))
				break;
		}
	}
	pos = w.pos;
	cut |= w.cut;
	/* More names than walked: what is left above them is lost too. */
	if (w.steps == MAX_PATH_COMPONENTS && !w.cut)
		cut = true;
	if (pos == PATH_END) {
		/* The root itself. */
		pos = PATH_END - 1;
		buf[pos] = '/';
	}
	len = PATH_END - pos; /* bytes, not counting the NUL */
	if (cut || len >= JT_EXE_LEN) {
		/* The tail that fits, without a leading '/' that would pass it for whole. */
		if (len >= JT_EXE_LEN)
			pos = PATH_END - (JT_EXE_LEN - 1);
		if (buf[pos & PATH_MASK] == '/')
			pos++;
		len = PATH_END - pos;
	}
	len++; /* and its NUL */
	if (len > JT_EXE_LEN)
		len = JT_EXE_LEN;
	barrier_var(len);
	if (bpf_probe_read_kernel(dst, len, buf + (pos & PATH_MASK)))
		dst[0] = '\0';
}

#endif /* JOBTRACE_LINEAGE_PATH_BPF_H */
