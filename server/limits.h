/*
 * limits.h - every numeric limit of the server, each with its reason.
 *
 * Values an administrator sets in the metabase (MaxWorkers and the like)
 * are range-checked by the schema against the MB_* limits of metabase.h;
 * these are the ones compiled in.  It includes nothing of the project's:
 * the parser, the URI code and the keep-alive policy depend on it alone.
 */
#ifndef LIMITS_H
#define LIMITS_H

/*
 * Requests (http_parse.c).  A client that exceeds one gets the status
 * named, even before the head is complete, so a buffer of HP_MAXHEAD bytes
 * always gets a definite answer.
 */
/* Request line without its CRLF; longer is 414, or 501 when the method
 * is not one we know (then it is not the target that is too long).  As
 * nginx's and Apache's default (8 KiB), which every browser URL fits. */
#define HP_MAXREQLINE		8192
/* Header section: the field lines and the empty line, CRLFs included;
 * longer is 431.  Twice the request line: cookies are the bulk of it. */
#define HP_MAXHDRSECTION	16384
/* Field lines in a head (and in a chunked trailer); more is 431.  As
 * Apache's LimitRequestFields; fixes the size of struct hp_request. */
#define HP_MAXHEADERS		100
/* Empty lines ignored before a request line (RFC 9112 2.2 asks for at
 * least one: old clients sent CRLF after a POST body); more is 400. */
#define HP_MAXEMPTYLINES	4
/* The most a head can take: a read buffer this large never leaves
 * hp_parse_request() at HP_PARTIAL. */
#define HP_MAXHEAD	(2 * HP_MAXEMPTYLINES + HP_MAXREQLINE + 2 + \
			    HP_MAXHDRSECTION)
/* The host of Host (or of an absolute-form target), port excluded;
 * longer is 400.  DNS caps a name at 255 octets (RFC 1035 2.3.4), so no
 * binding can name a longer one, and the request would otherwise fall
 * through to the bindings without a host name. */
#define HP_MAXHOST		255
/* A chunk-size line with its extensions, CRLF included; longer is 400.
 * Nobody needs extensions; unbounded ones let a client feed us bytes
 * that never advance the body. */
#define HP_MAXCHUNKLINE		4096

/*
 * Listening sockets.
 */

/*
 * Pending connections per listening socket.  nginx's NGX_LISTEN_BACKLOG
 * on Linux; the kernel caps it at net.core.somaxconn (4096 since 5.4).
 * A burst of connection-per-request clients needs a deep queue while the
 * pool grows.
 */
#define LISTEN_BACKLOG		511
/*
 * Distinct (address, port) sockets.  Each one is a descriptor in every
 * worker and an entry in its poll set: far above a real configuration,
 * low enough that a runaway binding list cannot exhaust descriptors.
 */
#define LISTEN_MAX		256
/*
 * TCP_DEFER_ACCEPT, in seconds: a connection is handed to accept() only
 * once the request has arrived, so a worker wakes for data, not for a
 * handshake (PERFORMANCE.md: 0.75x to 0.96x nginx for connection per
 * request).  A client that says nothing costs a queue entry, not a
 * worker; after this long it is accepted anyway and meets the worker's
 * own header timeout.  Apache's AcceptFilter uses 30 as well.
 */
#define LISTEN_DEFER_SECS	30

/*
 * The pool.
 */

/*
 * How often the master counts idle workers, as Apache's
 * SCOREBOARD_MAINTENANCE_INTERVAL: often enough to follow load, rarely
 * enough to cost nothing.
 */
#define MAINT_INTERVAL_MS	1000
/*
 * How often the master looks whether the metabase has changed (new
 * bindings, pool settings, log folders): one stat(2) of its data file
 * (mb_stamp_changed()), the environment opened only after a change, so a
 * site created or moved is served well within a second.
 */
#define FOLLOW_INTERVAL_MS	200
/*
 * Most workers started in one maintenance tick.  The rate doubles each
 * tick the pool is still short (1, 2, 4 ... 32), as Apache's
 * MAX_SPAWN_RATE: a sudden load does not fork a thousand processes at
 * once, and a steady one is met within a few seconds.  Clients already
 * waiting in an accept queue are not held to it: each gets a worker at
 * the next tick, within MaxWorkers (master.c, maintain()).
 */
#define SPAWN_RATE_MAX		32
/*
 * Pause after fork() fails, or after workers die before ever becoming
 * idle (a broken metabase, a missing user): Apache's make_child() sleeps
 * 10 seconds because "we don't want Apache running away with the CPU
 * trying to fork over and over and over again".
 */
#define SPAWN_FAIL_PAUSE_MS	10000
/*
 * SIGTERM/SIGINT: how long the master waits for workers to die before
 * SIGKILL.  The default action of SIGTERM ends a worker at once, so only
 * a process stuck in the kernel (D state) takes long.
 */
#define STOP_TIMEOUT_MS		5000
/*
 * While waiting for workers to go, the master wakes this often to resend
 * SIGQUIT to any that have not yet seen it (a signal that lands just
 * before a worker blocks is otherwise missed until a connection comes).
 */
#define STOP_POLL_MS		100

/*
 * Logs.
 */

/*
 * One error-log message, formatted whole and written with one write(2);
 * longer ones are cut.  PIPE_BUF-sized writes to a pipe (syslog-ng,
 * a terminal) are never interleaved.
 */
#define LOG_MSGMAX		1024
/*
 * One access-log line, formatted whole and written with one write(2).
 * Room for every field at the request-header limit; a longer field is
 * cut rather than the line split.
 */
#define ACCESSLOG_LINEMAX	16384
/*
 * Open access-log files a worker keeps: one per site and UTC day in use.
 * A worker serving more sites than this reopens the least recently used.
 */
#define ACCESSLOG_CACHE		16
/*
 * After an access log cannot be opened, wait this long before trying
 * again: no open(2) per request and no error-log line per request.
 */
#define ACCESSLOG_RETRY_SECS	60
/*
 * But first, for this long after the failure, lines are kept in memory
 * (up to ACCESSLOG_PENDING_MAX bytes a file) and the file is tried again
 * at each request: a new site's folder is made by the master a moment
 * after the site (the workers may not make it), and its first requests
 * must be logged all the same.
 */
#define ACCESSLOG_PENDING_SECS	10
#define ACCESSLOG_PENDING_MAX	(64 * 1024)
/*
 * On opening a log file that exists, this much of its end is read to find
 * the last "#Fields:" line, so that a change of LogExtFileFlags adds a
 * new header block rather than lines that do not match the last one.
 */
#define ACCESSLOG_TAILSCAN	65536


/*
 * Workers.
 */

/*
 * The read buffer: a whole request head at its limits (HP_MAXHEAD) and
 * room behind it for the request's body, read and dropped there while the
 * parsed head stays in place, and for pipelined requests.
 */
#define WORKER_RBUF		(HP_MAXHEAD + 8192)
/*
 * The response buffer: the head, and a file this small rides in the same
 * send(2) behind it (one write a request); bigger files go by sendfile.
 */
#define WORKER_WBUF		(64 * 1024)
/*
 * A client that takes no byte of a response for this long is dropped, so
 * a reader that stalls cannot hold a worker for ever.  nginx's
 * send_timeout default.
 */
#define WORKER_SEND_TIMEOUT	60
/*
 * Lingering close: after a half-close, how long to read and drop what the
 * client still sends before closing, so that a close with unread data
 * does not reset the connection and destroy the response in flight
 * (Apache's MAX_SECS_TO_LINGER is 30; a client that has our FIN needs
 * far less).
 */
#define WORKER_LINGER_MS	2000
/*
 * When the pool is full and a client waits to be accepted, a keep-alive
 * worker that is not the one idle longest looks again after this long,
 * rather than spinning on a listening socket that stays readable.
 */
#define WORKER_GIVEWAY_BACKOFF_MS 50
/*
 * Giving an idle kept-alive connection up for a waiting client, or
 * closing one after a response that said so for the same reason: after
 * the half-close, how long to drain what the client may have sent just
 * then (a round trip on a local network, and then some).  Short: the
 * waiting client wants this worker, and a client that reads our FIN
 * closes at once anyway; one that never reads costs this much.  A burst
 * against a full pool is served at about this much a connection per
 * worker.
 */
#define WORKER_GIVEWAY_DRAIN_MS	20
/*
 * A client in the middle of a request head or body that has sent nothing
 * for this long, while no worker is idle and others wait to be
 * accepted, is dropped (408, and closed): slow clients (slowloris, slow
 * bodies) cannot hold every worker of a blocking pool.  A real client
 * sends a head in one or two segments, a round trip apart; 100 ms of
 * silence is far beyond that on any network that serves web pages.
 */
#define WORKER_SLOW_CLIENT_MS	100
/*
 * Retry-After, in seconds, of the 503 that refuses a connection beyond
 * MaxConnectionsPerClient: the client's own connections free a place as
 * soon as one ends, which is up to the client, so soon.
 */
#define WORKER_PER_CLIENT_RETRY	1

/*
 * TLS (server/tls/).  A file goes out over TLS in reads of this much, one
 * TLS record each (the largest, RFC 8446 5.1).
 */
#define TLS_FILE_CHUNK		(16 * 1024)
/*
 * Session-ticket keys are replaced this often, so that a key taken from
 * a worker's memory opens a day of sessions at most; the workers are
 * then replaced, gracefully, to take the new keys.  A ticket made with
 * the old ones costs its client one full handshake.
 */
#define TLS_TICKET_ROTATE_SECS	(24 * 60 * 60)

/*
 * The small-file cache (filecache.c), per worker.  A file up to
 * FC_MAXFILE bytes is kept after its first request, so the next ones cost
 * one fstatat(2) rather than open, fstat, read and close.  FC_MAXBYTES
 * bounds the memory it takes in each worker (a full pool of MB_MAXWORKERS
 * would hold at most 8 GiB; the default pool of 64, 512 MiB at worst).
 * FC_SLOTS is a power of two, direct-mapped: a collision replaces.
 */
#define FC_MAXFILE		(32 * 1024)
#define FC_MAXBYTES		(8 * 1024 * 1024)
#define FC_SLOTS		1024

#endif /* LIMITS_H */
