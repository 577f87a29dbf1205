/*
 * test_accesslog.c - tests for server/worker/accesslog.c, suite accesslog.
 *
 * The line formatter against lines written out by hand in the W3C
 * Extended Log File Format as IIS writes it (fields in IIS's order, '+'
 * for a space, '-' for nothing), then the files themselves: written for
 * real under a fresh mkdtemp(3) directory, and read back.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "conf/conf.h"
#include "mbt.h"
#include "server/limits.h"
#include "server/worker/accesslog.h"

/* 2024-05-01 00:00:03 UTC, the example of accesslog.h */
#define T0	((time_t)1714521603)

#define ALL_FLAGS (MB_LOG_DATE | MB_LOG_TIME | MB_LOG_CLIENT_IP |	\
	MB_LOG_USERNAME | MB_LOG_SITENAME | MB_LOG_COMPUTERNAME |	\
	MB_LOG_SERVER_IP | MB_LOG_METHOD | MB_LOG_URI_STEM |		\
	MB_LOG_URI_QUERY | MB_LOG_HTTP_STATUS | MB_LOG_WIN32_STATUS |	\
	MB_LOG_BYTES_SENT | MB_LOG_BYTES_RECV | MB_LOG_TIME_TAKEN |	\
	MB_LOG_SERVER_PORT | MB_LOG_USER_AGENT | MB_LOG_COOKIE |	\
	MB_LOG_REFERER | MB_LOG_PROTOCOL_VERSION | MB_LOG_HOST |	\
	MB_LOG_HTTP_SUB_STATUS)

/* IIS's default field set: LogExtFileFlags' default in the schema. */
#define DEFAULT_FLAGS	((uint32_t)mb_schema[MB_P_LOGEXTFILEFLAGS].dflt)

static char	 line[ACCESSLOG_LINEMAX];
static char	 dir[PATH_MAX];

static struct accesslog_entry
entry(uint32_t flags)
{
	struct accesslog_entry	 e;

	memset(&e, 0, sizeof(e));
	e.site = 3;
	e.logtype = 1;
	e.dir = dir;
	e.flags = flags;
	e.time = T0;
	e.s_ip = accesslog_cstr("10.0.0.1");
	e.s_port = 8080;
	e.c_ip = accesslog_cstr("192.0.2.7");
	e.method = accesslog_cstr("GET");
	e.uri_stem = accesslog_cstr("/a b/index.html");
	e.uri_query = accesslog_cstr("x=1&y=2");
	e.username = accesslog_cstr("");
	e.version = accesslog_cstr("HTTP/1.1");
	e.user_agent = accesslog_cstr("Mozilla/5.0 (X11; Linux)");
	e.cookie = accesslog_cstr("a=1; b=2");
	e.referer = accesslog_cstr("http://example.org/");
	e.host = accesslog_cstr("www.example.org");
	e.status = 404;
	e.substatus = 2;
	e.win32_status = 5;
	e.bytes_sent = 1234;
	e.bytes_recv = 567;
	e.time_taken = 89;
	return e;
}

/* The line for e, NUL-terminated, with its length checked. */
static const char *
fmt(const struct accesslog_entry *e)
{
	size_t	 n;

	n = accesslog_format(e, line, sizeof(line) - 1);
	cr_assert_gt(n, 0);
	cr_assert_lt(n, sizeof(line));
	line[n] = '\0';
	cr_assert_eq(strlen(line), n, "NUL in the line");
	cr_assert_eq(line[n - 1], '\n');
	return line;
}

Test(accesslog, all_fields_in_iis_order)
{
	struct accesslog_entry	 e = entry(ALL_FLAGS);
	char			 host[256], want[1024];

	cr_assert_eq(gethostname(host, sizeof(host)), 0);
	snprintf(want, sizeof(want), "2024-05-01 00:00:03 W3SVC3 %s "
	    "10.0.0.1 GET /a+b/index.html x=1&y=2 8080 - 192.0.2.7 HTTP/1.1 "
	    "Mozilla/5.0+(X11;+Linux) a=1;+b=2 http://example.org/ "
	    "www.example.org 404 2 5 1234 567 89\n", host);
	cr_assert_str_eq(fmt(&e), want);
}

/* IIS's default set: c-ip comes after s-ip though its bit is lower. */
Test(accesslog, default_fields)
{
	struct accesslog_entry	 e = entry(DEFAULT_FLAGS);

	cr_assert_str_eq(fmt(&e), "2024-05-01 00:00:03 10.0.0.1 GET "
	    "/a+b/index.html x=1&y=2 8080 - 192.0.2.7 Mozilla/5.0+(X11;+Linux) "
	    "http://example.org/ 404 2 5 89\n");
}

Test(accesslog, each_field_alone)
{
	static const struct {
		uint32_t	 flag;
		const char	*want;
	} f[] = {
		{ MB_LOG_DATE,		"2024-05-01\n" },
		{ MB_LOG_TIME,		"00:00:03\n" },
		{ MB_LOG_SITENAME,	"W3SVC3\n" },
		{ MB_LOG_SERVER_IP,	"10.0.0.1\n" },
		{ MB_LOG_METHOD,	"GET\n" },
		{ MB_LOG_URI_STEM,	"/a+b/index.html\n" },
		{ MB_LOG_URI_QUERY,	"x=1&y=2\n" },
		{ MB_LOG_SERVER_PORT,	"8080\n" },
		{ MB_LOG_USERNAME,	"-\n" },
		{ MB_LOG_CLIENT_IP,	"192.0.2.7\n" },
		{ MB_LOG_PROTOCOL_VERSION, "HTTP/1.1\n" },
		{ MB_LOG_USER_AGENT,	"Mozilla/5.0+(X11;+Linux)\n" },
		{ MB_LOG_COOKIE,	"a=1;+b=2\n" },
		{ MB_LOG_REFERER,	"http://example.org/\n" },
		{ MB_LOG_HOST,		"www.example.org\n" },
		{ MB_LOG_HTTP_STATUS,	"404\n" },
		{ MB_LOG_HTTP_SUB_STATUS, "2\n" },
		{ MB_LOG_WIN32_STATUS,	"5\n" },
		{ MB_LOG_BYTES_SENT,	"1234\n" },
		{ MB_LOG_BYTES_RECV,	"567\n" },
		{ MB_LOG_TIME_TAKEN,	"89\n" },
	};
	struct accesslog_entry	 e;
	size_t			 i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		e = entry(f[i].flag);
		cr_assert_str_eq(fmt(&e), f[i].want);
		/* Bits that name no field change nothing. */
		e.flags |= 0x80000000u | 0x00400000u;
		cr_assert_str_eq(fmt(&e), f[i].want);
	}
}

/* No spaces, no line breaks, no control bytes inside a field. */
Test(accesslog, escaping)
{
	struct accesslog_entry	 e = entry(MB_LOG_USER_AGENT);

	e.user_agent = accesslog_cstr("a b\tc\r\nd\x01\x1f\x7f" "e%20+f\xc3\xa9");
	cr_assert_str_eq(fmt(&e), "a+b%09c%0D%0Ad%01%1F%7Fe%20+f\xc3\xa9\n");
	/* Only len bytes are read, and a NUL among them is escaped. */
	e.user_agent.ptr = "abc\0def";
	e.user_agent.len = 7;
	cr_assert_str_eq(fmt(&e), "abc%00def\n");
	e.user_agent.len = 2;
	cr_assert_str_eq(fmt(&e), "ab\n");
}

Test(accesslog, empty_fields_and_extreme_numbers)
{
	struct accesslog_entry	 e;

	memset(&e, 0, sizeof(e));
	e.flags = MB_LOG_SERVER_IP | MB_LOG_METHOD | MB_LOG_URI_STEM |
	    MB_LOG_URI_QUERY | MB_LOG_USERNAME | MB_LOG_CLIENT_IP |
	    MB_LOG_PROTOCOL_VERSION | MB_LOG_USER_AGENT | MB_LOG_COOKIE |
	    MB_LOG_REFERER | MB_LOG_HOST | MB_LOG_SERVER_PORT |
	    MB_LOG_HTTP_STATUS | MB_LOG_BYTES_SENT | MB_LOG_BYTES_RECV |
	    MB_LOG_TIME_TAKEN | MB_LOG_WIN32_STATUS;
	e.uri_query.ptr = "";		/* empty, not NULL */
	e.bytes_sent = UINT64_MAX;
	e.time_taken = UINT64_MAX;
	e.win32_status = UINT32_MAX;
	e.s_port = 65535;
	cr_assert_str_eq(fmt(&e), "- - - - 65535 - - - - - - - 0 4294967295 "
	    "18446744073709551615 0 18446744073709551615\n");
}

/* Dates and times are UTC, right across days, leap days and years. */
Test(accesslog, dates_and_times)
{
	static const struct {
		time_t		 t;
		const char	*want;
	} d[] = {
		{ 0,		"1970-01-01 00:00:00\n" },
		{ 951868799,	"2000-02-29 23:59:59\n" },
		{ 951868800,	"2000-03-01 00:00:00\n" },
		{ 1735689599,	"2024-12-31 23:59:59\n" },
		{ 1735689600,	"2025-01-01 00:00:00\n" },
		{ T0,		"2024-05-01 00:00:03\n" },
		{ 4107542399LL,	"2100-02-28 23:59:59\n" },
		{ 4107542400LL,	"2100-03-01 00:00:00\n" },
	};
	struct accesslog_entry	 e = entry(MB_LOG_DATE | MB_LOG_TIME);
	size_t			 i, round;

	/* Twice over, so that the cached second is both hit and missed. */
	for (round = 0; round < 2; round++)
		for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
			e.time = d[i].t;
			cr_assert_str_eq(fmt(&e), d[i].want);
			cr_assert_str_eq(fmt(&e), d[i].want);
		}
}

/* Split a line into its fields; fails the test on an empty one. */
static size_t
split(const char *s, const char *f[], size_t max)
{
	size_t	 n = 0;

	cr_assert(*s != ' ' && *s != '\n', "line starts with a separator");
	while (*s != '\n') {
		cr_assert_lt(n, max);
		f[n++] = s;
		while (*s != ' ' && *s != '\n')
			s++;
		if (*s == ' ') {
			s++;
			cr_assert(*s != ' ' && *s != '\n', "empty field");
		}
	}
	return n;
}

/*
 * Fields too long for a line are cut, never the line: every field is
 * still there, the numbers after them whole, escapes never split.
 */
Test(accesslog, long_fields_are_cut_to_fit)
{
	struct accesslog_entry	 e = entry(ALL_FLAGS);
	const char		*f[32], *p;
	char			*big, *ctl;
	size_t			 n, len = 3 * ACCESSLOG_LINEMAX;

	cr_assert_not_null(big = malloc(len));
	cr_assert_not_null(ctl = malloc(len));
	memset(big, 'u', len);
	memset(ctl, '\n', len);
	e.uri_stem.ptr = e.user_agent.ptr = e.referer.ptr = big;
	e.uri_stem.len = e.user_agent.len = e.referer.len = len;
	e.cookie.ptr = ctl;
	e.cookie.len = len;
	e.bytes_sent = UINT64_MAX;
	e.time_taken = UINT64_MAX;

	n = accesslog_format(&e, line, sizeof(line));
	cr_assert_leq(n, sizeof(line));
	cr_assert_eq(line[n - 1], '\n');
	cr_assert_null(memchr(line, '\0', n));
	cr_assert_eq(memchr(line, '\n', n), line + n - 1);
	cr_assert_gt(n, sizeof(line) / 2, "the line was not filled: %zu", n);
	cr_assert_eq(split(line, f, 32), 22);
	cr_assert_eq(strncmp(f[0], "2024-05-01 00:00:03 W3SVC3 ", 27), 0);
	cr_assert_eq(strncmp(f[16], "404 2 5 18446744073709551615 567 "
	    "18446744073709551615\n", 54), 0);
	/* cs(Cookie): escapes whole, up to the separator. */
	cr_assert_eq(f[13][0], '%');
	for (p = f[13]; *p != ' '; p += 3)
		cr_assert_eq(strncmp(p, "%0A", 3), 0, "split escape");
	for (p = f[12]; *p != ' '; p++)
		cr_assert_eq(*p, 'u');
	for (p = f[14]; *p != ' '; p++)
		cr_assert_eq(*p, 'u');
	free(big);
	free(ctl);
}

static void
mkdir_tmp(void)
{
	char	 tmpl[] = "/tmp/mbt.XXXXXX";

	cr_assert_not_null(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
	snprintf(dir, sizeof(dir), "%s", tmpl);
}

static void
rm_tmp(void)
{
	accesslog_reopen();
	if (dir[0] != '\0')
		mbt_rmtree(dir);
}

/* The file of site 3 for the UTC day of yymmdd, as a string. */
static char *
logfile(const char *yymmdd)
{
	char	 path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/W3SVC3/ex%s.log", dir, yymmdd);
	return mbt_slurp(path);
}

#define DEFAULT_FIELDS	"#Fields: date time s-ip cs-method cs-uri-stem " \
	"cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) " \
	"sc-status sc-substatus sc-win32-status time-taken\n"

static const char *
header(const char *date)
{
	static char	 buf[1024];

	snprintf(buf, sizeof(buf), "#Software: mbhttpd %s\n#Version: 1.0\n"
	    "#Date: %s\n", MBHTTPD_VERSION, date);
	return buf;
}

Test(accesslog, file_starts_with_directives, .init = mkdir_tmp,
    .fini = rm_tmp)
{
	struct accesslog_entry	 e = entry(DEFAULT_FLAGS);
	char			 want[4096], l1[1024], l2[1024];
	char			*s;

	snprintf(l1, sizeof(l1), "%s", fmt(&e));
	cr_assert_eq(accesslog_write(&e), 0, "%s", strerror(errno));
	e.time = T0 + 5;
	e.status = 200;
	snprintf(l2, sizeof(l2), "%s", fmt(&e));
	cr_assert_eq(accesslog_write(&e), 0, "%s", strerror(errno));
	cr_assert_not_null(s = logfile("240501"));
	snprintf(want, sizeof(want), "%s" DEFAULT_FIELDS "%s%s",
	    header("2024-05-01 00:00:03"), l1, l2);
	cr_assert_str_eq(s, want);
	free(s);
}

/* A change of LogExtFileFlags: a new block before the first such line. */
Test(accesslog, new_fields_new_block, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct accesslog_entry	 e = entry(MB_LOG_DATE | MB_LOG_TIME);
	char			*s;

	cr_assert_eq(accesslog_write(&e), 0);
	e.time = T0 + 60;
	e.flags = MB_LOG_TIME | MB_LOG_HTTP_STATUS | MB_LOG_BYTES_SENT;
	cr_assert_eq(accesslog_write(&e), 0);
	cr_assert_eq(accesslog_write(&e), 0);
	cr_assert_not_null(s = logfile("240501"));
	cr_assert_str_eq(s, "#Software: mbhttpd " MBHTTPD_VERSION "\n"
	    "#Version: 1.0\n#Date: 2024-05-01 00:00:03\n#Fields: date time\n"
	    "2024-05-01 00:00:03\n"
	    "#Software: mbhttpd " MBHTTPD_VERSION "\n"
	    "#Version: 1.0\n#Date: 2024-05-01 00:01:03\n"
	    "#Fields: time sc-status sc-bytes\n"
	    "00:01:03 404 1234\n00:01:03 404 1234\n");
	free(s);
}

/* A new UTC day is a new file; the old one is left as it was. */
Test(accesslog, one_file_per_utc_day, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct accesslog_entry	 e = entry(MB_LOG_TIME);
	char			*s;

	e.time = 1714607999;		/* 2024-05-01 23:59:59 */
	cr_assert_eq(accesslog_write(&e), 0);
	e.time = 1714608000;		/* 2024-05-02 00:00:00 */
	cr_assert_eq(accesslog_write(&e), 0);
	cr_assert_not_null(s = logfile("240501"));
	cr_assert_str_eq(s, "#Software: mbhttpd " MBHTTPD_VERSION "\n"
	    "#Version: 1.0\n#Date: 2024-05-01 23:59:59\n#Fields: time\n"
	    "23:59:59\n");
	free(s);
	cr_assert_not_null(s = logfile("240502"));
	cr_assert_str_eq(s, "#Software: mbhttpd " MBHTTPD_VERSION "\n"
	    "#Version: 1.0\n#Date: 2024-05-02 00:00:00\n#Fields: time\n"
	    "00:00:00\n");
	free(s);
}

/*
 * A file another worker (or an earlier run) wrote: lines are appended
 * under its header when the fields are the same, under a new block when
 * they are not.
 */
Test(accesslog, existing_file_is_continued, .init = mkdir_tmp,
    .fini = rm_tmp)
{
	struct accesslog_entry	 e = entry(MB_LOG_TIME | MB_LOG_HTTP_STATUS);
	char			 path[PATH_MAX + 64];
	char			*s;

	snprintf(path, sizeof(path), "%s/W3SVC3/ex240501.log", dir);
	cr_assert_eq(mbt_write_file(path, "#Software: other\n#Version: 1.0\n"
	    "#Date: 2024-05-01 00:00:00\n#Fields: time sc-status\n"
	    "00:00:00 200\n"), 0);
	cr_assert_eq(accesslog_write(&e), 0);
	cr_assert_not_null(s = logfile("240501"));
	cr_assert_str_eq(s, "#Software: other\n#Version: 1.0\n"
	    "#Date: 2024-05-01 00:00:00\n#Fields: time sc-status\n"
	    "00:00:00 200\n00:00:03 404\n");
	free(s);

	/* As after SIGUSR1: opened again by name, other fields. */
	accesslog_reopen();
	e.flags = MB_LOG_TIME;
	cr_assert_eq(accesslog_write(&e), 0);
	cr_assert_not_null(s = logfile("240501"));
	cr_assert_str_eq(s, "#Software: other\n#Version: 1.0\n"
	    "#Date: 2024-05-01 00:00:00\n#Fields: time sc-status\n"
	    "00:00:00 200\n00:00:03 404\n"
	    "#Software: mbhttpd " MBHTTPD_VERSION "\n"
	    "#Version: 1.0\n#Date: 2024-05-01 00:00:03\n#Fields: time\n"
	    "00:00:03\n");
	free(s);
}

/* Another worker changed the fields first: its block is not repeated. */
Test(accesslog, block_written_once_among_workers, .init = mkdir_tmp,
    .fini = rm_tmp)
{
	struct accesslog_entry	 e = entry(MB_LOG_TIME);
	char			 path[PATH_MAX + 64];
	char			*s;
	FILE			*fp;

	cr_assert_eq(accesslog_write(&e), 0);
	snprintf(path, sizeof(path), "%s/W3SVC3/ex240501.log", dir);
	cr_assert_not_null(fp = fopen(path, "a"));
	fputs("#Software: mbhttpd " MBHTTPD_VERSION "\n#Version: 1.0\n"
	    "#Date: 2024-05-01 00:00:04\n#Fields: time sc-status\n"
	    "00:00:04 200\n", fp);
	cr_assert_eq(fclose(fp), 0);
	e.flags = MB_LOG_TIME | MB_LOG_HTTP_STATUS;
	e.time = T0 + 2;
	cr_assert_eq(accesslog_write(&e), 0);
	cr_assert_not_null(s = logfile("240501"));
	cr_assert_str_eq(s, "#Software: mbhttpd " MBHTTPD_VERSION "\n"
	    "#Version: 1.0\n#Date: 2024-05-01 00:00:03\n#Fields: time\n"
	    "00:00:03\n"
	    "#Software: mbhttpd " MBHTTPD_VERSION "\n"
	    "#Version: 1.0\n#Date: 2024-05-01 00:00:04\n"
	    "#Fields: time sc-status\n00:00:04 200\n00:00:05 404\n");
	free(s);
}

Test(accesslog, logtype_zero_writes_nothing, .init = mkdir_tmp,
    .fini = rm_tmp)
{
	struct accesslog_entry	 e = entry(DEFAULT_FLAGS);
	char			 path[PATH_MAX + 64];
	struct stat		 st;

	e.logtype = 0;
	cr_assert_eq(accesslog_write(&e), 0);
	snprintf(path, sizeof(path), "%s/W3SVC3", dir);
	cr_assert_eq(stat(path, &st), -1);
	cr_assert_eq(errno, ENOENT);
}

Test(accesslog, directory_must_be_absolute)
{
	struct accesslog_entry	 e = entry(DEFAULT_FLAGS);

	e.dir = "logs";
	errno = 0;
	cr_assert_eq(accesslog_write(&e), -1);
	cr_assert_eq(errno, EINVAL);
	e.dir = NULL;
	cr_assert_eq(accesslog_write(&e), -1);
	cr_assert_eq(errno, EINVAL);
}

/*
 * A log that cannot be opened yet (a new site's folder the master makes
 * a moment later) keeps its lines, and writes them first once it opens.
 */
Test(accesslog, lines_wait_for_a_log_that_opens_later, .init = mkdir_tmp,
    .fini = rm_tmp)
{
	struct accesslog_entry	 e = entry(MB_LOG_TIME);
	char			 path[PATH_MAX + 64];
	char			*s;

	/* A file where the site's folder should be: even root fails. */
	snprintf(path, sizeof(path), "%s/W3SVC3", dir);
	cr_assert_eq(mbt_write_file(path, "in the way\n"), 0);
	cr_assert_eq(accesslog_write(&e), 0);
	e.time = T0 + 1;
	cr_assert_eq(accesslog_write(&e), 0);
	cr_assert_null(s = logfile("240501"));
	cr_assert_eq(unlink(path), 0);
	e.time = T0 + 2;
	cr_assert_eq(accesslog_write(&e), 0);
	cr_assert_not_null(s = logfile("240501"));
	cr_assert_not_null(strstr(s, "#Fields: time\n00:00:03\n00:00:04\n"
	    "00:00:05\n"), "%s", s);
	free(s);
}

/*
 * A log that stays unopenable for ACCESSLOG_PENDING_SECS drops what it
 * kept, fails the lines, and is not tried again for ACCESSLOG_RETRY_SECS
 * of the requests' time.
 */
Test(accesslog, unopenable_log_waits_to_retry, .init = mkdir_tmp,
    .fini = rm_tmp)
{
	struct accesslog_entry	 e = entry(MB_LOG_TIME);
	char			 path[PATH_MAX + 64];
	char			*s;
	time_t			 t1;

	snprintf(path, sizeof(path), "%s/W3SVC3", dir);
	cr_assert_eq(mbt_write_file(path, "in the way\n"), 0);
	cr_assert_eq(accesslog_write(&e), 0);		/* kept */
	t1 = T0 + ACCESSLOG_PENDING_SECS;
	e.time = t1;
	cr_assert_eq(accesslog_write(&e), -1);		/* given up */
	cr_assert_eq(unlink(path), 0);
	e.time = t1 + ACCESSLOG_RETRY_SECS - 1;
	cr_assert_eq(accesslog_write(&e), -1);
	cr_assert_null(s = logfile("240501"));
	e.time = t1 + ACCESSLOG_RETRY_SECS;
	cr_assert_eq(accesslog_write(&e), 0);
	cr_assert_not_null(s = logfile("240501"));
	/* Only the line written once it opened. */
	cr_assert_not_null(strstr(s, "#Fields: time\n00:01:13\n"), "%s", s);
	cr_assert_null(strstr(s, "00:00:03"), "%s", s);
	free(s);
}
