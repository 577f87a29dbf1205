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
/* accept4, MSG_DONTWAIT and epoll are Linux's own. */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "metabase.h"
#include "server/core/listen.h"
#include "server/core/log.h"
#include "server/core/proc.h"
#include "server/core/scoreboard.h"
#include "server/http/http_parse.h"
#include "server/limits.h"
#include "server/tls/tls.h"
#include "server/worker/accesslog.h"
#include "server/worker/conn.h"
#include "server/worker/filecache.h"
#include "server/worker/gzcache.h"
#include "server/worker/request.h"
#include "server/worker/vhost.h"
#include "server/worker/worker.h"

/* How a connection ends. */
enum end {
	END_CLOSE,		/* close now */
	END_LINGER,		/* half-close, drain, close */
	END_GIVE_WAY		/* let it go for a waiting client */
};

int
worker_stopping(const struct worker *w)
{
	return proc_graceful || sb_stale(w->sb, w->slot);
}

int
worker_conn_ending(const struct worker *w)
{
	int		 on = 0;
	socklen_t	 len = sizeof(on);

	if (proc_graceful)
		return 1;
	if (!sb_stale(w->sb, w->slot))
		return 0;
	if (!sb_may_keep(w->sb, w->slot) || w->li_dead[w->conn_li])
		return 1;
	/* The master shuts down a socket no binding needs any more. */
	if (getsockopt(w->listeners[w->conn_li].fd, SOL_SOCKET,
	    SO_ACCEPTCONN, &on, &len) == -1 || !on)
		return 1;
	return 0;
}

/* Whether a client waits to be accepted on one of the listeners. */
static int
clients_waiting(const struct worker *w)
{
	struct pollfd	 p[LISTEN_MAX];
	size_t		 i, n = 0;

	for (i = 0; i < w->nlisteners; i++) {
		if (w->li_dead[i])
			continue;
		p[n].fd = w->listeners[i].fd;
		p[n].events = POLLIN;
		p[n].revents = 0;
		n++;
	}
	return n > 0 && poll(p, n, 0) > 0;
}

int
worker_pool_busy(struct worker *w, struct conn *c)
{
	if (!sb_maybe_none_idle(w->sb) || c->rend > c->rstart ||
	    c->io->pending(c))
		return 0;
	return sb_none_idle(w->sb) && clients_waiting(w);
}

ssize_t
worker_read(struct worker *w, struct conn *c, const struct timespec *t0,
    uint64_t deadline_ms)
{
	uint64_t	 slice;
	ssize_t		 n;

	for (;;) {
		slice = conn_elapsed_ms(t0) + WORKER_SLOW_CLIENT_MS;
		if (slice > deadline_ms)
			slice = deadline_ms;
		n = conn_read(c, t0, slice);
		if (n >= 0 || errno != ETIMEDOUT || slice >= deadline_ms)
			return n;
		if (sb_none_idle(w->sb) && clients_waiting(w)) {
			log_debug("dropping a slow client for one waiting");
			errno = ECONNABORTED;
			return -1;
		}
	}
}

/* SIGUSR1: the logs were rotated; let go of every cached file too. */
static void
reopen_if_asked(void)
{
	if (!proc_reopen)
		return;
	proc_reopen = 0;
	log_reopen();
	accesslog_reopen();
	vhost_flush();
	fc_flush();
	gz_flush();
}

/*
 * Between requests: wait for the next one on a kept-alive connection for
 * up to idle_ms.  Returns 1 when bytes have come, 0 to close lingering
 * (timeout, end of file, stop), -1 to give way to a waiting client.
 *
 * The wait is a blocking read with a one-second timeout
 * (conn_read_wait()), so that a busy connection costs one syscall a
 * request; each second the worker looks at the clock, its stop flags and
 * the pool.  When the pool is saturated (scoreboard.h) it also watches
 * the listening sockets: if a client is waiting to be accepted and this
 * worker's connection has been idle longest, it lets its connection go
 * (between two requests, as HTTP allows) and goes to accept.
 */
static int
wait_next(struct worker *w, struct conn *c, uint32_t site, uint64_t idle_ms)
{
	struct pollfd	 p[1 + LISTEN_MAX];
	struct timespec	 t0;
	uint64_t	 el;
	size_t		 i, np;
	ssize_t		 n;
	int		 r, waiting;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	conn_compact(c);
	if (c->rstart == c->rend)
		c->rstart = c->rend = 0;
	sb_set_state(w->sb, w->slot, SB_KEEPALIVE, site);
	for (;;) {
		/*
		 * Told to go, or idle too long: a request already here is
		 * served (with Connection: close when stopping); else the
		 * connection closes lingering, as the client may be sending
		 * one just now.
		 */
		el = conn_elapsed_ms(&t0);
		if (worker_conn_ending(w) || el >= idle_ms)
			return conn_read_now(c) > 0 ? 1 : 0;
		if (!sb_saturated(w->sb)) {
			if ((n = conn_read_wait(c)) > 0)
				return 1;
			if (n == 0 || (errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR))
				return 0;
			continue;
		}
		/* Saturated: watch the connection and the listeners. */
		for (i = 0, np = 1; i < w->nlisteners; i++, np++) {
			p[np].fd = w->listeners[i].fd;
			p[np].events = POLLIN;
			p[np].revents = 0;
		}
		r = conn_poll(c, p, np, (int)(idle_ms - el < 1000 ?
		    idle_ms - el : 1000));
		if (r <= 0)
			continue;
		if (p[0].revents) {
			if ((n = conn_read_now(c)) > 0)
				return 1;
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				return 0;
		}
		for (waiting = 0, i = 1; i < np; i++)
			waiting |= p[i].revents & POLLIN;
		if (!waiting)
			continue;
		if (sb_saturated(w->sb) && sb_oldest_keepalive(w->sb,
		    w->slot)) {
			/* Never cut a request whose first bytes are here. */
			if (conn_read_now(c) > 0)
				return 1;
			log_debug("giving way to a waiting connection");
			sb_set_state(w->sb, w->slot, SB_GIVEWAY, site);
			return -1;
		}
		/* Not our turn: let the oldest go first. */
		p[0].fd = c->fd;
		p[0].events = POLLIN;
		poll(p, 1, WORKER_GIVEWAY_BACKOFF_MS);
	}
}

static int
only_crlf(const char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	return n == 0;
}

/*
 * Serve the requests of connection c one after another, until one of
 * them or the client ends it.  Says how to end it.
 */
static enum end
serve_requests(struct worker *w, struct conn *c)
{
	struct hp_request req;
	struct request	 rq;
	struct timespec	 t0;
	uint64_t	 idle_ms = 120 * 1000;
	uint32_t	 hdr_timeout = w->svc.hdr_timeout, site = 0;
	enum ka_next	 next = KA_CLOSE;
	int		 status, n;
	ssize_t		 got;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		/* A whole head, from the buffer or the socket. */
		for (;;) {
			/* Heads start at rbuf[0]: the body of a request
			 * then has the room after its head. */
			conn_compact(c);
			n = hp_parse_request(c->rbuf, c->rend, &req, &status);
			if (n != HP_PARTIAL)
				break;
			/*
			 * Only the CRLF old clients send after a body
			 * (RFC 9112 2.2): nothing has begun, so wait as
			 * between requests.
			 */
			if (c->rend > 0 && only_crlf(c->rbuf, c->rend))
				c->rend = 0;
			if (c->rend > 0 || c->nreq == 0 || next != KA_KEEP) {
				got = worker_read(w, c, &t0,
				    (uint64_t)hdr_timeout * 1000);
			} else {
				got = wait_next(w, c, site, idle_ms);
				if (got == 0)
					return END_LINGER;
				if (got == -1)
					return END_GIVE_WAY;
				clock_gettime(CLOCK_MONOTONIC, &t0);
			}
			if (got == 0)
				return END_CLOSE;	/* the client is done */
			if (got < 0 && c->rend > 0 && errno == ECONNABORTED) {
				/* Too slow while others wait: no lingering. */
				request_init(&rq, w, c->nreq, &t0);
				request_fail(w, c, &rq, 408);
				c->broken = 1;
				return END_CLOSE;
			}
			if (got < 0 && c->rend > 0 && errno == ETIMEDOUT) {
				/* Part of a head, then silence. */
				request_init(&rq, w, c->nreq, &t0);
				request_fail(w, c, &rq, 408);
				return rq.next == KA_CLOSE ? END_CLOSE :
				    END_LINGER;
			}
			if (got < 0)
				return END_CLOSE;
			sb_set_state(w->sb, w->slot, SB_READ, 0);
		}
		request_init(&rq, w, ++c->nreq, &t0);
		if (n == HP_ERROR) {
			request_fail(w, c, &rq, status);
			return rq.next == KA_CLOSE ? END_CLOSE : END_LINGER;
		}
		request_serve(w, c, &rq, &req, (size_t)n);
		c->floor = 0;
		next = rq.next;
		site = rq.site;
		idle_ms = (uint64_t)rq.set.conn_timeout * 1000;
		if (rq.set.hdr_timeout != 0)
			hdr_timeout = rq.set.hdr_timeout;
		/* A kept-alive connection must not log on into a rotated
		 * file. */
		reopen_if_asked();
		request_log(&rq, c);
		sb_request_done(w->sb, w->slot);
		/*
		 * Closed while clients wait for a worker, its request read
		 * whole: the client was told, so only what it sent before it
		 * read that can come, and the queue wants this worker.  A
		 * short drain, as when giving way.
		 */
		if (next == KA_LINGER && rq.pool_busy && rq.body_read) {
			sb_set_state(w->sb, w->slot, SB_GIVEWAY, site);
			return END_GIVE_WAY;
		}
		if (next != KA_KEEP)
			return next == KA_LINGER || c->rend > c->rstart ?
			    END_LINGER : END_CLOSE;
		clock_gettime(CLOCK_MONOTONIC, &t0);
	}
}

/*
 * accept4(2) on listener i; -1 when none is waiting.  A listener the
 * master has shut down (a stop, or a reload that moved its port) answers
 * EINVAL for ever: it leaves the epoll set, so that it wakes no one, and
 * is not tried again.
 */
static int
try_accept(struct worker *w, size_t i, struct sockaddr_storage *peer)
{
	socklen_t	 len = sizeof(*peer);
	int		 fd;

	if (w->li_dead[i])
		return -1;
	fd = accept4(w->listeners[i].fd, (struct sockaddr *)peer, &len,
	    SOCK_CLOEXEC);
	if (fd != -1)
		return fd;
	if (errno == EINVAL) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->listeners[i].fd, NULL);
		w->li_dead[i] = 1;
		log_debug("%s is shut down", w->listeners[i].name);
	} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != ECONNABORTED && errno != EINTR && errno != EPROTO)
		log_warn("accept");
	return -1;
}

/*
 * Wait for and accept the next connection.  Returns the descriptor, with
 * *li the listener it came on, or -1 when woken for another reason (a
 * signal, a timeout to look at the flags).
 */
static int
accept_next(struct worker *w, struct sockaddr_storage *peer,
    const struct listener **li)
{
	struct epoll_event ev[8];
	size_t		 i;
	int		 fd, n;

	for (;;) {
		if ((fd = try_accept(w, w->last_li, peer)) != -1) {
			*li = &w->listeners[w->last_li];
			return fd;
		}
		if (worker_stopping(w))
			return -1;
		/* Another listener may have one: try the next, then wait. */
		for (i = 0; i < w->nlisteners; i++) {
			if (i == w->last_li ||
			    (fd = try_accept(w, i, peer)) == -1)
				continue;
			w->last_li = i;
			*li = &w->listeners[i];
			return fd;
		}
		n = epoll_wait(w->epfd, ev, 8, 1000);
		if (n <= 0)
			return -1;
		w->last_li = ev[0].data.u32;
	}
}

/*
 * The TLS handshake of c, within HeaderWaitTimeout; but while no worker
 * is idle and clients wait, a client silent for WORKER_SLOW_CLIENT_MS is
 * given up, as in worker_read().  0, or -1 to close.
 */
static int
handshake(struct worker *w, struct conn *c)
{
	struct timespec	 t0;
	struct pollfd	 p;
	uint64_t	 el, deadline = (uint64_t)w->svc.hdr_timeout * 1000;
	int		 r, ms;
	short		 ev;

	if (tls_begin(c) == -1)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((r = tls_handshake(c, &ev)) == 0) {
		if ((el = conn_elapsed_ms(&t0)) >= deadline) {
			log_debug("TLS handshake with %s: timed out", c->cip);
			return -1;
		}
		ms = (int)(deadline - el < WORKER_SLOW_CLIENT_MS ?
		    deadline - el : WORKER_SLOW_CLIENT_MS);
		p.fd = c->fd;
		p.events = ev;
		r = poll(&p, 1, ms);
		if (r == 0 && sb_none_idle(w->sb) && clients_waiting(w)) {
			log_debug("dropping a slow TLS handshake for a client "
			    "waiting");
			return -1;
		}
	}
	return r == 1 ? 0 : -1;
}

/* The site of a TLS connection's server name (tls.h). */
static int
pick_site(void *arg, const struct conn *c, const char *name, size_t len,
    uint32_t *site)
{
	struct worker	*w = arg;
	int		 rc;

	if (mb_begin(w->mb) != 0)
		return -1;
	rc = mb_site_find(w->mb, 1, c->lip, c->lport, name, len, site);
	mb_end(w->mb);
	return rc == 0 ? 0 : -1;
}

/* Serve connection fd from peer, come on listener li. */
static void
serve_connection(struct worker *w, int fd, const struct sockaddr_storage *peer,
    const struct listener *li)
{
	struct conn	 c;
	pid_t		 pid;

	sb_set_state(w->sb, w->slot, SB_READ, 0);
	w->conn_li = (size_t)(li - w->listeners);
	/*
	 * Taking the last idle place: say so, for the responses that may
	 * then close for a waiting client (worker_pool_busy()).  Of a full
	 * pool: wake the keep-alive worker idle longest out of its blocking
	 * read (SIGUSR2), so that it watches the listeners now rather than
	 * at its next one-second look.
	 */
	if (sb_none_idle(w->sb)) {
		sb_note_none_idle(w->sb);
		if (sb_saturated(w->sb) &&
		    (pid = sb_oldest_keepalive_pid(w->sb, w->slot)) > 0)
			kill(pid, SIGUSR2);
	}
	conn_init(&c, fd, li->secure ? &conn_tls : &conn_plain, w->rbuf,
	    sizeof(w->rbuf), peer, li->wildcard ? "" : li->ip, li->port);
	sb_set_client(w->sb, w->slot, c.cip);
	if (li->secure && handshake(w, &c) == -1) {
		c.broken = 1;
		conn_close(&c);
		goto done;
	}
	switch (serve_requests(w, &c)) {
	case END_CLOSE:
		if (c.rend > c.rstart && !c.broken)
			conn_linger(&c, WORKER_LINGER_MS);
		else
			conn_close(&c);
		break;
	case END_LINGER:
		conn_linger(&c, WORKER_LINGER_MS);
		break;
	case END_GIVE_WAY:
		/* A client sending its next request just now gets our FIN
		 * and retries, not a reset. */
		conn_linger(&c, WORKER_GIVEWAY_DRAIN_MS);
		break;
	}
 done:
	sb_set_client(w->sb, w->slot, "");
	sb_set_state(w->sb, w->slot, SB_IDLE, 0);
}

/* Set up the worker in the child just forked. */
static void
worker_init(struct worker *w, const struct worker_args *wa)
{
	struct epoll_event ev;
	const struct conf *conf = wa->conf;
	size_t		 i;
	int		 rc;

	memset(w, 0, sizeof(*w));
	w->slot = wa->slot;
	w->sb = wa->sb;
	w->listeners = wa->listeners;
	w->nlisteners = wa->nlisteners;
	w->epfd = -1;
	atomic_store(&w->sb->slot[w->slot].pid, (int32_t)getpid());
	log_procinit();
	proc_worker_signals();
	proc_watch_parent(wa->master_pid);
	/* As root still, so the LMDB lock file opens read-write. */
	if ((rc = mb_open(&w->mb, conf->metabase, MB_RDONLY)) != 0)
		fatalx("%s", mb_errdetail(NULL));
	if (conf->drop && proc_drop_privileges(conf->user, conf->uid,
	    conf->gid, wa->master_pid) == -1)
		fatal("cannot drop privileges");
	settings_defaults(&w->svc);
	if (mb_begin(w->mb) == 0) {
		if (settings_lookup(w->mb, 0, &w->svc) == 0)
			w->svc_txnid = mb_txnid(w->mb);
		mb_end(w->mb);
	}
	tls_worker_init(pick_site, w);
	accesslog_share(&w->sb->alog_failing);
	if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	for (i = 0; i < w->nlisteners; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->listeners[i].fd,
		    &ev) == -1)
			fatal("epoll_ctl");
	}
}

void
worker_main(const struct worker_args *wa)
{
	/* Big (the buffers): static, and one per process anyway. */
	static struct worker	 w;
	struct sockaddr_storage	 peer;
	const struct listener	*li;
	int			 fd;

	worker_init(&w, wa);
	sb_set_state(w.sb, w.slot, SB_IDLE, 0);
	while (w.nlisteners > 0) {
		reopen_if_asked();
		if (worker_stopping(&w) || sb_retiring(w.sb, w.slot, 0))
			break;
		if ((fd = accept_next(&w, &peer, &li)) == -1)
			continue;
		serve_connection(&w, fd, &peer, li);
	}
	sb_set_state(w.sb, w.slot, SB_GRACEFUL, 0);
	mb_close(w.mb);
	exit(0);
}
