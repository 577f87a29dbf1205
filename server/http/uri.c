/*
 * uri.c - decode and normalise request paths; escape names for listings.
 */
#include <stddef.h>
#include <string.h>

#include "server/http/ascii.h"
#include "server/http/uri.h"

int
uri_normalize(const char *target, size_t len, char *out, size_t outsz,
    size_t *outlen, const char **query, size_t *querylen)
{
	const char	*p = target, *end = target + len;
	size_t		 o = 0, seg, n;
	int		 hi, lo;
	unsigned char	 c;

	*query = NULL;
	*querylen = 0;
	if (outsz < 2)
		return URI_ETOOLONG;
	if (len > 0 && memchr(target, '#', len) != NULL)
		return URI_EFRAGMENT;
	if (len > 0 && target[0] != '/' && target[0] != '?')
		return URI_EPATH;
	out[o++] = '/';
	if (p < end && *p == '/')
		p++;
	/*
	 * out[0..o) is the normalised path so far and always ends in '/';
	 * each segment is decoded after it, then judged whole, so that
	 * "%2e%2e" and ".." are the same.
	 */
	for (seg = o;;) {
		if (p == end || *p == '/' || *p == '?') {
			n = o - seg;
			if (n == 1 && out[seg] == '.')
				o = seg;
			else if (n == 2 && out[seg] == '.' &&
			    out[seg + 1] == '.') {
				if (seg == 1)
					return URI_EDOTDOT;
				/* Drop the previous segment, keep its '/'. */
				for (o = seg - 1; out[o - 1] != '/'; o--)
					;
			} else if (n > 0 && p < end && *p == '/') {
				if (o >= outsz - 1)
					return URI_ETOOLONG;
				out[o++] = '/';
			}
			seg = o;
			if (p == end)
				break;
			if (*p == '?') {
				*query = p + 1;
				*querylen = (size_t)(end - p - 1);
				break;
			}
			p++;
			continue;
		}
		c = (unsigned char)*p;
		if (c == '%') {
			if (end - p < 3 || (hi = hexval(p[1])) == -1 ||
			    (lo = hexval(p[2])) == -1)
				return URI_EBADPCT;
			c = (unsigned char)(hi << 4 | lo);
			p += 3;
			if (c == '\0')
				return URI_ENUL;
			if (c == '/')
				return URI_ESLASH;
			if (c < 0x20 || c == 0x7f)
				return URI_ECTL;
		} else {
			if (c <= 0x20 || c >= 0x7f)
				return URI_ECTL;
			p++;
		}
		if (c == '\\')
			return URI_EBACKSLASH;
		if (o >= outsz - 1)
			return URI_ETOOLONG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

const char *
uri_strerror(int code)
{
	switch (code) {
	case 0:
		return "no error";
	case URI_EBADPCT:
		return "bad percent-encoding";
	case URI_ENUL:
		return "encoded NUL";
	case URI_ECTL:
		return "control, space or non-ASCII character";
	case URI_ESLASH:
		return "encoded slash";
	case URI_EBACKSLASH:
		return "backslash";
	case URI_EDOTDOT:
		return "path climbs above the root";
	case URI_EFRAGMENT:
		return "fragment in request target";
	case URI_EPATH:
		return "path does not start with '/'";
	case URI_ETOOLONG:
		return "path too long";
	}
	return "unknown error";
}

/* Bytes uri_escape() leaves alone: unreserved, '/', "!$()*+,;=@". */
static int
path_safe(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~/!$()*+,;=@", c) != NULL;
}

int
uri_escape(const char *in, size_t len, char *out, size_t outsz,
    size_t *outlen)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 i, o = 0;
	unsigned char		 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (path_safe(c)) {
			if (outsz - o < 2)
				return -1;
			out[o++] = (char)c;
		} else {
			if (outsz - o < 4)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (outsz - o < 1)
		return -1;
	out[o] = '\0';
	*outlen = o;
	return 0;
}

int
uri_html_escape(const char *in, size_t len, char *out, size_t outsz,
    size_t *outlen)
{
	size_t		 i, o = 0, n;
	const char	*rep;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			rep = c < 0x20 || c == 0x7f ? "&#xFFFD;" : NULL;
			break;
		}
		n = rep != NULL ? strlen(rep) : 1;
		if (outsz - o < n + 1)
			return -1;
		if (rep != NULL)
			memcpy(out + o, rep, n);
		else
			out[o] = (char)c;
		o += n;
	}
	if (outsz - o < 1)
		return -1;
	out[o] = '\0';
	*outlen = o;
	return 0;
}
