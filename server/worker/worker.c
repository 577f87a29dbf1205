/*
 * worker.c - a worker: accept a connection, serve its requests one after
 * another in a blocking loop, repeat.
 *
 * The hot path is one read(2), one stat(2) and one write(2) a request:
 * the request head is read into a fixed buffer and parsed in place; the
 * settings come from a fresh metabase snapshot (mb_begin() .. mb_end(), no
 * allocation); a small file comes from the worker's file cache
 * (filecache.h), checked by one fstatat(2), and goes out behind its head
 * in one send(2); a larger one follows its head with sendfile(2).
 *
 * Sharing the listening sockets: every worker waits in its own epoll set
 * holding every listener with EPOLLEXCLUSIVE, so a new connection wakes
 * one waiting worker, not all of them, whatever the number of sockets;
 * the sockets are non-blocking and a worker first tries accept4(2) on the
 * listener that last had a connection, so under load it takes the next
 * one without waiting at all.  Measured side by side (64 to 128 workers,
 * 612-byte file, one connection per request, wrk -c32, 2 vCPUs):
 * EPOLLEXCLUSIVE about 19k requests/s; the same epoll without it (every
 * idle worker woken for every connection) 3k to 5k; a plain blocking
 * accept(2) on a single socket about 17k, and it cannot wait on several.
 * SO_REUSEPORT was not taken: it hashes each connection to one worker's
 * queue, where it waits behind a worker busy with a long kept-alive
 * connection while others idle (PERFORMANCE.md), and the starvation rule
 * below needs the workers to see one shared queue.
 */
/* accept4, sendfile, MSG_MORE, TCP_* and epoll are Linux's own. */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "server/worker/accesslog.h"
#include "server/worker/filecache.h"
#include "server/http/http_parse.h"
#include "server/http/keepalive.h"
#include "server/limits.h"
#include "server/core/log.h"
#include "server/master/master.h"
#include "metabase.h"
#include "server/http/response.h"
#include "server/http/uri.h"
#include "server/worker/vhost.h"
#include "server/worker/worker.h"

/* Append a string literal to a response head. */
#define RESP_RAW_LIT(r, lit)	resp_raw((r), (lit), sizeof(lit) - 1)
/* What static content allows. */
#define ALLOW_LINE		"Allow: GET, HEAD, OPTIONS\r\n"

/* What the connection loop does after a request. */
enum next {
	NEXT_KEEP,		/* read the next request */
	NEXT_CLOSE,		/* close now: the client expects it */
	NEXT_LINGER		/* half-close, drain, then close */
};

struct conn {
	int		 fd;
	const struct listener *li;
	char		 lip[INET6_ADDRSTRLEN];	/* local address */
	unsigned	 lport;
	char		 cip[INET6_ADDRSTRLEN];	/* client address */
	size_t		 rstart, rend;		/* unparsed bytes in rbuf */
	size_t		 floor;			/* rbuf[0..floor): the head in use */
	uint32_t	 hdr_timeout;		/* HeaderWaitTimeout, seconds */
	unsigned	 nreq;			/* requests begun */
	int		 rcvtimeo;		/* SO_RCVTIMEO and TCP_NODELAY set */
	int		 sndtimeo;		/* SO_SNDTIMEO set */
	int		 broken;		/* a write failed */
	uint64_t	 idle_ms;		/* ConnectionTimeout, in ms */
};

/* One request's facts, for the keep-alive policy and the access log. */
struct reqinfo {
	const struct hp_request *req;
	unsigned	 nreq;		/* on this connection, this one too */
	struct timespec	 start;
	uint32_t	 site;
	int		 status;
	long long	 sent;
	size_t		 received;
	int		 body_read;
	int		 delimited;
	/* Settings copied out of the snapshot before mb_end(). */
	int		 allow, legacy;
	unsigned	 max_requests;
	uint32_t	 conn_timeout;
	uint32_t	 hdr_timeout;
	uint32_t	 body_limit;	/* MaxRequestEntityAllowed */
	int		 close;		/* close after this response */
	uint32_t	 logtype, logflags;
	char		 logdir[PATH_MAX];
	const char	*path;		/* cs-uri-stem (decoded) */
	const char	*query;
	size_t		 querylen;
};

static struct mb	*mb;
static int		 wslot;
static int		 epfd = -1;
static size_t		 last_li;
static char		 rbuf[WORKER_RBUF];
static char		 wbuf[WORKER_WBUF];
static char		 pathbuf[HP_MAXREQLINE + 2];
/* Scratch for error pages and listings; grows for big folders. */
static char		*xbuf;
static size_t		 xcap;
/*
 * The service's HeaderWaitTimeout, for the first head of a connection
 * (its site is not known yet), and the snapshot it was read in.
 */
static uint32_t		 svc_hdr_timeout = 20;
static uint64_t		 svc_txnid;

static void
ms_sleep_poll(int fd, int ms)
{
	struct pollfd	 p = { fd, POLLIN, 0 };

	poll(&p, 1, ms);
}

static uint64_t
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000 +
	    (uint64_t)((t.tv_nsec - t0->tv_nsec) / 1000000);
}

static int
stopping(void)
{
	return worker_graceful || sb_stale(wslot);
}

/*
 * Writing.
 */

/* Send all of buf; a client that takes nothing for WORKER_SEND_TIMEOUT
 * seconds is given up.  flags may hold MSG_MORE. */
static int
send_all(struct conn *c, const char *buf, size_t len, int flags)
{
	struct pollfd	 p;
	ssize_t		 n;

	while (len > 0) {
		n = send(c->fd, buf, len, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			p.fd = c->fd;
			p.events = POLLOUT;
			/* A signal (log reopen, graceful stop) is no reason
			 * to cut a response short. */
			do
				n = poll(&p, 1, WORKER_SEND_TIMEOUT * 1000);
			while (n == -1 && errno == EINTR);
			if (n > 0)
				continue;
		}
		c->broken = 1;
		return -1;
	}
	return 0;
}

static int
send_file(struct conn *c, int fd, off_t off, off_t count)
{
	struct timeval	 tv = { WORKER_SEND_TIMEOUT, 0 };
	ssize_t		 n;

	/* sendfile(2) has no MSG_DONTWAIT: bound it with SO_SNDTIMEO. */
	if (!c->sndtimeo) {
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		c->sndtimeo = 1;
	}
	while (count > 0) {
		n = sendfile(c->fd, fd, &off, (size_t)count);
		if (n > 0) {
			count -= n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		c->broken = 1;
		return -1;
	}
	return 0;
}

/*
 * Reading.
 */

/*
 * Make room at the end of rbuf, keeping the unparsed bytes.  Nothing moves
 * below c->floor: the head of the request being served is there, and the
 * parsed request points into it.
 */
static void
rbuf_compact(struct conn *c)
{
	if (c->rstart == c->floor)
		return;
	memmove(rbuf + c->floor, rbuf + c->rstart, c->rend - c->rstart);
	c->rend -= c->rstart - c->floor;
	c->rstart = c->floor;
}

/*
 * Read more bytes for a request whose first bytes have come, or for the
 * first request of a new connection: wait up to deadline_ms since t0.
 * Returns the bytes read, 0 at end of file, -1 on error or timeout.
 */
static ssize_t
read_more(struct conn *c, const struct timespec *t0, uint64_t deadline_ms)
{
	struct pollfd	 p;
	uint64_t	 el;
	ssize_t		 n;

	if (c->rend == sizeof(rbuf))
		rbuf_compact(c);
	for (;;) {
		n = recv(c->fd, rbuf + c->rend, sizeof(rbuf) - c->rend,
		    MSG_DONTWAIT);
		if (n >= 0) {
			c->rend += (size_t)n;
			return n;
		}
		if (errno == EINTR && !worker_graceful)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if ((el = elapsed_ms(t0)) >= deadline_ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		p.fd = c->fd;
		p.events = POLLIN;
		poll(&p, 1, (int)(deadline_ms - el));
	}
}

/* No idle worker left and the pool is full: someone must give way. */
static int
saturated(void)
{
	return sb_count(SB_IDLE) == 0 && sb_live() >= sb_max_workers();
}

/*
 * This worker has just taken the last idle place of a full pool: wake the
 * keep-alive worker idle longest out of its blocking recv(2) (SIGUSR2
 * interrupts it), so that it starts watching the listening sockets now
 * rather than at its next one-second look.
 */
static void
nudge_oldest_keepalive(void)
{
	struct sb_slot	*s;
	uint64_t	 best = UINT64_MAX, t;
	pid_t		 pid = 0;
	int		 i, nslots;

	nslots = atomic_load_explicit(&scoreboard->nslots,
	    memory_order_relaxed);
	for (i = 0; i < nslots; i++) {
		s = &scoreboard->slot[i];
		if (i == wslot || atomic_load_explicit(&s->state,
		    memory_order_relaxed) != SB_KEEPALIVE)
			continue;
		t = atomic_load_explicit(&s->since, memory_order_relaxed);
		if (t < best) {
			best = t;
			pid = atomic_load_explicit(&s->pid,
			    memory_order_relaxed);
		}
	}
	if (pid > 0)
		kill(pid, SIGUSR2);
}

/*
 * Between requests: wait for the next one on a kept-alive connection for
 * up to its ConnectionTimeout.  Returns 1 when bytes have come, 0 to
 * close (timeout, end of file, stop), -1 to give way to a waiting client.
 *
 * The wait is a blocking recv(2) with a one-second SO_RCVTIMEO, so that a
 * busy connection costs one syscall a request; each second the worker
 * looks at the clock, its stop flags and the pool.  When no worker is idle
 * and the pool is at MaxWorkers, it also watches the listening sockets:
 * if a client is waiting to be accepted and this worker's connection has
 * been idle longest, it lets its connection go (between two requests, as
 * HTTP allows) and goes to accept.
 */
static int
wait_next(struct conn *c, uint32_t site)
{
	struct pollfd	 p[1 + LISTEN_MAX];
	struct timeval	 tv = { 1, 0 };
	struct timespec	 t0;
	uint64_t	 el;
	size_t		 i, np;
	ssize_t		 n;
	int		 one = 1, r, waiting;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rbuf_compact(c);
	if (c->rstart == c->rend)
		c->rstart = c->rend = 0;
	if (!c->rcvtimeo) {
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		/* Kept alive: small responses must not wait for ACKs. */
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->rcvtimeo = 1;
	}
	sb_set_state(wslot, SB_KEEPALIVE, site);
	for (;;) {
		if (stopping())
			return 0;
		if ((el = elapsed_ms(&t0)) >= c->idle_ms)
			return 0;
		if (!saturated()) {
			n = recv(c->fd, rbuf + c->rend, sizeof(rbuf) - c->rend,
			    0);
			if (n > 0) {
				c->rend += (size_t)n;
				return 1;
			}
			if (n == 0 || (errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR))
				return 0;
			continue;
		}
		/* Saturated: watch the connection and the listeners. */
		p[0].fd = c->fd;
		p[0].events = POLLIN;
		for (i = 0, np = 1; i < nlisteners; i++, np++) {
			p[np].fd = listeners[i].fd;
			p[np].events = POLLIN;
		}
		r = poll(p, np, (int)(c->idle_ms - el < 1000 ?
		    c->idle_ms - el : 1000));
		if (r <= 0)
			continue;
		if (p[0].revents) {
			n = recv(c->fd, rbuf + c->rend, sizeof(rbuf) - c->rend,
			    MSG_DONTWAIT);
			if (n > 0) {
				c->rend += (size_t)n;
				return 1;
			}
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				return 0;
		}
		for (waiting = 0, i = 1; i < np; i++)
			waiting |= p[i].revents & POLLIN;
		if (!waiting)
			continue;
		if (saturated() && sb_oldest_keepalive(wslot)) {
			/* Never cut a request whose first bytes are here. */
			n = recv(c->fd, rbuf + c->rend,
			    sizeof(rbuf) - c->rend, MSG_DONTWAIT);
			if (n > 0) {
				c->rend += (size_t)n;
				return 1;
			}
			log_debug("giving way to a waiting connection");
			return -1;
		}
		/* Not our turn: let the oldest go first. */
		ms_sleep_poll(c->fd, WORKER_GIVEWAY_BACKOFF_MS);
	}
}

/* Half-close, read what the client still sends for up to ms, then close:
 * a close with unread data would reset the connection and destroy the
 * response. */
static void
linger_close(struct conn *c, uint64_t ms)
{
	struct timespec	 t0;
	struct pollfd	 p;
	uint64_t	 el;
	ssize_t		 n;

	if (c->broken || shutdown(c->fd, SHUT_WR) == -1)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((el = elapsed_ms(&t0)) < ms) {
		p.fd = c->fd;
		p.events = POLLIN;
		n = poll(&p, 1, (int)(ms - el));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		n = recv(c->fd, wbuf, sizeof(wbuf), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			break;
	}
 out:
	close(c->fd);
}

/*
 * Responses.
 */

static void
finish_head(struct resp *r, struct reqinfo *ri, enum next *next)
{
	struct ka_input	 in;
	enum ka_token	 tok;
	const char	*line;

	memset(&in, 0, sizeof(in));
	if (ri->req != NULL) {
		in.minor = ri->req->minor;
		in.req_close = ri->req->conn_close;
		in.req_keepalive = ri->req->conn_keepalive;
	} else {
		/* No request we could read: say close, and close. */
		in.minor = 1;
		in.req_close = 1;
	}
	in.allow = ri->allow;
	in.legacy = ri->legacy;
	in.max_requests = ri->max_requests;
	in.nrequests = ri->nreq;
	in.delimited = ri->delimited;
	in.body_read = ri->body_read;
	in.stopping = ri->close || stopping() || (sb_max_requests() != 0 &&
	    sb_requests(wslot) + 1 >= sb_max_requests());
	*next = NEXT_CLOSE;
	if (ka_decide(&in, &tok))
		*next = NEXT_KEEP;
	else if (!ri->body_read || (ri->req != NULL && (ri->req->minor == 1 ?
	    !ri->req->conn_close : ri->req->conn_keepalive)))
		*next = NEXT_LINGER;	/* the client may send more */
	line = ka_token_line(tok);
	resp_raw(r, line, strlen(line));
	resp_raw(r, "\r\n", 2);
}

/*
 * A head that did not fit the response buffer (custom headers too big for
 * it): answer a bare 500 instead, and close.
 */
static enum next
send_overflow(struct conn *c, struct reqinfo *ri)
{
	struct resp	 r;

	log_warnx("response head for site %u does not fit in %zu bytes",
	    (unsigned)ri->site, sizeof(wbuf));
	ri->status = 500;
	resp_begin(&r, wbuf, sizeof(wbuf), 500);
	RESP_RAW_LIT(&r, "Content-Length: 0\r\nConnection: close\r\n\r\n");
	send_all(c, r.buf, r.len, 0);
	ri->sent = (long long)r.len;
	return NEXT_LINGER;
}

static void
reqinfo_settings(struct reqinfo *ri, const struct mb_props *p)
{
	ri->allow = p->v[MB_P_ALLOWKEEPALIVES].dword;
	ri->legacy = p->v[MB_P_LEGACYKEEPALIVES].dword;
	ri->max_requests = p->v[MB_P_MAXKEEPALIVEREQUESTS].dword;
	ri->conn_timeout = p->v[MB_P_CONNECTIONTIMEOUT].dword;
	ri->hdr_timeout = p->v[MB_P_HEADERWAITTIMEOUT].dword;
	ri->body_limit = p->v[MB_P_MAXREQUESTENTITY].dword;
	ri->logtype = p->v[MB_P_LOGTYPE].dword;
	ri->logflags = p->v[MB_P_LOGEXTFILEFLAGS].dword;
	/* Copied: it must outlive the snapshot, for the access log. */
	if (ri->logtype != 0 && p->v[MB_P_LOGFILEDIRECTORY].len <
	    sizeof(ri->logdir))
		memcpy(ri->logdir, p->v[MB_P_LOGFILEDIRECTORY].str,
		    p->v[MB_P_LOGFILEDIRECTORY].len + 1);
	else
		ri->logdir[0] = '\0';
}

/* Settings of the service, or of site when it is known. */
static void
fallback_settings(struct reqinfo *ri, uint32_t site)
{
	struct mb_props	 p;
	char		 key[40];
	size_t		 kl;
	int		 own = 0;

	if (mb_txnid(mb) == 0) {
		if (mb_begin(mb) != 0)
			return;
		own = 1;
	}
	if (site != 0)
		snprintf(key, sizeof(key), "/LM/W3SVC/%u", (unsigned)site);
	else
		snprintf(key, sizeof(key), "/LM/W3SVC");
	if (mb_resolve(mb, key, strlen(key), &p, &kl) == 0)
		reqinfo_settings(ri, &p);
	if (own)
		mb_end(mb);
}

static size_t
xbuf_reserve(size_t need)
{
	char	*p;
	size_t	 cap;

	if (need <= xcap)
		return xcap;
	cap = xcap ? xcap : 16384;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(xbuf, cap)) == NULL)
		return xcap;
	xbuf = p;
	xcap = cap;
	return xcap;
}

/*
 * A response with a body from memory (error pages, listings, redirects).
 * Site headers are added when custom is not NULL.  Ends the snapshot.
 */
static enum next
send_mem(struct conn *c, struct reqinfo *ri, int status, const char *ctype,
    const char *body, size_t blen, const char *extra, size_t extralen,
    const struct mb_value *custom)
{
	struct resp	 r;
	enum next	 next;

	ri->status = status;
	ri->delimited = 1;
	resp_begin(&r, wbuf, sizeof(wbuf), status);
	if (ctype != NULL)
		resp_header(&r, "Content-Type", ctype, strlen(ctype));
	resp_header_num(&r, "Content-Length", (long long)blen);
	if (extra != NULL)
		resp_raw(&r, extra, extralen);
	if (custom != NULL && custom->len > 0)
		resp_custom_headers(&r, custom->str, custom->len);
	finish_head(&r, ri, &next);
	mb_end(mb);
	if (r.overflow)
		return send_overflow(c, ri);
	if (ri->req != NULL && ri->req->meth == HP_M_HEAD)
		blen = 0;
	if (blen > 0 && blen <= r.cap - r.len) {
		memcpy(r.buf + r.len, body, blen);
		r.len += blen;
		blen = 0;
	}
	if (send_all(c, r.buf, r.len, blen ? MSG_MORE : 0) == -1 ||
	    (blen > 0 && send_all(c, body, blen, 0) == -1))
		return NEXT_CLOSE;
	ri->sent = (long long)(r.len + blen);
	return next;
}

/* The short HTML page of status in xbuf; 0 bytes if memory ran out (the
 * status line then says it all). */
static size_t
error_page(int status, const char *detail)
{
	if (xbuf_reserve(2048) < 2048)
		return 0;
	return resp_error_page(status, detail, xbuf, xcap);
}

static enum next
send_error(struct conn *c, struct reqinfo *ri, int status, const char *detail,
    const struct mb_value *custom)
{
	size_t	 n;

	n = error_page(status, detail);
	return send_mem(c, ri, status, "text/html; charset=utf-8", xbuf, n,
	    status == 405 ? ALLOW_LINE : NULL,
	    status == 405 ? sizeof(ALLOW_LINE) - 1 : 0,
	    custom);
}

struct dirent_s {
	char		*name;
	int		 dir;
	off_t		 size;
	time_t		 mtime;
};

static int
cmp_dirent(const void *a, const void *b)
{
	const struct dirent_s *x = a, *y = b;

	if (x->dir != y->dir)
		return y->dir - x->dir;
	return strcmp(x->name, y->name);
}

/* Append a string literal, its length counted by the compiler. */
#define XAPPEND_LIT(n, lit)	xappend((n), (lit), sizeof(lit) - 1)

/* Append to xbuf at *n, growing it; returns -1 when memory runs out. */
static int
xappend(size_t *n, const char *s, size_t len)
{
	if (xbuf_reserve(*n + len + 1) < *n + len + 1)
		return -1;
	memcpy(xbuf + *n, s, len);
	*n += len;
	return 0;
}

/* stat(2) of a link's target, only if it is inside the root. */
static int
listed_link(struct vhost *vh, const char *name, struct stat *st)
{
	char	 rel[PATH_MAX];
	size_t	 n = strlen(name);
	int	 fd;

	if (vh->rellen + 1 + n >= sizeof(rel))
		return -1;
	memcpy(rel, vh->rel, vh->rellen);
	rel[vh->rellen] = '/';
	memcpy(rel + vh->rellen + 1, name, n);
	if ((fd = vhost_open(vh->root, rel, vh->rellen + 1 + n, st)) == -1)
		return -1;
	close(fd);
	return 0;
}

static enum next
send_listing(struct conn *c, struct reqinfo *ri, struct vhost *vh, int dfd,
    const char *upath, size_t upathlen)
{
	static struct dirent_s *ents;
	static size_t	 ecap;
	struct dirent_s	*e;
	struct dirent	*d;
	struct stat	 st;
	struct tm	 tm;
	DIR		*dir;
	char		 line[PATH_MAX * 9], esc[NAME_MAX * 3 + 2];
	char		 html[NAME_MAX * 8 + 2], up[HP_MAXREQLINE * 8 + 2];
	size_t		 ne = 0, n = 0, i, el, hl, ul;
	uint32_t	 flags = vh->props.v[MB_P_DIRBROWSEFLAGS].dword;
	int		 fd2, len;
	enum next	 next;

	if ((fd2 = dup(dfd)) == -1 || (dir = fdopendir(fd2)) == NULL) {
		if (fd2 != -1)
			close(fd2);
		return send_error(c, ri, 500, NULL, NULL);
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		/* A link is listed as what it leads to, if that is inside
		 * the root; one leading out is not listed at all. */
		if (S_ISLNK(st.st_mode) && listed_link(vh, d->d_name, &st) == -1)
			continue;
		if (ne == ecap) {
			size_t	 nc = ecap ? ecap * 2 : 64;
			void	*p = realloc(ents, nc * sizeof(*ents));

			if (p == NULL)
				break;
			ents = p;
			ecap = nc;
		}
		if ((ents[ne].name = strdup(d->d_name)) == NULL)
			break;
		ents[ne].dir = S_ISDIR(st.st_mode);
		ents[ne].size = st.st_size;
		ents[ne].mtime = st.st_mtime;
		ne++;
	}
	closedir(dir);
	if (ne > 0)
		qsort(ents, ne, sizeof(*ents), cmp_dirent);
	if (uri_html_escape(upath, upathlen, up, sizeof(up), &ul) != 0)
		ul = 0;
	XAPPEND_LIT(&n, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>");
	xappend(&n, up, ul);
	XAPPEND_LIT(&n, "</title></head>\n<body><h1>");
	xappend(&n, up, ul);
	XAPPEND_LIT(&n, "</h1><hr>\n<pre>\n");
	if (upathlen > 1)
		XAPPEND_LIT(&n, "<a href=\"../\">[To Parent Directory]</a>\n");
	for (i = 0; i < ne; i++) {
		e = &ents[i];
		if (uri_escape(e->name, strlen(e->name), esc, sizeof(esc),
		    &el) != 0 || uri_html_escape(e->name, strlen(e->name), html,
		    sizeof(html), &hl) != 0)
			goto next_ent;
		line[0] = '\0';
		len = 0;
		gmtime_r(&e->mtime, &tm);
		if (flags & MB_DIRBROW_SHOW_DATE)
			len += snprintf(line + len, sizeof(line) - len,
			    "%04d-%02d-%02d ", tm.tm_year + 1900, tm.tm_mon + 1,
			    tm.tm_mday);
		if (flags & MB_DIRBROW_SHOW_TIME)
			len += snprintf(line + len, sizeof(line) - len,
			    "%02d:%02d ", tm.tm_hour, tm.tm_min);
		if (flags & MB_DIRBROW_SHOW_SIZE) {
			if (e->dir)
				len += snprintf(line + len, sizeof(line) - len,
				    "%12s ", "&lt;dir&gt;");
			else
				len += snprintf(line + len, sizeof(line) - len,
				    "%12lld ", (long long)e->size);
		}
		len += snprintf(line + len, sizeof(line) - len,
		    "<a href=\"%s%s\">%s%s</a>\n", esc, e->dir ? "/" : "",
		    html, e->dir ? "/" : "");
		xappend(&n, line, (size_t)len);
 next_ent:
		free(e->name);
	}
	XAPPEND_LIT(&n, "</pre><hr></body></html>\n");
	next = send_mem(c, ri, 200, "text/html; charset=utf-8", xbuf, n, NULL,
	    0, &vh->props.v[MB_P_HTTPCUSTOMHEADERS]);
	return next;
}

/*
 * A file: preconditions, range, head, then the body: from data (the file
 * cache) or read from fd into the same send for a small file, else by
 * sendfile(2).  Ends the snapshot; closes fd when it is not -1.
 */
static enum next
send_file_response(struct conn *c, struct reqinfo *ri, struct vhost *vh,
    int fd, const struct stat *st, const char *data, const char *tag,
    size_t taglen, const char *name, size_t namelen)
{
	const struct mb_value *mm = &vh->props.v[MB_P_MIMEMAP];
	const struct mb_value *ch = &vh->props.v[MB_P_HTTPCUSTOMHEADERS];
	struct resp	 r;
	char		 etag[64], cr[96];
	const char	*ctype;
	size_t		 etaglen, ctlen;
	off_t		 first = 0, last = st->st_size - 1, count;
	time_t		 now;
	int		 status, n;
	enum next	 next = NEXT_CLOSE;

	if (tag != NULL) {
		memcpy(etag, tag, taglen);
		etaglen = taglen;
	} else
		etaglen = resp_etag(st, etag, sizeof(etag));
	if ((status = resp_preconditions(ri->req, etag, etaglen,
	    st->st_mtime)) == 0)
		status = resp_range(ri->req, st->st_size, etag, etaglen,
		    st->st_mtime, &first, &last);
	if (status == 412) {
		next = send_error(c, ri, 412, NULL, ch);
		goto out;
	}
	if (status == 416) {
		n = snprintf(cr, sizeof(cr), "Content-Range: bytes */%lld\r\n",
		    (long long)st->st_size);
		next = send_mem(c, ri, 416, "text/html; charset=utf-8", xbuf,
		    error_page(416, NULL), cr, (size_t)n, ch);
		goto out;
	}
	ri->status = status;
	ri->delimited = 1;
	count = status == 304 ? 0 : last - first + 1;
	resp_begin(&r, wbuf, sizeof(wbuf), status);
	if (status != 304) {
		ctype = resp_mime(mm->str, mm->len, name, namelen, &ctlen);
		resp_header(&r, "Content-Type", ctype, ctlen);
		resp_header_num(&r, "Content-Length", (long long)count);
	}
	/* RFC 9110 8.8.2.1: never later than Date. */
	now = time(NULL);
	resp_header(&r, "Last-Modified",
	    resp_date(st->st_mtime < now ? st->st_mtime : now), 29);
	resp_header(&r, "ETag", etag, etaglen);
	if (status != 304)
		RESP_RAW_LIT(&r, "Accept-Ranges: bytes\r\n");
	if (status == 206) {
		n = snprintf(cr, sizeof(cr), "bytes %lld-%lld/%lld",
		    (long long)first, (long long)last, (long long)st->st_size);
		resp_header(&r, "Content-Range", cr, (size_t)n);
	}
	if (ch->len > 0)
		resp_custom_headers(&r, ch->str, ch->len);
	finish_head(&r, ri, &next);
	mb_end(mb);
	if (r.overflow) {
		next = send_overflow(c, ri);
		goto out;
	}
	if (ri->req->meth == HP_M_HEAD)
		count = 0;
	ri->sent = (long long)r.len + (long long)count;
	if (count > 0 && count <= (off_t)(r.cap - r.len)) {
		/* Small: the body rides in the head's send. */
		if (data != NULL)
			memcpy(r.buf + r.len, data + first, (size_t)count);
		else if (pread(fd, r.buf + r.len, (size_t)count, first) !=
		    count) {
			next = NEXT_CLOSE;
			goto out;
		}
		r.len += (size_t)count;
		count = 0;
	}
	if (send_all(c, r.buf, r.len, count ? MSG_MORE : 0) == -1 ||
	    (count > 0 && (data != NULL ?
	    send_all(c, data + first, (size_t)count, 0) :
	    send_file(c, fd, first, count)) == -1))
		next = NEXT_CLOSE;
 out:
	if (fd != -1)
		close(fd);
	return next;
}

/* The Location of a folder asked for without its slash. */
static enum next
send_redirect(struct conn *c, struct reqinfo *ri, struct vhost *vh,
    const char *upath, size_t upathlen)
{
	char	 loc[HP_MAXREQLINE * 3 + 64];
	size_t	 n;

	if (uri_escape(upath, upathlen, loc + 10, sizeof(loc) - 16, &n) != 0)
		return send_error(c, ri, 414, NULL, NULL);
	memcpy(loc, "Location: ", 10);
	n += 10;
	loc[n++] = '/';
	if (ri->querylen > 0 && n + ri->querylen + 4 < sizeof(loc)) {
		loc[n++] = '?';
		memcpy(loc + n, ri->query, ri->querylen);
		n += ri->querylen;
	}
	loc[n++] = '\r';
	loc[n++] = '\n';
	return send_mem(c, ri, 301, "text/html; charset=utf-8", xbuf,
	    error_page(301, NULL), loc, n,
	    &vh->props.v[MB_P_HTTPCUSTOMHEADERS]);
}

/* A folder: default document, listing, or 403. */
static enum next
serve_dir(struct conn *c, struct reqinfo *ri, struct vhost *vh, int dfd,
    const char *upath, size_t upathlen)
{
	const struct mb_value *dd = &vh->props.v[MB_P_DEFAULTDOC];
	uint32_t	 flags = vh->props.v[MB_P_DIRBROWSEFLAGS].dword;
	struct stat	 st;
	char		 doc[PATH_MAX];
	const char	*p, *end, *comma;
	enum next	 next;
	int		 fd;

	if (upath[upathlen - 1] != '/') {
		close(dfd);
		return send_redirect(c, ri, vh, upath, upathlen);
	}
	if ((flags & MB_DIRBROW_LOADDEFAULT) && dd->str != NULL) {
		for (p = dd->str, end = p + dd->len; p < end; p = comma + 1) {
			if ((comma = memchr(p, ',', end - p)) == NULL)
				comma = end;
			/* Beneath the root, not the folder: a link to a
			 * sibling folder is fine. */
			if (vh->rellen + (size_t)(comma - p) >= sizeof(doc))
				continue;
			memcpy(doc, vh->rel, vh->rellen);
			memcpy(doc + vh->rellen, p, comma - p);
			fd = vhost_open(vh->root, doc, vh->rellen + (comma - p), &st);
			if (fd != -1 && S_ISREG(st.st_mode)) {
				close(dfd);
				return send_file_response(c, ri, vh, fd, &st,
				    NULL, NULL, 0, p, comma - p);
			}
			if (fd != -1)
				close(fd);
		}
	}
	if (flags & MB_DIRBROW_ENABLED) {
		next = send_listing(c, ri, vh, dfd, upath, upathlen);
		close(dfd);
		return next;
	}
	close(dfd);
	return send_error(c, ri, 403, "Directory listing is not allowed here.",
	    &vh->props.v[MB_P_HTTPCUSTOMHEADERS]);
}

/*
 * Read and drop the request body, up to limit bytes, keeping what follows
 * it (the next request) in rbuf.  The head stays where it is, below
 * c->floor: the body only ever takes the room after it.  Returns 0, or
 * the status to answer: 413 too large, 408 too slow (HeaderWaitTimeout),
 * 400 malformed or cut short.
 */
static int
skip_body(struct conn *c, const struct hp_request *req, uint64_t limit,
    const struct timespec *t0, size_t *taken)
{
	struct hp_chunked st;
	size_t		 used, avail;
	uint64_t	 left, deadline = (uint64_t)c->hdr_timeout * 1000;
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
			rc = hp_decode_chunked(&st, rbuf + c->rstart, avail,
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
		if ((got = read_more(c, t0, deadline)) <= 0)
			return got == -1 && errno == ETIMEDOUT ? 408 : 400;
	}
}

static struct accesslog_str
hdr_field(const struct hp_request *req, const char *name)
{
	const struct hp_header	*h = hp_header_find(req, name);
	struct accesslog_str	 r = { NULL, 0 };

	if (h != NULL) {
		r.ptr = h->value;
		r.len = h->value_len;
	}
	return r;
}

static void
log_request(struct conn *c, struct reqinfo *ri)
{
	struct accesslog_entry	 e;
	const struct hp_request	*req = ri->req;

	if (ri->site == 0 || ri->logtype == 0 || ri->logdir[0] == '\0')
		return;
	memset(&e, 0, sizeof(e));
	e.site = ri->site;
	e.logtype = ri->logtype;
	e.dir = ri->logdir;
	e.flags = ri->logflags;
	e.time = time(NULL);
	e.s_ip = accesslog_cstr(c->lip);
	e.s_port = c->lport;
	e.c_ip = accesslog_cstr(c->cip);
	if (req != NULL) {
		e.method.ptr = req->method;
		e.method.len = req->method_len;
		e.version = accesslog_cstr(req->minor ? "HTTP/1.1" :
		    "HTTP/1.0");
		e.user_agent = hdr_field(req, "User-Agent");
		e.referer = hdr_field(req, "Referer");
		e.cookie = hdr_field(req, "Cookie");
		e.host.ptr = req->host;
		e.host.len = req->host_len;
	}
	e.uri_stem = accesslog_cstr(ri->path);
	e.uri_query.ptr = ri->query;
	e.uri_query.len = ri->querylen;
	e.status = (unsigned)ri->status;
	e.bytes_sent = (uint64_t)ri->sent;
	e.bytes_recv = ri->received;
	e.time_taken = elapsed_ms(&ri->start);
	accesslog_write(&e);
}

/*
 * Refresh the service-wide HeaderWaitTimeout when the snapshot has
 * changed: it times the first head of a connection, before its site is
 * known.  One lookup per metabase change, not per request.
 */
static void
svc_settings(void)
{
	struct mb_value	 v;
	uint64_t	 id = mb_txnid(mb);

	if (id == svc_txnid)
		return;
	if (mb_prop_effective(mb, "/LM/W3SVC",
	    &mb_schema[MB_P_HEADERWAITTIMEOUT], &v) == 0) {
		svc_hdr_timeout = v.dword;
		svc_txnid = id;
	}
}

/*
 * Whether site already holds max connections in other workers (serving
 * a request or keeping one open).  Scans the scoreboard, so only when
 * MaxConnections is set.
 */
static int
site_full(uint32_t site, uint32_t max)
{
	struct sb_slot	*s;
	uint32_t	 n = 0;
	int		 i, nslots, st;

	if (max == UINT32_MAX)
		return 0;
	nslots = atomic_load_explicit(&scoreboard->nslots,
	    memory_order_relaxed);
	for (i = 0; i < nslots && n < max; i++) {
		s = &scoreboard->slot[i];
		if (i == wslot)
			continue;
		st = atomic_load_explicit(&s->state, memory_order_relaxed);
		if ((st == SB_BUSY || st == SB_KEEPALIVE) &&
		    atomic_load_explicit(&s->site, memory_order_relaxed) == site)
			n++;
	}
	return n >= max;
}

/*
 * One request whose head is req (headlen bytes at rbuf + c->rstart).
 * Answers it and says what the connection does next.
 */
static enum next
handle(struct conn *c, const struct hp_request *req, size_t headlen,
    struct reqinfo *ri)
{
	const struct fc_entry *fe;
	struct vhost	*vh;
	static struct vhost vhs;
	struct stat	 st;
	const char	*q;
	size_t		 plen = 0, ql, taken;
	int		 rc, hrc, fd, status, pass;

	vh = &vhs;
	ri->req = req;
	ri->received = headlen;
	c->rstart += headlen;
	c->floor = c->rstart;		/* the head stays put until we are done */
	ri->body_read = !req->chunked && req->content_length <= 0;
	for (pass = 0;; pass++) {
		if ((rc = mb_begin(mb)) != 0) {
			log_warnx("cannot read the metabase: %s",
			    mb_strerror(rc));
			ri->close = 1;
			return send_error(c, ri, 503, NULL, NULL);
		}
		svc_settings();
		hrc = vhost_match(mb, c->lip, c->lport, req->host,
		    req->host_len, vh);
		rc = hrc;
		if (hrc == 0) {
			ri->site = vh->site;
			rc = uri_normalize(req->path, req->path_len, pathbuf,
			    sizeof(pathbuf), &plen, &q, &ql);
			if (rc == 0) {
				ri->path = pathbuf;
				ri->query = q;
				ri->querylen = ql;
				rc = vhost_resolve(mb, vh, pathbuf, plen);
				if (rc == 0)
					reqinfo_settings(ri, &vh->props);
			}
		}
		if (rc != 0 || req->form == HP_TF_ASTERISK)
			fallback_settings(ri, hrc == 0 ? vh->site : 0);
		if (ri->body_read || req->expect_continue || pass > 0)
			break;
		/*
		 * Drop the body, so the connection stays framed, without a
		 * snapshot pinned while a slow client sends it; then look
		 * again in a fresh one.
		 */
		mb_end(mb);
		/* The body is timed by its site's HeaderWaitTimeout. */
		if (ri->hdr_timeout != 0)
			c->hdr_timeout = ri->hdr_timeout;
		status = skip_body(c, req, ri->body_limit, &ri->start, &taken);
		ri->received += taken;
		if (status != 0)
			return send_error(c, ri, status, NULL, NULL);
		ri->body_read = 1;
	}
	if (hrc != 0)
		return send_error(c, ri, hrc == MB_NOTFOUND ? 400 : 503,
		    hrc == MB_NOTFOUND ? "Bad Request (Invalid Hostname)" : NULL,
		    NULL);
	sb_set_state(wslot, SB_BUSY, vh->site);
	if (!ri->body_read && req->content_length > 0 &&
	    (uint64_t)req->content_length > ri->body_limit)
		return send_error(c, ri, 413, NULL, NULL);

	if (req->expect_other)
		return send_error(c, ri, 417, NULL, NULL);
	if (vh->state != MB_STATE_STARTED || (rc == 0 && site_full(vh->site,
	    vh->props.v[MB_P_MAXCONNECTIONS].dword))) {
		/* Refused: the connection does not count for the site, and
		 * it closes, so that it holds no place either. */
		sb_set_state(wslot, SB_BUSY, 0);
		ri->close = 1;
		return send_error(c, ri, 503, vh->state != MB_STATE_STARTED ?
		    "This site is stopped." :
		    "This site has too many connections; try again later.",
		    NULL);
	}
	if (req->meth == HP_M_OTHER)
		return send_error(c, ri, 501, NULL, NULL);
	if (req->meth != HP_M_GET && req->meth != HP_M_HEAD &&
	    req->meth != HP_M_OPTIONS)
		return send_error(c, ri, 405, NULL, rc == 0 ?
		    &vh->props.v[MB_P_HTTPCUSTOMHEADERS] : NULL);
	if (req->form == HP_TF_ASTERISK)
		return send_mem(c, ri, 200, NULL, "", 0,
		    ALLOW_LINE, sizeof(ALLOW_LINE) - 1, NULL);
	if (rc < 0 && rc >= URI_ETOOLONG)
		return send_error(c, ri, 400, NULL, NULL);
	if (rc == MB_NOTFOUND)
		return send_error(c, ri, 404, NULL, NULL);
	if (rc != 0) {
		log_warnx("cannot read the metabase: %s", mb_strerror(rc));
		return send_error(c, ri, 503, NULL, NULL);
	}
	if (!(vh->props.v[MB_P_ACCESSFLAGS].dword & MB_ACCESS_READ))
		return send_error(c, ri, 403, "Read access is not allowed here.",
		    &vh->props.v[MB_P_HTTPCUSTOMHEADERS]);
	if (pathbuf[plen - 1] != '/' && req->meth != HP_M_OPTIONS &&
	    (fe = fc_lookup(vh->root, vh->rel, vh->rellen)) != NULL)
		return send_file_response(c, ri, vh, -1, &fe->st, fe->data,
		    fe->etag, fe->etaglen, pathbuf, plen);
	fd = vhost_open(vh->root, vh->rel, vh->rellen, &st);
	if (fd == -1)
		return send_error(c, ri, errno == EACCES ? 403 : 404, NULL,
		    &vh->props.v[MB_P_HTTPCUSTOMHEADERS]);
	if (req->meth == HP_M_OPTIONS) {
		/* What the resource allows, once we know it exists. */
		close(fd);
		return send_mem(c, ri, 200, NULL, "", 0, ALLOW_LINE,
		    sizeof(ALLOW_LINE) - 1,
		    &vh->props.v[MB_P_HTTPCUSTOMHEADERS]);
	}
	if (S_ISDIR(st.st_mode))
		return serve_dir(c, ri, vh, fd, pathbuf, plen);
	if (pathbuf[plen - 1] == '/') {
		close(fd);
		return send_error(c, ri, 404, NULL,
		    &vh->props.v[MB_P_HTTPCUSTOMHEADERS]);
	}
	if ((fe = fc_store(vh->root, vh->rel, vh->rellen, fd, &st)) != NULL) {
		close(fd);
		return send_file_response(c, ri, vh, -1, &fe->st, fe->data,
		    fe->etag, fe->etaglen, pathbuf, plen);
	}
	return send_file_response(c, ri, vh, fd, &st, NULL, NULL, 0, pathbuf,
	    plen);
}

static void
conn_addresses(struct conn *c, const struct sockaddr_storage *peer)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (peer->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->
		    sin6_addr, c->cip, sizeof(c->cip));
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->
		    sin_addr, c->cip, sizeof(c->cip));
	c->lport = c->li->port;
	if (!c->li->wildcard) {
		memcpy(c->lip, c->li->ip, sizeof(c->lip));
		return;
	}
	/* A wildcard socket: which of our addresses did the client reach? */
	c->lip[0] = '\0';
	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == -1)
		return;
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    c->lip, sizeof(c->lip));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    c->lip, sizeof(c->lip));
}

static int
only_crlf(const char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	return n == 0;
}

/* SIGUSR1: the logs were rotated; let go of every cached file too. */
static void
reopen_if_asked(void)
{
	if (!worker_reopen)
		return;
	worker_reopen = 0;
	log_reopen();
	accesslog_reopen();
	vhost_flush();
	fc_flush();
}

static void
serve_connection(struct conn *c)
{
	struct hp_request req;
	struct reqinfo	 ri;
	struct timespec	 t0;
	enum next	 next = NEXT_CLOSE;
	int		 status, n;
	ssize_t		 got;

	c->idle_ms = 120 * 1000;
	c->hdr_timeout = svc_hdr_timeout;
	c->floor = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		/* A whole head, from the buffer or the socket. */
		for (;;) {
			/* Heads start at rbuf[0]: the body of a request
			 * then has the room after its head. */
			rbuf_compact(c);
			n = hp_parse_request(rbuf, c->rend, &req, &status);
			if (n != HP_PARTIAL)
				break;
			/*
			 * Only the CRLF old clients send after a body
			 * (RFC 9112 2.2): nothing has begun, so wait as
			 * between requests.
			 */
			if (c->rend > 0 && only_crlf(rbuf, c->rend))
				c->rend = 0;
			if (c->rend > 0 || c->nreq == 0 || next != NEXT_KEEP) {
				got = read_more(c, &t0,
				    (uint64_t)c->hdr_timeout * 1000);
			} else {
				got = wait_next(c, ri.site);
				if (got == 0)
					goto close;
				if (got == -1)
					goto give_way;
				clock_gettime(CLOCK_MONOTONIC, &t0);
			}
			if (got == 0)
				goto close;	/* the client is done */
			if (got < 0) {
				if (c->rend > 0 && errno == ETIMEDOUT) {
					/* Part of a head, then silence. */
					memset(&ri, 0, sizeof(ri));
					ri.start = t0;
					fallback_settings(&ri, 0);
					send_error(c, &ri, 408, NULL, NULL);
					next = NEXT_LINGER;
					goto done;
				}
				goto close;
			}
			sb_set_state(wslot, SB_BUSY, 0);
		}
		memset(&ri, 0, sizeof(ri));
		ri.start = t0;
		ri.nreq = ++c->nreq;
		ri.body_limit = mb_schema[MB_P_MAXREQUESTENTITY].dflt;
		if (n == HP_ERROR) {
			fallback_settings(&ri, 0);
			ri.body_read = 0;
			send_error(c, &ri, status, NULL, NULL);
			next = NEXT_LINGER;
			goto done;
		}
		next = handle(c, &req, (size_t)n, &ri);
		c->floor = 0;
		c->idle_ms = (uint64_t)ri.conn_timeout * 1000;
		if (ri.hdr_timeout != 0)
			c->hdr_timeout = ri.hdr_timeout;
		/* A kept-alive connection must not log on into a rotated
		 * file. */
		reopen_if_asked();
		log_request(c, &ri);
		sb_request_done(wslot);
		if (c->broken)
			next = NEXT_CLOSE;
		if (next != NEXT_KEEP)
			goto done;
		clock_gettime(CLOCK_MONOTONIC, &t0);
	}
 done:
	if (next == NEXT_LINGER || c->rend > c->rstart) {
		linger_close(c, WORKER_LINGER_MS);
		return;
	}
 close:
	close(c->fd);
	return;

 give_way:
	/* A client sending its next request just now gets our FIN and
	 * retries, not a reset. */
	linger_close(c, WORKER_GIVEWAY_DRAIN_MS);
}

/*
 * Wait for and accept the next connection.  Returns the descriptor, or -1
 * when woken for another reason (a signal, a timeout to look at the flags).
 */
static int
accept_next(struct conn *c, struct sockaddr_storage *peer)
{
	struct epoll_event ev[8];
	socklen_t	 len;
	int		 fd, n, i;

	for (;;) {
		len = sizeof(*peer);
		fd = accept4(listeners[last_li].fd, (struct sockaddr *)peer,
		    &len, SOCK_CLOEXEC);
		if (fd != -1) {
			c->li = &listeners[last_li];
			return fd;
		}
		/* A listener the master has shut down (a stop, a reload):
		 * go and look at the flags. */
		if (errno == EINVAL)
			return -1;
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ECONNABORTED && errno != EINTR && errno != EPROTO)
			log_warn("accept");
		if (worker_graceful)
			return -1;
		/* Another listener may have one: try the next, then wait. */
		for (i = 0; (size_t)i < nlisteners; i++) {
			if ((size_t)i == last_li)
				continue;
			len = sizeof(*peer);
			fd = accept4(listeners[i].fd, (struct sockaddr *)peer,
			    &len, SOCK_CLOEXEC);
			if (fd != -1) {
				last_li = (size_t)i;
				c->li = &listeners[i];
				return fd;
			}
		}
		n = epoll_wait(epfd, ev, 8, 1000);
		if (n <= 0)
			return -1;
		last_li = ev[0].data.u32;
	}
}

void
worker_main(int slot)
{
	struct epoll_event ev;
	struct sockaddr_storage peer;
	struct conn	 c;
	struct mb_props	 p;
	size_t		 i, kl;
	unsigned	 maxreq;
	int		 rc, fd;

	wslot = slot;
	log_procinit();
	master_worker_signals();
	/* As root still, so the LMDB lock file opens read-write. */
	if ((rc = mb_open(&mb, conf->metabase, MB_RDONLY)) != 0)
		fatalx("%s", mb_errdetail(NULL));
	if (master_drop_privileges() == -1)
		fatal("cannot drop privileges");
	if (mb_begin(mb) == 0) {
		if (mb_resolve(mb, "/LM/W3SVC", 9, &p, &kl) == 0)
			svc_hdr_timeout = p.v[MB_P_HEADERWAITTIMEOUT].dword;
		mb_end(mb);
	}
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	for (i = 0; i < nlisteners; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, listeners[i].fd, &ev) == -1)
			fatal("epoll_ctl");
	}
	sb_set_state(slot, SB_IDLE, 0);
	while (nlisteners > 0) {
		reopen_if_asked();
		if (stopping())
			break;
		maxreq = sb_max_requests();
		if (maxreq != 0 && sb_requests(slot) >= maxreq)
			break;
		if ((fd = accept_next(&c, &peer)) == -1)
			continue;
		sb_set_state(slot, SB_BUSY, 0);
		if (saturated())
			nudge_oldest_keepalive();
		c.fd = fd;
		c.rstart = c.rend = 0;
		c.nreq = 0;
		c.rcvtimeo = c.sndtimeo = c.broken = 0;
		conn_addresses(&c, &peer);
		serve_connection(&c);
		sb_set_state(slot, SB_IDLE, 0);
	}
	sb_set_state(slot, SB_GRACEFUL, 0);
	mb_close(mb);
	exit(0);
}
