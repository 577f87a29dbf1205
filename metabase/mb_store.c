/*
 * mb_store.c - the environment, transactions, keys and properties.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "mb_int.h"

/* Files smaller than LMDB's two meta pages cannot be a metabase. */
#define MB_MINFILE	8192

int
mb_seterr(struct mb *mb, int rc, const char *fmt, ...)
{
	va_list	 ap;

	if (mb != NULL) {
		va_start(ap, fmt);
		vsnprintf(mb->err, sizeof(mb->err), fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* The sentence about the last mb_open() that failed. */
static char	open_err[MB_ERRLEN];

const char *
mb_errdetail(const struct mb *mb)
{
	return mb != NULL ? mb->err : open_err;
}

const char *
mb_strerror(int rc)
{
	switch (rc) {
	case MB_NOTFOUND:
		return "no such key or property";
	case MB_NOPROP:
		return "unknown property";
	case MB_BADVALUE:
		return "invalid value";
	case MB_BADKEY:
		return "invalid key path";
	case MB_BADKIND:
		return "property not allowed on this kind of key";
	case MB_EXISTS:
		return "already exists";
	case MB_NOMETABASE:
		return "no metabase here (run 'mbctl init')";
	case MB_DAMAGED:
		return "not an mbhttpd metabase, or damaged";
	case MB_CONFLICT:
		return "binding already used by another site";
	case MB_NOTXN:
		return "no transaction open";
	case MDB_MAP_FULL:
		return "metabase full";
	}
	return mdb_strerror(rc);
}

/* Paths. */

static int
name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > MB_MAXNAME || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* A site id: 1 .. 4294967295, decimal, no leading zero. */
static int
siteid_ok(const char *s, size_t n)
{
	unsigned long long v = 0;
	size_t	 i;

	if (n == 0 || n > 10 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v <= UINT32_MAX;
}

static int
seg_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

int
mb_path_internal(struct mb *mb, const char *path, char canon[MB_MAXPATH + 1],
    char ikey[MB_MAXPATH + 1], size_t *ilen)
{
	const char	*p, *seg;
	size_t		 n, len = 0, depth = 0;
	int		 kind = MB_KIND_ROOT;

	/* Every call that names a key starts with no sentence: a failure
	 * without one of its own must not show an older one. */
	if (mb != NULL)
		mb->err[0] = '\0';
	if (path[0] == '/') {
		if (strncasecmp(path, "/LM", 3) != 0 ||
		    (path[3] != '\0' && path[3] != '/'))
			return mb_seterr(mb, MB_BADKEY, "key '%s' is outside /LM", path);
		p = path + 3;
	} else
		p = path;		/* relative to /LM */
	memcpy(canon, "/LM", 3);
	len = 3;
	while (*p != '\0') {
		if (*p == '/')
			p++;
		if (*p == '\0' && p[-1] == '/' && p - 1 > path)
			break;		/* one trailing slash is fine */
		seg = p;
		n = strcspn(p, "/");
		p += n;
		if (!name_ok(seg, n))
			return mb_seterr(mb, MB_BADKEY, "invalid key path '%s'", path);
		if (len + 1 + n > MB_MAXPATH)
			return mb_seterr(mb, MB_BADKEY, "key path '%s' is too long", path);
		/* Deeper keys would exist that requests never reach. */
		if (++depth >= MB_MAXDEPTH)
			return mb_seterr(mb, MB_BADKEY, "key path '%s' is too deep: at most %d levels", path, MB_MAXDEPTH - 1);
		switch (depth) {
		case 1:
			if (seg_is(seg, n, "W3SVC"))
				kind = MB_KIND_SERVICE;
			else if (seg_is(seg, n, "MimeMap"))
				kind = MB_KIND_MIMEMAP;
			else
				goto nokind;
			break;
		case 2:
			if (kind != MB_KIND_SERVICE || !siteid_ok(seg, n))
				goto nokind;
			kind = MB_KIND_SITE;
			break;
		case 3:
			if (!seg_is(seg, n, "ROOT"))
				goto nokind;
			kind = MB_KIND_VDIR;
			break;
		}
		canon[len++] = '/';
		memcpy(canon + len, seg, n);
		len += n;
	}
	canon[len] = '\0';
	for (n = 0; n < len; n++)
		ikey[n] = canon[n] == '/' ? MB_SEP : tolower((unsigned char)canon[n]);
	ikey[len] = '\0';
	*ilen = len;
	return kind;

 nokind:
	return mb_seterr(mb, MB_BADKEY, "invalid key '%s': keys are /LM, /LM/W3SVC, /LM/W3SVC/<site id>, /LM/W3SVC/<site id>/ROOT and below, /LM/MimeMap", path);
}

int
mb_path_canon(const char *path, char out[MB_MAXPATH + 1])
{
	char	 ikey[MB_MAXPATH + 1];
	size_t	 ilen;

	return mb_path_internal(NULL, path, out, ikey, &ilen);
}

/* The environment. */

/*
 * Open the four databases; create them (and the format mark) only for
 * MB_CREATE, so that opening some other LMDB file never turns it into a
 * metabase.  The transaction commits even when read-only: that is what
 * keeps the handles for later transactions.
 */
static int
open_dbis(struct mb *mb, int create)
{
	MDB_txn		*txn;
	MDB_val		 k = { 6, "format" }, v;
	unsigned	 f = create ? MDB_CREATE : 0;
	int		 rc;

	if ((rc = mdb_txn_begin(mb->env, NULL, create ? 0 : MDB_RDONLY,
	    &txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, "meta", f, &mb->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "keys", f, &mb->keys)) != 0 ||
	    (rc = mdb_dbi_open(txn, "props", f, &mb->props)) != 0 ||
	    (rc = mdb_dbi_open(txn, "bindings", f, &mb->bindings)) != 0)
		goto abort;
	rc = mdb_get(txn, mb->meta, &k, &v);
	if (rc == MDB_NOTFOUND && create) {
		v.mv_data = MB_FORMAT;
		v.mv_size = strlen(MB_FORMAT);
		rc = mdb_put(txn, mb->meta, &k, &v, 0);
	} else if (rc == 0 && (v.mv_size != strlen(MB_FORMAT) ||
	    memcmp(v.mv_data, MB_FORMAT, v.mv_size) != 0))
		rc = MB_DAMAGED;
	if (rc != 0)
		goto abort;
	return mdb_txn_commit(txn);

 abort:
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
		rc = MB_DAMAGED;
	return rc;
}

/*
 * Reading a mapped page past the end of the file is SIGBUS, and LMDB
 * reads the pages the meta page points to without checking the file size:
 * a truncated data.mdb would crash every process opening it.  So refuse a
 * file that ends before the last page the meta page counts.  Only
 * mb_open() and mb_restore() call this, before the first read of a page.
 * A writer pads the file right after each commit (cover_pages()), so a
 * sound file is short only for the moment between the two: mb_open()
 * looks again before it gives up.
 */
static int
check_size(MDB_env *env)
{
	MDB_envinfo	 ei;
	MDB_stat	 ms;
	struct stat	 st;
	int		 fd, rc;

	if ((rc = mdb_env_get_fd(env, &fd)) != 0 ||
	    (rc = mdb_env_info(env, &ei)) != 0 ||
	    (rc = mdb_env_stat(env, &ms)) != 0)
		return rc;
	if (fstat(fd, &st) == -1)
		return errno;
	if (ms.ms_psize == 0 ||
	    (uintmax_t)st.st_size / ms.ms_psize <= (uintmax_t)ei.me_last_pgno)
		return MB_DAMAGED;
	return 0;
}

/*
 * LMDB does not write the pages a transaction allocated and then freed
 * again, so after a commit data.mdb may end before the last page the meta
 * page counts (mdb_env_copyfd0() allows for it), and check_size() would
 * take a sound metabase for a truncated one.  Extend the file over those
 * pages after each commit.  The write transaction holds the writer lock,
 * so no other process is extending the file meanwhile; the pages are
 * free, so zeros do no harm.
 */
static int
cover_pages(struct mb *mb)
{
	MDB_txn		*txn;
	MDB_envinfo	 ei;
	MDB_stat	 ms;
	struct stat	 st;
	off_t		 need;
	int		 fd, rc;

	if ((rc = mdb_txn_begin(mb->env, NULL, 0, &txn)) != 0)
		return rc;
	if ((rc = mdb_env_get_fd(mb->env, &fd)) == 0 &&
	    (rc = mdb_env_info(mb->env, &ei)) == 0 &&
	    (rc = mdb_env_stat(mb->env, &ms)) == 0) {
		need = (off_t)(ei.me_last_pgno + 1) * (off_t)ms.ms_psize;
		if (fstat(fd, &st) == -1 ||
		    (st.st_size < need && ftruncate(fd, need) == -1))
			rc = errno;
	}
	mdb_txn_abort(txn);
	return rc;
}

/*
 * Make data.mdb reach MB_PAD_PAGES past the last page in use.  Called in
 * a write transaction: no other process extends the file meanwhile.  The
 * new end is a hole, free pages to LMDB: it costs no disk until written.
 */
static int
pad_ahead(struct mb *mb)
{
	MDB_envinfo	 ei;
	MDB_stat	 ms;
	struct stat	 st;
	off_t		 need;
	int		 fd, rc;

	if ((rc = mdb_env_get_fd(mb->env, &fd)) != 0 ||
	    (rc = mdb_env_info(mb->env, &ei)) != 0 ||
	    (rc = mdb_env_stat(mb->env, &ms)) != 0)
		return rc;
	need = (off_t)(ei.me_last_pgno + 1 + MB_PAD_PAGES) *
	    (off_t)ms.ms_psize;
	if ((off_t)ei.me_mapsize < need)
		need = (off_t)ei.me_mapsize;
	if (fstat(fd, &st) == -1)
		return errno;
	if (st.st_size < need && ftruncate(fd, need) == -1)
		return errno;
	return 0;
}

static int
mkdir_p(const char *dir)
{
	char	 buf[PATH_MAX], *p;

	if (strlen(dir) >= sizeof(buf))
		return ENAMETOOLONG;
	strcpy(buf, dir);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) == -1 && errno != EEXIST)
		return errno;
	return 0;
}

int
mb_open(struct mb **mbp, const char *dir, unsigned flags)
{
	struct mb	*mb;
	struct stat	 st;
	char		 file[PATH_MAX];
	struct timespec	 pause = { 0, 10 * 1000 * 1000 };
	int		 rc, dead, tries;

	*mbp = NULL;
	if ((mb = calloc(1, sizeof(*mb))) == NULL)
		return ENOMEM;
	mb->flags = flags;
	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	if (flags & MB_CREATE) {
		if ((rc = mkdir_p(dir)) != 0) {
			mb_seterr(mb, rc, "cannot create '%s': %s", dir, strerror(rc));
			goto fail;
		}
	} else if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    stat(file, &st) == -1) {
		rc = MB_NOMETABASE;
		mb_seterr(mb, rc, "no metabase in '%s' (create one with 'mbctl init')", dir);
		goto fail;
	} else if (st.st_size < MB_MINFILE) {
		rc = MB_DAMAGED;
		mb_seterr(mb, rc, "metabase '%s' is damaged: data.mdb is too short", dir);
		goto fail;
	}
	if ((rc = mdb_env_create(&mb->env)) != 0 ||
	    (rc = mdb_env_set_maxreaders(mb->env, MB_MAXREADERS)) != 0 ||
	    (rc = mdb_env_set_maxdbs(mb->env, 4)) != 0 ||
	    (rc = mdb_env_set_mapsize(mb->env, MB_MAPSIZE)) != 0)
		goto fail;
	rc = mdb_env_open(mb->env, dir,
	    MDB_NOTLS | ((flags & MB_RDONLY) ? MDB_RDONLY : 0), 0644);
	if (rc != 0) {
		if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
		    rc == MDB_CORRUPTED) {
			rc = MB_DAMAGED;
			mb_seterr(mb, rc, "metabase '%s' is damaged or not an LMDB file", dir);
		} else
			mb_seterr(mb, rc, "cannot open metabase '%s': %s", dir, mb_strerror(rc));
		goto fail;
	}
	/* A commit may be between its write and its padding: wait it out. */
	for (tries = 0; (rc = check_size(mb->env)) == MB_DAMAGED &&
	    tries < MB_SHORT_TRIES; tries++)
		nanosleep(&pause, NULL);
	if (rc != 0) {
		if (rc == MB_DAMAGED)
			mb_seterr(mb, rc, "metabase '%s' is damaged: data.mdb is truncated", dir);
		goto fail;
	}
	/* Clear the reader slots of processes that died holding one. */
	mdb_reader_check(mb->env, &dead);
	if ((rc = open_dbis(mb, (flags & MB_CREATE) != 0)) != 0) {
		if (rc == MB_DAMAGED)
			mb_seterr(mb, rc, "'%s' is not an mbhttpd metabase, or it is damaged", dir);
		else
			mb_seterr(mb, rc, "cannot open metabase '%s': %s", dir, mb_strerror(rc));
		goto fail;
	}
	if ((flags & MB_CREATE) && (rc = cover_pages(mb)) != 0)
		goto fail;
	/* One read transaction and cursor, kept for every mb_begin(). */
	if ((rc = mdb_txn_begin(mb->env, NULL, MDB_RDONLY, &mb->rtxn)) != 0 ||
	    (rc = mdb_cursor_open(mb->rtxn, mb->props, &mb->rcur)) != 0)
		goto fail;
	mdb_txn_reset(mb->rtxn);
	*mbp = mb;
	return 0;

 fail:
	if (mb->err[0] == '\0')
		mb_seterr(mb, rc, "cannot open metabase '%s': %s", dir, mb_strerror(rc));
	/* Keep the sentence for the caller: it has no handle to ask. */
	memcpy(open_err, mb->err, sizeof(open_err));
	mb_close(mb);
	return rc;
}

void
mb_close(struct mb *mb)
{
	if (mb == NULL)
		return;
	if (mb->wtxn != NULL)
		mdb_txn_abort(mb->wtxn);
	if (mb->rcur != NULL)
		mdb_cursor_close(mb->rcur);
	if (mb->rtxn != NULL)
		mdb_txn_abort(mb->rtxn);
	if (mb->env != NULL)
		mdb_env_close(mb->env);
	free(mb);
}

/* Transactions. */

int
mb_begin(struct mb *mb)
{
	int	 rc;

	if (mb->ractive)
		return 0;
	rc = mdb_txn_renew(mb->rtxn);
	if (rc == MDB_MAP_RESIZED) {
		/* Another process grew the map: adopt its size, retry once. */
		if ((rc = mdb_env_set_mapsize(mb->env, 0)) == 0)
			rc = mdb_txn_renew(mb->rtxn);
	}
	if (rc != 0)
		return rc;
	if ((rc = mdb_cursor_renew(mb->rtxn, mb->rcur)) != 0) {
		mdb_txn_reset(mb->rtxn);
		return rc;
	}
	mb->ractive = 1;
	return 0;
}

void
mb_end(struct mb *mb)
{
	if (mb->ractive) {
		mdb_txn_reset(mb->rtxn);
		mb->ractive = 0;
	}
}

uint64_t
mb_txnid(const struct mb *mb)
{
	if (mb->wtxn != NULL)
		return mdb_txn_id(mb->wtxn);
	if (mb->ractive)
		return mdb_txn_id(mb->rtxn);
	return 0;
}

MDB_txn *
mb_txn(struct mb *mb)
{
	if (mb->wtxn != NULL)
		return mb->wtxn;
	return mb->ractive ? mb->rtxn : NULL;
}

int
mb_write_begin(struct mb *mb)
{
	int	 rc;

	if (mb->flags & MB_RDONLY)
		return EACCES;
	if (mb->wtxn != NULL)
		return mb_seterr(mb, EBUSY, "a write transaction is already open");
	mb_end(mb);
	mb->err[0] = '\0';
	rc = mdb_txn_begin(mb->env, NULL, 0, &mb->wtxn);
	if (rc == MDB_MAP_RESIZED) {
		if ((rc = mdb_env_set_mapsize(mb->env, 0)) == 0)
			rc = mdb_txn_begin(mb->env, NULL, 0, &mb->wtxn);
	}
	if (rc != 0)
		mb->wtxn = NULL;
	return rc;
}

int
mb_write_commit(struct mb *mb)
{
	int	 rc;

	if (mb->wtxn == NULL)
		return MB_NOTXN;
	/*
	 * Extend the file ahead of the commit, while we hold the writer
	 * lock, so that a writer killed between its commit and
	 * cover_pages() leaves a sound file, unless this one transaction
	 * took more than MB_PAD_PAGES new pages.
	 */
	(void)pad_ahead(mb);
	rc = mdb_txn_commit(mb->wtxn);
	mb->wtxn = NULL;
	if (rc != 0)
		return mb_seterr(mb, rc, "cannot commit: %s", mb_strerror(rc));
	/*
	 * The commit stands even if this fails; the next commit retries,
	 * and meanwhile mb_open() may call the file truncated.
	 */
	if (rc == 0)
		(void)cover_pages(mb);
	return rc;
}

void
mb_write_abort(struct mb *mb)
{
	if (mb->wtxn != NULL) {
		mdb_txn_abort(mb->wtxn);
		mb->wtxn = NULL;
	}
}

int
mb_wbegin(struct mb *mb, int *own)
{
	int	 rc;

	*own = 0;
	if (mb->wtxn != NULL)
		return 0;
	if ((rc = mb_write_begin(mb)) != 0)
		return rc;
	*own = 1;
	return 0;
}

int
mb_wend(struct mb *mb, int own, int rc)
{
	if (!own)
		return rc;
	if (rc == 0)
		return mb_write_commit(mb);
	mb_write_abort(mb);
	return rc;
}

/* Keys. */

static int
key_get(struct mb *mb, MDB_txn *txn, const char *ikey, size_t ilen)
{
	MDB_val	 k = { ilen, (void *)ikey }, v;

	return mdb_get(txn, mb->keys, &k, &v);
}

int
mb_key_exists(struct mb *mb, const char *path)
{
	char	 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 1];
	size_t	 ilen;
	MDB_txn	*txn;
	int	 rc;

	if ((rc = mb_path_internal(mb, path, canon, ikey, &ilen)) < 0)
		return rc;
	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	rc = key_get(mb, txn, ikey, ilen);
	if (rc == MDB_NOTFOUND)
		return mb_seterr(mb, MB_NOTFOUND, "no key '%s'", canon);
	return rc;
}

int
mb_key_create(struct mb *mb, const char *path)
{
	char	 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 1];
	size_t	 ilen, n;
	MDB_val	 k, v;
	int	 rc, own;

	if ((rc = mb_path_internal(mb, path, canon, ikey, &ilen)) < 0)
		return rc;
	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	rc = key_get(mb, mb->wtxn, ikey, ilen);
	if (rc == 0) {
		rc = mb_seterr(mb, MB_EXISTS, "key '%s' already exists", canon);
		goto out;
	}
	/*
	 * Create every missing key from /LM down, like mkdir -p.  A new key
	 * is stored below its parent's path as stored, so that each name
	 * keeps the case it was created with.
	 */
	for (n = 1; n <= ilen; n++) {
		if (n < ilen && ikey[n] != MB_SEP)
			continue;
		k.mv_data = ikey;
		k.mv_size = n;
		rc = mdb_get(mb->wtxn, mb->keys, &k, &v);
		if (rc == 0 && v.mv_size == n) {
			memcpy(canon, v.mv_data, n);
			continue;
		}
		if (rc != 0 && rc != MDB_NOTFOUND)
			break;
		v.mv_data = canon;
		v.mv_size = n;
		if ((rc = mdb_put(mb->wtxn, mb->keys, &k, &v, 0)) != 0)
			break;
	}
 out:
	return mb_wend(mb, own, rc);
}

/* Delete the properties of one key (ikey, ilen). */
static int
props_delete(struct mb *mb, MDB_txn *txn, const char *ikey, size_t ilen,
    const char *canon)
{
	MDB_cursor	*c;
	MDB_val		 k, v;
	char		 pre[MB_MAXPATH + 2];
	struct mb_value	 old;
	int		 rc, pid;

	memcpy(pre, ikey, ilen);
	pre[ilen] = '\0';
	if ((rc = mdb_cursor_open(txn, mb->props, &c)) != 0)
		return rc;
	k.mv_data = pre;
	k.mv_size = ilen + 1;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != ilen + 5 || memcmp(k.mv_data, pre, ilen + 1))
			break;
		pid = mb_pid_of(((uint32_t)((unsigned char *)k.mv_data)[ilen + 1] << 24) |
		    ((uint32_t)((unsigned char *)k.mv_data)[ilen + 2] << 16) |
		    ((uint32_t)((unsigned char *)k.mv_data)[ilen + 3] << 8) |
		    ((unsigned char *)k.mv_data)[ilen + 4]);
		if (pid == MB_P_SERVERBINDINGS) {
			mb_decode(&mb_schema[pid], &v, &old);
			if ((rc = mb_bindings_update(mb, txn, canon, &old,
			    NULL)) != 0)
				break;
		}
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
mb_key_delete(struct mb *mb, const char *path)
{
	char		 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 1];
	char		 ck[MB_MAXPATH + 1], cc[MB_MAXPATH + 1];
	size_t		 ilen, cl;
	MDB_cursor	*c = NULL;
	MDB_val		 k, v;
	int		 rc, own;

	if ((rc = mb_path_internal(mb, path, canon, ikey, &ilen)) < 0)
		return rc;
	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	if ((rc = key_get(mb, mb->wtxn, ikey, ilen)) != 0) {
		if (rc == MDB_NOTFOUND)
			rc = mb_seterr(mb, MB_NOTFOUND, "no key '%s'", canon);
		goto out;
	}
	if ((rc = mdb_cursor_open(mb->wtxn, mb->keys, &c)) != 0)
		goto out;
	k.mv_data = ikey;
	k.mv_size = ilen;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < ilen || memcmp(k.mv_data, ikey, ilen) != 0 ||
		    (k.mv_size > ilen && ((char *)k.mv_data)[ilen] != MB_SEP))
			break;
		/* A damaged file may hold anything: never trust a size. */
		if (k.mv_size > MB_MAXPATH || v.mv_size > MB_MAXPATH) {
			rc = MB_DAMAGED;
			break;
		}
		cl = k.mv_size;
		memcpy(ck, k.mv_data, cl);
		memcpy(cc, v.mv_data, v.mv_size);
		cc[v.mv_size] = '\0';
		if ((rc = props_delete(mb, mb->wtxn, ck, cl, cc)) != 0)
			break;
		/* /LM itself stays: deleting it empties the tree. */
		if (cl == 3)
			continue;
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(c);
 out:
	return mb_wend(mb, own, rc);
}

static int
key_iter(struct mb *mb, const char *path, int children,
    int (*fn)(void *, const char *), void *arg)
{
	char		 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 2];
	char		 seek[MB_MAXPATH + 2], shown[MB_MAXPATH + 1];
	size_t		 ilen, sl;
	MDB_cursor	*c;
	MDB_txn		*txn;
	MDB_val		 k, v;
	int		 rc;

	if ((rc = mb_path_internal(mb, path, canon, ikey, &ilen)) < 0)
		return rc;
	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	if ((rc = key_get(mb, txn, ikey, ilen)) != 0)
		return rc == MDB_NOTFOUND ?
		    mb_seterr(mb, MB_NOTFOUND, "no key '%s'", canon) : rc;
	if ((rc = mdb_cursor_open(txn, mb->keys, &c)) != 0)
		return rc;
	memcpy(seek, ikey, ilen);
	sl = ilen;
	if (children)
		seek[sl++] = MB_SEP;
	k.mv_data = seek;
	k.mv_size = sl;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;) {
		if (k.mv_size < ilen || memcmp(k.mv_data, ikey, ilen) != 0 ||
		    (k.mv_size > ilen && ((char *)k.mv_data)[ilen] != MB_SEP))
			break;
		if (children && memchr((char *)k.mv_data + ilen + 1, MB_SEP,
		    k.mv_size - ilen - 1) != NULL) {
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
			continue;
		}
		/* A damaged file may hold anything: never trust a size. */
		if (k.mv_size > MB_MAXPATH || v.mv_size > MB_MAXPATH) {
			rc = MB_DAMAGED;
			break;
		}
		/* Copy: fn may read, and the key must survive it. */
		memcpy(shown, v.mv_data, v.mv_size);
		shown[v.mv_size] = '\0';
		memcpy(seek, k.mv_data, k.mv_size);
		sl = k.mv_size;
		if ((rc = fn(arg, shown)) != 0)
			goto out;
		if (children) {
			/* Skip the child's subtree: all of it sorts below. */
			seek[sl++] = MB_SEP + 1;
			k.mv_data = seek;
			k.mv_size = sl;
			rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		} else {
			k.mv_data = seek;
			k.mv_size = sl;
			rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
			if (rc == 0)
				rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
 out:
	mdb_cursor_close(c);
	return rc;
}

int
mb_key_children(struct mb *mb, const char *path,
    int (*fn)(void *, const char *), void *arg)
{
	return key_iter(mb, path, 1, fn, arg);
}

int
mb_key_walk(struct mb *mb, const char *path,
    int (*fn)(void *, const char *), void *arg)
{
	return key_iter(mb, path, 0, fn, arg);
}

/* Properties. */

static void
prop_key(char *buf, const char *ikey, size_t ilen, uint32_t id)
{
	memcpy(buf, ikey, ilen);
	buf[ilen] = '\0';
	buf[ilen + 1] = id >> 24;
	buf[ilen + 2] = id >> 16;
	buf[ilen + 3] = id >> 8;
	buf[ilen + 4] = id;
}

void
mb_decode(const struct mb_prop *p, const MDB_val *data, struct mb_value *out)
{
	out->dword = 0;
	out->str = NULL;
	out->len = 0;
	switch (p->type) {
	case MB_BOOL:
	case MB_DWORD:
		if (data->mv_size == sizeof(uint32_t))
			memcpy(&out->dword, data->mv_data, sizeof(uint32_t));
		break;
	case MB_STRING:
		/* Stored with its NUL; a damaged value reads as empty. */
		if (data->mv_size > 0 &&
		    ((char *)data->mv_data)[data->mv_size - 1] == '\0') {
			out->str = data->mv_data;
			out->len = data->mv_size - 1;
		} else
			out->str = "";
		break;
	case MB_MULTISZ:
		if (data->mv_size > 0 &&
		    ((char *)data->mv_data)[data->mv_size - 1] == '\0') {
			out->str = data->mv_data;
			out->len = data->mv_size;
		}
		break;
	}
}

int
mb_rawget(struct mb *mb, MDB_txn *txn, const char *ikey, size_t ilen,
    uint32_t id, struct mb_value *out)
{
	char	 buf[MB_MAXPATH + 6];
	MDB_val	 k = { ilen + 5, buf }, v;
	int	 rc, pid;

	if ((pid = mb_pid_of(id)) < 0)
		return MB_NOPROP;
	prop_key(buf, ikey, ilen, id);
	if ((rc = mdb_get(txn, mb->props, &k, &v)) != 0)
		return rc;
	mb_decode(&mb_schema[pid], &v, out);
	return 0;
}

static void
set_default(const struct mb_prop *p, struct mb_value *out)
{
	out->dword = p->dflt;
	out->str = p->dflt_str != NULL ? p->dflt_str : "";
	out->len = p->dflt_str != NULL ? strlen(p->dflt_str) : 0;
	if (p->type == MB_MULTISZ)
		out->str = NULL;
	out->origin = MB_ORIGIN_DEFAULT;
}

/*
 * Origins are prefix lengths of the path the caller gave, and a relative
 * path leaves out the "/LM/" that canonical lengths count.
 */
static int
origin_in(const char *path, size_t canonlen)
{
	if (path[0] == '/')
		return (int)canonlen;
	return canonlen > 3 ? (int)canonlen - 4 : 0;
}

int
mb_prop_get(struct mb *mb, const char *path, const struct mb_prop *p,
    struct mb_value *out)
{
	char	 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 1];
	size_t	 ilen;
	MDB_txn	*txn;
	int	 rc;

	if ((rc = mb_path_internal(mb, path, canon, ikey, &ilen)) < 0)
		return rc;
	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	rc = mb_rawget(mb, txn, ikey, ilen, p->id, out);
	if (rc == MDB_NOTFOUND)
		return mb_seterr(mb, MB_NOTFOUND, "%s is not set at '%s'", p->name, canon);
	out->origin = origin_in(path, ilen);
	return rc;
}

int
mb_prop_effective(struct mb *mb, const char *path, const struct mb_prop *p,
    struct mb_value *out)
{
	char	 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 1];
	size_t	 ilen, n;
	MDB_txn	*txn;
	int	 rc;

	if ((rc = mb_path_internal(mb, path, canon, ikey, &ilen)) < 0)
		return rc;
	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	if ((rc = key_get(mb, txn, ikey, ilen)) != 0)
		return rc == MDB_NOTFOUND ?
		    mb_seterr(mb, MB_NOTFOUND, "no key '%s'", canon) : rc;
	for (n = ilen; n > 0; n--) {
		if (n < ilen && ikey[n] != MB_SEP)
			continue;
		rc = mb_rawget(mb, txn, ikey, n, p->id, out);
		if (rc == 0) {
			out->origin = origin_in(path, n);
			return 0;
		}
		if (rc != MDB_NOTFOUND)
			return rc;
		if (!p->inherit)
			break;
	}
	if (p->id == mb_schema[MB_P_MIMEMAP].id) {
		rc = mb_rawget(mb, txn, "\1lm\1mimemap", 11, p->id, out);
		if (rc == 0) {
			out->origin = MB_ORIGIN_MIMEMAP;
			return 0;
		}
		if (rc != MDB_NOTFOUND)
			return rc;
	}
	set_default(p, out);
	return 0;
}

int
mb_prop_each(struct mb *mb, const char *path,
    int (*fn)(void *, const struct mb_prop *, const struct mb_value *),
    void *arg)
{
	char		 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 6];
	size_t		 ilen;
	MDB_cursor	*c;
	MDB_txn		*txn;
	MDB_val		 k, v;
	struct mb_value	 val;
	const unsigned char *kp;
	int		 rc, pid;

	if ((rc = mb_path_internal(mb, path, canon, ikey, &ilen)) < 0)
		return rc;
	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	if ((rc = key_get(mb, txn, ikey, ilen)) != 0)
		return rc == MDB_NOTFOUND ?
		    mb_seterr(mb, MB_NOTFOUND, "no key '%s'", canon) : rc;
	if ((rc = mdb_cursor_open(txn, mb->props, &c)) != 0)
		return rc;
	ikey[ilen] = '\0';
	k.mv_data = ikey;
	k.mv_size = ilen + 1;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != ilen + 5 || memcmp(k.mv_data, ikey, ilen + 1))
			break;
		kp = (const unsigned char *)k.mv_data + ilen + 1;
		pid = mb_pid_of((uint32_t)kp[0] << 24 | (uint32_t)kp[1] << 16 |
		    (uint32_t)kp[2] << 8 | kp[3]);
		if (pid < 0)
			continue;	/* written by a newer schema */
		mb_decode(&mb_schema[pid], &v, &val);
		val.origin = origin_in(path, ilen);
		if ((rc = fn(arg, &mb_schema[pid], &val)) != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static const char *
kind_name(int kind)
{
	switch (kind) {
	case MB_KIND_ROOT:
		return "/LM";
	case MB_KIND_SERVICE:
		return "the service";
	case MB_KIND_SITE:
		return "a site";
	case MB_KIND_VDIR:
		return "a virtual directory";
	case MB_KIND_MIMEMAP:
		return "/LM/MimeMap";
	}
	return "this key";
}

static void
kinds_text(unsigned kinds, char *buf, size_t len)
{
	static const int all[] = { MB_KIND_ROOT, MB_KIND_SERVICE, MB_KIND_SITE,
	    MB_KIND_VDIR, MB_KIND_MIMEMAP };
	size_t	 i, n = 0;

	buf[0] = '\0';
	unsigned left = kinds;

	for (i = 0; i < sizeof(all) / sizeof(all[0]) && n < len; i++)
		if (kinds & all[i]) {
			left &= ~(unsigned)all[i];
			n += snprintf(buf + n, len - n, "%s%s",
			    n == 0 ? "" : left ? ", " : " or ",
			    kind_name(all[i]));
		}
}

int
mb_prop_set(struct mb *mb, const char *path, const struct mb_prop *p,
    const struct mb_value *val)
{
	char		 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 1];
	char		 pk[MB_MAXPATH + 6], where[128];
	size_t		 ilen;
	struct mb_value	 old;
	MDB_val		 k, v;
	int		 rc, own, kind;

	if ((kind = mb_path_internal(mb, path, canon, ikey, &ilen)) < 0)
		return kind;
	if (!(p->kinds & kind)) {
		kinds_text(p->kinds, where, sizeof(where));
		return mb_seterr(mb, MB_BADKIND, "%s cannot be set at '%s' (%s); it belongs on %s", p->name, canon, kind_name(kind), where);
	}
	if ((rc = mb_value_check(p, val, mb->err, sizeof(mb->err))) != 0)
		return rc;
	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	if ((rc = key_get(mb, mb->wtxn, ikey, ilen)) != 0) {
		if (rc == MDB_NOTFOUND)
			rc = mb_seterr(mb, MB_NOTFOUND, "no key '%s'", canon);
		goto out;
	}
	if (p->syntax == MB_SYN_BINDING) {
		rc = mb_rawget(mb, mb->wtxn, ikey, ilen, p->id, &old);
		if (rc == MDB_NOTFOUND) {
			old.str = NULL;
			old.len = 0;
		} else if (rc != 0)
			goto out;
		if ((rc = mb_bindings_update(mb, mb->wtxn, canon, &old,
		    val)) != 0)
			goto out;
	}
	prop_key(pk, ikey, ilen, p->id);
	k.mv_data = pk;
	k.mv_size = ilen + 5;
	switch (p->type) {
	case MB_BOOL:
	case MB_DWORD:
		v.mv_data = (void *)&val->dword;
		v.mv_size = sizeof(uint32_t);
		break;
	case MB_STRING:
		v.mv_data = (void *)val->str;
		v.mv_size = val->len + 1;
		break;
	case MB_MULTISZ:
		v.mv_data = (void *)(val->str != NULL ? val->str : "");
		v.mv_size = val->len;
		break;
	}
	rc = mdb_put(mb->wtxn, mb->props, &k, &v, 0);
 out:
	return mb_wend(mb, own, rc);
}

int
mb_prop_delete(struct mb *mb, const char *path, const struct mb_prop *p)
{
	char		 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 1];
	char		 pk[MB_MAXPATH + 6];
	size_t		 ilen;
	struct mb_value	 old;
	MDB_val		 k;
	int		 rc, own;

	if ((rc = mb_path_internal(mb, path, canon, ikey, &ilen)) < 0)
		return rc;
	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	rc = mb_rawget(mb, mb->wtxn, ikey, ilen, p->id, &old);
	if (rc == MDB_NOTFOUND) {
		rc = mb_seterr(mb, MB_NOTFOUND, "%s is not set at '%s'", p->name, canon);
		goto out;
	}
	if (rc != 0)
		goto out;
	if (p->syntax == MB_SYN_BINDING &&
	    (rc = mb_bindings_update(mb, mb->wtxn, canon, &old, NULL)) != 0)
		goto out;
	prop_key(pk, ikey, ilen, p->id);
	k.mv_data = pk;
	k.mv_size = ilen + 5;
	rc = mdb_del(mb->wtxn, mb->props, &k, NULL);
 out:
	return mb_wend(mb, own, rc);
}

/*
 * The request path: find the deepest existing key along path, then fill
 * every property from that key up.  Reads only: a cursor on the props
 * database kept with the read transaction, no allocation.
 */
int
mb_resolve(struct mb *mb, const char *path, size_t pathlen,
    struct mb_props *out, size_t *keylen)
{
	char		 ikey[MB_MAXPATH + 6];
	size_t		 plen[MB_MAXDEPTH], ilen[MB_MAXDEPTH];
	size_t		 i, j, n = 0, depth = 0, segstart;
	unsigned char	 set[MB_NPROPS];
	MDB_cursor	*c;
	MDB_txn		*txn;
	MDB_val		 k, v;
	const unsigned char *kp;
	int		 rc, pid, own;

	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	if (pathlen < 3 || strncasecmp(path, "/LM", 3) != 0)
		return MB_NOTFOUND;
	/* Walk down the segments while the keys exist. */
	i = 0;
	while (i < pathlen && depth < MB_MAXDEPTH) {
		if (path[i] != '/')
			return MB_NOTFOUND;
		segstart = ++i;
		while (i < pathlen && path[i] != '/')
			i++;
		if (i == segstart || n + 1 + (i - segstart) > MB_MAXPATH)
			break;
		ikey[n] = MB_SEP;
		for (j = segstart; j < i; j++) {
			/* No key name holds one; '\1' would split a name. */
			if ((unsigned char)path[j] < 0x20 || path[j] == 0x7f)
				break;
			ikey[n + 1 + j - segstart] =
			    tolower((unsigned char)path[j]);
		}
		if (j < i)
			break;
		k.mv_data = ikey;
		k.mv_size = n + 1 + (i - segstart);
		if ((rc = mdb_get(txn, mb->keys, &k, &v)) == MDB_NOTFOUND)
			break;
		if (rc != 0)
			return rc;
		n = k.mv_size;
		plen[depth] = i;
		ilen[depth] = n;
		depth++;
	}
	if (depth == 0)
		return MB_NOTFOUND;
	*keylen = plen[depth - 1];

	memset(set, 0, sizeof(set));
	c = mb->wtxn != NULL ? NULL : mb->rcur;
	own = 0;
	if (c == NULL) {
		if ((rc = mdb_cursor_open(txn, mb->props, &c)) != 0)
			return rc;
		own = 1;
	}
	rc = 0;
	while (depth-- > 0) {
		n = ilen[depth];
		ikey[n] = '\0';
		k.mv_data = ikey;
		k.mv_size = n + 1;
		for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
		    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			if (k.mv_size != n + 5 || memcmp(k.mv_data, ikey, n + 1))
				break;
			kp = (const unsigned char *)k.mv_data + n + 1;
			pid = mb_pid_of((uint32_t)kp[0] << 24 |
			    (uint32_t)kp[1] << 16 | (uint32_t)kp[2] << 8 | kp[3]);
			if (pid < 0 || set[pid] ||
			    (!mb_schema[pid].inherit && plen[depth] != *keylen))
				continue;
			mb_decode(&mb_schema[pid], &v, &out->v[pid]);
			out->v[pid].origin = (int)plen[depth];
			set[pid] = 1;
		}
		if (rc != 0 && rc != MDB_NOTFOUND)
			goto done;
		rc = 0;
	}
	for (pid = 0; pid < MB_NPROPS; pid++) {
		if (set[pid])
			continue;
		if (pid == MB_P_MIMEMAP && mb_rawget(mb, txn, "\1lm\1mimemap",
		    11, mb_schema[pid].id, &out->v[pid]) == 0) {
			out->v[pid].origin = MB_ORIGIN_MIMEMAP;
			continue;
		}
		set_default(&mb_schema[pid], &out->v[pid]);
	}
 done:
	if (own)
		mdb_cursor_close(c);
	return rc;
}

/* The defaults /LM/W3SVC starts with, and a MimeMap for common files. */
static const char *const mime_defaults[] = {
	".html,text/html", ".htm,text/html", ".css,text/css",
	".js,text/javascript", ".mjs,text/javascript", ".json,application/json",
	".xml,application/xml", ".txt,text/plain", ".csv,text/csv",
	".md,text/markdown", ".png,image/png", ".jpg,image/jpeg",
	".jpeg,image/jpeg", ".gif,image/gif", ".svg,image/svg+xml",
	".ico,image/vnd.microsoft.icon", ".webp,image/webp", ".avif,image/avif",
	".woff,font/woff", ".woff2,font/woff2", ".ttf,font/ttf",
	".otf,font/otf", ".pdf,application/pdf", ".zip,application/zip",
	".gz,application/gzip", ".tar,application/x-tar",
	".wasm,application/wasm", ".mp3,audio/mpeg", ".ogg,audio/ogg",
	".wav,audio/wav", ".mp4,video/mp4", ".webm,video/webm",
	".bin,application/octet-stream", "*,application/octet-stream", NULL
};

int
mb_init(struct mb *mb)
{
	struct mb_value	 v;
	char		*buf = NULL;
	size_t		 n = 0, l;
	int		 i, rc, own;

	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	if ((rc = mb_key_exists(mb, "/LM/W3SVC")) == MB_NOTFOUND) {
		if ((rc = mb_key_create(mb, "/LM/W3SVC")) != 0)
			goto out;
		for (i = 0; i < MB_NPROPS; i++) {
			const struct mb_prop *p = &mb_schema[i];

			if (!(p->kinds & MB_KIND_SERVICE) ||
			    p->type == MB_MULTISZ ||
			    (p->type == MB_STRING && p->dflt_str == NULL))
				continue;
			set_default(p, &v);
			if ((rc = mb_prop_set(mb, "/LM/W3SVC", p, &v)) != 0)
				goto out;
		}
	} else if (rc != 0)
		goto out;
	if ((rc = mb_key_exists(mb, "/LM/MimeMap")) == MB_NOTFOUND) {
		if ((rc = mb_key_create(mb, "/LM/MimeMap")) != 0)
			goto out;
		for (i = 0; mime_defaults[i] != NULL; i++)
			n += strlen(mime_defaults[i]) + 1;
		if ((buf = malloc(n)) == NULL) {
			rc = ENOMEM;
			goto out;
		}
		for (n = 0, i = 0; mime_defaults[i] != NULL; i++) {
			l = strlen(mime_defaults[i]) + 1;
			memcpy(buf + n, mime_defaults[i], l);
			n += l;
		}
		v.str = buf;
		v.len = n;
		rc = mb_prop_set(mb, "/LM/MimeMap", &mb_schema[MB_P_MIMEMAP], &v);
	} else if (rc != 0)
		goto out;
	mb->err[0] = '\0';
 out:
	free(buf);
	return mb_wend(mb, own, rc);
}

/* Backup and restore. */

/*
 * Write the copy next to its target and rename it over, so that a failed
 * backup leaves whatever was there; a target that is not a regular file
 * (a pipe, /dev/stdout) is written directly.  The metabase's own file is
 * refused: truncating it would destroy what is being copied.
 */
int
mb_backup(struct mb *mb, const char *file)
{
	char		 tmp[PATH_MAX];
	struct stat	 st, self;
	int		 fd, dfd, rc, direct;

	mb->err[0] = '\0';
	direct = stat(file, &st) == 0 && !S_ISREG(st.st_mode);
	if (!direct && mdb_env_get_fd(mb->env, &dfd) == 0 &&
	    fstat(dfd, &self) == 0 && stat(file, &st) == 0 &&
	    st.st_dev == self.st_dev && st.st_ino == self.st_ino)
		return mb_seterr(mb, EINVAL, "cannot back up into '%s': it is the metabase itself", file);
	if (direct) {
		if ((fd = open(file, O_WRONLY | O_CLOEXEC)) == -1)
			return mb_seterr(mb, errno, "cannot open '%s': %s", file, strerror(errno));
	} else {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.mbbackup.XXXXXX",
		    file) >= sizeof(tmp))
			return mb_seterr(mb, ENAMETOOLONG, "cannot create '%s': %s", file, strerror(ENAMETOOLONG));
		if ((fd = mkstemp(tmp)) == -1)
			return mb_seterr(mb, errno, "cannot create '%s': %s", file, strerror(errno));
	}
	rc = mdb_env_copyfd2(mb->env, fd, MDB_CP_COMPACT);
	if (rc == 0 && !direct && fsync(fd) == -1)
		rc = errno;
	if (close(fd) == -1 && rc == 0)
		rc = errno;
	if (rc == 0 && !direct && rename(tmp, file) == -1)
		rc = errno;
	if (rc != 0) {
		if (!direct)
			unlink(tmp);
		return mb_seterr(mb, rc, "cannot write backup '%s': %s", file, mb_strerror(rc));
	}
	return 0;
}

static int
copy_db(MDB_txn *from, MDB_dbi fdbi, MDB_txn *to, MDB_dbi tdbi)
{
	MDB_cursor	*c;
	MDB_val		 k, v;
	int		 rc;

	if ((rc = mdb_drop(to, tdbi, 0)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(from, fdbi, &c)) != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if ((rc = mdb_put(to, tdbi, &k, &v, MDB_APPEND)) != 0)
			break;
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
mb_restore(struct mb *mb, const char *file)
{
	struct mb	 src;
	struct stat	 st;
	MDB_txn		*txn = NULL;
	int		 rc, own;

	memset(&src, 0, sizeof(src));
	mb->err[0] = '\0';
	if (stat(file, &st) == -1)
		return mb_seterr(mb, errno, "cannot open '%s': %s", file, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size < MB_MINFILE)
		return mb_seterr(mb, MB_DAMAGED, "'%s' is not a metabase backup", file);
	/* The backup is another environment: opening it is safe. */
	if ((rc = mdb_env_create(&src.env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(src.env, 4)) != 0)
		goto fail;
	rc = mdb_env_open(src.env, file, MDB_NOSUBDIR | MDB_RDONLY |
	    MDB_NOLOCK, 0600);
	if (rc == 0)
		rc = check_size(src.env);
	if (rc == 0)
		rc = open_dbis(&src, 0);
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
	    rc == MDB_CORRUPTED)
		rc = MB_DAMAGED;
	if (rc != 0)
		goto fail;
	if ((rc = mdb_txn_begin(src.env, NULL, MDB_RDONLY, &txn)) != 0)
		goto fail;
	if ((rc = mb_wbegin(mb, &own)) != 0)
		goto fail;
	/* The index is derived: rebuilt from the values, not trusted. */
	if ((rc = copy_db(txn, src.keys, mb->wtxn, mb->keys)) == 0 &&
	    (rc = copy_db(txn, src.props, mb->wtxn, mb->props)) == 0)
		rc = mb_bindings_rebuild(mb, mb->wtxn);
	rc = mb_wend(mb, own, rc);
 fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (src.env != NULL)
		mdb_env_close(src.env);
	if (rc == MB_DAMAGED)
		return mb_seterr(mb, rc, "'%s' is not a metabase backup, or it is damaged", file);
	if (rc != 0 && mb->err[0] == '\0')
		return mb_seterr(mb, rc, "cannot restore '%s': %s", file, mb_strerror(rc));
	return rc;
}
