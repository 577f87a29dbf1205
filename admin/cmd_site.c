/*
 * cmd_site.c - mbctl site: create, list, start, stop, delete.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metabase.h"
#include "mbctl.h"
#include "status/status.h"

#define SERVICE	"/LM/W3SVC"

static int	site_create(struct ctl *, int, char **);
static int	site_list(struct ctl *, int, char **);
static int	site_state(struct ctl *, int, char **, uint32_t);
static int	site_delete(struct ctl *, int, char **);
static int	list_one(void *, uint32_t);

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

/* The site's folder exists: 0, or -1 after saying what is wrong. */
static int
check_root(const char *path)
{
	struct stat	 st;

	if (path[0] != '/') {
		ctl_errx("path '%s' is not absolute", path);
		return -1;
	}
	if (stat(path, &st) == -1) {
		ctl_errx("path '%s': %s (give --force to create the site anyway)",
		    path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		ctl_errx("path '%s' is not a folder (give --force to create the site anyway)",
		    path);
		return -1;
	}
	return 0;
}

/*
 * site create --name NAME --binding B [--binding B ...] --path DIR
 * [--secure-binding B ...] [--cert FILE --key FILE] [--id N] [--force];
 * each option with a value also as --opt=value.  One transaction.
 */
static int
site_create(struct ctl *ctl, int argc, char **argv)
{
	struct mb_binding	 b;
	struct mb_value		 bv, sv, fv;
	const char		*name = NULL, *path = NULL, *idarg = NULL;
	const char		*cert = NULL, *key = NULL;
	char			 site[40];
	const char		*opt, *val, *eq, *s;
	size_t			 optlen;
	uint32_t		 id = 0;
	int			 i, rc, force = 0, status = CTL_FAIL;

	memset(&bv, 0, sizeof(bv));
	memset(&sv, 0, sizeof(sv));
	for (i = 1; i < argc; i++) {
		opt = argv[i];
		if (strcmp(opt, "--force") == 0) {
			force = 1;
			continue;
		}
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
		else if (optlen == 6 && strncmp(opt, "--cert", 6) == 0)
			cert = val;
		else if (optlen == 5 && strncmp(opt, "--key", 5) == 0)
			key = val;
		else if ((optlen == 9 && strncmp(opt, "--binding", 9) == 0) ||
		    (optlen == 16 && strncmp(opt, "--secure-binding", 16) ==
		    0)) {
			if (mb_multisz_add(optlen == 9 ? &bv : &sv, val) != 0) {
				ctl_errx("out of memory");
				goto free_bindings;
			}
		} else {
			ctl_errx("unknown option '%.*s'", (int)optlen, opt);
			status = CTL_USAGE;
			goto free_bindings;
		}
	}
	if (name == NULL || path == NULL || (bv.len == 0 && sv.len == 0)) {
		ctl_errx("site create needs --name, --binding (or "
		    "--secure-binding) and --path");
		status = CTL_USAGE;
		goto free_bindings;
	}
	if ((cert == NULL) != (key == NULL)) {
		ctl_errx("site create needs --cert and --key together");
		status = CTL_USAGE;
		goto free_bindings;
	}
	if (cert != NULL && (ctl_cert_check(ctl, SERVICE, &mb_schema[
	    MB_P_SSLCERTFILE], cert, key) == -1 || ctl_cert_check(ctl,
	    SERVICE, &mb_schema[MB_P_SSLKEYFILE], key, cert) == -1))
		goto free_bindings;
	if (idarg != NULL && ctl_parse_id(idarg, &id) == -1)
		goto free_bindings;
	/* A typo in the path would serve 404s: say so, unless told. */
	if (!force && check_root(path) == -1)
		goto free_bindings;

	if ((rc = mb_write_begin(ctl->mb)) != 0) {
		ctl_mberr(ctl, rc, "cannot create site '%s'", name);
		goto free_bindings;
	}
	rc = mb_site_create(ctl->mb, &id, name, &bv, path);
	snprintf(site, sizeof(site), SERVICE "/%u", (unsigned)id);
	if (rc == 0 && sv.len > 0)
		rc = mb_prop_set(ctl->mb, site,
		    &mb_schema[MB_P_SECUREBINDINGS], &sv);
	if (rc == 0 && cert != NULL) {
		memset(&fv, 0, sizeof(fv));
		fv.str = cert;
		fv.len = strlen(cert);
		rc = mb_prop_set(ctl->mb, site, &mb_schema[MB_P_SSLCERTFILE],
		    &fv);
		fv.str = key;
		fv.len = strlen(key);
		if (rc == 0)
			rc = mb_prop_set(ctl->mb, site,
			    &mb_schema[MB_P_SSLKEYFILE], &fv);
	}
	if (rc == 0)
		rc = mb_write_commit(ctl->mb);
	else
		mb_write_abort(ctl->mb);
	if (rc != 0) {
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
	free((char *)sv.str);
	return status;
}

/* What site list reads: the metabase, and the server's scoreboard. */
struct listing {
	struct ctl		*ctl;
	const struct scoreboard	*sb;	/* NULL: no server running */
};

/* The strings of v joined by commas, or "-". */
static void
print_list(const struct mb_value *v)
{
	const char	*s, *sep = "";

	if (v->len == 0) {
		printf("-");
		return;
	}
	MB_MULTISZ_FOREACH(s, v) {
		printf("%s%s", sep, s);
		sep = ",";
	}
}

/*
 * One row of site list: id, name, state, bindings, path, secure bindings,
 * the certificate's expiry; tab separated.
 * A started site the running server cannot serve on one of its bindings
 * says so in its state, with the reason.
 */
static int
list_one(void *arg, uint32_t id)
{
	struct listing	*l = arg;
	struct ctl	*ctl = l->ctl;
	struct mb_value	 v;
	char		 key[MB_MAXPATH + 1], root[MB_MAXPATH + 1];
	char		 why[SB_BINDLEN + 1280];

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
	else if (v.dword == MB_STATE_STARTED && l->sb != NULL &&
	    status_site_unbound(l->sb, id, why, sizeof(why)))
		printf("\tstarted, not serving: %s", why);
	else if (v.dword == MB_STATE_STARTED)
		printf("\tstarted");
	else if (v.dword == MB_STATE_STOPPED)
		printf("\tstopped");
	else
		printf("\t%u", (unsigned)v.dword);

	printf("\t");
	if (mb_prop_effective(ctl->mb, key, &mb_schema[MB_P_SERVERBINDINGS],
	    &v) != 0)
		v.len = 0;
	print_list(&v);

	snprintf(root, sizeof(root), SERVICE "/%u/ROOT", (unsigned)id);
	if (mb_prop_get(ctl->mb, root, &mb_schema[MB_P_PATH], &v) == 0 &&
	    v.str != NULL && v.str[0] != '\0')
		printf("\t%s", v.str);
	else
		printf("\t-");

	printf("\t");
	if (mb_prop_effective(ctl->mb, key, &mb_schema[MB_P_SECUREBINDINGS],
	    &v) != 0)
		v.len = 0;
	print_list(&v);
	if (v.len > 0) {
		ctl_cert_expiry(ctl, key, why, sizeof(why));
		printf("\t%s\n", why);
	} else
		printf("\t-\n");
	return 0;
}

static int
site_list(struct ctl *ctl, int argc, char **argv)
{
	struct listing	 l;
	char		 why[256];	/* why there is no scoreboard: moot */
	int		 rc, status = CTL_OK;

	(void)argv;
	if (argc != 1)
		return CTL_USAGE;
	if ((rc = mb_begin(ctl->mb)) != 0)
		return ctl_mberr(ctl, rc, "cannot read metabase '%s'", ctl->dir);
	l.ctl = ctl;
	l.sb = status_open(ctl->dir, why, sizeof(why));
	rc = mb_site_each(ctl->mb, list_one, &l);
	if (l.sb != NULL)
		status_close(l.sb);
	if (rc != 0 && rc != MB_NOTFOUND)
		status = ctl_mberr(ctl, rc, "cannot list sites");
	mb_end(ctl->mb);
	return status;
}

/* site start|stop ID: ServerState 2 or 4, on a site that exists. */
static int
site_state(struct ctl *ctl, int argc, char **argv, uint32_t state)
{
	uint32_t	 id;
	int		 rc;

	if (argc != 2)
		return CTL_USAGE;
	if (ctl_parse_id(argv[1], &id) == -1)
		return CTL_FAIL;
	if ((rc = mb_site_set_state(ctl->mb, id, state)) != 0)
		return ctl_mberr(ctl, rc, "cannot %s site %u", argv[0],
		    (unsigned)id);
	return CTL_OK;
}

static int
site_delete(struct ctl *ctl, int argc, char **argv)
{
	uint32_t	 id;
	int		 rc;

	if (argc != 2)
		return CTL_USAGE;
	if (ctl_parse_id(argv[1], &id) == -1)
		return CTL_FAIL;
	if ((rc = mb_site_delete(ctl->mb, id)) != 0)
		return ctl_mberr(ctl, rc, "cannot delete site %u", (unsigned)id);
	return CTL_OK;
}
