/*
 * keepalive.h - whether a connection stays open after a response, and
 * which Connection token the response carries.  Pure policy: the worker
 * gathers the facts, ka_decide() applies the rules.
 */
#ifndef KEEPALIVE_H
#define KEEPALIVE_H

enum ka_token {
	KA_TOKEN_NONE,		/* no Connection header */
	KA_TOKEN_CLOSE,		/* "Connection: close" */
	KA_TOKEN_KEEPALIVE	/* "Connection: keep-alive" */
};

/* What the connection does after a response. */
enum ka_next {
	KA_CLOSE,		/* close now: the client expects nothing more */
	KA_KEEP,		/* read the next request */
	KA_LINGER		/* half-close, drain what the client still
				   sends, then close */
};

struct ka_input {
	int		 minor;		/* request was HTTP/1.<minor>, 0 or 1 */
	int		 req_close;	/* Connection has "close" */
	int		 req_keepalive;	/* Connection has "keep-alive" */
	int		 allow;		/* site's AllowKeepAlives */
	int		 legacy;	/* site's LegacyKeepAlives */
	unsigned	 max_requests;	/* MaxKeepAliveRequests, 0: no limit */
	unsigned	 nrequests;	/* served on this connection, this one
					   included: 1 for the first */
	int		 delimited;	/* response length known to the client
					   (Content-Length, or no body) */
	int		 body_read;	/* request body fully read or skipped */
	int		 stopping;	/* worker is retiring or told to stop */
	int		 pool_busy;	/* no worker is idle and clients wait
					   to be accepted */
};

/*
 * Decide for one response: KA_KEEP if the connection stays open for
 * another request; else KA_LINGER when the client may still send (it
 * wanted the connection kept, or its request body is unread), so that
 * closing must not reset what is in flight; else KA_CLOSE.  Sets *token
 * to what the response carries.
 *
 * The client wants the connection kept if it sent HTTP/1.1 without
 * "close", or HTTP/1.0 with "keep-alive" and without "close" (close wins
 * over keep-alive in both).  It is kept if the client wants it and
 * keep-alives are on (AllowKeepAlives, or LegacyKeepAlives for HTTP/1.1
 * only, as IIS 4.0 did: KB Q195179), MaxKeepAliveRequests is 0 or above
 * nrequests, the response is delimited, the request body was read, the
 * worker is not stopping and the pool is not busy.
 *
 * pool_busy: clients are queued for a worker and none is free.  A kept
 * connection would hold its worker until the client's next request or
 * until it is given way (and drained) in its turn; closed now, with the
 * client told so in this response, it frees the worker for the queue at
 * once.  The client wanted the connection kept, so it lingers (KA_LINGER):
 * it may have sent more before it read the close.
 *
 * Token: kept HTTP/1.1 gets none (persistence is its default), kept
 * HTTP/1.0 gets keep-alive.  Closed HTTP/1.1, and closed HTTP/1.0 that
 * asked for keep-alive, get close.  Closed HTTP/1.0 that did not ask gets
 * none: closing is its default, and so no byte is wasted on saying so.
 */
enum ka_next ka_decide(const struct ka_input *in, enum ka_token *token);

/*
 * The header line for a token, CRLF included ("Connection: close\r\n"),
 * or "" for KA_TOKEN_NONE.
 */
const char *ka_token_line(enum ka_token token);

#endif /* KEEPALIVE_H */
