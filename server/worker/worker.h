/*
 * worker.h - a worker process: accept a connection, serve its requests in
 * a blocking loop (request.h), repeat; and the state it keeps, one struct
 * per process, passed to whatever needs it.
 */
#ifndef WORKER_H
#define WORKER_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "server/http/http_parse.h"
#include "server/limits.h"
#include "server/worker/reply.h"
#include "server/worker/settings.h"
#include "server/worker/vhost.h"

struct conf;
struct conn;
struct listener;
struct mb;
struct scoreboard;

/* What the master hands a worker it has just forked. */
struct worker_args {
	int		 slot;		/* its scoreboard slot */
	struct scoreboard *sb;
	const struct listener *listeners;
	size_t		 nlisteners;
	const struct conf *conf;
	pid_t		 master_pid;
};

/* A worker's state. */
struct worker {
	int		 slot;
	struct scoreboard *sb;
	const struct listener *listeners;
	size_t		 nlisteners;
	size_t		 last_li;	/* the listener that last had one */
	unsigned char	 li_dead[LISTEN_MAX];	/* shut down by the master */
	size_t		 conn_li;	/* the listener of the connection */
	int		 epfd;		/* every listener, EPOLLEXCLUSIVE */
	struct mb	*mb;		/* its own metabase handle */
	/*
	 * The service's settings (/LM/W3SVC) and the snapshot they were read
	 * in: they apply before a request's site is known (the first head of
	 * a connection) and where it has none.
	 */
	struct settings	 svc;
	uint64_t	 svc_txnid;
	struct vhost	 vh;		/* the request's site and file */
	struct scratch	 scratch;	/* error pages, listings */
	char		 rbuf[WORKER_RBUF];
	char		 wbuf[WORKER_WBUF];
	char		 pathbuf[HP_MAXREQLINE + 2];
	char		 scratch_loc[HP_MAXREQLINE * 3 + 512]; /* a Location */
};

/*
 * Run the worker wa->slot until it retires (MaxRequestsPerWorker), is
 * told to stop, or the master goes away.  Called in the child right after
 * fork(): sets up its signals, opens its own metabase handle, drops
 * privileges, then serves.  Never returns.
 */
void	worker_main(const struct worker_args *wa) __attribute__((noreturn));

/*
 * Read more of a request on c, as conn_read() does (until deadline_ms
 * after t0); but while no worker is idle and clients wait to be accepted,
 * a client silent for WORKER_SLOW_CLIENT_MS is given up: -1 with errno
 * ECONNABORTED.
 */
ssize_t	worker_read(struct worker *w, struct conn *c, const struct timespec *t0,
	    uint64_t deadline_ms);

/*
 * Whether the response about to be built for c should close it because
 * clients wait to be accepted and no worker is idle (keepalive.h,
 * pool_busy).  Never when bytes past the request head are already here:
 * a request the client has sent is served rather than sent again.  While
 * a worker is idle this costs one load of a shared word; only when the
 * scoreboard hints that none is does it count them and poll(2) the
 * listeners.
 */
int	worker_pool_busy(struct worker *w, struct conn *c);

/*
 * Whether the worker should finish the request in hand and go: told to
 * (SIGQUIT, a new generation, the master stopping).
 */
int	worker_stopping(const struct worker *w);
/*
 * Whether the connection in hand ends after the response now: when the
 * worker is stopping, except that a worker replaced only for new sockets
 * serves on a connection whose listener still listens (its site's
 * bindings did not change) until the connection ends by itself.
 */
int	worker_conn_ending(const struct worker *w);

#endif /* WORKER_H */
