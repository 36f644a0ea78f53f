// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobtrace/service_notify.h"

int service_notify__address(const char *name, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = name ? strlen(name) : 0;

	if (!n)
		return -ENOENT;
	if (name[0] != '/' && name[0] != '@')
		return -EAFNOSUPPORT;
	/* A path keeps its NUL inside sun_path; "@NAME" becomes NUL NAME, no NUL after. */
	if (n > sizeof(sa->sun_path) - (name[0] == '/'))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@') {
		sa->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

int service_notify__send(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	int fd, err;

	err = service_notify__address(name, &sa, &len);
	if (err == -ENOENT)
		return 0;
	/*
	 * A socket per message, as sd_notify(3) does: three messages in a
	 * lifetime, and nothing held open that a capability drop or a
	 * manager's re-execution could leave stale.
	 */
	fd = err ? -1 : socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!err && fd < 0)
		err = -errno;
	if (!err && sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err) {
		fprintf(stderr, "jobtrace: cannot tell the service manager %.*s at %s: %s\n",
			(int)strcspn(state, "\n"), state, name, strerror(-err));
		return err;
	}
	return 1;
}

int service_notify__reloading(void)
{
	struct timespec ts;
	unsigned long long usec;
	char state[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	usec = (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
	return service_notify__send(state);
}
