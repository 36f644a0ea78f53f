/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who the host is: its name, kernel and platform, as ApMon's "general info"
 * reports them. The same strings uname(2) returns, read from the files under
 * a proc root's sys/kernel/ so that a fixture or a copy of another host's
 * /proc answers for itself. On the live /proc they are the reader's UTS
 * namespace, as uname(2)'s are.
 */
#ifndef JOBTRACE_HOSTINFO_H
#define JOBTRACE_HOSTINFO_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>

/*
 * The kernel keeps each of these in a 65-byte field (__NEW_UTS_LEN + 1);
 * the room past that is for trees from elsewhere. A longer file is refused
 * (-EFBIG), not cut.
 */
#define HOSTINFO_VALUE_MAX 256

enum hostinfo_field {
	HOSTINFO_HOSTNAME,	 /* sys/kernel/hostname: uname's nodename */
	HOSTINFO_KERNEL_VERSION, /* sys/kernel/osrelease: "6.18.44" */
	HOSTINFO_KERNEL_BUILD,	 /* sys/kernel/version: "#1 SMP PREEMPT_DYNAMIC ..." */
	HOSTINFO_OS_TYPE,	 /* sys/kernel/ostype: "Linux" */
	HOSTINFO_PLATFORM,	 /* sys/kernel/arch: uname's machine, "x86_64" */
	HOSTINFO_DOMAINNAME,	 /* sys/kernel/domainname: the NIS domain */
	HOSTINFO_NR_FIELDS,
};

struct hostinfo_value {
	bool known;
	size_t len; /* bytes in @bytes: any bytes, NUL included, so use len, not strlen() */
	char bytes[HOSTINFO_VALUE_MAX + 1]; /* NUL-terminated after @len bytes */
};

struct hostinfo {
	struct hostinfo_value v[HOSTINFO_NR_FIELDS];
	/*
	 * Why a value is unknown: the negative errno of reading or parsing its
	 * file, or 0 when the file said there is nothing (a domainname of
	 * "(none)"). 0 for a known value, even one uname(2) supplied.
	 */
	int err[HOSTINFO_NR_FIELDS];
	bool platform_from_uname; /* no sys/kernel/arch: uname(2) said it */
	/*
	 * A known value whose file had no newline at its end: the kernel
	 * always writes one, so the value may have been cut (a short read,
	 * a copied tree). It is kept; the sampler warns.
	 */
	bool cut[HOSTINFO_NR_FIELDS];
};

/*
 * One of those files, @len bytes (no NUL needed): the value is the whole
 * file less one trailing '\n', which the kernel always adds and a file
 * written by hand may lack. Inner bytes are kept as they are, a '\n' among
 * them: sethostname(2) takes any bytes. Returns 0, -ENODATA for an empty
 * file (the kernel writes at least "\n"), -EFBIG past HOSTINFO_VALUE_MAX.
 * @out is unknown on error.
 */
int hostinfo__parse_value(const char *buf, size_t len, struct hostinfo_value *out);

/*
 * Reads every field under @proc_dirfd (a /proc root), each on its own: a
 * file that cannot be read leaves its value unknown with its error in
 * out->err[]. A domainname of "(none)", the kernel's "not set", is unknown
 * with no error. sys/kernel/arch exists on newer kernels only: when it is
 * missing and @live says @proc_dirfd is this machine's own /proc, the
 * platform is uname(2)'s machine; for any other root it stays unknown, as
 * this machine's answer would be a guess about someone else's. Nothing
 * fails as a whole, so nothing is returned: see out->err[].
 */
void hostinfo__read(int proc_dirfd, bool live, struct hostinfo *out);

/* The file of @f under a proc root, "sys/kernel/osrelease"; NULL past the last. */
const char *hostinfo__path(enum hostinfo_field f);

/*
 * Whether every kernel with /proc/sys has the file of @f (hostname,
 * osrelease, ostype): then its absence is a fault to report, not the age or
 * the configuration of the kernel.
 */
bool hostinfo__required(enum hostinfo_field f);

#ifdef __cplusplus
}
#endif

#endif
