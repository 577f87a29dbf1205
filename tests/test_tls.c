/*
 * test_tls.c - HTTPS: the real server on real sockets, with certificates
 * made at test time by the openssl command, and curl, openssl s_client
 * and OpenSSL's own client as the clients.
 *
 * Each test has a certificate authority of its own, two sites (one.test
 * and two.test) with plain bindings on env.port and secure ones on
 * env.port2, each with its own certificate.
 */
/* strcasestr() */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mbt.h"

#define OUTLEN		(64 * 1024)
/* A renewal or a change is seen within a second or two; allow far more. */
#define CHANGE_BOUND_MS	15000

static struct mbt_env	 env;
static char		 ca[PATH_MAX];		/* the authority's certificate */
static char		 out[OUTLEN], err[OUTLEN];

static void	xsnprintf(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
xsnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < len, "does not fit: %s", fmt);
}

/* Run openssl with the arguments; it must succeed. */
static void
openssl(const char *const argv[])
{
	int	 rc;

	rc = mbt_run(argv, out, sizeof(out), err, sizeof(err), 60000);
	cr_assert_eq(rc, 0, "%s %s failed: %s", argv[0], argv[1], err);
}

static void
make_ca(void)
{
	char	 key[PATH_MAX];

	xsnprintf(ca, sizeof(ca), "%s/ca.pem", env.dir);
	xsnprintf(key, sizeof(key), "%s/ca.key", env.dir);
	openssl((const char *[]){ "/usr/bin/openssl", "req", "-x509",
	    "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
	    "-nodes", "-keyout", key, "-out", ca, "-days", "30", "-subj",
	    "/CN=mbhttpd test CA", NULL });
}

/*
 * A certificate for the names (comma separated) signed by the
 * authority, valid for days (negative: expired), as a chain file (leaf,
 * then the authority) at file and its key at keyfile.
 */
static void
make_cert(const char *names, int days, const char *file, const char *keyfile)
{
	char	 csr[PATH_MAX], crt[PATH_MAX], ext[PATH_MAX], cakey[PATH_MAX];
	char	 serial[PATH_MAX], d[16], san[1024], subj[300], *p, *q;
	char	*leaf, *root, *chain;
	size_t	 n;

	xsnprintf(csr, sizeof(csr), "%s.csr", file);
	xsnprintf(crt, sizeof(crt), "%s.crt", file);
	xsnprintf(ext, sizeof(ext), "%s.ext", file);
	xsnprintf(cakey, sizeof(cakey), "%s/ca.key", env.dir);
	xsnprintf(serial, sizeof(serial), "%s/ca.srl", env.dir);
	xsnprintf(d, sizeof(d), "%d", days);
	/* "DNS:a,DNS:b" and the first name as the subject. */
	n = 0;
	san[0] = '\0';
	for (p = strdup(names), q = strtok(p, ","); q != NULL;
	    q = strtok(NULL, ",")) {
		if (n == 0)
			xsnprintf(subj, sizeof(subj), "/CN=%s", q);
		n += (size_t)snprintf(san + n, sizeof(san) - n, "%sDNS:%s",
		    n ? "," : "", q);
	}
	free(p);
	xsnprintf(out, sizeof(out), "subjectAltName=%s\n", san);
	cr_assert_eq(mbt_write_file(ext, out), 0);
	openssl((const char *[]){ "/usr/bin/openssl", "req", "-new",
	    "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
	    "-nodes", "-keyout", keyfile, "-out", csr, "-subj", subj, NULL });
	openssl((const char *[]){ "/usr/bin/openssl", "x509", "-req", "-in",
	    csr, "-CA", ca, "-CAkey", cakey, "-CAserial", serial,
	    "-CAcreateserial", "-out", crt, "-days", d, "-extfile", ext,
	    NULL });
	cr_assert_not_null(leaf = mbt_slurp(crt));
	cr_assert_not_null(root = mbt_slurp(ca));
	n = strlen(leaf) + strlen(root) + 1;
	cr_assert_not_null(chain = malloc(n));
	snprintf(chain, n, "%s%s", leaf, root);
	/* Written beside, then renamed over: as certbot replaces files. */
	xsnprintf(crt, sizeof(crt), "%s.new", file);
	cr_assert_eq(mbt_write_file(crt, chain), 0);
	cr_assert_eq(rename(crt, file), 0);
	free(chain);
	free(root);
	free(leaf);
}

static void
cert_paths(const char *name, char *file, char *key)
{
	xsnprintf(file, PATH_MAX, "%s/%s.pem", env.dir, name);
	xsnprintf(key, PATH_MAX, "%s/%s.key", env.dir, name);
}

static int
mbctl(const char *const argv[])
{
	return mbt_mbctlv(&env, argv, out, sizeof(out), err, sizeof(err));
}

static void
ok(const char *const argv[])
{
	cr_assert_eq(mbctl(argv), 0, "mbctl %s %s: %s", argv[0], argv[1], err);
}

/* Site id "name" on both ports, with its own certificate. */
static void
tls_site(unsigned id, const char *name)
{
	char	 bind[128], sbind[128], key[64], file[PATH_MAX];
	char	 kfile[PATH_MAX], host[64];

	xsnprintf(host, sizeof(host), "%s.test", name);
	xsnprintf(bind, sizeof(bind), "127.0.0.1:%u:%s", env.port, host);
	xsnprintf(sbind, sizeof(sbind), "127.0.0.1:%u:%s", env.port2, host);
	cr_assert_eq(mbt_site(&env, id, name, bind), 0);
	cert_paths(name, file, kfile);
	make_cert(host, 10, file, kfile);
	xsnprintf(key, sizeof(key), "W3SVC/%u/SecureBindings", id);
	ok((const char *[]){ "set", key, sbind, NULL });
	xsnprintf(key, sizeof(key), "W3SVC/%u/SSLCertificateFile", id);
	ok((const char *[]){ "set", key, file, NULL });
	xsnprintf(key, sizeof(key), "W3SVC/%u/SSLCertificateKeyFile", id);
	ok((const char *[]){ "set", key, kfile, NULL });
}

static void
tls_init(void)
{
	cr_assert_eq(mbt_setup(&env), 0);
	make_ca();
	tls_site(1, "one");
	tls_site(2, "two");
}

static void
tls_fini(void)
{
	mbt_teardown(&env);
}

TestSuite(tls, .init = tls_init, .fini = tls_fini, .timeout = 120);

static void
start(void)
{
	cr_assert_eq(mbt_start(&env, NULL), 0, "the server did not start");
}

/*
 * OpenSSL as the client.
 */

/* The last session ticket the server gave (sessions_resume...). */
static SSL_SESSION	*last_session;

static int
keep_session(SSL *ssl, SSL_SESSION *sess)
{
	(void)ssl;
	SSL_SESSION_free(last_session);
	last_session = sess;
	return 1;
}

static SSL_CTX *
client_ctx(void)
{
	SSL_CTX	*ctx;

	cr_assert_not_null(ctx = SSL_CTX_new(TLS_client_method()));
	cr_assert_eq(SSL_CTX_load_verify_locations(ctx, ca, NULL), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, keep_session);
	return ctx;
}

/* A verified TLS connection to env.port2 with SNI sni (NULL: none). */
static SSL *
tls_open(SSL_CTX *ctx, const char *sni, SSL_SESSION *sess)
{
	SSL	*ssl;
	int	 fd;

	cr_assert((fd = mbt_connect(env.port2)) != -1, "connect: %s",
	    strerror(errno));
	cr_assert_not_null(ssl = SSL_new(ctx));
	SSL_set_fd(ssl, fd);
	if (sni != NULL) {
		SSL_set_tlsext_host_name(ssl, sni);
		SSL_set1_host(ssl, sni);
	}
	if (sess != NULL)
		SSL_set_session(ssl, sess);
	cr_assert_eq(SSL_connect(ssl), 1, "handshake with %s failed: %s",
	    sni ? sni : "(no name)",
	    ERR_reason_error_string(ERR_get_error()));
	return ssl;
}

static void
tls_close(SSL *ssl)
{
	int	 fd = SSL_get_fd(ssl);

	/* A session not ended with close_notify is not resumed (OpenSSL). */
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
}

struct tresp {
	int	 status;
	char	 head[16400];
	char	 body[8192];
};

/* Send req on ssl and read one response (Content-Length framed). */
static int
tls_get(SSL *ssl, const char *req, struct tresp *r)
{
	char	 buf[16384], *end, *cl;
	size_t	 have = 0, want;
	int	 n;

	memset(r, 0, sizeof(*r));
	if (SSL_write(ssl, req, (int)strlen(req)) <= 0)
		return -1;
	for (;;) {
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (have == sizeof(buf) - 1 ||
		    (n = SSL_read(ssl, buf + have,
		    (int)(sizeof(buf) - 1 - have))) <= 0)
			return -1;
		have += (size_t)n;
	}
	*end = '\0';
	snprintf(r->head, sizeof(r->head), "%s\r\n", buf);
	if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
		return -1;
	cl = strcasestr(r->head, "\r\nContent-Length:");
	want = cl != NULL ? (size_t)strtoul(cl + 17, NULL, 10) : 0;
	if (want >= sizeof(r->body))
		return -1;
	have -= (size_t)(end + 4 - buf);
	memcpy(r->body, end + 4, have);
	while (have < want) {
		if ((n = SSL_read(ssl, r->body + have, (int)(want - have))) <= 0)
			return -1;
		have += (size_t)n;
	}
	r->body[want] = '\0';
	return 0;
}

/* Whether the server has ended the TLS connection (within seconds). */
static int
tls_ended(SSL *ssl)
{
	char	 b[64];

	return SSL_read(ssl, b, sizeof(b)) <= 0;
}

/* Whether the server shows the leaf certificate of file for sni. */
static int
shows(const char *sni, const char *file)
{
	SSL_CTX	*ctx = client_ctx();
	X509	*peer, *mine;
	FILE	*f;
	SSL	*ssl;
	int	 same;

	ssl = tls_open(ctx, sni, NULL);
	cr_assert_not_null(peer = SSL_get1_peer_certificate(ssl));
	cr_assert_not_null(f = fopen(file, "r"));
	mine = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	same = mine != NULL && X509_cmp(peer, mine) == 0;
	X509_free(mine);
	X509_free(peer);
	tls_close(ssl);
	SSL_CTX_free(ctx);
	return same;
}

/* openssl s_client against env.port2 with the extra arguments. */
static int
s_client(const char *const extra[])
{
	const char	*av[32];
	char		 addr[64];
	size_t		 n = 0, i;

	xsnprintf(addr, sizeof(addr), "127.0.0.1:%u", env.port2);
	av[n++] = "/usr/bin/openssl";
	av[n++] = "s_client";
	av[n++] = "-connect";
	av[n++] = addr;
	av[n++] = "-CAfile";
	av[n++] = ca;
	for (i = 0; extra[i] != NULL && n < 30; i++)
		av[n++] = extra[i];
	av[n] = NULL;
	return mbt_run(av, out, sizeof(out), err, sizeof(err), 30000);
}

/* curl -s over https to host on env.port2; the status, body in out. */
static int
curl_https(const char *host, const char *path, const char *hdr)
{
	char	 url[256], resolve[128], code[16];
	const char *av[20];
	size_t	 n = 0;

	xsnprintf(url, sizeof(url), "https://%s:%u%s", host, env.port2, path);
	xsnprintf(resolve, sizeof(resolve), "%s:%u:127.0.0.1", host,
	    env.port2);
	av[n++] = "/usr/bin/curl";
	av[n++] = "-s";
	av[n++] = "--cacert";
	av[n++] = ca;
	av[n++] = "--resolve";
	av[n++] = resolve;
	av[n++] = "-w";
	av[n++] = "\n%{http_code}";
	if (hdr != NULL) {
		av[n++] = "-H";
		av[n++] = hdr;
	}
	av[n++] = url;
	av[n] = NULL;
	if (mbt_run(av, out, sizeof(out), err, sizeof(err), 30000) != 0)
		return -1;
	char *nl = strrchr(out, '\n');
	if (nl == NULL)
		return -1;
	snprintf(code, sizeof(code), "%s", nl + 1);
	*nl = '\0';
	return atoi(code);
}

/* What the server (run in the foreground) said. */
static char *
server_log(void)
{
	char	 path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/stderr.log", env.dir);
	return mbt_slurp(path);
}

/*
 * The tests.
 */

Test(tls, sni_picks_each_sites_certificate)
{
	char	 one[PATH_MAX], two[PATH_MAX], k[PATH_MAX];

	start();
	cr_assert_eq(curl_https("one.test", "/", NULL), 200, "%s", err);
	cr_assert_str_eq(out, "site one\n");
	cr_assert_eq(curl_https("two.test", "/", NULL), 200, "%s", err);
	cr_assert_str_eq(out, "site two\n");
	cert_paths("one", one, k);
	cert_paths("two", two, k);
	cr_assert(shows("one.test", one));
	cr_assert(shows("two.test", two));
	cr_assert(!shows("two.test", one));
	/* The same sites over plain HTTP, on their other port. */
	struct mbt_resp r;
	cr_assert_eq(mbt_request(env.port, "GET / HTTP/1.1\r\nHost: two.test"
	    "\r\n\r\n", &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "site two\n");
	mbt_resp_free(&r);
}

Test(tls, no_sni_and_unknown_names)
{
	char	 sb[128], two[PATH_MAX], k[PATH_MAX];

	start();
	/* No binding for the address and port alone: the handshake fails
	 * with unrecognized_name (alert 112). */
	cr_assert_neq(s_client((const char *[]){ "-noservername", NULL }), 0);
	cr_assert_not_null(strstr(err, "unrecognized name"), "%s", err);
	cr_assert_neq(s_client((const char *[]){ "-servername", "nope.test",
	    NULL }), 0);
	cr_assert_not_null(strstr(err, "unrecognized name"), "%s", err);
	/* Site two also takes the port alone: it is the fallback. */
	xsnprintf(sb, sizeof(sb), "127.0.0.1:%u:two.test", env.port2);
	char sb2[128];
	xsnprintf(sb2, sizeof(sb2), "127.0.0.1:%u:", env.port2);
	ok((const char *[]){ "set", "W3SVC/2/SecureBindings", sb, sb2, NULL });
	cert_paths("two", two, k);
	cr_assert(shows(NULL, two), "no SNI: not two's certificate");
	cr_assert_eq(s_client((const char *[]){ "-servername", "nope.test",
	    NULL }), 0, "%s", err);
	cr_assert_not_null(strstr(out, "CN = two.test"), "%s", out);
	/* one.test is still one's. */
	cr_assert_eq(curl_https("one.test", "/", NULL), 200, "%s", err);
	cr_assert_str_eq(out, "site one\n");
}

Test(tls, only_tls12_and_tls13)
{
	start();
	cr_assert_eq(s_client((const char *[]){ "-servername", "one.test",
	    "-tls1_3", NULL }), 0, "%s", err);
	cr_assert_not_null(strstr(out, "TLSv1.3"), "%s", out);
	cr_assert_eq(s_client((const char *[]){ "-servername", "one.test",
	    "-tls1_2", NULL }), 0, "%s", err);
	cr_assert_not_null(strstr(out, "TLSv1.2"), "%s", out);
	/* The server's own alert (70, protocol_version) says it refused. */
	cr_assert_neq(s_client((const char *[]){ "-servername", "one.test",
	    "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", NULL }), 0);
	cr_assert_not_null(strstr(err, "alert protocol version"), "%s", err);
	cr_assert_neq(s_client((const char *[]){ "-servername", "one.test",
	    "-tls1", "-cipher", "DEFAULT@SECLEVEL=0", NULL }), 0);
	cr_assert_not_null(strstr(err, "alert protocol version"), "%s", err);
}

Test(tls, alpn_offers_http11_only)
{
	start();
	cr_assert_eq(s_client((const char *[]){ "-servername", "one.test",
	    "-alpn", "h2,http/1.1", NULL }), 0, "%s", err);
	cr_assert_not_null(strstr(out, "ALPN protocol: http/1.1"), "%s", out);
	/* Only h2: no protocol in common (alert 120). */
	cr_assert_neq(s_client((const char *[]){ "-servername", "one.test",
	    "-alpn", "h2", NULL }), 0);
	cr_assert_not_null(strstr(err, "no application protocol"), "%s", err);
	/* No ALPN at all is fine. */
	cr_assert_eq(s_client((const char *[]){ "-servername", "one.test",
	    NULL }), 0, "%s", err);
	cr_assert_not_null(strstr(out, "No ALPN negotiated"), "%s", out);
}

Test(tls, host_of_another_certificate_gets_421)
{
	char	 file[PATH_MAX], key[PATH_MAX];

	start();
	cr_assert_eq(curl_https("one.test", "/", "Host: two.test"), 421,
	    "%s", err);
	cr_assert_eq(curl_https("one.test", "/", "Host: nowhere.test"), 421,
	    "%s", err);
	/* One certificate for both, from /LM/W3SVC: a connection may serve
	 * either (RFC 9110 7.4). */
	xsnprintf(file, sizeof(file), "%s/both.pem", env.dir);
	xsnprintf(key, sizeof(key), "%s/both.key", env.dir);
	make_cert("one.test,two.test", 10, file, key);
	ok((const char *[]){ "delete", "W3SVC/1/SSLCertificateFile", NULL });
	ok((const char *[]){ "delete", "W3SVC/1/SSLCertificateKeyFile", NULL });
	ok((const char *[]){ "delete", "W3SVC/2/SSLCertificateFile", NULL });
	ok((const char *[]){ "delete", "W3SVC/2/SSLCertificateKeyFile", NULL });
	ok((const char *[]){ "set", "W3SVC/SSLCertificateKeyFile", key, NULL });
	ok((const char *[]){ "set", "W3SVC/SSLCertificateFile", file, NULL });
	long long deadline = mbt_now_ms() + CHANGE_BOUND_MS;
	int	 st;
	while ((st = curl_https("one.test", "/", "Host: two.test")) != 200 &&
	    mbt_now_ms() < deadline)
		mbt_sleep_ms(200);
	cr_assert_eq(st, 200, "shared certificate: %d", st);
	cr_assert_str_eq(out, "site two\n");
}

Test(tls, sessions_resume_on_another_worker)
{
	SSL_SESSION	*sess;
	SSL_CTX		*ctx;
	struct tresp	 r;
	SSL		*ssl;
	int		 i;

	/* Each worker serves one request, then another takes its place. */
	ok((const char *[]){ "set", "W3SVC/MaxRequestsPerWorker", "1", NULL });
	start();
	ctx = client_ctx();
	ssl = tls_open(ctx, "one.test", NULL);
	cr_assert_eq(tls_get(ssl, "GET / HTTP/1.1\r\nHost: one.test\r\n"
	    "Connection: close\r\n\r\n", &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert(!SSL_session_reused(ssl));
	cr_assert_not_null(sess = last_session, "no session ticket");
	last_session = NULL;
	tls_close(ssl);
	for (i = 0; i < 3; i++) {
		ssl = tls_open(ctx, "one.test", sess);
		cr_assert(SSL_session_reused(ssl), "connection %d: a full "
		    "handshake", i + 1);
		cr_assert_eq(tls_get(ssl, "GET / HTTP/1.1\r\nHost: one.test"
		    "\r\nConnection: close\r\n\r\n", &r), 0);
		cr_assert_eq(r.status, 200);
		cr_assert_str_eq(r.body, "site one\n");
		SSL_SESSION_free(sess);
		cr_assert_not_null(sess = last_session, "no new ticket");
		last_session = NULL;
		tls_close(ssl);
	}
	SSL_SESSION_free(sess);
	SSL_CTX_free(ctx);
}

Test(tls, renewed_on_disk_without_reload_or_cut)
{
	char		 file[PATH_MAX], key[PATH_MAX], *log;
	struct tresp	 r;
	SSL_CTX		*ctx;
	SSL		*ssl;
	long long	 deadline;

	start();
	cert_paths("one", file, key);
	ctx = client_ctx();
	ssl = tls_open(ctx, "one.test", NULL);
	cr_assert_eq(tls_get(ssl, "GET / HTTP/1.1\r\nHost: one.test\r\n\r\n",
	    &r), 0);
	cr_assert_eq(r.status, 200);
	/* certbot's way: new files renamed over the old names. */
	make_cert("one.test", 20, file, key);
	deadline = mbt_now_ms() + CHANGE_BOUND_MS;
	while (!shows("one.test", file) && mbt_now_ms() < deadline)
		mbt_sleep_ms(200);
	cr_assert(shows("one.test", file), "the renewed certificate is not "
	    "in use");
	/* The connection open before is still served. */
	cr_assert_eq(tls_get(ssl, "GET / HTTP/1.1\r\nHost: one.test\r\n\r\n",
	    &r), 0, "the open connection was cut");
	cr_assert_eq(r.status, 200);
	tls_close(ssl);
	SSL_CTX_free(ctx);
	cr_assert_not_null(log = server_log());
	cr_assert_null(strstr(log, "reloading\n"), "a full reload: %s", log);
	free(log);
}

Test(tls, broken_certificate_leaves_the_old_one)
{
	char		 file[PATH_MAX], key[PATH_MAX], saved[PATH_MAX];
	char		*log, *p;
	int		 n;

	start();
	/* Served once: the server has loaded it. */
	cr_assert_eq(curl_https("one.test", "/", NULL), 200, "%s", err);
	cert_paths("one", file, key);
	xsnprintf(saved, sizeof(saved), "%s/one.saved", env.dir);
	cr_assert_not_null(p = mbt_slurp(file));
	cr_assert_eq(mbt_write_file(saved, p), 0);
	free(p);
	cr_assert_eq(mbt_write_file(file, "not a certificate\n"), 0);
	mbt_sleep_ms(3500);
	cr_assert(shows("one.test", saved), "the old certificate is gone");
	cr_assert_eq(curl_https("one.test", "/", NULL), 200, "%s", err);
	cr_assert_not_null(log = server_log());
	for (n = 0, p = log; (p = strstr(p, "holds no PEM certificate")) !=
	    NULL; p++)
		n++;
	cr_assert_eq(n, 1, "said %d times: %s", n, log);
	free(log);
	/* mbctl refuses to point a site at such a file. */
	cr_assert_eq(mbctl((const char *[]){ "set",
	    "W3SVC/2/SSLCertificateFile", file, NULL }), 1);
	cr_assert_not_null(strstr(err, "holds no PEM certificate"), "%s", err);
}

Test(tls, slow_handshake_is_timed_out)
{
	long long	 t0, el;
	int		 fd;

	ok((const char *[]){ "set", "W3SVC/HeaderWaitTimeout", "2", NULL });
	start();
	cr_assert((fd = mbt_connect(env.port2)) != -1);
	/* The start of a ClientHello record, then silence. */
	cr_assert_eq(write(fd, "\x16\x03\x01\x00\xc8\x01", 6), 6);
	t0 = mbt_now_ms();
	cr_assert_eq(mbt_closed(fd, 20000), 1, "not closed");
	el = mbt_now_ms() - t0;
	cr_assert(el >= 1500, "closed after %lld ms", el);
	mbt_close(fd);
	/* The server still serves. */
	cr_assert_eq(curl_https("one.test", "/", NULL), 200, "%s", err);
}

/*
 * Keep-alive over TLS: KB Q195179's table, as over plain HTTP.  For each
 * setting and request form: whether the connection stays open.
 */
Test(tls, keepalive_truth_table_over_tls)
{
	static const struct {
		const char	*allow, *legacy, *req;
		int		 keep;
	} t[] = {
		{ "TRUE", "FALSE", "GET / HTTP/1.1\r\nHost: one.test\r\n\r\n", 1 },
		{ "FALSE", "FALSE", "GET / HTTP/1.1\r\nHost: one.test\r\n\r\n", 0 },
		{ "FALSE", "TRUE", "GET / HTTP/1.1\r\nHost: one.test\r\n\r\n", 1 },
		{ "TRUE", "FALSE", "GET / HTTP/1.0\r\nHost: one.test\r\n"
		    "Connection: keep-alive\r\n\r\n", 1 },
		{ "FALSE", "FALSE", "GET / HTTP/1.0\r\nHost: one.test\r\n"
		    "Connection: keep-alive\r\n\r\n", 0 },
		{ "FALSE", "TRUE", "GET / HTTP/1.0\r\nHost: one.test\r\n"
		    "Connection: keep-alive\r\n\r\n", 0 },
		{ "TRUE", "FALSE", "GET / HTTP/1.0\r\nHost: one.test\r\n\r\n", 0 },
		{ "TRUE", "FALSE", "GET / HTTP/1.1\r\nHost: one.test\r\n"
		    "Connection: close\r\n\r\n", 0 },
	};
	struct tresp	 r;
	SSL_CTX		*ctx;
	SSL		*ssl;
	size_t		 i;

	start();
	ctx = client_ctx();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ok((const char *[]){ "set", "W3SVC/1/AllowKeepAlives",
		    t[i].allow, NULL });
		ok((const char *[]){ "set", "W3SVC/1/LegacyKeepAlives",
		    t[i].legacy, NULL });
		ssl = tls_open(ctx, "one.test", NULL);
		cr_assert_eq(tls_get(ssl, t[i].req, &r), 0, "row %zu", i);
		cr_assert_eq(r.status, 200, "row %zu", i);
		if (t[i].keep) {
			cr_assert_null(strcasestr(r.head, "Connection: close"),
			    "row %zu: %s", i, r.head);
			cr_assert_eq(tls_get(ssl, t[i].req, &r), 0,
			    "row %zu: closed", i);
			cr_assert_eq(r.status, 200);
		} else {
			/* HTTP/1.0 closes without saying so. */
			if (strstr(t[i].req, "HTTP/1.1") != NULL)
				cr_assert_not_null(strcasestr(r.head,
				    "Connection: close"), "row %zu: %s", i,
				    r.head);
			cr_assert(tls_ended(ssl), "row %zu: still open", i);
		}
		tls_close(ssl);
	}
	/* A change reaches an open TLS connection at its next request. */
	ok((const char *[]){ "set", "W3SVC/1/AllowKeepAlives", "TRUE", NULL });
	ssl = tls_open(ctx, "one.test", NULL);
	cr_assert_eq(tls_get(ssl, t[0].req, &r), 0);
	cr_assert_null(strcasestr(r.head, "Connection: close"));
	ok((const char *[]){ "set", "W3SVC/1/AllowKeepAlives", "FALSE", NULL });
	cr_assert_eq(tls_get(ssl, t[0].req, &r), 0);
	cr_assert_not_null(strcasestr(r.head, "Connection: close"), "%s",
	    r.head);
	cr_assert(tls_ended(ssl));
	tls_close(ssl);
	SSL_CTX_free(ctx);
}

Test(tls, plain_http_redirected_when_tls_is_required)
{
	struct mbt_resp	 r;
	char		 want[256];
	const char	*loc;

	ok((const char *[]){ "set", "W3SVC/1/ROOT/AccessFlags",
	    "AccessRead|AccessSSL", NULL });
	start();
	cr_assert_eq(mbt_request(env.port, "GET /a%20b/c?x=1 HTTP/1.1\r\n"
	    "Host: one.test\r\n\r\n", &r), 0);
	cr_assert_eq(r.status, 301);
	xsnprintf(want, sizeof(want), "https://one.test:%u/a%%20b/c?x=1",
	    env.port2);
	cr_assert_not_null(loc = mbt_header(&r, "Location"));
	cr_assert_str_eq(loc, want);
	mbt_resp_free(&r);
	/* A site without the flag is served on plain HTTP. */
	cr_assert_eq(mbt_request(env.port, "GET / HTTP/1.1\r\n"
	    "Host: two.test\r\n\r\n", &r), 0);
	cr_assert_eq(r.status, 200);
	mbt_resp_free(&r);
	/* Over TLS the site is served. */
	cr_assert_eq(curl_https("one.test", "/", NULL), 200, "%s", err);
	cr_assert_str_eq(out, "site one\n");
}

Test(tls, mbctl_checks_certificates_and_keys)
{
	char	 one[PATH_MAX], onek[PATH_MAX], two[PATH_MAX], twok[PATH_MAX];
	char	 old[PATH_MAX], oldk[PATH_MAX], www[PATH_MAX], sb[128];

	cert_paths("one", one, onek);
	cert_paths("two", two, twok);
	/* A file that is missing, or no certificate. */
	cr_assert_eq(mbctl((const char *[]){ "set",
	    "W3SVC/1/SSLCertificateFile", "/nonexistent.pem", NULL }), 1);
	cr_assert_not_null(strstr(err, "No such file"), "%s", err);
	cr_assert_eq(mbctl((const char *[]){ "set",
	    "W3SVC/1/SSLCertificateFile", onek, NULL }), 1);
	cr_assert_not_null(strstr(err, "holds no PEM certificate"), "%s", err);
	cr_assert_eq(mbctl((const char *[]){ "set",
	    "W3SVC/1/SSLCertificateKeyFile", one, NULL }), 1);
	cr_assert_not_null(strstr(err, "private key"), "%s", err);
	/* A key that is not the certificate's: refused, nothing changed. */
	cr_assert_eq(mbctl((const char *[]){ "set",
	    "W3SVC/1/SSLCertificateKeyFile", twok, NULL }), 1);
	cr_assert_not_null(strstr(err, "does not match"), "%s", err);
	ok((const char *[]){ "get", "W3SVC/1/SSLCertificateKeyFile", NULL });
	xsnprintf(www, sizeof(www), "%s\n", onek);
	cr_assert_str_eq(out, www);
	/* Expired, or for other names: set, with a warning. */
	xsnprintf(old, sizeof(old), "%s/old.pem", env.dir);
	xsnprintf(oldk, sizeof(oldk), "%s/old.key", env.dir);
	make_cert("one.test", -1, old, oldk);
	ok((const char *[]){ "set", "W3SVC/1/SSLCertificateFile", old, NULL });
	cr_assert_not_null(strstr(err, "expired on"), "%s", err);
	cr_assert_not_null(strstr(err, "set SSLCertificateKeyFile next"), "%s",
	    err);
	ok((const char *[]){ "set", "W3SVC/1/SSLCertificateKeyFile", oldk,
	    NULL });
	ok((const char *[]){ "set", "W3SVC/2/SSLCertificateFile", one, NULL });
	cr_assert_not_null(strstr(err, "is not a certificate for two.test"),
	    "%s", err);
	/* A port is plain or TLS, not both. */
	xsnprintf(sb, sizeof(sb), "127.0.0.1:%u:three.test", env.port2);
	cr_assert_eq(mbctl((const char *[]){ "set", "W3SVC/1/ServerBindings",
	    sb, NULL }), 1);
	cr_assert_not_null(strstr(err, "already serves TLS"), "%s", err);
	/* site create with it all, in one go; site list shows it. */
	xsnprintf(sb, sizeof(sb), "127.0.0.1:%u:three.test", env.port2);
	cr_assert_eq(mbctl((const char *[]){ "site", "create", "--id", "3",
	    "--name", "three", "--secure-binding", sb, "--cert", two,
	    "--key", onek, "--path", env.www, NULL }), 1);
	cr_assert_not_null(strstr(err, "does not match"), "%s", err);
	ok((const char *[]){ "site", "create", "--id", "3", "--name", "three",
	    "--secure-binding", sb, "--cert", two, "--key", twok, "--path",
	    env.www, NULL });
	ok((const char *[]){ "site", "list", NULL });
	xsnprintf(www, sizeof(www), "\n3\tthree\tstarted\t-\t%s\t%s\t"
	    "expires ", env.www, sb);
	cr_assert_not_null(strstr(out, www), "%s", out);
	cr_assert_not_null(strstr(out, "\texpired "), "%s", out);
}

/* certbot's webroot mode: the challenge is a static file, over plain
 * HTTP. */
Test(tls, acme_challenge_is_a_static_file)
{
	struct mbt_resp	 r;
	char		 path[PATH_MAX];

	xsnprintf(path, sizeof(path),
	    "%s/one/.well-known/acme-challenge/Xy_-Z0", env.www);
	cr_assert_eq(mbt_write_file(path, "Xy_-Z0.thumbprint"), 0);
	start();
	cr_assert_eq(mbt_request(env.port, "GET /.well-known/acme-challenge/"
	    "Xy_-Z0 HTTP/1.1\r\nHost: one.test\r\n\r\n", &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "Xy_-Z0.thumbprint");
	mbt_resp_free(&r);
}

/*
 * Idle TLS connections give way under pool exhaustion as plain ones do:
 * the one idle longest is ended with close_notify, and the new client is
 * served.
 */
Test(tls, idle_tls_connection_gives_way_with_close_notify)
{
	struct tresp	 r;
	SSL_CTX		*ctx;
	SSL		*idle[2], *late;
	long long	 t0, el;
	char		 b[16];
	int		 i, n;

	pid_t		 pids[8];
	long long	 deadline;

	ok((const char *[]){ "set", "W3SVC/MaxWorkers", "2", NULL });
	ok((const char *[]){ "set", "W3SVC/MinSpareWorkers", "2", NULL });
	ok((const char *[]){ "set", "W3SVC/MaxSpareWorkers", "3", NULL });
	start();
	/* The whole pool, idle: nothing queued but what the test sends. */
	deadline = mbt_now_ms() + 15000;
	while (mbt_workers(&env, pids, 8) < 2 && mbt_now_ms() < deadline)
		mbt_sleep_ms(50);
	cr_assert_eq(mbt_workers(&env, pids, 8), 2);
	cr_assert_eq(curl_https("one.test", "/", NULL), 200, "%s", err);
	mbt_sleep_ms(300);
	ctx = client_ctx();
	for (i = 0; i < 2; i++) {
		idle[i] = tls_open(ctx, "one.test", NULL);
		cr_assert_eq(tls_get(idle[i], "GET / HTTP/1.1\r\nHost: one.test"
		    "\r\n\r\n", &r), 0);
		cr_assert_null(strcasestr(r.head, "Connection: close"),
		    "connection %d: %s", i, r.head);
		mbt_sleep_ms(100);
	}
	t0 = mbt_now_ms();
	late = tls_open(ctx, "two.test", NULL);
	cr_assert_eq(tls_get(late, "GET / HTTP/1.1\r\nHost: two.test\r\n\r\n",
	    &r), 0, "the new client was not served");
	el = mbt_now_ms() - t0;
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "site two\n");
	cr_assert(el < 5000, "the new client waited %lld ms", el);
	/* The one idle longest got a close_notify, not a bare close. */
	n = SSL_read(idle[0], b, sizeof(b));
	cr_assert_eq(n, 0);
	cr_assert_eq(SSL_get_error(idle[0], n), SSL_ERROR_ZERO_RETURN,
	    "ended without close_notify");
	for (i = 0; i < 2; i++)
		tls_close(idle[i]);
	tls_close(late);
	SSL_CTX_free(ctx);
}

/*
 * Started as root with workers as nobody: the keys stay readable by root
 * alone, and are used all the same (the master reads them).
 */
Test(tls, keys_readable_by_root_alone)
{
	char	 file[PATH_MAX], key[PATH_MAX], path[PATH_MAX];
	struct stat st;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	snprintf(env.user, sizeof(env.user), "nobody");
	snprintf(env.group, sizeof(env.group), "nogroup");
	cert_paths("one", file, key);
	cr_assert_eq(chmod(key, 0600), 0);
	/* What the workers must read: the sites' folders, the logs. */
	cr_assert_eq(chmod(env.dir, 0755), 0);
	cr_assert_eq(chmod(env.www, 0755), 0);
	xsnprintf(path, sizeof(path), "%s/one", env.www);
	cr_assert_eq(chmod(path, 0755), 0);
	xsnprintf(path, sizeof(path), "%s/one/index.html", env.www);
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(chmod(env.logs, 0777), 0);
	start();
	cr_assert_eq(curl_https("one.test", "/", NULL), 200, "%s %s", out, err);
	cr_assert_str_eq(out, "site one\n");
	cr_assert_eq(stat(key, &st), 0);
	cr_assert_eq(st.st_mode & 077, 0, "the key was made readable");
	cr_assert_eq(st.st_uid, 0);
	/* And the workers are nobody's indeed. */
	pid_t	 pids[64];
	size_t	 i, n = mbt_workers(&env, pids, 64);
	char	 line[256];
	FILE	*f;
	long	 uid;

	cr_assert(n > 0);
	for (i = 0; i < n; i++) {
		xsnprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;	/* gone since */
		uid = -1;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "Uid:", 4) == 0)
				uid = strtol(line + 4, NULL, 10);
		fclose(f);
		cr_assert_eq(uid, 65534, "worker %d runs as %ld", (int)pids[i],
		    uid);
	}
}

/* mbhttpd -t says which sockets are TLS and checks the certificates. */
Test(tls, config_test_checks_certificates)
{
	char		 bin[PATH_MAX], file[PATH_MAX], key[PATH_MAX];
	char		 conf[PATH_MAX + 32];
	int		 rc;

	/* mbt_start() writes the bootstrap file -t reads. */
	start();
	cr_assert_eq(curl_https("one.test", "/", NULL), 200, "%s", err);
	cr_assert_eq(mbt_stop(&env), 0);
	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	xsnprintf(conf, sizeof(conf), "%s", env.conf);
	rc = mbt_run((const char *[]){ bin, "-t", "-f", conf, NULL }, out,
	    sizeof(out), err, sizeof(err), 30000);
	cr_assert_eq(rc, 0, "%s %s", out, err);
	xsnprintf(file, sizeof(file), "listen 127.0.0.1:%u (TLS) sites 1 2\n",
	    env.port2);
	cr_assert_not_null(strstr(out, file), "%s", out);
	cr_assert_not_null(strstr(out, "site 1: certificate "), "%s", out);
	cert_paths("two", file, key);
	cr_assert_eq(mbt_write_file(file, "garbage\n"), 0);
	rc = mbt_run((const char *[]){ bin, "-t", "-f", conf, NULL }, out,
	    sizeof(out), err, sizeof(err), 30000);
	cr_assert_eq(rc, 1, "%s %s", out, err);
	cr_assert_not_null(strstr(out, "site 2: no usable certificate"), "%s",
	    out);
	cr_assert_not_null(strstr(err, "holds no PEM certificate"), "%s", err);
}
