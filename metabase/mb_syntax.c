/*
 * mb_syntax.c - the value syntaxes of HttpRedirect, HttpExpires,
 * HttpErrors and IPSecurity: parsed here for the schema's check and for
 * the server alike, so that what mbctl accepts is what mbhttpd obeys.
 */
/* strptime(), timegm() */
#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mb_int.h"

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A URL or path as it may go into a Location field: no space, no
 * control character. */
static int
url_chars_ok(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
mb_redirect_parse(const char *s, struct mb_redirect *r, char *err,
    size_t errlen)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} flags[] = {
		{ "EXACT_DESTINATION",	MB_REDIR_EXACT },
		{ "CHILD_ONLY",		MB_REDIR_CHILD_ONLY },
		{ "PERMANENT",		MB_REDIR_PERMANENT },
		{ "TEMPORARY",		MB_REDIR_TEMPORARY },
		{ "308",		MB_REDIR_308 },
	};
	const char	*p, *e;
	size_t		 i, n;

	memset(r, 0, sizeof(*r));
	p = skip_ws(s);
	e = strchr(p, ',');
	n = e != NULL ? (size_t)(e - p) : strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0 || !url_chars_ok(p, n) || (p[0] != '/' &&
	    strncasecmp(p, "http://", 7) != 0 &&
	    strncasecmp(p, "https://", 8) != 0)) {
		snprintf(err, errlen, "invalid HttpRedirect '%s': expected a destination (http://..., https://... or /path) and flags", s);
		return MB_BADVALUE;
	}
	r->dest = p;
	r->destlen = n;
	while (e != NULL) {
		p = skip_ws(e + 1);
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
			if (strlen(flags[i].name) == n &&
			    strncasecmp(p, flags[i].name, n) == 0)
				break;
		if (i == sizeof(flags) / sizeof(flags[0])) {
			snprintf(err, errlen, "invalid HttpRedirect '%s': unknown flag '%.*s' (EXACT_DESTINATION, CHILD_ONLY, PERMANENT, TEMPORARY, 308)", s, (int)n, p);
			return MB_BADVALUE;
		}
		r->flags |= flags[i].bit;
	}
	n = !!(r->flags & MB_REDIR_PERMANENT) +
	    !!(r->flags & MB_REDIR_TEMPORARY) + !!(r->flags & MB_REDIR_308);
	if (n > 1) {
		snprintf(err, errlen, "invalid HttpRedirect '%s': PERMANENT, TEMPORARY and 308 exclude each other", s);
		return MB_BADVALUE;
	}
	r->status = r->flags & MB_REDIR_PERMANENT ? 301 :
	    r->flags & MB_REDIR_308 ? 308 : 302;
	return 0;
}

/* A number: decimal, or hexadecimal after 0x. */
static int
parse_secs(const char *p, uint32_t *out)
{
	unsigned long long v;
	char	*end;

	p = skip_ws(p);
	if (!isdigit((unsigned char)*p))
		return -1;
	v = strtoull(p, &end, strncasecmp(p, "0x", 2) == 0 ? 16 : 10);
	if (*skip_ws(end) != '\0' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
mb_expires_parse(const char *s, struct mb_expires *x, char *err,
    size_t errlen)
{
	const char	*p = skip_ws(s), *end;
	struct tm	 tm;

	memset(x, 0, sizeof(*x));
	if (*p == '\0')
		return 0;
	if ((p[0] == 'D' || p[0] == 'd') && *skip_ws(p + 1) == ',') {
		if (parse_secs(skip_ws(p + 1) + 1, &x->secs) != 0)
			goto bad;
		x->kind = 'D';
		return 0;
	}
	if ((p[0] == 'S' || p[0] == 's') && *skip_ws(p + 1) == ',') {
		memset(&tm, 0, sizeof(tm));
		end = strptime(skip_ws(skip_ws(p + 1) + 1),
		    "%a, %d %b %Y %H:%M:%S GMT", &tm);
		if (end == NULL || *skip_ws(end) != '\0')
			goto bad;
		x->kind = 'S';
		x->at = timegm(&tm);
		return 0;
	}
 bad:
	snprintf(err, errlen, "invalid HttpExpires '%s': expected 'D, seconds' or 'S, Sun, 06 Nov 2027 08:49:37 GMT'", s);
	return MB_BADVALUE;
}

int
mb_httperror_parse(const char *s, struct mb_httperror *h, char *err,
    size_t errlen)
{
	const char	*p = s, *c;
	unsigned long	 v;
	char		*end;

	memset(h, 0, sizeof(*h));
	v = strtoul(p, &end, 10);
	if (end == p || *end != ',' || v < 400 || v > 599)
		goto bad;
	h->status = (unsigned)v;
	p = end + 1;
	if (*p == '*' && p[1] == ',') {
		h->sub = -1;
		p += 2;
	} else {
		v = strtoul(p, &end, 10);
		if (end == p || *end != ',' || v > 999)
			goto bad;
		h->sub = (int)v;
		p = end + 1;
	}
	if ((c = strchr(p, ',')) == NULL)
		goto bad;
	if (c - p == 4 && strncasecmp(p, "FILE", 4) == 0)
		h->url = 0;
	else if (c - p == 3 && strncasecmp(p, "URL", 3) == 0)
		h->url = 1;
	else
		goto bad;
	h->target = c + 1;
	if (h->target[0] != '/' || !url_chars_ok(h->target,
	    strlen(h->target))) {
		snprintf(err, errlen, "invalid HttpErrors entry '%s': the %s must start with '/' and hold no space", s, h->url ? "URL" : "file's absolute path");
		return MB_BADVALUE;
	}
	return 0;
 bad:
	snprintf(err, errlen, "invalid HttpErrors entry '%s': expected 'status,substatus|*,FILE|URL,target' with a status 400 to 599", s);
	return MB_BADVALUE;
}

/* "ADDR" or "ADDR/LEN" into 16 bytes (IPv4 as ::ffff:a.b.c.d), *bits. */
static int
parse_net(const char *s, unsigned char addr[16], unsigned *bits)
{
	char		 buf[64], *slash;
	unsigned char	 a4[4];
	unsigned long	 v;
	char		*end;
	int		 v4;

	if (strlen(s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	v4 = inet_pton(AF_INET, buf, a4) == 1;
	if (v4) {
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, a4, 4);
	} else if (inet_pton(AF_INET6, buf, addr) != 1)
		return -1;
	*bits = 128;
	if (slash != NULL) {
		v = strtoul(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || v > (v4 ? 32ul : 128ul))
			return -1;
		*bits = (unsigned)v + (v4 ? 96 : 0);
	}
	return 0;
}

int
mb_ipsec_check(const char *s, char *err, size_t errlen)
{
	unsigned char	 a[16];
	unsigned	 bits;

	if (strcasecmp(s, "GrantByDefault") == 0 ||
	    strcasecmp(s, "DenyByDefault") == 0 || parse_net(s, a, &bits) == 0)
		return 0;
	snprintf(err, errlen, "invalid IPSecurity entry '%s': expected GrantByDefault, DenyByDefault, or an address or network (192.0.2.0/24, 2001:db8::/32)", s);
	return MB_BADVALUE;
}

/* Whether addr is in the network net/bits. */
static int
in_net(const unsigned char *addr, const unsigned char *net, unsigned bits)
{
	unsigned	 full = bits / 8, rest = bits % 8;

	if (memcmp(addr, net, full) != 0)
		return 0;
	return rest == 0 || ((addr[full] ^ net[full]) &
	    (0xff << (8 - rest))) == 0;
}

int
mb_ipsec_allows(const struct mb_value *v, const char *ip)
{
	unsigned char	 client[16], net[16];
	const char	*s;
	unsigned	 bits;
	int		 grant = 1, listed = 0;

	if (v->len == 0)
		return 1;
	if (parse_net(ip, client, &bits) != 0)
		return 0;
	MB_MULTISZ_FOREACH(s, v) {
		if (strcasecmp(s, "GrantByDefault") == 0)
			grant = 1;
		else if (strcasecmp(s, "DenyByDefault") == 0)
			grant = 0;
		else if (!listed && parse_net(s, net, &bits) == 0 &&
		    in_net(client, net, bits))
			listed = 1;
	}
	/* The list holds the exceptions to the default, as in IIS. */
	return grant ? !listed : listed;
}
