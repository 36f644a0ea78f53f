// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `jobtrace system`: options, the roots, two samples INTERVAL apart, one
 * writer. The sampler is user/collect/host.c, the writers user/out/system_*.c.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/system.h"
#include "jobtrace/util.h"

#include "commands.h"

#define NS_PER_S 1e9

static const char usage_system[] =
	"Usage: jobtrace system [OPTIONS]\n"
	"\n"
	"One snapshot of the host: its name and kernel, CPU, memory and swap, load,\n"
	"network interfaces, disks, file systems and sensors. Takes two samples\n"
	"INTERVAL apart and reports the counters with the rates between them.\n"
	"\n"
	"Options:\n"
	"  -j, --json             write the snapshot as one JSON object\n"
	"  -i, --interval S       seconds between the two samples (default 0.5;\n"
	"                         0: one sample, counters only, no rates)\n"
	"      --proc-root DIR    read /proc from DIR (default /proc)\n"
	"      --sys-root DIR     read /sys from DIR (default /sys)\n"
	"  -h, --help             this text\n"
	"\n"
	"A source that cannot be read (a missing file, EACCES) leaves its section\n"
	"empty and adds a warning; the rest is still reported. Addresses and file\n"
	"system usage are only read when the proc root is this machine's /proc.\n"
	"\n"
	"Examples:\n"
	"  jobtrace system\n"
	"  jobtrace system --json --interval 2 | jq .memory.available_bytes\n"
	"  jobtrace system --interval 0 --proc-root /host/proc --sys-root /host/sys\n";

static int __attribute__((format(printf, 1, 2))) system_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("jobtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'jobtrace system --help'.\n", stderr);
	return EXIT_USAGE;
}

/* Seconds from 0 to a day, as a decimal (the shared parser); -EINVAL otherwise. */
static int parse_interval(const char *arg, uint64_t *ns)
{
	double v;

	if (cli__parse_seconds(arg, 0, 86400, &v))
		return -EINVAL;
	*ns = (uint64_t)llround(v * NS_PER_S);
	return 0;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL),
			       .tv_nsec = (long)(ns % 1000000000ULL) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct system_config {
	bool json;
	uint64_t interval_ns;
	const char *proc_root;
	const char *sys_root;
};

static int system_run(const struct system_config *cfg)
{
	struct host_sample a, b, *now = &a;
	struct host_sampler hs;
	struct host_rates rates;
	bool have_rates = false;
	int proc_fd, sys_fd, err, status = 1;

	proc_fd = util__open_dir(cfg->proc_root);
	if (proc_fd < 0) {
		fprintf(stderr, "jobtrace: cannot open the proc root %s: %s\n", cfg->proc_root,
			strerror(-proc_fd));
		return 1;
	}
	sys_fd = util__open_dir(cfg->sys_root);
	if (sys_fd < 0) {
		fprintf(stderr, "jobtrace: cannot open the sys root %s: %s\n", cfg->sys_root,
			strerror(-sys_fd));
		goto close_proc;
	}

	host_sampler__init(&hs, proc_fd, sys_fd);
	err = host_sample__take(&hs, &a);
	if (err)
		goto nomem;
	if (cfg->interval_ns) {
		sleep_ns(cfg->interval_ns);
		err = host_sample__take(&hs, &b);
		if (err) {
			host__free(&a);
			goto nomem;
		}
		now = &b;
		/* The samples' own clocks: the sleep can run long, never short. */
		err = host_sample__rates(&a, &b, &rates);
		if (err) {
			host__free(&a);
			host__free(&b);
			goto nomem;
		}
		have_rates = true;
	}

	if (cfg->json)
		err = host__write_json(stdout, now, have_rates ? &rates : NULL, cfg->proc_root,
				       cfg->sys_root, false);
	else
		err = host__write_text(stdout, now, have_rates ? &rates : NULL, cfg->proc_root,
				       cfg->sys_root);
	if (!err && fflush(stdout))
		err = -errno;
	if (err)
		fprintf(stderr, "jobtrace: cannot write the snapshot: %s\n", strerror(-err));
	else
		status = 0;

	if (have_rates) {
		host_rates__free(&rates);
		host__free(&b);
	}
	host__free(&a);
	goto close_sys;

nomem:
	fprintf(stderr, "jobtrace: cannot sample the host: %s\n", strerror(-err));
close_sys:
	close(sys_fd);
close_proc:
	close(proc_fd);
	return status;
}

int system__main(int argc, char **argv)
{
	enum { OPT_PROC_ROOT = 256, OPT_SYS_ROOT };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
		{ "sys-root", required_argument, NULL, OPT_SYS_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct system_config cfg = {
		.interval_ns = 500000000ULL,
		.proc_root = "/proc",
		.sys_root = "/sys",
	};
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":ji:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			cfg.json = true;
			break;
		case 'i':
			if (parse_interval(optarg, &cfg.interval_ns))
				return system_usage_error("--interval takes seconds from 0 to "
							  "86400, such as 0.5, not '%s'",
							  optarg);
			break;
		case OPT_PROC_ROOT:
			cfg.proc_root = optarg;
			break;
		case OPT_SYS_ROOT:
			cfg.sys_root = optarg;
			break;
		case 'h':
			fputs(usage_system, stdout);
			return 0;
		case ':':
			return system_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return system_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return system_usage_error("unexpected argument '%s'", argv[optind]);
	return system_run(&cfg);
}
