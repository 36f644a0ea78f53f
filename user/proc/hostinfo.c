// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kernel/utsname_sysctl.c prints each file as the string and one '\n'
 * (proc_dostring()), nothing else: there is no format to parse beyond that.
 */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "jobtrace/hostinfo.h"
#include "jobtrace/util.h"

static const struct {
	const char *path;
	bool required;
} fields[HOSTINFO_NR_FIELDS] = {
	[HOSTINFO_HOSTNAME] = { "sys/kernel/hostname", true },
	[HOSTINFO_KERNEL_VERSION] = { "sys/kernel/osrelease", true },
	[HOSTINFO_KERNEL_BUILD] = { "sys/kernel/version", false },
	[HOSTINFO_OS_TYPE] = { "sys/kernel/ostype", true },
	[HOSTINFO_PLATFORM] = { "sys/kernel/arch", false },
	[HOSTINFO_DOMAINNAME] = { "sys/kernel/domainname", false },
};

/* include/linux/uts.h: UTS_DOMAINNAME, what an unset domain name reads as. */
#define DOMAINNAME_UNSET "(none)"

const char *hostinfo__path(enum hostinfo_field f)
{
	return (unsigned int)f < HOSTINFO_NR_FIELDS ? fields[f].path : NULL;
}

bool hostinfo__required(enum hostinfo_field f)
{
	return (unsigned int)f < HOSTINFO_NR_FIELDS && fields[f].required;
}

static int value__set(struct hostinfo_value *v, const char *s, size_t len)
{
	if (len > HOSTINFO_VALUE_MAX)
		return -EFBIG;
	memcpy(v->bytes, s, len);
	v->bytes[len] = '\0';
	v->len = len;
	v->known = true;
	return 0;
}

int hostinfo__parse_value(const char *buf, size_t len, struct hostinfo_value *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return -ENODATA;
	if (buf[len - 1] == '\n')
		len--;
	err = value__set(out, buf, len);
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

void hostinfo__read(int proc_dirfd, bool live, struct hostinfo *out)
{
	/* The value, its '\n', and the NUL util__read_file_at() adds. */
	char buf[HOSTINFO_VALUE_MAX + 2];
	struct hostinfo_value *dom = &out->v[HOSTINFO_DOMAINNAME];
	struct utsname u;

	memset(out, 0, sizeof(*out));
	for (int f = 0; f < HOSTINFO_NR_FIELDS; f++) {
		ssize_t n = util__read_file_at(proc_dirfd, fields[f].path, buf, sizeof(buf));

		out->err[f] = n < 0 ? (int)n : hostinfo__parse_value(buf, (size_t)n, &out->v[f]);
		out->cut[f] = n > 0 && out->v[f].known && buf[n - 1] != '\n';
	}
	if (dom->known && dom->len == strlen(DOMAINNAME_UNSET) &&
	    !memcmp(dom->bytes, DOMAINNAME_UNSET, dom->len))
		memset(dom, 0, sizeof(*dom));

	/*
	 * Only a missing arch: one that is there but unreadable is an error
	 * to report, not to paper over with another source.
	 */
	if (out->err[HOSTINFO_PLATFORM] != -ENOENT || !live || uname(&u))
		return;
	/* 65 bytes at most: it fits. */
	value__set(&out->v[HOSTINFO_PLATFORM], u.machine, strnlen(u.machine, sizeof(u.machine)));
	out->err[HOSTINFO_PLATFORM] = 0;
	out->platform_from_uname = true;
}
