// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Name lookups of ApMon destinations that do not block the loop (a reload
 * of serve's config): glibc's getaddrinfo_a, its end told through an fd.
 */
#include <endian.h>
#include <signal.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include "jobtrace/apmon.h"

/* ---- name lookups that do not block the loop ---- */

struct apmon_lookup {
	struct apmon_opts o;
	char *cluster;
	struct gaicb cb[APMON_MAX_DESTS];
	struct addrinfo hints;
	bool started[APMON_MAX_DESTS];
	struct apmon_lookup *next_kept; /* on the kept list, once freed while running */
};

/* Sets freed while glibc still ran one of their lookups: over, they can go. */
static struct apmon_lookup *kept;

/* On a glibc thread: only the write, which is async-signal-safe and touches no state of ours. */
static void lookup_done(union sigval v)
{
	__u64 one = 1;

	if (write(v.sival_int, &one, sizeof(one)) < 0) {
		/* The counter is full: the loop has a wake-up pending anyway. */
	}
}

struct apmon_lookup *apmon_lookup__start(const struct apmon_opts *o, int notify_fd)
{
	struct apmon_lookup *l = calloc(1, sizeof(*l));
	struct gaicb *list[1];
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD,
				.sigev_notify_function = lookup_done };
	int rc;

	if (!l)
		return NULL;
	l->o = *o;
	l->cluster = o->cluster ? strdup(o->cluster) : NULL;
	if (o->cluster && !l->cluster) {
		free(l);
		return NULL;
	}
	l->o.cluster = l->cluster;
	l->hints = (struct addrinfo){ .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
				      .ai_flags = AI_NUMERICSERV };
	sev.sigev_value.sival_int = notify_fd;
	for (size_t i = 0; i < l->o.n; i++) {
		if (l->o.dests[i].addr_len)
			continue;
		l->cb[i] = (struct gaicb){ .ar_name = l->o.dests[i].host,
					   .ar_service = l->o.dests[i].port,
					   .ar_request = &l->hints };
		list[0] = &l->cb[i];
		/* One request a call: each notifies on its own. */
		rc = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev);
		if (rc) {
			apmon_lookup__free(l);
			errno = rc == EAI_MEMORY ? ENOMEM : EAGAIN;
			return NULL;
		}
		l->started[i] = true;
	}
	return l;
}

int apmon_lookup__result(struct apmon_lookup *l, struct apmon_opts *out, char *why, size_t size)
{
	for (size_t i = 0; i < l->o.n; i++) {
		if (l->started[i] && gai_error(&l->cb[i]) == EAI_INPROGRESS)
			return -EINPROGRESS;
	}
	for (size_t i = 0; i < l->o.n; i++) {
		struct apmon_dest *d = &l->o.dests[i];
		int rc;

		if (!l->started[i] || d->addr_len)
			continue;
		rc = gai_error(&l->cb[i]);
		if (rc || !l->cb[i].ar_result) {
			snprintf(why, size, "cannot look up %s: %s", d->name,
				 rc ? gai_strerror(rc) : "no address");
			return -ENOENT;
		}
		memcpy(&d->addr, l->cb[i].ar_result->ai_addr, l->cb[i].ar_result->ai_addrlen);
		d->addr_len = l->cb[i].ar_result->ai_addrlen;
	}
	*out = l->o;
	return 0;
}

/* Whether any lookup of @l still runs; those over give their results back. */
static bool lookup_running(struct apmon_lookup *l)
{
	bool running = false;

	for (size_t i = 0; i < l->o.n; i++) {
		if (!l->started[i])
			continue;
		if (gai_error(&l->cb[i]) == EAI_INPROGRESS) {
			running = true;
			continue;
		}
		if (l->cb[i].ar_result)
			freeaddrinfo(l->cb[i].ar_result);
		l->cb[i].ar_result = NULL;
		l->started[i] = false;
	}
	return running;
}

void apmon_lookup__free(struct apmon_lookup *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->o.n; i++)
		if (l->started[i])
			gai_cancel(&l->cb[i]);
	if (lookup_running(l)) {
		l->next_kept = kept;
		kept = l;
		return;
	}
	free(l->cluster);
	free(l);
}

void apmon_lookup__reap(void)
{
	struct apmon_lookup **pp = &kept;

	while (*pp) {
		struct apmon_lookup *l = *pp;

		if (lookup_running(l)) {
			pp = &l->next_kept;
			continue;
		}
		*pp = l->next_kept;
		free(l->cluster);
		free(l);
	}
}
