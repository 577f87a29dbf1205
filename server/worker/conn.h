/*
 * conn.h - one client connection: the only code that touches its socket.
 *
 * Reading fills the connection's read buffer (rbuf[rstart .. rend) are
 * bytes not yet parsed; rbuf[0 .. floor) holds the head of the request in
 * hand, which the parsed request points into and which nothing moves).
 * Writing sends whole buffers or file ranges, bounded in time so that a
 * client that stops reading cannot hold a worker for ever.  Closing is
 * either at once or lingering (half-close, drain, close), so that unread
 * data does not reset a response still in flight.
 *
 * Every byte goes through c->io, a transport: plain TCP here, TLS in
 * server/tls/tls.c, each the same six calls.  A transport may hold bytes of its own
 * (decrypted, not yet read): conn_pending() says so, and the wait
 * functions return at once when it does.
 */
#ifndef CONN_H
#define CONN_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct conn;

/* A transport.  Each returns as recv(2), send(2) and sendfile(2) do. */
struct conn_io {
	/* flags: MSG_DONTWAIT, or 0 to block (up to SO_RCVTIMEO) */
	ssize_t	(*recv)(struct conn *, void *, size_t, int flags);
	/* flags: MSG_MORE when more follows at once; never blocks */
	ssize_t	(*send)(struct conn *, const void *, size_t, int flags);
	/* from file fd at *off; blocks up to SO_SNDTIMEO */
	ssize_t	(*sendfile)(struct conn *, int fd, off_t *off, size_t);
	/* bytes the transport holds that recv() returns without waiting */
	size_t	(*pending)(struct conn *);
	/* the end of our side: no more sends */
	int	(*shutdown)(struct conn *);
	/* the connection is closing: free what the transport holds */
	void	(*end)(struct conn *);
};

/* Plain TCP. */
extern const struct conn_io conn_plain;

struct conn {
	int		 fd;
	const struct conn_io *io;
	char		*rbuf;			/* the worker's read buffer */
	size_t		 rcap;
	size_t		 rstart, rend;		/* unparsed bytes in rbuf */
	size_t		 floor;			/* [0, floor): head in use */
	char		 lip[INET6_ADDRSTRLEN];	/* local address */
	unsigned	 lport;
	char		 cip[INET6_ADDRSTRLEN];	/* client address */
	unsigned	 nreq;			/* requests begun */
	int		 rcvtimeo;		/* SO_RCVTIMEO, TCP_NODELAY */
	int		 sndtimeo;		/* SO_SNDTIMEO set */
	int		 broken;		/* a write failed */
	void		*tls;			/* TLS: its SSL, else NULL */
	int		 tls_shut;		/* close_notify sent */
	int		 tls_wait;		/* TLS: a read may block */
};

/*
 * Take the accepted socket fd from peer, reached at local address lip
 * (inet_ntop text; "" when the listener is a wildcard, and then asked of
 * the socket) and port lport.  Allocates nothing.
 */
void	conn_init(struct conn *c, int fd, const struct conn_io *io,
	    char *rbuf, size_t rcap, const struct sockaddr_storage *peer,
	    const char *lip, unsigned lport);

/* Make room at the end of rbuf, keeping the unparsed bytes above floor. */
void	conn_compact(struct conn *c);
/* Milliseconds since t0 (CLOCK_MONOTONIC): what deadlines count from. */
uint64_t	conn_elapsed_ms(const struct timespec *t0);
/*
 * Read more bytes of a request whose first bytes have come (or the first
 * of a new connection): wait until deadline_ms after t0.  Returns the
 * bytes read, 0 at end of file, -1 on error, or on timeout with errno
 * ETIMEDOUT.
 */
ssize_t	conn_read(struct conn *c, const struct timespec *t0,
	    uint64_t deadline_ms);
/*
 * Between requests: one blocking read of at most a second (SO_RCVTIMEO,
 * set once with TCP_NODELAY: a kept-alive connection's small responses
 * must not wait for ACKs).  Returns bytes read, 0 at end of file, -1 with
 * errno EAGAIN (the second passed), EINTR, or another error.
 */
ssize_t	conn_read_wait(struct conn *c);
/* A read that never waits; as conn_read_wait(). */
ssize_t	conn_read_now(struct conn *c);
/*
 * Wait up to ms for the connection, or one of the extra descriptors
 * p[1 .. n), to be readable; p[0] is the connection's and is filled in
 * here.  Returns as poll(2); p[0].revents is POLLIN at once when the
 * transport holds bytes.
 */
int	conn_poll(struct conn *c, struct pollfd *p, size_t n, int ms);

/*
 * Send all of buf; more says more follows at once (MSG_MORE).  A client
 * that takes no byte for WORKER_SEND_TIMEOUT seconds is given up.
 * Returns the bytes sent: all of len, or fewer when the connection broke
 * (c->broken is then set).
 */
ssize_t	conn_send(struct conn *c, const void *buf, size_t len, int more);
/* Send count bytes of file fd from off; as conn_send(). */
off_t	conn_sendfile(struct conn *c, int fd, off_t off, off_t count);

/* Close now. */
void	conn_close(struct conn *c);
/*
 * Half-close, read and drop what the client still sends for up to ms,
 * then close: a close with unread data would reset the connection and
 * destroy the response.  A broken connection is closed at once.
 */
void	conn_linger(struct conn *c, uint64_t ms);

#endif /* CONN_H */
