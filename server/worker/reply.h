/*
 * reply.h - a response as the request path builds it, and its sending.
 *
 * Building and sending are apart, so that a request's metabase snapshot
 * can end between them (request.c): everything a reply takes from the
 * snapshot (custom headers, the MIME type) is copied into its head while
 * it is built, and the body is memory of the worker's own (an error page,
 * a listing, a cached file) or an open file.  Sending touches no setting.
 *
 * The head ends with the Connection line that the keep-alive policy
 * (keepalive.h) chose, and the reply keeps what the connection does next.
 */
#ifndef REPLY_H
#define REPLY_H

#include <sys/types.h>

#include <stddef.h>

#include "metabase.h"
#include "server/http/keepalive.h"
#include "server/http/response.h"

/* What static content allows. */
#define REPLY_ALLOW_LINE	"Allow: GET, HEAD, OPTIONS\r\n"

struct conn;
struct errpage_site;
struct hp_request;
struct settings;

/* Scratch memory for bodies built in memory; grows, kept by the worker. */
struct scratch {
	char		*buf;
	size_t		 cap;
};

/* What the keep-alive policy needs to know beyond the reply itself. */
struct reply_ctx {
	const struct hp_request *req;	/* NULL: no request could be read */
	const struct settings *set;
	unsigned	 nreq;		/* on this connection, this one too */
	int		 body_read;	/* its body read or skipped */
	int		 close;		/* close after it, whatever */
	int		 stopping;	/* the worker retires or must stop */
	int		 pool_busy;	/* clients wait and no worker is idle */
	/* The site's own error pages (HttpErrors), or NULL; needs the
	 * request's snapshot open. */
	const struct errpage_site *errs;
	int		 sub;		/* IIS's substatus of an error */
	/* HttpExpires in effect: its Cache-Control and Expires lines. */
	const char	*expires;
	size_t		 expireslen;
};

struct reply {
	struct resp	 r;		/* head, maybe a small body */
	int		 status;
	enum ka_next	 next;		/* what the connection does after it */
	/* The body not in r: memory, or count bytes of fd from off. */
	const char	*body;
	size_t		 blen;
	int		 fd;		/* -1, or closed by reply_send() */
	off_t		 off, count;
	struct scratch	*x;
	int		 sent_ok;	/* every byte went out */
};

/* Ready rp to build heads into buf[0 .. cap) and bodies into x. */
void	reply_init(struct reply *rp, char *buf, size_t cap, struct scratch *x);
/* Start the head of status: status line, Date, Server; no body yet. */
void	reply_head(struct reply *rp, int status);
/*
 * End the head: the Connection line the policy decides for ctx, and the
 * empty line.  Sets rp->next.  Returns 0; or -1 when the head overflowed
 * its buffer, and then the reply is a bare 500 that closes (its file, if
 * any, closed).
 */
int	reply_end_head(struct reply *rp, const struct reply_ctx *ctx);

/*
 * A whole response with a body from memory (kept by reference: it must
 * live until reply_send()), of type ctype (NULL for none), with extra raw
 * header lines and, when custom is not NULL, the site's custom headers.
 * HEAD gets the head alone.
 */
void	reply_mem(struct reply *rp, const struct reply_ctx *ctx, int status,
	    const char *ctype, const char *body, size_t blen,
	    const char *extra, size_t extralen, const struct mb_value *custom);
/*
 * The error page of status: the site's own (ctx->errs) with the same
 * status, else the built-in HTML page (with a detail sentence, or NULL).
 */
void	reply_error(struct reply *rp, const struct reply_ctx *ctx, int status,
	    const char *detail, const struct mb_value *custom);
/* The error page of status, written into rp->x; its length (0 when out of
 * memory: the status line then says it all). */
size_t	reply_error_page(struct reply *rp, int status, const char *detail);
/*
 * Grow the scratch memory to need bytes.  Returns its capacity, which is
 * below need when memory ran out.
 */
size_t	scratch_reserve(struct scratch *x, size_t need);

/*
 * Send the reply on c: the head with a small body in one write, then the
 * rest of the body.  Closes rp->fd.  Returns the bytes sent (what the
 * access log counts); rp->sent_ok says whether all went out.
 */
long long reply_send(struct reply *rp, struct conn *c);
/* Close rp->fd, if any, without sending. */
void	reply_discard(struct reply *rp);

#endif /* REPLY_H */
