/*
 * cmd_import.c - mbctl import: read the libconfig text that mbctl export
 * writes (its format is described in cmd_export.c) back into the
 * metabase, in one write transaction.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "metabase.h"
#include "mbctl.h"

/*
 * An integer literal given to a named setting, as the text spells it.
 * libconfig 1.5 reads a plain integer with atoi(), so that 4294967295
 * comes back as -1 and 4294967296 as 0: import reads each integer back
 * from the text itself.
 */
struct intlit {
	const char	*name;		/* the setting's name, in the text */
	size_t		 namelen;
	const char	*lit;		/* sign, digits, any L suffix */
	size_t		 litlen;
	int		 line;		/* the line of the name */
	int		 used;		/* matched to its setting */
};

struct import {
	struct ctl	*ctl;
	const char	*file;
	char		 root[MB_MAXPATH + 1];
	struct intlit	*lits;		/* every name = integer, in order */
	size_t		 nlits, litcap;
	size_t		 next;		/* where find_lit() looks first */
	int		 full;		/* a change met a full map */
};

static int	imp_err(const struct import *, const config_setting_t *,
		    const char *, ...) CTL_PRINTF(3, 4);
static int	imp_full(struct import *);
static char	*read_all(FILE *, size_t *);
static size_t	exponent(const char *);
static const char *number_end(const char *, int *);
static int	add_lit(struct import *, const char *, size_t, int,
		    const char *, size_t);
static int	scan_ints(struct import *, const char *, size_t);
static const struct intlit *find_lit(struct import *,
		    const config_setting_t *);
static int	lit_value(const struct intlit *, uint32_t *);
static int	import_int(struct import *, const char *,
		    const struct mb_prop *, const config_setting_t *,
		    uint32_t *);
static int	replace_clear(struct import *);
static int	outside_root(const struct import *, const char *);
static int	unbind_keys(struct import *, const config_setting_t *,
		    const struct mb_prop *);
static int	import_value(struct import *, const char *,
		    const struct mb_prop *, const config_setting_t *,
		    struct mb_value *, char **);
static int	import_prop(struct import *, const char *,
		    const config_setting_t *);
static int	import_key(struct import *, const config_setting_t *);
static int	import_all(struct import *, const config_setting_t *, int);

/*
 * A change met a full map: say nothing yet, cmd_import() grows the map
 * and tries the whole file again.  Returns CTL_FAIL.
 */
static int
imp_full(struct import *imp)
{
	imp->full = 1;
	return CTL_FAIL;
}

/* "mbctl: FILE:LINE: message" about setting s; returns CTL_FAIL. */
static int
imp_err(const struct import *imp, const config_setting_t *s,
    const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ctl_errx("%s:%d: %s", imp->file,
	    s != NULL ? config_setting_source_line(s) : 0, msg);
}

/* The file's text, NUL-terminated, in a buffer the caller frees. */
static char *
read_all(FILE *fp, size_t *lenp)
{
	char	*buf = NULL, *nbuf;
	size_t	 len = 0, cap = 0, n;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap != 0 ? 2 * cap : 65536;
			if ((nbuf = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nbuf;
		}
		if ((n = fread(buf + len, 1, cap - len, fp)) == 0)
			break;
		len += n;
	}
	if (ferror(fp)) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* Length of the exponent ([eE][-+]?[0-9]+) at p, or 0. */
static size_t
exponent(const char *p)
{
	const char	*q = p;

	if (*q != 'e' && *q != 'E')
		return 0;
	q++;
	if (*q == '-' || *q == '+')
		q++;
	if (!isdigit((unsigned char)*q))
		return 0;
	while (isdigit((unsigned char)*q))
		q++;
	return (size_t)(q - p);
}

/*
 * The end of the number at p, as libconfig's scanner (longest match)
 * takes it: hex 0[Xx][0-9A-Fa-f]+, integer [-+]?[0-9]+, either with an
 * L or LL suffix, or a float.  *isint tells whether it is an integer.
 */
static const char *
number_end(const char *p, int *isint)
{
	const char	*q = p, *digits;
	size_t		 e;

	*isint = 0;
	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X') &&
	    isxdigit((unsigned char)q[2])) {
		for (q += 2; isxdigit((unsigned char)*q); q++)
			;
	} else {
		if (*q == '-' || *q == '+')
			q++;
		for (digits = q; isdigit((unsigned char)*q); q++)
			;
		if (*q == '.') {
			for (q++; isdigit((unsigned char)*q); q++)
				;
			return q + exponent(q);
		}
		if (q > digits && (e = exponent(q)) != 0)
			return q + e;
		if (q == digits)
			return q > p ? q : p + 1;
	}
	*isint = 1;
	if (*q == 'L')
		q += q[1] == 'L' ? 2 : 1;
	return q;
}

static int
add_lit(struct import *imp, const char *name, size_t namelen, int line,
    const char *lit, size_t litlen)
{
	struct intlit	*v;
	size_t		 cap;

	if (imp->nlits == imp->litcap) {
		cap = imp->litcap != 0 ? 2 * imp->litcap : 256;
		if ((v = realloc(imp->lits, cap * sizeof(*v))) == NULL)
			return -1;
		imp->lits = v;
		imp->litcap = cap;
	}
	v = &imp->lits[imp->nlits++];
	v->name = name;
	v->namelen = namelen;
	v->line = line;
	v->lit = lit;
	v->litlen = litlen;
	v->used = 0;
	return 0;
}

/*
 * Collect every "name = integer" of the text, skipping strings and
 * comments as libconfig's scanner does, with the line of the name (the
 * line config_setting_source_line() gives).  Refuses a NUL byte (the
 * text would end there for libconfig) and @include (the included text
 * is not ours to read back).
 */
static int
scan_ints(struct import *imp, const char *text, size_t len)
{
	const char	*p = text, *q, *name = NULL;
	size_t		 namelen = 0;
	int		 line = 1, nameline = 0, isint;
	enum { NONE, NAME, EQUALS } state = NONE;

	if ((q = memchr(text, '\0', len)) != NULL) {
		for (p = text; p < q; p++)
			if (*p == '\n')
				line++;
		return ctl_errx("%s:%d: a NUL byte: not libconfig text",
		    imp->file, line);
	}
	while (*p != '\0') {
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\f') {
			p++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p != '\0' && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p != '\0' && strncmp(p, "*/", 2) != 0;
			    p++)
				if (*p == '\n')
					line++;
			if (*p != '\0')
				p += 2;
		} else if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' ||
				    p[1] == '\\'))
					p++;
				else if (*p == '\n')
					line++;
			}
			if (*p != '\0')
				p++;
			state = NONE;
		} else if (*p == '@') {
			return ctl_errx("%s:%d: @include is not supported in an import file",
			    imp->file, line);
		} else if (isalpha((unsigned char)*p) || *p == '*') {
			for (q = p + 1; isalnum((unsigned char)*q) ||
			    *q == '-' || *q == '_' || *q == '*'; q++)
				;
			name = p;
			namelen = (size_t)(q - p);
			nameline = line;
			state = NAME;
			p = q;
		} else if (*p == '=' || *p == ':') {
			state = state == NAME ? EQUALS : NONE;
			p++;
		} else if (isdigit((unsigned char)*p) || *p == '-' ||
		    *p == '+' || *p == '.') {
			q = number_end(p, &isint);
			if (state == EQUALS && isint && add_lit(imp, name,
			    namelen, nameline, p, (size_t)(q - p)) == -1)
				return ctl_errx("out of memory");
			state = NONE;
			p = q;
		} else {
			state = NONE;
			p++;
		}
	}
	return CTL_OK;
}

/*
 * The literal of integer setting s: the first one not taken yet with its
 * name on its line.  Settings come in the order of the text, so that is
 * the right one even when a line holds several of the same name.
 */
static const struct intlit *
find_lit(struct import *imp, const config_setting_t *s)
{
	struct intlit	*l;
	const char	*name = config_setting_name(s);
	size_t		 len = strlen(name), i, j;
	int		 line = config_setting_source_line(s);

	for (j = 0; j < imp->nlits; j++) {
		i = (imp->next + j) % imp->nlits;
		l = &imp->lits[i];
		if (!l->used && l->line == line && l->namelen == len &&
		    memcmp(l->name, name, len) == 0) {
			l->used = 1;
			imp->next = i + 1;
			return l;
		}
	}
	return NULL;
}

/* A literal's value: 0, or -1 if it is negative or above UINT32_MAX. */
static int
lit_value(const struct intlit *l, uint32_t *vp)
{
	const char	*p = l->lit, *end = l->lit + l->litlen;
	uint64_t	 n = 0;
	unsigned	 base = 10, d;
	int		 neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; p < end && *p != 'L'; p++) {
		d = isdigit((unsigned char)*p) ? (unsigned)(*p - '0') :
		    (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		if ((n = n * base + d) > UINT32_MAX)
			return -1;
	}
	if (neg && n != 0)
		return -1;
	*vp = (uint32_t)n;
	return 0;
}

/*
 * The value of the integer setting s for a BOOL or DWORD, from the text:
 * libconfig 1.5 wraps a plain integer to 32 bits, so that 4294967296
 * would read as 0.  What libconfig read must agree with the text, or the
 * literal found is not the setting's.
 */
static int
import_int(struct import *imp, const char *key, const struct mb_prop *p,
    const config_setting_t *s, uint32_t *vp)
{
	const struct intlit	*l;
	int			 n, same;

	if ((l = find_lit(imp, s)) == NULL)
		return imp_err(imp, s, "cannot read the value of %s at '%s' back from the text",
		    p->name, key);
	n = l->litlen > 40 ? 40 : (int)l->litlen;
	if (lit_value(l, vp) == -1 || (p->type == MB_BOOL && *vp > 1)) {
		if (p->type == MB_BOOL)
			return imp_err(imp, s, "invalid value %.*s for %s at '%s': expected true, false, 1 or 0",
			    n, l->lit, p->name, key);
		return imp_err(imp, s, "value %.*s for %s at '%s' out of range: expected 0 to 4294967295",
		    n, l->lit, p->name, key);
	}
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		same = (uint32_t)config_setting_get_int(s) == *vp;
	else
		same = config_setting_get_int64(s) == (long long)*vp;
	if (!same)
		return imp_err(imp, s, "cannot read the value of %s at '%s' back from the text",
		    p->name, key);
	return CTL_OK;
}

/*
 * --replace: empty the tree the file was exported from.  /LM itself
 * cannot go, so there the children and properties go instead.
 */
static int
replace_clear(struct import *imp)
{
	struct mb		*mb = imp->ctl->mb;
	const struct mb_prop	*props[MB_NPROPS];
	struct ctl_keys		 l;
	struct mb_value		 v;
	size_t			 i;
	int			 rc;

	if (strcmp(imp->root, "/LM") != 0) {
		rc = mb_key_delete(mb, imp->root);
		return rc == MB_NOTFOUND ? 0 : rc;
	}
	ctl_keys_init(&l);
	if ((rc = mb_key_children(mb, imp->root, ctl_keys_add, &l)) != 0)
		goto release_keys;
	for (i = 0; i < l.n; i++)
		if ((rc = mb_key_delete(mb, l.v[i])) != 0)
			goto release_keys;
	/* Collect first: no lookup stays open while deleting. */
	for (i = 0; i < MB_NPROPS; i++) {
		props[i] = NULL;
		if (mb_prop_get(mb, imp->root, &mb_schema[i], &v) == 0)
			props[i] = &mb_schema[i];
	}
	for (i = 0; i < MB_NPROPS; i++)
		if (props[i] != NULL &&
		    (rc = mb_prop_delete(mb, imp->root, props[i])) != 0)
			goto release_keys;

 release_keys:
	ctl_keys_release(&l);
	return rc;
}

/* Whether canonical key lies outside the file's root. */
static int
outside_root(const struct import *imp, const char *key)
{
	size_t	rlen = strlen(imp->root);

	return strcmp(imp->root, "/LM") != 0 &&
	    (strncasecmp(key, imp->root, rlen) != 0 ||
	    (key[rlen] != '\0' && key[rlen] != '/'));
}

/*
 * Moving a binding from one site to another, or swapping two, would
 * conflict with the old owner until the file reaches it.  So first empty
 * ServerBindings (and SecureBindings) at every existing key that the
 * file gives that property (which drops its entries from the bindings
 * index): a conflict is then one in the final state.  In the import's
 * transaction, like the rest.  Keys the file gets wrong are left for
 * import_key() to report.
 */
static int
unbind_keys(struct import *imp, const config_setting_t *keys,
    const struct mb_prop *sbp)
{
	const config_setting_t	*k, *ks, *props, *s, *sb;
	struct mb_value		 v;
	const char		*detail;
	char			 key[MB_MAXPATH + 1];
	int			 i, j, kind, rc;

	for (i = 0; (k = config_setting_get_elem(keys, i)) != NULL; i++) {
		if (config_setting_type(k) != CONFIG_TYPE_GROUP ||
		    (ks = config_setting_get_member(k, "key")) == NULL ||
		    config_setting_type(ks) != CONFIG_TYPE_STRING ||
		    (props = config_setting_get_member(k, "properties")) ==
		    NULL || config_setting_type(props) != CONFIG_TYPE_GROUP)
			continue;
		sb = NULL;
		for (j = 0; (s = config_setting_get_elem(props, j)) != NULL;
		    j++)
			if (mb_prop_find(config_setting_name(s)) == sbp)
				sb = s;
		if (sb == NULL ||
		    (kind = mb_path_canon(config_setting_get_string(ks),
		    key)) < 0 || (sbp->kinds & (unsigned)kind) == 0 ||
		    outside_root(imp, key))
			continue;
		if ((rc = mb_prop_get(imp->ctl->mb, key, sbp, &v)) ==
		    MB_NOTFOUND)
			continue;
		if (rc == 0 && v.len == 0)
			continue;
		if (rc == 0) {
			memset(&v, 0, sizeof(v));
			rc = mb_prop_set(imp->ctl->mb, key, sbp, &v);
		}
		if (mb_full(rc))
			return imp_full(imp);
		if (rc != 0) {
			detail = mb_errdetail(imp->ctl->mb);
			return imp_err(imp, sb, "cannot empty %s at '%s': %s",
			    sbp->name, key, detail[0] != '\0' ? detail :
			    mb_strerror(rc));
		}
	}
	return CTL_OK;
}

/*
 * The value in setting s for property p at key, in *v; a MULTISZ is
 * joined in a buffer left in *bufp for the caller to free (NULL else).
 */
static int
import_value(struct import *imp, const char *key, const struct mb_prop *p,
    const config_setting_t *s, struct mb_value *v, char **bufp)
{
	const config_setting_t	*e;
	int			 i, type = config_setting_type(s);

	memset(v, 0, sizeof(*v));
	*bufp = NULL;
	switch (p->type) {
	case MB_BOOL:
		if (type == CONFIG_TYPE_BOOL)
			v->dword = config_setting_get_bool(s) ? 1 : 0;
		else if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
			if (import_int(imp, key, p, s, &v->dword) != CTL_OK)
				return CTL_FAIL;
		} else
			return imp_err(imp, s, "invalid value for %s at '%s': expected true, false, 1 or 0",
			    p->name, key);
		break;
	case MB_DWORD:
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			return imp_err(imp, s, "invalid value for %s at '%s': expected an integer",
			    p->name, key);
		if (import_int(imp, key, p, s, &v->dword) != CTL_OK)
			return CTL_FAIL;
		break;
	case MB_STRING:
		if (type != CONFIG_TYPE_STRING)
			return imp_err(imp, s, "invalid value for %s at '%s': expected a string",
			    p->name, key);
		v->str = config_setting_get_string(s);
		v->len = strlen(v->str);
		break;
	case MB_MULTISZ:
		if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
			return imp_err(imp, s, "invalid value for %s at '%s': expected a list of strings",
			    p->name, key);
		for (i = 0; (e = config_setting_get_elem(s, i)) != NULL;
		    i++) {
			if (config_setting_type(e) != CONFIG_TYPE_STRING) {
				free((char *)v->str);
				return imp_err(imp, s, "invalid value for %s at '%s': expected a list of strings",
				    p->name, key);
			}
			if (mb_multisz_add(v, config_setting_get_string(e)) != 0) {
				free((char *)v->str);
				return imp_err(imp, s, "out of memory");
			}
		}
		*bufp = (char *)v->str;
		break;
	}
	return CTL_OK;
}

/* Set the property in setting s at key. */
static int
import_prop(struct import *imp, const char *key, const config_setting_t *s)
{
	const struct mb_prop	*p;
	struct mb_value		 v;
	const char		*name = config_setting_name(s), *detail;
	char			*buf, *argv[1];
	int			 rc;

	if ((p = mb_prop_find(name)) == NULL)
		return imp_err(imp, s, "unknown property '%s' at '%s'", name,
		    key);
	/* A string for a BOOL or DWORD is parsed as mbctl set parses it. */
	if ((p->type == MB_BOOL || p->type == MB_DWORD) &&
	    config_setting_type(s) == CONFIG_TYPE_STRING) {
		argv[0] = (char *)config_setting_get_string(s);
		rc = mb_prop_set_text(imp->ctl->mb, key, p, 1, argv);
	} else {
		if (import_value(imp, key, p, s, &v, &buf) != CTL_OK)
			return CTL_FAIL;
		rc = mb_prop_set(imp->ctl->mb, key, p, &v);
		free(buf);
	}
	if (mb_full(rc))
		return imp_full(imp);
	if (rc != 0) {
		detail = mb_errdetail(imp->ctl->mb);
		return imp_err(imp, s, "cannot set %s at '%s': %s", p->name,
		    key, detail[0] != '\0' ? detail : mb_strerror(rc));
	}
	return CTL_OK;
}

/* One element of keys: { key = "..."; properties = { ... }; } */
static int
import_key(struct import *imp, const config_setting_t *k)
{
	const config_setting_t	*s, *props = NULL;
	const struct mb_prop	*p;
	const char		*path = NULL, *name;
	char			 key[MB_MAXPATH + 1], seen[MB_NPROPS];
	int			 i, rc;

	if (config_setting_type(k) != CONFIG_TYPE_GROUP)
		return imp_err(imp, k, "each element of keys must be a group");
	for (i = 0; (s = config_setting_get_elem(k, i)) != NULL; i++) {
		name = config_setting_name(s);
		if (strcmp(name, "key") == 0 &&
		    config_setting_type(s) == CONFIG_TYPE_STRING)
			path = config_setting_get_string(s);
		else if (strcmp(name, "properties") == 0 &&
		    config_setting_type(s) == CONFIG_TYPE_GROUP)
			props = s;
		else
			return imp_err(imp, s, "unexpected setting '%s': expected key = \"PATH\" and properties = { ... }",
			    name);
	}
	if (path == NULL)
		return imp_err(imp, k, "key = \"PATH\" missing");
	if ((rc = mb_path_canon(path, key)) < 0)
		return imp_err(imp, k, "invalid key '%s': %s", path,
		    mb_strerror(rc));
	if (outside_root(imp, key))
		return imp_err(imp, k, "key '%s' is outside the root '%s'", key,
		    imp->root);

	if (mb_full(rc = mb_key_create(imp->ctl->mb, key)))
		return imp_full(imp);
	if (rc != 0 && rc != MB_EXISTS) {
		name = mb_errdetail(imp->ctl->mb);
		return imp_err(imp, k, "cannot create '%s': %s", key,
		    name[0] != '\0' ? name : mb_strerror(rc));
	}
	if (props == NULL)
		return CTL_OK;
	memset(seen, 0, sizeof(seen));
	for (i = 0; (s = config_setting_get_elem(props, i)) != NULL; i++) {
		if ((p = mb_prop_find(config_setting_name(s))) != NULL) {
			if (seen[p - mb_schema])
				return imp_err(imp, s, "%s set twice at '%s'",
				    p->name, key);
			seen[p - mb_schema] = 1;
		}
		if (import_prop(imp, key, s) != CTL_OK)
			return CTL_FAIL;
	}
	return CTL_OK;
}

/* Check and write the whole file in the open write transaction. */
static int
import_all(struct import *imp, const config_setting_t *top, int replace)
{
	const config_setting_t	*s, *keys = NULL, *rs = NULL;
	const char		*name;
	int			 i, rc;

	for (i = 0; (s = config_setting_get_elem(top, i)) != NULL; i++) {
		name = config_setting_name(s);
		if (strcmp(name, "root") == 0 &&
		    config_setting_type(s) == CONFIG_TYPE_STRING)
			rs = s;
		else if (strcmp(name, "keys") == 0 &&
		    config_setting_type(s) == CONFIG_TYPE_LIST)
			keys = s;
		else
			return imp_err(imp, s, "unexpected setting '%s': expected root = \"PATH\" and keys = ( ... )",
			    name);
	}
	if (keys == NULL)
		return imp_err(imp, NULL, "keys = ( ... ) missing");
	strcpy(imp->root, "/LM");
	if (rs != NULL &&
	    (rc = mb_path_canon(config_setting_get_string(rs), imp->root)) < 0)
		return imp_err(imp, rs, "invalid root '%s': %s",
		    config_setting_get_string(rs), mb_strerror(rc));

	rc = replace ? replace_clear(imp) : 0;
	if (mb_full(rc))
		return imp_full(imp);
	if (rc != 0) {
		name = mb_errdetail(imp->ctl->mb);
		return imp_err(imp, rs, "cannot empty '%s': %s", imp->root,
		    name[0] != '\0' ? name : mb_strerror(rc));
	}
	if (unbind_keys(imp, keys, &mb_schema[MB_P_SERVERBINDINGS]) !=
	    CTL_OK || unbind_keys(imp, keys,
	    &mb_schema[MB_P_SECUREBINDINGS]) != CTL_OK)
		return CTL_FAIL;
	for (i = 0; (s = config_setting_get_elem(keys, i)) != NULL; i++)
		if (import_key(imp, s) != CTL_OK)
			return CTL_FAIL;
	return CTL_OK;
}

/*
 * import FILE [--replace]: one transaction, so that a bad line, a
 * failure or a kill leaves the metabase as it was.  The whole text is
 * read first, for libconfig and for scan_ints().
 */
int
cmd_import(struct ctl *ctl, int argc, char **argv)
{
	struct import	 imp;
	config_t	 cfg;
	const char	*file = NULL;
	char		*text;
	size_t		 len;
	FILE		*fp;
	int		 i, replace = 0, rc, status;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--replace") == 0)
			replace = 1;
		else if (file == NULL)
			file = argv[i];
		else
			return CTL_USAGE;
	}
	if (file == NULL)
		return CTL_USAGE;
	memset(&imp, 0, sizeof(imp));
	imp.ctl = ctl;
	imp.file = file;

	if (strcmp(file, "-") == 0) {
		fp = stdin;
		imp.file = "<stdin>";
	} else if ((fp = fopen(file, "r")) == NULL)
		return ctl_errx("cannot open '%s': %s", file, strerror(errno));
	text = read_all(fp, &len);
	rc = errno;
	if (fp != stdin)
		fclose(fp);
	if (text == NULL)
		return ctl_errx("cannot read '%s': %s", imp.file,
		    strerror(rc));
	if ((status = scan_ints(&imp, text, len)) != CTL_OK)
		goto free_text;

	config_init(&cfg);
	if (config_read_string(&cfg, text) == CONFIG_FALSE) {
		status = ctl_errx("%s:%d: %s", imp.file,
		    config_error_line(&cfg), config_error_text(&cfg));
		goto destroy;
	}
	/* Each time the map is full, it grows and the file starts over. */
	for (;;) {
		if ((rc = mb_write_begin(ctl->mb)) != 0) {
			status = ctl_mberr(ctl, rc,
			    "cannot write metabase '%s'", ctl->dir);
			break;
		}
		imp.full = 0;
		imp.next = 0;
		for (i = 0; (size_t)i < imp.nlits; i++)
			imp.lits[i].used = 0;
		if ((status = import_all(&imp, config_root_setting(&cfg),
		    replace)) != CTL_OK) {
			mb_write_abort(ctl->mb);
			if (!imp.full)
				break;
		} else if ((rc = mb_write_commit(ctl->mb)) == 0)
			break;
		else if (!mb_full(rc)) {
			status = ctl_mberr(ctl, rc,
			    "cannot write metabase '%s'", ctl->dir);
			break;
		}
		if ((rc = mb_grow(ctl->mb)) != 0) {
			status = ctl_mberr(ctl, rc,
			    "cannot import '%s': metabase '%s' is full",
			    imp.file, ctl->dir);
			break;
		}
	}

 destroy:
	config_destroy(&cfg);
 free_text:
	free(imp.lits);
	free(text);
	return status;
}
