// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `jobtrace connections`: the sockets of the host and who holds them. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/connections.h"
#include "jobtrace/util.h"

#include "commands.h"


static const char usage[] =
	"Usage: jobtrace connections [OPTIONS]\n"
	"\n"
	"Every socket of this network namespace, with its addresses, TCP state and\n"
	"the processes (pid, fd) that hold it.\n"
	"\n"
	"Options:\n"
	"  -j, --json            one JSON object\n"
	"  -k, --kind K          inet, inet4, inet6, tcp, tcp4, tcp6, udp, udp4, udp6,\n"
	"                        unix or all (default inet)\n"
	"      --proc-root DIR   read DIR instead of /proc\n"
	"  -h, --help            this text\n"
	"\n"
	"Examples:\n"
	"  sudo jobtrace connections --kind tcp\n"
	"  jobtrace connections --json --kind all\n"
	"\n"
	"Without root the sockets of other users' processes show no owner.\n";

int connections__parse_kind(const char *s, unsigned int *mask)
{
	static const struct {
		const char *name;
		unsigned int mask;
	} kinds[] = {
		{ "inet", CONN_TCP4 | CONN_TCP6 | CONN_UDP4 | CONN_UDP6 },
		{ "inet4", CONN_TCP4 | CONN_UDP4 },
		{ "inet6", CONN_TCP6 | CONN_UDP6 },
		{ "tcp", CONN_TCP4 | CONN_TCP6 },
		{ "tcp4", CONN_TCP4 },
		{ "tcp6", CONN_TCP6 },
		{ "udp", CONN_UDP4 | CONN_UDP6 },
		{ "udp4", CONN_UDP4 },
		{ "udp6", CONN_UDP6 },
		{ "unix", CONN_UNIX },
		{ "all", CONN_ALL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (!strcmp(s, kinds[i].name)) {
			*mask = kinds[i].mask;
			return 0;
		}
	}
	return -EINVAL;
}

int connections__main(int argc, char **argv)
{
	enum { OPT_PROC_ROOT = 256 };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "kind", required_argument, NULL, 'k' },
		{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	unsigned int mask = CONN_TCP4 | CONN_TCP6 | CONN_UDP4 | CONN_UDP6;
	const char *proc_root = "/proc";
	struct connections c;
	bool json = false;
	int opt, proc_fd, err;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":jk:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'k':
			if (connections__parse_kind(optarg, &mask)) {
				fprintf(stderr, "jobtrace: unknown --kind '%s'\n"
						"Try 'jobtrace connections --help'.\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_PROC_ROOT:
			proc_root = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "jobtrace: %s '%s'\nTry 'jobtrace connections --help'.\n",
				opt == ':' ? "option needs a value:" : "unknown option",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jobtrace: connections takes no arguments ('%s')\n"
				"Try 'jobtrace connections --help'.\n", argv[optind]);
		return EXIT_USAGE;
	}
	proc_fd = util__open_dir(proc_root);
	if (proc_fd < 0) {
		fprintf(stderr, "jobtrace: cannot open %s: %s\n", proc_root, strerror(-proc_fd));
		return 1;
	}
	err = connections__collect(proc_fd, &c);
	close(proc_fd);
	if (err) {
		fprintf(stderr, "jobtrace: cannot read %s under %s: %s\n",
			c.sockets_read ? "the processes" : "the sockets in net/", proc_root,
			strerror(-err));
		connections__free(&c);
		return 1;
	}
	err = json ? connections__write_json(stdout, &c, mask) :
		     connections__write_text(stdout, &c, mask);
	connections__free(&c);
	if (err || fflush(stdout)) {
		fprintf(stderr, "jobtrace: cannot write to standard output\n");
		return 1;
	}
	return 0;
}
