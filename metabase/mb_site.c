/*
 * mb_site.c - bindings, the index that finds a site for a connection, and
 * site creation.
 *
 * The bindings database maps "ip:port:host" (the binding in canonical
 * form: IPv6 in brackets as inet_ntop writes it, host in lower case) to
 * the site that owns it, so that finding a site is a few lookups however
 * many sites there are; a SecureBindings entry is the same with "s"
 * before it.  "#<port>" counts the plain and the secure bindings on a
 * port (two big-endian numbers), so that a port is kept to one kind
 * without a walk.  It is kept in step with every ServerBindings and
 * SecureBindings value by mb_prop_set(), mb_prop_delete() and
 * mb_key_delete().
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_int.h"

/* "s[ffff:...]:65535:" plus a host name fits. */
#define BINDKEY_MAX	(sizeof(((struct mb_binding *)0)->ip) + 9 + \
			 sizeof(((struct mb_binding *)0)->host))

static int
host_ok(const char *h, size_t n)
{
	size_t	 i, label = 0;

	if (n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		if (h[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return n == 0 || label > 0;
}

int
mb_binding_parse_err(const char *s, struct mb_binding *b, char *err,
    size_t errlen)
{
	const char	*p, *port, *host;
	char		 ip[64];
	unsigned char	 addr[16];
	size_t		 n;
	unsigned long	 v = 0;

	memset(b, 0, sizeof(*b));
	if (s[0] == '[') {
		if ((p = strchr(s, ']')) == NULL || p[1] != ':')
			goto form;
		n = p - s - 1;
		p += 2;
	} else {
		if ((p = strchr(s, ':')) == NULL)
			goto form;
		n = p - s;
		p++;
	}
	if (n >= sizeof(ip))
		goto badip;
	memcpy(ip, s + (s[0] == '['), n);
	ip[n] = '\0';
	port = p;
	if ((host = strchr(port, ':')) == NULL)
		goto form;
	host++;
	if (strchr(host, ':') != NULL)
		goto form;
	if (n > 0) {
		if (s[0] == '[' ? inet_pton(AF_INET6, ip, addr) != 1 :
		    inet_pton(AF_INET, ip, addr) != 1)
			goto badip;
		inet_ntop(s[0] == '[' ? AF_INET6 : AF_INET, addr, b->ip,
		    sizeof(b->ip));
	} else if (s[0] == '[')
		goto badip;
	if (port == host - 1) {
		snprintf(err, errlen, "invalid binding '%s': the port is missing", s);
		return MB_BADVALUE;
	}
	if (port[0] == '0')
		goto badport;		/* "080": one port, one spelling */
	for (p = port; p < host - 1; p++) {
		if (!isdigit((unsigned char)*p) || (v = v * 10 + (*p - '0')) >
		    65535)
			goto badport;
	}
	if (v == 0)
		goto badport;
	b->port = (unsigned)v;
	n = strlen(host);
	if (!host_ok(host, n) || n >= sizeof(b->host)) {
		snprintf(err, errlen, "invalid binding '%s': bad host name '%s'", s, host);
		return MB_BADVALUE;
	}
	for (size_t i = 0; i <= n; i++)
		b->host[i] = tolower((unsigned char)host[i]);
	return 0;

 form:
	snprintf(err, errlen, "invalid binding '%s': expected IP:Port:HostHeader (IP empty for all unassigned, IPv6 in brackets)", s);
	return MB_BADVALUE;
 badip:
	snprintf(err, errlen, "invalid binding '%s': bad IP address", s);
	return MB_BADVALUE;
 badport:
	snprintf(err, errlen, "invalid binding '%s': port must be 1 to 65535, without leading zeros", s);
	return MB_BADVALUE;
}

int
mb_binding_parse(const char *s, struct mb_binding *b)
{
	char	 err[8];

	return mb_binding_parse_err(s, b, err, sizeof(err));
}

static size_t
bindkey(char *buf, size_t len, int secure, const char *ip, unsigned port,
    const char *host)
{
	const char	*s = secure ? "s" : "";
	int		 n;

	if (strchr(ip, ':') != NULL)
		n = snprintf(buf, len, "%s[%s]:%u:%s", s, ip, port, host);
	else
		n = snprintf(buf, len, "%s%s:%u:%s", s, ip, port, host);
	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}

/*
 * Add delta to the count of secure or plain bindings on port; adding one
 * where the other kind has any is MB_CONFLICT.
 */
static int
port_count(struct mb *mb, MDB_txn *txn, unsigned port, int secure,
    int delta, const char *binding)
{
	char		 key[8];
	unsigned char	 cnt[8] = { 0 };
	uint32_t	 mine, other;
	MDB_val		 k, v;
	int		 rc;

	k.mv_data = key;
	k.mv_size = (size_t)snprintf(key, sizeof(key), "#%u", port);
	rc = mdb_get(txn, mb->bindings, &k, &v);
	if (rc == 0 && v.mv_size == sizeof(cnt))
		memcpy(cnt, v.mv_data, sizeof(cnt));
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	mine = mb_be32_get(cnt + 4 * (secure != 0));
	other = mb_be32_get(cnt + 4 * (secure == 0));
	if (delta > 0 && other > 0)
		return mb_seterr(mb, MB_CONFLICT, "binding '%s': port %u already serves %s", binding, port, secure ? "plain HTTP (ServerBindings)" : "TLS (SecureBindings)");
	mine = delta < 0 && mine == 0 ? 0 : mine + (uint32_t)delta;
	mb_be32_put(cnt + 4 * (secure != 0), mine);
	if (mine == 0 && other == 0)
		rc = mdb_del(txn, mb->bindings, &k, NULL);
	else {
		v.mv_data = cnt;
		v.mv_size = sizeof(cnt);
		rc = mdb_put(txn, mb->bindings, &k, &v, 0);
	}
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The site id in a canonical site path "/LM/W3SVC/<id>". */
static uint32_t
site_of(const char *canon)
{
	const char *p = strrchr(canon, '/');

	return p != NULL ? (uint32_t)strtoul(p + 1, NULL, 10) : 0;
}

int
mb_bindings_update(struct mb *mb, MDB_txn *txn, const char *canon,
    int secure, const struct mb_value *oldv, const struct mb_value *newv)
{
	struct mb_binding b;
	char		 key[BINDKEY_MAX];
	unsigned char	 id[4];
	const char	*s;
	uint32_t	 site = site_of(canon);
	MDB_val		 k, v;
	int		 rc;

	mb_be32_put(id, site);
	MB_MULTISZ_FOREACH(s, oldv) {
		if (mb_binding_parse(s, &b) != 0)
			continue;
		k.mv_data = key;
		k.mv_size = bindkey(key, sizeof(key), secure, b.ip, b.port,
		    b.host);
		rc = mdb_get(txn, mb->bindings, &k, &v);
		if (rc == 0 && v.mv_size == 4 && mb_be32_get(v.mv_data) == site &&
		    (rc = mdb_del(txn, mb->bindings, &k, NULL)) == 0)
			rc = port_count(mb, txn, b.port, secure, -1, s);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
	}
	if (newv == NULL)
		return 0;
	MB_MULTISZ_FOREACH(s, newv) {
		if ((rc = mb_binding_parse_err(s, &b, mb->err,
		    sizeof(mb->err))) != 0)
			return rc;
		k.mv_data = key;
		k.mv_size = bindkey(key, sizeof(key), secure, b.ip, b.port,
		    b.host);
		rc = mdb_get(txn, mb->bindings, &k, &v);
		if (rc == 0 && v.mv_size == 4 && mb_be32_get(v.mv_data) != site)
			return mb_seterr(mb, MB_CONFLICT, "binding '%s' is already used by site %u", s, (unsigned)mb_be32_get(v.mv_data));
		if (rc == MDB_NOTFOUND &&
		    (rc = port_count(mb, txn, b.port, secure, 1, s)) != 0)
			return rc;
		v.mv_data = id;
		v.mv_size = 4;
		if ((rc = mdb_put(txn, mb->bindings, &k, &v, 0)) != 0)
			return rc;
	}
	return 0;
}

int
mb_bindings_rebuild(struct mb *mb, MDB_txn *txn)
{
	const struct mb_prop *sb = &mb_schema[MB_P_SERVERBINDINGS];
	const struct mb_prop *ssb = &mb_schema[MB_P_SECUREBINDINGS];
	const struct mb_prop *p;
	struct mb_value	 none = { 0, NULL, 0, 0 }, val;
	uint32_t	 id;
	char		 canon[MB_MAXPATH + 1];
	MDB_cursor	*c;
	MDB_val		 k, v, ik, iv;
	int		 rc;

	if ((rc = mdb_drop(txn, mb->bindings, 0)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, mb->props, &c)) != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 6 || k.mv_size - 5 > MB_MAXPATH)
			continue;
		id = mb_be32_get((char *)k.mv_data + k.mv_size - 4);
		if (id != sb->id && id != ssb->id)
			continue;
		p = id == sb->id ? sb : ssb;
		/* The key's path as created, for its site id. */
		ik.mv_data = k.mv_data;
		ik.mv_size = k.mv_size - 5;
		if ((rc = mdb_get(txn, mb->keys, &ik, &iv)) != 0 ||
		    iv.mv_size > MB_MAXPATH) {
			rc = MB_DAMAGED;
			break;
		}
		memcpy(canon, iv.mv_data, iv.mv_size);
		canon[iv.mv_size] = '\0';
		mb_decode(p, &v, &val);
		if ((rc = mb_bindings_update(mb, txn, canon, p == ssb, &none,
		    &val)) != 0) {
			if (rc == MB_CONFLICT)
				rc = MB_DAMAGED;
			break;
		}
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
mb_site_find(struct mb *mb, int secure, const char *ip, unsigned port,
    const char *host, size_t hostlen, uint32_t *site)
{
	char		 h[256], key[BINDKEY_MAX];
	const char	*ips[2] = { ip, "" };
	MDB_txn		*txn;
	MDB_val		 k, v;
	size_t		 i;
	int		 pass, rc;

	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	if (hostlen > 0 && host[hostlen - 1] == '.')
		hostlen--;		/* "example.test." is example.test */
	if (hostlen >= sizeof(h))
		hostlen = 0;
	for (i = 0; i < hostlen; i++)
		h[i] = tolower((unsigned char)host[i]);
	h[hostlen] = '\0';
	/* IIS's order: with the host name first, then without; exact IP first. */
	for (pass = hostlen > 0 ? 0 : 2; pass < 4; pass++) {
		k.mv_size = bindkey(key, sizeof(key), secure, ips[pass & 1],
		    port, pass < 2 ? h : "");
		k.mv_data = key;
		if (k.mv_size == 0)
			continue;
		rc = mdb_get(txn, mb->bindings, &k, &v);
		if (rc == MDB_NOTFOUND)
			continue;
		if (rc != 0)
			return rc;
		if (v.mv_size != 4)
			return MB_DAMAGED;
		*site = mb_be32_get(v.mv_data);
		return 0;
	}
	return MB_NOTFOUND;
}

int
mb_binding_each(struct mb *mb,
    int (*fn)(void *, const struct mb_binding *, uint32_t), void *arg)
{
	struct mb_binding b;
	char		 key[BINDKEY_MAX];
	MDB_cursor	*c;
	MDB_txn		*txn;
	MDB_val		 k, v;
	int		 rc;

	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	if ((rc = mdb_cursor_open(txn, mb->bindings, &c)) != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size >= sizeof(key) || v.mv_size != 4)
			continue;
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		if (mb_binding_parse(key + (key[0] == 's'), &b) != 0)
			continue;
		b.secure = key[0] == 's';
		if ((rc = fn(arg, &b, mb_be32_get(v.mv_data))) != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

struct idlist {
	uint32_t	*ids;
	size_t		 n, cap;
};

static int
collect_id(void *arg, const char *path)
{
	struct idlist	*l = arg;
	char		 canon[MB_MAXPATH + 1];
	uint32_t	*ids;

	/* A damaged file may hold any key: only sites count. */
	if (mb_path_canon(path, canon) != MB_KIND_SITE)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((ids = realloc(l->ids, l->cap * sizeof(*ids))) == NULL)
			return ENOMEM;
		l->ids = ids;
	}
	l->ids[l->n++] = site_of(path);
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
mb_site_each(struct mb *mb, int (*fn)(void *, uint32_t), void *arg)
{
	struct idlist	 l = { NULL, 0, 0 };
	size_t		 i;
	int		 rc;

	if ((rc = mb_key_children(mb, "/LM/W3SVC", collect_id, &l)) != 0)
		goto free_ids;
	if (l.n > 0)
		qsort(l.ids, l.n, sizeof(*l.ids), cmp_id);
	for (i = 0; i < l.n; i++)
		if ((rc = fn(arg, l.ids[i])) != 0)
			break;
 free_ids:
	free(l.ids);
	return rc;
}

/* Ids come lowest first: the first gap is the lowest free id. */
static int
next_free(void *arg, uint32_t id)
{
	uint32_t	*want = arg;

	if (id == *want)
		(*want)++;
	return 0;
}

int
mb_site_create(struct mb *mb, uint32_t *id, const char *name,
    const struct mb_value *bindings, const char *path)
{
	struct mb_value	 v;
	char		 site[64], root[80];
	int		 rc, own;

	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	if (*id == 0) {
		*id = 1;
		if ((rc = mb_site_each(mb, next_free, id)) != 0)
			goto end_write;
		if (*id == 0) {
			rc = mb_seterr(mb, MB_EXISTS, "no free site id");
			goto end_write;
		}
	}
	snprintf(site, sizeof(site), "/LM/W3SVC/%u", (unsigned)*id);
	snprintf(root, sizeof(root), "%s/ROOT", site);
	if ((rc = mb_key_exists(mb, site)) == 0) {
		rc = mb_seterr(mb, MB_EXISTS, "site %u already exists", (unsigned)*id);
		goto end_write;
	}
	if ((rc = mb_key_create(mb, root)) != 0)
		goto end_write;
	memset(&v, 0, sizeof(v));
	v.str = name;
	v.len = strlen(name);
	if ((rc = mb_prop_set(mb, site, &mb_schema[MB_P_SERVERCOMMENT],
	    &v)) != 0 ||
	    (rc = mb_prop_set(mb, site, &mb_schema[MB_P_SERVERBINDINGS],
	    bindings)) != 0)
		goto end_write;
	v.dword = MB_STATE_STARTED;
	if ((rc = mb_prop_set(mb, site, &mb_schema[MB_P_SERVERSTATE],
	    &v)) != 0)
		goto end_write;
	v.str = path;
	v.len = strlen(path);
	rc = mb_prop_set(mb, root, &mb_schema[MB_P_PATH], &v);
 end_write:
	return mb_wend(mb, own, rc);
}

/* "/LM/W3SVC/<id>" in buf, which exists: else MB_NOTFOUND, "no such site". */
static int
site_key(struct mb *mb, uint32_t id, char *buf, size_t len)
{
	int	 rc;

	snprintf(buf, len, "/LM/W3SVC/%u", (unsigned)id);
	if ((rc = mb_key_exists(mb, buf)) == MB_NOTFOUND)
		return mb_seterr(mb, MB_NOTFOUND, "no such site %u", (unsigned)id);
	return rc;
}

int
mb_site_set_state(struct mb *mb, uint32_t id, uint32_t state)
{
	struct mb_value	 v = { 0, NULL, 0, 0 };
	char		 site[64];
	int		 rc, own;

	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	if ((rc = site_key(mb, id, site, sizeof(site))) == 0) {
		v.dword = state;
		rc = mb_prop_set(mb, site, &mb_schema[MB_P_SERVERSTATE], &v);
	}
	return mb_wend(mb, own, rc);
}

int
mb_site_delete(struct mb *mb, uint32_t id)
{
	char	 site[64];
	int	 rc, own;

	if ((rc = mb_wbegin(mb, &own)) != 0)
		return rc;
	if ((rc = site_key(mb, id, site, sizeof(site))) == 0)
		rc = mb_key_delete(mb, site);
	return mb_wend(mb, own, rc);
}
