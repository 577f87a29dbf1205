/*
 * authcheck.c - Basic authentication against AuthUsers.
 */
#include <crypt.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "server/http/auth.h"
#include "server/worker/authcheck.h"

static unsigned char	 cache[AUTH_CACHE][32];
static unsigned		 cache_next;
static struct crypt_data cdata;		/* big: one per worker */
static char		 dummy[CRYPT_OUTPUT_SIZE];	/* for unknown users */

/* The Authorization field of req, or NULL. */
static const struct hp_header *
authorization(const struct hp_request *req)
{
	size_t	 i;

	for (i = 0; i < req->nheaders; i++)
		if (req->headers[i].name_len == 13 &&
		    strncasecmp(req->headers[i].name, "Authorization", 13) == 0)
			return &req->headers[i];
	return NULL;
}

/* SHA-256 of hash, user and pass, each ended by a NUL. */
static int
digest(const char *hash, const char *user, const char *pass,
    unsigned char out[32])
{
	EVP_MD_CTX	*md;
	unsigned	 n = 0;
	int		 ok;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, hash, strlen(hash) + 1) == 1 &&
	    EVP_DigestUpdate(md, user, strlen(user) + 1) == 1 &&
	    EVP_DigestUpdate(md, pass, strlen(pass) + 1) == 1 &&
	    EVP_DigestFinal_ex(md, out, &n) == 1 && n == 32;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static int
cached(const unsigned char d[32])
{
	size_t	 i;
	int	 hit = 0;

	for (i = 0; i < AUTH_CACHE; i++)
		hit |= CRYPTO_memcmp(cache[i], d, 32) == 0;
	return hit;
}

/* Whether pass is the password of hash. */
static int
password_ok(const char *hash, const char *pass)
{
	const char	*h;
	size_t		 n = strlen(hash);

	memset(&cdata, 0, sizeof(cdata));
	h = crypt_rn(pass, hash, &cdata, sizeof(cdata));
	return h != NULL && h[0] != '*' && strlen(h) == n &&
	    CRYPTO_memcmp(h, hash, n) == 0;
}

/* The hash of user in AuthUsers v, copied into out; -1 if none. */
static int
find_user(const struct mb_value *v, const char *user, char *out, size_t len)
{
	const char	*s, *c;
	size_t		 ulen = strlen(user);

	MB_MULTISZ_FOREACH(s, v) {
		if ((c = strchr(s, ':')) == NULL || (size_t)(c - s) != ulen ||
		    memcmp(s, user, ulen) != 0 || strlen(c + 1) >= len)
			continue;
		memcpy(out, c + 1, strlen(c + 1) + 1);
		return 0;
	}
	return -1;
}

/* Spend on an unknown user what a known one costs. */
static void
waste(const char *pass)
{
	char	 salt[CRYPT_GENSALT_OUTPUT_SIZE];

	if (dummy[0] == '\0') {
		if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt,
		    sizeof(salt)) == NULL)
			return;
		memset(&cdata, 0, sizeof(cdata));
		if (crypt_rn("x", salt, &cdata, sizeof(cdata)) == NULL)
			return;
		memcpy(dummy, cdata.output, sizeof(dummy));
	}
	(void)password_ok(dummy, pass);
}

enum auth_result
authcheck(const struct mb_props *p, const struct hp_request *req, int tls,
    char *user, size_t len)
{
	const struct hp_header *h;
	char		 u[AUTH_MAXUSER + 1], pw[AUTH_MAXPASS + 1];
	char		 hash[CRYPT_OUTPUT_SIZE];
	unsigned char	 d[32];
	uint32_t	 flags = p->v[MB_P_AUTHFLAGS].dword;
	enum auth_result res = AUTH_ASK;
	int		 have;

	if (!(flags & MB_AUTH_BASIC) || (flags & MB_AUTH_ANONYMOUS))
		return AUTH_OPEN;
	if (!tls && !p->v[MB_P_AUTHBASICOVERHTTP].dword)
		return AUTH_NEEDS_TLS;
	if ((h = authorization(req)) == NULL ||
	    auth_basic_parse(h->value, h->value_len, u, pw) != 0)
		return AUTH_ASK;
	if (find_user(&p->v[MB_P_AUTHUSERS], u, hash, sizeof(hash)) != 0) {
		waste(pw);
		goto clear;
	}
	have = digest(hash, u, pw, d) == 0;
	if (have && cached(d))
		res = AUTH_OK;
	else if (password_ok(hash, pw)) {
		res = AUTH_OK;
		if (have)
			memcpy(cache[cache_next++ % AUTH_CACHE], d, 32);
	}
	if (res == AUTH_OK && strlen(u) < len)
		memcpy(user, u, strlen(u) + 1);
 clear:
	OPENSSL_cleanse(pw, sizeof(pw));
	return res;
}
