/*
 * listen.h - the listening sockets that the bindings of started sites
 * need, opened by the master before it forks (and, as root, while it can
 * still bind privileged ports).
 *
 * One socket per distinct (address, port).  Linux refuses 127.0.0.1:8080
 * beside 0.0.0.0:8080, so a port that has a binding for all unassigned
 * addresses (IIS's empty IP) gets the two wildcard sockets 0.0.0.0 and
 * [::] only, and the specific bindings on that port are served through
 * them: the worker asks getsockname(2) which address a connection came
 * to.  Sockets are O_NONBLOCK (workers poll, then accept), SO_REUSEADDR,
 * TCP_DEFER_ACCEPT (LISTEN_DEFER_SECS), IPv6 ones IPV6_V6ONLY.  A
 * socket of SecureBindings is marked secure: its connections speak TLS
 * (the metabase keeps a port to one kind).
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>

#include "metabase.h"

/* "255.255.255.255" or "ffff:...:255.255.255.255", then "[", "]:65535". */
#define LISTEN_NAMELEN	(INET6_ADDRSTRLEN + 8)

struct listener {
	int			 fd;		/* -1 until opened */
	struct sockaddr_storage	 ss;		/* the address bound */
	socklen_t		 sslen;
	int			 wildcard;	/* 0.0.0.0 or [::]: ask getsockname */
	int			 secure;	/* TLS (SecureBindings) */
	unsigned		 port;
	/* The address as mb_site_find() takes it (inet_ntop); "" if wildcard. */
	char			 ip[INET6_ADDRSTRLEN];
	/* For messages: "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:80". */
	char			 name[LISTEN_NAMELEN];
	int			 err;		/* errno of a failed bind */
};

/*
 * Work out the sockets that the bindings b[0 .. nb) need, none opened (fd
 * -1), sorted by port, then IPv4 before IPv6, then address.  *lsp is
 * allocated (free() it; NULL when *np is 0).  Returns 0, or -1 with one
 * line in err ("'10.0.0.x' is not an IP address", too many sockets).
 */
int	listen_plan(const struct mb_binding *b, size_t nb,
	    struct listener **lsp, size_t *np, char *err, size_t errlen);
/*
 * Open the planned sockets ls[0 .. *np).  A socket equal to one of
 * old[0 .. nold) (a reload) takes over its descriptor rather than binding
 * again; old is not changed.  A [::] wildcard on a host without IPv6 is
 * dropped from ls, with a warning, and *np lowered.  Returns 0, or -1
 * with one line in err ("cannot bind 127.0.0.1:8080: Address already in
 * use") after closing every socket it opened itself.
 */
int	listen_open(struct listener *ls, size_t *np, const struct listener *old,
	    size_t nold, char *err, size_t errlen);
/*
 * As listen_open(), but what cannot be bound does not stop the rest: the
 * sockets opened stay in ls[0 .. *np), and those that failed, with their
 * err, go to failed[0 .. *nfailed) (room for *np of them).
 */
void	listen_open_some(struct listener *ls, size_t *np,
	    const struct listener *old, size_t nold, struct listener *failed,
	    size_t *nfailed);
/* Whether a[0 .. na) and b[0 .. nb) name the same sockets. */
int	listen_same(const struct listener *a, size_t na,
	    const struct listener *b, size_t nb);
/*
 * Close the descriptors of old[0 .. nold) that ls[0 .. n) does not use;
 * with ls NULL, close them all.  Descriptors become -1.
 */
void	listen_close(struct listener *old, size_t nold,
	    const struct listener *ls, size_t n);

#endif /* LISTEN_H */
