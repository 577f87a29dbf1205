/*
 * accesslog.c - W3C extended access logs, one line per write(2).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/worker/accesslog.h"
#include "conf/conf.h"
#include "server/limits.h"
#include "server/core/log.h"

/* The fields, in the order IIS writes them. */
enum field {
	F_DATE, F_TIME, F_SITENAME, F_COMPUTERNAME, F_SIP, F_METHOD,
	F_STEM, F_QUERY, F_SPORT, F_USERNAME, F_CIP, F_VERSION, F_UA,
	F_COOKIE, F_REFERER, F_HOST, F_STATUS, F_SUBSTATUS, F_WIN32,
	F_BYTES_SENT, F_BYTES_RECV, F_TIME_TAKEN, F_NFIELDS
};

static const struct {
	const char	*name;
	uint32_t	 flag;
} fields[F_NFIELDS] = {
	[F_DATE] =		{ "date",		MB_LOG_DATE },
	[F_TIME] =		{ "time",		MB_LOG_TIME },
	[F_SITENAME] =		{ "s-sitename",		MB_LOG_SITENAME },
	[F_COMPUTERNAME] =	{ "s-computername",	MB_LOG_COMPUTERNAME },
	[F_SIP] =		{ "s-ip",		MB_LOG_SERVER_IP },
	[F_METHOD] =		{ "cs-method",		MB_LOG_METHOD },
	[F_STEM] =		{ "cs-uri-stem",	MB_LOG_URI_STEM },
	[F_QUERY] =		{ "cs-uri-query",	MB_LOG_URI_QUERY },
	[F_SPORT] =		{ "s-port",		MB_LOG_SERVER_PORT },
	[F_USERNAME] =		{ "cs-username",	MB_LOG_USERNAME },
	[F_CIP] =		{ "c-ip",		MB_LOG_CLIENT_IP },
	[F_VERSION] =		{ "cs-version",	MB_LOG_PROTOCOL_VERSION },
	[F_UA] =		{ "cs(User-Agent)",	MB_LOG_USER_AGENT },
	[F_COOKIE] =		{ "cs(Cookie)",		MB_LOG_COOKIE },
	[F_REFERER] =		{ "cs(Referer)",	MB_LOG_REFERER },
	[F_HOST] =		{ "cs-host",		MB_LOG_HOST },
	[F_STATUS] =		{ "sc-status",		MB_LOG_HTTP_STATUS },
	[F_SUBSTATUS] =		{ "sc-substatus",	MB_LOG_HTTP_SUB_STATUS },
	[F_WIN32] =		{ "sc-win32-status",	MB_LOG_WIN32_STATUS },
	[F_BYTES_SENT] =	{ "sc-bytes",		MB_LOG_BYTES_SENT },
	[F_BYTES_RECV] =	{ "cs-bytes",		MB_LOG_BYTES_RECV },
	[F_TIME_TAKEN] =	{ "time-taken",		MB_LOG_TIME_TAKEN },
};

/* Every bit that names a field; others are ignored. */
static uint32_t
known_flags(uint32_t flags)
{
	uint32_t	 all = 0;
	int		 i;

	for (i = 0; i < F_NFIELDS; i++)
		all |= fields[i].flag;
	return flags & all;
}

/* An open log file: one site's file of one UTC day. */
struct logfile {
	int		 fd;		/* -1: closed, or failed */
	uint32_t	 site;
	long		 day;		/* days since 1970-01-01, UTC */
	uint32_t	 flags;		/* the fields its last #Fields names */
	time_t		 retry;		/* failed: when to try again */
	time_t		 failed;	/* failing since, or 0 */
	char		*pend;		/* lines kept while failing */
	size_t		 plen;
	int		 wfail;		/* writes fail: said so once */
	uint64_t	 lost;		/* lines dropped meanwhile */
	uint64_t	 used;		/* for LRU */
	char		 dir[1024];	/* LogFileDirectory */
	char		 path[1200];	/* the file */
};

static struct logfile	 cache[ACCESSLOG_CACHE];
static int		 cache_ready;
static uint64_t		 use_clock;

/* The formatted date and time of the last second seen. */
static time_t		 tcache = (time_t)-1;
static char		 tdate[16], ttime[16];
static long		 tday;

static void
set_time(time_t t)
{
	struct tm	 tm;

	if (t == tcache)
		return;
	gmtime_r(&t, &tm);
	strftime(tdate, sizeof(tdate), "%Y-%m-%d", &tm);
	strftime(ttime, sizeof(ttime), "%H:%M:%S", &tm);
	tday = (long)(t / 86400 - (t % 86400 < 0));
	tcache = t;
}

static const char *
computername(void)
{
	static char	 name[256];

	if (name[0] == '\0' && gethostname(name, sizeof(name) - 1) == -1)
		strcpy(name, "-");
	return name;
}

/* Append a string field, escaped, at most max bytes; '-' when empty. */
static size_t
put_str(char *p, size_t max, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;
	size_t			 i, n = 0;

	if (max == 0)
		return 0;
	if (s == NULL || len == 0) {
		p[0] = '-';
		return 1;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == ' ') {
			if (n + 1 > max)
				break;
			p[n++] = '+';
		} else if (c < 0x20 || c == 0x7f) {
			/* No line breaks or escapes in a log line. */
			if (n + 3 > max)
				break;
			p[n++] = '%';
			p[n++] = hex[c >> 4];
			p[n++] = hex[c & 0xf];
		} else {
			if (n + 1 > max)
				break;
			p[n++] = (char)c;
		}
	}
	if (n == 0)
		p[n++] = '-';
	return n;
}

static size_t
put_num(char *p, size_t max, uint64_t v)
{
	char	 tmp[24];
	int	 n;

	n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	if (n < 0 || (size_t)n > max)
		return 0;
	memcpy(p, tmp, (size_t)n);
	return (size_t)n;
}

size_t
accesslog_format(const struct accesslog_entry *e, char *buf, size_t len)
{
	const struct accesslog_str *s;
	uint32_t	 flags = known_flags(e->flags);
	char		 sitename[24];
	size_t		 n = 0, max, left;
	int		 i, nsel = 0, k = 0;

	if (len < 2)
		return 0;
	set_time(e->time);
	for (i = 0; i < F_NFIELDS; i++)
		if (flags & fields[i].flag)
			nsel++;
	for (i = 0; i < F_NFIELDS; i++) {
		if (!(flags & fields[i].flag))
			continue;
		if (k > 0 && n < len - 1)
			buf[n++] = ' ';
		/* Leave room for the fields after this one, and the newline. */
		left = (size_t)(nsel - k - 1) * 24 + 1;
		max = len - n > left ? len - n - left : 0;
		k++;
		s = NULL;
		switch (i) {
		case F_DATE:
			n += put_str(buf + n, max, tdate, strlen(tdate));
			continue;
		case F_TIME:
			n += put_str(buf + n, max, ttime, strlen(ttime));
			continue;
		case F_SITENAME:
			snprintf(sitename, sizeof(sitename), "W3SVC%lu",
			    (unsigned long)e->site);
			n += put_str(buf + n, max, sitename, strlen(sitename));
			continue;
		case F_COMPUTERNAME:
			n += put_str(buf + n, max, computername(),
			    strlen(computername()));
			continue;
		case F_SPORT:
			n += put_num(buf + n, max, e->s_port);
			continue;
		case F_STATUS:
			n += put_num(buf + n, max, e->status);
			continue;
		case F_SUBSTATUS:
			n += put_num(buf + n, max, e->substatus);
			continue;
		case F_WIN32:
			n += put_num(buf + n, max, e->win32_status);
			continue;
		case F_BYTES_SENT:
			n += put_num(buf + n, max, e->bytes_sent);
			continue;
		case F_BYTES_RECV:
			n += put_num(buf + n, max, e->bytes_recv);
			continue;
		case F_TIME_TAKEN:
			n += put_num(buf + n, max, e->time_taken);
			continue;
		case F_SIP:	 s = &e->s_ip;		break;
		case F_METHOD:	 s = &e->method;	break;
		case F_STEM:	 s = &e->uri_stem;	break;
		case F_QUERY:	 s = &e->uri_query;	break;
		case F_USERNAME: s = &e->username;	break;
		case F_CIP:	 s = &e->c_ip;		break;
		case F_VERSION:	 s = &e->version;	break;
		case F_UA:	 s = &e->user_agent;	break;
		case F_COOKIE:	 s = &e->cookie;	break;
		case F_REFERER:	 s = &e->referer;	break;
		case F_HOST:	 s = &e->host;		break;
		}
		if (s != NULL)
			n += put_str(buf + n, max, s->ptr, s->len);
	}
	buf[n++] = '\n';
	return n;
}

/* The directives that start a file, or a change of fields. */
static size_t
format_header(char *buf, size_t len, uint32_t flags, time_t t)
{
	size_t	 n;
	int	 i, r;

	set_time(t);
	r = snprintf(buf, len, "#Software: mbhttpd %s\n#Version: 1.0\n"
	    "#Date: %s %s\n#Fields:", MBHTTPD_VERSION, tdate, ttime);
	if (r < 0 || (size_t)r >= len)
		return 0;
	n = (size_t)r;
	for (i = 0; i < F_NFIELDS; i++) {
		if (!(flags & fields[i].flag))
			continue;
		r = snprintf(buf + n, len - n, " %s", fields[i].name);
		if (r < 0 || (size_t)r >= len - n)
			return 0;
		n += (size_t)r;
	}
	if (n + 1 >= len)
		return 0;
	buf[n++] = '\n';
	return n;
}

/* The flags a "#Fields:" line names: p points just past "#Fields:". */
static int
parse_fields(const char *p, const char *end, uint32_t *flags)
{
	const char	*w;
	size_t		 wl;
	int		 i;

	*flags = 0;
	for (;;) {
		while (p < end && *p == ' ')
			p++;
		if (p == end || *p == '\n' || *p == '\r')
			return 0;
		for (w = p; p < end && *p != ' ' && *p != '\n' && *p != '\r';
		    p++)
			;
		wl = (size_t)(p - w);
		for (i = 0; i < F_NFIELDS; i++)
			if (strlen(fields[i].name) == wl &&
			    memcmp(fields[i].name, w, wl) == 0)
				break;
		if (i == F_NFIELDS)
			return -1;
		*flags |= fields[i].flag;
	}
}

/* The last "#Fields:" line in buf[0 .. len), or NULL. */
static const char *
last_fields(const char *buf, size_t len)
{
	static const char	 tag[] = "#Fields:";
	const char		*p;
	size_t			 tl = sizeof(tag) - 1;

	if (len < tl)
		return NULL;
	for (p = buf + len - tl; p >= buf; p--)
		if (memcmp(p, tag, tl) == 0 && (p == buf || p[-1] == '\n'))
			return p + tl;
	return NULL;
}

/*
 * The fields an existing file now has: its last "#Fields:" line near the
 * end.  -1 if there is none there: then nobody knows which fields the
 * lines above have, and the caller writes a header again (an older
 * "#Fields:" further up may be any block's).
 */
static int
file_fields(const char *path, uint32_t *flags)
{
	char		 buf[ACCESSLOG_TAILSCAN];
	struct stat	 st;
	const char	*f = NULL;
	off_t		 off;
	ssize_t		 r;
	int		 fd;

	/* The append descriptor is write-only: read through another. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto close_fd;
	off = st.st_size > (off_t)sizeof(buf) ?
	    st.st_size - (off_t)sizeof(buf) : 0;
	if ((r = pread(fd, buf, sizeof(buf), off)) <= 0)
		goto close_fd;
	f = last_fields(buf, (size_t)r);

 close_fd:
	close(fd);
	if (f == NULL)
		return -1;
	return parse_fields(f, buf + r, flags);
}

/*
 * Create the file at path with its header, exactly once among racing
 * workers: write the header to a private temporary file, then link(2) it
 * to the final name; whoever links first wins and the others find the
 * file there.
 */
static int
create_file(const char *dir, const char *path, uint32_t flags, time_t t)
{
	char	 tmp[1200], head[1024];
	size_t	 hl;
	int	 fd, rc = -1, saved;

	if ((hl = format_header(head, sizeof(head), flags, t)) == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/.new.%ld", dir, (long)getpid());
	unlink(tmp);	/* left by a killed worker of the same pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	if (write(fd, head, hl) != (ssize_t)hl) {
		if (errno == 0)
			errno = ENOSPC;
		goto unlink_tmp;
	}
	if (link(tmp, path) == 0 || errno == EEXIST)
		rc = 0;
	else if (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS) {
		/*
		 * No hard links here (FAT, some FUSE): create in place; a
		 * racing worker may then write a line before the header.
		 */
		close(fd);
		unlink(tmp);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
		    O_CLOEXEC, 0644);
		if (fd == -1)
			return errno == EEXIST ? 0 : -1;
		rc = write(fd, head, hl) == (ssize_t)hl ? 0 : -1;
		close(fd);
		return rc;
	}

 unlink_tmp:
	saved = errno;
	close(fd);
	unlink(tmp);
	errno = saved;
	return rc;
}

/* Open the day's file for e into lf; -1 with errno set. */
static int
open_file(struct logfile *lf, const struct accesslog_entry *e)
{
	char		 dir[1100], day[40], *path = lf->path;
	struct tm	 tm;
	uint32_t	 flags;
	int		 fd, created = 0;

	gmtime_r(&e->time, &tm);
	snprintf(dir, sizeof(dir), "%s/W3SVC%lu", e->dir,
	    (unsigned long)e->site);
	/* IIS's name: two digits of the year. */
	snprintf(day, sizeof(day), "%02d%02d%02d", tm.tm_year % 100,
	    tm.tm_mon + 1, tm.tm_mday);
	snprintf(path, sizeof(lf->path), "%s/ex%s.log", dir, day);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			return -1;
		if (create_file(dir, path, known_flags(e->flags), e->time)
		    == -1)
			return -1;
		created = 1;
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	}
	if (fd == -1)
		return -1;
	lf->fd = fd;
	/* Whoever created it, it was just now, with these fields. */
	if (created)
		lf->flags = known_flags(e->flags);
	else if (file_fields(path, &flags) == 0)
		lf->flags = flags;
	else
		lf->flags = UINT32_MAX;	/* unknown: write a header */
	return 0;
}

static void	flush_at_exit(void);

static void
cache_init(void)
{
	int	 i;

	for (i = 0; i < ACCESSLOG_CACHE; i++) {
		memset(&cache[i], 0, sizeof(cache[i]));
		cache[i].fd = -1;
	}
	cache_ready = 1;
	/* Once a process: the cache lives as long as it. */
	atexit(flush_at_exit);
}

/* Lines (newlines) in buf[0 .. n). */
static uint64_t
count_lines(const char *buf, size_t n)
{
	uint64_t	 c = 0;
	const char	*p, *end = buf + n;

	if (n == 0)
		return 0;
	for (p = buf; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		c++;
	return c;
}

/* Drop the lines kept for lf, saying so if there were any. */
static void
drop_pending(struct logfile *lf)
{
	lf->lost += count_lines(lf->pend, lf->plen);
	if (lf->lost > 0)
		log_warnx("%" PRIu64 " access-log lines of site %lu lost",
		    lf->lost, (unsigned long)lf->site);
	lf->lost = 0;
	free(lf->pend);
	lf->pend = NULL;
	lf->plen = 0;
}

/*
 * Keep line[0 .. n) for lf until it can be written; -1 when there is no
 * room, the line then counted lost.
 */
static int
keep_pending(struct logfile *lf, const char *line, size_t n)
{
	if ((lf->pend == NULL &&
	    (lf->pend = malloc(ACCESSLOG_PENDING_MAX)) == NULL) ||
	    lf->plen + n > ACCESSLOG_PENDING_MAX) {
		lf->lost++;
		return -1;
	}
	memcpy(lf->pend + lf->plen, line, n);
	lf->plen += n;
	return 0;
}

/*
 * Append buf[0 .. n), whole lines, with one write(2); 0 or -1.  A short
 * write (the disk filled in the middle: the file system writes what
 * fits) would leave a torn line that the next line would be glued to, so
 * it is taken back when nothing was appended after it, as nothing can be
 * on a full disk; the caller keeps the lines for later.
 */
static int
append(int fd, const char *buf, size_t n)
{
	struct stat	 st;
	ssize_t		 w;
	off_t		 end;

	if ((w = write(fd, buf, n)) == (ssize_t)n)
		return 0;
	if (w > 0 && (end = lseek(fd, 0, SEEK_CUR)) != (off_t)-1 &&
	    fstat(fd, &st) == 0 && st.st_size == end) {
		if (ftruncate(fd, end - w) == -1) {
			/* The torn line stays; the whole one follows. */
		}
	}
	if (w >= 0)
		errno = ENOSPC;
	return -1;
}

/* Shared by the workers: one of them says a log fails (scoreboard). */
static atomic_int	*failing;

void
accesslog_share(atomic_int *flag)
{
	failing = flag;
}

/*
 * Write the lines kept for lf, if any, before anything else; 0, or -1
 * (they stay kept).  The first success after failures says how many
 * lines could not be kept meanwhile, if any.
 */
static int
flush_pending(struct logfile *lf)
{
	if (lf->plen > 0) {
		if (append(lf->fd, lf->pend, lf->plen) == -1)
			return -1;
		free(lf->pend);
		lf->pend = NULL;
		lf->plen = 0;
	}
	if (lf->lost > 0) {
		log_warnx("%" PRIu64 " access-log lines of site %lu lost while it could not be written",
		    lf->lost, (unsigned long)lf->site);
		lf->lost = 0;
	}
	if (lf->wfail) {
		if (failing == NULL || atomic_exchange(failing, 0) == 1)
			log_info("access log of site %lu written again",
			    (unsigned long)lf->site);
		lf->wfail = 0;
	}
	return 0;
}

/*
 * The cache entry for e's site, directory and day: opened, or failing
 * but keeping lines (fd -1, failed set); NULL when it failed for longer
 * and waits to retry.
 */
static struct logfile *
lookup(const struct accesslog_entry *e)
{
	struct logfile	*lf = NULL, *c;
	int		 i;

	if (!cache_ready)
		cache_init();
	for (i = 0; i < ACCESSLOG_CACHE; i++) {
		c = &cache[i];
		if (c->used == 0 || c->site != e->site ||
		    strcmp(c->dir, e->dir) != 0)
			continue;
		if (c->day == tday && (c->fd != -1 || e->time < c->retry)) {
			c->used = ++use_clock;
			return c->fd != -1 ? c : NULL;
		}
		lf = c;		/* another day, failing, or time to retry */
		break;
	}
	if (lf == NULL) {
		lf = &cache[0];
		for (i = 1; i < ACCESSLOG_CACHE; i++)
			if (cache[i].used < lf->used)
				lf = &cache[i];
		/* Another site's entry taken over. */
		if (lf->used != 0)
			drop_pending(lf);
		lf->failed = 0;
		lf->wfail = 0;
	}
	if (lf->fd != -1)
		close(lf->fd);
	lf->fd = -1;
	lf->retry = 0;
	lf->site = e->site;
	lf->day = tday;
	lf->used = ++use_clock;
	snprintf(lf->dir, sizeof(lf->dir), "%s", e->dir);
	if (open_file(lf, e) == 0) {
		lf->failed = 0;
		return lf;
	}
	if (lf->failed == 0) {
		log_warn("cannot open the access log of site %lu in '%s'",
		    (unsigned long)e->site, e->dir);
		lf->failed = e->time;
	}
	if (e->time - lf->failed < ACCESSLOG_PENDING_SECS)
		return lf;	/* keep the lines, try again next time */
	drop_pending(lf);
	lf->failed = 0;
	lf->retry = e->time + ACCESSLOG_RETRY_SECS;
	return NULL;
}

int
accesslog_write(const struct accesslog_entry *e)
{
	char		 line[ACCESSLOG_LINEMAX], head[1024];
	struct logfile	*lf;
	uint32_t	 flags = known_flags(e->flags), fflags;
	size_t		 n, hl;

	if (e->logtype == 0)
		return 0;
	if (e->dir == NULL || e->dir[0] != '/' ||
	    strlen(e->dir) >= sizeof(cache[0].dir)) {
		errno = EINVAL;
		return -1;
	}
	set_time(e->time);
	if ((lf = lookup(e)) == NULL)
		return -1;
	if (lf->fd == -1) {
		n = accesslog_format(e, line, sizeof(line));
		return keep_pending(lf, line, n);
	}
	if (lf->flags != flags) {
		/*
		 * The fields changed: say so before the first such line,
		 * unless another worker just did.  Two that look at the same
		 * moment both write the block: harmless, and no lock taken.
		 */
		if (file_fields(lf->path, &fflags) == 0 && fflags == flags)
			lf->flags = flags;
		else if ((hl = format_header(head, sizeof(head), flags,
		    e->time)) > 0 && flush_pending(lf) == 0 &&
		    append(lf->fd, head, hl) == 0)
			lf->flags = flags;
	}
	/*
	 * Lines kept while the file could not be opened or written go
	 * first, in their order; while they cannot, this one joins them.
	 */
	n = accesslog_format(e, line, sizeof(line));
	if (flush_pending(lf) == 0 && append(lf->fd, line, n) == 0)
		return 0;
	/* A full disk fails every request: say it once, until it passes. */
	if (!lf->wfail) {
		if (failing == NULL || atomic_exchange(failing, 1) == 0)
			log_warn("cannot write the access log of site %lu, keeping its lines until it can",
			    (unsigned long)e->site);
		lf->wfail = 1;
	}
	keep_pending(lf, line, n);
	return -1;
}

/*
 * At exit (every way a worker ends but a fatal signal): the lines still
 * kept go to their files, or the error log says how many were lost.
 */
static void
flush_at_exit(void)
{
	int	 i;

	for (i = 0; i < ACCESSLOG_CACHE; i++) {
		if (cache[i].fd != -1 && (cache[i].plen > 0 ||
		    cache[i].lost > 0))
			flush_pending(&cache[i]);
		drop_pending(&cache[i]);
	}
}

void
accesslog_reopen(void)
{
	struct logfile	*lf;
	int		 i;

	if (!cache_ready)
		return;
	for (i = 0; i < ACCESSLOG_CACHE; i++) {
		lf = &cache[i];
		/*
		 * Kept lines go to the file they were kept for (rotated, its
		 * lines are from before), else they stay kept, and the
		 * entry with them, for the file opened by name at the next
		 * request of the site.
		 */
		if (lf->fd != -1 && lf->plen > 0)
			flush_pending(lf);
		if (lf->fd != -1)
			close(lf->fd);
		lf->fd = -1;
		if (lf->plen == 0 && lf->lost == 0 && !lf->wfail) {
			memset(lf, 0, sizeof(*lf));
			lf->fd = -1;
		} else
			lf->retry = 0;
	}
}
