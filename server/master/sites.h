/*
 * sites.h - what the master reads from the metabase: the bindings of the
 * started sites, their log folders, the pool settings.
 *
 * Every function opens the metabase read-only (or, for
 * sitetab_autostart(), for one write), reads one snapshot and closes it
 * again before returning: the master never holds an MDB_env across
 * fork() (lmdb.h).
 */
#ifndef SITES_H
#define SITES_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "metabase.h"
#include "server/core/scoreboard.h"

/* A started site: what the master needs to know of it. */
struct site {
	uint32_t	 id;
	uint32_t	 logtype;
	char		*logdir;	/* LogFileDirectory, or NULL */
	/* With secure bindings: SSLCertificateFile, SSLCertificateKeyFile
	 * (NULL when not set). */
	char		*cert, *key;
	int		 secure;	/* has SecureBindings */
};

struct sitetab {
	struct mb_binding *b;		/* bindings of started sites */
	uint32_t	*bsite;		/* b[i] belongs to site bsite[i] */
	size_t		 nb, capb;
	struct site	*sites;		/* started sites */
	size_t		 nsites, capsites;
	size_t		 nstopped;	/* sites with bindings, not started */
	struct sb_pool	 pool;		/* /LM/W3SVC's pool settings */
	uint64_t	 txnid;		/* the snapshot it was read from */
};

/*
 * Read the table from the metabase in dir.  Returns 0, or -1 with one
 * line in err ("cannot open metabase '/x': ...") and st empty.
 */
int	sitetab_read(const char *dir, struct sitetab *st, char *err,
	    size_t errlen);
/* Free what sitetab_read() allocated; st is then empty. */
void	sitetab_release(struct sitetab *st);
/*
 * Only the pool settings and the snapshot's transaction id: each
 * maintenance tick, to follow mbctl.  Returns 0, or -1 with err set.
 */
int	sitetab_read_pool(const char *dir, struct sb_pool *p, uint64_t *txnid,
	    char *err, size_t errlen);
/*
 * Create <LogFileDirectory>/W3SVC<id> for every started site that logs,
 * given to user (uid:gid) when user is not NULL, as the workers cannot
 * create them under a folder owned by root.  Failures are logged.
 */
void	sitetab_make_log_dirs(const struct sitetab *st, const char *user,
	    uid_t uid, gid_t gid);
/*
 * As IIS does when its service starts: stop every site whose
 * ServerAutoStart is FALSE, in one transaction.  Returns 0, or -1 with
 * err set; a metabase that does not open is left for sitetab_read() to
 * report.
 */
int	sitetab_autostart(const char *dir, char *err, size_t errlen);

#endif /* SITES_H */
