// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ApMon sink: job parameters (run_time, cpu_time, cpu_usage, rss,
 * virtualmem, mem_usage, open_files, workdir_size, disk_*) each interval
 * and when a job ends, and system parameters (cpu_*, load*, mem_*, swap_*,
 * <if>_in/_out, uptime, ...) with each host record, as MonALISA's ApMon
 * datagrams. README's "ApMon" section lists every parameter and its unit.
 *
 * Three layers, each usable alone: the XDR encoder of one datagram (pure),
 * the sender (destinations, sequence numbers, splitting, counting what
 * could not go), and the sink that turns records into parameters.
 *
 * No rate limit as ApMon's (20/s in C, 10/s in Python, with random drops):
 * our sends are paced by the collector's interval, a few datagrams per
 * interval and job, and a dropped datagram would be a silent gap.
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

#include "jobtrace/apmon.h"
#include "jobtrace/cli.h"
#include "jobtrace/host.h"
#include "jobtrace/sink.h"
#include "jobtrace/util.h"

/* ---- the datagram: XDR (RFC 4506), big-endian, strings padded to 4 ---- */

#define HEADER_PREFIX "v:" APMON_VERSION "p:"

static size_t xdr_string_size(size_t len)
{
	return 4 + ((len + 3) & ~(size_t)3);
}

struct xdr {
	unsigned char *p;
	size_t len;
};

static void xdr_u32(struct xdr *x, uint32_t v)
{
	v = htobe32(v);
	memcpy(x->p + x->len, &v, 4);
	x->len += 4;
}

static void xdr_u64(struct xdr *x, uint64_t v)
{
	v = htobe64(v);
	memcpy(x->p + x->len, &v, 8);
	x->len += 8;
}

/* The bytes of @n strings as one XDR string: its length, them, zeros to 4. */
static void xdr_strings(struct xdr *x, const char *const *s, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += strlen(s[i]);
	xdr_u32(x, (uint32_t)len);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(s[i]);

		memcpy(x->p + x->len, s[i], l);
		x->len += l;
	}
	while (len++ & 3)
		x->p[x->len++] = 0;
}

static void xdr_string(struct xdr *x, const char *s)
{
	xdr_strings(x, &s, 1);
}

size_t apmon__param_size(const struct apmon_param *p)
{
	size_t n = xdr_string_size(strlen(p->name)) + 4;

	switch (p->type) {
	case APMON_STRING:
		return n + xdr_string_size(strlen(p->v.s));
	case APMON_REAL64:
		return n + 8;
	default:
		return n + 4;
	}
}

size_t apmon__head_size(const struct apmon_head *h)
{
	return xdr_string_size(strlen(HEADER_PREFIX) + strlen(h->password)) + 4 + 4 +
	       xdr_string_size(strlen(h->cluster)) + xdr_string_size(strlen(h->node)) + 4 +
	       (h->timestamp > 0 ? 4 : 0);
}

ssize_t apmon__encode(void *buf, size_t size, const struct apmon_head *h, uint32_t seq,
		      const struct apmon_param *p, size_t n)
{
	const char *header[] = { HEADER_PREFIX, h->password };
	struct xdr x = { .p = buf };
	size_t need = apmon__head_size(h);
	uint32_t u;

	for (size_t i = 0; i < n; i++)
		need += apmon__param_size(&p[i]);
	if (need > size)
		return -ENOSPC;
	xdr_strings(&x, header, 2);
	xdr_u32(&x, h->instance_id);
	xdr_u32(&x, seq);
	xdr_string(&x, h->cluster);
	xdr_string(&x, h->node);
	xdr_u32(&x, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		xdr_string(&x, p[i].name);
		xdr_u32(&x, (uint32_t)p[i].type);
		switch (p[i].type) {
		case APMON_STRING:
			xdr_string(&x, p[i].v.s);
			break;
		case APMON_INT32:
			xdr_u32(&x, (uint32_t)p[i].v.i32);
			break;
		case APMON_REAL32:
			memcpy(&u, &p[i].v.r32, 4);
			xdr_u32(&x, u);
			break;
		case APMON_REAL64: {
			uint64_t b;

			memcpy(&b, &p[i].v.r64, 8);
			xdr_u64(&x, b);
			break;
		}
		}
	}
	if (h->timestamp > 0)
		xdr_u32(&x, (uint32_t)h->timestamp);
	return (ssize_t)x.len;
}

size_t apmon__fit(const struct apmon_head *h, const struct apmon_param *p, size_t n, size_t max)
{
	size_t used = apmon__head_size(h), k = 0;

	while (k < n && used + apmon__param_size(&p[k]) <= max)
		used += apmon__param_size(&p[k++]);
	return k || !n ? k : 1;
}

/* ---- destinations ---- */

static int parse_dest(const char *spec, struct apmon_dest *out, const char **why, bool wait)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char buf[300], *host, *port = NULL, *pw, *end;
	unsigned long portnum = APMON_DEFAULT_PORT;
	char portstr[8];
	int rc;

	memset(out, 0, sizeof(*out));
	if (strlen(spec) >= sizeof(buf)) {
		*why = "too long";
		return -EINVAL;
	}
	strcpy(buf, spec);
	/* "host[:port] [password]", as ApMon's destination lines. */
	host = buf + strspn(buf, " \t");
	pw = host + strcspn(host, " \t");
	if (*pw) {
		*pw++ = '\0';
		pw += strspn(pw, " \t");
		end = pw + strlen(pw);
		while (end > pw && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
	}
	if (strlen(HEADER_PREFIX) + strlen(pw) > APMON_MAX_HEADER) {
		*why = "the password is longer than ApMon's header allows (36 bytes)";
		return -EINVAL;
	}
	if (*host == '[') {
		end = strchr(host, ']');
		if (!end || (end[1] && end[1] != ':')) {
			*why = "an IPv6 address is written [ADDR] or [ADDR]:PORT";
			return -EINVAL;
		}
		*end = '\0';
		host++;
		if (end[1])
			port = end + 2;
	} else if ((end = strchr(host, ':')) && !strchr(end + 1, ':')) {
		*end = '\0';
		port = end + 1;
	} /* else: no port, or a bare IPv6 address */
	if (!*host) {
		*why = "no host";
		return -EINVAL;
	}
	if (strlen(host) >= sizeof(out->host)) {
		*why = "the host name is too long";
		return -EINVAL;
	}
	if (port && cli__parse_uint(port, 1, 65535, &portnum)) {
		*why = "the port is not a number from 1 to 65535";
		return -EINVAL;
	}
	snprintf(portstr, sizeof(portstr), "%lu", portnum);
	strcpy(out->password, pw);
	strcpy(out->host, host);
	strcpy(out->port, portstr);
	snprintf(out->name, sizeof(out->name), strchr(host, ':') ? "[%.60s]:%s" : "%.60s:%s", host,
		 portstr);
	/* A numeric address never waits; only a name asks the resolver. */
	if (!wait)
		hints.ai_flags |= AI_NUMERICHOST;
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (!wait && rc == EAI_NONAME)
		return 0; /* a name: apmon_lookup's */
	if (rc || !res) {
		*why = rc ? gai_strerror(rc) : "no address";
		return -ENOENT;
	}
	memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
	out->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int apmon__parse_dest(const char *spec, struct apmon_dest *out, const char **why)
{
	return parse_dest(spec, out, why, true);
}

int apmon__parse_dest_nowait(const char *spec, struct apmon_dest *out, const char **why)
{
	return parse_dest(spec, out, why, false);
}

size_t apmon__unresolved(const struct apmon_opts *o)
{
	size_t n = 0;

	for (size_t i = 0; i < o->n; i++)
		n += !o->dests[i].addr_len;
	return n;
}

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

/* ---- the sender ---- */

struct apmon_out {
	struct apmon_dest d;
	int fd;
	bool connected; /* else sendto: the route may come up later */
	uint32_t seq;
};

struct apmon_sender {
	struct apmon_out out[APMON_MAX_DESTS];
	size_t n;
	uint32_t instance_id;
	struct apmon_sender_stats st;
	unsigned char buf[APMON_MAX_DGRAM];
};

/*
 * As apmon.py: (pid % 32768) << 16 | last octet of our address << 8 |
 * a random byte, so that a receiver tells two senders on a host apart.
 */
static uint32_t instance_id(const struct apmon_sender *a)
{
	unsigned char rnd = 0, octet = 0;

	for (size_t i = 0; i < a->n; i++) {
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);

		if (a->out[i].connected && a->out[i].d.addr.ss_family == AF_INET &&
		    !getsockname(a->out[i].fd, (struct sockaddr *)&sin, &len)) {
			octet = (unsigned char)(be32toh(sin.sin_addr.s_addr) & 0xff);
			break;
		}
	}
	if (getrandom(&rnd, 1, GRND_NONBLOCK) != 1)
		rnd = (unsigned char)util__now_ns();
	return ((uint32_t)(getpid() % 32768) << 16) | ((uint32_t)octet << 8) | rnd;
}

struct apmon_sender *apmon_sender__new(const struct apmon_opts *o)
{
	struct apmon_sender *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	for (size_t i = 0; i < o->n; i++) {
		struct apmon_out *out = &a->out[a->n];

		out->d = o->dests[i];
		out->fd = socket(out->d.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				 0);
		if (out->fd < 0) {
			fprintf(stderr, "jobtrace: apmon: cannot open a socket for %s: %s\n",
				out->d.name, strerror(errno));
			apmon_sender__free(a);
			return NULL;
		}
		/* Connected, the kernel keeps the route and tells us of an ICMP refusal. */
		out->connected =
			!connect(out->fd, (struct sockaddr *)&out->d.addr, out->d.addr_len);
		a->n++;
	}
	a->instance_id = instance_id(a);
	return a;
}

static int send_one(struct apmon_out *out, const void *buf, size_t len)
{
	ssize_t n;

	if (out->connected)
		n = send(out->fd, buf, len, MSG_DONTWAIT);
	else
		n = sendto(out->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&out->d.addr,
			   out->d.addr_len);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EMSGSIZE;
}

size_t apmon_sender__send(struct apmon_sender *a, const char *cluster, const char *node,
			  const struct apmon_param *p, size_t n)
{
	size_t sent = 0;

	for (size_t i = 0; i < a->n; i++) {
		struct apmon_out *out = &a->out[i];
		struct apmon_head h = {
			.password = out->d.password,
			.instance_id = a->instance_id,
			.cluster = cluster,
			.node = node,
		};

		for (size_t first = 0, k; first < n; first += k) {
			ssize_t len;
			int err;

			k = apmon__fit(&h, p + first, n - first, sizeof(a->buf));
			/* The first is 1, as apmon.py's. */
			out->seq = (out->seq + 1) % APMON_SEQ_WRAP;
			len = apmon__encode(a->buf, sizeof(a->buf), &h, out->seq, p + first, k);
			if (len < 0) {
				/* A name or node too long for any datagram: it cannot go. */
				a->st.too_large++;
				continue;
			}
			a->st.datagrams++;
			err = send_one(out, a->buf, (size_t)len);
			/*
			 * A refusal is the ICMP answer to an earlier datagram (nobody
			 * listened then); it costs this send, not the next: once more.
			 */
			if (err == -ECONNREFUSED)
				err = send_one(out, a->buf, (size_t)len);
			if (err) {
				a->st.failed++;
				a->st.last_err = err;
				continue;
			}
			a->st.sent++;
			sent++;
		}
	}
	return sent;
}

void apmon_sender__stats(const struct apmon_sender *a, struct apmon_sender_stats *out)
{
	*out = a->st;
}

void apmon_sender__free(struct apmon_sender *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		close(a->out[i].fd);
	free(a);
}

/* ---- the sink ---- */

#define JOB_PARAMS 24
#define MB (1024.0 * 1024.0)

struct apmon_sink {
	struct sink s; /* first: sink__free() frees this struct */
	struct apmon_sender *tx;
	char *cluster;
	char host[256];
};

struct plist {
	struct apmon_param *p;
	size_t n, cap;
};

/* Every number goes as REAL64, as apmon.py sends its ints too: MonALISA keeps doubles. */
static void put(struct plist *l, const char *name, double v)
{
	if (l->n < l->cap)
		l->p[l->n++] =
			(struct apmon_param){ .name = name, .type = APMON_REAL64, .v.r64 = v };
}

static double secs(__u64 ns)
{
	return (double)ns / 1e9;
}

/* "HOST:KEY", and run's job "HOST:run:PID": unique across the hosts of a farm. */
static void job_node(const struct apmon_sink *a, const struct cjob *j, char *buf, size_t size)
{
	if (!strcmp(j->key, "run"))
		snprintf(buf, size, "%s:run:%d", a->host, (int)j->job.root_pid);
	else
		snprintf(buf, size, "%s:%s", a->host, j->key);
}

static void put_memory(struct plist *l, const struct cjob *j, __u64 rss, __u64 vm, __u64 pss,
		       bool have_pss, __u64 open_files)
{
	put(l, "rss", (double)rss / 1024);
	put(l, "virtualmem", (double)vm / 1024);
	if (have_pss)
		put(l, "pss", (double)pss / 1024);
	/* Of the host's memory; PSS where read, as it counts a shared page once. */
	if (j->host_mem_bytes)
		put(l, "mem_usage", 100.0 * (double)(have_pss ? pss : rss) /
					    (double)j->host_mem_bytes);
	put(l, "open_files", (double)open_files);
}

static void send_job(struct apmon_sink *a, const struct cjob *j, struct plist *l)
{
	char node[sizeof(a->host) + sizeof(j->key) + 16];

	job_node(a, j, node, sizeof(node));
	apmon_sender__send(a->tx, a->cluster, node, l->p, l->n);
}

static int apmon_interval(struct sink *s, const struct interval_record *r)
{
	struct apmon_sink *a = (struct apmon_sink *)s;
	const struct cjob *j = r->job;
	struct apmon_param p[JOB_PARAMS];
	struct plist l = { .p = p, .cap = JOB_PARAMS };
	double dt = secs(r->t1_ns - r->t0_ns);

	/* The interval that closes a job: job_end sends the final figures. */
	if (j->job.end_ns && r->t1_ns == j->job.end_ns)
		return 0;
	put(&l, "run_time", secs(r->t1_ns - j->job.start_ns));
	/* Cumulative, as ApMon's; but exact, and exited processes included. */
	put(&l, "cpu_time", secs(j->cum.cpu_ns));
	/* CPU now (over the interval), % of one CPU; ApMon sent a lifetime average. */
	put(&l, "cpu_usage", dt > 0 ? 100.0 * secs(r->d.cpu_ns) / dt : 0);
	put_memory(&l, r->job, r->rss_bytes, r->vm_bytes, r->pss_bytes, r->pss, r->open_files);
	put(&l, "processes", (double)r->alive);
	put(&l, "procs_started", (double)j->cum.started);
	put(&l, "procs_failed", (double)(j->cum.exit_error + j->cum.exit_signal));
	send_job(a, j, &l);
	return 0;
}

static int apmon_job_end(struct sink *s, const struct cjob *j, const struct collector_stats *st)
{
	struct apmon_sink *a = (struct apmon_sink *)s;
	const struct job *job = &j->job;
	const struct jt_job_stats *k = &job->stats;
	struct apmon_param p[JOB_PARAMS];
	struct plist l = { .p = p, .cap = JOB_PARAMS };
	double wall = secs(job->end_ns - job->start_ns);

	put(&l, "run_time", wall);
	put(&l, "cpu_time", secs(k->cpu_ns));
	/* At the end, the average over the job's life: the only rate left. */
	put(&l, "cpu_usage", wall > 0 ? 100.0 * secs(k->cpu_ns) / wall : 0);
	if (job->live)
		put_memory(&l, j, job->live->rss_bytes, job->live->vm_bytes, job->live->pss_bytes,
			   job->live->pss, job->live->open_files);
	put(&l, "processes", k->alive > 0 ? (double)k->alive : 0);
	put(&l, "procs_started", (double)k->procs_started);
	put(&l, "procs_failed", (double)(k->exit_error + k->exit_signal));
	put(&l, "peak_rss", (double)k->peak_rss_bytes / 1024);
	if (job->root_exited && !strcmp(j->key, "run"))
		put(&l, "exit_code", job__exit_code(job->root_status));
	if (job->workdir) {
		const struct fsusage *fs = &job->workdir->fs;

		put(&l, "workdir_size", (double)job->workdir->size_bytes / MB);
		if (job->workdir->fs_ok) {
			put(&l, "disk_total", (double)fs->total_bytes / MB);
			put(&l, "disk_used", (double)fs->used_bytes / MB);
			put(&l, "disk_free", (double)fs->avail_bytes / MB);
			/* df's figure, in % (ApMon divided it by 1024 by mistake). */
			if (fs->used_pct >= 0)
				put(&l, "disk_usage", fs->used_pct);
		}
	}
	send_job(a, j, &l);
	return 0;
}

/* ApMon's system parameters, in its names and units: %, MB, KB/s, days. */
static int apmon_host(struct sink *s, const struct host_record *r)
{
	struct apmon_sink *a = (struct apmon_sink *)s;
	const struct host_sample *hs = r->sample;
	const struct host_rates *rt = r->rates;
	size_t nnet = hs && rt ? rt->n_net : 0;
	struct plist l = { .cap = 40 + 2 * nnet };
	char(*names)[NETDEV_NAME_SIZE + 8] = NULL;

	l.p = calloc(l.cap, sizeof(*l.p));
	if (nnet)
		names = calloc(2 * nnet, sizeof(*names));
	if (!l.p || (nnet && !names))
		goto out_free;
	if (rt && rt->have_stat) {
		put(&l, "cpu_usr", rt->cpu.user);
		put(&l, "cpu_nice", rt->cpu.nice);
		put(&l, "cpu_sys", rt->cpu.system + rt->cpu.irq + rt->cpu.softirq);
		put(&l, "cpu_idle", rt->cpu.idle);
		put(&l, "cpu_iowait", rt->cpu.iowait);
		put(&l, "context_switches_R", rt->ctxt_per_s);
		put(&l, "interrupts_R", rt->intr_per_s);
	}
	/* Busy without iowait, where ApMon's was 100 - idle. */
	if (r->cpu_busy_pct >= 0)
		put(&l, "cpu_usage", r->cpu_busy_pct);
	put(&l, "no_CPUs", r->ncpus);
	if (!hs || (hs->have & HOST_HAVE_LOADAVG)) {
		put(&l, "load1", r->load1);
		put(&l, "load5", r->load5);
		put(&l, "load15", r->load15);
	}
	if (!hs || (hs->have & HOST_HAVE_MEMINFO)) {
		put(&l, "total_mem", (double)r->mem_total_bytes / MB);
		put(&l, "mem_used", (double)r->mem_used_bytes / MB);
		put(&l, "mem_actualfree", (double)r->mem_available_bytes / MB);
		put(&l, "mem_usage", r->mem_total_bytes ? 100.0 * (double)r->mem_used_bytes /
								  (double)r->mem_total_bytes :
							  0);
		put(&l, "total_swap", (double)r->swap_total_bytes / MB);
		put(&l, "swap_used", (double)r->swap_used_bytes / MB);
		put(&l, "swap_free", (double)(r->swap_total_bytes - r->swap_used_bytes) / MB);
		put(&l, "swap_usage", r->swap_total_bytes ? 100.0 * (double)r->swap_used_bytes /
								    (double)r->swap_total_bytes :
							    0);
		if (hs) {
			put(&l, "mem_free", (double)hs->mem.free_bytes / MB);
			put(&l, "mem_buffers", (double)hs->mem.buffers_bytes / MB);
			put(&l, "mem_cached", (double)hs->mem.cached_bytes / MB);
		}
	}
	if (hs && (hs->have & HOST_HAVE_UPTIME))
		put(&l, "uptime", secs(hs->uptime.uptime_ns) / 86400);
	/* /proc/stat's procs_running and procs_blocked: tasks in R and D. */
	put(&l, "processes_R", (double)r->procs_running);
	put(&l, "processes_D", (double)r->procs_blocked);
	put(&l, "events_lost", (double)r->events_lost);
	for (size_t i = 0; i < nnet && i < hs->net.n; i++) {
		const char *ifn = hs->net.ifs[i].name;

		if (!rt->net[i].valid || !strcmp(ifn, "lo"))
			continue;
		snprintf(names[2 * i], sizeof(names[0]), "%s_in", ifn);
		snprintf(names[2 * i + 1], sizeof(names[0]), "%s_out", ifn);
		put(&l, names[2 * i], rt->net[i].r.rx_bytes_per_s / 1024);
		put(&l, names[2 * i + 1], rt->net[i].r.tx_bytes_per_s / 1024);
	}
	apmon_sender__send(a->tx, APMON_CLUSTER_SYSTEM, a->host, l.p, l.n);
out_free:
	free(names);
	free(l.p);
	return 0;
}

static void apmon_free(struct sink *s)
{
	struct apmon_sink *a = (struct apmon_sink *)s;
	struct apmon_sender_stats st;

	if (a->tx) {
		apmon_sender__stats(a->tx, &st);
		/* Not an error of the run: a receiver that is down loses its data, that is all. */
		if (st.failed || st.too_large)
			fprintf(stderr,
				"jobtrace: apmon: %llu of %llu datagrams not sent (%s)%s\n",
				(unsigned long long)(st.failed + st.too_large),
				(unsigned long long)(st.datagrams + st.too_large),
				st.failed ? strerror(-st.last_err) : "too large",
				st.too_large ? ", some too large for a datagram" : "");
	}
	apmon_sender__free(a->tx);
	free(a->cluster);
}

static const struct sink_ops apmon_ops = {
	.name = "apmon",
	.interval = apmon_interval,
	.host = apmon_host,
	.job_end = apmon_job_end,
	.free = apmon_free,
};

struct sink *sink_apmon__new(const struct apmon_opts *o)
{
	struct apmon_sink *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->s.ops = &apmon_ops;
	a->s.path = "apmon";
	a->cluster = strdup(o->cluster ? o->cluster : APMON_CLUSTER_JOBS);
	a->tx = apmon_sender__new(o);
	if (!a->cluster || !a->tx) {
		sink__free(&a->s);
		return NULL;
	}
	if (gethostname(a->host, sizeof(a->host) - 1))
		strcpy(a->host, "localhost");
	return &a->s;
}

int sink_apmon__set_dests(struct sink *s, const struct apmon_opts *o)
{
	struct apmon_sink *a = (struct apmon_sink *)s;
	char *cluster = strdup(o->cluster ? o->cluster : APMON_CLUSTER_JOBS);
	struct apmon_sender *tx = cluster ? apmon_sender__new(o) : NULL;

	/* All or nothing: a reload that cannot open its sockets keeps the old ones. */
	if (!tx) {
		free(cluster);
		return -ENOMEM;
	}
	apmon_sender__free(a->tx);
	free(a->cluster);
	a->tx = tx;
	a->cluster = cluster;
	return 0;
}
