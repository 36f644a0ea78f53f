// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --apmon "host[:port] [password]" destinations. getaddrinfo() is wrapped to
 * numeric hosts only: a fuzzer must not send DNS queries for its mutations,
 * and the resolver is not ours to test; the parsing around it is.
 */
#include <dlfcn.h>
#include <netdb.h>

#include "jobtrace/apmon.h"

#include "fuzz.h"

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static int (*real)(const char *, const char *, const struct addrinfo *,
			   struct addrinfo **);
	struct addrinfo h = *hints;

	if (!real)
		real = (int (*)(const char *, const char *, const struct addrinfo *,
				struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo");
	h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
	return real(node, service, &h, res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = fuzz__cstr(data, size);
	struct apmon_dest d;
	const char *why = NULL;
	int ret;

	if (apmon__parse_dest(spec, &d, &why) && !why)
		abort(); /* a refusal must say why */
	/* serve's reload: the same syntax, names left for the lookup. */
	why = NULL;
	ret = apmon__parse_dest_nowait(spec, &d, &why);
	if (ret && !why)
		abort();
	if (!ret && !d.addr_len && (!d.host[0] || !d.port[0]))
		abort(); /* a name left unresolved must say what to look up */
	free(spec);
	return 0;
}
