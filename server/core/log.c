/*
 * log.c - the error log: stderr, a file, or syslog; one write per message.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "server/limits.h"
#include "server/core/log.h"

enum log_dest {
	LOG_DEST_STDERR,
	LOG_DEST_FILE,
	LOG_DEST_SYSLOG
};

static enum log_dest	 dest = LOG_DEST_STDERR;
static int		 verbose;
static int		 is_worker;
static int		 fd = -1;		/* LOG_DEST_FILE */
static char		*path;			/* LOG_DEST_FILE */
static uid_t		 owner_uid = (uid_t)-1;
static gid_t		 owner_gid = (gid_t)-1;

static void	vlog(int, const char *, const char *, va_list)
		    LOG_PRINTF(3, 0);
static void	logit(int, const char *, const char *, ...)
		    LOG_PRINTF(3, 4);
static void	vwarn(int, int, const char *, va_list) LOG_PRINTF(3, 0);

void
log_init(int v)
{
	verbose = v;
	dest = LOG_DEST_STDERR;
}

int
log_getverbose(void)
{
	return verbose;
}

void
log_procinit(void)
{
	is_worker = 1;
}

static int
open_file(const char *p)
{
	int	 nfd;

	struct stat	 st;

	/*
	 * Never through a link, nor into anything but a plain file: the file
	 * belongs to the workers' user, who could plant either for the
	 * master (root) to open on the next reopen.
	 */
	nfd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0644);
	if (nfd == -1)
		return -1;
	if (fstat(nfd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(nfd);
		errno = EINVAL;
		return -1;
	}
	/*
	 * Nor a hard link to another file (the workers' user may link one
	 * of root's where the log goes, which the fchown() below would
	 * then give away), nor a file of a third user.
	 */
	if (st.st_nlink != 1 || (st.st_uid != geteuid() &&
	    (owner_uid == (uid_t)-1 || st.st_uid != owner_uid))) {
		close(nfd);
		errno = EPERM;
		return -1;
	}
	/* Let a worker that has dropped privileges reopen it (SIGUSR1). */
	if (owner_uid != (uid_t)-1 && fchown(nfd, owner_uid, owner_gid) == -1) {
		/* Not fatal: only a worker's reopen will fail. */
	}
	return nfd;
}

int
log_open(const char *p, uid_t uid, gid_t gid)
{
	char	*np;
	int	 nfd, saved;

	if (p == NULL) {
		if (dest == LOG_DEST_FILE) {
			close(fd);
			fd = -1;
			free(path);
			path = NULL;
		}
		openlog("mbhttpd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		dest = LOG_DEST_SYSLOG;
		return 0;
	}
	if ((np = strdup(p)) == NULL)
		return -1;
	owner_uid = uid;
	owner_gid = gid;
	if ((nfd = open_file(np)) == -1) {
		saved = errno;
		free(np);
		errno = saved;
		return -1;
	}
	if (dest == LOG_DEST_FILE)
		close(fd);
	else if (dest == LOG_DEST_SYSLOG)
		closelog();
	free(path);
	path = np;
	fd = nfd;
	dest = LOG_DEST_FILE;
	return 0;
}

void
log_reopen(void)
{
	int	 nfd;

	if (dest != LOG_DEST_FILE)
		return;
	if ((nfd = open_file(path)) == -1) {
		log_warn("cannot reopen '%s'", path);
		return;
	}
	/* Keep the descriptor number: nothing else needs to learn it. */
	if (dup2(nfd, fd) == -1) {
		close(fd);
		fd = nfd;
		return;
	}
	close(nfd);
}

/*
 * Advance *n past what snprintf() reported writing into a buffer of room
 * bytes from *n; on truncation stop at the terminating NUL, so that *n
 * stays below room.
 */
static void
advance(size_t *n, int r, size_t room)
{
	if (r <= 0)
		return;
	if ((size_t)r >= room - *n)
		*n = room - 1;
	else
		*n += (size_t)r;
}

static void
vlog(int pri, const char *func, const char *fmt, va_list ap)
{
	char		 buf[LOG_MSGMAX];
	size_t		 n = 0, room;
	struct tm	 tm;
	time_t		 now;

	room = sizeof(buf) - 1;		/* keep one byte for the newline */
	if (dest == LOG_DEST_FILE) {
		now = time(NULL);
		gmtime_r(&now, &tm);
		n = strftime(buf, room, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	if (dest == LOG_DEST_FILE || (dest == LOG_DEST_STDERR && is_worker))
		advance(&n, snprintf(buf + n, room - n, "mbhttpd[%ld]: ",
		    (long)getpid()), room);
	else if (dest == LOG_DEST_STDERR)
		advance(&n, snprintf(buf + n, room - n, "mbhttpd: "), room);
	if (func != NULL)
		advance(&n, snprintf(buf + n, room - n, "%s: ", func), room);
	advance(&n, vsnprintf(buf + n, room - n, fmt, ap), room);

	if (dest == LOG_DEST_SYSLOG) {
		buf[n] = '\0';
		syslog(pri, "%s", buf);
		return;
	}
	buf[n++] = '\n';
	/* One write: a partial one is not retried, so lines never mix. */
	if (write(dest == LOG_DEST_FILE ? fd : STDERR_FILENO, buf, n) == -1) {
		/* Nowhere left to say so. */
	}
}

static void
logit(int pri, const char *func, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, func, fmt, ap);
	va_end(ap);
}

static void
vwarn(int pri, int errnum, const char *fmt, va_list ap)
{
	char	 msg[LOG_MSGMAX];

	if (errnum == 0) {
		vlog(pri, NULL, fmt, ap);
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	logit(pri, NULL, "%s: %s", msg, strerror(errnum));
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vwarn(LOG_ERR, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_debugf(const char *func, const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, func, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vwarn(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
