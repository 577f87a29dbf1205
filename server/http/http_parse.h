/*
 * http_parse.h - parse an HTTP/1.x request head, and skip a chunked body.
 *
 * No I/O, no allocation: every string in a result points into the caller's
 * buffer and lives as long as it does.  The worker reads into a fixed
 * buffer and calls hp_parse_request() on everything read so far until it
 * stops returning HP_PARTIAL, as with picohttpparser.
 *
 * The grammar is RFC 9112's, read strictly so that we never frame a
 * request differently from a proxy in front of us:
 *  - every line ends in CRLF; a bare LF or a bare CR anywhere is 400;
 *  - up to HP_MAXEMPTYLINES empty lines before the request line are
 *    ignored (RFC 9112 2.2), more are 400;
 *  - request-line = method SP request-target SP HTTP-version, exactly one
 *    SP each; the method a case-sensitive token; the target only RFC 3986
 *    characters, with every '%' followed by two hex digits;
 *  - HTTP-version "HTTP/1.0" or "HTTP/1.1"; any other "HTTP/d.d" is 505,
 *    anything else 400;
 *  - field-name a token, no space before the colon, no obs-fold, no space
 *    between the request line and the first field; field values lose
 *    their leading and trailing OWS and may hold no CTL but HTAB.
 */
#ifndef HTTP_PARSE_H
#define HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "server/limits.h"

#define HP_ERROR	(-1)
#define HP_PARTIAL	(-2)

enum hp_method {
	HP_M_OTHER,		/* any other token: 501 */
	HP_M_GET,
	HP_M_HEAD,
	HP_M_OPTIONS,
	HP_M_POST,
	HP_M_PUT,
	HP_M_DELETE,
	HP_M_PATCH,
	HP_M_TRACE,
	HP_M_CONNECT
};

/* RFC 9112 3.2: which form the request-target takes. */
enum hp_target_form {
	HP_TF_ORIGIN,		/* "/path?query" */
	HP_TF_ABSOLUTE,		/* "http://host/path?query", http or https */
	HP_TF_AUTHORITY,	/* "host:port", only with CONNECT */
	HP_TF_ASTERISK		/* "*", only with OPTIONS */
};

struct hp_header {
	const char	*name;
	size_t		 name_len;
	const char	*value;		/* without leading and trailing OWS */
	size_t		 value_len;
};

struct hp_request {
	const char	*method;
	size_t		 method_len;
	enum hp_method	 meth;
	const char	*target;	/* as received */
	size_t		 target_len;
	enum hp_target_form form;
	/*
	 * The part to map to a file: the whole target in origin-form; what
	 * follows the authority in absolute-form, which may be empty or
	 * start with '?' (uri_normalize() takes both as "/"); "*" in
	 * asterisk-form; empty in authority-form.  Not decoded.
	 */
	const char	*path;
	size_t		 path_len;
	int		 minor;		/* HTTP/1.<minor>: 0 or 1 */

	/* Field lines in order received; repeated names are not combined. */
	struct hp_header headers[HP_MAXHEADERS];
	size_t		 nheaders;

	/*
	 * Summaries.  host is the uri-host (brackets kept on an IP literal)
	 * of an absolute-form target, else of the Host field (RFC 9112
	 * 3.2.2); has_host is 0 only for an HTTP/1.0 request without
	 * either, and then host is NULL and host_len 0; otherwise host_len
	 * is 1 to HP_MAXHOST.  host_port is the port, or -1 when absent or
	 * empty.
	 */
	const char	*host;
	size_t		 host_len;
	int		 host_port;
	int		 has_host;
	int64_t		 content_length;	/* -1: no Content-Length */
	int		 chunked;	/* Transfer-Encoding: chunked */
	int		 conn_close;	/* Connection has "close" */
	int		 conn_keepalive; /* Connection has "keep-alive" */
	/* "Expect: 100-continue" on HTTP/1.1 (RFC 9110 10.1.1 says to
	 * ignore it on HTTP/1.0). */
	int		 expect_continue;
	/* Any other expectation: the server may answer 417. */
	int		 expect_other;
};

/*
 * Parse the request head at the start of buf[0..len).  Returns the number
 * of bytes it takes, final CRLF CRLF included (what follows is the body or
 * the next pipelined request); HP_PARTIAL if buf holds a valid but
 * incomplete head within the limits above; or HP_ERROR with *status set
 * to the response status: 400 malformed, 414 request line too long with
 * a method we know (so the target is what is long), 431 header section
 * too long or too many fields, 501 request line too long with a method we
 * do not know (or a method alone that long) or transfer coding other than
 * chunked, 505 HTTP version other than 1.0 and 1.1.  Errors are reported
 * as soon as seen, even in an incomplete head.
 *
 * Beyond syntax it answers 400 for: HTTP/1.1 without Host (RFC 9112 3.2);
 * more than one Host; an invalid Host, empty ("Host:", "Host: :80")
 * included, or an invalid absolute-form authority, or one with userinfo;
 * a host in either over HP_MAXHOST bytes; a version longer than
 * "HTTP/1.1"; Content-Length not 1*DIGIT, above INT64_MAX, or given twice
 * (even if equal); Transfer-Encoding with Content-Length, in HTTP/1.0, or
 * not ending in a single chunked (RFC 9112 6.1, 6.3); an invalid
 * Connection list; "*" other than with OPTIONS, CONNECT without
 * authority-form, or an absolute-form scheme other than http and https.
 *
 * On HP_PARTIAL and HP_ERROR *req holds nothing useful.  The method says
 * nothing about errors: the caller answers 501 for HP_M_OTHER and
 * whatever it does not implement.
 */
int	hp_parse_request(const char *buf, size_t len, struct hp_request *req,
	    int *status);

/*
 * The first field named name (compared without regard to case), or NULL.
 */
const struct hp_header *hp_header_find(const struct hp_request *req,
	    const char *name);

/*
 * Whether the comma-separated list val[0..len) (RFC 9110 5.6.1: OWS around
 * commas, empty elements allowed) has an element equal to tok, compared
 * without regard to case.  An element with parameters ("a;q=1") does not
 * equal "a".
 */
int	hp_list_has_token(const char *val, size_t len, const char *tok);

/*
 * Incremental validation of a chunked request body (RFC 9112 7.1), for a
 * server that discards it: chunk-size in hex, chunk-ext checked and
 * skipped, trailer fields checked and skipped.  CRLF only, as in the head.
 */
struct hp_chunked {
	int		 state;
	uint64_t	 left;		/* chunk-data bytes still to come */
	uint64_t	 body_len;	/* chunk-data bytes so far */
	size_t		 linelen;	/* bytes in the chunk-size line */
	size_t		 trailer_len;	/* bytes in the trailer section */
	size_t		 ntrailers;
};

/* Ready st for a new body. */
void	hp_chunked_init(struct hp_chunked *st);

/*
 * Feed the next len bytes of the body.  Returns 0 when the body ended
 * within them: *consumed is then the number of bytes it took, and what
 * follows is the next request.  Returns HP_PARTIAL when it took all len
 * bytes (*consumed = len) and wants more.  Returns HP_ERROR with *status
 * 400 (malformed, chunk line over HP_MAXCHUNKLINE, chunk-size beyond
 * INT64_MAX), 413 (body length beyond INT64_MAX) or 431 (trailer over
 * HP_MAXHDRSECTION or HP_MAXHEADERS), and *consumed is undefined.  st->body_len counts the
 * data so far, so the caller can stop at its own limit between calls.
 */
int	hp_decode_chunked(struct hp_chunked *st, const char *buf, size_t len,
	    size_t *consumed, int *status);

#endif /* HTTP_PARSE_H */
