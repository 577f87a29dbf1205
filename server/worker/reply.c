/*
 * reply.c - building a response's head and body source, and sending it.
 */
/* MSG_MORE is Linux's. */
#define _GNU_SOURCE
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/core/log.h"
#include "server/http/http_parse.h"
#include "server/http/keepalive.h"
#include "server/http/response.h"
#include "server/worker/conn.h"
#include "server/worker/errpage.h"
#include "server/worker/reply.h"
#include "server/worker/settings.h"

/* Append a string literal to a response head. */
#define RAW_LIT(r, lit)	resp_raw((r), (lit), sizeof(lit) - 1)

size_t
scratch_reserve(struct scratch *x, size_t need)
{
	char	*p;
	size_t	 cap;

	if (need <= x->cap)
		return x->cap;
	cap = x->cap ? x->cap : 16384;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(x->buf, cap)) == NULL)
		return x->cap;
	x->buf = p;
	x->cap = cap;
	return x->cap;
}

void
reply_init(struct reply *rp, char *buf, size_t cap, struct scratch *x)
{
	memset(rp, 0, sizeof(*rp));
	rp->r.buf = buf;
	rp->r.cap = cap;
	rp->x = x;
	rp->fd = -1;
}

void
reply_head(struct reply *rp, int status)
{
	rp->status = status;
	rp->next = KA_CLOSE;
	rp->body = NULL;
	rp->blen = 0;
	rp->off = rp->count = 0;
	resp_begin(&rp->r, rp->r.buf, rp->r.cap, status);
}

/*
 * A head that did not fit the response buffer (custom headers too big for
 * it): a bare 500 instead, and close.
 */
static void
overflow(struct reply *rp)
{
	log_warnx("response head does not fit in %zu bytes", rp->r.cap);
	reply_discard(rp);
	rp->body = NULL;
	rp->blen = 0;
	rp->count = 0;
	reply_head(rp, 500);
	rp->next = KA_LINGER;
	RAW_LIT(&rp->r, "Content-Length: 0\r\nConnection: close\r\n\r\n");
}

int
reply_end_head(struct reply *rp, const struct reply_ctx *ctx)
{
	const struct hp_request *req = ctx->req;
	struct ka_input	 in;
	enum ka_token	 tok;
	const char	*line;

	memset(&in, 0, sizeof(in));
	if (req != NULL) {
		in.minor = req->minor;
		in.req_close = req->conn_close;
		in.req_keepalive = req->conn_keepalive;
	} else {
		/* No request we could read: say close, and close. */
		in.minor = 1;
		in.req_close = 1;
	}
	in.allow = ctx->set->allow;
	in.legacy = ctx->set->legacy;
	in.max_requests = ctx->set->max_requests;
	in.nrequests = ctx->nreq;
	in.delimited = 1;	/* every reply has a Content-Length */
	in.body_read = ctx->body_read;
	in.stopping = ctx->close || ctx->stopping;
	in.pool_busy = ctx->pool_busy;
	rp->next = ka_decide(&in, &tok);
	line = ka_token_line(tok);
	resp_raw(&rp->r, line, strlen(line));
	RAW_LIT(&rp->r, "\r\n");
	if (!rp->r.overflow)
		return 0;
	overflow(rp);
	return -1;
}

void
reply_mem(struct reply *rp, const struct reply_ctx *ctx, int status,
    const char *ctype, const char *body, size_t blen, const char *extra,
    size_t extralen, const struct mb_value *custom)
{
	struct resp	*r = &rp->r;

	reply_head(rp, status);
	if (ctype != NULL)
		resp_header(r, "Content-Type", ctype, strlen(ctype));
	resp_header_num(r, "Content-Length", (long long)blen);
	if (extra != NULL)
		resp_raw(r, extra, extralen);
	if (custom != NULL && custom->len > 0)
		resp_custom_headers(r, custom->str, custom->len);
	if (reply_end_head(rp, ctx) == -1)
		return;
	if (ctx->req != NULL && ctx->req->meth == HP_M_HEAD)
		blen = 0;
	if (blen > 0 && blen <= r->cap - r->len) {
		memcpy(r->buf + r->len, body, blen);
		r->len += blen;
		blen = 0;
	}
	rp->body = body;
	rp->blen = blen;
}

size_t
reply_error_page(struct reply *rp, int status, const char *detail)
{
	if (scratch_reserve(rp->x, 2048) < 2048)
		return 0;
	return resp_error_page(status, detail, rp->x->buf, rp->x->cap);
}

void
reply_error(struct reply *rp, const struct reply_ctx *ctx, int status,
    const char *detail, const struct mb_value *custom)
{
	const char	*ctype;
	char		 type[160];
	size_t		 n, ctlen;

	if (errpage_find(ctx->errs, status, ctx->sub, rp->x, &n, &ctype,
	    &ctlen) == 0) {
		ctlen = resp_content_type(ctype, ctlen, type, sizeof(type));
		reply_mem(rp, ctx, status, type, rp->x->buf, n,
		    status == 405 ? REPLY_ALLOW_LINE : NULL,
		    status == 405 ? sizeof(REPLY_ALLOW_LINE) - 1 : 0, custom);
		return;
	}
	n = reply_error_page(rp, status, detail);
	reply_mem(rp, ctx, status, "text/html; charset=utf-8", rp->x->buf, n,
	    status == 405 ? REPLY_ALLOW_LINE : NULL,
	    status == 405 ? sizeof(REPLY_ALLOW_LINE) - 1 : 0, custom);
}

void
reply_discard(struct reply *rp)
{
	if (rp->fd != -1) {
		close(rp->fd);
		rp->fd = -1;
	}
}

long long
reply_send(struct reply *rp, struct conn *c)
{
	long long	 sent;
	int		 more = rp->blen > 0 || rp->count > 0;

	sent = conn_send(c, rp->r.buf, rp->r.len, more);
	if (!c->broken && rp->blen > 0)
		sent += conn_send(c, rp->body, rp->blen, 0);
	if (!c->broken && rp->count > 0)
		sent += conn_sendfile(c, rp->fd, rp->off, rp->count);
	rp->sent_ok = !c->broken;
	reply_discard(rp);
	return sent;
}
