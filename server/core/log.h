/*
 * log.h - the error log, as OpenBSD httpd's log.c.
 *
 * Messages go to stderr until log_open() is called (startup, and always
 * with -F), then to the error_log file, or to syslog(3) (facility daemon)
 * when the bootstrap file names none.  Each message is formatted whole and
 * written with one write(2), so lines from several processes never mix.
 * On stderr a message reads "mbhttpd: text" ("mbhttpd[pid]: text" in a
 * worker); in the file "2024-05-01T12:00:00Z mbhttpd[pid]: text".
 */
#ifndef LOG_H
#define LOG_H

#include <sys/types.h>

#if defined(__GNUC__)
#define LOG_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define LOG_NORETURN		__attribute__((noreturn))
#else
#define LOG_PRINTF(f, a)
#define LOG_NORETURN
#endif

/* Log to stderr; verbose non-zero lets log_debug() through. */
void	log_init(int verbose);
/*
 * Log to the file path (opened O_APPEND, created mode 0644), or to syslog
 * when path is NULL.  Returns 0, or -1 with errno set and the previous
 * destination kept: ELOOP for a symbolic link, EINVAL for a file that
 * is not regular, EPERM for one with other hard links or of another user
 * than ours and uid's.  When uid is not (uid_t)-1 the file is given to that
 * user and gid, so that a worker that has dropped privileges can reopen it
 * on SIGUSR1 (nginx does the same).
 */
int	log_open(const char *path, uid_t uid, gid_t gid);
/*
 * Reopen the file by its path after it was rotated (SIGUSR1); a no-op on
 * stderr and syslog.  On failure the old descriptor stays in use and a
 * warning is logged.
 */
void	log_reopen(void);
/* Tag the messages of this process as a worker's (with its pid). */
void	log_procinit(void);
/* Non-zero when log_debug() messages are written. */
int	log_getverbose(void);

/* "text: strerror(errno)" */
void	log_warn(const char *, ...) LOG_PRINTF(1, 2);
/* "text" */
void	log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void	log_info(const char *, ...) LOG_PRINTF(1, 2);
/* Only with -v; call it through log_debug() for the function's name. */
void	log_debugf(const char *, const char *, ...) LOG_PRINTF(2, 3);
#define log_debug(...)	log_debugf(__func__, __VA_ARGS__)
/* Log as log_warn() or log_warnx(), then exit(1). */
void	fatal(const char *, ...) LOG_PRINTF(1, 2) LOG_NORETURN;
void	fatalx(const char *, ...) LOG_PRINTF(1, 2) LOG_NORETURN;

#endif /* LOG_H */
