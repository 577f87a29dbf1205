/*
 * listen.c - plan, open and close the listening sockets.
 */
/* TCP_DEFER_ACCEPT is a Linux option that glibc shows only to MISC code. */
#define _DEFAULT_SOURCE

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/seterr.h"
#include "server/limits.h"
#include "server/core/listen.h"
#include "server/core/log.h"

/* An [::] socket was dropped: this host has no IPv6. */
static int	no_ipv6;

/* Fill l for family af, address addr (NULL: the wildcard), port. */
static void
set_addr(struct listener *l, int af, const void *addr, unsigned port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&l->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&l->ss;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->port = port;
	l->wildcard = addr == NULL;
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (addr != NULL)
			memcpy(&sin->sin_addr, addr, sizeof(sin->sin_addr));
		else
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		l->sslen = sizeof(*sin);
		inet_ntop(AF_INET, &sin->sin_addr, l->ip, sizeof(l->ip));
		snprintf(l->name, sizeof(l->name), "%s:%u", l->ip, port);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (addr != NULL)
			memcpy(&sin6->sin6_addr, addr, sizeof(sin6->sin6_addr));
		else
			sin6->sin6_addr = in6addr_any;
		l->sslen = sizeof(*sin6);
		inet_ntop(AF_INET6, &sin6->sin6_addr, l->ip, sizeof(l->ip));
		snprintf(l->name, sizeof(l->name), "[%s]:%u", l->ip, port);
	}
	if (l->wildcard)
		l->ip[0] = '\0';
}

/* The same socket address: family, address and port. */
static int
same_addr(const struct listener *a, const struct listener *b)
{
	return a->sslen == b->sslen && a->port == b->port &&
	    memcmp(&a->ss, &b->ss, a->sslen) == 0;
}

static int
cmp_listener(const void *va, const void *vb)
{
	const struct listener	*a = va, *b = vb;
	const void		*pa, *pb;
	size_t			 len;

	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->ss.ss_family != b->ss.ss_family)
		return a->ss.ss_family == AF_INET ? -1 : 1;
	if (a->ss.ss_family == AF_INET) {
		pa = &((const struct sockaddr_in *)&a->ss)->sin_addr;
		pb = &((const struct sockaddr_in *)&b->ss)->sin_addr;
		len = sizeof(struct in_addr);
	} else {
		pa = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
		pb = &((const struct sockaddr_in6 *)&b->ss)->sin6_addr;
		len = sizeof(struct in6_addr);
	}
	return memcmp(pa, pb, len);
}

/* Add l to ls unless it is there; -1 when the table is full. */
static int
add_unique(struct listener *ls, size_t *np, const struct listener *l)
{
	size_t	 i;

	for (i = 0; i < *np; i++)
		if (same_addr(&ls[i], l)) {
			ls[i].secure |= l->secure;
			return 0;
		}
	if (*np == LISTEN_MAX)
		return -1;
	ls[(*np)++] = *l;
	return 0;
}

/* Is there a binding for all unassigned addresses on this port? */
static int
port_has_wildcard(const struct mb_binding *b, size_t nb, unsigned port)
{
	size_t	 i;

	for (i = 0; i < nb; i++)
		if (b[i].port == port && b[i].ip[0] == '\0')
			return 1;
	return 0;
}

int
listen_plan(const struct mb_binding *b, size_t nb, struct listener **lsp,
    size_t *np, char *err, size_t errlen)
{
	struct listener	*ls, l;
	unsigned char	 addr[sizeof(struct in6_addr)];
	size_t		 i, n = 0;
	int		 full = 0;

	*lsp = NULL;
	*np = 0;
	if (nb == 0)
		return 0;
	if ((ls = calloc(LISTEN_MAX, sizeof(*ls))) == NULL)
		return seterr(err, errlen, "out of memory");
	for (i = 0; i < nb && !full; i++) {
		if (b[i].port == 0 || b[i].port > 65535) {
			free(ls);
			return seterr(err, errlen, "bad port %u", b[i].port);
		}
		if (b[i].ip[0] == '\0') {
			set_addr(&l, AF_INET, NULL, b[i].port);
			l.secure = b[i].secure;
			full = add_unique(ls, &n, &l) == -1;
			set_addr(&l, AF_INET6, NULL, b[i].port);
			l.secure = b[i].secure;
			full = full || add_unique(ls, &n, &l) == -1;
			continue;
		}
		/* The wildcard sockets of this port serve this address. */
		if (port_has_wildcard(b, nb, b[i].port))
			continue;
		if (inet_pton(AF_INET, b[i].ip, addr) == 1)
			set_addr(&l, AF_INET, addr, b[i].port);
		else if (inet_pton(AF_INET6, b[i].ip, addr) == 1)
			set_addr(&l, AF_INET6, addr, b[i].port);
		else {
			free(ls);
			return seterr(err, errlen,
			    "'%s' is not an IP address", b[i].ip);
		}
		l.secure = b[i].secure;
		full = add_unique(ls, &n, &l) == -1;
	}
	if (full) {
		free(ls);
		return seterr(err, errlen,
		    "too many listening sockets: at most %d", LISTEN_MAX);
	}
	qsort(ls, n, sizeof(*ls), cmp_listener);
	*lsp = ls;
	*np = n;
	return 0;
}

/* Open, bind and listen on one socket; -1 with errno set. */
static int
open_one(const struct listener *l)
{
	int	 s, on = 1, defer = LISTEN_DEFER_SECS, flags, saved;

	if ((s = socket(l->ss.ss_family, SOCK_STREAM, 0)) == -1)
		return -1;
	if ((flags = fcntl(s, F_GETFL)) == -1 ||
	    fcntl(s, F_SETFL, flags | O_NONBLOCK) == -1)
		goto close_sock;
	/* Restart at once over connections still in TIME_WAIT. */
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto close_sock;
	/* [::] must leave IPv4 to 0.0.0.0, whatever net.ipv6.bindv6only says. */
	if (l->ss.ss_family == AF_INET6 &&
	    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto close_sock;
	if (bind(s, (const struct sockaddr *)&l->ss, l->sslen) == -1 ||
	    listen(s, LISTEN_BACKLOG) == -1)
		goto close_sock;
	/* Only a speed-up: a kernel without it still works. */
	if (setsockopt(s, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer,
	    sizeof(defer)) == -1)
		log_debug("TCP_DEFER_ACCEPT on %s: %s", l->name,
		    strerror(errno));
	return s;

 close_sock:
	saved = errno;
	close(s);
	errno = saved;
	return -1;
}

/* Was this descriptor taken over from old? */
static int
is_old_fd(int fd, const struct listener *old, size_t nold)
{
	size_t	 i;

	for (i = 0; i < nold; i++)
		if (old[i].fd == fd)
			return 1;
	return 0;
}

/*
 * shutdown(2) the old sockets on l's port and family that no listener of
 * the new plan ls[0 .. n) reuses.  Returns how many.
 */
static int
release_port(const struct listener *l, const struct listener *ls, size_t n,
    const struct listener *old, size_t nold)
{
	size_t	 j, k;
	int	 done = 0;

	for (j = 0; j < nold; j++) {
		if (old[j].fd == -1 || old[j].port != l->port ||
		    old[j].ss.ss_family != l->ss.ss_family)
			continue;
		for (k = 0; k < n; k++)
			if (same_addr(&ls[k], &old[j]))
				break;
		if (k < n)
			continue;
		shutdown(old[j].fd, SHUT_RDWR);
		done++;
	}
	return done;
}

/*
 * Open ls[*i], taking over an equal socket of old.  A [::] this host
 * cannot have is dropped from ls (*np lowered, *i stepped back).  Returns
 * 0, or -1 with errno.
 */
static int
open_planned(struct listener *ls, size_t *i, size_t *np,
    const struct listener *old, size_t nold)
{
	struct listener	*l = &ls[*i];
	size_t		 j;

	for (j = 0; j < nold; j++)
		if (old[j].fd != -1 && same_addr(l, &old[j]))
			break;
	if (j < nold) {
		l->fd = old[j].fd;
		return 0;
	}
	if ((l->fd = open_one(l)) != -1)
		return 0;
	/*
	 * A reload moving a port between one address and all of them: the
	 * old socket on that port, which the new plan drops, holds it.  Stop
	 * its listening (for the old workers too) and try again.
	 */
	if (errno == EADDRINUSE && release_port(l, ls, *np, old, nold) > 0 &&
	    (l->fd = open_one(l)) != -1)
		return 0;
	if (l->wildcard && l->ss.ss_family == AF_INET6 &&
	    (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
		log_warnx("no IPv6 on this host: not listening on %s",
		    l->name);
		no_ipv6 = 1;
		memmove(l, l + 1, (*np - *i - 1) * sizeof(*ls));
		(*np)--;
		(*i)--;
		return 0;
	}
	l->err = errno;
	return -1;
}

int
listen_open(struct listener *ls, size_t *np, const struct listener *old,
    size_t nold, char *err, size_t errlen)
{
	size_t	 i, j;

	for (i = 0; i < *np; i++) {
		if (open_planned(ls, &i, np, old, nold) == 0)
			continue;
		seterr(err, errlen, "cannot bind %s: %s", ls[i].name,
		    strerror(ls[i].err));
		goto close_new;
	}
	return 0;

 close_new:
	for (j = 0; j < i; j++) {
		if (ls[j].fd != -1 && !is_old_fd(ls[j].fd, old, nold))
			close(ls[j].fd);
		ls[j].fd = -1;
	}
	return -1;
}

void
listen_open_some(struct listener *ls, size_t *np, const struct listener *old,
    size_t nold, struct listener *failed, size_t *nfailed)
{
	size_t	 i, n;

	*nfailed = 0;
	for (i = 0; i < *np; i++)
		if (open_planned(ls, &i, np, old, nold) == -1)
			ls[i].fd = -1;
	for (i = n = 0; i < *np; i++) {
		if (ls[i].fd == -1)
			failed[(*nfailed)++] = ls[i];
		else
			ls[n++] = ls[i];
	}
	*np = n;
}

/* Whether every socket of a is in b, but an [::] this host cannot have. */
static int
all_in(const struct listener *a, size_t na, const struct listener *b,
    size_t nb)
{
	size_t	 i, j;

	for (i = 0; i < na; i++) {
		if (no_ipv6 && a[i].wildcard && a[i].ss.ss_family == AF_INET6)
			continue;
		for (j = 0; j < nb; j++)
			if (same_addr(&a[i], &b[j]) &&
			    a[i].secure == b[j].secure)
				break;
		if (j == nb)
			return 0;
	}
	return 1;
}

int
listen_same(const struct listener *a, size_t na, const struct listener *b,
    size_t nb)
{
	return all_in(a, na, b, nb) && all_in(b, nb, a, na);
}

void
listen_close(struct listener *old, size_t nold, const struct listener *ls,
    size_t n)
{
	size_t	 i, j;

	for (i = 0; i < nold; i++) {
		if (old[i].fd == -1)
			continue;
		for (j = 0; ls != NULL && j < n; j++)
			if (ls[j].fd == old[i].fd)
				break;
		/*
		 * shutdown(2) stops the listening for every process that
		 * shares the socket, the workers too: a client is refused
		 * rather than queued for nobody.
		 */
		if (ls == NULL || j == n) {
			shutdown(old[i].fd, SHUT_RDWR);
			close(old[i].fd);
		}
		old[i].fd = -1;
	}
}
