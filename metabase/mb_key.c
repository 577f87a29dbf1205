/*
 * mb_key.c - key paths, and keys: lookup, creation, deletion, walks.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mb_int.h"

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

/* Keys. */

int
mb_key_get(struct mb *mb, MDB_txn *txn, const char *ikey, size_t ilen)
{
	MDB_val	 k = { ilen, (void *)ikey }, v;

	return mdb_get(txn, mb->keys, &k, &v);
}

int
mb_key_need(struct mb *mb, MDB_txn *txn, const char *ikey, size_t ilen,
    const char *canon)
{
	int	 rc;

	if ((rc = mb_key_get(mb, txn, ikey, ilen)) == MDB_NOTFOUND)
		return mb_seterr(mb, MB_NOTFOUND, "no key '%s'", canon);
	return rc;
}

int
mb_key_find(struct mb *mb, const char *path, char canon[MB_MAXPATH + 1],
    char *ikey, size_t *ilen, MDB_txn **txnp)
{
	int	 rc;

	if ((rc = mb_path_internal(mb, path, canon, ikey, ilen)) < 0)
		return rc;
	if ((*txnp = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	return mb_key_need(mb, *txnp, ikey, *ilen, canon);
}

int
mb_key_exists(struct mb *mb, const char *path)
{
	char	 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 1];
	size_t	 ilen;
	MDB_txn	*txn;

	return mb_key_find(mb, path, canon, ikey, &ilen, &txn);
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
	rc = mb_key_get(mb, mb->wtxn, ikey, ilen);
	if (rc == 0) {
		rc = mb_seterr(mb, MB_EXISTS, "key '%s' already exists", canon);
		goto end_write;
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
		if ((rc = mb_hist_key(mb, ikey, n, canon, n, 1)) != 0 ||
		    (rc = mdb_put(mb->wtxn, mb->keys, &k, &v, 0)) != 0)
			break;
	}
 end_write:
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
		pid = mb_pid_of(mb_be32_get((char *)k.mv_data + ilen + 1));
		if (pid == MB_P_SERVERBINDINGS || pid == MB_P_SECUREBINDINGS) {
			mb_decode(&mb_schema[pid], &v, &old);
			if ((rc = mb_bindings_update(mb, txn, canon,
			    pid == MB_P_SECUREBINDINGS, &old, NULL)) != 0)
				break;
		}
		if ((rc = mb_hist_prop(mb, txn, ikey, ilen, canon,
		    mb_be32_get((char *)k.mv_data + ilen + 1), &v, NULL)) != 0 ||
		    (rc = mdb_cursor_del(c, 0)) != 0)
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
	if ((rc = mb_key_need(mb, mb->wtxn, ikey, ilen, canon)) != 0)
		goto end_write;
	if ((rc = mdb_cursor_open(mb->wtxn, mb->keys, &c)) != 0)
		goto end_write;
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
		if ((rc = mb_hist_key(mb, ck, cl, cc, strlen(cc), 0)) != 0 ||
		    (rc = mdb_cursor_del(c, 0)) != 0)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(c);
 end_write:
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

	if ((rc = mb_key_find(mb, path, canon, ikey, &ilen, &txn)) != 0)
		return rc;
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
			goto close_cursor;
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
 close_cursor:
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
