// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace top --replay [DIR]`: the top screen as it was, from the files
 * serve --history kept, interval by interval (atop -r's keys: t the next,
 * T the one before, b a time typed in). A front over the history instead
 * of the collector: the lines are made back into records
 * (history_records.c) and handed to the same view as live top's
 * (sink_top.c), so a replayed frame is the frame top drew then, less the
 * live processes, which the history does not keep.
 *
 * A frame at time T is a pure function of T: the view is fed from some
 * intervals before T (a warm-up long enough for a job ended just before
 * to be shown ended, as live top keeps it TOP_KEEP_ENDED refreshes) up to
 * the host record at or before T, and its snapshot is taken where serve's
 * pass ended: the jobs found over at its tick have their last interval
 * and "job" line before its host record (an older serve wrote them
 * after it), and exits of the next interval that come after the host
 * record are held back until the snapshot is taken. Stepping back, or
 * jumping, builds the frame from a warm-up before it; stepping forward
 * goes on reading from where the frame on screen stopped (the view, the
 * jobs made back and the place in the files kept), so that a step costs
 * one interval's lines, not a warm-up's: from its start, the file of an
 * hour had to be decompressed and its lines' times read at every step.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/history.h"
#include "jobtrace/sink.h"
#include "jobtrace/top.h"

#include "commands.h"

#define WARMUP_S 60.0
/*
 * A line stamped this far past the present (a clock set ahead when it was
 * written, a corrupt stamp) is no moment of the past: not replayed.
 */
#define FUTURE_SLACK_S 86400.0
#define WARMUP_MAX_S (8 * 86400.0)
/* Frames before the one shown: a job ended in any of the TOP_KEEP_ENDED before is shown so. */
#define WARMUP_FRAMES (TOP_KEEP_ENDED + 2)

enum seek { AT_OR_BEFORE, BEFORE, AFTER };

/* One build of a frame: where it is going, and what the reading found. */
struct seek_state {
	struct replay *rp;
	struct history_records *hr;
	enum seek how;
	double target;
	double pending; /* a host record fed whose pass has not ended: its time */
	double frame; /* the last frame taken that is a candidate */
	unsigned long frames_before; /* frames taken before it */
	char *held; /* exits after the pending host record, fed after its snapshot */
	size_t held_len, held_cap;
	bool done;
	int err;
};

struct replay {
	int dirfd;
	const char *dir;
	struct sink *view;
	double history_start; /* the first file's start */
	double shown; /* the frame on screen: its host record's time; 0: none */
	/*
	 * Where the reading of the frame on screen stopped, kept for a step
	 * forward: its state, its place in the files, and the line it
	 * stopped at, not yet fed. Valid when @live_ok.
	 */
	struct seek_state live;
	struct history_cursor *cur;
	char *back;
	size_t back_len, back_cap;
	bool has_back, live_ok;
	bool rebuild; /* JOBTRACE_REPLAY_REBUILD set: every step from its warm-up (tests compare) */
	/* Lines skipped (too long, malformed): the most one cursor met, said at the end. */
	struct history_read_stats skipped;
};

static bool type_is(const char *l, size_t len, const char *type)
{
	size_t tl, n = strlen(type);
	const char *t = history__json_get(l, len, "type", &tl);

	return t && tl == n + 2 && !memcmp(t + 1, type, n);
}

static double time_of(const char *l, size_t len)
{
	size_t vl;
	const char *v = history__json_get(l, len, "time", &vl);

	return v ? strtod(v, NULL) : 0;
}

/*
 * Two stamps of one pass: a host line's "time" is %.15g's (10 us at
 * today's epoch), a short interval line's has every nanosecond
 * (jobtrace-records(5), HISTORY FILES); passes are 0.1 s apart at least.
 */
static bool same_tick(double a, double b)
{
	return fabs(a - b) < 1e-3;
}

static bool beyond(const struct seek_state *st, double t)
{
	switch (st->how) {
	case AT_OR_BEFORE:
		return t > st->target;
	case BEFORE:
		return t >= st->target;
	default:
		return false;
	}
}

/* The exits held back for the frame taken, now fed. */
static int feed_held(struct seek_state *st)
{
	for (size_t o = 0; o < st->held_len;) {
		char *nl = memchr(st->held + o, '\n', st->held_len - o);
		size_t n = (size_t)(nl - (st->held + o));
		int err = history_records__feed(st->hr, st->held + o, n, st->rp->view);

		if (err)
			return err;
		o += n + 1;
	}
	st->held_len = 0;
	return 0;
}

/* The pass of the host record fed last has ended: the view takes its snapshot. */
static int take_frame(struct seek_state *st)
{
	struct sink *v = st->rp->view;
	double t = st->pending;
	int err;

	st->pending = 0;
	err = v->ops->flush(v);
	if (err)
		return err;
	if (st->frame)
		st->frames_before++;
	st->frame = t;
	/* Forward: the first frame past the target is the one. */
	if (st->how == AFTER && t > st->target)
		st->done = true;
	/* Done: they are the next frame's, fed first when a step forward goes on from here. */
	return st->done ? 0 : feed_held(st);
}

static int hold(struct seek_state *st, const char *l, size_t len)
{
	if (st->held_len + len + 1 > st->held_cap) {
		size_t cap = (st->held_len + len + 1) * 2;
		char *h = realloc(st->held, cap);

		if (!h)
			return -ENOMEM;
		st->held = h;
		st->held_cap = cap;
	}
	memcpy(st->held + st->held_len, l, len);
	st->held[st->held_len + len] = '\n';
	st->held_len += len + 1;
	return 0;
}

static int on_line(void *ctx, const char *l, size_t len)
{
	struct seek_state *st = ctx;
	bool host = type_is(l, len, "host");
	double t = time_of(l, len);
	int err;

	/*
	 * Taken as a frame, one host line stamped 99999999999 ended every
	 * seek at it (beyond any target), the step after it showed a frame
	 * of 1970, then "the history ends at 5138": the frames after it
	 * could not be reached.
	 */
	if (!(t <= (double)time(NULL) + FUTURE_SLACK_S))
		return 0;
	/*
	 * A pass ends at the next host record or an interval of another
	 * tick: job lines after a host record are its pass's (an older serve
	 * wrote the ends of the jobs found over at a tick after the tick's
	 * host record); exits after it wait for its frame.
	 */
	if (st->pending && !host && t > st->pending && !same_tick(t, st->pending) &&
	    type_is(l, len, "exit")) {
		err = hold(st, l, len);
		return err ? (st->err = err, 1) : 0;
	}
	if (st->pending &&
	    (host || (type_is(l, len, "interval") && !same_tick(t, st->pending)))) {
		err = take_frame(st);
		if (err)
			return st->err = err, 1;
		if (st->done)
			return 1;
	}
	/* Backward: the frame shown is the last one before a host record past the target. */
	if (host && beyond(st, t)) {
		st->done = true;
		return 1;
	}
	err = history_records__feed(st->hr, l, len, st->rp->view);
	if (err)
		return st->err = err, 1;
	if (host)
		st->pending = t;
	return 0;
}

static void live_drop(struct replay *rp)
{
	if (rp->live_ok) {
		history_records__free(rp->live.hr);
		free(rp->live.held);
	}
	rp->live_ok = false;
	rp->has_back = false;
	if (rp->cur) {
		struct history_read_stats st;

		/* Each seek reads again from its own start: the same line is met by many. */
		history_cursor__stats(rp->cur, &st);
		if (st.lines_too_long > rp->skipped.lines_too_long)
			rp->skipped.lines_too_long = st.lines_too_long;
		if (st.lines_malformed > rp->skipped.lines_malformed)
			rp->skipped.lines_malformed = st.lines_malformed;
	}
	history_cursor__free(rp->cur);
	rp->cur = NULL;
}

/*
 * The lines from @rp->cur to @st until its frame is done (the line it
 * stopped at kept in @rp->back, not fed) or the history ends (which ends
 * the last pass). 0, or a negative errno.
 */
static int read_on(struct replay *rp, struct seek_state *st)
{
	const char *l;
	size_t len;
	int r;

	while ((r = history_cursor__next(rp->cur, &l, &len)) > 0) {
		if (!on_line(st, l, len))
			continue;
		if (st->err)
			return st->err;
		if (len + 1 > rp->back_cap) {
			char *b = realloc(rp->back, len + 1);

			if (!b)
				return -ENOMEM;
			rp->back = b;
			rp->back_cap = len + 1;
		}
		memcpy(rp->back, l, len + 1);
		rp->back_len = len;
		rp->has_back = true;
		return 0;
	}
	if (r < 0)
		return r;
	return st->pending && !st->done ? take_frame(st) : 0;
}

/*
 * The step forward from the frame on screen, from where its reading
 * stopped: the exits held for the next frame, the line it stopped at,
 * then on. The frame's time, 0 when there is none (the state is then
 * dropped), or a negative errno in *@errp.
 */
static double step_on(struct replay *rp, double target, int *errp)
{
	struct seek_state st = rp->live;
	int err;

	rp->live_ok = false;
	st.how = AFTER;
	st.target = target;
	st.done = false;
	err = feed_held(&st);
	if (!err && rp->has_back) {
		rp->has_back = false;
		if (on_line(&st, rp->back, rp->back_len)) {
			err = st.err;
			/* Done at once (a host record after a pass already taken): kept. */
			rp->has_back = !err;
		}
	}
	if (!err && !st.done)
		err = read_on(rp, &st);
	rp->live = st;
	rp->live_ok = true;
	if (err || !st.done) {
		*errp = err;
		live_drop(rp);
		return 0;
	}
	return st.frame;
}

/*
 * Builds the frame @how @target says: the view fed from a warm-up before
 * it, widened until WARMUP_FRAMES frames come before the one shown or
 * the history's start is in. The frame's time, or 0 when there is none
 * (a target before the first interval, or none after the last). Where
 * the reading stopped is kept: a step forward from that frame goes on
 * from there (step_on), not from a warm-up again.
 */
static double seek(struct replay *rp, enum seek how, double target, int *errp)
{
	struct seek_state st;
	double warm = WARMUP_S;

	*errp = 0;
	if (how == AFTER && rp->live_ok && rp->live.frame == target && !rp->rebuild)
		return step_on(rp, target, errp);
	live_drop(rp);
	for (;;) {
		double from = target - warm;
		int err;

		st = (struct seek_state){ .rp = rp, .how = how, .target = target };
		st.hr = history_records__new();
		err = st.hr ? sink_top__reset(rp->view) : -ENOMEM;
		if (!err) {
			rp->cur = history_cursor__open(rp->dirfd, from);
			if (!rp->cur) {
				err = -errno;
				fprintf(stderr, "jobtrace: cannot read %s: %s\n", rp->dir,
					strerror(errno));
			}
		}
		if (!err)
			err = read_on(rp, &st);
		rp->live = st;
		rp->live_ok = st.hr != NULL;
		if (err < 0) {
			*errp = err;
			live_drop(rp);
			return 0;
		}
		if (st.frames_before >= WARMUP_FRAMES || from <= rp->history_start ||
		    warm >= WARMUP_MAX_S || !st.frame)
			break;
		live_drop(rp);
		warm *= 4;
	}
	/* At the history's end: a step forward reads it again (serve may have written more). */
	if (!st.done)
		live_drop(rp);
	if (how == AFTER && !st.done)
		return 0;
	return st.frame;
}

static void say(struct replay *rp, const char *what, double t, const char *more)
{
	char when[64], msg[128];
	time_t s = (time_t)t;
	struct tm tm;

	if (!localtime_r(&s, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(when, sizeof(when), "%.0f", t);
	snprintf(msg, sizeof(msg), "%s %s%s", what, when, more);
	sink_top__message(rp->view, msg);
}

/* Goes to the frame @how @target says; where there is none, says so and stays. */
static int go(struct replay *rp, enum seek how, double target)
{
	double shown = rp->shown;
	double t;
	int err;

	t = seek(rp, how, target, &err);
	if (err)
		return err;
	if (t) {
		rp->shown = t;
		return 0;
	}
	if (how != AFTER || !shown) {
		/* Before the first interval: the first one. */
		t = seek(rp, AFTER, rp->history_start - 1, &err);
		if (err)
			return err;
		if (!t)
			return -ENODATA;
		say(rp, "the history starts at", t, "");
		rp->shown = t;
		return 0;
	}
	say(rp, "the history ends at", shown, ": no interval after it");
	/* The view was rebuilt for nothing: the frame shown again. */
	t = seek(rp, AT_OR_BEFORE, shown, &err);
	return err;
}

static int interactive(struct replay *rp)
{
	struct pollfd pfd[2] = { { .fd = STDIN_FILENO, .events = POLLIN } };
	sigset_t mask;
	int sfd, err = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		return -errno;
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	sink_top__draw(rp->view);
	for (;;) {
		struct top_request req = {};
		struct signalfd_siginfo si;
		double t;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo != SIGWINCH)
				break;
			sink_top__resize(rp->view);
			continue;
		}
		/* The terminal hung up: nothing will read the screen. */
		if (pfd[0].revents & (POLLHUP | POLLERR))
			break;
		sink_top__keys(rp->view, &req);
		if (req.quit)
			break;
		if (req.jump && history__parse_time(req.jump_to, &t)) {
			sink_top__message(rp->view, "Not a time: YYYY-MM-DD HH:MM[:SS], HH:MM[:SS], "
						    "-N[smhd] or epoch seconds");
		} else if (req.jump || req.step) {
			err = req.jump ? go(rp, AT_OR_BEFORE, t) : 0;
			/* Each step from the frame the last one reached; the history's end stops it. */
			for (int i = 0; !req.jump && !err && i < abs(req.step); i++) {
				double before = rp->shown;

				err = go(rp, req.step > 0 ? AFTER : BEFORE, rp->shown);
				if (rp->shown == before)
					break;
			}
			if (err)
				break;
		} else {
			continue;
		}
		sink_top__draw(rp->view);
	}
	close(sfd);
	return err;
}

int top__replay(const struct top_replay_opts *o)
{
	struct replay rp = { .dir = o->dir };
	struct history_file *files;
	double at = 0;
	int n, err, ret = 1;

	if (o->at && history__parse_time(o->at, &at))
		return cli__usage_error("top", "--at takes a time, not '%s'", o->at);
	if (!o->at)
		at = (double)time(NULL);
	rp.dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rp.dirfd < 0) {
		fprintf(stderr, "jobtrace: cannot open %s: %s\n", o->dir, strerror(errno));
		return 1;
	}
	n = history__list(rp.dirfd, &files);
	if (n <= 0) {
		fprintf(stderr, "jobtrace: %s holds no history%s%s\n", o->dir, n ? ": " : "",
			n ? strerror(-n) : " (serve --history DIR writes it)");
		close(rp.dirfd);
		return 1;
	}
	rp.history_start = (double)files[0].start;
	free(files);
	rp.rebuild = getenv("JOBTRACE_REPLAY_REBUILD") != NULL;
	rp.view = sink_top__new(&o->view);
	if (!rp.view) {
		fprintf(stderr, "jobtrace: cannot set up the screen: %s\n",
			errno == ENOTTY ? "no terminal (is TERM set?); use --batch" :
					  strerror(errno));
		close(rp.dirfd);
		return 1;
	}
	err = go(&rp, AT_OR_BEFORE, at);
	if (err == -ENODATA) {
		/* The screen goes first: the message must be readable. */
		sink__free(rp.view);
		rp.view = NULL;
		fprintf(stderr, "jobtrace: %s holds no interval (no host record)\n", o->dir);
		goto out;
	}
	if (!err && o->view.batch) {
		err = sink_top__draw(rp.view);
		for (unsigned long i = 1; !err && i < o->frames; i++) {
			double before = rp.shown;

			err = go(&rp, AFTER, rp.shown);
			if (!err && rp.shown == before)
				break; /* the end of the history, said */
			if (!err)
				err = sink_top__draw(rp.view);
		}
	} else if (!err) {
		err = interactive(&rp);
	}
	sink__free(rp.view);
	rp.view = NULL;
	if (err) {
		fprintf(stderr, "jobtrace: cannot replay %s: %s\n", o->dir, strerror(-err));
		goto out;
	}
	ret = 0;
out:
	live_drop(&rp);
	/* After the screen: said where it can be read. */
	if (rp.skipped.lines_too_long || rp.skipped.lines_malformed)
		fprintf(stderr,
			"jobtrace: %s: lines skipped, not replayed: %" PRIu64
			" longer than 4 MiB, %" PRIu64 " malformed (not JSON as serve writes it, "
			"or no finite \"time\")\n",
			o->dir, rp.skipped.lines_too_long, rp.skipped.lines_malformed);
	free(rp.back);
	if (rp.view)
		sink__free(rp.view);
	close(rp.dirfd);
	return ret;
}
