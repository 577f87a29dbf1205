/*
 * request.h - one request, from its parsed head to its reply on the wire.
 *
 * request_serve() holds the request's whole life in the metabase: it
 * begins the snapshot, finds the site and the key along the URL, copies
 * the settings out (settings.h), builds the reply (reply.h, content.h),
 * ends the snapshot, and only then sends: a slow client never pins a
 * snapshot.  A request's body is read and dropped (so that the
 * connection stays framed) after the snapshot has ended, before sending;
 * the site is looked up once either way.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "server/http/keepalive.h"
#include "server/http/auth.h"
#include "server/worker/errpage.h"
#include "server/worker/settings.h"

struct conn;
struct hp_request;
struct worker;

/* One request's facts: for the connection loop, and the access log. */
struct request {
	const struct hp_request *req;	/* NULL: no head could be read */
	struct timespec	 start;		/* its first byte, or the wait's end */
	unsigned	 nreq;		/* on this connection, this one too */
	uint32_t	 site;		/* 0 until known */
	int		 status;
	long long	 sent;		/* bytes that went out */
	size_t		 received;	/* head and body */
	int		 body_read;
	int		 pool_busy;	/* answered while clients waited and
					   no worker was idle */
	struct settings	 set;		/* the settings it was served by */
	const char	*path;		/* cs-uri-stem (decoded), or NULL */
	size_t		 plen;
	const char	*query;
	size_t		 qlen;
	enum ka_next	 next;		/* what the connection does next */
	unsigned	 substatus;	/* IIS's, for the log: 403.6 */
	char		 user[AUTH_MAXUSER + 1];	/* Basic's, or "" */
	/* The site's error pages, and HttpExpires's lines, while its
	 * snapshot is open. */
	struct errpage_site errs;
	char		 expires[128];
};

/* Start rq for the nreq-th request of a connection, begun at start. */
void	request_init(struct request *rq, const struct worker *w,
	    unsigned nreq, const struct timespec *start);
/*
 * Serve req, whose head is the headlen bytes at c->rbuf + c->rstart:
 * consume it (and its body), answer, and fill rq.
 */
void	request_serve(struct worker *w, struct conn *c, struct request *rq,
	    const struct hp_request *req, size_t headlen);
/*
 * Answer status (400, 408, 414, 431, ...) to bytes that are no request,
 * with the service's settings, and close (rq->next).
 */
void	request_fail(struct worker *w, struct conn *c, struct request *rq,
	    int status);
/* Write rq's access-log line, if its site logs. */
void	request_log(const struct request *rq, const struct conn *c);

#endif /* REQUEST_H */
