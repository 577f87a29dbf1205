/*
 * cmd_user.c - mbctl user: the users of Basic authentication of a site
 * or a folder (AuthUsers), each stored as "name:hash" with a salted
 * yescrypt hash from crypt(3); the password itself is never stored.
 */
/* explicit_bzero() */
#define _DEFAULT_SOURCE
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "metabase.h"
#include "mbctl.h"

/* The longest password read. */
#define PASS_MAX	1024

/* "7" or "7/private/docs" into /LM/W3SVC/7/ROOT[/private/docs]. */
static int
user_key(const char *arg, char key[MB_MAXPATH + 1])
{
	const char	*slash = strchr(arg, '/');
	char		 id[16];
	uint32_t	 site;
	size_t		 n = slash != NULL ? (size_t)(slash - arg) : strlen(arg);
	int		 len;

	if (n == 0 || n >= sizeof(id)) {
		ctl_errx("'%s': expected a site id, then a path, as 1/private",
		    arg);
		return -1;
	}
	memcpy(id, arg, n);
	id[n] = '\0';
	if (ctl_parse_id(id, &site) == -1)
		return -1;
	len = snprintf(key, MB_MAXPATH + 1, "/LM/W3SVC/%lu/ROOT%s",
	    (unsigned long)site, slash != NULL && slash[1] != '\0' ? slash :
	    "");
	if (len < 0 || len > MB_MAXPATH) {
		ctl_errx("'%s': the path is too long", arg);
		return -1;
	}
	if (key[len - 1] == '/')
		key[len - 1] = '\0';
	return 0;
}

/* One line of stdin, without its newline; echo off on a terminal. */
static int
read_line(const char *prompt, char *buf, size_t len)
{
	struct termios	 t, quiet;
	int		 tty = isatty(STDIN_FILENO), ok;
	size_t		 n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &t) == 0) {
			quiet = t;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		} else
			tty = 0;
	}
	ok = fgets(buf, (int)len, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
		fputc('\n', stderr);
	}
	if (!ok)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (n == len - 1)
		return -1;	/* too long */
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

/* AuthUsers at key itself, without name; plus name:hash when hash. */
static int
rewrite(struct ctl *ctl, const char *key, const char *name, const char *hash,
    int *found)
{
	const struct mb_prop *p = &mb_schema[MB_P_AUTHUSERS];
	struct mb_value	 v, nv;
	const char	*s;
	char		*entry = NULL;
	size_t		 nlen = strlen(name);
	int		 rc;

	memset(&nv, 0, sizeof(nv));
	*found = 0;
	rc = mb_prop_get(ctl->mb, key, p, &v);
	if (rc == MB_NOTFOUND)
		v.len = 0;
	else if (rc != 0)
		return rc;
	MB_MULTISZ_FOREACH(s, &v) {
		if (strncmp(s, name, nlen) == 0 && s[nlen] == ':') {
			*found = 1;
			continue;
		}
		if (mb_multisz_add(&nv, s) != 0)
			goto nomem;
	}
	if (hash != NULL) {
		if ((entry = malloc(nlen + strlen(hash) + 2)) == NULL)
			goto nomem;
		snprintf(entry, nlen + strlen(hash) + 2, "%s:%s", name, hash);
		if (mb_multisz_add(&nv, entry) != 0)
			goto nomem;
	}
	if (nv.len == 0)
		rc = *found ? mb_prop_delete(ctl->mb, key, p) : 0;
	else
		rc = mb_prop_set(ctl->mb, key, p, &nv);
	free(entry);
	free((char *)nv.str);
	return rc;
 nomem:
	free(entry);
	free((char *)nv.str);
	return ENOMEM;
}

static int
user_add(struct ctl *ctl, const char *key, const char *name, int from_stdin)
{
	char	 pw[PASS_MAX + 2], again[PASS_MAX + 2];
	char	 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int	 rc, found, status = CTL_FAIL;

	if (name[0] == '\0' || strpbrk(name, ": \t\r\n") != NULL) {
		ctl_errx("user name '%s': no colon, space or control "
		    "character", name);
		return CTL_FAIL;
	}
	if (read_line(from_stdin || !isatty(STDIN_FILENO) ? "" :
	    "Password: ", pw, sizeof(pw)) == -1 || pw[0] == '\0') {
		ctl_errx("no password read (an empty one is refused)");
		return CTL_FAIL;
	}
	if (isatty(STDIN_FILENO) && !from_stdin) {
		if (read_line("Again: ", again, sizeof(again)) == -1 ||
		    strcmp(pw, again) != 0) {
			ctl_errx("the passwords differ; nothing changed");
			goto clear;
		}
	}
	if ((cd = calloc(1, sizeof(*cd))) == NULL) {
		ctl_errx("out of memory");
		goto clear;
	}
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL ||
	    (h = crypt_rn(pw, salt, cd, sizeof(*cd))) == NULL || h[0] == '*') {
		ctl_errx("cannot hash the password: %s", strerror(errno));
		goto free_cd;
	}
	if ((rc = mb_write_begin(ctl->mb)) != 0 ||
	    (rc = mb_key_exists(ctl->mb, key)) != 0 ||
	    (rc = rewrite(ctl, key, name, h, &found)) != 0 ||
	    (rc = mb_write_commit(ctl->mb)) != 0) {
		mb_write_abort(ctl->mb);
		if (rc == MB_NOTFOUND)
			ctl_errx("no key '%s' (mbctl create it first)", key);
		else
			ctl_mberr(ctl, rc, "cannot add user '%s' at '%s'", name,
			    key);
		goto free_cd;
	}
	printf("%s user '%s' at %s\n", found ? "changed" : "added", name, key);
	status = CTL_OK;
 free_cd:
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
 clear:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	return status;
}

int
cmd_user(struct ctl *ctl, int argc, char **argv)
{
	const struct mb_prop *p = &mb_schema[MB_P_AUTHUSERS];
	struct mb_value	 v;
	const char	*s, *c;
	char		 key[MB_MAXPATH + 1];
	int		 rc, found, from_stdin = 0;

	if (argc >= 2 && strcmp(argv[argc - 1], "--stdin") == 0) {
		from_stdin = 1;
		argc--;
	}
	if (argc < 3 || user_key(argv[2], key) == -1)
		return argc < 3 ? CTL_USAGE : CTL_FAIL;
	if (strcmp(argv[1], "add") == 0 && argc == 4)
		return user_add(ctl, key, argv[3], from_stdin);
	if (strcmp(argv[1], "delete") == 0 && argc == 4) {
		if ((rc = mb_write_begin(ctl->mb)) != 0 ||
		    (rc = rewrite(ctl, key, argv[3], NULL, &found)) != 0 ||
		    (rc = mb_write_commit(ctl->mb)) != 0) {
			mb_write_abort(ctl->mb);
			return ctl_mberr(ctl, rc, "cannot delete user '%s' at "
			    "'%s'", argv[3], key);
		}
		if (!found)
			return ctl_errx("no user '%s' at %s", argv[3], key);
		return CTL_OK;
	}
	if (strcmp(argv[1], "list") == 0 && argc == 3) {
		if ((rc = mb_begin(ctl->mb)) != 0)
			return ctl_mberr(ctl, rc, "cannot read metabase '%s'",
			    ctl->dir);
		rc = mb_prop_get(ctl->mb, key, p, &v);
		if (rc == 0)
			MB_MULTISZ_FOREACH(s, &v)
				if ((c = strchr(s, ':')) != NULL)
					printf("%.*s\n", (int)(c - s), s);
		mb_end(ctl->mb);
		if (rc != 0 && rc != MB_NOTFOUND)
			return ctl_mberr(ctl, rc, "cannot list users at '%s'",
			    key);
		return CTL_OK;
	}
	return CTL_USAGE;
}
