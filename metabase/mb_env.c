/*
 * mb_env.c - the environment: opening and closing it, errors, read and
 * write transactions, and the tree a new metabase starts with.
 */
/* fallocate(2) is Linux's: see reserve_lock(). */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mb_int.h"

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
	case MB_REFUSED:
		return "change refused";
	case MDB_MAP_FULL:
		return "metabase is full";
	}
	return mdb_strerror(rc);
}

/* The environment. */

/*
 * Open the four databases; create them (and the format mark) only for
 * MB_CREATE, so that opening some other LMDB file never turns it into a
 * metabase.  The transaction commits even when read-only: that is what
 * keeps the handles for later transactions.
 */
int
mb_open_dbis(struct mb *mb, int create)
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
	    (rc = mdb_dbi_open(txn, "bindings", f, &mb->bindings)) != 0 ||
	    (rc = mb_hist_open(mb, txn, create)) != 0)
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
int
mb_check_size(MDB_env *env)
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
 * page counts (mdb_env_copyfd0() allows for it), and mb_check_size() would
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

/*
 * LMDB makes lock.mdb with ftruncate(2), a file of holes, and writes its
 * reader slots through a shared map: on a full disk the first write to a
 * page not yet on disk is SIGBUS.  Have every block of it on disk now, or
 * fail (ENOSPC) while that can still be said.  Blocks it has already cost
 * nothing, so every open may ask.  A file system that cannot allocate
 * ahead (EOPNOTSUPP) is left as it is: glibc's posix_fallocate() would
 * write zeros over slots in use.  Called before mdb_env_open(): closing
 * a descriptor of lock.mdb drops every fcntl(2) lock this process holds
 * on it, and LMDB's tell it whether other processes use the file.  So a
 * lock file that the open itself creates is reserved by the next open.
 */
static int
reserve_lock(const char *dir)
{
	char		 file[PATH_MAX];
	struct stat	 st;
	int		 fd, rc = 0;

	if ((size_t)snprintf(file, sizeof(file), "%s/lock.mdb", dir) >=
	    sizeof(file))
		return ENAMETOOLONG;
	if ((fd = open(file, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;	/* LMDB opened it: not ours to judge */
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    fallocate(fd, 0, 0, st.st_size) == -1 && errno != EOPNOTSUPP &&
	    errno != ENOSYS)
		rc = errno;
	close(fd);
	return rc;
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
			goto close_mb;
		}
	} else if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    stat(file, &st) == -1) {
		rc = MB_NOMETABASE;
		mb_seterr(mb, rc, "no metabase in '%s' (create one with 'mbctl init')", dir);
		goto close_mb;
	} else if (st.st_size < MB_MINFILE) {
		rc = MB_DAMAGED;
		mb_seterr(mb, rc, "metabase '%s' is damaged: data.mdb is too short", dir);
		goto close_mb;
	}
	if ((rc = reserve_lock(dir)) != 0) {
		mb_seterr(mb, rc, "cannot open metabase '%s': no room for its lock file: %s", dir, strerror(rc));
		goto close_mb;
	}
	if ((rc = mdb_env_create(&mb->env)) != 0 ||
	    (rc = mdb_env_set_maxreaders(mb->env, MB_MAXREADERS)) != 0 ||
	    (rc = mdb_env_set_maxdbs(mb->env, 5)) != 0 ||
	    (rc = mdb_env_set_mapsize(mb->env, MB_MAPSIZE)) != 0)
		goto close_mb;
	rc = mdb_env_open(mb->env, dir,
	    MDB_NOTLS | ((flags & MB_RDONLY) ? MDB_RDONLY : 0), 0644);
	if (rc != 0) {
		if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
		    rc == MDB_CORRUPTED) {
			rc = MB_DAMAGED;
			mb_seterr(mb, rc, "metabase '%s' is damaged or not an LMDB file", dir);
		} else
			mb_seterr(mb, rc, "cannot open metabase '%s': %s", dir, mb_strerror(rc));
		goto close_mb;
	}
	/*
	 * The size data.mdb records, not MB_MAPSIZE: mb_grow() may have
	 * made it larger.  No transaction is open yet, as LMDB asks.
	 */
	if ((rc = mdb_env_set_mapsize(mb->env, 0)) != 0)
		goto close_mb;
	/* A commit may be between its write and its padding: wait it out. */
	for (tries = 0; (rc = mb_check_size(mb->env)) == MB_DAMAGED &&
	    tries < MB_SHORT_TRIES; tries++)
		nanosleep(&pause, NULL);
	if (rc != 0) {
		if (rc == MB_DAMAGED)
			mb_seterr(mb, rc, "metabase '%s' is damaged: data.mdb is truncated", dir);
		goto close_mb;
	}
	/* Clear the reader slots of processes that died holding one. */
	mdb_reader_check(mb->env, &dead);
	if ((rc = mb_open_dbis(mb, (flags & MB_CREATE) != 0)) != 0) {
		if (rc == MB_DAMAGED)
			mb_seterr(mb, rc, "'%s' is not an mbhttpd metabase, or it is damaged", dir);
		else
			mb_seterr(mb, rc, "cannot open metabase '%s': %s", dir, mb_strerror(rc));
		goto close_mb;
	}
	if ((flags & MB_CREATE) && (rc = cover_pages(mb)) != 0)
		goto close_mb;
	/* One read transaction and cursor, kept for every mb_begin(). */
	if ((rc = mdb_txn_begin(mb->env, NULL, MDB_RDONLY, &mb->rtxn)) != 0 ||
	    (rc = mdb_cursor_open(mb->rtxn, mb->props, &mb->rcur)) != 0)
		goto close_mb;
	mdb_txn_reset(mb->rtxn);
	*mbp = mb;
	return 0;

 close_mb:
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
	mb_hist_free(mb);
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

/* The map's size and how much of it the last commit left unused. */
static int
map_room(struct mb *mb, size_t *size, size_t *left)
{
	MDB_envinfo	 ei;
	MDB_stat	 ms;
	size_t		 used;
	int		 rc;

	if ((rc = mdb_env_info(mb->env, &ei)) != 0 ||
	    (rc = mdb_env_stat(mb->env, &ms)) != 0)
		return rc;
	used = (ei.me_last_pgno + 1) * (size_t)ms.ms_psize;
	*size = ei.me_mapsize;
	*left = used < ei.me_mapsize ? ei.me_mapsize - used : 0;
	return 0;
}

int
mb_full(int rc)
{
	return rc == MDB_MAP_FULL;
}

int
mb_grow(struct mb *mb)
{
	size_t	 size, left, nsize;
	int	 rc;

	if (mb->wtxn != NULL)
		return mb_seterr(mb, EBUSY, "a write transaction is still open");
	mb_end(mb);
	if ((rc = map_room(mb, &size, &left)) != 0)
		return rc;
	if (size >= MB_MAXMAPSIZE)
		return mb_seterr(mb, MDB_MAP_FULL, "the metabase is full: its map is at its largest (%zu MiB)", size >> 20);
	nsize = size > MB_MAXMAPSIZE / 2 ? MB_MAXMAPSIZE : size * 2;
	if ((rc = mdb_env_set_mapsize(mb->env, nsize)) != 0)
		return mb_seterr(mb, rc, "the metabase is full and its map cannot grow to %zu MiB: %s", nsize >> 20, mb_strerror(rc));
	return 0;
}

int
mb_write_begin(struct mb *mb)
{
	size_t	 size, left;
	int	 rc;

	if (mb->flags & MB_RDONLY)
		return EACCES;
	if (mb->wtxn != NULL)
		return mb_seterr(mb, EBUSY, "a write transaction is already open");
	mb_end(mb);
	mb->err[0] = '\0';
	/*
	 * Grow ahead, while no transaction is open, so that a change of a
	 * few values never meets a full map; a batch that still does is
	 * tried again by its caller after mb_grow().
	 */
	if (map_room(mb, &size, &left) == 0 && left < size / 4 &&
	    size < MB_MAXMAPSIZE && (rc = mb_grow(mb)) != 0)
		return rc;
	mb_hist_reset(mb, 0);
	rc = mdb_txn_begin(mb->env, NULL, 0, &mb->wtxn);
	if (rc == MDB_MAP_RESIZED) {
		if ((rc = mdb_env_set_mapsize(mb->env, 0)) == 0)
			rc = mdb_txn_begin(mb->env, NULL, 0, &mb->wtxn);
	}
	if (rc != 0)
		mb->wtxn = NULL;
	return rc;
}

/*
 * LMDB reports a short write of its pages as EIO: the file system wrote
 * what fitted.  Whether that was a full disk: less than a page left.
 */
static int
disk_full(struct mb *mb)
{
	struct statvfs	 sv;
	MDB_stat	 ms;
	int		 fd;

	return mdb_env_get_fd(mb->env, &fd) == 0 &&
	    mdb_env_stat(mb->env, &ms) == 0 && fstatvfs(fd, &sv) == 0 &&
	    (uintmax_t)sv.f_bavail * sv.f_frsize < ms.ms_psize;
}

int
mb_write_commit(struct mb *mb)
{
	int	 rc;

	if (mb->wtxn == NULL)
		return MB_NOTXN;
	/* A farm's host publishes the change first (mb_set_commit_hook()). */
	if (mb->hook != NULL && mb_hist_shared(mb)) {
		char	 err[MB_ERRLEN] = "";

		if (mb->hook(mb->hook_arg, mb, err, sizeof(err)) != 0) {
			mb_write_abort(mb);
			return mb_seterr(mb, MB_REFUSED, "%s", err[0] != '\0' ?
			    err : "the change was refused");
		}
	}
	/* The history entry goes in the transaction it describes. */
	if ((rc = mb_hist_commit(mb)) != 0) {
		mb_write_abort(mb);
		return mb_seterr(mb, rc, "cannot record the change in the history: %s", mb_strerror(rc));
	}
	/*
	 * Extend the file ahead of the commit, while we hold the writer
	 * lock, so that a writer killed between its commit and
	 * cover_pages() leaves a sound file, unless this one transaction
	 * took more than MB_PAD_PAGES new pages.
	 */
	(void)pad_ahead(mb);
	rc = mdb_txn_commit(mb->wtxn);
	mb->wtxn = NULL;
	if (rc == EIO && disk_full(mb))
		rc = ENOSPC;
	mb_hist_reset(mb, rc == 0);
	if (rc != 0)
		return mb_seterr(mb, rc, "cannot write the metabase: %s", mb_strerror(rc));
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
	mb_hist_reset(mb, 0);
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
	struct mb_value	 v, mime = { 0, NULL, 0, 0 };
	int		 i, rc, own;

	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	if ((rc = mb_key_exists(mb, "/LM/W3SVC")) == MB_NOTFOUND) {
		if ((rc = mb_key_create(mb, "/LM/W3SVC")) != 0)
			goto free_mime;
		for (i = 0; i < MB_NPROPS; i++) {
			const struct mb_prop *p = &mb_schema[i];

			if (!(p->kinds & MB_KIND_SERVICE) ||
			    p->type == MB_MULTISZ ||
			    (p->type == MB_STRING && p->dflt_str == NULL))
				continue;
			mb_default(p, &v);
			if ((rc = mb_prop_set(mb, "/LM/W3SVC", p, &v)) != 0)
				goto free_mime;
		}
	} else if (rc != 0)
		goto free_mime;
	if ((rc = mb_key_exists(mb, "/LM/MimeMap")) == MB_NOTFOUND) {
		if ((rc = mb_key_create(mb, "/LM/MimeMap")) != 0)
			goto free_mime;
		for (i = 0; mime_defaults[i] != NULL; i++)
			if ((rc = mb_multisz_add(&mime, mime_defaults[i])) != 0)
				goto free_mime;
		rc = mb_prop_set(mb, "/LM/MimeMap", &mb_schema[MB_P_MIMEMAP],
		    &mime);
	} else if (rc != 0)
		goto free_mime;
	mb->err[0] = '\0';
 free_mime:
	free((char *)mime.str);
	return mb_wend(mb, own, rc);
}

