/*
 * mb_schema.c - the schema table, and checking, parsing and printing
 * values against it.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_int.h"

static const struct mb_flagname auth_flags[] = {
	{ "AuthAnonymous",		MB_AUTH_ANONYMOUS },
	{ "AuthBasic",			MB_AUTH_BASIC },
	{ NULL, 0 }
};

static const struct mb_flagname dirbrowse_flags[] = {
	{ "DirBrowseShowDate",		MB_DIRBROW_SHOW_DATE },
	{ "DirBrowseShowTime",		MB_DIRBROW_SHOW_TIME },
	{ "DirBrowseShowSize",		MB_DIRBROW_SHOW_SIZE },
	{ "DirBrowseShowExtension",	MB_DIRBROW_SHOW_EXT },
	{ "DirBrowseShowLongDate",	MB_DIRBROW_LONG_DATE },
	{ "EnableDefaultDoc",		MB_DIRBROW_LOADDEFAULT },
	{ "EnableDirBrowsing",		MB_DIRBROW_ENABLED },
	{ NULL, 0 }
};

static const struct mb_flagname access_flags[] = {
	{ "AccessRead",			MB_ACCESS_READ },
	{ "AccessWrite",		MB_ACCESS_WRITE },
	{ "AccessExecute",		MB_ACCESS_EXECUTE },
	{ "AccessSSL",			MB_ACCESS_SSL },
	{ "AccessSource",		MB_ACCESS_SOURCE },
	{ "AccessScript",		MB_ACCESS_SCRIPT },
	{ "AccessNoRemoteRead",		MB_ACCESS_NO_REMOTE_READ },
	{ NULL, 0 }
};

static const struct mb_flagname logext_flags[] = {
	{ "LogExtFileDate",		MB_LOG_DATE },
	{ "LogExtFileTime",		MB_LOG_TIME },
	{ "LogExtFileClientIp",		MB_LOG_CLIENT_IP },
	{ "LogExtFileUserName",		MB_LOG_USERNAME },
	{ "LogExtFileSiteName",		MB_LOG_SITENAME },
	{ "LogExtFileComputerName",	MB_LOG_COMPUTERNAME },
	{ "LogExtFileServerIp",		MB_LOG_SERVER_IP },
	{ "LogExtFileMethod",		MB_LOG_METHOD },
	{ "LogExtFileUriStem",		MB_LOG_URI_STEM },
	{ "LogExtFileUriQuery",		MB_LOG_URI_QUERY },
	{ "LogExtFileHttpStatus",	MB_LOG_HTTP_STATUS },
	{ "LogExtFileWin32Status",	MB_LOG_WIN32_STATUS },
	{ "LogExtFileBytesSent",	MB_LOG_BYTES_SENT },
	{ "LogExtFileBytesRecv",	MB_LOG_BYTES_RECV },
	{ "LogExtFileTimeTaken",	MB_LOG_TIME_TAKEN },
	{ "LogExtFileServerPort",	MB_LOG_SERVER_PORT },
	{ "LogExtFileUserAgent",	MB_LOG_USER_AGENT },
	{ "LogExtFileCookie",		MB_LOG_COOKIE },
	{ "LogExtFileReferer",		MB_LOG_REFERER },
	{ "LogExtFileProtocolVersion",	MB_LOG_PROTOCOL_VERSION },
	{ "LogExtFileHost",		MB_LOG_HOST },
	{ "LogExtFileHttpSubStatus",	MB_LOG_HTTP_SUB_STATUS },
	{ NULL, 0 }
};

/* IIS's default field set: what tools made for IIS logs expect. */
#define LOG_DEFAULT_FIELDS (MB_LOG_DATE | MB_LOG_TIME | MB_LOG_SERVER_IP | \
	MB_LOG_METHOD | MB_LOG_URI_STEM | MB_LOG_URI_QUERY |		\
	MB_LOG_SERVER_PORT | MB_LOG_USERNAME | MB_LOG_CLIENT_IP |	\
	MB_LOG_USER_AGENT | MB_LOG_REFERER | MB_LOG_HTTP_STATUS |	\
	MB_LOG_HTTP_SUB_STATUS | MB_LOG_WIN32_STATUS | MB_LOG_TIME_TAKEN)

#define K_SVC_SITE	(MB_KIND_SERVICE | MB_KIND_SITE)
#define K_ALLDIRS	(MB_KIND_SERVICE | MB_KIND_SITE | MB_KIND_VDIR)

/*
 * The single truth about every property.  Ids below 57344 are IIS's own;
 * ours start at 57344, where IIS leaves room for user-defined ids.
 */
const struct mb_prop mb_schema[MB_NPROPS] = {
	[MB_P_ALLOWKEEPALIVES] = { "AllowKeepAlives", "AllowKeepAlive", 6038,
	    MB_BOOL, 1, K_SVC_SITE, MB_SYN_NONE, 0, 1, 1, NULL, NULL,
	    "keep connections open between requests, for HTTP/1.0 and HTTP/1.1", 0 },
	[MB_P_LEGACYKEEPALIVES] = { "LegacyKeepAlives", NULL, 57344,
	    MB_BOOL, 1, K_SVC_SITE, MB_SYN_NONE, 0, 1, 0, NULL, NULL,
	    "AllowKeepAlives governs HTTP/1.0 clients only, as in IIS 4.0 (KB Q195179)", 0 },
	[MB_P_CONNECTIONTIMEOUT] = { "ConnectionTimeout", NULL, 1013,
	    MB_DWORD, 1, K_SVC_SITE, MB_SYN_NONE, 1, 86400, 120, NULL, NULL,
	    "seconds an idle kept-alive connection may wait for its next request", 0 },
	[MB_P_HEADERWAITTIMEOUT] = { "HeaderWaitTimeout", NULL, 57346,
	    MB_DWORD, 1, K_SVC_SITE, MB_SYN_NONE, 1, 3600, 20, NULL, NULL,
	    "seconds a client has to send a whole request header", 0 },
	[MB_P_MAXKEEPALIVEREQUESTS] = { "MaxKeepAliveRequests", NULL, 57345,
	    MB_DWORD, 1, K_SVC_SITE, MB_SYN_NONE, 0, UINT32_MAX, 0, NULL, NULL,
	    "requests served on one connection before it closes (0: unlimited)", 0 },
	[MB_P_MAXCONNECTIONS] = { "MaxConnections", NULL, 1014,
	    MB_DWORD, 1, K_SVC_SITE, MB_SYN_NONE, 1, UINT32_MAX, UINT32_MAX,
	    NULL, NULL,
	    "connections a site may hold at once; more are answered 503", 0 },
	[MB_P_MAXREQUESTENTITY] = { "MaxRequestEntityAllowed", NULL, 57351,
	    MB_DWORD, 1, K_ALLDIRS, MB_SYN_NONE, 0, UINT32_MAX, 1048576,
	    NULL, NULL,
	    "largest request body accepted, in bytes; larger ones get 413", 0 },
	[MB_P_SERVERCOMMENT] = { "ServerComment", NULL, 1015,
	    MB_STRING, 0, MB_KIND_SITE, MB_SYN_NONE, 0, 0, 0, NULL, NULL,
	    "the site's name", 0 },
	[MB_P_SERVERBINDINGS] = { "ServerBindings", NULL, 1023,
	    MB_MULTISZ, 0, MB_KIND_SITE, MB_SYN_BINDING, 0, 0, 0, NULL, NULL,
	    "IP:Port:HostHeader strings the site answers on", 0 },
	[MB_P_SERVERSTATE] = { "ServerState", NULL, 1016,
	    MB_DWORD, 0, MB_KIND_SITE, MB_SYN_STATE, 2, 4, MB_STATE_STARTED,
	    NULL, NULL,
	    "2 started, 4 stopped (its requests get 503)", 0 },
	[MB_P_SERVERAUTOSTART] = { "ServerAutoStart", NULL, 1017,
	    MB_BOOL, 0, MB_KIND_SITE, MB_SYN_NONE, 0, 1, 1, NULL, NULL,
	    "when FALSE, mbhttpd marks the site stopped as it starts", 0 },
	[MB_P_PATH] = { "Path", NULL, 3001,
	    MB_STRING, 1, MB_KIND_VDIR, MB_SYN_ABSPATH, 0, 0, 0, NULL, NULL,
	    "folder a virtual directory maps to", 0 },
	[MB_P_DEFAULTDOC] = { "DefaultDoc", NULL, 6006,
	    MB_STRING, 1, K_ALLDIRS, MB_SYN_DOCLIST, 0, 0, 0,
	    "index.html,index.htm,Default.htm", NULL,
	    "documents tried, in order, for a folder (comma separated)", 0 },
	[MB_P_DIRBROWSEFLAGS] = { "DirBrowseFlags", NULL, 6000,
	    MB_DWORD, 1, K_ALLDIRS, MB_SYN_FLAGS, 0, UINT32_MAX,
	    MB_DIRBROW_LOADDEFAULT | MB_DIRBROW_SHOW_DATE |
	    MB_DIRBROW_SHOW_TIME | MB_DIRBROW_SHOW_SIZE | MB_DIRBROW_SHOW_EXT,
	    NULL, dirbrowse_flags,
	    "EnableDefaultDoc, EnableDirBrowsing and what a listing shows", 0 },
	[MB_P_ACCESSFLAGS] = { "AccessFlags", NULL, 6016,
	    MB_DWORD, 1, K_ALLDIRS, MB_SYN_FLAGS, 0, UINT32_MAX,
	    MB_ACCESS_READ, NULL, access_flags,
	    "AccessRead lets clients read files; without it, 403", 0 },
	[MB_P_HTTPCUSTOMHEADERS] = { "HttpCustomHeaders", NULL, 6002,
	    MB_MULTISZ, 1, K_ALLDIRS, MB_SYN_HEADER, 0, 0, 0, NULL, NULL,
	    "\"Name: value\" header fields added to every response", 0 },
	[MB_P_MIMEMAP] = { "MimeMap", NULL, 6015,
	    MB_MULTISZ, 1, K_ALLDIRS | MB_KIND_MIMEMAP, MB_SYN_MIME, 0, 0, 0,
	    NULL, NULL,
	    "\".ext,type/subtype\" content types, else those of /LM/MimeMap", 0 },
	[MB_P_LOGTYPE] = { "LogType", NULL, 4000,
	    MB_DWORD, 1, K_SVC_SITE, MB_SYN_NONE, 0, 1, 1, NULL, NULL,
	    "1 writes an access log, 0 none", 0 },
	[MB_P_LOGFILEDIRECTORY] = { "LogFileDirectory", NULL, 4001,
	    MB_STRING, 1, K_SVC_SITE, MB_SYN_ABSPATH, 0, 0, 0,
	    "/var/log/mbhttpd", NULL,
	    "access logs go to W3SVC<id>/exYYMMDD.log below it", 0 },
	[MB_P_LOGEXTFILEFLAGS] = { "LogExtFileFlags", NULL, 4013,
	    MB_DWORD, 1, K_SVC_SITE, MB_SYN_FLAGS, 0, UINT32_MAX,
	    LOG_DEFAULT_FIELDS, NULL, logext_flags,
	    "fields of the W3C extended access log", 0 },
	[MB_P_MINSPAREWORKERS] = { "MinSpareWorkers", NULL, 57347,
	    MB_DWORD, 0, MB_KIND_SERVICE, MB_SYN_NONE, 1, MB_MAXWORKERS, 4,
	    NULL, NULL,
	    "idle workers kept ready at the least", MB_PF_HOSTLOCAL },
	[MB_P_MAXSPAREWORKERS] = { "MaxSpareWorkers", NULL, 57348,
	    MB_DWORD, 0, MB_KIND_SERVICE, MB_SYN_NONE, 1, MB_MAXWORKERS, 16,
	    NULL, NULL,
	    "idle workers kept at the most; more are told to exit", MB_PF_HOSTLOCAL },
	[MB_P_MAXWORKERS] = { "MaxWorkers", NULL, 57349,
	    MB_DWORD, 0, MB_KIND_SERVICE, MB_SYN_NONE, 1, MB_MAXWORKERS, 64,
	    NULL, NULL,
	    "worker processes at the most", MB_PF_HOSTLOCAL },
	[MB_P_MAXREQUESTSPERWORKER] = { "MaxRequestsPerWorker", NULL, 57350,
	    MB_DWORD, 0, MB_KIND_SERVICE, MB_SYN_NONE, 0, UINT32_MAX, 0,
	    NULL, NULL,
	    "requests a worker serves before it is replaced (0: never)", MB_PF_HOSTLOCAL },
	[MB_P_MAXCONNECTIONSPERCLIENT] = { "MaxConnectionsPerClient", NULL,
	    57352, MB_DWORD, 1, K_SVC_SITE, MB_SYN_NONE, 0, UINT32_MAX, 0,
	    NULL, NULL,
	    "connections one client address may hold open; more get 503 (0: unlimited)", 0 },
	[MB_P_SECUREBINDINGS] = { "SecureBindings", NULL, 2021,
	    MB_MULTISZ, 0, MB_KIND_SITE, MB_SYN_BINDING, 0, 0, 0, NULL, NULL,
	    "IP:Port:HostHeader strings the site answers on over TLS", 0 },
	[MB_P_SSLCERTFILE] = { "SSLCertificateFile", NULL, 57353,
	    MB_STRING, 1, K_SVC_SITE, MB_SYN_ABSPATH, 0, 0, 0, NULL, NULL,
	    "PEM file: the certificate, then its chain", 0 },
	[MB_P_SSLKEYFILE] = { "SSLCertificateKeyFile", NULL, 57354,
	    MB_STRING, 1, K_SVC_SITE, MB_SYN_ABSPATH, 0, 0, 0, NULL, NULL,
	    "PEM file: the certificate's private key", 0 },
	[MB_P_HTTPREDIRECT] = { "HttpRedirect", NULL, 6011,
	    MB_STRING, 1, K_ALLDIRS, MB_SYN_REDIRECT, 0, 0, 0, NULL, NULL,
	    "\"destination[, EXACT_DESTINATION|CHILD_ONLY|PERMANENT|TEMPORARY|308]\": send requests elsewhere", 0 },
	[MB_P_HTTPEXPIRES] = { "HttpExpires", NULL, 6013,
	    MB_STRING, 1, K_ALLDIRS, MB_SYN_EXPIRES, 0, 0, 0, NULL, NULL,
	    "\"D, seconds\" or \"S, HTTP-date\": Cache-Control and Expires of responses", 0 },
	[MB_P_HTTPERRORS] = { "HttpErrors", NULL, 6008,
	    MB_MULTISZ, 1, K_ALLDIRS, MB_SYN_HTTPERROR, 0, 0, 0, NULL, NULL,
	    "\"status,substatus|*,FILE|URL,target\": custom error pages", 0 },
	[MB_P_IPSECURITY] = { "IPSecurity", NULL, 6019,
	    MB_MULTISZ, 1, K_ALLDIRS, MB_SYN_IPSEC, 0, 0, 0, NULL, NULL,
	    "GrantByDefault or DenyByDefault, then the addresses and networks excepted", 0 },
	[MB_P_AUTHFLAGS] = { "AuthFlags", NULL, 57355,
	    MB_DWORD, 1, K_ALLDIRS, MB_SYN_FLAGS, 0, UINT32_MAX,
	    MB_AUTH_ANONYMOUS, NULL, auth_flags,
	    "AuthAnonymous serves anyone; AuthBasic alone asks for a user of AuthUsers", 0 },
	[MB_P_REALM] = { "Realm", NULL, 6001,
	    MB_STRING, 1, K_ALLDIRS, MB_SYN_NONE, 0, 0, 0, NULL, NULL,
	    "the realm a password prompt names (default: the host name)", 0 },
	[MB_P_AUTHUSERS] = { "AuthUsers", NULL, 57356,
	    MB_MULTISZ, 1, K_ALLDIRS, MB_SYN_AUTHUSER, 0, 0, 0, NULL, NULL,
	    "\"name:hash\" users of Basic authentication (mbctl user add)",
	    MB_PF_SECRET },
	[MB_P_AUTHBASICOVERHTTP] = { "AuthBasicOverHTTP", NULL, 57357,
	    MB_BOOL, 1, K_ALLDIRS, MB_SYN_NONE, 0, 1, 0, NULL, NULL,
	    "allow Basic authentication over plain HTTP, where passwords travel in clear", 0 },
	[MB_P_DOSTATICCOMPRESSION] = { "DoStaticCompression", NULL, 57358,
	    MB_BOOL, 1, K_ALLDIRS, MB_SYN_NONE, 0, 1, 0, NULL, NULL,
	    "send files of HcFileExtensions gzip-compressed to clients that accept it", 0 },
	[MB_P_HCFILEEXTENSIONS] = { "HcFileExtensions", NULL, 57359,
	    MB_MULTISZ, 1, K_ALLDIRS, MB_SYN_EXT, 0, 0, 0, NULL, NULL,
	    "extensions compressed (empty: htm html txt css js mjs json xml svg)", 0 },
	[MB_P_MAXHISTORYENTRIES] = { "MaxHistoryEntries", NULL, 57360,
	    MB_DWORD, 0, MB_KIND_ROOT, MB_SYN_NONE, 1, MB_HIST_MAXKEEP,
	    MB_HIST_DEFAULT, NULL, NULL,
	    "history entries kept; each change beyond prunes the oldest", MB_PF_HOSTLOCAL },
};

const struct mb_prop *
mb_prop_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < MB_NPROPS; i++)
		if (strcasecmp(name, mb_schema[i].name) == 0 ||
		    (mb_schema[i].alias != NULL &&
		    strcasecmp(name, mb_schema[i].alias) == 0))
			return &mb_schema[i];
	return NULL;
}

int
mb_pid_of(uint32_t id)
{
	int	 i;

	for (i = 0; i < MB_NPROPS; i++)
		if (mb_schema[i].id == id)
			return i;
	return -1;
}

static int
is_tchar(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* A program's own rule for strings, beyond the schema's (mb_set_check). */
static mb_check_fn *program_check;

void
mb_set_check(mb_check_fn *fn)
{
	program_check = fn;
}

static int
check_header(const char *s, char *err, size_t errlen)
{
	const char	*colon, *v;
	size_t		 i, n;

	if ((colon = strchr(s, ':')) == NULL || colon == s) {
		snprintf(err, errlen, "invalid header '%s': expected 'Name: value'", s);
		return -1;
	}
	n = colon - s;
	for (i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i])) {
			snprintf(err, errlen, "invalid header '%s': bad character in name", s);
			return -1;
		}
	for (v = colon + 1; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 ? *v != '\t' : *v == 0x7f) {
			snprintf(err, errlen, "invalid header '%s': control character in value", s);
			return -1;
		}
	return 0;
}

static int
check_mime(const char *s, char *err, size_t errlen)
{
	const char	*comma, *p;
	int		 slash = 0;

	comma = strchr(s, ',');
	if (comma == NULL || comma == s ||
	    (s[0] != '.' && !(s[0] == '*' && comma == s + 1)) ||
	    (s[0] == '.' && comma == s + 1)) {
		snprintf(err, errlen, "invalid MIME mapping '%s': expected '.ext,type/subtype'", s);
		return -1;
	}
	for (p = s + 1; p < comma; p++)
		if (!isgraph((unsigned char)*p) || *p == '/' || *p == '.') {
			snprintf(err, errlen, "invalid MIME mapping '%s': bad extension", s);
			return -1;
		}
	for (p = comma + 1; *p != '\0' && *p != ';'; p++) {
		if (*p == '/' && !slash && p > comma + 1 && is_tchar(
		    (unsigned char)p[1])) {
			slash = 1;
			continue;
		}
		if (!is_tchar((unsigned char)*p))
			break;
	}
	if (!slash || (*p != '\0' && *p != ';')) {
		snprintf(err, errlen, "invalid MIME mapping '%s': bad type", s);
		return -1;
	}
	for (; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "invalid MIME mapping '%s': control character", s);
			return -1;
		}
	return 0;
}

static int
check_doclist(const char *s, char *err, size_t errlen)
{
	const char	*p, *start = s;

	for (p = s;; p++) {
		if (*p == ',' || *p == '\0') {
			if (p == start) {
				snprintf(err, errlen, "invalid DefaultDoc '%s': empty document name", s);
				return -1;
			}
			if (*p == '\0')
				return 0;
			start = p + 1;
		} else if (*p == '/' || (unsigned char)*p < 0x20 ||
		    *p == 0x7f || *p == ' ') {
			snprintf(err, errlen, "invalid DefaultDoc '%s': names are plain file names, comma separated", s);
			return -1;
		}
	}
}

/* Whether two valid bindings name the same IP, port and host. */
static int
same_binding(const char *a, const char *b)
{
	struct mb_binding x, y;

	return mb_binding_parse(a, &x) == 0 && mb_binding_parse(b, &y) == 0 &&
	    x.port == y.port && strcmp(x.ip, y.ip) == 0 &&
	    strcmp(x.host, y.host) == 0;
}

static int
check_syntax(const struct mb_prop *p, const char *s, char *err,
    size_t errlen)
{
	struct mb_binding b;

	switch (p->syntax) {
	case MB_SYN_BINDING:
		return mb_binding_parse_err(s, &b, err, errlen) != 0 ? -1 : 0;
	case MB_SYN_HEADER:
		return check_header(s, err, errlen);
	case MB_SYN_MIME:
		return check_mime(s, err, errlen);
	case MB_SYN_DOCLIST:
		return check_doclist(s, err, errlen);
	case MB_SYN_REDIRECT: {
		struct mb_redirect r;

		return mb_redirect_parse(s, &r, err, errlen) != 0 ? -1 : 0;
	}
	case MB_SYN_EXPIRES: {
		struct mb_expires x;

		return mb_expires_parse(s, &x, err, errlen) != 0 ? -1 : 0;
	}
	case MB_SYN_HTTPERROR: {
		struct mb_httperror h;

		return mb_httperror_parse(s, &h, err, errlen) != 0 ? -1 : 0;
	}
	case MB_SYN_IPSEC:
		return mb_ipsec_check(s, err, errlen) != 0 ? -1 : 0;
	case MB_SYN_EXT: {
		const char *q;

		for (q = s; *q != '\0'; q++)
			if (!isalnum((unsigned char)*q) && *q != '-' &&
			    *q != '_')
				break;
		if (*q != '\0') {
			snprintf(err, errlen, "invalid %s entry '%s': an extension without its dot, as html", p->name, s);
			return -1;
		}
		return 0;
	}
	case MB_SYN_AUTHUSER: {
		const char *c = strchr(s, ':');

		if (c == NULL || c == s || c[1] != '$' || strchr(c + 1, ':') ||
		    strpbrk(s, " \t") != NULL) {
			snprintf(err, errlen, "invalid AuthUsers entry: expected 'name:hash' as mbctl user add writes it");
			return -1;
		}
		return 0;
	}
	case MB_SYN_ABSPATH:
		if (s[0] != '/') {
			snprintf(err, errlen, "invalid %s '%s': expected an absolute path", p->name, s);
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

/* The schema's syntax, then the program's rule if it gave one. */
static int
check_string(const struct mb_prop *p, const char *s, char *err,
    size_t errlen)
{
	if (check_syntax(p, s, err, errlen) != 0)
		return -1;
	return program_check != NULL ? program_check(p, s, err, errlen) : 0;
}

int
mb_value_check(const struct mb_prop *p, const struct mb_value *v, char *err,
    size_t errlen)
{
	const char	*s, *t;

	switch (p->type) {
	case MB_BOOL:
		if (v->dword > 1)
			goto range;
		return 0;
	case MB_DWORD:
		if (p->syntax == MB_SYN_STATE && v->dword != MB_STATE_STARTED &&
		    v->dword != MB_STATE_STOPPED) {
			snprintf(err, errlen, "invalid ServerState %" PRIu32 ": expected 2 (started) or 4 (stopped)", v->dword);
			return MB_BADVALUE;
		}
		if (v->dword < p->min || v->dword > p->max)
			goto range;
		return 0;
	case MB_STRING:
		if (v->str == NULL || v->len > MB_MAXVALUE ||
		    strlen(v->str) != v->len) {
			snprintf(err, errlen, "invalid value for %s: not a string", p->name);
			return MB_BADVALUE;
		}
		if (v->len == 0 && p->syntax != MB_SYN_NONE) {
			snprintf(err, errlen, "invalid value for %s: empty", p->name);
			return MB_BADVALUE;
		}
		if (v->len > 0 && check_string(p, v->str, err, errlen) != 0)
			return MB_BADVALUE;
		return 0;
	case MB_MULTISZ:
		if (p->syntax == MB_SYN_HEADER && v->len > MB_MAXCUSTOMHEADERS) {
			snprintf(err, errlen, "%s too long: %zu bytes, at most %d", p->name, v->len, MB_MAXCUSTOMHEADERS);
			return MB_BADVALUE;
		}
		if (v->len > MB_MAXVALUE ||
		    (v->len > 0 && (v->str == NULL || v->str[v->len - 1]))) {
			snprintf(err, errlen, "invalid value for %s: not a list of strings", p->name);
			return MB_BADVALUE;
		}
		MB_MULTISZ_FOREACH(s, v) {
			if (*s == '\0') {
				snprintf(err, errlen, "invalid value for %s: empty string in list", p->name);
				return MB_BADVALUE;
			}
			if (check_string(p, s, err, errlen) != 0)
				return MB_BADVALUE;
			/* A list naming one binding twice is a typo. */
			if (p->syntax != MB_SYN_BINDING)
				continue;
			MB_MULTISZ_FOREACH(t, v) {
				if (t == s)
					break;
				if (same_binding(s, t)) {
					snprintf(err, errlen, "binding '%s' is listed twice", s);
					return MB_BADVALUE;
				}
			}
		}
		return 0;
	}
	snprintf(err, errlen, "invalid type for %s", p->name);
	return MB_BADVALUE;

 range:
	if (p->type == MB_BOOL)
		snprintf(err, errlen, "invalid value %" PRIu32 " for %s: expected TRUE or FALSE", v->dword, p->name);
	else
		snprintf(err, errlen, "invalid value %" PRIu32 " for %s: expected %" PRIu32 " to %" PRIu32, v->dword, p->name, p->min, p->max);
	return MB_BADVALUE;
}

int
mb_value_format(const struct mb_prop *p, const struct mb_value *v, char *buf,
    size_t len)
{
	const char	*s;
	size_t		 n = 0;
	int		 r;

	switch (p->type) {
	case MB_BOOL:
		return snprintf(buf, len, "%s", v->dword ? "TRUE" : "FALSE");
	case MB_DWORD:
		return snprintf(buf, len, "%" PRIu32, v->dword);
	case MB_STRING:
		return snprintf(buf, len, "%s", v->str ? v->str : "");
	case MB_MULTISZ:
		if (len > 0)
			buf[0] = '\0';
		MB_MULTISZ_FOREACH(s, v) {
			/* Not buf + n past the end: buf may be NULL, as
			 * snprintf(NULL, 0, ...) allows, and NULL + 0 is
			 * undefined. */
			r = snprintf(n < len ? buf + n : NULL,
			    n < len ? len - n : 0, "%s%s", n ? "\n" : "", s);
			n += r;
		}
		return (int)n;
	}
	return 0;
}

/* Parse a DWORD as typed: decimal, 0x hex, or named bits joined by '|'. */
static int
parse_dword(const struct mb_prop *p, const char *s, uint32_t *out)
{
	const struct mb_flagname *f;
	unsigned long long	 n;
	const char		*tok;
	char			*end;
	size_t			 len;
	uint32_t		 bits = 0;

	if (isdigit((unsigned char)s[0])) {
		/* Not base 0: "010" is ten to an administrator, not eight. */
		errno = 0;
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			/* Hex digits only: strtoull() would take "0x0x10". */
			if (s[2] == '\0' || s[2 + strspn(s + 2,
			    "0123456789abcdefABCDEF")] != '\0')
				return -1;
			n = strtoull(s + 2, &end, 16);
		} else
			n = strtoull(s, &end, 10);
		if (errno != 0 || *end != '\0' || n > UINT32_MAX)
			return -1;
		*out = (uint32_t)n;
		return 0;
	}
	if (p->syntax == MB_SYN_STATE) {
		if (strcasecmp(s, "started") == 0)
			*out = MB_STATE_STARTED;
		else if (strcasecmp(s, "stopped") == 0)
			*out = MB_STATE_STOPPED;
		else
			return -1;
		return 0;
	}
	if (p->flags == NULL || s[0] == '\0' || s[strlen(s) - 1] == '|')
		return -1;
	for (tok = s; *tok != '\0'; tok += len + (tok[len] == '|')) {
		len = strcspn(tok, "|");
		for (f = p->flags; f->name != NULL; f++)
			if (strlen(f->name) == len &&
			    strncasecmp(tok, f->name, len) == 0)
				break;
		if (f->name == NULL)
			return -1;
		bits |= f->bit;
	}
	*out = bits;
	return 0;
}

int
mb_multisz_add(struct mb_value *v, const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p;

	if ((p = realloc((char *)v->str, v->len + n)) == NULL)
		return ENOMEM;
	memcpy(p + v->len, s, n);
	v->str = p;
	v->len += n;
	return 0;
}

int
mb_prop_set_text(struct mb *mb, const char *path, const struct mb_prop *p,
    int argc, char *const argv[])
{
	struct mb_value	 v;
	size_t		 n = 0;
	int		 i, rc;

	memset(&v, 0, sizeof(v));
	switch (p->type) {
	case MB_BOOL:
		if (argc != 1)
			goto onevalue;
		if (strcasecmp(argv[0], "TRUE") == 0 ||
		    strcmp(argv[0], "1") == 0)
			v.dword = 1;
		else if (strcasecmp(argv[0], "FALSE") == 0 ||
		    strcmp(argv[0], "0") == 0)
			v.dword = 0;
		else
			return mb_seterr(mb, MB_BADVALUE, "invalid value '%s' for %s: expected TRUE, FALSE, 1 or 0", argv[0], p->name);
		break;
	case MB_DWORD:
		if (argc != 1)
			goto onevalue;
		if (parse_dword(p, argv[0], &v.dword) != 0) {
			if (p->flags != NULL)
				return mb_seterr(mb, MB_BADVALUE, "invalid value '%s' for %s: expected a number or flag names joined by '|'", argv[0], p->name);
			if (p->syntax == MB_SYN_STATE)
				return mb_seterr(mb, MB_BADVALUE, "invalid value '%s' for %s: expected 2 (started) or 4 (stopped)", argv[0], p->name);
			return mb_seterr(mb, MB_BADVALUE, "invalid value '%s' for %s: expected a number from %" PRIu32 " to %" PRIu32, argv[0], p->name, p->min, p->max);
		}
		break;
	case MB_STRING:
		if (argc != 1)
			goto onevalue;
		v.str = argv[0];
		v.len = strlen(argv[0]);
		break;
	case MB_MULTISZ:
		for (i = 0; i < argc; i++)
			n += strlen(argv[i]) + 1;
		if (n > MB_MAXVALUE)
			return mb_seterr(mb, MB_BADVALUE, "value of %s too long", p->name);
		for (i = 0; i < argc; i++)
			if (mb_multisz_add(&v, argv[i]) != 0) {
				free((char *)v.str);
				return ENOMEM;
			}
		break;
	}
	rc = mb_prop_set(mb, path, p, &v);
	if (p->type == MB_MULTISZ)
		free((char *)v.str);
	return rc;

 onevalue:
	return mb_seterr(mb, MB_BADVALUE, "%s takes exactly one value", p->name);
}
