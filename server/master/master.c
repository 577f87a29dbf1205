/*
 * master.c - read the bindings, bind, fork the workers, keep the pool
 * sized, reap, respawn, and act on signals, as Apache's prefork MPM.
 */
/*
 * Beyond POSIX: MAP_ANONYMOUS (the scoreboard), initgroups() (the
 * workers' supplementary groups), prctl(PR_SET_PDEATHSIG) (a worker
 * notices its master's death).
 */
#define _DEFAULT_SOURCE

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metabase.h"
#include "conf/conf.h"
#include "server/limits.h"
#include "server/master/listen.h"
#include "server/core/log.h"
#include "server/master/master.h"
#include "server/worker/worker.h"

struct scoreboard	*scoreboard;
struct listener		*listeners;
size_t			 nlisteners;
struct conf		*conf;
pid_t			 master_pid;

volatile sig_atomic_t	 worker_graceful;
volatile sig_atomic_t	 worker_reopen;

/* The master's signal flags. */
static volatile sig_atomic_t	 sig_stop;	/* TERM, INT */
static volatile sig_atomic_t	 sig_quit;	/* QUIT */
static volatile sig_atomic_t	 sig_hup;	/* HUP */
static volatile sig_atomic_t	 sig_usr1;	/* USR1 */
static volatile sig_atomic_t	 sig_chld;	/* CHLD */

/* The pool settings of /LM/W3SVC. */
struct pool {
	unsigned	 min_spare;
	unsigned	 max_spare;
	unsigned	 max_workers;
	unsigned	 max_requests;
};

/* A started site: what the master needs to know of it. */
struct site {
	uint32_t	 id;
	uint32_t	 logtype;
	char		*logdir;	/* LogFileDirectory */
};

/* What the master reads from the metabase. */
struct mbinfo {
	struct mb_binding *b;		/* bindings of started sites */
	uint32_t	*bsite;		/* b[i] belongs to site bsite[i] */
	size_t		 nb, capb;
	struct site	*sites;		/* started sites, by id */
	size_t		 nsites, capsites;
	size_t		 nstopped;	/* sites with bindings, not started */
	struct pool	 pool;
};

static void	 watch_master(void);

static struct pool	 pool;
static sigset_t		 blocked;	/* signals held outside pselect() */
static unsigned char	 told[SB_SLOTS];	/* SIGQUIT sent to this slot */
static unsigned		 spawn_rate = 1;
static uint64_t		 spawn_paused_until;
static int		 maxed_warned;
static int		 pool_warned;
static char		*pid_file;	/* the one we wrote, to remove */

/*
 * Reading the metabase.
 */

static void
mbinfo_release(struct mbinfo *mi)
{
	size_t	 i;

	for (i = 0; i < mi->nsites; i++)
		free(mi->sites[i].logdir);
	free(mi->b);
	free(mi->bsite);
	free(mi->sites);
	memset(mi, 0, sizeof(*mi));
}

static int
collect_binding(void *arg, const struct mb_binding *b, uint32_t site)
{
	struct mbinfo	*mi = arg;
	void		*p;
	size_t		 cap;

	if (mi->nb == mi->capb) {
		cap = mi->capb ? 2 * mi->capb : 16;
		if ((p = realloc(mi->b, cap * sizeof(*mi->b))) == NULL)
			return ENOMEM;
		mi->b = p;
		if ((p = realloc(mi->bsite, cap * sizeof(*mi->bsite))) == NULL)
			return ENOMEM;
		mi->bsite = p;
		mi->capb = cap;
	}
	mi->b[mi->nb] = *b;
	mi->bsite[mi->nb++] = site;
	return 0;
}

static struct site *
find_site(struct mbinfo *mi, uint32_t id)
{
	size_t	 i;

	for (i = 0; i < mi->nsites; i++)
		if (mi->sites[i].id == id)
			return &mi->sites[i];
	return NULL;
}

/* "text" or "text: detail" of a failed metabase call. */
static void
mb_err(struct mb *mb, int rc, char *err, size_t errlen, const char *what)
{
	const char	*d = mb ? mb_errdetail(mb) : "";

	if (d != NULL && d[0] != '\0')
		snprintf(err, errlen, "%s: %s: %s", what, mb_strerror(rc), d);
	else
		snprintf(err, errlen, "%s: %s", what, mb_strerror(rc));
}

static int
read_pool(struct mb *mb, struct pool *p, char *err, size_t errlen)
{
	static const enum mb_pid pids[4] = { MB_P_MINSPAREWORKERS,
	    MB_P_MAXSPAREWORKERS, MB_P_MAXWORKERS, MB_P_MAXREQUESTSPERWORKER };
	unsigned	*dst[4];
	struct mb_value	 v;
	int		 i, rc;

	dst[0] = &p->min_spare;
	dst[1] = &p->max_spare;
	dst[2] = &p->max_workers;
	dst[3] = &p->max_requests;
	for (i = 0; i < 4; i++) {
		rc = mb_prop_effective(mb, "/LM/W3SVC", &mb_schema[pids[i]],
		    &v);
		if (rc != 0) {
			mb_err(mb, rc, err, errlen, "cannot read /LM/W3SVC");
			return -1;
		}
		*dst[i] = v.dword;
	}
	/* The schema keeps each in range; keep them consistent, as Apache. */
	if (p->max_workers < 1)
		p->max_workers = 1;
	if (p->max_workers > MB_MAXWORKERS)
		p->max_workers = MB_MAXWORKERS;
	if (p->min_spare > p->max_workers)
		p->min_spare = p->max_workers;
	if (p->max_spare <= p->min_spare)
		p->max_spare = p->min_spare + 1;
	return 0;
}

/* The started sites among those with bindings, and what they log to. */
static int
read_sites(struct mb *mb, struct mbinfo *mi, char *err, size_t errlen)
{
	char		 path[64], what[96];
	struct mb_value	 v;
	struct site	*s;
	size_t		 i, j, n;
	void		*p;
	int		 rc;

	for (i = 0; i < mi->nb; i++) {
		if (find_site(mi, mi->bsite[i]) != NULL)
			continue;
		snprintf(path, sizeof(path), "/LM/W3SVC/%lu",
		    (unsigned long)mi->bsite[i]);
		snprintf(what, sizeof(what), "cannot read %s", path);
		rc = mb_prop_effective(mb, path, &mb_schema[MB_P_SERVERSTATE],
		    &v);
		if (rc != 0) {
			mb_err(mb, rc, err, errlen, what);
			return -1;
		}
		if (mi->nsites == mi->capsites) {
			n = mi->capsites ? 2 * mi->capsites : 8;
			if ((p = realloc(mi->sites, n * sizeof(*s))) == NULL)
				goto nomem;
			mi->sites = p;
			mi->capsites = n;
		}
		s = &mi->sites[mi->nsites++];
		memset(s, 0, sizeof(*s));
		s->id = mi->bsite[i];
		if (v.dword != MB_STATE_STARTED) {
			/* Stopped: marked so, dropped below. */
			s->logtype = UINT32_MAX;
			mi->nstopped++;
			continue;
		}
		rc = mb_prop_effective(mb, path, &mb_schema[MB_P_LOGTYPE], &v);
		if (rc == 0) {
			s->logtype = v.dword;
			rc = mb_prop_effective(mb, path,
			    &mb_schema[MB_P_LOGFILEDIRECTORY], &v);
		}
		if (rc != 0) {
			mb_err(mb, rc, err, errlen, what);
			return -1;
		}
		if (v.str != NULL && (s->logdir = strdup(v.str)) == NULL)
			goto nomem;
	}

	/* Keep the bindings of started sites only; drop stopped sites. */
	for (i = j = 0; i < mi->nb; i++) {
		s = find_site(mi, mi->bsite[i]);
		if (s->logtype == UINT32_MAX)
			continue;
		mi->b[j] = mi->b[i];
		mi->bsite[j++] = mi->bsite[i];
	}
	mi->nb = j;
	for (i = j = 0; i < mi->nsites; i++) {
		if (mi->sites[i].logtype == UINT32_MAX)
			continue;
		mi->sites[j++] = mi->sites[i];
	}
	mi->nsites = j;
	return 0;

 nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/*
 * Open the metabase read-only, read what the master needs, close it
 * again: it is never open across fork().
 */
static int
read_metabase(const char *dir, struct mbinfo *mi, char *err, size_t errlen)
{
	struct mb	*mb;
	char		 what[4200];
	int		 rc;

	memset(mi, 0, sizeof(*mi));
	snprintf(what, sizeof(what), "cannot open metabase '%s'", dir);
	if ((rc = mb_open(&mb, dir, MB_RDONLY)) != 0) {
		mb_err(NULL, rc, err, errlen, what);
		return -1;
	}
	if ((rc = mb_begin(mb)) != 0) {
		mb_err(mb, rc, err, errlen, what);
		goto close_mb;
	}
	snprintf(what, sizeof(what), "cannot read metabase '%s'", dir);
	if ((rc = mb_binding_each(mb, collect_binding, mi)) != 0) {
		mb_err(mb, rc, err, errlen, what);
		goto end_txn;
	}
	if (read_sites(mb, mi, err, errlen) == -1 ||
	    read_pool(mb, &mi->pool, err, errlen) == -1)
		goto end_txn;
	mb_end(mb);
	mb_close(mb);
	return 0;

 end_txn:
	mb_end(mb);
 close_mb:
	mb_close(mb);
	mbinfo_release(mi);
	return -1;
}

/* Only the pool settings: each maintenance tick, to follow mbctl. */
static int
read_pool_settings(const char *dir, struct pool *p, uint64_t *txnid,
    char *err, size_t errlen)
{
	struct mb	*mb;
	int		 rc, ret = -1;

	if ((rc = mb_open(&mb, dir, MB_RDONLY)) != 0) {
		mb_err(NULL, rc, err, errlen, "cannot open metabase");
		return -1;
	}
	if ((rc = mb_begin(mb)) != 0)
		mb_err(mb, rc, err, errlen, "cannot read metabase");
	else {
		ret = read_pool(mb, p, err, errlen);
		*txnid = mb_txnid(mb);
		mb_end(mb);
	}
	mb_close(mb);
	return ret;
}

/*
 * Access-log directories: <LogFileDirectory>/W3SVC<id>, created now and
 * given to the workers' user, as they cannot create them under a
 * directory owned by root.
 */
static void
make_log_dirs(const struct mbinfo *mi)
{
	char		 path[4200];
	size_t		 i;

	for (i = 0; i < mi->nsites; i++) {
		const struct site *s = &mi->sites[i];

		if (s->logtype == 0 || s->logdir == NULL || s->logdir[0] != '/')
			continue;
		if (mkdir(s->logdir, 0755) == -1 && errno != EEXIST) {
			log_warn("cannot create '%s'", s->logdir);
			continue;
		}
		snprintf(path, sizeof(path), "%s/W3SVC%lu", s->logdir,
		    (unsigned long)s->id);
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			log_warn("cannot create '%s'", path);
			continue;
		}
		if (conf->drop && chown(path, conf->uid, conf->gid) == -1)
			log_warn("cannot give '%s' to user '%s'", path,
			    conf->user);
	}
}

/*
 * -t: say what we would listen on.
 */

static int
serves(const struct listener *l, const struct mb_binding *b)
{
	unsigned char	 addr[sizeof(struct in6_addr)];
	int		 af;

	if (b->port != l->port)
		return 0;
	if (b->ip[0] == '\0')
		return l->wildcard;
	af = inet_pton(AF_INET, b->ip, addr) == 1 ? AF_INET : AF_INET6;
	if (af != l->ss.ss_family)
		return 0;
	return l->wildcard || strcmp(b->ip, l->ip) == 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
test_config(struct mbinfo *mi, struct listener *ls, size_t n)
{
	uint32_t	*ids;
	size_t		 i, j, k, nids;

	if (conf->file_found)
		printf("bootstrap file %s: ok\n", conf->file);
	else
		printf("bootstrap file %s: none, using the defaults\n",
		    conf->file);
	printf("metabase %s: ok, %zu site%s started, %zu stopped\n",
	    conf->metabase, mi->nsites, mi->nsites == 1 ? "" : "s",
	    mi->nstopped);
	printf("pool: %u to %u idle workers, at most %u, ", mi->pool.min_spare,
	    mi->pool.max_spare, mi->pool.max_workers);
	if (mi->pool.max_requests)
		printf("%u requests each\n", mi->pool.max_requests);
	else
		printf("no limit of requests\n");
	if (conf->drop)
		printf("workers run as %s:%s (%ld:%ld)\n", conf->user,
		    conf->group ? conf->group : "", (long)conf->uid,
		    (long)conf->gid);
	if ((ids = calloc(mi->nb + 1, sizeof(*ids))) == NULL) {
		fprintf(stderr, "mbhttpd: out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		for (j = nids = 0; j < mi->nb; j++) {
			if (!serves(&ls[i], &mi->b[j]))
				continue;
			for (k = 0; k < nids && ids[k] != mi->bsite[j]; k++)
				;
			if (k == nids)
				ids[nids++] = mi->bsite[j];
		}
		qsort(ids, nids, sizeof(*ids), cmp_u32);
		printf("listen %s site%s", ls[i].name, nids == 1 ? "" : "s");
		for (k = 0; k < nids; k++)
			printf(" %lu", (unsigned long)ids[k]);
		printf("\n");
	}
	free(ids);
	if (n == 0)
		printf("no started site has a binding: nothing to listen on\n");
	printf("configuration ok\n");
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * The scoreboard, from the master's side.
 */

static struct scoreboard *
sb_create(void)
{
	void	*p;

	p = mmap(NULL, sizeof(struct scoreboard), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void
sb_publish_pool(const struct pool *p)
{
	atomic_store(&scoreboard->min_spare, p->min_spare);
	atomic_store(&scoreboard->max_spare, p->max_spare);
	atomic_store(&scoreboard->max_workers, p->max_workers);
	atomic_store(&scoreboard->max_requests, p->max_requests);
}

/* The worker is gone: give the slot back, and its state byte. */
static void
sb_slot_free(int slot)
{
	struct sb_slot	*s = &scoreboard->slot[slot];
	int		 n;

	atomic_store(&s->state, SB_EMPTY);
	atomic_store(&scoreboard->states[slot], SB_EMPTY);
	atomic_store(&s->pid, 0);
	atomic_store(&s->site, 0);
	atomic_store(&s->requests, 0);
	told[slot] = 0;
	n = atomic_load(&scoreboard->nslots);
	while (n > 0 &&
	    atomic_load(&scoreboard->slot[n - 1].state) == SB_EMPTY)
		n--;
	atomic_store(&scoreboard->nslots, n);
}

int
sb_oldest_keepalive(int slot)
{
	uint64_t	 mine, t;
	int		 i, n;

	if (atomic_load(&scoreboard->slot[slot].state) != SB_KEEPALIVE)
		return 0;
	mine = atomic_load(&scoreboard->slot[slot].since);
	n = atomic_load_explicit(&scoreboard->nslots, memory_order_relaxed);
	for (i = 0; i < n; i++) {
		if (i == slot || atomic_load_explicit(
		    &scoreboard->slot[i].state, memory_order_relaxed) !=
		    SB_KEEPALIVE)
			continue;
		t = atomic_load_explicit(&scoreboard->slot[i].since,
		    memory_order_relaxed);
		if (t < mine || (t == mine && i < slot))
			return 0;
	}
	return 1;
}

/*
 * Signals.
 */

static void
master_sig(int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		sig_stop = 1;
		break;
	case SIGQUIT:
		sig_quit = 1;
		break;
	case SIGHUP:
		sig_hup = 1;
		break;
	case SIGUSR1:
		sig_usr1 = 1;
		break;
	case SIGCHLD:
		sig_chld = 1;
		break;
	}
}

static void
worker_sig(int sig)
{
	if (sig == SIGQUIT)
		worker_graceful = 1;
	else if (sig == SIGUSR1)
		worker_reopen = 1;
}

static void
set_handler(int sig, void (*fn)(int))
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: blocking calls must return EINTR. */
	sa.sa_flags = 0;
	sigaction(sig, &sa, NULL);
}

void
master_worker_signals(void)
{
	set_handler(SIGQUIT, worker_sig);
	set_handler(SIGUSR1, worker_sig);
	set_handler(SIGTERM, SIG_DFL);
	set_handler(SIGINT, SIG_DFL);
	set_handler(SIGCHLD, SIG_DFL);
	set_handler(SIGHUP, SIG_IGN);
	set_handler(SIGPIPE, SIG_IGN);
	/* A terminal resize reaches the workers too when run with -F. */
	set_handler(SIGWINCH, SIG_IGN);
	/* SIGUSR2 only interrupts a wait: see worker_nudge(). */
	set_handler(SIGUSR2, worker_sig);
}

static void
master_signals(void)
{
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGQUIT);
	sigaddset(&blocked, SIGHUP);
	sigaddset(&blocked, SIGUSR1);
	sigaddset(&blocked, SIGCHLD);
	/* Held except inside pselect(), so no flag is missed. */
	sigprocmask(SIG_BLOCK, &blocked, NULL);
	set_handler(SIGTERM, master_sig);
	set_handler(SIGINT, master_sig);
	set_handler(SIGQUIT, master_sig);
	set_handler(SIGHUP, master_sig);
	set_handler(SIGUSR1, master_sig);
	set_handler(SIGCHLD, master_sig);
	set_handler(SIGPIPE, SIG_IGN);
	set_handler(SIGWINCH, SIG_IGN);
	set_handler(SIGUSR2, SIG_IGN);
}

/* Sleep up to ms milliseconds, or until a signal arrives. */
static void
wait_signal(uint64_t ms)
{
	struct timespec	 ts;
	sigset_t	 none;

	sigemptyset(&none);
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	pselect(0, NULL, NULL, NULL, &ts, &none);
}

int
master_drop_privileges(void)
{
	if (!conf->drop)
		return 0;
	if (initgroups(conf->user, conf->gid) == -1 ||
	    setgid(conf->gid) == -1 || setuid(conf->uid) == -1)
		return -1;
	/* Make sure there is no way back, as OpenBSD daemons check. */
	if (conf->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		errno = EPERM;
		return -1;
	}
	watch_master();
	return 0;
}

/*
 * Workers.
 */

static void
signal_slot(int slot, int sig)
{
	pid_t	 pid = atomic_load(&scoreboard->slot[slot].pid);

	if (pid > 0)
		kill(pid, sig);
}

/* Tell the worker in slot to finish and go. */
static void
tell_quit(int slot)
{
	told[slot] = 1;
	signal_slot(slot, SIGQUIT);
}

static void
signal_all(int sig)
{
	int	 i, n = atomic_load(&scoreboard->nslots);

	for (i = 0; i < n; i++)
		signal_slot(i, sig);
}

static int
live_children(void)
{
	int	 i, n = atomic_load(&scoreboard->nslots), live = 0;

	for (i = 0; i < n; i++)
		if (atomic_load(&scoreboard->slot[i].pid) > 0)
			live++;
	return live;
}

/*
 * A worker whose master is gone (SIGKILL) gets SIGQUIT: it finishes and
 * exits.  The kernel clears this on a change of user, so it is set again
 * by master_drop_privileges().
 */
static void
watch_master(void)
{
	if (prctl(PR_SET_PDEATHSIG, SIGQUIT) == -1 ||
	    getppid() != master_pid)
		worker_graceful = 1;
}

static void __attribute__((noreturn))
child_main(int slot)
{
	sigset_t	 none;

	master_worker_signals();
	watch_master();
	log_procinit();
	atomic_store(&scoreboard->slot[slot].pid, (int32_t)getpid());
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	worker_main(slot);
}

/* Fork a worker into slot; -1 if fork() failed. */
static int
spawn(int slot)
{
	struct sb_slot	*s = &scoreboard->slot[slot];
	pid_t		 pid;

	atomic_store(&s->pid, 0);
	atomic_store(&s->generation, atomic_load(&scoreboard->generation));
	atomic_store(&s->site, 0);
	atomic_store(&s->requests, 0);
	atomic_store(&s->since, sb_now_ms());
	atomic_store(&s->state, SB_STARTING);
	atomic_store(&scoreboard->states[slot], SB_STARTING);
	if (slot >= atomic_load(&scoreboard->nslots))
		atomic_store(&scoreboard->nslots, slot + 1);
	told[slot] = 0;
	fflush(NULL);
	if ((pid = fork()) == -1) {
		log_warn("cannot fork a worker");
		sb_slot_free(slot);
		/*
		 * Don't run away with the CPU forking over and over
		 * (Apache's make_child()).
		 */
		spawn_paused_until = sb_now_ms() + SPAWN_FAIL_PAUSE_MS;
		return -1;
	}
	if (pid == 0)
		child_main(slot);
	atomic_store(&s->pid, (int32_t)pid);
	log_debug("worker %ld in slot %d", (long)pid, slot);
	return 0;
}

static int
free_slot(void)
{
	int	 i;

	for (i = 0; i < SB_SLOTS; i++)
		if (atomic_load(&scoreboard->slot[i].state) == SB_EMPTY)
			return i;
	return -1;
}

/*
 * Workers of the current generation that can take connections, those of
 * them idle (or starting, about to be), and the last idle slot.
 */
static void
count_pool(unsigned *live, unsigned *idle, int *last_idle)
{
	uint32_t	 gen = atomic_load(&scoreboard->generation);
	int		 i, n = atomic_load(&scoreboard->nslots), st;

	*live = *idle = 0;
	*last_idle = -1;
	for (i = 0; i < n; i++) {
		st = atomic_load(&scoreboard->slot[i].state);
		if (st == SB_EMPTY || st == SB_GRACEFUL || told[i] ||
		    atomic_load(&scoreboard->slot[i].generation) != gen)
			continue;
		(*live)++;
		if (st == SB_IDLE || st == SB_STARTING)
			(*idle)++;
		/* Trim a worker that waits, not one still starting. */
		if (st == SB_IDLE)
			*last_idle = i;
	}
}

/* Start up to n workers now, within MaxWorkers; returns how many. */
static unsigned
spawn_some(unsigned n)
{
	unsigned	 live, idle, done = 0;
	int		 last, slot;

	/* Nothing to accept on (no started site): nothing for workers. */
	if (nlisteners == 0)
		return 0;
	count_pool(&live, &idle, &last);
	while (done < n && live + done < pool.max_workers) {
		if ((slot = free_slot()) == -1 || spawn(slot) == -1)
			break;
		done++;
	}
	return done;
}

/* Reap every worker that has exited; replace the ones that retired. */
static void
reap(void)
{
	pid_t		 pid;
	int		 status, i, n, st, stopping, retired, expected;
	uint32_t	 gen;
	uint64_t	 served;

	stopping = atomic_load(&scoreboard->stopping);
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		n = atomic_load(&scoreboard->nslots);
		for (i = 0; i < n; i++)
			if (atomic_load(&scoreboard->slot[i].pid) == pid)
				break;
		if (i == n)
			continue;
		st = atomic_load(&scoreboard->slot[i].state);
		gen = atomic_load(&scoreboard->slot[i].generation);
		served = atomic_load(&scoreboard->slot[i].requests);
		expected = stopping || told[i] ||
		    gen != atomic_load(&scoreboard->generation);
		retired = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (WIFSIGNALED(status) && !stopping)
			log_warnx("worker %ld died on signal %d%s", (long)pid,
			    WTERMSIG(status),
			    WCOREDUMP(status) ? " (core dumped)" : "");
		else if (WIFEXITED(status) && !retired)
			log_warnx("worker %ld exited with status %d",
			    (long)pid, WEXITSTATUS(status));
		else
			log_debug("worker %ld exited", (long)pid);
		if (st == SB_STARTING && !expected &&
		    sb_now_ms() >= spawn_paused_until) {
			/* It could not start: don't fork over and over. */
			log_warnx("workers fail at startup: pausing %d seconds",
			    SPAWN_FAIL_PAUSE_MS / 1000);
			spawn_paused_until = sb_now_ms() + SPAWN_FAIL_PAUSE_MS;
		}
		if (retired && !expected && served > 0) {
			/*
			 * MaxRequestsPerWorker: replace it at once.  Other
			 * deaths wait for maintain(), at its pace.
			 */
			sb_slot_free(i);
			if (sb_now_ms() >= spawn_paused_until)
				spawn_some(1);
			continue;
		}
		sb_slot_free(i);
	}
}

/*
 * Once a second: keep between MinSpareWorkers and MaxSpareWorkers idle
 * and no more than MaxWorkers in all (Apache's
 * perform_idle_server_maintenance()).
 */
/* Whether the started sites of mi need other sockets than those open. */
static int
needs_sockets(const struct mbinfo *mi)
{
	struct listener	*nls;
	size_t		 nn;
	char		 err[256];
	int		 differ;

	if (listen_plan(mi->b, mi->nb, &nls, &nn, err, sizeof(err)) == -1)
		return 0;	/* a reload would say why */
	differ = !listen_same(nls, nn, listeners, nlisteners);
	free(nls);
	return differ;
}

static void
maintain(void)
{
	static uint64_t	 seen_txnid;
	struct mbinfo	 mi;
	uint64_t	 txnid = 0;
	char		 err[4200];
	struct pool	 np;
	unsigned	 live, idle, n;
	int		 i, last, st, nslots;

	/* Follow pool-size changes made with mbctl. */
	if (read_pool_settings(conf->metabase, &np, &txnid, err,
	    sizeof(err)) == 0) {
		/* A site added or moved since: its log folder, for the
		 * workers that cannot make it. */
		if (txnid != seen_txnid) {
			seen_txnid = txnid;
			if (read_metabase(conf->metabase, &mi, err,
			    sizeof(err)) == 0) {
				make_log_dirs(&mi);
				if (needs_sockets(&mi)) {
					/* As IIS binds a site it starts. */
					log_info("bindings need other sockets");
					sig_hup = 1;
				}
				mbinfo_release(&mi);
			}
		}
		if (memcmp(&np, &pool, sizeof(np)) != 0) {
			log_info("pool: %u to %u idle, at most %u workers, %u "
			    "requests each", np.min_spare, np.max_spare,
			    np.max_workers, np.max_requests);
			pool = np;
			sb_publish_pool(&pool);
		}
		pool_warned = 0;
	} else if (!pool_warned) {
		log_warnx("%s; keeping the pool settings", err);
		pool_warned = 1;
	}

	count_pool(&live, &idle, &last);
	if ((idle > pool.max_spare || live > pool.max_workers) && last >= 0) {
		/* One a tick, as Apache: load that comes back finds them. */
		log_debug("%u idle: telling slot %d to go", idle, last);
		tell_quit(last);
		spawn_rate = 1;
	} else if (idle < pool.min_spare) {
		if (live >= pool.max_workers) {
			if (!maxed_warned)
				log_warnx("reached MaxWorkers (%u): consider "
				    "raising it", pool.max_workers);
			maxed_warned = 1;
			spawn_rate = 1;
		} else if (sb_now_ms() >= spawn_paused_until) {
			n = pool.min_spare - idle;
			if (n > spawn_rate)
				n = spawn_rate;
			n = spawn_some(n);
			log_debug("%u idle: started %u", idle, n);
			if (spawn_rate < SPAWN_RATE_MAX)
				spawn_rate *= 2;
		}
	} else {
		spawn_rate = 1;
		if (live < pool.max_workers)
			maxed_warned = 0;
	}

	/*
	 * Resend SIGQUIT to those told to go that still wait for a
	 * connection: the first may have landed just before they blocked.
	 * Busy ones will look at the flag when done; a second signal would
	 * only interrupt their writes.
	 */
	nslots = atomic_load(&scoreboard->nslots);
	for (i = 0; i < nslots; i++) {
		st = atomic_load(&scoreboard->slot[i].state);
		if (told[i] && (st == SB_IDLE || st == SB_KEEPALIVE))
			signal_slot(i, SIGQUIT);
	}
}

/*
 * Signals acted on by the main loop.
 */

/* SIGTERM, SIGINT: stop now. */
static void
stop_now(void)
{
	uint64_t	 deadline;

	atomic_store(&scoreboard->stopping, 1);
	signal_all(SIGTERM);
	deadline = sb_now_ms() + STOP_TIMEOUT_MS;
	for (;;) {
		reap();
		if (live_children() == 0)
			break;
		if (sb_now_ms() >= deadline) {
			log_warnx("workers still running after %d seconds: "
			    "killing them", STOP_TIMEOUT_MS / 1000);
			signal_all(SIGKILL);
			deadline = UINT64_MAX;
		}
		wait_signal(STOP_POLL_MS);
	}
}

/* SIGQUIT: let every worker finish what it is doing, then stop. */
static void
stop_graceful(void)
{
	uint64_t	 last = sb_now_ms(), now;
	int		 i, n, st;

	atomic_store(&scoreboard->stopping, 1);
	listen_close(listeners, nlisteners, NULL, 0);
	n = atomic_load(&scoreboard->nslots);
	for (i = 0; i < n; i++)
		if (atomic_load(&scoreboard->slot[i].pid) > 0)
			tell_quit(i);
	for (;;) {
		reap();
		if (live_children() == 0)
			break;
		if (sig_stop) {
			log_info("stopping at once");
			stop_now();
			break;
		}
		if (sig_usr1) {
			sig_usr1 = 0;
			log_reopen();
			signal_all(SIGUSR1);
		}
		if ((now = sb_now_ms()) - last >= MAINT_INTERVAL_MS) {
			last = now;
			n = atomic_load(&scoreboard->nslots);
			for (i = 0; i < n; i++) {
				st = atomic_load(&scoreboard->slot[i].state);
				if (st == SB_IDLE || st == SB_KEEPALIVE ||
				    st == SB_STARTING)
					signal_slot(i, SIGQUIT);
			}
		}
		wait_signal(STOP_POLL_MS);
	}
}

/* Equal strings; NULL equals only NULL. */
static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * SIGHUP: re-read the bootstrap file and the metabase, open new
 * listeners and close unneeded ones, then replace every worker: the old
 * generation finishes what it is doing and goes.  Any failure leaves
 * everything as it was.
 */
static void
restart(void)
{
	struct conf	*nc;
	struct mbinfo	 mi;
	struct listener	*nls;
	size_t		 nn;
	char		 err[4200];
	int		 i, n;

	log_info("reloading");
	if ((nc = malloc(sizeof(*nc))) == NULL ||
	    conf_copy_args(nc, conf) == -1) {
		free(nc);
		log_warnx("reload failed: out of memory");
		return;
	}
	if (conf_load(nc, err, sizeof(err)) == -1) {
		log_warnx("reload failed: %s", err);
		goto free_conf;
	}
	if (read_metabase(nc->metabase, &mi, err, sizeof(err)) == -1) {
		log_warnx("reload failed: %s", err);
		goto free_conf;
	}
	if (listen_plan(mi.b, mi.nb, &nls, &nn, err, sizeof(err)) == -1) {
		log_warnx("reload failed: %s", err);
		goto free_mi;
	}
	if (listen_open(nls, &nn, listeners, nlisteners, err,
	    sizeof(err)) == -1) {
		log_warnx("reload failed: %s", err);
		free(nls);
		goto free_mi;
	}

	/* Committed from here on. */
	listen_close(listeners, nlisteners, nls, nn);
	free(listeners);
	listeners = nls;
	nlisteners = nn;
	if (!same_str(nc->pid_file, conf->pid_file))
		log_warnx("pid_file changed: it takes a stop and start");
	if (!conf->foreground && !same_str(nc->error_log, conf->error_log) &&
	    log_open(nc->error_log, nc->drop ? nc->uid : (uid_t)-1,
	    nc->drop ? nc->gid : (gid_t)-1) == -1)
		log_warn("cannot open error log '%s'", nc->error_log);
	if (!nc->drop && nc->user != NULL)
		log_warnx("not started as root: user and group are ignored");
	conf_release(conf);
	*conf = *nc;
	free(nc);
	pool = mi.pool;
	sb_publish_pool(&pool);
	make_log_dirs(&mi);

	atomic_fetch_add(&scoreboard->generation, 1);
	n = atomic_load(&scoreboard->nslots);
	for (i = 0; i < n; i++)
		if (atomic_load(&scoreboard->slot[i].pid) > 0)
			tell_quit(i);
	spawn_rate = 1;
	maxed_warned = 0;
	spawn_paused_until = 0;
	spawn_some(pool.min_spare);
	log_info("reloaded: %zu site%s, %zu listening socket%s, "
	    "generation %lu", mi.nsites, mi.nsites == 1 ? "" : "s",
	    nlisteners, nlisteners == 1 ? "" : "s",
	    (unsigned long)atomic_load(&scoreboard->generation));
	mbinfo_release(&mi);
	return;

 free_mi:
	mbinfo_release(&mi);
 free_conf:
	conf_release(nc);
	free(nc);
}

/*
 * Startup.
 */

static int
write_pid_file(const char *path)
{
	char	 buf[32];
	int	 fd, len, saved;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)len) != len) {
		saved = errno ? errno : EIO;
		close(fd);
		unlink(path);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/*
 * Detach: the parent waits until the child has written the pid file and
 * opened the error log (so that a script sees the pid file once mbhttpd
 * returns, and a failure still reaches the terminal), then exits.
 * Returns the write end of the pipe to report success on, in the child.
 */
static int
daemonize(void)
{
	int	 pfd[2];
	char	 c;
	pid_t	 pid;
	ssize_t	 r;

	if (pipe(pfd) == -1) {
		fprintf(stderr, "mbhttpd: cannot detach: %s\n",
		    strerror(errno));
		exit(1);
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "mbhttpd: cannot detach: %s\n",
		    strerror(errno));
		exit(1);
	}
	if (pid != 0) {
		close(pfd[1]);
		do
			r = read(pfd[0], &c, 1);
		while (r == -1 && errno == EINTR);
		/* One byte: the daemon runs; none: it has said why not. */
		_exit(r == 1 ? 0 : 1);
	}
	close(pfd[0]);
	setsid();
	if (chdir("/") == -1) {
		/* "/" always exists; nothing to do. */
	}
	return pfd[1];
}

/* Tell the waiting parent that we run, and leave the terminal. */
static void
detach_done(int fd)
{
	int	 null;

	if (write(fd, "k", 1) == -1) {
		/* The parent is gone; nothing to tell. */
	}
	close(fd);
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
}

static int
autostart_site(void *arg, const char *path)
{
	struct mb	*mb = arg;
	struct mb_value	 v;
	const char	*id = strrchr(path, '/') + 1;

	if (*id < '1' || *id > '9')
		return 0;	/* not a site */
	if (mb_prop_effective(mb, path, &mb_schema[MB_P_SERVERAUTOSTART],
	    &v) != 0 || v.dword)
		return 0;
	memset(&v, 0, sizeof(v));
	v.dword = MB_STATE_STOPPED;
	return mb_prop_set(mb, path, &mb_schema[MB_P_SERVERSTATE], &v);
}

/*
 * As IIS does when its service starts: a site whose ServerAutoStart is
 * FALSE stays stopped until an administrator starts it.  One transaction;
 * the metabase is closed again before anything forks.
 */
static int
autostart(const char *dir, char *err, size_t errlen)
{
	struct mb	*mb;
	int		 rc;

	if ((rc = mb_open(&mb, dir, 0)) != 0)
		return 0;	/* read_metabase() says why */
	if ((rc = mb_write_begin(mb)) == 0) {
		rc = mb_key_children(mb, "/LM/W3SVC", autostart_site, mb);
		rc = rc == 0 ? mb_write_commit(mb) : (mb_write_abort(mb), rc);
	}
	if (rc != 0)
		mb_err(mb, rc, err, errlen, "cannot apply ServerAutoStart");
	mb_close(mb);
	return rc == 0 ? 0 : -1;
}

int
master_run(struct conf *cf)
{
	struct mbinfo	 mi;
	char		 err[4200];
	uint64_t	 last, now;
	int		 dfd = -1;

	conf = cf;
	log_init(cf->verbose);
	if (read_metabase(cf->metabase, &mi, err, sizeof(err)) == -1) {
		fprintf(stderr, "mbhttpd: %s\n", err);
		return 1;
	}
	if (listen_plan(mi.b, mi.nb, &listeners, &nlisteners, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mbhttpd: %s\n", err);
		mbinfo_release(&mi);
		return 1;
	}
	if (cf->test) {
		int rc = test_config(&mi, listeners, nlisteners);

		mbinfo_release(&mi);
		free(listeners);
		return rc;
	}
	if (listen_open(listeners, &nlisteners, NULL, 0, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mbhttpd: %s\n", err);
		mbinfo_release(&mi);
		return 1;
	}
	if (nlisteners == 0)
		log_warnx("no started site has a binding: listening on nothing "
		    "until a reload (SIGHUP)");
	if (!cf->drop && cf->user != NULL)
		log_warnx("not started as root: user and group are ignored");
	pool = mi.pool;
	/* Before the pid file exists, so no signal finds the default. */
	master_signals();
	if (!cf->foreground)
		dfd = daemonize();
	if (cf->pid_file != NULL) {
		if (write_pid_file(cf->pid_file) == -1) {
			fprintf(stderr, "mbhttpd: cannot write pid file "
			    "'%s': %s\n", cf->pid_file, strerror(errno));
			exit(1);
		}
		pid_file = strdup(cf->pid_file);
	}
	if (!cf->foreground && log_open(cf->error_log,
	    cf->drop ? cf->uid : (uid_t)-1,
	    cf->drop ? cf->gid : (gid_t)-1) == -1) {
		fprintf(stderr, "mbhttpd: cannot open error log '%s': %s\n",
		    cf->error_log, strerror(errno));
		if (pid_file != NULL)
			unlink(pid_file);
		exit(1);
	}
	master_pid = getpid();
	/*
	 * This server now owns its sockets and its pid file: only now may
	 * it change what it shares with a running one, the metabase and the
	 * log folders (a start that fails must leave both alone).
	 */
	if (autostart(cf->metabase, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	make_log_dirs(&mi);
	mbinfo_release(&mi);
	if ((scoreboard = sb_create()) == NULL)
		fatal("cannot map the scoreboard");
	sb_publish_pool(&pool);
	if (dfd != -1)
		detach_done(dfd);
	log_info("started: %zu listening socket%s, pool %u to %u idle, at "
	    "most %u workers", nlisteners, nlisteners == 1 ? "" : "s",
	    pool.min_spare, pool.max_spare, pool.max_workers);

	/* Apache's StartServers: the spare minimum, at once. */
	spawn_some(pool.min_spare);
	last = sb_now_ms();
	for (;;) {
		if (sig_stop) {
			log_info("stopping");
			stop_now();
			break;
		}
		if (sig_quit) {
			log_info("stopping gracefully");
			stop_graceful();
			break;
		}
		if (sig_chld) {
			sig_chld = 0;
			reap();
		}
		if (sig_hup) {
			sig_hup = 0;
			restart();
		}
		if (sig_usr1) {
			sig_usr1 = 0;
			log_info("reopening log files");
			log_reopen();
			signal_all(SIGUSR1);
		}
		now = sb_now_ms();
		if (now - last >= MAINT_INTERVAL_MS) {
			last = now;
			maintain();
		}
		wait_signal(last + MAINT_INTERVAL_MS - now);
	}

	listen_close(listeners, nlisteners, NULL, 0);
	free(listeners);
	listeners = NULL;
	nlisteners = 0;
	if (pid_file != NULL) {
		unlink(pid_file);
		free(pid_file);
	}
	log_info("stopped");
	munmap(scoreboard, sizeof(*scoreboard));
	scoreboard = NULL;
	return 0;
}
