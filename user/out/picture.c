// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The picture's model: the records of a job, their lineage, and the layout
 * of the icicle and the strip (include/jobtrace/picture.h). Pure: no
 * files, no clocks; the writers are in picture_svg.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jobtrace/hmap.h"
#include "jobtrace/picture.h"
#include "jobtrace/util.h"

#define NONE UINT32_MAX
#define IN_PROGRESS (UINT32_MAX - 1)

struct pic_proc {
	__u32 pid, ppid;
	__u64 start_ns, parent_start_ns, exit_ns;
	__u64 cpu_ns, user_ns, system_ns;
	__u32 status;
	char comm[JT_COMM_LEN + 1];
};

struct picture {
	struct pic_proc *procs;
	size_t n, cap;
	struct picture_note failed[PICTURE_LIST];
	size_t nfailed;
	struct picture_note longest[PICTURE_LIST]; /* longest first */
	size_t nlongest;
};

/* A merged frame before the layout: one per (parent frame, command). */
struct node {
	char comm[JT_COMM_LEN + 1];
	__u32 parent, depth;
	__u32 first_child, next_sibling;
	bool deeper, unrecorded;
	__u64 self_cpu_ns, cpu_ns, user_ns, system_ns;
	__u64 processes, subtree_processes, failed, subtree_failed;
};

struct picture *picture__new(void)
{
	return calloc(1, sizeof(struct picture));
}

void picture__free(struct picture *p)
{
	if (!p)
		return;
	free(p->procs);
	free(p);
}

static bool failed_status(__u32 st)
{
	return WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st));
}

static void note_of(struct picture_note *n, const struct jt_exit_event *e, const char *args,
		    size_t len)
{
	size_t o = 0;

	memset(n, 0, sizeof(*n));
	n->pid = e->pid;
	n->ppid = e->ppid;
	n->status = e->exit_status;
	memcpy(n->comm, e->comm, strnlen(e->comm, JT_COMM_LEN));
	n->cpu_ns = e->acct.cpu_ns;
	n->wall_ns = e->exit_ns > e->start_ns ? e->exit_ns - e->start_ns : 0;
	n->start_ns = e->start_ns;
	/* argv is NUL-separated; the list shows it as a command line, cut. */
	for (size_t i = 0; args && i < len && o + 1 < sizeof(n->args); i++, o++)
		n->args[o] = args[i] ? args[i] : ' ';
	while (o > 0 && n->args[o - 1] == ' ')
		n->args[--o] = '\0';
}

int picture__add(struct picture *p, const struct jt_exit_event *e, const char *args, size_t len)
{
	struct pic_proc *r;
	__u64 wall;
	size_t i;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 256;
		struct pic_proc *np = realloc(p->procs, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		p->procs = np;
		p->cap = cap;
	}
	r = &p->procs[p->n++];
	memset(r, 0, sizeof(*r));
	r->pid = e->pid;
	r->ppid = e->ppid;
	r->start_ns = e->start_ns;
	r->parent_start_ns = e->parent_start_ns;
	/* A record's clocks come from the kernel; a reversed pair is drawn as a point. */
	r->exit_ns = e->exit_ns > e->start_ns ? e->exit_ns : e->start_ns;
	r->cpu_ns = e->acct.cpu_ns;
	r->user_ns = e->user_ns;
	r->system_ns = e->system_ns;
	r->status = e->exit_status;
	memcpy(r->comm, e->comm, strnlen(e->comm, JT_COMM_LEN));

	if (failed_status(e->exit_status) && p->nfailed < PICTURE_LIST)
		note_of(&p->failed[p->nfailed++], e, args, len);
	/* The longest processes, by wall time, kept sorted: an insertion into a short list. */
	wall = r->exit_ns - r->start_ns;
	i = p->nlongest;
	if (i == PICTURE_LIST && p->longest[i - 1].wall_ns >= wall)
		return 0;
	if (i == PICTURE_LIST)
		i--;
	else
		p->nlongest++;
	while (i > 0 && p->longest[i - 1].wall_ns < wall) {
		p->longest[i] = p->longest[i - 1];
		i--;
	}
	note_of(&p->longest[i], e, args, len);
	return 0;
}

const struct picture_note *picture__failed(const struct picture *p, size_t *n)
{
	*n = p->nfailed;
	return p->failed;
}

const struct picture_note *picture__longest(const struct picture *p, size_t *n)
{
	*n = p->nlongest;
	return p->longest;
}

/* ---- hashing ---- */

static __u64 mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static __u64 hash_comm(const char *comm)
{
	return util__fnv1a(UTIL_FNV1A_BASIS, comm, strnlen(comm, JT_COMM_LEN));
}

__u32 picture__color(const char *comm)
{
	/* A hue from the name; saturation and lightness fixed, light enough for black text. */
	double h = (double)(hash_comm(comm) % 360) / 60.0, s = 0.55, l = 0.70;
	double c = (1 - (2 * l - 1 < 0 ? 1 - 2 * l : 2 * l - 1)) * s;
	double hm = h - 2 * (double)(int)(h / 2);
	double x = c * (1 - (hm - 1 < 0 ? 1 - hm : hm - 1)), m = l - c / 2;
	double r = 0, g = 0, b = 0;

	switch ((int)h) {
	case 0:
		r = c;
		g = x;
		break;
	case 1:
		r = x;
		g = c;
		break;
	case 2:
		g = c;
		b = x;
		break;
	case 3:
		g = x;
		b = c;
		break;
	case 4:
		r = x;
		b = c;
		break;
	default:
		r = c;
		b = x;
		break;
	}
	return (__u32)((r + m) * 255 + 0.5) << 16 | (__u32)((g + m) * 255 + 0.5) << 8 |
	       (__u32)((b + m) * 255 + 0.5);
}

/*
 * An index over the entries of an array by a key's hash (user/lib/hmap.c):
 * node i stands for entry i. Each key is added once, so a lookup finds
 * the first entry added with it.
 */
struct array_index {
	struct hmap map;
	struct hmap_node *nodes;
};

static int array_index__init(struct array_index *x, size_t n)
{
	memset(&x->map, 0, sizeof(x->map));
	x->nodes = calloc(n ? n : 1, sizeof(*x->nodes));
	return x->nodes ? 0 : -ENOMEM;
}

static int array_index__add(struct array_index *x, size_t i, __u64 hash)
{
	int err = hmap__reserve(&x->map, 64);

	if (!err)
		hmap__add(&x->map, &x->nodes[i], hash);
	return err;
}

/* The first entry with @hash that @eq(@ctx, entry) accepts; NONE: none. */
static __u32 array_index__find(const struct array_index *x, __u64 hash,
			       bool (*eq)(const void *ctx, size_t i), const void *ctx)
{
	struct hmap_node **p = hmap__chain(&x->map, hash);

	for (; p && *p; p = &(*p)->next) {
		if ((*p)->hash == hash && eq(ctx, (size_t)(*p - x->nodes)))
			return (__u32)(*p - x->nodes);
	}
	return NONE;
}

static void array_index__free(struct array_index *x)
{
	hmap__free(&x->map, NULL);
	free(x->nodes);
}

/* ---- lineage: records to merged frames ---- */

struct tree {
	struct node *nodes;
	size_t n, cap;
	struct array_index frames; /* (parent, comm) -> node, sized for every record's own */
};

static __u32 tree__add(struct tree *t, __u32 parent, const char *comm, bool unrecorded)
{
	struct node *nd;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct node *nn = realloc(t->nodes, cap * sizeof(*nn));

		if (!nn)
			return NONE;
		t->nodes = nn;
		t->cap = cap;
	}
	nd = &t->nodes[t->n];
	memset(nd, 0, sizeof(*nd));
	memcpy(nd->comm, comm, strnlen(comm, JT_COMM_LEN));
	nd->parent = parent == NONE ? 0 : parent;
	nd->depth = parent == NONE ? 0 : t->nodes[parent].depth + 1;
	nd->first_child = NONE;
	nd->next_sibling = NONE;
	nd->unrecorded = unrecorded;
	if (parent != NONE) {
		nd->next_sibling = t->nodes[parent].first_child;
		t->nodes[parent].first_child = (__u32)t->n;
	}
	return (__u32)t->n++;
}

/* A frame's key: its parent and its command. */
struct frame_key {
	const struct tree *t;
	__u32 parent;
	const char *comm;
};

static bool frame_eq(const void *ctx, size_t i)
{
	const struct frame_key *k = ctx;
	const struct node *nd = &k->t->nodes[i];

	return nd->parent == k->parent && !strncmp(nd->comm, k->comm, JT_COMM_LEN) &&
	       !nd->unrecorded;
}

/* The frame of command @comm under @parent, made on first use. */
static __u32 tree__child(struct tree *t, __u32 parent, const char *comm)
{
	struct frame_key k = { .t = t, .parent = parent, .comm = comm };
	__u64 h = mix64(hash_comm(comm) ^ mix64(parent));
	__u32 id = array_index__find(&t->frames, h, frame_eq, &k);

	if (id != NONE)
		return id;
	id = tree__add(t, parent, comm, false);
	if (id != NONE && array_index__add(&t->frames, id, h))
		id = NONE;
	return id;
}

/* A process's key in the records: (pid, start_ns). */
struct proc_key {
	const struct pic_proc *procs;
	__u32 pid;
	__u64 start_ns;
};

static __u64 proc_hash(__u32 pid, __u64 start_ns)
{
	return mix64(((__u64)pid << 32) ^ start_ns);
}

static bool proc_eq(const void *ctx, size_t i)
{
	const struct proc_key *k = ctx;

	return k->procs[i].pid == k->pid && k->procs[i].start_ns == k->start_ns;
}

/*
 * Each record's parent record: (ppid, parent_start_ns) == (pid, start_ns).
 * A parent not in the records (alive at the end, outside the job, lost)
 * makes its child a root.
 */
static int link_parents(const struct picture *p, __u32 *parent)
{
	struct array_index x;
	int err = array_index__init(&x, p->n);

	for (size_t i = 0; !err && i < p->n; i++) {
		const struct pic_proc *r = &p->procs[i];
		struct proc_key k = { p->procs, r->pid, r->start_ns };
		__u64 h = proc_hash(r->pid, r->start_ns);

		if (array_index__find(&x, h, proc_eq, &k) == NONE) /* a duplicate keeps the first */
			err = array_index__add(&x, i, h);
	}
	for (size_t i = 0; !err && i < p->n; i++) {
		const struct pic_proc *r = &p->procs[i];
		struct proc_key k = { p->procs, r->ppid, r->parent_start_ns };
		__u32 q = array_index__find(&x, proc_hash(r->ppid, r->parent_start_ns), proc_eq, &k);

		parent[i] = q == (__u32)i ? NONE : q;
	}
	array_index__free(&x);
	return err;
}

/*
 * The frame of every record: its parent's frame's child of its command.
 * Iterative (a chain of 20,000 shells is no reason to overflow the
 * stack); a cycle, which only a forged record could make, is cut into a
 * root.
 */
static int build_tree(const struct picture *p, struct tree *t, __u32 *frame_of)
{
	__u32 *parent = malloc((p->n + 1) * sizeof(*parent));
	__u32 *stack = malloc((p->n + 1) * sizeof(*stack));
	int err = -ENOMEM;

	if (!parent || !stack)
		goto out;
	err = link_parents(p, parent);
	if (err)
		goto out;
	err = -ENOMEM;
	for (size_t i = 0; i < p->n; i++)
		frame_of[i] = NONE;
	for (size_t i = 0; i < p->n; i++) {
		size_t top = 0;
		__u32 j = (__u32)i;

		while (frame_of[j] == NONE) {
			frame_of[j] = IN_PROGRESS;
			stack[top++] = j;
			if (parent[j] == NONE)
				break;
			if (frame_of[parent[j]] == IN_PROGRESS) {
				parent[j] = NONE;
				break;
			}
			j = parent[j];
		}
		while (top > 0) {
			__u32 k = stack[--top];
			__u32 pf = parent[k] == NONE ? 0 : frame_of[parent[k]];

			if (t->nodes[pf].depth + 1 >= PICTURE_MAX_DEPTH) {
				/* Too deep to draw: counted in its ancestor at the last row. */
				frame_of[k] = pf;
				t->nodes[pf].deeper = true;
				continue;
			}
			frame_of[k] = tree__child(t, pf, p->procs[k].comm);
			if (frame_of[k] == NONE)
				goto out;
		}
	}
	err = 0;
out:
	free(parent);
	free(stack);
	return err;
}

/* ---- layout ---- */

static __u64 weight(const struct node *nd, bool by_processes)
{
	return by_processes ? nd->subtree_processes : nd->cpu_ns;
}

struct sort_ctx {
	const struct node *nodes;
	bool by_processes;
};
static struct sort_ctx sort_ctx; /* qsort has no context argument in C11 */

static int by_weight(const void *a, const void *b)
{
	const struct node *x = &sort_ctx.nodes[*(const __u32 *)a];
	const struct node *y = &sort_ctx.nodes[*(const __u32 *)b];
	__u64 wx = weight(x, sort_ctx.by_processes), wy = weight(y, sort_ctx.by_processes);

	if (wx != wy)
		return wx > wy ? -1 : 1;
	if (x->subtree_processes != y->subtree_processes)
		return x->subtree_processes > y->subtree_processes ? -1 : 1;
	return strncmp(x->comm, y->comm, JT_COMM_LEN);
}

/* Children of every node, sorted widest first, as one array with offsets. */
struct children {
	__u32 *ids;
	size_t *first; /* node i's children: ids[first[i] .. first[i + 1]) */
};

static int sort_children(const struct tree *t, bool by_processes, struct children *ch)
{
	size_t o = 0;

	ch->ids = malloc((t->n + 1) * sizeof(*ch->ids));
	ch->first = malloc((t->n + 1) * sizeof(*ch->first));
	if (!ch->ids || !ch->first)
		return -ENOMEM;
	sort_ctx.nodes = t->nodes;
	sort_ctx.by_processes = by_processes;
	for (size_t i = 0; i < t->n; i++) {
		ch->first[i] = o;
		for (__u32 c = t->nodes[i].first_child; c != NONE; c = t->nodes[c].next_sibling)
			ch->ids[o++] = c;
		qsort(ch->ids + ch->first[i], o - ch->first[i], sizeof(*ch->ids), by_weight);
	}
	ch->first[t->n] = o;
	return 0;
}

/* Frames drawn at @threshold_px: wide enough ones, plus an "other" per parent that folds some. */
static size_t count_frames(const struct tree *t, const struct children *ch, double px_per_w,
			   bool by_processes, double threshold_px, __u32 *stack)
{
	size_t top = 0, count = 1;

	stack[top++] = 0;
	while (top > 0) {
		__u32 i = stack[--top];
		bool folds = false;

		for (size_t k = ch->first[i]; k < ch->first[i + 1]; k++) {
			__u32 c = ch->ids[k];

			if ((double)weight(&t->nodes[c], by_processes) * px_per_w >= threshold_px) {
				count++;
				stack[top++] = c;
			} else {
				folds = true;
			}
		}
		count += folds;
	}
	return count;
}

static void frame_of_node(struct picture_frame *f, const struct node *nd, __u32 parent)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->name, nd->comm, sizeof(f->name));
	f->kind = nd->unrecorded ? PICTURE_FRAME_UNRECORDED : PICTURE_FRAME_COMM;
	f->parent = parent;
	f->depth = nd->depth;
	f->deeper = nd->deeper;
	f->cpu_ns = nd->cpu_ns;
	f->self_cpu_ns = nd->self_cpu_ns;
	f->user_ns = nd->user_ns;
	f->system_ns = nd->system_ns;
	f->processes = nd->processes;
	f->subtree_processes = nd->subtree_processes;
	f->failed = nd->failed;
	f->subtree_failed = nd->subtree_failed;
}

static void fold_into(struct picture_frame *o, const struct node *nd)
{
	o->folded++;
	o->cpu_ns += nd->cpu_ns;
	o->self_cpu_ns += nd->cpu_ns;
	o->user_ns += nd->user_ns;
	o->system_ns += nd->system_ns;
	/* What "other" holds is whole subtrees: their processes are all its own. */
	o->processes += nd->subtree_processes;
	o->subtree_processes += nd->subtree_processes;
	o->failed += nd->subtree_failed;
	o->subtree_failed += nd->subtree_failed;
}

/* Emits the frames drawn, depth first, parents before children, with their positions. */
static int emit_frames(const struct tree *t, const struct children *ch, double px_per_w,
		       bool by_processes, double threshold_px, size_t nframes,
		       struct picture_layout *l, __u32 *stack)
{
	__u32 *frame_idx = malloc(t->n * sizeof(*frame_idx)); /* node -> its frame */
	size_t top = 0, n = 0;

	l->frames = calloc(nframes, sizeof(*l->frames));
	if (!l->frames || !frame_idx) {
		free(frame_idx);
		return -ENOMEM;
	}
	frame_of_node(&l->frames[n], &t->nodes[0], 0);
	l->frames[n].kind = PICTURE_FRAME_JOB;
	l->frames[n].w_px = (double)weight(&t->nodes[0], by_processes) * px_per_w;
	frame_idx[0] = (__u32)n++;
	stack[top++] = 0;
	while (top > 0) {
		__u32 i = stack[--top], fi = frame_idx[i];
		double x = l->frames[fi].x_px;
		struct picture_frame *other = NULL;
		size_t pushed = top;

		for (size_t k = ch->first[i]; k < ch->first[i + 1]; k++) {
			const struct node *nd = &t->nodes[ch->ids[k]];
			double w = (double)weight(nd, by_processes) * px_per_w;

			if (w >= threshold_px && n < nframes) {
				struct picture_frame *f = &l->frames[n];

				frame_of_node(f, nd, fi);
				f->x_px = x;
				f->w_px = w;
				x += w;
				frame_idx[ch->ids[k]] = (__u32)n++;
				stack[top++] = ch->ids[k];
				continue;
			}
			if (!other && n < nframes) {
				other = &l->frames[n++];
				memset(other, 0, sizeof(*other));
				strcpy(other->name, "other");
				other->kind = PICTURE_FRAME_OTHER;
				other->parent = fi;
				other->depth = nd->depth;
			}
			if (other)
				fold_into(other, nd);
		}
		if (other) {
			other->x_px = x;
			other->w_px =
			    (double)(by_processes ? other->subtree_processes : other->cpu_ns) *
			    px_per_w;
		}
		/* Depth first, leftmost child next: reverse what was pushed. */
		for (size_t a = pushed, b = top; b > a + 1; a++, b--) {
			__u32 tmp = stack[a];

			stack[a] = stack[b - 1];
			stack[b - 1] = tmp;
		}
	}
	l->nframes = n;
	for (size_t i = 0; i < n; i++)
		if (l->frames[i].depth + 1 > l->rows)
			l->rows = l->frames[i].depth + 1;
	free(frame_idx);
	return 0;
}

static int by_command_cpu(const void *a, const void *b)
{
	const struct picture_command *x = a, *y = b;

	if (x->cpu_ns != y->cpu_ns)
		return x->cpu_ns > y->cpu_ns ? -1 : 1;
	if (x->processes != y->processes)
		return x->processes > y->processes ? -1 : 1;
	return strcmp(x->comm, y->comm);
}

static int by_command_alive(const void *a, const void *b)
{
	const struct picture_command *x = *(const struct picture_command *const *)a;
	const struct picture_command *y = *(const struct picture_command *const *)b;

	if (x->alive_ns != y->alive_ns)
		return x->alive_ns > y->alive_ns ? -1 : 1;
	return strcmp(x->comm, y->comm);
}

/* A command's key in the layout's table. */
struct command_key {
	const struct picture_command *commands;
	const char *comm;
};

static bool command_eq(const void *ctx, size_t i)
{
	const struct command_key *k = ctx;

	return !strcmp(k->commands[i].comm, k->comm);
}

/* The per-command table, every record's index into it in @cmd_of. */
static int layout_commands(const struct picture *p, struct picture_layout *l, __u32 *cmd_of)
{
	struct array_index x = {}, sorted = {};
	__u32 *order = NULL;
	const struct picture_command **ord = NULL;
	int err;

	l->commands = calloc(p->n ? p->n : 1, sizeof(*l->commands));
	err = l->commands ? array_index__init(&x, p->n) : -ENOMEM;
	if (err)
		goto out;
	for (size_t i = 0; i < p->n; i++) {
		const struct pic_proc *r = &p->procs[i];
		struct command_key k = { l->commands, r->comm };
		__u64 h = hash_comm(r->comm);
		__u32 s = array_index__find(&x, h, command_eq, &k);
		struct picture_command *c;

		if (s == NONE) {
			s = (__u32)l->ncommands;
			err = array_index__add(&x, s, h);
			if (err)
				goto out;
			c = &l->commands[l->ncommands++];
			memcpy(c->comm, r->comm, sizeof(c->comm));
			c->rgb = picture__color(c->comm);
		}
		c = &l->commands[s];
		c->processes++;
		c->cpu_ns += r->cpu_ns;
		c->failed += failed_status(r->status);
		c->alive_ns += r->exit_ns - r->start_ns;
	}
	if (l->ncommands)
		qsort(l->commands, l->ncommands, sizeof(*l->commands), by_command_cpu);
	/* The strip's bands: the commands with the most processes alive over time. */
	order = malloc((l->ncommands + 1) * sizeof(*order));
	ord = malloc((l->ncommands + 1) * sizeof(*ord));
	err = order && ord ? array_index__init(&sorted, l->ncommands) : -ENOMEM;
	if (err)
		goto out;
	for (size_t i = 0; i < l->ncommands; i++)
		ord[i] = &l->commands[i];
	qsort(ord, l->ncommands, sizeof(*ord), by_command_alive);
	for (size_t i = 0; i < l->ncommands && i < PICTURE_BANDS; i++)
		l->bands[l->nbands++].command = ord[i];
	if (l->ncommands > PICTURE_BANDS)
		l->bands[l->nbands++].command = NULL;
	/* Each record's band, through its command's place in the sorted table. */
	for (size_t i = 0; i < l->ncommands; i++) {
		err = array_index__add(&sorted, i, hash_comm(l->commands[i].comm));
		if (err)
			goto out;
		order[i] = (__u32)(l->nbands ? l->nbands - 1 : 0); /* the rest */
	}
	for (size_t b = 0; b < l->nbands; b++)
		if (l->bands[b].command)
			order[l->bands[b].command - l->commands] = (__u32)b;
	for (size_t i = 0; i < p->n; i++) {
		struct command_key k = { l->commands, p->procs[i].comm };

		cmd_of[i] = order[array_index__find(&sorted, hash_comm(k.comm), command_eq, &k)];
	}
out:
	array_index__free(&x);
	array_index__free(&sorted);
	free(order);
	free(ord);
	return err;
}

/* Processes alive in each bin, as the share of the bin each one lived. */
static void layout_strip(const struct picture *p, struct picture_layout *l, const __u32 *band_of)
{
	double span, bin_ns;

	l->t0_ns = UINT64_MAX;
	l->t1_ns = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (p->procs[i].start_ns < l->t0_ns)
			l->t0_ns = p->procs[i].start_ns;
		if (p->procs[i].exit_ns > l->t1_ns)
			l->t1_ns = p->procs[i].exit_ns;
	}
	if (!p->n) {
		l->t0_ns = l->t1_ns = 0;
		return;
	}
	span = (double)(l->t1_ns - l->t0_ns);
	if (span <= 0)
		span = 1;
	bin_ns = span / PICTURE_BINS;
	for (size_t i = 0; i < p->n; i++) {
		const struct pic_proc *r = &p->procs[i];
		double a = (double)(r->start_ns - l->t0_ns), z = (double)(r->exit_ns - l->t0_ns);
		size_t b0 = (size_t)(a / bin_ns), b1 = (size_t)(z / bin_ns);
		struct picture_band *band = &l->bands[band_of[i]];

		if (b1 >= PICTURE_BINS)
			b1 = PICTURE_BINS - 1;
		if (b0 > b1)
			b0 = b1;
		if (failed_status(r->status))
			l->failed_bins[b1]++;
		if (z <= a) {
			/* Too short to measure: alive for an instant, still seen. */
			band->alive[b0] += 1e-3;
			continue;
		}
		for (size_t b = b0; b <= b1; b++) {
			double lo = (double)b * bin_ns, hi = lo + bin_ns;
			double o = (z < hi ? z : hi) - (a > lo ? a : lo);

			if (o > 0)
				band->alive[b] += o / bin_ns;
		}
	}
	for (size_t b = 0; b < PICTURE_BINS; b++) {
		double sum = 0;

		for (size_t k = 0; k < l->nbands; k++) {
			if (l->bands[k].alive[b] > l->bands[k].peak)
				l->bands[k].peak = l->bands[k].alive[b];
			sum += l->bands[k].alive[b];
		}
		if (sum > l->peak_alive)
			l->peak_alive = sum;
	}
}

int picture__layout(const struct picture *p, __u64 unrecorded_cpu_ns, size_t max_frames,
		    struct picture_layout *l)
{
	struct tree t = {};
	struct children ch = {};
	__u32 *frame_of = NULL, *stack = NULL, *band_of = NULL;
	double px_per_w, threshold = 1.0;
	size_t nframes;
	int err = -ENOMEM;

	memset(l, 0, sizeof(*l));
	if (max_frames < 2)
		max_frames = 2;
	/* A frame per record at most, the root and "(unrecorded)" besides. */
	frame_of = malloc((p->n + 1) * sizeof(*frame_of));
	band_of = malloc((p->n + 1) * sizeof(*band_of));
	if (array_index__init(&t.frames, p->n + 2) || !frame_of || !band_of)
		goto out;
	if (tree__add(&t, NONE, "", false) == NONE)
		goto out;
	err = build_tree(p, &t, frame_of);
	if (err)
		goto out;
	err = -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		struct node *nd = &t.nodes[frame_of[i]];
		const struct pic_proc *r = &p->procs[i];

		nd->self_cpu_ns += r->cpu_ns;
		nd->user_ns += r->user_ns;
		nd->system_ns += r->system_ns;
		nd->processes++;
		nd->failed += failed_status(r->status);
		l->records++;
		l->failed += failed_status(r->status);
		l->cpu_ns += r->cpu_ns;
		if (frame_of[i] && t.nodes[frame_of[i]].parent == 0)
			l->roots++;
	}
	if (unrecorded_cpu_ns) {
		__u32 u = tree__add(&t, 0, "(unrecorded)", true);

		if (u == NONE)
			goto out;
		t.nodes[u].self_cpu_ns = unrecorded_cpu_ns;
	}
	/* Children come after their parents: one backward pass sums the subtrees. */
	for (size_t i = t.n; i-- > 0;) {
		struct node *nd = &t.nodes[i];

		nd->cpu_ns += nd->self_cpu_ns;
		nd->subtree_processes += nd->processes;
		nd->subtree_failed += nd->failed;
		if (i) {
			struct node *pn = &t.nodes[nd->parent];

			pn->cpu_ns += nd->cpu_ns;
			pn->subtree_processes += nd->subtree_processes;
			pn->subtree_failed += nd->subtree_failed;
			if (!nd->unrecorded) {
				pn->user_ns += nd->user_ns;
				pn->system_ns += nd->system_ns;
			}
		}
	}
	l->by_processes = t.nodes[0].cpu_ns == 0;
	err = sort_children(&t, l->by_processes, &ch);
	if (err)
		goto out;
	err = -ENOMEM;
	stack = malloc((t.n + 1) * sizeof(*stack));
	if (!stack)
		goto out;
	px_per_w = weight(&t.nodes[0], l->by_processes)
		       ? PICTURE_ICICLE_PX / (double)weight(&t.nodes[0], l->by_processes)
		       : 0;
	/* The threshold grows until the frames fit the cap: the file's size has a bound. */
	for (;;) {
		nframes = count_frames(&t, &ch, px_per_w, l->by_processes, threshold, stack);
		if (nframes <= max_frames)
			break;
		threshold *= 1.25;
	}
	l->threshold_px = threshold;
	err = emit_frames(&t, &ch, px_per_w, l->by_processes, threshold, nframes, l, stack);
	if (err)
		goto out;
	err = layout_commands(p, l, band_of);
	if (err)
		goto out;
	layout_strip(p, l, band_of);
out:
	free(t.nodes);
	array_index__free(&t.frames);
	free(ch.ids);
	free(ch.first);
	free(frame_of);
	free(band_of);
	free(stack);
	if (err)
		picture_layout__free(l);
	return err;
}

void picture_layout__free(struct picture_layout *l)
{
	if (!l)
		return;
	free(l->frames);
	free(l->commands);
	l->frames = NULL;
	l->commands = NULL;
	l->nframes = l->ncommands = 0;
}

int picture__job_path(const char *path, size_t index, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
	int n;

	if (!index || !strcmp(path, "-")) {
		n = snprintf(buf, size, "%s", path);
	} else {
		/* "a/b.svg" -> "a/b.2.svg"; no extension (or a dot only in a folder): "a/b.2". */
		if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1))
			dot = path + strlen(path);
		n = snprintf(buf, size, "%.*s.%zu%s", (int)(dot - path), path, index + 1, dot);
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
