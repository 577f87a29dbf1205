/*
 * scoreboard.h - the server's side of the scoreboard (its layout, and
 * mbctl's reader, are status/status.h): the state of every worker slot
 * and each site's totals, in a file the master maps shared before it
 * forks, and the questions the pool asks of it.
 *
 * Protocol.  A slot belongs to the master while it is SB_EMPTY: the master
 * readies it (sb_slot_start()) and forks.  From then on only the worker
 * writes its slot, through sb_set_state() and sb_request_done(): SB_IDLE
 * when it waits to accept, SB_READ while it reads a request, SB_WRITE
 * while it answers, SB_KEEPALIVE while it holds an idle kept-alive
 * connection between requests, SB_GIVEWAY while it lets one go for a
 * waiting client, SB_GRACEFUL once it has been told to finish and go.  When the
 * worker has exited the master reaps it and gives the slot back
 * (sb_slot_free()).
 *
 * The give-way signal.  When no worker is idle and the pool is at
 * MaxWorkers (sb_saturated()), a client waiting to be accepted can only be
 * served if a keep-alive worker lets its idle connection go: the one idle
 * longest (sb_oldest_keepalive()) does, and a worker that takes the last
 * idle place wakes it at once (sb_oldest_keepalive_pid()).
 *
 * The busy hint.  Better than giving a kept connection way is not keeping
 * it while clients wait: a worker that takes the last idle place says so
 * (sb_note_none_idle()), one that becomes idle unsays it, and each request
 * reads that one word (sb_maybe_none_idle()); only when it is set does a
 * worker count the idle ones and poll the listeners, and close its
 * connection after the response if clients wait (worker_pool_busy(),
 * pool_busy in keepalive.h).
 */
#ifndef SCOREBOARD_H
#define SCOREBOARD_H

#include <sys/types.h>

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <string.h>

#include "status/status.h"

/* The pool settings the master publishes for the workers. */
struct sb_pool {
	unsigned	 min_spare;	/* MinSpareWorkers */
	unsigned	 max_spare;	/* MaxSpareWorkers */
	unsigned	 max_workers;	/* MaxWorkers */
	unsigned	 max_requests;	/* MaxRequestsPerWorker */
};

/*
 * The master's side.
 */

/*
 * Map a zeroed scoreboard shared with future children, as the file
 * dir/SB_FILENAME (made anew, readable by all, for mbctl status); when
 * dir is NULL or the file cannot be made, in memory only, and *shared is
 * 0.  NULL on failure.
 */
struct scoreboard *sb_create(const char *dir, int *shared);
/* Unmap it, and remove its file when this process made it. */
void	sb_destroy(struct scoreboard *, const char *dir);
void	sb_publish_pool(struct scoreboard *, const struct sb_pool *);
/* Ready the empty slot for a worker about to be forked (SB_STARTING). */
void	sb_slot_start(struct scoreboard *, int slot);
/* The worker is gone: give the slot back, and its state byte. */
void	sb_slot_free(struct scoreboard *, int slot);
/* An empty slot, or -1 when all SB_SLOTS are taken. */
int	sb_slot_find_free(const struct scoreboard *);
/* Slots holding a process. */
int	sb_nprocs(const struct scoreboard *);

/*
 * The worker's side.
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
 * The monotonic clock in nanoseconds: when connections began, which must
 * come in the order they did even a moment apart.
 */
static inline uint64_t
sb_now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/*
 * Publish that the worker in slot has entered state st (now) serving site
 * (0 for none).  Costs a clock read, and a byte store to the shared state
 * line when the state changes.
 */
static inline void
sb_set_state(struct scoreboard *sb, int slot, enum sb_state st,
    uint32_t site)
{
	struct sb_slot	*s = &sb->slot[slot];
	int		 old;

	old = atomic_load_explicit(&s->state, memory_order_relaxed);
	atomic_store_explicit(&s->since, sb_now_ms(), memory_order_relaxed);
	atomic_store_explicit(&s->site, site, memory_order_relaxed);
	if (old == (int)st)
		return;
	atomic_store_explicit(&s->state, (int)st, memory_order_release);
	atomic_store_explicit(&sb->states[slot], (unsigned char)st,
	    memory_order_release);
	/* A worker is idle again: the hint no longer holds.  Written only
	 * when set, so that its line stays shared. */
	if (st == SB_IDLE && atomic_load_explicit(&sb->none_idle,
	    memory_order_relaxed)) {
		atomic_thread_fence(memory_order_seq_cst);
		atomic_store_explicit(&sb->none_idle, 0, memory_order_relaxed);
	}
}

/*
 * Whether the workers have said that none of them is idle; 0 means one
 * was, last they said.  One load of a line each request reads anyway.
 */
static inline int
sb_maybe_none_idle(const struct scoreboard *sb)
{
	return atomic_load_explicit(&sb->none_idle, memory_order_relaxed);
}

/* Say that no worker is idle (found by sb_none_idle()) after this one
 * took its connection. */
static inline void
sb_note_none_idle(struct scoreboard *sb)
{
	if (atomic_load_explicit(&sb->none_idle, memory_order_relaxed))
		return;
	atomic_store_explicit(&sb->none_idle, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
}

/* The site slot serves now, 0 for none. */
static inline uint32_t
sb_slot_site(const struct scoreboard *sb, int slot)
{
	return atomic_load_explicit(&sb->slot[slot].site,
	    memory_order_relaxed);
}

/* Count one more request served by slot. */
static inline void
sb_request_done(struct scoreboard *sb, int slot)
{
	struct sb_slot	*s = &sb->slot[slot];

	atomic_store_explicit(&s->requests,
	    atomic_load_explicit(&s->requests, memory_order_relaxed) + 1,
	    memory_order_relaxed);
}

/* Requests served by slot since it started. */
static inline uint64_t
sb_requests(const struct scoreboard *sb, int slot)
{
	return atomic_load_explicit(&sb->slot[slot].requests,
	    memory_order_relaxed);
}

/* MaxRequestsPerWorker, as the master last read it; 0 means never. */
static inline unsigned
sb_max_requests(const struct scoreboard *sb)
{
	return atomic_load_explicit(&sb->max_requests, memory_order_relaxed);
}

/* Whether slot has served its MaxRequestsPerWorker, or will have after
 * more requests. */
static inline int
sb_retiring(const struct scoreboard *sb, int slot, unsigned more)
{
	unsigned	 max = sb_max_requests(sb);

	return max != 0 && sb_requests(sb, slot) + more >= max;
}

/*
 * Non-zero when the worker in slot should finish its request and exit:
 * the master is stopping, or it belongs to an older generation (a
 * graceful restart).  Three loads of lines that rarely change.
 */
static inline int
sb_stale(const struct scoreboard *sb, int slot)
{
	return atomic_load_explicit(&sb->stopping, memory_order_relaxed) ||
	    atomic_load_explicit(&sb->slot[slot].generation,
	    memory_order_relaxed) !=
	    atomic_load_explicit(&sb->generation, memory_order_relaxed);
}

/*
 * Non-zero when the worker in slot, stale, may still serve the connection
 * it holds until that ends by itself: it was replaced by a restart for
 * new sockets (keep_from in status.h), not a SIGHUP or a stop.
 */
static inline int
sb_may_keep(const struct scoreboard *sb, int slot)
{
	return !atomic_load_explicit(&sb->stopping, memory_order_relaxed) &&
	    atomic_load_explicit(&sb->slot[slot].generation,
	    memory_order_relaxed) >=
	    atomic_load_explicit(&sb->keep_from, memory_order_relaxed);
}

/*
 * The client of slot's connection now (inet_ntop text; "" for none), its
 * connection begun now.
 */
static inline void
sb_set_client(struct scoreboard *sb, int slot, const char *ip)
{
	struct sb_slot	*s = &sb->slot[slot];
	size_t		 n = strlen(ip);

	if (n >= SB_ADDRLEN)
		n = SB_ADDRLEN - 1;
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&s->conn_start, n > 0 ? sb_now_ns() : 0,
	    memory_order_relaxed);
	memcpy(s->client, ip, n);
	s->client[n] = '\0';
	s->line[0] = '\0';
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
}

/* The start of the request line slot serves now: p[0 .. n). */
static inline void
sb_set_line(struct scoreboard *sb, int slot, const char *p, size_t n)
{
	struct sb_slot	*s = &sb->slot[slot];

	if (n >= SB_LINE)
		n = SB_LINE - 1;
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(s->line, p, n);
	s->line[n] = '\0';
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
}

/*
 * The master's word on bindings: site is not served on socket name
 * (errno err); sb_bind_errors_clear() forgets every such word.
 */
void	sb_bind_error(struct scoreboard *, uint32_t site, const char *name,
	    int err);
void	sb_bind_errors_clear(struct scoreboard *);
/* Count a response of status and bytes sent for site. */
void	sb_count(struct scoreboard *, uint32_t site, int status,
	    uint64_t bytes);

/* How many workers are in each state, from the slots in use. */
void	sb_tally(const struct scoreboard *, unsigned n[SB_NSTATES]);
/*
 * No idle worker left and the pool is full (every live worker, starting,
 * reading, writing, keep-alive or giving way, counts; those told to go do
 * not): a client waiting to be accepted needs someone to give way.
 */
int	sb_saturated(const struct scoreboard *);
/* No worker idle (waiting to accept) now; the pool may still grow. */
int	sb_none_idle(const struct scoreboard *);
/*
 * Non-zero when slot is in SB_KEEPALIVE and has been there longest of all
 * keep-alive workers (ties go to the lower slot): the one that should let
 * its idle connection go when the pool is saturated.  Scans the slots in
 * use: call it only in that case.
 */
int	sb_oldest_keepalive(const struct scoreboard *, int slot);
/* The pid of the keep-alive worker idle longest other than slot, or 0. */
pid_t	sb_oldest_keepalive_pid(const struct scoreboard *, int slot);
/*
 * Whether site already holds max connections in workers other than slot
 * (serving a request or keeping one open).  Scans the slots in use, and
 * stops at max.
 */
int	sb_site_full(const struct scoreboard *, int slot, uint32_t site,
	    uint32_t max);
/*
 * Whether client ip already holds max connections in workers other than
 * slot, counting only those begun before slot's (to the nanosecond; ties
 * go to the lower slot), so that of connections coming at once the first
 * max are served whatever the order in which the workers look.  0 when
 * max is 0 (no limit).  Scans the slots in use, and stops at max.
 */
int	sb_client_full(const struct scoreboard *, int slot, const char *ip,
	    uint32_t max);
/* Slot's connection was refused: it counts against no other. */
void	sb_client_refused(struct scoreboard *, int slot);

#endif /* SCOREBOARD_H */
