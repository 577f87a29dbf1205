/*
 * errpage.c - HttpErrors: a site's error pages.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/core/log.h"
#include "server/http/response.h"
#include "server/worker/errpage.h"
#include "server/worker/reply.h"
#include "server/worker/vhost.h"

/* The page's key and file for a URL entry: big, so one per worker. */
static struct vhost	 target;

/* The entry for status and sub: an exact substatus first, then '*'. */
static int
entry_for(const struct mb_value *v, int status, int sub,
    struct mb_httperror *out)
{
	struct mb_httperror h;
	const char	*s;
	char		 err[8];
	int		 found = 0;

	MB_MULTISZ_FOREACH(s, v) {
		if (mb_httperror_parse(s, &h, err, sizeof(err)) != 0 ||
		    (int)h.status != status)
			continue;
		if (h.sub == sub) {
			*out = h;
			return 0;
		}
		if (h.sub == -1 && !found) {
			*out = h;
			found = 1;
		}
	}
	return found ? 0 : -1;
}

/* Read all of fd (a regular file of st's size) into x. */
static int
read_all(int fd, const struct stat *st, struct scratch *x, size_t *len)
{
	size_t	 n = (size_t)st->st_size, got = 0;
	ssize_t	 r;

	if (!S_ISREG(st->st_mode) || st->st_size > ERRPAGE_MAX ||
	    scratch_reserve(x, n + 1) < n + 1)
		return -1;
	while (got < n) {
		if ((r = read(fd, x->buf + got, n - got)) <= 0)
			return -1;
		got += (size_t)r;
	}
	*len = n;
	return 0;
}

int
errpage_find(const struct errpage_site *es, int status, int sub,
    struct scratch *x, size_t *len, const char **ctype, size_t *ctlen)
{
	struct mb_httperror h;
	struct stat	 st;
	const char	*name;
	int		 fd, rc;

	if (es == NULL || es->errors == NULL || es->errors->len == 0 ||
	    entry_for(es->errors, status, sub, &h) != 0)
		return -1;
	if (h.url) {
		/* The URL's file, beneath its own folder's Path. */
		target.site = es->site;
		if (vhost_resolve(es->mb, &target, h.target,
		    strlen(h.target)) != 0)
			return -1;
		fd = vhost_open(target.root, target.rel, target.rellen, &st);
		name = target.rel;
	} else {
		fd = open(h.target, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd != -1 && fstat(fd, &st) == -1) {
			close(fd);
			fd = -1;
		}
		name = h.target;
	}
	if (fd == -1) {
		log_debug("error page '%s' for %d: %s", h.target, status,
		    strerror(errno));
		return -1;
	}
	rc = read_all(fd, &st, x, len);
	close(fd);
	if (rc == -1)
		return -1;
	*ctype = resp_mime(es->mimemap->str, es->mimemap->len, name,
	    strlen(name), ctlen);
	return 0;
}
