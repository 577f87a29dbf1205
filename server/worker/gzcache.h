/*
 * gzcache.h - files compressed with zlib once and kept in a worker's
 * memory (DoStaticCompression), so that no request compresses anything
 * twice.
 *
 * An entry is for a file's exact state (device, inode, size,
 * modification and change times, from the stat(2) the request made
 * anyway): a changed file misses and is compressed again.  GZ_SLOTS
 * entries, direct-mapped; at most GZ_MAXBYTES of compressed bytes in all;
 * a file above GZ_MAXFILE is not compressed on the fly.
 */
#ifndef GZCACHE_H
#define GZCACHE_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>

#define GZ_MAXFILE	(1024 * 1024)
#define GZ_MAXBYTES	(8 * 1024 * 1024)
#define GZ_SLOTS	256

struct gz_entry {
	struct stat	 st;		/* the original's, when compressed */
	char		*data;		/* the gzip stream */
	size_t		 len;
	char		 etag[72];	/* the original's, with "-gz" */
	size_t		 etaglen;
};

/*
 * The gzip form of the file of stat st: its bytes are data (when the
 * file cache has them) or read from fd.  etag is the original's.
 * Returns the entry (valid until the next call), or NULL when the file
 * is too big, does not compress, or memory is short.
 */
const struct gz_entry *gz_get(const struct stat *st, int fd,
	    const char *data, const char *etag, size_t etaglen);
/* Drop everything (SIGUSR1, as the file cache). */
void	gz_flush(void);

#endif /* GZCACHE_H */
