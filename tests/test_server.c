/*
 * test_server.c - the real mbhttpd over the wire: each test gets its own
 * metabase in a temporary directory, three sites (alpha.test and
 * beta.test told apart by Host header on one port, gamma on a second
 * port), and its own server started with -F.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mbt.h"

/* Bounds on waits: generous, the machines are shared. */
#define RUN_TIMEOUT_MS		15000	/* mbhttpd -t, or failing to start */
#define LOG_TIMEOUT_MS		10000	/* an access log line to appear */
#define RESPAWN_TIMEOUT_MS	20000	/* a killed worker to be replaced */
#define STOP_TIMEOUT_MS		10000	/* the master to stop on SIGTERM */

static struct mbt_env	 env;

/*
 * Helpers.
 */

static void
check_len(int n, size_t len)
{
	cr_assert(n >= 0 && (size_t)n < len, "string too long for %zu", len);
}

/* snprintf(3) that must not truncate. */
#define xsnprintf(buf, len, ...)					\
	check_len(snprintf((buf), (len), __VA_ARGS__), (len))

/* Run mbctl, which must succeed. */
#define MBCTL(...)							\
	cr_assert_eq(mbt_mbctl(&env, NULL, 0, __VA_ARGS__, NULL), 0,	\
	    "mbctl failed")

/* A file below the test's www directory. */
static void
www_file(const char *rel, const char *content)
{
	char	 path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%s", env.www, rel);
	cr_assert_eq(mbt_write_file(path, content), 0, "cannot write %s: %s",
	    path, strerror(errno));
}

static void
www_mkdir(const char *rel)
{
	char	 path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%s", env.www, rel);
	cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST,
	    "cannot create %s: %s", path, strerror(errno));
}

static void
www_symlink(const char *target, const char *rel)
{
	char	 path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/%s", env.www, rel);
	cr_assert_eq(symlink(target, path), 0, "symlink %s: %s", path,
	    strerror(errno));
}

static void
start(void)
{
	cr_assert_eq(mbt_start(&env, NULL), 0, "mbhttpd did not start");
}

/* GET path from site host on port, with Connection: close. */
static void
get(struct mbt_resp *r, unsigned port, const char *host, const char *path)
{
	char	 req[4096];

	xsnprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", path, host);
	cr_assert_eq(mbt_request(port, req, r), 0,
	    "no response to GET %s (Host: %s)", path, host);
}

/* Send raw and read the answer, which must come. */
static void
raw(struct mbt_resp *r, unsigned port, const char *req)
{
	cr_assert_eq(mbt_request(port, req, r), 0, "no response to %.60s",
	    req);
}

static void
expect_status(const struct mbt_resp *r, int status)
{
	cr_assert_eq(r->status, status, "status %d, expected %d; head:\n%s",
	    r->status, status, r->head);
}

/* Send raw: the answer must come with the status given. */
static void
expect_raw(unsigned port, const char *req, int status)
{
	struct mbt_resp	 r;

	raw(&r, port, req);
	/* Freed first: a failed assertion leaves the test at once. */
	mbt_resp_free(&r);
	expect_status(&r, status);
}

/* The status and the exact body of GET path on site host. */
static void
expect_get(unsigned port, const char *host, const char *path, int status,
    const char *body)
{
	struct mbt_resp	 r;
	int		 same;

	get(&r, port, host, path);
	same = body == NULL || strcmp(r.body, body) == 0;
	/* Freed first: a failed assertion leaves the test at once. */
	mbt_resp_free(&r);
	cr_assert_eq(r.status, status,
	    "GET %s (Host: %s): status %d, expected %d; head:\n%s", path,
	    host, r.status, status, r.head);
	cr_assert(same, "GET %s (Host: %s): body is not \"%s\"", path, host,
	    body);
}

static int
count_char(const char *s, char c)
{
	int	 n = 0;

	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

/* A bootstrap file as mbt_start() writes it, but for metabase mb. */
static void
write_conf(const char *path, const char *mb)
{
	char	 buf[4 * PATH_MAX];

	xsnprintf(buf, sizeof(buf), "metabase = \"%s\";\n"
	    "pid_file = \"%s/test.pid\";\n%s", mb, env.dir,
	    geteuid() == 0 ? "user = \"root\";\ngroup = \"root\";\n" : "");
	cr_assert_eq(mbt_write_file(path, buf), 0);
}

/*
 * Fixture: three sites, a small pool.
 */

static void
setup(void)
{
	char	 b[64];

	cr_assert_eq(mbt_setup(&env), 0, "mbt_setup failed");
	xsnprintf(b, sizeof(b), "127.0.0.1:%u:alpha.test", env.port);
	cr_assert_eq(mbt_site(&env, 1, "alpha", b), 0);
	xsnprintf(b, sizeof(b), "127.0.0.1:%u:beta.test", env.port);
	cr_assert_eq(mbt_site(&env, 2, "beta", b), 0);
	xsnprintf(b, sizeof(b), "127.0.0.1:%u:", env.port2);
	cr_assert_eq(mbt_site(&env, 3, "gamma", b), 0);
	/* Many servers run at once: two idle workers each are enough. */
	MBCTL("set", "W3SVC/MinSpareWorkers", "2");
	MBCTL("set", "W3SVC/MaxSpareWorkers", "4");
	MBCTL("set", "W3SVC/MaxWorkers", "8");
}

static void
teardown(void)
{
	mbt_teardown(&env);
}

TestSuite(server, .init = setup, .fini = teardown, .timeout = 90);

/*
 * Sites.
 */

Test(server, host_header_picks_the_site)
{
	char	 h[64];

	start();
	expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");
	expect_get(env.port, "beta.test", "/", 200, "site beta\n");
	expect_get(env.port, "BETA.Test", "/index.html", 200, "site beta\n");
	xsnprintf(h, sizeof(h), "alpha.test:%u", env.port);
	expect_get(env.port, h, "/", 200, "site alpha\n");
	/* The third site takes any host on the second port. */
	expect_get(env.port2, "gamma.test", "/", 200, "site gamma\n");
	expect_get(env.port2, "alpha.test", "/", 200, "site gamma\n");
}

Test(server, unknown_host_is_400_invalid_hostname)
{
	struct mbt_resp	 r;

	start();
	get(&r, env.port, "nobody.test", "/");
	expect_status(&r, 400);
	cr_assert_not_null(strstr(r.body, "Invalid Hostname"), "body: %s",
	    r.body);
	mbt_resp_free(&r);
}

Test(server, stopped_site_is_503_until_started)
{
	start();
	expect_get(env.port, "beta.test", "/", 200, "site beta\n");
	MBCTL("site", "stop", "2");
	expect_get(env.port, "beta.test", "/", 503, NULL);
	/* Its neighbour on the same port goes on. */
	expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");
	MBCTL("site", "start", "2");
	expect_get(env.port, "beta.test", "/", 200, "site beta\n");
}

Test(server, custom_headers_stay_on_their_site)
{
	struct mbt_resp	 r;
	const char	*v;

	MBCTL("set", "W3SVC/1/HttpCustomHeaders", "X-Mbt-Test: alpha only");
	start();
	get(&r, env.port, "alpha.test", "/");
	expect_status(&r, 200);
	v = mbt_header(&r, "X-Mbt-Test");
	cr_assert_not_null(v, "no X-Mbt-Test in:\n%s", r.head);
	cr_assert_str_eq(v, "alpha only");
	mbt_resp_free(&r);
	get(&r, env.port, "alpha.test", "/missing.html");
	expect_status(&r, 404);
	cr_assert_not_null(mbt_header(&r, "X-Mbt-Test"), "404:\n%s", r.head);
	mbt_resp_free(&r);
	get(&r, env.port, "beta.test", "/");
	expect_status(&r, 200);
	cr_assert_null(mbt_header(&r, "X-Mbt-Test"), "beta has it:\n%s",
	    r.head);
	mbt_resp_free(&r);
}

/*
 * Folders.
 */

Test(server, default_documents_in_order)
{
	www_file("alpha/docs/first.htm", "first\n");
	www_file("alpha/docs/second.htm", "second\n");
	MBCTL("set", "W3SVC/1/DefaultDoc", "missing.htm,second.htm,first.htm");
	start();
	expect_get(env.port, "alpha.test", "/docs/", 200, "second\n");
	/* A change applies at the next request. */
	MBCTL("set", "W3SVC/1/DefaultDoc", "first.htm,second.htm");
	expect_get(env.port, "alpha.test", "/docs/", 200, "first\n");
	/* Without EnableDefaultDoc, and no browsing: 403. */
	MBCTL("set", "W3SVC/1/DirBrowseFlags", "0");
	expect_get(env.port, "alpha.test", "/docs/", 403, NULL);
	expect_get(env.port, "alpha.test", "/docs/first.htm", 200, "first\n");
}

Test(server, folder_without_slash_is_301)
{
	struct mbt_resp	 r;
	const char	*loc;
	size_t		 n;

	www_file("alpha/sub/index.html", "sub\n");
	start();
	get(&r, env.port, "alpha.test", "/sub");
	expect_status(&r, 301);
	loc = mbt_header(&r, "Location");
	cr_assert_not_null(loc, "no Location in:\n%s", r.head);
	n = strlen(loc);
	cr_assert(n >= 5 && strcmp(loc + n - 5, "/sub/") == 0 &&
	    strncmp(loc, "//", 2) != 0, "Location: %s", loc);
	mbt_resp_free(&r);
	get(&r, env.port, "alpha.test", "/sub?x=1");
	expect_status(&r, 301);
	loc = mbt_header(&r, "Location");
	cr_assert_not_null(loc);
	n = strlen(loc);
	cr_assert(n >= 9 && strcmp(loc + n - 9, "/sub/?x=1") == 0,
	    "Location: %s", loc);
	mbt_resp_free(&r);
	expect_get(env.port, "alpha.test", "/sub/", 200, "sub\n");
}

Test(server, folder_without_default_doc_is_403)
{
	www_file("alpha/nodoc/not-a-default.txt", "x\n");
	www_mkdir("alpha/empty");
	start();
	expect_get(env.port, "alpha.test", "/nodoc/", 403, NULL);
	expect_get(env.port, "alpha.test", "/empty/", 403, NULL);
}

Test(server, directory_listing_escapes_names)
{
	struct mbt_resp	 r;

	www_file("alpha/files/a&b<c>.txt", "1\n");
	www_file("alpha/files/sp ace.txt", "2\n");
	www_file("alpha/files/inner/x.txt", "3\n");
	MBCTL("create", "W3SVC/1/ROOT/files");
	MBCTL("set", "W3SVC/1/ROOT/files/DirBrowseFlags",
	    "EnableDirBrowsing|DirBrowseShowSize");
	start();
	get(&r, env.port, "alpha.test", "/files/");
	expect_status(&r, 200);
	cr_assert_not_null(strstr(r.body, "a&amp;b&lt;c&gt;.txt"), "body:\n%s",
	    r.body);
	cr_assert_null(strstr(r.body, "<c>"), "unescaped name:\n%s", r.body);
	cr_assert_not_null(strstr(r.body, "sp%20ace.txt"), "body:\n%s",
	    r.body);
	cr_assert_not_null(strstr(r.body, "inner/"), "body:\n%s", r.body);
	mbt_resp_free(&r);
	/* Browsing is on for that folder only. */
	www_file("alpha/other/y.txt", "4\n");
	expect_get(env.port, "alpha.test", "/other/", 403, NULL);
}

Test(server, access_flags_zero_is_403)
{
	www_file("alpha/private/x.html", "private\n");
	MBCTL("create", "W3SVC/1/ROOT/private");
	MBCTL("set", "W3SVC/1/ROOT/private/AccessFlags", "0");
	start();
	expect_get(env.port, "alpha.test", "/private/x.html", 403, NULL);
	expect_get(env.port, "alpha.test", "/private/", 403, NULL);
	expect_get(env.port, "alpha.test", "/index.html", 200, "site alpha\n");
}

Test(server, missing_file_is_404)
{
	start();
	expect_get(env.port, "alpha.test", "/nope.html", 404, NULL);
	expect_get(env.port, "alpha.test", "/nope/", 404, NULL);
	expect_get(env.port, "alpha.test", "/index.html/", 404, NULL);
}

/*
 * Conditional requests, ranges, HEAD.
 */

Test(server, if_none_match_and_if_modified_since_give_304)
{
	struct mbt_resp	 r;
	char		 etag[256], lm[128], req[1024];

	start();
	get(&r, env.port, "alpha.test", "/index.html");
	expect_status(&r, 200);
	cr_assert_not_null(mbt_header(&r, "ETag"), "head:\n%s", r.head);
	xsnprintf(etag, sizeof(etag), "%s", mbt_header(&r, "ETag"));
	cr_assert_not_null(mbt_header(&r, "Last-Modified"));
	xsnprintf(lm, sizeof(lm), "%s", mbt_header(&r, "Last-Modified"));
	mbt_resp_free(&r);

	xsnprintf(req, sizeof(req), "GET /index.html HTTP/1.1\r\n"
	    "Host: alpha.test\r\nIf-None-Match: %s\r\nConnection: close\r\n"
	    "\r\n", etag);
	raw(&r, env.port, req);
	expect_status(&r, 304);
	cr_assert_eq(r.bodylen, 0);
	cr_assert_not_null(mbt_header(&r, "ETag"));
	cr_assert_str_eq(mbt_header(&r, "ETag"), etag);
	mbt_resp_free(&r);

	xsnprintf(req, sizeof(req), "GET /index.html HTTP/1.1\r\n"
	    "Host: alpha.test\r\nIf-Modified-Since: %s\r\n"
	    "Connection: close\r\n\r\n", lm);
	raw(&r, env.port, req);
	expect_status(&r, 304);
	cr_assert_eq(r.bodylen, 0);
	mbt_resp_free(&r);

	/* Changed since 1994: the file comes. */
	raw(&r, env.port, "GET /index.html HTTP/1.1\r\nHost: alpha.test\r\n"
	    "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "Connection: close\r\n\r\n");
	expect_status(&r, 200);
	cr_assert_str_eq(r.body, "site alpha\n");
	mbt_resp_free(&r);

	/* Another tag: the file comes. */
	expect_raw(env.port, "GET /index.html HTTP/1.1\r\nHost: alpha.test\r\n"
	    "If-None-Match: \"nothing-like-it\"\r\nConnection: close\r\n\r\n",
	    200);
}

Test(server, range_gives_206_and_unsatisfiable_416)
{
	struct mbt_resp	 r;

	www_file("alpha/range.txt", "0123456789abcdef");
	start();
	raw(&r, env.port, "GET /range.txt HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Range: bytes=0-3\r\nConnection: close\r\n\r\n");
	expect_status(&r, 206);
	cr_assert_not_null(mbt_header(&r, "Content-Range"), "head:\n%s",
	    r.head);
	cr_assert_str_eq(mbt_header(&r, "Content-Range"), "bytes 0-3/16");
	cr_assert_str_eq(mbt_header(&r, "Content-Length"), "4");
	cr_assert_eq(r.bodylen, 4);
	cr_assert_eq(memcmp(r.body, "0123", 4), 0, "body %s", r.body);
	mbt_resp_free(&r);

	raw(&r, env.port, "GET /range.txt HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Range: bytes=10-\r\nConnection: close\r\n\r\n");
	expect_status(&r, 206);
	cr_assert_str_eq(r.body, "abcdef");
	mbt_resp_free(&r);

	raw(&r, env.port, "GET /range.txt HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Range: bytes=100-200\r\nConnection: close\r\n\r\n");
	expect_status(&r, 416);
	cr_assert_not_null(mbt_header(&r, "Content-Range"), "head:\n%s",
	    r.head);
	cr_assert_str_eq(mbt_header(&r, "Content-Range"), "bytes */16");
	mbt_resp_free(&r);
}

Test(server, head_has_the_get_headers_and_no_body)
{
	static const char *const same[] = { "Content-Length",
	    "Content-Type", "ETag", "Last-Modified" };
	struct mbt_resp	 h, g;
	char		 hv[256];
	size_t		 i;
	int		 fd;

	start();
	/* Both on one connection: a body after HEAD would break the GET. */
	fd = mbt_connect(env.port);
	cr_assert_neq(fd, -1);
	cr_assert_eq(mbt_send(fd, "HEAD /index.html HTTP/1.1\r\n"
	    "Host: alpha.test\r\n\r\nGET /index.html HTTP/1.1\r\n"
	    "Host: alpha.test\r\nConnection: close\r\n\r\n"), 0);
	cr_assert_eq(mbt_read_response(fd, &h, 1), 0);
	expect_status(&h, 200);
	cr_assert_eq(mbt_read_response(fd, &g, 0), 0,
	    "no GET response after HEAD (a body after the HEAD answer?)");
	expect_status(&g, 200);
	cr_assert_str_eq(g.body, "site alpha\n");
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		cr_assert_not_null(mbt_header(&h, same[i]), "HEAD lacks %s",
		    same[i]);
		xsnprintf(hv, sizeof(hv), "%s", mbt_header(&h, same[i]));
		cr_assert_not_null(mbt_header(&g, same[i]));
		cr_assert_str_eq(hv, mbt_header(&g, same[i]), "%s differs",
		    same[i]);
	}
	cr_assert_eq(mbt_closed(fd, 5000), 1, "bytes after the GET");
	mbt_close(fd);
	mbt_resp_free(&h);
	mbt_resp_free(&g);
}

/*
 * Methods and malformed requests.
 */

Test(server, post_and_delete_are_405_with_allow)
{
	struct mbt_resp	 r;
	const char	*allow;

	start();
	raw(&r, env.port, "POST /index.html HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Content-Length: 3\r\nConnection: close\r\n\r\nabc");
	expect_status(&r, 405);
	allow = mbt_header(&r, "Allow");
	cr_assert_not_null(allow, "no Allow in:\n%s", r.head);
	cr_assert_not_null(strstr(allow, "GET"), "Allow: %s", allow);
	cr_assert_null(strstr(allow, "POST"), "Allow: %s", allow);
	mbt_resp_free(&r);
	raw(&r, env.port, "DELETE /index.html HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n");
	expect_status(&r, 405);
	cr_assert_not_null(mbt_header(&r, "Allow"));
	mbt_resp_free(&r);
}

Test(server, unknown_method_is_501)
{
	start();
	expect_raw(env.port, "BREW /index.html HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n", 501);
}

Test(server, http10_without_host_needs_a_hostless_binding)
{
	struct mbt_resp	 r;

	start();
	/* Port 2 has a binding for any host: it takes none too. */
	raw(&r, env.port2, "GET / HTTP/1.0\r\n\r\n");
	expect_status(&r, 200);
	cr_assert_str_eq(r.body, "site gamma\n");
	mbt_resp_free(&r);
	/* Port 1 only has host names. */
	expect_raw(env.port, "GET / HTTP/1.0\r\n\r\n", 400);
}

Test(server, http11_without_host_is_400)
{
	start();
	expect_raw(env.port, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
	    400);
}

/* Issue 11: an empty Host was served by the site taking any host. */
Test(server, empty_host_is_400_whatever_the_bindings)
{
	start();
	expect_raw(env.port2, "GET / HTTP/1.1\r\nHost:\r\n"
	    "Connection: close\r\n\r\n", 400);
	expect_raw(env.port2, "GET / HTTP/1.0\r\nHost: :80\r\n\r\n", 400);
	expect_raw(env.port2, "GET / HTTP/1.1\r\nHost: a b\r\n"
	    "Connection: close\r\n\r\n", 400);
}

/* Issue 7: a Host over 255 bytes (HP_MAXHOST) was served as one without
 * a name. */
Test(server, host_over_255_bytes_is_400)
{
	char	 req[512];

	start();
	xsnprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %0*d\r\n"
	    "Connection: close\r\n\r\n", 256, 0);
	expect_raw(env.port2, req, 400);
	xsnprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %0*d\r\n"
	    "Connection: close\r\n\r\n", 255, 0);
	expect_raw(env.port2, req, 200);
}

Test(server, long_request_line_is_414)
{
	struct mbt_resp	 r;
	char		*req;
	size_t		 n = 9 * 1024;

	start();
	req = malloc(n + 128);
	cr_assert_not_null(req);
	memcpy(req, "GET /", 5);
	memset(req + 5, 'a', n);
	xsnprintf(req + 5 + n, 123, " HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n");
	raw(&r, env.port, req);
	free(req);
	expect_status(&r, 414);
	mbt_resp_free(&r);
}

/* Issue 11: a method as long as the request line was 414, which is for
 * the target alone (RFC 9110 15.5.15). */
Test(server, long_method_is_501)
{
	struct mbt_resp	 r;
	char		*req;
	size_t		 n = 9 * 1024;

	start();
	req = malloc(n + 128);
	cr_assert_not_null(req);
	memset(req, 'M', n);
	xsnprintf(req + n, 123, " / HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n");
	raw(&r, env.port, req);
	free(req);
	expect_status(&r, 501);
	mbt_resp_free(&r);
}

Test(server, too_many_header_fields_is_431)
{
	char		 req[8192];
	size_t		 n;
	int		 i;

	start();
	xsnprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n");
	n = strlen(req);
	/* 101 fields in all. */
	for (i = 0; i < 99; i++) {
		xsnprintf(req + n, sizeof(req) - n, "X-Field-%d: v\r\n", i);
		n += strlen(req + n);
	}
	xsnprintf(req + n, sizeof(req) - n, "\r\n");
	expect_raw(env.port, req, 431);
}

Test(server, http2_request_line_is_505)
{
	start();
	expect_raw(env.port, "GET / HTTP/2.0\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n", 505);
}

Test(server, absolute_form_target_names_the_site)
{
	char	 req[512];
	struct mbt_resp	 r;

	start();
	/* RFC 9112 3.2.2: the target's authority wins over Host. */
	raw(&r, env.port, "GET http://beta.test/ HTTP/1.1\r\n"
	    "Host: alpha.test\r\nConnection: close\r\n\r\n");
	expect_status(&r, 200);
	cr_assert_str_eq(r.body, "site beta\n");
	mbt_resp_free(&r);
	xsnprintf(req, sizeof(req), "GET http://alpha.test:%u/index.html "
	    "HTTP/1.1\r\nHost: alpha.test\r\nConnection: close\r\n\r\n",
	    env.port);
	raw(&r, env.port, req);
	expect_status(&r, 200);
	cr_assert_str_eq(r.body, "site alpha\n");
	mbt_resp_free(&r);
}

Test(server, request_body_does_not_break_the_framing)
{
	struct mbt_resp	 a, b;
	int		 fd;

	www_file("alpha/two.txt", "two\n");
	start();
	fd = mbt_connect(env.port);
	cr_assert_neq(fd, -1);
	/* A body on a GET is read and dropped, not taken as a request. */
	cr_assert_eq(mbt_send(fd, "GET /index.html HTTP/1.1\r\n"
	    "Host: alpha.test\r\nContent-Length: 25\r\n\r\n"
	    "GET /two.txt HTTP/1.1\r\n\r\n"
	    "GET /two.txt HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n"), 0);
	cr_assert_eq(mbt_read_response(fd, &a, 0), 0);
	expect_status(&a, 200);
	cr_assert_str_eq(a.body, "site alpha\n");
	cr_assert_eq(mbt_read_response(fd, &b, 0), 0);
	expect_status(&b, 200);
	cr_assert_str_eq(b.body, "two\n");
	cr_assert_eq(mbt_closed(fd, 5000), 1);
	mbt_close(fd);
	mbt_resp_free(&a);
	mbt_resp_free(&b);
}

Test(server, pipelined_requests_are_answered_in_order)
{
	struct mbt_resp	 a, b, c;
	int		 fd;

	www_file("alpha/two.txt", "two\n");
	start();
	fd = mbt_connect(env.port);
	cr_assert_neq(fd, -1);
	cr_assert_eq(mbt_send(fd, "GET /index.html HTTP/1.1\r\n"
	    "Host: alpha.test\r\n\r\nGET /two.txt HTTP/1.1\r\n"
	    "Host: alpha.test\r\n\r\nGET / HTTP/1.1\r\nHost: beta.test\r\n"
	    "Connection: close\r\n\r\n"), 0);
	cr_assert_eq(mbt_read_response(fd, &a, 0), 0);
	cr_assert_eq(mbt_read_response(fd, &b, 0), 0);
	cr_assert_eq(mbt_read_response(fd, &c, 0), 0);
	expect_status(&a, 200);
	expect_status(&b, 200);
	expect_status(&c, 200);
	cr_assert_str_eq(a.body, "site alpha\n");
	cr_assert_str_eq(b.body, "two\n");
	cr_assert_str_eq(c.body, "site beta\n");
	cr_assert_eq(mbt_closed(fd, 5000), 1);
	mbt_close(fd);
	mbt_resp_free(&a);
	mbt_resp_free(&b);
	mbt_resp_free(&c);
}

/*
 * Content types.
 */

Test(server, mime_types_from_mimemap_and_site_override)
{
	struct mbt_resp	 r;
	const char	*ct;

	www_file("alpha/style.css", "body {}\n");
	www_file("alpha/img.png", "PNG");
	www_file("beta/style.css", "body {}\n");
	MBCTL("set", "W3SVC/2/MimeMap", ".css,text/x-beta-css");
	start();
	get(&r, env.port, "alpha.test", "/style.css");
	expect_status(&r, 200);
	ct = mbt_header(&r, "Content-Type");
	cr_assert(ct != NULL && strncmp(ct, "text/css", 8) == 0,
	    "Content-Type: %s", ct ? ct : "(none)");
	mbt_resp_free(&r);
	get(&r, env.port, "alpha.test", "/img.png");
	expect_status(&r, 200);
	ct = mbt_header(&r, "Content-Type");
	cr_assert(ct != NULL && strcmp(ct, "image/png") == 0,
	    "Content-Type: %s", ct ? ct : "(none)");
	mbt_resp_free(&r);
	get(&r, env.port, "beta.test", "/style.css");
	expect_status(&r, 200);
	ct = mbt_header(&r, "Content-Type");
	cr_assert(ct != NULL && strncmp(ct, "text/x-beta-css", 15) == 0,
	    "Content-Type: %s", ct ? ct : "(none)");
	mbt_resp_free(&r);
}

/*
 * Nothing outside the site's folder, whatever the path.
 */

#define SECRET	"TOP-SECRET-mbt-outside-the-root"

static void
expect_refused(const char *req)
{
	struct mbt_resp	 r;

	raw(&r, env.port, req);
	cr_assert(r.status == 404 || r.status == 400,
	    "%s: status %d, expected 404 or 400", req, r.status);
	cr_assert_null(strstr(r.body, SECRET), "%s: leaked the secret", req);
	cr_assert_null(strstr(r.body, "root:"), "%s: leaked /etc/passwd",
	    req);
	mbt_resp_free(&r);
}

Test(server, path_traversal_never_leaves_the_root)
{
	static const char *const paths[] = {
		"/../../secret.txt",
		"/../secret.txt",
		"/a/../../../secret.txt",
		"/%2e%2e/%2e%2e/secret.txt",
		"/%2E%2E/%2E%2E/secret.txt",
		"/.%2e/.%2e/secret.txt",
		"/..%2f..%2fsecret.txt",
		"/%2e%2e%2f%2e%2e%2fsecret.txt",
		"/..%5c..%5csecret.txt",
		"/index.html%00",
		"/index.html%00.txt",
		"/%00/../../secret.txt",
		"/passwd-link",
		"/secret-link",
		"/outside-dir/secret.txt",
		"/outside-dir/",
		"/%2e%2e/%2e%2e/etc/passwd",
		"/../../../../../../../../etc/passwd",
	};
	char	 path[PATH_MAX], req[1024];
	size_t	 i;

	xsnprintf(path, sizeof(path), "%s/secret.txt", env.dir);
	cr_assert_eq(mbt_write_file(path, SECRET "\n"), 0);
	www_symlink("/etc/passwd", "alpha/passwd-link");
	www_symlink("../../secret.txt", "alpha/secret-link");
	www_symlink(env.dir, "alpha/outside-dir");
	www_symlink("index.html", "alpha/inside-link.html");
	www_file("alpha/sub/page.html", "page\n");
	www_symlink("sub", "alpha/sub-link");
	MBCTL("set", "W3SVC/1/DirBrowseFlags", "EnableDirBrowsing");
	start();
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		xsnprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n"
		    "Host: alpha.test\r\nConnection: close\r\n\r\n", paths[i]);
		expect_refused(req);
	}
	expect_refused("GET http://alpha.test/../../secret.txt HTTP/1.1\r\n"
	    "Host: alpha.test\r\nConnection: close\r\n\r\n");
	/* Links that stay inside work. */
	expect_get(env.port, "alpha.test", "/inside-link.html", 200,
	    "site alpha\n");
	expect_get(env.port, "alpha.test", "/sub-link/page.html", 200,
	    "page\n");
	/* A dot segment inside the root is fine. */
	expect_get(env.port, "alpha.test", "/sub/../index.html", 200,
	    "site alpha\n");
}

/*
 * The access log.
 */

static void
log_name(char *buf, size_t len, unsigned site, time_t t)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	xsnprintf(buf, len, "%s/W3SVC%u/ex%02d%02d%02d.log", env.logs, site,
	    tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday);
}

/*
 * Wait until site's log for the day of t0 or t1 (a test may cross
 * midnight UTC) has at least n entries; its text, malloc'd.
 */
static char *
wait_log(unsigned site, time_t t0, time_t t1, int n)
{
	char		 p0[PATH_MAX], p1[PATH_MAX];
	char		*s = NULL;
	long long	 deadline = mbt_now_ms() + LOG_TIMEOUT_MS;

	log_name(p0, sizeof(p0), site, t0);
	log_name(p1, sizeof(p1), site, t1);
	for (;;) {
		free(s);
		if ((s = mbt_slurp(p0)) == NULL || mbt_log_entries(s) < n) {
			free(s);
			s = mbt_slurp(p1);
		}
		if (s != NULL && mbt_log_entries(s) >= n)
			return s;
		if (mbt_now_ms() >= deadline)
			break;
		mbt_sleep_ms(50);
	}
	cr_assert_fail("no %d entries in %s: %s", n, p1, s ? s : "(no file)");
	return NULL;
}

/* The field named name of entry line, by the #Fields directive. */
static int
field(const char *fields, const char *line, const char *name, char *out,
    size_t outlen)
{
	const char	*f = fields, *v = line;
	size_t		 nl = strlen(name), len;

	for (;;) {
		len = strcspn(v, " \n");
		if (strncmp(f, name, nl) == 0 && (f[nl] == ' ' ||
		    f[nl] == '\n' || f[nl] == '\0')) {
			if (len >= outlen)
				return -1;
			memcpy(out, v, len);
			out[len] = '\0';
			return 0;
		}
		f += strcspn(f, " \n");
		v += len;
		if (*f != ' ' || *v != ' ')
			return -1;
		f++;
		v++;
	}
}

Test(server, access_log_has_iis_directives_and_lines)
{
	static const char fields[] = "date time s-ip cs-method cs-uri-stem "
	    "cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) "
	    "sc-status sc-substatus sc-win32-status time-taken";
	char		 v[256], port[16], req[512];
	char		*log, *line, *f, *l2;
	time_t		 t0, t1;
	struct tm	 tm;
	int		 y, mo, d;

	start();
	t0 = time(NULL);
	xsnprintf(req, sizeof(req), "GET /index.html?a=1 HTTP/1.1\r\n"
	    "Host: alpha.test\r\nUser-Agent: mbt test/1.0\r\n"
	    "Connection: close\r\n\r\n");
	expect_raw(env.port, req, 200);
	/*
	 * A worker logs after it has answered: wait for the line before
	 * the next request, which another worker may serve.
	 */
	free(wait_log(1, t0, time(NULL), 1));
	expect_get(env.port, "alpha.test", "/missing.html", 404, NULL);
	expect_get(env.port, "beta.test", "/", 200, NULL);
	/* Site 2 has a log of its own, written before we look at site 1's. */
	log = wait_log(2, t0, time(NULL), 1);
	cr_assert_eq(mbt_log_entries(log), 1, "log 2:\n%s", log);
	free(log);
	log = wait_log(1, t0, time(NULL), 2);
	t1 = time(NULL);

	cr_assert_eq(strncmp(log, "#Software: mbhttpd", 18), 0, "log:\n%s",
	    log);
	cr_assert_not_null(strstr(log, "\n#Version: 1.0\n"), "log:\n%s", log);
	line = strstr(log, "\n#Date: ");
	cr_assert_not_null(line, "log:\n%s", log);
	cr_assert_eq(sscanf(line, "\n#Date: %d-%d-%d", &y, &mo, &d), 3);
	gmtime_r(&t0, &tm);
	if (tm.tm_mday != d)
		gmtime_r(&t1, &tm);
	cr_assert(y == tm.tm_year + 1900 && mo == tm.tm_mon + 1 &&
	    d == tm.tm_mday, "#Date %d-%d-%d is not today (UTC)", y, mo, d);
	f = strstr(log, "\n#Fields: ");
	cr_assert_not_null(f, "log:\n%s", log);
	f += 10;
	cr_assert_eq(strncmp(f, fields, strlen(fields)), 0,
	    "#Fields: %.200s", f);
	cr_assert_eq(f[strlen(fields)], '\n', "#Fields: %.200s", f);

	/* The entries follow the directives, in order. */
	line = strchr(f, '\n') + 1;
	cr_assert_neq(*line, '#', "log:\n%s", log);
	xsnprintf(port, sizeof(port), "%u", env.port);
	cr_assert_eq(field(fields, line, "cs-method", v, sizeof(v)), 0);
	cr_assert_str_eq(v, "GET");
	cr_assert_eq(field(fields, line, "cs-uri-stem", v, sizeof(v)), 0);
	cr_assert_str_eq(v, "/index.html");
	cr_assert_eq(field(fields, line, "cs-uri-query", v, sizeof(v)), 0);
	cr_assert_str_eq(v, "a=1");
	cr_assert_eq(field(fields, line, "sc-status", v, sizeof(v)), 0);
	cr_assert_str_eq(v, "200");
	cr_assert_eq(field(fields, line, "s-port", v, sizeof(v)), 0);
	cr_assert_str_eq(v, port);
	cr_assert_eq(field(fields, line, "c-ip", v, sizeof(v)), 0);
	cr_assert_str_eq(v, "127.0.0.1");
	cr_assert_eq(field(fields, line, "cs(User-Agent)", v, sizeof(v)), 0);
	cr_assert_str_eq(v, "mbt+test/1.0");
	cr_assert_eq(field(fields, line, "cs(Referer)", v, sizeof(v)), 0);
	cr_assert_str_eq(v, "-");
	cr_assert_eq(field(fields, line, "date", v, sizeof(v)), 0);
	cr_assert_eq(strlen(v), 10, "date %s", v);

	l2 = strchr(line, '\n');
	cr_assert_not_null(l2);
	l2++;
	cr_assert_eq(field(fields, l2, "cs-uri-stem", v, sizeof(v)), 0,
	    "log:\n%s", log);
	cr_assert_str_eq(v, "/missing.html");
	cr_assert_eq(field(fields, l2, "sc-status", v, sizeof(v)), 0);
	cr_assert_str_eq(v, "404");
	cr_assert_eq(mbt_log_entries(log), 2, "beta's line in alpha's log:\n%s",
	    log);
	free(log);
}

/*
 * Processes.
 */

static int
in_list(pid_t p, const pid_t *l, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (l[i] == p)
			return 1;
	return 0;
}

/* Wait for the pool to have at least n workers; how many it has. */
static size_t
wait_workers(pid_t *pids, size_t max, size_t n)
{
	long long	 deadline = mbt_now_ms() + RESPAWN_TIMEOUT_MS;
	size_t		 got;

	for (;;) {
		got = mbt_workers(&env, pids, max);
		if (got >= n || mbt_now_ms() >= deadline)
			return got;
		mbt_sleep_ms(50);
	}
}

Test(server, killed_worker_is_replaced)
{
	pid_t		 before[64], after[64], victim;
	size_t		 nb, na, i;
	long long	 deadline;
	int		 replaced = 0;

	start();
	nb = wait_workers(before, 64, 2);
	cr_assert_geq(nb, 2, "only %zu workers", nb);
	expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");
	victim = before[0];
	cr_assert_eq(kill(victim, SIGKILL), 0);
	deadline = mbt_now_ms() + RESPAWN_TIMEOUT_MS;
	while (!replaced && mbt_now_ms() < deadline) {
		expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");
		na = mbt_workers(&env, after, 64);
		if (in_list(victim, after, na) || na < 2) {
			mbt_sleep_ms(50);
			continue;
		}
		for (i = 0; i < na; i++)
			if (!in_list(after[i], before, nb))
				replaced = 1;
		if (!replaced)
			mbt_sleep_ms(50);
	}
	cr_assert(replaced, "worker %ld not replaced", (long)victim);
	expect_get(env.port, "beta.test", "/", 200, "site beta\n");
	expect_get(env.port2, "x", "/", 200, "site gamma\n");
}

Test(server, sigterm_stops_cleanly)
{
	struct mbt_resp	 r;
	pid_t		 w[64], master;
	char		 pidfile[PATH_MAX];
	int		 ka;
	size_t		 n, i;
	long long	 deadline;
	int		 status;
	pid_t		 wr;

	start();
	master = env.server;
	n = wait_workers(w, 64, 2);
	cr_assert_geq(n, 2, "only %zu workers", n);
	xsnprintf(pidfile, sizeof(pidfile), "%s/mbhttpd.pid", env.dir);
	cr_assert_eq(access(pidfile, F_OK), 0, "no pid file %s", pidfile);
	expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");
	/* A kept-alive connection, idle, must not hold the stop up. */
	ka = mbt_connect(env.port);
	cr_assert_neq(ka, -1);
	cr_assert_eq(mbt_send(ka, "GET / HTTP/1.1\r\nHost: beta.test\r\n\r\n"),
	    0);
	cr_assert_eq(mbt_read_response(ka, &r, 0), 0);
	expect_status(&r, 200);
	mbt_resp_free(&r);

	cr_assert_eq(kill(master, SIGTERM), 0);
	deadline = mbt_now_ms() + STOP_TIMEOUT_MS;
	while ((wr = waitpid(master, &status, WNOHANG)) == 0 &&
	    mbt_now_ms() < deadline)
		mbt_sleep_ms(20);
	cr_assert_eq(wr, master, "the master did not stop within %d ms",
	    STOP_TIMEOUT_MS);
	env.server = 0;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "master exit status %d", status);
	/* It reaped every worker before it went. */
	for (i = 0; i < n; i++)
		cr_assert(kill(w[i], 0) == -1 && errno == ESRCH,
		    "worker %ld outlived the master", (long)w[i]);
	/* Nor any other process of its group (they would be orphans). */
	cr_assert(kill(-master, 0) == -1 && errno == ESRCH,
	    "processes of the server's group outlived the master");
	cr_assert(access(pidfile, F_OK) == -1 && errno == ENOENT,
	    "pid file %s left behind", pidfile);
	cr_assert_eq(mbt_connect(env.port), -1, "still listening");
	cr_assert_eq(mbt_closed(ka, 5000), 1, "kept-alive connection open");
	mbt_close(ka);
}

/*
 * Startup.
 */

Test(server, test_flag_prints_listen_addresses)
{
	char	 bin[PATH_MAX], conf[PATH_MAX], out[8192], err[8192];
	char	 want[64];
	int	 rc;

	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	xsnprintf(conf, sizeof(conf), "%s/t.conf", env.dir);
	write_conf(conf, env.metabase);
	{
		const char *const av[] = { bin, "-t", "-f", conf, NULL };

		rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
		    RUN_TIMEOUT_MS);
	}
	cr_assert_eq(rc, 0, "mbhttpd -t: exit %d\nstdout: %s\nstderr: %s", rc,
	    out, err);
	xsnprintf(want, sizeof(want), "127.0.0.1:%u", env.port);
	cr_assert_not_null(strstr(out, want), "no %s in:\n%s", want, out);
	xsnprintf(want, sizeof(want), "127.0.0.1:%u", env.port2);
	cr_assert_not_null(strstr(out, want), "no %s in:\n%s", want, out);
	/* It only tests: nothing listens. */
	cr_assert_eq(mbt_connect(env.port), -1);
}

/* -t binds what it needs, and says so when another program holds a port. */
Test(server, test_flag_fails_on_a_taken_port)
{
	struct sockaddr_in sin;
	char	 bin[PATH_MAX], conf[PATH_MAX], out[8192], err[8192];
	char	 want[64];
	int	 s, rc, one = 1;

	s = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_neq(s, -1);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)env.port2);
	cr_assert_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0,
	    "bind: %s", strerror(errno));
	cr_assert_eq(listen(s, 1), 0);
	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	xsnprintf(conf, sizeof(conf), "%s/t.conf", env.dir);
	write_conf(conf, env.metabase);
	{
		const char *const av[] = { bin, "-t", "-f", conf, NULL };

		rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
		    RUN_TIMEOUT_MS);
	}
	close(s);
	cr_assert_eq(rc, 1, "exit %d\nstdout: %s\nstderr: %s", rc, out, err);
	xsnprintf(want, sizeof(want), "cannot bind 127.0.0.1:%u", env.port2);
	cr_assert_not_null(strstr(err, want), "no '%s' in: %s", want, err);
	cr_assert_null(strstr(out, "configuration ok"), "stdout: %s", out);
	/* The free port was let go. */
	cr_assert_eq(mbt_connect(env.port), -1);
}

/* -t beside the running server: its sockets are its own, not an error. */
Test(server, test_flag_beside_the_running_server)
{
	char	 bin[PATH_MAX], out[8192], err[8192];
	int	 rc;

	start();
	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	{
		const char *const av[] = { bin, "-t", "-f", env.conf, NULL };

		rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
		    RUN_TIMEOUT_MS);
	}
	cr_assert_eq(rc, 0, "exit %d\nstdout: %s\nstderr: %s", rc, out, err);
	cr_assert_not_null(strstr(out, "by the running mbhttpd"), "%s", out);
	cr_assert_not_null(strstr(out, "configuration ok"), "%s", out);
}

/* The sample bootstrap file that make install puts in place is valid. */
Test(server, sample_bootstrap_file_is_valid)
{
	char	 bin[PATH_MAX], conf[PATH_MAX], out[8192], err[8192];
	int	 rc;

	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	xsnprintf(conf, sizeof(conf), "%s/dist/mbhttpd.conf.sample",
	    mbt_srcdir());
	{
		const char *const av[] = { bin, "-t", "-f", conf, "-m",
		    env.metabase, NULL };

		rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
		    RUN_TIMEOUT_MS);
	}
	cr_assert_eq(rc, 0, "exit %d\nstdout: %s\nstderr: %s", rc, out, err);
	cr_assert_not_null(strstr(out, "configuration ok"), "%s", out);
}

/* make install puts the unit, the logrotate snippet and the bootstrap
 * file under DESTDIR, with the prefix's paths. */
Test(server, make_install_puts_the_service_files_in_place)
{
	char	 dest[PATH_MAX], dv[PATH_MAX + 16], ov[PATH_MAX + 8];
	char	 path[PATH_MAX], out[8192], err[8192], *unit;
	int	 rc;

	xsnprintf(dest, sizeof(dest), "%s/dest", env.dir);
	xsnprintf(dv, sizeof(dv), "DESTDIR=%s", dest);
	xsnprintf(ov, sizeof(ov), "O=%s", mbt_build());
	{
		const char *const av[] = { "/usr/bin/make", "-s", "-C",
		    mbt_srcdir(), dv, ov, "PREFIX=/opt/mb", "install", NULL };

		rc = mbt_run(av, out, sizeof(out), err, sizeof(err), 120000);
	}
	cr_assert_eq(rc, 0, "make install: %d\n%s\n%s", rc, out, err);
	xsnprintf(path, sizeof(path), "%s/opt/mb/lib/systemd/system/"
	    "mbhttpd.service", dest);
	cr_assert_not_null(unit = mbt_slurp(path), "no %s", path);
	cr_assert_not_null(strstr(unit, "ExecStart=/opt/mb/sbin/mbhttpd -F "
	    "-f /etc/mbhttpd/mbhttpd.conf\n"), "%s", unit);
	cr_assert_not_null(strstr(unit, "ExecReload=/bin/kill -HUP $MAINPID"));
	cr_assert_not_null(strstr(unit, "KillSignal=SIGQUIT"));
	cr_assert_null(strstr(unit, "@"), "unfilled: %s", unit);
	free(unit);
	xsnprintf(path, sizeof(path), "%s/opt/mb/sbin/mbhttpd", dest);
	cr_assert_eq(access(path, X_OK), 0, "%s", path);
	xsnprintf(path, sizeof(path), "%s/etc/logrotate.d/mbhttpd", dest);
	cr_assert_eq(access(path, R_OK), 0, "%s", path);
	xsnprintf(path, sizeof(path), "%s/etc/mbhttpd/mbhttpd.conf", dest);
	cr_assert_eq(access(path, R_OK), 0, "%s", path);
}

Test(server, version_flag)
{
	char	 bin[PATH_MAX], out[256], err[256];
	int	 rc;

	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	{
		const char *const av[] = { bin, "-V", NULL };

		rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
		    RUN_TIMEOUT_MS);
	}
	cr_assert_eq(rc, 0);
	cr_assert_eq(strncmp(out, "mbhttpd ", 8), 0, "stdout: %s", out);
	cr_assert(out[8] >= '0' && out[8] <= '9', "stdout: %s", out);
}

Test(server, missing_metabase_is_one_line_and_exit_1)
{
	char	 bin[PATH_MAX], conf[PATH_MAX], mb[PATH_MAX];
	char	 out[8192], err[8192];
	int	 rc;

	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	xsnprintf(conf, sizeof(conf), "%s/t.conf", env.dir);
	xsnprintf(mb, sizeof(mb), "%s/no-such-metabase", env.dir);
	write_conf(conf, mb);
	{
		const char *const av[] = { bin, "-F", "-f", conf, NULL };

		rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
		    RUN_TIMEOUT_MS);
	}
	cr_assert_eq(rc, 1, "exit %d\nstderr: %s", rc, err);
	cr_assert_eq(count_char(err, '\n'), 1, "not one line:\n%s", err);
	cr_assert_not_null(strstr(err, "no-such-metabase"), "stderr: %s",
	    err);
}

Test(server, taken_port_is_exit_1_naming_the_binding)
{
	struct sockaddr_in sin;
	char	 bin[PATH_MAX], conf[PATH_MAX], out[8192], err[8192];
	char	 want[64];
	int	 s, rc, one = 1;

	/* Hold the second port as another program would. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_neq(s, -1);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)env.port2);
	cr_assert_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0,
	    "bind: %s", strerror(errno));
	cr_assert_eq(listen(s, 1), 0);

	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	xsnprintf(conf, sizeof(conf), "%s/t.conf", env.dir);
	write_conf(conf, env.metabase);
	{
		const char *const av[] = { bin, "-F", "-f", conf, NULL };

		rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
		    RUN_TIMEOUT_MS);
	}
	close(s);
	cr_assert_eq(rc, 1, "exit %d\nstderr: %s", rc, err);
	xsnprintf(want, sizeof(want), "127.0.0.1:%u", env.port2);
	cr_assert_not_null(strstr(err, want), "no %s in: %s", want, err);
}

Test(server, conf_syntax_error_names_the_line)
{
	char	 bin[PATH_MAX], conf[PATH_MAX], text[2 * PATH_MAX];
	char	 out[8192], err[8192], want[PATH_MAX + 8];
	int	 rc;

	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	xsnprintf(conf, sizeof(conf), "%s/bad.conf", env.dir);
	xsnprintf(text, sizeof(text), "# a comment\nmetabase = \"%s\";\n"
	    "pid_file = ;\n", env.metabase);
	cr_assert_eq(mbt_write_file(conf, text), 0);
	{
		const char *const av[] = { bin, "-F", "-f", conf, NULL };

		rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
		    RUN_TIMEOUT_MS);
	}
	cr_assert_eq(rc, 1, "exit %d\nstderr: %s", rc, err);
	xsnprintf(want, sizeof(want), "%s:3", conf);
	cr_assert_not_null(strstr(err, want), "no %s in: %s", want, err);
	cr_assert_eq(count_char(err, '\n'), 1, "not one line:\n%s", err);
}

/*
 * More of the same, at the edges.
 */

Test(server, large_file_body_and_range_are_exact)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	struct mbt_resp	 r;
	char		*big, req[512], want[64];
	size_t		 n = 300 * 1024, i;

	big = malloc(n + 1);
	cr_assert_not_null(big);
	/* No byte repeats at a short period: a shifted body would show. */
	for (i = 0; i < n; i++)
		big[i] = abc[(i * 7 + i / 36) % 36];
	big[n] = '\0';
	www_file("alpha/big.txt", big);
	start();
	get(&r, env.port, "alpha.test", "/big.txt");
	expect_status(&r, 200);
	cr_assert_eq(r.bodylen, n);
	cr_assert_eq(memcmp(r.body, big, n), 0, "body differs");
	mbt_resp_free(&r);

	xsnprintf(req, sizeof(req), "GET /big.txt HTTP/1.1\r\n"
	    "Host: alpha.test\r\nRange: bytes=100000-250000\r\n"
	    "Connection: close\r\n\r\n");
	raw(&r, env.port, req);
	expect_status(&r, 206);
	xsnprintf(want, sizeof(want), "bytes 100000-250000/%zu", n);
	cr_assert_str_eq(mbt_header(&r, "Content-Range"), want);
	cr_assert_eq(r.bodylen, 150001);
	cr_assert_eq(memcmp(r.body, big + 100000, 150001), 0, "range differs");
	mbt_resp_free(&r);

	/* The last 10 bytes. */
	raw(&r, env.port, "GET /big.txt HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Range: bytes=-10\r\nConnection: close\r\n\r\n");
	expect_status(&r, 206);
	cr_assert_eq(r.bodylen, 10);
	cr_assert_eq(memcmp(r.body, big + n - 10, 10), 0);
	mbt_resp_free(&r);
	free(big);
}

Test(server, head_of_large_file_and_of_errors_has_no_body)
{
	struct mbt_resp	 h1, h2, h3, g;
	char		*big;
	size_t		 n = 200 * 1024;
	int		 fd;

	big = malloc(n + 1);
	cr_assert_not_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	www_file("alpha/big.txt", big);
	free(big);
	www_file("alpha/sub/index.html", "sub\n");
	start();
	fd = mbt_connect(env.port);
	cr_assert_neq(fd, -1);
	cr_assert_eq(mbt_send(fd, "HEAD /big.txt HTTP/1.1\r\n"
	    "Host: alpha.test\r\n\r\nHEAD /missing HTTP/1.1\r\n"
	    "Host: alpha.test\r\n\r\nHEAD /sub HTTP/1.1\r\n"
	    "Host: alpha.test\r\n\r\nGET /index.html HTTP/1.1\r\n"
	    "Host: alpha.test\r\nConnection: close\r\n\r\n"), 0);
	cr_assert_eq(mbt_read_response(fd, &h1, 1), 0);
	expect_status(&h1, 200);
	cr_assert_str_eq(mbt_header(&h1, "Content-Length"), "204800");
	cr_assert_eq(mbt_read_response(fd, &h2, 1), 0,
	    "no answer after HEAD of a large file (a body was sent?)");
	expect_status(&h2, 404);
	cr_assert_eq(mbt_read_response(fd, &h3, 1), 0);
	expect_status(&h3, 301);
	cr_assert_eq(mbt_read_response(fd, &g, 0), 0,
	    "no answer to the GET (a body after HEAD?)");
	expect_status(&g, 200);
	cr_assert_str_eq(g.body, "site alpha\n");
	mbt_close(fd);
	mbt_resp_free(&h1);
	mbt_resp_free(&h2);
	mbt_resp_free(&h3);
	mbt_resp_free(&g);
}

Test(server, encoded_names_and_queries)
{
	www_file("alpha/sp ace.txt", "space\n");
	www_file("alpha/x<y>/in.txt", "angle\n");
	start();
	expect_get(env.port, "alpha.test", "/sp%20ace.txt", 200, "space\n");
	expect_get(env.port, "alpha.test", "/%73p%20ace.txt", 200, "space\n");
	expect_get(env.port, "alpha.test", "/x%3Cy%3E/in.txt", 200,
	    "angle\n");
	expect_get(env.port, "alpha.test", "/index.html?a=b&c=%20", 200,
	    "site alpha\n");
	expect_get(env.port, "alpha.test", "//index.html", 200,
	    "site alpha\n");
	expect_get(env.port, "alpha.test", "/./index.html", 200,
	    "site alpha\n");
}

Test(server, listing_title_is_escaped)
{
	struct mbt_resp	 r;

	www_file("alpha/x<y>/q\"uote'.txt", "1\n");
	MBCTL("set", "W3SVC/1/DirBrowseFlags", "EnableDirBrowsing");
	start();
	get(&r, env.port, "alpha.test", "/x%3Cy%3E/");
	expect_status(&r, 200);
	cr_assert_null(strstr(r.body, "<y>"), "unescaped:\n%s", r.body);
	cr_assert_not_null(strstr(r.body, "x&lt;y&gt;"), "body:\n%s", r.body);
	cr_assert_null(strstr(r.body, "q\"uote"), "unescaped:\n%s", r.body);
	cr_assert_null(strstr(r.body, "uote'"), "unescaped:\n%s", r.body);
	mbt_resp_free(&r);
}

Test(server, options_and_if_none_match_star_and_if_range)
{
	struct mbt_resp	 r;
	char		 req[512];

	www_file("alpha/range.txt", "0123456789");
	start();
	raw(&r, env.port, "OPTIONS * HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n");
	expect_status(&r, 200);
	cr_assert_not_null(mbt_header(&r, "Allow"));
	mbt_resp_free(&r);

	expect_raw(env.port, "GET /range.txt HTTP/1.1\r\nHost: alpha.test\r\n"
	    "If-None-Match: *\r\nConnection: close\r\n\r\n", 304);

	/* If-Range with another validator: the whole file, 200. */
	raw(&r, env.port, "GET /range.txt HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Range: bytes=0-3\r\nIf-Range: \"not-this-one\"\r\n"
	    "Connection: close\r\n\r\n");
	expect_status(&r, 200);
	cr_assert_str_eq(r.body, "0123456789");
	mbt_resp_free(&r);

	/* With its own ETag: the range. */
	get(&r, env.port, "alpha.test", "/range.txt");
	cr_assert_not_null(mbt_header(&r, "ETag"));
	xsnprintf(req, sizeof(req), "GET /range.txt HTTP/1.1\r\n"
	    "Host: alpha.test\r\nRange: bytes=0-3\r\nIf-Range: %s\r\n"
	    "Connection: close\r\n\r\n", mbt_header(&r, "ETag"));
	mbt_resp_free(&r);
	raw(&r, env.port, req);
	expect_status(&r, 206);
	cr_assert_str_eq(r.body, "0123");
	mbt_resp_free(&r);
}

Test(server, default_document_may_be_a_link_inside_the_root)
{
	www_file("alpha/common/page.html", "common\n");
	www_mkdir("alpha/sub");
	www_symlink("../common/page.html", "alpha/sub/index.html");
	start();
	/* The file itself, by its name: the link stays inside the root. */
	expect_get(env.port, "alpha.test", "/sub/index.html", 200,
	    "common\n");
	/* The same file as the folder's default document. */
	expect_get(env.port, "alpha.test", "/sub/", 200, "common\n");
}

Test(server, vdir_with_its_own_path)
{
	char	 path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/elsewhere/logo.txt", env.dir);
	cr_assert_eq(mbt_write_file(path, "logo\n"), 0);
	xsnprintf(path, sizeof(path), "%s/elsewhere", env.dir);
	MBCTL("create", "W3SVC/1/ROOT/images");
	MBCTL("set", "W3SVC/1/ROOT/images/Path", path);
	start();
	expect_get(env.port, "alpha.test", "/images/logo.txt", 200, "logo\n");
	expect_get(env.port, "beta.test", "/images/logo.txt", 404, NULL);
	/* The vdir's folder is not reachable above it. */
	expect_get(env.port, "alpha.test", "/images/../index.html", 200,
	    "site alpha\n");
}

Test(server, listing_tells_nothing_of_links_out_of_the_root)
{
	struct mbt_resp	 r;
	char		 path[PATH_MAX], *big;
	size_t		 n = 12345;
	int		 leak;

	/* A file outside the root, of a size that stands out. */
	big = malloc(n + 1);
	cr_assert_not_null(big);
	memset(big, 's', n);
	big[n] = '\0';
	xsnprintf(path, sizeof(path), "%s/outside-12345.txt", env.dir);
	cr_assert_eq(mbt_write_file(path, big), 0);
	free(big);
	www_file("alpha/files/plain.txt", "plain\n");
	www_symlink(path, "alpha/files/out-link");
	MBCTL("set", "W3SVC/1/DirBrowseFlags",
	    "EnableDirBrowsing|DirBrowseShowSize");
	start();
	/* The link itself cannot be opened... */
	expect_get(env.port, "alpha.test", "/files/out-link", 404, NULL);
	get(&r, env.port, "alpha.test", "/files/");
	expect_status(&r, 200);
	cr_assert_not_null(strstr(r.body, "plain.txt"), "body:\n%s", r.body);
	/* ...so the listing must not stat(2) its target either. */
	leak = strstr(r.body, "12345") != NULL;
	if (leak)
		fprintf(stderr, "listing:\n%s", r.body);
	mbt_resp_free(&r);
	cr_assert(!leak, "the listing shows the size of a file outside the "
	    "root");
}

/*
 * A client too slow to send its request head is answered 408 and dropped
 * after HeaderWaitTimeout, while the server goes on serving others.
 */
Test(server, slow_request_head_is_408_after_header_wait_timeout)
{
	struct mbt_resp	 r;
	long long	 t0, el;
	int		 fd;

	MBCTL("set", "W3SVC/HeaderWaitTimeout", "2");
	start();
	fd = mbt_connect(env.port);
	cr_assert_geq(fd, 0);
	t0 = mbt_now_ms();
	cr_assert_eq(mbt_send(fd, "GET / HTTP/1.1\r\nHost: alpha.test\r\n"), 0);
	/* Others are served meanwhile. */
	expect_get(env.port, "beta.test", "/", 200, "site beta\n");
	cr_assert_eq(mbt_read_response(fd, &r, 0), 0, "no 408 came");
	el = mbt_now_ms() - t0;
	expect_status(&r, 408);
	cr_assert_geq(el, 1500, "dropped after %lld ms, before the timeout",
	    el);
	cr_assert_lt(el, 8000, "dropped only after %lld ms", el);
	cr_assert_eq(mbt_closed(fd, 5000), 1, "the connection stayed open");
	mbt_resp_free(&r);
	mbt_close(fd);
}

/*
 * Regressions from review.
 */

/* Send s, which must all go. */
static void
send_str(int fd, const char *s)
{
	cr_assert_eq(mbt_send(fd, s), 0, "cannot send %.60s: %s", s,
	    strerror(errno));
}

/*
 * A request body that comes after its head (a separate read) is read into
 * the room after the head: it must not overwrite the head, whose fields
 * the answer still uses.  Were it to land on the head, the 60 bytes would
 * cover the query (at offset 9) with a header field of the client's.
 */
Test(server, late_request_body_does_not_overwrite_the_head)
{
	struct mbt_resp	 r;
	char		 q[41], req[512], body[61], want[64];
	const char	*loc;
	int		 fd;

	www_mkdir("alpha/dir");
	memset(q, 'q', 40);
	q[40] = '\0';
	memset(body, 'p', 60);
	body[60] = '\0';
	memcpy(body, "bbbbbbbbb\r\nSet-Cookie: pwn=1\r\nX-Pad: ", 37);
	start();
	fd = mbt_connect(env.port);
	cr_assert_neq(fd, -1);
	xsnprintf(req, sizeof(req), "GET /dir?%s HTTP/1.1\r\n"
	    "Host: alpha.test\r\nContent-Length: 60\r\n\r\n", q);
	send_str(fd, req);
	/* The head alone first: the server reads the body separately. */
	mbt_sleep_ms(300);
	send_str(fd, body);
	cr_assert_eq(mbt_read_response(fd, &r, 0), 0, "no answer");
	mbt_close(fd);
	expect_status(&r, 301);
	cr_assert_null(mbt_header(&r, "Set-Cookie"), "the body got into "
	    "the head:\n%s", r.head);
	cr_assert_null(strstr(r.head, "pwn"), "head:\n%s", r.head);
	loc = mbt_header(&r, "Location");
	cr_assert_not_null(loc, "no Location in:\n%s", r.head);
	xsnprintf(want, sizeof(want), "/dir/?%s", q);
	cr_assert_str_eq(loc, want, "head:\n%s", r.head);
	mbt_resp_free(&r);
}

Test(server, if_none_match_with_a_late_body_is_304)
{
	struct mbt_resp	 r;
	char		 etag[256], req[1024], body[101];
	int		 fd, late;

	memset(body, 'z', 100);
	body[100] = '\0';
	start();
	get(&r, env.port, "alpha.test", "/index.html");
	expect_status(&r, 200);
	cr_assert_not_null(mbt_header(&r, "ETag"), "head:\n%s", r.head);
	xsnprintf(etag, sizeof(etag), "%s", mbt_header(&r, "ETag"));
	mbt_resp_free(&r);
	/* The tag right after the request line and Host: within the first
	 * 100 bytes, where a body landing on the head would go. */
	xsnprintf(req, sizeof(req), "GET /index.html HTTP/1.1\r\n"
	    "Host: alpha.test\r\nIf-None-Match: %s\r\nContent-Length: 100\r\n"
	    "Connection: close\r\n\r\n", etag);
	for (late = 0; late <= 1; late++) {
		fd = mbt_connect(env.port);
		cr_assert_neq(fd, -1);
		send_str(fd, req);
		if (late)
			mbt_sleep_ms(300);
		send_str(fd, body);
		cr_assert_eq(mbt_read_response(fd, &r, 0), 0,
		    "no answer (body %s)", late ? "late" : "with the head");
		mbt_close(fd);
		cr_assert_eq(r.status, 304, "body %s: status %d, expected 304; "
		    "head:\n%s", late ? "late" : "with the head", r.status,
		    r.head);
		mbt_resp_free(&r);
	}
}

/* The body of r ends with s. */
static int
ends_with(const struct mbt_resp *r, const char *s)
{
	size_t	 n = strlen(s);

	return r->bodylen >= n && memcmp(r->body + r->bodylen - n, s, n) == 0;
}

/* A listing: 200, whole, framed by its Content-Length, no NUL in it. */
static void
expect_listing(const struct mbt_resp *r)
{
	const char	*cl, *nul;

	expect_status(r, 200);
	cl = mbt_header(r, "Content-Length");
	cr_assert_not_null(cl, "head:\n%s", r->head);
	cr_assert_eq(strtoull(cl, NULL, 10), (unsigned long long)r->bodylen,
	    "Content-Length %s, body %zu bytes", cl, r->bodylen);
	cr_assert(ends_with(r, "</html>\n"), "the listing does not end with "
	    "</html>");
	nul = memchr(r->body, '\0', r->bodylen);
	cr_assert_null(nul, "a NUL byte at %zu in the listing",
	    nul != NULL ? (size_t)(nul - r->body) : 0);
}

Test(server, listing_of_an_empty_folder)
{
	struct mbt_resp	 r;

	www_mkdir("alpha/empty");
	MBCTL("set", "W3SVC/1/ROOT/DirBrowseFlags",
	    "EnableDirBrowsing|EnableDefaultDoc");
	start();
	/* The first listing of a fresh worker: nothing allocated yet. */
	get(&r, env.port, "alpha.test", "/empty/");
	expect_listing(&r);
	cr_assert_not_null(strstr(r.body, "[To Parent Directory]"),
	    "body:\n%s", r.body);
	mbt_resp_free(&r);
}

#define AMP_DEPTH	15
#define AMP_NAME	250

/*
 * A path whose escaped form is long (every '&' becomes "&amp;"): the
 * listing's title and heading, each some 18 KB, must come whole.  (The
 * two once went through one 36 KB buffer by snprintf(3), and the bytes
 * past its end were sent as well.)
 */
Test(server, listing_of_a_deep_path_of_ampersands)
{
	struct mbt_resp	 r;
	char		 name[AMP_NAME + 1], path[PATH_MAX];
	char		*url, *title, *want, *req;
	size_t		 ul = 0, tl = 0, i, k;
	int		 dfd, nfd;

	memset(name, '&', AMP_NAME);
	name[AMP_NAME] = '\0';
	url = malloc(AMP_DEPTH * (AMP_NAME + 1) + 2);
	title = malloc(AMP_DEPTH * (5 * AMP_NAME + 1) + 2);
	want = malloc(AMP_DEPTH * (5 * AMP_NAME + 1) + 64);
	req = malloc(AMP_DEPTH * (AMP_NAME + 1) + 256);
	cr_assert(url != NULL && title != NULL && want != NULL && req != NULL);
	url[ul++] = '/';
	title[tl++] = '/';
	xsnprintf(path, sizeof(path), "%s/alpha", env.www);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_neq(dfd, -1, "%s: %s", path, strerror(errno));
	for (i = 0; i < AMP_DEPTH; i++) {
		cr_assert_eq(mkdirat(dfd, name, 0755), 0, "mkdir: %s",
		    strerror(errno));
		nfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cr_assert_neq(nfd, -1, "open: %s", strerror(errno));
		close(dfd);
		dfd = nfd;
		memcpy(url + ul, name, AMP_NAME);
		ul += AMP_NAME;
		url[ul++] = '/';
		for (k = 0; k < AMP_NAME; k++) {
			memcpy(title + tl, "&amp;", 5);
			tl += 5;
		}
		title[tl++] = '/';
	}
	url[ul] = title[tl] = '\0';
	nfd = openat(dfd, "leaf.txt", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_neq(nfd, -1, "leaf.txt: %s", strerror(errno));
	close(nfd);
	close(dfd);
	MBCTL("set", "W3SVC/1/ROOT/DirBrowseFlags",
	    "EnableDirBrowsing|EnableDefaultDoc");
	start();
	xsnprintf(req, AMP_DEPTH * (AMP_NAME + 1) + 256, "GET %s HTTP/1.1\r\n"
	    "Host: alpha.test\r\nConnection: close\r\n\r\n", url);
	raw(&r, env.port, req);
	expect_listing(&r);
	xsnprintf(want, AMP_DEPTH * (5 * AMP_NAME + 1) + 64,
	    "<title>%s</title>", title);
	cr_assert_not_null(strstr(r.body, want), "no whole <title> (body "
	    "%zu bytes)", r.bodylen);
	xsnprintf(want, AMP_DEPTH * (5 * AMP_NAME + 1) + 64, "<h1>%s</h1>",
	    title);
	cr_assert_not_null(strstr(r.body, want), "no whole <h1> (body %zu "
	    "bytes)", r.bodylen);
	cr_assert_not_null(strstr(r.body, ">leaf.txt</a>"), "leaf.txt not "
	    "listed");
	mbt_resp_free(&r);
	free(url);
	free(title);
	free(want);
	free(req);
}

/* A connection to port with a receive buffer of rcvbuf bytes, set before
 * connect(2), so that the window it offers stays small. */
static int
connect_rcvbuf(unsigned port, int rcvbuf)
{
	struct sockaddr_in	 sin;
	int			 s, r;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_neq(s, -1, "socket: %s", strerror(errno));
	cr_assert_eq(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)), 0, "SO_RCVBUF: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	do
		r = connect(s, (struct sockaddr *)&sin, sizeof(sin));
	while (r == -1 && errno == EINTR);
	cr_assert_eq(r, 0, "connect: %s", strerror(errno));
	return s;
}

/*
 * Read from fd into buf[*have..cap) at most max bytes more (0: any
 * number), waiting until deadline.  Returns what recv(2) gave: > 0, 0 at
 * end of file, -1 on error or timeout.
 */
static ssize_t
recv_some(int fd, char *buf, size_t cap, size_t *have, size_t max,
    long long deadline)
{
	struct pollfd	 p;
	size_t		 room = cap - *have;
	long long	 left;
	ssize_t		 n;

	if (max != 0 && room > max)
		room = max;
	if (room == 0)
		return -1;
	for (;;) {
		if ((left = deadline - mbt_now_ms()) <= 0)
			return -1;
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = recv(fd, buf + *have, room, MSG_DONTWAIT);
		if (n > 0)
			*have += (size_t)n;
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
	}
}

/* The first s in buf[0..len), or NULL. */
static char *
find_bytes(char *buf, size_t len, const char *s)
{
	size_t	 n = strlen(s), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, s, n) == 0)
			return buf + i;
	return NULL;
}

#define MANY_FILES	2500
#define MANY_CAP	(16 * 1024 * 1024)

/*
 * A response from memory (a listing of some MB) to a slow client: the
 * worker waits for room to send; SIGUSR1 (log reopen, passed on to every
 * worker) interrupts that wait, and must not cut the response short.
 */
Test(server, signals_do_not_cut_a_listing_in_flight)
{
	char		 path[PATH_MAX], name[256], *buf, *hend, *cl;
	size_t		 have = 0, hl = 0, want = 0;
	long long	 deadline;
	ssize_t		 n;
	int		 dfd, fd, i, big = 1 << 20;

	xsnprintf(path, sizeof(path), "%s/alpha/many", env.www);
	cr_assert_eq(mkdir(path, 0755), 0, "%s: %s", path, strerror(errno));
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_neq(dfd, -1, "%s: %s", path, strerror(errno));
	/* Names of 240 bytes, each '"' of them "%22" in the link and
	 * "&quot;" in its text: lines of some 2200 bytes, 5 MB in all,
	 * from few files (making them is slow on some disks). */
	memset(name, '"', sizeof(name));
	for (i = 0; i < MANY_FILES; i++) {
		xsnprintf(name, 8, "f%05d-", i);
		name[7] = '"';
		name[240] = '\0';
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		cr_assert_neq(fd, -1, "%s: %s", name, strerror(errno));
		close(fd);
	}
	close(dfd);
	MBCTL("set", "W3SVC/1/ROOT/DirBrowseFlags", "EnableDirBrowsing");
	start();
	buf = malloc(MANY_CAP);
	cr_assert_not_null(buf);
	fd = connect_rcvbuf(env.port, 4096);
	send_str(fd, "GET /many/ HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n");
	/* The response has begun; then a slow reader, and signals. */
	deadline = mbt_now_ms() + 30000;
	cr_assert_gt(recv_some(fd, buf, MANY_CAP, &have, 512, deadline), 0,
	    "no response began");
	mbt_sleep_ms(300);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(kill(env.server, SIGUSR1), 0);
		mbt_sleep_ms(300);
		cr_assert_gt(recv_some(fd, buf, MANY_CAP, &have, 512, deadline),
		    0, "the response stopped after %zu bytes", have);
	}
	/* Now read fast, the rest of it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	deadline = mbt_now_ms() + 60000;
	for (;;) {
		if (hl == 0 && (hend = find_bytes(buf, have, "\r\n\r\n")) !=
		    NULL) {
			hl = (size_t)(hend - buf) + 4;
			cl = find_bytes(buf, hl, "\r\nContent-Length:");
			cr_assert_not_null(cl, "head:\n%.*s", (int)hl, buf);
			want = hl + strtoull(cl + 17, NULL, 10);
			cr_assert_lt(want, MANY_CAP, "Content-Length too big");
		}
		if (hl != 0 && have >= want)
			break;
		if ((n = recv_some(fd, buf, MANY_CAP, &have, 0, deadline)) <= 0)
			break;
	}
	close(fd);
	cr_assert_neq(hl, 0, "no whole head in %zu bytes", have);
	cr_assert_eq(strncmp(buf, "HTTP/1.1 200 ", 13), 0, "status line: "
	    "%.40s", buf);
	cr_assert_eq(have, want, "%zu bytes of body came, of %zu",
	    have - hl, want - hl);
	cr_assert_gt(want - hl, (size_t)MANY_FILES * 2000, "listing too short: "
	    "%zu bytes", want - hl);
	cr_assert_eq(memcmp(buf + have - 8, "</html>\n", 8), 0,
	    "the listing does not end with </html>");
	free(buf);
}

/*
 * MaxConnections: a connection refused with 503 closes, and holds no
 * place for the site while it lasts.
 */
Test(server, max_connections_503_closes_and_frees_no_place)
{
	struct mbt_resp	 r;
	const char	*conn;
	long long	 deadline;
	int		 a, b, status = 0;

	MBCTL("set", "W3SVC/1/MaxConnections", "1");
	start();
	a = mbt_connect(env.port);
	cr_assert_neq(a, -1);
	send_str(a, "GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n");
	cr_assert_eq(mbt_read_response(a, &r, 0), 0, "no answer to A");
	expect_status(&r, 200);
	mbt_resp_free(&r);
	/* A holds the site's one place: B is refused, and closed. */
	b = mbt_connect(env.port);
	cr_assert_neq(b, -1);
	send_str(b, "GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n");
	cr_assert_eq(mbt_read_response(b, &r, 0), 0, "no answer to B");
	expect_status(&r, 503);
	conn = mbt_header(&r, "Connection");
	cr_assert(conn != NULL && strcasecmp(conn, "close") == 0,
	    "the 503 does not say Connection: close; head:\n%s", r.head);
	mbt_resp_free(&r);
	cr_assert_eq(mbt_closed(b, 5000), 1, "B's connection stayed open");
	mbt_close(b);
	/* Other sites are not limited. */
	expect_get(env.port, "beta.test", "/", 200, "site beta\n");
	/* A goes: its place is free again, once its worker sees it. */
	mbt_close(a);
	deadline = mbt_now_ms() + 5000;
	do {
		get(&r, env.port, "alpha.test", "/");
		status = r.status;
		mbt_resp_free(&r);
		if (status != 200)
			mbt_sleep_ms(100);
	} while (status != 200 && mbt_now_ms() < deadline);
	cr_assert_eq(status, 200, "C: status %d after A closed", status);
}

/*
 * HeaderWaitTimeout: a site's own value applies to its requests only; a
 * new connection (its site not yet known) has the service's, whichever
 * site the worker served before.  One worker, so that it is the same.
 */
Test(server, header_wait_timeout_of_a_site_does_not_stick_to_the_worker)
{
	struct mbt_resp	 r;
	long long	 t0, el;
	int		 fd;

	MBCTL("set", "W3SVC/HeaderWaitTimeout", "2");
	MBCTL("set", "W3SVC/2/HeaderWaitTimeout", "30");
	MBCTL("set", "W3SVC/MinSpareWorkers", "1");
	MBCTL("set", "W3SVC/MaxSpareWorkers", "1");
	MBCTL("set", "W3SVC/MaxWorkers", "1");
	start();
	expect_get(env.port, "beta.test", "/", 200, "site beta\n");
	fd = mbt_connect(env.port);
	cr_assert_neq(fd, -1);
	t0 = mbt_now_ms();
	send_str(fd, "GET / HTTP/1.1\r\nHost: alpha.test\r\n");
	cr_assert_eq(mbt_read_response(fd, &r, 0), 0, "no 408 came within "
	    "%lld ms", mbt_now_ms() - t0);
	el = mbt_now_ms() - t0;
	mbt_close(fd);
	expect_status(&r, 408);
	mbt_resp_free(&r);
	cr_assert_geq(el, 1500, "408 after %lld ms, before the timeout", el);
	cr_assert_lt(el, 8000, "408 only after %lld ms: beta's 30 s?", el);
}

/*
 * HttpCustomHeaders go into every response head: the schema caps them at
 * 16 KiB, and mbctl refuses more in one line.
 */
Test(server, custom_headers_over_16k_are_refused)
{
	const char	*av[4];
	char		*val, out[4096], err[4096];
	size_t		 n = 17000;
	int		 rc;

	val = malloc(n + 8);
	cr_assert_not_null(val);
	memcpy(val, "X-Big: ", 7);
	memset(val + 7, 'a', n);
	val[7 + n] = '\0';
	av[0] = "set";
	av[1] = "W3SVC/1/ROOT/HttpCustomHeaders";
	av[2] = val;
	av[3] = NULL;
	rc = mbt_mbctlv(&env, av, out, sizeof(out), err, sizeof(err));
	cr_assert(rc > 0, "mbctl set of %zu bytes: exit %d", n + 7, rc);
	cr_assert_eq(strncmp(err, "mbctl:", 6), 0, "stderr: %.200s", err);
	cr_assert_eq(count_char(err, '\n'), 1, "not one line: %.300s", err);
	/* Nothing was stored. */
	rc = mbt_mbctl(&env, out, sizeof(out), "get",
	    "W3SVC/1/ROOT/HttpCustomHeaders", NULL);
	cr_assert(rc != 0 || strstr(out, "X-Big") == NULL, "stored anyway");
	/* Under the cap is fine. */
	val[7 + 16000] = '\0';
	rc = mbt_mbctlv(&env, av, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(rc, 0, "mbctl set of 16007 bytes: exit %d: %s", rc, err);
	free(val);
}

/* OPTIONS names what a resource allows, once it exists. */
Test(server, options_on_a_path_needs_the_resource)
{
	struct mbt_resp	 r;
	const char	*allow;

	start();
	raw(&r, env.port, "OPTIONS /index.html HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n");
	expect_status(&r, 200);
	cr_assert_not_null(allow = mbt_header(&r, "Allow"));
	cr_assert_str_eq(allow, "GET, HEAD, OPTIONS");
	mbt_resp_free(&r);
	expect_raw(env.port, "OPTIONS /nothere.html HTTP/1.1\r\n"
	    "Host: alpha.test\r\nConnection: close\r\n\r\n", 404);
}

/* Found in the second review: a CRLF after a body is no request begun. */
Test(server, crlf_after_a_body_waits_as_between_requests)
{
	struct mbt_resp	 r;
	int		 fd;

	MBCTL("set", "W3SVC/HeaderWaitTimeout", "2");
	start();
	fd = mbt_connect(env.port);
	cr_assert_geq(fd, 0);
	cr_assert_eq(mbt_send(fd, "POST / HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Content-Length: 3\r\n\r\nabc\r\n"), 0);
	cr_assert_eq(mbt_read_response(fd, &r, 0), 0);
	expect_status(&r, 405);
	mbt_resp_free(&r);
	/* Past HeaderWaitTimeout: no 408, the connection just waits. */
	cr_assert_eq(mbt_closed(fd, 3500), 0, "the idle connection was dropped or answered");
	cr_assert_eq(mbt_send(fd, "GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n"),
	    0);
	cr_assert_eq(mbt_read_response(fd, &r, 0), 0);
	expect_status(&r, 200);
	mbt_resp_free(&r);
	mbt_close(fd);
}

/* Found in the second review: where no site is known, the service's
 * MaxRequestEntityAllowed applies, not the compiled default. */
Test(server, service_body_limit_applies_without_a_site)
{
	struct mbt_resp	 r;
	char		*req;
	size_t		 n = 200000, hl;
	int		 fd;

	MBCTL("set", "W3SVC/MaxRequestEntityAllowed", "100000");
	start();
	cr_assert_not_null(req = malloc(n + 256));
	hl = (size_t)snprintf(req, 256, "POST / HTTP/1.1\r\nHost: nobody.test\r\n"
	    "Content-Length: %zu\r\n\r\n", n);
	memset(req + hl, 'b', n);
	req[hl + n] = '\0';
	fd = mbt_connect(env.port);
	cr_assert_geq(fd, 0);
	cr_assert_eq(mbt_send(fd, req), 0);
	cr_assert_eq(mbt_read_response(fd, &r, 0), 0);
	expect_status(&r, 413);
	mbt_resp_free(&r);
	mbt_close(fd);
	free(req);
}

/* Found in the second review: cs-bytes counts the whole body. */
Test(server, cs_bytes_counts_a_body_bigger_than_the_buffer)
{
	struct mbt_resp	 r;
	char		 name[PATH_MAX], want[64], *req, *log;
	size_t		 n = 90000, hl;
	long long	 deadline;
	time_t		 t0;
	int		 fd;

	MBCTL("set", "W3SVC/LogExtFileFlags",
	    "LogExtFileDate|LogExtFileTime|LogExtFileMethod|LogExtFileHttpStatus|LogExtFileBytesRecv");
	start();
	cr_assert_not_null(req = malloc(n + 256));
	hl = (size_t)snprintf(req, 256, "POST / HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", n);
	memset(req + hl, 'b', n);
	req[hl + n] = '\0';
	t0 = time(NULL);
	fd = mbt_connect(env.port);
	cr_assert_geq(fd, 0);
	cr_assert_eq(mbt_send(fd, req), 0);
	cr_assert_eq(mbt_read_response(fd, &r, 0), 0);
	expect_status(&r, 405);
	mbt_resp_free(&r);
	mbt_close(fd);
	free(req);
	log_name(name, sizeof(name), 1, t0);
	xsnprintf(want, sizeof(want), " POST 405 %zu\n", hl + n);
	deadline = mbt_now_ms() + 10000;
	for (;;) {
		log = mbt_slurp(name);
		if (log != NULL && strstr(log, want) != NULL)
			break;
		cr_assert_lt(mbt_now_ms(), deadline, "no line ending '%s' in %s:\n%s",
		    want, name, log ? log : "(none)");
		free(log);
		mbt_sleep_ms(100);
	}
	free(log);
}

/*
 * sc-bytes is what went out: a client that resets the connection after
 * a few bytes of a large file is not logged as having got all of it.
 */
Test(server, sc_bytes_counts_only_what_was_sent)
{
	struct linger	 lg = { 1, 0 };
	char		 path[PATH_MAX], name[PATH_MAX], buf[4096], *log, *p;
	off_t		 size = 256LL * 1024 * 1024;
	long long	 deadline, logged = -1;
	time_t		 t0;
	int		 fd, rcv = 4096;

	MBCTL("set", "W3SVC/LogExtFileFlags",
	    "LogExtFileDate|LogExtFileTime|LogExtFileMethod|LogExtFileHttpStatus|LogExtFileBytesSent");
	/* Sparse: 256 MiB that cost no disk. */
	xsnprintf(path, sizeof(path), "%s/alpha/huge.bin", env.www);
	cr_assert_geq(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 0);
	cr_assert_eq(ftruncate(fd, size), 0);
	close(fd);
	start();
	t0 = time(NULL);
	cr_assert_geq(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	{
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)env.port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		cr_assert_eq(connect(fd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
	}
	cr_assert_eq(mbt_send(fd, "GET /huge.bin HTTP/1.1\r\n"
	    "Host: alpha.test\r\n\r\n"), 0);
	cr_assert_gt(read(fd, buf, sizeof(buf)), 0);
	/* Let the server fill what buffers there are, then reset. */
	mbt_sleep_ms(500);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	log_name(name, sizeof(name), 1, t0);
	deadline = mbt_now_ms() + LOG_TIMEOUT_MS;
	for (;;) {
		log = mbt_slurp(name);
		if (log != NULL && (p = strstr(log, " GET 200 ")) != NULL) {
			logged = atoll(p + 9);
			break;
		}
		cr_assert_lt(mbt_now_ms(), deadline, "no GET line in %s:\n%s",
		    name, log ? log : "(none)");
		free(log);
		mbt_sleep_ms(100);
	}
	free(log);
	cr_assert_gt(logged, 0);
	cr_assert_lt(logged, (long long)size, "logged %lld bytes of %lld "
	    "that could not all have gone out", logged, (long long)size);
}

/* RFC 9110 13.1.3: an If-Modified-Since later than now is ignored. */
Test(server, if_modified_since_in_the_future_is_ignored)
{
	struct mbt_resp	 r;
	char		 req[512], date[64];
	time_t		 later = time(NULL) + 86400;
	struct tm	 tm;

	start();
	gmtime_r(&later, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	xsnprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: alpha.test\r\n"
	    "If-Modified-Since: %s\r\nConnection: close\r\n\r\n", date);
	raw(&r, env.port, req);
	expect_status(&r, 200);
	cr_assert_str_eq(r.body, "site alpha\n");
	mbt_resp_free(&r);
}

/*
 * Hardening.
 */

/*
 * Start mbhttpd -F -f conf as our child in its own group, with fd 7 open
 * on /dev/null and not close-on-exec, as a careless parent would leave
 * it; wait until env.port accepts.  Sets env.server (mbt_teardown stops
 * it).
 */
static void
start_leaky(const char *conf)
{
	char		 bin[PATH_MAX], out[PATH_MAX];
	long long	 deadline;
	pid_t		 pid;
	int		 fd;

	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	xsnprintf(out, sizeof(out), "%s/leaky.log", env.dir);
	if ((pid = fork()) == 0) {
		setpgid(0, 0);
		if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if ((fd = open("/dev/null", O_RDONLY)) != -1 && fd != 7) {
			dup2(fd, 7);
			close(fd);
		}
		execl(bin, bin, "-F", "-f", conf, (char *)NULL);
		_exit(127);
	}
	cr_assert_gt(pid, 0);
	setpgid(pid, pid);
	env.server = pid;
	deadline = mbt_now_ms() + RUN_TIMEOUT_MS;
	while ((fd = mbt_connect(env.port)) == -1) {
		cr_assert_lt(mbt_now_ms(), deadline, "mbhttpd did not start");
		mbt_sleep_ms(25);
	}
	mbt_close(fd);
}

/* The daemon keeps no descriptor it did not open itself. */
Test(server, inherited_descriptors_are_closed)
{
	char	 conf[PATH_MAX], path[64], link[PATH_MAX];
	ssize_t	 n;

	xsnprintf(conf, sizeof(conf), "%s/t.conf", env.dir);
	write_conf(conf, env.metabase);
	start_leaky(conf);
	xsnprintf(path, sizeof(path), "/proc/%ld/fd/7", (long)env.server);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0)
		link[n] = '\0';
	cr_assert(n == -1 || strcmp(link, "/dev/null") != 0,
	    "the master still holds the inherited /dev/null as fd 7");
}

/* A link planted where the error log or the pid file goes is refused. */
Test(server, error_log_and_pid_file_do_not_follow_links)
{
	char	 bin[PATH_MAX], conf[PATH_MAX], target[PATH_MAX];
	char	 link[PATH_MAX], buf[4 * PATH_MAX], out[4096], err[4096];
	char	*s;
	int	 rc, i;

	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	xsnprintf(target, sizeof(target), "%s/precious", env.dir);
	cr_assert_eq(mbt_write_file(target, "precious\n"), 0);
	xsnprintf(link, sizeof(link), "%s/planted", env.dir);
	cr_assert_eq(symlink(target, link), 0);
	xsnprintf(conf, sizeof(conf), "%s/t.conf", env.dir);
	for (i = 0; i < 2; i++) {
		/* First the error log, then the pid file. */
		xsnprintf(buf, sizeof(buf), "metabase = \"%s\";\n"
		    "pid_file = \"%s\";\nerror_log = \"%s\";\n%s",
		    env.metabase, i == 0 ? env.errlog : link,
		    i == 0 ? link : env.errlog,
		    geteuid() == 0 ? "user = \"root\";\ngroup = \"root\";\n" :
		    "");
		cr_assert_eq(mbt_write_file(conf, buf), 0);
		{
			const char *const av[] = { bin, "-f", conf, NULL };

			rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
			    RUN_TIMEOUT_MS);
		}
		cr_assert_eq(rc, 1, "%s through a link: exit %d\n%s",
		    i == 0 ? "error log" : "pid file", rc, err);
		cr_assert_not_null(s = mbt_slurp(target));
		cr_assert_str_eq(s, "precious\n");
		free(s);
		/* Nothing left running. */
		cr_assert_eq(mbt_connect(env.port), -1);
	}
}

/*
 * A hard link, or a file of another user (when we are root to make one),
 * where the error log or the pid file goes is refused, and the file it
 * names is left as it was.
 */
Test(server, error_log_and_pid_file_refuse_hard_links_and_strangers)
{
	char	 bin[PATH_MAX], conf[PATH_MAX], target[PATH_MAX];
	char	 place[PATH_MAX], buf[4 * PATH_MAX], out[4096], err[4096];
	char	*s;
	int	 rc, i, stranger;

	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	xsnprintf(target, sizeof(target), "%s/precious", env.dir);
	xsnprintf(place, sizeof(place), "%s/planted", env.dir);
	xsnprintf(conf, sizeof(conf), "%s/t.conf", env.dir);
	for (i = 0; i < 4; i++) {
		/* Error log, pid file: a hard link, then a stranger's file. */
		stranger = i >= 2;
		if (stranger && geteuid() != 0)
			break;
		unlink(place);
		cr_assert_eq(mbt_write_file(target, "precious\n"), 0);
		if (stranger) {
			cr_assert_eq(mbt_write_file(place, "precious\n"), 0);
			cr_assert_eq(chown(place, 65534, 65534), 0);
		} else
			cr_assert_eq(link(target, place), 0);
		xsnprintf(buf, sizeof(buf), "metabase = \"%s\";\n"
		    "pid_file = \"%s\";\nerror_log = \"%s\";\n%s",
		    env.metabase, i % 2 == 0 ? env.errlog : place,
		    i % 2 == 0 ? place : env.errlog,
		    geteuid() == 0 ? "user = \"root\";\ngroup = \"root\";\n" :
		    "");
		cr_assert_eq(mbt_write_file(conf, buf), 0);
		{
			const char *const av[] = { bin, "-f", conf, NULL };

			rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
			    RUN_TIMEOUT_MS);
		}
		cr_assert_eq(rc, 1, "%s, %s: exit %d\n%s",
		    i % 2 == 0 ? "error log" : "pid file",
		    stranger ? "another user's" : "a hard link", rc, err);
		cr_assert_not_null(s = mbt_slurp(stranger ? place : target));
		cr_assert_str_eq(s, "precious\n");
		free(s);
		cr_assert_eq(mbt_connect(env.port), -1);
	}
}

/*
 * Whatever umask the server is started with, what it writes is not
 * writable by others: the pid file, the error log, the access log.
 */
Test(server, files_written_whatever_the_umask)
{
	char		 conf[PATH_MAX], buf[4 * PATH_MAX], pid[PATH_MAX];
	char		 log[PATH_MAX], bin[PATH_MAX], out[1024], err[1024];
	struct mbt_resp	 r;
	struct stat	 st;
	struct tm	 tm;
	time_t		 t;
	mode_t		 old;
	int		 rc;

	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	xsnprintf(conf, sizeof(conf), "%s/t.conf", env.dir);
	xsnprintf(pid, sizeof(pid), "%s/umask.pid", env.dir);
	xsnprintf(buf, sizeof(buf), "metabase = \"%s\";\npid_file = \"%s\";\n"
	    "error_log = \"%s\";\n%s", env.metabase, pid, env.errlog,
	    geteuid() == 0 ? "user = \"root\";\ngroup = \"root\";\n" : "");
	cr_assert_eq(mbt_write_file(conf, buf), 0);
	old = umask(0);
	{
		const char *const av[] = { bin, "-f", conf, NULL };

		/* It detaches: the run ends when the daemon runs. */
		rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
		    RUN_TIMEOUT_MS);
	}
	umask(old);
	cr_assert_eq(rc, 0, "mbhttpd: exit %d: %s", rc, err);
	{
		char	*s = mbt_slurp(pid);

		cr_assert_not_null(s, "no pid file");
		env.server = (pid_t)atol(s);
		free(s);
	}
	get(&r, env.port, "alpha.test", "/");
	expect_status(&r, 200);
	mbt_resp_free(&r);
	t = time(NULL);
	gmtime_r(&t, &tm);
	xsnprintf(log, sizeof(log), "%s/W3SVC1/ex%02d%02d%02d.log", env.logs,
	    tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday);
	{
		long long deadline = mbt_now_ms() + 10000;

		while (stat(log, &st) == -1 && mbt_now_ms() < deadline)
			mbt_sleep_ms(25);
	}
	cr_assert_eq(stat(log, &st), 0, "no access log %s", log);
	cr_assert_eq(st.st_mode & 0022, 0, "access log mode %o",
	    (unsigned)st.st_mode);
	cr_assert_eq(stat(pid, &st), 0);
	cr_assert_eq(st.st_mode & 0022, 0, "pid file mode %o",
	    (unsigned)st.st_mode);
	cr_assert_eq(stat(env.errlog, &st), 0);
	cr_assert_eq(st.st_mode & 0022, 0, "error log mode %o",
	    (unsigned)st.st_mode);
	/* A daemon is no child of ours: stop it by its pid, then forget it. */
	cr_assert_eq(kill(env.server, SIGTERM), 0);
	{
		long long deadline = mbt_now_ms() + 10000;

		while (kill(env.server, 0) == 0 && mbt_now_ms() < deadline)
			mbt_sleep_ms(25);
		cr_assert_neq(kill(env.server, 0), 0, "the daemon did not stop");
	}
	env.server = 0;
}

/* A file the workers cannot read is 403, not 500. */
Test(server, unreadable_file_is_403)
{
	struct mbt_resp	 r;
	char		 path[PATH_MAX], conf[PATH_MAX], buf[2 * PATH_MAX];

	www_file("alpha/secret.html", "secret\n");
	xsnprintf(path, sizeof(path), "%s/alpha/secret.html", env.www);
	cr_assert_eq(chmod(path, 0), 0);
	/* As root, workers of another user: root reads anything. */
	xsnprintf(conf, sizeof(conf), "%s/t.conf", env.dir);
	xsnprintf(buf, sizeof(buf), "metabase = \"%s\";\n%s", env.metabase,
	    geteuid() == 0 ? "user = \"nobody\";\n" : "");
	cr_assert_eq(mbt_write_file(conf, buf), 0);
	start_leaky(conf);
	get(&r, env.port, "alpha.test", "/secret.html");
	expect_status(&r, 403);
	mbt_resp_free(&r);
}

/*
 * Started as root, the workers are the configured user with no way back:
 * every uid and gid theirs, no supplementary group root's; and the
 * metabase's data file is not theirs to write.
 */
Test(server, workers_drop_root_for_good)
{
	char	 conf[PATH_MAX], buf[4 * PATH_MAX], path[64], line[256];
	char	 data[PATH_MAX];
	pid_t	 pids[64];
	size_t	 n, i;
	struct stat st;
	FILE	*f;
	long long deadline;
	int	 uids = 0, gids = 0, caps = 0;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	xsnprintf(conf, sizeof(conf), "%s/t.conf", env.dir);
	xsnprintf(buf, sizeof(buf), "metabase = \"%s\";\nuser = \"nobody\";\n",
	    env.metabase);
	cr_assert_eq(mbt_write_file(conf, buf), 0);
	start_leaky(conf);
	/*
	 * A worker just forked is root until it has opened the metabase
	 * and dropped: wait (bounded) until none of those listed is.
	 */
	deadline = mbt_now_ms() + 10000;
	do {
		n = mbt_workers(&env, pids, 64);
		for (i = 0; i < n; i++) {
			xsnprintf(path, sizeof(path), "/proc/%ld",
			    (long)pids[i]);
			if (stat(path, &st) == 0 && st.st_uid == 0)
				break;
		}
		if (n == 0 || i < n)
			mbt_sleep_ms(25);
	} while ((n == 0 || i < n) && mbt_now_ms() < deadline);
	cr_assert_gt(n, 0);
	for (i = 0; i < n; i++) {
		xsnprintf(path, sizeof(path), "/proc/%ld/status",
		    (long)pids[i]);
		cr_assert_not_null(f = fopen(path, "r"));
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "Uid:", 4) == 0) {
				cr_assert_null(strstr(line, "\t0"), "%s", line);
				uids++;
			} else if (strncmp(line, "Gid:", 4) == 0) {
				cr_assert_null(strstr(line, "\t0"), "%s", line);
				gids++;
			} else if (strncmp(line, "CapPrm:", 7) == 0 ||
			    strncmp(line, "CapEff:", 7) == 0) {
				/* No capability to take root back with. */
				cr_assert_not_null(strstr(line,
				    "\t0000000000000000"), "%s", line);
				caps++;
			} else if (strncmp(line, "Groups:", 7) == 0)
				cr_assert(strstr(line, " 0 ") == NULL &&
				    strstr(line, ":\t0 ") == NULL &&
				    strcmp(line, "Groups:\t0\n") != 0, "%s", line);
		}
		fclose(f);
	}
	cr_assert_eq(uids, (int)n);
	cr_assert_eq(gids, (int)n);
	cr_assert_eq(caps, 2 * (int)n);
	xsnprintf(data, sizeof(data), "%s/data.mdb", env.metabase);
	cr_assert_eq(stat(data, &st), 0);
	cr_assert(st.st_uid == 0 && (st.st_mode & 0022) == 0,
	    "data.mdb is writable by others (%o, uid %ld)",
	    (unsigned)st.st_mode, (long)st.st_uid);
}
