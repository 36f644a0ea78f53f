// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The top view as a sink: the records go to the model (user/out/
 * top_model.c), and after each host record the frame it makes is drawn:
 * with ncurses on a terminal, or as plain text in batch mode (top -b's
 * habit). Here are the screen's state (the selection, the scroll, the
 * input line, the help), its keys and its resizes; what a line says is the
 * model's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* The functions, not the macros over stdscr: the library's are called through cu. */
#define NCURSES_NOMACROS
#include <curses.h>

#include "jobtrace/json.h"
#include "jobtrace/sink.h"
#include "jobtrace/top.h"

/*
 * ncurses, opened when a screen starts (dlopen), as serve opens
 * libmicrohttpd: top's screen alone draws with it, and linked in, every
 * command mapped it and its terminfo library at its start (0.26 MiB of
 * serve's RSS, and their relocations at every start of run). top -b
 * needs none. The macros curses.h has over stdscr are called as the
 * w-functions they stand for.
 */
#define CURSES_SONAME "libncursesw.so.6"

static struct {
	void *lib;
	SCREEN *(*newterm)(const char *, FILE *, FILE *);
	SCREEN *(*set_term)(SCREEN *);
	int (*endwin)(void);
	void (*delscreen)(SCREEN *);
	int (*cbreak)(void);
	int (*noecho)(void);
	int (*nonl)(void);
	int (*keypad)(WINDOW *, bool);
	int (*nodelay)(WINDOW *, bool);
	int (*set_escdelay)(int);
	int (*curs_set)(int);
	bool (*has_colors)(void);
	int (*start_color)(void);
	int (*use_default_colors)(void);
	int (*init_pair)(short, short, short);
	int (*resizeterm)(int, int);
	int (*wattrset)(WINDOW *, int);
	int (*mvwaddnstr)(WINDOW *, int, int, const char *, int);
	int (*wclrtoeol)(WINDOW *);
	int (*werase)(WINDOW *);
	int (*wrefresh)(WINDOW *);
	int (*wgetch)(WINDOW *);
	WINDOW **stdscr;
	int *cols, *lines;
} cu;

/* Loads ncurses once; 0, or -ELIBACC with why on stderr (as metrics_http.c's). */
static int curses_open(void)
{
	if (cu.lib)
		return 0;
	cu.lib = dlopen(CURSES_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!cu.lib) {
		fprintf(stderr, "jobtrace: cannot load %s (%s): top -b draws without it\n",
			CURSES_SONAME, dlerror());
		return -ELIBACC;
	}
#define CU_SYM(name) (*(void **)&cu.name = dlsym(cu.lib, #name))
	/* The library's dependencies (libtinfo: COLS, LINES, stdscr, cbreak...) are searched too. */
	if (!CU_SYM(newterm) || !CU_SYM(set_term) || !CU_SYM(endwin) || !CU_SYM(delscreen) ||
	    !CU_SYM(cbreak) || !CU_SYM(noecho) || !CU_SYM(nonl) || !CU_SYM(keypad) ||
	    !CU_SYM(nodelay) || !CU_SYM(set_escdelay) || !CU_SYM(curs_set) ||
	    !CU_SYM(has_colors) || !CU_SYM(start_color) || !CU_SYM(use_default_colors) ||
	    !CU_SYM(init_pair) || !CU_SYM(resizeterm) || !CU_SYM(wattrset) ||
	    !CU_SYM(mvwaddnstr) || !CU_SYM(wclrtoeol) || !CU_SYM(werase) || !CU_SYM(wrefresh) ||
	    !CU_SYM(wgetch) || !CU_SYM(stdscr) || !(cu.cols = dlsym(cu.lib, "COLS")) ||
	    !(cu.lines = dlsym(cu.lib, "LINES"))) {
		fprintf(stderr, "jobtrace: %s lacks a function top draws with: %s\n",
			CURSES_SONAME, dlerror());
		dlclose(cu.lib);
		memset(&cu, 0, sizeof(cu));
		return -ELIBACC;
	}
#undef CU_SYM
	return 0;
}

/* COLOR_PAIR() is a function where curses.h has no macros: its bits, as the macro has them. */
#define PAIR_ATTR(n) ((int)(NCURSES_BITS((chtype)(n), 0) & A_COLOR))
#define SCREEN_COLS (*cu.cols)
#define SCREEN_LINES (*cu.lines)
#define SCREEN_WIN (*cu.stdscr)

enum input_mode { IN_NONE, IN_FILTER, IN_DELAY, IN_TIME };

struct top_sink {
	struct sink sink; /* first: the collector's handle is this */
	struct top_opts o;
	struct top_model *m;
	unsigned long frames;

	/* The screen's state. */
	enum top_col sort;
	bool reverse;
	char filter[TOP_FILTER_LEN];
	__u64 sel_id; /* the selected job, followed across sorts */
	size_t sel; /* its index among the rows shown */
	size_t scroll; /* the first row shown */
	__u64 expanded_id; /* 0: none */
	bool paused, help;
	enum input_mode input;
	char input_buf[TOP_FILTER_LEN];
	char message[128];

	/* The terminal. */
	SCREEN *screen;
	FILE *term_out;
	bool colour;
};

static struct top_sink *top_of(struct sink *s)
{
	return (struct top_sink *)s;
}

/* The frame as the screen's choices ask; batch mode expands no job. */
static const struct top_line *frame(struct top_sink *t, size_t *n)
{
	struct top_view v = {
		.sort = t->sort,
		.reverse = t->reverse,
		.filter = t->filter,
		.expanded_id = t->o.batch ? 0 : t->expanded_id,
		.paused = t->paused,
		.replay = t->o.replay,
		.jobs_given = t->o.jobs_given,
		.width = t->o.batch ? t->o.width : SCREEN_COLS > 0 ? (unsigned int)SCREEN_COLS : 80,
	};

	top_model__frame(t->m, &v);
	return top_model__lines(t->m, n);
}

static bool is_row(const struct top_line *l)
{
	return l->kind == TOP_LINE_ROW || l->kind == TOP_LINE_ROW_FAILED;
}

/* ---- batch ---- */

static int batch_frame(struct top_sink *t)
{
	size_t nlines;
	const struct top_line *lines = frame(t, &nlines);

	for (size_t i = 0; i < nlines; i++) {
		/*
		 * -w N columns wide, as the screen is its width: the rows'
		 * columns need more than a narrow -w leaves (the job's name
		 * shrinks to 12 at the least), and the title and host lines are
		 * as long as what they say.
		 */
		size_t n = text__fit(lines[i].text, strlen(lines[i].text), t->o.width);

		/* No trailing blanks: a script compares what it reads. */
		while (n && lines[i].text[n - 1] == ' ')
			n--;
		fprintf(t->sink.f, "%.*s\n", (int)n, lines[i].text);
	}
	fputc('\n', t->sink.f);
	return sink__check(&t->sink);
}

/* ---- the terminal ---- */

enum { PAIR_TITLE = 1, PAIR_HEAD, PAIR_FAILED, PAIR_PROC, PAIR_INPUT };

static const char help_text[] =
	"jobtrace top: the host's jobs, refreshed every interval\n"
	"\n"
	"  Up/Down, PgUp/PgDn, Home/End   select a job\n"
	"  Enter, t      expand the job into its processes and last exits (again: fold)\n"
	"  +  -          expand, fold\n"
	"  P M S E F A I J C   sort by CPU%, RSS, START/s, EXIT/s, FAIL, ALIVE, IO/s,\n"
	"                JOB, COMMAND\n"
	"  <  >  F6      sort by the column left or right of the current one\n"
	"  R             reverse the order\n"
	"  /  f          filter: rows whose job or command holds the text (Esc clears)\n"
	"  p  space      pause the screen (the counting goes on)\n"
	"  d  s          change the interval, in seconds\n"
	"  h  ?  F1      this help\n"
	"  q  F10        quit\n"
	"\n"
	"START/s, EXIT/s: processes started and ended per second in the interval;\n"
	"FAIL: processes that exited non-zero or died of a signal in it; CPU%: of one\n"
	"CPU, the live processes and those that ended in the interval.\n"
	"\n"
	"Any key closes this help.";

/* A replay's keys differ where time does: t steps (Enter expands), no pause, no interval. */
static const char help_replay[] =
	"jobtrace top --replay: the host's jobs as serve's history kept them\n"
	"\n"
	"  t             the next interval\n"
	"  T             the interval before\n"
	"  b             go to a time: YYYY-MM-DD HH:MM[:SS], HH:MM[:SS], -1h, epoch\n"
	"  Up/Down, PgUp/PgDn, Home/End   select a job\n"
	"  Enter, +, -   expand the job into its last exits, fold\n"
	"  P M S E F A I J C   sort by CPU%, RSS, START/s, EXIT/s, FAIL, ALIVE, IO/s,\n"
	"                JOB, COMMAND\n"
	"  <  >  F6      sort by the column left or right of the current one\n"
	"  R             reverse the order\n"
	"  /  f          filter: rows whose job or command holds the text (Esc clears)\n"
	"  h  ?  F1      this help\n"
	"  q  F10        quit\n"
	"\n"
	"The history keeps no live processes: an expanded job shows its last exits.\n"
	"\n"
	"Any key closes this help.";

static int line_attr(const struct top_sink *t, const struct top_line *l)
{
	switch (l->kind) {
	case TOP_LINE_TITLE:
		return A_BOLD | (t->colour ? PAIR_ATTR(PAIR_TITLE) : 0);
	case TOP_LINE_COLHEAD:
		return A_REVERSE | (t->colour ? PAIR_ATTR(PAIR_HEAD) : 0);
	case TOP_LINE_ROW_FAILED:
	case TOP_LINE_EXIT_FAILED:
		return t->colour ? PAIR_ATTR(PAIR_FAILED) : (int)A_BOLD;
	case TOP_LINE_PROC:
	case TOP_LINE_EXIT:
		return t->colour ? PAIR_ATTR(PAIR_PROC) : (int)A_DIM;
	default:
		return A_NORMAL;
	}
}

static void draw_text(int y, int attr, const char *text)
{
	cu.wattrset(SCREEN_WIN, attr);
	cu.mvwaddnstr(SCREEN_WIN, y, 0, text, SCREEN_COLS);
	cu.wclrtoeol(SCREEN_WIN);
	cu.wattrset(SCREEN_WIN, A_NORMAL);
}

static void draw_help(const struct top_sink *t)
{
	const char *p = t->o.replay ? help_replay : help_text;

	cu.werase(SCREEN_WIN);
	for (int y = 0; y < SCREEN_LINES && *p; y++) {
		size_t n = strcspn(p, "\n");

		cu.mvwaddnstr(SCREEN_WIN, y, 0, p, n < (size_t)SCREEN_COLS ? (int)n : SCREEN_COLS);
		p += n + (p[n] == '\n');
	}
}

static void screen_draw(struct top_sink *t)
{
	size_t first_row = SIZE_MAX, nrows = 0, sel_line = 0, top_lines, body, y, nlines;
	int status_y;
	char status[TOP_LINE_LEN];
	const struct top_line *lines;

	if (!t->screen)
		return;
	status_y = SCREEN_LINES - 1;
	if (SCREEN_LINES < 1 || SCREEN_COLS < 1) {
		cu.wrefresh(SCREEN_WIN);
		return;
	}
	if (t->help) {
		draw_help(t);
		cu.wrefresh(SCREEN_WIN);
		return;
	}
	lines = frame(t, &nlines);
	/* Where the selection is, by job id; a job gone takes the row now there. */
	for (size_t i = 0; i < nlines; i++) {
		if (!is_row(&lines[i]))
			continue;
		if (first_row == SIZE_MAX)
			first_row = i;
		if (lines[i].row_id == t->sel_id)
			t->sel = nrows;
		nrows++;
	}
	if (nrows && t->sel >= nrows)
		t->sel = nrows - 1;
	top_lines = first_row == SIZE_MAX ? nlines : first_row;
	cu.werase(SCREEN_WIN);
	for (y = 0; y < top_lines && (int)y < status_y; y++)
		draw_text((int)y, line_attr(t, &lines[y]), lines[y].text);
	body = (size_t)status_y > top_lines ? (size_t)status_y - top_lines : 0;
	if (nrows) {
		/* The selected row's line, and the scroll that keeps it on screen. */
		size_t r = 0;

		for (size_t i = first_row; i < nlines; i++) {
			if (!is_row(&lines[i]))
				continue;
			if (r++ == t->sel) {
				sel_line = i - first_row;
				t->sel_id = lines[i].row_id;
				break;
			}
		}
		if (sel_line < t->scroll)
			t->scroll = sel_line;
		else if (body && sel_line >= t->scroll + body)
			t->scroll = sel_line - body + 1;
		if (t->scroll > nlines - first_row)
			t->scroll = 0;
		for (size_t i = 0; i < body && first_row + t->scroll + i < nlines; i++) {
			const struct top_line *l = &lines[first_row + t->scroll + i];
			int attr = line_attr(t, l);

			if (t->scroll + i == sel_line)
				attr |= A_REVERSE;
			draw_text((int)(top_lines + i), attr, l->text);
		}
	}
	if (t->input != IN_NONE)
		snprintf(status, sizeof(status), "%s: %s_",
			 t->input == IN_FILTER ? "Filter" :
			 t->input == IN_TIME ? "Go to (YYYY-MM-DD HH:MM:SS, HH:MM, -1h)" :
					       "Interval in seconds",
			 t->input_buf);
	else if (t->message[0])
		snprintf(status, sizeof(status), "%s", t->message);
	else if (t->o.replay)
		snprintf(status, sizeof(status),
			 "q quit  h help  t next  T back  b go to time  Enter expand  P/M/S sort  "
			 "/ filter");
	else
		snprintf(status, sizeof(status),
			 "q quit  h help  Enter expand  P/M/S sort  / filter  p pause  d interval");
	if (status_y >= (int)top_lines || status_y == 0)
		draw_text(status_y, t->colour ? PAIR_ATTR(PAIR_INPUT) : (int)A_BOLD, status);
	cu.wrefresh(SCREEN_WIN);
}

static int screen_open(struct top_sink *t)
{
	int fd, err;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	err = curses_open();
	if (err)
		return err;
	/* stdout is a cookie stream (util__guard_stdout): ncurses wants one with an fd. */
	fd = dup(STDOUT_FILENO);
	if (fd < 0)
		return -errno;
	t->term_out = fdopen(fd, "w");
	if (!t->term_out) {
		close(fd);
		return -errno;
	}
	t->screen = cu.newterm(NULL, t->term_out, stdin);
	if (!t->screen)
		return -ENOTTY;
	cu.set_term(t->screen);
	cu.cbreak();
	cu.noecho();
	cu.nonl();
	cu.keypad(SCREEN_WIN, TRUE);
	cu.nodelay(SCREEN_WIN, TRUE);
	/* Esc alone is a key here (it clears the filter): do not wait long for a sequence. */
	cu.set_escdelay(25);
	cu.curs_set(0);
	/* NO_COLOR (no-color.org): any value, even empty, asks for none. */
	if (cu.has_colors() && !getenv("NO_COLOR") && cu.start_color() == OK) {
		cu.use_default_colors();
		cu.init_pair(PAIR_TITLE, COLOR_CYAN, -1);
		cu.init_pair(PAIR_HEAD, COLOR_BLACK, COLOR_GREEN);
		cu.init_pair(PAIR_FAILED, COLOR_RED, -1);
		cu.init_pair(PAIR_PROC, COLOR_BLUE, -1);
		cu.init_pair(PAIR_INPUT, COLOR_YELLOW, -1);
		t->colour = true;
	}
	return 0;
}

static void screen_close(struct top_sink *t)
{
	if (t->screen) {
		cu.endwin();
		cu.delscreen(t->screen);
		t->screen = NULL;
	}
	if (t->term_out) {
		fclose(t->term_out);
		t->term_out = NULL;
	}
}

void sink_top__resize(struct sink *s)
{
	struct top_sink *t = top_of(s);
	struct winsize ws;

	if (!t->screen)
		return;
	if (!ioctl(fileno(t->term_out), TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col)
		cu.resizeterm(ws.ws_row, ws.ws_col);
	screen_draw(t);
}

/* ---- keys ---- */

static void sort_by(struct top_sink *t, enum top_col c)
{
	if (t->sort == c)
		t->reverse = !t->reverse;
	else
		t->reverse = false;
	t->sort = c;
}

static void input_key(struct top_sink *t, int ch, struct top_request *req)
{
	size_t n = strlen(t->input_buf);

	if (ch == 27) {
		if (t->input == IN_FILTER)
			t->filter[0] = '\0';
		t->input = IN_NONE;
		return;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		if (t->input == IN_TIME && t->input_buf[0]) {
			req->jump = true;
			snprintf(req->jump_to, sizeof(req->jump_to), "%s", t->input_buf);
		}
		if (t->input == IN_DELAY) {
			char *end;
			double v = strtod(t->input_buf, &end);

			if (end != t->input_buf && !*end && v >= 0.1 && v <= 86400) {
				req->interval_s = v;
				t->o.interval_s = v;
				top_model__set_interval(t->m, v);
				t->message[0] = '\0';
			} else {
				snprintf(t->message, sizeof(t->message),
					 "Not an interval: '%.40s' (seconds, 0.1 to 86400)",
					 t->input_buf);
			}
		}
		t->input = IN_NONE;
		return;
	}
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (n)
			t->input_buf[n - 1] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && n + 1 < sizeof(t->input_buf)) {
		t->input_buf[n] = (char)ch;
		t->input_buf[n + 1] = '\0';
	}
	/* The filter follows the typing. */
	if (t->input == IN_FILTER)
		snprintf(t->filter, sizeof(t->filter), "%s", t->input_buf);
}

/* The job at the selected index of the rows last drawn: Enter may follow Down in one read. */
static void select_index(struct top_sink *t)
{
	size_t n = 0, last = SIZE_MAX, nlines;
	const struct top_line *lines = top_model__lines(t->m, &nlines);

	for (size_t i = 0; i < nlines; i++) {
		if (!is_row(&lines[i]))
			continue;
		last = i;
		if (n++ == t->sel)
			break;
	}
	if (last == SIZE_MAX)
		return;
	if (t->sel >= n)
		t->sel = n - 1;
	t->sel_id = lines[last].row_id;
}

static void key(struct top_sink *t, int ch, struct top_request *req)
{
	static const char sort_keys[TOP_NCOLS] = { 'J', 'A', 'S', 'E', 'F', 'P', 'M', 'I', 'C' };
	int page = SCREEN_LINES > 8 ? SCREEN_LINES - 8 : 1;

	if (t->input != IN_NONE) {
		input_key(t, ch, req);
		return;
	}
	if (t->help) {
		t->help = false;
		return;
	}
	t->message[0] = '\0';
	if (t->o.replay) {
		switch (ch) {
		case 't':
			req->step++; /* keys typed ahead each count */
			return;
		case 'T':
			req->step--;
			return;
		case 'b':
			t->input = IN_TIME;
			t->input_buf[0] = '\0';
			return;
		case 'p':
		case ' ':
		case 'd':
		case 's':
			snprintf(t->message, sizeof(t->message),
				 "A replay: t and T step, b goes to a time");
			return;
		default:
			break;
		}
	}
	for (int i = 0; i < TOP_NCOLS; i++) {
		if (ch == sort_keys[i]) {
			sort_by(t, (enum top_col)i);
			return;
		}
	}
	switch (ch) {
	case 'q':
	case KEY_F(10):
		req->quit = true;
		break;
	case KEY_UP:
		if (t->sel)
			t->sel--;
		select_index(t);
		break;
	case KEY_DOWN:
		t->sel++;
		select_index(t);
		break;
	case KEY_PPAGE:
		t->sel = t->sel > (size_t)page ? t->sel - (size_t)page : 0;
		select_index(t);
		break;
	case KEY_NPAGE:
		t->sel += (size_t)page;
		select_index(t);
		break;
	case KEY_HOME:
		t->sel = 0;
		select_index(t);
		break;
	case KEY_END:
		t->sel = SIZE_MAX;
		select_index(t);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case 't':
		select_index(t);
		t->expanded_id = t->expanded_id == t->sel_id ? 0 : t->sel_id;
		break;
	case '+':
		select_index(t);
		t->expanded_id = t->sel_id;
		break;
	case '-':
		t->expanded_id = 0;
		break;
	case '<':
		sort_by(t, (enum top_col)((t->sort + TOP_NCOLS - 1) % TOP_NCOLS));
		t->reverse = false;
		break;
	case '>':
	case KEY_F(6):
		sort_by(t, (enum top_col)((t->sort + 1) % TOP_NCOLS));
		t->reverse = false;
		break;
	case 'R':
		t->reverse = !t->reverse;
		break;
	case '/':
	case 'f':
	case KEY_F(3):
		t->input = IN_FILTER;
		snprintf(t->input_buf, sizeof(t->input_buf), "%s", t->filter);
		break;
	case 27:
		t->filter[0] = '\0';
		break;
	case 'p':
	case ' ':
		t->paused = !t->paused;
		if (!t->paused)
			top_model__snapshot(t->m, t->o.interval_s, time(NULL));
		break;
	case 'd':
	case 's':
		t->input = IN_DELAY;
		t->input_buf[0] = '\0';
		break;
	case 'h':
	case '?':
	case KEY_F(1):
		t->help = true;
		break;
	case KEY_RESIZE:
		break;
	default:
		break;
	}
}

void sink_top__keys(struct sink *s, struct top_request *req)
{
	struct top_sink *t = top_of(s);
	int ch;

	if (!t->screen)
		return;
	while ((ch = cu.wgetch(SCREEN_WIN)) != ERR)
		key(t, ch, req);
	if (!req->quit)
		screen_draw(t);
}

/* ---- the sink ---- */

static int top_process(struct sink *s, const struct proc_record *r)
{
	return top_model__process(top_of(s)->m, r);
}

static int top_interval(struct sink *s, const struct interval_record *r)
{
	return top_model__interval(top_of(s)->m, r);
}

static int top_host(struct sink *s, const struct host_record *r)
{
	return top_model__host(top_of(s)->m, r);
}

static int top_live(struct sink *s, const struct live_record *r)
{
	return top_model__live(top_of(s)->m, r);
}

static int top_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	top_model__job_end(top_of(s)->m, j);
	return 0;
}

static int top_flush(struct sink *s)
{
	struct top_sink *t = top_of(s);
	int err = 0;

	if (!top_model__settle(t->m))
		return 0;
	t->frames++;
	if (t->o.replay) {
		double interval_s, at = top_model__host_time(t->m, &interval_s);

		/* The screen as it was then: the front draws the frame it goes to. */
		top_model__drop_silent(t->m);
		top_model__snapshot(t->m, interval_s, (time_t)at);
		return 0;
	}
	if (t->o.batch) {
		top_model__snapshot(t->m, t->o.interval_s, time(NULL));
		err = batch_frame(t);
		if (!err && fflush(t->sink.f))
			err = sink__check(&t->sink);
	} else if (!t->paused) {
		top_model__snapshot(t->m, t->o.interval_s, time(NULL));
		screen_draw(t);
	}
	if (t->o.on_frame)
		t->o.on_frame(t->o.ctx, t->frames);
	return err;
}

bool sink_top__final_due(struct sink *s)
{
	struct top_sink *t = top_of(s);

	/*
	 * The screen goes with the program: only batch mode keeps a last
	 * frame, and only for jobs no frame showed ended: a second frame of
	 * the same interval would show its figures twice.
	 */
	return t->o.batch && !t->sink.err && top_model__ended_unseen(t->m);
}

void sink_top__final(struct sink *s)
{
	struct top_sink *t = top_of(s);

	if (!sink_top__final_due(s))
		return;
	/*
	 * Only over a host record that closed the time since the last frame:
	 * without one the rows' and the header's figures are still the last
	 * frame's, and drawn again they counted its failures, exits and
	 * starts twice.
	 */
	if (!top_model__settle(t->m))
		return;
	top_model__snapshot(t->m, t->o.interval_s, time(NULL));
	if (!batch_frame(t) && fflush(t->sink.f))
		sink__check(&t->sink);
}

int sink_top__draw(struct sink *s)
{
	struct top_sink *t = top_of(s);

	if (!t->o.batch) {
		screen_draw(t);
		return 0;
	}
	if (t->sink.err)
		return t->sink.err;
	if (!batch_frame(t) && fflush(t->sink.f))
		sink__check(&t->sink);
	return t->sink.err;
}

int sink_top__reset(struct sink *s)
{
	struct top_sink *t = top_of(s);
	struct top_model *m = top_model__new();

	if (!m)
		return -ENOMEM;
	top_model__free(t->m);
	t->m = m;
	top_model__set_interval(m, t->o.interval_s);
	return 0;
}

void sink_top__message(struct sink *s, const char *msg)
{
	struct top_sink *t = top_of(s);

	snprintf(t->message, sizeof(t->message), "%s", msg);
	if (t->o.batch && msg[0])
		fprintf(stderr, "jobtrace: %s\n", msg);
}

static void top_free(struct sink *s)
{
	struct top_sink *t = top_of(s);

	screen_close(t);
	top_model__free(t->m);
	/* sink__free() frees the sink itself. */
}

static const struct sink_ops top_ops = {
	.name = "top",
	.process = top_process,
	.interval = top_interval,
	.host = top_host,
	.live = top_live,
	.job_end = top_job_end,
	.flush = top_flush,
	.free = top_free,
};

struct sink *sink_top__new(const struct top_opts *o)
{
	struct top_sink *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return NULL;
	t->sink.ops = &top_ops;
	t->sink.f = o->out ? o->out : stdout;
	t->sink.path = "standard output";
	t->o = *o;
	if (!t->o.width)
		t->o.width = 120;
	t->sort = o->sort;
	t->reverse = o->reverse;
	if (o->filter)
		snprintf(t->filter, sizeof(t->filter), "%s", o->filter);
	t->m = top_model__new();
	if (!t->m) {
		err = -ENOMEM;
		goto err_free;
	}
	top_model__set_interval(t->m, o->interval_s);
	if (!o->batch) {
		err = screen_open(t);
		if (err)
			goto err_free;
		/* A replay draws the frame it goes to, not an empty one first. */
		if (!o->replay)
			screen_draw(t);
	}
	return &t->sink;

err_free:
	top_free(&t->sink);
	free(t);
	errno = -err;
	return NULL;
}
