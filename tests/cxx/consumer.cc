// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A C++ agent of libjobtrace, built and run by `make`: the installed header
 * compiles as C++ and its functions link under their C names (a header
 * without extern "C" fails the link with mangled ones). Given a path where
 * no stream is, the library must say ENOENT, and name record types.
 */
#include <jobtrace/stream.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

static_assert(sizeof(union jt_stream_record) == sizeof(struct jt_stream_exit),
	      "the C++ view of a record is the C one");

int main(int argc, char **argv)
{
	struct jobtrace_stream *s;

	if (argc != 2) {
		std::fprintf(stderr, "usage: %s PATH-WITHOUT-A-STREAM\n", argv[0]);
		return 2;
	}
	errno = 0;
	s = jobtrace_stream_open(argv[1]);
	if (s || errno != ENOENT) {
		std::fprintf(stderr, "jobtrace_stream_open(%s): %p, %s; wanted NULL, ENOENT\n",
			     argv[1], static_cast<void *>(s), std::strerror(errno));
		if (s)
			jobtrace_stream_close(s);
		return 1;
	}
	if (std::strcmp(jobtrace_stream_type_name(JT_STREAM_EXIT), "exit")) {
		std::fprintf(stderr, "jobtrace_stream_type_name(JT_STREAM_EXIT) is not \"exit\"\n");
		return 1;
	}
	return 0;
}
