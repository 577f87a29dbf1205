/*
 * uri.h - request paths in and out: the decoded, normalised path a request
 * names, and the escaping of names written into directory listings.
 *
 * No I/O, no allocation; the caller passes the output buffer.
 */
#ifndef URI_H
#define URI_H

#include <stddef.h>

/*
 * Errors of uri_normalize(): each one means a 400, but a distinct code
 * says why in the log.  All lie in URI_ETOOLONG..-1, apart from the
 * metabase's MB_* codes.
 */
#define URI_EBADPCT	(-1)	/* '%' not followed by two hex digits */
#define URI_ENUL	(-2)	/* %00 */
#define URI_ECTL	(-3)	/* raw or decoded CTL, raw SP or non-ASCII */
#define URI_ESLASH	(-4)	/* %2F: a slash inside a segment */
#define URI_EBACKSLASH	(-5)	/* '\' raw or %5C: a Windows separator */
#define URI_EDOTDOT	(-6)	/* ".." above the root */
#define URI_EFRAGMENT	(-7)	/* '#': no request target has one */
#define URI_EPATH	(-8)	/* neither empty nor starting '/' or '?' */
#define URI_ETOOLONG	(-9)	/* out is too small */

/*
 * Turn the path of a request target (hp_request.path: origin-form, or
 * what follows an absolute-form authority) into the path to map onto the
 * site's root.  target[0..len) is empty, or starts with '/' or '?'.
 *
 * The path ends at the first '?'; *query and *querylen get what follows
 * it, undecoded (NULL and 0 without a '?').  The path is percent-decoded;
 * then, so that "%2e%2e" is "..", the dot segments are removed (RFC 3986
 * 5.2.4), and empty segments too ("//" is "/", as the file system reads
 * it, so "/a//.." is "/").  The result starts with '/', ends with '/' if
 * the path did or its last segment was "." or "..", holds no "." or ".."
 * segment, no "//", no NUL and no CTL, and is NUL-terminated in out; its
 * length without the NUL goes in *outlen.  It is never longer than the
 * path, so outsz = len + 2 is always enough.
 *
 * Returns 0, or one of the URI_E* codes above; then out holds garbage and
 * *outlen, *query and *querylen are undefined.  Decoded bytes above 0x7f
 * pass through as bytes: "%c0%ae" (overlong UTF-8 for '.') is not a dot.
 */
int	uri_normalize(const char *target, size_t len, char *out, size_t outsz,
	    size_t *outlen, const char **query, size_t *querylen);

/* Text for a URI_E* code, for the error log. */
const char *uri_strerror(int code);

/*
 * Percent-encode in[0..len) for use in an href in a directory listing
 * (and in a Location header): everything but the unreserved characters,
 * '/' and "!$()*+,;=@" becomes %XX in upper-case hex.  ':' is encoded, so
 * that a file named "javascript:x" cannot become a scheme in a relative
 * reference; '&' and '\'' are encoded, so that the result needs no HTML
 * escaping in a quoted attribute.  The result is NUL-terminated in out,
 * its length in *outlen.  Returns 0, or -1 if out (at most 3 * len + 1
 * bytes are needed) is too small; then out holds garbage.
 */
int	uri_escape(const char *in, size_t len, char *out, size_t outsz,
	    size_t *outlen);

/*
 * Escape in[0..len) as HTML text or a quoted attribute value: '&', '<',
 * '>', '"' and '\'' become entities, and the CTLs, which HTML does not
 * allow, become "&#xFFFD;".  Other bytes, UTF-8 or not, pass through.
 * The result is NUL-terminated in out, its length in *outlen.  Returns
 * 0, or -1 if out (at most 8 * len + 1 bytes are needed) is too small;
 * then out holds garbage.
 */
int	uri_html_escape(const char *in, size_t len, char *out, size_t outsz,
	    size_t *outlen);

#endif /* URI_H */
