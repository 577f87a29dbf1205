/*
 * status.h - the live state of a running mbhttpd, as a file both programs
 * know: the scoreboard.
 *
 * The master creates DIR/scoreboard in its metabase directory DIR and
 * maps it shared before it forks, so that each worker writes its own slot
 * through the mapping it inherits, whatever user it runs as; it removes
 * the file when it stops.  `mbctl status` finds it from the same
 * directory and maps it read-only: it reads while the server runs, and
 * changes nothing.  The server's side (what writes which field when) is
 * server/core/scoreboard.h; this header is the layout and the reader.
 *
 * It holds no pointers: every process maps it at its own address, and a
 * worker killed half-way through an update can leave a value stale but
 * never a pointer wild.  Text fields (the client, the request line) are
 * written under a sequence count, odd while they change, so a reader can
 * tell a torn copy and read again.
 */
#ifndef STATUS_H
#define STATUS_H

#include <sys/types.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "metabase.h"

#define SB_FILENAME	"scoreboard"
/* Changes whenever the layout does: a reader refuses another. */
#define SB_MAGIC	"mbhttpd scoreboard 3"

/*
 * Scoreboard slots: a full pool of the current generation plus a full
 * old generation still finishing after a graceful restart (SIGHUP), so a
 * restart never waits for a slot.  MB_MAXREADERS leaves room for both.
 */
#define SB_SLOTS		(2 * MB_MAXWORKERS)
/*
 * Sites counted: a table by site id, found by hashing.  Busy hosts serve
 * far fewer sites at once than they hold; requests of sites beyond it are
 * counted in entry 0, with those of no site.
 */
#define SB_SITES		4096
/* The start of the request line kept for the status view. */
#define SB_LINE			112
#define SB_ADDRLEN		46	/* INET6_ADDRSTRLEN */
/*
 * Reads of a slot's text before a reader gives up on it: a writer holds
 * it odd for two short copies, so more than a few means it is changing
 * as fast as we look.
 */
#define SB_TEXT_TRIES		100

enum sb_state {
	SB_EMPTY,		/* no process */
	SB_STARTING,		/* forked, not yet accepting */
	SB_IDLE,		/* waiting to accept */
	SB_READ,		/* reading a request */
	SB_WRITE,		/* answering it */
	SB_KEEPALIVE,		/* kept-alive, between requests */
	SB_GIVEWAY,		/* letting its connection go for a waiting one */
	SB_GRACEFUL,		/* told to go: finishing, then exit */
	SB_NSTATES
};

/* One worker's slot; its own cache lines, as only that worker writes. */
struct sb_slot {
	_Alignas(64) _Atomic int32_t pid;	/* 0 when SB_EMPTY */
	atomic_int		 state;		/* enum sb_state */
	_Atomic uint32_t	 generation;	/* generation started in */
	_Atomic uint32_t	 site;		/* site served, 0 for none */
	_Atomic uint64_t	 since;		/* state entered, sb_now_ms() */
	_Atomic uint64_t	 requests;	/* requests served */
	_Atomic uint32_t	 seq;		/* odd while the text changes */
	char			 client[SB_ADDRLEN];	/* "" for none */
	char			 line[SB_LINE];		/* "" for none */
	/*
	 * When the connection of client began (sb_now_ns()), written with
	 * it under seq; SB_CONN_REFUSED once it is refused for its client's
	 * connections, so that it counts against none (sb_client_full()).
	 * In the slot's padding: the fields above keep their offsets.
	 */
	_Atomic uint64_t	 conn_start;
};

#define SB_CONN_REFUSED		UINT64_MAX

#define SB_BINDLEN		56	/* "[ffff:...]:65535" */

/*
 * One site's totals since the master started, and why it is not served
 * on one of its bindings, if it is not.
 */
struct sb_site {
	_Alignas(64) _Atomic uint32_t id;	/* 0: free */
	_Atomic uint64_t	 requests;
	_Atomic uint64_t	 bytes;		/* sent */
	_Atomic uint64_t	 status[5];	/* 1xx .. 5xx */
	_Atomic int32_t		 bind_err;	/* errno of its failed bind */
	char			 bind_name[SB_BINDLEN];	/* the socket */
};

struct scoreboard {
	char			 magic[24];	/* SB_MAGIC */
	uint32_t		 size;		/* sizeof(struct scoreboard) */
	/* Written by the master only, read by the workers and mbctl. */
	_Atomic int32_t		 master_pid;
	_Atomic int64_t		 started;	/* time(2) of the start */
	_Alignas(64) _Atomic uint32_t generation;	/* bumped on SIGHUP */
	/*
	 * The oldest generation whose workers may serve the connection they
	 * hold to its end: a restart for new sockets alone leaves it, so
	 * kept-alive clients of unchanged bindings are not cut; SIGHUP
	 * moves it to the new generation.
	 */
	_Atomic uint32_t	 keep_from;
	atomic_int		 stopping;	/* the master is stopping */
	_Atomic uint32_t	 max_workers;	/* MaxWorkers */
	_Atomic uint32_t	 min_spare;	/* MinSpareWorkers */
	_Atomic uint32_t	 max_spare;	/* MaxSpareWorkers */
	_Atomic uint32_t	 max_requests;	/* MaxRequestsPerWorker */
	atomic_int		 nslots;	/* slots in use: [0, nslots) */
	/*
	 * Written by the workers, rarely: set by a worker that takes the
	 * last idle place, cleared by one that becomes idle.  A hint: two
	 * workers doing both at once, or one killed in between, can leave
	 * it wrong until the next of either.  While it is 0 the request
	 * path asks no more; it shares its line with the words every
	 * request reads anyway (sb_stale()).  In the padding before states:
	 * the fields around it keep their offsets.
	 */
	atomic_int		 none_idle;
	/*
	 * An access log cannot be written (a full disk): the worker that
	 * finds it first says so in the error log, the one that writes again
	 * first says that; the others keep their lines quietly.  Padding too.
	 */
	atomic_int		 alog_failing;
	/*
	 * Each slot's state again, a byte each, packed so that counting the
	 * workers in a state reads a cache line or two.  Counting by looking,
	 * not by keeping a tally: a worker killed in the middle of a state
	 * change cannot leave a count wrong for ever, as the master resets
	 * its byte when it reaps it.
	 */
	_Alignas(64) _Atomic unsigned char states[SB_SLOTS];
	struct sb_slot		 slot[SB_SLOTS];
	struct sb_site		 site[SB_SITES];
};

/*
 * Where the table starts looking for site id: entries 1 .. SB_SITES-1,
 * each looked at in turn from there.  Entry 0 counts what has no site (a
 * Host no binding names) and the sites the table had no room for.
 */
static inline size_t
sb_site_hash(uint32_t id)
{
	return 1 + (size_t)((id * 2654435761u) % (SB_SITES - 1));
}

/*
 * The reader, for mbctl.
 */

/*
 * Map the scoreboard of the server running on the metabase in dir,
 * read-only.  Returns it, or NULL with one line in err: no server
 * running (no file, or its master gone), or a file of another layout.
 */
const struct scoreboard *status_open(const char *dir, char *err,
	    size_t errlen);
void	status_close(const struct scoreboard *);
/* Copy slot's text fields, consistent with each other; 0, or -1 if they
 * kept changing. */
int	status_slot_text(const struct sb_slot *s, char client[SB_ADDRLEN],
	    char line[SB_LINE]);
/*
 * Why site is not served on one of its bindings: "cannot bind X: reason"
 * into buf, and 1; or 0 when it is served (or the table has no word of
 * it).
 */
int	status_site_unbound(const struct scoreboard *sb, uint32_t site,
	    char *buf, size_t len);
/* "idle", "reading", ... for a state. */
const char *status_state_name(int state);

#endif /* STATUS_H */
