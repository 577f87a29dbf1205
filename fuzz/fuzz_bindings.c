/*
 * fuzz_bindings.c - the ServerBindings syntax, "IP:Port:HostHeader".
 *
 * The input is one binding as an administrator types it.  A binding that
 * parses has a port in 1..65535, an address that inet_pton() takes and
 * inet_ntop() writes back unchanged, and a lower-case host name; written
 * out again in the canonical form it parses to itself.  The input is also
 * checked as a ServerBindings list, one binding a line, through the
 * schema, which must agree with the parser on every line.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metabase.h"
#include "fuzz/fuzz.h"

static void
check_one(const char *s)
{
	struct mb_binding b, again;
	unsigned char	 addr[16];
	char		 text[sizeof(b.ip) + 8 + sizeof(b.host)], ip[64];
	size_t		 i;
	int		 v6;

	if (mb_binding_parse(s, &b) != 0)
		return;
	FUZZ_ASSERT(b.port >= 1 && b.port <= 65535);
	FUZZ_ASSERT(memchr(b.ip, '\0', sizeof(b.ip)) != NULL);
	FUZZ_ASSERT(memchr(b.host, '\0', sizeof(b.host)) != NULL);
	FUZZ_ASSERT(strlen(b.host) <= 253);
	for (i = 0; b.host[i] != '\0'; i++)
		FUZZ_ASSERT(!isupper((unsigned char)b.host[i]) &&
		    b.host[i] != ':' && (unsigned char)b.host[i] > 0x20 &&
		    (unsigned char)b.host[i] < 0x7f);
	v6 = strchr(b.ip, ':') != NULL;
	if (b.ip[0] != '\0') {
		int	af = v6 ? AF_INET6 : AF_INET;

		FUZZ_ASSERT(inet_pton(af, b.ip, addr) == 1);
		FUZZ_ASSERT(inet_ntop(af, addr, ip, sizeof(ip)) != NULL);
		FUZZ_ASSERT(strcmp(ip, b.ip) == 0);
	}
	snprintf(text, sizeof(text), v6 ? "[%s]:%u:%s" : "%s:%u:%s", b.ip,
	    b.port, b.host);
	FUZZ_ASSERT(mb_binding_parse(text, &again) == 0);
	FUZZ_ASSERT(strcmp(again.ip, b.ip) == 0 && again.port == b.port &&
	    strcmp(again.host, b.host) == 0);
}

/* The lines of s as a MULTISZ value, checked by the schema. */
static void
check_list(char *s, size_t len)
{
	const struct mb_prop *p = &mb_schema[MB_P_SERVERBINDINGS];
	struct mb_value	 v;
	struct mb_binding b;
	char		 err[512], *line;
	size_t		 i;
	int		 rc, each = 0, empty = 0;

	for (i = 0; i < len; i++)
		if (s[i] == '\n')
			s[i] = '\0';
	memset(&v, 0, sizeof(v));
	v.str = s;
	v.len = len + 1;
	rc = mb_value_check(p, &v, err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == MB_BADVALUE);
	for (line = s; line < s + len + 1; line += strlen(line) + 1) {
		if (line[0] == '\0')
			empty = 1;
		else if (mb_binding_parse(line, &b) != 0)
			each = 1;
	}
	/* A bad line, or an empty one, fails the list. */
	if (each || empty)
		FUZZ_ASSERT(rc == MB_BADVALUE);
	if (rc == MB_BADVALUE)
		FUZZ_ASSERT(err[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, *line, *nl;

	if ((s = fuzz_cstring(data, size)) == NULL)
		return 0;
	for (line = s;; line = nl + 1) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		check_one(line);
		if (nl == NULL)
			break;
		*nl = '\n';
	}
	check_list(s, size);
	free(s);
	return 0;
}
