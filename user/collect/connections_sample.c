// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sockets of the host and who holds them: /proc/net's tables joined
 * with every process's socket fds (include/jobtrace/connections.h). Used by
 * `jobtrace connections`; its writers are in user/out/connections_out.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jobtrace/connections.h"
#include "jobtrace/proc_fd.h"
#include "jobtrace/util.h"

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
