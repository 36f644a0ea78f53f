// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `jobtrace connections`: the sockets of the host and who holds them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobtrace/cli.h"
#include "jobtrace/connections.h"
#include "jobtrace/json.h"
#include "jobtrace/proc_fd.h"
#include "jobtrace/util.h"


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

bool connections__match(const struct netsock_conn *c, unsigned int mask)
{
	unsigned int bit;

	if (c->family == AF_UNIX)
		bit = CONN_UNIX;
	else if (c->type == SOCK_STREAM)
		bit = c->family == AF_INET ? CONN_TCP4 : CONN_TCP6;
	else
		bit = c->family == AF_INET ? CONN_UDP4 : CONN_UDP6;
	return mask & bit;
}

static int by_inode(const void *a, const void *b)
{
	const struct conn_owner *x = a, *y = b;

	if (x->inode != y->inode)
		return (x->inode > y->inode) - (x->inode < y->inode);
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* Adds the socket fds of @pid; -EACCES for another user's process. */
static int add_owners(int proc_fd, int pid, struct connections *c)
{
	size_t first = c->n_owners;
	struct proc_stat_fields st;
	struct proc_fd_iter it;
	char path[64], target[64];
	bool denied = false;
	int fd, err;

	err = proc_fd_iter__open(&it, proc_fd, pid);
	if (err)
		return err;
	/* A readdir that fails (the process exited) ends the list: what was found stands. */
	while (proc_fd_iter__next(&it, &fd) > 0) {
		struct conn_owner *o;
		uint64_t inode;
		ssize_t n;

		snprintf(path, sizeof(path), "%d/fd/%d", pid, fd);
		/* "socket:[N]" fits; anything longer is not a socket. */
		n = readlinkat(proc_fd, path, target, sizeof(target));
		/* A guarded process may let us list its fds but not read them. */
		if (n < 0 && errno == EACCES)
			denied = true;
		if (n <= 0 || (size_t)n == sizeof(target) ||
		    proc_fd__classify(target, (size_t)n, &inode) != PROC_FD_SOCKET)
			continue;
		if (c->n_owners == c->cap_owners) {
			err = util__grow(&c->owners, &c->cap_owners, sizeof(*c->owners), 256,
					 UTIL_NO_MAX);
			if (err)
				break;
		}
		o = &c->owners[c->n_owners++];
		memset(o, 0, sizeof(*o));
		o->inode = inode;
		o->pid = pid;
		o->fd = fd;
	}
	proc_fd_iter__close(&it);
	if (err || c->n_owners == first)
		return err ? err : (denied ? -EACCES : 0);
	/* One stat read per process that holds a socket, for its name. */
	if (proc_pid__read_stat(proc_fd, pid, &st))
		st.comm[0] = '\0';
	for (size_t i = first; i < c->n_owners; i++)
		memcpy(c->owners[i].comm, st.comm, sizeof(st.comm));
	return denied ? -EACCES : 0;
}

/* A kernel thread holds no sockets: its fd directory being closed to us hides nothing. */
static bool is_kthread(int proc_fd, int pid)
{
	struct proc_stat_fields st;

	return !proc_pid__read_stat(proc_fd, pid, &st) && proc_stat__is_kthread(&st);
}

int connections__collect(int proc_fd, struct connections *c)
{
	struct dirent *de;
	int net_fd, err;
	DIR *d;

	memset(c, 0, sizeof(*c));
	net_fd = openat(proc_fd, "net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (net_fd < 0)
		return -errno;
	err = netsock__read_conns(net_fd, NULL, 0, &c->socks);
	close(net_fd);
	if (err)
		return err;
	d = util__opendir_at(proc_fd, ".");
	if (!d)
		return -errno;
	c->sockets_read = true;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid > INT32_MAX)
			continue;
		err = add_owners(proc_fd, (int)pid, c);
		if (err == -ENOMEM)
			break;
		if (err == -EACCES && !is_kthread(proc_fd, (int)pid))
			c->procs_unreadable++;
		else if (!err)
			c->procs++;
		/* Anything else: the process exited while we looked. */
		err = 0;
	}
	closedir(d);
	if (c->n_owners > 1)
		qsort(c->owners, c->n_owners, sizeof(*c->owners), by_inode);
	return err;
}

const struct conn_owner *connections__owners(const struct connections *c, __u64 inode,
					     size_t *n)
{
	size_t lo = 0, hi = c->n_owners, end;

	*n = 0;
	if (inode == 0)
		return NULL; /* a socket no process holds (TIME_WAIT) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->owners[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < c->n_owners && c->owners[end].inode == inode; end++)
		;
	*n = end - lo;
	return *n ? &c->owners[lo] : NULL;
}

void connections__free(struct connections *c)
{
	if (!c)
		return;
	netsock_conns__free(&c->socks);
	free(c->owners);
	memset(c, 0, sizeof(*c));
}

const char *connections__status(const struct netsock_conn *s)
{
	if (s->family == AF_UNIX || s->type != SOCK_STREAM)
		return NULL;
	return netsock__tcp_state_name(s->state);
}

void connections__write_socket(struct json_writer *w, const struct netsock_conn *s)
{
	const char *st = connections__status(s);

	json__string(w, "family", netsock__family_name(s->family));
	json__string(w, "type", netsock__type_name(s->type));
	if (s->family == AF_UNIX) {
		json__string(w, "path", s->path);
	} else {
		json__string(w, "laddr", s->laddr);
		json__u64(w, "lport", s->lport);
		json__string(w, "raddr", s->raddr);
		json__u64(w, "rport", s->rport);
	}
	if (st)
		json__string(w, "status", st);
	else
		json__null(w, "status");
	if (s->uid != NETSOCK_UID_NONE)
		json__u64(w, "uid", s->uid);
	else
		json__null(w, "uid");
	json__u64(w, "inode", s->inode);
}

static void json_conn(struct json_writer *w, const struct netsock_conn *s,
		      const struct conn_owner *o)
{
	json__begin_object(w, NULL);
	connections__write_socket(w, s);
	if (o) {
		json__i64(w, "pid", o->pid);
		json__i64(w, "fd", o->fd);
		json__string(w, "comm", o->comm);
	} else {
		json__null(w, "pid");
		json__null(w, "fd");
		json__null(w, "comm");
	}
	json__end_object(w);
}

int connections__write_json(FILE *f, const struct connections *c, unsigned int mask)
{
	struct json_writer w;

	json__init(&w, f, false);
	json__begin_object(&w, NULL);
	/* One row per holder: a socket shared by a forked server shows once per process. */
	json__begin_array(&w, "connections");
	for (size_t i = 0; i < c->socks.n; i++) {
		const struct netsock_conn *s = &c->socks.v[i];
		const struct conn_owner *o;
		size_t n;

		if (!connections__match(s, mask))
			continue;
		o = connections__owners(c, s->inode, &n);
		if (!n)
			json_conn(&w, s, NULL);
		for (size_t j = 0; j < n; j++)
			json_conn(&w, s, &o[j]);
	}
	json__end_array(&w);
	json__u64(&w, "processes", c->procs);
	json__u64(&w, "processes_unreadable", c->procs_unreadable);
	json__u64(&w, "bad_lines", c->socks.bad_lines);
	json__end_object(&w);
	return json__finish(&w);
}

static void text_addr(FILE *f, const char *addr, unsigned int port, bool v6)
{
	char buf[INET6_ADDRSTRLEN + 16];
	int n = netsock__format_addr(buf, sizeof(buf), addr, port, v6);

	fprintf(f, "%-*s", 24 > n ? 24 : n + 1, buf);
}

int connections__write_text(FILE *f, const struct connections *c, unsigned int mask)
{
	fprintf(f, "%-6s %-23s %-23s %-12s %8s %5s %s\n", "PROTO", "LOCAL", "REMOTE", "STATE",
		"PID", "FD", "COMMAND");
	for (size_t i = 0; i < c->socks.n; i++) {
		const struct netsock_conn *s = &c->socks.v[i];
		const struct conn_owner *o;
		const char *st = connections__status(s);
		size_t n;

		if (!connections__match(s, mask))
			continue;
		o = connections__owners(c, s->inode, &n);
		for (size_t j = 0; j < (n ? n : 1); j++) {
			if (s->family == AF_UNIX) {
				fprintf(f, "%-6s ", s->type == SOCK_STREAM ? "unix" : "unixd");
				size_t w = text__escape(f, s->path, strlen(s->path));

				fprintf(f, "%-*s", w < 48 ? 48 - (int)w : 1, "");
			} else {
				fprintf(f, "%-6s ", s->type == SOCK_STREAM ?
					(s->family == AF_INET ? "tcp" : "tcp6") :
					(s->family == AF_INET ? "udp" : "udp6"));
				text_addr(f, s->laddr, s->lport, s->family == AF_INET6);
				text_addr(f, s->raddr, s->rport, s->family == AF_INET6);
			}
			fprintf(f, "%-12s ", st ? st : "-");
			if (n) {
				fprintf(f, "%8d %5d ", o[j].pid, o[j].fd);
				text__escape(f, o[j].comm, strlen(o[j].comm));
				fputc('\n', f);
			} else {
				fprintf(f, "%8s %5s -\n", "-", "-");
			}
		}
	}
	if (c->procs_unreadable)
		fprintf(f, "(%zu processes could not be read: their sockets show no owner)\n",
			c->procs_unreadable);
	return ferror(f) ? -EIO : 0;
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
