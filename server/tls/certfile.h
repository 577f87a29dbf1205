/*
 * certfile.h - a certificate and its private key as PEM files, read and
 * checked: what the server loads for a site's TLS and what mbctl checks
 * before it stores a path.  OpenSSL only; nothing of the server's state.
 *
 * The certificate file holds the site's certificate first, then the
 * chain that leads to a trusted root (as certbot's fullchain.pem).  The
 * key file holds one private key (RSA or EC), unencrypted.
 */
#ifndef CERTFILE_H
#define CERTFILE_H

#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

/*
 * Load the certificate chain of file cert and the private key of file
 * key into ctx, and check that the key is the certificate's.  Returns 0,
 * or -1 with one line in err ("'/x.pem': no certificate in it", "the key
 * in '/k.pem' does not match the certificate in '/c.pem'").
 */
int	certfile_use(SSL_CTX *ctx, const char *cert, const char *key,
	    char *err, size_t errlen);

/*
 * Read the first certificate of file cert: 0 with its expiry in
 * *not_after, or -1 with one line in err.
 */
int	certfile_check_cert(const char *cert, time_t *not_after, char *err,
	    size_t errlen);
/* Read the private key of file key: 0, or -1 with one line in err. */
int	certfile_check_key(const char *key, char *err, size_t errlen);
/*
 * Whether the private key in file key is that of the certificate in file
 * cert: 1 yes, 0 no, -1 either does not read (err says which).
 */
int	certfile_match(const char *cert, const char *key, char *err,
	    size_t errlen);
/*
 * Whether the certificate in file cert covers host name host (its
 * subjectAltName, with wildcards as RFC 6125 allows): 1, 0, or -1.
 */
int	certfile_covers(const char *cert, const char *host);

#endif /* CERTFILE_H */
