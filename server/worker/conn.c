/*
 * conn.c - a connection's reads, writes and closes, and the plain TCP
 * transport.
 */
/* sendfile, MSG_MORE, TCP_NODELAY are Linux's own. */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "server/limits.h"
#include "server/worker/conn.h"

static ssize_t
plain_recv(struct conn *c, void *buf, size_t len, int flags)
{
	return recv(c->fd, buf, len, flags);
}

static ssize_t
plain_send(struct conn *c, const void *buf, size_t len, int flags)
{
	return send(c->fd, buf, len, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
}

static ssize_t
plain_sendfile(struct conn *c, int fd, off_t *off, size_t count)
{
	return sendfile(c->fd, fd, off, count);
}

static size_t
plain_pending(struct conn *c)
{
	(void)c;
	return 0;
}

static int
plain_shutdown(struct conn *c)
{
	return shutdown(c->fd, SHUT_WR);
}

static void
plain_end(struct conn *c)
{
	(void)c;
}

const struct conn_io conn_plain = {
	plain_recv, plain_send, plain_sendfile, plain_pending, plain_shutdown,
	plain_end
};

uint64_t
conn_elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000 +
	    (uint64_t)((t.tv_nsec - t0->tv_nsec) / 1000000);
}

static void
ntop(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->
		    sin6_addr, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->
		    sin_addr, buf, (socklen_t)len);
}

void
conn_init(struct conn *c, int fd, const struct conn_io *io, char *rbuf,
    size_t rcap, const struct sockaddr_storage *peer, const char *lip,
    unsigned lport)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->io = io;
	c->rbuf = rbuf;
	c->rcap = rcap;
	ntop(peer, c->cip, sizeof(c->cip));
	c->lport = lport;
	if (lip[0] != '\0') {
		memcpy(c->lip, lip, sizeof(c->lip));
		return;
	}
	/* A wildcard socket: which of our addresses did the client reach? */
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		ntop(&ss, c->lip, sizeof(c->lip));
}

void
conn_compact(struct conn *c)
{
	if (c->rstart == c->floor)
		return;
	memmove(c->rbuf + c->floor, c->rbuf + c->rstart, c->rend - c->rstart);
	c->rend -= c->rstart - c->floor;
	c->rstart = c->floor;
}

static ssize_t
take(struct conn *c, ssize_t n)
{
	if (n > 0)
		c->rend += (size_t)n;
	return n;
}

ssize_t
conn_read(struct conn *c, const struct timespec *t0, uint64_t deadline_ms)
{
	struct pollfd	 p;
	uint64_t	 el;
	ssize_t		 n;

	if (c->rend == c->rcap)
		conn_compact(c);
	for (;;) {
		n = c->io->recv(c, c->rbuf + c->rend, c->rcap - c->rend,
		    MSG_DONTWAIT);
		if (n >= 0)
			return take(c, n);
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if ((el = conn_elapsed_ms(t0)) >= deadline_ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		p.fd = c->fd;
		p.events = POLLIN;
		poll(&p, 1, (int)(deadline_ms - el));
	}
}

ssize_t
conn_read_wait(struct conn *c)
{
	struct timeval	 tv = { 1, 0 };
	int		 one = 1;

	if (!c->rcvtimeo) {
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->rcvtimeo = 1;
	}
	return take(c, c->io->recv(c, c->rbuf + c->rend, c->rcap - c->rend,
	    c->io->pending(c) ? MSG_DONTWAIT : 0));
}

ssize_t
conn_read_now(struct conn *c)
{
	return take(c, c->io->recv(c, c->rbuf + c->rend, c->rcap - c->rend,
	    MSG_DONTWAIT));
}

int
conn_poll(struct conn *c, struct pollfd *p, size_t n, int ms)
{
	size_t	 i;

	p[0].fd = c->fd;
	p[0].events = POLLIN;
	p[0].revents = 0;
	if (c->io->pending(c)) {
		for (i = 1; i < n; i++)
			p[i].revents = 0;
		p[0].revents = POLLIN;
		return 1;
	}
	return poll(p, n, ms);
}

ssize_t
conn_send(struct conn *c, const void *buf, size_t len, int more)
{
	const char	*b = buf;
	struct pollfd	 p;
	size_t		 left = len;
	ssize_t		 n;

	while (left > 0) {
		n = c->io->send(c, b, left, more ? MSG_MORE : 0);
		if (n > 0) {
			b += n;
			left -= (size_t)n;
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
		break;
	}
	return (ssize_t)(len - left);
}

off_t
conn_sendfile(struct conn *c, int fd, off_t off, off_t count)
{
	struct timeval	 tv = { WORKER_SEND_TIMEOUT, 0 };
	off_t		 left = count;
	ssize_t		 n;

	/* sendfile(2) has no MSG_DONTWAIT: bound it with SO_SNDTIMEO. */
	if (!c->sndtimeo) {
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		c->sndtimeo = 1;
	}
	while (left > 0) {
		n = c->io->sendfile(c, fd, &off, (size_t)left);
		if (n > 0) {
			left -= n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		c->broken = 1;
		break;
	}
	return count - left;
}

void
conn_close(struct conn *c)
{
	c->io->end(c);
	close(c->fd);
	c->fd = -1;
}

void
conn_linger(struct conn *c, uint64_t ms)
{
	struct timespec	 t0;
	struct pollfd	 p;
	uint64_t	 el;
	ssize_t		 n;
	char		 drop[4096];

	if (c->broken || c->io->shutdown(c) == -1)
		goto close_fd;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((el = conn_elapsed_ms(&t0)) < ms) {
		p.fd = c->fd;
		p.events = POLLIN;
		n = poll(&p, 1, (int)(ms - el));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		n = c->io->recv(c, drop, sizeof(drop), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			break;
	}
 close_fd:
	conn_close(c);
}
