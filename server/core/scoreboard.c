/*
 * scoreboard.c - the shared slots, and the counts the pool is run by.
 */
/* MAP_ANONYMOUS and O_NOFOLLOW are not POSIX. */
#define _DEFAULT_SOURCE

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/core/scoreboard.h"

/* A file made anew and mapped, or NULL. */
static struct scoreboard *
map_file(const char *dir)
{
	char	 path[PATH_MAX], tmp[PATH_MAX];
	void	*p;
	int	 fd, saved;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, SB_FILENAME) >=
	    sizeof(path) || (size_t)snprintf(tmp, sizeof(tmp), "%s.%ld", path,
	    (long)getpid()) >= sizeof(tmp))
		return NULL;
	/* Made beside it and renamed: a reader never maps a short file. */
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1)
		return NULL;
	fchmod(fd, 0644);
	/*
	 * Every block on disk now, not a file of holes: on a full disk the
	 * first write to a hole through the map would be SIGBUS in the
	 * worker that touches it.
	 */
	if ((errno = posix_fallocate(fd, 0, sizeof(struct scoreboard))) != 0)
		goto unlink_tmp;
	p = mmap(NULL, sizeof(struct scoreboard), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto unlink_tmp;
	close(fd);
	if (rename(tmp, path) == -1) {
		munmap(p, sizeof(struct scoreboard));
		unlink(tmp);
		return NULL;
	}
	return p;

 unlink_tmp:
	saved = errno;
	close(fd);
	unlink(tmp);
	errno = saved;
	return NULL;
}

struct scoreboard *
sb_create(const char *dir, int *shared)
{
	struct scoreboard *sb = NULL;
	void		*p;

	*shared = 0;
	if (dir != NULL && (sb = map_file(dir)) != NULL)
		*shared = 1;
	if (sb == NULL) {
		p = mmap(NULL, sizeof(struct scoreboard), PROT_READ |
		    PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		sb = p;
	}
	sb->size = sizeof(*sb);
	atomic_store(&sb->master_pid, (int32_t)getpid());
	atomic_store(&sb->started, (int64_t)time(NULL));
	/* Last: a reader takes the file for a scoreboard only now. */
	memcpy(sb->magic, SB_MAGIC, sizeof(SB_MAGIC));
	return sb;
}

void
sb_destroy(struct scoreboard *sb, const char *dir)
{
	char	 path[PATH_MAX];

	if (sb == NULL)
		return;
	if (dir != NULL && atomic_load(&sb->master_pid) == (int32_t)getpid() &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, SB_FILENAME) <
	    sizeof(path))
		unlink(path);
	munmap(sb, sizeof(*sb));
}

/*
 * The table entry of site, taken if it has none yet; entry 0 when site is
 * 0 or the table is crowded where site goes.
 */
static struct sb_site *
site_entry(struct scoreboard *sb, uint32_t site)
{
	struct sb_site	*e;
	size_t		 i, n;
	uint32_t	 id, zero;

	if (site == 0)
		return &sb->site[0];
	for (i = sb_site_hash(site), n = 0; n < 8;
	    n++, i = i + 1 < SB_SITES ? i + 1 : 1) {
		e = &sb->site[i];
		id = atomic_load_explicit(&e->id, memory_order_relaxed);
		if (id == site)
			return e;
		if (id != 0)
			continue;
		zero = 0;
		if (atomic_compare_exchange_strong(&e->id, &zero, site) ||
		    zero == site)
			return e;
	}
	return &sb->site[0];
}

void
sb_count(struct scoreboard *sb, uint32_t site, int status, uint64_t bytes)
{
	struct sb_site	*e = site_entry(sb, site);

	atomic_fetch_add_explicit(&e->requests, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&e->bytes, bytes, memory_order_relaxed);
	if (status >= 100 && status < 600)
		atomic_fetch_add_explicit(&e->status[status / 100 - 1], 1,
		    memory_order_relaxed);
}

void
sb_bind_errors_clear(struct scoreboard *sb)
{
	size_t	 i;

	for (i = 0; i < SB_SITES; i++)
		atomic_store(&sb->site[i].bind_err, 0);
}

void
sb_bind_error(struct scoreboard *sb, uint32_t site, const char *name,
    int err)
{
	struct sb_site	*e = site_entry(sb, site);
	size_t		 n = strlen(name);

	if (e == &sb->site[0])
		return;
	if (n >= SB_BINDLEN)
		n = SB_BINDLEN - 1;
	memcpy(e->bind_name, name, n);
	e->bind_name[n] = '\0';
	atomic_store(&e->bind_err, err);
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
	live = n[SB_STARTING] + n[SB_READ] + n[SB_WRITE] + n[SB_KEEPALIVE] +
	    n[SB_GIVEWAY];
	return live >= atomic_load_explicit(&sb->max_workers,
	    memory_order_relaxed);
}

int
sb_none_idle(const struct scoreboard *sb)
{
	unsigned	 n[SB_NSTATES];

	sb_tally(sb, n);
	return n[SB_IDLE] == 0;
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
		if ((st == SB_READ || st == SB_WRITE || st == SB_KEEPALIVE) &&
		    atomic_load_explicit(&s->site,
		    memory_order_relaxed) == site)
			n++;
	}
	return n >= max;
}

/*
 * Whether slot s holds a connection of client ip, and since when: read
 * under its sequence count, as status_slot_text() does; a slot whose text
 * keeps changing is taking or dropping a connection, and counts for none.
 */
static int
holds_client(const struct sb_slot *s, const char *ip, size_t iplen,
    uint64_t *start)
{
	uint32_t	 a, b;
	int		 tries, same;

	for (tries = 0; tries < SB_TEXT_TRIES; tries++) {
		a = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (a & 1)
			continue;
		same = memcmp(s->client, ip, iplen + 1) == 0;
		*start = atomic_load_explicit(&s->conn_start,
		    memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		b = atomic_load_explicit(&s->seq, memory_order_relaxed);
		if (a == b)
			return same;
	}
	return 0;
}

int
sb_client_full(const struct scoreboard *sb, int slot, const char *ip,
    uint32_t max)
{
	uint64_t	 mine, t;
	uint32_t	 n = 0;
	size_t		 iplen = strlen(ip);
	int		 i, nslots;

	if (max == 0 || iplen == 0 || iplen >= SB_ADDRLEN)
		return 0;
	mine = atomic_load_explicit(&sb->slot[slot].conn_start,
	    memory_order_relaxed);
	nslots = atomic_load_explicit(&sb->nslots, memory_order_relaxed);
	for (i = 0; i < nslots && n < max; i++) {
		if (i == slot || !holds_client(&sb->slot[i], ip, iplen, &t))
			continue;
		if (t < mine || (t == mine && i < slot))
			n++;
	}
	return n >= max;
}

void
sb_client_refused(struct scoreboard *sb, int slot)
{
	atomic_store_explicit(&sb->slot[slot].conn_start, SB_CONN_REFUSED,
	    memory_order_relaxed);
}
