/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ApMon output for MonALISA: job and system parameters as ApMon's UDP
 * datagrams, byte for byte as its C and Python senders build them (XDR,
 * big-endian): header string "v:VERSION" "p:PASSWORD", instance id,
 * sequence number, cluster, node, parameter count, then name, type code
 * and value per parameter, and an optional timestamp.
 *
 * The encoder is pure (a test feeds it the reference datagram); the sender
 * resolves its destinations once, at the command line, and never blocks
 * the collector: its sockets are non-blocking, and a datagram that cannot
 * go is counted, not an error.
 */
#ifndef JOBTRACE_APMON_H
#define JOBTRACE_APMON_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define APMON_DEFAULT_PORT 8884
/* The C sender's version: our datagrams are laid out as its are. */
#define APMON_VERSION "2.2.2"
/* apmon.py's maxMsgSize: it splits a larger set over several datagrams. */
#define APMON_MAX_DGRAM 1440
/* ApMon C's MAX_HEADER_LENGTH: "v:2.2.2p:" leaves 36 bytes of password. */
#define APMON_MAX_HEADER 45
#define APMON_MAX_DESTS 8
/* ApMon C wraps its sequence number at TWO_BILLION. */
#define APMON_SEQ_WRAP 2000000000U

#define APMON_CLUSTER_JOBS "jobtrace_jobs"
/* xApMon's own name for system parameters, which MonALISA views expect. */
#define APMON_CLUSTER_SYSTEM "ApMon_SysMon"

/* ApMon's XDR type codes; 1 (int16) and 3 (int64) are not supported by ApMon. */
enum apmon_type {
	APMON_STRING = 0,
	APMON_INT32 = 2,
	APMON_REAL32 = 4,
	APMON_REAL64 = 5,
};

struct apmon_param {
	const char *name; /* any bytes but NUL; sent as they are */
	enum apmon_type type;
	union {
		const char *s;
		int32_t i32;
		float r32;
		double r64;
	} v;
};

/* What leads every datagram but the sequence number. */
struct apmon_head {
	const char *password; /* "" for none */
	uint32_t instance_id;
	const char *cluster, *node;
	int32_t timestamp; /* seconds since the epoch; <= 0: none (the receiver's time) */
};

/* Bytes of one parameter, encoded. */
size_t apmon__param_size(const struct apmon_param *p);
/* Bytes of a datagram's fixed part (header to count, and the timestamp). */
size_t apmon__head_size(const struct apmon_head *h);

/*
 * One datagram of @n parameters into @buf; returns its size, or -ENOSPC
 * when it does not fit in @size. Pure: no clock, no randomness.
 */
ssize_t apmon__encode(void *buf, size_t size, const struct apmon_head *h, uint32_t seq,
		      const struct apmon_param *p, size_t n);

/*
 * How many parameters from @p, in order, fit in one datagram of at most
 * @max bytes: at least 1 (a parameter too large alone goes alone, and is
 * then refused by apmon__encode), at most @n.
 */
size_t apmon__fit(const struct apmon_head *h, const struct apmon_param *p, size_t n, size_t max);

/* A destination, resolved once. */
struct apmon_dest {
	struct sockaddr_storage addr;
	socklen_t addr_len; /* 0 while @host waits for apmon_lookup */
	char password[APMON_MAX_HEADER];
	char name[80]; /* "host:port", for messages */
	char host[256], port[8]; /* as given: what a lookup asks for */
};

/*
 * ApMon's destination syntax, "HOST[:PORT][ PASSWORD]" (IPv6 as
 * "[ADDR]:PORT"), resolved now. 0, -EINVAL with @why set (a bad port, a
 * password too long) or -ENOENT when the host does not resolve.
 */
int apmon__parse_dest(const char *spec, struct apmon_dest *out, const char **why);
/*
 * The same, but nothing that may wait: a numeric address is taken as it
 * is, a name is left for apmon_lookup (addr_len 0). A name lookup can
 * block for as long as the resolver is silent (10 s and more): serve's
 * reload runs in the collector's loop and must not.
 */
int apmon__parse_dest_nowait(const char *spec, struct apmon_dest *out, const char **why);

/* What a front's --apmon options say. */
struct apmon_opts {
	struct apmon_dest dests[APMON_MAX_DESTS];
	size_t n;
	const char *cluster; /* of job parameters; NULL: APMON_CLUSTER_JOBS */
	bool nowait; /* apmon__add_dest_arg() leaves names unresolved (a reload) */
};

/* Destinations of @o whose names still wait for a lookup. */
size_t apmon__unresolved(const struct apmon_opts *o);

/*
 * The names of a set of destinations, looked up without blocking the
 * caller: glibc's getaddrinfo_a() runs them on threads of its own, and
 * each one that ends writes 1 to @notify_fd (an eventfd the caller's loop
 * polls). The set keeps its own copy of the options (the cluster too).
 */
struct apmon_lookup;
struct apmon_lookup *apmon_lookup__start(const struct apmon_opts *o, int notify_fd);
/*
 * -EINPROGRESS while a name is being looked up; 0 when every one is, with
 * @out the options, every address filled (its cluster valid while @l is);
 * else -ENOENT, and @why says which name and why.
 */
int apmon_lookup__result(struct apmon_lookup *l, struct apmon_opts *out, char *why, size_t size);
/*
 * Cancels what is still running. A lookup glibc cannot cancel any more
 * still writes into @l: it is kept, and freed by a later
 * apmon_lookup__reap() once that lookup is over.
 */
void apmon_lookup__free(struct apmon_lookup *l);
/* Frees the sets apmon_lookup__free() had to keep, those now over. */
void apmon_lookup__reap(void);

/*
 * --apmon SPEC: parses and resolves one destination into @o; prints
 * "jobtrace: ..." and returns EXIT_USAGE (2) when it is bad, else 0.
 */
int apmon__add_dest_arg(struct apmon_opts *o, const char *cmd, const char *spec);

/* The sender: a connected, non-blocking UDP socket per destination. */
struct apmon_sender;

struct apmon_sender *apmon_sender__new(const struct apmon_opts *o);
/*
 * Sends @n parameters to every destination, split into datagrams of at
 * most APMON_MAX_DGRAM bytes, each with its destination's next sequence
 * number. Never blocks; failures are counted. Returns datagrams sent.
 */
size_t apmon_sender__send(struct apmon_sender *a, const char *cluster, const char *node,
			  const struct apmon_param *p, size_t n);
struct apmon_sender_stats {
	uint64_t datagrams, sent, failed, too_large;
	int last_err; /* negative errno of the last failure */
};
void apmon_sender__stats(const struct apmon_sender *a, struct apmon_sender_stats *out);
void apmon_sender__free(struct apmon_sender *a);

struct sink;
/* The sink: interval and job records as job parameters, host records as system ones. */
struct sink *sink_apmon__new(const struct apmon_opts *o);
/* serve's reload: new destinations and cluster from now on (none: it sends nothing). */
int sink_apmon__set_dests(struct sink *s, const struct apmon_opts *o);

#ifdef __cplusplus
}
#endif

#endif
