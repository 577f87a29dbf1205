/*
 * keepalive.c - the keep-alive policy.
 */
#include "server/http/keepalive.h"

enum ka_next
ka_decide(const struct ka_input *in, enum ka_token *token)
{
	int	wants, enabled, keep;

	if (in->minor >= 1)
		wants = !in->req_close;
	else
		wants = in->req_keepalive && !in->req_close;
	/* LegacyKeepAlives: IIS 4.0 kept HTTP/1.1 open regardless. */
	enabled = in->allow || (in->legacy && in->minor >= 1);
	keep = wants && enabled &&
	    (in->max_requests == 0 || in->nrequests < in->max_requests) &&
	    in->delimited && in->body_read && !in->stopping && !in->pool_busy;

	if (keep)
		*token = in->minor >= 1 ? KA_TOKEN_NONE : KA_TOKEN_KEEPALIVE;
	else if (in->minor >= 1 || in->req_keepalive)
		*token = KA_TOKEN_CLOSE;
	else
		*token = KA_TOKEN_NONE;
	if (keep)
		return KA_KEEP;
	return wants || !in->body_read ? KA_LINGER : KA_CLOSE;
}

const char *
ka_token_line(enum ka_token token)
{
	switch (token) {
	case KA_TOKEN_CLOSE:
		return "Connection: close\r\n";
	case KA_TOKEN_KEEPALIVE:
		return "Connection: keep-alive\r\n";
	case KA_TOKEN_NONE:
		break;
	}
	return "";
}
