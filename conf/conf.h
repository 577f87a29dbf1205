/*
 * conf.h - the bootstrap file (mbhttpd.conf(5)): where the metabase is,
 * where the pid file and error log go, which user the workers run as.
 * Everything else lives in the metabase.  conf.c is the file's only
 * reader, for mbhttpd and for mbctl alike, so that both programs take the
 * same file the same way.
 */
#ifndef CONF_H
#define CONF_H

#include <sys/types.h>

#include <stddef.h>

/* The server's name and version, as the access logs' #Software names it. */
#define MBHTTPD_VERSION		"0.1"

/* The bootstrap file read when -f is not given (and $MBHTTPD_CONF unset). */
#define CONF_FILE		"/etc/mbhttpd/mbhttpd.conf"
/* The metabase directory when nothing names one; as mbctl's default. */
#define CONF_METABASE		"/var/lib/mbhttpd/metabase"
/* The pid file of a daemon started as root. */
#define CONF_PIDFILE		"/run/mbhttpd.pid"
/* The user the workers run as when started as root: Debian's web user. */
#define CONF_USER		"www-data"

struct conf {
	/* From the command line (main.c); kept across reloads. */
	char	*file;		/* bootstrap file, absolute */
	int	 file_given;	/* -f or $MBHTTPD_CONF: it must exist */
	char	*mb_arg;	/* -m or $MBHTTPD_METABASE, absolute, or NULL */
	int	 foreground;	/* -F */
	int	 test;		/* -t */
	int	 verbose;	/* -v */

	/* From the bootstrap file, defaults applied. */
	int	 file_found;	/* 0: the default file was missing */
	char	*metabase;	/* directory, absolute */
	char	*pid_file;	/* NULL: none (-F without a pid_file) */
	char	*error_log;	/* NULL: syslog */
	char	*user;		/* NULL when not started as root */
	char	*group;		/* NULL when not started as root */

	/* Resolved from user and group when started as root. */
	int	 drop;		/* workers change to uid/gid */
	uid_t	 uid;
	gid_t	 gid;
};

/* Set every field to its empty value; allocates nothing. */
void	conf_init(struct conf *);
/* Free the strings; the struct can then be loaded again. */
void	conf_release(struct conf *);
/*
 * Copy the command-line fields of src into dst (initialised): what a
 * reload (SIGHUP) starts from.  Returns 0, or -1 when out of memory.
 */
int	conf_copy_args(struct conf *dst, const struct conf *src);
/*
 * Make path absolute against the working directory, as the daemon
 * changes to "/": a newly allocated string, or NULL when out of memory.
 */
char	*conf_abspath(const char *path);
/*
 * Read cf->file (a missing file is an error only if cf->file_given),
 * apply the defaults and the -m override, and look up user and group
 * when running as root.  Returns 0, or -1 with one line in err naming
 * the file and line where it can ("/etc/mbhttpd/mbhttpd.conf:3: syntax
 * error"); on failure cf keeps only its command-line fields.
 */
int	conf_load(struct conf *cf, char *err, size_t errlen);
/*
 * Only the metabase directory, for mbctl, which needs nothing else of the
 * file: read and checked as conf_load() reads it (a missing file is an
 * error only if file_given), but with no defaults beyond this one and no
 * user or group looked up.  Returns the "metabase" setting, else
 * CONF_METABASE, in a newly allocated string the caller frees; or NULL
 * with one line in err, as conf_load() words it.
 */
char	*conf_metabase(const char *file, int file_given, char *err,
	    size_t errlen);

#endif /* CONF_H */
