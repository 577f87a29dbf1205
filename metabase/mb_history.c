/*
 * mb_history.c - the history of changes: recording each write
 * transaction's changes as it goes, writing them as one entry just before
 * it commits, reading entries back, pruning, and rolling back.
 *
 * The change functions (mb_prop_set(), mb_prop_delete(), mb_key_create(),
 * mb_key_delete()) call the recorders at the moment they write, with the
 * value before read in the same transaction, so that an entry can only
 * describe what its transaction did.  Readers of the tree never look at
 * the history: the server's request path costs nothing more.
 *
 * An entry, under its big-endian 64-bit sequence number:
 *
 *	u8 'H', u8 version (1), u8 flags, be64 time, be64 target,
 *	str user, str sudo_user, str command, str message, be32 n,
 *	n times: u8 has_old | has_new << 1, be32 id (0: the key itself),
 *	    str path, blob old, blob new
 *
 * where str is a be32 length, the bytes and a NUL, and blob a be32
 * length and the bytes of the value as the props database holds it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_int.h"

#define HIST_MAGIC	'H'
#define HIST_VERSION	1
#define F_OLD		0x1
#define F_NEW		0x2

static void
be64_put(unsigned char *p, uint64_t v)
{
	mb_be32_put(p, (uint32_t)(v >> 32));
	mb_be32_put(p + 4, (uint32_t)v);
}

static uint64_t
be64_get(const void *p)
{
	const unsigned char *b = p;

	return (uint64_t)mb_be32_get(b) << 32 | mb_be32_get(b + 4);
}

/* Setting who and what. */

static int
dup_text(char **dst, const char *s)
{
	char	*d = NULL;
	size_t	 n;

	if (s != NULL) {
		n = strlen(s);
		if (n > MB_HIST_MAXTEXT)
			n = MB_HIST_MAXTEXT;
		if ((d = malloc(n + 1)) == NULL)
			return ENOMEM;
		memcpy(d, s, n);
		d[n] = '\0';
	}
	free(*dst);
	*dst = d;
	return 0;
}

int
mb_set_actor(struct mb *mb, const char *user, const char *sudo_user,
    const char *command, const char *message)
{
	struct mb_hist	*h = &mb->hist;

	if (dup_text(&h->user, user) != 0 || dup_text(&h->sudo, sudo_user) ||
	    dup_text(&h->cmd, command) != 0 || dup_text(&h->msg, message))
		return ENOMEM;
	return 0;
}

/* Recording. */

int
mb_hist_open(struct mb *mb, MDB_txn *txn, int create)
{
	int	 rc;

	rc = mdb_dbi_open(txn, "history", create ? MDB_CREATE : 0,
	    &mb->history);
	mb->hist.have = rc == 0;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static void
change_release(struct mb_change *c)
{
	free(c->path);
	free(c->ikey);
	free(c->old);
	free(c->new);
}

void
mb_hist_reset(struct mb *mb, int committed)
{
	struct mb_hist	*h = &mb->hist;
	size_t		 i;

	/* A handle opened in an aborted transaction is closed with it. */
	if (h->pending)
		h->have = committed;
	h->pending = 0;
	for (i = 0; i < h->n; i++)
		change_release(&h->v[i]);
	h->n = 0;
	h->flags = 0;
	h->target = 0;
}

void
mb_hist_free(struct mb *mb)
{
	struct mb_hist	*h = &mb->hist;

	mb_hist_reset(mb, 0);
	free(h->v);
	free(h->user);
	free(h->sudo);
	free(h->cmd);
	free(h->msg);
	memset(h, 0, sizeof(*h));
}

static void *
dup_bytes(const void *p, size_t n)
{
	void	*d;

	if ((d = malloc(n > 0 ? n : 1)) != NULL && n > 0)
		memcpy(d, p, n);
	return d;
}

/* Append one change to list (v, n, cap); ENOMEM leaves it as it was. */
static int
list_add(struct mb_change **v, size_t *n, size_t *cap, const char *ikey,
    size_t ilen, const char *path, size_t plen, uint32_t id,
    const MDB_val *old, const MDB_val *new)
{
	struct mb_change *c, *nv;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		if ((nv = realloc(*v, ncap * sizeof(*nv))) == NULL)
			return ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	c = &(*v)[*n];
	memset(c, 0, sizeof(*c));
	c->ilen = ilen;
	c->id = id;
	c->order = *n;
	c->has_old = old != NULL;
	c->has_new = new != NULL;
	if ((c->ikey = dup_bytes(ikey, ilen)) == NULL ||
	    (c->path = malloc(plen + 1)) == NULL)
		goto nomem;
	memcpy(c->path, path, plen);
	c->path[plen] = '\0';
	if (old != NULL) {
		c->oldlen = old->mv_size;
		if ((c->old = dup_bytes(old->mv_data, old->mv_size)) == NULL)
			goto nomem;
	}
	if (new != NULL) {
		c->newlen = new->mv_size;
		if ((c->new = dup_bytes(new->mv_data, new->mv_size)) == NULL)
			goto nomem;
	}
	(*n)++;
	return 0;

 nomem:
	change_release(c);
	return ENOMEM;
}

static int
record(struct mb *mb, const char *ikey, size_t ilen, const char *path,
    size_t plen, uint32_t id, const MDB_val *old, const MDB_val *new)
{
	struct mb_hist	*h = &mb->hist;

	return list_add(&h->v, &h->n, &h->cap, ikey, ilen, path, plen, id,
	    old, new);
}

int
mb_hist_key(struct mb *mb, const char *ikey, size_t ilen, const char *path,
    size_t plen, int created)
{
	MDB_val	 v = { 0, "" };

	return record(mb, ikey, ilen, path, plen, 0, created ? NULL : &v,
	    created ? &v : NULL);
}

/* The stored path of the key at ikey in dbi, else canon. */
static void
stored_path(MDB_txn *txn, MDB_dbi dbi, const char *ikey, size_t ilen,
    const char *canon, const char **path, size_t *plen)
{
	MDB_val	 k = { ilen, (void *)ikey }, v;

	if (mdb_get(txn, dbi, &k, &v) == 0 && v.mv_size > 0 &&
	    v.mv_size <= MB_MAXPATH) {
		*path = v.mv_data;
		*plen = v.mv_size;
	} else {
		*path = canon;
		*plen = canon != NULL ? strlen(canon) : 0;
	}
}

int
mb_hist_prop(struct mb *mb, MDB_txn *txn, const char *ikey, size_t ilen,
    const char *canon, uint32_t id, const MDB_val *old, const MDB_val *new)
{
	const char	*path;
	size_t		 plen;

	stored_path(txn, mb->keys, ikey, ilen, canon, &path, &plen);
	return record(mb, ikey, ilen, path, plen, id, old, new);
}

/* Sorting and folding a list of changes. */

static int
cmp_change(const void *a, const void *b)
{
	const struct mb_change *x = a, *y = b;
	size_t	 n = x->ilen < y->ilen ? x->ilen : y->ilen;
	int	 c;

	if ((c = memcmp(x->ikey, y->ikey, n)) != 0)
		return c;
	if (x->ilen != y->ilen)
		return x->ilen < y->ilen ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
same_item(const struct mb_change *x, const struct mb_change *y)
{
	return x->id == y->id && x->ilen == y->ilen &&
	    memcmp(x->ikey, y->ikey, x->ilen) == 0;
}

/*
 * Sort the list by key and property, and fold each run of changes to one
 * item into one (the first old value, the last new value, the last
 * path), dropping those that end where they began.
 */
static void
fold(struct mb_change *v, size_t *np)
{
	size_t	 i, j, out = 0, n = *np;

	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_change);
	for (i = 0; i < n; i = j) {
		struct mb_change *f = &v[i];

		for (j = i + 1; j < n && same_item(f, &v[j]); j++) {
			struct mb_change *l = &v[j];

			free(f->new);
			f->new = l->new;
			f->newlen = l->newlen;
			f->has_new = l->has_new;
			l->new = NULL;
			free(f->path);
			f->path = l->path;
			l->path = NULL;
			change_release(l);
		}
		if (f->has_old == f->has_new && (!f->has_old ||
		    (f->oldlen == f->newlen &&
		    memcmp(f->old, f->new, f->oldlen) == 0))) {
			change_release(f);
			continue;
		}
		v[out++] = *f;
	}
	*np = out;
}

/* Writing an entry. */

struct buf {
	unsigned char	*p;
	size_t		 n, cap;
	int		 err;
};

static void
buf_put(struct buf *b, const void *d, size_t n)
{
	unsigned char	*np;
	size_t		 cap;

	if (b->err || n == 0)
		return;
	if (b->n + n > b->cap) {
		for (cap = b->cap ? b->cap : 256; cap < b->n + n; cap *= 2)
			;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->err = ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void
buf_u32(struct buf *b, uint32_t v)
{
	unsigned char	 x[4];

	mb_be32_put(x, v);
	buf_put(b, x, 4);
}

static void
buf_u64(struct buf *b, uint64_t v)
{
	unsigned char	 x[8];

	be64_put(x, v);
	buf_put(b, x, 8);
}

static void
buf_str(struct buf *b, const char *s, size_t n)
{
	buf_u32(b, (uint32_t)n);
	buf_put(b, s, n);
	buf_put(b, "", 1);
}

static void
buf_blob(struct buf *b, const void *d, size_t n)
{
	buf_u32(b, (uint32_t)n);
	buf_put(b, d, n);
}

static int
ensure_dbi(struct mb *mb)
{
	int	 rc;

	if (mb->hist.have)
		return 0;
	if ((rc = mdb_dbi_open(mb->wtxn, "history", MDB_CREATE,
	    &mb->history)) != 0)
		return rc;
	mb->hist.have = 1;
	mb->hist.pending = 1;
	return 0;
}

/* The greatest sequence number ever used, in txn. */
static int
last_seq(struct mb *mb, MDB_txn *txn, uint64_t *seq)
{
	MDB_cursor	*c;
	MDB_val		 k = { 7, "histseq" }, v;
	uint64_t	 s = 0;
	int		 rc;

	rc = mdb_get(txn, mb->meta, &k, &v);
	if (rc == 0 && v.mv_size == 8)
		s = be64_get(v.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if (mb->hist.have) {
		if ((rc = mdb_cursor_open(txn, mb->history, &c)) != 0)
			return rc;
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
		if (rc == 0 && k.mv_size == 8 && be64_get(k.mv_data) > s)
			s = be64_get(k.mv_data);
		mdb_cursor_close(c);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
	}
	*seq = s;
	return 0;
}

static int
put_last_seq(struct mb *mb, uint64_t seq)
{
	unsigned char	 x[8];
	MDB_val		 k = { 7, "histseq" }, v = { 8, x };

	be64_put(x, seq);
	return mdb_put(mb->wtxn, mb->meta, &k, &v, 0);
}

static uint64_t
db_bytes(const MDB_stat *st)
{
	return (uint64_t)(st->ms_branch_pages + st->ms_leaf_pages +
	    st->ms_overflow_pages) * st->ms_psize;
}

/*
 * Delete the oldest entries until keep are left and the history is under
 * MB_HIST_MAXBYTES (the newest entry always stays), in txn.
 */
static int
prune_to(struct mb *mb, MDB_txn *txn, uint64_t keep, uint64_t *removed)
{
	MDB_stat	 st;
	MDB_cursor	*c;
	MDB_val		 k, v;
	uint64_t	 n, gone = 0;
	int		 rc;

	if (removed != NULL)
		*removed = 0;
	if (!mb->hist.have)
		return 0;
	if ((rc = mdb_stat(txn, mb->history, &st)) != 0)
		return rc;
	n = st.ms_entries;
	if (n <= keep && db_bytes(&st) <= MB_HIST_MAXBYTES)
		return 0;
	if ((rc = mdb_cursor_open(txn, mb->history, &c)) != 0)
		return rc;
	for (; n > keep || (n > 1 && db_bytes(&st) > MB_HIST_MAXBYTES);
	    n--, gone++) {
		if ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) != 0 ||
		    (rc = mdb_cursor_del(c, 0)) != 0 ||
		    (rc = mdb_stat(txn, mb->history, &st)) != 0)
			break;
	}
	mdb_cursor_close(c);
	if (removed != NULL)
		*removed = gone;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
mb_hist_commit(struct mb *mb)
{
	struct mb_hist	*h = &mb->hist;
	struct buf	 b = { NULL, 0, 0, 0 };
	unsigned char	 key[8];
	struct mb_value	 mx;
	uint64_t	 seq, keep = MB_HIST_DEFAULT;
	MDB_val		 k, v;
	size_t		 i;
	int		 rc;

	fold(h->v, &h->n);
	if (h->n == 0)
		return 0;
	if ((rc = ensure_dbi(mb)) != 0 ||
	    (rc = last_seq(mb, mb->wtxn, &seq)) != 0)
		return rc;
	seq++;
	buf_put(&b, (unsigned char []){ HIST_MAGIC, HIST_VERSION,
	    (unsigned char)h->flags }, 3);
	buf_u64(&b, (uint64_t)time(NULL));
	buf_u64(&b, h->target);
	buf_str(&b, h->user ? h->user : "", h->user ? strlen(h->user) : 0);
	buf_str(&b, h->sudo ? h->sudo : "", h->sudo ? strlen(h->sudo) : 0);
	buf_str(&b, h->cmd ? h->cmd : "", h->cmd ? strlen(h->cmd) : 0);
	buf_str(&b, h->msg ? h->msg : "", h->msg ? strlen(h->msg) : 0);
	buf_u32(&b, (uint32_t)h->n);
	for (i = 0; i < h->n; i++) {
		const struct mb_change *c = &h->v[i];
		unsigned char f = (c->has_old ? F_OLD : 0) |
		    (c->has_new ? F_NEW : 0);

		buf_put(&b, &f, 1);
		buf_u32(&b, c->id);
		buf_str(&b, c->path, strlen(c->path));
		buf_blob(&b, c->old, c->oldlen);
		buf_blob(&b, c->new, c->newlen);
	}
	if ((rc = b.err) != 0)
		goto free_buf;
	be64_put(key, seq);
	k.mv_data = key;
	k.mv_size = 8;
	v.mv_data = b.p;
	v.mv_size = b.n;
	if ((rc = mdb_put(mb->wtxn, mb->history, &k, &v, MDB_APPEND)) != 0 ||
	    (rc = put_last_seq(mb, seq)) != 0)
		goto free_buf;
	/* MaxHistoryEntries as this transaction leaves it. */
	if (mb_rawget(mb, mb->wtxn, "\1lm", 3,
	    mb_schema[MB_P_MAXHISTORYENTRIES].id, &mx) == 0 && mx.dword > 0)
		keep = mx.dword;
	rc = prune_to(mb, mb->wtxn, keep, NULL);
 free_buf:
	free(b.p);
	return rc;
}

/* Reading entries. */

struct rd {
	const unsigned char	*p, *end;
	int			 bad;
};

static const unsigned char *
rd_take(struct rd *r, size_t n)
{
	const unsigned char *p = r->p;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	return p;
}

static uint32_t
rd_u32(struct rd *r)
{
	const unsigned char *p = rd_take(r, 4);

	return p != NULL ? mb_be32_get(p) : 0;
}

static uint64_t
rd_u64(struct rd *r)
{
	const unsigned char *p = rd_take(r, 8);

	return p != NULL ? be64_get(p) : 0;
}

static const char *
rd_str(struct rd *r)
{
	uint32_t	 n = rd_u32(r);
	const unsigned char *p = rd_take(r, (size_t)n + 1);

	if (p == NULL || p[n] != '\0') {
		r->bad = 1;
		return "";
	}
	return (const char *)p;
}

static void
rd_blob(struct rd *r, MDB_val *v)
{
	uint32_t	 n = rd_u32(r);

	v->mv_size = n;
	v->mv_data = (void *)rd_take(r, n);
}

/*
 * Decode the entry at (k, d) into e; raw, when not NULL, receives the
 * stored old and new values of each change (2 * nchanges).
 */
static int
decode(const MDB_val *k, const MDB_val *d, struct mb_hentry *e, MDB_val **raw)
{
	struct rd	 r = { d->mv_data, (const unsigned char *)d->mv_data +
			    d->mv_size, 0 };
	const unsigned char *hd;
	MDB_val		*rv = NULL;
	size_t		 i, n;
	int		 pid;

	memset(e, 0, sizeof(*e));
	if (k->mv_size != 8 || (hd = rd_take(&r, 3)) == NULL ||
	    hd[0] != HIST_MAGIC || hd[1] != HIST_VERSION)
		return MB_DAMAGED;
	e->seq = be64_get(k->mv_data);
	e->flags = hd[2];
	e->time = (int64_t)rd_u64(&r);
	e->target = rd_u64(&r);
	e->user = rd_str(&r);
	e->sudo_user = rd_str(&r);
	e->command = rd_str(&r);
	e->message = rd_str(&r);
	n = rd_u32(&r);
	/* Each change takes 17 bytes at the least: never trust a count. */
	if (r.bad || n > (size_t)(r.end - r.p) / 17)
		return MB_DAMAGED;
	if (e->sudo_user[0] == '\0')
		e->sudo_user = NULL;
	if (e->message[0] == '\0')
		e->message = NULL;
	if (n > 0 && (e->changes = calloc(n, sizeof(*e->changes))) == NULL)
		return ENOMEM;
	if (raw != NULL && n > 0 &&
	    (rv = calloc(2 * n, sizeof(*rv))) == NULL) {
		free(e->changes);
		e->changes = NULL;
		return ENOMEM;
	}
	for (i = 0; i < n && !r.bad; i++) {
		struct mb_hchange *c = &e->changes[i];
		const unsigned char *f = rd_take(&r, 1);
		MDB_val	 ov, nv;

		c->id = rd_u32(&r);
		c->path = rd_str(&r);
		rd_blob(&r, &ov);
		rd_blob(&r, &nv);
		if (f == NULL || r.bad)
			break;
		c->has_old = (*f & F_OLD) != 0;
		c->has_new = (*f & F_NEW) != 0;
		pid = c->id != 0 ? mb_pid_of(c->id) : -1;
		c->prop = pid >= 0 ? &mb_schema[pid] : NULL;
		if (c->prop != NULL) {
			if (c->has_old)
				mb_decode(c->prop, &ov, &c->old);
			if (c->has_new)
				mb_decode(c->prop, &nv, &c->new);
		}
		if (rv != NULL) {
			rv[2 * i] = ov;
			rv[2 * i + 1] = nv;
		}
	}
	e->nchanges = n;
	if (r.bad) {
		free(e->changes);
		free(rv);
		memset(e, 0, sizeof(*e));
		return MB_DAMAGED;
	}
	if (raw != NULL)
		*raw = rv;
	return 0;
}

void
mb_hentry_release(struct mb_hentry *e)
{
	free(e->changes);
	e->changes = NULL;
	e->nchanges = 0;
}

int
mb_history_get(struct mb *mb, uint64_t seq, struct mb_hentry *e)
{
	unsigned char	 key[8];
	MDB_val		 k = { 8, key }, v;
	MDB_txn		*txn;
	int		 rc;

	memset(e, 0, sizeof(*e));
	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	be64_put(key, seq);
	rc = mb->hist.have ? mdb_get(txn, mb->history, &k, &v) : MDB_NOTFOUND;
	if (rc == MDB_NOTFOUND)
		return mb_seterr(mb, MB_NOTFOUND, "no history entry %llu", (unsigned long long)seq);
	if (rc != 0)
		return rc;
	if ((rc = decode(&k, &v, e, NULL)) == MB_DAMAGED)
		return mb_seterr(mb, rc, "history entry %llu is damaged", (unsigned long long)seq);
	return rc;
}

int
mb_history_each(struct mb *mb, int newest_first,
    int (*fn)(void *, const struct mb_hentry *), void *arg)
{
	struct mb_hentry e;
	MDB_cursor	*c;
	MDB_txn		*txn;
	MDB_val		 k, v;
	int		 rc;

	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	if (!mb->hist.have)
		return 0;
	if ((rc = mdb_cursor_open(txn, mb->history, &c)) != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, newest_first ? MDB_LAST :
	    MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v,
	    newest_first ? MDB_PREV : MDB_NEXT)) {
		if ((rc = decode(&k, &v, &e, NULL)) != 0) {
			if (rc == MB_DAMAGED)
				mb_seterr(mb, rc, "a history entry is damaged");
			break;
		}
		rc = fn(arg, &e);
		mb_hentry_release(&e);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
mb_history_range(struct mb *mb, uint64_t *first, uint64_t *last)
{
	MDB_cursor	*c;
	MDB_txn		*txn;
	MDB_val		 k, v;
	int		 rc;

	*first = *last = 0;
	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	if (!mb->hist.have)
		return 0;
	if ((rc = mdb_cursor_open(txn, mb->history, &c)) != 0)
		return rc;
	if ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0 &&
	    k.mv_size == 8) {
		*first = be64_get(k.mv_data);
		if ((rc = mdb_cursor_get(c, &k, &v, MDB_LAST)) == 0 &&
		    k.mv_size == 8)
			*last = be64_get(k.mv_data);
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
mb_history_prune(struct mb *mb, uint64_t keep, uint64_t *removed)
{
	int	 rc, own;

	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	rc = prune_to(mb, mb->wtxn, keep, removed);
	return mb_wend(mb, own, rc);
}

/* Restore. */

/* Note every key and property of a that b lacks or holds otherwise. */
static int
diff_db(struct mb *mb, MDB_txn *ta, MDB_dbi da, MDB_dbi ka, MDB_txn *tb,
    MDB_dbi db, int a_is_old, int props)
{
	MDB_cursor	*c;
	MDB_val		 k, v, bv;
	const char	*path;
	size_t		 plen, ilen;
	int		 rc, found;

	if ((rc = mdb_cursor_open(ta, da, &c)) != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if ((rc = mdb_get(tb, db, &k, &bv)) != 0 && rc != MDB_NOTFOUND)
			break;
		found = rc == 0;
		rc = 0;
		/* Present in both: a's pass says whether they differ. */
		if (found && (!a_is_old || !props || (bv.mv_size == v.mv_size &&
		    memcmp(bv.mv_data, v.mv_data, v.mv_size) == 0)))
			continue;
		if (props) {
			if (k.mv_size < 6 || k.mv_size - 5 > MB_MAXPATH)
				continue;
			ilen = k.mv_size - 5;
			stored_path(ta, ka, k.mv_data, ilen, "", &path, &plen);
			rc = record(mb, k.mv_data, ilen, path, plen,
			    mb_be32_get((char *)k.mv_data + ilen + 1),
			    a_is_old ? &v : found ? &bv : NULL,
			    a_is_old ? found ? &bv : NULL : &v);
		} else {
			if (k.mv_size > MB_MAXPATH || v.mv_size > MB_MAXPATH)
				continue;
			rc = mb_hist_key(mb, k.mv_data, k.mv_size, v.mv_data,
			    v.mv_size, !a_is_old);
		}
		if (rc != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
mb_hist_restore(struct mb *mb, struct mb *src, MDB_txn *txn)
{
	MDB_cursor	*c;
	MDB_val		 k, v, x;
	uint64_t	 seq, top;
	int		 rc;

	if ((rc = diff_db(mb, mb->wtxn, mb->keys, mb->keys, txn, src->keys,
	    1, 0)) != 0 ||
	    (rc = diff_db(mb, txn, src->keys, src->keys, mb->wtxn, mb->keys,
	    0, 0)) != 0 ||
	    (rc = diff_db(mb, mb->wtxn, mb->props, mb->keys, txn, src->props,
	    1, 1)) != 0 ||
	    (rc = diff_db(mb, txn, src->props, src->keys, mb->wtxn, mb->props,
	    0, 1)) != 0)
		return rc;
	mb->hist.flags |= MB_HIST_RESTORE;
	if (!src->hist.have)
		return 0;
	if ((rc = ensure_dbi(mb)) != 0 ||
	    (rc = last_seq(mb, mb->wtxn, &top)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, src->history, &c)) != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8)
			continue;
		if ((rc = mdb_get(mb->wtxn, mb->history, &k, &x)) == 0)
			continue;
		if (rc != MDB_NOTFOUND ||
		    (rc = mdb_put(mb->wtxn, mb->history, &k, &v, 0)) != 0)
			break;
		if ((seq = be64_get(k.mv_data)) > top)
			top = seq;
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return rc;
	return put_last_seq(mb, top);
}

/* Rollback. */

/* What one key or property goes back to, and what it is now. */
struct plan {
	struct mb_change *t;	/* target: has_old, old */
	int		 has_cur;
	MDB_val		 cur;
};

static void
prop_key(unsigned char *buf, const char *ikey, size_t ilen, uint32_t id)
{
	memcpy(buf, ikey, ilen);
	buf[ilen] = '\0';
	mb_be32_put(buf + ilen + 1, id);
}

static int
current(struct mb *mb, const struct mb_change *t, MDB_val *cur)
{
	unsigned char	 pk[MB_MAXPATH + 6];
	MDB_val		 k;

	if (t->id == 0) {
		k.mv_data = t->ikey;
		k.mv_size = t->ilen;
		return mdb_get(mb->wtxn, mb->keys, &k, cur);
	}
	prop_key(pk, t->ikey, t->ilen, t->id);
	k.mv_data = pk;
	k.mv_size = t->ilen + 5;
	return mdb_get(mb->wtxn, mb->props, &k, cur);
}

/* Targets: the old side of every change after seq, the oldest winning. */
static int
collect(struct mb *mb, uint64_t seq, struct mb_change **tv, size_t *tn)
{
	struct mb_hentry e;
	struct mb_change *v = NULL;
	MDB_cursor	*c;
	MDB_val		 k, d, *raw = NULL;
	char		 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 1];
	size_t		 i, n = 0, cap = 0, ilen;
	int		 rc;

	*tv = NULL;
	*tn = 0;
	if (!mb->hist.have)
		return 0;
	if ((rc = mdb_cursor_open(mb->wtxn, mb->history, &c)) != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_LAST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &d, MDB_PREV)) {
		if (k.mv_size != 8 || be64_get(k.mv_data) <= seq)
			break;
		if ((rc = decode(&k, &d, &e, &raw)) != 0)
			break;
		for (i = 0; i < e.nchanges && rc == 0; i++) {
			const struct mb_hchange *hc = &e.changes[i];

			if (mb_path_internal(NULL, hc->path, canon, ikey,
			    &ilen) < 0)
				continue;
			rc = list_add(&v, &n, &cap, ikey, ilen, hc->path,
			    strlen(hc->path), hc->id,
			    hc->has_old ? &raw[2 * i] : NULL, NULL);
		}
		free(raw);
		raw = NULL;
		mb_hentry_release(&e);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (rc == 0 && n > 1)
		qsort(v, n, sizeof(*v), cmp_change);
	/* Keep the last of each run: added newest first, it is the oldest. */
	if (rc == 0) {
		size_t out = 0;

		for (i = 0; i < n; i++) {
			if (i + 1 < n && same_item(&v[i], &v[i + 1])) {
				change_release(&v[i]);
				continue;
			}
			v[out++] = v[i];
		}
		n = out;
	}
	if (rc != 0) {
		for (i = 0; i < n; i++)
			change_release(&v[i]);
		free(v);
		return rc;
	}
	*tv = v;
	*tn = n;
	return 0;
}

/*
 * The change pl makes, as a struct mb_hchange; the value now only with
 * cur, before anything is written (the page it is on may go).
 */
static void
hchange_of(const struct plan *pl, int cur, struct mb_hchange *hc,
    MDB_val *tgt)
{
	const struct mb_change *t = pl->t;
	int	 pid = t->id != 0 ? mb_pid_of(t->id) : -1;

	memset(hc, 0, sizeof(*hc));
	hc->path = t->path;
	hc->id = t->id;
	hc->prop = pid >= 0 ? &mb_schema[pid] : NULL;
	hc->has_old = pl->has_cur;
	hc->has_new = t->has_old;
	tgt->mv_data = t->old;
	tgt->mv_size = t->oldlen;
	if (hc->prop != NULL) {
		if (hc->has_old && cur)
			mb_decode(hc->prop, &pl->cur, &hc->old);
		if (hc->has_new)
			mb_decode(hc->prop, tgt, &hc->new);
	}
}

static int
is_binding(uint32_t id)
{
	return id == mb_schema[MB_P_SERVERBINDINGS].id ||
	    id == mb_schema[MB_P_SECUREBINDINGS].id;
}

/* Apply the plan in an order that keeps every step valid. */
static int
apply(struct mb *mb, struct plan *pl, size_t n)
{
	struct mb_hchange hc;
	MDB_val		 tgt, cur;
	size_t		 i;
	int		 rc, phase;

	/*
	 * 0: bindings that change are cleared first, so that two sites
	 * trading one never clash; 1: properties to remove; 2: keys to
	 * remove; 3: keys to bring back, parents first (sorted); 4:
	 * properties to set.
	 */
	for (phase = 0; phase < 5; phase++) {
		for (i = 0; i < n; i++) {
			const struct mb_change *t = pl[i].t;
			const struct mb_prop *p;

			hchange_of(&pl[i], 0, &hc, &tgt);
			p = hc.prop;
			rc = 0;
			if (t->id == 0) {
				if ((phase == 2 && !t->has_old) ||
				    (phase == 3 && t->has_old)) {
					rc = current(mb, t, &cur);
					if (rc == 0 && phase == 2)
						rc = mb_key_delete(mb, t->path);
					else if (rc == MDB_NOTFOUND && phase == 3)
						rc = mb_key_create(mb, t->path);
					else if (rc == MDB_NOTFOUND)
						rc = 0;
				}
			} else if ((phase == 0 && is_binding(t->id)) ||
			    (phase == 1 && !t->has_old)) {
				if ((rc = current(mb, t, &cur)) == 0)
					rc = p != NULL ?
					    mb_prop_delete(mb, t->path, p) :
					    MB_NOPROP;
				else if (rc == MDB_NOTFOUND)
					rc = 0;
			} else if (phase == 4 && t->has_old) {
				rc = p != NULL ? mb_prop_set(mb, t->path, p,
				    &hc.new) : MB_NOPROP;
			}
			if (rc == MB_NOPROP)
				return mb_seterr(mb, rc, "cannot roll back property %u at '%s': not in this schema", (unsigned)t->id, t->path);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

int
mb_rollback(struct mb *mb, uint64_t seq, int dry_run,
    int (*fn)(void *, const struct mb_hchange *), void *arg)
{
	struct mb_change *tv = NULL;
	struct plan	*pl = NULL;
	struct mb_hchange hc;
	MDB_val		 tgt;
	uint64_t	 first, last;
	size_t		 tn = 0, n = 0, i;
	int		 rc, own, pass;

	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	if ((rc = mb_history_range(mb, &first, &last)) != 0)
		goto end_write;
	if (last == 0 || seq > last) {
		rc = mb_seterr(mb, MB_NOTFOUND, "no history entry %llu", (unsigned long long)seq);
		goto end_write;
	}
	if (seq + 1 < first) {
		rc = mb_seterr(mb, MB_NOTFOUND, "history entries after %llu are pruned; the oldest is %llu", (unsigned long long)seq, (unsigned long long)first);
		goto end_write;
	}
	if ((rc = collect(mb, seq, &tv, &tn)) != 0)
		goto end_write;
	if (tn > 0 && (pl = calloc(tn, sizeof(*pl))) == NULL) {
		rc = ENOMEM;
		goto free_targets;
	}
	for (i = 0; i < tn; i++) {
		struct plan *p = &pl[n];

		p->t = &tv[i];
		rc = current(mb, &tv[i], &p->cur);
		if (rc != 0 && rc != MDB_NOTFOUND)
			goto free_targets;
		p->has_cur = rc == 0;
		rc = 0;
		if (p->has_cur == tv[i].has_old && (!p->has_cur ||
		    tv[i].id == 0 || (p->cur.mv_size == tv[i].oldlen &&
		    memcmp(p->cur.mv_data, tv[i].old, tv[i].oldlen) == 0)))
			continue;
		n++;
	}
	/* Tell: keys that come back, properties, keys that go. */
	for (pass = 0; fn != NULL && pass < 3; pass++)
		for (i = 0; i < n; i++) {
			const struct mb_change *t = pl[i].t;

			if ((pass == 0) != (t->id == 0 && t->has_old) ||
			    (pass == 2) != (t->id == 0 && !t->has_old))
				continue;
			hchange_of(&pl[i], 1, &hc, &tgt);
			if ((rc = fn(arg, &hc)) != 0)
				goto free_targets;
		}
	if (dry_run || n == 0)
		goto free_targets;
	if ((rc = apply(mb, pl, n)) == 0) {
		mb->hist.flags |= MB_HIST_ROLLBACK;
		mb->hist.target = seq;
	}
 free_targets:
	for (i = 0; i < tn; i++)
		change_release(&tv[i]);
	free(tv);
	free(pl);
 end_write:
	if (dry_run && own) {
		mb_write_abort(mb);
		return rc;
	}
	return mb_wend(mb, own, rc);
}
