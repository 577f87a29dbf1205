/*
 * fields.c - the response header fields the server owns (fields.h).
 */
#include <string.h>
#include <strings.h>

#include "server/http/fields.h"

static const char *const owned[] = {
	"Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive",
	"Upgrade", "TE", "Trailer", "Date", "Server", "Content-Range", NULL
};

int
http_field_owned(const char *name, size_t len)
{
	int	 i;

	for (i = 0; owned[i] != NULL; i++)
		if (strlen(owned[i]) == len &&
		    strncasecmp(name, owned[i], len) == 0)
			return 1;
	return 0;
}
