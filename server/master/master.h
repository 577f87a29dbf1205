/*
 * master.h - the master process and what it shares with the workers: the
 * scoreboard, the listening sockets, the bootstrap settings and the
 * signal flags.
 *
 * The master never serves a request.  It reads the bindings and pool
 * settings from the metabase (closing it again before every fork: an
 * MDB_env must not cross fork()), binds the listeners, forks workers
 * (worker_main() in worker.h) and keeps between MinSpareWorkers idle and
 * MaxWorkers in all, as Apache's prefork MPM does.
 *
 * Scoreboard protocol.  A slot belongs to the master while it is
 * SB_EMPTY: the master sets it SB_STARTING and forks.  From then on only
 * the worker writes its slot, through the helpers below: SB_IDLE when it
 * waits to accept, SB_BUSY while it reads or serves a request,
 * SB_KEEPALIVE while it holds an idle kept-alive connection between
 * requests, SB_GRACEFUL once it has been told to finish and go.  When the
 * worker has exited the master reaps it and sets the slot SB_EMPTY again.
 *
 * A worker stops:
 *   - at once on SIGTERM/SIGINT (their default action: the master's
 *     fast stop);
 *   - gracefully when worker_graceful becomes non-zero (SIGQUIT: a
 *     graceful stop, a graceful restart, or too many idle workers): it
 *     publishes SB_GRACEFUL, finishes the request in hand, closes any
 *     kept-alive connection, and exits 0.  The master resends SIGQUIT
 *     each second until it is gone, so a signal that lands just before a
 *     blocking call is not lost for long; sb_stale() says the same thing
 *     without a signal;
 *   - by itself after MaxRequestsPerWorker requests (sb_max_requests(),
 *     0 = never): exit(0), and the master starts a replacement.
 * A worker whose master has died gets SIGQUIT (PR_SET_PDEATHSIG).
 * Stale LMDB reader slots of dead workers are cleared by the mb_open()
 * (mdb_reader_check) of the next worker; the master does nothing for it.
 */
#ifndef MASTER_H
#define MASTER_H

#include <sys/types.h>

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf/conf.h"
#include "server/limits.h"
#include "server/master/listen.h"

enum sb_state {
	SB_EMPTY,		/* no process */
	SB_STARTING,		/* forked, not yet accepting */
	SB_IDLE,		/* waiting to accept */
	SB_BUSY,		/* reading or serving a request */
	SB_KEEPALIVE,		/* idle kept-alive connection, between requests */
	SB_GRACEFUL,		/* told to go: finishing, then exit */
	SB_NSTATES
};

/* One worker's slot; its own cache line, as only that worker writes it. */
struct sb_slot {
	_Alignas(64) _Atomic int32_t pid;	/* 0 when SB_EMPTY */
	atomic_int		 state;		/* enum sb_state */
	_Atomic uint32_t	 generation;	/* the generation it started in */
	_Atomic uint32_t	 site;		/* site served, 0 for none */
	_Atomic uint64_t	 since;		/* ms (sb_now_ms()) state entered */
	_Atomic uint64_t	 requests;	/* requests served */
};

struct scoreboard {
	/* Written by the master only, read by the workers. */
	_Alignas(64) _Atomic uint32_t generation;	/* bumped on SIGHUP */
	atomic_int		 stopping;	/* the master is stopping */
	_Atomic uint32_t	 max_workers;	/* MaxWorkers */
	_Atomic uint32_t	 min_spare;	/* MinSpareWorkers */
	_Atomic uint32_t	 max_spare;	/* MaxSpareWorkers */
	_Atomic uint32_t	 max_requests;	/* MaxRequestsPerWorker, 0 never */
	atomic_int		 nslots;	/* slots in use: [0, nslots) */
	/*
	 * Each slot's state again, a byte each, packed so that counting the
	 * workers in a state reads a cache line or two.  Counting by looking,
	 * not by keeping a tally: a worker killed in the middle of a state
	 * change cannot leave a count wrong for ever, as the master resets
	 * its byte when it reaps it.
	 */
	_Alignas(64) _Atomic unsigned char states[SB_SLOTS];
	struct sb_slot		 slot[SB_SLOTS];
};

/*
 * Shared with the workers.  Set by the master before it forks; a worker
 * sees the values of the moment it was forked.
 */
extern struct scoreboard	*scoreboard;	/* MAP_SHARED, no pointers */
extern struct listener		*listeners;	/* listeners[0 .. nlisteners) */
extern size_t			 nlisteners;
extern struct conf		*conf;		/* the bootstrap settings */
extern pid_t			 master_pid;

/*
 * Worker-side signal flags, set by the handlers master_worker_signals()
 * installs (without SA_RESTART, so a blocking accept, poll or read
 * returns EINTR).  The worker clears worker_reopen when it has acted.
 *   worker_graceful: SIGQUIT; finish the request in hand, then exit 0.
 *   worker_reopen:   SIGUSR1; call log_reopen() and accesslog_reopen().
 */
extern volatile sig_atomic_t	 worker_graceful;
extern volatile sig_atomic_t	 worker_reopen;

/*
 * Run the master with the loaded conf: read the metabase, with -t print
 * what it would listen on and return the exit status; else bind, detach
 * unless -F, write the pid file, fork the workers and manage them until a
 * stop signal.  Startup errors are printed as one line and give 1.
 */
int	master_run(struct conf *);

/*
 * Install the worker's signal dispositions: SIGQUIT sets worker_graceful,
 * SIGUSR1 sets worker_reopen, SIGTERM and SIGINT keep their default
 * (exit at once), SIGUSR2 does nothing but interrupt a blocking call
 * (a keep-alive worker's wait, see worker.c), SIGHUP, SIGPIPE and
 * SIGWINCH are ignored.  The
 * master calls it in the child before worker_main(); calling it again is
 * harmless.
 */
void	master_worker_signals(void);

/*
 * In a worker, after it has opened its metabase (so that the LMDB lock
 * file is opened with root's rights): become conf->uid/conf->gid with
 * the user's supplementary groups, and re-arm the parent-death signal
 * that the change of user clears.  A no-op when not started as root.
 * Returns 0, or -1 with errno set (the worker should then fatal()).
 */
int	master_drop_privileges(void);

/*
 * Scoreboard helpers for the worker.  slot is the worker_main() argument.
 */

/* The monotonic clock in milliseconds, as the scoreboard keeps time. */
static inline uint64_t
sb_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Publish that the worker in slot has entered state st (now) serving site
 * (0 for none).  Costs a clock read, and a byte store to the shared state
 * line when the state changes.
 */
static inline void
sb_set_state(int slot, enum sb_state st, uint32_t site)
{
	struct sb_slot	*s = &scoreboard->slot[slot];
	int		 old;

	old = atomic_load_explicit(&s->state, memory_order_relaxed);
	atomic_store_explicit(&s->since, sb_now_ms(), memory_order_relaxed);
	atomic_store_explicit(&s->site, site, memory_order_relaxed);
	if (old == (int)st)
		return;
	atomic_store_explicit(&s->state, (int)st, memory_order_release);
	atomic_store_explicit(&scoreboard->states[slot], (unsigned char)st,
	    memory_order_release);
}

/* Count one more request served by slot. */
static inline void
sb_request_done(int slot)
{
	struct sb_slot	*s = &scoreboard->slot[slot];

	atomic_store_explicit(&s->requests,
	    atomic_load_explicit(&s->requests, memory_order_relaxed) + 1,
	    memory_order_relaxed);
}

/* Requests served by slot since it started. */
static inline uint64_t
sb_requests(int slot)
{
	return atomic_load_explicit(&scoreboard->slot[slot].requests,
	    memory_order_relaxed);
}

/* How many workers are in each state, from the slots in use. */
static inline void
sb_tally(unsigned n[SB_NSTATES])
{
	int	 i, nslots;
	unsigned st;

	for (st = 0; st < SB_NSTATES; st++)
		n[st] = 0;
	nslots = atomic_load_explicit(&scoreboard->nslots,
	    memory_order_relaxed);
	for (i = 0; i < nslots; i++) {
		st = atomic_load_explicit(&scoreboard->states[i],
		    memory_order_acquire);
		if (st < SB_NSTATES)
			n[st]++;
	}
}

/* Workers now in state st (not SB_EMPTY). */
static inline unsigned
sb_count(enum sb_state st)
{
	unsigned	 n[SB_NSTATES];

	if (st == SB_EMPTY || st >= SB_NSTATES)
		return 0;
	sb_tally(n);
	return n[st];
}

/*
 * Live workers: those that can take a connection now or soon (starting,
 * idle, busy, keep-alive), not those finishing after being told to go.
 * The master starts no more of them than MaxWorkers.
 */
static inline unsigned
sb_live(void)
{
	unsigned	 n[SB_NSTATES];

	sb_tally(n);
	return n[SB_STARTING] + n[SB_IDLE] + n[SB_BUSY] + n[SB_KEEPALIVE];
}

/* MaxWorkers, as the master last read it from the metabase. */
static inline unsigned
sb_max_workers(void)
{
	return atomic_load_explicit(&scoreboard->max_workers,
	    memory_order_relaxed);
}

/* MaxRequestsPerWorker, as the master last read it; 0 means never. */
static inline unsigned
sb_max_requests(void)
{
	return atomic_load_explicit(&scoreboard->max_requests,
	    memory_order_relaxed);
}

/*
 * Non-zero when the worker in slot should finish its request and exit:
 * the master is stopping, or it belongs to an older generation (a
 * graceful restart).  Three loads of lines that rarely change.
 */
static inline int
sb_stale(int slot)
{
	return atomic_load_explicit(&scoreboard->stopping,
	    memory_order_relaxed) ||
	    atomic_load_explicit(&scoreboard->slot[slot].generation,
	    memory_order_relaxed) !=
	    atomic_load_explicit(&scoreboard->generation,
	    memory_order_relaxed);
}

/*
 * Non-zero when slot is in SB_KEEPALIVE and has been there longest of all
 * keep-alive workers (ties go to the lower slot): the one that should let
 * its idle connection go when no worker is idle and the pool is full.
 * Scans the slots in use: call it only in that case.
 */
int	sb_oldest_keepalive(int slot);

#endif /* MASTER_H */
