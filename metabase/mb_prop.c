/*
 * mb_prop.c - properties: stored values, inheritance, setting and
 * deleting, and mb_resolve() for the request path.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mb_int.h"

/* Properties. */

static void
prop_key(char *buf, const char *ikey, size_t ilen, uint32_t id)
{
	memcpy(buf, ikey, ilen);
	buf[ilen] = '\0';
	mb_be32_put((unsigned char *)buf + ilen + 1, id);
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

void
mb_default(const struct mb_prop *p, struct mb_value *out)
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

	if ((rc = mb_key_find(mb, path, canon, ikey, &ilen, &txn)) != 0)
		return rc;
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
	mb_default(p, out);
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
	int		 rc, pid;

	if ((rc = mb_key_find(mb, path, canon, ikey, &ilen, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, mb->props, &c)) != 0)
		return rc;
	ikey[ilen] = '\0';
	k.mv_data = ikey;
	k.mv_size = ilen + 1;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != ilen + 5 || memcmp(k.mv_data, ikey, ilen + 1))
			break;
		pid = mb_pid_of(mb_be32_get((char *)k.mv_data + ilen + 1));
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
	MDB_val		 k, v, ov;
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
	if ((rc = mb_key_need(mb, mb->wtxn, ikey, ilen, canon)) != 0)
		goto end_write;
	if (p->syntax == MB_SYN_BINDING) {
		rc = mb_rawget(mb, mb->wtxn, ikey, ilen, p->id, &old);
		if (rc == MDB_NOTFOUND) {
			old.str = NULL;
			old.len = 0;
		} else if (rc != 0)
			goto end_write;
		if ((rc = mb_bindings_update(mb, mb->wtxn, canon,
		    p == &mb_schema[MB_P_SECUREBINDINGS], &old, val)) != 0)
			goto end_write;
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
	/* The value before, for the history, read before it is gone. */
	if ((rc = mdb_get(mb->wtxn, mb->props, &k, &ov)) != 0 &&
	    rc != MDB_NOTFOUND)
		goto end_write;
	if ((rc = mb_hist_prop(mb, mb->wtxn, ikey, ilen, canon, p->id,
	    rc == 0 ? &ov : NULL, &v)) != 0)
		goto end_write;
	rc = mdb_put(mb->wtxn, mb->props, &k, &v, 0);
 end_write:
	return mb_wend(mb, own, rc);
}

int
mb_prop_delete(struct mb *mb, const char *path, const struct mb_prop *p)
{
	char		 canon[MB_MAXPATH + 1], ikey[MB_MAXPATH + 1];
	char		 pk[MB_MAXPATH + 6];
	size_t		 ilen;
	struct mb_value	 old;
	MDB_val		 k, ov;
	int		 rc, own;

	if ((rc = mb_path_internal(mb, path, canon, ikey, &ilen)) < 0)
		return rc;
	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	rc = mb_rawget(mb, mb->wtxn, ikey, ilen, p->id, &old);
	if (rc == MDB_NOTFOUND) {
		rc = mb_seterr(mb, MB_NOTFOUND, "%s is not set at '%s'", p->name, canon);
		goto end_write;
	}
	if (rc != 0)
		goto end_write;
	if (p->syntax == MB_SYN_BINDING &&
	    (rc = mb_bindings_update(mb, mb->wtxn, canon,
	    p == &mb_schema[MB_P_SECUREBINDINGS], &old, NULL)) != 0)
		goto end_write;
	prop_key(pk, ikey, ilen, p->id);
	k.mv_data = pk;
	k.mv_size = ilen + 5;
	if ((rc = mdb_get(mb->wtxn, mb->props, &k, &ov)) != 0 ||
	    (rc = mb_hist_prop(mb, mb->wtxn, ikey, ilen, canon, p->id, &ov,
	    NULL)) != 0)
		goto end_write;
	rc = mdb_del(mb->wtxn, mb->props, &k, NULL);
 end_write:
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
			pid = mb_pid_of(mb_be32_get((char *)k.mv_data + n + 1));
			if (pid < 0 || set[pid] ||
			    (!mb_schema[pid].inherit && plen[depth] != *keylen))
				continue;
			mb_decode(&mb_schema[pid], &v, &out->v[pid]);
			out->v[pid].origin = (int)plen[depth];
			set[pid] = 1;
		}
		if (rc != 0 && rc != MDB_NOTFOUND)
			goto close_cursor;
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
		mb_default(&mb_schema[pid], &out->v[pid]);
	}
 close_cursor:
	if (own)
		mdb_cursor_close(c);
	return rc;
}

