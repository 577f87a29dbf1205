/*
 * http_parse.c - request head parser and chunked body skipper.
 *
 * One pass over the buffer, picohttpparser style: each scan stops at a
 * limit pointer that is either the end of the data (then the head is
 * incomplete) or the end allowed by a limit (then it is too long).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "server/http/ascii.h"
#include "server/http/http_parse.h"

#define C_TCHAR		0x01	/* RFC 9110 5.6.2 tchar */
#define C_TARGET	0x02	/* any RFC 3986 character we take in a target */
#define C_VALUE		0x04	/* field-vchar, SP, HTAB */
#define C_HEX		0x08
#define C_PCHAR		0x10	/* pchar but pct-encoded */
#define C_REGNAME	0x20	/* reg-name but pct-encoded */

static const unsigned char ctab[256] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 00 */
	0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 08 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 10 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 18 */
	0x04, 0x37, 0x04, 0x05, 0x37, 0x07, 0x37, 0x37,	/* 20 */
	0x36, 0x36, 0x37, 0x37, 0x36, 0x37, 0x37, 0x06,	/* 28 */
	0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,	/* 30 */
	0x3f, 0x3f, 0x16, 0x36, 0x04, 0x36, 0x04, 0x06,	/* 38 */
	0x16, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x37,	/* 40 */
	0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37,	/* 48 */
	0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37,	/* 50 */
	0x37, 0x37, 0x37, 0x06, 0x04, 0x06, 0x05, 0x37,	/* 58 */
	0x05, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x37,	/* 60 */
	0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37,	/* 68 */
	0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37,	/* 70 */
	0x37, 0x37, 0x37, 0x04, 0x05, 0x04, 0x37, 0x00,	/* 78 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* 80 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* 88 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* 90 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* 98 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* a0 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* a8 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* b0 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* b8 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* c0 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* c8 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* d0 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* d8 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* e0 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* e8 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* f0 */
	0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,	/* f8 */
};

#define IS(c, cls)	(ctab[(unsigned char)(c)] & (cls))
#define IS_OWS(c)	((c) == ' ' || (c) == '\t')
/* qdtext (RFC 9110 5.6.4): field-vchar, SP, HTAB but DQUOTE and '\'. */
#define IS_QDTEXT(c)	(IS(c, C_VALUE) && (c) != '"' && (c) != '\\')

/* Length of a known field name, and its lower-case spelling. */
#define NAME_IS(h, lit)	((h)->name_len == sizeof(lit) - 1 && \
			    eqnocase((h)->name, (lit), sizeof(lit) - 1))

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Compare s[0..n) with n bytes of lit without regard to ASCII case. */
static int
eqnocase(const char *s, const char *lit, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != lower((unsigned char)lit[i]))
			return 0;
	return 1;
}

static const char *
skip_ows(const char *p, const char *end)
{
	while (p < end && IS_OWS(*p))
		p++;
	return p;
}

static enum hp_method
method_of(const char *m, size_t len)
{
	/* Methods are case-sensitive (RFC 9110 9.1). */
	switch (len) {
	case 3:
		if (memcmp(m, "GET", 3) == 0)
			return HP_M_GET;
		if (memcmp(m, "PUT", 3) == 0)
			return HP_M_PUT;
		break;
	case 4:
		if (memcmp(m, "HEAD", 4) == 0)
			return HP_M_HEAD;
		if (memcmp(m, "POST", 4) == 0)
			return HP_M_POST;
		break;
	case 5:
		if (memcmp(m, "PATCH", 5) == 0)
			return HP_M_PATCH;
		if (memcmp(m, "TRACE", 5) == 0)
			return HP_M_TRACE;
		break;
	case 6:
		if (memcmp(m, "DELETE", 6) == 0)
			return HP_M_DELETE;
		break;
	case 7:
		if (memcmp(m, "OPTIONS", 7) == 0)
			return HP_M_OPTIONS;
		if (memcmp(m, "CONNECT", 7) == 0)
			return HP_M_CONNECT;
		break;
	}
	return HP_M_OTHER;
}

/*
 * Whether s[0..len) is pchar / "/" / "?" throughout, '%' followed by two
 * hex digits: what may follow the authority, or make up an origin-form.
 */
static int
valid_pathquery(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (len - i < 3 || !IS(s[i + 1], C_HEX) ||
			    !IS(s[i + 2], C_HEX))
				return 0;
			i += 2;
		} else if (!IS(s[i], C_PCHAR) && s[i] != '/' && s[i] != '?')
			return 0;
	}
	return 1;
}

/* dec-octet (RFC 3986 3.2.2): 0-255 without leading zeros. */
static int
valid_ipv4(const char *s, size_t len)
{
	size_t	i = 0, n;
	int	octets, v;

	for (octets = 0; octets < 4; octets++) {
		if (octets > 0) {
			if (i == len || s[i] != '.')
				return 0;
			i++;
		}
		for (n = 0, v = 0; i < len && s[i] >= '0' && s[i] <= '9' &&
		    n < 3; i++, n++)
			v = v * 10 + (s[i] - '0');
		if (n == 0 || v > 255 || (n > 1 && s[i - n] == '0'))
			return 0;
	}
	return i == len;
}

/* IPv6address (RFC 3986 3.2.2), with or without a dotted-quad tail. */
static int
valid_ipv6(const char *s, size_t len)
{
	size_t	i = 0, start;
	int	groups = 0, dbl = 0;

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		dbl = 1;
		i = 2;
		if (i == len)
			return 1;
	}
	for (;;) {
		start = i;
		while (i < len && i - start < 4 && IS(s[i], C_HEX))
			i++;
		if (i == start)
			return 0;
		if (i < len && s[i] == '.') {
			if (!valid_ipv4(s + start, len - start))
				return 0;
			groups += 2;
			break;
		}
		groups++;
		if (i == len)
			break;
		if (s[i] != ':' || ++i == len)
			return 0;
		if (s[i] == ':') {
			if (dbl)
				return 0;
			dbl = 1;
			if (++i == len)
				break;
		}
		if (groups >= 8)
			return 0;
	}
	return dbl ? groups <= 7 : groups == 8;
}

/* IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
static int
valid_ipvfuture(const char *s, size_t len)
{
	size_t	i = 1;

	if (len < 4 || (s[0] != 'v' && s[0] != 'V'))
		return 0;
	while (i < len && IS(s[i], C_HEX))
		i++;
	if (i == 1 || i >= len - 1 || s[i] != '.')
		return 0;
	for (i++; i < len; i++)
		if (!IS(s[i], C_REGNAME) && s[i] != ':')
			return 0;
	return 1;
}

/*
 * uri-host [ ":" port ] (RFC 9110 7.2, RFC 3986 3.2.2).  Sets the host
 * part and the port, -1 when absent or empty; *colon says whether a ':'
 * was there.  A port above 65535 is as invalid as a letter in it, and a
 * host over HP_MAXHOST bytes as a space in it.  The host may be empty.
 */
static int
parse_authority(const char *s, size_t len, const char **host,
    size_t *hostlen, int *port, int *colon)
{
	size_t	i = 0;
	long	v;

	if (len > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', len);

		if (rb == NULL)
			return -1;
		i = (size_t)(rb - s);
		if (!valid_ipv6(s + 1, i - 1) && !valid_ipvfuture(s + 1, i - 1))
			return -1;
		i++;
	} else {
		while (i < len && s[i] != ':') {
			if (s[i] == '%') {
				if (len - i < 3 || !IS(s[i + 1], C_HEX) ||
				    !IS(s[i + 2], C_HEX))
					return -1;
				i += 2;
			} else if (!IS(s[i], C_REGNAME))
				return -1;
			i++;
		}
	}
	if (i > HP_MAXHOST)
		return -1;
	*host = s;
	*hostlen = i;
	*port = -1;
	*colon = 0;
	if (i == len)
		return 0;
	if (s[i] != ':')
		return -1;
	*colon = 1;
	if (++i == len)
		return 0;
	for (v = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > 65535)
			return -1;
	}
	*port = (int)v;
	return 0;
}

/*
 * Classify and check the request-target (RFC 9112 3.2); the request line
 * scan has already limited it to C_TARGET characters.
 */
static int
parse_target(struct hp_request *req)
{
	const char	*t = req->target, *end = t + req->target_len, *p, *a;
	int		 colon;

	if (req->meth == HP_M_CONNECT) {
		/* authority-form = uri-host ":" port, and only that. */
		req->form = HP_TF_AUTHORITY;
		req->path = end;
		req->path_len = 0;
		if (parse_authority(t, req->target_len, &req->host,
		    &req->host_len, &req->host_port, &colon) == -1 ||
		    req->host_len == 0 || req->host_port == -1)
			return -1;
		return 0;
	}
	if (t[0] == '/') {
		req->form = HP_TF_ORIGIN;
		req->path = t;
		req->path_len = req->target_len;
		return valid_pathquery(t, req->target_len) ? 0 : -1;
	}
	if (req->target_len == 1 && t[0] == '*') {
		req->form = HP_TF_ASTERISK;
		req->path = t;
		req->path_len = 1;
		return req->meth == HP_M_OPTIONS ? 0 : -1;
	}
	/* absolute-form: only http and https, which need "//" authority. */
	if (req->target_len >= 7 && eqnocase(t, "http://", 7))
		a = t + 7;
	else if (req->target_len >= 8 && eqnocase(t, "https://", 8))
		a = t + 8;
	else
		return -1;
	req->form = HP_TF_ABSOLUTE;
	for (p = a; p < end && *p != '/' && *p != '?'; p++)
		if (*p == '@')	/* userinfo: RFC 9110 4.2.4 says reject */
			return -1;
	/* RFC 9110 4.2.1: an http URI with an empty host is invalid. */
	if (parse_authority(a, (size_t)(p - a), &req->host, &req->host_len,
	    &req->host_port, &colon) == -1 || req->host_len == 0)
		return -1;
	req->path = p;
	req->path_len = (size_t)(end - p);
	return valid_pathquery(p, req->path_len) ? 0 : -1;
}

/* Transfer-Encoding, accumulated over every field line carrying it. */
struct te_state {
	int	seen;
	int	ncodings;
	int	nchunked;
	int	nother;
	int	last_chunked;
};

/*
 * Transfer-Encoding = #transfer-coding; transfer-coding = token
 * *( OWS ";" OWS transfer-parameter ), a parameter token BWS "=" BWS
 * ( token / quoted-string ).  A coding with parameters is one we do not
 * understand, chunked included.
 */
static int
parse_te(const char *v, size_t len, struct te_state *te)
{
	const char	*p = v, *end = v + len, *tok;
	size_t		 toklen;
	int		 params;

	te->seen = 1;
	for (;;) {
		/* Empty elements are allowed (RFC 9110 5.6.1). */
		while (p < end && (IS_OWS(*p) || *p == ','))
			p++;
		if (p == end)
			return 0;
		for (tok = p; p < end && IS(*p, C_TCHAR); p++)
			;
		if ((toklen = (size_t)(p - tok)) == 0)
			return -1;
		params = 0;
		for (;;) {
			p = skip_ows(p, end);
			if (p == end || *p == ',')
				break;
			if (*p != ';')
				return -1;
			params = 1;
			p = skip_ows(p + 1, end);
			if (p == end || !IS(*p, C_TCHAR))
				return -1;
			while (p < end && IS(*p, C_TCHAR))
				p++;
			p = skip_ows(p, end);
			if (p == end || *p != '=')
				return -1;
			p = skip_ows(p + 1, end);
			if (p == end)
				return -1;
			if (*p == '"') {
				for (p++; p < end && *p != '"'; p++) {
					if (*p != '\\') {
						if (!IS_QDTEXT(*p))
							return -1;
					} else if (++p == end ||
					    !IS(*p, C_VALUE))
						return -1;
				}
				if (p == end)
					return -1;
				p++;
			} else {
				if (!IS(*p, C_TCHAR))
					return -1;
				while (p < end && IS(*p, C_TCHAR))
					p++;
			}
		}
		te->ncodings++;
		te->last_chunked = !params && toklen == 7 &&
		    eqnocase(tok, "chunked", 7);
		if (te->last_chunked)
			te->nchunked++;
		else
			te->nother++;
	}
}

/* Connection = #connection-option; each option a token. */
static int
parse_connection(const char *v, size_t len, struct hp_request *req)
{
	const char	*p = v, *end = v + len, *tok;
	size_t		 n;

	for (;;) {
		while (p < end && (IS_OWS(*p) || *p == ','))
			p++;
		if (p == end)
			return 0;
		for (tok = p; p < end && IS(*p, C_TCHAR); p++)
			;
		n = (size_t)(p - tok);
		p = skip_ows(p, end);
		if (n == 0 || (p < end && *p != ','))
			return -1;
		if (n == 5 && eqnocase(tok, "close", 5))
			req->conn_close = 1;
		else if (n == 10 && eqnocase(tok, "keep-alive", 10))
			req->conn_keepalive = 1;
	}
}

/* 1*DIGIT up to INT64_MAX. */
static int64_t
parse_length(const char *v, size_t len)
{
	int64_t	n = 0;
	size_t	i;
	int	d;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		d = v[i] - '0';
		if (n > (INT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	return n;
}

/* What we learn from one field line; 0 or -1 for 400. */
struct head_state {
	struct te_state	 te;
	int		 host_seen;
	int		 cl_seen;
	const char	*hhost;
	size_t		 hhost_len;
	int		 hport;
};

static int
note_field(const struct hp_header *h, struct hp_request *req,
    struct head_state *hs)
{
	int	colon;

	switch (h->name_len) {
	case 4:
		if (!NAME_IS(h, "host"))
			break;
		if (hs->host_seen++)
			return -1;
		/*
		 * RFC 9112 3.2 has a client send "Host:" for a URI without
		 * an authority, but an http URI always has one, with a host
		 * (RFC 9110 4.2.1): an empty host is invalid here, whatever
		 * the form of the target.
		 */
		if (parse_authority(h->value, h->value_len, &hs->hhost,
		    &hs->hhost_len, &hs->hport, &colon) == -1 ||
		    hs->hhost_len == 0)
			return -1;
		return 0;
	case 6:
		if (!NAME_IS(h, "expect") || h->value_len == 0)
			break;
		if (h->value_len == 12 &&
		    eqnocase(h->value, "100-continue", 12))
			req->expect_continue = 1;
		else
			req->expect_other = 1;
		break;
	case 10:
		if (NAME_IS(h, "connection"))
			return parse_connection(h->value, h->value_len, req);
		break;
	case 14:
		if (!NAME_IS(h, "content-length"))
			break;
		/* Even "5" twice: RFC 9110 8.6 lets us reject. */
		if (hs->cl_seen++)
			return -1;
		req->content_length = parse_length(h->value, h->value_len);
		return req->content_length == -1 ? -1 : 0;
	case 17:
		if (NAME_IS(h, "transfer-encoding"))
			return parse_te(h->value, h->value_len, &hs->te);
		break;
	}
	return 0;
}

/* Framing and Host rules once the head is complete; 0 or a status. */
static int
check_head(struct hp_request *req, struct head_state *hs)
{
	struct te_state	*te = &hs->te;

	if (req->minor == 1 && !hs->host_seen)
		return 400;
	if (req->form != HP_TF_ABSOLUTE) {
		/* NULL, 0, -1 when there is no Host. */
		req->host = hs->hhost;
		req->host_len = hs->hhost_len;
		req->host_port = hs->host_seen ? hs->hport : -1;
	}
	req->has_host = req->form == HP_TF_ABSOLUTE || hs->host_seen;
	if (req->minor == 0)
		req->expect_continue = 0;
	if (te->seen) {
		/*
		 * RFC 9112 6.1: TE in HTTP/1.0 is faulty framing; with
		 * Content-Length it smells of smuggling (6.3 rule 3); a
		 * final coding other than chunked leaves the length
		 * unknown; chunked twice is forbidden.  Only then is an
		 * unknown coding the 501 of 6.1.
		 */
		if (req->minor == 0 || hs->cl_seen || te->ncodings == 0 ||
		    !te->last_chunked || te->nchunked > 1)
			return 400;
		if (te->nother > 0)
			return 501;
		req->chunked = 1;
	}
	return 0;
}

/*
 * Scans stop at lim: the end of the data, or the end a limit allows if
 * that comes first.  Reaching it means the head is incomplete, or too
 * long if the limit is what stopped us.
 */
#define AT_LIM(p)	((p) == lim)
#define LIM_RESULT(toolong, code) \
	((toolong) ? (*status = (code), HP_ERROR) : HP_PARTIAL)

static const char *
limit(const char *p, const char *end, size_t max, int *toolong)
{
	size_t	avail = (size_t)(end - p);

	*toolong = avail >= max;
	return *toolong ? p + max : end;
}

int
hp_parse_request(const char *buf, size_t len, struct hp_request *req,
    int *status)
{
	const char		*p = buf, *end = buf + len, *lim, *v, *ve;
	struct hp_header	*h;
	struct head_state	 hs;
	int			 n, toolong, toolong_st, st;

	*status = 400;
	for (n = 0; p < end && *p == '\r'; n++) {
		if (n == HP_MAXEMPTYLINES)
			return HP_ERROR;
		if (p + 1 == end)
			return HP_PARTIAL;
		if (p[1] != '\n')
			return HP_ERROR;
		p += 2;
	}

	/* request-line, CRLF included. */
	lim = limit(p, end, HP_MAXREQLINE + 2, &toolong);
	for (v = p; p < lim && IS(*p, C_TCHAR); p++)
		;
	/* 414 is for a long target (RFC 9110 15.5.15); no method we
	 * implement is this long. */
	if (AT_LIM(p))
		return LIM_RESULT(toolong, 501);
	if (*p != ' ' || p == v)
		return HP_ERROR;
	req->method = v;
	req->method_len = (size_t)(p - v);
	req->meth = method_of(req->method, req->method_len);
	/* From here a line too long is the target's fault, unless the
	 * method is one we would answer 501 anyway. */
	toolong_st = req->meth == HP_M_OTHER ? 501 : 414;
	for (v = ++p; p < lim && IS(*p, C_TARGET); p++)
		;
	if (AT_LIM(p))
		return LIM_RESULT(toolong, toolong_st);
	if (*p != ' ' || p == v)
		return HP_ERROR;
	req->target = v;
	req->target_len = (size_t)(p - v);
	/* HTTP-version: visible characters up to CR, judged whole. */
	for (v = ++p; p < lim && *p > ' ' && *p < 0x7f; p++)
		;
	/* Longer than "HTTP/1.1": no version, however the line ends. */
	if (p - v > 8)
		return HP_ERROR;
	if (AT_LIM(p))
		return LIM_RESULT(toolong, toolong_st);
	if (*p != '\r')
		return HP_ERROR;
	if (AT_LIM(p + 1))
		return LIM_RESULT(toolong, toolong_st);
	if (p[1] != '\n')
		return HP_ERROR;
	if (p - v != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
	    v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return HP_ERROR;
	if (v[5] != '1') {
		*status = 505;
		return HP_ERROR;
	}
	/* RFC 9110 2.5: a higher minor version is taken as the highest we
	 * implement, HTTP/1.1. */
	req->minor = v[7] == '0' ? 0 : 1;
	p += 2;

	req->host = NULL;
	req->host_len = 0;
	req->host_port = -1;
	if (parse_target(req) == -1)
		return HP_ERROR;
	req->nheaders = 0;
	req->has_host = 0;
	req->content_length = -1;
	req->chunked = 0;
	req->conn_close = 0;
	req->conn_keepalive = 0;
	req->expect_continue = 0;
	req->expect_other = 0;
	memset(&hs, 0, sizeof(hs));

	/* Field lines, then the empty line. */
	lim = limit(p, end, HP_MAXHDRSECTION, &toolong);
	for (;;) {
		if (AT_LIM(p))
			return LIM_RESULT(toolong, 431);
		if (*p == '\r') {
			if (AT_LIM(p + 1))
				return LIM_RESULT(toolong, 431);
			if (p[1] != '\n')
				return HP_ERROR;
			p += 2;
			break;
		}
		if (req->nheaders == HP_MAXHEADERS) {
			*status = 431;
			return HP_ERROR;
		}
		/* A leading SP or HTAB (obs-fold) fails here too. */
		for (v = p; p < lim && IS(*p, C_TCHAR); p++)
			;
		if (AT_LIM(p))
			return LIM_RESULT(toolong, 431);
		if (*p != ':' || p == v)
			return HP_ERROR;
		h = &req->headers[req->nheaders];
		h->name = v;
		h->name_len = (size_t)(p - v);
		for (p++; p < lim && IS_OWS(*p); p++)
			;
		for (v = p; p < lim && IS(*p, C_VALUE); p++)
			;
		if (AT_LIM(p))
			return LIM_RESULT(toolong, 431);
		if (*p != '\r')
			return HP_ERROR;
		if (AT_LIM(p + 1))
			return LIM_RESULT(toolong, 431);
		if (p[1] != '\n')
			return HP_ERROR;
		for (ve = p; ve > v && IS_OWS(ve[-1]); ve--)
			;
		h->value = v;
		h->value_len = (size_t)(ve - v);
		req->nheaders++;
		if (note_field(h, req, &hs) == -1)
			return HP_ERROR;
		p += 2;
	}
	if ((st = check_head(req, &hs)) != 0) {
		*status = st;
		return HP_ERROR;
	}
	*status = 0;
	return (int)(p - buf);
}

const struct hp_header *
hp_header_find(const struct hp_request *req, const char *name)
{
	size_t	i, n = strlen(name);

	for (i = 0; i < req->nheaders; i++)
		if (req->headers[i].name_len == n &&
		    eqnocase(req->headers[i].name, name, n))
			return &req->headers[i];
	return NULL;
}

int
hp_list_has_token(const char *val, size_t len, const char *tok)
{
	const char	*p = val, *end = val + len, *e, *ee;
	size_t		 n = strlen(tok);

	if (n == 0)
		return 0;
	while (p < end) {
		p = skip_ows(p, end);
		for (e = p; e < end && *e != ','; e++)
			;
		for (ee = e; ee > p && IS_OWS(ee[-1]); ee--)
			;
		if ((size_t)(ee - p) == n && eqnocase(p, tok, n))
			return 1;
		p = e + (e < end);
	}
	return 0;
}

/*
 * The chunked decoder: one state per position in RFC 9112 7.1's grammar.
 *
 * chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 * chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
 * last-chunk = 1*"0" [ chunk-ext ] CRLF, then trailer fields, then CRLF.
 */
enum {
	CK_SIZE0,	/* first HEXDIG */
	CK_SIZE,	/* more HEXDIG, or what ends the size */
	CK_PRESEMI,	/* BWS before ';' */
	CK_PRENAME,	/* BWS after ';' */
	CK_NAME,	/* ext-name */
	CK_POSTNAME,	/* BWS before '=' */
	CK_PREVAL,	/* BWS after '=' */
	CK_VAL,		/* token ext-val */
	CK_QVAL,	/* in quoted-string ext-val */
	CK_QPAIR,	/* after '\' in it */
	CK_QEND,	/* after its closing DQUOTE */
	CK_LF,		/* LF ending the chunk-size line */
	CK_DATA,
	CK_DATACR,
	CK_DATALF,
	CK_TLINE,	/* start of a trailer line, or of the final CRLF */
	CK_TNAME,
	CK_TVALUE,
	CK_TLF,
	CK_FINALLF,
	CK_DONE
};

void
hp_chunked_init(struct hp_chunked *st)
{
	memset(st, 0, sizeof(*st));
	st->state = CK_SIZE0;
}

int
hp_decode_chunked(struct hp_chunked *st, const char *buf, size_t len,
    size_t *consumed, int *status)
{
	size_t		 i = 0, n;
	uint64_t	 room, d;
	unsigned char	 c;

	*status = 400;
	if (st->state == CK_DONE) {
		*consumed = 0;
		*status = 0;
		return 0;
	}
	while (i < len) {
		if (st->state == CK_DATA) {
			n = len - i;
			if (n > st->left)
				n = (size_t)st->left;
			i += n;
			if ((st->left -= n) == 0)
				st->state = CK_DATACR;
			continue;
		}
		c = (unsigned char)buf[i++];
		if (st->state <= CK_LF && ++st->linelen > HP_MAXCHUNKLINE)
			return HP_ERROR;
		if (st->state >= CK_TLINE && st->state <= CK_FINALLF &&
		    ++st->trailer_len > HP_MAXHDRSECTION) {
			*status = 431;
			return HP_ERROR;
		}
		switch (st->state) {
		case CK_SIZE0:
		case CK_SIZE:
			if (IS(c, C_HEX)) {
				/*
				 * RFC 9112 7.1: guard against overflow.  A
				 * size beyond INT64_MAX is malformed framing,
				 * as such a Content-Length is (400); a size
				 * that fits but takes the whole body beyond
				 * INT64_MAX is a body too large (413).
				 */
				d = (uint64_t)hexval(c);
				if (st->left > (INT64_MAX - d) / 16)
					return HP_ERROR;
				room = INT64_MAX - st->body_len;
				if (st->left * 16 + d > room) {
					*status = 413;
					return HP_ERROR;
				}
				st->left = st->left * 16 + d;
				st->state = CK_SIZE;
				break;
			}
			if (st->state == CK_SIZE0)
				return HP_ERROR;
			if (IS_OWS(c))
				st->state = CK_PRESEMI;
			else if (c == ';')
				st->state = CK_PRENAME;
			else if (c == '\r')
				st->state = CK_LF;
			else
				return HP_ERROR;
			break;
		case CK_PRESEMI:
			if (c == ';')
				st->state = CK_PRENAME;
			else if (!IS_OWS(c))
				return HP_ERROR;
			break;
		case CK_PRENAME:
			if (IS(c, C_TCHAR))
				st->state = CK_NAME;
			else if (!IS_OWS(c))
				return HP_ERROR;
			break;
		case CK_NAME:
		case CK_VAL:
			if (IS(c, C_TCHAR))
				break;
			if (IS_OWS(c))
				st->state = st->state == CK_NAME ? CK_POSTNAME :
				    CK_PRESEMI;
			else if (c == '=' && st->state == CK_NAME)
				st->state = CK_PREVAL;
			else if (c == ';')
				st->state = CK_PRENAME;
			else if (c == '\r')
				st->state = CK_LF;
			else
				return HP_ERROR;
			break;
		case CK_POSTNAME:
			if (c == '=')
				st->state = CK_PREVAL;
			else if (c == ';')
				st->state = CK_PRENAME;
			else if (!IS_OWS(c))
				return HP_ERROR;
			break;
		case CK_PREVAL:
			if (c == '"')
				st->state = CK_QVAL;
			else if (IS(c, C_TCHAR))
				st->state = CK_VAL;
			else if (!IS_OWS(c))
				return HP_ERROR;
			break;
		case CK_QVAL:
			if (c == '"')
				st->state = CK_QEND;
			else if (c == '\\')
				st->state = CK_QPAIR;
			else if (!IS_QDTEXT(c))
				return HP_ERROR;
			break;
		case CK_QPAIR:
			if (!IS(c, C_VALUE))
				return HP_ERROR;
			st->state = CK_QVAL;
			break;
		case CK_QEND:
			if (IS_OWS(c))
				st->state = CK_PRESEMI;
			else if (c == ';')
				st->state = CK_PRENAME;
			else if (c == '\r')
				st->state = CK_LF;
			else
				return HP_ERROR;
			break;
		case CK_LF:
			if (c != '\n')
				return HP_ERROR;
			st->linelen = 0;
			st->body_len += st->left;
			st->state = st->left ? CK_DATA : CK_TLINE;
			break;
		case CK_DATACR:
			if (c != '\r')
				return HP_ERROR;
			st->state = CK_DATALF;
			break;
		case CK_DATALF:
			if (c != '\n')
				return HP_ERROR;
			st->state = CK_SIZE0;
			break;
		case CK_TLINE:
			if (c == '\r') {
				st->state = CK_FINALLF;
				break;
			}
			/* obs-fold (SP, HTAB) and empty names fail here. */
			if (!IS(c, C_TCHAR))
				return HP_ERROR;
			if (++st->ntrailers > HP_MAXHEADERS) {
				*status = 431;
				return HP_ERROR;
			}
			st->state = CK_TNAME;
			break;
		case CK_TNAME:
			if (c == ':')
				st->state = CK_TVALUE;
			else if (!IS(c, C_TCHAR))
				return HP_ERROR;
			break;
		case CK_TVALUE:
			if (c == '\r')
				st->state = CK_TLF;
			else if (!IS(c, C_VALUE))
				return HP_ERROR;
			break;
		case CK_TLF:
			if (c != '\n')
				return HP_ERROR;
			st->state = CK_TLINE;
			break;
		case CK_FINALLF:
			if (c != '\n')
				return HP_ERROR;
			st->state = CK_DONE;
			*consumed = i;
			*status = 0;
			return 0;
		default:
			return HP_ERROR;
		}
	}
	*consumed = len;
	return HP_PARTIAL;
}
