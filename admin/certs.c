/*
 * certs.c - what mbctl checks before it stores a certificate or a key
 * path, and the expiry date site list shows; the files are read as the
 * server reads them (server/tls/certfile.c).
 */
/* gmtime_r() */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "metabase.h"
#include "mbctl.h"
#include "server/tls/certfile.h"

/* The effective string property pid at key, or NULL (empty). */
static const char *
effective(struct ctl *ctl, const char *key, enum mb_pid pid)
{
	struct mb_value	 v;

	if (mb_prop_effective(ctl->mb, key, &mb_schema[pid], &v) != 0 ||
	    v.str == NULL || v.str[0] == '\0')
		return NULL;
	return v.str;
}

/* Warn of each host name of the site at key the certificate misses. */
static void
warn_names(struct ctl *ctl, const char *key, const char *cert)
{
	struct mb_binding b;
	struct mb_value	 v;
	const char	*s;

	if (mb_prop_get(ctl->mb, key, &mb_schema[MB_P_SECUREBINDINGS],
	    &v) != 0)
		return;
	MB_MULTISZ_FOREACH(s, &v) {
		if (mb_binding_parse(s, &b) != 0 || b.host[0] == '\0')
			continue;
		if (certfile_covers(cert, b.host) == 0)
			fprintf(stderr, "mbctl: warning: '%s' is not a "
			    "certificate for %s (binding '%s')\n", cert,
			    b.host, s);
	}
}

int
ctl_cert_check(struct ctl *ctl, const char *key, const struct mb_prop *p,
    const char *path, const char *pair)
{
	char		 err[1200], day[32];
	const char	*other;
	struct tm	 tm;
	time_t		 na;
	int		 rc, m;

	if (p != &mb_schema[MB_P_SSLCERTFILE] &&
	    p != &mb_schema[MB_P_SSLKEYFILE])
		return 0;
	if ((rc = mb_begin(ctl->mb)) != 0) {
		ctl_mberr(ctl, rc, "cannot read metabase '%s'", ctl->dir);
		return -1;
	}
	if (p == &mb_schema[MB_P_SSLCERTFILE]) {
		if (certfile_check_cert(path, &na, err, sizeof(err)) == -1)
			goto refuse;
		other = pair != NULL ? pair : effective(ctl, key,
		    MB_P_SSLKEYFILE);
		if (na < time(NULL)) {
			gmtime_r(&na, &tm);
			strftime(day, sizeof(day), "%Y-%m-%d", &tm);
			fprintf(stderr, "mbctl: warning: the certificate in "
			    "'%s' expired on %s\n", path, day);
		}
		warn_names(ctl, key, path);
		if (other != NULL && (m = certfile_match(path, other, err,
		    sizeof(err))) != 1) {
			if (pair != NULL)
				goto refuse_match;
			fprintf(stderr, "mbctl: warning: the key in '%s' is "
			    "not this certificate's: set SSLCertificateKeyFile "
			    "next\n", other);
		}
	} else {
		if (certfile_check_key(path, err, sizeof(err)) == -1)
			goto refuse;
		other = pair != NULL ? pair : effective(ctl, key,
		    MB_P_SSLCERTFILE);
		if (other != NULL && (m = certfile_match(other, path, err,
		    sizeof(err))) != 1)
			goto refuse_match;
	}
	mb_end(ctl->mb);
	return 0;

 refuse_match:
	if (m == 0)
		snprintf(err, sizeof(err), "the key in '%s' does not match "
		    "the certificate in '%s'", p == &mb_schema[MB_P_SSLKEYFILE]
		    ? path : other, p == &mb_schema[MB_P_SSLKEYFILE] ? other :
		    path);
 refuse:
	mb_end(ctl->mb);
	ctl_errx("cannot set %s at '%s': %s", p->name, key, err);
	return -1;
}

void
ctl_cert_expiry(struct ctl *ctl, const char *key, char *buf, size_t len)
{
	const char	*cert = effective(ctl, key, MB_P_SSLCERTFILE);
	char		 err[1200];
	struct tm	 tm;
	time_t		 na;

	if (cert == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	if (certfile_check_cert(cert, &na, err, sizeof(err)) == -1) {
		snprintf(buf, len, "%s", err);
		return;
	}
	gmtime_r(&na, &tm);
	strftime(buf, len, na < time(NULL) ? "expired %Y-%m-%d" :
	    "expires %Y-%m-%d", &tm);
}
