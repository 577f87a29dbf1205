/*
 * mbctl.h - the commands of mbctl(8) and the helpers they share.
 *
 * main.c parses the global options, finds the metabase directory, opens
 * the metabase as the command needs (read-only for the commands that only
 * read) and calls one cmd_*() function.  A command prints its own error
 * (one line, "mbctl: ..." on stderr, through ctl_errx() or ctl_mberr())
 * and returns the exit status: CTL_OK, CTL_FAIL, or CTL_USAGE when main()
 * should print the usage.
 */
#ifndef MBCTL_H
#define MBCTL_H

#include <stdio.h>

#include "metabase.h"

#define CTL_OK		0
#define CTL_FAIL	1
#define CTL_USAGE	2

/*
 * printf-style checking of our message helpers (a GNU C extension, also in
 * clang; other compilers get no checking).
 */
#if defined(__GNUC__)
#define CTL_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define CTL_PRINTF(f, a)
#endif

struct ctl {
	const char	*dir;		/* metabase directory */
	struct mb	*mb;		/* open handle; NULL for schema */
};

/* cmd_key.c: keys and properties. */
int	cmd_init(struct ctl *, int, char **);
int	cmd_get(struct ctl *, int, char **);
int	cmd_set(struct ctl *, int, char **);
int	cmd_delete(struct ctl *, int, char **);
int	cmd_enum(struct ctl *, int, char **);
int	cmd_tree(struct ctl *, int, char **);
int	cmd_create(struct ctl *, int, char **);
int	cmd_schema(struct ctl *, int, char **);

/* cmd_site.c: site create, list, start, stop, delete. */
int	cmd_site(struct ctl *, int, char **);

/* cmd_export.c */
int	cmd_export(struct ctl *, int, char **);
/* cmd_import.c */
int	cmd_import(struct ctl *, int, char **);
/* cmd_backup.c: backup, restore. */
int	cmd_backup(struct ctl *, int, char **);
int	cmd_restore(struct ctl *, int, char **);

/* cmd_history.c: history, diff, rollback. */
int	cmd_history(struct ctl *, int, char **);
int	cmd_diff(struct ctl *, int, char **);
int	cmd_rollback(struct ctl *, int, char **);
/* One change as "key/Property: old -> new", after lead. */
void	ctl_print_change(FILE *, const char *lead, const struct mb_hchange *);
/* The whole history as '#' comment lines, for export --history. */
int	ctl_history_comments(struct ctl *, FILE *);
/* cmd_export.c, for diff --export: one property line, a string literal. */
void	ctl_export_prop(FILE *, const struct mb_prop *, const struct mb_value *);
void	ctl_put_string(FILE *, const char *);

/* cmd_status.c: what the running server does now. */
int	cmd_status(struct ctl *, int, char **);
/* user add|delete|list SITE[/PATH] [NAME]: AuthUsers (cmd_user.c). */
int	cmd_user(struct ctl *, int, char **);

/* util.c */
/*
 * Key paths, collected with ctl_keys_add() before anything is done to
 * them, so that no walk stays open meanwhile.
 */
struct ctl_keys {
	char	**v;		/* allocated paths, in the order added */
	size_t	  n, cap;
};
/* Set up an empty list; allocates nothing. */
void	ctl_keys_init(struct ctl_keys *);
/*
 * The callback for mb_key_walk() and mb_key_children(): append a copy of
 * path to the struct ctl_keys at keys.  Returns 0, or ENOMEM (which stops
 * the walk) leaving the list as it was.
 */
int	ctl_keys_add(void *keys, const char *path);
/* Free the paths and the array; the list is then empty. */
void	ctl_keys_release(struct ctl_keys *);
/*
 * Print "mbctl: <message>" on stderr as one line (control characters in
 * it escaped) and flush it; returns CTL_FAIL.
 */
int	ctl_errx(const char *fmt, ...) CTL_PRINTF(1, 2);
/*
 * The same line, newline included, in a buffer the caller frees; NULL
 * when out of memory.
 */
char	*ctl_msg(const char *fmt, ...) CTL_PRINTF(1, 2);
/*
 * Report a failed mb_*() call: mb_errdetail() when it has something to
 * say, else the message formatted from fmt followed by mb_strerror(rc).
 * Returns CTL_FAIL.
 */
int	ctl_mberr(struct ctl *, int rc, const char *fmt, ...) CTL_PRINTF(3, 4);
/*
 * Canonicalize a key path as typed ("" is /LM).  Returns the key's kind,
 * or -1 after printing why the path is no key.
 */
int	ctl_canon(const char *arg, char out[MB_MAXPATH + 1]);
/*
 * Split "KEY/PROPERTY" at the last '/' into the canonical key and the
 * schema entry.  Returns 0, or -1 after printing the error.
 */
int	ctl_split(const char *arg, char key[MB_MAXPATH + 1],
	    const struct mb_prop **pp);
/* "BOOL", "DWORD", "STRING" or "MULTISZ". */
const char *ctl_typename(enum mb_type);
/* get --secrets: print password hashes (AuthUsers) as they are. */
extern int	 ctl_show_secrets;
/*
 * Format a value with mb_value_format() into a buffer the caller frees;
 * a secret property's hashes show as "*" unless ctl_show_secrets.
 * NULL when out of memory.
 */
char	*ctl_format(const struct mb_prop *, const struct mb_value *);
/*
 * Print the names of the bits set in a flags value, joined by '|', with
 * any unnamed bits in hex; "0" for none.
 */
void	ctl_print_flags(FILE *, const struct mb_prop *, uint32_t);
/*
 * Parse a site id, 1 .. 4294967295.  Returns 0, or -1 after printing the
 * error.
 */
int	ctl_parse_id(const char *arg, uint32_t *id);
/*
 * The metabase directory: opt (from -m) if not NULL, else
 * $MBHTTPD_METABASE, else what conf_metabase() (conf/conf.h) finds in the
 * bootstrap file ($MBHTTPD_CONF, else CONF_FILE, which may be missing).
 * *dirp is allocated; returns 0, or -1 after printing the error.
 */
int	ctl_metabase_dir(const char *opt, char **dirp);
/*
 * mbctl's rule beyond the schema's (an mb_check_fn for mb_set_check()):
 * a custom header may not be a field the server writes itself.
 */
int	ctl_check_value(const struct mb_prop *p, const char *s, char *err,
	    size_t errlen);

/*
 * Before SSLCertificateFile or SSLCertificateKeyFile is set to path at
 * key (any other property passes): the file must read as the server
 * reads it, and a key must be that of the certificate in effect there
 * (pair, when not NULL, is the other file of the pair, set with it).  A
 * certificate that has expired, that does not name a host of the site's
 * SecureBindings, or that the key in effect does not match is set with a
 * warning, as certificates are installed before DNS moves.  0, or -1
 * after printing the error.
 */
int	ctl_cert_check(struct ctl *, const char *key, const struct mb_prop *p,
	    const char *path, const char *pair);
/* For site list: "expires 2027-03-01", "expired ...", the reason it does
 * not read, or "-" with no certificate in effect at key. */
void	ctl_cert_expiry(struct ctl *, const char *key, char *buf, size_t len);

#endif /* MBCTL_H */
