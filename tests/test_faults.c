/*
 * test_faults.c - faults a server meets in its life, each repeated and
 * counted: mbctl import killed at random moments, the LMDB map filling,
 * a metabase folder made read-only, a full disk under the metabase, and
 * the access log's disk full.  The real mbhttpd and mbctl on a real
 * metabase in a temporary directory; the mounts (a read-only bind, small
 * tmpfs) are the test's own, in a private mount namespace (unshare(2)),
 * and the test is skipped where the machine does not allow them.
 *
 * Workers and the master killed under load are test_master.c's
 * (killed_workers_cost_at_most_their_connection: 50 kills, at most one
 * failed request each; killed_master_leaves_no_workers_and_restarts_cleanly).
 */
/* unshare(2) and CLONE_NEWNS, mount(2) and umount2(2) are Linux's. */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mbt.h"

/* Bounds on waits: generous, the machines are shared and slow. */
#define STARTED_TIMEOUT_MS	15000	/* "started" in the server's log */
#define LOG_TIMEOUT_MS		10000	/* access-log lines to appear */
#define RESPAWN_TIMEOUT_MS	15000	/* the master to replace workers */
#define STOP_TIMEOUT_MS		20000	/* the master to go after SIGQUIT */
#define RUN_TIMEOUT_MS		60000	/* one mbctl run */

/* The big import: keys below site 1's root, two properties each. */
#define BIG_KEYS		5000
/* Imports killed, each at a random moment of its run. */
#define IMPORT_KILLS		20

static struct mbt_env	 env;
/* A mount of the test's own, undone before the directory goes. */
static char		 mounted[PATH_MAX];

/*
 * Helpers.
 */

static void
check_len(int n, size_t len)
{
	cr_assert(n >= 0 && (size_t)n < len, "string too long for %zu", len);
}

/* snprintf(3) that must not truncate. */
#define xsnprintf(buf, len, ...)					\
	check_len(snprintf((buf), (len), __VA_ARGS__), (len))

/* Run mbctl, which must succeed. */
#define MBCTL(...)							\
	cr_assert_eq(mbt_mbctl(&env, NULL, 0, __VA_ARGS__, NULL), 0,	\
	    "mbctl failed")

/* The server's own output (dir/stderr.log); malloc'd, never NULL. */
static char *
server_output(void)
{
	char	 path[PATH_MAX];
	char	*s;

	xsnprintf(path, sizeof(path), "%s/stderr.log", env.dir);
	s = mbt_slurp(path);
	return s != NULL ? s : strdup("");
}

/* Occurrences of what in s. */
static int
count_of(const char *s, const char *what)
{
	const char	*p;
	int		 n = 0;

	for (p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

/* Occurrences of what in the server's output. */
static int
server_says(const char *what)
{
	char	*s = server_output();
	int	 n = count_of(s, what);

	free(s);
	return n;
}

static void
wait_server_says(const char *what, int n, long ms)
{
	long long	 deadline = mbt_now_ms() + ms;
	char		*out;

	while (server_says(what) < n) {
		if (mbt_now_ms() >= deadline) {
			out = server_output();
			cr_assert_fail("no \"%s\" (%d) in the server's output "
			    "within %ld ms:\n%s", what, n, ms, out);
		}
		mbt_sleep_ms(25);
	}
}

static void
start(void)
{
	cr_assert_eq(mbt_start(&env, NULL), 0, "mbhttpd did not start");
	wait_server_says("mbhttpd: started:", 1, STARTED_TIMEOUT_MS);
}

/* GET / of alpha.test: 200 and its page, or the test fails. */
static void
expect_alpha(void)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n";
	struct mbt_resp	 r;
	int		 got, ok;

	got = mbt_request(env.port, req, &r);
	ok = got == 0 && r.status == 200 && r.body != NULL &&
	    strcmp(r.body, "site alpha\n") == 0;
	mbt_resp_free(&r);
	cr_assert(ok, "GET / of alpha.test: %s, status %d", got == 0 ?
	    "answered" : "no answer", r.status);
}

/* mbctl export of the whole metabase, through a file (it is big). */
static char *
export_all(void)
{
	char	 file[PATH_MAX], err[1024];
	char	*s;
	int	 rc;

	xsnprintf(file, sizeof(file), "%s/export.cfg", env.dir);
	unlink(file);
	{
		const char *const av[] = { "export", "/LM", file, NULL };

		rc = mbt_mbctlv(&env, av, NULL, 0, err, sizeof(err));
	}
	cr_assert_eq(rc, 0, "export: exit %d: %s", rc, err);
	cr_assert_not_null(s = mbt_slurp(file));
	return s;
}

/* Write the big import file (BIG_KEYS keys, tag in every value). */
static void
write_big(const char *file, const char *tag)
{
	FILE	*fp;
	int	 i;

	cr_assert_not_null(fp = fopen(file, "w"));
	fputs("root = \"/LM\";\nkeys = (\n", fp);
	for (i = 0; i < BIG_KEYS; i++)
		fprintf(fp, "%s{ key = \"/LM/W3SVC/1/ROOT/d%04d\"; "
		    "properties = { DefaultDoc = \"%s-%04d.html\"; "
		    "AccessFlags = 1; }; }\n",
		    i > 0 ? "," : "", i, tag, i);
	fputs(");\n", fp);
	cr_assert_eq(fclose(fp), 0);
}

/* Run mbctl with av (after -m), stderr into err; its exit status. */
static int
mbctl_err(const char *const av[], char *err, size_t errlen)
{
	return mbt_mbctlv(&env, av, NULL, 0, err, errlen);
}

/* err is one line, "mbctl: ..." holding what. */
static void
expect_one_line(const char *err, const char *what)
{
	cr_assert(strncmp(err, "mbctl: ", 7) == 0, "not mbctl's: %s", err);
	cr_assert(strchr(err, '\n') != NULL &&
	    strchr(err, '\n')[1] == '\0', "not one line: %s", err);
	cr_assert_not_null(strstr(err, what), "no \"%s\" in: %s", what, err);
}

/*
 * Start mbctl -m metabase args... as our child, its output to
 * /dev/null; its pid.
 */
static pid_t
spawn_mbctl(const char *a1, const char *a2)
{
	char	 bin[PATH_MAX];
	pid_t	 pid;
	int	 fd;

	xsnprintf(bin, sizeof(bin), "%s/mbctl", mbt_build());
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin, bin, "-m", env.metabase, a1, a2, (char *)NULL);
		_exit(127);
	}
	cr_assert_gt(pid, 0);
	return pid;
}

/* Reap pid within ms; its status, or the test fails. */
static int
reap_within(pid_t pid, long ms)
{
	long long	 deadline = mbt_now_ms() + ms;
	int		 status;
	pid_t		 r;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (mbt_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			cr_assert_fail("process %ld did not end in time",
			    (long)pid);
		}
		mbt_sleep_ms(5);
	}
	cr_assert_eq(r, pid);
	return status;
}

/*
 * A load client: GET / of alpha, one connection after another, until
 * stopfd is readable; how many were answered right and how many not go
 * to outfd.  A connection closed cleanly before any byte is sent again
 * (the server lets go of idle connections when it must).
 */
struct load_counts {
	long	 ok, failed;
};

static void
load_client(int stopfd, int outfd)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n";
	struct load_counts lc = { 0, 0 };
	struct pollfd	 p = { stopfd, POLLIN, 0 };
	struct mbt_resp	 r;

	signal(SIGPIPE, SIG_IGN);
	while (poll(&p, 1, 0) == 0) {
		if (mbt_request(env.port, req, &r) == 0 && r.status == 200 &&
		    strcmp(r.body, "site alpha\n") == 0)
			lc.ok++;
		else if (r.status != 0 || r.headlen > 0)
			lc.failed++;
		else if (mbt_request(env.port, req, &r) == 0 &&
		    r.status == 200)
			lc.ok++;	/* a clean close, sent again */
		else
			lc.failed++;
		mbt_resp_free(&r);
		mbt_sleep_ms(2);
	}
	if (write(outfd, &lc, sizeof(lc)) != sizeof(lc))
		_exit(1);
	_exit(0);
}

struct load {
	pid_t	 pid;
	int	 stop[2], res[2];
};

static void
load_start(struct load *l)
{
	cr_assert_eq(pipe(l->stop), 0);
	cr_assert_eq(pipe(l->res), 0);
	fflush(NULL);
	if ((l->pid = fork()) == 0)
		load_client(l->stop[0], l->res[1]);
	cr_assert_gt(l->pid, 0);
}

static struct load_counts
load_stop(struct load *l)
{
	struct load_counts lc = { 0, -1 };

	cr_assert_eq(write(l->stop[1], "x", 1), 1);
	cr_assert_eq(read(l->res[0], &lc, sizeof(lc)), sizeof(lc));
	reap_within(l->pid, RUN_TIMEOUT_MS);
	close(l->stop[0]);
	close(l->stop[1]);
	close(l->res[0]);
	close(l->res[1]);
	return lc;
}

/*
 * Mounts.
 */

/*
 * A mount namespace of this test's own, where mounts are not shared
 * with the host; skip the test where that is not allowed.  The server
 * and mbctl, started after this, live in it too.
 */
static void
private_mounts(void)
{
	if (unshare(CLONE_NEWNS) == -1)
		cr_skip_test("no private mount namespace: %s",
		    strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		cr_skip_test("cannot make mounts private: %s",
		    strerror(errno));
}

/* A tmpfs of kib KiB at dir (made if missing). */
static void
mount_tmpfs(const char *dir, unsigned kib)
{
	char	 opts[64];

	private_mounts();
	mkdir(dir, 0755);
	xsnprintf(opts, sizeof(opts), "size=%uk,mode=0755", kib);
	if (mount("mbt", dir, "tmpfs", 0, opts) == -1)
		cr_skip_test("cannot mount a tmpfs: %s", strerror(errno));
	xsnprintf(mounted, sizeof(mounted), "%s", dir);
}

/*
 * Fill the file system holding dir with the file dir/filler, to the last
 * byte it takes; the file's path goes to path.
 */
static void
fill_disk(const char *dir, char *path, size_t len)
{
	static char	 chunk[65536];
	size_t		 sz;
	ssize_t		 n;
	int		 fd, i;

	xsnprintf(path, len, "%s/filler", dir);
	cr_assert_neq(fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644),
	    -1, "%s: %s", path, strerror(errno));
	memset(chunk, 'f', sizeof(chunk));
	/* Smaller and smaller writes, till not a byte goes in; bounded, as
	 * the file system is small. */
	for (sz = sizeof(chunk), i = 0; sz > 0 && i < 100000; i++) {
		n = write(fd, chunk, sz);
		if (n == -1 && errno != ENOSPC)
			cr_assert_fail("filling %s: %s", path, strerror(errno));
		if (n <= 0)
			sz /= 2;
	}
	cr_assert_eq(sz, 0, "the disk does not fill");
	close(fd);
}

/*
 * LMDB's meta pages (pages 0 and 1 of data.mdb) on a 64-bit host: the
 * page header (16 bytes), then magic and version (4 each), the fixed
 * address (8), the map size (8), the two MDB_db (48 each; the first
 * begins with the page size, 4 bytes), the last page and the txnid.
 */
#define META_MAPSIZE	(16 + 16)
#define META_PSIZE	(16 + 24)
#define META_LASTPG	(16 + 24 + 96)
#define META_TXNID	(16 + 24 + 96 + 8)

struct meta {
	uint64_t	 mapsize, last_pg, txnid;
	uint32_t	 psize;
};

static void
meta_read(const char *file, int which, struct meta *m)
{
	unsigned char	 b[4096];
	uint32_t	 psize;
	int		 fd;

	cr_assert_neq(fd = open(file, O_RDONLY), -1);
	cr_assert_eq(pread(fd, b, sizeof(b), 0), (ssize_t)sizeof(b));
	memcpy(&psize, b + META_PSIZE, 4);
	cr_assert(psize >= 512 && psize <= 65536, "page size %u", psize);
	if (which == 1)
		cr_assert_eq(pread(fd, b, sizeof(b), psize), (ssize_t)
		    sizeof(b));
	close(fd);
	memcpy(&m->mapsize, b + META_MAPSIZE, 8);
	memcpy(&m->last_pg, b + META_LASTPG, 8);
	memcpy(&m->txnid, b + META_TXNID, 8);
	m->psize = psize;
}

/* Make the map size data.mdb records size, in both meta pages. */
static void
meta_set_mapsize(const char *file, uint64_t size)
{
	struct meta	 m;
	int		 fd;

	meta_read(file, 0, &m);
	cr_assert_neq(fd = open(file, O_WRONLY), -1);
	cr_assert_eq(pwrite(fd, &size, 8, META_MAPSIZE), 8);
	cr_assert_eq(pwrite(fd, &size, 8, (off_t)m.psize + META_MAPSIZE), 8);
	close(fd);
}

/* The map size of the newer meta page. */
static uint64_t
meta_mapsize(const char *file)
{
	struct meta	 m0, m1;

	meta_read(file, 0, &m0);
	meta_read(file, 1, &m1);
	return m0.txnid > m1.txnid ? m0.mapsize : m1.mapsize;
}

/*
 * Setup.
 */

static void
sites(void)
{
	char	 b[64];

	xsnprintf(b, sizeof(b), "127.0.0.1:%u:alpha.test", env.port);
	cr_assert_eq(mbt_site(&env, 1, "alpha", b), 0);
	MBCTL("set", "W3SVC/MinSpareWorkers", "2");
	MBCTL("set", "W3SVC/MaxSpareWorkers", "4");
	MBCTL("set", "W3SVC/MaxWorkers", "8");
}

static void
setup(void)
{
	mounted[0] = '\0';
	cr_assert_eq(mbt_setup(&env), 0, "mbt_setup failed");
	sites();
}

static void
teardown(void)
{
	if (env.server > 0)
		mbt_stop(&env);
	/* What a failed chmod test may leave, for the removal. */
	chmod(env.metabase, 0755);
	if (mounted[0] != '\0') {
		/* Files may still be open: let it go when they close. */
		umount2(mounted, MNT_DETACH);
		mounted[0] = '\0';
	}
	mbt_teardown(&env);
}

TestSuite(faults, .init = setup, .fini = teardown, .timeout = 240);

/*
 * mbctl import killed at random moments.
 */

/*
 * An import of thousands of properties killed with SIGKILL at a random
 * moment of its run, IMPORT_KILLS times: the metabase is each time all
 * the old contents or all the new, and the server answers throughout.
 */
Test(faults, import_killed_at_random_moments_leaves_old_or_new,
    .timeout = 400)
{
	char		 big[PATH_MAX], old_file[PATH_MAX], err[1024];
	char		*old, *new, *now;
	struct load	 l;
	struct load_counts lc;
	long long	 t0, took;
	unsigned	 seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	long		 delay, window;
	pid_t		 pid;
	int		 round, status, done, killed = 0, finished = 0;
	int		 as_old = 0, as_new = 0;

	xsnprintf(big, sizeof(big), "%s/big.cfg", env.dir);
	xsnprintf(old_file, sizeof(old_file), "%s/old.cfg", env.dir);
	write_big(big, "new");
	start();
	old = export_all();
	{
		const char *const av[] = { "export", "/LM", old_file, NULL };

		cr_assert_eq(mbctl_err(av, err, sizeof(err)), 0, "%s", err);
	}
	/* The new contents, and how long an import takes. */
	t0 = mbt_now_ms();
	{
		const char *const av[] = { "import", big, NULL };

		cr_assert_eq(mbctl_err(av, err, sizeof(err)), 0, "%s", err);
	}
	took = mbt_now_ms() - t0;
	new = export_all();
	cr_assert_str_neq(old, new);
	cr_log_info("an import of %d keys takes %lld ms; seed %u", BIG_KEYS,
	    took, seed);

	/*
	 * Kill moments are drawn from the whole run as measured, commit
	 * included; an import that finishes first (a kill drawn late, or
	 * the machine got faster) does not count.
	 */
	window = took;
	load_start(&l);
	for (round = 0; killed < IMPORT_KILLS; round++) {
		cr_assert_lt(round, 4 * IMPORT_KILLS, "%d imports finished "
		    "before their kill, %d killed", finished, killed);
		/* Back to the old contents (and that works, too). */
		{
			const char *const av[] = { "import", old_file,
			    "--replace", NULL };

			cr_assert_eq(mbctl_err(av, err, sizeof(err)), 0,
			    "%s", err);
		}
		now = export_all();
		cr_assert_str_eq(now, old, "--replace did not restore");
		free(now);

		/* Anywhere in the run. */
		delay = (long)(rand_r(&seed) % (unsigned)(window + 1));
		pid = spawn_mbctl("import", big);
		mbt_sleep_ms(delay);
		kill(pid, SIGKILL);
		status = reap_within(pid, RUN_TIMEOUT_MS);
		done = !WIFSIGNALED(status);
		if (done) {
			cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			    "import not killed failed: status %d", status);
			finished++;
		} else
			killed++;

		now = export_all();
		if (strcmp(now, new) == 0)
			as_new += !done;
		else if (strcmp(now, old) == 0 && !done)
			as_old++;
		else
			cr_assert_fail("after a kill at %ld ms the metabase is "
			    "neither the old nor the new", delay);
		free(now);
		expect_alpha();
	}
	lc = load_stop(&l);
	cr_log_info("%d imports killed (%d more finished first): %d times "
	    "old, %d new; %ld requests answered, %ld failed", killed,
	    finished, as_old, as_new, lc.ok, lc.failed);
	cr_assert_gt(lc.ok, 0);
	cr_assert_eq(lc.failed, 0, "%ld of %ld requests failed", lc.failed,
	    lc.ok + lc.failed);
	free(old);
	free(new);
}

/*
 * The map filling.
 */

/*
 * A metabase whose map is nearly full (data.mdb made to record a map
 * only a little larger than what it uses): an import far larger than the
 * room left grows the map as it needs and succeeds whole, readers adopt
 * the new size, and the server serves before, during and after.  A
 * restore of it into another metabase nearly full grows that one's.
 */
Test(faults, full_map_grows_and_the_import_succeeds)
{
	char		 data[PATH_MAX], big[PATH_MAX], out[256], err[1024];
	struct meta	 m;
	struct load	 l;
	struct load_counts lc;
	uint64_t	 small, grown;

	xsnprintf(data, sizeof(data), "%s/data.mdb", env.metabase);
	xsnprintf(big, sizeof(big), "%s/big.cfg", env.dir);
	write_big(big, "grown");
	meta_read(data, 0, &m);
	/* 16 pages of room: the import needs hundreds. */
	small = (m.last_pg + 1 + 16) * m.psize;
	if (small < 64 * (uint64_t)m.psize)
		small = 64 * (uint64_t)m.psize;
	meta_set_mapsize(data, small);
	cr_assert_eq(meta_mapsize(data), small);
	start();
	expect_alpha();

	load_start(&l);
	{
		const char *const av[] = { "import", big, NULL };

		cr_assert_eq(mbctl_err(av, err, sizeof(err)), 0,
		    "import into a full map: %s", err);
	}
	grown = meta_mapsize(data);
	cr_log_info("map grown from %llu to %llu bytes",
	    (unsigned long long)small, (unsigned long long)grown);
	cr_assert_gt(grown, small);
	cr_assert_eq(mbt_mbctl(&env, out, sizeof(out), "get",
	    "W3SVC/1/ROOT/d4999/DefaultDoc", NULL), 0);
	cr_assert_not_null(strstr(out, "grown-4999.html"), "%s", out);
	/* The server's workers read past their old map's end now. */
	MBCTL("set", "W3SVC/1/ROOT/d4999/DefaultDoc", "after.html");
	expect_alpha();
	lc = load_stop(&l);
	cr_assert_gt(lc.ok, 0);
	cr_assert_eq(lc.failed, 0, "%ld of %ld requests failed", lc.failed,
	    lc.ok + lc.failed);
	/* A restore of it into another metabase nearly full. */
	{
		char	 copy[PATH_MAX], saved[PATH_MAX], data2[PATH_MAX];

		xsnprintf(copy, sizeof(copy), "%s/copy.mdb", env.dir);
		MBCTL("backup", copy);
		memcpy(saved, env.metabase, sizeof(saved));
		xsnprintf(env.metabase, sizeof(env.metabase), "%s/mb2",
		    env.dir);
		MBCTL("init");
		xsnprintf(data2, sizeof(data2), "%s/data.mdb", env.metabase);
		meta_read(data2, 0, &m);
		small = (m.last_pg + 1 + 16) * m.psize;
		meta_set_mapsize(data2, small);
		{
			const char *const av[] = { "restore", copy, NULL };

			cr_assert_eq(mbctl_err(av, err, sizeof(err)), 0,
			    "restore into a full map: %s", err);
		}
		cr_assert_gt(meta_mapsize(data2), small);
		cr_assert_eq(mbt_mbctl(&env, out, sizeof(out), "get",
		    "W3SVC/1/ROOT/d4999/DefaultDoc", NULL), 0);
		cr_assert_not_null(strstr(out, "after.html"), "%s", out);
		memcpy(env.metabase, saved, sizeof(saved));
	}
	/* And a new worker opens the grown metabase. */
	{
		pid_t	 w[64];
		size_t	 n, i;

		n = mbt_workers(&env, w, 64);
		for (i = 0; i < n; i++)
			kill(w[i], SIGKILL);
		mbt_sleep_ms(300);
		expect_alpha();
	}
}

/*
 * A read-only metabase folder.
 */

/*
 * Check that writes fail with a clear message (holding what) and leave
 * the metabase as before, that reads work, and that the server serves.
 * prefix: the argv to run mbctl under (setpriv as another user), or NULL.
 */
static void
writes_refused(const char *const *prefix, const char *what)
{
	char		 bin[PATH_MAX], big[PATH_MAX], err[1024], out[1024];
	const char	*av[32];
	char		*before, *after;
	size_t		 n, i;
	int		 rc, t;

	xsnprintf(bin, sizeof(bin), "%s/mbctl", mbt_build());
	xsnprintf(big, sizeof(big), "%s/big.cfg", env.dir);
	write_big(big, "refused");
	before = export_all();
	for (t = 0; t < 3; t++) {
		const char *const sets[][5] = {
			{ "set", "W3SVC/1/ServerComment", "changed", NULL },
			{ "import", big, NULL },
			{ "site", "stop", "1", NULL },
		};

		n = 0;
		for (i = 0; prefix != NULL && prefix[i] != NULL; i++)
			av[n++] = prefix[i];
		av[n++] = bin;
		av[n++] = "-m";
		av[n++] = env.metabase;
		for (i = 0; sets[t][i] != NULL; i++)
			av[n++] = sets[t][i];
		av[n] = NULL;
		rc = mbt_run(av, out, sizeof(out), err, sizeof(err),
		    RUN_TIMEOUT_MS);
		cr_assert_eq(rc, 1, "mbctl %s: exit %d: %s", sets[t][0], rc,
		    err);
		expect_one_line(err, what);
		expect_alpha();
	}
	/* Reading still works, as whoever may read. */
	n = 0;
	for (i = 0; prefix != NULL && prefix[i] != NULL; i++)
		av[n++] = prefix[i];
	av[n++] = bin;
	av[n++] = "-m";
	av[n++] = env.metabase;
	av[n++] = "get";
	av[n++] = "W3SVC/1/ServerComment";
	av[n] = NULL;
	rc = mbt_run(av, out, sizeof(out), err, sizeof(err), RUN_TIMEOUT_MS);
	cr_assert_eq(rc, 0, "get: exit %d: %s", rc, err);
	after = export_all();
	cr_assert_str_eq(before, after, "the metabase changed");
	free(before);
	free(after);
}

/*
 * The folder and its files made read-only with chmod: mbctl run by a
 * user the modes apply to (nobody, when we are root: root passes them)
 * cannot write, and says so in one line.
 */
Test(faults, chmod_read_only_metabase_refuses_writes)
{
	static const char *const as_nobody[] = { "/usr/bin/setpriv",
	    "--reuid=65534", "--regid=65534", "--clear-groups", NULL };
	char	 path[PATH_MAX];

	if (geteuid() == 0 && access(as_nobody[0], X_OK) == -1)
		cr_skip_test("as root, this needs %s", as_nobody[0]);
	start();
	xsnprintf(path, sizeof(path), "%s/data.mdb", env.metabase);
	cr_assert_eq(chmod(path, 0444), 0);
	/* Readers write the lock file (lmdb.h): it stays theirs. */
	xsnprintf(path, sizeof(path), "%s/lock.mdb", env.metabase);
	cr_assert_eq(chmod(path, 0666), 0);
	cr_assert_eq(chmod(env.metabase, 0555), 0);
	writes_refused(geteuid() == 0 ? as_nobody : NULL, "Permission denied");
}

/*
 * The folder under a read-only bind mount: mbctl cannot write and says
 * so in one line; reading works; the server serves, and a worker started
 * meanwhile (one is killed) opens the metabase read-only as always.
 */
Test(faults, read_only_mount_refuses_writes)
{
	pid_t	 w[64];
	size_t	 n, i;

	private_mounts();
	start();
	if (mount(env.metabase, env.metabase, NULL, MS_BIND, NULL) == -1)
		cr_skip_test("cannot bind-mount: %s", strerror(errno));
	xsnprintf(mounted, sizeof(mounted), "%s", env.metabase);
	if (mount(NULL, env.metabase, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY,
	    NULL) == -1)
		cr_skip_test("cannot remount read-only: %s", strerror(errno));
	writes_refused(NULL, "Read-only file system");
	n = mbt_workers(&env, w, 64);
	for (i = 0; i < n; i++)
		kill(w[i], SIGKILL);
	mbt_sleep_ms(300);
	expect_alpha();
	expect_alpha();
	cr_assert_eq(server_says("died on signal 7"), 0, "SIGBUS");
}

/*
 * A full disk under the metabase.
 */

/* Move the metabase to dir (on the test's file system) and fill it. */
static void
metabase_in(const char *dir)
{
	xsnprintf(env.metabase, sizeof(env.metabase), "%s/metabase", dir);
	MBCTL("init");
	MBCTL("set", "W3SVC/LogFileDirectory", env.logs);
	sites();
}

/*
 * The metabase on a small tmpfs, filled to the last byte: a change that
 * needs room fails with "No space left on device" in one line and the
 * metabase stays as it was; a change that fits in the pages LMDB has
 * already either works or fails the same way.  The server serves, and
 * so do new workers (their reader slots and the scoreboard were on
 * disk before it filled), and a server started on the full disk (its
 * scoreboard then kept in memory, and said so).  With room again, the
 * import goes through.
 */
Test(faults, full_disk_under_the_metabase)
{
	char		 fs[PATH_MAX], filler[PATH_MAX], big[PATH_MAX];
	char		 err[1024], out[256];
	char		*before, *after;
	pid_t		 w[64];
	size_t		 n, i;
	int		 rc, deaths;

	xsnprintf(fs, sizeof(fs), "%s/fs", env.dir);
	mount_tmpfs(fs, 4096);
	metabase_in(fs);
	xsnprintf(big, sizeof(big), "%s/big.cfg", env.dir);
	write_big(big, "full");
	start();
	expect_alpha();

	fill_disk(fs, filler, sizeof(filler));
	before = export_all();
	{
		const char *const av[] = { "import", big, NULL };

		rc = mbctl_err(av, err, sizeof(err));
	}
	cr_assert_eq(rc, 1, "import on a full disk: exit %d", rc);
	expect_one_line(err, "No space left on device");
	rc = mbt_mbctl(&env, NULL, 0, "set", "W3SVC/1/ConnectionTimeout",
	    "77", NULL);
	cr_assert(rc == 0 || rc == 1, "set on a full disk: exit %d", rc);
	if (rc == 1) {
		after = export_all();
		cr_assert_str_eq(before, after, "a failed set changed it");
		free(after);
	} else
		MBCTL("delete", "W3SVC/1/ConnectionTimeout");
	after = export_all();
	cr_assert_str_eq(before, after, "the failed import changed it");
	free(after);
	expect_alpha();

	/* New workers on the full disk. */
	n = mbt_workers(&env, w, 64);
	for (i = 0; i < n; i++)
		kill(w[i], SIGKILL);
	mbt_sleep_ms(300);
	expect_alpha();
	expect_alpha();

	/* A server started on the full disk (its scoreboard freed room as
	 * it stopped: fill that too). */
	cr_assert_eq(mbt_stop(&env), 0);
	fill_disk(fs, filler, sizeof(filler));
	deaths = server_says("died on signal");
	start();
	expect_alpha();
	n = mbt_workers(&env, w, 64);
	cr_assert_gt(n, 0);
	for (i = 0; i < n; i++)
		cr_assert_eq(kill(w[i], 0), 0, "worker %ld died", (long)w[i]);
	expect_alpha();
	cr_assert_geq(server_says("mbctl status will not see this server"),
	    1, "no word of the scoreboard");
	cr_assert_eq(server_says("died on signal"), deaths,
	    "a worker died:\n%s", server_output());

	/* Room again. */
	cr_assert_eq(unlink(filler), 0);
	{
		const char *const av[] = { "import", big, NULL };

		rc = mbctl_err(av, err, sizeof(err));
	}
	cr_assert_eq(rc, 0, "import with room: %s", err);
	cr_assert_eq(mbt_mbctl(&env, out, sizeof(out), "get",
	    "W3SVC/1/ROOT/d0042/DefaultDoc", NULL), 0);
	cr_assert_not_null(strstr(out, "full-0042.html"), "%s", out);
	expect_alpha();
	free(before);
}

/*
 * The access log's disk full.
 */

/* The access log of site 1 today, and its lines (NULL: none yet). */
static char *
access_log(void)
{
	char		 path[PATH_MAX];
	struct tm	 tm;
	time_t		 t = time(NULL);

	gmtime_r(&t, &tm);
	xsnprintf(path, sizeof(path), "%s/W3SVC1/ex%02d%02d%02d.log",
	    env.logs, tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday);
	return mbt_slurp(path);
}

static void
wait_log_entries(int n)
{
	long long	 deadline = mbt_now_ms() + LOG_TIMEOUT_MS;
	char		*s;
	int		 got;

	for (;;) {
		s = access_log();
		got = s != NULL ? mbt_log_entries(s) : 0;
		free(s);
		if (got >= n)
			break;
		cr_assert_lt(mbt_now_ms(), deadline, "%d access-log lines of "
		    "%d", got, n);
		mbt_sleep_ms(25);
	}
	cr_assert_eq(got, n, "%d access-log lines, not %d", got, n);
}

/* Every request line of the log has as many fields as #Fields names. */
static void
expect_whole_lines(void)
{
	char		*s, *line, *save = NULL;
	int		 fields = 0, n;
	const char	*p;

	cr_assert_not_null(s = access_log());
	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		for (n = 1, p = line; *p != '\0'; p++)
			n += *p == ' ';
		if (strncmp(line, "#Fields:", 8) == 0)
			fields = n - 1;
		else if (line[0] != '#')
			cr_assert_eq(n, fields, "a torn line: '%s'", line);
	}
	free(s);
}

/*
 * n requests of alpha with a query of 2000 bytes: a log line each so long
 * that the room left in the last page of the log file is soon used up.
 */
static void
requests(int n)
{
	char		 req[4096], q[2001];
	struct mbt_resp	 r;
	int		 got, ok;

	memset(q, 'q', sizeof(q) - 1);
	q[sizeof(q) - 1] = '\0';
	xsnprintf(req, sizeof(req), "GET /?%s HTTP/1.1\r\nHost: alpha.test\r\n"
	    "Connection: close\r\n\r\n", q);
	while (n-- > 0) {
		got = mbt_request(env.port, req, &r);
		ok = got == 0 && r.status == 200;
		mbt_resp_free(&r);
		cr_assert(ok, "GET /?q...: %s, status %d", got == 0 ?
		    "answered" : "no answer", r.status);
	}
}

/*
 * A request on each of n connections open at once, kept alive until
 * all are answered: each holds a worker of its own.
 */
static void
requests_each(int n)
{
	struct mbt_resp	 r;
	int		 fd[8], i, ok;

	cr_assert(n <= 8);
	for (i = 0; i < n; i++)
		cr_assert((fd[i] = mbt_connect(env.port)) != -1);
	for (i = 0; i < n; i++) {
		cr_assert_eq(mbt_send(fd[i], "GET /?each HTTP/1.1\r\n"
		    "Host: alpha.test\r\n\r\n"), 0);
		ok = mbt_read_response(fd[i], &r, 0) == 0 && r.status == 200;
		mbt_resp_free(&r);
		cr_assert(ok, "connection %d not answered", i);
	}
	for (i = 0; i < n; i++)
		mbt_close(fd[i]);
}

/*
 * LogFileDirectory on a small tmpfs, filled: requests are served all
 * the same; one error-log line says the log cannot be written (for the
 * whole pool: three workers meet the full disk); the lines are kept, across a SIGUSR1
 * reopen, and written, whole, when there is room again; a worker that
 * stops while lines wait writes them as it goes.
 */
Test(faults, access_log_disk_full)
{
	char	 filler[PATH_MAX];
	int	 logged = 0;

	mount_tmpfs(env.logs, 256);
	MBCTL("set", "W3SVC/MinSpareWorkers", "3");
	MBCTL("set", "W3SVC/MaxSpareWorkers", "3");
	MBCTL("set", "W3SVC/MaxWorkers", "3");
	start();
	requests(3);
	wait_log_entries(logged += 3);

	fill_disk(env.logs, filler, sizeof(filler));
	requests_each(3);
	requests(7);
	cr_assert_eq(kill(env.server, SIGUSR1), 0);
	wait_server_says("reopening log files", 1, LOG_TIMEOUT_MS);
	mbt_sleep_ms(200);
	requests(10);
	cr_assert_eq(server_says("cannot write the access log of site 1"), 1,
	    "not one line:\n%s", server_output());

	/* Room again: each worker writes what it kept, then its new line,
	 * at its next request. */
	cr_assert_eq(unlink(filler), 0);
	requests_each(3);
	wait_log_entries(logged += 23);
	expect_whole_lines();
	cr_assert_eq(server_says("access log of site 1 written again"), 1);
	cr_assert_eq(server_says("lost"), 0, "%s", server_output());

	/* Full again; room comes back, and the worker stops before its next
	 * request: it writes what it kept on its way out. */
	fill_disk(env.logs, filler, sizeof(filler));
	requests(4);
	cr_assert_eq(unlink(filler), 0);
	cr_assert_eq(kill(env.server, SIGQUIT), 0);
	reap_within(env.server, STOP_TIMEOUT_MS);
	env.server = 0;
	wait_log_entries(logged += 4);
	expect_whole_lines();
	cr_assert_eq(server_says("cannot write the access log of site 1"), 2);
	cr_assert_eq(server_says("lost"), 0, "%s", server_output());
}
