/*
 * filecache.h - small files kept in a worker's memory, so that serving one
 * costs a stat(2) instead of open, fstat, read and close.
 *
 * An entry is used only while the file's inode, size, modification and
 * change times are exactly those it was read with: every request checks
 * them with vhost_stat() beneath the root (one fstatat(2) for a file at
 * the top of the folder), so a changed file is seen at once, never a
 * second late.  What an entry holds was read through vhost_open()
 * (beneath the root), and vhost_stat() fails where vhost_open() would, so
 * a link swapped in later, for the file or a folder on its way, can make
 * a lookup miss, never serve a file from outside.
 */
#ifndef FILECACHE_H
#define FILECACHE_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>

struct fc_entry {
	char		*key;		/* root, NUL, rel */
	size_t		 keylen;
	char		*data;		/* the file's bytes */
	struct stat	 st;		/* as it was read */
	char		 etag[64];
	size_t		 etaglen;
};

/*
 * The cached, still valid entry for rel[0..rellen) under root, or NULL.
 * The entry stays valid until the next fc_*() call.
 */
const struct fc_entry *fc_lookup(const char *root, const char *rel,
	    size_t rellen);
/*
 * Cache the regular file open at fd (stat st) as rel under root, when it
 * is small enough and the cache has room.  Returns the entry (valid as
 * fc_lookup()'s), or NULL when the file was not cached: the caller then
 * serves it from fd.  Never changes fd's offset.
 */
const struct fc_entry *fc_store(const char *root, const char *rel,
	    size_t rellen, int fd, const struct stat *st);
/* Drop everything (SIGUSR1). */
void	fc_flush(void);

#endif /* FILECACHE_H */
