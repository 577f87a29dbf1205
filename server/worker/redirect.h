/*
 * redirect.h - HttpRedirect: the Location a request is sent to instead
 * of being served, with IIS's rules and variables.
 *
 * The destination is the value's URL (absolute, or a path of this
 * server).  Unless EXACT_DESTINATION, the part of the request's path
 * below the key that set the value, and its query, are appended; with
 * it, $S (that part), $V (the whole path), $Q ("?" and the query, or
 * nothing) and $P (the query alone) are replaced.  CHILD_ONLY leaves the
 * folder itself served and redirects what is below it.
 */
#ifndef REDIRECT_H
#define REDIRECT_H

#include <stddef.h>

#include "metabase.h"

/*
 * The redirect for a request: the value v in effect (its origin the
 * prefix length of the metabase key path that set it), the key path
 * prefix length pre of the site's ROOT, the decoded request path
 * path[0 .. plen) and raw query q[0 .. qlen).  Writes "Location: ...\r\n"
 * into buf and returns its length, with *status 301, 302 or 308; 0 when
 * the request is not redirected (no value, CHILD_ONLY and the folder
 * itself, or a Location too long for buf).
 */
size_t	redirect_location(const struct mb_value *v, size_t pre,
	    const char *path, size_t plen, const char *q, size_t qlen,
	    char *buf, size_t len, int *status);

#endif /* REDIRECT_H */
