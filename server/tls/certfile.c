/*
 * certfile.c - certificate and key files, read with OpenSSL.
 */
/* timegm() */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "server/tls/certfile.h"

/* An encrypted key is refused, never asked for on a terminal. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static BIO *
open_file(const char *path, char *err, size_t errlen)
{
	BIO	*b;
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	if ((b = BIO_new_fp(f, BIO_CLOSE)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "cannot read '%s': out of memory", path);
	}
	return b;
}

static X509 *
read_cert(BIO *b, const char *path, char *err, size_t errlen)
{
	X509	*x;

	if ((x = PEM_read_bio_X509(b, NULL, no_password, NULL)) == NULL)
		snprintf(err, errlen, "'%s' holds no PEM certificate", path);
	ERR_clear_error();
	return x;
}

static EVP_PKEY *
read_key(const char *path, char *err, size_t errlen)
{
	EVP_PKEY	*k;
	BIO		*b;

	if ((b = open_file(path, err, errlen)) == NULL)
		return NULL;
	if ((k = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL)) == NULL)
		snprintf(err, errlen, "'%s' holds no unencrypted PEM private "
		    "key", path);
	ERR_clear_error();
	BIO_free(b);
	return k;
}

int
certfile_use(SSL_CTX *ctx, const char *cert, const char *key, char *err,
    size_t errlen)
{
	EVP_PKEY	*k = NULL;
	X509		*x, *ca;
	BIO		*b;
	int		 rc = -1;

	if ((b = open_file(cert, err, errlen)) == NULL)
		return -1;
	if ((x = read_cert(b, cert, err, errlen)) == NULL)
		goto free_bio;
	if (SSL_CTX_use_certificate(ctx, x) != 1) {
		snprintf(err, errlen, "'%s': the certificate is not usable "
		    "(key too weak?)", cert);
		goto free_cert;
	}
	SSL_CTX_clear_chain_certs(ctx);
	while ((ca = PEM_read_bio_X509(b, NULL, no_password, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
			X509_free(ca);
			snprintf(err, errlen, "'%s': cannot use its chain",
			    cert);
			goto free_cert;
		}
	ERR_clear_error();
	if ((k = read_key(key, err, errlen)) == NULL)
		goto free_cert;
	if (!X509_check_private_key(x, k)) {
		snprintf(err, errlen, "the key in '%s' does not match the "
		    "certificate in '%s'", key, cert);
		goto free_key;
	}
	if (SSL_CTX_use_PrivateKey(ctx, k) != 1) {
		snprintf(err, errlen, "'%s': the key is not usable", key);
		goto free_key;
	}
	rc = 0;
 free_key:
	EVP_PKEY_free(k);
 free_cert:
	X509_free(x);
 free_bio:
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

/* The first certificate of file path, or NULL with err set. */
static X509 *
load_cert(const char *path, char *err, size_t errlen)
{
	X509	*x;
	BIO	*b;

	if ((b = open_file(path, err, errlen)) == NULL)
		return NULL;
	x = read_cert(b, path, err, errlen);
	BIO_free(b);
	return x;
}

int
certfile_check_cert(const char *cert, time_t *not_after, char *err,
    size_t errlen)
{
	struct tm	 tm;
	X509		*x;

	if ((x = load_cert(cert, err, errlen)) == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1) {
		snprintf(err, errlen, "'%s': the certificate's expiry date "
		    "does not read", cert);
		X509_free(x);
		return -1;
	}
	*not_after = timegm(&tm);
	X509_free(x);
	return 0;
}

int
certfile_check_key(const char *key, char *err, size_t errlen)
{
	EVP_PKEY	*k;

	if ((k = read_key(key, err, errlen)) == NULL)
		return -1;
	EVP_PKEY_free(k);
	return 0;
}

int
certfile_match(const char *cert, const char *key, char *err, size_t errlen)
{
	EVP_PKEY	*k;
	X509		*x;
	int		 ok;

	if ((x = load_cert(cert, err, errlen)) == NULL)
		return -1;
	if ((k = read_key(key, err, errlen)) == NULL) {
		X509_free(x);
		return -1;
	}
	ok = X509_check_private_key(x, k) == 1;
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(x);
	return ok;
}

int
certfile_covers(const char *cert, const char *host)
{
	char	 err[8];
	X509	*x;
	int	 rc;

	if ((x = load_cert(cert, err, sizeof(err))) == NULL)
		return -1;
	rc = X509_check_host(x, host, 0, 0, NULL);
	X509_free(x);
	return rc == 1 ? 1 : rc == 0 ? 0 : -1;
}
