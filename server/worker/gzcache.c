/*
 * gzcache.c - compressed files, per worker.
 */
/* pread() */
#define _XOPEN_SOURCE 700
#include <sys/types.h>
#include <sys/stat.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "server/worker/gzcache.h"

static struct gz_entry	 slots[GZ_SLOTS];
static size_t		 total;

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void
drop(struct gz_entry *e)
{
	total -= e->len;
	free(e->data);
	memset(e, 0, sizeof(*e));
}

/* in[0 .. n) as a gzip stream in *out (malloc'd); its length, or 0. */
static size_t
compress_gzip(const char *in, size_t n, char **out)
{
	z_stream	 z;
	size_t		 cap, len = 0;
	char		*buf;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip header and trailer around the deflate stream. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	cap = deflateBound(&z, (uLong)n);
	if ((buf = malloc(cap)) == NULL)
		goto end;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		free(buf);
		goto end;
	}
	len = z.total_out;
	*out = buf;
 end:
	deflateEnd(&z);
	return len;
}

const struct gz_entry *
gz_get(const struct stat *st, int fd, const char *data, const char *etag,
    size_t etaglen)
{
	struct gz_entry	*e;
	size_t		 h, n = (size_t)st->st_size, len;
	char		*raw = NULL, *z = NULL;

	if (st->st_size > GZ_MAXFILE || etaglen < 2 ||
	    etaglen + 3 > sizeof(e->etag))
		return NULL;
	h = ((size_t)st->st_ino * 2654435761u ^ (size_t)st->st_dev) %
	    GZ_SLOTS;
	e = &slots[h];
	if (e->data != NULL && same_file(&e->st, st))
		return e;
	if (data == NULL) {
		if ((raw = malloc(n + 1)) == NULL ||
		    pread(fd, raw, n, 0) != (ssize_t)n) {
			free(raw);
			return NULL;
		}
		data = raw;
	}
	len = compress_gzip(data, n, &z);
	free(raw);
	/* Not worth it: the plain file is as small. */
	if (len == 0 || len >= n) {
		free(z);
		return NULL;
	}
	if (e->data != NULL)
		drop(e);
	if (total + len > GZ_MAXBYTES) {
		free(z);
		return NULL;
	}
	e->st = *st;
	e->data = z;
	e->len = len;
	total += len;
	/* "..." becomes "...-gz": another representation, another tag. */
	memcpy(e->etag, etag, etaglen - 1);
	memcpy(e->etag + etaglen - 1, "-gz\"", 4);
	e->etaglen = etaglen + 3;
	return e;
}

void
gz_flush(void)
{
	size_t	 i;

	for (i = 0; i < GZ_SLOTS; i++)
		if (slots[i].data != NULL)
			drop(&slots[i]);
}
