/*
 * cmd_site.c - mbctl site: create, list, start, stop, delete.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metabase.h"
#include "mbctl.h"

#define SERVICE	"/LM/W3SVC"

struct idlist {
	uint32_t	*v;
	size_t		 n, cap;
};

static int	site_create(struct ctl *, int, char **);
static int	site_list(struct ctl *, int, char **);
static int	site_state(struct ctl *, int, char **, uint32_t);
static int	site_delete(struct ctl *, int, char **);
static int	collect_id(void *, const char *);
static int	cmp_id(const void *, const void *);
static void	list_one(struct ctl *, uint32_t);

int
cmd_site(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return CTL_USAGE;
	argc--;
	argv++;
	if (strcmp(argv[0], "create") == 0)
		return site_create(ctl, argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return site_list(ctl, argc, argv);
	if (strcmp(argv[0], "start") == 0)
		return site_state(ctl, argc, argv, MB_STATE_STARTED);
	if (strcmp(argv[0], "stop") == 0)
		return site_state(ctl, argc, argv, MB_STATE_STOPPED);
	if (strcmp(argv[0], "delete") == 0)
		return site_delete(ctl, argc, argv);
	ctl_errx("unknown site command '%s'", argv[0]);
	return CTL_USAGE;
}

/* Append s to the MULTISZ value in *v, a buffer the caller frees. */
static int
multisz_add(struct mb_value *v, const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p;

	if ((p = realloc((char *)v->str, v->len + n)) == NULL)
		return -1;
	memcpy(p + v->len, s, n);
	v->str = p;
	v->len += n;
	return 0;
}

/*
 * site create --name NAME --binding B [--binding B ...] --path DIR
 * [--id N]; each option also as --opt=value.
 */
static int
site_create(struct ctl *ctl, int argc, char **argv)
{
	struct mb_binding	 b;
	struct mb_value		 bv;
	const char		*name = NULL, *path = NULL, *idarg = NULL;
	const char		*opt, *val, *eq, *s;
	size_t			 optlen;
	uint32_t		 id = 0;
	int			 i, rc, status = CTL_FAIL;

	memset(&bv, 0, sizeof(bv));
	for (i = 1; i < argc; i++) {
		opt = argv[i];
		if (strncmp(opt, "--", 2) != 0) {
			ctl_errx("unexpected argument '%s'", opt);
			status = CTL_USAGE;
			goto free_bindings;
		}
		if ((eq = strchr(opt, '=')) != NULL) {
			optlen = (size_t)(eq - opt);
			val = eq + 1;
		} else {
			optlen = strlen(opt);
			if (i + 1 >= argc) {
				ctl_errx("option '%s' needs a value", opt);
				status = CTL_USAGE;
				goto free_bindings;
			}
			val = argv[++i];
		}
		if (optlen == 6 && strncmp(opt, "--name", 6) == 0)
			name = val;
		else if (optlen == 6 && strncmp(opt, "--path", 6) == 0)
			path = val;
		else if (optlen == 4 && strncmp(opt, "--id", 4) == 0)
			idarg = val;
		else if (optlen == 9 && strncmp(opt, "--binding", 9) == 0) {
			if (multisz_add(&bv, val) == -1) {
				ctl_errx("out of memory");
				goto free_bindings;
			}
		} else {
			ctl_errx("unknown option '%.*s'", (int)optlen, opt);
			status = CTL_USAGE;
			goto free_bindings;
		}
	}
	if (name == NULL || path == NULL || bv.len == 0) {
		ctl_errx("site create needs --name, --binding and --path");
		status = CTL_USAGE;
		goto free_bindings;
	}
	if (idarg != NULL && ctl_parse_id(idarg, &id) == -1)
		goto free_bindings;

	if ((rc = mb_site_create(ctl->mb, &id, name, &bv, path)) != 0) {
		if (rc == MB_BADVALUE && mb_errdetail(ctl->mb)[0] == '\0') {
			MB_MULTISZ_FOREACH(s, &bv) {
				if (mb_binding_parse(s, &b) != 0) {
					ctl_errx("invalid binding '%s': expected ip:port:host",
					    s);
					goto free_bindings;
				}
			}
		}
		if (idarg != NULL)
			ctl_mberr(ctl, rc, "cannot create site %u",
			    (unsigned)id);
		else
			ctl_mberr(ctl, rc, "cannot create site '%s'", name);
		goto free_bindings;
	}
	printf("%u\n", (unsigned)id);
	status = CTL_OK;

 free_bindings:
	free((char *)bv.str);
	return status;
}

static int
collect_id(void *arg, const char *path)
{
	struct idlist	*l = arg;
	char		 canon[MB_MAXPATH + 1];
	uint32_t	*v;

	if (mb_path_canon(path, canon) != MB_KIND_SITE)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return ENOMEM;
		l->v = v;
	}
	l->v[l->n++] = (uint32_t)strtoul(strrchr(path, '/') + 1, NULL, 10);
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* One row of site list: id, name, state, bindings, path; tab separated. */
static void
list_one(struct ctl *ctl, uint32_t id)
{
	struct mb_value	 v;
	const char	*s, *sep = "";
	char		 key[MB_MAXPATH + 1];

	snprintf(key, sizeof(key), SERVICE "/%u", (unsigned)id);
	printf("%u", (unsigned)id);

	if (mb_prop_effective(ctl->mb, key, &mb_schema[MB_P_SERVERCOMMENT],
	    &v) == 0 && v.str != NULL && v.str[0] != '\0')
		printf("\t%s", v.str);
	else
		printf("\t-");

	if (mb_prop_effective(ctl->mb, key, &mb_schema[MB_P_SERVERSTATE],
	    &v) != 0)
		printf("\t-");
	else if (v.dword == MB_STATE_STARTED)
		printf("\tstarted");
	else if (v.dword == MB_STATE_STOPPED)
		printf("\tstopped");
	else
		printf("\t%u", (unsigned)v.dword);

	printf("\t");
	if (mb_prop_effective(ctl->mb, key, &mb_schema[MB_P_SERVERBINDINGS],
	    &v) == 0 && v.len > 0) {
		MB_MULTISZ_FOREACH(s, &v) {
			printf("%s%s", sep, s);
			sep = ",";
		}
	} else
		printf("-");

	snprintf(key, sizeof(key), SERVICE "/%u/ROOT", (unsigned)id);
	if (mb_prop_get(ctl->mb, key, &mb_schema[MB_P_PATH], &v) == 0 &&
	    v.str != NULL && v.str[0] != '\0')
		printf("\t%s\n", v.str);
	else
		printf("\t-\n");
}

static int
site_list(struct ctl *ctl, int argc, char **argv)
{
	struct idlist	 l;
	size_t		 i;
	int		 rc, status = CTL_OK;

	(void)argv;
	if (argc != 1)
		return CTL_USAGE;
	memset(&l, 0, sizeof(l));
	if ((rc = mb_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot read metabase '%s'", ctl->dir);
	rc = mb_key_children(ctl->mb, SERVICE, collect_id, &l);
	if (rc != 0 && rc != MB_NOTFOUND)
		status = ctl_mberr(ctl, rc, "cannot list sites");
	else {
		qsort(l.v, l.n, sizeof(*l.v), cmp_id);
		for (i = 0; i < l.n; i++)
			list_one(ctl, l.v[i]);
	}
	mb_end(ctl->mb);
	free(l.v);
	return status;
}

/* site start|stop ID: ServerState 2 or 4, on a site that exists. */
static int
site_state(struct ctl *ctl, int argc, char **argv, uint32_t state)
{
	struct mb_value	 v;
	char		 key[MB_MAXPATH + 1];
	uint32_t	 id;
	int		 rc;

	if (argc != 2)
		return CTL_USAGE;
	if (ctl_parse_id(argv[1], &id) == -1)
		return CTL_FAIL;
	snprintf(key, sizeof(key), SERVICE "/%u", (unsigned)id);
	memset(&v, 0, sizeof(v));
	v.dword = state;

	if ((rc = mb_write_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot write metabase '%s'",
		    ctl->dir);
	if ((rc = mb_key_exists(ctl->mb, key)) != 0) {
		if (rc == MB_NOTFOUND)
			ctl_errx("no such site %u", (unsigned)id);
		else
			ctl_mberr(ctl, rc, "cannot read site %u", (unsigned)id);
		mb_write_abort(ctl->mb);
		return CTL_FAIL;
	}
	if ((rc = mb_prop_set(ctl->mb, key, &mb_schema[MB_P_SERVERSTATE],
	    &v)) != 0) {
		ctl_mberr(ctl, rc, "cannot %s site %u", argv[0],
		    (unsigned)id);
		mb_write_abort(ctl->mb);
		return CTL_FAIL;
	}
	if ((rc = mb_write_commit(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot %s site %u", argv[0],
		    (unsigned)id);
	return CTL_OK;
}

static int
site_delete(struct ctl *ctl, int argc, char **argv)
{
	char		 key[MB_MAXPATH + 1];
	uint32_t	 id;
	int		 rc;

	if (argc != 2)
		return CTL_USAGE;
	if (ctl_parse_id(argv[1], &id) == -1)
		return CTL_FAIL;
	snprintf(key, sizeof(key), SERVICE "/%u", (unsigned)id);

	if ((rc = mb_write_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot write metabase '%s'",
		    ctl->dir);
	if ((rc = mb_key_exists(ctl->mb, key)) != 0) {
		if (rc == MB_NOTFOUND)
			ctl_errx("no such site %u", (unsigned)id);
		else
			ctl_mberr(ctl, rc, "cannot read site %u", (unsigned)id);
		mb_write_abort(ctl->mb);
		return CTL_FAIL;
	}
	if ((rc = mb_key_delete(ctl->mb, key)) != 0) {
		ctl_mberr(ctl, rc, "cannot delete site %u", (unsigned)id);
		mb_write_abort(ctl->mb);
		return CTL_FAIL;
	}
	if ((rc = mb_write_commit(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot delete site %u",
		    (unsigned)id);
	return CTL_OK;
}
