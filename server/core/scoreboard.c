/*
 * scoreboard.c - the shared slots, and the counts the pool is run by.
 */
/* MAP_ANONYMOUS is not POSIX. */
#define _DEFAULT_SOURCE

#include <sys/types.h>
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>

#include "server/core/scoreboard.h"

struct scoreboard *
sb_create(void)
{
	void	*p;

	p = mmap(NULL, sizeof(struct scoreboard), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void
sb_destroy(struct scoreboard *sb)
{
	if (sb != NULL)
		munmap(sb, sizeof(*sb));
}

void
sb_publish_pool(struct scoreboard *sb, const struct sb_pool *p)
{
	atomic_store(&sb->min_spare, p->min_spare);
	atomic_store(&sb->max_spare, p->max_spare);
	atomic_store(&sb->max_workers, p->max_workers);
	atomic_store(&sb->max_requests, p->max_requests);
}

void
sb_slot_start(struct scoreboard *sb, int slot)
{
	struct sb_slot	*s = &sb->slot[slot];

	atomic_store(&s->pid, 0);
	atomic_store(&s->generation, atomic_load(&sb->generation));
	atomic_store(&s->site, 0);
	atomic_store(&s->requests, 0);
	atomic_store(&s->since, sb_now_ms());
	atomic_store(&s->state, SB_STARTING);
	atomic_store(&sb->states[slot], SB_STARTING);
	if (slot >= atomic_load(&sb->nslots))
		atomic_store(&sb->nslots, slot + 1);
}

void
sb_slot_free(struct scoreboard *sb, int slot)
{
	struct sb_slot	*s = &sb->slot[slot];
	int		 n;

	atomic_store(&s->state, SB_EMPTY);
	atomic_store(&sb->states[slot], SB_EMPTY);
	atomic_store(&s->pid, 0);
	atomic_store(&s->site, 0);
	atomic_store(&s->requests, 0);
	n = atomic_load(&sb->nslots);
	while (n > 0 && atomic_load(&sb->slot[n - 1].state) == SB_EMPTY)
		n--;
	atomic_store(&sb->nslots, n);
}

int
sb_slot_find_free(const struct scoreboard *sb)
{
	int	 i;

	for (i = 0; i < SB_SLOTS; i++)
		if (atomic_load(&sb->slot[i].state) == SB_EMPTY)
			return i;
	return -1;
}

int
sb_nprocs(const struct scoreboard *sb)
{
	int	 i, n = atomic_load(&sb->nslots), live = 0;

	for (i = 0; i < n; i++)
		if (atomic_load(&sb->slot[i].pid) > 0)
			live++;
	return live;
}

void
sb_tally(const struct scoreboard *sb, unsigned n[SB_NSTATES])
{
	int	 i, nslots;
	unsigned st;

	for (st = 0; st < SB_NSTATES; st++)
		n[st] = 0;
	nslots = atomic_load_explicit(&sb->nslots, memory_order_relaxed);
	for (i = 0; i < nslots; i++) {
		st = atomic_load_explicit(&sb->states[i],
		    memory_order_acquire);
		if (st < SB_NSTATES)
			n[st]++;
	}
}

int
sb_saturated(const struct scoreboard *sb)
{
	unsigned	 n[SB_NSTATES], live;

	sb_tally(sb, n);
	if (n[SB_IDLE] != 0)
		return 0;
	live = n[SB_STARTING] + n[SB_BUSY] + n[SB_KEEPALIVE];
	return live >= atomic_load_explicit(&sb->max_workers,
	    memory_order_relaxed);
}

int
sb_oldest_keepalive(const struct scoreboard *sb, int slot)
{
	uint64_t	 mine, t;
	int		 i, n;

	if (atomic_load(&sb->slot[slot].state) != SB_KEEPALIVE)
		return 0;
	mine = atomic_load(&sb->slot[slot].since);
	n = atomic_load_explicit(&sb->nslots, memory_order_relaxed);
	for (i = 0; i < n; i++) {
		if (i == slot || atomic_load_explicit(&sb->slot[i].state,
		    memory_order_relaxed) != SB_KEEPALIVE)
			continue;
		t = atomic_load_explicit(&sb->slot[i].since,
		    memory_order_relaxed);
		if (t < mine || (t == mine && i < slot))
			return 0;
	}
	return 1;
}

pid_t
sb_oldest_keepalive_pid(const struct scoreboard *sb, int slot)
{
	const struct sb_slot *s;
	uint64_t	 best = UINT64_MAX, t;
	pid_t		 pid = 0;
	int		 i, n;

	n = atomic_load_explicit(&sb->nslots, memory_order_relaxed);
	for (i = 0; i < n; i++) {
		s = &sb->slot[i];
		if (i == slot || atomic_load_explicit(&s->state,
		    memory_order_relaxed) != SB_KEEPALIVE)
			continue;
		t = atomic_load_explicit(&s->since, memory_order_relaxed);
		if (t < best) {
			best = t;
			pid = atomic_load_explicit(&s->pid,
			    memory_order_relaxed);
		}
	}
	return pid;
}

int
sb_site_full(const struct scoreboard *sb, int slot, uint32_t site,
    uint32_t max)
{
	const struct sb_slot *s;
	uint32_t	 n = 0;
	int		 i, nslots, st;

	if (max == UINT32_MAX)
		return 0;
	nslots = atomic_load_explicit(&sb->nslots, memory_order_relaxed);
	for (i = 0; i < nslots && n < max; i++) {
		s = &sb->slot[i];
		if (i == slot)
			continue;
		st = atomic_load_explicit(&s->state, memory_order_relaxed);
		if ((st == SB_BUSY || st == SB_KEEPALIVE) &&
		    atomic_load_explicit(&s->site,
		    memory_order_relaxed) == site)
			n++;
	}
	return n >= max;
}
