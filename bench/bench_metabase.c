/*
 * bench_metabase.c - what the metabase costs one request.
 *
 * A worker does this for every request before it can answer: renew its
 * read snapshot (mb_begin), find the site from the local address, port
 * and Host header (mb_site_find), read the site's ServerState, resolve
 * every setting for the URL under the site's ROOT (mb_resolve), and end
 * the snapshot (mb_end).  Time that for metabases of 10, 1,000 and 10,000
 * sites, each with a binding ":8080:site<N>.test", a ROOT with a Path and
 * a virtual directory ROOT/images, asking for random sites.
 *
 * The three metabases are open at once (they are different environments)
 * and measured in turn, batch by batch, so that a noisy machine slows all
 * three alike.  Lookups are timed BATCH at a time to keep the clock's own
 * cost out; the figures are medians and 90th percentiles of the per-lookup
 * time of each batch, over all of them and over each of ROUNDS rounds.
 *
 * The verdict takes the best round's median, which a neighbour's burst of
 * work does not move (these machines are shared: single runs vary by
 * 15-50%).  It checks that the median stays under BOUND_NS at every size,
 * and exits 1 if not; and it reports whether 10,000 sites cost at most
 * GROWTH_FACTOR times 10 sites plus GROWTH_SLACK_NS.  A B-tree lookup
 * grows with the logarithm of the number of keys (10 sites fit in one leaf
 * page per database, 10,000 need three levels), and beyond that a large
 * metabase no longer fits in the CPU caches, so random sites cost cache
 * misses that 10 sites never do.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metabase.h"

/* Lookups measured per metabase: enough for a stable p90. */
#define LOOKUPS		200000
/* Lookups per clock reading: the clock costs tens of nanoseconds. */
#define BATCH		100
#define NBATCH		(LOOKUPS / BATCH)
/* Rounds the batches are split into, for the verdict's best median. */
#define ROUNDS		5
#define RBATCH		(NBATCH / ROUNDS)
/* Lookups per metabase before measuring: fault the maps in. */
#define WARMUP		20000
/* A request may spend this much on its settings: well under a syscall. */
#define BOUND_NS	5000.0
/*
 * Logarithmic growth: n sites may cost log(n) / log(10) times what 10
 * cost (a B-tree one level deeper per factor of the fan-out), plus this
 * for the caches a bigger map misses.
 */
#define GROWTH_SLACK_NS	500.0

/* The URL every request asks for, below the site's ROOT. */
#define URLPATH		"/images/logo.png"

struct size {
	unsigned	 nsites;
	char		 dir[PATH_MAX];
	struct mb	*mb;
	double		 create_s;	/* to build it */
	double		*per;		/* ns a lookup, one per batch */
	double		 median, p90;	/* over every batch */
	double		 best;		/* lowest median of a round */
};

static struct size sizes[] = { { .nsites = 10 }, { .nsites = 1000 },
    { .nsites = 10000 } };
#define NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

static char	 tmp[1024];

static void
rm_rf(const char *path)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 sub[PATH_MAX];

	if (lstat(path, &st) == -1)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

static void
cleanup(void)
{
	size_t	 i;

	for (i = 0; i < NSIZES; i++) {
		mb_close(sizes[i].mb);
		sizes[i].mb = NULL;
		free(sizes[i].per);
		sizes[i].per = NULL;
	}
	if (tmp[0] != '\0')
		rm_rf(tmp);
}

static void
fail(const char *what, int rc, struct mb *mb)
{
	fprintf(stderr, "bench_metabase: %s: %s%s%s\n", what, mb_strerror(rc),
	    mb != NULL && *mb_errdetail(mb) != '\0' ? ": " : "",
	    mb != NULL ? mb_errdetail(mb) : "");
	cleanup();
	exit(2);
}

static double
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* xorshift64*: cheap, and the same sequence on every run. */
static uint64_t	 rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rand_below(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dULL) >> 32) % n;
}

/* Build the metabase of s->nsites sites in one write transaction. */
static void
build(struct size *s)
{
	struct mb_value	 b;
	char		 bind[64], name[32], path[64], key[64];
	uint32_t	 i, id;
	double		 t0;
	int		 rc, n;

	snprintf(s->dir, sizeof(s->dir), "%s/mb%u", tmp, s->nsites);
	t0 = now_ns();
	if ((rc = mb_open(&s->mb, s->dir, MB_CREATE)) != 0)
		fail("cannot create metabase", rc, NULL);
	if ((rc = mb_init(s->mb)) != 0)
		fail("mb_init", rc, s->mb);
	if ((rc = mb_write_begin(s->mb)) != 0)
		fail("mb_write_begin", rc, s->mb);
	for (i = 1; i <= s->nsites; i++) {
		n = snprintf(bind, sizeof(bind), ":8080:site%u.test",
		    (unsigned)i);
		b.dword = 0;
		b.str = bind;
		b.len = (size_t)n + 1;
		b.origin = 0;
		snprintf(name, sizeof(name), "site%u", (unsigned)i);
		snprintf(path, sizeof(path), "/srv/site%u", (unsigned)i);
		/* An explicit id: finding the lowest free one is O(sites). */
		id = i;
		if ((rc = mb_site_create(s->mb, &id, name, &b, path)) != 0)
			fail("mb_site_create", rc, s->mb);
		snprintf(key, sizeof(key), "/LM/W3SVC/%u/ROOT/images",
		    (unsigned)i);
		if ((rc = mb_key_create(s->mb, key)) != 0)
			fail("mb_key_create", rc, s->mb);
	}
	if ((rc = mb_write_commit(s->mb)) != 0)
		fail("mb_write_commit", rc, s->mb);
	mb_close(s->mb);
	/* Measure a worker's handle: read-only, opened afresh. */
	if ((rc = mb_open(&s->mb, s->dir, MB_RDONLY)) != 0)
		fail("cannot open metabase", rc, NULL);
	s->create_s = (now_ns() - t0) / 1e9;
	if ((s->per = calloc(NBATCH, sizeof(*s->per))) == NULL)
		fail("calloc", ENOMEM, NULL);
}

/*
 * One request's settings for site want, asked for by Host header host.
 * Returns 0, or -1 when an answer is wrong.
 */
static int
lookup(struct mb *mb, const char *host, size_t hostlen, uint32_t want)
{
	struct mb_props	 pr;
	struct mb_value	 state;
	char		 path[MB_MAXPATH + 1];
	uint32_t	 id;
	size_t		 keylen;
	int		 n, bad;

	if (mb_begin(mb) != 0)
		return -1;
	bad = mb_site_find(mb, 0, "127.0.0.1", 8080, host, hostlen, &id) != 0 ||
	    id != want;
	if (!bad) {
		n = snprintf(path, sizeof(path), "/LM/W3SVC/%u", (unsigned)id);
		bad = mb_prop_get(mb, path, &mb_schema[MB_P_SERVERSTATE],
		    &state) != 0 || state.dword != MB_STATE_STARTED;
		memcpy(path + n, "/ROOT" URLPATH, sizeof("/ROOT" URLPATH));
		bad = bad || mb_resolve(mb, path,
		    n + sizeof("/ROOT" URLPATH) - 1, &pr, &keylen) != 0 ||
		    keylen != n + sizeof("/ROOT/images") - 1 ||
		    pr.v[MB_P_PATH].origin != n + (int)sizeof("/ROOT") - 1;
	}
	mb_end(mb);
	return bad ? -1 : 0;
}

/* Time one batch of random lookups on s; returns ns per lookup. */
static double
batch(struct size *s)
{
	char		 host[BATCH][32];
	size_t		 hostlen[BATCH];
	uint32_t	 want[BATCH];
	double		 t0, t1;
	int		 i, bad = 0;

	/* Choose the requests before the clock starts. */
	for (i = 0; i < BATCH; i++) {
		want[i] = 1 + rand_below(s->nsites);
		hostlen[i] = (size_t)snprintf(host[i], sizeof(host[i]),
		    "site%u.test", (unsigned)want[i]);
	}
	t0 = now_ns();
	for (i = 0; i < BATCH; i++)
		bad |= lookup(s->mb, host[i], hostlen[i], want[i]);
	t1 = now_ns();
	if (bad)
		fail("a lookup gave a wrong answer", MB_DAMAGED, s->mb);
	return (t1 - t0) / BATCH;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(void)
{
	const char	*t = getenv("TMPDIR");
	struct size	*big;
	size_t		 i;
	double		 factor;
	int		 r, ok_bound = 1, ok_growth;
	double		 limit;

	snprintf(tmp, sizeof(tmp), "%s/bench_metabase.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmp) == NULL) {
		fprintf(stderr, "bench_metabase: cannot create '%s': %s\n",
		    tmp, strerror(errno));
		return 2;
	}
	for (i = 0; i < NSIZES; i++)
		build(&sizes[i]);
	for (r = 0; r < WARMUP / BATCH; r++)
		for (i = 0; i < NSIZES; i++)
			(void)batch(&sizes[i]);
	for (r = 0; r < NBATCH; r++)
		for (i = 0; i < NSIZES; i++)
			sizes[i].per[r] = batch(&sizes[i]);
	for (i = 0; i < NSIZES; i++) {
		sizes[i].best = 0;
		for (r = 0; r < ROUNDS; r++) {
			qsort(sizes[i].per + r * RBATCH, RBATCH, sizeof(double),
			    cmp_double);
			if (r == 0 || sizes[i].per[r * RBATCH + RBATCH / 2] <
			    sizes[i].best)
				sizes[i].best =
				    sizes[i].per[r * RBATCH + RBATCH / 2];
		}
	}

	printf("one request's settings: mb_begin + mb_site_find + ServerState"
	    " + mb_resolve + mb_end\n");
	printf("%d random lookups per metabase, timed %d at a time, in %d"
	    " rounds\n\n", LOOKUPS, BATCH, ROUNDS);
	printf("%-8s %11s %11s %11s %9s\n", "sites", "median", "p90",
	    "best round", "build");
	for (i = 0; i < NSIZES; i++) {
		qsort(sizes[i].per, NBATCH, sizeof(double), cmp_double);
		sizes[i].median = sizes[i].per[NBATCH / 2];
		sizes[i].p90 = sizes[i].per[NBATCH * 9 / 10];
		printf("%-8u %8.2f us %8.2f us %8.2f us %7.2f s\n",
		    sizes[i].nsites, sizes[i].median / 1000,
		    sizes[i].p90 / 1000, sizes[i].best / 1000,
		    sizes[i].create_s);
		if (sizes[i].best >= BOUND_NS)
			ok_bound = 0;
	}
	big = &sizes[NSIZES - 1];
	factor = log((double)big->nsites) / log((double)sizes[0].nsites);
	limit = factor * sizes[0].best + GROWTH_SLACK_NS;
	ok_growth = big->best <= limit;
	printf("\nverdict: %s: median under %.0f us at every size (%.2f us at"
	    " %u sites); growth %s: %u sites cost %.2fx %u sites (bound"
	    " %.1fx + %.1f us = %.2f us)\n", ok_bound ? "PASS" : "FAIL",
	    BOUND_NS / 1000, big->best / 1000, big->nsites,
	    ok_growth ? "within" : "OVER", big->nsites,
	    big->best / sizes[0].best, sizes[0].nsites, factor,
	    GROWTH_SLACK_NS / 1000, limit / 1000);
	cleanup();
	return ok_bound ? 0 : 1;
}
