// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The picture sink (`--svg FILE`, `--html FILE`): keeps each job's exit
 * records and, when the job ends, writes its picture (picture.c lays it
 * out, picture_svg.c draws it). One file per job: FILE for the first job
 * that ends, FILE with the job's number before the extension for the
 * others (report.2.svg). The first files are opened at the start, so a bad
 * path fails before any job runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jobtrace/picture.h"
#include "jobtrace/sink.h"

/* The records of one job until it ends. */
struct svg_job {
	__u64 id;
	struct picture *pic;
	struct svg_job *next;
};

struct svg_sink {
	struct sink base; /* first: sink__free() frees the whole */
	const char *svg_path, *html_path;
	FILE *svg_f, *html_f; /* the first job's files, opened early */
	bool own_svg, own_html;
	size_t jobs_written;
	struct svg_job *jobs;
};

static struct svg_job *job_of(struct svg_sink *s, __u64 id, bool create)
{
	struct svg_job *j;

	for (j = s->jobs; j; j = j->next)
		if (j->id == id)
			return j;
	if (!create)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->pic = picture__new();
	if (!j->pic) {
		free(j);
		return NULL;
	}
	j->id = id;
	j->next = s->jobs;
	s->jobs = j;
	return j;
}

static void drop_job(struct svg_sink *s, __u64 id)
{
	for (struct svg_job **pp = &s->jobs; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct svg_job *j = *pp;

			*pp = j->next;
			picture__free(j->pic);
			free(j);
			return;
		}
	}
}

static int svg_process(struct sink *sk, const struct proc_record *r)
{
	struct svg_sink *s = (struct svg_sink *)sk;
	struct svg_job *j = job_of(s, r->job->id, true);

	/* No memory: the picture lacks the record, the report still counts it. */
	if (!j)
		return 0;
	picture__add(j->pic, r->e, r->args, r->args_len);
	return 0;
}

/* The title: the command line of run, or the job's name. */
static char *title_of(const struct job *job)
{
	size_t len = 0, o = 0;
	char *t;

	if (!job->argc)
		return strdup(job->key ? job->key : "job");
	for (int i = 0; i < job->argc; i++)
		len += strlen(job->argv[i]) + 1;
	t = malloc(len + 1);
	if (!t)
		return NULL;
	for (int i = 0; i < job->argc; i++) {
		size_t n = strlen(job->argv[i]);

		memcpy(t + o, job->argv[i], n);
		o += n;
		t[o++] = ' ';
	}
	t[o ? o - 1 : 0] = '\0';
	return t;
}

/* Opens the file of this job (the first one's is open already). */
static FILE *open_job_file(const char *path, FILE *first, bool *own, size_t index, char *name,
			   size_t size)
{
	if (picture__job_path(path, index, name, size))
		return errno = ENAMETOOLONG, NULL;
	if (!index && first)
		return first;
	return sink__open_path(name, own);
}

static int write_one(struct svg_sink *s, bool html, struct picture *pic,
		     const struct picture_layout *l, const struct picture_info *info)
{
	const char *path = html ? s->html_path : s->svg_path;
	FILE *first = html ? s->html_f : s->svg_f;
	bool own = false;
	char name[4096];
	FILE *f;
	int err;

	f = open_job_file(path, first, &own, s->jobs_written, name, sizeof(name));
	if (!f) {
		err = -errno;
		/* The name made for this job: the one that could not be opened. */
		fprintf(stderr, "jobtrace: cannot write the picture to %s: %s\n",
			err == -ENAMETOOLONG ? path : name, sink__strerror(err));
		return err;
	}
	if (f == first)
		own = html ? s->own_html : s->own_svg;
	err = html ? picture__write_html(f, pic, l, info) : picture__write_svg(f, pic, l, info);
	if (fflush(f) && !err)
		err = -errno;
	if (own && fclose(f) && !err)
		err = -errno;
	if (f == first) {
		if (html)
			s->html_f = NULL;
		else
			s->svg_f = NULL;
	}
	/* A reader that went away (run --svg - | head) wanted no more: no word of it. */
	if (err && err != -EPIPE)
		fprintf(stderr, "jobtrace: cannot write the picture to %s: %s\n",
			strcmp(name, "-") ? name : "standard output", strerror(-err));
	return err;
}

static int svg_job_end(struct sink *sk, const struct cjob *cj, const struct collector_stats *st)
{
	struct svg_sink *s = (struct svg_sink *)sk;
	const struct job *job = &cj->job;
	const struct jt_job_stats *js = &job->stats;
	struct svg_job *j = job_of(s, cj->id, true);
	struct picture_layout l;
	struct picture_info info = {
	    .job_key = job->key,
	    .processes_started = js->procs_started,
	    .processes_exited = js->procs_exited,
	    .cpu_ns = js->cpu_ns,
	    .user_ns = js->user_ns,
	    .system_ns = js->system_ns,
	    .wall_ns = job->end_ns > job->start_ns ? job->end_ns - job->start_ns : 0,
	    .failed = js->exit_error + js->exit_signal,
	    .records = job->records,
	    .lost = job__events_lost(job),
	    .alive = js->alive,
	};
	__u64 recorded = 0;
	char *title;
	int err;

	if (!j)
		return sk->err = -ENOMEM;
	title = title_of(job);
	info.title = title;
	/* What the records carry, against the job's CPU: the rest gets a frame of its own. */
	err = picture__layout(j->pic, 0, PICTURE_MAX_FRAMES, &l);
	if (!err) {
		recorded = l.cpu_ns;
		if (js->cpu_ns > recorded && (js->cpu_ns - recorded) * 100 > js->cpu_ns) {
			picture_layout__free(&l);
			err =
			    picture__layout(j->pic, js->cpu_ns - recorded, PICTURE_MAX_FRAMES, &l);
		}
	}
	if (err) {
		fprintf(stderr, "jobtrace: cannot lay out the picture: %s\n", strerror(-err));
		goto out;
	}
	if (s->svg_path)
		err = write_one(s, false, j->pic, &l, &info);
	if (s->html_path) {
		int e = write_one(s, true, j->pic, &l, &info);

		if (!err)
			err = e;
	}
	picture_layout__free(&l);
	s->jobs_written++;
out:
	free(title);
	drop_job(s, cj->id);
	if (err && !sk->err)
		sk->err = err;
	return err;
}

static int svg_flush(struct sink *sk)
{
	return sk->err;
}

static void svg_free(struct sink *sk)
{
	struct svg_sink *s = (struct svg_sink *)sk;

	while (s->jobs)
		drop_job(s, s->jobs->id);
	if (s->svg_f && s->own_svg)
		fclose(s->svg_f);
	if (s->html_f && s->own_html)
		fclose(s->html_f);
}

static const struct sink_ops svg_ops = {
    .name = "svg",
    .process = svg_process,
    .job_end = svg_job_end,
    .flush = svg_flush,
    .free = svg_free,
};

struct sink *sink_svg__new(const char *svg_path, const char *html_path)
{
	struct svg_sink *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->base.ops = &svg_ops;
	s->base.path = svg_path ? svg_path : html_path;
	s->svg_path = svg_path;
	s->html_path = html_path;
	if (svg_path) {
		s->svg_f = sink__open_path(svg_path, &s->own_svg);
		if (!s->svg_f)
			goto fail;
	}
	if (html_path) {
		s->html_f = sink__open_path(html_path, &s->own_html);
		if (!s->html_f)
			goto fail;
	}
	return &s->base;
fail:
	err = errno;
	fprintf(stderr, "jobtrace: cannot write the picture to %s: %s\n",
		s->svg_f || !svg_path ? html_path : svg_path, sink__strerror(err));
	svg_free(&s->base);
	free(s);
	errno = err;
	return NULL;
}
