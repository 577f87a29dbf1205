/*
 * cmd_io.c - mbctl export, import, backup and restore.
 *
 * The export format is libconfig text, written here by hand so that the
 * same metabase always gives the same bytes:
 *
 *	# mbhttpd metabase export
 *	root = "/LM/W3SVC";
 *	keys = (
 *		{
 *			key = "/LM/W3SVC";
 *			properties = {
 *				AllowKeepAlives = true;
 *				ConnectionTimeout = 120;
 *				DefaultDoc = "index.html";
 *			};
 *		},
 *		{
 *			key = "/LM/W3SVC/1";
 *			properties = {
 *				ServerBindings = [
 *					"127.0.0.1:8080:localhost"
 *				];
 *			};
 *		}
 *	);
 *
 * Keys come in mb_key_walk() order, properties in mb_prop_each() order.
 * BOOL is true or false, DWORD an integer (with libconfig's L suffix
 * above INT32_MAX, which a plain libconfig integer cannot hold), STRING a
 * string, MULTISZ an array of strings.  The properties sit in a group of
 * their own so that no property name can clash with "key".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libconfig.h>

#include "metabase.h"
#include "mbctl.h"

struct keylist {
	char	**v;
	size_t	  n, cap;
};

struct import {
	struct ctl	*ctl;
	const char	*file;
	char		 root[MB_MAXPATH + 1];
};

static int	collect_key(void *, const char *);
static void	keylist_release(struct keylist *);
static void	put_string(FILE *, const char *);
static int	export_prop(void *, const struct mb_prop *,
		    const struct mb_value *);
static int	export_to(struct ctl *, const char *, FILE *);
static int	imp_err(const struct import *, const config_setting_t *,
		    const char *, ...) CTL_PRINTF(3, 4);
static int	replace_clear(struct import *);
static int	import_prop(struct import *, const char *,
		    const config_setting_t *);
static int	import_key(struct import *, const config_setting_t *);
static int	import_all(struct import *, const config_setting_t *, int);

static int
collect_key(void *arg, const char *path)
{
	struct keylist	 *l = arg;
	char		**v;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return ENOMEM;
		l->v = v;
	}
	if ((l->v[l->n] = strdup(path)) == NULL)
		return ENOMEM;
	l->n++;
	return 0;
}

static void
keylist_release(struct keylist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* A libconfig string literal; bytes above 0x7f pass as they are. */
static void
put_string(FILE *fp, const char *s)
{
	unsigned char	c;

	putc('"', fp);
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		switch (c) {
		case '"':
		case '\\':
			putc('\\', fp);
			putc(c, fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\f':
			fputs("\\f", fp);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(fp, "\\x%02x", c);
			else
				putc(c, fp);
		}
	}
	putc('"', fp);
}

static int
export_prop(void *arg, const struct mb_prop *p, const struct mb_value *v)
{
	FILE		*fp = arg;
	const char	*s, *sep = "";

	fprintf(fp, "\t\t\t%s = ", p->name);
	switch (p->type) {
	case MB_BOOL:
		fputs(v->dword ? "true" : "false", fp);
		break;
	case MB_DWORD:
		fprintf(fp, "%u%s", (unsigned)v->dword,
		    v->dword > INT32_MAX ? "L" : "");
		break;
	case MB_STRING:
		put_string(fp, v->str != NULL ? v->str : "");
		break;
	case MB_MULTISZ:
		if (v->len == 0) {
			fputs("[ ]", fp);
			break;
		}
		fputs("[\n", fp);
		MB_MULTISZ_FOREACH(s, v) {
			fprintf(fp, "%s\t\t\t\t", sep);
			put_string(fp, s);
			sep = ",\n";
		}
		fputs("\n\t\t\t]", fp);
		break;
	}
	fputs(";\n", fp);
	return 0;
}

/* Write the subtree at key to fp from one read snapshot. */
static int
export_to(struct ctl *ctl, const char *key, FILE *fp)
{
	struct keylist	 l;
	size_t		 i;
	int		 rc, status = CTL_OK;

	memset(&l, 0, sizeof(l));
	if ((rc = mb_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot read metabase '%s'", ctl->dir);
	if ((rc = mb_key_exists(ctl->mb, key)) != 0) {
		status = ctl_errx("no key '%s'", key);
		goto end;
	}
	/* Collect first: no walk stays open while the properties are read. */
	if ((rc = mb_key_walk(ctl->mb, key, collect_key, &l)) != 0) {
		status = ctl_mberr(ctl, rc, "cannot export '%s'", key);
		goto end;
	}
	fputs("# mbhttpd metabase export\nroot = ", fp);
	put_string(fp, key);
	fputs(";\nkeys = (", fp);
	for (i = 0; i < l.n; i++) {
		fprintf(fp, "%s\n\t{\n\t\tkey = ", i ? "," : "");
		put_string(fp, l.v[i]);
		fputs(";\n\t\tproperties = {\n", fp);
		if ((rc = mb_prop_each(ctl->mb, l.v[i], export_prop, fp)) != 0) {
			status = ctl_mberr(ctl, rc, "cannot export '%s'",
			    l.v[i]);
			goto end;
		}
		fputs("\t\t};\n\t}", fp);
	}
	fputs(l.n ? "\n);\n" : " );\n", fp);

 end:
	mb_end(ctl->mb);
	keylist_release(&l);
	return status;
}

/*
 * export [KEY] [FILE]: a lone argument is the key when it is a valid key
 * path, else the file; "-" is the standard output.
 */
int
cmd_export(struct ctl *ctl, int argc, char **argv)
{
	const char	*karg = "/LM", *file = "-";
	char		 key[MB_MAXPATH + 1];
	FILE		*fp;
	int		 status;

	if (argc > 3)
		return CTL_USAGE;
	if (argc == 3) {
		karg = argv[1];
		file = argv[2];
	} else if (argc == 2) {
		if (strcmp(argv[1], "-") != 0 &&
		    mb_path_canon(argv[1], key) < 0)
			file = argv[1];
		else if (strcmp(argv[1], "-") != 0)
			karg = argv[1];
	}
	if (ctl_canon(karg, key) < 0)
		return CTL_FAIL;
	if (strcmp(file, "-") == 0)
		return export_to(ctl, key, stdout);

	if ((fp = fopen(file, "w")) == NULL)
		return ctl_errx("cannot open '%s': %s", file, strerror(errno));
	status = export_to(ctl, key, fp);
	if (ferror(fp) && status == CTL_OK)
		status = ctl_errx("cannot write '%s': %s", file,
		    strerror(errno));
	if (fclose(fp) == EOF && status == CTL_OK)
		status = ctl_errx("cannot write '%s': %s", file,
		    strerror(errno));
	if (status != CTL_OK)
		unlink(file);
	return status;
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

/*
 * --replace: empty the tree the file was exported from.  /LM itself
 * cannot go, so there the children and properties go instead.
 */
static int
replace_clear(struct import *imp)
{
	struct mb		*mb = imp->ctl->mb;
	const struct mb_prop	*props[MB_NPROPS];
	struct keylist		 l;
	struct mb_value		 v;
	size_t			 i;
	int			 rc;

	if (strcmp(imp->root, "/LM") != 0) {
		rc = mb_key_delete(mb, imp->root);
		return rc == MB_NOTFOUND ? 0 : rc;
	}
	memset(&l, 0, sizeof(l));
	if ((rc = mb_key_children(mb, imp->root, collect_key, &l)) != 0)
		goto release;
	for (i = 0; i < l.n; i++)
		if ((rc = mb_key_delete(mb, l.v[i])) != 0)
			goto release;
	/* Collect first: no lookup stays open while deleting. */
	for (i = 0; i < MB_NPROPS; i++) {
		props[i] = NULL;
		if (mb_prop_get(mb, imp->root, &mb_schema[i], &v) == 0)
			props[i] = &mb_schema[i];
	}
	for (i = 0; i < MB_NPROPS; i++)
		if (props[i] != NULL &&
		    (rc = mb_prop_delete(mb, imp->root, props[i])) != 0)
			goto release;
 release:
	keylist_release(&l);
	return rc;
}

/* Set the property in setting s at key. */
static int
import_prop(struct import *imp, const char *key, const config_setting_t *s)
{
	const struct mb_prop	*p;
	const config_setting_t	*e;
	struct mb_value		 v;
	const char		*name = config_setting_name(s), *str;
	char			*buf = NULL, *argv[1];
	long long		 n;
	size_t			 len;
	int			 i, type = config_setting_type(s), rc;

	if ((p = mb_prop_find(name)) == NULL)
		return imp_err(imp, s, "unknown property '%s' at '%s'", name,
		    key);
	memset(&v, 0, sizeof(v));

	/* A string for a BOOL or DWORD is parsed as mbctl set parses it. */
	if ((p->type == MB_BOOL || p->type == MB_DWORD) &&
	    type == CONFIG_TYPE_STRING) {
		argv[0] = (char *)config_setting_get_string(s);
		rc = mb_prop_set_text(imp->ctl->mb, key, p, 1, argv);
		goto check;
	}
	switch (p->type) {
	case MB_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			return imp_err(imp, s, "invalid value for %s at '%s': expected true or false",
			    p->name, key);
		v.dword = config_setting_get_bool(s) ? 1 : 0;
		break;
	case MB_DWORD:
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			return imp_err(imp, s, "invalid value for %s at '%s': expected an integer",
			    p->name, key);
		n = config_setting_get_int64(s);
		if (n < 0 || n > UINT32_MAX)
			return imp_err(imp, s, "invalid value %lld for %s at '%s': expected 0 to 4294967295",
			    n, p->name, key);
		v.dword = (uint32_t)n;
		break;
	case MB_STRING:
		if (type != CONFIG_TYPE_STRING)
			return imp_err(imp, s, "invalid value for %s at '%s': expected a string",
			    p->name, key);
		v.str = config_setting_get_string(s);
		v.len = strlen(v.str);
		break;
	case MB_MULTISZ:
		if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
			return imp_err(imp, s, "invalid value for %s at '%s': expected a list of strings",
			    p->name, key);
		len = 0;
		for (i = 0; (e = config_setting_get_elem(s, i)) != NULL;
		    i++) {
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				return imp_err(imp, s, "invalid value for %s at '%s': expected a list of strings",
				    p->name, key);
			len += strlen(config_setting_get_string(e)) + 1;
		}
		if ((buf = malloc(len + 1)) == NULL)
			return imp_err(imp, s, "out of memory");
		len = 0;
		for (i = 0; (e = config_setting_get_elem(s, i)) != NULL;
		    i++) {
			str = config_setting_get_string(e);
			memcpy(buf + len, str, strlen(str) + 1);
			len += strlen(str) + 1;
		}
		buf[len] = '\0';
		v.str = buf;
		v.len = len;
		break;
	}
	rc = mb_prop_set(imp->ctl->mb, key, p, &v);
	free(buf);
 check:
	if (rc != 0) {
		str = mb_errdetail(imp->ctl->mb);
		return imp_err(imp, s, "cannot set %s at '%s': %s", p->name,
		    key, str[0] != '\0' ? str : mb_strerror(rc));
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
	size_t			 rlen;
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
	rlen = strlen(imp->root);
	if (strcmp(imp->root, "/LM") != 0 &&
	    (strncasecmp(key, imp->root, rlen) != 0 ||
	    (key[rlen] != '\0' && key[rlen] != '/')))
		return imp_err(imp, k, "key '%s' is outside the root '%s'", key,
		    imp->root);

	if ((rc = mb_key_create(imp->ctl->mb, key)) != 0 && rc != MB_EXISTS) {
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

	if (replace && (rc = replace_clear(imp)) != 0) {
		name = mb_errdetail(imp->ctl->mb);
		return imp_err(imp, rs, "cannot empty '%s': %s", imp->root,
		    name[0] != '\0' ? name : mb_strerror(rc));
	}
	for (i = 0; (s = config_setting_get_elem(keys, i)) != NULL; i++)
		if (import_key(imp, s) != CTL_OK)
			return CTL_FAIL;
	return CTL_OK;
}

/*
 * import FILE [--replace]: one transaction, so that a bad line, a
 * failure or a kill leaves the metabase as it was.
 */
int
cmd_import(struct ctl *ctl, int argc, char **argv)
{
	struct import	 imp;
	config_t	 cfg;
	const char	*file = NULL;
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
	imp.ctl = ctl;
	imp.file = file;

	if (strcmp(file, "-") == 0) {
		fp = stdin;
		imp.file = "<stdin>";
	} else if ((fp = fopen(file, "r")) == NULL)
		return ctl_errx("cannot open '%s': %s", file, strerror(errno));
	config_init(&cfg);
	if (config_read(&cfg, fp) == CONFIG_FALSE) {
		status = ctl_errx("%s:%d: %s", imp.file,
		    config_error_line(&cfg), config_error_text(&cfg));
		goto destroy;
	}

	if ((rc = mb_write_begin(ctl->mb)) != 0) {
		status = ctl_mberr(ctl, rc, "cannot write metabase '%s'",
		    ctl->dir);
		goto destroy;
	}
	if ((status = import_all(&imp, config_root_setting(&cfg),
	    replace)) != CTL_OK)
		mb_write_abort(ctl->mb);
	else if ((rc = mb_write_commit(ctl->mb)) != 0)
		status = ctl_mberr(ctl, rc, "cannot write metabase '%s'",
		    ctl->dir);

 destroy:
	config_destroy(&cfg);
	if (fp != stdin)
		fclose(fp);
	return status;
}

int
cmd_backup(struct ctl *ctl, int argc, char **argv)
{
	int	rc;

	if (argc != 2)
		return CTL_USAGE;
	if ((rc = mb_backup(ctl->mb, argv[1])) != 0)
		return ctl_mberr(ctl, rc, "cannot back up to '%s'", argv[1]);
	return CTL_OK;
}

int
cmd_restore(struct ctl *ctl, int argc, char **argv)
{
	int	rc;

	if (argc != 2)
		return CTL_USAGE;
	if ((rc = mb_restore(ctl->mb, argv[1])) != 0)
		return ctl_mberr(ctl, rc, "cannot restore from '%s'", argv[1]);
	return CTL_OK;
}
