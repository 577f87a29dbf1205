/*
 * mb_mirror.c - the tree as a farm shares it: a dump of every key and
 * property but a host's own (MB_PF_HOSTLOCAL), applying a dump as one
 * transaction, the farm revision applied, and the commit hook through
 * which mbctl publishes a change before it commits.  The format is in
 * metabase.h; the etcd side is farm/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_int.h"

/* A growing text. */
struct buf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
buf_add(struct buf *b, const void *s, size_t n)
{
	char	*np;
	size_t	 cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Bytes, with control bytes, DEL and '\\' as \xHH. */
static void
buf_esc(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t		 i, run = 0;
	unsigned char	 c;
	char		 e[4] = { '\\', 'x', 0, 0 };

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		e[2] = hex[c >> 4];
		e[3] = hex[c & 15];
		buf_add(b, e, 4);
		run = i + 1;
	}
	buf_add(b, s + run, n - run);
}

/* Collecting key paths before anything is done to them. */
struct paths {
	char	**v;
	size_t	 n, cap;
};

static int
paths_add(void *arg, const char *path)
{
	struct paths	*ps = arg;
	char		**nv;

	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 64;
		if ((nv = realloc(ps->v, ps->cap * sizeof(*nv))) == NULL)
			return ENOMEM;
		ps->v = nv;
	}
	if ((ps->v[ps->n] = strdup(path)) == NULL)
		return ENOMEM;
	ps->n++;
	return 0;
}

static void
paths_free(struct paths *ps)
{
	size_t	 i;

	for (i = 0; i < ps->n; i++)
		free(ps->v[i]);
	free(ps->v);
	ps->v = NULL;
	ps->n = ps->cap = 0;
}

/* Dumping. */

struct dumpkey {
	struct buf	*b;
	const char	*path;
};

static int
dump_prop(void *arg, const struct mb_prop *p, const struct mb_value *v)
{
	struct dumpkey	*d = arg;
	char		 num[32];

	if (p->pflags & MB_PF_HOSTLOCAL)
		return 0;
	buf_str(d->b, "P ");
	buf_esc(d->b, d->path, strlen(d->path));
	snprintf(num, sizeof(num), "\t%u\t", (unsigned)p->id);
	buf_str(d->b, num);
	if (p->type == MB_BOOL || p->type == MB_DWORD) {
		snprintf(num, sizeof(num), "%u", (unsigned)v->dword);
		buf_str(d->b, num);
	} else
		buf_esc(d->b, v->str, v->len);
	buf_str(d->b, "\n");
	return d->b->oom ? ENOMEM : 0;
}

int
mb_mirror_dump(struct mb *mb, char **out, size_t *outlen)
{
	struct paths	 ps = { NULL, 0, 0 };
	struct buf	 b = { NULL, 0, 0, 0 };
	struct dumpkey	 d = { &b, NULL };
	size_t		 i;
	int		 rc;

	*out = NULL;
	*outlen = 0;
	if ((rc = mb_key_walk(mb, "/LM", paths_add, &ps)) != 0)
		goto done;
	buf_str(&b, MB_MIRROR_MAGIC);
	for (i = 0; i < ps.n && rc == 0; i++) {
		buf_str(&b, "K ");
		buf_esc(&b, ps.v[i], strlen(ps.v[i]));
		buf_str(&b, "\n");
		d.path = ps.v[i];
		rc = mb_prop_each(mb, ps.v[i], dump_prop, &d);
	}
	if (rc == 0 && b.oom)
		rc = ENOMEM;
 done:
	paths_free(&ps);
	if (rc != 0) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}

/* Reading a dump. */

struct mprop {
	size_t		 key;		/* index in keys */
	const struct mb_prop *p;
	struct mb_value	 v;		/* str allocated */
};

struct parsed {
	char		**keys;
	size_t		 nkeys, capkeys;
	struct mprop	*props;
	size_t		 nprops, capprops;
};

static void
parsed_free(struct parsed *d)
{
	size_t	 i;

	for (i = 0; i < d->nkeys; i++)
		free(d->keys[i]);
	free(d->keys);
	for (i = 0; i < d->nprops; i++)
		free((char *)d->props[i].v.str);
	free(d->props);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unescape s[0 .. n) into a new NUL-terminated buffer; NULL on error. */
static char *
unesc(const char *s, size_t n, size_t *outlen, int *bad)
{
	char	*o;
	size_t	 i, j = 0;
	int	 h, l;

	if ((o = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			o[j++] = s[i];
			continue;
		}
		if (n - i < 4 || s[i + 1] != 'x' || (h = hexval(s[i + 2])) < 0 ||
		    (l = hexval(s[i + 3])) < 0) {
			*bad = 1;
			free(o);
			return NULL;
		}
		o[j++] = (char)(h << 4 | l);
		i += 3;
	}
	o[j] = '\0';
	*outlen = j;
	return o;
}

static int
parse_fail(struct mb *mb, size_t line, const char *why)
{
	return mb_seterr(mb, MB_BADVALUE,
	    "the farm's metabase is not a valid dump: line %zu: %s", line, why);
}

static int
parse_dump(struct mb *mb, const char *s, size_t len, struct parsed *d)
{
	const char	*end = s + len, *nl, *t1, *t2;
	size_t		 line = 1, n, plen;
	char		*path, *val;
	unsigned long	 id;
	int		 bad = 0, pid;
	void		*nv;

	n = strlen(MB_MIRROR_MAGIC);
	if (len < n || memcmp(s, MB_MIRROR_MAGIC, n) != 0)
		return parse_fail(mb, 1, "no mbhttpd-mirror 1 header");
	for (s += n; s < end; s = nl + 1) {
		line++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			return parse_fail(mb, line, "no newline at the end");
		if (nl - s < 3 || (s[0] != 'K' && s[0] != 'P') || s[1] != ' ')
			return parse_fail(mb, line, "not a K or P line");
		if (s[0] == 'K') {
			if ((path = unesc(s + 2, (size_t)(nl - s - 2), &plen,
			    &bad)) == NULL)
				return bad ? parse_fail(mb, line, "bad escape")
				    : ENOMEM;
			if (d->nkeys == d->capkeys) {
				d->capkeys = d->capkeys ? d->capkeys * 2 : 64;
				nv = realloc(d->keys,
				    d->capkeys * sizeof(*d->keys));
				if (nv == NULL) {
					free(path);
					return ENOMEM;
				}
				d->keys = nv;
			}
			d->keys[d->nkeys++] = path;
			continue;
		}
		/* P path \t id \t value: the path is that of the last K. */
		if ((t1 = memchr(s + 2, '\t', (size_t)(nl - s - 2))) == NULL ||
		    (t2 = memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1))) == NULL)
			return parse_fail(mb, line, "a P line needs path, id and value");
		if (d->nkeys == 0 || (path = unesc(s + 2, (size_t)(t1 - s - 2),
		    &plen, &bad)) == NULL)
			return bad || d->nkeys == 0 ?
			    parse_fail(mb, line, "a property before its key") :
			    ENOMEM;
		n = strcmp(path, d->keys[d->nkeys - 1]);
		free(path);
		if (n != 0)
			return parse_fail(mb, line, "a property away from its key");
		errno = 0;
		id = strtoul(t1 + 1, &path, 10);
		if (path != t2 || errno != 0 || id == 0 || id > UINT32_MAX)
			return parse_fail(mb, line, "bad property id");
		if ((pid = mb_pid_of((uint32_t)id)) < 0)
			return mb_seterr(mb, MB_BADVALUE,
			    "the farm's metabase has property id %lu, which this mbhttpd does not know: upgrade this host",
			    id);
		if ((val = unesc(t2 + 1, (size_t)(nl - t2 - 1), &plen,
		    &bad)) == NULL)
			return bad ? parse_fail(mb, line, "bad escape") : ENOMEM;
		if (d->nprops == d->capprops) {
			d->capprops = d->capprops ? d->capprops * 2 : 256;
			nv = realloc(d->props, d->capprops * sizeof(*d->props));
			if (nv == NULL) {
				free(val);
				return ENOMEM;
			}
			d->props = nv;
		}
		d->props[d->nprops].key = d->nkeys - 1;
		d->props[d->nprops].p = &mb_schema[pid];
		memset(&d->props[d->nprops].v, 0, sizeof(struct mb_value));
		if (mb_schema[pid].type == MB_BOOL ||
		    mb_schema[pid].type == MB_DWORD) {
			errno = 0;
			id = strtoul(val, &path, 10);
			n = *path != '\0' || errno != 0 || id > UINT32_MAX ||
			    val[0] < '0' || val[0] > '9';
			free(val);
			if (n)
				return parse_fail(mb, line, "bad number");
			d->props[d->nprops].v.dword = (uint32_t)id;
		} else {
			d->props[d->nprops].v.str = val;
			d->props[d->nprops].v.len = plen;
		}
		d->nprops++;
	}
	return 0;
}

/* Applying. */

static int
cmp_path(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static int
in_sorted(char **v, size_t n, const char *path)
{
	return bsearch(&path, v, n, sizeof(*v), cmp_path) != NULL;
}

static int
same_value(const struct mb_prop *p, const struct mb_value *a,
    const struct mb_value *b)
{
	if (p->type == MB_BOOL || p->type == MB_DWORD)
		return a->dword == b->dword;
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->str, b->str, a->len) == 0);
}

/* The dump's value of p at key k, or NULL. */
static const struct mprop *
dump_value(const struct parsed *d, size_t k, const struct mb_prop *p,
    size_t *from)
{
	size_t	 i;

	/* Properties of a key are together: start at its first. */
	for (i = *from; i < d->nprops && d->props[i].key <= k; i++)
		if (d->props[i].key == k && d->props[i].p == p)
			return &d->props[i];
	return NULL;
}

struct stale {
	const struct parsed *d;
	size_t		 k, from;
	const struct mb_prop *del[MB_NPROPS];
	size_t		 ndel;
};

/*
 * Properties of a kept key to delete first: those the dump lacks, and
 * bindings that change (so that two sites swapping a binding do not
 * meet in the index half-way).
 */
static int
find_stale(void *arg, const struct mb_prop *p, const struct mb_value *v)
{
	struct stale		*st = arg;
	const struct mprop	*mp;

	if (p->pflags & MB_PF_HOSTLOCAL)
		return 0;
	mp = dump_value(st->d, st->k, p, &st->from);
	if (mp == NULL || (p->syntax == MB_SYN_BINDING &&
	    !same_value(p, v, &mp->v)))
		st->del[st->ndel++] = p;
	return 0;
}

static int
apply(struct mb *mb, const struct parsed *d, size_t *nchanged)
{
	struct paths	 local = { NULL, 0, 0 };
	char		**sorted = NULL;
	struct stale	 st;
	struct mb_value	 cur;
	size_t		 i, j, from;
	int		 rc;

	if (d->nkeys == 0 || strcasecmp(d->keys[0], "/LM") != 0)
		return mb_seterr(mb, MB_BADVALUE,
		    "the farm's metabase is not a valid dump: it does not start at /LM");
	if ((sorted = malloc(d->nkeys * sizeof(*sorted))) == NULL)
		return ENOMEM;
	memcpy(sorted, d->keys, d->nkeys * sizeof(*sorted));
	qsort(sorted, d->nkeys, sizeof(*sorted), cmp_path);
	if ((rc = mb_key_walk(mb, "/LM", paths_add, &local)) != 0)
		goto done;
	/* Keys the farm no longer has, with their subtrees. */
	for (i = 0; i < local.n; i++) {
		if (in_sorted(sorted, d->nkeys, local.v[i]))
			continue;
		rc = mb_key_delete(mb, local.v[i]);
		if (rc == MB_NOTFOUND)		/* gone with its parent */
			rc = 0;
		else if (rc == 0)
			(*nchanged)++;
		if (rc != 0)
			goto done;
	}
	/* Properties of kept keys that go or whose binding changes. */
	for (i = 0, from = 0; i < d->nkeys; i++) {
		while (from < d->nprops && d->props[from].key < i)
			from++;
		if ((rc = mb_key_exists(mb, d->keys[i])) == MB_NOTFOUND)
			continue;
		if (rc != 0)
			goto done;
		st.d = d;
		st.k = i;
		st.from = from;
		st.ndel = 0;
		if ((rc = mb_prop_each(mb, d->keys[i], find_stale, &st)) != 0)
			goto done;
		for (j = 0; j < st.ndel; j++) {
			if ((rc = mb_prop_delete(mb, d->keys[i], st.del[j])) != 0)
				goto done;
			(*nchanged)++;
		}
	}
	/* New keys, parents first, and every value that differs. */
	for (i = 0, j = 0; i < d->nkeys; i++) {
		if ((rc = mb_key_create(mb, d->keys[i])) == 0)
			(*nchanged)++;
		else if (rc != MB_EXISTS)
			goto done;
		for (; j < d->nprops && d->props[j].key == i; j++) {
			const struct mprop *mp = &d->props[j];

			rc = mb_prop_get(mb, d->keys[i], mp->p, &cur);
			if (rc == 0 && same_value(mp->p, &cur, &mp->v))
				continue;
			if (rc != 0 && rc != MB_NOTFOUND)
				goto done;
			if ((rc = mb_prop_set(mb, d->keys[i], mp->p,
			    &mp->v)) != 0)
				goto done;
			(*nchanged)++;
		}
	}
	rc = 0;
 done:
	free(sorted);
	paths_free(&local);
	return rc;
}

int
mb_mirror_apply(struct mb *mb, const char *dump, size_t len, size_t *nchanged)
{
	struct parsed	 d;
	size_t		 n = 0;
	int		 rc, own;

	memset(&d, 0, sizeof(d));
	if ((rc = parse_dump(mb, dump, len, &d)) != 0) {
		parsed_free(&d);
		return rc;
	}
	if ((rc = mb_wbegin(mb, &own)) == 0) {
		rc = apply(mb, &d, &n);
		rc = mb_wend(mb, own, rc);
	}
	parsed_free(&d);
	if (nchanged != NULL)
		*nchanged = rc == 0 ? n : 0;
	return rc;
}

/* The state, in meta under "farm": be64 rev, be64 time, the host. */

#define STATE_KEY	"farm"

int
mb_mirror_state(struct mb *mb, struct mb_mirror_state *st)
{
	MDB_val		 k = { sizeof(STATE_KEY) - 1, STATE_KEY }, v;
	MDB_txn		*txn;
	const unsigned char *p;
	size_t		 n;
	int		 rc;

	memset(st, 0, sizeof(*st));
	if ((txn = mb_txn(mb)) == NULL)
		return MB_NOTXN;
	if ((rc = mdb_get(txn, mb->meta, &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.mv_size < 16)
		return MB_DAMAGED;
	p = v.mv_data;
	st->rev = (uint64_t)mb_be32_get(p) << 32 | mb_be32_get(p + 4);
	st->time = (int64_t)((uint64_t)mb_be32_get(p + 8) << 32 |
	    mb_be32_get(p + 12));
	n = v.mv_size - 16;
	if (n >= sizeof(st->host))
		n = sizeof(st->host) - 1;
	memcpy(st->host, p + 16, n);
	st->host[n] = '\0';
	return 0;
}

int
mb_mirror_set_state(struct mb *mb, const struct mb_mirror_state *st)
{
	MDB_val		 k = { sizeof(STATE_KEY) - 1, STATE_KEY }, v;
	unsigned char	 b[16 + sizeof(st->host)];
	size_t		 n = strnlen(st->host, sizeof(st->host) - 1);

	if (mb->wtxn == NULL)
		return MB_NOTXN;
	mb_be32_put(b, (uint32_t)(st->rev >> 32));
	mb_be32_put(b + 4, (uint32_t)st->rev);
	mb_be32_put(b + 8, (uint32_t)((uint64_t)st->time >> 32));
	mb_be32_put(b + 12, (uint32_t)st->time);
	memcpy(b + 16, st->host, n);
	v.mv_size = 16 + n;
	v.mv_data = b;
	return mdb_put(mb->wtxn, mb->meta, &k, &v, 0);
}

/* The commit hook. */

void
mb_set_commit_hook(struct mb *mb, mb_commit_hook *fn, void *arg)
{
	mb->hook = fn;
	mb->hook_arg = arg;
}

int
mb_hist_shared(const struct mb *mb)
{
	size_t	 i;
	int	 pid;

	for (i = 0; i < mb->hist.n; i++) {
		if (mb->hist.v[i].id == 0)
			return 1;
		pid = mb_pid_of(mb->hist.v[i].id);
		if (pid < 0 || !(mb_schema[pid].pflags & MB_PF_HOSTLOCAL))
			return 1;
	}
	return 0;
}
