/*
 * test_response.c - tests for server/http/response.c, suite response.
 *
 * What the module writes is read back here by code of the test's own:
 * the head by an RFC 9112 status-line and field-line reader, dates
 * against strftime(3) and the examples of RFC 9110 5.6.7, entity tags
 * against the grammar of RFC 9110 8.8.3 and the stat(2) of a real file.
 * Requests for the precondition and range tests are real request heads
 * read by hp_parse_request().
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "server/http/http_parse.h"
#include "server/http/response.h"

/* RFC 9110 5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT" */
#define EXAMPLE_T	((time_t)784111777)

/* The IMF-fixdate of t, by strftime(3) in the C locale. */
static void
fixdate(time_t t, char buf[64])
{
	struct tm	 tm;

	cr_assert_not_null(gmtime_r(&t, &tm));
	cr_assert_eq(strftime(buf, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm), 29);
}

/* RFC 9110 5.6.2 tchar */
static int
tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

struct field {
	char	 name[64];
	char	 value[256];
};

struct head {
	int		 status;
	char		 reason[64];
	struct field	 f[32];
	size_t		 nf;
	size_t		 len;		/* bytes up to and with the empty line */
};

/*
 * Read buf[0..len) as a response head (RFC 9112 4 and 5): status line,
 * field lines, empty line, every line ending in CRLF.  Fails the test if
 * it is not one.
 */
static void
read_head(const char *buf, size_t len, struct head *h)
{
	const char	*p = buf, *end = buf + len, *eol, *colon, *v;
	size_t		 n;

	memset(h, 0, sizeof(*h));
	eol = memchr(p, '\r', len);
	cr_assert_not_null(eol, "no CR in the head");
	cr_assert(eol + 1 < end && eol[1] == '\n', "status line without LF");
	n = (size_t)(eol - p);
	cr_assert(n >= 13, "short status line");
	cr_assert_eq(memcmp(p, "HTTP/1.1 ", 9), 0, "not HTTP/1.1");
	cr_assert(p[9] >= '1' && p[9] <= '5' && p[10] >= '0' &&
	    p[10] <= '9' && p[11] >= '0' && p[11] <= '9' && p[12] == ' ',
	    "bad status code");
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	cr_assert(n - 13 < sizeof(h->reason));
	memcpy(h->reason, p + 13, n - 13);
	for (v = p + 13; v < eol; v++)
		cr_assert(*v == '\t' || (*v >= ' ' && *v != 0x7f),
		    "CTL in the reason phrase");
	p = eol + 2;
	for (;;) {
		cr_assert(p < end, "head not ended by an empty line");
		eol = memchr(p, '\r', (size_t)(end - p));
		cr_assert_not_null(eol, "field line without CRLF");
		cr_assert(eol + 1 < end && eol[1] == '\n', "CR without LF");
		if (eol == p)
			break;
		colon = memchr(p, ':', (size_t)(eol - p));
		cr_assert_not_null(colon, "field line without a colon");
		cr_assert(colon > p, "empty field name");
		for (v = p; v < colon; v++)
			cr_assert(tchar((unsigned char)*v), "bad name byte");
		v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		cr_assert(h->nf < 32);
		cr_assert((size_t)(colon - p) < sizeof(h->f[0].name));
		cr_assert((size_t)(eol - v) < sizeof(h->f[0].value));
		memcpy(h->f[h->nf].name, p, (size_t)(colon - p));
		memcpy(h->f[h->nf].value, v, (size_t)(eol - v));
		for (; v < eol; v++)
			cr_assert(*v == '\t' || (*v >= ' ' && *v != 0x7f),
			    "CTL in a field value");
		h->nf++;
		p = eol + 2;
	}
	h->len = (size_t)(eol + 2 - buf);
}

static const char *
field(const struct head *h, const char *name)
{
	size_t	 i;

	for (i = 0; i < h->nf; i++)
		if (strcasecmp(h->f[i].name, name) == 0)
			return h->f[i].value;
	return NULL;
}

/* A request head read by hp_parse_request(); lives until the next call. */
static const struct hp_request *
request(const char *raw)
{
	static struct hp_request req;
	static char	 buf[4096];
	size_t		 len = strlen(raw);
	int		 status = 0, rc;

	cr_assert(len < sizeof(buf));
	memcpy(buf, raw, len);
	rc = hp_parse_request(buf, len, &req, &status);
	cr_assert_eq(rc, (int)len, "request not parsed (%d, %d): %s", rc,
	    status, raw);
	return &req;
}

/*
 * A head begun by resp_begin(), then fields, then the empty line, read
 * back.
 */
Test(response, head_is_a_valid_http11_head)
{
	char		 buf[1024], want[64];
	struct resp	 r;
	struct head	 h;
	time_t		 t0, t1, t;
	int		 found = 0;

	t0 = time(NULL);
	resp_begin(&r, buf, sizeof(buf), 404);
	t1 = time(NULL);
	resp_header(&r, "Content-Type", "text/html", 9);
	resp_header_num(&r, "Content-Length", 1234);
	resp_raw(&r, "\r\n", 2);
	cr_assert_eq(r.overflow, 0);
	cr_assert_eq(r.status, 404);
	read_head(buf, r.len, &h);
	cr_assert_eq(h.len, r.len, "bytes after the head");
	cr_assert_eq(h.status, 404);
	cr_assert_str_eq(h.reason, "Not Found");
	cr_assert_eq(h.nf, 4);
	cr_assert_str_eq(h.f[0].name, "Date");
	cr_assert_str_eq(h.f[1].name, "Server");
	cr_assert_str_eq(h.f[1].value, "mbhttpd");
	cr_assert_str_eq(field(&h, "content-type"), "text/html");
	cr_assert_str_eq(field(&h, "Content-Length"), "1234");
	/* Date is now, as an IMF-fixdate (RFC 9110 6.6.1). */
	for (t = t0; t <= t1; t++) {
		fixdate(t, want);
		if (strcmp(h.f[0].value, want) == 0)
			found = 1;
	}
	cr_assert(found, "Date '%s' is not now", h.f[0].value);
}

Test(response, status_line_of_every_known_status)
{
	static const struct {
		int		 status;
		const char	*reason;
	} st[] = {
		/* RFC 9110 15 */
		{ 100, "Continue" }, { 200, "OK" },
		{ 206, "Partial Content" }, { 301, "Moved Permanently" },
		{ 304, "Not Modified" }, { 400, "Bad Request" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
		{ 412, "Precondition Failed" }, { 413, "Content Too Large" },
		{ 414, "URI Too Long" }, { 416, "Range Not Satisfiable" },
		{ 417, "Expectation Failed" },
		/* RFC 6585 5 */
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" },
	};
	char		 buf[512];
	struct resp	 r;
	struct head	 h;
	size_t		 i;

	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		cr_assert_str_eq(resp_reason(st[i].status), st[i].reason);
		resp_begin(&r, buf, sizeof(buf), st[i].status);
		resp_raw(&r, "\r\n", 2);
		read_head(buf, r.len, &h);
		cr_assert_eq(h.status, st[i].status);
		cr_assert_str_eq(h.reason, st[i].reason);
	}
	/* A status without a phrase here still makes a valid line. */
	resp_begin(&r, buf, sizeof(buf), 418);
	resp_raw(&r, "\r\n", 2);
	read_head(buf, r.len, &h);
	cr_assert_eq(h.status, 418);
}

Test(response, numbers_in_fields)
{
	static const long long v[] = {
		0, 1, 9, 10, 99, 100, 65535, 2147483648LL, LLONG_MAX
	};
	char		 buf[1024], want[32];
	struct resp	 r;
	struct head	 h;
	size_t		 i;

	resp_begin(&r, buf, sizeof(buf), 200);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		resp_header_num(&r, "N", v[i]);
	resp_raw(&r, "\r\n", 2);
	read_head(buf, r.len, &h);
	cr_assert_eq(h.nf, 2 + sizeof(v) / sizeof(v[0]));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(want, sizeof(want), "%lld", v[i]);
		cr_assert_str_eq(h.f[2 + i].value, want);
	}
}

/* A field that does not fit leaves what came before and marks overflow. */
Test(response, overflow_is_sticky_and_bounded)
{
	char		 buf[128];
	struct resp	 r;
	size_t		 len, room;

	memset(buf, 'z', sizeof(buf));
	resp_begin(&r, buf, 100, 200);
	cr_assert_eq(r.overflow, 0);
	len = r.len;
	room = 100 - len;
	/* "X: " value "\r\n" takes exactly the room left: it fits. */
	resp_header(&r, "X", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    room - 5);
	cr_assert_eq(r.overflow, 0);
	cr_assert_eq(r.len, 100);
	resp_raw(&r, "\r\n", 2);
	cr_assert_eq(r.overflow, 1);
	cr_assert_eq(r.len, 100);
	/* Once overflowed, even a byte that would fit is refused. */
	resp_begin(&r, buf, 100, 200);
	resp_header(&r, "X", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    room - 4);
	cr_assert_eq(r.overflow, 1);
	cr_assert_eq(r.len, len);
	resp_raw(&r, "", 0);
	resp_header_num(&r, "N", 1);
	cr_assert_eq(r.len, len);
	/* Nothing written past cap. */
	cr_assert_eq(buf[100], 'z');
	/* A buffer too small for the status line. */
	resp_begin(&r, buf, 10, 200);
	cr_assert_eq(r.overflow, 1);
	cr_assert_leq(r.len, 10);
}

Test(response, custom_headers_one_line_each)
{
	static const char ms[] = "X-Frame-Options: DENY\0X-A: 1 2\0";
	char		 buf[512];
	struct resp	 r;
	struct head	 h;

	resp_begin(&r, buf, sizeof(buf), 200);
	resp_custom_headers(&r, ms, sizeof(ms) - 1);
	resp_custom_headers(&r, NULL, 0);
	resp_raw(&r, "\r\n", 2);
	read_head(buf, r.len, &h);
	cr_assert_eq(h.len, r.len);
	cr_assert_eq(h.nf, 4);
	cr_assert_str_eq(field(&h, "X-Frame-Options"), "DENY");
	cr_assert_str_eq(field(&h, "X-A"), "1 2");
}

/*
 * A metabase written without mbctl's rule may hold a field the server
 * owns: the head never carries it, whatever its case.
 */
Test(response, custom_headers_never_repeat_a_field_the_server_owns)
{
	static const char ms[] = "content-length: 5\0X-A: 1\0"
	    "Transfer-Encoding: chunked\0CONNECTION: close\0Date: x\0"
	    "X-Content-Length: 7\0";
	char		 buf[512];
	struct resp	 r;
	struct head	 h;

	resp_begin(&r, buf, sizeof(buf), 200);
	resp_custom_headers(&r, ms, sizeof(ms) - 1);
	resp_raw(&r, "\r\n", 2);
	read_head(buf, r.len, &h);
	cr_assert_eq(h.len, r.len);
	cr_assert_eq(h.nf, 4);		/* Date, Server, X-A, X-Content-... */
	cr_assert_str_eq(field(&h, "X-A"), "1");
	cr_assert_str_eq(field(&h, "X-Content-Length"), "7");
	cr_assert_null(field(&h, "Content-Length"));
	cr_assert_null(field(&h, "Transfer-Encoding"));
	cr_assert_null(field(&h, "Connection"));
	cr_assert_neq(strcmp(field(&h, "Date"), "x"), 0);
}

Test(response, date_matches_strftime)
{
	static const time_t t[] = {
		0, 1, 59, 86399, 86400,
		EXAMPLE_T,
		951782400,	/* 2000-02-29, a leap day of a 400 year */
		951868800,	/* 2000-03-01 */
		1078012800,	/* 2004-02-29 */
		1709164800,	/* 2024-02-29 */
		2147483647,	/* 2038-01-19 03:14:07 */
		2147483648LL,
		4107542400LL,	/* 2100-03-01: 2100 is not a leap year */
		253402300799LL,	/* 9999-12-31 23:59:59 */
	};
	char		 want[64];
	size_t		 i;
	time_t		 x;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fixdate(t[i], want);
		cr_assert_str_eq(resp_date(t[i]), want);
	}
	/* Every hour of four years, and odd seconds, two at a time. */
	for (x = 1700000000; x < 1700000000 + 4 * 366 * 86400LL;
	    x += 3600 + 7) {
		fixdate(x, want);
		cr_assert_str_eq(resp_date(x), want);
	}
	cr_assert_str_eq(resp_date(EXAMPLE_T), "Sun, 06 Nov 1994 08:49:37 GMT");
}

/* "the last two asked for are cached": both strings stay valid. */
Test(response, date_keeps_the_last_two)
{
	char		 wa[64], wb[64], wc[64];
	const char	*a, *b, *c;

	fixdate(1000, wa);
	fixdate(2000, wb);
	fixdate(3000, wc);
	a = resp_date(1000);
	b = resp_date(2000);
	cr_assert_str_eq(a, wa);
	cr_assert_str_eq(b, wb);
	/* a asked again: now b is the older one, and c replaces it. */
	cr_assert_str_eq(resp_date(1000), wa);
	c = resp_date(3000);
	cr_assert_str_eq(c, wc);
	cr_assert_str_eq(a, wa);
	cr_assert_str_eq(resp_date(1000), wa);
	cr_assert_str_eq(resp_date(2000), wb);
	cr_assert_str_eq(resp_date(3000), wc);
}

static time_t
pdate(const char *s)
{
	return resp_parse_date(s, strlen(s));
}

Test(response, parse_date_three_forms)
{
	/* RFC 9110 5.6.7's examples, all the same instant. */
	cr_assert_eq(pdate("Sun, 06 Nov 1994 08:49:37 GMT"), EXAMPLE_T);
	cr_assert_eq(pdate("Sunday, 06-Nov-94 08:49:37 GMT"), EXAMPLE_T);
	cr_assert_eq(pdate("Sun Nov  6 08:49:37 1994"), EXAMPLE_T);
	/* asctime with a two-digit day, and other day names. */
	cr_assert_eq(pdate("Sun Nov 16 08:49:37 1994"), EXAMPLE_T + 864000);
	cr_assert_eq(pdate("Wednesday, 16-Nov-94 08:49:37 GMT"),
	    EXAMPLE_T + 864000);
	cr_assert_eq(pdate("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
	cr_assert_eq(pdate("Tue, 29 Feb 2000 00:00:00 GMT"), 951782400);
	cr_assert_eq(pdate("Mon, 01 Mar 2100 00:00:00 GMT"), 4107542400LL);
	/* Only the length given is read. */
	cr_assert_eq(resp_parse_date("Sun, 06 Nov 1994 08:49:37 GMTxyz", 29),
	    EXAMPLE_T);
}

Test(response, parse_date_round_trip)
{
	time_t	 t;

	for (t = 0; t < 4102444800LL; t += 86400 * 13 + 3607)
		cr_assert_eq(pdate(resp_date(t)), t, "%s", resp_date(t));
}

Test(response, parse_date_rejects)
{
	static const char *const bad[] = {
		"",
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37 gmt",
		"Sun, 06 nov 1994 08:49:37 GMT",	/* case-sensitive */
		"Sun, 06 Foo 1994 08:49:37 GMT",
		"Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 32 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:49:37 GMT",
		"Sun, 06 Nov 1994 08:60:37 GMT",
		"Sun, 06 Nov 1994 08:49:61 GMT",
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 94 08:49:37 GMT",
		"Sun,  06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08-49-37 GMT",
		"Sun, 0x Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37",
		"Sunday, 06-Nov-1994 08:49:37 GMT",
		"Sunday, 06 Nov 94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 94",
		"Sun Nov 6 08:49:37 1994",
		"1994-11-06T08:49:37Z",
		"784111777",
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(pdate(bad[i]), -1, "accepted '%s'", bad[i]);
}

/*
 * RFC 9110 5.6.7: a two-digit year "that appears to be more than 50
 * years in the future" is the most recent past year with those digits.
 */
Test(response, parse_date_rfc850_century_follows_the_clock)
{
	char		 s[64];
	struct tm	 tm, got;
	time_t		 now = time(NULL), t;
	int		 yy, year, want;

	cr_assert_not_null(gmtime_r(&now, &tm));
	year = tm.tm_year + 1900;
	for (yy = 0; yy < 100; yy++) {
		want = year - year % 100 + yy;
		if (want > year + 50)
			want -= 100;
		else if (want <= year - 50)
			want += 100;
		snprintf(s, sizeof(s), "Monday, 01-Jan-%02d 00:00:00 GMT", yy);
		t = pdate(s);
		cr_assert_neq(t, -1, "%s", s);
		cr_assert_not_null(gmtime_r(&t, &got));
		cr_assert_eq(got.tm_year + 1900, want, "%s: year %d, not %d",
		    s, got.tm_year + 1900, want);
	}
}

/* RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE */
static void
check_etag_grammar(const char *tag, size_t len)
{
	size_t	 i;

	cr_assert_eq(strlen(tag), len);
	cr_assert(len >= 2 && tag[0] == '"' && tag[len - 1] == '"',
	    "not a strong entity-tag: %s", tag);
	for (i = 1; i < len - 1; i++)
		cr_assert((unsigned char)tag[i] == 0x21 ||
		    ((unsigned char)tag[i] >= 0x23 &&
		    (unsigned char)tag[i] <= 0x7e), "bad etagc in %s", tag);
}

/* The tag response.h describes: "<mtime s>.<mtime ns>-<size>", hex. */
static void
check_etag_fields(const char *tag, const struct stat *st)
{
	unsigned long long	 sec, nsec, size;
	char			*end;

	errno = 0;
	sec = strtoull(tag + 1, &end, 16);
	cr_assert_eq(*end, '.', "%s", tag);
	nsec = strtoull(end + 1, &end, 16);
	cr_assert_eq(*end, '-', "%s", tag);
	size = strtoull(end + 1, &end, 16);
	cr_assert_str_eq(end, "\"", "%s", tag);
	cr_assert_eq(errno, 0);
	cr_assert_null(strpbrk(tag, "ABCDEFX"), "not lower-case hex: %s", tag);
	cr_assert_eq(sec, (unsigned long long)st->st_mtim.tv_sec);
	cr_assert_eq(nsec, (unsigned long long)st->st_mtim.tv_nsec);
	cr_assert_eq(size, (unsigned long long)st->st_size);
}

Test(response, etag_of_a_real_file)
{
	char		 dir[] = "/tmp/mbt.XXXXXX", path[64], tag[48], tag2[48];
	struct timespec	 ts[2];
	struct stat	 st;
	size_t		 n, n2;
	FILE		*fp;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	cr_assert_not_null(fp = fopen(path, "w"));
	fputs("hello, world\n", fp);
	cr_assert_eq(fclose(fp), 0);
	cr_assert_eq(stat(path, &st), 0);
	n = resp_etag(&st, tag, sizeof(tag));
	check_etag_grammar(tag, n);
	check_etag_fields(tag, &st);

	/* One nanosecond later is another tag. */
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	ts[1].tv_nsec = (ts[1].tv_nsec + 1) % 1000000000;
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	cr_assert_eq(stat(path, &st), 0);
	n2 = resp_etag(&st, tag2, sizeof(tag2));
	check_etag_fields(tag2, &st);
	cr_assert(n != n2 || memcmp(tag, tag2, n) != 0);

	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(rmdir(dir), 0);
}

/* The largest values still fit the 48 bytes the header promises. */
Test(response, etag_fits_48_bytes)
{
	char		 tag[48];
	struct stat	 st;
	size_t		 n;

	memset(&st, 0, sizeof(st));
	st.st_mtim.tv_sec = (time_t)(~0ULL >> 1);
	st.st_mtim.tv_nsec = 999999999;
	st.st_size = (off_t)(~0ULL >> 1);
	n = resp_etag(&st, tag, sizeof(tag));
	cr_assert_lt(n, sizeof(tag));
	check_etag_grammar(tag, n);
	check_etag_fields(tag, &st);
}

#define ETAG	"\"5f.1a-20\""
#define MTIME	EXAMPLE_T
#define MTIME_S	"Sun, 06 Nov 1994 08:49:37 GMT"
#define BEFORE	"Sun, 06 Nov 1994 08:49:36 GMT"
#define AFTER	"Sun, 06 Nov 1994 08:49:38 GMT"

/* The preconditions of raw for the file ETAG, MTIME, at time now. */
static int
pre_at(const char *raw, time_t now)
{
	const struct hp_request *req = request(raw);
	struct resp_cond c;

	resp_cond_scan(req, &c);
	return resp_preconditions(req, &c, ETAG, strlen(ETAG), MTIME, now);
}

static int
pre(const char *raw)
{
	return pre_at(raw, time(NULL));
}

#define GET(fields)	"GET / HTTP/1.1\r\nHost: a\r\n" fields "\r\n"
#define HEAD(fields)	"HEAD / HTTP/1.1\r\nHost: a\r\n" fields "\r\n"
#define PUT(fields)	"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n" \
			    fields "\r\n"

Test(response, preconditions_none)
{
	cr_assert_eq(pre(GET("")), 0);
	cr_assert_eq(pre(PUT("")), 0);
}

/* RFC 9110 13.1.1: strong comparison; "*" matches a current file. */
Test(response, if_match)
{
	cr_assert_eq(pre(GET("If-Match: " ETAG "\r\n")), 0);
	cr_assert_eq(pre(GET("If-Match: *\r\n")), 0);
	cr_assert_eq(pre(GET("If-Match: \"x\", " ETAG "\r\n")), 0);
	cr_assert_eq(pre(GET("If-Match: \"x\"," ETAG ",\"y\"\r\n")), 0);
	cr_assert_eq(pre(GET("If-Match: \"x\"\r\n")), 412);
	cr_assert_eq(pre(GET("If-Match: W/" ETAG "\r\n")), 412);
	cr_assert_eq(pre(GET("If-Match: \"5f.1a-2\"\r\n")), 412);
	cr_assert_eq(pre(PUT("If-Match: \"x\"\r\n")), 412);
	/* Step 1 before step 3: a failed If-Match is 412, not 304. */
	cr_assert_eq(pre(GET("If-Match: \"x\"\r\nIf-None-Match: " ETAG
	    "\r\n")), 412);
}

/* RFC 9110 13.1.4, and only without If-Match (13.2.2 step 2). */
Test(response, if_unmodified_since)
{
	cr_assert_eq(pre(GET("If-Unmodified-Since: " BEFORE "\r\n")), 412);
	cr_assert_eq(pre(GET("If-Unmodified-Since: " MTIME_S "\r\n")), 0);
	cr_assert_eq(pre(GET("If-Unmodified-Since: " AFTER "\r\n")), 0);
	cr_assert_eq(pre(PUT("If-Unmodified-Since: " BEFORE "\r\n")), 412);
	/* An invalid date is ignored (13.1.4). */
	cr_assert_eq(pre(GET("If-Unmodified-Since: yesterday\r\n")), 0);
	cr_assert_eq(pre(GET("If-Match: " ETAG "\r\n"
	    "If-Unmodified-Since: " BEFORE "\r\n")), 0);
}

/* RFC 9110 13.1.2: weak comparison; 304 for GET and HEAD, else 412. */
Test(response, if_none_match)
{
	cr_assert_eq(pre(GET("If-None-Match: " ETAG "\r\n")), 304);
	cr_assert_eq(pre(HEAD("If-None-Match: " ETAG "\r\n")), 304);
	cr_assert_eq(pre(GET("If-None-Match: W/" ETAG "\r\n")), 304);
	cr_assert_eq(pre(GET("If-None-Match: *\r\n")), 304);
	cr_assert_eq(pre(GET("If-None-Match: \"a\", \"b\", " ETAG "\r\n")),
	    304);
	cr_assert_eq(pre(GET("If-None-Match: \"a\", \"b\"\r\n")), 0);
	cr_assert_eq(pre(PUT("If-None-Match: " ETAG "\r\n")), 412);
	cr_assert_eq(pre(PUT("If-None-Match: *\r\n")), 412);
	cr_assert_eq(pre(PUT("If-None-Match: \"a\"\r\n")), 0);
}

/* RFC 9110 13.1.3, only for GET and HEAD, only without If-None-Match. */
Test(response, if_modified_since)
{
	cr_assert_eq(pre(GET("If-Modified-Since: " MTIME_S "\r\n")), 304);
	cr_assert_eq(pre(GET("If-Modified-Since: " AFTER "\r\n")), 304);
	cr_assert_eq(pre(HEAD("If-Modified-Since: " AFTER "\r\n")), 304);
	cr_assert_eq(pre(GET("If-Modified-Since: " BEFORE "\r\n")), 0);
	cr_assert_eq(pre(GET("If-Modified-Since: "
	    "Sunday, 06-Nov-94 08:49:37 GMT\r\n")), 304);
	cr_assert_eq(pre(GET("If-Modified-Since: Sun Nov  6 08:49:37 1994"
	    "\r\n")), 304);
	cr_assert_eq(pre(GET("If-Modified-Since: soon\r\n")), 0);
	cr_assert_eq(pre(PUT("If-Modified-Since: " AFTER "\r\n")), 0);
	cr_assert_eq(pre(GET("If-None-Match: \"a\"\r\n"
	    "If-Modified-Since: " AFTER "\r\n")), 0);
}

/*
 * RFC 9110 13.1.3 and 13.1.4: a date later than the server's clock is
 * invalid, and the field is ignored.
 */
Test(response, precondition_dates_after_now_are_ignored)
{
	/* Now is MTIME: AFTER lies in the future. */
	cr_assert_eq(pre_at(GET("If-Modified-Since: " AFTER "\r\n"), MTIME),
	    0);
	cr_assert_eq(pre_at(GET("If-Modified-Since: " MTIME_S "\r\n"),
	    MTIME), 304);
	cr_assert_eq(pre_at(GET("If-Unmodified-Since: " AFTER "\r\n"),
	    MTIME), 0);
}

/* One pass finds each field, the first of a repeated one. */
Test(response, cond_scan_finds_each_field)
{
	const struct hp_request *req = request(GET("range: bytes=0-1\r\n"
	    "X-If-Match: no\r\nIf-Match: \"a\"\r\nIf-Match: \"b\"\r\n"
	    "IF-NONE-MATCH: \"c\"\r\nIf-Range: \"d\"\r\n"
	    "If-Modified-Since: x\r\nIf-Unmodified-Since: y\r\n"));
	struct resp_cond c;

	resp_cond_scan(req, &c);
	cr_assert_not_null(c.range);
	cr_assert_eq(strncmp(c.range->value, "bytes=0-1", 9), 0);
	cr_assert_not_null(c.if_match);
	cr_assert_eq(strncmp(c.if_match->value, "\"a\"", 3), 0);
	cr_assert_not_null(c.if_none_match);
	cr_assert_eq(strncmp(c.if_none_match->value, "\"c\"", 3), 0);
	cr_assert_not_null(c.if_range);
	cr_assert_eq(strncmp(c.if_modified_since->value, "x", 1), 0);
	cr_assert_eq(strncmp(c.if_unmodified_since->value, "y", 1), 0);
	resp_cond_scan(request(GET("")), &c);
	cr_assert(c.range == NULL && c.if_match == NULL &&
	    c.if_none_match == NULL && c.if_range == NULL &&
	    c.if_modified_since == NULL && c.if_unmodified_since == NULL);
}

static int
range(const char *raw, off_t size, off_t *first, off_t *last)
{
	const struct hp_request *req = request(raw);
	struct resp_cond c;

	*first = *last = -7;
	resp_cond_scan(req, &c);
	return resp_range(req, &c, size, ETAG, strlen(ETAG), MTIME, first,
	    last);
}

#define RANGE_OK(fields, size, a, b) do {				\
	off_t	f_, l_;							\
	int	rc_ = range(GET(fields), (size), &f_, &l_);		\
	cr_assert_eq(rc_, 206, "%s: %d", fields, rc_);			\
	cr_assert_eq(f_, (off_t)(a), "%s: first %lld", fields,		\
	    (long long)f_);						\
	cr_assert_eq(l_, (off_t)(b), "%s: last %lld", fields,		\
	    (long long)l_);						\
} while (0)

#define RANGE_IS(raw, size, want) do {					\
	off_t	f_, l_;							\
	int	rc_ = range((raw), (size), &f_, &l_);			\
	cr_assert_eq(rc_, (want), "%s: %d", raw, rc_);			\
} while (0)

/* RFC 9110 14.1.2's examples on a 10000-byte representation. */
Test(response, range_single)
{
	RANGE_OK("Range: bytes=0-499\r\n", 10000, 0, 499);
	RANGE_OK("Range: bytes=500-999\r\n", 10000, 500, 999);
	RANGE_OK("Range: bytes=-500\r\n", 10000, 9500, 9999);
	RANGE_OK("Range: bytes=9500-\r\n", 10000, 9500, 9999);
	RANGE_OK("Range: bytes=0-0\r\n", 10000, 0, 0);
	RANGE_OK("Range: bytes=-1\r\n", 10000, 9999, 9999);
	RANGE_OK("Range: bytes=0-\r\n", 1, 0, 0);
	/* Past the end: cut to the representation (14.1.2). */
	RANGE_OK("Range: bytes=9500-20000\r\n", 10000, 9500, 9999);
	RANGE_OK("Range: bytes=-20000\r\n", 10000, 0, 9999);
	/* The unit is case-insensitive (14.1). */
	RANGE_OK("Range: Bytes=1-2\r\n", 10000, 1, 2);
}

Test(response, range_unsatisfiable)
{
	RANGE_IS(GET("Range: bytes=10000-\r\n"), 10000, 416);
	RANGE_IS(GET("Range: bytes=10000-10005\r\n"), 10000, 416);
	RANGE_IS(GET("Range: bytes=-0\r\n"), 10000, 416);
	RANGE_IS(GET("Range: bytes=0-\r\n"), 0, 416);
	RANGE_IS(GET("Range: bytes=-5\r\n"), 0, 416);
}

/* Whatever is not one valid range sends the whole file. */
Test(response, range_ignored)
{
	RANGE_IS(GET(""), 10000, 200);
	RANGE_IS(HEAD("Range: bytes=0-1\r\n"), 10000, 200);
	RANGE_IS(PUT("Range: bytes=0-1\r\n"), 10000, 200);
	RANGE_IS(GET("Range: items=0-1\r\n"), 10000, 200);
	RANGE_IS(GET("Range: bytes=5-2\r\n"), 10000, 200);
	RANGE_IS(GET("Range: bytes=0-1,5-6\r\n"), 10000, 200);
	RANGE_IS(GET("Range: bytes=\r\n"), 10000, 200);
	RANGE_IS(GET("Range: bytes=-\r\n"), 10000, 200);
	RANGE_IS(GET("Range: bytes=a-b\r\n"), 10000, 200);
	RANGE_IS(GET("Range: bytes=1-2x\r\n"), 10000, 200);
	RANGE_IS(GET("Range: bytes=99999999999999999999999-\r\n"), 10000,
	    200);
}

/* RFC 9110 13.1.5: the range only for the representation named. */
Test(response, if_range)
{
	RANGE_OK("Range: bytes=1-2\r\nIf-Range: " ETAG "\r\n", 100, 1, 2);
	RANGE_OK("Range: bytes=1-2\r\nIf-Range: " MTIME_S "\r\n", 100, 1, 2);
	RANGE_IS(GET("Range: bytes=1-2\r\nIf-Range: \"other\"\r\n"), 100,
	    200);
	/* A weak tag never matches: If-Range compares strongly. */
	RANGE_IS(GET("Range: bytes=1-2\r\nIf-Range: W/" ETAG "\r\n"), 100,
	    200);
	RANGE_IS(GET("Range: bytes=1-2\r\nIf-Range: " BEFORE "\r\n"), 100,
	    200);
	RANGE_IS(GET("Range: bytes=1-2\r\nIf-Range: " AFTER "\r\n"), 100,
	    200);
	RANGE_IS(GET("Range: bytes=1-2\r\nIf-Range: junk\r\n"), 100, 200);
}

/* A MimeMap value: MULTISZ, len counting every NUL. */
static const char	 mimemap[] =
    ".html,text/html\0.css,text/css\0.gz,application/gzip\0"
    "*,application/x-default\0.htm,text/html; charset=utf-8\0";

static const char *
mime(const char *map, size_t maplen, const char *name, size_t namelen)
{
	static char	 out[128];
	const char	*p;
	size_t		 len = 9999;

	p = resp_mime(map, maplen, name, namelen, &len);
	cr_assert_not_null(p);
	cr_assert_lt(len, sizeof(out));
	memcpy(out, p, len);
	out[len] = '\0';
	return out;
}

#define MIME(name)	mime(mimemap, sizeof(mimemap) - 1, (name), strlen(name))

Test(response, mime_by_extension)
{
	cr_assert_str_eq(MIME("/index.html"), "text/html");
	cr_assert_str_eq(MIME("INDEX.HTML"), "text/html");
	cr_assert_str_eq(MIME("/a/style.css"), "text/css");
	cr_assert_str_eq(MIME("/x.tar.gz"), "application/gzip");
	cr_assert_str_eq(MIME("/x.htm"), "text/html; charset=utf-8");
	/* Not a prefix of a longer extension, nor the reverse. */
	cr_assert_str_eq(MIME("/x.h"), "application/x-default");
	cr_assert_str_eq(MIME("/x.htmlx"), "application/x-default");
	cr_assert_str_eq(MIME("/x.cs"), "application/x-default");
	/* Only the last segment's extension counts. */
	cr_assert_str_eq(MIME("/dir.html/README"), "application/x-default");
	cr_assert_str_eq(MIME("/README"), "application/x-default");
	/* Only namelen bytes of the name are read. */
	cr_assert_str_eq(mime(mimemap, sizeof(mimemap) - 1, "/a.css.html", 6),
	    "text/css");
}

Test(response, mime_without_fallback)
{
	static const char	 map[] = ".txt,text/plain\0";

	cr_assert_str_eq(mime(map, sizeof(map) - 1, "/a.txt", 6),
	    "text/plain");
	cr_assert_str_eq(mime(map, sizeof(map) - 1, "/a.bin", 6),
	    "application/octet-stream");
	cr_assert_str_eq(mime(NULL, 0, "/a.txt", 6),
	    "application/octet-stream");
}

Test(response, error_page)
{
	char	 buf[2048];
	size_t	 n;

	n = resp_error_page(404, NULL, buf, sizeof(buf));
	cr_assert_eq(n, strlen(buf));
	cr_assert_eq(strncmp(buf, "<!DOCTYPE html>", 15), 0);
	cr_assert_not_null(strstr(buf, "<title>404 Not Found</title>"));
	cr_assert_not_null(strstr(buf, "<h1>Not Found</h1>"));
	cr_assert_null(strstr(buf, "<p>"));
	cr_assert_eq(buf[n - 1], '\n');

	n = resp_error_page(403, "Read <b>access</b> & \"more\"", buf,
	    sizeof(buf));
	cr_assert_eq(n, strlen(buf));
	cr_assert_not_null(strstr(buf, "<title>403 Forbidden</title>"));
	cr_assert_not_null(strstr(buf, "<p>Read &lt;b&gt;access&lt;/b&gt; "
	    "&amp; &quot;more&quot;</p>"));
	cr_assert_null(strstr(buf, "<b>"));
}

/* A page cut to a small buffer: NUL-terminated, its true length back. */
Test(response, error_page_cut)
{
	char	 buf[32];
	size_t	 n;

	memset(buf, 'z', sizeof(buf));
	n = resp_error_page(500, NULL, buf, 16);
	cr_assert_eq(n, 15);
	cr_assert_eq(strlen(buf), 15);
	cr_assert_eq(buf[16], 'z');
	n = resp_error_page(500, NULL, buf, 1);
	cr_assert_eq(n, 0);
	cr_assert_eq(buf[0], '\0');
	/* No room at all: nothing written, nothing claimed. */
	n = resp_error_page(500, NULL, buf + 20, 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(buf[20], 'z');
}
