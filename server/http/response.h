/*
 * response.h - building a response head: the status line, the standard
 * header fields, conditional requests and byte ranges, error pages and the
 * MIME type of a file.
 *
 * A response head is built into a caller's fixed buffer (no allocation);
 * the worker then writes it, with a small file's body appended to it in
 * the same buffer, or followed by sendfile(2).
 */
#ifndef RESPONSE_H
#define RESPONSE_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>
#include <time.h>

struct hp_request;

struct resp {
	char		*buf;		/* the head, then maybe the body */
	size_t		 len;
	size_t		 cap;
	int		 overflow;	/* a header did not fit: answer 500 */
	int		 status;
};

/* Begin a head in buf[0..cap): status line, Date and Server. */
void	resp_begin(struct resp *r, char *buf, size_t cap, int status);
/* Append "name: value\r\n". */
void	resp_header(struct resp *r, const char *name, const char *value,
	    size_t vlen);
/* Append "name: <decimal>\r\n". */
void	resp_header_num(struct resp *r, const char *name, long long n);
/* Append raw bytes (a whole line with its CRLF, or the final CRLF). */
void	resp_raw(struct resp *r, const char *s, size_t n);
/*
 * Append the site's HttpCustomHeaders (a MULTISZ value: "Name: value"
 * strings, checked by the schema), but never a field the server owns
 * (fields.h).
 */
void	resp_custom_headers(struct resp *r, const char *multisz, size_t len);

/* The reason phrase of a status ("Not Found"). */
const char *resp_reason(int status);
/* The IMF-fixdate of t; the last two asked for are cached. */
const char *resp_date(time_t t);
/* Parse an HTTP-date in any of RFC 9110's three forms; -1 if invalid. */
time_t	resp_parse_date(const char *s, size_t len);

/*
 * The strong entity tag of a file, double quotes included:
 * "<sec>.<nsec>-<size>", the seconds and nanoseconds of its modification
 * time and its size, each in lower-case hex, as "6650a1b3.1dcd6500-1f4".
 * Returns its length; 48 bytes of buf always suffice.
 */
size_t	resp_etag(const struct stat *st, char *buf, size_t len);

/*
 * The request fields that conditional and range requests look at, found
 * in one pass over the header list; NULL for a field not sent.
 */
struct resp_cond {
	const struct hp_header *if_match;
	const struct hp_header *if_none_match;
	const struct hp_header *if_modified_since;
	const struct hp_header *if_unmodified_since;
	const struct hp_header *range;
	const struct hp_header *if_range;
};

/* Fill c from req's headers, in one pass. */
void	resp_cond_scan(const struct hp_request *req, struct resp_cond *c);

/*
 * RFC 9110 13.2.2: evaluate the preconditions c of a request with method
 * req->meth for a file with entity tag etag and modification time mtime,
 * at time now.  A date later than now is invalid and its field ignored
 * (13.1.3, 13.1.4).  Returns 0 to go on, 304 or 412.
 */
int	resp_preconditions(const struct hp_request *req,
	    const struct resp_cond *c, const char *etag, size_t etaglen,
	    time_t mtime, time_t now);

/*
 * The byte range to send of a file of size bytes, from the request's
 * Range (and If-Range) fields in c.  Returns 200 (send it all: no Range,
 * a Range we ignore, or several ranges), 206 with *first and *last set,
 * or 416.
 */
int	resp_range(const struct hp_request *req, const struct resp_cond *c,
	    off_t size, const char *etag, size_t etaglen, time_t mtime,
	    off_t *first, off_t *last);

/*
 * The content type of a file named name, from a MimeMap value (MULTISZ
 * ".ext,type" strings; "*,type" is the fallback).  *len gets its length.
 * Points into mimemap, or at "application/octet-stream".
 */
/*
 * The one HTML template of the pages the server writes itself (errors,
 * listings): the head up to <title>, and the foot after the body.
 */
#define RESP_HTML_HEAD	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">" \
	"<meta name=\"viewport\" content=\"width=device-width\"><style>"	\
	"body{font:16px/1.5 system-ui,sans-serif;max-width:48em;"	\
	"margin:2em auto;padding:0 1em;color:#222}h1{font-size:1.5em}"	\
	"pre{overflow-x:auto}address{color:#777;font-size:.9em}</style>"
#define RESP_HTML_FOOT	"<hr><address>mbhttpd</address></body></html>\n"

/* Content codings a client accepts (Accept-Encoding, RFC 9110 12.5.3). */
#define RESP_AE_GZIP	0x1
#define RESP_AE_BR	0x2
unsigned resp_accept_encoding(const struct hp_request *req);
/*
 * The Content-Type value of type t[0 .. n) into buf: text types (text/ any,
 * JavaScript, JSON, XML, SVG) get "; charset=utf-8" unless t has
 * parameters of its own.  Returns its length.
 */
size_t	resp_content_type(const char *t, size_t n, char *buf, size_t len);
const char *resp_mime(const char *mimemap, size_t maplen, const char *name,
	    size_t namelen, size_t *len);

/*
 * A short HTML error page for status, with an optional detail sentence
 * (plain text, escaped here).  Returns its length; the page is in buf.
 */
size_t	resp_error_page(int status, const char *detail, char *buf,
	    size_t len);

#endif /* RESPONSE_H */
