/*
 * test_listen.c - tests for server/master/listen.c, suite listen.
 *
 * The plan against sockets worked out here from the bindings, then the
 * sockets themselves: bound for real on free ports of 127.0.0.1 (and
 * [::] where the host has IPv6), connected to, and read back with
 * getsockname(2), getsockopt(2) and fcntl(2).
 */
#define _DEFAULT_SOURCE		/* TCP_DEFER_ACCEPT, as listen.c */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "server/limits.h"
#include "server/core/listen.h"

static struct mb_binding
bind_of(const char *ip, unsigned port, const char *host)
{
	struct mb_binding	 b;

	memset(&b, 0, sizeof(b));
	snprintf(b.ip, sizeof(b.ip), "%s", ip);
	b.port = port;
	snprintf(b.host, sizeof(b.host), "%s", host);
	return b;
}

/*
 * A port nobody listens on now, on 127.0.0.1 and, when dual is set, on
 * every address of both families: the kernel's pick for port 0.
 */
static unsigned
free_port(int dual)
{
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;
	socklen_t		 len;
	unsigned		 port;
	int			 s, off = 0;

	if (dual && (s = socket(AF_INET6, SOCK_STREAM, 0)) != -1) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_any;
		cr_assert_eq(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		    sizeof(off)), 0);
		cr_assert_eq(bind(s, (struct sockaddr *)&sin6, sizeof(sin6)),
		    0, "bind: %s", strerror(errno));
		len = sizeof(sin6);
		cr_assert_eq(getsockname(s, (struct sockaddr *)&sin6, &len), 0);
		port = ntohs(sin6.sin6_port);
		close(s);
		return port;
	}
	cr_assert_neq(s = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(dual ? INADDR_ANY : INADDR_LOOPBACK);
	cr_assert_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	len = sizeof(sin);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(s);
	return port;
}

/* Two different free ports, lo < hi. */
static void
free_ports(unsigned *lo, unsigned *hi)
{
	int	 s[2];
	unsigned p[2];
	struct sockaddr_in	 sin;
	socklen_t		 len;
	int	 i;

	for (i = 0; i < 2; i++) {
		cr_assert_neq(s[i] = socket(AF_INET, SOCK_STREAM, 0), -1);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		cr_assert_eq(bind(s[i], (struct sockaddr *)&sin, sizeof(sin)),
		    0);
		len = sizeof(sin);
		cr_assert_eq(getsockname(s[i], (struct sockaddr *)&sin, &len),
		    0);
		p[i] = ntohs(sin.sin_port);
	}
	close(s[0]);
	close(s[1]);
	*lo = p[0] < p[1] ? p[0] : p[1];
	*hi = p[0] < p[1] ? p[1] : p[0];
}

static void
plan_ok(const struct mb_binding *b, size_t nb, struct listener **ls,
    size_t *n)
{
	char	 err[256] = "";

	cr_assert_eq(listen_plan(b, nb, ls, n, err, sizeof(err)), 0,
	    "listen_plan: %s", err);
}

/* l is the IPv4 socket ip:port, not yet open. */
static void
check_v4(const struct listener *l, const char *ip, unsigned port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&l->ss;
	struct in_addr		 a;
	char			 name[64];

	cr_assert_eq(inet_pton(AF_INET, ip, &a), 1);
	cr_assert_eq(l->fd, -1);
	cr_assert_eq(sin->sin_family, AF_INET);
	cr_assert_eq(l->sslen, sizeof(struct sockaddr_in));
	cr_assert_eq(ntohs(sin->sin_port), port);
	cr_assert_eq(sin->sin_addr.s_addr, a.s_addr, "not %s", ip);
	cr_assert_eq(l->port, port);
	cr_assert_eq(l->wildcard, a.s_addr == htonl(INADDR_ANY));
	cr_assert_str_eq(l->ip, l->wildcard ? "" : ip);
	snprintf(name, sizeof(name), "%s:%u", ip, port);
	cr_assert_str_eq(l->name, name);
}

static void
check_v6(const struct listener *l, const char *ip, unsigned port)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&l->ss;
	struct in6_addr		 a;
	char			 name[80];

	cr_assert_eq(inet_pton(AF_INET6, ip, &a), 1);
	cr_assert_eq(l->fd, -1);
	cr_assert_eq(sin6->sin6_family, AF_INET6);
	cr_assert_eq(l->sslen, sizeof(struct sockaddr_in6));
	cr_assert_eq(ntohs(sin6->sin6_port), port);
	cr_assert_eq(memcmp(&sin6->sin6_addr, &a, sizeof(a)), 0, "not %s", ip);
	cr_assert_eq(l->port, port);
	cr_assert_eq(l->wildcard,
	    memcmp(&a, &in6addr_any, sizeof(a)) == 0);
	cr_assert_str_eq(l->ip, l->wildcard ? "" : ip);
	snprintf(name, sizeof(name), "[%s]:%u", ip, port);
	cr_assert_str_eq(l->name, name);
}

Test(listen, plan_nothing)
{
	struct listener	*ls = (struct listener *)1;
	size_t		 n = 7;

	plan_ok(NULL, 0, &ls, &n);
	cr_assert_null(ls);
	cr_assert_eq(n, 0);
}

Test(listen, plan_addresses)
{
	struct mb_binding	 b[] = {
		bind_of("127.0.0.1", 8080, ""),
		bind_of("::1", 8080, "a.example"),
		bind_of("192.0.2.1", 80, "b.example"),
	};
	struct listener		*ls;
	size_t			 n;

	plan_ok(b, 3, &ls, &n);
	cr_assert_eq(n, 3);
	check_v4(&ls[0], "192.0.2.1", 80);
	check_v4(&ls[1], "127.0.0.1", 8080);
	check_v6(&ls[2], "::1", 8080);
	free(ls);
}

/* One socket per address and port, however many host names and spellings. */
Test(listen, plan_one_socket_per_address)
{
	struct mb_binding	 b[] = {
		bind_of("127.0.0.1", 80, "a.example"),
		bind_of("127.0.0.1", 80, "b.example"),
		bind_of("127.0.0.1", 80, ""),
		bind_of("::1", 80, "a.example"),
		bind_of("0:0:0::1", 80, "b.example"),
		bind_of("0:0:0:0:0:0:0:1", 80, ""),
		bind_of("127.0.0.1", 81, "a.example"),
	};
	struct listener		*ls;
	size_t			 n;

	plan_ok(b, 7, &ls, &n);
	cr_assert_eq(n, 3);
	check_v4(&ls[0], "127.0.0.1", 80);
	check_v6(&ls[1], "::1", 80);
	check_v4(&ls[2], "127.0.0.1", 81);
	free(ls);
}

/* A port with an all-addresses binding: the two wildcards serve it all. */
Test(listen, plan_wildcard_takes_the_port)
{
	struct mb_binding	 b[] = {
		bind_of("10.0.0.1", 80, "a.example"),
		bind_of("", 80, ""),
		bind_of("::1", 80, ""),
		bind_of("10.0.0.1", 81, ""),
		bind_of("", 80, "b.example"),
	};
	struct listener		*ls;
	size_t			 n;

	plan_ok(b, 5, &ls, &n);
	cr_assert_eq(n, 3);
	check_v4(&ls[0], "0.0.0.0", 80);
	check_v6(&ls[1], "::", 80);
	check_v4(&ls[2], "10.0.0.1", 81);
	free(ls);
}

/* Sorted by port, then IPv4 before IPv6, then address (as numbers). */
Test(listen, plan_is_sorted)
{
	static const struct {
		const char	*ip;
		unsigned	 port;
	} in[] = {
		{ "10.0.0.10", 8080 }, { "fe80::1", 80 }, { "10.0.0.2", 8080 },
		{ "::2", 8080 }, { "192.168.1.1", 80 }, { "10.0.0.2", 80 },
		{ "::1", 8080 }, { "9.255.255.255", 80 }, { "2001:db8::1", 443 },
		{ "1.2.3.4", 65535 }, { "1.2.3.4", 1 },
	}, want[] = {
		{ "1.2.3.4", 1 },
		{ "9.255.255.255", 80 }, { "10.0.0.2", 80 },
		{ "192.168.1.1", 80 }, { "fe80::1", 80 },
		{ "2001:db8::1", 443 },
		{ "10.0.0.2", 8080 }, { "10.0.0.10", 8080 }, { "::1", 8080 },
		{ "::2", 8080 },
		{ "1.2.3.4", 65535 },
	};
	struct mb_binding	 b[sizeof(in) / sizeof(in[0])];
	struct listener		*ls;
	size_t			 i, n;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		b[i] = bind_of(in[i].ip, in[i].port, "");
	plan_ok(b, sizeof(in) / sizeof(in[0]), &ls, &n);
	cr_assert_eq(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++) {
		if (strchr(want[i].ip, ':') != NULL)
			check_v6(&ls[i], want[i].ip, want[i].port);
		else
			check_v4(&ls[i], want[i].ip, want[i].port);
	}
	free(ls);
}

static void
plan_fails(const struct mb_binding *b, size_t nb, const char *want)
{
	struct listener	*ls = (struct listener *)1;
	char		 err[256] = "";
	size_t		 n = 7;

	cr_assert_eq(listen_plan(b, nb, &ls, &n, err, sizeof(err)), -1);
	cr_assert_str_eq(err, want);
	cr_assert_null(ls);
	cr_assert_eq(n, 0);
}

Test(listen, plan_rejects)
{
	struct mb_binding	 b[2];

	b[0] = bind_of("127.0.0.1", 80, "");
	b[1] = bind_of("10.0.0.x", 80, "");
	plan_fails(b, 2, "'10.0.0.x' is not an IP address");
	b[1] = bind_of("localhost", 80, "");
	plan_fails(b, 2, "'localhost' is not an IP address");
	b[1] = bind_of("[::1]", 80, "");
	plan_fails(b, 2, "'[::1]' is not an IP address");
	b[1] = bind_of("127.0.0.1", 0, "");
	plan_fails(b, 2, "bad port 0");
	b[1] = bind_of("", 65536, "");
	plan_fails(b, 2, "bad port 65536");
}

/* LISTEN_MAX sockets, and not one more. */
Test(listen, plan_limit)
{
	struct mb_binding	*b;
	struct listener		*ls;
	size_t			 i, n;
	char			 want[128];

	cr_assert_not_null(b = calloc(LISTEN_MAX + 1, sizeof(*b)));
	for (i = 0; i < LISTEN_MAX + 1; i++)
		b[i] = bind_of("127.0.0.1", 1000 + (unsigned)i, "");
	plan_ok(b, LISTEN_MAX, &ls, &n);
	cr_assert_eq(n, LISTEN_MAX);
	free(ls);
	snprintf(want, sizeof(want),
	    "too many listening sockets: at most %d", LISTEN_MAX);
	plan_fails(b, LISTEN_MAX + 1, want);
	/* A wildcard binding is two sockets. */
	for (i = 0; i < LISTEN_MAX / 2 + 1; i++)
		b[i] = bind_of("", 1000 + (unsigned)i, "");
	plan_ok(b, LISTEN_MAX / 2, &ls, &n);
	cr_assert_eq(n, LISTEN_MAX);
	free(ls);
	plan_fails(b, LISTEN_MAX / 2 + 1, want);
	free(b);
}

/* Connect to ip:port (either family) without blocking on accept. */
static int
dial(int af, const char *ip, unsigned port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 s;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		cr_assert_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		cr_assert_eq(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
		len = sizeof(*sin6);
	}
	cr_assert_neq(s = socket(af, SOCK_STREAM, 0), -1);
	cr_assert_eq(connect(s, (struct sockaddr *)&ss, len), 0,
	    "connect %s:%u: %s", ip, port, strerror(errno));
	return s;
}

/* Whether fd becomes readable (a connection to accept) within ms. */
static int
ready(int fd, int ms)
{
	struct pollfd	 p;

	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* Send a byte on c, then accept its connection on l. */
static void
accept_one(int l, int c)
{
	int	 a;

	cr_assert_eq(send(c, "x", 1, 0), 1);
	cr_assert(ready(l, 10000), "no connection to accept");
	a = accept(l, NULL, NULL);
	cr_assert_neq(a, -1, "accept: %s", strerror(errno));
	close(a);
}

static int
sockopt(int fd, int level, int name)
{
	int		 v = -1;
	socklen_t	 len = sizeof(v);

	cr_assert_eq(getsockopt(fd, level, name, &v, &len), 0);
	return v;
}

/* A socket as listen.h promises it. */
static void
check_open(const struct listener *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 fl;

	cr_assert_geq(l->fd, 0, "%s not open", l->name);
	cr_assert_eq(getsockname(l->fd, (struct sockaddr *)&ss, &len), 0);
	cr_assert_eq(len, l->sslen);
	cr_assert_eq(memcmp(&ss, &l->ss, len), 0, "%s bound elsewhere",
	    l->name);
	cr_assert_eq(sockopt(l->fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	cr_assert_eq(sockopt(l->fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	cr_assert_neq(sockopt(l->fd, SOL_SOCKET, SO_REUSEADDR), 0);
	cr_assert_gt(sockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);
	if (l->ss.ss_family == AF_INET6)
		cr_assert_eq(sockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	cr_assert_neq(fl = fcntl(l->fd, F_GETFL), -1);
	cr_assert(fl & O_NONBLOCK, "%s blocks", l->name);
}

/* Whether nobody listens on 127.0.0.1:port: a plain bind succeeds. */
static int
port_free(unsigned port)
{
	struct sockaddr_in	 sin;
	int			 s, rc;

	cr_assert_neq(s = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = bind(s, (struct sockaddr *)&sin, sizeof(sin));
	close(s);
	return rc == 0;
}

Test(listen, open_binds_and_listens)
{
	struct mb_binding	 b;
	struct listener		*ls;
	char			 err[256] = "";
	size_t			 n;
	unsigned		 port = free_port(0);
	int			 c;

	b = bind_of("127.0.0.1", port, "");
	plan_ok(&b, 1, &ls, &n);
	cr_assert_eq(listen_open(ls, &n, NULL, 0, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(n, 1);
	check_open(&ls[0]);
	cr_assert_eq(accept(ls[0].fd, NULL, NULL), -1);
	cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);
	/* TCP_DEFER_ACCEPT: the connection waits for its first bytes. */
	c = dial(AF_INET, "127.0.0.1", port);
	cr_assert(!ready(ls[0].fd, 300), "accepted before any data");
	accept_one(ls[0].fd, c);
	close(c);
	listen_close(ls, n, NULL, 0);
	cr_assert_eq(ls[0].fd, -1);
	cr_assert(port_free(port), "port still held after listen_close");
	free(ls);
}

/* The two wildcards on one port, side by side, each its own family. */
Test(listen, open_wildcards)
{
	struct mb_binding	 b;
	struct listener		*ls;
	char			 err[256] = "";
	size_t			 n;
	unsigned		 port = free_port(1);
	int			 c;

	b = bind_of("", port, "");
	plan_ok(&b, 1, &ls, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(listen_open(ls, &n, NULL, 0, err, sizeof(err)), 0,
	    "%s", err);
	check_open(&ls[0]);
	cr_assert_eq(ls[0].ss.ss_family, AF_INET);
	cr_assert(ls[0].wildcard);
	if (n == 1) {
		/* [::] dropped, as listen.h says of a host without IPv6. */
		listen_close(ls, n, NULL, 0);
		free(ls);
		cr_skip_test("no IPv6 here");
	}
	cr_assert_eq(n, 2);
	check_open(&ls[1]);
	cr_assert_eq(ls[1].ss.ss_family, AF_INET6);
	c = dial(AF_INET, "127.0.0.1", port);
	accept_one(ls[0].fd, c);
	cr_assert(!ready(ls[1].fd, 100), "IPv4 reached the [::] socket");
	close(c);
	c = dial(AF_INET6, "::1", port);
	accept_one(ls[1].fd, c);
	cr_assert(!ready(ls[0].fd, 100), "IPv6 reached the 0.0.0.0 socket");
	close(c);
	listen_close(ls, n, NULL, 0);
	free(ls);
}

/*
 * A port in use: -1 with the reason, and the sockets opened before it
 * closed again.
 */
Test(listen, open_busy_port_fails_whole)
{
	struct mb_binding	 b[2];
	struct sockaddr_in	 sin;
	struct listener		*ls;
	char			 err[256] = "", want[256];
	size_t			 n;
	unsigned		 lo, hi;
	int			 s;

	free_ports(&lo, &hi);
	cr_assert_neq(s = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)hi);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(s, 1), 0);

	b[0] = bind_of("127.0.0.1", hi, "");
	b[1] = bind_of("127.0.0.1", lo, "");
	plan_ok(b, 2, &ls, &n);
	cr_assert_eq(ls[0].port, lo);
	cr_assert_eq(listen_open(ls, &n, NULL, 0, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot bind 127.0.0.1:%u: %s", hi,
	    strerror(EADDRINUSE));
	cr_assert_str_eq(err, want);
	cr_assert_eq(n, 2);
	cr_assert_eq(ls[0].fd, -1);
	cr_assert_eq(ls[1].fd, -1);
	cr_assert(port_free(lo), "127.0.0.1:%u left open", lo);
	close(s);
	free(ls);
}

/* A reload keeps the sockets it still needs: same descriptors. */
Test(listen, reload_takes_sockets_over)
{
	struct mb_binding	 b[2];
	struct listener		*old, *ls;
	char			 err[256] = "";
	size_t			 nold, n;
	unsigned		 lo, hi;
	int			 c;

	free_ports(&lo, &hi);
	b[0] = bind_of("127.0.0.1", lo, "");
	b[1] = bind_of("127.0.0.1", hi, "");
	plan_ok(b, 2, &old, &nold);
	cr_assert_eq(listen_open(old, &nold, NULL, 0, err, sizeof(err)), 0,
	    "%s", err);
	/* The new plan drops hi and keeps lo. */
	b[0] = bind_of("127.0.0.1", lo, "a.example");
	plan_ok(b, 1, &ls, &n);
	cr_assert_eq(listen_same(old, nold, ls, n), 0);
	cr_assert_eq(listen_open(ls, &n, old, nold, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(ls[0].fd, old[0].fd);
	listen_close(old, nold, ls, n);
	cr_assert_eq(old[0].fd, -1);
	cr_assert_eq(old[1].fd, -1);
	cr_assert(port_free(hi), "the dropped socket is still open");
	check_open(&ls[0]);
	c = dial(AF_INET, "127.0.0.1", lo);
	accept_one(ls[0].fd, c);
	close(c);
	listen_close(ls, n, NULL, 0);
	free(old);
	free(ls);
}

/*
 * A reload that moves a port from one address to all of them: the new
 * 0.0.0.0 socket cannot bind beside the old 127.0.0.1 one, which the
 * new plan drops; it is released and the bind done.
 */
Test(listen, reload_moves_port_to_all_addresses)
{
	struct mb_binding	 b;
	struct listener		*old, *ls;
	char			 err[256] = "";
	size_t			 nold, n, i;
	unsigned		 port = free_port(1);
	int			 c;

	b = bind_of("127.0.0.1", port, "");
	plan_ok(&b, 1, &old, &nold);
	cr_assert_eq(listen_open(old, &nold, NULL, 0, err, sizeof(err)), 0,
	    "%s", err);
	b = bind_of("", port, "");
	plan_ok(&b, 1, &ls, &n);
	cr_assert_eq(listen_open(ls, &n, old, nold, err, sizeof(err)), 0,
	    "%s", err);
	for (i = 0; i < n; i++) {
		check_open(&ls[i]);
		cr_assert_neq(ls[i].fd, old[0].fd);
	}
	listen_close(old, nold, ls, n);
	c = dial(AF_INET, "127.0.0.1", port);
	accept_one(ls[0].fd, c);
	close(c);
	listen_close(ls, n, NULL, 0);
	free(old);
	free(ls);
}

Test(listen, same_ignores_order)
{
	struct mb_binding	 b[3];
	struct listener		*x, *y, *z;
	size_t			 nx, ny, nz;

	b[0] = bind_of("127.0.0.1", 80, "");
	b[1] = bind_of("::1", 81, "");
	b[2] = bind_of("10.0.0.1", 82, "");
	plan_ok(b, 3, &x, &nx);
	plan_ok(b, 2, &y, &ny);
	cr_assert_eq(listen_same(x, nx, x, nx), 1);
	cr_assert_eq(listen_same(x, nx, y, ny), 0);
	cr_assert_eq(listen_same(y, ny, x, nx), 0);
	cr_assert_eq(listen_same(x, 0, y, 0), 1);
	/* The same sockets, listed the other way round. */
	z = calloc(nx, sizeof(*z));
	cr_assert_not_null(z);
	for (nz = 0; nz < nx; nz++)
		z[nz] = x[nx - 1 - nz];
	cr_assert_eq(listen_same(x, nx, z, nz), 1);
	/* Another port is another socket. */
	z[0].port++;
	((struct sockaddr_in *)&z[0].ss)->sin_port = htons((uint16_t)z[0].port);
	cr_assert_eq(listen_same(x, nx, z, nz), 0);
	free(x);
	free(y);
	free(z);
}
