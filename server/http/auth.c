/*
 * auth.c - Basic credentials.
 */
#include <string.h>
#include <strings.h>

#include "server/http/auth.h"

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
auth_basic_parse(const char *v, size_t len, char *user, char *pass)
{
	char		 dec[AUTH_MAXUSER + AUTH_MAXPASS + 2];
	const char	*p = v, *end = v + len, *colon;
	size_t		 n = 0, pad = 0, ulen;
	unsigned	 acc = 0;
	int		 bits = 0, d;

	if (len < 6 || strncasecmp(p, "Basic", 5) != 0 || (p[5] != ' ' &&
	    p[5] != '\t'))
		return -1;
	for (p += 5; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p == end || (end - p) % 4 != 0)
		return -1;
	for (; p < end; p++) {
		if (*p == '=') {
			/* Only at the end, at most two. */
			if (++pad > 2 || (end - p) > 2 ||
			    (p + 1 < end && p[1] != '='))
				return -1;
			continue;
		}
		if (pad > 0 || (d = b64val((unsigned char)*p)) < 0)
			return -1;
		acc = acc << 6 | (unsigned)d;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (n == sizeof(dec))
				return -1;
			dec[n++] = (char)(acc >> bits & 0xff);
		}
	}
	if (memchr(dec, '\0', n) != NULL ||
	    (colon = memchr(dec, ':', n)) == NULL)
		return -1;
	ulen = (size_t)(colon - dec);
	if (ulen > AUTH_MAXUSER || n - ulen - 1 > AUTH_MAXPASS)
		return -1;
	memcpy(user, dec, ulen);
	user[ulen] = '\0';
	memcpy(pass, colon + 1, n - ulen - 1);
	pass[n - ulen - 1] = '\0';
	return 0;
}
