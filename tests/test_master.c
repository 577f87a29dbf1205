/*
 * test_master.c - the master process of the real mbhttpd: starting next
 * to a running server, ServerAutoStart, signals (USR1, HUP, QUIT) and
 * sites added while it runs.  Each test gets its own metabase in a
 * temporary directory, three sites (alpha.test and beta.test told apart
 * by Host header on one port, gamma on a second port), and its own
 * server started with -F, whose messages go to dir/stderr.log.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mbt.h"
#include "metabase.h"

/* Bounds on waits: generous, the machines are shared and slow. */
#define RUN_TIMEOUT_MS		15000	/* a second mbhttpd failing to start */
#define STARTED_TIMEOUT_MS	15000	/* "started" in the server's log */
#define RELOAD_TIMEOUT_MS	15000	/* "reloaded" after SIGHUP */
#define LOG_TIMEOUT_MS		10000	/* an access log line to appear */
#define SETTLE_TIMEOUT_MS	10000	/* a reload to show on the wire */
#define STOP_TIMEOUT_MS		20000	/* the master to go after SIGQUIT */
#define POOL_TIMEOUT_MS		30000	/* the pool to have its new size */

/* The big file of the graceful stop: more than any socket buffer. */
#define BIG_SIZE		(20 * 1024 * 1024)

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

/* Occurrences of what in the server's own output, dir/stderr.log. */
static int
server_says(const char *what)
{
	char		 path[PATH_MAX];
	char		*s, *p;
	int		 n = 0;

	xsnprintf(path, sizeof(path), "%s/stderr.log", env.dir);
	if ((s = mbt_slurp(path)) == NULL)
		return 0;
	for (p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	free(s);
	return n;
}

/* The server's output, for a failure message; malloc'd, never NULL. */
static char *
server_output(void)
{
	char	 path[PATH_MAX];
	char	*s;

	xsnprintf(path, sizeof(path), "%s/stderr.log", env.dir);
	s = mbt_slurp(path);
	return s != NULL ? s : strdup("(none)");
}

/* Wait until the server's output holds what at least n times. */
static void
wait_server_says(const char *what, int n, long ms)
{
	long long	 deadline = mbt_now_ms() + ms;
	char		*out;

	while (server_says(what) < n) {
		if (mbt_now_ms() >= deadline) {
			out = server_output();
			cr_assert_fail("no \"%s\" (%d) in the server's output "
			    "within %ld ms:\n%s", what, n, ms, out);
		}
		mbt_sleep_ms(25);
	}
}

/*
 * Start the server and wait until it says it has started: its sockets,
 * pid file and ServerAutoStart are done by then.
 */
static void	wait_answer(unsigned, const char *, const char *, long);

static void
start(void)
{
	cr_assert_eq(mbt_start(&env, NULL), 0, "mbhttpd did not start");
	wait_server_says("mbhttpd: started:", 1, STARTED_TIMEOUT_MS);
}

/* GET / from site host at ip:port with Connection: close; 0 or -1. */
static int
try_get(const char *ip, unsigned port, const char *host, const char *path,
    struct mbt_resp *r)
{
	char	 req[1024];
	int	 fd, rc;

	memset(r, 0, sizeof(*r));
	xsnprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", path, host);
	if ((fd = mbt_connect_ip(ip, port)) == -1)
		return -1;
	if (mbt_send(fd, req) == -1) {
		mbt_close(fd);
		return -1;
	}
	rc = mbt_read_response(fd, r, 0);
	mbt_close(fd);
	return rc;
}

/* The status and the exact body (unless NULL) of GET path on 127.0.0.1. */
static void
expect_get(unsigned port, const char *host, const char *path, int status,
    const char *body)
{
	struct mbt_resp	 r;
	int		 got, same;

	got = try_get("127.0.0.1", port, host, path, &r);
	same = got == 0 && (body == NULL || strcmp(r.body, body) == 0);
	/* Freed first: a failed assertion leaves the test at once. */
	mbt_resp_free(&r);
	cr_assert_eq(got, 0, "no response to GET %s (Host: %s) on port %u",
	    path, host, port);
	cr_assert_eq(r.status, status,
	    "GET %s (Host: %s): status %d, expected %d; head:\n%s", path,
	    host, r.status, status, r.head);
	cr_assert(same, "GET %s (Host: %s): body is not \"%s\"", path, host,
	    body);
}

/* W3SVC/<site>/ServerState as mbctl get prints it, as a number. */
static long
server_state(unsigned site)
{
	char	 key[64], out[256];

	xsnprintf(key, sizeof(key), "W3SVC/%u/ServerState", site);
	cr_assert_eq(mbt_mbctl(&env, out, sizeof(out), "get", key, NULL), 0,
	    "mbctl get %s failed", key);
	return strtol(out, NULL, 10);
}

static void
expect_state(unsigned site, long want)
{
	long	 got = server_state(site);

	cr_assert_eq(got, want, "W3SVC/%u/ServerState is %ld, expected %ld",
	    site, got, want);
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
 * Wait until site's log for the day of t0 or of now (a test may cross
 * midnight UTC) has at least n entries and holds want (unless NULL); its
 * text, malloc'd, and its name into path.
 */
static char *
wait_log(unsigned site, time_t t0, int n, const char *want, char *path,
    size_t pathlen)
{
	char		 p0[PATH_MAX], p1[PATH_MAX];
	char		*s = NULL;
	long long	 deadline = mbt_now_ms() + LOG_TIMEOUT_MS;
	int		 i;

	log_name(p0, sizeof(p0), site, t0);
	for (;;) {
		log_name(p1, sizeof(p1), site, time(NULL));
		for (i = 0; i < 2; i++) {
			const char *p = i == 0 ? p0 : p1;

			free(s);
			s = mbt_slurp(p);
			if (s != NULL && mbt_log_entries(s) >= n &&
			    (want == NULL || strstr(s, want) != NULL)) {
				xsnprintf(path, pathlen, "%s", p);
				return s;
			}
		}
		if (mbt_now_ms() >= deadline)
			break;
		mbt_sleep_ms(50);
	}
	cr_assert_fail("no %d entries%s%s in %s within %d ms: %s", n,
	    want ? " with " : "", want ? want : "", p1, LOG_TIMEOUT_MS,
	    s ? s : "(no file)");
	return NULL;
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

TestSuite(master, .init = setup, .fini = teardown, .timeout = 120);

/*
 * Starting.
 */

Test(master, failed_start_leaves_the_running_sites_alone)
{
	char	 bin[PATH_MAX], pidfile[PATH_MAX], out[8192], err[8192];
	char	 want1[64], want2[64];
	char	*pid;
	int	 rc;

	MBCTL("set", "W3SVC/3/ServerAutoStart", "FALSE");
	start();
	expect_state(3, 4);
	/* Started by hand after the server started. */
	MBCTL("site", "start", "3");
	expect_state(3, 2);
	/* Its own port: bound within a second or so (a graceful restart). */
	wait_answer(env.port2, "gamma.test", "site gamma\n", 10000);

	/* A second server on the same bootstrap file cannot bind. */
	xsnprintf(bin, sizeof(bin), "%s/mbhttpd", mbt_build());
	{
		const char *const av[] = { bin, "-F", "-f", env.conf, NULL };

		rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
		    RUN_TIMEOUT_MS);
	}
	cr_assert_eq(rc, 1, "second mbhttpd: exit %d, expected 1\nstdout: %s"
	    "\nstderr: %s", rc, out, err);
	xsnprintf(want1, sizeof(want1), "127.0.0.1:%u", env.port);
	xsnprintf(want2, sizeof(want2), "127.0.0.1:%u", env.port2);
	cr_assert(strstr(err, want1) != NULL || strstr(err, want2) != NULL,
	    "second mbhttpd names no binding (%s or %s): %s", want1, want2,
	    err);

	/* The running server's sites, pid file and workers are as they were. */
	expect_state(3, 2);
	expect_state(1, 2);
	expect_state(2, 2);
	expect_get(env.port2, "gamma.test", "/", 200, "site gamma\n");
	expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");
	expect_get(env.port, "beta.test", "/", 200, "site beta\n");
	xsnprintf(pidfile, sizeof(pidfile), "%s/mbhttpd.pid", env.dir);
	pid = mbt_slurp(pidfile);
	cr_assert_not_null(pid, "pid file %s is gone", pidfile);
	rc = atoi(pid) == (int)env.server;
	free(pid);
	cr_assert(rc, "pid file %s no longer names the running master",
	    pidfile);
	cr_assert_eq(kill(env.server, 0), 0, "the running master is gone");
}

Test(master, autostart_false_site_is_stopped_once_started)
{
	MBCTL("set", "W3SVC/2/ServerAutoStart", "FALSE");
	expect_state(2, 2);
	start();
	expect_state(2, 4);
	expect_state(1, 2);
	expect_state(3, 2);
	/* It shares its socket with alpha: 503, and alpha goes on. */
	expect_get(env.port, "beta.test", "/", 503, NULL);
	expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");
	expect_get(env.port2, "gamma.test", "/", 200, "site gamma\n");
	/* Started by hand, it answers. */
	MBCTL("site", "start", "2");
	expect_get(env.port, "beta.test", "/", 200, "site beta\n");
}

/*
 * Signals.
 */

Test(master, sigusr1_reopens_the_log_between_kept_alive_requests)
{
	struct mbt_resp	 r;
	char		 path[PATH_MAX], rotated[PATH_MAX], npath[PATH_MAX];
	char		*log;
	time_t		 t0;
	int		 fd, i;

	start();
	t0 = time(NULL);
	fd = mbt_connect(env.port);
	cr_assert_neq(fd, -1, "cannot connect");
	cr_assert_eq(mbt_send(fd, "GET /index.html?q=first HTTP/1.1\r\n"
	    "Host: alpha.test\r\n\r\n"), 0);
	cr_assert_eq(mbt_read_response(fd, &r, 0), 0, "no first response");
	mbt_resp_free(&r);
	cr_assert_eq(r.status, 200, "first: status %d; head:\n%s", r.status,
	    r.head);
	log = wait_log(1, t0, 1, "q=first", path, sizeof(path));
	free(log);

	/* Rotate: rename, then tell the master. */
	xsnprintf(rotated, sizeof(rotated), "%s/W3SVC1/rotated.log",
	    env.logs);
	cr_assert_eq(rename(path, rotated), 0, "rename %s: %s", path,
	    strerror(errno));
	cr_assert_eq(kill(env.server, SIGUSR1), 0);
	mbt_sleep_ms(500);

	/* More requests on the same connection. */
	for (i = 0; i < 2; i++) {
		cr_assert_eq(mbt_send(fd, i == 0 ?
		    "GET /index.html?q=second HTTP/1.1\r\nHost: alpha.test\r\n\r\n" :
		    "GET /index.html?q=third HTTP/1.1\r\nHost: alpha.test\r\n\r\n"),
		    0, "the kept-alive connection is gone (send %d)", i + 2);
		cr_assert_eq(mbt_read_response(fd, &r, 0), 0,
		    "no response %d on the kept-alive connection", i + 2);
		mbt_resp_free(&r);
		cr_assert_eq(r.status, 200, "request %d: status %d; head:\n%s",
		    i + 2, r.status, r.head);
	}
	mbt_close(fd);

	log = wait_log(1, t0, 2, "q=third", npath, sizeof(npath));
	cr_assert_eq(strncmp(log, "#Software: mbhttpd", 18), 0,
	    "new log %s has no header:\n%s", npath, log);
	cr_assert(strstr(log, "\n#Version: ") != NULL &&
	    strstr(log, "\n#Date: ") != NULL &&
	    strstr(log, "\n#Fields: ") != NULL,
	    "new log %s lacks a directive:\n%s", npath, log);
	cr_assert_not_null(strstr(log, "q=second"), "new log %s:\n%s", npath,
	    log);
	cr_assert_null(strstr(log, "q=first"), "new log %s:\n%s", npath, log);
	free(log);

	log = mbt_slurp(rotated);
	cr_assert_not_null(log, "%s is gone", rotated);
	i = mbt_log_entries(log) == 1 && strstr(log, "q=second") == NULL &&
	    strstr(log, "q=third") == NULL;
	cr_assert(i, "new lines went to the rotated file %s:\n%s", rotated,
	    log);
	free(log);
}

/* Whether 127.0.0.2:port2 refuses a connection: only a wildcard takes it. */
static int
refused_on_other_address(void)
{
	int	 fd;

	if ((fd = mbt_connect_ip("127.0.0.2", env.port2)) == -1)
		return errno == ECONNREFUSED;
	close(fd);
	return 0;
}

/*
 * After a reload, wait until gamma answers on 127.0.0.1:port2 and
 * 127.0.0.2:port2 answers (wildcard) or is refused (not).
 */
static void
wait_gamma(int wildcard)
{
	struct mbt_resp	 r;
	long long	 deadline = mbt_now_ms() + SETTLE_TIMEOUT_MS;
	int		 ok1 = 0, ok2 = 0, st1 = 0, st2 = 0;

	for (;;) {
		if (try_get("127.0.0.1", env.port2, "gamma.test", "/", &r) ==
		    0) {
			st1 = r.status;
			ok1 = r.status == 200 &&
			    strcmp(r.body, "site gamma\n") == 0;
		} else
			ok1 = st1 = 0;
		mbt_resp_free(&r);
		if (wildcard) {
			if (try_get("127.0.0.2", env.port2, "gamma.test", "/",
			    &r) == 0) {
				st2 = r.status;
				ok2 = r.status == 200;
			} else
				ok2 = st2 = 0;
			mbt_resp_free(&r);
		} else
			ok2 = refused_on_other_address();
		if ((ok1 && ok2) || mbt_now_ms() >= deadline)
			break;
		mbt_sleep_ms(100);
	}
	cr_assert(ok1, "GET / (Host: gamma.test) on 127.0.0.1:%u: %s %d",
	    env.port2, st1 ? "status" : "no response", st1);
	if (wildcard)
		cr_assert(ok2, "GET / (Host: gamma.test) on 127.0.0.2:%u after "
		    "moving to all addresses: %s %d", env.port2,
		    st2 ? "status" : "no response", st2);
	else
		cr_assert(ok2, "127.0.0.2:%u still taken after moving back to "
		    "127.0.0.1", env.port2);
}

Test(master, sighup_moves_a_port_between_one_address_and_all)
{
	char	 b[64];
	char	*out;

	start();
	expect_get(env.port2, "gamma.test", "/", 200, "site gamma\n");
	cr_assert(refused_on_other_address(), "127.0.0.2:%u answers before "
	    "the move", env.port2);

	/* To all unassigned addresses. */
	xsnprintf(b, sizeof(b), ":%u:", env.port2);
	MBCTL("set", "W3SVC/3/ServerBindings", b);
	cr_assert_eq(kill(env.server, SIGHUP), 0);
	wait_server_says("mbhttpd: reload", 2, RELOAD_TIMEOUT_MS);
	if (server_says("reload failed") > 0) {
		out = server_output();
		cr_assert_fail("moving to %s: reload failed:\n%s", b, out);
	}
	wait_server_says("mbhttpd: reloaded:", 1, RELOAD_TIMEOUT_MS);
	wait_gamma(1);
	expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");

	/* And back to the one address. */
	xsnprintf(b, sizeof(b), "127.0.0.1:%u:", env.port2);
	MBCTL("set", "W3SVC/3/ServerBindings", b);
	cr_assert_eq(kill(env.server, SIGHUP), 0);
	wait_server_says("mbhttpd: reload", 4, RELOAD_TIMEOUT_MS);
	if (server_says("reload failed") > 0) {
		out = server_output();
		cr_assert_fail("moving back to %s: reload failed:\n%s", b,
		    out);
	}
	wait_server_says("mbhttpd: reloaded:", 2, RELOAD_TIMEOUT_MS);
	wait_gamma(0);
	expect_get(env.port, "beta.test", "/", 200, "site beta\n");
}

/* The byte at offset i of the big file. */
static char
big_byte(size_t i)
{
	return (char)('a' + (i % 23 + i / 65536) % 26);
}

/*
 * Read exactly len bytes of the big file from fd, at offset off of it,
 * checking them against big_byte(): the first wrong offset goes to *bad
 * (if still (size_t)-1).  0, or -1 on timeout, error or end of file.
 */
static int
read_big(int fd, size_t off, size_t len, size_t *bad)
{
	char	 buf[4096];
	ssize_t	 n;
	size_t	 i;

	while (len > 0) {
		n = recv(fd, buf, len < sizeof(buf) ? len : sizeof(buf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		for (i = 0; i < (size_t)n; i++)
			if (buf[i] != big_byte(off + i) && *bad == (size_t)-1)
				*bad = off + i;
		off += (size_t)n;
		len -= (size_t)n;
	}
	return 0;
}

Test(master, sigquit_finishes_the_response_in_flight_and_refuses_new_ones)
{
	struct sockaddr_in sin;
	struct timeval	 tv;
	char		 path[PATH_MAX], head[8192], want[64];
	char		*big, *cl;
	size_t		 i, hl = 0, body0, got, bad = (size_t)-1;
	long long	 deadline, t;
	ssize_t		 n;
	pid_t		 master, wr;
	int		 fd, nfd, rcvbuf = 4096, status, c, saved;

	/* A big file, each byte telling where it is. */
	big = malloc(BIG_SIZE + 1);
	cr_assert_not_null(big);
	for (i = 0; i < BIG_SIZE; i++)
		big[i] = big_byte(i);
	big[BIG_SIZE] = '\0';
	xsnprintf(path, sizeof(path), "%s/alpha/big.bin", env.www);
	c = mbt_write_file(path, big);
	free(big);
	cr_assert_eq(c, 0, "cannot write %s", path);
	start();
	master = env.server;

	/* A slow client: a small receive buffer, set before connecting. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_neq(fd, -1);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	tv.tv_sec = 10;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)env.port);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0,
	    "connect: %s", strerror(errno));
	cr_assert_eq(mbt_send(fd, "GET /big.bin HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n"), 0);

	/* The head, byte by byte, so that the body stays in the socket. */
	while (hl < 4 || memcmp(head + hl - 4, "\r\n\r\n", 4) != 0) {
		cr_assert_lt(hl, sizeof(head) - 1, "head too long");
		n = recv(fd, head + hl, 1, 0);
		if (n == -1 && errno == EINTR)
			continue;
		cr_assert_eq(n, 1, "no head: %s", n == 0 ? "end of file" :
		    strerror(errno));
		hl++;
	}
	head[hl] = '\0';
	cr_assert_eq(strncmp(head, "HTTP/1.1 200 ", 13), 0, "head:\n%s", head);
	xsnprintf(want, sizeof(want), "\r\nContent-Length: %d\r\n", BIG_SIZE);
	cl = strstr(head, want);
	cr_assert_not_null(cl, "no %s in:\n%s", want + 2, head);

	/* One megabyte, slowly. */
	body0 = 1024 * 1024;
	for (got = 0; got < body0; got += 64 * 1024) {
		cr_assert_eq(read_big(fd, got, 64 * 1024, &bad), 0,
		    "response cut at %zu of %d bytes before the signal", got,
		    BIG_SIZE);
		mbt_sleep_ms(5);
	}

	/* Stop gracefully while the response is in flight. */
	cr_assert_eq(kill(master, SIGQUIT), 0);
	t = mbt_now_ms();
	mbt_sleep_ms(500);
	nfd = mbt_connect_ip("127.0.0.1", env.port);
	saved = errno;
	if (nfd == -1)
		cr_assert_eq(saved, ECONNREFUSED, "new connection after SIGQUIT: "
		    "%s, expected refused", strerror(saved));
	else {
		int	 closed;

		/* Taken: then it must be reset or closed, promptly. */
		mbt_send(nfd, "GET / HTTP/1.1\r\nHost: alpha.test\r\n"
		    "Connection: close\r\n\r\n");
		closed = mbt_closed(nfd, 2500);
		mbt_close(nfd);
		cr_assert_neq(closed, -1, "a new connection after SIGQUIT was "
		    "served");
		cr_assert_eq(closed, 1, "a new connection after SIGQUIT hangs "
		    "(neither refused nor closed in 2.5 s)");
	}
	cr_assert_lt(mbt_now_ms() - t, 5000, "the new connection took %lld ms",
	    mbt_now_ms() - t);
	/* The slow client is not done: the master waits for it. */
	wr = waitpid(master, &status, WNOHANG);
	cr_assert_eq(wr, 0, "the master went before the response was read "
	    "(status %d)", status);

	/* The rest, all of it, then the end of the connection. */
	got = body0;
	while (got < BIG_SIZE) {
		size_t	 chunk = BIG_SIZE - got < 256 * 1024 ?
		    BIG_SIZE - got : 256 * 1024;

		cr_assert_eq(read_big(fd, got, chunk, &bad), 0,
		    "response cut at about %zu of %d bytes after SIGQUIT", got,
		    BIG_SIZE);
		got += chunk;
	}
	cr_assert_eq(bad, (size_t)-1, "wrong byte at offset %zu", bad);
	cr_assert_eq(mbt_closed(fd, 10000), 1, "no end of the connection "
	    "after the whole response");
	mbt_close(fd);

	/* Then the master goes, cleanly. */
	deadline = mbt_now_ms() + STOP_TIMEOUT_MS;
	while ((wr = waitpid(master, &status, WNOHANG)) == 0 &&
	    mbt_now_ms() < deadline)
		mbt_sleep_ms(20);
	cr_assert_eq(wr, master, "the master did not stop within %d ms of "
	    "the last byte", STOP_TIMEOUT_MS);
	env.server = 0;
	kill(-master, SIGKILL);	/* should any worker be left */
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "master exit status %d", status);
}

/*
 * Sites added while it runs.
 */

Test(master, site_created_at_run_time_answers_and_logs)
{
	char		 dir[PATH_MAX], file[PATH_MAX], b[64], out[256];
	char		 path[PATH_MAX];
	char		*log, *end;
	unsigned long	 id;
	time_t		 t0;
	int		 c;

	start();
	expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");
	xsnprintf(dir, sizeof(dir), "%s/delta", env.www);
	xsnprintf(file, sizeof(file), "%s/index.html", dir);
	cr_assert_eq(mbt_write_file(file, "site delta\n"), 0);
	xsnprintf(b, sizeof(b), "127.0.0.1:%u:delta.test", env.port);
	cr_assert_eq(mbt_mbctl(&env, out, sizeof(out), "site", "create",
	    "--name", "delta", "--binding", b, "--path", dir, NULL), 0,
	    "mbctl site create failed");
	id = strtoul(out, &end, 10);
	cr_assert(id > 0 && end != out, "site create printed \"%s\"", out);

	t0 = time(NULL);
	expect_get(env.port, "delta.test", "/index.html?q=delta1", 200,
	    "site delta\n");
	log = wait_log((unsigned)id, t0, 1, "q=delta1", path, sizeof(path));
	cr_assert_eq(strncmp(log, "#Software: mbhttpd", 18), 0,
	    "log %s has no header:\n%s", path, log);
	cr_assert_eq(mbt_log_entries(log), 1, "log %s:\n%s", path, log);
	free(log);
	expect_get(env.port, "delta.test", "/?q=delta2", 200, "site delta\n");
	log = wait_log((unsigned)id, t0, 2, "q=delta2", path, sizeof(path));
	free(log);
	/* Not in alpha's log, which shares the port. */
	log_name(path, sizeof(path), 1, t0);
	log = mbt_slurp(path);
	c = log == NULL || strstr(log, "q=delta") == NULL;
	cr_assert(c, "delta's requests in alpha's log:\n%s", log);
	free(log);
}

/*
 * Starting or stopping a site with a port of its own opens or closes its
 * socket by itself, within a second or so: no SIGHUP.
 */
Test(master, own_port_follows_the_site_without_sighup)
{
	struct mbt_resp	 r;
	long long	 deadline;
	int		 fd, got;

	start();
	expect_get(env.port2, "gamma.test", "/", 200, "site gamma\n");
	MBCTL("site", "stop", "3");
	deadline = mbt_now_ms() + 10000;
	while ((fd = mbt_connect_ip("127.0.0.1", env.port2)) != -1) {
		mbt_close(fd);
		cr_assert_lt(mbt_now_ms(), deadline,
		    "port %u still listened on after site 3 stopped",
		    env.port2);
		mbt_sleep_ms(100);
	}
	MBCTL("site", "start", "3");
	deadline = mbt_now_ms() + 10000;
	for (;;) {
		got = try_get("127.0.0.1", env.port2, "gamma.test", "/", &r);
		if (got == 0 && r.status == 200)
			break;
		mbt_resp_free(&r);
		cr_assert_lt(mbt_now_ms(), deadline,
		    "port %u not listened on after site 3 started",
		    env.port2);
		mbt_sleep_ms(100);
	}
	mbt_resp_free(&r);
	cr_assert(server_says("bindings need other sockets"));
	cr_assert(!server_says("reload failed"));
	/* The shared port served on throughout. */
	expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");
}

/*
 * Ctrl-C while the server is still starting (here: blocked on the
 * metabase's writer lock, which another process holds, before its
 * ServerAutoStart pass) stops it at once, and removes its pid file.
 */
Test(master, sigint_while_starting_stops_it)
{
	char		 pidfile[PATH_MAX], c = 0;
	struct mb	*mb;
	long long	 deadline;
	pid_t		 holder, server, w;
	int		 go[2], ready[2], status = 0;

	cr_assert_eq(pipe(go), 0);
	cr_assert_eq(pipe(ready), 0);
	if ((holder = fork()) == 0) {
		/* Hold the writer lock until told, or for 60 s at most. */
		struct pollfd p = { go[0], POLLIN, 0 };

		if (mb_open(&mb, env.metabase, 0) != 0 ||
		    mb_write_begin(mb) != 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		poll(&p, 1, 60000);
		mb_write_abort(mb);
		mb_close(mb);
		_exit(0);
	}
	cr_assert_gt(holder, 0);
	close(go[0]);
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the lock holder failed");
	cr_assert_eq(mbt_start(&env, NULL), 0, "mbhttpd did not bind");
	/* It has bound its sockets; it cannot have started. */
	mbt_sleep_ms(300);
	cr_assert_eq(server_says("mbhttpd: started:"), 0);
	xsnprintf(pidfile, sizeof(pidfile), "%s/mbhttpd.pid", env.dir);
	server = env.server;
	cr_assert_eq(kill(server, SIGINT), 0);
	deadline = mbt_now_ms() + 10000;
	while ((w = waitpid(server, &status, WNOHANG)) == 0 &&
	    mbt_now_ms() < deadline)
		mbt_sleep_ms(25);
	if (w == server)
		env.server = 0;
	if (write(go[1], "x", 1) != 1)
		kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	cr_assert_eq(w, server, "mbhttpd still starting 10 s after SIGINT");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "status %#x", status);
	cr_assert_eq(access(pidfile, F_OK), -1, "pid file left behind");
}

/*
 * Nothing lost under restarts.
 */

/* What a load client saw. */
struct load_counts {
	long	 ok;		/* whole, right responses */
	long	 retried;	/* clean closes before any byte: sent again */
	long	 failed;	/* resets, cut or wrong responses */
};

/* Read one response to GET / of alpha on fd; 1 whole and right, 0 a clean
 * close before any byte, -1 anything else. */
static int
load_read(int fd)
{
	char		 buf[8192], *end, *cl;
	size_t		 got = 0, need = 0;
	ssize_t		 n;

	for (;;) {
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n == 0 && got == 0)
			return 0;
		if (n <= 0)
			return -1;
		got += (size_t)n;
		buf[got] = '\0';
		if (need == 0 && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			if (strncmp(buf, "HTTP/1.1 200 ", 13) != 0 ||
			    (cl = strstr(buf, "\r\nContent-Length: ")) ==
			    NULL || cl > end)
				return -1;
			need = (size_t)(end + 4 - buf) + strtoul(cl + 18, NULL,
			    10);
		}
		if (need != 0 && got >= need)
			return got == need && strcmp(buf + need - 11,
			    "site alpha\n") == 0 ? 1 : -1;
		if (got == sizeof(buf) - 1)
			return -1;
	}
}

/*
 * Keep-alive requests on one connection after another until stopfd is
 * readable, as a client that retries a request the server closed on
 * before answering; the counts go to outfd.
 */
static void
load_client(unsigned port, int stopfd, int outfd)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n";
	struct load_counts lc = { 0, 0, 0 };
	struct pollfd	 p = { stopfd, POLLIN, 0 };
	int		 fd = -1, r;

	signal(SIGPIPE, SIG_IGN);
	while (poll(&p, 1, 0) == 0) {
		if (fd == -1 && (fd = mbt_connect(port)) == -1) {
			lc.failed++;
			mbt_sleep_ms(10);
			continue;
		}
		if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
			r = -1;
		else
			r = load_read(fd);
		if (r == 1) {
			lc.ok++;
			continue;
		}
		if (r == 0)
			lc.retried++;
		else
			lc.failed++;
		close(fd);
		fd = -1;
	}
	if (write(outfd, &lc, sizeof(lc)) != sizeof(lc))
		_exit(1);
	_exit(0);
}

/* Bound on the load clients' going once told: a read in flight may take
 * its whole socket timeout (10 s), and the machine is slow. */
#define LOAD_STOP_TIMEOUT_MS	30000
#define LOAD_MAXCLIENTS		8

/* Keep-alive load on alpha from client processes. */
struct load {
	pid_t	 pid[LOAD_MAXCLIENTS];
	int	 n;
	int	 stop;		/* write end: a byte, or its close, stops them */
	int	 res;		/* read end: their counts */
};

/* Start n load clients on port, then let them get going. */
static void
load_start(struct load *l, int n, unsigned port)
{
	int	 stop[2], res[2];

	cr_assert(n > 0 && n <= LOAD_MAXCLIENTS);
	cr_assert_eq(pipe(stop), 0);
	cr_assert_eq(pipe(res), 0);
	l->stop = stop[1];
	l->res = res[0];
	for (l->n = 0; l->n < n; l->n++) {
		if ((l->pid[l->n] = fork()) == 0) {
			/* A test that dies closes the only write end:
			 * the clients stop by themselves. */
			close(stop[1]);
			close(res[0]);
			load_client(port, stop[0], res[1]);
		}
		cr_assert_gt(l->pid[l->n], 0);
	}
	close(stop[0]);
	close(res[1]);
	mbt_sleep_ms(300);
}

/*
 * Stop the load clients and add up what they saw into sum; each is waited
 * for (bounded) and killed if it does not go.
 */
static void
load_finish(struct load *l, struct load_counts *sum)
{
	struct load_counts lc;
	struct pollfd	 p = { l->res, POLLIN, 0 };
	long long	 deadline;
	pid_t		 r;
	int		 i, got = 0;

	memset(sum, 0, sizeof(*sum));
	cr_assert_eq(write(l->stop, "x", 1), 1);
	deadline = mbt_now_ms() + LOAD_STOP_TIMEOUT_MS;
	while (got < l->n && poll(&p, 1, 1000) >= 0 &&
	    mbt_now_ms() < deadline) {
		if (p.revents == 0)
			continue;
		/* Writes of this size to a pipe are atomic. */
		if (read(l->res, &lc, sizeof(lc)) != sizeof(lc))
			break;
		sum->ok += lc.ok;
		sum->retried += lc.retried;
		sum->failed += lc.failed;
		got++;
	}
	for (i = 0; i < l->n; i++) {
		while ((r = waitpid(l->pid[i], NULL, WNOHANG)) == 0 &&
		    mbt_now_ms() < deadline)
			mbt_sleep_ms(20);
		if (r == 0) {
			kill(l->pid[i], SIGKILL);
			waitpid(l->pid[i], NULL, 0);
		}
	}
	close(l->stop);
	close(l->res);
	cr_assert_eq(got, l->n, "only %d of %d load clients reported",
	    got, l->n);
}

Test(master, no_request_lost_over_hups_and_binding_changes, .timeout = 300)
{
	enum { NCLIENTS = 4, ROUNDS = 10 };
	struct load_counts sum;
	struct load	 load;
	char		 b[64], *out;
	int		 i, reloads = 0;

	start();
	load_start(&load, NCLIENTS, env.port);
	for (i = 0; i < ROUNDS; i++) {
		cr_assert_eq(kill(env.server, SIGHUP), 0);
		wait_server_says("mbhttpd: reloaded:", ++reloads,
		    RELOAD_TIMEOUT_MS);
		mbt_sleep_ms(200);
	}
	/* Another site's binding moves between one address and all: its
	 * sockets change, alpha's stay. */
	for (i = 0; i < ROUNDS; i++) {
		xsnprintf(b, sizeof(b), "%s:%u:", i % 2 ? "127.0.0.1" : "",
		    env.port2);
		MBCTL("set", "W3SVC/3/ServerBindings", b);
		wait_server_says("mbhttpd: reloaded:", ++reloads,
		    RELOAD_TIMEOUT_MS);
		mbt_sleep_ms(200);
	}
	load_finish(&load, &sum);
	out = server_output();
	cr_log_info("%ld answered, %ld sent again after a clean close, %ld "
	    "failed", sum.ok, sum.retried, sum.failed);
	cr_assert_gt(sum.ok, 100, "too few requests went through:\n%s", out);
	cr_assert_eq(sum.failed, 0, "%ld of %ld requests failed:\n%s",
	    sum.failed, sum.ok + sum.failed, out);
	free(out);
}

/*
 * Wait until the master has exactly n workers: four busy and MinSpareWorkers
 * 4 idle fill a pool of 8, and a pool of 5 loses its idle ones, one a
 * second.
 */
static void
wait_workers(size_t n)
{
	long long	 deadline = mbt_now_ms() + POOL_TIMEOUT_MS;
	pid_t		 w[64];
	size_t		 got;

	while ((got = mbt_workers(&env, w, 64)) != n &&
	    mbt_now_ms() < deadline)
		mbt_sleep_ms(50);
	cr_assert_eq(got, n, "%zu workers, not %zu, after %d ms", got, n,
	    POOL_TIMEOUT_MS);
}

/*
 * The pool resized with mbctl under keep-alive load, shrinking and growing
 * by turns: the workers the master sends away give their connections up
 * cleanly, so no request is lost.  With MinSpareWorkers 4 beside four busy
 * workers, each fall of MaxWorkers from 8 to 5 sends three workers away;
 * MaxSpareWorkers goes between 5 and 6 (it must stay above MinSpareWorkers,
 * or the master raises it).
 */
Test(master, no_request_lost_over_pool_resizes, .timeout = 300)
{
	enum { NCLIENTS = 4, ROUNDS = 12 };
	/* What is set, and the pool it makes. */
	static const struct {
		const char	*key, *value;
		unsigned	 max_spare, max_workers;
	} step[] = {
		{ "W3SVC/MaxWorkers", "5", 5, 5 },
		{ "W3SVC/MaxSpareWorkers", "6", 6, 5 },
		{ "W3SVC/MaxWorkers", "8", 6, 8 },
		{ "W3SVC/MaxSpareWorkers", "5", 5, 8 },
	};
	struct load_counts sum;
	struct load	 load;
	char		 msg[128], *out;
	unsigned	 max;
	int		 i, k, seen;

	MBCTL("set", "W3SVC/MaxSpareWorkers", "5");
	MBCTL("set", "W3SVC/MinSpareWorkers", "4");
	start();
	load_start(&load, NCLIENTS, env.port);
	for (i = 0; i < ROUNDS; i++) {
		k = i % 4;
		max = step[k].max_workers;
		/* The master's line for the new pool; the same pool comes
		 * back every four steps. */
		xsnprintf(msg, sizeof(msg), "mbhttpd: pool: 4 to %u idle, at "
		    "most %u workers,", step[k].max_spare, max);
		seen = server_says(msg);
		MBCTL("set", step[k].key, step[k].value);
		wait_server_says(msg, seen + 1, RELOAD_TIMEOUT_MS);
		if (strcmp(step[k].key, "W3SVC/MaxWorkers") == 0)
			wait_workers(max);
		mbt_sleep_ms(300);
	}
	load_finish(&load, &sum);
	out = server_output();
	cr_log_info("%d pool changes: %ld answered, %ld sent again after a "
	    "clean close, %ld failed", ROUNDS, sum.ok, sum.retried,
	    sum.failed);
	cr_assert_gt(sum.ok, 100, "too few requests went through:\n%s", out);
	cr_assert_eq(sum.failed, 0, "%ld of %ld requests failed:\n%s",
	    sum.failed, sum.ok + sum.failed, out);
	free(out);
}

/*
 * mbctl status: the running server's workers and sites, from its
 * scoreboard, in text, JSON and Prometheus's format; none running, it
 * says so.
 */
Test(master, mbctl_status_shows_workers_and_sites)
{
	struct mbt_resp	 r;
	char		 out[65536], err[1024], want[128];
	long long	 deadline;
	int		 fd, rc;

	start();
	cr_assert_geq(fd = mbt_connect(env.port), 0);
	cr_assert_eq(mbt_send(fd, "GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n"),
	    0);
	cr_assert_eq(mbt_read_response(fd, &r, 0), 0);
	cr_assert_eq(r.status, 200);
	mbt_resp_free(&r);
	cr_assert_eq(try_get("127.0.0.1", env.port, "alpha.test", "/nope",
	    &r), 0);
	cr_assert_eq(r.status, 404);
	mbt_resp_free(&r);
	/* The kept-alive connection shows, with its client and request. */
	deadline = mbt_now_ms() + 10000;
	for (;;) {
		rc = mbt_mbctl(&env, out, sizeof(out), "status", NULL);
		cr_assert_eq(rc, 0, "mbctl status: %d\n%s", rc, out);
		if (strstr(out, "keep-alive") != NULL)
			break;
		cr_assert_lt(mbt_now_ms(), deadline, "no keep-alive worker:\n%s",
		    out);
		mbt_sleep_ms(50);
	}
	xsnprintf(want, sizeof(want), "mbhttpd pid %ld on ", (long)env.server);
	cr_assert_not_null(strstr(out, want), "%s", out);
	cr_assert_not_null(strstr(out, "127.0.0.1"), "%s", out);
	cr_assert_not_null(strstr(out, "GET / HTTP/1.1"), "%s", out);

	cr_assert_eq(mbt_mbctl(&env, out, sizeof(out), "status", "--json",
	    NULL), 0);
	xsnprintf(want, sizeof(want), "{\"master\":{\"pid\":%ld,",
	    (long)env.server);
	cr_assert_eq(strncmp(out, want, strlen(want)), 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"state\":\"keep-alive\",\"site\":1,"
	    "\"client\":\"127.0.0.1\""), "%s", out);
	cr_assert_not_null(strstr(out, "{\"site\":1,\"connections\":1,"
	    "\"requests\":2,"), "%s", out);
	cr_assert_not_null(strstr(out, "\"2xx\":1,\"3xx\":0,\"4xx\":1,"),
	    "%s", out);

	cr_assert_eq(mbt_mbctl(&env, out, sizeof(out), "status",
	    "--prometheus", NULL), 0);
	cr_assert_not_null(strstr(out, "\nmbhttpd_requests_total{site=\"1\"} "
	    "2\n"), "%s", out);
	cr_assert_not_null(strstr(out, "\nmbhttpd_connections{site=\"1\"} "
	    "1\n"), "%s", out);
	cr_assert_not_null(strstr(out, "\nmbhttpd_responses_total{site=\"1\","
	    "code=\"4xx\"} 1\n"), "%s", out);
	cr_assert_not_null(strstr(out, "# TYPE mbhttpd_requests_total "
	    "counter\n"), "%s", out);
	mbt_close(fd);

	cr_assert_eq(mbt_stop(&env), 0);
	{
		const char *const av[] = { "status", NULL };

		rc = mbt_mbctlv(&env, av, out, sizeof(out), err, sizeof(err));
	}
	cr_assert_eq(rc, 1, "status with no server: %d", rc);
	cr_assert_not_null(strstr(err, "mbctl: no server running"), "%s", err);
}

/*
 * Sockets that cannot be bound.
 */

/* A listening socket on a free port of 127.0.0.1, as another program
 * would hold it; its port in *port. */
static int
hold_port(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t	 len = sizeof(sin);
	int		 s;

	cr_assert_geq(s = socket(AF_INET, SOCK_STREAM, 0), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(s, 4), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return s;
}

/* Wait until GET / of host on port answers body, up to ms. */
static void
wait_answer(unsigned port, const char *host, const char *body, long ms)
{
	struct mbt_resp	 r;
	long long	 deadline = mbt_now_ms() + ms;
	char		*out;
	int		 ok;

	for (;;) {
		ok = try_get("127.0.0.1", port, host, "/", &r) == 0 &&
		    r.status == 200 && r.body != NULL &&
		    strcmp(r.body, body) == 0;
		mbt_resp_free(&r);
		if (ok)
			return;
		if (mbt_now_ms() >= deadline) {
			out = server_output();
			cr_assert_fail("%s on port %u does not answer within %ld "
			    "ms:\n%s", host, port, ms, out);
		}
		mbt_sleep_ms(50);
	}
}

/* CPU time, in clock ticks, of the server's workers so far. */
static long
workers_cpu(void)
{
	pid_t		 pids[64];
	char		 path[64], buf[1024], *p;
	unsigned long	 ut, st;
	long		 sum = 0;
	size_t		 i, n;
	FILE		*f;

	n = mbt_workers(&env, pids, 64);
	for (i = 0; i < n; i++) {
		xsnprintf(path, sizeof(path), "/proc/%ld/stat", (long)pids[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
		    "%*u %lu %lu", &ut, &st) == 2)
			sum += (long)(ut + st);
		fclose(f);
	}
	return sum;
}

/*
 * A site created on a port another program holds: the others serve on,
 * mbctl status says why it is not served, and once the port is free it
 * is served within seconds, with no signal.
 */
Test(master, busy_port_is_retried_until_it_binds)
{
	char	 b[64], out[65536], want[128];
	unsigned p3;
	int	 s;

	start();
	s = hold_port(&p3);
	xsnprintf(b, sizeof(b), "127.0.0.1:%u:", p3);
	cr_assert_eq(mbt_site(&env, 4, "delta", b), 0);
	xsnprintf(want, sizeof(want), "cannot bind 127.0.0.1:%u: Address "
	    "already in use", p3);
	wait_server_says(want, 1, RELOAD_TIMEOUT_MS);
	wait_answer(env.port, "alpha.test", "site alpha\n", 5000);
	wait_answer(env.port2, "gamma.test", "site gamma\n", 5000);
	cr_assert_eq(mbt_mbctl(&env, out, sizeof(out), "status", NULL), 0);
	xsnprintf(want, sizeof(want), "site 4 is not served on one of its "
	    "bindings: cannot bind 127.0.0.1:%u: Address already in use", p3);
	cr_assert_not_null(strstr(out, want), "%s", out);
	cr_assert_eq(mbt_mbctl(&env, out, sizeof(out), "site", "list", NULL),
	    0);
	xsnprintf(want, sizeof(want), "\n4\tdelta\tstarted, not serving: "
	    "cannot bind 127.0.0.1:%u: Address already in use\t", p3);
	cr_assert_not_null(strstr(out, want), "%s", out);
	/* Said once, not every second. */
	mbt_sleep_ms(2500);
	xsnprintf(want, sizeof(want), "cannot bind 127.0.0.1:%u", p3);
	cr_assert_eq(server_says(want), 1, "said %d times", server_says(want));

	close(s);
	wait_answer(p3, "delta.test", "site delta\n", 10000);
	cr_assert_eq(mbt_mbctl(&env, out, sizeof(out), "status", NULL), 0);
	cr_assert_null(strstr(out, "not served"), "%s", out);
	cr_assert_eq(mbt_mbctl(&env, out, sizeof(out), "site", "list", NULL),
	    0);
	cr_assert_not_null(strstr(out, "\n4\tdelta\tstarted\t"), "%s", out);
	cr_assert_null(strstr(out, "not serving"), "%s", out);
}

/* GET / for host on fd, kept alive; the response in r.  0 or -1. */
static int
get_kept(int fd, const char *host, struct mbt_resp *r)
{
	char	 req[256];

	xsnprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
	    host);
	if (mbt_send(fd, req) == -1)
		return -1;
	return mbt_read_response(fd, r, 0);
}

/*
 * A site added on a new port needs a new socket, and so a new generation
 * of workers: a kept-alive client of a site whose binding did not change
 * is served on the same connection throughout.  A SIGHUP ends it, as a
 * restart should.
 */
Test(master, new_socket_cuts_no_kept_alive_client)
{
	struct mbt_resp	 r;
	char		 b[64];
	unsigned	 p3;
	int		 fd, s, i;

	start();
	wait_answer(env.port, "alpha.test", "site alpha\n", 5000);
	cr_assert((fd = mbt_connect(env.port)) >= 0);
	cr_assert_eq(get_kept(fd, "alpha.test", &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_null(mbt_header(&r, "Connection"));
	mbt_resp_free(&r);

	s = hold_port(&p3);
	close(s);
	xsnprintf(b, sizeof(b), "127.0.0.1:%u:", p3);
	cr_assert_eq(mbt_site(&env, 4, "delta", b), 0);
	wait_answer(p3, "delta.test", "site delta\n", 10000);
	/* The old workers have had time to see the new generation. */
	mbt_sleep_ms(300);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(get_kept(fd, "alpha.test", &r), 0,
		    "request %d after the new socket got no answer", i);
		cr_assert_eq(r.status, 200);
		cr_assert_str_eq(r.body, "site alpha\n");
		cr_assert_null(mbt_header(&r, "Connection"),
		    "request %d: Connection: %s", i,
		    mbt_header(&r, "Connection"));
		mbt_resp_free(&r);
	}

	/* SIGHUP: the next response closes, or the idle connection ends. */
	cr_assert_eq(kill(env.server, SIGHUP), 0);
	wait_server_says("mbhttpd: reloaded:", 2, RELOAD_TIMEOUT_MS);
	mbt_sleep_ms(300);
	if (get_kept(fd, "alpha.test", &r) == 0) {
		cr_assert_str_eq(mbt_header(&r, "Connection"), "close");
		mbt_resp_free(&r);
	}
	cr_assert_eq(mbt_closed(fd, 5000), 1);
	mbt_close(fd);
}

/*
 * A binding change that moves a port to all addresses and adds a busy
 * one: what can be bound is served, and no worker spins on a socket the
 * reload shut down.
 */
Test(master, half_failed_rebind_serves_the_rest_without_spinning)
{
	char	 b1[64], b2[64];
	long	 c0, c1;
	unsigned p3;
	int	 s;

	start();
	s = hold_port(&p3);
	xsnprintf(b1, sizeof(b1), ":%u:", env.port2);
	xsnprintf(b2, sizeof(b2), "127.0.0.1:%u:", p3);
	MBCTL("set", "W3SVC/3/ServerBindings", b1, b2);
	wait_server_says("mbhttpd: reloaded:", 1, RELOAD_TIMEOUT_MS);
	wait_answer(env.port2, "gamma.test", "site gamma\n", 5000);
	wait_answer(env.port, "alpha.test", "site alpha\n", 5000);
	mbt_sleep_ms(1500);	/* the old generation gone */
	c0 = workers_cpu();
	mbt_sleep_ms(2000);
	c1 = workers_cpu();
	cr_assert_lt(c1 - c0, 50, "the workers used %ld ticks in 2 s idle",
	    c1 - c0);
	wait_answer(env.port2, "gamma.test", "site gamma\n", 5000);
	close(s);
	wait_answer(p3, "gamma.test", "site gamma\n", 10000);
}

/*
 * A site created on a new port is served with no signal, within a second
 * on an idle machine (the bound here is generous: shared machines stall).
 */
Test(master, new_port_is_served_soon_after_site_create)
{
	struct mbt_resp	 r;
	char		 b[64];
	long long	 t0, t;
	unsigned	 p3;
	int		 s, ok = 0;

	start();
	/* A free port: held, then let go. */
	s = hold_port(&p3);
	close(s);
	xsnprintf(b, sizeof(b), "127.0.0.1:%u:", p3);
	t0 = mbt_now_ms();
	cr_assert_eq(mbt_site(&env, 4, "delta", b), 0);
	while (!ok && (t = mbt_now_ms()) - t0 < 5000) {
		ok = try_get("127.0.0.1", p3, "delta.test", "/", &r) == 0 &&
		    r.status == 200;
		mbt_resp_free(&r);
		if (!ok)
			mbt_sleep_ms(20);
	}
	cr_assert(ok, "port %u not served 5 s after site create", p3);
	cr_log_info("served %lld ms after mbctl site create", t - t0);
}

/*
 * Hostile clients.
 */

/*
 * Open n connections to port that each send head (a request begun), then
 * a byte of drip every two seconds, until stopfd is readable: a child
 * process, as a slowloris client would be.
 */
static pid_t
drip_clients(int n, const char *head, const char *drip, int stopfd)
{
	struct pollfd	 p = { stopfd, POLLIN, 0 };
	pid_t		 pid;
	int		 i, fd[512];

	if ((pid = fork()) != 0)
		return pid;
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < n && i < 512; i++)
		if ((fd[i] = mbt_connect(env.port)) != -1 &&
		    write(fd[i], head, strlen(head)) < 0)
			fd[i] = -1;
	while (poll(&p, 1, 2000) == 0)
		for (i = 0; i < n && i < 512; i++)
			if (fd[i] != -1 && write(fd[i], drip, 1) < 0) {
				close(fd[i]);
				fd[i] = -1;
			}
	_exit(0);
}

/* 200 slow clients against 16 workers; how long a normal GET takes. */
static long long
normal_get_beside_slow_clients(const char *head, const char *drip)
{
	struct mbt_resp	 r;
	long long	 t0, t;
	pid_t		 pid;
	int		 stop[2], ok;

	MBCTL("set", "W3SVC/MaxWorkers", "16");
	MBCTL("set", "W3SVC/MinSpareWorkers", "4");
	MBCTL("set", "W3SVC/MaxSpareWorkers", "16");
	start();
	cr_assert_eq(pipe(stop), 0);
	cr_assert_gt(pid = drip_clients(200, head, drip, stop[0]), 0);
	/* Let them take every worker. */
	mbt_sleep_ms(1500);
	t0 = mbt_now_ms();
	ok = try_get("127.0.0.1", env.port, "alpha.test", "/", &r) == 0 &&
	    r.status == 200;
	t = mbt_now_ms() - t0;
	mbt_resp_free(&r);
	cr_assert_eq(write(stop[1], "x", 1), 1);
	waitpid(pid, NULL, 0);
	cr_assert(ok, "no answer beside 200 slow clients");
	return t;
}

Test(master, slow_heads_do_not_starve_a_normal_client)
{
	long long t = normal_get_beside_slow_clients("GET / HTTP/1.1\r\n"
	    "Host: alpha.test\r\n", "X");

	cr_log_info("answered in %lld ms beside 200 slow heads", t);
	cr_assert_lt(t, 4000, "answered after %lld ms", t);
}

Test(master, slow_bodies_do_not_starve_a_normal_client)
{
	long long t = normal_get_beside_slow_clients("POST / HTTP/1.1\r\n"
	    "Host: alpha.test\r\nContent-Length: 100000\r\n\r\n", "b");

	cr_log_info("answered in %lld ms beside 200 slow bodies", t);
	cr_assert_lt(t, 4000, "answered after %lld ms", t);
}

/*
 * Faults.
 */

/*
 * A worker killed with SIGKILL under load, 50 times: only the connection
 * it held fails (at most one request a kill), the master replaces it, and
 * the server answers throughout.
 */
Test(master, killed_workers_cost_at_most_their_connection, .timeout = 240)
{
	enum { NCLIENTS = 4, KILLS = 50 };
	struct load_counts sum;
	struct load	 load;
	pid_t		 w[64];
	size_t		 n;
	char		*out;
	int		 i, killed = 0;

	start();
	load_start(&load, NCLIENTS, env.port);
	for (i = 0; i < KILLS; i++) {
		/* The oldest (a worker that has started: one killed while
		 * starting would make the master pause its forks). */
		n = mbt_workers(&env, w, 64);
		if (n > 0 && kill(w[0], SIGKILL) == 0)
			killed++;
		mbt_sleep_ms(150);
	}
	/* Still answering, after the last kill. */
	mbt_sleep_ms(500);
	expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");
	load_finish(&load, &sum);
	out = server_output();
	cr_log_info("%d workers killed: %ld answered, %ld sent again, %ld "
	    "failed", killed, sum.ok, sum.retried, sum.failed);
	cr_assert_geq(killed, KILLS * 4 / 5, "could kill only %d workers",
	    killed);
	cr_assert_gt(sum.ok, 1000, "%s", out);
	cr_assert_leq(sum.failed, killed, "%ld failed for %d kills:\n%s",
	    sum.failed, killed, out);
	free(out);
}

/*
 * The master killed with SIGKILL: its workers go by themselves, the one
 * sending a response finishing it first, and a new master starts on the
 * same ports at once.
 */
Test(master, killed_master_leaves_no_workers_and_restarts_cleanly)
{
	/* More than the socket buffers hold: the worker is still sending. */
	enum { SIZE = 32 * 1024 * 1024 };
	pid_t		 w[64];
	long long	 deadline;
	char		 path[PATH_MAX], head[8192], want[64], *big;
	size_t		 n, i, hl = 0, bad = (size_t)-1;
	ssize_t		 r;
	int		 alive, fd;

	cr_assert_not_null(big = malloc(SIZE + 1));
	for (i = 0; i < SIZE; i++)
		big[i] = big_byte(i);
	big[SIZE] = '\0';
	xsnprintf(path, sizeof(path), "%s/alpha/big.bin", env.www);
	cr_assert_eq(mbt_write_file(path, big), 0);
	free(big);
	start();
	cr_assert_gt(n = mbt_workers(&env, w, 64), 0);
	/* A response in flight, its head read. */
	cr_assert_neq(fd = mbt_connect(env.port), -1);
	cr_assert_eq(mbt_send(fd, "GET /big.bin HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n"), 0);
	while (hl < 4 || memcmp(head + hl - 4, "\r\n\r\n", 4) != 0) {
		cr_assert_lt(hl, sizeof(head) - 1, "head too long");
		r = recv(fd, head + hl, 1, 0);
		cr_assert_eq(r, 1, "no head");
		hl++;
	}
	head[hl] = '\0';
	xsnprintf(want, sizeof(want), "\r\nContent-Length: %d\r\n", SIZE);
	cr_assert_not_null(strstr(head, want), "%s", head);
	cr_assert_eq(read_big(fd, 0, 64 * 1024, &bad), 0);

	cr_assert_eq(kill(env.server, SIGKILL), 0);
	waitpid(env.server, NULL, 0);
	/* The rest of it, whole, then the end. */
	cr_assert_eq(read_big(fd, 64 * 1024, SIZE - 64 * 1024, &bad), 0,
	    "the response was cut when the master died");
	cr_assert_eq(bad, (size_t)-1, "wrong byte at %zu", bad);
	cr_assert_eq(mbt_closed(fd, 10000), 1, "the connection stays open");
	mbt_close(fd);
	deadline = mbt_now_ms() + 20000;
	do {
		for (alive = 0, i = 0; i < n; i++)
			alive += kill(w[i], 0) == 0;
		if (alive > 0)
			mbt_sleep_ms(50);
	} while (alive > 0 && mbt_now_ms() < deadline);
	cr_assert_eq(alive, 0, "%d workers outlived their master", alive);
	env.server = 0;
	start();
	expect_get(env.port, "alpha.test", "/", 200, "site alpha\n");
	expect_get(env.port2, "gamma.test", "/", 200, "site gamma\n");
}
