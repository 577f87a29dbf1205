/*
 * content.h - static content: what a resolved request path serves.  A
 * file (from the worker's file cache or opened beneath the root, with its
 * preconditions and byte range), a folder's default document or listing,
 * the redirect of a folder asked for without its slash, OPTIONS, and the
 * 403 and 404 of what cannot be served.
 *
 * Content builds the reply (reply.h) while the request's metabase
 * snapshot is open, as it reads the site's settings (MimeMap,
 * DefaultDoc, DirBrowseFlags, HttpCustomHeaders); it sends nothing.
 */
#ifndef CONTENT_H
#define CONTENT_H

#include <stddef.h>

struct reply;
struct reply_ctx;
struct resp_cond;
struct vhost;

/* The request as content sees it. */
struct content_req {
	const struct reply_ctx *ctx;
	const struct resp_cond *cond;	/* its conditional and range fields */
	struct vhost	*vh;		/* resolved: vhost_resolve() */
	const char	*path;		/* normalised URL path, decoded */
	size_t		 plen;
	const char	*query;		/* without '?', may be empty */
	size_t		 qlen;
};

/*
 * Build into rp the answer to a GET, HEAD or OPTIONS of cr->path, whose
 * key allows reading (AccessFlags).
 */
void	content_serve(struct reply *rp, const struct content_req *cr);

#endif /* CONTENT_H */
