// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exposition gzipped, for a scrape that says Accept-Encoding: gzip
 * (Prometheus asks for it, and 1,000 jobs are 1 MiB of text): from a
 * buffer, or from the memfd metrics_http.c writes a body to, a chunk at
 * a time into another, so that no copy of the whole is on the heap.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <zlib.h>

#include "jobtrace/metrics.h"

/*
 * zlib's level: the text repeats its names and labels on every line, so
 * the fastest level already takes most of it (1 MiB to about 60 KiB), at
 * a fraction of the default level's CPU, spent in the collector's loop.
 */
#define HTTP_GZIP_LEVEL Z_BEST_SPEED

int metrics_http__gzip(const void *in, size_t len, void **out, size_t *out_len)
{
	z_stream zs = {};
	uLong bound;
	void *buf;
	int zerr;

	*out = NULL;
	*out_len = 0;
	/* One deflate() call takes uInt lengths: 4 GiB of text is no exposition. */
	if (len > UINT32_MAX / 2)
		return -EFBIG;
	/* windowBits 15 + 16: a gzip header and trailer around the deflate stream. */
	zerr = deflateInit2(&zs, HTTP_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	if (zerr != Z_OK)
		return zerr == Z_MEM_ERROR ? -ENOMEM : -EIO;
	/* deflateBound() covers the header too: one call of deflate() finishes the member. */
	bound = deflateBound(&zs, (uLong)len);
	buf = malloc(bound);
	if (!buf) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = buf;
	zs.avail_out = (uInt)bound;
	zerr = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (zerr != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*out_len = zs.total_out;
	return 0;
}

/* Bytes deflate() is handed, and gives back, at a time. */
#define HTTP_GZIP_CHUNK (64 * 1024)

/* 0, or -1 with errno set. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int metrics_http__gzip_fd(int in_fd, size_t len, int out_fd, size_t *out_len)
{
	z_stream zs = {};
	unsigned char *in = NULL, *out = NULL;
	size_t off = 0;
	int zerr, err = 0;

	*out_len = 0;
	zerr = deflateInit2(&zs, HTTP_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	if (zerr != Z_OK)
		return zerr == Z_MEM_ERROR ? -ENOMEM : -EIO;
	in = malloc(HTTP_GZIP_CHUNK);
	out = malloc(HTTP_GZIP_CHUNK);
	if (!in || !out) {
		err = -ENOMEM;
		goto out_end;
	}
	do {
		size_t want = len - off < HTTP_GZIP_CHUNK ? len - off : HTTP_GZIP_CHUNK;
		ssize_t n = want ? pread(in_fd, in, want, (off_t)off) : 0;
		int flush;

		if (n < 0 || (size_t)n != want) {
			err = n < 0 ? -errno : -EIO;
			goto out_end;
		}
		off += want;
		flush = off == len ? Z_FINISH : Z_NO_FLUSH;
		zs.next_in = in;
		zs.avail_in = (uInt)want;
		do {
			size_t have;

			zs.next_out = out;
			zs.avail_out = HTTP_GZIP_CHUNK;
			zerr = deflate(&zs, flush);
			if (zerr == Z_STREAM_ERROR) {
				err = -EIO;
				goto out_end;
			}
			have = HTTP_GZIP_CHUNK - zs.avail_out;
			if (have && write_all(out_fd, out, have)) {
				err = errno ? -errno : -EIO;
				goto out_end;
			}
		} while (zs.avail_out == 0);
	} while (off < len);
	if (zerr != Z_STREAM_END)
		err = -EIO;
	else
		*out_len = zs.total_out;
out_end:
	deflateEnd(&zs);
	free(in);
	free(out);
	return err;
}
