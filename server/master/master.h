/*
 * master.h - the master process: the pool, the signals, the generations.
 *
 * The master never serves a request.  It reads the started sites'
 * bindings and the pool settings from the metabase (sites.h, never
 * holding it open across fork()), binds the listeners (listen.h), forks
 * workers (worker.h) and keeps between MinSpareWorkers idle and
 * MaxWorkers in all, as Apache's prefork MPM does, watching them through
 * the scoreboard (scoreboard.h).
 *
 * A worker stops:
 *   - at once on SIGTERM/SIGINT (their default action: the master's
 *     fast stop);
 *   - gracefully on SIGQUIT (a graceful stop, a graceful restart, or too
 *     many idle workers): it finishes the request in hand, closes any
 *     kept-alive connection, and exits 0.  The master resends SIGQUIT
 *     each second until it is gone, so a signal that lands just before a
 *     blocking call is not lost for long; sb_stale() says the same thing
 *     without a signal;
 *   - by itself after MaxRequestsPerWorker requests, and the master starts
 *     a replacement.
 * A worker whose master has died gets SIGQUIT (PR_SET_PDEATHSIG).
 * Stale LMDB reader slots of dead workers are cleared by the mb_open()
 * (mdb_reader_check) of the next worker.
 *
 * Generations.  SIGHUP re-reads the bootstrap file and the metabase,
 * opens the sockets the new bindings need and bumps the generation: the
 * old workers finish and go while new ones start.  A failure leaves
 * everything as it was.  When the metabase alone asks for other sockets
 * (a site added, moved, started), the old workers holding a connection
 * whose socket is still needed serve it until it ends by itself
 * (sb_may_keep()): a binding change cuts no kept-alive client of a site
 * it did not touch.
 */
#ifndef MASTER_H
#define MASTER_H

#include "conf/conf.h"

/*
 * Run the master with the loaded conf: read the metabase, with -t print
 * what it would listen on and return the exit status; else bind, detach
 * unless -F, write the pid file, fork the workers and manage them until a
 * stop signal.  Startup errors are printed as one line and give 1.
 */
int	master_run(struct conf *);

#endif /* MASTER_H */
