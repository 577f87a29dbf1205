/*
 * authcheck.h - whether a request may see a folder protected with Basic
 * authentication (AuthFlags, AuthUsers, AuthBasicOverHTTP).
 *
 * Passwords are checked with crypt(3) (libxcrypt: yescrypt, bcrypt, and
 * the rest it knows) against the stored hash, the result compared in
 * constant time; a user that does not exist costs as much as one that
 * does.  A worker remembers the last AUTH_CACHE credentials it verified
 * (a SHA-256 of hash, user and password, never the password itself), so
 * that a browser sending them with every request costs one hash, not one
 * crypt(3), per request.
 */
#ifndef AUTHCHECK_H
#define AUTHCHECK_H

#include <stddef.h>

#include "metabase.h"
#include "server/http/http_parse.h"

#define AUTH_CACHE	32

enum auth_result {
	AUTH_OPEN,		/* anonymous access allowed */
	AUTH_OK,		/* a user of AuthUsers, password right */
	AUTH_ASK,		/* 401 with WWW-Authenticate */
	AUTH_NEEDS_TLS		/* protected, on plain HTTP, not allowed */
};

/*
 * The answer for request req at the folder whose effective properties
 * are p; tls says the connection is HTTPS.  AUTH_OK copies the user into
 * user[len].
 */
enum auth_result authcheck(const struct mb_props *p,
	    const struct hp_request *req, int tls, char *user, size_t len);

#endif /* AUTHCHECK_H */
