/*
 * response.c - response heads, preconditions, ranges, MIME types and
 * error pages.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/http/http_parse.h"
#include "server/http/fields.h"
#include "server/http/response.h"
#include "server/http/uri.h"

#define SERVER_NAME	"mbhttpd"

static const char *const wdays[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

const char *
resp_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 421: return "Misdirected Request";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long long
days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
fmt_date(time_t t, char *buf)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	snprintf(buf, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * Two cached dates: the current second, for Date, and the last other one
 * asked for, for Last-Modified, so that serving the same file again
 * formats neither.
 */
const char *
resp_date(time_t t)
{
	static time_t	 cached[2] = { -1, -1 };
	static char	 buf[2][32];
	static int	 recent;		/* the slot used last */
	int		 i;

	for (i = 0; i < 2; i++)
		if (cached[i] == t) {
			recent = i;
			return buf[i];
		}
	/* Replace the one used less recently. */
	i = recent ^ 1;
	fmt_date(t, buf[i]);
	cached[i] = t;
	recent = i;
	return buf[i];
}

static int
num(const char *s, size_t n, int *out)
{
	size_t	 i;
	int	 v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
month_of(const char *s)
{
	int	 i;

	for (i = 0; i < 12; i++)
		if (memcmp(s, months[i], 3) == 0)
			return i + 1;
	return 0;
}

/* "08:49:37" */
static int
hms(const char *s, int *h, int *mi, int *se)
{
	if (s[2] != ':' || s[5] != ':' || num(s, 2, h) || num(s + 3, 2, mi) ||
	    num(s + 6, 2, se) || *h > 23 || *mi > 59 || *se > 60)
		return -1;
	return 0;
}

/*
 * RFC 9110 5.6.7: a two-digit year that would be more than 50 years
 * ahead is the most recent past year with those digits.  Against the
 * clock, not a fixed pivot, which goes wrong as the years pass.
 */
static int
rfc850_year(int yy)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	int		 year, y;

	if (gmtime_r(&now, &tm) == NULL)
		return yy + (yy < 70 ? 2000 : 1900);
	year = tm.tm_year + 1900;
	y = year - year % 100 + yy;
	if (y > year + 50)
		y -= 100;
	else if (y <= year - 50)
		y += 100;
	return y;
}

time_t
resp_parse_date(const char *s, size_t len)
{
	const char	*c;
	int		 y, m, d, h, mi, se;

	if (len == 29 && s[3] == ',') {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
		    s[16] != ' ' || memcmp(s + 25, " GMT", 4) != 0 ||
		    num(s + 5, 2, &d) || !(m = month_of(s + 8)) ||
		    num(s + 12, 4, &y) || hms(s + 17, &h, &mi, &se))
			return -1;
	} else if ((c = memchr(s, ',', len)) != NULL && c - s >= 6 &&
	    (size_t)(c - s) + 24 == len) {
		/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
		if (c[1] != ' ' || c[4] != '-' || c[8] != '-' || c[11] != ' ' ||
		    memcmp(c + 20, " GMT", 4) != 0 || num(c + 2, 2, &d) ||
		    !(m = month_of(c + 5)) || num(c + 9, 2, &y) ||
		    hms(c + 12, &h, &mi, &se))
			return -1;
		y = rfc850_year(y);
	} else if (len == 24 && s[3] == ' ') {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (s[7] != ' ' || s[10] != ' ' || s[19] != ' ' ||
		    !(m = month_of(s + 4)) ||
		    (s[8] == ' ' ? num(s + 9, 1, &d) : num(s + 8, 2, &d)) ||
		    hms(s + 11, &h, &mi, &se) || num(s + 20, 4, &y))
			return -1;
	} else
		return -1;
	if (d < 1 || d > 31)
		return -1;
	return (time_t)(days_from_civil(y, m, d) * 86400 + h * 3600 +
	    mi * 60 + se);
}

void
resp_raw(struct resp *r, const char *s, size_t n)
{
	if (r->overflow || n > r->cap - r->len) {
		r->overflow = 1;
		return;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
}

void
resp_header(struct resp *r, const char *name, const char *value,
    size_t vlen)
{
	size_t	 n = strlen(name);

	if (r->overflow || n + vlen + 4 > r->cap - r->len) {
		r->overflow = 1;
		return;
	}
	memcpy(r->buf + r->len, name, n);
	r->len += n;
	r->buf[r->len++] = ':';
	r->buf[r->len++] = ' ';
	memcpy(r->buf + r->len, value, vlen);
	r->len += vlen;
	r->buf[r->len++] = '\r';
	r->buf[r->len++] = '\n';
}

void
resp_header_num(struct resp *r, const char *name, long long n)
{
	char	 buf[24], *p = buf + sizeof(buf);
	unsigned long long u = n < 0 ? 0 : (unsigned long long)n;

	/* By hand: this runs for every response, printf is slow. */
	do {
		*--p = '0' + u % 10;
		u /= 10;
	} while (u != 0);
	resp_header(r, name, p, buf + sizeof(buf) - p);
}

void
resp_begin(struct resp *r, char *buf, size_t cap, int status)
{
	char		 line[64];
	const char	*reason = resp_reason(status);
	size_t		 n = strlen(reason);

	r->buf = buf;
	r->cap = cap;
	r->len = 0;
	r->overflow = 0;
	r->status = status;
	/* "HTTP/1.1 200 OK\r\n", by hand: every response starts here. */
	memcpy(line, "HTTP/1.1 ", 9);
	line[9] = '0' + status / 100 % 10;
	line[10] = '0' + status / 10 % 10;
	line[11] = '0' + status % 10;
	line[12] = ' ';
	if (n > sizeof(line) - 15)
		n = sizeof(line) - 15;
	memcpy(line + 13, reason, n);
	memcpy(line + 13 + n, "\r\n", 2);
	resp_raw(r, line, 15 + n);
	resp_header(r, "Date", resp_date(time(NULL)), 29);
	resp_header(r, "Server", SERVER_NAME, sizeof(SERVER_NAME) - 1);
}

void
resp_custom_headers(struct resp *r, const char *multisz, size_t len)
{
	const char	*s = multisz, *end = multisz + len, *colon;
	size_t		 n;

	for (; s != NULL && s < end; s += n + 1) {
		n = strlen(s);
		/* mbctl refuses these; a metabase written otherwise may not. */
		if ((colon = memchr(s, ':', n)) != NULL &&
		    http_field_owned(s, (size_t)(colon - s)))
			continue;
		resp_raw(r, s, n);
		resp_raw(r, "\r\n", 2);
	}
}

size_t
resp_etag(const struct stat *st, char *buf, size_t len)
{
	int	 n;

	n = snprintf(buf, len, "\"%llx.%lx-%llx\"",
	    (unsigned long long)st->st_mtim.tv_sec,
	    (unsigned long)st->st_mtim.tv_nsec,
	    (unsigned long long)st->st_size);
	return n < 0 ? 0 : (size_t)n;
}

/*
 * Whether the entity-tag list in val matches etag: strongly (both
 * strong and equal) or weakly (equal ignoring W/).  "*" matches anything.
 */
static int
etag_match(const char *val, size_t len, const char *etag, size_t etaglen,
    int strong)
{
	const char	*p = val, *end = val + len, *q;
	int		 weak;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p == end)
			break;
		if (*p == '*')
			return 1;
		weak = 0;
		if (end - p >= 2 && p[0] == 'W' && p[1] == '/') {
			weak = 1;
			p += 2;
		}
		if (p == end || *p != '"')
			return 0;	/* not a list of entity tags */
		if ((q = memchr(p + 1, '"', end - p - 1)) == NULL)
			return 0;
		q++;
		if ((size_t)(q - p) == etaglen && memcmp(p, etag, etaglen) == 0 &&
		    !(strong && weak))
			return 1;
		p = q;
	}
	return 0;
}

void
resp_cond_scan(const struct hp_request *req, struct resp_cond *c)
{
	const struct hp_header *h;
	size_t			 i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		/* Every name here begins with I or R: most fields skip. */
		switch (h->name[0]) {
		case 'I': case 'i':
			break;
		case 'R': case 'r':
			if (h->name_len == 5 &&
			    strncasecmp(h->name, "Range", 5) == 0 &&
			    c->range == NULL)
				c->range = h;
			continue;
		default:
			continue;
		}
#define COND(field, lit)						\
		if (h->name_len == sizeof(lit) - 1 &&			\
		    strncasecmp(h->name, lit, sizeof(lit) - 1) == 0) {	\
			if (c->field == NULL)				\
				c->field = h;				\
			continue;					\
		}
		COND(if_match, "If-Match")
		COND(if_none_match, "If-None-Match")
		COND(if_modified_since, "If-Modified-Since")
		COND(if_unmodified_since, "If-Unmodified-Since")
		COND(if_range, "If-Range")
#undef COND
	}
}

/* An HTTP-date of a precondition: -1 when invalid or later than now. */
static time_t
cond_date(const struct hp_header *h, time_t now)
{
	time_t	 t = resp_parse_date(h->value, h->value_len);

	return t > now ? -1 : t;
}

int
resp_preconditions(const struct hp_request *req, const struct resp_cond *c,
    const char *etag, size_t etaglen, time_t mtime, time_t now)
{
	const struct hp_header *h;
	time_t			 t;
	int			 safe;

	safe = req->meth == HP_M_GET || req->meth == HP_M_HEAD;
	if ((h = c->if_match) != NULL) {
		if (!etag_match(h->value, h->value_len, etag, etaglen, 1))
			return 412;
	} else if ((h = c->if_unmodified_since) != NULL &&
	    (t = cond_date(h, now)) != -1 && mtime > t)
		return 412;
	if ((h = c->if_none_match) != NULL) {
		if (etag_match(h->value, h->value_len, etag, etaglen, 0))
			return safe ? 304 : 412;
	} else if (safe && (h = c->if_modified_since) != NULL &&
	    (t = cond_date(h, now)) != -1 && mtime <= t)
		return 304;
	return 0;
}

/* Parse 1*DIGIT into *v; returns the digits' length, 0 if none or huge. */
static size_t
offnum(const char *p, const char *end, off_t *v)
{
	const char	*s = p;
	uint64_t	 n = 0;

	for (; p < end && isdigit((unsigned char)*p); p++) {
		if (n > (UINT64_MAX - 9) / 10 / 2)
			return 0;
		n = n * 10 + (*p - '0');
	}
	*v = (off_t)n;
	return p - s;
}

int
resp_range(const struct hp_request *req, const struct resp_cond *c,
    off_t size, const char *etag, size_t etaglen, time_t mtime,
    off_t *first, off_t *last)
{
	const struct hp_header *h, *ir;
	const char	*p, *end;
	off_t		 a = -1, b = -1;
	size_t		 n;

	if (req->meth != HP_M_GET || (h = c->range) == NULL)
		return 200;
	/* If-Range: the range only if the file is the one the client has. */
	if ((ir = c->if_range) != NULL) {
		if (ir->value_len > 0 && (ir->value[0] == '"' ||
		    ir->value[0] == 'W')) {
			if (!etag_match(ir->value, ir->value_len, etag, etaglen,
			    1))
				return 200;
		} else if (resp_parse_date(ir->value, ir->value_len) != mtime)
			return 200;
	}
	p = h->value;
	end = p + h->value_len;
	if (end - p < 6 || strncasecmp(p, "bytes=", 6) != 0)
		return 200;		/* a unit we do not know: ignore */
	p += 6;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && *p == '-') {
		/* suffix-range: the last N bytes */
		if ((n = offnum(p + 1, end, &b)) == 0)
			return 200;
		p += 1 + n;
	} else {
		if ((n = offnum(p, end, &a)) == 0 || p + n == end ||
		    p[n] != '-')
			return 200;
		p += n + 1;
		if ((n = offnum(p, end, &b)) == 0)
			b = -1;
		p += n;
		if (b != -1 && b < a)
			return 200;	/* invalid: ignore the field */
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p != end)
		return 200;		/* several ranges, or junk: send all */
	if (a == -1) {
		if (b == 0 || size == 0)
			return 416;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 206;
	}
	if (a >= size)
		return 416;
	*first = a;
	*last = b == -1 || b >= size ? size - 1 : b;
	return 206;
}

const char *
resp_mime(const char *mimemap, size_t maplen, const char *name,
    size_t namelen, size_t *len)
{
	static const char dflt[] = "application/octet-stream";
	const char	*s, *end = mimemap + maplen, *ext = NULL, *star = NULL;
	size_t		 extlen = 0, n, i;

	for (i = namelen; i > 0; i--) {
		if (name[i - 1] == '/')
			break;
		if (name[i - 1] == '.') {
			ext = name + i - 1;
			extlen = namelen - (i - 1);
			break;
		}
	}
	for (s = mimemap; s != NULL && s < end; s += n + 1) {
		n = strlen(s);
		if (ext != NULL && n > extlen && s[extlen] == ',' &&
		    strncasecmp(s, ext, extlen) == 0) {
			*len = n - extlen - 1;
			return s + extlen + 1;
		}
		if (s[0] == '*' && s[1] == ',')
			star = s;
	}
	if (star != NULL) {
		*len = strlen(star) - 2;
		return star + 2;
	}
	*len = sizeof(dflt) - 1;
	return dflt;
}

/* Whether a weight ";q=..." (after the coding, maybe absent) is 0. */
static int
q_zero(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p != 'q' && *p != 'Q')
			continue;
		while (++p < end && (*p == ' ' || *p == '\t'))
			;
		if (p >= end || *p != '=')
			return 0;
		while (++p < end && (*p == ' ' || *p == '\t'))
			;
		if (p >= end || *p != '0')
			return 0;
		for (p++; p < end && (*p == '.' || *p == '0'); p++)
			;
		return p == end || *p == ' ' || *p == '\t' || *p == ';';
	}
	return 0;
}

unsigned
resp_accept_encoding(const struct hp_request *req)
{
	const struct hp_header *h;
	const char	*p, *end, *e, *t, *semi;
	unsigned	 yes = 0, no = 0, bit;
	size_t		 i, n;
	int		 star = 0, star_no = 0;

	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		if (h->name_len != 15 ||
		    strncasecmp(h->name, "Accept-Encoding", 15) != 0)
			continue;
		for (p = h->value, end = h->value + h->value_len; p < end;
		    p = e + 1) {
			if ((e = memchr(p, ',', (size_t)(end - p))) == NULL)
				e = end;
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			if (p >= e)
				continue;
			semi = memchr(p, ';', (size_t)(e - p));
			for (t = semi != NULL ? semi : e; t > p &&
			    (t[-1] == ' ' || t[-1] == '\t'); t--)
				;
			n = (size_t)(t - p);
			bit = n == 4 && strncasecmp(p, "gzip", 4) == 0 ?
			    RESP_AE_GZIP : n == 6 && strncasecmp(p, "x-gzip",
			    6) == 0 ? RESP_AE_GZIP : n == 2 &&
			    strncasecmp(p, "br", 2) == 0 ? RESP_AE_BR : 0;
			if (n == 1 && *p == '*') {
				star = 1;
				star_no = semi != NULL && q_zero(semi + 1, e);
				continue;
			}
			if (bit == 0)
				continue;
			if (semi != NULL && q_zero(semi + 1, e))
				no |= bit;
			else
				yes |= bit;
		}
	}
	if (star && !star_no)
		yes |= (RESP_AE_GZIP | RESP_AE_BR) & ~no;
	return yes & ~no;
}

/* Text types: text/ anything, and the application types that are text. */
static int
is_text(const char *t, size_t n)
{
	static const char *const apps[] = { "application/javascript",
	    "application/json", "application/xml", "image/svg+xml" };
	size_t	 i, m;

	if (n >= 5 && strncasecmp(t, "text/", 5) == 0)
		return 1;
	for (i = 0; i < sizeof(apps) / sizeof(apps[0]); i++) {
		m = strlen(apps[i]);
		if (n == m && strncasecmp(t, apps[i], m) == 0)
			return 1;
	}
	/* application/...+json, +xml */
	return n > 17 && strncasecmp(t, "application/", 12) == 0 &&
	    ((n > 5 && strncasecmp(t + n - 5, "+json", 5) == 0) ||
	    strncasecmp(t + n - 4, "+xml", 4) == 0);
}

size_t
resp_content_type(const char *t, size_t n, char *buf, size_t len)
{
	int	 m;

	if (memchr(t, ';', n) != NULL || !is_text(t, n))
		m = snprintf(buf, len, "%.*s", (int)n, t);
	else
		m = snprintf(buf, len, "%.*s; charset=utf-8", (int)n, t);
	if (m < 0 || len == 0)
		return 0;
	return (size_t)m < len ? (size_t)m : len - 1;
}

size_t
resp_error_page(int status, const char *detail, char *buf, size_t len)
{
	char	 esc[512];
	size_t	 elen = 0;
	int	 n;

	if (detail != NULL && uri_html_escape(detail, strlen(detail), esc,
	    sizeof(esc), &elen) != 0)
		elen = 0;
	esc[elen] = '\0';
	n = snprintf(buf, len, RESP_HTML_HEAD "<title>%d %s</title></head>\n"
	    "<body><h1>%s</h1>%s%s%s" RESP_HTML_FOOT, status,
	    resp_reason(status), resp_reason(status), elen ? "<p>" : "", esc,
	    elen ? "</p>" : "");
	if (n < 0 || len == 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}
