// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * End-to-end tests of --svg and --html: the real BPF programs and CLI, a
 * workload whose counts the test knows. The SVG must be well-formed XML
 * (python3's parser), render with rsvg-convert, and carry the same totals
 * as the JSON report of the same run; a 20,000-process job's picture
 * stays under the bound and renders in seconds. Needs root and BPF; under
 * CI=true a machine without them fails instead of skipping.
 *
 * The test binary is its own 20,000-process workload (`--tree`): a build
 * shape, 100 stages of 199 workers with 40 names, some failing, that
 * churn's flat tree of one name cannot give.
 */
#include <sys/prctl.h>

#include "harness.h"

#define SVG_BOUND_BYTES (3 << 20) /* jobtrace(8)'s bound (PICTURES) */
#define RENDER_LIMIT_S 10.0
#define TREE_STAGES 100
#define TREE_WORKERS 199 /* per stage: 1 + 100 + 100 * 199 = 20,001 processes */
#define TREE_NAMES 40
#define TREE_FAIL_EVERY 50 /* worker j fails when j % 50 == 0: 4 per stage */

static char self_exe[512];

/* The checker: a picture's totals as JSON, after parsing the SVG and the HTML. */
static const char checker[] =
    "import sys, json, re, xml.etree.ElementTree as ET\n"
    "S = '{http://www.w3.org/2000/svg}'\n"
    "def totals(svg):\n"
    "    assert svg.tag == S + 'svg', svg.tag\n"
    "    assert re.match(r'0 0 \\d+ \\d+$', svg.get('viewBox')), svg.get('viewBox')\n"
    "    m = svg.find(S + 'metadata')[0]\n"
    "    t = dict((k, m.get(k)) for k in m.keys())\n"
    "    t['text'] = ''.join(x.text or '' for x in svg.iter(S + 'text') if x.get('id') == "
    "'totals')\n"
    "    t['titles'] = [x.text or '' for x in svg.iter(S + 'title')]\n"
    "    t['elements'] = sum(1 for _ in svg.iter())\n"
    "    return t\n"
    "out = totals(ET.parse(sys.argv[1]).getroot())\n"
    "if len(sys.argv) > 2:\n"
    "    h = ET.parse(sys.argv[2]).getroot()\n"
    "    inline = h.find('.//' + S + 'svg')\n"
    "    assert inline is not None\n"
    "    hin = totals(inline)\n"
    "    for k in ('processes', 'cpu_ns', 'failed', 'records', 'lost', 'frames'):\n"
    "        assert hin[k] == out[k], k\n"
    "    out['html_tables'] = [t.get('id') for t in "
    "h.iter('{http://www.w3.org/1999/xhtml}table')]\n"
    "json.dump(out, sys.stdout)\n";

static double now_s(void)
{
	return (double)harness__mono_ns() / 1e9;
}

/* Runs @argv, its output to /dev/null; its wait status. */
static int spawn_wait(char *const argv[])
{
	return harness__wait(harness__spawn(argv, NULL, NULL));
}

/* A number of a report, or of the picture's metadata (an XML attribute: a string). */
static double num(json_t *root, const char *path)
{
	json_t *v = harness__get(root, path);

	if (json_is_string(v))
		return strtod(json_string_value(v), NULL);
	return harness__num(root, path);
}

/* Parses @svg (and @html) with python3's XML parser; the totals it found. */
static json_t *check_xml(const char *svg, const char *html)
{
	char script[600], out[600], log[600];
	char *argv[] = {"/usr/bin/env", "python3", script, (char *)svg, (char *)html, NULL};
	FILE *f;
	int st;

	harness__path(script, sizeof(script), "check.py");
	harness__path(out, sizeof(out), "check.json");
	harness__path(log, sizeof(log), "check.log");
	f = fopen(script, "w");
	assert_non_null(f);
	fputs(checker, f);
	assert_int_equal(fclose(f), 0);
	if (!html)
		argv[4] = NULL;
	/* stdout to the JSON, stderr (a parse error's trace) to the log. */
	st = harness__wait(harness__spawn(argv, out, log));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("%s is not a well-formed picture:\n%s", svg, harness__slurp(log));
	return harness__json(out);
}

/* rsvg-convert renders it: exit 0 and a PNG. Returns the seconds it took. */
static double render(const char *svg)
{
	char png[600];
	char *argv[] = {"/usr/bin/rsvg-convert", "-o", png, (char *)svg, NULL};
	unsigned char sig[8] = {0};
	struct stat sb;
	double t0;
	FILE *f;
	int st;

	harness__path(png, sizeof(png), "picture.png");
	t0 = now_s();
	st = spawn_wait(argv);
	t0 = now_s() - t0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(stat(png, &sb), 0);
	assert_true(sb.st_size > 1000);
	f = fopen(png, "rb");
	assert_non_null(f);
	assert_int_equal(fread(sig, 1, sizeof(sig), f), sizeof(sig));
	fclose(f);
	assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
	return t0;
}

static bool has_title(json_t *t, const char *prefix)
{
	json_t *titles = json_object_get(t, "titles"), *v;
	size_t i;

	json_array_foreach(
	    titles, i, v) if (!strncmp(json_string_value(v), prefix, strlen(prefix))) return true;
	return false;
}

/* The picture carries the same totals as the JSON report, and the truth's counts. */
static void assert_same_totals(json_t *pic, json_t *report)
{
	char text[128];

	assert_int_equal(num(pic, "processes"), num(report, "processes.started"));
	assert_int_equal(num(pic, "exited"), num(report, "processes.exited"));
	assert_int_equal(num(pic, "cpu_ns"), num(report, "cpu.total_ns"));
	assert_int_equal(num(pic, "failed"), num(report, "processes.exit_error") +
						 num(report, "processes.exit_signal"));
	assert_int_equal(num(pic, "records"), num(report, "events.received"));
	assert_int_equal(num(pic, "lost"), num(report, "events.lost"));
	/* And written where a reader sees them. */
	snprintf(text, sizeof(text), "%.0f processes (", num(report, "processes.started"));
	assert_non_null(strstr(json_string_value(json_object_get(pic, "text")), text));
	snprintf(text, sizeof(text), "CPU %.3f s", num(report, "cpu.total_s"));
	assert_non_null(strstr(json_string_value(json_object_get(pic, "text")), text));
}

/* run --svg --html over churn with failing, killed, orphaned and hostile children. */
static void test_run_picture_matches_report(void **state)
{
	char svg[600], html[600], report[600], truth[600];
	char *argv[] = {H.jobtrace,  "run",	   "--json",	"-o",	  report,
			"--svg",     svg,	   "--html",	html,	  "--",
			H.churn,     "--children", "300",	"--fail", "7",
			"--kill",    "3",	   "--orphans", "5",	  "--hostile",
			"--burn-us", "300",	   "--truth",	truth,	  NULL};
	json_t *r, *t, *pic;
	double render_s;
	int st;

	harness__path(svg, sizeof(svg), "run.svg");
	harness__path(html, sizeof(html), "run.html");
	harness__path(report, sizeof(report), "run.json");
	harness__path(truth, sizeof(truth), "run.truth");
	st = spawn_wait(argv);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	r = harness__json(report);
	t = harness__json(truth);
	pic = check_xml(svg, html);
	assert_same_totals(pic, r);
	/* The known counts: 1 + 300 + 7 + 3 + 5 orphans and their 5 children + 1 hostile. */
	assert_int_equal(num(pic, "processes"), num(t, "processes"));
	assert_int_equal(num(pic, "processes"), 1 + 300 + 7 + 3 + 5 + 5 + 1);
	assert_int_equal(num(pic, "failed"), 7 + 3);
	assert_int_equal(num(pic, "lost"), 0);
	/* The frames: churn's children merged in one frame; 10 of its processes failed. */
	assert_true(has_title(pic, "churn: 315 processes, 10 failed"));
	/* The hostile name, its bad bytes replaced, its quote and newline harmless. */
	assert_true(has_title(pic, "q\"b\\n\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbd: 1 processes"));
	assert_true(json_array_size(json_object_get(pic, "html_tables")) >= 3);
	render_s = render(svg);
	print_message("  %.0f processes: rendered in %.2f s\n", num(pic, "processes"), render_s);
	json_decref(pic);
	json_decref(r);
	json_decref(t);
}

/*
 * Its truth: a line per process that a fork made ("p"), appended to @truth
 * (O_APPEND: whole lines from any process), so the test counts what ran
 * even where the machine refused a fork under load.
 */
static void truth_note(int fd)
{
	if (fd >= 0 && write(fd, "p\n", 2) != 2)
		_exit(3);
}

/* The workload of the next test: a build's shape, 20,001 processes. */
static int tree_main(const char *truth)
{
	int tfd = truth ? open(truth, O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;

	static const char *const stems[] = {"cc1", "as",      "ld", "sh",
					    "gcc", "cc1plus", "ar", "make"};

	prctl(PR_SET_NAME, "build");
	truth_note(tfd);
	for (int s = 0; s < TREE_STAGES; s++) {
		pid_t stage = fork();

		if (stage < 0)
			return 1;
		if (stage == 0) {
			truth_note(tfd);
			char name[16];

			snprintf(name, sizeof(name), "stage%02d", s % 25);
			prctl(PR_SET_NAME, name);
			for (int j = 0; j < TREE_WORKERS; j++) {
				pid_t w = fork();

				if (w < 0)
					_exit(1);
				if (w == 0) {
					volatile unsigned long x = 0;

					truth_note(tfd);
					snprintf(name, sizeof(name), "%s-%d", stems[j % 8],
						 j % TREE_NAMES);
					prctl(PR_SET_NAME, name);
					/* Some work, more for some names: widths differ. */
					for (unsigned long k = 0;
					     k < 2000UL * (unsigned long)(j % 7 + 1); k++)
						x += k;
					_exit(j % TREE_FAIL_EVERY == 0 ? 1 : 0);
				}
				/* A few in flight per stage: the job stays a tree, not a fork bomb.
				 */
				if (j % 8 == 7)
					while (waitpid(-1, NULL, WNOHANG) > 0)
						;
			}
			while (wait(NULL) > 0)
				;
			_exit(0);
		}
		if (s % 2 == 1)
			while (wait(NULL) > 0)
				;
	}
	while (wait(NULL) > 0)
		;
	return 0;
}

static void test_20000_processes_bounded(void **state)
{
	char svg[600], html[600], report[600], truth[600];
	char *argv[] = {H.jobtrace, "run", "--json", "-o",     report,	 "--svg", svg,
			"--html",   html,  "--",     self_exe, "--tree", truth, NULL};
	const int want = 1 + TREE_STAGES * (1 + TREE_WORKERS);
	int ran = 0;
	const char *t;
	json_t *r, *pic;
	struct stat sb, hb;
	double run_s, render_s;
	int st;

	harness__path(svg, sizeof(svg), "big.svg");
	harness__path(html, sizeof(html), "big.html");
	harness__path(report, sizeof(report), "big.json");
	harness__path(truth, sizeof(truth), "big.truth");
	run_s = now_s();
	st = spawn_wait(argv);
	run_s = now_s() - run_s;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	r = harness__json(report);
	for (t = harness__slurp(truth); (t = strchr(t, '\n')); t++)
		ran++;
	/* A fork the loaded machine refused is the workload's, not a process missed. */
	if (ran != want)
		print_message("  the machine refused %d forks: %d processes ran\n", want - ran, ran);
	assert_int_equal(num(r, "processes.started"), ran);
	pic = check_xml(svg, html);
	assert_same_totals(pic, r);
	if (ran == want)
		assert_int_equal(num(pic, "failed"), TREE_STAGES * 4);
	assert_true(num(pic, "frames") <= 2000);
	assert_int_equal(stat(svg, &sb), 0);
	assert_int_equal(stat(html, &hb), 0);
	render_s = render(svg);
	print_message("  20,001 processes (run %.1f s): SVG %lld bytes, %.0f frames, %.0f "
		      "elements; HTML %lld bytes; rsvg-convert %.2f s\n",
		      run_s, (long long)sb.st_size, num(pic, "frames"), num(pic, "elements"),
		      (long long)hb.st_size, render_s);
	assert_true(sb.st_size < SVG_BOUND_BYTES);
	assert_true(hb.st_size < SVG_BOUND_BYTES + (128 << 10));
	assert_true(render_s < RENDER_LIMIT_S);
	json_decref(pic);
	json_decref(r);
}

/* watch with two jobs: FILE for the first that ends, FILE.2.svg for the other. */
static void test_watch_two_jobs_two_files(void **state)
{
	char svg[600], svg2[600], out[600], pa[32], pb[32], key_a[48], key_b[48];
	char *churn_a[] = {H.churn, "--children", "20", "--delay-ms", "1500", NULL};
	char *churn_b[] = {H.churn, "--children", "30", "--fail", "2", "--delay-ms", "2000", NULL};
	char *watch[] = {H.jobtrace, "watch", "--pid", pa,	     "--pid", pb,  "--svg",
			 svg,	     "-o",    out,     "--duration", "20",    NULL};
	json_t *p1, *p2;
	pid_t a, b;
	int st;

	harness__path(svg, sizeof(svg), "watch.svg");
	harness__path(svg2, sizeof(svg2), "watch.2.svg");
	harness__path(out, sizeof(out), "watch.out");
	a = harness__spawn(churn_a, NULL, NULL);
	b = harness__spawn(churn_b, NULL, NULL);
	snprintf(pa, sizeof(pa), "%d", a);
	snprintf(pb, sizeof(pb), "%d", b);
	st = spawn_wait(watch);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	harness__wait(a);
	harness__wait(b);
	p1 = check_xml(svg, NULL);
	p2 = check_xml(svg2, NULL);
	snprintf(key_a, sizeof(key_a), "pid:%d", a);
	snprintf(key_b, sizeof(key_b), "pid:%d", b);
	/* a ends first (it sleeps less, does less): its picture is FILE. */
	assert_string_equal(json_string_value(json_object_get(p1, "key")), key_a);
	assert_string_equal(json_string_value(json_object_get(p2, "key")), key_b);
	assert_int_equal(num(p2, "failed"), 2);
	render(svg2);
	json_decref(p1);
	json_decref(p2);
}

static int setup(void **state)
{
	char *probe[] = {H.jobtrace, "run", "--mode", "bpf", "--", "/bin/true", NULL};
	int st;

	assert_int_equal(harness__setup("picture"), 0);
	st = spawn_wait(probe);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	/* A kernel test that cannot run is a failure, never a skip. */
	fprintf(stderr,
		"FAIL: jobtrace cannot load its BPF programs here (exit status %d): "
		"the kernel tests need root and a kernel with BTF%s\n",
		WIFEXITED(st) ? WEXITSTATUS(st) : -1, H.ci ? " (CI=true)" : "");
	return -1;
}

static int teardown(void **state)
{
	return harness__teardown();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_picture_matches_report),
	    cmocka_unit_test(test_20000_processes_bounded),
	    cmocka_unit_test(test_watch_two_jobs_two_files),
	};
	ssize_t n;

	if (argc > 1 && !strcmp(argv[1], "--tree"))
		return tree_main(argc > 2 ? argv[2] : NULL);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n < 0)
		return 1;
	self_exe[n] = '\0';
	return cmocka_run_group_tests(tests, setup, teardown);
}
