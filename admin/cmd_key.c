/*
 * cmd_key.c - mbctl commands on keys and properties: init, get, set,
 * delete, enum, tree, create, schema.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metabase.h"
#include "mbctl.h"

/* Width of the name column of enum and schema. */
#define NAMEW	24
/* Width of schema's WHERE column: "service,site,vdir,mimemap" and a space. */
#define WHEREW	26

static int	print_value(const struct mb_prop *, const struct mb_value *);
static void	print_explain(const char *, const struct mb_prop *,
		    const struct mb_value *);
static int	enum_prop(void *, const struct mb_prop *,
		    const struct mb_value *);
static int	enum_child(void *, const char *);
static int	tree_key(void *, const char *);
static void	print_kinds(unsigned);

int
cmd_init(struct ctl *ctl, int argc, char **argv)
{
	int	rc;

	(void)argv;
	if (argc != 1)
		return CTL_USAGE;
	if ((rc = mb_init(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot initialize metabase '%s'",
		    ctl->dir);
	return CTL_OK;
}

/* The value alone, as scripts want it: MULTISZ one string a line. */
static int
print_value(const struct mb_prop *p, const struct mb_value *v)
{
	const char	*s;
	char		*buf;

	if (p->type == MB_MULTISZ && !((p->pflags & MB_PF_SECRET) && !ctl_show_secrets)) {
		MB_MULTISZ_FOREACH(s, v)
			printf("%s\n", s);
		return CTL_OK;
	}
	if ((buf = ctl_format(p, v)) == NULL)
		return ctl_errx("out of memory");
	printf("%s\n", buf);
	free(buf);
	return CTL_OK;
}

static void
print_explain(const char *key, const struct mb_prop *p,
    const struct mb_value *v)
{
	if (v->origin == MB_ORIGIN_DEFAULT)
		printf("schema default\n");
	else if (v->origin == MB_ORIGIN_MIMEMAP)
		printf("from /LM/MimeMap\n");
	else if ((size_t)v->origin >= strlen(key))
		printf("set at %s\n", key);
	else
		printf("inherited from %.*s\n", v->origin, key);
	if (p->syntax == MB_SYN_FLAGS) {
		printf("flags: ");
		ctl_print_flags(stdout, p, v->dword);
		printf("\n");
	}
}

int
cmd_get(struct ctl *ctl, int argc, char **argv)
{
	const struct mb_prop	*p;
	struct mb_value		 v;
	const char		*arg = NULL;
	char			 key[MB_MAXPATH + 1];
	int			 i, explain = 0, rc, status = CTL_OK;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--explain") == 0)
			explain = 1;
		else if (strcmp(argv[i], "--secrets") == 0)
			ctl_show_secrets = 1;
		else if (strncmp(argv[i], "--", 2) == 0) {
			ctl_errx("get: unknown option '%s'", argv[i]);
			return CTL_USAGE;
		} else if (arg == NULL)
			arg = argv[i];
		else {
			ctl_errx("get: one key/property at a time: '%s' is one too many",
			    argv[i]);
			return CTL_USAGE;
		}
	}
	if (arg == NULL) {
		ctl_errx("get: which key/property? for example W3SVC/1/ROOT/Path");
		return CTL_USAGE;
	}
	if (ctl_split(arg, key, &p) == -1)
		return CTL_FAIL;

	if ((rc = mb_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot read metabase '%s'", ctl->dir);
	if ((rc = mb_prop_effective(ctl->mb, key, p, &v)) != 0)
		status = ctl_mberr(ctl, rc, "cannot get %s at '%s'", p->name,
		    key);
	else if ((status = print_value(p, &v)) == CTL_OK && explain)
		print_explain(key, p, &v);
	mb_end(ctl->mb);
	return status;
}

int
cmd_set(struct ctl *ctl, int argc, char **argv)
{
	const struct mb_prop	*p;
	char			 key[MB_MAXPATH + 1];
	int			 rc;

	if (argc < 2)
		return CTL_USAGE;
	if (ctl_split(argv[1], key, &p) == -1)
		return CTL_FAIL;
	if (argc == 3 && ctl_cert_check(ctl, key, p, argv[2], NULL) == -1)
		return CTL_FAIL;
	rc = mb_prop_set_text(ctl->mb, key, p, argc - 2, argv + 2);
	if (rc != 0)
		return ctl_mberr(ctl, rc, "cannot set %s at '%s'", p->name,
		    key);
	return CTL_OK;
}

/*
 * "KEY/PROPERTY" deletes the property when the last component is in the
 * schema; otherwise, or with a trailing '/', the argument is a key.
 */
int
cmd_delete(struct ctl *ctl, int argc, char **argv)
{
	const struct mb_prop	*p = NULL;
	const char		*arg, *slash;
	char			 key[MB_MAXPATH + 1];
	size_t			 len;
	int			 rc;

	if (argc != 2)
		return CTL_USAGE;
	arg = argv[1];
	len = strlen(arg);
	slash = strrchr(arg, '/');
	if (len > 0 && arg[len - 1] != '/')
		p = mb_prop_find(slash != NULL ? slash + 1 : arg);

	if (p != NULL) {
		if (ctl_split(arg, key, &p) == -1)
			return CTL_FAIL;
		if ((rc = mb_prop_delete(ctl->mb, key, p)) != 0)
			return ctl_mberr(ctl, rc, "cannot delete %s at '%s'",
			    p->name, key);
		return CTL_OK;
	}
	if (ctl_canon(arg, key) < 0)
		return CTL_FAIL;
	if (strcmp(key, "/LM") == 0)
		return ctl_errx("cannot delete '/LM': it is the root of the metabase");
	if ((rc = mb_key_delete(ctl->mb, key)) != 0)
		return ctl_mberr(ctl, rc, "cannot delete '%s'", key);
	return CTL_OK;
}

int
cmd_create(struct ctl *ctl, int argc, char **argv)
{
	char	key[MB_MAXPATH + 1];
	int	rc;

	if (argc != 2)
		return CTL_USAGE;
	if (ctl_canon(argv[1], key) < 0)
		return CTL_FAIL;
	if ((rc = mb_key_create(ctl->mb, key)) != 0)
		return ctl_mberr(ctl, rc, "cannot create '%s'", key);
	return CTL_OK;
}

/*
 * One property of enum: "Name (TYPE) value", strings quoted, flags with
 * their names, each further string of a MULTISZ under the first.
 */
static int
enum_prop(void *arg, const struct mb_prop *p, const struct mb_value *v)
{
	const char	*s, *c;
	char		 type[16], *buf;
	int		 w, first = 1;

	(void)arg;
	snprintf(type, sizeof(type), "(%s)", ctl_typename(p->type));
	w = printf("%-*s %-9s", NAMEW, p->name, type);
	switch (p->type) {
	case MB_MULTISZ:
		MB_MULTISZ_FOREACH(s, v) {
			/* A password hash: the name, and "*". */
			if ((p->pflags & MB_PF_SECRET) && (c = strchr(s, ':')) != NULL)
				printf("%*s \"%.*s:*\"\n", first ? 0 : w, "",
				    (int)(c - s), s);
			else
				printf("%*s \"%s\"\n", first ? 0 : w, "", s);
			first = 0;
		}
		if (first)
			printf("\n");
		break;
	case MB_STRING:
		printf(" \"%s\"\n", v->str != NULL ? v->str : "");
		break;
	case MB_DWORD:
		printf(" %u", (unsigned)v->dword);
		if (p->syntax == MB_SYN_FLAGS) {
			printf(" (");
			ctl_print_flags(stdout, p, v->dword);
			printf(")");
		}
		printf("\n");
		break;
	default:
		if ((buf = ctl_format(p, v)) == NULL)
			return ENOMEM;
		printf(" %s\n", buf);
		free(buf);
		break;
	}
	return 0;
}

static int
enum_child(void *arg, const char *path)
{
	(void)arg;
	printf("[%s]\n", path);
	return 0;
}

int
cmd_enum(struct ctl *ctl, int argc, char **argv)
{
	char	key[MB_MAXPATH + 1];
	int	rc, status = CTL_OK;

	if (argc != 2)
		return CTL_USAGE;
	if (ctl_canon(argv[1], key) < 0)
		return CTL_FAIL;
	if ((rc = mb_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot read metabase '%s'", ctl->dir);
	if ((rc = mb_key_exists(ctl->mb, key)) != 0)
		status = ctl_errx("no key '%s'", key);
	else if ((rc = mb_prop_each(ctl->mb, key, enum_prop, NULL)) != 0 ||
	    (rc = mb_key_children(ctl->mb, key, enum_child, NULL)) != 0)
		status = ctl_mberr(ctl, rc, "cannot list '%s'", key);
	mb_end(ctl->mb);
	return status;
}

struct tree_arg {
	int	depth;		/* slashes in the top key's path */
};

static int
tree_key(void *arg, const char *path)
{
	const struct tree_arg	*ta = arg;
	const char		*s, *name;
	int			 depth = 0;

	for (s = path; *s != '\0'; s++)
		if (*s == '/')
			depth++;
	depth -= ta->depth;
	name = depth == 0 ? path : strrchr(path, '/') + 1;
	printf("%*s%s\n", 2 * depth, "", name);
	return 0;
}

int
cmd_tree(struct ctl *ctl, int argc, char **argv)
{
	struct tree_arg	 ta;
	const char	*s;
	char		 key[MB_MAXPATH + 1];
	int		 rc, status = CTL_OK;

	if (argc > 2)
		return CTL_USAGE;
	if (ctl_canon(argc == 2 ? argv[1] : "/LM", key) < 0)
		return CTL_FAIL;
	ta.depth = 0;
	for (s = key; *s != '\0'; s++)
		if (*s == '/')
			ta.depth++;
	if ((rc = mb_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot read metabase '%s'", ctl->dir);
	if ((rc = mb_key_exists(ctl->mb, key)) != 0)
		status = ctl_errx("no key '%s'", key);
	else if ((rc = mb_key_walk(ctl->mb, key, tree_key, &ta)) != 0)
		status = ctl_mberr(ctl, rc, "cannot list '%s'", key);
	mb_end(ctl->mb);
	return status;
}

static void
print_kinds(unsigned kinds)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} k[] = {
		{ MB_KIND_ROOT,		"root" },
		{ MB_KIND_SERVICE,	"service" },
		{ MB_KIND_SITE,		"site" },
		{ MB_KIND_VDIR,		"vdir" },
		{ MB_KIND_MIMEMAP,	"mimemap" },
	};
	const char	*sep = "";
	size_t		 i;
	int		 n = 0;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		if (kinds & k[i].bit) {
			n += printf("%s%s", sep, k[i].name);
			sep = ",";
		}
	}
	printf("%*s", n < WHEREW ? WHEREW - n : 1, "");
}

int
cmd_schema(struct ctl *ctl, int argc, char **argv)
{
	const struct mb_prop	*p;
	size_t			 i;

	(void)ctl;
	(void)argv;
	if (argc != 1)
		return CTL_USAGE;
	printf("%-*s %5s %-7s %-7s %-*s%s\n", NAMEW, "NAME", "ID", "TYPE",
	    "INHERIT", WHEREW, "WHERE", "DEFAULT");
	for (i = 0; i < MB_NPROPS; i++) {
		p = &mb_schema[i];
		printf("%-*s %5u %-7s %-7s ", NAMEW, p->name, (unsigned)p->id,
		    ctl_typename(p->type), p->inherit ? "yes" : "no");
		print_kinds(p->kinds);
		switch (p->type) {
		case MB_BOOL:
			printf("%s", p->dflt ? "TRUE" : "FALSE");
			break;
		case MB_DWORD:
			printf("%u", (unsigned)p->dflt);
			if (p->syntax == MB_SYN_FLAGS && p->dflt != 0) {
				printf(" (");
				ctl_print_flags(stdout, p, p->dflt);
				printf(")");
			}
			break;
		case MB_STRING:
			printf("\"%s\"", p->dflt_str != NULL ? p->dflt_str : "");
			break;
		case MB_MULTISZ:
			if (p->dflt_str != NULL && p->dflt_str[0] != '\0')
				printf("\"%s\"", p->dflt_str);
			else
				printf("(empty list)");
			break;
		}
		printf("\n");
		if (p->desc != NULL || p->alias != NULL)
			printf("    %s%s%s%s\n", p->desc != NULL ? p->desc : "",
			    p->alias != NULL ? " (also " : "",
			    p->alias != NULL ? p->alias : "",
			    p->alias != NULL ? ")" : "");
	}
	return CTL_OK;
}
