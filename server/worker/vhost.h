/*
 * vhost.h - from a connection and a request to a site, its settings and a
 * file: the site's binding (IIS's precedence), the deepest metabase key
 * along the URL, and the file under the virtual directory's Path, opened
 * so that nothing outside that folder is ever reached.
 */
#ifndef VHOST_H
#define VHOST_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#include "metabase.h"

/* "/LM/W3SVC/4294967295/ROOT" and a URL path of the longest we take. */
#define VHOST_KEYMAX	(32 + 8192)

struct vhost {
	uint32_t	 site;
	uint32_t	 state;		/* ServerState */
	/*
	 * Effective settings at the deepest key along the URL; strings point
	 * into the metabase snapshot and die at mb_end().
	 */
	struct mb_props	 props;
	const char	*root;		/* the Path that applies */
	const char	*rel;		/* the URL path below root: "/..." */
	size_t		 rellen;
	char		 key[VHOST_KEYMAX];
};

/*
 * The site for a connection to local address ip (inet_ntop text) and
 * port with Host host[0..hostlen), through SecureBindings when secure
 * (a TLS connection), else ServerBindings: sets vh->site and vh->state.  Returns
 * 0, MB_NOTFOUND (no binding: IIS's "Invalid Hostname"), or another
 * metabase error.  Needs an open snapshot (mb_begin()).
 */
int	vhost_match(struct mb *mb, int secure, const char *ip,
	    unsigned port, const char *host, size_t hostlen,
	    struct vhost *vh);

/*
 * Settings and file location for the normalised URL path path[0..len) of
 * site vh->site (uri_normalize() output: starts with '/', no dot
 * segments).  Returns 0; MB_NOTFOUND when the site has no ROOT or no
 * Path applies; or another metabase error.
 */
int	vhost_resolve(struct mb *mb, struct vhost *vh, const char *path,
	    size_t len);

/*
 * Open rel[0..rellen) (a normalised URL path, "/" for the folder itself)
 * beneath the folder root, following symbolic links only while they stay
 * inside it.  Only regular files and directories are opened.  Returns the
 * descriptor with *st filled, or -1 with errno: ENOENT or ENOTDIR (404),
 * EXDEV or ELOOP (a link leading outside: 404), EACCES (403), EISDIR is
 * never returned.
 */
int	vhost_open(const char *root, const char *rel, size_t rellen,
	    struct stat *st);
/*
 * lstat(2) of rel beneath root, for the file cache's check: it does not
 * follow a final link, and a link on the way that leads outside root
 * fails it, as it fails vhost_open() (without openat2(2), any link on
 * the way does).  0 or -1.
 */
int	vhost_stat(const char *root, const char *rel, size_t rellen,
	    struct stat *st);
/* Close the cached root folders (SIGUSR1, or a test's end). */
void	vhost_flush(void);

#endif /* VHOST_H */
