// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The picture's layout and writers over scripted exit records: lineage
 * merging, folding under a pixel, the frame cap and the size bound it
 * gives, hostile names, and that what is written is well-formed XML
 * (python3's parser, which the build's dependencies have).
 */
#include <math.h>
#include <sys/wait.h>

#include "testutil.h"

#include "jobtrace/picture.h"
#include "jobtrace/util.h"

#define MS 1000000ULL
/* The bound on a picture's size that jobtrace(8) promises (a 20,000-process job or any other). */
#define SVG_BOUND_BYTES (3 << 20)

static struct jt_exit_event ev(__u32 pid, __u64 start, __u32 ppid, __u64 pstart, const char *comm,
			       __u64 cpu_ns, int status)
{
	struct jt_exit_event e;

	memset(&e, 0, sizeof(e));
	e.pid = pid;
	e.start_ns = start;
	e.ppid = ppid;
	e.parent_start_ns = pstart;
	e.exit_ns = start + 10 * MS;
	e.exit_status = (__u32)status;
	e.acct.cpu_ns = cpu_ns;
	e.user_ns = cpu_ns / 4 * 3;
	e.system_ns = cpu_ns - e.user_ns;
	memcpy(e.comm, comm, strnlen(comm, JT_COMM_LEN));
	return e;
}

static void add(struct picture *p, __u32 pid, __u64 start, __u32 ppid, __u64 pstart,
		const char *comm, __u64 cpu_ns, int status)
{
	struct jt_exit_event e = ev(pid, start, ppid, pstart, comm, cpu_ns, status);

	assert_int_equal(picture__add(p, &e, NULL, 0), 0);
}

static const struct picture_frame *find(const struct picture_layout *l, const char *name,
					__u32 depth)
{
	for (size_t i = 0; i < l->nframes; i++)
		if (l->frames[i].depth == depth && !strcmp(l->frames[i].name, name))
			return &l->frames[i];
	fail_msg("no frame %s at depth %u", name, depth);
	return NULL;
}

/*
 * What holds for every layout: parents before children, children inside
 * their parent and not overlapping, every record in exactly one frame.
 */
static void assert_invariants(const struct picture_layout *l, __u64 records)
{
	__u64 procs = 0;

	assert_true(l->nframes >= 1);
	assert_int_equal(l->frames[0].kind, PICTURE_FRAME_JOB);
	assert_true(l->rows <= PICTURE_MAX_DEPTH);
	for (size_t i = 1; i < l->nframes; i++) {
		const struct picture_frame *f = &l->frames[i], *pf = &l->frames[f->parent];

		assert_true(f->parent < i);
		assert_int_equal(f->depth, pf->depth + 1);
		assert_true(f->x_px >= pf->x_px - 1e-6);
		assert_true(f->x_px + f->w_px <= pf->x_px + pf->w_px + 1e-6);
		if (f->kind != PICTURE_FRAME_UNRECORDED)
			procs += f->processes;
		for (size_t k = i + 1; k < l->nframes; k++)
			if (l->frames[k].parent == f->parent &&
			    l->frames[k].kind != PICTURE_FRAME_OTHER &&
			    f->kind != PICTURE_FRAME_OTHER)
				assert_true(l->frames[k].x_px >= f->x_px + f->w_px - 1e-6 ||
					    l->frames[k].x_px + l->frames[k].w_px <=
						f->x_px + 1e-6);
	}
	assert_int_equal(procs, records);
}

/* The document, parsed by a real XML parser; returns its exit status. */
static int xml_check(const char *doc, size_t len, const char *extra_python)
{
	char cmd[2048];
	FILE *py;

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys, xml.etree.ElementTree as ET\n"
		 "r = ET.fromstring(sys.stdin.buffer.read())\n%s'",
		 extra_python ? extra_python : "");
	py = popen(cmd, "w");
	assert_non_null(py);
	assert_int_equal(fwrite(doc, 1, len, py), len);
	return pclose(py);
}

static char *svg_of(const struct picture *p, const struct picture_layout *l,
		    const struct picture_info *info, size_t *len, bool html)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	if (html)
		assert_int_equal(picture__write_html(f, p, l, info), 0);
	else
		assert_int_equal(picture__write_svg(f, p, l, info), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* bash -> make -> 3 cc1 (one failed) + ld; records come children first. */
static void test_lineage_merges_siblings(void **state)
{
	struct picture *p = picture__new();
	struct picture_info info = {.title = "make -j3", .processes_started = 6};
	const struct picture_frame *bash, *make, *cc1, *ld;
	struct picture_layout l;
	size_t len;
	char *svg;

	assert_non_null(p);
	add(p, 103, 30, 102, 20, "cc1", 300 * MS, 0);
	add(p, 104, 31, 102, 20, "cc1", 200 * MS, 1 << 8);
	add(p, 105, 32, 102, 20, "cc1", 100 * MS, 0);
	add(p, 106, 33, 102, 20, "ld", 200 * MS, 0);
	add(p, 102, 20, 101, 10, "make", 100 * MS, 0);
	add(p, 101, 10, 1, 5, "bash", 100 * MS, 0);
	assert_int_equal(picture__layout(p, 0, PICTURE_MAX_FRAMES, &l), 0);
	assert_invariants(&l, 6);
	assert_int_equal(l.nframes, 5);
	assert_int_equal(l.roots, 1);
	assert_int_equal(l.failed, 1);
	bash = find(&l, "bash", 1);
	make = find(&l, "make", 2);
	cc1 = find(&l, "cc1", 3);
	ld = find(&l, "ld", 3);
	assert_int_equal(cc1->processes, 3);
	assert_int_equal(cc1->failed, 1);
	assert_int_equal(cc1->cpu_ns, 600 * MS);
	assert_int_equal(make->cpu_ns, 900 * MS);
	assert_int_equal(make->self_cpu_ns, 100 * MS);
	assert_int_equal(make->subtree_processes, 5);
	assert_int_equal(make->subtree_failed, 1);
	assert_int_equal(bash->cpu_ns, 1000 * MS);
	/* Widths are CPU: the job is the icicle's width, cc1 is 60% of it. */
	assert_true(fabs(l.frames[0].w_px - PICTURE_ICICLE_PX) < 1e-6);
	assert_true(fabs(cc1->w_px - 0.6 * PICTURE_ICICLE_PX) < 1e-6);
	assert_true(fabs(ld->w_px - 0.2 * PICTURE_ICICLE_PX) < 1e-6);
	/* Widest first: cc1 left of ld, at make's left edge. */
	assert_true(fabs(cc1->x_px - make->x_px) < 1e-6);
	assert_true(fabs(ld->x_px - (cc1->x_px + cc1->w_px)) < 1e-6);
	/* The commands table: cc1 most CPU. */
	assert_string_equal(l.commands[0].comm, "cc1");
	assert_int_equal(l.commands[0].processes, 3);

	svg = svg_of(p, &l, &info, &len, false);
	assert_non_null(strstr(svg, "cc1: 3 processes, 1 failed\nCPU 0.600 s (60.0% of the job)"));
	assert_non_null(strstr(svg, "bash &gt; make &gt; cc1"));
	assert_non_null(strstr(svg, "viewBox=\"0 0 1200 "));
	/* The failed frame has the red outline, and its count in its label. */
	assert_non_null(strstr(svg, "stroke=\"#d00000\""));
	assert_non_null(strstr(svg, "\xe2\x9c\x97"
				    "1 cc1"));
	assert_int_equal(xml_check(svg, len, "assert r.get(\"viewBox\")\n"), 0);
	free(svg);
	picture_layout__free(&l);
	picture__free(p);
}

/*
 * A parent not in the records (alive at the end, outside the job) makes a
 * root; a pid reused later is a different process (its start differs).
 */
static void test_roots_and_pid_reuse(void **state)
{
	struct picture *p = picture__new();
	struct picture_layout l;
	const struct picture_frame *sh;

	/* Two roots named sh (parents 50, 60 not in the job): one frame of 2. */
	add(p, 10, 100, 50, 1, "sh", 10 * MS, 0);
	add(p, 11, 101, 60, 2, "sh", 10 * MS, 0);
	/* pid 10 again, later: its child must not hang under the first pid 10. */
	add(p, 12, 300, 10, 200, "cat", 10 * MS, 0);
	add(p, 10, 200, 70, 3, "sh", 10 * MS, 0);
	assert_int_equal(picture__layout(p, 0, PICTURE_MAX_FRAMES, &l), 0);
	assert_invariants(&l, 4);
	assert_int_equal(l.roots, 3);
	sh = find(&l, "sh", 1);
	assert_int_equal(sh->processes, 3);
	assert_int_equal(sh->subtree_processes, 4);
	assert_int_equal(find(&l, "cat", 2)->parent, (__u32)(sh - l.frames));
	assert_int_equal(l.nframes, 3);
	picture_layout__free(&l);
	picture__free(p);
}

/* 500 tiny siblings fold into one "other" frame beside the big one. */
static void test_fold_under_a_pixel(void **state)
{
	struct picture *p = picture__new();
	struct picture_layout l;
	const struct picture_frame *o = NULL;
	char name[16];

	for (__u32 i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "tiny%u", i);
		add(p, 1000 + i, 1000 + i, 1, 10, name, 1000, i % 100 == 0 ? 1 << 8 : 0);
	}
	add(p, 2, 20, 1, 10, "big", 10000 * MS, 0);
	add(p, 1, 10, 0, 0, "init", 0, 0);
	assert_int_equal(picture__layout(p, 0, PICTURE_MAX_FRAMES, &l), 0);
	assert_invariants(&l, 502);
	assert_int_equal(l.nframes, 4); /* job, init, big, other: nothing else */
	for (size_t i = 0; i < l.nframes; i++)
		if (l.frames[i].kind == PICTURE_FRAME_OTHER)
			o = &l.frames[i];
	assert_non_null(o);
	assert_int_equal(o->folded, 500); /* every tiny one: 1000 ns is far below a pixel */
	assert_int_equal(o->processes, 500);
	assert_int_equal(o->failed, 5);
	assert_int_equal(o->cpu_ns, 500 * 1000);
	assert_true(o->w_px < 1.0);
	assert_true(fabs(l.threshold_px - 1.0) < 1e-9);
	picture_layout__free(&l);
	picture__free(p);
}

static void test_escape(void **state)
{
	static const struct {
		const char *in;
		size_t len, max;
		const char *out;
	} cases[] = {
	    {"<a&b>", 5, 0, "&lt;a&amp;b&gt;"},
	    {"it's \"x\"", 8, 0, "it&#39;s &quot;x&quot;"},
	    /* churn --hostile's name: quotes, a backslash, a newline, invalid bytes */
	    {"q\"b\\n\nx\xff\xfe", 9, 0, "q&quot;b\\n\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbd"},
	    {"\xef\xbf\xbe!", 4, 0, "\xef\xbf\xbd!"}, /* U+FFFE: no XML character */
	    {"\xc3\xa9t\xc3\xa9", 5, 0, "\xc3\xa9t\xc3\xa9"}, /* valid UTF-8 kept */
	    {"\xc0\xaf", 2, 0, "\xef\xbf\xbd\xef\xbf\xbd"},   /* overlong '/' */
	    {"abcdefgh", 8, 5, "abcd\xe2\x80\xa6"},
	    {"abcde", 5, 5, "abcde"},
	    /* a cut never splits a character */
	    {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, 3, "\xc3\xa9\xc3\xa9\xe2\x80\xa6"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct capture c;

		capture__open(&c);
		picture__escape(c.f, cases[i].in, cases[i].len, cases[i].max);
		assert_string_equal(capture__close(&c), cases[i].out);
		capture__free(&c);
	}
}

/* Hostile names everywhere, and the title: the SVG and the HTML still parse. */
static void test_hostile_names_parse(void **state)
{
	static const char *const names[] = {"q\"b\\n\nx\xff\xfe", "<script>",	  "a&b]]>",
					    "\x01\x02",		  "\xef\xbf\xbf", "'; --"};
	struct picture_info info = {.title = "sh -c '<x>&\"\x7f\xff'", .job_key = "tree:1:<&>"};
	struct picture *p = picture__new();
	struct picture_layout l;
	size_t len;
	char *doc;

	add(p, 2, 20, 1, 10, names[0], 5 * MS, 1 << 8);
	for (__u32 i = 1; i < ARRAY_SIZE(names); i++) {
		char args[] = "x\0<y>\0&\xff";
		struct jt_exit_event e = ev(10 + i, 30 + i, 2, 20, names[i], i * MS, 9);

		assert_int_equal(picture__add(p, &e, args, sizeof(args)), 0);
	}
	add(p, 1, 10, 0, 0, names[1], MS, 0);
	assert_int_equal(picture__layout(p, 0, PICTURE_MAX_FRAMES, &l), 0);
	assert_invariants(&l, ARRAY_SIZE(names) + 1);
	doc = svg_of(p, &l, &info, &len, false);
	assert_null(strstr(doc, "<script>"));
	assert_int_equal(xml_check(doc, len, NULL), 0);
	free(doc);
	doc = svg_of(p, &l, &info, &len, true);
	assert_null(strstr(doc, "<script>"));
	/* The failed ones are listed with their arguments, escaped. */
	assert_non_null(strstr(doc, "x &lt;y&gt; &amp;\xef\xbf\xbd"));
	assert_non_null(strstr(doc, "killed by signal 9"));
	assert_int_equal(xml_check(doc, len,
				   "assert r.find(\".//{http://www.w3.org/2000/svg}svg\") "
				   "is not None\n"),
			 0);
	free(doc);
	picture_layout__free(&l);
	picture__free(p);
}

/*
 * The worst a job can do to the size: 20,000 processes, every one its
 * own frame (a distinct name under a distinct parent), names that escape
 * to the longest text, CPU spread so that nearly every frame is wider than
 * a pixel: 1,000 chains of 20 under the root. The cap holds, the file
 * stays under the bound, and it still parses.
 */
static void test_cap_bounds_the_size(void **state)
{
	struct picture_info info = {.title = "worst", .processes_started = 20001};
	struct picture *p = picture__new();
	struct picture_layout l;
	char name[17];
	size_t len;
	char *doc;

	add(p, 1, 1, 0, 0, "<<<<<<<<<<<<<<<", MS, 0);
	for (__u32 i = 0; i < 20000; i++) {
		__u32 pid = 2 + i, chain = i / 20, parent = i % 20 ? pid - 1 : 1;

		snprintf(name, sizeof(name), "&<&<&<&<&%06u", i);
		add(p, pid, pid, parent, parent, name, (__u64)(chain % 3 + 1) * MS,
		    i % 11 ? 0 : 1 << 8);
	}
	assert_int_equal(picture__layout(p, 0, PICTURE_MAX_FRAMES, &l), 0);
	assert_invariants(&l, 20001);
	assert_true(l.nframes <= PICTURE_MAX_FRAMES);
	assert_true(l.nframes > PICTURE_MAX_FRAMES / 2); /* the cap, not the pixel, decided */
	assert_true(l.threshold_px > 1.0);
	doc = svg_of(p, &l, &info, &len, false);
	print_message("  worst case: %zu frames, %zu bytes of SVG\n", l.nframes, len);
	assert_true(len < SVG_BOUND_BYTES);
	assert_int_equal(xml_check(doc, len, NULL), 0);
	free(doc);
	doc = svg_of(p, &l, &info, &len, true);
	print_message("  worst case: %zu bytes of HTML\n", len);
	assert_true(len < SVG_BOUND_BYTES + (64 << 10));
	free(doc);
	picture_layout__free(&l);

	/* A small cap: the threshold grows until it holds. */
	assert_int_equal(picture__layout(p, 0, 50, &l), 0);
	assert_invariants(&l, 20001);
	assert_true(l.nframes <= 50);
	picture_layout__free(&l);
	picture__free(p);
}

/* A chain deeper than the rows: the deep ones count in the last row's frame. */
static void test_depth_cap(void **state)
{
	struct picture *p = picture__new();
	struct picture_layout l;
	const struct picture_frame *last = NULL;

	for (__u32 i = 200; i >= 1; i--)
		add(p, i, i, i - 1, i - 1, "sh", MS, 0);
	assert_int_equal(picture__layout(p, 0, PICTURE_MAX_FRAMES, &l), 0);
	assert_invariants(&l, 200);
	assert_int_equal(l.rows, PICTURE_MAX_DEPTH);
	for (size_t i = 0; i < l.nframes; i++)
		if (l.frames[i].depth == PICTURE_MAX_DEPTH - 1)
			last = &l.frames[i];
	assert_non_null(last);
	assert_true(last->deeper);
	assert_int_equal(last->processes, 200 - (PICTURE_MAX_DEPTH - 2));
	picture_layout__free(&l);
	picture__free(p);
}

/* Records naming each other as parents (forged): no loop, both drawn. */
static void test_cycle_is_cut(void **state)
{
	struct picture *p = picture__new();
	struct picture_layout l;

	add(p, 1, 5, 2, 5, "a", MS, 0);
	add(p, 2, 5, 1, 5, "b", MS, 0);
	add(p, 3, 5, 3, 5, "self", MS, 0);
	assert_int_equal(picture__layout(p, 0, PICTURE_MAX_FRAMES, &l), 0);
	assert_invariants(&l, 3);
	picture_layout__free(&l);
	picture__free(p);
}

/* No CPU at all (sleepers): widths count processes; unrecorded CPU gets a frame. */
static void test_no_cpu_and_unrecorded(void **state)
{
	struct picture *p = picture__new();
	struct picture_layout l;
	const struct picture_frame *u = NULL;

	add(p, 2, 20, 1, 10, "sleep", 0, 0);
	add(p, 3, 21, 1, 10, "sleep", 0, 0);
	add(p, 4, 22, 1, 10, "true", 0, 0);
	assert_int_equal(picture__layout(p, 0, PICTURE_MAX_FRAMES, &l), 0);
	assert_true(l.by_processes);
	assert_invariants(&l, 3);
	assert_true(fabs(find(&l, "sleep", 1)->w_px - PICTURE_ICICLE_PX * 2 / 3.0) < 1e-6);
	picture_layout__free(&l);

	assert_int_equal(picture__layout(p, 3 * MS, PICTURE_MAX_FRAMES, &l), 0);
	assert_false(l.by_processes);
	assert_invariants(&l, 3);
	for (size_t i = 0; i < l.nframes; i++)
		if (l.frames[i].kind == PICTURE_FRAME_UNRECORDED)
			u = &l.frames[i];
	assert_non_null(u);
	assert_true(fabs(u->w_px - PICTURE_ICICLE_PX) < 1e-6);
	picture_layout__free(&l);
	picture__free(p);
}

/* The strip: processes alive over time by command, failures where they ended. */
static void test_strip(void **state)
{
	struct picture *p = picture__new();
	struct picture_layout l;
	struct jt_exit_event e;
	double sum = 0;

	/* Two processes alive over the whole span, one failing at its end. */
	e = ev(2, 0, 1, 0, "a", MS, 0);
	e.exit_ns = 240 * MS;
	assert_int_equal(picture__add(p, &e, NULL, 0), 0);
	e = ev(3, 0, 1, 0, "b", MS, 1 << 8);
	e.exit_ns = 240 * MS;
	assert_int_equal(picture__add(p, &e, NULL, 0), 0);
	assert_int_equal(picture__layout(p, 0, PICTURE_MAX_FRAMES, &l), 0);
	assert_int_equal(l.nbands, 2);
	assert_true(fabs(l.peak_alive - 2.0) < 1e-9);
	for (size_t b = 0; b < PICTURE_BINS; b++)
		sum += l.bands[0].alive[b];
	assert_true(fabs(sum - PICTURE_BINS) < 1e-6);
	assert_int_equal(l.failed_bins[PICTURE_BINS - 1], 1);
	picture_layout__free(&l);
	picture__free(p);
}

static void test_job_path(void **state)
{
	static const struct {
		const char *path;
		size_t index;
		const char *out;
	} cases[] = {
	    {"a.svg", 0, "a.svg"},	     {"a.svg", 1, "a.2.svg"},
	    {"dir.d/pic", 2, "dir.d/pic.3"}, {"/tmp/x.y/r.html", 9, "/tmp/x.y/r.10.html"},
	    {".hidden", 1, ".hidden.2"},     {"-", 3, "-"},
	};
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(picture__job_path(cases[i].path, cases[i].index, buf, sizeof(buf)),
				 0);
		assert_string_equal(buf, cases[i].out);
	}
	assert_int_equal(picture__job_path("abcdef.svg", 1, buf, 8), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lineage_merges_siblings),
	    cmocka_unit_test(test_roots_and_pid_reuse),
	    cmocka_unit_test(test_fold_under_a_pixel),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_hostile_names_parse),
	    cmocka_unit_test(test_cap_bounds_the_size),
	    cmocka_unit_test(test_depth_cap),
	    cmocka_unit_test(test_cycle_is_cut),
	    cmocka_unit_test(test_no_cpu_and_unrecorded),
	    cmocka_unit_test(test_strip),
	    cmocka_unit_test(test_job_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
