/*
 * filecache.c - a direct-mapped cache of small files, per worker.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/worker/filecache.h"
#include "server/limits.h"
#include "server/http/response.h"
#include "server/worker/vhost.h"

static struct fc_entry	 slots[FC_SLOTS];
static size_t		 total;		/* bytes of file data held */

/* FNV-1a: short keys, no allocation. */
static uint32_t
hash(const char *root, const char *rel, size_t rellen)
{
	uint32_t	 h = 2166136261u;

	for (; *root != '\0'; root++)
		h = (h ^ (unsigned char)*root) * 16777619u;
	h = (h ^ 0) * 16777619u;
	while (rellen-- > 0)
		h = (h ^ (unsigned char)*rel++) * 16777619u;
	return h;
}

static int
same_key(const struct fc_entry *e, const char *root, const char *rel,
    size_t rellen)
{
	size_t	 rl = strlen(root);

	return e->key != NULL && e->keylen == rl + 1 + rellen &&
	    memcmp(e->key, root, rl + 1) == 0 &&
	    memcmp(e->key + rl + 1, rel, rellen) == 0;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec &&
	    a->st_mode == b->st_mode;
}

static void
drop(struct fc_entry *e)
{
	if (e->key == NULL)
		return;
	total -= (size_t)e->st.st_size;
	free(e->key);
	free(e->data);
	e->key = e->data = NULL;
}

const struct fc_entry *
fc_lookup(const char *root, const char *rel, size_t rellen)
{
	struct fc_entry	*e = &slots[hash(root, rel, rellen) % FC_SLOTS];
	struct stat	 st;

	if (!same_key(e, root, rel, rellen))
		return NULL;
	if (vhost_stat(root, rel, rellen, &st) == -1 || !same_file(&st, &e->st)) {
		drop(e);
		return NULL;
	}
	return e;
}

const struct fc_entry *
fc_store(const char *root, const char *rel, size_t rellen, int fd,
    const struct stat *st)
{
	struct fc_entry	*e = &slots[hash(root, rel, rellen) % FC_SLOTS];
	size_t		 rl = strlen(root), size = (size_t)st->st_size;
	char		*key, *data;

	if (!S_ISREG(st->st_mode) || st->st_size > FC_MAXFILE)
		return NULL;
	drop(e);
	if (total + size > FC_MAXBYTES)
		return NULL;
	if ((key = malloc(rl + 1 + rellen)) == NULL)
		return NULL;
	if ((data = malloc(size ? size : 1)) == NULL) {
		free(key);
		return NULL;
	}
	if (size > 0 && pread(fd, data, size, 0) != (ssize_t)size) {
		free(key);
		free(data);
		return NULL;
	}
	memcpy(key, root, rl + 1);
	memcpy(key + rl + 1, rel, rellen);
	e->key = key;
	e->keylen = rl + 1 + rellen;
	e->data = data;
	e->st = *st;
	e->etaglen = resp_etag(st, e->etag, sizeof(e->etag));
	total += size;
	return e;
}

void
fc_flush(void)
{
	size_t	 i;

	for (i = 0; i < FC_SLOTS; i++)
		drop(&slots[i]);
}
