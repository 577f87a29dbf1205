/*
 * master.c - read the bindings, bind, fork the workers, keep the pool
 * sized, reap, respawn, and act on signals, as Apache's prefork MPM.
 */
/* WCOREDUMP and struct tcp_info are beyond POSIX. */
#define _DEFAULT_SOURCE

#include <sys/types.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metabase.h"
#include "conf/conf.h"
#include "server/limits.h"
#include "server/core/log.h"
#include "server/core/proc.h"
#include "server/core/scoreboard.h"
#include "server/core/listen.h"
#include "server/master/master.h"
#include "server/master/sites.h"
#include "server/tls/tls.h"
#include "server/worker/worker.h"

static struct scoreboard *sb;		/* shared with the workers */
static struct listener	*listeners;	/* listeners[0 .. nlisteners) */
static size_t		 nlisteners;
/* Sockets the started sites need that could not be bound, retried. */
static struct listener	*pending;	/* pending[0 .. npending) */
static size_t		 npending;
static struct conf	*conf;		/* the bootstrap settings */
static pid_t		 master_pid;

/* The master's signal flags. */
static volatile sig_atomic_t	 sig_stop;	/* TERM, INT */
static volatile sig_atomic_t	 sig_quit;	/* QUIT */
static volatile sig_atomic_t	 sig_hup;	/* HUP */
static volatile sig_atomic_t	 sig_usr1;	/* USR1 */
static volatile sig_atomic_t	 sig_chld;	/* CHLD */
/*
 * The bindings need other sockets, or the workers other certificates: a
 * restart that cuts no connection, for the reason said.
 */
static int			 want_sockets;
static const char		*want_why = "new sockets";

enum restart {
	RESTART_ALL,		/* SIGHUP: every connection ends */
	RESTART_SOCKETS		/* new sockets or certificates: kept-alive
				 * clients stay */
};

static struct sb_pool	 pool;
static sigset_t		 blocked;	/* signals held outside pselect() */
static unsigned char	 told[SB_SLOTS];	/* SIGQUIT sent to this slot */
static unsigned		 spawn_rate = 1;
static uint64_t		 spawn_paused_until;
static int		 maxed_warned;
static int		 pool_warned;
static char		*pid_file;	/* the one we wrote, to remove */
static char		*sb_dir;	/* where the scoreboard file is */
/* For startup_stop(): the pid file written, the child a parent waits on. */
static char		 startup_pid_path[4096];
static volatile pid_t	 detach_child;

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

/* The pid in the pid file, if that process is alive; else 0. */
static pid_t
running_pid(void)
{
	char	 buf[32];
	ssize_t	 len;
	long	 pid;
	int	 fd;

	if (conf->pid_file == NULL ||
	    (fd = open(conf->pid_file, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid <= 1 || (kill((pid_t)pid, 0) == -1 && errno != EPERM))
		return 0;
	return (pid_t)pid;
}

/*
 * For -t: bind each socket the plan needs, one by one, and let it go.  A
 * socket in use while a server of this pid file runs is that server's,
 * most likely: said, not an error.  Returns 0, or -1 when one cannot be
 * bound (said on stderr).
 */
static int
check_binds(const struct listener *ls, size_t n)
{
	struct listener	 one;
	size_t		 i, k;
	char		 err[512];
	pid_t		 pid = running_pid();
	int		 rc = 0;

	for (i = 0; i < n; i++) {
		one = ls[i];
		one.fd = -1;
		k = 1;
		if (listen_open(&one, &k, NULL, 0, err, sizeof(err)) == 0) {
			listen_close(&one, k, NULL, 0);
			continue;
		}
		if (pid != 0 && strstr(err, strerror(EADDRINUSE)) != NULL) {
			printf("listen %s: in use, by the running mbhttpd "
			    "(pid %ld) if it serves it\n", ls[i].name,
			    (long)pid);
			continue;
		}
		fprintf(stderr, "mbhttpd: %s\n", err);
		rc = -1;
	}
	return rc;
}

static int	certs_sync(const struct sitetab *);

/* -t: each started site's certificate loads (the failures said why). */
static int
test_certs(const struct sitetab *mi)
{
	char		 day[32];
	struct tm	 tm;
	time_t		 t;
	size_t		 i;
	int		 rc = 0;

	(void)certs_sync(mi);
	for (i = 0; i < mi->nsites; i++) {
		if (!mi->sites[i].secure)
			continue;
		if ((t = tls_site_expiry(mi->sites[i].id)) == 0) {
			printf("site %lu: no usable certificate\n",
			    (unsigned long)mi->sites[i].id);
			rc = -1;
			continue;
		}
		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		printf("site %lu: certificate %s, %s %s\n",
		    (unsigned long)mi->sites[i].id, mi->sites[i].cert,
		    t < time(NULL) ? "expired" : "expires", day);
	}
	return rc;
}

static int
test_config(struct sitetab *mi, struct listener *ls, size_t n)
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
		printf("listen %s%s site%s", ls[i].name, ls[i].secure ?
		    " (TLS)" : "", nids == 1 ? "" : "s");
		for (k = 0; k < nids; k++)
			printf(" %lu", (unsigned long)ids[k]);
		printf("\n");
	}
	free(ids);
	if (n == 0)
		printf("no started site has a binding: nothing to listen on\n");
	if (check_binds(ls, n) == -1)
		return 1;
	if (test_certs(mi) == -1)
		return 1;
	printf("configuration ok\n");
	return fflush(stdout) == 0 ? 0 : 1;
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

/*
 * SIGTERM or SIGINT while starting up: nothing is running yet that needs
 * a graceful end, and the start may be blocked (on the metabase's writer
 * lock, say) where no flag would be looked at.  Remove the pid file we
 * wrote and go; the detaching parent passes the signal on to the child it
 * waits for.  Only async-signal-safe calls.
 */
static void
startup_stop(int sig)
{
	(void)sig;
	if (detach_child > 0)
		kill(detach_child, SIGTERM);
	else if (startup_pid_path[0] != '\0')
		unlink(startup_pid_path);
	_exit(1);
}

/* Until the main loop: stop signals end the start at once. */
static void
startup_signals(void)
{
	proc_handle(SIGTERM, startup_stop);
	proc_handle(SIGINT, startup_stop);
	proc_handle(SIGQUIT, master_sig);
	proc_handle(SIGHUP, master_sig);
	proc_handle(SIGUSR1, master_sig);
	proc_handle(SIGCHLD, master_sig);
	proc_handle(SIGPIPE, SIG_IGN);
	proc_handle(SIGWINCH, SIG_IGN);
	proc_handle(SIGUSR2, SIG_IGN);
}

/*
 * The main loop's: every signal only sets a flag, and is held except
 * inside pselect(), so no flag is missed.  A flag set while starting up
 * is still set.
 */
static void
loop_signals(void)
{
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGQUIT);
	sigaddset(&blocked, SIGHUP);
	sigaddset(&blocked, SIGUSR1);
	sigaddset(&blocked, SIGCHLD);
	sigprocmask(SIG_BLOCK, &blocked, NULL);
	proc_handle(SIGTERM, master_sig);
	proc_handle(SIGINT, master_sig);
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

/*
 * Workers.
 */

static void
signal_slot(int slot, int sig)
{
	pid_t	 pid = atomic_load(&sb->slot[slot].pid);

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
	int	 i, n = atomic_load(&sb->nslots);

	for (i = 0; i < n; i++)
		signal_slot(i, sig);
}

/* The worker is gone: give its slot back. */
static void
slot_free(int slot)
{
	sb_slot_free(sb, slot);
	told[slot] = 0;
}

/* Fork a worker into slot; -1 if fork() failed. */
static int
spawn(int slot)
{
	struct sb_slot	*s = &sb->slot[slot];
	pid_t		 pid;

	sb_slot_start(sb, slot);
	told[slot] = 0;
	fflush(NULL);
	if ((pid = fork()) == -1) {
		log_warn("cannot fork a worker");
		slot_free(slot);
		/*
		 * Don't run away with the CPU forking over and over
		 * (Apache's make_child()).
		 */
		spawn_paused_until = sb_now_ms() + SPAWN_FAIL_PAUSE_MS;
		return -1;
	}
	if (pid == 0) {
		struct worker_args	 wa;

		memset(&wa, 0, sizeof(wa));
		wa.slot = slot;
		wa.sb = sb;
		wa.listeners = listeners;
		wa.nlisteners = nlisteners;
		wa.conf = conf;
		wa.master_pid = master_pid;
		worker_main(&wa);
	}
	atomic_store(&s->pid, (int32_t)pid);
	log_debug("worker %ld in slot %d", (long)pid, slot);
	return 0;
}

/*
 * Workers of the current generation that can take connections, those of
 * them idle (or starting, about to be), and the last idle slot.
 */
static void
count_pool(unsigned *live, unsigned *idle, int *last_idle)
{
	uint32_t	 gen = atomic_load(&sb->generation);
	int		 i, n = atomic_load(&sb->nslots), st;

	*live = *idle = 0;
	*last_idle = -1;
	for (i = 0; i < n; i++) {
		st = atomic_load(&sb->slot[i].state);
		if (st == SB_EMPTY || st == SB_GRACEFUL || told[i] ||
		    atomic_load(&sb->slot[i].generation) != gen)
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
		if ((slot = sb_slot_find_free(sb)) == -1 || spawn(slot) == -1)
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

	stopping = atomic_load(&sb->stopping);
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		n = atomic_load(&sb->nslots);
		for (i = 0; i < n; i++)
			if (atomic_load(&sb->slot[i].pid) == pid)
				break;
		if (i == n)
			continue;
		st = atomic_load(&sb->slot[i].state);
		gen = atomic_load(&sb->slot[i].generation);
		served = atomic_load(&sb->slot[i].requests);
		expected = stopping || told[i] ||
		    gen != atomic_load(&sb->generation);
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
		if (!expected && ((retired && served > 0) ||
		    (WIFSIGNALED(status) && st != SB_STARTING))) {
			/*
			 * MaxRequestsPerWorker, or a worker that ran and was
			 * killed: replace it at once, so that the pool keeps
			 * its size.  Other deaths wait for maintain(), at its
			 * pace.
			 */
			slot_free(i);
			if (sb_now_ms() >= spawn_paused_until)
				spawn_some(1);
			continue;
		}
		slot_free(i);
	}
}

/*
 * Load the certificates of the started sites of mi (tls.h): 1 when the
 * workers should have other ones.
 */
static int
certs_sync(const struct sitetab *mi)
{
	struct tls_want	*want;
	size_t		 i, n = 0;
	int		 changed;

	if ((want = calloc(mi->nsites + 1, sizeof(*want))) == NULL)
		return 0;
	for (i = 0; i < mi->nsites; i++) {
		if (!mi->sites[i].secure)
			continue;
		if (mi->sites[i].cert == NULL || mi->sites[i].key == NULL) {
			log_warnx("site %lu has SecureBindings but no %s: its "
			    "TLS handshakes fail", (unsigned long)
			    mi->sites[i].id, mi->sites[i].cert == NULL ?
			    "SSLCertificateFile" : "SSLCertificateKeyFile");
			continue;
		}
		want[n].site = mi->sites[i].id;
		want[n].cert = mi->sites[i].cert;
		want[n++].key = mi->sites[i].key;
	}
	changed = tls_sync(want, n);
	free(want);
	return changed;
}

/* Whether the started sites of mi need other sockets than those open. */
static int
needs_sockets(const struct sitetab *mi)
{
	struct listener	*nls;
	size_t		 nn;
	char		 err[256];
	int		 differ;

	struct listener	*all;

	if (listen_plan(mi->b, mi->nb, &nls, &nn, err, sizeof(err)) == -1)
		return 0;	/* a reload would say why */
	if ((all = calloc(nlisteners + npending + 1, sizeof(*all))) == NULL) {
		free(nls);
		return 0;
	}
	if (nlisteners > 0)
		memcpy(all, listeners, nlisteners * sizeof(*all));
	if (npending > 0)
		memcpy(all + nlisteners, pending, npending * sizeof(*all));
	differ = !listen_same(nls, nn, all, nlisteners + npending);
	free(all);
	free(nls);
	return differ;
}

/* Whether a socket named name was pending already. */
static int
was_pending(const struct listener *old, size_t nold, const char *name)
{
	size_t	 i;

	for (i = 0; i < nold; i++)
		if (strcmp(old[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * The sockets of the plan that could not be bound become pending: said
 * once each, and the sites they serve marked in the scoreboard for mbctl.
 * Takes failed (allocated).
 */
static void
set_pending(const struct sitetab *mi, struct listener *failed, size_t nf)
{
	size_t	 i, j;

	for (i = 0; i < nf; i++)
		if (!was_pending(pending, npending, failed[i].name))
			log_warnx("cannot bind %s: %s; its sites are not served "
			    "there until it binds (tried again every second)",
			    failed[i].name, strerror(failed[i].err));
	for (i = 0; i < npending; i++)
		if (!was_pending(failed, nf, pending[i].name))
			log_info("%s: no longer needed or bound",
			    pending[i].name);
	free(pending);
	pending = failed;
	npending = nf;
	sb_bind_errors_clear(sb);
	for (i = 0; i < npending; i++)
		for (j = 0; j < mi->nb; j++)
			if (serves(&pending[i], &mi->b[j]))
				sb_bind_error(sb, mi->bsite[j], pending[i].name,
				    pending[i].err);
}

/*
 * Once a second: can a pending socket be bound now?  Then a graceful
 * restart takes it in.
 */
static void
retry_pending(void)
{
	struct listener	 one;
	size_t		 i, k;
	char		 err[512];

	for (i = 0; i < npending; i++) {
		one = pending[i];
		one.fd = -1;
		k = 1;
		if (listen_open(&one, &k, listeners, nlisteners, err,
		    sizeof(err)) == -1)
			continue;
		if (k == 1 && one.fd != -1)
			close(one.fd);
		log_info("%s can be bound now: restarting to serve it",
		    pending[i].name);
		want_sockets = 1;
		want_why = "new sockets";
		return;
	}
}

/*
 * Every FOLLOW_INTERVAL_MS: follow the metabase when it has changed (pool
 * settings, new sites' log folders and sockets).
 */
static void
follow_metabase(void)
{
	static struct mb_stamp stamp;
	static uint64_t	 seen_txnid;
	static int	 read_ok;
	struct sitetab	 mi;
	uint64_t	 txnid = 0;
	char		 err[4200];
	struct sb_pool	 np;

	if (read_ok && !mb_stamp_changed(conf->metabase, &stamp))
		return;
	read_ok = 0;
	/* Follow pool-size changes made with mbctl. */
	if (sitetab_read_pool(conf->metabase, &np, &txnid, err,
	    sizeof(err)) == -1) {
		if (!pool_warned)
			log_warnx("%s; keeping the pool settings", err);
		pool_warned = 1;
		return;
	}
	pool_warned = 0;
	/* A site added or moved since: its log folder, for the workers
	 * that cannot make it, and maybe sockets. */
	if (txnid != seen_txnid) {
		if (sitetab_read(conf->metabase, &mi, err, sizeof(err)) == -1)
			return;
		seen_txnid = txnid;
		sitetab_make_log_dirs(&mi, conf->drop ? conf->user : NULL,
		    conf->uid, conf->gid);
		if (needs_sockets(&mi)) {
			/* As IIS binds a site it starts. */
			log_info("bindings need other sockets");
			want_sockets = 1;
			want_why = "new sockets";
		}
		if (certs_sync(&mi) && !want_sockets) {
			want_sockets = 1;
			want_why = "new certificates";
		}
		sitetab_release(&mi);
	}
	if (memcmp(&np, &pool, sizeof(np)) != 0) {
		log_info("pool: %u to %u idle, at most %u workers, %u "
		    "requests each", np.min_spare, np.max_spare,
		    np.max_workers, np.max_requests);
		pool = np;
		sb_publish_pool(sb, &pool);
	}
	read_ok = 1;
}

/*
 * Connections waiting in the listening sockets' accept queues: for a
 * listener, Linux's TCP_INFO gives the queue's length as tcpi_unacked.
 */
static unsigned
queued_clients(void)
{
	struct tcp_info	 ti;
	socklen_t	 len;
	unsigned	 q = 0;
	size_t		 i;

	for (i = 0; i < nlisteners; i++) {
		len = sizeof(ti);
		if (listeners[i].fd != -1 && getsockopt(listeners[i].fd,
		    IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
			q += ti.tcpi_unacked;
	}
	return q;
}

/*
 * Once a second: retry the sockets that could not be bound, and keep
 * between MinSpareWorkers and MaxSpareWorkers idle and no more than
 * MaxWorkers in all (Apache's perform_idle_server_maintenance()).
 */
static void
maintain(void)
{
	unsigned	 live, idle, n, q;
	int		 i, last, st, nslots;

	if (npending > 0)
		retry_pending();
	/* A certificate renewed on disk (certbot), or new ticket keys. */
	if (tls_refresh() && !want_sockets) {
		want_sockets = 1;
		want_why = "new certificates";
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
			/*
			 * The ramp is for load still to come: clients
			 * already queued get a worker each now (less those
			 * idle or starting, which will take them).  Else
			 * 256 kept-alive clients against a pool of 64 wait
			 * up to 9 s for the ramp, and the workers close
			 * every response while they wait (worker.h,
			 * worker_pool_busy()).
			 */
			if ((q = queued_clients()) > idle + n)
				n = q - idle;
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
	nslots = atomic_load(&sb->nslots);
	for (i = 0; i < nslots; i++) {
		st = atomic_load(&sb->slot[i].state);
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

	atomic_store(&sb->stopping, 1);
	signal_all(SIGTERM);
	deadline = sb_now_ms() + STOP_TIMEOUT_MS;
	for (;;) {
		reap();
		if (sb_nprocs(sb) == 0)
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

	atomic_store(&sb->stopping, 1);
	listen_close(listeners, nlisteners, NULL, 0);
	n = atomic_load(&sb->nslots);
	for (i = 0; i < n; i++)
		if (atomic_load(&sb->slot[i].pid) > 0)
			tell_quit(i);
	for (;;) {
		reap();
		if (sb_nprocs(sb) == 0)
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
			n = atomic_load(&sb->nslots);
			for (i = 0; i < n; i++) {
				st = atomic_load(&sb->slot[i].state);
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
 *
 * For new sockets alone (a site added, moved or started: RESTART_SOCKETS)
 * the same, except that an old worker holding a connection whose socket
 * is still needed serves it until it ends by itself: its client's
 * bindings did not change, and every request reads the metabase afresh
 * anyway.  Handing the new sockets to the running workers (SCM_RIGHTS)
 * would keep them too, but each worker would then have to merge a new
 * set into its epoll set at any moment; a new generation costs a fork
 * per worker once, measured at well under the one second allowed.
 */
static void
restart(enum restart how)
{
	struct conf	*nc;
	struct sitetab	 mi;
	struct listener	*nls, *failed;
	size_t		 nn, nfailed;
	char		 err[4200];
	uint32_t	 gen;
	int		 i, n, st;

	if (how == RESTART_ALL)
		log_info("reloading");
	else
		log_info("reloading for %s", want_why);
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
	if (sitetab_read(nc->metabase, &mi, err, sizeof(err)) == -1) {
		log_warnx("reload failed: %s", err);
		goto free_conf;
	}
	if (listen_plan(mi.b, mi.nb, &nls, &nn, err, sizeof(err)) == -1) {
		log_warnx("reload failed: %s", err);
		goto free_mi;
	}
	/*
	 * What cannot be bound (a port another program holds) does not keep
	 * the other sites from their new bindings: it is pending, and tried
	 * again each second.
	 */
	if ((failed = calloc(nn + 1, sizeof(*failed))) == NULL) {
		log_warnx("reload failed: out of memory");
		free(nls);
		goto free_mi;
	}
	listen_open_some(nls, &nn, listeners, nlisteners, failed, &nfailed);

	/* Committed from here on. */
	listen_close(listeners, nlisteners, nls, nn);
	free(listeners);
	listeners = nls;
	nlisteners = nn;
	set_pending(&mi, failed, nfailed);
	(void)certs_sync(&mi);
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
	sb_publish_pool(sb, &pool);
	sitetab_make_log_dirs(&mi, conf->drop ? conf->user : NULL,
	    conf->uid, conf->gid);

	gen = atomic_fetch_add(&sb->generation, 1) + 1;
	if (how == RESTART_ALL)
		atomic_store(&sb->keep_from, gen);
	/* Those with a connection see the generation after their response. */
	n = atomic_load(&sb->nslots);
	for (i = 0; i < n; i++) {
		st = atomic_load(&sb->slot[i].state);
		if (atomic_load(&sb->slot[i].pid) > 0 && (how == RESTART_ALL ||
		    st == SB_IDLE || st == SB_STARTING))
			tell_quit(i);
	}
	spawn_rate = 1;
	maxed_warned = 0;
	spawn_paused_until = 0;
	spawn_some(pool.min_spare);
	log_info("reloaded: %zu site%s, %zu listening socket%s, "
	    "generation %lu", mi.nsites, mi.nsites == 1 ? "" : "s",
	    nlisteners, nlisteners == 1 ? "" : "s",
	    (unsigned long)atomic_load(&sb->generation));
	sitetab_release(&mi);
	return;

 free_mi:
	sitetab_release(&mi);
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

	struct stat	 st;

	/* Not through a link someone planted, nor into a FIFO. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0644)) == -1)
		return -1;
	/* Nor a hard link to another file, nor someone else's file: ours
	 * is made anew each start, by us. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1 || st.st_uid != geteuid() ||
	    ftruncate(fd, 0) == -1) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
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
		detach_child = pid;
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

int
master_run(struct conf *cf)
{
	struct sitetab	 mi;
	char		 err[4200];
	uint64_t	 last, last_follow, now, next;
	int		 dfd = -1, shared;

	conf = cf;
	log_init(cf->verbose);
	if (sitetab_read(cf->metabase, &mi, err, sizeof(err)) == -1) {
		fprintf(stderr, "mbhttpd: %s\n", err);
		return 1;
	}
	if (listen_plan(mi.b, mi.nb, &listeners, &nlisteners, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mbhttpd: %s\n", err);
		sitetab_release(&mi);
		return 1;
	}
	if (cf->test) {
		int rc = test_config(&mi, listeners, nlisteners);

		sitetab_release(&mi);
		free(listeners);
		return rc;
	}
	if (listen_open(listeners, &nlisteners, NULL, 0, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mbhttpd: %s\n", err);
		sitetab_release(&mi);
		return 1;
	}
	if (nlisteners == 0)
		log_warnx("no started site has a binding: listening on nothing "
		    "until a reload (SIGHUP)");
	/* As root, before any worker: the keys stay root's. */
	(void)certs_sync(&mi);
	if (!cf->drop && cf->user != NULL)
		log_warnx("not started as root: user and group are ignored");
	pool = mi.pool;
	/* Before the pid file exists, so no signal finds the default. */
	startup_signals();
	if (!cf->foreground)
		dfd = daemonize();
	if (cf->pid_file != NULL) {
		if (write_pid_file(cf->pid_file) == -1) {
			fprintf(stderr, "mbhttpd: cannot write pid file "
			    "'%s': %s\n", cf->pid_file, strerror(errno));
			exit(1);
		}
		pid_file = strdup(cf->pid_file);
		if (strlen(cf->pid_file) < sizeof(startup_pid_path))
			memcpy(startup_pid_path, cf->pid_file,
			    strlen(cf->pid_file) + 1);
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
	if (sitetab_autostart(cf->metabase, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	sitetab_make_log_dirs(&mi, conf->drop ? conf->user : NULL,
	    conf->uid, conf->gid);
	sitetab_release(&mi);
	if ((sb_dir = strdup(cf->metabase)) == NULL ||
	    (sb = sb_create(sb_dir, &shared)) == NULL)
		fatal("cannot map the scoreboard");
	if (!shared)
		log_warnx("cannot write %s/%s: %s; mbctl status will not see "
		    "this server", sb_dir, SB_FILENAME, strerror(errno));
	sb_publish_pool(sb, &pool);
	if (dfd != -1)
		detach_done(dfd);
	log_info("started: %zu listening socket%s, pool %u to %u idle, at "
	    "most %u workers", nlisteners, nlisteners == 1 ? "" : "s",
	    pool.min_spare, pool.max_spare, pool.max_workers);

	loop_signals();
	startup_pid_path[0] = '\0';
	/* Apache's StartServers: the spare minimum, at once. */
	spawn_some(pool.min_spare);
	last = last_follow = sb_now_ms();
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
			want_sockets = 0;
			restart(RESTART_ALL);
		} else if (want_sockets) {
			want_sockets = 0;
			restart(RESTART_SOCKETS);
		}
		if (sig_usr1) {
			sig_usr1 = 0;
			log_info("reopening log files");
			log_reopen();
			signal_all(SIGUSR1);
		}
		now = sb_now_ms();
		if (now - last_follow >= FOLLOW_INTERVAL_MS) {
			last_follow = now;
			follow_metabase();
		}
		if (now - last >= MAINT_INTERVAL_MS) {
			last = now;
			maintain();
		}
		if (sig_hup || want_sockets)
			continue;
		next = last + MAINT_INTERVAL_MS;
		if (last_follow + FOLLOW_INTERVAL_MS < next)
			next = last_follow + FOLLOW_INTERVAL_MS;
		wait_signal(next > now ? next - now : 0);
	}

	listen_close(listeners, nlisteners, NULL, 0);
	free(listeners);
	listeners = NULL;
	nlisteners = 0;
	free(pending);
	pending = NULL;
	npending = 0;
	if (pid_file != NULL) {
		unlink(pid_file);
		free(pid_file);
	}
	log_info("stopped");
	sb_destroy(sb, sb_dir);
	free(sb_dir);
	sb = NULL;
	return 0;
}
