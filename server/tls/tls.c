/*
 * tls.c - the certificate table, the contexts, the handshake and the
 * transport of TLS connections.
 */
/* pread() */
#define _XOPEN_SOURCE 700
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "server/limits.h"
#include "server/core/log.h"
#include "server/tls/certfile.h"
#include "server/tls/tls.h"
#include "server/worker/conn.h"

/* Mozilla's "intermediate" profile (TLS 1.3 suites are OpenSSL's). */
#define TLS12_CIPHERS	"ECDHE-ECDSA-AES128-GCM-SHA256:"		\
			"ECDHE-RSA-AES128-GCM-SHA256:"			\
			"ECDHE-ECDSA-AES256-GCM-SHA384:"		\
			"ECDHE-RSA-AES256-GCM-SHA384:"			\
			"ECDHE-ECDSA-CHACHA20-POLY1305:"		\
			"ECDHE-RSA-CHACHA20-POLY1305:"			\
			"DHE-RSA-AES128-GCM-SHA256:"			\
			"DHE-RSA-AES256-GCM-SHA384:"			\
			"DHE-RSA-CHACHA20-POLY1305"
#define TLS13_CIPHERS	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
			"TLS_CHACHA20_POLY1305_SHA256"
#define TLS_GROUPS	"X25519:prime256v1:secp384r1"

/* What a file looked like when it was loaded. */
struct filesig {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
};

/* One certificate and key pair, loaded. */
struct cert {
	char		*cert, *key;	/* the paths */
	SSL_CTX		*ctx;		/* NULL: never loaded */
	struct filesig	 sc, sk;	/* the files when loaded */
	struct filesig	 bad_sc, bad_sk; /* the files when a load failed */
	time_t		 not_after;
	int		 used;		/* by a site, this sync */
};

struct site_cert {
	uint32_t	 site;
	size_t		 cert;		/* index in certs */
};

static SSL_CTX		*base;		/* every connection starts here */
static time_t		 base_keys_made;
static struct cert	*certs;
static size_t		 ncerts;
static struct site_cert	*map;		/* sorted by site */
static size_t		 nmap;

static tls_pick_fn	*pick_fn;
static void		*pick_arg;

static void
sig_of(const struct stat *st, struct filesig *s)
{
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime = st->st_mtim;
}

static int
sig_same(const struct filesig *a, const struct filesig *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* ALPN: http/1.1 or nothing; no HTTP/2 on these sockets. */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned inlen, void *arg)
{
	static const unsigned char ours[] = "\x08http/1.1";
	unsigned char	*sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, ours, sizeof(ours) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *
site_ctx(uint32_t site)
{
	size_t	 lo = 0, hi = nmap, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (map[mid].site == site)
			return certs[map[mid].cert].ctx;
		if (map[mid].site < site)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* SNI, or none: the site, then its certificate. */
static int
servername(SSL *ssl, int *al, void *arg)
{
	const struct conn *c = SSL_get_app_data(ssl);
	const char	*name;
	uint32_t	 site;
	SSL_CTX		*ctx;

	(void)arg;
	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (pick_fn == NULL || pick_fn(pick_arg, c, name,
	    name != NULL ? strlen(name) : 0, &site) != 0) {
		*al = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	if ((ctx = site_ctx(site)) == NULL) {
		log_debug("site %lu has no certificate loaded",
		    (unsigned long)site);
		*al = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	if (SSL_set_SSL_CTX(ssl, ctx) == NULL) {
		*al = SSL_AD_INTERNAL_ERROR;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	return SSL_TLSEXT_ERR_OK;
}

/* The settings every context has, the base and each certificate's. */
static SSL_CTX *
ctx_new(void)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, TLS13_CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1 ||
	    SSL_CTX_set_dh_auto(ctx, 1) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Sessions travel in tickets, which every worker can open. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	return ctx;
}

static int
new_ticket_keys(void)
{
	unsigned char	 keys[80];	/* name, HMAC key, AES key */

	if (RAND_bytes(keys, sizeof(keys)) != 1 ||
	    SSL_CTX_set_tlsext_ticket_keys(base, keys, sizeof(keys)) != 1)
		return -1;
	OPENSSL_cleanse(keys, sizeof(keys));
	base_keys_made = time(NULL);
	return 0;
}

/* The base context, at the first site with a certificate. */
static int
base_init(void)
{
	if (base != NULL)
		return 0;
	if ((base = ctx_new()) == NULL) {
		log_warnx("cannot set up TLS: %s",
		    ERR_reason_error_string(ERR_get_error()));
		return -1;
	}
	SSL_CTX_set_tlsext_servername_callback(base, servername);
	if (new_ticket_keys() == -1) {
		log_warnx("cannot make TLS session-ticket keys");
		SSL_CTX_free(base);
		base = NULL;
		return -1;
	}
	return 0;
}

/*
 * Load certs[i] from its files when they are not what was loaded.
 * Returns 1 when it loaded, 0 when nothing changed or the load failed
 * (said once for the same files).
 */
static int
load(struct cert *ce)
{
	struct filesig	 sc, sk;
	struct stat	 st;
	SSL_CTX		*ctx;
	char		 err[1200];
	time_t		 na;

	if (stat(ce->cert, &st) == -1) {
		memset(&sc, 0, sizeof(sc));
		sc.size = -1;
	} else
		sig_of(&st, &sc);
	if (stat(ce->key, &st) == -1) {
		memset(&sk, 0, sizeof(sk));
		sk.size = -1;
	} else
		sig_of(&st, &sk);
	if (ce->ctx != NULL && sig_same(&sc, &ce->sc) && sig_same(&sk, &ce->sk))
		return 0;
	if (sig_same(&sc, &ce->bad_sc) && sig_same(&sk, &ce->bad_sk))
		return 0;
	if ((ctx = ctx_new()) == NULL) {
		log_warnx("cannot set up TLS: out of memory");
		return 0;
	}
	if (certfile_use(ctx, ce->cert, ce->key, err, sizeof(err)) == -1 ||
	    certfile_check_cert(ce->cert, &na, err, sizeof(err)) == -1) {
		SSL_CTX_free(ctx);
		ce->bad_sc = sc;
		ce->bad_sk = sk;
		if (ce->ctx != NULL)
			log_warnx("%s; still using the certificate loaded "
			    "before", err);
		else
			log_warnx("%s; its sites cannot be reached over TLS",
			    err);
		return 0;
	}
	if (ce->ctx != NULL) {
		SSL_CTX_free(ce->ctx);
		log_info("certificate '%s' reloaded", ce->cert);
	}
	ce->ctx = ctx;
	ce->sc = sc;
	ce->sk = sk;
	ce->not_after = na;
	memset(&ce->bad_sc, 0, sizeof(ce->bad_sc));
	memset(&ce->bad_sk, 0, sizeof(ce->bad_sk));
	return 1;
}

/* The index of the pair in certs, added if new; (size_t)-1 when out of
 * memory. */
static size_t
cert_index(const char *cert, const char *key)
{
	struct cert	*p;
	size_t		 i;

	for (i = 0; i < ncerts; i++)
		if (strcmp(certs[i].cert, cert) == 0 &&
		    strcmp(certs[i].key, key) == 0)
			return i;
	if ((p = realloc(certs, (ncerts + 1) * sizeof(*p))) == NULL)
		return (size_t)-1;
	certs = p;
	p = &certs[ncerts];
	memset(p, 0, sizeof(*p));
	if ((p->cert = strdup(cert)) == NULL ||
	    (p->key = strdup(key)) == NULL) {
		free(p->cert);
		return (size_t)-1;
	}
	return ncerts++;
}

/* The certificate site used until now, or (size_t)-1. */
static size_t
old_cert(const struct site_cert *m, size_t n, uint32_t site)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (m[i].site == site)
			return m[i].cert;
	return (size_t)-1;
}

static int
cmp_site(const void *a, const void *b)
{
	const struct site_cert *x = a, *y = b;

	return x->site < y->site ? -1 : x->site > y->site;
}

/* Drop the certificates no site uses; renumbers the map's indexes. */
static void
drop_unused(void)
{
	size_t	*to, i, j;

	if ((to = calloc(ncerts + 1, sizeof(*to))) == NULL)
		return;
	for (i = j = 0; i < ncerts; i++) {
		if (!certs[i].used) {
			SSL_CTX_free(certs[i].ctx);
			free(certs[i].cert);
			free(certs[i].key);
			continue;
		}
		to[i] = j;
		certs[j++] = certs[i];
	}
	ncerts = j;
	for (i = 0; i < nmap; i++)
		map[i].cert = to[map[i].cert];
	free(to);
}

int
tls_sync(const struct tls_want *want, size_t nwant)
{
	struct site_cert *nm;
	size_t		 i, n = 0, ci, was, use;
	int		 changed = 0;

	if ((nm = calloc(nwant + 1, sizeof(*nm))) == NULL)
		return 0;
	for (i = 0; i < ncerts; i++)
		certs[i].used = 0;
	for (i = 0; i < nwant && base_init() == 0; i++) {
		if ((ci = cert_index(want[i].cert, want[i].key)) == (size_t)-1)
			continue;
		changed |= load(&certs[ci]);
		/* Kept loaded or not: a failed one is tried each second. */
		certs[ci].used = 1;
		was = old_cert(map, nmap, want[i].site);
		/* One that does not load leaves the site what it had. */
		use = certs[ci].ctx != NULL ? ci : was;
		if (use == (size_t)-1)
			continue;
		if (use != was)
			changed = 1;
		certs[use].used = 1;
		nm[n].site = want[i].site;
		nm[n++].cert = use;
	}
	if (n != nmap)
		changed = 1;
	qsort(nm, n, sizeof(*nm), cmp_site);
	free(map);
	map = nm;
	nmap = n;
	drop_unused();
	return changed;
}

int
tls_refresh(void)
{
	size_t	 i;
	int	 changed = 0;

	if (base == NULL)
		return 0;
	for (i = 0; i < ncerts; i++)
		changed |= load(&certs[i]);
	if (time(NULL) - base_keys_made >= TLS_TICKET_ROTATE_SECS) {
		if (new_ticket_keys() == 0) {
			log_info("new TLS session-ticket keys");
			changed = 1;
		}
	}
	return changed;
}

time_t
tls_site_expiry(uint32_t site)
{
	size_t	 i;

	for (i = 0; i < nmap; i++)
		if (map[i].site == site)
			return certs[map[i].cert].ctx != NULL ?
			    certs[map[i].cert].not_after : 0;
	return 0;
}

void
tls_worker_init(tls_pick_fn *pick, void *arg)
{
	pick_fn = pick;
	pick_arg = arg;
}

/*
 * The socket under OpenSSL, as conn.c uses it: a read blocks (up to
 * SO_RCVTIMEO) only when the transport's caller asked to wait, else it
 * is MSG_DONTWAIT; a write never blocks and never raises SIGPIPE.  So a
 * kept-alive connection waits for its next request in one read(2), as a
 * plain one does, with no poll(2) and no O_NONBLOCK to switch.
 */
static BIO_METHOD	*conn_bio;

static int
bio_read(BIO *b, char *buf, int len)
{
	struct conn	*c = BIO_get_data(b);
	ssize_t		 n;

	BIO_clear_retry_flags(b);
	n = recv(c->fd, buf, (size_t)len, c->tls_wait ? 0 : MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		BIO_set_retry_read(b);
	return (int)n;
}

static int
bio_write(BIO *b, const char *buf, int len)
{
	struct conn	*c = BIO_get_data(b);
	ssize_t		 n;

	BIO_clear_retry_flags(b);
	n = send(c->fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		BIO_set_retry_write(b);
	return (int)n;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

int
tls_begin(struct conn *c)
{
	SSL	*ssl;
	BIO	*b;

	if (base == NULL)
		return -1;
	if (conn_bio == NULL) {
		if ((conn_bio = BIO_meth_new(BIO_get_new_index() |
		    BIO_TYPE_SOURCE_SINK, "mbhttpd connection")) == NULL ||
		    BIO_meth_set_read(conn_bio, bio_read) != 1 ||
		    BIO_meth_set_write(conn_bio, bio_write) != 1 ||
		    BIO_meth_set_ctrl(conn_bio, bio_ctrl) != 1 ||
		    BIO_meth_set_create(conn_bio, bio_create) != 1)
			return -1;
	}
	if ((ssl = SSL_new(base)) == NULL)
		return -1;
	if ((b = BIO_new(conn_bio)) == NULL) {
		SSL_free(ssl);
		return -1;
	}
	BIO_set_data(b, c);
	SSL_set_bio(ssl, b, b);
	SSL_set_app_data(ssl, c);
	c->tls = ssl;
	c->tls_wait = 0;
	return 0;
}

int
tls_handshake(struct conn *c, short *events)
{
	int	 r, e;

	ERR_clear_error();
	if ((r = SSL_accept(c->tls)) == 1)
		return 1;
	e = SSL_get_error(c->tls, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	log_debug("TLS handshake with %s: %s", c->cip,
	    e == SSL_ERROR_SSL ? ERR_reason_error_string(ERR_peek_error()) :
	    "connection lost");
	ERR_clear_error();
	c->broken = 1;
	return -1;
}

int
tls_serves(const struct conn *c, uint32_t site)
{
	SSL_CTX	*ctx = site_ctx(site);

	return ctx != NULL && ctx == SSL_get_SSL_CTX(c->tls);
}

/*
 * The transport.
 */

/* Wait up to ms for the socket to be ready for what SSL wants. */
static int
wait_for(struct conn *c, int e, int ms)
{
	struct pollfd	 p;

	p.fd = c->fd;
	p.events = e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
	return poll(&p, 1, ms);
}

static ssize_t
tls_recv(struct conn *c, void *buf, size_t len, int flags)
{
	int	 n, e;

	/* After our close_notify, what comes is only drained. */
	if (c->tls_shut)
		return recv(c->fd, buf, len, MSG_DONTWAIT);
	/* Without MSG_DONTWAIT a read may block, up to SO_RCVTIMEO. */
	c->tls_wait = !(flags & MSG_DONTWAIT) && SSL_pending(c->tls) == 0;
	ERR_clear_error();
	n = SSL_read(c->tls, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	c->tls_wait = 0;
	if (n > 0)
		return n;
	e = SSL_get_error(c->tls, n);
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		/* The wait's second passed, a signal came, or only part of
		 * a record did: as recv(2) would say. */
		if (errno != EINTR)
			errno = EAGAIN;
		return -1;
	}
	ERR_clear_error();
	errno = ECONNRESET;
	return -1;
}

static ssize_t
tls_send(struct conn *c, const void *buf, size_t len, int flags)
{
	int	 n, e;

	(void)flags;
	ERR_clear_error();
	if ((n = SSL_write(c->tls, buf, len > INT32_MAX ? INT32_MAX :
	    (int)len)) > 0)
		return n;
	e = SSL_get_error(c->tls, n);
	ERR_clear_error();
	errno = e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ?
	    EAGAIN : EPIPE;
	return -1;
}

/* No kernel TLS: the file is read, then encrypted and sent. */
static ssize_t
tls_sendfile(struct conn *c, int fd, off_t *off, size_t count)
{
	static char	 buf[TLS_FILE_CHUNK];
	ssize_t		 got, n;
	size_t		 done = 0;
	int		 e;

	if (count > sizeof(buf))
		count = sizeof(buf);
	if ((got = pread(fd, buf, count, *off)) <= 0)
		return got == 0 ? (errno = EIO, -1) : -1;
	while (done < (size_t)got) {
		ERR_clear_error();
		if ((n = SSL_write(c->tls, buf + done,
		    (int)((size_t)got - done))) > 0) {
			done += (size_t)n;
			continue;
		}
		e = SSL_get_error(c->tls, (int)n);
		if ((e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) ||
		    wait_for(c, e, WORKER_SEND_TIMEOUT * 1000) <= 0) {
			ERR_clear_error();
			if (done == 0)
				return -1;
			break;
		}
	}
	*off += (off_t)done;
	return (ssize_t)done;
}

static size_t
tls_pending(struct conn *c)
{
	int	 n = SSL_pending(c->tls);

	return n > 0 ? (size_t)n : 0;
}

static int
tls_shutdown(struct conn *c)
{
	ERR_clear_error();
	(void)SSL_shutdown(c->tls);	/* close_notify; no wait for theirs */
	ERR_clear_error();
	c->tls_shut = 1;
	return shutdown(c->fd, SHUT_WR);
}

static void
tls_end(struct conn *c)
{
	if (c->tls != NULL && !c->tls_shut && !c->broken) {
		ERR_clear_error();
		(void)SSL_shutdown(c->tls);
	}
	ERR_clear_error();
	SSL_free(c->tls);
	c->tls = NULL;
}

const struct conn_io conn_tls = {
	tls_recv, tls_send, tls_sendfile, tls_pending, tls_shutdown, tls_end
};
