/*
 * test_directives.c - what an administrator sets per site and folder:
 * HttpRedirect, HttpExpires, HttpErrors, IPSecurity and the charset of
 * text types; the real server and the real mbctl.
 */
/* strcasestr() */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <stdint.h>
#include <zlib.h>

#include "mbt.h"

static struct mbt_env	 env;
static char		 out[16384], err[16384];

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

/* mbctl refuses the value, with one line naming the property. */
static void
refused(const char *prop, const char *value)
{
	cr_assert_eq(mbctl((const char *[]){ "set", prop, value, NULL }), 1,
	    "%s %s accepted", prop, value);
	cr_assert_not_null(strstr(err, "mbctl: "), "%s", err);
	cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "%s", err);
}

static void
put(const char *rel, const char *content)
{
	char	 path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/one%s", env.www, rel);
	cr_assert_eq(mbt_write_file(path, content), 0);
}

static void
d_init(void)
{
	char	 bind[64];

	cr_assert_eq(mbt_setup(&env), 0);
	xsnprintf(bind, sizeof(bind), "127.0.0.1:%u:one.test", env.port);
	cr_assert_eq(mbt_site(&env, 1, "one", bind), 0);
	put("/old/index.html", "old\n");
	put("/old/a/b.html", "old b\n");
	put("/pic.png", "PNG");
	put("/notes.txt", "notes\n");
	put("/errors/404.html", "<p>our own 404</p>\n");
	put("/private/index.html", "secret\n");
}

static void
d_fini(void)
{
	mbt_teardown(&env);
}

TestSuite(directives, .init = d_init, .fini = d_fini, .timeout = 120);

static void
start(void)
{
	cr_assert_eq(mbt_start(&env, NULL), 0, "the server did not start");
}

/* GET path on a new connection. */
static void
get(const char *path, struct mbt_resp *r)
{
	char	 req[1024];

	xsnprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: one.test\r\n"
	    "Connection: close\r\n\r\n", path);
	cr_assert_eq(mbt_request(env.port, req, r), 0, "GET %s", path);
}

static void
expect(const char *path, int status, const char *field, const char *value)
{
	struct mbt_resp	 r;
	const char	*v;

	get(path, &r);
	cr_assert_eq(r.status, status, "GET %s: %d\n%s", path, r.status,
	    r.head);
	if (field != NULL) {
		v = mbt_header(&r, field);
		if (value == NULL)
			cr_assert_null(v, "GET %s: %s: %s", path, field, v);
		else {
			cr_assert_not_null(v, "GET %s: no %s\n%s", path, field,
			    r.head);
			cr_assert_str_eq(v, value, "GET %s: %s", path, field);
		}
	}
	mbt_resp_free(&r);
}

Test(directives, text_types_say_utf8)
{
	ok((const char *[]){ "set", "W3SVC/1/ROOT/MimeMap", ".txt,text/plain; "
	    "charset=iso-8859-1", ".png,image/png", ".html,text/html", NULL });
	start();
	expect("/old/index.html", 200, "Content-Type",
	    "text/html; charset=utf-8");
	expect("/pic.png", 200, "Content-Type", "image/png");
	/* A MimeMap entry with its own parameters keeps them. */
	expect("/notes.txt", 200, "Content-Type", "text/plain; "
	    "charset=iso-8859-1");
}

Test(directives, redirects)
{
	struct mbt_resp	 r;
	int		 fd;

	refused("W3SVC/1/ROOT/old/HttpRedirect", "ftp://new.test/");
	refused("W3SVC/1/ROOT/old/HttpRedirect", "http://new.test/, BOGUS");
	refused("W3SVC/1/ROOT/old/HttpRedirect",
	    "http://new.test/, PERMANENT, TEMPORARY");
	refused("W3SVC/1/ROOT/old/HttpRedirect", "http://new test/");
	ok((const char *[]){ "create", "W3SVC/1/ROOT/old", NULL });
	ok((const char *[]){ "set", "W3SVC/1/ROOT/old/HttpRedirect",
	    "http://new.test/archive", NULL });
	start();
	/* What is below the folder follows, with the query. */
	expect("/old/a/b.html?x=1", 302, "Location",
	    "http://new.test/archive/a/b.html?x=1");
	expect("/old/", 302, "Location", "http://new.test/archive/");
	expect("/pic.png", 200, "Location", NULL);
	ok((const char *[]){ "set", "W3SVC/1/ROOT/old/HttpRedirect",
	    "http://new.test/archive/, PERMANENT", NULL });
	expect("/old/a%20c", 301, "Location", "http://new.test/archive/a%20c");
	ok((const char *[]){ "set", "W3SVC/1/ROOT/old/HttpRedirect",
	    "https://new.test/x$S$Q, EXACT_DESTINATION, 308", NULL });
	expect("/old/p?q=2", 308, "Location", "https://new.test/x/p?q=2");
	ok((const char *[]){ "set", "W3SVC/1/ROOT/old/HttpRedirect",
	    "/new$V, EXACT_DESTINATION", NULL });
	expect("/old/p", 302, "Location", "/new/old/p");
	/* CHILD_ONLY: the folder itself is served. */
	ok((const char *[]){ "set", "W3SVC/1/ROOT/old/HttpRedirect",
	    "http://new.test/, CHILD_ONLY", NULL });
	expect("/old/", 200, "Location", NULL);
	expect("/old/a/b.html", 302, "Location", "http://new.test/a/b.html");
	/* From /LM/W3SVC, for every site, overridden below. */
	ok((const char *[]){ "delete", "W3SVC/1/ROOT/old/HttpRedirect", NULL });
	ok((const char *[]){ "set", "W3SVC/HttpRedirect", "https://moved.test",
	    NULL });
	ok((const char *[]){ "set", "W3SVC/1/ROOT/old/HttpRedirect",
	    "https://old.moved.test", NULL });
	expect("/pic.png?a", 302, "Location", "https://moved.test/pic.png?a");
	expect("/old/a/b.html", 302, "Location",
	    "https://old.moved.test/a/b.html");
	/* A change reaches an open connection at its next request. */
	ok((const char *[]){ "delete", "W3SVC/HttpRedirect", NULL });
	cr_assert((fd = mbt_connect(env.port)) != -1);
	cr_assert_eq(mbt_send(fd, "GET /pic.png HTTP/1.1\r\nHost: one.test"
	    "\r\n\r\n"), 0);
	cr_assert_eq(mbt_read_response(fd, &r, 0), 0);
	cr_assert_eq(r.status, 200);
	mbt_resp_free(&r);
	ok((const char *[]){ "set", "W3SVC/1/HttpRedirect",
	    "https://moved.test, PERMANENT", NULL });
	cr_assert_eq(mbt_send(fd, "GET /pic.png HTTP/1.1\r\nHost: one.test"
	    "\r\n\r\n"), 0);
	cr_assert_eq(mbt_read_response(fd, &r, 0), 0);
	cr_assert_eq(r.status, 301);
	cr_assert_str_eq(mbt_header(&r, "Location"),
	    "https://moved.test/pic.png");
	mbt_resp_free(&r);
	mbt_close(fd);
}

Test(directives, caching_headers)
{
	struct mbt_resp	 r;
	const char	*v;

	refused("W3SVC/HttpExpires", "X, 10");
	refused("W3SVC/HttpExpires", "D, ten");
	refused("W3SVC/HttpExpires", "S, tomorrow");
	ok((const char *[]){ "set", "W3SVC/HttpExpires", "D, 0x15180", NULL });
	ok((const char *[]){ "create", "W3SVC/1/ROOT/old", NULL });
	ok((const char *[]){ "set", "W3SVC/1/ROOT/old/HttpExpires", "D, 0",
	    NULL });
	ok((const char *[]){ "create", "W3SVC/1/ROOT/errors", NULL });
	ok((const char *[]){ "set", "W3SVC/1/ROOT/errors/HttpExpires",
	    "S, Fri, 31 Dec 2027 23:59:59 GMT", NULL });
	start();
	get("/pic.png", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(mbt_header(&r, "Cache-Control"), "max-age=86400");
	cr_assert_not_null(v = mbt_header(&r, "Expires"));
	cr_assert_eq(strlen(v), 29, "%s", v);
	mbt_resp_free(&r);
	expect("/old/index.html", 200, "Cache-Control", "no-cache");
	expect("/errors/404.html", 200, "Expires",
	    "Fri, 31 Dec 2027 23:59:59 GMT");
	/* A 304 says it too. */
	get("/pic.png", &r);
	char	 req[512];
	xsnprintf(req, sizeof(req), "GET /pic.png HTTP/1.1\r\nHost: one.test\r\n"
	    "If-None-Match: %s\r\nConnection: close\r\n\r\n",
	    mbt_header(&r, "ETag"));
	mbt_resp_free(&r);
	cr_assert_eq(mbt_request(env.port, req, &r), 0);
	cr_assert_eq(r.status, 304);
	cr_assert_str_eq(mbt_header(&r, "Cache-Control"), "max-age=86400");
	mbt_resp_free(&r);
	ok((const char *[]){ "delete", "W3SVC/HttpExpires", NULL });
	expect("/pic.png", 200, "Cache-Control", NULL);
}

Test(directives, custom_error_pages)
{
	char		 file[PATH_MAX], entry[PATH_MAX + 32];
	struct mbt_resp	 r;

	refused("W3SVC/1/HttpErrors", "200,*,FILE,/x.html");
	refused("W3SVC/1/HttpErrors", "404,*,FOO,/x.html");
	refused("W3SVC/1/HttpErrors", "404,*,FILE,x.html");
	refused("W3SVC/1/HttpErrors", "404,x,URL,/x.html");
	xsnprintf(file, sizeof(file), "%s/404-page.html", env.dir);
	cr_assert_eq(mbt_write_file(file, "<p>gone, sorry</p>\n"), 0);
	xsnprintf(entry, sizeof(entry), "404,*,FILE,%s", file);
	ok((const char *[]){ "set", "W3SVC/HttpErrors", entry, NULL });
	start();
	get("/missing.html", &r);
	cr_assert_eq(r.status, 404);
	cr_assert_str_eq(r.body, "<p>gone, sorry</p>\n");
	cr_assert_str_eq(mbt_header(&r, "Content-Type"),
	    "text/html; charset=utf-8");
	mbt_resp_free(&r);
	/* HEAD: the same status and length, no body. */
	cr_assert_eq(mbt_request(env.port, "HEAD /missing.html HTTP/1.1\r\n"
	    "Host: one.test\r\nConnection: close\r\n\r\n", &r), 0);
	cr_assert_eq(r.status, 404);
	cr_assert_str_eq(mbt_header(&r, "Content-Length"), "19");
	mbt_resp_free(&r);
	/* A site's own, as a URL of the site, overrides the service's. */
	ok((const char *[]){ "set", "W3SVC/1/HttpErrors",
	    "404,*,URL,/errors/404.html", NULL });
	get("/old/nothing", &r);
	cr_assert_eq(r.status, 404);
	cr_assert_str_eq(r.body, "<p>our own 404</p>\n");
	mbt_resp_free(&r);
	/* A page that is missing: the built-in one, no loop. */
	ok((const char *[]){ "set", "W3SVC/1/HttpErrors",
	    "404,*,URL,/errors/nothere.html", NULL });
	get("/missing.html", &r);
	cr_assert_eq(r.status, 404);
	cr_assert_not_null(strstr(r.body, "Not Found"), "%s", r.body);
	mbt_resp_free(&r);
	/* Other statuses keep the built-in page. */
	expect("/pic.png", 200, NULL, NULL);
}

Test(directives, ip_restrictions)
{
	char		*log, path[PATH_MAX];
	struct mbt_resp	 r;

	refused("W3SVC/1/ROOT/private/IPSecurity", "300.1.1.1");
	refused("W3SVC/1/ROOT/private/IPSecurity", "10.0.0.0/33");
	refused("W3SVC/1/ROOT/private/IPSecurity", "AllowSome");
	ok((const char *[]){ "create", "W3SVC/1/ROOT/private", NULL });
	ok((const char *[]){ "set", "W3SVC/1/ROOT/private/IPSecurity",
	    "DenyByDefault", "10.0.0.0/8", "2001:db8::/32", NULL });
	start();
	get("/private/", &r);
	cr_assert_eq(r.status, 403);
	cr_assert_null(strstr(r.body, "secret"));
	mbt_resp_free(&r);
	expect("/pic.png", 200, NULL, NULL);
	/* Granted by its network. */
	ok((const char *[]){ "set", "W3SVC/1/ROOT/private/IPSecurity",
	    "DenyByDefault", "127.0.0.0/8", NULL });
	expect("/private/", 200, NULL, NULL);
	/* Granted by default, this address excepted; inherited by the site
	 * from the service. */
	ok((const char *[]){ "delete", "W3SVC/1/ROOT/private/IPSecurity",
	    NULL });
	ok((const char *[]){ "set", "W3SVC/IPSecurity", "GrantByDefault",
	    "127.0.0.1", NULL });
	expect("/pic.png", 403, NULL, NULL);
	ok((const char *[]){ "set", "W3SVC/1/IPSecurity", "GrantByDefault",
	    "127.0.0.2", NULL });
	expect("/pic.png", 200, NULL, NULL);
	/* IIS's 403.6 in the log. */
	ok((const char *[]){ "set", "W3SVC/1/IPSecurity", "DenyByDefault",
	    NULL });
	expect("/pic.png", 403, NULL, NULL);
	mbt_stop(&env);
	xsnprintf(path, sizeof(path), "%s/W3SVC1", env.logs);
	char	 cmd[PATH_MAX + 64];
	xsnprintf(cmd, sizeof(cmd), "%s", path);
	/* The one log file of today. */
	cr_assert_eq(mbt_run((const char *[]){ "/bin/sh", "-c",
	    "cat \"$0\"/*.log", cmd, NULL }, out, sizeof(out), err,
	    sizeof(err), 10000), 0);
	log = out;
	cr_assert_not_null(strstr(log, " 403 6 "), "%s", log);
}

/* mbctl user add site/path name, the password on stdin. */
static void
user_add(const char *where, const char *name, const char *password)
{
	char	 pwfile[PATH_MAX], bin[PATH_MAX];

	xsnprintf(pwfile, sizeof(pwfile), "%s/pw", env.dir);
	cr_assert_eq(mbt_write_file(pwfile, password), 0);
	xsnprintf(bin, sizeof(bin), "%s/mbctl", mbt_build());
	cr_assert_eq(mbt_run((const char *[]){ "/bin/sh", "-c",
	    "exec \"$0\" -m \"$1\" user add \"$2\" \"$3\" --stdin < \"$4\"",
	    bin, env.metabase, where, name, pwfile, NULL }, out, sizeof(out),
	    err, sizeof(err), 60000), 0, "user add: %s", err);
	unlink(pwfile);
}

/* GET path with Basic credentials user:pass (NULL: none). */
static int
get_as(const char *path, const char *b64, struct mbt_resp *r)
{
	char	 req[1024];

	xsnprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: one.test\r\n"
	    "%s%s%sConnection: close\r\n\r\n", path,
	    b64 ? "Authorization: Basic " : "", b64 ? b64 : "", b64 ? "\r\n" :
	    "");
	cr_assert_eq(mbt_request(env.port, req, r), 0, "GET %s", path);
	return r->status;
}

Test(directives, passwords_for_a_folder)
{
	struct mbt_resp	 r;
	char		 path[PATH_MAX + 64], *log;
	/* alice:pa ss, alice:wrong, bob:x */
	const char	*alice = "YWxpY2U6cGEgc3M=", *wrong = "YWxpY2U6d3Jvbmc=";
	const char	*bob = "Ym9iOng=";

	refused("W3SVC/1/ROOT/AuthUsers", "alice");
	refused("W3SVC/1/ROOT/AuthUsers", "alice:plaintext");
	ok((const char *[]){ "create", "W3SVC/1/ROOT/private", NULL });
	user_add("1/private", "alice", "pa ss\n");
	cr_assert_not_null(strstr(out, "added user 'alice'"), "%s", out);
	ok((const char *[]){ "set", "W3SVC/1/ROOT/private/AuthFlags",
	    "AuthBasic", NULL });
	put("/private/sub/page.html", "sub\n");
	start();
	/* Over plain HTTP, only when the folder says so (403.4 else). */
	cr_assert_eq(get_as("/private/", alice, &r), 403);
	mbt_resp_free(&r);
	ok((const char *[]){ "set", "W3SVC/1/ROOT/private/AuthBasicOverHTTP",
	    "TRUE", NULL });
	cr_assert_eq(get_as("/private/", NULL, &r), 401);
	cr_assert_str_eq(mbt_header(&r, "WWW-Authenticate"),
	    "Basic realm=\"one.test\", charset=\"UTF-8\"");
	cr_assert_null(strstr(r.body, "secret"));
	mbt_resp_free(&r);
	cr_assert_eq(get_as("/private/", wrong, &r), 401);
	mbt_resp_free(&r);
	cr_assert_eq(get_as("/private/", bob, &r), 401);
	mbt_resp_free(&r);
	cr_assert_eq(get_as("/private/", alice, &r), 200);
	cr_assert_str_eq(r.body, "secret\n");
	mbt_resp_free(&r);
	/* Below it too (inherited), and the rest of the site is open. */
	cr_assert_eq(get_as("/private/sub/page.html", NULL, &r), 401);
	mbt_resp_free(&r);
	cr_assert_eq(get_as("/private/sub/page.html", alice, &r), 200);
	mbt_resp_free(&r);
	cr_assert_eq(get_as("/pic.png", NULL, &r), 200);
	mbt_resp_free(&r);
	/* An override below: open again. */
	ok((const char *[]){ "create", "W3SVC/1/ROOT/private/sub", NULL });
	ok((const char *[]){ "set", "W3SVC/1/ROOT/private/sub/AuthFlags",
	    "AuthAnonymous", NULL });
	cr_assert_eq(get_as("/private/sub/page.html", NULL, &r), 200);
	mbt_resp_free(&r);
	/* A second user; a new password replaces the old. */
	user_add("1/private", "bob", "x");
	cr_assert_eq(get_as("/private/", bob, &r), 200);
	mbt_resp_free(&r);
	user_add("1/private", "bob", "y");
	cr_assert_not_null(strstr(out, "changed user 'bob'"), "%s", out);
	cr_assert_eq(get_as("/private/", bob, &r), 401);
	mbt_resp_free(&r);
	/* An address refused is refused before any password prompt. */
	ok((const char *[]){ "set", "W3SVC/1/ROOT/private/IPSecurity",
	    "DenyByDefault", NULL });
	cr_assert_eq(get_as("/private/", NULL, &r), 403);
	cr_assert_null(mbt_header(&r, "WWW-Authenticate"));
	mbt_resp_free(&r);
	ok((const char *[]){ "delete", "W3SVC/1/ROOT/private/IPSecurity",
	    NULL });
	/* The hashes are not shown unless asked. */
	ok((const char *[]){ "get", "W3SVC/1/ROOT/private/AuthUsers", NULL });
	cr_assert_str_eq(out, "alice:*\nbob:*\n");
	ok((const char *[]){ "enum", "W3SVC/1/ROOT/private", NULL });
	cr_assert_null(strstr(out, "$y$"), "%s", out);
	ok((const char *[]){ "export", "W3SVC/1", NULL });
	cr_assert_null(strstr(out, "$y$"), "%s", out);
	ok((const char *[]){ "get", "W3SVC/1/ROOT/private/AuthUsers",
	    "--secrets", NULL });
	cr_assert_not_null(strstr(out, "alice:$y$"), "%s", out);
	ok((const char *[]){ "user", "list", "1/private", NULL });
	cr_assert_str_eq(out, "alice\nbob\n");
	ok((const char *[]){ "user", "delete", "1/private", "bob", NULL });
	cr_assert_eq(mbctl((const char *[]){ "user", "delete", "1/private",
	    "bob", NULL }), 1);
	/* The log names the user. */
	mbt_stop(&env);
	xsnprintf(path, sizeof(path), "%s/W3SVC1", env.logs);
	cr_assert_eq(mbt_run((const char *[]){ "/bin/sh", "-c",
	    "cat \"$0\"/*.log", path, NULL }, out, sizeof(out), err,
	    sizeof(err), 10000), 0);
	log = out;
	cr_assert_not_null(strstr(log, " alice 127.0.0.1 "), "%s", log);
}

/* GET path with extra header lines, on a new connection. */
static void
get_with(const char *path, const char *lines, struct mbt_resp *r,
    int head)
{
	char	 req[2048];

	xsnprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: one.test\r\n%s"
	    "Connection: close\r\n\r\n", head ? "HEAD" : "GET", path, lines);
	if (head) {
		int fd = mbt_connect(env.port);

		cr_assert(fd != -1);
		cr_assert_eq(mbt_send(fd, req), 0);
		cr_assert_eq(mbt_read_response(fd, r, 1), 0);
		mbt_close(fd);
	} else
		cr_assert_eq(mbt_request(env.port, req, r), 0, "GET %s", path);
}

/* Inflate a gzip body; the result in out (NUL-terminated). */
static size_t
gunzip(const char *in, size_t n, char *dst, size_t cap)
{
	z_stream	 z;
	size_t		 len;

	memset(&z, 0, sizeof(z));
	cr_assert_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)dst;
	z.avail_out = (uInt)cap - 1;
	cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END, "not gzip");
	len = z.total_out;
	inflateEnd(&z);
	dst[len] = '\0';
	return len;
}

Test(directives, static_compression)
{
	static char	 big[8192], plain[16384];
	struct mbt_resp	 r, p;
	char		 etag[128], lines[256], path[PATH_MAX], *gz;
	size_t		 i;

	for (i = 0; i + 1 < sizeof(big); i++)
		big[i] = "mbhttpd compresses text once.\n"[i % 30];
	put("/big.txt", big);
	put("/old/big.txt", big);
	put("/big.png", big);
	refused("W3SVC/HcFileExtensions", ".txt");
	ok((const char *[]){ "set", "W3SVC/DoStaticCompression", "TRUE",
	    NULL });
	ok((const char *[]){ "create", "W3SVC/1/ROOT/old", NULL });
	ok((const char *[]){ "set", "W3SVC/1/ROOT/old/DoStaticCompression",
	    "FALSE", NULL });
	start();
	/* Plain to a client that does not ask, but it varies. */
	get_with("/big.txt", "", &p, 0);
	cr_assert_eq(p.status, 200);
	cr_assert_null(mbt_header(&p, "Content-Encoding"));
	cr_assert_str_eq(mbt_header(&p, "Vary"), "Accept-Encoding");
	cr_assert_eq(p.bodylen, strlen(big));
	/* gzip to one that does, with its own ETag. */
	get_with("/big.txt", "Accept-Encoding: br;q=0, gzip\r\n", &r, 0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(mbt_header(&r, "Content-Encoding"), "gzip");
	cr_assert_str_eq(mbt_header(&r, "Vary"), "Accept-Encoding");
	cr_assert_str_eq(mbt_header(&r, "Content-Type"),
	    "text/plain; charset=utf-8");
	cr_assert_lt(r.bodylen, strlen(big) / 4);
	cr_assert_eq(gunzip(r.body, r.bodylen, plain, sizeof(plain)),
	    strlen(big));
	cr_assert_str_eq(plain, big);
	xsnprintf(etag, sizeof(etag), "%s", mbt_header(&r, "ETag"));
	cr_assert_str_neq(etag, mbt_header(&p, "ETag"));
	mbt_resp_free(&p);
	/* The same again: from the cache, the same bytes. */
	get_with("/big.txt", "Accept-Encoding: gzip\r\n", &p, 0);
	cr_assert_eq(p.bodylen, r.bodylen);
	cr_assert_eq(memcmp(p.body, r.body, r.bodylen), 0);
	mbt_resp_free(&p);
	/* HEAD agrees with GET. */
	get_with("/big.txt", "Accept-Encoding: gzip\r\n", &p, 1);
	cr_assert_eq(p.status, 200);
	cr_assert_eq(strtoul(mbt_header(&p, "Content-Length"), NULL, 10),
	    r.bodylen);
	cr_assert_str_eq(mbt_header(&p, "ETag"), etag);
	mbt_resp_free(&p);
	/* If-None-Match with the compressed ETag: 304. */
	xsnprintf(lines, sizeof(lines), "Accept-Encoding: gzip\r\n"
	    "If-None-Match: %s\r\n", etag);
	get_with("/big.txt", lines, &p, 0);
	cr_assert_eq(p.status, 304);
	cr_assert_str_eq(mbt_header(&p, "Vary"), "Accept-Encoding");
	mbt_resp_free(&p);
	/* A range is of the compressed bytes. */
	get_with("/big.txt", "Accept-Encoding: gzip\r\nRange: bytes=0-9\r\n",
	    &p, 0);
	cr_assert_eq(p.status, 206);
	cr_assert_str_eq(mbt_header(&p, "Content-Encoding"), "gzip");
	cr_assert_eq(p.bodylen, 10);
	cr_assert_eq(memcmp(p.body, r.body, 10), 0);
	mbt_resp_free(&p);
	mbt_resp_free(&r);
	/* Refused with q=0; a type not listed; a folder that says no. */
	get_with("/big.txt", "Accept-Encoding: gzip;q=0\r\n", &p, 0);
	cr_assert_null(mbt_header(&p, "Content-Encoding"));
	mbt_resp_free(&p);
	get_with("/big.png", "Accept-Encoding: gzip\r\n", &p, 0);
	cr_assert_null(mbt_header(&p, "Content-Encoding"));
	cr_assert_null(mbt_header(&p, "Vary"));
	mbt_resp_free(&p);
	get_with("/old/big.txt", "Accept-Encoding: gzip\r\n", &p, 0);
	cr_assert_null(mbt_header(&p, "Content-Encoding"));
	mbt_resp_free(&p);
	/* big.txt.gz beside it, as new: served as it is. */
	xsnprintf(path, sizeof(path), "%s/one/big.txt", env.www);
	cr_assert_eq(mbt_run((const char *[]){ "/bin/sh", "-c",
	    "gzip -9 -c \"$0\" > \"$0.gz\"", path, NULL }, out, sizeof(out),
	    err, sizeof(err), 10000), 0, "%s", err);
	xsnprintf(path, sizeof(path), "%s/one/big.txt.gz", env.www);
	cr_assert_not_null(gz = mbt_slurp(path));
	get_with("/big.txt", "Accept-Encoding: gzip\r\n", &p, 0);
	cr_assert_str_eq(mbt_header(&p, "Content-Encoding"), "gzip");
	struct stat zst;
	cr_assert_eq(stat(path, &zst), 0);
	cr_assert_eq(p.bodylen, (size_t)zst.st_size);
	cr_assert_eq(memcmp(p.body, gz, p.bodylen), 0);
	mbt_resp_free(&p);
	free(gz);
}

/* One kept-alive connection: GET path on it, the response in r. */
static void
get_on(int fd, const char *path, const char *lines, struct mbt_resp *r)
{
	char	 req[1024];

	xsnprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: one.test\r\n"
	    "%s\r\n", path, lines);
	cr_assert_eq(mbt_send(fd, req), 0);
	cr_assert_eq(mbt_read_response(fd, r, 0), 0, "GET %s: no answer",
	    path);
}

/*
 * Every setting reaches an open connection at its next request; and an
 * error page does not outrank a redirect of the folder it is in.
 */
Test(directives, changes_reach_an_open_connection)
{
	static char	 big[4096];
	struct mbt_resp	 r;
	size_t		 i;
	int		 fd;

	for (i = 0; i + 1 < sizeof(big); i++)
		big[i] = "text that compresses well. "[i % 27];
	put("/big.txt", big);
	ok((const char *[]){ "create", "W3SVC/1/ROOT/old", NULL });
	ok((const char *[]){ "set", "W3SVC/1/HttpErrors",
	    "404,*,URL,/errors/404.html", NULL });
	start();
	cr_assert((fd = mbt_connect(env.port)) != -1);
	get_on(fd, "/old/missing", "", &r);
	cr_assert_eq(r.status, 404);
	cr_assert_str_eq(r.body, "<p>our own 404</p>\n");
	mbt_resp_free(&r);
	/* The folder redirected: its 404s are redirects now. */
	ok((const char *[]){ "set", "W3SVC/1/ROOT/old/HttpRedirect",
	    "https://new.test/", NULL });
	get_on(fd, "/old/missing", "", &r);
	cr_assert_eq(r.status, 302);
	cr_assert_str_eq(mbt_header(&r, "Location"),
	    "https://new.test/missing");
	mbt_resp_free(&r);
	ok((const char *[]){ "set", "W3SVC/1/HttpExpires", "D, 60", NULL });
	get_on(fd, "/pic.png", "", &r);
	cr_assert_str_eq(mbt_header(&r, "Cache-Control"), "max-age=60");
	mbt_resp_free(&r);
	ok((const char *[]){ "set", "W3SVC/1/DoStaticCompression", "TRUE",
	    NULL });
	get_on(fd, "/big.txt", "Accept-Encoding: gzip\r\n", &r);
	cr_assert_str_eq(mbt_header(&r, "Content-Encoding"), "gzip");
	mbt_resp_free(&r);
	ok((const char *[]){ "set", "W3SVC/1/AuthFlags", "AuthBasic", NULL });
	ok((const char *[]){ "set", "W3SVC/1/AuthBasicOverHTTP", "TRUE",
	    NULL });
	get_on(fd, "/pic.png", "", &r);
	cr_assert_eq(r.status, 401);
	mbt_resp_free(&r);
	ok((const char *[]){ "set", "W3SVC/1/IPSecurity", "DenyByDefault",
	    NULL });
	get_on(fd, "/pic.png", "", &r);
	cr_assert_eq(r.status, 403);
	mbt_resp_free(&r);
	mbt_close(fd);
}
