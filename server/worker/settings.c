/*
 * settings.c - a request's settings, out of the snapshot.
 */
#include <stdio.h>
#include <string.h>

#include "metabase.h"
#include "server/worker/settings.h"

static void
set_logdir(struct settings *s, const char *dir, size_t len)
{
	if (s->logtype != 0 && dir != NULL && len < sizeof(s->logdir))
		memcpy(s->logdir, dir, len + 1);
	else
		s->logdir[0] = '\0';
}

void
settings_defaults(struct settings *s)
{
	const char	*dir = mb_schema[MB_P_LOGFILEDIRECTORY].dflt_str;

	s->allow = mb_schema[MB_P_ALLOWKEEPALIVES].dflt;
	s->legacy = mb_schema[MB_P_LEGACYKEEPALIVES].dflt;
	s->max_requests = mb_schema[MB_P_MAXKEEPALIVEREQUESTS].dflt;
	s->conn_timeout = mb_schema[MB_P_CONNECTIONTIMEOUT].dflt;
	s->hdr_timeout = mb_schema[MB_P_HEADERWAITTIMEOUT].dflt;
	s->body_limit = mb_schema[MB_P_MAXREQUESTENTITY].dflt;
	s->logtype = mb_schema[MB_P_LOGTYPE].dflt;
	s->logflags = mb_schema[MB_P_LOGEXTFILEFLAGS].dflt;
	s->per_client = mb_schema[MB_P_MAXCONNECTIONSPERCLIENT].dflt;
	set_logdir(s, dir, dir != NULL ? strlen(dir) : 0);
}

void
settings_from_props(struct settings *s, const struct mb_props *p)
{
	s->allow = p->v[MB_P_ALLOWKEEPALIVES].dword;
	s->legacy = p->v[MB_P_LEGACYKEEPALIVES].dword;
	s->max_requests = p->v[MB_P_MAXKEEPALIVEREQUESTS].dword;
	s->conn_timeout = p->v[MB_P_CONNECTIONTIMEOUT].dword;
	s->hdr_timeout = p->v[MB_P_HEADERWAITTIMEOUT].dword;
	s->body_limit = p->v[MB_P_MAXREQUESTENTITY].dword;
	s->logtype = p->v[MB_P_LOGTYPE].dword;
	s->logflags = p->v[MB_P_LOGEXTFILEFLAGS].dword;
	s->per_client = p->v[MB_P_MAXCONNECTIONSPERCLIENT].dword;
	set_logdir(s, p->v[MB_P_LOGFILEDIRECTORY].str,
	    p->v[MB_P_LOGFILEDIRECTORY].len);
}

int
settings_lookup(struct mb *mb, uint32_t site, struct settings *s)
{
	struct mb_props	 p;
	char		 key[40];
	size_t		 kl;
	int		 n, rc;

	if (site != 0)
		n = snprintf(key, sizeof(key), "/LM/W3SVC/%u", (unsigned)site);
	else
		n = snprintf(key, sizeof(key), "/LM/W3SVC");
	if ((rc = mb_resolve(mb, key, (size_t)n, &p, &kl)) == 0)
		settings_from_props(s, &p);
	return rc;
}
