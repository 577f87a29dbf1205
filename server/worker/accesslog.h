/*
 * accesslog.h - per-site access logs in the W3C Extended Log File Format,
 * as IIS writes them.
 *
 * Site n logs to <LogFileDirectory>/W3SVC<n>/exYYMMDD.log, a new file each
 * UTC day.  A file starts with the directives
 *
 *	#Software: mbhttpd <version>
 *	#Version: 1.0
 *	#Date: 2024-05-01 00:00:03
 *	#Fields: date time s-ip cs-method cs-uri-stem ...
 *
 * then one line per request: the fields LogExtFileFlags selects, always
 * in IIS's order (date time s-sitename s-computername s-ip cs-method
 * cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version
 * cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus
 * sc-win32-status sc-bytes cs-bytes time-taken), separated by one space.
 * Dates and times are UTC.  In a field a space becomes '+', a control
 * byte %XX; an empty field is '-'.  Lines end in LF (IIS writes CRLF;
 * its readers take either).  When LogExtFileFlags changes, a new block
 * of directives precedes the first line with the new fields.
 *
 * Concurrency: each line is formatted whole and written with one write(2)
 * to an O_APPEND descriptor, so lines from different workers never mix
 * and nothing is buffered between requests (a stopped worker loses no
 * line).  The header of a new file is written exactly once even when
 * several workers create it at the same moment: it is written to a
 * temporary file that is then link(2)ed to the final name.  The worker's
 * user needs write access to W3SVC<n>; the master, started as root,
 * creates it for each started site and gives it to that user.
 */
#ifndef ACCESSLOG_H
#define ACCESSLOG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "metabase.h"

/* A string field: ptr[0 .. len), need not be NUL-terminated; len 0: '-'. */
struct accesslog_str {
	const char	*ptr;
	size_t		 len;
};

/* One request, as the worker saw it; the strings are only read. */
struct accesslog_entry {
	uint32_t		 site;		/* site id */
	uint32_t		 logtype;	/* LogType: 0 logs nothing */
	const char		*dir;		/* LogFileDirectory, absolute */
	uint32_t		 flags;		/* LogExtFileFlags (MB_LOG_*) */
	time_t			 time;		/* when the request was served */
	struct accesslog_str	 s_ip;		/* local address, as inet_ntop */
	unsigned		 s_port;	/* local port */
	struct accesslog_str	 c_ip;		/* client address */
	struct accesslog_str	 method;	/* "GET" */
	struct accesslog_str	 uri_stem;	/* path, without the query */
	struct accesslog_str	 uri_query;	/* after '?', without it */
	struct accesslog_str	 username;	/* empty: anonymous */
	struct accesslog_str	 version;	/* "HTTP/1.1" */
	struct accesslog_str	 user_agent;	/* header values, as sent */
	struct accesslog_str	 cookie;
	struct accesslog_str	 referer;
	struct accesslog_str	 host;
	unsigned		 status;	/* 200 */
	unsigned		 substatus;	/* IIS's sub-status, usually 0 */
	uint32_t		 win32_status;	/* 0, or a Windows error code */
	uint64_t		 bytes_sent;	/* sc-bytes: head and body */
	uint64_t		 bytes_recv;	/* cs-bytes: head and body */
	uint64_t		 time_taken;	/* ms, first byte in to last out */
};

/* A NUL-terminated string (NULL: empty) as a field. */
static inline struct accesslog_str
accesslog_cstr(const char *s)
{
	struct accesslog_str	 r;

	r.ptr = s;
	r.len = s != NULL ? strlen(s) : 0;
	return r;
}

/*
 * Log one request of site e->site, opening (or creating) the day's file
 * as needed; does nothing when e->logtype is 0.  Returns 0, or -1 when
 * the line could not be written: a warning goes to the error log, at
 * most once per ACCESSLOG_RETRY_SECS for a file that cannot be opened.
 * Never blocks on a lock, never allocates.
 */
int	accesslog_write(const struct accesslog_entry *e);
/*
 * A flag every worker shares (in the scoreboard), so that a log that
 * cannot be written is said once for the pool, not once a worker.
 */
void	accesslog_share(atomic_int *flag);

/*
 * Close every cached log file (SIGUSR1, after rotation); the next
 * accesslog_write() of each site opens its file again by name.
 */
void	accesslog_reopen(void);

/*
 * Format the line for e into buf[0 .. len), newline included, without
 * writing it; returns its length (fields too long are cut to fit).  For
 * tests.
 */
size_t	accesslog_format(const struct accesslog_entry *e, char *buf,
	    size_t len);

#endif /* ACCESSLOG_H */
