// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The picture's writers: a layout (picture.c) as a standalone SVG 1.1
 * document, and as an HTML report with the SVG inline. Nothing external:
 * no fonts, scripts or images to fetch; hover details are <title>
 * elements. Every name is escaped (picture__escape): a command may be
 * called anything, invalid UTF-8 and newlines included.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>

#include "jobtrace/json.h"
#include "jobtrace/picture.h"
#include "jobtrace/util.h"

#define TITLE_Y 24
#define TOTALS_Y 44
#define STRIP_Y 76
#define STRIP_H 110
#define FAILS_H 8
#define ICICLE_GAP 42
#define ROW_H 17
#define LEGEND_ROW_H 18
#define LEGEND_COLS 5
#define CHAR_PX 6.3	/* an average glyph at font-size 11, to cut labels */
#define PATH_SHOWN 4	/* ancestors named in a frame's tooltip */
#define TITLE_CHARS 300 /* of the command line: an argv may be megabytes */
#define NS_PER_S 1e9
#define NS "urn:jobtrace:picture" /* the metadata's namespace: a name, nothing to fetch */

static double secs(__u64 ns)
{
	return (double)ns / NS_PER_S;
}

/* ---- escaping ---- */

static void put_replacement(FILE *f)
{
	fputs("\xef\xbf\xbd", f); /* U+FFFD */
}

size_t picture__escape(FILE *f, const char *s, size_t len, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0, total = 0;

	/* Count first: a cut name ends with an ellipsis inside the limit. */
	if (max_chars) {
		for (size_t j = 0; j < len; total++) {
			size_t n = utf8__seq_len(p + j, len - j);

			j += n ? n : 1;
		}
	}
	while (i < len) {
		size_t n = utf8__seq_len(p + i, len - i);

		if (max_chars && total > max_chars && chars + 1 >= max_chars) {
			fputs("\xe2\x80\xa6", f); /* U+2026 */
			return chars + 1;
		}
		chars++;
		if (!n) {
			/* An invalid byte: one replacement each, as a decoder would show it. */
			put_replacement(f);
			i++;
			continue;
		}
		if (n == 1) {
			unsigned char c = p[i];

			if (c == '&')
				fputs("&amp;", f);
			else if (c == '<')
				fputs("&lt;", f);
			else if (c == '>')
				fputs("&gt;", f);
			else if (c == '"')
				fputs("&quot;", f);
			else if (c == '\'')
				fputs("&#39;", f);
			else if (c < 0x20 || c == 0x7f)
				/* XML 1.0 has no place for controls; \n in an attribute would
				 * become a space. */
				put_replacement(f);
			else
				fputc(c, f);
		} else if (n == 3 && p[i] == 0xef && p[i + 1] == 0xbf &&
			   (p[i + 2] == 0xbe || p[i + 2] == 0xbf)) {
			put_replacement(f); /* U+FFFE, U+FFFF: not XML characters */
		} else {
			fwrite(p + i, 1, n, f);
		}
		i += n;
	}
	return chars;
}

static void esc(FILE *f, const char *s)
{
	picture__escape(f, s, strlen(s), 0);
}

/* ---- pieces ---- */

static void status_text(FILE *f, __u32 st)
{
	if (WIFSIGNALED(st))
		fprintf(f, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		fprintf(f, "exit %d", WEXITSTATUS(st));
}

static const char *frame_name(const struct picture_frame *fr, const struct picture_info *info)
{
	if (fr->kind == PICTURE_FRAME_JOB)
		return info->title ? info->title : "job";
	if (fr->kind == PICTURE_FRAME_UNRECORDED)
		return "CPU in no record";
	return fr->name;
}

static double pct(__u64 part, __u64 whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* "bash > make > cc1": where a frame is, its nearest ancestors named. */
static void frame_path(FILE *f, const struct picture_layout *l, size_t i)
{
	size_t chain[PATH_SHOWN + 1], n = 0;

	for (size_t k = i; k && n < PATH_SHOWN; k = l->frames[k].parent)
		chain[n++] = k;
	if (l->frames[chain[n - 1]].parent)
		fputs("\xe2\x80\xa6 &gt; ", f);
	while (n-- > 0) {
		esc(f, l->frames[chain[n]].name);
		if (n)
			fputs(" &gt; ", f);
	}
}

static void frame_title(FILE *f, const struct picture_layout *l, size_t i,
			const struct picture_info *info)
{
	const struct picture_frame *fr = &l->frames[i];
	__u64 whole = l->frames[0].cpu_ns;

	fputs("<title>", f);
	switch (fr->kind) {
	case PICTURE_FRAME_JOB:
		fputs("the job: ", f);
		picture__escape(f, frame_name(fr, info), strlen(frame_name(fr, info)), TITLE_CHARS);
		fprintf(f,
			"\n%" PRIu64 " processes in %" PRIu64 " records, %" PRIu64
			" failed\nCPU %.3f s (user %.3f s, system %.3f s)",
			(uint64_t)fr->subtree_processes, (uint64_t)l->records,
			(uint64_t)fr->subtree_failed, secs(fr->cpu_ns), secs(fr->user_ns),
			secs(fr->system_ns));
		break;
	case PICTURE_FRAME_UNRECORDED:
		fprintf(f,
			"CPU of the job that no exit record carries: %.3f s (%.1f%%)\n"
			"processes still alive at the end, or records lost",
			secs(fr->cpu_ns), pct(fr->cpu_ns, whole));
		break;
	case PICTURE_FRAME_OTHER:
		fprintf(f,
			"other: %" PRIu32 " frames narrower than %.1f px, folded\n%" PRIu64
			" processes, %" PRIu64 " failed\nCPU %.3f s (%.1f%% of the job)",
			fr->folded, l->threshold_px, (uint64_t)fr->processes, (uint64_t)fr->failed,
			secs(fr->cpu_ns), pct(fr->cpu_ns, whole));
		break;
	default:
		esc(f, fr->name);
		fprintf(f,
			": %" PRIu64 " processes, %" PRIu64 " failed\nCPU %.3f s (%.1f%% of the "
			"job): %.3f s its own, %.3f s in %" PRIu64 " descendants\n"
			"user %.3f s, system %.3f s\n",
			(uint64_t)fr->processes, (uint64_t)fr->failed, secs(fr->cpu_ns),
			pct(fr->cpu_ns, whole), secs(fr->self_cpu_ns),
			secs(fr->cpu_ns - fr->self_cpu_ns),
			(uint64_t)(fr->subtree_processes - fr->processes), secs(fr->user_ns),
			secs(fr->system_ns));
		frame_path(f, l, i);
		if (fr->deeper)
			fprintf(f, "\n(with processes deeper than %d levels)", PICTURE_MAX_DEPTH);
		break;
	}
	fputs("</title>", f);
}

static void fill_of(char *buf, size_t size, const struct picture_frame *fr)
{
	switch (fr->kind) {
	case PICTURE_FRAME_JOB:
		snprintf(buf, size, "#d8d8d8");
		break;
	case PICTURE_FRAME_OTHER:
		snprintf(buf, size, "url(#jt-hatch)");
		break;
	case PICTURE_FRAME_UNRECORDED:
		snprintf(buf, size, "#f2f2f2");
		break;
	default:
		snprintf(buf, size, "#%06" PRIx32, picture__color(fr->name));
		break;
	}
}

static void write_frames(FILE *f, const struct picture_layout *l, const struct picture_info *info,
			 double y0)
{
	for (size_t i = 0; i < l->nframes; i++) {
		const struct picture_frame *fr = &l->frames[i];
		double x = PICTURE_MARGIN_PX + fr->x_px, y = y0 + fr->depth * ROW_H;
		double w =
		    fr->w_px < 0.3 ? 0.3 : fr->w_px; /* "other" may be thinner than a pixel */
		size_t chars;
		char fill[32];

		fill_of(fill, sizeof(fill), fr);
		fputs("<g>", f);
		frame_title(f, l, i, info);
		fprintf(f, "<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" fill=\"%s\"",
			x, y, w, ROW_H - 1, fill);
		if (fr->failed)
			/* Failed processes in this frame itself: a red outline. */
			fputs(" stroke=\"#d00000\" stroke-width=\"1.5\"", f);
		else if (fr->kind == PICTURE_FRAME_UNRECORDED)
			fputs(" stroke=\"#888\" stroke-dasharray=\"3,2\"", f);
		fputs("/>", f);
		chars = (size_t)((w - 6) / CHAR_PX);
		if (chars >= 3) {
			fprintf(f, "<text x=\"%.2f\" y=\"%.0f\">", x + 3, y + ROW_H - 5);
			if (fr->failed && chars > 6) {
				fprintf(f, "\xe2\x9c\x97%" PRIu64 " ", (uint64_t)fr->failed);
				chars -= 4;
			}
			picture__escape(f, frame_name(fr, info), strlen(frame_name(fr, info)),
					chars);
			fputs("</text>", f);
		}
		fputs("</g>\n", f);
	}
}

/* The strip: a band per command, stacked, as steps over the bins. */
static void write_strip(FILE *f, const struct picture_layout *l, double y0)
{
	double bin_px = (double)PICTURE_ICICLE_PX / PICTURE_BINS, base[PICTURE_BINS] = {0};
	double scale = l->peak_alive > 0 ? STRIP_H / l->peak_alive : 0,
	       span = secs(l->t1_ns - l->t0_ns);
	double y1 = y0 + STRIP_H;

	fprintf(f,
		"<text x=\"%d\" y=\"%.0f\" font-weight=\"bold\">Processes alive over time, by "
		"command (%.1f at most)</text>\n",
		PICTURE_MARGIN_PX, y0 - 8, l->peak_alive);
	fprintf(f,
		"<rect x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
		"stroke=\"#ccc\"/>\n",
		PICTURE_MARGIN_PX, y0, PICTURE_ICICLE_PX, STRIP_H);
	for (size_t k = 0; k < l->nbands; k++) {
		const struct picture_band *b = &l->bands[k];
		const char *name = b->command ? b->command->comm : "other commands";

		if (b->peak <= 0)
			continue;
		fputs("<path", f);
		if (b->command)
			fprintf(f, " fill=\"#%06" PRIx32 "\"", b->command->rgb);
		else
			fputs(" fill=\"url(#jt-hatch)\"", f);
		fputs(" d=\"", f);
		/* Along the band's top, left to right, then back along its bottom. */
		for (size_t i = 0; i < PICTURE_BINS; i++) {
			double y = y1 - (base[i] + b->alive[i]) * scale;
			double x = PICTURE_MARGIN_PX + (double)i * bin_px;

			if (i == 0)
				fprintf(f, "M%.1f %.1f", x, y);
			else
				fprintf(f, "V%.1f", y);
			fprintf(f, "H%.1f", x + bin_px);
		}
		for (size_t i = PICTURE_BINS; i-- > 0;) {
			fprintf(f, "V%.1f", y1 - base[i] * scale);
			fprintf(f, "H%.1f", PICTURE_MARGIN_PX + (double)i * bin_px);
			base[i] += b->alive[i];
		}
		fputs("Z\"><title>", f);
		esc(f, name);
		if (b->command)
			fprintf(
			    f, ": %" PRIu64 " processes, %.1f alive at most, %.3f process-seconds",
			    (uint64_t)b->command->processes, b->peak, secs(b->command->alive_ns));
		else
			fprintf(f, ": %.1f alive at most", b->peak);
		fputs("</title></path>\n", f);
	}
	/* Failed exits under the strip, where they happened. */
	for (size_t i = 0; i < PICTURE_BINS; i++) {
		double x = PICTURE_MARGIN_PX + (double)i * bin_px;

		if (!l->failed_bins[i])
			continue;
		fprintf(f,
			"<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%d\" "
			"fill=\"#d00000\"><title>%" PRIu32 " failed exits at %.2f-%.2f s</title>"
			"</rect>\n",
			x, y1 + 3, bin_px, FAILS_H, l->failed_bins[i], span * i / PICTURE_BINS,
			span * (i + 1) / PICTURE_BINS);
	}
	/* The time axis: five marks. */
	for (int m = 0; m <= 4; m++) {
		double x = PICTURE_MARGIN_PX + PICTURE_ICICLE_PX * m / 4.0;

		fprintf(
		    f,
		    "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\" fill=\"#555\">%.2f s</text>\n",
		    x, y1 + FAILS_H + 16,
		    m == 0   ? "start"
		    : m == 4 ? "end"
			     : "middle",
		    span * m / 4);
	}
}

static void write_legend(FILE *f, const struct picture_layout *l, double y0)
{
	double col_w = (double)PICTURE_ICICLE_PX / LEGEND_COLS;
	size_t n = 0;

	fprintf(f, "<text x=\"%d\" y=\"%.0f\" font-weight=\"bold\">Legend</text>\n",
		PICTURE_MARGIN_PX, y0);
	y0 += 8;
	for (size_t k = 0; k <= l->nbands + 2; k++, n++) {
		double x = PICTURE_MARGIN_PX + (double)(n % LEGEND_COLS) * col_w;
		double y = y0 + (double)(n / LEGEND_COLS) * LEGEND_ROW_H;
		const struct picture_command *c = k < l->nbands ? l->bands[k].command : NULL;

		fputs("<g>", f);
		if (c) {
			fputs("<title>", f);
			esc(f, c->comm);
			fprintf(f,
				": %" PRIu64 " processes, CPU %.3f s, %" PRIu64 " failed</title>",
				(uint64_t)c->processes, secs(c->cpu_ns), (uint64_t)c->failed);
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.0f\" width=\"12\" height=\"12\" "
				"fill=\"#%06" PRIx32 "\"/>",
				x, y, c->rgb);
			fprintf(f, "<text x=\"%.1f\" y=\"%.0f\">", x + 16, y + 10);
			picture__escape(f, c->comm, strlen(c->comm), 0);
		} else if (k < l->nbands) {
			fprintf(
			    f,
			    "<rect x=\"%.1f\" y=\"%.0f\" width=\"12\" height=\"12\" "
			    "fill=\"url(#jt-hatch)\"/><text x=\"%.1f\" y=\"%.0f\">other commands",
			    x, y, x + 16, y + 10);
		} else if (k == l->nbands) {
			fprintf(
			    f,
			    "<rect x=\"%.1f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"#fff\" "
			    "stroke=\"#d00000\" stroke-width=\"1.5\"/><text x=\"%.1f\" y=\"%.0f\">"
			    "\xe2\x9c\x97N: N processes failed",
			    x, y, x + 16, y + 10);
		} else if (k == l->nbands + 1) {
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.0f\" width=\"12\" height=\"12\" "
				"fill=\"url(#jt-hatch)\"/><text x=\"%.1f\" y=\"%.0f\">"
				"other: frames &lt; %.1f px, folded",
				x, y, x + 16, y + 10, l->threshold_px);
		} else {
			fprintf(
			    f,
			    "<rect x=\"%.1f\" y=\"%.0f\" width=\"12\" height=\"8\" "
			    "fill=\"#d00000\"/><text x=\"%.1f\" y=\"%.0f\">failed exits over time",
			    x, y + 2, x + 16, y + 10);
		}
		fputs("</text></g>\n", f);
	}
}

static double legend_height(const struct picture_layout *l)
{
	return 8 + (double)((l->nbands + 3 + LEGEND_COLS - 1) / LEGEND_COLS) * LEGEND_ROW_H;
}

static void write_totals_text(FILE *f, const struct picture_info *info)
{
	fprintf(f, "%" PRIu64 " processes (%" PRIu64 " exited", (uint64_t)info->processes_started,
		(uint64_t)info->processes_exited);
	if (info->alive > 0)
		fprintf(f, ", %" PRId64 " still alive", (int64_t)info->alive);
	fprintf(f,
		")  |  CPU %.3f s (user %.3f s, system %.3f s)  |  wall %.3f s  |  %" PRIu64
		" failed  |  %" PRIu64 " exit records, %" PRIu64 " lost",
		secs(info->cpu_ns), secs(info->user_ns), secs(info->system_ns), secs(info->wall_ns),
		(uint64_t)info->failed, (uint64_t)info->records, (uint64_t)info->lost);
}

static int svg_body(FILE *f, const struct picture_layout *l, const struct picture_info *info,
		    bool standalone)
{
	double icicle_y = STRIP_Y + STRIP_H + FAILS_H + ICICLE_GAP + 14;
	double legend_y = icicle_y + (double)(l->rows ? l->rows : 1) * ROW_H + 28;
	double height = legend_y + legend_height(l) + 10;
	const char *title = info->title ? info->title : "job";

	if (standalone)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", f);
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%.0f\" viewBox=\"0 0 %d %.0f\" font-family=\"sans-serif\" "
		"font-size=\"11\">\n",
		PICTURE_WIDTH_PX, height, PICTURE_WIDTH_PX, height);
	fputs("<title>jobtrace: ", f);
	picture__escape(f, title, strlen(title), TITLE_CHARS);
	fputs("</title>\n<desc>Where the job's time went: processes alive over time by command, "
	      "and CPU by lineage (width = CPU of a command's processes and their descendants; "
	      "siblings with the same command merged).</desc>\n",
	      f);
	/* The totals for programs: the same numbers as the job's report. */
	fprintf(f, "<metadata><jt:job xmlns:jt=\"" NS "\" key=\"");
	esc(f, info->job_key ? info->job_key : "");
	fprintf(f,
		"\" processes=\"%" PRIu64 "\" exited=\"%" PRIu64 "\" cpu_ns=\"%" PRIu64
		"\" user_ns=\"%" PRIu64 "\" system_ns=\"%" PRIu64 "\" wall_ns=\"%" PRIu64
		"\" failed=\"%" PRIu64 "\" records=\"%" PRIu64 "\" lost=\"%" PRIu64
		"\" frames=\"%zu\" threshold_px=\"%.3f\" width_by=\"%s\"/></metadata>\n",
		(uint64_t)info->processes_started, (uint64_t)info->processes_exited,
		(uint64_t)info->cpu_ns, (uint64_t)info->user_ns, (uint64_t)info->system_ns,
		(uint64_t)info->wall_ns, (uint64_t)info->failed, (uint64_t)info->records,
		(uint64_t)info->lost, l->nframes, l->threshold_px,
		l->by_processes ? "processes" : "cpu");
	fputs("<defs><pattern id=\"jt-hatch\" width=\"6\" height=\"6\" "
	      "patternUnits=\"userSpaceOnUse\" "
	      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#e4e4e4\"/>"
	      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#aaa\" stroke-width=\"2\"/>"
	      "</pattern></defs>\n",
	      f);
	fprintf(f, "<rect width=\"%d\" height=\"%.0f\" fill=\"#ffffff\"/>\n", PICTURE_WIDTH_PX,
		height);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"17\" font-weight=\"bold\">jobtrace: ",
		PICTURE_MARGIN_PX, TITLE_Y);
	picture__escape(f, title, strlen(title), 110);
	fputs("</text>\n", f);
	fprintf(f, "<text id=\"totals\" x=\"%d\" y=\"%d\">", PICTURE_MARGIN_PX, TOTALS_Y);
	write_totals_text(f, info);
	fputs("</text>\n", f);
	write_strip(f, l, STRIP_Y);
	fprintf(f,
		"<text x=\"%d\" y=\"%.0f\" font-weight=\"bold\">CPU by lineage (width = CPU of "
		"the processes and their descendants%s; same commands under one parent merged)"
		"</text>\n",
		PICTURE_MARGIN_PX, icicle_y - 8,
		l->by_processes ? "; no CPU recorded, so widths count processes" : "");
	write_frames(f, l, info, icicle_y);
	write_legend(f, l, legend_y);
	fputs("</svg>\n", f);
	return util__stream_error(f);
}

int picture__write_svg(FILE *f, const struct picture *p, const struct picture_layout *l,
		       const struct picture_info *info)
{
	return svg_body(f, l, info, true);
}

/* ---- HTML ---- */

/* A row of the totals: a count, or seconds with @decimals. */
static void html_row(FILE *f, const char *name, int decimals, double v)
{
	fprintf(f, "<tr><th class=\"l\">%s</th><td>%.*f</td></tr>\n", name, decimals, v);
}

static void html_notes(FILE *f, const char *id, const char *heading,
		       const struct picture_note *notes, size_t n)
{
	fprintf(f,
		"<h2>%s</h2>\n<table id=\"%s\"><tr><th>PID</th><th>PPID</th>"
		"<th class=\"l\">COMMAND</th><th class=\"l\">STATUS</th><th>CPU s</th>"
		"<th>WALL s</th><th class=\"l\">ARGUMENTS</th></tr>\n",
		heading, id);
	for (size_t i = 0; i < n; i++) {
		const struct picture_note *pn = &notes[i];
		bool bad = WIFSIGNALED(pn->status) || WEXITSTATUS(pn->status);

		/* Hover: the process's whole line, as the table cuts it. */
		fputs("<tr title=\"", f);
		esc(f, pn->args[0] ? pn->args : pn->comm);
		fprintf(f, "\"><td>%" PRIu32 "</td><td>%" PRIu32 "</td><td class=\"l\">", pn->pid,
			pn->ppid);
		esc(f, pn->comm);
		fprintf(f, "</td><td class=\"l%s\">", bad ? " fail" : "");
		status_text(f, pn->status);
		fprintf(f, "</td><td>%.3f</td><td>%.3f</td><td class=\"l\">", secs(pn->cpu_ns),
			secs(pn->wall_ns));
		picture__escape(f, pn->args, strlen(pn->args), 80);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

int picture__write_html(FILE *f, const struct picture *p, const struct picture_layout *l,
			const struct picture_info *info)
{
	const char *title = info->title ? info->title : "job";
	const struct picture_note *notes;
	size_t n, shown;
	int err;

	/* Polyglot markup: an HTML5 page that is well-formed XML too, so tools can parse it. */
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head>"
	      "<meta charset=\"utf-8\"/><title>jobtrace: ",
	      f);
	picture__escape(f, title, strlen(title), TITLE_CHARS);
	fputs("</title>\n<style>body{font-family:sans-serif;margin:1em 2em}"
	      "table{border-collapse:collapse;margin:.5em 0 1.5em}"
	      "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
	      "th{background:#f4f4f4}.l{text-align:left}.fail{color:#b00000}"
	      "svg{max-width:100%;height:auto}</style></head>\n<body>\n<h1>jobtrace: ",
	      f);
	picture__escape(f, title, strlen(title), TITLE_CHARS);
	fputs("</h1>\n<table id=\"totals\">\n<tr><th class=\"l\">job</th><td>", f);
	esc(f, info->job_key ? info->job_key : "");
	fputs("</td></tr>\n", f);
	html_row(f, "processes started", 0, (double)info->processes_started);
	html_row(f, "processes exited", 0, (double)info->processes_exited);
	if (info->alive > 0)
		html_row(f, "still alive", 0, (double)info->alive);
	html_row(f, "CPU total (s)", 3, secs(info->cpu_ns));
	html_row(f, "CPU user (s)", 3, secs(info->user_ns));
	html_row(f, "CPU system (s)", 3, secs(info->system_ns));
	html_row(f, "wall (s)", 3, secs(info->wall_ns));
	html_row(f, "failed", 0, (double)info->failed);
	html_row(f, "exit records", 0, (double)info->records);
	html_row(f, "records lost", 0, (double)info->lost);
	fputs("</table>\n<div>\n", f);
	err = svg_body(f, l, info, false);
	if (err)
		return err;
	fputs("</div>\n<h2>Commands</h2>\n<table id=\"commands\"><tr><th class=\"l\">COMMAND</th>"
	      "<th>PROCS</th><th>CPU s</th><th>% CPU</th><th>FAILED</th><th>AVG LIFE s</th></tr>\n",
	      f);
	shown = l->ncommands < PICTURE_LIST ? l->ncommands : PICTURE_LIST;
	for (size_t i = 0; i < shown; i++) {
		const struct picture_command *c = &l->commands[i];

		fputs("<tr title=\"", f);
		esc(f, c->comm);
		fprintf(f, ": %" PRIu64 " processes\"><td class=\"l\">", (uint64_t)c->processes);
		esc(f, c->comm);
		fprintf(f,
			"</td><td>%" PRIu64 "</td><td>%.3f</td><td>%.1f</td><td%s>%" PRIu64
			"</td><td>%.3f</td></tr>\n",
			(uint64_t)c->processes, secs(c->cpu_ns), pct(c->cpu_ns, l->cpu_ns),
			c->failed ? " class=\"fail\"" : "", (uint64_t)c->failed,
			c->processes ? secs(c->alive_ns) / (double)c->processes : 0);
	}
	fputs("</table>\n", f);
	if (l->ncommands > shown)
		fprintf(f, "<p>... and %zu more commands.</p>\n", l->ncommands - shown);
	notes = picture__failed(p, &n);
	if (n)
		html_notes(f, "failed",
			   info->failed > n ? "Failed processes (the first ones)"
					    : "Failed processes",
			   notes, n);
	notes = picture__longest(p, &n);
	html_notes(f, "longest", "Longest-lived processes", notes, n);
	fputs("</body>\n</html>\n", f);
	return util__stream_error(f);
}
