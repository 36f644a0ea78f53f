// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace serve`: every process of the host in jobs (host mode, as
 * `watch --all`), run as a service until a signal, its records published
 * to whoever reads them: the shared-memory stream for agents on the host,
 * /metrics for Prometheus, ApMon datagrams for MonALISA, JSON lines to a
 * file. A front over the collector: it chooses sinks, it never formats.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "jobtrace/apmon.h"
#include "jobtrace/cgroupfs.h"
#include "jobtrace/cli.h"
#include "jobtrace/collector.h"
#include "jobtrace/control.h"
#include "jobtrace/hostmode.h"
#include "jobtrace/metrics.h"
#include "jobtrace/report.h"
#include "jobtrace/serve.h"
#include "jobtrace/sink.h"
#include "jobtrace/stream.h"

static const char usage_serve[] =
	"Usage: jobtrace serve [OPTIONS]\n"
	"\n"
	"Follows every process of the host, in jobs (as watch --all), until stopped\n"
	"(SIGINT, SIGTERM), and publishes job and host records every interval, and\n"
	"a record per process that ends, to the outputs asked for; with none, to\n"
	"the stream at " JT_STREAM_DEFAULT_PATH ".\n"
	"\n"
	"Jobs:\n"
	"  -g, --group-by G      cgroup (default), cgroup2, cgroup1:CTRL or tree\n"
	"                        (as watch --all)\n"
	"\n"
	"Outputs:\n"
	"  -i, --interval S      job and host records every S seconds (default 1)\n"
	"  -d, --duration S      stop after S seconds\n"
	"  -o, --output FILE     JSON lines of every record to FILE ('-': standard output)\n"
	"      --stream PATH     every record, process forks included, into a shared-memory\n"
	"                        ring for other agents (readers look at " JT_STREAM_DEFAULT_PATH "\n"
	"                        unless told); read it with `jobtrace tail` or libjobtrace(3)\n"
	"      --stream-kb N     the stream's ring size in KiB (default 4096)\n"
	"  -l, --listen ADDR:PORT  serve /metrics (Prometheus, OpenMetrics) on ADDR\n"
	"                        (default 127.0.0.1; [ADDR6]:PORT for IPv6)\n"
	"      --metrics-keep S  an ended job's series stay S seconds (default 300)\n"
	"      --ring-kb N       ring buffer size in KiB (default 1024)\n"
	"      --max-procs N     process map entries (default: kernel.pid_max)\n"
	"      --max-jobs N      job map entries (default 4096)\n"
	"      --apmon DEST      ApMon datagrams to MonALISA at DEST, 'HOST[:PORT]\n"
	"                        [PASSWORD]' (port 8884): job and system parameters\n"
	"                        every interval (repeatable)\n"
	"      --apmon-cluster C the cluster of job parameters (default jobtrace_jobs)\n"
	"      --control PATH    a control socket at PATH: clients (the Slurm SPANK plugin)\n"
	"                        make a process that has not forked yet a job of its own,\n"
	"                        end it and take its report (include/jobtrace/control.h)\n"
	"      --reports DIR     each such job's report, as run --json, to DIR/NAME.json\n"
	"  -v, --verbose         show libbpf's messages\n"
	"  -h, --help            this text\n"
	"\n"
	"Examples:\n"
	"  jobtrace serve -o /var/log/jobtrace.jsonl\n"
	"  jobtrace serve --stream " JT_STREAM_DEFAULT_PATH " & jobtrace tail --json\n"
	"  jobtrace serve -i 60 --apmon monalisa.example.org:8884\n"
	"  jobtrace serve --listen 127.0.0.1:9100\n"
	"  jobtrace serve --control /run/jobtrace/control.sock --reports /var/log/jobtrace\n"
	"\n"
	"Needs root, or CAP_BPF and CAP_PERFMON, and a kernel with BTF.\n";

struct serve_config {
	const char *group_by;
	double interval_s, duration_s;
	const char *output;
	const char *stream; /* --stream: the ring's path */
	size_t stream_bytes;
	const char *listen; /* --listen ADDR:PORT */
	double metrics_keep_s;
	struct lineage_opts lineage;
	struct apmon_opts apmon;
	const char *control; /* --control: the socket's path */
	const char *reports; /* --reports: where adopted jobs' reports go */
};

#define SERVE_HELP_SHOWN (-1)
static int parse_args(int argc, char **argv, struct serve_config *cfg)
{
	enum { OPT_RING_KB = 256, OPT_MAX_PROCS, OPT_MAX_JOBS, OPT_STREAM, OPT_STREAM_KB, OPT_APMON,
	       OPT_APMON_CLUSTER, OPT_METRICS_KEEP, OPT_CONTROL, OPT_REPORTS };
	static const struct option longopts[] = {
		{ "group-by", required_argument, NULL, 'g' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "ring-kb", required_argument, NULL, OPT_RING_KB },
		{ "max-procs", required_argument, NULL, OPT_MAX_PROCS },
		{ "max-jobs", required_argument, NULL, OPT_MAX_JOBS },
		{ "stream", required_argument, NULL, OPT_STREAM },
		{ "stream-kb", required_argument, NULL, OPT_STREAM_KB },
		{ "apmon", required_argument, NULL, OPT_APMON },
		{ "apmon-cluster", required_argument, NULL, OPT_APMON_CLUSTER },
		{ "listen", required_argument, NULL, 'l' },
		{ "metrics-keep", required_argument, NULL, OPT_METRICS_KEEP },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "reports", required_argument, NULL, OPT_REPORTS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	unsigned long v;
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":g:i:d:o:l:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'g':
			if (!hostmode__valid_grouping(optarg))
				return cli__usage_error("serve", "--group-by takes cgroup, cgroup2, "
								 "cgroup1:CONTROLLER or tree, not '%s'",
							optarg);
			cfg->group_by = optarg;
			break;
		case 'i':
			if (cli__parse_seconds(optarg, 0.1, 86400, &cfg->interval_s))
				return cli__usage_error("serve", "--interval takes seconds from 0.1 "
								 "to 86400, not '%s'",
							optarg);
			break;
		case 'd':
			if (cli__parse_seconds(optarg, 0.1, 31 * 86400.0, &cfg->duration_s))
				return cli__usage_error("serve", "--duration takes seconds, not '%s'",
							optarg);
			break;
		case 'o':
			cfg->output = optarg;
			break;
		case 'l':
			cfg->listen = optarg;
			break;
		case OPT_METRICS_KEEP:
			if (cli__parse_seconds(optarg, 0, 7 * 86400.0, &cfg->metrics_keep_s))
				return cli__usage_error("serve", "--metrics-keep takes seconds from 0 "
								 "to 604800, not '%s'",
							optarg);
			break;
		case OPT_RING_KB:
			if (cli__parse_uint(optarg, 4, 1U << 20, &v))
				return cli__usage_error("serve", "--ring-kb takes a size in KiB from 4 "
								 "to 1048576, not '%s'",
							optarg);
			cfg->lineage.ring_bytes = (__u32)(v * 1024);
			break;
		case OPT_MAX_PROCS:
			if (cli__parse_uint(optarg, 64, 1U << 22, &v))
				return cli__usage_error("serve", "--max-procs takes a number from 64 "
								 "to 4194304, not '%s'",
							optarg);
			cfg->lineage.max_procs = (__u32)v;
			break;
		case OPT_MAX_JOBS:
			if (cli__parse_uint(optarg, 2, 1U << 20, &v))
				return cli__usage_error("serve", "--max-jobs takes a number from 2 to "
								 "1048576, not '%s'",
							optarg);
			cfg->lineage.max_jobs = (__u32)v;
			break;
		case OPT_STREAM:
			cfg->stream = optarg;
			break;
		case OPT_STREAM_KB:
			if (cli__parse_uint(optarg, 4, 1U << 20, &v))
				return cli__usage_error("serve", "--stream-kb takes a size in KiB from 4 "
								 "to 1048576, not '%s'",
							optarg);
			cfg->stream_bytes = v * 1024;
			break;
		case OPT_APMON:
			if (apmon__add_dest_arg(&cfg->apmon, "serve", optarg))
				return EXIT_USAGE;
			break;
		case OPT_APMON_CLUSTER:
			cfg->apmon.cluster = optarg;
			break;
		case OPT_CONTROL:
			cfg->control = optarg;
			break;
		case OPT_REPORTS:
			cfg->reports = optarg;
			break;
		case 'v':
			cfg->lineage.verbose = true;
			break;
		case 'h':
			fputs(usage_serve, stdout);
			return SERVE_HELP_SHOWN;
		case ':':
			return cli__usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli__usage_error("serve", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli__usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (cfg->reports && !cfg->control)
		return cli__usage_error("serve", "%s", "--reports goes with --control");
	return 0;
}

/* A scrape's counters: the collector's, read when Prometheus asks. */
static void serve_stats(void *ctx, struct collector_stats *out)
{
	collector__stats(ctx, out);
}

int serve__main(int argc, char **argv)
{
	struct serve_config cfg = { .interval_s = 1, .stream_bytes = 4096 * 1024,
				    .metrics_keep_s = METRICS_DEFAULT_KEEP_S };
	struct metrics_http *http = NULL;
	int listen_fd = -1;
	struct collector_opts copts = {};
	struct cgroup_hier host_h;
	struct collector_stats st;
	struct collector *c = NULL;
	struct control *ctl = NULL;
	int ret, err;

	ret = parse_args(argc, argv, &cfg);
	if (ret)
		return ret == SERVE_HELP_SHOWN ? 0 : ret;
	/* Asked for no output, serve publishes the stream: what it is there for. */
	if (!cfg.output && !cfg.stream && !cfg.listen && !cfg.apmon.n)
		cfg.stream = JT_STREAM_DEFAULT_PATH;
	copts.source = cfg.lineage;
	copts.source.attach = true;
	if (hostmode__grouping(cfg.group_by, &host_h, &copts.source))
		return EXIT_USAGE;
	if (copts.source.group == JT_GROUP_CGROUP)
		copts.hier = &host_h;
	copts.interval_s = cfg.interval_s;
	copts.duration_s = cfg.duration_s;
	copts.events = true;
	copts.host_records = true;
	/* Fork records cost a ring record per process: only the stream publishes them. */
	copts.source.fork_records = cfg.stream != NULL;

	if (cfg.listen) {
		/* Before anything loads: a port in use is told at once, exit 1. */
		listen_fd = metrics_http__listen(cfg.listen);
		if (listen_fd == -EINVAL)
			return cli__usage_error("serve", "--listen takes ADDR:PORT, [ADDR6]:PORT or "
							 ":PORT, not '%s'",
						cfg.listen);
		if (listen_fd < 0)
			return 1;
	}

	ret = EXIT_INTERNAL;
	c = collector__new(&copts);
	if (!c) {
		if (listen_fd >= 0)
			close(listen_fd);
		return EXIT_INTERNAL;
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
		http = metrics_http__new(listen_fd, m, serve_stats, c);
		if (!http || metrics_http__attach(http, c)) {
			fprintf(stderr, "jobtrace: cannot serve /metrics on %s\n", cfg.listen);
			goto out;
		}
	}
	if (cfg.output) {
		/* Every record type, as JSON lines. */
		bool own = false;
		FILE *f = sink__open_path(cfg.output, &own);
		struct sink *s;

		if (!f) {
			fprintf(stderr, "jobtrace: cannot write to %s: %s\n", cfg.output,
				strerror(errno));
			goto out;
		}
		s = sink_jsonl__new(f, REPORT_DEFAULT_TOP, true, true, true, true);
		if (s) {
			s->own_f = own;
			s->path = strcmp(cfg.output, "-") ? cfg.output : "standard output";
		} else if (own) {
			fclose(f);
		}
		if (collector__add_sink(c, s))
			goto out;
	}
	if (cfg.stream) {
		struct sink *s = sink_stream__new(cfg.stream, cfg.stream_bytes);

		if (!s) {
			fprintf(stderr, "jobtrace: cannot make the stream %s: %s\n", cfg.stream,
				errno == EBUSY ? "another jobtrace serve writes it" : strerror(errno));
			goto out;
		}
		if (collector__add_sink(c, s))
			goto out;
	}
	if (cfg.apmon.n && collector__add_sink(c, sink_apmon__new(&cfg.apmon)))
		goto out;
	if (cfg.control) {
		struct stat sb;

		if (cfg.reports && (stat(cfg.reports, &sb) || !S_ISDIR(sb.st_mode))) {
			fprintf(stderr, "jobtrace: --reports %s is not a directory\n", cfg.reports);
			ret = EXIT_USAGE;
			goto out;
		}
		ctl = control__open(c, cfg.control, cfg.reports);
		if (!ctl) {
			fprintf(stderr, "jobtrace: cannot listen on %s: %s\n", cfg.control,
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
	fprintf(stderr, "jobtrace: serving: every process of the host%s%s; SIGTERM to stop\n",
		cfg.stream ? ", the stream at " : "", cfg.stream ? cfg.stream : "");
	if (cfg.listen)
		fprintf(stderr, "jobtrace: /metrics on http://%s/metrics\n", cfg.listen);
	err = collector__run(c);
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
	metrics_http__free(http);
	collector__free(c);
	control__free(ctl);
	return ret;
}
