/*
 * mb_int.h - what the metabase's own files share; not for other modules.
 *
 * On disk, one LMDB environment holds five databases:
 *   keys      internal path -> the path as created (its case kept)
 *   props     internal path, NUL, big-endian property id -> the value
 *   bindings  "ip:port:host" (lower case) -> big-endian site id
 *   meta      "format" -> MB_FORMAT, "histseq" -> the last entry's seq,
 *             "farm" -> the mirror state (mb_mirror.c)
 *   history   big-endian 64-bit seq -> an entry (mb_history.c)
 * A metabase made before the history has no history database until its
 * first write.
 * The internal path is the canonical path in lower case with every '/'
 * turned into '\1'.  '\1' sorts below every character a key name may
 * hold, so a key's subtree follows the key itself directly, parents before
 * children: the keys database in order is a depth-first walk.  A value is
 * stored as the API hands it out: a BOOL or DWORD as a native uint32_t, a
 * STRING with its NUL, a MULTISZ as strings each ending in NUL.
 */
#ifndef MB_INT_H
#define MB_INT_H

#include <lmdb.h>

#include "metabase.h"

#define MB_FORMAT	"mbhttpd-metabase-1"
#define MB_SEP		'\1'
/* Deepest key mb_resolve() looks at: far more than any site needs. */
#define MB_MAXDEPTH	64
/*
 * Looks (10 ms apart) at a data.mdb that ends before its last page, in
 * case a commit has not padded it yet (cover_pages()), before calling it
 * damaged.  Padding follows the commit within microseconds.
 */
#define MB_SHORT_TRIES	5
/*
 * Pages data.mdb is extended by ahead of each commit (pad_ahead()), so
 * that the commit's new pages are inside the file before the meta page
 * that counts them is written: 4 MiB of hole, more than the 10,000
 * properties of a big import take.
 */
#define MB_PAD_PAGES	1024
/* Files smaller than LMDB's two meta pages cannot be a metabase. */
#define MB_MINFILE	8192
/* Room for a sentence about the last failure. */
#define MB_ERRLEN	512

/*
 * Ids are stored big-endian (property ids in props keys, site ids in the
 * bindings index), so that keys sort by number.
 */
static inline void
mb_be32_put(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline uint32_t
mb_be32_get(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/* One change recorded in the open write transaction (mb_history.c). */
struct mb_change {
	char		*path;		/* canonical, stored case */
	char		*ikey;		/* internal path, lower case */
	size_t		 ilen;
	uint32_t	 id;		/* 0: the key itself */
	size_t		 order;		/* when it was recorded */
	int		 has_old, has_new;
	unsigned char	*old, *new;
	size_t		 oldlen, newlen;
};

/* The history side of a handle. */
struct mb_hist {
	char		*user, *sudo, *cmd, *msg;	/* mb_set_actor() */
	struct mb_change *v;		/* changes of the open write txn */
	size_t		 n, cap;
	unsigned	 flags;		/* MB_HIST_* of the entry to come */
	uint64_t	 target;
	int		 have;		/* the history DBI is open */
	int		 pending;	/* opened in the open write txn */
};

struct mb {
	MDB_env		*env;
	MDB_dbi		 keys, props, bindings, meta, history;
	struct mb_hist	 hist;
	MDB_txn		*rtxn;		/* kept, reset between mb_begin()s */
	MDB_cursor	*rcur;		/* on props, renewed with rtxn */
	int		 ractive;	/* rtxn is renewed */
	MDB_txn		*wtxn;		/* the open write transaction */
	unsigned	 flags;
	mb_commit_hook	*hook;		/* mb_set_commit_hook() */
	void		*hook_arg;
	char		 err[MB_ERRLEN];
};

/* Whether the open write transaction changed what a farm shares. */
int	mb_hist_shared(const struct mb *mb);

/* Set mb->err; returns rc so callers can `return seterr(...)`. */
int	mb_seterr(struct mb *mb, int rc, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * History, in mb_history.c.  The mb_hist_*() recorders note a change in
 * the open write transaction: the key at internal path ikey (stored case
 * looked up in txn; canon if missing) created or deleted, or property id
 * set from old to new (NULL: not set).  ENOMEM.  mb_hist_commit() writes
 * the entry, in the write transaction, just before it commits;
 * mb_hist_reset() forgets the changes (after a commit or an abort).
 */
int	mb_hist_open(struct mb *mb, MDB_txn *txn, int create);
int	mb_hist_key(struct mb *mb, const char *ikey, size_t ilen,
	    const char *path, size_t plen, int created);
int	mb_hist_prop(struct mb *mb, MDB_txn *txn, const char *ikey,
	    size_t ilen, const char *canon, uint32_t id, const MDB_val *old,
	    const MDB_val *new);
int	mb_hist_commit(struct mb *mb);
void	mb_hist_reset(struct mb *mb, int committed);
void	mb_hist_free(struct mb *mb);
/*
 * Before a restore replaces the tree with that of src (txn on it): note
 * every difference, and add the entries of src's history this one lacks.
 */
int	mb_hist_restore(struct mb *mb, struct mb *src, MDB_txn *txn);

/*
 * Open the databases of mb->env; create them (and the format mark)
 * only when create is set.  MB_DAMAGED for an LMDB file that is no
 * metabase.
 */
int	mb_open_dbis(struct mb *mb, int create);
/*
 * MB_DAMAGED if the file of env ends before the last page its meta page
 * counts; call it before the first read of a page.
 */
int	mb_check_size(MDB_env *env);

/* The open transaction (write if any, else read), or NULL. */
MDB_txn	*mb_txn(struct mb *mb);
/*
 * Begin a write transaction unless one is open; *own says whether we did.
 * mb_wend() commits (rc == 0) or aborts what mb_wbegin() began.
 */
int	mb_wbegin(struct mb *mb, int *own);
int	mb_wend(struct mb *mb, int own, int rc);

/*
 * Canonical path of path into canon, its internal form into ikey (not
 * NUL-terminated, *ilen bytes).  Returns the kind or MB_BADKEY (with a
 * message in mb->err when mb is not NULL).
 */
int	mb_path_internal(struct mb *mb, const char *path,
	    char canon[MB_MAXPATH + 1], char ikey[MB_MAXPATH + 1], size_t *ilen);

/* Look the key up in txn: 0, MDB_NOTFOUND or an LMDB error. */
int	mb_key_get(struct mb *mb, MDB_txn *txn, const char *ikey, size_t ilen);
/* mb_key_get(), with MB_NOTFOUND and "no key '<canon>'" for a missing key. */
int	mb_key_need(struct mb *mb, MDB_txn *txn, const char *ikey, size_t ilen,
	    const char *canon);
/*
 * The preamble of every read of an existing key: path into canon and
 * ikey (as mb_path_internal()), the open transaction into *txnp, the key
 * looked up in it.  0, MB_BADKEY, MB_NOTXN, MB_NOTFOUND ("no key ...") or
 * an LMDB error.
 */
int	mb_key_find(struct mb *mb, const char *path, char canon[MB_MAXPATH + 1],
	    char *ikey, size_t *ilen, MDB_txn **txnp);

/* Schema index of a property id, or -1. */
int	mb_pid_of(uint32_t id);
/* Value of the key/property pair in props; 0, MDB_NOTFOUND or error. */
int	mb_rawget(struct mb *mb, MDB_txn *txn, const char *ikey, size_t ilen,
	    uint32_t id, struct mb_value *out);
/* Turn a stored value into a struct mb_value for property p. */
void	mb_decode(const struct mb_prop *p, const MDB_val *data,
	    struct mb_value *out);

/* The schema default of p, with origin MB_ORIGIN_DEFAULT. */
void	mb_default(const struct mb_prop *p, struct mb_value *out);

/* mb_binding_parse(), saying why in err when it fails. */
int	mb_binding_parse_err(const char *s, struct mb_binding *b, char *err,
	    size_t errlen);
/*
 * The bindings index, in mb_site.c: replace site canon's bindings oldv
 * with newv (NULL: none), of ServerBindings or (secure) SecureBindings.
 */
int	mb_bindings_update(struct mb *mb, MDB_txn *txn, const char *canon,
	    int secure, const struct mb_value *oldv,
	    const struct mb_value *newv);

/*
 * Build the bindings index anew from every ServerBindings and
 * SecureBindings value, in txn
 * (after a restore): MB_DAMAGED if two sites claim one binding.
 */
int	mb_bindings_rebuild(struct mb *mb, MDB_txn *txn);

#endif /* MB_INT_H */
