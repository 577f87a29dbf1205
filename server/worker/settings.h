/*
 * settings.h - the settings one request is served by, copied out of its
 * metabase snapshot once, so that they outlive it (the keep-alive
 * decision, the access log, the timeouts of the next read).
 *
 * Where a request has no site (a head we could not parse, a Host that
 * names none), the service's settings (/LM/W3SVC) apply; where it has a
 * site but no path that resolves, the site's.
 */
#ifndef SETTINGS_H
#define SETTINGS_H

#include <limits.h>
#include <stdint.h>

#include "metabase.h"

struct settings {
	int		 allow;		/* AllowKeepAlives */
	int		 legacy;	/* LegacyKeepAlives */
	unsigned	 max_requests;	/* MaxKeepAliveRequests */
	uint32_t	 conn_timeout;	/* ConnectionTimeout, seconds */
	uint32_t	 hdr_timeout;	/* HeaderWaitTimeout, seconds */
	uint32_t	 body_limit;	/* MaxRequestEntityAllowed */
	uint32_t	 logtype;	/* LogType */
	uint32_t	 logflags;	/* LogExtFileFlags */
	uint32_t	 per_client;	/* MaxConnectionsPerClient; 0: none */
	char		 logdir[PATH_MAX]; /* LogFileDirectory; "" for none */
};

/* The schema's defaults: what applies when even /LM/W3SVC is unread. */
void	settings_defaults(struct settings *s);
/* Copy the settings out of the effective properties p of a key. */
void	settings_from_props(struct settings *s, const struct mb_props *p);
/*
 * The settings of site, or of the service when site is 0, from the open
 * snapshot of mb.  Returns 0, or a metabase error with s unchanged.
 */
int	settings_lookup(struct mb *mb, uint32_t site, struct settings *s);

#endif /* SETTINGS_H */
