// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libjobtrace's reader over a hostile mapping: the input is the stream
 * file's head (meta page, then the data area); it goes into a file in
 * /dev/shm padded with zeros to meta + capacity, which the reader maps as it
 * would /dev/shm/jobtrace.stream, and every record it hands out is read.
 * A file at a path of its own: the reader opens no link (O_NOFOLLOW), a
 * memfd's /proc/self/fd name included.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jobtrace/stream.h"

#include "fuzz.h"

/* Data areas the reader accepts go to 1 GiB; the fuzzer's stay small. */
#define FUZZ_MAX_CAPACITY (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union jt_stream_record rec;
	struct jt_stream_meta m;
	struct jobtrace_stream *s;
	size_t file_size = JT_STREAM_META_SIZE + FUZZ_MAX_CAPACITY;
	char path[64];
	int fd;

	if (size > file_size)
		return 0;
	memset(&m, 0, sizeof(m));
	memcpy(&m, data, size < sizeof(m) ? size : sizeof(m));
	if (m.capacity <= FUZZ_MAX_CAPACITY)
		file_size = JT_STREAM_META_SIZE + m.capacity;
	if (file_size < size)
		file_size = size;
	snprintf(path, sizeof(path), "/dev/shm/jt-fuzz-stream-%d", getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (ftruncate(fd, (off_t)file_size) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	s = jobtrace_stream_open(path);
	unlink(path);
	if (s) {
		/* A ring of 64 KiB holds at most 64 KiB / 8 records: a reader that loops more spins. */
		for (int i = 0; i < FUZZ_MAX_CAPACITY / 8 + 16; i++)
			if (jobtrace_stream_next(s, &rec) <= 0)
				break;
		jobtrace_stream_generation(s);
		jobtrace_stream_state(s);
		jobtrace_stream_missed_total(s);
		jobtrace_stream_close(s);
	}
	close(fd);
	return 0;
}
