// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "jobtrace/bpf_log.h"

static int print_warnings(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* libbpf's debug level is its own tracing; the verifier log is a warning. */
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int print_nothing(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

void bpf_log__init(bool verbose)
{
	libbpf_set_print(verbose ? print_warnings : print_nothing);
}
