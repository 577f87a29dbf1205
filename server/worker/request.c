/*
 * request.c - a request's lifecycle: snapshot, site, checks, reply, send.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "metabase.h"
#include "server/core/log.h"
#include "server/core/proc.h"
#include "server/core/scoreboard.h"
#include "server/http/http_parse.h"
#include "server/http/response.h"
#include "server/http/uri.h"
#include "server/limits.h"
#include "server/tls/tls.h"
#include "server/worker/accesslog.h"
#include "server/worker/conn.h"
#include "server/worker/authcheck.h"
#include "server/worker/content.h"
#include "server/worker/redirect.h"
#include "server/worker/reply.h"
#include "server/worker/request.h"
#include "server/worker/settings.h"
#include "server/worker/vhost.h"
#include "server/worker/worker.h"

/* skip_body(): a 408 after which the connection closes at once. */
#define SLOW_CLIENT	(-408)

#define STR_(x)		#x
#define STR(x)		STR_(x)
/* The 503 of a client with too many connections. */
#define RETRY_AFTER_LINE "Retry-After: " STR(WORKER_PER_CLIENT_RETRY) "\r\n"

void
request_init(struct request *rq, const struct worker *w, unsigned nreq,
    const struct timespec *start)
{
	memset(rq, 0, sizeof(*rq));
	rq->start = *start;
	rq->nreq = nreq;
	rq->set = w->svc;
	rq->next = KA_CLOSE;
}

/*
 * The service's settings, read again when the snapshot open in w->mb is
 * not the one they came from: one lookup per metabase change, not per
 * request.
 */
static void
refresh_svc(struct worker *w)
{
	uint64_t	 id = mb_txnid(w->mb);

	if (id == w->svc_txnid)
		return;
	if (settings_lookup(w->mb, 0, &w->svc) == 0)
		w->svc_txnid = id;
}

/* What the keep-alive policy needs of rq, now. */
static void
ctx_fill(struct reply_ctx *ctx, const struct worker *w,
    const struct request *rq)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->req = rq->req;
	ctx->set = &rq->set;
	ctx->nreq = rq->nreq;
	ctx->body_read = rq->body_read;
	ctx->stopping = worker_conn_ending(w) ||
	    sb_retiring(w->sb, w->slot, 1);
	ctx->pool_busy = rq->pool_busy;
}

/* Send rp on c, note in rq what went out and what comes next, and count
 * it for the site. */
static void
send_reply(struct worker *w, struct reply *rp, struct conn *c,
    struct request *rq)
{
	sb_set_state(w->sb, w->slot, SB_WRITE, sb_slot_site(w->sb, w->slot));
	rq->status = rp->status;
	rq->next = rp->next;
	rq->sent = reply_send(rp, c);
	if (c->broken)
		rq->next = KA_CLOSE;
	sb_count(w->sb, rq->site, rq->status, (uint64_t)rq->sent);
}

/* The request line at the head of req, for the status view. */
static void
show_line(struct worker *w, const struct hp_request *req, const char *end)
{
	const char	*p = req->method, *e;
	size_t		 n = (size_t)(end - p) < SB_LINE ? (size_t)(end - p) :
			    SB_LINE;

	if ((e = memchr(p, '\r', n)) != NULL)
		n = (size_t)(e - p);
	sb_set_line(w->sb, w->slot, p, n);
}

/*
 * Read and drop the request body, up to limit bytes, keeping what follows
 * it (the next request) in the read buffer.  The head stays where it is,
 * below c->floor: the body only ever takes the room after it.  Returns 0,
 * or the status to answer: 413 too large, 408 too slow (timeout_ms since
 * t0), 400 malformed or cut short; or SLOW_CLIENT, dropped while others
 * wait (worker_read()).
 */
static int
skip_body(struct worker *w, struct conn *c, const struct hp_request *req,
    uint64_t limit, const struct timespec *t0, uint64_t timeout_ms,
    size_t *taken)
{
	struct hp_chunked st;
	size_t		 used, avail;
	uint64_t	 left;
	ssize_t		 got;
	int		 status, rc;

	*taken = 0;
	if (!req->chunked && (uint64_t)req->content_length > limit)
		return 413;
	if (req->chunked)
		hp_chunked_init(&st);
	left = req->chunked ? 0 : (uint64_t)req->content_length;
	for (;;) {
		avail = c->rend - c->rstart;
		if (req->chunked) {
			rc = hp_decode_chunked(&st, c->rbuf + c->rstart, avail,
			    &used, &status);
			if (rc == HP_ERROR)
				return status;
			if (st.body_len > limit)
				return 413;
			if (rc == 0) {
				c->rstart += used;
				*taken += used;
				return 0;
			}
		} else if (avail >= left) {
			c->rstart += left;
			*taken += left;
			return 0;
		} else
			left -= avail;
		*taken += avail;
		c->rstart = c->rend = c->floor;
		if ((got = worker_read(w, c, t0, timeout_ms)) <= 0) {
			if (got == -1 && errno == ECONNABORTED)
				return SLOW_CLIENT;
			return got == -1 && errno == ETIMEDOUT ? 408 : 400;
		}
	}
}

/* The length of "/LM/W3SVC/<id>/ROOT", where the URL path begins in
 * vh->key. */
static size_t
site_root_len(const struct vhost *vh)
{
	const char	*p = strstr(vh->key + 10, "/ROOT");

	return p != NULL ? (size_t)(p - vh->key) + 5 : 0;
}

/*
 * The site's settings that shape every reply of the request: its error
 * pages (HttpErrors) and its caching lines (HttpExpires).
 */
static void
site_directives(struct worker *w, struct request *rq, struct reply_ctx *ctx)
{
	const struct mb_props *p = &w->vh.props;
	struct mb_expires x;
	char		 err[8], date[32];
	int		 n = 0;

	if (p->v[MB_P_HTTPERRORS].len > 0) {
		rq->errs.mb = w->mb;
		rq->errs.site = w->vh.site;
		rq->errs.errors = &p->v[MB_P_HTTPERRORS];
		rq->errs.mimemap = &p->v[MB_P_MIMEMAP];
		ctx->errs = &rq->errs;
	}
	if (p->v[MB_P_HTTPEXPIRES].len == 0 ||
	    mb_expires_parse(p->v[MB_P_HTTPEXPIRES].str, &x, err,
	    sizeof(err)) != 0 || x.kind == 0)
		return;
	if (x.kind == 'D' && x.secs == 0)
		n = snprintf(rq->expires, sizeof(rq->expires),
		    "Cache-Control: no-cache\r\n");
	else if (x.kind == 'D') {
		snprintf(date, sizeof(date), "%s",
		    resp_date(time(NULL) + (time_t)x.secs));
		n = snprintf(rq->expires, sizeof(rq->expires),
		    "Cache-Control: max-age=%lu\r\nExpires: %s\r\n",
		    (unsigned long)x.secs, date);
	} else
		n = snprintf(rq->expires, sizeof(rq->expires),
		    "Expires: %s\r\n", resp_date(x.at));
	if (n > 0 && (size_t)n < sizeof(rq->expires)) {
		ctx->expires = rq->expires;
		ctx->expireslen = (size_t)n;
	}
}

/*
 * Basic authentication of a folder: 1 after building the 401 or 403 that
 * answers, 0 to go on (the user, if any, in rq->user).
 */
static int
protected(struct worker *w, const struct conn *c, struct request *rq,
    struct reply *rp, struct reply_ctx *ctx)
{
	const struct mb_props *p = &w->vh.props;
	const struct hp_request *req = rq->req;
	const char	*realm = p->v[MB_P_REALM].str;
	char		 line[400];
	size_t		 n, i, rl;
	int		 len;

	switch (authcheck(p, req, c->tls != NULL, rq->user,
	    sizeof(rq->user))) {
	case AUTH_OPEN:
	case AUTH_OK:
		return 0;
	case AUTH_NEEDS_TLS:
		/* IIS's 403.4: SSL required. */
		rq->substatus = 4;
		ctx->sub = 4;
		reply_error(rp, ctx, 403, "This folder asks for a password, "
		    "which may be sent over HTTPS only.", NULL);
		return 1;
	case AUTH_ASK:
		break;
	}
	if (realm == NULL || realm[0] == '\0') {
		realm = req->host != NULL ? req->host : "mbhttpd";
		rl = req->host != NULL ? req->host_len : 7;
	} else
		rl = strlen(realm);
	if (rl > 200)
		rl = 200;
	len = snprintf(line, sizeof(line), "WWW-Authenticate: Basic realm=\"");
	n = (size_t)len;
	for (i = 0; i < rl; i++)
		line[n++] = realm[i] == '"' || realm[i] == '\\' ||
		    (unsigned char)realm[i] < 0x20 ? '_' : realm[i];
	n += (size_t)snprintf(line + n, sizeof(line) - n,
	    "\", charset=\"UTF-8\"\r\n");
	reply_mem(rp, ctx, 401, "text/html; charset=utf-8", rp->x->buf,
	    reply_error_page(rp, 401, "This folder asks for a user name and "
	    "password."), line, n, NULL);
	return 1;
}

/*
 * AccessSSL over plain HTTP: 301 to the same URL on https, at the port of
 * the site's first secure binding (none: 403, as IIS's 403.4).
 */
static void
https_redirect(struct worker *w, const struct conn *c, struct request *rq,
    struct reply *rp, struct reply_ctx *ctx)
{
	const struct hp_request *req = rq->req;
	struct mb_binding b;
	struct mb_value	 v;
	char		 key[40], loc[HP_MAXREQLINE * 3 + 400];
	size_t		 n, m;
	int		 len;

	snprintf(key, sizeof(key), "/LM/W3SVC/%lu", (unsigned long)rq->site);
	if (mb_prop_get(w->mb, key, &mb_schema[MB_P_SECUREBINDINGS], &v) != 0 ||
	    v.len == 0 || mb_binding_parse(v.str, &b) != 0) {
		reply_error(rp, ctx, 403, "This site must be reached over HTTPS, and has no secure binding.", NULL);
		return;
	}
	if (req->host_len > 0) {
		/* The Host, without its port. */
		for (m = req->host_len; m > 0 && req->host[m - 1] != ']' &&
		    req->host[m - 1] != ':'; m--)
			;
		if (m == 0 || req->host[m - 1] == ']')
			m = req->host_len;
		else
			m--;
		len = snprintf(loc, sizeof(loc), "Location: https://%.*s",
		    (int)m, req->host);
	} else
		len = snprintf(loc, sizeof(loc), strchr(c->lip, ':') ?
		    "Location: https://[%s]" : "Location: https://%s",
		    b.host[0] != '\0' ? b.host : c->lip);
	n = (size_t)len;
	if (b.port != 443)
		n += (size_t)snprintf(loc + n, sizeof(loc) - n, ":%u", b.port);
	if (uri_escape(rq->path, rq->plen, loc + n, sizeof(loc) - n - 8,
	    &m) != 0) {
		reply_error(rp, ctx, 414, NULL, NULL);
		return;
	}
	n += m;
	if (rq->qlen > 0 && n + rq->qlen + 4 < sizeof(loc)) {
		loc[n++] = '?';
		memcpy(loc + n, rq->query, rq->qlen);
		n += rq->qlen;
	}
	loc[n++] = '\r';
	loc[n++] = '\n';
	reply_mem(rp, ctx, 301, "text/html; charset=utf-8", rp->x->buf,
	    reply_error_page(rp, 301, NULL), loc, n, NULL);
}

/*
 * The checks and the answer of a request whose snapshot is open, once
 * its site is known (hrc 0) and its path resolved (rc 0), in the order
 * the RFCs and IIS give them.
 */
static void
answer(struct worker *w, const struct conn *c, struct request *rq,
    struct reply *rp, struct reply_ctx *ctx, int hrc, int rc)
{
	const struct hp_request *req = rq->req;
	struct vhost	*vh = &w->vh;
	const struct mb_value *custom = &vh->props.v[MB_P_HTTPCUSTOMHEADERS];
	struct content_req cr;
	struct resp_cond cond;
	size_t		 n;
	int		 st;

	/*
	 * MaxConnectionsPerClient of the site (the service's when it has
	 * none), at a connection's first request: its client's connections
	 * begun before it count.  Refused, it counts against none, and
	 * closes.
	 */
	if (rq->nreq == 1 && sb_client_full(w->sb, w->slot, c->cip,
	    rq->set.per_client)) {
		sb_client_refused(w->sb, w->slot);
		ctx->close = 1;
		n = reply_error_page(rp, 503, "Your address has too many connections open; try again later.");
		reply_mem(rp, ctx, 503, "text/html; charset=utf-8", rp->x->buf,
		    n, RETRY_AFTER_LINE, sizeof(RETRY_AFTER_LINE) - 1, NULL);
		return;
	}
	/* Too big to read, whatever the site (the service's limit when it
	 * has none). */
	if (!req->chunked && req->content_length > 0 &&
	    (uint64_t)req->content_length > rq->set.body_limit) {
		reply_error(rp, ctx, 413, NULL, NULL);
		return;
	}
	/* Over TLS, a host no secure binding of the port has is not this
	 * connection's to answer (RFC 9110 15.5.20). */
	if (hrc == MB_NOTFOUND && c->tls != NULL) {
		reply_error(rp, ctx, 421, "This connection cannot serve that host name.", NULL);
		return;
	}
	if (hrc != 0) {
		reply_error(rp, ctx, hrc == MB_NOTFOUND ? 400 : 503,
		    hrc == MB_NOTFOUND ? "Bad Request (Invalid Hostname)" :
		    NULL, NULL);
		return;
	}
	/* Over TLS, a site the certificate shown is not for (RFC 9110
	 * 15.5.20). */
	if (c->tls != NULL && !tls_serves(c, vh->site)) {
		reply_error(rp, ctx, 421, "This connection cannot serve that host name.", NULL);
		return;
	}
	sb_set_state(w->sb, w->slot, SB_READ, vh->site);
	if (req->expect_other) {
		reply_error(rp, ctx, 417, NULL, NULL);
		return;
	}
	if (vh->state != MB_STATE_STARTED || (rc == 0 && sb_site_full(w->sb,
	    w->slot, vh->site, vh->props.v[MB_P_MAXCONNECTIONS].dword))) {
		/* Refused: the connection does not count for the site, and
		 * it closes, so that it holds no place either. */
		sb_set_state(w->sb, w->slot, SB_READ, 0);
		ctx->close = 1;
		reply_error(rp, ctx, 503, vh->state != MB_STATE_STARTED ?
		    "This site is stopped." :
		    "This site has too many connections; try again later.",
		    NULL);
		return;
	}
	/* IPSecurity, before anything of the site is touched (IIS's
	 * 403.6). */
	if (rc == 0 && !mb_ipsec_allows(&vh->props.v[MB_P_IPSECURITY],
	    c->cip)) {
		rq->substatus = 6;
		ctx->sub = 6;
		reply_error(rp, ctx, 403, "Your address may not reach this "
		    "resource.", NULL);
		return;
	}
	if (c->tls == NULL && rc == 0 &&
	    (vh->props.v[MB_P_ACCESSFLAGS].dword & MB_ACCESS_SSL)) {
		https_redirect(w, c, rq, rp, ctx);
		return;
	}
	if (rc == 0 && protected(w, c, rq, rp, ctx))
		return;
	if (rc == 0 && vh->props.v[MB_P_HTTPREDIRECT].len > 0 &&
	    (n = redirect_location(&vh->props.v[MB_P_HTTPREDIRECT],
	    site_root_len(vh), rq->path, rq->plen, rq->query, rq->qlen,
	    w->scratch_loc, sizeof(w->scratch_loc), &st)) > 0) {
		reply_mem(rp, ctx, st, "text/html; charset=utf-8", rp->x->buf,
		    reply_error_page(rp, st, NULL), w->scratch_loc, n, custom);
		return;
	}
	if (req->meth == HP_M_OTHER) {
		reply_error(rp, ctx, 501, NULL, NULL);
		return;
	}
	if (req->meth != HP_M_GET && req->meth != HP_M_HEAD &&
	    req->meth != HP_M_OPTIONS) {
		reply_error(rp, ctx, 405, NULL, rc == 0 ? custom : NULL);
		return;
	}
	if (req->form == HP_TF_ASTERISK) {
		reply_mem(rp, ctx, 200, NULL, "", 0, REPLY_ALLOW_LINE,
		    sizeof(REPLY_ALLOW_LINE) - 1, NULL);
		return;
	}
	if (rc < 0 && rc >= URI_ETOOLONG) {
		reply_error(rp, ctx, 400, NULL, NULL);
		return;
	}
	if (rc == MB_NOTFOUND) {
		reply_error(rp, ctx, 404, NULL, NULL);
		return;
	}
	if (rc != 0) {
		log_warnx("cannot read the metabase: %s", mb_strerror(rc));
		reply_error(rp, ctx, 503, NULL, NULL);
		return;
	}
	if (!(vh->props.v[MB_P_ACCESSFLAGS].dword & MB_ACCESS_READ)) {
		reply_error(rp, ctx, 403, "Read access is not allowed here.",
		    custom);
		return;
	}
	resp_cond_scan(req, &cond);
	cr.ctx = ctx;
	cr.cond = &cond;
	cr.vh = vh;
	cr.path = rq->path;
	cr.plen = rq->plen;
	cr.query = rq->query;
	cr.qlen = rq->qlen;
	content_serve(rp, &cr);
}

/*
 * Find the site and the settings of rq->req, come on c, in the open
 * snapshot: sets rq->site, rq->path, rq->query and rq->set.  *hrc gets
 * the site's match (0, MB_NOTFOUND, another metabase error), *rc the
 * path's resolution (0, a URI_E* code, MB_NOTFOUND, a metabase error).
 */
static void
locate(struct worker *w, const struct conn *c, struct request *rq, int *hrc,
    int *rc)
{
	const struct hp_request *req = rq->req;
	struct vhost	*vh = &w->vh;
	const char	*q;
	size_t		 plen, ql;

	refresh_svc(w);
	rq->set = w->svc;	/* until the site is known */
	rq->path = NULL;
	rq->query = NULL;
	rq->qlen = 0;
	*hrc = *rc = vhost_match(w->mb, c->tls != NULL, c->lip, c->lport,
	    req->host, req->host_len, vh);
	if (*hrc != 0)
		return;
	rq->site = vh->site;
	*rc = uri_normalize(req->path, req->path_len, w->pathbuf,
	    sizeof(w->pathbuf), &plen, &q, &ql);
	if (*rc == 0) {
		rq->path = w->pathbuf;
		rq->plen = plen;
		rq->query = q;
		rq->qlen = ql;
		*rc = vhost_resolve(w->mb, vh, w->pathbuf, plen);
	}
	if (*rc == 0 && req->form != HP_TF_ASTERISK)
		settings_from_props(&rq->set, &vh->props);
	else
		(void)settings_lookup(w->mb, vh->site, &rq->set);
}

void
request_serve(struct worker *w, struct conn *c, struct request *rq,
    const struct hp_request *req, size_t headlen)
{
	struct reply	 rp;
	struct reply_ctx ctx;
	uint32_t	 tmo;
	size_t		 taken;
	int		 rc, hrc, status = 0, err, skip;

	reply_init(&rp, w->wbuf, sizeof(w->wbuf), &w->scratch);
	show_line(w, req, c->rbuf + c->rstart + headlen);
	rq->req = req;
	rq->received = headlen;
	c->rstart += headlen;
	c->floor = c->rstart;	/* the head stays put until we are done */
	rq->body_read = !req->chunked && req->content_length <= 0;
	if ((err = mb_begin(w->mb)) != 0) {
		log_warnx("cannot read the metabase: %s", mb_strerror(err));
		ctx_fill(&ctx, w, rq);
		ctx.close = 1;
		reply_error(&rp, &ctx, 503, NULL, NULL);
		send_reply(w, &rp, c, rq);
		return;
	}
	locate(w, c, rq, &hrc, &rc);
	/*
	 * A body is dropped after the reply is built and the snapshot ended,
	 * so that the connection stays framed without a snapshot pinned
	 * while a slow client sends it.  The reply is built as if that will
	 * succeed; if it does not, an error replaces it.  A body over the
	 * limit by its Content-Length is refused unread, and one the client
	 * waits to be asked for (Expect: 100-continue) is never asked for.
	 */
	skip = !rq->body_read && !req->expect_continue && (req->chunked ||
	    (uint64_t)req->content_length <= rq->set.body_limit);
	rq->pool_busy = worker_pool_busy(w, c);
	ctx_fill(&ctx, w, rq);
	ctx.body_read = rq->body_read || skip;
	if (hrc == 0 && rc == 0 && req->form != HP_TF_ASTERISK)
		site_directives(w, rq, &ctx);
	answer(w, c, rq, &rp, &ctx, hrc, rc);
	mb_end(w->mb);
	/* What pointed into the snapshot is gone with it. */
	ctx.errs = NULL;
	ctx.expires = NULL;
	if (skip) {
		/* Timed by the site's HeaderWaitTimeout. */
		tmo = rq->set.hdr_timeout ? rq->set.hdr_timeout :
		    w->svc.hdr_timeout;
		status = skip_body(w, c, req, rq->set.body_limit, &rq->start,
		    (uint64_t)tmo * 1000, &taken);
		rq->received += taken;
		if (status == 0)
			rq->body_read = 1;
		else {
			reply_discard(&rp);
			reply_init(&rp, w->wbuf, sizeof(w->wbuf), &w->scratch);
			ctx.body_read = 0;
			reply_error(&rp, &ctx, status == SLOW_CLIENT ? 408 :
			    status, NULL, NULL);
		}
	}
	send_reply(w, &rp, c, rq);
	/* Dropped for a waiting client: no lingering for this one. */
	if (skip && status == SLOW_CLIENT) {
		c->broken = 1;
		rq->next = KA_CLOSE;
	}
}

void
request_fail(struct worker *w, struct conn *c, struct request *rq,
    int status)
{
	struct reply	 rp;
	struct reply_ctx ctx;

	if (mb_begin(w->mb) == 0) {
		refresh_svc(w);
		mb_end(w->mb);
	}
	rq->req = NULL;
	rq->set = w->svc;
	reply_init(&rp, w->wbuf, sizeof(w->wbuf), &w->scratch);
	ctx_fill(&ctx, w, rq);
	reply_error(&rp, &ctx, status, NULL, NULL);
	send_reply(w, &rp, c, rq);
	/* The client may still be sending what we could not read. */
	if (rq->next == KA_CLOSE && !c->broken)
		rq->next = KA_LINGER;
}

static struct accesslog_str
field(const struct hp_header *h)
{
	struct accesslog_str	 r = { NULL, 0 };

	if (h != NULL) {
		r.ptr = h->value;
		r.len = h->value_len;
	}
	return r;
}

/* The request fields the log may show, found in one pass. */
static void
log_fields(const struct hp_request *req, struct accesslog_entry *e)
{
	const struct hp_header *h, *ua = NULL, *ref = NULL, *ck = NULL;
	size_t			 i;

	if (!(e->flags & (MB_LOG_USER_AGENT | MB_LOG_REFERER | MB_LOG_COOKIE)))
		return;
	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		if (ua == NULL && h->name_len == 10 &&
		    strncasecmp(h->name, "User-Agent", 10) == 0)
			ua = h;
		else if (ref == NULL && h->name_len == 7 &&
		    strncasecmp(h->name, "Referer", 7) == 0)
			ref = h;
		else if (ck == NULL && h->name_len == 6 &&
		    strncasecmp(h->name, "Cookie", 6) == 0)
			ck = h;
	}
	e->user_agent = field(ua);
	e->referer = field(ref);
	e->cookie = field(ck);
}

void
request_log(const struct request *rq, const struct conn *c)
{
	struct accesslog_entry	 e;
	const struct hp_request	*req = rq->req;

	if (rq->site == 0 || rq->set.logtype == 0 || rq->set.logdir[0] == '\0')
		return;
	memset(&e, 0, sizeof(e));
	e.site = rq->site;
	e.logtype = rq->set.logtype;
	e.dir = rq->set.logdir;
	e.flags = rq->set.logflags;
	e.time = time(NULL);
	e.s_ip = accesslog_cstr(c->lip);
	e.s_port = c->lport;
	e.c_ip = accesslog_cstr(c->cip);
	if (req != NULL) {
		e.method.ptr = req->method;
		e.method.len = req->method_len;
		e.version = accesslog_cstr(req->minor ? "HTTP/1.1" :
		    "HTTP/1.0");
		log_fields(req, &e);
		e.host.ptr = req->host;
		e.host.len = req->host_len;
	}
	e.uri_stem = accesslog_cstr(rq->path);
	e.uri_query.ptr = rq->query;
	e.uri_query.len = rq->qlen;
	e.status = (unsigned)rq->status;
	e.substatus = rq->substatus;
	e.username = accesslog_cstr(rq->user);
	e.bytes_sent = (uint64_t)rq->sent;
	e.bytes_recv = rq->received;
	e.time_taken = conn_elapsed_ms(&rq->start);
	accesslog_write(&e);
}
