/*
 * sites.c - the master's reading of the metabase.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metabase.h"
#include "server/core/log.h"
#include "server/master/sites.h"

void
sitetab_release(struct sitetab *mi)
{
	size_t	 i;

	for (i = 0; i < mi->nsites; i++) {
		free(mi->sites[i].logdir);
		free(mi->sites[i].cert);
		free(mi->sites[i].key);
	}
	free(mi->b);
	free(mi->bsite);
	free(mi->sites);
	memset(mi, 0, sizeof(*mi));
}

static int
collect_binding(void *arg, const struct mb_binding *b, uint32_t site)
{
	struct sitetab	*mi = arg;
	void		*p;
	size_t		 cap;

	if (mi->nb == mi->capb) {
		cap = mi->capb ? 2 * mi->capb : 16;
		if ((p = realloc(mi->b, cap * sizeof(*mi->b))) == NULL)
			return ENOMEM;
		mi->b = p;
		if ((p = realloc(mi->bsite, cap * sizeof(*mi->bsite))) == NULL)
			return ENOMEM;
		mi->bsite = p;
		mi->capb = cap;
	}
	mi->b[mi->nb] = *b;
	mi->bsite[mi->nb++] = site;
	return 0;
}

static struct site *
find_site(struct sitetab *mi, uint32_t id)
{
	size_t	 i;

	for (i = 0; i < mi->nsites; i++)
		if (mi->sites[i].id == id)
			return &mi->sites[i];
	return NULL;
}

/* "text" or "text: detail" of a failed metabase call. */
static void
fail_msg(struct mb *mb, int rc, char *err, size_t errlen, const char *what)
{
	const char	*d = mb ? mb_errdetail(mb) : "";

	if (d != NULL && d[0] != '\0')
		snprintf(err, errlen, "%s: %s: %s", what, mb_strerror(rc), d);
	else
		snprintf(err, errlen, "%s: %s", what, mb_strerror(rc));
}

static int
read_pool(struct mb *mb, struct sb_pool *p, char *err, size_t errlen)
{
	static const enum mb_pid pids[4] = { MB_P_MINSPAREWORKERS,
	    MB_P_MAXSPAREWORKERS, MB_P_MAXWORKERS, MB_P_MAXREQUESTSPERWORKER };
	unsigned	*dst[4];
	struct mb_value	 v;
	int		 i, rc;

	dst[0] = &p->min_spare;
	dst[1] = &p->max_spare;
	dst[2] = &p->max_workers;
	dst[3] = &p->max_requests;
	for (i = 0; i < 4; i++) {
		rc = mb_prop_effective(mb, "/LM/W3SVC", &mb_schema[pids[i]],
		    &v);
		if (rc != 0) {
			fail_msg(mb, rc, err, errlen, "cannot read /LM/W3SVC");
			return -1;
		}
		*dst[i] = v.dword;
	}
	/* The schema keeps each in range; keep them consistent, as Apache. */
	if (p->max_workers < 1)
		p->max_workers = 1;
	if (p->max_workers > MB_MAXWORKERS)
		p->max_workers = MB_MAXWORKERS;
	if (p->min_spare > p->max_workers)
		p->min_spare = p->max_workers;
	if (p->max_spare <= p->min_spare)
		p->max_spare = p->min_spare + 1;
	return 0;
}

/* A copy of the effective string property pid at path, NULL if empty. */
static int
read_str(struct mb *mb, const char *path, enum mb_pid pid, char **out)
{
	struct mb_value	 v;

	*out = NULL;
	if (mb_prop_effective(mb, path, &mb_schema[pid], &v) != 0 ||
	    v.str == NULL || v.len == 0)
		return 0;
	return (*out = strdup(v.str)) == NULL ? -1 : 0;
}

/* The started sites among those with bindings, what they log to, and
 * their certificates. */
static int
read_sites(struct mb *mb, struct sitetab *mi, char *err, size_t errlen)
{
	char		 path[64], what[96];
	struct mb_value	 v;
	struct site	*s;
	size_t		 i, j, n;
	void		*p;
	int		 rc;

	for (i = 0; i < mi->nb; i++) {
		if (find_site(mi, mi->bsite[i]) != NULL)
			continue;
		snprintf(path, sizeof(path), "/LM/W3SVC/%lu",
		    (unsigned long)mi->bsite[i]);
		snprintf(what, sizeof(what), "cannot read %s", path);
		rc = mb_prop_effective(mb, path, &mb_schema[MB_P_SERVERSTATE],
		    &v);
		if (rc != 0) {
			fail_msg(mb, rc, err, errlen, what);
			return -1;
		}
		if (mi->nsites == mi->capsites) {
			n = mi->capsites ? 2 * mi->capsites : 8;
			if ((p = realloc(mi->sites, n * sizeof(*s))) == NULL)
				goto nomem;
			mi->sites = p;
			mi->capsites = n;
		}
		s = &mi->sites[mi->nsites++];
		memset(s, 0, sizeof(*s));
		s->id = mi->bsite[i];
		if (v.dword != MB_STATE_STARTED) {
			/* Stopped: marked so, dropped below. */
			s->logtype = UINT32_MAX;
			mi->nstopped++;
			continue;
		}
		rc = mb_prop_effective(mb, path, &mb_schema[MB_P_LOGTYPE], &v);
		if (rc == 0) {
			s->logtype = v.dword;
			rc = mb_prop_effective(mb, path,
			    &mb_schema[MB_P_LOGFILEDIRECTORY], &v);
		}
		if (rc != 0) {
			fail_msg(mb, rc, err, errlen, what);
			return -1;
		}
		if (v.str != NULL && (s->logdir = strdup(v.str)) == NULL)
			goto nomem;
	}
	/* The certificates of started sites with secure bindings. */
	for (i = 0; i < mi->nb; i++) {
		if (!mi->b[i].secure || (s = find_site(mi, mi->bsite[i])) ==
		    NULL || s->logtype == UINT32_MAX || s->secure)
			continue;
		s->secure = 1;
		snprintf(path, sizeof(path), "/LM/W3SVC/%lu",
		    (unsigned long)s->id);
		if (read_str(mb, path, MB_P_SSLCERTFILE, &s->cert) == -1 ||
		    read_str(mb, path, MB_P_SSLKEYFILE, &s->key) == -1)
			goto nomem;
	}

	/* Keep the bindings of started sites only; drop stopped sites. */
	for (i = j = 0; i < mi->nb; i++) {
		s = find_site(mi, mi->bsite[i]);
		if (s->logtype == UINT32_MAX)
			continue;
		mi->b[j] = mi->b[i];
		mi->bsite[j++] = mi->bsite[i];
	}
	mi->nb = j;
	for (i = j = 0; i < mi->nsites; i++) {
		if (mi->sites[i].logtype == UINT32_MAX)
			continue;
		mi->sites[j++] = mi->sites[i];
	}
	mi->nsites = j;
	return 0;

 nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/*
 * Open the metabase read-only, read what the master needs, close it
 * again: it is never open across fork().
 */
int
sitetab_read(const char *dir, struct sitetab *mi, char *err, size_t errlen)
{
	struct mb	*mb;
	char		 what[4200];
	int		 rc;

	memset(mi, 0, sizeof(*mi));
	snprintf(what, sizeof(what), "cannot open metabase '%s'", dir);
	if ((rc = mb_open(&mb, dir, MB_RDONLY)) != 0) {
		fail_msg(NULL, rc, err, errlen, what);
		return -1;
	}
	if ((rc = mb_begin(mb)) != 0) {
		fail_msg(mb, rc, err, errlen, what);
		goto close_mb;
	}
	snprintf(what, sizeof(what), "cannot read metabase '%s'", dir);
	if ((rc = mb_binding_each(mb, collect_binding, mi)) != 0) {
		fail_msg(mb, rc, err, errlen, what);
		goto end_txn;
	}
	if (read_sites(mb, mi, err, errlen) == -1 ||
	    read_pool(mb, &mi->pool, err, errlen) == -1)
		goto end_txn;
	mi->txnid = mb_txnid(mb);
	mb_end(mb);
	mb_close(mb);
	return 0;

 end_txn:
	mb_end(mb);
 close_mb:
	mb_close(mb);
	sitetab_release(mi);
	return -1;
}

/* Only the pool settings: each maintenance tick, to follow mbctl. */
int
sitetab_read_pool(const char *dir, struct sb_pool *p, uint64_t *txnid,
    char *err, size_t errlen)
{
	struct mb	*mb;
	int		 rc, ret = -1;

	if ((rc = mb_open(&mb, dir, MB_RDONLY)) != 0) {
		fail_msg(NULL, rc, err, errlen, "cannot open metabase");
		return -1;
	}
	if ((rc = mb_begin(mb)) != 0)
		fail_msg(mb, rc, err, errlen, "cannot read metabase");
	else {
		ret = read_pool(mb, p, err, errlen);
		*txnid = mb_txnid(mb);
		mb_end(mb);
	}
	mb_close(mb);
	return ret;
}

/*
 * Access-log directories: <LogFileDirectory>/W3SVC<id>, created now and
 * given to the workers' user, as they cannot create them under a
 * directory owned by root.
 */
void
sitetab_make_log_dirs(const struct sitetab *mi, const char *user, uid_t uid,
    gid_t gid)
{
	char		 path[4200];
	size_t		 i;

	for (i = 0; i < mi->nsites; i++) {
		const struct site *s = &mi->sites[i];

		if (s->logtype == 0 || s->logdir == NULL || s->logdir[0] != '/')
			continue;
		if (mkdir(s->logdir, 0755) == -1 && errno != EEXIST) {
			log_warn("cannot create '%s'", s->logdir);
			continue;
		}
		snprintf(path, sizeof(path), "%s/W3SVC%lu", s->logdir,
		    (unsigned long)s->id);
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			log_warn("cannot create '%s'", path);
			continue;
		}
		if (user != NULL && chown(path, uid, gid) == -1)
			log_warn("cannot give '%s' to user '%s'", path,
			    user);
	}
}

static int
autostart_site(void *arg, uint32_t id)
{
	struct mb	*mb = arg;
	struct mb_value	 v;
	char		 path[64];

	snprintf(path, sizeof(path), "/LM/W3SVC/%lu", (unsigned long)id);
	if (mb_prop_effective(mb, path, &mb_schema[MB_P_SERVERAUTOSTART],
	    &v) != 0 || v.dword)
		return 0;
	return mb_site_set_state(mb, id, MB_STATE_STOPPED);
}

/*
 * As IIS does when its service starts: a site whose ServerAutoStart is
 * FALSE stays stopped until an administrator starts it.  One transaction;
 * the metabase is closed again before anything forks.
 */
int
sitetab_autostart(const char *dir, char *err, size_t errlen)
{
	struct mb	*mb;
	int		 rc;

	if ((rc = mb_open(&mb, dir, 0)) != 0)
		return 0;	/* sitetab_read() says why */
	if ((rc = mb_write_begin(mb)) == 0) {
		rc = mb_site_each(mb, autostart_site, mb);
		rc = rc == 0 ? mb_write_commit(mb) : (mb_write_abort(mb), rc);
	}
	if (rc != 0)
		fail_msg(mb, rc, err, errlen, "cannot apply ServerAutoStart");
	mb_close(mb);
	return rc == 0 ? 0 : -1;
}

