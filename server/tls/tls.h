/*
 * tls.h - TLS on the sockets of SecureBindings, with OpenSSL.
 *
 * The master loads the certificate and key of every started site that
 * has secure bindings, as root and before it forks, into a table that
 * the workers inherit: a worker never opens a key file, and the keys
 * stay readable by root alone.  The master looks at the files once a
 * second (stat(2), so a renewal that replaces them, as certbot does, is
 * seen) and at every metabase change; when a certificate changed and
 * loads, it starts new workers that have it and lets the old ones finish
 * their connections (master.c).  One that fails to load leaves the one
 * before in use, with one error-log line.
 *
 * Every connection starts from one context (the protocols, TLS 1.2 and
 * 1.3; Mozilla's "intermediate" ciphers in the server's order; ALPN
 * http/1.1 alone; no compression, no renegotiation), made by the master:
 * its session-ticket keys are the same in every worker, so a client
 * resumes its session on whichever worker it reaches next.  The keys are
 * replaced every TLS_TICKET_ROTATE_SECS.  SNI picks the site through the
 * secure bindings (tls_worker_init()'s pick function) and with it the
 * site's certificate; a name no binding answers, with no binding for the
 * address and port alone to fall back on, fails the handshake with an
 * unrecognized_name alert.
 *
 * A connection's transport is conn_tls (server/worker/conn.h); its socket
 * is non-blocking, and the waits are poll(2)s, as conn.c's own.
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct conn;
struct conn_io;

/* A started site with secure bindings, and the files it names. */
struct tls_want {
	uint32_t	 site;
	const char	*cert, *key;
};

/*
 * The master: bring the table in line with want[0 .. n), loading what is
 * new.  Returns 1 when
 * what the workers hold should change (a new certificate loaded, a site
 * moved to another), else 0.  A site whose files fail to load keeps what
 * it had; the failure is logged once.
 */
int	tls_sync(const struct tls_want *want, size_t n);
/*
 * The master, once a second: reload the certificates whose files changed
 * on disk, and replace the ticket keys when due.  1 when the workers
 * should be replaced, else 0.
 */
int	tls_refresh(void);
/* When the certificate in use for site expires; 0 if it has none. */
time_t	tls_site_expiry(uint32_t site);

/*
 * A worker: the site for a TLS connection c to which the client gave the
 * server name name[0 .. len) (len 0: none), through the secure bindings.
 * 0 with *site set, or -1.
 */
typedef int tls_pick_fn(void *arg, const struct conn *c, const char *name,
	    size_t len, uint32_t *site);
void	tls_worker_init(tls_pick_fn *pick, void *arg);

/* The transport of a TLS connection. */
extern const struct conn_io conn_tls;

/*
 * Begin TLS on c (conn_init() with &conn_tls): 0, or -1 when out of
 * memory.  Then call tls_handshake() until it returns 1 (done) or -1
 * (failed: close c); 0 means wait for *events (POLLIN or POLLOUT) on
 * c->fd.
 */
int	tls_begin(struct conn *c);
int	tls_handshake(struct conn *c, short *events);
/*
 * Whether a request for site may be answered on c: the site has the
 * certificate the handshake chose (RFC 9110 7.4; 421 otherwise).
 */
int	tls_serves(const struct conn *c, uint32_t site);

#endif /* TLS_H */
