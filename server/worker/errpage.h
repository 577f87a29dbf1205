/*
 * errpage.h - a site's own error pages (HttpErrors): the entry for a
 * status, and its body, read from a file or from a URL of the site
 * (served as an internal redirect, with the original status).
 *
 * A page is read whole into the reply's scratch memory, up to
 * ERRPAGE_MAX bytes; a page that cannot be read leaves the built-in one,
 * and a URL's page is never itself given a custom page, so nothing loops.
 */
#ifndef ERRPAGE_H
#define ERRPAGE_H

#include <stddef.h>

#include "metabase.h"

struct scratch;

/* The largest custom error page served. */
#define ERRPAGE_MAX	(256 * 1024)

/* Where a URL entry is looked up: the request's site, in its snapshot. */
struct errpage_site {
	struct mb	*mb;
	uint32_t	 site;
	const struct mb_value *errors;	/* HttpErrors in effect, or NULL */
	const struct mb_value *mimemap;	/* MimeMap in effect */
};

/*
 * The custom page for status and substatus sub under es: its bytes in
 * x->buf, their number in *len, its type (pointing into the MimeMap, or
 * a built-in string) in *ctype, *ctlen.  0, or -1 when there is none or
 * it cannot be read (the built-in page then stays).
 */
int	errpage_find(const struct errpage_site *es, int status, int sub,
	    struct scratch *x, size_t *len, const char **ctype, size_t *ctlen);

#endif /* ERRPAGE_H */
