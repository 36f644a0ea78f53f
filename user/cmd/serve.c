// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace serve`: every process of the host in jobs (host mode, as
 * `watch --all`), run as a service until a signal, its records published
 * to whoever reads them: the shared-memory stream for agents on the host,
 * /metrics for Prometheus, ApMon datagrams for MonALISA, JSON lines to a
 * file. A front over the collector: it chooses sinks, it never formats.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "jobtrace/apmon.h"
#include "jobtrace/caps.h"
#include "jobtrace/cgroupfs.h"
#include "jobtrace/cli.h"
#include "jobtrace/collector.h"
#include "jobtrace/control.h"
#include "jobtrace/history.h"
#include "jobtrace/hostmode.h"
#include "jobtrace/metrics.h"
#include "jobtrace/options.h"
#include "jobtrace/report.h"
#include "jobtrace/serve_config.h"
#include "jobtrace/service_notify.h"
#include "jobtrace/sink.h"
#include "jobtrace/stream.h"

#include "commands.h"

static const struct jt_front serve_front = {
	.cmd = JT_CMD_SERVE,
	.name = "serve",
	.head = "Usage: jobtrace serve [OPTIONS]\n"
		"\n"
		"Follows every process of the host, in jobs (as watch --all), until stopped\n"
		"(SIGINT, SIGTERM), and publishes job and host records every interval, and\n"
		"a record per process that ends, to the outputs asked for; with none, to\n"
		"the stream at " JT_STREAM_DEFAULT_PATH ".\n",
	.titles = { [JT_SEC_CONFIG] = "Configuration", [JT_SEC_JOBS] = "Jobs",
		    [JT_SEC_MAIN] = "Outputs" },
	.foot = "\n"
		"Examples:\n"
		"  jobtrace serve -o /var/log/jobtrace/records.jsonl\n"
		"  jobtrace serve --stream " JT_STREAM_DEFAULT_PATH " & jobtrace tail --json\n"
		"  jobtrace serve -i 60 --apmon monalisa.example.org:8884\n"
		"  jobtrace serve --listen 127.0.0.1:" METRICS_DEFAULT_PORT_STR "\n"
		"  jobtrace serve --control /run/jobtrace/control.sock --reports /var/log/jobtrace\n"
		"\n"
		"Needs root, or CAP_BPF and CAP_PERFMON, and a kernel with BTF. Once loaded, it\n"
		"keeps only CAP_BPF and CAP_DAC_READ_SEARCH. See jobtrace(8).\n",
};

struct serve_config {
	const char *stream; /* --stream: the ring's path */
	size_t stream_bytes;
	const char *listen; /* --listen ADDR:PORT */
	double metrics_keep_s;
	const char *reports; /* --reports: where adopted jobs' reports go */
	struct history_opts history; /* .dir: --history; NULL: none */
	struct jt_shared shared; /* -o, -i, --group-by, --apmon, --control, the source's sizes */
};

/* serve's own options; the shared ones are in cfg->shared (options__set_shared). */
static int serve_set(void *ctx, enum jt_opt_id id, const union jt_optval *v)
{
	struct serve_config *cfg = ctx;

	switch (id) {
	case JT_OPT_LISTEN:
		cfg->listen = v->str;
		break;
	case JT_OPT_METRICS_KEEP:
		cfg->metrics_keep_s = v->s;
		break;
	case JT_OPT_STREAM:
		cfg->stream = v->str;
		break;
	case JT_OPT_STREAM_KB:
		cfg->stream_bytes = v->u * 1024;
		break;
	case JT_OPT_REPORTS:
		cfg->reports = v->str;
		break;
	case JT_OPT_HISTORY:
		cfg->history.dir = v->str;
		break;
	case JT_OPT_HISTORY_ROTATE:
		cfg->history.rotate_s = v->s;
		break;
	case JT_OPT_HISTORY_KEEP:
		cfg->history.keep_s = v->s;
		break;
	case JT_OPT_HISTORY_MAX:
		cfg->history.max_bytes = v->u;
		break;
	default:
		break; /* --config: read before the flags, config_path() */
	}
	return 0;
}

/*
 * A flag, or a key of the config file (config_load): the same setters, so
 * that both mean the same. Strings point into argv or into the file's values.
 */
static int serve_set_any(struct serve_config *cfg, enum jt_opt_id id, const union jt_optval *v)
{
	int err = options__set_shared(&cfg->shared, "serve", id, v);

	return err == 1 ? serve_set(cfg, id, v) : err;
}

static int parse_args(int argc, char **argv, struct serve_config *cfg)
{
	struct apmon_opts file_apmon = cfg->shared.apmon;
	int ret;

	/* The command line's ApMon targets replace the file's; none given: the file's stay. */
	cfg->shared.apmon.n = 0;
	ret = options__parse(&serve_front, argc, argv, &cfg->shared, serve_set, cfg);
	if (ret)
		return ret;
	if (!cfg->shared.apmon.n) {
		memcpy(cfg->shared.apmon.dests, file_apmon.dests, sizeof(file_apmon.dests));
		cfg->shared.apmon.n = file_apmon.n;
	}
	if (optind < argc)
		return cli__usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (cfg->reports && !cfg->shared.control)
		return cli__usage_error("serve", "%s", "--reports goes with --control");
	/* Before anything is made or loaded, and with the cause: missing, or not a directory. */
	if (cfg->reports) {
		struct stat sb;
		int err = stat(cfg->reports, &sb) ? errno : S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;

		if (err) {
			fprintf(stderr, "jobtrace: --reports %s: %s\n", cfg->reports,
				strerror(err));
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* ---- the config file, under the flags, and again on SIGHUP ---- */

/* serve's defaults: what neither the file nor a flag sets. */
#define SERVE_CONFIG_DEFAULTS                                                               \
	{ .shared.interval_s = 1, .stream_bytes = 4096 * 1024,                                \
	  .metrics_keep_s = METRICS_DEFAULT_KEEP_S }

/* --config FILE, taken before the flags are parsed so that they override it. */
static const char *config_path(int argc, char **argv, bool *given)
{
	const char *path = SERVE_CONFIG_DEFAULT_PATH;

	*given = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			path = argv[++i];
			*given = true;
		} else if (!strncmp(argv[i], "--config=", 9)) {
			path = argv[i] + 9;
			*given = true;
		}
	}
	return path;
}

/*
 * @path's keys into @cfg (its strings point into @f, which must outlive
 * it); ApMon targets are resolved here, a failure told with their line.
 * The default file may be absent: then serve's defaults hold.
 */
static int config_load(const char *path, bool given, struct serve_config_file *f,
		       struct serve_config *cfg)
{
	struct serve_config_error e;
	const char *why = "";
	int err = serve_config__load(path, f, &e);

	if (err == -ENOENT && !given)
		return 0;
	if (err) {
		if (e.line)
			fprintf(stderr, "jobtrace: %s:%u: %s\n", path, e.line, e.reason);
		else
			fprintf(stderr, "jobtrace: %s: %s\n", path, e.reason);
		return err;
	}
	/* Each key as its flag would set it; ApMon's targets below, resolved. */
	for (int id = 0; id < JT_NOPTS; id++) {
		if (id != JT_OPT_APMON && serve_config__is_set(f, (enum jt_opt_id)id))
			serve_set_any(cfg, (enum jt_opt_id)id, &f->val[id]);
	}
	for (size_t i = 0; i < f->napmon; i++) {
		struct apmon_dest *d = &cfg->shared.apmon.dests[i];

		/* On a reload, no lookup that could wait: names are looked up later. */
		err = cfg->shared.apmon.nowait ? apmon__parse_dest_nowait(f->apmon[i], d, &why) :
					  apmon__parse_dest(f->apmon[i], d, &why);
		if (err) {
			fprintf(stderr, "jobtrace: %s:%u: apmon: %s\n", path, f->apmon_line[i],
				err == -ENOENT ? "the host does not resolve" : why);
			return -EINVAL;
		}
		cfg->shared.apmon.n = i + 1;
	}
	return 0;
}

/* What SIGHUP needs: the file, the flags over it, and what a reload can change. */
struct serve_reload {
	const char *path;
	bool given;
	int argc;
	char **argv;
	struct serve_config *cfg; /* running */
	struct collector *c;
	struct metrics *metrics; /* NULL without --listen */
	struct sink *apmon; /* NULL until a config names a target */
	struct sink *history; /* NULL without --history */
	int lookup_fd; /* an eventfd: a name lookup of a reload is over */
	struct apmon_lookup *lookup; /* the last reload's names, being looked up */
};

/* ApMon's targets and cluster from now on; the sink is made with the first target. */
static int reload_apmon(struct serve_reload *r, const struct apmon_opts *o)
{
	if (o->n && !r->apmon) {
		r->apmon = sink_apmon__new(o);
		if (collector__add_sink(r->c, r->apmon))
			r->apmon = NULL;
		return r->apmon ? 0 : -ENOMEM;
	}
	return r->apmon ? sink_apmon__set_dests(r->apmon, o) : 0;
}

/*
 * A lookup of a reload's ApMon names has ended (the eventfd): once all
 * have, the new targets replace the old ones; a name that does not
 * resolve leaves the old ones in place. Until then, the old ones get
 * the datagrams.
 */
static void serve_lookup_done(void *ctx, int fd, __u32 events)
{
	struct serve_reload *r = ctx;
	struct apmon_opts o;
	char why[200];
	__u64 n;
	int err;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	apmon_lookup__reap();
	if (!r->lookup)
		return;
	err = apmon_lookup__result(r->lookup, &o, why, sizeof(why));
	if (err == -EINPROGRESS)
		return;
	if (!err)
		err = reload_apmon(r, &o);
	else
		fprintf(stderr, "jobtrace: reload: apmon: %s; ApMon goes on to the targets it had\n",
			why);
	if (!err)
		fprintf(stderr, "jobtrace: reload: apmon: %zu target(s) looked up, sending to them\n",
			o.n);
	else if (err != -ENOENT)
		fprintf(stderr, "jobtrace: reload: cannot reach the ApMon targets: %s; "
				"ApMon goes on to the targets it had\n",
			strerror(-err));
	apmon_lookup__free(r->lookup);
	r->lookup = NULL;
}

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

/*
 * SIGHUP: the file again, the flags again over it. A bad file changes
 * nothing. Interval, ApMon targets and metrics-keep change at once; what
 * was opened or loaded at the start (the grouping and map sizes of the
 * BPF side, the stream, the listening socket, the output file) waits for
 * a restart, and the log line says which of those differ.
 */
static void serve_reload(void *ctx, int signo)
{
	struct serve_reload *r = ctx;
	struct serve_config next = SERVE_CONFIG_DEFAULTS, *cur = r->cfg;
	struct serve_config_file f = {};
	char later[160] = "", looking[96] = "";
	size_t unresolved;
	int err;

	/* In the loop: a name is not looked up here, where a silent resolver would stop it. */
	next.shared.apmon.nowait = true;
	if (config_load(r->path, r->given, &f, &next) || parse_args(r->argc, r->argv, &next)) {
		fprintf(stderr, "jobtrace: reload refused: serve runs on with its config\n");
		goto out_free;
	}
#define LATER(cond, name)                                                                   \
	do {                                                                               \
		if (cond)                                                                  \
			snprintf(later + strlen(later), sizeof(later) - strlen(later), "%s%s", \
				 later[0] ? ", " : "", name);                              \
	} while (0)
	LATER(str_differs(next.shared.group_by, cur->shared.group_by), "group-by");
	LATER(str_differs(next.listen, cur->listen), "listen");
	LATER(str_differs(next.stream, cur->stream) || next.stream_bytes != cur->stream_bytes,
	      "stream");
	LATER(str_differs(next.shared.output, cur->shared.output), "output");
	LATER(str_differs(next.history.dir, cur->history.dir) ||
		      next.history.rotate_s != cur->history.rotate_s ||
		      next.history.keep_s != cur->history.keep_s ||
		      next.history.max_bytes != cur->history.max_bytes,
	      "history");
	LATER(str_differs(next.shared.control, cur->shared.control) ||
		      str_differs(next.reports, cur->reports),
	      "control");
	LATER(memcmp(&next.shared.source, &cur->shared.source, sizeof(next.shared.source)), "map sizes");
#undef LATER
	/* A reload's lookup still running is this one's to replace. */
	apmon_lookup__free(r->lookup);
	r->lookup = NULL;
	unresolved = apmon__unresolved(&next.shared.apmon);
	if (unresolved) {
		/* Names: looked up on glibc's threads; the old targets until they resolve. */
		r->lookup = apmon_lookup__start(&next.shared.apmon, r->lookup_fd);
		err = r->lookup ? 0 : -errno;
		snprintf(looking, sizeof(looking), " (%zu being looked up: until then, the old ones)",
			 unresolved);
	} else {
		err = reload_apmon(r, &next.shared.apmon);
	}
	if (err) {
		fprintf(stderr, "jobtrace: reload: cannot reach the ApMon targets: %s; "
				"serve runs on with its config\n",
			strerror(-err));
		goto out_free;
	}
	collector__set_interval(r->c, next.shared.interval_s);
	cur->shared.interval_s = next.shared.interval_s;
	if (r->metrics)
		metrics__set_keep(r->metrics, next.metrics_keep_s);
	cur->metrics_keep_s = next.metrics_keep_s;
	fprintf(stderr,
		"jobtrace: reloaded %s: interval %g s, metrics-keep %g s, %zu apmon target(s)%s%s%s\n",
		r->path, next.shared.interval_s, next.metrics_keep_s, next.shared.apmon.n, looking,
		later[0] ? "; changed but applied only at a restart: " : "", later);
out_free:
	serve_config__free(&f);
}

/*
 * What serve needs once loaded: CAP_BPF for its map reads and the live
 * iterator (a kernel that disables unprivileged BPF checks it at every
 * bpf() call before 6.5), CAP_DAC_READ_SEARCH for the host sample's
 * statfs of every mount. Not CAP_DAC_OVERRIDE: uid 0 stays, so files
 * root owns stay writable, but nobody else's; not CAP_SYS_ADMIN, nor any
 * other. Before CAP_BPF existed, CAP_SYS_ADMIN stood for it.
 */
static int serve_drop_caps(void)
{
	__u64 keep = CAPS_BIT(CAP_DAC_READ_SEARCH);

	keep |= caps__last_cap() >= CAP_BPF ? CAPS_BIT(CAP_BPF) : CAPS_BIT(CAP_SYS_ADMIN);
	return caps__keep_only(keep);
}

/*
 * SIGHUP under systemd: RELOADING=1 before, READY=1 after, so that the unit
 * reads "reloading" while it is (and Type=notify-reload, systemd 253, can
 * wait on it). A refused reload is over too: serve runs on.
 */
static void serve_hup(void *ctx, int signo)
{
	service_notify__reloading();
	serve_reload(ctx, signo);
	service_notify__send("READY=1");
}

/* What a scrape refreshes: the collector's counters and serve's own process, when asked. */
struct serve_scrape {
	struct collector *c;
	int proc_fd; /* /proc, for serve's own pid; -1: no process_* families */
	struct sink *history; /* NULL without --history */
};

static void serve_refresh(void *ctx, struct metrics *m)
{
	struct serve_scrape *sc = ctx;
	struct collector_stats st;
	struct self_sample self;

	collector__stats(sc->c, &st);
	metrics__counters(m, &st);
	if (sc->history) {
		struct history_stats hs;

		sink_history__stats(sc->history, &hs);
		metrics__history(m, &hs);
	}
	/* Read now, as client libraries read theirs at each scrape; a failure keeps the last. */
	if (sc->proc_fd >= 0 && !self_sample__read(sc->proc_fd, getpid(), &self))
		metrics__self(m, &self);
}

int serve__main(int argc, char **argv)
{
	struct serve_config cfg = SERVE_CONFIG_DEFAULTS;
	struct serve_config_file file = {}; /* what cfg's strings point into */
	struct serve_reload reload = { .argc = argc, .argv = argv, .cfg = &cfg, .lookup_fd = -1 };
	struct metrics_http *http = NULL;
	struct serve_scrape scrape = { .proc_fd = -1 };
	char bound[INET6_ADDRSTRLEN + 16] = "";
	int listen_fd = -1;
	struct collector_opts copts = {};
	struct collector_stats st;
	struct collector *c = NULL;
	struct control *ctl = NULL;
	int ret, err;

	reload.path = config_path(argc, argv, &reload.given);
	ret = parse_args(argc, argv, &cfg);
	if (ret)
		return ret == OPTIONS_HELP_SHOWN ? 0 : ret;
	/* The file first, then the flags again over it. */
	cfg = (struct serve_config)SERVE_CONFIG_DEFAULTS;
	ret = EXIT_USAGE;
	if (config_load(reload.path, reload.given, &file, &cfg) || parse_args(argc, argv, &cfg))
		goto out_file;
	/* Asked for no output, serve publishes the stream: what it is there for. */
	if (!cfg.shared.output && !cfg.stream && !cfg.listen && !cfg.shared.apmon.n && !cfg.history.dir)
		cfg.stream = JT_STREAM_DEFAULT_PATH;
	copts.source = cfg.shared.source;
	copts.source.attach = true;
	if (collector__group_by(cfg.shared.group_by, &copts.grouping))
		goto out_file;
	copts.interval_s = cfg.shared.interval_s;
	copts.duration_s = cfg.shared.duration_s;
	copts.events = true;
	copts.host_records = true;
	copts.host_record_at_stop = true;
	/* Fork records cost a ring record per process: only the stream publishes them. */
	copts.source.fork_records = cfg.stream != NULL;
	/* Only the control socket adopts processes into jobs. */
	copts.source.adopt = cfg.shared.control != NULL;

	if (cfg.listen) {
		/* Before anything loads: a port in use is told at once, exit 1. */
		listen_fd = metrics_http__listen(cfg.listen, bound, sizeof(bound));
		if (listen_fd == -ERANGE) {
			ret = cli__usage_error("serve", "--listen takes a port from 0 to 65535, not '%s'",
					       cfg.listen);
			goto out_file;
		}
		if (listen_fd == -EINVAL) {
			ret = cli__usage_error("serve", "--listen takes ADDR:PORT, [ADDR6]:PORT, :PORT or "
							"ADDR alone (port " METRICS_DEFAULT_PORT_STR
							"), not '%s'",
					       cfg.listen);
			goto out_file;
		}
		ret = 1;
		if (listen_fd < 0)
			goto out_file;
	}

	ret = EXIT_INTERNAL;
	c = collector__new(&copts);
	if (!c) {
		if (listen_fd >= 0)
			close(listen_fd);
		goto out_file;
	}
	if (listen_fd >= 0) {
		struct metrics *m = metrics__new(cfg.metrics_keep_s);
		struct sink *s = m ? sink_metrics__new(m) : NULL;

		if (!s)
			metrics__free(m);
		if (collector__add_sink(c, s)) {
			close(listen_fd);
			goto out;
		}
		reload.metrics = m;
		scrape.c = c;
		/* Opened once and kept: an fd serve holds, in process_open_fds as any other. */
		scrape.proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
		http = metrics_http__new(listen_fd, m, serve_refresh, &scrape);
		if (!http || metrics_http__attach(http, c)) {
			fprintf(stderr, "jobtrace: cannot serve /metrics on %s\n", cfg.listen);
			goto out;
		}
	}
	if (cfg.history.dir) {
		/*
		 * A history that cannot start is told at once; one that fills a
		 * disk later stops alone. Before -o: a line in -o is in the
		 * history already (sinks flush in order).
		 */
		cfg.history.top = REPORT_DEFAULT_TOP;
		reload.history = sink_history__new(&cfg.history);
		if (!reload.history || collector__add_sink(c, reload.history))
			goto out;
		scrape.history = reload.history;
	}
	if (cfg.shared.output) {
		/* Every record type, as JSON lines. */
		bool own = false;
		FILE *f = sink__open_path(cfg.shared.output, &own);
		struct sink *s;

		if (!f) {
			fprintf(stderr, "jobtrace: cannot write to %s: %s\n", cfg.shared.output,
				sink__strerror(errno));
			goto out;
		}
		/* As run's and watch's: whole records, a full disk said and counted. */
		s = sink__own_file(sink_jsonl__new(f, REPORT_DEFAULT_TOP, true, true, true, true),
				   f, own, strcmp(cfg.shared.output, "-") ? cfg.shared.output : "standard output");
		if (collector__add_sink(c, s))
			goto out;
	}
	if (cfg.stream) {
		struct sink *s = sink_stream__new(cfg.stream, cfg.stream_bytes);

		if (!s && (errno == ENOSPC || errno == EDQUOT || errno == EFBIG)) {
			/* Its pages are allocated up front: a full filesystem is told here. */
			fprintf(stderr, "jobtrace: cannot allocate the stream %s (%zu KiB): %s\n",
				cfg.stream, cfg.stream_bytes / 1024, strerror(errno));
			goto out;
		}
		if (!s) {
			fprintf(stderr, "jobtrace: cannot make the stream %s: %s\n", cfg.stream,
				errno == EBUSY ? "another jobtrace serve writes it" : strerror(errno));
			goto out;
		}
		/* Its "job" lines list as many commands as the JSON-lines output's. */
		s->top = REPORT_DEFAULT_TOP;
		if (collector__add_sink(c, s))
			goto out;
	}
	if (cfg.shared.apmon.n) {
		reload.apmon = sink_apmon__new(&cfg.shared.apmon);
		if (collector__add_sink(c, reload.apmon))
			goto out;
	}
	/* SIGHUP: the config again, not a stop (the collector's rule elsewhere). */
	reload.c = c;
	if (collector__add_signal(c, SIGHUP, serve_hup, &reload))
		goto out;
	/*
	 * Never closed: a lookup glibc could not cancel may still write to it
	 * until the process ends, and a closed number could be another file's.
	 */
	reload.lookup_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (reload.lookup_fd < 0 ||
	    collector__add_fd(c, reload.lookup_fd, EPOLLIN, serve_lookup_done, &reload))
		goto out;
	if (cfg.shared.control) {
		ctl = control__open(c, cfg.shared.control, cfg.reports);
		if (!ctl) {
			fprintf(stderr, "jobtrace: cannot listen on %s: %s\n", cfg.shared.control,
				errno == EADDRINUSE ? "another jobtrace serve does" :
						      strerror(errno));
			goto out;
		}
	}
	err = collector__attach_existing(c);
	if (err) {
		fprintf(stderr, "jobtrace: cannot find the running processes: %s\n",
			strerror(-err));
		goto out;
	}
	/* Loaded, attached, its files made: what it may still do is read. */
	err = serve_drop_caps();
	if (err)
		fprintf(stderr, "jobtrace: cannot drop capabilities: %s\n", strerror(-err));
	if (copts.grouping.why[0])
		fprintf(stderr, "jobtrace: %s (--group-by changes it)\n", copts.grouping.why);
	/* The address bound, as the kernel has it: ":0" shows the port it chose. */
	if (cfg.listen)
		fprintf(stderr, "jobtrace: /metrics on http://%s/metrics\n", bound);
	/*
	 * Attached, its files made: units ordered after it (slurmd) may start.
	 * The last line of its start: whoever waits for it has the rest.
	 */
	service_notify__send("READY=1");
	fprintf(stderr, "jobtrace: serving: every process of the host%s%s; SIGTERM to stop\n",
		cfg.stream ? ", the stream at " : "", cfg.stream ? cfg.stream : "");
	err = collector__run(c);
	service_notify__send("STOPPING=1");
	if (err) {
		fprintf(stderr, "jobtrace: the event loop failed: %s\n", strerror(-err));
		goto out;
	}
	collector__stats(c, &st);
	ret = 0;
	if (st.sink_errors) {
		fprintf(stderr, "jobtrace: cannot write the records: %s\n",
			strerror(-st.first_sink_error));
		ret = EXIT_INTERNAL;
	}
out:
	apmon_lookup__free(reload.lookup);
	metrics_http__free(http);
	if (scrape.proc_fd >= 0)
		close(scrape.proc_fd);
	collector__free(c);
	control__free(ctl);
out_file:
	serve_config__free(&file);
	return ret;
}
